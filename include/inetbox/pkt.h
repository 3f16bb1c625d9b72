/* Packet buffers. A packet is one contiguous buffer with headroom: going
 * down, each layer pushes its header in front of the data; going up, each
 * layer pulls its header off. Nothing is copied between layers.
 *
 * Packets come from a pool (one per world or live loop). Small buffers are
 * recycled through a free list; buffers larger than IB_PKT_BUF_SIZE (a
 * reassembled datagram, a large ping) are allocated to size. A packet is
 * reference counted so a switch can flood one frame to many ports; whoever
 * changes bytes of a packet that may be shared calls ib_pkt_unshare() first. */
#ifndef INETBOX_PKT_H
#define INETBOX_PKT_H

#include "inetbox/types.h"

/* Room for Ethernet (14) + IPv4 with options (60) + TCP with options (60)
 * and some slack for encapsulations added later. */
#define IB_PKT_HEADROOM 160u
#define IB_PKT_BUF_SIZE 2048u

struct ib_pkt_pool;

struct ib_pkt {
    uint8_t *data; /* first valid byte */
    uint32_t len;  /* valid bytes from data */
    uint32_t size; /* bytes in buf */
    uint8_t *buf;
    struct ib_pkt_pool *pool;
    struct ib_pkt *next; /* free list, or a queue of the single owner */
    uint32_t journey;    /* follows one logical packet across hops */
    uint16_t refs;
    uint16_t flags;
};

#define IB_PKT_F_LINK_BCAST 0x1u /* arrived as a link-layer broadcast */
#define IB_PKT_F_LINK_MCAST 0x2u /* arrived as a link-layer multicast */
#define IB_PKT_F_LINK_OTHER 0x4u /* arrived for another host's MAC (promisc) */

struct ib_pkt_pool_stats {
    uint64_t allocs, frees, in_use, pooled, large_allocs;
};

struct ib_pkt_pool *ib_pkt_pool_new(void);
void ib_pkt_pool_free(struct ib_pkt_pool *pool);
void ib_pkt_pool_stats(const struct ib_pkt_pool *pool, struct ib_pkt_pool_stats *out);

/* A packet of len bytes (contents unset) after headroom bytes. NULL if out
 * of memory. */
struct ib_pkt *ib_pkt_alloc(struct ib_pkt_pool *pool, size_t headroom, size_t len);
/* A packet holding a copy of bytes, with the default headroom. */
struct ib_pkt *ib_pkt_from(struct ib_pkt_pool *pool, const void *bytes, size_t len);

static inline size_t ib_pkt_headroom(const struct ib_pkt *p) { return (size_t)(p->data - p->buf); }
static inline size_t ib_pkt_tailroom(const struct ib_pkt *p)
{
    return p->size - ib_pkt_headroom(p) - p->len;
}

/* Prepends n bytes and returns the new start, or NULL without headroom. */
static inline uint8_t *ib_pkt_push(struct ib_pkt *p, size_t n)
{
    if (ib_pkt_headroom(p) < n)
        return NULL;
    p->data -= n;
    p->len += (uint32_t)n;
    return p->data;
}

/* Removes n bytes from the front and returns the new start, or NULL (and
 * no change) if the packet is shorter than n. */
static inline uint8_t *ib_pkt_pull(struct ib_pkt *p, size_t n)
{
    if (p->len < n)
        return NULL;
    p->data += n;
    p->len -= (uint32_t)n;
    return p->data;
}

/* Appends n bytes at the tail and returns where they start, or NULL. */
static inline uint8_t *ib_pkt_put(struct ib_pkt *p, size_t n)
{
    if (ib_pkt_tailroom(p) < n)
        return NULL;
    uint8_t *t = p->data + p->len;
    p->len += (uint32_t)n;
    return t;
}

/* Cuts the packet to len bytes (e.g. Ethernet padding after IP total length). */
static inline void ib_pkt_trim(struct ib_pkt *p, size_t len)
{
    if (len < p->len)
        p->len = (uint32_t)len;
}

static inline struct ib_pkt *ib_pkt_ref(struct ib_pkt *p)
{
    p->refs++;
    return p;
}
/* Drops one reference; the last one returns the packet to its pool. */
void ib_pkt_free(struct ib_pkt *p);
/* A private copy with the same headroom, bytes and metadata. */
struct ib_pkt *ib_pkt_clone(const struct ib_pkt *p);
/* Returns p if it is the only reference, else a private copy (dropping one
 * reference to p). NULL if out of memory (p is then released). */
struct ib_pkt *ib_pkt_unshare(struct ib_pkt *p);

#endif
