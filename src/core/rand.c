/*
 * rand.c - splitmix64 and hex ids (see rand.h).
 */
#include "core/rand.h"

#include <sys/random.h>
#include <time.h>

uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

void rng_seed(rng *r, uint64_t seed)
{
    if (seed == 0) {
        if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            seed = (uint64_t)ts.tv_sec * 1000000007ULL ^ (uint64_t)ts.tv_nsec;
        }
        if (seed == 0)
            seed = 1;
    }
    r->s = seed;
}

uint64_t rng_next(rng *r)
{
    uint64_t x = r->s; /* mix64 adds the increment itself */
    r->s += 0x9e3779b97f4a7c15ULL;
    return mix64(x);
}

double rng_uniform(rng *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

uint64_t id_seed(uint64_t seed)
{
    rng r;
    rng_seed(&r, seed);
    return rng_next(&r);
}

void hex128(uint64_t hi, uint64_t lo, char out[33])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[i] = digits[(hi >> (60 - 4 * i)) & 15];
        out[16 + i] = digits[(lo >> (60 - 4 * i)) & 15];
    }
    out[32] = '\0';
}

void id_hex(uint64_t seed, uint64_t stream, uint64_t n, char out[33])
{
    uint64_t a = mix64(seed ^ mix64(stream));
    uint64_t hi = mix64(a ^ n);
    uint64_t lo = mix64(hi ^ a ^ 0x5851f42d4c957f2dULL);
    hex128(hi, lo, out);
}
