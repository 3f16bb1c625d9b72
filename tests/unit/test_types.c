/* Text forms of addresses and errors, the big-endian accessors, and the
 * names of drop reasons and event kinds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "inetbox/trace.h"

static void test_ip4_str(void **state)
{
    (void)state;
    char buf[IB_IP4_STRLEN];
    assert_string_equal(ib_ip4_str(IB_IP4(192, 168, 0, 1), buf), "192.168.0.1");
    assert_string_equal(ib_ip4_str(IB_IP4_ANY, buf), "0.0.0.0");
    /* The longest form fits the buffer exactly. */
    assert_string_equal(ib_ip4_str(IB_IP4_BROADCAST, buf), "255.255.255.255");
}

static void test_ip4_from_str(void **state)
{
    (void)state;
    ib_ip4 a;
    unsigned plen = 99;
    assert_int_equal(ib_ip4_from_str("10.1.2.3", &a, NULL), IB_OK);
    assert_int_equal(a, IB_IP4(10, 1, 2, 3));
    assert_int_equal(ib_ip4_from_str("255.255.255.255", &a, &plen), IB_OK);
    assert_int_equal(a, IB_IP4_BROADCAST);
    assert_int_equal(plen, 32); /* no prefix: a host address */
    assert_int_equal(ib_ip4_from_str("192.168.10.0/24", &a, &plen), IB_OK);
    assert_int_equal(a, IB_IP4(192, 168, 10, 0));
    assert_int_equal(plen, 24);
    assert_int_equal(ib_ip4_from_str("0.0.0.0/0", &a, &plen), IB_OK);
    assert_int_equal(plen, 0);

    static const char *const bad[] = {
        "",        "1.2.3",    "1.2.3.4.5",  "256.1.1.1",   "1.2.3.4 ", " 1.2.3.4",
        "1..2.3",  "1.2.3.",   "01.2.3.4",   "1.2.3.4/33",  "1.2.3.4/", "1.2.3.4/08",
        "a.b.c.d", "1.2.3.-4", "1234.1.1.1", "1.2.3.4/24x",
    };
    for (size_t i = 0; i < IB_ARRAY_LEN(bad); i++) {
        a = 0x12345678;
        assert_int_equal(ib_ip4_from_str(bad[i], &a, &plen), IB_ERR_INVAL);
        assert_int_equal(a, 0x12345678); /* untouched on error */
    }
    /* A prefix is refused where none is expected. */
    assert_int_equal(ib_ip4_from_str("10.0.0.0/8", &a, NULL), IB_ERR_INVAL);
}

static void test_ip4_mask(void **state)
{
    (void)state;
    assert_int_equal(ib_ip4_mask(0), 0);
    assert_int_equal(ib_ip4_mask(8), IB_IP4(255, 0, 0, 0));
    assert_int_equal(ib_ip4_mask(24), IB_IP4(255, 255, 255, 0));
    assert_int_equal(ib_ip4_mask(31), IB_IP4(255, 255, 255, 254));
    assert_int_equal(ib_ip4_mask(32), IB_IP4_BROADCAST);
}

static void test_mac(void **state)
{
    (void)state;
    char buf[IB_MAC_STRLEN];
    struct ib_mac m;
    assert_int_equal(ib_mac_parse("02:00:5E:10:aB:ff", &m), IB_OK);
    static const uint8_t want[6] = {0x02, 0x00, 0x5e, 0x10, 0xab, 0xff};
    assert_memory_equal(m.b, want, 6);
    assert_string_equal(ib_mac_str(&m, buf), "02:00:5e:10:ab:ff");
    assert_false(ib_mac_is_multicast(&m));
    assert_false(ib_mac_is_broadcast(&m));

    assert_string_equal(ib_mac_str(&ib_mac_broadcast, buf), "ff:ff:ff:ff:ff:ff");
    assert_true(ib_mac_is_broadcast(&ib_mac_broadcast));
    assert_true(ib_mac_is_multicast(&ib_mac_broadcast));
    assert_string_equal(ib_mac_str(&ib_mac_zero, buf), "00:00:00:00:00:00");
    assert_int_equal(ib_mac_parse("01:00:5e:00:00:fb", &m), IB_OK);
    assert_true(ib_mac_is_multicast(&m));
    assert_false(ib_mac_eq(&m, &ib_mac_broadcast));

    static const char *const bad[] = {
        "",
        "02:00:5e:10:ab",
        "02:00:5e:10:ab:ff:00",
        "2:00:5e:10:ab:ff",
        "02-00-5e-10-ab-ff",
        "02:00:5e:10:ab:fg",
        "02:00:5e:10:ab:ff ",
        "0200.5e10.abff",
    };
    for (size_t i = 0; i < IB_ARRAY_LEN(bad); i++) {
        m = ib_mac_zero;
        assert_int_equal(ib_mac_parse(bad[i], &m), IB_ERR_INVAL);
        assert_true(ib_mac_eq(&m, &ib_mac_zero));
    }
}

static void test_get_put(void **state)
{
    (void)state;
    uint8_t b[6] = {0};
    ib_put16(b, 0x0800);
    assert_int_equal(b[0], 0x08);
    assert_int_equal(b[1], 0x00);
    ib_put32(b + 2, 0xc0a80001u);
    static const uint8_t want[6] = {0x08, 0x00, 0xc0, 0xa8, 0x00, 0x01};
    assert_memory_equal(b, want, 6);
    assert_int_equal(ib_get16(b), 0x0800);
    assert_int_equal(ib_get32(b + 2), IB_IP4(192, 168, 0, 1));
}

static void test_err_str(void **state)
{
    (void)state;
    assert_string_equal(ib_err_str(IB_OK), "success");
    assert_string_equal(ib_err_str(IB_ERR_NOMEM), "out of memory");
    assert_string_equal(ib_err_str(IB_ERR_DROPPED), "dropped");
    assert_string_equal(ib_err_str(-1000), "unknown error");
    for (int e = IB_ERR_IO; e <= IB_OK; e++)
        assert_string_not_equal(ib_err_str(e), "unknown error");
}

static void test_drop_names(void **state)
{
    (void)state;
    assert_string_equal(ib_drop_name(IB_DROP_IP_BAD_CHECKSUM), "IP_BAD_CHECKSUM");
    assert_string_equal(ib_drop_str(IB_DROP_IP_BAD_CHECKSUM), "bad IPv4 header checksum");
    assert_int_equal(ib_drop_layer(IB_DROP_IP_BAD_CHECKSUM), 3);
    assert_int_equal(ib_drop_layer(IB_DROP_LINK_LOSS), 1);
    assert_int_equal(ib_drop_layer(IB_DROP_UDP_NO_LISTENER), 4);
    assert_string_equal(ib_drop_name(IB_DROP__COUNT), "UNKNOWN");
    /* Every reason has a name, a text and a layer. */
    for (int r = 0; r < IB_DROP__COUNT; r++) {
        assert_non_null(ib_drop_name((enum ib_drop)r));
        assert_true(strlen(ib_drop_str((enum ib_drop)r)) > 0);
        int l = ib_drop_layer((enum ib_drop)r);
        assert_true(l == 0 || l == 1 || l == 2 || l == 3 || l == 4 || l == 7);
    }
    assert_string_equal(ib_ev_kind_name(IB_EV_DROP), "drop");
    assert_string_equal(ib_ev_kind_name(IB_EV_IP_FORWARD), "ip_forward");
    assert_string_equal(ib_ev_kind_name(IB_EV__COUNT), "unknown");
    for (int k = 0; k < IB_EV__COUNT; k++)
        assert_string_not_equal(ib_ev_kind_name((enum ib_ev_kind)k), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ip4_str),    cmocka_unit_test(test_ip4_from_str),
        cmocka_unit_test(test_ip4_mask),   cmocka_unit_test(test_mac),
        cmocka_unit_test(test_get_put),    cmocka_unit_test(test_err_str),
        cmocka_unit_test(test_drop_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
