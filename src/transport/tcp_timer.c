/* TCP timers. A connection has one ib_timer, armed at the earliest of its
 * deadlines: the delayed ACK (RFC 1122 §4.2.3.2, RFC 5681 §4.2) and one
 * "long" deadline that is, depending on the state, the retransmission
 * timer (RFC 6298), the persist timer (RFC 9293 §3.8.6.1), the keepalive
 * timer (RFC 1122 §4.2.3.6), the orphaned FIN_WAIT_2 timeout, or the end
 * of TIME_WAIT (2*MSL, RFC 9293 §3.4.2). Re-arming later costs nothing in
 * the event queue, so restarting the RTO on every ACK is cheap.
 *
 * RTT estimation follows RFC 6298 §2 (SRTT, RTTVAR, RTO = SRTT +
 * max(G, 4*RTTVAR), clamped) with Karn's rule (§3) and exponential backoff
 * (§5.5); after cfg->max_retries retransmissions the connection fails with
 * IB_ERR_TIMEOUT. */
#include "transport/tcp_int.h"

/* RFC 6298 §2: G, the clock granularity: the timestamp clock ticks in ms. */
#define TCP_CLOCK_G_US 1000u
/* Doublings of the RTO beyond this are clamped by rto_max anyway. */
#define TCP_BACKOFF_MAX 16u

uint32_t ib_tcp_rto_us(const struct ib_tcp *c)
{
    const struct ib_tcp_config *cfg = c->cfg;
    uint64_t rto;
    if (!(c->flags & IB_TCPF_RTT_VALID)) {
        /* RFC 6298 (2.1); (5.7): "If the timer expires awaiting the ACK of
         * a SYN segment and the TCP implementation is using an RTO less
         * than 3 seconds, the RTO MUST be re-initialized to 3 seconds when
         * data transmission begins". */
        rto = (uint64_t)(cfg->rto_init / 1000);
        if ((c->flags & IB_TCPF_RTO_3S) && rto < 3000000) rto = 3000000;
    } else {
        /* RFC 6298 (2.3): RTO <- SRTT + max (G, K*RTTVAR), K = 4. */
        uint64_t var = 4u * (uint64_t)c->rttvar_us;
        rto = c->srtt_us + (var > TCP_CLOCK_G_US ? var : TCP_CLOCK_G_US);
    }
    /* RFC 6298 (2.4), (2.5): the configured minimum and maximum. */
    uint64_t lo = (uint64_t)(cfg->rto_min / 1000), hi = (uint64_t)(cfg->rto_max / 1000);
    if (rto < lo) rto = lo;
    if (rto > hi) rto = hi;
    return (uint32_t)rto;
}

/* The backed-off RTO (RFC 6298 (5.5)), as a time interval. */
static ib_time tcp_rto_backed_off(const struct ib_tcp *c)
{
    uint64_t rto = (uint64_t)ib_tcp_rto_us(c)
                   << (c->backoff < TCP_BACKOFF_MAX ? c->backoff : TCP_BACKOFF_MAX);
    uint64_t hi = (uint64_t)(c->cfg->rto_max / 1000);
    if (rto > hi) rto = hi;
    return (ib_time)rto * 1000;
}

void ib_tcp_rtt_sample(struct ib_tcp *c, uint32_t r)
{
    if (!(c->flags & IB_TCPF_RTT_VALID)) {
        /* RFC 6298 (2.2): SRTT <- R, RTTVAR <- R/2. */
        c->srtt_us = r;
        c->rttvar_us = r / 2;
        c->flags |= IB_TCPF_RTT_VALID;
        return;
    }
    /* RFC 6298 (2.3): beta = 1/4, alpha = 1/8. */
    uint32_t delta = c->srtt_us > r ? c->srtt_us - r : r - c->srtt_us;
    c->rttvar_us = c->rttvar_us - c->rttvar_us / 4 + delta / 4;
    c->srtt_us = c->srtt_us - c->srtt_us / 8 + r / 8;
}

static bool tcp_keepalive_state(const struct ib_tcp *c)
{
    return c->cfg->keepalive_idle &&
           (c->state == IB_TCP_ESTABLISHED || c->state == IB_TCP_CLOSE_WAIT);
}

void ib_tcp_rto_restart(struct ib_tcp *c)
{
    if (c->flags & IB_TCPF_PERSIST) return;
    if (c->state == IB_TCP_FIN_WAIT_2 || c->state == IB_TCP_TIME_WAIT || c->state == IB_TCP_CLOSED)
        return;
    ib_time now = ib_now(c->stack->node.env);
    c->flags &= ~IB_TCPF_KEEPALIVE;
    if (ib_tcp_flight(c) == 0) {
        /* RFC 6298 (5.2): all data acknowledged: turn the timer off. An
         * idle connection then watches its peer if asked to (RFC 1122
         * §4.2.3.6). */
        c->rto_at = IB_TIME_NEVER;
        if (tcp_keepalive_state(c)) {
            c->flags |= IB_TCPF_KEEPALIVE;
            c->rto_at = now + c->cfg->keepalive_idle;
        }
        return;
    }
    /* RFC 6298 (5.3): restart on an ACK of new data. */
    c->rto_at = now + tcp_rto_backed_off(c);
}

void ib_tcp_delack(struct ib_tcp *c)
{
    if (c->flags & IB_TCPF_ACK_NOW) return;
    /* RFC 5681 §4.2: "an ACK SHOULD be generated for at least every
     * second full-sized segment". */
    if (c->rcv_nxt - c->last_ack_sent >= 2u * c->mss) {
        c->flags |= IB_TCPF_ACK_NOW;
        return;
    }
    /* RFC 1122 §4.2.3.2: delayed no longer than the delack timer. */
    if (!(c->flags & IB_TCPF_DELACK)) {
        c->flags |= IB_TCPF_DELACK;
        c->delack_us = ib_tcp_now_us(c->stack->node.env) + (uint32_t)(c->cfg->delack / 1000);
    }
}

void ib_tcp_timer_update(struct ib_tcp *c)
{
    struct ib_env *env = c->stack->node.env;
    ib_time when = c->rto_at;
    if (c->flags & IB_TCPF_DELACK) {
        ib_time now = ib_now(env);
        int32_t left = (int32_t)(c->delack_us - ib_tcp_now_us(env));
        ib_time d = left > 0 ? now + (ib_time)left * 1000 : now;
        if (d < when) when = d;
    }
    if (when == IB_TIME_NEVER) {
        ib_timer_cancel(&c->timer);
        return;
    }
    if (c->timer.when != when) ib_timer_arm(env, &c->timer, when);
}

/* RFC 6298 §5 (5.4)-(5.7): the retransmission timer expired. */
static void tcp_rto_expired(struct ib_tcp *c)
{
    struct ib_env *env = c->stack->node.env;
    bool syn = c->state == IB_TCP_SYN_SENT || c->state == IB_TCP_SYN_RECEIVED;
    if (!syn && ib_tcp_flight(c) == 0 && ib_seq_geq(c->snd_nxt, c->snd_max)) return;
    uint8_t limit = syn ? c->cfg->syn_retries : c->cfg->max_retries;
    if (c->retries >= limit) {
        /* RFC 1122 §4.2.3.5: past R2, close the connection and tell the
         * application. */
        ib_tcp_drop_conn(c, IB_ERR_TIMEOUT, IB_TCP_CAUSE_RTO, NULL);
        return;
    }
    uint32_t now_us = ib_tcp_now_us(env);
    /* RFC 5681 §3.1 eq. (4) and "cwnd to no more than LW" (the cc module
     * looks at backoff to keep ssthresh on repeated timeouts). */
    if (!syn) ib_tcp_cc_for(c->cfg->cc)->timeout(c, now_us);
    c->timeouts++;
    c->retries++;
    if (c->backoff < TCP_BACKOFF_MAX) c->backoff++;
    /* RFC 6582 §4 / RFC 6675 §5.1: recovery ends; recover remembers how
     * far we had sent, and the SACK information is no longer trusted
     * (RFC 2018 §8). */
    c->flags &= ~(IB_TCPF_RECOVERY | IB_TCPF_RTT_TIMING);
    c->recover = c->snd_max;
    c->dupacks = 0;
    ib_tcp_sb_reset(&c->sb);
    c->rto_at = ib_now(env) + tcp_rto_backed_off(c);
    if (syn) {
        ib_tcp_retransmit(c, IB_TCP_CAUSE_RTO);
        return;
    }
    /* Go back: the output engine resends from snd_una within the one
     * segment cwnd now allows. */
    c->snd_nxt = c->snd_una;
}

static void tcp_deadline(struct ib_tcp *c)
{
    struct ib_env *env = c->stack->node.env;
    ib_time now = ib_now(env);
    switch (c->state) {
    case IB_TCP_TIME_WAIT:
        /* RFC 9293 §3.10.8: "If the time-wait timeout expires on a
         * connection, delete the TCB, enter the CLOSED state". */
        ib_tcp_drop_conn(c, 0, IB_TCP_CAUSE_TIME_WAIT, NULL);
        return;
    case IB_TCP_FIN_WAIT_2:
        ib_tcp_drop_conn(c, 0, IB_TCP_CAUSE_TIME_WAIT, NULL);
        return;
    default:
        break;
    }
    if (c->flags & IB_TCPF_KEEPALIVE) {
        /* RFC 1122 §4.2.3.6: probes after an idle interval; the connection
         * is dead after keepalive_cnt of them go unanswered. */
        if (c->retries >= c->cfg->keepalive_cnt) {
            c->flags &= ~IB_TCPF_KEEPALIVE;
            ib_tcp_drop_conn(c, IB_ERR_TIMEOUT, IB_TCP_CAUSE_KEEPALIVE, NULL);
            return;
        }
        c->retries++;
        ib_tcp_send_keepalive(c);
        c->rto_at = now + c->cfg->keepalive_intvl;
        return;
    }
    if (c->flags & IB_TCPF_PERSIST) {
        if (c->snd_wnd != 0) {
            c->flags &= ~IB_TCPF_PERSIST;
            ib_tcp_send_override(c);
            return;
        }
        /* RFC 9293 §3.8.6.1 / RFC 1122 §4.2.2.17: probe the zero window
         * with exponential backoff, for as long as the peer answers. */
        if (c->retries >= c->cfg->max_retries) {
            ib_tcp_drop_conn(c, IB_ERR_TIMEOUT, IB_TCP_CAUSE_PROBE, NULL);
            return;
        }
        ib_tcp_send_probe(c);
        ib_tcp_trace_rexmit(c, c->snd_una, 1, IB_TCP_CAUSE_PROBE);
        c->retries++;
        if (c->backoff < TCP_BACKOFF_MAX) c->backoff++;
        c->rto_at = now + tcp_rto_backed_off(c);
        return;
    }
    tcp_rto_expired(c);
}

void ib_tcp_timer_fire(struct ib_timer *t)
{
    struct ib_tcp *c = (struct ib_tcp *)(void *)((char *)t - offsetof(struct ib_tcp, timer));
    struct ib_env *env = c->stack->node.env;
    c->flags |= IB_TCPF_IN_INPUT;
    if ((c->flags & IB_TCPF_DELACK) && (int32_t)(ib_tcp_now_us(env) - c->delack_us) >= 0)
        c->flags |= IB_TCPF_ACK_NOW;
    if (c->rto_at <= ib_now(env)) {
        c->rto_at = IB_TIME_NEVER;
        tcp_deadline(c);
    }
    c->flags &= ~IB_TCPF_IN_INPUT;
    if (c->state != IB_TCP_CLOSED) ib_tcp_output(c);
    ib_tcp_settle(c);
}
