/* libFuzzer harness for the master-file reader (RFC 1035 §5) and the
 * authoritative answers built from what it reads. The first input byte
 * picks the origin (".", "com.", "google.com." or "example.org."), the
 * rest is the file. A failure must be one line "fz:line:col: expected
 * ..."; a zone that parses must hold only records at or below its origin,
 * each one the codec can write and read back, and the server must answer
 * a query for each record's name and type, for ANY, and for a name below
 * it, with a message that parses and says NOERROR or NXDOMAIN, over UDP
 * sizes and TCP ones. Seeds: corpus/dns_zone/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "inetbox/dns_server.h"

#define MAX_QUERIES 64u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_dns_zone oracle failed: %s\n", what);
        abort();
    }
}

static bool below(const char *name, const char *origin)
{
    size_t n = strlen(name), o = strlen(origin);
    if (o == 0) return true;
    return n >= o && strcasecmp(name + n - o, origin) == 0 && (n == o || name[n - o - 1] == '.');
}

/* The record survives the codec: written and read back the same. */
static void check_rr(const struct ib_dns_rr *r, struct ib_dns_msg *m, uint8_t *buf)
{
    memset(m, 0, sizeof(*m));
    m->qr = true;
    m->ancount = 1;
    m->an[0] = *r;
    size_t n = ib_dns_emit(m, buf, 65535);
    check(n > 0, "a zone record the codec cannot write");
    check(ib_dns_parse(buf, n, m) == IB_DNS_OK && m->ancount == 1, "a zone record does not parse");
    check(strcasecmp(m->an[0].name, r->name) == 0 && m->an[0].type == r->type &&
              m->an[0].ttl == r->ttl,
          "a zone record changed in the codec");
}

static void ask(const struct ib_dns_auth *a, struct ib_dns_msg *m, uint8_t *q, uint8_t *out,
                const char *name, uint16_t type)
{
    memset(m, 0, sizeof(*m));
    m->id = 0x5a5a;
    m->qdcount = 1;
    snprintf(m->qd[0].name, sizeof(m->qd[0].name), "%s", name);
    m->qd[0].type = type;
    m->qd[0].cls = IB_DNS_C_IN;
    size_t qn = ib_dns_emit(m, q, 512);
    if (qn == 0) return; /* "zz." made the name too long */
    static const size_t caps[] = {IB_DNS_UDP_MAX, IB_DNS_EDNS_SIZE, 65535};
    for (unsigned i = 0; i < 3; i++) {
        size_t n = ib_dns_auth_answer(a, q, qn, out, caps[i]);
        check(n >= 12 && n <= caps[i], "no response, or one over the size allowed");
        check(ib_dns_parse(out, n, m) == IB_DNS_OK, "the response does not parse");
        check(m->qr && m->id == 0x5a5a && m->qdcount == 1, "the response's header is wrong");
        check(m->rcode == IB_DNS_R_NOERROR || m->rcode == IB_DNS_R_NXDOMAIN,
              "a name of the zone was not answered");
        check(m->rcode == IB_DNS_R_NOERROR || m->nscount == 1,
              "NXDOMAIN without the SOA (RFC 2308 §3)");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const origins[] = {".", "com.", "google.com.", "example.org."};
    if (size < 1) return 0;
    const char *origin = origins[data[0] % 4];
    struct ib_dns_zone *z = NULL;
    char err[256];
    int rc =
        ib_dns_zone_parse(&z, "fz", (const char *)data + 1, size - 1, origin, err, sizeof(err));
    if (rc) {
        check(rc == IB_ERR_INVAL && z == NULL, "an error other than INVAL, or a zone with it");
        check(strncmp(err, "fz:", 3) == 0 && strstr(err, ": expected ") != NULL,
              "an error message without file:line:col: expected");
        check(strchr(err, '\n') == NULL, "an error message of more than one line");
        return 0;
    }
    size_t count = ib_dns_zone_count(z);
    check(count >= 1, "a zone without its SOA");
    struct ib_dns_msg *m = malloc(sizeof(*m));
    struct ib_dns_rr *rr = malloc(sizeof(*rr));
    uint8_t *buf = malloc(65535), *q = malloc(512);
    struct ib_dns_auth *a = ib_dns_auth_new();
    check(m && rr && buf && q && a, "out of memory");
    for (size_t i = 0; i < count; i++) {
        check(ib_dns_zone_rr(z, i, rr) == 0, "a record cannot be read");
        check(below(rr->name, ib_dns_zone_origin(z)), "a record outside the zone");
        check_rr(rr, m, buf);
    }
    check(ib_dns_zone_rr(z, count, rr) == IB_ERR_INVAL, "a record past the end");
    struct ib_dns_zone *keep = z;
    check(ib_dns_auth_add_zone(a, z) == 0, "the zone was not taken");
    for (size_t i = 0; i < count && i < MAX_QUERIES; i++) {
        check(ib_dns_zone_rr(keep, i, rr) == 0, "a record cannot be read");
        char name[IB_DNS_NAME_SIZE + 4];
        snprintf(name, sizeof(name), "%s", rr->name);
        ask(a, m, q, buf, name, rr->type);
        ask(a, m, q, buf, name, IB_DNS_T_ANY);
        snprintf(name, sizeof(name), "zz%s%s", rr->name[0] ? "." : "", rr->name);
        if (strlen(name) < IB_DNS_NAME_SIZE) ask(a, m, q, buf, name, IB_DNS_T_A);
    }
    ib_dns_auth_stop(a);
    free(m);
    free(rr);
    free(buf);
    free(q);
    return 0;
}
