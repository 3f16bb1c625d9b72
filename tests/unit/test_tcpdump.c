/* tcpdump-style lines: each frame below was checked with tshark (checksums
 * good, or bad where the name says so) and its line is what `tcpdump -n -e`
 * prints, with the TTL appended to IP lines. Every prefix of every frame
 * is decoded from an exactly-sized heap copy, so under AddressSanitizer a
 * read past the end fails the test; the line for a cut frame must say it
 * is cut. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "inetbox/dhcp.h"
#include "inetbox/dns.h"
#include "inetbox/http.h"
#include "inetbox/ipv4.h"
#include "inetbox/netif.h"
#include "inetbox/node.h"
#include "inetbox/tcp_wire.h"
#include "inetbox/tcpdump.h"
#include "inetbox/udp.h"
#include "tcp_pair_harness.h"

/* Hosts 10.0.1.10 (02:00:00:01:00:00) and 10.0.2.10, router 10.0.1.1
 * (02:00:00:03:00:00); short frames padded to 60 bytes like on the wire. */
static const uint8_t arp_req[] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00,
    0x00, 0x01, 0x00, 0x00, 0x0a, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x0a, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
static const uint8_t arp_reply[] = {
    0x02, 0x00, 0x00, 0x01, 0x00, 0x00, 0x02, 0x00, 0x00, 0x03, 0x00, 0x00,
    0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x02, 0x00,
    0x00, 0x03, 0x00, 0x00, 0x0a, 0x00, 0x01, 0x01, 0x02, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x0a, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
static const uint8_t echo_req[] = {
    0x02, 0x00, 0x00, 0x03, 0x00, 0x00, 0x02, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x54, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01,
    0x51, 0x62, 0x0a, 0x00, 0x01, 0x0a, 0x0a, 0x00, 0x02, 0x0a, 0x08, 0x00,
    0x00, 0xeb, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
    0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11,
    0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,
    0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29,
    0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35,
    0x36, 0x37,
};
static const uint8_t echo_reply[] = {
    0x02, 0x00, 0x00, 0x01, 0x00, 0x00, 0x02, 0x00, 0x00, 0x03, 0x00, 0x00,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x54, 0x00, 0x07, 0x00, 0x00, 0x3f, 0x01,
    0x64, 0x8f, 0x0a, 0x00, 0x02, 0x0a, 0x0a, 0x00, 0x01, 0x0a, 0x00, 0x00,
    0x08, 0xeb, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
    0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11,
    0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,
    0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29,
    0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35,
    0x36, 0x37,
};
static const uint8_t udp[] = {
    0x02, 0x00, 0x00, 0x03, 0x00, 0x00, 0x02, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x00, 0x05, 0x00, 0x00, 0x01, 0x11,
    0xa2, 0x99, 0x0a, 0x00, 0x01, 0x0a, 0x0a, 0x00, 0x02, 0x0a, 0xc0, 0x00,
    0x82, 0x9a, 0x00, 0x28, 0xa5, 0xef, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00,
};
static const uint8_t time_exceeded[] = {
    0x02, 0x00, 0x00, 0x01, 0x00, 0x00, 0x02, 0x00, 0x00, 0x03, 0x00, 0x00,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x38, 0x00, 0x09, 0x00, 0x00, 0x40, 0x01,
    0x63, 0xa9, 0x0a, 0x00, 0x02, 0x0a, 0x0a, 0x00, 0x01, 0x0a, 0x0b, 0x00,
    0x0c, 0x4d, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x00, 0x05,
    0x00, 0x00, 0x01, 0x11, 0xa2, 0x99, 0x0a, 0x00, 0x01, 0x0a, 0x0a, 0x00,
    0x02, 0x0a, 0xc0, 0x00, 0x82, 0x9a, 0x00, 0x28, 0xa5, 0xef,
};
static const uint8_t port_unreach[] = {
    0x02, 0x00, 0x00, 0x01, 0x00, 0x00, 0x02, 0x00, 0x00, 0x03, 0x00, 0x00,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x38, 0x00, 0x0a, 0x00, 0x00, 0x40, 0x01,
    0x63, 0xa8, 0x0a, 0x00, 0x02, 0x0a, 0x0a, 0x00, 0x01, 0x0a, 0x03, 0x03,
    0x14, 0x4a, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x00, 0x05,
    0x00, 0x00, 0x01, 0x11, 0xa2, 0x99, 0x0a, 0x00, 0x01, 0x0a, 0x0a, 0x00,
    0x02, 0x0a, 0xc0, 0x00, 0x82, 0x9a, 0x00, 0x28, 0xa5, 0xef,
};
static const uint8_t udp_small[] = {
    0x02, 0x00, 0x00, 0x03, 0x00, 0x00, 0x02, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x20, 0x00, 0x0b, 0x00, 0x00, 0x40, 0x11,
    0x63, 0xaf, 0x0a, 0x00, 0x01, 0x0a, 0x0a, 0x00, 0x02, 0x0a, 0x04, 0xd2,
    0x1e, 0x61, 0x00, 0x0c, 0x00, 0xc9, 0x61, 0x62, 0x63, 0x64, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
static const uint8_t udp_badsum[] = {
    0x02, 0x00, 0x00, 0x03, 0x00, 0x00, 0x02, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x20, 0x00, 0x0b, 0x00, 0x00, 0x40, 0x11,
    0x63, 0xaf, 0x0a, 0x00, 0x01, 0x0a, 0x0a, 0x00, 0x02, 0x0a, 0x04, 0xd2,
    0x1e, 0x61, 0x00, 0x0c, 0x01, 0xc8, 0x61, 0x62, 0x63, 0x64, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
static const uint8_t ip_badsum[] = {
    0x02, 0x00, 0x00, 0x03, 0x00, 0x00, 0x02, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x54, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01,
    0x50, 0x63, 0x0a, 0x00, 0x01, 0x0a, 0x0a, 0x00, 0x02, 0x0a, 0x08, 0x00,
    0x00, 0xeb, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
    0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11,
    0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,
    0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29,
    0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35,
    0x36, 0x37,
};
static const uint8_t needfrag[] = {
    0x02, 0x00, 0x00, 0x01, 0x00, 0x00, 0x02, 0x00, 0x00, 0x03, 0x00, 0x00,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x38, 0x00, 0x0c, 0x00, 0x00, 0x40, 0x01,
    0x62, 0xaf, 0x0a, 0x00, 0x03, 0x01, 0x0a, 0x00, 0x01, 0x0a, 0x03, 0x04,
    0x0e, 0xd1, 0x00, 0x00, 0x05, 0x78, 0x45, 0x00, 0x00, 0x3c, 0x00, 0x05,
    0x00, 0x00, 0x01, 0x11, 0xa2, 0x99, 0x0a, 0x00, 0x01, 0x0a, 0x0a, 0x00,
    0x02, 0x0a, 0xc0, 0x00, 0x82, 0x9a, 0x00, 0x28, 0xa5, 0xef,
};
/* ICMP echo request header of the 3000-byte message */
static const uint8_t frag_icmp[8] = {0x08, 0x00, 0xae, 0xe2, 0x00, 0x01, 0x00, 0x01};
static const uint8_t frag1_hdr[34] = {
    0x02, 0x00, 0x00, 0x03, 0x00, 0x00, 0x02, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x08, 0x00, 0x45, 0x00, 0x05, 0xdc, 0x12, 0x34, 0x20, 0x00, 0x40, 0x01,
    0x2b, 0xda, 0x0a, 0x00, 0x01, 0x0a, 0x0a, 0x00, 0x02, 0x0a,
};
static const uint8_t frag2_hdr[34] = {
    0x02, 0x00, 0x00, 0x03, 0x00, 0x00, 0x02, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x08, 0x00, 0x45, 0x00, 0x05, 0xdc, 0x12, 0x34, 0x20, 0xb9, 0x40, 0x01,
    0x2b, 0x21, 0x0a, 0x00, 0x01, 0x0a, 0x0a, 0x00, 0x02, 0x0a,
};

#define MAC_H1 "02:00:00:01:00:00"
#define MAC_R1 "02:00:00:03:00:00"

struct vec {
    const char *name;
    const uint8_t *b;
    size_t len;
    const char *line;
};

#define V(f, l) {#f, f, sizeof(f), l}
static const struct vec vecs[] = {
    V(arp_req, MAC_H1 " > ff:ff:ff:ff:ff:ff, ARP, Request who-has 10.0.1.1 tell 10.0.1.10, length 28"),
    V(arp_reply, MAC_R1 " > " MAC_H1 ", ARP, Reply 10.0.1.1 is-at 02:00:00:03:00:00, length 28"),
    V(echo_req, MAC_H1 " > " MAC_R1 ", 10.0.1.10 > 10.0.2.10: ICMP echo request, id 1, seq 1, "
                "length 64, ttl 64"),
    V(echo_reply, MAC_R1 " > " MAC_H1 ", 10.0.2.10 > 10.0.1.10: ICMP echo reply, id 1, seq 1, "
                  "length 64, ttl 63"),
    V(udp, MAC_H1 " > " MAC_R1 ", 10.0.1.10.49152 > 10.0.2.10.33434: UDP, length 32, ttl 1"),
    V(time_exceeded, MAC_R1 " > " MAC_H1 ", 10.0.2.10 > 10.0.1.10: ICMP time exceeded in-transit, "
                     "length 36, ttl 64"),
    V(port_unreach, MAC_R1 " > " MAC_H1 ", 10.0.2.10 > 10.0.1.10: ICMP 10.0.2.10 udp port 33434 "
                    "unreachable, length 36, ttl 64"),
    V(udp_small, MAC_H1 " > " MAC_R1 ", 10.0.1.10.1234 > 10.0.2.10.7777: UDP, length 4, ttl 64"),
    V(udp_badsum, MAC_H1 " > " MAC_R1 ", 10.0.1.10.1234 > 10.0.2.10.7777: UDP, length 4 "
                  "[bad udp cksum], ttl 64"),
    V(ip_badsum, MAC_H1 " > " MAC_R1 ", 10.0.1.10 > 10.0.2.10: ICMP echo request, id 1, seq 1, "
                 "length 64, ttl 64 [bad ip cksum]"),
    V(needfrag, MAC_R1 " > " MAC_H1 ", 10.0.3.1 > 10.0.1.10: ICMP 10.0.2.10 unreachable - need to "
                "frag (mtu 1400), length 36, ttl 64"),
};

static const char *line_of(const uint8_t *b, size_t len, char *buf, size_t cap)
{
    const char *r = ib_tcpdump_frame(b, len, buf, cap);
    assert_ptr_equal(r, buf);
    return r;
}

static void test_frames(void **state)
{
    (void)state;
    char buf[256];
    for (size_t i = 0; i < IB_ARRAY_LEN(vecs); i++) {
        assert_string_equal(line_of(vecs[i].b, vecs[i].len, buf, sizeof(buf)), vecs[i].line);
    }
}

/* RFC 791 §3.2: a 3000-byte echo request cut at 1480-byte boundaries; the
 * first fragment still shows the ICMP header (whose checksum covers the
 * whole message, so it is not checked), later ones only the protocol. */
static void test_fragments(void **state)
{
    (void)state;
    uint8_t *f = malloc(14 + 1500);
    assert_non_null(f);
    char buf[256];
    memcpy(f, frag1_hdr, 34);
    memcpy(f + 34, frag_icmp, 8);
    for (size_t i = 0; i < 1472; i++)
        f[42 + i] = (uint8_t)i;
    assert_string_equal(line_of(f, 14 + 1500, buf, sizeof(buf)),
                        MAC_H1 " > " MAC_R1 ", 10.0.1.10 > 10.0.2.10: ICMP echo request, id 1, "
                               "seq 1, length 1480 (frag 4660:1480@0+), ttl 64");
    memcpy(f, frag2_hdr, 34);
    for (size_t i = 0; i < 1480; i++)
        f[34 + i] = (uint8_t)(1480 - 8 + i);
    assert_string_equal(line_of(f, 14 + 1500, buf, sizeof(buf)),
                        MAC_H1 " > " MAC_R1 ", 10.0.1.10 > 10.0.2.10: ip-proto-1 "
                               "(frag 4660:1480@1480+), ttl 64");
    free(f);
}

/* Headers our parsers reject for good: say why, show no made-up fields. */
static void test_malformed(void **state)
{
    (void)state;
    char buf[256];
    uint8_t f[98];

    memcpy(f, arp_req, 60);
    f[15] = 6; /* RFC 826 ar$hrd: IEEE 802, not Ethernet */
    assert_string_equal(line_of(f, 60, buf, sizeof(buf)),
                        MAC_H1 " > ff:ff:ff:ff:ff:ff, ARP, [malformed ARP], length 46");

    memcpy(f, echo_req, sizeof(echo_req));
    f[14] = 0x65; /* version 6 */
    assert_string_equal(line_of(f, sizeof(echo_req), buf, sizeof(buf)),
                        MAC_H1 " > " MAC_R1 ", [IP version not 4]");

    memcpy(f, echo_req, sizeof(echo_req));
    f[14] = 0x44; /* IHL 4: shorter than the fixed header */
    assert_string_equal(line_of(f, sizeof(echo_req), buf, sizeof(buf)),
                        MAC_H1 " > " MAC_R1 ", [bad IPv4 header length]");

    memcpy(f, echo_req, sizeof(echo_req));
    f[16] = 0, f[17] = 10; /* total length 10 < header length */
    assert_string_equal(line_of(f, sizeof(echo_req), buf, sizeof(buf)),
                        MAC_H1 " > " MAC_R1 ", 10.0.1.10 > 10.0.2.10: bad-len 10");

    memcpy(f, arp_req, 60);
    f[12] = 0x88, f[13] = 0xb5;
    assert_string_equal(line_of(f, 60, buf, sizeof(buf)),
                        MAC_H1 " > ff:ff:ff:ff:ff:ff, ethertype 0x88b5, length 60");
}

/* Bytes a decoder needs to show the whole line. */
static size_t needed(const struct vec *v)
{
    if (ib_get16(v->b + 12) == 0x0806)
        return 14 + 28;
    return 14 + ib_get16(v->b + 16);
}

static void test_every_truncation(void **state)
{
    (void)state;
    char buf[256];
    for (size_t i = 0; i < IB_ARRAY_LEN(vecs); i++) {
        const struct vec *v = &vecs[i];
        for (size_t cut = 0; cut <= v->len; cut++) {
            uint8_t *b = malloc(cut ? cut : 1);
            assert_non_null(b);
            memcpy(b, v->b, cut);
            line_of(b, cut, buf, sizeof(buf));
            free(b);
            if (cut < 14)
                assert_string_equal(buf, "[|ether]");
            else if (cut < needed(v))
                assert_non_null(strstr(buf, "[|"));
            else
                assert_string_equal(buf, v->line);
        }
    }
}

/* Output is cut to the buffer, always terminated, never written past. */
static void test_small_buffers(void **state)
{
    (void)state;
    const struct vec *v = &vecs[6];
    size_t full = strlen(v->line);
    for (size_t cap = 0; cap <= full + 2; cap++) {
        char buf[300];
        memset(buf, 0x5a, sizeof(buf));
        line_of(v->b, v->len, buf, cap);
        for (size_t j = cap; j < sizeof(buf); j++)
            assert_int_equal(buf[j], 0x5a);
        if (cap == 0)
            continue;
        size_t n = strlen(buf);
        assert_int_equal(n, cap - 1 < full ? cap - 1 : full);
        assert_memory_equal(buf, v->line, n);
    }
}

static void ev_at(struct ib_event *ev, enum ib_ev_kind kind, ib_time t, const struct ib_node *n,
                  const struct ib_netif *nif, const uint8_t *data, size_t len)
{
    memset(ev, 0, sizeof(*ev));
    ev->kind = kind;
    ev->t = t;
    ev->node = n;
    ev->nif = nif;
    ev->data = data;
    ev->len = (uint32_t)len;
}

static void test_observer(void **state)
{
    (void)state;
    struct ib_node h1, r1;
    memset(&h1, 0, sizeof(h1));
    memset(&r1, 0, sizeof(r1));
    strcpy(h1.name, "h1");
    strcpy(r1.name, "r1");
    struct ib_netif e0, e1;
    memset(&e0, 0, sizeof(e0));
    memset(&e1, 0, sizeof(e1));
    strcpy(e0.name, "eth0");
    e0.node = &h1;
    strcpy(e1.name, "eth1");
    e1.node = &r1;

    char *text = NULL;
    size_t tlen = 0;
    struct ib_tcpdump td = {open_memstream(&text, &tlen)};
    assert_non_null(td.out);
    struct ib_event ev;

    ev_at(&ev, IB_EV_WIRE_TX, 1000123, &h1, &e0, arp_req, sizeof(arp_req));
    ib_tcpdump_observer(&td, &ev);
    /* only the sender's side is printed: arrivals would repeat each frame */
    ev_at(&ev, IB_EV_WIRE_RX, 1000200, &r1, &e1, arp_req, sizeof(arp_req));
    ib_tcpdump_observer(&td, &ev);
    ev_at(&ev, IB_EV_DROP, IB_SEC(2), &r1, &e1, udp + 14, sizeof(udp) - 14);
    ev.reason = IB_DROP_IP_TTL_EXPIRED;
    ev.layer = 3;
    ib_tcpdump_observer(&td, &ev);
    ev_at(&ev, IB_EV_DROP, IB_SEC(3) + 5, &h1, &e0, arp_reply, sizeof(arp_reply));
    ev.reason = IB_DROP_LINK_LOSS;
    ev.layer = 1;
    ib_tcpdump_observer(&td, &ev);
    ev_at(&ev, IB_EV_DROP, IB_SEC(4), &r1, &e1, arp_req + 14, 46);
    ev.reason = IB_DROP_ARP_NOT_FOR_US;
    ev.layer = 2;
    ib_tcpdump_observer(&td, &ev);
    ev_at(&ev, IB_EV_DROP, IB_SEC(5), &r1, NULL, udp + 34, 40);
    ev.reason = IB_DROP_UDP_NO_LISTENER;
    ev.layer = 4;
    ib_tcpdump_observer(&td, &ev);
    /* ICMP drops have the ICMP header in front */
    ev_at(&ev, IB_EV_DROP, IB_SEC(5), &h1, &e0, echo_reply + 34, 64);
    ev.reason = IB_DROP_ICMP_UNHANDLED;
    ev.layer = 3;
    ib_tcpdump_observer(&td, &ev);
    /* an output drop before the IP header was pushed: no made-up fields */
    ev_at(&ev, IB_EV_DROP, IB_SEC(5), &h1, NULL, udp + 34, 40);
    ev.reason = IB_DROP_IP_NO_ROUTE;
    ev.layer = 3;
    ib_tcpdump_observer(&td, &ev);
    ev_at(&ev, IB_EV_DROP, IB_SEC(5), &r1, NULL, NULL, 0);
    ev.reason = IB_DROP_NOMEM;
    ev.layer = 2;
    ib_tcpdump_observer(&td, &ev);
    ev_at(&ev, IB_EV_LINK_STATE, IB_SEC(6), &h1, &e0, NULL, 0);
    ev.u.link.up = false;
    ib_tcpdump_observer(&td, &ev);
    ev_at(&ev, IB_EV_IP_TX, IB_SEC(7), &h1, &e0, echo_req + 14, sizeof(echo_req) - 14);
    ib_tcpdump_observer(&td, &ev);
    assert_int_equal(fclose(td.out), 0);

    assert_string_equal(
        text,
        "0.001000123 h1:eth0 > " MAC_H1 " > ff:ff:ff:ff:ff:ff, ARP, Request who-has 10.0.1.1 tell "
        "10.0.1.10, length 28\n"
        "2.000000000 r1:eth1 DROP IP_TTL_EXPIRED (TTL expired): 10.0.1.10.49152 > "
        "10.0.2.10.33434: UDP, length 32, ttl 1\n"
        "3.000000005 h1:eth0 DROP LINK_LOSS (lost on the wire): " MAC_R1 " > " MAC_H1
        ", ARP, Reply 10.0.1.1 is-at 02:00:00:03:00:00, length 28\n"
        "4.000000000 r1:eth1 DROP ARP_NOT_FOR_US (ARP for another host): ARP, Request who-has "
        "10.0.1.1 tell 10.0.1.10, length 28\n"
        "5.000000000 r1 DROP UDP_NO_LISTENER (no UDP listener on port), length 40\n"
        "5.000000000 h1:eth0 DROP ICMP_UNHANDLED (ICMP message not handled): ICMP echo reply, "
        "id 1, seq 1, length 64\n"
        "5.000000000 h1 DROP IP_NO_ROUTE (no route), length 40\n"
        "5.000000000 r1 DROP NOMEM (out of memory)\n"
        "6.000000000 h1:eth0 link down\n");
    free(text);
}

/* Application payloads, in frames built with the codecs. Each line is what
 * tcpdump 4.99 -n -e -vv printed for the same frame, less what only -v
 * adds (record owners, the ns: and ar: sections, option dumps) and plus
 * the DHCP message type and the TTL. */
#define MAC_A "02:00:00:00:00:01"
#define MAC_B "02:00:00:00:00:02"
#define AB MAC_A " > " MAC_B ", "
#define LAPTOP IB_IP4(192, 168, 0, 100)
#define ISP_DNS IB_IP4(168, 126, 63, 1)
#define WWW IB_IP4(142, 250, 196, 100)

struct frame {
    uint8_t *b;
    size_t len;
};

/* An exactly-sized heap frame: Ethernet, IPv4 (TTL 64) and hlen bytes of
 * transport header to fill, then the payload. */
static struct frame frame_new(ib_ip4 src, ib_ip4 dst, uint8_t proto, size_t hlen,
                              const uint8_t *pl, size_t n)
{
    struct frame f = {malloc(34 + hlen + n), 34 + hlen + n};
    assert_non_null(f.b);
    struct ib_eth_hdr e = {.dst = {{2, 0, 0, 0, 0, 2}}, .src = {{2, 0, 0, 0, 0, 1}},
                           .type = IB_ETHERTYPE_IP4};
    ib_eth_emit(&e, f.b);
    struct ib_ip4_hdr ip = {.hlen = IB_IP4_HLEN, .tot_len = (uint16_t)(20 + hlen + n), .id = 1,
                            .ttl = 64, .proto = proto, .src = src, .dst = dst};
    ib_ip4_emit(&ip, f.b + 14);
    memcpy(f.b + 34 + hlen, pl, n);
    return f;
}

static struct frame udp_frame(ib_ip4 src, ib_ip4 dst, uint16_t sport, uint16_t dport,
                              const uint8_t *pl, size_t n)
{
    struct frame f = frame_new(src, dst, IB_IPPROTO_UDP, IB_UDP_HLEN, pl, n);
    struct ib_udp_hdr u = {.sport = sport, .dport = dport, .len = (uint16_t)(IB_UDP_HLEN + n)};
    ib_udp_emit(&u, f.b + 34, IB_UDP_HLEN + n, src, dst);
    return f;
}

/* A PSH+ACK segment, seq 1 ack 1, no options. */
static struct frame tcp_frame(ib_ip4 src, ib_ip4 dst, uint16_t sport, uint16_t dport,
                              const uint8_t *pl, size_t n)
{
    struct frame f = frame_new(src, dst, IB_IPPROTO_TCP, IB_TCP_HLEN, pl, n);
    struct ib_tcp_hdr h = {.sport = sport, .dport = dport, .seq = 1, .ack = 1,
                           .flags = IB_TCP_PSH | IB_TCP_ACK, .wnd = 502};
    assert_int_equal(ib_tcp_emit(&h, f.b + 34), IB_TCP_HLEN);
    ib_tcp_fill_csum(f.b + 34, IB_TCP_HLEN + n, src, dst);
    return f;
}

static void dns_question(struct ib_dns_msg *m, uint16_t id, const char *name, uint16_t type)
{
    memset(m, 0, sizeof(*m));
    m->id = id;
    m->qdcount = 1;
    strcpy(m->qd[0].name, name);
    m->qd[0].type = type;
    m->qd[0].cls = IB_DNS_C_IN;
}

static struct ib_dns_rr *dns_rr(struct ib_dns_rr *rr, const char *name, uint16_t type)
{
    strcpy(rr->name, name);
    rr->type = type;
    rr->cls = IB_DNS_C_IN;
    rr->ttl = 300;
    return rr;
}

static size_t dns_wire(const struct ib_dns_msg *m, uint8_t *b)
{
    size_t n = ib_dns_emit(m, b, IB_DNS_UDP_MAX);
    assert_true(n >= IB_DNS_HLEN);
    return n;
}

#define N_APP 12
struct app_vecs {
    struct frame f[N_APP];
    const char *line[N_APP];
    unsigned n;
};

static void app_add(struct app_vecs *v, struct frame f, const char *line)
{
    assert_true(v->n < N_APP);
    v->f[v->n] = f;
    v->line[v->n++] = line;
}

static void app_dns(struct app_vecs *v, struct ib_dns_msg *m, uint8_t *b)
{
    /* RFC 1035 §4.1.1: a stub's query asks for recursion (RD) */
    dns_question(m, 4660, "www.google.com", IB_DNS_T_A);
    m->rd = true;
    size_t n = dns_wire(m, b);
    app_add(v, udp_frame(LAPTOP, ISP_DNS, 49152, 53, b, n),
            AB "192.168.0.100.49152 > 168.126.63.1.53: 4660+ A? www.google.com. (32), ttl 64");
    /* RFC 1035 §4.2.2: over TCP, a two-byte length comes first */
    uint8_t tb[2 + IB_DNS_UDP_MAX];
    ib_put16(tb, (uint16_t)n);
    memcpy(tb + 2, b, n);
    app_add(v, tcp_frame(LAPTOP, ISP_DNS, 49153, 53, tb, n + 2),
            AB "192.168.0.100.49153 > 168.126.63.1.53: Flags [P.], seq 1:35, ack 1, win 502, "
               "length 34 4660+ A? www.google.com. (32), ttl 64");
    /* an authoritative answer (AA), from a server offering no recursion */
    m->qr = m->aa = true;
    m->ancount = 1;
    dns_rr(&m->an[0], "www.google.com", IB_DNS_T_A)->rd.a = WWW;
    n = dns_wire(m, b);
    app_add(v, udp_frame(ISP_DNS, LAPTOP, 53, 49152, b, n),
            AB "168.126.63.1.53 > 192.168.0.100.49152: 4660*- q: A? www.google.com. 1/0/0 A "
               "142.250.196.100 (48), ttl 64");
    /* a referral: no answer, the delegation and its glue */
    m->aa = m->rd = false;
    m->ancount = 0;
    m->nscount = m->arcount = 1;
    strcpy(dns_rr(&m->ns[0], "com", IB_DNS_T_NS)->rd.name, "a.gtld-servers.net");
    dns_rr(&m->ar[0], "a.gtld-servers.net", IB_DNS_T_A)->rd.a = IB_IP4(192, 5, 6, 30);
    n = dns_wire(m, b);
    app_add(v, udp_frame(IB_IP4(198, 41, 0, 4), ISP_DNS, 53, 33333, b, n),
            AB "198.41.0.4.53 > 168.126.63.1.33333: 4660- q: A? www.google.com. 0/1/1 (80), ttl 64");
    /* RFC 2308 §2.1: NXDOMAIN with the zone's SOA */
    dns_question(m, 7, "nx.google.com", IB_DNS_T_A);
    m->qr = m->aa = true;
    m->rcode = IB_DNS_R_NXDOMAIN;
    m->nscount = 1;
    struct ib_dns_rr *soa = dns_rr(&m->ns[0], "google.com", IB_DNS_T_SOA);
    strcpy(soa->rd.soa.mname, "ns1.google.com");
    strcpy(soa->rd.soa.rname, "dns-admin.google.com");
    soa->rd.soa.minimum = 60;
    n = dns_wire(m, b);
    app_add(v, udp_frame(IB_IP4(216, 239, 32, 10), ISP_DNS, 53, 33333, b, n),
            AB "216.239.32.10.53 > 168.126.63.1.33333: 7 NXDomain*- q: A? nx.google.com. 0/1/0 "
               "(81), ttl 64");
    /* every rdata shape, from a recursive server (RA) */
    dns_question(m, 9, "google.com", IB_DNS_T_ANY);
    m->qr = m->rd = m->ra = true;
    m->ancount = 5;
    strcpy(dns_rr(&m->an[0], "google.com", IB_DNS_T_CNAME)->rd.name, "www.l.google.com");
    struct ib_dns_rr *mx = dns_rr(&m->an[1], "google.com", IB_DNS_T_MX);
    mx->rd.mx.pref = 10;
    strcpy(mx->rd.mx.host, "smtp.google.com");
    struct ib_dns_rr *txt = dns_rr(&m->an[2], "google.com", IB_DNS_T_TXT);
    memcpy(txt->rd.raw.data, "\005hello\003a\nb", 10);
    txt->rd.raw.len = 10;
    struct ib_dns_rr *aaaa = dns_rr(&m->an[3], "google.com", IB_DNS_T_AAAA);
    aaaa->rd.aaaa[0] = 0x20, aaaa->rd.aaaa[1] = 0x01, aaaa->rd.aaaa[2] = 0x0d;
    aaaa->rd.aaaa[3] = 0xb8, aaaa->rd.aaaa[15] = 1;
    dns_rr(&m->an[4], "google.com", 99)->rd.raw.len = 0;
    n = dns_wire(m, b);
    app_add(v, udp_frame(ISP_DNS, LAPTOP, 53, 49152, b, n),
            AB "168.126.63.1.53 > 192.168.0.100.49152: 9 q: ANY? google.com. 5/0/0 CNAME "
               "www.l.google.com., MX smtp.google.com. 10, TXT \"hello\" \"a\\x0ab\", AAAA "
               "2001:db8::1, TYPE99 (131), ttl 64");
    /* a pointer to itself (RFC 1035 §4.1.4 allows only earlier ones) */
    static const uint8_t bad[18] = {0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1};
    app_add(v, udp_frame(LAPTOP, ISP_DNS, 49152, 53, bad, sizeof(bad)),
            AB "192.168.0.100.49152 > 168.126.63.1.53: [malformed domain: pointer forward] (18), "
               "ttl 64");
}

static void app_dhcp(struct app_vecs *v, uint8_t *b)
{
    struct ib_dhcp_msg d;
    memset(&d, 0, sizeof(d));
    d.op = IB_BOOTREQUEST;
    d.htype = 1;
    d.hlen = 6;
    d.xid = 0x3903f326;
    d.flags = IB_DHCP_FLAG_BROADCAST;
    d.chaddr[0] = 2, d.chaddr[5] = 1;
    d.type = IB_DHCPDISCOVER;
    d.has = 1ull << IB_DHCP_OPT_MSG_TYPE;
    size_t n = ib_dhcp_emit(&d, b, 1024);
    app_add(v, udp_frame(0, IB_IP4_BROADCAST, 68, 67, b, n),
            AB "0.0.0.0.68 > 255.255.255.255.67: BOOTP/DHCP, Request from 02:00:00:00:00:01, "
               "length 300, xid 0x3903f326, DHCPDISCOVER, ttl 64");
    d.op = IB_BOOTREPLY;
    d.type = IB_DHCPOFFER;
    d.yiaddr = LAPTOP;
    d.server_id = IB_IP4(192, 168, 0, 1);
    d.lease_time = 86400;
    d.has |= 1ull << IB_DHCP_OPT_SERVER_ID | 1ull << IB_DHCP_OPT_LEASE_TIME;
    n = ib_dhcp_emit(&d, b, 1024);
    app_add(v, udp_frame(IB_IP4(192, 168, 0, 1), IB_IP4_BROADCAST, 67, 68, b, n),
            AB "192.168.0.1.67 > 255.255.255.255.68: BOOTP/DHCP, Reply, length 300, xid "
               "0x3903f326, Your-IP 192.168.0.100, DHCPOFFER, ttl 64");
}

static void app_http(struct app_vecs *v, uint8_t *b)
{
    struct ib_http_request_spec rq = {"GET", "/", "www.google.com", false};
    size_t n = ib_http_emit_request(&rq, b, 1024);
    app_add(v, tcp_frame(LAPTOP, WWW, 49152, 80, b, n),
            AB "192.168.0.100.49152 > 142.250.196.100.80: Flags [P.], seq 1:65, ack 1, win 502, "
               "length 64: HTTP: GET / HTTP/1.1, ttl 64");
    struct ib_http_response_spec rs = {.status = 200, .content_type = "text/html"};
    n = ib_http_emit_response(&rs, (const uint8_t *)"<html></html>", 13, b, 1024);
    app_add(v, tcp_frame(WWW, LAPTOP, 80, 49152, b, n),
            AB "142.250.196.100.80 > 192.168.0.100.49152: Flags [P.], seq 1:78, ack 1, win 502, "
               "length 77: HTTP: HTTP/1.1 200 OK, ttl 64");
    /* the body alone: no start line, nothing to say */
    app_add(v, tcp_frame(WWW, LAPTOP, 80, 49152, (const uint8_t *)"<html></html>", 13),
            AB "142.250.196.100.80 > 192.168.0.100.49152: Flags [P.], seq 1:14, ack 1, win 502, "
               "length 13, ttl 64");
}

static void app_vecs_build(struct app_vecs *v)
{
    memset(v, 0, sizeof(*v));
    struct ib_dns_msg *m = malloc(sizeof(*m));
    uint8_t *b = malloc(2048);
    assert_non_null(m);
    assert_non_null(b);
    app_dns(v, m, b);
    app_dhcp(v, b);
    app_http(v, b);
    assert_int_equal(v->n, N_APP);
    free(m);
    free(b);
}

static void app_vecs_free(struct app_vecs *v)
{
    for (unsigned i = 0; i < v->n; i++)
        free(v->f[i].b);
}

static void test_app_frames(void **state)
{
    (void)state;
    struct app_vecs v;
    app_vecs_build(&v);
    char buf[512];
    for (unsigned i = 0; i < v.n; i++)
        assert_string_equal(line_of(v.f[i].b, v.f[i].len, buf, sizeof(buf)), v.line[i]);
    app_vecs_free(&v);
}

/* A cut datagram is not handed to the application decoders: the line
 * says it is cut, from an exactly-sized copy (ASan catches any overread). */
static void test_app_truncation(void **state)
{
    (void)state;
    struct app_vecs v;
    app_vecs_build(&v);
    char buf[512];
    for (unsigned i = 0; i < v.n; i++) {
        for (size_t cut = 0; cut <= v.f[i].len; cut++) {
            uint8_t *b = malloc(cut ? cut : 1);
            assert_non_null(b);
            memcpy(b, v.f[i].b, cut);
            line_of(b, cut, buf, sizeof(buf));
            free(b);
            if (cut == v.f[i].len)
                assert_string_equal(buf, v.line[i]);
            else
                assert_non_null(strstr(buf, "[|"));
        }
    }
    app_vecs_free(&v);
}

/* Whatever a DNS, DHCP or HTTP payload holds, the decoders stay inside it
 * and the line inside its buffer: every byte of every payload above set
 * to values that make lengths, pointers and counts go wrong. */
static void test_app_mutations(void **state)
{
    (void)state;
    static const uint8_t values[] = {0x00, 0x01, 0x3f, 0x40, 0x80, 0xc0, 0xff};
    struct app_vecs v;
    app_vecs_build(&v);
    char buf[200];
    for (unsigned i = 0; i < v.n; i++) {
        /* the payload starts after the IP and transport headers */
        size_t from = 34 + (v.f[i].b[23] == IB_IPPROTO_UDP ? IB_UDP_HLEN : IB_TCP_HLEN);
        uint8_t *b = malloc(v.f[i].len);
        assert_non_null(b);
        for (size_t at = from; at < v.f[i].len; at++) {
            for (size_t k = 0; k < sizeof(values); k++) {
                memcpy(b, v.f[i].b, v.f[i].len);
                b[at] = values[k];
                line_of(b, v.f[i].len, buf, sizeof(buf));
                assert_non_null(memchr(buf, '\0', sizeof(buf)));
                assert_memory_equal(buf, AB, strlen(AB));
            }
        }
        free(b);
    }
    app_vecs_free(&v);
}

/* Only the well-known ports are decoded, like tcpdump: the same query to
 * port 5353 is just UDP. */
static void test_app_ports(void **state)
{
    (void)state;
    struct ib_dns_msg *m = malloc(sizeof(*m));
    assert_non_null(m);
    uint8_t b[IB_DNS_UDP_MAX];
    dns_question(m, 1, "a", IB_DNS_T_A);
    size_t n = dns_wire(m, b);
    struct frame f = udp_frame(LAPTOP, ISP_DNS, 40000, 5353, b, n);
    char buf[256];
    assert_string_equal(line_of(f.b, f.len, buf, sizeof(buf)),
                        AB "192.168.0.100.40000 > 168.126.63.1.5353: UDP, length 19, ttl 64");
    free(f.b);
    free(m);
}

static void ev_node(struct ib_event *ev, enum ib_ev_kind kind, ib_time t, const struct ib_node *n)
{
    ev_at(ev, kind, t, n, NULL, NULL, 0);
    ev->layer = kind == IB_EV_TCP_STATE ? 4 : kind == IB_EV_NAT ? 3 : 7;
}

/* The journey events, one line each; the plain observer skips them. */
static void test_journey_events(void **state)
{
    (void)state;
    struct ib_node laptop, router, dns;
    memset(&laptop, 0, sizeof(laptop));
    memset(&router, 0, sizeof(router));
    memset(&dns, 0, sizeof(dns));
    strcpy(laptop.name, "laptop");
    strcpy(router.name, "home-router");
    strcpy(dns.name, "isp-dns");
    struct ib_netif e0;
    memset(&e0, 0, sizeof(e0));
    strcpy(e0.name, "eth0");
    e0.node = &laptop;
    struct ib_event evs[16];
    unsigned n = 0;
    struct ib_event *ev;

    ev = &evs[n++];
    ev_node(ev, IB_EV_DHCP, IB_MS(1), &laptop);
    ev->nif = &e0;
    ev->u.dhcp.what = IB_DHCP_TX;
    ev->u.dhcp.msg = IB_DHCPDISCOVER;
    ev->u.dhcp.xid = 0x5a7e1e41;
    ev->u.dhcp.chaddr.b[0] = 2, ev->u.dhcp.chaddr.b[5] = 1;
    ev = &evs[n++];
    ev_node(ev, IB_EV_DHCP, IB_MS(2), &laptop);
    ev->nif = &e0;
    ev->u.dhcp.what = IB_DHCP_RX;
    ev->u.dhcp.msg = IB_DHCPOFFER;
    ev->u.dhcp.xid = 0x5a7e1e41;
    ev->u.dhcp.yiaddr = LAPTOP;
    ev->u.dhcp.server = IB_IP4(192, 168, 0, 1);
    ev = &evs[n++];
    ev_node(ev, IB_EV_DHCP, IB_MS(3), &laptop);
    ev->u.dhcp.what = IB_DHCP_BOUND;
    ev->u.dhcp.yiaddr = LAPTOP;
    ev->u.dhcp.plen = 24;
    ev->u.dhcp.router = IB_IP4(192, 168, 0, 1);
    ev->u.dhcp.dns = ISP_DNS;
    ev->u.dhcp.lease_s = 86400;
    ev->u.dhcp.server = IB_IP4(192, 168, 0, 1);
    ev = &evs[n++];
    ev_node(ev, IB_EV_HTTP, IB_MS(4), &laptop);
    ev->u.http.what = IB_HTTP_FETCH_START;
    ev->u.http.url = "http://www.google.com/";
    ev = &evs[n++];
    ev_node(ev, IB_EV_DNS, IB_MS(5), &laptop);
    ev->u.dns.what = IB_DNS_QUERY_TX;
    ev->u.dns.id = 4660;
    ev->u.dns.qtype = IB_DNS_T_A;
    ev->u.dns.qname = "www.google.com";
    ev->u.dns.server = ISP_DNS;
    ev->u.dns.rd = true;
    ev = &evs[n++];
    ev_node(ev, IB_EV_DNS, IB_MS(6), &dns);
    ev->u.dns.what = IB_DNS_RESPONSE_RX;
    ev->u.dns.kind = IB_DNS_KIND_REFERRAL;
    ev->u.dns.id = 777;
    ev->u.dns.qtype = IB_DNS_T_A;
    ev->u.dns.qname = "www.google.com";
    ev->u.dns.zone = "com";
    ev->u.dns.ns = "a.gtld-servers.net";
    ev->u.dns.server = IB_IP4(198, 41, 0, 4);
    ev->u.dns.addr = IB_IP4(192, 5, 6, 30);
    ev = &evs[n++];
    ev_node(ev, IB_EV_DNS, IB_MS(7), &dns);
    ev->u.dns.what = IB_DNS_RESPONSE_TX;
    ev->u.dns.kind = IB_DNS_KIND_ERROR;
    ev->u.dns.rcode = IB_DNS_R_SERVFAIL;
    ev->u.dns.id = 4661;
    ev->u.dns.qtype = 99;
    ev->u.dns.qname = "";
    ev->u.dns.server = LAPTOP;
    ev->u.dns.tcp = true;
    ev = &evs[n++];
    ev_node(ev, IB_EV_DNS, IB_MS(8), &laptop);
    ev->u.dns.what = IB_DNS_RESOLVED;
    ev->u.dns.kind = IB_DNS_KIND_ANSWER;
    ev->u.dns.qtype = IB_DNS_T_A;
    ev->u.dns.qname = "www.google.com";
    ev->u.dns.addr = WWW;
    ev->u.dns.ttl = 300;
    ev->u.dns.aa = true;
    ev = &evs[n++];
    ev_node(ev, IB_EV_TCP_STATE, IB_MS(9), &laptop);
    ev->u.tcp.laddr = LAPTOP;
    ev->u.tcp.lport = 49152;
    ev->u.tcp.raddr = WWW;
    ev->u.tcp.rport = 80;
    ev->u.tcp.old_state = IB_TCP_SYN_SENT;
    ev->u.tcp.new_state = IB_TCP_ESTABLISHED;
    ev->u.tcp.cause = IB_TCP_CAUSE_SEGMENT;
    ev->u.tcp.flags = IB_TCP_SYN | IB_TCP_ACK;
    ev = &evs[n++];
    ev_node(ev, IB_EV_NAT, IB_MS(10), &router);
    ev->u.nat.what = IB_NAT_MAP;
    ev->u.nat.proto = IB_IPPROTO_TCP;
    ev->u.nat.in_addr = LAPTOP;
    ev->u.nat.in_port = 49152;
    ev->u.nat.pub_addr = IB_IP4(121, 160, 55, 23);
    ev->u.nat.pub_port = 1024;
    ev->u.nat.peer_addr = WWW;
    ev->u.nat.peer_port = 80;
    evs[n] = evs[n - 1];
    ev = &evs[n++];
    ev->u.nat.what = IB_NAT_IN;
    evs[n] = evs[n - 1];
    ev = &evs[n++];
    ev->u.nat.what = IB_NAT_OUT;
    ev->u.nat.proto = IB_IPPROTO_ICMP;
    ev->u.nat.peer_port = 7;
    ev = &evs[n++];
    ev_node(ev, IB_EV_HTTP, IB_MS(11), &laptop);
    ev->u.http.what = IB_HTTP_REQUEST_TX;
    ev->u.http.method = "GET";
    ev->u.http.path = "/";
    ev->u.http.host = "www.google.com";
    ev->u.http.peer = WWW;
    ev->u.http.port = 80;
    ev = &evs[n++];
    ev_node(ev, IB_EV_HTTP, IB_MS(12), &laptop);
    ev->u.http.what = IB_HTTP_RESPONSE_RX;
    ev->u.http.status = 200;
    ev->u.http.len = 1256;
    ev->u.http.peer = WWW;
    ev->u.http.port = 80;
    ev = &evs[n++];
    ev_node(ev, IB_EV_HTTP, IB_MS(13), &laptop);
    ev->u.http.what = IB_HTTP_FETCH_DONE;
    ev->u.http.url = "http://www.google.com/\x1b[2J";
    ev->u.http.err = IB_ERR_TIMEOUT;
    assert_true(n <= IB_ARRAY_LEN(evs));

    char *text = NULL, *plain = NULL;
    size_t tlen = 0, plen = 0;
    struct ib_tcpdump td = {open_memstream(&text, &tlen)}, tp = {open_memstream(&plain, &plen)};
    assert_non_null(td.out);
    assert_non_null(tp.out);
    for (unsigned i = 0; i < n; i++) {
        ib_tcpdump_journey_observer(&td, &evs[i]);
        ib_tcpdump_observer(&tp, &evs[i]);
    }
    assert_int_equal(fclose(td.out), 0);
    assert_int_equal(fclose(tp.out), 0);
    assert_string_equal(plain, "");
    assert_string_equal(
        text,
        "0.001000000 laptop:eth0 DHCP send DHCPDISCOVER xid 0x5a7e1e41, chaddr "
        "02:00:00:00:00:01\n"
        "0.002000000 laptop:eth0 DHCP rcvd DHCPOFFER xid 0x5a7e1e41, chaddr 00:00:00:00:00:00, "
        "yiaddr 192.168.0.100, server 192.168.0.1\n"
        "0.003000000 laptop DHCP bound 192.168.0.100/24, router 192.168.0.1, dns 168.126.63.1, "
        "lease 86400s, server 192.168.0.1\n"
        "0.004000000 laptop HTTP fetch http://www.google.com/\n"
        "0.005000000 laptop DNS query 4660 A? www.google.com. to 168.126.63.1 (recursion "
        "desired)\n"
        "0.006000000 isp-dns DNS response 777 A? www.google.com. from 198.41.0.4: referral to "
        "com. (a.gtld-servers.net. 192.5.6.30)\n"
        "0.007000000 isp-dns DNS response 4661 TYPE99? . to 192.168.0.100 over TCP: error "
        "SERVFAIL\n"
        "0.008000000 laptop DNS resolved A? www.google.com.: answer 142.250.196.100 ttl 300 "
        "(authoritative)\n"
        "0.009000000 laptop TCP 192.168.0.100:49152 > 142.250.196.100:80 SYN_SENT -> "
        "ESTABLISHED (rcvd SYN+ACK)\n"
        "0.010000000 home-router NAT map tcp 192.168.0.100:49152 <-> 121.160.55.23:1024 (peer "
        "142.250.196.100:80)\n"
        "0.010000000 home-router NAT in tcp dst 121.160.55.23:1024 -> 192.168.0.100:49152 (from "
        "142.250.196.100:80)\n"
        "0.010000000 home-router NAT out icmp src 192.168.0.100 id 49152 -> 121.160.55.23 id "
        "1024 (to 142.250.196.100 id 7)\n"
        "0.011000000 laptop HTTP request GET / (Host www.google.com) to 142.250.196.100:80\n"
        "0.012000000 laptop HTTP response 200 OK, 1256 bytes from 142.250.196.100:80\n"
        "0.013000000 laptop HTTP failed http://www.google.com/\\x1b[2J: "
        "connection timed out\n");
    free(text);
    free(plain);
}

/* A real connection on a real link: the state changes of both ends are
 * told between the frames that caused them (RFC 9293 §3.5 figure 6). */
static void test_journey_tcp(void **state)
{
    (void)state;
    struct tp *t = malloc(sizeof(*t));
    assert_non_null(t);
    tp_init(t, NULL);
    char *text = NULL;
    size_t tlen = 0;
    struct ib_tcpdump td = {open_memstream(&text, &tlen)};
    assert_non_null(td.out);
    assert_int_equal(ib_world_observe(t->w, ib_tcpdump_journey_observer, &td), 0);
    tp_establish(t);
    tp_finish(t); /* the observer writes until the world is freed */
    free(t);
    assert_int_equal(fclose(td.out), 0);

    uint16_t port = 0;
    const char *p = strstr(text, " a TCP 10.0.0.1:");
    assert_non_null(p);
    port = (uint16_t)atoi(p + strlen(" a TCP 10.0.0.1:"));
    char want[5][160];
    snprintf(want[0], sizeof(want[0]), " b TCP 0.0.0.0:80 > 0.0.0.0:0 CLOSED -> LISTEN (listen)\n");
    snprintf(want[1], sizeof(want[1]),
             " a TCP 10.0.0.1:%u > 10.0.0.2:80 CLOSED -> SYN_SENT (connect)\n", port);
    snprintf(want[2], sizeof(want[2]), " > 10.0.0.2.80: Flags [S], seq ");
    snprintf(want[3], sizeof(want[3]),
             " a TCP 10.0.0.1:%u > 10.0.0.2:80 SYN_SENT -> ESTABLISHED (rcvd SYN+ACK)\n", port);
    snprintf(want[4], sizeof(want[4]),
             " b TCP 10.0.0.2:80 > 10.0.0.1:%u SYN_RECEIVED -> ESTABLISHED (rcvd ACK)\n", port);
    const char *at = text;
    for (unsigned i = 0; i < 5; i++) {
        const char *q = strstr(at, want[i]);
        if (!q)
            fail_msg("missing after offset %zu: %s\n%s", (size_t)(at - text), want[i], text);
        at = q;
    }
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames),
        cmocka_unit_test(test_fragments),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_small_buffers),
        cmocka_unit_test(test_observer),
        cmocka_unit_test(test_app_frames),
        cmocka_unit_test(test_app_truncation),
        cmocka_unit_test(test_app_mutations),
        cmocka_unit_test(test_app_ports),
        cmocka_unit_test(test_journey_events),
        cmocka_unit_test(test_journey_tcp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
