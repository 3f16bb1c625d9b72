/* The recursive resolver (RFC 1034 §5.3.3, RFC 1035 §7) against scripted
 * authorities (dns_harness.h): a client on the LAN sends it queries as raw
 * UDP datagrams and reads the answers byte for byte, and every DNS event
 * the resolver emits is compared line by line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "dns/dns_resolver_int.h"
#include "dns_harness.h"
#include "inetbox/dns_resolver.h"

static const struct ib_dns_hint hints[] = {
    {"a.root-servers.net", DH_ROOT},
    {"b.root-servers.net", DH_ROOT2},
};

/* The client: one UDP port, the last answer it got. */
struct asker {
    struct ib_udp_pcb u;
    struct ib_dns_msg *m;
    uint32_t answers, servfails;
    ib_ip4 from;
    uint16_t sport;
};

static void asker_recv(struct ib_udp_pcb *u, ib_ip4 src, uint16_t sport, struct ib_pkt *p)
{
    struct asker *a = u->arg;
    assert_int_equal(ib_dns_parse(p->data, p->len, a->m), 0);
    a->answers++;
    a->servfails += a->m->rcode == IB_DNS_R_SERVFAIL;
    a->from = src;
    a->sport = sport;
    ib_pkt_free(p);
}

static void asker_open(struct dh *h, struct asker *a, uint16_t port)
{
    memset(a, 0, sizeof(*a));
    a->m = malloc(sizeof(*a->m));
    assert_non_null(a->m);
    a->u.recv = asker_recv;
    a->u.arg = a;
    assert_int_equal(ib_udp_bind(h->client, &a->u, IB_IP4_ANY, port), 0);
}

static void asker_close(struct asker *a)
{
    ib_udp_close(&a->u);
    free(a->m);
}

static void ask(struct dh *h, struct asker *a, const char *name, uint16_t type, uint16_t id,
                bool rd)
{
    uint8_t b[IB_DNS_UDP_MAX];
    dh_send(&a->u, DH_RESOLVER, IB_DNS_PORT, b, dh_query(h, b, name, type, id, rd));
}

static struct ib_dns_resolver *start(struct dh *h, size_t n_hints, uint32_t max_queries)
{
    struct ib_dns_resolver_config cfg = ib_dns_resolver_defaults;
    cfg.hints = hints;
    cfg.n_hints = n_hints;
    if (max_queries) cfg.max_queries = max_queries;
    struct ib_dns_resolver *r = ib_dns_resolver_start(h->resolver, &cfg);
    assert_non_null(r);
    return r;
}

/* A test's world: the harness, a resolver on it, a client asking it. */
struct fx {
    struct dh *h;
    struct ib_dns_resolver *r;
    struct asker a;
};

static struct fx *fx_new(uint64_t seed, size_t n_hints, uint32_t max_queries)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->h = dh_new(seed);
    f->r = start(f->h, n_hints, max_queries);
    asker_open(f->h, &f->a, 5353);
    return f;
}

static void fx_free(struct fx *f)
{
    asker_close(&f->a);
    ib_dns_resolver_stop(f->r);
    dh_free(f->h);
    free(f);
}

/* RFC 1035 §4.1.1: the answer a client gets: its id and question, QR,
 * RD echoed, RA, not authoritative. */
static void expect_answer(const struct asker *a, uint16_t id, uint8_t rcode, uint16_t ancount)
{
    const struct ib_dns_msg *m = a->m;
    assert_int_equal(a->from, DH_RESOLVER);
    assert_int_equal(a->sport, IB_DNS_PORT);
    assert_int_equal(m->id, id);
    assert_true(m->qr);
    assert_true(m->ra);
    assert_true(m->rd);
    assert_false(m->aa);
    assert_false(m->tc);
    assert_int_equal(m->rcode, rcode);
    assert_int_equal(m->qdcount, 1);
    assert_int_equal(m->ancount, ancount);
}

static const char *const www_journey =
    "resolver query_rx 10.0.0.1 www.google.com A rd\n"
    "resolver query_tx 10.0.0.10 www.google.com A\n"
    "resolver response_rx 10.0.0.10 www.google.com A referral zone=com ns=a.gtld-servers.net "
    "addr=10.0.0.11 ttl=172800\n"
    "resolver query_tx 10.0.0.11 www.google.com A\n"
    "resolver response_rx 10.0.0.11 www.google.com A referral zone=google.com "
    "ns=ns1.google.com addr=10.0.0.12 ttl=172800\n"
    "resolver query_tx 10.0.0.12 www.google.com A\n"
    "resolver response_rx 10.0.0.12 www.google.com A answer addr=142.250.0.4 ttl=300\n"
    "resolver resolved www.google.com A answer addr=142.250.0.4 ttl=300\n"
    "resolver response_tx 10.0.0.1 www.google.com A answer addr=142.250.0.4 ttl=300 rd\n";

/* RFC 1034 §5.3.3: from the root hints down the referrals, RD=0 to every
 * authority, each query from its own random port with a random id (RFC
 * 5452 §9); then the answer again from the cache with its TTL counted
 * down, and nobody asked. */
static void test_resolve_via_referrals_then_cache(void **state)
{
    struct fx *f = fx_new(1, 1, 0);
    struct dh *h = f->h;
    struct asker *a = &f->a;
    ask(h, a, "www.google.com", IB_DNS_T_A, 0x1234, true);
    dh_run_for(h, IB_SEC(1));
    dh_expect_log(h, www_journey);
    expect_answer(a, 0x1234, IB_DNS_R_NOERROR, 1);
    assert_string_equal(a->m->an[0].name, "www.google.com");
    assert_int_equal(a->m->an[0].type, IB_DNS_T_A);
    assert_int_equal(a->m->an[0].rd.a, DH_WWW);
    assert_int_equal(a->m->an[0].ttl, 300);
    const struct dh_auth *au = h->auth;
    assert_int_equal(au[DH_ROOT_I].udp_queries, 1);
    assert_int_equal(au[DH_TLD_I].udp_queries, 1);
    assert_int_equal(au[DH_GOOGLE_I].udp_queries, 1);
    uint16_t p0 = au[DH_ROOT_I].seen[0].sport, p1 = au[DH_TLD_I].seen[0].sport,
             p2 = au[DH_GOOGLE_I].seen[0].sport;
    uint16_t i0 = au[DH_ROOT_I].seen[0].id, i1 = au[DH_TLD_I].seen[0].id,
             i2 = au[DH_GOOGLE_I].seen[0].id;
    assert_true(p0 != p1 && p1 != p2 && p0 != p2);
    assert_true(i0 != i1 && i1 != i2 && i0 != i2);
    assert_true(p0 >= 1024 && p1 >= 1024 && p2 >= 1024);

    dh_run_for(h, IB_SEC(100));
    ask(h, a, "WWW.Google.COM", IB_DNS_T_A, 0x1235, true);
    dh_run_for(h, IB_SEC(1));
    dh_expect_log(h, "resolver query_rx 10.0.0.1 WWW.Google.COM A rd\n"
                     "resolver cache_hit 10.0.0.1 WWW.Google.COM A answer addr=142.250.0.4 "
                     "ttl=200 rd\n"
                     "resolver response_tx 10.0.0.1 WWW.Google.COM A answer addr=142.250.0.4 "
                     "ttl=200 rd\n");
    expect_answer(a, 0x1235, IB_DNS_R_NOERROR, 1);
    assert_string_equal(a->m->qd[0].name, "WWW.Google.COM");
    assert_int_equal(a->m->an[0].rd.a, DH_WWW);
    assert_int_equal(a->m->an[0].ttl, 200);
    assert_int_equal(dh_auth_queries(h), 3);

    struct ib_dns_resolver_stats st;
    ib_dns_resolver_get_stats(f->r, &st);
    assert_int_equal(st.client_queries, 2);
    assert_int_equal(st.cache_hits, 1);
    assert_int_equal(st.resolutions, 1);
    assert_int_equal(st.queries_out, 3);

    /* The cache holds the answer, the referrals' NS sets and their glue. */
    struct ib_dns_cache_view v[16];
    size_t n = ib_dns_resolver_cache(f->r, v, 16);
    assert_int_equal(n, 5);
    assert_string_equal(v[0].name, "www.google.com"); /* most recently used */
    assert_int_equal(v[0].type, IB_DNS_T_A);
    assert_int_equal(v[0].addr, DH_WWW);
    assert_false(v[0].negative);
    bool com_ns = false, glue = false;
    for (size_t i = 0; i < n; i++) {
        com_ns |= !strcmp(v[i].name, "com") && v[i].type == IB_DNS_T_NS;
        glue |= !strcmp(v[i].name, "ns1.google.com") && v[i].addr == DH_GOOGLE;
    }
    assert_true(com_ns);
    assert_true(glue);

    fx_free(f);
}

/* RFC 2308 §5: NXDOMAIN is cached for min(SOA TTL, SOA minimum); the second
 * query gets it from the cache, SOA included (§6), with its TTL counted
 * down, and no traffic. A sibling name starts at the cached google.com
 * servers (RFC 1034 §5.3.3 step 2). */
static void test_nxdomain_cached(void **state)
{
    struct fx *f = fx_new(2, 1, 0);
    struct dh *h = f->h;
    struct asker *a = &f->a;
    ask(h, a, "nope.google.com", IB_DNS_T_A, 7, true);
    dh_run_for(h, IB_SEC(1));
    expect_answer(a, 7, IB_DNS_R_NXDOMAIN, 0);
    assert_int_equal(a->m->nscount, 1);
    assert_int_equal(a->m->ns[0].type, IB_DNS_T_SOA);
    assert_string_equal(a->m->ns[0].name, "google.com");
    assert_int_equal(a->m->ns[0].ttl, 60);
    assert_int_equal(dh_auth_queries(h), 3);
    dh_log_clear(h);

    dh_run_for(h, IB_SEC(10));
    ask(h, a, "nope.google.com", IB_DNS_T_A, 8, true);
    dh_run_for(h, IB_SEC(1));
    dh_expect_log(h, "resolver query_rx 10.0.0.1 nope.google.com A rd\n"
                     "resolver cache_hit 10.0.0.1 nope.google.com A nxdomain ttl=50 rcode=3 rd\n"
                     "resolver response_tx 10.0.0.1 nope.google.com A nxdomain ttl=50 rcode=3 "
                     "rd\n");
    expect_answer(a, 8, IB_DNS_R_NXDOMAIN, 0);
    assert_int_equal(a->m->nscount, 1);
    assert_int_equal(a->m->ns[0].ttl, 50);
    assert_int_equal(dh_auth_queries(h), 3);

    struct ib_dns_cache_view v[16];
    size_t n = ib_dns_resolver_cache(f->r, v, 16);
    assert_true(n >= 1);
    assert_string_equal(v[0].name, "nope.google.com");
    assert_true(v[0].negative);
    assert_int_equal(v[0].rcode, IB_DNS_R_NXDOMAIN);

    /* Past its 60 s the entry is gone: asked again, from google.com's
     * cached servers. */
    dh_run_for(h, IB_SEC(50));
    ask(h, a, "nope.google.com", IB_DNS_T_A, 9, true);
    dh_run_for(h, IB_SEC(1));
    dh_expect_log(h, "resolver query_rx 10.0.0.1 nope.google.com A rd\n"
                     "resolver cache_hit nope.google.com A referral zone=google.com "
                     "ns=ns1.google.com addr=10.0.0.12 ttl=172739\n"
                     "resolver query_tx 10.0.0.12 nope.google.com A\n"
                     "resolver response_rx 10.0.0.12 nope.google.com A nxdomain ttl=60 rcode=3\n"
                     "resolver resolved nope.google.com A nxdomain ttl=60 rcode=3\n"
                     "resolver response_tx 10.0.0.1 nope.google.com A nxdomain ttl=60 rcode=3 "
                     "rd\n");
    assert_int_equal(dh_auth_queries(h), 4);
    fx_free(f);
}

/* RFC 7766 §5: a truncated UDP answer from an authority is asked again
 * over TCP, of the same server. */
static void test_truncated_authority_tcp_retry(void **state)
{
    struct fx *f = fx_new(3, 1, 0);
    struct dh *h = f->h;
    h->auth[DH_GOOGLE_I].tc_udp = true;
    struct asker *a = &f->a;
    ask(h, a, "www.google.com", IB_DNS_T_A, 1, true);
    dh_run_for(h, IB_SEC(1));
    dh_expect_log(h, "resolver query_rx 10.0.0.1 www.google.com A rd\n"
                     "resolver query_tx 10.0.0.10 www.google.com A\n"
                     "resolver response_rx 10.0.0.10 www.google.com A referral zone=com "
                     "ns=a.gtld-servers.net addr=10.0.0.11 ttl=172800\n"
                     "resolver query_tx 10.0.0.11 www.google.com A\n"
                     "resolver response_rx 10.0.0.11 www.google.com A referral zone=google.com "
                     "ns=ns1.google.com addr=10.0.0.12 ttl=172800\n"
                     "resolver query_tx 10.0.0.12 www.google.com A\n"
                     "resolver response_rx 10.0.0.12 www.google.com A truncated\n"
                     "resolver query_tx 10.0.0.12 www.google.com A tcp\n"
                     "resolver response_rx 10.0.0.12 www.google.com A answer addr=142.250.0.4 "
                     "ttl=300 tcp\n"
                     "resolver resolved www.google.com A answer addr=142.250.0.4 ttl=300\n"
                     "resolver response_tx 10.0.0.1 www.google.com A answer addr=142.250.0.4 "
                     "ttl=300 rd\n");
    expect_answer(a, 1, IB_DNS_R_NOERROR, 1);
    assert_int_equal(a->m->an[0].rd.a, DH_WWW);
    assert_int_equal(h->auth[DH_GOOGLE_I].udp_queries, 1);
    assert_int_equal(h->auth[DH_GOOGLE_I].tcp_queries, 1);
    fx_free(f);
}

/* RFC 1035 §7.2: a server that does not answer in time is given up on
 * for the next one. */
static void test_silent_authority_next_server(void **state)
{
    struct fx *f = fx_new(4, 2, 0);
    struct dh *h = f->h;
    h->auth[DH_ROOT_I].silent = true;
    struct asker *a = &f->a;
    ib_time t0 = ib_now(&h->w->env);
    ask(h, a, "www.google.com", IB_DNS_T_A, 1, true);
    dh_run_for(h, IB_MS(500));
    assert_int_equal(a->answers, 0);
    dh_run_for(h, IB_SEC(1));
    assert_int_equal(a->answers, 1);
    expect_answer(a, 1, IB_DNS_R_NOERROR, 1);
    assert_int_equal(a->m->an[0].rd.a, DH_WWW);
    assert_int_equal(h->auth[DH_ROOT_I].udp_queries, 1);
    assert_int_equal(h->auth[DH_ROOT2_I].udp_queries, 1);
    const char *want = "resolver query_rx 10.0.0.1 www.google.com A rd\n"
                       "resolver query_tx 10.0.0.10 www.google.com A\n"
                       "resolver response_rx 10.0.0.10 www.google.com A error\n"
                       "resolver query_tx 10.0.0.13 www.google.com A\n"
                       "resolver response_rx 10.0.0.13 www.google.com A referral zone=com";
    assert_memory_equal(h->log, want, strlen(want));
    struct ib_dns_resolver_stats st;
    ib_dns_resolver_get_stats(f->r, &st);
    assert_int_equal(st.timeouts, 1);
    (void)t0;
    fx_free(f);
}

/* All servers silent: 1 + retries queries, 800 ms each, then SERVFAIL. */
static void test_silent_authorities_servfail(void **state)
{
    struct fx *f = fx_new(5, 2, 0);
    struct dh *h = f->h;
    h->auth[DH_ROOT_I].silent = true;
    h->auth[DH_ROOT2_I].silent = true;
    struct asker *a = &f->a;
    ask(h, a, "www.google.com", IB_DNS_T_A, 99, true);
    dh_run_for(h, IB_MS(3100));
    assert_int_equal(a->answers, 0);
    dh_run_for(h, IB_MS(200));
    assert_int_equal(a->answers, 1);
    expect_answer(a, 99, IB_DNS_R_SERVFAIL, 0);
    assert_int_equal(h->auth[DH_ROOT_I].udp_queries, 2);
    assert_int_equal(h->auth[DH_ROOT2_I].udp_queries, 2);
    dh_expect_log(h, "resolver query_rx 10.0.0.1 www.google.com A rd\n"
                     "resolver query_tx 10.0.0.10 www.google.com A\n"
                     "resolver response_rx 10.0.0.10 www.google.com A error\n"
                     "resolver query_tx 10.0.0.13 www.google.com A\n"
                     "resolver response_rx 10.0.0.13 www.google.com A error\n"
                     "resolver query_tx 10.0.0.10 www.google.com A\n"
                     "resolver response_rx 10.0.0.10 www.google.com A error\n"
                     "resolver query_tx 10.0.0.13 www.google.com A\n"
                     "resolver response_rx 10.0.0.13 www.google.com A error\n"
                     "resolver resolved www.google.com A error rcode=2\n"
                     "resolver response_tx 10.0.0.1 www.google.com A error rcode=2 rd\n");
    /* SERVFAIL is not cached: the next query goes out again. */
    h->auth[DH_ROOT_I].silent = false;
    ask(h, a, "www.google.com", IB_DNS_T_A, 100, true);
    dh_run_for(h, IB_SEC(1));
    expect_answer(a, 100, IB_DNS_R_NOERROR, 1);
    fx_free(f);
}

/* Runs events until the google authority has seen a query. */
static void run_until_google_asked(struct dh *h)
{
    while (h->auth[DH_GOOGLE_I].udp_queries == 0) {
        ib_time t = ib_evq_next_time(&h->w->q);
        assert_true(t != IB_TIME_NEVER);
        ib_world_run(h->w, t);
    }
}

static void send_forged(struct dh *h, struct ib_udp_pcb *from, uint16_t id, uint16_t port)
{
    uint8_t b[IB_DNS_UDP_MAX];
    dh_send(from, DH_RESOLVER, port, b, dh_forged(h, b, id));
}

/* RFC 5452 §9.1: a response counts only from the server asked, to the port
 * and with the id of the query, for its question. Forgeries with the wrong
 * source or the wrong id are dropped and poison nothing. */
static void test_forged_responses_dropped(void **state)
{
    struct fx *f = fx_new(6, 1, 0);
    struct dh *h = f->h;
    struct dh_auth *g = &h->auth[DH_GOOGLE_I];
    g->delay = IB_MS(10);
    struct ib_udp_pcb evil = {0};
    assert_int_equal(ib_udp_bind(h->evil, &evil, IB_IP4_ANY, IB_DNS_PORT), 0);
    struct asker *a = &f->a;
    ask(h, a, "www.google.com", IB_DNS_T_A, 5, true);
    run_until_google_asked(h);
    uint16_t id = g->seen[0].id, port = g->seen[0].sport;
    send_forged(h, &evil, id, port);                   /* right id, wrong source */
    send_forged(h, &g->udp, (uint16_t)(id + 1), port); /* right source, wrong id */
    dh_run_for(h, IB_SEC(1));
    assert_int_equal(h->resolver->node.drops[IB_DROP_DNS_UNEXPECTED], 2);
    expect_answer(a, 5, IB_DNS_R_NOERROR, 1);
    assert_int_equal(a->m->an[0].rd.a, DH_WWW);
    assert_int_equal(a->m->an[0].ttl, 300);
    struct ib_dns_cache_view v[8];
    assert_int_equal(ib_dns_resolver_cache(f->r, v, 8), 5);
    assert_string_equal(v[0].name, "www.google.com");
    assert_int_equal(v[0].addr, DH_WWW);
    /* Too late as well: the port is closed once the answer came. */
    send_forged(h, &evil, id, port);
    dh_run_for(h, IB_SEC(1));
    assert_int_equal(h->resolver->node.drops[IB_DROP_UDP_NO_LISTENER], 1);
    ib_udp_close(&evil);
    fx_free(f);
}

/* An authority that refers one label deeper forever: max_queries ends
 * the resolution with SERVFAIL. */
static void test_referral_loop_bounded(void **state)
{
    struct fx *f = fx_new(7, 1, 5);
    struct dh *h = f->h;
    struct asker *a = &f->a;
    ask(h, a, "a.b.c.d.e.f.g.h.i.loop", IB_DNS_T_A, 3, true);
    dh_run_for(h, IB_SEC(2));
    expect_answer(a, 3, IB_DNS_R_SERVFAIL, 0);
    assert_int_equal(h->auth[DH_ROOT_I].udp_queries, 5);
    const char *last = "resolver response_rx 10.0.0.10 a.b.c.d.e.f.g.h.i.loop A referral "
                       "zone=f.g.h.i.loop ns=ns4.f.g.h.i.loop addr=10.0.0.10 ttl=172800\n"
                       "resolver resolved a.b.c.d.e.f.g.h.i.loop A error rcode=2\n";
    assert_non_null(strstr(h->log, last));
    struct ib_dns_resolver_stats st;
    ib_dns_resolver_get_stats(f->r, &st);
    assert_int_equal(st.queries_out, 5);
    assert_int_equal(st.servfails, 1);
    fx_free(f);
}

/* A referral without glue: the name server's address is resolved first,
 * from the root, then the question goes to it. */
static void test_glueless_referral(void **state)
{
    struct fx *f = fx_new(8, 1, 0);
    struct dh *h = f->h;
    struct asker *a = &f->a;
    ask(h, a, "www.example.net", IB_DNS_T_A, 11, true);
    dh_run_for(h, IB_SEC(1));
    dh_expect_log(
        h, "resolver query_rx 10.0.0.1 www.example.net A rd\n"
           "resolver query_tx 10.0.0.10 www.example.net A\n"
           "resolver response_rx 10.0.0.10 www.example.net A referral zone=net "
           "ns=a.gtld-servers.net addr=10.0.0.11 ttl=172800\n"
           "resolver query_tx 10.0.0.11 www.example.net A\n"
           "resolver response_rx 10.0.0.11 www.example.net A referral zone=example.net "
           "ns=ns1.google.com ttl=172800\n"
           "resolver query_tx 10.0.0.10 ns1.google.com A\n"
           "resolver response_rx 10.0.0.10 ns1.google.com A referral zone=com "
           "ns=a.gtld-servers.net addr=10.0.0.11 ttl=172800\n"
           "resolver query_tx 10.0.0.11 ns1.google.com A\n"
           "resolver response_rx 10.0.0.11 ns1.google.com A referral zone=google.com "
           "ns=ns1.google.com addr=10.0.0.12 ttl=172800\n"
           "resolver query_tx 10.0.0.12 ns1.google.com A\n"
           "resolver response_rx 10.0.0.12 ns1.google.com A answer addr=10.0.0.12 ttl=3600\n"
           "resolver resolved ns1.google.com A answer addr=10.0.0.12 ttl=3600\n"
           "resolver query_tx 10.0.0.12 www.example.net A\n"
           "resolver response_rx 10.0.0.12 www.example.net A answer addr=93.184.216.34 ttl=900\n"
           "resolver resolved www.example.net A answer addr=93.184.216.34 ttl=900\n"
           "resolver response_tx 10.0.0.1 www.example.net A answer addr=93.184.216.34 ttl=900 "
           "rd\n");
    expect_answer(a, 11, IB_DNS_R_NOERROR, 1);
    fx_free(f);
}

/* RFC 1034 §3.6.2: the answer carries the CNAME chain and then the
 * records; a CNAME into another zone is followed from step 1. */
static void test_cname_chains(void **state)
{
    struct fx *f = fx_new(9, 1, 0);
    struct dh *h = f->h;
    struct asker *a = &f->a;
    ask(h, a, "mail.google.com", IB_DNS_T_A, 1, true);
    dh_run_for(h, IB_SEC(1));
    expect_answer(a, 1, IB_DNS_R_NOERROR, 2);
    assert_int_equal(a->m->an[0].type, IB_DNS_T_CNAME);
    assert_string_equal(a->m->an[0].name, "mail.google.com");
    assert_string_equal(a->m->an[0].rd.name, "www.google.com");
    assert_int_equal(a->m->an[1].type, IB_DNS_T_A);
    assert_int_equal(a->m->an[1].rd.a, DH_WWW);
    dh_log_clear(h);

    ask(h, a, "alias.google.com", IB_DNS_T_A, 2, true);
    dh_run_for(h, IB_SEC(1));
    expect_answer(a, 2, IB_DNS_R_NOERROR, 2);
    assert_string_equal(a->m->an[0].rd.name, "www.example.net");
    assert_int_equal(a->m->an[1].rd.a, DH_EXAMPLE);
    const char *cname = "resolver response_rx 10.0.0.12 alias.google.com A cname "
                        "ns=www.example.net ttl=600\n"
                        "resolver query_tx 10.0.0.10 www.example.net A\n";
    assert_non_null(strstr(h->log, cname));
    assert_non_null(strstr(h->log, "resolver resolved alias.google.com A answer "
                                   "addr=93.184.216.34 ttl=900\n"));
    dh_log_clear(h);

    /* Both chains now come from the cache alone. */
    uint32_t before = dh_auth_queries(h);
    ask(h, a, "alias.google.com", IB_DNS_T_A, 3, true);
    dh_run_for(h, IB_SEC(1));
    expect_answer(a, 3, IB_DNS_R_NOERROR, 2);
    assert_int_equal(dh_auth_queries(h), before);
    fx_free(f);
}

/* Two clients asking the same question at once share one resolution; a
 * retransmitted query does not start another or get two answers. */
static void test_duplicate_queries_merged(void **state)
{
    struct fx *f = fx_new(10, 1, 0);
    struct dh *h = f->h;
    struct asker *a = &f->a, b;
    asker_open(h, &b, 5354);
    ask(h, a, "www.google.com", IB_DNS_T_A, 1, true);
    ask(h, a, "www.google.com", IB_DNS_T_A, 1, true);
    ask(h, &b, "www.google.com", IB_DNS_T_A, 2, true);
    dh_run_for(h, IB_SEC(1));
    assert_int_equal(a->answers, 1);
    assert_int_equal(b.answers, 1);
    expect_answer(a, 1, IB_DNS_R_NOERROR, 1);
    expect_answer(&b, 2, IB_DNS_R_NOERROR, 1);
    assert_int_equal(h->auth[DH_GOOGLE_I].udp_queries, 1);
    struct ib_dns_resolver_stats st;
    ib_dns_resolver_get_stats(f->r, &st);
    assert_int_equal(st.merged, 1);
    assert_int_equal(st.resolutions, 1);
    asker_close(&b);
    fx_free(f);
}

/* RFC 1034 §4.3.1: without RD nothing is resolved: answered from the cache
 * or refused. A NODATA answer (RFC 2308 §2.2) is an empty NOERROR. */
static void test_no_recursion_and_nodata(void **state)
{
    struct fx *f = fx_new(11, 1, 0);
    struct dh *h = f->h;
    struct asker *a = &f->a;
    ask(h, a, "www.google.com", IB_DNS_T_A, 1, false);
    dh_run_for(h, IB_SEC(1));
    assert_int_equal(a->m->rcode, IB_DNS_R_REFUSED);
    assert_false(a->m->rd);
    assert_int_equal(dh_auth_queries(h), 0);
    ask(h, a, "www.google.com", IB_DNS_T_MX, 2, true);
    dh_run_for(h, IB_SEC(1));
    expect_answer(a, 2, IB_DNS_R_NOERROR, 0);
    assert_int_equal(a->m->nscount, 1);
    assert_int_equal(a->m->ns[0].type, IB_DNS_T_SOA);
    assert_int_equal(a->m->ns[0].ttl, 300);
    assert_non_null(strstr(h->log, "resolver response_tx 10.0.0.1 www.google.com MX nodata "
                                   "ttl=300 rd\n"));
    ask(h, a, "www.google.com", IB_DNS_T_MX, 3, false);
    dh_run_for(h, IB_SEC(1));
    assert_int_equal(a->m->rcode, IB_DNS_R_NOERROR);
    assert_int_equal(a->m->id, 3);
    assert_int_equal(a->m->nscount, 1);
    fx_free(f);
}

/* Stopping with a resolution in flight frees it; the port is free again. */
static void test_stop_while_resolving(void **state)
{
    struct fx *f = fx_new(12, 1, 0);
    struct dh *h = f->h;
    struct asker *a = &f->a;
    ask(h, a, "www.google.com", IB_DNS_T_A, 1, true);
    run_until_google_asked(h);
    ib_dns_resolver_stop(f->r);
    f->r = start(h, 1, 0);
    assert_null(ib_dns_resolver_start(h->resolver, NULL)); /* port 53 is taken */
    fx_free(f);
}

/* Sends raw bytes as a datagram from the client's port. */
static void ask_raw(struct asker *a, const uint8_t *b, size_t n)
{
    dh_send(&a->u, DH_RESOLVER, IB_DNS_PORT, b, n);
}

/* RFC 1035 §4.1.1: what the server cannot serve gets an error rcode
 * (NOTIMP for other opcodes and classes, FORMERR for other than one
 * question); what is not a query at all is dropped and counted. */
static void test_client_errors(void **state)
{
    struct fx *f = fx_new(13, 1, 0);
    struct dh *h = f->h;
    struct asker *a = &f->a;
    /* Header only: id 0x0102, opcode 2 (STATUS), no question. */
    const uint8_t status[] = {0x01, 0x02, 0x11, 0x00, 0, 0, 0, 0, 0, 0, 0, 0};
    ask_raw(a, status, sizeof(status));
    dh_run_for(h, IB_SEC(1));
    assert_int_equal(a->answers, 1);
    assert_int_equal(a->m->id, 0x0102);
    assert_int_equal(a->m->rcode, IB_DNS_R_NOTIMP);
    assert_int_equal(a->m->qdcount, 0);
    const uint8_t noq[] = {0x01, 0x03, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0};
    ask_raw(a, noq, sizeof(noq));
    dh_run_for(h, IB_SEC(1));
    assert_int_equal(a->answers, 2);
    assert_int_equal(a->m->rcode, IB_DNS_R_FORMERR);
    /* CHAOS class (3). */
    const uint8_t chaos[] = {0x01, 0x04, 0x01, 0x00, 0,   1, 0, 0,  0, 0,
                             0,    0,    2,    'i',  'd', 0, 0, 16, 0, 3};
    ask_raw(a, chaos, sizeof(chaos));
    dh_run_for(h, IB_SEC(1));
    assert_int_equal(a->answers, 3);
    assert_int_equal(a->m->rcode, IB_DNS_R_NOTIMP);
    assert_int_equal(a->m->qdcount, 1);
    assert_int_equal(a->m->qd[0].cls, 3);
    /* Garbage, and a response: no answer, counted drops. */
    const uint8_t junk[] = {1, 2, 3};
    const uint8_t resp[] = {0x01, 0x05, 0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 0};
    ask_raw(a, junk, sizeof(junk));
    ask_raw(a, resp, sizeof(resp));
    dh_run_for(h, IB_SEC(1));
    assert_int_equal(a->answers, 3);
    assert_int_equal(h->resolver->node.drops[IB_DROP_DNS_MALFORMED], 1);
    assert_int_equal(h->resolver->node.drops[IB_DROP_DNS_UNEXPECTED], 1);
    assert_int_equal(dh_auth_queries(h), 0);
    fx_free(f);
}

/* A DNS client over TCP, reading everything the resolver sends (unless
 * told to hold off). */
struct tclient {
    struct ib_tcp *c;
    uint8_t buf[4096];
    size_t len;
    bool eof, hold;
    int err;
};

static void tclient_readable(struct ib_tcp *c, void *arg)
{
    struct tclient *t = arg;
    long n;
    while (!t->hold && (n = ib_tcp_recv(c, t->buf + t->len, sizeof(t->buf) - t->len)) > 0)
        t->len += (size_t)n;
    t->eof = ib_tcp_eof(c);
}

static void tclient_error(struct ib_tcp *c, int err, void *arg)
{
    struct tclient *t = arg;
    t->err = err;
}

static const struct ib_tcp_ops tclient_ops = {.readable = tclient_readable, .error = tclient_error};

static size_t tcp_query(struct dh *h, uint8_t *b, const char *name, uint16_t id)
{
    size_t n = dh_query(h, b + 2, name, IB_DNS_T_A, id, true);
    ib_put16(b, (uint16_t)n);
    return n + 2;
}

/* RFC 7766 §6.2.1: several queries on one connection, each answered
 * behind its length when ready; §6.2.3: an idle connection is closed by
 * the server. */
static void test_tcp_clients(void **state)
{
    struct fx *f = fx_new(14, 1, 0);
    struct dh *h = f->h;
    struct tclient t = {0};
    t.c = ib_tcp_connect(h->client, DH_RESOLVER, IB_DNS_PORT, &tclient_ops, &t, NULL);
    assert_non_null(t.c);
    uint8_t b[2 * (2 + IB_DNS_UDP_MAX)];
    size_t n = tcp_query(h, b, "www.google.com", 21);
    n += tcp_query(h, b + n, "nope.google.com", 22);
    assert_int_equal(ib_tcp_send(t.c, b, n), (long)n);
    dh_run_for(h, IB_SEC(1));
    struct ib_dns_msg *m = h->scratch;
    size_t off = 0;
    int seen = 0;
    while (off + 2 <= t.len) {
        size_t len = ib_get16(t.buf + off);
        assert_true(off + 2 + len <= t.len);
        assert_int_equal(ib_dns_parse(t.buf + off + 2, len, m), 0);
        assert_true(m->ra);
        if (m->id == 21) {
            assert_int_equal(m->rcode, IB_DNS_R_NOERROR);
            assert_int_equal(m->an[0].rd.a, DH_WWW);
        } else {
            assert_int_equal(m->id, 22);
            assert_int_equal(m->rcode, IB_DNS_R_NXDOMAIN);
        }
        seen++;
        off += 2 + len;
    }
    assert_int_equal(seen, 2);
    assert_int_equal(off, t.len);
    assert_non_null(strstr(h->log, "resolver query_rx 10.0.0.1 nope.google.com A rd tcp\n"));
    assert_false(t.eof);
    dh_run_for(h, IB_SEC(10));
    assert_true(t.eof);
    ib_tcp_close(t.c);
    fx_free(f);
}

/* RFC 2181 §5.4.1: glue and a referral's NS set say where to ask, never
 * what to answer. Without RD, glue is no answer; asked for ns1.google.com
 * after www.google.com, the resolver asks google.com's server instead of
 * handing out com's glue (TTL 172800), and its answer (TTL 3600) then
 * serves from the cache. */
static void test_glue_not_served(void **state)
{
    struct fx *f = fx_new(15, 1, 0);
    struct dh *h = f->h;
    struct asker *a = &f->a;
    ask(h, a, "www.google.com", IB_DNS_T_A, 1, true);
    dh_run_for(h, IB_SEC(1));
    dh_log_clear(h);
    ask(h, a, "a.gtld-servers.net", IB_DNS_T_A, 2, false);
    dh_run_for(h, IB_SEC(1));
    assert_int_equal(a->m->id, 2);
    assert_int_equal(a->m->rcode, IB_DNS_R_REFUSED);
    assert_int_equal(a->m->ancount, 0);
    assert_int_equal(dh_auth_queries(h), 3);
    dh_log_clear(h);

    ask(h, a, "ns1.google.com", IB_DNS_T_A, 3, true);
    dh_run_for(h, IB_SEC(1));
    dh_expect_log(h, "resolver query_rx 10.0.0.1 ns1.google.com A rd\n"
                     "resolver cache_hit ns1.google.com A referral zone=google.com "
                     "ns=ns1.google.com addr=10.0.0.12 ttl=172799\n"
                     "resolver query_tx 10.0.0.12 ns1.google.com A\n"
                     "resolver response_rx 10.0.0.12 ns1.google.com A answer addr=10.0.0.12 "
                     "ttl=3600\n"
                     "resolver resolved ns1.google.com A answer addr=10.0.0.12 ttl=3600\n"
                     "resolver response_tx 10.0.0.1 ns1.google.com A answer addr=10.0.0.12 "
                     "ttl=3600 rd\n");
    expect_answer(a, 3, IB_DNS_R_NOERROR, 1);
    assert_int_equal(a->m->an[0].rd.a, DH_GOOGLE);
    assert_int_equal(a->m->an[0].ttl, 3600);
    assert_int_equal(h->auth[DH_GOOGLE_I].udp_queries, 2);

    dh_run_for(h, IB_SEC(10));
    ask(h, a, "ns1.google.com", IB_DNS_T_A, 4, false);
    dh_run_for(h, IB_SEC(1));
    assert_int_equal(a->m->id, 4);
    assert_int_equal(a->m->rcode, IB_DNS_R_NOERROR);
    assert_int_equal(a->m->ancount, 1);
    assert_int_equal(a->m->an[0].ttl, 3590);
    assert_int_equal(dh_auth_queries(h), 4);
    fx_free(f);
}

/* google.com with odd TTLs: odd.google.com has one with its top bit set,
 * mixed.google.com an RRset whose TTLs differ, cn.google.com a CNAME with
 * its top bit set. The rest as dh_google_script. */
static void odd_ttl_script(struct dh_auth *a, const struct ib_dns_msg *q, struct ib_dns_msg *out)
{
    const char *qn = q->qd[0].name;
    if (!strcasecmp(qn, "odd.google.com")) {
        dh_a(out, 'a', qn, 0x80000064u, IB_IP4(192, 0, 2, 1));
        dh_a(out, 'a', qn, 300, IB_IP4(192, 0, 2, 2));
    } else if (!strcasecmp(qn, "mixed.google.com")) {
        dh_a(out, 'a', qn, 300, IB_IP4(192, 0, 2, 3));
        dh_a(out, 'a', qn, 100, IB_IP4(192, 0, 2, 4));
        dh_a(out, 'a', qn, 200, IB_IP4(192, 0, 2, 5));
    } else if (!strcasecmp(qn, "cn.google.com")) {
        dh_name(out, 'a', qn, IB_DNS_T_CNAME, 0xfffffff0u, "www.google.com");
        dh_a(out, 'a', "www.google.com", 300, DH_WWW);
    } else {
        dh_google_script(a, q, out);
    }
}

/* RFC 2181 §8: a TTL with its top bit set is 0; §5.2: the records of one
 * set go out with one TTL, the smallest. So from a fresh answer as from
 * the cache; a set with TTL 0 is not cached at all (RFC 1035 §3.2.1). */
static void test_answer_ttls_clamped(void **state)
{
    struct fx *f = fx_new(16, 1, 0);
    struct dh *h = f->h;
    struct asker *a = &f->a;
    h->auth[DH_GOOGLE_I].script = odd_ttl_script;
    ask(h, a, "odd.google.com", IB_DNS_T_A, 1, true);
    dh_run_for(h, IB_SEC(1));
    expect_answer(a, 1, IB_DNS_R_NOERROR, 2);
    assert_int_equal(a->m->an[0].ttl, 0);
    assert_int_equal(a->m->an[1].ttl, 0);
    ask(h, a, "odd.google.com", IB_DNS_T_A, 2, true);
    dh_run_for(h, IB_SEC(1));
    expect_answer(a, 2, IB_DNS_R_NOERROR, 2);
    assert_int_equal(h->auth[DH_GOOGLE_I].udp_queries, 2);

    dh_log_clear(h);
    ask(h, a, "mixed.google.com", IB_DNS_T_A, 3, true);
    dh_run_for(h, IB_SEC(1));
    expect_answer(a, 3, IB_DNS_R_NOERROR, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(a->m->an[i].ttl, 100);
    assert_int_equal(a->m->an[2].rd.a, IB_IP4(192, 0, 2, 5));
    assert_non_null(strstr(h->log, "resolver response_tx 10.0.0.1 mixed.google.com A answer "
                                   "addr=192.0.2.3 ttl=100 rd\n"));
    dh_run_for(h, IB_SEC(30));
    ask(h, a, "mixed.google.com", IB_DNS_T_A, 4, true);
    dh_run_for(h, IB_SEC(1));
    expect_answer(a, 4, IB_DNS_R_NOERROR, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(a->m->an[i].ttl, 70);
    assert_int_equal(h->auth[DH_GOOGLE_I].udp_queries, 3);

    ask(h, a, "cn.google.com", IB_DNS_T_A, 5, true);
    dh_run_for(h, IB_SEC(1));
    expect_answer(a, 5, IB_DNS_R_NOERROR, 2);
    assert_int_equal(a->m->an[0].type, IB_DNS_T_CNAME);
    assert_int_equal(a->m->an[0].ttl, 0);
    assert_int_equal(a->m->an[1].ttl, 300);
    fx_free(f);
}

/* RFC 2308 §5: NXDOMAIN says the name does not exist, so once cached it
 * answers a question of any type about that name, without traffic. */
static void test_nxdomain_covers_every_type(void **state)
{
    struct fx *f = fx_new(17, 1, 0);
    struct dh *h = f->h;
    struct asker *a = &f->a;
    ask(h, a, "nope.google.com", IB_DNS_T_A, 1, true);
    dh_run_for(h, IB_SEC(1));
    expect_answer(a, 1, IB_DNS_R_NXDOMAIN, 0);
    assert_int_equal(dh_auth_queries(h), 3);
    dh_log_clear(h);
    dh_run_for(h, IB_SEC(10));
    ask(h, a, "nope.google.com", IB_DNS_T_MX, 2, true);
    dh_run_for(h, IB_SEC(1));
    dh_expect_log(h, "resolver query_rx 10.0.0.1 nope.google.com MX rd\n"
                     "resolver cache_hit 10.0.0.1 nope.google.com MX nxdomain ttl=50 rcode=3 rd\n"
                     "resolver response_tx 10.0.0.1 nope.google.com MX nxdomain ttl=50 rcode=3 "
                     "rd\n");
    expect_answer(a, 2, IB_DNS_R_NXDOMAIN, 0);
    assert_int_equal(a->m->nscount, 1);
    assert_int_equal(a->m->ns[0].type, IB_DNS_T_SOA);
    assert_int_equal(a->m->ns[0].ttl, 50);
    ask(h, a, "NOPE.google.com", IB_DNS_T_TXT, 3, false);
    dh_run_for(h, IB_SEC(1));
    assert_int_equal(a->m->id, 3);
    assert_int_equal(a->m->rcode, IB_DNS_R_NXDOMAIN);
    assert_int_equal(dh_auth_queries(h), 3);
    fx_free(f);
}

/* How many times auth was asked about name (over UDP). */
static uint32_t times_asked(const struct dh_auth *au, const char *name)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < au->udp_queries && i < DH_MAX_SEEN; i++)
        n += !strcasecmp(au->seen[i].qname, name);
    return n;
}

/* lame.google.com: the first time, a CNAME in a lame response (not
 * authoritative, google.com's own NS in authority, RFC 1034 §5.3.3 step
 * 4d); then the CNAME and its target's address. */
static void lame_once_script(struct dh_auth *a, const struct ib_dns_msg *q, struct ib_dns_msg *out)
{
    const char *qn = q->qd[0].name;
    if (strcasecmp(qn, "lame.google.com") != 0) {
        dh_google_script(a, q, out);
        return;
    }
    dh_name(out, 'a', qn, IB_DNS_T_CNAME, 600, "www.google.com");
    if (times_asked(a, qn) == 1) {
        out->aa = false;
        dh_soa(out, "google.com", 3600, 300);
        dh_name(out, 'n', "google.com", IB_DNS_T_NS, 172800, "ns1.google.com");
    } else {
        dh_a(out, 'a', "www.google.com", 300, DH_WWW);
    }
}

/* A response that is rejected leaves nothing behind: the CNAME it carried
 * is neither in the answer nor in the cache, so the good response from
 * the retry makes the chain once. */
static void test_rejected_response_adds_no_cname(void **state)
{
    struct fx *f = fx_new(18, 1, 0);
    struct dh *h = f->h;
    struct asker *a = &f->a;
    h->auth[DH_GOOGLE_I].script = lame_once_script;
    ask(h, a, "lame.google.com", IB_DNS_T_A, 1, true);
    dh_run_for(h, IB_SEC(1));
    assert_non_null(strstr(h->log, "resolver response_rx 10.0.0.12 lame.google.com A error\n"
                                   "resolver query_tx 10.0.0.12 lame.google.com A\n"));
    assert_int_equal(times_asked(&h->auth[DH_GOOGLE_I], "lame.google.com"), 2);
    expect_answer(a, 1, IB_DNS_R_NOERROR, 2);
    assert_int_equal(a->m->an[0].type, IB_DNS_T_CNAME);
    assert_string_equal(a->m->an[0].rd.name, "www.google.com");
    assert_int_equal(a->m->an[1].type, IB_DNS_T_A);
    assert_int_equal(a->m->an[1].rd.a, DH_WWW);
    /* From the cache, the same two records. */
    ask(h, a, "lame.google.com", IB_DNS_T_A, 2, true);
    dh_run_for(h, IB_SEC(1));
    expect_answer(a, 2, IB_DNS_R_NOERROR, 2);
    assert_int_equal(times_asked(&h->auth[DH_GOOGLE_I], "lame.google.com"), 2);
    fx_free(f);
}

/* Clients asking one question share one resolution, up to
 * RES_MAX_WAITING of them; the others get SERVFAIL at once rather than
 * memory. */
static void test_waiting_clients_bounded(void **state)
{
    struct fx *f = fx_new(19, 1, 0);
    struct dh *h = f->h;
    struct asker *a = &f->a;
    uint16_t n = RES_MAX_WAITING + 6;
    /* In bursts the links' queues take, all before the answer (12 ms). */
    for (uint16_t id = 1; id <= n; id++) {
        ask(h, a, "www.google.com", IB_DNS_T_A, id, true);
        if (id % 10 == 0) dh_run_for(h, IB_MS(1));
    }
    dh_run_for(h, IB_SEC(1));
    assert_int_equal(a->answers, n);
    assert_int_equal(a->servfails, 6);
    struct ib_dns_resolver_stats st;
    ib_dns_resolver_get_stats(f->r, &st);
    assert_int_equal(st.client_queries, n);
    assert_int_equal(st.merged, RES_MAX_WAITING - 1);
    assert_int_equal(st.turned_away, 6);
    assert_int_equal(st.resolutions, 1);
    assert_int_equal(h->auth[DH_GOOGLE_I].udp_queries, 1);
    fx_free(f);
}

/* RFC 7766 §10: the resolver serves at most RES_MAX_CONNS TCP clients
 * at once; the next ones are reset as soon as they are accepted. */
static void test_tcp_connections_bounded(void **state)
{
    struct fx *f = fx_new(20, 1, 0);
    struct dh *h = f->h;
    size_t n = RES_MAX_CONNS + 2;
    struct tclient *t = calloc(n, sizeof(*t));
    assert_non_null(t);
    for (size_t i = 0; i < n; i++) {
        t[i].c = ib_tcp_connect(h->client, DH_RESOLVER, IB_DNS_PORT, &tclient_ops, &t[i], NULL);
        assert_non_null(t[i].c);
        dh_run_for(h, IB_MS(10));
    }
    for (size_t i = 0; i < n; i++)
        assert_int_equal(t[i].err, i < RES_MAX_CONNS ? 0 : IB_ERR_RESET);
    struct ib_dns_resolver_stats st;
    ib_dns_resolver_get_stats(f->r, &st);
    assert_int_equal(st.tcp_refused, 2);
    /* One leaves: there is room for one more. */
    ib_tcp_close(t[0].c);
    dh_run_for(h, IB_MS(10));
    t[0] = (struct tclient){0};
    t[0].c = ib_tcp_connect(h->client, DH_RESOLVER, IB_DNS_PORT, &tclient_ops, &t[0], NULL);
    uint8_t b[2 + IB_DNS_UDP_MAX];
    size_t len = tcp_query(h, b, "www.google.com", 7);
    assert_int_equal(ib_tcp_send(t[0].c, b, len), (long)len);
    dh_run_for(h, IB_SEC(1));
    assert_int_equal(t[0].err, 0);
    assert_true(t[0].len > 2);
    ib_dns_resolver_get_stats(f->r, &st);
    assert_int_equal(st.tcp_refused, 2);
    for (size_t i = 0; i < n; i++)
        ib_tcp_close(t[i].c);
    free(t);
    fx_free(f);
}

/* RFC 7766 §6.2.3: the idle timeout runs from the last whole query or
 * answer; a byte now and then of a query that never ends does not keep
 * the connection open. */
static void test_tcp_idle_ignores_partial_queries(void **state)
{
    struct fx *f = fx_new(21, 1, 0);
    struct dh *h = f->h;
    struct tclient t = {0};
    t.c = ib_tcp_connect(h->client, DH_RESOLVER, IB_DNS_PORT, &tclient_ops, &t, NULL);
    const uint8_t bytes[] = {0x00, 0x20, 0x12};
    for (int i = 0; i < 3; i++) {
        dh_run_for(h, IB_SEC(3));
        assert_int_equal(ib_tcp_send(t.c, &bytes[i], 1), 1);
    }
    dh_run_for(h, IB_MS(900));
    assert_false(t.eof);
    dh_run_for(h, IB_MS(200)); /* 10 s after it was accepted */
    assert_true(t.eof);
    assert_int_equal(t.len, 0);
    ib_tcp_close(t.c);
    fx_free(f);
}

/* Counts the whole answers in t's buffer. */
static int tcp_answers(const struct tclient *t, struct ib_dns_msg *m)
{
    int n = 0;
    for (size_t off = 0; off + 2 <= t->len; n++) {
        size_t len = ib_get16(t->buf + off);
        assert_true(off + 2 + len <= t->len);
        assert_int_equal(ib_dns_parse(t->buf + off + 2, len, m), 0);
        off += 2 + len;
    }
    return n;
}

/* RFC 7766 §6.2.1.1: pipelined queries are read RES_CONN_MAX_PENDING at a
 * time: the rest waits in TCP until answers go out, and all are served. */
static void test_tcp_pipeline_bounded(void **state)
{
    struct fx *f = fx_new(22, 1, 0);
    struct dh *h = f->h;
    h->auth[DH_GOOGLE_I].delay = IB_MS(500);
    struct tclient t = {0};
    t.c = ib_tcp_connect(h->client, DH_RESOLVER, IB_DNS_PORT, &tclient_ops, &t, NULL);
    enum { N = 40 };
    uint8_t b[N * 40];
    size_t n = 0;
    for (uint16_t id = 1; id <= N; id++) {
        assert_true(n + 2 + 32 <= sizeof(b));
        n += tcp_query(h, b + n, "www.google.com", id);
    }
    assert_int_equal(ib_tcp_send(t.c, b, n), (long)n);
    run_until_google_asked(h);
    dh_run_for(h, IB_MS(100));
    struct ib_dns_resolver_stats st;
    ib_dns_resolver_get_stats(f->r, &st);
    assert_int_equal(st.client_queries, RES_CONN_MAX_PENDING);
    assert_int_equal(st.merged, RES_CONN_MAX_PENDING - 1);
    dh_run_for(h, IB_SEC(1));
    assert_int_equal(tcp_answers(&t, h->scratch), N);
    ib_dns_resolver_get_stats(f->r, &st);
    assert_int_equal(st.client_queries, N);
    assert_int_equal(st.resolutions, 1);
    assert_int_equal(st.cache_hits, N - RES_CONN_MAX_PENDING);
    ib_tcp_close(t.c);
    fx_free(f);
}

/* RFC 7766 §10: a client that pipelines queries with large answers
 * and reads none of them is reset once more than RES_CONN_OUT_MAX would
 * wait for TCP. alias.google.com is a CNAME to www.example.net, whose
 * TXT set (60 records of 500 bytes) is put in the cache beforehand. */
static void test_tcp_unread_answers_reset(void **state)
{
    struct fx *f = fx_new(23, 1, 0);
    struct dh *h = f->h;
    h->resolver->cfg.tcp.sndbuf = 16384;
    struct ib_dns_rr txt[60];
    memset(txt, 0, sizeof(txt));
    for (int i = 0; i < 60; i++) {
        snprintf(txt[i].name, sizeof(txt[i].name), "www.example.net");
        txt[i].type = IB_DNS_T_TXT;
        txt[i].cls = IB_DNS_C_IN;
        txt[i].ttl = 3600;
        txt[i].rd.raw.len = 500;
        txt[i].rd.raw.data[0] = 249;
        txt[i].rd.raw.data[250] = 249;
        txt[i].rd.raw.data[1] = (uint8_t)i;
    }
    assert_int_equal(ib_dns_cache_put(f->r->cache, ib_now(&h->w->env), IB_DNS_RANK_AUTH, txt, 60,
                                      "www.example.net", IB_DNS_T_TXT),
                     60);
    struct ib_tcp_config cc = ib_tcp_defaults;
    cc.rcvbuf = 4096;
    struct tclient t = {.hold = true};
    t.c = ib_tcp_connect(h->client, DH_RESOLVER, IB_DNS_PORT, &tclient_ops, &t, &cc);
    uint8_t b[RES_CONN_MAX_PENDING * 40];
    size_t n = 0;
    for (uint16_t id = 1; id <= RES_CONN_MAX_PENDING; id++) {
        size_t q =
            dns_query(b + n + 2, IB_DNS_UDP_MAX, id, "alias.google.com", IB_DNS_T_TXT, true, 0);
        ib_put16(b + n, (uint16_t)q);
        n += 2 + q;
    }
    assert_int_equal(ib_tcp_send(t.c, b, n), (long)n);
    dh_run_for(h, IB_SEC(1));
    struct ib_dns_resolver_stats st;
    ib_dns_resolver_get_stats(f->r, &st);
    assert_int_equal(st.client_queries, RES_CONN_MAX_PENDING);
    assert_int_equal(st.resolutions, 1);
    assert_int_equal(st.tcp_dropped, 1);
    assert_int_equal(t.err, IB_ERR_RESET);
    assert_non_null(strstr(h->log, "resolver resolved alias.google.com TXT answer ttl=3600\n"));
    ib_tcp_close(t.c);
    fx_free(f);
}
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolve_via_referrals_then_cache),
        cmocka_unit_test(test_nxdomain_cached),
        cmocka_unit_test(test_truncated_authority_tcp_retry),
        cmocka_unit_test(test_silent_authority_next_server),
        cmocka_unit_test(test_silent_authorities_servfail),
        cmocka_unit_test(test_forged_responses_dropped),
        cmocka_unit_test(test_referral_loop_bounded),
        cmocka_unit_test(test_glueless_referral),
        cmocka_unit_test(test_cname_chains),
        cmocka_unit_test(test_duplicate_queries_merged),
        cmocka_unit_test(test_no_recursion_and_nodata),
        cmocka_unit_test(test_stop_while_resolving),
        cmocka_unit_test(test_client_errors),
        cmocka_unit_test(test_tcp_clients),
        cmocka_unit_test(test_glue_not_served),
        cmocka_unit_test(test_answer_ttls_clamped),
        cmocka_unit_test(test_nxdomain_covers_every_type),
        cmocka_unit_test(test_rejected_response_adds_no_cname),
        cmocka_unit_test(test_waiting_clients_bounded),
        cmocka_unit_test(test_tcp_connections_bounded),
        cmocka_unit_test(test_tcp_idle_ignores_partial_queries),
        cmocka_unit_test(test_tcp_pipeline_bounded),
        cmocka_unit_test(test_tcp_unread_answers_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
