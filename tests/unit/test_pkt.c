/* Packet buffers: push/pull/put/trim bounds, pool recycling and stats,
 * large packets, reference counting, clone and unshare. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "inetbox/pkt.h"

static struct ib_pkt_pool_stats stats(const struct ib_pkt_pool *pool)
{
    struct ib_pkt_pool_stats st;
    ib_pkt_pool_stats(pool, &st);
    return st;
}

static void test_push_pull(void **state)
{
    (void)state;
    struct ib_pkt_pool *pool = ib_pkt_pool_new();
    assert_non_null(pool);
    struct ib_pkt *p = ib_pkt_from(pool, "payload", 7);
    assert_non_null(p);
    assert_int_equal(p->len, 7);
    assert_int_equal(ib_pkt_headroom(p), IB_PKT_HEADROOM);
    assert_int_equal(ib_pkt_tailroom(p), IB_PKT_BUF_SIZE - IB_PKT_HEADROOM - 7);
    assert_memory_equal(p->data, "payload", 7);

    /* Going down: each layer pushes its header in front. */
    uint8_t *udp = ib_pkt_push(p, 8);
    assert_ptr_equal(udp, p->data);
    memset(udp, 0x11, 8);
    uint8_t *ip = ib_pkt_push(p, 20);
    memset(ip, 0x45, 20);
    assert_int_equal(p->len, 35);
    assert_int_equal(ib_pkt_headroom(p), IB_PKT_HEADROOM - 28);

    /* Going up: pull them off again; the bytes are where they were. */
    assert_ptr_equal(ib_pkt_pull(p, 20), udp);
    assert_ptr_equal(ib_pkt_pull(p, 8), udp + 8);
    assert_memory_equal(p->data, "payload", 7);
    /* The pulled header is still intact just before data. */
    assert_ptr_equal(ib_pkt_push(p, 28), ip);
    assert_int_equal(ip[0], 0x45);

    /* Out of bounds requests fail and change nothing. */
    assert_null(ib_pkt_pull(p, 36));
    assert_int_equal(p->len, 35);
    assert_null(ib_pkt_push(p, ib_pkt_headroom(p) + 1));
    assert_int_equal(p->len, 35);
    assert_null(ib_pkt_put(p, ib_pkt_tailroom(p) + 1));
    assert_int_equal(p->len, 35);
    uint8_t *tail = ib_pkt_put(p, 4);
    assert_ptr_equal(tail, p->data + 35);
    assert_int_equal(p->len, 39);
    assert_non_null(ib_pkt_put(p, ib_pkt_tailroom(p)));
    assert_int_equal(ib_pkt_tailroom(p), 0);
    assert_null(ib_pkt_put(p, 1));

    ib_pkt_trim(p, 10);
    assert_int_equal(p->len, 10);
    ib_pkt_trim(p, 100); /* never grows */
    assert_int_equal(p->len, 10);
    ib_pkt_free(p);
    assert_int_equal(stats(pool).in_use, 0);
    ib_pkt_pool_free(pool);
}

static void test_pool_recycles(void **state)
{
    (void)state;
    struct ib_pkt_pool *pool = ib_pkt_pool_new();
    struct ib_pkt *a = ib_pkt_alloc(pool, 0, 100);
    struct ib_pkt *b = ib_pkt_alloc(pool, 64, IB_PKT_BUF_SIZE - 64);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(b->size, IB_PKT_BUF_SIZE);
    struct ib_pkt_pool_stats st = stats(pool);
    assert_int_equal(st.allocs, 2);
    assert_int_equal(st.in_use, 2);
    assert_int_equal(st.pooled, 0);
    ib_pkt_free(a);
    ib_pkt_free(b);
    st = stats(pool);
    assert_int_equal(st.frees, 2);
    assert_int_equal(st.in_use, 0);
    assert_int_equal(st.pooled, 2);
    /* The last freed is the first reused, with fresh metadata. */
    b->journey = 9;
    b->flags = IB_PKT_F_LINK_BCAST;
    struct ib_pkt *c = ib_pkt_alloc(pool, 10, 20);
    assert_ptr_equal(c, b);
    assert_int_equal(c->journey, 0);
    assert_int_equal(c->flags, 0);
    assert_int_equal(c->refs, 1);
    assert_int_equal(ib_pkt_headroom(c), 10);
    assert_int_equal(c->len, 20);
    assert_int_equal(stats(pool).pooled, 1);
    ib_pkt_free(c);
    assert_int_equal(stats(pool).in_use, 0);
    ib_pkt_pool_free(pool);
}

static void test_large(void **state)
{
    (void)state;
    struct ib_pkt_pool *pool = ib_pkt_pool_new();
    struct ib_pkt *p = ib_pkt_alloc(pool, IB_PKT_HEADROOM, 65535);
    assert_non_null(p);
    assert_true(p->size >= IB_PKT_HEADROOM + 65535);
    assert_int_equal(ib_pkt_headroom(p), IB_PKT_HEADROOM);
    memset(p->data, 0xab, 65535); /* the whole buffer is usable */
    assert_int_equal(stats(pool).large_allocs, 1);
    struct ib_pkt *c = ib_pkt_clone(p);
    assert_non_null(c);
    assert_memory_equal(c->data, p->data, 65535);
    ib_pkt_free(p);
    ib_pkt_free(c);
    struct ib_pkt_pool_stats st = stats(pool);
    assert_int_equal(st.in_use, 0);
    assert_int_equal(st.pooled, 0); /* large buffers are not kept */
    assert_int_equal(st.large_allocs, 2);
    ib_pkt_pool_free(pool);
}

static void test_refs(void **state)
{
    (void)state;
    struct ib_pkt_pool *pool = ib_pkt_pool_new();
    struct ib_pkt *p = ib_pkt_from(pool, "flood", 5);
    /* A switch floods to three ports: three references. */
    ib_pkt_ref(p);
    ib_pkt_ref(p);
    assert_int_equal(p->refs, 3);
    ib_pkt_free(p);
    ib_pkt_free(p);
    assert_int_equal(stats(pool).in_use, 1);
    assert_int_equal(stats(pool).frees, 0);
    ib_pkt_free(p);
    assert_int_equal(stats(pool).in_use, 0);
    assert_int_equal(stats(pool).frees, 1);
    ib_pkt_free(NULL);
    ib_pkt_pool_free(pool);
}

static void test_clone_unshare(void **state)
{
    (void)state;
    struct ib_pkt_pool *pool = ib_pkt_pool_new();
    struct ib_pkt *p = ib_pkt_from(pool, "0123456789", 10);
    memcpy(ib_pkt_push(p, 4), "HDR:", 4);
    ib_pkt_pull(p, 4);
    p->journey = 77;
    p->flags = IB_PKT_F_LINK_MCAST;

    struct ib_pkt *c = ib_pkt_clone(p);
    assert_non_null(c);
    assert_ptr_not_equal(c, p);
    assert_ptr_not_equal(c->buf, p->buf);
    assert_int_equal(c->len, 10);
    assert_int_equal(ib_pkt_headroom(c), ib_pkt_headroom(p));
    assert_memory_equal(c->data, "0123456789", 10);
    assert_int_equal(c->journey, 77);
    assert_int_equal(c->flags, IB_PKT_F_LINK_MCAST);
    assert_int_equal(c->refs, 1);
    /* The headroom comes along: a pulled header can be pushed back. */
    assert_memory_equal(ib_pkt_push(c, 4), "HDR:", 4);
    ib_pkt_free(c);

    /* Sole owner: unshare is a no-op. */
    assert_ptr_equal(ib_pkt_unshare(p), p);
    /* Shared: the writer gets a copy, the other holder keeps the original. */
    ib_pkt_ref(p);
    struct ib_pkt *w = ib_pkt_unshare(p);
    assert_ptr_not_equal(w, p);
    assert_int_equal(p->refs, 1);
    w->data[0] = 'X';
    assert_int_equal(p->data[0], '0');
    assert_int_equal(w->journey, 77);
    ib_pkt_free(w);
    ib_pkt_free(p);
    assert_int_equal(stats(pool).in_use, 0);
    ib_pkt_pool_free(pool);
}

/* Overflowing sizes fail cleanly. */
static void test_alloc_limits(void **state)
{
    (void)state;
    struct ib_pkt_pool *pool = ib_pkt_pool_new();
    assert_null(ib_pkt_alloc(pool, SIZE_MAX, 2));
    assert_null(ib_pkt_alloc(pool, 0, (size_t)UINT32_MAX));
    struct ib_pkt *p = ib_pkt_alloc(pool, 0, 0);
    assert_non_null(p);
    assert_int_equal(p->len, 0);
    assert_null(ib_pkt_pull(p, 1));
    ib_pkt_free(p);
    assert_int_equal(stats(pool).in_use, 0);
    assert_int_equal(stats(pool).allocs, 1);
    ib_pkt_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_push_pull),     cmocka_unit_test(test_pool_recycles),
        cmocka_unit_test(test_large),         cmocka_unit_test(test_refs),
        cmocka_unit_test(test_clone_unshare), cmocka_unit_test(test_alloc_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
