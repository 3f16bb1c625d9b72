/* TCP input: RFC 9293 §3.10.7 "SEGMENT ARRIVES", state by state and step
 * by step: CLOSED (§3.10.7.1), LISTEN (§3.10.7.2, with SYN cookies per
 * RFC 4987 §3.6 when the backlog is full), SYN-SENT (§3.10.7.3) and the
 * other states (§3.10.7.4): PAWS (RFC 7323 §5), the sequence acceptability
 * test and trimming, RST with RFC 5961 §3 (exact: reset; in window:
 * challenge ACK), SYN with RFC 5961 §4, ACK with RFC 5961 §5 validation,
 * RTT samples (RFC 7323 §4 or RFC 6298 §3), congestion control, NewReno
 * fast retransmit and recovery (RFC 5681 §3.2, RFC 6582) or SACK recovery
 * (RFC 6675) with early retransmit at small windows (RFC 5827), the
 * window update (snd_wl1/wl2), data into the receive ring or the bounded
 * out-of-order queue, FIN processing, delayed ACKs, and the compact
 * TIME_WAIT records. Also ICMP errors about our segments (RFC
 * 1191, RFC 5927). */
#include "transport/tcp_int.h"

#include "inetbox/cksum.h"
#include "inetbox/icmp.h"

#include <stdlib.h>

/* RFC 7323 §5.5: a TS.Recent older than 24 days is no longer valid. */
#define PAWS_IDLE_MS (24u * 24 * 3600 * 1000)
/* RFC 5681 §3.2: DupThresh. */
#define TCP_DUPTHRESH 3u

/* A segment being processed: the parsed header, and what is left of it
 * after trimming (seq, len, flags; p's data is the payload). */
struct tcp_seg {
    struct ib_tcp_hdr h;
    struct ib_pkt *p; /* NULL once consumed or queued */
    struct ib_netif *nif;
    uint32_t seq, len;
    uint32_t pulled; /* bytes pulled off since the TCP header */
    /* Payload bytes already copied past the receive ring's tail while the
     * checksum was verified (tcp_verify), and where they went. */
    uint32_t staged, stage_tail;
    const uint8_t *stage_b;
    uint8_t flags;
};

static void tcp_seg_drop(struct ib_stack *s, struct tcp_seg *sg, enum ib_drop reason)
{
    if (!sg->p) return;
    /* The drop event shows the segment from its TCP header. */
    ib_pkt_push(sg->p, sg->pulled);
    ib_drop(&s->node, sg->nif, sg->p, reason);
    sg->p = NULL;
}

static void tcp_seg_done(struct tcp_seg *sg)
{
    if (sg->p) ib_pkt_free(sg->p);
    sg->p = NULL;
}

static void tcp_seg_pull(struct tcp_seg *sg, uint32_t n)
{
    ib_pkt_pull(sg->p, n);
    sg->pulled += n;
    sg->seq += n;
    sg->len -= n;
}

/* RFC 9293 §3.7.1, RFC 7323 §2-3, RFC 2018 §2: what a SYN (or SYN-ACK)
 * offered, against what we offer. */
static void tcp_syn_options(struct ib_tcp *c, const struct ib_tcp_hdr *h)
{
    const struct ib_tcp_config *cfg = c->cfg;
    struct ib_env *env = c->stack->node.env;
    /* RFC 9293 §3.7.1 (MUST-15): without the option, assume 536. */
    uint32_t peer = h->opt.has_mss ? h->opt.mss : 536;
    uint32_t ours = ib_tcp_route_mss(c->stack, c->raddr, cfg);
    uint32_t mss = peer < ours ? peer : ours;
    c->flags &= ~(IB_TCPF_WS | IB_TCPF_SACK | IB_TCPF_TS);
    if (cfg->wscale && h->opt.has_wscale) {
        c->flags |= IB_TCPF_WS;
        c->snd_wscale = h->opt.wscale;
        c->rcv_wscale = 0;
        while (c->rcv_wscale < 14 && (cfg->rcvbuf >> c->rcv_wscale) > 0xffff)
            c->rcv_wscale++;
    } else {
        /* RFC 7323 §2.2: both sides must send the option to scale. */
        c->snd_wscale = c->rcv_wscale = 0;
    }
    if (cfg->sack && h->opt.sack_ok) c->flags |= IB_TCPF_SACK;
    if (cfg->timestamps && h->opt.has_ts) {
        c->flags |= IB_TCPF_TS;
        c->ts_recent = h->opt.ts_val;
        c->ts_recent_age = ib_tcp_ts_now(env);
        /* RFC 9293 §3.7.1: the MSS excludes options; timestamps ride in
         * every segment, so they come out of it. */
        mss -= 12;
    }
    if (mss < 64) mss = 64;
    c->mss = (uint16_t)mss;
}

/* RFC 7323 §4.1 (or RFC 6298 §3 with a timed segment): one RTT sample from
 * an ACK that acknowledges new data up to ack. */
static void tcp_rtt_from_ack(struct ib_tcp *c, const struct ib_tcp_hdr *h, uint32_t ack)
{
    struct ib_env *env = c->stack->node.env;
    if (c->flags & IB_TCPF_TS) {
        /* After a timeout the ACK may echo the first transmission of data
         * whose ACK was lost (RFC 7323 §4.2 notes it): the sample would
         * include the timeout. Karn's rule applies to timestamps too. */
        if (h->opt.has_ts && h->opt.ts_ecr && c->backoff == 0) {
            uint32_t ms = ib_tcp_ts_now(env) - h->opt.ts_ecr;
            if (ms < 0x7fffffffu / 1000) ib_tcp_rtt_sample(c, ms * 1000);
        }
        return;
    }
    if ((c->flags & IB_TCPF_RTT_TIMING) && ib_seq_gt(ack, c->rtt_seq)) {
        ib_tcp_rtt_sample(c, ib_tcp_now_us(env) - c->rtt_start_us);
        c->flags &= ~IB_TCPF_RTT_TIMING;
    }
}

static void tcp_enter_time_wait(struct ib_tcp *c, const struct ib_tcp_hdr *h)
{
    c->flags &= ~(IB_TCPF_PERSIST | IB_TCPF_KEEPALIVE);
    /* RFC 9293 §3.10.7.4: "Start the time-wait timer". */
    c->rto_at = ib_now(c->stack->node.env) + 2 * c->cfg->msl;
    ib_tcp_set_state(c, IB_TCP_TIME_WAIT, IB_TCP_CAUSE_SEGMENT, h);
}

static bool tcp_our_fin_acked(const struct ib_tcp *c)
{
    return (c->flags & IB_TCPF_FIN_SENT) && c->snd_una == c->snd_max;
}

/* Step 8 of RFC 9293 §3.10.7.4: the FIN. */
static void tcp_fin(struct ib_tcp *c, const struct ib_tcp_hdr *h)
{
    if (c->flags & IB_TCPF_FIN_RCVD) return;
    /* Nothing follows the FIN: what is still held out of order repeats
     * data already delivered. */
    while (c->ooo) {
        struct ib_pkt *q = c->ooo;
        c->ooo = q->next;
        q->next = NULL;
        c->ooo_bytes -= q->size;
        ib_pkt_free(q);
    }
    c->rcv_nxt++;
    c->flags |= IB_TCPF_FIN_RCVD | IB_TCPF_ACK_NOW;
    switch (c->state) {
    case IB_TCP_SYN_RECEIVED:
    case IB_TCP_ESTABLISHED:
        ib_tcp_set_state(c, IB_TCP_CLOSE_WAIT, IB_TCP_CAUSE_SEGMENT, h);
        break;
    case IB_TCP_FIN_WAIT_1:
        /* Our FIN acknowledged by this segment: TIME-WAIT, else both
         * sides closed at once: CLOSING (RFC 9293 §3.6, figure 13). */
        if (tcp_our_fin_acked(c))
            tcp_enter_time_wait(c, h);
        else
            ib_tcp_set_state(c, IB_TCP_CLOSING, IB_TCP_CAUSE_SEGMENT, h);
        break;
    case IB_TCP_FIN_WAIT_2:
        tcp_enter_time_wait(c, h);
        break;
    default:
        break;
    }
}

/* Moves the in-order head of the out-of-order queue into the receive ring.
 * Returns true if it delivered a FIN. */
static bool tcp_ooo_drain(struct ib_tcp *c, uint32_t limit)
{
    bool fin = false;
    struct ib_pkt *q;
    struct ib_tcp_ooo_ends e = c->ooo ? ib_tcp_ooo_ends_get(c->ooo) : (struct ib_tcp_ooo_ends){0};
    /* The last packet of the head's run, while the runs are known. */
    struct ib_pkt *last = e.run_first ? ib_tcp_ooo_run_last(c->ooo) : NULL;
    while ((q = c->ooo) && !fin) {
        uint32_t qs = ib_tcp_ooo_seq(q), qe = qs + q->len;
        if (ib_seq_gt(qs, c->rcv_nxt)) break;
        if (ib_seq_gt(qe, c->rcv_nxt)) {
            uint32_t off = c->rcv_nxt - qs, want = qe - c->rcv_nxt;
            uint32_t n = (c->flags & IB_TCPF_CLOSED_BY_APP)
                             ? want
                             : ib_tcp_ring_write(&c->rcv, q->data + off, want, limit);
            c->rcv_nxt += n;
            if (n < want) break; /* no room: keep the rest queued */
        }
        fin = (*ib_tcp_ooo_mark(q) & IB_TCP_OOO_FIN) && qe == c->rcv_nxt;
        c->ooo = q->next;
        c->ooo_bytes -= q->size;
        q->next = NULL;
        if (q == e.recent) e.recent = NULL;
        if (last && q != last) {
            /* The run goes on: its next packet now starts it. */
            ib_tcp_ooo_set_run_last(c->ooo, last);
            if (e.run_first == q) e.run_first = c->ooo;
        } else if (last && c->ooo) {
            last = ib_tcp_ooo_run_last(c->ooo);
        }
        ib_pkt_free(q);
    }
    if (c->ooo) ib_tcp_ooo_ends_set(c->ooo, e);
    return fin;
}

/* With the runs known, finds where [s0, e0) goes by skipping whole runs
 * below it. If it falls in a gap between runs, touching nothing queued
 * (the usual retransmission), sets *pp there, keeps the runs known with p
 * in them and returns true; else returns false with *pp at the first run
 * that is not below it, for the segment-by-segment walk. */
static bool tcp_ooo_place_in_gap(struct ib_tcp_ooo_ends *e, struct ib_pkt *p, struct ib_pkt ***pp,
                                 uint32_t s0, uint32_t e0)
{
    struct ib_pkt *left = NULL, *f;
    while ((f = **pp) != NULL) {
        /* The queue is sorted and disjoint: a run whose last segment lies
         * below the new one lies below it whole. */
        struct ib_pkt *l = ib_tcp_ooo_run_last(f);
        uint32_t ls = ib_tcp_ooo_seq(l), le = ls + l->len;
        if (!(ib_seq_lt(le, s0) || (le == s0 && ls != le))) break;
        left = f;
        *pp = &l->next;
    }
    if (!f) return false;
    uint32_t fs = ib_tcp_ooo_seq(f);
    if (!(ib_seq_gt(fs, e0) || fs == e0)) return false;
    bool join_left = false;
    if (left) {
        struct ib_pkt *l = ib_tcp_ooo_run_last(left);
        join_left = ib_tcp_ooo_seq(l) + l->len == s0;
    }
    bool join_right = fs == e0;
    struct ib_pkt *first = join_left ? left : p;
    ib_tcp_ooo_set_run_last(first, join_right ? ib_tcp_ooo_run_last(f) : p);
    if (join_right && e->run_first == f) e->run_first = first;
    return true;
}

/* Keeps an out-of-order segment, trimmed against what is queued already
 * (RFC 9293 §3.10.7.4 step 7 allows keeping it; RFC 5681 §4.2 wants the
 * duplicate ACK the caller sends). Memory is bounded by cfg->ooo_max. */
static void tcp_ooo_insert(struct ib_tcp *c, struct tcp_seg *sg)
{
    struct ib_stack *s = c->stack;
    struct ib_pkt *p = sg->p;
    if (c->ooo_bytes + p->size > c->cfg->ooo_max) {
        tcp_seg_drop(s, sg, IB_DROP_TCP_OOO_FULL);
        return;
    }
    uint32_t s0 = sg->seq, e0 = sg->seq + sg->len;
    uint8_t mark = IB_TCP_OOO_RECENT | ((sg->flags & IB_TCP_FIN) ? IB_TCP_OOO_FIN : 0);
    struct ib_tcp_ooo_ends e = c->ooo ? ib_tcp_ooo_ends_get(c->ooo) : (struct ib_tcp_ooo_ends){0};
    if (e.recent) *ib_tcp_ooo_mark(e.recent) &= (uint8_t)~IB_TCP_OOO_RECENT;
    struct ib_pkt **pp = &c->ooo;
    bool new_run = !e.tail, placed = false;
    if (e.tail) {
        /* The queue is sorted and its segments disjoint: if the new one
         * lies above the last, it lies above them all. */
        uint32_t ts = ib_tcp_ooo_seq(e.tail), te = ts + e.tail->len;
        if (ib_seq_lt(te, s0) || (te == s0 && ts != te)) {
            pp = &e.tail->next;
            /* It extends the last run or starts one; the runs stay known
             * if they were. */
            if (e.run_first && te == s0)
                ib_tcp_ooo_set_run_last(e.run_first, p);
            else
                new_run = e.run_first != NULL;
        } else {
            placed = e.run_first && s0 != e0 && tcp_ooo_place_in_gap(&e, p, &pp, s0, e0);
            if (!placed) e.run_first = NULL;
        }
    }
    if (new_run) {
        e.run_first = p;
        ib_tcp_ooo_set_run_last(p, p);
    }
    while (!placed && *pp) {
        struct ib_pkt *q = *pp;
        uint32_t qs = ib_tcp_ooo_seq(q), qe = qs + q->len;
        if (ib_seq_lt(qe, s0) || (qe == s0 && qs != qe)) {
            pp = &q->next;
            continue;
        }
        if (ib_seq_gt(qs, e0) || (qs == e0 && s0 != e0)) break;
        if (ib_seq_leq(qs, s0) && ib_seq_geq(qe, e0)) {
            /* Everything in it is held already. */
            *ib_tcp_ooo_mark(q) |= mark;
            e.recent = q;
            ib_tcp_ooo_ends_set(c->ooo, e);
            tcp_seg_done(sg);
            return;
        }
        if (ib_seq_leq(qs, s0)) {
            tcp_seg_pull(sg, qe - s0);
            s0 = qe;
            pp = &q->next;
            continue;
        }
        if (ib_seq_geq(qe, e0)) {
            /* q holds our tail: keep only what comes before it. */
            ib_pkt_trim(p, qs - s0);
            sg->len = qs - s0;
            e0 = qs;
            mark &= (uint8_t)~IB_TCP_OOO_FIN;
            break;
        }
        /* q lies inside the new segment: the new one replaces it. */
        *pp = q->next;
        c->ooo_bytes -= q->size;
        q->next = NULL;
        ib_pkt_free(q);
    }
    memcpy(p->data - 4, &s0, sizeof(s0));
    *ib_tcp_ooo_mark(p) = mark;
    p->next = *pp;
    *pp = p;
    if (!p->next) e.tail = p;
    e.recent = p;
    ib_tcp_ooo_ends_set(c->ooo, e);
    c->ooo_bytes += p->size;
    sg->p = NULL;
}

/* The receive ring may take the rounding slack of the advertised window. */
static uint32_t tcp_rcv_limit(const struct ib_tcp *c)
{
    return c->cfg->rcvbuf + (1u << c->rcv_wscale);
}

/* Takes in-order text into the receive ring: the bytes tcp_verify staged
 * count if nothing has written to the ring since; the rest is copied. */
static uint32_t tcp_take(struct ib_tcp *c, struct tcp_seg *sg, uint32_t limit)
{
    uint32_t n = 0;
    if (sg->staged && sg->seq == sg->h.seq && sg->stage_b == c->rcv.b &&
        sg->stage_tail == ib_tcp_ring_tail(&c->rcv)) {
        n = sg->staged < sg->len ? sg->staged : sg->len;
        ib_tcp_ring_commit(&c->rcv, n);
    }
    if (n < sg->len) n += ib_tcp_ring_write(&c->rcv, sg->p->data + n, sg->len - n, limit);
    return n;
}

/* Step 7: segment text. Returns true if a FIN became in order. */
static bool tcp_data(struct ib_tcp *c, struct tcp_seg *sg, bool *readable)
{
    uint32_t limit = tcp_rcv_limit(c);
    if (sg->seq != c->rcv_nxt) {
        /* RFC 5681 §4.2: "A TCP receiver SHOULD send an immediate
         * duplicate ACK when an out-of-order segment arrives." */
        c->flags |= IB_TCPF_ACK_NOW;
        tcp_ooo_insert(c, sg);
        return false;
    }
    uint32_t old = c->rcv_nxt;
    /* An app that closed will never read: the data is taken and dropped
     * (it was acknowledged by the window we advertised). */
    uint32_t n = (c->flags & IB_TCPF_CLOSED_BY_APP) ? sg->len : tcp_take(c, sg, limit);
    c->rcv_nxt += n;
    bool fin = n == sg->len && (sg->flags & IB_TCP_FIN);
    if (c->ooo) {
        /* RFC 5681 §4.2: ACK at once when a segment fills (part of) a gap. */
        c->flags |= IB_TCPF_ACK_NOW;
        if (!fin) fin = tcp_ooo_drain(c, limit);
    }
    if ((uint32_t)(c->rcv_nxt - c->irs) < (uint32_t)(old - c->irs)) c->rcvd_wraps++;
    if (c->rcv_nxt != old) {
        *readable = true;
        ib_tcp_delack(c);
    }
    return fin;
}

enum { ACK_CONTINUE, ACK_STOP };

/* Could a segment of new data go out, as far as the application (data
 * queued and not yet sent) and the peer's window are concerned? */
static bool tcp_new_data_sendable(const struct ib_tcp *c)
{
    uint32_t flight = ib_tcp_flight(c);
    uint32_t unsent = c->snd.len > flight ? c->snd.len - flight : 0;
    uint32_t wnd_end = c->snd_una + c->snd_wnd;
    return unsent > 0 && ib_seq_lt(c->snd_max, wnd_end);
}

/* The duplicate ACKs that signal a loss. RFC 5827 §3.1 (and §3.2 with
 * SACK, where each of our duplicate ACKs reports newly SACKed data):
 * early retransmit lowers DupThresh to ER_thresh = oseg - 1 when fewer
 * than four segments are outstanding (oseg, rounded up) and no new
 * segment can be sent, because the application has none or the peer's
 * window forbids it; otherwise too few duplicate ACKs can arrive to reach
 * DupThresh and only the RTO would repair the loss. With new data to
 * send, limited transmit (RFC 3042) brings the ACKs instead. */
static uint32_t tcp_dupthresh(const struct ib_tcp *c)
{
    /* A FIN in flight is no segment of its own: it rides on the last. */
    uint32_t flight = ib_tcp_flight(c), data = flight < c->snd.len ? flight : c->snd.len;
    uint32_t oseg = (data + c->mss - 1u) / c->mss;
    if (oseg < 2 || oseg > TCP_DUPTHRESH || tcp_new_data_sendable(c)) return TCP_DUPTHRESH;
    return oseg - 1u;
}

/* Step 5 for synchronized states: RFC 9293 §3.10.7.4 "ESTABLISHED STATE"
 * ACK processing, with RFC 5961 §5.2 validation, RTT, congestion control
 * and loss recovery. */
static int tcp_ack(struct ib_tcp *c, struct tcp_seg *sg)
{
    struct ib_stack *s = c->stack;
    struct ib_env *env = s->node.env;
    const struct ib_tcp_hdr *h = &sg->h;
    const struct ib_tcp_cc_ops *cc = ib_tcp_cc_for(c->cfg->cc);
    uint32_t ack = h->ack;
    /* RFC 9293: "If the ACK acks something not yet sent (SEG.ACK >
     * SND.NXT), then send an ACK, drop the segment, and return." RFC 5961
     * §5.2: also an ACK older than SND.UNA - MAX.SND.WND. */
    if (ib_seq_gt(ack, c->snd_max) ||
        ib_seq_lt(ack, c->snd_una - (c->max_snd_wnd ? c->max_snd_wnd : 0xffffu))) {
        c->flags |= IB_TCPF_ACK_NOW;
        if (ib_seq_lt(ack, c->snd_una)) s->tcp->mib.challenge_acks++;
        tcp_seg_drop(s, sg, IB_DROP_TCP_BAD_ACK);
        return ACK_STOP;
    }
    uint32_t now_us = ib_tcp_now_us(env);
    uint32_t old_cwnd = c->cwnd;
    uint32_t wnd = (uint32_t)h->wnd << c->snd_wscale;
    bool sack_news = false;
    if ((c->flags & IB_TCPF_SACK) && h->opt.nsack) {
        uint32_t before = ib_tcp_sb_sacked_bytes(c);
        ib_tcp_sb_update(c, &h->opt);
        sack_news = ib_tcp_sb_sacked_bytes(c) != before;
    }
    bool writable = false;
    if (ib_seq_gt(ack, c->snd_una)) {
        uint32_t acked = ack - c->snd_una;
        tcp_rtt_from_ack(c, h, ack);
        uint32_t ring_acked = acked < c->snd.len ? acked : c->snd.len;
        ib_tcp_ring_drop(&c->snd, ring_acked);
        if ((uint32_t)(ack - c->iss) < (uint32_t)(c->snd_una - c->iss)) c->acked_wraps++;
        c->snd_una = ack;
        if (ib_seq_lt(c->snd_nxt, ack)) c->snd_nxt = ack;
        c->retries = 0;
        c->backoff = 0;
        if (c->flags & IB_TCPF_SACK) ib_tcp_sb_advance(c);
        if (c->flags & IB_TCPF_RECOVERY) {
            if (ib_seq_geq(ack, c->recover)) {
                /* RFC 6582 §3.2 step 3 / RFC 6675 §5: a full ACK ends
                 * recovery. */
                c->flags &= ~IB_TCPF_RECOVERY;
                c->dupacks = 0;
                cc->recovered(c, now_us);
            } else if (c->flags & IB_TCPF_SACK) {
                /* RFC 6675 §5 (C): recovery goes on; the duplicate ACKs
                 * counted so far are now below snd_una or repeat it. */
                c->dupacks = 0;
            } else {
                /* RFC 6582 §3.2 step 4: a partial ACK: retransmit the
                 * next hole, deflate cwnd by what was acked, add back one
                 * SMSS if at least that much was. */
                ib_tcp_retransmit(c, IB_TCP_CAUSE_FAST_RETRANSMIT);
                c->cwnd = c->cwnd > acked ? c->cwnd - acked : c->mss;
                if (acked >= c->mss) c->cwnd += c->mss;
            }
        } else {
            c->dupacks = 0;
            cc->ack(c, acked, now_us);
        }
        writable = ring_acked > 0;
        ib_tcp_rto_restart(c);
    } else if (ack == c->snd_una && ib_tcp_flight(c) > 0 && sg->len == 0 && wnd != 0 &&
               !(sg->flags & (IB_TCP_SYN | IB_TCP_FIN)) && (wnd == c->snd_wnd || sack_news)) {
        /* RFC 5681 §2: a duplicate ACK (with SACK: one that reports new
         * data, RFC 6675 §2). Answers to zero-window probes are not. */
        if (c->dupacks < UINT16_MAX) c->dupacks++;
        if (!(c->flags & IB_TCPF_RECOVERY)) {
            bool sack = (c->flags & IB_TCPF_SACK) != 0;
            bool dup_loss = c->dupacks >= tcp_dupthresh(c);
            /* RFC 6675 §5 (3): SACK information alone can show the loss,
             * but §5.1: not before HighACK reaches the RecoveryPoint an
             * RTO set. RFC 6582 §3.2 step 2: NewReno enters only if the
             * ACK covers more than recover (one recovery per window). */
            bool enter = sack ? ib_seq_geq(ack, c->recover) &&
                                    (dup_loss || ib_tcp_sb_is_lost(c, c->snd_una))
                              : dup_loss && ib_seq_gt(ack, c->recover);
            if (enter) {
                cc->loss(c, now_us);
                c->recover = c->snd_max;
                c->flags |= IB_TCPF_RECOVERY;
                c->fast_retransmits++;
                /* RFC 5681 §3.2 step 4 / RFC 6675 §5 (4.3): retransmit the
                 * first unacknowledged segment now. */
                if (sack) {
                    ib_tcp_sb_enter_recovery(c);
                    c->cwnd = c->ssthresh; /* RFC 6675 §5 (4.2) */
                    ib_tcp_retransmit(c, IB_TCP_CAUSE_FAST_RETRANSMIT);
                    uint32_t hr = c->snd_una + c->mss;
                    c->sb.high_rxt = ib_seq_lt(hr, c->snd_max) ? hr : c->snd_max;
                } else {
                    /* RFC 6582 §3.2 step 3: cwnd = ssthresh + 3*SMSS, the
                     * segments the duplicate ACKs showed to have left
                     * (fewer after an early retransmit, RFC 5827 §3.1). */
                    c->cwnd = c->ssthresh + c->dupacks * c->mss;
                    ib_tcp_retransmit(c, IB_TCP_CAUSE_FAST_RETRANSMIT);
                }
            }
        } else if (!(c->flags & IB_TCPF_SACK)) {
            /* RFC 6582 §3.2 step 4 (RFC 5681 §3.2 step 5): each further
             * duplicate ACK inflates cwnd by one SMSS. */
            c->cwnd += c->mss;
        }
    }
    /* RFC 9293 §3.10.7.4: update the send window if the segment is newer
     * (SND.WL1 < SEG.SEQ, or equal and SND.WL2 =< SEG.ACK). */
    if (ib_seq_lt(c->snd_wl1, sg->h.seq) ||
        (c->snd_wl1 == sg->h.seq && ib_seq_leq(c->snd_wl2, ack))) {
        c->snd_wnd = wnd;
        c->snd_wl1 = sg->h.seq;
        c->snd_wl2 = ack;
        if (wnd > c->max_snd_wnd) c->max_snd_wnd = wnd;
        if (wnd && (c->flags & IB_TCPF_PERSIST)) {
            /* The window opened: probing is over. */
            c->flags &= ~IB_TCPF_PERSIST;
            c->backoff = 0;
            c->retries = 0;
            c->rto_at = IB_TIME_NEVER;
            /* The probe byte goes again as part of a full segment. */
            c->snd_nxt = c->snd_una;
            ib_tcp_rto_restart(c);
        }
    }
    /* RFC 1122 §4.2.2.17: a peer that answers probes is alive. */
    if ((c->flags & IB_TCPF_PERSIST) && ack == c->snd_una) c->retries = 0;
    if (c->cwnd != old_cwnd) ib_tcp_trace_info(c);
    if (writable && ib_tcp_app_holds(c) && c->ops && c->ops->writable &&
        !(c->flags & IB_TCPF_FIN_QUEUED)) {
        c->ops->writable(c, c->arg);
        if (c->state == IB_TCP_CLOSED) return ACK_STOP;
    }
    return ACK_CONTINUE;
}

/* RFC 9293 §3.10.7.4 first check: is the segment acceptable? */
static bool tcp_acceptable(const struct ib_tcp *c, uint32_t seq, uint32_t seglen)
{
    uint32_t adv = ib_seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
    uint32_t space = ib_tcp_rcv_space(c);
    uint32_t wnd = adv > space ? adv : space;
    uint32_t end = c->rcv_nxt + wnd;
    if (seglen == 0) {
        if (wnd == 0) return seq == c->rcv_nxt;
        return ib_seq_geq(seq, c->rcv_nxt) && ib_seq_lt(seq, end);
    }
    if (wnd == 0) return false;
    return (ib_seq_geq(seq, c->rcv_nxt) && ib_seq_lt(seq, end)) ||
           (ib_seq_geq(seq + seglen - 1, c->rcv_nxt) && ib_seq_lt(seq + seglen - 1, end));
}

static uint32_t tcp_rcv_wnd(const struct ib_tcp *c)
{
    uint32_t adv = ib_seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
    uint32_t space = ib_tcp_rcv_space(c);
    return adv > space ? adv : space;
}

/* RFC 9293 §3.10.7.3: SEGMENT ARRIVES in SYN-SENT. Returns true when the
 * segment continues to step 6 (a SYN-ACK carrying data or a FIN). */
static bool tcp_syn_sent(struct ib_tcp *c, struct tcp_seg *sg)
{
    struct ib_stack *s = c->stack;
    const struct ib_tcp_hdr *h = &sg->h;
    if (sg->flags & IB_TCP_ACK) {
        /* "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless
         * the RST bit is set, if so drop the segment and return)". */
        if (ib_seq_leq(h->ack, c->iss) || ib_seq_gt(h->ack, c->snd_max)) {
            ib_tcp_reply_rst(s, c->laddr, c->raddr, h, sg->len);
            tcp_seg_drop(s, sg, IB_DROP_TCP_BAD_ACK);
            return false;
        }
    }
    if (sg->flags & IB_TCP_RST) {
        /* RFC 5961 §3.2 / RFC 9293: a RST is acceptable here only if it
         * acknowledges our SYN: "connection refused". */
        if (sg->flags & IB_TCP_ACK) {
            ib_tcp_drop_conn(c, IB_ERR_REFUSED, IB_TCP_CAUSE_SEGMENT, h);
            tcp_seg_done(sg);
        } else {
            tcp_seg_drop(s, sg, IB_DROP_TCP_RST_INVALID);
        }
        return false;
    }
    if (!(sg->flags & IB_TCP_SYN)) {
        tcp_seg_drop(s, sg, IB_DROP_TCP_BAD_FLAGS);
        return false;
    }
    if (sg->flags & IB_TCP_ACK) tcp_rtt_from_ack(c, h, h->ack);
    tcp_syn_options(c, h);
    c->irs = h->seq;
    c->rcv_nxt = c->rcv_adv = h->seq + 1;
    c->last_ack_sent = c->rcv_nxt;
    /* RFC 7323 §2.2: the window of a SYN is not scaled. */
    c->snd_wnd = c->max_snd_wnd = h->wnd;
    c->snd_wl1 = h->seq;
    c->snd_wl2 = h->ack;
    c->recover = c->iss; /* RFC 6582 §3.2 step 1 */
    c->flags |= IB_TCPF_ACK_NOW;
    if (!(sg->flags & IB_TCP_ACK)) {
        /* RFC 9293 §3.5 figure 7: simultaneous open; the SYN-ACK repeats
         * our SYN (the output engine sends it for ACK_NOW). */
        c->flags &= ~IB_TCPF_RTT_TIMING;
        c->snd_nxt = c->iss;
        ib_tcp_set_state(c, IB_TCP_SYN_RECEIVED, IB_TCP_CAUSE_SEGMENT, h);
        tcp_seg_done(sg);
        return false;
    }
    c->snd_una = h->ack;
    c->retries = 0;
    c->backoff = 0;
    c->rto_at = IB_TIME_NEVER;
    ib_tcp_established(c, h);
    if (c->state == IB_TCP_CLOSED) {
        tcp_seg_done(sg);
        return false;
    }
    ib_tcp_rto_restart(c);
    /* "continue processing at the sixth step": the SYN is consumed. */
    sg->seq++;
    sg->flags &= (uint8_t)~IB_TCP_SYN;
    return true;
}

static void tcp_process(struct ib_tcp *c, struct tcp_seg *sg)
{
    struct ib_stack *s = c->stack;
    struct ib_tcp_stack *ts = s->tcp;
    struct ib_env *env = s->node.env;
    const struct ib_tcp_hdr *h = &sg->h;
    bool readable = false;

    if (c->state == IB_TCP_SYN_SENT) {
        if (!tcp_syn_sent(c, sg)) return;
        goto text;
    }
    /* A repeated SYN while our SYN-ACK is outstanding: the SYN-ACK was
     * lost, and only repeating it helps the peer (a plain ACK would be
     * dropped in its SYN-SENT, RFC 9293 §3.10.7.3). */
    if (c->state == IB_TCP_SYN_RECEIVED && (sg->flags & IB_TCP_SYN) &&
        !(sg->flags & (IB_TCP_ACK | IB_TCP_RST)) && h->seq == c->irs) {
        c->snd_nxt = c->iss;
        tcp_seg_done(sg);
        return;
    }
    /* RFC 7323 §5.3 (R1): PAWS, before the sequence number test. */
    if ((c->flags & IB_TCPF_TS) && !(sg->flags & IB_TCP_RST)) {
        if (!h->opt.has_ts) {
            /* RFC 7323 §3.2: "If a non-RST segment is received without a
             * TSopt, a TCP SHOULD silently drop the segment." */
            tcp_seg_drop(s, sg, IB_DROP_TCP_PAWS);
            return;
        }
        if (ib_seq_lt(h->opt.ts_val, c->ts_recent) &&
            ib_tcp_ts_now(env) - c->ts_recent_age < PAWS_IDLE_MS) {
            c->flags |= IB_TCPF_ACK_NOW;
            tcp_seg_drop(s, sg, IB_DROP_TCP_PAWS);
            return;
        }
    }
    /* First: sequence number (RFC 9293 §3.10.7.4 table). */
    uint32_t seglen = sg->len + ((sg->flags & IB_TCP_SYN) != 0) + ((sg->flags & IB_TCP_FIN) != 0);
    if (!tcp_acceptable(c, sg->seq, seglen)) {
        if (sg->flags & IB_TCP_RST) {
            tcp_seg_drop(s, sg, IB_DROP_TCP_RST_INVALID);
            return;
        }
        /* "send an acknowledgment ... drop the unacceptable segment"; in
         * TIME-WAIT a retransmitted FIN also restarts the 2*MSL. */
        c->flags |= IB_TCPF_ACK_NOW;
        if (c->state == IB_TCP_TIME_WAIT && (sg->flags & IB_TCP_FIN))
            c->rto_at = ib_now(env) + 2 * c->cfg->msl;
        tcp_seg_drop(s, sg, IB_DROP_TCP_NOT_ACCEPTABLE);
        return;
    }
    /* Trim to the window: first what we already have... */
    if (ib_seq_lt(sg->seq, c->rcv_nxt)) {
        uint32_t dup = c->rcv_nxt - sg->seq;
        if (sg->flags & IB_TCP_SYN) {
            sg->flags &= (uint8_t)~IB_TCP_SYN;
            sg->seq++;
            dup--;
        }
        if (dup > sg->len) {
            sg->flags &= (uint8_t)~IB_TCP_FIN;
            dup = sg->len;
        }
        if (dup) c->flags |= IB_TCPF_ACK_NOW; /* old data: say what we have */
        tcp_seg_pull(sg, dup);
    }
    /* ...then what lies beyond the right edge. */
    uint32_t edge = c->rcv_nxt + tcp_rcv_wnd(c);
    if (ib_seq_gt(sg->seq + sg->len, edge)) {
        uint32_t keep = ib_seq_gt(edge, sg->seq) ? edge - sg->seq : 0;
        ib_pkt_trim(sg->p, keep);
        sg->len = keep;
        sg->flags &= (uint8_t)~IB_TCP_FIN;
        c->flags |= IB_TCPF_ACK_NOW;
    }
    /* RFC 7323 §4.3: record TS.Recent from a segment that covers
     * Last.ACK.sent (PAWS made sure TSval did not go back). */
    if ((c->flags & IB_TCPF_TS) && h->opt.has_ts && ib_seq_leq(h->seq, c->last_ack_sent) &&
        ib_seq_geq(h->opt.ts_val, c->ts_recent)) {
        c->ts_recent = h->opt.ts_val;
        c->ts_recent_age = ib_tcp_ts_now(env);
    }
    /* Second: RST (RFC 5961 §3.2). */
    if (sg->flags & IB_TCP_RST) {
        if (sg->seq != c->rcv_nxt) {
            /* In the window but not exact: a challenge ACK; only the real
             * peer knows the exact number to answer with. */
            ts->mib.challenge_acks++;
            c->flags |= IB_TCPF_ACK_NOW;
            tcp_seg_drop(s, sg, IB_DROP_TCP_CHALLENGE);
            return;
        }
        int err = IB_ERR_RESET;
        /* RFC 9293: SYN-RECEIVED from a passive OPEN "return this
         * connection to LISTEN" (the listener stays; this child goes);
         * from an active OPEN: "connection refused". */
        if (c->state == IB_TCP_SYN_RECEIVED) err = (c->flags & IB_TCPF_CHILD) ? 0 : IB_ERR_REFUSED;
        ib_tcp_drop_conn(c, err, IB_TCP_CAUSE_SEGMENT, h);
        tcp_seg_done(sg);
        return;
    }
    /* Fourth: SYN (RFC 5961 §4.2: a challenge ACK, whatever the number). */
    if (sg->flags & IB_TCP_SYN) {
        if (c->state == IB_TCP_SYN_RECEIVED && (c->flags & IB_TCPF_CHILD)) {
            ib_tcp_drop_conn(c, 0, IB_TCP_CAUSE_SEGMENT, h);
            tcp_seg_done(sg);
            return;
        }
        ts->mib.challenge_acks++;
        c->flags |= IB_TCPF_ACK_NOW;
        tcp_seg_drop(s, sg, IB_DROP_TCP_CHALLENGE);
        return;
    }
    /* Fifth: ACK. */
    if (!(sg->flags & IB_TCP_ACK)) {
        tcp_seg_drop(s, sg, IB_DROP_TCP_BAD_ACK);
        return;
    }
    if (c->state == IB_TCP_SYN_RECEIVED) {
        if (!(ib_seq_gt(h->ack, c->snd_una) && ib_seq_leq(h->ack, c->snd_max))) {
            /* "<SEQ=SEG.ACK><CTL=RST>" */
            ib_tcp_reply_rst(s, c->laddr, c->raddr, h, sg->len);
            tcp_seg_drop(s, sg, IB_DROP_TCP_BAD_ACK);
            return;
        }
        tcp_rtt_from_ack(c, h, h->ack);
        c->snd_una = h->ack;
        c->snd_wnd = (uint32_t)h->wnd << c->snd_wscale;
        if (c->snd_wnd > c->max_snd_wnd) c->max_snd_wnd = c->snd_wnd;
        c->snd_wl1 = h->seq;
        c->snd_wl2 = h->ack;
        c->retries = 0;
        c->backoff = 0;
        c->rto_at = IB_TIME_NEVER;
        ib_tcp_established(c, h);
        if (c->state == IB_TCP_CLOSED) {
            tcp_seg_done(sg);
            return;
        }
        ib_tcp_rto_restart(c);
    }
    if (tcp_ack(c, sg) == ACK_STOP) {
        tcp_seg_done(sg);
        return;
    }
    switch (c->state) {
    case IB_TCP_FIN_WAIT_1:
        if (tcp_our_fin_acked(c)) {
            ib_tcp_set_state(c, IB_TCP_FIN_WAIT_2, IB_TCP_CAUSE_SEGMENT, h);
            /* An orphan waits for the peer's FIN at most 2*MSL. */
            c->rto_at =
                (c->flags & IB_TCPF_CLOSED_BY_APP) ? ib_now(env) + 2 * c->cfg->msl : IB_TIME_NEVER;
        }
        break;
    case IB_TCP_CLOSING:
        if (tcp_our_fin_acked(c)) tcp_enter_time_wait(c, h);
        break;
    case IB_TCP_LAST_ACK:
        if (tcp_our_fin_acked(c)) {
            ib_tcp_drop_conn(c, 0, IB_TCP_CAUSE_SEGMENT, h);
            tcp_seg_done(sg);
            return;
        }
        break;
    case IB_TCP_TIME_WAIT:
        /* RFC 9293: a retransmitted FIN is acknowledged and restarts the
         * 2 MSL timeout. */
        if (sg->flags & IB_TCP_FIN) {
            c->flags |= IB_TCPF_ACK_NOW;
            c->rto_at = ib_now(env) + 2 * c->cfg->msl;
        }
        break;
    default:
        break;
    }
text:;
    /* Seventh: segment text; eighth: FIN. */
    bool fin = false;
    if (c->ooo && ib_seq_leq(ib_tcp_ooo_seq(c->ooo), c->rcv_nxt) &&
        (c->state == IB_TCP_ESTABLISHED || c->state == IB_TCP_FIN_WAIT_1 ||
         c->state == IB_TCP_FIN_WAIT_2)) {
        /* Text queued before the connection was established (a SYN's). */
        uint32_t old = c->rcv_nxt;
        fin = tcp_ooo_drain(c, tcp_rcv_limit(c));
        if (c->rcv_nxt != old) {
            readable = true;
            ib_tcp_delack(c);
        }
    }
    if (sg->len > 0 || (sg->flags & IB_TCP_FIN)) {
        switch (c->state) {
        case IB_TCP_ESTABLISHED:
        case IB_TCP_FIN_WAIT_1:
        case IB_TCP_FIN_WAIT_2:
            if (sg->len > 0 || sg->seq != c->rcv_nxt)
                fin |= tcp_data(c, sg, &readable);
            else
                fin = true;
            break;
        default:
            /* "This should not occur, since a FIN has been received from
             * the remote side. Ignore the segment text." */
            break;
        }
    }
    tcp_seg_done(sg);
    if (fin && !(c->flags & IB_TCPF_FIN_RCVD)) {
        tcp_fin(c, h);
        readable = true;
    }
    if (readable && ib_tcp_app_holds(c) && c->ops && c->ops->readable) c->ops->readable(c, c->arg);
}

static void tcp_conn_input(struct ib_tcp *c, struct tcp_seg *sg)
{
    c->flags |= IB_TCPF_IN_INPUT;
    c->segs_in++;
    tcp_process(c, sg);
    c->flags &= ~IB_TCPF_IN_INPUT;
    if (c->state != IB_TCP_CLOSED) {
        ib_tcp_output(c);
        /* RFC 1122 §4.2.3.6: any segment from the peer restarts the idle
         * time. */
        if ((c->flags & IB_TCPF_KEEPALIVE) && c->cfg->keepalive_idle) {
            c->retries = 0;
            c->rto_at = ib_now(c->stack->node.env) + c->cfg->keepalive_idle;
        }
    }
    ib_tcp_settle(c);
}

/* RFC 9293 §3.10.7.4 TIME-WAIT, for a compact record. Returns false if
 * the segment should go on to a listener (a new SYN reusing the ports). */
static bool tcp_tw_input(struct ib_stack *s, struct ib_tcp_tw *tw, struct tcp_seg *sg)
{
    const struct ib_tcp_hdr *h = &sg->h;
    struct ib_env *env = s->node.env;
    if (sg->flags & IB_TCP_RST) {
        /* RFC 5961 §3.2: only an exact RST ends it; RFC 1337 would rather
         * ignore it, but RFC 9293 keeps the reset. */
        if (h->seq == tw->rcv_nxt) {
            ib_tcp_tw_kill(s, tw, IB_TCP_CAUSE_SEGMENT, h);
            tcp_seg_done(sg);
        } else {
            tcp_seg_drop(s, sg, IB_DROP_TCP_RST_INVALID);
        }
        return true;
    }
    if ((sg->flags & IB_TCP_SYN) && !(sg->flags & IB_TCP_ACK) && ib_seq_gt(h->seq, tw->rcv_nxt)) {
        /* RFC 1122 §4.2.2.13 (and RFC 6191 with timestamps): a new SYN
         * with a higher sequence number may reopen the connection. */
        if (!(tw->flags & IB_TCPF_TS) || !h->opt.has_ts ||
            ib_seq_gt(h->opt.ts_val, tw->ts_recent)) {
            ib_tcp_tw_kill(s, tw, IB_TCP_CAUSE_SEGMENT, h);
            return false;
        }
    }
    /* RFC 9293 §3.10.7.4: an acceptable segment that is neither a FIN nor
     * a SYN (a late pure ACK) needs no answer; answering it would draw a
     * RST from a peer that has already closed. */
    if (!(sg->flags & (IB_TCP_FIN | IB_TCP_SYN)) && sg->len == 0 && h->seq == tw->rcv_nxt) {
        tcp_seg_drop(s, sg, IB_DROP_TCP_TIME_WAIT);
        return true;
    }
    /* "The only thing that can arrive in this state is a retransmission
     * of the remote FIN. Acknowledge it, and restart the 2 MSL timeout."
     * An unacceptable segment gets the same ACK (§3.10.7.4 "first"), and
     * so does a SYN (RFC 5961 §4). */
    struct ib_tcp_opts o;
    memset(&o, 0, sizeof(o));
    if (tw->flags & IB_TCPF_TS) {
        o.has_ts = true;
        o.ts_val = ib_tcp_ts_now(env);
        o.ts_ecr = tw->ts_recent;
    }
    if (sg->flags & IB_TCP_SYN) s->tcp->mib.challenge_acks++;
    ib_tcp_respond(s, tw->laddr, tw->lport, tw->raddr, tw->rport, tw->snd_nxt, tw->rcv_nxt,
                   IB_TCP_ACK, tw->rcv_wnd, &o);
    if (sg->flags & IB_TCP_FIN) {
        ib_tcp_tw_restart(s, tw);
        tcp_seg_done(sg);
    } else {
        tcp_seg_drop(s, sg, IB_DROP_TCP_TIME_WAIT);
    }
    return true;
}

/* A connection born in SYN_RECEIVED for listener l, for the segment sg
 * from raddr to laddr. */
static struct ib_tcp *tcp_child(struct ib_tcp *l, const struct tcp_seg *sg, ib_ip4 laddr,
                                ib_ip4 raddr)
{
    struct ib_stack *s = l->stack;
    struct ib_tcp *c = ib_tcp_new(s, l->cfg);
    if (!c) return NULL;
    c->laddr = laddr;
    c->lport = sg->h.dport;
    c->raddr = raddr;
    c->rport = sg->h.sport;
    c->listener = l;
    c->flags |= IB_TCPF_CHILD;
    l->ooo_bytes++;
    c->state = IB_TCP_LISTEN;
    ib_tcp_hash_add(c);
    return c;
}

/* RFC 9293 §3.10.7.2: SEGMENT ARRIVES in LISTEN. */
static void tcp_listen_input(struct ib_tcp *l, struct tcp_seg *sg, ib_ip4 laddr, ib_ip4 raddr)
{
    struct ib_stack *s = l->stack;
    struct ib_tcp_stack *ts = s->tcp;
    struct ib_env *env = s->node.env;
    const struct ib_tcp_hdr *h = &sg->h;
    const struct ib_tcp_config *cfg = l->cfg;
    /* "first check for an RST: an incoming RST should be ignored" */
    if (sg->flags & IB_TCP_RST) {
        tcp_seg_drop(s, sg, IB_DROP_TCP_RST_INVALID);
        return;
    }
    /* "second check for an ACK": only a SYN cookie makes one valid. */
    if (sg->flags & IB_TCP_ACK) {
        uint16_t mss = 0;
        if (cfg->syncookies && !(sg->flags & IB_TCP_SYN)) {
            mss = ib_tcp_cookie_check(ts, ib_now(env), laddr, h->dport, raddr, h->sport, h->seq - 1,
                                      h->ack - 1);
            if (mss)
                ts->mib.syncookies_recv++;
            else
                ts->mib.syncookies_failed++;
        }
        struct ib_tcp *c = mss ? tcp_child(l, sg, laddr, raddr) : NULL;
        if (!c) {
            ib_tcp_reply_rst(s, laddr, raddr, h, sg->len);
            tcp_seg_drop(s, sg, cfg->syncookies ? IB_DROP_TCP_BAD_COOKIE : IB_DROP_TCP_BAD_ACK);
            return;
        }
        /* RFC 4987 §3.6: the connection resumes as if our SYN-ACK (the
         * cookie) had just been sent; options beyond the MSS were not
         * kept, so none are in use. */
        c->irs = h->seq - 1;
        c->rcv_nxt = c->rcv_adv = c->last_ack_sent = h->seq;
        c->iss = h->ack - 1;
        c->snd_una = c->iss;
        c->snd_nxt = c->snd_max = h->ack;
        c->snd_wl1 = h->seq;
        c->recover = c->iss;
        uint16_t ours = ib_tcp_route_mss(s, raddr, cfg);
        c->mss = mss < ours ? mss : ours;
        ib_tcp_set_state(c, IB_TCP_SYN_RECEIVED, IB_TCP_CAUSE_SEGMENT, h);
        tcp_conn_input(c, sg);
        return;
    }
    if (!(sg->flags & IB_TCP_SYN)) {
        tcp_seg_drop(s, sg, IB_DROP_TCP_BAD_FLAGS);
        return;
    }
    /* "third check for a SYN" */
    if (l->ooo_bytes >= cfg->backlog) {
        if (!cfg->syncookies) {
            tcp_seg_drop(s, sg, IB_DROP_TCP_BACKLOG_FULL);
            return;
        }
        /* RFC 4987 §3.6: answer without keeping state. */
        uint16_t peer = h->opt.has_mss ? h->opt.mss : 536;
        uint16_t ours = ib_tcp_route_mss(s, raddr, cfg);
        uint32_t cookie = ib_tcp_cookie_make(ts, ib_now(env), laddr, h->dport, raddr, h->sport,
                                             h->seq, peer < ours ? peer : ours);
        struct ib_tcp_opts o;
        memset(&o, 0, sizeof(o));
        o.has_mss = true;
        o.mss = ours;
        uint16_t wnd = cfg->rcvbuf > 0xffff ? 0xffff : (uint16_t)cfg->rcvbuf;
        ib_tcp_respond(s, laddr, h->dport, raddr, h->sport, cookie, h->seq + 1,
                       IB_TCP_SYN | IB_TCP_ACK, wnd, &o);
        ts->mib.syncookies_sent++;
        tcp_seg_done(sg);
        return;
    }
    struct ib_tcp *c = tcp_child(l, sg, laddr, raddr);
    if (!c) {
        tcp_seg_drop(s, sg, IB_DROP_NOMEM);
        return;
    }
    tcp_syn_options(c, h);
    c->irs = h->seq;
    c->rcv_nxt = c->rcv_adv = c->last_ack_sent = h->seq + 1;
    c->iss = ib_tcp_isn(ts, ib_now(env), laddr, h->dport, raddr, h->sport);
    c->snd_una = c->snd_nxt = c->snd_max = c->iss;
    c->recover = c->iss;
    c->snd_wnd = c->max_snd_wnd = h->wnd; /* RFC 7323 §2.2: not scaled */
    c->snd_wl1 = h->seq;
    ib_tcp_set_state(c, IB_TCP_SYN_RECEIVED, IB_TCP_CAUSE_SEGMENT, h);
    /* RFC 9293 §3.10.7.2: text in a SYN "should be queued for processing
     * later": it waits in the out-of-order queue, unacknowledged, until
     * the connection is established. */
    if (sg->len) {
        sg->seq = h->seq + 1;
        sg->flags &= (uint8_t)~IB_TCP_FIN;
        tcp_ooo_insert(c, sg);
    }
    tcp_seg_done(sg);
    ib_tcp_output(c);
    ib_tcp_settle(c);
}

/* Is a one of our interface addresses (not a broadcast we accept)? */
static bool tcp_own_unicast(const struct ib_stack *s, const struct ib_netif *nif, ib_ip4 a)
{
    if (nif && nif->addr == a && a) return true;
    for (unsigned i = 0; i < s->n_nifs; i++)
        if (s->nifs[i]->addr == a && a) return true;
    return false;
}

/* RFC 9293 §3.1 (MUST-2, MUST-3): the checksum covers the pseudo-header,
 * the header and the data, and a segment failing it changes nothing. The
 * likely next in-order text of an established connection (Jacobson's
 * header prediction) is summed while it is copied
 * into the free space past the receive ring's tail, so its bytes are read
 * once; they join the ring only when tcp_data takes them. */
static int tcp_verify(struct ib_tcp *c, struct tcp_seg *sg, const struct ib_ip4_hdr *ip)
{
    const uint8_t *b = sg->p->data;
    uint32_t len = sg->p->len, hlen = sg->h.hlen;
    uint64_t sum = ib_csum_pseudo4(ip->src, ip->dst, IB_IPPROTO_TCP, (uint16_t)len);
    sg->staged = 0;
    if (c && c->state == IB_TCP_ESTABLISHED && !(c->flags & IB_TCPF_CLOSED_BY_APP) && len > hlen &&
        sg->h.seq == c->rcv_nxt && !(sg->h.flags & (IB_TCP_SYN | IB_TCP_RST))) {
        struct ib_tcp_ring *r = &c->rcv;
        uint64_t data;
        sg->staged = ib_tcp_ring_stage_csum(r, b + hlen, len - hlen, tcp_rcv_limit(c), &data);
        sg->stage_b = r->b;
        sg->stage_tail = ib_tcp_ring_tail(r);
        /* hlen is a whole number of words: the sums simply add. */
        sum = ib_csum_partial(b, hlen, sum) + data;
        sum += sum < data;
    } else {
        sum = ib_csum_partial(b, len, sum);
    }
    return ib_csum_fold(sum) != 0 ? IB_DROP_TCP_BAD_CHECKSUM : 0;
}

void ib_tcp_input(struct ib_stack *s, struct ib_netif *nif, struct ib_pkt *p,
                  const struct ib_ip4_hdr *ip)
{
    struct ib_tcp_stack *ts = ib_tcp_stack_get(s);
    if (!ts) {
        ib_drop(&s->node, nif, p, IB_DROP_NOMEM);
        return;
    }
    ts->mib.segs_in++;
    struct tcp_seg sg;
    sg.nif = nif;
    sg.p = p;
    sg.pulled = 0;
    struct ib_tcp *c = NULL;
    int r = ib_tcp_parse_nocsum(p->data, p->len, &sg.h);
    if (r == 0) {
        c = ib_tcp_lookup(ts, ip->dst, sg.h.dport, ip->src, sg.h.sport);
        r = tcp_verify(c, &sg, ip);
    } else {
        /* The full parse picks the reason a damaged header reports. */
        r = ib_tcp_parse(p->data, p->len, ip->src, ip->dst, &sg.h);
    }
    if (r) {
        ts->mib.in_errs++;
        ib_drop(&s->node, nif, p, r);
        return;
    }
    /* RFC 1122 §4.2.3.10: TCP is unicast only; a segment sent as a
     * broadcast or multicast (a directed broadcast included), or from such
     * an address, is discarded. */
    bool multi = (ip->src >> 28) == 0xe || ip->src == IB_IP4_BROADCAST || ip->src == IB_IP4_ANY;
    if ((p->flags & (IB_PKT_F_LINK_BCAST | IB_PKT_F_LINK_MCAST)) || multi ||
        !tcp_own_unicast(s, nif, ip->dst)) {
        ts->mib.in_errs++;
        ib_drop(&s->node, nif, p, IB_DROP_IP_BAD_SRC);
        return;
    }
    sg.flags = sg.h.flags;
    /* SYN with RST or FIN is meaningless (RFC 9293 §3.10.7 never makes
     * one); such segments are scans, not connections. */
    if ((sg.flags & IB_TCP_SYN) && (sg.flags & (IB_TCP_RST | IB_TCP_FIN))) {
        ts->mib.in_errs++;
        ib_drop(&s->node, nif, p, IB_DROP_TCP_BAD_FLAGS);
        return;
    }
    sg.seq = sg.h.seq;
    ib_pkt_pull(p, sg.h.hlen);
    sg.pulled = sg.h.hlen;
    sg.len = p->len;
    if (c) {
        tcp_conn_input(c, &sg);
        return;
    }
    struct ib_tcp_tw *tw = ib_tcp_tw_lookup(ts, ip->dst, sg.h.dport, ip->src, sg.h.sport);
    if (tw && tcp_tw_input(s, tw, &sg)) return;
    struct ib_tcp *l = ib_tcp_listener_find(ts, ip->dst, sg.h.dport);
    if (l) {
        tcp_listen_input(l, &sg, ip->dst, ip->src);
        return;
    }
    /* RFC 9293 §3.10.7.1: CLOSED: answer with a RST. */
    uint32_t seglen = sg.len + ((sg.flags & IB_TCP_SYN) != 0) + ((sg.flags & IB_TCP_FIN) != 0);
    ib_tcp_reply_rst(s, ip->dst, ip->src, &sg.h, seglen);
    tcp_seg_drop(s, &sg, IB_DROP_TCP_NO_LISTENER);
}

void ib_tcp_icmp_error(struct ib_stack *s, ib_ip4 from, uint8_t type, uint8_t code, uint32_t info,
                       const uint8_t *quoted, size_t len)
{
    (void)from;
    struct ib_tcp_stack *ts = s->tcp;
    /* RFC 792: the IP header and 8 bytes: ports and sequence number. */
    if (!ts || len < IB_IP4_HLEN) return;
    size_t hlen = (size_t)(quoted[0] & 0xf) * 4;
    if (hlen < IB_IP4_HLEN || len < hlen + 8) return;
    const uint8_t *th = quoted + hlen;
    struct ib_tcp *c = ib_tcp_lookup(ts, ib_get32(quoted + 12), ib_get16(th), ib_get32(quoted + 16),
                                     ib_get16(th + 2));
    if (!c) return;
    /* RFC 5927 §4.1: believe only errors about data in flight. */
    uint32_t seq = ib_get32(th + 4);
    if (!(ib_seq_geq(seq, c->snd_una) && ib_seq_lt(seq, c->snd_max))) return;
    if (type != IB_ICMP_DEST_UNREACH) return; /* time exceeded and others are soft errors */
    if (code == IB_ICMP_UNREACH_NEEDFRAG) {
        /* RFC 1191 §6.2: the next-hop MTU lowers the segment size, and
         * what was dropped is sent again at once (no congestion signal). */
        uint32_t mtu = info & 0xffff;
        if (mtu < 68) return;
        uint32_t mss = mtu - 40 - ((c->flags & IB_TCPF_TS) ? 12u : 0u);
        if (mss < 64) mss = 64;
        if (mss >= c->mss) return;
        c->mss = (uint16_t)mss;
        c->snd_nxt = c->snd_una;
        ib_tcp_output(c);
        ib_tcp_timer_update(c);
        return;
    }
    /* RFC 1122 §4.2.3.9 and RFC 5927 §4.1: in synchronized states even a
     * "hard" error is treated as soft; a connection attempt gives up. */
    if (c->state == IB_TCP_SYN_SENT) ib_tcp_drop_conn(c, IB_ERR_UNREACH, IB_TCP_CAUSE_ICMP, NULL);
}
