/*
 * bench_pw.c - the own 1x1 convolution kernel (src/nn/pwconv.c) against
 * XNNPACK's GEMM on CenterNet's 1x1 convolution shapes, bias and ReLU
 * clamp. Prints per shape the best time of each over a few rounds and
 * whether nn_pw_preferred picks the own kernel: the numbers behind that
 * choice.
 *
 * Two columns per engine: "warm" runs again on the input it just read;
 * "cold" first writes 64 MiB elsewhere, so input and output come from
 * memory, as for a layer whose input was written long before.
 *
 * Run: build/bench_pw [rounds] [threads]   (default 30 rounds, 1 thread;
 * the machine is shared, so the minimum is what compares)
 */
#include <math.h>
#include <pthreadpool.h>
#include <stdio.h>
#include <stdlib.h>

#include <xnnpack.h>

#include "bench_util.h"
#include "nn/graph.h"
#include "nn/pwconv.h"

typedef struct pw_run_ctx {
    const nn_pw *pw;
    xnn_operator_t op;
    const float *x;
    float *y;
    pthreadpool_t pool;
} pw_run_ctx;

/* e 0: the own kernel, 1: XNNPACK */
static void pw_run_one(void *ctx, int e)
{
    const pw_run_ctx *c = ctx;
    if (e)
        xnn_run_operator(c->op, c->pool);
    else
        nn_pw_run(c->pw, c->x, c->y, c->pool);
}

int main(int argc, char **argv)
{
    /* output H (= W), K, N: CenterNet's 1x1 convolutions over more than
     * one pixel (node numbers of SPATIA_NN_PROFILE_NODES) */
    static const int shapes[][3] = {
        {256, 16, 16},  {128, 64, 24},  {128, 72, 24},  {128, 24, 72},
        {128, 72, 18},  {128, 18, 64},  {64, 72, 32},   {64, 32, 96},
        {64, 96, 32},   {64, 96, 24},   {64, 24, 96},   {64, 32, 192},
        {64, 192, 64},  {32, 192, 64},  {32, 64, 160},  {32, 160, 64},
        {32, 64, 144},  {32, 144, 64},  {32, 64, 384},  {32, 384, 88},
        {32, 88, 528},  {32, 528, 88},  {32, 88, 22},   {32, 22, 128},
        {32, 256, 96},  {16, 528, 120}, {16, 120, 720}, {16, 720, 120},
        {16, 120, 480}, {16, 480, 128}, {128, 128, 80},
    };
    const int rounds = argc > 1 ? atoi(argv[1]) : 30;
    const int threads = argc > 2 ? atoi(argv[2]) : 1;
    if (!nn_pw_available()) {
        printf("no AVX-512F/VL: the own kernel does not run here\n");
        return 0;
    }
    if (xnn_initialize(NULL) != xnn_status_success)
        return 1;
    pthreadpool_t pool =
        threads > 1 ? pthreadpool_create((size_t)threads) : NULL;
    char *junk = malloc(BENCH_JUNK_BYTES);
    if (!junk)
        return 1;
    printf("threads %d\n%-18s %8s %8s %7s %8s %8s %7s %7s  %s\n", threads,
           "HxW K->N", "warm:own", "xnn", "own/xnn", "cold:own", "xnn",
           "own/xnn", "GFLOP/s", "preferred  max|d|");
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        const int H = shapes[si][0], K = shapes[si][1], N = shapes[si][2];
        const size_t M = (size_t)H * H;
        float *x = nn_alloc_aligned(M * K * sizeof(float));
        float *y = nn_alloc_aligned(M * N * sizeof(float));
        float *w = malloc((size_t)K * N * sizeof(float) + 64);
        float *wt = malloc((size_t)K * N * sizeof(float) + 64);
        float *b = malloc((size_t)N * sizeof(float) + 64);
        if (!x || !y || !w || !wt || !b)
            return 1;
        bench_fill(x, M * K, 1);
        bench_fill(w, (size_t)K * N, 2);
        bench_fill(b, (size_t)N, 3);
        for (int k = 0; k < K; k++) /* HWIO -> OHWI for XNNPACK */
            for (int n = 0; n < N; n++)
                wt[(size_t)n * K + k] = w[(size_t)k * N + n];
        nn_pw pw;
        if (nn_pw_init(&pw, K, N, (long)M, w, b, 0, INFINITY, (size_t)N))
            return 1;
        xnn_operator_t op = NULL;
        if (xnn_create_convolution2d_nhwc_f32(0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1,
                                              (size_t)K, (size_t)N, (size_t)K,
                                              (size_t)N, wt, b, 0, INFINITY, 0,
                                              &op) != xnn_status_success ||
            xnn_setup_convolution2d_nhwc_f32(op, 1, (size_t)H, (size_t)H, x, y,
                                             pool) != xnn_status_success)
            return 1;
        double t[2][2]; /* [cold][xnn] */
        pw_run_ctx rc = {&pw, op, x, y, pool};
        bench_best(rounds, junk, pw_run_one, &rc, t);
        /* sanity: both engines agree (rounding only) */
        float *y2 = nn_alloc_aligned(M * N * sizeof(float));
        if (!y2)
            return 1;
        nn_pw_run(&pw, x, y2, pool);
        xnn_run_operator(op, pool);
        double dmax = 0;
        for (size_t i = 0; i < M * N; i++)
            dmax = fmax(dmax, fabs((double)y[i] - y2[i]));
        nn_free_aligned(y2);
        char name[64];
        snprintf(name, sizeof name, "%dx%d %d->%d", H, H, K, N);
        printf("%-18s %8.3f %8.3f %7.2f %8.3f %8.3f %7.2f %7.0f  %s  %.1e\n",
               name, t[0][0] * 1e3, t[0][1] * 1e3, t[0][0] / t[0][1],
               t[1][0] * 1e3, t[1][1] * 1e3, t[1][0] / t[1][1],
               2.0 * (double)M * K * N / t[0][0] * 1e-9,
               nn_pw_preferred(K, N, (long)M) ? "own" : "xnn", dmax);
        xnn_delete_operator(op);
        nn_pw_free(&pw);
        nn_free_aligned(x);
        nn_free_aligned(y);
        free(w);
        free(wt);
        free(b);
    }
    free(junk);
    if (pool)
        pthreadpool_destroy(pool);
    return 0;
}
