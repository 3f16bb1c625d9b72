/* HTTP/1.1 messages (RFC 9112): requests and responses parsed from exact
 * bytes, every split of the input giving the same result, chunked bodies
 * with extensions and trailers, each error and limit, persistence, and
 * the writers' exact output (the response bytes were also parsed by
 * python3's http.client, which returned the same status, fields and body,
 * and the request by http.server's parse_request). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "inetbox/http.h"

struct body {
    uint8_t b[4096];
    size_t n;
};

static void on_body(void *ctx, const uint8_t *b, size_t n)
{
    struct body *bd = ctx;
    assert_true(bd->n + n <= sizeof(bd->b));
    memcpy(bd->b + bd->n, b, n);
    bd->n += n;
}

struct run {
    struct ib_http_parser p;
    struct body body;
    int err;
    size_t used;
};

/* Feeds s in pieces cut at the given offsets (ascending), as TCP might
 * deliver it; stops at the first error or at the end of the message. */
static void feed_split(struct run *r, enum ib_http_kind kind, bool head, const char *s, size_t len,
                       const size_t *cuts, size_t ncuts)
{
    memset(&r->body, 0, sizeof(r->body));
    ib_http_parser_init(&r->p, kind, on_body, &r->body);
    r->p.head_request = head;
    r->used = 0;
    r->err = 0;
    size_t from = 0;
    for (size_t k = 0; k <= ncuts && !r->err && !ib_http_done(&r->p); k++) {
        size_t to = k < ncuts ? cuts[k] : len;
        size_t u = 0;
        r->err = ib_http_feed(&r->p, (const uint8_t *)s + from, to - from, &u);
        r->used += u;
        from = to;
    }
}

static void feed_all(struct run *r, enum ib_http_kind kind, const char *s)
{
    feed_split(r, kind, false, s, strlen(s), NULL, 0);
}

static bool str_is(struct ib_http_str a, const char *b)
{
    return a.n == strlen(b) && memcmp(a.p, b, a.n) == 0;
}

/* Everything observable about a parse, as text, for comparing splits. */
static void summary(const struct run *r, char *out, size_t cap)
{
    const struct ib_http_msg *m = &r->p.msg;
    int o = snprintf(out, cap, "err=%d done=%d used=%zu %.*s %.*s %u.%u %u %.*s f=%d ka=%d n=%zu|",
                     r->err, ib_http_done(&r->p), r->used, (int)m->method.n, m->method.p,
                     (int)m->target.n, m->target.p, m->major, m->minor, m->status, (int)m->reason.n,
                     m->reason.p, m->framing, m->keep_alive, r->body.n);
    for (size_t i = 0; i < m->nfields && o > 0 && (size_t)o < cap; i++)
        o += snprintf(out + o, cap - (size_t)o, "%.*s=%.*s|", (int)m->field[i].name.n,
                      m->field[i].name.p, (int)m->field[i].value.n, m->field[i].value.p);
    if (o > 0 && (size_t)o + r->body.n < cap) {
        memcpy(out + o, r->body.b, r->body.n);
        out[o + (int)r->body.n] = '\0';
    }
}

/* RFC 9112 §3 and §5: a request line and field lines; OWS around the value
 * is not part of it; nothing after the empty line is consumed. */
static void test_request_exact(void **state)
{
    (void)state;
    static const char req[] = "GET /index.html HTTP/1.1\r\n"
                              "Host: www.google.com\r\n"
                              "User-Agent: \t inetbox/1 \t\r\n"
                              "Accept:\r\n"
                              "\r\n"
                              "GET /next HTTP/1.1\r\n";
    struct run r;
    feed_all(&r, IB_HTTP_REQUEST, req);
    assert_int_equal(r.err, 0);
    assert_true(ib_http_done(&r.p));
    assert_int_equal(r.used, strlen(req) - strlen("GET /next HTTP/1.1\r\n"));
    const struct ib_http_msg *m = &r.p.msg;
    assert_true(str_is(m->method, "GET"));
    assert_true(str_is(m->target, "/index.html"));
    assert_int_equal(m->major, 1);
    assert_int_equal(m->minor, 1);
    assert_int_equal(m->nfields, 3);
    assert_true(str_is(m->field[0].name, "Host"));
    assert_true(str_is(m->field[0].value, "www.google.com"));
    assert_true(str_is(m->field[1].value, "inetbox/1"));
    assert_true(str_is(m->field[2].name, "Accept"));
    assert_int_equal(m->field[2].value.n, 0);
    assert_int_equal(m->framing, IB_HTTP_BODY_NONE);
    assert_true(m->keep_alive);
    const struct ib_http_field *h = ib_http_find(m, "HOST");
    assert_non_null(h);
    assert_true(str_is(h->value, "www.google.com"));
    assert_null(ib_http_find(m, "Cookie"));

    /* The next pipelined request parses from where the first stopped. */
    ib_http_parser_reset(&r.p);
    size_t u;
    const char *rest = req + r.used;
    assert_int_equal(ib_http_feed(&r.p, (const uint8_t *)rest, strlen(rest), &u), 0);
    assert_int_equal(u, strlen(rest));
    assert_false(ib_http_done(&r.p));
    assert_true(str_is(r.p.msg.target, "/next"));
    assert_int_equal(ib_http_finish(&r.p), IB_HTTP_E_TRUNCATED);
}

/* RFC 9112 §2.2: empty lines before the request-line are ignored, bare LF
 * ends a line; §4: a response with Content-Length and an empty reason. */
static void test_response_exact(void **state)
{
    (void)state;
    struct run r;
    feed_all(&r, IB_HTTP_REQUEST, "\r\n\nPOST /f HTTP/1.0\nContent-Length: 3\n\nabcd");
    assert_int_equal(r.err, 0);
    assert_true(ib_http_done(&r.p));
    assert_true(str_is(r.p.msg.method, "POST"));
    assert_int_equal(r.p.msg.minor, 0);
    assert_int_equal(r.body.n, 3);
    assert_memory_equal(r.body.b, "abc", 3);
    assert_false(r.p.msg.keep_alive); /* §9.3: HTTP/1.0 closes by default */

    feed_all(&r, IB_HTTP_RESPONSE,
             "HTTP/1.1 404 \r\nContent-Length: 5, 5\r\ncontent-length: 5\r\n\r\nnopeX");
    assert_int_equal(r.err, 0);
    assert_int_equal(r.p.msg.status, 404);
    assert_int_equal(r.p.msg.reason.n, 0);
    assert_int_equal(r.p.msg.framing, IB_HTTP_BODY_LENGTH);
    assert_int_equal(r.p.msg.content_length, 5);
    assert_int_equal(r.body.n, 5);
    assert_memory_equal(r.body.b, "nopeX", 5);
    assert_int_equal(
        r.used, strlen("HTTP/1.1 404 \r\nContent-Length: 5, 5\r\ncontent-length: 5\r\n\r\n") + 5);
}

/* RFC 9112 §7.1: chunk extensions are ignored (§7.1.1), hex sizes in
 * either case, trailer fields parsed and dropped (§7.1.2). */
static const char chunked_resp[] = "HTTP/1.1 200 OK\r\n"
                                   "Transfer-Encoding: gzip, chunked\r\n"
                                   "\r\n"
                                   "5;name=value;q=\"a;b\"\r\nHello\r\n"
                                   "0A \t; x\r\n, world!\n\r\n"
                                   "1\r\n.\r\n"
                                   "000;end\r\n"
                                   "Expires: never\r\n"
                                   "X-Sum: 1\r\n"
                                   "\r\n"
                                   "HTTP/1.1";

static void test_chunked(void **state)
{
    (void)state;
    struct run r;
    feed_all(&r, IB_HTTP_RESPONSE, chunked_resp);
    assert_int_equal(r.err, 0);
    assert_true(ib_http_done(&r.p));
    assert_int_equal(r.p.msg.framing, IB_HTTP_BODY_CHUNKED);
    assert_int_equal(r.body.n, 16);
    assert_memory_equal(r.body.b, "Hello, world!\n\r.", 16);
    assert_int_equal(r.p.msg.body_len, 16);
    assert_int_equal(r.used, strlen(chunked_resp) - strlen("HTTP/1.1"));
    assert_int_equal(r.p.msg.nfields, 1); /* trailers are not header fields */
}

/* Every 1-byte feed and every 2-part split gives the same result as a
 * single feed. */
static void check_splits(enum ib_http_kind kind, bool head, const char *s)
{
    size_t len = strlen(s);
    static char want[8192], got[8192];
    struct run *r = malloc(sizeof(*r));
    assert_non_null(r);
    feed_split(r, kind, head, s, len, NULL, 0);
    if (kind == IB_HTTP_RESPONSE && !r->err && !ib_http_done(&r->p)) r->err = ib_http_finish(&r->p);
    summary(r, want, sizeof(want));
    size_t *cuts = malloc(len * sizeof(*cuts));
    assert_non_null(cuts);
    for (size_t i = 0; i < len; i++)
        cuts[i] = i + 1;
    feed_split(r, kind, head, s, len, cuts, len ? len - 1 : 0);
    if (kind == IB_HTTP_RESPONSE && !r->err && !ib_http_done(&r->p)) r->err = ib_http_finish(&r->p);
    summary(r, got, sizeof(got));
    assert_string_equal(got, want);
    for (size_t c = 0; c <= len; c++) {
        feed_split(r, kind, head, s, len, &c, 1);
        if (kind == IB_HTTP_RESPONSE && !r->err && !ib_http_done(&r->p))
            r->err = ib_http_finish(&r->p);
        summary(r, got, sizeof(got));
        assert_string_equal(got, want);
    }
    free(cuts);
    free(r);
}

static void test_every_split(void **state)
{
    (void)state;
    check_splits(IB_HTTP_RESPONSE, false, chunked_resp);
    check_splits(IB_HTTP_REQUEST, false,
                 "\r\nPUT /up?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\n\r\npayloadGET");
    check_splits(IB_HTTP_RESPONSE, false, "HTTP/1.0 200 OK\r\nServer: x\r\n\r\nuntil close");
    check_splits(IB_HTTP_RESPONSE, true, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n");
    /* Errors are found at the same place whatever the split. */
    check_splits(IB_HTTP_RESPONSE, false,
                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "4\r\nabcd\r\nz\r\n");
    check_splits(IB_HTTP_REQUEST, false, "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n");
}

/* RFC 9112 §6.3 rules 1 and 8, §9.3 persistence. */
static void test_body_rules(void **state)
{
    (void)state;
    struct run r;
    static const uint16_t nobody[] = {100, 101, 204, 304};
    for (size_t i = 0; i < sizeof(nobody) / sizeof(nobody[0]); i++) {
        char s[128];
        snprintf(s, sizeof(s), "HTTP/1.1 %u X\r\nContent-Length: 10\r\n\r\nabc", nobody[i]);
        feed_all(&r, IB_HTTP_RESPONSE, s);
        assert_int_equal(r.err, 0);
        assert_true(ib_http_done(&r.p));
        assert_int_equal(r.p.msg.framing, IB_HTTP_BODY_NONE);
        assert_int_equal(r.used, strlen(s) - 3);
    }
    static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
    feed_split(&r, IB_HTTP_RESPONSE, true, ok, strlen(ok), NULL, 0);
    assert_true(ib_http_done(&r.p));
    assert_int_equal(r.body.n, 0);

    /* Rule 8: read until close; finish completes it. */
    feed_all(&r, IB_HTTP_RESPONSE, "HTTP/1.1 200 OK\r\n\r\nabc");
    assert_false(ib_http_done(&r.p));
    assert_int_equal(r.p.msg.framing, IB_HTTP_BODY_CLOSE);
    assert_false(r.p.msg.keep_alive);
    assert_int_equal(ib_http_finish(&r.p), 0);
    assert_true(ib_http_done(&r.p));
    assert_int_equal(r.body.n, 3);
    /* Rule 4: a response whose final coding is not chunked too. */
    feed_all(&r, IB_HTTP_RESPONSE, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz");
    assert_int_equal(r.p.msg.framing, IB_HTTP_BODY_CLOSE);
    assert_int_equal(ib_http_finish(&r.p), 0);
    /* Rule 7: a request without length has no body. */
    feed_all(&r, IB_HTTP_REQUEST, "GET / HTTP/1.1\r\n\r\nxyz");
    assert_true(ib_http_done(&r.p));
    assert_int_equal(r.used, 18);

    /* Closed mid-message, or before any byte. */
    feed_all(&r, IB_HTTP_RESPONSE, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    assert_int_equal(ib_http_finish(&r.p), IB_HTTP_E_TRUNCATED);
    assert_int_equal(ib_http_feed(&r.p, (const uint8_t *)"x", 1, NULL), IB_HTTP_E_TRUNCATED);
    ib_http_parser_init(&r.p, IB_HTTP_REQUEST, NULL, NULL);
    assert_int_equal(ib_http_finish(&r.p), IB_HTTP_E_NO_MESSAGE);

    /* §9.3 persistence. */
    static const struct {
        const char *s;
        bool ka;
    } conn[] = {
        {"GET / HTTP/1.1\r\n\r\n", true},
        {"GET / HTTP/1.1\r\nConnection: Close\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nConnection: foo, close\r\n\r\n", false},
        {"GET / HTTP/1.0\r\n\r\n", false},
        {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
        {"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false},
    };
    for (size_t i = 0; i < sizeof(conn) / sizeof(conn[0]); i++) {
        feed_all(&r, IB_HTTP_REQUEST, conn[i].s);
        assert_true(ib_http_done(&r.p));
        assert_int_equal(r.p.msg.keep_alive, conn[i].ka);
    }
}

/* Each error, with the message that provokes it. */
static void test_errors(void **state)
{
    (void)state;
    static const struct {
        enum ib_http_kind kind;
        const char *s;
        int err;
    } t[] = {
        {IB_HTTP_REQUEST, "GET  / HTTP/1.1\r\n", IB_HTTP_E_START_LINE},
        {IB_HTTP_REQUEST, "GET / HTTP/1.1 \r\n", IB_HTTP_E_START_LINE},
        {IB_HTTP_REQUEST, "G(T / HTTP/1.1\r\n", IB_HTTP_E_START_LINE},
        {IB_HTTP_REQUEST, "GET /\r HTTP/1.1\r\n", IB_HTTP_E_START_LINE},
        {IB_HTTP_REQUEST, "GET / http/1.1\r\n", IB_HTTP_E_START_LINE},
        {IB_HTTP_REQUEST, "GET / HTTP/2.0\r\n", IB_HTTP_E_VERSION},
        {IB_HTTP_RESPONSE, "HTTP/1.1 20 OK\r\n", IB_HTTP_E_START_LINE},
        {IB_HTTP_RESPONSE, "HTTP/1.1 200\r\n", IB_HTTP_E_START_LINE},
        {IB_HTTP_RESPONSE, "HTTP/1.1 099 x\r\n", IB_HTTP_E_START_LINE},
        {IB_HTTP_RESPONSE, "HTTP/1.1 200 O\x01K\r\n", IB_HTTP_E_START_LINE},
        {IB_HTTP_RESPONSE, "HTTP/3.0 200 OK\r\n", IB_HTTP_E_VERSION},
        {IB_HTTP_REQUEST, "GET / HTTP/1.1\r\nHost : a\r\n", IB_HTTP_E_WS_BEFORE_COLON},
        {IB_HTTP_REQUEST, "GET / HTTP/1.1\r\nHost\t: a\r\n", IB_HTTP_E_WS_BEFORE_COLON},
        {IB_HTTP_REQUEST, "GET / HTTP/1.1\r\nA: b\r\n\tc\r\n", IB_HTTP_E_OBS_FOLD},
        {IB_HTTP_REQUEST, "GET / HTTP/1.1\r\n A: b\r\n", IB_HTTP_E_HEADER},
        {IB_HTTP_REQUEST, "GET / HTTP/1.1\r\nNoColon\r\n", IB_HTTP_E_HEADER},
        {IB_HTTP_REQUEST, "GET / HTTP/1.1\r\n: v\r\n", IB_HTTP_E_HEADER},
        {IB_HTTP_REQUEST, "GET / HTTP/1.1\r\nA b: v\r\n", IB_HTTP_E_HEADER},
        {IB_HTTP_REQUEST, "GET / HTTP/1.1\r\nA: b\rc\r\n", IB_HTTP_E_HEADER},
        {IB_HTTP_REQUEST, "GET / HTTP/1.1\r\nA: \x7f\r\n", IB_HTTP_E_HEADER},
        {IB_HTTP_REQUEST, "GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", IB_HTTP_E_CONTENT_LENGTH},
        {IB_HTTP_REQUEST, "GET / HTTP/1.1\r\nContent-Length:\r\n\r\n", IB_HTTP_E_CONTENT_LENGTH},
        {IB_HTTP_REQUEST, "GET / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n",
         IB_HTTP_E_CONTENT_LENGTH},
        {IB_HTTP_REQUEST, "GET / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
         IB_HTTP_E_CONTENT_LENGTH},
        {IB_HTTP_REQUEST, "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
         IB_HTTP_E_CL_MISMATCH},
        {IB_HTTP_RESPONSE, "HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\n",
         IB_HTTP_E_CL_MISMATCH},
        {IB_HTTP_REQUEST,
         "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
         IB_HTTP_E_TE_AND_CL},
        {IB_HTTP_RESPONSE,
         "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
         IB_HTTP_E_TE_AND_CL},
        {IB_HTTP_REQUEST, "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
         IB_HTTP_E_TRANSFER_ENCODING},
        {IB_HTTP_REQUEST, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
         IB_HTTP_E_TRANSFER_ENCODING},
        {IB_HTTP_REQUEST, "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
         IB_HTTP_E_TRANSFER_ENCODING},
        {IB_HTTP_REQUEST, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n;x\r\n",
         IB_HTTP_E_CHUNK},
        {IB_HTTP_REQUEST, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
         IB_HTTP_E_CHUNK},
        {IB_HTTP_REQUEST, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5x\r\n",
         IB_HTTP_E_CHUNK},
        {IB_HTTP_REQUEST, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
         IB_HTTP_E_CHUNK},
        {IB_HTTP_REQUEST, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\rc",
         IB_HTTP_E_CHUNK},
        {IB_HTTP_REQUEST,
         "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n",
         IB_HTTP_E_CHUNK},
        {IB_HTTP_REQUEST,
         "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad trailer\r\n",
         IB_HTTP_E_HEADER},
        {IB_HTTP_REQUEST,
         "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: b\r\n c\r\n",
         IB_HTTP_E_OBS_FOLD},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        struct run r;
        feed_all(&r, t[i].kind, t[i].s);
        if (r.err != t[i].err)
            fail_msg("case %zu: got %s, want %s", i, ib_http_err_str(r.err),
                     ib_http_err_str(t[i].err));
        /* Errors are sticky. */
        assert_int_equal(ib_http_feed(&r.p, (const uint8_t *)"\r\n", 2, NULL), t[i].err);
        assert_int_equal(ib_http_finish(&r.p), t[i].err);
    }
    assert_string_equal(ib_http_err_str(IB_HTTP_E_OBS_FOLD), "obsolete line folding");
}

/* Limits: exactly at the limit parses, one more byte or field fails with
 * its own error. */
static void test_limits(void **state)
{
    (void)state;
    struct run r;
    /* "GET /aaaa HTTP/1.1\r" is 19 bytes before the LF. */
    static const char req[] = "GET /aaaa HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n";
    feed_split(&r, IB_HTTP_REQUEST, false, "", 0, NULL, 0);
    r.p.max_line = 19;
    assert_int_equal(ib_http_feed(&r.p, (const uint8_t *)req, strlen(req), NULL), 0);
    assert_true(ib_http_done(&r.p));
    ib_http_parser_reset(&r.p);
    r.p.max_line = 18;
    assert_int_equal(ib_http_feed(&r.p, (const uint8_t *)req, strlen(req), NULL),
                     IB_HTTP_E_LINE_TOO_LONG);
    /* The chunk-size line with its extension counts too. */
    static const char ch[] = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "1;ext=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    ib_http_parser_init(&r.p, IB_HTTP_REQUEST, NULL, NULL);
    r.p.max_line = 40;
    assert_int_equal(ib_http_feed(&r.p, (const uint8_t *)ch, strlen(ch), NULL),
                     IB_HTTP_E_LINE_TOO_LONG);

    ib_http_parser_init(&r.p, IB_HTTP_REQUEST, NULL, NULL);
    r.p.max_headers = 2;
    assert_int_equal(ib_http_feed(&r.p, (const uint8_t *)req, strlen(req), NULL), 0);
    assert_int_equal(r.p.msg.nfields, 2);
    ib_http_parser_init(&r.p, IB_HTTP_REQUEST, NULL, NULL);
    r.p.max_headers = 1;
    assert_int_equal(ib_http_feed(&r.p, (const uint8_t *)req, strlen(req), NULL),
                     IB_HTTP_E_TOO_MANY_HEADERS);

    /* The whole header section including its CRLFs. */
    ib_http_parser_init(&r.p, IB_HTTP_REQUEST, NULL, NULL);
    r.p.max_hdr_bytes = strlen(req);
    assert_int_equal(ib_http_feed(&r.p, (const uint8_t *)req, strlen(req), NULL), 0);
    assert_true(ib_http_done(&r.p));
    ib_http_parser_init(&r.p, IB_HTTP_REQUEST, NULL, NULL);
    r.p.max_hdr_bytes = strlen(req) - 1;
    assert_int_equal(ib_http_feed(&r.p, (const uint8_t *)req, strlen(req), NULL),
                     IB_HTTP_E_HEADERS_TOO_BIG);

    /* Default limits: a field line over IB_HTTP_DEF_LINE, an endless stream
     * of empty lines, a flood of short fields. */
    static uint8_t big[IB_HTTP_BUF + 64];
    ib_http_parser_init(&r.p, IB_HTTP_REQUEST, NULL, NULL);
    memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
    memset(big + 19, 'a', sizeof(big) - 19);
    assert_int_equal(ib_http_feed(&r.p, big, sizeof(big), NULL), IB_HTTP_E_LINE_TOO_LONG);
    ib_http_parser_init(&r.p, IB_HTTP_REQUEST, NULL, NULL);
    for (size_t i = 0; i < sizeof(big); i += 2)
        memcpy(big + i, "\r\n", 2);
    assert_int_equal(ib_http_feed(&r.p, big, sizeof(big), NULL), IB_HTTP_E_HEADERS_TOO_BIG);
    ib_http_parser_init(&r.p, IB_HTTP_REQUEST, NULL, NULL);
    assert_int_equal(ib_http_feed(&r.p, (const uint8_t *)"GET / HTTP/1.1\r\n", 16, NULL), 0);
    int e = 0;
    for (size_t i = 0; i <= IB_HTTP_DEF_HEADERS && !e; i++)
        e = ib_http_feed(&r.p, (const uint8_t *)"A: b\r\n", 6, NULL);
    assert_int_equal(e, IB_HTTP_E_TOO_MANY_HEADERS);
    assert_int_equal(r.p.msg.nfields, IB_HTTP_DEF_HEADERS);
}

/* The writers, byte for byte, and parsed back. */
static void test_writers(void **state)
{
    (void)state;
    uint8_t b[512];
    struct ib_http_request_spec rq = {"GET", "/", "www.google.com", false};
    static const char want_rq[] =
        "GET / HTTP/1.1\r\nHost: www.google.com\r\nConnection: keep-alive\r\n\r\n";
    size_t n = ib_http_emit_request(&rq, b, sizeof(b));
    assert_int_equal(n, strlen(want_rq));
    assert_memory_equal(b, want_rq, n);
    assert_int_equal(ib_http_emit_request(&rq, b, n), n);
    assert_int_equal(ib_http_emit_request(&rq, b, n - 1), 0);
    rq.close = true;
    n = ib_http_emit_request(&rq, b, sizeof(b));
    assert_memory_equal(b, "GET / HTTP/1.1\r\nHost: www.google.com\r\nConnection: close\r\n\r\n",
                        n);

    struct ib_http_response_spec rs = {.status = 200, .content_type = "text/html"};
    static const char html[] = "<html>hi</html>\n";
    static const char want_cl[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                                  "Content-Length: 16\r\n\r\n<html>hi</html>\n";
    n = ib_http_emit_response(&rs, (const uint8_t *)html, 16, b, sizeof(b));
    assert_int_equal(n, strlen(want_cl));
    assert_memory_equal(b, want_cl, n);
    for (size_t cap = 0; cap < n; cap++)
        assert_int_equal(ib_http_emit_response(&rs, (const uint8_t *)html, 16, b, cap), 0);

    rs.chunked = true;
    rs.close = true;
    static const char want_ch[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                                  "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                                  "10\r\n<html>hi</html>\n\r\n0\r\n\r\n";
    n = ib_http_emit_response(&rs, (const uint8_t *)html, 16, b, sizeof(b));
    assert_int_equal(n, strlen(want_ch));
    assert_memory_equal(b, want_ch, n);
    for (size_t cap = 0; cap < n; cap++)
        assert_int_equal(ib_http_emit_response(&rs, (const uint8_t *)html, 16, b, cap), 0);
    struct run r;
    feed_split(&r, IB_HTTP_RESPONSE, false, (const char *)b, n, NULL, 0);
    assert_int_equal(r.err, 0);
    assert_true(ib_http_done(&r.p));
    assert_int_equal(r.used, n);
    assert_false(r.p.msg.keep_alive);
    assert_int_equal(r.body.n, 16);
    assert_memory_equal(r.body.b, html, 16);

    struct ib_http_response_spec nf = {.status = 404};
    static const char want_nf[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    n = ib_http_emit_response(&nf, NULL, 0, b, sizeof(b));
    assert_int_equal(n, strlen(want_nf));
    assert_memory_equal(b, want_nf, n);
    n = ib_http_emit_chunk(NULL, 0, b, sizeof(b));
    assert_memory_equal(b, "0\r\n\r\n", n);
    assert_string_equal(ib_http_reason(505), "HTTP Version Not Supported");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_exact), cmocka_unit_test(test_response_exact),
        cmocka_unit_test(test_chunked),       cmocka_unit_test(test_every_split),
        cmocka_unit_test(test_body_rules),    cmocka_unit_test(test_errors),
        cmocka_unit_test(test_limits),        cmocka_unit_test(test_writers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
