/* Forwarding table tests: longest-prefix match (RFC 1812 §5.2.4.3) in the
 * linear regime and through the DIR-16-8-8 table, checked against an
 * independent reference (one sorted array per prefix length). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "inetbox/rng.h"
#include "inetbox/route.h"

static struct ib_route rt(ib_ip4 prefix, uint8_t plen, ib_ip4 gw)
{
    struct ib_route r = {.prefix = prefix, .plen = plen, .gateway = gw, .proto = IB_RT_STATIC};
    return r;
}

static ib_ip4 gw_of(struct ib_fib *f, ib_ip4 dst)
{
    const struct ib_route *r = ib_fib_lookup(f, dst);
    return r ? r->gateway : 0xdeadbeefu;
}

/* RFC 1812 §5.2.4.3: the longest matching prefix wins; /0 matches all. */
static void test_longest_match_small(void **state)
{
    (void)state;
    struct ib_fib f;
    ib_fib_init(&f);
    struct ib_route r;
    assert_null(ib_fib_lookup(&f, IB_IP4(10, 0, 0, 1)));
    r = rt(IB_IP4(10, 1, 2, 3), 8, 1); /* host bits are masked off */
    assert_int_equal(ib_fib_add(&f, &r), 0);
    r = rt(IB_IP4(10, 1, 0, 0), 16, 2);
    assert_int_equal(ib_fib_add(&f, &r), 0);
    r = rt(IB_IP4(10, 1, 2, 0), 24, 3);
    assert_int_equal(ib_fib_add(&f, &r), 0);
    r = rt(IB_IP4(10, 1, 2, 3), 32, 4);
    assert_int_equal(ib_fib_add(&f, &r), 0);
    assert_int_equal(gw_of(&f, IB_IP4(11, 0, 0, 1)), 0xdeadbeefu);
    r = rt(0, 0, 5);
    assert_int_equal(ib_fib_add(&f, &r), 0);

    assert_int_equal(gw_of(&f, IB_IP4(10, 1, 2, 3)), 4);
    assert_int_equal(gw_of(&f, IB_IP4(10, 1, 2, 4)), 3);
    assert_int_equal(gw_of(&f, IB_IP4(10, 1, 3, 4)), 2);
    assert_int_equal(gw_of(&f, IB_IP4(10, 2, 3, 4)), 1);
    assert_int_equal(gw_of(&f, IB_IP4(11, 0, 0, 1)), 5);
    assert_int_equal(gw_of(&f, IB_IP4(255, 255, 255, 255)), 5);

    uint32_t n;
    const struct ib_route *all = ib_fib_routes(&f, &n);
    assert_int_equal(n, 5);
    assert_int_equal(all[0].plen, 32);
    assert_int_equal(all[3].prefix, IB_IP4(10, 0, 0, 0));
    assert_int_equal(all[3].plen, 8);
    assert_int_equal(all[4].plen, 0);

    /* Same (prefix, plen) replaces. */
    r = rt(IB_IP4(10, 1, 0, 9), 16, 22);
    assert_int_equal(ib_fib_add(&f, &r), 0);
    ib_fib_routes(&f, &n);
    assert_int_equal(n, 5);
    assert_int_equal(gw_of(&f, IB_IP4(10, 1, 3, 4)), 22);

    assert_int_equal(ib_fib_del(&f, IB_IP4(10, 1, 2, 0), 24), 0);
    assert_int_equal(gw_of(&f, IB_IP4(10, 1, 2, 4)), 22);
    assert_int_equal(ib_fib_del(&f, IB_IP4(10, 1, 2, 0), 24), IB_ERR_NOTFOUND);
    r = rt(0, 33, 0);
    assert_int_equal(ib_fib_add(&f, &r), IB_ERR_INVAL);
    assert_null(f.dir);
    ib_fib_destroy(&f);
}

/* The reference: every (prefix, plen) added, latest add winning, one sorted
 * run per prefix length; a lookup tries /32 down to /0. */
struct ref {
    struct ib_route *r;
    uint32_t n;
    uint32_t start[34];
};

static int ref_cmp(const void *a, const void *b)
{
    const struct ib_route *x = a, *y = b;
    if (x->plen != y->plen)
        return x->plen < y->plen ? -1 : 1;
    if (x->prefix != y->prefix)
        return x->prefix < y->prefix ? -1 : 1;
    /* metric holds the add sequence number: later last */
    return x->metric < y->metric ? -1 : x->metric > y->metric;
}

static void ref_build(struct ref *ref, const struct ib_route *adds, uint32_t n)
{
    ref->r = malloc(n * sizeof(*ref->r));
    assert_non_null(ref->r);
    for (uint32_t i = 0; i < n; i++) {
        ref->r[i] = adds[i];
        ref->r[i].prefix &= ib_ip4_mask(adds[i].plen);
        ref->r[i].metric = i;
    }
    qsort(ref->r, n, sizeof(*ref->r), ref_cmp);
    uint32_t w = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (i + 1 < n && ref->r[i].plen == ref->r[i + 1].plen &&
            ref->r[i].prefix == ref->r[i + 1].prefix)
            continue;
        ref->r[w++] = ref->r[i];
    }
    ref->n = w;
    uint32_t i = 0;
    for (unsigned p = 0; p <= 33; p++) {
        while (i < w && ref->r[i].plen < p)
            i++;
        ref->start[p] = i;
    }
}

static ib_ip4 ref_lookup(const struct ref *ref, ib_ip4 dst)
{
    for (int p = 32; p >= 0; p--) {
        uint32_t lo = ref->start[p], hi = ref->start[p + 1];
        ib_ip4 key = dst & ib_ip4_mask((unsigned)p);
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (ref->r[mid].prefix < key)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < ref->start[p + 1] && ref->r[lo].prefix == key)
            return ref->r[lo].gateway;
    }
    return 0xdeadbeefu;
}

/* A realistic mix: mostly /16../24, some short, some longer, a few /0 and
 * /32 host routes. */
static uint8_t random_plen(struct ib_rng *rng)
{
    uint64_t x = ib_rng_below(rng, 100);
    if (x < 1)
        return 0;
    if (x < 10)
        return (uint8_t)(1 + ib_rng_below(rng, 15));
    if (x < 75)
        return (uint8_t)(16 + ib_rng_below(rng, 9));
    if (x < 90)
        return (uint8_t)(25 + ib_rng_below(rng, 7));
    return 32;
}

/* Destinations: half near a route (likely to hit long prefixes), half
 * uniform. */
static ib_ip4 random_dst(struct ib_rng *rng, const struct ib_route *adds, uint32_t n)
{
    ib_ip4 d = (ib_ip4)ib_rng_next(rng);
    if (ib_rng_below(rng, 2)) {
        const struct ib_route *r = &adds[ib_rng_below(rng, n)];
        d = (r->prefix & ib_ip4_mask(r->plen)) | (d & ~ib_ip4_mask(r->plen));
        /* sometimes just outside the prefix */
        if (ib_rng_below(rng, 4) == 0)
            d ^= 1u << ib_rng_below(rng, 32);
    }
    return d;
}

static void check_against_ref(struct ib_fib *f, const struct ib_route *adds, uint32_t nadds,
                              struct ib_rng *rng, uint32_t lookups)
{
    struct ref ref;
    ref_build(&ref, adds, nadds);
    uint32_t n;
    const struct ib_route *all = ib_fib_routes(f, &n);
    assert_int_equal(n, ref.n);
    for (uint32_t i = 1; i < n; i++) {
        bool ordered = all[i - 1].plen > all[i].plen ||
                       (all[i - 1].plen == all[i].plen && all[i - 1].prefix < all[i].prefix);
        assert_true(ordered);
    }
    for (uint32_t i = 0; i < lookups; i++) {
        ib_ip4 d = random_dst(rng, adds, nadds);
        ib_ip4 want = ref_lookup(&ref, d);
        ib_ip4 got = gw_of(f, d);
        if (want != got)
            fail_msg("dst %08x: want gw %08x got %08x", d, want, got);
    }
    free(ref.r);
}

static void add_random(struct ib_fib *f, struct ib_route *adds, uint32_t from, uint32_t to,
                       struct ib_rng *rng)
{
    for (uint32_t i = from; i < to; i++) {
        uint8_t plen = random_plen(rng);
        /* Re-add an earlier prefix now and then: replacement must win. */
        ib_ip4 prefix = (ib_ip4)ib_rng_next(rng);
        if (i > 0 && ib_rng_below(rng, 50) == 0) {
            const struct ib_route *old = &adds[ib_rng_below(rng, i)];
            prefix = old->prefix;
            plen = old->plen;
        }
        adds[i] = rt(prefix, plen, i + 1);
        assert_int_equal(ib_fib_add(f, &adds[i]), 0);
    }
}

/* Below IB_FIB_DIR_MIN routes the table is scanned; at the threshold the
 * DIR table takes over; both agree with the reference. */
static void test_linear_and_dir_threshold(void **state)
{
    (void)state;
    struct ib_rng rng;
    ib_rng_seed(&rng, 7);
    struct ib_route adds[IB_FIB_DIR_MIN + 8];
    struct ib_fib f;
    ib_fib_init(&f);
    add_random(&f, adds, 0, IB_FIB_DIR_MIN / 2, &rng);
    check_against_ref(&f, adds, IB_FIB_DIR_MIN / 2, &rng, 20000);
    assert_null(f.dir);
    add_random(&f, adds, IB_FIB_DIR_MIN / 2, IB_FIB_DIR_MIN + 8, &rng);
    uint32_t n;
    ib_fib_routes(&f, &n);
    assert_true(n >= IB_FIB_DIR_MIN);
    check_against_ref(&f, adds, IB_FIB_DIR_MIN + 8, &rng, 20000);
    assert_non_null(f.dir);
    assert_false(f.dirty);
    /* Shrinking below the threshold goes back to scanning and frees the
     * table. */
    const struct ib_route *all = ib_fib_routes(&f, &n);
    while (n >= IB_FIB_DIR_MIN) {
        assert_int_equal(ib_fib_del(&f, all[0].prefix, all[0].plen), 0);
        all = ib_fib_routes(&f, &n);
    }
    assert_null(f.dir);
    ib_fib_destroy(&f);
}

/* DIR corner cases: a /0 under everything, /32 hosts creating level-3
 * chunks below a level-2 entry that already names a route, and a /17
 * added after its /24 children. */
static void test_dir_corners(void **state)
{
    (void)state;
    struct ib_fib f;
    ib_fib_init(&f);
    struct ib_route r = rt(0, 0, 1);
    assert_int_equal(ib_fib_add(&f, &r), 0);
    for (uint32_t i = 0; i < IB_FIB_DIR_MIN; i++) {
        r = rt(IB_IP4(192, 168, 1, i), 32, 100 + i);
        assert_int_equal(ib_fib_add(&f, &r), 0);
    }
    r = rt(IB_IP4(192, 168, 1, 0), 24, 2);
    assert_int_equal(ib_fib_add(&f, &r), 0);
    r = rt(IB_IP4(192, 168, 0, 0), 17, 3);
    assert_int_equal(ib_fib_add(&f, &r), 0);
    r = rt(IB_IP4(192, 168, 1, 128), 25, 4);
    assert_int_equal(ib_fib_add(&f, &r), 0);

    assert_int_equal(gw_of(&f, IB_IP4(1, 2, 3, 4)), 1);
    assert_int_equal(gw_of(&f, IB_IP4(192, 168, 1, 5)), 105);
    assert_int_equal(gw_of(&f, IB_IP4(192, 168, 1, 64)), 2);
    assert_int_equal(gw_of(&f, IB_IP4(192, 168, 1, 200)), 4);
    assert_int_equal(gw_of(&f, IB_IP4(192, 168, 2, 1)), 3);
    assert_int_equal(gw_of(&f, IB_IP4(192, 168, 128, 1)), 1);
    assert_int_equal(gw_of(&f, IB_IP4(192, 169, 0, 0)), 1);
    assert_non_null(f.dir);
    /* Without the default route, uncovered space has no route. */
    assert_int_equal(ib_fib_del(&f, 0, 0), 0);
    assert_int_equal(gw_of(&f, IB_IP4(1, 2, 3, 4)), 0xdeadbeefu);
    assert_int_equal(gw_of(&f, IB_IP4(192, 168, 1, 63)), 163);
    /* Replacing keeps the built table (only attributes change). */
    r = rt(IB_IP4(192, 168, 1, 63), 32, 999);
    assert_int_equal(ib_fib_add(&f, &r), 0);
    assert_false(f.dirty);
    assert_int_equal(gw_of(&f, IB_IP4(192, 168, 1, 63)), 999);
    ib_fib_destroy(&f);
}

/* 100k random prefixes, 1M random lookups, DIR against the reference; then
 * changes to the built table are picked up by a rebuild. */
static void test_dir_random_100k(void **state)
{
    (void)state;
    enum { N = 100000, EXTRA = 5000 };
    struct ib_rng rng;
    ib_rng_seed(&rng, 42);
    struct ib_route *adds = malloc((N + EXTRA) * sizeof(*adds));
    assert_non_null(adds);
    struct ib_fib f;
    ib_fib_init(&f);
    add_random(&f, adds, 0, N, &rng);
    check_against_ref(&f, adds, N, &rng, 1000000);
    assert_non_null(f.dir);
    add_random(&f, adds, N, N + EXTRA, &rng);
    check_against_ref(&f, adds, N + EXTRA, &rng, 200000);
    ib_fib_destroy(&f);
    assert_null(f.dir);
    assert_null(f.r);
    free(adds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_longest_match_small),
        cmocka_unit_test(test_linear_and_dir_threshold),
        cmocka_unit_test(test_dir_corners),
        cmocka_unit_test(test_dir_random_100k),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
