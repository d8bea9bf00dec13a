/*
 * bench_peak.c - the machine facts the engine's figures are compared
 * with: the single-core float32 multiply-add peak and the cost of one
 * parallel step of the thread pool.
 *
 * 1. Twelve independent chains of AVX-512 multiply-adds (enough to hide
 *    the latency): GFLOP/s of one core, the ceiling of a convolution.
 * 2. pthreadpool_parallelize_1d of two trivial tasks on a two-thread pool:
 *    the fixed cost of a parallel step (the engine makes about 120 per
 *    inference); it depends on whether the two CPUs share an L3 (run
 *    build/bench_c2c next to it).
 *
 * Run: build/bench_peak   (needs an AVX-512F CPU for the first figure)
 */
#include <pthreadpool.h>
#include <stdio.h>
#include <time.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define PEAK_X86 1
#endif

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#ifdef PEAK_X86
/* GFLOP/s of n rounds of 12 independent 16-lane multiply-adds. */
__attribute__((target("avx512f"))) static double fma_peak(long n)
{
    const __m512 b = _mm512_set1_ps(0.9999999f), c = _mm512_set1_ps(1e-7f);
    __m512 a0 = _mm512_set1_ps(1), a1 = _mm512_set1_ps(2),
           a2 = _mm512_set1_ps(3), a3 = _mm512_set1_ps(4),
           a4 = _mm512_set1_ps(5), a5 = _mm512_set1_ps(6),
           a6 = _mm512_set1_ps(7), a7 = _mm512_set1_ps(8),
           a8 = _mm512_set1_ps(9), a9 = _mm512_set1_ps(10),
           a10 = _mm512_set1_ps(11), a11 = _mm512_set1_ps(12);
    const double t0 = now_s();
    for (long k = 0; k < n; k++) {
        a0 = _mm512_fmadd_ps(a0, b, c);
        a1 = _mm512_fmadd_ps(a1, b, c);
        a2 = _mm512_fmadd_ps(a2, b, c);
        a3 = _mm512_fmadd_ps(a3, b, c);
        a4 = _mm512_fmadd_ps(a4, b, c);
        a5 = _mm512_fmadd_ps(a5, b, c);
        a6 = _mm512_fmadd_ps(a6, b, c);
        a7 = _mm512_fmadd_ps(a7, b, c);
        a8 = _mm512_fmadd_ps(a8, b, c);
        a9 = _mm512_fmadd_ps(a9, b, c);
        a10 = _mm512_fmadd_ps(a10, b, c);
        a11 = _mm512_fmadd_ps(a11, b, c);
    }
    const double t = now_s() - t0;
    __m512 s = _mm512_add_ps(
        _mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
        _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
    s = _mm512_add_ps(
        s, _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)));
    volatile float sink = _mm512_reduce_add_ps(s); /* keep the chains */
    (void)sink;
    return (double)n * 12 * 32 / t * 1e-9;
}
#endif

static void nop_task(void *ctx, size_t i)
{
    (void)ctx;
    (void)i;
}

int main(void)
{
#ifdef PEAK_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) {
        double best = 0;
        for (int r = 0; r < 3; r++) {
            double g = fma_peak(50000000);
            best = g > best ? g : best;
        }
        printf("fma peak %.1f GFLOP/s (one core, AVX-512)\n", best);
    }
#endif
    pthreadpool_t pool = pthreadpool_create(2);
    if (!pool)
        return 1;
    double best = 1e9;
    for (int r = 0; r < 5; r++) {
        const int n = 20000;
        const double t0 = now_s();
        for (int i = 0; i < n; i++)
            pthreadpool_parallelize_1d(pool, nop_task, NULL, 2, 0);
        const double t = (now_s() - t0) / n;
        best = t < best ? t : best;
    }
    printf("parallel step %.2f us (2 threads, 2 trivial tasks)\n", best * 1e6);
    pthreadpool_destroy(pool);
    return 0;
}
