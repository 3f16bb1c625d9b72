/* The TCP header and its options on the wire (RFC 9293 §3.1, MSS §3.7.1,
 * window scale and timestamps RFC 7323 §2-3, SACK RFC 2018 §2-3). */
#ifndef INETBOX_TCP_WIRE_H
#define INETBOX_TCP_WIRE_H

#include "inetbox/types.h"

#define IB_TCP_HLEN 20u
#define IB_TCP_MAX_HLEN 60u
#define IB_TCP_MAX_SACK 4u /* blocks that fit with no timestamps; 3 with */

struct ib_tcp_sack_block {
    uint32_t start, end; /* [start, end) */
};

struct ib_tcp_opts {
    bool has_mss, has_wscale, sack_ok, has_ts;
    uint16_t mss;
    uint8_t wscale;
    uint8_t nsack;
    uint32_t ts_val, ts_ecr;
    struct ib_tcp_sack_block sack[IB_TCP_MAX_SACK];
};

struct ib_tcp_hdr {
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t hlen; /* bytes, 20..60 */
    uint8_t flags;
    uint16_t wnd, csum, urp;
    struct ib_tcp_opts opt;
};

/* Validates the data offset, the option lengths (RFC 9293 §3.1: an
 * unknown option is skipped by its length; a malformed length is an error)
 * and the checksum over the pseudo-header. Returns 0 or a drop reason;
 * after IB_DROP_TCP_BAD_CHECKSUM or IB_DROP_TCP_BAD_OPTIONS the fixed
 * header fields of h are filled (decoders show them). A checksum error is
 * reported before an option error. */
int ib_tcp_parse(const uint8_t *b, size_t len, ib_ip4 src, ib_ip4 dst, struct ib_tcp_hdr *h);
/* Like ib_tcp_parse without the checksum (decoders of quoted segments). */
int ib_tcp_parse_nocsum(const uint8_t *b, size_t len, struct ib_tcp_hdr *h);
/* Bytes the options of h take on the wire, padded to 4. */
size_t ib_tcp_opts_len(const struct ib_tcp_opts *o);
/* Writes header and options (hlen is computed), without the checksum. */
size_t ib_tcp_emit(const struct ib_tcp_hdr *h, uint8_t *b);
/* Fills the checksum of a segment of len bytes (header + data). */
void ib_tcp_fill_csum(uint8_t *seg, size_t len, ib_ip4 src, ib_ip4 dst);

/* Sequence-space comparisons, correct across the 2^32 wrap (RFC 9293
 * §3.4: "arithmetic modulo 2**32"). */
static inline bool ib_seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool ib_seq_leq(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool ib_seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool ib_seq_geq(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }
static inline uint32_t ib_seq_max(uint32_t a, uint32_t b) { return ib_seq_gt(a, b) ? a : b; }
static inline uint32_t ib_seq_min(uint32_t a, uint32_t b) { return ib_seq_lt(a, b) ? a : b; }

#endif
