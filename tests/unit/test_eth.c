/* Ethernet II: header vectors, padding to the minimum frame (RFC 894),
 * receive filtering by destination and source MAC, dispatch by EtherType,
 * and interfaces that are down or have no driver. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "inetbox/eth.h"
#include "link_harness.h"

static const struct ib_mac MAC_US = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
static const struct ib_mac MAC_2 = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
#define IP_US IB_IP4(192, 168, 1, 1)
#define IP_2 IB_IP4(192, 168, 1, 2)

/* Destination, source, EtherType: 14 bytes, no preamble or FCS. */
static const uint8_t HDR[14] = {0x00, 0x1b, 0x21, 0x3c, 0x4d, 0x5e, 0x02, 0x00,
                                0x00, 0x00, 0x00, 0x01, 0x08, 0x00};

static int setup(void **state)
{
    *state = lh_host_new(&MAC_US, IP_US, 24, NULL);
    return 0;
}

static int teardown(void **state)
{
    lh_host_free(*state);
    return 0;
}

/* A frame dst <- src of the given type around payload. */
static struct ib_pkt *frame(struct lh_host *t, const struct ib_mac *dst, const struct ib_mac *src,
                            uint16_t type, const uint8_t *payload, size_t len)
{
    uint8_t b[128] = {0};
    assert_true(len <= sizeof(b) - 14);
    memcpy(b, dst->b, 6);
    memcpy(b + 6, src->b, 6);
    b[12] = (uint8_t)(type >> 8);
    b[13] = (uint8_t)type;
    memcpy(b + 14, payload, len);
    size_t n = 14 + len < 60 ? 60 : 14 + len;
    struct ib_pkt *p = ib_pkt_from(t->h.env.pool, b, n);
    assert_non_null(p);
    return p;
}

/* An RFC 826 request from MAC_2 / IP_2 for our address. */
static struct ib_pkt *arp_req(struct lh_host *t, const struct ib_mac *dst)
{
    uint8_t a[28] = {0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01};
    memcpy(a + 8, MAC_2.b, 6);
    ib_put32(a + 14, IP_2);
    ib_put32(a + 24, IP_US);
    return frame(t, dst, &MAC_2, IB_ETHERTYPE_ARP, a, sizeof(a));
}

static void test_parse_emit_vector(void **state)
{
    (void)state;
    struct ib_eth_hdr h;
    assert_int_equal(ib_eth_parse(HDR, sizeof(HDR), &h), 0);
    const uint8_t dst[6] = {0x00, 0x1b, 0x21, 0x3c, 0x4d, 0x5e};
    assert_memory_equal(h.dst.b, dst, 6);
    assert_memory_equal(h.src.b, MAC_US.b, 6);
    assert_int_equal(h.type, IB_ETHERTYPE_IP4);
    uint8_t b[14];
    ib_eth_emit(&h, b);
    assert_memory_equal(b, HDR, sizeof(HDR));
    assert_int_equal(ib_eth_parse(HDR, 13, &h), IB_DROP_ETH_TRUNCATED);
    assert_int_equal(ib_eth_parse(HDR, 0, &h), IB_DROP_ETH_TRUNCATED);
}

static void test_netif_defaults(void **state)
{
    (void)state;
    struct ib_netif nif;
    memset(&nif, 0xa5, sizeof(nif));
    ib_netif_init(&nif, NULL, "a-very-long-interface-name", &MAC_US);
    assert_string_equal(nif.name, "a-very-long-int"); /* cut to IB_IFNAME_MAX */
    assert_memory_equal(nif.mac.b, MAC_US.b, 6);
    assert_int_equal(nif.mtu, 1500); /* RFC 894 */
    assert_true(nif.up);
    assert_int_equal(nif.addr, 0);
    assert_null(nif.ops);
    assert_null(nif.arp.e); /* no cache memory until used */
    assert_false(ib_timer_armed(&nif.arp.timer));
}

/* RFC 894: a short frame is padded with zeros to 60 bytes (64 with FCS);
 * the padding must be written, not left over from an earlier packet. */
static void test_output_pads_short_frames(void **state)
{
    struct lh_host *t = *state;
    struct ib_pkt *dirty = ib_pkt_alloc(t->h.env.pool, 0, IB_PKT_BUF_SIZE);
    memset(dirty->data, 0xee, dirty->len);
    ib_pkt_free(dirty);

    uint8_t payload[20];
    for (unsigned i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(0x10 + i);
    struct ib_pkt *p = ib_pkt_from(t->h.env.pool, payload, sizeof(payload));
    ib_eth_output(&t->nif, p, &MAC_2, IB_ETHERTYPE_IP4);
    assert_int_equal(t->tx.n, 1);
    uint8_t want[60] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00,
                        0x00, 0x00, 0x00, 0x01, 0x08, 0x00};
    memcpy(want + 14, payload, sizeof(payload));
    lh_assert_frame(t->tx.f[0], want, sizeof(want));
    assert_int_equal(t->nif.stats.tx_frames, 1);
    assert_int_equal(t->nif.stats.tx_bytes, 60);
    const struct lh_event *ev = lh_last(&t->h, IB_EV_ETH_TX);
    assert_int_equal(ev->len, 60);
    assert_int_equal(ev->first, 0x02);
    assert_ptr_equal(ev->nif, &t->nif);
}

static void test_output_no_padding_when_long_enough(void **state)
{
    struct lh_host *t = *state;
    uint8_t payload[100];
    memset(payload, 0x5a, sizeof(payload));
    ib_eth_output(&t->nif, ib_pkt_from(t->h.env.pool, payload, 46), &ib_mac_broadcast, 0x0806);
    ib_eth_output(&t->nif, ib_pkt_from(t->h.env.pool, payload, 100), &MAC_2, 0x0800);
    assert_int_equal(t->tx.n, 2);
    assert_int_equal(t->tx.f[0]->len, 60);
    assert_int_equal(t->tx.f[1]->len, 114);
    assert_memory_equal(t->tx.f[0]->data, ib_mac_broadcast.b, 6);
    assert_int_equal(ib_get16(t->tx.f[0]->data + 12), 0x0806);
    assert_memory_equal(t->tx.f[1]->data + 14, payload, 100);
}

/* A packet built without headroom still leaves correctly framed. */
static void test_output_without_headroom(void **state)
{
    struct lh_host *t = *state;
    struct ib_pkt *p = ib_pkt_alloc(t->h.env.pool, 0, 8);
    memcpy(p->data, "inetbox!", 8);
    p->journey = 77;
    ib_eth_output(&t->nif, p, &MAC_2, IB_ETHERTYPE_IP4);
    assert_int_equal(t->tx.n, 1);
    const struct ib_pkt *f = t->tx.f[0];
    assert_int_equal(f->len, 60);
    assert_memory_equal(f->data + 14, "inetbox!", 8);
    assert_int_equal(f->data[14 + 8], 0);
    assert_int_equal(f->journey, 77);
    assert_int_equal(lh_pool(&t->h).in_use, 1);
}

static void test_xmit_down_or_driverless(void **state)
{
    struct lh_host *t = *state;
    t->nif.up = false;
    ib_eth_output(&t->nif, ib_pkt_from(t->h.env.pool, HDR, 14), &MAC_2, IB_ETHERTYPE_IP4);
    t->nif.up = true;
    t->nif.ops = NULL;
    ib_eth_output(&t->nif, ib_pkt_from(t->h.env.pool, HDR, 14), &MAC_2, IB_ETHERTYPE_IP4);
    assert_int_equal(t->s.node.drops[IB_DROP_LINK_DOWN], 2);
    assert_int_equal(t->nif.stats.tx_frames, 0);
    assert_int_equal(t->tx.n, 0);
    assert_int_equal(lh_last(&t->h, IB_EV_DROP)->reason, IB_DROP_LINK_DOWN);
}

/* Frames for our MAC and broadcasts are accepted and reach ARP. */
static void test_input_accepts_own_and_broadcast(void **state)
{
    struct lh_host *t = *state;
    ib_netif_receive(&t->nif, arp_req(t, &MAC_US));
    ib_netif_receive(&t->nif, arp_req(t, &ib_mac_broadcast));
    assert_int_equal(t->tx.n, 2); /* two ARP replies */
    assert_int_equal(ib_get16(t->tx.f[0]->data + 12), IB_ETHERTYPE_ARP);
    assert_int_equal(ib_get16(t->tx.f[1]->data + 12), IB_ETHERTYPE_ARP);
    assert_int_equal(lh_count(&t->h, IB_EV_ETH_RX), 2);
    const struct lh_event *ev = lh_last(&t->h, IB_EV_ETH_RX);
    assert_int_equal(ev->len, 60);    /* at the Ethernet header */
    assert_int_equal(ev->first, 0xff); /* broadcast destination */
    assert_int_equal(t->nif.stats.rx_frames, 2);
    assert_int_equal(t->nif.stats.rx_bytes, 120);
    assert_int_equal(lh_count(&t->h, IB_EV_DROP), 0);
}

static void test_input_drops(void **state)
{
    struct lh_host *t = *state;
    struct drop_case {
        struct ib_pkt *p;
        enum ib_drop why;
    } cases[] = {
        {ib_pkt_from(t->h.env.pool, HDR, 13), IB_DROP_ETH_TRUNCATED},
        {arp_req(t, &MAC_2), IB_DROP_ETH_NOT_FOR_US},
        {frame(t, &MAC_US, &ib_mac_broadcast, IB_ETHERTYPE_ARP, HDR, 0), IB_DROP_ETH_BAD_SRC},
        {frame(t, &MAC_US, &(struct ib_mac){{0x01, 0, 0x5e, 0, 0, 1}}, IB_ETHERTYPE_IP4, HDR, 0),
         IB_DROP_ETH_BAD_SRC},
        {frame(t, &MAC_US, &MAC_2, 0x86dd, HDR, 14), IB_DROP_ETH_UNKNOWN_TYPE},
        /* An 802.3 length field is not an EtherType we speak. */
        {frame(t, &MAC_US, &MAC_2, 46, HDR, 14), IB_DROP_ETH_UNKNOWN_TYPE},
    };
    for (size_t i = 0; i < IB_ARRAY_LEN(cases); i++) {
        ib_netif_receive(&t->nif, cases[i].p);
        assert_int_equal(lh_last(&t->h, IB_EV_DROP)->reason, cases[i].why);
    }
    assert_int_equal(t->s.node.drops[IB_DROP_ETH_TRUNCATED], 1);
    assert_int_equal(t->s.node.drops[IB_DROP_ETH_NOT_FOR_US], 1);
    assert_int_equal(t->s.node.drops[IB_DROP_ETH_BAD_SRC], 2);
    assert_int_equal(t->s.node.drops[IB_DROP_ETH_UNKNOWN_TYPE], 2);
    assert_int_equal(lh_count(&t->h, IB_EV_ETH_RX), 0);
    assert_int_equal(t->tx.n, 0);
}

/* A frame a switch flooded by reference is not changed under the other
 * holders: input works on its own copy. */
static void test_input_shared_frame_untouched(void **state)
{
    struct lh_host *t = *state;
    struct ib_pkt *p = arp_req(t, &ib_mac_broadcast);
    ib_pkt_ref(p);
    ib_netif_receive(&t->nif, p);
    assert_int_equal(t->tx.n, 1);
    assert_int_equal(p->refs, 1);
    assert_int_equal(p->len, 60);
    assert_memory_equal(p->data, ib_mac_broadcast.b, 6);
    assert_int_equal(p->flags, 0);
    ib_pkt_free(p);
}

/* Dispatch to IPv4, and the link-broadcast flag it carries: a datagram
 * to a closed UDP port draws ICMP port unreachable when it came unicast,
 * but never when it came as a link broadcast or multicast (RFC 1122
 * §3.2.2). */
static void test_ip_dispatch_and_link_flags(void **state)
{
    struct lh_host *t = *state;
    assert_int_equal(ib_arp_set(&t->nif, IP_2, &MAC_2), IB_OK);
    const struct ib_mac group = {{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}};
    const struct ib_mac *dsts[] = {&ib_mac_broadcast, &group, &MAC_US};
    for (size_t i = 0; i < IB_ARRAY_LEN(dsts); i++) {
        struct ib_pkt *d = lh_udp(&t->h, IP_2, IP_US, 9, 0);
        ib_netif_receive(&t->nif, frame(t, dsts[i], &MAC_2, IB_ETHERTYPE_IP4, d->data, d->len));
        ib_pkt_free(d);
    }
    assert_int_equal(lh_count(&t->h, IB_EV_ETH_RX), 3);
    assert_int_equal(t->tx.n, 1);
    const uint8_t *f = t->tx.f[0]->data;
    assert_memory_equal(f, MAC_2.b, 6);
    assert_int_equal(f[14 + 9], 1);                           /* ICMP */
    assert_int_equal(f[34], 3);                               /* destination unreachable */
    assert_int_equal(f[35], 3);                               /* port */
    assert_int_equal(ib_get16(f + 42 + 20 + 2), 9);           /* quoted UDP dport */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_emit_vector),
        cmocka_unit_test(test_netif_defaults),
        cmocka_unit_test_setup_teardown(test_output_pads_short_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(test_output_no_padding_when_long_enough, setup, teardown),
        cmocka_unit_test_setup_teardown(test_output_without_headroom, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xmit_down_or_driverless, setup, teardown),
        cmocka_unit_test_setup_teardown(test_input_accepts_own_and_broadcast, setup, teardown),
        cmocka_unit_test_setup_teardown(test_input_drops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_input_shared_frame_untouched, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ip_dispatch_and_link_flags, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
