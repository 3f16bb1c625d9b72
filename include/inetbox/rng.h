/* Seeded pseudo-random numbers (xoshiro256**, seeded through splitmix64).
 * Every random choice in inetbox comes from one of these, owned by a node or
 * a link, so the same seed always gives the same run. */
#ifndef INETBOX_RNG_H
#define INETBOX_RNG_H

#include "inetbox/types.h"

struct ib_rng {
    uint64_t s[4];
};

void ib_rng_seed(struct ib_rng *r, uint64_t seed);
uint64_t ib_rng_next(struct ib_rng *r);
/* Uniform in [0, n); n > 0. */
uint64_t ib_rng_below(struct ib_rng *r, uint64_t n);
/* Uniform in [0, 1). */
double ib_rng_double(struct ib_rng *r);
/* True with probability p. */
static inline bool ib_rng_chance(struct ib_rng *r, double p)
{
    return p > 0 && ib_rng_double(r) < p;
}
/* Mixes a seed with an index, to give each node and link its own stream. */
uint64_t ib_rng_derive(uint64_t seed, uint64_t index);

#endif
