/*
 * bench_util.h - helpers the kernel benchmarks (bench_dw.c, bench_pw.c)
 * share: a monotonic clock, reproducible input data, and the warm/cold
 * best-time loop that compares the own kernel with XNNPACK.
 */
#ifndef SPATIA_BENCH_UTIL_H
#define SPATIA_BENCH_UTIL_H

#include <stddef.h>
#include <string.h>
#include <time.h>

/* Bytes written between "cold" runs so input and output come from memory. */
#define BENCH_JUNK_BYTES ((size_t)64 << 20)

/* Monotonic time in seconds. */
static inline double bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* n pseudo-random floats in [-0.5, 0.5) from seed (a fixed LCG, so every
 * run sees the same data). */
static inline void bench_fill(float *v, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        v[i] = (float)(seed >> 8) / (float)(1u << 24) - 0.5f;
    }
}

/* Best times in seconds of run(ctx, e) for engine e = 0 (own) and 1
 * (XNNPACK) over `rounds` warm and `rounds` cold runs, alternating; before
 * a cold run `junk` (BENCH_JUNK_BYTES) is overwritten. t[cold][e]. */
static inline void bench_best(int rounds, char *junk,
                              void (*run)(void *ctx, int e), void *ctx,
                              double t[2][2])
{
    t[0][0] = t[0][1] = t[1][0] = t[1][1] = 1e9;
    for (int r = 0; r < 2 * rounds; r++) {
        const int cold = r & 1;
        for (int e = 0; e < 2; e++) {
            if (cold)
                memset(junk, r, BENCH_JUNK_BYTES);
            double t0 = bench_now_s();
            run(ctx, e);
            double dt = bench_now_s() - t0;
            t[cold][e] = dt < t[cold][e] ? dt : t[cold][e];
        }
    }
}

#endif
