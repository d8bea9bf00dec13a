/*
 * convstem.c - the AVX-512F stem convolution kernel (see convstem.h).
 *
 * Work is split by output rows. A row's interior pixels (whole window
 * inside the image) go four at a time with the 27 filter vectors in
 * registers; the others add only the taps inside the image (TF's zero
 * padding contributes 0 * w). Compiled for AVX-512F with a function
 * attribute; nn_stem_available checks the CPU at run time.
 */
#include "nn/convstem.h"
#include "nn/graph.h"
#include "nn/simd.h"

#ifdef NN_SIMD_X86
#define ST_X86    1
#define ST_TARGET __attribute__((target("avx512f")))
#define ST_INLINE ST_TARGET __attribute__((always_inline)) static inline
#endif

int nn_stem_available(void)
{
    return nn_cpu_avx512f();
}

#ifdef ST_X86

typedef struct stem_job {
    const nn_stem *p;
    const float *x;
    float *y;
} stem_job;

ST_INLINE void st_store(const nn_stem *p, float *y, __mmask16 m, __m512 v)
{
    v = nn_clamp_hs512(v, p->lo, p->hi, p->hardswish, p->hs_scale);
    _mm512_mask_storeu_ps(y, m, v);
}

static ST_TARGET void st_row(const stem_job *j, int oy)
{
    const nn_stem *p = j->p;
    const int H = p->H, W = p->W;
    const __mmask16 m = (__mmask16)((1u << p->CO) - 1);
    const int iy0 = oy * p->sh - p->pad_top;
    const int full = iy0 >= 0 && iy0 + 2 * p->dh < H;
    const int num = W - 1 - 2 * p->dw + p->pad_left;
    int oxa = (p->pad_left + p->sw - 1) / p->sw;
    int oxb = num >= 0 ? num / p->sw + 1 : 0;
    if (oxb > p->OW)
        oxb = p->OW;
    if (!full || oxa >= oxb)
        oxa = oxb = 0;
    const __m512 b =
        p->bias ? _mm512_maskz_loadu_ps(m, p->bias) : _mm512_setzero_ps();
    float *yrow = j->y + (size_t)oy * p->OW * p->out_stride;
    __m512 wv[27];
    for (int t = 0; t < 27; t++)
        wv[t] = _mm512_maskz_loadu_ps(m, p->w + (size_t)t * p->CO);

    /* checked pixels: [0, oxa) and [oxb, OW) */
    for (int ox = 0; ox < p->OW; ox++) {
        if (ox == oxa && oxa < oxb)
            ox = oxb;
        if (ox >= p->OW)
            break;
        const int ix0 = ox * p->sw - p->pad_left;
        __m512 acc = b;
        for (int ky = 0; ky < 3; ky++) {
            const int iy = iy0 + ky * p->dh;
            if (iy < 0 || iy >= H)
                continue;
            for (int kx = 0; kx < 3; kx++) {
                const int ix = ix0 + kx * p->dw;
                if (ix < 0 || ix >= W)
                    continue;
                const float *xp = j->x + ((size_t)iy * W + ix) * 3;
                for (int c = 0; c < 3; c++)
                    acc = _mm512_fmadd_ps(_mm512_set1_ps(xp[c]),
                                          wv[(ky * 3 + kx) * 3 + c], acc);
            }
        }
        st_store(p, yrow + (size_t)ox * p->out_stride, m, acc);
    }

    /* interior: four pixels at a time, filters in registers */
    const float *xrow = j->x + (size_t)(full ? iy0 : 0) * W * 3;
    const size_t rs = (size_t)p->dh * W * 3, cs = (size_t)p->dw * 3;
    const size_t ps = (size_t)p->sw * 3;
    int ox = oxa;
    for (; ox + 4 <= oxb; ox += 4) {
        const float *xp = xrow + (size_t)(ox * p->sw - p->pad_left) * 3;
        __m512 a0 = b, a1 = b, a2 = b, a3 = b;
#pragma GCC unroll 3
        for (int ky = 0; ky < 3; ky++)
#pragma GCC unroll 3
            for (int kx = 0; kx < 3; kx++)
#pragma GCC unroll 3
                for (int c = 0; c < 3; c++) {
                    const float *q = xp + ky * rs + kx * cs + c;
                    const __m512 wt = wv[(ky * 3 + kx) * 3 + c];
                    a0 = _mm512_fmadd_ps(_mm512_set1_ps(q[0]), wt, a0);
                    a1 = _mm512_fmadd_ps(_mm512_set1_ps(q[ps]), wt, a1);
                    a2 = _mm512_fmadd_ps(_mm512_set1_ps(q[2 * ps]), wt, a2);
                    a3 = _mm512_fmadd_ps(_mm512_set1_ps(q[3 * ps]), wt, a3);
                }
        float *yp = yrow + (size_t)ox * p->out_stride;
        st_store(p, yp, m, a0);
        st_store(p, yp + p->out_stride, m, a1);
        st_store(p, yp + 2 * p->out_stride, m, a2);
        st_store(p, yp + 3 * p->out_stride, m, a3);
    }
    for (; ox < oxb; ox++) {
        const float *xp = xrow + (size_t)(ox * p->sw - p->pad_left) * 3;
        __m512 acc = b;
#pragma GCC unroll 3
        for (int ky = 0; ky < 3; ky++)
#pragma GCC unroll 3
            for (int kx = 0; kx < 3; kx++)
#pragma GCC unroll 3
                for (int c = 0; c < 3; c++)
                    acc = _mm512_fmadd_ps(
                        _mm512_set1_ps(xp[ky * rs + kx * cs + c]),
                        wv[(ky * 3 + kx) * 3 + c], acc);
        st_store(p, yrow + (size_t)ox * p->out_stride, m, acc);
    }
}

static void st_task(void *ctx, size_t i)
{
    st_row(ctx, (int)i);
}

#endif

void nn_stem_run(const nn_stem *p, const float *x, float *y,
                 struct pthreadpool *pool)
{
#ifdef ST_X86
    stem_job j = {p, x, y};
    if (p->OH > 0)
        nn_run_tasks(pool, st_task, &j, (size_t)p->OH);
#else
    (void)p;
    (void)x;
    (void)y;
    (void)pool;
#endif
}
