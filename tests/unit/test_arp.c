/* ARP (RFC 826, RFC 1122 §2.3.2, RFC 5227): the wire format against
 * hand-built byte vectors, and the cache driven through a stack whose
 * interface has a fake driver that keeps every frame sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "inetbox/arp.h"
#include "inetbox/eth.h"
#include "inetbox/stack.h"
#include "link_harness.h"

static const struct ib_mac MAC_US = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
static const struct ib_mac MAC_2 = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
static const struct ib_mac MAC_2B = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x2b}};
static const struct ib_mac MAC_3 = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x03}};
static const struct ib_mac MAC_99 = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x99}};
#define IP_US IB_IP4(10, 0, 0, 1)
#define IP_2 IB_IP4(10, 0, 0, 2)
#define IP_3 IB_IP4(10, 0, 0, 3)
#define IP_99 IB_IP4(10, 0, 0, 99)

/* RFC 826 "Packet format" for Ethernet/IPv4, written out byte by byte: a
 * request from 02:00:00:00:00:02 (10.0.0.2) asking for 10.0.0.1. */
static const uint8_t REQ_FOR_US[60] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* Ethernet destination: broadcast */
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, /* Ethernet source */
    0x08, 0x06,                         /* EtherType ARP */
    0x00, 0x01,                         /* ar$hrd: Ethernet */
    0x08, 0x00,                         /* ar$pro: IPv4 */
    0x06,                               /* ar$hln */
    0x04,                               /* ar$pln */
    0x00, 0x01,                         /* ar$op: REQUEST */
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, /* ar$sha */
    0x0a, 0x00, 0x00, 0x02,             /* ar$spa 10.0.0.2 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* ar$tha: unknown */
    0x0a, 0x00, 0x00, 0x01,             /* ar$tpa 10.0.0.1 */
    /* 18 bytes of padding to the 60-byte minimum */
};

/* Our answer: op REPLY, sender = us, target = the requester, sent to it. */
static const uint8_t REPLY_FROM_US[60] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02,
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x01,
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x02,
};

/* Our request for 10.0.0.2, broadcast, target hardware address zero. */
static const uint8_t REQ_FROM_US[60] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x02,
};

/* RFC 5227 §3 announcement of 10.0.0.1: a request with spa = tpa. */
static const uint8_t ANNOUNCE_FROM_US[60] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x01,
};

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

static void run_until(struct lh_host *t, ib_time when) { ib_evq_run_until(t->h.q, when); }

/* An ARP frame as a peer would send it. A group sha is not also put in
 * the Ethernet source, where Ethernet input would reject it before ARP
 * sees it. */
static struct ib_pkt *arp_frame(struct lh_host *t, const struct ib_mac *dst, uint16_t op,
                                const struct ib_mac *sha, ib_ip4 spa, const struct ib_mac *tha,
                                ib_ip4 tpa)
{
    uint8_t b[60] = {0};
    memcpy(b, dst->b, 6);
    memcpy(b + 6, ib_mac_is_multicast(sha) ? MAC_3.b : sha->b, 6);
    b[12] = 0x08, b[13] = 0x06;
    b[14] = 0x00, b[15] = 0x01, b[16] = 0x08, b[17] = 0x00, b[18] = 6, b[19] = 4;
    b[20] = (uint8_t)(op >> 8), b[21] = (uint8_t)op;
    memcpy(b + 22, sha->b, 6);
    ib_put32(b + 28, spa);
    memcpy(b + 32, tha->b, 6);
    ib_put32(b + 38, tpa);
    struct ib_pkt *p = ib_pkt_from(t->h.env.pool, b, sizeof(b));
    assert_non_null(p);
    return p;
}

static void rx(struct lh_host *t, struct ib_pkt *p) { ib_netif_receive(&t->nif, p); }

static struct ib_pkt *ip_pkt(struct lh_host *t, ib_ip4 src, ib_ip4 dst, uint8_t tag)
{
    return lh_udp(&t->h, src, dst, 9, tag);
}

static void assert_mac(const struct ib_mac *got, const struct ib_mac *want)
{
    assert_memory_equal(got->b, want->b, 6);
}

static void test_parse_vector(void **state)
{
    (void)state;
    struct ib_arp_msg m;
    assert_int_equal(ib_arp_parse(REQ_FOR_US + 14, 46, &m), 0);
    assert_int_equal(m.op, IB_ARP_OP_REQUEST);
    assert_mac(&m.sha, &MAC_2);
    assert_int_equal(m.spa, IP_2);
    assert_mac(&m.tha, &ib_mac_zero);
    assert_int_equal(m.tpa, IP_US);
}

static void test_parse_rejects(void **state)
{
    (void)state;
    struct ib_arp_msg m;
    uint8_t b[28];
    memcpy(b, REQ_FOR_US + 14, 28);
    assert_int_equal(ib_arp_parse(b, 27, &m), IB_DROP_ARP_MALFORMED);
    assert_int_equal(ib_arp_parse(b, 28, &m), 0);
    /* RFC 826: only the Ethernet hardware type and IPv4 with their lengths. */
    const size_t at[] = {1, 2, 4, 5};
    const uint8_t bad[] = {6, 0x86, 8, 16};
    for (size_t i = 0; i < IB_ARRAY_LEN(at); i++) {
        uint8_t c[28];
        memcpy(c, b, 28);
        c[at[i]] = bad[i];
        assert_int_equal(ib_arp_parse(c, 28, &m), IB_DROP_ARP_MALFORMED);
    }
}

static void test_emit_vector(void **state)
{
    (void)state;
    struct ib_arp_msg m = {.op = IB_ARP_OP_REPLY, .sha = MAC_US, .spa = IP_US, .tha = MAC_2,
                           .tpa = IP_2};
    uint8_t b[28];
    ib_arp_emit(&m, b);
    assert_memory_equal(b, REPLY_FROM_US + 14, 28);
}

/* RFC 826: a request for our address is answered to the requester, who is
 * added to the cache because we are the target. */
static void test_reply_to_request(void **state)
{
    struct lh_host *t = *state;
    rx(t, ib_pkt_from(t->h.env.pool, REQ_FOR_US, sizeof(REQ_FOR_US)));
    assert_int_equal(t->tx.n, 1);
    lh_assert_frame(t->tx.f[0], REPLY_FROM_US, sizeof(REPLY_FROM_US));
    const struct ib_arp_entry *e = ib_arp_lookup(&t->nif, IP_2);
    assert_non_null(e);
    assert_mac(&e->mac, &MAC_2);
    const struct lh_event *ev = lh_last(&t->h, IB_EV_ARP_REPLY);
    assert_int_equal(ev->ip, IP_US);
    assert_mac(&ev->mac, &MAC_US);
    ev = lh_last(&t->h, IB_EV_ARP_LEARN);
    assert_int_equal(ev->ip, IP_2);
    assert_mac(&ev->mac, &MAC_2);
    assert_int_equal(lh_count(&t->h, IB_EV_DROP), 0);
}

/* RFC 826: a request for someone else gets no answer and, without an
 * existing entry for its sender, teaches us nothing. */
static void test_no_reply_for_others(void **state)
{
    struct lh_host *t = *state;
    rx(t, arp_frame(t, &ib_mac_broadcast, IB_ARP_OP_REQUEST, &MAC_2, IP_2, &ib_mac_zero, IP_3));
    assert_int_equal(t->tx.n, 0);
    assert_null(ib_arp_lookup(&t->nif, IP_2));
    assert_int_equal(t->s.node.drops[IB_DROP_ARP_NOT_FOR_US], 1);
    assert_int_equal(lh_last(&t->h, IB_EV_DROP)->reason, IB_DROP_ARP_NOT_FOR_US);
    /* Nothing cached: the cache storage is still unallocated. */
    assert_null(t->nif.arp.e);
}

/* RFC 826 merge: an entry we already hold is updated from any ARP packet,
 * even one not addressed to us; a reply for us adds its sender. */
static void test_merge_rule(void **state)
{
    struct lh_host *t = *state;
    assert_int_equal(ib_arp_set(&t->nif, IP_2, &MAC_2), IB_OK);
    rx(t, arp_frame(t, &ib_mac_broadcast, IB_ARP_OP_REQUEST, &MAC_2B, IP_2, &ib_mac_zero, IP_3));
    assert_int_equal(t->tx.n, 0);
    assert_mac(&ib_arp_lookup(&t->nif, IP_2)->mac, &MAC_2B);
    assert_int_equal(t->s.node.drops[IB_DROP_ARP_NOT_FOR_US], 0);

    rx(t, arp_frame(t, &MAC_US, IB_ARP_OP_REPLY, &MAC_3, IP_3, &MAC_US, IP_US));
    assert_int_equal(t->tx.n, 0); /* a reply is never answered */
    assert_mac(&ib_arp_lookup(&t->nif, IP_3)->mac, &MAC_3);
    assert_int_equal(lh_count(&t->h, IB_EV_DROP), 0);
}

/* RFC 5227 §3 / RFC 826: a gratuitous ARP updates the entry of a host we
 * know, and adds nothing for a host we do not. */
static void test_gratuitous_updates(void **state)
{
    struct lh_host *t = *state;
    assert_int_equal(ib_arp_set(&t->nif, IP_2, &MAC_2), IB_OK);
    run_until(t, IB_SEC(50));
    rx(t, arp_frame(t, &ib_mac_broadcast, IB_ARP_OP_REQUEST, &MAC_2B, IP_2, &ib_mac_zero, IP_2));
    const struct ib_arp_entry *e = ib_arp_lookup(&t->nif, IP_2);
    assert_mac(&e->mac, &MAC_2B);
    /* The entry was refreshed: it now lives until 50 s + 60 s. */
    assert_int_equal(e->expires, IB_SEC(110));
    rx(t, arp_frame(t, &ib_mac_broadcast, IB_ARP_OP_REPLY, &MAC_3, IP_3, &ib_mac_broadcast, IP_3));
    assert_null(ib_arp_lookup(&t->nif, IP_3));
    assert_int_equal(t->s.node.drops[IB_DROP_ARP_NOT_FOR_US], 1);
    assert_int_equal(t->tx.n, 0);
}

/* RFC 5227 §2.1.1: a probe (sender IP 0) for our address is answered, but
 * its sender is not cached. */
static void test_probe_answered_not_cached(void **state)
{
    struct lh_host *t = *state;
    rx(t, arp_frame(t, &ib_mac_broadcast, IB_ARP_OP_REQUEST, &MAC_2, 0, &ib_mac_zero, IP_US));
    assert_int_equal(t->tx.n, 1);
    uint8_t want[60];
    memcpy(want, REPLY_FROM_US, sizeof(want));
    memset(want + 38, 0, 4); /* target protocol address: the prober's 0 */
    lh_assert_frame(t->tx.f[0], want, sizeof(want));
    assert_int_equal(t->nif.arp.n, 0);
    assert_int_equal(lh_count(&t->h, IB_EV_ARP_LEARN), 0);
}

static void test_bad_sender_dropped(void **state)
{
    struct lh_host *t = *state;
    const struct ib_mac mcast = {{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}};
    assert_int_equal(ib_arp_set(&t->nif, IP_2, &MAC_2), IB_OK);
    /* A group hardware address would make the entry flood. */
    rx(t, arp_frame(t, &MAC_US, IB_ARP_OP_REPLY, &ib_mac_broadcast, IP_2, &MAC_US, IP_US));
    rx(t, arp_frame(t, &MAC_US, IB_ARP_OP_REPLY, &mcast, IP_2, &MAC_US, IP_US));
    /* RFC 5227 §2.4: another station claiming our own address. */
    rx(t, arp_frame(t, &ib_mac_broadcast, IB_ARP_OP_REQUEST, &MAC_3, IP_US, &ib_mac_zero, IP_US));
    /* Broadcast is nobody's address. */
    rx(t, arp_frame(t, &MAC_US, IB_ARP_OP_REQUEST, &MAC_3, IB_IP4(10, 0, 0, 255), &ib_mac_zero,
                    IP_US));
    assert_int_equal(t->s.node.drops[IB_DROP_ARP_BAD_SENDER], 4);
    assert_int_equal(t->tx.n, 0);
    assert_mac(&ib_arp_lookup(&t->nif, IP_2)->mac, &MAC_2);
    assert_int_equal(t->nif.arp.n, 1);
}

/* RFC 1122 §2.3.2.2: packets for an unresolved next hop wait in a bounded
 * queue; one request is sent; the reply releases them in order. When the
 * queue overflows the oldest packet goes. */
static void test_queue_and_release(void **state)
{
    struct lh_host *t = *state;
    t->s.cfg.arp.max_queue = 8;
    for (uint8_t i = 0; i < 10; i++)
        ib_arp_output(&t->nif, ip_pkt(t, IP_US, IP_2, i), IP_2);
    assert_int_equal(t->tx.n, 1);
    lh_assert_frame(t->tx.f[0], REQ_FROM_US, sizeof(REQ_FROM_US));
    assert_int_equal(lh_last(&t->h, IB_EV_ARP_REQUEST)->ip, IP_2);
    assert_int_equal(lh_count(&t->h, IB_EV_ARP_QUEUE), 10);
    assert_int_equal(t->s.node.drops[IB_DROP_ARP_QUEUE_FULL], 2);
    assert_int_equal(lh_pool(&t->h).in_use, 1 + 8);
    assert_true(ib_timer_armed(&t->nif.arp.timer));
    assert_null(ib_arp_lookup(&t->nif, IP_2));

    run_until(t, IB_MS(300));
    rx(t, arp_frame(t, &MAC_US, IB_ARP_OP_REPLY, &MAC_2, IP_2, &MAC_US, IP_US));
    assert_int_equal(t->tx.n, 9);
    for (unsigned i = 1; i < 9; i++) {
        const struct ib_pkt *f = t->tx.f[i];
        assert_int_equal(f->len, 60); /* 14 + 29, padded (RFC 894) */
        assert_memory_equal(f->data, MAC_2.b, 6);
        assert_memory_equal(f->data + 6, MAC_US.b, 6);
        assert_int_equal(ib_get16(f->data + 12), IB_ETHERTYPE_IP4);
        assert_int_equal(f->data[14 + 28], i + 1); /* 0 and 1 were dropped */
    }
    /* Nothing left to resolve: no timer. */
    assert_false(ib_timer_armed(&t->nif.arp.timer));
    const struct ib_arp_entry *e = ib_arp_lookup(&t->nif, IP_2);
    assert_int_equal(e->expires, IB_MS(300) + IB_SEC(60));
    /* Later packets go straight out. */
    ib_arp_output(&t->nif, ip_pkt(t, IP_US, IP_2, 42), IP_2);
    assert_int_equal(t->tx.n, 10);
    assert_int_equal(t->tx.f[9]->data[14 + 28], 42);
}

/* The peer's own request for us resolves our pending entry (RFC 826
 * merge: the entry exists). */
static void test_request_resolves_pending(void **state)
{
    struct lh_host *t = *state;
    ib_arp_output(&t->nif, ip_pkt(t, IP_US, IP_2, 7), IP_2);
    rx(t, ib_pkt_from(t->h.env.pool, REQ_FOR_US, sizeof(REQ_FOR_US)));
    assert_int_equal(t->tx.n, 3); /* request, the released packet, our reply */
    assert_memory_equal(t->tx.f[1]->data, MAC_2.b, 6);
    assert_int_equal(t->tx.f[1]->data[14 + 28], 7);
    lh_assert_frame(t->tx.f[2], REPLY_FROM_US, sizeof(REPLY_FROM_US));
}

/* RFC 1122 §2.3.2.1: at most one request per second; after max_tries the
 * queue is dropped, each packet reported with ICMP host unreachable
 * (RFC 1812 §5.2.7.1), and the entry freed. */
static void test_retry_then_fail(void **state)
{
    struct lh_host *t = *state;
    assert_int_equal(ib_arp_set(&t->nif, IP_99, &MAC_99), IB_OK);
    for (uint8_t i = 0; i < 3; i++)
        ib_arp_output(&t->nif, ip_pkt(t, IP_99, IP_2, i), IP_2);
    assert_int_equal(t->tx.n, 1);
    run_until(t, IB_MS(999));
    assert_int_equal(t->tx.n, 1);
    run_until(t, IB_SEC(1));
    assert_int_equal(t->tx.n, 2);
    lh_assert_frame(t->tx.f[1], REQ_FROM_US, sizeof(REQ_FROM_US));
    run_until(t, IB_SEC(2));
    assert_int_equal(t->tx.n, 3);
    lh_assert_frame(t->tx.f[2], REQ_FROM_US, sizeof(REQ_FROM_US));
    run_until(t, IB_SEC(3) - 1);
    assert_int_equal(t->tx.n, 3);
    assert_int_equal(t->s.node.drops[IB_DROP_ARP_UNRESOLVED], 0);

    run_until(t, IB_SEC(3));
    assert_int_equal(t->s.node.drops[IB_DROP_ARP_UNRESOLVED], 3);
    assert_int_equal(lh_last(&t->h, IB_EV_ARP_FAIL)->ip, IP_2);
    assert_int_equal(lh_count(&t->h, IB_EV_ARP_REQUEST), 3);
    assert_false(ib_timer_armed(&t->nif.arp.timer));
    assert_int_equal(t->nif.arp.n, 1); /* only the static entry for .99 */
    /* The sources heard about it: ICMP host unreachable quoting each one. */
    assert_int_equal(t->tx.n, 6);
    for (unsigned i = 3; i < 6; i++) {
        const uint8_t *f = t->tx.f[i]->data;
        assert_memory_equal(f, MAC_99.b, 6);
        assert_int_equal(ib_get16(f + 12), IB_ETHERTYPE_IP4);
        assert_int_equal(f[14 + 9], IB_IPPROTO_ICMP);
        assert_int_equal(ib_get32(f + 14 + 12), IP_US);
        assert_int_equal(ib_get32(f + 14 + 16), IP_99);
        assert_int_equal(f[34], IB_ICMP_DEST_UNREACH);
        assert_int_equal(f[35], IB_ICMP_UNREACH_HOST);
        assert_int_equal(ib_get32(f + 42 + 12), IP_99); /* quoted header */
        assert_int_equal(ib_get32(f + 42 + 16), IP_2);
    }
    /* Nothing further happens. */
    run_until(t, IB_SEC(10));
    assert_int_equal(t->tx.n, 6);
}

/* RFC 1122 §2.3.2.1: entries time out; the next packet asks again. */
static void test_expiry_new_request(void **state)
{
    struct lh_host *t = *state;
    assert_int_equal(ib_arp_set(&t->nif, IP_2, &MAC_2), IB_OK);
    assert_false(ib_timer_armed(&t->nif.arp.timer)); /* expiry needs no timer */
    run_until(t, IB_SEC(60) - 1);
    ib_arp_output(&t->nif, ip_pkt(t, IP_US, IP_2, 1), IP_2);
    assert_int_equal(t->tx.n, 1);
    assert_memory_equal(t->tx.f[0]->data, MAC_2.b, 6);
    run_until(t, IB_SEC(60));
    assert_null(ib_arp_lookup(&t->nif, IP_2));
    ib_arp_output(&t->nif, ip_pkt(t, IP_US, IP_2, 2), IP_2);
    assert_int_equal(t->tx.n, 2);
    lh_assert_frame(t->tx.f[1], REQ_FROM_US, sizeof(REQ_FROM_US));
    rx(t, arp_frame(t, &MAC_US, IB_ARP_OP_REPLY, &MAC_2B, IP_2, &MAC_US, IP_US));
    assert_int_equal(t->tx.n, 3);
    assert_memory_equal(t->tx.f[2]->data, MAC_2B.b, 6);
    assert_int_equal(t->tx.f[2]->data[14 + 28], 2);
}

/* Broadcast next hops need no resolution (RFC 1122 §3.3.6), and a group
 * address maps to its Ethernet multicast address (RFC 1112 §6.4). */
static void test_broadcast_and_multicast(void **state)
{
    struct lh_host *t = *state;
    ib_arp_output(&t->nif, ip_pkt(t, IP_US, IB_IP4_BROADCAST, 1), IB_IP4_BROADCAST);
    ib_arp_output(&t->nif, ip_pkt(t, IP_US, IB_IP4(10, 0, 0, 255), 2), IB_IP4(10, 0, 0, 255));
    ib_arp_output(&t->nif, ip_pkt(t, IP_US, IB_IP4(224, 129, 2, 3), 3), IB_IP4(224, 129, 2, 3));
    assert_int_equal(t->tx.n, 3);
    assert_memory_equal(t->tx.f[0]->data, ib_mac_broadcast.b, 6);
    assert_memory_equal(t->tx.f[1]->data, ib_mac_broadcast.b, 6);
    const uint8_t group[6] = {0x01, 0x00, 0x5e, 0x01, 0x02, 0x03};
    assert_memory_equal(t->tx.f[2]->data, group, 6);
    assert_int_equal(lh_count(&t->h, IB_EV_ARP_REQUEST), 0);
    assert_null(t->nif.arp.e);
}

static void test_announce_vector(void **state)
{
    struct lh_host *t = *state;
    ib_arp_announce(&t->nif);
    assert_int_equal(t->tx.n, 1);
    lh_assert_frame(t->tx.f[0], ANNOUNCE_FROM_US, sizeof(ANNOUNCE_FROM_US));
    const struct lh_event *ev = lh_last(&t->h, IB_EV_ARP_ANNOUNCE);
    assert_int_equal(ev->ip, IP_US);
    assert_mac(&ev->mac, &MAC_US);
}

/* A full cache evicts the resolved entry closest to expiry; entries that
 * are resolving are kept, and with nothing to evict packets are dropped. */
static void test_cache_full(void **state)
{
    (void)state;
    struct ib_stack_config cfg = ib_stack_defaults;
    cfg.arp = ib_arp_defaults;
    cfg.arp.max_entries = 4;
    struct lh_host *t = lh_host_new(&MAC_US, IP_US, 24, &cfg);
    for (uint8_t i = 0; i < 4; i++) {
        run_until(t, IB_SEC(i));
        const struct ib_mac m = {{2, 0, 0, 0, 1, i}};
        assert_int_equal(ib_arp_set(&t->nif, IB_IP4(10, 0, 1, i), &m), IB_OK);
    }
    assert_int_equal(t->nif.arp.cap, 4);
    assert_int_equal(ib_arp_set(&t->nif, IB_IP4(10, 0, 1, 9), &MAC_3), IB_OK);
    assert_null(ib_arp_lookup(&t->nif, IB_IP4(10, 0, 1, 0)));
    for (uint8_t i = 1; i < 4; i++)
        assert_non_null(ib_arp_lookup(&t->nif, IB_IP4(10, 0, 1, i)));
    assert_non_null(ib_arp_lookup(&t->nif, IB_IP4(10, 0, 1, 9)));
    /* Four resolutions in progress replace all resolved entries... */
    for (uint8_t i = 20; i < 24; i++)
        ib_arp_output(&t->nif, ip_pkt(t, IP_US, IB_IP4(10, 0, 2, i), i), IB_IP4(10, 0, 2, i));
    assert_int_equal(t->nif.arp.n, 4);
    assert_null(ib_arp_lookup(&t->nif, IB_IP4(10, 0, 1, 9)));
    /* ... and a fifth has nowhere to wait. */
    ib_arp_output(&t->nif, ip_pkt(t, IP_US, IB_IP4(10, 0, 2, 30), 30), IB_IP4(10, 0, 2, 30));
    assert_int_equal(t->s.node.drops[IB_DROP_ARP_QUEUE_FULL], 1);
    assert_int_equal(lh_count(&t->h, IB_EV_ARP_REQUEST), 4);
    lh_host_free(t);
}

/* Destroying a cache releases held packets; nothing is reported. */
static void test_destroy_frees_queue(void **state)
{
    struct lh_host *t = *state;
    for (uint8_t i = 0; i < 3; i++)
        ib_arp_output(&t->nif, ip_pkt(t, IP_US, IB_IP4(10, 0, 0, 10 + i), i),
                      IB_IP4(10, 0, 0, 10 + i));
    assert_int_equal(lh_pool(&t->h).in_use, 6);
    ib_arp_cache_destroy(&t->nif.arp);
    assert_int_equal(lh_pool(&t->h).in_use, 3);
    assert_false(ib_timer_armed(&t->nif.arp.timer));
    assert_int_equal(t->s.node.drops[IB_DROP_ARP_UNRESOLVED], 0);
    assert_null(t->nif.arp.e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_vector),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_emit_vector),
        cmocka_unit_test_setup_teardown(test_reply_to_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_reply_for_others, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gratuitous_updates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_answered_not_cached, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_sender_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_and_release, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_resolves_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_then_fail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry_new_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broadcast_and_multicast, setup, teardown),
        cmocka_unit_test_setup_teardown(test_announce_vector, setup, teardown),
        cmocka_unit_test(test_cache_full),
        cmocka_unit_test_setup_teardown(test_destroy_frees_queue, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
