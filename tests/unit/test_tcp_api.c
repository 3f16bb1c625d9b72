/* The TCP application interface between two real stacks: data both ways
 * delivered byte-exact, close and half-close semantics, refusal, giving
 * up (RFC 6298 / RFC 1122 §4.2.3.5), the zero window and its probes (RFC
 * 9293 §3.8.6.1), and SYN cookies keeping a full listener reachable (RFC
 * 4987 §3.6). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "inetbox/icmp.h"
#include "tcp_pair_harness.h"

static uint8_t *pattern(size_t n, uint32_t seed)
{
    uint8_t *b = malloc(n);
    assert_non_null(b);
    uint32_t x = seed;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        b[i] = (uint8_t)(x >> 16);
    }
    return b;
}

/* RFC 9293 §3.10.2-3: bytes sent on one end come out of the other, in
 * order, both directions at once. */
static void test_data_both_ways(void **state)
{
    (void)state;
    struct tp t;
    tp_init(&t, NULL);
    size_t n = 1500000;
    uint8_t *d0 = pattern(n, 1), *d1 = pattern(n, 2);
    tp_establish(&t);
    t.side[0].tx = d0;
    t.side[0].tx_len = n;
    t.side[1].tx = d1;
    t.side[1].tx_len = n;
    t.side[0].close_after_tx = t.side[1].close_after_tx = true;
    tp_push(&t.side[0]);
    tp_push(&t.side[1]);
    tp_run(&t, IB_SEC(5));
    assert_int_equal(t.side[1].rx_len, n);
    assert_int_equal(t.side[0].rx_len, n);
    assert_memory_equal(t.side[1].rx, d0, n);
    assert_memory_equal(t.side[0].rx, d1, n);
    assert_true(ib_tcp_eof(t.side[0].c));
    assert_true(ib_tcp_eof(t.side[1].c));

    struct ib_tcp_info in;
    ib_tcp_get_info(t.side[0].c, &in);
    assert_int_equal(in.bytes_acked, n);
    assert_int_equal(in.bytes_received, n);
    assert_int_equal(in.inflight, 0);
    assert_true(in.srtt > 0 && in.srtt < IB_MS(50));
    assert_true(in.rto >= ib_tcp_defaults.rto_min);
    assert_true(in.sack && in.timestamps && in.wscale);
    assert_int_equal(in.mss, 1448); /* 1500 - 40 - 12 for timestamps */
    assert_int_equal(in.retransmits, 0);
    assert_true(in.segs_out >= n / 1448);
    assert_int_equal(ib_tcp_send_pending(t.side[0].c), 0);
    free(d0);
    free(d1);
    tp_finish(&t);
}

/* RFC 9293 §3.10.4 / §3.6: after shutdown the end cannot send but still
 * receives; the peer reads its data, then EOF. */
static void test_shutdown_semantics(void **state)
{
    (void)state;
    struct tp t;
    tp_init(&t, NULL);
    tp_establish(&t);
    struct ib_tcp *a = t.side[0].c, *b = t.side[1].c;
    assert_int_equal(ib_tcp_send(a, "hello", 5), 5);
    assert_int_equal(ib_tcp_shutdown(a), 0);
    assert_int_equal(ib_tcp_send(a, "x", 1), IB_ERR_CLOSED);
    assert_int_equal(ib_tcp_send_space(a), 0);
    tp_run(&t, IB_MS(50));
    assert_int_equal(t.side[1].rx_len, 5);
    assert_memory_equal(t.side[1].rx, "hello", 5);
    assert_true(ib_tcp_eof(b));
    char buf[8];
    assert_int_equal(ib_tcp_recv(b, buf, sizeof(buf)), 0);
    assert_int_equal(ib_tcp_get_state(b), IB_TCP_CLOSE_WAIT);
    assert_int_equal(ib_tcp_send(b, "world", 5), 5);
    tp_run(&t, IB_MS(50));
    assert_int_equal(t.side[0].rx_len, 5);
    assert_memory_equal(t.side[0].rx, "world", 5);
    assert_false(ib_tcp_eof(a));
    tp_finish(&t);
}

/* RFC 2525 §2.17: closing with unread data resets the connection. */
static void test_close_unread_resets(void **state)
{
    (void)state;
    struct tp t;
    tp_init(&t, NULL);
    tp_establish(&t);
    t.side[1].read = false;
    assert_int_equal(ib_tcp_send(t.side[0].c, "data", 4), 4);
    tp_run(&t, IB_MS(50));
    assert_int_equal(ib_tcp_readable(t.side[1].c), 4);
    ib_tcp_close(t.side[1].c);
    t.side[1].c = NULL;
    tp_run(&t, IB_MS(50));
    assert_int_equal(t.side[0].err, IB_ERR_RESET);
    assert_int_equal(ib_tcp_get_state(t.side[0].c), IB_TCP_CLOSED);
    assert_int_equal(t.s[1]->tcp->mib.out_rsts, 1);
    tp_finish(&t);
}

/* RFC 9293 §3.10.7.1 and §3.10.7.3: a SYN to a closed port is reset and
 * the connect fails with "connection refused". */
static void test_refused(void **state)
{
    (void)state;
    struct tp t;
    tp_init(&t, NULL);
    tp_connect(&t, 0, 4444);
    tp_run(&t, IB_MS(50));
    assert_int_equal(t.side[0].err, IB_ERR_REFUSED);
    assert_int_equal(t.side[0].errors, 1);
    assert_int_equal(ib_tcp_get_state(t.side[0].c), IB_TCP_CLOSED);
    assert_int_equal(t.drops[1][IB_DROP_TCP_NO_LISTENER], 1);
    assert_int_equal(t.s[0]->tcp->mib.attempt_fails, 1);
    assert_int_equal(ib_tcp_send(t.side[0].c, "x", 1), IB_ERR_CLOSED);
    /* The handle stays until the app closes it. */
    ib_tcp_close(t.side[0].c);
    t.side[0].c = NULL;
    tp_finish(&t);
}

/* RFC 6298 (5.5) and RFC 1122 §4.2.3.5: with the link down the SYN is
 * sent syn_retries more times, 1, 2, 4 s apart, then the app is told. */
static void test_syn_timeout(void **state)
{
    (void)state;
    struct tp t;
    tp_init(&t, NULL);
    t.cfg[0].syn_retries = 2;
    /* A refused attempt first, so ARP has resolved; then every frame is
     * lost (a down link would make ARP fail, and that is another error). */
    tp_connect(&t, 0, 4444);
    tp_run(&t, IB_MS(50));
    ib_tcp_close(t.side[0].c);
    t.side[0].errors = 0;
    t.link->p.loss = 1.0;
    t.nev = 0;
    ib_time t0 = ib_now(&t.w->env);
    tp_connect(&t, 0, TP_PORT);
    tp_run(&t, IB_MS(6990));
    assert_int_equal(t.side[0].errors, 0);
    assert_int_equal(t.rexmit[0], 2);
    tp_run(&t, IB_MS(20));
    assert_int_equal(t.side[0].err, IB_ERR_TIMEOUT);
    assert_int_equal(tp_when(&t, 0, IB_TCP_SYN_SENT, IB_TCP_CLOSED) - t0, IB_SEC(7));
    tp_finish(&t);
}

/* Data outstanding on a dead link: RTO 200 ms (the minimum), doubling,
 * max_retries retransmissions, then IB_ERR_TIMEOUT (RFC 6298 (5.4)-(5.6)). */
static void test_data_timeout(void **state)
{
    (void)state;
    struct tp t;
    tp_init(&t, NULL);
    t.cfg[0].max_retries = 3;
    tp_establish(&t);
    ib_link_set_up(t.link, false);
    ib_time t0 = ib_now(&t.w->env);
    assert_int_equal(ib_tcp_send(t.side[0].c, "lost", 4), 4);
    tp_run(&t, IB_SEC(10));
    assert_int_equal(t.side[0].err, IB_ERR_TIMEOUT);
    assert_int_equal(t.rexmit[0], 3);
    ib_time gave_up = tp_when(&t, 0, IB_TCP_ESTABLISHED, IB_TCP_CLOSED) - t0;
    /* 0.2 + 0.4 + 0.8 + 1.6 s */
    assert_int_equal(gave_up, IB_MS(3000));
    tp_finish(&t);
}

/* RFC 9293 §3.8.6.1: a receiver that does not read closes its window; the
 * sender probes it with growing intervals and resumes when it opens. */
static void test_zero_window(void **state)
{
    (void)state;
    struct tp t;
    tp_init(&t, NULL);
    t.cfg[1].rcvbuf = 16384;
    size_t n = 100000;
    uint8_t *d = pattern(n, 3);
    t.side[1].read = false;
    tp_establish(&t);
    t.side[0].tx = d;
    t.side[0].tx_len = n;
    tp_push(&t.side[0]);
    tp_run(&t, IB_SEC(10));
    struct ib_tcp_info in;
    ib_tcp_get_info(t.side[0].c, &in);
    assert_int_equal(in.snd_wnd, 0);
    assert_int_equal(ib_tcp_readable(t.side[1].c), 16384);
    /* 0.2, 0.4, 0.8, 1.6, 3.2 s after the window closed: 5 in 10 s. */
    assert_int_equal(t.probes[0], 5);
    assert_int_equal(t.side[0].errors, 0);
    t.side[1].read = true;
    tp_drain(&t.side[1]);
    tp_run(&t, IB_SEC(20));
    assert_int_equal(t.side[1].rx_len, n);
    assert_memory_equal(t.side[1].rx, d, n);
    free(d);
    tp_finish(&t);
}

/* Fills in the Ethernet and IPv4 headers of p (14 + 20 bytes, then the
 * transport message) from src to side who's address, and delivers it to
 * who's interface. */
static void deliver_ip(struct tp *t, int who, struct ib_pkt *p, ib_ip4 src, uint8_t proto)
{
    struct ib_ip4_hdr ip = {.hlen = 20,
                            .tot_len = (uint16_t)(p->len - 14),
                            .ttl = 64,
                            .proto = proto,
                            .src = src,
                            .dst = who ? TP_B : TP_A};
    ib_ip4_emit(&ip, p->data + 14);
    struct ib_eth_hdr eh = {
        .dst = t->nif[who]->mac, .src = {{0x02, 9, 9, 9, 9, 9}}, .type = IB_ETHERTYPE_IP4};
    ib_eth_emit(&eh, p->data);
    ib_netif_receive(t->nif[who], p);
}

/* Delivers a SYN from addr:port to b, as if from another host. */
static void inject_syn(struct tp *t, ib_ip4 addr, uint16_t port, uint32_t seq)
{
    struct ib_pkt *p = ib_pkt_alloc(t->w->env.pool, IB_PKT_HEADROOM, 14 + 20 + 24);
    assert_non_null(p);
    struct ib_tcp_hdr h;
    memset(&h, 0, sizeof(h));
    h.sport = port;
    h.dport = TP_PORT;
    h.seq = seq;
    h.flags = IB_TCP_SYN;
    h.wnd = 65535;
    h.opt.has_mss = true;
    h.opt.mss = 1460;
    uint8_t *tcp = p->data + 34;
    assert_int_equal(ib_tcp_emit(&h, tcp), 24);
    ib_tcp_fill_csum(tcp, 24, addr, TP_B);
    deliver_ip(t, 1, p, addr, IB_IPPROTO_TCP);
}

/* RFC 4987 §3.6: with the backlog full of half-open connections (a SYN
 * flood from addresses that never answer), a legitimate client still
 * connects through a SYN cookie and exchanges data. */
static void test_syncookies(void **state)
{
    (void)state;
    struct tp t;
    tp_init(&t, NULL);
    t.cfg[1].backlog = 4;
    tp_listen(&t, 1, TP_PORT);
    for (unsigned i = 0; i < 20; i++)
        inject_syn(&t, IB_IP4(10, 0, 0, 100 + i), (uint16_t)(1000 + i), 1000u * i);
    struct ib_tcp_stack *ts = t.s[1]->tcp;
    assert_int_equal(t.side[1].l->ooo_bytes, 4);
    assert_int_equal(ts->mib.syncookies_sent, 16);
    tp_connect(&t, 0, TP_PORT);
    tp_run(&t, IB_MS(50));
    assert_int_equal(t.side[0].connected, 1);
    assert_int_equal(t.side[1].accepted, 1);
    assert_int_equal(ts->mib.syncookies_sent, 17);
    assert_int_equal(ts->mib.syncookies_recv, 1);
    struct ib_tcp_info in;
    ib_tcp_get_info(t.side[1].c, &in);
    /* The cookie kept the MSS only (RFC 4987 §3.6). */
    assert_false(in.timestamps || in.sack || in.wscale);
    assert_int_equal(in.mss, 1460);
    assert_int_equal(ib_tcp_send(t.side[0].c, "through", 7), 7);
    tp_run(&t, IB_MS(50));
    assert_int_equal(t.side[1].rx_len, 7);
    assert_memory_equal(t.side[1].rx, "through", 7);
    /* Without cookies the same client is turned away. */
    t.cfg[1].syncookies = false;
    struct ib_tcp *c2 = ib_tcp_connect(t.s[0], TP_B, TP_PORT, &tp_ops, &t.side[0], &t.cfg[0]);
    assert_non_null(c2);
    tp_run(&t, IB_MS(50));
    assert_int_equal(ib_tcp_get_state(c2), IB_TCP_SYN_SENT);
    assert_true(t.drops[1][IB_DROP_TCP_BACKLOG_FULL] >= 1);
    ib_tcp_abort(c2);
    tp_finish(&t);
}

/* Delivers to a an ICMP destination unreachable from b quoting a segment
 * a sent on c with sequence number seq (RFC 792: IP header + 8 bytes). */
static void inject_unreach(struct tp *t, struct ib_tcp *c, uint8_t code, uint16_t mtu, uint32_t seq)
{
    ib_ip4 la, ra;
    uint16_t lp, rp;
    ib_tcp_endpoints(c, &la, &lp, &ra, &rp);
    size_t icmp_len = IB_ICMP_HLEN + 20 + 8;
    struct ib_pkt *p = ib_pkt_alloc(t->w->env.pool, IB_PKT_HEADROOM, 14 + 20 + icmp_len);
    assert_non_null(p);
    uint8_t *icmp = p->data + 34;
    struct ib_ip4_hdr q = {.hlen = 20,
                           .tot_len = 1500,
                           .ttl = 64,
                           .proto = IB_IPPROTO_TCP,
                           .frag = IB_IP4_DF,
                           .src = la,
                           .dst = ra};
    ib_ip4_emit(&q, icmp + IB_ICMP_HLEN);
    uint8_t *th = icmp + IB_ICMP_HLEN + 20;
    ib_put16(th, lp);
    ib_put16(th + 2, rp);
    ib_put32(th + 4, seq);
    struct ib_icmp_hdr ih = {.type = IB_ICMP_DEST_UNREACH, .code = code, .rest = mtu};
    ib_icmp_emit(&ih, icmp, icmp_len);
    deliver_ip(t, 0, p, TP_B, IB_IPPROTO_ICMP);
}

/* RFC 1191 §6.2: "fragmentation needed" lowers the segment size to the
 * next-hop MTU and the data is sent again at once; an error quoting a
 * sequence number not in flight is ignored (RFC 5927 §4.1). */
static void test_icmp_needfrag(void **state)
{
    (void)state;
    struct tp t;
    tp_init(&t, NULL);
    tp_establish(&t);
    t.side[1].read = false;
    struct ib_tcp *a = t.side[0].c;
    uint8_t *d = pattern(4000, 5);
    ib_link_set_up(t.link, false);
    assert_int_equal(ib_tcp_send(a, d, 4000), 4000);
    struct ib_tcp_info in;
    ib_tcp_get_info(a, &in);
    assert_int_equal(in.mss, 1448);
    uint32_t una = a->snd_una;
    inject_unreach(&t, a, IB_ICMP_UNREACH_NEEDFRAG, 1000, una + 100000);
    ib_tcp_get_info(a, &in);
    assert_int_equal(in.mss, 1448);
    ib_link_set_up(t.link, true);
    inject_unreach(&t, a, IB_ICMP_UNREACH_NEEDFRAG, 1000, una);
    ib_tcp_get_info(a, &in);
    assert_int_equal(in.mss, 1000 - 40 - 12);
    tp_run(&t, IB_MS(50));
    assert_int_equal(ib_tcp_readable(t.side[1].c), 4000);
    tp_drain(&t.side[1]);
    assert_memory_equal(t.side[1].rx, d, 4000);
    /* A soft error on an established connection changes nothing. */
    inject_unreach(&t, a, IB_ICMP_UNREACH_PORT, 0, a->snd_una);
    assert_int_equal(ib_tcp_get_state(a), IB_TCP_ESTABLISHED);
    free(d);
    tp_finish(&t);
}

/* RFC 1122 §4.2.3.9 / RFC 5927 §4.1: a connection attempt ends on a
 * destination-unreachable error. */
static void test_icmp_unreach_syn_sent(void **state)
{
    (void)state;
    struct tp t;
    tp_init(&t, NULL);
    t.link->p.loss = 1.0;
    struct ib_tcp *a = tp_connect(&t, 0, TP_PORT);
    inject_unreach(&t, a, IB_ICMP_UNREACH_HOST, 0, a->iss);
    assert_int_equal(t.side[0].err, IB_ERR_UNREACH);
    assert_int_equal(ib_tcp_get_state(a), IB_TCP_CLOSED);
    tp_finish(&t);
}

static void test_api_misuse(void **state)
{
    (void)state;
    struct tp t;
    tp_init(&t, NULL);
    tp_listen(&t, 1, TP_PORT);
    /* one listener per address and port */
    assert_null(ib_tcp_listen(t.s[1], IB_IP4_ANY, TP_PORT, &tp_ops, NULL, NULL));
    /* no route */
    assert_null(ib_tcp_connect(t.s[0], IB_IP4(192, 168, 9, 9), 80, &tp_ops, NULL, NULL));
    assert_string_equal(ib_tcp_state_name(IB_TCP_SYN_RECEIVED), "SYN_RECEIVED");
    assert_string_equal(ib_tcp_state_name(IB_TCP_TIME_WAIT), "TIME_WAIT");
    tp_finish(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_both_ways),      cmocka_unit_test(test_shutdown_semantics),
        cmocka_unit_test(test_close_unread_resets), cmocka_unit_test(test_refused),
        cmocka_unit_test(test_syn_timeout),         cmocka_unit_test(test_data_timeout),
        cmocka_unit_test(test_zero_window),         cmocka_unit_test(test_syncookies),
        cmocka_unit_test(test_icmp_needfrag),       cmocka_unit_test(test_icmp_unreach_syn_sent),
        cmocka_unit_test(test_api_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
