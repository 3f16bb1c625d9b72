/* The master-file reader (RFC 1035 §5): the journey's root, com and
 * google.com zones, every piece of the syntax (directives, @, relative
 * names, the omitted owner, optional class and TTL, parentheses, comments,
 * quoted strings and escapes), the records in canonical order (RFC 4034
 * §6.1), and malformed files, each with the file:line:col of its fault. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dns_zones.h"
#include "inetbox/dns_server.h"

static struct ib_dns_zone *parse_ok(const char *text, const char *origin)
{
    struct ib_dns_zone *z = NULL;
    char err[256];
    int rc = ib_dns_zone_parse(&z, "t.zone", text, strlen(text), origin, err, sizeof(err));
    if (rc != 0) fail_msg("%s", err);
    assert_non_null(z);
    return z;
}

/* The record of z with this owner and type, the n-th of its RRset. */
static struct ib_dns_rr find_rr(const struct ib_dns_zone *z, const char *name, uint16_t type,
                                unsigned n)
{
    struct ib_dns_rr r;
    for (size_t i = 0; i < ib_dns_zone_count(z); i++) {
        assert_int_equal(ib_dns_zone_rr(z, i, &r), 0);
        if (r.type == type && strcmp(r.name, name) == 0 && n-- == 0) return r;
    }
    fail_msg("no record %s type %u", name, type);
    return r;
}

static void test_root_zone(void **state)
{
    (void)state;
    struct ib_dns_zone *z = parse_ok(zone_root, ".");
    assert_string_equal(ib_dns_zone_origin(z), "");
    assert_int_equal(ib_dns_zone_count(z), 5);
    /* RFC 4034 §6.1: the root first (SOA before NS by type), then com,
     * then net's names. */
    static const char *const order[] = {"", "", "com", "a.gtld-servers.net", "a.root-servers.net"};
    static const uint16_t types[] = {IB_DNS_T_NS, IB_DNS_T_SOA, IB_DNS_T_NS, IB_DNS_T_A,
                                     IB_DNS_T_A};
    for (size_t i = 0; i < 5; i++) {
        struct ib_dns_rr r;
        assert_int_equal(ib_dns_zone_rr(z, i, &r), 0);
        assert_string_equal(r.name, order[i]);
        assert_int_equal(r.type, types[i]);
        assert_int_equal(r.cls, IB_DNS_C_IN);
    }
    struct ib_dns_rr r;
    assert_int_equal(ib_dns_zone_rr(z, 5, &r), IB_ERR_INVAL);
    /* Parentheses and comments spanning lines (RFC 1035 §5.1). */
    r = find_rr(z, "", IB_DNS_T_SOA, 0);
    assert_int_equal(r.ttl, 86400);
    assert_string_equal(r.rd.soa.mname, "a.root-servers.net");
    assert_string_equal(r.rd.soa.rname, "nstld.verisign-grs.com");
    assert_int_equal(r.rd.soa.serial, 2024010100u);
    assert_int_equal(r.rd.soa.refresh, 1800);
    assert_int_equal(r.rd.soa.retry, 900);
    assert_int_equal(r.rd.soa.expire, 604800);
    assert_int_equal(r.rd.soa.minimum, 86400);
    r = find_rr(z, "com", IB_DNS_T_NS, 0);
    assert_int_equal(r.ttl, 172800);
    assert_string_equal(r.rd.name, "a.gtld-servers.net");
    r = find_rr(z, "a.gtld-servers.net", IB_DNS_T_A, 0);
    assert_int_equal(r.rd.a, IB_IP4(192, 5, 6, 30));
    ib_dns_zone_free(z);
}

static void test_com_and_google_zones(void **state)
{
    (void)state;
    struct ib_dns_zone *z = parse_ok(zone_com, "com");
    assert_string_equal(ib_dns_zone_origin(z), "com");
    assert_int_equal(ib_dns_zone_count(z), 6);
    /* TTL units (1d, 30m ...) and the default from $TTL 2d. */
    struct ib_dns_rr r = find_rr(z, "com", IB_DNS_T_SOA, 0);
    assert_int_equal(r.ttl, 2 * 86400);
    assert_int_equal(r.rd.soa.refresh, 1800);
    assert_int_equal(r.rd.soa.retry, 900);
    assert_int_equal(r.rd.soa.expire, 7 * 86400);
    assert_int_equal(r.rd.soa.minimum, 86400);
    /* Relative names, the owner left out, and $ORIGIN moved. */
    assert_string_equal(find_rr(z, "google.com", IB_DNS_T_NS, 0).rd.name, "ns1.google.com");
    assert_string_equal(find_rr(z, "google.com", IB_DNS_T_NS, 1).rd.name, "ns2.google.com");
    r = find_rr(z, "ns2.google.com", IB_DNS_T_A, 0);
    assert_int_equal(r.ttl, 172800); /* class before TTL */
    assert_int_equal(r.rd.a, IB_IP4(216, 239, 34, 10));
    ib_dns_zone_free(z);

    z = parse_ok(zone_google, "google.com.");
    assert_string_equal(ib_dns_zone_origin(z), "google.com");
    assert_int_equal(ib_dns_zone_count(z), 10);
    r = find_rr(z, "google.com", IB_DNS_T_SOA, 0);
    assert_int_equal(r.ttl, 60);
    assert_string_equal(r.rd.soa.mname, "ns1.google.com");
    assert_string_equal(r.rd.soa.rname, "dns-admin.google.com");
    /* An explicit TTL does not change the $TTL default (RFC 2308 §4). */
    assert_int_equal(find_rr(z, "google.com", IB_DNS_T_NS, 0).ttl, 300);
    r = find_rr(z, "google.com", IB_DNS_T_MX, 0);
    assert_int_equal(r.rd.mx.pref, 10);
    assert_string_equal(r.rd.mx.host, "smtp.google.com");
    assert_string_equal(find_rr(z, "alias.google.com", IB_DNS_T_CNAME, 0).rd.name,
                        "www.google.com");
    assert_int_equal(find_rr(z, "www.google.com", IB_DNS_T_A, 0).rd.a, IB_IP4(142, 250, 196, 100));
    ib_dns_zone_free(z);
}

/* Everything else RFC 1035 §5.1 allows, and what we add. */
static const char zone_syntax[] =
    "$TTL 1h30m ; units add up\r\n"
    "@ SOA ns hostmaster.example.org. ( 7 ; serial\n"
    "   3600 600\n"
    "   86400 300 )\n"
    "  NS ns.example.org.\n"
    "ns.example.org. A 192.0.2.53\n"
    "; a comment line, then a blank one\n"
    "\n"
    "Www 120 IN A 192.0.2.1 ; case kept\n"
    "    IN 240 A 192.0.2.2\n"
    "    A 192.0.2.2\n"
    "v6 AAAA 2001:db8::1\n"
    "rev PTR www.example.org.\n"
    "txt TXT \"v=spf1 -all\" plain \"a \\\"quote\\\" and \\\\ \\065\\066;\" \"\"\n"
    "$ORIGIN sub.example.org.\n"
    "deep A 192.0.2.3\n"
    "@ MX 5 mail.example.org.\n"
    "$TTL 60\n"
    "*.wild A 192.0.2.4\n"
    "nottl A 192.0.2.5\n";

static void test_syntax_features(void **state)
{
    (void)state;
    struct ib_dns_zone *z = parse_ok(zone_syntax, "example.org.");
    /* The second "Www A 192.0.2.2" is the same record: kept once. */
    assert_int_equal(ib_dns_zone_count(z), 12);
    struct ib_dns_rr r = find_rr(z, "example.org", IB_DNS_T_SOA, 0);
    assert_int_equal(r.ttl, 5400);
    assert_string_equal(r.rd.soa.mname, "ns.example.org");
    assert_string_equal(r.rd.soa.rname, "hostmaster.example.org");
    assert_int_equal(r.rd.soa.serial, 7);
    assert_int_equal(r.rd.soa.minimum, 300);
    r = find_rr(z, "Www.example.org", IB_DNS_T_A, 0);
    assert_int_equal(r.ttl, 120);
    assert_int_equal(r.rd.a, IB_IP4(192, 0, 2, 1));
    r = find_rr(z, "Www.example.org", IB_DNS_T_A, 1);
    assert_int_equal(r.ttl, 240);
    assert_int_equal(r.rd.a, IB_IP4(192, 0, 2, 2));
    r = find_rr(z, "v6.example.org", IB_DNS_T_AAAA, 0);
    static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    assert_memory_equal(r.rd.aaaa, v6, 16);
    assert_string_equal(find_rr(z, "rev.example.org", IB_DNS_T_PTR, 0).rd.name, "www.example.org");
    /* RFC 1035 §3.3.14: each string with its length; \" \\ \DDD decoded. */
    r = find_rr(z, "txt.example.org", IB_DNS_T_TXT, 0);
    static const char txt[] = "\x0bv=spf1 -all\x05plain\x13"
                              "a \"quote\" and \\ AB;\x00";
    assert_int_equal(r.rd.raw.len, sizeof(txt) - 1);
    assert_memory_equal(r.rd.raw.data, txt, sizeof(txt) - 1);
    assert_int_equal(find_rr(z, "deep.sub.example.org", IB_DNS_T_A, 0).ttl, 5400);
    r = find_rr(z, "sub.example.org", IB_DNS_T_MX, 0);
    assert_string_equal(r.rd.mx.host, "mail.example.org");
    assert_int_equal(find_rr(z, "*.wild.sub.example.org", IB_DNS_T_A, 0).ttl, 60);
    assert_int_equal(find_rr(z, "nottl.sub.example.org", IB_DNS_T_A, 0).ttl, 60);
    ib_dns_zone_free(z);
}

/* RFC 1035 §5.1: without $TTL an omitted TTL is the last one given. */
static void test_ttl_without_dollar_ttl(void **state)
{
    (void)state;
    struct ib_dns_zone *z = parse_ok("@ 100 SOA ns h 1 2 3 4 5\n"
                                     "a 200 A 10.0.0.1\n"
                                     "b A 10.0.0.2\n",
                                     "t");
    assert_int_equal(find_rr(z, "b.t", IB_DNS_T_A, 0).ttl, 200);
    ib_dns_zone_free(z);
}

/* The origin may be given with or without its final dot; "" is the root
 * (as ib_dns_zone_origin shows it). */
static void test_origin_forms(void **state)
{
    (void)state;
    static const char *const forms[] = {".", ""};
    for (size_t i = 0; i < 2; i++) {
        struct ib_dns_zone *z = parse_ok(zone_root, forms[i]);
        assert_string_equal(ib_dns_zone_origin(z), "");
        ib_dns_zone_free(z);
    }
    struct ib_dns_zone *z = NULL;
    char err[128];
    assert_int_equal(ib_dns_zone_parse(&z, "x", "", 0, "a..b", err, sizeof(err)), IB_ERR_INVAL);
    assert_null(z);
    assert_string_equal(err, "x:1:1: expected a zone origin, got \"a..b\" with an empty label");
}

static const struct {
    const char *text, *err;
} bad[] = {
    {"$TTL 60\n@ SOA ns h 1 2 3 4 5\nsrv SRV 0 0 53 ns\n",
     "t.zone:3:5: expected a record type (A, AAAA, CNAME, MX, NS, PTR, SOA or TXT), got \"SRV\""},
    {"$TTL 60\n@ SOA ns h 1 2 3 4 5\nwww A 10.0.0\n",
     "t.zone:3:7: expected an IPv4 address such as 192.0.2.1, got \"10.0.0\""},
    {"$TTL 60\n@ SOA ns h 1 2 3 4 5\nwww.example.org. A 10.0.0.1\n",
     "t.zone:3:1: expected a name at or below example.com, got \"www.example.org.\""},
    {"$TTL 60\n@ SOA ns h ( 1 2 3\n 4 5\n",
     "t.zone:2:12: expected ')' to close this '(' before the end of the file"},
    {"$TTL 60\n@ SOA ns h 1 2 3 4 5\nt TXT \"open\n",
     "t.zone:3:7: expected a closing '\"' on the same line"},
    {"$TTL 60\nwww A 10.0.0.1\n", "t.zone:3:1: expected an SOA record at the zone's apex"},
    {"$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ SOA ns2 h 1 2 3 4 5\n",
     "t.zone:3:1: expected one SOA record, not a second"},
    {"$TTL 60\nsub SOA ns h 1 2 3 4 5\n", "t.zone:2:1: expected the SOA record at the zone's apex"},
    {"$TTL 60\n@ CH SOA ns h 1 2 3 4 5\n", "t.zone:2:3: expected class IN, got \"CH\""},
    {"$TTL 60\n@ SOA ns h 1 2 3 4 5\nwww A 10.0.0.1 10.0.0.2\n",
     "t.zone:3:16: expected the end of the record, got \"10.0.0.2\""},
    {"$TTL 60\n@ SOA ns h 1 2 3 4 5\nwww CNAME web\n    A 10.0.0.1\n",
     "t.zone:4:5: expected no other record at a name that has a CNAME (RFC 2181 §10.1)"},
    {"$TTL 60\n@ SOA ns h 1 2 3 4 5\n"
     "a234567890123456789012345678901234567890123456789012345678901234 A 10.0.0.1\n",
     "t.zone:3:1: expected an owner name with labels of at most 63 octets, got "
     "\"a2345678901234567890123456789012345678901...\""},
    {"$TTL 60\n@ SOA ns h 1 2 3 4 5\na\\.b A 10.0.0.1\n",
     "t.zone:3:1: expected an owner name without '\\' escapes, got \"a.b\""},
    {"$INCLUDE other.zone\n",
     "t.zone:1:1: expected $ORIGIN or $TTL ($INCLUDE and others are not supported), got "
     "\"$INCLUDE\""},
    {"@ SOA ns h 1 2 3 4 5\n",
     "t.zone:1:3: expected a TTL before the type: there is no $TTL line and no earlier TTL "
     "(RFC 2308 §4)"},
    {"$TTL 60\n  A 10.0.0.1\n",
     "t.zone:2:3: expected an owner name in the first column (a line starting with a blank "
     "repeats the previous owner, and there is none)"},
    {"$TTL 60\n@ SOA ns h 1 2 3 4 5 )\n", "t.zone:2:22: expected '(' before ')'"},
    {"$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ MX 65536 mail\n",
     "t.zone:3:6: expected a preference from 0 to 65535, got \"65536\""},
    {"$TTL 3000000000\n", "t.zone:1:6: expected a TTL after $TTL (0 to 2147483647 seconds), got "
                          "\"3000000000\""},
    {"$TTL 60\n@ SOA ns h 1 2 3 4\n",
     "t.zone:2:19: expected a minimum TTL, got the end of the line"},
    {"$TTL 60\n@ SOA ns h 1 2 3 4 5\nx TXT \\0a\n",
     "t.zone:3:7: expected three digits after '\\' (\\DDD)"},
    {"$TTL 60\n@ SOA ns h 1 2 3 4 5\nx AAAA 2001:db8::g\n",
     "t.zone:3:8: expected an IPv6 address such as 2001:db8::1, got \"2001:db8::g\""},
    {"$TTL 60\n@ SOA ns h 1 2 3 4 5\nx NS\n",
     "t.zone:3:5: expected a name server's name, got the end of the line"},
};

/* Each malformed file fails with the place and what was expected there. */
static void test_malformed(void **state)
{
    (void)state;
    for (size_t i = 0; i < IB_ARRAY_LEN(bad); i++) {
        struct ib_dns_zone *z = (struct ib_dns_zone *)1;
        char err[256];
        int rc = ib_dns_zone_parse(&z, "t.zone", bad[i].text, strlen(bad[i].text), "example.com",
                                   err, sizeof(err));
        if (rc != IB_ERR_INVAL || strcmp(err, bad[i].err) != 0)
            fail_msg("case %zu: rc %d, got   %s\n               want  %s", i, rc, err, bad[i].err);
        assert_null(z);
        assert_null(strchr(err, '\n'));
    }
}

/* A message cut to the buffer given, and no buffer at all, are fine. */
static void test_error_buffer(void **state)
{
    (void)state;
    struct ib_dns_zone *z;
    char err[12];
    assert_int_equal(ib_dns_zone_parse(&z, "t.zone", "x", 1, "a", err, sizeof(err)), IB_ERR_INVAL);
    assert_string_equal(err, "t.zone:1:2:");
    assert_int_equal(ib_dns_zone_parse(&z, "t.zone", "x", 1, "a", NULL, 0), IB_ERR_INVAL);
    assert_null(z);
}

static void write_file(const char *path, const char *a, const char *b)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(a, f);
    fputs(b, f);
    assert_int_equal(fclose(f), 0);
}

/* Loading from a file names it in errors. */
static void test_load(void **state)
{
    (void)state;
    char path[] = "/tmp/ib_zone_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct ib_dns_zone *z;
    char err[256], want[256];
    write_file(path, zone_google, "");
    assert_int_equal(ib_dns_zone_load(&z, path, "google.com", err, sizeof(err)), 0);
    assert_int_equal(ib_dns_zone_count(z), 10);
    ib_dns_zone_free(z);
    write_file(path, zone_google, "x.example.org. A 192.0.2.1\n");
    assert_int_equal(ib_dns_zone_load(&z, path, "google.com", err, sizeof(err)), IB_ERR_INVAL);
    snprintf(want, sizeof(want),
             "%s:12:1: expected a name at or below google.com, got \"x.example.org.\"", path);
    assert_string_equal(err, want);
    assert_null(z);
    unlink(path);
    assert_int_equal(ib_dns_zone_load(&z, path, "google.com", err, sizeof(err)), IB_ERR_IO);
    assert_null(z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_root_zone),       cmocka_unit_test(test_com_and_google_zones),
        cmocka_unit_test(test_syntax_features), cmocka_unit_test(test_ttl_without_dollar_ttl),
        cmocka_unit_test(test_origin_forms),    cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_error_buffer),    cmocka_unit_test(test_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
