/*
 * dwconv.h - spatia's own depthwise convolution kernel (channel multiplier
 * 1, NHWC float32) for x86-64 CPUs with AVX-512F.
 *
 * XNNPACK's depthwise kernels read every filter tap from memory next to
 * every input tap (two loads per multiply-add) through an indirection
 * buffer. This kernel keeps the filter of a 16-channel block in registers
 * for a whole output row (3x3 and 5x5 windows), so an interior output
 * pixel costs one load per multiply-add; border pixels take a checked
 * path. The bias, the clamp and an optional hard-swish epilogue
 * ((v * hs_scale) * relu6(v + 3), as TF writes it) are applied before the
 * single store. Float32 throughout; per output element the sum runs over
 * the taps in row-major window order starting from the bias.
 */
#ifndef SPATIA_NN_DWCONV_H
#define SPATIA_NN_DWCONV_H

#include <stddef.h>

/* Where the planner prefers this kernel to XNNPACK's, as measured on
 * CenterNet (AMD EPYC, AVX-512): up to 32 channels (16-24 channels run 2-3x
 * faster: XNNPACK's per-pixel overhead dominates when one 16-channel
 * iteration covers a pixel) and 5x5 windows at stride 1 (15-30% faster);
 * 3x3 and strided windows over 64+ channels stay on XNNPACK, which was as
 * fast or faster on those large memory-bound layers. */
static inline int nn_dw_preferred(int channels, int kh, int kw, int sh, int sw)
{
    return channels <= 32 || (kh == 5 && kw == 5 && sh == 1 && sw == 1);
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
    /* bound by nn_dw_run on its own copy */
    const float *x; /* input NHWC (pixels C floats apart), batch 1 */
    float *y;       /* output of row `row0` */
    int row0;
} nn_dw;

/* Columns per tile for p (set p->tile to it): the input window of a tile
 * stays within about 16 KiB of L1. */
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
