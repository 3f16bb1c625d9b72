/* Bulk transfers through a router (issue 3, §3): h1 sends N bytes to h2
 * over h1 - r1 - h2, where r1 - h2 is a 100 Mbit/s, 5 ms bottleneck that
 * also carries the impairments (in both directions, so ACKs suffer too).
 * The matrix: loss 0/1/5/10/20 %, reordering, duplication, corruption (the
 * IPv4 and TCP checksums must catch it) and everything at once, each with
 * small (16 KB) and large (4 MB) socket buffers and a shallow (5 packets)
 * or deep (1000) bottleneck queue, each across many seeds. Every transfer
 * must arrive byte-exact (hash and length), both ends must close cleanly
 * (h1: FIN_WAIT_1 .. TIME_WAIT, CLOSED 2*MSL later; h2: CLOSE_WAIT,
 * LAST_ACK, CLOSED; no reset, no error) and every packet must be back in
 * the pool.
 *
 * Scale: IB_BULK_SEEDS (default 50) seeds of IB_BULK_BYTES (default
 * 10,000,000) per cell; sanitizer builds default to 10 seeds of 1 MB.
 * IB_BULK_CELL picks cells by name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "tcp_bulk_harness.h"

#if defined(__SANITIZE_ADDRESS__)
#define BULK_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BULK_SANITIZED 1
#endif
#endif
#ifdef BULK_SANITIZED
#define BULK_DEFAULT_SEEDS 10u
#define BULK_DEFAULT_BYTES 1000000u
#else
#define BULK_DEFAULT_SEEDS 50u
#define BULK_DEFAULT_BYTES 10000000u
#endif

struct cell {
    const char *name;
    double loss, reorder, duplicate, corrupt;
    uint32_t buf;   /* sndbuf = rcvbuf */
    uint32_t queue; /* bottleneck queue, packets */
};

#define KB 1024u
#define MB (1024u * 1024u)
#define CELLS(IMP, LOSS, REO, DUP, COR)                                                            \
    {IMP "/16K/q5", LOSS, REO, DUP, COR, 16 * KB, 5},                                              \
        {IMP "/16K/q1000", LOSS, REO, DUP, COR, 16 * KB, 1000},                                    \
        {IMP "/4M/q5", LOSS, REO, DUP, COR, 4 * MB, 5},                                            \
        {IMP "/4M/q1000", LOSS, REO, DUP, COR, 4 * MB, 1000}

static const struct cell cells[] = {
    CELLS("loss0", 0, 0, 0, 0),
    CELLS("loss1", 0.01, 0, 0, 0),
    CELLS("loss5", 0.05, 0, 0, 0),
    CELLS("loss10", 0.10, 0, 0, 0),
    CELLS("loss20", 0.20, 0, 0, 0),
    CELLS("reorder5", 0, 0.05, 0, 0),
    CELLS("dup5", 0, 0, 0.05, 0),
    CELLS("corrupt5", 0, 0, 0, 0.05),
    CELLS("all", 0.02, 0.02, 0.02, 0.02),
};

static uint64_t env_u64(const char *name, uint64_t dflt)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return dflt;
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    return *end || x == 0 ? dflt : (uint64_t)x;
}

static void assert_pool_empty(const struct ib_world *w)
{
    struct ib_pkt_pool_stats st;
    ib_pkt_pool_stats(w->env.pool, &st);
    assert_int_equal(st.in_use, 0);
}

static bool has_trans(const struct bulk_side *sd, enum ib_tcp_state from, enum ib_tcp_state to)
{
    for (unsigned i = 0; i < sd->n && i < BULK_MAX_TRANS; i++)
        if (sd->tr[i].from == from && sd->tr[i].to == to)
            return true;
    return false;
}

static const struct bulk_trans *last_trans(const struct bulk_side *sd)
{
    assert_true(sd->n > 0 && sd->n <= BULK_MAX_TRANS);
    return &sd->tr[sd->n - 1];
}

static void print_trans(const char *who, const struct bulk_side *sd)
{
    for (unsigned i = 0; i < sd->n && i < BULK_MAX_TRANS; i++)
        print_error("%s: %.6f s %s -> %s, cause %d, flags 0x%02x\n", who,
                    (double)sd->tr[i].t / 1e9, ib_tcp_state_name(sd->tr[i].from),
                    ib_tcp_state_name(sd->tr[i].to), sd->tr[i].cause, sd->tr[i].flags);
}

/* RFC 9293 §3.6: the active closer (h1) goes FIN_WAIT_1 -> (FIN_WAIT_2 ->)
 * TIME_WAIT and leaves it after 2*MSL (restarted by a retransmitted FIN);
 * the passive one CLOSE_WAIT -> LAST_ACK -> CLOSED on the ACK of its FIN.
 * One legitimate exception where the network loses, duplicates or
 * reorders: a copy of h1's last ACK or a retransmission that crossed h2's
 * FIN reaches h2 after it closed, h2 answers with a reset (§3.10.7.1) and
 * the reset ends h1's TIME_WAIT (§3.10.7.4; no RFC 1337 protection). */
static void check_clean_close(const struct bulk_flow *f, bool strays)
{
    const struct bulk_side *h1 = &f->side[0], *h2 = &f->side[1];
    bool fw = has_trans(h1, IB_TCP_FIN_WAIT_1, IB_TCP_FIN_WAIT_2) ||
              has_trans(h1, IB_TCP_FIN_WAIT_1, IB_TCP_TIME_WAIT);
    const struct bulk_trans *l1 = last_trans(h1);
    bool by_rst = strays && l1->cause == IB_TCP_CAUSE_SEGMENT && (l1->flags & IB_TCP_RST);
    if (!fw || (l1->cause != IB_TCP_CAUSE_TIME_WAIT && !by_rst) ||
        last_trans(h2)->from != IB_TCP_LAST_ACK) {
        print_trans("h1", h1);
        print_trans("h2", h2);
    }
    assert_true(has_trans(h1, IB_TCP_SYN_SENT, IB_TCP_ESTABLISHED));
    assert_true(has_trans(h1, IB_TCP_ESTABLISHED, IB_TCP_FIN_WAIT_1));
    assert_true(fw);
    const struct bulk_trans *t = last_trans(h1);
    assert_int_equal(t->from, IB_TCP_TIME_WAIT);
    assert_int_equal(t->to, IB_TCP_CLOSED);
    if (by_rst) {
        assert_true(f->h2->tcp->mib.out_rsts > 0);
        assert_true(h1->closed_at > h2->closed_at);
    } else {
        assert_int_equal(t->cause, IB_TCP_CAUSE_TIME_WAIT);
        assert_true(h1->closed_at - h1->tw_at >= 2 * f->cfg.msl);
        assert_true(h1->closed_at - h1->tw_at <= 3 * f->cfg.msl);
        /* A reset answering a stray may itself be lost. */
        if (!strays)
            assert_int_equal(f->h1->tcp->mib.out_rsts + f->h2->tcp->mib.out_rsts, 0);
    }

    assert_true(has_trans(h2, IB_TCP_SYN_RECEIVED, IB_TCP_ESTABLISHED));
    assert_true(has_trans(h2, IB_TCP_ESTABLISHED, IB_TCP_CLOSE_WAIT));
    assert_true(has_trans(h2, IB_TCP_CLOSE_WAIT, IB_TCP_LAST_ACK));
    t = last_trans(h2);
    assert_int_equal(t->from, IB_TCP_LAST_ACK);
    assert_int_equal(t->to, IB_TCP_CLOSED);
    assert_int_equal(t->cause, IB_TCP_CAUSE_SEGMENT);
    assert_true(h2->closed_at <= h1->closed_at);
}

struct cell_totals {
    uint64_t bad_csum, retransmits, sim_ns, max_sim_ns;
};

static void run_one(const struct cell *c, uint64_t seed, uint64_t bytes, struct cell_totals *tot)
{
    struct ib_link_params edge = ib_link_defaults;
    edge.rate_bps = 1000000000;
    edge.delay = IB_MS(1);
    edge.queue = 1000;
    struct ib_link_params neck = ib_link_defaults;
    neck.rate_bps = 100000000;
    neck.delay = IB_MS(5);
    neck.queue = c->queue;
    neck.loss = c->loss;
    neck.reorder = c->reorder;
    neck.duplicate = c->duplicate;
    neck.corrupt = c->corrupt;
    struct ib_tcp_config cfg = ib_tcp_defaults;
    cfg.sndbuf = cfg.rcvbuf = c->buf;
    /* At 20 % loss each way a retransmission fails (it or its ACK lost)
     * 36 % of the time, so 13 failures in a row (the default 12 retries)
     * happen about once in 600,000 timeouts: a few times across the
     * cell's seeds. Giving up is tested elsewhere; here the data must
     * get through. */
    if (c->loss >= 0.2)
        cfg.max_retries = 30;

    struct bulk_flow *f = bulk_new(seed, &edge, &neck, &cfg, bytes, true);
    assert_non_null(f);
    /* 20 % loss each way with RTO backoff can need simulated hours. */
    int rc = bulk_run(f, IB_SEC(6 * 3600));
    if (rc != 0 || f->received != bytes)
        print_error("cell %s seed %llu: rc %d, sent %llu, received %llu of %llu, errors %d/%d/%d "
                    "at %.3f s\n",
                    c->name, (unsigned long long)seed, rc, (unsigned long long)f->sent,
                    (unsigned long long)f->received, (unsigned long long)bytes, f->client_err,
                    f->server_err, f->send_err, (double)ib_now(&f->w->env) / 1e9);
    assert_int_equal(rc, 0);
    assert_int_equal(f->client_err, 0);
    assert_int_equal(f->server_err, 0);
    assert_int_equal(f->send_err, 0);
    assert_int_equal(f->sent, bytes);
    assert_int_equal(f->received, bytes);
    assert_int_equal(bulk_hash_final(&f->rx), bulk_hash_final(&f->tx));
    if (f->side[0].n == 0 || f->side[0].n > BULK_MAX_TRANS)
        print_error("cell %s seed %llu: %u transitions at h1\n", c->name, (unsigned long long)seed,
                    f->side[0].n);
    check_clean_close(f, c->loss > 0 || c->duplicate > 0 || c->reorder > 0 || c->corrupt > 0 ||
                             c->queue < 1000);
    assert_int_equal(f->h1->tcp->mib.estab_resets + f->h2->tcp->mib.estab_resets, 0);

    /* Duplicates may still be on the wire; then nothing may be left. */
    ib_world_run(f->w, ib_now(&f->w->env) + IB_SEC(5));
    assert_pool_empty(f->w);

    uint64_t bad = bulk_drops(f, IB_DROP_TCP_BAD_CHECKSUM) + bulk_drops(f, IB_DROP_IP_BAD_CHECKSUM);
    tot->bad_csum += bad;
    tot->retransmits += f->h1->tcp->mib.retrans_segs;
    uint64_t sim = (uint64_t)(f->side[1].closed_at);
    tot->sim_ns += sim;
    if (sim > tot->max_sim_ns)
        tot->max_sim_ns = sim;
    /* The impairments did happen (summed over both directions). */
    const struct ib_link *neck_link = f->w->links[1];
    const struct ib_link_stats *d0 = &neck_link->end[0].stats, *d1 = &neck_link->end[1].stats;
    assert_int_equal(d0->lost + d1->lost > 0, c->loss > 0);
    assert_int_equal(d0->reordered + d1->reordered > 0, c->reorder > 0);
    assert_int_equal(d0->duplicated + d1->duplicated > 0, c->duplicate > 0);
    assert_int_equal(d0->corrupted + d1->corrupted > 0, c->corrupt > 0);
    if (c->corrupt > 0)
        assert_true(bulk_drops(f, IB_DROP_TCP_BAD_CHECKSUM) > 0);
    else
        assert_int_equal(bad, 0);
    /* A 16 KB window fits the path (BDP plus a deep queue) without loss;
     * 4 MB overflows even 1000 packets in slow start. */
    if (c->loss == 0 && c->corrupt == 0 && c->queue >= 1000 && c->reorder == 0 &&
        c->duplicate == 0 && c->buf <= 16 * KB)
        assert_int_equal(f->h1->tcp->mib.retrans_segs, 0);
    bulk_free(f);
}

static void test_cell(void **state)
{
    const struct cell *c = *state;
    uint64_t seeds = env_u64("IB_BULK_SEEDS", BULK_DEFAULT_SEEDS);
    uint64_t bytes = env_u64("IB_BULK_BYTES", BULK_DEFAULT_BYTES);
    struct cell_totals tot = {0};
    for (uint64_t s = 1; s <= seeds; s++)
        run_one(c, s * 1000003u + (uint64_t)(c - cells), bytes, &tot);
    print_message("%-24s %llu x %llu bytes: mean %.2f s simulated (max %.2f), %llu retransmits, "
                  "%llu bad checksums\n",
                  c->name, (unsigned long long)seeds, (unsigned long long)bytes,
                  (double)tot.sim_ns / 1e9 / (double)seeds, (double)tot.max_sim_ns / 1e9,
                  (unsigned long long)tot.retransmits, (unsigned long long)tot.bad_csum);
}

/* The hash is order-sensitive and chunking-insensitive, and the stream is
 * addressable by offset: a stream generated in odd pieces equals the
 * stream generated at once. */
static void test_harness_stream(void **state)
{
    enum { N = 100003 };
    uint8_t *a = malloc(N), *b = malloc(N);
    assert_non_null(a);
    assert_non_null(b);
    bulk_fill(7, 0, a, N);
    for (size_t off = 0, step = 1; off < N; off += step, step = step * 3 % 1031 + 1)
        bulk_fill(7, off, b + off, off + step <= N ? step : N - off);
    assert_memory_equal(a, b, N);
    struct bulk_hash h1, h2;
    bulk_hash_init(&h1);
    bulk_hash_init(&h2);
    bulk_hash_update(&h1, a, N);
    for (size_t off = 0, step = 5; off < N; off += step, step = step * 7 % 997 + 1)
        bulk_hash_update(&h2, a + off, off + step <= N ? step : N - off);
    assert_int_equal(bulk_hash_final(&h1), bulk_hash_final(&h2));
    /* One flipped bit, two swapped bytes, one byte fewer: all differ. */
    uint64_t want = bulk_hash_final(&h1);
    b[N / 2] ^= 4;
    bulk_hash_init(&h2);
    bulk_hash_update(&h2, b, N);
    assert_true(bulk_hash_final(&h2) != want);
    b[N / 2] ^= 4;
    uint8_t t = b[10];
    b[10] = b[11];
    b[11] = t;
    bulk_hash_init(&h2);
    bulk_hash_update(&h2, b, N);
    assert_true(a[10] == a[11] || bulk_hash_final(&h2) != want);
    bulk_hash_init(&h2);
    bulk_hash_update(&h2, a, N - 1);
    assert_true(bulk_hash_final(&h2) != want);
    /* Different seeds give different streams. */
    bulk_fill(8, 0, b, N);
    assert_true(memcmp(a, b, N) != 0);
    free(a);
    free(b);
}

#define NCELLS (sizeof(cells) / sizeof(cells[0]))

int main(void)
{
    /* IB_BULK_CELL: run only the cells whose names match (cmocka's
     * wildcard pattern, e.g. "loss20*"). */
    const char *only = getenv("IB_BULK_CELL");
    if (only && *only)
        cmocka_set_test_filter(only);
    struct CMUnitTest tests[NCELLS + 1];
    tests[0] = (struct CMUnitTest)cmocka_unit_test(test_harness_stream);
    for (size_t i = 0; i < NCELLS; i++) {
        tests[i + 1] = (struct CMUnitTest)cmocka_unit_test_prestate(test_cell, (void *)&cells[i]);
        tests[i + 1].name = cells[i].name;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
