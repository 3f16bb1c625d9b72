/* Test harness for the resolver and stub tests: a LAN (one switch, links
 * of 1 ms, no rate limit) with a client, a resolver host and scripted DNS
 * authorities, each a UDP and TCP endpoint on port 53 that answers from a
 * function of the question, built with ib_dns_emit:
 *
 *   client 10.0.0.1   resolver 10.0.0.2   evil 10.0.0.66 (forges)
 *   root   10.0.0.10  (".": refers com, net and loop)
 *   tld    10.0.0.11  ("com" and "net": refers google.com, example.net)
 *   google 10.0.0.12  ("google.com" and "example.net": answers)
 *   root2  10.0.0.13  (a second root, same script)
 *
 * An authority can be silent, answer UDP with TC set, or hold its answers
 * for a while. An observer writes every DNS event of the client and the
 * resolver as one line ("resolver query_tx 10.0.0.10 www.google.com A"),
 * so tests compare whole journeys. Include after cmocka.h. */
#ifndef INETBOX_TEST_DNS_HARNESS_H
#define INETBOX_TEST_DNS_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "inetbox/dns.h"
#include "inetbox/evname.h"
#include "inetbox/world.h"
#include "dns_zones.h"

#define DH_CLIENT IB_IP4(10, 0, 0, 1)
#define DH_RESOLVER IB_IP4(10, 0, 0, 2)
#define DH_ROOT IB_IP4(10, 0, 0, 10)
#define DH_TLD IB_IP4(10, 0, 0, 11)
#define DH_GOOGLE IB_IP4(10, 0, 0, 12)
#define DH_ROOT2 IB_IP4(10, 0, 0, 13)
#define DH_EVIL IB_IP4(10, 0, 0, 66)
#define DH_WWW IB_IP4(142, 250, 0, 4)
#define DH_EXAMPLE IB_IP4(93, 184, 216, 34)
#define DH_FORGED IB_IP4(6, 6, 6, 6)

#define DH_LOG 16384
#define DH_MAX_SEEN 64
#define DH_MAX_CONNS 8

struct dh;
struct dh_auth;
/* Fills out (already a response to q: id, question, QR, AA) as the
 * authority answers q. */
typedef void (*dh_script)(struct dh_auth *a, const struct ib_dns_msg *q, struct ib_dns_msg *out);

struct dh_conn {
    struct dh_auth *a;
    struct ib_tcp *c;
    uint8_t buf[2 + 512];
    size_t len;
};

struct dh_auth {
    struct dh *h;
    const char *name;
    struct ib_stack *s;
    ib_ip4 addr;
    dh_script script;
    struct ib_udp_pcb udp;
    struct ib_tcp *listener;
    struct dh_conn conns[DH_MAX_CONNS];
    bool silent;   /* UDP queries get no answer */
    bool tc_udp;   /* UDP answers carry no records and TC */
    ib_time delay; /* UDP answers leave this much later (one at a time) */
    uint32_t udp_queries, tcp_queries;
    /* Each UDP query: who sent it, from which port, with which id. */
    struct {
        ib_ip4 src;
        uint16_t sport, id;
        char qname[IB_DNS_NAME_SIZE];
    } seen[DH_MAX_SEEN];
    /* The held answer (delay). */
    struct ib_timer timer;
    uint8_t held[IB_DNS_UDP_MAX];
    size_t held_len;
    ib_ip4 held_dst;
    uint16_t held_port;
    uint32_t loop_refs; /* the referral loop script's state */
};

enum { DH_ROOT_I, DH_TLD_I, DH_GOOGLE_I, DH_ROOT2_I, DH_N_AUTH };

struct dh {
    struct ib_world *w;
    struct ib_stack *client, *resolver, *evil;
    struct dh_auth auth[DH_N_AUTH];
    struct ib_dns_msg *scratch;
    char log[DH_LOG];
    size_t log_len;
    uint32_t dns_events;
};

static inline bool dh_under(const char *name, const char *zone)
{
    size_t n = strlen(name), z = strlen(zone);
    if (z == 0) return true;
    return n >= z && strcasecmp(name + n - z, zone) == 0 && (n == z || name[n - z - 1] == '.');
}

static inline struct ib_dns_rr *dh_rr(struct ib_dns_msg *m, char sec, const char *name,
                                      uint16_t type, uint32_t ttl)
{
    uint16_t *count = sec == 'a' ? &m->ancount : sec == 'n' ? &m->nscount : &m->arcount;
    struct ib_dns_rr *base = sec == 'a' ? m->an : sec == 'n' ? m->ns : m->ar;
    assert_true(*count < IB_DNS_MAX_RR);
    struct ib_dns_rr *r = &base[(*count)++];
    memset(r, 0, sizeof(*r));
    snprintf(r->name, sizeof(r->name), "%s", name);
    r->type = type;
    r->cls = IB_DNS_C_IN;
    r->ttl = ttl;
    return r;
}

static inline void dh_a(struct ib_dns_msg *m, char sec, const char *name, uint32_t ttl, ib_ip4 a)
{
    dh_rr(m, sec, name, IB_DNS_T_A, ttl)->rd.a = a;
}

static inline void dh_name(struct ib_dns_msg *m, char sec, const char *name, uint16_t type,
                           uint32_t ttl, const char *target)
{
    snprintf(dh_rr(m, sec, name, type, ttl)->rd.name, IB_DNS_NAME_SIZE, "%s", target);
}

static inline void dh_soa(struct ib_dns_msg *m, const char *zone, uint32_t ttl, uint32_t minimum)
{
    struct ib_dns_rr *r = dh_rr(m, 'n', zone, IB_DNS_T_SOA, ttl);
    snprintf(r->rd.soa.mname, IB_DNS_NAME_SIZE, "ns.%s", zone[0] ? zone : "root");
    snprintf(r->rd.soa.rname, IB_DNS_NAME_SIZE, "hostmaster.%s", zone[0] ? zone : "root");
    r->rd.soa.serial = 1;
    r->rd.soa.refresh = 7200;
    r->rd.soa.retry = 900;
    r->rd.soa.expire = 1209600;
    r->rd.soa.minimum = minimum;
}

/* A referral: not authoritative, the zone's NS in authority, glue. */
static inline void dh_refer(struct ib_dns_msg *m, const char *zone, const char *ns, ib_ip4 glue)
{
    m->aa = false;
    dh_name(m, 'n', zone, IB_DNS_T_NS, 172800, ns);
    if (glue) dh_a(m, 'r', ns, 172800, glue);
}

static inline void dh_nxdomain(struct ib_dns_msg *m, const char *zone)
{
    m->rcode = IB_DNS_R_NXDOMAIN;
    dh_soa(m, zone, 3600, 60);
}

/* The root: "loop" delegates one label deeper on every query, each time
 * to a new name server at the same address: a referral chain without end. */
static inline void dh_root_script(struct dh_auth *a, const struct ib_dns_msg *q,
                                  struct ib_dns_msg *out)
{
    const char *qn = q->qd[0].name;
    if (dh_under(qn, "com"))
        dh_refer(out, "com", "a.gtld-servers.net", DH_TLD);
    else if (dh_under(qn, "net"))
        dh_refer(out, "net", "a.gtld-servers.net", DH_TLD);
    else if (dh_under(qn, "loop")) {
        /* The zone of the last loop_refs + 1 labels of qn. */
        const char *z = qn + strlen(qn);
        uint32_t dots = 0;
        while (z > qn && !(z[-1] == '.' && ++dots > a->loop_refs))
            z--;
        char ns[IB_DNS_NAME_SIZE];
        snprintf(ns, sizeof(ns), "ns%u.%.200s", a->loop_refs, z);
        a->loop_refs++;
        dh_refer(out, z, ns, a->addr);
    } else
        dh_nxdomain(out, "");
}

static inline void dh_tld_script(struct dh_auth *a, const struct ib_dns_msg *q,
                                 struct ib_dns_msg *out)
{
    const char *qn = q->qd[0].name;
    if (dh_under(qn, "google.com"))
        dh_refer(out, "google.com", "ns1.google.com", DH_GOOGLE);
    else if (dh_under(qn, "example.net"))
        dh_refer(out, "example.net", "ns1.google.com", 0); /* out of zone: no glue */
    else
        dh_nxdomain(out, dh_under(qn, "com") ? "com" : "net");
}

static inline void dh_google_script(struct dh_auth *a, const struct ib_dns_msg *q,
                                    struct ib_dns_msg *out)
{
    const char *qn = q->qd[0].name;
    uint16_t qt = q->qd[0].type;
    const char *zone = dh_under(qn, "google.com") ? "google.com" : "example.net";
    if (!strcasecmp(qn, "servfail.google.com")) {
        out->aa = false;
        out->rcode = IB_DNS_R_SERVFAIL;
        return;
    }
    if (!strcasecmp(qn, "mail.google.com")) {
        dh_name(out, 'a', qn, IB_DNS_T_CNAME, 600, "www.google.com");
        qn = "www.google.com";
    } else if (!strcasecmp(qn, "alias.google.com")) {
        dh_name(out, 'a', qn, IB_DNS_T_CNAME, 600, "www.example.net");
        return; /* another zone: the resolver asks there */
    }
    if (!strcasecmp(qn, "www.google.com") && qt == IB_DNS_T_A)
        dh_a(out, 'a', qn, 300, DH_WWW);
    else if (!strcasecmp(qn, "ns1.google.com") && qt == IB_DNS_T_A)
        dh_a(out, 'a', qn, 3600, DH_GOOGLE);
    else if (!strcasecmp(qn, "www.example.net") && qt == IB_DNS_T_A)
        dh_a(out, 'a', qn, 900, DH_EXAMPLE);
    else if (!strcasecmp(qn, "big.google.com") && qt == IB_DNS_T_A)
        for (uint32_t i = 1; i <= 40; i++)
            dh_a(out, 'a', qn, 120, IB_IP4(172, 16, 0, i));
    else if (!strcasecmp(qn, "www.google.com") || !strcasecmp(qn, "ns1.google.com") ||
             !strcasecmp(qn, "big.google.com") || !strcasecmp(qn, "www.example.net"))
        dh_soa(out, zone, 3600, 300); /* RFC 2308 §2.2: NODATA */
    else
        dh_nxdomain(out, zone);
}

/* A query for (name, type, IN) into b (IB_DNS_UDP_MAX bytes); its length. */
static inline size_t dh_query(struct dh *h, uint8_t *b, const char *name, uint16_t type,
                              uint16_t id, bool rd)
{
    return dns_query(b, IB_DNS_UDP_MAX, id, name, type, rd, 0);
}

/* A forgery: the answer to www.google.com A with id, but 6.6.6.6 for a
 * day. Its length in b (IB_DNS_UDP_MAX bytes). */
static inline size_t dh_forged(struct dh *h, uint8_t *b, uint16_t id)
{
    struct ib_dns_msg *m = h->scratch;
    assert_int_equal(ib_dns_parse(b, dh_query(h, b, "www.google.com", IB_DNS_T_A, id, true), m), 0);
    m->qr = m->aa = m->ra = true;
    dh_a(m, 'a', "www.google.com", 86400, DH_FORGED);
    return ib_dns_emit(m, b, IB_DNS_UDP_MAX);
}

/* The answer to the message in b (NULL if it is not a query), in out. */
static inline size_t dh_answer(struct dh_auth *a, const uint8_t *b, size_t len, bool udp,
                               uint8_t *out, size_t cap)
{
    struct ib_dns_msg *q = a->h->scratch;
    struct ib_dns_msg *m = malloc(sizeof(*m));
    assert_non_null(m);
    assert_int_equal(ib_dns_parse(b, len, q), 0);
    assert_false(q->qr);
    assert_int_equal(q->qdcount, 1);
    memset(m, 0, offsetof(struct ib_dns_msg, an));
    m->id = q->id;
    m->qr = m->aa = true;
    m->rd = q->rd;
    m->qdcount = 1;
    m->qd[0] = q->qd[0];
    if (udp && a->tc_udp)
        m->tc = true;
    else
        a->script(a, q, m);
    size_t n = ib_dns_emit(m, out, cap);
    assert_true(n > 0);
    free(m);
    return n;
}

static inline void dh_send(struct ib_udp_pcb *u, ib_ip4 dst, uint16_t port, const uint8_t *b,
                           size_t len)
{
    struct ib_pkt *p = ib_pkt_from(u->stack->node.env->pool, b, len);
    assert_non_null(p);
    ib_udp_sendto(u, p, dst, port, 0);
}

static inline void dh_release(struct ib_timer *t)
{
    struct dh_auth *a = (struct dh_auth *)((char *)t - offsetof(struct dh_auth, timer));
    dh_send(&a->udp, a->held_dst, a->held_port, a->held, a->held_len);
}

static inline void dh_auth_udp(struct ib_udp_pcb *u, ib_ip4 src, uint16_t sport, struct ib_pkt *p)
{
    struct dh_auth *a = u->arg;
    struct ib_dns_msg *q = a->h->scratch;
    if (a->udp_queries < DH_MAX_SEEN) {
        assert_int_equal(ib_dns_parse(p->data, p->len, q), 0);
        a->seen[a->udp_queries].src = src;
        a->seen[a->udp_queries].sport = sport;
        a->seen[a->udp_queries].id = q->id;
        snprintf(a->seen[a->udp_queries].qname, IB_DNS_NAME_SIZE, "%s", q->qd[0].name);
    }
    a->udp_queries++;
    if (!a->silent) {
        uint8_t out[IB_DNS_UDP_MAX];
        size_t n = dh_answer(a, p->data, p->len, true, out, sizeof(out));
        if (a->delay) {
            memcpy(a->held, out, n);
            a->held_len = n;
            a->held_dst = src;
            a->held_port = sport;
            ib_timer_arm(a->s->node.env, &a->timer, ib_now(a->s->node.env) + a->delay);
        } else {
            dh_send(u, src, sport, out, n);
        }
    }
    ib_pkt_free(p);
}

/* RFC 7766 §8: each message behind a two-byte length; each is answered,
 * and the connection stays until the asker closes it. */
static inline void dh_conn_readable(struct ib_tcp *c, void *arg)
{
    struct dh_conn *k = arg;
    long n;
    while ((n = ib_tcp_recv(c, k->buf + k->len, sizeof(k->buf) - k->len)) > 0) {
        k->len += (size_t)n;
        size_t need = k->len >= 2 ? 2u + ib_get16(k->buf) : 2;
        assert_true(need <= sizeof(k->buf));
        if (k->len < 2 || k->len < need) continue;
        k->a->tcp_queries++;
        uint8_t out[2 + 4096];
        size_t m = dh_answer(k->a, k->buf + 2, need - 2, false, out + 2, sizeof(out) - 2);
        ib_put16(out, (uint16_t)m);
        assert_int_equal(ib_tcp_send(c, out, m + 2), (long)(m + 2));
        memmove(k->buf, k->buf + need, k->len - need);
        k->len -= need;
    }
    if (ib_tcp_eof(c)) {
        ib_tcp_close(c);
        k->c = NULL;
    }
}

static inline void dh_conn_error(struct ib_tcp *c, int err, void *arg)
{
    struct dh_conn *k = arg;
    ib_tcp_close(c);
    k->c = NULL;
}

static const struct ib_tcp_ops dh_conn_ops = {
    .readable = dh_conn_readable,
    .error = dh_conn_error,
};

static inline void dh_accepted(struct ib_tcp *l, struct ib_tcp *c, void *arg)
{
    struct dh_auth *a = arg;
    for (int i = 0; i < DH_MAX_CONNS; i++) {
        if (!a->conns[i].c) {
            a->conns[i] = (struct dh_conn){.a = a, .c = c};
            ib_tcp_set_ops(c, &dh_conn_ops, &a->conns[i]);
            return;
        }
    }
    fail_msg("too many connections to %s", a->name);
}

static const struct ib_tcp_ops dh_listen_ops = {.accepted = dh_accepted};

static inline void dh_observe(void *ctx, const struct ib_event *ev)
{
    struct dh *h = ctx;
    if (ev->kind != IB_EV_DNS) return;
    h->dns_events++;
    assert_int_equal(ev->layer, 7);
    char line[512], ip[IB_IP4_STRLEN], tb[IB_EVNAME_BUF];
    int n =
        snprintf(line, sizeof(line), "%s %s", ev->node->name, ib_evname_dns_what(ev->u.dns.what));
    if (ev->u.dns.server)
        n += snprintf(line + n, sizeof(line) - (size_t)n, " %s", ib_ip4_str(ev->u.dns.server, ip));
    n += snprintf(line + n, sizeof(line) - (size_t)n, " %s %s", ev->u.dns.qname,
                  ib_evname_dns_type(ev->u.dns.qtype, tb));
    if (ev->u.dns.kind)
        n +=
            snprintf(line + n, sizeof(line) - (size_t)n, " %s", ib_evname_dns_kind(ev->u.dns.kind));
    if (ev->u.dns.zone)
        n += snprintf(line + n, sizeof(line) - (size_t)n, " zone=%s", ev->u.dns.zone);
    if (ev->u.dns.ns) n += snprintf(line + n, sizeof(line) - (size_t)n, " ns=%s", ev->u.dns.ns);
    if (ev->u.dns.addr)
        n += snprintf(line + n, sizeof(line) - (size_t)n, " addr=%s",
                      ib_ip4_str(ev->u.dns.addr, ip));
    if (ev->u.dns.ttl) n += snprintf(line + n, sizeof(line) - (size_t)n, " ttl=%u", ev->u.dns.ttl);
    if (ev->u.dns.rcode)
        n += snprintf(line + n, sizeof(line) - (size_t)n, " rcode=%u", ev->u.dns.rcode);
    if (ev->u.dns.rd) n += snprintf(line + n, sizeof(line) - (size_t)n, " rd");
    if (ev->u.dns.tcp) n += snprintf(line + n, sizeof(line) - (size_t)n, " tcp");
    assert_true(h->log_len + (size_t)n + 2 < sizeof(h->log));
    h->log_len += (size_t)snprintf(h->log + h->log_len, sizeof(h->log) - h->log_len, "%s\n", line);
}

static inline void dh_log_clear(struct dh *h)
{
    h->log[0] = '\0';
    h->log_len = 0;
}

/* Compares the event log with the expected lines, and clears it. */
static inline void dh_expect_log(struct dh *h, const char *want)
{
    if (strcmp(h->log, want) != 0) fail_msg("event log:\n%s\nexpected:\n%s", h->log, want);
    dh_log_clear(h);
}

static inline struct ib_stack *dh_host(struct dh *h, struct ib_bridge *sw, const char *name,
                                       ib_ip4 addr)
{
    struct ib_stack *s = ib_world_add_host(h->w, name);
    assert_non_null(s);
    struct ib_netif *nif = ib_world_add_netif(h->w, &s->node, "eth0");
    struct ib_netif *port = ib_world_add_netif(h->w, &sw->node, name);
    assert_non_null(nif);
    assert_non_null(port);
    struct ib_link_params p = ib_link_defaults;
    p.rate_bps = 0;
    p.delay = IB_MS(1);
    assert_non_null(ib_world_connect(h->w, nif, port, &p));
    assert_int_equal(ib_stack_set_addr(s, nif, addr, 24), 0);
    return s;
}

static inline void dh_auth_start(struct dh *h, int i, struct ib_bridge *sw, const char *name,
                                 ib_ip4 addr, dh_script script)
{
    struct dh_auth *a = &h->auth[i];
    a->h = h;
    a->name = name;
    a->addr = addr;
    a->script = script;
    a->s = dh_host(h, sw, name, addr);
    a->udp.recv = dh_auth_udp;
    a->udp.arg = a;
    assert_int_equal(ib_udp_bind(a->s, &a->udp, IB_IP4_ANY, IB_DNS_PORT), 0);
    a->listener = ib_tcp_listen(a->s, IB_IP4_ANY, IB_DNS_PORT, &dh_listen_ops, a, NULL);
    assert_non_null(a->listener);
    ib_timer_init(&a->timer, dh_release);
}

static inline struct dh *dh_new(uint64_t seed)
{
    struct dh *h = calloc(1, sizeof(*h));
    assert_non_null(h);
    h->scratch = malloc(sizeof(*h->scratch));
    assert_non_null(h->scratch);
    h->w = ib_world_new(seed);
    assert_non_null(h->w);
    struct ib_bridge *sw = ib_world_add_switch(h->w, "sw");
    assert_non_null(sw);
    h->client = dh_host(h, sw, "client", DH_CLIENT);
    h->resolver = dh_host(h, sw, "resolver", DH_RESOLVER);
    h->evil = dh_host(h, sw, "evil", DH_EVIL);
    dh_auth_start(h, DH_ROOT_I, sw, "root", DH_ROOT, dh_root_script);
    dh_auth_start(h, DH_TLD_I, sw, "tld", DH_TLD, dh_tld_script);
    dh_auth_start(h, DH_GOOGLE_I, sw, "google", DH_GOOGLE, dh_google_script);
    dh_auth_start(h, DH_ROOT2_I, sw, "root2", DH_ROOT2, dh_root_script);
    /* The gratuitous ARPs pass before anything starts. */
    ib_world_run(h->w, IB_SEC(1));
    assert_int_equal(ib_world_observe(h->w, dh_observe, h), 0);
    return h;
}

static inline void dh_run_for(struct dh *h, ib_time d)
{
    ib_world_run(h->w, ib_now(&h->w->env) + d);
}

/* Everything started on the world must be stopped before this: it runs
 * what is left and checks every packet came back to the pool. */
static inline void dh_free(struct dh *h)
{
    for (int i = 0; i < DH_N_AUTH; i++) {
        struct dh_auth *a = &h->auth[i];
        ib_udp_close(&a->udp);
        ib_tcp_close(a->listener);
        for (int j = 0; j < DH_MAX_CONNS; j++)
            if (a->conns[j].c) ib_tcp_abort(a->conns[j].c);
        ib_evq_forget(&h->w->q, &a->timer);
    }
    ib_world_run(h->w, IB_TIME_NEVER);
    struct ib_pkt_pool_stats st;
    ib_pkt_pool_stats(h->w->env.pool, &st);
    assert_int_equal(st.in_use, 0);
    ib_world_free(h->w);
    free(h->scratch);
    free(h);
}

static inline uint32_t dh_auth_queries(const struct dh *h)
{
    uint32_t n = 0;
    for (int i = 0; i < DH_N_AUTH; i++)
        n += h->auth[i].udp_queries + h->auth[i].tcp_queries;
    return n;
}

#endif
