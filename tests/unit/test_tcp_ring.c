/* TCP byte rings: bounded writes, reads and drops across the wrap, growth
 * that keeps the bytes in order, and peek_csum agreeing with the checksum
 * of the copied bytes (RFC 1071) whatever the offset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "inetbox/cksum.h"
#include "transport/tcp_int.h"

static void fill(uint8_t *b, size_t n, uint32_t start)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)((start + i) * 131u + ((start + i) >> 8));
}

static void test_empty(void **state)
{
    (void)state;
    struct ib_tcp_ring r = {0};
    uint8_t b[4];
    assert_int_equal(ib_tcp_ring_cap(&r), 0);
    assert_int_equal(ib_tcp_ring_read(&r, b, sizeof(b)), 0);
    assert_int_equal(ib_tcp_ring_write(&r, b, 0, 100), 0);
    assert_null(r.b); /* nothing allocated for nothing */
    ib_tcp_ring_free(&r);
}

static void test_limit(void **state)
{
    (void)state;
    struct ib_tcp_ring r = {0};
    uint8_t src[1000], dst[1000];
    fill(src, sizeof(src), 0);
    assert_int_equal(ib_tcp_ring_write(&r, src, 1000, 600), 600);
    assert_int_equal(r.len, 600);
    assert_int_equal(ib_tcp_ring_write(&r, src, 10, 600), 0);
    assert_true(ib_tcp_ring_cap(&r) <= 600);
    assert_int_equal(ib_tcp_ring_read(&r, dst, 1000), 600);
    assert_memory_equal(dst, src, 600);
    ib_tcp_ring_free(&r);
    assert_null(r.b);
}

/* Writes and consumes in uneven steps so head and tail wrap many times;
 * every byte comes out in order. */
static void test_wrap_stream(void **state)
{
    (void)state;
    struct ib_tcp_ring r = {0};
    enum { LIMIT = 5000 };
    uint8_t src[3000], dst[3000];
    uint32_t wpos = 0, rpos = 0;
    for (unsigned round = 0; round < 500; round++) {
        uint32_t wn = 1 + (round * 397u) % 2999u;
        fill(src, wn, wpos);
        wpos += ib_tcp_ring_write(&r, src, wn, LIMIT);
        uint32_t rn = 1 + (round * 211u) % 2999u;
        if (round % 3 == 0) {
            uint32_t k = rn < r.len ? rn : r.len;
            /* peek at an offset, then drop */
            if (k > 1) {
                ib_tcp_ring_peek(&r, 1, dst, k - 1);
                fill(src, k - 1, rpos + 1);
                assert_memory_equal(dst, src, k - 1);
            }
            ib_tcp_ring_drop(&r, k);
            rpos += k;
        } else {
            uint32_t got = ib_tcp_ring_read(&r, dst, rn);
            fill(src, got, rpos);
            assert_memory_equal(dst, src, got);
            rpos += got;
        }
        assert_int_equal(r.len, wpos - rpos);
        assert_true(ib_tcp_ring_cap(&r) <= LIMIT);
    }
    ib_tcp_ring_free(&r);
}

/* Growing while the data wraps keeps it in order. */
static void test_grow_wrapped(void **state)
{
    (void)state;
    struct ib_tcp_ring r = {0};
    uint8_t src[8192], dst[8192];
    fill(src, 4096, 0);
    assert_int_equal(ib_tcp_ring_write(&r, src, 4096, 1u << 20), 4096);
    assert_int_equal(ib_tcp_ring_cap(&r), 4096);
    ib_tcp_ring_drop(&r, 3000);
    fill(src, 2000, 4096);
    assert_int_equal(ib_tcp_ring_write(&r, src, 2000, 1u << 20), 2000); /* wraps */
    fill(src, 5000, 6096);
    assert_int_equal(ib_tcp_ring_write(&r, src, 5000, 1u << 20), 5000); /* grows */
    assert_true(ib_tcp_ring_cap(&r) >= 8096);
    assert_int_equal(ib_tcp_ring_read(&r, dst, sizeof(dst)), 8096);
    fill(src, 8096, 3000);
    assert_memory_equal(dst, src, 8096);
    ib_tcp_ring_free(&r);
}

/* peek_csum returns the partial sum of the bytes as copied to dst, for
 * odd and even offsets and across the wrap. */
static void test_peek_csum(void **state)
{
    (void)state;
    struct ib_tcp_ring r = {0};
    uint8_t src[4096], dst[1500];
    fill(src, 4096, 7);
    assert_int_equal(ib_tcp_ring_write(&r, src, 4096, 4096), 4096);
    ib_tcp_ring_drop(&r, 3001); /* head at an odd position */
    fill(src, 3001, 9999);
    assert_int_equal(ib_tcp_ring_write(&r, src, 3001, 4096), 3001);
    for (uint32_t off = 0; off < 600; off += 37) {
        for (uint32_t n = 1; n <= 1500 && off + n <= r.len; n += 229) {
            uint64_t sum = ib_tcp_ring_peek_csum(&r, off, dst, n);
            uint8_t want[1500];
            ib_tcp_ring_peek(&r, off, want, n);
            assert_memory_equal(dst, want, n);
            assert_int_equal(ib_csum_fold(sum), ib_csum(want, n));
        }
    }
    /* A known vector: RFC 1071 §3's example bytes 00 01 f2 03 f4 f5 f6 f7
     * sum to 0xddf2, checksum 0x220d. */
    struct ib_tcp_ring k = {0};
    const uint8_t v[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    uint8_t junk[3] = {1, 2, 3};
    ib_tcp_ring_write(&k, junk, 3, 4096);
    ib_tcp_ring_write(&k, v, 8, 4096);
    uint8_t out[8];
    assert_int_equal(ib_csum_fold(ib_tcp_ring_peek_csum(&k, 3, out, 8)), 0x220d);
    ib_tcp_ring_free(&k);
    ib_tcp_ring_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),       cmocka_unit_test(test_limit),
        cmocka_unit_test(test_wrap_stream), cmocka_unit_test(test_grow_wrapped),
        cmocka_unit_test(test_peek_csum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
