/*
 * plan.h - memory plan and execution plan of a prepared graph.
 *
 * Planning happens once per model: every non-constant tensor gets an offset
 * in one arena (tensors whose lifetimes do not overlap share bytes), every
 * node becomes a step bound to fixed input/output addresses, and heavy
 * steps get an XNNPACK operator that is created and set up here. A run then
 * only walks the steps.
 */
#ifndef SPATIA_NN_PLAN_H
#define SPATIA_NN_PLAN_H

#include <pthreadpool.h>
#include <xnnpack.h>

#include "nn/convstem.h"
#include "nn/dwconv.h"
#include "nn/dwpw.h"
#include "nn/graph.h"
#include "nn/pwconv.h"
#include "nn/resize.h"

#define NN_MAX_STRIP_GROUPS 64  /* threads that can run strip groups */
#define NN_STRIP_KB         384 /* default strip budget, KiB (L2 is 512 KiB+) */

/* A squeeze-excite gate folded into a depthwise filter (see plan.c): before
 * every run of its step, w[t * stride + c] = w0[t * C + c] * gate[c] for
 * taps t < taps, channels c < C. */
typedef struct nn_fold {
    const float *w0;   /* the model's filter [taps][C] */
    const float *gate; /* [C], written earlier in the same run */
    float *w;          /* the filter the kernel reads; NULL: no fold */
    float *own;        /* w when the step owns it, else NULL */
    int taps, C, stride;
} nn_fold;

typedef struct nn_step {
    int node;
    xnn_operator_t op;  /* NULL: portable kernel */
    xnn_operator_t op2; /* optional second operator run after `op` */
    const void *in[NN_MAX_IN];
    void *out[NN_MAX_OUT];
    void *scratch;  /* portable kernel scratch, owned */
    double seconds; /* profiling: accumulated time */
    /* Row strips (see plan.c): this 1x1 convolution and the depthwise
     * convolution of the previous step run strip by strip; strips[2i] is
     * the depthwise operator of strip i, strips[2i+1] the 1x1 one. The
     * previous step is then skipped. Owned. */
    xnn_operator_t *strips;
    int nstrips;
    int skip;      /* 1: the work of this step is done by a neighbouring one */
    nn_stem *stem; /* own stem convolution kernel instead of XNNPACK, owned */
    nn_rs *rs;     /* own bilinear resize instead of XNNPACK, owned */
    /* own depthwise kernel (dwconv.h) instead of XNNPACK, owned: of this
     * step, or of the previous one when this step runs strips, or (expand
     * strips) an array of nstrips, the depthwise part of each strip */
    nn_dw *dw;
    nn_pw *pw; /* own 1x1 convolution kernel (pwconv.h) of this step, owned */
    /* pw reads x of a folded gate product x * gate (plan_folds): its
     * weights are scaled by gate [K] (nn_pw_gate) before every run;
     * NULL: none */
    const float *pw_gate;
    const void *res; /* pw with PW_EP_ADD: the residual the epilogue adds */
    /* strips: the own 1x1 kernel for the 1x1 part of every strip instead
     * of the XNNPACK operators (NULL: those), owned; per strip i its pixels
     * spw_m[i] and the float offset spw_off[i] of its input (expand
     * strips) or of its output (depthwise -> 1x1 strips) */
    nn_pw *spw;
    long *spw_m;
    size_t *spw_off;
    /* expand strips on the own 1x1 kernel: the input rows strip i shares
     * with strip i - 1 of the same group are moved to the start of the
     * buffer instead of recomputed: carry[2i] is their float offset in the
     * buffer, carry[2i+1] their floats (0: none; the 1x1 kernel then
     * writes after them); owned, 2 * nstrips, or NULL */
    size_t *carry;
    /* expand strips: the 1x1 convolution that alone reads the depthwise
     * output (and the residual Add after it: tail_res) runs on each
     * strip's depthwise rows right away, from a buffer of tail_buf floats
     * per group (tgmem) into out[0] (plan.c, expand_tail); owned */
    nn_pw *tail;
    const void *tail_res;
    float *tgmem;
    size_t tail_buf;
    long tail_row_px; /* pixels per output row of the tail */
    /* own fused depthwise + small 1x1 kernel (dwpw.h) of this 1x1 step and
     * the depthwise step before it (skipped), owned */
    nn_dwpw *dwpw;
    /* strips of this 1x1 step: sig[i] applies the Sigmoid of the next
     * step (skipped) to strip i's rows right after the 1x1 operator;
     * NULL: none. nstrips operators, owned */
    xnn_operator_t *sig;
    nn_fold fold;     /* SE gate folded into this step's depthwise filter */
    int expand;       /* 1: expand strips (strips[2i] the 1x1 operator, then
                         strips[2i+1] or dw[i] the depthwise one) */
    int strip_rows;   /* output rows per strip */
    int strip_groups; /* > 1: strips run in that many groups in parallel,
                         single-threaded operators, one buffer per group */
    size_t strip_buf; /* floats between the groups' buffers */
    float *gmem;      /* the groups' buffers when strip_groups > 1, owned */
    /* strips of this 1x1 step: ptk > 0 is the step of a PeakTopK over the
     * strips' last output (the Sigmoid's) that each strip group scans row
     * by row right after its strips, while the rows are in its cache
     * (plan.c, make_strip_topk); that step then only scans the rows at
     * group boundaries and merges. tk: owned, parts of tk_part bytes
     * (groups + 1: one per group, one for the boundaries; each an int
     * count in its first cache line, then k heap entries), then the shared
     * floor (one cache line), then the merge scratch */
    int ptk;
    unsigned char *tk;
    size_t tk_part;
    int ptk_src; /* > 0 on that PeakTopK step: the strip step it finishes */
    /* strips of this 1x1 step: co > 0 is the step of a fused depthwise +
     * small 1x1 pair (dwpw) whose depthwise has the same input and window
     * as the strips' depthwise; it runs strip by strip right after that
     * depthwise, on the input rows it just brought into cache, and step
     * co is skipped (plan.c, co_dwpw) */
    int co;
    /* Mean over H and W whose input's producers (own 1x1 kernel, own
     * resize) leave per-thread channel sums here: [threads][msum_stride],
     * owned; the step only adds the rows (plan.c, plan_mean_sums) */
    float *msum;
    size_t msum_stride;
    /* halo[k * NN_HALO_PER + j]: the input rows pool range k of this step
     * reads outside its own part (rows [k H / T, (k + 1) H / T) of the
     * tensor, which thread k wrote), released after the step when the
     * threads sit on different L3s (plan.c, plan_halos; nn_plan_run);
     * halo_ranges ranges, owned; NULL: none */
    nn_span *halo;
    int halo_ranges;
} nn_step;

#define NN_HALO_PER 4 /* spans per range: 2 input tensors x above, below */

typedef struct nn_plan {
    nn_step *steps;
    int nsteps;
    unsigned char *arena;
    size_t arena_bytes;
    int arena_owned;    /* 1: pages owned per thread (plan.c, place_owned) */
    pthreadpool_t pool; /* NULL when single-threaded */
    int threads;
    int xnn_ops;
    int runs;
    /* strip_rows[s] > 0: step s (depthwise) and s + 1 (1x1 convolution)
     * run in strips of that many output rows; sized nsteps */
    int *strip_rows;
    /* expand_rows[s] > 0: step s (1x1 convolution) and s + 1 (depthwise)
     * run in strips of that many depthwise output rows; sized nsteps */
    int *expand_rows;
    /* stem_hs[s]: step s (own stem convolution) also applies the
     * HardSwish of step s + 1, which is skipped; sized nsteps */
    unsigned char *stem_hs;
    /* strip_ep[s]: the strip pair at s, s + 1 also runs the residual Add
     * of step s + 2 (the only reader of the 1x1 output, which gets no
     * bytes) in the own 1x1 kernel's store (PW_EP_ADD); step s + 2 is
     * skipped; its output never shares bytes with its inputs; sized
     * nsteps */
    unsigned char *strip_ep;
    /* expand_tail[s]: the expand pair at s, s + 1 also runs the 1x1
     * convolution of step s + 2 that alone reads the depthwise output
     * (1), and the residual Add of step s + 3 after it (2); those steps
     * are skipped, the depthwise output gets no bytes; sized nsteps */
    unsigned char *expand_tail;
    /* dw_hs[s]: step s (depthwise convolution on the own kernel, on its
     * own) also applies the HardSwish of step s + 1 (the only reader of
     * its output, which gets no bytes) to the values it stores; step s + 1
     * is skipped; sized nsteps */
    unsigned char *dw_hs;
    /* pw_ep[s] = PW_EP_HS / PW_EP_ADD: step s (1x1 convolution on the own
     * kernel) also applies the HardSwish / residual Add of step s + 1 (the
     * only reader of its output, which gets no bytes) in its store; step
     * s + 1 is skipped; sized nsteps */
    unsigned char *pw_ep;
    /* dwpw[s]: step s (depthwise) and s + 1 (1x1 convolution into at most
     * NN_DWPW_MAX_CO channels, reading only its output) run as one fused
     * kernel at step s + 1; the intermediate gets no bytes; sized nsteps */
    unsigned char *dwpw;
    /* strip_sig[s]: the strip pair at s, s + 1 also runs the Sigmoid of
     * step s + 2, the only reader of the 1x1 output; sized nsteps */
    unsigned char *strip_sig;
    /* fold[s] < 0: step s (x * gate, gate [1,1,1,C]) is folded into the
     * depthwise filters or 1x1 weights of all its readers and skipped;
     * fold[s] = m + 1: step s is such a reader (the depthwise of a dwpw
     * or strip pair, or a 1x1 convolution on the own kernel) of the Mul
     * at step m, and reads x; sized nsteps */
    int *fold;
    /* co_dwpw[s] = w + 1: the dwpw pair at w, w + 1 runs inside the strips
     * of the pair at s, s + 1 (its output is written from step s + 1 on);
     * 0: none; sized nsteps */
    int *co_dwpw;
    size_t strip_bytes; /* budget of one strip of the intermediate */
    /* Halo release (nn_plan_run): mode -1 = when the first two pool
     * threads' round trip (nn_pool_round_trip_ns, probed at the start of
     * every run) exceeds NN_FAR_NS, 0 = never, 1 = always; set by
     * nn_plan_build from SPATIA_NN_HALO_RELEASE (unset: -1 with exactly 2
     * threads, else 0). far: the last run released; far_runs: runs that
     * did; round_trip_ns: the last probe (-1: none) */
    int halo_mode;
    int far;
    int far_runs;
    double round_trip_ns;
} nn_plan;

/* Rows of a tensor of H rows that pool range k of T reads outside its own
 * part [k H / T, (k + 1) H / T) when it reads rows [lo, hi): [a[0], b[0])
 * above and [a[1], b[1]) below (empty: a == b). */
void nn_halo_rows(int k, int T, int H, int lo, int hi, int a[2], int b[2]);

/* Round trip (ns) above which two threads count as on different L3s:
 * about 60 ns within one here, 330-370 ns across (docs/nn.md). */
#define NN_FAR_NS 150.0

/*
 * Plans `g` (prepared by nn_graph_prepare). `portable` forces the portable
 * kernels. `strip_kb` is the size in KiB of one row strip of the output of
 * a depthwise convolution that feeds a 1x1 convolution (the pair then runs
 * strip by strip so that the intermediate stays in cache); 0 = the default
 * (NN_STRIP_KB), < 0 = no strips. Returns SPATIA_OK, SPATIA_NOMEM or
 * SPATIA_INTERNAL (XNNPACK could not be initialized), with a message in errbuf.
 */
int nn_plan_build(nn_graph *g, nn_plan *p, int threads, int portable,
                  int strip_kb, char *errbuf, int errlen);

/* Runs every step. Returns SPATIA_OK, SPATIA_RANGE or SPATIA_INTERNAL. */
int nn_plan_run(const nn_graph *g, nn_plan *p, int profile);

/* Address of tensor t's data (arena, view or constant). */
void *nn_plan_ptr(const nn_graph *g, const nn_plan *p, int t);

void nn_plan_free(nn_plan *p);

#endif
