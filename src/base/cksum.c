/* The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
 *
 * RFC 1071 §2(B): the one's complement sum is independent of byte order, so
 * the buffer is summed in the machine's own order, 64 bits at a time, and
 * swapped once at the end. RFC 1071 §2(C): the sum may be computed in a
 * wider register and folded; since 2^64 - 1 is a multiple of 2^16 - 1, a
 * 64-bit sum with end-around carry folds to the same 16-bit sum. */
#include "inetbox/cksum.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define IB_HOST_IS_BE 1
#else
#define IB_HOST_IS_BE 0
#endif

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* One's complement addition: the carry out of bit 63 wraps around. */
static inline uint64_t add_carry(uint64_t a, uint64_t b)
{
    a += b;
    return a + (a < b);
}

uint64_t ib_csum_partial(const void *buf, size_t len, uint64_t sum)
{
    const uint8_t *p = buf;
    /* Four independent accumulators keep the adds from waiting on each
     * other's carries. */
    uint64_t s0 = sum, s1 = 0, s2 = 0, s3 = 0;
    while (len >= 32) {
        s0 = add_carry(s0, load64(p));
        s1 = add_carry(s1, load64(p + 8));
        s2 = add_carry(s2, load64(p + 16));
        s3 = add_carry(s3, load64(p + 24));
        p += 32;
        len -= 32;
    }
    while (len >= 8) {
        s0 = add_carry(s0, load64(p));
        p += 8;
        len -= 8;
    }
    if (len > 0) {
        /* The tail keeps its position in a zeroed word: an odd last byte
         * is then the high byte of a 16-bit word padded with zero, as
         * RFC 1071 §4.1 requires, in either byte order. */
        uint64_t tail = 0;
        memcpy(&tail, p, len);
        s1 = add_carry(s1, tail);
    }
    return add_carry(add_carry(s0, s1), add_carry(s2, s3));
}

/* Folds a machine-order 64-bit sum to 16 bits, still machine order. */
static inline uint16_t fold16(uint64_t sum)
{
    sum = (sum & 0xffffffffu) + (sum >> 32);
    sum = (sum & 0xffffffffu) + (sum >> 32);
    sum = (sum & 0xffffu) + (sum >> 16);
    sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)sum;
}

static inline uint16_t to_host16(uint16_t v)
{
    return IB_HOST_IS_BE ? v : (uint16_t)(v << 8 | v >> 8);
}

uint16_t ib_csum_fold(uint64_t sum)
{
    return to_host16((uint16_t)~fold16(sum));
}

uint64_t ib_csum_pseudo4(ib_ip4 src, ib_ip4 dst, uint8_t proto, uint16_t len)
{
    /* RFC 768 / RFC 9293 §3.1: src, dst, zero, protocol, length. Summed in
     * host order here, then swapped to machine order (RFC 1071 §2(B)). */
    uint64_t s =
        (uint64_t)(src >> 16) + (src & 0xffffu) + (dst >> 16) + (dst & 0xffffu) + proto + len;
    return to_host16(fold16(s));
}

/* RFC 1624 §3 eqn. 3: HC' = ~(~HC + ~m + m'). Unlike eqn. 2 it never turns
 * a checksum of 0xffff into 0x0000 (RFC 1624 §4), so the result always
 * equals a full recomputation. */
uint16_t ib_csum_update16(uint16_t csum, uint16_t old, uint16_t new_)
{
    uint64_t s = (uint16_t)~csum + (uint64_t)(uint16_t)~old + new_;
    return (uint16_t)~fold16(s);
}

uint16_t ib_csum_update32(uint16_t csum, uint32_t old, uint32_t new_)
{
    uint64_t s = (uint16_t)~csum + (uint64_t)(uint16_t) ~(old >> 16) + (uint16_t)~old +
                 (new_ >> 16) + (new_ & 0xffffu);
    return (uint16_t)~fold16(s);
}
