/* xoshiro256** 1.0 (Blackman and Vigna, 2018), seeded through splitmix64 as
 * its authors recommend so that any 64-bit seed, even 0, gives a good state.
 * Reference: https://prng.di.unimi.it/xoshiro256starstar.c */
#include "inetbox/rng.h"

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* splitmix64 (Steele, Lea and Flood, 2014): one step of the sequence. */
static inline uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

void ib_rng_seed(struct ib_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

uint64_t ib_rng_next(struct ib_rng *r)
{
    uint64_t *s = r->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Lemire, "Fast Random Integer Generation in an Interval" (2019): multiply
 * into 128 bits and reject the few low products that would bias the result. */
uint64_t ib_rng_below(struct ib_rng *r, uint64_t n)
{
    unsigned __int128 m = (unsigned __int128)ib_rng_next(r) * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        uint64_t threshold = -n % n;
        while (low < threshold) {
            m = (unsigned __int128)ib_rng_next(r) * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

double ib_rng_double(struct ib_rng *r)
{
    /* The top 53 bits fill a double's mantissa exactly. */
    return (double)(ib_rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t ib_rng_derive(uint64_t seed, uint64_t index)
{
    /* Two splitmix64 rounds: the first spreads the seed, the second mixes
     * in the index, so neighbouring seeds and indexes give unrelated
     * streams (and derive(s, i) != derive(i, s)). */
    uint64_t x = seed;
    uint64_t h = splitmix64(&x);
    x = h ^ index;
    return splitmix64(&x);
}
