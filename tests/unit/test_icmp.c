/* ICMP tests: RFC 792 echo with byte vectors (checked with tshark, checksum
 * validation on), the RFC 1122 §3.2.2 / RFC 1812 §4.3.2.7 rules on when no
 * error may be sent, the 576-byte quote (RFC 1812 §4.3.2.3), the rate limit
 * (RFC 1812 §4.3.2.8) and delivery of received errors to echo endpoints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "inetbox/cksum.h"
#include "l4_harness.h"

/* 10.0.0.2 -> 10.0.0.1 echo request, id 0x1234 seq 1, 32 bytes of data. */
static const uint8_t echo_req_dgram[60] = {
    0x45, 0x00, 0x00, 0x3c, 0x43, 0x21, 0x00, 0x00, 0x40, 0x01, 0x23, 0x9e,
    0x0a, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x01, 0x08, 0x00, 0x3b, 0x27,
    0x12, 0x34, 0x00, 0x01, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
    0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72, 0x73, 0x74,
    0x75, 0x76, 0x77, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
};
/* Its reply as sent by the host (IP id 0x1000, TTL 64). */
static const uint8_t echo_reply_frame[74] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x10, 0x00, 0x00, 0x00, 0x40, 0x01,
    0x56, 0xbf, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x00, 0x00,
    0x43, 0x27, 0x12, 0x34, 0x00, 0x01, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66,
    0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72,
    0x73, 0x74, 0x75, 0x76, 0x77, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67,
    0x68, 0x69,
};

static void test_parse_emit(void **state)
{
    (void)state;
    const uint8_t *m = echo_req_dgram + 20;
    struct ib_icmp_hdr h;
    assert_int_equal(ib_icmp_parse(m, 40, &h), 0);
    assert_int_equal(h.type, IB_ICMP_ECHO_REQUEST);
    assert_int_equal(h.code, 0);
    assert_int_equal(h.csum, 0x3b27);
    assert_int_equal(h.rest, 0x12340001u);
    uint8_t b[40];
    memcpy(b + 8, m + 8, 32);
    struct ib_icmp_hdr e = {.type = IB_ICMP_ECHO_REQUEST, .rest = 0x12340001u};
    ib_icmp_emit(&e, b, sizeof(b));
    assert_memory_equal(b, m, 40);
    /* RFC 792: the checksum covers the data too. */
    b[39] ^= 1;
    assert_int_equal(ib_icmp_parse(b, 40, &h), IB_DROP_ICMP_BAD_CHECKSUM);
    assert_int_equal(ib_icmp_parse(m, 7, &h), IB_DROP_ICMP_TRUNCATED);
    /* An odd length checksums with a zero pad byte (RFC 1071). */
    uint8_t odd[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0xab};
    ib_icmp_emit(&e, odd, sizeof(odd));
    assert_int_equal(ib_get16(odd + 2), (uint16_t)~(0x0800 + 0x1234 + 0x0001 + 0xab00));
    assert_int_equal(ib_icmp_parse(odd, sizeof(odd), &h), 0);
}

/* RFC 792: the reply has the request's identifier, sequence number and
 * data, from the address the request was sent to. */
static void test_echo_request_answered(void **state)
{
    (void)state;
    struct l4h *h = l4h_new();
    l4h_inject(h, echo_req_dgram, sizeof(echo_req_dgram));
    assert_int_equal(h->n_out, 1);
    assert_int_equal(h->out[0]->len, sizeof(echo_reply_frame));
    assert_memory_equal(h->out[0]->data, echo_reply_frame, sizeof(echo_reply_frame));
    assert_int_equal(h->s.icmp_stats.in, 1);
    assert_int_equal(h->s.icmp_stats.out, 1);
    assert_int_equal(h->ev[IB_EV_ICMP_RX], 1);
    assert_int_equal(h->icmp_rx.type, IB_ICMP_ECHO_REQUEST);
    assert_int_equal(h->ev[IB_EV_ICMP_TX], 1);
    assert_int_equal(h->icmp_tx.type, IB_ICMP_ECHO_REPLY);
    l4h_clear(h);

    /* An odd-sized payload comes back byte for byte with the request's TOS
     * (RFC 1812 §4.3.2.5). */
    uint8_t d[20 + 8 + 1001];
    for (size_t i = 0; i < 1001; i++)
        d[28 + i] = (uint8_t)(i * 7 + 3);
    struct ib_icmp_hdr e = {.type = IB_ICMP_ECHO_REQUEST, .rest = 0xbeef0002u};
    ib_icmp_emit(&e, d + 20, 8 + 1001);
    l4h_ip(d, L4H_PEER, L4H_HOST, IB_IPPROTO_ICMP, 0, 8 + 1001);
    d[1] = 0x10;
    ib_put16(d + 10, 0);
    ib_put16(d + 10, ib_csum(d, 20));
    l4h_inject(h, d, sizeof(d));
    assert_int_equal(h->n_out, 1);
    struct ib_ip4_hdr ip;
    size_t len;
    const uint8_t *m = l4h_out_l4(h, 0, &ip, &len);
    assert_int_equal(ip.tos, 0x10);
    assert_int_equal(ip.src, L4H_HOST);
    assert_int_equal(ip.dst, L4H_PEER);
    assert_int_equal(len, 8 + 1001);
    struct ib_icmp_hdr r;
    assert_int_equal(ib_icmp_parse(m, len, &r), 0);
    assert_int_equal(r.type, IB_ICMP_ECHO_REPLY);
    assert_int_equal(r.rest, 0xbeef0002u);
    assert_memory_equal(m + 8, d + 28, 1001);
    l4h_free(h);
}

/* RFC 1122 §3.2.2.6: an echo request to a broadcast MAY be discarded; we
 * do (no smurf amplifier), and count it. */
static void test_echo_broadcast_ignored(void **state)
{
    (void)state;
    struct l4h *h = l4h_new();
    uint8_t d[60];
    memcpy(d, echo_req_dgram, sizeof(d));
    const ib_ip4 dsts[] = {IB_IP4(10, 0, 0, 255), IB_IP4_BROADCAST};
    for (unsigned i = 0; i < IB_ARRAY_LEN(dsts); i++) {
        l4h_ip(d, L4H_PEER, dsts[i], IB_IPPROTO_ICMP, 0, 40);
        l4h_inject_to(h, &ib_mac_broadcast, &l4h_peer_mac, d, sizeof(d));
    }
    assert_int_equal(h->n_out, 0);
    assert_int_equal(h->s.icmp_stats.in, 2);
    assert_int_equal(h->s.node.drops[IB_DROP_ICMP_UNHANDLED], 2);

    /* RFC 1122 §3.2.1.3: a request from 0.0.0.0 (a host configuring
     * itself) or from a broadcast address has no one to answer to. */
    const ib_ip4 srcs[] = {0, IB_IP4(10, 0, 0, 255)};
    for (unsigned i = 0; i < IB_ARRAY_LEN(srcs); i++) {
        l4h_ip(d, srcs[i], L4H_HOST, IB_IPPROTO_ICMP, 0, 40);
        l4h_inject(h, d, sizeof(d));
    }
    assert_int_equal(h->n_out, 0);
    assert_int_equal(h->s.node.drops[IB_DROP_IP_BAD_SRC], 2);
    l4h_free(h);
}

/* A reply whose words other than the checksum are all zero must carry
 * 0xffff: one's complement has two zeros and only -0 verifies (RFC 1071,
 * the case RFC 1624 §3 discusses). */
static void test_echo_reply_all_zero(void **state)
{
    (void)state;
    struct l4h *h = l4h_new();
    uint8_t d[20 + 8 + 8] = {0};
    struct ib_icmp_hdr e = {.type = IB_ICMP_ECHO_REQUEST};
    ib_icmp_emit(&e, d + 20, 16);
    assert_int_equal(ib_get16(d + 22), 0xf7ff);
    l4h_ip(d, L4H_PEER, L4H_HOST, IB_IPPROTO_ICMP, 0, 16);
    l4h_inject(h, d, sizeof(d));
    assert_int_equal(h->n_out, 1);
    struct ib_ip4_hdr ip;
    size_t len;
    const uint8_t *m = l4h_out_l4(h, 0, &ip, &len);
    assert_int_equal(len, 16);
    assert_int_equal(m[0], IB_ICMP_ECHO_REPLY);
    assert_int_equal(ib_get16(m + 2), 0xffff);
    struct ib_icmp_hdr r;
    assert_int_equal(ib_icmp_parse(m, len, &r), 0);
    l4h_free(h);
}

struct echo_seen {
    unsigned replies, errors;
    ib_ip4 from;
    uint16_t seq;
    uint8_t ttl, type, code;
    size_t len;
    uint8_t data[128];
};

static void on_reply(struct ib_icmp_echo *e, ib_ip4 from, uint16_t seq, uint8_t ttl,
                     const uint8_t *data, size_t len)
{
    struct echo_seen *s = e->arg;
    s->replies++;
    s->from = from;
    s->seq = seq;
    s->ttl = ttl;
    s->len = len;
    memcpy(s->data, data, len < sizeof(s->data) ? len : sizeof(s->data));
}

static void on_error(struct ib_icmp_echo *e, ib_ip4 from, uint8_t type, uint8_t code,
                     uint16_t seq)
{
    struct echo_seen *s = e->arg;
    s->errors++;
    s->from = from;
    s->type = type;
    s->code = code;
    s->seq = seq;
}

/* Builds an ICMP message (header + data) in an IP datagram from src to dst. */
static size_t build_icmp(uint8_t *d, ib_ip4 src, ib_ip4 dst, uint8_t type, uint8_t code,
                         uint32_t rest, const uint8_t *data, size_t len)
{
    memcpy(d + 28, data, len);
    struct ib_icmp_hdr e = {.type = type, .code = code, .rest = rest};
    ib_icmp_emit(&e, d + 20, 8 + len);
    l4h_ip(d, src, dst, IB_IPPROTO_ICMP, 0, 8 + len);
    return 28 + len;
}

static void test_echo_endpoint(void **state)
{
    (void)state;
    struct l4h *h = l4h_new();
    struct echo_seen seen = {0};
    struct ib_icmp_echo ep = {0};
    ib_icmp_echo_open(&h->s, &ep, 0x4242);
    ep.reply = on_reply;
    ep.error = on_error;
    ep.arg = &seen;

    assert_int_equal(ib_icmp_echo_send(&ep, L4H_PEER, 7, 56, 5), 0);
    assert_int_equal(h->n_out, 1);
    struct ib_ip4_hdr ip;
    size_t len;
    const uint8_t *m = l4h_out_l4(h, 0, &ip, &len);
    assert_int_equal(ip.ttl, 5);
    assert_int_equal(ip.proto, IB_IPPROTO_ICMP);
    assert_int_equal(ip.src, L4H_HOST);
    assert_int_equal(ip.dst, L4H_PEER);
    assert_int_equal(len, 64);
    struct ib_icmp_hdr r;
    assert_int_equal(ib_icmp_parse(m, len, &r), 0);
    assert_int_equal(r.type, IB_ICMP_ECHO_REQUEST);
    assert_int_equal(r.code, 0);
    assert_int_equal(r.rest, 0x42420007u);
    for (unsigned i = 0; i < 56; i++)
        assert_int_equal(m[8 + i], i);
    uint8_t payload[56];
    memcpy(payload, m + 8, 56);
    l4h_clear(h);

    /* The reply reaches the endpoint with its source, sequence and TTL. */
    uint8_t d[200];
    size_t n = build_icmp(d, L4H_PEER, L4H_HOST, IB_ICMP_ECHO_REPLY, 0, 0x42420007u, payload, 56);
    d[8] = 60;
    ib_put16(d + 10, 0);
    ib_put16(d + 10, ib_csum(d, 20));
    l4h_inject(h, d, n);
    assert_int_equal(seen.replies, 1);
    assert_int_equal(seen.from, L4H_PEER);
    assert_int_equal(seen.seq, 7);
    assert_int_equal(seen.ttl, 60);
    assert_int_equal(seen.len, 56);
    assert_memory_equal(seen.data, payload, 56);

    /* Another identifier is nobody's. */
    n = build_icmp(d, L4H_PEER, L4H_HOST, IB_ICMP_ECHO_REPLY, 0, 0x42430007u, payload, 56);
    l4h_inject(h, d, n);
    assert_int_equal(seen.replies, 1);
    assert_int_equal(h->s.node.drops[IB_DROP_ICMP_UNHANDLED], 1);

    /* Off-link destinations go to the gateway. */
    assert_int_equal(ib_icmp_echo_send(&ep, IB_IP4(192, 0, 2, 9), 8, 0, 0), 0);
    assert_int_equal(h->n_out, 1);
    assert_memory_equal(h->out[0]->data, l4h_gw_mac.b, 6);
    m = l4h_out_l4(h, 0, &ip, &len);
    assert_int_equal(ip.ttl, 64);
    assert_int_equal(len, 8);
    l4h_clear(h);

    ib_icmp_echo_close(&ep);
    assert_null(h->s.echo);
    n = build_icmp(d, L4H_PEER, L4H_HOST, IB_ICMP_ECHO_REPLY, 0, 0x42420007u, payload, 56);
    l4h_inject(h, d, n);
    assert_int_equal(seen.replies, 1);
    assert_int_equal(h->s.node.drops[IB_DROP_ICMP_UNHANDLED], 2);
    assert_int_equal(ib_icmp_echo_send(&ep, L4H_PEER, 1, 1, 0), IB_ERR_INVAL);
    l4h_free(h);
}

/* RFC 1122 §3.2.2.4: a time exceeded quoting one of our echo requests
 * reaches the endpoint (what traceroute over ICMP needs). */
static void test_echo_error_delivered(void **state)
{
    (void)state;
    struct l4h *h = l4h_new();
    struct echo_seen seen = {0};
    struct ib_icmp_echo ep = {0};
    ib_icmp_echo_open(&h->s, &ep, 0x4242);
    ep.reply = on_reply;
    ep.error = on_error;
    ep.arg = &seen;

    /* The quoted request: our IP header and the first 8 ICMP bytes. */
    uint8_t q[28];
    l4h_ip(q, L4H_HOST, IB_IP4(8, 8, 8, 8), IB_IPPROTO_ICMP, 0, 64);
    q[20] = IB_ICMP_ECHO_REQUEST;
    q[21] = 0;
    ib_put16(q + 22, 0x1111); /* the checksum of the full request: anything */
    ib_put32(q + 24, 0x42420009u);
    uint8_t d[100];
    size_t n = build_icmp(d, L4H_GW, L4H_HOST, IB_ICMP_TIME_EXCEEDED, IB_ICMP_EXC_TTL, 0, q, 28);
    l4h_inject(h, d, n);
    assert_int_equal(seen.errors, 1);
    assert_int_equal(seen.from, L4H_GW);
    assert_int_equal(seen.type, IB_ICMP_TIME_EXCEEDED);
    assert_int_equal(seen.code, IB_ICMP_EXC_TTL);
    assert_int_equal(seen.seq, 9);
    assert_int_equal(h->icmp_rx.type, IB_ICMP_TIME_EXCEEDED);

    /* RFC 792: less than the IP header and 64 bits of data cannot be
     * matched: dropped as truncated. */
    n = build_icmp(d, L4H_GW, L4H_HOST, IB_ICMP_DEST_UNREACH, IB_ICMP_UNREACH_HOST, 0, q, 27);
    l4h_inject(h, d, n);
    uint8_t bad[28];
    memcpy(bad, q, sizeof(bad));
    bad[0] = 0x4f; /* IHL 60 bytes, beyond the quote */
    n = build_icmp(d, L4H_GW, L4H_HOST, IB_ICMP_DEST_UNREACH, IB_ICMP_UNREACH_HOST, 0, bad, 28);
    l4h_inject(h, d, n);
    assert_int_equal(seen.errors, 1);
    assert_int_equal(h->s.node.drops[IB_DROP_ICMP_TRUNCATED], 2);

    /* A quote of another identifier, or of a protocol nobody handles. */
    ib_put32(q + 24, 0x43430009u);
    n = build_icmp(d, L4H_GW, L4H_HOST, IB_ICMP_DEST_UNREACH, IB_ICMP_UNREACH_HOST, 0, q, 28);
    l4h_inject(h, d, n);
    q[9] = 132; /* SCTP: no transport here handles it */
    n = build_icmp(d, L4H_GW, L4H_HOST, IB_ICMP_DEST_UNREACH, IB_ICMP_UNREACH_HOST, 0, q, 28);
    l4h_inject(h, d, n);
    assert_int_equal(seen.errors, 1);
    assert_int_equal(h->s.node.drops[IB_DROP_ICMP_UNHANDLED], 2);
    assert_int_equal(h->n_out, 0);
    ib_icmp_echo_close(&ep);
    l4h_free(h);
}

/* RFC 1122 §3.2.2: unknown types are discarded; bad checksums too. Neither
 * is ever answered. */
static void test_unknown_and_bad(void **state)
{
    (void)state;
    struct l4h *h = l4h_new();
    uint8_t d[100];
    uint8_t data[12] = {0};
    size_t n = build_icmp(d, L4H_PEER, L4H_HOST, 13 /* timestamp */, 0, 0x00010001u, data, 12);
    l4h_inject(h, d, n);
    assert_int_equal(h->s.node.drops[IB_DROP_ICMP_UNHANDLED], 1);
    memcpy(d, echo_req_dgram, sizeof(echo_req_dgram));
    d[59] ^= 0x40;
    l4h_inject(h, d, sizeof(echo_req_dgram));
    assert_int_equal(h->s.node.drops[IB_DROP_ICMP_BAD_CHECKSUM], 1);
    l4h_ip(d, L4H_PEER, L4H_HOST, IB_IPPROTO_ICMP, 0, 4);
    l4h_inject(h, d, 24);
    assert_int_equal(h->s.node.drops[IB_DROP_ICMP_TRUNCATED], 1);
    assert_int_equal(h->n_out, 0);
    assert_int_equal(h->s.icmp_stats.in, 3);
    l4h_free(h);
}

/* A datagram to build errors about: data at its IP header. */
struct orig {
    ib_ip4 src, dst;
    uint8_t proto;
    uint16_t frag;
    uint16_t flags;
    size_t plen;
    uint8_t icmp_type; /* first payload byte */
};

/* Calls ib_icmp_error about o and returns how many frames went out. */
static unsigned error_about(struct l4h *h, const struct orig *o)
{
    uint8_t d[1600] = {0};
    assert_true(o->plen + 20 <= sizeof(d));
    l4h_ip(d, o->src, o->dst, o->proto, o->frag, o->plen);
    for (size_t i = 0; i < o->plen; i++)
        d[20 + i] = (uint8_t)(0x30 + i);
    if (o->plen)
        d[20] = o->icmp_type;
    struct ib_pkt *p = ib_pkt_from(h->env.pool, d, 20 + o->plen);
    assert_non_null(p);
    p->flags = o->flags;
    l4h_clear(h);
    ib_icmp_error(&h->s, p, IB_ICMP_DEST_UNREACH, IB_ICMP_UNREACH_PORT, 0);
    /* ib_icmp_error does not consume the original. */
    assert_int_equal(p->refs, 1);
    ib_pkt_free(p);
    return h->n_out;
}

/* RFC 1122 §3.2.2, RFC 1812 §4.3.2.7: "An ICMP error message MUST NOT be
 * sent as the result of receiving" errors, broadcasts (IP or link),
 * non-initial fragments or datagrams from a source that is not one host. */
static void test_error_rules(void **state)
{
    (void)state;
    struct l4h *h = l4h_new();
    const struct orig ok = {.src = L4H_PEER, .dst = L4H_HOST, .proto = IB_IPPROTO_UDP, .plen = 12};
    struct orig o = ok;
    assert_int_equal(error_about(h, &o), 1);

    /* ICMP queries get errors, ICMP errors (and unknown types) do not. */
    o.proto = IB_IPPROTO_ICMP;
    const uint8_t queries[] = {0, 8, 13, 14, 17};
    for (unsigned i = 0; i < IB_ARRAY_LEN(queries); i++) {
        o.icmp_type = queries[i];
        assert_int_equal(error_about(h, &o), 1);
    }
    const uint8_t errors[] = {3, 4, 5, 11, 12, 42};
    for (unsigned i = 0; i < IB_ARRAY_LEN(errors); i++) {
        o.icmp_type = errors[i];
        assert_int_equal(error_about(h, &o), 0);
    }
    o.plen = 0; /* no type byte to tell */
    assert_int_equal(error_about(h, &o), 0);

    /* Only the first fragment. */
    o = ok;
    o.frag = IB_IP4_MF;
    assert_int_equal(error_about(h, &o), 1);
    o.frag = IB_IP4_MF | 185;
    assert_int_equal(error_about(h, &o), 0);
    o.frag = 1;
    assert_int_equal(error_about(h, &o), 0);

    /* Link-layer broadcast or multicast. */
    o = ok;
    o.flags = IB_PKT_F_LINK_BCAST;
    assert_int_equal(error_about(h, &o), 0);
    o.flags = IB_PKT_F_LINK_MCAST;
    assert_int_equal(error_about(h, &o), 0);

    /* IP broadcast or multicast destination. */
    const ib_ip4 bad_dst[] = {IB_IP4_BROADCAST, IB_IP4(10, 0, 0, 255), IB_IP4(224, 0, 0, 1),
                              IB_IP4(239, 255, 255, 250)};
    for (unsigned i = 0; i < IB_ARRAY_LEN(bad_dst); i++) {
        o = ok;
        o.dst = bad_dst[i];
        assert_int_equal(error_about(h, &o), 0);
    }
    /* Sources that are not one host. */
    const ib_ip4 bad_src[] = {0,
                              IB_IP4(0, 1, 2, 3),
                              IB_IP4(127, 0, 0, 1),
                              IB_IP4(224, 0, 0, 5),
                              IB_IP4(240, 0, 0, 1),
                              IB_IP4_BROADCAST,
                              IB_IP4(10, 0, 0, 255)};
    for (unsigned i = 0; i < IB_ARRAY_LEN(bad_src); i++) {
        o = ok;
        o.src = bad_src[i];
        assert_int_equal(error_about(h, &o), 0);
    }
    /* None of the refusals spent a token or counted an error. */
    assert_int_equal(h->s.icmp_stats.errors_out, 1 + IB_ARRAY_LEN(queries) + 1);
    assert_int_equal(h->s.icmp_stats.rate_limited, 0);
    l4h_free(h);
}

/* RFC 1812 §4.3.2.3: as much of the original as fits in 576 bytes; RFC
 * 1122 §3.2.2: unchanged; zero TOS; the error goes to the original source,
 * from our address when the original was for us, else from the outgoing
 * interface (RFC 1812 §4.3.2.4). */
static void test_error_content(void **state)
{
    (void)state;
    struct l4h *h = l4h_new();
    struct orig o = {.src = L4H_PEER, .dst = L4H_HOST, .proto = IB_IPPROTO_UDP, .plen = 1000};
    assert_int_equal(error_about(h, &o), 1);
    struct ib_ip4_hdr ip;
    size_t len;
    const uint8_t *m = l4h_out_l4(h, 0, &ip, &len);
    assert_int_equal(ip.tot_len, 576);
    assert_int_equal(ip.tos, 0);
    assert_int_equal(ip.proto, IB_IPPROTO_ICMP);
    assert_int_equal(ip.src, L4H_HOST);
    assert_int_equal(ip.dst, L4H_PEER);
    struct ib_icmp_hdr r;
    assert_int_equal(ib_icmp_parse(m, len, &r), 0);
    assert_int_equal(r.type, IB_ICMP_DEST_UNREACH);
    assert_int_equal(r.code, IB_ICMP_UNREACH_PORT);
    assert_int_equal(r.rest, 0);
    uint8_t d[1020];
    l4h_ip(d, o.src, o.dst, o.proto, 0, o.plen);
    for (size_t i = 0; i < o.plen; i++)
        d[20 + i] = (uint8_t)(0x30 + i);
    d[20] = 0;
    assert_memory_equal(m + 8, d, 548);
    assert_int_equal(h->icmp_tx.type, IB_ICMP_DEST_UNREACH);
    assert_int_equal(h->icmp_tx.code, IB_ICMP_UNREACH_PORT);

    /* A datagram passing through (not for us), from off-link: the error
     * goes via the gateway, from our interface's address. */
    o = (struct orig){.src = IB_IP4(192, 0, 2, 7), .dst = IB_IP4(198, 51, 100, 1),
                      .proto = IB_IPPROTO_UDP, .plen = 8};
    assert_int_equal(error_about(h, &o), 1);
    assert_memory_equal(h->out[0]->data, l4h_gw_mac.b, 6);
    m = l4h_out_l4(h, 0, &ip, &len);
    assert_int_equal(ip.tot_len, 20 + 8 + 28);
    assert_int_equal(ip.src, L4H_HOST);
    assert_int_equal(ip.dst, IB_IP4(192, 0, 2, 7));
    assert_int_equal(h->s.icmp_stats.errors_out, 2);

    /* Multihomed: a datagram for our other address, whose sender is
     * reached through eth0, is answered from the address it was sent to. */
    struct ib_netif eth1;
    ib_netif_init(&eth1, &h->s.node, "eth1", &l4h_gw_mac);
    eth1.ops = h->nif.ops;
    eth1.drv = h;
    assert_int_equal(ib_stack_add_netif(&h->s, &eth1), 0);
    assert_int_equal(ib_stack_set_addr(&h->s, &eth1, IB_IP4(10, 1, 0, 1), 24), 0);
    o = (struct orig){.src = L4H_PEER, .dst = IB_IP4(10, 1, 0, 1), .proto = IB_IPPROTO_UDP,
                      .plen = 8};
    assert_int_equal(error_about(h, &o), 1);
    assert_memory_equal(h->out[0]->data, l4h_peer_mac.b, 6);
    m = l4h_out_l4(h, 0, &ip, &len);
    assert_int_equal(ip.src, IB_IP4(10, 1, 0, 1));
    assert_int_equal(ip.dst, L4H_PEER);
    l4h_free(h);
}

/* RFC 1812 §4.3.2.8: errors are rate limited by a token bucket of
 * ib_icmp_defaults.burst tokens refilled at .rate per second. */
static void test_rate_limit(void **state)
{
    (void)state;
    assert_int_equal(ib_icmp_defaults.rate, 1000);
    assert_int_equal(ib_icmp_defaults.burst, 50);
    struct l4h *h = l4h_new();
    const struct orig o = {.src = L4H_PEER, .dst = L4H_HOST, .proto = IB_IPPROTO_UDP, .plen = 8};
    unsigned sent = 0;
    for (unsigned i = 0; i < 60; i++)
        sent += error_about(h, &o);
    assert_int_equal(sent, 50);
    assert_int_equal(h->s.icmp_stats.rate_limited, 10);
    assert_int_equal(h->s.node.drops[IB_DROP_ICMP_RATE_LIMIT], 10);

    /* 10 ms later: 10 more tokens. */
    ib_evq_run_until(h->q, IB_MS(10));
    sent = 0;
    for (unsigned i = 0; i < 15; i++)
        sent += error_about(h, &o);
    assert_int_equal(sent, 10);
    /* Half a millisecond gives half a token: still nothing. */
    ib_evq_run_until(h->q, IB_MS(10) + IB_US(500));
    assert_int_equal(error_about(h, &o), 0);
    ib_evq_run_until(h->q, IB_MS(11));
    assert_int_equal(error_about(h, &o), 1);

    /* A long pause refills the bucket to its size, not beyond. */
    ib_evq_run_until(h->q, IB_SEC(10));
    sent = 0;
    for (unsigned i = 0; i < 100; i++)
        sent += error_about(h, &o);
    assert_int_equal(sent, 50);
    assert_int_equal(h->s.icmp_stats.errors_out, 50 + 10 + 1 + 50);
    assert_int_equal(h->s.icmp_stats.rate_limited, 10 + 5 + 1 + 50);
    l4h_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_emit),
        cmocka_unit_test(test_echo_request_answered),
        cmocka_unit_test(test_echo_broadcast_ignored),
        cmocka_unit_test(test_echo_reply_all_zero),
        cmocka_unit_test(test_echo_endpoint),
        cmocka_unit_test(test_echo_error_delivered),
        cmocka_unit_test(test_unknown_and_bad),
        cmocka_unit_test(test_error_rules),
        cmocka_unit_test(test_error_content),
        cmocka_unit_test(test_rate_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
