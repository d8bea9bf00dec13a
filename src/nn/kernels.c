/*
 * kernels.c - portable C kernels for every op of the IR.
 *
 * These run the small ops of a model (shape ops, TopK, Gather, integer
 * arithmetic), fold constants at load time, and serve as the reference path
 * (opts.portable) that the XNNPACK path is checked against. They follow the
 * TF.js CPU backend where its semantics are specific: integer division
 * floors, casts to int32 truncate, resize uses TF's legacy / half-pixel /
 * align-corners source coordinates in double precision, pooling ignores
 * padded cells, TopK breaks ties by the lower index.
 *
 * Kernels read shapes and attributes from the graph, never allocate, and
 * treat every index that comes from tensor data (Gather) as untrusted.
 */
#include <math.h>
#include <pthreadpool.h>
#include <stdint.h>
#include <string.h>

#include "nn/graph.h"
#include "spatia/error.h"

#define SHAPE(g, ti) (&(g)->t[ti].shape)

static float act(const nn_node *n, float v)
{
    if (!n->a.has_act)
        return v;
    if (v < n->a.act_min)
        v = n->a.act_min;
    if (v > n->a.act_max)
        v = n->a.act_max;
    return v;
}

/* --- convolution ---------------------------------------------------------- */

static void conv2d(const nn_graph *g, const nn_node *n, const float *x,
                   const float *w, const float *bias, float *y, float *acc)
{
    const nn_shape *xs = SHAPE(g, n->in[0]), *ws = SHAPE(g, n->in[1]);
    const nn_shape *ys = SHAPE(g, n->out[0]);
    const int N = xs->d[0], H = xs->d[1], W = xs->d[2], C = xs->d[3];
    const int KH = ws->d[0], KW = ws->d[1];
    const int OH = ys->d[1], OW = ys->d[2], CO = ys->d[3];
    const int dw = n->op == NN_OP_DWCONV2D;
    const int M = dw ? ws->d[3] : 0;

    for (int b = 0; b < N; b++) {
        for (int oy = 0; oy < OH; oy++) {
            for (int ox = 0; ox < OW; ox++) {
                for (int o = 0; o < CO; o++)
                    acc[o] = bias ? bias[o] : 0.0f;
                for (int ky = 0; ky < KH; ky++) {
                    int iy = oy * n->a.stride[0] - n->a.pad[0] +
                             ky * n->a.dilation[0];
                    if (iy < 0 || iy >= H)
                        continue;
                    for (int kx = 0; kx < KW; kx++) {
                        int ix = ox * n->a.stride[1] - n->a.pad[2] +
                                 kx * n->a.dilation[1];
                        if (ix < 0 || ix >= W)
                            continue;
                        const float *xp =
                            x + (((size_t)b * H + iy) * W + ix) * C;
                        const float *wp = w + ((size_t)ky * KW + kx) *
                                                  (size_t)C *
                                                  (dw ? (size_t)M : (size_t)CO);
                        if (dw) {
                            for (int c = 0; c < C; c++)
                                for (int m = 0; m < M; m++)
                                    acc[c * M + m] += xp[c] * wp[c * M + m];
                        } else {
                            for (int ci = 0; ci < C; ci++) {
                                const float xv = xp[ci];
                                const float *wr = wp + (size_t)ci * CO;
                                for (int o = 0; o < CO; o++)
                                    acc[o] += xv * wr[o];
                            }
                        }
                    }
                }
                float *yp = y + (((size_t)b * OH + oy) * OW + ox) * CO;
                for (int o = 0; o < CO; o++)
                    yp[o] = act(n, acc[o]);
            }
        }
    }
}

/* --- pooling -------------------------------------------------------------- */

static void pool2d(const nn_graph *g, const nn_node *n, const float *x,
                   float *y)
{
    const nn_shape *xs = SHAPE(g, n->in[0]), *ys = SHAPE(g, n->out[0]);
    const int N = xs->d[0], H = xs->d[1], W = xs->d[2], C = xs->d[3];
    const int OH = ys->d[1], OW = ys->d[2];
    const int is_max = n->op == NN_OP_MAXPOOL;

    for (int b = 0; b < N; b++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                int y0 = oy * n->a.stride[0] - n->a.pad[0];
                int x0 = ox * n->a.stride[1] - n->a.pad[2];
                float *yp = y + (((size_t)b * OH + oy) * OW + ox) * C;
                for (int c = 0; c < C; c++) {
                    double acc = is_max ? -INFINITY : 0.0;
                    int cnt = 0;
                    for (int ky = 0; ky < n->a.ksize[0]; ky++) {
                        int iy = y0 + ky;
                        if (iy < 0 || iy >= H)
                            continue;
                        for (int kx = 0; kx < n->a.ksize[1]; kx++) {
                            int ix = x0 + kx;
                            if (ix < 0 || ix >= W)
                                continue;
                            float v =
                                x[(((size_t)b * H + iy) * W + ix) * C + c];
                            if (is_max)
                                acc = v > acc ? v : acc;
                            else
                                acc += v;
                            cnt++;
                        }
                    }
                    if (!is_max)
                        acc = cnt ? acc / cnt : 0.0;
                    yp[c] = act(n, (float)acc);
                }
            }
}

/* --- elementwise ---------------------------------------------------------- */

/* Strides (in elements) of `s` broadcast to rank r, 0 on broadcast dims. */
static void bcast_strides(const nn_shape *s, const nn_shape *o, long *st)
{
    int r = o->rank, off = r - s->rank;
    long acc = 1;
    for (int i = r - 1; i >= 0; i--) {
        int si = i - off;
        if (si < 0 || s->d[si] == 1) {
            st[i] = 0;
        } else {
            st[i] = acc;
        }
        if (si >= 0)
            acc *= s->d[si];
    }
}

static int32_t wrap32(int64_t v)
{
    return (int32_t)(uint32_t)(uint64_t)v;
}

static int32_t floordiv_i(int32_t a, int32_t b)
{
    if (b == 0)
        return 0; /* JS: Infinity/NaN stored into Int32Array */
    double q = floor((double)a / (double)b);
    return wrap32((int64_t)q);
}

static int32_t floormod_i(int32_t a, int32_t b)
{
    if (b == 0)
        return 0;
    int64_t r = (int64_t)a % b;
    if (r != 0 && ((r < 0) != (b < 0)))
        r += b;
    return (int32_t)r;
}

static double floormod_f(double a, double b)
{
    double r = fmod(a, b);
    if ((a < 0 && b < 0) || (a >= 0 && b >= 0))
        return r;
    return fmod(r + b, b);
}

static float bin_f(nn_op op, float a, float b)
{
    switch (op) {
    case NN_OP_ADD:
        return a + b;
    case NN_OP_SUB:
        return a - b;
    case NN_OP_MUL:
        return a * b;
    case NN_OP_DIV:
        return a / b;
    case NN_OP_MAXIMUM:
        return a > b ? a : b;
    case NN_OP_MINIMUM:
        return a < b ? a : b;
    case NN_OP_FLOORDIV:
        return (float)floor((double)a / (double)b);
    case NN_OP_FLOORMOD:
        return (float)floormod_f(a, b);
    default:
        return 0.0f;
    }
}

static int32_t bin_i(nn_op op, int32_t a, int32_t b)
{
    switch (op) {
    case NN_OP_ADD:
        return wrap32((int64_t)a + b);
    case NN_OP_SUB:
        return wrap32((int64_t)a - b);
    case NN_OP_MUL:
        return wrap32((int64_t)a * b);
    case NN_OP_DIV:
    case NN_OP_FLOORDIV:
        return floordiv_i(a, b);
    case NN_OP_MAXIMUM:
        return a > b ? a : b;
    case NN_OP_MINIMUM:
        return a < b ? a : b;
    case NN_OP_FLOORMOD:
        return floormod_i(a, b);
    default:
        return 0;
    }
}

static uint8_t cmp_d(nn_op op, double a, double b)
{
    switch (op) {
    case NN_OP_EQUAL:
        return a == b;
    case NN_OP_NOT_EQUAL:
        return a != b;
    case NN_OP_GREATER:
        return a > b;
    case NN_OP_GREATER_EQUAL:
        return a >= b;
    case NN_OP_LESS:
        return a < b;
    case NN_OP_LESS_EQUAL:
        return a <= b;
    default:
        return 0;
    }
}

static int is_cmp(nn_op op)
{
    return op >= NN_OP_EQUAL && op <= NN_OP_LESS_EQUAL;
}

static double load_d(nn_dtype dt, const void *p, size_t i)
{
    switch (dt) {
    case NN_F32:
        return ((const float *)p)[i];
    case NN_I32:
        return ((const int32_t *)p)[i];
    default:
        return ((const uint8_t *)p)[i];
    }
}

static void binary(const nn_graph *g, const nn_node *n, const void *a,
                   const void *b, void *y)
{
    const nn_tensor *ta = &g->t[n->in[0]], *tb = &g->t[n->in[1]];
    const nn_shape *os = SHAPE(g, n->out[0]);
    const int r = os->rank;
    long sa[NN_MAX_RANK], sb[NN_MAX_RANK];
    int idx[NN_MAX_RANK] = {0};
    size_t total = nn_shape_elems(os);
    const nn_dtype dt = ta->dtype;
    const int cmp = is_cmp(n->op);

    if (total == 0)
        return;
    bcast_strides(&ta->shape, os, sa);
    bcast_strides(&tb->shape, os, sb);
    long ia = 0, ib = 0;
    for (size_t o = 0; o < total; o++) {
        if (cmp) {
            ((uint8_t *)y)[o] = cmp_d(n->op, load_d(dt, a, (size_t)ia),
                                      load_d(dt, b, (size_t)ib));
        } else if (dt == NN_F32) {
            ((float *)y)[o] = act(n, bin_f(n->op, ((const float *)a)[ia],
                                           ((const float *)b)[ib]));
        } else {
            ((int32_t *)y)[o] = bin_i(n->op, ((const int32_t *)a)[ia],
                                      ((const int32_t *)b)[ib]);
        }
        /* advance the multi-index (last dim fastest) */
        for (int d = r - 1; d >= 0; d--) {
            ia += sa[d];
            ib += sb[d];
            if (++idx[d] < os->d[d])
                break;
            ia -= sa[d] * os->d[d];
            ib -= sb[d] * os->d[d];
            idx[d] = 0;
        }
    }
}

/* Elementwise float kernels: one tight loop per op so that the compiler
 * vectorizes them; y may equal x. Split into tiles over the thread pool. */
#define EW_TILE 16384

typedef struct ew_ctx {
    const nn_node *n;
    const float *x, *x2;
    float *y;
} ew_ctx;

/* -O2 only vectorizes loops whose trip count is known; the elementwise
 * and global-mean loops are the bulk of the portable work, so they get the
 * full vectorizer, and on x86-64 an AVX-512 clone picked at load time (the
 * same operations per element, 16 lanes instead of 4). */
#if defined(__GNUC__) && !defined(__clang__)
#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define NN_HOT_LOOPS                                                           \
    __attribute__((optimize("O3")))                                            \
    __attribute__((target_clones("avx512f", "default")))
#else
#define NN_HOT_LOOPS __attribute__((optimize("O3")))
#endif
#else
#define NN_HOT_LOOPS
#endif

NN_HOT_LOOPS static void ew_tile(void *ctx, size_t start, size_t len)
{
    const ew_ctx *c = ctx;
    const float *x = c->x + start, *x2 = c->x2 ? c->x2 + start : NULL;
    float *y = c->y + start;
    const nn_node *n = c->n;

    switch (n->op) {
    case NN_OP_RELU:
        for (size_t i = 0; i < len; i++)
            y[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case NN_OP_RELU6:
        for (size_t i = 0; i < len; i++) {
            float v = x[i] > 0.0f ? x[i] : 0.0f;
            y[i] = v < 6.0f ? v : 6.0f;
        }
        break;
    case NN_OP_CLAMP: {
        const float lo = n->a.act_min, hi = n->a.act_max;
        for (size_t i = 0; i < len; i++) {
            float v = x[i] > lo ? x[i] : lo;
            y[i] = v < hi ? v : hi;
        }
        break;
    }
    case NN_OP_SIGMOID:
        for (size_t i = 0; i < len; i++)
            y[i] = (float)(1.0 / (1.0 + exp(-(double)x[i])));
        break;
    case NN_OP_TANH:
        for (size_t i = 0; i < len; i++)
            y[i] = (float)tanh((double)x[i]);
        break;
    case NN_OP_HARDSWISH: {
        /* as TF writes it: (x * k) * relu6(x + 3) */
        const float k = n->a.hs_scale;
        for (size_t i = 0; i < len; i++) {
            float v = x[i], t = v + 3.0f;
            t = t > 0.0f ? t : 0.0f;
            t = t < 6.0f ? t : 6.0f;
            y[i] = (v * k) * t;
        }
        break;
    }
    case NN_OP_SELECT_EQ:
        for (size_t i = 0; i < len; i++)
            y[i] = x[i] == x2[i] ? x[i] : x[i] * 0.0f;
        break;
    default:
        break;
    }
}

typedef struct ew_ranges {
    ew_ctx *c;
    size_t cnt, T;
} ew_ranges;

/* pthreadpool task: range k of T over [0, cnt) (bounds on multiples of 16
 * elements): each thread writes the same part every run (nn_run_tasks) */
static void ew_range(void *arg, size_t k)
{
    const ew_ranges *r = arg;
    const size_t a = k ? (k * r->cnt / r->T) & ~(size_t)15 : 0;
    const size_t b =
        k + 1 < r->T ? ((k + 1) * r->cnt / r->T) & ~(size_t)15 : r->cnt;
    if (b > a)
        ew_tile(r->c, a, b - a);
}

static void elementwise(const nn_node *n, const float *x, const float *x2,
                        float *y, size_t cnt, pthreadpool_t pool)
{
    ew_ctx c = {n, x, x2, y};
    if (!pool || cnt <= EW_TILE) {
        ew_tile(&c, 0, cnt);
    } else {
        ew_ranges r = {&c, cnt, nn_range_count(pool, cnt)};
        nn_run_tasks(pool, ew_range, &r, r.T);
    }
}

/* --- reductions and shape ops -------------------------------------------- */

/* Global average pooling (mean over H and W of NHWC, batch 1): the pixels
 * are dealt out in one contiguous range per thread, the same rows the
 * thread produced in the step before (XNNPACK and the own kernels split
 * rows the same way), so no core reads rows another core wrote (on a CPU
 * whose cores sit on different L3 slices that costs several times the
 * local read). Each range sums into its own float row of partials; the
 * rows are added in thread order, so the result does not depend on
 * timing. */
typedef struct gap_ctx {
    const float *x;
    float *part; /* [T][C] */
    size_t P, C, T;
} gap_ctx;

NN_HOT_LOOPS static void gap_range(void *ctx, size_t k)
{
    const gap_ctx *c = ctx;
    const size_t p0 = k * c->P / c->T, p1 = (k + 1) * c->P / c->T, C = c->C;
    float *acc = c->part + k * C;
    size_t j0 = 0;
    /* 64 columns at a time over all the pixels, so the running sums stay
     * in registers (a row in memory chains every add through a store and a
     * load, and at 2 threads the rows of neighbouring threads share a cache
     * line when C * 4 is not a multiple of 64, which then moves between the
     * cores for every pixel); per column the same additions in the same
     * order */
    for (; j0 + 64 <= C; j0 += 64) {
        float a[64] = {0};
        for (size_t i = p0; i < p1; i++) {
            const float *px = c->x + i * C + j0;
            for (size_t j = 0; j < 64; j++)
                a[j] += px[j];
        }
        memcpy(acc + j0, a, sizeof a);
    }
    if (j0 < C) { /* the last < 64 columns, on the stack as well: the next
                     thread's row of partials may share acc's last line */
        const size_t n = C - j0;
        float a[64] = {0};
        for (size_t i = p0; i < p1; i++) {
            const float *px = c->x + i * C + j0;
            for (size_t j = 0; j < n; j++)
                a[j] += px[j];
        }
        memcpy(acc + j0, a, n * sizeof *a);
    }
}

static void global_mean(const nn_node *n, const float *x, float *y, size_t P,
                        size_t C, float *part, pthreadpool_t pool)
{
    const size_t T = nn_range_count(pool, P);
    gap_ctx c = {x, part, P, C, T};
    nn_run_tasks(pool, gap_range, &c, T);
    nn_kernel_mean_finish(n, part, T, C, C, P, y);
}

void nn_kernel_mean_finish(const nn_node *n, const float *part, size_t T,
                           size_t stride, size_t C, size_t P, float *y)
{
    for (size_t j = 0; j < C; j++) {
        float s = part[j];
        for (size_t k = 1; k < T; k++)
            s += part[k * stride + j];
        y[j] = act(n, P ? s / (float)P : NAN);
    }
}

int nn_kernel_is_global_mean(const nn_graph *g, const nn_node *n)
{
    const nn_shape *xs = SHAPE(g, n->in[0]);
    return xs->rank == 4 && xs->d[0] == 1 && n->a.axes_mask == 0x6 &&
           g->t[n->in[0]].dtype == NN_F32;
}

static void mean(const nn_graph *g, const nn_node *n, const float *x, float *y,
                 double *acc)
{
    const nn_shape *xs = SHAPE(g, n->in[0]);
    size_t total = nn_shape_elems(xs), on = nn_shape_elems(SHAPE(g, n->out[0]));
    long ost[NN_MAX_RANK];
    int idx[NN_MAX_RANK] = {0};
    size_t cnt = 1;
    long acc_st = 1;

    /* Strides of the (kept) output index for every input dim. */
    for (int d = xs->rank - 1; d >= 0; d--) {
        if (n->a.axes_mask & (1 << d)) {
            ost[d] = 0;
            cnt *= (size_t)xs->d[d];
        } else {
            ost[d] = acc_st;
            acc_st *= xs->d[d];
        }
    }
    for (size_t i = 0; i < on; i++)
        acc[i] = 0.0;
    long o = 0;
    for (size_t i = 0; i < total; i++) {
        acc[o] += x[i];
        for (int d = xs->rank - 1; d >= 0; d--) {
            o += ost[d];
            if (++idx[d] < xs->d[d])
                break;
            o -= ost[d] * xs->d[d];
            idx[d] = 0;
        }
    }
    for (size_t i = 0; i < on; i++)
        y[i] = act(n, cnt ? (float)(acc[i] / (double)cnt) : NAN);
}

typedef struct cat_ctx {
    const nn_graph *g;
    const nn_node *n;
    const void *const *in;
    void *y;
    size_t inner, orow, es;
} cat_ctx;

static void cat_row(void *ctx, size_t o)
{
    const cat_ctx *c = ctx;
    size_t off = 0;
    for (int i = 0; i < c->n->nin - 1; i++) {
        size_t row = (size_t)SHAPE(c->g, c->n->in[i])->d[c->n->a.axis] *
                     c->inner * c->es;
        memcpy((char *)c->y + o * c->orow + off,
               (const char *)c->in[i] + o * row, row);
        off += row;
    }
}

static void concat(const nn_graph *g, const nn_node *n, const void *const *in,
                   void *y, pthreadpool_t pool)
{
    const nn_shape *os = SHAPE(g, n->out[0]);
    const int ax = n->a.axis;
    cat_ctx c = {g, n, in, y, 1, 0, nn_dtype_size(g->t[n->out[0]].dtype)};
    size_t outer = 1;
    for (int d = 0; d < ax; d++)
        outer *= (size_t)os->d[d];
    for (int d = ax + 1; d < os->rank; d++)
        c.inner *= (size_t)os->d[d];
    c.orow = (size_t)os->d[ax] * c.inner * c.es;
    if (pool && outer >= 64)
        pthreadpool_parallelize_1d(pool, cat_row, &c, outer, 0);
    else
        for (size_t o = 0; o < outer; o++)
            cat_row(&c, o);
}

static void cast(const nn_graph *g, const nn_node *n, const void *x, void *y)
{
    const nn_dtype from = g->t[n->in[0]].dtype, to = n->a.dst;
    size_t cnt = nn_shape_elems(SHAPE(g, n->out[0]));
    for (size_t i = 0; i < cnt; i++) {
        double v = load_d(from, x, i);
        switch (to) {
        case NN_F32:
            ((float *)y)[i] = (float)v;
            break;
        case NN_I32:
            /* JS ToInt32: truncate, NaN -> 0, modulo 2^32 */
            if (!isfinite(v))
                v = 0;
            v = trunc(v);
            v = fmod(v, 4294967296.0);
            ((int32_t *)y)[i] = wrap32((int64_t)v);
            break;
        case NN_BOOL:
            ((uint8_t *)y)[i] = v != 0.0 && !isnan(v);
            break;
        }
    }
}

static void strided_slice(const nn_graph *g, const nn_node *n, const void *x,
                          void *y)
{
    const nn_shape *xs = SHAPE(g, n->in[0]);
    const size_t es = nn_dtype_size(g->t[n->in[0]].dtype);
    const int r = xs->rank;
    long st[NN_MAX_RANK];
    int idx[NN_MAX_RANK] = {0};
    size_t total = 1;

    long acc = 1;
    for (int d = r - 1; d >= 0; d--) {
        st[d] = acc;
        acc *= xs->d[d];
        total *= (size_t)n->a.sl_size[d];
    }
    if (total == 0)
        return;
    for (size_t o = 0; o < total; o++) {
        long src = 0;
        for (int d = 0; d < r; d++)
            src += ((long)n->a.sl_begin[d] + (long)idx[d] * n->a.sl_stride[d]) *
                   st[d];
        memcpy((char *)y + o * es, (const char *)x + (size_t)src * es, es);
        for (int d = r - 1; d >= 0; d--) {
            if (++idx[d] < n->a.sl_size[d])
                break;
            idx[d] = 0;
        }
    }
}

static void resize_bilinear(const nn_graph *g, const nn_node *n, const float *x,
                            float *y)
{
    const nn_shape *xs = SHAPE(g, n->in[0]), *ys = SHAPE(g, n->out[0]);
    const int N = xs->d[0], H = xs->d[1], W = xs->d[2], C = xs->d[3];
    const int OH = ys->d[1], OW = ys->d[2];
    const int ac = n->a.align_corners, hp = n->a.half_pixel;
    double ry = (ac && OH > 1) ? (double)(H - 1) / (OH - 1) : (double)H / OH;
    double rx = (ac && OW > 1) ? (double)(W - 1) / (OW - 1) : (double)W / OW;

    for (int b = 0; b < N; b++)
        for (int oy = 0; oy < OH; oy++) {
            double sy = hp ? ry * (oy + 0.5) - 0.5 : ry * oy;
            int y0 = (int)floor(sy);
            if (y0 < 0)
                y0 = 0;
            double fy = sy - y0;
            int y1 = (int)ceil(sy);
            if (y1 > H - 1)
                y1 = H - 1;
            if (y0 > H - 1)
                y0 = H - 1;
            for (int ox = 0; ox < OW; ox++) {
                double sx = hp ? rx * (ox + 0.5) - 0.5 : rx * ox;
                int x0 = (int)floor(sx);
                if (x0 < 0)
                    x0 = 0;
                double fx = sx - x0;
                int x1 = (int)ceil(sx);
                if (x1 > W - 1)
                    x1 = W - 1;
                if (x0 > W - 1)
                    x0 = W - 1;
                const float *tl = x + (((size_t)b * H + y0) * W + x0) * C;
                const float *tr = x + (((size_t)b * H + y0) * W + x1) * C;
                const float *bl = x + (((size_t)b * H + y1) * W + x0) * C;
                const float *br = x + (((size_t)b * H + y1) * W + x1) * C;
                float *yp = y + (((size_t)b * OH + oy) * OW + ox) * C;
                for (int c = 0; c < C; c++) {
                    double top = tl[c] + ((double)tr[c] - tl[c]) * fx;
                    double bot = bl[c] + ((double)br[c] - bl[c]) * fx;
                    yp[c] = (float)(top + (bot - top) * fy);
                }
            }
        }
}

static void pad(const nn_graph *g, const nn_node *n, const void *x, void *y)
{
    const nn_shape *xs = SHAPE(g, n->in[0]), *ys = SHAPE(g, n->out[0]);
    const nn_dtype dt = g->t[n->out[0]].dtype;
    const size_t es = nn_dtype_size(dt);
    size_t total = nn_shape_elems(ys), in_total = nn_shape_elems(xs);
    long ost[NN_MAX_RANK];
    int idx[NN_MAX_RANK] = {0};

    for (size_t i = 0; i < total; i++) {
        if (dt == NN_F32)
            ((float *)y)[i] = (float)n->a.pad_value;
        else if (dt == NN_I32)
            ((int32_t *)y)[i] = (int32_t)n->a.pad_value;
        else
            ((uint8_t *)y)[i] = n->a.pad_value != 0;
    }
    if (in_total == 0)
        return;
    long acc = 1;
    for (int d = ys->rank - 1; d >= 0; d--) {
        ost[d] = acc;
        acc *= ys->d[d];
    }
    for (size_t i = 0; i < in_total; i++) {
        long o = 0;
        for (int d = 0; d < xs->rank; d++)
            o += (long)(idx[d] + n->a.padv[d][0]) * ost[d];
        memcpy((char *)y + (size_t)o * es, (const char *)x + i * es, es);
        for (int d = xs->rank - 1; d >= 0; d--) {
            if (++idx[d] < xs->d[d])
                break;
            idx[d] = 0;
        }
    }
}

/* TopK: a min-heap (worst on top) of the k best (value desc, index asc). */
typedef struct topk_ent {
    double v;
    int32_t i;
} topk_ent;

static int better(const topk_ent *a, const topk_ent *b)
{
    return a->v > b->v || (a->v == b->v && a->i < b->i);
}

static void heap_down(topk_ent *h, int n, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && better(&h[w], &h[l]))
            w = l;
        if (r < n && better(&h[w], &h[r]))
            w = r;
        if (w == i)
            return;
        topk_ent t = h[i];
        h[i] = h[w];
        h[w] = t;
        i = w;
    }
}

static void heap_up(topk_ent *h, int i)
{
    while (i > 0) {
        int p = (i - 1) / 2;
        if (!better(&h[p], &h[i]))
            return;
        topk_ent t = h[i];
        h[i] = h[p];
        h[p] = t;
        i = p;
    }
}

/* PeakTopK geometry: x is NHWC; an element counts with its value when it
 * equals the max of its kh x kw window (stride 1, padding ignored), else
 * as value * 0. */
typedef struct peak_geom {
    int on;
    int H, W, C, kh, kw, pt, pl;
} peak_geom;

static double peak_value(const peak_geom *pg, const float *x, size_t j)
{
    const int C = pg->C, W = pg->W, H = pg->H;
    int c, w, h;
    if (j <= UINT32_MAX) { /* 32-bit divisions: a third of the latency */
        const uint32_t p32 = (uint32_t)j / (uint32_t)C;
        const uint32_t r32 = p32 / (uint32_t)W;
        c = (int)((uint32_t)j - p32 * (uint32_t)C);
        w = (int)(p32 - r32 * (uint32_t)W);
        h = (int)(r32 < (uint32_t)H ? r32 : r32 % (uint32_t)H);
    } else {
        const size_t pix = j / (size_t)C;
        c = (int)(j % (size_t)C);
        w = (int)(pix % (size_t)W);
        h = (int)((pix / (size_t)W) % (size_t)H);
    }
    const float *img = x + (j - ((size_t)h * W + w) * C - c);
    const float v = x[j];
    const int y0 = h - pg->pt, x0 = w - pg->pl;
    const int ya = y0 < 0 ? 0 : y0, xa = x0 < 0 ? 0 : x0;
    const int yb = y0 + pg->kh < H ? y0 + pg->kh : H;
    const int xb = x0 + pg->kw < W ? x0 + pg->kw : W;
    /* any larger value in the window makes it no peak: the own row first
     * (cached), then the others; NaN neighbours never count, as in a max */
    for (int k = 0; k <= yb - ya; k++) {
        const int yy = k == 0 ? h : ya + k - 1;
        if (k > 0 && yy == h)
            continue;
        if (yy < ya || yy >= yb)
            continue;
        const float *row = img + ((size_t)yy * W) * C + c;
        for (int xx = xa; xx < xb; xx++)
            if (row[(size_t)xx * C] > v)
                return v * 0.0f;
    }
    return v == v ? v : v * 0.0f;
}

static void heap_push(topk_ent *h, int *cnt, int k, topk_ent e)
{
    if (*cnt < k) {
        h[*cnt] = e;
        heap_up(h, (*cnt)++);
    } else {
        h[0] = e;
        heap_down(h, k, 0);
    }
}

/* First index j in [i, hi) with !(x[j] < thr && x[j] >= 0): the values
 * the TopK scan must look at. 16 at a time on AVX-512 CPUs (checked at
 * run time), else one by one. */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
__attribute__((target("avx512f"))) static int
skip_below_avx512(const float *x, int i, int hi, float thr)
{
    if (thr > 0.0f) {
        /* 0 <= v < thr is one unsigned compare of the bit patterns (the
         * negative ones, NaN and -0 compare above and stop the scan,
         * which is always safe), 64 values per test */
        uint32_t tb;
        memcpy(&tb, &thr, sizeof tb);
        const __m512i t = _mm512_set1_epi32((int)tb);
        for (; i + 64 <= hi; i += 64) {
            const __mmask16 a =
                _mm512_cmplt_epu32_mask(_mm512_loadu_si512(x + i), t);
            const __mmask16 b =
                _mm512_cmplt_epu32_mask(_mm512_loadu_si512(x + i + 16), t);
            const __mmask16 c =
                _mm512_cmplt_epu32_mask(_mm512_loadu_si512(x + i + 32), t);
            const __mmask16 d =
                _mm512_cmplt_epu32_mask(_mm512_loadu_si512(x + i + 48), t);
            if ((a & b & c & d) != 0xFFFFu)
                break;
        }
        for (; i + 16 <= hi; i += 16) {
            const unsigned m =
                _mm512_cmplt_epu32_mask(_mm512_loadu_si512(x + i), t);
            if (m != 0xFFFFu)
                return i + __builtin_ctz(~m);
        }
        while (i < hi && x[i] < thr && x[i] >= 0.0f)
            i++;
        return i;
    }
    const __m512 t = _mm512_set1_ps(thr), z = _mm512_setzero_ps();
    for (; i + 16 <= hi; i += 16) {
        const __m512 v = _mm512_loadu_ps(x + i);
        const unsigned m = _mm512_cmp_ps_mask(v, t, _CMP_LT_OQ) &
                           _mm512_cmp_ps_mask(v, z, _CMP_GE_OQ);
        if (m != 0xFFFFu)
            return i + __builtin_ctz(~m);
    }
    while (i < hi && x[i] < thr && x[i] >= 0.0f)
        i++;
    return i;
}
#endif

/* Peak flags of the 16 channels [c, c + 16) of one pixel (x + j, j a
 * multiple of 16, C a multiple of 16) for a 3x3 window with one row and
 * column of padding before: bit l set when no neighbour of lane l is
 * larger (NaN neighbours never are), the test of peak_value. Returns
 * 0x10000 (no answer) for pixels on the image border. */
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f"))) static unsigned
peak_mask16_avx512(const peak_geom *pg, const float *x, size_t j)
{
    const size_t C = (size_t)pg->C, W = (size_t)pg->W;
    const size_t pix = j / C;
    const size_t w = pix % W, h = (pix / W) % (size_t)pg->H;
    if (w == 0 || w + 1 >= W || h == 0 || h + 1 >= (size_t)pg->H)
        return 0x10000u;
    const float *q = x + j;
    const __m512 v = _mm512_loadu_ps(q);
    const size_t rs = W * C;
    __mmask16 big = _mm512_cmp_ps_mask(_mm512_loadu_ps(q - C), v, _CMP_GT_OQ);
    big |= _mm512_cmp_ps_mask(_mm512_loadu_ps(q + C), v, _CMP_GT_OQ);
    big |= _mm512_cmp_ps_mask(_mm512_loadu_ps(q - rs - C), v, _CMP_GT_OQ);
    big |= _mm512_cmp_ps_mask(_mm512_loadu_ps(q - rs), v, _CMP_GT_OQ);
    big |= _mm512_cmp_ps_mask(_mm512_loadu_ps(q - rs + C), v, _CMP_GT_OQ);
    big |= _mm512_cmp_ps_mask(_mm512_loadu_ps(q + rs - C), v, _CMP_GT_OQ);
    big |= _mm512_cmp_ps_mask(_mm512_loadu_ps(q + rs), v, _CMP_GT_OQ);
    big |= _mm512_cmp_ps_mask(_mm512_loadu_ps(q + rs + C), v, _CMP_GT_OQ);
    /* NaN lanes are no peaks either (peak_value gives NaN * 0) */
    const __mmask16 num = _mm512_cmp_ps_mask(v, v, _CMP_EQ_OQ);
    return (unsigned)(~big & num) & 0xFFFFu;
}
#define PEAK_VEC 1
#else
#define PEAK_VEC                     0
#define peak_mask16_avx512(pg, x, j) 0x10000u
#endif

static int skip_below(const float *x, int i, int hi, float thr)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (nn_cpu_avx512f())
        return skip_below_avx512(x, i, hi, thr);
#endif
    while (i < hi && x[i] < thr && x[i] >= 0.0f)
        i++;
    return i;
}

/* The floor shared by the chunks of one row scanned in parallel: the
 * largest worst-kept value any chunk's full heap has reached. A value
 * below it has k values above it in that chunk, so it cannot enter the
 * row's top k and no chunk needs to look at it (ties are not skipped).
 * Without it each chunk would climb from its own first k values. */
static double floor_get(const double *fl)
{
    double v = -HUGE_VAL;
    if (fl)
        __atomic_load(fl, &v, __ATOMIC_RELAXED);
    return v;
}

static void floor_raise(double *fl, double v)
{
    if (!fl)
        return;
    double cur;
    __atomic_load(fl, &cur, __ATOMIC_RELAXED);
    while (v > cur && !__atomic_compare_exchange(
                          fl, &cur, &v, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

/* Adds x[lo, hi) of one row to heap h of the k best (worst on top),
 * which holds *pcnt entries before and after. fl: the shared floor (NULL:
 * none). */
static void topk_scan_more(const peak_geom *pg, nn_dtype dt, const void *x,
                           size_t row_off, int lo, int hi, int k, topk_ent *h,
                           int *pcnt, double *fl)
{
    int cnt = *pcnt, i = lo;
    if (dt == NN_F32) {
        const float *xf = (const float *)x + row_off;
        /* fill the heap, then a tight scan that only stops for values that
         * can beat the worst kept one (a peak's value is at most v when
         * v >= 0, so the raw value decides) */
        for (; i < hi && cnt < k; i++) {
            double v =
                pg->on ? peak_value(pg, x, row_off + (size_t)i) : (double)xf[i];
            heap_push(h, &cnt, k, (topk_ent){v, i});
        }
        if (cnt == k)
            floor_raise(fl, h[0].v);
        /* the window test 16 channels at a time: CenterNet's 3x3 peaks
         * over 80 channels (all of a vector's lanes in one pixel) */
        const int vec = pg->on && pg->kh == 3 && pg->kw == 3 && pg->pt == 1 &&
                        pg->pl == 1 && pg->C % 16 == 0 && row_off % 16 == 0 &&
                        PEAK_VEC && nn_cpu_avx512f();
        while (i < hi) {
            const double f = floor_get(fl);
            i = skip_below(xf, i, hi, (float)(f > h[0].v ? f : h[0].v));
            if (i >= hi)
                break;
            const int i0 = i & ~15;
            unsigned pm = 0x10000u;
            /* with a positive worst kept value, a non-peak (value 0) can
             * never enter: only the peak lanes at or above the threshold
             * need a look, in order, as the scalar path below takes them */
            if (vec && h[0].v > 0 && i0 + 16 <= hi)
                pm = peak_mask16_avx512(pg, x, row_off + (size_t)i0);
            if (pm != 0x10000u) {
                for (int l = i - i0; l < 16; l++) {
                    const double u = xf[i0 + l];
                    const double g = floor_get(fl);
                    if (u < (g > h[0].v ? g : h[0].v) || !(pm >> l & 1u))
                        continue;
                    if (u > h[0].v || (u == h[0].v && i0 + l < h[0].i)) {
                        heap_push(h, &cnt, k, (topk_ent){u, i0 + l});
                        floor_raise(fl, h[0].v);
                    }
                }
                i = i0 + 16;
                continue;
            }
            double v = xf[i];
            if (pg->on)
                v = peak_value(pg, x, row_off + (size_t)i);
            if (v > h[0].v || (v == h[0].v && i < h[0].i)) {
                heap_push(h, &cnt, k, (topk_ent){v, i});
                floor_raise(fl, h[0].v);
            }
            i++;
        }
        *pcnt = cnt;
        return;
    }
    for (; i < hi; i++) {
        double v = load_d(dt, x, row_off + (size_t)i);
        if (cnt == k && !(v > h[0].v || (v == h[0].v && i < h[0].i)))
            continue;
        heap_push(h, &cnt, k, (topk_ent){v, i});
    }
    *pcnt = cnt;
}

/* Keeps the k best of x[lo, hi) of one row in heap h (worst on top);
 * returns how many it holds. */
static int topk_scan(const peak_geom *pg, nn_dtype dt, const void *x,
                     size_t row_off, int lo, int hi, int k, topk_ent *h,
                     double *fl)
{
    int cnt = 0;
    topk_scan_more(pg, dt, x, row_off, lo, hi, k, h, &cnt, fl);
    return cnt;
}

typedef struct topk_ctx {
    const peak_geom *pg;
    nn_dtype dt;
    const void *x;
    size_t row_off;
    int last, k, chunks;
    topk_ent *h;  /* chunks * k entries */
    int *cnt;     /* per chunk */
    double floor; /* shared by the chunks of the row (floor_raise) */
} topk_ctx;

static void topk_chunk(void *ctx, size_t c)
{
    topk_ctx *t = ctx;
    int lo = (int)((long)t->last * (long)c / t->chunks);
    int hi = (int)((long)t->last * (long)(c + 1) / t->chunks);
    t->cnt[c] = topk_scan(t->pg, t->dt, t->x, t->row_off, lo, hi, t->k,
                          t->h + c * t->k, &t->floor);
}

/* The peak geometry of a PeakTopK node (pg->on = 0 for TopK). */
static void peak_geom_of(const nn_graph *g, const nn_node *n, peak_geom *pg)
{
    const nn_shape *xs = SHAPE(g, n->in[0]);
    memset(pg, 0, sizeof *pg);
    if (n->op != NN_OP_PEAK_TOPK)
        return;
    pg->on = 1;
    pg->H = xs->d[1];
    pg->W = xs->d[2];
    pg->C = xs->d[3];
    pg->kh = n->a.ksize[0];
    pg->kw = n->a.ksize[1];
    pg->pt = n->a.pad[0];
    pg->pl = n->a.pad[2];
}

/* Heap fin of cnt entries (worst on top) sorted best first into row r of
 * vals / inds (k each). */
static void topk_emit(topk_ent *fin, int cnt, int k, nn_dtype dt, size_t r,
                      void *vals, int32_t *inds)
{
    /* heap sort: pop the worst to the back */
    for (int m = cnt; m > 1; m--) {
        topk_ent tmp = fin[0];
        fin[0] = fin[m - 1];
        fin[m - 1] = tmp;
        heap_down(fin, m - 1, 0);
    }
    for (int j = 0; j < k; j++) {
        if (dt == NN_F32)
            ((float *)vals)[r * k + j] = (float)fin[j].v;
        else
            ((int32_t *)vals)[r * k + j] = (int32_t)fin[j].v;
        inds[r * k + j] = fin[j].i;
    }
}

/* Adds the cnt entries of heap e to heap fin (*fcnt entries, k at most). */
static void topk_merge(topk_ent *fin, int *fcnt, int k, const topk_ent *e,
                       int cnt)
{
    for (int j = 0; j < cnt; j++) {
        if (*fcnt < k) {
            fin[*fcnt] = e[j];
            heap_up(fin, (*fcnt)++);
        } else if (better(&e[j], &fin[0])) {
            fin[0] = e[j];
            heap_down(fin, k, 0);
        }
    }
}

/* TopK and PeakTopK. scratch: (chunks + 1) * k entries + chunks ints;
 * chunks = threads */
static void topk(const nn_graph *g, const nn_node *n, const void *x, void *vals,
                 int32_t *inds, void *scratch, pthreadpool_t pool)
{
    const nn_shape *xs = SHAPE(g, n->in[0]);
    const nn_dtype dt = g->t[n->in[0]].dtype;
    peak_geom pg;
    int last = xs->d[xs->rank - 1];
    const int k = n->a.k;
    peak_geom_of(g, n, &pg);
    if (pg.on)
        last = n->a.row_len;
    size_t rows = last ? nn_shape_elems(xs) / (size_t)last : 0;
    int chunks = pool ? (int)pthreadpool_get_threads_count(pool) : 1;
    if (chunks < 1 || last < 65536)
        chunks = 1;
    topk_ent *fin = scratch;
    topk_ctx t = {&pg,      dt,      x,
                  0,        last,    k,
                  chunks,   fin + k, (int *)(fin + (size_t)(chunks + 1) * k),
                  -HUGE_VAL};

    if (k == 0)
        return;
    for (size_t r = 0; r < rows; r++) {
        t.row_off = r * (size_t)last;
        int cnt;
        if (chunks == 1) {
            cnt = topk_scan(&pg, dt, x, t.row_off, 0, last, k, fin, NULL);
        } else {
            t.floor = -HUGE_VAL;
            pthreadpool_parallelize_1d(pool, topk_chunk, &t, (size_t)chunks, 0);
            /* merge the chunk heaps; indices are global, so the order
             * (value desc, index asc) is the same as one scan */
            cnt = 0;
            for (int c = 0; c < chunks; c++)
                topk_merge(fin, &cnt, k, t.h + c * k, t.cnt[c]);
        }
        topk_emit(fin, cnt, k, dt, r, vals, inds);
    }
}

/* --- PeakTopK in parts (see graph.h) -------------------------------------- */

size_t nn_kernel_topk_entry_size(void)
{
    return sizeof(topk_ent);
}

int nn_kernel_peak_topk_rows_ok(const nn_graph *g, const nn_node *n)
{
    const nn_shape *xs = SHAPE(g, n->in[0]);
    return n->op == NN_OP_PEAK_TOPK && g->t[n->in[0]].dtype == NN_F32 &&
           xs->rank == 4 && xs->d[0] == 1 && n->a.k >= 1 &&
           (size_t)n->a.row_len == nn_shape_elems(xs) && n->a.pad[0] >= 0 &&
           n->a.pad[0] < n->a.ksize[0];
}

void nn_kernel_peak_topk_rows(const nn_graph *g, const nn_node *n,
                              const float *x, int r0, int r1, void *heap,
                              int *cnt, double *floor)
{
    peak_geom pg;
    peak_geom_of(g, n, &pg);
    const int row = pg.W * pg.C;
    if (r0 < r1)
        topk_scan_more(&pg, NN_F32, x, 0, r0 * row, r1 * row, n->a.k, heap, cnt,
                       floor);
}

void nn_kernel_peak_topk_merge(const nn_graph *g, const nn_node *n,
                               void *const *heaps, const int *cnts, int parts,
                               void *fin, float *vals, int32_t *inds)
{
    int cnt = 0;
    (void)g;
    for (int c = 0; c < parts; c++)
        topk_merge(fin, &cnt, n->a.k, heaps[c], cnts[c]);
    topk_emit(fin, cnt, n->a.k, NN_F32, 0, vals, inds);
}

static int gather(const nn_graph *g, const nn_node *n, const void *p,
                  const int32_t *ind, void *y)
{
    const nn_shape *ps = SHAPE(g, n->in[0]);
    const size_t es = nn_dtype_size(g->t[n->in[0]].dtype);
    const int ax = n->a.axis;
    size_t outer = 1, inner = 1, ni = nn_shape_elems(SHAPE(g, n->in[1]));
    const int cnt = ps->d[ax];
    for (int d = 0; d < ax; d++)
        outer *= (size_t)ps->d[d];
    for (int d = ax + 1; d < ps->rank; d++)
        inner *= (size_t)ps->d[d];
    const size_t row = inner * es;
    for (size_t j = 0; j < ni; j++)
        if (ind[j] < 0 || ind[j] >= cnt)
            return SPATIA_RANGE;
    for (size_t o = 0; o < outer; o++)
        for (size_t j = 0; j < ni; j++)
            memcpy((char *)y + (o * ni + j) * row,
                   (const char *)p + (o * (size_t)cnt + (size_t)ind[j]) * row,
                   row);
    return SPATIA_OK;
}

/* --- dispatch ------------------------------------------------------------- */

size_t nn_kernel_scratch(const nn_graph *g, const nn_node *n, int threads)
{
    switch (n->op) {
    case NN_OP_CONV2D:
    case NN_OP_DWCONV2D:
        return (size_t)SHAPE(g, n->out[0])->d[3] * sizeof(float);
    case NN_OP_MEAN: {
        size_t a = nn_shape_elems(SHAPE(g, n->out[0])) * sizeof(double);
        size_t b = nn_kernel_is_global_mean(g, n)
                       ? (size_t)(threads < 1 ? 1 : threads) *
                             (size_t)SHAPE(g, n->in[0])->d[3] * sizeof(float)
                       : 0;
        return a > b ? a : b;
    }
    case NN_OP_TOPK:
    case NN_OP_PEAK_TOPK:
        if (threads < 1)
            threads = 1;
        return (size_t)(threads + 1) * (size_t)n->a.k * sizeof(topk_ent) +
               (size_t)threads * sizeof(int);
    default:
        return 0;
    }
}

int nn_kernel_run(const nn_graph *g, const nn_node *n, const void *const *in,
                  void *const *out, void *scratch, pthreadpool_t pool)
{
    const nn_tensor *y = &g->t[n->out[0]];
    size_t cnt = nn_shape_elems(&y->shape);

    switch (n->op) {
    case NN_OP_IDENTITY:
    case NN_OP_RESHAPE:
    case NN_OP_EXPAND_DIMS:
    case NN_OP_SQUEEZE:
        if (out[0] != in[0])
            memmove(out[0], in[0], cnt * nn_dtype_size(y->dtype));
        return SPATIA_OK;
    case NN_OP_CONV2D:
    case NN_OP_DWCONV2D:
        conv2d(g, n, in[0], in[1], n->nin > 2 ? in[2] : NULL, out[0], scratch);
        return SPATIA_OK;
    case NN_OP_ADD:
    case NN_OP_SUB:
    case NN_OP_MUL:
    case NN_OP_DIV:
    case NN_OP_MAXIMUM:
    case NN_OP_MINIMUM:
    case NN_OP_FLOORDIV:
    case NN_OP_FLOORMOD:
    case NN_OP_EQUAL:
    case NN_OP_NOT_EQUAL:
    case NN_OP_GREATER:
    case NN_OP_GREATER_EQUAL:
    case NN_OP_LESS:
    case NN_OP_LESS_EQUAL:
        binary(g, n, in[0], in[1], out[0]);
        return SPATIA_OK;
    case NN_OP_RELU:
    case NN_OP_RELU6:
    case NN_OP_CLAMP:
    case NN_OP_SIGMOID:
    case NN_OP_TANH:
    case NN_OP_HARDSWISH:
        elementwise(n, in[0], NULL, out[0], cnt, pool);
        return SPATIA_OK;
    case NN_OP_MEAN:
        if (nn_kernel_is_global_mean(g, n)) {
            const nn_shape *xs = SHAPE(g, n->in[0]);
            global_mean(n, in[0], out[0], (size_t)xs->d[1] * (size_t)xs->d[2],
                        (size_t)xs->d[3], scratch, pool);
        } else {
            mean(g, n, in[0], out[0], scratch);
        }
        return SPATIA_OK;
    case NN_OP_CONCAT:
        concat(g, n, in, out[0], pool);
        return SPATIA_OK;
    case NN_OP_CAST:
        cast(g, n, in[0], out[0]);
        return SPATIA_OK;
    case NN_OP_STRIDED_SLICE:
        strided_slice(g, n, in[0], out[0]);
        return SPATIA_OK;
    case NN_OP_RESIZE_BILINEAR:
        resize_bilinear(g, n, in[0], out[0]);
        return SPATIA_OK;
    case NN_OP_MAXPOOL:
    case NN_OP_AVGPOOL:
        pool2d(g, n, in[0], out[0]);
        return SPATIA_OK;
    case NN_OP_PAD:
        pad(g, n, in[0], out[0]);
        return SPATIA_OK;
    case NN_OP_TOPK:
    case NN_OP_PEAK_TOPK:
        topk(g, n, in[0], out[0], out[1], scratch, pool);
        return SPATIA_OK;
    case NN_OP_GATHER:
        return gather(g, n, in[0], in[1], out[0]);
    case NN_OP_SELECT_EQ:
        elementwise(n, in[0], in[1], out[0], cnt, pool);
        return SPATIA_OK;
    case NN_OP_COUNT:
        break;
    }
    return SPATIA_UNSUPPORTED;
}
