/*
 * pwconv.h - spatia's own 1x1 convolution kernel (NHWC float32, batch 1,
 * stride 1) for x86-64 CPUs with AVX-512F.
 *
 * A 1x1 convolution is a GEMM: M pixels x K input channels times K x N
 * weights. XNNPACK's AVX-512 GEMM computes tiles of 16 output channels,
 * so N = 18 or 24 pay for 32 lanes, and its per-tile overhead weighs on
 * small K. This kernel holds a tile of several pixels x all N output
 * channels (up to 80 per column chunk) in registers: N's full 16-channel
 * blocks in zmm vectors and the remainder in one ymm vector when it is at
 * most 8 channels (a Zen 4 zmm multiply-add costs two ymm ones) or a
 * masked zmm vector. Per input channel k the chunk's weight vectors are
 * loaded once and every pixel's x[k] is broadcast into them. The weights
 * are repacked once at plan time, zero padded to whole vectors, so only
 * the output tail needs a mask. Bias and clamp are applied at the store.
 * Per output element the sum is the bias, then the products for k = 0,
 * 1, ..., K-1, one fused multiply-add each. An optional epilogue follows
 * the clamp in registers, sparing a separate pass over the output: a
 * hard-swish (v * k) * relu6(v + 3) as TF writes it, or the addition of a
 * residual tensor (a residual block's Add, bit for bit).
 */
#ifndef SPATIA_NN_PWCONV_H
#define SPATIA_NN_PWCONV_H

#include <stddef.h>

/* 1 where the planner prefers this kernel to XNNPACK's GEMM for K -> N
 * over `pixels` (AMD EPYC Zen 4, bench/bench_pw per shape, and per node
 * in CenterNet at 1 and 2 threads): N % 16 in 1..8 or 128x128 pixels and
 * more, over more than one pixel; one pixel (a product with a vector,
 * which this kernel runs on one thread and XNNPACK splits by columns)
 * only with K * N <= 8192. The measurements are at its definition. */
int nn_pw_preferred(int K, int N, long pixels);

enum {
    PW_EP_NONE = 0,
    PW_EP_HS = 1,  /* then (v * hs_scale) * min(max(v + 3, 0), 6) */
    PW_EP_ADD = 2, /* then v + r[i * res_stride + n] (nn_pw_run_r) */
    PW_EP_SUM = 3, /* v stored as it is, and added to the channel sums of
                      the pixel range (sum, below) */
};

typedef struct nn_pw {
    int K, N;          /* input, output channels */
    long M;            /* pixels */
    float lo, hi;      /* clamp of the result (-inf/+inf: none) */
    size_t out_stride; /* floats between output pixels (>= N) */
    int ep;            /* epilogue after the clamp: PW_EP_* (default none) */
    int prefetch_out;  /* 1: prefetch for writing the output two tiles
                          ahead (an output in memory no step touched
                          lately, e.g. a channel slice of a long-lived
                          concat) */
    float hs_scale;    /* PW_EP_HS: the model's 1/6 (may be rounded) */
    size_t res_stride; /* PW_EP_ADD: floats between residual pixels (>= N) */
    /* PW_EP_SUM: the run of pixel range k of T (see nn_pw_run) sets
     * sum[k * sum_stride + n], n < N, to the sum of the values it stored
     * in channel n (pixels in some order; the recomputed overlap of a
     * last tile counted once): a global mean over the output then only
     * adds T rows. Not with nn_pw_run_m. */
    float *sum;
    size_t sum_stride;
    float *wp;   /* packed weights and bias (nn_pw_init), owned, aligned */
    size_t wlen; /* floats in wp */
    /* squeeze-excite gate fold (nn_pw_gate_init): the pristine packed
     * weights, wlen floats, owned, aligned; NULL: none */
    float *w0;
} nn_pw;

/* 1 when this CPU runs the kernel (AVX-512F), else 0. */
int nn_pw_available(void);

/* Fills p for K -> N over M pixels from TF's filter w [K][N] (HWIO of a
 * 1x1 window) and bias [N] (or NULL), writing output pixels out_stride
 * floats apart; clamp [lo, hi]. Repacks the weights into p->wp. Returns 0
 * or -1 (out of memory, or a size outside 1..65536). Release with
 * nn_pw_free. */
int nn_pw_init(nn_pw *p, int K, int N, long M, const float *w,
               const float *bias, float lo, float hi, size_t out_stride);

void nn_pw_free(nn_pw *p);

/* Floats of the packed weights of K -> N (p->wlen after nn_pw_init):
 * (K + 1) rows per column chunk. */
size_t nn_pw_packed_len(int K, int N);

/* Prepares p to read x * g for a per-channel gate g [K] given per run
 * (nn_pw_gate): keeps a copy of the packed weights. Returns 0 or -1 (out
 * of memory). */
int nn_pw_gate_init(nn_pw *p);

struct pthreadpool;

/* Before a run, after nn_pw_gate_init: weight row k of every chunk
 * becomes the pristine row times g[k] (conv(x * g) = conv'(x); the bias
 * and the zero padding are unchanged). K * NV * 16 floats written (NV:
 * the vectors of all chunks), split over `pool` (NULL: the calling
 * thread). Never allocates. */
void nn_pw_gate(nn_pw *p, const float *g, struct pthreadpool *pool);

/*
 * Computes all M output pixels: y[i * out_stride + n] for input
 * x[i * K + k]. With `pool` (NULL: the calling thread) thread k of T
 * computes pixels [k M / T, (k+1) M / T), in order. Call only when
 * nn_pw_available(). Never allocates; p is not modified.
 */
void nn_pw_run(const nn_pw *p, const float *x, float *y,
               struct pthreadpool *pool);

/* nn_pw_run with the residual r (PW_EP_ADD: y = clamp(conv) + r, pixel i
 * of r at r + i * p->res_stride; it may be y itself, never x; ignored by
 * the other epilogues). */
void nn_pw_run_r(const nn_pw *p, const float *x, float *y, const float *r,
                 struct pthreadpool *pool);

/* nn_pw_run over the first M (1..p->M) pixels instead of p->M (row strips
 * of a tensor: one packed weight set for every strip). */
void nn_pw_run_m(const nn_pw *p, const float *x, float *y, long M,
                 struct pthreadpool *pool);

/* nn_pw_run_m with the residual r of PW_EP_ADD (see nn_pw_run_r). */
void nn_pw_run_mr(const nn_pw *p, const float *x, float *y, const float *r,
                  long M, struct pthreadpool *pool);

#endif
