/* Standard TCP congestion control: slow start and congestion avoidance
 * (RFC 5681 §3.1) with the initial window of RFC 6928, appropriate byte
 * counting in congestion avoidance (RFC 3465 §2.1), and the ssthresh and
 * cwnd settings that frame NewReno fast recovery (RFC 6582 §3.2). The
 * core drives recovery itself (entering, inflating, retransmitting); this
 * module only decides cwnd and ssthresh. */
#include "transport/tcp_int.h"

/* RFC 5681 §3.1: "The initial value of ssthresh SHOULD be set arbitrarily
 * high (e.g., to the size of the largest possible advertised window)".
 * Half the 32-bit range keeps every sum below overflow. */
#define NEWRENO_SSTHRESH_INIT (UINT32_MAX / 2)
/* cwnd never needs to exceed the largest scaled window (2^30, RFC 7323
 * §2.3); capping it keeps cwnd + SMSS from wrapping. */
#define NEWRENO_CWND_CAP (1u << 30)

static uint32_t newreno_iw(const struct ib_tcp *c)
{
    uint32_t iw = c->cfg && c->cfg->iw ? c->cfg->iw : 10;
    uint32_t mss = c->mss;
    /* RFC 6928 §2: IW = min (10*MSS, max (2*MSS, 14600)). With another
     * segment count the 14600-byte clamp scales with it (iw * 1460), so
     * iw = 10 is exactly the RFC's formula. */
    uint64_t cap = (uint64_t)iw * 1460u;
    uint64_t floor2 = 2u * (uint64_t)mss;
    uint64_t v = (uint64_t)iw * mss;
    if (v > (floor2 > cap ? floor2 : cap)) v = floor2 > cap ? floor2 : cap;
    return v > NEWRENO_CWND_CAP ? NEWRENO_CWND_CAP : (uint32_t)v;
}

static void newreno_init(struct ib_tcp *c)
{
    c->cwnd = newreno_iw(c);
    c->ssthresh = NEWRENO_SSTHRESH_INIT;
    c->bytes_acked = 0;
}

static void newreno_ack(struct ib_tcp *c, uint32_t acked, uint32_t now_us)
{
    uint32_t smss = c->mss;
    if (c->cwnd < c->ssthresh) {
        /* RFC 5681 §3.1 eq. (2): cwnd += min (N, SMSS) — byte counting with
         * the limit L = 1 SMSS that RFC 5681 makes the rule ("at most SMSS
         * bytes for each ACK"); RFC 3465 §2.2 allows 2 SMSS but only as
         * an experiment. */
        c->cwnd += acked < smss ? acked : smss;
    } else {
        /* RFC 5681 §3.1 / RFC 3465 §2.1: in congestion avoidance, count the
         * bytes acknowledged and add SMSS once a full cwnd of them has been
         * acknowledged; this gives one SMSS per RTT whatever the ACK
         * pattern (delayed, stretch or lost ACKs). */
        c->bytes_acked += acked;
        if (c->bytes_acked >= c->cwnd) {
            c->bytes_acked -= c->cwnd;
            c->cwnd += smss;
        }
    }
    if (c->cwnd > NEWRENO_CWND_CAP) c->cwnd = NEWRENO_CWND_CAP;
}

/* RFC 5681 §3.1 eq. (4): ssthresh = max (FlightSize / 2, 2*SMSS). */
static uint32_t newreno_half_flight(const struct ib_tcp *c)
{
    uint32_t half = ib_tcp_flight(c) / 2;
    uint32_t floor2 = 2u * c->mss;
    return half > floor2 ? half : floor2;
}

static void newreno_loss(struct ib_tcp *c, uint32_t now_us)
{
    /* RFC 5681 §3.2 step 2 (RFC 6582 §3.2 step 2 refers to it). */
    c->ssthresh = newreno_half_flight(c);
    c->bytes_acked = 0;
}

static void newreno_timeout(struct ib_tcp *c, uint32_t now_us)
{
    /* RFC 5681 §3.1: on the first timeout ssthresh follows eq. (4); "the
     * value of ssthresh is held constant" when the segment was already
     * retransmitted by the timer (the core increments backoff after this
     * call, so backoff > 0 means a repeated timeout). */
    if (c->backoff == 0) c->ssthresh = newreno_half_flight(c);
    /* RFC 5681 §3.1: "cwnd MUST be set to no more than the loss window,
     * LW, which equals 1 full-sized segment". */
    c->cwnd = c->mss;
    c->bytes_acked = 0;
}

/* RFC 6582 §3.2 step 3 option (1): "Set cwnd to min (ssthresh, max
 * (FlightSize, SMSS) + SMSS)". Option (2), cwnd = ssthresh, could send a
 * burst of up to ssthresh bytes when little is in flight; option (1) does
 * not. Shared with CUBIC, which leaves fast recovery unchanged (RFC 9438
 * §4.6). */
static void newreno_recovered(struct ib_tcp *c, uint32_t now_us)
{
    uint32_t flight = ib_tcp_flight(c);
    uint32_t w = (flight > c->mss ? flight : c->mss) + c->mss;
    c->cwnd = w < c->ssthresh ? w : c->ssthresh;
    c->bytes_acked = 0;
}

const struct ib_tcp_cc_ops ib_tcp_cc_newreno = {
    .name = "newreno",
    .init = newreno_init,
    .ack = newreno_ack,
    .loss = newreno_loss,
    .timeout = newreno_timeout,
    .recovered = newreno_recovered,
};

const struct ib_tcp_cc_ops *ib_tcp_cc_for(enum ib_tcp_cc cc)
{
    return cc == IB_TCP_CC_CUBIC ? &ib_tcp_cc_cubic : &ib_tcp_cc_newreno;
}
