/* The environment a stack runs in: the clock, timers, the packet pool and
 * the trace bus. The simulator and the live loop each fill one of these;
 * protocol code only ever talks to it, never to either of them. Randomness
 * lives in each node (struct ib_node) so that adding a node does not change
 * the random choices of the others. */
#ifndef INETBOX_ENV_H
#define INETBOX_ENV_H

#include "inetbox/evq.h"
#include "inetbox/pkt.h"

struct ib_trace;

struct ib_env {
    struct ib_evq *q;
    struct ib_pkt_pool *pool;
    struct ib_trace *trace; /* NULL: nobody watches, emitting is one branch */
    uint32_t next_journey;
    bool live; /* only for observers (timestamps); protocol code must not look */
    /* Live: the wall-clock time (ns since the Unix epoch) of time 0, so
     * that observers can print and record real timestamps. */
    int64_t epoch;
};

static inline ib_time ib_now(const struct ib_env *env) { return env->q->now; }
static inline int ib_timer_arm(struct ib_env *env, struct ib_timer *t, ib_time when)
{
    return ib_evq_arm(env->q, t, when);
}
static inline void ib_timer_cancel(struct ib_timer *t) { ib_evq_cancel(t); }
static inline uint32_t ib_journey_new(struct ib_env *env) { return ++env->next_journey; }

#endif
