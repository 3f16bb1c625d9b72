/* An HTTP/1.1 client for one GET, behaving like a browser fetching a page
 * (RFC 9110 semantics, RFC 9112 messaging): it connects, sends the request
 * once the connection is up, reads the response framed by Content-Length,
 * chunked coding or the close (RFC 9112 §6.3), skips interim 1xx responses
 * (RFC 9110 §15.2), and closes the connection itself as soon as the final
 * response is complete, although it asked to keep it (a browser would keep
 * it for its next request; this one has none). The body is collected into
 * one buffer, sized from Content-Length when there is one. */
#include <stdio.h>

#include "http/http_int.h"
#include "inetbox/stack.h"

#define BODY_MIN 16384u  /* first body buffer without a Content-Length */
#define RECV_CHUNK 4096u /* bytes read from TCP at once */

struct ib_http_get {
    struct ib_stack *stack;
    struct ib_tcp *tcp; /* NULL once handed back to TCP */
    ib_ip4 addr;
    uint16_t port;
    ib_http_done_fn done;
    void *arg;
    char *host, *path, *url;
    uint8_t *req;
    size_t req_len, req_off;
    size_t max_body;
    uint8_t *body;
    size_t len, cap;
    int err;               /* a failure found before the connection could report it */
    bool too_big;          /* the body outgrew max_body */
    bool no_mem;           /* the body buffer could not grow */
    bool finished;         /* done was called (or is being called) */
    struct ib_timer timer; /* reports a failure to start, outside ib_http_get */
    struct ib_http_parser parser;
};

static struct ib_env *env_of(const struct ib_http_get *g)
{
    return g->stack->node.env;
}

static void trace(struct ib_http_get *g, enum ib_http_what what, uint16_t status, int err)
{
    struct ib_env *env = env_of(g);
    if (!ib_tracing(env)) return;
    struct ib_event ev;
    ib_event_init(&ev, env, IB_EV_HTTP, 7, &g->stack->node, NULL, NULL);
    ev.u.http.what = (uint8_t)what;
    ev.u.http.status = status;
    ev.u.http.err = err;
    ev.u.http.method = "GET";
    ev.u.http.host = g->host;
    ev.u.http.path = g->path;
    ev.u.http.url = g->url;
    ev.u.http.peer = g->addr;
    ev.u.http.port = g->port;
    ev.u.http.len = g->len;
    ib_emit(env, &ev);
}

static void get_free(struct ib_http_get *g)
{
    ib_evq_forget(env_of(g)->q, &g->timer);
    free(g->req);
    free(g->body);
    free(g->host);
    free(g->path);
    free(g->url);
    free(g);
}

/* Ends the fetch: gives the connection back to TCP (reset if the fetch
 * failed on our side, so the server stops sending), reports and frees. */
static void finish(struct ib_http_get *g, int err)
{
    if (g->tcp) {
        if (err == IB_ERR_PROTO || err == IB_ERR_TOOBIG || err == IB_ERR_NOMEM)
            ib_tcp_abort(g->tcp);
        else
            ib_tcp_close(g->tcp);
        g->tcp = NULL;
    }
    const struct ib_http_msg *m = &g->parser.msg;
    uint16_t status = err ? 0 : m->status;
    trace(g, IB_HTTP_FETCH_DONE, status, err);
    char *ctype = NULL;
    const struct ib_http_field *f = err ? NULL : ib_http_find(m, "content-type");
    if (f && (ctype = malloc(f->value.n + 1)) != NULL) {
        memcpy(ctype, f->value.p, f->value.n);
        ctype[f->value.n] = '\0';
    }
    struct ib_http_result r = {
        .err = err,
        .status = status,
        .content_type = ctype ? ctype : "",
        .body = g->body,
        .len = err ? 0 : g->len,
        .addr = g->addr,
        .port = g->port,
    };
    g->finished = true;
    g->done(g->arg, &r);
    free(ctype);
    get_free(g);
}

static void on_body(void *ctx, const uint8_t *b, size_t n)
{
    struct ib_http_get *g = ctx;
    const struct ib_http_msg *m = &g->parser.msg;
    if (g->too_big || g->no_mem) return;
    if (n > g->max_body - g->len ||
        (m->framing == IB_HTTP_BODY_LENGTH && m->content_length > g->max_body)) {
        g->too_big = true;
        return;
    }
    if (n > g->cap - g->len) {
        size_t want = g->cap ? g->cap : BODY_MIN;
        if (!g->cap && m->framing == IB_HTTP_BODY_LENGTH) want = (size_t)m->content_length;
        while (want < g->len + n)
            want = want > g->max_body / 2 ? g->max_body : want * 2;
        uint8_t *nb = realloc(g->body, want);
        if (!nb) {
            g->no_mem = true;
            return;
        }
        g->body = nb;
        g->cap = want;
    }
    memcpy(g->body + g->len, b, n);
    g->len += n;
}

/* Feeds received bytes; returns 1 when the final response is complete,
 * 0 for more, or an error. */
static int take(struct ib_http_get *g, const uint8_t *b, size_t n)
{
    size_t off = 0;
    while (off < n) {
        size_t used = 0;
        if (ib_http_feed(&g->parser, b + off, n - off, &used) != 0) return IB_ERR_PROTO;
        off += used;
        if (g->too_big) return IB_ERR_TOOBIG;
        if (g->no_mem) return IB_ERR_NOMEM;
        if (!ib_http_done(&g->parser)) continue;
        uint16_t st = g->parser.msg.status;
        /* RFC 9110 §15.2.2: 101 only answers an Upgrade we never sent. */
        if (st == 101) return IB_ERR_PROTO;
        if (st >= 200) return 1;
        /* RFC 9110 §15.2: "A client MUST be able to parse one or more 1xx
         * responses received prior to a final response". */
        trace(g, IB_HTTP_RESPONSE_RX, st, 0);
        ib_http_parser_reset(&g->parser);
    }
    return 0;
}

/* A response is complete: the client, not the server, ends the
 * connection (its FIN goes first). */
static void complete(struct ib_http_get *g)
{
    trace(g, IB_HTTP_RESPONSE_RX, g->parser.msg.status, 0);
    finish(g, 0);
}

static void get_readable(struct ib_tcp *c, void *arg)
{
    struct ib_http_get *g = arg;
    uint8_t buf[RECV_CHUNK];
    for (;;) {
        long n = ib_tcp_recv(c, buf, sizeof(buf));
        if (n < 0) {
            finish(g, (int)n);
            return;
        }
        if (n == 0) break;
        int r = take(g, buf, (size_t)n);
        if (r == IB_ERR_PROTO) ib_drop(&g->stack->node, NULL, NULL, IB_DROP_HTTP_MALFORMED);
        if (r < 0) {
            finish(g, r);
            return;
        }
        if (r == 1) {
            complete(g);
            return;
        }
    }
    if (!ib_tcp_eof(c)) return;
    /* RFC 9112 §6.3 rule 8: the close ends a close-delimited body; any
     * other message cut by it is incomplete (§8). */
    if (ib_http_finish(&g->parser) == 0) {
        complete(g);
        return;
    }
    ib_drop(&g->stack->node, NULL, NULL, IB_DROP_HTTP_MALFORMED);
    finish(g, IB_ERR_PROTO);
}

static void send_request(struct ib_http_get *g)
{
    long n = ib_tcp_send(g->tcp, g->req + g->req_off, g->req_len - g->req_off);
    if (n > 0) g->req_off += (size_t)n;
}

static void get_connected(struct ib_tcp *c, void *arg)
{
    struct ib_http_get *g = arg;
    trace(g, IB_HTTP_REQUEST_TX, 0, 0);
    send_request(g);
}

static void get_writable(struct ib_tcp *c, void *arg)
{
    struct ib_http_get *g = arg;
    if (g->req_off < g->req_len) send_request(g);
}

static void get_error(struct ib_tcp *c, int err, void *arg)
{
    finish(arg, err);
}

static const struct ib_tcp_ops get_ops = {
    .connected = get_connected,
    .readable = get_readable,
    .writable = get_writable,
    .error = get_error,
};

static void get_timer(struct ib_timer *t)
{
    struct ib_http_get *g =
        (struct ib_http_get *)(void *)((char *)t - offsetof(struct ib_http_get, timer));
    finish(g, g->err);
}

/* Host and path go into the request head as they are, so they must not
 * be able to end a line or the request-line (RFC 9112 §3, §5). */
static bool head_safe(const char *s, bool path)
{
    if (path && s[0] != '/') return false; /* RFC 9112 §3.2.1 origin-form */
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s == 0x7f) return false;
    return true;
}

static int build(struct ib_http_get *g, const char *host, const char *path)
{
    size_t hn = strlen(host), pn = strlen(path);
    g->host = ib_http_strdup(host);
    g->path = ib_http_strdup(path);
    g->url = malloc(hn + pn + 16);
    g->req_len = hn + pn + 64;
    g->req = malloc(g->req_len);
    if (!g->host || !g->path || !g->url || !g->req) return IB_ERR_NOMEM;
    if (g->port == 80)
        snprintf(g->url, hn + pn + 16, "http://%s%s", host, path);
    else
        snprintf(g->url, hn + pn + 16, "http://%s:%u%s", host, (unsigned)g->port, path);
    if (!head_safe(host, false) || !head_safe(path, true)) return IB_ERR_INVAL;
    /* Keep-alive, as a browser asks (RFC 9112 §9.3): the server then waits
     * for us to close. */
    struct ib_http_request_spec spec = {.method = "GET", .target = path, .host = host};
    g->req_len = ib_http_emit_request(&spec, g->req, g->req_len);
    return 0;
}

struct ib_http_get *ib_http_get(struct ib_stack *s, ib_ip4 addr, uint16_t port, const char *host,
                                const char *path, ib_http_done_fn done, void *arg)
{
    struct ib_http_get *g = calloc(1, sizeof(*g));
    if (!g) return NULL;
    g->stack = s;
    g->addr = addr;
    g->port = port;
    g->done = done;
    g->arg = arg;
    g->max_body = IB_HTTP_MAX_BODY_DEFAULT;
    ib_timer_init(&g->timer, get_timer);
    ib_http_parser_init(&g->parser, IB_HTTP_RESPONSE, on_body, g);
    g->err = build(g, host, path);
    if (g->err == IB_ERR_NOMEM) {
        get_free(g);
        return NULL;
    }
    if (!g->err) {
        g->tcp = ib_tcp_connect(s, addr, port, &get_ops, g, NULL);
        if (!g->tcp) g->err = IB_ERR_NOROUTE;
    }
    /* done must not run inside this call: a failure is reported from a
     * timer at the current time. */
    if (g->err) ib_timer_arm(env_of(g), &g->timer, ib_now(env_of(g)));
    return g;
}

void ib_http_get_set_max_body(struct ib_http_get *g, size_t max)
{
    g->max_body = max;
}

void ib_http_get_cancel(struct ib_http_get *g)
{
    if (!g || g->finished) return;
    if (g->tcp) ib_tcp_abort(g->tcp);
    get_free(g);
}
