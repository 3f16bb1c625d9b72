/* TCP echo (RFC 862 "TCP Based Echo Service") and discard (RFC 863 "TCP
 * Based Discard Service"): one service shape, which either sends back what
 * it reads or drops it.
 *
 * Echo is written so that flow control holds end to end: a connection
 * reads one piece (ECHO_CHUNK bytes at most) and reads nothing more until
 * TCP has taken all of it, so when the client does not read its echo, our
 * send buffer fills, we stop reading, our receive window closes, and the
 * client's sends stop (RFC 9293 §3.8.6). Nothing is lost and nothing
 * piles up beyond one piece. RFC 862: "This continues until the calling
 * user terminates the connection": once the client's FIN is read and all
 * before it echoed, the server closes its side too. */
#include <stdlib.h>

#include "inetbox/apps.h"
#include "inetbox/echo.h"

#define ECHO_CHUNK 16384u

struct conn {
    struct ib_tcp_echo *svc;
    struct conn *prev, *next;
    struct ib_tcp *tcp;
    ib_ip4 peer;
    uint16_t peer_port;
    ib_time since;
    uint64_t bytes;  /* received on this connection */
    size_t off, len; /* buf[off, len) waits for TCP to take it */
    uint8_t buf[ECHO_CHUNK];
};

struct ib_tcp_echo {
    struct ib_stack *stack;
    struct ib_tcp *listener;
    bool discard;
    const char *ev_accept, *ev_close, *ev_abort;
    struct conn *conns;
    struct ib_echo_stats stats;
};

/* The discard service is the echo service that sends nothing back; the
 * type of its own keeps the two apart in the API. */
struct ib_tcp_discard {
    struct ib_tcp_echo svc;
};

static void conn_end(struct conn *k, const char *what)
{
    struct ib_tcp_echo *e = k->svc;
    ib_time lasted = ib_now(e->stack->node.env) - k->since;
    uint32_t bytes = k->bytes < UINT32_MAX ? (uint32_t)k->bytes : UINT32_MAX;
    ib_app_emit(e->stack, what, k->peer, k->peer_port, bytes, lasted);
    ib_tcp_close(k->tcp);
    if (k->prev)
        k->prev->next = k->next;
    else
        e->conns = k->next;
    if (k->next) k->next->prev = k->prev;
    e->stats.active--;
    free(k);
}

/* Echoes (or drops) as far as TCP lets us; returns when the connection
 * waits for data or for send space, or has ended. */
static void conn_run(struct conn *k)
{
    struct ib_tcp_echo *e = k->svc;
    for (;;) {
        while (k->off < k->len) {
            long n = ib_tcp_send(k->tcp, k->buf + k->off, k->len - k->off);
            if (n < 0) {
                conn_end(k, e->ev_abort);
                return;
            }
            /* Full: read nothing more until the writable callback, so
             * the client's window closes instead of our memory growing. */
            if (n == 0) return;
            k->off += (size_t)n;
            e->stats.bytes_out += (uint64_t)n;
        }
        long n = ib_tcp_recv(k->tcp, k->buf, sizeof(k->buf));
        if (n < 0) {
            conn_end(k, e->ev_abort);
            return;
        }
        if (n == 0) {
            /* The client's FIN with everything before it echoed: our FIN
             * follows the echo TCP still holds (RFC 9293 §3.6). */
            if (ib_tcp_eof(k->tcp)) conn_end(k, e->ev_close);
            return;
        }
        k->bytes += (uint64_t)n;
        e->stats.bytes_in += (uint64_t)n;
        k->off = 0;
        k->len = e->discard ? 0 : (size_t)n;
    }
}

static void conn_event(struct ib_tcp *c, void *arg)
{
    conn_run(arg);
}

static void conn_error(struct ib_tcp *c, int err, void *arg)
{
    struct conn *k = arg;
    conn_end(k, k->svc->ev_abort);
}

static const struct ib_tcp_ops conn_ops = {
    .readable = conn_event,
    .writable = conn_event,
    .error = conn_error,
};

static void svc_accepted(struct ib_tcp *l, struct ib_tcp *c, void *arg)
{
    struct ib_tcp_echo *e = arg;
    struct conn *k = calloc(1, sizeof(*k));
    if (!k) {
        ib_tcp_abort(c);
        return;
    }
    k->svc = e;
    k->tcp = c;
    k->since = ib_now(e->stack->node.env);
    ib_tcp_endpoints(c, NULL, NULL, &k->peer, &k->peer_port);
    k->next = e->conns;
    if (e->conns) e->conns->prev = k;
    e->conns = k;
    e->stats.connections++;
    e->stats.active++;
    ib_tcp_set_ops(c, &conn_ops, k);
    ib_app_emit(e->stack, e->ev_accept, k->peer, k->peer_port, 0, 0);
}

static const struct ib_tcp_ops listen_ops = {
    .accepted = svc_accepted,
};

static bool svc_start(struct ib_tcp_echo *e, struct ib_stack *s, uint16_t port, bool discard)
{
    e->stack = s;
    e->discard = discard;
    e->ev_accept = discard ? "discard-accept" : "echo-accept";
    e->ev_close = discard ? "discard-close" : "echo-close";
    e->ev_abort = discard ? "discard-abort" : "echo-abort";
    e->listener = ib_tcp_listen(s, IB_IP4_ANY, port, &listen_ops, e, NULL);
    return e->listener != NULL;
}

static void svc_stop(struct ib_tcp_echo *e)
{
    ib_tcp_close(e->listener);
    while (e->conns) {
        struct conn *k = e->conns;
        /* What TCP has not delivered to us would turn the close into a
         * reset (RFC 2525 §2.17): it is read and dropped, for a FIN. */
        while (ib_tcp_recv(k->tcp, k->buf, sizeof(k->buf)) > 0)
            continue;
        conn_end(k, e->ev_close);
    }
}

struct ib_tcp_echo *ib_tcp_echo_start(struct ib_stack *s, uint16_t port)
{
    struct ib_tcp_echo *e = calloc(1, sizeof(*e));
    if (e && !svc_start(e, s, port, false)) {
        free(e);
        return NULL;
    }
    return e;
}

void ib_tcp_echo_stop(struct ib_tcp_echo *e)
{
    if (!e) return;
    svc_stop(e);
    free(e);
}

void ib_tcp_echo_stats(const struct ib_tcp_echo *e, struct ib_echo_stats *out)
{
    *out = e->stats;
}

struct ib_tcp_discard *ib_tcp_discard_start(struct ib_stack *s, uint16_t port)
{
    struct ib_tcp_discard *d = calloc(1, sizeof(*d));
    if (d && !svc_start(&d->svc, s, port, true)) {
        free(d);
        return NULL;
    }
    return d;
}

void ib_tcp_discard_stop(struct ib_tcp_discard *d)
{
    if (!d) return;
    svc_stop(&d->svc);
    free(d);
}

void ib_tcp_discard_stats(const struct ib_tcp_discard *d, struct ib_echo_stats *out)
{
    *out = d->svc.stats;
}
