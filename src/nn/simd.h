/*
 * simd.h - small AVX-512 pieces the own kernels (dwconv.c, pwconv.c,
 * dwpw.c, convstem.c, resize.c) share. Everything here is static inline:
 * a kernel compiled for AVX-512 through a function attribute inlines it,
 * so the rest of the library keeps the baseline instruction set. Defines
 * NN_SIMD_X86 when the x86-64 kernels are compiled (GCC or Clang on
 * x86-64), else nothing.
 */
#ifndef SPATIA_NN_SIMD_H
#define SPATIA_NN_SIMD_H

#if defined(__x86_64__) && defined(__GNUC__)
#define NN_SIMD_X86 1
#include <immintrin.h>

#define NN_SIMD_INLINE                                                         \
    __attribute__((target("avx512f"), always_inline)) static inline

/* The mask of the 16-channel block that starts at channel c of C: all 16
 * lanes, or the C - c left. */
static inline __mmask16 nn_mask16(int C, int c)
{
    return C - c >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (C - c)) - 1);
}

/* AddressSanitizer does not check masked vector loads and stores, so a
 * sanitized build reads the first and the last lane of mask m at q as
 * scalars before such an access: ASan then reports an access outside the
 * tensors as it would a plain one. Nothing in other builds. */
static inline void nn_asan_mask_check(const float *q, unsigned m)
{
#if defined(__SANITIZE_ADDRESS__)
    if (m) {
        volatile float a = q[0], z = q[31 - __builtin_clz(m)];
        (void)a;
        (void)z;
    }
#else
    (void)q;
    (void)m;
#endif
}

/* Hard-swish as TF (and the portable ew_tile) computes it per element:
 * t = v + 3 clamped to [0, 6], then (v * k) * t. */
NN_SIMD_INLINE __m512 nn_hardswish512(__m512 v, float k)
{
    __m512 t = _mm512_add_ps(v, _mm512_set1_ps(3.0f));
    t = _mm512_max_ps(t, _mm512_setzero_ps());
    t = _mm512_min_ps(t, _mm512_set1_ps(6.0f));
    return _mm512_mul_ps(_mm512_mul_ps(v, _mm512_set1_ps(k)), t);
}

/* v clamped to [lo, hi], then hard-swish (scale k) when hs is set: the
 * order TF computes a fused activation in. */
NN_SIMD_INLINE __m512 nn_clamp_hs512(__m512 v, float lo, float hi, int hs,
                                     float k)
{
    v = _mm512_max_ps(v, _mm512_set1_ps(lo));
    v = _mm512_min_ps(v, _mm512_set1_ps(hi));
    return hs ? nn_hardswish512(v, k) : v;
}

#endif

#endif
