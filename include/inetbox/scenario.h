/* Scenario files: a network described in YAML, close to containerlab's
 * topology files (docs/scenario.md is the reference). Loading happens in
 * two steps: ib_scenario_parse turns the text into a plain description
 * (every value remembers the line:column it came from) and checks it, then
 * ib_scenario_build and ib_scenario_configure make a struct ib_world of
 * it. Every error is one line,
 * "file:line:col: what was expected", written into the caller's buffer. */
#ifndef INETBOX_SCENARIO_H
#define INETBOX_SCENARIO_H

#include "inetbox/link.h"
#include "inetbox/netif.h"
#include "inetbox/node.h"
#include "inetbox/world.h"

/* Enough for any message the loader writes plus a long file name. */
#define IB_SC_ERR_MAX 512

/* Where a key or value starts in the file, both counted from 1. */
struct ib_sc_pos {
    uint32_t line, col;
};

struct ib_sc_iface {
    char name[IB_IFNAME_MAX];
    struct ib_sc_pos pos;
    bool has_addr;
    ib_ip4 addr;
    uint8_t plen;
    struct ib_sc_pos addr_pos;
};

struct ib_sc_route {
    ib_ip4 prefix; /* "to"; default is 0.0.0.0/0 */
    uint8_t plen;
    ib_ip4 via;
    uint32_t iface; /* the node's interface on via's network */
    struct ib_sc_pos pos, to_pos, via_pos;
};

struct ib_sc_node {
    char name[IB_NAME_MAX];
    enum ib_node_kind kind;
    struct ib_sc_pos pos, kind_pos;
    struct ib_sc_iface *ifaces;
    uint32_t n_ifaces;
    struct ib_sc_route *routes;
    uint32_t n_routes;
};

/* "node:ifname" */
struct ib_sc_endpoint {
    uint32_t node; /* index in ib_scenario.nodes */
    char ifname[IB_IFNAME_MAX];
    struct ib_sc_pos pos;
};

struct ib_sc_link {
    struct ib_sc_endpoint ep[2];
    struct ib_link_params params; /* ib_link_defaults, then the file's keys */
    uint16_t mtu;                 /* 0: the interfaces' default */
    struct ib_sc_pos pos;
};

struct ib_scenario {
    char file[256]; /* as given, for messages */
    char name[64];
    uint64_t seed;  /* 1 if not given */
    ib_time stop;   /* IB_TIME_NEVER if not given */
    struct ib_sc_pos name_pos, seed_pos, stop_pos;
    struct ib_sc_node *nodes;
    uint32_t n_nodes;
    struct ib_sc_link *links;
    uint32_t n_links;
};

/* Parses and checks len bytes of YAML. file names the text in messages.
 * Returns 0, or IB_ERR_INVAL (err holds the message) or IB_ERR_NOMEM; sc
 * is to be freed with ib_scenario_free either way. */
int ib_scenario_parse(struct ib_scenario *sc, const char *file, const char *text, size_t len,
                      char *err, size_t errlen);
/* Reads path, then ib_scenario_parse. IB_ERR_IO if it cannot be read. */
int ib_scenario_load(struct ib_scenario *sc, const char *path, char *err, size_t errlen);
void ib_scenario_free(struct ib_scenario *sc);

/* A new world holding sc's nodes, interfaces and links, seeded with
 * sc->seed; NULL with err set on failure. Observers (a pcap writer wants
 * the links) go on between this and ib_scenario_configure, so that they
 * see the gratuitous ARPs the addresses bring. */
struct ib_world *ib_scenario_build(const struct ib_scenario *sc, char *err, size_t errlen);
/* Gives w (from ib_scenario_build(sc)) sc's addresses and routes: 0, or an
 * IB_ERR_ code with err set. */
int ib_scenario_configure(const struct ib_scenario *sc, struct ib_world *w, char *err,
                          size_t errlen);

#endif
