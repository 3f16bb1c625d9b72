/* The recursive resolver's server side: it takes clients' queries over UDP
 * (RFC 1035 §4.2.1) and TCP (RFC 7766: each message behind a two-byte
 * length, several per connection, answered as they are ready), answers
 * from the cache when it can and hands the rest to dns_resolver.c; the
 * answers carry RA (RFC 1035 §4.1.1), the CNAME chain and the records, or
 * the SOA of a negative answer (RFC 2308 §3). Over UDP an answer is cut
 * to 512 bytes with TC set, and the client asks again over TCP. */
#include <stdlib.h>

#include "dns/dns_resolver_int.h"

/* RFC 7766 §6.2.3: a server closes connections left idle for a while;
 * "several seconds". */
#define CONN_IDLE IB_SEC(10)

const struct ib_dns_resolver_config ib_dns_resolver_defaults = {
    .port = IB_DNS_PORT,
    .cache_max = 10000,
    .timeout = IB_MS(800),
    .retries = 3,
    .max_queries = 32,
    .neg_ttl_max = 3 * 3600,
};

/* A client's TCP connection. It lives while TCP holds it or answers are
 * still owed to it (those are then dropped). */
struct res_conn {
    struct res_conn *next;
    struct ib_dns_resolver *r;
    struct ib_tcp *c; /* NULL once closed */
    struct ib_dns_tcp_rx rx;
    uint8_t *out; /* what TCP had no room for yet, at most RES_CONN_OUT_MAX */
    size_t out_len, out_cap;
    uint32_t pending; /* queries not answered yet */
    bool eof;
    bool reading; /* in conn_read */
    struct ib_timer idle;
};

static bool same_rrset(const struct ib_dns_rr *a, const struct ib_dns_rr *b)
{
    return a->type == b->type && a->cls == b->cls && ib_dns_name_eq(a->name, b->name);
}

bool res_answer_add(struct res_answer *a, const struct ib_dns_rr *r, uint32_t ttl)
{
    if (a->n >= IB_DNS_MAX_RR) return false;
    /* RFC 2181 §8: a TTL with its top bit set is 0; §5.2: the records of
     * one set share one TTL, the smallest. */
    ttl = ib_dns_ttl_clamp(ttl);
    for (uint16_t i = 0; i < a->n; i++)
        if (same_rrset(&a->rr[i], r) && a->rr[i].ttl < ttl) ttl = a->rr[i].ttl;
    for (uint16_t i = 0; i < a->n; i++)
        if (same_rrset(&a->rr[i], r)) a->rr[i].ttl = ttl;
    if (a->n == a->cap) {
        uint16_t cap = a->cap ? (uint16_t)(a->cap * 2) : 4;
        if (cap > IB_DNS_MAX_RR) cap = IB_DNS_MAX_RR;
        struct ib_dns_rr *rr = realloc(a->rr, cap * sizeof(*rr));
        if (!rr) return false;
        a->rr = rr;
        a->cap = cap;
    }
    a->rr[a->n] = *r;
    a->rr[a->n++].ttl = ttl;
    return true;
}

void res_answer_free(struct res_answer *a)
{
    free(a->rr);
    memset(a, 0, sizeof(*a));
}

static void answer_reset(struct res_answer *a)
{
    a->n = a->n_chain = 0;
    a->has_soa = false;
    a->rcode = IB_DNS_R_NOERROR;
}

uint8_t res_answer_kind(const struct res_answer *a, ib_ip4 *addr, uint32_t *ttl)
{
    *addr = 0;
    *ttl = a->has_soa ? a->soa.ttl : 0;
    if (a->rcode == IB_DNS_R_NXDOMAIN) return IB_DNS_KIND_NXDOMAIN;
    if (a->rcode != IB_DNS_R_NOERROR) return IB_DNS_KIND_ERROR;
    if (a->n == a->n_chain) return IB_DNS_KIND_NODATA;
    *ttl = a->rr[a->n_chain].ttl;
    for (uint16_t i = a->n_chain; i < a->n; i++) {
        if (a->rr[i].type == IB_DNS_T_A) {
            *addr = a->rr[i].rd.a;
            break;
        }
    }
    return IB_DNS_KIND_ANSWER;
}

/* Starts an event about client c's query or its answer. */
static bool client_event(struct ib_dns_resolver *r, struct ib_event *ev, uint8_t what,
                         const struct res_client *c, const uint8_t *data, size_t len,
                         uint32_t journey)
{
    if (!ib_dns_event(r->s, ev, what, data, len, journey)) return false;
    ev->u.dns.server = c->addr;
    ev->u.dns.qname = c->qname;
    ev->u.dns.qtype = c->qtype;
    ev->u.dns.id = c->id;
    ev->u.dns.rd = c->rd;
    ev->u.dns.tcp = c->conn != NULL;
    return true;
}

static void conn_service(struct res_conn *k);
static void conn_write(struct res_conn *k, const uint8_t *b, size_t len);

void res_respond(struct ib_dns_resolver *r, struct res_client *c, const struct res_answer *a)
{
    struct ib_env *env = r->s->node.env;
    struct ib_dns_msg *m = r->out;
    uint8_t rcode = a ? a->rcode : IB_DNS_R_SERVFAIL;
    /* RFC 1035 §4.1.1: the id and question of the query, QR, RD copied,
     * and RA: recursion is available here. */
    m->id = c->id;
    m->qr = m->ra = true;
    m->aa = m->tc = false;
    m->rd = c->rd;
    m->opcode = m->z = 0;
    m->rcode = rcode;
    m->qdcount = c->qtype ? 1 : 0;
    ib_dns_name_copy(m->qd[0].name, c->qname);
    m->qd[0].type = c->qtype;
    m->qd[0].cls = c->qclass;
    m->ancount = m->nscount = m->arcount = 0;
    if (a && (rcode == IB_DNS_R_NOERROR || rcode == IB_DNS_R_NXDOMAIN)) {
        for (uint16_t i = 0; i < a->n; i++)
            m->an[i] = a->rr[i];
        m->ancount = a->n;
        if (a->has_soa) {
            m->ns[0] = a->soa;
            m->nscount = 1;
        }
    }
    uint8_t *b = r->wbuf;
    size_t cap = c->conn ? IB_DNS_TCP_MAX : IB_DNS_UDP_MAX;
    size_t len = ib_dns_emit(m, b + 2, cap);
    if (len == 0) {
        m->rcode = rcode = IB_DNS_R_SERVFAIL;
        m->ancount = m->nscount = 0;
        len = ib_dns_emit(m, b + 2, cap);
    }
    struct ib_pkt *p = NULL;
    if (!c->conn && len) p = ib_pkt_from(env->pool, b + 2, len);
    uint32_t journey = p ? (p->journey = ib_journey_new(env)) : 0;
    struct ib_event ev;
    if (client_event(r, &ev, IB_DNS_RESPONSE_TX, c, b + 2, len, journey)) {
        struct res_answer none = {.rcode = rcode};
        ev.u.dns.kind =
            res_answer_kind(a && rcode == a->rcode ? a : &none, &ev.u.dns.addr, &ev.u.dns.ttl);
        ev.u.dns.rcode = rcode;
        ib_emit(env, &ev);
    }
    if (p) ib_udp_sendto(&r->udp, p, c->addr, c->port, 0);
    struct res_conn *k = c->conn;
    free(c);
    if (k) {
        if (len && k->c) {
            ib_put16(b, (uint16_t)len);
            conn_write(k, b, len + 2);
        }
        k->pending--;
        conn_service(k);
    }
}

/* A client's query: checked (RFC 1035 §4.1.1), then answered from the
 * cache (RFC 1034 §5.3.3 step 1) or resolved. Takes c. */
static void client_query(struct ib_dns_resolver *r, struct res_client *c,
                         const struct ib_dns_msg *m)
{
    struct ib_env *env = r->s->node.env;
    struct res_answer *a = &r->hit;
    answer_reset(a);
    /* RFC 1035 §4.1.1: only standard queries, of one question, for the
     * Internet class, are served. */
    if (m->opcode != 0 || m->qdcount != 1 || m->qd[0].cls != IB_DNS_C_IN) {
        a->rcode = m->opcode == 0 && m->qdcount != 1 ? IB_DNS_R_FORMERR : IB_DNS_R_NOTIMP;
        res_respond(r, c, a);
        return;
    }
    char name[IB_DNS_NAME_SIZE];
    ib_dns_name_copy(name, c->qname);
    if (res_cache_walk(r, a, name, c->qtype)) {
        r->stats.cache_hits++;
        struct ib_event ev;
        if (client_event(r, &ev, IB_DNS_CACHE_HIT, c, NULL, 0, c->journey)) {
            ev.u.dns.kind = res_answer_kind(a, &ev.u.dns.addr, &ev.u.dns.ttl);
            ev.u.dns.rcode = a->rcode;
            ib_emit(env, &ev);
        }
        res_respond(r, c, a);
        return;
    }
    /* RFC 1034 §4.3.1: without RD a server answers from what it has, and
     * we have nothing for it. */
    if (!c->rd) {
        answer_reset(a);
        a->rcode = IB_DNS_R_REFUSED;
        res_respond(r, c, a);
        return;
    }
    if (!res_resolve(r, c)) {
        r->stats.turned_away++;
        res_respond(r, c, NULL);
    }
}

/* A message from a client (conn NULL: over UDP). Returns 0, or a drop
 * reason for the caller to count. */
static int client_message(struct ib_dns_resolver *r, const uint8_t *data, size_t len,
                          uint32_t journey, ib_ip4 src, uint16_t sport, struct res_conn *conn)
{
    struct ib_dns_msg *m = r->msg;
    if (ib_dns_parse(data, len, m) != IB_DNS_OK) return IB_DROP_DNS_MALFORMED;
    if (m->qr) return IB_DROP_DNS_UNEXPECTED;
    struct res_client *c = calloc(1, sizeof(*c));
    if (!c) return IB_DROP_NOMEM;
    c->addr = src;
    c->port = sport;
    c->id = m->id;
    c->rd = m->rd;
    c->conn = conn;
    c->journey = journey;
    if (m->qdcount >= 1) {
        ib_dns_name_copy(c->qname, m->qd[0].name);
        c->qtype = m->qd[0].type;
        c->qclass = m->qd[0].cls;
    }
    if (conn) conn->pending++;
    r->stats.client_queries++;
    struct ib_event ev;
    if (client_event(r, &ev, IB_DNS_QUERY_RX, c, data, len, journey)) ib_emit(r->s->node.env, &ev);
    client_query(r, c, m);
    return 0;
}

static void udp_recv(struct ib_udp_pcb *u, ib_ip4 src, uint16_t sport, struct ib_pkt *p)
{
    struct ib_dns_resolver *r = u->arg;
    int drop = client_message(r, p->data, p->len, p->journey, src, sport, NULL);
    if (drop)
        ib_drop(&r->s->node, NULL, p, drop);
    else
        ib_pkt_free(p);
}

static void conn_free(struct res_conn *k)
{
    struct ib_dns_resolver *r = k->r;
    for (struct res_conn **pp = &r->conns; *pp; pp = &(*pp)->next) {
        if (*pp == k) {
            *pp = k->next;
            break;
        }
    }
    r->n_conns--;
    ib_evq_forget(r->s->node.env->q, &k->idle);
    ib_dns_tcp_rx_free(&k->rx);
    free(k->out);
    free(k);
}

static void conn_close(struct res_conn *k)
{
    if (k->c) {
        ib_tcp_close(k->c);
        k->c = NULL;
    }
}

/* After anything changed: close once the client closed and has all its
 * answers, free once closed and owed nothing. RFC 7766 §6.2.3: the idle
 * timer runs while nothing is owed, from the last whole query or answer
 * (those cancel it); bytes of a query not yet whole do not restart it. */
static void conn_settle(struct res_conn *k)
{
    struct ib_env *env = k->r->s->node.env;
    if (k->c && k->eof && k->pending == 0 && k->out_len == 0) conn_close(k);
    if (!k->c && k->pending == 0) {
        conn_free(k);
        return;
    }
    if (k->c && k->pending == 0) {
        if (!ib_timer_armed(&k->idle)) ib_timer_arm(env, &k->idle, ib_now(env) + CONN_IDLE);
    } else {
        ib_timer_cancel(&k->idle);
    }
}

static void conn_flush(struct res_conn *k)
{
    size_t off = 0;
    while (k->c && off < k->out_len) {
        long n = ib_tcp_send(k->c, k->out + off, k->out_len - off);
        if (n <= 0) break;
        off += (size_t)n;
    }
    if (off == 0) return;
    memmove(k->out, k->out + off, k->out_len - off);
    k->out_len -= off;
    ib_timer_cancel(&k->idle);
}

static void conn_reset(struct res_conn *k)
{
    k->r->stats.tcp_dropped++;
    ib_tcp_abort(k->c);
    k->c = NULL;
}

/* RFC 7766 §10: a client that lets more than RES_CONN_OUT_MAX of
 * answers wait for TCP is not reading them, and holds the server's memory;
 * its connection is reset (so is one whose answer finds no memory). One
 * answer alone always fits. */
static void conn_write(struct res_conn *k, const uint8_t *b, size_t len)
{
    if (k->out_len && k->out_len + len > RES_CONN_OUT_MAX) {
        conn_reset(k);
        return;
    }
    if (k->out_len + len > k->out_cap) {
        uint8_t *o = realloc(k->out, k->out_len + len);
        if (!o) {
            conn_reset(k);
            return;
        }
        k->out = o;
        k->out_cap = k->out_len + len;
    }
    memcpy(k->out + k->out_len, b, len);
    k->out_len += len;
    ib_timer_cancel(&k->idle);
    conn_flush(k);
}

/* RFC 7766 §6.2.1.1: reads pipelined queries while the client has fewer
 * than RES_CONN_MAX_PENDING unanswered and TCP takes all its answers; the
 * rest waits in TCP, whose window then holds the client back. */
static void conn_read(struct res_conn *k)
{
    struct ib_dns_resolver *r = k->r;
    if (!k->c) return;
    ib_ip4 peer;
    uint16_t pport;
    ib_tcp_endpoints(k->c, NULL, NULL, &peer, &pport);
    const uint8_t *msg;
    size_t len;
    int got = 0;
    k->reading = true;
    while (k->c && k->pending < RES_CONN_MAX_PENDING && k->out_len == 0 &&
           (got = ib_dns_tcp_rx_next(&k->rx, k->c, &msg, &len)) == 1) {
        ib_timer_cancel(&k->idle);
        int drop = client_message(r, msg, len, 0, peer, pport, k);
        if (drop) {
            /* RFC 7766 §6.2.3 lets a server close a connection that
             * sends it garbage. */
            ib_drop(&r->s->node, NULL, NULL, drop);
            conn_close(k);
        }
    }
    if (got < 0) conn_close(k);
    if (k->c && ib_tcp_eof(k->c)) k->eof = true;
    k->reading = false;
}

/* Reads what may be read, then settles; inside conn_read (an answer from
 * the cache given while reading) it is left to the reader. */
static void conn_service(struct res_conn *k)
{
    if (k->reading) return;
    conn_read(k);
    conn_settle(k);
}

static void conn_readable(struct ib_tcp *c, void *arg)
{
    conn_service(arg);
}

static void conn_writable(struct ib_tcp *c, void *arg)
{
    struct res_conn *k = arg;
    conn_flush(k);
    conn_service(k);
}

static void conn_error(struct ib_tcp *c, int err, void *arg)
{
    struct res_conn *k = arg;
    conn_close(k);
    conn_settle(k);
}

static void conn_idle(struct ib_timer *t)
{
    struct res_conn *k = (struct res_conn *)((char *)t - offsetof(struct res_conn, idle));
    conn_close(k);
    conn_settle(k);
}

static const struct ib_tcp_ops conn_ops = {
    .readable = conn_readable,
    .writable = conn_writable,
    .error = conn_error,
};

static void listener_accepted(struct ib_tcp *l, struct ib_tcp *c, void *arg)
{
    struct ib_dns_resolver *r = arg;
    /* RFC 7766 §10: a server limits the TCP connections it holds. */
    struct res_conn *k = r->n_conns < RES_MAX_CONNS ? calloc(1, sizeof(*k)) : NULL;
    if (!k) {
        r->stats.tcp_refused++;
        ib_tcp_abort(c);
        return;
    }
    k->r = r;
    k->c = c;
    ib_timer_init(&k->idle, conn_idle);
    k->next = r->conns;
    r->conns = k;
    r->n_conns++;
    ib_tcp_set_ops(c, &conn_ops, k);
    conn_settle(k);
}

static const struct ib_tcp_ops listener_ops = {.accepted = listener_accepted};

static int net_start(struct ib_dns_resolver *r)
{
    r->udp.recv = udp_recv;
    r->udp.arg = r;
    if (ib_udp_bind(r->s, &r->udp, IB_IP4_ANY, r->cfg.port) != 0) return IB_ERR_INUSE;
    r->listener = ib_tcp_listen(r->s, IB_IP4_ANY, r->cfg.port, &listener_ops, r, NULL);
    return r->listener ? 0 : IB_ERR_INUSE;
}

struct ib_dns_resolver *ib_dns_resolver_start(struct ib_stack *s,
                                              const struct ib_dns_resolver_config *cfg)
{
    const struct ib_dns_resolver_config *d = &ib_dns_resolver_defaults;
    if (!cfg) cfg = d;
    if (cfg->n_hints > IB_DNS_MAX_HINTS || (cfg->n_hints && !cfg->hints)) return NULL;
    for (size_t i = 0; i < cfg->n_hints; i++)
        if (!cfg->hints[i].name || !ib_dns_name_ok(cfg->hints[i].name) || !cfg->hints[i].addr)
            return NULL;
    struct ib_dns_resolver *r = calloc(1, sizeof(*r));
    if (!r) return NULL;
    r->s = s;
    r->cfg = *cfg;
    r->cfg.hints = NULL;
    r->cfg.port = cfg->port ? cfg->port : d->port;
    r->cfg.cache_max = cfg->cache_max ? cfg->cache_max : d->cache_max;
    r->cfg.timeout = cfg->timeout ? cfg->timeout : d->timeout;
    r->cfg.retries = cfg->retries ? cfg->retries : d->retries;
    r->cfg.max_queries = cfg->max_queries ? cfg->max_queries : d->max_queries;
    r->cfg.neg_ttl_max = cfg->neg_ttl_max ? cfg->neg_ttl_max : d->neg_ttl_max;
    for (size_t i = 0; i < cfg->n_hints; i++) {
        ib_dns_name_copy(r->hints[i].name, cfg->hints[i].name);
        r->hints[i].addr = cfg->hints[i].addr;
    }
    r->cache = ib_dns_cache_new(r->cfg.cache_max);
    r->msg = malloc(sizeof(*r->msg));
    r->out = malloc(sizeof(*r->out));
    r->wbuf = malloc(2 + IB_DNS_TCP_MAX);
    if (!r->cache || !r->msg || !r->out || !r->wbuf || net_start(r) != 0) {
        ib_dns_resolver_stop(r);
        return NULL;
    }
    return r;
}

void ib_dns_resolver_stop(struct ib_dns_resolver *r)
{
    if (!r) return;
    /* Clients waiting on tasks are dropped with them; their connections
     * go next, owed answers or not. */
    res_tasks_free(r);
    while (r->conns) {
        conn_close(r->conns);
        conn_free(r->conns);
    }
    if (r->listener) ib_tcp_close(r->listener);
    ib_udp_close(&r->udp);
    ib_dns_cache_free(r->cache);
    res_answer_free(&r->hit);
    free(r->msg);
    free(r->out);
    free(r->wbuf);
    free(r);
}

size_t ib_dns_resolver_cache(const struct ib_dns_resolver *r, struct ib_dns_cache_view *out,
                             size_t max)
{
    return ib_dns_cache_view(r->cache, ib_now(r->s->node.env), out, max);
}

void ib_dns_resolver_get_stats(const struct ib_dns_resolver *r, struct ib_dns_resolver_stats *out)
{
    *out = r->stats;
}
