/* Echo (RFC 862) and discard (RFC 863) services in a small world:
 *
 *   cli 10.0.0.1 eth0 ---- eth0 10.0.0.2 srv
 *
 * Clients send a seeded pseudo-random stream (tcp_bulk_harness.h) and
 * hash what they send and what comes back, so equal hashes and lengths
 * mean byte-exact echo. The trace is watched for the services' IB_EV_APP
 * events, the server's TCP states and IP fragmentation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "inetbox/echo.h"
#include "inetbox/udp.h"
#include "inetbox/world.h"
#include "tcp_bulk_harness.h"

#define CLI_IP IB_IP4(10, 0, 0, 1)
#define SRV_IP IB_IP4(10, 0, 0, 2)
#define MAX_CLIENTS 64

/* ---- the trace ---- */

struct log {
    const struct ib_node *srv;
    int accepts, closes, aborts, udp_echoes;
    uint32_t last_close_bytes; /* ttl of the last *-close */
    ib_time last_close_rtt;
    uint64_t close_wait_to_last_ack; /* the server's passive closes */
    uint64_t srv_fragments, cli_reassembled;
};

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), k = strlen(tail);
    return n >= k && strcmp(s + n - k, tail) == 0;
}

static void observe(void *ctx, const struct ib_event *e)
{
    struct log *l = ctx;
    if (e->kind == IB_EV_APP && e->node == l->srv) {
        assert_int_equal(e->u.app.peer, CLI_IP);
        assert_true(e->u.app.seq >= 49152); /* the client's ephemeral port */
        if (ends_with(e->u.app.what, "-accept")) l->accepts++;
        if (ends_with(e->u.app.what, "-abort")) l->aborts++;
        if (strcmp(e->u.app.what, "udp-echo") == 0) l->udp_echoes++;
        if (ends_with(e->u.app.what, "-close")) {
            l->closes++;
            l->last_close_bytes = e->u.app.ttl;
            l->last_close_rtt = e->u.app.rtt;
        }
    } else if (e->kind == IB_EV_TCP_STATE && e->node == l->srv) {
        l->close_wait_to_last_ack +=
            e->u.tcp.old_state == IB_TCP_CLOSE_WAIT && e->u.tcp.new_state == IB_TCP_LAST_ACK;
    } else if (e->kind == IB_EV_IP_FRAGMENT && e->node == l->srv) {
        l->srv_fragments++;
    } else if (e->kind == IB_EV_IP_REASSEMBLED && e->node != l->srv) {
        l->cli_reassembled++;
    }
}

/* ---- the world ---- */

struct net {
    struct ib_world *w;
    struct ib_stack *cli, *srv;
    struct log log;
};

static void net_build(struct net *n, double loss)
{
    memset(n, 0, sizeof(*n));
    n->w = ib_world_new(5);
    assert_non_null(n->w);
    n->cli = ib_world_add_host(n->w, "cli");
    n->srv = ib_world_add_host(n->w, "srv");
    struct ib_netif *ce = ib_world_add_netif(n->w, &n->cli->node, "eth0");
    struct ib_netif *se = ib_world_add_netif(n->w, &n->srv->node, "eth0");
    struct ib_link_params p = ib_link_defaults;
    p.rate_bps = 100000000;
    p.delay = IB_MS(2);
    p.queue = 200;
    p.loss = loss;
    assert_non_null(ib_world_connect(n->w, ce, se, &p));
    assert_int_equal(ib_stack_set_addr(n->cli, ce, CLI_IP, 24), 0);
    assert_int_equal(ib_stack_set_addr(n->srv, se, SRV_IP, 24), 0);
    n->log.srv = &n->srv->node;
    assert_int_equal(ib_world_observe(n->w, observe, &n->log), 0);
}

static ib_time now(const struct net *n)
{
    return ib_now(&n->w->env);
}

static void run_for(struct net *n, ib_time d)
{
    ib_world_run(n->w, now(n) + d);
}

static void net_free(struct net *n)
{
    ib_world_run(n->w, IB_TIME_NEVER); /* FINs, TIME_WAITs */
    struct ib_pkt_pool_stats st;
    ib_pkt_pool_stats(n->w->env.pool, &st);
    assert_int_equal(st.in_use, 0);
    ib_world_free(n->w);
}

/* ---- a client: sends total bytes of its stream, hashes what returns ---- */

struct client {
    struct ib_tcp *c;
    uint64_t seed, total, sent, received;
    struct bulk_hash tx, rx;
    bool paused; /* not reading, to test flow control */
    bool shut;   /* our FIN is queued after the last byte */
    uint64_t received_at_shut;
    bool eof; /* the server's FIN: the handle is then closed */
    int err;
    uint32_t retransmits;
    uint8_t buf[16384];
};

static void client_push(struct client *k)
{
    while (k->sent < k->total) {
        size_t n = sizeof(k->buf);
        if (n > k->total - k->sent) n = (size_t)(k->total - k->sent);
        bulk_fill(k->seed, k->sent, k->buf, n);
        long got = ib_tcp_send(k->c, k->buf, n);
        if (got <= 0) return;
        bulk_hash_update(&k->tx, k->buf, (size_t)got);
        k->sent += (uint64_t)got;
    }
    /* RFC 9293 §3.6: a half-close; the echo keeps coming back. */
    if (!k->shut) {
        k->shut = true;
        k->received_at_shut = k->received;
        assert_int_equal(ib_tcp_shutdown(k->c), 0);
    }
}

static void client_close(struct client *k)
{
    if (k->c) ib_tcp_close(k->c);
    k->c = NULL;
}

static void client_read(struct client *k)
{
    if (k->paused) return;
    long got;
    while ((got = ib_tcp_recv(k->c, k->buf, sizeof(k->buf))) > 0) {
        bulk_hash_update(&k->rx, k->buf, (size_t)got);
        k->received += (uint64_t)got;
    }
    if (ib_tcp_eof(k->c)) {
        k->eof = true;
        struct ib_tcp_info ti;
        ib_tcp_get_info(k->c, &ti);
        k->retransmits = ti.retransmits;
        client_close(k);
    }
}

static void client_connected(struct ib_tcp *c, void *arg)
{
    client_push(arg);
}

static void client_readable(struct ib_tcp *c, void *arg)
{
    client_read(arg);
}

static void client_writable(struct ib_tcp *c, void *arg)
{
    client_push(arg);
}

static void client_error(struct ib_tcp *c, int err, void *arg)
{
    ((struct client *)arg)->err = err;
}

static const struct ib_tcp_ops client_ops = {
    .connected = client_connected,
    .readable = client_readable,
    .writable = client_writable,
    .error = client_error,
};

static void client_open(struct net *n, struct client *k, uint16_t port, uint64_t seed,
                        uint64_t total)
{
    memset(k, 0, sizeof(*k));
    k->seed = seed;
    k->total = total;
    bulk_hash_init(&k->tx);
    bulk_hash_init(&k->rx);
    k->c = ib_tcp_connect(n->cli, SRV_IP, port, &client_ops, k, NULL);
    assert_non_null(k->c);
}

static bool all_done(const struct client *k, int nk)
{
    for (int i = 0; i < nk; i++)
        if (!k[i].eof && !k[i].err) return false;
    return true;
}

/* Runs until every client saw the server's FIN, at most limit. */
static void run_until_eof(struct net *n, struct client *k, int nk, ib_time limit)
{
    ib_time end = now(n) + limit;
    while (!all_done(k, nk) && now(n) < end)
        run_for(n, IB_MS(10));
}

static void expect_echoed(const struct client *k)
{
    assert_int_equal(k->err, 0);
    assert_true(k->eof);
    assert_int_equal(k->sent, k->total);
    assert_int_equal(k->received, k->total);
    assert_true(bulk_hash_final(&k->tx) == bulk_hash_final(&k->rx));
}

/* ---- TCP echo ---- */

/* The echo service on srv and nk clients, not yet opened. */
struct echo_run {
    struct net n;
    struct ib_tcp_echo *e;
    struct client *k;
    int nk;
    struct ib_echo_stats st;
};

static void echo_setup(struct echo_run *r, double loss, int nk)
{
    net_build(&r->n, loss);
    r->e = ib_tcp_echo_start(r->n.srv, IB_ECHO_PORT);
    assert_non_null(r->e);
    r->k = calloc((size_t)nk, sizeof(*r->k));
    assert_non_null(r->k);
    r->nk = nk;
}

static const struct ib_echo_stats *echo_stats(struct echo_run *r)
{
    ib_tcp_echo_stats(r->e, &r->st);
    return &r->st;
}

static void echo_teardown(struct echo_run *r)
{
    for (int i = 0; i < r->nk; i++)
        client_close(&r->k[i]);
    free(r->k);
    ib_tcp_echo_stop(r->e);
    net_free(&r->n);
}

/* 10 MB through a link losing 1% of frames each way: everything comes
 * back in order, byte for byte; the client's half-close ends it. */
static void test_echo_10mb_lossy(void **state)
{
    (void)state;
    struct echo_run r;
    echo_setup(&r, 0.01, 1);
    client_open(&r.n, r.k, IB_ECHO_PORT, 42, 10u << 20);
    run_until_eof(&r.n, r.k, 1, IB_SEC(120));
    expect_echoed(r.k);
    assert_true(r.k->retransmits > 0); /* the loss did happen */
    const struct ib_echo_stats *st = echo_stats(&r);
    assert_int_equal(st->connections, 1);
    assert_int_equal(st->active, 0);
    assert_int_equal(st->bytes_in, 10u << 20);
    assert_int_equal(st->bytes_out, 10u << 20);
    assert_int_equal(r.n.log.accepts, 1);
    assert_int_equal(r.n.log.closes, 1);
    assert_int_equal(r.n.log.last_close_bytes, 10u << 20);
    assert_true(r.n.log.last_close_rtt > IB_SEC(1));
    echo_teardown(&r);
}

/* A client that does not read its echo: the server stops reading once
 * TCP has no room for the echo, so the client's sends stall with a few
 * buffers in flight and the server never holds more than one piece;
 * reading again lets all of it through intact. */
static void test_echo_flow_control(void **state)
{
    (void)state;
    struct echo_run r;
    echo_setup(&r, 0, 1);
    struct client *k = r.k;
    client_open(&r.n, k, IB_ECHO_PORT, 7, 8u << 20);
    k->paused = true;
    for (int i = 0; i < 100; i++) {
        run_for(&r.n, IB_MS(20));
        const struct ib_echo_stats *st = echo_stats(&r);
        assert_true(st->bytes_in - st->bytes_out <= 16384);
    }
    /* Four 256 KB buffers (both send, both receive) and a piece. */
    assert_true(k->sent < (5u << 18));
    assert_true(k->sent > (3u << 18));
    uint64_t stalled = k->sent;
    run_for(&r.n, IB_SEC(1));
    assert_int_equal(k->sent, stalled);
    assert_int_equal(k->received, 0);

    k->paused = false;
    client_read(k);
    run_until_eof(&r.n, k, 1, IB_SEC(30));
    expect_echoed(k);
    echo_teardown(&r);
}

/* Many clients at once, each with its own stream: no echo goes to the
 * wrong connection, and each one closes. */
static void test_echo_many_connections(void **state)
{
    (void)state;
    struct echo_run r;
    echo_setup(&r, 0.002, MAX_CLIENTS);
    uint64_t total = 0;
    for (int i = 0; i < MAX_CLIENTS; i++) {
        client_open(&r.n, &r.k[i], IB_ECHO_PORT, 1000u + (uint64_t)i, 20000u + 977u * (uint64_t)i);
        total += r.k[i].total;
    }
    uint32_t most = 0;
    ib_time end = now(&r.n) + IB_SEC(60);
    while (!all_done(r.k, MAX_CLIENTS) && now(&r.n) < end) {
        run_for(&r.n, IB_MS(5));
        if (echo_stats(&r)->active > most) most = r.st.active;
    }
    assert_true(most >= MAX_CLIENTS / 2); /* they did overlap */
    for (int i = 0; i < MAX_CLIENTS; i++)
        expect_echoed(&r.k[i]);
    const struct ib_echo_stats *st = echo_stats(&r);
    assert_int_equal(st->connections, MAX_CLIENTS);
    assert_int_equal(st->active, 0);
    assert_int_equal(st->bytes_in, total);
    assert_int_equal(st->bytes_out, total);
    assert_int_equal(r.n.log.accepts, MAX_CLIENTS);
    assert_int_equal(r.n.log.closes, MAX_CLIENTS);
    assert_int_equal(r.n.log.aborts, 0);
    echo_teardown(&r);
}

/* RFC 9293 §3.6: the client shuts down its side at once; the server goes
 * on echoing all of it, and only then closes (CLOSE_WAIT -> LAST_ACK). */
static void test_echo_half_close(void **state)
{
    (void)state;
    struct echo_run r;
    echo_setup(&r, 0, 2);
    client_open(&r.n, &r.k[0], IB_ECHO_PORT, 3, 100000);
    run_until_eof(&r.n, r.k, 1, IB_SEC(10));
    expect_echoed(&r.k[0]);
    assert_true(r.k[0].shut);
    assert_int_equal(r.k[0].received_at_shut, 0); /* the FIN went before any echo came */
    assert_int_equal(r.n.log.close_wait_to_last_ack, 1);
    assert_int_equal(r.n.log.last_close_bytes, 100000);
    /* An empty connection: FIN at once, FIN back. */
    client_open(&r.n, &r.k[1], IB_ECHO_PORT, 4, 0);
    run_until_eof(&r.n, &r.k[1], 1, IB_SEC(10));
    expect_echoed(&r.k[1]);
    assert_int_equal(r.n.log.close_wait_to_last_ack, 2);
    echo_teardown(&r);
}

/* Stopping with connections open closes them with a FIN, not a reset;
 * the port is free again afterwards. A reset by the client is an abort. */
static void test_echo_stop_and_abort(void **state)
{
    (void)state;
    struct echo_run r;
    echo_setup(&r, 0, 2);
    struct client *k = r.k;
    assert_null(ib_tcp_echo_start(r.n.srv, IB_ECHO_PORT)); /* port taken */
    client_open(&r.n, &k[0], IB_ECHO_PORT, 5, 1u << 20);
    client_open(&r.n, &k[1], IB_ECHO_PORT, 6, 1u << 20);
    k[1].paused = true;
    run_for(&r.n, IB_MS(50));
    ib_tcp_abort(k[0].c);
    k[0].c = NULL;
    /* The reset takes a challenge ACK (RFC 5961 §3.2) when data is in flight. */
    for (int i = 0; i < 100 && !r.n.log.aborts; i++)
        run_for(&r.n, IB_MS(10));
    assert_int_equal(r.n.log.aborts, 1);
    assert_int_equal(echo_stats(&r)->active, 1);

    ib_tcp_echo_stop(r.e);
    assert_int_equal(r.n.log.closes, 1);
    k[1].paused = false;
    client_read(&k[1]);
    run_until_eof(&r.n, &k[1], 1, IB_SEC(10));
    assert_true(k[1].eof);
    assert_int_equal(k[1].err, 0);
    assert_true(k[1].received < k[1].total);
    r.e = ib_tcp_echo_start(r.n.srv, IB_ECHO_PORT);
    assert_non_null(r.e);
    echo_teardown(&r);
}

/* ---- TCP discard ---- */

/* RFC 863: everything is read and thrown away, nothing comes back; the
 * server closes when the client does. */
static void test_discard(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, 0.005);
    struct ib_tcp_discard *d = ib_tcp_discard_start(n.srv, IB_DISCARD_PORT);
    assert_non_null(d);
    assert_null(ib_tcp_discard_start(n.srv, IB_DISCARD_PORT));
    struct client *k = calloc(3, sizeof(*k));
    assert_non_null(k);
    uint64_t total = 0;
    for (int i = 0; i < 3; i++) {
        client_open(&n, &k[i], IB_DISCARD_PORT, 20u + (uint64_t)i,
                    (1u << 20) + 1000u * (uint64_t)i);
        total += k[i].total;
    }
    run_until_eof(&n, k, 3, IB_SEC(30));
    for (int i = 0; i < 3; i++) {
        assert_true(k[i].eof);
        assert_int_equal(k[i].sent, k[i].total);
        assert_int_equal(k[i].received, 0);
        client_close(&k[i]);
    }
    struct ib_echo_stats st;
    ib_tcp_discard_stats(d, &st);
    assert_int_equal(st.connections, 3);
    assert_int_equal(st.active, 0);
    assert_int_equal(st.bytes_in, total);
    assert_int_equal(st.bytes_out, 0);
    assert_int_equal(n.log.accepts, 3);
    assert_int_equal(n.log.closes, 3);
    assert_int_equal(n.log.close_wait_to_last_ack, 3);
    free(k);
    ib_tcp_discard_stop(d);
    net_free(&n);
}

/* ---- UDP echo ---- */

struct udp_client {
    struct ib_udp_pcb pcb;
    int got;
    size_t len[8];
    uint64_t hash[8];
    uint16_t sport[8];
};

static void udp_client_recv(struct ib_udp_pcb *u, ib_ip4 src, uint16_t sport, struct ib_pkt *p)
{
    struct udp_client *c = u->arg;
    assert_int_equal(src, SRV_IP);
    assert_true(c->got < 8);
    struct bulk_hash h;
    bulk_hash_init(&h);
    bulk_hash_update(&h, p->data, p->len);
    c->len[c->got] = p->len;
    c->hash[c->got] = bulk_hash_final(&h);
    c->sport[c->got] = sport;
    c->got++;
    ib_pkt_free(p);
}

static uint64_t stream_hash(uint64_t seed, size_t n, uint8_t *buf)
{
    struct bulk_hash h;
    bulk_hash_init(&h);
    bulk_fill(seed, 0, buf, n);
    bulk_hash_update(&h, buf, n);
    return bulk_hash_final(&h);
}

/* RFC 862: each datagram comes back whole, from the echo port to the
 * sender's, the 3000-byte one fragmented on the way out and back. */
static void test_udp_echo_sizes(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 100, 1472, 1473, 3000};
    struct net n;
    net_build(&n, 0);
    struct ib_udp_echo *e = ib_udp_echo_start(n.srv, IB_ECHO_PORT);
    assert_non_null(e);
    assert_null(ib_udp_echo_start(n.srv, IB_ECHO_PORT));
    struct udp_client c = {.pcb = {.recv = udp_client_recv}};
    c.pcb.arg = &c;
    assert_int_equal(ib_udp_bind(n.cli, &c.pcb, IB_IP4_ANY, 0), 0);
    static uint8_t buf[3000];
    uint64_t total = 0;
    for (size_t i = 0; i < IB_ARRAY_LEN(sizes); i++) {
        struct ib_pkt *p = ib_pkt_alloc(n.w->env.pool, IB_PKT_HEADROOM, sizes[i]);
        assert_non_null(p);
        bulk_fill(100 + i, 0, p->data, sizes[i]);
        ib_udp_sendto(&c.pcb, p, SRV_IP, IB_ECHO_PORT, 0);
        run_for(&n, IB_MS(20));
        assert_int_equal(c.got, (int)i + 1);
        assert_int_equal(c.len[i], sizes[i]);
        assert_true(c.hash[i] == stream_hash(100 + i, sizes[i], buf));
        assert_int_equal(c.sport[i], IB_ECHO_PORT);
        total += sizes[i];
    }
    /* 1473 and 3000 bytes do not fit a 1500-byte MTU: 2 + 3 fragments. */
    assert_int_equal(n.log.srv_fragments, 5);
    assert_int_equal(n.log.cli_reassembled, 2);
    assert_int_equal(n.log.udp_echoes, (int)IB_ARRAY_LEN(sizes));
    struct ib_echo_stats st;
    ib_udp_echo_stats(e, &st);
    assert_int_equal(st.datagrams, IB_ARRAY_LEN(sizes));
    assert_int_equal(st.bytes_in, total);
    assert_int_equal(st.bytes_out, total);
    ib_udp_close(&c.pcb);
    ib_udp_echo_stop(e);
    net_free(&n);
}

/* A datagram from the echo port itself could come from another echo
 * service: answering it would start an endless exchange, so it is dropped. */
static void test_udp_echo_no_loop(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, 0);
    struct ib_udp_echo *e = ib_udp_echo_start(n.srv, IB_ECHO_PORT);
    assert_non_null(e);
    struct udp_client c = {.pcb = {.recv = udp_client_recv}};
    c.pcb.arg = &c;
    assert_int_equal(ib_udp_bind(n.cli, &c.pcb, IB_IP4_ANY, IB_ECHO_PORT), 0);
    ib_udp_sendto(&c.pcb, ib_pkt_from(n.w->env.pool, "ping", 4), SRV_IP, IB_ECHO_PORT, 0);
    run_for(&n, IB_SEC(1));
    assert_int_equal(c.got, 0);
    struct ib_echo_stats st;
    ib_udp_echo_stats(e, &st);
    assert_int_equal(st.bytes_in, 4);
    assert_int_equal(st.datagrams, 0);
    assert_int_equal(n.srv->node.drops[IB_DROP_IP_BAD_SRC], 1);
    ib_udp_close(&c.pcb);
    ib_udp_echo_stop(e);
    net_free(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo_10mb_lossy),       cmocka_unit_test(test_echo_flow_control),
        cmocka_unit_test(test_echo_many_connections), cmocka_unit_test(test_echo_half_close),
        cmocka_unit_test(test_echo_stop_and_abort),   cmocka_unit_test(test_discard),
        cmocka_unit_test(test_udp_echo_sizes),        cmocka_unit_test(test_udp_echo_no_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
