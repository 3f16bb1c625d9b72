/* The receive fast path's staging (ib_tcp_ring_stage_csum): the payload is
 * copied past the ring's tail, across the wrap at any alignment, while its
 * RFC 1071 sum is taken over every byte (those that did not fit too); the
 * ring's contents change only on ib_tcp_ring_commit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "inetbox/cksum.h"
#include "transport/tcp_int.h"

static void fill(uint8_t *b, size_t n, uint32_t start)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)((start + i) * 167u + ((start + i) >> 7));
}

/* Tail positions up to the wrap of a 4096-byte ring, odd and even
 * lengths: the sum equals the checksum of the source, the bytes land in
 * order once committed, and an uncommitted stage leaves the ring alone. */
static void test_stage_wrap(void **state)
{
    (void)state;
    uint8_t src[1500], got[1500], pre[4096];
    fill(src, sizeof(src), 7);
    fill(pre, sizeof(pre), 99);
    for (uint32_t shift = 4096 - 1600; shift <= 3996; shift += 37) {
        for (uint32_t len = 1; len <= 1500; len += 211) {
            struct ib_tcp_ring r = {0};
            assert_int_equal(ib_tcp_ring_write(&r, pre, 4096, 4096), 4096);
            assert_int_equal(ib_tcp_ring_cap(&r), 4096);
            /* 100 bytes stay unread; the tail moves to shift. */
            ib_tcp_ring_drop(&r, 3996);
            assert_int_equal(ib_tcp_ring_write(&r, pre, shift, 4096), shift);
            ib_tcp_ring_drop(&r, shift);
            assert_int_equal(ib_tcp_ring_tail(&r), shift);
            uint32_t tail = ib_tcp_ring_tail(&r);
            uint64_t sum;
            assert_int_equal(ib_tcp_ring_stage_csum(&r, src, len, 4096, &sum), len);
            assert_int_equal(ib_csum_fold(sum), ib_csum(src, len));
            assert_int_equal(r.len, 100);
            assert_int_equal(ib_tcp_ring_tail(&r), tail);
            ib_tcp_ring_commit(&r, len);
            assert_int_equal(r.len, 100 + len);
            ib_tcp_ring_drop(&r, 100);
            assert_int_equal(ib_tcp_ring_read(&r, got, len), len);
            assert_memory_equal(got, src, len);
            ib_tcp_ring_free(&r);
        }
    }
}

/* A payload larger than the room: only what fits is staged, but the sum
 * still covers all of it (the checksum must be verified on the whole
 * segment), from an odd split too. */
static void test_stage_partial(void **state)
{
    (void)state;
    uint8_t src[1448], got[1448];
    fill(src, sizeof(src), 3);
    for (uint32_t room = 0; room <= 1448; room += 181) {
        struct ib_tcp_ring r = {0};
        uint64_t sum;
        assert_int_equal(ib_tcp_ring_stage_csum(&r, src, sizeof(src), room, &sum), room);
        assert_int_equal(ib_csum_fold(sum), ib_csum(src, sizeof(src)));
        assert_int_equal(r.len, 0);
        ib_tcp_ring_commit(&r, room);
        assert_int_equal(ib_tcp_ring_read(&r, got, sizeof(got)), room);
        assert_memory_equal(got, src, room);
        ib_tcp_ring_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stage_wrap),
        cmocka_unit_test(test_stage_partial),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
