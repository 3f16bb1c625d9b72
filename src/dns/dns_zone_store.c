/* The record store of a zone: an arena of names and rdata, records sorted
 * by canonical key (RFC 4034 §6.1) and looked up by binary search, the
 * checks a whole zone must pass (RFC 1035 §5.2: one SOA at the top; RFC
 * 2181 §10.1: a CNAME alone at its name) and duplicate removal (RFC 2181
 * §5). */
#include <stdio.h>
#include <stdlib.h>

#include "dns/dns_zone_int.h"

size_t ib_dns_name_key(const char *name, char *key)
{
    size_t end = strlen(name), k = 0;
    while (end > 0) {
        size_t start = end;
        while (start > 0 && name[start - 1] != '.')
            start--;
        for (size_t i = start; i < end; i++) {
            char c = name[i];
            key[k++] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
        }
        key[k++] = IB_DNS_KEY_SEP;
        if (start == 0) break;
        end = start - 1;
    }
    key[k] = '\0';
    return k;
}

struct ib_dns_zone *ib_dns_zone_new(const char *origin)
{
    struct ib_dns_zone *z = calloc(1, sizeof(*z));
    if (!z) return NULL;
    snprintf(z->origin, sizeof(z->origin), "%s", origin);
    z->oklen = ib_dns_name_key(z->origin, z->okey);
    return z;
}

void ib_dns_zone_free(struct ib_dns_zone *z)
{
    if (!z) return;
    free(z->arena);
    free(z->rec);
    free(z);
}

const char *ib_dns_zone_origin(const struct ib_dns_zone *z)
{
    return z->origin;
}

size_t ib_dns_zone_count(const struct ib_dns_zone *z)
{
    return z->n;
}

uint32_t ib_dns_zone_put(struct ib_dns_zone *z, const void *b, size_t n)
{
    if (z->alen + n > UINT32_MAX) return UINT32_MAX;
    if (z->alen + n > z->acap) {
        size_t cap = z->acap ? z->acap : 4096;
        while (cap < z->alen + n)
            cap *= 2;
        char *a = realloc(z->arena, cap);
        if (!a) return UINT32_MAX;
        z->arena = a;
        z->acap = cap;
    }
    memcpy(z->arena + z->alen, b, n);
    uint32_t off = (uint32_t)z->alen;
    z->alen += n;
    return off;
}

int ib_dns_zone_add(struct ib_dns_zone *z, const struct ib_dns_zrec *r)
{
    if (z->n >= IB_DNS_ZONE_MAX_RECORDS) return IB_ERR_TOOBIG;
    if (z->n == z->cap) {
        size_t cap = z->cap ? z->cap * 2 : 64;
        struct ib_dns_zrec *rec = realloc(z->rec, cap * sizeof(*rec));
        if (!rec) return IB_ERR_NOMEM;
        z->rec = rec;
        z->cap = cap;
    }
    z->rec[z->n++] = *r;
    return 0;
}

/* What the sort compares, with the position in the file last so that an
 * RRset keeps the order it was written in. */
struct sort_ent {
    const char *key;
    size_t i;
    uint16_t type;
};

static int sort_cmp(const void *pa, const void *pb)
{
    const struct sort_ent *a = pa, *b = pb;
    int c = strcmp(a->key, b->key);
    if (c) return c;
    if (a->type != b->type) return a->type < b->type ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

static int zone_sort(struct ib_dns_zone *z)
{
    if (z->n == 0) return 0;
    struct sort_ent *e = malloc(z->n * sizeof(*e));
    struct ib_dns_zrec *out = malloc(z->n * sizeof(*out));
    if (!e || !out) {
        free(e);
        free(out);
        return IB_ERR_NOMEM;
    }
    for (size_t i = 0; i < z->n; i++)
        e[i] = (struct sort_ent){z->arena + z->rec[i].key, i, z->rec[i].type};
    qsort(e, z->n, sizeof(*e), sort_cmp);
    for (size_t i = 0; i < z->n; i++)
        out[i] = z->rec[e[i].i];
    free(e);
    free(z->rec);
    z->rec = out;
    z->cap = z->n;
    return 0;
}

static const char *zkey(const struct ib_dns_zone *z, size_t i)
{
    return z->arena + z->rec[i].key;
}

static bool same_rr(const struct ib_dns_zone *z, size_t i, size_t j)
{
    const struct ib_dns_zrec *a = &z->rec[i], *b = &z->rec[j];
    return a->type == b->type && a->rdlen == b->rdlen && strcmp(zkey(z, i), zkey(z, j)) == 0 &&
           memcmp(ib_dns_zrd(z, a), ib_dns_zrd(z, b), a->rdlen) == 0;
}

static bool later(const struct ib_dns_zrec *a, const struct ib_dns_zrec *b)
{
    return a->line > b->line || (a->line == b->line && a->col > b->col);
}

int ib_dns_zone_finish(struct ib_dns_zone *z, size_t *bad, const char **why)
{
    int err = zone_sort(z);
    if (err) return err;
    /* RFC 2181 §5: an RRset holds no two identical records. Sorted, the
     * copies are neighbours (same name and type, file order between). */
    size_t n = 0;
    for (size_t i = 0; i < z->n; i++) {
        bool dup = false;
        for (size_t j = n;
             j-- > 0 && z->rec[j].type == z->rec[i].type && strcmp(zkey(z, j), zkey(z, i)) == 0;)
            dup |= same_rr(z, i, j);
        if (!dup) z->rec[n++] = z->rec[i];
    }
    z->n = n;
    /* RFC 1035 §5.2: "exactly one SOA RR should be present at the top of
     * the zone". */
    z->soa = SIZE_MAX;
    for (size_t i = 0; i < z->n; i++) {
        if (z->rec[i].type != IB_DNS_T_SOA) continue;
        if (strcmp(zkey(z, i), z->okey) != 0) {
            *bad = i;
            *why = "the SOA record at the zone's apex";
            return IB_ERR_INVAL;
        }
        if (z->soa != SIZE_MAX) {
            *bad = later(&z->rec[i], &z->rec[z->soa]) ? i : z->soa;
            *why = "one SOA record, not a second";
            return IB_ERR_INVAL;
        }
        z->soa = i;
    }
    if (z->soa == SIZE_MAX) {
        *bad = SIZE_MAX;
        *why = "an SOA record at the zone's apex";
        return IB_ERR_INVAL;
    }
    /* RFC 2181 §10.1: a name with a CNAME has no other data (and one
     * CNAME). The record written later is the one at fault. */
    for (size_t lo = 0, hi; lo < z->n; lo = hi) {
        bool cname = false;
        size_t last = lo;
        for (hi = lo; hi < z->n && strcmp(zkey(z, hi), zkey(z, lo)) == 0; hi++) {
            cname |= z->rec[hi].type == IB_DNS_T_CNAME;
            if (later(&z->rec[hi], &z->rec[last])) last = hi;
        }
        if (cname && hi - lo > 1) {
            *bad = last;
            *why = "no other record at a name that has a CNAME (RFC 2181 §10.1)";
            return IB_ERR_INVAL;
        }
    }
    return 0;
}

/* a (NUL-terminated) against b[0..blen) as strings. */
static int key_cmp(const char *a, const char *b, size_t blen)
{
    int c = strncmp(a, b, blen);
    if (c) return c;
    return a[blen] != '\0';
}

size_t ib_dns_zone_find(const struct ib_dns_zone *z, const char *key, size_t klen, size_t *lo)
{
    size_t l = 0, h = z->n;
    while (l < h) {
        size_t mid = l + (h - l) / 2;
        if (key_cmp(zkey(z, mid), key, klen) < 0)
            l = mid + 1;
        else
            h = mid;
    }
    *lo = l;
    while (h < z->n && key_cmp(zkey(z, h), key, klen) == 0)
        h++;
    return h;
}

bool ib_dns_zone_has_below(const struct ib_dns_zone *z, const char *key, size_t klen)
{
    size_t lo, hi = ib_dns_zone_find(z, key, klen, &lo);
    return hi < z->n && strncmp(zkey(z, hi), key, klen) == 0;
}

uint32_t ib_dns_zone_neg_ttl(const struct ib_dns_zone *z)
{
    const struct ib_dns_zrec *r = &z->rec[z->soa];
    uint32_t minimum = ib_get32(ib_dns_zrd(z, r) + r->rdlen - 4);
    return r->ttl < minimum ? r->ttl : minimum;
}

int ib_dns_zone_rr(const struct ib_dns_zone *z, size_t i, struct ib_dns_rr *out)
{
    if (i >= z->n) return IB_ERR_INVAL;
    const struct ib_dns_zrec *r = &z->rec[i];
    const uint8_t *rd = ib_dns_zrd(z, r);
    const char *s = (const char *)rd;
    snprintf(out->name, sizeof(out->name), "%s", z->arena + r->name);
    out->type = r->type;
    out->cls = IB_DNS_C_IN;
    out->ttl = r->ttl;
    switch (r->type) {
    case IB_DNS_T_A:
        out->rd.a = ib_get32(rd);
        break;
    case IB_DNS_T_AAAA:
        memcpy(out->rd.aaaa, rd, 16);
        break;
    case IB_DNS_T_MX:
        out->rd.mx.pref = ib_get16(rd);
        snprintf(out->rd.mx.host, sizeof(out->rd.mx.host), "%s", s + 2);
        break;
    case IB_DNS_T_SOA: {
        size_t m = strlen(s) + 1, rn = strlen(s + m) + 1;
        const uint8_t *num = rd + m + rn;
        snprintf(out->rd.soa.mname, sizeof(out->rd.soa.mname), "%s", s);
        snprintf(out->rd.soa.rname, sizeof(out->rd.soa.rname), "%s", s + m);
        out->rd.soa.serial = ib_get32(num);
        out->rd.soa.refresh = ib_get32(num + 4);
        out->rd.soa.retry = ib_get32(num + 8);
        out->rd.soa.expire = ib_get32(num + 12);
        out->rd.soa.minimum = ib_get32(num + 16);
        break;
    }
    case IB_DNS_T_TXT:
        out->rd.raw.len = r->rdlen;
        memcpy(out->rd.raw.data, rd, r->rdlen);
        break;
    default: /* NS, CNAME, PTR */
        snprintf(out->rd.name, sizeof(out->rd.name), "%s", s);
        break;
    }
    return 0;
}
