/* The event queue: timers ordered by (time, insertion order).
 *
 * A radix-256 timing wheel (a radix heap with 8-bit digits): an entry sits
 * at the level of the highest byte in which its time differs from the
 * queue's base time, in the slot given by that byte. Level 0 slots hold
 * entries of one exact time, in FIFO order; higher slots are redistributed
 * when they become the earliest, a level-1 slot by a stable sort into one
 * array. Every entry moves at most 7 times, and entries of equal time stay
 * in insertion order (ties are always in the same slot, appended in order).
 * Slots are FIFOs of fixed-size chunks drawn from one spare list, so the
 * memory used follows the number of pending entries: 16 bytes each, 24 for
 * those in a later 2^32 ns (4.3 s) window than the base.
 *
 * A timer owns at most one live entry. Re-arming a timer later than its
 * queued entry costs nothing (the entry re-queues itself when it comes due);
 * re-arming it earlier or cancelling leaves a stale entry that is skipped.
 *
 * Entries point at their timer, so the memory holding a timer must outlive
 * its entries: ib_evq_cancel() only marks it. To free an owner while the
 * queue keeps running, call ib_evq_forget() first. */
#ifndef INETBOX_EVQ_H
#define INETBOX_EVQ_H

#include "inetbox/types.h"

struct ib_timer;
typedef void (*ib_timer_fn)(struct ib_timer *t);

struct ib_timer {
    ib_time when;  /* deadline, IB_TIME_NEVER when not armed */
    ib_time qtime; /* time of the live queue entry, IB_TIME_NEVER if none */
    uint32_t gen;  /* matches the live entry's gen */
    uint32_t entries; /* queue entries, live or stale, that point here */
    ib_timer_fn fn;
};

static inline void ib_timer_init(struct ib_timer *t, ib_timer_fn fn)
{
    t->when = IB_TIME_NEVER;
    t->qtime = IB_TIME_NEVER;
    t->gen = 0;
    t->entries = 0;
    t->fn = fn;
}
static inline bool ib_timer_armed(const struct ib_timer *t) { return t->when != IB_TIME_NEVER; }

/* An entry of the run or of a slot of levels 0-3. Its time agrees with the
 * wheel's base above the low 32 bits, so only those are kept. (Levels 4-7
 * keep whole times, in entries private to evq.c.) */
struct ib_evq_ent {
    uint32_t lo;  /* time, low 32 bits */
    uint32_t gen; /* the timer's gen when queued */
    struct ib_timer *t;
};

/* A fixed-size block of a slot's FIFO (private to evq.c). */
struct ib_evq_chunk;

struct ib_evq_slot {
    struct ib_evq_chunk *head, *tail; /* NULL when the slot is empty */
    uint32_t rd, wr; /* next entry to read in head, to write in tail */
    ib_time min; /* earliest entry time, valid while the slot is not empty */
};

struct ib_evq {
    ib_time now;  /* current time, as seen by everything the queue runs */
    uint64_t base; /* the wheel's reference time; base <= now */
    uint64_t pending; /* entries in the wheel, stale ones included */
    uint64_t executed; /* timer callbacks run */
    /* Level 0 as one sorted array: a level-1 slot sorted by its low byte
     * when it becomes the earliest; run[run_rd .. run_n) remain. */
    struct ib_evq_ent *run;
    uint32_t run_rd, run_n, run_cap;
    uint32_t levels; /* bit L: some slot of level L is occupied */
    uint64_t bitmap[8 * 4]; /* occupied slots, 4 words per level */
    struct ib_evq_slot slot[8 * 256]; /* level L, slot S at L * 256 + S */
    struct ib_evq_chunk *spare; /* chunks kept for reuse */
    uint64_t nspare, nchunks; /* nchunks: allocated, spare ones included */
};

void ib_evq_init(struct ib_evq *q);
void ib_evq_destroy(struct ib_evq *q);
/* Arms t to fire at when (clamped to now). Returns IB_ERR_NOMEM if the
 * entry could not be stored. */
int ib_evq_arm(struct ib_evq *q, struct ib_timer *t, ib_time when);
static inline void ib_evq_cancel(struct ib_timer *t) { t->when = IB_TIME_NEVER; }
/* Cancels t and unhooks every entry that points at it, so its memory can be
 * freed. Free when t has no entries; else it searches the slot of the live
 * entry, and the whole wheel only while stale entries remain. */
void ib_evq_forget(struct ib_evq *q, struct ib_timer *t);
/* Runs the earliest due timer if its time is <= limit; returns false if
 * there is none. now becomes the timer's time. */
bool ib_evq_run_one(struct ib_evq *q, ib_time limit);
/* Runs every timer due at or before limit, then sets now = limit (if limit
 * is not IB_TIME_NEVER). Returns how many callbacks ran. */
uint64_t ib_evq_run_until(struct ib_evq *q, ib_time limit);
/* Time of the earliest entry (possibly stale), IB_TIME_NEVER if empty. */
ib_time ib_evq_next_time(const struct ib_evq *q);

#endif
