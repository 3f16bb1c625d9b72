/* Applications that run on a stack, event-driven like lwIP's raw API:
 *
 * - ping: ICMP echo requests at a fixed interval (RFC 792 "Echo or Echo
 *   Reply Message"), round-trip times, duplicates and ICMP errors, with the
 *   statistics the classic ping prints.
 * - traceroute: UDP probes to ports 33434 and up with TTL 1, 2, 3 ...; each
 *   router where the TTL runs out answers with ICMP time exceeded (RFC 792,
 *   RFC 1812 §5.3.1) and the destination with port unreachable (RFC 1122
 *   §4.1.3.1), which ends the trace.
 *
 * Both report each result to a callback (the CLI prints them) and emit an
 * IB_EV_APP trace event for every other observer. */
#ifndef INETBOX_APPS_H
#define INETBOX_APPS_H

#include "inetbox/stack.h"

/* Emits an IB_EV_APP event from stack s (nothing if no one is tracing). */
void ib_app_emit(struct ib_stack *s, const char *what, ib_ip4 peer, uint32_t seq, uint32_t ttl,
                 ib_time rtt);

enum ib_ping_kind {
    IB_PING_REPLY, /* an echo reply to a request we sent */
    IB_PING_DUP,   /* another reply to an already answered request */
    IB_PING_ERROR, /* an ICMP error quoting one of our requests */
};

struct ib_ping_result {
    enum ib_ping_kind kind;
    uint16_t seq;
    ib_ip4 from;
    uint8_t ttl;         /* of the reply */
    uint8_t type, code;  /* IB_PING_ERROR: the ICMP error */
    uint32_t bytes;      /* ICMP message length (header + data) */
    ib_time rtt;
};

struct ib_ping;
typedef void (*ib_ping_report_fn)(struct ib_ping *p, const struct ib_ping_result *r);

struct ib_ping_config {
    ib_ip4 dst;
    uint32_t count;   /* requests to send, at least 1 */
    uint32_t size;    /* data bytes after the ICMP header */
    ib_time interval; /* between requests */
    ib_time timeout;  /* how long to wait for replies after the last request */
    uint16_t id;      /* ICMP identifier */
    uint8_t ttl;      /* 0: the stack's default */
};
extern const struct ib_ping_config ib_ping_defaults;

struct ib_ping_stats {
    uint32_t transmitted, received, duplicates, errors;
    ib_time rtt_min, rtt_max, rtt_sum;
    double rtt_sumsq; /* ns², for the mean deviation */
    ib_time first_tx, last_tx;
};

/* Send times of the last IB_PING_WINDOW requests, by sequence number; a
 * reply older than that is ignored. A power of two dividing 65536, so the
 * 16-bit sequence number wraps onto the same slots. */
#define IB_PING_WINDOW 256u

struct ib_ping {
    struct ib_stack *stack;
    struct ib_icmp_echo echo;
    struct ib_ping_config cfg;
    struct ib_timer timer;
    uint32_t answered; /* requests with at least one reply or error */
    bool done;         /* all answered, or the timeout after the last passed */
    ib_ping_report_fn report;
    void *arg;
    /* Called once when done becomes true (may be NULL; set after start). */
    void (*finished)(struct ib_ping *p);
    struct ib_ping_stats stats;
    struct {
        ib_time sent;
        uint16_t seq;
        bool used, answered;
    } win[IB_PING_WINDOW];
};

/* Starts pinging cfg->dst from s; the first request leaves at once (from
 * the event loop). report may be NULL. Returns 0 or IB_ERR_INVAL. */
int ib_ping_start(struct ib_ping *p, struct ib_stack *s, const struct ib_ping_config *cfg,
                  ib_ping_report_fn report, void *arg);
/* Stops sending and closes the echo endpoint (safe to call twice). */
void ib_ping_stop(struct ib_ping *p);

#define IB_TRACEROUTE_MAX_QUERIES 10u

struct ib_traceroute_probe {
    bool answered;
    ib_ip4 from;
    uint8_t type, code; /* the ICMP message that answered */
    ib_time rtt;
};

struct ib_traceroute_hop {
    uint8_t ttl;
    uint8_t n; /* probes sent at this TTL */
    struct ib_traceroute_probe probe[IB_TRACEROUTE_MAX_QUERIES];
};

struct ib_traceroute;
typedef void (*ib_traceroute_report_fn)(struct ib_traceroute *t,
                                        const struct ib_traceroute_hop *h);

struct ib_traceroute_config {
    ib_ip4 dst;
    uint8_t first_ttl, max_ttl;
    uint8_t queries;  /* probes per hop, 1..IB_TRACEROUTE_MAX_QUERIES */
    uint16_t port;    /* destination port of the first probe */
    uint32_t size;    /* UDP data bytes */
    ib_time timeout;  /* wait for each probe's answer */
};
extern const struct ib_traceroute_config ib_traceroute_defaults;

struct ib_traceroute {
    struct ib_stack *stack;
    struct ib_udp_pcb pcb;
    struct ib_traceroute_config cfg;
    struct ib_timer timer;
    struct ib_traceroute_hop hop;
    uint32_t probes;   /* sent so far; the current probe's port is cfg.port + probes - 1 */
    ib_time sent_at;   /* of the current probe */
    bool waiting;      /* the current probe has no answer yet */
    bool reached;      /* a destination unreachable came back: last hop */
    bool done;
    ib_traceroute_report_fn report;
    void *arg;
};

/* Starts tracing the route from s to cfg->dst. report (may be NULL) is
 * called once per hop when all its probes are answered or timed out.
 * Returns 0, IB_ERR_INVAL or the error of binding the UDP port. */
int ib_traceroute_start(struct ib_traceroute *t, struct ib_stack *s,
                        const struct ib_traceroute_config *cfg, ib_traceroute_report_fn report,
                        void *arg);
void ib_traceroute_stop(struct ib_traceroute *t);

#endif
