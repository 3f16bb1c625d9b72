/* ISNs and SYN cookies: SipHash-2-4 against the 64 published vectors of
 * the reference implementation (key 00..0f, message 00..n-1; its
 * vectors.h, also recomputed by an independent Python transcription), the
 * RFC 6528 ISN clock and keying, and RFC 4987 §3.6 cookie encoding and
 * validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "transport/tcp_int.h"

/* SipHash-2-4 reference vectors.h, vectors_sip64[n] read as little-endian. */
static const uint64_t sip_vectors[64] = {
    0x726fdb47dd0e0e31ull, 0x74f839c593dc67fdull, 0x0d6c8009d9a94f5aull, 0x85676696d7fb7e2dull,
    0xcf2794e0277187b7ull, 0x18765564cd99a68dull, 0xcbc9466e58fee3ceull, 0xab0200f58b01d137ull,
    0x93f5f5799a932462ull, 0x9e0082df0ba9e4b0ull, 0x7a5dbbc594ddb9f3ull, 0xf4b32f46226bada7ull,
    0x751e8fbc860ee5fbull, 0x14ea5627c0843d90ull, 0xf723ca908e7af2eeull, 0xa129ca6149be45e5ull,
    0x3f2acc7f57c29bdbull, 0x699ae9f52cbe4794ull, 0x4bc1b3f0968dd39cull, 0xbb6dc91da77961bdull,
    0xbed65cf21aa2ee98ull, 0xd0f2cbb02e3b67c7ull, 0x93536795e3a33e88ull, 0xa80c038ccd5ccec8ull,
    0xb8ad50c6f649af94ull, 0xbce192de8a85b8eaull, 0x17d835b85bbb15f3ull, 0x2f2e6163076bcfadull,
    0xde4daaaca71dc9a5ull, 0xa6a2506687956571ull, 0xad87a3535c49ef28ull, 0x32d892fad841c342ull,
    0x7127512f72f27cceull, 0xa7f32346f95978e3ull, 0x12e0b01abb051238ull, 0x15e034d40fa197aeull,
    0x314dffbe0815a3b4ull, 0x027990f029623981ull, 0xcadcd4e59ef40c4dull, 0x9abfd8766a33735cull,
    0x0e3ea96b5304a7d0ull, 0xad0c42d6fc585992ull, 0x187306c89bc215a9ull, 0xd4a60abcf3792b95ull,
    0xf935451de4f21df2ull, 0xa9538f0419755787ull, 0xdb9acddff56ca510ull, 0xd06c98cd5c0975ebull,
    0xe612a3cb9ecba951ull, 0xc766e62cfcadaf96ull, 0xee64435a9752fe72ull, 0xa192d576b245165aull,
    0x0a8787bf8ecb74b2ull, 0x81b3e73d20b49b6full, 0x7fa8220ba3b2eceaull, 0x245731c13ca42499ull,
    0xb78dbfaf3a8d83bdull, 0xea1ad565322a1a0bull, 0x60e61c23a3795013ull, 0x6606d7e446282b93ull,
    0x6ca4ecb15c5f91e1ull, 0x9f626da15c9625f3ull, 0xe51b38608ef25f57ull, 0x958a324ceb064572ull,
};

static void test_siphash_vectors(void **state)
{
    (void)state;
    uint8_t key[16], msg[64];
    for (unsigned i = 0; i < 16; i++)
        key[i] = (uint8_t)i;
    for (unsigned i = 0; i < 64; i++)
        msg[i] = (uint8_t)i;
    assert_int_equal(sip_vectors[0], 0x726fdb47dd0e0e31ull);
    assert_int_equal(sip_vectors[15], 0xa129ca6149be45e5ull);
    for (size_t n = 0; n < 64; n++)
        assert_int_equal(ib_siphash24(key, msg, n), sip_vectors[n]);
}

static void stack_keys(struct ib_tcp_stack *ts, uint8_t seed)
{
    memset(ts, 0, sizeof(*ts));
    for (unsigned i = 0; i < 16; i++) {
        ts->isn_key[i] = (uint8_t)(seed + i);
        ts->cookie_key[i] = (uint8_t)(seed * 7 + i * 3);
    }
}

#define LA 0x0a000001u
#define RA 0x0a000002u

/* RFC 6528 §3: ISN = M + F(tuple, key), M ticking every 4 µs. */
static void test_isn_clock(void **state)
{
    (void)state;
    struct ib_tcp_stack ts;
    stack_keys(&ts, 1);
    uint32_t a = ib_tcp_isn(&ts, IB_SEC(1), LA, 80, RA, 40000);
    /* Same tuple: exactly the clock difference, in 4 µs units. */
    assert_int_equal(ib_tcp_isn(&ts, IB_SEC(1) + IB_US(4), LA, 80, RA, 40000), a + 1);
    assert_int_equal(ib_tcp_isn(&ts, IB_SEC(1) + IB_US(3), LA, 80, RA, 40000), a);
    assert_int_equal(ib_tcp_isn(&ts, IB_SEC(2), LA, 80, RA, 40000), a + 250000);
    /* The 32-bit clock wraps after 4 µs * 2^32 (about 4.77 hours). */
    assert_int_equal(ib_tcp_isn(&ts, IB_SEC(1) + IB_US(4) * ((ib_time)1 << 32), LA, 80, RA, 40000),
                     a);
}

/* F differs per connection and per key: the same clock gives unrelated
 * ISNs for tuples that differ in one field, and for another key. */
static void test_isn_tuple_and_key(void **state)
{
    (void)state;
    struct ib_tcp_stack ts, other;
    stack_keys(&ts, 1);
    stack_keys(&other, 2);
    ib_time now = IB_MS(1500);
    uint32_t a = ib_tcp_isn(&ts, now, LA, 80, RA, 40000);
    uint32_t v[] = {
        ib_tcp_isn(&ts, now, LA, 80, RA, 40001), ib_tcp_isn(&ts, now, LA, 81, RA, 40000),
        ib_tcp_isn(&ts, now, LA + 1, 80, RA, 40000), ib_tcp_isn(&ts, now, LA, 80, RA + 1, 40000),
        /* the addresses and ports are not interchangeable */
        ib_tcp_isn(&ts, now, RA, 40000, LA, 80), ib_tcp_isn(&other, now, LA, 80, RA, 40000)};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        assert_int_not_equal(v[i], a);
    /* F is SipHash over laddr, raddr, lport, rport (big-endian). */
    uint8_t b[12] = {10, 0, 0, 1, 10, 0, 0, 2, 0, 80, 0x9c, 0x40};
    assert_int_equal(a, (uint32_t)(IB_MS(1500) / 4000) + (uint32_t)ib_siphash24(ts.isn_key, b, 12));
}

/* RFC 4987 §3.6: top 5 bits t mod 32 (t counts 64 s periods), 3 bits of
 * MSS, 24 bits of keyed hash. */
static void test_cookie_roundtrip(void **state)
{
    (void)state;
    struct ib_tcp_stack ts;
    stack_keys(&ts, 3);
    ib_time now = IB_SEC(64 * 40 + 5); /* t = 40 */
    uint32_t c = ib_tcp_cookie_make(&ts, now, LA, 80, RA, 40000, 0x12345678u, 1460);
    assert_int_equal(c >> 27, 40 % 32);
    assert_int_equal(ib_tcp_cookie_check(&ts, now, LA, 80, RA, 40000, 0x12345678u, c), 1460);
    /* Still valid in the next period (up to 128 s old), not in the one after. */
    assert_int_equal(
        ib_tcp_cookie_check(&ts, IB_SEC(64 * 41 + 63), LA, 80, RA, 40000, 0x12345678u, c), 1460);
    assert_int_equal(ib_tcp_cookie_check(&ts, IB_SEC(64 * 42), LA, 80, RA, 40000, 0x12345678u, c),
                     0);
    /* Nor before it was made, nor 32 periods later (same t mod 32). */
    assert_int_equal(ib_tcp_cookie_check(&ts, IB_SEC(64 * 39), LA, 80, RA, 40000, 0x12345678u, c),
                     0);
    assert_int_equal(
        ib_tcp_cookie_check(&ts, IB_SEC(64 * 72 + 5), LA, 80, RA, 40000, 0x12345678u, c), 0);
    /* At time 0 (t = 0) there is no previous period to look at. */
    uint32_t c0 = ib_tcp_cookie_make(&ts, 0, LA, 80, RA, 40000, 7, 536);
    assert_int_equal(ib_tcp_cookie_check(&ts, IB_SEC(1), LA, 80, RA, 40000, 7, c0), 536);
}

static void test_cookie_rejects(void **state)
{
    (void)state;
    struct ib_tcp_stack ts, other;
    stack_keys(&ts, 3);
    stack_keys(&other, 4);
    ib_time now = IB_SEC(1000);
    uint32_t isn = 0xfffffff0u;
    uint32_t c = ib_tcp_cookie_make(&ts, now, LA, 80, RA, 40000, isn, 1460);
    assert_int_equal(ib_tcp_cookie_check(&ts, now, LA, 80, RA, 40000, isn, c), 1460);
    assert_int_equal(ib_tcp_cookie_check(&ts, now, LA, 80, RA, 40001, isn, c), 0);
    assert_int_equal(ib_tcp_cookie_check(&ts, now, LA, 81, RA, 40000, isn, c), 0);
    assert_int_equal(ib_tcp_cookie_check(&ts, now, LA, 80, RA + 1, 40000, isn, c), 0);
    assert_int_equal(ib_tcp_cookie_check(&ts, now, LA + 1, 80, RA, 40000, isn, c), 0);
    assert_int_equal(ib_tcp_cookie_check(&ts, now, LA, 80, RA, 40000, isn + 1, c), 0);
    assert_int_equal(ib_tcp_cookie_check(&other, now, LA, 80, RA, 40000, isn, c), 0);
    /* Flipping any single bit (hash, MSS index or time) invalidates it; the
     * MSS bits are covered by the hash so a client cannot pick its MSS. */
    for (unsigned bit = 0; bit < 32; bit++)
        assert_int_equal(ib_tcp_cookie_check(&ts, now, LA, 80, RA, 40000, isn, c ^ (1u << bit)), 0);
}

/* The MSS is encoded in 3 bits: the largest table entry not above the
 * SYN's MSS, so the connection never sends segments bigger than asked. */
static void test_cookie_mss_rounding(void **state)
{
    (void)state;
    struct ib_tcp_stack ts;
    stack_keys(&ts, 5);
    static const struct {
        uint16_t in, out;
    } cases[] = {{1460, 1460}, {1461, 1460}, {1459, 1440}, {1448, 1440}, {1400, 1380},
                 {1380, 1380}, {1300, 1220}, {536, 536},   {535, 512},   {1000, 536},
                 {500, 64},    {9000, 8960}, {8960, 8960}, {8959, 1460}, {65535, 8960}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint32_t c = ib_tcp_cookie_make(&ts, IB_SEC(10), LA, 80, RA, 1234, 99, cases[i].in);
        assert_int_equal(ib_tcp_cookie_check(&ts, IB_SEC(10), LA, 80, RA, 1234, 99, c),
                         cases[i].out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_siphash_vectors),   cmocka_unit_test(test_isn_clock),
        cmocka_unit_test(test_isn_tuple_and_key), cmocka_unit_test(test_cookie_roundtrip),
        cmocka_unit_test(test_cookie_rejects),    cmocka_unit_test(test_cookie_mss_rounding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
