/* The authoritative server's answers (RFC 1034 §4.3.2, the algorithm a
 * name server follows, without recursion): the closest enclosing zone we
 * serve; a referral with glue at a zone cut; the records asked for, with
 * CNAMEs followed within the zone (RFC 6604 §2.1 sets the RCODE by the
 * last name); wildcards (RFC 4592); NXDOMAIN and NODATA with the SOA for
 * negative caching (RFC 2308 §3); addresses of name servers and mail
 * exchanges in the additional section. EDNS(0) (RFC 6891) sets the UDP
 * size. Errors: FORMERR, NOTIMP, REFUSED. */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "dns/dns_auth_int.h"
#include "dns/dns_zone_int.h"

#define T_OPT 41u         /* RFC 6891 §6.1.1 */
#define OPT_LEN 11u       /* an OPT record without options */
#define RCODE_BADVERS 16u /* RFC 6891 §9 */
#define MAX_CHAIN 8u      /* CNAMEs followed in one answer */
#define QTYPE_IXFR 251u   /* RFC 1995; 252 AXFR, 253 MAILB, 254 MAILA */
#define QTYPE_MAILA 254u

struct ib_dns_auth *ib_dns_auth_new(void)
{
    struct ib_dns_auth *a = calloc(1, sizeof(*a));
    if (!a) return NULL;
    a->m = malloc(sizeof(*a->m));
    if (!a->m) {
        free(a);
        return NULL;
    }
    return a;
}

int ib_dns_auth_add_zone(struct ib_dns_auth *a, struct ib_dns_zone *z)
{
    for (size_t i = 0; i < a->nzones; i++) {
        if (strcmp(a->zones[i]->okey, z->okey) == 0) return IB_ERR_INUSE;
    }
    if (a->nzones == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 4;
        struct ib_dns_zone **zs = realloc(a->zones, cap * sizeof(*zs));
        if (!zs) return IB_ERR_NOMEM;
        a->zones = zs;
        a->cap = cap;
    }
    a->zones[a->nzones++] = z;
    return 0;
}

void ib_dns_auth_get_stats(const struct ib_dns_auth *a, struct ib_dns_auth_stats *out)
{
    *out = a->stats;
}

/* RFC 1034 §4.3.2 step 2: the zone nearest to the name among ours. */
static const struct ib_dns_zone *zone_for(const struct ib_dns_auth *a, const char *key, size_t klen)
{
    const struct ib_dns_zone *best = NULL;
    for (size_t i = 0; i < a->nzones; i++) {
        const struct ib_dns_zone *z = a->zones[i];
        if (ib_dns_zone_holds(z, key, klen) && (!best || z->oklen > best->oklen)) best = z;
    }
    return best;
}

/* The response as it is built, in the message the query was read into. */
struct build {
    const struct ib_dns_auth *a;
    const struct ib_dns_zone *z;
    struct ib_dns_msg *m;
    struct ib_dns_auth_info *info;
    uint16_t qtype;
    uint16_t opt_ns; /* authority records from here on may be left out */
    bool optional;
};

static bool has_rr(const struct ib_dns_rr *rr, uint16_t n, const char *name, uint16_t type)
{
    for (uint16_t i = 0; i < n; i++)
        if (rr[i].type == type && strcasecmp(rr[i].name, name) == 0) return true;
    return false;
}

/* Appends the records of [lo, hi) of type `type` (every type for ANY) to
 * a section, named owner if not NULL (a wildcard's synthesis, RFC 4592
 * §3.3.1). Returns how many were added; a full answer or authority
 * section makes the response truncated. */
static unsigned add_rrs(struct build *b, const struct ib_dns_zone *z, size_t lo, size_t hi,
                        uint16_t type, const char *owner, struct ib_dns_rr *sec, uint16_t *n)
{
    unsigned added = 0;
    for (size_t i = lo; i < hi; i++) {
        if (type != IB_DNS_T_ANY && z->rec[i].type != type) continue;
        if (*n == IB_DNS_MAX_RR) {
            b->m->tc |= sec != b->m->ar;
            break;
        }
        struct ib_dns_rr *r = &sec[(*n)++];
        ib_dns_zone_rr(z, i, r);
        if (owner) snprintf(r->name, sizeof(r->name), "%s", owner);
        added++;
    }
    return added;
}

/* RFC 1034 §4.3.2 step 6 (and RFC 1035 §3.3.9, §3.3.11): the addresses
 * of a name server or mail exchange, from the zone of ours nearest to
 * it: authoritative data, or glue below one of its cuts. */
static void add_addresses(struct build *b, const char *name)
{
    struct ib_dns_msg *m = b->m;
    char key[IB_DNS_KEY_SIZE];
    size_t klen = ib_dns_name_key(name, key);
    const struct ib_dns_zone *z = zone_for(b->a, key, klen);
    if (!z) return;
    size_t lo, hi = ib_dns_zone_find(z, key, klen, &lo);
    static const uint16_t types[] = {IB_DNS_T_A, IB_DNS_T_AAAA};
    for (unsigned t = 0; t < IB_ARRAY_LEN(types); t++)
        if (!has_rr(m->an, m->ancount, name, types[t]) &&
            !has_rr(m->ar, m->arcount, name, types[t]))
            add_rrs(b, z, lo, hi, types[t], NULL, m->ar, &m->arcount);
}

static void add_additional(struct build *b)
{
    struct ib_dns_msg *m = b->m;
    const struct ib_dns_rr *secs[2] = {m->an, m->ns};
    const uint16_t counts[2] = {m->ancount, m->nscount};
    for (unsigned s = 0; s < 2; s++) {
        for (uint16_t i = 0; i < counts[s]; i++) {
            if (secs[s][i].type == IB_DNS_T_NS)
                add_addresses(b, secs[s][i].rd.name);
            else if (secs[s][i].type == IB_DNS_T_MX)
                add_addresses(b, secs[s][i].rd.mx.host);
        }
    }
}

/* Key length of the highest zone cut at or above key below the apex
 * (RFC 1034 §4.3.2 step 3b: "a match would take us out of the
 * authoritative data"), 0 if none. */
static size_t find_cut(const struct ib_dns_zone *z, const char *key, size_t klen)
{
    for (size_t i = z->oklen; i < klen; i++) {
        size_t lo, hi;
        if (key[i] != IB_DNS_KEY_SEP) continue;
        hi = ib_dns_zone_find(z, key, i + 1, &lo);
        for (size_t r = lo; r < hi; r++)
            if (z->rec[r].type == IB_DNS_T_NS) return i + 1;
    }
    return 0;
}

static bool exists(const struct ib_dns_zone *z, const char *key, size_t klen)
{
    size_t lo, hi = ib_dns_zone_find(z, key, klen, &lo);
    return hi > lo || ib_dns_zone_has_below(z, key, klen);
}

/* RFC 4592 §3.3.1: the source of synthesis for a name that does not exist
 * is "*" below its closest encloser (the longest ancestor that exists). */
static bool wildcard(const struct ib_dns_zone *z, const char *key, size_t klen, size_t *lo,
                     size_t *hi)
{
    /* Ancestors are the key's prefixes that end a label, longest first;
     * the apex always exists (it holds the SOA). */
    size_t p = klen - 1;
    while (p > z->oklen && !(key[p - 1] == IB_DNS_KEY_SEP && exists(z, key, p)))
        p--;
    char w[IB_DNS_KEY_SIZE + 2];
    memcpy(w, key, p);
    w[p] = '*';
    w[p + 1] = IB_DNS_KEY_SEP;
    *hi = ib_dns_zone_find(z, w, p + 2, lo);
    return *hi > *lo;
}

/* RFC 2308 §3: the SOA, with the negative TTL, in the authority section. */
static void negative(struct build *b, uint8_t rcode, uint8_t kind)
{
    struct ib_dns_msg *m = b->m;
    struct ib_dns_rr *r = &m->ns[m->nscount++];
    ib_dns_zone_rr(b->z, b->z->soa, r);
    r->ttl = ib_dns_zone_neg_ttl(b->z);
    m->rcode = rcode;
    b->info->kind = kind;
    b->info->ttl = r->ttl;
}

/* RFC 1034 §4.3.2 step 3b: "copy the NS RRs for the subzone into the
 * authority section of the reply. Put whatever addresses are available
 * into the additional section, using glue RRs". Not authoritative. */
static void referral(struct build *b, const char *key, size_t cutlen)
{
    struct ib_dns_msg *m = b->m;
    size_t lo, hi = ib_dns_zone_find(b->z, key, cutlen, &lo);
    m->aa = false;
    add_rrs(b, b->z, lo, hi, IB_DNS_T_NS, NULL, m->ns, &m->nscount);
    add_additional(b);
    struct ib_dns_auth_info *info = b->info;
    info->kind = IB_DNS_KIND_REFERRAL;
    memcpy(info->zone, m->ns[0].name, sizeof(info->zone));
    memcpy(info->ns, m->ns[0].rd.name, sizeof(info->ns));
    info->ttl = m->ns[0].ttl;
    for (uint16_t i = 0; i < m->arcount && !info->addr; i++)
        if (m->ar[i].type == IB_DNS_T_A) info->addr = m->ar[i].rd.a;
}

/* An authoritative answer: the zone's name servers in the authority
 * section unless the answer holds them (they may be left out if the
 * response would not fit), their addresses in the additional. */
static void positive(struct build *b, uint8_t kind)
{
    struct ib_dns_msg *m = b->m;
    const struct ib_dns_zone *z = b->z;
    b->info->kind = kind;
    b->opt_ns = m->nscount;
    if (!has_rr(m->an, m->ancount, z->origin, IB_DNS_T_NS)) {
        size_t lo, hi = ib_dns_zone_find(z, z->okey, z->oklen, &lo);
        add_rrs(b, z, lo, hi, IB_DNS_T_NS, NULL, m->ns, &m->nscount);
    }
    add_additional(b);
    b->optional = true;
    struct ib_dns_auth_info *info = b->info;
    info->ttl = m->ancount ? m->an[0].ttl : 0;
    for (uint16_t i = 0; i < m->ancount; i++) {
        if (kind == IB_DNS_KIND_ANSWER && (m->an[i].type == b->qtype || b->qtype == IB_DNS_T_ANY)) {
            info->ttl = m->an[i].ttl;
            break;
        }
    }
    for (uint16_t i = 0; i < m->ancount && !info->addr; i++)
        if (m->an[i].type == IB_DNS_T_A) info->addr = m->an[i].rd.a;
}

/* RFC 1034 §4.3.2 step 3, from the zone b->z holding qname. */
static void lookup(struct build *b, const char *qname)
{
    struct ib_dns_msg *m = b->m;
    const struct ib_dns_zone *z = b->z;
    char name[IB_DNS_NAME_SIZE], key[IB_DNS_KEY_SIZE];
    snprintf(name, sizeof(name), "%s", qname);
    for (unsigned hops = 0;; hops++) {
        size_t klen = ib_dns_name_key(name, key);
        size_t cut = find_cut(z, key, klen);
        if (cut) {
            /* An alias into a delegated zone: the asker follows it. */
            if (hops == 0)
                referral(b, key, cut);
            else
                positive(b, IB_DNS_KIND_CNAME);
            return;
        }
        size_t lo, hi = ib_dns_zone_find(z, key, klen, &lo);
        const char *owner = NULL;
        /* Step 3c: no such name (an empty non-terminal exists, RFC 4592
         * §2.2.2), unless a wildcard stands in for it. */
        if (hi == lo && !ib_dns_zone_has_below(z, key, klen)) {
            if (!wildcard(z, key, klen, &lo, &hi)) {
                negative(b, IB_DNS_R_NXDOMAIN, IB_DNS_KIND_NXDOMAIN);
                return;
            }
            owner = name;
        }
        /* Step 3a: "If the data at the node is a CNAME, and QTYPE doesn't
         * match CNAME, copy the CNAME RR into the answer section ... change
         * QNAME to the canonical name in the CNAME RR" (ANY matches it). */
        size_t cn = lo;
        while (cn < hi && z->rec[cn].type != IB_DNS_T_CNAME)
            cn++;
        if (cn < hi && b->qtype != IB_DNS_T_CNAME && b->qtype != IB_DNS_T_ANY) {
            if (!add_rrs(b, z, cn, cn + 1, IB_DNS_T_CNAME, owner, m->an, &m->ancount)) return;
            const char *target = m->an[m->ancount - 1].rd.name;
            char tkey[IB_DNS_KEY_SIZE];
            size_t tlen = ib_dns_name_key(target, tkey);
            /* Only within this zone; a chain that loops ends where it
             * meets itself (RFC 1034 §3.6.2). */
            if (hops + 1 >= MAX_CHAIN || !ib_dns_zone_holds(z, tkey, tlen) ||
                has_rr(m->an, m->ancount, target, IB_DNS_T_CNAME)) {
                positive(b, IB_DNS_KIND_CNAME);
                return;
            }
            snprintf(name, sizeof(name), "%s", target);
            continue;
        }
        if (add_rrs(b, z, lo, hi, b->qtype, owner, m->an, &m->ancount))
            positive(b, IB_DNS_KIND_ANSWER);
        else
            negative(b, IB_DNS_R_NOERROR, IB_DNS_KIND_NODATA); /* RFC 2308 §2.2 */
        return;
    }
}

struct edns {
    bool present, bad, dnssec_ok;
    uint8_t version;
    uint16_t size;
};

/* RFC 6891 §6.1.1: at most one OPT, owned by the root; its CLASS is the
 * asker's UDP payload size, its TTL the extended RCODE, version and
 * flags. */
static void read_edns(const struct ib_dns_msg *m, struct edns *e)
{
    for (uint16_t i = 0; i < m->arcount; i++) {
        const struct ib_dns_rr *r = &m->ar[i];
        if (r->type != T_OPT) continue;
        e->bad |= e->present || r->name[0] != '\0';
        e->present = true;
        e->size = r->cls;
        e->version = (uint8_t)(r->ttl >> 16);
        e->dnssec_ok = (r->ttl & 0x8000u) != 0; /* RFC 3225 §3 */
    }
}

/* Writes m, then our OPT record if the asker sent one: it goes last and
 * always fits, since room is kept for it (RFC 6891 §7). */
static size_t emit(const struct ib_dns_msg *m, uint8_t *out, size_t limit, const struct edns *e,
                   unsigned rcode)
{
    bool opt = e->present && !e->bad;
    if (opt && limit < IB_DNS_HLEN + OPT_LEN) return 0;
    size_t n = ib_dns_emit(m, out, opt ? limit - OPT_LEN : limit);
    if (!n || !opt) return n;
    uint8_t *o = out + n;
    o[0] = 0; /* the root */
    ib_put16(o + 1, T_OPT);
    ib_put16(o + 3, IB_DNS_EDNS_SIZE);
    o[5] = (uint8_t)(rcode >> 4); /* the RCODE's upper 8 bits */
    o[6] = 0;                     /* version 0 */
    ib_put16(o + 7, e->dnssec_ok ? 0x8000u : 0);
    ib_put16(o + 9, 0);
    ib_put16(out + 10, (uint16_t)(ib_get16(out + 10) + 1));
    return n + OPT_LEN;
}

/* The RCODE for a query we cannot answer from the zones, or NOERROR. */
static unsigned check_query(const struct ib_dns_msg *m, int perr, uint8_t opcode,
                            const struct edns *e)
{
    if (opcode != 0) return IB_DNS_R_NOTIMP; /* RFC 1035 §4.1.1: only standard queries */
    /* RFC 9619: a query has exactly one question. */
    if (perr || m->qdcount != 1 || e->bad) return IB_DNS_R_FORMERR;
    if (e->present && e->version > 0) return RCODE_BADVERS; /* RFC 6891 §6.1.3 */
    if (m->qd[0].type >= QTYPE_IXFR && m->qd[0].type <= QTYPE_MAILA)
        return IB_DNS_R_NOTIMP; /* zone transfers and mailbox queries */
    if (m->qd[0].cls != IB_DNS_C_IN && m->qd[0].cls != IB_DNS_T_ANY) return IB_DNS_R_REFUSED;
    return IB_DNS_R_NOERROR;
}

size_t ib_dns_auth_respond(const struct ib_dns_auth *a, const uint8_t *q, size_t qlen, uint8_t *out,
                           size_t cap, bool udp, struct ib_dns_auth_info *info)
{
    memset(info, 0, sizeof(*info));
    if (qlen < IB_DNS_HLEN) {
        info->drop = IB_DROP_DNS_MALFORMED;
        return 0;
    }
    /* RFC 1035 §4.1.1: a response (QR=1) is never answered. */
    uint16_t fl = ib_get16(q + 2);
    if (fl & 0x8000u) {
        info->drop = IB_DROP_DNS_UNEXPECTED;
        return 0;
    }
    struct ib_dns_msg *m = a->m;
    info->query = true;
    info->id = ib_get16(q);
    info->rd = (fl >> 8) & 1;
    uint8_t opcode = (fl >> 11) & 0xf;
    int perr = ib_dns_parse(q, qlen, m);
    struct edns e = {0};
    if (!perr) read_edns(m, &e);
    bool have_q = !perr && m->qdcount == 1;
    if (have_q) {
        snprintf(info->qname, sizeof(info->qname), "%s", m->qd[0].name);
        info->qtype = m->qd[0].type;
    }
    unsigned rcode = check_query(m, perr, opcode, &e);
    /* The response, in place of the query: its question kept as asked
     * (RFC 4343 §4.1: the case too), RD copied (RFC 1035 §4.1.1). */
    m->qr = true;
    m->opcode = opcode;
    m->aa = m->tc = m->ra = false;
    m->rd = info->rd;
    m->z = 0;
    m->rcode = 0;
    m->qdcount = have_q ? 1 : 0;
    m->ancount = m->nscount = m->arcount = 0;
    struct build b = {.a = a, .m = m, .info = info, .qtype = info->qtype};
    if (rcode == IB_DNS_R_NOERROR) {
        char key[IB_DNS_KEY_SIZE];
        size_t klen = ib_dns_name_key(m->qd[0].name, key);
        b.z = zone_for(a, key, klen);
        if (b.z) {
            m->aa = true;
            lookup(&b, m->qd[0].name);
            rcode = m->rcode;
        } else {
            rcode = IB_DNS_R_REFUSED; /* RFC 1035 §4.1.1: not ours, no recursion */
        }
    }
    m->rcode = rcode & 0xfu;
    size_t limit = cap;
    if (udp) {
        size_t want = e.present && !e.bad && e.size > IB_DNS_UDP_MAX ? e.size : IB_DNS_UDP_MAX;
        want = want < IB_DNS_EDNS_SIZE ? want : IB_DNS_EDNS_SIZE;
        limit = limit < want ? limit : want;
    }
    size_t n = emit(m, out, limit, &e, rcode);
    if (n && (out[2] & 0x02) && b.optional && !m->tc) {
        /* RFC 2181 §9: only missing answer data calls for TC; what merely
         * helps (the zone's name servers, addresses) is left out instead. */
        m->nscount = b.opt_ns;
        m->arcount = 0;
        n = emit(m, out, limit, &e, rcode);
    }
    if (!n && limit >= IB_DNS_HLEN) {
        /* The zone's data cannot be written: say so rather than stay silent. */
        m->qdcount = m->ancount = m->nscount = m->arcount = 0;
        rcode = m->rcode = IB_DNS_R_SERVFAIL;
        n = ib_dns_emit(m, out, limit);
    }
    if (!n) {
        info->drop = IB_DROP_NOMEM; /* no room for even a header */
        return 0;
    }
    info->aa = m->aa;
    info->rcode = (uint8_t)rcode;
    info->tc = (out[2] & 0x02) != 0;
    if (rcode != IB_DNS_R_NOERROR && rcode != IB_DNS_R_NXDOMAIN) info->kind = IB_DNS_KIND_ERROR;
    if (info->tc) info->kind = IB_DNS_KIND_TRUNCATED; /* RFC 7766 §5 */
    return n;
}

size_t ib_dns_auth_answer(const struct ib_dns_auth *a, const uint8_t *q, size_t qlen, uint8_t *out,
                          size_t cap)
{
    struct ib_dns_auth_info info;
    return ib_dns_auth_respond(a, q, qlen, out, cap, false, &info);
}
