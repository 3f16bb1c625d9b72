/* TCP (RFC 9293) with the extensions a modern stack is expected to have:
 * MSS, window scale and timestamps with PAWS (RFC 7323), SACK (RFC 2018)
 * and SACK-based loss recovery (RFC 6675), RFC 6298 retransmission timers,
 * RFC 5681 congestion control with NewReno (RFC 6582) or CUBIC (RFC 9438),
 * initial window 10 (RFC 6928), delayed ACKs, Nagle, persist and keepalive,
 * RFC 6528 ISNs, RFC 5961 challenge ACKs and SYN cookies (RFC 4987).
 *
 * The API is event-driven (like lwIP's raw API): the application is called
 * back when a connection is established, has data, has room, is closed by
 * the peer or fails. Every state change is a trace event carrying the old
 * and new state and the segment or timer that caused it.
 *
 * Ownership: a connection handle stays valid until the application calls
 * ib_tcp_close() (or ib_tcp_abort()) on it — also after an error or a reset.
 * After that the stack finishes the connection (FIN handshake, TIME_WAIT)
 * and frees it on its own. */
#ifndef INETBOX_TCP_H
#define INETBOX_TCP_H

#include "inetbox/ipv4.h"
#include "inetbox/pkt.h"

enum ib_tcp_state {
    IB_TCP_CLOSED,
    IB_TCP_LISTEN,
    IB_TCP_SYN_SENT,
    IB_TCP_SYN_RECEIVED,
    IB_TCP_ESTABLISHED,
    IB_TCP_FIN_WAIT_1,
    IB_TCP_FIN_WAIT_2,
    IB_TCP_CLOSE_WAIT,
    IB_TCP_CLOSING,
    IB_TCP_LAST_ACK,
    IB_TCP_TIME_WAIT,
    IB_TCP__NSTATES
};
/* "SYN_SENT", ... as RFC 9293 names them (with underscores). */
const char *ib_tcp_state_name(enum ib_tcp_state s);

/* What made a connection change state (trace events, u.tcp.cause). */
enum ib_tcp_cause {
    IB_TCP_CAUSE_APP_OPEN,    /* connect() or listen() */
    IB_TCP_CAUSE_APP_CLOSE,   /* close() or shutdown() */
    IB_TCP_CAUSE_APP_ABORT,
    IB_TCP_CAUSE_SEGMENT,     /* a received segment (u.tcp.flags/seq/ack) */
    IB_TCP_CAUSE_RTO,         /* retransmissions gave up */
    IB_TCP_CAUSE_TIME_WAIT,   /* 2*MSL passed */
    IB_TCP_CAUSE_KEEPALIVE,   /* keepalive probes unanswered */
    IB_TCP_CAUSE_ICMP,        /* a hard ICMP error */
    IB_TCP_CAUSE_FAST_RETRANSMIT, /* retransmit events: duplicate ACKs / SACK */
    IB_TCP_CAUSE_PROBE,       /* zero-window probe */
};

/* Segment flag bits, as on the wire (RFC 9293 §3.1). */
#define IB_TCP_FIN 0x01u
#define IB_TCP_SYN 0x02u
#define IB_TCP_RST 0x04u
#define IB_TCP_PSH 0x08u
#define IB_TCP_ACK 0x10u
#define IB_TCP_URG 0x20u
#define IB_TCP_ECE 0x40u
#define IB_TCP_CWR 0x80u

enum ib_tcp_cc { IB_TCP_CC_NEWRENO, IB_TCP_CC_CUBIC };

/* Per-connection settings. A connection points at one of these (the
 * stack's cfg.tcp unless connect/listen are given another), so it must
 * outlive the connections that use it. */
struct ib_tcp_config {
    uint16_t mss;       /* our MSS; 0: the outgoing interface's MTU - 40 */
    uint32_t sndbuf;    /* send buffer bytes */
    uint32_t rcvbuf;    /* receive buffer bytes (the most we advertise) */
    uint32_t ooo_max;   /* bytes held out of order, at most */
    ib_time rto_min;    /* RFC 6298 (2.4) allows lower; default 200 ms */
    ib_time rto_max;    /* default 60 s, RFC 6298 (2.5) */
    ib_time rto_init;   /* default 1 s, RFC 6298 (2.1) */
    uint8_t max_retries; /* retransmissions of one segment before giving up */
    uint8_t syn_retries;
    ib_time msl;        /* TIME_WAIT lasts 2*msl; default 2 min (RFC 9293 §3.4.2) */
    ib_time delack;     /* delayed-ACK timer, at most 500 ms (RFC 1122 §4.2.3.2) */
    ib_time keepalive_idle; /* 0: keepalive off (RFC 1122 §4.2.3.6) */
    ib_time keepalive_intvl;
    uint8_t keepalive_cnt;
    uint8_t iw;         /* initial window in segments (RFC 6928: 10) */
    uint16_t backlog;   /* connections waiting for accept (SYN_RECEIVED included) */
    enum ib_tcp_cc cc;
    bool nagle;         /* RFC 9293 §3.7.4 */
    bool sack;          /* offer SACK-permitted */
    bool timestamps;    /* offer timestamps */
    bool wscale;        /* offer window scaling */
    bool syncookies;    /* answer SYNs with cookies when the backlog is full */
};
extern const struct ib_tcp_config ib_tcp_defaults;

struct ib_tcp;

/* Callbacks; any may be NULL. */
struct ib_tcp_ops {
    /* A listener produced an established connection. The new connection
     * inherits the listener's ops and arg; the callee may change them with
     * ib_tcp_set_ops(). It must ib_tcp_close() it when done. */
    void (*accepted)(struct ib_tcp *listener, struct ib_tcp *c, void *arg);
    void (*connected)(struct ib_tcp *c, void *arg);
    void (*readable)(struct ib_tcp *c, void *arg);  /* new data, or the peer's FIN */
    void (*writable)(struct ib_tcp *c, void *arg);  /* send buffer space freed */
    /* The connection failed: IB_ERR_RESET, IB_ERR_REFUSED, IB_ERR_TIMEOUT,
     * IB_ERR_UNREACH. It is CLOSED; the handle stays until ib_tcp_close(). */
    void (*error)(struct ib_tcp *c, int err, void *arg);
};

/* Opens a listener on laddr:port (laddr 0: any). NULL on error (port in
 * use, out of memory). cfg NULL: the stack's. */
struct ib_tcp *ib_tcp_listen(struct ib_stack *s, ib_ip4 laddr, uint16_t port,
                             const struct ib_tcp_ops *ops, void *arg,
                             const struct ib_tcp_config *cfg);
/* Active open toward dst:port from an ephemeral port. NULL if no route or
 * out of memory. */
struct ib_tcp *ib_tcp_connect(struct ib_stack *s, ib_ip4 dst, uint16_t port,
                              const struct ib_tcp_ops *ops, void *arg,
                              const struct ib_tcp_config *cfg);
void ib_tcp_set_ops(struct ib_tcp *c, const struct ib_tcp_ops *ops, void *arg);

/* Queues up to len bytes for sending; returns how many were queued (0 if
 * the buffer is full), or IB_ERR_CLOSED after shutdown/close or in a state
 * that cannot send. */
long ib_tcp_send(struct ib_tcp *c, const void *data, size_t len);
size_t ib_tcp_send_space(const struct ib_tcp *c);
/* Bytes queued but not yet acknowledged. */
size_t ib_tcp_send_pending(const struct ib_tcp *c);
/* Copies up to len received bytes; returns the count, 0 if none is
 * available (see ib_tcp_eof), or an error after a reset. Reading opens the
 * receive window. */
long ib_tcp_recv(struct ib_tcp *c, void *buf, size_t len);
size_t ib_tcp_readable(const struct ib_tcp *c);
/* True once the peer's FIN was received and all data before it read. */
bool ib_tcp_eof(const struct ib_tcp *c);
/* Half-close: a FIN follows the queued data (RFC 9293 §3.6). */
int ib_tcp_shutdown(struct ib_tcp *c);
/* Shutdown, and hand the connection to the stack: the application must
 * not use c again. Unread data makes this an abort (RFC 2525 §2.17). */
void ib_tcp_close(struct ib_tcp *c);
/* Sends RST (if synchronized) and frees the connection. */
void ib_tcp_abort(struct ib_tcp *c);

/* Connections of s that are not closed, those the stack finishes after
 * ib_tcp_close() included (listeners and the TIME_WAIT records left by
 * closed connections are not: they need nothing more from the peer). */
size_t ib_tcp_count(const struct ib_stack *s);
/* Aborts (ib_tcp_abort) every connection of s the application has closed
 * and the stack is still finishing, as an exiting host must: a peer then
 * gets a RST instead of waiting on silence. Returns how many. */
size_t ib_tcp_abort_closed(struct ib_stack *s);

enum ib_tcp_state ib_tcp_get_state(const struct ib_tcp *c);
void ib_tcp_endpoints(const struct ib_tcp *c, ib_ip4 *laddr, uint16_t *lport, ib_ip4 *raddr,
                      uint16_t *rport);

struct ib_tcp_info {
    enum ib_tcp_state state;
    uint32_t mss, cwnd, ssthresh, snd_wnd, rcv_wnd, inflight;
    ib_time srtt, rttvar, rto;
    uint64_t bytes_sent, bytes_acked, bytes_received;
    uint32_t segs_out, segs_in, retransmits, fast_retransmits, timeouts;
    bool sack, timestamps, wscale;
    uint8_t snd_wscale, rcv_wscale;
};
void ib_tcp_get_info(const struct ib_tcp *c, struct ib_tcp_info *out);

struct ib_stack;
struct ib_netif;
/* Stack side: a segment arrived (data at the TCP header). */
void ib_tcp_input(struct ib_stack *s, struct ib_netif *nif, struct ib_pkt *p,
                  const struct ib_ip4_hdr *ip);
/* An ICMP error quoting a segment we sent (RFC 5927 rules apply). */
void ib_tcp_icmp_error(struct ib_stack *s, ib_ip4 from, uint8_t type, uint8_t code, uint32_t info,
                       const uint8_t *quoted, size_t len);
/* Frees all TCP state of a stack (connections included, no segments sent). */
void ib_tcp_stack_destroy(struct ib_stack *s);

#endif
