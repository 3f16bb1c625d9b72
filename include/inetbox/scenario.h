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
    bool dhcp; /* configured by a DHCP client (RFC 2131) instead */
};

struct ib_sc_route {
    ib_ip4 prefix; /* "to"; default is 0.0.0.0/0 */
    uint8_t plen;
    ib_ip4 via;
    uint32_t iface; /* the node's interface on via's network */
    struct ib_sc_pos pos, to_pos, via_pos;
};

/* NAT (nat.h): a static port forward. */
struct ib_sc_forward {
    uint8_t proto; /* IB_IPPROTO_TCP or IB_IPPROTO_UDP */
    uint16_t port;
    ib_ip4 to;
    uint16_t to_port;
    struct ib_sc_pos pos;
};

struct ib_sc_nat {
    bool on;
    uint32_t outside; /* index in the node's ifaces */
    struct ib_sc_forward *forwards;
    uint32_t n_forwards;
    struct ib_sc_pos pos;
};

struct ib_sc_dhcp_server {
    bool on;
    uint32_t iface; /* index in the node's ifaces */
    ib_ip4 first, last, router;
    ib_ip4 dns[3];
    uint8_t n_dns;
    uint32_t lease_s;
    struct ib_sc_pos pos;
};

/* A master file (RFC 1035 §5), inline in the scenario. */
struct ib_sc_zone {
    char origin[256];
    char *text; /* owned */
    size_t len;
    struct ib_sc_pos pos;
};

struct ib_sc_dns_server {
    bool on;
    struct ib_sc_zone *zones;
    uint32_t n_zones;
    struct ib_sc_pos pos;
};

struct ib_sc_hint {
    char name[256];
    ib_ip4 addr;
};

struct ib_sc_resolver {
    bool on;
    struct ib_sc_hint *hints;
    uint32_t n_hints;
    struct ib_sc_pos pos;
};

struct ib_sc_http_file {
    char path[256];
    char type[128];
    char *body; /* owned */
    size_t len;
};

struct ib_sc_http_server {
    bool on;
    uint16_t port;
    struct ib_sc_http_file *files;
    uint32_t n_files;
    struct ib_sc_pos pos;
};

struct ib_sc_node {
    char name[IB_NAME_MAX];
    enum ib_node_kind kind;
    struct ib_sc_pos pos, kind_pos;
    struct ib_sc_iface *ifaces;
    uint32_t n_ifaces;
    struct ib_sc_route *routes;
    uint32_t n_routes;
    ib_ip4 resolv[3]; /* dns: the stub resolver's servers */
    uint8_t n_resolv;
    struct ib_sc_nat nat;
    struct ib_sc_dhcp_server dhcp_server;
    struct ib_sc_dns_server dns_server;
    struct ib_sc_resolver resolver;
    struct ib_sc_http_server http_server;
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

enum ib_sc_action {
    IB_SC_FETCH,     /* the node's browser fetches url */
    IB_SC_RESOLVE,   /* the node's stub resolver looks up name */
    IB_SC_PING,      /* count echo requests to addr */
    IB_SC_LINK_DOWN, /* the link of endpoint `link` */
    IB_SC_LINK_UP,
};

/* One action of the timeline, at a simulated time. */
struct ib_sc_action_item {
    ib_time at;
    enum ib_sc_action action;
    uint32_t node; /* FETCH, RESOLVE, PING */
    uint32_t link; /* LINK_DOWN, LINK_UP: index in links */
    char arg[1024]; /* FETCH: url; RESOLVE: name */
    ib_ip4 addr;    /* PING */
    uint32_t count; /* PING */
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
    struct ib_sc_action_item *timeline; /* sorted by time, file order for ties */
    uint32_t n_timeline;
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

/* A running scenario: its services, DHCP clients and timeline, started on
 * a configured world. */
struct ib_sc_run;

/* What a timeline action came to (reported when it finishes). */
struct ib_sc_result {
    const struct ib_sc_action_item *item;
    const char *node;
    ib_time t;
    int err;         /* 0 or an IB_ERR_ code */
    uint16_t status; /* FETCH: the HTTP status */
    size_t len;      /* FETCH: body bytes */
    const uint8_t *body; /* FETCH: valid during the callback */
    ib_ip4 addr;     /* RESOLVE: the answer; FETCH: the server */
    uint32_t sent, received; /* PING */
};
typedef void (*ib_sc_report_fn)(void *arg, const struct ib_sc_result *r);

/* Starts what sc asks of w (from ib_scenario_build/configure): NAT, DHCP
 * clients and servers, DNS servers and resolvers, HTTP servers, and the
 * timeline. report (may be NULL) hears each action's outcome. NULL with err
 * set on failure. */
struct ib_sc_run *ib_scenario_start(const struct ib_scenario *sc, struct ib_world *w,
                                    ib_sc_report_fn report, void *arg, char *err, size_t errlen);
/* Stops every application; call before ib_world_free. */
void ib_scenario_stop(struct ib_sc_run *r);

#endif
