/* TCP byte rings: the send buffer (from snd_una: sent but unacknowledged
 * bytes, then unsent ones) and the receive buffer (in-order bytes the app
 * has not read yet). Storage is allocated on first use and doubles as the
 * connection needs more, up to the configured buffer size, so idle
 * connections hold no buffer memory. The capacity is stored in a header in
 * front of the storage to keep the ring itself at 16 bytes of the TCB.
 *
 * Segments are built by copying straight from the send ring into the
 * packet while summing the bytes for the TCP checksum (peek_csum), the only
 * copy the data makes on its way out. */
#include "transport/tcp_int.h"

#include <stdlib.h>

/* The header keeps the storage 8-byte aligned. */
#define RING_HDR 8u
/* The first allocation: room for a few segments. */
#define RING_MIN 4096u

uint32_t ib_tcp_ring_cap(const struct ib_tcp_ring *r)
{
    uint32_t cap = 0;
    if (r->b) memcpy(&cap, r->b - RING_HDR, sizeof(cap));
    return cap;
}

int ib_tcp_ring_reserve(struct ib_tcp_ring *r, uint32_t want, uint32_t limit)
{
    if (want > limit) want = limit;
    uint32_t cap = ib_tcp_ring_cap(r);
    if (cap >= want) return 0;
    uint64_t ncap = cap ? 2u * (uint64_t)cap : RING_MIN;
    if (ncap < want) ncap = want;
    if (ncap > limit) ncap = limit;
    uint8_t *base = malloc(RING_HDR + (size_t)ncap);
    if (!base) return IB_ERR_NOMEM;
    uint32_t c32 = (uint32_t)ncap;
    memcpy(base, &c32, sizeof(c32));
    uint8_t *nb = base + RING_HDR;
    /* The bytes move to the start of the new storage, in order. */
    if (r->len) ib_tcp_ring_peek(r, 0, nb, r->len);
    if (r->b) free(r->b - RING_HDR);
    r->b = nb;
    r->head = 0;
    return 0;
}

uint32_t ib_tcp_ring_write(struct ib_tcp_ring *r, const void *src, uint32_t n, uint32_t limit)
{
    uint32_t room = limit > r->len ? limit - r->len : 0;
    if (n > room) n = room;
    if (n == 0) return 0;
    if (ib_tcp_ring_reserve(r, r->len + n, limit)) return 0;
    uint32_t cap = ib_tcp_ring_cap(r);
    uint32_t tail = r->head + r->len;
    if (tail >= cap) tail -= cap;
    uint32_t first = cap - tail < n ? cap - tail : n;
    memcpy(r->b + tail, src, first);
    if (n > first) memcpy(r->b, (const uint8_t *)src + first, n - first);
    r->len += n;
    return n;
}

void ib_tcp_ring_peek(const struct ib_tcp_ring *r, uint32_t off, void *dst, uint32_t n)
{
    if (n == 0) return;
    uint32_t cap = ib_tcp_ring_cap(r);
    uint32_t pos = r->head + off;
    if (pos >= cap) pos -= cap;
    uint32_t first = cap - pos < n ? cap - pos : n;
    memcpy(dst, r->b + pos, first);
    if (n > first) memcpy((uint8_t *)dst + first, r->b, n - first);
}

static inline uint64_t add_carry(uint64_t a, uint64_t b)
{
    uint64_t s = a + b;
    return s + (s < b);
}

/* Copies n bytes and returns their one's complement sum in a 64-bit
 * accumulator, machine order (RFC 1071 §4.1's deferred carries), the way
 * ib_csum_partial sums them: one pass over the data instead of two. */
static uint64_t copy_sum(uint8_t *dst, const uint8_t *src, uint32_t n)
{
    /* Four accumulators keep the carries of one add from stalling the
     * next; the copy of a block is done before its sum. */
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    while (n >= 32) {
        uint64_t w[4];
        memcpy(w, src, 32);
        memcpy(dst, w, 32);
        s0 = add_carry(s0, w[0]);
        s1 = add_carry(s1, w[1]);
        s2 = add_carry(s2, w[2]);
        s3 = add_carry(s3, w[3]);
        src += 32;
        dst += 32;
        n -= 32;
    }
    s0 = add_carry(s0, s2);
    s1 = add_carry(s1, s3);
    while (n >= 8) {
        uint64_t a;
        memcpy(&a, src, 8);
        memcpy(dst, &a, 8);
        s0 = add_carry(s0, a);
        src += 8;
        dst += 8;
        n -= 8;
    }
    if (n) {
        /* The tail keeps its place in a zeroed word (RFC 1071 §4.1: an
         * odd last byte is padded with zero). */
        uint64_t t = 0;
        memcpy(&t, src, n);
        memcpy(dst, src, n);
        s1 = add_carry(s1, t);
    }
    return add_carry(s0, s1);
}

/* Folds a machine-order sum to 16 bits without complementing it. */
static uint64_t fold16(uint64_t s)
{
    s = (s & 0xffffffffu) + (s >> 32);
    s = (s & 0xffffffffu) + (s >> 32);
    s = (s & 0xffffu) + (s >> 16);
    return (s & 0xffffu) + (s >> 16);
}

uint64_t ib_tcp_ring_peek_csum(const struct ib_tcp_ring *r, uint32_t off, void *dst, uint32_t n)
{
    if (n == 0) return 0;
    uint32_t cap = ib_tcp_ring_cap(r);
    uint32_t pos = r->head + off;
    if (pos >= cap) pos -= cap;
    uint32_t first = cap - pos < n ? cap - pos : n;
    uint64_t sum = copy_sum(dst, r->b + pos, first);
    if (n > first) {
        uint64_t rest = fold16(copy_sum((uint8_t *)dst + first, r->b, n - first));
        /* RFC 1071 §2(B): bytes landing one position off swap their roles
         * in the 16-bit words; so does their sum. */
        if (first & 1) rest = ((rest & 0xff) << 8) | (rest >> 8);
        sum = add_carry(sum, rest);
    }
    return sum;
}

void ib_tcp_ring_drop(struct ib_tcp_ring *r, uint32_t n)
{
    if (n > r->len) n = r->len;
    r->len -= n;
    if (r->len == 0) {
        r->head = 0;
        return;
    }
    uint32_t cap = ib_tcp_ring_cap(r);
    r->head += n;
    if (r->head >= cap) r->head -= cap;
}

uint32_t ib_tcp_ring_read(struct ib_tcp_ring *r, void *dst, uint32_t n)
{
    if (n > r->len) n = r->len;
    ib_tcp_ring_peek(r, 0, dst, n);
    ib_tcp_ring_drop(r, n);
    return n;
}

void ib_tcp_ring_free(struct ib_tcp_ring *r)
{
    if (r->b) free(r->b - RING_HDR);
    r->b = NULL;
    r->head = r->len = 0;
}
