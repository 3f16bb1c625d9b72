/* The HTTP server and client (RFC 9110, RFC 9112) on a small world:
 *
 *   cli 10.0.0.1/24 eth0 -- p1 sw p2 -- eth0 10.0.0.2/24 srv
 *
 * The server serves a few resources on port 80. Requests the client would
 * never send (no Host, pipelined, HEAD, HTTP/1.0, malformed) come from a
 * raw TCP client written here; responses the server would never send
 * (chunked, close-delimited, 1xx, malformed, cut) come from a raw TCP
 * server on port 8080. Every test checks the bytes that arrived, and the
 * trace: HTTP events with their fields, TCP state changes, drops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "inetbox/http.h"
#include "inetbox/world.h"

#define CLI_IP IB_IP4(10, 0, 0, 1)
#define SRV_IP IB_IP4(10, 0, 0, 2)
#define RAW_PORT 8080

static const char index_html[] = "<html><body>hello, inetbox</body></html>\n";

/* ---- the trace, as the tests read it ---- */

struct hev {
    const struct ib_node *node;
    uint8_t what;
    uint16_t status;
    int err;
    char method[16], host[64], path[64], url[128];
    ib_ip4 peer;
    uint16_t port;
    uint64_t len;
};

struct tev {
    const struct ib_node *node;
    uint8_t old_state, new_state;
    uint16_t lport, rport;
};

struct log {
    struct hev http[64];
    int nh;
    struct tev tcp[256];
    int nt;
};

static void copy(char *d, size_t cap, const char *s)
{
    snprintf(d, cap, "%s", s ? s : "(null)");
}

static void observe(void *ctx, const struct ib_event *e)
{
    struct log *l = ctx;
    if (e->kind == IB_EV_HTTP && l->nh < (int)IB_ARRAY_LEN(l->http)) {
        struct hev *h = &l->http[l->nh++];
        assert_int_equal(e->layer, 7);
        h->node = e->node;
        h->what = e->u.http.what;
        h->status = e->u.http.status;
        h->err = e->u.http.err;
        copy(h->method, sizeof(h->method), e->u.http.method);
        copy(h->host, sizeof(h->host), e->u.http.host);
        copy(h->path, sizeof(h->path), e->u.http.path);
        copy(h->url, sizeof(h->url), e->u.http.url);
        h->peer = e->u.http.peer;
        h->port = e->u.http.port;
        h->len = e->u.http.len;
    } else if (e->kind == IB_EV_TCP_STATE && l->nt < (int)IB_ARRAY_LEN(l->tcp)) {
        struct tev *t = &l->tcp[l->nt++];
        t->node = e->node;
        t->old_state = e->u.tcp.old_state;
        t->new_state = e->u.tcp.new_state;
        t->lport = e->u.tcp.lport;
        t->rport = e->u.tcp.rport;
    }
}

/* The i-th HTTP event of a kind, or fails. */
static const struct hev *hev_nth(const struct log *l, uint8_t what, int i)
{
    for (int k = 0; k < l->nh; k++)
        if (l->http[k].what == what && i-- == 0) return &l->http[k];
    fail_msg("no HTTP event %u", what);
    return NULL;
}

static int hev_count(const struct log *l, uint8_t what)
{
    int n = 0;
    for (int k = 0; k < l->nh; k++)
        n += l->http[k].what == what;
    return n;
}

/* ---- the world ---- */

struct net {
    struct ib_world *w;
    struct ib_stack *cli, *srv;
    struct ib_http_server *http;
    struct log log;
};

static const struct ib_http_resource *resources(size_t *n)
{
    static uint8_t big[1 << 20];
    static struct ib_http_resource res[5];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)(i * 7 + (i >> 11));
    res[0] = (struct ib_http_resource){NULL, "/", "text/html; charset=utf-8", index_html,
                                       sizeof(index_html) - 1};
    res[1] =
        (struct ib_http_resource){NULL, "/big.bin", "application/octet-stream", big, sizeof(big)};
    res[2] = (struct ib_http_resource){NULL, "/empty", "text/plain", "", 0};
    res[3] = (struct ib_http_resource){"a.example", "/who", "text/plain", "a", 1};
    res[4] = (struct ib_http_resource){NULL, "/who", NULL, "any", 3};
    *n = IB_ARRAY_LEN(res);
    return res;
}

static const uint8_t *big_body(void)
{
    size_t n;
    return resources(&n)[1].body;
}

static void net_build(struct net *n, const struct ib_http_server_config *cfg)
{
    memset(n, 0, sizeof(*n));
    n->w = ib_world_new(7);
    assert_non_null(n->w);
    n->cli = ib_world_add_host(n->w, "cli");
    n->srv = ib_world_add_host(n->w, "srv");
    struct ib_bridge *sw = ib_world_add_switch(n->w, "sw");
    struct ib_netif *ce = ib_world_add_netif(n->w, &n->cli->node, "eth0");
    struct ib_netif *se = ib_world_add_netif(n->w, &n->srv->node, "eth0");
    struct ib_netif *p1 = ib_world_add_netif(n->w, &sw->node, "p1");
    struct ib_netif *p2 = ib_world_add_netif(n->w, &sw->node, "p2");
    struct ib_link_params p = ib_link_defaults;
    p.rate_bps = 100000000;
    p.delay = IB_MS(1);
    p.queue = 1000;
    assert_non_null(ib_world_connect(n->w, ce, p1, &p));
    assert_non_null(ib_world_connect(n->w, se, p2, &p));
    assert_int_equal(ib_stack_set_addr(n->cli, ce, CLI_IP, 24), 0);
    assert_int_equal(ib_stack_set_addr(n->srv, se, SRV_IP, 24), 0);
    ib_world_run(n->w, IB_SEC(1));
    assert_int_equal(ib_world_observe(n->w, observe, &n->log), 0);
    size_t nres;
    const struct ib_http_resource *res = resources(&nres);
    n->http = ib_http_server_start(n->srv, 80, res, nres, cfg);
    assert_non_null(n->http);
}

static ib_time now(const struct net *n)
{
    return ib_now(&n->w->env);
}

static void run_for(struct net *n, ib_time d)
{
    ib_world_run(n->w, now(n) + d);
}

/* Runs until *flag is set, at most for limit. */
static void run_until(struct net *n, const bool *flag, ib_time limit)
{
    ib_time end = now(n) + limit;
    while (!*flag) {
        ib_time t = ib_evq_next_time(&n->w->q);
        assert_true(t != IB_TIME_NEVER);
        assert_true(t <= end);
        ib_world_run(n->w, t);
    }
}

static void net_free(struct net *n)
{
    if (n->http) ib_http_server_stop(n->http);
    ib_world_run(n->w, IB_TIME_NEVER); /* FINs, TIME_WAITs */
    struct ib_pkt_pool_stats st;
    ib_pkt_pool_stats(n->w->env.pool, &st);
    assert_int_equal(st.in_use, 0);
    ib_world_free(n->w);
}

/* ---- the client's result ---- */

struct fetch {
    bool done;
    int calls;
    struct ib_http_result r;
    char ctype[128];
    uint8_t *body;
};

static void on_done(void *arg, const struct ib_http_result *r)
{
    struct fetch *f = arg;
    f->done = true;
    f->calls++;
    f->r = *r;
    assert_non_null(r->content_type);
    copy(f->ctype, sizeof(f->ctype), r->content_type);
    f->r.content_type = f->ctype;
    f->body = malloc(r->len + 1);
    assert_non_null(f->body);
    if (r->len) memcpy(f->body, r->body, r->len);
    f->r.body = f->body;
}

static void fetch(struct net *n, struct fetch *f, uint16_t port, const char *host, const char *path)
{
    memset(f, 0, sizeof(*f));
    struct ib_http_get *g = ib_http_get(n->cli, SRV_IP, port, host, path, on_done, f);
    assert_non_null(g);
    assert_false(f->done); /* never from inside ib_http_get */
    run_until(n, &f->done, IB_SEC(30));
}

static void fetch_free(struct fetch *f)
{
    free(f->body);
}

/* ---- a raw TCP client: sends what it is told, keeps what comes ---- */

struct raw {
    struct net *n;
    struct ib_tcp *c;
    bool connected, eof;
    int err;
    ib_time eof_at;
    uint8_t *buf;
    size_t len, cap;
};

static void raw_readable(struct ib_tcp *c, void *arg)
{
    struct raw *r = arg;
    for (;;) {
        if (r->cap - r->len < 4096) {
            r->cap = r->cap ? r->cap * 2 : 65536;
            r->buf = realloc(r->buf, r->cap);
            assert_non_null(r->buf);
        }
        long got = ib_tcp_recv(c, r->buf + r->len, r->cap - r->len);
        if (got <= 0) break;
        r->len += (size_t)got;
    }
    if (ib_tcp_eof(c) && !r->eof) {
        r->eof = true;
        r->eof_at = now(r->n);
    }
}

static void raw_connected(struct ib_tcp *c, void *arg)
{
    ((struct raw *)arg)->connected = true;
}

static void raw_error(struct ib_tcp *c, int err, void *arg)
{
    ((struct raw *)arg)->err = err;
}

static const struct ib_tcp_ops raw_ops = {
    .connected = raw_connected,
    .readable = raw_readable,
    .error = raw_error,
};

static void raw_open(struct net *n, struct raw *r)
{
    memset(r, 0, sizeof(*r));
    r->n = n;
    r->c = ib_tcp_connect(n->cli, SRV_IP, 80, &raw_ops, r, NULL);
    assert_non_null(r->c);
}

static void raw_send(struct raw *r, const char *s)
{
    assert_int_equal(ib_tcp_send(r->c, s, strlen(s)), (long)strlen(s));
}

/* Opens a raw connection, sends req and lets 100 ms pass: time enough
 * for the answer on this network. */
static void raw_request(struct net *n, struct raw *r, const char *req)
{
    raw_open(n, r);
    raw_send(r, req);
    run_for(n, IB_MS(100));
}

static void raw_close(struct raw *r)
{
    if (r->c) ib_tcp_close(r->c);
    r->c = NULL;
    free(r->buf);
}

/* A response as the raw client saw it. */
struct resp {
    uint16_t status;
    bool keep_alive, has_cl, conn_close, conn_ka;
    uint64_t cl;
    size_t body_len;
    size_t body_off; /* where its body starts in the raw buffer */
    char ctype[64];
};

static void count_body(void *ctx, const uint8_t *b, size_t n)
{
    ((struct resp *)ctx)->body_len += n;
}

static bool field_is(const struct ib_http_msg *m, const char *name, const char *value)
{
    const struct ib_http_field *f = ib_http_find(m, name);
    return f && f->value.n == strlen(value) && memcmp(f->value.p, value, f->value.n) == 0;
}

/* Splits what the raw client received into responses; heads[i] says if
 * the i-th answers a HEAD. Returns how many were complete. */
static int parse_responses(const struct raw *r, struct resp *out, int max, const bool *heads)
{
    static struct ib_http_parser p;
    size_t off = 0;
    int k = 0;
    while (off < r->len && k < max) {
        memset(&out[k], 0, sizeof(out[k]));
        ib_http_parser_init(&p, IB_HTTP_RESPONSE, count_body, &out[k]);
        p.head_request = heads && heads[k];
        size_t used = 0;
        assert_int_equal(ib_http_feed(&p, r->buf + off, r->len - off, &used), 0);
        if (!ib_http_done(&p)) break;
        const struct ib_http_msg *m = &p.msg;
        out[k].status = m->status;
        out[k].keep_alive = m->keep_alive;
        out[k].has_cl = ib_http_find(m, "content-length") != NULL;
        const struct ib_http_field *cl = ib_http_find(m, "content-length");
        out[k].cl = cl ? strtoull(cl->value.p, NULL, 10) : 0; /* HEAD: not the framing */
        out[k].conn_close = field_is(m, "connection", "close");
        out[k].conn_ka = field_is(m, "connection", "keep-alive");
        const struct ib_http_field *ct = ib_http_find(m, "content-type");
        if (ct) snprintf(out[k].ctype, sizeof(out[k].ctype), "%.*s", (int)ct->value.n, ct->value.p);
        out[k].body_off = off + used - out[k].body_len;
        off += used;
        k++;
    }
    return k;
}

/* ---- a raw TCP server on RAW_PORT: answers the first request with a
 * canned response, then closes if told to ---- */

struct rawsrv {
    struct ib_tcp *l, *c;
    const uint8_t *resp;
    size_t resp_len, sent;
    bool close_after, answered, peer_closed;
    char req[2048];
    size_t req_len;
};

static void rawsrv_push(struct rawsrv *s)
{
    while (s->sent < s->resp_len) {
        long k = ib_tcp_send(s->c, s->resp + s->sent, s->resp_len - s->sent);
        if (k <= 0) return;
        s->sent += (size_t)k;
    }
    if (s->close_after) ib_tcp_shutdown(s->c);
}

static void rawsrv_readable(struct ib_tcp *c, void *arg)
{
    struct rawsrv *s = arg;
    long got;
    while ((got = ib_tcp_recv(c, s->req + s->req_len, sizeof(s->req) - 1 - s->req_len)) > 0)
        s->req_len += (size_t)got;
    s->req[s->req_len] = '\0';
    if (!s->answered && strstr(s->req, "\r\n\r\n")) {
        s->answered = true;
        rawsrv_push(s);
    }
    if (ib_tcp_eof(c)) s->peer_closed = true;
}

static void rawsrv_writable(struct ib_tcp *c, void *arg)
{
    struct rawsrv *s = arg;
    if (s->answered) rawsrv_push(s);
}

static void rawsrv_accepted(struct ib_tcp *l, struct ib_tcp *c, void *arg)
{
    struct rawsrv *s = arg;
    assert_null(s->c);
    s->c = c;
}

static const struct ib_tcp_ops rawsrv_ops = {
    .accepted = rawsrv_accepted,
    .readable = rawsrv_readable,
    .writable = rawsrv_writable,
};

static void rawsrv_open(struct net *n, struct rawsrv *s, const void *resp, size_t len,
                        bool close_after)
{
    memset(s, 0, sizeof(*s));
    s->resp = resp;
    s->resp_len = len;
    s->close_after = close_after;
    s->l = ib_tcp_listen(n->srv, IB_IP4_ANY, RAW_PORT, &rawsrv_ops, s, NULL);
    assert_non_null(s->l);
}

static void rawsrv_close(struct rawsrv *s)
{
    if (s->c) ib_tcp_close(s->c);
    ib_tcp_close(s->l);
}

/* ---- the server and the client together ---- */

/* GET / fetches the page byte for byte, with its Content-Type, and each
 * message shows in the trace with every field. */
static void test_get_index(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, NULL);
    struct fetch f;
    fetch(&n, &f, 80, "www.example", "/");
    assert_int_equal(f.calls, 1);
    assert_int_equal(f.r.err, 0);
    assert_int_equal(f.r.status, 200);
    assert_string_equal(f.ctype, "text/html; charset=utf-8");
    assert_int_equal(f.r.len, sizeof(index_html) - 1);
    assert_memory_equal(f.body, index_html, f.r.len);
    assert_int_equal(f.r.addr, SRV_IP);
    assert_int_equal(f.r.port, 80);

    const struct log *l = &n.log;
    const struct hev *tx = hev_nth(l, IB_HTTP_REQUEST_TX, 0);
    const struct hev *rx = hev_nth(l, IB_HTTP_REQUEST_RX, 0);
    const struct hev *rtx = hev_nth(l, IB_HTTP_RESPONSE_TX, 0);
    const struct hev *rrx = hev_nth(l, IB_HTTP_RESPONSE_RX, 0);
    const struct hev *done = hev_nth(l, IB_HTTP_FETCH_DONE, 0);
    assert_true(tx < rx && rx < rtx && rtx < rrx && rrx < done);
    assert_ptr_equal(tx->node, &n.cli->node);
    assert_string_equal(tx->method, "GET");
    assert_string_equal(tx->host, "www.example");
    assert_string_equal(tx->path, "/");
    assert_string_equal(tx->url, "http://www.example/");
    assert_int_equal(tx->peer, SRV_IP);
    assert_int_equal(tx->port, 80);
    assert_ptr_equal(rx->node, &n.srv->node);
    assert_string_equal(rx->method, "GET");
    assert_string_equal(rx->host, "www.example");
    assert_string_equal(rx->path, "/");
    assert_int_equal(rx->peer, CLI_IP);
    assert_true(rx->port >= 49152);
    assert_ptr_equal(rtx->node, &n.srv->node);
    assert_int_equal(rtx->status, 200);
    assert_int_equal(rtx->len, sizeof(index_html) - 1);
    assert_int_equal(rtx->peer, CLI_IP);
    assert_int_equal(rtx->port, rx->port);
    assert_ptr_equal(rrx->node, &n.cli->node);
    assert_int_equal(rrx->status, 200);
    assert_int_equal(rrx->len, sizeof(index_html) - 1);
    assert_int_equal(done->status, 200);
    assert_int_equal(done->err, 0);
    assert_int_equal(done->len, sizeof(index_html) - 1);
    assert_string_equal(done->url, "http://www.example/");
    fetch_free(&f);
    net_free(&n);
}

static void test_get_1mb(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, NULL);
    struct fetch f;
    fetch(&n, &f, 80, "www.example", "/big.bin");
    assert_int_equal(f.r.err, 0);
    assert_int_equal(f.r.status, 200);
    assert_string_equal(f.ctype, "application/octet-stream");
    assert_int_equal(f.r.len, 1 << 20);
    assert_memory_equal(f.body, big_body(), 1 << 20);
    assert_int_equal(hev_nth(&n.log, IB_HTTP_RESPONSE_RX, 0)->len, 1 << 20);
    fetch_free(&f);
    net_free(&n);
}

static void test_get_empty_and_404(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, NULL);
    struct fetch f;
    fetch(&n, &f, 80, "www.example", "/empty");
    assert_int_equal(f.r.err, 0);
    assert_int_equal(f.r.status, 200);
    assert_int_equal(f.r.len, 0);
    assert_string_equal(f.ctype, "text/plain");
    fetch_free(&f);

    fetch(&n, &f, 80, "www.example", "/nothing-here");
    assert_int_equal(f.r.err, 0); /* a 404 is a response, not a failure */
    assert_int_equal(f.r.status, 404);
    assert_string_equal(f.ctype, "text/plain; charset=utf-8");
    assert_int_equal(f.r.len, strlen("404 Not Found\n"));
    assert_memory_equal(f.body, "404 Not Found\n", f.r.len);
    assert_int_equal(hev_nth(&n.log, IB_HTTP_RESPONSE_TX, 1)->status, 404);
    assert_int_equal(hev_nth(&n.log, IB_HTTP_FETCH_DONE, 1)->status, 404);
    fetch_free(&f);
    net_free(&n);
}

/* A resource bound to a Host answers that host (any case, any port), and
 * the absolute-form's authority replaces the Host field (RFC 9112 §3.2.2). */
static void test_virtual_hosts(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, NULL);
    struct fetch f;
    fetch(&n, &f, 80, "A.Example:80", "/who");
    assert_int_equal(f.r.status, 200);
    assert_memory_equal(f.body, "a", 1);
    assert_string_equal(f.ctype, "text/plain");
    fetch_free(&f);
    fetch(&n, &f, 80, "b.example", "/who?x=1"); /* the query is not part of the match */
    assert_int_equal(f.r.status, 200);
    assert_int_equal(f.r.len, 3);
    assert_memory_equal(f.body, "any", 3);
    assert_string_equal(f.ctype, ""); /* none configured for it: none sent */
    fetch_free(&f);

    struct raw r;
    raw_request(&n, &r,
                "GET http://a.example/who HTTP/1.1\r\nHost: b.example\r\n\r\n"
                "GET http://a.example HTTP/1.1\r\nHost: a.example\r\n\r\n");
    struct resp rs[2];
    assert_int_equal(parse_responses(&r, rs, 2, NULL), 2);
    assert_int_equal(rs[0].status, 200);
    assert_int_equal(rs[0].body_len, 1);
    assert_memory_equal(r.buf + rs[0].body_off, "a", 1);
    assert_int_equal(rs[1].status, 200); /* empty path: "/" */
    assert_int_equal(rs[1].body_len, sizeof(index_html) - 1);
    assert_string_equal(hev_nth(&n.log, IB_HTTP_REQUEST_RX, 2)->host, "a.example");
    assert_string_equal(hev_nth(&n.log, IB_HTTP_REQUEST_RX, 2)->path, "http://a.example/who");
    raw_close(&r);
    net_free(&n);
}

/* RFC 9112 §3.2: an HTTP/1.1 request without Host, or with two, gets 400;
 * the server then closes. */
static void test_missing_host_400(void **state)
{
    (void)state;
    const char *reqs[] = {
        "GET / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
        "GET index.html HTTP/1.1\r\nHost: a\r\n\r\n", /* not origin-form */
    };
    for (size_t i = 0; i < IB_ARRAY_LEN(reqs); i++) {
        struct net n;
        net_build(&n, NULL);
        struct raw r;
        raw_request(&n, &r, reqs[i]);
        struct resp rs[1];
        assert_int_equal(parse_responses(&r, rs, 1, NULL), 1);
        assert_int_equal(rs[0].status, 400);
        assert_true(rs[0].has_cl);
        assert_true(rs[0].conn_close);
        assert_true(r.eof);
        assert_int_equal(hev_nth(&n.log, IB_HTTP_REQUEST_RX, 0)->status, 0);
        assert_int_equal(hev_nth(&n.log, IB_HTTP_RESPONSE_TX, 0)->status, 400);
        /* Well-formed, so not a malformed-message drop. */
        assert_int_equal(n.srv->node.drops[IB_DROP_HTTP_MALFORMED], 0);
        raw_close(&r);
        net_free(&n);
    }
}

/* RFC 9112 §2.2, §5.1: a request that does not parse gets 400 and the
 * connection ends; it counts as a malformed-message drop. */
static void test_malformed_request_400(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, NULL);
    struct raw r;
    raw_request(&n, &r, "GET / HTTP/1.1\r\nHost : x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
    struct resp rs[2];
    assert_int_equal(parse_responses(&r, rs, 2, NULL), 1); /* nothing after the 400 */
    assert_int_equal(rs[0].status, 400);
    assert_true(rs[0].conn_close);
    assert_true(r.eof);
    assert_int_equal(n.srv->node.drops[IB_DROP_HTTP_MALFORMED], 1);
    assert_int_equal(hev_count(&n.log, IB_HTTP_REQUEST_RX), 0);
    assert_int_equal(hev_nth(&n.log, IB_HTTP_RESPONSE_TX, 0)->status, 400);
    raw_close(&r);
    net_free(&n);
}

/* RFC 9112 §9.3: HTTP/1.1 persists by default; two requests on one
 * connection, the second sent after the first was answered, and two more
 * pipelined in one segment (§9.3.2: answered in order), the first of those
 * 1 MB, so the second waits until TCP has taken all of it. */
static void test_keep_alive_and_pipelining(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, NULL);
    struct raw r;
    raw_request(&n, &r, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    raw_send(&r, "GET /empty HTTP/1.1\r\nHost: x\r\n\r\n");
    run_for(&n, IB_MS(100));
    raw_send(&r, "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\nGET /who HTTP/1.1\r\nHost: x\r\n\r\n");
    run_for(&n, IB_SEC(2));
    struct resp rs[4];
    assert_int_equal(parse_responses(&r, rs, 4, NULL), 4);
    assert_int_equal(rs[0].status, 200);
    assert_true(rs[0].keep_alive);
    assert_false(rs[0].conn_close);
    assert_int_equal(rs[0].body_len, sizeof(index_html) - 1);
    assert_memory_equal(r.buf + rs[0].body_off, index_html, rs[0].body_len);
    assert_int_equal(rs[1].status, 200);
    assert_true(rs[1].has_cl);
    assert_int_equal(rs[1].cl, 0);
    assert_int_equal(rs[2].body_len, 1 << 20);
    assert_memory_equal(r.buf + rs[2].body_off, big_body(), 1 << 20);
    assert_int_equal(rs[3].body_len, 3);
    assert_memory_equal(r.buf + rs[3].body_off, "any", 3);
    assert_false(r.eof);
    /* One connection: the server accepted one. */
    int estab = 0;
    for (int i = 0; i < n.log.nt; i++)
        estab += n.log.tcp[i].node == &n.srv->node && n.log.tcp[i].new_state == IB_TCP_ESTABLISHED;
    assert_int_equal(estab, 1);
    assert_int_equal(hev_count(&n.log, IB_HTTP_REQUEST_RX), 4);
    raw_close(&r);
    net_free(&n);
}

/* A request split across segments is answered once it is whole. */
static void test_split_request(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, NULL);
    struct raw r;
    raw_open(&n, &r);
    raw_send(&r, "GET /em");
    run_for(&n, IB_MS(50));
    raw_send(&r, "pty HTTP/1.1\r\nHo");
    run_for(&n, IB_MS(50));
    assert_int_equal(r.len, 0);
    raw_send(&r, "st: x\r\n\r\n");
    run_for(&n, IB_MS(50));
    struct resp rs[1];
    assert_int_equal(parse_responses(&r, rs, 1, NULL), 1);
    assert_int_equal(rs[0].status, 200);
    assert_int_equal(rs[0].body_len, 0);
    raw_close(&r);
    net_free(&n);
}

/* RFC 9110 §9.3.2: HEAD gets GET's head, Content-Length included, and no
 * content: the next response on the connection starts right after it. */
static void test_head(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, NULL);
    struct raw r;
    raw_request(&n, &r,
                "HEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
    struct resp rs[2];
    const bool heads[2] = {true, false};
    assert_int_equal(parse_responses(&r, rs, 2, heads), 2);
    assert_int_equal(rs[0].status, 200);
    assert_int_equal(rs[0].cl, 1 << 20);
    assert_int_equal(rs[0].body_len, 0);
    assert_string_equal(rs[0].ctype, "application/octet-stream");
    assert_int_equal(rs[1].body_len, sizeof(index_html) - 1);
    const struct hev *rx = hev_nth(&n.log, IB_HTTP_REQUEST_RX, 0);
    assert_string_equal(rx->method, "HEAD");
    assert_string_equal(rx->path, "/big.bin");
    assert_int_equal(hev_nth(&n.log, IB_HTTP_RESPONSE_TX, 0)->len, 0);
    raw_close(&r);
    net_free(&n);
}

/* RFC 9110 §15.6.2: a method the server does not implement gets 501 (its
 * body is read and skipped, so the connection goes on); methods are
 * case-sensitive (§9.1). */
static void test_unknown_method_501(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, NULL);
    struct raw r;
    raw_request(&n, &r,
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                "get / HTTP/1.1\r\nHost: x\r\n\r\n"
                "GET /empty HTTP/1.1\r\nHost: x\r\n\r\n");
    struct resp rs[3];
    assert_int_equal(parse_responses(&r, rs, 3, NULL), 3);
    assert_int_equal(rs[0].status, 501);
    assert_true(rs[0].keep_alive);
    assert_int_equal(rs[1].status, 501);
    assert_int_equal(rs[2].status, 200);
    const struct hev *rx = hev_nth(&n.log, IB_HTTP_REQUEST_RX, 0);
    assert_string_equal(rx->method, "POST");
    assert_int_equal(rx->len, 5);
    raw_close(&r);
    net_free(&n);
}

/* RFC 9112 §9.6: "Connection: close" is honoured: the response says so and
 * the server closes after it (its FIN first: FIN_WAIT_1). HTTP/1.0 closes
 * unless keep-alive is asked (§C.2.2), and then the response says
 * keep-alive. */
static void test_connection_close_and_http10(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, NULL);
    struct raw r;
    raw_request(&n, &r, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    struct resp rs[2];
    assert_int_equal(parse_responses(&r, rs, 1, NULL), 1);
    assert_true(rs[0].conn_close);
    assert_int_equal(rs[0].body_len, sizeof(index_html) - 1);
    assert_true(r.eof);
    bool srv_fin_first = false;
    for (int i = 0; i < n.log.nt; i++)
        if (n.log.tcp[i].node == &n.srv->node && n.log.tcp[i].new_state == IB_TCP_FIN_WAIT_1)
            srv_fin_first = true;
    assert_true(srv_fin_first);
    raw_close(&r);

    raw_request(&n, &r, "GET / HTTP/1.0\r\n\r\n"); /* no Host needed in 1.0 */
    assert_int_equal(parse_responses(&r, rs, 1, NULL), 1);
    assert_int_equal(rs[0].status, 200);
    assert_false(rs[0].conn_ka);
    assert_true(r.eof);
    raw_close(&r);

    raw_request(&n, &r,
                "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                "GET /empty HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert_int_equal(parse_responses(&r, rs, 2, NULL), 2);
    assert_true(rs[0].conn_ka);
    assert_true(rs[0].keep_alive);
    assert_int_equal(rs[0].body_len, sizeof(index_html) - 1);
    assert_true(rs[1].conn_ka);
    assert_false(r.eof);
    raw_close(&r);
    net_free(&n);
}

/* An idle connection is closed after idle_timeout: 5 s by default. */
static void test_idle_timeout(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, NULL);
    struct raw r;
    raw_open(&n, &r);
    ib_time t0 = now(&n);
    run_until(&n, &r.eof, IB_SEC(10));
    assert_true(r.eof_at - t0 >= IB_SEC(5));
    assert_true(r.eof_at - t0 < IB_SEC(5) + IB_MS(20));
    raw_close(&r);
    net_free(&n);

    /* A request restarts the clock. */
    struct ib_http_server_config cfg = {.idle_timeout = IB_SEC(1)};
    net_build(&n, &cfg);
    raw_open(&n, &r);
    run_for(&n, IB_MS(800));
    raw_send(&r, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    t0 = now(&n);
    run_until(&n, &r.eof, IB_SEC(3));
    assert_true(r.eof_at - t0 >= IB_SEC(1));
    assert_true(r.eof_at - t0 < IB_SEC(1) + IB_MS(20));
    struct resp rs[1];
    assert_int_equal(parse_responses(&r, rs, 1, NULL), 1);
    raw_close(&r);
    net_free(&n);
}

/* Connections beyond max_conns are reset; the others go on. */
static void test_max_conns(void **state)
{
    (void)state;
    struct net n;
    struct ib_http_server_config cfg = {.max_conns = 1};
    net_build(&n, &cfg);
    struct raw a, b;
    raw_open(&n, &a);
    run_for(&n, IB_MS(50));
    raw_open(&n, &b);
    run_for(&n, IB_MS(50));
    assert_int_equal(b.err, IB_ERR_RESET);
    raw_send(&a, "GET /empty HTTP/1.1\r\nHost: x\r\n\r\n");
    run_for(&n, IB_MS(50));
    struct resp rs[1];
    assert_int_equal(parse_responses(&a, rs, 1, NULL), 1);
    assert_int_equal(rs[0].status, 200);
    raw_close(&a);
    raw_close(&b);
    net_free(&n);
}

/* The client reads the response and closes at once, before the server
 * (which was asked to keep the connection): the client's FIN goes first,
 * so it is the client that waits in TIME_WAIT (RFC 9293 §3.6). */
static void test_client_closes_first(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, NULL);
    struct fetch f;
    fetch(&n, &f, 80, "x", "/");
    assert_int_equal(f.r.status, 200);
    run_for(&n, IB_SEC(1));
    static const uint8_t cli_want[][2] = {
        {IB_TCP_CLOSED, IB_TCP_SYN_SENT},        {IB_TCP_SYN_SENT, IB_TCP_ESTABLISHED},
        {IB_TCP_ESTABLISHED, IB_TCP_FIN_WAIT_1}, {IB_TCP_FIN_WAIT_1, IB_TCP_FIN_WAIT_2},
        {IB_TCP_FIN_WAIT_2, IB_TCP_TIME_WAIT},
    };
    static const uint8_t srv_want[][2] = {
        {IB_TCP_SYN_RECEIVED, IB_TCP_ESTABLISHED},
        {IB_TCP_ESTABLISHED, IB_TCP_CLOSE_WAIT},
        {IB_TCP_CLOSE_WAIT, IB_TCP_LAST_ACK},
        {IB_TCP_LAST_ACK, IB_TCP_CLOSED},
    };
    size_t nc = 0, ns = 0;
    for (int i = 0; i < n.log.nt; i++) {
        const struct tev *t = &n.log.tcp[i];
        if (t->node == &n.cli->node && t->rport == 80) {
            assert_true(nc < IB_ARRAY_LEN(cli_want));
            assert_int_equal(t->old_state, cli_want[nc][0]);
            assert_int_equal(t->new_state, cli_want[nc][1]);
            nc++;
        } else if (t->node == &n.srv->node && t->lport == 80 && t->rport != 0 &&
                   t->old_state != IB_TCP_LISTEN) {
            assert_true(ns < IB_ARRAY_LEN(srv_want));
            assert_int_equal(t->old_state, srv_want[ns][0]);
            assert_int_equal(t->new_state, srv_want[ns][1]);
            ns++;
        }
    }
    assert_int_equal(nc, IB_ARRAY_LEN(cli_want));
    assert_int_equal(ns, IB_ARRAY_LEN(srv_want));
    fetch_free(&f);
    net_free(&n);
}

/* RFC 9112 §7.1: a chunked body (chunk extensions and a trailer included)
 * arrives without its framing, over many segments. */
static void test_client_chunked(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, NULL);
    static char resp[200000];
    static uint8_t want[150000];
    size_t len = (size_t)snprintf(resp, sizeof(resp),
                                  "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                  "Transfer-Encoding: chunked\r\n\r\n");
    size_t wn = 0;
    for (int c = 0; c < 150; c++) {
        size_t k = 997;
        len +=
            (size_t)snprintf(resp + len, sizeof(resp) - len, c % 2 ? "%zx\r\n" : "%zX;x=y\r\n", k);
        for (size_t i = 0; i < k; i++, wn++)
            want[wn] = (uint8_t)(resp[len++] = (char)('a' + wn % 26));
        len += (size_t)snprintf(resp + len, sizeof(resp) - len, "\r\n");
    }
    len += (size_t)snprintf(resp + len, sizeof(resp) - len, "0\r\nX-Trailer: t\r\n\r\n");
    struct rawsrv s;
    rawsrv_open(&n, &s, resp, len, false);
    struct fetch f;
    fetch(&n, &f, RAW_PORT, "x", "/chunks");
    assert_int_equal(f.r.err, 0);
    assert_int_equal(f.r.status, 200);
    assert_string_equal(f.ctype, "text/plain");
    assert_int_equal(f.r.len, wn);
    assert_memory_equal(f.body, want, wn);
    assert_int_equal(f.r.port, RAW_PORT);
    /* The request the client sent, byte for byte (RFC 9112 §3.2: Host). */
    assert_string_equal(s.req, "GET /chunks HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n");
    run_for(&n, IB_MS(100));
    assert_true(s.peer_closed);
    fetch_free(&f);
    rawsrv_close(&s);
    net_free(&n);
}

/* RFC 9112 §6.3 rule 8: without Content-Length or chunked, the body ends
 * with the connection. */
static void test_client_close_delimited(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, NULL);
    static const char resp[] = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end";
    struct rawsrv s;
    rawsrv_open(&n, &s, resp, sizeof(resp) - 1, true);
    struct fetch f;
    fetch(&n, &f, RAW_PORT, "x", "/");
    assert_int_equal(f.r.err, 0);
    assert_int_equal(f.r.status, 200);
    assert_int_equal(f.r.len, strlen("until the end"));
    assert_memory_equal(f.body, "until the end", f.r.len);
    fetch_free(&f);
    rawsrv_close(&s);
    net_free(&n);
}

/* RFC 9110 §15.2: interim responses before the final one are skipped. */
static void test_client_skips_1xx(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, NULL);
    static const char resp[] = "HTTP/1.1 100 Continue\r\n\r\n"
                               "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
                               "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    struct rawsrv s;
    rawsrv_open(&n, &s, resp, sizeof(resp) - 1, false);
    struct fetch f;
    fetch(&n, &f, RAW_PORT, "x", "/");
    assert_int_equal(f.r.err, 0);
    assert_int_equal(f.r.status, 200);
    assert_int_equal(f.r.len, 2);
    assert_memory_equal(f.body, "ok", 2);
    /* Each is a message received, and traced as one. */
    assert_int_equal(hev_count(&n.log, IB_HTTP_RESPONSE_RX), 3);
    assert_int_equal(hev_nth(&n.log, IB_HTTP_RESPONSE_RX, 0)->status, 100);
    assert_int_equal(hev_nth(&n.log, IB_HTTP_RESPONSE_RX, 1)->status, 103);
    assert_int_equal(hev_nth(&n.log, IB_HTTP_RESPONSE_RX, 2)->status, 200);
    assert_int_equal(hev_nth(&n.log, IB_HTTP_RESPONSE_RX, 2)->len, 2);
    fetch_free(&f);
    rawsrv_close(&s);
    net_free(&n);
}

/* A response that breaks RFC 9112 (bad status line, conflicting lengths,
 * cut short by the close, 101 without an Upgrade) is IB_ERR_PROTO, counted
 * as a malformed-message drop, and the client resets the connection. */
static void test_client_bad_response(void **state)
{
    (void)state;
    static const char *const resps[] = {
        "HTTP/1.1 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
        "HTTP/1.1 101 Switching Protocols\r\n\r\n",
        "SSH-2.0-OpenSSH_9.6\r\n",
    };
    for (size_t i = 0; i < IB_ARRAY_LEN(resps); i++) {
        struct net n;
        net_build(&n, NULL);
        struct rawsrv s;
        rawsrv_open(&n, &s, resps[i], strlen(resps[i]), true);
        struct fetch f;
        fetch(&n, &f, RAW_PORT, "x", "/");
        assert_int_equal(f.r.err, IB_ERR_PROTO);
        assert_int_equal(f.r.status, 0);
        assert_int_equal(f.r.len, 0);
        assert_int_equal(n.cli->node.drops[IB_DROP_HTTP_MALFORMED], 1);
        assert_int_equal(hev_count(&n.log, IB_HTTP_RESPONSE_RX), 0);
        const struct hev *d = hev_nth(&n.log, IB_HTTP_FETCH_DONE, 0);
        assert_int_equal(d->err, IB_ERR_PROTO);
        fetch_free(&f);
        rawsrv_close(&s);
        net_free(&n);
    }
}

/* RST in answer to the SYN: IB_ERR_REFUSED (RFC 9293 §3.10.7.3). */
static void test_client_refused(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, NULL);
    struct fetch f;
    fetch(&n, &f, 81, "x", "/");
    assert_int_equal(f.calls, 1);
    assert_int_equal(f.r.err, IB_ERR_REFUSED);
    assert_int_equal(f.r.status, 0);
    assert_int_equal(f.r.addr, SRV_IP);
    assert_int_equal(f.r.port, 81);
    assert_int_equal(hev_count(&n.log, IB_HTTP_REQUEST_TX), 0);
    assert_int_equal(hev_nth(&n.log, IB_HTTP_FETCH_DONE, 0)->err, IB_ERR_REFUSED);
    fetch_free(&f);
    net_free(&n);
}

/* Failures found before any packet leaves (no route, a path that would
 * break the request line) are reported from the event loop too. */
static void test_client_early_failures(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, NULL);
    struct fetch f = {0};
    assert_non_null(ib_http_get(n.cli, IB_IP4(192, 0, 2, 1), 80, "x", "/", on_done, &f));
    assert_false(f.done);
    run_until(&n, &f.done, IB_MS(1));
    assert_int_equal(f.r.err, IB_ERR_NOROUTE);
    fetch_free(&f);

    const char *paths[] = {"/a b", "nopath", "/a\r\nX: y"};
    for (size_t i = 0; i < IB_ARRAY_LEN(paths); i++) {
        memset(&f, 0, sizeof(f));
        assert_non_null(ib_http_get(n.cli, SRV_IP, 80, "x", paths[i], on_done, &f));
        assert_false(f.done);
        run_until(&n, &f.done, IB_MS(1));
        assert_int_equal(f.r.err, IB_ERR_INVAL);
        fetch_free(&f);
    }
    assert_int_equal(hev_count(&n.log, IB_HTTP_REQUEST_RX), 0);
    net_free(&n);
}

/* A body over max_body is an error, found from Content-Length before the
 * body arrives; the client resets the connection. */
static void test_client_max_body(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, NULL);
    struct fetch f = {0};
    struct ib_http_get *g = ib_http_get(n.cli, SRV_IP, 80, "x", "/big.bin", on_done, &f);
    assert_non_null(g);
    ib_http_get_set_max_body(g, 1000);
    run_until(&n, &f.done, IB_SEC(5));
    assert_int_equal(f.r.err, IB_ERR_TOOBIG);
    assert_true(now(&n) < IB_SEC(1) + IB_MS(100)); /* long before 1 MB could come */
    fetch_free(&f);

    /* Exactly max_body is fine. */
    memset(&f, 0, sizeof(f));
    g = ib_http_get(n.cli, SRV_IP, 80, "x", "/", on_done, &f);
    ib_http_get_set_max_body(g, sizeof(index_html) - 1);
    run_until(&n, &f.done, IB_SEC(5));
    assert_int_equal(f.r.err, 0);
    assert_int_equal(f.r.len, sizeof(index_html) - 1);
    fetch_free(&f);
    net_free(&n);
}

/* Cancel: done is never called, before or after the connection is up. */
static void test_client_cancel(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, NULL);
    struct fetch f = {0};
    struct ib_http_get *g = ib_http_get(n.cli, SRV_IP, 80, "x", "/big.bin", on_done, &f);
    ib_http_get_cancel(g);
    run_for(&n, IB_MS(100));
    g = ib_http_get(n.cli, SRV_IP, 80, "x", "/big.bin", on_done, &f);
    run_for(&n, IB_MS(10)); /* connected, body on its way */
    assert_int_equal(hev_count(&n.log, IB_HTTP_REQUEST_TX), 1);
    ib_http_get_cancel(g);
    g = ib_http_get(n.cli, IB_IP4(192, 0, 2, 1), 80, "x", "/", on_done, &f);
    ib_http_get_cancel(g); /* its failure timer is forgotten */
    run_for(&n, IB_SEC(1));
    assert_int_equal(f.calls, 0);
    assert_int_equal(hev_count(&n.log, IB_HTTP_FETCH_DONE), 0);
    net_free(&n);
}

/* Stopping a server with connections open frees everything. */
static void test_server_stop_with_conns(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, NULL);
    struct raw r;
    raw_open(&n, &r);
    raw_send(&r, "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
    run_for(&n, IB_MS(20));
    assert_true(r.len > 0);
    assert_null(ib_http_server_start(n.srv, 80, NULL, 0, NULL)); /* port taken */
    ib_http_server_stop(n.http);
    n.http = NULL;
    n.http = ib_http_server_start(n.srv, 80, NULL, 0, NULL); /* the port is free again */
    assert_non_null(n.http);
    raw_close(&r);
    net_free(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_index),
        cmocka_unit_test(test_get_1mb),
        cmocka_unit_test(test_get_empty_and_404),
        cmocka_unit_test(test_virtual_hosts),
        cmocka_unit_test(test_missing_host_400),
        cmocka_unit_test(test_malformed_request_400),
        cmocka_unit_test(test_keep_alive_and_pipelining),
        cmocka_unit_test(test_split_request),
        cmocka_unit_test(test_head),
        cmocka_unit_test(test_unknown_method_501),
        cmocka_unit_test(test_connection_close_and_http10),
        cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_max_conns),
        cmocka_unit_test(test_client_closes_first),
        cmocka_unit_test(test_client_chunked),
        cmocka_unit_test(test_client_close_delimited),
        cmocka_unit_test(test_client_skips_1xx),
        cmocka_unit_test(test_client_bad_response),
        cmocka_unit_test(test_client_refused),
        cmocka_unit_test(test_client_early_failures),
        cmocka_unit_test(test_client_max_body),
        cmocka_unit_test(test_client_cancel),
        cmocka_unit_test(test_server_stop_with_conns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
