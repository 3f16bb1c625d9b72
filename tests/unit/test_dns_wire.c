/* DNS message codec (RFC 1035 §4.1): byte vectors built by hand from the
 * RFC layouts, each checked with tshark (`tshark -V` on a pcap holding
 * them as UDP/53 payloads: decoded as the comments say, no malformed
 * packet); parse of every field, parse -> emit byte-exact (the vectors
 * use the compression our emitter chooses), every malformation reason,
 * the bytes compression saves, and truncation with TC (RFC 2181 §9). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "inetbox/dns.h"

/* A query for www.google.com A with RD set, id 0x1234 (RFC 1035 §4.1.1-2). */
static const uint8_t v_query[32] = {
    0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x03, 0x77, 0x77, 0x77, 0x06, 0x67, 0x6f, 0x6f, 0x67, 0x6c, 0x65, 0x03,
    0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01,
};
/* Its answer: www.google.com CNAME www.l.google.com, then two A records
 * (142.250.80.4 and .36) for www.l.google.com; the CNAME target ends in a
 * pointer to "google.com" in the question, the A owners point to the
 * CNAME target (RFC 1035 §4.1.4). */
static const uint8_t v_cname[84] = {
    0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00,
    0x03, 0x77, 0x77, 0x77, 0x06, 0x67, 0x6f, 0x6f, 0x67, 0x6c, 0x65, 0x03,
    0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x05,
    0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x08, 0x03, 0x77, 0x77, 0x77,
    0x01, 0x6c, 0xc0, 0x10, 0xc0, 0x2c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
    0x01, 0x2c, 0x00, 0x04, 0x8e, 0xfa, 0x50, 0x04, 0xc0, 0x2c, 0x00, 0x01,
    0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x04, 0x8e, 0xfa, 0x50, 0x24,
};
/* The .com server's referral: no answer, google.com NS ns1/ns2.google.com
 * in authority, their addresses as glue in additional, TTL 172800. */
static const uint8_t v_referral[100] = {
    0xab, 0xcd, 0x80, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x02,
    0x03, 0x77, 0x77, 0x77, 0x06, 0x67, 0x6f, 0x6f, 0x67, 0x6c, 0x65, 0x03,
    0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x10, 0x00, 0x02,
    0x00, 0x01, 0x00, 0x02, 0xa3, 0x00, 0x00, 0x06, 0x03, 0x6e, 0x73, 0x31,
    0xc0, 0x10, 0xc0, 0x10, 0x00, 0x02, 0x00, 0x01, 0x00, 0x02, 0xa3, 0x00,
    0x00, 0x06, 0x03, 0x6e, 0x73, 0x32, 0xc0, 0x10, 0xc0, 0x2c, 0x00, 0x01,
    0x00, 0x01, 0x00, 0x02, 0xa3, 0x00, 0x00, 0x04, 0xd8, 0xef, 0x20, 0x0a,
    0xc0, 0x3e, 0x00, 0x01, 0x00, 0x01, 0x00, 0x02, 0xa3, 0x00, 0x00, 0x04,
    0xd8, 0xef, 0x22, 0x0a,
};
/* NXDOMAIN for nosuch.google.com with AA and the zone's SOA in authority
 * (RFC 2308 §2.1), minimum 60. */
static const uint8_t v_nxdomain[85] = {
    0xbe, 0xef, 0x85, 0x83, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x06, 0x6e, 0x6f, 0x73, 0x75, 0x63, 0x68, 0x06, 0x67, 0x6f, 0x6f, 0x67,
    0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01, 0xc0,
    0x13, 0x00, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x26, 0x03,
    0x6e, 0x73, 0x31, 0xc0, 0x13, 0x09, 0x64, 0x6e, 0x73, 0x2d, 0x61, 0x64,
    0x6d, 0x69, 0x6e, 0xc0, 0x13, 0x78, 0xc4, 0x05, 0xf5, 0x00, 0x00, 0x03,
    0x84, 0x00, 0x00, 0x03, 0x84, 0x00, 0x00, 0x07, 0x08, 0x00, 0x00, 0x00,
    0x3c,
};
/* An ANY answer for google.com with MX 10 smtp.google.com, AAAA
 * 2607:f8b0:4004:c07::64, TXT "v=spf1 -all", an unknown type 65280 with
 * rdata "abc" (RFC 3597), and 4.80.250.142.in-addr.arpa PTR google.com. */
static const uint8_t v_mixed[155] = {
    0x00, 0x42, 0x81, 0x80, 0x00, 0x01, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00,
    0x06, 0x67, 0x6f, 0x6f, 0x67, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00,
    0x00, 0xff, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x0f, 0x00, 0x01, 0x00, 0x00,
    0x0e, 0x10, 0x00, 0x09, 0x00, 0x0a, 0x04, 0x73, 0x6d, 0x74, 0x70, 0xc0,
    0x0c, 0xc0, 0x0c, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00,
    0x10, 0x26, 0x07, 0xf8, 0xb0, 0x40, 0x04, 0x0c, 0x07, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x64, 0xc0, 0x0c, 0x00, 0x10, 0x00, 0x01, 0x00,
    0x00, 0x0e, 0x10, 0x00, 0x0c, 0x0b, 0x76, 0x3d, 0x73, 0x70, 0x66, 0x31,
    0x20, 0x2d, 0x61, 0x6c, 0x6c, 0xc0, 0x0c, 0xff, 0x00, 0x00, 0x01, 0x00,
    0x00, 0x01, 0x2c, 0x00, 0x03, 0x61, 0x62, 0x63, 0x01, 0x34, 0x02, 0x38,
    0x30, 0x03, 0x32, 0x35, 0x30, 0x03, 0x31, 0x34, 0x32, 0x07, 0x69, 0x6e,
    0x2d, 0x61, 0x64, 0x64, 0x72, 0x04, 0x61, 0x72, 0x70, 0x61, 0x00, 0x00,
    0x0c, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x02, 0xc0, 0x0c,
};

static struct ib_dns_msg *new_msg(void)
{
    struct ib_dns_msg *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    return m;
}

/* parse -> emit gives back the same bytes, and parsing those again gives
 * the same message. */
static void roundtrip(const uint8_t *v, size_t len)
{
    struct ib_dns_msg *m = new_msg(), *m2 = new_msg();
    uint8_t out[1024];
    assert_int_equal(ib_dns_parse(v, len, m), IB_DNS_OK);
    size_t n = ib_dns_emit(m, out, sizeof(out));
    assert_int_equal(n, len);
    assert_memory_equal(out, v, len);
    assert_int_equal(ib_dns_parse(out, n, m2), IB_DNS_OK);
    assert_int_equal(m2->ancount, m->ancount);
    assert_int_equal(m2->nscount, m->nscount);
    assert_int_equal(m2->arcount, m->arcount);
    free(m);
    free(m2);
}

/* RFC 1035 §4.1.1-2: header flags, counts and the question. */
static void test_query(void **state)
{
    (void)state;
    struct ib_dns_msg *m = new_msg();
    assert_int_equal(ib_dns_parse(v_query, sizeof(v_query), m), IB_DNS_OK);
    assert_int_equal(m->id, 0x1234);
    assert_false(m->qr);
    assert_int_equal(m->opcode, 0);
    assert_true(m->rd);
    assert_false(m->aa || m->tc || m->ra);
    assert_int_equal(m->rcode, IB_DNS_R_NOERROR);
    assert_int_equal(m->qdcount, 1);
    assert_int_equal(m->ancount + m->nscount + m->arcount, 0);
    assert_string_equal(m->qd[0].name, "www.google.com");
    assert_int_equal(m->qd[0].type, IB_DNS_T_A);
    assert_int_equal(m->qd[0].cls, IB_DNS_C_IN);
    free(m);
    roundtrip(v_query, sizeof(v_query));
}

/* A CNAME chain: names behind pointers come out whole. */
static void test_cname_chain(void **state)
{
    (void)state;
    struct ib_dns_msg *m = new_msg();
    assert_int_equal(ib_dns_parse(v_cname, sizeof(v_cname), m), IB_DNS_OK);
    assert_true(m->qr && m->rd && m->ra);
    assert_int_equal(m->ancount, 3);
    assert_string_equal(m->an[0].name, "www.google.com");
    assert_int_equal(m->an[0].type, IB_DNS_T_CNAME);
    assert_int_equal(m->an[0].ttl, 300);
    assert_string_equal(m->an[0].rd.name, "www.l.google.com");
    assert_string_equal(m->an[1].name, "www.l.google.com");
    assert_int_equal(m->an[1].type, IB_DNS_T_A);
    assert_int_equal(m->an[1].rd.a, IB_IP4(142, 250, 80, 4));
    assert_string_equal(m->an[2].name, "www.l.google.com");
    assert_int_equal(m->an[2].rd.a, IB_IP4(142, 250, 80, 36));
    free(m);
    roundtrip(v_cname, sizeof(v_cname));
}

/* A referral (RFC 1034 §4.3.2 step 3b): NS in authority, glue A records in
 * additional. */
static void test_referral(void **state)
{
    (void)state;
    struct ib_dns_msg *m = new_msg();
    assert_int_equal(ib_dns_parse(v_referral, sizeof(v_referral), m), IB_DNS_OK);
    assert_true(m->qr);
    assert_false(m->aa || m->rd || m->ra);
    assert_int_equal(m->ancount, 0);
    assert_int_equal(m->nscount, 2);
    assert_int_equal(m->arcount, 2);
    assert_string_equal(m->ns[0].name, "google.com");
    assert_int_equal(m->ns[0].type, IB_DNS_T_NS);
    assert_int_equal(m->ns[0].ttl, 172800);
    assert_string_equal(m->ns[0].rd.name, "ns1.google.com");
    assert_string_equal(m->ns[1].rd.name, "ns2.google.com");
    assert_string_equal(m->ar[0].name, "ns1.google.com");
    assert_int_equal(m->ar[0].rd.a, IB_IP4(216, 239, 32, 10));
    assert_string_equal(m->ar[1].name, "ns2.google.com");
    assert_int_equal(m->ar[1].rd.a, IB_IP4(216, 239, 34, 10));
    free(m);
    roundtrip(v_referral, sizeof(v_referral));
}

/* RFC 2308 §2.1: NXDOMAIN with the SOA whose minimum bounds negative
 * caching. */
static void test_nxdomain_soa(void **state)
{
    (void)state;
    struct ib_dns_msg *m = new_msg();
    assert_int_equal(ib_dns_parse(v_nxdomain, sizeof(v_nxdomain), m), IB_DNS_OK);
    assert_true(m->qr && m->aa && m->rd && m->ra);
    assert_int_equal(m->rcode, IB_DNS_R_NXDOMAIN);
    assert_string_equal(m->qd[0].name, "nosuch.google.com");
    assert_int_equal(m->nscount, 1);
    const struct ib_dns_rr *r = &m->ns[0];
    assert_string_equal(r->name, "google.com");
    assert_int_equal(r->type, IB_DNS_T_SOA);
    assert_int_equal(r->ttl, 60);
    assert_string_equal(r->rd.soa.mname, "ns1.google.com");
    assert_string_equal(r->rd.soa.rname, "dns-admin.google.com");
    assert_int_equal(r->rd.soa.serial, 2026112501u);
    assert_int_equal(r->rd.soa.refresh, 900);
    assert_int_equal(r->rd.soa.retry, 900);
    assert_int_equal(r->rd.soa.expire, 1800);
    assert_int_equal(r->rd.soa.minimum, 60);
    free(m);
    roundtrip(v_nxdomain, sizeof(v_nxdomain));
}

/* MX, AAAA (RFC 3596 §2.2), TXT, PTR and an unknown type kept opaque
 * (RFC 3597 §5). */
static void test_mixed_types(void **state)
{
    (void)state;
    static const uint8_t aaaa[16] = {0x26, 0x07, 0xf8, 0xb0, 0x40, 0x04, 0x0c, 0x07,
                                     0,    0,    0,    0,    0,    0,    0,    0x64};
    struct ib_dns_msg *m = new_msg();
    assert_int_equal(ib_dns_parse(v_mixed, sizeof(v_mixed), m), IB_DNS_OK);
    assert_int_equal(m->qd[0].type, IB_DNS_T_ANY);
    assert_int_equal(m->ancount, 5);
    assert_int_equal(m->an[0].type, IB_DNS_T_MX);
    assert_int_equal(m->an[0].rd.mx.pref, 10);
    assert_string_equal(m->an[0].rd.mx.host, "smtp.google.com");
    assert_int_equal(m->an[1].type, IB_DNS_T_AAAA);
    assert_memory_equal(m->an[1].rd.aaaa, aaaa, 16);
    assert_int_equal(m->an[2].type, IB_DNS_T_TXT);
    assert_int_equal(m->an[2].rd.raw.len, 12);
    assert_int_equal(m->an[2].rd.raw.data[0], 11);
    assert_memory_equal(m->an[2].rd.raw.data + 1, "v=spf1 -all", 11);
    assert_int_equal(m->an[3].type, 65280);
    assert_int_equal(m->an[3].rd.raw.len, 3);
    assert_memory_equal(m->an[3].rd.raw.data, "abc", 3);
    assert_string_equal(m->an[4].name, "4.80.250.142.in-addr.arpa");
    assert_int_equal(m->an[4].type, IB_DNS_T_PTR);
    assert_string_equal(m->an[4].rd.name, "google.com");
    free(m);
    roundtrip(v_mixed, sizeof(v_mixed));
}

static void set_q(struct ib_dns_msg *m, const char *name)
{
    m->qdcount = 1;
    snprintf(m->qd[0].name, sizeof(m->qd[0].name), "%s", name);
    m->qd[0].type = IB_DNS_T_A;
    m->qd[0].cls = IB_DNS_C_IN;
}

static void set_a(struct ib_dns_rr *r, const char *name, ib_ip4 a)
{
    snprintf(r->name, sizeof(r->name), "%s", name);
    r->type = IB_DNS_T_A;
    r->cls = IB_DNS_C_IN;
    r->ttl = 300;
    r->rd.a = a;
}

/* RFC 1035 §4.1.4: the CNAME answer built from a struct takes 84 bytes;
 * written without pointers it would take 140 (header 12, question 20,
 * CNAME 16+10+18, two A 16+10+4 each). Case does not stop a match
 * (RFC 1035 §2.3.3). */
static void test_compression_saves(void **state)
{
    (void)state;
    struct ib_dns_msg *m = new_msg();
    m->id = 0x1234;
    m->qr = m->rd = m->ra = true;
    set_q(m, "www.google.com");
    m->ancount = 3;
    snprintf(m->an[0].name, sizeof(m->an[0].name), "WWW.Google.COM");
    m->an[0].type = IB_DNS_T_CNAME;
    m->an[0].cls = IB_DNS_C_IN;
    m->an[0].ttl = 300;
    snprintf(m->an[0].rd.name, sizeof(m->an[0].rd.name), "www.l.google.com.");
    set_a(&m->an[1], "www.l.google.com", IB_IP4(142, 250, 80, 4));
    set_a(&m->an[2], "www.l.google.com", IB_IP4(142, 250, 80, 36));
    uint8_t out[512];
    size_t n = ib_dns_emit(m, out, sizeof(out));
    assert_int_equal(n, 84);
    assert_memory_equal(out, v_cname, 84);
    free(m);
}

/* RFC 1035 §4.2.1 and §4.1.1: a UDP answer is cut at 512 bytes to whole
 * records with TC set. 40 A records of 16 bytes after a 32-byte header and
 * question: 30 fit exactly. */
static void test_truncation_sets_tc(void **state)
{
    (void)state;
    struct ib_dns_msg *m = new_msg(), *p = new_msg();
    m->qr = true;
    set_q(m, "www.google.com");
    m->ancount = 40;
    for (unsigned i = 0; i < 40; i++)
        set_a(&m->an[i], "www.google.com", IB_IP4(10, 0, 0, i));
    uint8_t out[IB_DNS_UDP_MAX];
    size_t n = ib_dns_emit(m, out, sizeof(out));
    assert_int_equal(n, 512);
    assert_int_equal(ib_dns_parse(out, n, p), IB_DNS_OK);
    assert_true(p->tc);
    assert_int_equal(p->ancount, 30);
    assert_int_equal(p->an[29].rd.a, IB_IP4(10, 0, 0, 29));
    /* one byte less: 29 records */
    n = ib_dns_emit(m, out, 511);
    assert_int_equal(n, 496);
    assert_int_equal(ib_dns_parse(out, n, p), IB_DNS_OK);
    assert_int_equal(p->ancount, 29);
    assert_true(p->tc);
    /* with room, no TC */
    m->ancount = 30;
    n = ib_dns_emit(m, out, sizeof(out));
    assert_int_equal(n, 512);
    assert_int_equal(ib_dns_parse(out, n, p), IB_DNS_OK);
    assert_false(p->tc);
    free(m);
    free(p);
}

/* RFC 2181 §9: leaving out additional data does not set TC; the answer
 * stays whole. */
static void test_additional_cut_no_tc(void **state)
{
    (void)state;
    struct ib_dns_msg *m = new_msg(), *p = new_msg();
    m->qr = true;
    set_q(m, "www.google.com");
    m->ancount = 1;
    set_a(&m->an[0], "www.google.com", IB_IP4(1, 2, 3, 4));
    m->arcount = 2;
    set_a(&m->ar[0], "ns1.google.com", IB_IP4(216, 239, 32, 10));
    set_a(&m->ar[1], "ns2.google.com", IB_IP4(216, 239, 34, 10));
    uint8_t out[512];
    /* 32 + 16 + 20 + 12: room for the answer and the first glue record
     * (owner 3ns1 and a pointer) only */
    size_t n = ib_dns_emit(m, out, 80);
    assert_int_equal(n, 68);
    assert_int_equal(ib_dns_parse(out, n, p), IB_DNS_OK);
    assert_false(p->tc);
    assert_int_equal(p->ancount, 1);
    assert_int_equal(p->arcount, 1);
    assert_string_equal(p->ar[0].name, "ns1.google.com");
    free(m);
    free(p);
}

/* Names the emitter refuses (RFC 1035 §2.3.4) and messages whose header or
 * question does not fit: 0 bytes, not a truncated message. */
static void test_emit_refuses(void **state)
{
    (void)state;
    struct ib_dns_msg *m = new_msg();
    uint8_t out[512];
    char l64[65];
    memset(l64, 'a', 64);
    l64[64] = '\0';
    set_q(m, l64);
    assert_int_equal(ib_dns_emit(m, out, sizeof(out)), 0);
    set_q(m, "a..b");
    assert_int_equal(ib_dns_emit(m, out, sizeof(out)), 0);
    set_q(m, "a b.com");
    assert_int_equal(ib_dns_emit(m, out, sizeof(out)), 0);
    set_q(m, "www.google.com");
    assert_int_equal(ib_dns_emit(m, out, 31), 0);
    assert_int_equal(ib_dns_emit(m, out, 32), 32);
    m->ancount = 1;
    set_a(&m->an[0], "x..y", 1);
    assert_int_equal(ib_dns_emit(m, out, sizeof(out)), 0);
    m->ancount = IB_DNS_MAX_RR + 1;
    assert_int_equal(ib_dns_emit(m, out, sizeof(out)), 0);
    /* the root is "" or "." */
    m->ancount = 0;
    set_q(m, ".");
    assert_int_equal(ib_dns_emit(m, out, sizeof(out)), 17);
    assert_int_equal(out[12], 0);
    free(m);
}

static int parse_copy(const uint8_t *b, size_t len)
{
    struct ib_dns_msg *m = new_msg();
    int err = ib_dns_parse(b, len, m);
    free(m);
    return err;
}

/* A copy of v with byte i set to x. */
static int parse_with(const uint8_t *v, size_t len, size_t i, uint8_t x)
{
    uint8_t b[1024];
    memcpy(b, v, len);
    b[i] = x;
    return parse_copy(b, len);
}

/* Every reason, each from a real vector with one thing broken. */
static void test_malformed(void **state)
{
    (void)state;
    uint8_t b[1024];
    size_t n;
    assert_int_equal(parse_copy(v_query, 11), IB_DNS_ERR_SHORT);
    /* cut inside the name, and inside type/class */
    assert_int_equal(parse_copy(v_query, 20), IB_DNS_ERR_TRUNCATED);
    assert_int_equal(parse_copy(v_query, 30), IB_DNS_ERR_TRUNCATED);
    /* cut inside an answer's fixed fields, inside its rdata */
    assert_int_equal(parse_copy(v_cname, 40), IB_DNS_ERR_TRUNCATED);
    assert_int_equal(parse_copy(v_cname, 82), IB_DNS_ERR_TRUNCATED);
    /* counts beyond the data: qdcount 2, ancount 1 on a query, and the
     * CNAME answer cut after its second record */
    assert_int_equal(parse_with(v_query, sizeof(v_query), 5, 2), IB_DNS_ERR_COUNT);
    assert_int_equal(parse_with(v_query, sizeof(v_query), 7, 1), IB_DNS_ERR_COUNT);
    assert_int_equal(parse_copy(v_cname, 68), IB_DNS_ERR_COUNT);
    /* more records than a section keeps */
    assert_int_equal(parse_with(v_cname, sizeof(v_cname), 7, IB_DNS_MAX_RR + 1),
                     IB_DNS_ERR_TOO_MANY);
    assert_int_equal(parse_with(v_query, sizeof(v_query), 5, IB_DNS_MAX_QD + 1),
                     IB_DNS_ERR_TOO_MANY);
    /* RFC 1035 §4.1.4: label types 01 and 10 are reserved */
    assert_int_equal(parse_with(v_query, sizeof(v_query), 12, 0x43), IB_DNS_ERR_LABEL_TYPE);
    assert_int_equal(parse_with(v_query, sizeof(v_query), 12, 0x83), IB_DNS_ERR_LABEL_TYPE);
    /* a '.' or a space inside a label */
    assert_int_equal(parse_with(v_query, sizeof(v_query), 14, '.'), IB_DNS_ERR_LABEL_CHAR);
    assert_int_equal(parse_with(v_query, sizeof(v_query), 14, ' '), IB_DNS_ERR_LABEL_CHAR);
    /* RFC 1035 §2.3.4: four 63-octet labels make 257 octets */
    memcpy(b, v_query, 12);
    n = 12;
    for (int i = 0; i < 4; i++) {
        b[n++] = 63;
        memset(b + n, 'a', 63);
        n += 63;
    }
    b[n++] = 0;
    memcpy(b + n, "\0\1\0\1", 4);
    n += 4;
    assert_int_equal(parse_copy(b, n), IB_DNS_ERR_NAME_LONG);
    /* ... while three and one of 61 make exactly 255 and parse */
    b[12 + 3 * 64] = 61;
    memmove(b + 12 + 3 * 64 + 62, b + 12 + 4 * 64, 5);
    assert_int_equal(parse_copy(b, n - 2), IB_DNS_OK);
    /* pointers: the question pointing at itself, and forward */
    memcpy(b, v_query, sizeof(v_query));
    b[12] = 0xc0;
    b[13] = 0x0c;
    assert_int_equal(parse_copy(b, sizeof(v_query)), IB_DNS_ERR_PTR_FORWARD);
    b[13] = 0x14;
    assert_int_equal(parse_copy(b, sizeof(v_query)), IB_DNS_ERR_PTR_FORWARD);
    /* a pointer back into the name it ends would loop: 3www then a pointer
     * to the "3www" itself */
    memcpy(b, v_query, sizeof(v_query));
    b[16] = 0xc0;
    b[17] = 0x0c;
    assert_int_equal(parse_copy(b, sizeof(v_query)), IB_DNS_ERR_PTR_FORWARD);
    /* more than IB_DNS_MAX_HOPS pointers, each strictly backwards: root
     * question, then an opaque record whose rdata is a chain of 33
     * pointers, then a record owned by the last link */
    memset(b, 0, sizeof(b));
    b[5] = 1; /* qdcount */
    b[7] = 2; /* ancount */
    n = 12;
    b[n++] = 0;
    memcpy(b + n, "\0\1\0\1", 4);
    n += 4;
    b[n++] = 0;                                   /* owner: root */
    memcpy(b + n, "\xff\0\0\1\0\0\0\0\0\x42", 10); /* type 65280, rdlength 66 */
    n += 10;
    size_t link = n;
    b[n++] = 0xc0;
    b[n++] = 12; /* the root name of the question */
    for (unsigned i = 1; i < IB_DNS_MAX_HOPS + 1; i++, n += 2)
        ib_put16(b + n, (uint16_t)(0xc000u | (n - 2)));
    assert_int_equal(n - link, 66);
    ib_put16(b + n, (uint16_t)(0xc000u | (n - 2))); /* 34th pointer: the owner */
    n += 2;
    memcpy(b + n, "\0\1\0\1\0\0\0\0\0\4\1\2\3\4", 14);
    n += 14;
    assert_int_equal(parse_copy(b, n), IB_DNS_ERR_PTR_HOPS);
    /* the owner pointing two links further down follows exactly 32 */
    ib_put16(b + n - 16, (uint16_t)(0xc000u | (n - 20)));
    assert_int_equal(parse_copy(b, n), IB_DNS_ERR_PTR_HOPS);
    ib_put16(b + n - 16, (uint16_t)(0xc000u | (n - 22)));
    assert_int_equal(parse_copy(b, n), IB_DNS_OK);
    /* typed rdata that does not fill rdlength: A with 5 bytes, CNAME
     * with a byte after its name, NS with none */
    memcpy(b, v_cname, sizeof(v_cname));
    b[79] = 5;
    b[sizeof(v_cname)] = 0;
    n = sizeof(v_cname) + 1;
    assert_int_equal(parse_copy(b, n), IB_DNS_ERR_RDLENGTH);
    assert_int_equal(parse_with(v_cname, sizeof(v_cname), 43, 9), IB_DNS_ERR_RDLENGTH);
    assert_int_equal(parse_with(v_cname, sizeof(v_cname), 43, 3), IB_DNS_ERR_RDLENGTH);
    /* SOA rdata 1 byte short of its 20-byte numbers */
    assert_int_equal(parse_with(v_nxdomain, sizeof(v_nxdomain), 46, 0x25), IB_DNS_ERR_RDLENGTH);
    /* TXT whose character-string overruns its rdlength */
    assert_int_equal(parse_with(v_mixed, sizeof(v_mixed), 89, 12), IB_DNS_ERR_RDLENGTH);
    /* opaque rdata longer than we keep */
    memset(b, 0, sizeof(b));
    memcpy(b, v_mixed, 101);
    b[7] = 1;
    memcpy(b + 28, "\xc0\x0c\xff\0\0\1\0\0\0\0\x02\x01", 12);
    assert_int_equal(parse_copy(b, 40 + IB_DNS_MAX_RDATA + 1), IB_DNS_ERR_RDATA_LONG);
    assert_int_equal(parse_copy(b, 40 + IB_DNS_MAX_RDATA), IB_DNS_ERR_TRUNCATED);
    assert_string_equal(ib_dns_err_str(IB_DNS_ERR_PTR_FORWARD), "pointer forward");
    assert_string_equal(ib_dns_err_str(-1), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_cname_chain),
        cmocka_unit_test(test_referral),
        cmocka_unit_test(test_nxdomain_soa),
        cmocka_unit_test(test_mixed_types),
        cmocka_unit_test(test_compression_saves),
        cmocka_unit_test(test_truncation_sets_tc),
        cmocka_unit_test(test_additional_cut_no_tc),
        cmocka_unit_test(test_emit_refuses),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
