/* TCP byte rings: the send buffer (from snd_una: sent but unacknowledged
 * bytes, then unsent ones) and the receive buffer (in-order bytes the app
 * has not read yet). Storage is allocated on first use and doubles as the
 * connection needs more, up to the configured buffer size, so idle
 * connections hold no buffer memory. The capacity is stored in a header in
 * front of the storage to keep the ring itself at 16 bytes of the TCB.
 *
 * Segments are built by copying straight from the send ring into the
 * packet while summing the bytes for the TCP checksum (peek_csum), the only
 * copy the data makes on its way out. On the way in, the payload is summed
 * while it is copied past the receive ring's tail (stage_csum), and only
 * joins the ring (commit) once the checksum proved it good. */
#include "transport/tcp_int.h"

#include "inetbox/cksum.h"

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

/* Folds a machine-order sum to 16 bits without complementing it. */
static uint64_t fold16(uint64_t s)
{
    s = (s & 0xffffffffu) + (s >> 32);
    s = (s & 0xffffffffu) + (s >> 32);
    s = (s & 0xffffu) + (s >> 16);
    return (s & 0xffffu) + (s >> 16);
}

/* A partial sum of bytes that start off bytes into the summed run
 * (RFC 1071 §2(B): an odd offset swaps the bytes' roles in the words). */
static uint64_t sum_at(uint64_t sum, uint32_t off)
{
    if (!(off & 1)) return sum;
    uint64_t f = fold16(sum);
    return ((f & 0xff) << 8) | (f >> 8);
}

uint64_t ib_tcp_ring_peek_csum(const struct ib_tcp_ring *r, uint32_t off, void *dst, uint32_t n)
{
    if (n == 0) return 0;
    uint32_t cap = ib_tcp_ring_cap(r);
    uint32_t pos = r->head + off;
    if (pos >= cap) pos -= cap;
    uint32_t first = cap - pos < n ? cap - pos : n;
    uint64_t sum = ib_csum_copy(dst, r->b + pos, first, 0);
    if (n > first) {
        uint64_t rest = ib_csum_copy((uint8_t *)dst + first, r->b, n - first, 0);
        sum = add_carry(sum, sum_at(rest, first));
    }
    return sum;
}

uint32_t ib_tcp_ring_tail(const struct ib_tcp_ring *r)
{
    uint32_t cap = ib_tcp_ring_cap(r), tail = r->head + r->len;
    return tail >= cap && cap ? tail - cap : tail;
}

uint32_t ib_tcp_ring_stage_csum(struct ib_tcp_ring *r, const void *src, uint32_t n, uint32_t limit,
                                uint64_t *sum)
{
    const uint8_t *s = src;
    uint32_t room = limit > r->len ? limit - r->len : 0;
    uint32_t k = n < room ? n : room;
    if (k && ib_tcp_ring_reserve(r, r->len + k, limit)) k = 0;
    uint64_t acc = 0;
    if (k) {
        uint32_t cap = ib_tcp_ring_cap(r), tail = ib_tcp_ring_tail(r);
        uint32_t first = cap - tail < k ? cap - tail : k;
        acc = ib_csum_copy(r->b + tail, s, first, 0);
        if (k > first)
            acc = add_carry(acc, sum_at(ib_csum_copy(r->b, s + first, k - first, 0), first));
    }
    /* What does not fit is still summed: the checksum covers it all. */
    if (n > k) acc = add_carry(acc, sum_at(ib_csum_partial(s + k, n - k, 0), k));
    *sum = acc;
    return k;
}

void ib_tcp_ring_commit(struct ib_tcp_ring *r, uint32_t n)
{
    r->len += n;
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
