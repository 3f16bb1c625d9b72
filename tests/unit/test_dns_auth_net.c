/* The authoritative server on a small world, a client host and the server
 * on one cable of 1 ms:
 *
 *   client 10.0.0.1/24 eth0 -- eth0 10.0.0.53/24 ns (google.com on port 53)
 *
 * Over UDP (RFC 1035 §4.2.1) and TCP (RFC 1035 §4.2.2, RFC 7766) the
 * client gets the bytes ib_dns_auth_answer gives for the same query; TCP
 * carries pipelined queries in order, through partial reads and writes
 * and a full receiver, and closes idle connections. The trace shows every
 * query received and response sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns_zones.h"
#include "inetbox/dns_server.h"
#include "inetbox/world.h"

#define CLIENT IB_IP4(10, 0, 0, 1)
#define SERVER IB_IP4(10, 0, 0, 53)
#define MAX_EVENTS 512

struct dns_ev {
    uint8_t what, kind, rcode;
    bool tcp, aa, rd;
    uint16_t id, qtype;
    char qname[IB_DNS_NAME_SIZE];
    ib_ip4 server, addr;
    uint32_t ttl;
};

struct net {
    struct ib_world *w;
    struct ib_stack *client, *ns;
    struct ib_dns_auth *a;
    struct dns_ev ev[MAX_EVENTS];
    unsigned nev;
};

static void observe(void *ctx, const struct ib_event *e)
{
    struct net *n = ctx;
    if (e->kind != IB_EV_DNS || n->nev == MAX_EVENTS) return;
    struct dns_ev *d = &n->ev[n->nev++];
    assert_int_equal(e->layer, 7);
    assert_ptr_equal(e->node, &n->ns->node);
    d->what = e->u.dns.what;
    d->kind = e->u.dns.kind;
    d->rcode = e->u.dns.rcode;
    d->tcp = e->u.dns.tcp;
    d->aa = e->u.dns.aa;
    d->rd = e->u.dns.rd;
    d->id = e->u.dns.id;
    d->qtype = e->u.dns.qtype;
    snprintf(d->qname, sizeof(d->qname), "%s", e->u.dns.qname);
    d->server = e->u.dns.server;
    d->addr = e->u.dns.addr;
    d->ttl = e->u.dns.ttl;
}

static void net_build(struct net *n)
{
    memset(n, 0, sizeof(*n));
    n->w = ib_world_new(7);
    assert_non_null(n->w);
    n->client = ib_world_add_host(n->w, "client");
    n->ns = ib_world_add_host(n->w, "ns");
    struct ib_netif *ce = ib_world_add_netif(n->w, &n->client->node, "eth0");
    struct ib_netif *se = ib_world_add_netif(n->w, &n->ns->node, "eth0");
    struct ib_link_params p = ib_link_defaults;
    p.rate_bps = 0;
    p.delay = IB_MS(1);
    assert_non_null(ib_world_connect(n->w, ce, se, &p));
    assert_int_equal(ib_stack_set_addr(n->client, ce, CLIENT, 24), 0);
    assert_int_equal(ib_stack_set_addr(n->ns, se, SERVER, 24), 0);
    assert_int_equal(ib_world_observe(n->w, observe, n), 0);
    ib_world_run(n->w, IB_SEC(1));
    n->a = ib_dns_auth_start(n->ns, IB_DNS_PORT);
    assert_non_null(n->a);
    /* The port is taken now. */
    assert_null(ib_dns_auth_start(n->ns, IB_DNS_PORT));
    char text[2048];
    int len = snprintf(text, sizeof(text), "%s", zone_google);
    for (int i = 1; i <= 40; i++)
        len += snprintf(text + len, sizeof(text) - (size_t)len, "many A 10.1.0.%d\n", i);
    struct ib_dns_zone *z;
    char err[128];
    assert_int_equal(
        ib_dns_zone_parse(&z, "google", text, (size_t)len, "google.com", err, sizeof(err)), 0);
    assert_int_equal(ib_dns_auth_add_zone(n->a, z), 0);
}

static void net_free(struct net *n)
{
    ib_dns_auth_stop(n->a);
    ib_world_run(n->w, IB_TIME_NEVER);
    struct ib_pkt_pool_stats st;
    ib_pkt_pool_stats(n->w->env.pool, &st);
    assert_int_equal(st.in_use, 0);
    ib_world_free(n->w);
}

/* What the server says to q, without the network, for comparison. */
static size_t expected(const struct net *n, const uint8_t *q, size_t qlen, uint8_t *out, size_t cap)
{
    size_t len = ib_dns_auth_answer(n->a, q, qlen, out, cap);
    assert_true(len > 0);
    return len;
}

struct udp_client {
    struct ib_udp_pcb pcb;
    uint8_t rx[2048];
    size_t len;
    int n;
};

static void udp_client_recv(struct ib_udp_pcb *u, ib_ip4 src, uint16_t sport, struct ib_pkt *p)
{
    struct udp_client *c = u->arg;
    assert_int_equal(src, SERVER);
    assert_int_equal(sport, IB_DNS_PORT);
    assert_true(p->len <= sizeof(c->rx));
    memcpy(c->rx, p->data, p->len);
    c->len = p->len;
    c->n++;
    ib_pkt_free(p);
}

static void udp_send(struct net *n, struct udp_client *c, const void *b, size_t len)
{
    struct ib_pkt *p = ib_pkt_from(n->w->env.pool, b, len);
    assert_non_null(p);
    ib_udp_sendto(&c->pcb, p, SERVER, IB_DNS_PORT, 0);
    ib_world_run(n->w, ib_now(&n->w->env) + IB_SEC(1));
}

/* RFC 1035 §4.2.1: a query in one datagram, the answer in one back, to
 * the port it came from; QUERY_RX and RESPONSE_TX events tell it. */
static void test_udp_query(void **state)
{
    (void)state;
    struct net n;
    net_build(&n);
    struct udp_client c = {.pcb = {.recv = udp_client_recv, .arg = &c}};
    assert_int_equal(ib_udp_bind(n.client, &c.pcb, 0, 0), 0);
    uint8_t q[512], want[IB_DNS_EDNS_SIZE];
    size_t qn = dns_query(q, 512, 0x1111, "www.google.com", IB_DNS_T_A, true, 0);
    size_t wn = expected(&n, q, qn, want, IB_DNS_UDP_MAX);
    udp_send(&n, &c, q, qn);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.len, wn);
    assert_memory_equal(c.rx, want, wn);

    assert_int_equal(n.nev, 2);
    const struct dns_ev *e = &n.ev[0];
    assert_int_equal(e->what, IB_DNS_QUERY_RX);
    assert_int_equal(e->server, CLIENT);
    assert_string_equal(e->qname, "www.google.com");
    assert_int_equal(e->qtype, IB_DNS_T_A);
    assert_int_equal(e->id, 0x1111);
    assert_true(e->rd);
    assert_false(e->tcp);
    e = &n.ev[1];
    assert_int_equal(e->what, IB_DNS_RESPONSE_TX);
    assert_int_equal(e->kind, IB_DNS_KIND_ANSWER);
    assert_int_equal(e->server, CLIENT);
    assert_int_equal(e->addr, IB_IP4(142, 250, 196, 100));
    assert_int_equal(e->ttl, 300);
    assert_true(e->aa);
    assert_int_equal(e->rcode, IB_DNS_R_NOERROR);
    assert_int_equal(e->id, 0x1111);

    /* 40 addresses: TC over plain UDP (RFC 2181 §9), whole with EDNS. */
    qn = dns_query(q, 512, 0x2222, "many.google.com", IB_DNS_T_A, true, 0);
    udp_send(&n, &c, q, qn);
    assert_int_equal(c.n, 2);
    assert_true(c.len <= IB_DNS_UDP_MAX);
    assert_true(c.rx[2] & 0x02);
    assert_int_equal(n.ev[3].kind, IB_DNS_KIND_TRUNCATED);
    qn = dns_query(q, 512, 0x3333, "many.google.com", IB_DNS_T_A, true, 4096);
    wn = expected(&n, q, qn, want, IB_DNS_EDNS_SIZE);
    udp_send(&n, &c, q, qn);
    assert_int_equal(c.n, 3);
    assert_true(c.len > IB_DNS_UDP_MAX);
    assert_int_equal(c.len, wn);
    assert_memory_equal(c.rx, want, wn);

    /* No answer to what is not a query: dropped and counted. */
    udp_send(&n, &c, q, 5);
    q[2] |= 0x80;
    udp_send(&n, &c, q, qn);
    assert_int_equal(c.n, 3);
    assert_int_equal(n.ns->node.drops[IB_DROP_DNS_MALFORMED], 1);
    assert_int_equal(n.ns->node.drops[IB_DROP_DNS_UNEXPECTED], 1);

    struct ib_dns_auth_stats st;
    ib_dns_auth_get_stats(n.a, &st);
    assert_int_equal(st.udp_queries, 3);
    assert_int_equal(st.responses, 3);
    assert_int_equal(st.truncated, 1);
    ib_udp_close(&c.pcb);
    net_free(&n);
}

struct tcp_client {
    struct ib_tcp *c;
    uint8_t *rx;
    size_t len, cap;
    bool connected, eof, read;
    int err;
};

static void tc_connected(struct ib_tcp *c, void *arg)
{
    struct tcp_client *t = arg;
    t->connected = true;
}

static void tc_readable(struct ib_tcp *c, void *arg)
{
    struct tcp_client *t = arg;
    if (!t->read) return;
    long r;
    while ((r = ib_tcp_recv(c, t->rx + t->len, t->cap - t->len)) > 0)
        t->len += (size_t)r;
    t->eof = ib_tcp_eof(c);
}

static void tc_error(struct ib_tcp *c, int err, void *arg)
{
    struct tcp_client *t = arg;
    t->err = err;
}

static const struct ib_tcp_ops tc_ops = {
    .connected = tc_connected, .readable = tc_readable, .error = tc_error};

static void tcp_open(struct net *n, struct tcp_client *t, size_t cap)
{
    memset(t, 0, sizeof(*t));
    t->rx = malloc(cap);
    assert_non_null(t->rx);
    t->cap = cap;
    t->read = true;
    t->c = ib_tcp_connect(n->client, SERVER, IB_DNS_PORT, &tc_ops, t, NULL);
    assert_non_null(t->c);
    ib_world_run(n->w, ib_now(&n->w->env) + IB_MS(100));
    assert_true(t->connected);
}

static void tcp_done(struct tcp_client *t)
{
    ib_tcp_close(t->c);
    free(t->rx);
}

/* RFC 1035 §4.2.2: a message is its length (2 bytes) and itself. */
static size_t framed(uint8_t *out, const uint8_t *msg, size_t len)
{
    ib_put16(out, (uint16_t)len);
    memcpy(out + 2, msg, len);
    return len + 2;
}

/* RFC 7766 §6.2.1.1: pipelined queries on one connection, each answered
 * whole and in order; the 40 addresses need no truncation over TCP. */
static void test_tcp_pipelined(void **state)
{
    (void)state;
    struct net n;
    net_build(&n);
    struct tcp_client t;
    tcp_open(&n, &t, 4096);
    uint8_t q[1024], q1[512], want[4096];
    size_t n1 = dns_query(q1, 512, 1, "www.google.com", IB_DNS_T_A, true, 0);
    size_t qn = framed(q, q1, n1);
    size_t w1 = expected(&n, q1, n1, want + 2, 65535);
    ib_put16(want, (uint16_t)w1);
    size_t wn = 2 + w1;
    size_t n2 = dns_query(q1, 512, 2, "many.google.com", IB_DNS_T_A, true, 0);
    qn += framed(q + qn, q1, n2);
    size_t w2 = expected(&n, q1, n2, want + wn + 2, 65535);
    ib_put16(want + wn, (uint16_t)w2);
    wn += 2 + w2;
    assert_true(w2 > IB_DNS_UDP_MAX);
    assert_int_equal(ib_tcp_send(t.c, q, qn), qn);
    ib_world_run(n.w, ib_now(&n.w->env) + IB_MS(100));
    assert_int_equal(t.len, wn);
    assert_memory_equal(t.rx, want, wn);
    assert_int_equal(n.nev, 4);
    assert_true(n.ev[0].tcp && n.ev[3].tcp);
    assert_int_equal(n.ev[1].id, 1);
    assert_int_equal(n.ev[3].id, 2);
    assert_int_equal(n.ev[3].kind, IB_DNS_KIND_ANSWER);

    /* RFC 7766 §6.2.4: the client closes; the server answers what it
     * had and closes too. */
    size_t before = t.len;
    assert_int_equal(ib_tcp_send(t.c, q, framed(q, q1, n2)), n2 + 2);
    assert_int_equal(ib_tcp_shutdown(t.c), 0);
    ib_world_run(n.w, ib_now(&n.w->env) + IB_MS(100));
    assert_int_equal(t.len, before + 2 + w2);
    assert_true(t.eof);
    struct ib_dns_auth_stats st;
    ib_dns_auth_get_stats(n.a, &st);
    assert_int_equal(st.tcp_queries, 3);
    assert_int_equal(st.tcp_conns, 1);
    assert_int_equal(st.tcp_idle_closed, 0);
    tcp_done(&t);
    net_free(&n);
}

/* RFC 7766 §8: a query that comes a byte at a time and a response that
 * leaves through a 300-byte send buffer arrive whole. Before it, a
 * zero-length message, which is no DNS message: dropped, and the
 * connection goes on. */
static void test_tcp_partial(void **state)
{
    (void)state;
    struct net n;
    net_build(&n);
    n.client->cfg.tcp.nagle = false;
    n.ns->cfg.tcp.sndbuf = 300;
    struct tcp_client t;
    tcp_open(&n, &t, 4096);
    uint8_t q1[512], q[2 + 514], want[4096];
    q[0] = q[1] = 0;
    size_t qn =
        2 + framed(q + 2, q1, dns_query(q1, 512, 9, "many.google.com", IB_DNS_T_A, true, 0));
    size_t wn = 2 + expected(&n, q1, qn - 4, want + 2, 65535);
    ib_put16(want, (uint16_t)(wn - 2));
    assert_true(wn > 2 * 300);
    for (size_t i = 0; i < qn; i++) {
        assert_int_equal(ib_tcp_send(t.c, q + i, 1), 1);
        ib_world_run(n.w, ib_now(&n.w->env) + IB_MS(5));
    }
    ib_world_run(n.w, ib_now(&n.w->env) + IB_MS(200));
    assert_int_equal(n.ns->node.drops[IB_DROP_DNS_MALFORMED], 1);
    assert_int_equal(t.len, wn);
    assert_memory_equal(t.rx, want, wn);
    tcp_done(&t);
    net_free(&n);
}

/* A client that sends 200 queries and reads nothing: the server stops
 * reading once its responses back up (bounded buffering), and goes on
 * when they are read. */
static void test_tcp_backpressure(void **state)
{
    (void)state;
    struct net n;
    net_build(&n);
    n.client->cfg.tcp.rcvbuf = 4096;
    n.ns->cfg.tcp.sndbuf = 4096;
    struct tcp_client t;
    tcp_open(&n, &t, 200 * 1024);
    t.read = false;
    uint8_t q1[512], q[200 * 64];
    size_t qlen = dns_query(q1, 512, 0, "many.google.com", IB_DNS_T_A, true, 0), len = 0;
    for (uint16_t i = 0; i < 200; i++) {
        ib_put16(q1, i);
        len += framed(q + len, q1, qlen);
    }
    assert_int_equal(ib_tcp_send(t.c, q, len), len);
    ib_world_run(n.w, ib_now(&n.w->env) + IB_SEC(1));
    struct ib_dns_auth_stats st;
    ib_dns_auth_get_stats(n.a, &st);
    assert_true(st.responses > 80 && st.responses < 120);
    t.read = true;
    tc_readable(t.c, &t);
    ib_world_run(n.w, ib_now(&n.w->env) + IB_SEC(2));
    ib_dns_auth_get_stats(n.a, &st);
    assert_int_equal(st.responses, 200);
    size_t off = 0;
    for (uint16_t i = 0; i < 200; i++) {
        assert_true(off + 4 <= t.len);
        assert_int_equal(ib_get16(t.rx + off + 2), i);
        off += 2 + ib_get16(t.rx + off);
    }
    assert_int_equal(off, t.len);
    tcp_done(&t);
    net_free(&n);
}

/* RFC 7766 §6.2.3: a connection without queries for IB_DNS_TCP_IDLE is
 * closed by the server. */
static void test_tcp_idle(void **state)
{
    (void)state;
    struct net n;
    net_build(&n);
    struct tcp_client t;
    tcp_open(&n, &t, 1024);
    ib_time opened = ib_now(&n.w->env);
    ib_world_run(n.w, opened + IB_DNS_TCP_IDLE - IB_MS(200));
    assert_false(t.eof);
    ib_world_run(n.w, opened + IB_DNS_TCP_IDLE + IB_MS(100));
    assert_true(t.eof);
    assert_int_equal(t.len, 0);
    struct ib_dns_auth_stats st;
    ib_dns_auth_get_stats(n.a, &st);
    assert_int_equal(st.tcp_idle_closed, 1);
    tcp_done(&t);
    net_free(&n);
}

/* Stopping the server closes its connections; nothing is left behind. */
static void test_stop_with_connection(void **state)
{
    (void)state;
    struct net n;
    net_build(&n);
    struct tcp_client t;
    tcp_open(&n, &t, 1024);
    uint8_t half[3] = {0, 40, 0x12}; /* a query begun, not finished */
    assert_int_equal(ib_tcp_send(t.c, half, 3), 3);
    ib_world_run(n.w, ib_now(&n.w->env) + IB_MS(50));
    ib_dns_auth_stop(n.a);
    n.a = NULL;
    ib_world_run(n.w, ib_now(&n.w->env) + IB_MS(50));
    assert_true(t.eof || t.err == IB_ERR_RESET);
    tcp_done(&t);
    net_free(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_udp_query),   cmocka_unit_test(test_tcp_pipelined),
        cmocka_unit_test(test_tcp_partial), cmocka_unit_test(test_tcp_backpressure),
        cmocka_unit_test(test_tcp_idle),    cmocka_unit_test(test_stop_with_connection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
