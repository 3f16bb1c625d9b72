/* The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
 *
 * Partial sums are kept in a 64-bit accumulator in the machine's own byte
 * order (RFC 1071 §2(B): the sum is byte-order independent) and only folded
 * and swapped at the end. Partial sums can be chained over several buffers
 * as long as every buffer but the last has an even length. */
#ifndef INETBOX_CKSUM_H
#define INETBOX_CKSUM_H

#include "inetbox/types.h"

uint64_t ib_csum_partial(const void *buf, size_t len, uint64_t sum);
/* Copies len bytes from src to dst (not overlapping) and adds their sum
 * like ib_csum_partial: one pass over the data instead of two. */
uint64_t ib_csum_copy(void *restrict dst, const void *restrict src, size_t len, uint64_t sum);
/* Folds a partial sum to the 16-bit one's complement of the sum, in host
 * order, ready for ib_put16(). A buffer whose checksum field is correct
 * folds to 0. */
uint16_t ib_csum_fold(uint64_t sum);
static inline uint16_t ib_csum(const void *buf, size_t len)
{
    return ib_csum_fold(ib_csum_partial(buf, len, 0));
}
/* Partial sum of the IPv4 pseudo-header (RFC 768, RFC 9293 §3.1). */
uint64_t ib_csum_pseudo4(ib_ip4 src, ib_ip4 dst, uint8_t proto, uint16_t len);

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for a 16-bit field that changed
 * from old to new. All values in host order. */
uint16_t ib_csum_update16(uint16_t csum, uint16_t old, uint16_t new_);
uint16_t ib_csum_update32(uint16_t csum, uint32_t old, uint32_t new_);

#endif
