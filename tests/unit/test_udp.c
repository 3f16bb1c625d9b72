/* UDP tests: RFC 768 header and pseudo-header checksum against byte
 * vectors (checked with tshark, checksum validation on), demultiplexing,
 * ephemeral ports (RFC 6335 §6), ICMP port unreachable (RFC 1122 §4.1.3.1)
 * byte for byte, and ICMP errors delivered to the sending endpoint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "inetbox/cksum.h"
#include "l4_harness.h"

/* 10.0.0.2:40000 -> 10.0.0.1:7 "hello", UDP checksum 0x0bb8. */
static const uint8_t udp_in_dgram[33] = {
    0x45, 0x00, 0x00, 0x21, 0xab, 0xcd, 0x00, 0x00, 0x40, 0x11, 0xba, 0xfc,
    0x0a, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x01, 0x9c, 0x40, 0x00, 0x07,
    0x00, 0x0d, 0x0b, 0xb8, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
};
/* The host's port unreachable about it (IP id 0x1000, TTL 64): type 3
 * code 3, the whole datagram quoted. */
static const uint8_t port_unreach_frame[75] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x3d, 0x10, 0x00, 0x00, 0x00, 0x40, 0x01,
    0x56, 0xbe, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x03, 0x03,
    0x11, 0x1e, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x21, 0xab, 0xcd,
    0x00, 0x00, 0x40, 0x11, 0xba, 0xfc, 0x0a, 0x00, 0x00, 0x02, 0x0a, 0x00,
    0x00, 0x01, 0x9c, 0x40, 0x00, 0x07, 0x00, 0x0d, 0x0b, 0xb8, 0x68, 0x65,
    0x6c, 0x6c, 0x6f,
};
/* 10.0.0.1:50000 -> 10.0.0.2:53 "hello" (IP id 0x1000), before the
 * Ethernet padding to 60 bytes. */
static const uint8_t udp_out_frame[47] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x21, 0x10, 0x00, 0x00, 0x00, 0x40, 0x11,
    0x56, 0xca, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0xc3, 0x50,
    0x00, 0x35, 0x00, 0x0d, 0xe4, 0x79, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
};

static void test_parse_emit(void **state)
{
    (void)state;
    const uint8_t *u = udp_in_dgram + 20;
    struct ib_udp_hdr h;
    assert_int_equal(ib_udp_parse(u, 13, L4H_PEER, L4H_HOST, &h), 0);
    assert_int_equal(h.sport, 40000);
    assert_int_equal(h.dport, 7);
    assert_int_equal(h.len, 13);
    assert_int_equal(h.csum, 0x0bb8);
    uint8_t b[13];
    memcpy(b + 8, "hello", 5);
    ib_udp_emit(&h, b, sizeof(b), L4H_PEER, L4H_HOST);
    assert_memory_equal(b, u, 13);

    /* The pseudo-header counts: the same bytes between other addresses
     * fail. */
    assert_int_equal(ib_udp_parse(u, 13, L4H_PEER, IB_IP4(10, 0, 0, 3), &h),
                     IB_DROP_UDP_BAD_CHECKSUM);
    b[12] ^= 1;
    assert_int_equal(ib_udp_parse(b, 13, L4H_PEER, L4H_HOST, &h), IB_DROP_UDP_BAD_CHECKSUM);
    /* RFC 768: a zero checksum means none was computed. */
    ib_put16(b + 6, 0);
    assert_int_equal(ib_udp_parse(b, 13, L4H_PEER, L4H_HOST, &h), 0);
    /* Lengths: at least the header, at most what IP carried. */
    assert_int_equal(ib_udp_parse(u, 7, L4H_PEER, L4H_HOST, &h), IB_DROP_UDP_TRUNCATED);
    assert_int_equal(ib_udp_parse(u, 12, L4H_PEER, L4H_HOST, &h), IB_DROP_UDP_BAD_LENGTH);
    memcpy(b, u, 13);
    ib_put16(b + 4, 7);
    ib_put16(b + 6, 0);
    assert_int_equal(ib_udp_parse(b, 13, L4H_PEER, L4H_HOST, &h), IB_DROP_UDP_BAD_LENGTH);

    /* RFC 768: a computed checksum of zero is sent as all ones. With
     * 10.0.0.1:1000 -> 10.0.0.2:2000 and data e0 1f the sum is 0xffff. */
    uint8_t z[10] = {0, 0, 0, 0, 0, 0, 0, 0, 0xe0, 0x1f};
    struct ib_udp_hdr zh = {.sport = 1000, .dport = 2000, .len = 10};
    ib_udp_emit(&zh, z, sizeof(z), L4H_HOST, L4H_PEER);
    assert_int_equal(ib_get16(z + 6), 0xffff);
    assert_int_equal(ib_udp_parse(z, sizeof(z), L4H_HOST, L4H_PEER, &zh), 0);
}

struct rx {
    unsigned n;
    ib_ip4 src;
    uint16_t sport;
    size_t len;
    uint8_t data[64];
    unsigned errs;
    ib_ip4 err_from, err_dst;
    uint8_t err_type, err_code;
    uint16_t err_dport;
};

static void on_recv(struct ib_udp_pcb *u, ib_ip4 src, uint16_t sport, struct ib_pkt *p)
{
    struct rx *r = u->arg;
    r->n++;
    r->src = src;
    r->sport = sport;
    r->len = p->len;
    memcpy(r->data, p->data, p->len < sizeof(r->data) ? p->len : sizeof(r->data));
    ib_pkt_free(p);
}

static void on_err(struct ib_udp_pcb *u, ib_ip4 from, uint8_t type, uint8_t code, ib_ip4 dst,
                   uint16_t dport)
{
    struct rx *r = u->arg;
    r->errs++;
    r->err_from = from;
    r->err_type = type;
    r->err_code = code;
    r->err_dst = dst;
    r->err_dport = dport;
}

static void bind_rx(struct l4h *h, struct ib_udp_pcb *u, struct rx *r, ib_ip4 laddr,
                    uint16_t port)
{
    memset(u, 0, sizeof(*u));
    assert_int_equal(ib_udp_bind(&h->s, u, laddr, port), 0);
    u->recv = on_recv;
    u->err = on_err;
    u->arg = r;
}

static void test_deliver(void **state)
{
    (void)state;
    struct l4h *h = l4h_new();
    struct ib_udp_pcb any, exact;
    struct rx rany = {0}, rexact = {0};
    bind_rx(h, &any, &rany, IB_IP4_ANY, 7);
    l4h_inject(h, udp_in_dgram, sizeof(udp_in_dgram));
    assert_int_equal(rany.n, 1);
    assert_int_equal(rany.src, L4H_PEER);
    assert_int_equal(rany.sport, 40000);
    assert_int_equal(rany.len, 5);
    assert_memory_equal(rany.data, "hello", 5);
    assert_int_equal(h->ev[IB_EV_UDP_RX], 1);
    assert_int_equal(h->s.udp_stats.in, 1);

    /* An endpoint bound to the destination address is preferred. */
    bind_rx(h, &exact, &rexact, L4H_HOST, 7);
    l4h_inject(h, udp_in_dgram, sizeof(udp_in_dgram));
    assert_int_equal(rexact.n, 1);
    assert_int_equal(rany.n, 1);

    /* IP carrying more than the UDP length: the user sees only UDP's. */
    uint8_t d[40];
    memcpy(d, udp_in_dgram, sizeof(udp_in_dgram));
    memcpy(d + 33, "XXXXXXX", 7);
    l4h_ip(d, L4H_PEER, L4H_HOST, IB_IPPROTO_UDP, 0, 20);
    l4h_inject(h, d, sizeof(d));
    assert_int_equal(rexact.n, 2);
    assert_int_equal(rexact.len, 5);

    /* A bad checksum is dropped, never answered. */
    memcpy(d, udp_in_dgram, sizeof(udp_in_dgram));
    d[32] ^= 1;
    l4h_inject(h, d, sizeof(udp_in_dgram));
    assert_int_equal(rexact.n, 2);
    assert_int_equal(h->s.node.drops[IB_DROP_UDP_BAD_CHECKSUM], 1);
    assert_int_equal(h->n_out, 0);

    ib_udp_close(&exact);
    l4h_inject(h, udp_in_dgram, sizeof(udp_in_dgram));
    assert_int_equal(rany.n, 2);
    ib_udp_close(&any);
    assert_null(h->s.udp);
    l4h_clear(h);
    l4h_free(h);
}

/* RFC 1122 §4.1.3.1: no listener -> ICMP port unreachable quoting the
 * datagram (RFC 792: its IP header and at least 8 bytes). */
static void test_port_unreachable(void **state)
{
    (void)state;
    struct l4h *h = l4h_new();
    l4h_inject(h, udp_in_dgram, sizeof(udp_in_dgram));
    assert_int_equal(h->n_out, 1);
    assert_int_equal(h->out[0]->len, sizeof(port_unreach_frame));
    assert_memory_equal(h->out[0]->data, port_unreach_frame, sizeof(port_unreach_frame));
    assert_int_equal(h->s.node.drops[IB_DROP_UDP_NO_LISTENER], 1);
    assert_int_equal(h->s.icmp_stats.errors_out, 1);
    assert_int_equal(h->icmp_tx.type, IB_ICMP_DEST_UNREACH);
    assert_int_equal(h->icmp_tx.code, IB_ICMP_UNREACH_PORT);
    l4h_clear(h);

    /* An endpoint bound to another address is not a listener either. */
    struct ib_udp_pcb other;
    struct rx r = {0};
    bind_rx(h, &other, &r, IB_IP4(10, 0, 0, 9), 7);
    l4h_inject(h, udp_in_dgram, sizeof(udp_in_dgram));
    assert_int_equal(r.n, 0);
    assert_int_equal(h->n_out, 1);
    ib_udp_close(&other);
    l4h_clear(h);

    /* RFC 1122 §3.2.2: a broadcast to a closed port gets no error, link or
     * IP broadcast alike; the drop is still counted. */
    uint8_t d[33];
    memcpy(d, udp_in_dgram, sizeof(d));
    l4h_ip(d, L4H_PEER, IB_IP4(10, 0, 0, 255), IB_IPPROTO_UDP, 0, 13);
    ib_put16(d + 26, 0); /* no UDP checksum */
    l4h_inject_to(h, &ib_mac_broadcast, &l4h_peer_mac, d, sizeof(d));
    l4h_ip(d, L4H_PEER, IB_IP4_BROADCAST, IB_IPPROTO_UDP, 0, 13);
    l4h_inject_to(h, &ib_mac_broadcast, &l4h_peer_mac, d, sizeof(d));
    assert_int_equal(h->n_out, 0);
    assert_int_equal(h->s.node.drops[IB_DROP_UDP_NO_LISTENER], 4);
    l4h_free(h);
}

/* RFC 6335 §6: ephemeral ports from 49152-65535, never one in use; a
 * second binding of the same (address, port) is refused. */
static void test_bind(void **state)
{
    (void)state;
    struct l4h *h = l4h_new();
    struct ib_udp_pcb a, b, c, d, e;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    memset(&c, 0, sizeof(c));
    memset(&d, 0, sizeof(d));
    memset(&e, 0, sizeof(e));
    assert_int_equal(ib_udp_bind(&h->s, &a, IB_IP4_ANY, 53), 0);
    assert_int_equal(ib_udp_bind(&h->s, &b, IB_IP4_ANY, 53), IB_ERR_INUSE);
    assert_int_equal(ib_udp_bind(&h->s, &b, L4H_HOST, 53), 0);
    assert_int_equal(ib_udp_bind(&h->s, &c, L4H_HOST, 53), IB_ERR_INUSE);

    assert_int_equal(ib_udp_bind(&h->s, &c, IB_IP4_ANY, 65535), 0);
    h->s.next_port = 65534;
    assert_int_equal(ib_udp_bind(&h->s, &d, IB_IP4_ANY, 0), 0);
    assert_int_equal(d.lport, 65534);
    /* 65535 is taken: wrap to the bottom of the range. */
    assert_int_equal(ib_udp_bind(&h->s, &e, L4H_HOST, 0), 0);
    assert_int_equal(e.lport, 49152);
    ib_udp_close(&e);
    /* Whatever the cursor, the port is in range. */
    h->s.next_port = 80;
    assert_int_equal(ib_udp_bind(&h->s, &e, IB_IP4_ANY, 0), 0);
    assert_int_equal(e.lport, 49152);
    ib_udp_close(&a);
    assert_int_equal(ib_udp_bind(&h->s, &a, IB_IP4_ANY, 53), 0);
    ib_udp_close(&a);
    ib_udp_close(&b);
    ib_udp_close(&c);
    ib_udp_close(&d);
    ib_udp_close(&e);
    assert_null(h->s.udp);
    l4h_free(h);
}

static void test_sendto(void **state)
{
    (void)state;
    struct l4h *h = l4h_new();
    struct ib_udp_pcb u;
    struct rx r = {0};
    h->s.next_port = 50000;
    bind_rx(h, &u, &r, IB_IP4_ANY, 0);
    assert_int_equal(u.lport, 50000);
    struct ib_pkt *p = ib_pkt_from(h->env.pool, "hello", 5);
    assert_non_null(p);
    assert_int_equal(ib_udp_sendto(&u, p, L4H_PEER, 53, 0), 0);
    assert_int_equal(h->n_out, 1);
    /* Ethernet pads to 60 bytes with zeros. */
    assert_int_equal(h->out[0]->len, 60);
    assert_memory_equal(h->out[0]->data, udp_out_frame, sizeof(udp_out_frame));
    for (size_t i = sizeof(udp_out_frame); i < 60; i++)
        assert_int_equal(h->out[0]->data[i], 0);
    assert_int_equal(h->s.udp_stats.out, 1);
    assert_int_equal(h->ev[IB_EV_UDP_TX], 1);
    assert_true(h->out[0]->journey != 0);
    l4h_clear(h);

    /* A TTL of our choice (what traceroute needs), through the gateway. */
    p = ib_pkt_from(h->env.pool, "x", 1);
    assert_non_null(p);
    assert_int_equal(ib_udp_sendto(&u, p, IB_IP4(192, 0, 2, 1), 33434, 3), 0);
    assert_int_equal(h->n_out, 1);
    assert_memory_equal(h->out[0]->data, l4h_gw_mac.b, 6);
    struct ib_ip4_hdr ip;
    size_t len;
    const uint8_t *m = l4h_out_l4(h, 0, &ip, &len);
    assert_int_equal(ip.ttl, 3);
    struct ib_udp_hdr uh;
    assert_int_equal(ib_udp_parse(m, len, ip.src, ip.dst, &uh), 0);
    assert_int_equal(uh.dport, 33434);
    assert_int_equal(uh.len, 9);
    l4h_clear(h);
    ib_udp_close(&u);
    l4h_free(h);
}

/* RFC 1122 §4.1.3.3: UDP passes ICMP errors to the application; the
 * endpoint is found from the quoted source port. */
static void test_icmp_error_to_endpoint(void **state)
{
    (void)state;
    struct l4h *h = l4h_new();
    struct ib_udp_pcb u;
    struct rx r = {0};
    bind_rx(h, &u, &r, IB_IP4_ANY, 40000);
    /* The quote: a datagram we sent from port 40000 to 192.0.2.1:33435. */
    uint8_t d[20 + 8 + 28];
    uint8_t *q = d + 28;
    l4h_ip(q, L4H_HOST, IB_IP4(192, 0, 2, 1), IB_IPPROTO_UDP, 0, 12);
    ib_put16(q + 20, 40000);
    ib_put16(q + 22, 33435);
    ib_put16(q + 24, 12);
    ib_put16(q + 26, 0x1234);
    struct ib_icmp_hdr ih = {.type = IB_ICMP_TIME_EXCEEDED, .code = IB_ICMP_EXC_TTL};
    ib_icmp_emit(&ih, d + 20, 8 + 28);
    l4h_ip(d, L4H_GW, L4H_HOST, IB_IPPROTO_ICMP, 0, 8 + 28);
    l4h_inject(h, d, sizeof(d));
    assert_int_equal(r.errs, 1);
    assert_int_equal(r.err_from, L4H_GW);
    assert_int_equal(r.err_type, IB_ICMP_TIME_EXCEEDED);
    assert_int_equal(r.err_code, IB_ICMP_EXC_TTL);
    assert_int_equal(r.err_dst, IB_IP4(192, 0, 2, 1));
    assert_int_equal(r.err_dport, 33435);

    /* About another port: nobody is told. */
    ib_put16(q + 20, 40001);
    ib_icmp_emit(&ih, d + 20, 8 + 28);
    l4h_inject(h, d, sizeof(d));
    assert_int_equal(r.errs, 1);
    assert_int_equal(h->n_out, 0);
    ib_udp_close(&u);
    l4h_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_emit),
        cmocka_unit_test(test_deliver),
        cmocka_unit_test(test_port_unreachable),
        cmocka_unit_test(test_bind),
        cmocka_unit_test(test_sendto),
        cmocka_unit_test(test_icmp_error_to_endpoint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
