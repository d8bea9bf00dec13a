/*
 * dwconv.h - spatia's own depthwise convolution kernel (channel multiplier
 * 1, NHWC float32) for x86-64 CPUs with AVX-512F.
 *
 * XNNPACK's depthwise kernels read every filter tap from memory next to
 * every input tap (two loads per multiply-add) through an indirection
 * buffer. This kernel computes a row in groups of up to 16 output pixels
 * per 16-channel block, accumulators in registers: for each window row it
 * holds that row's filter vectors and loads each input vector once for
 * all the outputs of the group whose window covers it (3 or 5
 * multiply-adds at stride 1, 1-3 at stride 2). Windows 3 and 5 wide,
 * strides 1 and 2 run this way, at the image borders too (taps in the
 * padding skipped); other windows take a per-pixel checked path. The
 * bias, the clamp and an optional hard-swish
 * ((v * hs_scale) * relu6(v + 3), as TF writes it) are applied at the
 * store. Float32 throughout; per output element the sum runs over the
 * taps inside the image in row-major window order starting from the bias
 * (one fused multiply-add each), whatever the path.
 */
#ifndef SPATIA_NN_DWCONV_H
#define SPATIA_NN_DWCONV_H

#include <stddef.h>

/* Where the planner prefers this kernel to XNNPACK's, as measured on
 * CenterNet (AMD EPYC Zen 4, one thread; bench/bench_dw per shape, inputs
 * in cache and from memory, and per node in the whole model): everywhere
 * but 3x3 windows at stride 2 over 64+ channels read from the arena
 * (`cached` 0). Those are memory-bound layers where the two were within
 * 10% of each other alone (either way from run to run) and the own kernel
 * 8-10% slower inside the model (CenterNet's 64x64x192 input, 0.099 ->
 * 0.124 ms at 1 thread), so they stay on XNNPACK; 1.1-3x faster on all
 * the others. With the input in a strip buffer (`cached` 1: an expand
 * pair's 1x1 rows, just written) the own kernel wins there too:
 * CenterNet's 256x256x64 expand strips, depthwise part 0.59-0.65 ->
 * 0.40-0.43 ms at 1 thread. */
static inline int nn_dw_preferred(int channels, int kh, int kw, int sh, int sw,
                                  int cached)
{
    return cached ||
           !(kh == 3 && kw == 3 && sh == 2 && sw == 2 && channels >= 64);
}

typedef struct nn_dw {
    int H, W, C;           /* input height, width, channels */
    int OH, OW;            /* output height, width */
    int kh, kw;            /* window */
    int sh, sw, dh, dw;    /* strides, dilations */
    int pad_top, pad_left; /* padding before the first row / column */
    float lo, hi;          /* clamp of the result (-inf/+inf: none) */
    int hardswish;         /* 1: then (v * hs_scale) * relu6(v + 3) */
    float hs_scale;
    const float *w;    /* filter [kh][kw][C] (TF HWC1), not owned */
    const float *bias; /* [C] or NULL, not owned */
    size_t out_stride; /* floats between output pixels (>= C) */
    int tile;          /* output columns per tile (>= 1): nn_dw_tile */
    int prefetch_out;  /* 1: prefetch the next output row for writing (an
                          output in memory no step touched lately) */
    /* bound by nn_dw_run on its own copy */
    const float *x; /* input NHWC (pixels C floats apart), batch 1 */
    float *y;       /* output of row `row0` */
    int row0;
} nn_dw;

/* Columns per tile for p (set p->tile to it): a multiple of 16 pixels (or
 * the whole row) whose input window stays within about 16 KiB of L1 while
 * the tile's channel blocks run. */
int nn_dw_tile(const nn_dw *p);

/* 1 when this CPU runs the kernel (AVX-512F), else 0. */
int nn_dw_available(void);

/*
 * Computes output rows [row0, row1) of the convolution described by `p`
 * (row row0 is written at p->y, the next one OW * out_stride floats
 * later), split by rows over `pool` (NULL: the calling thread). Call only
 * when nn_dw_available(). Never allocates; p is not modified, so several
 * threads may run the same p on different rows or buffers.
 */
struct pthreadpool;
void nn_dw_run(const nn_dw *p, const float *x, float *y, int row0, int row1,
               struct pthreadpool *pool);

#endif
