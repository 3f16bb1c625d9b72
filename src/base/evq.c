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
 * order they were armed (DESIGN.md: time, then insertion sequence).
 *
 * A slot is a FIFO of fixed-size chunks shared by the whole wheel: a
 * redistribution hands each chunk back as soon as it is read, and the
 * entries it moves take chunks from the same spare list, so the wheel holds
 * about pending entries plus one partial chunk per occupied slot, whatever
 * each slot held at its peak.
 *
 * With millions of timers pending, the cost that dominates is not the wheel
 * but the cache miss on each timer when it runs; see push(). */
#include "inetbox/evq.h"

#include <stdlib.h>

#define IB_EVQ_LEVELS 8
#define IB_EVQ_CHUNK 64u
/* Spare chunks beyond SPARE_MIN + in-use / SPARE_DIV go back to malloc. */
#define IB_EVQ_SPARE_MIN 64u
#define IB_EVQ_SPARE_DIV 8u

struct ib_evq_chunk {
    struct ib_evq_chunk *next;
    struct ib_evq_ent e[IB_EVQ_CHUNK];
};

void ib_evq_init(struct ib_evq *q)
{
    memset(q, 0, sizeof(*q));
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
    for (int l = 0; l < IB_EVQ_LEVELS; l++)
        for (int s = 0; s < 256; s++)
            free_list(q->slot[l][s].head);
    free_list(q->spare);
    memset(q, 0, sizeof(*q));
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
        /* The wheel shrank: keep only a margin of spares. */
        free(c);
        q->nchunks--;
        return;
    }
    c->next = q->spare;
    q->spare = c;
    q->nspare++;
}

/* Appends an entry to the slot its time maps to. Forced inline: it is the
 * inner loop of every redistribution. */
static inline __attribute__((always_inline)) int push(struct ib_evq *q, ib_time time,
                                                      struct ib_timer *t, uint64_t gen)
{
    /* x | 1: equal times have no differing byte and go to level 0. */
    int l = (63 - __builtin_clzll((q->base ^ (uint64_t)time) | 1)) >> 3;
    unsigned s = (unsigned)((uint64_t)time >> (8 * l)) & 0xffu;
    struct ib_evq_slot *sl = &q->slot[l][s];
    /* An entry reaching level 0 runs within 256 ns of simulated time:
     * fetch its timer now, while many misses can overlap, rather than one
     * by one when it runs. */
    if (l == 0) __builtin_prefetch(t);
    if (!sl->head) {
        struct ib_evq_chunk *c = chunk_get(q);
        if (!c) return IB_ERR_NOMEM;
        sl->head = sl->tail = c;
        sl->rd = sl->wr = 0;
        sl->min = time;
        q->bitmap[l][s >> 6] |= 1ull << (s & 63);
    } else {
        if (sl->wr == IB_EVQ_CHUNK) {
            struct ib_evq_chunk *c = chunk_get(q);
            if (!c) return IB_ERR_NOMEM;
            sl->tail->next = c;
            sl->tail = c;
            sl->wr = 0;
        }
        if (time < sl->min) sl->min = time;
    }
    sl->tail->e[sl->wr++] = (struct ib_evq_ent){time, t, gen};
    return IB_OK;
}

/* The earliest occupied slot: lowest occupied level, first set bit. */
static inline struct ib_evq_slot *first_slot(const struct ib_evq *q, int *level, unsigned *slot)
{
    for (int l = 0; l < IB_EVQ_LEVELS; l++) {
        const uint64_t *b = q->bitmap[l];
        if ((b[0] | b[1] | b[2] | b[3]) == 0) continue;
        int w = b[0] ? 0 : b[1] ? 1 : b[2] ? 2 : 3;
        *level = l;
        *slot = (unsigned)(w * 64 + __builtin_ctzll(b[w]));
        return (struct ib_evq_slot *)&q->slot[l][*slot];
    }
    return NULL;
}

static inline void slot_clear(struct ib_evq *q, struct ib_evq_slot *sl, int l, unsigned s)
{
    sl->head = sl->tail = NULL;
    q->bitmap[l][s >> 6] &= ~(1ull << (s & 63));
}

/* Moves the earliest entry due at or before limit into *out and removes it
 * from the wheel. Returns false, with the wheel unchanged, if there is none. */
static bool pop(struct ib_evq *q, ib_time limit, struct ib_evq_ent *out)
{
    int l;
    unsigned s;
    struct ib_evq_slot *sl;
    while ((sl = first_slot(q, &l, &s)) != NULL && sl->min <= limit) {
        struct ib_evq_chunk *c = sl->head;
        bool single = c == sl->tail && sl->wr - sl->rd == 1;
        if (l == 0 || single) {
            /* A level-0 slot holds one time, a lone entry is the minimum:
             * either way the head is the earliest entry. */
            *out = c->e[sl->rd++];
            if (l > 0) q->base = (uint64_t)out->time;
            if (single) {
                slot_clear(q, sl, l, s);
                chunk_put(q, c);
            } else if (sl->rd == IB_EVQ_CHUNK) {
                sl->head = c->next;
                sl->rd = 0;
                chunk_put(q, c);
            }
            q->pending--;
            return true;
        }
        q->base = (uint64_t)sl->min;
        /* Every entry of this slot agrees with the new base above byte l,
         * so each falls to a lower level, in order, and none comes back
         * here: the slot is detached first, and each chunk, once read, is
         * spare for the entries that fall. */
        uint32_t rd = sl->rd, wr = sl->wr;
        struct ib_evq_chunk *last = sl->tail;
        slot_clear(q, sl, l, s);
        while (c) {
            uint32_t end = c == last ? wr : IB_EVQ_CHUNK;
            for (uint32_t i = rd; i < end; i++)
                if (push(q, c->e[i].time, c->e[i].t, c->e[i].gen) != IB_OK)
                    abort(); /* the wheel cannot lose entries it promised to run */
            struct ib_evq_chunk *next = c->next;
            chunk_put(q, c);
            c = next;
            rd = 0;
        }
    }
    return false;
}

int ib_evq_arm(struct ib_evq *q, struct ib_timer *t, ib_time when)
{
    if (when < q->now) when = q->now;
    t->when = when;
    if (when == IB_TIME_NEVER) return IB_OK;
    /* A queued entry at or before the deadline re-queues itself when due. */
    if (t->qtime != IB_TIME_NEVER && t->qtime <= when) return IB_OK;
    if (push(q, when, t, (uint64_t)++t->gen) != IB_OK) {
        t->when = IB_TIME_NEVER;
        return IB_ERR_NOMEM;
    }
    t->entries++;
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
        if (!t) continue; /* forgotten */
        t->entries--;
        if (e.gen != (uint64_t)t->gen) continue; /* superseded by an earlier re-arm */
        t->qtime = IB_TIME_NEVER;
        if (t->when == IB_TIME_NEVER) continue; /* cancelled */
        if (t->when > e.time) {
            /* Re-armed later after this entry was queued. */
            if (push(q, t->when, t, (uint64_t)++t->gen) != IB_OK) abort();
            t->entries++;
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

/* Unhooks the entries of t in one slot; returns how many. */
static uint32_t forget_in_slot(struct ib_evq_slot *sl, const struct ib_timer *t)
{
    uint32_t n = 0, rd = sl->rd;
    for (struct ib_evq_chunk *c = sl->head; c; c = c->next, rd = 0) {
        uint32_t end = c == sl->tail ? sl->wr : IB_EVQ_CHUNK;
        for (uint32_t i = rd; i < end; i++)
            if (c->e[i].t == t) {
                c->e[i].t = NULL;
                n++;
            }
    }
    return n;
}

void ib_evq_forget(struct ib_evq *q, struct ib_timer *t)
{
    t->when = IB_TIME_NEVER;
    if (t->entries > 0 && t->qtime != IB_TIME_NEVER) {
        /* The invariant says where the live entry is. */
        uint64_t x = q->base ^ (uint64_t)t->qtime;
        int l = (63 - __builtin_clzll(x | 1)) >> 3;
        t->entries -= forget_in_slot(&q->slot[l][((uint64_t)t->qtime >> (8 * l)) & 0xffu], t);
    }
    for (int l = 0; l < IB_EVQ_LEVELS && t->entries > 0; l++)
        for (unsigned s = 0; s < 256 && t->entries > 0; s++)
            if (q->bitmap[l][s >> 6] & (1ull << (s & 63)))
                t->entries -= forget_in_slot(&q->slot[l][s], t);
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
    int l;
    unsigned s;
    const struct ib_evq_slot *sl = first_slot(q, &l, &s);
    return sl ? sl->min : IB_TIME_NEVER;
}
