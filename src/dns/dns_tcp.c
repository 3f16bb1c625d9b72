/* DNS over TCP (RFC 7766), the asking side: one connection per query,
 * used by the stub and the recursive resolver when a UDP answer came back
 * truncated (RFC 7766 §5). Each message travels behind a two-byte length
 * (RFC 1035 §4.2.2, RFC 7766 §8); the stream reader here is also what the
 * recursive resolver's and the authoritative server's server sides read
 * their clients' queries with. */
#include <stdlib.h>

#include "dns/dns_client.h"

struct ib_dns_tcp {
    struct ib_tcp *c;
    ib_dns_tcp_fn fn;
    void *arg;
    bool done; /* fn was called */
    size_t out_len, out_off;
    struct ib_dns_tcp_rx rx;
    uint8_t out[];
};

/* Room for need bytes: doubling from 512 (most messages fit at once), to
 * at most a length field and the longest message. */
static bool rx_reserve(struct ib_dns_tcp_rx *rx, size_t need)
{
    if (need <= rx->cap) return true;
    size_t cap = rx->cap ? rx->cap : 512;
    while (cap < need)
        cap *= 2;
    if (cap > 2 + IB_DNS_TCP_MAX) cap = 2 + IB_DNS_TCP_MAX;
    uint8_t *b = realloc(rx->buf, cap);
    if (!b) return false;
    rx->buf = b;
    rx->cap = cap;
    return true;
}

int ib_dns_tcp_rx_next(struct ib_dns_tcp_rx *rx, struct ib_tcp *c, const uint8_t **msg, size_t *len)
{
    /* The message returned last time is consumed now. */
    if (rx->len >= 2 && rx->len == 2 + (size_t)ib_get16(rx->buf)) rx->len = 0;
    for (;;) {
        size_t need = rx->len < 2 ? 2 : 2 + (size_t)ib_get16(rx->buf);
        if (rx->len >= 2 && rx->len == need) {
            *msg = rx->buf + 2;
            *len = need - 2;
            return 1;
        }
        /* RFC 7766 §10: memory follows what the length field announces,
         * not a whole 64 KiB for every peer that sent a byte. */
        if (!rx_reserve(rx, need)) return IB_ERR_NOMEM;
        long n = ib_tcp_recv(c, rx->buf + rx->len, need - rx->len);
        if (n <= 0) return 0;
        rx->len += (size_t)n;
    }
}

void ib_dns_tcp_rx_free(struct ib_dns_tcp_rx *rx)
{
    free(rx->buf);
    memset(rx, 0, sizeof(*rx));
}

static void tq_finish(struct ib_dns_tcp *t, int err, const uint8_t *msg, size_t len)
{
    t->done = true;
    t->fn(t->arg, err, msg, len); /* may free t */
}

static void tq_flush(struct ib_dns_tcp *t)
{
    while (t->out_off < t->out_len) {
        long n = ib_tcp_send(t->c, t->out + t->out_off, t->out_len - t->out_off);
        if (n <= 0) return; /* the rest when there is room (writable) */
        t->out_off += (size_t)n;
    }
}

static void tq_writable(struct ib_tcp *c, void *arg)
{
    struct ib_dns_tcp *t = arg;
    if (!t->done) tq_flush(t);
}

static void tq_readable(struct ib_tcp *c, void *arg)
{
    struct ib_dns_tcp *t = arg;
    if (t->done) return;
    const uint8_t *msg;
    size_t len;
    int r = ib_dns_tcp_rx_next(&t->rx, c, &msg, &len);
    if (r == 1)
        tq_finish(t, 0, msg, len);
    else if (r < 0)
        tq_finish(t, r, NULL, 0);
    else if (ib_tcp_eof(c))
        tq_finish(t, IB_ERR_CLOSED, NULL, 0);
}

static void tq_error(struct ib_tcp *c, int err, void *arg)
{
    struct ib_dns_tcp *t = arg;
    if (!t->done) tq_finish(t, err, NULL, 0);
}

static const struct ib_tcp_ops tq_ops = {
    .writable = tq_writable,
    .readable = tq_readable,
    .error = tq_error,
};

struct ib_dns_tcp *ib_dns_tcp_query(struct ib_stack *s, ib_ip4 server, uint16_t port,
                                    const uint8_t *query, size_t len, ib_dns_tcp_fn fn, void *arg)
{
    if (len > IB_DNS_TCP_MAX) return NULL;
    struct ib_dns_tcp *t = calloc(1, sizeof(*t) + 2 + len);
    if (!t) return NULL;
    t->fn = fn;
    t->arg = arg;
    ib_put16(t->out, (uint16_t)len);
    memcpy(t->out + 2, query, len);
    t->out_len = 2 + len;
    t->c = ib_tcp_connect(s, server, port, &tq_ops, t, NULL);
    if (!t->c) {
        free(t);
        return NULL;
    }
    /* RFC 9293 §3.10.2: data sent in SYN-SENT is queued and goes out once
     * the connection is established. */
    tq_flush(t);
    return t;
}

void ib_dns_tcp_free(struct ib_dns_tcp *t)
{
    if (!t) return;
    /* Unread bytes make this an abort (tcp.h), which is what a client
     * that has its answer and wants no more should do anyway. */
    ib_tcp_close(t->c);
    ib_dns_tcp_rx_free(&t->rx);
    free(t);
}
