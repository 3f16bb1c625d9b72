/* IPv4 header parsing and emission (RFC 791 §3.1), input validation with a
 * drop reason per failure (RFC 1122 §3.2.1), local delivery, output,
 * fragmentation (RFC 791 §3.2) and loopback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ip_harness.h"

/* A real UDP datagram header, 192.168.0.1 -> 192.168.0.199, total length
 * 115, DF, TTL 64, checksum 0xb861 (checked with Python's one's-complement
 * sum over the ten 16-bit words). */
static const uint8_t vec_hdr[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                                    0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};

static void test_parse_emit_vector(void **state)
{
    (void)state;
    uint8_t b[115 + 6] = {0};
    memcpy(b, vec_hdr, 20);
    struct ib_ip4_hdr h;
    /* RFC 894 padding after the datagram is allowed. */
    assert_int_equal(ib_ip4_parse(b, sizeof(b), &h), 0);
    assert_int_equal(h.hlen, 20);
    assert_int_equal(h.tos, 0);
    assert_int_equal(h.tot_len, 115);
    assert_int_equal(h.id, 0);
    assert_int_equal(h.frag, IB_IP4_DF);
    assert_int_equal(h.ttl, 64);
    assert_int_equal(h.proto, IB_IPPROTO_UDP);
    assert_int_equal(h.csum, 0xb861);
    assert_int_equal(h.src, IB_IP4(192, 168, 0, 1));
    assert_int_equal(h.dst, IB_IP4(192, 168, 0, 199));
    assert_false(ib_ip4_is_fragment(&h));

    uint8_t out[20];
    memset(out, 0xaa, sizeof(out));
    h.csum = 0; /* emit computes it */
    ib_ip4_emit(&h, out);
    assert_memory_equal(out, vec_hdr, 20);
}

static void test_fragment_fields(void **state)
{
    (void)state;
    struct ib_ip4_hdr h = {.frag = IB_IP4_MF | 185};
    assert_int_equal(ib_ip4_frag_offset(&h), 1480);
    assert_true(ib_ip4_is_fragment(&h));
    h.frag = 370;
    assert_true(ib_ip4_is_fragment(&h));
    h.frag = IB_IP4_DF;
    assert_false(ib_ip4_is_fragment(&h));
}

/* Rewrites the checksum after a test changed header bytes. */
static void fix_csum(uint8_t *b)
{
    size_t hlen = (size_t)(b[0] & 0xf) * 4;
    ib_put16(b + 10, 0);
    ib_put16(b + 10, ib_csum(b, hlen));
}

static void test_parse_failures(void **state)
{
    (void)state;
    uint8_t b[64];
    struct ib_ip4_hdr h;
    memcpy(b, vec_hdr, 20);
    ib_put16(b + 2, 20);
    fix_csum(b);
    assert_int_equal(ib_ip4_parse(b, 20, &h), 0);
    assert_int_equal(ib_ip4_parse(b, 19, &h), IB_DROP_IP_TRUNCATED);
    assert_int_equal(ib_ip4_parse(b, 0, &h), IB_DROP_IP_TRUNCATED);

    b[0] = 0x65; /* RFC 1122 §3.2.1.1 */
    fix_csum(b);
    assert_int_equal(ib_ip4_parse(b, 20, &h), IB_DROP_IP_BAD_VERSION);
    b[0] = 0x44; /* IHL 4 < 5 */
    ib_put16(b + 10, 0);
    assert_int_equal(ib_ip4_parse(b, 20, &h), IB_DROP_IP_BAD_IHL);
    b[0] = 0x46; /* 24-byte header in 20 bytes */
    assert_int_equal(ib_ip4_parse(b, 20, &h), IB_DROP_IP_TRUNCATED);

    b[0] = 0x45;
    ib_put16(b + 2, 19); /* shorter than the header */
    fix_csum(b);
    assert_int_equal(ib_ip4_parse(b, 20, &h), IB_DROP_IP_BAD_LENGTH);
    ib_put16(b + 2, 21); /* beyond the frame */
    fix_csum(b);
    assert_int_equal(ib_ip4_parse(b, 20, &h), IB_DROP_IP_BAD_LENGTH);

    ib_put16(b + 2, 20);
    fix_csum(b);
    b[11] ^= 1; /* RFC 1122 §3.2.1.2 */
    assert_int_equal(ib_ip4_parse(b, 20, &h), IB_DROP_IP_BAD_CHECKSUM);
}

/* A header with options opts (olen bytes, a multiple of 4). */
static size_t with_options(uint8_t *b, const uint8_t *opts, size_t olen)
{
    memcpy(b, vec_hdr, 20);
    memcpy(b + 20, opts, olen);
    b[0] = (uint8_t)(0x40 | (20 + olen) / 4);
    ib_put16(b + 2, (uint16_t)(20 + olen));
    fix_csum(b);
    return 20 + olen;
}

static void test_parse_options(void **state)
{
    (void)state;
    uint8_t b[60];
    struct ib_ip4_hdr h;
    /* RFC 791 §3.1: NOP, record route (7, length 7, pointer 4), EOL. */
    static const uint8_t ok[] = {1, 7, 7, 4, 0, 0, 0, 0, 0, 0, 0, 0};
    size_t n = with_options(b, ok, sizeof(ok));
    assert_int_equal(ib_ip4_parse(b, n, &h), 0);
    assert_int_equal(h.hlen, 32);
    /* An unknown option is ignored (RFC 1122 §3.2.1.8). */
    static const uint8_t unknown[] = {0x9e, 4, 0xab, 0xcd};
    n = with_options(b, unknown, sizeof(unknown));
    assert_int_equal(ib_ip4_parse(b, n, &h), 0);

    static const uint8_t bad[][4] = {
        {0x9e, 0, 0, 0}, /* length below 2 */
        {0x9e, 1, 0, 0}, /* length below 2 */
        {1, 1, 0x9e, 5}, /* runs past the header */
        {1, 1, 1, 0x9e}, /* no room for the length octet */
        {7, 2, 0, 0},    /* record route without its pointer */
        {68, 3, 5, 0},   /* timestamp shorter than 4 */
    };
    for (size_t i = 0; i < IB_ARRAY_LEN(bad); i++) {
        n = with_options(b, bad[i], 4);
        assert_int_equal(ib_ip4_parse(b, n, &h), IB_DROP_IP_BAD_OPTIONS);
    }
}

static const ib_ip4 host_addr = IB_IP4(10, 0, 0, 1);
static const ib_ip4 peer_addr = IB_IP4(10, 0, 0, 2);

static struct ih *host(void)
{
    struct ih *t = ih_new(NULL);
    ih_add_nif(t, host_addr, 24);
    assert_int_equal(ib_arp_set(&t->nif[0], peer_addr, ih_peer_mac(0)), IB_OK);
    return t;
}

/* Every malformed or unwanted datagram is counted under its own reason. */
static void test_input_drop_reasons(void **state)
{
    (void)state;
    struct ih *t = host();
    struct ib_netif *n = &t->nif[0];
    uint8_t b[128];
    struct {
        enum ib_drop why;
        ib_ip4 src, dst;
        int mangle;
    } cases[] = {
        {IB_DROP_IP_TRUNCATED, peer_addr, host_addr, 1},
        {IB_DROP_IP_BAD_VERSION, peer_addr, host_addr, 2},
        {IB_DROP_IP_BAD_IHL, peer_addr, host_addr, 3},
        {IB_DROP_IP_BAD_LENGTH, peer_addr, host_addr, 4},
        {IB_DROP_IP_BAD_CHECKSUM, peer_addr, host_addr, 5},
        {IB_DROP_IP_BAD_OPTIONS, peer_addr, host_addr, 6},
        /* RFC 1122 §3.2.1.3: no broadcast, multicast or loopback source. */
        {IB_DROP_IP_BAD_SRC, IB_IP4_BROADCAST, host_addr, 0},
        {IB_DROP_IP_BAD_SRC, IB_IP4(224, 0, 0, 1), host_addr, 0},
        {IB_DROP_IP_BAD_SRC, IB_IP4(127, 0, 0, 1), host_addr, 0},
        /* ... and 0.0.0.0 only toward the limited broadcast (RFC 2131 §4.1) */
        {IB_DROP_IP_BAD_SRC, 0, host_addr, 0},
        {IB_DROP_IP_BAD_SRC, IB_IP4(0, 0, 0, 7), IB_IP4_BROADCAST, 0},
        /* RFC 1812 §5.3.7: nor our network's directed broadcast */
        {IB_DROP_IP_BAD_SRC, IB_IP4(10, 0, 0, 255), host_addr, 0},
        /* RFC 1122 §3.3.4.2: a host drops what is not addressed to it. */
        {IB_DROP_IP_NOT_FOR_US, peer_addr, IB_IP4(10, 0, 1, 1), 0},
        {IB_DROP_IP_NOT_FOR_US, peer_addr, IB_IP4(224, 0, 0, 9), 0},
        /* RFC 1122 §3.3.6: a link-layer broadcast to a unicast address. */
        {IB_DROP_IP_NOT_FOR_US, peer_addr, host_addr, 7},
    };
    for (size_t i = 0; i < IB_ARRAY_LEN(cases); i++) {
        size_t len = ih_dgram(b, cases[i].src, cases[i].dst, IB_IPPROTO_UDP, 1, 0, 64, 8, 0);
        uint16_t flags = 0;
        switch (cases[i].mangle) {
        case 1:
            len = 19;
            break;
        case 2:
            b[0] = 0x55;
            break;
        case 3:
            b[0] = 0x43;
            break;
        case 4:
            len = 27;
            break;
        case 5:
            b[10] ^= 0x80;
            break;
        case 6: {
            static const uint8_t o[] = {0x9e, 9, 0, 0};
            len = with_options(b, o, sizeof(o));
            break;
        }
        case 7:
            flags = IB_PKT_F_LINK_BCAST;
            break;
        default:
            break;
        }
        uint32_t before = ih_drops(t, cases[i].why);
        struct ib_pkt *p = ih_pkt(t, b, len);
        p->flags = flags;
        ib_ip4_input(n, p);
        assert_int_equal(ih_drops(t, cases[i].why), before + 1);
    }
    assert_int_equal(t->s.ip_stats.in, IB_ARRAY_LEN(cases));
    assert_int_equal(t->s.ip_stats.delivered, 0);
    assert_int_equal(ih_count(t, IB_EV_DROP), IB_ARRAY_LEN(cases));
    assert_int_equal(t->fr[0].n, 0); /* no ICMP about any of them */
    ih_free(t);
}

/* Checks an ICMP error frame from the host to the peer quoting orig. */
static void assert_icmp_error(const struct ib_pkt *f, const struct ib_mac *to, ib_ip4 src,
                              ib_ip4 dst, uint8_t type, uint8_t code, const uint8_t *orig,
                              size_t qlen)
{
    struct ib_ip4_hdr h;
    const uint8_t *ip = ih_frame_ip(f, to, &h);
    assert_int_equal(h.proto, IB_IPPROTO_ICMP);
    assert_int_equal(h.src, src);
    assert_int_equal(h.dst, dst);
    const uint8_t *icmp = ip + h.hlen;
    size_t ilen = h.tot_len - h.hlen;
    assert_int_equal(icmp[0], type);
    assert_int_equal(icmp[1], code);
    assert_int_equal(ib_csum(icmp, ilen), 0);
    assert_true(ilen >= 8 + qlen);
    assert_memory_equal(icmp + 8, orig, qlen);
}

/* RFC 1122 §3.2.2.1: protocol unreachable for an unsupported protocol. */
static void test_unknown_protocol(void **state)
{
    (void)state;
    struct ih *t = host();
    uint8_t b[64];
    size_t len = ih_dgram(b, peer_addr, host_addr, 253, 77, 0, 64, 12, 3);
    ib_ip4_input(&t->nif[0], ih_pkt(t, b, len));
    assert_int_equal(ih_drops(t, IB_DROP_IP_UNKNOWN_PROTO), 1);
    assert_int_equal(t->fr[0].n, 1);
    assert_icmp_error(t->fr[0].f[0], ih_peer_mac(0), host_addr, peer_addr, IB_ICMP_DEST_UNREACH,
                      IB_ICMP_UNREACH_PROTO, b, len);
    ih_free(t);
}

/* An echo request with Ethernet padding after it: IP trims to the total
 * length, so the reply echoes exactly the request's data. */
static void test_deliver_trims_padding(void **state)
{
    (void)state;
    struct ih *t = host();
    uint8_t b[64] = {0};
    ih_dgram(b, peer_addr, host_addr, IB_IPPROTO_ICMP, 5, 0, 64, 12, 0);
    uint8_t *icmp = b + 20;
    memset(icmp, 0, 12);
    icmp[0] = IB_ICMP_ECHO_REQUEST;
    ib_put32(icmp + 4, 0x12340001);
    memcpy(icmp + 8, "ping", 4);
    ib_put16(icmp + 2, ib_csum(icmp, 12));
    struct ib_pkt *p = ih_pkt(t, b, 46); /* 32 + 14 bytes of padding */
    ib_ip4_input(&t->nif[0], p);
    assert_int_equal(t->s.ip_stats.delivered, 1);
    assert_int_equal(ih_count(t, IB_EV_IP_RX), 1);
    assert_int_equal(t->fr[0].n, 1);
    struct ib_ip4_hdr h;
    const uint8_t *ip = ih_frame_ip(t->fr[0].f[0], ih_peer_mac(0), &h);
    assert_int_equal(h.tot_len, 32);
    assert_int_equal(ip[20], IB_ICMP_ECHO_REPLY);
    assert_memory_equal(ip + 24, icmp + 4, 8);
    ih_free(t);
}

/* A router still receives datagrams for itself with TTL 1 or 0 (RFC 1812
 * §5.3.1), and the weak end-system model accepts any of its addresses on
 * any interface (RFC 1122 §3.3.4.2). */
static void test_local_addresses(void **state)
{
    (void)state;
    struct ih *t = ih_router();
    ih_add_nif(t, IB_IP4(10, 0, 0, 1), 24);
    ih_add_nif(t, IB_IP4(10, 0, 9, 1), 30);
    ih_add_nif(t, IB_IP4(10, 0, 7, 0), 31);
    const struct ib_stack *s = &t->s;
    assert_true(ib_ip4_is_local(s, IB_IP4(10, 0, 0, 1)));
    assert_true(ib_ip4_is_local(s, IB_IP4(10, 0, 9, 1)));
    assert_true(ib_ip4_is_local(s, IB_IP4(10, 0, 0, 255)));
    assert_true(ib_ip4_is_local(s, IB_IP4(10, 0, 9, 3)));
    assert_true(ib_ip4_is_local(s, IB_IP4_BROADCAST));
    assert_false(ib_ip4_is_local(s, IB_IP4(10, 0, 0, 2)));
    /* RFC 3021 §2.2: a /31 has no broadcast; 10.0.7.1 is the peer. */
    assert_false(ib_ip4_is_local(s, IB_IP4(10, 0, 7, 1)));
    assert_false(ib_ip4_is_local(s, IB_IP4(224, 0, 0, 1)));

    assert_int_equal(ib_ip4_source_for(&t->s, IB_IP4(10, 0, 9, 2)), IB_IP4(10, 0, 9, 1));
    assert_int_equal(ib_ip4_source_for(&t->s, IB_IP4(10, 0, 0, 1)), IB_IP4(10, 0, 0, 1));
    assert_int_equal(ib_ip4_source_for(&t->s, IB_IP4(8, 8, 8, 8)), 0);
    assert_int_equal(ib_ip4_source_for(&t->s, IB_IP4_BROADCAST), IB_IP4(10, 0, 0, 1));

    assert_int_equal(ib_arp_set(&t->nif[0], IB_IP4(10, 0, 0, 2), ih_peer_mac(0)), IB_OK);
    uint8_t b[64] = {0};
    ih_dgram(b, IB_IP4(10, 0, 0, 2), IB_IP4(10, 0, 9, 1), IB_IPPROTO_ICMP, 5, 0, 1, 8, 0);
    b[20] = IB_ICMP_ECHO_REQUEST;
    memset(b + 21, 0, 7);
    ib_put16(b + 22, ib_csum(b + 20, 8));
    ib_ip4_input(&t->nif[0], ih_pkt(t, b, 28));
    assert_int_equal(t->s.ip_stats.delivered, 1);
    assert_int_equal(t->s.ip_stats.forwarded, 0);
    assert_int_equal(t->fr[0].n, 1); /* the echo reply */

    /* A DHCP client's 0.0.0.0 -> 255.255.255.255 is received (RFC 2131
     * §4.1); protocol 253 then finds no taker, and earns no ICMP. */
    ih_dgram(b, 0, IB_IP4_BROADCAST, 253, 6, 0, 64, 8, 0);
    struct ib_pkt *p = ih_pkt(t, b, 28);
    p->flags = IB_PKT_F_LINK_BCAST;
    ib_ip4_input(&t->nif[1], p);
    assert_int_equal(ih_drops(t, IB_DROP_IP_UNKNOWN_PROTO), 1);
    assert_int_equal(ih_drops(t, IB_DROP_IP_BAD_SRC), 0);
    assert_int_equal(t->fr[0].n + t->fr[1].n, 1);
    ih_free(t);
}

/* Output: header fields, source from the interface, identification from
 * the stack's counter, default TTL. */
static void test_output_header(void **state)
{
    (void)state;
    struct ih *t = host();
    uint16_t id = t->s.ip_id;
    struct ib_pkt *p = ib_pkt_alloc(t->h.env.pool, IB_PKT_HEADROOM, 10);
    memcpy(p->data, "0123456789", 10);
    struct ib_ip4_tx tx = {.dst = peer_addr, .proto = IB_IPPROTO_UDP, .tos = 0x10, .df = true};
    assert_int_equal(ib_ip4_output(&t->s, p, &tx), 0);
    assert_int_equal(t->fr[0].n, 1);
    const struct ib_pkt *f = t->fr[0].f[0];
    uint8_t want[14 + 30];
    /* Ethernet II: to the peer's MAC, from eth0's, type IPv4 */
    static const uint8_t eth[14] = {2, 0xee, 0, 0, 0, 0x10, 2, 0, 0, 0, 0, 0, 0x08, 0x00};
    /* RFC 791 §3.1: version 4, IHL 5, TOS 0x10, total length 30,
     * identification (the stack's next), DF, TTL 64, UDP, checksum (computed
     * below), 10.0.0.1 -> 10.0.0.2 */
    static const uint8_t ip[20] = {0x45, 0x10, 0,  30, 0, 0, 0x40, 0, 64, 17,
                                   0,    0,    10, 0,  0, 1, 10,   0, 0,  2};
    memcpy(want, eth, 14);
    memcpy(want + 14, ip, 20);
    ib_put16(want + 18, id);
    ib_put16(want + 24, ib_csum(want + 14, 20));
    memcpy(want + 34, "0123456789", 10);
    assert_true(f->len >= sizeof(want));
    assert_memory_equal(f->data, want, sizeof(want));
    assert_int_equal(t->s.ip_id, (uint16_t)(id + 1));
    assert_int_equal(t->s.ip_stats.out, 1);
    assert_int_equal(ih_count(t, IB_EV_IP_TX), 1);
    assert_int_not_equal(f->journey, 0);

    /* An explicit source and TTL are kept. */
    p = ib_pkt_alloc(t->h.env.pool, IB_PKT_HEADROOM, 1);
    tx = (struct ib_ip4_tx){.src = IB_IP4(10, 0, 0, 99), .dst = peer_addr, .proto = 99, .ttl = 3};
    assert_int_equal(ib_ip4_output(&t->s, p, &tx), 0);
    struct ib_ip4_hdr h;
    ih_frame_ip(t->fr[0].f[1], ih_peer_mac(0), &h);
    assert_int_equal(h.src, IB_IP4(10, 0, 0, 99));
    assert_int_equal(h.ttl, 3);
    assert_int_equal(h.frag, 0);
    ih_free(t);
}

static void test_output_errors(void **state)
{
    (void)state;
    struct ih *t = host();
    struct ib_ip4_tx tx = {.dst = IB_IP4(192, 0, 2, 1), .proto = IB_IPPROTO_UDP};
    struct ib_pkt *p = ib_pkt_alloc(t->h.env.pool, IB_PKT_HEADROOM, 8);
    assert_int_equal(ib_ip4_output(&t->s, p, &tx), IB_ERR_NOROUTE);
    assert_int_equal(ih_drops(t, IB_DROP_IP_NO_ROUTE), 1);

    /* RFC 1122 §3.2.1.3 (g): loopback addresses never leave the host, even
     * with a default route. */
    assert_int_equal(ib_stack_add_route(&t->s, 0, 0, peer_addr, NULL), 0);
    tx.dst = IB_IP4(127, 0, 0, 1);
    p = ib_pkt_alloc(t->h.env.pool, IB_PKT_HEADROOM, 8);
    assert_int_equal(ib_ip4_output(&t->s, p, &tx), IB_ERR_NOROUTE);
    assert_int_equal(ih_drops(t, IB_DROP_IP_NO_ROUTE), 2);

    /* Too big with DF: the caller learns it, nothing is sent. */
    tx.dst = IB_IP4(192, 0, 2, 1);
    tx.df = true;
    p = ib_pkt_alloc(t->h.env.pool, IB_PKT_HEADROOM, 1481);
    assert_int_equal(ib_ip4_output(&t->s, p, &tx), IB_ERR_TOOBIG);
    assert_int_equal(ih_drops(t, IB_DROP_IP_DF_TOO_BIG), 1);

    /* RFC 791 §3.1: no datagram beyond 65535 octets. */
    tx.df = false;
    p = ib_pkt_alloc(t->h.env.pool, IB_PKT_HEADROOM, 65516);
    assert_int_equal(ib_ip4_output(&t->s, p, &tx), IB_ERR_TOOBIG);
    assert_int_equal(ih_drops(t, IB_DROP_IP_BAD_LENGTH), 1);
    assert_int_equal(t->fr[0].n, 0);

    /* Through the default route: the frame goes to the gateway's MAC. */
    p = ib_pkt_alloc(t->h.env.pool, IB_PKT_HEADROOM, 8);
    assert_int_equal(ib_ip4_output(&t->s, p, &tx), 0);
    struct ib_ip4_hdr h;
    ih_frame_ip(t->fr[0].f[0], ih_peer_mac(0), &h);
    assert_int_equal(h.dst, IB_IP4(192, 0, 2, 1));
    ih_free(t);
}

/* The limited broadcast goes out the first interface with an address,
 * as a link-layer broadcast (RFC 1122 §3.3.6). */
static void test_output_limited_broadcast(void **state)
{
    (void)state;
    struct ih *t = ih_new(NULL);
    ih_add_nif(t, 0, 0);
    ih_add_nif(t, IB_IP4(10, 1, 0, 5), 16);
    struct ib_ip4_tx tx = {.dst = IB_IP4_BROADCAST, .proto = IB_IPPROTO_UDP};
    struct ib_pkt *p = ib_pkt_alloc(t->h.env.pool, IB_PKT_HEADROOM, 8);
    assert_int_equal(ib_ip4_output(&t->s, p, &tx), 0);
    assert_int_equal(t->fr[0].n, 0);
    assert_int_equal(t->fr[1].n, 1);
    struct ib_ip4_hdr h;
    ih_frame_ip(t->fr[1].f[0], &ib_mac_broadcast, &h);
    assert_int_equal(h.src, IB_IP4(10, 1, 0, 5));
    assert_int_equal(h.dst, IB_IP4_BROADCAST);
    ih_free(t);

    /* A DHCP client has no address yet: the first interface that is up. */
    t = ih_new(NULL);
    ih_add_nif(t, 0, 0);
    p = ib_pkt_alloc(t->h.env.pool, IB_PKT_HEADROOM, 8);
    assert_int_equal(ib_ip4_output(&t->s, p, &tx), 0);
    ih_frame_ip(t->fr[0].f[0], &ib_mac_broadcast, &h);
    assert_int_equal(h.src, 0);
    ih_free(t);
}

/* Reassembles captured fragments (Ethernet frames) and checks each: valid
 * header, offsets in 8-octet units, MF on all but the last, payload a
 * multiple of 8 except in the last, at most mtu long. Returns the count. */
static unsigned check_fragments(const struct lh_frames *fr, unsigned from, uint16_t mtu,
                                const uint8_t *orig, size_t orig_len, size_t first_hlen,
                                size_t other_hlen)
{
    uint8_t data[65536];
    size_t next = 0;
    unsigned n = 0;
    struct ib_ip4_hdr o;
    assert_int_equal(ib_ip4_parse(orig, orig_len, &o), 0);
    for (unsigned i = from; i < fr->n; i++, n++) {
        struct ib_ip4_hdr h;
        const uint8_t *ip = ih_frame_ip(fr->f[i], ih_peer_mac(0), &h);
        assert_true(h.tot_len <= mtu);
        assert_int_equal(h.hlen, i == from ? first_hlen : other_hlen);
        assert_int_equal(h.id, o.id);
        assert_int_equal(h.src, o.src);
        assert_int_equal(h.dst, o.dst);
        assert_int_equal(h.proto, o.proto);
        assert_int_equal(h.ttl, o.ttl);
        assert_int_equal(ib_ip4_frag_offset(&h), next);
        size_t len = h.tot_len - h.hlen;
        bool last = i + 1 == fr->n;
        assert_int_equal((h.frag & IB_IP4_MF) != 0, !last);
        if (!last) assert_int_equal(len % 8, 0);
        memcpy(data + next, ip + h.hlen, len);
        next += len;
    }
    assert_int_equal(next, orig_len - o.hlen);
    assert_memory_equal(data, orig + o.hlen, next);
    return n;
}

/* RFC 791 §3.2: a 3000-byte datagram at MTU 1500 and at 576. */
static void test_fragment_3000(void **state)
{
    (void)state;
    static const struct {
        uint16_t mtu;
        unsigned frags;
        uint16_t last_len;
    } cases[] = {{1500, 3, 40}, {576, 6, 240}};
    for (size_t c = 0; c < IB_ARRAY_LEN(cases); c++) {
        struct ih *t = host();
        t->nif[0].mtu = cases[c].mtu;
        uint16_t id = t->s.ip_id;
        struct ib_pkt *p = ib_pkt_alloc(t->h.env.pool, IB_PKT_HEADROOM, 2980);
        for (unsigned i = 0; i < 2980; i++)
            p->data[i] = (uint8_t)(i * 7);
        struct ib_ip4_tx tx = {.dst = peer_addr, .proto = IB_IPPROTO_UDP};
        assert_int_equal(ib_ip4_output(&t->s, p, &tx), 0);
        uint8_t orig[3000];
        ih_dgram(orig, host_addr, peer_addr, IB_IPPROTO_UDP, id, 0, 64, 0, 0);
        ib_put16(orig + 2, 3000);
        fix_csum(orig);
        for (unsigned i = 0; i < 2980; i++)
            orig[20 + i] = (uint8_t)(i * 7);
        assert_int_equal(check_fragments(&t->fr[0], 0, cases[c].mtu, orig, 3000, 20, 20),
                         cases[c].frags);
        struct ib_ip4_hdr h;
        ih_frame_ip(t->fr[0].f[t->fr[0].n - 1], ih_peer_mac(0), &h);
        assert_int_equal(h.tot_len, cases[c].last_len);
        assert_int_equal(t->s.ip_stats.frags_out, cases[c].frags);
        assert_int_equal(ih_count(t, IB_EV_IP_FRAGMENT), cases[c].frags);
        const struct ih_event *e = ih_nth(t, IB_EV_IP_FRAGMENT, 1);
        assert_int_equal(e->id, id);
        assert_int_equal(e->offset, (cases[c].mtu - 20) & ~7);
        assert_int_equal(e->count, cases[c].frags);
        assert_true(e->more);
        assert_false(ih_nth(t, IB_EV_IP_FRAGMENT, cases[c].frags - 1)->more);
        ih_free(t);
    }
}

/* RFC 791 §3.1: only options with the copied flag go into later fragments;
 * the first fragment keeps them all. Re-fragmenting a fragment keeps its
 * offset and, on the last piece, its MF flag (RFC 791 §3.2). */
static void test_fragment_options_and_refragment(void **state)
{
    (void)state;
    struct ih *t = host();
    t->nif[0].mtu = 576;
    /* record route (7, not copied, length 7), router alert (148, copied,
     * length 4), EOL. */
    static const uint8_t opts[] = {7, 7, 4, 0, 0, 0, 0, 148, 4, 0, 0, 0};
    uint8_t b[1232];
    ih_dgram(b, host_addr, peer_addr, IB_IPPROTO_UDP, 9, 0, 64, 0, 0);
    memcpy(b + 20, opts, sizeof(opts));
    b[0] = 0x48;
    ib_put16(b + 2, sizeof(b));
    fix_csum(b);
    for (unsigned i = 0; i < 1200; i++)
        b[32 + i] = (uint8_t)(i ^ 1);
    assert_int_equal(ib_ip4_send_on(&t->s, &t->nif[0], ih_pkt(t, b, 1232), peer_addr), 0);
    assert_int_equal(check_fragments(&t->fr[0], 0, 576, b, 1232, 32, 24), 3);
    struct ib_ip4_hdr h;
    const uint8_t *ip = ih_frame_ip(t->fr[0].f[1], ih_peer_mac(0), &h);
    static const uint8_t copied[] = {148, 4, 0, 0};
    assert_memory_equal(ip + 20, copied, 4);
    ip = ih_frame_ip(t->fr[0].f[0], ih_peer_mac(0), &h);
    assert_memory_equal(ip + 20, opts, sizeof(opts));
    lh_frames_clear(&t->fr[0]);

    /* A middle fragment (offset 1480, MF) cut again at 576. */
    uint8_t m[1500];
    ih_dgram(m, host_addr, peer_addr, IB_IPPROTO_UDP, 10, IB_IP4_MF | 185, 64, 1480, 2);
    assert_int_equal(ib_ip4_send_on(&t->s, &t->nif[0], ih_pkt(t, m, 1500), peer_addr), 0);
    assert_int_equal(t->fr[0].n, 3);
    static const uint16_t want_off[] = {1480, 2032, 2584};
    for (unsigned i = 0; i < 3; i++) {
        ih_frame_ip(t->fr[0].f[i], ih_peer_mac(0), &h);
        assert_int_equal(ib_ip4_frag_offset(&h), want_off[i]);
        assert_true(h.frag & IB_IP4_MF);
    }
    ih_free(t);
}

/* A datagram to one of our own addresses never reaches a driver; it is
 * delivered from the loopback queue at the same instant. */
struct echo_seen {
    unsigned n;
    ib_ip4 from;
    uint16_t seq;
};

static void on_reply(struct ib_icmp_echo *e, ib_ip4 from, uint16_t seq, uint8_t ttl,
                     const uint8_t *data, size_t len)
{
    (void)ttl;
    (void)data;
    (void)len;
    struct echo_seen *seen = e->arg;
    seen->n++;
    seen->from = from;
    seen->seq = seq;
}

static void test_loopback(void **state)
{
    (void)state;
    struct ih *t = host();
    struct echo_seen seen = {0};
    struct ib_icmp_echo e = {.reply = on_reply, .arg = &seen};
    ib_icmp_echo_open(&t->s, &e, 0x4242);
    assert_int_equal(ib_icmp_echo_send(&e, host_addr, 7, 16, 0), 0);
    assert_int_equal(seen.n, 0); /* not re-entered */
    ib_evq_run_until(t->h.q, 0);
    assert_int_equal(seen.n, 1);
    assert_int_equal(seen.from, host_addr);
    assert_int_equal(seen.seq, 7);
    assert_int_equal(t->fr[0].n, 0);
    assert_int_equal(t->s.ip_stats.delivered, 2); /* request and reply */
    assert_int_equal(ib_now(&t->h.env), 0);
    ib_icmp_echo_close(&e);

    /* Queued datagrams still held at teardown are released. */
    struct ib_ip4_tx tx = {.dst = host_addr, .proto = 200};
    assert_int_equal(ib_ip4_output(&t->s, ib_pkt_alloc(t->h.env.pool, IB_PKT_HEADROOM, 4), &tx), 0);
    ih_free(t);
}

/* Stack glue: defaults, connected routes, static routes, names. */
static void test_stack(void **state)
{
    (void)state;
    struct ih *t = ih_new(NULL);
    assert_int_equal(t->s.cfg.ttl, 64);
    assert_false(t->s.cfg.forwarding);
    assert_int_equal(t->s.node.kind, IB_NODE_HOST);
    assert_int_equal(t->s.cfg.reass.timeout, ib_reass_defaults.timeout);
    assert_int_equal(t->s.cfg.arp.timeout, ib_arp_defaults.timeout);
    assert_int_equal(t->s.cfg.icmp.burst, ib_icmp_defaults.burst);
    assert_true(t->s.next_port >= 49152);
    struct ib_netif *n = ih_add_nif(t, IB_IP4(10, 2, 3, 4), 16);
    assert_ptr_equal(ib_stack_netif(&t->s, "eth0"), n);
    assert_null(ib_stack_netif(&t->s, "eth9"));
    assert_ptr_equal(n->input, ib_eth_input);
    const struct ib_route *r = ib_fib_lookup(&t->s.fib, IB_IP4(10, 2, 200, 1));
    assert_non_null(r);
    assert_int_equal(r->prefix, IB_IP4(10, 2, 0, 0));
    assert_int_equal(r->plen, 16);
    assert_int_equal(r->proto, IB_RT_CONNECTED);
    assert_int_equal(r->gateway, 0);
    assert_int_equal(
        ib_stack_add_route(&t->s, IB_IP4(172, 16, 1, 9), 12, IB_IP4(10, 2, 0, 1), NULL), 0);
    r = ib_fib_lookup(&t->s.fib, IB_IP4(172, 20, 0, 1));
    assert_non_null(r);
    assert_int_equal(r->prefix, IB_IP4(172, 16, 0, 0));
    assert_int_equal(r->gateway, IB_IP4(10, 2, 0, 1));
    assert_int_equal(r->ifindex, 0);
    /* A gateway on no connected network cannot be reached. */
    assert_int_equal(ib_stack_add_route(&t->s, 0, 0, IB_IP4(192, 0, 2, 1), NULL), IB_ERR_INVAL);
    /* Readdressing moves the connected route and announces (RFC 5227). */
    assert_int_equal(ib_stack_set_addr(&t->s, n, IB_IP4(10, 9, 0, 1), 24), 0);
    assert_null(ib_fib_lookup(&t->s.fib, IB_IP4(10, 2, 200, 1)));
    assert_non_null(ib_fib_lookup(&t->s.fib, IB_IP4(10, 9, 0, 77)));
    assert_int_equal(t->fr[0].n, 1);
    assert_int_equal(ib_get16(t->fr[0].f[0]->data + 12), IB_ETHERTYPE_ARP);
    ih_free(t);

    struct ib_stack_config cfg = ib_stack_defaults;
    cfg.forwarding = true;
    cfg.ttl = 200;
    cfg.reass = ib_reass_defaults;
    cfg.reass.max_datagrams = 3;
    t = ih_new(&cfg);
    assert_int_equal(t->s.node.kind, IB_NODE_ROUTER);
    assert_int_equal(t->s.cfg.ttl, 200);
    assert_int_equal(t->s.cfg.reass.max_datagrams, 3);
    ih_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_emit_vector),
        cmocka_unit_test(test_fragment_fields),
        cmocka_unit_test(test_parse_failures),
        cmocka_unit_test(test_parse_options),
        cmocka_unit_test(test_input_drop_reasons),
        cmocka_unit_test(test_unknown_protocol),
        cmocka_unit_test(test_deliver_trims_padding),
        cmocka_unit_test(test_local_addresses),
        cmocka_unit_test(test_output_header),
        cmocka_unit_test(test_output_errors),
        cmocka_unit_test(test_output_limited_broadcast),
        cmocka_unit_test(test_fragment_3000),
        cmocka_unit_test(test_fragment_options_and_refragment),
        cmocka_unit_test(test_loopback),
        cmocka_unit_test(test_stack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
