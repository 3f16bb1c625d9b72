/* The zones of the journey's little internet as master files (RFC 1035
 * §5), and a query builder, for the zone and server tests (include after
 * cmocka.h). The root delegates com to a.gtld-servers.net, com delegates
 * google.com to ns1/ns2.google.com (the names and addresses of the codec's
 * tshark-checked referral vector, test_dns_wire.c), google.com holds www.
 * Each zone uses another part of the syntax. */
#ifndef INETBOX_TEST_DNS_ZONES_H
#define INETBOX_TEST_DNS_ZONES_H

#include <stdio.h>
#include <stdlib.h>

#include "inetbox/dns.h"

static const char zone_root[] = "; The root zone\n"
                                "$ORIGIN .\n"
                                "$TTL 86400\n"
                                "@\tIN\tSOA\ta.root-servers.net. nstld.verisign-grs.com. (\n"
                                "\t\t2024010100 ; serial\n"
                                "\t\t1800       ; refresh\n"
                                "\t\t900        ; retry\n"
                                "\t\t604800     ; expire\n"
                                "\t\t86400 )    ; minimum\n"
                                "\tIN\tNS\ta.root-servers.net.\n"
                                "a.root-servers.net.\tA\t198.41.0.4\n"
                                "com.\t172800\tIN\tNS\ta.gtld-servers.net.\n"
                                "a.gtld-servers.net.\t172800\tIN\tA\t192.5.6.30\n";

static const char zone_com[] =
    "$TTL 2d\n"
    "@ IN SOA a.gtld-servers.net. nstld.verisign-grs.com. 1 30m 15m 1w 1d\n"
    "  IN NS a.gtld-servers.net.\n"
    "google 172800 IN NS ns1.google\n"
    "       172800 IN NS ns2.google\n"
    "$ORIGIN google.com.\n"
    "ns1 172800 A 216.239.32.10\n"
    "ns2 IN 172800 A 216.239.34.10\n";

/* SOA as in the codec's NXDOMAIN vector: TTL and minimum 60. */
static const char zone_google[] = "$TTL 300\n"
                                  "@ 60 IN SOA ns1 dns-admin 2026112501 900 900 1800 60\n"
                                  "  NS ns1\n"
                                  "  NS ns2\n"
                                  "  MX 10 smtp\n"
                                  "ns1 A 216.239.32.10\n"
                                  "ns2 A 216.239.34.10\n"
                                  "smtp A 142.250.4.27\n"
                                  "www A 142.250.196.100\n"
                                  "www.l A 142.250.80.4\n"
                                  "alias CNAME www\n";

/* A standard query for name/type, with an OPT record offering edns_size
 * bytes (RFC 6891 §6.1.2) unless 0. Returns its length. */
static inline size_t dns_query(uint8_t *out, size_t cap, uint16_t id, const char *name,
                               uint16_t type, bool rd, int edns_size)
{
    struct ib_dns_msg *q = calloc(1, sizeof(*q));
    assert_non_null(q);
    q->id = id;
    q->rd = rd;
    q->qdcount = 1;
    snprintf(q->qd[0].name, sizeof(q->qd[0].name), "%s", name);
    q->qd[0].type = type;
    q->qd[0].cls = IB_DNS_C_IN;
    if (edns_size) {
        q->arcount = 1;
        q->ar[0].type = 41; /* OPT */
        q->ar[0].cls = (uint16_t)edns_size;
    }
    size_t n = ib_dns_emit(q, out, cap);
    assert_true(n > 0);
    free(q);
    return n;
}

#endif
