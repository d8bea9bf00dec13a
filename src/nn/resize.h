/*
 * resize.h - spatia's own bilinear resize kernel (NHWC float32, batch 1)
 * for x86-64 CPUs with AVX-512F, with an optional ReLU in its store.
 *
 * The source rows / columns and their weights are computed once (TF's
 * legacy, half-pixel and align-corners coordinates, as the portable kernel
 * does), so a run only interpolates, 16 channels at a time. A ReLU that
 * alone follows the resize (CenterNet's upsampling branches, where the
 * activation was moved ahead of a concat) is applied before the store and
 * its own pass over the output disappears.
 */
#ifndef SPATIA_NN_RESIZE_H
#define SPATIA_NN_RESIZE_H

#include <stddef.h>

typedef struct nn_rs {
    int H, W, C, OH, OW; /* input and output geometry */
    int relu;            /* 1: max(v, 0) before the store */
    size_t out_stride;   /* floats between output pixels (>= C) */
    int *y0, *y1;        /* [OH] source rows; x0, x1 [OW] source columns */
    int *x0, *x1;
    float *fy, *fx; /* weights of y1 / x1; one allocation owned (y0) */
    /* NULL, or: the rows go to the T threads of the run in T contiguous
     * ranges in order, and range k sets sum[k * sum_stride + c], c < C,
     * to the sum of the values it stored in channel c (a global mean over
     * the output then only adds T rows); not owned */
    float *sum;
    size_t sum_stride;
} nn_rs;

/* 1 when this CPU runs the kernel (AVX-512F), else 0. */
int nn_rs_available(void);

/* Fills r and its tables. Returns 0, or -1 when out of memory (free with
 * nn_rs_free in either case). */
int nn_rs_init(nn_rs *r, int H, int W, int C, int OH, int OW, int align_corners,
               int half_pixel, size_t out_stride);
void nn_rs_free(nn_rs *r);

/* Resizes x into y, split by output rows over `pool` (NULL: the calling
 * thread; with r->sum, T = the pool's threads, at most OH). Call only when
 * nn_rs_available(). Never allocates. */
struct pthreadpool;
void nn_rs_run(const nn_rs *r, const float *x, float *y,
               struct pthreadpool *pool);

#endif
