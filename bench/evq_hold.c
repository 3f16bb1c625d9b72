/* The classic "hold" benchmark of a priority queue (Jones, CACM 1986): keep
 * N timers pending; each operation runs the earliest and re-arms the same
 * timer at now + an exponential increment (mean 1 ms). This is what a large
 * simulation does all day: millions of pending timers, one pop and one push
 * per event.
 *
 * The increments are drawn from ib_rng before timing starts (a table of
 * 2^20 draws, cycled), so the figures measure the queue and not log().
 *
 * Usage: evq_hold [--pending N] [--ops M] [--seed S]
 * Without --pending it runs N = 1M and N = 10M. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "inetbox/evq.h"
#include "inetbox/rng.h"

#define TABLE_BITS 20

struct hold {
    struct ib_evq q;
    ib_time *incr; /* 2^TABLE_BITS exponential increments */
    uint64_t next;
};

/* One cache line per timer, as a protocol's timer sits inside its owner's
 * hot data: reaching the owner costs no second miss. */
struct hold_timer {
    alignas(64) struct ib_timer t;
    struct hold *h;
};

static inline ib_time draw(struct hold *h)
{
    return h->incr[h->next++ & ((1u << TABLE_BITS) - 1)];
}

static void rearm(struct ib_timer *t)
{
    struct hold *h = ((struct hold_timer *)t)->h;
    ib_evq_arm(&h->q, t, h->q.now + draw(h));
}

static double seconds(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int run(uint64_t pending, uint64_t ops, uint64_t seed)
{
    struct hold *h = calloc(1, sizeof(*h));
    struct hold_timer *timers = aligned_alloc(64, pending * sizeof(*timers));
    if (h) h->incr = malloc(sizeof(ib_time) << TABLE_BITS);
    if (!h || !timers || !h->incr) {
        fprintf(stderr, "evq_hold: out of memory\n");
        return 1;
    }
    struct ib_rng r;
    ib_rng_seed(&r, seed);
    const double mean = (double)IB_MS(1);
    for (size_t i = 0; i < (size_t)1 << TABLE_BITS; i++)
        h->incr[i] = (ib_time)(-mean * log(1.0 - ib_rng_double(&r)));

    ib_evq_init(&h->q);
    for (uint64_t i = 0; i < pending; i++) {
        ib_timer_init(&timers[i].t, rearm);
        timers[i].h = h;
    }
    /* Peak RSS before the queue holds anything: the rest is the queue's. */
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long before = ru.ru_maxrss;
    for (uint64_t i = 0; i < pending; i++) {
        if (ib_evq_arm(&h->q, &timers[i].t, draw(h)) != IB_OK) {
            fprintf(stderr, "evq_hold: out of memory\n");
            return 1;
        }
    }

    /* CPU time too: on a shared machine it is the steadier figure. */
    double t0 = seconds(CLOCK_MONOTONIC), c0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
    uint64_t done = 0;
    while (done < ops && ib_evq_run_one(&h->q, IB_TIME_NEVER))
        done++;
    double wall = seconds(CLOCK_MONOTONIC) - t0, cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;

    getrusage(RUSAGE_SELF, &ru);
    printf("pending %" PRIu64 "  events %" PRIu64 "  wall %.3f s  %.2f Mev/s  cpu %.3f s  "
           "%.2f Mev/s per cpu-s  sim time %.3f s  peak RSS %ld MiB (queue %ld MiB)\n",
           pending, h->q.executed, wall, (double)done / wall / 1e6, cpu, (double)done / cpu / 1e6,
           (double)h->q.now / 1e9, ru.ru_maxrss / 1024, (ru.ru_maxrss - before) / 1024);
    printf("  reproduce: evq_hold --pending %" PRIu64 " --ops %" PRIu64 " --seed %" PRIu64 "\n",
           pending, ops, seed);
    ib_evq_destroy(&h->q);
    free(timers);
    free(h->incr);
    free(h);
    return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-') return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t pending = 0, ops = 20000000, seed = 1;
    for (int i = 1; i < argc; i++) {
        uint64_t *dst = NULL;
        if (strcmp(argv[i], "--pending") == 0)
            dst = &pending;
        else if (strcmp(argv[i], "--ops") == 0)
            dst = &ops;
        else if (strcmp(argv[i], "--seed") == 0)
            dst = &seed;
        if (!dst || i + 1 >= argc || parse_u64(argv[++i], dst) != 0 ||
            (dst == &pending && pending == 0)) {
            fprintf(stderr, "usage: evq_hold [--pending N] [--ops M] [--seed S]\n");
            return 2;
        }
    }
    if (pending) return run(pending, ops, seed);
    return run(1000000, ops, seed) || run(10000000, ops, seed);
}
