/* The event queue: a radix-256 timing wheel (a radix heap with 8-bit digits).
 *
 * Invariant: every entry's time is >= q->base, and an entry sits at level L
 * = the highest byte in which its time differs from base (0 if equal), in
 * slot = byte L of its time. Hence every entry of level L is earlier than
 * every entry of a higher level, and within a level lower slots are earlier.
 * The earliest entry is in the first occupied slot of the lowest occupied
 * level. A level-0 slot holds one exact time. A higher slot is
 * "redistributed" when it becomes the earliest: base moves to its minimum
 * and its entries fall, in order, to lower levels. Because ties always share
 * a slot and every move is an append, entries of equal time leave in the
 * order they were armed (DESIGN.md: time, then insertion sequence). */
#include "inetbox/evq.h"

#include <stdlib.h>

#define IB_EVQ_LEVELS 8
#define IB_EVQ_SLOT_MIN_CAP 8u

void ib_evq_init(struct ib_evq *q) { memset(q, 0, sizeof(*q)); }

void ib_evq_destroy(struct ib_evq *q)
{
    for (int l = 0; l < IB_EVQ_LEVELS; l++)
        for (int s = 0; s < 256; s++)
            free(q->slot[l][s].v);
    memset(q, 0, sizeof(*q));
}

static inline int level_of(uint64_t base, uint64_t time)
{
    uint64_t x = base ^ time;
    return x ? (63 - __builtin_clzll(x)) >> 3 : 0;
}

/* Makes room for one more entry at the tail of a slot's FIFO. */
static int slot_grow(struct ib_evq_slot *sl)
{
    if (sl->head > 0 && sl->head >= sl->len) {
        /* Half or more of the vector is consumed: slide instead of growing. */
        memmove(sl->v, sl->v + sl->head, sl->len * sizeof(*sl->v));
        sl->head = 0;
        return IB_OK;
    }
    uint32_t cap = sl->cap ? sl->cap * 2 : IB_EVQ_SLOT_MIN_CAP;
    struct ib_evq_ent *v = realloc(sl->v, cap * sizeof(*v));
    if (!v)
        return IB_ERR_NOMEM;
    sl->v = v;
    sl->cap = cap;
    return IB_OK;
}

static inline int push(struct ib_evq *q, uint64_t time, struct ib_timer *t, uint64_t gen)
{
    int l = level_of(q->base, time);
    unsigned s = (unsigned)(time >> (8 * l)) & 0xffu;
    struct ib_evq_slot *sl = &q->slot[l][s];
    /* An entry reaching level 0 runs within 256 ns of simulated time: fetch
     * its timer now, while many misses can overlap, rather than one by one
     * when it runs. */
    if (l == 0)
        __builtin_prefetch(t);
    if (sl->head + sl->len == sl->cap && slot_grow(sl) != IB_OK)
        return IB_ERR_NOMEM;
    struct ib_evq_ent *e = &sl->v[sl->head + sl->len++];
    e->time = (ib_time)time;
    e->t = t;
    e->gen = gen;
    q->bitmap[l][s >> 6] |= 1ull << (s & 63);
    return IB_OK;
}

/* First occupied slot of level l, or -1. */
static inline int first_slot(const struct ib_evq *q, int l)
{
    for (int w = 0; w < 4; w++)
        if (q->bitmap[l][w])
            return w * 64 + __builtin_ctzll(q->bitmap[l][w]);
    return -1;
}

static inline void slot_clear_bit(struct ib_evq *q, int l, int s)
{
    q->bitmap[l][s >> 6] &= ~(1ull << (s & 63));
}

static uint64_t slot_min(const struct ib_evq_slot *sl)
{
    uint64_t m = UINT64_MAX;
    for (uint32_t i = sl->head; i < sl->head + sl->len; i++)
        if ((uint64_t)sl->v[i].time < m)
            m = (uint64_t)sl->v[i].time;
    return m;
}

/* Moves the earliest entry due at or before limit into *out and removes it
 * from the wheel. Returns false, with the wheel unchanged, if there is none. */
static bool pop(struct ib_evq *q, ib_time limit, struct ib_evq_ent *out)
{
    for (;;) {
        int l = 0, s = -1;
        for (; l < IB_EVQ_LEVELS; l++) {
            s = first_slot(q, l);
            if (s >= 0)
                break;
        }
        if (s < 0)
            return false;
        struct ib_evq_slot *sl = &q->slot[l][s];
        if (l == 0) {
            if (sl->v[sl->head].time > limit)
                return false;
            *out = sl->v[sl->head];
            sl->head++;
            if (--sl->len == 0) {
                sl->head = 0;
                slot_clear_bit(q, 0, s);
            }
            q->pending--;
            return true;
        }
        uint64_t m = slot_min(sl);
        if (m > (uint64_t)limit)
            return false;
        q->base = m;
        /* Every entry of this slot agrees with the new base above byte l,
         * so each falls to a lower level; appends keep their order. The
         * slot is detached first because entries never return to it. */
        struct ib_evq_slot old = *sl;
        sl->head = sl->len = 0;
        slot_clear_bit(q, l, s);
        for (uint32_t i = old.head; i < old.head + old.len; i++) {
            const struct ib_evq_ent *e = &old.v[i];
            /* Cannot fail on growth: the detached vector is kept for reuse
             * below, but a lower slot may still need memory. */
            if (push(q, (uint64_t)e->time, e->t, e->gen) != IB_OK)
                abort();
        }
    }
}

int ib_evq_arm(struct ib_evq *q, struct ib_timer *t, ib_time when)
{
    if (when < q->now)
        when = q->now;
    t->when = when;
    if (when == IB_TIME_NEVER)
        return IB_OK;
    /* A queued entry at or before the deadline re-queues itself when due. */
    if (t->qtime != IB_TIME_NEVER && t->qtime <= when)
        return IB_OK;
    if (push(q, (uint64_t)when, t, (uint64_t)++t->gen) != IB_OK) {
        t->when = IB_TIME_NEVER;
        return IB_ERR_NOMEM;
    }
    t->qtime = when;
    q->pending++;
    return IB_OK;
}

bool ib_evq_run_one(struct ib_evq *q, ib_time limit)
{
    struct ib_evq_ent e;
    while (pop(q, limit, &e)) {
        struct ib_timer *t = e.t;
        q->now = e.time;
        if (e.gen != (uint64_t)t->gen)
            continue; /* superseded by an earlier re-arm */
        t->qtime = IB_TIME_NEVER;
        if (t->when == IB_TIME_NEVER)
            continue; /* cancelled */
        if (t->when > e.time) {
            /* Re-armed later after this entry was queued. */
            if (push(q, (uint64_t)t->when, t, (uint64_t)++t->gen) != IB_OK)
                abort();
            t->qtime = t->when;
            q->pending++;
            continue;
        }
        t->when = IB_TIME_NEVER;
        q->executed++;
        t->fn(t);
        return true;
    }
    return false;
}

uint64_t ib_evq_run_until(struct ib_evq *q, ib_time limit)
{
    uint64_t n = 0;
    while (ib_evq_run_one(q, limit))
        n++;
    if (limit != IB_TIME_NEVER && limit > q->now)
        q->now = limit;
    return n;
}

ib_time ib_evq_next_time(const struct ib_evq *q)
{
    for (int l = 0; l < IB_EVQ_LEVELS; l++) {
        int s = first_slot(q, l);
        if (s < 0)
            continue;
        const struct ib_evq_slot *sl = &q->slot[l][s];
        return l == 0 ? sl->v[sl->head].time : (ib_time)slot_min(sl);
    }
    return IB_TIME_NEVER;
}
