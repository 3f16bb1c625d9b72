/* The authoritative server's answers (RFC 1034 §4.3.2) through
 * ib_dns_auth_answer: answers with the zone's name servers, referrals with
 * glue, NXDOMAIN and NODATA with the SOA (RFC 2308), CNAMEs, wildcards
 * (RFC 4592), names compared without case (RFC 4343), the error RCODEs,
 * truncation (RFC 2181 §9) and EDNS (RFC 6891). Two responses are checked
 * byte for byte against the codec's tshark-checked vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns_zones.h"
#include "inetbox/dns_server.h"

#define T_OPT 41

static struct ib_dns_auth *g_root, *g_com, *g_google;

static void add_zone(struct ib_dns_auth *a, const char *text, const char *origin)
{
    struct ib_dns_zone *z;
    char err[256];
    if (ib_dns_zone_parse(&z, origin, text, strlen(text), origin, err, sizeof(err)))
        fail_msg("%s", err);
    assert_int_equal(ib_dns_auth_add_zone(a, z), 0);
}

/* More of google.com: wildcards, chains, a crowded name, an empty
 * non-terminal (a.b) and a delegation (sub). */
static const char zone_google_more[] = "*.wild A 192.0.2.7\n"
                                       "*.wild TXT \"synthesized\"\n"
                                       "*.cw CNAME www\n"
                                       "ext CNAME www.example.org.\n"
                                       "dangling CNAME nowhere\n"
                                       "loop1 CNAME loop2\n"
                                       "loop2 CNAME loop1\n"
                                       "chain CNAME alias\n"
                                       "x.a.b A 192.0.2.8\n"
                                       "sub NS ns.sub\n"
                                       "ns.sub A 192.0.2.9\n";

static int setup(void **state)
{
    (void)state;
    g_root = ib_dns_auth_new();
    g_com = ib_dns_auth_new();
    g_google = ib_dns_auth_new();
    assert_non_null(g_root);
    assert_non_null(g_com);
    assert_non_null(g_google);
    add_zone(g_root, zone_root, ".");
    add_zone(g_com, zone_com, "com.");
    char *text = malloc(4096);
    assert_non_null(text);
    int n = snprintf(text, 4096, "%s%s", zone_google, zone_google_more);
    for (int i = 1; i <= 40; i++)
        n += snprintf(text + n, 4096 - (size_t)n, "many A 10.1.0.%d\n", i);
    for (int i = 1; i <= 28; i++)
        n += snprintf(text + n, 4096 - (size_t)n, "fits A 10.2.0.%d\n", i);
    add_zone(g_google, text, "google.com");
    free(text);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ib_dns_auth_stop(g_root);
    ib_dns_auth_stop(g_com);
    ib_dns_auth_stop(g_google);
    return 0;
}

static struct ib_dns_msg *new_msg(void)
{
    struct ib_dns_msg *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    return m;
}

/* Sends q to a and parses the response, which must come. */
static struct ib_dns_msg *ask_raw(const struct ib_dns_auth *a, const uint8_t *q, size_t qlen,
                                  size_t cap)
{
    uint8_t out[65535];
    size_t n = ib_dns_auth_answer(a, q, qlen, out, cap);
    assert_true(n >= 12 && n <= cap);
    struct ib_dns_msg *r = new_msg();
    assert_int_equal(ib_dns_parse(out, n, r), IB_DNS_OK);
    assert_true(r->qr);
    assert_false(r->ra); /* RFC 1034 §4.3.1: no recursion offered */
    return r;
}

static struct ib_dns_msg *ask(const struct ib_dns_auth *a, const char *name, uint16_t type)
{
    uint8_t q[512];
    size_t n = dns_query(q, sizeof(q), 0x4242, name, type, false, 0);
    struct ib_dns_msg *r = ask_raw(a, q, n, 512);
    assert_int_equal(r->id, 0x4242);
    assert_int_equal(r->qdcount, 1);
    assert_string_equal(r->qd[0].name, name);
    return r;
}

/* RFC 1034 §4.3.2 step 3a: the records asked for, authoritatively, with
 * the zone's name servers and their addresses. */
static void test_answer(void **state)
{
    (void)state;
    struct ib_dns_msg *r = ask(g_google, "www.google.com", IB_DNS_T_A);
    assert_true(r->aa);
    assert_false(r->tc);
    assert_int_equal(r->rcode, IB_DNS_R_NOERROR);
    assert_int_equal(r->ancount, 1);
    assert_string_equal(r->an[0].name, "www.google.com");
    assert_int_equal(r->an[0].type, IB_DNS_T_A);
    assert_int_equal(r->an[0].ttl, 300);
    assert_int_equal(r->an[0].rd.a, IB_IP4(142, 250, 196, 100));
    assert_int_equal(r->nscount, 2);
    assert_string_equal(r->ns[0].rd.name, "ns1.google.com");
    assert_string_equal(r->ns[1].rd.name, "ns2.google.com");
    assert_int_equal(r->arcount, 2);
    assert_string_equal(r->ar[0].name, "ns1.google.com");
    assert_int_equal(r->ar[0].rd.a, IB_IP4(216, 239, 32, 10));
    assert_int_equal(r->ar[1].rd.a, IB_IP4(216, 239, 34, 10));
    free(r);

    /* RFC 1035 §3.3.9: an MX answer brings the exchange's address; the NS
     * answer at the apex is not repeated in the authority section. */
    r = ask(g_google, "google.com", IB_DNS_T_MX);
    assert_int_equal(r->ancount, 1);
    assert_int_equal(r->nscount, 2);
    assert_int_equal(r->arcount, 3);
    assert_string_equal(r->ar[0].name, "smtp.google.com");
    free(r);
    r = ask(g_google, "google.com", IB_DNS_T_NS);
    assert_int_equal(r->ancount, 2);
    assert_int_equal(r->nscount, 0);
    assert_int_equal(r->arcount, 2);
    free(r);
    /* RFC 1034 §3.7.1: ANY gives every record of the name. */
    r = ask(g_google, "google.com", IB_DNS_T_ANY);
    assert_int_equal(r->ancount, 4);
    assert_int_equal(r->an[0].type, IB_DNS_T_NS);
    assert_int_equal(r->an[2].type, IB_DNS_T_SOA);
    assert_int_equal(r->an[3].type, IB_DNS_T_MX);
    free(r);
}

/* The com server's referral for www.google.com, RD clear: equal to the
 * codec's tshark-checked vector (test_dns_wire.c v_referral). */
static const uint8_t v_referral[100] = {
    0xab, 0xcd, 0x80, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x02, 0x03, 0x77, 0x77,
    0x77, 0x06, 0x67, 0x6f, 0x6f, 0x67, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01,
    0x00, 0x01, 0xc0, 0x10, 0x00, 0x02, 0x00, 0x01, 0x00, 0x02, 0xa3, 0x00, 0x00, 0x06, 0x03,
    0x6e, 0x73, 0x31, 0xc0, 0x10, 0xc0, 0x10, 0x00, 0x02, 0x00, 0x01, 0x00, 0x02, 0xa3, 0x00,
    0x00, 0x06, 0x03, 0x6e, 0x73, 0x32, 0xc0, 0x10, 0xc0, 0x2c, 0x00, 0x01, 0x00, 0x01, 0x00,
    0x02, 0xa3, 0x00, 0x00, 0x04, 0xd8, 0xef, 0x20, 0x0a, 0xc0, 0x3e, 0x00, 0x01, 0x00, 0x01,
    0x00, 0x02, 0xa3, 0x00, 0x00, 0x04, 0xd8, 0xef, 0x22, 0x0a,
};

/* RFC 1034 §4.3.2 step 3b: at a zone cut, the NS records in authority
 * and glue in additional, not authoritative. */
static void test_referral(void **state)
{
    (void)state;
    struct ib_dns_msg *r = ask(g_root, "www.google.com", IB_DNS_T_A);
    assert_false(r->aa);
    assert_int_equal(r->rcode, IB_DNS_R_NOERROR);
    assert_int_equal(r->ancount, 0);
    assert_int_equal(r->nscount, 1);
    assert_string_equal(r->ns[0].name, "com");
    assert_int_equal(r->ns[0].type, IB_DNS_T_NS);
    assert_int_equal(r->ns[0].ttl, 172800);
    assert_string_equal(r->ns[0].rd.name, "a.gtld-servers.net");
    assert_int_equal(r->arcount, 1);
    assert_string_equal(r->ar[0].name, "a.gtld-servers.net");
    assert_int_equal(r->ar[0].rd.a, IB_IP4(192, 5, 6, 30));
    free(r);
    /* The cut itself is the child's: NS for com is a referral too. */
    r = ask(g_root, "com", IB_DNS_T_NS);
    assert_false(r->aa);
    assert_int_equal(r->ancount, 0);
    assert_int_equal(r->nscount, 1);
    free(r);

    uint8_t q[64], out[512];
    size_t qn = dns_query(q, sizeof(q), 0xabcd, "www.google.com", IB_DNS_T_A, false, 0);
    size_t n = ib_dns_auth_answer(g_com, q, qn, out, sizeof(out));
    assert_int_equal(n, sizeof(v_referral));
    assert_memory_equal(out, v_referral, n);
    /* A delegation inside google.com, its glue below the cut. */
    r = ask(g_google, "host.sub.google.com", IB_DNS_T_A);
    assert_false(r->aa);
    assert_int_equal(r->nscount, 1);
    assert_string_equal(r->ns[0].name, "sub.google.com");
    assert_int_equal(r->arcount, 1);
    assert_int_equal(r->ar[0].rd.a, IB_IP4(192, 0, 2, 9));
    free(r);
}

/* NXDOMAIN for nosuch.google.com, id 0xbeef, RD set: the codec's
 * tshark-checked vector (test_dns_wire.c v_nxdomain) but for RA, which
 * an authoritative-only server leaves clear (flags 0x8503, not 0x8583). */
static const uint8_t v_nxdomain[85] = {
    0xbe, 0xef, 0x85, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x06, 0x6e, 0x6f,
    0x73, 0x75, 0x63, 0x68, 0x06, 0x67, 0x6f, 0x6f, 0x67, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d,
    0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x13, 0x00, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c,
    0x00, 0x26, 0x03, 0x6e, 0x73, 0x31, 0xc0, 0x13, 0x09, 0x64, 0x6e, 0x73, 0x2d, 0x61, 0x64,
    0x6d, 0x69, 0x6e, 0xc0, 0x13, 0x78, 0xc4, 0x05, 0xf5, 0x00, 0x00, 0x03, 0x84, 0x00, 0x00,
    0x03, 0x84, 0x00, 0x00, 0x07, 0x08, 0x00, 0x00, 0x00, 0x3c,
};

/* RFC 2308 §3: the SOA in authority, its TTL the smaller of the SOA's
 * own and its minimum field. */
static void test_nxdomain(void **state)
{
    (void)state;
    uint8_t q[64], out[512];
    /* RD set: copied into the response (RFC 1035 §4.1.1). */
    size_t qn = dns_query(q, sizeof(q), 0xbeef, "nosuch.google.com", IB_DNS_T_A, true, 0);
    size_t n = ib_dns_auth_answer(g_google, q, qn, out, sizeof(out));
    assert_int_equal(n, sizeof(v_nxdomain));
    assert_memory_equal(out, v_nxdomain, n);

    /* The com zone: SOA TTL 2 days, minimum 1 day. */
    struct ib_dns_msg *r = ask(g_com, "nosuch.com", IB_DNS_T_A);
    assert_true(r->aa);
    assert_int_equal(r->rcode, IB_DNS_R_NXDOMAIN);
    assert_int_equal(r->ancount, 0);
    assert_int_equal(r->nscount, 1);
    assert_int_equal(r->ns[0].type, IB_DNS_T_SOA);
    assert_string_equal(r->ns[0].name, "com");
    assert_int_equal(r->ns[0].ttl, 86400);
    free(r);
}

/* RFC 2308 §2.2: the name exists without the type asked for; so does an
 * empty non-terminal (RFC 4592 §2.2.2). */
static void test_nodata(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        uint16_t type;
    } cases[] = {
        {"www.google.com", IB_DNS_T_AAAA},
        {"b.google.com", IB_DNS_T_A},
        {"a.b.google.com", 1},
        {"google.com", IB_DNS_T_TXT},
    };
    for (size_t i = 0; i < IB_ARRAY_LEN(cases); i++) {
        struct ib_dns_msg *r = ask(g_google, cases[i].name, cases[i].type);
        assert_true(r->aa);
        assert_int_equal(r->rcode, IB_DNS_R_NOERROR);
        assert_int_equal(r->ancount, 0);
        assert_int_equal(r->nscount, 1);
        assert_int_equal(r->ns[0].type, IB_DNS_T_SOA);
        assert_int_equal(r->ns[0].ttl, 60);
        assert_int_equal(r->arcount, 0);
        free(r);
    }
}

/* RFC 1034 §4.3.2 step 3a: CNAMEs are followed within the zone. */
static void test_cname(void **state)
{
    (void)state;
    struct ib_dns_msg *r = ask(g_google, "chain.google.com", IB_DNS_T_A);
    assert_true(r->aa);
    assert_int_equal(r->ancount, 3);
    assert_string_equal(r->an[0].rd.name, "alias.google.com");
    assert_string_equal(r->an[1].name, "alias.google.com");
    assert_string_equal(r->an[1].rd.name, "www.google.com");
    assert_int_equal(r->an[2].type, IB_DNS_T_A);
    assert_int_equal(r->an[2].rd.a, IB_IP4(142, 250, 196, 100));
    free(r);
    /* Asked for the CNAME itself: not followed. */
    r = ask(g_google, "alias.google.com", IB_DNS_T_CNAME);
    assert_int_equal(r->ancount, 1);
    assert_int_equal(r->an[0].type, IB_DNS_T_CNAME);
    free(r);
    /* Out of the zone: the alias alone, for the asker to follow. */
    r = ask(g_google, "ext.google.com", IB_DNS_T_A);
    assert_int_equal(r->rcode, IB_DNS_R_NOERROR);
    assert_int_equal(r->ancount, 1);
    assert_string_equal(r->an[0].rd.name, "www.example.org");
    free(r);
    /* RFC 6604 §2.1: the RCODE is the last name's. */
    r = ask(g_google, "dangling.google.com", IB_DNS_T_A);
    assert_int_equal(r->rcode, IB_DNS_R_NXDOMAIN);
    assert_int_equal(r->ancount, 1);
    assert_int_equal(r->ns[0].type, IB_DNS_T_SOA);
    free(r);
    /* RFC 1034 §3.6.2: a loop ends where it meets itself. */
    r = ask(g_google, "loop1.google.com", IB_DNS_T_A);
    assert_int_equal(r->rcode, IB_DNS_R_NOERROR);
    assert_int_equal(r->ancount, 2);
    free(r);
}

/* RFC 4592 §3.3.1: a wildcard answers for names that do not exist, with
 * the name asked as owner; not for names that do (a.b) or for ones below
 * an existing name other than the wildcard's parent. */
static void test_wildcard(void **state)
{
    (void)state;
    struct ib_dns_msg *r = ask(g_google, "anything.wild.google.com", IB_DNS_T_A);
    assert_true(r->aa);
    assert_int_equal(r->ancount, 1);
    assert_string_equal(r->an[0].name, "anything.wild.google.com");
    assert_int_equal(r->an[0].rd.a, IB_IP4(192, 0, 2, 7));
    free(r);
    r = ask(g_google, "x.y.wild.google.com", IB_DNS_T_TXT);
    assert_int_equal(r->ancount, 1);
    assert_int_equal(r->an[0].type, IB_DNS_T_TXT);
    free(r);
    r = ask(g_google, "other.wild.google.com", IB_DNS_T_MX);
    assert_int_equal(r->rcode, IB_DNS_R_NOERROR);
    assert_int_equal(r->ancount, 0);
    free(r);
    r = ask(g_google, "q.cw.google.com", IB_DNS_T_A);
    assert_int_equal(r->ancount, 2);
    assert_string_equal(r->an[0].name, "q.cw.google.com");
    assert_int_equal(r->an[1].rd.a, IB_IP4(142, 250, 196, 100));
    free(r);
    r = ask(g_google, "y.b.google.com", IB_DNS_T_A);
    assert_int_equal(r->rcode, IB_DNS_R_NXDOMAIN);
    free(r);
}

/* RFC 4343: names match without regard to case; the question comes back
 * as asked, byte for byte. */
static void test_case_insensitive(void **state)
{
    (void)state;
    struct ib_dns_msg *r = ask(g_google, "WwW.GoOgLe.CoM", IB_DNS_T_A);
    assert_true(r->aa);
    assert_int_equal(r->ancount, 1);
    assert_int_equal(r->an[0].rd.a, IB_IP4(142, 250, 196, 100));
    free(r);
    uint8_t q[64], out[512];
    size_t qn = dns_query(q, sizeof(q), 1, "WWW.google.COM", IB_DNS_T_A, false, 0);
    assert_true(ib_dns_auth_answer(g_google, q, qn, out, sizeof(out)) > qn);
    assert_memory_equal(out + 12, q + 12, qn - 12);
    r = ask(g_root, "WWW.Google.COM", IB_DNS_T_A);
    assert_int_equal(r->nscount, 1);
    free(r);
}

static void expect_rcode(const struct ib_dns_auth *a, const uint8_t *q, size_t qlen, uint8_t rcode,
                         uint16_t qdcount)
{
    struct ib_dns_msg *r = ask_raw(a, q, qlen, 512);
    assert_int_equal(r->id, ib_get16(q));
    assert_int_equal(r->rcode, rcode);
    assert_false(r->aa);
    assert_int_equal(r->qdcount, qdcount);
    assert_int_equal(r->ancount + r->nscount + r->arcount, 0);
    free(r);
}

/* REFUSED for names outside our zones (RFC 1035 §4.1.1), FORMERR for what
 * cannot be a query (RFC 1035 §4.1.1, RFC 9619: one question), NOTIMP
 * for other opcodes and zone transfers; no answer to a response. */
static void test_errors(void **state)
{
    (void)state;
    uint8_t q[512];
    size_t n = dns_query(q, sizeof(q), 7, "www.example.org", IB_DNS_T_A, false, 0);
    expect_rcode(g_google, q, n, IB_DNS_R_REFUSED, 1);
    n = dns_query(q, sizeof(q), 8, "www.google.com", IB_DNS_T_A, false, 0);
    q[3] = 0x00;
    ib_put16(q + 4, 2); /* QDCOUNT 2: parses, but is not a query */
    memcpy(q + n, q + 12, n - 12);
    expect_rcode(g_google, q, 2 * n - 12, IB_DNS_R_FORMERR, 0);
    n = dns_query(q, sizeof(q), 9, "www.google.com", IB_DNS_T_A, false, 0);
    expect_rcode(g_google, q, n - 3, IB_DNS_R_FORMERR, 0); /* the question cut short */
    ib_put16(q + 4, 0);
    expect_rcode(g_google, q, 12, IB_DNS_R_FORMERR, 0);
    n = dns_query(q, sizeof(q), 10, "www.google.com", IB_DNS_T_A, false, 0);
    q[2] = 2 << 3; /* opcode STATUS (RFC 1035 §4.1.1) */
    expect_rcode(g_google, q, n, IB_DNS_R_NOTIMP, 1);
    n = dns_query(q, sizeof(q), 11, "google.com", 252 /* AXFR */, false, 0);
    expect_rcode(g_google, q, n, IB_DNS_R_NOTIMP, 1);
    n = dns_query(q, sizeof(q), 12, "google.com", IB_DNS_T_A, false, 0);
    ib_put16(q + n - 2, 3); /* class CH */
    expect_rcode(g_google, q, n, IB_DNS_R_REFUSED, 1);

    uint8_t out[512];
    n = dns_query(q, sizeof(q), 13, "www.google.com", IB_DNS_T_A, false, 0);
    q[2] |= 0x80; /* QR: a response */
    assert_int_equal(ib_dns_auth_answer(g_google, q, n, out, sizeof(out)), 0);
    assert_int_equal(ib_dns_auth_answer(g_google, q, 11, out, sizeof(out)), 0);
}

/* RFC 1035 §4.2.1 / RFC 2181 §9: 40 addresses do not fit in 512 bytes:
 * as many as fit, and TC; over TCP all of them. 28 fit once the optional
 * name servers are left out: no TC then. */
static void test_truncation(void **state)
{
    (void)state;
    uint8_t q[64];
    size_t qn = dns_query(q, sizeof(q), 1, "many.google.com", IB_DNS_T_A, false, 0);
    struct ib_dns_msg *r = ask_raw(g_google, q, qn, 512);
    assert_true(r->tc);
    assert_true(r->ancount > 20 && r->ancount < 40);
    free(r);
    r = ask_raw(g_google, q, qn, 65535);
    assert_false(r->tc);
    assert_int_equal(r->ancount, 40);
    assert_int_equal(r->nscount, 2);
    assert_int_equal(r->arcount, 2);
    for (int i = 0; i < 40; i++)
        assert_int_equal(r->an[i].rd.a, IB_IP4(10, 1, 0, i + 1));
    free(r);
    qn = dns_query(q, sizeof(q), 1, "fits.google.com", IB_DNS_T_A, false, 0);
    r = ask_raw(g_google, q, qn, 512);
    assert_false(r->tc);
    assert_int_equal(r->ancount, 28);
    assert_int_equal(r->nscount, 0);
    free(r);
}

/* RFC 6891: an OPT in the query gets ours in the response (payload size
 * 1232, §6.2.5), even when truncated (§7); version 1 gets BADVERS
 * (extended RCODE 16, §6.1.3); two OPTs are a FORMERR (§6.1.1). */
static void test_edns(void **state)
{
    (void)state;
    uint8_t q[128];
    size_t qn = dns_query(q, sizeof(q), 5, "many.google.com", IB_DNS_T_A, false, 4096);
    struct ib_dns_msg *r = ask_raw(g_google, q, qn, 512);
    assert_true(r->tc);
    assert_int_equal(r->arcount, 1);
    assert_int_equal(r->ar[0].type, T_OPT);
    assert_int_equal(r->ar[0].cls, IB_DNS_EDNS_SIZE);
    assert_int_equal(r->ar[0].ttl, 0);
    free(r);
    r = ask_raw(g_google, q, qn, IB_DNS_EDNS_SIZE);
    assert_false(r->tc);
    assert_int_equal(r->ancount, 40);
    assert_int_equal(r->ar[r->arcount - 1].type, T_OPT);
    free(r);
    q[qn - 5] = 1; /* version 1: the second byte of the OPT's TTL */
    r = ask_raw(g_google, q, qn, 512);
    assert_int_equal(r->rcode, 0);
    assert_int_equal(r->ar[0].ttl >> 24, 1); /* BADVERS = 16: upper bits 1 */
    assert_int_equal(r->ancount, 0);
    free(r);
    q[qn - 5] = 0;
    memcpy(q + qn, q + qn - 11, 11);
    ib_put16(q + 10, 2);
    expect_rcode(g_google, q, qn + 11, IB_DNS_R_FORMERR, 1);
}

/* RFC 1034 §4.3.2 step 2: the nearest zone answers; a second zone of one
 * name is refused. */
static void test_nearest_zone(void **state)
{
    (void)state;
    struct ib_dns_auth *a = ib_dns_auth_new();
    assert_non_null(a);
    add_zone(a, zone_com, "com");
    add_zone(a, zone_google, "google.com");
    struct ib_dns_msg *r = ask(a, "www.google.com", IB_DNS_T_A);
    assert_true(r->aa);
    assert_int_equal(r->ancount, 1);
    free(r);
    r = ask(a, "nosuch.com", IB_DNS_T_A);
    assert_int_equal(r->rcode, IB_DNS_R_NXDOMAIN);
    assert_string_equal(r->ns[0].name, "com");
    free(r);
    struct ib_dns_zone *z;
    char err[128];
    assert_int_equal(
        ib_dns_zone_parse(&z, "c", zone_com, strlen(zone_com), "COM.", err, sizeof(err)), 0);
    assert_int_equal(ib_dns_auth_add_zone(a, z), IB_ERR_INUSE);
    ib_dns_zone_free(z); /* still ours */
    ib_dns_auth_stop(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answer),
        cmocka_unit_test(test_referral),
        cmocka_unit_test(test_nxdomain),
        cmocka_unit_test(test_nodata),
        cmocka_unit_test(test_cname),
        cmocka_unit_test(test_wildcard),
        cmocka_unit_test(test_case_insensitive),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_edns),
        cmocka_unit_test(test_nearest_zone),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
