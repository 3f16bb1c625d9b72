/* Packet buffers and their pool.
 *
 * A pooled packet is one allocation: the struct followed by its
 * IB_PKT_BUF_SIZE-byte buffer, so taking one from the free list touches a
 * single cache line and never calls malloc. Larger packets (reassembled
 * datagrams, big pings) are allocated to size and freed on their last
 * reference, so rare giants do not bloat the free list. */
#include "inetbox/pkt.h"

#include <stdlib.h>

struct ib_pkt_pool {
    struct ib_pkt *free; /* pooled packets, linked through next */
    struct ib_pkt_pool_stats st;
};

/* Large buffers are rounded up so that small growth (a few option bytes)
 * does not change the allocation class. */
#define IB_PKT_LARGE_ROUND 64u

struct ib_pkt_pool *ib_pkt_pool_new(void)
{
    return calloc(1, sizeof(struct ib_pkt_pool));
}

void ib_pkt_pool_free(struct ib_pkt_pool *pool)
{
    if (!pool) return;
    struct ib_pkt *p = pool->free;
    while (p) {
        struct ib_pkt *next = p->next;
        free(p);
        p = next;
    }
    free(pool);
}

void ib_pkt_pool_stats(const struct ib_pkt_pool *pool, struct ib_pkt_pool_stats *out)
{
    *out = pool->st;
}

struct ib_pkt *ib_pkt_alloc(struct ib_pkt_pool *pool, size_t headroom, size_t len)
{
    struct ib_pkt *p;
    size_t need = headroom + len;
    if (need < headroom || need > UINT32_MAX - IB_PKT_LARGE_ROUND) return NULL;
    if (need <= IB_PKT_BUF_SIZE) {
        p = pool->free;
        if (p) {
            pool->free = p->next;
            pool->st.pooled--;
        } else {
            p = malloc(sizeof(*p) + IB_PKT_BUF_SIZE);
            if (!p) return NULL;
        }
        p->size = IB_PKT_BUF_SIZE;
    } else {
        size_t size = (need + IB_PKT_LARGE_ROUND - 1) & ~(size_t)(IB_PKT_LARGE_ROUND - 1);
        p = malloc(sizeof(*p) + size);
        if (!p) return NULL;
        p->size = (uint32_t)size;
        pool->st.large_allocs++;
    }
    p->buf = (uint8_t *)(p + 1);
    p->data = p->buf + headroom;
    p->len = (uint32_t)len;
    p->pool = pool;
    p->next = NULL;
    p->journey = 0;
    p->refs = 1;
    p->flags = 0;
    pool->st.allocs++;
    pool->st.in_use++;
    return p;
}

struct ib_pkt *ib_pkt_from(struct ib_pkt_pool *pool, const void *bytes, size_t len)
{
    struct ib_pkt *p = ib_pkt_alloc(pool, IB_PKT_HEADROOM, len);
    if (p && len) memcpy(p->data, bytes, len);
    return p;
}

void ib_pkt_free(struct ib_pkt *p)
{
    if (!p || --p->refs > 0) return;
    struct ib_pkt_pool *pool = p->pool;
    pool->st.frees++;
    pool->st.in_use--;
    if (p->size == IB_PKT_BUF_SIZE) {
        p->next = pool->free;
        pool->free = p;
        pool->st.pooled++;
    } else {
        free(p);
    }
}

struct ib_pkt *ib_pkt_clone(const struct ib_pkt *p)
{
    size_t headroom = ib_pkt_headroom(p);
    struct ib_pkt *c = ib_pkt_alloc(p->pool, headroom, p->len);
    if (!c) return NULL;
    /* The headroom is copied too: a layer may push back onto a header it
     * pulled earlier (ICMP errors quote the IP header before UDP). */
    memcpy(c->buf, p->buf, headroom + p->len);
    c->journey = p->journey;
    c->flags = p->flags;
    return c;
}

struct ib_pkt *ib_pkt_unshare(struct ib_pkt *p)
{
    if (p->refs == 1) return p;
    struct ib_pkt *c = ib_pkt_clone(p);
    ib_pkt_free(p);
    return c;
}
