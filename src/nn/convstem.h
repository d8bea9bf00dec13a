/*
 * convstem.h - spatia's own kernel for the stem convolution of image models:
 * 3x3 window, 3 input channels (RGB), at most 16 output channels, NHWC
 * float32, for x86-64 CPUs with AVX-512F.
 *
 * XNNPACK runs such a layer as a GEMM of depth 27 through an indirection
 * buffer, which is far from its peak. Here the 27 filter vectors (16
 * output channels each) stay in registers and every multiply-add takes its
 * input value as a broadcast, four output pixels at a time; border pixels
 * take a checked path. Bias, clamp and an optional hard-swish
 * ((v * hs_scale) * relu6(v + 3), as TF writes it: MobileNetV3's stem) are
 * applied before the single store, so a following HardSwish op disappears.
 * Per output element the sum runs from the bias over the taps in (ky, kx,
 * input channel) order, float32 throughout.
 */
#ifndef SPATIA_NN_CONVSTEM_H
#define SPATIA_NN_CONVSTEM_H

#include <stddef.h>

typedef struct nn_stem {
    int H, W;              /* input height, width (3 channels) */
    int OH, OW, CO;        /* output height, width, channels (1..16) */
    int sh, sw, dh, dw;    /* strides, dilations */
    int pad_top, pad_left; /* padding before the first row / column */
    float lo, hi;          /* clamp of the result (-inf/+inf: none) */
    int hardswish;         /* 1: then (v * hs_scale) * relu6(v + 3) */
    float hs_scale;
    const float *w;    /* filter HWIO [3][3][3][CO], not owned */
    const float *bias; /* [CO] or NULL, not owned */
    size_t out_stride; /* floats between output pixels (>= CO) */
} nn_stem;

/* 1 when this CPU runs the kernel (AVX-512F), else 0. */
int nn_stem_available(void);

/*
 * Computes the whole output y from input x (batch 1), split by output rows
 * over `pool` (NULL: the calling thread). Call only when
 * nn_stem_available(). Never allocates.
 */
struct pthreadpool;
void nn_stem_run(const nn_stem *p, const float *x, float *y,
                 struct pthreadpool *pool);

#endif
