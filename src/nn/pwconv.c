/*
 * pwconv.c - the AVX-512F 1x1 convolution kernel (see pwconv.h).
 *
 * Output channels go in column chunks of at most 80 (64 while more than
 * 80 remain); a chunk is NZ full 16-channel zmm vectors plus a tail TL of
 * none, one ymm vector (1-8 channels) or one masked zmm vector (9-15).
 * Pixels go in tiles of PP (12, 12, 8, 6, 5 for 1-5 vectors) with
 * PP x vectors accumulators in registers; a range's last tile overlaps
 * the one before (recomputing the same values) rather than falling back
 * to single pixels, which only ranges shorter than a tile use. NZ, TL
 * and PP are compile-time constants in each instantiation.
 *
 * Packed weights, per chunk: the bias (zero padded to NV vectors of 16
 * floats), then K rows of NV * 16 floats (row k: w[k][n0 .. n0 + cn),
 * zero padded), 64-byte aligned, so weight loads need no mask.
 *
 * The kernel is compiled for AVX-512F/VL with a function attribute, so the
 * rest of the library keeps the baseline instruction set; nn_pw_available
 * checks the CPU at run time.
 */
#include "nn/pwconv.h"
#include "nn/graph.h"
#include "nn/simd.h"

#include <string.h>

#ifdef NN_SIMD_X86
#define PW_X86    1
#define PW_TARGET __attribute__((target("avx512f,avx512vl,fma")))
#define PW_INLINE PW_TARGET __attribute__((always_inline)) static inline
#define PW_PMAX   12 /* pixels per tile at most */
#endif

#define PW_CHUNK_MAX 80 /* output channels per column chunk at most */

/* Measured on AMD EPYC Zen 4 (bench/bench_pw 10 [1|2], best of 10 warm
 * and cold, and per node in CenterNet with SPATIA_NN_PROFILE_NODES=1 at 1
 * and 2 threads):
 * - N % 16 in 1..8 (a ymm tail where XNNPACK computes a whole 16-lane
 *   tile): 0.84-0.95 of XNNPACK's time alone (N = 18, 22, 24, 72, 88,
 *   120), 0.72-0.93 in the model;
 * - 128x128 pixels and more: alone N = 16 and 64 tie (0.94-1.03), but in
 *   the model 0.57-0.59 (256x256 16->16) and 0.85-0.88 (128x128 18->64);
 * - one pixel (squeeze-excite convolutions) with K * N <= 8192: 0.3-0.8
 *   in the model (less set-up); larger ones (96 -> 384, 136 -> 528,
 *   184 -> 720) 1.2-1.9 at 2 threads, where XNNPACK splits N over the
 *   threads and this kernel runs one pixel on one thread;
 * - the rest (N a multiple of 16 or a 9-15 tail, fewer pixels): within
 *   5% either way (both at the multiply-add bound), left to XNNPACK. */
int nn_pw_preferred(int K, int N, long pixels)
{
    const int t = N % 16;
    if (pixels == 1) /* the tail rule below does not apply: see above */
        return (long)K * N <= 8192;
    return pixels >= 128 * 128 || (t >= 1 && t <= 8);
}

int nn_pw_available(void)
{
#ifdef PW_X86
    static int cached = -1; /* idempotent: a race writes the same value */
    if (cached < 0) {
        __builtin_cpu_init();
        cached = nn_cpu_avx512f() && __builtin_cpu_supports("avx512vl");
    }
    return cached;
#else
    return 0;
#endif
}

/* Channels of the chunk starting at n0 (chunks of 64 while more than 80
 * remain, then the rest). */
static int pw_chunk_len(int N, int n0)
{
    const int rem = N - n0;
    return rem > PW_CHUNK_MAX ? 64 : rem;
}

/* 16-float vectors of a chunk of cn channels (the tail counts one). */
static int pw_vecs(int cn)
{
    return (cn + 15) / 16;
}

size_t nn_pw_packed_len(int K, int N)
{
    size_t len = 0;
    for (int n0 = 0; n0 < N; n0 += pw_chunk_len(N, n0))
        len += (size_t)(K + 1) * 16 * pw_vecs(pw_chunk_len(N, n0));
    return len;
}

int nn_pw_init(nn_pw *p, int K, int N, long M, const float *w,
               const float *bias, float lo, float hi, size_t out_stride)
{
    memset(p, 0, sizeof *p);
    if (K < 1 || K > 65536 || N < 1 || N > 65536 || M < 0 ||
        out_stride < (size_t)N)
        return -1;
    const size_t len = nn_pw_packed_len(K, N);
    p->wp = nn_alloc_aligned(len * sizeof(float));
    if (!p->wp)
        return -1;
    memset(p->wp, 0, len * sizeof(float));
    float *q = p->wp;
    for (int n0 = 0; n0 < N; n0 += pw_chunk_len(N, n0)) {
        const int cn = pw_chunk_len(N, n0);
        const size_t rs = (size_t)16 * pw_vecs(cn);
        for (int j = 0; j < cn && bias; j++)
            q[j] = bias[n0 + j];
        for (int k = 0; k < K; k++)
            for (int j = 0; j < cn; j++)
                q[(size_t)(k + 1) * rs + j] = w[(size_t)k * N + n0 + j];
        q += (size_t)(K + 1) * rs;
    }
    p->K = K;
    p->N = N;
    p->M = M;
    p->lo = lo;
    p->hi = hi;
    p->out_stride = out_stride;
    p->res_stride = (size_t)N;
    p->wlen = len;
    return 0;
}

void nn_pw_free(nn_pw *p)
{
    if (!p)
        return;
    nn_free_aligned(p->wp);
    nn_free_aligned(p->w0);
    p->wp = p->w0 = NULL;
}

int nn_pw_gate_init(nn_pw *p)
{
    if (!p->w0 && !(p->w0 = nn_alloc_aligned(p->wlen * sizeof(float))))
        return -1;
    memcpy(p->w0, p->wp, p->wlen * sizeof(float));
    return 0;
}

#ifdef PW_X86

/* Pixels per tile for nv vectors per pixel: about 24 accumulators. */
#define PW_PP(nv) ((nv) <= 2 ? 12 : (nv) == 3 ? 8 : (nv) == 4 ? 6 : 5)

/* The hard-swish epilogue as TF (and ew_tile) computes it per element:
 * t = v + 3 clamped to [0, 6], then (v * k) * t; v itself when EP is
 * not PW_EP_HS. */
PW_INLINE __m512 pw_hs(const nn_pw *p, __m512 v, const int EP)
{
    return EP == PW_EP_HS ? nn_hardswish512(v, p->hs_scale) : v;
}

PW_INLINE __m256 pw_hs8(const nn_pw *p, __m256 v, const int EP)
{
    if (EP != PW_EP_HS)
        return v;
    __m256 t = _mm256_add_ps(v, _mm256_set1_ps(3.0f));
    t = _mm256_min_ps(_mm256_max_ps(t, _mm256_setzero_ps()),
                      _mm256_set1_ps(6.0f));
    return _mm256_mul_ps(_mm256_mul_ps(v, _mm256_set1_ps(p->hs_scale)), t);
}

/* One tile of PP pixels from x (pixels K floats apart) to y (os apart),
 * chunk weights w (bias row first, rows NV * 16 floats apart); tail mask
 * m (TL 1: 8 bits, TL 2: 16 bits); epilogue EP (PW_EP_ADD: residual r,
 * pixels p->res_stride apart, same columns as y; PW_EP_SUM: the stored
 * values of pixels skip..PP-1 added to sum, same columns as y). */
PW_INLINE void pw_tile(const nn_pw *p, const float *x, size_t K, float *y,
                       size_t os, const float *r, const float *w, __mmask16 m,
                       float *sum, int skip, const int NZ, const int TL,
                       const int PP, const int EP)
{
    const int NV = NZ + (TL != 0), NZM = NZ + (TL == 2);
    const size_t rs = (size_t)16 * NV;
    __m512 acc[PW_PMAX][5];
    __m256 acy[PW_PMAX];
#pragma GCC unroll 12
    for (int i = 0; i < PP; i++) {
#pragma GCC unroll 5
        for (int v = 0; v < NZM; v++)
            acc[i][v] = _mm512_load_ps(w + 16 * v);
        if (TL == 1)
            acy[i] = _mm256_load_ps(w + 16 * NZ);
    }
    const float *wk = w + rs;
    for (size_t k = 0; k < K; k++, wk += rs) {
        __m512 wv[5];
        __m256 wy = _mm256_setzero_ps();
#pragma GCC unroll 5
        for (int v = 0; v < NZM; v++)
            wv[v] = _mm512_load_ps(wk + 16 * v);
        if (TL == 1)
            wy = _mm256_load_ps(wk + 16 * NZ);
#pragma GCC unroll 12
        for (int i = 0; i < PP; i++) {
            const __m512 b = _mm512_set1_ps(x[(size_t)i * K + k]);
#pragma GCC unroll 5
            for (int v = 0; v < NZM; v++)
                acc[i][v] = _mm512_fmadd_ps(b, wv[v], acc[i][v]);
            if (TL == 1)
                acy[i] = _mm256_fmadd_ps(_mm512_castps512_ps256(b), wy, acy[i]);
        }
    }
    /* the clamp bounds (and the epilogue's constants) are read only now:
     * held in registers over the k loop they would push a weight vector
     * out to the stack */
    __asm__ volatile("" ::: "memory");
    const __m512 lo = _mm512_set1_ps(p->lo), hi = _mm512_set1_ps(p->hi);
    const size_t rs2 = p->res_stride;
    __m512 sv[5];
    __m256 sy = _mm256_setzero_ps();
    if (EP == PW_EP_SUM)
#pragma GCC unroll 5
        for (int v = 0; v < NZM; v++)
            sv[v] = _mm512_setzero_ps();
#pragma GCC unroll 12
    for (int i = 0; i < PP; i++) {
        float *q = y + (size_t)i * os;
        const float *ri = EP == PW_EP_ADD ? r + (size_t)i * rs2 : NULL;
        const int in_sum = EP == PW_EP_SUM && i >= skip;
#pragma GCC unroll 5
        for (int v = 0; v < NZ; v++) {
            __m512 o = _mm512_min_ps(_mm512_max_ps(acc[i][v], lo), hi);
            if (EP == PW_EP_ADD)
                o = _mm512_add_ps(o, _mm512_loadu_ps(ri + 16 * v));
            if (in_sum)
                sv[v] = _mm512_add_ps(sv[v], o);
            _mm512_storeu_ps(q + 16 * v, pw_hs(p, o, EP));
        }
        if (TL == 2) {
            __m512 o = _mm512_min_ps(_mm512_max_ps(acc[i][NZ], lo), hi);
            if (EP == PW_EP_ADD) {
                nn_asan_mask_check(ri + 16 * NZ, m);
                o = _mm512_add_ps(o, _mm512_maskz_loadu_ps(m, ri + 16 * NZ));
            }
            if (in_sum)
                sv[NZ] = _mm512_add_ps(sv[NZ], o);
            nn_asan_mask_check(q + 16 * NZ, m);
            _mm512_mask_storeu_ps(q + 16 * NZ, m, pw_hs(p, o, EP));
        } else if (TL == 1) {
            __m256 o =
                _mm256_min_ps(_mm256_max_ps(acy[i], _mm512_castps512_ps256(lo)),
                              _mm512_castps512_ps256(hi));
            if (in_sum)
                sy = _mm256_add_ps(sy, o);
            if (m == 0xFF) {
                if (EP == PW_EP_ADD)
                    o = _mm256_add_ps(o, _mm256_loadu_ps(ri + 16 * NZ));
                _mm256_storeu_ps(q + 16 * NZ, pw_hs8(p, o, EP));
            } else {
                if (EP == PW_EP_ADD) {
                    nn_asan_mask_check(ri + 16 * NZ, m);
                    o = _mm256_add_ps(
                        o, _mm256_maskz_loadu_ps((__mmask8)m, ri + 16 * NZ));
                }
                nn_asan_mask_check(q + 16 * NZ, m);
                _mm256_mask_storeu_ps(q + 16 * NZ, (__mmask8)m,
                                      pw_hs8(p, o, EP));
            }
        }
    }
    if (EP == PW_EP_SUM) {
#pragma GCC unroll 5
        for (int v = 0; v < NZ; v++)
            _mm512_storeu_ps(
                sum + 16 * v,
                _mm512_add_ps(_mm512_loadu_ps(sum + 16 * v), sv[v]));
        if (TL == 2) {
            nn_asan_mask_check(sum + 16 * NZ, m);
            _mm512_mask_storeu_ps(
                sum + 16 * NZ, m,
                _mm512_add_ps(_mm512_maskz_loadu_ps(m, sum + 16 * NZ), sv[NZ]));
        } else if (TL == 1) {
            nn_asan_mask_check(sum + 16 * NZ, m);
            _mm256_mask_storeu_ps(
                sum + 16 * NZ, (__mmask8)m,
                _mm256_add_ps(_mm256_maskz_loadu_ps((__mmask8)m, sum + 16 * NZ),
                              sy));
        }
    }
}

/* Pixels [a, b) of one chunk (weights w, output column n0). With the
 * residual epilogue a range's last partial tile runs pixel by pixel: an
 * overlapping tile would read residual values that an in-place output
 * already overwrote. */
PW_INLINE void pw_range_t(const nn_pw *p, const float *x, float *y,
                          const float *r, float *sum, long a, long b,
                          const float *w, int n0, __mmask16 m, const int NZ,
                          const int TL, const int EP)
{
    const int PP = PW_PP(NZ + (TL != 0));
    const size_t K = (size_t)p->K, os = p->out_stride, rs = p->res_stride;
    y += n0;
    if (EP == PW_EP_ADD)
        r += n0;
    if (EP == PW_EP_SUM)
        sum += n0;
#define PW_R(i) (EP == PW_EP_ADD ? r + (size_t)(i)*rs : NULL)
    long i = a;
    const int NV = NZ + (TL != 0);
    for (; i + PP <= b; i += PP) {
        if (p->prefetch_out && i + 3 * PP <= b) {
            const float *q = y + (size_t)(i + 2 * PP) * os;
#pragma GCC unroll 12
            for (int j = 0; j < PP; j++, q += os)
#pragma GCC unroll 5
                for (int v = 0; v < NV; v++)
                    _mm_prefetch((const char *)(q + 16 * v), _MM_HINT_ET0);
        }
        pw_tile(p, x + (size_t)i * K, K, y + (size_t)i * os, os, PW_R(i), w, m,
                sum, 0, NZ, TL, PP, EP);
    }
    if (EP != PW_EP_ADD && i < b && b - a >= PP) {
        const int done = (int)(i - (b - PP)); /* already summed */
        i = b - PP;                           /* overlap the last full tile */
        pw_tile(p, x + (size_t)i * K, K, y + (size_t)i * os, os, PW_R(i), w, m,
                sum, done, NZ, TL, PP, EP);
        return;
    }
    for (; i < b; i++)
        pw_tile(p, x + (size_t)i * K, K, y + (size_t)i * os, os, PW_R(i), w, m,
                sum, 0, NZ, TL, 1, EP);
#undef PW_R
}

typedef void (*pw_fn)(const nn_pw *, const float *, float *, const float *,
                      float *, long, long, const float *, int, __mmask16);

#define PW_INST1(nz, tl, ep)                                                   \
    static PW_TARGET void pw_range_##nz##_##tl##_##ep(                         \
        const nn_pw *p, const float *x, float *y, const float *r, float *sum,  \
        long a, long b, const float *w, int n0, __mmask16 m)                   \
    {                                                                          \
        pw_range_t(p, x, y, r, sum, a, b, w, n0, m, nz, tl, ep);               \
    }
#define PW_INST(nz, tl)                                                        \
    PW_INST1(nz, tl, 0)                                                        \
    PW_INST1(nz, tl, 1)                                                        \
    PW_INST1(nz, tl, 2)                                                        \
    PW_INST1(nz, tl, 3)
PW_INST(1, 0)
PW_INST(2, 0)
PW_INST(3, 0)
PW_INST(4, 0)
PW_INST(5, 0)
PW_INST(0, 1)
PW_INST(1, 1)
PW_INST(2, 1)
PW_INST(3, 1)
PW_INST(4, 1)
PW_INST(0, 2)
PW_INST(1, 2)
PW_INST(2, 2)
PW_INST(3, 2)
PW_INST(4, 2)

#define PW_ROW(tl, ep)                                                         \
    {                                                                          \
        pw_range_0_##tl##_##ep, pw_range_1_##tl##_##ep,                        \
            pw_range_2_##tl##_##ep, pw_range_3_##tl##_##ep,                    \
            pw_range_4_##tl##_##ep, NULL                                       \
    }
/* [EP][TL][NZ] */
static const pw_fn pw_fns[4][3][6] = {
#define PW_EP_ROWS(ep)                                                         \
    {                                                                          \
        {NULL,                                                                 \
         pw_range_1_0_##ep,                                                    \
         pw_range_2_0_##ep,                                                    \
         pw_range_3_0_##ep,                                                    \
         pw_range_4_0_##ep,                                                    \
         pw_range_5_0_##ep},                                                   \
            PW_ROW(1, ep), PW_ROW(2, ep)                                       \
    }
    PW_EP_ROWS(0),
    PW_EP_ROWS(1),
    PW_EP_ROWS(2),
    PW_EP_ROWS(3),
#undef PW_EP_ROWS
};

/* Pixels [a, b), every chunk; PW_EP_SUM: range k's row of sums. */
static void pw_range(const nn_pw *p, const float *x, float *y, const float *r,
                     long a, long b, size_t k)
{
    const float *w = p->wp;
    float *sum = NULL;
    if (p->ep == PW_EP_SUM) {
        sum = p->sum + k * p->sum_stride;
        memset(sum, 0, (size_t)p->N * sizeof *sum);
    }
    for (int n0 = 0; n0 < p->N; n0 += pw_chunk_len(p->N, n0)) {
        const int cn = pw_chunk_len(p->N, n0), t = cn % 16;
        const int tl = t == 0 ? 0 : t <= 8 ? 1 : 2;
        const __mmask16 m = (__mmask16)((1u << t) - 1);
        pw_fns[p->ep][tl][cn / 16](p, x, y, r, sum, a, b, w, n0, m);
        w += (size_t)(p->K + 1) * 16 * pw_vecs(cn);
    }
}

typedef struct pw_ctx {
    const nn_pw *p;
    const float *x;
    float *y;
    const float *r;
    size_t T;
} pw_ctx;

/* pthreadpool task: the k-th of T contiguous pixel ranges. */
static void pw_task(void *arg, size_t k)
{
    const pw_ctx *c = arg;
    const size_t M = (size_t)c->p->M;
    pw_range(c->p, c->x, c->y, c->r, (long)(k * M / c->T),
             (long)((k + 1) * M / c->T), k);
}

typedef struct pw_gate_ctx {
    nn_pw *p;
    const float *g;
    size_t T;
} pw_gate_ctx;

/* pthreadpool task: weight rows [k K / T, (k+1) K / T) of every chunk
 * scaled by the gate. */
static PW_TARGET void pw_gate_task(void *arg, size_t k)
{
    const pw_gate_ctx *c = arg;
    const nn_pw *p = c->p;
    const size_t K = (size_t)p->K;
    const size_t a = k * K / c->T, b = (k + 1) * K / c->T;
    size_t off = 0;
    for (int n0 = 0; n0 < p->N; n0 += pw_chunk_len(p->N, n0)) {
        const size_t rs = (size_t)16 * pw_vecs(pw_chunk_len(p->N, n0));
        for (size_t r = a; r < b; r++) {
            const __m512 gv = _mm512_set1_ps(c->g[r]);
            const float *s = p->w0 + off + (r + 1) * rs;
            float *d = p->wp + off + (r + 1) * rs;
            for (size_t j = 0; j < rs; j += 16)
                _mm512_store_ps(d + j,
                                _mm512_mul_ps(_mm512_load_ps(s + j), gv));
        }
        off += (K + 1) * rs;
    }
}

#endif

void nn_pw_gate(nn_pw *p, const float *g, struct pthreadpool *pool)
{
#ifdef PW_X86
    pw_gate_ctx c = {p, g, nn_range_count(pool, (size_t)p->K)};
    nn_run_tasks(pool, pw_gate_task, &c, c.T);
#else
    (void)p;
    (void)g;
    (void)pool;
#endif
}

void nn_pw_run_r(const nn_pw *p, const float *x, float *y, const float *r,
                 struct pthreadpool *pool)
{
#ifdef PW_X86
    pw_ctx c = {p, x, y, r, nn_range_count(pool, (size_t)p->M)};
    nn_run_tasks(pool, pw_task, &c, c.T);
#else
    (void)p;
    (void)x;
    (void)y;
    (void)r;
    (void)pool;
#endif
}

void nn_pw_run(const nn_pw *p, const float *x, float *y,
               struct pthreadpool *pool)
{
    nn_pw_run_r(p, x, y, NULL, pool);
}

void nn_pw_run_m(const nn_pw *p, const float *x, float *y, long M,
                 struct pthreadpool *pool)
{
    nn_pw q = *p;
    q.M = M < 1 ? 1 : (M > p->M ? p->M : M);
    nn_pw_run(&q, x, y, pool);
}

void nn_pw_run_mr(const nn_pw *p, const float *x, float *y, const float *r,
                  long M, struct pthreadpool *pool)
{
    nn_pw q = *p;
    q.M = M < 1 ? 1 : (M > p->M ? p->M : M);
    nn_pw_run_r(&q, x, y, r, pool);
}
