/*
 * dwpw.c - the fused depthwise + small 1x1 convolution kernel (see dwpw.h).
 *
 * Work is split by output rows. Within a row, the interior pixels (whole
 * window inside the image) of 3x3 and 5x5 windows go in groups of up to
 * four whose window size and output channel count are compile-time
 * constants: per 16-channel block, each filter tap is loaded once for the
 * group, the group's depthwise sums stay in registers, and their products
 * with the block's 1x1 weights accumulate into CO vectors per pixel, also
 * in registers, across all blocks. Every other pixel (image borders, other
 * windows) takes a checked path that adds only the taps inside the image,
 * as TF's zero padding does. The CO accumulators of a pixel are then
 * summed across lanes together (a 4x16 transpose-and-add), the 1x1 bias
 * added, clamped and stored with one masked store.
 *
 * Compiled for AVX-512F through a function attribute; nn_dwpw_available
 * checks the CPU at run time.
 */
#include "nn/dwpw.h"
#include "nn/graph.h"
#include "nn/simd.h"

#include <string.h>

#ifdef NN_SIMD_X86
#define DP_X86    1
#define DP_TARGET __attribute__((target("avx512f")))
#define DP_INLINE DP_TARGET __attribute__((always_inline)) static inline
#endif

int nn_dwpw_available(void)
{
    return nn_cpu_avx512f();
}

void nn_dwpw_free(nn_dwpw *p)
{
    if (!p)
        return;
    nn_free_aligned(p->w);
    nn_free_aligned(p->bias);
    nn_free_aligned(p->pw);
    p->w = p->bias = p->pw = NULL;
}

int nn_dwpw_init(nn_dwpw *p, const float *dw_w, const float *dw_b,
                 const float *pw_w, const float *pw_b)
{
    if (p->CO < 1 || p->CO > NN_DWPW_MAX_CO || p->C < 1 || p->kh < 1 ||
        p->kw < 1)
        return -1;
    const size_t cp = ((size_t)p->C + 15) & ~(size_t)15,
                 taps = (size_t)p->kh * p->kw;
    p->CP = (int)cp;
    p->w = nn_alloc_aligned(taps * cp * sizeof(float));
    p->bias = nn_alloc_aligned(cp * sizeof(float));
    p->pw = nn_alloc_aligned((size_t)p->CO * cp * sizeof(float));
    if (!p->w || !p->bias || !p->pw) {
        nn_dwpw_free(p);
        return -1;
    }
    memset(p->w, 0, taps * cp * sizeof(float));
    memset(p->bias, 0, cp * sizeof(float));
    memset(p->pw, 0, (size_t)p->CO * cp * sizeof(float));
    for (size_t t = 0; t < taps; t++)
        memcpy(p->w + t * cp, dw_w + t * (size_t)p->C,
               (size_t)p->C * sizeof(float));
    if (dw_b)
        memcpy(p->bias, dw_b, (size_t)p->C * sizeof(float));
    for (int c = 0; c < p->C; c++)
        for (int o = 0; o < p->CO; o++)
            p->pw[(size_t)o * cp + (size_t)c] = pw_w[(size_t)c * p->CO + o];
    for (int o = 0; o < NN_DWPW_MAX_CO; o++)
        p->pb[o] = pw_b && o < p->CO ? pw_b[o] : 0.0f;
    return 0;
}

#ifdef DP_X86

typedef struct dp_ctx {
    const nn_dwpw *p;
    const float *x;
    float *y;
    int row0;
} dp_ctx;

/* [sum(a), sum(b), sum(c), sum(d)] */
DP_INLINE __m128 dp_reduce4(__m512 a, __m512 b, __m512 c, __m512 d)
{
    /* 256-bit halves: [a.lo + a.hi | b.lo + b.hi] */
    const __m512 ab = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x44),
                                    _mm512_shuffle_f32x4(a, b, 0xEE));
    const __m512 cd = _mm512_add_ps(_mm512_shuffle_f32x4(c, d, 0x44),
                                    _mm512_shuffle_f32x4(c, d, 0xEE));
    /* 128-bit lane k: four partial sums of the k-th vector */
    __m512 s = _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, 0x88),
                             _mm512_shuffle_f32x4(ab, cd, 0xDD));
    s = _mm512_add_ps(s, _mm512_permute_ps(s, 0x4E));
    s = _mm512_add_ps(s, _mm512_permute_ps(s, 0xB1));
    return _mm512_castps512_ps128(_mm512_maskz_compress_ps(0x1111, s));
}

/* Sums each of the co accumulators d[0..co) (d[co..8) zero when co > 4),
 * adds the 1x1 bias, clamps and stores co floats at y. */
DP_INLINE void dp_store(const nn_dwpw *p, float *y, const __m512 *d,
                        const int co)
{
    const __m512 z = _mm512_setzero_ps();
    __m512 v = _mm512_castps128_ps512(dp_reduce4(
        d[0], co > 1 ? d[1] : z, co > 2 ? d[2] : z, co > 3 ? d[3] : z));
    if (co > 4)
        v = _mm512_insertf32x4(v, dp_reduce4(d[4], d[5], d[6], d[7]), 1);
    v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(0xFF, p->pb));
    v = _mm512_max_ps(v, _mm512_set1_ps(p->plo));
    v = _mm512_min_ps(v, _mm512_set1_ps(p->phi));
    _mm512_mask_storeu_ps(y, (__mmask16)((1u << co) - 1), v);
}

/* Prefetches into L2 input rows [ra, rb), columns [c0, c0 + n) (clipped
 * to the image), every channel: the rows the next output row adds to the
 * window. The kernel walks each pixel's channels in 16-channel blocks
 * across 3-5 rows, which the hardware prefetchers follow poorly when the
 * input comes from memory (CenterNet's wh head stalled on these loads). */
DP_INLINE void dp_prefetch(const nn_dwpw *p, const float *x, int ra, int rb,
                           int c0, int n)
{
    int c1 = c0 + n;
    c0 = c0 < 0 ? 0 : c0;
    c1 = c1 > p->W ? p->W : c1;
    if (ra < 0)
        ra = 0;
    const size_t len = (size_t)(c1 - c0) * p->C;
    for (int r = ra; r < rb && c0 < c1; r++) {
        const char *q = (const char *)(x + ((size_t)r * p->W + c0) * p->C);
        for (size_t b = 0; b < len * sizeof(float); b += 64)
            _mm_prefetch(q + b, _MM_HINT_T1);
    }
}

/* Pixels [from, to) of output row yrow (window rows from iy0), only the
 * taps inside the image. */
static DP_TARGET void dp_checked(const nn_dwpw *p, const float *x, int iy0,
                                 float *yrow, int from, int to)
{
    const __m512 lo = _mm512_set1_ps(p->lo), hi = _mm512_set1_ps(p->hi);
    for (int ox = from; ox < to; ox++) {
        const int ix0 = ox * p->sw - p->pad_left;
        __m512 dot[NN_DWPW_MAX_CO];
        for (int o = 0; o < NN_DWPW_MAX_CO; o++)
            dot[o] = _mm512_setzero_ps();
        for (int c0 = 0; c0 < p->C; c0 += 16) {
            const __mmask16 m = nn_mask16(p->C, c0);
            __m512 acc = _mm512_load_ps(p->bias + c0);
            for (int ky = 0; ky < p->kh; ky++) {
                const int iy = iy0 + ky * p->dh;
                if (iy < 0 || iy >= p->H)
                    continue;
                const float *xr = x + (size_t)iy * p->W * p->C + c0;
                const float *wr = p->w + (size_t)ky * p->kw * p->CP + c0;
                for (int kx = 0; kx < p->kw; kx++) {
                    const int ix = ix0 + kx * p->dw;
                    if (ix < 0 || ix >= p->W)
                        continue;
                    acc = _mm512_fmadd_ps(
                        _mm512_maskz_loadu_ps(m, xr + (size_t)ix * p->C),
                        _mm512_load_ps(wr + (size_t)kx * p->CP), acc);
                }
            }
            acc = _mm512_min_ps(_mm512_max_ps(acc, lo), hi);
            for (int o = 0; o < p->CO; o++)
                dot[o] = _mm512_fmadd_ps(
                    acc, _mm512_load_ps(p->pw + (size_t)o * p->CP + c0),
                    dot[o]);
        }
        dp_store(p, yrow + (size_t)ox * p->out_stride, dot, p->CO);
    }
}

/* One 16-channel block (mask m; all ones in full blocks, a constant there)
 * of NP (1..4) pixels whose windows lie inside the image's columns, the
 * first one's starting at column xp (channel 0) of input row iy0 (window
 * rows [ky0, ky1) lie inside the image): their depthwise sums times the
 * block's 1x1 weights are added into dot. KH x KW window, NCO output
 * channels, S1 (stride and dilation 1: the window rows of neighbouring
 * pixels share their loads): constants. */
DP_INLINE void dp_block(const nn_dwpw *p, const float *xp, int iy0, int ky0,
                        int ky1, int c0, __mmask16 m,
                        __m512 dot[4][NN_DWPW_MAX_CO], const int KH,
                        const int KW, const int NCO, const int NP, const int S1)
{
    const size_t rs = (size_t)p->W * p->C, cs = (size_t)p->dw * p->C;
    const size_t ps = (size_t)p->sw * p->C, C = (size_t)p->C;
    const float *wb = p->w + c0;
    const __m512 b = _mm512_load_ps(p->bias + c0);
    __m512 acc[4];
#pragma GCC unroll 4
    for (int q = 0; q < NP; q++)
        acc[q] = b;
#pragma GCC unroll 5
    for (int ky = 0; ky < KH; ky++) {
        if (ky < ky0 || ky >= ky1)
            continue; /* padding rows add nothing */
        const float *xr = xp + (size_t)(iy0 + ky * p->dh) * rs + c0;
        if (S1) {
            __m512 v[8];
#pragma GCC unroll 8
            for (int j = 0; j < NP + KW - 1; j++)
                v[j] = _mm512_maskz_loadu_ps(m, xr + j * C);
#pragma GCC unroll 5
            for (int kx = 0; kx < KW; kx++) {
                const __m512 wt =
                    _mm512_load_ps(wb + (size_t)(ky * KW + kx) * p->CP);
#pragma GCC unroll 4
                for (int q = 0; q < NP; q++)
                    acc[q] = _mm512_fmadd_ps(v[q + kx], wt, acc[q]);
            }
        } else {
#pragma GCC unroll 5
            for (int kx = 0; kx < KW; kx++) {
                const __m512 wt =
                    _mm512_load_ps(wb + (size_t)(ky * KW + kx) * p->CP);
#pragma GCC unroll 4
                for (int q = 0; q < NP; q++)
                    acc[q] = _mm512_fmadd_ps(
                        _mm512_maskz_loadu_ps(m, xr + kx * cs + q * ps), wt,
                        acc[q]);
            }
        }
    }
    const __m512 lo = _mm512_set1_ps(p->lo), hi = _mm512_set1_ps(p->hi);
#pragma GCC unroll 4
    for (int q = 0; q < NP; q++)
        acc[q] = _mm512_min_ps(_mm512_max_ps(acc[q], lo), hi);
#pragma GCC unroll 8
    for (int o = 0; o < NCO; o++) {
        const __m512 pv = _mm512_load_ps(p->pw + (size_t)o * p->CP + c0);
#pragma GCC unroll 4
        for (int q = 0; q < NP; q++)
            dot[q][o] = _mm512_fmadd_ps(acc[q], pv, dot[q][o]);
    }
}

/* dp_block over every block of NP pixels, then their stores. */
DP_INLINE void dp_group(const nn_dwpw *p, const float *xp, int iy0, int ky0,
                        int ky1, float *yp, const int KH, const int KW,
                        const int NCO, const int NP, const int S1)
{
    __m512 dot[4][NN_DWPW_MAX_CO];
#pragma GCC unroll 4
    for (int q = 0; q < NP; q++)
#pragma GCC unroll 8
        for (int o = 0; o < NN_DWPW_MAX_CO; o++)
            dot[q][o] = _mm512_setzero_ps();
    const int full = p->C & ~15;
    for (int c0 = 0; c0 < full; c0 += 16)
        dp_block(p, xp, iy0, ky0, ky1, c0, (__mmask16)0xFFFF, dot, KH, KW, NCO,
                 NP, S1);
    if (full < p->C)
        dp_block(p, xp, iy0, ky0, ky1, full, nn_mask16(p->C, full), dot, KH, KW,
                 NCO, NP, S1);
#pragma GCC unroll 4
    for (int q = 0; q < NP; q++)
        dp_store(p, yp + (size_t)q * p->out_stride, dot[q], NCO);
}

/* Pixels [oxa, oxb) of a row whose windows lie inside the image's columns
 * (x: column 0 of row 0; window rows from iy0, [ky0, ky1) inside). */
DP_INLINE void dp_interior(const nn_dwpw *p, const float *x, int iy0, int ky0,
                           int ky1, float *yrow, int oxa, int oxb, const int KH,
                           const int KW, const int NCO)
{
    /* pixels per group: the group's accumulators fit in the registers */
    const int NP = NCO <= 4 ? 4 : 2;
    const int s1 = p->sw == 1 && p->dw == 1;
    /* the input rows the next output row reads and this one does not */
    const int ra = iy0 + (KH - 1) * p->dh + 1;
    const int rb = ra + p->sh < p->H ? ra + p->sh : p->H;
    int ox = oxa;
    for (; ox + NP <= oxb; ox += NP) {
        const float *xp = x + (size_t)(ox * p->sw - p->pad_left) * p->C;
        float *yp = yrow + (size_t)ox * p->out_stride;
        dp_prefetch(p, x, ra, rb, ox * p->sw - p->pad_left, NP * p->sw);
        if (NP == 4 && s1)
            dp_group(p, xp, iy0, ky0, ky1, yp, KH, KW, NCO, 4, 1);
        else if (NP == 4)
            dp_group(p, xp, iy0, ky0, ky1, yp, KH, KW, NCO, 4, 0);
        else if (s1)
            dp_group(p, xp, iy0, ky0, ky1, yp, KH, KW, NCO, 2, 1);
        else
            dp_group(p, xp, iy0, ky0, ky1, yp, KH, KW, NCO, 2, 0);
    }
    for (; ox < oxb; ox++)
        dp_group(p, x + (size_t)(ox * p->sw - p->pad_left) * p->C, iy0, ky0,
                 ky1, yrow + (size_t)ox * p->out_stride, KH, KW, NCO, 1, 0);
}

#define DP_CASE(KH, KW, N)                                                     \
    case N:                                                                    \
        dp_interior(p, x, iy0, ky0, ky1, yrow, oxa, oxb, KH, KW, N);           \
        break
#define DP_WINDOW(KH, KW)                                                      \
    static DP_TARGET void dp_interior_##KH##x##KW(                             \
        const nn_dwpw *p, const float *x, int iy0, int ky0, int ky1,           \
        float *yrow, int oxa, int oxb)                                         \
    {                                                                          \
        switch (p->CO) {                                                       \
            DP_CASE(KH, KW, 1);                                                \
            DP_CASE(KH, KW, 2);                                                \
            DP_CASE(KH, KW, 3);                                                \
            DP_CASE(KH, KW, 4);                                                \
            DP_CASE(KH, KW, 5);                                                \
            DP_CASE(KH, KW, 6);                                                \
            DP_CASE(KH, KW, 7);                                                \
        default:                                                               \
            dp_interior(p, x, iy0, ky0, ky1, yrow, oxa, oxb, KH, KW, 8);       \
            break;                                                             \
        }                                                                      \
    }

DP_WINDOW(3, 3)
DP_WINDOW(5, 5)

static DP_TARGET void dp_row(const nn_dwpw *p, const float *x, float *y, int oy)
{
    const int iy0 = oy * p->sh - p->pad_top;
    /* window rows inside the image */
    const int ky0 = iy0 >= 0 ? 0 : (-iy0 + p->dh - 1) / p->dh;
    int ky1 = p->H - 1 - iy0 >= 0 ? (p->H - 1 - iy0) / p->dh + 1 : 0;
    if (ky1 > p->kh)
        ky1 = p->kh;
    /* interior columns: ox * sw - pad_left >= 0 and the last tap < W */
    const int num = p->W - 1 - (p->kw - 1) * p->dw + p->pad_left;
    int oxa = (p->pad_left + p->sw - 1) / p->sw;
    int oxb = num >= 0 ? num / p->sw + 1 : 0;
    if (oxb > p->OW)
        oxb = p->OW;
    if (oxa >= oxb ||
        !((p->kh == 3 && p->kw == 3) || (p->kh == 5 && p->kw == 5)))
        oxa = oxb = 0;
    float *yrow = y + (size_t)oy * p->OW * p->out_stride;
    dp_checked(p, x, iy0, yrow, 0, oxa);
    if (oxa < oxb) {
        if (p->kh == 3)
            dp_interior_3x3(p, x, iy0, ky0, ky1, yrow, oxa, oxb);
        else
            dp_interior_5x5(p, x, iy0, ky0, ky1, yrow, oxa, oxb);
    }
    dp_checked(p, x, iy0, yrow, oxb > oxa ? oxb : oxa, p->OW);
}

static void dp_task(void *ctx, size_t i)
{
    const dp_ctx *c = ctx;
    dp_row(c->p, c->x, c->y, c->row0 + (int)i);
}

#endif

void nn_dwpw_run_rows(const nn_dwpw *p, const float *x, float *y, int r0,
                      int r1, struct pthreadpool *pool)
{
#ifdef DP_X86
    dp_ctx c = {p, x, y, r0 < 0 ? 0 : r0};
    if (r1 > p->OH)
        r1 = p->OH;
    if (r1 > c.row0)
        nn_run_tasks(pool, dp_task, &c, (size_t)(r1 - c.row0));
#else
    (void)p;
    (void)x;
    (void)y;
    (void)r0;
    (void)r1;
    (void)pool;
#endif
}

void nn_dwpw_run(const nn_dwpw *p, const float *x, float *y,
                 struct pthreadpool *pool)
{
    nn_dwpw_run_rows(p, x, y, 0, p->OH, pool);
}
