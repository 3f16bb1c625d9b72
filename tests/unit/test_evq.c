/* Event queue: order by (time, insertion order) against a sorted reference,
 * timer re-arming and cancelling, run_until semantics, and large times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "inetbox/evq.h"
#include "inetbox/rng.h"

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* A timer that records when and in which order it ran. */
struct rec {
    struct ib_timer t;
    struct ib_evq *q;
    uint64_t seq; /* insertion order */
    ib_time due;
    int runs;
    ib_time ran_at;
    struct log *log;
};

struct log {
    uint64_t *seq;
    size_t n, cap;
};

static void log_add(struct log *l, uint64_t v)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->seq = realloc(l->seq, l->cap * sizeof(*l->seq));
        assert_non_null(l->seq);
    }
    l->seq[l->n++] = v;
}

static void rec_fire(struct ib_timer *t)
{
    struct rec *r = container_of(t, struct rec, t);
    r->runs++;
    r->ran_at = r->q->now;
    if (r->log) log_add(r->log, r->seq);
}

static int by_time_seq(const void *a, const void *b)
{
    const struct rec *x = *(struct rec *const *)a, *y = *(struct rec *const *)b;
    if (x->due != y->due) return x->due < y->due ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Arms n timers at times drawn by pick() and checks that they run in
 * (time, insertion) order, each at its own time. */
static void check_order(size_t n, ib_time (*pick)(struct ib_rng *r), uint64_t seed)
{
    struct ib_evq *q = malloc(sizeof(*q));
    assert_non_null(q);
    ib_evq_init(q);
    struct rec *recs = calloc(n, sizeof(*recs));
    struct rec **sorted = malloc(n * sizeof(*sorted));
    struct log log = {0};
    struct ib_rng r;
    ib_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        struct rec *x = &recs[i];
        ib_timer_init(&x->t, rec_fire);
        x->q = q;
        x->seq = i;
        x->due = pick(&r);
        x->log = &log;
        sorted[i] = x;
        assert_int_equal(ib_evq_arm(q, &x->t, x->due), IB_OK);
    }
    assert_int_equal(q->pending, n);
    qsort(sorted, n, sizeof(*sorted), by_time_seq);
    assert_int_equal(ib_evq_next_time(q), sorted[0]->due);
    assert_int_equal(ib_evq_run_until(q, IB_TIME_NEVER), n);
    assert_int_equal(log.n, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(log.seq[i], sorted[i]->seq);
        assert_int_equal(sorted[i]->ran_at, sorted[i]->due);
        assert_int_equal(sorted[i]->runs, 1);
    }
    assert_int_equal(q->pending, 0);
    assert_int_equal(q->executed, n);
    assert_int_equal(ib_evq_next_time(q), IB_TIME_NEVER);
    ib_evq_destroy(q);
    free(q);
    free(recs);
    free(sorted);
    free(log.seq);
}

static ib_time pick_wide(struct ib_rng *r)
{
    return (ib_time)ib_rng_below(r, (uint64_t)1 << 50);
}
static ib_time pick_dense(struct ib_rng *r)
{
    return (ib_time)ib_rng_below(r, 1000);
}
/* Times spread over every byte, with many ties. */
static ib_time pick_mixed(struct ib_rng *r)
{
    return (ib_time)(ib_rng_below(r, 64) << (8 * ib_rng_below(r, 8)));
}

static ib_time pick_same(struct ib_rng *r)
{
    (void)r;
    return IB_SEC(3);
}

static void test_order_wide(void **state)
{
    (void)state;
    check_order(20000, pick_wide, 1);
}

static void test_order_dense_ties(void **state)
{
    (void)state;
    check_order(20000, pick_dense, 2);
}

static void test_order_mixed(void **state)
{
    (void)state;
    check_order(20000, pick_mixed, 3);
}

/* 20000 entries within one 256 ns window: more than one sorted batch (the
 * queue's "run") holds, so they take the other way down; same order. */
static ib_time pick_burst(struct ib_rng *r)
{
    return (ib_time)(256 + ib_rng_below(r, 256));
}

static void test_order_burst(void **state)
{
    (void)state;
    check_order(20000, pick_burst, 5);
}

/* Many timers at one time run in the order they were armed. */
static void test_ties_fifo(void **state)
{
    (void)state;
    check_order(5000, pick_same, 4);
}

/* A timer armed from a callback at the current time runs after everything
 * already queued for that time. */
struct chain {
    struct ib_timer t;
    struct ib_evq *q;
    struct ib_timer *late;
    struct log *log;
    uint64_t id;
};

static void chain_fire(struct ib_timer *t)
{
    struct chain *c = container_of(t, struct chain, t);
    log_add(c->log, c->id);
    if (c->late) assert_int_equal(ib_evq_arm(c->q, c->late, c->q->now), IB_OK);
}

static void test_arm_in_callback_same_time(void **state)
{
    (void)state;
    struct ib_evq q;
    ib_evq_init(&q);
    struct log log = {0};
    struct chain c[5];
    for (int i = 0; i < 5; i++) {
        ib_timer_init(&c[i].t, chain_fire);
        c[i].q = &q;
        c[i].late = NULL;
        c[i].log = &log;
        c[i].id = (uint64_t)i;
    }
    /* 0, 1, 2 at t=1000; 0 arms 3 at 1000 (then 3 arms 4 at 1000). */
    c[0].late = &c[3].t;
    c[3].late = &c[4].t;
    for (int i = 0; i < 3; i++)
        ib_evq_arm(&q, &c[i].t, 1000);
    /* An arm in the past is clamped to now. */
    ib_evq_run_until(&q, 500);
    assert_int_equal(q.now, 500);
    assert_int_equal(ib_evq_run_until(&q, IB_TIME_NEVER), 5);
    assert_int_equal(log.n, 5);
    for (uint64_t i = 0; i < 5; i++)
        assert_int_equal(log.seq[i], i);
    assert_int_equal(q.now, 1000);
    ib_evq_destroy(&q);
    free(log.seq);
}

static void test_cancel(void **state)
{
    (void)state;
    struct ib_evq q;
    ib_evq_init(&q);
    struct rec a = {0}, b = {0};
    ib_timer_init(&a.t, rec_fire);
    ib_timer_init(&b.t, rec_fire);
    a.q = b.q = &q;
    ib_evq_arm(&q, &a.t, 100);
    ib_evq_arm(&q, &b.t, 200);
    assert_true(ib_timer_armed(&a.t));
    ib_evq_cancel(&a.t);
    assert_false(ib_timer_armed(&a.t));
    /* The stale entry is still counted and still the earliest. */
    assert_int_equal(q.pending, 2);
    assert_int_equal(ib_evq_next_time(&q), 100);
    assert_int_equal(ib_evq_run_until(&q, IB_TIME_NEVER), 1);
    assert_int_equal(a.runs, 0);
    assert_int_equal(b.runs, 1);
    assert_int_equal(q.executed, 1);
    assert_int_equal(q.pending, 0);
    /* A cancelled timer can be armed again. */
    ib_evq_arm(&q, &a.t, 300);
    assert_int_equal(ib_evq_run_until(&q, IB_TIME_NEVER), 1);
    assert_int_equal(a.runs, 1);
    assert_int_equal(a.ran_at, 300);
    /* Arming at IB_TIME_NEVER is cancelling. */
    ib_evq_arm(&q, &a.t, 400);
    ib_evq_arm(&q, &a.t, IB_TIME_NEVER);
    assert_false(ib_timer_armed(&a.t));
    assert_int_equal(ib_evq_run_until(&q, IB_TIME_NEVER), 0);
    ib_evq_destroy(&q);
}

static void test_rearm_later_and_earlier(void **state)
{
    (void)state;
    struct ib_evq q;
    ib_evq_init(&q);
    struct rec a = {0}, b = {0};
    ib_timer_init(&a.t, rec_fire);
    ib_timer_init(&b.t, rec_fire);
    a.q = b.q = &q;

    /* Later: no new entry; the old one re-queues itself when due. */
    ib_evq_arm(&q, &a.t, 100);
    ib_evq_arm(&q, &a.t, 5000);
    assert_int_equal(q.pending, 1);
    assert_int_equal(a.t.when, 5000);
    ib_evq_arm(&q, &b.t, 1000);
    assert_false(ib_evq_run_one(&q, 999));
    assert_int_equal(a.runs, 0);
    assert_true(ib_evq_run_one(&q, 1000));
    assert_int_equal(b.runs, 1);
    assert_int_equal(q.now, 1000);
    assert_int_equal(ib_evq_next_time(&q), 5000);
    assert_int_equal(ib_evq_run_until(&q, IB_TIME_NEVER), 1);
    assert_int_equal(a.runs, 1);
    assert_int_equal(a.ran_at, 5000);

    /* Earlier: a new entry; the old one becomes stale and is skipped. */
    ib_evq_arm(&q, &a.t, 9000);
    ib_evq_arm(&q, &a.t, 6000);
    assert_int_equal(q.pending, 2);
    assert_int_equal(ib_evq_run_until(&q, IB_TIME_NEVER), 1);
    assert_int_equal(a.runs, 2);
    assert_int_equal(a.ran_at, 6000);
    assert_int_equal(q.pending, 0);
    assert_int_equal(q.now, 9000);

    /* Later then earlier again, but still after the queued entry. */
    ib_evq_arm(&q, &a.t, 10000);
    ib_evq_arm(&q, &a.t, 30000);
    ib_evq_arm(&q, &a.t, 20000);
    assert_int_equal(q.pending, 1);
    assert_int_equal(ib_evq_run_until(&q, IB_TIME_NEVER), 1);
    assert_int_equal(a.ran_at, 20000);

    /* One nanosecond later is still later. */
    ib_evq_arm(&q, &a.t, 20100);
    ib_evq_arm(&q, &a.t, 20101);
    assert_false(ib_evq_run_one(&q, 20100));
    assert_true(ib_evq_run_one(&q, 20101));
    assert_int_equal(a.ran_at, 20101);
    ib_evq_destroy(&q);
}

static void test_run_until(void **state)
{
    (void)state;
    struct ib_evq q;
    ib_evq_init(&q);
    struct rec a[3];
    memset(a, 0, sizeof(a));
    for (int i = 0; i < 3; i++) {
        ib_timer_init(&a[i].t, rec_fire);
        a[i].q = &q;
        ib_evq_arm(&q, &a[i].t, IB_MS(i + 1));
    }
    assert_int_equal(ib_evq_run_until(&q, IB_MS(1) - 1), 0);
    assert_int_equal(q.now, IB_MS(1) - 1);
    /* The limit is inclusive. */
    assert_int_equal(ib_evq_run_until(&q, IB_MS(2)), 2);
    assert_int_equal(q.now, IB_MS(2));
    assert_int_equal(ib_evq_next_time(&q), IB_MS(3));
    /* now never goes backwards. */
    assert_int_equal(ib_evq_run_until(&q, IB_MS(1)), 0);
    assert_int_equal(q.now, IB_MS(2));
    /* Time moves past the last event to the limit. */
    assert_int_equal(ib_evq_run_until(&q, IB_SEC(10)), 1);
    assert_int_equal(q.now, IB_SEC(10));
    assert_int_equal(a[2].ran_at, IB_MS(3));
    /* Arming relative to the new now works and clamps the past. */
    ib_evq_arm(&q, &a[0].t, IB_MS(5));
    assert_int_equal(a[0].t.when, IB_SEC(10));
    assert_int_equal(ib_evq_run_until(&q, IB_TIME_NEVER), 1);
    assert_int_equal(q.now, IB_SEC(10));
    ib_evq_destroy(&q);
}

/* run_one() that finds its earliest slot beyond the limit must leave the
 * wheel as it was, so a smaller event armed later still comes first. */
static void test_limit_does_not_mutate(void **state)
{
    (void)state;
    struct ib_evq q;
    ib_evq_init(&q);
    struct rec a = {0}, b = {0};
    ib_timer_init(&a.t, rec_fire);
    ib_timer_init(&b.t, rec_fire);
    a.q = b.q = &q;
    ib_evq_arm(&q, &a.t, 0x30000);
    assert_false(ib_evq_run_one(&q, 0x2ffff));
    assert_true(q.base <= (uint64_t)q.now);
    ib_evq_arm(&q, &b.t, 0x2ffff);
    assert_true(ib_evq_run_one(&q, IB_TIME_NEVER));
    assert_int_equal(b.runs, 1);
    assert_int_equal(a.runs, 0);
    assert_true(ib_evq_run_one(&q, IB_TIME_NEVER));
    assert_int_equal(a.runs, 1);
    ib_evq_destroy(&q);
}

/* Times beyond 2^40 ns (18 minutes) and up to 2^62 ns (146 years). */
static void test_large_times(void **state)
{
    (void)state;
    struct ib_evq q;
    ib_evq_init(&q);
    struct rec a[4];
    memset(a, 0, sizeof(a));
    ib_time due[4] = {(ib_time)1 << 62, ((ib_time)1 << 41) + 7, ((ib_time)1 << 41) + 3,
                      ((ib_time)1 << 40) + 255};
    for (int i = 0; i < 4; i++) {
        ib_timer_init(&a[i].t, rec_fire);
        a[i].q = &q;
        ib_evq_arm(&q, &a[i].t, due[i]);
    }
    assert_int_equal(ib_evq_next_time(&q), due[3]);
    assert_true(ib_evq_run_one(&q, IB_TIME_NEVER));
    assert_int_equal(a[3].ran_at, due[3]);
    assert_true(ib_evq_run_one(&q, IB_TIME_NEVER));
    assert_int_equal(a[2].ran_at, due[2]);
    /* A re-arm between queued times lands in order. */
    ib_evq_arm(&q, &a[3].t, ((ib_time)1 << 41) + 5);
    assert_true(ib_evq_run_one(&q, IB_TIME_NEVER));
    assert_int_equal(a[3].ran_at, ((ib_time)1 << 41) + 5);
    assert_true(ib_evq_run_one(&q, IB_TIME_NEVER));
    assert_int_equal(a[1].ran_at, due[1]);
    assert_true(ib_evq_run_one(&q, IB_TIME_NEVER));
    assert_int_equal(a[0].ran_at, due[0]);
    assert_false(ib_evq_run_one(&q, IB_TIME_NEVER));
    ib_evq_destroy(&q);
}

/* ib_evq_forget unhooks the live entry and the stale ones, so the timer's
 * memory can be freed while the queue runs on (ASan checks the frees). */
static void test_forget(void **state)
{
    (void)state;
    struct ib_evq q;
    ib_evq_init(&q);
    struct rec keep;
    memset(&keep, 0, sizeof(keep));
    ib_timer_init(&keep.t, rec_fire);
    keep.q = &q;
    ib_evq_arm(&q, &keep.t, 5000);

    /* Never queued: nothing to do. */
    struct rec *a = calloc(1, sizeof(*a));
    ib_timer_init(&a->t, rec_fire);
    ib_evq_forget(&q, &a->t);
    free(a);

    /* One live entry. */
    a = calloc(1, sizeof(*a));
    ib_timer_init(&a->t, rec_fire);
    a->q = &q;
    ib_evq_arm(&q, &a->t, 3000);
    assert_int_equal(a->t.entries, 1);
    ib_evq_forget(&q, &a->t);
    assert_int_equal(a->t.entries, 0);
    assert_false(ib_timer_armed(&a->t));
    free(a);

    /* Stale entries spread over several levels, plus a live one. */
    a = calloc(1, sizeof(*a));
    ib_timer_init(&a->t, rec_fire);
    a->q = &q;
    ib_evq_arm(&q, &a->t, (ib_time)1 << 40);
    ib_evq_arm(&q, &a->t, 1 << 20);
    ib_evq_arm(&q, &a->t, 4000);
    ib_evq_arm(&q, &a->t, 100);
    assert_int_equal(a->t.entries, 4);
    assert_int_equal(q.pending, 6); /* forgotten entries count until they pop */
    ib_evq_forget(&q, &a->t);
    assert_int_equal(a->t.entries, 0);
    free(a);

    /* The forgotten entries are skipped; the other timer still runs. */
    assert_int_equal(ib_evq_run_until(&q, IB_TIME_NEVER), 1);
    assert_int_equal(keep.runs, 1);
    assert_int_equal(keep.ran_at, 5000);
    assert_int_equal(q.pending, 0);
    assert_int_equal(keep.t.entries, 0);
    ib_evq_destroy(&q);
}

/* A timer re-armed earlier leaves its old entry behind. Armed again for
 * that entry's very time, it runs in the place of the new arming: after a
 * timer armed for that time in between (the stale entry does not stand in
 * for it). */
static void test_stale_entry_same_time(void **state)
{
    (void)state;
    struct ib_evq q;
    ib_evq_init(&q);
    struct log log = {0};
    struct rec a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    ib_timer_init(&a.t, rec_fire);
    ib_timer_init(&b.t, rec_fire);
    a.q = b.q = &q;
    a.log = b.log = &log;
    a.seq = 0;
    b.seq = 1;
    ib_evq_arm(&q, &a.t, 1000);
    ib_evq_arm(&q, &b.t, 1000);
    ib_evq_arm(&q, &a.t, 500);
    assert_int_equal(ib_evq_run_until(&q, 500), 1);
    assert_int_equal(a.ran_at, 500);
    assert_int_equal(a.t.entries, 1); /* the stale one */
    ib_evq_arm(&q, &a.t, 1000);
    assert_int_equal(ib_evq_run_until(&q, IB_TIME_NEVER), 2);
    assert_int_equal(log.n, 3);
    assert_int_equal(log.seq[0], 0);
    assert_int_equal(log.seq[1], 1);
    assert_int_equal(log.seq[2], 0);
    assert_int_equal(a.runs, 2);
    assert_int_equal(a.ran_at, 1000);
    assert_int_equal(a.t.entries, 0);
    assert_int_equal(q.pending, 0);
    ib_evq_destroy(&q);
    free(log.seq);
}

/* The timers of a 256 ns window are sorted into one batch when the window
 * comes due. Forgetting a timer of the batch, a limit inside it and timers
 * armed into it meanwhile (after those armed before for the same time) all
 * behave as anywhere else in the wheel. */
static void test_window_batch(void **state)
{
    (void)state;
    enum { N = 100, LATE = 3 };
    struct ib_evq q;
    ib_evq_init(&q);
    struct log log = {0};
    struct rec *r = calloc(N + LATE, sizeof(*r));
    struct rec **sorted = malloc((N + LATE) * sizeof(*sorted));
    assert_non_null(r);
    assert_non_null(sorted);
    /* Even times 1024 .. 1222 (one level-1 slot), armed out of order. */
    for (uint32_t i = 0; i < N + LATE; i++) {
        ib_timer_init(&r[i].t, rec_fire);
        r[i].q = &q;
        r[i].seq = i;
        r[i].due = i < N ? 1024 + 2 * ((i * 7) % N) : 1050 + (i - N);
        r[i].log = &log;
        sorted[i] = &r[i];
    }
    for (uint32_t i = 0; i < N; i++)
        assert_int_equal(ib_evq_arm(&q, &r[i].t, r[i].due), IB_OK);
    struct rec *gone = calloc(1, sizeof(*gone));
    assert_non_null(gone);
    ib_timer_init(&gone->t, rec_fire);
    gone->q = &q;
    ib_evq_arm(&q, &gone->t, 1100);

    assert_true(ib_evq_run_one(&q, IB_TIME_NEVER));
    assert_int_equal(q.now, 1024);
    ib_evq_forget(&q, &gone->t);
    assert_int_equal(gone->t.entries, 0);
    free(gone);

    assert_int_equal(ib_evq_run_until(&q, 1050), 13); /* 1026 .. 1050 */
    assert_false(ib_evq_run_one(&q, 1051));
    assert_int_equal(ib_evq_next_time(&q), 1052);
    /* At 1050 (now), 1051, and 1052 where one is already queued. */
    for (uint32_t i = N; i < N + LATE; i++)
        assert_int_equal(ib_evq_arm(&q, &r[i].t, r[i].due), IB_OK);
    assert_int_equal(ib_evq_next_time(&q), 1050);
    assert_int_equal(ib_evq_run_until(&q, IB_TIME_NEVER), N + LATE - 14);

    qsort(sorted, N + LATE, sizeof(*sorted), by_time_seq);
    assert_int_equal(log.n, N + LATE);
    for (uint32_t i = 0; i < N + LATE; i++) {
        assert_int_equal(log.seq[i], sorted[i]->seq);
        assert_int_equal(sorted[i]->ran_at, sorted[i]->due);
        assert_int_equal(sorted[i]->runs, 1);
    }
    assert_int_equal(q.pending, 0);
    ib_evq_destroy(&q);
    free(r);
    free(sorted);
    free(log.seq);
}

/* Holds HOLD_N timers, each re-armed up to 2 ms ahead when it runs. */
enum { HOLD_N = 100000, HOLD_EVENTS = 1000000 };

struct holder {
    struct ib_timer t;
    struct ib_evq *q;
    struct ib_rng *r;
    uint64_t *left;
};

static void hold_fire(struct ib_timer *t)
{
    struct holder *h = container_of(t, struct holder, t);
    if (*h->left == 0) return;
    (*h->left)--;
    assert_int_equal(ib_evq_arm(h->q, t, h->q->now + 1 + (ib_time)ib_rng_below(h->r, 1 << 21)),
                     IB_OK);
}

/* The queue's memory follows what is pending, not what each part of it
 * once held at its peak: in a hold model it stays within one partial chunk
 * per slot plus pending entries (and a bounded margin of spares), and a
 * drained queue keeps only a few spare chunks. */
static void test_memory_follows_pending(void **state)
{
    (void)state;
    struct ib_evq *q = malloc(sizeof(*q));
    struct holder *h = calloc(HOLD_N, sizeof(*h));
    assert_non_null(q);
    assert_non_null(h);
    ib_evq_init(q);
    struct ib_rng r;
    ib_rng_seed(&r, 6);
    uint64_t left = HOLD_EVENTS;
    for (uint32_t i = 0; i < HOLD_N; i++) {
        ib_timer_init(&h[i].t, hold_fire);
        h[i].q = q;
        h[i].r = &r;
        h[i].left = &left;
        ib_evq_arm(q, &h[i].t, 1 + (ib_time)ib_rng_below(&r, 1 << 21));
    }
    /* Entries of 64 per chunk, one partial chunk per slot (8 x 256), and
     * spares up to 64 + an eighth of those in use. */
    const uint64_t in_use = HOLD_N / 64 + 1 + 8 * 256;
    const uint64_t bound = in_use + 64 + in_use / 8 + 1;
    uint64_t peak = 0, n = 0;
    while (ib_evq_run_one(q, IB_TIME_NEVER)) {
        if (q->nchunks > peak) peak = q->nchunks;
        n++;
    }
    assert_int_equal(n, HOLD_EVENTS + HOLD_N);
    assert_true(peak <= bound);
    assert_int_equal(q->pending, 0);
    assert_int_equal(q->nspare, q->nchunks);
    assert_true(q->nchunks <= 64);
    ib_evq_destroy(q);
    free(q);
    free(h);
}

/* A simulation-like run of 1M callbacks. Each callback re-arms its timer
 * at a random later time (often now), and sometimes cancels or re-arms
 * another timer earlier or later. The same run is replayed on a reference
 * model: a binary heap ordered by (time, sequence) applying the timer rules
 * documented in evq.h. Both must run the same timers at the same times. */
enum { SIM_TIMERS = 10000, SIM_EVENTS = 1000000 };

struct ref_ent {
    ib_time time;
    uint64_t seq;
    uint32_t idx;
    uint32_t gen;
};

struct ref_timer {
    ib_time when, qtime;
    uint32_t gen;
};

struct sim;
struct sim_timer {
    struct ib_timer t;
    struct sim *sim;
    uint32_t idx;
};

struct sim {
    bool model; /* run on the reference model instead of the queue */
    struct ib_evq q;
    struct sim_timer *timers;
    struct ref_timer *rt;
    struct ref_ent *heap;
    size_t heap_n, heap_cap;
    uint64_t seq;
    ib_time now;
    struct ib_rng r;
    uint64_t remaining;
    struct log log; /* idx, time of every callback */
};

static bool ref_less(const struct ref_ent *a, const struct ref_ent *b)
{
    return a->time != b->time ? a->time < b->time : a->seq < b->seq;
}

static void ref_push(struct sim *s, ib_time time, uint32_t idx, uint32_t gen)
{
    if (s->heap_n == s->heap_cap) {
        s->heap_cap = s->heap_cap ? s->heap_cap * 2 : 1024;
        s->heap = realloc(s->heap, s->heap_cap * sizeof(*s->heap));
        assert_non_null(s->heap);
    }
    size_t i = s->heap_n++;
    struct ref_ent e = {time, s->seq++, idx, gen};
    while (i > 0 && ref_less(&e, &s->heap[(i - 1) / 2])) {
        s->heap[i] = s->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->heap[i] = e;
}

static struct ref_ent ref_pop(struct sim *s)
{
    struct ref_ent top = s->heap[0], last = s->heap[--s->heap_n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->heap_n) break;
        if (c + 1 < s->heap_n && ref_less(&s->heap[c + 1], &s->heap[c])) c++;
        if (!ref_less(&s->heap[c], &last)) break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    s->heap[i] = last;
    return top;
}

static void ref_arm(struct sim *s, uint32_t idx, ib_time when)
{
    struct ref_timer *t = &s->rt[idx];
    if (when < s->now) when = s->now;
    t->when = when;
    if (t->qtime != IB_TIME_NEVER && t->qtime <= when) return;
    ref_push(s, when, idx, ++t->gen);
    t->qtime = when;
}

static void sim_fire_idx(struct sim *s, uint32_t idx);

static void ref_run(struct sim *s)
{
    while (s->heap_n > 0) {
        struct ref_ent e = ref_pop(s);
        struct ref_timer *t = &s->rt[e.idx];
        s->now = e.time;
        if (e.gen != t->gen) continue;
        t->qtime = IB_TIME_NEVER;
        if (t->when == IB_TIME_NEVER) continue;
        if (t->when > e.time) {
            ref_push(s, t->when, e.idx, ++t->gen);
            t->qtime = t->when;
            continue;
        }
        t->when = IB_TIME_NEVER;
        sim_fire_idx(s, e.idx);
    }
}

static ib_time sim_now(const struct sim *s)
{
    return s->model ? s->now : s->q.now;
}

static void sim_arm(struct sim *s, uint32_t idx, ib_time when)
{
    if (s->model)
        ref_arm(s, idx, when);
    else
        assert_int_equal(ib_evq_arm(&s->q, &s->timers[idx].t, when), IB_OK);
}

static void sim_cancel(struct sim *s, uint32_t idx)
{
    if (s->model)
        s->rt[idx].when = IB_TIME_NEVER;
    else
        ib_evq_cancel(&s->timers[idx].t);
}

/* 0 with probability 1/8, else up to 2^5 .. 2^35 ns ahead. */
static ib_time sim_delay(struct sim *s)
{
    uint64_t k = ib_rng_below(&s->r, 8);
    return k == 0 ? 0 : (ib_time)ib_rng_below(&s->r, (uint64_t)1 << (5 * k));
}

static void sim_fire_idx(struct sim *s, uint32_t idx)
{
    ib_time now = sim_now(s);
    log_add(&s->log, idx);
    log_add(&s->log, (uint64_t)now);
    if (s->remaining == 0) return;
    s->remaining--;
    sim_arm(s, idx, now + sim_delay(s));
    if (ib_rng_below(&s->r, 4) == 0) {
        uint32_t j = (uint32_t)ib_rng_below(&s->r, SIM_TIMERS);
        if (ib_rng_below(&s->r, 3) == 0)
            sim_cancel(s, j);
        else
            sim_arm(s, j, now + sim_delay(s));
    }
}

static void sim_fire(struct ib_timer *t)
{
    struct sim_timer *st = container_of(t, struct sim_timer, t);
    sim_fire_idx(st->sim, st->idx);
}

static struct sim *sim_run(bool model)
{
    struct sim *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    s->model = model;
    ib_evq_init(&s->q);
    ib_rng_seed(&s->r, 42);
    s->timers = calloc(SIM_TIMERS, sizeof(*s->timers));
    s->rt = calloc(SIM_TIMERS, sizeof(*s->rt));
    assert_non_null(s->timers);
    assert_non_null(s->rt);
    s->remaining = SIM_EVENTS - SIM_TIMERS;
    for (uint32_t i = 0; i < SIM_TIMERS; i++) {
        ib_timer_init(&s->timers[i].t, sim_fire);
        s->timers[i].sim = s;
        s->timers[i].idx = i;
        s->rt[i] = (struct ref_timer){IB_TIME_NEVER, IB_TIME_NEVER, 0};
        sim_arm(s, i, sim_delay(s));
    }
    if (model)
        ref_run(s);
    else
        ib_evq_run_until(&s->q, IB_TIME_NEVER);
    return s;
}

static void sim_free(struct sim *s)
{
    ib_evq_destroy(&s->q);
    free(s->timers);
    free(s->rt);
    free(s->heap);
    free(s->log.seq);
    free(s);
}

static void test_million_against_reference(void **state)
{
    (void)state;
    struct sim *real = sim_run(false), *ref = sim_run(true);
    /* Cancels make a few callbacks not happen; most do. */
    assert_true(ref->log.n / 2 > SIM_EVENTS * 9 / 10);
    assert_int_equal(real->log.n, ref->log.n);
    assert_int_equal(real->q.executed, ref->log.n / 2);
    assert_int_equal(real->q.pending, 0);
    for (uint32_t i = 0; i < SIM_TIMERS; i++)
        assert_int_equal(real->timers[i].t.entries, 0);
    assert_memory_equal(real->log.seq, ref->log.seq, ref->log.n * sizeof(uint64_t));
    sim_free(real);
    sim_free(ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_wide),
        cmocka_unit_test(test_order_dense_ties),
        cmocka_unit_test(test_order_mixed),
        cmocka_unit_test(test_order_burst),
        cmocka_unit_test(test_ties_fifo),
        cmocka_unit_test(test_arm_in_callback_same_time),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_rearm_later_and_earlier),
        cmocka_unit_test(test_run_until),
        cmocka_unit_test(test_limit_does_not_mutate),
        cmocka_unit_test(test_large_times),
        cmocka_unit_test(test_forget),
        cmocka_unit_test(test_stale_entry_same_time),
        cmocka_unit_test(test_window_batch),
        cmocka_unit_test(test_memory_follows_pending),
        cmocka_unit_test(test_million_against_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
