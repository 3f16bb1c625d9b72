/* The simulated link: serialization and propagation timing to the
 * nanosecond, FIFO order, the drop-tail queue, each impairment and its
 * determinism, and links going down and up. Two bare interfaces face each
 * other; the receiver records what arrives and when. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "inetbox/link.h"

#define MAX_RX 20000
#define FRAME_LEN 60 /* the Ethernet minimum: 512 bits with the FCS */

struct rx {
    ib_time t;
    uint32_t seq;
    uint32_t len;
    uint32_t bitdiff;   /* bits differing from the frame its sequence number names */
    uint32_t bitdiff_n; /* bits differing from the n-th frame sent (n: arrival index) */
    uint16_t refs;
};

struct fx {
    struct ib_evq q;
    struct ib_env env;
    struct ib_trace tr;
    struct ib_node na, nb;
    struct ib_netif a, b;
    struct ib_link link;
    bool pull_on_rx; /* the receiver pulls the header, as Ethernet input does */
    uint32_t sent;   /* sequence number of the next frame */
    uint32_t n_rx;
    struct rx rx[MAX_RX];
    uint32_t ev[IB_EV__COUNT];
    uint32_t dup_tx, corrupt_rx, down_events;
    uint32_t drop_reason[IB_DROP__COUNT];
};

static const struct ib_mac mac_a = {{0x02, 0, 0, 0, 0, 1}};
static const struct ib_mac mac_b = {{0x02, 0, 0, 0, 0, 2}};

/* Ethernet header b <- a, a 32-bit sequence number, then a pattern. */
static void fill(uint8_t *b, uint32_t len, uint32_t seq)
{
    memcpy(b, mac_b.b, 6);
    memcpy(b + 6, mac_a.b, 6);
    ib_put16(b + 12, 0x88b5); /* IEEE 802 local experimental ethertype */
    ib_put32(b + 14, seq);
    for (uint32_t i = 18; i < len; i++)
        b[i] = (uint8_t)(seq * 7 + i);
}

static uint32_t bitdiff(const uint8_t *got, uint32_t len, uint32_t seq)
{
    uint8_t want[2048];
    fill(want, len, seq);
    uint32_t n = 0;
    for (uint32_t i = 0; i < len; i++)
        n += (uint32_t)__builtin_popcount((unsigned)(got[i] ^ want[i]));
    return n;
}

static struct fx *fx_of_b(struct ib_netif *nif)
{
    return (struct fx *)(void *)((char *)nif - offsetof(struct fx, b));
}

static void on_rx(struct ib_netif *nif, struct ib_pkt *p)
{
    struct fx *f = fx_of_b(nif);
    assert_true(f->n_rx < MAX_RX);
    struct rx *r = &f->rx[f->n_rx];
    r->t = ib_now(&f->env);
    r->len = p->len;
    r->refs = p->refs;
    r->seq = ib_get32(p->data + 14);
    r->bitdiff = bitdiff(p->data, p->len, r->seq);
    r->bitdiff_n = bitdiff(p->data, p->len, f->n_rx);
    f->n_rx++;
    if (f->pull_on_rx)
        ib_pkt_pull(p, 14);
    ib_pkt_free(p);
}

static void on_rx_a(struct ib_netif *nif, struct ib_pkt *p) { ib_pkt_free(p); }

static void observe(void *ctx, const struct ib_event *ev)
{
    struct fx *f = ctx;
    f->ev[ev->kind]++;
    if (ev->kind == IB_EV_WIRE_TX && ev->u.link.duplicate)
        f->dup_tx++;
    if (ev->kind == IB_EV_WIRE_RX && ev->u.link.corrupted)
        f->corrupt_rx++;
    if (ev->kind == IB_EV_LINK_STATE && !ev->u.link.up)
        f->down_events++;
    if (ev->kind == IB_EV_DROP)
        f->drop_reason[ev->reason]++;
}

static struct fx *fx_new(const struct ib_link_params *p, uint64_t seed)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    ib_evq_init(&f->q);
    f->env.q = &f->q;
    f->env.pool = ib_pkt_pool_new();
    assert_non_null(f->env.pool);
    assert_int_equal(ib_trace_attach(&f->tr, observe, f), IB_OK);
    f->env.trace = &f->tr;
    ib_node_init(&f->na, &f->env, IB_NODE_HOST, "a", 0, 1);
    ib_node_init(&f->nb, &f->env, IB_NODE_HOST, "b", 1, 2);
    ib_netif_init(&f->a, &f->na, "eth0", &mac_a);
    ib_netif_init(&f->b, &f->nb, "eth0", &mac_b);
    f->a.up = f->b.up = true;
    f->a.input = on_rx_a;
    f->b.input = on_rx;
    assert_int_equal(ib_link_init(&f->link, &f->env, 0, seed, p, &f->a, &f->b), IB_OK);
    return f;
}

static void fx_free(struct fx *f)
{
    ib_link_destroy(&f->link);
    ib_arp_cache_destroy(&f->a.arp);
    ib_arp_cache_destroy(&f->b.arp);
    struct ib_pkt_pool_stats st;
    ib_pkt_pool_stats(f->env.pool, &st);
    assert_int_equal(st.in_use, 0);
    ib_pkt_pool_free(f->env.pool);
    ib_evq_destroy(&f->q);
    free(f);
}

static struct ib_pkt *frame(struct fx *f, uint32_t len)
{
    struct ib_pkt *p = ib_pkt_alloc(f->env.pool, IB_PKT_HEADROOM, len);
    assert_non_null(p);
    fill(p->data, len, f->sent++);
    return p;
}

static void send_len(struct fx *f, uint32_t len) { f->a.ops->xmit(&f->a, frame(f, len)); }
static void send(struct fx *f) { send_len(f, FRAME_LEN); }

static void run(struct fx *f) { ib_evq_run_until(&f->q, IB_TIME_NEVER); }

/* A 1514-byte frame (1500 bytes of IP) plus FCS is 1518 bytes: 12144 ns at
 * 1 Gbit/s, then 10 ms on the wire. The second frame waits for the first. */
static void test_timing_exact(void **state)
{
    struct ib_link_params p = ib_link_defaults;
    p.rate_bps = 1000000000u;
    p.delay = IB_MS(10);
    struct fx *f = fx_new(&p, 1);
    send_len(f, 1514);
    send_len(f, 1514);
    run(f);
    assert_int_equal(f->n_rx, 2);
    assert_int_equal(f->rx[0].t, IB_MS(10) + 12144);
    assert_int_equal(f->rx[1].t, IB_MS(10) + 2 * 12144);
    assert_int_equal(f->rx[0].len, 1514);
    assert_int_equal(f->rx[0].bitdiff, 0);

    /* An idle link starts at once: sent at t = 1 s, in 12144 ns + 10 ms. */
    ib_evq_run_until(&f->q, IB_SEC(1));
    send_len(f, 1514);
    run(f);
    assert_int_equal(f->rx[2].t, IB_SEC(1) + IB_MS(10) + 12144);
    assert_int_equal(f->link.end[0].stats.tx_frames, 3);
    assert_int_equal(f->link.end[0].stats.tx_bytes, 3 * 1514);
    assert_int_equal(f->link.end[0].stats.rx_frames, 3);
    assert_int_equal(f->ev[IB_EV_WIRE_TX], 3);
    assert_int_equal(f->ev[IB_EV_WIRE_RX], 3);
    fx_free(f);
}

/* Short frames are padded to 60 bytes, + FCS = 512 bits; at 7 Mbit/s that
 * is 73142.857 ns, rounded up. */
static void test_timing_min_frame_rounds_up(void **state)
{
    struct ib_link_params p = ib_link_defaults;
    p.rate_bps = 7000000u;
    p.delay = 0;
    struct fx *f = fx_new(&p, 1);
    send_len(f, 42);
    run(f);
    assert_int_equal(f->n_rx, 1);
    assert_int_equal(f->rx[0].t, 73143);
    assert_int_equal(f->rx[0].len, 42);
    fx_free(f);
}

/* No rate and no delay: delivery still waits for the event queue. */
static void test_zero_rate_zero_delay(void **state)
{
    struct ib_link_params p = ib_link_defaults;
    p.rate_bps = 0;
    p.delay = 0;
    struct fx *f = fx_new(&p, 1);
    send(f);
    send(f);
    send(f);
    assert_int_equal(f->n_rx, 0);
    run(f);
    assert_int_equal(f->n_rx, 3);
    for (uint32_t i = 0; i < 3; i++) {
        assert_int_equal(f->rx[i].t, 0);
        assert_int_equal(f->rx[i].seq, i);
    }
    fx_free(f);
}

static void test_fifo(void **state)
{
    struct ib_link_params p = ib_link_defaults;
    p.queue = 1000;
    struct fx *f = fx_new(&p, 1);
    for (int i = 0; i < 500; i++)
        send_len(f, 60 + (uint32_t)(i % 1400));
    run(f);
    assert_int_equal(f->n_rx, 500);
    for (uint32_t i = 0; i < 500; i++) {
        assert_int_equal(f->rx[i].seq, i);
        assert_int_equal(f->rx[i].bitdiff, 0);
        if (i)
            assert_true(f->rx[i].t > f->rx[i - 1].t);
    }
    fx_free(f);
}

/* The queue and flight rings grow while wrapped around, keeping order. */
static void test_rings_wrap_and_grow(void **state)
{
    struct ib_link_params p = ib_link_defaults;
    p.rate_bps = 1000000000u;
    p.delay = IB_US(10);
    struct fx *f = fx_new(&p, 1);
    for (int i = 0; i < 6; i++)
        send(f);
    ib_evq_run_until(&f->q, 1100); /* frames 1 and 2 left the queue */
    assert_int_equal(f->link.end[0].q_head, 2);
    assert_int_equal(f->link.end[0].q_len, 3);
    assert_int_equal(f->link.end[0].q_cap, 8);
    for (int i = 0; i < 10; i++)
        send(f);
    assert_int_equal(f->link.end[0].q_cap, 16);
    assert_int_equal(f->link.end[0].q_len, 13);
    run(f);
    /* A frame every 512 ns; the delay grows once arrivals have moved the
     * flight ring's head, so it grows wrapped. */
    for (int i = 0; i < 400; i++) {
        send(f);
        ib_evq_run_until(&f->q, ib_now(&f->env) + 512);
        if (i == 100)
            f->link.p.delay = IB_US(200);
    }
    run(f);
    assert_true(f->link.end[0].fl_cap >= 256);
    assert_int_equal(f->n_rx, 416);
    for (uint32_t i = 0; i < 416; i++) {
        assert_int_equal(f->rx[i].seq, i);
        assert_int_equal(f->rx[i].bitdiff, 0);
    }
    fx_free(f);
}

/* One frame on the wire, five waiting: the other four are dropped. */
static void test_drop_tail(void **state)
{
    struct ib_link_params p = ib_link_defaults;
    p.queue = 5;
    struct fx *f = fx_new(&p, 1);
    for (int i = 0; i < 10; i++)
        send(f);
    run(f);
    assert_int_equal(f->n_rx, 6);
    for (uint32_t i = 0; i < 6; i++)
        assert_int_equal(f->rx[i].seq, i);
    assert_int_equal(f->link.end[0].stats.dropped_queue, 4);
    assert_int_equal(f->na.drops[IB_DROP_LINK_QUEUE_FULL], 4);
    assert_int_equal(f->drop_reason[IB_DROP_LINK_QUEUE_FULL], 4);
    /* Once drained, the queue takes frames again. */
    send(f);
    run(f);
    assert_int_equal(f->n_rx, 7);
    assert_int_equal(f->rx[6].seq, 10);
    fx_free(f);
}

static uint64_t fnv(uint64_t h, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        h = (h ^ ((v >> (8 * i)) & 0xff)) * 1099511628211u;
    return h;
}

/* Sends 10000 frames with 10% loss; returns a hash of what arrived. */
static uint64_t loss_run(uint64_t seed, uint64_t *lost)
{
    struct ib_link_params p = ib_link_defaults;
    p.queue = 10000;
    p.loss = 0.1;
    struct fx *f = fx_new(&p, seed);
    for (int i = 0; i < 10000; i++)
        send(f);
    run(f);
    *lost = f->link.end[0].stats.lost;
    assert_int_equal(f->n_rx + *lost, 10000);
    assert_int_equal(f->na.drops[IB_DROP_LINK_LOSS], *lost);
    assert_int_equal(f->drop_reason[IB_DROP_LINK_LOSS], *lost);
    /* A lost frame still took its time on the wire. */
    assert_int_equal(f->ev[IB_EV_WIRE_TX], 10000);
    uint64_t h = 1469598103934665603u;
    for (uint32_t i = 0; i < f->n_rx; i++) {
        h = fnv(h, f->rx[i].seq);
        h = fnv(h, (uint64_t)f->rx[i].t);
    }
    fx_free(f);
    return h;
}

static void test_loss_rate_and_determinism(void **state)
{
    uint64_t lost1, lost1b, lost2;
    uint64_t h1 = loss_run(1, &lost1);
    uint64_t h1b = loss_run(1, &lost1b);
    uint64_t h2 = loss_run(2, &lost2);
    /* Binomial(10000, 0.1): sd 30; four sd either side. */
    assert_in_range(lost1, 880, 1120);
    assert_in_range(lost2, 880, 1120);
    assert_int_equal(lost1, lost1b);
    assert_int_equal(h1, h1b);
    assert_int_not_equal(h1, h2);
}

static void test_duplicate(void **state)
{
    struct ib_link_params p = ib_link_defaults;
    p.duplicate = 1.0;
    struct fx *f = fx_new(&p, 1);
    for (int i = 0; i < 10; i++)
        send(f);
    run(f);
    assert_int_equal(f->n_rx, 20);
    for (uint32_t i = 0; i < 20; i++) {
        assert_int_equal(f->rx[i].seq, i / 2);
        assert_int_equal(f->rx[i].bitdiff, 0);
        /* The receiver owns what it gets, though both shared one buffer. */
        assert_int_equal(f->rx[i].refs, 1);
    }
    assert_int_equal(f->rx[0].t, f->rx[1].t);
    assert_int_equal(f->link.end[0].stats.duplicated, 10);
    assert_int_equal(f->dup_tx, 10);
    assert_int_equal(f->ev[IB_EV_WIRE_TX], 20);
    fx_free(f);
}

static void test_reorder(void **state)
{
    struct ib_link_params p = ib_link_defaults;
    p.queue = 1000;
    p.reorder = 0.2;
    struct fx *f = fx_new(&p, 7);
    for (int i = 0; i < 200; i++)
        send(f);
    run(f);
    assert_int_equal(f->n_rx, 200);
    bool seen[200] = {false};
    uint32_t inversions = 0;
    for (uint32_t i = 0; i < 200; i++) {
        assert_true(f->rx[i].seq < 200);
        assert_false(seen[f->rx[i].seq]);
        seen[f->rx[i].seq] = true;
        if (i && f->rx[i].seq < f->rx[i - 1].seq)
            inversions++;
        if (i)
            assert_true(f->rx[i].t >= f->rx[i - 1].t);
    }
    uint64_t reordered = f->link.end[0].stats.reordered;
    assert_in_range(reordered, 20, 60);
    assert_true(inversions > 0);
    assert_true(inversions <= reordered);
    fx_free(f);
}

/* An explicit extra delay: frame 0 arrives after frames 1..3. */
static void test_reorder_delay_overtaken(void **state)
{
    struct ib_link_params p = ib_link_defaults;
    p.rate_bps = 1000000000u;
    p.delay = IB_US(10);
    p.reorder = 1.0;
    p.reorder_delay = IB_US(2);
    struct fx *f = fx_new(&p, 1);
    send(f);
    run(f);
    /* 512 ns serialization + 10 us + 2 us. */
    assert_int_equal(f->rx[0].t, 512 + IB_US(12));
    f->link.p.reorder = 0;
    ib_evq_run_until(&f->q, IB_SEC(1));
    f->link.p.reorder = 1.0;
    send(f);
    f->link.p.reorder = 0;
    for (int i = 0; i < 3; i++)
        send(f);
    run(f);
    assert_int_equal(f->n_rx, 5);
    assert_int_equal(f->rx[1].seq, 2);
    assert_int_equal(f->rx[2].seq, 3);
    assert_int_equal(f->rx[3].seq, 4);
    assert_int_equal(f->rx[4].seq, 1);
    assert_int_equal(f->rx[4].t, IB_SEC(1) + 512 + IB_US(12));
    fx_free(f);
}

static void test_corrupt_flips_one_bit(void **state)
{
    struct ib_link_params p = ib_link_defaults;
    p.corrupt = 1.0;
    struct fx *f = fx_new(&p, 3);
    /* The sender keeps a reference: its bytes must stay as sent. */
    struct ib_pkt *kept = frame(f, FRAME_LEN);
    f->a.ops->xmit(&f->a, ib_pkt_ref(kept));
    for (int i = 0; i < 49; i++)
        send(f);
    run(f);
    assert_int_equal(f->n_rx, 50);
    for (uint32_t i = 0; i < 50; i++) {
        /* Arrivals are in order, so arrival i is frame i, whichever bit
         * (the sequence number's too) was flipped. */
        assert_int_equal(f->rx[i].len, FRAME_LEN);
        assert_int_equal(f->rx[i].bitdiff_n, 1);
    }
    assert_int_equal(bitdiff(kept->data, kept->len, 0), 0);
    ib_pkt_free(kept);
    assert_int_equal(f->link.end[0].stats.corrupted, 50);
    assert_int_equal(f->corrupt_rx, 50);
    fx_free(f);
}

/* A switch floods one shared packet to several ports; each receiver pulls
 * headers off its own view without disturbing the others. */
static void test_shared_frame_private_on_arrival(void **state)
{
    struct fx *f = fx_new(&ib_link_defaults, 1);
    f->pull_on_rx = true;
    struct ib_pkt *p = frame(f, FRAME_LEN);
    f->a.ops->xmit(&f->a, ib_pkt_ref(p));
    f->a.ops->xmit(&f->a, ib_pkt_ref(p));
    f->a.ops->xmit(&f->a, p);
    run(f);
    assert_int_equal(f->n_rx, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(f->rx[i].len, FRAME_LEN);
        assert_int_equal(f->rx[i].seq, 0);
        assert_int_equal(f->rx[i].bitdiff, 0);
        assert_int_equal(f->rx[i].refs, 1);
    }
    fx_free(f);
}

static void test_link_down_drops_and_up_again(void **state)
{
    struct ib_link_params p = ib_link_defaults;
    p.rate_bps = 1000000u; /* 512 us per short frame */
    p.delay = IB_MS(1);
    struct fx *f = fx_new(&p, 1);
    for (int i = 0; i < 5; i++)
        send(f);
    /* At 600 us: frame 0 in flight, frame 1 on the wire, 3 queued. */
    ib_evq_run_until(&f->q, IB_US(600));
    assert_int_equal(f->link.end[0].q_len, 3);
    ib_link_set_up(&f->link, false);
    assert_int_equal(f->down_events, 2);
    assert_int_equal(f->link.end[0].stats.dropped_down, 5);
    assert_int_equal(f->na.drops[IB_DROP_LINK_DOWN], 5);
    assert_int_equal(f->drop_reason[IB_DROP_LINK_DOWN], 5);
    send(f);
    assert_int_equal(f->link.end[0].stats.dropped_down, 6);
    run(f);
    assert_int_equal(f->n_rx, 0);

    ib_link_set_up(&f->link, true);
    assert_int_equal(f->ev[IB_EV_LINK_STATE], 4);
    ib_link_set_up(&f->link, true);
    assert_int_equal(f->ev[IB_EV_LINK_STATE], 4);
    ib_time t0 = ib_now(&f->env);
    send(f);
    run(f);
    assert_int_equal(f->n_rx, 1);
    assert_int_equal(f->rx[0].seq, 6);
    assert_int_equal(f->rx[0].t, t0 + IB_US(512) + IB_MS(1));
    fx_free(f);
}

static void test_receiver_down(void **state)
{
    struct fx *f = fx_new(&ib_link_defaults, 1);
    f->b.up = false;
    send(f);
    run(f);
    assert_int_equal(f->n_rx, 0);
    assert_int_equal(f->nb.drops[IB_DROP_LINK_DOWN], 1);
    assert_int_equal(f->ev[IB_EV_WIRE_RX], 0);
    fx_free(f);
}

/* Both directions are independent: a frame each way at once. */
static void test_both_directions(void **state)
{
    struct fx *f = fx_new(&ib_link_defaults, 1);
    f->a.input = on_rx_a;
    send(f);
    f->b.ops->xmit(&f->b, frame(f, FRAME_LEN));
    run(f);
    assert_int_equal(f->n_rx, 1);
    assert_int_equal(f->link.end[1].stats.tx_frames, 1);
    assert_int_equal(f->link.end[1].stats.rx_frames, 1);
    assert_int_equal(f->a.stats.rx_frames, 1);
    fx_free(f);
}

static void test_init_rejects_and_destroy_frees(void **state)
{
    struct fx *f = fx_new(&ib_link_defaults, 1);
    struct ib_link other;
    struct ib_link_params bad = ib_link_defaults;
    bad.loss = 1.5;
    struct ib_netif c, d;
    ib_netif_init(&c, &f->na, "eth1", &mac_a);
    ib_netif_init(&d, &f->nb, "eth1", &mac_b);
    assert_int_equal(ib_link_init(&other, &f->env, 1, 1, &bad, &c, &d), IB_ERR_INVAL);
    assert_int_equal(ib_link_init(&other, &f->env, 1, 1, NULL, &c, &c), IB_ERR_INVAL);
    assert_int_equal(ib_link_init(&other, &f->env, 1, 1, NULL, &f->a, &c), IB_ERR_INUSE);
    assert_null(c.ops);
    ib_arp_cache_destroy(&c.arp);
    ib_arp_cache_destroy(&d.arp);

    /* Destroying a busy link frees its frames quietly. */
    for (int i = 0; i < 5; i++)
        send(f);
    ib_evq_run_until(&f->q, 600);
    uint32_t drops = f->ev[IB_EV_DROP];
    ib_link_destroy(&f->link);
    assert_int_equal(f->ev[IB_EV_DROP], drops);
    assert_null(f->a.ops);
    assert_null(f->a.drv);
    run(f);
    assert_int_equal(f->n_rx, 0);
    fx_free(f); /* destroying twice is harmless */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timing_exact),
        cmocka_unit_test(test_timing_min_frame_rounds_up),
        cmocka_unit_test(test_zero_rate_zero_delay),
        cmocka_unit_test(test_fifo),
        cmocka_unit_test(test_rings_wrap_and_grow),
        cmocka_unit_test(test_drop_tail),
        cmocka_unit_test(test_loss_rate_and_determinism),
        cmocka_unit_test(test_duplicate),
        cmocka_unit_test(test_reorder),
        cmocka_unit_test(test_reorder_delay_overtaken),
        cmocka_unit_test(test_corrupt_flips_one_bit),
        cmocka_unit_test(test_shared_frame_private_on_arrival),
        cmocka_unit_test(test_link_down_drops_and_up_again),
        cmocka_unit_test(test_receiver_down),
        cmocka_unit_test(test_both_directions),
        cmocka_unit_test(test_init_rejects_and_destroy_frees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
