/*
 * dwpw.h - spatia's own fused kernel for a depthwise convolution (channel
 * multiplier 1) followed by a 1x1 convolution with few output channels
 * (1..8), NHWC float32, batch 1, for x86-64 CPUs with AVX-512F.
 *
 * Such a pair (CenterNet's box-size head: 3x3 over 128 channels, then
 * 128 -> 4) is badly served by two operators: the depthwise output is a
 * full-size tensor written and read back, and XNNPACK's GEMM pads 4 output
 * channels to its 16-wide tile. Here every output pixel computes its
 * depthwise values 16 channels at a time in registers (from the bias, over
 * the taps in row-major window order, then the clamp: the arithmetic of
 * the depthwise operator), multiplies them straight into CO accumulator
 * vectors of the 1x1 weights, and stores only the CO sums (plus bias, then
 * the clamp). The depthwise output never exists in memory.
 *
 * Float32 throughout; the 1x1 dot products are summed over channels in
 * 16-lane partial sums then across lanes (an order other than a GEMM's,
 * within float rounding of it).
 */
#ifndef SPATIA_NN_DWPW_H
#define SPATIA_NN_DWPW_H

#include <stddef.h>

#define NN_DWPW_MAX_CO 8 /* output channels the kernel takes */

typedef struct nn_dwpw {
    int H, W, C;           /* input height, width, channels */
    int OH, OW;            /* output height, width */
    int kh, kw;            /* depthwise window */
    int sh, sw, dh, dw;    /* depthwise strides, dilations */
    int pad_top, pad_left; /* padding before the first row / column */
    float lo, hi;          /* clamp of the depthwise values (+-inf: none) */
    int CO;                /* 1x1 output channels, 1..NN_DWPW_MAX_CO */
    float plo, phi;        /* clamp of the 1x1 result (+-inf: none) */
    size_t out_stride;     /* floats between output pixels (>= CO) */
    int CP;                /* C rounded up to 16: row length below */
    /* owned, NN_ALIGN-aligned, zero past C (filled by nn_dwpw_init): */
    float *w;                 /* depthwise filter [kh * kw][CP] */
    float *bias;              /* depthwise bias [CP] (zeros without one) */
    float *pw;                /* 1x1 filter transposed [CO][CP] */
    float pb[NN_DWPW_MAX_CO]; /* 1x1 bias (zeros without one) */
} nn_dwpw;

/* 1 when this CPU runs the kernel (AVX-512F), else 0. */
int nn_dwpw_available(void);

/*
 * Fills p from the node shapes already set in p (H, W, C, OH, OW, kh, kw,
 * sh, sw, dh, dw, pad_top, pad_left, lo, hi, CO, plo, phi, out_stride)
 * and the TF filters: dw_w [kh][kw][C] (HWC1), dw_b [C] or NULL, pw_w
 * [C][CO] (1x1 HWIO), pw_b [CO] or NULL (all read only here). Allocates
 * p->w, p->bias, p->pw. Returns 0, or -1 (CO out of range or out of
 * memory; nothing left allocated).
 */
int nn_dwpw_init(nn_dwpw *p, const float *dw_w, const float *dw_b,
                 const float *pw_w, const float *pw_b);

/* Frees what nn_dwpw_init allocated (p may be NULL). */
void nn_dwpw_free(nn_dwpw *p);

/*
 * Computes the whole output y (pixels out_stride floats apart) from input
 * x (contiguous NHWC), output rows split over `pool` (NULL: the calling
 * thread). Call only when nn_dwpw_available(). Never allocates; p is not
 * modified.
 */
struct pthreadpool;
void nn_dwpw_run(const nn_dwpw *p, const float *x, float *y,
                 struct pthreadpool *pool);

/* Output rows [r0, r1) only (clipped to [0, OH)), otherwise as
 * nn_dwpw_run. */
void nn_dwpw_run_rows(const nn_dwpw *p, const float *x, float *y, int r0,
                      int r1, struct pthreadpool *pool);

#endif
