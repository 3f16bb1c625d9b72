/* TCP wire format: header and options parsed from and emitted to byte
 * vectors built from RFC 9293 §3.1, RFC 7323 and RFC 2018 (each frame
 * below was checked with `tshark -o tcp.check_checksum:TRUE -V`: checksum
 * "[correct]", options decoded as named), parse -> emit bit-exact, every
 * malformation mapped to its drop reason, sequence comparisons across the
 * 2^32 wrap, and the tcpdump-style lines of TCP segments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "inetbox/netif.h"
#include "inetbox/node.h"
#include "inetbox/tcp.h"
#include "inetbox/tcp_wire.h"
#include "inetbox/tcpdump.h"
#include "inetbox/trace.h"

#define ETH_IP 34u /* Ethernet + 20-byte IPv4 header before the segment */
#define A IB_IP4(10, 0, 1, 10)
#define B IB_IP4(10, 0, 2, 10)

/* 10.0.1.10:49152 > 10.0.2.10:80 SYN seq 12345 win 65535, options
 * [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7] (Linux's layout), DF,
 * TTL 64; TCP checksum 0x4062. */
static const uint8_t syn_frame[74] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x10, 0x00, 0x40, 0x00, 0x40, 0x06,
    0x13, 0xa9, 0x0a, 0x00, 0x01, 0x0a, 0x0a, 0x00, 0x02, 0x0a, 0xc0, 0x00,
    0x00, 0x50, 0x00, 0x00, 0x30, 0x39, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02,
    0xff, 0xff, 0x40, 0x62, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02,
    0x08, 0x0a, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03,
    0x03, 0x07,
};
/* The SYN-ACK back: seq 7000 ack 12346 win 65160, [mss 1460,sackOK,TS val
 * 100 ecr 1,nop,wscale 9]; checksum 0x260a. */
static const uint8_t synack_frame[74] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x10, 0x00, 0x40, 0x00, 0x40, 0x06,
    0x13, 0xa9, 0x0a, 0x00, 0x02, 0x0a, 0x0a, 0x00, 0x01, 0x0a, 0x00, 0x50,
    0xc0, 0x00, 0x00, 0x00, 0x1b, 0x58, 0x00, 0x00, 0x30, 0x3a, 0xa0, 0x12,
    0xfe, 0x88, 0x26, 0x0a, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02,
    0x08, 0x0a, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00, 0x01, 0x01, 0x03,
    0x03, 0x09,
};
/* 10.0.2.10:80 > 10.0.1.10:49152 ACK seq 1 ack 1 win 502, [nop,nop,TS val 2
 * ecr 1,nop,nop,sack 2 {1449:2897}{4345:5793}]; checksum 0x0ea3. */
static const uint8_t sack_frame[86] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x48, 0x10, 0x00, 0x40, 0x00, 0x40, 0x06,
    0x13, 0x9d, 0x0a, 0x00, 0x02, 0x0a, 0x0a, 0x00, 0x01, 0x0a, 0x00, 0x50,
    0xc0, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0xd0, 0x10,
    0x01, 0xf6, 0x0e, 0xa3, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0x00, 0x00,
    0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x01, 0x01, 0x05, 0x12, 0x00, 0x00,
    0x05, 0xa9, 0x00, 0x00, 0x0b, 0x51, 0x00, 0x00, 0x10, 0xf9, 0x00, 0x00,
    0x16, 0xa1,
};
/* 10.0.1.10:49152 > 10.0.2.10:80 PSH|ACK seq 1 ack 1 win 502 [nop,nop,TS
 * val 2 ecr 1], 100 data bytes 0..99; checksum 0x0125. */
static const uint8_t data_frame[166] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x98, 0x10, 0x00, 0x40, 0x00, 0x40, 0x06,
    0x13, 0x4d, 0x0a, 0x00, 0x01, 0x0a, 0x0a, 0x00, 0x02, 0x0a, 0xc0, 0x00,
    0x00, 0x50, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x80, 0x18,
    0x01, 0xf6, 0x01, 0x25, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0x00, 0x00,
    0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
    0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11,
    0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,
    0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29,
    0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35,
    0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40, 0x41,
    0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d,
    0x4e, 0x4f, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59,
    0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60, 0x61, 0x62, 0x63,
};
/* FIN|ACK seq 101 ack 1 win 502, no options; checksum 0xd613. */
static const uint8_t fin_frame[54] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x28, 0x10, 0x00, 0x40, 0x00, 0x40, 0x06,
    0x13, 0xbd, 0x0a, 0x00, 0x01, 0x0a, 0x0a, 0x00, 0x02, 0x0a, 0xc0, 0x00,
    0x00, 0x50, 0x00, 0x00, 0x00, 0x65, 0x00, 0x00, 0x00, 0x01, 0x50, 0x11,
    0x01, 0xf6, 0xd6, 0x13, 0x00, 0x00,
};
/* 10.0.2.10:80 > 10.0.1.10:49152 RST|ACK seq 0 ack 12346 win 0; checksum
 * 0xa832. */
static const uint8_t rst_frame[54] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x28, 0x10, 0x00, 0x40, 0x00, 0x40, 0x06,
    0x13, 0xbd, 0x0a, 0x00, 0x02, 0x0a, 0x0a, 0x00, 0x01, 0x0a, 0x00, 0x50,
    0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x3a, 0x50, 0x14,
    0x00, 0x00, 0xa8, 0x32, 0x00, 0x00,
};

/* The segment of a frame and its length per the IPv4 total length. */
static const uint8_t *seg_of(const uint8_t *f, size_t *len)
{
    *len = (size_t)ib_get16(f + 16) - 20u;
    return f + ETH_IP;
}

/* parse -> emit gives back the same header bytes, and the checksum the
 * emitter's caller fills in is the one on the wire. */
static void roundtrip(const uint8_t *f, ib_ip4 src, ib_ip4 dst, struct ib_tcp_hdr *h)
{
    size_t len;
    const uint8_t *s = seg_of(f, &len);
    assert_int_equal(ib_tcp_parse(s, len, src, dst, h), 0);
    uint8_t *b = malloc(len);
    assert_non_null(b);
    memset(b, 0xee, len);
    size_t hlen = ib_tcp_emit(h, b);
    assert_int_equal(hlen, h->hlen);
    assert_int_equal(hlen, IB_TCP_HLEN + ib_tcp_opts_len(&h->opt));
    assert_int_equal(ib_get16(b + 16), 0);
    memcpy(b + hlen, s + hlen, len - hlen);
    ib_tcp_fill_csum(b, len, src, dst);
    assert_memory_equal(b, s, len);
    free(b);
}

/* RFC 9293 §3.1, §3.7.1; RFC 7323 §2.2, §3.2; RFC 2018 §2. */
static void test_syn(void **state)
{
    (void)state;
    struct ib_tcp_hdr h;
    roundtrip(syn_frame, A, B, &h);
    assert_int_equal(h.sport, 49152);
    assert_int_equal(h.dport, 80);
    assert_int_equal(h.seq, 12345);
    assert_int_equal(h.ack, 0);
    assert_int_equal(h.hlen, 40);
    assert_int_equal(h.flags, IB_TCP_SYN);
    assert_int_equal(h.wnd, 65535);
    assert_int_equal(h.csum, 0x4062);
    assert_true(h.opt.has_mss && h.opt.sack_ok && h.opt.has_ts && h.opt.has_wscale);
    assert_int_equal(h.opt.mss, 1460);
    assert_int_equal(h.opt.wscale, 7);
    assert_int_equal(h.opt.ts_val, 1);
    assert_int_equal(h.opt.ts_ecr, 0);
    assert_int_equal(h.opt.nsack, 0);

    roundtrip(synack_frame, B, A, &h);
    assert_int_equal(h.flags, IB_TCP_SYN | IB_TCP_ACK);
    assert_int_equal(h.ack, 12346);
    assert_int_equal(h.opt.wscale, 9);
    assert_int_equal(h.opt.ts_val, 100);
    assert_int_equal(h.opt.ts_ecr, 1);
}

/* The emitter builds the Linux layout from a struct made by hand. */
static void test_emit_layout(void **state)
{
    (void)state;
    struct ib_tcp_hdr h = {
        .sport = 49152, .dport = 80, .seq = 12345, .flags = IB_TCP_SYN, .wnd = 65535,
        .opt = {.has_mss = true, .mss = 1460, .sack_ok = true, .has_ts = true, .ts_val = 1,
                .has_wscale = true, .wscale = 7},
    };
    uint8_t b[IB_TCP_MAX_HLEN];
    assert_int_equal(ib_tcp_emit(&h, b), 40);
    ib_tcp_fill_csum(b, 40, A, B);
    assert_memory_equal(b, syn_frame + ETH_IP, 40);

    struct ib_tcp_hdr a = {
        .sport = 80, .dport = 49152, .seq = 1, .ack = 1, .flags = IB_TCP_ACK, .wnd = 502,
        .opt = {.has_ts = true, .ts_val = 2, .ts_ecr = 1, .nsack = 2,
                .sack = {{1449, 2897}, {4345, 5793}}},
    };
    assert_int_equal(ib_tcp_emit(&a, b), 52);
    ib_tcp_fill_csum(b, 52, B, A);
    assert_memory_equal(b, sack_frame + ETH_IP, 52);

    /* RFC 2018 §2: SACK-permitted alone takes a NOP-padded word */
    struct ib_tcp_hdr s = {.flags = IB_TCP_SYN, .opt = {.sack_ok = true}};
    static const uint8_t sack_perm[4] = {1, 1, 4, 2};
    assert_int_equal(ib_tcp_emit(&s, b), 24);
    assert_memory_equal(b + 20, sack_perm, 4);
    assert_int_equal(b[12], 6 << 4);

    /* RFC 7323 §2.3: a shift over 14 is never sent */
    s.opt = (struct ib_tcp_opts){.has_wscale = true, .wscale = 20};
    assert_int_equal(ib_tcp_emit(&s, b), 24);
    static const uint8_t ws14[4] = {1, 3, 3, 14};
    assert_memory_equal(b + 20, ws14, 4);

    /* No options: a bare 20-byte header, offset 5. */
    s.opt = (struct ib_tcp_opts){0};
    assert_int_equal(ib_tcp_emit(&s, b), 20);
    assert_int_equal(b[12], 5 << 4);
}

/* RFC 2018 §3: with timestamps at most 3 SACK blocks fit the 40 option
 * bytes, without them 4. */
static void test_opts_len(void **state)
{
    (void)state;
    struct ib_tcp_opts o = {0};
    assert_int_equal(ib_tcp_opts_len(&o), 0);
    o.has_ts = true;
    assert_int_equal(ib_tcp_opts_len(&o), 12);
    o.sack_ok = true;
    assert_int_equal(ib_tcp_opts_len(&o), 12);
    o.has_mss = o.has_wscale = true;
    assert_int_equal(ib_tcp_opts_len(&o), 20);
    o = (struct ib_tcp_opts){.has_ts = true, .nsack = 4};
    for (uint32_t i = 0; i < 4; i++)
        o.sack[i] = (struct ib_tcp_sack_block){1000 * i, 1000 * i + 500};
    assert_int_equal(ib_tcp_opts_len(&o), 40);
    struct ib_tcp_hdr h = {.flags = IB_TCP_ACK, .opt = o};
    uint8_t b[IB_TCP_MAX_HLEN];
    assert_int_equal(ib_tcp_emit(&h, b), 60);
    ib_tcp_fill_csum(b, 60, A, B);
    struct ib_tcp_hdr back;
    assert_int_equal(ib_tcp_parse(b, 60, A, B, &back), 0);
    assert_int_equal(back.opt.nsack, 3);
    assert_int_equal(back.opt.sack[2].start, 2000);
    assert_int_equal(back.opt.sack[2].end, 2500);
    o.has_ts = false;
    assert_int_equal(ib_tcp_opts_len(&o), 36);
    h.opt = o;
    assert_int_equal(ib_tcp_emit(&h, b), 56);
    ib_tcp_fill_csum(b, 56, A, B);
    assert_int_equal(ib_tcp_parse(b, 56, A, B, &back), 0);
    assert_int_equal(back.opt.nsack, 4);
    assert_int_equal(back.opt.sack[3].end, 3500);
}

/* RFC 2018 §3 blocks and RFC 7323 §3.2 timestamps on an ACK; a segment
 * with data keeps its payload out of the header. */
static void test_ack_sack_data(void **state)
{
    (void)state;
    struct ib_tcp_hdr h;
    roundtrip(sack_frame, B, A, &h);
    assert_int_equal(h.flags, IB_TCP_ACK);
    assert_int_equal(h.hlen, 52);
    assert_false(h.opt.has_mss || h.opt.has_wscale || h.opt.sack_ok);
    assert_true(h.opt.has_ts);
    assert_int_equal(h.opt.nsack, 2);
    assert_int_equal(h.opt.sack[0].start, 1449);
    assert_int_equal(h.opt.sack[0].end, 2897);
    assert_int_equal(h.opt.sack[1].start, 4345);
    assert_int_equal(h.opt.sack[1].end, 5793);

    roundtrip(data_frame, A, B, &h);
    assert_int_equal(h.flags, IB_TCP_PSH | IB_TCP_ACK);
    assert_int_equal(h.hlen, 32);
    assert_int_equal(h.csum, 0x0125);
    roundtrip(fin_frame, A, B, &h);
    assert_int_equal(h.flags, IB_TCP_FIN | IB_TCP_ACK);
    assert_int_equal(h.hlen, 20);
    roundtrip(rst_frame, B, A, &h);
    assert_int_equal(h.flags, IB_TCP_RST | IB_TCP_ACK);
}

/* A copy of the SYN's segment with bytes changed and the checksum made
 * right again, so only the change can fail it. */
static int parse_mod(size_t len, const uint8_t *patch, size_t at, size_t n, struct ib_tcp_hdr *h)
{
    uint8_t b[40];
    memcpy(b, syn_frame + ETH_IP, sizeof(b));
    memcpy(b + at, patch, n);
    ib_tcp_fill_csum(b, len, A, B);
    uint8_t *exact = malloc(len);
    memcpy(exact, b, len);
    int r = ib_tcp_parse(exact, len, A, B, h);
    free(exact);
    return r;
}

static void test_malformed(void **state)
{
    (void)state;
    const uint8_t *syn = syn_frame + ETH_IP;
    struct ib_tcp_hdr h;
    /* RFC 9293 §3.1: a header is at least 20 bytes */
    for (size_t n = 0; n < IB_TCP_HLEN; n++)
        assert_int_equal(ib_tcp_parse(syn, n, A, B, &h), IB_DROP_TCP_TRUNCATED);
    /* the data offset: at least 5 words, and within the segment */
    assert_int_equal(ib_tcp_parse(syn, 39, A, B, &h), IB_DROP_TCP_BAD_OFFSET);
    uint8_t off4 = 4 << 4, off15 = 15 << 4, off5 = 5 << 4;
    assert_int_equal(parse_mod(40, &off4, 12, 1, &h), IB_DROP_TCP_BAD_OFFSET);
    assert_int_equal(parse_mod(40, &off15, 12, 1, &h), IB_DROP_TCP_BAD_OFFSET);
    /* offset 5: the options become 20 bytes of data, which is fine */
    assert_int_equal(parse_mod(40, &off5, 12, 1, &h), 0);
    assert_int_equal(h.hlen, 20);
    assert_false(h.opt.has_mss);

    /* RFC 9293 §3.1 (MUST-2, MUST-3): checksum over the pseudo-header */
    assert_int_equal(ib_tcp_parse(syn, 40, A, IB_IP4(10, 0, 2, 11), &h),
                     IB_DROP_TCP_BAD_CHECKSUM);
    uint8_t b[40];
    memcpy(b, syn, 40);
    b[39] ^= 1;
    assert_int_equal(ib_tcp_parse(b, 40, A, B, &h), IB_DROP_TCP_BAD_CHECKSUM);
    /* the fixed fields are still there for a decoder */
    assert_int_equal(h.seq, 12345);
    assert_int_equal(ib_tcp_parse_nocsum(b, 40, &h), 0);
    assert_int_equal(h.opt.wscale, 6);

    /* RFC 9293 §3.2 (MUST-7): option lengths 0 and 1, one past the header,
     * and a kind with no room for its length octet */
    static const uint8_t len0[2] = {2, 0}, len1[2] = {2, 1}, len_over[2] = {3, 5},
                         lone[4] = {1, 1, 1, 2};
    assert_int_equal(parse_mod(40, len0, 20, 2, &h), IB_DROP_TCP_BAD_OPTIONS);
    assert_int_equal(parse_mod(40, len1, 20, 2, &h), IB_DROP_TCP_BAD_OPTIONS);
    assert_int_equal(parse_mod(40, len_over, 36, 2, &h), IB_DROP_TCP_BAD_OPTIONS);
    assert_int_equal(parse_mod(40, lone, 36, 4, &h), IB_DROP_TCP_BAD_OPTIONS);
    assert_int_equal(h.sport, 49152); /* fields filled for decoders */
    /* a bad checksum is reported before bad options */
    memcpy(b, syn, 40);
    b[21] = 0;
    assert_int_equal(ib_tcp_parse(b, 40, A, B, &h), IB_DROP_TCP_BAD_CHECKSUM);
}

static void test_option_rules(void **state)
{
    (void)state;
    struct ib_tcp_hdr h;
    /* RFC 9293 §3.1: an unknown kind is skipped by its length (kind 30,
     * MPTCP, length 4 in place of the MSS) */
    static const uint8_t unknown[4] = {30, 4, 0xab, 0xcd};
    assert_int_equal(parse_mod(40, unknown, 20, 4, &h), 0);
    assert_false(h.opt.has_mss);
    assert_true(h.opt.has_ts && h.opt.has_wscale && h.opt.sack_ok);
    /* RFC 7323 §2.3: a shift over 14 is used as 14 */
    uint8_t ws = 15;
    assert_int_equal(parse_mod(40, &ws, 39, 1, &h), 0);
    assert_int_equal(h.opt.wscale, 14);
    ws = 255;
    assert_int_equal(parse_mod(40, &ws, 39, 1, &h), 0);
    assert_int_equal(h.opt.wscale, 14);
    /* RFC 9293 §3.1: the end-of-option list ends parsing; what follows is
     * padding, whatever it holds */
    static const uint8_t eol[2] = {0, 0};
    assert_int_equal(parse_mod(40, eol, 24, 1, &h), 0);
    assert_true(h.opt.has_mss);
    assert_false(h.opt.sack_ok || h.opt.has_ts || h.opt.has_wscale);
    /* a known kind of the wrong size is skipped like an unknown one (as
     * Linux does): timestamps of length 6 are no timestamps, and the
     * options after them still count */
    static const uint8_t ts_short[12] = {8, 6, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1};
    assert_int_equal(parse_mod(40, ts_short, 24, 12, &h), 0);
    assert_false(h.opt.has_ts);
    assert_true(h.opt.has_mss && h.opt.has_wscale);
    /* RFC 2018 §3: a SACK option that is not 2 + 8n bytes carries nothing */
    static const uint8_t bad_sack[12] = {5, 12, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1};
    assert_int_equal(parse_mod(40, bad_sack, 24, 12, &h), 0);
    assert_int_equal(h.opt.nsack, 0);
}

/* RFC 9293 §3.4: sequence numbers compare modulo 2^32. */
static void test_seq_compare(void **state)
{
    (void)state;
    assert_true(ib_seq_lt(1, 2));
    assert_false(ib_seq_lt(2, 2));
    assert_true(ib_seq_leq(2, 2));
    assert_true(ib_seq_lt(0xfffffff0u, 0x10u));
    assert_true(ib_seq_gt(0x10u, 0xfffffff0u));
    assert_true(ib_seq_geq(0x0u, 0xffffffffu));
    assert_false(ib_seq_geq(0xffffffffu, 0x0u));
    assert_int_equal(ib_seq_max(0xfffffff0u, 5), 5);
    assert_int_equal(ib_seq_min(0xfffffff0u, 5), 0xfffffff0u);
    assert_int_equal(ib_seq_max(7, 3), 7);
    assert_int_equal(ib_seq_min(7, 3), 3);
    /* just under half the space apart still compares by distance */
    assert_true(ib_seq_lt(0x80000000u, 0xfffffffeu));
    assert_true(ib_seq_lt(0xfffffffeu, 0x7ffffffdu));
}

static void check_line(const uint8_t *f, size_t len, const char *want)
{
    char line[320];
    uint8_t *b = malloc(len);
    assert_non_null(b);
    memcpy(b, f, len);
    ib_tcpdump_frame(b, len, line, sizeof(line));
    free(b);
    assert_string_equal(line, want);
}

#define MACS "02:00:00:00:00:01 > 02:00:00:00:00:02, "

static void test_tcpdump(void **state)
{
    (void)state;
    check_line(syn_frame, sizeof(syn_frame),
               MACS "10.0.1.10.49152 > 10.0.2.10.80: Flags [S], seq 12345, win 65535, options "
                    "[mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0, ttl 64");
    check_line(synack_frame, sizeof(synack_frame),
               MACS "10.0.2.10.80 > 10.0.1.10.49152: Flags [S.], seq 7000, ack 12346, win 65160, "
                    "options [mss 1460,sackOK,TS val 100 ecr 1,nop,wscale 9], length 0, ttl 64");
    check_line(sack_frame, sizeof(sack_frame),
               MACS "10.0.2.10.80 > 10.0.1.10.49152: Flags [.], ack 1, win 502, options "
                    "[nop,nop,TS val 2 ecr 1,nop,nop,sack 2 {1449:2897}{4345:5793}], length 0, "
                    "ttl 64");
    check_line(data_frame, sizeof(data_frame),
               MACS "10.0.1.10.49152 > 10.0.2.10.80: Flags [P.], seq 1:101, ack 1, win 502, "
                    "options [nop,nop,TS val 2 ecr 1], length 100, ttl 64");
    check_line(fin_frame, sizeof(fin_frame),
               MACS "10.0.1.10.49152 > 10.0.2.10.80: Flags [F.], seq 101, ack 1, win 502, "
                    "length 0, ttl 64");
    check_line(rst_frame, sizeof(rst_frame),
               MACS "10.0.2.10.80 > 10.0.1.10.49152: Flags [R.], seq 0, ack 12346, win 0, "
                    "length 0, ttl 64");

    uint8_t f[sizeof(data_frame)];
    /* a bad checksum, like tcpdump -v's "[bad tcp cksum]" */
    memcpy(f, data_frame, sizeof(f));
    f[sizeof(f) - 1] ^= 0xff;
    check_line(f, sizeof(f),
               MACS "10.0.1.10.49152 > 10.0.2.10.80: Flags [P.], seq 1:101, ack 1, win 502, "
                    "options [nop,nop,TS val 2 ecr 1], length 100 [bad tcp cksum], ttl 64");
    /* a segment cut short by the capture: header intact, data missing */
    check_line(data_frame, ETH_IP + 32,
               MACS "10.0.1.10.49152 > 10.0.2.10.80: Flags [P.], seq 1:101, ack 1, win 502, "
                    "options [nop,nop,TS val 2 ecr 1], length 100, ttl 64 [|ip]");
    /* options cut off, then the fixed header cut off */
    check_line(syn_frame, ETH_IP + 30,
               MACS "10.0.1.10.49152 > 10.0.2.10.80: Flags [S], seq 12345, win 65535 [|tcp], "
                    "ttl 64 [|ip]");
    check_line(syn_frame, ETH_IP + 10,
               MACS "10.0.1.10.49152 > 10.0.2.10.80: [|tcp], ttl 64 [|ip]");
    /* flags tcpdump spells U, E, W, and none; a bad option length */
    memcpy(f, fin_frame, sizeof(fin_frame));
    f[ETH_IP + 13] = IB_TCP_URG | IB_TCP_ECE | IB_TCP_CWR;
    check_line(f, sizeof(fin_frame),
               MACS "10.0.1.10.49152 > 10.0.2.10.80: Flags [UEW], win 502, urg 0, length 0 "
                    "[bad tcp cksum], ttl 64");
    f[ETH_IP + 13] = 0;
    check_line(f, sizeof(fin_frame),
               MACS "10.0.1.10.49152 > 10.0.2.10.80: Flags [none], win 502, length 0 "
                    "[bad tcp cksum], ttl 64");
    memcpy(f, syn_frame, sizeof(syn_frame));
    f[ETH_IP + 21] = 1;
    check_line(f, sizeof(syn_frame),
               MACS "10.0.1.10.49152 > 10.0.2.10.80: Flags [S], seq 12345, win 65535, options "
                    "[[bad opt]], length 0 [bad tcp cksum], ttl 64");
    f[ETH_IP + 12] = 4 << 4;
    check_line(f, sizeof(syn_frame),
               MACS "10.0.1.10.49152 > 10.0.2.10.80: tcp 40 [bad hdr length 16 - too short, < "
                    "20], ttl 64");
}

/* Every prefix of every frame decodes within bounds and terminated. */
static void test_every_truncation(void **state)
{
    (void)state;
    const uint8_t *fs[] = {syn_frame, synack_frame, sack_frame, data_frame, fin_frame, rst_frame};
    const size_t ls[] = {sizeof(syn_frame), sizeof(synack_frame), sizeof(sack_frame),
                         sizeof(data_frame), sizeof(fin_frame), sizeof(rst_frame)};
    for (size_t i = 0; i < IB_ARRAY_LEN(fs); i++) {
        for (size_t n = 0; n <= ls[i]; n++) {
            uint8_t *b = malloc(n ? n : 1);
            memcpy(b, fs[i], n);
            char line[96];
            ib_tcpdump_frame(b, n, line, sizeof(line));
            assert_non_null(memchr(line, 0, sizeof(line)));
            struct ib_tcp_hdr h;
            if (n >= ETH_IP)
                (void)ib_tcp_parse(b + ETH_IP, n - ETH_IP, A, B, &h);
            free(b);
        }
    }
}

/* A TCP drop carries the segment from its header: the line shows ports
 * and segment (the addresses are in the IP header behind it). */
static void test_drop_line(void **state)
{
    (void)state;
    struct ib_node n;
    memset(&n, 0, sizeof(n));
    strcpy(n.name, "h2");
    char *text = NULL;
    size_t tlen = 0;
    struct ib_tcpdump td = {open_memstream(&text, &tlen)};
    assert_non_null(td.out);
    struct ib_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = IB_EV_DROP;
    ev.t = IB_SEC(1);
    ev.node = &n;
    ev.layer = 4;
    ev.reason = IB_DROP_TCP_NO_LISTENER;
    ev.data = syn_frame + ETH_IP;
    ev.len = 40;
    ib_tcpdump_observer(&td, &ev);
    ev.reason = IB_DROP_TCP_TRUNCATED;
    ev.len = 12;
    ib_tcpdump_observer(&td, &ev);
    fclose(td.out);
    assert_string_equal(text, "1.000000000 h2 DROP TCP_NO_LISTENER (no TCP listener on port): "
                              "49152 > 80: Flags [S], seq 12345, win 65535, options [mss 1460,"
                              "sackOK,TS val 1 ecr 0,nop,wscale 7], length 0\n"
                              "1.000000000 h2 DROP TCP_TRUNCATED (truncated TCP segment): "
                              "49152 > 80: [|tcp]\n");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_syn),           cmocka_unit_test(test_emit_layout),
        cmocka_unit_test(test_opts_len),      cmocka_unit_test(test_ack_sack_data),
        cmocka_unit_test(test_malformed),     cmocka_unit_test(test_option_rules),
        cmocka_unit_test(test_seq_compare),   cmocka_unit_test(test_tcpdump),
        cmocka_unit_test(test_every_truncation), cmocka_unit_test(test_drop_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
