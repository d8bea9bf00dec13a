/*
 * dwconv.c - the AVX-512F depthwise convolution kernel (see dwconv.h).
 *
 * Work is split by output rows. A row goes in column tiles whose input
 * window fits in L1, and within a tile in channel blocks of 16 (the last
 * one masked). For a block, the tile's pixels go in groups of 16, 8, 4
 * (the last group of a span may overlap the one before: it recomputes the
 * same values) with one accumulator per pixel; the window width, the
 * stride and the group size are compile-time constants (dw_group), so the
 * group's input vectors are loaded once each and fed to every accumulator
 * whose window covers them. Window rows in the padding are skipped for the
 * whole row; groups near the left or right edge skip the input columns
 * outside the image (a compile-time checked variant), groups inside the
 * image load without checks and, for full blocks, without a mask. Padding
 * taps contribute nothing, as the zero padding of TF does (0 * w).
 *
 * The kernel is compiled for AVX-512F with a function attribute, so the
 * rest of the library keeps the baseline instruction set; nn_dw_available
 * checks the CPU at run time.
 */
#include "nn/dwconv.h"
#include "nn/graph.h"
#include "nn/simd.h"

#ifdef NN_SIMD_X86
#define DW_X86    1
#define DW_TARGET __attribute__((target("avx512f")))
#define DW_INLINE DW_TARGET __attribute__((always_inline)) static inline
#define DW_NMAX   16 /* output pixels per group at most */
#endif

int nn_dw_tile(const nn_dw *p)
{
    size_t per = (size_t)p->kh * (size_t)p->sw * (size_t)p->C * sizeof(float);
    size_t t = per ? ((size_t)16 << 10) / per : 1;
    t = (t + 8) / 16 * 16; /* whole groups of 16 pixels */
    t = t < 16 ? 16 : t;
    return t > (size_t)p->OW ? (p->OW > 0 ? p->OW : 1) : (int)t;
}

int nn_dw_available(void)
{
    return nn_cpu_avx512f();
}

#ifdef DW_X86

/* Loads the channels of mask m (a prefix of the 16) at q (checked by a
 * sanitized build, see nn_asan_mask_check). */
DW_INLINE __m512 dw_load(__mmask16 m, const float *q)
{
    nn_asan_mask_check(q, m);
    return _mm512_maskz_loadu_ps(m, q);
}

/* clamp, then the optional hard-swish, in the order TF computes them */
DW_INLINE __m512 dw_epilogue(const nn_dw *p, __m512 v)
{
    return nn_clamp_hs512(v, p->lo, p->hi, p->hardswish, p->hs_scale);
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
            __m512 xv = dw_load(m, xr + (size_t)ix * p->C);
            __m512 wv = dw_load(m, wr + (size_t)kx * p->C);
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

/* N consecutive output pixels from column ox of the row whose window
 * starts at input row iy0, window rows [kya, kyb) (the others fall in the
 * padding); acc starts from the bias. Each input vector loaded feeds every
 * output of the group whose window covers it (up to KW multiply-adds at
 * stride 1); the KW filter vectors of the current window row stay in
 * registers. Input columns outside the image are skipped (padding taps add
 * nothing, as in dw_pixel_checked): with CK, each column is checked; else
 * the group's first L and last R input columns are the ones outside
 * (a group at the image's left or right edge), known when compiled, so the
 * edge groups run as fast as the inner ones. Per output the taps still go
 * in row-major window order: rows ascending, within a row the input
 * columns (hence the window columns) ascending. Horizontal dilation 1;
 * KW, S, N, CK, L, R are constants at each call. */
DW_INLINE void dw_group_lr(const nn_dw *p, int iy0, int kya, int kyb, int ox,
                           float *yrow, int c0, __mmask16 m, __m512 b,
                           const int KW, const int S, const int N, const int CK,
                           const int L, const int R)
{
    __m512 acc[DW_NMAX];
#pragma GCC unroll 16
    for (int j = 0; j < N; j++)
        acc[j] = b;
    const size_t C = (size_t)p->C;
    const int ix0 = ox * S - p->pad_left;
    for (int ky = kya; ky < kyb; ky++) {
        const float *xr = p->x + (size_t)(iy0 + ky * p->dh) * p->W * C + c0;
        const float *wr = p->w + (size_t)ky * KW * C + c0;
        __m512 wv[5];
#pragma GCC unroll 5
        for (int kx = 0; kx < KW; kx++)
            wv[kx] = dw_load(m, wr + kx * C);
#pragma GCC unroll 40
        for (int i = 0; i < (N - 1) * S + KW; i++) {
            if ((CK && (unsigned)(ix0 + i) >= (unsigned)p->W) || i < L ||
                i >= (N - 1) * S + KW - R)
                continue;
            __m512 v = dw_load(m, xr + (ptrdiff_t)(ix0 + i) * (ptrdiff_t)C);
            /* one load in a register for all its multiply-adds: keeps
             * the compiler from folding it into each of them */
            __asm__("" : "+v"(v));
#pragma GCC unroll 16
            for (int j = 0; j < N; j++) {
                const int kx = i - j * S;
                if (kx >= 0 && kx < KW)
                    acc[j] = _mm512_fmadd_ps(v, wv[kx], acc[j]);
            }
        }
    }
    float *yp = yrow + (size_t)ox * p->out_stride + c0;
    /* the constants are made only now (held over the loops above they
     * would take registers from the filter and the accumulators) */
    __asm__ volatile("" ::: "memory");
    const __m512 lo = _mm512_set1_ps(p->lo), hi = _mm512_set1_ps(p->hi);
    if (p->hardswish) {
        const __m512 k = _mm512_set1_ps(p->hs_scale);
        const __m512 three = _mm512_set1_ps(3.0f), six = _mm512_set1_ps(6.0f);
#pragma GCC unroll 16
        for (int j = 0; j < N; j++) {
            const __m512 v = _mm512_min_ps(_mm512_max_ps(acc[j], lo), hi);
            __m512 t = _mm512_add_ps(v, three);
            t = _mm512_min_ps(_mm512_max_ps(t, _mm512_setzero_ps()), six);
            dw_store(yp + j * p->out_stride, m,
                     _mm512_mul_ps(_mm512_mul_ps(v, k), t));
        }
        return;
    }
#pragma GCC unroll 16
    for (int j = 0; j < N; j++)
        dw_store(yp + j * p->out_stride, m,
                 _mm512_min_ps(_mm512_max_ps(acc[j], lo), hi));
}

DW_INLINE void dw_group(const nn_dw *p, int iy0, int kya, int kyb, int ox,
                        float *yrow, int c0, __mmask16 m, __m512 b,
                        const int KW, const int S, const int N, const int CK)
{
    dw_group_lr(p, iy0, kya, kyb, ox, yrow, c0, m, b, KW, S, N, CK, 0, 0);
}

/* A group of N at ox: unchecked when its windows lie inside the image's
 * columns [oxa, oxb) (full blocks load without a mask); at the image's
 * left or right edge, with 1 or 2 input columns outside it on one side
 * (3x3 and 5x5 windows with SAME padding), a variant that skips those
 * columns, fixed when compiled; else checked per column. */
DW_INLINE void dw_group_at(const nn_dw *p, int iy0, int kya, int kyb, int ox,
                           int oxa, int oxb, float *yrow, int c0, __mmask16 m,
                           __m512 b, const int KW, const int S, const int N)
{
    if (ox < oxa || ox + N > oxb) {
        const int ix0 = ox * S - p->pad_left, ni = (N - 1) * S + KW;
        const int l = ix0 < 0 ? -ix0 : 0;
        const int r = ix0 + ni > p->W ? ix0 + ni - p->W : 0;
        if (N > 2 && l == 1 && r == 0)
            dw_group_lr(p, iy0, kya, kyb, ox, yrow, c0, m, b, KW, S, N, 0, 1,
                        0);
        else if (N > 2 && l == 2 && r == 0)
            dw_group_lr(p, iy0, kya, kyb, ox, yrow, c0, m, b, KW, S, N, 0, 2,
                        0);
        else if (N > 2 && l == 0 && r == 1)
            dw_group_lr(p, iy0, kya, kyb, ox, yrow, c0, m, b, KW, S, N, 0, 0,
                        1);
        else if (N > 2 && l == 0 && r == 2)
            dw_group_lr(p, iy0, kya, kyb, ox, yrow, c0, m, b, KW, S, N, 0, 0,
                        2);
        else
            dw_group(p, iy0, kya, kyb, ox, yrow, c0, m, b, KW, S, N, 1);
    } else if (m == (__mmask16)0xFFFF)
        dw_group(p, iy0, kya, kyb, ox, yrow, c0, (__mmask16)0xFFFF, b, KW, S, N,
                 0);
    else
        dw_group(p, iy0, kya, kyb, ox, yrow, c0, m, b, KW, S, N, 0);
}

/* Pixels [xa, xb) of a row (window rows [kya, kyb) inside the image) in
 * groups of 16, 8, 4 and 1; a span of at least 4 pixels ends with a group
 * of 4 that overlaps the previous one (recomputing the same values) rather
 * than single pixels. */
DW_INLINE void dw_span(const nn_dw *p, int iy0, int kya, int kyb, float *yrow,
                       int xa, int xb, int oxa, int oxb, int c0, __mmask16 m,
                       __m512 b, const int KW, const int S)
{
    int ox = xa;
    for (; ox + 16 <= xb; ox += 16)
        dw_group_at(p, iy0, kya, kyb, ox, oxa, oxb, yrow, c0, m, b, KW, S, 16);
    if (ox + 8 <= xb) {
        dw_group_at(p, iy0, kya, kyb, ox, oxa, oxb, yrow, c0, m, b, KW, S, 8);
        ox += 8;
    }
    if (ox + 4 <= xb) {
        dw_group_at(p, iy0, kya, kyb, ox, oxa, oxb, yrow, c0, m, b, KW, S, 4);
        ox += 4;
    }
    if (ox < xb && xb - xa >= 4) { /* 1-3 left: overlap the last 4 */
        dw_group_at(p, iy0, kya, kyb, xb - 4, oxa, oxb, yrow, c0, m, b, KW, S,
                    4);
        return;
    }
    for (; ox < xb; ox++)
        dw_group_at(p, iy0, kya, kyb, ox, oxa, oxb, yrow, c0, m, b, KW, S, 1);
}

/* Prefetches into L2 the channels [c0, c0 + 16) of the input the next
 * output row reads and this one does not (rows below the window, the
 * columns of tile [xa, xb)). The kernel walks the input by 16-channel
 * blocks, a pattern the hardware prefetchers follow poorly when the input
 * comes from memory; L2, not L1: input rows a power-of-two number of
 * lines apart would evict each other from L1 before use. */
DW_INLINE void dw_prefetch(const nn_dw *p, int iy0, int xa, int xb, int c0)
{
    int ra = iy0 + (p->kh - 1) * p->dh + 1, rb = ra + p->sh;
    int ca = xa * p->sw - p->pad_left;
    int cb = (xb - 1) * p->sw - p->pad_left + (p->kw - 1) * p->dw + 1;
    ra = ra < 0 ? 0 : ra;
    rb = rb > p->H ? p->H : rb;
    ca = ca < 0 ? 0 : ca;
    cb = cb > p->W ? p->W : cb;
    for (int r = ra; r < rb; r++) {
        const float *q = p->x + ((size_t)r * p->W + ca) * p->C + c0;
        for (int c = ca; c < cb; c++, q += p->C)
            _mm_prefetch((const char *)q, _MM_HINT_T1);
    }
}

/* Prefetches with intent to write channels [c0, c0 + 16) of the pixels
 * [xa, xb) of output row oy. A store to a line in no cache waits for the
 * line to be read from memory first; this starts those reads a row
 * ahead. */
DW_INLINE void dw_prefetch_out(const nn_dw *p, int oy, int xa, int xb, int c0)
{
    const float *q =
        p->y + ((size_t)(oy - p->row0) * p->OW + xa) * p->out_stride + c0;
    for (int c = xa; c < xb; c++, q += p->out_stride)
        _mm_prefetch((const char *)q, _MM_HINT_ET0);
}

/* Output row oy, columns in tiles (all channel blocks of a tile before the
 * next tile). KW, S: window width and column stride of the grouped path
 * (horizontal dilation 1), or 0 (other windows: every pixel on the
 * per-pixel checked path). */
DW_INLINE void dw_row_t(const nn_dw *p, int oy, const int KW, const int S)
{
    const int iy0 = oy * p->sh - p->pad_top;
    /* window rows inside the image: [kya, kyb) */
    int kya = iy0 >= 0 ? 0 : (-iy0 + p->dh - 1) / p->dh;
    int kyb = iy0 < p->H ? (p->H - 1 - iy0) / p->dh + 1 : 0;
    if (kyb > p->kh)
        kyb = p->kh;
    if (kyb < kya)
        kyb = kya;
    /* columns whose window lies inside the image: [oxa, oxb) */
    const int num = p->W - 1 - (p->kw - 1) * p->dw + p->pad_left;
    const int oxa = (p->pad_left + p->sw - 1) / p->sw;
    const int oxb = num >= 0 ? num / p->sw + 1 : 0;
    float *yrow = p->y + (size_t)(oy - p->row0) * p->OW * p->out_stride;

    for (int xa = 0; xa < p->OW; xa += p->tile) {
        const int xb = xa + p->tile < p->OW ? xa + p->tile : p->OW;
        for (int c0 = 0; c0 < p->C; c0 += 16) {
            dw_prefetch(p, iy0, xa, xb, c0);
            if (p->prefetch_out && oy + 1 < p->OH)
                dw_prefetch_out(p, oy + 1, xa, xb, c0);
            const __mmask16 m = nn_mask16(p->C, c0);
            const __m512 b =
                p->bias ? dw_load(m, p->bias + c0) : _mm512_setzero_ps();
            if (KW)
                dw_span(p, iy0, kya, kyb, yrow, xa, xb, oxa, oxb, c0, m, b, KW,
                        S);
            else
                dw_checked(p, iy0, yrow, xa, xb, c0, m, b);
        }
    }
}

static DW_TARGET void dw_row_k3s1(const nn_dw *p, int oy)
{
    dw_row_t(p, oy, 3, 1);
}
static DW_TARGET void dw_row_k3s2(const nn_dw *p, int oy)
{
    dw_row_t(p, oy, 3, 2);
}
static DW_TARGET void dw_row_k5s1(const nn_dw *p, int oy)
{
    dw_row_t(p, oy, 5, 1);
}
static DW_TARGET void dw_row_k5s2(const nn_dw *p, int oy)
{
    dw_row_t(p, oy, 5, 2);
}
static DW_TARGET void dw_row_any(const nn_dw *p, int oy)
{
    dw_row_t(p, oy, 0, 0);
}

static DW_TARGET void dw_row(const nn_dw *p, int oy)
{
    const int k = p->dw == 1 && (p->sw == 1 || p->sw == 2) ? p->kw : 0;
    if (k == 3)
        (p->sw == 1 ? dw_row_k3s1 : dw_row_k3s2)(p, oy);
    else if (k == 5)
        (p->sw == 1 ? dw_row_k5s1 : dw_row_k5s2)(p, oy);
    else
        dw_row_any(p, oy);
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
    if (row1 > row0)
        nn_run_tasks(pool, dw_task, &c, (size_t)(row1 - row0));
#else
    (void)p;
    (void)x;
    (void)y;
    (void)row0;
    (void)row1;
    (void)pool;
#endif
}
