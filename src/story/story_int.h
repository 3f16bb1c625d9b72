/* Inside the narrator: the recorded events, the story object, what the
 * classification found out about the fetch, and the text tables. */
#ifndef INETBOX_STORY_INT_H
#define INETBOX_STORY_INT_H

#include "inetbox/netif.h"
#include "inetbox/story.h"

#define STORY_NONE UINT32_MAX
#define STORY_JOURNEYS 16u /* datagrams of the client's we follow at once */

/* One event as recorded: the event itself with every pointer cleared, the
 * names it pointed to, and its strings and bytes copied into the arena. */
struct story_rec {
    struct ib_event ev;
    char node[IB_NAME_MAX];
    char nif[IB_IFNAME_MAX];
    ib_ip4 nif_addr;         /* the interface's address then */
    char out[IB_IFNAME_MAX]; /* IP_FORWARD: the outgoing interface */
    uint32_t str[4];         /* arena offsets; 0 is the empty string */
    uint32_t bytes, len;     /* packet bytes kept in the arena */
};

/* Strings of a record, by kind. */
enum { STR_QNAME, STR_ZONE, STR_NS };
enum { STR_METHOD, STR_HOST, STR_PATH, STR_URL };

struct ib_story {
    char client[IB_NAME_MAX];
    const struct ib_node *client_node; /* once seen */
    char *url;
    struct story_rec *recs;
    uint32_t n, cap, max;
    uint8_t *arena;
    size_t alen, acap, amax;
    uint64_t unrecorded;
    bool afail; /* an arena copy of the event being recorded failed */
    /* journeys of the client's SYNs and requests: their hops are kept */
    uint32_t journeys[STORY_JOURNEYS];
    uint32_t next_journey;
    struct ib_story_line *lines;
    size_t nlines, lcap;
    bool nomem; /* a line could not be added */
};

/* What classification found out, step by step. */
struct story_ctx {
    struct ib_story *st;
    uint32_t fetch, done; /* the browser's FETCH_START and FETCH_DONE */
    char host[256];
    uint16_t port;
    ib_ip4 dhcp_dns; /* from the client's lease */
    ib_ip4 server;   /* the address the name resolved to */
    uint32_t open;   /* client CLOSED -> SYN_SENT */
    ib_ip4 caddr, seen_addr;
    uint16_t cport, seen_port; /* the client as itself and as the server sees it */
    uint32_t syn_tx, syn_rx;   /* the SYN leaving the client, arriving at the server */
    uint32_t journey;          /* the SYN's */
    char server_node[IB_NAME_MAX];
    uint32_t frame; /* the client's frame carrying the HTTP request */
    ib_ip4 gw;
};

/* A TCP segment inside recorded IPv4 bytes (possibly cut short). */
struct seg_view {
    ib_ip4 src, dst;
    uint8_t ttl, proto, ihl, thl, flags;
    uint16_t tot_len, sport, dport;
    uint32_t seq, ack;
    const uint8_t *payload; /* within the kept bytes */
    size_t kept;            /* payload bytes kept */
    size_t payload_len;     /* payload bytes by the IP total length */
};
bool story_seg_view(const uint8_t *b, size_t len, struct seg_view *v);

static inline const struct story_rec *story_rec(const struct story_ctx *c, uint32_t i)
{
    return &c->st->recs[i];
}
static inline const char *story_str(const struct ib_story *st, const struct story_rec *r, int i)
{
    return (const char *)st->arena + r->str[i];
}
static inline const uint8_t *story_bytes(const struct ib_story *st, const struct story_rec *r)
{
    return st->arena + r->bytes;
}
static inline bool story_at(const struct story_rec *r, const char *node)
{
    return strcmp(r->node, node) == 0;
}

/* A new line of step `step`; r (may be NULL) gives its time, node and
 * layer. Returns NULL (and marks the story) when out of memory. */
struct ib_story_line *story_line(struct story_ctx *c, uint8_t step, uint16_t what,
                                 const struct story_rec *r);
void story_copy(char *dst, size_t cap, const char *src);
/* Steps 3 to 10 need the connection; without it, a line says so. */
bool story_connected(struct story_ctx *c, uint8_t step);
/* The first delivery (IP_RX) of a journey's datagram away from the client,
 * from record `from` on; STORY_NONE if none. */
uint32_t story_delivery(const struct story_ctx *c, uint32_t journey, uint32_t from);
bool story_is_client(const struct story_ctx *c, const struct story_rec *r);
/* The client's own parse of a kept TCP datagram. */
bool story_seg_of(const struct story_ctx *c, const struct story_rec *r, struct seg_view *v);

/* The steps, in story_app.c (DHCP, DNS, HTTP) and story_path.c (the
 * packet's path and the TCP connection). */
void story_step_dhcp(struct story_ctx *c);
void story_step_dns(struct story_ctx *c);
void story_step_build(struct story_ctx *c);
void story_step_arp_gateway(struct story_ctx *c);
void story_step_nat(struct story_ctx *c);
void story_step_routing(struct story_ctx *c);
void story_step_arp_last_hop(struct story_ctx *c);
void story_step_tcp(struct story_ctx *c);
void story_step_server(struct story_ctx *c);

/* The wording of one language. Templates name line parameters in braces
 * (story_render.c lists them). */
#define STORY_CAUSES 10 /* enum ib_tcp_cause */
#define STORY_ERRS 20   /* -enum ib_err */
struct story_text {
    const char *title;      /* {s0} URL, {node} client */
    const char *heading;    /* {n0} step number, {s0} step title */
    const char *note;       /* the label in front of notes */
    const char *unrecorded; /* {s0} how many events */
    const char *unit_s, *unit_ms;
    const char *steps[IB_STEP_COUNT + 1];
    const char *what[IB_SW__COUNT];
    const char *causes[STORY_CAUSES];
    const char *const *errs; /* NULL: ib_err_str */
};
extern const struct story_text ib_story_text_en;
extern const struct story_text ib_story_text_ko;
const struct story_text *story_text(enum ib_lang lang);

#endif
