/* Router forwarding (RFC 1812 §5.2, §5.3): longest-prefix route, TTL
 * decrement with the RFC 1624 incremental checksum, ICMP time exceeded,
 * network unreachable and fragmentation needed, fragmentation to a smaller
 * MTU, and what must not be forwarded. Frames enter through the fake
 * driver and Ethernet; the test reads what the router transmitted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ip_harness.h"

/* eth0 10.0.1.1/24 (host A .10), eth1 10.0.2.1/24 (host B .20, gateway
 * .254), eth2 192.168.0.1/30 (gateway .2). */
static const ib_ip4 host_a = IB_IP4(10, 0, 1, 10);
static const ib_ip4 host_b = IB_IP4(10, 0, 2, 20);
static const ib_ip4 gw1 = IB_IP4(10, 0, 2, 254);
static const ib_ip4 gw2 = IB_IP4(192, 168, 0, 2);

static struct ih *router(bool with_routes)
{
    struct ih *t = ih_router();
    ih_add_nif(t, IB_IP4(10, 0, 1, 1), 24);
    ih_add_nif(t, IB_IP4(10, 0, 2, 1), 24);
    ih_add_nif(t, IB_IP4(192, 168, 0, 1), 30);
    assert_int_equal(ib_arp_set(&t->nif[0], host_a, ih_peer_mac(0)), IB_OK);
    assert_int_equal(ib_arp_set(&t->nif[1], host_b, ih_peer_mac(1)), IB_OK);
    assert_int_equal(ib_arp_set(&t->nif[1], gw1, ih_peer_mac(2)), IB_OK);
    assert_int_equal(ib_arp_set(&t->nif[2], gw2, ih_peer_mac(3)), IB_OK);
    if (with_routes) {
        assert_int_equal(ib_stack_add_route(&t->s, IB_IP4(10, 0, 0, 0), 8, gw2, NULL), 0);
        assert_int_equal(ib_stack_add_route(&t->s, IB_IP4(10, 0, 3, 0), 24, gw1, NULL), 0);
        assert_int_equal(ib_stack_add_route(&t->s, IB_IP4(10, 0, 3, 128), 25, gw2, NULL), 0);
    }
    return t;
}

/* Sends IP datagram b from host A's MAC to eth0's MAC (or to dst_mac). */
static void inject(struct ih *t, const uint8_t *b, size_t len, const struct ib_mac *dst_mac)
{
    uint8_t f[2048];
    assert_true(len + IB_ETH_HLEN <= sizeof(f));
    struct ib_eth_hdr e = {.dst = dst_mac ? *dst_mac : t->nif[0].mac,
                           .src = *ih_peer_mac(0),
                           .type = IB_ETHERTYPE_IP4};
    ib_eth_emit(&e, f);
    memcpy(f + IB_ETH_HLEN, b, len);
    ib_netif_receive(&t->nif[0], ih_pkt(t, f, IB_ETH_HLEN + len));
}

/* The forwarded frame must be the original with TTL one less and the
 * checksum a full recomputation would give. */
static void assert_forwarded(const struct ib_pkt *f, const struct ib_mac *to,
                             const struct ib_netif *out, const uint8_t *orig, size_t len)
{
    assert_non_null(f);
    assert_memory_equal(f->data + 6, out->mac.b, 6);
    struct ib_ip4_hdr h;
    const uint8_t *ip = ih_frame_ip(f, to, &h);
    uint8_t want[1500];
    memcpy(want, orig, len);
    want[8]--;
    ib_put16(want + 10, 0);
    ib_put16(want + 10, ib_csum(want, (size_t)(want[0] & 0xf) * 4));
    assert_memory_equal(ip, want, len);
}

/* RFC 1812 §5.2.4.3: the longest matching prefix chooses the route; the
 * next hop is its gateway, or the destination on a connected network. */
static void test_longest_prefix(void **state)
{
    (void)state;
    static const struct {
        ib_ip4 dst;
        unsigned out, mac;
        ib_ip4 prefix;
        uint8_t plen;
        ib_ip4 gateway;
    } cases[] = {
        {IB_IP4(10, 0, 2, 20), 1, 1, IB_IP4(10, 0, 2, 0), 24, 0},
        {IB_IP4(10, 0, 3, 5), 1, 2, IB_IP4(10, 0, 3, 0), 24, IB_IP4(10, 0, 2, 254)},
        {IB_IP4(10, 0, 3, 200), 2, 3, IB_IP4(10, 0, 3, 128), 25, IB_IP4(192, 168, 0, 2)},
        {IB_IP4(10, 9, 9, 9), 2, 3, IB_IP4(10, 0, 0, 0), 8, IB_IP4(192, 168, 0, 2)},
    };
    struct ih *t = router(true);
    for (size_t i = 0; i < IB_ARRAY_LEN(cases); i++) {
        uint8_t b[100];
        size_t len = ih_dgram(b, host_a, cases[i].dst, IB_IPPROTO_UDP, (uint16_t)(i + 1), IB_IP4_DF,
                              64, 80, (uint8_t)i);
        unsigned o = cases[i].out;
        unsigned before = t->fr[o].n;
        inject(t, b, len, NULL);
        assert_int_equal(t->fr[o].n, before + 1);
        assert_forwarded(t->fr[o].f[before], ih_peer_mac(cases[i].mac), &t->nif[o], b, len);
        const struct ih_event *e = ih_nth(t, IB_EV_IP_FORWARD, (unsigned)i);
        assert_int_equal(e->dst, cases[i].dst);
        assert_int_equal(e->prefix, cases[i].prefix);
        assert_int_equal(e->plen, cases[i].plen);
        assert_int_equal(e->gateway, cases[i].gateway);
        assert_ptr_equal(e->out, &t->nif[o]);
    }
    assert_int_equal(t->fr[0].n, 0);
    assert_int_equal(t->s.ip_stats.forwarded, IB_ARRAY_LEN(cases));
    assert_int_equal(t->s.ip_stats.delivered, 0);
    assert_int_equal(ih_count(t, IB_EV_DROP), 0);
    ih_free(t);
}

static uint16_t sum_without(const uint8_t *b, size_t skip)
{
    uint32_t s = 0;
    for (size_t i = 0; i < 20; i += 2)
        if (i != 10 && i != skip) s += ib_get16(b + i);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

/* RFC 1624: the incremental update equals a full recomputation, including
 * where the new or the old checksum is 0x0000 (the eqn. 2 pitfall of
 * RFC 1624 §4). Tracing is off: the path without observers. */
static void test_incremental_checksum(void **state)
{
    (void)state;
    struct ih *t = router(true);
    t->h.env.trace = NULL;
    struct ib_rng rng;
    ib_rng_seed(&rng, 1624);
    for (unsigned i = 0; i < 3000; i++) {
        uint8_t b[28];
        ib_ip4 dst = IB_IP4(10, 9, 0, 0) | (ib_ip4)ib_rng_below(&rng, 65536);
        uint8_t ttl = (uint8_t)(2 + ib_rng_below(&rng, 254));
        ih_dgram(b, host_a, dst, (uint8_t)ib_rng_next(&rng), (uint16_t)ib_rng_next(&rng),
                 (uint16_t)(ib_rng_next(&rng) & IB_IP4_DF), ttl, 8, (uint8_t)i);
        b[1] = (uint8_t)ib_rng_next(&rng);
        if (i % 3 == 1) {
            /* choose the id so the checksum after the decrement is 0x0000 */
            b[8]--;
            ib_put16(b + 4, (uint16_t)~sum_without(b, 4));
            b[8]++;
        } else if (i % 3 == 2) {
            /* ... or before it */
            ib_put16(b + 4, (uint16_t)~sum_without(b, 4));
        }
        ib_put16(b + 10, 0);
        ib_put16(b + 10, ib_csum(b, 20));
        inject(t, b, sizeof(b), NULL);
        assert_int_equal(t->fr[2].n, 1);
        assert_forwarded(t->fr[2].f[0], ih_peer_mac(3), &t->nif[2], b, sizeof(b));
        lh_frames_clear(&t->fr[2]);
    }
    assert_int_equal(t->s.ip_stats.forwarded, 3000);
    ih_free(t);
}

/* Checks an ICMP error frame sent to host A quoting orig. */
static void assert_icmp_to_a(const struct ih *t, uint8_t type, uint8_t code, uint32_t rest,
                             const uint8_t *orig, size_t qlen)
{
    assert_int_equal(t->fr[0].n, 1);
    struct ib_ip4_hdr h;
    const uint8_t *ip = ih_frame_ip(t->fr[0].f[0], ih_peer_mac(0), &h);
    assert_int_equal(h.proto, IB_IPPROTO_ICMP);
    /* RFC 1812 §4.3.2.4: from the interface the error leaves by */
    assert_int_equal(h.src, IB_IP4(10, 0, 1, 1));
    assert_int_equal(h.dst, host_a);
    const uint8_t *icmp = ip + h.hlen;
    assert_int_equal(icmp[0], type);
    assert_int_equal(icmp[1], code);
    assert_int_equal(ib_get32(icmp + 4), rest);
    assert_int_equal(ib_csum(icmp, h.tot_len - h.hlen), 0);
    assert_memory_equal(icmp + 8, orig, qlen);
}

/* RFC 1812 §5.3.1: TTL 1 (or 0) cannot be forwarded: time exceeded, code
 * 0, from the router, quoting the datagram as received. */
static void test_ttl_expired(void **state)
{
    (void)state;
    for (uint8_t ttl = 0; ttl <= 1; ttl++) {
        struct ih *t = router(true);
        uint8_t b[60];
        size_t len = ih_dgram(b, host_a, host_b, IB_IPPROTO_UDP, 0x1234, 0, ttl, 16, 9);
        inject(t, b, len, NULL);
        assert_int_equal(ih_drops(t, IB_DROP_IP_TTL_EXPIRED), 1);
        assert_int_equal(t->fr[1].n, 0);
        assert_icmp_to_a(t, IB_ICMP_TIME_EXCEEDED, IB_ICMP_EXC_TTL, 0, b, 28);
        assert_int_equal(t->s.ip_stats.forwarded, 0);
        ih_free(t);
    }
}

/* RFC 1812 §4.3.3.1: no route at all gets network unreachable. */
static void test_no_route(void **state)
{
    (void)state;
    struct ih *t = router(false);
    uint8_t b[60];
    size_t len = ih_dgram(b, host_a, IB_IP4(172, 16, 0, 1), IB_IPPROTO_UDP, 7, 0, 64, 16, 1);
    inject(t, b, len, NULL);
    assert_int_equal(ih_drops(t, IB_DROP_IP_NO_ROUTE), 1);
    assert_icmp_to_a(t, IB_ICMP_DEST_UNREACH, IB_ICMP_UNREACH_NET, 0, b, 28);
    ih_free(t);
}

/* RFC 1191 §4: too big for the next hop with DF: "fragmentation needed"
 * with the next-hop MTU in the low 16 bits; without DF: fragments, each
 * with the decremented TTL (RFC 791 §3.2). */
static void test_df_and_fragmentation(void **state)
{
    (void)state;
    struct ih *t = router(true);
    t->nif[1].mtu = 1000;
    uint8_t b[1400];
    size_t len = ih_dgram(b, host_a, host_b, IB_IPPROTO_UDP, 0x55, IB_IP4_DF, 30, 1380, 4);
    inject(t, b, len, NULL);
    assert_int_equal(ih_drops(t, IB_DROP_IP_DF_TOO_BIG), 1);
    assert_int_equal(t->fr[1].n, 0);
    assert_icmp_to_a(t, IB_ICMP_DEST_UNREACH, IB_ICMP_UNREACH_NEEDFRAG, 1000, b, 28);
    lh_frames_clear(&t->fr[0]);

    len = ih_dgram(b, host_a, host_b, IB_IPPROTO_UDP, 0x56, 0, 30, 1380, 4);
    inject(t, b, len, NULL);
    assert_int_equal(t->fr[0].n, 0);
    assert_int_equal(t->fr[1].n, 2);
    static const uint16_t want_len[] = {996, 424};
    static const uint16_t want_frag[] = {IB_IP4_MF | 0, 122};
    for (unsigned i = 0; i < 2; i++) {
        struct ib_ip4_hdr h;
        const uint8_t *ip = ih_frame_ip(t->fr[1].f[i], ih_peer_mac(1), &h);
        assert_int_equal(h.ttl, 29);
        assert_int_equal(h.id, 0x56);
        assert_int_equal(h.tot_len, want_len[i]);
        assert_int_equal(h.frag, want_frag[i]);
        assert_memory_equal(ip + 20, b + 20 + i * 976, h.tot_len - 20u);
    }
    assert_int_equal(t->s.ip_stats.forwarded, 1);
    assert_int_equal(t->s.ip_stats.frags_out, 2);
    assert_int_equal(ih_count(t, IB_EV_IP_FRAGMENT), 2);
    ih_free(t);
}

/* RFC 1812 §5.3.4: nothing received as a link-layer broadcast is
 * forwarded; a limited broadcast is received, not forwarded (§5.3.5.1). */
static void test_link_broadcast(void **state)
{
    (void)state;
    struct ih *t = router(true);
    uint8_t b[60];
    size_t len = ih_dgram(b, host_a, host_b, IB_IPPROTO_UDP, 1, 0, 64, 16, 0);
    inject(t, b, len, &ib_mac_broadcast);
    assert_int_equal(ih_drops(t, IB_DROP_IP_NOT_FOR_US), 1);
    len = ih_dgram(b, host_a, IB_IP4_BROADCAST, 253, 2, 0, 64, 16, 0);
    inject(t, b, len, &ib_mac_broadcast);
    assert_int_equal(ih_drops(t, IB_DROP_IP_UNKNOWN_PROTO), 1);
    /* directed broadcast of eth1's network: ours, and not forwarded (RFC
     * 2644 turned directed broadcast forwarding off by default) */
    len = ih_dgram(b, host_a, IB_IP4(10, 0, 2, 255), 253, 3, 0, 64, 16, 0);
    inject(t, b, len, NULL);
    assert_int_equal(ih_drops(t, IB_DROP_IP_UNKNOWN_PROTO), 2);
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(t->fr[i].n, 0); /* and no ICMP about broadcasts */
    assert_int_equal(t->s.ip_stats.forwarded, 0);
    ih_free(t);
}

/* RFC 1812 §5.3.7: martian addresses are neither forwarded nor answered. */
static void test_martians(void **state)
{
    (void)state;
    static const struct {
        ib_ip4 src, dst;
        enum ib_drop why;
    } cases[] = {
        {IB_IP4(0, 0, 0, 5), IB_IP4(10, 0, 2, 20), IB_DROP_IP_BAD_SRC},
        {IB_IP4(240, 0, 0, 1), IB_IP4(10, 0, 2, 20), IB_DROP_IP_BAD_SRC},
        {IB_IP4(10, 0, 1, 10), IB_IP4(127, 0, 0, 1), IB_DROP_IP_NO_ROUTE},
        {IB_IP4(10, 0, 1, 10), IB_IP4(0, 1, 2, 3), IB_DROP_IP_NO_ROUTE},
        {IB_IP4(10, 0, 1, 10), IB_IP4(250, 1, 2, 3), IB_DROP_IP_NO_ROUTE},
        {IB_IP4(10, 0, 1, 10), IB_IP4(224, 0, 0, 5), IB_DROP_IP_NOT_FOR_US},
    };
    struct ih *t = router(true);
    assert_int_equal(ib_stack_add_route(&t->s, 0, 0, gw2, NULL), 0);
    for (size_t i = 0; i < IB_ARRAY_LEN(cases); i++) {
        uint8_t b[60];
        size_t len = ih_dgram(b, cases[i].src, cases[i].dst, IB_IPPROTO_UDP, 1, 0, 64, 16, 0);
        uint32_t before = ih_drops(t, cases[i].why);
        inject(t, b, len, NULL);
        assert_int_equal(ih_drops(t, cases[i].why), before + 1);
    }
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(t->fr[i].n, 0);
    ih_free(t);
}

/* A switch may flood one buffer to several ports: forwarding must write
 * to a private copy. */
static void test_shared_packet_unshared(void **state)
{
    (void)state;
    struct ih *t = router(true);
    uint8_t b[60];
    size_t len = ih_dgram(b, host_a, host_b, IB_IPPROTO_UDP, 1, 0, 64, 16, 0);
    struct ib_pkt *p = ih_pkt(t, b, len);
    ib_pkt_ref(p);
    ib_ip4_input(&t->nif[0], p);
    assert_int_equal(p->refs, 1);
    assert_memory_equal(p->data, b, len); /* untouched */
    assert_int_equal(t->fr[1].n, 1);
    assert_ptr_not_equal(t->fr[1].f[0], p);
    assert_forwarded(t->fr[1].f[0], ih_peer_mac(1), &t->nif[1], b, len);
    ib_pkt_free(p);
    ih_free(t);
}

/* RFC 1122 §3.3.4.2: a host with two interfaces does not forward. */
static void test_host_does_not_forward(void **state)
{
    (void)state;
    struct ih *t = ih_new(NULL);
    ih_add_nif(t, IB_IP4(10, 0, 1, 1), 24);
    ih_add_nif(t, IB_IP4(10, 0, 2, 1), 24);
    assert_int_equal(ib_arp_set(&t->nif[1], host_b, ih_peer_mac(1)), IB_OK);
    uint8_t b[60];
    size_t len = ih_dgram(b, host_a, host_b, IB_IPPROTO_UDP, 1, 0, 64, 16, 0);
    inject(t, b, len, NULL);
    assert_int_equal(ih_drops(t, IB_DROP_IP_NOT_FOR_US), 1);
    assert_int_equal(t->fr[0].n + t->fr[1].n, 0);
    ih_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_longest_prefix),
        cmocka_unit_test(test_incremental_checksum),
        cmocka_unit_test(test_ttl_expired),
        cmocka_unit_test(test_no_route),
        cmocka_unit_test(test_df_and_fragmentation),
        cmocka_unit_test(test_link_broadcast),
        cmocka_unit_test(test_martians),
        cmocka_unit_test(test_shared_packet_unshared),
        cmocka_unit_test(test_host_does_not_forward),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
