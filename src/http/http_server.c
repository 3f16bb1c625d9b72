/* An HTTP/1.1 origin server for static resources (RFC 9110 semantics,
 * RFC 9112 messaging) over the stack's TCP.
 *
 * Each connection parses one request at a time: while its response is
 * being written nothing more is read, so pipelined requests stay in TCP's
 * receive buffer (whose window then pushes back on the client) and are
 * answered in order (RFC 9112 §9.3.2). A response is its head, built in
 * the connection, and a body handed to TCP straight from the server's copy
 * of the resource as send space frees up, so a 100 MB body is never held
 * twice. A server of a directory instead opens the file a request names
 * (http_dir.c), takes its length from fstat and reads it in pieces as TCP
 * takes them, so a file of any size costs one piece of memory; the file is
 * closed when its response ends or the connection dies. A file that
 * shrinks while it is sent ends the connection (the client then sees a
 * body shorter than its Content-Length, RFC 9112 §8); one that grows is
 * sent only up to the length announced. A connection that makes no
 * progress for the idle timeout, with no response still on its way, is
 * closed (RFC 9112 §9.5 lets a server close an idle connection at any
 * time).
 *
 * Draining (a graceful shutdown) closes the listener and then each
 * connection as soon as it holds no response in progress: an idle one at
 * once, a busy one once its response is all handed to TCP, each with the
 * same half-close as a response that ends the connection. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "http/http_dir.h"
#include "http/http_int.h"
#include "inetbox/stack.h"

#define IN_CHUNK 4096u    /* request bytes read from TCP at once */
#define HEAD_FIXED 256u   /* a response head besides its Content-Type */
#define FILE_CHUNK 16384u /* file bytes read at once */
/* A directory server's head also holds a Location of up to a request line. */
#define HEAD_DIR (HEAD_FIXED + 64u + IB_HTTP_DEF_LINE)

struct res {
    char *host, *path, *ctype; /* host NULL: any */
    uint8_t *body;
    size_t len;
};

struct conn {
    struct ib_http_server *srv;
    struct conn *prev, *next;
    struct ib_tcp *tcp;
    ib_ip4 peer;
    uint16_t peer_port;
    bool busy;        /* a response is being handed to TCP */
    bool close_after; /* ... and the connection ends after it */
    bool closing;     /* our FIN is queued: reading until the client's */
    struct ib_timer timer;
    const uint8_t *body; /* the body in memory, or NULL: read from fd */
    int fd;              /* the file being sent, -1 if none */
    uint64_t body_len, body_off;
    size_t head_len, head_off;
    uint8_t *fbuf; /* FILE_CHUNK bytes after head (directory servers) */
    size_t fbuf_off, fbuf_len;
    size_t in_off, in_len;
    uint8_t in[IN_CHUNK];
    struct ib_http_parser parser;
    uint8_t head[]; /* srv->head_cap bytes, then fbuf */
};

struct ib_http_server {
    struct ib_stack *stack;
    struct ib_tcp *listener;
    ib_time idle;
    uint32_t max_conns, n_conns;
    bool draining; /* no new connection or request: each ends after its response */
    size_t head_cap;
    struct conn *conns;
    struct res *res;
    size_t n_res;
    int root; /* the served directory, -1 for a server of resources */
};

static struct ib_env *env_of(const struct conn *k)
{
    return k->srv->stack->node.env;
}

/* A parser string as a C string, cut to fit cap. */
static void cstr(char *dst, size_t cap, struct ib_http_str s)
{
    size_t n = s.n < cap - 1 ? s.n : cap - 1;
    memcpy(dst, s.p, n);
    dst[n] = '\0';
}

/* What a request asked, as C strings for the trace and for matching. */
struct req {
    char method[32], host[256], target[IB_HTTP_DEF_LINE + 1];
    const char *path; /* matched part of the target: no scheme, authority or query */
    size_t path_len;
};

static void trace(struct conn *k, enum ib_http_what what, const struct req *r, uint16_t status,
                  uint64_t len)
{
    struct ib_env *env = env_of(k);
    if (!ib_tracing(env)) return;
    struct ib_event ev;
    ib_event_init(&ev, env, IB_EV_HTTP, 7, &k->srv->stack->node, NULL, NULL);
    ev.u.http.what = (uint8_t)what;
    ev.u.http.status = status;
    ev.u.http.method = r->method;
    ev.u.http.host = r->host;
    ev.u.http.path = r->target;
    ev.u.http.url = "";
    ev.u.http.peer = k->peer;
    ev.u.http.port = k->peer_port;
    ev.u.http.len = len;
    ib_emit(env, &ev);
}

/* Progress (a request byte read, a response byte taken) pushes the idle
 * deadline back; re-arming later costs the queue nothing. */
static void touch(struct conn *k)
{
    ib_timer_arm(env_of(k), &k->timer, ib_now(env_of(k)) + k->srv->idle);
}

static void body_release(struct conn *k)
{
    if (k->fd >= 0) close(k->fd);
    k->fd = -1;
    k->fbuf_off = k->fbuf_len = 0;
}

static void conn_free(struct conn *k)
{
    struct ib_http_server *h = k->srv;
    body_release(k);
    if (k->prev)
        k->prev->next = k->next;
    else
        h->conns = k->next;
    if (k->next) k->next->prev = k->prev;
    h->n_conns--;
    ib_evq_forget(env_of(k)->q, &k->timer);
    free(k);
}

/* Hands the connection to TCP (which resets it if request bytes are left
 * unread, RFC 2525 §2.17) and forgets it. */
static void conn_end(struct conn *k)
{
    ib_tcp_close(k->tcp);
    conn_free(k);
}

/* RFC 9112 §3.2: a Host field value is uri-host [ ":" port ]; a name or
 * an IPv4 address here. Empty is valid (a target without authority). */
static bool host_ok(const char *v)
{
    if (v[0] == '\0') return true;
    if (strpbrk(v, "/?#")) return false;
    char url[sizeof("http://") + 256 + 1];
    struct ib_url u;
    size_t n = strlen(v);
    if (n > 256) return false;
    memcpy(url, "http://", 7);
    memcpy(url + 7, v, n + 1);
    return ib_url_parse(url, &u) == 0;
}

/* Fills r from the request; returns 0 or the 4xx status that refuses it. */
static uint16_t read_request(const struct ib_http_msg *m, struct req *r)
{
    cstr(r->method, sizeof(r->method), m->method);
    cstr(r->target, sizeof(r->target), m->target);
    r->host[0] = '\0';
    size_t n_host = 0;
    for (size_t i = 0; i < m->nfields; i++) {
        const struct ib_http_field *f = &m->field[i];
        if (!ib_http_ieq(f->name.p, f->name.n, "host")) continue;
        if (n_host++ == 0) cstr(r->host, sizeof(r->host), f->value);
    }
    r->path = r->target;
    r->path_len = strcspn(r->target, "?");
    /* RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status
     * code to any HTTP/1.1 request message that lacks a Host header field
     * and to any request message that contains more than one Host header
     * field line or a Host header field with an invalid field value." */
    if ((n_host == 0 && m->minor >= 1) || n_host > 1 || !host_ok(r->host)) return 400;
    if (ib_http_ieq(r->target, strcspn(r->target, ":"), "http")) {
        /* RFC 9112 §3.2.2: a server MUST accept the absolute-form, and
         * then "MUST ignore the received Host header field" for the
         * target's authority. */
        struct ib_url u;
        if (ib_url_parse(r->target, &u) != 0) return 400;
        memcpy(r->host, u.host, sizeof(r->host));
        const char *auth = r->target + strlen("http://");
        r->path = auth + strcspn(auth, "/?");
        r->path_len = strcspn(r->path, "?");
        if (r->path_len == 0) {
            r->path = "/"; /* RFC 9112 §3.2.1: an empty path is "/" */
            r->path_len = 1;
        }
        return 0;
    }
    /* RFC 9112 §3.2.1: an origin server is sent the origin-form; the
     * asterisk and authority forms only go with OPTIONS and CONNECT. */
    return r->target[0] == '/' ? 0 : 400;
}

static const struct res *find(const struct ib_http_server *h, const struct req *r)
{
    /* RFC 9110 §4.2.3: the host is case-insensitive; its port is not part
     * of which resource is meant (the connection's port already is). */
    size_t hn = strcspn(r->host, ":");
    for (size_t i = 0; i < h->n_res; i++) {
        const struct res *x = &h->res[i];
        if (x->host && !ib_http_ieq(r->host, hn, x->host)) continue;
        if (strlen(x->path) == r->path_len && memcmp(x->path, r->path, r->path_len) == 0) return x;
    }
    return NULL;
}

/* What a response carries: a body in memory or an open file. */
struct content {
    const char *ctype;
    const uint8_t *mem; /* NULL: the file fd */
    int fd;
    uint64_t len;
};

/* The content for a request: 200, or the status that replaces it. */
static uint16_t lookup(const struct ib_http_server *h, const struct req *r, struct content *c)
{
    if (h->root < 0) {
        const struct res *x = find(h, r);
        if (!x) return 404;
        *c = (struct content){x->ctype, x->body, -1, x->len};
        return 200;
    }
    struct ib_http_file f;
    uint16_t status = ib_http_dir_open(h->root, r->path, r->path_len, &f);
    if (status == 200) *c = (struct content){f.ctype, NULL, f.fd, f.len};
    return status;
}

static const char *error_body(uint16_t status)
{
    switch (status) {
    case 301:
        return "301 Moved Permanently\n";
    case 400:
        return "400 Bad Request\n";
    case 404:
        return "404 Not Found\n";
    default:
        return "501 Not Implemented\n";
    }
}

/* Adds a field line before the head's closing empty line; head_cap is
 * sized so that every field a response can get fits. */
static void add_field(struct conn *k, const char *name, const char *value, size_t vn)
{
    size_t nn = strlen(name), need = nn + 2 + vn + 2;
    if (!k->head_len || k->head_len + need > k->srv->head_cap) return;
    uint8_t *at = k->head + k->head_len - 2;
    memcpy(at, name, nn);
    memcpy(at + nn, ": ", 2);
    memcpy(at + nn + 2, value, vn);
    memcpy(at + nn + 2 + vn, "\r\n\r\n", 4);
    k->head_len += need;
}

/* Builds the head and points at the body; conn_run hands them to TCP. */
static void respond(struct conn *k, const struct req *r, uint16_t status, const struct content *c,
                    bool head_only, bool http10_keep_alive)
{
    struct content err = {"text/plain; charset=utf-8", (const uint8_t *)error_body(status), -1, 0};
    if (status != 200) {
        err.len = strlen((const char *)err.mem);
        c = &err;
    }
    struct ib_http_response_spec spec = {
        .status = status,
        .content_type = c->ctype,
        .close = k->close_after,
        .body_len = c->len,
    };
    k->head_len = ib_http_emit_response_head(&spec, k->head, k->srv->head_cap);
    if (status == 301) {
        /* RFC 9110 §10.2.2: the directory's own URI, with the slash its
         * relative references need. */
        char loc[IB_HTTP_DEF_LINE + 2];
        size_t n = r->path_len < sizeof(loc) - 2 ? r->path_len : sizeof(loc) - 2;
        memcpy(loc, r->path, n);
        loc[n++] = '/';
        add_field(k, "Location", loc, n);
    }
    /* RFC 9112 §C.2.2: an HTTP/1.0 client keeps the connection only if the
     * response says keep-alive. */
    if (http10_keep_alive) add_field(k, "Connection", "keep-alive", strlen("keep-alive"));
    k->head_off = 0;
    k->body = c->mem;
    k->fd = c->fd;
    /* RFC 9110 §9.3.2: HEAD gets the GET head (Content-Length included)
     * and no content. */
    k->body_len = head_only ? 0 : c->len;
    k->body_off = 0;
    k->busy = true;
    trace(k, IB_HTTP_RESPONSE_TX, r, status, k->body_len);
}

static void handle_request(struct conn *k)
{
    const struct ib_http_msg *m = &k->parser.msg;
    struct req r;
    uint16_t status = read_request(m, &r);
    trace(k, IB_HTTP_REQUEST_RX, &r, 0, m->body_len);
    bool get = strcmp(r.method, "GET") == 0, head = strcmp(r.method, "HEAD") == 0;
    struct content c = {.fd = -1};
    if (!status && !get && !head) {
        /* RFC 9110 §9.1: methods are case-sensitive; an unimplemented one
         * gets 501 (§15.6.2). */
        status = 501;
    } else if (!status) {
        status = lookup(k->srv, &r, &c);
    }
    /* RFC 9112 §9.3: persistence as the request asks; and after a 400 the
     * client is not trusted with another request. */
    k->close_after = !m->keep_alive || status == 400 || k->srv->draining;
    respond(k, &r, status, &c, head, m->minor == 0 && !k->close_after);
}

/* RFC 9112 §2.2 / §9.3: a request that cannot be parsed gets 400, and the
 * connection ends since its framing is lost. */
static void handle_bad_request(struct conn *k)
{
    struct ib_stack *s = k->srv->stack;
    ib_drop(&s->node, NULL, NULL, IB_DROP_HTTP_MALFORMED);
    struct req r = {.method = "", .host = "", .target = ""};
    k->close_after = true;
    respond(k, &r, 400, NULL, false, false);
}

/* The body bytes to hand TCP next (*n of them), read from the file when
 * the piece read before is all taken; NULL if the file ended early. */
static const uint8_t *body_next(struct conn *k, size_t *n)
{
    uint64_t left = k->body_len - k->body_off;
    if (k->body) {
        *n = left < SIZE_MAX ? (size_t)left : SIZE_MAX;
        return k->body + k->body_off;
    }
    if (k->fbuf_off == k->fbuf_len) {
        size_t want = left < FILE_CHUNK ? (size_t)left : FILE_CHUNK;
        ssize_t got;
        do {
            got = pread(k->fd, k->fbuf, want, (off_t)k->body_off);
        } while (got < 0 && errno == EINTR);
        if (got <= 0) return NULL;
        k->fbuf_off = 0;
        k->fbuf_len = (size_t)got;
    }
    *n = k->fbuf_len - k->fbuf_off;
    return k->fbuf + k->fbuf_off;
}

/* Hands TCP what it takes of the response: 1 when all of it went, 0 when
 * TCP is full, <0 when the connection cannot send any more. */
static int pump(struct conn *k)
{
    while (k->head_off < k->head_len) {
        long sent = ib_tcp_send(k->tcp, k->head + k->head_off, k->head_len - k->head_off);
        if (sent <= 0) return (int)sent;
        k->head_off += (size_t)sent;
        touch(k);
    }
    while (k->body_off < k->body_len) {
        size_t n;
        const uint8_t *p = body_next(k, &n);
        if (!p) return IB_ERR_IO;
        long sent = ib_tcp_send(k->tcp, p, n);
        if (sent <= 0) return (int)sent;
        k->body_off += (uint64_t)sent;
        if (!k->body) k->fbuf_off += (size_t)sent;
        touch(k);
    }
    return 1;
}

/* Moves the connection along as far as it can go: finishes the response
 * in progress, then reads and answers the next request. */
/* RFC 9112 §9.6: close our half first, then read (and drop) until the
 * client closes, lest a reset destroy the response. */
static void conn_half_close(struct conn *k)
{
    ib_tcp_shutdown(k->tcp);
    k->closing = true;
    k->in_off = k->in_len;
}

static void conn_run(struct conn *k)
{
    for (;;) {
        if (k->busy) {
            int r = pump(k);
            if (r < 0) {
                conn_end(k);
                return;
            }
            if (r == 0) return; /* the writable callback resumes */
            k->busy = false;
            body_release(k);
            if (k->close_after) conn_half_close(k);
        }
        if (k->in_off == k->in_len) {
            long n = ib_tcp_recv(k->tcp, k->in, sizeof(k->in));
            if (n < 0 || (n == 0 && ib_tcp_eof(k->tcp))) {
                conn_end(k);
                return;
            }
            if (n == 0) return;
            k->in_off = 0;
            k->in_len = (size_t)n;
            touch(k);
        }
        if (k->closing) {
            k->in_off = k->in_len;
            continue;
        }
        size_t used = 0;
        int e = ib_http_feed(&k->parser, k->in + k->in_off, k->in_len - k->in_off, &used);
        k->in_off += used;
        if (e) {
            handle_bad_request(k);
        } else if (ib_http_done(&k->parser)) {
            handle_request(k);
            ib_http_parser_reset(&k->parser);
        }
    }
}

static void conn_readable(struct ib_tcp *c, void *arg)
{
    conn_run(arg);
}

static void conn_writable(struct ib_tcp *c, void *arg)
{
    struct conn *k = arg;
    if (k->busy) conn_run(k);
}

static void conn_error(struct ib_tcp *c, int err, void *arg)
{
    conn_end(arg);
}

static const struct ib_tcp_ops conn_ops = {
    .readable = conn_readable,
    .writable = conn_writable,
    .error = conn_error,
};

/* A connection whose response is still going out is not idle, however
 * long TCP takes to get it acknowledged (retransmissions back off to
 * seconds under heavy loss): TCP gives up on a dead peer by itself. */
static void conn_timer(struct ib_timer *t)
{
    struct conn *k = (struct conn *)(void *)((char *)t - offsetof(struct conn, timer));
    if (k->busy || ib_tcp_send_pending(k->tcp) > 0) {
        touch(k);
        return;
    }
    conn_end(k);
}

static void srv_accepted(struct ib_tcp *l, struct ib_tcp *c, void *arg)
{
    struct ib_http_server *h = arg;
    size_t fbuf = h->root >= 0 ? FILE_CHUNK : 0;
    struct conn *k = h->n_conns < h->max_conns ? calloc(1, sizeof(*k) + h->head_cap + fbuf) : NULL;
    if (!k) {
        ib_tcp_abort(c);
        return;
    }
    k->srv = h;
    k->tcp = c;
    k->fd = -1;
    k->fbuf = k->head + h->head_cap;
    ib_tcp_endpoints(c, NULL, NULL, &k->peer, &k->peer_port);
    ib_http_parser_init(&k->parser, IB_HTTP_REQUEST, NULL, NULL);
    ib_timer_init(&k->timer, conn_timer);
    k->next = h->conns;
    if (h->conns) h->conns->prev = k;
    h->conns = k;
    h->n_conns++;
    ib_tcp_set_ops(c, &conn_ops, k);
    touch(k);
}

static const struct ib_tcp_ops listen_ops = {
    .accepted = srv_accepted,
};

static void res_free(struct res *x)
{
    free(x->host);
    free(x->path);
    free(x->ctype);
    free(x->body);
}

static int res_copy(struct res *x, const struct ib_http_resource *r)
{
    x->host = r->host ? ib_http_strdup(r->host) : NULL;
    x->path = ib_http_strdup(r->path);
    x->ctype = r->content_type ? ib_http_strdup(r->content_type) : NULL;
    x->body = malloc(r->len ? r->len : 1);
    x->len = r->len;
    if ((r->host && !x->host) || !x->path || (r->content_type && !x->ctype) || !x->body)
        return IB_ERR_NOMEM;
    if (r->len) memcpy(x->body, r->body, r->len);
    return 0;
}

static void server_free(struct ib_http_server *h)
{
    for (size_t i = 0; i < h->n_res; i++)
        res_free(&h->res[i]);
    free(h->res);
    if (h->root >= 0) close(h->root);
    free(h);
}

static struct ib_http_server *server_new(struct ib_stack *s,
                                         const struct ib_http_server_config *cfg)
{
    struct ib_http_server *h = calloc(1, sizeof(*h));
    if (!h) return NULL;
    h->stack = s;
    h->idle = cfg && cfg->idle_timeout > 0 ? cfg->idle_timeout : IB_HTTP_IDLE_DEFAULT;
    h->max_conns = cfg && cfg->max_conns ? cfg->max_conns : IB_HTTP_MAX_CONNS_DEFAULT;
    h->head_cap = HEAD_FIXED;
    h->root = -1;
    return h;
}

/* The last step of starting: NULL (and the server freed) if the port is taken. */
static struct ib_http_server *server_listen(struct ib_http_server *h, uint16_t port)
{
    h->listener = ib_tcp_listen(h->stack, IB_IP4_ANY, port, &listen_ops, h, NULL);
    if (!h->listener) {
        server_free(h);
        return NULL;
    }
    return h;
}

struct ib_http_server *ib_http_server_start(struct ib_stack *s, uint16_t port,
                                            const struct ib_http_resource *res, size_t n,
                                            const struct ib_http_server_config *cfg)
{
    struct ib_http_server *h = server_new(s, cfg);
    if (!h) return NULL;
    h->res = calloc(n ? n : 1, sizeof(*h->res));
    if (!h->res) {
        server_free(h);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        h->n_res++;
        if (!res[i].path || res_copy(&h->res[i], &res[i]) != 0) {
            server_free(h);
            return NULL;
        }
        if (res[i].content_type && HEAD_FIXED + strlen(res[i].content_type) > h->head_cap)
            h->head_cap = HEAD_FIXED + strlen(res[i].content_type);
    }
    return server_listen(h, port);
}

struct ib_http_server *ib_http_server_start_dir(struct ib_stack *s, uint16_t port, const char *dir,
                                                const struct ib_http_server_config *cfg)
{
    int root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) return NULL;
    struct ib_http_server *h = server_new(s, cfg);
    if (!h) {
        close(root);
        return NULL;
    }
    h->root = root;
    h->head_cap = HEAD_DIR;
    return server_listen(h, port);
}

void ib_http_server_drain(struct ib_http_server *h)
{
    if (h->draining) return;
    h->draining = true;
    ib_tcp_close(h->listener);
    h->listener = NULL;
    for (struct conn *k = h->conns; k; k = k->next) {
        if (k->busy)
            k->close_after = true; /* conn_run half-closes after the response */
        else if (!k->closing)
            conn_half_close(k); /* RFC 9112 §9.6: idle, so nothing is cut short */
    }
}

size_t ib_http_server_conns(const struct ib_http_server *h)
{
    return h->n_conns;
}

void ib_http_server_stop(struct ib_http_server *h)
{
    if (!h) return;
    if (h->listener) ib_tcp_close(h->listener);
    while (h->conns)
        conn_end(h->conns);
    server_free(h);
}
