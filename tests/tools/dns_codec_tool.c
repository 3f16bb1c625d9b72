/* A command-line face of our DNS codec (include/inetbox/dns.h) for the
 * cross-check with an independent implementation
 * (tests/interop/dns_dnspython.sh): each input line is one message, each
 * output line its result, so the two sides can be compared with diff.
 *
 *   dns_codec_tool parse         hex wire messages in, canonical text out
 *   dns_codec_tool emit [--cap N]  canonical text in, hex wire out (our
 *                                emitter, compressed, at most N bytes)
 *
 * The canonical text of a message is its header and its records, in wire
 * order, separated by " ; ":
 *   id=4660 qr=1 opcode=0 aa=1 tc=0 rd=1 ra=0 z=0 rcode=0 ; qd www.google.com. IN A ;
 *   an www.google.com. 300 IN A 142.250.196.100
 * with names absolute ("." the root), classes and types by mnemonic or
 * RFC 3597 §5 "CLASS<n>"/"TYPE<n>", and rdata: A and AAAA addresses (the
 * latter as inet_ntop writes them), NS/CNAME/PTR a name, MX "pref name",
 * SOA "mname rname serial refresh retry expire minimum", TXT each
 * character-string as quoted hex ("68656c6c6f"), any other type RFC 3597
 * §5's "\# len hex". A message that does not parse (or emit) is "ERROR";
 * the reason goes to stderr. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inetbox/dns.h"
#include "inetbox/evname.h"

#define LINE_MAX_LEN (1u << 20)

/* A growing line of output. */
struct text {
    char *b;
    size_t n, cap;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0) abort();
    if (t->n + (size_t)k + 1 > t->cap) {
        t->cap = (t->n + (size_t)k + 1) * 2;
        t->b = realloc(t->b, t->cap);
        if (!t->b) abort();
    }
    va_start(ap, fmt);
    vsnprintf(t->b + t->n, t->cap - t->n, fmt, ap);
    va_end(ap);
    t->n += (size_t)k;
}

static void add_hex(struct text *t, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        add(t, "%02x", b[i]);
}

static void add_name(struct text *t, const char *name)
{
    add(t, "%s.", *name ? name : "");
}

static void add_class(struct text *t, uint16_t cls)
{
    if (cls == IB_DNS_C_IN)
        add(t, " IN");
    else
        add(t, " CLASS%u", cls);
}

static void add_rdata(struct text *t, const struct ib_dns_rr *r)
{
    char s[INET6_ADDRSTRLEN];
    switch (r->type) {
    case IB_DNS_T_A:
        add(t, " %u.%u.%u.%u", r->rd.a >> 24, r->rd.a >> 16 & 255, r->rd.a >> 8 & 255,
            r->rd.a & 255);
        return;
    case IB_DNS_T_AAAA:
        add(t, " %s", inet_ntop(AF_INET6, r->rd.aaaa, s, sizeof(s)));
        return;
    case IB_DNS_T_NS:
    case IB_DNS_T_CNAME:
    case IB_DNS_T_PTR:
        add(t, " ");
        add_name(t, r->rd.name);
        return;
    case IB_DNS_T_MX:
        add(t, " %u ", r->rd.mx.pref);
        add_name(t, r->rd.mx.host);
        return;
    case IB_DNS_T_SOA:
        add(t, " ");
        add_name(t, r->rd.soa.mname);
        add(t, " ");
        add_name(t, r->rd.soa.rname);
        add(t, " %" PRIu32 " %" PRIu32 " %" PRIu32 " %" PRIu32 " %" PRIu32, r->rd.soa.serial,
            r->rd.soa.refresh, r->rd.soa.retry, r->rd.soa.expire, r->rd.soa.minimum);
        return;
    case IB_DNS_T_TXT:
        /* RFC 1035 §3.3.14; the parser checked the lengths */
        for (size_t i = 0; i < r->rd.raw.len;) {
            size_t n = r->rd.raw.data[i++];
            add(t, " \"");
            add_hex(t, r->rd.raw.data + i, n);
            add(t, "\"");
            i += n;
        }
        return;
    default:
        add(t, " \\# %u", r->rd.raw.len);
        if (r->rd.raw.len) {
            add(t, " ");
            add_hex(t, r->rd.raw.data, r->rd.raw.len);
        }
    }
}

static void add_rr(struct text *t, const char *sec, const struct ib_dns_rr *r)
{
    char tb[IB_EVNAME_BUF];
    add(t, " ; %s ", sec);
    add_name(t, r->name);
    add(t, " %" PRIu32, r->ttl);
    add_class(t, r->cls);
    add(t, " %s", ib_evname_dns_type(r->type, tb));
    add_rdata(t, r);
}

static void canonical(struct text *t, const struct ib_dns_msg *m)
{
    char tb[IB_EVNAME_BUF];
    add(t, "id=%u qr=%d opcode=%u aa=%d tc=%d rd=%d ra=%d z=%u rcode=%u", m->id, m->qr, m->opcode,
        m->aa, m->tc, m->rd, m->ra, m->z, m->rcode);
    for (unsigned i = 0; i < m->qdcount; i++) {
        add(t, " ; qd ");
        add_name(t, m->qd[i].name);
        add_class(t, m->qd[i].cls);
        add(t, " %s", ib_evname_dns_type(m->qd[i].type, tb));
    }
    for (unsigned i = 0; i < m->ancount; i++)
        add_rr(t, "an", &m->an[i]);
    for (unsigned i = 0; i < m->nscount; i++)
        add_rr(t, "ns", &m->ns[i]);
    for (unsigned i = 0; i < m->arcount; i++)
        add_rr(t, "ar", &m->ar[i]);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Hex digits to bytes; -1 if odd or not hex. */
static long unhex(const char *s, size_t n, uint8_t *out, size_t cap)
{
    if (n % 2 || n / 2 > cap) return -1;
    for (size_t i = 0; i < n; i += 2) {
        int hi = hexval(s[i]), lo = hexval(s[i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    return (long)(n / 2);
}

/* The text reader for emit: whitespace-separated tokens of one section. */
struct rd {
    char *tok[16 + 2 * 255];
    unsigned n, i;
};

static const char *next(struct rd *r)
{
    return r->i < r->n ? r->tok[r->i++] : NULL;
}

static bool num(const char *s, uint64_t max, uint64_t *out)
{
    if (!s || !*s) return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno || v > max || *s == '-') return false;
    *out = v;
    return true;
}

static bool name_of(const char *s, char *out)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || s[n - 1] != '.' || n > IB_DNS_NAME_SIZE) return false;
    if (n == 1) {
        out[0] = '\0';
        return true;
    }
    memcpy(out, s, n - 1);
    out[n - 1] = '\0';
    return true;
}

static bool class_of(const char *s, uint16_t *out)
{
    uint64_t v;
    if (s && strcmp(s, "IN") == 0) {
        *out = IB_DNS_C_IN;
        return true;
    }
    if (!s || strncmp(s, "CLASS", 5) != 0 || !num(s + 5, 65535, &v)) return false;
    *out = (uint16_t)v;
    return true;
}

static bool type_of(const char *s, uint16_t *out)
{
    static const uint16_t known[] = {IB_DNS_T_A,   IB_DNS_T_NS,   IB_DNS_T_CNAME,
                                     IB_DNS_T_SOA, IB_DNS_T_PTR,  IB_DNS_T_MX,
                                     IB_DNS_T_TXT, IB_DNS_T_AAAA, IB_DNS_T_ANY};
    char tb[IB_EVNAME_BUF];
    uint64_t v;
    if (!s) return false;
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (strcmp(s, ib_evname_dns_type(known[i], tb)) == 0) {
            *out = known[i];
            return true;
        }
    }
    if (strncmp(s, "TYPE", 4) != 0 || !num(s + 4, 65535, &v)) return false;
    *out = (uint16_t)v;
    return true;
}

static bool rdata_of(struct rd *r, struct ib_dns_rr *rr)
{
    uint64_t v[5];
    const char *s;
    switch (rr->type) {
    case IB_DNS_T_A: {
        struct in_addr a;
        if (!(s = next(r)) || inet_pton(AF_INET, s, &a) != 1) return false;
        rr->rd.a = ntohl(a.s_addr);
        return true;
    }
    case IB_DNS_T_AAAA:
        return (s = next(r)) && inet_pton(AF_INET6, s, rr->rd.aaaa) == 1;
    case IB_DNS_T_NS:
    case IB_DNS_T_CNAME:
    case IB_DNS_T_PTR:
        return name_of(next(r), rr->rd.name);
    case IB_DNS_T_MX:
        if (!num(next(r), 65535, v)) return false;
        rr->rd.mx.pref = (uint16_t)v[0];
        return name_of(next(r), rr->rd.mx.host);
    case IB_DNS_T_SOA:
        if (!name_of(next(r), rr->rd.soa.mname) || !name_of(next(r), rr->rd.soa.rname))
            return false;
        for (int i = 0; i < 5; i++)
            if (!num(next(r), UINT32_MAX, &v[i])) return false;
        rr->rd.soa.serial = (uint32_t)v[0];
        rr->rd.soa.refresh = (uint32_t)v[1];
        rr->rd.soa.retry = (uint32_t)v[2];
        rr->rd.soa.expire = (uint32_t)v[3];
        rr->rd.soa.minimum = (uint32_t)v[4];
        return true;
    case IB_DNS_T_TXT:
        rr->rd.raw.len = 0;
        while ((s = next(r)) != NULL) {
            size_t n = strlen(s);
            uint16_t at = rr->rd.raw.len;
            if (n < 2 || s[0] != '"' || s[n - 1] != '"' || at >= IB_DNS_MAX_RDATA) return false;
            long k = unhex(s + 1, n - 2, rr->rd.raw.data + at + 1, IB_DNS_MAX_RDATA - at - 1u);
            if (k < 0 || k > 255) return false;
            rr->rd.raw.data[at] = (uint8_t)k;
            rr->rd.raw.len = (uint16_t)(at + 1 + k);
        }
        return true;
    default: {
        /* RFC 3597 §5: \# length hex */
        if (!(s = next(r)) || strcmp(s, "\\#") != 0 || !num(next(r), IB_DNS_MAX_RDATA, v))
            return false;
        s = v[0] ? next(r) : "";
        long k = s ? unhex(s, strlen(s), rr->rd.raw.data, IB_DNS_MAX_RDATA) : -1;
        if (k != (long)v[0]) return false;
        rr->rd.raw.len = (uint16_t)k;
        return true;
    }
    }
}

static bool header_of(struct rd *r, struct ib_dns_msg *m)
{
    static const char *const keys[9] = {"id", "qr", "opcode", "aa", "tc", "rd", "ra", "z", "rcode"};
    static const uint64_t max[9] = {65535, 1, 15, 1, 1, 1, 1, 7, 15};
    uint64_t v[9];
    for (int i = 0; i < 9; i++) {
        const char *s = next(r);
        size_t k = strlen(keys[i]);
        if (!s || strncmp(s, keys[i], k) != 0 || s[k] != '=' || !num(s + k + 1, max[i], &v[i]))
            return false;
    }
    m->id = (uint16_t)v[0];
    m->qr = v[1];
    m->opcode = (uint8_t)v[2];
    m->aa = v[3];
    m->tc = v[4];
    m->rd = v[5];
    m->ra = v[6];
    m->z = (uint8_t)v[7];
    m->rcode = (uint8_t)v[8];
    return r->i == r->n;
}

static bool section_of(struct rd *r, struct ib_dns_msg *m)
{
    const char *sec = next(r);
    if (!sec) return false;
    if (strcmp(sec, "qd") == 0) {
        if (m->qdcount >= IB_DNS_MAX_QD) return false;
        struct ib_dns_question *q = &m->qd[m->qdcount++];
        return name_of(next(r), q->name) && class_of(next(r), &q->cls) &&
               type_of(next(r), &q->type) && r->i == r->n;
    }
    struct ib_dns_rr *rr;
    uint16_t *count;
    if (strcmp(sec, "an") == 0)
        rr = m->an, count = &m->ancount;
    else if (strcmp(sec, "ns") == 0)
        rr = m->ns, count = &m->nscount;
    else if (strcmp(sec, "ar") == 0)
        rr = m->ar, count = &m->arcount;
    else
        return false;
    if (*count >= IB_DNS_MAX_RR) return false;
    rr += (*count)++;
    uint64_t ttl;
    return name_of(next(r), rr->name) && num(next(r), UINT32_MAX, &ttl) &&
           (rr->ttl = (uint32_t)ttl, class_of(next(r), &rr->cls)) && type_of(next(r), &rr->type) &&
           rdata_of(r, rr) && r->i == r->n;
}

/* Reads one canonical line (modified in place) into m. */
static bool message_of(char *line, struct ib_dns_msg *m)
{
    memset(m, 0, sizeof(*m));
    bool first = true;
    for (char *part = line; part;) {
        char *sep = strstr(part, " ; ");
        if (sep) *sep = '\0';
        struct rd r = {.n = 0};
        for (char *save, *tok = strtok_r(part, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
            if (r.n < sizeof(r.tok) / sizeof(r.tok[0])) r.tok[r.n++] = tok;
        if (!(first ? header_of(&r, m) : section_of(&r, m))) return false;
        first = false;
        part = sep ? sep + 3 : NULL;
    }
    return !first;
}

static int usage(void)
{
    fprintf(stderr, "usage: dns_codec_tool parse | emit [--cap N]  (one message per line on "
                    "stdin)\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2) return usage();
    bool parse = strcmp(argv[1], "parse") == 0;
    size_t cap = 65535;
    if (!parse && strcmp(argv[1], "emit") != 0) return usage();
    if (argc == 4 && !parse && strcmp(argv[2], "--cap") == 0)
        cap = strtoul(argv[3], NULL, 10);
    else if (argc != 2)
        return usage();
    char *line = malloc(LINE_MAX_LEN);
    uint8_t *wire = malloc(65535);
    struct ib_dns_msg *m = malloc(sizeof(*m));
    if (!line || !wire || !m || cap > 65535) return 2;
    unsigned lineno = 0;
    while (fgets(line, LINE_MAX_LEN, stdin)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        struct text out = {NULL, 0, 0};
        if (parse) {
            long n = unhex(line, strlen(line), wire, 65535);
            int err = n < 0 ? -1 : ib_dns_parse(wire, (size_t)n, m);
            if (err == 0)
                canonical(&out, m);
            else
                fprintf(stderr, "line %u: %s\n", lineno, n < 0 ? "not hex" : ib_dns_err_str(err));
        } else {
            size_t n = message_of(line, m) ? ib_dns_emit(m, wire, cap) : 0;
            if (n > 0)
                add_hex(&out, wire, n);
            else
                fprintf(stderr, "line %u: cannot emit\n", lineno);
        }
        printf("%s\n", out.n ? out.b : "ERROR");
        free(out.b);
    }
    free(line);
    free(wire);
    free(m);
    return ferror(stdin) ? 1 : 0;
}
