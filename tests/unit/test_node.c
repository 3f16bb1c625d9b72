/* Nodes and the trace bus: name and random stream set up by ib_node_init,
 * ib_drop counting, tracing and freeing, observers called in order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "inetbox/node.h"

struct seen {
    int id;
    int *order;
    int *n;
    struct ib_event last;
    int count;
};

static void observe(void *ctx, const struct ib_event *ev)
{
    struct seen *s = ctx;
    s->order[(*s->n)++] = s->id;
    s->last = *ev;
    s->count++;
}

struct fixture {
    struct ib_evq q;
    struct ib_env env;
    struct ib_trace tr;
    struct ib_node node;
};

static void setup_env(struct fixture *f, bool traced)
{
    memset(f, 0, sizeof(*f));
    ib_evq_init(&f->q);
    f->env.q = &f->q;
    f->env.pool = ib_pkt_pool_new();
    f->env.trace = traced ? &f->tr : NULL;
    ib_node_init(&f->node, &f->env, IB_NODE_ROUTER, "r1", 3, 42);
}

static void teardown_env(struct fixture *f)
{
    struct ib_pkt_pool_stats st;
    ib_pkt_pool_stats(f->env.pool, &st);
    assert_int_equal(st.in_use, 0);
    ib_pkt_pool_free(f->env.pool);
    ib_evq_destroy(&f->q);
}

static void test_node_init(void **state)
{
    (void)state;
    struct ib_node n, m;
    ib_node_init(&n, NULL, IB_NODE_HOST, "host-a", 7, 1);
    assert_string_equal(n.name, "host-a");
    assert_int_equal(n.id, 7);
    assert_int_equal(n.kind, IB_NODE_HOST);
    assert_string_equal(ib_node_kind_name(n.kind), "host");
    assert_string_equal(ib_node_kind_name(IB_NODE_SWITCH), "switch");
    for (int r = 0; r < IB_DROP__COUNT; r++)
        assert_int_equal(n.drops[r], 0);
    /* The stream is the one derived from (seed, id). */
    struct ib_rng want;
    ib_rng_seed(&want, ib_rng_derive(1, 7));
    assert_int_equal(ib_rng_next(&n.rng), ib_rng_next(&want));
    ib_node_init(&m, NULL, IB_NODE_HOST, "host-b", 8, 1);
    assert_true(ib_rng_next(&m.rng) != ib_rng_next(&n.rng));

    /* Long names are cut, always terminated. */
    char longname[100];
    memset(longname, 'x', sizeof(longname) - 1);
    longname[99] = '\0';
    ib_node_init(&n, NULL, IB_NODE_HOST, longname, 1, 1);
    assert_int_equal(strlen(n.name), IB_NAME_MAX - 1);
}

static void test_drop_untraced(void **state)
{
    (void)state;
    struct fixture f;
    setup_env(&f, false);
    struct ib_pkt *p = ib_pkt_from(f.env.pool, "junk", 4);
    assert_int_equal(ib_drop(&f.node, NULL, p, IB_DROP_IP_BAD_CHECKSUM), IB_ERR_DROPPED);
    assert_int_equal(f.node.drops[IB_DROP_IP_BAD_CHECKSUM], 1);
    /* Without a packet only the counter moves. */
    assert_int_equal(ib_drop(&f.node, NULL, NULL, IB_DROP_NOMEM), IB_ERR_DROPPED);
    assert_int_equal(f.node.drops[IB_DROP_NOMEM], 1);
    teardown_env(&f);
}

static void test_drop_traced_in_order(void **state)
{
    (void)state;
    struct fixture f;
    setup_env(&f, true);
    int order[16], n = 0;
    struct seen a = {.id = 1, .order = order, .n = &n};
    struct seen b = {.id = 2, .order = order, .n = &n};
    assert_int_equal(ib_trace_attach(&f.tr, observe, &a), IB_OK);
    assert_int_equal(ib_trace_attach(&f.tr, observe, &b), IB_OK);
    f.q.now = IB_MS(5);

    struct ib_pkt *p = ib_pkt_from(f.env.pool, "\x45\x00", 2);
    p->journey = 12;
    assert_int_equal(ib_drop(&f.node, NULL, p, IB_DROP_UDP_NO_LISTENER), IB_ERR_DROPPED);
    assert_int_equal(n, 2);
    assert_int_equal(order[0], 1);
    assert_int_equal(order[1], 2);
    const struct ib_event *ev = &b.last;
    assert_int_equal(ev->kind, IB_EV_DROP);
    assert_int_equal(ev->reason, IB_DROP_UDP_NO_LISTENER);
    assert_int_equal(ev->layer, 4);
    assert_int_equal(ev->t, IB_MS(5));
    assert_ptr_equal(ev->node, &f.node);
    assert_int_equal(ev->len, 2);
    assert_int_equal(ev->journey, 12);
    assert_non_null(ev->data);

    ib_drop(&f.node, NULL, NULL, IB_DROP_LINK_LOSS);
    assert_int_equal(a.count, 2);
    assert_int_equal(a.last.layer, 1);
    assert_null(a.last.data);
    assert_int_equal(a.last.len, 0);
    assert_int_equal(f.node.drops[IB_DROP_UDP_NO_LISTENER], 1);
    assert_int_equal(f.node.drops[IB_DROP_LINK_LOSS], 1);
    teardown_env(&f);
}

static void test_trace_attach_limit(void **state)
{
    (void)state;
    struct ib_trace tr = {0};
    int order[16], n = 0;
    struct seen s = {.id = 1, .order = order, .n = &n};
    for (int i = 0; i < IB_TRACE_MAX_OBSERVERS; i++)
        assert_int_equal(ib_trace_attach(&tr, observe, &s), IB_OK);
    assert_int_equal(ib_trace_attach(&tr, observe, &s), IB_ERR_NOMEM);
    struct ib_event ev = {0};
    ib_trace_dispatch(&tr, &ev);
    assert_int_equal(s.count, IB_TRACE_MAX_OBSERVERS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_init),
        cmocka_unit_test(test_drop_untraced),
        cmocka_unit_test(test_drop_traced_in_order),
        cmocka_unit_test(test_trace_attach_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
