/* The ping and traceroute applications on a small world whose times are
 * exact: h1 -- r1 -- h2, two cables of 1 ms propagation delay and no rate
 * limit, so every round trip is a whole number of milliseconds:
 *
 *   h1 10.0.1.10/24 eth0 -- eth0 10.0.1.1/24 r1 eth1 10.0.2.1/24 -- eth0 10.0.2.10/24 h2
 *
 * The first packet toward a new next hop waits for ARP (RFC 826): one more
 * round trip on that cable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "inetbox/apps.h"
#include "inetbox/world.h"

struct net {
    struct ib_world *w;
    struct ib_stack *h1, *r1, *h2;
    struct ib_link *l1, *l2;
};

static void net_build(struct net *n, double loss2)
{
    n->w = ib_world_new(1);
    assert_non_null(n->w);
    n->h1 = ib_world_add_host(n->w, "h1");
    n->r1 = ib_world_add_router(n->w, "r1");
    n->h2 = ib_world_add_host(n->w, "h2");
    struct ib_netif *h1e0 = ib_world_add_netif(n->w, &n->h1->node, "eth0");
    struct ib_netif *r1e0 = ib_world_add_netif(n->w, &n->r1->node, "eth0");
    struct ib_netif *r1e1 = ib_world_add_netif(n->w, &n->r1->node, "eth1");
    struct ib_netif *h2e0 = ib_world_add_netif(n->w, &n->h2->node, "eth0");
    struct ib_link_params p = ib_link_defaults;
    p.rate_bps = 0;
    p.delay = IB_MS(1);
    n->l1 = ib_world_connect(n->w, h1e0, r1e0, &p);
    p.loss = loss2;
    n->l2 = ib_world_connect(n->w, r1e1, h2e0, &p);
    assert_non_null(n->l1);
    assert_non_null(n->l2);
    assert_int_equal(ib_stack_set_addr(n->h1, h1e0, IB_IP4(10, 0, 1, 10), 24), 0);
    assert_int_equal(ib_stack_set_addr(n->r1, r1e0, IB_IP4(10, 0, 1, 1), 24), 0);
    assert_int_equal(ib_stack_set_addr(n->r1, r1e1, IB_IP4(10, 0, 2, 1), 24), 0);
    assert_int_equal(ib_stack_set_addr(n->h2, h2e0, IB_IP4(10, 0, 2, 10), 24), 0);
    assert_int_equal(ib_stack_add_route(n->h1, 0, 0, IB_IP4(10, 0, 1, 1), h1e0), 0);
    assert_int_equal(ib_stack_add_route(n->h2, 0, 0, IB_IP4(10, 0, 2, 1), h2e0), 0);
    /* Let the gratuitous ARPs pass: they must not fill any cache. */
    ib_world_run(n->w, IB_SEC(1));
}

static void run_until(struct net *n, const bool *done)
{
    while (!*done) {
        ib_time t = ib_evq_next_time(&n->w->q);
        assert_true(t != IB_TIME_NEVER);
        ib_world_run(n->w, t);
    }
}

static void net_free(struct net *n)
{
    ib_world_run(n->w, IB_TIME_NEVER); /* let what is in flight arrive */
    struct ib_pkt_pool_stats st;
    ib_pkt_pool_stats(n->w->env.pool, &st);
    assert_int_equal(st.in_use, 0);
    ib_world_free(n->w);
}

#define MAX_RESULTS 16
struct ping_log {
    int n;
    struct ib_ping_result r[MAX_RESULTS];
};

static void ping_log(struct ib_ping *p, const struct ib_ping_result *r)
{
    struct ping_log *log = p->arg;
    assert_true(log->n < MAX_RESULTS);
    log->r[log->n++] = *r;
}

#define H2 IB_IP4(10, 0, 2, 10)

static struct ib_ping_config ping_to_h2(uint32_t count)
{
    struct ib_ping_config cfg = ib_ping_defaults;
    cfg.dst = H2;
    cfg.count = count;
    return cfg;
}

static void ping_run(struct net *n, struct ib_ping *p, const struct ib_ping_config *cfg,
                     struct ping_log *log)
{
    assert_int_equal(ib_ping_start(p, n->h1, cfg, ping_log, log), 0);
    run_until(n, &p->done);
}

/* RFC 792: each echo request gets a reply with the same sequence number;
 * the RTT is measured from the send time. */
static void test_ping_rtt(void **state)
{
    struct net n;
    net_build(&n, 0);
    struct ib_ping_config cfg = ping_to_h2(3);
    cfg.size = 100;
    struct ping_log log = {0};
    struct ib_ping p;
    ping_run(&n, &p, &cfg, &log);

    assert_int_equal(log.n, 3);
    /* First: ARP on h1's cable (2 ms), then on r1's (2 ms), then 4 ms of
     * round trip; h2 learned r1 from its request, so the reply needs none. */
    const ib_time want[3] = {IB_MS(8), IB_MS(4), IB_MS(4)};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(log.r[i].kind, IB_PING_REPLY);
        assert_int_equal(log.r[i].seq, i + 1);
        assert_int_equal(log.r[i].from, H2);
        assert_int_equal(log.r[i].ttl, 63); /* 64 from h2, minus r1's hop */
        assert_int_equal(log.r[i].bytes, 108);
        assert_int_equal(log.r[i].rtt, want[i]);
    }
    assert_int_equal(p.stats.transmitted, 3);
    assert_int_equal(p.stats.received, 3);
    assert_int_equal(p.stats.errors, 0);
    assert_int_equal(p.stats.rtt_min, IB_MS(4));
    assert_int_equal(p.stats.rtt_max, IB_MS(8));
    assert_int_equal(p.stats.rtt_sum, IB_MS(16));
    assert_int_equal(p.stats.first_tx, IB_SEC(1));
    assert_int_equal(p.stats.last_tx, IB_SEC(3));
    /* Done as soon as the last reply came, not at the timeout. */
    assert_int_equal(ib_now(&n.w->env), IB_SEC(3) + IB_MS(4));
    ib_ping_stop(&p);
    ib_ping_stop(&p);
    net_free(&n);
}

/* A request whose TTL runs out at r1 comes back as time exceeded
 * (RFC 792), reported as an error, not a reply. */
static void test_ping_ttl_exceeded(void **state)
{
    struct net n;
    net_build(&n, 0);
    struct ib_ping_config cfg = ping_to_h2(2);
    cfg.ttl = 1;
    struct ping_log log = {0};
    struct ib_ping p;
    ping_run(&n, &p, &cfg, &log);
    assert_int_equal(log.n, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(log.r[i].kind, IB_PING_ERROR);
        assert_int_equal(log.r[i].from, IB_IP4(10, 0, 1, 1));
        assert_int_equal(log.r[i].type, IB_ICMP_TIME_EXCEEDED);
        assert_int_equal(log.r[i].code, IB_ICMP_EXC_TTL);
        assert_int_equal(log.r[i].seq, i + 1);
    }
    assert_int_equal(p.stats.received, 0);
    assert_int_equal(p.stats.errors, 2);
    ib_ping_stop(&p);
    net_free(&n);
}

/* Lost requests get no reply: the run ends the timeout after the last. */
static void test_ping_loss_timeout(void **state)
{
    struct net n;
    net_build(&n, 1.0);
    struct ib_ping_config cfg = ping_to_h2(2);
    cfg.interval = IB_MS(500);
    cfg.timeout = IB_MS(700);
    struct ping_log log = {0};
    struct ib_ping p;
    ping_run(&n, &p, &cfg, &log);
    assert_int_equal(log.n, 0);
    assert_int_equal(p.stats.transmitted, 2);
    assert_int_equal(p.stats.received, 0);
    assert_int_equal(ib_now(&n.w->env), IB_SEC(1) + IB_MS(500) + IB_MS(700));
    ib_ping_stop(&p);
    net_free(&n);
}

static void test_ping_bad_config(void **state)
{
    struct net n;
    net_build(&n, 0);
    struct ib_ping p;
    struct ib_ping_config cfg = ib_ping_defaults;
    cfg.count = 0;
    assert_int_equal(ib_ping_start(&p, n.h1, &cfg, NULL, NULL), IB_ERR_INVAL);
    cfg.count = 1;
    cfg.size = 65508; /* 20 + 8 + 65508 > 65535 */
    assert_int_equal(ib_ping_start(&p, n.h1, &cfg, NULL, NULL), IB_ERR_INVAL);
    net_free(&n);
}

struct hop_log {
    int n;
    struct ib_traceroute_hop h[8];
};

static void hop_log(struct ib_traceroute *t, const struct ib_traceroute_hop *h)
{
    struct hop_log *log = t->arg;
    assert_true(log->n < 8);
    log->h[log->n++] = *h;
}

static void traceroute_run(struct net *n, struct ib_traceroute *t,
                           const struct ib_traceroute_config *cfg, struct hop_log *log)
{
    assert_int_equal(ib_traceroute_start(t, n->h1, cfg, hop_log, log), 0);
    run_until(n, &t->done);
}

/* Hop 1 is r1 (time exceeded, RFC 792 / RFC 1812 §5.3.1), hop 2 is h2
 * itself (port unreachable, RFC 1122 §4.1.3.1), which ends the trace. */
static void test_traceroute(void **state)
{
    struct net n;
    net_build(&n, 0);
    struct ib_traceroute_config cfg = ib_traceroute_defaults;
    cfg.dst = H2;
    struct hop_log log = {0};
    struct ib_traceroute t;
    traceroute_run(&n, &t, &cfg, &log);
    assert_true(t.reached);
    assert_int_equal(log.n, 2);
    assert_int_equal(t.probes, 6);

    const ib_time rtt1[3] = {IB_MS(4), IB_MS(2), IB_MS(2)}; /* ARP first */
    const ib_time rtt2[3] = {IB_MS(6), IB_MS(4), IB_MS(4)}; /* r1 ARPs for h2 */
    for (int i = 0; i < 3; i++) {
        const struct ib_traceroute_probe *a = &log.h[0].probe[i], *b = &log.h[1].probe[i];
        assert_true(a->answered);
        assert_int_equal(a->from, IB_IP4(10, 0, 1, 1));
        assert_int_equal(a->type, IB_ICMP_TIME_EXCEEDED);
        assert_int_equal(a->rtt, rtt1[i]);
        assert_true(b->answered);
        assert_int_equal(b->from, H2);
        assert_int_equal(b->type, IB_ICMP_DEST_UNREACH);
        assert_int_equal(b->code, IB_ICMP_UNREACH_PORT);
        assert_int_equal(b->rtt, rtt2[i]);
    }
    assert_int_equal(log.h[0].ttl, 1);
    assert_int_equal(log.h[1].ttl, 2);
    assert_int_equal(log.h[0].n, 3);
    ib_traceroute_stop(&t);
    net_free(&n);
}

/* Probes lost beyond r1 time out one by one ("*"); the trace stops at
 * max_ttl without reaching the destination. */
static void test_traceroute_timeouts(void **state)
{
    struct net n;
    net_build(&n, 1.0);
    struct ib_traceroute_config cfg = ib_traceroute_defaults;
    cfg.dst = H2;
    cfg.max_ttl = 3;
    cfg.queries = 2;
    cfg.timeout = IB_MS(300);
    struct hop_log log = {0};
    struct ib_traceroute t;
    traceroute_run(&n, &t, &cfg, &log);
    assert_false(t.reached);
    assert_int_equal(log.n, 3);
    assert_true(log.h[0].probe[0].answered);
    assert_true(log.h[0].probe[1].answered);
    for (int h = 1; h < 3; h++) {
        assert_int_equal(log.h[h].n, 2);
        assert_false(log.h[h].probe[0].answered);
        assert_false(log.h[h].probe[1].answered);
    }
    /* Hop 1 took 4 + 2 ms; then four probes waited 300 ms each. */
    assert_int_equal(ib_now(&n.w->env), IB_SEC(1) + IB_MS(6) + 4 * IB_MS(300));
    ib_traceroute_stop(&t);
    net_free(&n);
}

static void test_traceroute_bad_config(void **state)
{
    struct net n;
    net_build(&n, 0);
    struct ib_traceroute t;
    struct ib_traceroute_config cfg = ib_traceroute_defaults;
    cfg.queries = 0;
    assert_int_equal(ib_traceroute_start(&t, n.h1, &cfg, NULL, NULL), IB_ERR_INVAL);
    cfg = ib_traceroute_defaults;
    cfg.queries = IB_TRACEROUTE_MAX_QUERIES + 1;
    assert_int_equal(ib_traceroute_start(&t, n.h1, &cfg, NULL, NULL), IB_ERR_INVAL);
    cfg = ib_traceroute_defaults;
    cfg.first_ttl = 5;
    cfg.max_ttl = 4;
    assert_int_equal(ib_traceroute_start(&t, n.h1, &cfg, NULL, NULL), IB_ERR_INVAL);
    net_free(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ping_rtt),
        cmocka_unit_test(test_ping_ttl_exceeded),
        cmocka_unit_test(test_ping_loss_timeout),
        cmocka_unit_test(test_ping_bad_config),
        cmocka_unit_test(test_traceroute),
        cmocka_unit_test(test_traceroute_timeouts),
        cmocka_unit_test(test_traceroute_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
