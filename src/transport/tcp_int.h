/* TCP internals shared by the tcp_*.c files: the connection block (TCB),
 * the per-stack TCP state, and the interfaces between the core (input,
 * output, timers, API) and its parts (congestion control, SACK scoreboard,
 * ISNs and SYN cookies, buffers). Not part of the public API. */
#ifndef INETBOX_TCP_INT_H
#define INETBOX_TCP_INT_H

#include "inetbox/stack.h"
#include "inetbox/tcp.h"
#include "inetbox/tcp_wire.h"

/* A byte ring: the send buffer (unacknowledged + unsent data, starting at
 * snd_una) and the receive buffer (in-order data the app has not read).
 * Storage grows on demand up to the configured size, so an idle connection
 * costs no buffer memory. The capacity lives in a small header in front of
 * the storage (ib_tcp_ring_cap), which keeps the ring 16 bytes in the TCB. */
struct ib_tcp_ring {
    uint8_t *b;
    uint32_t head, len;
};
uint32_t ib_tcp_ring_cap(const struct ib_tcp_ring *r);
int ib_tcp_ring_reserve(struct ib_tcp_ring *r, uint32_t want, uint32_t limit);
uint32_t ib_tcp_ring_write(struct ib_tcp_ring *r, const void *src, uint32_t n, uint32_t limit);
/* Copies n bytes starting off bytes after the head (no consumption). */
void ib_tcp_ring_peek(const struct ib_tcp_ring *r, uint32_t off, void *dst, uint32_t n);
/* Copies like peek and returns the partial Internet checksum of the copied
 * bytes (off may be odd; the sum is for the bytes as they land in dst). */
uint64_t ib_tcp_ring_peek_csum(const struct ib_tcp_ring *r, uint32_t off, void *dst, uint32_t n);
/* Receive fast path: copies up to n bytes into the free space after the
 * ring's bytes without adding them (at most limit in all), and returns in
 * *sum the partial checksum of all n bytes (those that did not fit too).
 * Returns how many were copied; ib_tcp_ring_commit adds them once the
 * checksum proved good, valid while ib_tcp_ring_tail and the storage are
 * unchanged. */
uint32_t ib_tcp_ring_stage_csum(struct ib_tcp_ring *r, const void *src, uint32_t n,
                                uint32_t limit, uint64_t *sum);
void ib_tcp_ring_commit(struct ib_tcp_ring *r, uint32_t n);
/* Where the next byte written will go. */
uint32_t ib_tcp_ring_tail(const struct ib_tcp_ring *r);
uint32_t ib_tcp_ring_read(struct ib_tcp_ring *r, void *dst, uint32_t n);
void ib_tcp_ring_drop(struct ib_tcp_ring *r, uint32_t n);
void ib_tcp_ring_free(struct ib_tcp_ring *r);

/* SACK scoreboard (RFC 6675 §3-4): blocks the peer reported above
 * snd_una, merged and sorted. Bounded: when full, the highest blocks are
 * forgotten, which is conservative (data counts as not SACKed). */
#define IB_TCP_SB_MAX 4u /* keeps the TCB within 320 bytes */
struct ib_tcp_sb {
    struct ib_tcp_sack_block b[IB_TCP_SB_MAX];
    uint32_t high_rxt;    /* HighRxt */
    uint32_t rescue_rxt;  /* RescueRxt */
    uint8_t n;
};

/* Congestion control state (RFC 5681 variables live in the TCB). */
struct ib_tcp_cubic {
    uint32_t w_max;       /* bytes, before the last reduction */
    uint32_t w_est;       /* Reno-friendly estimate (RFC 9438 §4.3) */
    uint32_t k_us;        /* K, microseconds */
    uint32_t epoch_us;    /* start of the current CA epoch, 0: none */
    uint32_t cwnd_prior;
    uint32_t ack_bytes;
};

/* The TCB. Budget: 320 bytes on x86-64 (tcp_api.c asserts it), so fields
 * that are never needed at the same time share storage. */
struct ib_tcp {
    struct ib_tcp *hnext;      /* hash chain, or listener list */
    struct ib_stack *stack;
    const struct ib_tcp_ops *ops;
    union {
        void *arg;
        /* IB_TCPF_CHILD (SYN_RECEIVED, not yet accepted): our listener; its
         * ops and arg are copied in when the connection is established. */
        struct ib_tcp *listener;
    };
    const struct ib_tcp_config *cfg;
    /* Out-of-order segments, sorted, data at payload (tcp_in.c keeps each
     * one's sequence number in the header bytes just before it). */
    struct ib_pkt *ooo;
    struct ib_tcp_ring snd, rcv;
    struct ib_timer timer;     /* the earliest of the deadlines below */
    /* Retransmission, persist (IB_TCPF_PERSIST), keepalive
     * (IB_TCPF_KEEPALIVE), FIN_WAIT_2 or TIME_WAIT deadline; IB_TIME_NEVER
     * when off. */
    ib_time rto_at;
    /* Delayed-ACK deadline on the microsecond clock (ib_tcp_now_us),
     * valid while IB_TCPF_DELACK is set. */
    uint32_t delack_us;

    ib_ip4 laddr, raddr;
    uint16_t lport, rport;
    uint8_t state;
    uint8_t backoff;           /* RTO doublings */
    uint8_t retries;           /* retransmissions, or keepalive probes */
    uint32_t flags;            /* IB_TCPF_* */

    /* RFC 9293 §3.3.1 send sequence variables */
    uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
    uint32_t max_snd_wnd;      /* largest window the peer offered (RFC 9293 §3.8.6.2.1) */
    /* receive sequence variables */
    uint32_t irs, rcv_nxt, rcv_adv; /* rcv_adv: right edge we advertised */
    /* Packet memory held by the out-of-order queue; in a listener: its
     * children in SYN_RECEIVED (the backlog). */
    uint32_t ooo_bytes;
    uint16_t mss;              /* effective send MSS (SMSS), options excluded */
    uint8_t snd_wscale, rcv_wscale;

    union {
        /* RFC 7323 (IB_TCPF_TS) */
        struct {
            uint32_t ts_recent, ts_recent_age; /* age in ms ticks */
        };
        /* RFC 6298 timed segment without timestamps (IB_TCPF_RTT_TIMING) */
        struct {
            uint32_t rtt_seq, rtt_start_us;
        };
    };
    uint32_t last_ack_sent;

    /* RFC 6298, microseconds (valid with IB_TCPF_RTT_VALID) */
    uint32_t srtt_us, rttvar_us;

    /* RFC 5681 / 6582 */
    uint32_t cwnd, ssthresh, recover;
    uint32_t bytes_acked;      /* RFC 3465 byte counting in CA */
    struct ib_tcp_cubic cubic;
    struct ib_tcp_sb sb;

    /* statistics; the byte totals are snd_una - iss - 1 and rcv_nxt - irs
     * - 1 plus 2^32 times these wrap counts (ib_tcp_get_info) */
    uint8_t acked_wraps, rcvd_wraps; /* stats wrap after 1 TiB */
    uint16_t dupacks;
    uint32_t segs_out, segs_in, retransmits;
    uint16_t fast_retransmits, timeouts;
};

/* flags */
#define IB_TCPF_ACK_NOW 0x0001u    /* send an ACK at the end of input */
#define IB_TCPF_DELACK 0x0002u     /* an ACK is owed (delayed), by delack_us */
#define IB_TCPF_FIN_QUEUED 0x0004u /* app shut down; FIN after the data */
#define IB_TCPF_FIN_SENT 0x0008u
#define IB_TCPF_FIN_RCVD 0x0010u
#define IB_TCPF_SACK 0x0020u       /* SACK agreed */
#define IB_TCPF_TS 0x0040u         /* timestamps agreed */
#define IB_TCPF_WS 0x0080u         /* window scaling agreed */
#define IB_TCPF_RECOVERY 0x0100u   /* in fast recovery */
#define IB_TCPF_CLOSED_BY_APP 0x0200u /* the app released the handle */
#define IB_TCPF_NODELAY 0x0400u    /* Nagle off */
#define IB_TCPF_PERSIST 0x0800u    /* rto_at is the persist timer */
#define IB_TCPF_ACCEPTED 0x1000u   /* handed to the app */
#define IB_TCPF_IN_INPUT 0x2000u   /* inside input processing: defer frees */
#define IB_TCPF_RESET 0x4000u      /* ended by a RST: recv reports it */
#define IB_TCPF_RTT_VALID 0x8000u  /* srtt_us/rttvar_us hold a measurement */
#define IB_TCPF_CHILD 0x10000u     /* listener (not arg) is set */
#define IB_TCPF_RTT_TIMING 0x20000u /* rtt_seq is being timed (Karn) */
#define IB_TCPF_HASHED 0x40000u    /* in the hash, the listener or the parked list */
#define IB_TCPF_KEEPALIVE 0x80000u /* rto_at is the keepalive timer */
#define IB_TCPF_RTO_3S 0x100000u   /* RFC 6298 (5.7): SYN timed out, RTO 3 s */

/* A TIME_WAIT connection shrinks to this record (the TCB is freed). */
struct ib_tcp_tw {
    struct ib_tcp_tw *hnext, *qnext;
    ib_ip4 laddr, raddr;
    uint16_t lport, rport;
    uint32_t snd_nxt, rcv_nxt;
    uint32_t ts_recent;
    uint16_t rcv_wnd;
    uint8_t flags; /* IB_TCPF_TS, for answering with timestamps */
    ib_time expires;
};

struct ib_tcp_mib {
    uint64_t active_opens, passive_opens, attempt_fails, estab_resets, segs_in, segs_out,
        retrans_segs, in_errs, out_rsts, syncookies_sent, syncookies_recv, syncookies_failed,
        challenge_acks;
};

/* Per-stack TCP state, allocated when the stack first uses TCP. */
struct ib_tcp_stack {
    struct ib_stack *stack;
    struct ib_tcp **hash;      /* 4-tuple hash of connections (not listeners) */
    uint32_t hash_mask, n_conns;
    struct ib_tcp *listeners;
    struct ib_tcp *parked;     /* CLOSED connections the app still holds */
    struct ib_tcp_tw **tw_hash;
    uint32_t tw_mask, n_tw;
    struct ib_tcp_tw *tw_head, *tw_tail; /* expiry order (all 2*MSL long) */
    struct ib_timer tw_timer;
    uint8_t isn_key[16];
    uint8_t cookie_key[16];
    struct ib_tcp_mib mib;
};

/* Congestion control: the core calls these; they only touch cwnd,
 * ssthresh and their own state. acked is in bytes. */
struct ib_tcp_cc_ops {
    const char *name;
    void (*init)(struct ib_tcp *c);
    /* New data acknowledged, not in recovery: grow cwnd (RFC 5681 §3.1). */
    void (*ack)(struct ib_tcp *c, uint32_t acked, uint32_t now_us);
    /* Loss detected by duplicate ACKs or SACK: set ssthresh (and the
     * algorithm's state); the core then sets cwnd per RFC 6582/6675. */
    void (*loss)(struct ib_tcp *c, uint32_t now_us);
    /* Retransmission timeout (RFC 5681 (4)): ssthresh, cwnd = 1 SMSS.
     * Call it before incrementing c->backoff: with backoff > 0 (a repeated
     * timeout) ssthresh is held constant, as RFC 5681 §3.1 requires. */
    void (*timeout)(struct ib_tcp *c, uint32_t now_us);
    /* Fast recovery is over (RFC 6582 §3.2 step 3). */
    void (*recovered)(struct ib_tcp *c, uint32_t now_us);
};
extern const struct ib_tcp_cc_ops ib_tcp_cc_newreno;
extern const struct ib_tcp_cc_ops ib_tcp_cc_cubic;
const struct ib_tcp_cc_ops *ib_tcp_cc_for(enum ib_tcp_cc cc);
/* Bytes sent and not yet acknowledged. */
static inline uint32_t ib_tcp_flight(const struct ib_tcp *c) { return c->snd_max - c->snd_una; }

/* SACK scoreboard (tcp_sack.c). */
void ib_tcp_sb_reset(struct ib_tcp_sb *sb);
/* Merges the blocks of a received ACK (only those above snd_una and not
 * beyond snd_max: RFC 2018 §5 / RFC 6675 §5 (D-SACK ignored)). */
void ib_tcp_sb_update(struct ib_tcp *c, const struct ib_tcp_opts *o);
/* Forgets blocks below the new snd_una. */
void ib_tcp_sb_advance(struct ib_tcp *c);
bool ib_tcp_sb_is_sacked(const struct ib_tcp *c, uint32_t seq);
/* RFC 6675 §4 IsLost(seq) with DupThresh 3. */
bool ib_tcp_sb_is_lost(const struct ib_tcp *c, uint32_t seq);
/* RFC 6675 §4 SetPipe(): octets in flight. */
uint32_t ib_tcp_sb_pipe(const struct ib_tcp *c);
/* RFC 6675 §4 NextSeg(): the next segment to send in recovery, as
 * [*seq, *seq + *len). False if none may be sent. */
bool ib_tcp_sb_next_seg(struct ib_tcp *c, uint32_t *seq, uint32_t *len);
uint32_t ib_tcp_sb_sacked_bytes(const struct ib_tcp *c);
/* Call on entering SACK-based loss recovery (RFC 6675 §5 step 4): resets
 * HighRxt to HighACK and makes RescueRxt "undefined". ib_tcp_sb_next_seg()
 * assumes the segment it returns is sent (it advances HighRxt) and uses
 * c->recover as RecoveryPoint; rule (2) (new data) uses c->snd.len and
 * snd_wnd. */
void ib_tcp_sb_enter_recovery(struct ib_tcp *c);
/* Receiver side, for OUR SACK option (RFC 2018 §4): blocks[0..*n) is the
 * list to report, most recent first. note_rcvd records an out-of-order
 * segment [start, end) just received: it becomes (merged with the blocks it
 * touches) the first block, the others keep their order, at most max are
 * kept (max <= IB_TCP_MAX_SACK). rcv_advance drops/clips blocks at or below
 * rcv_nxt once the cumulative ACK moves. Emit min(*n, 3 with timestamps,
 * else 4) of them. */
void ib_tcp_sack_note_rcvd(struct ib_tcp_sack_block *blocks, uint8_t *n, uint8_t max,
                           uint32_t start, uint32_t end);
void ib_tcp_sack_rcv_advance(struct ib_tcp_sack_block *blocks, uint8_t *n, uint32_t rcv_nxt);

/* ISNs and SYN cookies (tcp_isn.c). */
uint64_t ib_siphash24(const uint8_t key[16], const void *data, size_t len);
/* RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport,
 * secretkey), M a 4-microsecond clock. */
uint32_t ib_tcp_isn(const struct ib_tcp_stack *ts, ib_time now, ib_ip4 laddr, uint16_t lport,
                    ib_ip4 raddr, uint16_t rport);
/* RFC 4987 §3.6 SYN cookie for a SYN with sequence peer_isn: our ISN,
 * encoding a coarse time, the MSS (from a table) and a keyed hash. */
uint32_t ib_tcp_cookie_make(const struct ib_tcp_stack *ts, ib_time now, ib_ip4 laddr,
                            uint16_t lport, ib_ip4 raddr, uint16_t rport, uint32_t peer_isn,
                            uint16_t mss);
/* Checks the ACK of a cookie handshake (cookie = ack - 1, peer_isn = seq
 * - 1). Returns the MSS it encoded, or 0 if invalid or too old. */
uint16_t ib_tcp_cookie_check(const struct ib_tcp_stack *ts, ib_time now, ib_ip4 laddr,
                             uint16_t lport, ib_ip4 raddr, uint16_t rport, uint32_t peer_isn,
                             uint32_t cookie);

static inline uint32_t ib_tcp_now_us(const struct ib_env *env) { return (uint32_t)(ib_now(env) / 1000); }


/* An out-of-order segment keeps its (trimmed) sequence number in the 4
 * bytes before its payload and a mark byte before that: those bytes
 * belonged to its TCP header, which was parsed and is not needed again. */
#define IB_TCP_OOO_FIN 0x1u    /* the segment carried a FIN */
#define IB_TCP_OOO_RECENT 0x2u /* the most recently received one (RFC 2018 §4) */
static inline uint32_t ib_tcp_ooo_seq(const struct ib_pkt *p)
{
    uint32_t v;
    memcpy(&v, p->data - 4, sizeof(v));
    return v;
}
static inline uint8_t *ib_tcp_ooo_mark(const struct ib_pkt *p) { return p->data - 5; }
/* The queue's head keeps, in the 24 header bytes before its mark (a TCP
 * and an IP header, 40 bytes at least, always preceded the payload), the
 * queue's last packet and the one marked IB_TCP_OOO_RECENT (NULL if none),
 * so that the usual arrival, above all that is queued, costs O(1); and
 * the first packet of the last run of contiguous segments, NULL when the
 * runs must be found again (ib_tcp_ooo_run_last is then stale). */
struct ib_tcp_ooo_ends {
    struct ib_pkt *tail, *recent, *run_first;
};
static inline struct ib_tcp_ooo_ends ib_tcp_ooo_ends_get(const struct ib_pkt *head)
{
    struct ib_tcp_ooo_ends e;
    memcpy(&e, head->data - 5 - sizeof(e), sizeof(e));
    return e;
}
static inline void ib_tcp_ooo_ends_set(struct ib_pkt *head, struct ib_tcp_ooo_ends e)
{
    memcpy(head->data - 5 - sizeof(e), &e, sizeof(e));
}
/* The first packet of a run keeps the run's last packet in the 8 bytes
 * before those, so that SACK blocks (RFC 2018 §4) cost O(runs). */
static inline struct ib_pkt *ib_tcp_ooo_run_last(const struct ib_pkt *first)
{
    struct ib_pkt *last;
    memcpy(&last, first->data - 5 - sizeof(struct ib_tcp_ooo_ends) - sizeof(last), sizeof(last));
    return last;
}
static inline void ib_tcp_ooo_set_run_last(struct ib_pkt *first, struct ib_pkt *last)
{
    memcpy(first->data - 5 - sizeof(struct ib_tcp_ooo_ends) - sizeof(last), &last, sizeof(last));
}

/* Core internals (tcp_api.c, tcp_in.c, tcp_out.c, tcp_timer.c). */

/* The per-stack state, allocated on first use; NULL if out of memory. */
struct ib_tcp_stack *ib_tcp_stack_get(struct ib_stack *s);
struct ib_tcp *ib_tcp_lookup(const struct ib_tcp_stack *ts, ib_ip4 laddr, uint16_t lport,
                             ib_ip4 raddr, uint16_t rport);
/* The listener for laddr:lport (one bound to laddr beats a wildcard). */
struct ib_tcp *ib_tcp_listener_find(const struct ib_tcp_stack *ts, ib_ip4 laddr, uint16_t lport);
struct ib_tcp_tw *ib_tcp_tw_lookup(const struct ib_tcp_stack *ts, ib_ip4 laddr, uint16_t lport,
                                   ib_ip4 raddr, uint16_t rport);
/* Restarts a record's 2*MSL (a retransmitted FIN was answered). */
void ib_tcp_tw_restart(struct ib_stack *s, struct ib_tcp_tw *tw);
/* Ends a TIME_WAIT record early (RST, or a new SYN reusing its ports). */
void ib_tcp_tw_kill(struct ib_stack *s, struct ib_tcp_tw *tw, enum ib_tcp_cause cause,
                    const struct ib_tcp_hdr *h);
/* A new TCB (CLOSED, not hashed) using cfg (the stack's when NULL). */
struct ib_tcp *ib_tcp_new(struct ib_stack *s, const struct ib_tcp_config *cfg);
int ib_tcp_hash_add(struct ib_tcp *c);
/* The one place a connection changes state: emits IB_EV_TCP_STATE with
 * the cause and the causing segment (h, may be NULL). */
void ib_tcp_set_state(struct ib_tcp *c, enum ib_tcp_state st, enum ib_tcp_cause cause,
                      const struct ib_tcp_hdr *h);
/* SYN_SENT/SYN_RECEIVED -> ESTABLISHED: congestion control starts and
 * the app hears of it (connected, or accepted on the listener). */
void ib_tcp_established(struct ib_tcp *c, const struct ib_tcp_hdr *h);
/* The connection is over: CLOSED, and the app is told err (0: nothing). */
void ib_tcp_drop_conn(struct ib_tcp *c, int err, enum ib_tcp_cause cause,
                      const struct ib_tcp_hdr *h);
/* After input, a timer or an API call: frees a finished connection the
 * app no longer holds, turns an unheld TIME_WAIT into its compact record,
 * or re-arms the timer. Does nothing while IB_TCPF_IN_INPUT is set. */
void ib_tcp_settle(struct ib_tcp *c);
bool ib_tcp_app_holds(const struct ib_tcp *c);
/* Our MSS toward raddr: cfg->mss, else the route's interface MTU - 40. */
uint16_t ib_tcp_route_mss(struct ib_stack *s, ib_ip4 raddr, const struct ib_tcp_config *cfg);
/* The timestamp clock (RFC 7323 §5.4): milliseconds. */
static inline uint32_t ib_tcp_ts_now(const struct ib_env *env)
{
    return (uint32_t)(ib_now(env) / 1000000);
}
void ib_tcp_trace_info(struct ib_tcp *c);
void ib_tcp_trace_rexmit(struct ib_tcp *c, uint32_t seq, uint32_t len, enum ib_tcp_cause cause);

/* Output (tcp_out.c). */
/* Sends what the state, the windows, Nagle and SWS avoidance allow, and
 * an ACK if one is owed now. */
void ib_tcp_output(struct ib_tcp *c);
void ib_tcp_send_ack(struct ib_tcp *c);
/* RST <SEQ=SND.NXT> (ABORT, RFC 9293 §3.10.5). */
void ib_tcp_send_rst(struct ib_tcp *c);
/* Sends the segment at snd_una again (RTO, fast retransmit, probe). */
void ib_tcp_retransmit(struct ib_tcp *c, enum ib_tcp_cause cause);
/* RFC 1122 §4.2.3.6: <SEQ=SND.NXT-1><ACK=RCV.NXT>, no data. */
void ib_tcp_send_keepalive(struct ib_tcp *c);
/* RFC 9293 §3.8.6.2.1: the override timeout: as much as the (small)
 * window takes, at most one segment. */
void ib_tcp_send_override(struct ib_tcp *c);
/* A zero-window probe: one byte at snd_una (RFC 9293 §3.8.6.1). */
void ib_tcp_send_probe(struct ib_tcp *c);
/* A segment with no connection behind it (RST, TIME_WAIT ACK, cookie
 * SYN-ACK), from laddr:lport to raddr:rport. */
void ib_tcp_respond(struct ib_stack *s, ib_ip4 laddr, uint16_t lport, ib_ip4 raddr,
                    uint16_t rport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd,
                    const struct ib_tcp_opts *o);
/* RFC 9293 §3.10.7.1: the RST answering segment h (no connection). */
void ib_tcp_reply_rst(struct ib_stack *s, ib_ip4 laddr, ib_ip4 raddr,
                      const struct ib_tcp_hdr *h, uint32_t seglen);
/* The receive window we would advertise now, in bytes. */
uint32_t ib_tcp_rcv_space(const struct ib_tcp *c);
/* After the app read: is a window update worth an ACK (RFC 9293
 * §3.8.6.2.2)? */
bool ib_tcp_wnd_update_due(const struct ib_tcp *c);

/* Timers (tcp_timer.c). */
void ib_tcp_timer_fire(struct ib_timer *t);
/* Arms the connection's timer at its earliest deadline. */
void ib_tcp_timer_update(struct ib_tcp *c);
/* RFC 6298: the current RTO in microseconds (before backoff). */
uint32_t ib_tcp_rto_us(const struct ib_tcp *c);
/* rto_at = now + RTO << backoff (RFC 6298 (5.1), (5.3)); stops it when
 * nothing is outstanding (5.2). */
void ib_tcp_rto_restart(struct ib_tcp *c);
void ib_tcp_rtt_sample(struct ib_tcp *c, uint32_t rtt_us);
/* An ACK is owed: now if ACK_NOW, else by the delayed-ACK timer. */
void ib_tcp_delack(struct ib_tcp *c);
void ib_tcp_tw_timer_fire(struct ib_timer *t);

#endif
