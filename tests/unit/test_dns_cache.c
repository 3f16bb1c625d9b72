/* The resolver's cache: TTLs that count down and expire (RFC 1035 §3.2.1),
 * RRsets stored whole with their smallest TTL (RFC 2181 §5.2), negative
 * entries (RFC 2308 §5), names without regard to case (RFC 1035 §2.3.3),
 * ranking (RFC 2181 §5.4.1) and a bound on the records held. The clock is
 * an argument, so every instant is exact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "dns/dns_cache.h"

static struct ib_dns_rr rr_of(const char *name, uint16_t type, uint32_t ttl)
{
    struct ib_dns_rr r;
    memset(&r, 0, sizeof(r));
    snprintf(r.name, sizeof(r.name), "%s", name);
    r.type = type;
    r.cls = IB_DNS_C_IN;
    r.ttl = ttl;
    return r;
}

static struct ib_dns_rr rr_a(const char *name, uint32_t ttl, ib_ip4 a)
{
    struct ib_dns_rr r = rr_of(name, IB_DNS_T_A, ttl);
    r.rd.a = a;
    return r;
}

static struct ib_dns_rr rr_soa(const char *zone, uint32_t ttl)
{
    struct ib_dns_rr r = rr_of(zone, IB_DNS_T_SOA, ttl);
    snprintf(r.rd.soa.mname, sizeof(r.rd.soa.mname), "ns.%s", zone);
    r.rd.soa.minimum = 60;
    return r;
}

#define T0 IB_SEC(1000)

/* Host i of a numbered family ("h3.test"): an A set of one record. */
static size_t put_host(struct ib_dns_cache *c, ib_time now, const char *fmt, int i)
{
    char name[32];
    snprintf(name, sizeof(name), fmt, i);
    struct ib_dns_rr a = rr_a(name, 300, (ib_ip4)i + 1);
    return ib_dns_cache_put(c, now, IB_DNS_RANK_AUTH, &a, 1, name, IB_DNS_T_A);
}

static const struct ib_dns_centry *get_host(struct ib_dns_cache *c, const char *fmt, int i)
{
    char name[32];
    snprintf(name, sizeof(name), fmt, i);
    return ib_dns_cache_get(c, T0, name, IB_DNS_T_A, IB_DNS_RANK_GLUE);
}

/* RFC 2181 §5.2: a set's records share one TTL, the smallest; what is
 * served counts down from it (rounded up) and is gone when it ends. */
static void test_ttl_countdown_and_expiry(void **state)
{
    struct ib_dns_cache *c = ib_dns_cache_new(100);
    assert_non_null(c);
    struct ib_dns_rr sec[3] = {
        rr_a("www.example.com", 300, IB_IP4(192, 0, 2, 1)),
        rr_a("other.example.com", 10, IB_IP4(192, 0, 2, 9)), /* another name: not in the set */
        rr_a("www.example.com", 200, IB_IP4(192, 0, 2, 2)),
    };
    assert_int_equal(
        ib_dns_cache_put(c, T0, IB_DNS_RANK_AUTH, sec, 3, "www.example.com", IB_DNS_T_A), 2);
    const struct ib_dns_centry *e =
        ib_dns_cache_get(c, T0, "www.example.com", IB_DNS_T_A, IB_DNS_RANK_GLUE);
    assert_non_null(e);
    assert_int_equal(e->n, 2);
    assert_int_equal(e->rr[0].rd.a, IB_IP4(192, 0, 2, 1));
    assert_int_equal(e->rr[1].rd.a, IB_IP4(192, 0, 2, 2));
    assert_false(e->negative);
    assert_int_equal(ib_dns_centry_ttl(e, T0), 200);
    assert_int_equal(ib_dns_centry_ttl(e, T0 + IB_MS(1)), 200);
    assert_int_equal(ib_dns_centry_ttl(e, T0 + IB_SEC(50)), 150);
    assert_int_equal(ib_dns_centry_ttl(e, T0 + IB_SEC(199) + IB_MS(500)), 1);
    assert_non_null(
        ib_dns_cache_get(c, T0 + IB_SEC(200) - 1, "www.example.com", IB_DNS_T_A, IB_DNS_RANK_GLUE));
    assert_int_equal(ib_dns_cache_used(c), 2);
    /* Expired: never served, and the records are freed. */
    assert_null(
        ib_dns_cache_get(c, T0 + IB_SEC(200), "www.example.com", IB_DNS_T_A, IB_DNS_RANK_GLUE));
    assert_int_equal(ib_dns_cache_used(c), 0);
    assert_null(ib_dns_cache_get(c, T0, "www.example.com", IB_DNS_T_A, IB_DNS_RANK_GLUE));
    ib_dns_cache_free(c);
}

/* RFC 1035 §3.2.1: TTL 0 is for the transaction in progress only; RFC
 * 2181 §8: a TTL with its top bit set means 0; RFC 8767 §4: at most 7
 * days are kept. */
static void test_ttl_limits(void **state)
{
    struct ib_dns_cache *c = ib_dns_cache_new(100);
    struct ib_dns_rr zero = rr_a("zero.test", 0, 1), neg = rr_a("neg.test", 0x80000001u, 1),
                     big = rr_a("big.test", 0x7fffffffu, 1);
    assert_int_equal(ib_dns_cache_put(c, T0, IB_DNS_RANK_AUTH, &zero, 1, "zero.test", 1), 0);
    assert_int_equal(ib_dns_cache_put(c, T0, IB_DNS_RANK_AUTH, &neg, 1, "neg.test", 1), 0);
    assert_int_equal(ib_dns_cache_put(c, T0, IB_DNS_RANK_AUTH, &big, 1, "big.test", 1), 1);
    assert_null(ib_dns_cache_get(c, T0, "zero.test", IB_DNS_T_A, IB_DNS_RANK_GLUE));
    assert_null(ib_dns_cache_get(c, T0, "neg.test", IB_DNS_T_A, IB_DNS_RANK_GLUE));
    const struct ib_dns_centry *e =
        ib_dns_cache_get(c, T0, "big.test", IB_DNS_T_A, IB_DNS_RANK_GLUE);
    assert_non_null(e);
    assert_int_equal(ib_dns_centry_ttl(e, T0), 604800);
    assert_int_equal(e->rr[0].ttl, 604800);
    ib_dns_cache_free(c);
}

/* RFC 2308 §5: a negative answer is cached with its SOA for the TTL the
 * resolver worked out; NXDOMAIN and NODATA keep their rcode; NODATA is
 * about its type only. */
static void test_negative_entries(void **state)
{
    struct ib_dns_cache *c = ib_dns_cache_new(100);
    struct ib_dns_rr soa = rr_soa("example.com", 3600);
    ib_dns_cache_put_neg(c, T0, "nope.example.com", IB_DNS_T_A, IB_DNS_R_NXDOMAIN, &soa, 60);
    ib_dns_cache_put_neg(c, T0, "www.example.com", IB_DNS_T_MX, IB_DNS_R_NOERROR, NULL, 30);
    ib_dns_cache_put_neg(c, T0, "zero.example.com", IB_DNS_T_A, IB_DNS_R_NXDOMAIN, &soa, 0);
    const struct ib_dns_centry *e =
        ib_dns_cache_get(c, T0 + IB_SEC(10), "nope.example.com", IB_DNS_T_A, IB_DNS_RANK_GLUE);
    assert_non_null(e);
    assert_true(e->negative);
    assert_int_equal(e->rcode, IB_DNS_R_NXDOMAIN);
    assert_int_equal(e->n, 1);
    assert_int_equal(e->rr[0].type, IB_DNS_T_SOA);
    assert_string_equal(e->rr[0].name, "example.com");
    assert_int_equal(e->rr[0].ttl, 60);
    assert_int_equal(ib_dns_centry_ttl(e, T0 + IB_SEC(10)), 50);
    e = ib_dns_cache_get(c, T0, "www.example.com", IB_DNS_T_MX, IB_DNS_RANK_GLUE);
    assert_non_null(e);
    assert_true(e->negative);
    assert_int_equal(e->rcode, IB_DNS_R_NOERROR);
    assert_int_equal(e->n, 0);
    assert_null(ib_dns_cache_get(c, T0, "www.example.com", IB_DNS_T_A, IB_DNS_RANK_GLUE));
    assert_null(ib_dns_cache_get(c, T0, "zero.example.com", IB_DNS_T_A, IB_DNS_RANK_GLUE));
    assert_null(
        ib_dns_cache_get(c, T0 + IB_SEC(60), "nope.example.com", IB_DNS_T_A, IB_DNS_RANK_GLUE));
    /* A positive answer replaces a negative one. */
    struct ib_dns_rr mx = rr_of("www.example.com", IB_DNS_T_MX, 100);
    snprintf(mx.rd.mx.host, sizeof(mx.rd.mx.host), "mail.example.com");
    assert_int_equal(
        ib_dns_cache_put(c, T0, IB_DNS_RANK_AUTH, &mx, 1, "www.example.com", IB_DNS_T_MX), 1);
    e = ib_dns_cache_get(c, T0, "www.example.com", IB_DNS_T_MX, IB_DNS_RANK_GLUE);
    assert_false(e->negative);
    assert_string_equal(e->rr[0].rd.mx.host, "mail.example.com");
    ib_dns_cache_free(c);
}

/* RFC 2308 §5: NXDOMAIN says the name does not exist, so it answers for
 * every type (one entry, type 0), and hides what was cached for the name
 * before; data stored for the name afterwards (records or NODATA) ends
 * it. */
static void test_nxdomain_every_type(void **state)
{
    struct ib_dns_cache *c = ib_dns_cache_new(100);
    struct ib_dns_rr soa = rr_soa("example.com", 3600);
    struct ib_dns_rr old = rr_a("gone.example.com", 300, IB_IP4(192, 0, 2, 7));
    ib_dns_cache_put(c, T0, IB_DNS_RANK_AUTH, &old, 1, "gone.example.com", IB_DNS_T_A);
    ib_dns_cache_put_neg(c, T0 + IB_SEC(1), "gone.example.com", IB_DNS_T_MX, IB_DNS_R_NXDOMAIN,
                         &soa, 60);
    static const uint16_t types[] = {IB_DNS_T_A, IB_DNS_T_MX, IB_DNS_T_NS, IB_DNS_T_CNAME};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        const struct ib_dns_centry *e =
            ib_dns_cache_get(c, T0 + IB_SEC(2), "GONE.example.com", types[i], IB_DNS_RANK_ANSWER);
        assert_non_null(e);
        assert_true(e->negative);
        assert_int_equal(e->rcode, IB_DNS_R_NXDOMAIN);
        assert_int_equal(e->rr[0].type, IB_DNS_T_SOA);
        assert_int_equal(ib_dns_centry_ttl(e, T0 + IB_SEC(2)), 59);
    }
    struct ib_dns_cache_view v[4];
    assert_int_equal(ib_dns_cache_view(c, T0 + IB_SEC(2), v, 4), 2);
    assert_string_equal(v[0].name, "gone.example.com");
    assert_int_equal(v[0].type, IB_DNS_CACHE_NXDOMAIN);
    assert_true(v[0].negative);
    /* A second NXDOMAIN replaces the first rather than adding one. */
    ib_dns_cache_put_neg(c, T0 + IB_SEC(2), "gone.example.com", IB_DNS_T_A, IB_DNS_R_NXDOMAIN, &soa,
                         30);
    assert_int_equal(ib_dns_cache_used(c), 2);
    /* The name comes back: its new record ends the NXDOMAIN entry. */
    struct ib_dns_rr back = rr_a("gone.example.com", 300, IB_IP4(192, 0, 2, 8));
    assert_int_equal(ib_dns_cache_put(c, T0 + IB_SEC(3), IB_DNS_RANK_AUTH, &back, 1,
                                      "gone.example.com", IB_DNS_T_A),
                     1);
    const struct ib_dns_centry *e =
        ib_dns_cache_get(c, T0 + IB_SEC(3), "gone.example.com", IB_DNS_T_A, IB_DNS_RANK_ANSWER);
    assert_false(e->negative);
    assert_int_equal(e->rr[0].rd.a, IB_IP4(192, 0, 2, 8));
    assert_null(
        ib_dns_cache_get(c, T0 + IB_SEC(3), "gone.example.com", IB_DNS_T_MX, IB_DNS_RANK_GLUE));
    assert_int_equal(ib_dns_cache_used(c), 1);
    /* So does NODATA: the name exists, without that type. */
    ib_dns_cache_put_neg(c, T0 + IB_SEC(4), "gone.example.com", IB_DNS_T_TXT, IB_DNS_R_NXDOMAIN,
                         &soa, 60);
    ib_dns_cache_put_neg(c, T0 + IB_SEC(5), "gone.example.com", IB_DNS_T_MX, IB_DNS_R_NOERROR, &soa,
                         60);
    assert_null(
        ib_dns_cache_get(c, T0 + IB_SEC(5), "gone.example.com", IB_DNS_T_TXT, IB_DNS_RANK_GLUE));
    e = ib_dns_cache_get(c, T0 + IB_SEC(5), "gone.example.com", IB_DNS_T_MX, IB_DNS_RANK_ANSWER);
    assert_int_equal(e->rcode, IB_DNS_R_NOERROR);
    ib_dns_cache_free(c);
}

/* RFC 1035 §2.3.3: "WWW.Example.COM" and "www.example.com" are one key;
 * the type is part of it. */
static void test_case_insensitive_keys(void **state)
{
    struct ib_dns_cache *c = ib_dns_cache_new(100);
    struct ib_dns_rr a = rr_a("WWW.Example.COM", 300, IB_IP4(192, 0, 2, 1));
    assert_int_equal(
        ib_dns_cache_put(c, T0, IB_DNS_RANK_AUTH, &a, 1, "www.EXAMPLE.com", IB_DNS_T_A), 1);
    const struct ib_dns_centry *e =
        ib_dns_cache_get(c, T0, "www.example.com", IB_DNS_T_A, IB_DNS_RANK_GLUE);
    assert_non_null(e);
    assert_string_equal(e->name, "www.EXAMPLE.com");
    assert_ptr_equal(ib_dns_cache_get(c, T0, "WWW.EXAMPLE.COM", IB_DNS_T_A, IB_DNS_RANK_GLUE), e);
    assert_null(ib_dns_cache_get(c, T0, "www.example.com", IB_DNS_T_NS, IB_DNS_RANK_GLUE));
    assert_null(ib_dns_cache_get(c, T0, "www.example.co", IB_DNS_T_A, IB_DNS_RANK_GLUE));
    /* Storing again under another spelling replaces, not duplicates. */
    a.rd.a = IB_IP4(192, 0, 2, 2);
    ib_dns_cache_put(c, T0, IB_DNS_RANK_AUTH, &a, 1, "WWW.EXAMPLE.COM", IB_DNS_T_A);
    assert_int_equal(ib_dns_cache_used(c), 1);
    assert_int_equal(
        ib_dns_cache_get(c, T0, "www.example.com", IB_DNS_T_A, IB_DNS_RANK_GLUE)->rr[0].rd.a,
        IB_IP4(192, 0, 2, 2));
    ib_dns_cache_free(c);
}

/* The bound counts records; the least recently used entries go first, and
 * a lookup makes an entry recent. */
static void test_eviction_bound_lru(void **state)
{
    struct ib_dns_cache *c = ib_dns_cache_new(10);
    for (int i = 0; i < 10; i++)
        assert_int_equal(put_host(c, T0 + i, "h%d.test", i), 1);
    assert_int_equal(ib_dns_cache_used(c), 10);
    assert_non_null(ib_dns_cache_get(c, T0, "h0.test", IB_DNS_T_A,
                                     IB_DNS_RANK_GLUE)); /* h1 is now the oldest */
    /* A set of three pushes out the three least recently used. */
    struct ib_dns_rr three[3] = {rr_a("set.test", 300, 1), rr_a("set.test", 300, 2),
                                 rr_a("set.test", 300, 3)};
    assert_int_equal(ib_dns_cache_put(c, T0, IB_DNS_RANK_AUTH, three, 3, "set.test", 1), 3);
    assert_int_equal(ib_dns_cache_used(c), 10);
    assert_non_null(ib_dns_cache_get(c, T0, "h0.test", IB_DNS_T_A, IB_DNS_RANK_GLUE));
    for (int i = 1; i <= 3; i++)
        assert_null(get_host(c, "h%d.test", i));
    for (int i = 4; i < 10; i++)
        assert_non_null(get_host(c, "h%d.test", i));
    /* A negative entry costs one record; the least recent entry, the set,
     * goes whole. */
    ib_dns_cache_put_neg(c, T0, "no.test", 1, IB_DNS_R_NXDOMAIN, NULL, 60);
    assert_int_equal(ib_dns_cache_used(c), 8);
    assert_null(ib_dns_cache_get(c, T0, "set.test", IB_DNS_T_A, IB_DNS_RANK_GLUE));
    assert_non_null(ib_dns_cache_get(c, T0, "no.test", IB_DNS_T_A, IB_DNS_RANK_GLUE));
    /* A set larger than the whole cache is not kept at all. */
    struct ib_dns_rr many[11];
    for (int i = 0; i < 11; i++)
        many[i] = rr_a("many.test", 300, (ib_ip4)i + 1);
    assert_int_equal(ib_dns_cache_put(c, T0, IB_DNS_RANK_AUTH, many, 11, "many.test", 1), 0);
    assert_int_equal(ib_dns_cache_used(c), 8);
    ib_dns_cache_free(c);
}

/* Many entries: the table grows and everything stays reachable. */
static void test_many_entries(void **state)
{
    struct ib_dns_cache *c = ib_dns_cache_new(5000);
    for (int i = 0; i < 3000; i++)
        assert_int_equal(put_host(c, T0, "n%d.test", i), 1);
    for (int i = 0; i < 3000; i++) {
        const struct ib_dns_centry *e = get_host(c, "N%d.TEST", i);
        assert_non_null(e);
        assert_int_equal(e->rr[0].rd.a, (ib_ip4)i + 1);
    }
    ib_dns_cache_free(c);
}

/* RFC 2181 §5.4.1: glue does not replace a fresh authoritative answer, an
 * authoritative answer replaces glue, and anything replaces an expired
 * entry. */
static void test_ranking(void **state)
{
    struct ib_dns_cache *c = ib_dns_cache_new(100);
    struct ib_dns_rr auth = rr_a("ns1.example.com", 300, IB_IP4(192, 0, 2, 53));
    struct ib_dns_rr glue = rr_a("ns1.example.com", 3600, IB_IP4(6, 6, 6, 6));
    ib_dns_cache_put(c, T0, IB_DNS_RANK_AUTH, &auth, 1, "ns1.example.com", IB_DNS_T_A);
    assert_int_equal(
        ib_dns_cache_put(c, T0, IB_DNS_RANK_GLUE, &glue, 1, "ns1.example.com", IB_DNS_T_A), 0);
    assert_int_equal(ib_dns_cache_get(c, T0, "ns1.example.com", 1, IB_DNS_RANK_GLUE)->rr[0].rd.a,
                     IB_IP4(192, 0, 2, 53));
    assert_int_equal(ib_dns_cache_put(c, T0 + IB_SEC(300), IB_DNS_RANK_GLUE, &glue, 1,
                                      "ns1.example.com", IB_DNS_T_A),
                     1);
    const struct ib_dns_centry *e =
        ib_dns_cache_get(c, T0 + IB_SEC(300), "ns1.example.com", 1, IB_DNS_RANK_GLUE);
    assert_int_equal(e->rr[0].rd.a, IB_IP4(6, 6, 6, 6));
    assert_int_equal(e->rank, IB_DNS_RANK_GLUE);
    ib_dns_cache_put(c, T0 + IB_SEC(301), IB_DNS_RANK_ANSWER, &auth, 1, "ns1.example.com", 1);
    assert_int_equal(
        ib_dns_cache_get(c, T0 + IB_SEC(301), "ns1.example.com", 1, IB_DNS_RANK_GLUE)->rr[0].rd.a,
        IB_IP4(192, 0, 2, 53));
    ib_dns_cache_free(c);
}

/* RFC 2181 §5.4.1: a lookup names the least rank it can use. Glue and
 * referral NS sets serve to find servers, never as an answer to a client;
 * data of answer rank or above, and negative entries, serve both. */
static void test_min_rank(void **state)
{
    struct ib_dns_cache *c = ib_dns_cache_new(100);
    struct ib_dns_rr glue = rr_a("ns1.example.com", 172800, IB_IP4(192, 0, 2, 53));
    struct ib_dns_rr ns = rr_of("example.com", IB_DNS_T_NS, 172800);
    snprintf(ns.rd.name, sizeof(ns.rd.name), "ns1.example.com");
    ib_dns_cache_put(c, T0, IB_DNS_RANK_GLUE, &glue, 1, "ns1.example.com", IB_DNS_T_A);
    ib_dns_cache_put(c, T0, IB_DNS_RANK_GLUE, &ns, 1, "example.com", IB_DNS_T_NS);
    assert_null(ib_dns_cache_get(c, T0, "ns1.example.com", IB_DNS_T_A, IB_DNS_RANK_ANSWER));
    assert_null(ib_dns_cache_get(c, T0, "example.com", IB_DNS_T_NS, IB_DNS_RANK_ANSWER));
    /* Still there for finding servers. */
    const struct ib_dns_centry *e =
        ib_dns_cache_get(c, T0, "ns1.example.com", IB_DNS_T_A, IB_DNS_RANK_GLUE);
    assert_non_null(e);
    assert_int_equal(e->rr[0].ttl, 172800);
    assert_non_null(ib_dns_cache_get(c, T0, "example.com", IB_DNS_T_NS, IB_DNS_RANK_GLUE));
    /* The zone's own answer replaces the glue and serves clients. */
    struct ib_dns_rr auth = rr_a("ns1.example.com", 3600, IB_IP4(192, 0, 2, 53));
    ib_dns_cache_put(c, T0, IB_DNS_RANK_AUTH, &auth, 1, "ns1.example.com", IB_DNS_T_A);
    e = ib_dns_cache_get(c, T0, "ns1.example.com", IB_DNS_T_A, IB_DNS_RANK_ANSWER);
    assert_non_null(e);
    assert_int_equal(e->rr[0].ttl, 3600);
    assert_int_equal(e->rank, IB_DNS_RANK_AUTH);
    ib_dns_cache_put_neg(c, T0, "nope.example.com", IB_DNS_T_A, IB_DNS_R_NOERROR, NULL, 60);
    assert_non_null(ib_dns_cache_get(c, T0, "nope.example.com", IB_DNS_T_A, IB_DNS_RANK_AUTH));
    ib_dns_cache_free(c);
}

/* RFC 2181 §8: a TTL with its top bit set is 0; RFC 8767 §4: at most 7
 * days. */
static void test_ttl_clamp(void **state)
{
    assert_int_equal(ib_dns_ttl_clamp(0), 0);
    assert_int_equal(ib_dns_ttl_clamp(300), 300);
    assert_int_equal(ib_dns_ttl_clamp(604800), 604800);
    assert_int_equal(ib_dns_ttl_clamp(604801), 604800);
    assert_int_equal(ib_dns_ttl_clamp(0x7fffffffu), 604800);
    assert_int_equal(ib_dns_ttl_clamp(0x80000000u), 0);
    assert_int_equal(ib_dns_ttl_clamp(0xffffffffu), 0);
}

/* The view: fresh entries, most recently used first. */
static void test_view(void **state)
{
    struct ib_dns_cache *c = ib_dns_cache_new(100);
    struct ib_dns_rr a1 = rr_a("a.test", 100, 11), a2 = rr_a("b.test", 10, 22);
    ib_dns_cache_put(c, T0, IB_DNS_RANK_AUTH, &a1, 1, "a.test", 1);
    ib_dns_cache_put(c, T0, IB_DNS_RANK_AUTH, &a2, 1, "b.test", 1);
    ib_dns_cache_put_neg(c, T0, "c.test", 1, IB_DNS_R_NXDOMAIN, NULL, 50);
    struct ib_dns_cache_view v[4];
    assert_int_equal(ib_dns_cache_view(c, T0, v, 4), 3);
    assert_string_equal(v[0].name, "c.test");
    assert_true(v[0].negative);
    assert_int_equal(v[0].rcode, IB_DNS_R_NXDOMAIN);
    assert_int_equal(v[0].expires, T0 + IB_SEC(50));
    assert_string_equal(v[2].name, "a.test");
    assert_int_equal(v[2].addr, 11);
    assert_int_equal(v[2].type, IB_DNS_T_A);
    /* b.test expired: not shown, nor counted; max limits what is written. */
    assert_int_equal(ib_dns_cache_view(c, T0 + IB_SEC(10), v, 1), 2);
    assert_string_equal(v[0].name, "c.test");
    ib_dns_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ttl_countdown_and_expiry),
        cmocka_unit_test(test_ttl_limits),
        cmocka_unit_test(test_negative_entries),
        cmocka_unit_test(test_nxdomain_every_type),
        cmocka_unit_test(test_case_insensitive_keys),
        cmocka_unit_test(test_eviction_bound_lru),
        cmocka_unit_test(test_many_entries),
        cmocka_unit_test(test_ranking),
        cmocka_unit_test(test_min_rank),
        cmocka_unit_test(test_ttl_clamp),
        cmocka_unit_test(test_view),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
