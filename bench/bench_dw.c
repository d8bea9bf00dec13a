/*
 * bench_dw.c - the own depthwise kernel (src/nn/dwconv.c) against
 * XNNPACK's depthwise convolution on CenterNet's depthwise shapes, single
 * thread, SAME padding, bias and ReLU clamp. Prints per shape the best
 * time of each over a few rounds and which one nn_dw_preferred picks: the
 * numbers behind that choice.
 *
 * Two columns per engine: "warm" runs again on the input it just read;
 * "cold" first writes 64 MiB elsewhere, so input and output come from
 * memory, as for a layer whose input was written long before. A last
 * column gives the own kernel's GFLOP/s on 4 output rows from the middle
 * of the image run again and again (input and output then sit in L2, as
 * inside row strips): the kernel's own speed, apart from memory.
 *
 * Run: build/bench_dw [rounds]   (default 30; the machine is shared, so
 * the minimum is what compares)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <xnnpack.h>

#include "bench_util.h"
#include "nn/dwconv.h"
#include "nn/graph.h"

typedef struct dw_run_ctx {
    const nn_dw *d;
    xnn_operator_t op;
    const float *x;
    float *y;
} dw_run_ctx;

/* e 0: the own kernel, 1: XNNPACK (single thread) */
static void dw_run_one(void *ctx, int e)
{
    const dw_run_ctx *c = ctx;
    if (e)
        xnn_run_operator(c->op, NULL);
    else
        nn_dw_run(c->d, c->x, c->y, 0, c->d->OH, NULL);
}

int main(int argc, char **argv)
{
    /* output H (= W), channels, window, stride: CenterNet's depthwise
     * layers (input H = output H * stride) */
    static const int shapes[][4] = {
        {256, 16, 3, 1}, {128, 64, 3, 2},  {128, 72, 3, 1}, {128, 18, 5, 1},
        {64, 72, 5, 2},  {64, 96, 5, 1},   {64, 24, 5, 1},  {32, 192, 3, 2},
        {32, 160, 3, 1}, {32, 144, 3, 1},  {32, 384, 3, 1}, {32, 528, 3, 1},
        {32, 22, 5, 1},  {16, 528, 5, 2},  {16, 720, 5, 1}, {16, 480, 3, 1},
        {16, 480, 5, 1}, {32, 256, 3, 1},  {32, 256, 5, 1}, {64, 192, 3, 1},
        {64, 192, 5, 1}, {128, 128, 3, 1},
    };
    const int rounds = argc > 1 ? atoi(argv[1]) : 30;
    if (!nn_dw_available()) {
        printf("no AVX-512F: the own kernel does not run here\n");
        return 0;
    }
    if (xnn_initialize(NULL) != xnn_status_success)
        return 1;
    char *junk = malloc(BENCH_JUNK_BYTES);
    if (!junk)
        return 1;
    printf("%-20s %9s %9s %7s %9s %9s %7s %8s  %s\n", "out HxWxC k s",
           "warm: own", "xnn", "own/xnn", "cold: own", "xnn", "own/xnn",
           "L2 GF/s", "preferred");
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        const int OH = shapes[si][0], C = shapes[si][1], k = shapes[si][2];
        const int s = shapes[si][3], H = OH * s;
        const int pad = s == 1 ? (k - 1) / 2 : ((OH - 1) * s + k - H) / 2;
        const int pad_end = (OH - 1) * s + k - H - pad;
        float *x = nn_alloc_aligned((size_t)H * H * C * sizeof(float));
        float *y = nn_alloc_aligned((size_t)OH * OH * C * sizeof(float));
        float *w = malloc((size_t)k * k * C * sizeof(float) + 64);
        float *b = malloc((size_t)C * sizeof(float) + 64);
        if (!x || !y || !w || !b)
            return 1;
        bench_fill(x, (size_t)H * H * C, 1);
        bench_fill(w, (size_t)k * k * C, 2);
        bench_fill(b, (size_t)C, 3);
        nn_dw d = {.H = H,
                   .W = H,
                   .C = C,
                   .OH = OH,
                   .OW = OH,
                   .kh = k,
                   .kw = k,
                   .sh = s,
                   .sw = s,
                   .dh = 1,
                   .dw = 1,
                   .pad_top = pad,
                   .pad_left = pad,
                   .lo = 0,
                   .hi = INFINITY,
                   .w = w,
                   .bias = b,
                   .out_stride = (size_t)C};
        d.tile = nn_dw_tile(&d);
        xnn_operator_t op = NULL;
        if (xnn_create_convolution2d_nhwc_f32(
                (uint32_t)pad, (uint32_t)pad_end, (uint32_t)pad_end,
                (uint32_t)pad, (uint32_t)k, (uint32_t)k, (uint32_t)s,
                (uint32_t)s, 1, 1, (uint32_t)C, 1, 1, (size_t)C, (size_t)C, w,
                b, 0, INFINITY, XNN_FLAG_DEPTHWISE_CONVOLUTION,
                &op) != xnn_status_success ||
            xnn_setup_convolution2d_nhwc_f32(op, 1, (size_t)H, (size_t)H, x, y,
                                             NULL) != xnn_status_success)
            return 1;
        double t[2][2]; /* [cold][xnn] */
        dw_run_ctx rc = {&d, op, x, y};
        bench_best(rounds, junk, dw_run_one, &rc, t);
        /* 4 rows from the middle, in L2 after the first run */
        const int r0 = OH / 2 - 2, r1 = r0 + 4;
        double strip = 1e9;
        for (int r = 0; r < 50 * rounds; r++) {
            double t0 = bench_now_s();
            nn_dw_run(&d, x, y + (size_t)r0 * OH * C, r0, r1, NULL);
            double dt = bench_now_s() - t0;
            strip = dt < strip ? dt : strip;
        }
        const double fl = 2.0 * (r1 - r0) * OH * C * k * k;
        char name[64];
        snprintf(name, sizeof name, "%dx%dx%d k%d s%d", OH, OH, C, k, s);
        printf("%-20s %9.3f %9.3f %7.2f %9.3f %9.3f %7.2f %8.1f  %s\n", name,
               t[0][0] * 1e3, t[0][1] * 1e3, t[0][0] / t[0][1], t[1][0] * 1e3,
               t[1][1] * 1e3, t[1][0] / t[1][1], fl / strip / 1e9,
               nn_dw_preferred(C, k, k, s, s, 0) ? "own" : "xnn");
        xnn_delete_operator(op);
        nn_free_aligned(x);
        nn_free_aligned(y);
        free(w);
        free(b);
    }
    free(junk);
    return 0;
}
