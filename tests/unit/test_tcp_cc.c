/* Congestion control on a hand-built TCB: NewReno's initial window (RFC
 * 6928), slow start and byte-counted congestion avoidance (RFC 5681 §3.1,
 * RFC 3465), reductions on loss and timeout and the window after recovery
 * (RFC 6582); CUBIC's K and W_cubic(t) against RFC 9438 eq. (1)-(2), the
 * 0.7 reduction, fast convergence and the Reno-friendly region. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "transport/tcp_int.h"

/* The configuration the connections of a test point at (iw only). */
static const struct ib_tcp_config iw10 = {.iw = 10};

static void conn(struct ib_tcp *c, const struct ib_tcp_cc_ops *cc, uint16_t mss)
{
    memset(c, 0, sizeof(*c));
    c->cfg = &iw10;
    c->mss = mss;
    c->snd_una = c->snd_max = 1000;
    cc->init(c);
}

/* RFC 6928 §2: IW = min (10*MSS, max (2*MSS, 14600)). */
static void test_newreno_iw(void **state)
{
    (void)state;
    struct ib_tcp c;
    conn(&c, &ib_tcp_cc_newreno, 536);
    assert_int_equal(c.cwnd, 5360);
    conn(&c, &ib_tcp_cc_newreno, 1460);
    assert_int_equal(c.cwnd, 14600);
    conn(&c, &ib_tcp_cc_newreno, 9000);
    assert_int_equal(c.cwnd, 18000);
    conn(&c, &ib_tcp_cc_newreno, 1448);
    assert_int_equal(c.cwnd, 14480);
    /* RFC 5681 §3.1: ssthresh starts "arbitrarily high". */
    assert_true(c.ssthresh >= (1u << 30));
    /* Another iw scales the clamp with it; iw 1 is one segment. */
    struct ib_tcp_config cfg = {.iw = 1};
    c.cfg = &cfg;
    ib_tcp_cc_newreno.init(&c);
    assert_int_equal(c.cwnd, 1448);
    cfg.iw = 4;
    c.mss = 9000;
    ib_tcp_cc_newreno.init(&c);
    assert_int_equal(c.cwnd, 18000);
}

/* Sends a window, acknowledges it one segment per ACK (RFC 5681 §3.1). */
static void ack_window(struct ib_tcp *c, const struct ib_tcp_cc_ops *cc, uint32_t now_us)
{
    uint32_t segs = c->cwnd / c->mss;
    c->snd_max = c->snd_una + segs * c->mss;
    for (uint32_t i = 0; i < segs; i++) {
        c->snd_una += c->mss;
        cc->ack(c, c->mss, now_us);
    }
}

/* Slow start doubles the window every RTT when every segment is acked;
 * each ACK adds at most SMSS (eq. 2), so a stretch ACK adds only one. */
static void test_newreno_slow_start(void **state)
{
    (void)state;
    struct ib_tcp c;
    conn(&c, &ib_tcp_cc_newreno, 1000);
    for (uint32_t rtt = 0, want = 10; rtt < 5; rtt++, want *= 2) {
        assert_int_equal(c.cwnd, want * 1000);
        ack_window(&c, &ib_tcp_cc_newreno, 0);
    }
    assert_int_equal(c.cwnd, 320000);
    ib_tcp_cc_newreno.ack(&c, 5000, 0);
    assert_int_equal(c.cwnd, 321000);
    ib_tcp_cc_newreno.ack(&c, 300, 0);
    assert_int_equal(c.cwnd, 321300);
}

/* RFC 3465 §2.1: in congestion avoidance cwnd grows by SMSS once cwnd
 * bytes have been acknowledged, however they are split into ACKs. */
static void test_newreno_congestion_avoidance(void **state)
{
    (void)state;
    struct ib_tcp c;
    conn(&c, &ib_tcp_cc_newreno, 1000);
    c.cwnd = 10000;
    c.ssthresh = 8000;
    for (int i = 0; i < 9; i++)
        ib_tcp_cc_newreno.ack(&c, 1000, 0);
    assert_int_equal(c.cwnd, 10000);
    ib_tcp_cc_newreno.ack(&c, 1000, 0);
    assert_int_equal(c.cwnd, 11000);
    assert_int_equal(c.bytes_acked, 0);
    /* Delayed ACKs (2 segments each): still one SMSS per window. */
    for (int i = 0; i < 5; i++)
        ib_tcp_cc_newreno.ack(&c, 2000, 0);
    assert_int_equal(c.cwnd, 11000);
    ib_tcp_cc_newreno.ack(&c, 2000, 0);
    assert_int_equal(c.cwnd, 12000);
    assert_int_equal(c.bytes_acked, 1000);
    /* Ten RTTs of full windows: ten segments more. */
    for (int r = 0; r < 10; r++)
        ack_window(&c, &ib_tcp_cc_newreno, 0);
    assert_int_equal(c.cwnd, 22000);
}

/* RFC 5681 eq. (4): ssthresh = max (FlightSize / 2, 2*SMSS); on a timeout
 * cwnd = LW = 1 SMSS, and a repeated timeout keeps ssthresh. */
static void test_newreno_loss_timeout(void **state)
{
    (void)state;
    struct ib_tcp c;
    conn(&c, &ib_tcp_cc_newreno, 1460);
    c.cwnd = 40000;
    c.snd_max = c.snd_una + 30000; /* flight below cwnd: flight decides */
    ib_tcp_cc_newreno.loss(&c, 0);
    assert_int_equal(c.ssthresh, 15000);
    c.snd_max = c.snd_una + 4000;
    ib_tcp_cc_newreno.loss(&c, 0);
    assert_int_equal(c.ssthresh, 2920);
    /* across the sequence wrap */
    c.snd_una = 0xfffff000u;
    c.snd_max = 0x00001000u;
    ib_tcp_cc_newreno.loss(&c, 0);
    assert_int_equal(c.ssthresh, 4096);

    c.snd_una = 1000;
    c.snd_max = 61000;
    ib_tcp_cc_newreno.timeout(&c, 0);
    assert_int_equal(c.cwnd, 1460);
    assert_int_equal(c.ssthresh, 30000);
    c.backoff = 1;
    c.snd_max = 3000;
    ib_tcp_cc_newreno.timeout(&c, 0);
    assert_int_equal(c.ssthresh, 30000);
    assert_int_equal(c.cwnd, 1460);
    /* After the timeout, slow start up to ssthresh, then CA. */
    c.backoff = 0;
    c.ssthresh = 2920;
    ib_tcp_cc_newreno.ack(&c, 1460, 0);
    assert_int_equal(c.cwnd, 2920);
    ib_tcp_cc_newreno.ack(&c, 1460, 0);
    assert_int_equal(c.cwnd, 2920);
}

/* RFC 6582 §3.2 step 3 option (1): cwnd = min (ssthresh, max (FlightSize,
 * SMSS) + SMSS). */
static void test_newreno_recovered(void **state)
{
    (void)state;
    struct ib_tcp c;
    conn(&c, &ib_tcp_cc_newreno, 1000);
    c.ssthresh = 20000;
    c.cwnd = 30000;
    c.snd_max = c.snd_una + 25000;
    ib_tcp_cc_newreno.recovered(&c, 0);
    assert_int_equal(c.cwnd, 20000);
    c.snd_max = c.snd_una + 5000;
    ib_tcp_cc_newreno.recovered(&c, 0);
    assert_int_equal(c.cwnd, 6000);
    c.snd_max = c.snd_una;
    ib_tcp_cc_newreno.recovered(&c, 0);
    assert_int_equal(c.cwnd, 2000);
}

static void test_cc_for(void **state)
{
    (void)state;
    assert_ptr_equal(ib_tcp_cc_for(IB_TCP_CC_NEWRENO), &ib_tcp_cc_newreno);
    assert_ptr_equal(ib_tcp_cc_for(IB_TCP_CC_CUBIC), &ib_tcp_cc_cubic);
    assert_string_equal(ib_tcp_cc_cubic.name, "cubic");
}

/* RFC 9438 §4.6: ssthresh = flight_size * 0.7 (at least 2 segments);
 * W_max is the window at the loss; §4.7 fast convergence lowers W_max to
 * cwnd * (1 + 0.7) / 2 when the loss comes below the previous W_max. */
static void test_cubic_reduction(void **state)
{
    (void)state;
    struct ib_tcp c;
    conn(&c, &ib_tcp_cc_cubic, 1000);
    assert_int_equal(c.cwnd, 10000); /* slow start as Reno: RFC 6928 IW */
    c.cwnd = 100000;
    c.snd_max = c.snd_una + 100000;
    ib_tcp_cc_cubic.loss(&c, 5000000);
    assert_int_equal(c.ssthresh, 70000);
    assert_int_equal(c.cubic.w_max, 100000);
    assert_int_equal(c.cubic.cwnd_prior, 100000);
    /* The next loss at 80000 < W_max: fast convergence. */
    c.cwnd = 80000;
    c.snd_max = c.snd_una + 80000;
    ib_tcp_cc_cubic.loss(&c, 6000000);
    assert_int_equal(c.ssthresh, 56000);
    assert_int_equal(c.cubic.w_max, 68000);
    /* A loss above W_max keeps the window as the new plateau. */
    c.cwnd = 90000;
    ib_tcp_cc_cubic.loss(&c, 7000000);
    assert_int_equal(c.cubic.w_max, 90000);
    /* The 2-segment floor. */
    c.snd_max = c.snd_una + 2000;
    ib_tcp_cc_cubic.loss(&c, 8000000);
    assert_int_equal(c.ssthresh, 2000);
    /* §4.8: a timeout reduces ssthresh the same way and cwnd to 1 SMSS. */
    c.cwnd = 50000;
    c.snd_max = c.snd_una + 50000;
    ib_tcp_cc_cubic.timeout(&c, 9000000);
    assert_int_equal(c.ssthresh, 35000);
    assert_int_equal(c.cwnd, 1000);
}

/* RFC 9438 eq. (2): K = cbrt(W_max * (1 - β) / C), W in segments. After
 * a loss at W_max = 100 segments and cwnd = 70: K = cbrt(75) s. */
static void test_cubic_k_and_curve(void **state)
{
    (void)state;
    struct ib_tcp c;
    conn(&c, &ib_tcp_cc_cubic, 1000);
    c.cwnd = 100000;
    c.snd_max = c.snd_una + 100000;
    ib_tcp_cc_cubic.loss(&c, 1000000);
    c.cwnd = c.ssthresh; /* the core ends recovery at ssthresh */
    c.srtt_us = 0;       /* so the target is W_cubic(t) itself */
    uint32_t t0 = 2000000;
    ib_tcp_cc_cubic.ack(&c, 1000, t0);
    double k = cbrt(100.0 * 0.3 / 0.4);
    assert_true(fabs(c.cubic.k_us / 1e6 - k) < 1e-5);
    assert_int_equal(c.cubic.epoch_us, t0);
    /* Concave region: per ACK of a segment, cwnd grows by (W_cubic(t) -
     * cwnd) / cwnd segments (§4.4). Compare one step at several t. */
    static const double ts[] = {0.5, 1.0, 2.0, 3.0, 4.0};
    for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
        double t = ts[i];
        double w = (0.4 * pow(t - k, 3) + 100.0) * 1000.0;
        /* Keep W_est out of the way: make it "Reno-smaller" than cubic. */
        c.cubic.w_est = 0;
        c.cubic.ack_bytes = 0;
        uint32_t before = c.cwnd;
        double want = before + (w > before ? (w - before) * 1000.0 / before : 0);
        ib_tcp_cc_cubic.ack(&c, 1000, t0 + (uint32_t)(t * 1e6));
        assert_true(fabs(c.cwnd - want) <= 1.0);
    }
    /* At t = K the curve reaches W_max; beyond it grows convexly (§4.5). */
    c.cwnd = 99000;
    c.cubic.w_est = 0;
    ib_tcp_cc_cubic.ack(&c, 1000, t0 + (uint32_t)(k * 1e6) + 1);
    assert_true(c.cwnd >= 99000 + 9 && c.cwnd <= 99000 + 11); /* (100000-99000)/99 */
    c.cwnd = 100000;
    c.cubic.w_est = 0;
    double t = k + 3.0;
    double w = (0.4 * 27.0 + 100.0) * 1000.0;
    ib_tcp_cc_cubic.ack(&c, 1000, t0 + (uint32_t)(t * 1e6));
    assert_true(fabs(c.cwnd - (100000 + (w - 100000) / 100.0)) <= 1.0);
}

/* The target is W_cubic(t + RTT), at most 1.5 * cwnd (§4.2). */
static void test_cubic_target_clamp(void **state)
{
    (void)state;
    struct ib_tcp c;
    conn(&c, &ib_tcp_cc_cubic, 1000);
    c.cwnd = 20000;
    c.ssthresh = 10000; /* CA, no previous loss: K = 0, W_max = cwnd (§4.8) */
    c.srtt_us = 100000;
    ib_tcp_cc_cubic.ack(&c, 1000, 1000000);
    assert_int_equal(c.cubic.k_us, 0);
    assert_int_equal(c.cubic.w_max, 20000);
    /* W_cubic(t + RTT) at t = 0: 0.4 * 0.1^3 segments above W_max. */
    assert_int_equal(c.cwnd, 20000);
    /* 100 s later the cubic is far above: growth is capped at 0.5 cwnd per
     * cwnd acked, i.e. (1.5 cwnd - cwnd) / cwnd per byte. */
    c.cubic.w_est = 0;
    ib_tcp_cc_cubic.ack(&c, 1000, 101000000);
    assert_int_equal(c.cwnd, 20500);
}

/* RFC 9438 §4.3: when W_cubic(t) < W_est, cwnd follows W_est, which grows
 * by α = 3 (1 - β) / (1 + β) segments per window acked, and by 1 once it
 * passes cwnd_prior. */
static void test_cubic_reno_friendly(void **state)
{
    (void)state;
    struct ib_tcp c;
    conn(&c, &ib_tcp_cc_cubic, 1000);
    /* A small window with a small W_max: the cubic curve is nearly flat
     * for the first seconds, Reno would be ahead. */
    c.cwnd = 10000;
    c.snd_max = c.snd_una + 10000;
    ib_tcp_cc_cubic.loss(&c, 1000000);
    c.cwnd = c.ssthresh;
    assert_int_equal(c.cwnd, 7000);
    c.srtt_us = 10000;
    uint32_t now = 2000000;
    ib_tcp_cc_cubic.ack(&c, 1000, now); /* opens the epoch, W_est = 7000 */
    assert_int_equal(c.cubic.w_est, 7000);
    /* α = 9/17: one segment per 7000 * 17 / 9 = 13222 bytes acked. */
    for (int i = 0; i < 12; i++)
        ib_tcp_cc_cubic.ack(&c, 1000, now + 1000);
    assert_int_equal(c.cubic.w_est, 7000);
    ib_tcp_cc_cubic.ack(&c, 1000, now + 1000);
    assert_int_equal(c.cubic.w_est, 8000);
    assert_int_equal(c.cwnd, 8000); /* W_cubic(0.001 s) ~ 7000 + tiny < W_est */
    /* Once W_est >= cwnd_prior (10000), α = 1: one segment per cwnd. */
    c.cubic.w_est = 10000;
    c.cwnd = 10000;
    c.cubic.ack_bytes = 0;
    for (int i = 0; i < 9; i++)
        ib_tcp_cc_cubic.ack(&c, 1000, now + 2000);
    assert_int_equal(c.cubic.w_est, 10000);
    ib_tcp_cc_cubic.ack(&c, 1000, now + 2000);
    assert_int_equal(c.cubic.w_est, 11000);
    assert_int_equal(c.cwnd, 11000);
}

/* Below ssthresh CUBIC slow-starts like Reno (RFC 9438 §4.10). */
static void test_cubic_slow_start(void **state)
{
    (void)state;
    struct ib_tcp c;
    conn(&c, &ib_tcp_cc_cubic, 1000);
    ack_window(&c, &ib_tcp_cc_cubic, 1000);
    assert_int_equal(c.cwnd, 20000);
    assert_int_equal(c.cubic.epoch_us, 0);
    /* A timeout restarts from 1 SMSS, then the first epoch has K = 0. */
    c.snd_max = c.snd_una + 20000;
    ib_tcp_cc_cubic.timeout(&c, 2000000);
    assert_int_equal(c.cwnd, 1000);
    assert_int_equal(c.ssthresh, 14000);
    c.cwnd = 14000;
    ib_tcp_cc_cubic.ack(&c, 1000, 3000000);
    assert_int_equal(c.cubic.k_us, 0);
    assert_int_equal(c.cubic.w_max, 14000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_newreno_iw),
        cmocka_unit_test(test_newreno_slow_start),
        cmocka_unit_test(test_newreno_congestion_avoidance),
        cmocka_unit_test(test_newreno_loss_timeout),
        cmocka_unit_test(test_newreno_recovered),
        cmocka_unit_test(test_cc_for),
        cmocka_unit_test(test_cubic_reduction),
        cmocka_unit_test(test_cubic_k_and_curve),
        cmocka_unit_test(test_cubic_target_clamp),
        cmocka_unit_test(test_cubic_reno_friendly),
        cmocka_unit_test(test_cubic_slow_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
