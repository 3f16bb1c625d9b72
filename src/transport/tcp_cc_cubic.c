/* CUBIC congestion control (RFC 9438). In congestion avoidance the window
 * follows W_cubic(t) = C*(t-K)^3 + W_max (§4.2), a cubic in the time since
 * the last reduction whose plateau is the window where the last loss
 * happened, but never grows slower than a Reno flow would (§4.3). A loss
 * multiplies the window by beta_cubic = 0.7 (§4.6). Slow start, the
 * initial window and the fast recovery that frames a reduction are those
 * of standard TCP (RFC 5681, RFC 6582), as RFC 9438 §4.10 and §4.6 ask.
 *
 * W_cubic and K are computed in segments of SMSS and seconds, as the RFC
 * states them, in double precision; everything kept in the TCB is bytes
 * and microseconds. The math uses only its inputs, so runs repeat exactly. */
#include <math.h>

#include "transport/tcp_int.h"

/* RFC 9438 §5: "C SHOULD be set to 0.4" and β_cubic "SHOULD be set to
 * 0.7". The byte computations use β as 7/10 in integers. */
#define CUBIC_C 0.4
#define CUBIC_BETA_NUM 7u
#define CUBIC_BETA_DEN 10u
/* cwnd never needs to exceed the largest scaled window (RFC 7323 §2.3). */
#define CUBIC_CWND_CAP (1u << 30)

static void cubic_init(struct ib_tcp *c)
{
    ib_tcp_cc_newreno.init(c);
    c->cubic = (struct ib_tcp_cubic){0};
}

/* Opens a congestion-avoidance epoch (RFC 9438 §4.2): t counts from now,
 * K is the time the cubic needs to climb from the current window back to
 * W_max — eq. (2) in its general form K = cbrt((W_max - cwnd_epoch) / C),
 * which is cbrt(W_max*(1-β)/C) right after a reduction to β*W_max. */
static void cubic_epoch_start(struct ib_tcp *c, uint32_t now_us)
{
    struct ib_tcp_cubic *cu = &c->cubic;
    cu->epoch_us = now_us ? now_us : 1;
    cu->ack_bytes = 0;
    /* RFC 9438 §4.3: "W_est is set equal to cwnd_epoch at the start of the
     * congestion avoidance stage". */
    cu->w_est = c->cwnd;
    if (c->cwnd < cu->w_max) {
        double k = cbrt((double)(cu->w_max - c->cwnd) / c->mss / CUBIC_C);
        double k_us = k * 1e6;
        cu->k_us = k_us > UINT32_MAX ? UINT32_MAX : (uint32_t)k_us;
    } else {
        /* RFC 9438 §4.8: with no earlier maximum (the first epoch, or the
         * first after a timeout) K = 0 and W_max is the current window, so
         * growth starts in the convex region. */
        cu->k_us = 0;
        cu->w_max = c->cwnd;
    }
}

/* RFC 9438 §4.3: W_est grows by α_cubic segments per window of acked data,
 * α_cubic = 3 * (1 - β) / (1 + β) = 9/17 of a segment, and by one segment
 * (α = 1) once W_est reaches cwnd_prior, the window before the reduction.
 * Counting bytes, that is one SMSS per cwnd*17/9 (or cwnd) bytes acked. */
static void cubic_update_west(struct ib_tcp *c, uint32_t acked)
{
    struct ib_tcp_cubic *cu = &c->cubic;
    uint64_t per_seg = cu->w_est >= cu->cwnd_prior
                           ? c->cwnd
                           : (uint64_t)c->cwnd * (CUBIC_BETA_DEN + CUBIC_BETA_NUM) /
                                 (3u * (CUBIC_BETA_DEN - CUBIC_BETA_NUM));
    uint64_t sum = (uint64_t)cu->ack_bytes + acked;
    while (sum >= per_seg && per_seg) {
        sum -= per_seg;
        cu->w_est += c->mss;
    }
    cu->ack_bytes = (uint32_t)sum;
}

/* RFC 9438 eq. (1), in bytes; t in seconds. */
static double cubic_w(const struct ib_tcp *c, double t)
{
    double d = t - c->cubic.k_us / 1e6;
    return (CUBIC_C * d * d * d) * c->mss + c->cubic.w_max;
}

static void cubic_ack(struct ib_tcp *c, uint32_t acked, uint32_t now_us)
{
    struct ib_tcp_cubic *cu = &c->cubic;
    if (c->cwnd < c->ssthresh) {
        /* RFC 9438 §4.10: slow start as in RFC 5681. */
        ib_tcp_cc_newreno.ack(c, acked, now_us);
        return;
    }
    if (cu->epoch_us == 0) cubic_epoch_start(c, now_us);
    double t = (uint32_t)(now_us - cu->epoch_us) / 1e6;
    cubic_update_west(c, acked);
    /* RFC 9438 §4.3: "if W_cubic(t) is less than W_est ... CUBIC is in the
     * Reno-friendly region and cwnd SHOULD be set to W_est". */
    if (cubic_w(c, t) < cu->w_est) {
        if (cu->w_est > c->cwnd) c->cwnd = cu->w_est > CUBIC_CWND_CAP ? CUBIC_CWND_CAP : cu->w_est;
        return;
    }
    /* RFC 9438 §4.2: the target is W_cubic one RTT ahead, clamped to
     * [cwnd, 1.5*cwnd]; §4.4 (concave, cwnd < W_max) and §4.5 (convex,
     * cwnd >= W_max): "cwnd MUST be incremented by (target - cwnd) / cwnd
     * for each received new ACK" — in bytes, (target - cwnd) * acked / cwnd. */
    double target = cubic_w(c, t + c->srtt_us / 1e6);
    if (target > 1.5 * c->cwnd) target = 1.5 * c->cwnd;
    if (target <= c->cwnd) return;
    double inc = (target - c->cwnd) * acked / c->cwnd;
    uint64_t w = c->cwnd + (uint64_t)inc;
    c->cwnd = w > CUBIC_CWND_CAP ? CUBIC_CWND_CAP : (uint32_t)w;
}

/* RFC 9438 §4.6-4.7, the reduction shared by loss and timeout. */
static void cubic_reduce(struct ib_tcp *c)
{
    struct ib_tcp_cubic *cu = &c->cubic;
    uint32_t floor2 = 2u * c->mss;
    /* RFC 9438 §4.7 fast convergence: a loss below the previous W_max
     * means other flows took bandwidth; release some by remembering a
     * lower plateau, W_max = cwnd * (1 + β) / 2. */
    if (c->cwnd < cu->w_max)
        cu->w_max = (uint32_t)((uint64_t)c->cwnd * (CUBIC_BETA_DEN + CUBIC_BETA_NUM) /
                               (2u * CUBIC_BETA_DEN));
    else
        cu->w_max = c->cwnd;
    cu->cwnd_prior = c->cwnd;
    /* RFC 9438 §4.6: "ssthresh = flight_size * β_cubic" and "ssthresh =
     * max(ssthresh, 2)" (segments). flight_size rather than cwnd, so an
     * application-limited window does not keep a stale large value. */
    uint32_t s = (uint32_t)((uint64_t)ib_tcp_flight(c) * CUBIC_BETA_NUM / CUBIC_BETA_DEN);
    c->ssthresh = s > floor2 ? s : floor2;
    cu->epoch_us = 0;
    cu->ack_bytes = 0;
}

static void cubic_loss(struct ib_tcp *c, uint32_t now_us)
{
    cubic_reduce(c);
    c->bytes_acked = 0;
}

static void cubic_timeout(struct ib_tcp *c, uint32_t now_us)
{
    /* RFC 9438 §4.8: "CUBIC follows Reno to reduce cwnd [RFC5681] but sets
     * ssthresh using β_cubic"; after the timeout the first epoch uses K = 0
     * and W_max = the window at its start, hence w_max = 0 here. As in
     * RFC 5681 §3.1, a repeated timeout keeps ssthresh (the core counts
     * backoff after this call). */
    if (c->backoff == 0) cubic_reduce(c);
    c->cubic.w_max = 0;
    c->cubic.epoch_us = 0;
    c->cwnd = c->mss;
    c->bytes_acked = 0;
}

static void cubic_recovered(struct ib_tcp *c, uint32_t now_us)
{
    /* RFC 9438 §4.6 leaves fast recovery to RFC 6582/6675; the window
     * after it is standard TCP's. The next ACK opens a new epoch. */
    ib_tcp_cc_newreno.recovered(c, now_us);
    c->cubic.epoch_us = 0;
}

const struct ib_tcp_cc_ops ib_tcp_cc_cubic = {
    .name = "cubic",
    .init = cubic_init,
    .ack = cubic_ack,
    .loss = cubic_loss,
    .timeout = cubic_timeout,
    .recovered = cubic_recovered,
};
