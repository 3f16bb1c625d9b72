/* The authoritative server on the network: one UDP endpoint (RFC 1035
 * §4.2.1; responses held to 512 bytes or the EDNS size, TC set beyond) and
 * one TCP listener (RFC 1035 §4.2.2: each message after a 2-byte length;
 * RFC 7766: several queries per connection, answered in order as they
 * come, partial reads and writes, an idle timeout). A connection buffers
 * one query and at most TCP_OUT_MAX bytes of responses beyond what TCP
 * took: past that it reads no more until the asker reads its answers. */
#include <stddef.h>
#include <stdlib.h>

#include "dns/dns_auth_int.h"
#include "dns/dns_client.h"

#define TCP_OUT_MAX 65536u
#define TCP_MAX_CONNS 256u /* RFC 7766 §6.2.2: servers may limit them */

struct dns_tconn {
    struct dns_tconn *next, **pprev;
    struct ib_dns_auth *a;
    struct ib_tcp *c;
    ib_ip4 peer;
    struct ib_timer idle;
    struct ib_dns_tcp_rx rx;
    uint8_t *out; /* responses TCP has not taken yet: [out_off, out_len) */
    size_t out_off, out_len, out_cap;
};

/* An IB_EV_DNS event about the message msg exchanged with peer. */
static void dns_event(struct ib_dns_auth *a, uint8_t what, const struct ib_dns_auth_info *info,
                      ib_ip4 peer, bool tcp, const uint8_t *msg, size_t len, uint32_t journey)
{
    struct ib_env *env = a->s->node.env;
    struct ib_event ev;
    ib_event_init(&ev, env, IB_EV_DNS, 7, &a->s->node, NULL, NULL);
    ev.data = msg;
    ev.len = (uint32_t)len;
    ev.journey = journey;
    ev.u.dns.what = what;
    ev.u.dns.tcp = tcp;
    ev.u.dns.rd = info->rd;
    ev.u.dns.id = info->id;
    ev.u.dns.qtype = info->qtype;
    ev.u.dns.qname = info->qname;
    ev.u.dns.server = peer;
    if (what == IB_DNS_RESPONSE_TX) {
        ev.u.dns.kind = info->kind;
        ev.u.dns.rcode = info->rcode;
        ev.u.dns.aa = info->aa;
        ev.u.dns.addr = info->addr;
        ev.u.dns.ttl = info->ttl;
        if (info->kind == IB_DNS_KIND_REFERRAL) {
            ev.u.dns.zone = info->zone;
            ev.u.dns.ns = info->ns;
        }
    }
    ib_emit(env, &ev);
}

static void trace_query(struct ib_dns_auth *a, const struct ib_dns_auth_info *info, ib_ip4 peer,
                        bool tcp, const uint8_t *msg, size_t len, uint32_t journey)
{
    if (info->query && ib_tracing(a->s->node.env))
        dns_event(a, IB_DNS_QUERY_RX, info, peer, tcp, msg, len, journey);
}

/* Counts and traces a response on its way out. */
static void responded(struct ib_dns_auth *a, const struct ib_dns_auth_info *info, ib_ip4 peer,
                      bool tcp, const uint8_t *msg, size_t len, uint32_t journey)
{
    a->stats.responses++;
    a->stats.truncated += info->tc;
    if (ib_tracing(a->s->node.env))
        dns_event(a, IB_DNS_RESPONSE_TX, info, peer, tcp, msg, len, journey);
}

static void udp_recv(struct ib_udp_pcb *u, ib_ip4 src, uint16_t sport, struct ib_pkt *p)
{
    struct ib_dns_auth *a = u->arg;
    struct ib_node *node = &a->s->node;
    struct ib_pkt *rp = ib_pkt_alloc(node->env->pool, IB_PKT_HEADROOM, IB_DNS_EDNS_SIZE);
    if (!rp) {
        ib_drop(node, NULL, p, IB_DROP_NOMEM);
        return;
    }
    struct ib_dns_auth_info info;
    size_t n = ib_dns_auth_respond(a, p->data, p->len, rp->data, IB_DNS_EDNS_SIZE, true, &info);
    a->stats.udp_queries += info.query;
    trace_query(a, &info, src, false, p->data, p->len, p->journey);
    if (!n) {
        ib_pkt_free(rp);
        ib_drop(node, NULL, p, info.drop);
        return;
    }
    ib_pkt_free(p);
    ib_pkt_trim(rp, n);
    rp->journey = ib_journey_new(node->env);
    responded(a, &info, src, false, rp->data, rp->len, rp->journey);
    ib_udp_sendto(&a->udp, rp, src, sport, 0);
}

static struct dns_tconn *conn_of_timer(struct ib_timer *tm)
{
    return (struct dns_tconn *)((char *)tm - offsetof(struct dns_tconn, idle));
}

static void conn_close(struct dns_tconn *t)
{
    struct ib_dns_auth *a = t->a;
    *t->pprev = t->next;
    if (t->next) t->next->pprev = t->pprev;
    a->nconns--;
    ib_evq_forget(a->s->node.env->q, &t->idle);
    /* Unread bytes make this a reset (RFC 2525 §2.17): fine for an asker
     * that went quiet in the middle of a message. */
    ib_tcp_close(t->c);
    ib_dns_tcp_rx_free(&t->rx);
    free(t->out);
    free(t);
}

static void conn_touch(struct dns_tconn *t)
{
    struct ib_env *env = t->a->s->node.env;
    ib_timer_arm(env, &t->idle, ib_now(env) + IB_DNS_TCP_IDLE);
}

/* RFC 7766 §6.2.3: a connection without queries is closed after a while. */
static void conn_idle(struct ib_timer *tm)
{
    struct dns_tconn *t = conn_of_timer(tm);
    t->a->stats.tcp_idle_closed++;
    conn_close(t);
}

static bool reserve(uint8_t **b, size_t *cap, size_t need)
{
    if (need <= *cap) return true;
    size_t c = *cap ? *cap : 512;
    while (c < need)
        c *= 2;
    uint8_t *nb = realloc(*b, c);
    if (!nb) return false;
    *b = nb;
    *cap = c;
    return true;
}

/* Answers the message q; the response (length field first) joins those
 * waiting for TCP. Returns false if out of memory. */
static bool conn_query(struct dns_tconn *t, const uint8_t *q, size_t len)
{
    struct ib_dns_auth *a = t->a;
    struct ib_node *node = &a->s->node;
    struct ib_dns_auth_info info;
    size_t n = ib_dns_auth_respond(a, q, len, a->wire + 2, IB_DNS_TCP_MAX, false, &info);
    a->stats.tcp_queries += info.query;
    trace_query(a, &info, t->peer, true, q, len, 0);
    if (!n) {
        ib_drop(node, NULL, ib_pkt_from(node->env->pool, q, len), info.drop);
        return true;
    }
    if (t->out_off == t->out_len) t->out_off = t->out_len = 0;
    if (t->out_off > 0) {
        memmove(t->out, t->out + t->out_off, t->out_len - t->out_off);
        t->out_len -= t->out_off;
        t->out_off = 0;
    }
    if (!reserve(&t->out, &t->out_cap, t->out_len + 2 + n)) return false;
    ib_put16(a->wire, (uint16_t)n);
    memcpy(t->out + t->out_len, a->wire, 2 + n);
    t->out_len += 2 + n;
    responded(a, &info, t->peer, true, a->wire + 2, n, 0);
    conn_touch(t);
    return true;
}

static void conn_flush(struct dns_tconn *t)
{
    while (t->out_off < t->out_len) {
        long r = ib_tcp_send(t->c, t->out + t->out_off, t->out_len - t->out_off);
        if (r <= 0) break;
        t->out_off += (size_t)r;
        conn_touch(t);
    }
}

/* Reads messages and answers them while the responses waiting for TCP
 * stay under TCP_OUT_MAX; closes once the asker closed and has all its
 * answers (RFC 7766 §6.2.4: the client closes; the server follows). */
static void conn_service(struct dns_tconn *t)
{
    bool ok = true;
    const uint8_t *q;
    size_t len;
    int got = 0;
    conn_flush(t);
    while (ok && t->out_len - t->out_off < TCP_OUT_MAX &&
           (got = ib_dns_tcp_rx_next(&t->rx, t->c, &q, &len)) == 1)
        ok = conn_query(t, q, len);
    conn_flush(t);
    if (!ok || got < 0 || (ib_tcp_eof(t->c) && t->out_off == t->out_len)) conn_close(t);
}

static void tcp_readable(struct ib_tcp *c, void *arg)
{
    conn_service(arg);
}

static void tcp_writable(struct ib_tcp *c, void *arg)
{
    conn_service(arg);
}

static void tcp_error(struct ib_tcp *c, int err, void *arg)
{
    conn_close(arg);
}

static const struct ib_tcp_ops conn_ops = {
    .readable = tcp_readable,
    .writable = tcp_writable,
    .error = tcp_error,
};

static void tcp_accepted(struct ib_tcp *l, struct ib_tcp *c, void *arg)
{
    struct ib_dns_auth *a = arg;
    struct dns_tconn *t = a->nconns < TCP_MAX_CONNS ? calloc(1, sizeof(*t)) : NULL;
    if (!t) {
        ib_tcp_close(c);
        return;
    }
    t->a = a;
    t->c = c;
    ib_tcp_endpoints(c, NULL, NULL, &t->peer, NULL);
    t->next = a->conns;
    t->pprev = &a->conns;
    if (a->conns) a->conns->pprev = &t->next;
    a->conns = t;
    a->nconns++;
    a->stats.tcp_conns++;
    ib_timer_init(&t->idle, conn_idle);
    conn_touch(t);
    ib_tcp_set_ops(c, &conn_ops, t);
}

static const struct ib_tcp_ops listen_ops = {.accepted = tcp_accepted};

struct ib_dns_auth *ib_dns_auth_start(struct ib_stack *s, uint16_t port)
{
    struct ib_dns_auth *a = ib_dns_auth_new();
    if (!a) return NULL;
    a->s = s;
    a->udp.recv = udp_recv;
    a->udp.arg = a;
    a->wire = malloc(2 + IB_DNS_TCP_MAX);
    if (!a->wire || ib_udp_bind(s, &a->udp, IB_IP4_ANY, port) != 0 ||
        !(a->listener = ib_tcp_listen(s, IB_IP4_ANY, port, &listen_ops, a, NULL))) {
        ib_dns_auth_stop(a);
        return NULL;
    }
    return a;
}

void ib_dns_auth_stop(struct ib_dns_auth *a)
{
    if (!a) return;
    if (a->s) {
        ib_udp_close(&a->udp);
        if (a->listener) ib_tcp_close(a->listener);
        while (a->conns)
            conn_close(a->conns);
    }
    for (size_t i = 0; i < a->nzones; i++)
        ib_dns_zone_free(a->zones[i]);
    free(a->zones);
    free(a->wire);
    free(a->m);
    free(a);
}
