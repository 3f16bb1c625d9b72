/* The resolver's cache (RFC 1034 §4.3.2 "cache", RFC 1035 §7.4, RFC 2181
 * §5, RFC 2308 §5): a chained hash table over (lowercased name, type) and a
 * use-ordered list for eviction. Expired entries are never returned: they
 * are dropped when looked up, and least recently used entries make room
 * when the record bound is reached. An NXDOMAIN entry is one per name,
 * under type 0, and every lookup of the name sees it. */
#include "dns/dns_cache.h"

#include <stdlib.h>

#include "dns/dns_client.h"

#define TTL_MAX 604800u /* RFC 8767 §4: 7 days */
#define MIN_BUCKETS 64u

struct ib_dns_cache {
    struct ib_dns_centry **buckets;
    uint32_t mask;
    uint32_t entries;
    uint32_t used, max;
    struct ib_dns_centry *newest, *oldest;
};

static uint8_t lower(char c)
{
    return (uint8_t)(c >= 'A' && c <= 'Z' ? c + 32 : c);
}

/* FNV-1a over the lowercased name and the type. */
static uint32_t key_hash(const char *name, uint16_t type)
{
    uint32_t h = 2166136261u;
    for (const char *p = name; *p; p++)
        h = (h ^ lower(*p)) * 16777619u;
    h = (h ^ (type >> 8)) * 16777619u;
    return (h ^ (type & 0xffu)) * 16777619u;
}

struct ib_dns_cache *ib_dns_cache_new(uint32_t max_records)
{
    struct ib_dns_cache *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    c->buckets = calloc(MIN_BUCKETS, sizeof(*c->buckets));
    if (!c->buckets) {
        free(c);
        return NULL;
    }
    c->mask = MIN_BUCKETS - 1;
    c->max = max_records;
    return c;
}

void ib_dns_cache_free(struct ib_dns_cache *c)
{
    if (!c) return;
    for (struct ib_dns_centry *e = c->newest, *next; e; e = next) {
        next = e->older;
        free(e);
    }
    free(c->buckets);
    free(c);
}

static uint32_t cost(const struct ib_dns_centry *e)
{
    return e->n ? e->n : 1;
}

static struct ib_dns_centry **find(struct ib_dns_cache *c, const char *name, uint16_t type,
                                   uint32_t h)
{
    struct ib_dns_centry **pp = &c->buckets[h & c->mask];
    for (; *pp; pp = &(*pp)->hnext)
        if ((*pp)->hash == h && (*pp)->type == type && ib_dns_name_eq((*pp)->name, name)) return pp;
    return pp;
}

static void list_unlink(struct ib_dns_cache *c, struct ib_dns_centry *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        c->newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        c->oldest = e->newer;
    e->newer = e->older = NULL;
}

static void list_push(struct ib_dns_cache *c, struct ib_dns_centry *e)
{
    e->newer = NULL;
    e->older = c->newest;
    if (c->newest)
        c->newest->newer = e;
    else
        c->oldest = e;
    c->newest = e;
}

static void remove_entry(struct ib_dns_cache *c, struct ib_dns_centry *e)
{
    struct ib_dns_centry **pp = find(c, e->name, e->type, e->hash);
    *pp = e->hnext;
    list_unlink(c, e);
    c->entries--;
    c->used -= cost(e);
    free(e);
}

/* Doubles the table when it holds more entries than buckets. A failed
 * allocation only leaves the chains longer. */
static void maybe_grow(struct ib_dns_cache *c)
{
    if (c->entries <= c->mask + 1) return;
    uint32_t nb = (c->mask + 1) * 2;
    struct ib_dns_centry **b = calloc(nb, sizeof(*b));
    if (!b) return;
    for (uint32_t i = 0; i <= c->mask; i++) {
        for (struct ib_dns_centry *e = c->buckets[i], *next; e; e = next) {
            next = e->hnext;
            e->hnext = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
        }
    }
    free(c->buckets);
    c->buckets = b;
    c->mask = nb - 1;
}

/* Takes the place of (name, type) unless a fresh entry of higher rank
 * holds it; evicts the least recently used entries to stay in bounds.
 * Returns NULL when nothing was stored. */
static struct ib_dns_centry *insert(struct ib_dns_cache *c, ib_time now, const char *name,
                                    uint16_t type, uint8_t rank, uint16_t n)
{
    if (!ib_dns_name_ok(name) || (n ? n : 1u) > c->max) return NULL;
    uint32_t h = key_hash(name, type);
    struct ib_dns_centry *old = *find(c, name, type, h);
    if (old) {
        if (old->expires > now && old->rank > rank) return NULL;
        remove_entry(c, old);
    }
    /* The name exists after all. */
    if (type != IB_DNS_CACHE_NXDOMAIN) {
        old = *find(c, name, IB_DNS_CACHE_NXDOMAIN, key_hash(name, IB_DNS_CACHE_NXDOMAIN));
        if (old) remove_entry(c, old);
    }
    struct ib_dns_centry *e = calloc(1, sizeof(*e) + n * sizeof(e->rr[0]));
    if (!e) return NULL;
    ib_dns_name_copy(e->name, name);
    e->type = type;
    e->rank = rank;
    e->hash = h;
    e->n = n;
    while (c->used + cost(e) > c->max)
        remove_entry(c, c->oldest);
    struct ib_dns_centry **pp = &c->buckets[h & c->mask];
    e->hnext = *pp;
    *pp = e;
    list_push(c, e);
    c->entries++;
    c->used += cost(e);
    maybe_grow(c);
    return e;
}

uint32_t ib_dns_ttl_clamp(uint32_t ttl)
{
    if (ttl & 0x80000000u) return 0;
    return ttl > TTL_MAX ? TTL_MAX : ttl;
}

static bool rr_is(const struct ib_dns_rr *r, const char *name, uint16_t type)
{
    return r->type == type && r->cls == IB_DNS_C_IN && ib_dns_name_eq(r->name, name);
}

size_t ib_dns_cache_put(struct ib_dns_cache *c, ib_time now, enum ib_dns_rank rank,
                        const struct ib_dns_rr *sec, size_t n, const char *name, uint16_t type)
{
    uint32_t ttl = TTL_MAX;
    uint16_t count = 0;
    for (size_t i = 0; i < n; i++) {
        if (rr_is(&sec[i], name, type)) {
            count++;
            uint32_t t = ib_dns_ttl_clamp(sec[i].ttl);
            ttl = t < ttl ? t : ttl;
        }
    }
    /* RFC 1035 §3.2.1: "Zero values are interpreted to mean that the RR
     * can only be used for the transaction in progress, and should not be
     * cached." */
    if (count == 0 || ttl == 0) return 0;
    struct ib_dns_centry *e = insert(c, now, name, type, (uint8_t)rank, count);
    if (!e) return 0;
    e->expires = now + IB_SEC(ttl);
    uint16_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (rr_is(&sec[i], name, type)) {
            e->rr[k] = sec[i];
            e->rr[k++].ttl = ttl;
        }
    }
    return count;
}

void ib_dns_cache_put_neg(struct ib_dns_cache *c, ib_time now, const char *name, uint16_t type,
                          uint8_t rcode, const struct ib_dns_rr *soa, uint32_t ttl)
{
    ttl = ib_dns_ttl_clamp(ttl);
    if (ttl == 0) return;
    /* RFC 2308 §5: NXDOMAIN is about the name, whatever the type. */
    if (rcode == IB_DNS_R_NXDOMAIN) type = IB_DNS_CACHE_NXDOMAIN;
    struct ib_dns_centry *e = insert(c, now, name, type, IB_DNS_RANK_AUTH, soa ? 1 : 0);
    if (!e) return;
    e->negative = true;
    e->rcode = rcode;
    e->expires = now + IB_SEC(ttl);
    if (soa) {
        e->rr[0] = *soa;
        e->rr[0].ttl = ttl;
    }
}

/* The entry for (name, type) unless it expired (it is then dropped). */
static struct ib_dns_centry *fresh(struct ib_dns_cache *c, ib_time now, const char *name,
                                   uint16_t type)
{
    struct ib_dns_centry *e = *find(c, name, type, key_hash(name, type));
    if (e && e->expires <= now) {
        remove_entry(c, e);
        return NULL;
    }
    return e;
}

const struct ib_dns_centry *ib_dns_cache_get(struct ib_dns_cache *c, ib_time now, const char *name,
                                             uint16_t type, enum ib_dns_rank min_rank)
{
    /* An NXDOMAIN entry is newer than anything else of its name: storing
     * data for the name ends it. */
    struct ib_dns_centry *e = fresh(c, now, name, IB_DNS_CACHE_NXDOMAIN);
    if (!e) e = fresh(c, now, name, type);
    if (!e || e->rank < min_rank) return NULL;
    list_unlink(c, e);
    list_push(c, e);
    return e;
}

uint32_t ib_dns_centry_ttl(const struct ib_dns_centry *e, ib_time now)
{
    if (e->expires <= now) return 0;
    return (uint32_t)((e->expires - now + IB_SEC(1) - 1) / IB_SEC(1));
}

uint32_t ib_dns_cache_used(const struct ib_dns_cache *c)
{
    return c->used;
}

size_t ib_dns_cache_view(const struct ib_dns_cache *c, ib_time now, struct ib_dns_cache_view *out,
                         size_t max)
{
    size_t k = 0;
    for (const struct ib_dns_centry *e = c->newest; e; e = e->older) {
        if (e->expires <= now) continue;
        if (k < max) {
            struct ib_dns_cache_view *v = &out[k];
            memset(v, 0, sizeof(*v));
            ib_dns_name_copy(v->name, e->name);
            v->type = e->type;
            v->negative = e->negative;
            v->rcode = e->rcode;
            v->expires = e->expires;
            if (!e->negative && e->type == IB_DNS_T_A && e->n) v->addr = e->rr[0].rd.a;
        }
        k++;
    }
    return k;
}
