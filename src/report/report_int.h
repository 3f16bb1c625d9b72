/* Inside the report: what is recorded, as plain arrays the writer turns
 * into JSON. Nodes and interfaces are interned (pointer -> index) as they
 * are first seen; every record refers to them by index. */
#ifndef INETBOX_REPORT_INT_H
#define INETBOX_REPORT_INT_H

#include "inetbox/link.h"
#include "inetbox/netif.h"
#include "inetbox/report.h"
#include "inetbox/route.h"

#define RP_NONE UINT32_MAX

/* Pointer (or any 64-bit key) -> index, open addressing. The caller checks
 * that a found index really holds its key: slots keep only the hash. */
struct rp_map {
    uint64_t *keys;
    uint32_t *vals; /* index + 1; 0 empty */
    uint32_t cap, n;
};

struct rp_node {
    const struct ib_node *n; /* NULL after the snapshot */
    char name[IB_NAME_MAX];
    uint8_t kind;                   /* enum ib_node_kind */
    uint32_t first_route, n_routes; /* into routes, set by the snapshot */
    uint32_t last_rx;               /* the frame that arrived here last */
};

struct rp_nif {
    const struct ib_netif *nif; /* NULL after the snapshot */
    uint32_t node;
    char name[IB_IFNAME_MAX];
    struct ib_mac mac;
    ib_ip4 addr;
    uint8_t plen;
    uint16_t mtu;
    uint32_t peer, link;           /* RP_NONE: not on a known link */
    ib_time dhcp_since;            /* -1: the address is not from a DHCP lease */
    uint32_t pend_head, pend_tail; /* frames sent here, not arrived yet */
};

struct rp_link {
    uint32_t a, b; /* interfaces */
    struct ib_link_params p;
};

enum { RP_F_LOST = 1, RP_F_DUP = 2, RP_F_CORRUPT = 4, RP_F_DOWN = 8 };

struct rp_frame {
    ib_time t_tx, t_rx; /* t_rx -1: never arrived */
    uint32_t from, to;  /* interfaces; RP_NONE: outside */
    uint32_t len, caplen;
    size_t off; /* bytes in the arena */
    uint32_t journey;
    uint32_t pend_next;
    uint32_t drop; /* the drop at the receiver (its rank among drops), or RP_NONE */
    uint8_t flags;
};

/* Events kept for the tables and annotations: the kinds the page uses,
 * with the strings copied (offsets into the string arena). */
struct rp_event {
    ib_time t;
    uint8_t kind; /* enum ib_ev_kind */
    uint32_t node, nif;
    uint32_t journey;
    uint32_t frame;     /* drops: the frame dropped, or RP_NONE */
    ib_time expires;    /* ARP_LEARN: when the entry expires */
    uint32_t str[4];    /* arena offsets (0 is "") */
    struct ib_event ev; /* pointers cleared */
};

struct rp_conn {
    uint32_t node;
    ib_ip4 laddr, raddr;
    uint16_t lport, rport;
    uint32_t first, last; /* samples, linked through rp_sample.next */
    uint32_t n;
};

struct rp_sample {
    ib_time t;
    uint8_t kind; /* IB_EV_TCP_STATE / INFO / RETRANSMIT */
    uint32_t next;
    struct ib_event ev; /* u.tcp; pointers cleared */
};

struct rp_route {
    struct ib_route r;
    uint32_t nif;
    ib_time since;
};

struct rp_story_line {
    struct ib_story_line l;
    uint32_t text[IB_LANG_COUNT];
};

struct ib_report {
    struct ib_report_limits lim;
    char *title;
    bool live;
    int64_t epoch;
    ib_time end;

    struct rp_node *nodes;
    uint32_t n_nodes, cap_nodes;
    struct rp_map node_map;
    struct rp_nif *nifs;
    uint32_t n_nifs, cap_nifs;
    struct rp_map nif_map;
    struct rp_link *links;
    uint32_t n_links, cap_links;

    struct rp_frame *frames;
    uint32_t n_frames, cap_frames;
    uint64_t unrecorded, unrecorded_events, unmatched_rx;
    uint8_t *bytes;
    size_t n_bytes, cap_bytes;

    struct rp_event *events;
    uint32_t n_events, cap_events;
    uint32_t n_drops; /* events of kind IB_EV_DROP */
    char *strs;
    size_t n_strs, cap_strs;

    struct rp_conn *conns;
    uint32_t n_conns, cap_conns;
    struct rp_map conn_map;
    struct rp_sample *samples;
    uint32_t n_samples, cap_samples;

    struct rp_route *routes;
    uint32_t n_routes, cap_routes;

    bool has_story;
    uint32_t story_title[IB_LANG_COUNT];
    uint32_t story_steps[IB_STEP_COUNT + 1][IB_LANG_COUNT];
    struct rp_story_line *lines;
    uint32_t n_lines, cap_lines;

    bool frozen; /* snapshot taken: later events are not the run's */
    bool nomem;  /* something could not be recorded for want of memory */
};

/* Grows *arr (elements of size elem) to hold at least n + 1; false if out
 * of memory. */
bool rp_grow(void **arr, uint32_t *cap, uint32_t n, size_t elem);
/* The index stored for key, its slot tested by same(ctx, index); RP_NONE. */
uint32_t rp_map_find(const struct rp_map *m, uint64_t key,
                     bool (*same)(const struct ib_report *, uint32_t, const void *),
                     const struct ib_report *r, const void *k);
int rp_map_put(struct rp_map *m, uint64_t key, uint32_t idx);
void rp_map_free(struct rp_map *m);

/* Copies s into the string arena; 0 (the empty string) for NULL or "". */
uint32_t rp_str(struct ib_report *r, const char *s);
static inline const char *rp_str_at(const struct ib_report *r, uint32_t off)
{
    return off ? r->strs + off : "";
}

/* The index of a node / interface, interned on first sight; RP_NONE if out
 * of memory. */
uint32_t rp_node(struct ib_report *r, const struct ib_node *n);
uint32_t rp_nif(struct ib_report *r, const struct ib_netif *nif);

/* The frame recorder (report_frames.c). */
void rp_wire_tx(struct ib_report *r, const struct ib_event *ev);
void rp_wire_rx(struct ib_report *r, const struct ib_event *ev);
/* A drop: links it to the frame it concerns (lost on the wire, or dropped
 * where it arrived). */
uint32_t rp_drop_frame(struct ib_report *r, const struct ib_event *ev, uint32_t node);
/* The link went down: what was in flight from nif never arrives. */
void rp_link_down(struct ib_report *r, uint32_t nif);

/* The data object (report_json.c), as is: the caller escapes it for HTML. */
void rp_put_json(FILE *f, const struct ib_report *r);

#endif
