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
 * costs no buffer memory. */
struct ib_tcp_ring {
    uint8_t *b;
    uint32_t cap, head, len;
};
int ib_tcp_ring_reserve(struct ib_tcp_ring *r, uint32_t want, uint32_t limit);
uint32_t ib_tcp_ring_write(struct ib_tcp_ring *r, const void *src, uint32_t n, uint32_t limit);
/* Copies n bytes starting off bytes after the head (no consumption). */
void ib_tcp_ring_peek(const struct ib_tcp_ring *r, uint32_t off, void *dst, uint32_t n);
/* Copies like peek and returns the partial Internet checksum of the copied
 * bytes (off may be odd; the sum is for the bytes as they land in dst). */
uint64_t ib_tcp_ring_peek_csum(const struct ib_tcp_ring *r, uint32_t off, void *dst, uint32_t n);
uint32_t ib_tcp_ring_read(struct ib_tcp_ring *r, void *dst, uint32_t n);
void ib_tcp_ring_drop(struct ib_tcp_ring *r, uint32_t n);
void ib_tcp_ring_free(struct ib_tcp_ring *r);

/* SACK scoreboard (RFC 6675 §3-4): blocks the peer reported above
 * snd_una, merged and sorted. Bounded: when full, the highest blocks are
 * forgotten, which is conservative (data counts as not SACKed). */
#define IB_TCP_SB_MAX 6u
struct ib_tcp_sb {
    struct ib_tcp_sack_block b[IB_TCP_SB_MAX];
    uint8_t n;
    uint32_t high_rxt;    /* HighRxt */
    uint32_t rescue_rxt;  /* RescueRxt */
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

struct ib_tcp {
    struct ib_tcp *hnext;      /* hash chain, or listener list */
    struct ib_stack *stack;
    const struct ib_tcp_ops *ops;
    void *arg;
    const struct ib_tcp_config *cfg;
    struct ib_tcp *listener;   /* SYN_RECEIVED/not yet accepted: our listener */
    struct ib_pkt *ooo;        /* out-of-order segments, sorted, data at payload */
    struct ib_tcp_ring snd, rcv;
    struct ib_timer timer;     /* the earliest of the deadlines below */
    ib_time rto_at, delack_at, ka_at; /* IB_TIME_NEVER when off */

    ib_ip4 laddr, raddr;
    uint16_t lport, rport;
    uint8_t state;
    uint8_t backoff;           /* RTO doublings */
    uint8_t retries;
    uint8_t dupacks;
    uint32_t flags;            /* IB_TCPF_* */

    /* RFC 9293 §3.3.1 send sequence variables */
    uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
    /* receive sequence variables */
    uint32_t irs, rcv_nxt, rcv_adv; /* rcv_adv: right edge we advertised */
    uint32_t ooo_bytes;
    uint16_t mss;              /* effective send MSS (SMSS) */
    uint8_t snd_wscale, rcv_wscale;

    /* RFC 7323 */
    uint32_t ts_recent, ts_recent_age; /* age in ms ticks */
    uint32_t last_ack_sent;

    /* RFC 6298, microseconds */
    uint32_t srtt_us, rttvar_us, rto_us;
    uint32_t rtt_seq, rtt_start_us; /* timed segment (without timestamps) */

    /* RFC 5681 / 6582 */
    uint32_t cwnd, ssthresh, recover;
    uint32_t bytes_acked;      /* RFC 3465 byte counting in CA */
    struct ib_tcp_cubic cubic;
    struct ib_tcp_sb sb;

    /* statistics */
    uint64_t bytes_acked_total, bytes_received;
    uint32_t segs_out, segs_in, retransmits;
    uint16_t fast_retransmits, timeouts;
};

/* flags */
#define IB_TCPF_ACK_NOW 0x0001u    /* send an ACK at the end of input */
#define IB_TCPF_DELACK 0x0002u     /* an ACK is owed (delayed) */
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
    struct ib_tcp **hash;      /* 4-tuple hash of connections (not listeners) */
    uint32_t hash_mask, n_conns;
    struct ib_tcp *listeners;
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
    /* Retransmission timeout (RFC 5681 (4)): ssthresh, cwnd = 1 SMSS. */
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

#endif
