/* The TCP output engine: decides what a connection may send now and builds
 * the segments. SYN and SYN-ACK carry MSS (RFC 9293 §3.7.1), window scale
 * (RFC 7323 §2), SACK-permitted (RFC 2018 §2) and timestamps (RFC 7323
 * §3); later segments carry timestamps and, while data is held out of
 * order, SACK blocks (RFC 2018 §4). Data goes out within min(cwnd,
 * snd_wnd) (RFC 5681 §3.1), two segments more on duplicate ACKs (limited
 * transmit, RFC 3042), or per the pipe of RFC 6675 §5 during SACK
 * recovery, subject to Nagle (RFC 9293 §3.7.4) and sender silly-window
 * avoidance (RFC 9293 §3.8.6.2.1); the advertised window follows receiver
 * silly-window avoidance (RFC 9293 §3.8.6.2.2) and never shrinks.
 *
 * Each data segment is one fresh packet into which the bytes are copied
 * straight from the send ring while they are summed for the checksum. */
#include "transport/tcp_int.h"

#include "inetbox/cksum.h"

/* RFC 7323 §3.2: a timestamp option takes 10 bytes, 12 with its padding. */
#define TS_OPT_LEN 12u

/* The sequence number of the first byte in the send ring. The SYN takes
 * the number before it until it is acknowledged. */
static uint32_t tcp_data_base(const struct ib_tcp *c)
{
    return c->snd_una + (c->state == IB_TCP_SYN_SENT || c->state == IB_TCP_SYN_RECEIVED);
}

static bool tcp_fin_state(const struct ib_tcp *c)
{
    return (c->flags & IB_TCPF_FIN_QUEUED) &&
           (c->state == IB_TCP_FIN_WAIT_1 || c->state == IB_TCP_CLOSING ||
            c->state == IB_TCP_LAST_ACK);
}

uint32_t ib_tcp_rcv_space(const struct ib_tcp *c)
{
    uint32_t buf = c->cfg->rcvbuf;
    return buf > c->rcv.len ? buf - c->rcv.len : 0;
}

/* The window field of the next segment; moves rcv_adv. */
static uint16_t tcp_wnd_field(struct ib_tcp *c, bool syn)
{
    uint32_t space = ib_tcp_rcv_space(c);
    uint32_t cur = ib_seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
    /* RFC 9293 §3.8.6.2.2: keep the right edge where it is until it can
     * move by min(Fr * RCV.BUFF, Eff.snd.MSS), Fr = 1/2. */
    uint32_t step = c->cfg->rcvbuf / 2 < c->mss ? c->cfg->rcvbuf / 2 : c->mss;
    uint32_t wnd = space >= cur + step ? space : cur;
    /* RFC 7323 §2.2: the window of a SYN is never scaled. */
    unsigned shift = syn ? 0 : c->rcv_wscale;
    uint64_t max = (uint64_t)0xffff << shift;
    if (wnd > max) wnd = (uint32_t)max;
    uint32_t field = wnd >> shift;
    /* RFC 9293 §3.8.6.2.2 / RFC 7323 §2.4: never shrink the window; the
     * rounding up costs at most 2^shift bytes, which the receive ring
     * keeps room for. */
    if (((uint64_t)field << shift) < cur) field = (cur + (1u << shift) - 1) >> shift;
    if (field > 0xffff) field = 0xffff;
    uint32_t edge = c->rcv_nxt + (field << shift);
    if (ib_seq_gt(edge, c->rcv_adv) || c->rcv_adv == 0) c->rcv_adv = edge;
    return (uint16_t)field;
}

/* RFC 2018 §4: SACK blocks for the data we hold out of order, the block
 * holding the most recently received segment first. */
static void tcp_sack_blocks(const struct ib_tcp *c, struct ib_tcp_opts *o)
{
    unsigned max = (c->flags & IB_TCPF_TS) ? 3 : IB_TCP_MAX_SACK;
    struct ib_tcp_sack_block others[IB_TCP_MAX_SACK];
    unsigned n_others = 0;
    bool have_recent = false;
    struct ib_tcp_ooo_ends e = ib_tcp_ooo_ends_get(c->ooo);
    if (!e.run_first) {
        /* Find the runs again after a change other than an append. */
        for (struct ib_pkt *f = c->ooo, *q; f; f = q->next) {
            uint32_t end = ib_tcp_ooo_seq(f) + f->len;
            for (q = f; q->next && ib_tcp_ooo_seq(q->next) == end; q = q->next)
                end += q->next->len;
            ib_tcp_ooo_set_run_last(f, q);
            e.run_first = f;
        }
        ib_tcp_ooo_ends_set(c->ooo, e);
    }
    uint32_t rs = e.recent ? ib_tcp_ooo_seq(e.recent) : 0;
    if (e.recent) {
        /* Most often the recent segment extends the last run: then the
         * walk below can stop after the lowest runs. */
        const struct ib_pkt *last = ib_tcp_ooo_run_last(e.run_first);
        uint32_t start = ib_tcp_ooo_seq(e.run_first), end = ib_tcp_ooo_seq(last) + last->len;
        if (ib_seq_leq(start, rs) && ib_seq_leq(rs, end) && start != end) {
            o->sack[0] = (struct ib_tcp_sack_block){start, end};
            have_recent = true;
        }
    }
    const struct ib_pkt *p = c->ooo;
    while (p && (n_others < max - 1u || (e.recent && !have_recent))) {
        const struct ib_pkt *last = ib_tcp_ooo_run_last(p);
        uint32_t start = ib_tcp_ooo_seq(p), end = ib_tcp_ooo_seq(last) + last->len;
        /* Runs are disjoint and apart, so the recent segment's number
         * tells its run. */
        bool recent = e.recent && ib_seq_leq(start, rs) && ib_seq_leq(rs, end);
        p = last->next;
        if (start == end) continue;
        if (recent) {
            if (!have_recent) o->sack[0] = (struct ib_tcp_sack_block){start, end};
            have_recent = true;
        } else if (n_others < max - 1u) {
            others[n_others++] = (struct ib_tcp_sack_block){start, end};
        }
    }
    unsigned n = 0;
    if (have_recent) n = 1;
    for (unsigned i = 0; i < n_others && n < max; i++)
        o->sack[n++] = others[i];
    o->nsack = (uint8_t)n;
}

static void tcp_fill_opts(struct ib_tcp *c, uint8_t flags, struct ib_tcp_opts *o)
{
    struct ib_env *env = c->stack->node.env;
    if (flags & IB_TCP_SYN) {
        bool active = c->state == IB_TCP_SYN_SENT;
        o->has_mss = true;
        o->mss = ib_tcp_route_mss(c->stack, c->raddr, c->cfg);
        /* A SYN offers what the configuration allows; a SYN-ACK only what
         * the peer's SYN offered too (RFC 7323 §2.3, §3.2; RFC 2018 §2). */
        if (active ? c->cfg->wscale : (c->flags & IB_TCPF_WS) != 0) {
            o->has_wscale = true;
            o->wscale = c->rcv_wscale;
        }
        o->sack_ok = active ? c->cfg->sack : (c->flags & IB_TCPF_SACK) != 0;
        if (active ? c->cfg->timestamps : (c->flags & IB_TCPF_TS) != 0) {
            o->has_ts = true;
            o->ts_val = ib_tcp_ts_now(env);
            o->ts_ecr = active ? 0 : c->ts_recent;
        }
        return;
    }
    if (c->flags & IB_TCPF_TS) {
        /* RFC 7323 §3.2: TSecr echoes TS.Recent. */
        o->has_ts = true;
        o->ts_val = ib_tcp_ts_now(env);
        o->ts_ecr = c->ts_recent;
    }
    if ((c->flags & IB_TCPF_SACK) && c->ooo) tcp_sack_blocks(c, o);
}

static struct ib_pkt *tcp_build(struct ib_env *env, const struct ib_tcp_hdr *h, size_t dlen,
                                size_t *hlen)
{
    *hlen = IB_TCP_HLEN + ib_tcp_opts_len(&h->opt);
    struct ib_pkt *p = ib_pkt_alloc(env->pool, IB_PKT_HEADROOM, *hlen + dlen);
    if (p) ib_tcp_emit(h, p->data);
    return p;
}

static void tcp_ip_out(struct ib_stack *s, struct ib_pkt *p, ib_ip4 src, ib_ip4 dst, uint8_t flags)
{
    struct ib_tcp_stack *ts = s->tcp;
    ts->mib.segs_out++;
    if (flags & IB_TCP_RST) ts->mib.out_rsts++;
    /* RFC 1191 §3: path MTU discovery sends with DF. */
    struct ib_ip4_tx tx = {.src = src, .dst = dst, .proto = IB_IPPROTO_TCP, .df = true};
    ib_ip4_output(s, p, &tx);
}

/* Sends one segment of c: len data bytes from seq (taken from the send
 * ring), with flags. */
static void tcp_xmit(struct ib_tcp *c, uint32_t seq, uint32_t len, uint8_t flags)
{
    struct ib_stack *s = c->stack;
    struct ib_env *env = s->node.env;
    struct ib_tcp_hdr h;
    memset(&h, 0, sizeof(h));
    h.sport = c->lport;
    h.dport = c->rport;
    h.seq = seq;
    h.flags = flags;
    if (flags & IB_TCP_ACK) h.ack = c->rcv_nxt;
    tcp_fill_opts(c, flags, &h.opt);
    h.wnd = (flags & IB_TCP_RST) ? 0 : tcp_wnd_field(c, (flags & IB_TCP_SYN) != 0);
    size_t hlen;
    struct ib_pkt *p = tcp_build(env, &h, len, &hlen);
    if (!p) return; /* as if lost: the retransmission timer recovers */
    uint64_t sum = ib_csum_pseudo4(c->laddr, c->raddr, IB_IPPROTO_TCP, (uint16_t)(hlen + len));
    if (len) sum += ib_tcp_ring_peek_csum(&c->snd, seq - tcp_data_base(c), p->data + hlen, len);
    ib_put16(p->data + 16, ib_csum_fold(ib_csum_partial(p->data, hlen, sum)));
    if (flags & IB_TCP_ACK) {
        c->last_ack_sent = c->rcv_nxt;
        c->flags &= ~(IB_TCPF_DELACK | IB_TCPF_ACK_NOW);
    }
    c->segs_out++;
    tcp_ip_out(s, p, c->laddr, c->raddr, flags);
}

/* Sends [seq, seq + len) of the stream: data clipped to what the ring
 * holds, and the FIN if the range reaches it. Returns the sequence space
 * used. */
static uint32_t tcp_send_range(struct ib_tcp *c, uint32_t seq, uint32_t len)
{
    uint32_t data_end = tcp_data_base(c) + c->snd.len;
    /* RFC 9293 §3.7.1 (RFC 6691 §2): the MSS counts no options; c->mss
     * has the timestamps taken off, and the SACK blocks a segment carries
     * come out of its data too, or a full segment exceeds the path MTU. */
    uint32_t sack = 0;
    if ((c->flags & IB_TCPF_SACK) && c->ooo) {
        struct ib_tcp_opts o;
        memset(&o, 0, sizeof(o));
        tcp_sack_blocks(c, &o);
        sack = (uint32_t)ib_tcp_opts_len(&o);
    }
    if (len > c->mss - sack) len = c->mss - sack;
    bool fin = false;
    if (ib_seq_geq(seq + len, data_end) && tcp_fin_state(c)) {
        len = ib_seq_gt(data_end, seq) ? data_end - seq : 0;
        fin = true;
    } else if (ib_seq_gt(seq + len, data_end)) {
        len = ib_seq_gt(data_end, seq) ? data_end - seq : 0;
    }
    if (len == 0 && !fin) return 0;
    uint8_t flags = IB_TCP_ACK;
    if (fin) flags |= IB_TCP_FIN;
    /* RFC 9293 §3.9.1.2: PSH on the segment that empties the buffer. */
    if (len && seq + len == data_end) flags |= IB_TCP_PSH;
    tcp_xmit(c, seq, len, flags);
    if (fin) c->flags |= IB_TCPF_FIN_SENT;
    return len + fin;
}

/* Bookkeeping after sending [seq, seq + used) from the output loop. */
static void tcp_sent(struct ib_tcp *c, uint32_t seq, uint32_t used, enum ib_tcp_cause cause)
{
    struct ib_env *env = c->stack->node.env;
    if (ib_seq_lt(seq, c->snd_max)) {
        ib_tcp_trace_rexmit(c, seq, used, cause);
        /* RFC 6298 §3 (Karn): a retransmitted segment is not timed. */
        if (!(c->flags & IB_TCPF_TS) && (c->flags & IB_TCPF_RTT_TIMING) &&
            ib_seq_leq(seq, c->rtt_seq))
            c->flags &= ~IB_TCPF_RTT_TIMING;
    } else if (!(c->flags & (IB_TCPF_TS | IB_TCPF_RTT_TIMING))) {
        /* RFC 6298 §3: time one segment per RTT when timestamps are off. */
        c->rtt_seq = seq;
        c->rtt_start_us = ib_tcp_now_us(env);
        c->flags |= IB_TCPF_RTT_TIMING;
    }
    uint32_t end = seq + used;
    if (ib_seq_gt(end, c->snd_nxt)) c->snd_nxt = end;
    if (ib_seq_gt(end, c->snd_max)) c->snd_max = end;
    /* RFC 6298 (5.1): start the timer if it is not running. */
    if (c->rto_at == IB_TIME_NEVER || (c->flags & IB_TCPF_KEEPALIVE)) {
        c->flags &= ~IB_TCPF_KEEPALIVE;
        c->rto_at = ib_now(env) + (ib_time)ib_tcp_rto_us(c) * 1000;
    }
}

/* RFC 6675 §5 (C): during SACK recovery, send while cwnd - pipe >= 1 SMSS,
 * choosing each segment with NextSeg(). */
static void tcp_sack_output(struct ib_tcp *c)
{
    uint32_t pipe = ib_tcp_sb_pipe(c);
    if (c->sb.n == IB_TCP_SB_MAX) {
        /* The bounded scoreboard forgot blocks, so everything above its
         * last block looks in flight and recovery would stall until the
         * RTO. Bound pipe by the reasoning of RFC 5681 §3.2 instead: each
         * duplicate ACK since the last partial ACK means a segment left
         * the network; what was retransmitted is in flight again. */
        uint32_t gone = (uint32_t)c->dupacks * c->mss, flight = ib_tcp_flight(c);
        uint32_t rxt = ib_seq_gt(c->sb.high_rxt, c->snd_una) ? c->sb.high_rxt - c->snd_una : 0;
        uint32_t est = (flight > gone ? flight - gone : 0) + rxt;
        if (est < pipe) pipe = est;
    }
    while (c->cwnd >= pipe + c->mss) {
        uint32_t seq, len;
        if (!ib_tcp_sb_next_seg(c, &seq, &len)) break;
        uint32_t used = tcp_send_range(c, seq, len);
        if (used == 0) break;
        tcp_sent(c, seq, used, IB_TCP_CAUSE_FAST_RETRANSMIT);
        pipe += used;
    }
}

static void tcp_send_syn(struct ib_tcp *c)
{
    uint8_t flags = IB_TCP_SYN;
    if (c->state == IB_TCP_SYN_RECEIVED) flags |= IB_TCP_ACK;
    tcp_xmit(c, c->iss, 0, flags);
    if (c->snd_nxt == c->iss) {
        /* RFC 6298 §3: the SYN is timed, unless it is sent again (Karn). */
        if (c->snd_max == c->iss && !(c->flags & IB_TCPF_TS)) {
            c->rtt_seq = c->iss;
            c->rtt_start_us = ib_tcp_now_us(c->stack->node.env);
            c->flags |= IB_TCPF_RTT_TIMING;
        } else {
            c->flags &= ~IB_TCPF_RTT_TIMING;
        }
        c->snd_nxt = c->snd_max = c->iss + 1;
        c->rto_at = ib_now(c->stack->node.env) + (ib_time)ib_tcp_rto_us(c) * 1000;
    }
}

void ib_tcp_output(struct ib_tcp *c)
{
    switch (c->state) {
    case IB_TCP_CLOSED:
    case IB_TCP_LISTEN:
        return;
    case IB_TCP_SYN_SENT:
        if (c->snd_nxt == c->iss) tcp_send_syn(c);
        return;
    case IB_TCP_SYN_RECEIVED:
        if (c->snd_nxt == c->iss)
            tcp_send_syn(c);
        else if (c->flags & IB_TCPF_ACK_NOW)
            ib_tcp_send_ack(c);
        return;
    case IB_TCP_TIME_WAIT:
    case IB_TCP_FIN_WAIT_2:
        if (c->flags & IB_TCPF_ACK_NOW) ib_tcp_send_ack(c);
        return;
    default:
        break;
    }
    struct ib_env *env = c->stack->node.env;
    if ((c->flags & (IB_TCPF_RECOVERY | IB_TCPF_SACK)) == (IB_TCPF_RECOVERY | IB_TCPF_SACK)) {
        tcp_sack_output(c);
    } else {
        uint32_t data_end = tcp_data_base(c) + c->snd.len;
        uint32_t win = c->cwnd;
        /* RFC 3042 §2 (limited transmit, RFC 5681 §3.2 step 2): on the
         * first and second duplicate ACK, send previously unsent data as
         * long as FlightSize stays within cwnd + 2*SMSS, cwnd unchanged:
         * the new segments' ACKs let a small window reach DupThresh. */
        if (c->dupacks && !(c->flags & IB_TCPF_RECOVERY) && c->snd_nxt == c->snd_max)
            win += (c->dupacks < 2u ? c->dupacks : 2u) * c->mss;
        if (win > c->snd_wnd) win = c->snd_wnd;
        uint32_t wnd_end = c->snd_una + win;
        bool fin_state = tcp_fin_state(c);
        for (;;) {
            uint32_t seq = c->snd_nxt;
            if (ib_seq_gt(seq, data_end)) break; /* the FIN is out */
            uint32_t avail = data_end - seq;
            uint32_t usable = ib_seq_lt(seq, wnd_end) ? wnd_end - seq : 0;
            uint32_t len = avail < usable ? avail : usable;
            if (len > c->mss) len = c->mss;
            /* A FIN needs no window: it occupies no buffer space. */
            bool fin = fin_state && len == avail;
            if (len == 0 && !fin) break;
            bool rexmit = ib_seq_lt(seq, c->snd_max);
            if (len < c->mss && !fin && !rexmit) {
                /* RFC 9293 §3.8.6.2.1: send a short segment only if it
                 * empties the buffer and, per Nagle (RFC 9293 §3.7.4),
                 * nothing is unacknowledged or Nagle is off; or if it is
                 * at least half the largest window the peer offered. */
                bool all = len == avail;
                bool idle = c->snd_max == c->snd_una;
                bool nodelay = (c->flags & IB_TCPF_NODELAY) != 0;
                if (!((all && (idle || nodelay)) || len >= c->max_snd_wnd / 2)) break;
            }
            uint32_t used = tcp_send_range(c, seq, fin ? avail + 1 : len);
            if (used == 0) break;
            tcp_sent(c, seq, used, IB_TCP_CAUSE_RTO);
        }
    }
    /* RFC 9293 §3.8.6.1: data waits behind a zero window: probe it; and
     * §3.8.6.2.1: data held back by silly-window avoidance (a window too
     * small to fill a segment) goes out when the override timeout, the
     * same timer, expires. Nothing in flight means nothing else would
     * wake the sender. */
    if (ib_seq_gt(tcp_data_base(c) + c->snd.len, c->snd_nxt) && !(c->flags & IB_TCPF_PERSIST) &&
        ib_tcp_flight(c) == 0) {
        c->flags = (c->flags & ~IB_TCPF_KEEPALIVE) | IB_TCPF_PERSIST;
        c->rto_at = ib_now(env) + (ib_time)ib_tcp_rto_us(c) * 1000;
    }
    if (c->flags & IB_TCPF_ACK_NOW) ib_tcp_send_ack(c);
}

void ib_tcp_send_ack(struct ib_tcp *c)
{
    /* RFC 9293 §3.10.7.4 drops a segment outside the receive window unread,
     * ACK field and all; a pure ACK must land in [RCV.NXT, RCV.NXT +
     * RCV.WND) of the peer. After a timeout rewound snd_nxt (go-back-N)
     * the peer's RCV.NXT may be past it, up to snd_max; were both sides
     * rewound, neither would hear the other's ACKs again. So send at
     * snd_max, but not beyond the window the peer offered, where a closed
     * window would refuse it (as Linux's tcp_acceptable_seq). */
    uint32_t seq = c->snd_max, wnd_end = c->snd_una + c->snd_wnd;
    if (ib_seq_gt(seq, wnd_end)) seq = ib_seq_gt(wnd_end, c->snd_nxt) ? wnd_end : c->snd_nxt;
    tcp_xmit(c, seq, 0, IB_TCP_ACK);
}

void ib_tcp_send_keepalive(struct ib_tcp *c)
{
    tcp_xmit(c, c->snd_nxt - 1, 0, IB_TCP_ACK);
}

void ib_tcp_send_rst(struct ib_tcp *c)
{
    /* RFC 9293 §3.10.5: <SEQ=SND.NXT><CTL=RST>; the highest sequence
     * number sent is the one the peer expects if everything arrived. */
    tcp_xmit(c, c->snd_max, 0, IB_TCP_RST);
}

void ib_tcp_retransmit(struct ib_tcp *c, enum ib_tcp_cause cause)
{
    if (c->state == IB_TCP_SYN_SENT || c->state == IB_TCP_SYN_RECEIVED) {
        tcp_send_syn(c);
        ib_tcp_trace_rexmit(c, c->iss, 1, cause);
        return;
    }
    uint32_t used = tcp_send_range(c, c->snd_una, c->mss);
    if (used) {
        ib_tcp_trace_rexmit(c, c->snd_una, used, cause);
        if (!(c->flags & IB_TCPF_TS) && (c->flags & IB_TCPF_RTT_TIMING))
            c->flags &= ~IB_TCPF_RTT_TIMING; /* RFC 6298 §3 (Karn) */
        if (ib_seq_gt(c->snd_una + used, c->snd_nxt)) c->snd_nxt = c->snd_una + used;
        if (ib_seq_gt(c->snd_nxt, c->snd_max)) c->snd_max = c->snd_nxt;
    }
}

void ib_tcp_send_override(struct ib_tcp *c)
{
    uint32_t data_end = tcp_data_base(c) + c->snd.len;
    uint32_t avail = ib_seq_gt(data_end, c->snd_nxt) ? data_end - c->snd_nxt : 0;
    uint32_t len = avail < c->snd_wnd ? avail : c->snd_wnd;
    if (len > c->mss) len = c->mss;
    uint32_t seq = c->snd_nxt;
    uint32_t used = len ? tcp_send_range(c, seq, len) : 0;
    if (used) tcp_sent(c, seq, used, IB_TCP_CAUSE_PROBE);
}

void ib_tcp_send_probe(struct ib_tcp *c)
{
    uint32_t base = tcp_data_base(c);
    if (c->snd.len == 0) {
        ib_tcp_send_ack(c);
        return;
    }
    /* RFC 9293 §3.8.6.1: the probe carries one byte of data; the peer
     * takes it if its window opened, and ACKs either way. */
    tcp_xmit(c, c->snd_una, 1, IB_TCP_ACK);
    if (c->snd_nxt == base) {
        c->snd_nxt = base + 1;
        if (ib_seq_gt(c->snd_nxt, c->snd_max)) c->snd_max = c->snd_nxt;
    }
}

void ib_tcp_respond(struct ib_stack *s, ib_ip4 laddr, uint16_t lport, ib_ip4 raddr, uint16_t rport,
                    uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd,
                    const struct ib_tcp_opts *o)
{
    struct ib_tcp_hdr h;
    memset(&h, 0, sizeof(h));
    h.sport = lport;
    h.dport = rport;
    h.seq = seq;
    h.ack = ack;
    h.flags = flags;
    h.wnd = wnd;
    if (o) h.opt = *o;
    size_t hlen;
    struct ib_pkt *p = tcp_build(s->node.env, &h, 0, &hlen);
    if (!p) return;
    ib_tcp_fill_csum(p->data, hlen, laddr, raddr);
    tcp_ip_out(s, p, laddr, raddr, flags);
}

void ib_tcp_reply_rst(struct ib_stack *s, ib_ip4 laddr, ib_ip4 raddr, const struct ib_tcp_hdr *h,
                      uint32_t seglen)
{
    /* RFC 9293 §3.10.7.1: "An incoming segment containing a RST is
     * discarded"; otherwise, with ACK: <SEQ=SEG.ACK><CTL=RST>; without:
     * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. */
    if (h->flags & IB_TCP_RST) return;
    if (h->flags & IB_TCP_ACK)
        ib_tcp_respond(s, laddr, h->dport, raddr, h->sport, h->ack, 0, IB_TCP_RST, 0, NULL);
    else
        ib_tcp_respond(s, laddr, h->dport, raddr, h->sport, 0, h->seq + seglen,
                       IB_TCP_RST | IB_TCP_ACK, 0, NULL);
}

bool ib_tcp_wnd_update_due(const struct ib_tcp *c)
{
    uint32_t cur = ib_seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
    uint32_t space = ib_tcp_rcv_space(c);
    uint64_t max = (uint64_t)0xffff << c->rcv_wscale;
    if (space > max) space = (uint32_t)max;
    uint32_t step = c->cfg->rcvbuf / 2 < c->mss ? c->cfg->rcvbuf / 2 : c->mss;
    /* RFC 9293 §3.8.6.2.2: the edge may move once it gains a full step;
     * an update is sent when the window at least doubles (as Linux does),
     * so a reading app does not turn every segment into two ACKs. */
    return space >= cur + step && space >= 2 * (uint64_t)cur;
}
