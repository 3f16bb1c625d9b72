/* libFuzzer harness for the DNS message codec (RFC 1035 §4.1): the input
 * is one message. What parses is emitted again (compressed, no size cap
 * that could truncate it) and re-parsed; the second parse must succeed and
 * describe the same message, names compared without regard to case (RFC
 * 1035 §2.3.3: compression may point at a copy spelled otherwise), and
 * emitting that gives the same bytes. Seeds: corpus/dns/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "inetbox/dns.h"

/* Big enough for every message a struct can hold, uncompressed. */
#define OUT_CAP (1u << 18)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_dns oracle failed: %s\n", what);
        abort();
    }
}

static bool same_name(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

static bool same_rr(const struct ib_dns_rr *a, const struct ib_dns_rr *b)
{
    if (!same_name(a->name, b->name) || a->type != b->type || a->cls != b->cls || a->ttl != b->ttl)
        return false;
    switch (a->type) {
    case IB_DNS_T_A:
        return a->rd.a == b->rd.a;
    case IB_DNS_T_AAAA:
        return memcmp(a->rd.aaaa, b->rd.aaaa, 16) == 0;
    case IB_DNS_T_NS:
    case IB_DNS_T_CNAME:
    case IB_DNS_T_PTR:
        return same_name(a->rd.name, b->rd.name);
    case IB_DNS_T_MX:
        return a->rd.mx.pref == b->rd.mx.pref && same_name(a->rd.mx.host, b->rd.mx.host);
    case IB_DNS_T_SOA:
        return same_name(a->rd.soa.mname, b->rd.soa.mname) &&
               same_name(a->rd.soa.rname, b->rd.soa.rname) &&
               a->rd.soa.serial == b->rd.soa.serial && a->rd.soa.refresh == b->rd.soa.refresh &&
               a->rd.soa.retry == b->rd.soa.retry && a->rd.soa.expire == b->rd.soa.expire &&
               a->rd.soa.minimum == b->rd.soa.minimum;
    default:
        return a->rd.raw.len == b->rd.raw.len &&
               memcmp(a->rd.raw.data, b->rd.raw.data, a->rd.raw.len) == 0;
    }
}

static bool same_msg(const struct ib_dns_msg *a, const struct ib_dns_msg *b)
{
    if (a->id != b->id || a->qr != b->qr || a->aa != b->aa || a->tc != b->tc || a->rd != b->rd ||
        a->ra != b->ra || a->opcode != b->opcode || a->z != b->z || a->rcode != b->rcode ||
        a->qdcount != b->qdcount || a->ancount != b->ancount || a->nscount != b->nscount ||
        a->arcount != b->arcount)
        return false;
    for (unsigned i = 0; i < a->qdcount; i++)
        if (!same_name(a->qd[i].name, b->qd[i].name) || a->qd[i].type != b->qd[i].type ||
            a->qd[i].cls != b->qd[i].cls)
            return false;
    for (unsigned i = 0; i < a->ancount; i++)
        if (!same_rr(&a->an[i], &b->an[i]))
            return false;
    for (unsigned i = 0; i < a->nscount; i++)
        if (!same_rr(&a->ns[i], &b->ns[i]))
            return false;
    for (unsigned i = 0; i < a->arcount; i++)
        if (!same_rr(&a->ar[i], &b->ar[i]))
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ib_dns_msg *m = calloc(1, sizeof(*m)), *m2 = calloc(1, sizeof(*m2));
    uint8_t *out = malloc(OUT_CAP), *out2 = malloc(OUT_CAP);
    check(m && m2 && out && out2, "out of memory");
    int err = ib_dns_parse(data, size, m);
    check(err >= 0 && err < IB_DNS__NERR, "parse returned an unknown reason");
    if (err == IB_DNS_OK) {
        size_t n = ib_dns_emit(m, out, OUT_CAP);
        check(n >= IB_DNS_HLEN && n <= OUT_CAP, "a parsed message did not emit");
        check(ib_dns_parse(out, n, m2) == IB_DNS_OK, "the emitted message did not parse");
        check(same_msg(m, m2), "the round trip changed the message");
        size_t n2 = ib_dns_emit(m2, out2, OUT_CAP);
        check(n2 == n && memcmp(out, out2, n) == 0, "emitting the re-parsed message differs");
    }
    free(m);
    free(m2);
    free(out);
    free(out2);
    return 0;
}
