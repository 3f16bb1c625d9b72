/* The forwarding table: longest-prefix match (RFC 1812 §5.2.4.3) over a
 * sorted route array, with a DIR-16-8-8 table (Gupta, Lin, McKeown, "Routing
 * lookups in hardware at memory access speeds", 1998) for large tables.
 *
 * The route array is kept sorted by prefix length, longest first, so a
 * linear scan's first match is the longest one. Small tables (the usual
 * host or small router) are scanned. From IB_FIB_DIR_MIN routes on, the
 * first lookup after a change builds a three-level table: 65536 entries
 * indexed by the top 16 address bits, then 256-entry chunks for bits 16-23
 * and 24-31 where longer prefixes need them. An entry holds 0 (no route),
 * a route index + 1, or IB_FIB_CHUNK | chunk number. It is built by
 * painting routes shortest first, so longer prefixes overwrite the ranges
 * of the shorter ones they refine; a chunk created under an entry that
 * already names a route starts filled with that route. */
#include <stdlib.h>

#include "inetbox/route.h"

#define IB_FIB_CHUNK 0x80000000u
#define IB_FIB_L1_SIZE 65536u
/* Eager sorted insertion moves at most this many routes; beyond it routes
 * are appended and sorted in one pass by the next lookup. */
#define IB_FIB_SHIFT_MAX 4096u

void ib_fib_init(struct ib_fib *f)
{
    memset(f, 0, sizeof(*f));
    f->dirty = true;
}

void ib_fib_destroy(struct ib_fib *f)
{
    free(f->r);
    free(f->dir);
    free(f->chunks);
    ib_fib_init(f);
}

/* Table order: longer prefixes first, then by prefix value. */
static int route_cmp(const struct ib_route *a, const struct ib_route *b)
{
    if (a->plen != b->plen)
        return a->plen > b->plen ? -1 : 1;
    if (a->prefix != b->prefix)
        return a->prefix < b->prefix ? -1 : 1;
    return 0;
}

/* Stable merge sort: equal keys keep their insertion order, so the newest
 * of several routes for one (prefix, plen) is the last of its run. */
static void sort_routes(struct ib_route *a, struct ib_route *tmp, uint32_t n)
{
    if (n < 2)
        return;
    uint32_t m = n / 2;
    sort_routes(a, tmp, m);
    sort_routes(a + m, tmp, n - m);
    if (route_cmp(&a[m - 1], &a[m]) <= 0)
        return;
    memcpy(tmp, a, m * sizeof(*a));
    uint32_t i = 0, j = m, k = 0;
    while (i < m && j < n)
        a[k++] = route_cmp(&tmp[i], &a[j]) <= 0 ? tmp[i++] : a[j++];
    while (i < m)
        a[k++] = tmp[i++];
}

/* Merges the appended routes into the sorted part; a later add for the
 * same (prefix, plen) replaces the earlier one. */
static int fib_normalize(struct ib_fib *f)
{
    struct ib_route *tmp = malloc((f->n / 2 + 1) * sizeof(*tmp));
    if (!tmp)
        return IB_ERR_NOMEM;
    sort_routes(f->r, tmp, f->n);
    free(tmp);
    uint32_t w = 0;
    for (uint32_t i = 0; i < f->n; i++) {
        if (i + 1 < f->n && route_cmp(&f->r[i], &f->r[i + 1]) == 0)
            continue;
        f->r[w++] = f->r[i];
    }
    f->n = f->nsorted = w;
    f->dirty = true;
    return 0;
}

/* First index in the sorted part whose route is not before key. */
static uint32_t fib_lower_bound(const struct ib_fib *f, const struct ib_route *key)
{
    uint32_t lo = 0, hi = f->nsorted;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (route_cmp(&f->r[mid], key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int ib_fib_add(struct ib_fib *f, const struct ib_route *r)
{
    if (r->plen > 32)
        return IB_ERR_INVAL;
    struct ib_route nr = *r;
    nr.prefix &= ib_ip4_mask(r->plen);
    uint32_t pos = f->n;
    bool sorted = false;
    if (f->nsorted == f->n) {
        uint32_t lb = fib_lower_bound(f, &nr);
        if (lb < f->n && route_cmp(&f->r[lb], &nr) == 0) {
            /* Same (prefix, plen): the table layout and the DIR indices
             * stay valid, only the route's attributes change. */
            f->r[lb] = nr;
            return 0;
        }
        if (f->n - lb <= IB_FIB_SHIFT_MAX) {
            pos = lb;
            sorted = true;
        }
    }
    if (f->n == f->cap) {
        uint32_t cap = f->cap ? f->cap * 2 : 8;
        if (cap >= IB_FIB_CHUNK)
            return IB_ERR_NOMEM;
        struct ib_route *nrs = realloc(f->r, cap * sizeof(*nrs));
        if (!nrs)
            return IB_ERR_NOMEM;
        f->r = nrs;
        f->cap = cap;
    }
    memmove(&f->r[pos + 1], &f->r[pos], (f->n - pos) * sizeof(*f->r));
    f->r[pos] = nr;
    f->n++;
    if (sorted)
        f->nsorted = f->n;
    f->dirty = true;
    return 0;
}

int ib_fib_del(struct ib_fib *f, ib_ip4 prefix, uint8_t plen)
{
    if (plen > 32)
        return IB_ERR_INVAL;
    if (f->nsorted != f->n && fib_normalize(f) != 0)
        return IB_ERR_NOMEM;
    struct ib_route key = {.prefix = prefix & ib_ip4_mask(plen), .plen = plen};
    uint32_t pos = fib_lower_bound(f, &key);
    if (pos == f->n || route_cmp(&f->r[pos], &key) != 0)
        return IB_ERR_NOTFOUND;
    memmove(&f->r[pos], &f->r[pos + 1], (f->n - pos - 1) * sizeof(*f->r));
    f->n--;
    f->nsorted = f->n;
    f->dirty = true;
    if (f->n < IB_FIB_DIR_MIN && f->dir) {
        free(f->dir);
        free(f->chunks);
        f->dir = f->chunks = NULL;
        f->nchunks = f->chunk_cap = 0;
    }
    return 0;
}

/* A new chunk with every entry set to fill; its number, or -1. */
static int64_t fib_new_chunk(struct ib_fib *f, uint32_t fill)
{
    if (f->nchunks == f->chunk_cap) {
        uint32_t cap = f->chunk_cap ? f->chunk_cap * 2 : 64;
        if (cap >= IB_FIB_CHUNK)
            return -1;
        uint32_t *c = realloc(f->chunks, (size_t)cap * 256 * sizeof(*c));
        if (!c)
            return -1;
        f->chunks = c;
        f->chunk_cap = cap;
    }
    uint32_t *c = f->chunks + (size_t)f->nchunks * 256;
    for (unsigned i = 0; i < 256; i++)
        c[i] = fill;
    return f->nchunks++;
}

/* The chunk under an entry: the one it points to, or a new one inheriting
 * the entry's route. Returns the chunk number or -1. */
static int64_t fib_child(struct ib_fib *f, uint32_t e)
{
    if (e & IB_FIB_CHUNK)
        return e & ~IB_FIB_CHUNK;
    return fib_new_chunk(f, e);
}

static void fill(uint32_t *t, size_t start, size_t count, uint32_t v)
{
    for (size_t i = 0; i < count; i++)
        t[start + i] = v;
}

static int fib_paint(struct ib_fib *f, const struct ib_route *r, uint32_t v)
{
    if (r->plen <= 16) {
        fill(f->dir, r->prefix >> 16, (size_t)1 << (16 - r->plen), v);
        return 0;
    }
    int64_t c2 = fib_child(f, f->dir[r->prefix >> 16]);
    if (c2 < 0)
        return IB_ERR_NOMEM;
    f->dir[r->prefix >> 16] = IB_FIB_CHUNK | (uint32_t)c2;
    if (r->plen <= 24) {
        fill(f->chunks + c2 * 256, (r->prefix >> 8) & 0xff, (size_t)1 << (24 - r->plen), v);
        return 0;
    }
    size_t j = (size_t)c2 * 256 + ((r->prefix >> 8) & 0xff);
    int64_t c3 = fib_child(f, f->chunks[j]);
    if (c3 < 0)
        return IB_ERR_NOMEM;
    f->chunks[j] = IB_FIB_CHUNK | (uint32_t)c3;
    fill(f->chunks + c3 * 256, r->prefix & 0xff, (size_t)1 << (32 - r->plen), v);
    return 0;
}

static int fib_build(struct ib_fib *f)
{
    if (!f->dir) {
        f->dir = malloc(IB_FIB_L1_SIZE * sizeof(*f->dir));
        if (!f->dir)
            return IB_ERR_NOMEM;
    }
    memset(f->dir, 0, IB_FIB_L1_SIZE * sizeof(*f->dir));
    f->nchunks = 0;
    /* Shortest prefixes first, so longer ones overwrite what they refine. */
    for (uint32_t i = f->n; i-- > 0;) {
        int err = fib_paint(f, &f->r[i], i + 1);
        if (err)
            return err;
    }
    f->dirty = false;
    return 0;
}

/* Longest match over an unsorted table, for when memory to sort it is
 * lacking: among equal (prefix, plen) the latest added wins. */
static const struct ib_route *fib_scan_any(const struct ib_fib *f, ib_ip4 dst)
{
    const struct ib_route *best = NULL;
    for (uint32_t i = 0; i < f->n; i++) {
        const struct ib_route *r = &f->r[i];
        if (((dst ^ r->prefix) & ib_ip4_mask(r->plen)) == 0 && (!best || r->plen >= best->plen))
            best = r;
    }
    return best;
}

static const struct ib_route *fib_dir_lookup(const struct ib_fib *f, ib_ip4 dst)
{
    uint32_t e = f->dir[dst >> 16];
    if (e & IB_FIB_CHUNK) {
        e = f->chunks[(size_t)(e & ~IB_FIB_CHUNK) * 256 + ((dst >> 8) & 0xff)];
        if (e & IB_FIB_CHUNK)
            e = f->chunks[(size_t)(e & ~IB_FIB_CHUNK) * 256 + (dst & 0xff)];
    }
    return e ? &f->r[e - 1] : NULL;
}

const struct ib_route *ib_fib_lookup(struct ib_fib *f, ib_ip4 dst)
{
    /* The forwarding path: a table built for the current routes (every
     * change but an in-place replacement marks it dirty). */
    if (f->dir && !f->dirty)
        return fib_dir_lookup(f, dst);
    if (f->nsorted != f->n && fib_normalize(f) != 0)
        return fib_scan_any(f, dst);
    if (f->n >= IB_FIB_DIR_MIN && fib_build(f) == 0)
        return fib_dir_lookup(f, dst);
    /* Sorted longest first: the first match is the longest. */
    for (uint32_t i = 0; i < f->n; i++) {
        const struct ib_route *r = &f->r[i];
        if (((dst ^ r->prefix) & ib_ip4_mask(r->plen)) == 0)
            return r;
    }
    return NULL;
}

const struct ib_route *ib_fib_routes(struct ib_fib *f, uint32_t *n)
{
    if (f->nsorted != f->n && fib_normalize(f) != 0) {
        *n = 0;
        return NULL;
    }
    *n = f->n;
    return f->r;
}
