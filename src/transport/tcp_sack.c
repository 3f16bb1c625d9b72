/* SACK on both sides of a connection.
 *
 * Sender: the scoreboard of RFC 6675 §3 — the SACK blocks the peer
 * reported above snd_una (HighACK) and not beyond snd_max (HighData),
 * sorted and merged, at most IB_TCP_SB_MAX of them — and the routines of
 * RFC 6675 §4 built on it: IsLost() with DupThresh 3, SetPipe() and
 * NextSeg() with HighRxt and RescueRxt. D-SACK blocks (RFC 2883) carry no
 * new information for loss recovery and are ignored.
 *
 * The scoreboard is a short sorted array rather than per-segment state, so
 * its cost is fixed (a few dozen bytes in the TCB) and every routine is a
 * walk over at most IB_TCP_SB_MAX "holes" (unSACKed ranges between blocks).
 *
 * Receiver: the list of blocks we report in our own SACK option, kept in
 * the order RFC 2018 §4 asks for. */
#include "transport/tcp_int.h"

/* RFC 6675 §2: "DupThresh ... Specifically, RFC 5681 sets DupThresh to 3". */
#define SACK_DUPTHRESH 3u

void ib_tcp_sb_reset(struct ib_tcp_sb *sb)
{
    sb->n = 0;
    sb->high_rxt = 0;
    sb->rescue_rxt = 0;
}

/* Adds [start, end) to the sorted, merged scoreboard; when it overflows
 * the highest block goes (RFC 6675 §3 lets the scoreboard be partial:
 * forgetting a block only makes the sender more conservative). */
static void sb_insert(struct ib_tcp_sb *sb, uint32_t start, uint32_t end)
{
    struct ib_tcp_sack_block tmp[IB_TCP_SB_MAX + 1];
    uint8_t n = 0;
    bool placed = false;
    for (uint8_t i = 0; i < sb->n; i++) {
        struct ib_tcp_sack_block b = sb->b[i];
        if (ib_seq_lt(b.end, start)) {
            tmp[n++] = b; /* entirely below, not touching */
        } else if (ib_seq_gt(b.start, end)) {
            if (!placed) {
                tmp[n++] = (struct ib_tcp_sack_block){start, end};
                placed = true;
            }
            tmp[n++] = b;
        } else {
            /* overlapping or adjacent: absorb it into the new block */
            start = ib_seq_min(start, b.start);
            end = ib_seq_max(end, b.end);
        }
    }
    if (!placed) tmp[n++] = (struct ib_tcp_sack_block){start, end};
    if (n > IB_TCP_SB_MAX) n = IB_TCP_SB_MAX;
    for (uint8_t i = 0; i < n; i++)
        sb->b[i] = tmp[i];
    sb->n = n;
}

void ib_tcp_sb_update(struct ib_tcp *c, const struct ib_tcp_opts *o)
{
    uint8_t nsack = o->nsack < IB_TCP_MAX_SACK ? o->nsack : IB_TCP_MAX_SACK;
    for (uint8_t i = 0; i < nsack; i++) {
        uint32_t start = o->sack[i].start, end = o->sack[i].end;
        if (!ib_seq_lt(start, end)) continue;
        /* RFC 2883 §4: the first block is a D-SACK if it lies below the
         * cumulative ACK, or inside the second block. It reports a
         * duplicate, not a hole filled, so the scoreboard ignores it. */
        if (i == 0 && ib_seq_lt(start, c->snd_una)) continue;
        if (i == 0 && nsack > 1 && ib_seq_geq(start, o->sack[1].start) &&
            ib_seq_leq(end, o->sack[1].end) && ib_seq_lt(o->sack[1].start, o->sack[1].end))
            continue;
        /* RFC 2018 §5 / RFC 6675 §5: only data above HighACK and sent
         * (not beyond HighData) can be SACKed; anything else is bogus. */
        if (ib_seq_leq(end, c->snd_una) || ib_seq_gt(end, c->snd_max)) continue;
        sb_insert(&c->sb, ib_seq_max(start, c->snd_una), end);
    }
}

void ib_tcp_sb_advance(struct ib_tcp *c)
{
    struct ib_tcp_sb *sb = &c->sb;
    uint8_t k = 0;
    for (uint8_t i = 0; i < sb->n; i++) {
        if (ib_seq_leq(sb->b[i].end, c->snd_una)) continue;
        sb->b[k] = sb->b[i];
        sb->b[k].start = ib_seq_max(sb->b[k].start, c->snd_una);
        k++;
    }
    sb->n = k;
}

bool ib_tcp_sb_is_sacked(const struct ib_tcp *c, uint32_t seq)
{
    for (uint8_t i = 0; i < c->sb.n; i++)
        if (ib_seq_geq(seq, c->sb.b[i].start) && ib_seq_lt(seq, c->sb.b[i].end)) return true;
    return false;
}

uint32_t ib_tcp_sb_sacked_bytes(const struct ib_tcp *c)
{
    uint32_t sum = 0;
    for (uint8_t i = 0; i < c->sb.n; i++)
        sum += c->sb.b[i].end - c->sb.b[i].start;
    return sum;
}

/* RFC 6675 §4 IsLost(): "returns true when either DupThresh discontiguous
 * SACKed sequences have arrived above 'SeqNum' or more than (DupThresh -
 * 1) * SMSS bytes with sequence numbers greater than 'SeqNum' have been
 * SACKed". A discontiguous SACKed sequence is one scoreboard block. */
bool ib_tcp_sb_is_lost(const struct ib_tcp *c, uint32_t seq)
{
    uint32_t blocks = 0, bytes = 0;
    for (uint8_t i = 0; i < c->sb.n; i++) {
        const struct ib_tcp_sack_block *b = &c->sb.b[i];
        if (!ib_seq_gt(b->end, seq + 1)) continue;
        blocks++;
        bytes += b->end - ib_seq_max(b->start, seq + 1);
    }
    return blocks >= SACK_DUPTHRESH || bytes > (SACK_DUPTHRESH - 1) * c->mss;
}

/* HighRxt is kept as the sequence number just past the highest byte
 * retransmitted, so "S2 > HighRxt" of RFC 6675 reads S2 >= high_rxt here.
 * A value outside [HighACK, HighData] is from an earlier recovery. */
static uint32_t sb_high_rxt(const struct ib_tcp *c)
{
    uint32_t h = c->sb.high_rxt;
    if (ib_seq_lt(h, c->snd_una) || ib_seq_gt(h, c->snd_max)) return c->snd_una;
    return h;
}

void ib_tcp_sb_enter_recovery(struct ib_tcp *c)
{
    c->sb.high_rxt = c->snd_una;
    /* RFC 6675 §4 NextSeg (4): RescueRxt is "undefined" at the start of
     * recovery; any value below HighACK behaves the same. */
    c->sb.rescue_rxt = c->snd_una - 1;
}

/* Hole i is the unSACKed range just below block i; hole n is the one
 * above the last block (up to HighData). */
static void sb_hole(const struct ib_tcp *c, uint8_t i, uint32_t *start, uint32_t *end)
{
    *start = i == 0 ? c->snd_una : c->sb.b[i - 1].end;
    *end = i < c->sb.n ? c->sb.b[i].start : c->snd_max;
}

/* IsLost() is the same for every byte of a hole (the SACKed data above
 * it does not change inside it), and only the holes below the last block
 * can be lost. */
static bool sb_hole_lost(const struct ib_tcp *c, uint8_t i)
{
    uint32_t s, e;
    sb_hole(c, i, &s, &e);
    return i < c->sb.n && ib_seq_lt(s, e) && ib_tcp_sb_is_lost(c, s);
}

/* RFC 6675 §4 SetPipe(): every unSACKed octet between HighACK and HighData
 * counts once if it is not lost (a) and once more if it was retransmitted
 * (S1 <= HighRxt) (b). */
uint32_t ib_tcp_sb_pipe(const struct ib_tcp *c)
{
    uint32_t pipe = 0, hr = sb_high_rxt(c);
    for (uint8_t i = 0; i <= c->sb.n; i++) {
        uint32_t s, e;
        sb_hole(c, i, &s, &e);
        if (!ib_seq_lt(s, e)) continue;
        if (!sb_hole_lost(c, i)) pipe += e - s;
        if (ib_seq_lt(s, hr)) pipe += ib_seq_min(e, hr) - s;
    }
    return pipe;
}

bool ib_tcp_sb_next_seg(struct ib_tcp *c, uint32_t *seq, uint32_t *len)
{
    uint32_t hr = sb_high_rxt(c);
    uint32_t mss = c->mss;
    /* RFC 6675 §4 NextSeg (1): the lowest unSACKed S2 with S2 > HighRxt
     * (1.a), below the highest SACKed octet (1.b; holes below the last
     * block) and IsLost(S2) (1.c). (3): the same without (1.c), but only
     * when (2) cannot send new data. */
    uint32_t s3 = 0, e3 = 0;
    bool have3 = false;
    for (uint8_t i = 0; i < c->sb.n; i++) {
        uint32_t s, e;
        sb_hole(c, i, &s, &e);
        s = ib_seq_max(s, hr);
        if (!ib_seq_lt(s, e)) continue;
        if (sb_hole_lost(c, i)) {
            *seq = s;
            *len = ib_seq_min(e - s, mss);
            /* RFC 6675 §5 (C.3): HighRxt becomes the highest retransmitted
             * sequence number; the caller sends what NextSeg returns. */
            c->sb.high_rxt = s + *len;
            return true;
        }
        if (!have3) {
            s3 = s;
            e3 = e;
            have3 = true;
        }
    }
    /* RFC 6675 §4 NextSeg (2): previously unsent data starting at
     * HighData, if there is some and the receiver's window allows. */
    uint32_t unsent = c->snd.len > ib_tcp_flight(c) ? c->snd.len - ib_tcp_flight(c) : 0;
    uint32_t wnd_end = c->snd_una + c->snd_wnd;
    if (unsent && ib_seq_lt(c->snd_max, wnd_end)) {
        uint32_t n = ib_seq_min(unsent, wnd_end - c->snd_max);
        *seq = c->snd_max;
        *len = n < mss ? n : mss;
        return true;
    }
    if (have3) {
        *seq = s3;
        *len = ib_seq_min(e3 - s3, mss);
        c->sb.high_rxt = s3 + *len;
        return true;
    }
    /* RFC 6675 §4 NextSeg (4): one rescue retransmission per recovery,
     * ending with the highest outstanding unSACKed octet, "If HighACK is
     * greater than RescueRxt (or RescueRxt is undefined)"; it sets
     * RescueRxt to RecoveryPoint and leaves HighRxt alone. */
    uint32_t rr = c->sb.rescue_rxt;
    bool rescue_ok = ib_seq_gt(c->snd_una, rr) || ib_seq_gt(rr, c->snd_max);
    if (!rescue_ok) return false;
    for (int i = c->sb.n; i >= 0; i--) {
        uint32_t s, e;
        sb_hole(c, (uint8_t)i, &s, &e);
        if (!ib_seq_lt(s, e)) continue;
        uint32_t n = ib_seq_min(e - s, mss);
        *seq = e - n;
        *len = n;
        c->sb.rescue_rxt = c->recover;
        return true;
    }
    return false;
}

void ib_tcp_sack_note_rcvd(struct ib_tcp_sack_block *blocks, uint8_t *n, uint8_t max,
                           uint32_t start, uint32_t end)
{
    if (!ib_seq_lt(start, end) || max == 0) return;
    /* RFC 2018 §4: "The first SACK block ... MUST specify the contiguous
     * block of data containing the segment which triggered this ACK"; the
     * others repeat the most recently reported blocks, so the older order
     * is kept behind it. Blocks the new one touches merge into it. */
    struct ib_tcp_sack_block tmp[IB_TCP_MAX_SACK];
    uint8_t k = 0;
    for (uint8_t i = 0; i < *n; i++) {
        struct ib_tcp_sack_block b = blocks[i];
        if (ib_seq_geq(b.end, start) && ib_seq_leq(b.start, end)) {
            start = ib_seq_min(start, b.start);
            end = ib_seq_max(end, b.end);
        } else if (k < IB_TCP_MAX_SACK) {
            tmp[k++] = b;
        }
    }
    blocks[0] = (struct ib_tcp_sack_block){start, end};
    uint8_t out = 1;
    for (uint8_t i = 0; i < k && out < max; i++)
        blocks[out++] = tmp[i];
    *n = out;
}

void ib_tcp_sack_rcv_advance(struct ib_tcp_sack_block *blocks, uint8_t *n, uint32_t rcv_nxt)
{
    uint8_t k = 0;
    for (uint8_t i = 0; i < *n; i++) {
        /* RFC 2018 §4: blocks report only data above the cumulative ACK. */
        if (ib_seq_leq(blocks[i].end, rcv_nxt)) continue;
        blocks[k] = blocks[i];
        blocks[k].start = ib_seq_max(blocks[k].start, rcv_nxt);
        k++;
    }
    *n = k;
}
