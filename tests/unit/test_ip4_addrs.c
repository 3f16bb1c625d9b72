/* The address table of a stack with many interfaces (ib_ip4_addrs_update,
 * used by IPv4 input to classify a datagram in O(1)): ib_ip4_is_local must
 * answer exactly as a scan of the interfaces does (RFC 1122 §3.3.6 and
 * §3.3.4.2; no directed broadcast on a /31 or /32, RFC 3021 §2.2), across
 * address changes, duplicate addresses and the switch from scanning to
 * the table as interfaces are added. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>

#include "link_harness.h"

#include "inetbox/stack.h"

#define AT_NIFS 40u

struct at {
    struct lh_env h;
    struct ib_stack s;
    struct ib_netif nif[AT_NIFS];
    unsigned n;
};

static struct at *at_new(void)
{
    struct at *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    lh_env_init(&t->h);
    struct ib_stack_config cfg = ib_stack_defaults;
    cfg.forwarding = true;
    ib_stack_init(&t->s, &t->h.env, "r", 1, 7, &cfg);
    return t;
}

static void at_free(struct at *t)
{
    ib_stack_destroy(&t->s);
    lh_env_destroy(&t->h);
    free(t);
}

/* A down interface: setting its address sends no gratuitous ARP. */
static struct ib_netif *at_add(struct at *t, ib_ip4 addr, uint8_t plen)
{
    unsigned i = t->n++;
    assert_true(i < AT_NIFS);
    char name[IB_IFNAME_MAX];
    snprintf(name, sizeof(name), "e%u", i);
    struct ib_mac mac = {{0x02, 0, 0, 0, 1, (uint8_t)i}};
    struct ib_netif *n = &t->nif[i];
    ib_netif_init(n, &t->s.node, name, &mac);
    n->up = false;
    assert_int_equal(ib_stack_add_netif(&t->s, n), IB_OK);
    assert_int_equal(ib_stack_set_addr(&t->s, n, addr, plen), IB_OK);
    return n;
}

/* The rule, written as the scan it replaces. */
static bool ref_local(const struct at *t, ib_ip4 a)
{
    if (a == IB_IP4_BROADCAST) return true;
    for (unsigned i = 0; i < t->n; i++) {
        const struct ib_netif *n = &t->nif[i];
        if (!n->addr) continue;
        if (a == n->addr) return true;
        if (n->plen < 31 && a == (n->addr | ~ib_ip4_mask(n->plen))) return true;
    }
    return false;
}

/* Every address around every interface's, old ones included. */
static void check_all(const struct at *t, const ib_ip4 *extra, unsigned n_extra)
{
    unsigned local = 0;
    for (unsigned i = 0; i < t->n; i++) {
        const struct ib_netif *n = &t->nif[i];
        ib_ip4 net = n->addr & ib_ip4_mask(n->plen), bc = n->addr | ~ib_ip4_mask(n->plen);
        const ib_ip4 probes[] = {n->addr, n->addr + 1, n->addr - 1, net, bc, bc + 1, bc - 1};
        for (unsigned k = 0; k < IB_ARRAY_LEN(probes); k++) {
            bool want = ref_local(t, probes[k]);
            assert_int_equal(ib_ip4_is_local(&t->s, probes[k]), want);
            local += want;
        }
    }
    for (unsigned k = 0; k < n_extra; k++)
        assert_int_equal(ib_ip4_is_local(&t->s, extra[k]), ref_local(t, extra[k]));
    assert_false(ib_ip4_is_local(&t->s, 0));
    assert_true(ib_ip4_is_local(&t->s, IB_IP4_BROADCAST));
    if (t->n) assert_true(local > 0);
}

static uint8_t plen_of(unsigned i)
{
    static const uint8_t plens[] = {24, 30, 31, 32, 16, 29};
    return plens[i % IB_ARRAY_LEN(plens)];
}

/* From one interface to many: the table takes over from the scan (the
 * white-box check says when) and answers the same. */
static void test_growing_router(void **state)
{
    (void)state;
    struct at *t = at_new();
    for (unsigned i = 0; i < AT_NIFS; i++) {
        at_add(t, IB_IP4(10, (uint8_t)i, 7, 9), plen_of(i));
        assert_int_equal(t->s.addrs != NULL, t->s.n_nifs >= 8);
        check_all(t, NULL, 0);
    }
    at_free(t);
}

/* Addresses move, go away and come back; the old ones stop being ours. */
static void test_address_changes(void **state)
{
    (void)state;
    struct at *t = at_new();
    for (unsigned i = 0; i < 20; i++)
        at_add(t, IB_IP4(172, 16, (uint8_t)i, 1), 24);
    const ib_ip4 old[] = {IB_IP4(172, 16, 3, 1), IB_IP4(172, 16, 3, 255), IB_IP4(172, 16, 5, 1),
                          IB_IP4(172, 16, 5, 255)};
    assert_true(ib_ip4_is_local(&t->s, old[0]));
    assert_true(ib_ip4_is_local(&t->s, old[1]));
    assert_int_equal(ib_stack_set_addr(&t->s, &t->nif[3], IB_IP4(192, 168, 9, 5), 30), IB_OK);
    assert_int_equal(ib_stack_set_addr(&t->s, &t->nif[5], 0, 0), IB_OK);
    assert_false(ib_ip4_is_local(&t->s, old[0]));
    assert_false(ib_ip4_is_local(&t->s, old[1]));
    assert_false(ib_ip4_is_local(&t->s, old[2]));
    assert_true(ib_ip4_is_local(&t->s, IB_IP4(192, 168, 9, 7)));
    check_all(t, old, IB_ARRAY_LEN(old));
    assert_int_equal(ib_stack_set_addr(&t->s, &t->nif[5], old[2], 24), IB_OK);
    assert_true(ib_ip4_is_local(&t->s, old[3]));
    check_all(t, old, IB_ARRAY_LEN(old));
    at_free(t);
}

/* One interface's address is another's network broadcast, and two
 * interfaces share an address: removing one leaves the other's. */
static void test_shared_entries(void **state)
{
    (void)state;
    struct at *t = at_new();
    for (unsigned i = 0; i < 10; i++)
        at_add(t, IB_IP4(10, 200, (uint8_t)i, 1), 24);
    struct ib_netif *a = at_add(t, IB_IP4(10, 200, 3, 255), 32);
    struct ib_netif *b = at_add(t, IB_IP4(10, 99, 0, 1), 24);
    struct ib_netif *c = at_add(t, IB_IP4(10, 99, 0, 1), 24);
    check_all(t, NULL, 0);
    assert_int_equal(ib_stack_set_addr(&t->s, a, 0, 0), IB_OK);
    assert_true(ib_ip4_is_local(&t->s, IB_IP4(10, 200, 3, 255))); /* still a broadcast */
    assert_int_equal(ib_stack_set_addr(&t->s, b, 0, 0), IB_OK);
    assert_true(ib_ip4_is_local(&t->s, IB_IP4(10, 99, 0, 1)));
    assert_true(ib_ip4_is_local(&t->s, IB_IP4(10, 99, 0, 255)));
    assert_int_equal(ib_stack_set_addr(&t->s, c, 0, 0), IB_OK);
    assert_false(ib_ip4_is_local(&t->s, IB_IP4(10, 99, 0, 1)));
    assert_false(ib_ip4_is_local(&t->s, IB_IP4(10, 99, 0, 255)));
    check_all(t, NULL, 0);
    at_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_growing_router),
        cmocka_unit_test(test_address_changes),
        cmocka_unit_test(test_shared_entries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
