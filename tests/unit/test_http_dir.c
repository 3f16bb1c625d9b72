/* The HTTP server on a directory (ib_http_server_start_dir) in a small
 * world, cli 10.0.0.1 -- srv 10.0.0.2, serving a temporary tree:
 *
 *   T/secret.txt           outside the served directory
 *   T/www/index.html
 *   T/www/big.bin          1 MB, pseudo-random
 *   T/www/empty.txt        0 bytes
 *   T/www/sub/index.html, T/www/sub/page.css
 *   T/www/noindex/         a directory without index.html
 *   T/www/a.<ext>          one small file per known extension
 *   T/www/link -> ../secret.txt, T/www/sublink -> sub, T/www/fifo
 *
 * Requests come from a raw TCP client that parses the responses as they
 * arrive, so every test checks the status line, the fields and the body
 * bytes; the 1 MB file also goes through the real client (ib_http_get).
 * Open descriptors are counted before and after, so a file left open by
 * the server shows. The last tests drain the server (a graceful shutdown,
 * as `inetbox live` does on SIGINT) with responses in progress. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inetbox/http.h"
#include "inetbox/tcp.h"
#include "inetbox/world.h"

#define CLI_IP IB_IP4(10, 0, 0, 1)
#define SRV_IP IB_IP4(10, 0, 0, 2)
#define BIG_LEN (1u << 20)

static const char index_html[] = "<html><body>top</body></html>\n";
static const char sub_index[] = "<html><body>sub</body></html>\n";
static const char page_css[] = "body { color: black }\n";
static const char secret[] = "SECRET: outside the served directory\n";

/* ---- the temporary tree ---- */

static char top[64], www[96];
static uint8_t big[BIG_LEN];

static void path_of(char *out, size_t cap, const char *dir, const char *name)
{
    assert_true((size_t)snprintf(out, cap, "%s/%s", dir, name) < cap);
}

static void put_file(const char *dir, const char *name, const void *b, size_t n)
{
    char p[256];
    path_of(p, sizeof(p), dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void put_dir(const char *name)
{
    char p[256];
    path_of(p, sizeof(p), www, name);
    assert_int_equal(mkdir(p, 0755), 0);
}

static const struct {
    const char *name, *ctype;
} typed[] = {
    {"a.html", "text/html; charset=utf-8"},
    {"a.HTM", "text/html; charset=utf-8"},
    {"a.txt", "text/plain; charset=utf-8"},
    {"a.css", "text/css"},
    {"a.js", "text/javascript"},
    {"a.json", "application/json"},
    {"a.png", "image/png"},
    {"a.jpg", "image/jpeg"},
    {"a.svg", "image/svg+xml"},
    {"a.bin", "application/octet-stream"},
    {"noext", "application/octet-stream"},
    {".hidden", "application/octet-stream"},
};

static int tree_make(void **state)
{
    (void)state;
    snprintf(top, sizeof(top), "/tmp/ib_http_dir_XXXXXX");
    if (!mkdtemp(top)) return -1;
    path_of(www, sizeof(www), top, "www");
    if (mkdir(www, 0755) != 0) return -1;
    uint64_t x = 0x243f6a8885a308d3u;
    for (size_t i = 0; i < sizeof(big); i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
        big[i] = (uint8_t)x;
    }
    put_file(top, "secret.txt", secret, strlen(secret));
    put_file(www, "index.html", index_html, strlen(index_html));
    put_file(www, "big.bin", big, sizeof(big));
    put_file(www, "empty.txt", "", 0);
    put_dir("sub");
    put_dir("noindex");
    put_file(www, "sub/index.html", sub_index, strlen(sub_index));
    put_file(www, "sub/page.css", page_css, strlen(page_css));
    for (size_t i = 0; i < IB_ARRAY_LEN(typed); i++)
        put_file(www, typed[i].name, typed[i].name, strlen(typed[i].name));
    char p[256];
    path_of(p, sizeof(p), www, "link");
    assert_int_equal(symlink("../secret.txt", p), 0);
    path_of(p, sizeof(p), www, "sublink");
    assert_int_equal(symlink("sub", p), 0);
    path_of(p, sizeof(p), www, "fifo");
    assert_int_equal(mkfifo(p, 0644), 0);
    return 0;
}

static void rm_in(const char *dir, const char *name)
{
    char p[256];
    path_of(p, sizeof(p), dir, name);
    assert_int_equal(unlink(p), 0);
}

static int tree_remove(void **state)
{
    (void)state;
    static const char *const files[] = {"index.html",   "big.bin", "empty.txt", "sub/index.html",
                                        "sub/page.css", "link",    "sublink",   "fifo"};
    for (size_t i = 0; i < IB_ARRAY_LEN(files); i++)
        rm_in(www, files[i]);
    for (size_t i = 0; i < IB_ARRAY_LEN(typed); i++)
        rm_in(www, typed[i].name);
    char p[256];
    path_of(p, sizeof(p), www, "sub");
    assert_int_equal(rmdir(p), 0);
    path_of(p, sizeof(p), www, "noindex");
    assert_int_equal(rmdir(p), 0);
    assert_int_equal(rmdir(www), 0);
    rm_in(top, "secret.txt");
    assert_int_equal(rmdir(top), 0);
    return 0;
}

/* Descriptors this process has open. */
static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* FNV-1a, 64-bit: the bodies compare by hash as well as byte for byte. */
static uint64_t fnv(const uint8_t *b, size_t n)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3u;
    return h;
}

/* ---- the world ---- */

struct net {
    struct ib_world *w;
    struct ib_stack *cli, *srv;
    struct ib_http_server *http;
    int fds; /* open before the server */
    uint32_t http_tx, last_status;
    uint64_t last_len;
};

static void observe(void *ctx, const struct ib_event *e)
{
    struct net *n = ctx;
    if (e->kind != IB_EV_HTTP || e->u.http.what != IB_HTTP_RESPONSE_TX) return;
    n->http_tx++;
    n->last_status = e->u.http.status;
    n->last_len = e->u.http.len;
}

static void net_build(struct net *n, uint64_t rate_bps)
{
    memset(n, 0, sizeof(*n));
    n->fds = open_fds();
    n->w = ib_world_new(11);
    assert_non_null(n->w);
    n->cli = ib_world_add_host(n->w, "cli");
    n->srv = ib_world_add_host(n->w, "srv");
    struct ib_netif *ce = ib_world_add_netif(n->w, &n->cli->node, "eth0");
    struct ib_netif *se = ib_world_add_netif(n->w, &n->srv->node, "eth0");
    struct ib_link_params p = ib_link_defaults;
    p.rate_bps = rate_bps;
    p.delay = IB_MS(1);
    p.queue = 1000;
    assert_non_null(ib_world_connect(n->w, ce, se, &p));
    assert_int_equal(ib_stack_set_addr(n->cli, ce, CLI_IP, 24), 0);
    assert_int_equal(ib_stack_set_addr(n->srv, se, SRV_IP, 24), 0);
    assert_int_equal(ib_world_observe(n->w, observe, n), 0);
    n->http = ib_http_server_start_dir(n->srv, 80, www, NULL);
    assert_non_null(n->http);
    assert_int_equal(open_fds(), n->fds + 1); /* the directory itself */
}

static ib_time now(const struct net *n)
{
    return ib_now(&n->w->env);
}

static void net_free(struct net *n)
{
    ib_http_server_stop(n->http);
    assert_int_equal(open_fds(), n->fds);
    ib_world_run(n->w, IB_TIME_NEVER);
    struct ib_pkt_pool_stats st;
    ib_pkt_pool_stats(n->w->env.pool, &st);
    assert_int_equal(st.in_use, 0);
    ib_world_free(n->w);
}

/* ---- a raw client: sends a request text, parses what comes back ---- */

#define MAX_REPLIES 4

struct reply {
    uint16_t status;
    bool has_cl, conn_close;
    uint64_t cl;
    char ctype[64], location[128];
    uint8_t *body;
    size_t len, cap;
};

struct raw {
    struct ib_tcp *c;
    struct ib_http_parser p;
    bool heads[MAX_REPLIES]; /* reply i answers a HEAD */
    struct reply r[MAX_REPLIES];
    int n; /* complete replies */
    bool eof;
    bool paused; /* reads nothing: its receive window closes */
    int err, perr;
};

static void on_body(void *ctx, const uint8_t *b, size_t n)
{
    struct reply *r = ctx;
    if (r->len + n > r->cap) {
        r->cap = r->len + n > 2 * r->cap ? r->len + n : 2 * r->cap;
        r->body = realloc(r->body, r->cap);
        assert_non_null(r->body);
    }
    memcpy(r->body + r->len, b, n);
    r->len += n;
}

static void field(const struct ib_http_msg *m, const char *name, char *out, size_t cap)
{
    const struct ib_http_field *f = ib_http_find(m, name);
    snprintf(out, cap, "%.*s", f ? (int)f->value.n : 0, f ? f->value.p : "");
}

static void raw_parser_next(struct raw *w)
{
    ib_http_parser_init(&w->p, IB_HTTP_RESPONSE, on_body, &w->r[w->n]);
    w->p.head_request = w->heads[w->n];
}

static void raw_readable(struct ib_tcp *c, void *arg)
{
    struct raw *w = arg;
    uint8_t buf[8192];
    long got;
    if (w->paused) return;
    while ((got = ib_tcp_recv(c, buf, sizeof(buf))) > 0) {
        size_t off = 0;
        while (off < (size_t)got && !w->perr) {
            assert_true(w->n < MAX_REPLIES);
            size_t used = 0;
            w->perr = ib_http_feed(&w->p, buf + off, (size_t)got - off, &used);
            off += used;
            if (w->perr || !ib_http_done(&w->p)) continue;
            struct reply *r = &w->r[w->n++];
            const struct ib_http_msg *m = &w->p.msg;
            char v[32];
            r->status = m->status;
            r->has_cl = ib_http_find(m, "content-length") != NULL;
            field(m, "content-length", v, sizeof(v));
            r->cl = strtoull(v, NULL, 10);
            field(m, "content-type", r->ctype, sizeof(r->ctype));
            field(m, "location", r->location, sizeof(r->location));
            field(m, "connection", v, sizeof(v));
            r->conn_close = strcmp(v, "close") == 0;
            if (w->n < MAX_REPLIES) raw_parser_next(w);
        }
    }
    if (ib_tcp_eof(c)) w->eof = true;
}

static void raw_error(struct ib_tcp *c, int err, void *arg)
{
    ((struct raw *)arg)->err = err;
}

static const struct ib_tcp_ops raw_ops = {.readable = raw_readable, .error = raw_error};

/* Sends req (heads[i]: its i-th request is a HEAD) and runs until want
 * replies are complete or the server closed, at most 10 s. */
static struct raw *raw_exchange(struct net *n, const char *req, int want, const bool *heads)
{
    struct raw *w = calloc(1, sizeof(*w));
    assert_non_null(w);
    for (int i = 0; heads && i < want; i++)
        w->heads[i] = heads[i];
    raw_parser_next(w);
    w->c = ib_tcp_connect(n->cli, SRV_IP, 80, &raw_ops, w, NULL);
    assert_non_null(w->c);
    assert_int_equal(ib_tcp_send(w->c, req, strlen(req)), (long)strlen(req));
    ib_time end = now(n) + IB_SEC(10);
    while (w->n < want && !w->eof && !w->err && now(n) < end)
        ib_world_run(n->w, now(n) + IB_MS(5));
    return w;
}

static void raw_free(struct raw *w)
{
    if (w->c) ib_tcp_close(w->c);
    for (int i = 0; i < MAX_REPLIES; i++)
        free(w->r[i].body);
    free(w);
}

/* GET target and the reply, which must have come. */
static struct raw *get(struct net *n, const char *target)
{
    char req[512];
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: srv\r\n\r\n", target);
    struct raw *w = raw_exchange(n, req, 1, NULL);
    assert_int_equal(w->perr, 0);
    assert_int_equal(w->n, 1);
    return w;
}

static void expect_body(const struct reply *r, const void *b, size_t n)
{
    assert_int_equal(r->status, 200);
    assert_true(r->has_cl);
    assert_int_equal(r->cl, n);
    assert_int_equal(r->len, n);
    assert_true(fnv(r->body, r->len) == fnv(b, n));
    if (n) assert_memory_equal(r->body, b, n);
}

/* ---- tests ---- */

/* "/" and "/sub/" serve the index.html in them; the query is ignored. */
static void test_index_and_files(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, 100000000);
    static const struct {
        const char *target;
        const char *body, *ctype;
    } cases[] = {
        {"/", index_html, "text/html; charset=utf-8"},
        {"/index.html?v=2", index_html, "text/html; charset=utf-8"},
        {"/sub/", sub_index, "text/html; charset=utf-8"},
        {"/sub/./", sub_index, "text/html; charset=utf-8"},
        {"//sub//page.css", page_css, "text/css"},
        {"/sub/page%2Ecss", page_css, "text/css"}, /* RFC 3986 §2.1 */
        {"/empty.txt", "", "text/plain; charset=utf-8"},
    };
    for (size_t i = 0; i < IB_ARRAY_LEN(cases); i++) {
        struct raw *w = get(&n, cases[i].target);
        expect_body(&w->r[0], cases[i].body, strlen(cases[i].body));
        assert_string_equal(w->r[0].ctype, cases[i].ctype);
        assert_false(w->r[0].conn_close);
        assert_int_equal(n.last_status, 200);
        assert_int_equal(n.last_len, strlen(cases[i].body));
        raw_free(w);
    }
    assert_int_equal(n.http_tx, IB_ARRAY_LEN(cases));
    net_free(&n);
}

static void test_content_types(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, 100000000);
    for (size_t i = 0; i < IB_ARRAY_LEN(typed); i++) {
        char target[64];
        snprintf(target, sizeof(target), "/%s", typed[i].name);
        struct raw *w = get(&n, target);
        expect_body(&w->r[0], typed[i].name, strlen(typed[i].name));
        assert_string_equal(w->r[0].ctype, typed[i].ctype);
        raw_free(w);
    }
    net_free(&n);
}

struct fetch {
    bool done;
    int err;
    uint16_t status;
    size_t len;
    uint64_t hash;
    bool same;
    char ctype[64];
};

static void on_done(void *arg, const struct ib_http_result *r)
{
    struct fetch *f = arg;
    f->done = true;
    f->err = r->err;
    f->status = r->status;
    f->len = r->len;
    f->hash = fnv(r->body, r->len);
    f->same = r->len == sizeof(big) && memcmp(r->body, big, sizeof(big)) == 0;
    snprintf(f->ctype, sizeof(f->ctype), "%s", r->content_type);
}

/* 1 MB through the real client, byte for byte; the file is closed when the
 * response ends, though the connection stays open for more requests. */
static void test_big_file(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, 100000000);
    struct fetch f = {0};
    assert_non_null(ib_http_get(n.cli, SRV_IP, 80, "srv", "/big.bin", on_done, &f));
    ib_world_run(n.w, now(&n) + IB_SEC(5));
    assert_true(f.done);
    assert_int_equal(f.err, 0);
    assert_int_equal(f.status, 200);
    assert_int_equal(f.len, sizeof(big));
    assert_true(f.hash == fnv(big, sizeof(big)));
    assert_true(f.same);
    assert_string_equal(f.ctype, "application/octet-stream");
    assert_int_equal(n.last_len, sizeof(big));

    struct raw *w = raw_exchange(&n, "GET /big.bin HTTP/1.1\r\nHost: srv\r\n\r\n", 1, NULL);
    assert_int_equal(w->n, 1);
    expect_body(&w->r[0], big, sizeof(big));
    assert_false(w->eof);
    assert_int_equal(open_fds(), n.fds + 1); /* only the directory */
    raw_free(w);
    net_free(&n);
}

/* RFC 9110 §9.3.2: HEAD gets GET's head, Content-Length from fstat, and
 * no content; the GET after it on the same connection gets the body. */
static void test_head(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, 100000000);
    const bool heads[] = {true, true, false};
    struct raw *w = raw_exchange(&n,
                                 "HEAD /big.bin HTTP/1.1\r\nHost: srv\r\n\r\n"
                                 "HEAD /empty.txt HTTP/1.1\r\nHost: srv\r\n\r\n"
                                 "GET /sub/page.css HTTP/1.1\r\nHost: srv\r\n\r\n",
                                 3, heads);
    assert_int_equal(w->perr, 0);
    assert_int_equal(w->n, 3);
    assert_int_equal(w->r[0].status, 200);
    assert_int_equal(w->r[0].cl, sizeof(big));
    assert_int_equal(w->r[0].len, 0);
    assert_string_equal(w->r[0].ctype, "application/octet-stream");
    assert_int_equal(w->r[1].status, 200);
    assert_true(w->r[1].has_cl);
    assert_int_equal(w->r[1].cl, 0);
    expect_body(&w->r[2], page_css, strlen(page_css));
    assert_int_equal(open_fds(), n.fds + 1);
    raw_free(w);
    net_free(&n);
}

/* Absent names, directories without an index, non-regular files and
 * symbolic links (even to files inside) are all 404. */
static void test_not_found(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, 100000000);
    static const char *const targets[] = {
        "/nothing", "/noindex/", "/sub/missing.css",  "/big.bin/", "/big.bin/x",
        "/link",    "/sublink/", "/sublink/page.css", "/fifo",     "/nothing/x/",
    };
    for (size_t i = 0; i < IB_ARRAY_LEN(targets); i++) {
        struct raw *w = get(&n, targets[i]);
        assert_int_equal(w->r[0].status, 404);
        assert_string_equal(w->r[0].ctype, "text/plain; charset=utf-8");
        assert_int_equal(w->r[0].len, strlen("404 Not Found\n"));
        assert_false(w->r[0].conn_close);
        raw_free(w);
    }
    assert_int_equal(open_fds(), n.fds + 1);
    net_free(&n);
}

/* A directory named without its slash is redirected to it (RFC 9110
 * §15.4.2), so that its page's relative references resolve. */
static void test_directory_redirect(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, 100000000);
    struct raw *w = get(&n, "/sub?x=1");
    assert_int_equal(w->r[0].status, 301);
    assert_string_equal(w->r[0].location, "/sub/");
    assert_int_equal(w->r[0].len, strlen("301 Moved Permanently\n"));
    raw_free(w);
    w = get(&n, "/s%75b");
    assert_int_equal(w->r[0].status, 301);
    assert_string_equal(w->r[0].location, "/s%75b/");
    raw_free(w);
    net_free(&n);
}

/* Whatever the spelling, a path that leaves the directory (or could, or
 * hides a NUL) gets 400 and the connection is closed; no byte of the file
 * outside the directory is ever sent. */
static void test_traversal_refused(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, 100000000);
    static const char *const targets[] = {
        "/../secret.txt",
        "/../etc/passwd",
        "/%2e%2e/",
        "/%2E%2E/secret.txt",
        "/sub/../../secret.txt",
        "/a/../../x",
        "/sub/..",
        "/..%2fsecret.txt",
        "/sub/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/%00",
        "/index.html%00.txt",
        "/%zz",
        "/%2",
        "/index.html%",
    };
    for (size_t i = 0; i < IB_ARRAY_LEN(targets); i++) {
        struct raw *w = get(&n, targets[i]);
        assert_int_equal(w->r[0].status, 400);
        assert_true(w->r[0].conn_close);
        assert_memory_equal(w->r[0].body, "400 Bad Request\n", w->r[0].len);
        ib_world_run(n.w, now(&n) + IB_MS(50));
        assert_true(w->eof);
        raw_free(w);
    }
    /* Only a malformed message counts as a drop; these parse. */
    assert_int_equal(n.srv->node.drops[IB_DROP_HTTP_MALFORMED], 0);
    assert_int_equal(open_fds(), n.fds + 1);
    net_free(&n);
}

/* A file that shrinks while it is sent ends the connection short of the
 * Content-Length (the client sees a cut message, RFC 9112 §8); one that
 * grows is sent only up to the length announced. The server never reads
 * past what the file holds and keeps nothing open afterwards. */
static void test_file_changes_size(void **state)
{
    (void)state;
    char p[256];
    path_of(p, sizeof(p), www, "changing.bin");
    struct net n;
    net_build(&n, 10000000); /* 10 Mb/s: the 1 MB takes ~0.8 s */

    put_file(www, "changing.bin", big, sizeof(big));
    struct raw *w = raw_exchange(&n, "GET /changing.bin HTTP/1.1\r\nHost: srv\r\n\r\n", 0, NULL);
    ib_world_run(n.w, now(&n) + IB_MS(100));
    assert_int_equal(open_fds(), n.fds + 2); /* the directory and the file */
    /* By now TCP holds at most its send buffer (256 KB) beyond the 125 KB
     * the link carried, so the cut falls in what is still to be read. */
    assert_int_equal(truncate(p, 600000), 0);
    ib_world_run(n.w, now(&n) + IB_SEC(3));
    assert_true(w->eof);
    assert_int_equal(w->n, 0);
    assert_int_equal(w->r[0].len, 600000);
    assert_memory_equal(w->r[0].body, big, w->r[0].len);
    assert_int_equal(ib_http_finish(&w->p), IB_HTTP_E_TRUNCATED);
    assert_int_equal(open_fds(), n.fds + 1);
    raw_free(w);

    put_file(www, "changing.bin", big, 200000);
    w = raw_exchange(&n, "GET /changing.bin HTTP/1.1\r\nHost: srv\r\n\r\n", 0, NULL);
    ib_world_run(n.w, now(&n) + IB_MS(50));
    int fd = open(p, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, big + 200000, 100000), 100000);
    close(fd);
    ib_world_run(n.w, now(&n) + IB_SEC(1));
    assert_int_equal(w->perr, 0);
    assert_int_equal(w->n, 1);
    expect_body(&w->r[0], big, 200000);
    raw_free(w);
    assert_int_equal(unlink(p), 0);
    net_free(&n);
}

/* A client that goes away mid-body: the server drops the connection and
 * closes the file; so does stopping the server with a response running. */
static void test_abort_closes_file(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, 10000000);
    struct raw *w = raw_exchange(&n, "GET /big.bin HTTP/1.1\r\nHost: srv\r\n\r\n", 0, NULL);
    ib_world_run(n.w, now(&n) + IB_MS(100));
    assert_int_equal(open_fds(), n.fds + 2);
    ib_tcp_abort(w->c);
    w->c = NULL;
    ib_world_run(n.w, now(&n) + IB_MS(100));
    assert_int_equal(open_fds(), n.fds + 1);
    raw_free(w);

    w = raw_exchange(&n, "GET /big.bin HTTP/1.1\r\nHost: srv\r\n\r\n", 0, NULL);
    ib_world_run(n.w, now(&n) + IB_MS(100));
    assert_int_equal(open_fds(), n.fds + 2);
    ib_http_server_stop(n.http);
    n.http = NULL;
    assert_int_equal(open_fds(), n.fds);
    ib_world_run(n.w, now(&n) + IB_SEC(2));
    raw_free(w);
    n.http = ib_http_server_start_dir(n.srv, 80, www, NULL);
    assert_non_null(n.http);
    net_free(&n);
}

/* Runs until w saw the server's FIN or an error, at most 10 s. */
static void run_to_eof(struct net *n, const struct raw *w)
{
    ib_time end = now(n) + IB_SEC(10);
    while (!w->eof && !w->err && now(n) < end)
        ib_world_run(n->w, now(n) + IB_MS(5));
}

/* Draining: the 1 MB response in progress is read from its file to the
 * end and sent whole, then the server closes with a FIN (RFC 9112 §9.6),
 * not a reset, and closes the file; the request pipelined behind it gets
 * no answer; a new connection is refused (the listener is gone). */
static void test_drain_finishes_response(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, 10000000);
    struct raw *w = raw_exchange(&n,
                                 "GET /big.bin HTTP/1.1\r\nHost: srv\r\n\r\n"
                                 "GET /index.html HTTP/1.1\r\nHost: srv\r\n\r\n",
                                 0, NULL);
    ib_world_run(n.w, now(&n) + IB_MS(100));
    assert_int_equal(w->n, 0);
    assert_true(w->r[0].len > 0);
    ib_http_server_drain(n.http);
    assert_int_equal(ib_http_server_conns(n.http), 1);
    /* RFC 9293 §3.10.7.1: a SYN for a port nobody listens on gets RST */
    struct raw *late = raw_exchange(&n, "GET / HTTP/1.1\r\nHost: srv\r\n\r\n", 1, NULL);
    assert_int_equal(late->err, IB_ERR_REFUSED);

    run_to_eof(&n, w);
    assert_true(w->eof);
    assert_int_equal(w->err, 0);
    assert_int_equal(w->perr, 0);
    assert_int_equal(w->n, 1);
    expect_body(&w->r[0], big, BIG_LEN);
    assert_int_equal(open_fds(), n.fds + 1);
    raw_free(w);
    raw_free(late);
    ib_world_run(n.w, now(&n) + IB_MS(50));
    assert_int_equal(ib_http_server_conns(n.http), 0);
    assert_int_equal(ib_tcp_count(n.srv), 0);
    net_free(&n);
}

/* Draining closes idle keep-alive connections at once, and one that has
 * asked nothing yet: each gets its FIN within a round trip. */
static void test_drain_closes_idle(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, 10000000);
    struct raw *kept = get(&n, "/index.html");
    struct raw *silent = raw_exchange(&n, "", 0, NULL);
    ib_world_run(n.w, now(&n) + IB_MS(20));
    assert_false(kept->eof);
    assert_int_equal(ib_http_server_conns(n.http), 2);

    ib_http_server_drain(n.http);
    ib_time t0 = now(&n);
    run_to_eof(&n, kept);
    run_to_eof(&n, silent);
    assert_true(kept->eof && silent->eof);
    assert_true(now(&n) - t0 <= IB_MS(5));
    assert_int_equal(kept->err, 0);
    assert_int_equal(kept->n, 1);
    assert_int_equal(silent->err, 0);
    assert_int_equal(silent->n, 0);
    raw_free(kept);
    raw_free(silent);
    ib_world_run(n.w, now(&n) + IB_MS(50));
    assert_int_equal(ib_http_server_conns(n.http), 0);
    net_free(&n);
}

/* A client that stops reading keeps its response from ever finishing:
 * once the server stops, the connection is the stack's (still counted,
 * its file closed), and ib_tcp_abort_closed resets it (RFC 9293 §3.10.5)
 * at the one sequence number a closed window takes (RFC 5961 §3.2), so
 * the client learns at once instead of waiting on silence. */
static void test_drain_then_reset(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, 10000000);
    struct raw *w = raw_exchange(&n, "GET /big.bin HTTP/1.1\r\nHost: srv\r\n\r\n", 0, NULL);
    w->paused = true;
    ib_world_run(n.w, now(&n) + IB_SEC(1));
    ib_http_server_drain(n.http);
    ib_world_run(n.w, now(&n) + IB_SEC(1));
    assert_int_equal(ib_http_server_conns(n.http), 1);
    assert_int_equal(open_fds(), n.fds + 2);
    ib_http_server_stop(n.http);
    n.http = NULL;
    assert_int_equal(open_fds(), n.fds);
    ib_world_run(n.w, now(&n) + IB_MS(10));
    assert_int_equal(ib_tcp_count(n.srv), 1);
    assert_int_equal(ib_tcp_abort_closed(n.srv), 1);
    assert_int_equal(ib_tcp_count(n.srv), 0);
    ib_world_run(n.w, now(&n) + IB_MS(10));
    assert_int_equal(w->err, IB_ERR_RESET);
    raw_free(w);
    n.http = ib_http_server_start_dir(n.srv, 80, www, NULL);
    assert_non_null(n.http);
    net_free(&n);
}

static void test_start_errors(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, 0);
    char p[256];
    path_of(p, sizeof(p), www, "index.html");
    assert_null(ib_http_server_start_dir(n.srv, 81, p, NULL)); /* not a directory */
    assert_null(ib_http_server_start_dir(n.srv, 81, "/nonexistent/inetbox", NULL));
    assert_null(ib_http_server_start_dir(n.srv, 80, www, NULL)); /* port taken */
    assert_int_equal(open_fds(), n.fds + 1);
    net_free(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_and_files),
        cmocka_unit_test(test_content_types),
        cmocka_unit_test(test_big_file),
        cmocka_unit_test(test_head),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_directory_redirect),
        cmocka_unit_test(test_traversal_refused),
        cmocka_unit_test(test_file_changes_size),
        cmocka_unit_test(test_abort_closes_file),
        cmocka_unit_test(test_start_errors),
        cmocka_unit_test(test_drain_finishes_response),
        cmocka_unit_test(test_drain_closes_idle),
        cmocka_unit_test(test_drain_then_reset),
    };
    return cmocka_run_group_tests(tests, tree_make, tree_remove);
}
