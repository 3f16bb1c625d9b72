/* The stub resolver (RFC 1123 §6.1.3.1): a host's resolver library. It
 * asks a recursive server for a name's A record with RD=1 and takes the
 * address at the end of the answer's CNAME chain. Each query leaves from a
 * random port with a random id and its response must come from the server
 * asked, from port 53, with that id and question (RFC 5452 §9). The
 * servers are tried in turn, twice each, one second apart, as resolv.conf
 * does by default (RFC 1035 §7.2); a server that answers with an error is
 * not asked again; a truncated answer is asked again over TCP (RFC 7766
 * §5). */
#include <stdlib.h>

#include "dns/dns_client.h"
#include "inetbox/dns_resolver.h"

#define STUB_TIMEOUT IB_SEC(1)
#define STUB_TRIES 2u     /* per server */
#define STUB_MAX_CHAIN 8u /* CNAMEs followed in an answer */
#define STUB_MAX_SERVERS IB_ARRAY_LEN(((struct ib_stack *)0)->resolv.servers)

enum stub_state { STUB_START, STUB_QUERY };

struct ib_dns_lookup {
    struct ib_stack *s;
    char name[IB_DNS_NAME_SIZE];
    ib_dns_lookup_fn done;
    void *arg;
    ib_ip4 literal; /* name was this address */
    int refused;    /* nothing to ask: the name is invalid or no server known */
    ib_ip4 servers[STUB_MAX_SERVERS];
    bool bad[STUB_MAX_SERVERS]; /* answered with an error: not asked again */
    uint8_t n_servers;
    uint8_t attempts; /* queries sent over UDP */
    uint8_t cur;      /* the server asked */
    uint8_t state;    /* enum stub_state */
    int err;          /* the failure to report if no answer comes */
    struct ib_dns_flight fl;
    struct ib_timer timer;
};

static bool stub_event(struct ib_dns_lookup *l, struct ib_event *ev, uint8_t what,
                       const struct ib_dns_msg *m, const uint8_t *data, size_t len,
                       uint32_t journey)
{
    if (!ib_dns_event(l->s, ev, what, data, len, journey)) return false;
    ev->u.dns.server = l->fl.server;
    ev->u.dns.qname = l->name;
    ev->u.dns.qtype = IB_DNS_T_A;
    ev->u.dns.id = l->fl.id;
    ev->u.dns.tcp = l->fl.tcp;
    ev->u.dns.rd = true;
    if (m) {
        ev->u.dns.rcode = m->rcode;
        ev->u.dns.aa = m->aa;
    }
    return true;
}

static void stub_end_query(struct ib_dns_lookup *l)
{
    ib_timer_cancel(&l->timer);
    ib_dns_flight_end(&l->fl);
}

static void stub_free(struct ib_dns_lookup *l)
{
    stub_end_query(l);
    ib_evq_forget(l->s->node.env->q, &l->timer);
    free(l);
}

/* Reports the outcome (kind: enum ib_dns_kind) and frees l. */
static void stub_finish(struct ib_dns_lookup *l, int err, uint8_t kind, ib_ip4 addr, uint32_t ttl)
{
    stub_end_query(l);
    struct ib_event ev;
    if (ib_dns_event(l->s, &ev, IB_DNS_RESOLVED, NULL, 0, 0)) {
        ev.u.dns.kind = kind;
        ev.u.dns.qname = l->name;
        ev.u.dns.qtype = IB_DNS_T_A;
        ev.u.dns.addr = addr;
        ev.u.dns.ttl = ttl;
        ev.u.dns.rd = true;
        ib_emit(l->s->node.env, &ev);
    }
    l->done(l->arg, err, l->name, addr, ttl);
    stub_free(l);
}

/* Sends the question to the server l->cur; one that cannot leave counts
 * as a try that timed out now. */
static void stub_send(struct ib_dns_lookup *l, bool tcp)
{
    struct ib_env *env = l->s->node.env;
    l->state = STUB_QUERY;
    bool out = ib_dns_flight_send(&l->fl, l->servers[l->cur], l->name, IB_DNS_T_A, true, tcp) == 0;
    ib_timer_arm(env, &l->timer, ib_now(env) + (out ? STUB_TIMEOUT : 0));
}

/* Sends the next query, or reports failure when every try is spent. */
static void stub_next(struct ib_dns_lookup *l)
{
    int left = 0;
    for (uint8_t i = 0; i < l->n_servers; i++)
        left += !l->bad[i];
    if (l->attempts >= STUB_TRIES * l->n_servers || left == 0) {
        stub_finish(l, l->err, IB_DNS_KIND_ERROR, 0, 0);
        return;
    }
    do
        l->cur = (uint8_t)(l->attempts++ % l->n_servers);
    while (l->bad[l->cur]);
    stub_send(l, false);
}

static void stub_sent(struct ib_dns_flight *f, const uint8_t *query, size_t len, uint32_t journey)
{
    struct ib_dns_lookup *l = f->arg;
    struct ib_event ev;
    if (stub_event(l, &ev, IB_DNS_QUERY_TX, NULL, query, len, journey))
        ib_emit(l->s->node.env, &ev);
}

/* A server that answered but not usefully. */
static void stub_server_failed(struct ib_dns_lookup *l, int err, const struct ib_dns_msg *m,
                               const uint8_t *data, size_t len, uint32_t journey)
{
    struct ib_event ev;
    if (stub_event(l, &ev, IB_DNS_RESPONSE_RX, m, data, len, journey)) {
        ev.u.dns.kind = IB_DNS_KIND_ERROR;
        ib_emit(l->s->node.env, &ev);
    }
    if (err) {
        l->err = err;
        l->bad[l->cur] = true;
    }
    stub_end_query(l);
    stub_next(l);
}

/* The address at the end of the CNAME chain from our name (RFC 1034
 * §3.6.2), with the smallest TTL along the way; 0 if there is none. */
static ib_ip4 follow_chain(const struct ib_dns_lookup *l, const struct ib_dns_msg *m, uint32_t *ttl,
                           bool *related)
{
    const char *name = l->name;
    *ttl = UINT32_MAX;
    *related = false;
    for (unsigned hops = 0; hops <= STUB_MAX_CHAIN; hops++) {
        const struct ib_dns_rr *cname = NULL;
        for (uint16_t i = 0; i < m->ancount; i++) {
            const struct ib_dns_rr *r = &m->an[i];
            if (r->cls != IB_DNS_C_IN || !ib_dns_name_eq(r->name, name)) continue;
            *related = true;
            if (r->type == IB_DNS_T_A) {
                *ttl = r->ttl < *ttl ? r->ttl : *ttl;
                return r->rd.a;
            }
            if (r->type == IB_DNS_T_CNAME && !cname) cname = r;
        }
        if (!cname) break;
        *ttl = cname->ttl < *ttl ? cname->ttl : *ttl;
        name = cname->rd.name;
    }
    *ttl = 0;
    return 0;
}

static void stub_response(struct ib_dns_lookup *l, const struct ib_dns_msg *m, const uint8_t *data,
                          size_t len, uint32_t journey)
{
    struct ib_env *env = l->s->node.env;
    struct ib_event ev;
    /* RFC 7766 §5: the same question to the same server, over TCP. */
    if (m->tc && !l->fl.tcp) {
        if (stub_event(l, &ev, IB_DNS_RESPONSE_RX, m, data, len, journey)) {
            ev.u.dns.kind = IB_DNS_KIND_TRUNCATED;
            ib_emit(env, &ev);
        }
        stub_end_query(l);
        stub_send(l, true);
        return;
    }
    if (m->rcode == IB_DNS_R_SERVFAIL || m->rcode == IB_DNS_R_REFUSED) {
        stub_server_failed(l, IB_ERR_SERVFAIL, m, data, len, journey);
        return;
    }
    if (m->rcode != IB_DNS_R_NOERROR && m->rcode != IB_DNS_R_NXDOMAIN) {
        stub_server_failed(l, IB_ERR_PROTO, m, data, len, journey);
        return;
    }
    uint32_t ttl;
    bool related;
    ib_ip4 addr = follow_chain(l, m, &ttl, &related);
    /* Answer records that have nothing to do with the question. */
    if (m->rcode == IB_DNS_R_NOERROR && !related && m->ancount > 0) {
        stub_server_failed(l, IB_ERR_PROTO, m, data, len, journey);
        return;
    }
    uint8_t kind = addr                            ? IB_DNS_KIND_ANSWER
                   : m->rcode == IB_DNS_R_NXDOMAIN ? IB_DNS_KIND_NXDOMAIN
                                                   : IB_DNS_KIND_NODATA;
    /* RFC 2308 §3: how long a negative answer holds is the SOA's. */
    for (uint16_t i = 0; !addr && i < m->nscount; i++) {
        if (m->ns[i].type == IB_DNS_T_SOA) {
            uint32_t min = m->ns[i].rd.soa.minimum;
            ttl = m->ns[i].ttl < min ? m->ns[i].ttl : min;
            break;
        }
    }
    if (stub_event(l, &ev, IB_DNS_RESPONSE_RX, m, data, len, journey)) {
        ev.u.dns.kind = kind;
        ev.u.dns.addr = addr;
        ev.u.dns.ttl = ttl;
        ib_emit(env, &ev);
    }
    stub_finish(l, addr ? 0 : IB_ERR_NOTFOUND, kind, addr, ttl);
}

static void stub_answer(struct ib_dns_flight *f, const struct ib_dns_msg *m, const uint8_t *b,
                        size_t len, uint32_t journey)
{
    stub_response(f->arg, m, b, len, journey);
}

/* A malformed answer over TCP is the server's fault; a lost connection
 * just costs the try. */
static void stub_flight_failed(struct ib_dns_flight *f, int err)
{
    stub_server_failed(f->arg, err == IB_ERR_PROTO ? err : 0, NULL, NULL, 0, 0);
}

static const struct ib_dns_flight_ops stub_flight_ops = {
    .sent = stub_sent,
    .answer = stub_answer,
    .failed = stub_flight_failed,
};

static void stub_timer(struct ib_timer *t)
{
    struct ib_dns_lookup *l =
        (struct ib_dns_lookup *)((char *)t - offsetof(struct ib_dns_lookup, timer));
    if (l->literal) {
        stub_finish(l, 0, IB_DNS_KIND_ANSWER, l->literal, 0);
    } else if (l->refused) {
        stub_finish(l, l->refused, IB_DNS_KIND_ERROR, 0, 0);
    } else if (l->state == STUB_START) {
        stub_next(l);
    } else if (l->state == STUB_QUERY) {
        stub_server_failed(l, 0, NULL, NULL, 0, 0);
    }
}

struct ib_dns_lookup *ib_dns_lookup(struct ib_stack *s, const char *name, ib_ip4 server,
                                    ib_dns_lookup_fn done, void *arg)
{
    if (!name || !done) return NULL;
    struct ib_dns_lookup *l = calloc(1, sizeof(*l));
    if (!l) return NULL;
    l->s = s;
    l->done = done;
    l->arg = arg;
    l->err = IB_ERR_TIMEOUT;
    ib_dns_name_copy(l->name, name);
    size_t n = strlen(l->name);
    if (n > 0 && l->name[n - 1] == '.') l->name[n - 1] = '\0'; /* the root, said explicitly */
    ib_ip4 a;
    if (ib_ip4_from_str(l->name, &a, NULL) == 0 && a != 0) {
        l->literal = a;
    } else if (server) {
        l->servers[l->n_servers++] = server;
    } else {
        for (uint8_t i = 0; i < s->resolv.n && i < STUB_MAX_SERVERS; i++)
            if (s->resolv.servers[i]) l->servers[l->n_servers++] = s->resolv.servers[i];
    }
    if (!l->literal && (!l->name[0] || !ib_dns_name_ok(l->name) ||
                        strnlen(name, IB_DNS_NAME_SIZE) == IB_DNS_NAME_SIZE))
        l->refused = IB_ERR_INVAL;
    else if (!l->literal && l->n_servers == 0)
        l->refused = IB_ERR_NOROUTE;
    /* Everything, the literal and the refusals included, starts from the
     * event loop so that done never runs inside this call. */
    ib_dns_flight_init(&l->fl, s, &stub_flight_ops, l);
    ib_timer_init(&l->timer, stub_timer);
    struct ib_env *env = s->node.env;
    ib_timer_arm(env, &l->timer, ib_now(env));
    return l;
}

void ib_dns_lookup_cancel(struct ib_dns_lookup *l)
{
    if (l) stub_free(l);
}
