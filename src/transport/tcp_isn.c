/* Initial sequence numbers (RFC 6528) and SYN cookies (RFC 4987 §3.6),
 * both keyed with SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast
 * short-input PRF", 2012), a PRF built for exactly this: short inputs and
 * a secret key. The keys live in the per-stack TCP state and come from the
 * node's random generator, so runs repeat for a given seed. */
#include "transport/tcp_int.h"

static uint64_t rotl64(uint64_t x, unsigned b)
{
    return x << b | x >> (64 - b);
}

static uint64_t load_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* SipHash §2.2: one SipRound. */
static void sipround(uint64_t v[4])
{
    v[0] += v[1];
    v[1] = rotl64(v[1], 13);
    v[1] ^= v[0];
    v[0] = rotl64(v[0], 32);
    v[2] += v[3];
    v[3] = rotl64(v[3], 16);
    v[3] ^= v[2];
    v[0] += v[3];
    v[3] = rotl64(v[3], 21);
    v[3] ^= v[0];
    v[2] += v[1];
    v[1] = rotl64(v[1], 17);
    v[1] ^= v[2];
    v[2] = rotl64(v[2], 32);
}

uint64_t ib_siphash24(const uint8_t key[16], const void *data, size_t len)
{
    const uint8_t *m = data;
    uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
    /* SipHash §2.1: the initial state is the key XOR "somepseudorandomlygeneratedbytes". */
    uint64_t v[4] = {k0 ^ 0x736f6d6570736575ull, k1 ^ 0x646f72616e646f6dull,
                     k0 ^ 0x6c7967656e657261ull, k1 ^ 0x7465646279746573ull};
    size_t full = len & ~(size_t)7;
    for (size_t i = 0; i < full; i += 8) {
        uint64_t w = load_le64(m + i);
        v[3] ^= w;
        sipround(v); /* c = 2 compression rounds */
        sipround(v);
        v[0] ^= w;
    }
    /* The last word holds the remaining bytes and len mod 256 in its top byte. */
    uint64_t b = (uint64_t)(len & 0xff) << 56;
    for (size_t i = 0; i < (len & 7); i++)
        b |= (uint64_t)m[full + i] << (8 * i);
    v[3] ^= b;
    sipround(v);
    sipround(v);
    v[0] ^= b;
    v[2] ^= 0xff;
    for (int i = 0; i < 4; i++) /* d = 4 finalization rounds */
        sipround(v);
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* The connection identifier hashed by both the ISN and the cookie. */
static size_t pack_tuple(uint8_t *b, ib_ip4 laddr, uint16_t lport, ib_ip4 raddr, uint16_t rport)
{
    ib_put32(b, laddr);
    ib_put32(b + 4, raddr);
    ib_put16(b + 8, lport);
    ib_put16(b + 10, rport);
    return 12;
}

uint32_t ib_tcp_isn(const struct ib_tcp_stack *ts, ib_time now, ib_ip4 laddr, uint16_t lport,
                    ib_ip4 raddr, uint16_t rport)
{
    uint8_t b[12];
    size_t n = pack_tuple(b, laddr, lport, raddr, rport);
    /* RFC 6528 §3: "ISN = M + F(localip, localport, remoteip, remoteport,
     * secretkey) where M is the 4 microsecond timer". ib_time is in ns. */
    uint32_t m = (uint32_t)(uint64_t)(now / 4000);
    return m + (uint32_t)ib_siphash24(ts->isn_key, b, n);
}

/* RFC 4987 §3.6: "the top 5 bits are t mod 32, where t is a 32-bit time
 * counter that increases every 64 seconds, the next 3 bits encode a value
 * for MSS, the remaining 24 bits is a server-selected secret function of the
 * client IP address and port, server IP and port, and t". */
#define COOKIE_PERIOD IB_SEC(64)
#define COOKIE_HASH_MASK 0x00ffffffu
/* A cookie is accepted in the counter period it was made in and the next
 * one — 64 to 128 s — ample for a handshake's round trip and short enough
 * to limit replay (Linux accepts a similar two-minute window). */
#define COOKIE_MAX_AGE 1

/* 3 bits of MSS. A cookie connection can only use an MSS from this table,
 * rounded down from the SYN's, so the table holds the common values
 * (RFC 879 default 536, IPv4 over 1500-byte links 1460 and tunnels below it,
 * jumbo frames) and a small floor for tiny MTUs. */
static const uint16_t cookie_mss[8] = {64, 512, 536, 1220, 1380, 1440, 1460, 8960};

static uint32_t cookie_hash(const struct ib_tcp_stack *ts, uint32_t t, unsigned idx, ib_ip4 laddr,
                            uint16_t lport, ib_ip4 raddr, uint16_t rport, uint32_t peer_isn)
{
    uint8_t b[21];
    size_t n = pack_tuple(b, laddr, lport, raddr, rport);
    /* The peer's ISN ties the cookie to the SYN it answers (Bernstein's
     * original design and Linux hash it too); the MSS index is hashed so
     * that the 3 bits cannot be altered by whoever returns the cookie. */
    ib_put32(b + n, peer_isn);
    ib_put32(b + n + 4, t);
    b[n + 8] = (uint8_t)idx;
    return (uint32_t)ib_siphash24(ts->cookie_key, b, n + 9) & COOKIE_HASH_MASK;
}

uint32_t ib_tcp_cookie_make(const struct ib_tcp_stack *ts, ib_time now, ib_ip4 laddr,
                            uint16_t lport, ib_ip4 raddr, uint16_t rport, uint32_t peer_isn,
                            uint16_t mss)
{
    uint32_t t = (uint32_t)(now / COOKIE_PERIOD);
    unsigned idx = 0;
    for (unsigned i = 1; i < 8; i++)
        if (cookie_mss[i] <= mss) idx = i;
    return (t & 31u) << 27 | (uint32_t)idx << 24 |
           cookie_hash(ts, t, idx, laddr, lport, raddr, rport, peer_isn);
}

uint16_t ib_tcp_cookie_check(const struct ib_tcp_stack *ts, ib_time now, ib_ip4 laddr,
                             uint16_t lport, ib_ip4 raddr, uint16_t rport, uint32_t peer_isn,
                             uint32_t cookie)
{
    int64_t now_t = now / COOKIE_PERIOD;
    unsigned idx = cookie >> 24 & 7u;
    for (int64_t age = 0; age <= COOKIE_MAX_AGE && now_t - age >= 0; age++) {
        uint32_t t = (uint32_t)(now_t - age);
        if ((cookie >> 27) != (t & 31u)) continue;
        if ((cookie & COOKIE_HASH_MASK) ==
            cookie_hash(ts, t, idx, laddr, lport, raddr, rport, peer_isn))
            return cookie_mss[idx];
    }
    return 0;
}
