/* The TCP header and its options on the wire: parsing with every length
 * checked before it is trusted, and emitting in the option layout Linux
 * uses (every option 4-byte aligned with NOPs, SACK-permitted packed in
 * front of the timestamps on a SYN), so our segments look like the ones
 * other stacks are tested against and take no padding.
 * RFC 9293 §3.1 (header, options, checksum), §3.7.1 (MSS), RFC 7323 §2-3
 * (window scale, timestamps), RFC 2018 §2-3 (SACK). */
#include "inetbox/tcp_wire.h"

#include "inetbox/cksum.h"
#include "inetbox/ipv4.h"
#include "inetbox/trace.h"

/* RFC 9293 §3.1 option kinds, RFC 7323 and RFC 2018 for 3, 4, 5 and 8. */
enum {
    OPT_EOL = 0,
    OPT_NOP = 1,
    OPT_MSS = 2,
    OPT_WSCALE = 3,
    OPT_SACK_PERM = 4,
    OPT_SACK = 5,
    OPT_TS = 8,
};

/* RFC 7323 §2.3: "the shift count MUST be limited to 14". */
#define WSCALE_MAX 14u
#define OPT_SPACE (IB_TCP_MAX_HLEN - IB_TCP_HLEN)

/* Reads the options in b[0..len). A known option of the wrong size is
 * skipped like an unknown one, as Linux does (tcp_parse_options). */
static int parse_opts(const uint8_t *b, size_t len, struct ib_tcp_opts *o)
{
    size_t i = 0;
    while (i < len) {
        uint8_t kind = b[i];
        if (kind == OPT_EOL)
            break;
        if (kind == OPT_NOP) {
            i++;
            continue;
        }
        /* RFC 9293 §3.1: every other option has a length octet counting
         * kind and length; RFC 9293 §3.2 (MUST-7) says an illegal length
         * must be handled without crashing: the segment is dropped. */
        if (i + 1 >= len)
            return IB_DROP_TCP_BAD_OPTIONS;
        size_t olen = b[i + 1];
        if (olen < 2 || olen > len - i)
            return IB_DROP_TCP_BAD_OPTIONS;
        const uint8_t *v = b + i + 2;
        switch (kind) {
        case OPT_MSS:
            if (olen == 4) {
                o->has_mss = true;
                o->mss = ib_get16(v);
            }
            break;
        case OPT_WSCALE:
            if (olen == 3) {
                o->has_wscale = true;
                /* RFC 7323 §2.3: a shift above 14 is used as 14 */
                o->wscale = v[0] > WSCALE_MAX ? (uint8_t)WSCALE_MAX : v[0];
            }
            break;
        case OPT_SACK_PERM:
            if (olen == 2)
                o->sack_ok = true;
            break;
        case OPT_SACK:
            /* RFC 2018 §3: length 2 + 8n; 40 option bytes hold at most 4 */
            if (olen >= 10 && (olen - 2) % 8 == 0) {
                size_t n = (olen - 2) / 8;
                o->nsack = (uint8_t)(n < IB_TCP_MAX_SACK ? n : IB_TCP_MAX_SACK);
                for (size_t k = 0; k < o->nsack; k++) {
                    o->sack[k].start = ib_get32(v + 8 * k);
                    o->sack[k].end = ib_get32(v + 8 * k + 4);
                }
            }
            break;
        case OPT_TS:
            if (olen == 10) {
                o->has_ts = true;
                o->ts_val = ib_get32(v);
                o->ts_ecr = ib_get32(v + 4);
            }
            break;
        default:
            break;
        }
        i += olen;
    }
    return 0;
}

int ib_tcp_parse_nocsum(const uint8_t *b, size_t len, struct ib_tcp_hdr *h)
{
    if (len < IB_TCP_HLEN)
        return IB_DROP_TCP_TRUNCATED;
    /* RFC 9293 §3.1: the data offset counts 32-bit words, at least 5 */
    size_t hlen = (size_t)(b[12] >> 4) * 4u;
    if (hlen < IB_TCP_HLEN || hlen > len)
        return IB_DROP_TCP_BAD_OFFSET;
    h->sport = ib_get16(b);
    h->dport = ib_get16(b + 2);
    h->seq = ib_get32(b + 4);
    h->ack = ib_get32(b + 8);
    h->hlen = (uint8_t)hlen;
    /* RFC 9293 §3.1: the reserved bits "must be ignored in received
     * segments"; the eight flag bits are CWR..FIN (RFC 3168 §23.2). */
    h->flags = b[13];
    h->wnd = ib_get16(b + 14);
    h->csum = ib_get16(b + 16);
    h->urp = ib_get16(b + 18);
    memset(&h->opt, 0, sizeof(h->opt));
    return parse_opts(b + IB_TCP_HLEN, hlen - IB_TCP_HLEN, &h->opt);
}

int ib_tcp_parse(const uint8_t *b, size_t len, ib_ip4 src, ib_ip4 dst, struct ib_tcp_hdr *h)
{
    int r = ib_tcp_parse_nocsum(b, len, h);
    if (r == IB_DROP_TCP_TRUNCATED || r == IB_DROP_TCP_BAD_OFFSET)
        return r;
    /* RFC 9293 §3.1 (MUST-2, MUST-3): the checksum covers the
     * pseudo-header, the header and the data; a segment that fails it is
     * dropped, whatever its options said. */
    uint64_t sum = ib_csum_pseudo4(src, dst, IB_IPPROTO_TCP, (uint16_t)len);
    if (ib_csum_fold(ib_csum_partial(b, len, sum)) != 0)
        return IB_DROP_TCP_BAD_CHECKSUM;
    return r;
}

/* SACK blocks that fit next to the other options (RFC 2018 §3: "at most
 * 3 SACK blocks" with timestamps, 4 without). */
static size_t sack_fit(const struct ib_tcp_opts *o, size_t other)
{
    size_t n = o->nsack < IB_TCP_MAX_SACK ? o->nsack : IB_TCP_MAX_SACK;
    if (n == 0 || other + 4 + 8 > OPT_SPACE)
        return 0;
    size_t room = (OPT_SPACE - other - 4) / 8;
    return n < room ? n : room;
}

/* Option bytes before the SACK blocks: MSS, [SACK-permitted,] timestamps,
 * window scale, each one aligned word or three. */
static size_t base_len(const struct ib_tcp_opts *o)
{
    size_t n = 0;
    if (o->has_mss)
        n += 4;
    if (o->has_ts)
        n += 12; /* SACK-permitted rides in its NOP,NOP slot */
    else if (o->sack_ok)
        n += 4;
    if (o->has_wscale)
        n += 4;
    return n;
}

size_t ib_tcp_opts_len(const struct ib_tcp_opts *o)
{
    size_t base = base_len(o);
    size_t n = sack_fit(o, base);
    return base + (n ? 4 + 8 * n : 0);
}

static uint8_t *put_word(uint8_t *p, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    p[0] = a;
    p[1] = b;
    p[2] = c;
    p[3] = d;
    return p + 4;
}

size_t ib_tcp_emit(const struct ib_tcp_hdr *h, uint8_t *b)
{
    const struct ib_tcp_opts *o = &h->opt;
    uint8_t *p = b + IB_TCP_HLEN;
    /* RFC 9293 §3.7.1: MSS, kind 2 length 4 */
    if (o->has_mss) {
        p = put_word(p, OPT_MSS, 4, 0, 0);
        ib_put16(p - 2, o->mss);
    }
    /* RFC 7323 §3.2: timestamps, kind 8 length 10, led by the
     * SACK-permitted option (RFC 2018 §2, kind 4 length 2) or two NOPs */
    if (o->has_ts) {
        if (o->sack_ok)
            p = put_word(p, OPT_SACK_PERM, 2, OPT_TS, 10);
        else
            p = put_word(p, OPT_NOP, OPT_NOP, OPT_TS, 10);
        ib_put32(p, o->ts_val);
        ib_put32(p + 4, o->ts_ecr);
        p += 8;
    } else if (o->sack_ok) {
        p = put_word(p, OPT_NOP, OPT_NOP, OPT_SACK_PERM, 2);
    }
    /* RFC 7323 §2.2: window scale, kind 3 length 3 */
    if (o->has_wscale)
        p = put_word(p, OPT_NOP, OPT_WSCALE, 3,
                     o->wscale > WSCALE_MAX ? (uint8_t)WSCALE_MAX : o->wscale);
    /* RFC 2018 §3: SACK, kind 5 length 2 + 8n */
    size_t n = sack_fit(o, (size_t)(p - b) - IB_TCP_HLEN);
    if (n) {
        p = put_word(p, OPT_NOP, OPT_NOP, OPT_SACK, (uint8_t)(2 + 8 * n));
        for (size_t k = 0; k < n; k++) {
            ib_put32(p, o->sack[k].start);
            ib_put32(p + 4, o->sack[k].end);
            p += 8;
        }
    }
    size_t hlen = (size_t)(p - b);
    ib_put16(b, h->sport);
    ib_put16(b + 2, h->dport);
    ib_put32(b + 4, h->seq);
    ib_put32(b + 8, h->ack);
    /* RFC 9293 §3.1: data offset in words, reserved bits zero */
    b[12] = (uint8_t)((hlen / 4u) << 4);
    b[13] = h->flags;
    ib_put16(b + 14, h->wnd);
    ib_put16(b + 16, 0);
    ib_put16(b + 18, h->urp);
    return hlen;
}

void ib_tcp_fill_csum(uint8_t *seg, size_t len, ib_ip4 src, ib_ip4 dst)
{
    /* RFC 9293 §3.1: the checksum field is zero while it is computed; the
     * pseudo-header carries the addresses, protocol 6 and the TCP length */
    ib_put16(seg + 16, 0);
    ib_put16(seg + 16, ib_csum_fold(ib_csum_partial(
                           seg, len, ib_csum_pseudo4(src, dst, IB_IPPROTO_TCP, (uint16_t)len))));
}
