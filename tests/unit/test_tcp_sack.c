/* SACK: the sender's scoreboard (sorting, merging, its bound, the blocks
 * RFC 2018 §5 / RFC 2883 §4 say to ignore), RFC 6675 §4 IsLost, SetPipe and
 * NextSeg rules (1)-(4) — also across the sequence-number wrap — and the
 * receiver's block list in RFC 2018 §4 order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "transport/tcp_int.h"

static void conn(struct ib_tcp *c, uint32_t una, uint32_t max)
{
    memset(c, 0, sizeof(*c));
    c->mss = 1000;
    c->snd_una = una;
    c->snd_max = c->snd_nxt = max;
    c->recover = max;
    c->snd_wnd = 65535;
    c->snd.len = max - una; /* everything queued is in flight */
    ib_tcp_sb_reset(&c->sb);
    ib_tcp_sb_enter_recovery(c);
}

/* One ACK carrying SACK blocks given as offsets from base. */
static void sack(struct ib_tcp *c, uint32_t base, unsigned n, const uint32_t *edges)
{
    struct ib_tcp_opts o = {.nsack = (uint8_t)n};
    for (unsigned i = 0; i < n; i++)
        o.sack[i] = (struct ib_tcp_sack_block){base + edges[2 * i], base + edges[2 * i + 1]};
    ib_tcp_sb_update(c, &o);
}

static void expect_sb(const struct ib_tcp *c, uint32_t base, unsigned n, const uint32_t *edges)
{
    assert_int_equal(c->sb.n, n);
    for (unsigned i = 0; i < n && i < IB_TCP_SB_MAX; i++) {
        assert_int_equal(c->sb.b[i].start, base + edges[2 * i]);
        assert_int_equal(c->sb.b[i].end, base + edges[2 * i + 1]);
    }
}

static void test_scoreboard_merge_sort(void **state)
{
    (void)state;
    struct ib_tcp c;
    conn(&c, 1000, 20000);
    /* RFC 2018 §4 sends the most recent block first: not sorted. */
    sack(&c, 0, 3, (uint32_t[]){9000, 10000, 3000, 4000, 6000, 7000});
    expect_sb(&c, 0, 3, (uint32_t[]){3000, 4000, 6000, 7000, 9000, 10000});
    /* Adjacent to one block, overlapping another, bridging two. */
    sack(&c, 0, 1, (uint32_t[]){4000, 4500});
    sack(&c, 0, 1, (uint32_t[]){8500, 9500});
    expect_sb(&c, 0, 3, (uint32_t[]){3000, 4500, 6000, 7000, 8500, 10000});
    sack(&c, 0, 1, (uint32_t[]){4200, 6500});
    expect_sb(&c, 0, 2, (uint32_t[]){3000, 7000, 8500, 10000});
    assert_int_equal(ib_tcp_sb_sacked_bytes(&c), 5500);
    assert_true(ib_tcp_sb_is_sacked(&c, 3000));
    assert_true(ib_tcp_sb_is_sacked(&c, 6999));
    assert_false(ib_tcp_sb_is_sacked(&c, 7000));
    assert_false(ib_tcp_sb_is_sacked(&c, 2999));
}

/* IB_TCP_SB_MAX blocks at most; the highest are forgotten (conservative).
 * Block k is [2000 + 2000k, 3000 + 2000k). */
static void test_scoreboard_bound(void **state)
{
    (void)state;
    struct ib_tcp c;
    conn(&c, 1000, 100000);
    assert_true(IB_TCP_SB_MAX >= 4);
    for (uint32_t k = IB_TCP_SB_MAX + 2; k-- > 0;)
        sack(&c, 0, 1, (uint32_t[]){2000 + 2000 * k, 3000 + 2000 * k});
    assert_int_equal(c.sb.n, IB_TCP_SB_MAX);
    for (uint32_t k = 0; k < IB_TCP_SB_MAX; k++) {
        assert_int_equal(c.sb.b[k].start, 2000 + 2000 * k);
        assert_int_equal(c.sb.b[k].end, 3000 + 2000 * k);
    }
    /* A lower block pushes the highest out... */
    sack(&c, 0, 1, (uint32_t[]){1500, 1600});
    assert_int_equal(c.sb.n, IB_TCP_SB_MAX);
    assert_int_equal(c.sb.b[0].start, 1500);
    assert_int_equal(c.sb.b[IB_TCP_SB_MAX - 1].start, 2000 + 2000 * (IB_TCP_SB_MAX - 2));
    /* ...and one bridging blocks 0 to 2 frees room. */
    sack(&c, 0, 1, (uint32_t[]){3000, 6000});
    assert_int_equal(c.sb.n, IB_TCP_SB_MAX - 2);
    assert_int_equal(c.sb.b[1].start, 2000);
    assert_int_equal(c.sb.b[1].end, 7000);
}

/* RFC 2018 §5 / RFC 6675 §5: nothing at or below snd_una, nothing beyond
 * snd_max; RFC 2883 §4: a first block below the ACK, or inside the second,
 * is a D-SACK and is ignored. */
static void test_scoreboard_ignores(void **state)
{
    (void)state;
    struct ib_tcp c;
    conn(&c, 5000, 20000);
    sack(&c, 0, 2, (uint32_t[]){3000, 4000, 6000, 7000}); /* D-SACK below the ACK */
    expect_sb(&c, 0, 1, (uint32_t[]){6000, 7000});
    sack(&c, 0, 1, (uint32_t[]){4000, 5500}); /* D-SACK that reaches above snd_una */
    expect_sb(&c, 0, 1, (uint32_t[]){6000, 7000});
    /* Beyond snd_max, inverted, empty, entirely old: all ignored. */
    sack(&c, 0, 4, (uint32_t[]){8000, 8000, 19000, 20001, 9000, 8500, 2000, 5000});
    expect_sb(&c, 0, 1, (uint32_t[]){6000, 7000});
    /* A later block overlapping snd_una is clipped to it. */
    sack(&c, 0, 2, (uint32_t[]){8000, 9000, 4000, 5500});
    expect_sb(&c, 0, 3, (uint32_t[]){5000, 5500, 6000, 7000, 8000, 9000});
    /* First block inside the second: a D-SACK. The second is beyond
     * snd_max here, so only the D-SACK rule keeps the first out. */
    conn(&c, 5000, 20000);
    sack(&c, 0, 2, (uint32_t[]){10000, 11000, 9000, 21000});
    assert_int_equal(c.sb.n, 0);
    /* the same first block, not inside the second: taken */
    sack(&c, 0, 2, (uint32_t[]){10000, 11000, 12000, 21000});
    expect_sb(&c, 0, 1, (uint32_t[]){10000, 11000});
    /* The cumulative ACK moves: blocks below go, one straddling is clipped. */
    c.snd_una = 10500;
    ib_tcp_sb_advance(&c);
    expect_sb(&c, 0, 1, (uint32_t[]){10500, 11000});
    c.snd_una = 11000;
    ib_tcp_sb_advance(&c);
    assert_int_equal(c.sb.n, 0);
}

/* RFC 6675 §4 IsLost: lost when DupThresh (3) discontiguous SACKed
 * sequences, or more than 2 * SMSS bytes, are SACKed above it. */
static void test_is_lost(void **state)
{
    (void)state;
    struct ib_tcp c;
    conn(&c, 1000, 20000);
    sack(&c, 0, 1, (uint32_t[]){2000, 4000}); /* two segments */
    assert_false(ib_tcp_sb_is_lost(&c, 1000));
    sack(&c, 0, 1, (uint32_t[]){4000, 4001}); /* one byte more than 2 SMSS */
    assert_true(ib_tcp_sb_is_lost(&c, 1000));
    assert_true(ib_tcp_sb_is_lost(&c, 1999));
    /* Inside the block, only the SACKed bytes above count. */
    assert_false(ib_tcp_sb_is_lost(&c, 2000));
    assert_false(ib_tcp_sb_is_lost(&c, 5000));
    /* Three discontiguous blocks of one byte each. */
    conn(&c, 1000, 20000);
    sack(&c, 0, 3, (uint32_t[]){2000, 2001, 3000, 3001, 4000, 4001});
    assert_true(ib_tcp_sb_is_lost(&c, 1000));
    assert_true(ib_tcp_sb_is_lost(&c, 1999));
    assert_false(ib_tcp_sb_is_lost(&c, 2500)); /* only two above */
    /* Three full segments above. */
    conn(&c, 1000, 20000);
    sack(&c, 0, 1, (uint32_t[]){2000, 5000});
    assert_true(ib_tcp_sb_is_lost(&c, 1000));
}

/* The RFC 6675 recovery of one window: ten segments from base + 1000,
 * SACKs for [4000, 7000) and [8000, 9000). The hole [1000, 4000) is lost
 * (three segments SACKed above), [7000, 8000) is not (one), and the tail
 * [9000, 11000) has nothing SACKed above it. */
static void recovery_case(uint32_t base)
{
    struct ib_tcp c;
    uint32_t seq, len;
    conn(&c, base + 1000, base + 11000);
    sack(&c, base, 2, (uint32_t[]){8000, 9000, 4000, 7000});
    /* SetPipe: lost octets do not count, the others do. */
    assert_int_equal(ib_tcp_sb_pipe(&c), 1000 + 2000);
    /* NextSeg (1): the lost hole, a segment at a time, HighRxt advancing. */
    for (uint32_t s = 1000; s < 4000; s += 1000) {
        assert_true(ib_tcp_sb_next_seg(&c, &seq, &len));
        assert_int_equal(seq, base + s);
        assert_int_equal(len, 1000);
    }
    /* SetPipe (b): retransmitted octets count again. */
    assert_int_equal(ib_tcp_sb_pipe(&c), 3000 + 3000);
    /* NextSeg (3): no new data, so the unSACKed hole that is not lost. */
    assert_true(ib_tcp_sb_next_seg(&c, &seq, &len));
    assert_int_equal(seq, base + 7000);
    assert_int_equal(len, 1000);
    /* NextSeg (4): one rescue retransmission holding the highest
     * unSACKed octet; HighRxt does not move, and there is only one. */
    assert_true(ib_tcp_sb_next_seg(&c, &seq, &len));
    assert_int_equal(seq, base + 10000);
    assert_int_equal(len, 1000);
    assert_int_equal(c.sb.high_rxt, base + 8000);
    assert_int_equal(c.sb.rescue_rxt, base + 11000);
    assert_false(ib_tcp_sb_next_seg(&c, &seq, &len));
    /* A partial ACK moves HighACK, yet not past RescueRxt: still no
     * second rescue in this recovery. */
    c.snd_una = base + 4000;
    c.snd.len -= 3000; /* the send buffer starts at snd_una */
    ib_tcp_sb_advance(&c);
    assert_false(ib_tcp_sb_next_seg(&c, &seq, &len));
}

static void test_next_seg_order(void **state)
{
    (void)state;
    recovery_case(0);
    recovery_case(0xfffff000u); /* the window straddles 2^32 */
    recovery_case(0x7ffff800u);
}

/* NextSeg (2) comes before (3): new data when there is some and the
 * window allows, a segment at most, cut at the window's edge. */
static void test_next_seg_new_data(void **state)
{
    (void)state;
    struct ib_tcp c;
    uint32_t seq, len;
    conn(&c, 1000, 11000);
    sack(&c, 0, 2, (uint32_t[]){8000, 9000, 4000, 7000});
    c.snd.len = 10000 + 1700;
    c.snd_wnd = 10500;
    for (int i = 0; i < 3; i++)
        assert_true(ib_tcp_sb_next_seg(&c, &seq, &len)); /* rule (1) first */
    assert_true(ib_tcp_sb_next_seg(&c, &seq, &len));
    assert_int_equal(seq, 11000);
    assert_int_equal(len, 500);
    c.snd_wnd = 20000;
    assert_true(ib_tcp_sb_next_seg(&c, &seq, &len));
    assert_int_equal(seq, 11000);
    assert_int_equal(len, 1000);
    c.snd_max = c.snd_nxt = 12000; /* the core sent it */
    assert_true(ib_tcp_sb_next_seg(&c, &seq, &len));
    assert_int_equal(seq, 12000);
    assert_int_equal(len, 700);
    c.snd_max = c.snd_nxt = 12700;
    /* no new data left: rule (3) */
    assert_true(ib_tcp_sb_next_seg(&c, &seq, &len));
    assert_int_equal(seq, 7000);
    /* A new SACK above makes [7000, 8000) lost too, but it was already
     * sent under rule (3) (below HighRxt): not again. Rule (4) next, the
     * tail above the last block, shorter than a segment. */
    sack(&c, 0, 1, (uint32_t[]){9000, 12000});
    assert_true(ib_tcp_sb_is_lost(&c, 7000));
    assert_true(ib_tcp_sb_next_seg(&c, &seq, &len));
    assert_int_equal(seq, 12000);
    assert_int_equal(len, 700);
}

/* A new recovery resets HighRxt; stale HighRxt below HighACK is ignored. */
static void test_enter_recovery(void **state)
{
    (void)state;
    struct ib_tcp c;
    uint32_t seq, len;
    conn(&c, 1000, 11000);
    c.sb.high_rxt = 500;
    sack(&c, 0, 1, (uint32_t[]){2000, 5000});
    assert_true(ib_tcp_sb_next_seg(&c, &seq, &len));
    assert_int_equal(seq, 1000);
    c.snd_una = 5000;
    ib_tcp_sb_advance(&c);
    c.snd_max = 15000;
    c.snd.len = 10000;
    sack(&c, 0, 1, (uint32_t[]){6000, 9000});
    ib_tcp_sb_enter_recovery(&c);
    assert_int_equal(c.sb.high_rxt, 5000);
    assert_true(ib_tcp_sb_next_seg(&c, &seq, &len));
    assert_int_equal(seq, 5000);
    assert_int_equal(ib_tcp_sb_pipe(&c), 1000 + 6000);
}

/* RFC 2018 §4: our first block holds the segment that triggered the ACK;
 * the rest repeat the most recent blocks; blocks at or below the
 * cumulative ACK are not reported. */
static void test_receiver_blocks(void **state)
{
    (void)state;
    struct ib_tcp_sack_block b[4];
    uint8_t n = 0;
    ib_tcp_sack_note_rcvd(b, &n, 4, 3000, 4000);
    ib_tcp_sack_note_rcvd(b, &n, 4, 5000, 6000);
    assert_int_equal(n, 2);
    assert_int_equal(b[0].start, 5000);
    assert_int_equal(b[1].start, 3000);
    ib_tcp_sack_note_rcvd(b, &n, 4, 4000, 5000); /* fills the gap: one block */
    assert_int_equal(n, 1);
    assert_int_equal(b[0].start, 3000);
    assert_int_equal(b[0].end, 6000);
    ib_tcp_sack_note_rcvd(b, &n, 4, 8000, 9000);
    ib_tcp_sack_note_rcvd(b, &n, 4, 10000, 11000);
    ib_tcp_sack_note_rcvd(b, &n, 3, 12000, 13000); /* 3 with timestamps */
    assert_int_equal(n, 3);
    uint32_t want[] = {12000, 10000, 8000};
    for (int i = 0; i < 3; i++)
        assert_int_equal(b[i].start, want[i]);
    /* A duplicate of an old block moves it to the front. */
    ib_tcp_sack_note_rcvd(b, &n, 3, 8200, 8800);
    assert_int_equal(b[0].start, 8000);
    assert_int_equal(b[0].end, 9000);
    assert_int_equal(b[1].start, 12000);
    assert_int_equal(b[2].start, 10000);
    ib_tcp_sack_rcv_advance(b, &n, 10500);
    assert_int_equal(n, 2);
    assert_int_equal(b[0].start, 12000);
    assert_int_equal(b[1].start, 10500);
    assert_int_equal(b[1].end, 11000);
    /* across the wrap */
    n = 0;
    ib_tcp_sack_note_rcvd(b, &n, 4, 0xfffffc00u, 0x00000400u);
    ib_tcp_sack_note_rcvd(b, &n, 4, 0x00000400u, 0x00000800u);
    assert_int_equal(n, 1);
    assert_int_equal(b[0].start, 0xfffffc00u);
    assert_int_equal(b[0].end, 0x800u);
    ib_tcp_sack_rcv_advance(b, &n, 0x100u);
    assert_int_equal(b[0].start, 0x100u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scoreboard_merge_sort), cmocka_unit_test(test_scoreboard_bound),
        cmocka_unit_test(test_scoreboard_ignores),    cmocka_unit_test(test_is_lost),
        cmocka_unit_test(test_next_seg_order),        cmocka_unit_test(test_next_seg_new_data),
        cmocka_unit_test(test_enter_recovery),        cmocka_unit_test(test_receiver_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
