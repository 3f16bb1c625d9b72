/* libFuzzer harness for the HTTP/1.1 message parser. Input: one control
 * byte (bit 0: response, bit 1: response to HEAD) and the message bytes.
 * Oracles: feeding the bytes at once and one at a time gives the same
 * outcome; a complete message, written back out (start line, its fields,
 * the body framed the same way) and parsed again, gives the same message.
 * Seeds: corpus/http/. */
#include <stdio.h>
#include <stdlib.h>

#include "inetbox/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sink {
    uint8_t *b;
    size_t n, cap;
};

static void on_body(void *ctx, const uint8_t *b, size_t n)
{
    struct sink *s = ctx;
    if (n > s->cap - s->n) abort(); /* more body than input */
    memcpy(s->b + s->n, b, n);
    s->n += n;
}

struct outcome {
    struct ib_http_parser p;
    struct sink body;
    int err;
    size_t used;
};

static void run(struct outcome *o, uint8_t ctl, const uint8_t *b, size_t len, size_t step)
{
    o->body.n = 0;
    ib_http_parser_init(&o->p, ctl & 1 ? IB_HTTP_RESPONSE : IB_HTTP_REQUEST, on_body, &o->body);
    o->p.head_request = (ctl & 3) == 3;
    o->used = 0;
    o->err = 0;
    for (size_t i = 0; i < len && !o->err && !ib_http_done(&o->p); i += step) {
        size_t n = len - i < step ? len - i : step, u = 0;
        o->err = ib_http_feed(&o->p, b + i, n, &u);
        o->used += u;
        if (u > n) abort();
    }
    if (!o->err && !ib_http_done(&o->p)) o->err = ib_http_finish(&o->p);
}

static bool str_eq(struct ib_http_str a, struct ib_http_str b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static bool same_msg(const struct outcome *a, const struct outcome *b)
{
    const struct ib_http_msg *x = &a->p.msg, *y = &b->p.msg;
    if (a->err != b->err || ib_http_done(&a->p) != ib_http_done(&b->p)) return false;
    if (!str_eq(x->method, y->method) || !str_eq(x->target, y->target) ||
        !str_eq(x->reason, y->reason) || x->status != y->status || x->major != y->major ||
        x->minor != y->minor || x->nfields != y->nfields || x->framing != y->framing ||
        x->keep_alive != y->keep_alive || a->body.n != b->body.n || x->body_len != a->body.n)
        return false;
    for (size_t i = 0; i < x->nfields; i++)
        if (!str_eq(x->field[i].name, y->field[i].name) ||
            !str_eq(x->field[i].value, y->field[i].value))
            return false;
    return a->body.n == 0 || memcmp(a->body.b, b->body.b, a->body.n) == 0;
}

static void put(uint8_t *w, size_t *n, const void *s, size_t len)
{
    memcpy(w + *n, s, len);
    *n += len;
}

/* The message again, framed as it was parsed. Every written byte comes
 * from the input or is framing of bounded size, so 2 * size + 64 is room. */
static size_t rewrite(const struct outcome *o, uint8_t *w)
{
    const struct ib_http_msg *m = &o->p.msg;
    char line[32];
    size_t n = 0;
    if (o->p.kind == IB_HTTP_REQUEST) {
        put(w, &n, m->method.p, m->method.n);
        put(w, &n, " ", 1);
        put(w, &n, m->target.p, m->target.n);
        n += (size_t)snprintf((char *)w + n, 16, " HTTP/%u.%u\r\n", m->major, m->minor);
    } else {
        n += (size_t)snprintf((char *)w + n, 24, "HTTP/%u.%u %03u ", m->major, m->minor, m->status);
        put(w, &n, m->reason.p, m->reason.n);
        put(w, &n, "\r\n", 2);
    }
    for (size_t i = 0; i < m->nfields; i++) {
        put(w, &n, m->field[i].name.p, m->field[i].name.n);
        put(w, &n, ": ", 2);
        put(w, &n, m->field[i].value.p, m->field[i].value.n);
        put(w, &n, "\r\n", 2);
    }
    put(w, &n, "\r\n", 2);
    if (m->framing == IB_HTTP_BODY_CHUNKED) {
        if (o->body.n) {
            int k = snprintf(line, sizeof(line), "%zx\r\n", o->body.n);
            put(w, &n, line, (size_t)k);
            put(w, &n, o->body.b, o->body.n);
            put(w, &n, "\r\n", 2);
        }
        put(w, &n, "0\r\n\r\n", 5);
    } else if (m->framing != IB_HTTP_BODY_NONE) {
        put(w, &n, o->body.b, o->body.n);
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    uint8_t ctl = data[0];
    size_t len = size - 1;
    /* An exactly-sized copy so that ASan sees any read past the end. */
    uint8_t *in = malloc(len ? len : 1);
    uint8_t *w = malloc(2 * size + 64);
    struct outcome *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    uint8_t *ba = malloc(size), *bb = malloc(2 * size + 64);
    if (!in || !w || !a || !b || !ba || !bb) abort();
    memcpy(in, data + 1, len);
    a->body = (struct sink){ba, 0, size};
    b->body = (struct sink){bb, 0, 2 * size + 64};

    run(a, ctl, in, len, len ? len : 1);
    run(b, ctl, in, len, 1);
    if (!same_msg(a, b) || a->used != b->used || a->used > len) abort();

    if (!a->err && ib_http_done(&a->p)) {
        size_t n = rewrite(a, w);
        if (n > 2 * size + 64) abort();
        run(b, ctl, w, n, n ? n : 1);
        if (!same_msg(a, b) || b->used != n) abort();
    }
    free(in);
    free(w);
    free(a);
    free(b);
    free(ba);
    free(bb);
    return 0;
}
