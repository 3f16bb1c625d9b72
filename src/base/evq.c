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
 * a slot and every move is an append or a stable sort, entries of equal time
 * leave in the order they were armed (DESIGN.md: time, then insertion
 * sequence).
 *
 * A level-1 slot that becomes the earliest falls to level 0 as a whole, so
 * instead of spreading over level-0 slots it becomes one array, the run,
 * ordered by a stable sort on the low byte. Entries armed into level 0
 * while the run lasts go to level-0 slots as usual and come after run
 * entries of the same time, as they were armed later.
 *
 * A slot is a FIFO of fixed-size chunks shared by the whole wheel: a
 * redistribution hands each chunk back as soon as it is read, and the
 * entries it moves take chunks from the same spare list, so the wheel holds
 * about pending entries plus one partial chunk per occupied slot, whatever
 * each slot held at its peak.
 *
 * An entry below level 4 agrees with base above its low 32 bits, and base
 * keeps those bits while the entry stays below level 4 (base only moves to
 * the minimum of the earliest occupied slot, which agrees with base above
 * that slot's level). So such entries keep 32 bits of time, with the
 * timer's 32-bit gen and pointer, in 16 bytes; entries of levels 4-7 (in a
 * later 2^32 ns window than base, 4.3 s) keep whole times in 24.
 *
 * With millions of timers pending, the cost that dominates is not the wheel
 * but the cache miss on each timer when it runs: the run fetches the timers
 * of the entries a few places ahead of the one it hands out. */
#include "inetbox/evq.h"

#include <stdlib.h>

#define IB_EVQ_SLOTS (8 * 256)
/* Slots from here on (levels 4-7) hold wide entries. */
#define IB_EVQ_WIDE_SLOT (4 * 256)
#define IB_EVQ_CHUNK_BYTES 1536u
/* An empty slot's wr: no room, so push() takes its slow path. */
#define IB_EVQ_NO_ROOM UINT32_MAX
/* Spare chunks beyond SPARE_MIN + in-use / SPARE_DIV go back to malloc. */
#define IB_EVQ_SPARE_MIN 64u
#define IB_EVQ_SPARE_DIV 8u
/* Larger level-1 slots (a burst of ties) fall to level-0 slots instead, so
 * the run stays a bounded, cache-resident array. */
#define IB_EVQ_RUN_MAX 8192u
/* Up to this size a run is sorted by insertion: cheaper than counting. */
#define IB_EVQ_RUN_SMALL 16u
/* How far ahead of the run's head timers are fetched. */
#define IB_EVQ_AHEAD 8u

/* An entry of levels 4-7. */
struct wide_ent {
    ib_time time;
    struct ib_timer *t;
    uint32_t gen;
};

#define IB_EVQ_NARROW (IB_EVQ_CHUNK_BYTES / sizeof(struct ib_evq_ent))
#define IB_EVQ_WIDE (IB_EVQ_CHUNK_BYTES / sizeof(struct wide_ent))

struct ib_evq_chunk {
    struct ib_evq_chunk *next;
    union {
        struct ib_evq_ent e[IB_EVQ_NARROW];
        struct wide_ent w[IB_EVQ_WIDE];
    };
};

/* An entry taken out of the wheel, time made whole. */
struct taken {
    ib_time time;
    struct ib_timer *t;
    uint32_t gen;
};

static inline uint32_t slot_cap(unsigned i)
{
    return i >= IB_EVQ_WIDE_SLOT ? (uint32_t)IB_EVQ_WIDE : (uint32_t)IB_EVQ_NARROW;
}

/* The whole time of a narrow entry. */
static inline ib_time narrow_time(const struct ib_evq *q, const struct ib_evq_ent *e)
{
    return (ib_time)((q->base & ~(uint64_t)UINT32_MAX) | e->lo);
}

static void slot_reset(struct ib_evq_slot *sl)
{
    sl->head = sl->tail = NULL;
    sl->rd = 0;
    sl->wr = IB_EVQ_NO_ROOM;
}

void ib_evq_init(struct ib_evq *q)
{
    memset(q, 0, sizeof(*q));
    for (unsigned i = 0; i < IB_EVQ_SLOTS; i++)
        slot_reset(&q->slot[i]);
}

static void free_list(struct ib_evq_chunk *c)
{
    while (c) {
        struct ib_evq_chunk *next = c->next;
        free(c);
        c = next;
    }
}

void ib_evq_destroy(struct ib_evq *q)
{
    for (unsigned i = 0; i < IB_EVQ_SLOTS; i++)
        free_list(q->slot[i].head);
    free_list(q->spare);
    free(q->run);
    ib_evq_init(q);
}

static struct ib_evq_chunk *chunk_get(struct ib_evq *q)
{
    struct ib_evq_chunk *c = q->spare;
    if (c) {
        q->spare = c->next;
        q->nspare--;
    } else {
        c = malloc(sizeof(*c));
        if (!c) return NULL;
        q->nchunks++;
    }
    c->next = NULL;
    return c;
}

static void chunk_put(struct ib_evq *q, struct ib_evq_chunk *c)
{
    if (q->nspare >= IB_EVQ_SPARE_MIN + (q->nchunks - q->nspare) / IB_EVQ_SPARE_DIV) {
        /* The wheel shrank: keep only a margin of spares, and free one
         * more so the margin follows it down. */
        free(c);
        q->nchunks--;
        if ((c = q->spare) != NULL) {
            q->spare = c->next;
            q->nspare--;
            free(c);
            q->nchunks--;
        }
        return;
    }
    c->next = q->spare;
    q->spare = c;
    q->nspare++;
}

/* The slot of an entry: level L (the highest byte in which time differs
 * from base; x | 1 puts equal times at level 0) times 256 plus byte L. */
static inline unsigned slot_of(uint64_t base, ib_time time)
{
    unsigned shift = (unsigned)(63 - __builtin_clzll((base ^ (uint64_t)time) | 1)) & ~7u;
    return shift << 5 | (unsigned)((uint64_t)time >> shift & 0xffu);
}

/* push() into a wide slot, or into a slot that is empty or whose last chunk
 * is full. */
static __attribute__((noinline)) int push_slow(struct ib_evq *q, unsigned i, ib_time time,
                                               struct ib_timer *t, uint32_t gen)
{
    struct ib_evq_slot *sl = &q->slot[i];
    if (sl->wr >= slot_cap(i)) {
        struct ib_evq_chunk *c = chunk_get(q);
        if (!c) return IB_ERR_NOMEM;
        if (!sl->head) {
            sl->head = c;
            sl->rd = 0;
            sl->min = time;
            q->bitmap[i >> 6] |= 1ull << (i & 63);
            q->levels |= 1u << (i >> 8);
        } else {
            sl->tail->next = c;
        }
        sl->tail = c;
        sl->wr = 0;
    }
    if (time < sl->min) sl->min = time;
    if (i >= IB_EVQ_WIDE_SLOT)
        sl->tail->w[sl->wr] = (struct wide_ent){time, t, gen};
    else
        sl->tail->e[sl->wr] = (struct ib_evq_ent){(uint32_t)time, gen, t};
    sl->wr++;
    return IB_OK;
}

/* Appends an entry to the slot its time maps to. Forced inline: it is the
 * inner loop of every redistribution. */
static inline __attribute__((always_inline)) int push(struct ib_evq *q, ib_time time,
                                                      struct ib_timer *t, uint32_t gen)
{
    unsigned i = slot_of(q->base, time);
    struct ib_evq_slot *sl = &q->slot[i];
    uint32_t wr = sl->wr;
    /* An entry reaching a level-0 slot runs within 256 ns of simulated
     * time: fetch its timer now, while many misses can overlap. */
    if (i < 256) __builtin_prefetch(t, 1);
    if (__builtin_expect(wr >= IB_EVQ_NARROW || i >= IB_EVQ_WIDE_SLOT, 0))
        return push_slow(q, i, time, t, gen);
    struct ib_evq_ent *e = &sl->tail->e[wr];
    if (time < sl->min) sl->min = time;
    sl->wr = wr + 1;
    e->lo = (uint32_t)time;
    e->gen = gen;
    e->t = t;
    return IB_OK;
}

/* The earliest occupied slot (lowest occupied level, first set bit), or -1
 * if the wheel is empty. The run is not part of it. */
static inline int first_slot(const struct ib_evq *q)
{
    if (!q->levels) return -1;
    unsigned l = (unsigned)__builtin_ctz(q->levels);
    const uint64_t *b = &q->bitmap[l * 4];
    unsigned w = b[0] ? 0 : b[1] ? 1 : b[2] ? 2 : 3;
    return (int)(l * 256 + w * 64 + (unsigned)__builtin_ctzll(b[w]));
}

/* Marks a slot empty; its chunks must already be handed back. */
static void slot_clear(struct ib_evq *q, unsigned i)
{
    uint64_t *b = &q->bitmap[(i >> 8) * 4];
    slot_reset(&q->slot[i]);
    q->bitmap[i >> 6] &= ~(1ull << (i & 63));
    if ((b[0] | b[1] | b[2] | b[3]) == 0) q->levels &= ~(1u << (i >> 8));
}

/* Removes the head entry of a slot into *out. */
static void slot_shift(struct ib_evq *q, unsigned i, struct taken *out)
{
    struct ib_evq_slot *sl = &q->slot[i];
    struct ib_evq_chunk *c = sl->head;
    uint32_t k = sl->rd++;
    if (i >= IB_EVQ_WIDE_SLOT)
        *out = (struct taken){c->w[k].time, c->w[k].t, c->w[k].gen};
    else
        *out = (struct taken){narrow_time(q, &c->e[k]), c->e[k].t, c->e[k].gen};
    if (c == sl->tail && sl->rd == sl->wr) {
        slot_clear(q, i);
        chunk_put(q, c);
    } else if (sl->rd == slot_cap(i)) {
        sl->head = c->next;
        sl->rd = 0;
        chunk_put(q, c);
    }
}

/* Makes room for a run of n entries; false if memory is short, and the
 * slot then falls to level-0 slots instead. */
static bool run_reserve(struct ib_evq *q, uint32_t n)
{
    if (n <= q->run_cap) return true;
    uint32_t cap = q->run_cap ? q->run_cap : IB_EVQ_RUN_SMALL;
    while (cap < n)
        cap *= 2;
    struct ib_evq_ent *run = malloc(cap * sizeof(*run));
    if (!run) return false;
    free(q->run);
    q->run = run;
    q->run_cap = cap;
    return true;
}

/* Turns the earliest slot, of level 1, into the run. base is its minimum,
 * so every entry belongs to level 0 and its low byte orders it; both sorts
 * are stable, which keeps ties in insertion order. Returns false, with the
 * slot untouched, if the run would be too large. */
static bool run_fill(struct ib_evq *q, unsigned i)
{
    struct ib_evq_slot *sl = &q->slot[i];
    uint32_t n = 0, rd = sl->rd, wr = sl->wr;
    struct ib_evq_chunk *c = sl->head, *last = sl->tail;
    uint32_t pos[256];
    bool small = c == last && wr - rd <= IB_EVQ_RUN_SMALL;
    if (small) {
        n = wr - rd;
    } else {
        memset(pos, 0, sizeof(pos));
        for (struct ib_evq_chunk *x = c; x; x = x->next, rd = 0) {
            uint32_t end = x == last ? wr : (uint32_t)IB_EVQ_NARROW;
            n += end - rd;
            for (uint32_t k = rd; k < end; k++)
                pos[x->e[k].lo & 0xffu]++;
        }
        rd = sl->rd;
    }
    if (n > IB_EVQ_RUN_MAX || !run_reserve(q, n)) return false;
    struct ib_evq_ent *run = q->run;
    slot_clear(q, i);
    if (small) {
        for (uint32_t k = rd, m = 0; k < wr; k++, m++) {
            uint32_t j = m;
            for (; j > 0 && run[j - 1].lo > c->e[k].lo; j--)
                run[j] = run[j - 1];
            run[j] = c->e[k];
        }
        chunk_put(q, c);
    } else {
        for (uint32_t b = 0, m = 0; b < 256; b++) {
            uint32_t cnt = pos[b];
            pos[b] = m;
            m += cnt;
        }
        for (; c; rd = 0) {
            uint32_t end = c == last ? wr : (uint32_t)IB_EVQ_NARROW;
            for (uint32_t k = rd; k < end; k++)
                run[pos[c->e[k].lo & 0xffu]++] = c->e[k];
            struct ib_evq_chunk *next = c->next;
            chunk_put(q, c);
            c = next;
        }
    }
    q->run_rd = 0;
    q->run_n = n;
    for (uint32_t k = 0; k < n && k < IB_EVQ_AHEAD; k++)
        __builtin_prefetch(run[k].t, 1);
    return true;
}

/* Moves the earliest slot, of level > 0, to lower levels. base is its
 * minimum, so every entry agrees with base above the slot's byte and falls
 * to a lower level, in order, and none comes back here: the slot is
 * detached first, and each chunk, once read, is spare for the entries that
 * fall. */
static void redistribute(struct ib_evq *q, unsigned i)
{
    struct ib_evq_slot *sl = &q->slot[i];
    uint32_t rd = sl->rd, wr = sl->wr, cap = slot_cap(i);
    struct ib_evq_chunk *c = sl->head, *last = sl->tail;
    uint64_t hi = q->base & ~(uint64_t)UINT32_MAX;
    slot_clear(q, i);
    for (; c; rd = 0) {
        uint32_t end = c == last ? wr : cap;
        int err = IB_OK;
        if (i >= IB_EVQ_WIDE_SLOT)
            for (uint32_t k = rd; k < end; k++)
                err |= push(q, c->w[k].time, c->w[k].t, c->w[k].gen);
        else
            for (uint32_t k = rd; k < end; k++)
                err |= push(q, (ib_time)(hi | c->e[k].lo), c->e[k].t, c->e[k].gen);
        if (err != IB_OK) abort(); /* the wheel cannot lose entries it promised to run */
        struct ib_evq_chunk *next = c->next;
        chunk_put(q, c);
        c = next;
    }
}

/* Moves the earliest entry due at or before limit into *out and removes it
 * from the wheel; returns false, with the wheel unchanged, if there is none. */
static bool pop(struct ib_evq *q, ib_time limit, struct taken *out)
{
    for (;;) {
        int i = first_slot(q);
        struct ib_evq_slot *sl = i >= 0 ? &q->slot[i] : NULL;
        if (q->run_rd < q->run_n) {
            /* Level-0 slots hold entries armed after the run was made:
             * they go first only if strictly earlier. */
            const struct ib_evq_ent *e = &q->run[q->run_rd];
            ib_time time = narrow_time(q, e);
            if (!sl || i >= 256 || time <= sl->min) {
                if (time > limit) return false;
                *out = (struct taken){time, e->t, e->gen};
                q->run_rd++;
                q->pending--;
                return true;
            }
        }
        if (!sl || sl->min > limit) return false;
        if (i < 256 || (sl->head == sl->tail && sl->wr - sl->rd == 1)) {
            /* A level-0 slot holds one time, a lone entry is the minimum:
             * either way the head is the earliest entry. */
            slot_shift(q, (unsigned)i, out);
            if (i >= 256) q->base = (uint64_t)out->time;
            q->pending--;
            return true;
        }
        q->base = (uint64_t)sl->min;
        if (i >= 512 || !run_fill(q, (unsigned)i)) redistribute(q, (unsigned)i);
    }
}

int ib_evq_arm(struct ib_evq *q, struct ib_timer *t, ib_time when)
{
    if (when < q->now) when = q->now;
    t->when = when;
    if (when == IB_TIME_NEVER) return IB_OK;
    /* A queued entry at or before the deadline re-queues itself when due. */
    if (t->qtime != IB_TIME_NEVER && t->qtime <= when) return IB_OK;
    if (push(q, when, t, ++t->gen) != IB_OK) {
        t->when = IB_TIME_NEVER;
        return IB_ERR_NOMEM;
    }
    t->entries++;
    t->qtime = when;
    q->pending++;
    return IB_OK;
}

/* The live entry of a timer armed for this very time: it runs. (A live
 * entry's timer is never due earlier than the entry.) */
static inline bool due(const struct ib_timer *t, uint32_t gen, ib_time time)
{
    return t && gen == t->gen && t->when == time;
}

static inline void fire(struct ib_evq *q, struct ib_timer *t)
{
    t->entries--;
    t->qtime = t->when = IB_TIME_NEVER;
    q->executed++;
    t->fn(t);
}

/* Accounts for an entry whose timer does not run now: forgotten,
 * superseded by an earlier re-arm, cancelled, or re-armed later. */
static void settle(struct ib_evq *q, const struct taken *e)
{
    struct ib_timer *t = e->t;
    if (!t) return;
    t->entries--;
    if (e->gen != t->gen) return;
    t->qtime = IB_TIME_NEVER;
    if (t->when == IB_TIME_NEVER) return;
    /* Re-armed later after this entry was queued. */
    if (push(q, t->when, t, ++t->gen) != IB_OK) abort();
    t->entries++;
    t->qtime = t->when;
    q->pending++;
}

static __attribute__((noinline)) bool run_one_slow(struct ib_evq *q, ib_time limit)
{
    struct taken e;
    while (pop(q, limit, &e)) {
        q->now = e.time;
        if (due(e.t, e.gen, e.time)) {
            fire(q, e.t);
            return true;
        }
        settle(q, &e);
    }
    return false;
}

bool ib_evq_run_one(struct ib_evq *q, ib_time limit)
{
    /* The common case: the head of the run is due and no level-0 slot
     * holds an earlier entry. */
    uint32_t rd = q->run_rd;
    if (rd < q->run_n && !(q->levels & 1u)) {
        const struct ib_evq_ent *e = &q->run[rd];
        struct ib_timer *t = e->t;
        ib_time time = narrow_time(q, e);
        if (time <= limit && due(t, e->gen, time)) {
            if (rd + IB_EVQ_AHEAD < q->run_n) __builtin_prefetch(q->run[rd + IB_EVQ_AHEAD].t, 1);
            q->run_rd = rd + 1;
            q->pending--;
            q->now = time;
            fire(q, t);
            return true;
        }
    }
    return run_one_slow(q, limit);
}

/* Unhooks the entries of t in one slot; returns how many. */
static uint32_t forget_in_slot(struct ib_evq *q, unsigned i, const struct ib_timer *t)
{
    struct ib_evq_slot *sl = &q->slot[i];
    uint32_t n = 0, rd = sl->rd;
    for (struct ib_evq_chunk *c = sl->head; c; c = c->next, rd = 0) {
        uint32_t end = c == sl->tail ? sl->wr : slot_cap(i);
        for (uint32_t k = rd; k < end; k++) {
            struct ib_timer **p = i >= IB_EVQ_WIDE_SLOT ? &c->w[k].t : &c->e[k].t;
            if (*p == t) {
                *p = NULL;
                n++;
            }
        }
    }
    return n;
}

static uint32_t forget_in_run(struct ib_evq *q, const struct ib_timer *t)
{
    uint32_t n = 0;
    for (uint32_t k = q->run_rd; k < q->run_n; k++)
        if (q->run[k].t == t) {
            q->run[k].t = NULL;
            n++;
        }
    return n;
}

void ib_evq_forget(struct ib_evq *q, struct ib_timer *t)
{
    t->when = IB_TIME_NEVER;
    /* The invariant says where the live entry is, if not in the run. */
    if (t->entries > 0 && t->qtime != IB_TIME_NEVER)
        t->entries -= forget_in_slot(q, slot_of(q->base, t->qtime), t);
    if (t->entries > 0) t->entries -= forget_in_run(q, t);
    for (unsigned i = 0; i < IB_EVQ_SLOTS && t->entries > 0; i++)
        if (q->bitmap[i >> 6] & (1ull << (i & 63))) t->entries -= forget_in_slot(q, i, t);
    t->qtime = IB_TIME_NEVER;
}

uint64_t ib_evq_run_until(struct ib_evq *q, ib_time limit)
{
    uint64_t n = 0;
    while (ib_evq_run_one(q, limit))
        n++;
    if (limit != IB_TIME_NEVER && limit > q->now) q->now = limit;
    return n;
}

ib_time ib_evq_next_time(const struct ib_evq *q)
{
    int i = first_slot(q);
    ib_time next = i >= 0 ? q->slot[i].min : IB_TIME_NEVER;
    if (q->run_rd < q->run_n && narrow_time(q, &q->run[q->run_rd]) < next)
        next = narrow_time(q, &q->run[q->run_rd]);
    return next;
}
