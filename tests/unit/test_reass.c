/* IPv4 reassembly (RFC 791 §3.2, RFC 1122 §3.3.2): any arrival order,
 * duplicates, overlaps (RFC 1858 §4), inconsistent fragments, the
 * 65535-octet limit, the timeout with its ICMP time exceeded, and the
 * bounds on datagrams, bytes and fragments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ip_harness.h"

static const ib_ip4 me = IB_IP4(10, 0, 0, 1);
static const ib_ip4 peer = IB_IP4(10, 0, 0, 2);

#define PAYLOAD 2980u
static uint8_t payload[65536 + 64];

static struct ih *host_cfg(const struct ib_reass_config *rc)
{
    struct ib_stack_config cfg = ib_stack_defaults;
    if (rc) cfg.reass = *rc;
    struct ih *t = ih_new(&cfg);
    ih_add_nif(t, me, 24);
    assert_int_equal(ib_arp_set(&t->nif[0], peer, ih_peer_mac(0)), IB_OK);
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i * 13 + (i >> 8));
    return t;
}

/* A fragment of datagram `id` from peer: payload[off, off + len). */
static struct ib_pkt *frag_pkt(struct ih *t, uint16_t id, uint8_t proto, uint32_t off, uint32_t len,
                               bool more)
{
    static uint8_t b[65536 + 20];
    ih_dgram(b, peer, me, proto, id, (uint16_t)((more ? IB_IP4_MF : 0) | off / 8), 64, 0, 0);
    ib_put16(b + 2, (uint16_t)(20 + len));
    ib_put16(b + 10, 0);
    ib_put16(b + 10, ib_csum(b, 20));
    memcpy(b + 20, payload + off, len);
    return ih_pkt(t, b, 20 + len);
}

static struct ib_pkt *add_pkt(struct ih *t, struct ib_pkt *p)
{
    struct ib_ip4_hdr h;
    assert_int_equal(ib_ip4_parse(p->data, p->len, &h), 0);
    return ib_reass_add(&t->s, &t->nif[0], p, &h);
}

static struct ib_pkt *add(struct ih *t, uint16_t id, uint32_t off, uint32_t len, bool more)
{
    return add_pkt(t, frag_pkt(t, id, IB_IPPROTO_UDP, off, len, more));
}

/* The rebuilt datagram: first fragment's header, total length, no
 * fragment fields, valid checksum, the original payload. */
static void assert_whole(struct ib_pkt *w, uint16_t id, uint32_t len)
{
    assert_non_null(w);
    struct ib_ip4_hdr h;
    assert_int_equal(ib_ip4_parse(w->data, w->len, &h), 0);
    assert_int_equal(w->len, 20 + len);
    assert_int_equal(h.tot_len, 20 + len);
    assert_int_equal(h.frag, 0);
    assert_int_equal(h.id, id);
    assert_int_equal(h.src, peer);
    assert_int_equal(h.dst, me);
    assert_memory_equal(w->data + 20, payload, len);
    ib_pkt_free(w);
}

static void assert_empty(const struct ih *t)
{
    assert_null(t->s.reass.list);
    assert_int_equal(t->s.reass.count, 0);
    assert_int_equal(t->s.reass.bytes, 0);
    assert_false(ib_timer_armed(&t->s.reass.timer));
}

/* Eight fragments of 376 octets (the last 348), added in the order given. */
static void reassemble_in(struct ih *t, uint16_t id, const unsigned order[8])
{
    for (unsigned i = 0; i < 8; i++) {
        unsigned k = order[i];
        uint32_t off = k * 376;
        uint32_t len = k == 7 ? PAYLOAD - 7 * 376 : 376;
        struct ib_pkt *w = add(t, id, off, len, k != 7);
        if (i < 7) {
            assert_null(w);
            assert_int_equal(t->s.reass.count, 1);
        } else {
            assert_whole(w, id, PAYLOAD);
        }
    }
}

static void test_orders(void **state)
{
    (void)state;
    struct ih *t = host_cfg(NULL);
    static const unsigned in_order[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    static const unsigned reverse[8] = {7, 6, 5, 4, 3, 2, 1, 0};
    reassemble_in(t, 1, in_order);
    assert_empty(t);
    reassemble_in(t, 2, reverse);
    assert_empty(t);
    struct ib_rng rng;
    ib_rng_seed(&rng, 7);
    for (uint16_t round = 0; round < 50; round++) {
        unsigned order[8] = {0, 1, 2, 3, 4, 5, 6, 7};
        for (unsigned i = 7; i > 0; i--) {
            unsigned j = (unsigned)ib_rng_below(&rng, i + 1);
            unsigned x = order[i];
            order[i] = order[j];
            order[j] = x;
        }
        reassemble_in(t, (uint16_t)(100 + round), order);
        assert_empty(t);
    }
    assert_int_equal(t->s.ip_stats.reassembled, 52);
    assert_int_equal(ih_count(t, IB_EV_IP_REASSEMBLED), 52);
    const struct ih_event *e = ih_nth(t, IB_EV_IP_REASSEMBLED, 1);
    assert_int_equal(e->id, 2);
    assert_int_equal(e->count, 8);
    assert_int_equal(e->len, PAYLOAD);
    assert_int_equal(ih_count(t, IB_EV_DROP), 0);
    ih_free(t);
}

/* The datagram is keyed by (src, dst, proto, id), RFC 791 §3.2; the first
 * fragment's header, options included, heads the result. */
static void test_key_and_first_header(void **state)
{
    (void)state;
    struct ih *t = host_cfg(NULL);
    assert_null(add(t, 5, 8, 8, false));
    assert_null(add_pkt(t, frag_pkt(t, 5, IB_IPPROTO_ICMP, 0, 8, true)));
    assert_int_equal(t->s.reass.count, 2);
    /* first fragment with a 4-byte option (NOP x3, EOL) and TOS */
    uint8_t b[32];
    ih_dgram(b, peer, me, IB_IPPROTO_UDP, 5, IB_IP4_MF, 64, 0, 0);
    b[0] = 0x46;
    b[1] = 0x28;
    ib_put16(b + 2, 32);
    static const uint8_t opt[4] = {1, 1, 1, 0};
    memcpy(b + 20, opt, 4);
    memcpy(b + 24, payload, 8);
    ib_put16(b + 10, 0);
    ib_put16(b + 10, ib_csum(b, 24));
    struct ib_pkt *w = add_pkt(t, ih_pkt(t, b, 32));
    assert_non_null(w);
    struct ib_ip4_hdr h;
    assert_int_equal(ib_ip4_parse(w->data, w->len, &h), 0);
    assert_int_equal(h.hlen, 24);
    assert_int_equal(h.tos, 0x28);
    assert_int_equal(h.tot_len, 40);
    assert_int_equal(h.frag, 0);
    assert_memory_equal(w->data + 20, opt, 4);
    assert_memory_equal(w->data + 24, payload, 16);
    ib_pkt_free(w);
    assert_int_equal(t->s.reass.count, 1); /* the ICMP one waits */
    ih_free(t);                            /* and is released here */
}

/* An exact duplicate is dropped alone; the datagram completes. */
static void test_duplicate(void **state)
{
    (void)state;
    struct ih *t = host_cfg(NULL);
    assert_null(add(t, 9, 0, 16, true));
    assert_null(add(t, 9, 0, 16, true));
    assert_int_equal(ih_drops(t, IB_DROP_FRAG_DUPLICATE), 1);
    assert_null(add(t, 9, 24, 8, false));
    assert_null(add(t, 9, 24, 8, false));
    assert_int_equal(ih_drops(t, IB_DROP_FRAG_DUPLICATE), 2);
    assert_int_equal(t->s.reass.count, 1);
    assert_whole(add(t, 9, 16, 8, true), 9, 32);
    assert_int_equal(ih_count(t, IB_EV_DROP), 2);
    ih_free(t);
}

/* RFC 1858 §4 / RFC 5722: any overlap that is not an exact duplicate
 * discards the whole datagram, with one drop. */
static void test_overlap(void **state)
{
    (void)state;
    static const struct {
        uint32_t off, len;
        bool more;
    } second[] = {
        {8, 16, true},  /* tail overlaps the held [0,16) */
        {0, 8, true},   /* same offset, shorter */
        {0, 24, true},  /* same offset, longer */
        {24, 16, true}, /* its end overlaps the held [32,48) */
        {8, 40, true},  /* covers a held fragment */
    };
    for (size_t i = 0; i < IB_ARRAY_LEN(second); i++) {
        struct ih *t = host_cfg(NULL);
        assert_null(add(t, 3, 0, 16, true));
        assert_null(add(t, 3, 32, 16, true));
        assert_null(add(t, 3, second[i].off, second[i].len, second[i].more));
        assert_int_equal(ih_drops(t, IB_DROP_FRAG_OVERLAP), 1);
        assert_int_equal(ih_count(t, IB_EV_DROP), 1);
        assert_empty(t);
        /* what arrives later starts a new datagram */
        assert_null(add(t, 3, 16, 16, true));
        assert_int_equal(t->s.reass.count, 1);
        ih_free(t);
    }
}

/* RFC 791 §3.2: non-last fragments carry multiples of 8 octets; the last
 * fixes the length, and fragments disagreeing with it are inconsistent. */
static void test_inconsistent(void **state)
{
    (void)state;
    struct ih *t = host_cfg(NULL);
    /* the fragment alone is refused, the datagram stays */
    assert_null(add(t, 4, 0, 16, true));
    assert_null(add(t, 4, 16, 12, true));
    assert_null(add(t, 4, 16, 0, false));
    assert_int_equal(ih_drops(t, IB_DROP_FRAG_BAD), 2);
    assert_int_equal(t->s.reass.count, 1);
    /* a second last fragment with another end discards the datagram */
    assert_null(add(t, 4, 32, 8, false));
    assert_null(add(t, 4, 40, 8, false));
    assert_int_equal(ih_drops(t, IB_DROP_FRAG_BAD), 3);
    assert_empty(t);
    /* data beyond the known end */
    assert_null(add(t, 5, 32, 8, false));
    assert_null(add(t, 5, 40, 8, true));
    assert_int_equal(ih_drops(t, IB_DROP_FRAG_BAD), 4);
    assert_empty(t);
    /* a last fragment ending before data already held */
    assert_null(add(t, 6, 64, 8, true));
    assert_null(add(t, 6, 32, 8, false));
    assert_int_equal(ih_drops(t, IB_DROP_FRAG_BAD), 5);
    assert_empty(t);
    ih_free(t);
}

/* RFC 791 §3.1: at most 65535 octets ("ping of death"). */
static void test_too_big(void **state)
{
    (void)state;
    struct ih *t = host_cfg(NULL);
    assert_null(add(t, 1, 65528, 16, false)); /* 20 + 65544 */
    assert_int_equal(ih_drops(t, IB_DROP_FRAG_TOO_BIG), 1);
    assert_empty(t);
    /* a held datagram goes with it */
    assert_null(add(t, 2, 0, 1480, true));
    assert_null(add(t, 2, 65512, 8, true));
    assert_int_equal(ih_drops(t, IB_DROP_FRAG_TOO_BIG), 2);
    assert_int_equal(ih_count(t, IB_EV_DROP), 2);
    assert_empty(t);
    /* exactly 65535 is fine */
    assert_null(add(t, 3, 65512, 3, false));
    assert_int_equal(ih_drops(t, IB_DROP_FRAG_TOO_BIG), 2);
    /* with a 24-byte first header the same end is one octet too many */
    uint8_t b[32];
    ih_dgram(b, peer, me, IB_IPPROTO_UDP, 3, IB_IP4_MF, 64, 0, 0);
    b[0] = 0x46;
    ib_put16(b + 2, 32);
    memset(b + 20, 1, 4);
    ib_put16(b + 10, 0);
    ib_put16(b + 10, ib_csum(b, 24));
    assert_null(add_pkt(t, ih_pkt(t, b, 32)));
    assert_int_equal(ih_drops(t, IB_DROP_FRAG_TOO_BIG), 3);
    assert_empty(t);
    ih_free(t);
}

/* RFC 1122 §3.3.2: an incomplete datagram is discarded after the timeout,
 * with ICMP time exceeded (code 1) only if fragment zero arrived. */
static void test_timeout(void **state)
{
    (void)state;
    struct ih *t = host_cfg(NULL);
    struct ib_pkt *first = frag_pkt(t, 11, IB_IPPROTO_UDP, 0, 16, true);
    uint8_t quoted[36];
    memcpy(quoted, first->data, 36);
    ib_ip4_input(&t->nif[0], first);
    ib_ip4_input(&t->nif[0], frag_pkt(t, 11, IB_IPPROTO_UDP, 32, 8, false));
    ib_evq_run_until(t->h.q, IB_SEC(10));
    ib_ip4_input(&t->nif[0], frag_pkt(t, 12, IB_IPPROTO_UDP, 16, 16, true));
    assert_int_equal(t->s.reass.count, 2);
    assert_int_equal(t->s.reass.timer.when, IB_SEC(30));

    ib_evq_run_until(t->h.q, IB_SEC(30) - 1);
    assert_int_equal(t->s.reass.count, 2);
    ib_evq_run_until(t->h.q, IB_SEC(30));
    assert_int_equal(t->s.reass.count, 1);
    assert_int_equal(ih_drops(t, IB_DROP_FRAG_TIMEOUT), 1);
    assert_int_equal(t->fr[0].n, 1);
    struct ib_ip4_hdr h;
    const uint8_t *ip = ih_frame_ip(t->fr[0].f[0], ih_peer_mac(0), &h);
    assert_int_equal(h.src, me);
    assert_int_equal(h.dst, peer);
    assert_int_equal(h.proto, IB_IPPROTO_ICMP);
    assert_int_equal(ip[20], IB_ICMP_TIME_EXCEEDED);
    assert_int_equal(ip[21], IB_ICMP_EXC_REASS);
    assert_int_equal(ib_csum(ip + 20, h.tot_len - 20u), 0);
    assert_memory_equal(ip + 28, quoted, 28);
    /* the one left has no fragment zero: no ICMP */
    assert_int_equal(t->s.reass.timer.when, IB_SEC(40));
    ib_evq_run_until(t->h.q, IB_SEC(40));
    assert_int_equal(ih_drops(t, IB_DROP_FRAG_TIMEOUT), 2);
    assert_int_equal(t->fr[0].n, 1);
    assert_empty(t);
    assert_int_equal(ih_count(t, IB_EV_DROP), 2);
    ih_free(t);
}

/* Completing or discarding the oldest moves the timer to the next one;
 * the last one gone leaves no timer. */
static void test_timer_follows_oldest(void **state)
{
    (void)state;
    struct ih *t = host_cfg(NULL);
    assert_null(add(t, 1, 0, 8, true));
    ib_evq_run_until(t->h.q, IB_SEC(5));
    assert_null(add(t, 2, 0, 8, true));
    assert_int_equal(t->s.reass.timer.when, IB_SEC(30));
    struct ib_pkt *w = add(t, 1, 8, 8, false);
    assert_non_null(w);
    ib_pkt_free(w);
    assert_int_equal(t->s.reass.timer.when, IB_SEC(35));
    w = add(t, 2, 8, 8, false);
    assert_non_null(w);
    ib_pkt_free(w);
    assert_empty(t);
    ih_free(t);
}

/* RFC 1122 §3.3.2: bounded buffers; a new datagram that does not fit is
 * refused, those under way keep their chance to complete. */
static void test_too_many_datagrams(void **state)
{
    (void)state;
    struct ib_reass_config rc = ib_reass_defaults;
    rc.max_datagrams = 2;
    struct ih *t = host_cfg(&rc);
    assert_null(add(t, 1, 0, 8, true));
    assert_null(add(t, 2, 0, 8, true));
    assert_null(add(t, 3, 0, 8, true));
    assert_int_equal(ih_drops(t, IB_DROP_FRAG_NO_SPACE), 1);
    assert_int_equal(t->s.reass.count, 2);
    struct ib_pkt *w = add(t, 1, 8, 8, false);
    assert_non_null(w);
    ib_pkt_free(w);
    assert_null(add(t, 3, 0, 8, true));
    assert_int_equal(t->s.reass.count, 2);
    ih_free(t);
}

static void test_memory_bound(void **state)
{
    (void)state;
    struct ih *t = host_cfg(NULL);
    assert_null(add(t, 1, 0, 8, true));
    uint32_t used = t->s.reass.bytes;
    assert_true(used > 8);
    struct ib_pkt *p = frag_pkt(t, 1, IB_IPPROTO_UDP, 8, 8, true);
    /* memory is charged at the held buffers' true size */
    t->s.cfg.reass.max_bytes = used + p->size - 1;
    assert_null(add_pkt(t, p));
    assert_int_equal(ih_drops(t, IB_DROP_FRAG_NO_SPACE), 1);
    assert_null(add(t, 2, 0, 8, true));
    assert_int_equal(ih_drops(t, IB_DROP_FRAG_NO_SPACE), 2);
    assert_int_equal(t->s.reass.count, 1);
    assert_int_equal(t->s.reass.bytes, used);
    t->s.cfg.reass.max_bytes = used + p->size;
    struct ib_pkt *w = add(t, 1, 8, 8, false);
    assert_non_null(w);
    ib_pkt_free(w);
    assert_empty(t);
    ih_free(t);
}

/* A datagram that can take no more fragments can never complete. */
static void test_too_many_fragments(void **state)
{
    (void)state;
    struct ib_reass_config rc = ib_reass_defaults;
    rc.max_frags = 2;
    struct ih *t = host_cfg(&rc);
    assert_null(add(t, 1, 0, 8, true));
    assert_null(add(t, 1, 16, 8, true));
    assert_null(add(t, 1, 8, 8, true));
    assert_int_equal(ih_drops(t, IB_DROP_FRAG_TOO_MANY), 1);
    assert_empty(t);
    ih_free(t);
}

/* Through IP input: an echo request in three fragments, out of order, is
 * answered once with the whole data. */
static void test_deliver_reassembled(void **state)
{
    (void)state;
    struct ih *t = host_cfg(NULL);
    uint8_t icmp[1008];
    memset(icmp, 0, 8);
    icmp[0] = IB_ICMP_ECHO_REQUEST;
    ib_put32(icmp + 4, 0x00010002);
    for (unsigned i = 8; i < sizeof(icmp); i++)
        icmp[i] = (uint8_t)i;
    ib_put16(icmp + 2, ib_csum(icmp, sizeof(icmp)));
    memcpy(payload, icmp, sizeof(icmp));
    ib_ip4_input(&t->nif[0], frag_pkt(t, 77, IB_IPPROTO_ICMP, 800, 208, false));
    ib_ip4_input(&t->nif[0], frag_pkt(t, 77, IB_IPPROTO_ICMP, 0, 400, true));
    assert_int_equal(t->fr[0].n, 0);
    ib_ip4_input(&t->nif[0], frag_pkt(t, 77, IB_IPPROTO_ICMP, 400, 400, true));
    assert_int_equal(t->s.ip_stats.delivered, 1);
    assert_int_equal(t->fr[0].n, 1);
    struct ib_ip4_hdr h;
    const uint8_t *ip = ih_frame_ip(t->fr[0].f[0], ih_peer_mac(0), &h);
    assert_int_equal(h.tot_len, 1028);
    assert_int_equal(ip[20], IB_ICMP_ECHO_REPLY);
    assert_memory_equal(ip + 24, icmp + 4, sizeof(icmp) - 4);
    assert_empty(t);
    ih_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_orders),
        cmocka_unit_test(test_key_and_first_header),
        cmocka_unit_test(test_duplicate),
        cmocka_unit_test(test_overlap),
        cmocka_unit_test(test_inconsistent),
        cmocka_unit_test(test_too_big),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_timer_follows_oldest),
        cmocka_unit_test(test_too_many_datagrams),
        cmocka_unit_test(test_memory_bound),
        cmocka_unit_test(test_too_many_fragments),
        cmocka_unit_test(test_deliver_reassembled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
