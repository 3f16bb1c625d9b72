/* The stub resolver (RFC 1123 §6.1.3.1) on the harness's client host. Its
 * server is a scripted one that answers the way a recursive server would
 * (dns_harness.h's google authority, at 10.0.0.12), or the real recursive
 * resolver at 10.0.0.2 for the end-to-end case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "dns_harness.h"
#include "inetbox/dns_resolver.h"

struct result {
    int calls;
    int err;
    char name[IB_DNS_NAME_SIZE];
    ib_ip4 addr;
    uint32_t ttl;
    ib_time at;
    struct dh *h;
    bool inside; /* set while ib_dns_lookup runs */
};

static void on_done(void *arg, int err, const char *name, ib_ip4 addr, uint32_t ttl)
{
    struct result *r = arg;
    assert_false(r->inside);
    r->calls++;
    r->err = err;
    snprintf(r->name, sizeof(r->name), "%s", name);
    r->addr = addr;
    r->ttl = ttl;
    r->at = ib_now(&r->h->w->env);
}

static struct ib_dns_lookup *lookup(struct dh *h, struct result *r, const char *name, ib_ip4 server)
{
    memset(r, 0, sizeof(*r));
    r->h = h;
    r->inside = true;
    struct ib_dns_lookup *l = ib_dns_lookup(h->client, name, server, on_done, r);
    r->inside = false;
    return l;
}

/* An A record from the server named, with the events of the exchange. */
static void test_lookup_answer(void **state)
{
    struct dh *h = dh_new(21);
    struct result r;
    assert_non_null(lookup(h, &r, "www.google.com", DH_GOOGLE));
    dh_run_for(h, IB_SEC(1));
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.err, 0);
    assert_string_equal(r.name, "www.google.com");
    assert_int_equal(r.addr, DH_WWW);
    assert_int_equal(r.ttl, 300);
    dh_expect_log(h, "client query_tx 10.0.0.12 www.google.com A rd\n"
                     "client response_rx 10.0.0.12 www.google.com A answer addr=142.250.0.4 "
                     "ttl=300 rd\n"
                     "client resolved www.google.com A answer addr=142.250.0.4 ttl=300 rd\n");
    const struct dh_auth *g = &h->auth[DH_GOOGLE_I];
    assert_int_equal(g->udp_queries, 1);
    assert_int_equal(g->seen[0].src, DH_CLIENT);
    assert_true(g->seen[0].sport >= 1024);
    dh_free(h);
}

/* Server 0: the stack's resolver list (resolv.conf), in order; the CNAME
 * chain is followed and the TTL is the smallest along it. */
static void test_lookup_resolv_list_cname(void **state)
{
    struct dh *h = dh_new(22);
    h->client->resolv.servers[0] = DH_GOOGLE;
    h->client->resolv.n = 1;
    struct result r;
    assert_non_null(lookup(h, &r, "mail.google.com.", 0));
    dh_run_for(h, IB_SEC(1));
    assert_int_equal(r.err, 0);
    assert_string_equal(r.name, "mail.google.com");
    assert_int_equal(r.addr, DH_WWW);
    assert_int_equal(r.ttl, 300);
    /* Nothing to ask: no server, or no name. The error comes from the
     * event loop all the same. */
    h->client->resolv.n = 0;
    assert_non_null(lookup(h, &r, "www.google.com", 0));
    assert_int_equal(r.calls, 0);
    dh_run_for(h, 0);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.err, IB_ERR_NOROUTE);
    assert_non_null(lookup(h, &r, "bad..name", DH_GOOGLE));
    dh_run_for(h, 0);
    assert_int_equal(r.err, IB_ERR_INVAL);
    assert_null(ib_dns_lookup(h->client, NULL, DH_GOOGLE, on_done, &r));
    assert_int_equal(h->auth[DH_GOOGLE_I].udp_queries, 1);
    dh_free(h);
}

/* RFC 7766 §5: a truncated answer is asked again over TCP. */
static void test_truncated_tcp(void **state)
{
    struct dh *h = dh_new(23);
    h->auth[DH_GOOGLE_I].tc_udp = true;
    struct result r;
    assert_non_null(lookup(h, &r, "www.google.com", DH_GOOGLE));
    dh_run_for(h, IB_SEC(1));
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.addr, DH_WWW);
    assert_int_equal(h->auth[DH_GOOGLE_I].udp_queries, 1);
    assert_int_equal(h->auth[DH_GOOGLE_I].tcp_queries, 1);
    dh_expect_log(h, "client query_tx 10.0.0.12 www.google.com A rd\n"
                     "client response_rx 10.0.0.12 www.google.com A truncated rd\n"
                     "client query_tx 10.0.0.12 www.google.com A rd tcp\n"
                     "client response_rx 10.0.0.12 www.google.com A answer addr=142.250.0.4 "
                     "ttl=300 rd tcp\n"
                     "client resolved www.google.com A answer addr=142.250.0.4 ttl=300 rd\n");
    dh_free(h);
}

/* Two tries, one second apart, then IB_ERR_TIMEOUT. */
static void test_timeout(void **state)
{
    struct dh *h = dh_new(24);
    h->auth[DH_GOOGLE_I].silent = true;
    struct result r;
    ib_time t0 = ib_now(&h->w->env);
    assert_non_null(lookup(h, &r, "www.google.com", DH_GOOGLE));
    dh_run_for(h, IB_SEC(5));
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.err, IB_ERR_TIMEOUT);
    assert_int_equal(r.addr, 0);
    assert_int_equal(r.at, t0 + IB_SEC(2));
    assert_int_equal(h->auth[DH_GOOGLE_I].udp_queries, 2);
    dh_expect_log(h, "client query_tx 10.0.0.12 www.google.com A rd\n"
                     "client response_rx 10.0.0.12 www.google.com A error rd\n"
                     "client query_tx 10.0.0.12 www.google.com A rd\n"
                     "client response_rx 10.0.0.12 www.google.com A error rd\n"
                     "client resolved www.google.com A error rd\n");
    dh_free(h);
}

/* RFC 1035 §7.2: the servers in turn: a silent first one costs one
 * timeout, the second answers. */
static void test_next_server(void **state)
{
    struct dh *h = dh_new(25);
    h->auth[DH_ROOT_I].silent = true;
    h->client->resolv.servers[0] = DH_ROOT;
    h->client->resolv.servers[1] = DH_GOOGLE;
    h->client->resolv.n = 2;
    struct result r;
    ib_time t0 = ib_now(&h->w->env);
    assert_non_null(lookup(h, &r, "www.google.com", 0));
    dh_run_for(h, IB_SEC(5));
    assert_int_equal(r.err, 0);
    assert_int_equal(r.addr, DH_WWW);
    assert_true(r.at > t0 + IB_SEC(1) && r.at < t0 + IB_SEC(1) + IB_MS(100));
    assert_int_equal(h->auth[DH_ROOT_I].udp_queries, 1);
    assert_int_equal(h->auth[DH_GOOGLE_I].udp_queries, 1);
    dh_free(h);
}

/* NXDOMAIN (RFC 2308 §2.1) is IB_ERR_NOTFOUND; SERVFAIL from the only
 * server is IB_ERR_SERVFAIL, and that server is not asked again. */
static void test_nxdomain_and_servfail(void **state)
{
    struct dh *h = dh_new(26);
    struct result r;
    assert_non_null(lookup(h, &r, "nope.google.com", DH_GOOGLE));
    dh_run_for(h, IB_SEC(1));
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.err, IB_ERR_NOTFOUND);
    assert_int_equal(r.ttl, 60);
    dh_expect_log(h, "client query_tx 10.0.0.12 nope.google.com A rd\n"
                     "client response_rx 10.0.0.12 nope.google.com A nxdomain ttl=60 rcode=3 "
                     "rd\n"
                     "client resolved nope.google.com A nxdomain ttl=60 rd\n");
    assert_non_null(lookup(h, &r, "servfail.google.com", DH_GOOGLE));
    dh_run_for(h, IB_SEC(3));
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.err, IB_ERR_SERVFAIL);
    assert_int_equal(h->auth[DH_GOOGLE_I].udp_queries, 2);
    dh_free(h);
}

/* Cancelled before the answer: done never runs, nothing is left behind
 * (the answer that still comes finds the port closed). */
static void test_cancel(void **state)
{
    struct dh *h = dh_new(27);
    struct result r;
    struct ib_dns_lookup *l = lookup(h, &r, "www.google.com", DH_GOOGLE);
    dh_run_for(h, IB_MS(1));
    ib_dns_lookup_cancel(l);
    dh_run_for(h, IB_SEC(3));
    assert_int_equal(r.calls, 0);
    assert_int_equal(h->auth[DH_GOOGLE_I].udp_queries, 1);
    assert_int_equal(h->client->node.drops[IB_DROP_UDP_NO_LISTENER], 1);
    l = lookup(h, &r, "www.google.com", DH_GOOGLE);
    ib_dns_lookup_cancel(l); /* before anything was sent */
    l = lookup(h, &r, "10.9.8.7", 0);
    ib_dns_lookup_cancel(l);
    dh_run_for(h, IB_SEC(3));
    assert_int_equal(r.calls, 0);
    assert_int_equal(h->auth[DH_GOOGLE_I].udp_queries, 1);
    dh_free(h);
}

/* RFC 5452 §9: every lookup has its own random id and source port. */
static void test_ids_and_ports_differ(void **state)
{
    struct dh *h = dh_new(28);
    struct result r[4];
    for (int i = 0; i < 4; i++)
        assert_non_null(lookup(h, &r[i], "www.google.com", DH_GOOGLE));
    dh_run_for(h, IB_SEC(1));
    const struct dh_auth *g = &h->auth[DH_GOOGLE_I];
    assert_int_equal(g->udp_queries, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(r[i].err, 0);
        for (int j = 0; j < i; j++) {
            assert_int_not_equal(g->seen[i].sport, g->seen[j].sport);
            assert_int_not_equal(g->seen[i].id, g->seen[j].id);
        }
    }
    dh_free(h);
}

/* An IPv4 literal needs no query: done comes from a zero-delay timer. */
static void test_literal(void **state)
{
    struct dh *h = dh_new(29);
    struct result r;
    ib_time t0 = ib_now(&h->w->env);
    assert_non_null(lookup(h, &r, "192.0.2.7", 0));
    assert_int_equal(r.calls, 0);
    dh_run_for(h, 0);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.addr, IB_IP4(192, 0, 2, 7));
    assert_int_equal(r.at, t0);
    assert_int_equal(dh_auth_queries(h), 0);
    dh_free(h);
}

/* A response from another address than the server asked is dropped
 * (RFC 5452 §3); the real one is still taken. */
static void test_forged_dropped(void **state)
{
    struct dh *h = dh_new(30);
    struct dh_auth *g = &h->auth[DH_GOOGLE_I];
    g->delay = IB_MS(10);
    struct ib_udp_pcb evil = {0};
    assert_int_equal(ib_udp_bind(h->evil, &evil, IB_IP4_ANY, IB_DNS_PORT), 0);
    struct result r;
    assert_non_null(lookup(h, &r, "www.google.com", DH_GOOGLE));
    while (g->udp_queries == 0)
        ib_world_run(h->w, ib_evq_next_time(&h->w->q));
    /* Right port, id and question, from the wrong host, before the
     * authority's own (held 10 ms) answer. */
    uint8_t b[IB_DNS_UDP_MAX];
    size_t n = dh_forged(h, b, g->seen[0].id);
    dh_send(&evil, DH_CLIENT, g->seen[0].sport, b, n);
    dh_run_for(h, IB_SEC(1));
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.addr, DH_WWW);
    assert_int_equal(h->client->node.drops[IB_DROP_DNS_UNEXPECTED], 1);
    ib_udp_close(&evil);
    dh_free(h);
}

/* End to end: stub -> recursive resolver -> authorities. Forty addresses
 * do not fit in 512 bytes: the authority's answer comes truncated and the
 * resolver asks it over TCP; the resolver's answer to the stub is
 * truncated too, and the stub asks the resolver over TCP, which answers
 * from its cache. */
static void test_through_resolver_tcp(void **state)
{
    struct dh *h = dh_new(31);
    static const struct ib_dns_hint hint = {"a.root-servers.net", DH_ROOT};
    struct ib_dns_resolver_config cfg = ib_dns_resolver_defaults;
    cfg.hints = &hint;
    cfg.n_hints = 1;
    struct ib_dns_resolver *res = ib_dns_resolver_start(h->resolver, &cfg);
    assert_non_null(res);
    struct result r;
    assert_non_null(lookup(h, &r, "big.google.com", DH_RESOLVER));
    dh_run_for(h, IB_SEC(2));
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.addr, IB_IP4(172, 16, 0, 1));
    assert_int_equal(r.ttl, 120);
    assert_int_equal(h->auth[DH_GOOGLE_I].tcp_queries, 1);
    const char *tail =
        "client response_rx 10.0.0.2 big.google.com A truncated rd\n"
        "client query_tx 10.0.0.2 big.google.com A rd tcp\n"
        "resolver query_rx 10.0.0.1 big.google.com A rd tcp\n"
        "resolver cache_hit 10.0.0.1 big.google.com A answer addr=172.16.0.1 ttl=120 rd tcp\n"
        "resolver response_tx 10.0.0.1 big.google.com A answer addr=172.16.0.1 ttl=120 rd tcp\n"
        "client response_rx 10.0.0.2 big.google.com A answer addr=172.16.0.1 ttl=120 rd tcp\n"
        "client resolved big.google.com A answer addr=172.16.0.1 ttl=120 rd\n";
    size_t n = strlen(h->log), k = strlen(tail);
    assert_true(n >= k);
    if (strcmp(h->log + n - k, tail) != 0) fail_msg("log:\n%s", h->log);
    /* Its TCP connection closes when the client closes (idle otherwise). */
    dh_run_for(h, IB_SEC(30));
    ib_dns_resolver_stop(res);
    dh_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup_answer),
        cmocka_unit_test(test_lookup_resolv_list_cname),
        cmocka_unit_test(test_truncated_tcp),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_next_server),
        cmocka_unit_test(test_nxdomain_and_servfail),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_ids_and_ports_differ),
        cmocka_unit_test(test_literal),
        cmocka_unit_test(test_forged_dropped),
        cmocka_unit_test(test_through_resolver_tcp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
