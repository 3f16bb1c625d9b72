/* The IEEE 802.1D learning bridge: learning, forwarding, flooding to every
 * port but the ingress one (by reference: one packet, no copies), aging
 * (§7.9.2), station moves, a full table, and malformed frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "inetbox/bridge.h"
#include "link_harness.h"

#define NPORTS 4

struct br {
    struct lh_env h;
    struct ib_bridge b;
    struct ib_netif port[NPORTS];
    struct lh_frames tx[NPORTS];
};

static const struct ib_mac A = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x0a}};
static const struct ib_mac B = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x0b}};
static const struct ib_mac C = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x0c}};

static int setup(void **state)
{
    struct br *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    lh_env_init(&t->h);
    ib_bridge_init(&t->b, &t->h.env, "sw1", 7, 42);
    for (unsigned i = 0; i < NPORTS; i++) {
        char name[8] = "p0";
        name[1] = (char)('0' + i);
        const struct ib_mac m = {{0x02, 0xbb, 0, 0, 0, (uint8_t)i}};
        ib_netif_init(&t->port[i], &t->b.node, name, &m);
        t->port[i].ops = lh_ops();
        t->port[i].drv = &t->tx[i];
        assert_int_equal(ib_bridge_add_port(&t->b, &t->port[i]), IB_OK);
    }
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct br *t = *state;
    for (unsigned i = 0; i < NPORTS; i++)
        lh_frames_clear(&t->tx[i]);
    ib_bridge_destroy(&t->b);
    lh_env_destroy(&t->h);
    free(t);
    return 0;
}

/* A 60-byte frame dst <- src carrying marker in its payload. */
static struct ib_pkt *eth(struct br *t, const struct ib_mac *dst, const struct ib_mac *src,
                          uint8_t marker)
{
    uint8_t b[60] = {0};
    memcpy(b, dst->b, 6);
    memcpy(b + 6, src->b, 6);
    b[12] = 0x08;
    b[13] = 0x00;
    memset(b + 14, marker, sizeof(b) - 14);
    struct ib_pkt *p = ib_pkt_from(t->h.env.pool, b, sizeof(b));
    assert_non_null(p);
    return p;
}

static void in(struct br *t, unsigned port, struct ib_pkt *p) { ib_netif_receive(&t->port[port], p); }

static void clear(struct br *t)
{
    for (unsigned i = 0; i < NPORTS; i++)
        lh_frames_clear(&t->tx[i]);
}

static void assert_sent(const struct br *t, unsigned n0, unsigned n1, unsigned n2, unsigned n3)
{
    assert_int_equal(t->tx[0].n, n0);
    assert_int_equal(t->tx[1].n, n1);
    assert_int_equal(t->tx[2].n, n2);
    assert_int_equal(t->tx[3].n, n3);
}

/* §7.8 learning and §7.7.1 forwarding: an unknown destination is flooded
 * to every port except the ingress one, as one shared, unmodified packet. */
static void test_learn_and_flood_by_reference(void **state)
{
    struct br *t = *state;
    assert_null(t->b.table); /* nothing allocated until the first frame */
    struct ib_pkt *p = eth(t, &B, &A, 0x42);
    uint8_t orig[60];
    memcpy(orig, p->data, sizeof(orig));
    in(t, 0, p);
    assert_sent(t, 0, 1, 1, 1);
    assert_ptr_equal(t->tx[1].f[0], p);
    assert_ptr_equal(t->tx[2].f[0], p);
    assert_ptr_equal(t->tx[3].f[0], p);
    assert_int_equal(p->refs, 3);
    struct ib_pkt_pool_stats st = lh_pool(&t->h);
    assert_int_equal(st.allocs, 1); /* no copies */
    assert_int_equal(st.in_use, 1);
    lh_assert_frame(p, orig, sizeof(orig));

    assert_int_equal(ib_bridge_lookup(&t->b, &A), 0);
    assert_int_equal(ib_bridge_lookup(&t->b, &B), -1);
    assert_int_equal(t->b.stats.learned, 1);
    assert_int_equal(t->b.stats.flooded, 1);
    const struct lh_event *ev = lh_last(&t->h, IB_EV_BRIDGE_LEARN);
    assert_memory_equal(ev->mac.b, A.b, 6);
    assert_ptr_equal(ev->port, &t->port[0]);
    ev = lh_last(&t->h, IB_EV_BRIDGE_FLOOD);
    assert_memory_equal(ev->mac.b, B.b, 6);
    assert_ptr_equal(ev->nif, &t->port[0]);
}

static void test_forward_known_unicast(void **state)
{
    struct br *t = *state;
    in(t, 0, eth(t, &B, &A, 1));
    clear(t);
    in(t, 2, eth(t, &A, &B, 2));
    assert_sent(t, 1, 0, 0, 0);
    assert_int_equal(t->tx[0].f[0]->data[14], 2);
    const struct lh_event *ev = lh_last(&t->h, IB_EV_BRIDGE_FWD);
    assert_memory_equal(ev->mac.b, A.b, 6);
    assert_ptr_equal(ev->port, &t->port[0]);
    clear(t);
    in(t, 0, eth(t, &B, &A, 3));
    assert_sent(t, 0, 0, 1, 0);
    assert_int_equal(t->b.stats.forwarded, 2);
    assert_int_equal(t->b.stats.flooded, 1);
    assert_int_equal(t->b.stats.learned, 2);
}

/* Group destinations always flood. */
static void test_broadcast_and_multicast_flood(void **state)
{
    struct br *t = *state;
    const struct ib_mac group = {{0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb}};
    in(t, 1, eth(t, &ib_mac_broadcast, &A, 1));
    in(t, 2, eth(t, &group, &B, 2));
    assert_sent(t, 2, 1, 1, 2);
    assert_int_equal(t->b.stats.flooded, 2);
    assert_int_equal(ib_bridge_lookup(&t->b, &ib_mac_broadcast), -1);
    assert_int_equal(ib_bridge_lookup(&t->b, &group), -1);
}

/* §7.7.1: a frame is never sent back out of the port it came in on. */
static void test_same_port_dropped(void **state)
{
    struct br *t = *state;
    in(t, 0, eth(t, &ib_mac_broadcast, &C, 1));
    clear(t);
    in(t, 0, eth(t, &C, &A, 2));
    assert_sent(t, 0, 0, 0, 0);
    assert_int_equal(t->b.node.drops[IB_DROP_BRIDGE_SAME_PORT], 1);
    assert_int_equal(lh_last(&t->h, IB_EV_DROP)->reason, IB_DROP_BRIDGE_SAME_PORT);
}

/* §7.9.2: entries not refreshed within the Ageing Time (300 s) go. */
static void test_aging(void **state)
{
    struct br *t = *state;
    assert_int_equal(t->b.aging, IB_SEC(300));
    in(t, 0, eth(t, &ib_mac_broadcast, &A, 1));
    in(t, 1, eth(t, &ib_mac_broadcast, &B, 1));
    ib_evq_run_until(t->h.q, IB_SEC(200));
    in(t, 1, eth(t, &ib_mac_broadcast, &B, 1)); /* B refreshed */
    ib_evq_run_until(t->h.q, IB_SEC(300) - 1);
    assert_int_equal(ib_bridge_lookup(&t->b, &A), 0);
    ib_evq_run_until(t->h.q, IB_SEC(300));
    assert_int_equal(ib_bridge_lookup(&t->b, &A), -1);
    assert_int_equal(ib_bridge_lookup(&t->b, &B), 1);
    clear(t);
    in(t, 2, eth(t, &A, &C, 1)); /* A forgotten: flooded */
    assert_sent(t, 1, 1, 0, 1);
    ib_evq_run_until(t->h.q, IB_SEC(500));
    assert_int_equal(ib_bridge_lookup(&t->b, &B), -1);
}

static void test_station_moves(void **state)
{
    struct br *t = *state;
    in(t, 0, eth(t, &ib_mac_broadcast, &A, 1));
    in(t, 3, eth(t, &ib_mac_broadcast, &A, 1));
    assert_int_equal(ib_bridge_lookup(&t->b, &A), 3);
    assert_int_equal(lh_count(&t->h, IB_EV_BRIDGE_LEARN), 2);
    assert_ptr_equal(lh_last(&t->h, IB_EV_BRIDGE_LEARN)->port, &t->port[3]);
    /* A refresh on the same port is not news. */
    in(t, 3, eth(t, &ib_mac_broadcast, &A, 1));
    assert_int_equal(lh_count(&t->h, IB_EV_BRIDGE_LEARN), 2);
    clear(t);
    in(t, 1, eth(t, &A, &B, 1));
    assert_sent(t, 0, 0, 0, 1);
}

/* A full table learns nothing new (frames to the unknown station are
 * flooded) until aged entries make room. */
static void test_table_full(void **state)
{
    struct br *t = *state;
    t->b.max_entries = 4;
    for (uint8_t i = 0; i < 4; i++) {
        const struct ib_mac m = {{0x02, 0, 0, 0, 1, i}};
        in(t, 0, eth(t, &ib_mac_broadcast, &m, i));
    }
    assert_int_equal(t->b.table_n, 4);
    ib_evq_run_until(t->h.q, IB_SEC(10));
    in(t, 1, eth(t, &ib_mac_broadcast, &C, 9));
    assert_int_equal(ib_bridge_lookup(&t->b, &C), -1);
    assert_int_equal(t->b.table_n, 4);
    clear(t);
    in(t, 0, eth(t, &C, &(struct ib_mac){{0x02, 0, 0, 0, 1, 0}}, 9));
    assert_sent(t, 0, 1, 1, 1);
    /* Once the first four have aged, C is learned. */
    ib_evq_run_until(t->h.q, IB_SEC(310));
    in(t, 1, eth(t, &ib_mac_broadcast, &C, 9));
    assert_int_equal(ib_bridge_lookup(&t->b, &C), 1);
    assert_int_equal(t->b.table_n, 1);
}

static void test_malformed_frames(void **state)
{
    struct br *t = *state;
    uint8_t b[13] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x0a, 0x08};
    in(t, 0, ib_pkt_from(t->h.env.pool, b, sizeof(b)));
    assert_int_equal(t->b.node.drops[IB_DROP_ETH_TRUNCATED], 1);
    /* IEEE 802.3 §3.2.3: a group source address is invalid. */
    in(t, 0, eth(t, &A, &ib_mac_broadcast, 1));
    assert_int_equal(t->b.node.drops[IB_DROP_ETH_BAD_SRC], 1);
    assert_int_equal(ib_bridge_lookup(&t->b, &ib_mac_broadcast), -1);
    assert_sent(t, 0, 0, 0, 0);
    assert_int_equal(t->b.table_n, 0);
}

/* Down ports are skipped; with nowhere to send, the frame is dropped. */
static void test_flood_skips_down_ports(void **state)
{
    struct br *t = *state;
    t->port[2].up = false;
    in(t, 0, eth(t, &B, &A, 1));
    assert_sent(t, 0, 1, 0, 1);
    assert_int_equal(t->tx[1].f[0]->refs, 2);
    t->port[1].up = false;
    t->port[3].up = false;
    in(t, 0, eth(t, &B, &A, 2));
    assert_sent(t, 0, 1, 0, 1);
    assert_int_equal(t->b.node.drops[IB_DROP_LINK_DOWN], 1);
}

static void sink_xmit(struct ib_netif *nif, struct ib_pkt *p)
{
    (*(unsigned *)nif->drv)++;
    ib_pkt_free(p);
}

/* Thousands of stations: the table grows, and deleting aged entries in
 * the middle of probe runs (backward shift) never loses a live one. */
static void test_many_stations(void **state)
{
    struct br *t = *state;
    const struct ib_netif_ops sink = {.xmit = sink_xmit};
    unsigned sent = 0;
    t->h.env.trace = NULL;
    for (unsigned i = 0; i < NPORTS; i++) {
        t->port[i].ops = &sink;
        t->port[i].drv = &sent;
    }
    enum { N = 3000 };
    for (unsigned i = 0; i < N; i++) {
        const struct ib_mac m = {{0x02, 0x10, 0, 0, (uint8_t)(i >> 8), (uint8_t)i}};
        in(t, i % NPORTS, eth(t, &ib_mac_broadcast, &m, 0));
    }
    assert_int_equal(t->b.table_n, N);
    assert_true(t->b.table_cap >= 2 * N);
    assert_int_equal(sent, 3 * N);
    ib_evq_run_until(t->h.q, IB_SEC(100));
    for (unsigned i = 0; i < N; i += 3) {
        const struct ib_mac m = {{0x02, 0x10, 0, 0, (uint8_t)(i >> 8), (uint8_t)i}};
        in(t, (i + 1) % NPORTS, eth(t, &ib_mac_broadcast, &m, 0)); /* moved and refreshed */
    }
    ib_evq_run_until(t->h.q, IB_SEC(300));
    for (unsigned pass = 0; pass < 2; pass++) {
        for (unsigned i = 0; i < N; i++) {
            const struct ib_mac m = {{0x02, 0x10, 0, 0, (uint8_t)(i >> 8), (uint8_t)i}};
            int want = i % 3 == 0 ? (int)((i + 1) % NPORTS) : -1;
            assert_int_equal(ib_bridge_lookup(&t->b, &m), want);
        }
    }
    assert_int_equal(t->b.table_n, N / 3);
    assert_int_equal(lh_pool(&t->h).in_use, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_learn_and_flood_by_reference, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forward_known_unicast, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broadcast_and_multicast_flood, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_port_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_station_moves, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flood_skips_down_ports, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_stations, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
