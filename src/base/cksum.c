/* The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
 *
 * RFC 1071 §2(B): the one's complement sum is independent of byte order, so
 * the buffer is summed in the machine's own order, 32 bits at a time into
 * a 64-bit accumulator, and swapped once at the end. RFC 1071 §2(C): the
 * sum may be computed in a wider register and folded; since 2^64 - 1 is a
 * multiple of 2^16 - 1, a 64-bit sum with end-around carry folds to the
 * same 16-bit sum. */
#include "inetbox/cksum.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define IB_HOST_IS_BE 1
#else
#define IB_HOST_IS_BE 0
#endif

/* One's complement addition: the carry out of bit 63 wraps around. */
static inline uint64_t add_carry(uint64_t a, uint64_t b)
{
    a += b;
    return a + (a < b);
}

/* The vectorizable loop below is built twice, for the baseline and for
 * AVX2, and the loader picks one for the CPU (GNU ifunc, x86-64 Linux). */
#if defined(__x86_64__) && defined(__linux__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define IB_CSUM_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef IB_CSUM_CLONES
#define IB_CSUM_CLONES
#endif

/* 32-bit words summed into a 64-bit accumulator never carry out of it for
 * fewer than 2^32 words, and 2^32 = 2^16 = 1 (mod 2^16 - 1), so the plain
 * sum folds like the one's complement one (RFC 1071 §2(C)); carry-free
 * adds let the compiler use vector lanes. Blocks stay far below 2^32
 * words, and the sums of blocks are combined with end-around carry. */
#define BLOCK ((size_t)1 << 30)

/* The tail keeps its position in a zeroed word: an odd last byte is then
 * the high byte of a 16-bit word padded with zero, as RFC 1071 §4.1
 * requires, in either byte order. */
static inline uint32_t tail32(const uint8_t *p, size_t n)
{
    uint32_t t = 0;
    memcpy(&t, p, n);
    return t;
}

/* The sum of words 32-bit words at p, copied to d unless d is NULL. */
IB_CSUM_CLONES
static uint64_t sum_words(uint8_t *restrict d, const uint8_t *restrict p, size_t words)
{
    uint64_t s = 0;
    if (d) {
        for (size_t i = 0; i < words; i++) {
            uint32_t w;
            memcpy(&w, p + 4 * i, 4);
            memcpy(d + 4 * i, &w, 4);
            s += w;
        }
    } else {
        for (size_t i = 0; i < words; i++) {
            uint32_t w;
            memcpy(&w, p + 4 * i, 4);
            s += w;
        }
    }
    return s;
}

static uint64_t sum_copy(uint8_t *restrict d, const uint8_t *restrict p, size_t len, uint64_t sum)
{
    /* Headers are short: below a few vectors a plain loop beats the
     * indirect call. */
    while (len >= 64) {
        size_t words = (len < BLOCK ? len : BLOCK) / 4;
        sum = add_carry(sum, sum_words(d, p, words));
        p += 4 * words;
        if (d) d += 4 * words;
        len -= 4 * words;
    }
    uint64_t s = 0;
    for (; len >= 4; len -= 4, p += 4) {
        uint32_t w;
        memcpy(&w, p, 4);
        if (d) {
            memcpy(d, &w, 4);
            d += 4;
        }
        s += w;
    }
    if (len) {
        if (d) memcpy(d, p, len);
        s += tail32(p, len);
    }
    return add_carry(sum, s);
}

uint64_t ib_csum_partial(const void *buf, size_t len, uint64_t sum)
{
    return sum_copy(NULL, buf, len, sum);
}

uint64_t ib_csum_copy(void *restrict dst, const void *restrict src, size_t len, uint64_t sum)
{
    return sum_copy(dst, src, len, sum);
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
