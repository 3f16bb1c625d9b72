/* Internet checksum: RFC 1071 examples, a real IPv4 header, every length
 * and alignment against a byte-pair reference, and RFC 1624 incremental
 * updates against full recomputation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "inetbox/cksum.h"
#include "inetbox/rng.h"

/* The textbook algorithm (RFC 1071 §4.1), one big-endian 16-bit word at a
 * time, for comparison. */
static uint16_t ref_csum(const uint8_t *b, size_t len)
{
    uint32_t sum = 0;
    size_t i = 0;
    for (; i + 1 < len; i += 2)
        sum += (uint32_t)(b[i] << 8 | b[i + 1]);
    if (len & 1) sum += (uint32_t)b[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2 (so the checksum
 * is 220d). */
static void test_rfc1071_example(void **state)
{
    (void)state;
    static const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    assert_int_equal(ib_csum(b, sizeof(b)), 0x220d);
    assert_int_equal((uint16_t)~ib_csum(b, sizeof(b)), 0xddf2);
    /* The same bytes split at an even offset give the same sum. */
    uint64_t s = ib_csum_partial(b, 2, 0);
    s = ib_csum_partial(b + 2, 6, s);
    assert_int_equal(ib_csum_fold(s), 0x220d);
}

/* A real IPv4 header (UDP, 192.168.0.1 -> 192.168.0.199, checksum b861, as
 * shown by Wireshark): it verifies to 0, and recomputes to b861 with the
 * field zeroed. */
static void test_ipv4_header(void **state)
{
    (void)state;
    uint8_t h[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                   0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    assert_int_equal(ib_csum(h, sizeof(h)), 0);
    h[10] = h[11] = 0;
    assert_int_equal(ib_csum(h, sizeof(h)), 0xb861);
}

static void test_empty_and_odd(void **state)
{
    (void)state;
    assert_int_equal(ib_csum(NULL, 0), 0xffff);
    /* RFC 1071 §4.1: an odd last byte is padded with a zero on its right. */
    static const uint8_t one[] = {0xab};
    assert_int_equal(ib_csum(one, 1), (uint16_t)~0xab00);
    static const uint8_t three[] = {0x12, 0x34, 0x56};
    assert_int_equal(ib_csum(three, 3), (uint16_t) ~(0x1234 + 0x5600));
    /* All-ones words: one's complement arithmetic keeps 0xffff (-0). */
    static const uint8_t ff[] = {0xff, 0xff, 0xff, 0xff};
    assert_int_equal(ib_csum(ff, 4), 0x0000);
}

/* Every length 0..200 at every alignment 0..7, random bytes and all-0xff
 * bytes (the maximum carry load), against the reference. */
static void test_lengths_alignments(void **state)
{
    (void)state;
    struct ib_rng r;
    ib_rng_seed(&r, 1071);
    uint8_t buf[256 + 8];
    for (int fill = 0; fill < 2; fill++) {
        for (size_t i = 0; i < sizeof(buf); i++)
            buf[i] = fill ? 0xff : (uint8_t)ib_rng_next(&r);
        for (size_t align = 0; align < 8; align++)
            for (size_t len = 0; len <= 200; len++)
                assert_int_equal(ib_csum(buf + align, len), ref_csum(buf + align, len));
    }
}

/* ib_csum_copy: every length up to beyond a full Ethernet segment, at odd
 * and even source and destination alignments (the vector loops and their
 * tails), copies byte-exact and sums like the reference; so does
 * ib_csum_partial on the same lengths. */
static void test_copy(void **state)
{
    (void)state;
    struct ib_rng r;
    ib_rng_seed(&r, 1624);
    static uint8_t src[1700], dst[1700];
    for (int fill = 0; fill < 2; fill++) {
        for (size_t i = 0; i < sizeof(src); i++)
            src[i] = fill ? 0xff : (uint8_t)ib_rng_next(&r);
        for (size_t len = 0; len <= 1600; len++) {
            size_t sa = len % 4, da = (len / 4) % 5;
            memset(dst, 0x5a, sizeof(dst));
            uint64_t s = ib_csum_copy(dst + da, src + sa, len, 0);
            assert_int_equal(ib_csum_fold(s), ref_csum(src + sa, len));
            assert_int_equal(ib_csum(src + sa, len), ref_csum(src + sa, len));
            assert_memory_equal(dst + da, src + sa, len);
            /* Nothing is written past the copy. */
            for (size_t i = da + len; i < sizeof(dst); i++)
                assert_int_equal(dst[i], 0x5a);
        }
    }
    /* A copy continues a partial sum like ib_csum_partial does. */
    uint64_t s = ib_csum_partial(src, 40, 0);
    s = ib_csum_copy(dst, src + 40, 1000, s);
    assert_int_equal(ib_csum_fold(s), ref_csum(src, 1040));
}

/* Chaining: partial sums over several even-length pieces equal one sum. */
static void test_chaining(void **state)
{
    (void)state;
    struct ib_rng r;
    ib_rng_seed(&r, 7);
    uint8_t buf[1500];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)ib_rng_next(&r);
    for (int k = 0; k < 200; k++) {
        size_t len = 1 + ib_rng_below(&r, sizeof(buf));
        size_t cut = 2 * ib_rng_below(&r, len / 2 + 1);
        uint64_t s = ib_csum_partial(buf, cut, 0);
        s = ib_csum_partial(buf + cut, len - cut, s);
        assert_int_equal(ib_csum_fold(s), ref_csum(buf, len));
    }
}

/* RFC 768: the pseudo-header is src, dst, zero, protocol, UDP length. */
static void test_pseudo4(void **state)
{
    (void)state;
    ib_ip4 src = IB_IP4(192, 168, 0, 1), dst = IB_IP4(10, 200, 3, 254);
    uint8_t ph[12];
    ib_put32(ph, src);
    ib_put32(ph + 4, dst);
    ph[8] = 0;
    ph[9] = 17;
    ib_put16(ph + 10, 0x1234);
    assert_int_equal(ib_csum_fold(ib_csum_pseudo4(src, dst, 17, 0x1234)), ref_csum(ph, 12));

    /* A UDP datagram checked over pseudo-header + header + payload (odd). */
    uint8_t all[12 + 8 + 5] = {0};
    memcpy(all, ph, 12);
    ib_put16(all + 10, 13);
    uint8_t *udp = all + 12;
    ib_put16(udp, 5353);
    ib_put16(udp + 2, 53);
    ib_put16(udp + 4, 13);
    memcpy(udp + 8, "hello", 5);
    uint16_t c = ib_csum_fold(ib_csum_partial(udp, 13, ib_csum_pseudo4(src, dst, 17, 13)));
    assert_int_equal(c, ref_csum(all, sizeof(all)));
    ib_put16(udp + 6, c);
    assert_int_equal(ib_csum_fold(ib_csum_partial(udp, 13, ib_csum_pseudo4(src, dst, 17, 13))), 0);
}

/* RFC 1624 §3 eqn. 3 must agree with recomputing the whole header for any
 * header and any change, including the case of RFC 1624 §4 where the
 * checksum field is 0x0000 (sum 0xffff) before or after the change, where
 * RFC 1141's eqn. 2 gave 0xffff instead. */
static uint16_t check_update16(uint8_t *h, size_t off, uint16_t new_)
{
    uint16_t hc = ib_csum(h, 20); /* h[10..11] are zero here */
    uint16_t old = ib_get16(h + off);
    ib_put16(h + off, new_);
    uint16_t full = ib_csum(h, 20);
    assert_int_equal(ib_csum_update16(hc, old, new_), full);
    return full;
}

static void test_update16(void **state)
{
    (void)state;
    struct ib_rng r;
    ib_rng_seed(&r, 1624);
    uint8_t h[20];
    int zero_before = 0, zero_after = 0;
    for (int k = 0; k < 200000; k++) {
        for (int i = 0; i < 20; i++)
            h[i] = (uint8_t)ib_rng_next(&r);
        h[10] = h[11] = 0;
        size_t off = 2 * ib_rng_below(&r, 10);
        if (off == 10) off = 8;
        uint16_t new_ = (uint16_t)ib_rng_next(&r);
        int mode = (int)ib_rng_below(&r, 3);
        if (mode == 1) {
            /* Force the checksum before the change to 0x0000: set another
             * word so the sum is 0xffff. */
            size_t adj = off == 0 ? 2 : 0;
            ib_put16(h + adj, 0);
            ib_put16(h + adj, ib_csum(h, 20));
            assert_int_equal(ib_csum(h, 20), 0);
            zero_before++;
        } else if (mode == 2) {
            /* Force the checksum after the change to 0x0000. */
            ib_put16(h + off, 0);
            new_ = ib_csum(h, 20);
            ib_put16(h + off, (uint16_t)ib_rng_next(&r));
        }
        zero_after += check_update16(h, off, new_) == 0;
    }
    assert_true(zero_before > 1000);
    assert_true(zero_after > 1000);
}

/* The RFC 1624 §4 example itself: HC = 0xdd2f, m = 0x5555 -> m' = 0x3285
 * gives HC' = 0x0000 with eqn. 3 (eqn. 2 wrongly gives 0xffff). */
static void test_rfc1624_example(void **state)
{
    (void)state;
    assert_int_equal(ib_csum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
}

/* TTL decrement, as a router does it (RFC 1812 §5.3.1, RFC 1624). */
static void test_update_ttl(void **state)
{
    (void)state;
    uint8_t h[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                   0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    uint16_t old = ib_get16(h + 8);
    h[8]--;
    uint16_t c = ib_csum_update16(ib_get16(h + 10), old, ib_get16(h + 8));
    ib_put16(h + 10, c);
    assert_int_equal(c, 0xb961);
    assert_int_equal(ib_csum(h, sizeof(h)), 0);
}

/* A 32-bit field (an address rewritten by NAT) equals two 16-bit updates
 * and a full recomputation. */
static void test_update32(void **state)
{
    (void)state;
    struct ib_rng r;
    ib_rng_seed(&r, 3022);
    uint8_t h[20];
    int zeros = 0;
    for (int k = 0; k < 100000; k++) {
        for (int i = 0; i < 20; i++)
            h[i] = (uint8_t)ib_rng_next(&r);
        h[10] = h[11] = 0;
        uint16_t hc = ib_csum(h, 20);
        size_t off = ib_rng_below(&r, 2) ? 12 : 16;
        uint32_t old = ib_get32(h + off), new_ = (uint32_t)ib_rng_next(&r);
        if (k % 4 == 0) {
            /* Aim for a 0x0000 result (sum 0xffff) too. */
            ib_put32(h + off, 0);
            uint32_t t = (uint16_t)~ib_csum(h, 20) + (new_ >> 16);
            t = (t & 0xffffu) + (t >> 16);
            new_ = (new_ & 0xffff0000u) | (uint16_t)~t;
        }
        ib_put32(h + off, new_);
        zeros += ib_csum(h, 20) == 0;
        assert_int_equal(ib_csum_update32(hc, old, new_), ib_csum(h, 20));
        assert_int_equal(
            ib_csum_update32(hc, old, new_),
            ib_csum_update16(ib_csum_update16(hc, (uint16_t)(old >> 16), (uint16_t)(new_ >> 16)),
                             (uint16_t)old, (uint16_t)new_));
    }
    assert_true(zeros >= 25000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc1071_example),
        cmocka_unit_test(test_ipv4_header),
        cmocka_unit_test(test_empty_and_odd),
        cmocka_unit_test(test_lengths_alignments),
        cmocka_unit_test(test_chaining),
        cmocka_unit_test(test_pseudo4),
        cmocka_unit_test(test_update16),
        cmocka_unit_test(test_rfc1624_example),
        cmocka_unit_test(test_update_ttl),
        cmocka_unit_test(test_update32),
        cmocka_unit_test(test_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
