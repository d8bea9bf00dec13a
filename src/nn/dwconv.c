/*
 * dwconv.c - the AVX-512F depthwise convolution kernel (see dwconv.h).
 *
 * Work is split by output rows. Within a row, channels go in blocks of 16
 * (the last block masked); for each block the row's interior pixels (whole
 * window inside the image) run a loop whose window size is a compile-time
 * constant (3x3, 5x5) so that the 9 / 25 filter vectors stay in registers;
 * every other pixel (image borders, other window sizes) adds only the taps
 * that fall inside the image. Padding taps contribute nothing, as the zero
 * padding of TF does (0 * w).
 *
 * The kernel is compiled for AVX-512F with a function attribute, so the
 * rest of the library keeps the baseline instruction set; nn_dw_available
 * checks the CPU at run time.
 */
#include "nn/dwconv.h"
#include "nn/graph.h"

#include <pthreadpool.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define DW_X86 1
#include <immintrin.h>
#define DW_TARGET __attribute__((target("avx512f")))
#define DW_INLINE DW_TARGET __attribute__((always_inline)) static inline
#endif

int nn_dw_tile(const nn_dw *p)
{
    size_t per = (size_t)p->kh * (size_t)p->sw * (size_t)p->C * sizeof(float);
    size_t t = per ? ((size_t)16 << 10) / per : 1;
    t = t < 4 ? 4 : t;
    return t < 1 ? 1 : (t > (size_t)p->OW ? (p->OW > 0 ? p->OW : 1) : (int)t);
}

int nn_dw_available(void)
{
#ifdef DW_X86
    return nn_cpu_avx512f();
#else
    return 0;
#endif
}

#ifdef DW_X86

/* clamp, then the optional hard-swish, in the order TF computes them */
DW_INLINE __m512 dw_epilogue(const nn_dw *p, __m512 v)
{
    v = _mm512_max_ps(v, _mm512_set1_ps(p->lo));
    v = _mm512_min_ps(v, _mm512_set1_ps(p->hi));
    if (p->hardswish) {
        __m512 t = _mm512_add_ps(v, _mm512_set1_ps(3.0f));
        t = _mm512_max_ps(t, _mm512_setzero_ps());
        t = _mm512_min_ps(t, _mm512_set1_ps(6.0f));
        v = _mm512_mul_ps(_mm512_mul_ps(v, _mm512_set1_ps(p->hs_scale)), t);
    }
    return v;
}

/* Stores 16 channels (a full block without a mask: masked stores cost
 * more on some CPUs). */
DW_INLINE void dw_store(float *y, __mmask16 m, __m512 v)
{
    if (m == (__mmask16)0xFFFF)
        _mm512_storeu_ps(y, v);
    else
        _mm512_mask_storeu_ps(y, m, v);
}

/* One output pixel whose window starts at input (iy0, ix0), taps outside
 * the image skipped; acc holds the bias. */
DW_INLINE __m512 dw_pixel_checked(const nn_dw *p, int iy0, int ix0, int c0,
                                  __mmask16 m, __m512 acc)
{
    for (int ky = 0; ky < p->kh; ky++) {
        const int iy = iy0 + ky * p->dh;
        if (iy < 0 || iy >= p->H)
            continue;
        const float *xr = p->x + (size_t)iy * p->W * p->C + c0;
        const float *wr = p->w + (size_t)ky * p->kw * p->C + c0;
        for (int kx = 0; kx < p->kw; kx++) {
            const int ix = ix0 + kx * p->dw;
            if (ix < 0 || ix >= p->W)
                continue;
            __m512 xv = _mm512_maskz_loadu_ps(m, xr + (size_t)ix * p->C);
            __m512 wv = _mm512_maskz_loadu_ps(m, wr + (size_t)kx * p->C);
            acc = _mm512_fmadd_ps(xv, wv, acc);
        }
    }
    return acc;
}

/* Pixels [from, to) of output row yrow (window rows from iy0) on the
 * checked path. */
DW_INLINE void dw_checked(const nn_dw *p, int iy0, float *yrow, int from,
                          int to, int c0, __mmask16 m, __m512 b)
{
    for (int ox = from; ox < to; ox++) {
        __m512 acc =
            dw_pixel_checked(p, iy0, ox * p->sw - p->pad_left, c0, m, b);
        dw_store(yrow + (size_t)ox * p->out_stride + c0, m,
                 dw_epilogue(p, acc));
    }
}

/* Interior pixels [oxa, oxb) of a row whose window rows are all inside the
 * image; xrow is input row iy0. KH, KW are constants at each call. */
DW_INLINE void dw_interior(const nn_dw *p, const float *xrow, float *yrow,
                           int oxa, int oxb, int c0, __mmask16 m, __m512 b,
                           const int KH, const int KW)
{
    __m512 wv[25];
    const size_t rs = (size_t)p->dh * p->W * p->C, cs = (size_t)p->dw * p->C;
#pragma GCC unroll 25
    for (int t = 0; t < KH * KW; t++)
        wv[t] = _mm512_maskz_loadu_ps(m, p->w + (size_t)t * p->C + c0);
    /* four pixels at a time: four independent accumulator chains hide
     * the latency of the multiply-adds */
    int ox = oxa;
    const size_t ps = (size_t)p->sw * p->C;
    for (; ox + 4 <= oxb; ox += 4) {
        const float *xp = xrow + (size_t)(ox * p->sw - p->pad_left) * p->C + c0;
        __m512 a0 = b, a1 = b, a2 = b, a3 = b;
#pragma GCC unroll 5
        for (int ky = 0; ky < KH; ky++)
#pragma GCC unroll 5
            for (int kx = 0; kx < KW; kx++) {
                const float *q = xp + ky * rs + kx * cs;
                const __m512 wt = wv[ky * KW + kx];
                a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q), wt, a0);
                a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q + ps), wt, a1);
                a2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q + 2 * ps), wt,
                                     a2);
                a3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q + 3 * ps), wt,
                                     a3);
            }
        float *yp = yrow + (size_t)ox * p->out_stride + c0;
        dw_store(yp, m, dw_epilogue(p, a0));
        dw_store(yp + p->out_stride, m, dw_epilogue(p, a1));
        dw_store(yp + 2 * p->out_stride, m, dw_epilogue(p, a2));
        dw_store(yp + 3 * p->out_stride, m, dw_epilogue(p, a3));
    }
    for (; ox < oxb; ox++) {
        const float *xp = xrow + (size_t)(ox * p->sw - p->pad_left) * p->C + c0;
        __m512 acc = b;
#pragma GCC unroll 5
        for (int ky = 0; ky < KH; ky++)
#pragma GCC unroll 5
            for (int kx = 0; kx < KW; kx++)
                acc = _mm512_fmadd_ps(
                    _mm512_maskz_loadu_ps(m, xp + ky * rs + kx * cs),
                    wv[ky * KW + kx], acc);
        dw_store(yrow + (size_t)ox * p->out_stride + c0, m,
                 dw_epilogue(p, acc));
    }
}

static DW_TARGET void dw_row(const nn_dw *p, int oy)
{
    const int iy0 = oy * p->sh - p->pad_top;
    const int full = iy0 >= 0 && iy0 + (p->kh - 1) * p->dh < p->H;
    /* interior columns: ox * sw - pad_left >= 0 and the last tap < W */
    const int num = p->W - 1 - (p->kw - 1) * p->dw + p->pad_left;
    int oxa = (p->pad_left + p->sw - 1) / p->sw;
    int oxb = num >= 0 ? num / p->sw + 1 : 0;
    if (oxb > p->OW)
        oxb = p->OW;
    if (!full || oxa >= oxb)
        oxa = oxb = 0;
    float *yrow = p->y + (size_t)(oy - p->row0) * p->OW * p->out_stride;
    const float *xrow = p->x + (size_t)(full ? iy0 : 0) * p->W * p->C;

    /* columns in tiles whose input window fits in L1, all channel blocks
     * of a tile before the next tile */
    for (int xa = 0; xa < p->OW; xa += p->tile) {
        const int xb = xa + p->tile < p->OW ? xa + p->tile : p->OW;
        const int ia = oxa > xa ? (oxa < xb ? oxa : xb) : xa;
        const int ib = oxb < xb ? (oxb > ia ? oxb : ia) : xb;
        for (int c0 = 0; c0 < p->C; c0 += 16) {
            const __mmask16 m = p->C - c0 >= 16
                                    ? (__mmask16)0xFFFF
                                    : (__mmask16)((1u << (p->C - c0)) - 1);
            const __m512 b = p->bias ? _mm512_maskz_loadu_ps(m, p->bias + c0)
                                     : _mm512_setzero_ps();
            dw_checked(p, iy0, yrow, xa, ia, c0, m, b);
            if (p->kh == 3 && p->kw == 3)
                dw_interior(p, xrow, yrow, ia, ib, c0, m, b, 3, 3);
            else if (p->kh == 5 && p->kw == 5)
                dw_interior(p, xrow, yrow, ia, ib, c0, m, b, 5, 5);
            else
                dw_checked(p, iy0, yrow, ia, ib, c0, m, b);
            dw_checked(p, iy0, yrow, ib, xb, c0, m, b);
        }
    }
}

static void dw_task(void *ctx, size_t i)
{
    const nn_dw *p = ctx;
    dw_row(p, p->row0 + (int)i);
}

#endif

void nn_dw_run(const nn_dw *p, const float *x, float *y, int row0, int row1,
               struct pthreadpool *pool)
{
#ifdef DW_X86
    nn_dw c = *p; /* bound copy: concurrent calls may share p */
    c.x = x;
    c.y = y;
    c.row0 = row0;
    if (row1 <= row0)
        return;
    if (pool && row1 - row0 > 1)
        pthreadpool_parallelize_1d(pool, dw_task, &c, (size_t)(row1 - row0), 0);
    else
        for (int r = row0; r < row1; r++)
            dw_row(&c, r);
#else
    (void)p;
    (void)x;
    (void)y;
    (void)row0;
    (void)row1;
    (void)pool;
#endif
}
