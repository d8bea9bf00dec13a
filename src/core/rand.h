/*
 * rand.h - deterministic random numbers and the schema's 32-hex ids.
 *
 * splitmix64 (Steele et al., "Fast splittable pseudorandom number
 * generators", 2014) is small, fast and passes BigCrush; it is all spatia
 * needs for ids and for seeded test data. A seed of 0 asks for a fresh seed
 * from the operating system.
 */
#ifndef SPATIA_CORE_RAND_H
#define SPATIA_CORE_RAND_H

#include <stdint.h>

typedef struct rng {
    uint64_t s;
} rng;

/* Seeds `r`; seed 0 takes 64 bits from getrandom()/the clock. */
void rng_seed(rng *r, uint64_t seed);
uint64_t rng_next(rng *r);
/* Uniform double in [0, 1). */
double rng_uniform(rng *r);

/* The splitmix64 output function: a bijective 64-bit mixer. */
uint64_t mix64(uint64_t x);

/* Writes 32 lowercase hex digits + NUL for the 128-bit value (hi, lo). */
void hex128(uint64_t hi, uint64_t lo, char out[33]);

/* The id_hex seed for a user seed: the first rng_next() after rng_seed(),
 * so 0 again asks for a fresh one. The tracker, the track-file replay and
 * the analytics all derive theirs this way, so one seed gives one id set. */
uint64_t id_seed(uint64_t seed);

/* A 32-hex id that depends only on (seed, stream, n): used for track ids
 * (stream 1) and event ids (stream 2) so that a run with a fixed seed is
 * reproducible. */
void id_hex(uint64_t seed, uint64_t stream, uint64_t n, char out[33]);

#endif
