/* Stack configuration: ib_stack_config_init gives every default, so one
 * setting can be changed without losing the others. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "inetbox/stack.h"

static void test_config_init_keeps_other_defaults(void **state)
{
    (void)state;
    struct ib_evq q;
    ib_evq_init(&q);
    struct ib_env env = {.q = &q, .pool = ib_pkt_pool_new()};
    struct ib_stack_config cfg;
    ib_stack_config_init(&cfg);
    cfg.reass.max_frags = 7;
    cfg.arp.max_tries = 9;
    struct ib_stack s;
    ib_stack_init(&s, &env, "h", 1, 1, &cfg);
    assert_int_equal(s.cfg.reass.max_frags, 7);
    assert_int_equal(s.cfg.reass.timeout, ib_reass_defaults.timeout);
    assert_int_equal(s.cfg.arp.max_tries, 9);
    assert_int_equal(s.cfg.arp.timeout, ib_arp_defaults.timeout);
    assert_int_equal(s.cfg.icmp.rate, ib_icmp_defaults.rate);
    assert_int_equal(s.cfg.tcp.sndbuf, ib_tcp_defaults.sndbuf);
    assert_int_equal(s.cfg.tcp.msl, ib_tcp_defaults.msl);
    assert_int_equal(s.cfg.ttl, 64);
    assert_false(s.cfg.forwarding);
    ib_stack_destroy(&s);
    ib_pkt_pool_free(env.pool);
    ib_evq_destroy(&q);
}

/* A part left zero in the configuration takes its module's defaults. */
static void test_zero_parts_take_defaults(void **state)
{
    (void)state;
    struct ib_evq q;
    ib_evq_init(&q);
    struct ib_env env = {.q = &q, .pool = ib_pkt_pool_new()};
    struct ib_stack_config cfg = ib_stack_defaults;
    cfg.forwarding = true;
    struct ib_stack s;
    ib_stack_init(&s, &env, "r", 1, 1, &cfg);
    assert_true(s.cfg.forwarding);
    assert_int_equal(s.node.kind, IB_NODE_ROUTER);
    assert_int_equal(s.cfg.arp.max_queue, ib_arp_defaults.max_queue);
    assert_int_equal(s.cfg.reass.max_bytes, ib_reass_defaults.max_bytes);
    assert_int_equal(s.cfg.tcp.rcvbuf, ib_tcp_defaults.rcvbuf);
    ib_stack_destroy(&s);
    ib_pkt_pool_free(env.pool);
    ib_evq_destroy(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_init_keeps_other_defaults),
        cmocka_unit_test(test_zero_parts_take_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
