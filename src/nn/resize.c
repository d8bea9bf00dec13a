/*
 * resize.c - the AVX-512F bilinear resize (see resize.h). Compiled for
 * AVX-512F with a function attribute; nn_rs_available checks the CPU.
 */
#include "nn/resize.h"
#include "nn/graph.h"
#include "nn/simd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef NN_SIMD_X86
#define RS_X86    1
#define RS_TARGET __attribute__((target("avx512f")))
#endif

int nn_rs_available(void)
{
    return nn_cpu_avx512f();
}

/* Source index pair and weight of output coordinate o along an axis of
 * `in` samples, as the portable kernel computes them. */
static void rs_coord(int o, int in, double ratio, int half_pixel, int *i0,
                     int *i1, float *f)
{
    double s = half_pixel ? ratio * (o + 0.5) - 0.5 : ratio * o;
    int a = (int)floor(s), b = (int)ceil(s);
    if (a < 0)
        a = 0;
    if (b > in - 1)
        b = in - 1;
    if (a > in - 1)
        a = in - 1;
    *i0 = a;
    *i1 = b;
    *f = (float)(s - a);
}

int nn_rs_init(nn_rs *r, int H, int W, int C, int OH, int OW, int align_corners,
               int half_pixel, size_t out_stride)
{
    memset(r, 0, sizeof *r);
    r->H = H;
    r->W = W;
    r->C = C;
    r->OH = OH;
    r->OW = OW;
    r->out_stride = out_stride;
    size_t n = 2 * (size_t)OH + 2 * (size_t)OW;
    void *mem = malloc(n * sizeof(int) + ((size_t)OH + OW) * sizeof(float));
    if (!mem)
        return -1;
    r->y0 = mem;
    r->y1 = r->y0 + OH;
    r->x0 = r->y1 + OH;
    r->x1 = r->x0 + OW;
    r->fy = (float *)(r->x1 + OW);
    r->fx = r->fy + OH;
    double ry =
        (align_corners && OH > 1) ? (double)(H - 1) / (OH - 1) : (double)H / OH;
    double rx =
        (align_corners && OW > 1) ? (double)(W - 1) / (OW - 1) : (double)W / OW;
    for (int o = 0; o < OH; o++)
        rs_coord(o, H, ry, half_pixel, &r->y0[o], &r->y1[o], &r->fy[o]);
    for (int o = 0; o < OW; o++)
        rs_coord(o, W, rx, half_pixel, &r->x0[o], &r->x1[o], &r->fx[o]);
    return 0;
}

void nn_rs_free(nn_rs *r)
{
    if (r)
        free(r->y0);
}

#ifdef RS_X86

typedef struct rs_job {
    const nn_rs *r;
    const float *x;
    float *y;
    size_t T; /* with r->sum: row ranges */
} rs_job;

/* Output row oy; with `sum`, the stored values are added to sum[c]. NB
 * 1..4: C is in (16 (NB - 1), 16 NB] and the row's sums stay in
 * registers until its end; 0: any C, sums added per pixel. */
static RS_TARGET __attribute__((always_inline)) inline void
rs_row_t(const rs_job *j, size_t oy, float *sum, const int NB)
{
    const nn_rs *r = j->r;
    const size_t row = (size_t)r->W * r->C;
    const float *t = j->x + (size_t)r->y0[oy] * row;
    const float *b = j->x + (size_t)r->y1[oy] * row;
    const __m512 fy = _mm512_set1_ps(r->fy[oy]), z = _mm512_setzero_ps();
    float *yr = j->y + oy * (size_t)r->OW * r->out_stride;
    const int CE = NB ? 16 * NB : r->C; /* channel loop end */
    __m512 sv[4] = {z, z, z, z};
    for (int ox = 0; ox < r->OW; ox++) {
        const size_t a0 = (size_t)r->x0[ox] * r->C,
                     a1 = (size_t)r->x1[ox] * r->C;
        const __m512 fx = _mm512_set1_ps(r->fx[ox]);
        float *yp = yr + (size_t)ox * r->out_stride;
        /* the output lines 8 pixels ahead, for writing: a write-allocate
         * miss otherwise stalls the store (CenterNet's 128x128x64 upsample
         * into the concat: 0.48-0.49 -> 0.42-0.46 ms at 1 thread) */
        if (ox + 8 < r->OW)
            for (int c = 0; c < r->C; c += 16)
                _mm_prefetch((const char *)(yp + 8 * r->out_stride + c),
                             _MM_HINT_ET0);
#pragma GCC unroll 4
        for (int c = 0; c < CE; c += 16) {
            const __mmask16 m = nn_mask16(r->C, c);
            const __m512 tl = _mm512_maskz_loadu_ps(m, t + a0 + c);
            const __m512 tr = _mm512_maskz_loadu_ps(m, t + a1 + c);
            const __m512 bl = _mm512_maskz_loadu_ps(m, b + a0 + c);
            const __m512 br = _mm512_maskz_loadu_ps(m, b + a1 + c);
            const __m512 top = _mm512_fmadd_ps(_mm512_sub_ps(tr, tl), fx, tl);
            const __m512 bot = _mm512_fmadd_ps(_mm512_sub_ps(br, bl), fx, bl);
            __m512 v = _mm512_fmadd_ps(_mm512_sub_ps(bot, top), fy, top);
            if (r->relu)
                v = _mm512_max_ps(v, z);
            _mm512_mask_storeu_ps(yp + c, m, v);
            if (NB) /* masked-out lanes of v are 0 */
                sv[c / 16] = _mm512_add_ps(sv[c / 16], v);
            else if (sum)
                _mm512_mask_storeu_ps(
                    sum + c, m,
                    _mm512_add_ps(_mm512_maskz_loadu_ps(m, sum + c), v));
        }
    }
    for (int c = 0; c < CE && NB; c += 16) { /* unrolled: CE constant */
        const __mmask16 m = nn_mask16(r->C, c);
        _mm512_mask_storeu_ps(
            sum + c, m,
            _mm512_add_ps(_mm512_maskz_loadu_ps(m, sum + c), sv[c / 16]));
    }
}

static RS_TARGET void rs_row(void *ctx, size_t oy)
{
    rs_row_t(ctx, oy, NULL, 0);
}

/* pthreadpool task: the k-th of T contiguous row ranges, with sums. */
static RS_TARGET void rs_range(void *ctx, size_t k)
{
    const rs_job *j = ctx;
    const size_t OH = (size_t)j->r->OH;
    float *sum = j->r->sum + k * j->r->sum_stride;
    memset(sum, 0, (size_t)j->r->C * sizeof *sum);
    const size_t o0 = k * OH / j->T, o1 = (k + 1) * OH / j->T;
    switch ((j->r->C + 15) / 16) {
    case 1:
        for (size_t oy = o0; oy < o1; oy++)
            rs_row_t(j, oy, sum, 1);
        break;
    case 2:
        for (size_t oy = o0; oy < o1; oy++)
            rs_row_t(j, oy, sum, 2);
        break;
    case 3:
        for (size_t oy = o0; oy < o1; oy++)
            rs_row_t(j, oy, sum, 3);
        break;
    case 4:
        for (size_t oy = o0; oy < o1; oy++)
            rs_row_t(j, oy, sum, 4);
        break;
    default:
        for (size_t oy = o0; oy < o1; oy++)
            rs_row_t(j, oy, sum, 0);
    }
}

#endif

void nn_rs_run(const nn_rs *r, const float *x, float *y,
               struct pthreadpool *pool)
{
#ifdef RS_X86
    rs_job j = {r, x, y, 1};
    if (r->sum) {
        j.T = nn_range_count(pool, (size_t)r->OH);
        nn_run_tasks(pool, rs_range, &j, j.T);
    } else if (r->OH > 0) {
        nn_run_tasks(pool, rs_row, &j, (size_t)r->OH);
    }
#else
    (void)r;
    (void)x;
    (void)y;
    (void)pool;
#endif
}
