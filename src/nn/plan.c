/*
 * plan.c - arena planning and XNNPACK operator creation (see plan.h).
 *
 * Memory: reshape-like nodes (Reshape, ExpandDims, Squeeze, Identity) alias
 * their input, so only "root" tensors need bytes. A root lives from the step
 * that writes it to the last step that reads it or any of its aliases (graph
 * inputs from the start, graph outputs to the end). Roots are placed greedily
 * by decreasing size at the lowest offset that does not collide with an
 * already placed root whose lifetime overlaps; the arena is one allocation
 * of the resulting high-water mark (large arenas on transparent huge pages).
 * With several threads the packing is in pages, each page owned by one
 * thread (place_owned).
 * An elementwise op writes over an input of its size that dies at that
 * step. A concat on channels whose inputs are written by XNNPACK operators
 * (and read by nothing else) becomes a set of strided views: each producer
 * writes its channel slice of the output directly, the concat does nothing.
 *
 * Operators: convolutions (filters repacked from TF's HWIO to XNNPACK's
 * OHWI; depthwise filters are used as they are), binary elementwise ops with
 * broadcasting, clamp/sigmoid/hard-swish, max
 * pooling, bilinear resize and constant padding are created and set up here
 * once, with fixed pointers into the arena. The rest runs on the portable
 * kernels (kernels.c).
 */
#include "nn/plan.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "spatia/error.h"

static int root_of(const nn_graph *g, int t)
{
    int guard = 0;
    while (
        (g->t[t].store == NN_STORE_ALIAS || g->t[t].store == NN_STORE_VIEW) &&
        guard++ < g->nt)
        t = g->t[t].alias;
    return t;
}

void *nn_plan_ptr(const nn_graph *g, const nn_plan *p, int t)
{
    const nn_tensor *x = &g->t[t];
    switch (x->store) {
    case NN_STORE_CONST:
        return x->data;
    case NN_STORE_ARENA:
        return p->arena + x->offset;
    case NN_STORE_ALIAS:
        return nn_plan_ptr(g, p, x->alias);
    case NN_STORE_VIEW:
        return (char *)nn_plan_ptr(g, p, x->alias) +
               x->offset * nn_dtype_size(x->dtype);
    case NN_STORE_NONE:
        break;
    }
    return NULL;
}

static int is_alias_op(nn_op op)
{
    return op == NN_OP_RESHAPE || op == NN_OP_EXPAND_DIMS ||
           op == NN_OP_SQUEEZE || op == NN_OP_IDENTITY;
}

static int is_elementwise(nn_op op)
{
    switch (op) {
    case NN_OP_ADD:
    case NN_OP_SUB:
    case NN_OP_MUL:
    case NN_OP_DIV:
    case NN_OP_MAXIMUM:
    case NN_OP_MINIMUM:
    case NN_OP_RELU:
    case NN_OP_RELU6:
    case NN_OP_CLAMP:
    case NN_OP_SIGMOID:
    case NN_OP_TANH:
    case NN_OP_HARDSWISH:
    case NN_OP_SELECT_EQ:
        return 1;
    default:
        return 0;
    }
}

typedef struct placed {
    size_t off, size;
    int first, last;
} placed;

static int cmp_size_desc(const void *a, const void *b, void *ctx)
{
    const nn_graph *g = ctx;
    size_t sa = nn_tensor_bytes(&g->t[*(const int *)a]);
    size_t sb = nn_tensor_bytes(&g->t[*(const int *)b]);
    if (sa != sb)
        return sa < sb ? 1 : -1;
    return *(const int *)a - *(const int *)b;
}

static int cmp_off(const void *a, const void *b)
{
    const placed *x = a, *y = b;
    return x->off < y->off ? -1 : (x->off > y->off ? 1 : 0);
}

#define LAB_FREE 0xff /* page without an owner */

static size_t round_page(size_t v, size_t page)
{
    return (v + page - 1) / page * page;
}

/* Packing unit of the arena: 4 KiB pages when pages get per-thread owners
 * (see place_owned; threads 2..255, unless SPATIA_NN_FLAT_ARENA is set,
 * for comparisons), else NN_ALIGN. */
static size_t arena_unit(const nn_plan *p)
{
    if (p->threads >= 2 && p->threads < LAB_FREE &&
        !getenv("SPATIA_NN_FLAT_ARENA"))
        return 4096;
    return NN_ALIGN;
}

/* Floats between the pixels of t: its concat's row stride for a view,
 * else its channels. */
static size_t pixel_stride(const nn_tensor *t)
{
    return t->store == NN_STORE_VIEW ? (size_t)t->row_stride
                                     : (size_t)t->shape.d[3];
}

/* Ops whose XNNPACK operator can write rows with a stride (and, for the
 * unary ones, read them): their output can be a channel slice of a concat. */
static int strided_out_op(const nn_node *n)
{
    switch (n->op) {
    case NN_OP_CONV2D:
    case NN_OP_DWCONV2D:
    case NN_OP_RESIZE_BILINEAR:
    case NN_OP_MAXPOOL:
    case NN_OP_RELU:
    case NN_OP_RELU6:
    case NN_OP_CLAMP:
    case NN_OP_SIGMOID:
        return 1;
    case NN_OP_HARDSWISH:
        return n->a.hs_scale == 1.0f / 6.0f;
    default:
        return 0;
    }
}

static int is_unary_nc(nn_op op)
{
    return op == NN_OP_RELU || op == NN_OP_RELU6 || op == NN_OP_CLAMP ||
           op == NN_OP_SIGMOID || op == NN_OP_HARDSWISH;
}

/* Is graph output / input / constant: such tensors keep their own bytes. */
static int pinned(const nn_graph *g, int t)
{
    if (g->t[t].is_input || g->t[t].store == NN_STORE_CONST)
        return 1;
    for (int i = 0; i < g->noutputs; i++)
        if (g->outputs[i].tensor == t)
            return 1;
    return 0;
}

/* Can tensor t (read only by a concat) be a strided slice of it? Also
 * accepts a unary op whose input is such a slice (it then runs in place on
 * the slice). */
static int viewable(const nn_graph *g, int t, int depth)
{
    const nn_tensor *x = &g->t[t];
    if (x->nuse != 1 || pinned(g, t) || x->producer < 0 || x->dtype != NN_F32)
        return 0;
    const nn_node *p = &g->n[x->producer];
    if (p->nout != 1 || !strided_out_op(p) || x->shape.rank < 1)
        return 0;
    if (is_unary_nc(p->op) && depth == 0) {
        int u = p->in[0];
        return nn_shape_eq(&g->t[u].shape, &x->shape) && viewable(g, u, 1);
    }
    return !is_unary_nc(p->op) || depth == 0;
}

static void make_view(nn_graph *g, int t, int cat, size_t off, int stride,
                      int depth)
{
    nn_tensor *x = &g->t[t];
    const nn_node *p = &g->n[x->producer];
    x->store = NN_STORE_VIEW;
    x->alias = cat;
    x->offset = off;
    x->row_stride = stride;
    if (is_unary_nc(p->op) && depth == 0)
        make_view(g, p->in[0], cat, off, stride, 1);
}

/* Concats on the last axis whose inputs are all viewable become no-ops:
 * the producers write their channel slices straight into the output. */
static void plan_views(nn_graph *g)
{
    for (int s = 0; s < g->norder; s++) {
        const nn_node *n = &g->n[g->order[s]];
        const nn_tensor *y = &g->t[n->out[0]];
        if (n->op != NN_OP_CONCAT || n->a.axis != y->shape.rank - 1 ||
            y->dtype != NN_F32)
            continue;
        int ok = 1;
        for (int j = 0; j < n->nin - 1 && ok; j++) {
            ok = viewable(g, n->in[j], 0);
            for (int k = 0; k < j && ok; k++)
                ok = n->in[k] != n->in[j];
        }
        if (!ok)
            continue;
        size_t off = 0;
        for (int j = 0; j < n->nin - 1; j++) {
            const nn_tensor *x = &g->t[n->in[j]];
            make_view(g, n->in[j], n->out[0], off,
                      y->shape.d[y->shape.rank - 1], 0);
            off += (size_t)x->shape.d[x->shape.rank - 1];
        }
    }
}

#define HUGE_PAGE ((size_t)2 << 20)

/* expand pairs: intermediates of at least this many strip budgets */
#ifndef EXPAND_MIN_STRIPS
#define EXPAND_MIN_STRIPS 8
#endif

/* The arena: for large ones, 2 MiB aligned and advised to use transparent
 * huge pages (tens of MB are walked every run; 4 KiB pages would miss the
 * TLB). Same slack as nn_alloc_aligned; free with free(). */
static unsigned char *arena_alloc(size_t bytes)
{
    if (bytes < 4 * HUGE_PAGE)
        return nn_alloc_aligned(bytes ? bytes : NN_ALIGN);
    size_t total = (bytes + NN_PAD_BYTES + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    unsigned char *a = aligned_alloc(HUGE_PAGE, total);
    if (!a)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(a, total, MADV_HUGEPAGE); /* a hint: failure is harmless */
#endif
    memset(a + bytes, 0, total - bytes);
    return a;
}

/* Does the own stem kernel (convstem.h) take node n: a 3x3 convolution of
 * 3 input channels into at most 16, batch 1, contiguous input? */
static int stem_ok(const nn_graph *g, const nn_node *n)
{
    if (n->op != NN_OP_CONV2D)
        return 0;
    const nn_tensor *x = &g->t[n->in[0]];
    const nn_shape *ws = &g->t[n->in[1]].shape;
    return ws->d[0] == 3 && ws->d[1] == 3 && ws->d[2] == 3 && ws->d[3] >= 1 &&
           ws->d[3] <= 16 && x->dtype == NN_F32 && x->shape.rank == 4 &&
           x->shape.d[0] == 1 && x->store != NN_STORE_VIEW &&
           (!n->a.has_act || n->a.act_min < n->a.act_max) &&
           nn_stem_available();
}

/* The conditions both kinds of strip pair share: steps s and s + 1 are
 * ops `op0` then `op1`, the first one's only output is an arena tensor read
 * only by the second, the batch is 1, the 1x1 convolution of the pair
 * (`pw`) has stride 1 and no padding, and clamps are proper. Returns the
 * intermediate tensor, or NULL when the pair cannot run in strips. */
static const nn_tensor *strip_pair(const nn_graph *g, const nn_plan *p, int s,
                                   int op0, int op1, const nn_node **first,
                                   const nn_node **second)
{
    if (!p->strip_bytes || s + 1 >= g->norder)
        return NULL;
    const nn_node *a = &g->n[g->order[s]], *b = &g->n[g->order[s + 1]];
    if ((int)a->op != op0 || (int)b->op != op1 || a->nout != 1 ||
        b->in[0] != a->out[0])
        return NULL;
    const nn_node *pw = a->op == NN_OP_CONV2D ? a : b;
    const nn_tensor *x = &g->t[a->in[0]], *t = &g->t[a->out[0]];
    const nn_tensor *y = &g->t[b->out[0]], *w = &g->t[pw->in[1]];
    if (t->nuse != 1 || pinned(g, a->out[0]) || t->store != NN_STORE_ARENA ||
        x->store == NN_STORE_VIEW || x->dtype != NN_F32 || x->shape.rank != 4 ||
        x->shape.d[0] != 1 || t->shape.rank != 4 || y->shape.rank != 4)
        return NULL;
    if (w->shape.d[0] != 1 || w->shape.d[1] != 1 || pw->a.stride[0] != 1 ||
        pw->a.stride[1] != 1 || pw->a.pad[0] || pw->a.pad[1] || pw->a.pad[2] ||
        pw->a.pad[3])
        return NULL;
    if ((a->a.has_act && !(a->a.act_min < a->a.act_max)) ||
        (b->a.has_act && !(b->a.act_min < b->a.act_max)))
        return NULL;
    *first = a;
    *second = b;
    return t;
}

static int pw_ep_kind(const nn_graph *g, const nn_plan *p, int s, int *res);
static int pw_ok(const nn_graph *g, const nn_node *n, int *K, int *N, long *M);

/* Does the strip pair at s also take the residual Add of step s + 2 in
 * its 1x1 store (strip_ep)? The own 1x1 kernel must take the Add as an
 * epilogue (pw_ep_kind) and the Add's residual must not be a tensor the
 * strips still read (the depthwise input is read a row ahead). */
static int strip_ep_ok(const nn_graph *g, const nn_plan *p, int s)
{
    int res;
    return s + 2 < g->norder && !getenv("SPATIA_NN_NO_STRIP_EP") &&
           pw_ep_kind(g, p, s + 1, &res) == PW_EP_ADD;
}

/* Output rows per strip when step s (a depthwise convolution) and step
 * s + 1 (a 1x1 convolution reading only its output) can run as row strips,
 * else 0. Needs storage classes assigned; p->strip_bytes is the budget. */
static int strip_rows(const nn_graph *g, const nn_plan *p, int s)
{
    const nn_node *d, *c;
    const nn_tensor *t =
        strip_pair(g, p, s, NN_OP_DWCONV2D, NN_OP_CONV2D, &d, &c);
    if (!t)
        return 0;
    size_t row = (size_t)t->shape.d[2] * (size_t)t->shape.d[3] * sizeof(float);
    int h = t->shape.d[1];
    if (row == 0)
        return 0;
    /* measured: only intermediates far larger than L2 gain (the 1x1
     * convolution then reads from cache); smaller ones lose a little to
     * the extra operator calls. With the residual Add in the strips
     * (strip_ep_ok) half as large ones gain: the Add's pass goes too */
    const size_t need = strip_ep_ok(g, p, s) ? 8 : 16;
    if (row * (size_t)h < need * p->strip_bytes)
        return 0;
    size_t rows = p->strip_bytes / row;
    if (rows < 1)
        rows = 1;
    /* with T threads the strips go to T groups in contiguous runs: make
     * every group's rows a whole number of strips where the height
     * allows, or the last group ends with a short strip and the others
     * wait for their longer share (CenterNet's 128-row cls pair: strips of
     * 4 rows instead of 6, groups of 64 rows instead of 66 and 62) */
    const size_t T = (size_t)(p->threads > 1 ? p->threads : 1);
    if (T > 1 && (size_t)h % T == 0 && !getenv("SPATIA_NN_STRIP_UNEVEN"))
        while (rows > 1 && ((size_t)h / T) % rows)
            rows--;
    /* below 16 budgets only where each strip reads at most 1/4 more input
     * rows than it advances: CenterNet's 256x256x16 3x3 pair (16-row
     * strips, 18 rows read) gains, its 64x64x192 5x5 one (8-row strips,
     * 12 read) lost 0.04-0.09 ms at 2 threads */
    const size_t sh = (size_t)d->a.stride[0];
    const size_t eff =
        (size_t)(g->t[d->in[1]].shape.d[0] - 1) * (size_t)d->a.dilation[0] + 1;
    if (row * (size_t)h < 16 * p->strip_bytes &&
        ((rows - 1) * sh + eff) * 4 > rows * sh * 5)
        return 0;
    return rows * 2 <= (size_t)h ? (int)rows : 0;
}

/* The tail an expand pair at s can take (expand_tail): 1 when step s + 2
 * is a 1x1 convolution on the own kernel that alone reads the depthwise
 * output (an arena tensor, no graph output), 2 when a residual Add
 * (pw_ep_kind) that alone reads that convolution follows at s + 3, else
 * 0. */
static int expand_tail_kind(const nn_graph *g, const nn_plan *p, int s)
{
    if (s + 2 >= g->norder || getenv("SPATIA_NN_NO_EXPAND_TAIL"))
        return 0;
    const nn_node *d = &g->n[g->order[s + 1]], *c = &g->n[g->order[s + 2]];
    const int u = d->out[0];
    int K, N, res = -1;
    long M;
    if (c->op != NN_OP_CONV2D || c->in[0] != u || g->t[u].nuse != 1 ||
        pinned(g, u) || g->t[u].store != NN_STORE_ARENA ||
        !pw_ok(g, c, &K, &N, &M) || g->t[c->out[0]].dtype != NN_F32)
        return 0;
    if (s + 3 < g->norder && pw_ep_kind(g, p, s + 2, &res) == PW_EP_ADD)
        return 2;
    const nn_tensor *y = &g->t[c->out[0]];
    return y->store == NN_STORE_ARENA || y->store == NN_STORE_VIEW ? 1 : 0;
}

/* Output rows per strip when step s (a 1x1 convolution) and step s + 1
 * (a depthwise convolution reading only its output) can run as row strips
 * ("expand" pairs of inverted residual blocks), else 0. Each strip
 * recomputes the rows its window shares with the previous strip, so
 * strips are made tall enough to keep that under 1/8 of the work. */
static int expand_rows(const nn_graph *g, const nn_plan *p, int s)
{
    const nn_node *c, *d;
    const nn_tensor *t =
        strip_pair(g, p, s, NN_OP_CONV2D, NN_OP_DWCONV2D, &c, &d);
    if (!t)
        return 0;
    const nn_tensor *y = &g->t[d->out[0]];
    const size_t row =
        (size_t)t->shape.d[2] * (size_t)t->shape.d[3] * sizeof(float);
    const int sh = d->a.stride[0], oh = y->shape.d[1];
    const int eff = (g->t[d->in[1]].shape.d[0] - 1) * d->a.dilation[0] + 1;
    if (row == 0 || sh < 1 ||
        row * (size_t)t->shape.d[1] < EXPAND_MIN_STRIPS * p->strip_bytes)
        return 0;
    size_t in_rows = p->strip_bytes / row;
    int rows = in_rows > (size_t)eff
                   ? (int)((in_rows - (size_t)eff) / (size_t)sh) + 1
                   : 1;
    const int halo = eff - sh;
    /* a tail keeps its own buffer of the strip's output rows: strips as
     * the budget gives (the own 1x1 kernel carries the shared rows) */
    if (halo > 0 && rows * sh < 8 * halo && !expand_tail_kind(g, p, s))
        rows = (8 * halo + sh - 1) / sh;
    return rows * 2 <= oh ? rows : 0;
}

/* Can step s (a depthwise convolution, multiplier 1) and step s + 1 (a 1x1
 * convolution into at most NN_DWPW_MAX_CO channels reading only its
 * output) run as the own fused kernel (dwpw.h)? Batch 1, contiguous input,
 * proper clamps, an AVX-512F CPU. */
static int dwpw_pair(const nn_graph *g, int s)
{
    if (s + 1 >= g->norder || !nn_dwpw_available())
        return 0;
    const nn_node *d = &g->n[g->order[s]], *c = &g->n[g->order[s + 1]];
    if (d->op != NN_OP_DWCONV2D || c->op != NN_OP_CONV2D || d->nout != 1 ||
        c->in[0] != d->out[0])
        return 0;
    const nn_tensor *x = &g->t[d->in[0]], *t = &g->t[d->out[0]];
    const nn_tensor *y = &g->t[c->out[0]];
    const nn_shape *dws = &g->t[d->in[1]].shape, *cws = &g->t[c->in[1]].shape;
    return t->nuse == 1 && !pinned(g, d->out[0]) &&
           t->store == NN_STORE_ARENA && x->store != NN_STORE_VIEW &&
           x->dtype == NN_F32 && x->shape.rank == 4 && x->shape.d[0] == 1 &&
           t->shape.rank == 4 && dws->d[3] == 1 && cws->d[0] == 1 &&
           cws->d[1] == 1 && c->a.stride[0] == 1 && c->a.stride[1] == 1 &&
           !(c->a.pad[0] | c->a.pad[1] | c->a.pad[2] | c->a.pad[3]) &&
           y->shape.rank == 4 && y->shape.d[3] >= 1 &&
           y->shape.d[3] <= NN_DWPW_MAX_CO &&
           (!d->a.has_act || d->a.act_min < d->a.act_max) &&
           (!c->a.has_act || c->a.act_min < c->a.act_max);
}

/* Can the strip pair at s, s + 1 also run the Sigmoid of step s + 2 strip
 * by strip? It must be the only reader of the 1x1 output (not a graph
 * output), both tensors contiguous float32 of one shape. Needs storage
 * classes assigned and p->strip_rows. */
static int strip_sigmoid(const nn_graph *g, const nn_plan *p, int s)
{
    if (!p->strip_rows[s] || s + 2 >= g->norder)
        return 0;
    const nn_node *c = &g->n[g->order[s + 1]], *h = &g->n[g->order[s + 2]];
    const nn_tensor *y = &g->t[c->out[0]], *z = &g->t[h->out[0]];
    return h->op == NN_OP_SIGMOID && h->in[0] == c->out[0] && y->nuse == 1 &&
           !pinned(g, c->out[0]) && y->store == NN_STORE_ARENA &&
           z->store == NN_STORE_ARENA && z->dtype == NN_F32 &&
           nn_shape_eq(&y->shape, &z->shape) && y->shape.rank == 4 &&
           y->shape.d[3] > 0;
}

/* The operands of Mul node m when it scales x [1,H,W,C] by a gate
 * [1,1,1,C] (either order), both float32, neither a view: *x, *gate.
 * Returns 0 when m is not such a product. */
static int gate_mul(const nn_graph *g, const nn_node *m, int *x, int *gate)
{
    const nn_tensor *u = &g->t[m->out[0]];
    if (m->op != NN_OP_MUL || m->a.has_act || m->nin != 2 ||
        u->shape.rank != 4 || u->shape.d[0] != 1 || u->dtype != NN_F32)
        return 0;
    for (int k = 0; k < 2; k++) {
        const nn_tensor *a = &g->t[m->in[k]], *b = &g->t[m->in[1 - k]];
        if (nn_shape_eq(&a->shape, &u->shape) && b->shape.rank == 4 &&
            b->shape.d[0] == 1 && b->shape.d[1] == 1 && b->shape.d[2] == 1 &&
            b->shape.d[3] == u->shape.d[3] && a->dtype == NN_F32 &&
            b->dtype == NN_F32 && a->store != NN_STORE_VIEW &&
            b->store != NN_STORE_VIEW && m->in[0] != m->in[1]) {
            *x = m->in[k];
            *gate = m->in[1 - k];
            return 1;
        }
    }
    return 0;
}

/* The tensor the convolution at step s reads as its input: x of the
 * folded gate product it reads (plan_folds), else its input 0. */
static int conv_input(const nn_graph *g, const nn_plan *p, int s)
{
    const nn_node *c = &g->n[g->order[s]];
    int xi, gi;
    if (p->fold && p->fold[s] > 0 &&
        gate_mul(g, &g->n[g->order[p->fold[s] - 1]], &xi, &gi))
        return xi;
    return c->in[0];
}

/*
 * Pages owned by threads. With T > 1 threads every heavy step deals its
 * output rows out in T contiguous ranges, in order (XNNPACK's GEMMs,
 * depthwise convolutions and elementwise ops, the own kernels, the strip
 * groups, the global mean), so part k of every tensor (its k-th T-th,
 * page rounded) is written and mostly read by thread k. The packer then
 * gives every page of the arena one owner: a tensor may only go where its
 * part k lands on pages that are free or already owned by thread k. A
 * core then never writes a line that another core wrote or read for
 * another tensor. That matters where the cores sit on different L3
 * slices (AMD EPYC CCDs, and a VM whose vCPUs float between them): there
 * a write to a line another core holds waits for a cross-slice
 * invalidation, measured here at 2.4 GB/s against 60 GB/s for a local
 * one. The price is some arena growth where parts of different sizes do
 * not line up. Tensors under 2T pages are not split (any free pages).
 */
/* Byte offset of part k of a `size`-byte tensor split in `parts`. */
static size_t part_at(size_t size, int k, int parts, size_t unit)
{
    return size / unit * (size_t)k / (size_t)parts * unit;
}

static int owned_split(size_t size, int parts, size_t unit)
{
    return size >= 2 * (size_t)parts * unit;
}

/* Do the pages of [off, off + size) let the parts land there? */
static int pages_fit(const unsigned char *lab, size_t off, size_t size,
                     size_t unit, int parts)
{
    if (!owned_split(size, parts, unit))
        return 1;
    for (int k = 0; k < parts; k++) {
        const size_t a = off + part_at(size, k, parts, unit);
        const size_t b = off + part_at(size, k + 1, parts, unit);
        for (size_t q = a / unit; q < b / unit; q++)
            if (lab[q] != LAB_FREE && lab[q] != k)
                return 0;
    }
    return 1;
}

static void label_pages(unsigned char *lab, size_t off, size_t size,
                        size_t unit, int parts)
{
    if (!owned_split(size, parts, unit))
        return;
    for (int k = 0; k < parts; k++) {
        const size_t a = off + part_at(size, k, parts, unit);
        const size_t b = off + part_at(size, k + 1, parts, unit);
        for (size_t q = a / unit; q < b / unit; q++)
            lab[q] = (unsigned char)k;
    }
}

/* Lowest-ending offset for a `size`-byte tensor that overlaps none of the
 * nt placed tensors alive with it (tmp, sorted by offset) and whose parts
 * land on their own threads' pages. Candidates: right after each of
 * those, and with its first part boundary on that of any placed tensor;
 * the end of everything placed always fits. */
static size_t place_owned(const placed *pl, int npl, const placed *tmp, int nt,
                          const unsigned char *lab, size_t size, size_t unit,
                          int parts)
{
    size_t best = (size_t)-1, end = 0;
    for (int j = 0; j < npl; j++)
        if (pl[j].off + pl[j].size > end)
            end = pl[j].off + pl[j].size;
    for (int c = -1; c < nt + npl; c++) {
        size_t o;
        if (c < 0) {
            o = 0;
        } else if (c < nt) {
            o = tmp[c].off + tmp[c].size;
        } else {
            const placed *q = &pl[c - nt];
            size_t qb = q->off + part_at(q->size, 1, parts, unit);
            size_t mb = part_at(size, 1, parts, unit);
            if (!owned_split(q->size, parts, unit) || qb < mb)
                continue;
            o = qb - mb;
        }
        if (best != (size_t)-1 && o >= best)
            continue;
        int clash = 0;
        for (int j = 0; j < nt && !clash; j++)
            clash = tmp[j].off < o + size && o < tmp[j].off + tmp[j].size;
        if (!clash && pages_fit(lab, o, size, unit, parts))
            best = o;
    }
    return best == (size_t)-1 ? end : best;
}

/* Can the own 1x1 kernel run node n at all (AVX-512F/VL, a 1x1 window at
 * stride 1 without padding, batch 1, contiguous float input, a proper
 * clamp)? Sets *K, *N and *M (pixels). */
static int pw_ok(const nn_graph *g, const nn_node *n, int *K, int *N, long *M)
{
    const nn_tensor *x = &g->t[n->in[0]], *y = &g->t[n->out[0]];
    const nn_shape *ws = &g->t[n->in[1]].shape;
    if (n->op != NN_OP_CONV2D || ws->rank != 4 || ws->d[0] != 1 ||
        ws->d[1] != 1 || x->dtype != NN_F32 || x->store == NN_STORE_VIEW ||
        x->shape.rank != 4 || x->shape.d[0] != 1 || n->a.stride[0] != 1 ||
        n->a.stride[1] != 1 || n->a.pad[0] || n->a.pad[1] || n->a.pad[2] ||
        n->a.pad[3] || y->shape.d[1] != x->shape.d[1] ||
        y->shape.d[2] != x->shape.d[2] ||
        (n->a.has_act && !(n->a.act_min < n->a.act_max)) || !nn_pw_available())
        return 0;
    *K = ws->d[2];
    *N = ws->d[3];
    *M = (long)x->shape.d[1] * x->shape.d[2];
    return *K == x->shape.d[3] && *N == y->shape.d[3];
}

/* 1 where a 1x1 convolution K -> N over M pixels with epilogue `ep`
 * (pw_ep_kind) takes the own kernel: wherever nn_pw_preferred does, and
 * where the kernel ties with XNNPACK alone and the pass over the output
 * it saves makes it faster. Measured per node in CenterNet at 2 threads
 * (SPATIA_NN_PROFILE_NODES=1, with and without SPATIA_NN_NO_PW_EP): the
 * residual Add everywhere (32..128 channels, 16x16..64x64 pixels: conv +
 * Add 0.157-0.238 -> 0.117-0.228 ms), the HardSwish up to 144 channels
 * (32x32x144: 0.095 -> 0.093-0.097); wider HardSwish convolutions (160 to
 * 720 channels) were 3-7% slower than XNNPACK's GEMM + the pass: the own
 * kernel re-reads the input per 64-channel chunk. Never one pixel with
 * K * N > 8192 (1.2-1.9x slower at 2 threads, pwconv.c). */
static int pw_ep_worth(int K, int N, long M, int ep)
{
    if (M == 1 && (long)K * N > 8192)
        return 0;
    return ep == PW_EP_ADD || N <= 144 || nn_pw_preferred(K, N, M);
}

/* The epilogue step s + 1 can give the 1x1 convolution at step s
 * (PW_EP_*, 0: none): the convolution runs on the own kernel (pw_ok,
 * pw_ep_worth) and its output, an arena tensor that is no graph output,
 * is read only by step s + 1, which is
 * - a HardSwish (output in the arena or a concat slice), or
 * - an Add without activation of it and a same-shape float tensor r (no
 *   view, not the convolution's input: an in-place Add output would
 *   overwrite it while the kernel still reads it; with a folded gate
 *   the input is x, conv_input) into an arena tensor.
 * *res is then r's tensor index. */
static int pw_ep_kind(const nn_graph *g, const nn_plan *p, int s, int *res)
{
    const nn_node *c = &g->n[g->order[s]], *h = &g->n[g->order[s + 1]];
    const int t = c->out[0];
    int K, N;
    long M;
    if (!pw_ok(g, c, &K, &N, &M) || g->t[t].nuse != 1 || pinned(g, t) ||
        g->t[t].store != NN_STORE_ARENA)
        return 0;
    const nn_tensor *o = &g->t[h->out[0]];
    if (h->op == NN_OP_HARDSWISH && h->in[0] == t &&
        (o->store == NN_STORE_ARENA || o->store == NN_STORE_VIEW) &&
        nn_shape_eq(&o->shape, &g->t[t].shape))
        return pw_ep_worth(K, N, M, PW_EP_HS) ? PW_EP_HS : 0;
    if (h->op != NN_OP_ADD || h->nin != 2 || h->a.has_act ||
        o->store != NN_STORE_ARENA || (h->in[0] == t) == (h->in[1] == t))
        return 0;
    const int r = h->in[h->in[0] == t];
    const nn_tensor *rt = &g->t[r];
    if (rt->dtype != NN_F32 || o->dtype != NN_F32 ||
        rt->store == NN_STORE_VIEW ||
        g->t[root_of(g, r)].store != NN_STORE_ARENA ||
        root_of(g, r) == root_of(g, conv_input(g, p, s)) ||
        !nn_shape_eq(&rt->shape, &g->t[t].shape) ||
        !nn_shape_eq(&o->shape, &g->t[t].shape) ||
        !pw_ep_worth(K, N, M, PW_EP_ADD))
        return 0;
    *res = r;
    return PW_EP_ADD;
}

/* Does the own depthwise kernel take node n (own_dw)? A depthwise
 * convolution with channel multiplier 1, batch 1, contiguous float input,
 * a proper clamp, a shape where it measured faster than XNNPACK
 * (nn_dw_preferred; cached: its input is an expand pair's strip buffer),
 * an AVX-512F CPU. */
static int own_dw_ok(const nn_graph *g, const nn_node *n, int cached)
{
    const nn_tensor *x = &g->t[n->in[0]];
    const nn_shape *ws = &g->t[n->in[1]].shape;
    return n->op == NN_OP_DWCONV2D && ws->d[3] == 1 && x->dtype == NN_F32 &&
           x->store != NN_STORE_VIEW && x->shape.rank == 4 &&
           x->shape.d[0] == 1 &&
           (!n->a.has_act || n->a.act_min < n->a.act_max) &&
           nn_dw_preferred(x->shape.d[3], ws->d[0], ws->d[1], n->a.stride[0],
                           n->a.stride[1], cached) &&
           nn_dw_available();
}

/* Can the depthwise convolution at step s run on the own kernel on its
 * own with the HardSwish of step s + 1 applied as it stores (dw_hs)? The
 * own kernel must take it (own_dw_ok), its output must be an
 * arena tensor read only by that HardSwish, whose output has its shape. */
static int dw_hs_pair(const nn_graph *g, int s)
{
    const nn_node *d = &g->n[g->order[s]], *h = &g->n[g->order[s + 1]];
    if (h->op != NN_OP_HARDSWISH || d->nout != 1 || h->in[0] != d->out[0])
        return 0;
    const nn_tensor *t = &g->t[d->out[0]], *u = &g->t[h->out[0]];
    return own_dw_ok(g, d, 0) && t->nuse == 1 && !pinned(g, d->out[0]) &&
           t->store == NN_STORE_ARENA && u->dtype == NN_F32 &&
           (u->store == NN_STORE_ARENA || u->store == NN_STORE_VIEW) &&
           nn_shape_eq(&u->shape, &t->shape) && !getenv("SPATIA_NN_NO_DW_HS");
}

/* Can the dwpw pair at w (dwpw_pair) run inside the strips of the strip
 * pair at s (strip_rows)? Its depthwise must read the same tensor with
 * the same window, strides, dilations and padding into an output of the
 * same height and width, both folded from the same gate or neither: then
 * strip i's input rows are exactly those its output rows need. */
static int co_dwpw_ok(const nn_graph *g, const nn_plan *p, int s, int w)
{
    const nn_node *a = &g->n[g->order[s]], *b = &g->n[g->order[w]];
    const nn_shape *wa = &g->t[a->in[1]].shape, *wb = &g->t[b->in[1]].shape;
    const nn_shape *ya = &g->t[a->out[0]].shape, *yb = &g->t[b->out[0]].shape;
    if (a->in[0] != b->in[0] || p->fold[s] != p->fold[w] ||
        wa->d[0] != wb->d[0] || wa->d[1] != wb->d[1] || ya->rank != 4 ||
        yb->rank != 4 || ya->d[1] != yb->d[1] || ya->d[2] != yb->d[2])
        return 0;
    for (int k = 0; k < 2; k++)
        if (a->a.stride[k] != b->a.stride[k] ||
            a->a.dilation[k] != b->a.dilation[k])
            return 0;
    for (int k = 0; k < 4; k++)
        if (a->a.pad[k] != b->a.pad[k])
            return 0;
    return 1;
}

/* Is step s already part of a fused group planned so far: the first or
 * second step of a strip, expand, dwpw, stem + HardSwish or 1x1 epilogue
 * pair, or the Sigmoid run inside a strip pair? The per-step arrays not
 * yet planned are NULL. Every new pairing checks this, so a step is fused
 * into one group at most. */
static int in_fusion(const nn_plan *p, int s)
{
    const unsigned char *pairs[4] = {p->dwpw, p->stem_hs, p->pw_ep, p->dw_hs};
    for (int q = s > 0 ? s - 1 : 0; q <= s; q++) {
        if ((p->strip_rows && p->strip_rows[q]) ||
            (p->expand_rows && p->expand_rows[q]))
            return 1;
        for (int k = 0; k < 4; k++)
            if (pairs[k] && pairs[k][q])
                return 1;
    }
    return (s > 1 && ((p->strip_sig && p->strip_sig[s - 2]) ||
                      (p->strip_ep && p->strip_ep[s - 2]) ||
                      (p->expand_tail && p->expand_tail[s - 2]))) ||
           (s > 2 && p->expand_tail && p->expand_tail[s - 3] == 2);
}

/* Can the 1x1 convolution at step r, reading the gated product of
 * x [1,H,W,K] (j: the input it reads it as), fold the gate into its
 * weights (see plan_folds)? It must run alone on the own kernel (pw_ok,
 * in no strip, expand or dwpw pair; an epilogue is planned later), over
 * more than one pixel, and the per-run refill of its K rows of NV * 16
 * floats must be small next to the Mul it saves: refill floats * 4 <
 * Mul elements. Measured per node in CenterNet (Mul + 1x1 (+ its Add
 * epilogue), ms, SPATIA_NN_PROFILE_NODES=1 with and without
 * SPATIA_NN_NO_PW_FOLD, alternating, 2 / 1 threads):
 * - 64x64, 72 / 96 -> 32 (refill / Mul 0.008; the 72 -> 32 one forced
 *   off XNNPACK): 0.138-0.171 -> 0.091-0.092 / 0.236 -> 0.171-0.177,
 *   and 0.138-0.152 -> 0.114-0.122 / 0.266-0.268 -> 0.228-0.233;
 * - 32x32, 384 / 528 -> 88 (0.094): 0.334-0.338 -> 0.324-0.328 /
 *   0.683 -> 0.661-0.676, and 0.460-0.473 -> 0.448-0.453 / 0.910 ->
 *   0.882-0.883;
 * - 16x16, 528 / 720 -> 120 (0.5): slower, 0.166-0.176 -> 0.176-0.179
 *   and 0.227-0.233 -> 0.231-0.250 at 2 threads, 0.297-0.307 ->
 *   0.306-0.316 and 0.415-0.417 -> 0.426-0.447 at 1: the refill costs
 *   more than the 0.007-0.012 ms Mul. */
static int pw_fold_ok(const nn_graph *g, const nn_plan *p, int r, int j)
{
    const nn_node *c = &g->n[g->order[r]];
    int K, N;
    long M;
    if (j != 0 || c->op != NN_OP_CONV2D || !pw_ok(g, c, &K, &N, &M) || M < 2 ||
        in_fusion(p, r))
        return 0;
    const size_t refill = nn_pw_packed_len(K, N) / (size_t)(K + 1) * K;
    return refill * 4 < (size_t)M * (size_t)K;
}

/* Tensor t gets no arena bytes: the fused step that would write it never
 * does. */
static void no_bytes(nn_tensor *t)
{
    t->store = NN_STORE_NONE;
    t->first = t->last = -1;
}

/* The arena root of tensor t is written from step s on (a fused group
 * writes its last step's output at its first step). */
static void written_from(nn_graph *g, int t, int s)
{
    nn_tensor *r = &g->t[root_of(g, t)];
    if (r->store == NN_STORE_ARENA && r->first > s)
        r->first = s;
}

/* Squeeze-excite gates folded into their readers: a Mul x * gate
 * ([1,1,1,C]) whose output is read only as the input of
 * - depthwise convolutions (multiplier 1) that run on own kernels (dwpw
 *   pairs, strip pairs whose depthwise takes the own kernel:
 *   nn_dw_preferred; forcing it onto XNNPACK's shapes measured slower
 *   than the Mul it saves), or
 * - 1x1 convolutions on the own kernel (pw_fold_ok; forced there even
 *   where nn_pw_preferred leaves the shape to XNNPACK), unless
 *   SPATIA_NN_NO_PW_FOLD is set,
 * is skipped; those kernels read x with the filter w * gate[c]
 * (dw(x * g) = dw'(x): padding stays zero, the bias is unchanged;
 * conv(x * g) = conv'(x) with row k of the 1x1 weights times g[k]; the
 * products round differently, within float rounding), filled per run.
 * x and the gate then live until the last reader runs; the Mul output
 * gets no bytes. Sets p->fold. */
static void plan_folds(nn_graph *g, nn_plan *p)
{
    const int pw_on = !getenv("SPATIA_NN_NO_PW_FOLD");
    for (int s = 0; s < g->norder; s++) {
        const nn_node *m = &g->n[g->order[s]];
        int xi, gi, readers = 0, ok = 1, last = s;
        if (!gate_mul(g, m, &xi, &gi))
            continue;
        nn_tensor *u = &g->t[m->out[0]];
        if (u->store != NN_STORE_ARENA || pinned(g, m->out[0]) || !u->nuse ||
            !nn_dw_available())
            continue;
        for (int r = s + 1; r < g->norder && ok; r++) {
            const nn_node *d = &g->n[g->order[r]];
            for (int j = 0; j < d->nin && ok; j++) {
                if (d->in[j] != m->out[0])
                    continue;
                readers++;
                if (pw_on && pw_fold_ok(g, p, r, j)) {
                    last = r; /* runs at its own step */
                    continue;
                }
                const nn_shape *ws = &g->t[d->in[1]].shape;
                ok = j == 0 && d->op == NN_OP_DWCONV2D && ws->d[3] == 1 &&
                     (p->dwpw[r] ||
                      (p->strip_rows[r] &&
                       nn_dw_preferred(ws->d[2], ws->d[0], ws->d[1],
                                       d->a.stride[0], d->a.stride[1], 0)));
                last = r + 1; /* the pair runs at its second step */
            }
        }
        if (!ok || readers != u->nuse)
            continue;
        p->fold[s] = -1;
        for (int r = s + 1; r < g->norder; r++)
            if (g->n[g->order[r]].in[0] == m->out[0])
                p->fold[r] = s + 1;
        const int keep[2] = {xi, gi};
        for (int k = 0; k < 2; k++) {
            nn_tensor *t = &g->t[root_of(g, keep[k])];
            if (t->store == NN_STORE_ARENA && t->last < last)
                t->last = last;
        }
        no_bytes(u);
    }
}

/* Assigns storage classes, lifetimes and arena offsets. */
static int plan_memory(nn_graph *g, nn_plan *p, int views)
{
    int rc = SPATIA_NOMEM;
    int *roots = NULL, nroots = 0;
    placed *pl = NULL, *tmp = NULL;
    unsigned char *lab = NULL; /* owner of each arena page (parts > 1) */
    const int end = g->norder;

    for (int i = 0; i < g->nt; i++) {
        nn_tensor *t = &g->t[i];
        t->first = t->last = -1;
        if (t->store == NN_STORE_CONST)
            continue;
        t->store = NN_STORE_NONE;
        t->alias = -1;
        t->offset = 0;
    }
    if (views)
        plan_views(g);
    /* Inputs keep their bytes for the whole run: the caller fills them
     * once and may run again. */
    for (int i = 0; i < g->ninputs; i++) {
        nn_tensor *t = &g->t[g->inputs[i].tensor];
        t->store = NN_STORE_ARENA;
        t->first = 0;
        t->last = end;
    }
    for (int s = 0; s < g->norder; s++) {
        const nn_node *n = &g->n[g->order[s]];
        for (int k = 0; k < n->nout; k++) {
            nn_tensor *t = &g->t[n->out[k]];
            if (t->store == NN_STORE_VIEW)
                continue; /* already bound to its concat */
            if (k == 0 && is_alias_op(n->op) &&
                g->t[n->in[0]].store != NN_STORE_CONST &&
                g->t[n->in[0]].store != NN_STORE_VIEW) {
                t->store = NN_STORE_ALIAS;
                t->alias = n->in[0];
            } else {
                t->store = NN_STORE_ARENA;
            }
        }
    }
    /* lifetimes on roots */
    for (int s = 0; s < g->norder; s++) {
        const nn_node *n = &g->n[g->order[s]];
        for (int j = 0; j < n->nin; j++) {
            nn_tensor *r = &g->t[root_of(g, n->in[j])];
            if (r->store != NN_STORE_ARENA)
                continue;
            if (r->last < s)
                r->last = s;
            if (r->first < 0 || r->first > s)
                r->first = s;
        }
        for (int k = 0; k < n->nout; k++) {
            nn_tensor *r = &g->t[root_of(g, n->out[k])];
            if (r->store != NN_STORE_ARENA)
                continue;
            if (r->first < 0 || r->first > s)
                r->first = s;
            if (r->last < s)
                r->last = s;
        }
    }
    for (int i = 0; i < g->noutputs; i++) {
        nn_tensor *r = &g->t[root_of(g, g->outputs[i].tensor)];
        if (r->store == NN_STORE_ARENA) {
            if (r->first < 0)
                r->first = 0;
            r->last = end;
        }
    }
    /* Strip pairs run at the second step: the depthwise input must live
     * until then (the 1x1 output, born there, must not overlap it). */
    if (views) {
        p->strip_rows = calloc((size_t)end + 1, sizeof *p->strip_rows);
        if (!p->strip_rows)
            goto out;
        p->expand_rows = calloc((size_t)end + 1, sizeof *p->expand_rows);
        if (!p->expand_rows)
            goto out;
        p->dwpw = calloc((size_t)end + 1, 1);
        if (!p->dwpw)
            goto out;
        for (int s = 0; s + 1 < end; s++) {
            if (!(p->dwpw[s] = (unsigned char)dwpw_pair(g, s)) &&
                !(p->strip_rows[s] = strip_rows(g, p, s)) &&
                !(p->expand_rows[s] = expand_rows(g, p, s)))
                continue;
            const nn_node *d = &g->n[g->order[s]];
            nn_tensor *r = &g->t[root_of(g, d->in[0])];
            if (r->store == NN_STORE_ARENA && r->last < s + 1)
                r->last = s + 1;
            if (p->dwpw[s]) /* the fused kernel never writes it */
                no_bytes(&g->t[d->out[0]]);
            s++; /* a step is in one pair at most */
        }
        /* strip pairs that also run the residual Add after them: the 1x1
         * output gets no bytes, the Add output is written at step s + 1 */
        p->strip_ep = calloc((size_t)end + 1, 1);
        if (!p->strip_ep)
            goto out;
        for (int s = 0; s + 2 < end; s++) {
            if (!p->strip_rows[s] || !strip_ep_ok(g, p, s))
                continue;
            p->strip_ep[s] = 1;
            no_bytes(&g->t[g->n[g->order[s + 1]].out[0]]);
            written_from(g, g->n[g->order[s + 2]].out[0], s + 1);
        }
        /* expand pairs with their tail: the depthwise output (and the
         * tail's, when an Add follows) gets no bytes; the last output is
         * written at step s + 1 */
        p->expand_tail = calloc((size_t)end + 1, 1);
        if (!p->expand_tail)
            goto out;
        for (int s = 0; s + 2 < end; s++) {
            int kind;
            if (!p->expand_rows[s] || !(kind = expand_tail_kind(g, p, s)))
                continue;
            p->expand_tail[s] = (unsigned char)kind;
            const int tail = g->n[g->order[s + 2]].out[0];
            no_bytes(&g->t[g->n[g->order[s + 1]].out[0]]);
            if (kind == 2)
                no_bytes(&g->t[tail]);
            written_from(g, kind == 2 ? g->n[g->order[s + 3]].out[0] : tail,
                         s + 1);
        }
        /* own stem convolution + the HardSwish that alone reads it: the
         * HardSwish output is written at step s */
        p->stem_hs = calloc((size_t)end + 1, 1);
        if (!p->stem_hs)
            goto out;
        for (int s = 0; s + 1 < end; s++) {
            const nn_node *c = &g->n[g->order[s]], *h = &g->n[g->order[s + 1]];
            if (in_fusion(p, s) || !stem_ok(g, c) || h->op != NN_OP_HARDSWISH ||
                h->in[0] != c->out[0] || g->t[c->out[0]].nuse != 1 ||
                pinned(g, c->out[0]) || g->t[c->out[0]].store != NN_STORE_ARENA)
                continue;
            p->stem_hs[s] = 1;
            written_from(g, h->out[0], s);
        }
        p->fold = calloc((size_t)end + 1, sizeof *p->fold);
        if (!p->fold)
            goto out;
        plan_folds(g, p);
        /* a dwpw pair run inside the strips of an earlier strip pair over
         * the same input (co_dwpw_ok): its output is written from the
         * strip step on */
        p->co_dwpw = calloc((size_t)end + 1, sizeof *p->co_dwpw);
        if (!p->co_dwpw)
            goto out;
        for (int s = 0; s + 1 < end && !getenv("SPATIA_NN_NO_CO_DWPW"); s++) {
            if (!p->strip_rows[s])
                continue;
            for (int w = s + 2; w + 1 < end; w++) {
                if (!p->dwpw[w] || !co_dwpw_ok(g, p, s, w))
                    continue;
                p->co_dwpw[s] = w + 1;
                written_from(g, g->n[g->order[w + 1]].out[0], s + 1);
                break;
            }
        }
        /* a strip pair whose 1x1 output is read only by a Sigmoid: the
         * Sigmoid output is written at step s + 1 */
        p->strip_sig = calloc((size_t)end + 1, 1);
        if (!p->strip_sig)
            goto out;
        for (int s = 0; s + 2 < end; s++) {
            if (!(p->strip_sig[s] = (unsigned char)strip_sigmoid(g, p, s)))
                continue;
            written_from(g, g->n[g->order[s + 2]].out[0], s + 1);
        }
        /* own depthwise convolution + the HardSwish that alone reads it:
         * the HardSwish output is written at step s; the depthwise output
         * gets no bytes */
        p->dw_hs = calloc((size_t)end + 1, 1);
        if (!p->dw_hs)
            goto out;
        for (int s = 0; s + 1 < end; s++) {
            if (in_fusion(p, s) || in_fusion(p, s + 1) || p->fold[s] ||
                p->fold[s + 1] || !dw_hs_pair(g, s))
                continue;
            p->dw_hs[s] = 1;
            no_bytes(&g->t[g->n[g->order[s]].out[0]]);
            written_from(g, g->n[g->order[s + 1]].out[0], s);
            s++;
        }
        /* 1x1 convolution + HardSwish / residual Add in the kernel's
         * store (pw_ep_kind): the second step's output is written at step
         * s; the convolution output gets no bytes; the residual is read
         * at step s, within its lifetime (it is read at s + 1). */
        p->pw_ep = calloc((size_t)end + 1, 1);
        if (!p->pw_ep)
            goto out;
        const int pw_ep_on = !getenv("SPATIA_NN_NO_PW_EP");
        for (int s = 0; pw_ep_on && s + 1 < end; s++) {
            int res = -1, kind;
            /* a depthwise fold reader is a pair's first step; a 1x1
             * one (a Conv2D) takes an epilogue */
            if (in_fusion(p, s) || p->fold[s] < 0 || p->fold[s + 1] ||
                (p->fold[s] > 0 && g->n[g->order[s]].op != NN_OP_CONV2D) ||
                !(kind = pw_ep_kind(g, p, s, &res)))
                continue;
            p->pw_ep[s] = (unsigned char)kind;
            no_bytes(&g->t[g->n[g->order[s]].out[0]]);
            written_from(g, g->n[g->order[s + 1]].out[0], s);
            s++;
        }
    }

    /* In place: an elementwise op may write over an input of its own size
     * that nothing reads afterwards (keeps the working set small). */
    for (int s = 0; s < g->norder; s++) {
        const nn_node *n = &g->n[g->order[s]];
        nn_tensor *o = &g->t[n->out[0]];
        if (!is_elementwise(n->op) || o->store != NN_STORE_ARENA ||
            (s > 1 && p->strip_ep && p->strip_ep[s - 2]) ||
            (s > 2 && p->expand_tail && p->expand_tail[s - 3] == 2))
            continue; /* (strips read the residual rows a strip ahead) */
        for (int j = 0; j < n->nin; j++) {
            nn_tensor *x = &g->t[n->in[j]];
            nn_tensor *r = &g->t[root_of(g, n->in[j])];
            if (r->store != NN_STORE_ARENA || r->last != s || r->is_input ||
                nn_dtype_size(x->dtype) != nn_dtype_size(o->dtype) ||
                nn_shape_elems(&x->shape) != nn_shape_elems(&o->shape))
                continue;
            o->store = NN_STORE_ALIAS;
            o->alias = n->in[j];
            if (o->last > r->last)
                r->last = o->last;
            break;
        }
    }

    roots = malloc(((size_t)g->nt + 1) * sizeof *roots);
    pl = malloc(((size_t)g->nt + 1) * sizeof *pl);
    tmp = malloc(((size_t)g->nt + 1) * sizeof *tmp);
    if (!roots || !pl || !tmp)
        goto out;
    for (int i = 0; i < g->nt; i++)
        if (g->t[i].store == NN_STORE_ARENA && g->t[i].first >= 0)
            roots[nroots++] = i;
    qsort_r(roots, (size_t)nroots, sizeof *roots, cmp_size_desc, g);

    size_t high = 0;
    const size_t unit = arena_unit(p);
    const int parts = unit > NN_ALIGN ? p->threads : 1;
    size_t total = 0;
    for (int r = 0; r < nroots; r++)
        total += round_page(nn_tensor_bytes(&g->t[roots[r]]) + 1, unit);
    if (parts > 1 && !(lab = malloc(total / unit + 1)))
        goto out;
    if (lab)
        memset(lab, LAB_FREE, total / unit + 1);
    int npl = 0;
    for (int r = 0; r < nroots; r++) {
        nn_tensor *t = &g->t[roots[r]];
        size_t size =
            round_page(nn_tensor_bytes(t) ? nn_tensor_bytes(t) : 1, unit);
        int nt = 0;
        for (int j = 0; j < npl; j++)
            if (pl[j].first <= t->last && t->first <= pl[j].last)
                tmp[nt++] = pl[j];
        qsort(tmp, (size_t)nt, sizeof *tmp, cmp_off);
        size_t best = (size_t)-1;
        if (!lab) {
            /* best fit: the smallest gap that holds `size` */
            size_t best_gap = (size_t)-1, cur = 0;
            for (int j = 0; j < nt; j++) {
                if (tmp[j].off > cur) {
                    size_t gap = tmp[j].off - cur;
                    if (gap >= size && gap < best_gap) {
                        best = cur;
                        best_gap = gap;
                    }
                }
                if (tmp[j].off + tmp[j].size > cur)
                    cur = tmp[j].off + tmp[j].size;
            }
            if (best == (size_t)-1)
                best = cur;
        } else {
            best = place_owned(pl, npl, tmp, nt, lab, size, unit, parts);
            label_pages(lab, best, size, unit, parts);
        }
        t->offset = best;
        pl[npl].off = best;
        pl[npl].size = size;
        pl[npl].first = t->first;
        pl[npl].last = t->last;
        npl++;
        if (best + size > high)
            high = best + size;
    }
    p->arena_bytes = high;
    p->arena_owned = lab != NULL;
    p->arena = arena_alloc(high);
    if (!p->arena)
        goto out;
    memset(p->arena, 0, high);
    rc = SPATIA_OK;
out:
    free(roots);
    free(pl);
    free(tmp);
    free(lab);
    return rc;
}

/* --- XNNPACK operators ---------------------------------------------------- */

static void shape_sz(const nn_shape *s, size_t *out)
{
    for (int i = 0; i < s->rank; i++)
        out[i] = (size_t)s->d[i];
}

/* XNNPACK's setup function of a binary float op (all share one signature). */
typedef enum xnn_status (*binary_setup_fn)(xnn_operator_t, size_t,
                                           const size_t *, size_t,
                                           const size_t *, const float *,
                                           const float *, float *,
                                           pthreadpool_t);

static binary_setup_fn binary_setup(nn_op op)
{
    switch (op) {
    case NN_OP_ADD:
        return xnn_setup_add_nd_f32;
    case NN_OP_SUB:
        return xnn_setup_subtract_nd_f32;
    case NN_OP_MUL:
        return xnn_setup_multiply_nd_f32;
    case NN_OP_DIV:
        return xnn_setup_divide_nd_f32;
    case NN_OP_MAXIMUM:
        return xnn_setup_maximum_nd_f32;
    default:
        return xnn_setup_minimum_nd_f32;
    }
}

/* TF's HWIO filter w (k = kh * kw * ci rows of co) repacked as XNNPACK's
 * OHWI; NULL when out of memory. Free with free(). */
static float *ohwi_pack(const float *w, size_t k, int co)
{
    float *ohwi = malloc(k * (size_t)co * sizeof *ohwi);
    if (ohwi)
        for (size_t i = 0; i < k; i++)
            for (int o = 0; o < co; o++)
                ohwi[(size_t)o * k + i] = w[i * (size_t)co + o];
    return ohwi;
}

/* Creates the XNNPACK operator of step st, if the node has one. Returns
 * SPATIA_OK (st->op may stay NULL: portable) or SPATIA_NOMEM. */
static int make_xnn(nn_graph *g, nn_plan *p, nn_step *st)
{
    const nn_node *n = &g->n[st->node];
    const nn_tensor *x = &g->t[n->in[0]], *y = &g->t[n->out[0]];
    const float lo = n->a.has_act ? n->a.act_min : -INFINITY;
    const float hi = n->a.has_act ? n->a.act_max : INFINITY;
    enum xnn_status s = xnn_status_unsupported_parameter;
    xnn_operator_t op = NULL;
    pthreadpool_t pool = p->pool;

    if (n->a.has_act && !(lo < hi))
        return SPATIA_OK;
    for (int j = 0; j < n->nin; j++)
        if (g->t[n->in[j]].store == NN_STORE_VIEW && !is_unary_nc(n->op))
            return SPATIA_OK;

    switch (n->op) {
    case NN_OP_CONV2D:
    case NN_OP_DWCONV2D: {
        const nn_shape *ws = &g->t[n->in[1]].shape;
        const int kh = ws->d[0], kw = ws->d[1], ci = ws->d[2];
        const int co = y->shape.d[3];
        const float *w = g->t[n->in[1]].data;
        const float *b = n->nin > 2 ? g->t[n->in[2]].data : NULL;
        size_t ostride = (size_t)co;
        if (y->store == NN_STORE_VIEW)
            ostride = (size_t)y->row_stride;
        if (n->op == NN_OP_DWCONV2D) {
            s = xnn_create_convolution2d_nhwc_f32(
                (uint32_t)n->a.pad[0], (uint32_t)n->a.pad[3],
                (uint32_t)n->a.pad[1], (uint32_t)n->a.pad[2], (uint32_t)kh,
                (uint32_t)kw, (uint32_t)n->a.stride[0],
                (uint32_t)n->a.stride[1], (uint32_t)n->a.dilation[0],
                (uint32_t)n->a.dilation[1], (uint32_t)ci, 1, (size_t)ws->d[3],
                (size_t)ci, ostride, w, b, lo, hi,
                XNN_FLAG_DEPTHWISE_CONVOLUTION, &op);
        } else {
            float *ohwi = ohwi_pack(w, (size_t)kh * kw * ci, co);
            if (!ohwi)
                return SPATIA_NOMEM;
            s = xnn_create_convolution2d_nhwc_f32(
                (uint32_t)n->a.pad[0], (uint32_t)n->a.pad[3],
                (uint32_t)n->a.pad[1], (uint32_t)n->a.pad[2], (uint32_t)kh,
                (uint32_t)kw, (uint32_t)n->a.stride[0],
                (uint32_t)n->a.stride[1], (uint32_t)n->a.dilation[0],
                (uint32_t)n->a.dilation[1], 1, (size_t)ci, (size_t)co,
                (size_t)ci, ostride, ohwi, b, lo, hi, 0, &op);
            free(ohwi);
        }
        if (s == xnn_status_success)
            s = xnn_setup_convolution2d_nhwc_f32(
                op, (size_t)x->shape.d[0], (size_t)x->shape.d[1],
                (size_t)x->shape.d[2], st->in[0], st->out[0], pool);
        break;
    }
    case NN_OP_ADD:
    case NN_OP_SUB:
    case NN_OP_MUL:
    case NN_OP_DIV:
    case NN_OP_MAXIMUM:
    case NN_OP_MINIMUM: {
        const nn_tensor *x2 = &g->t[n->in[1]];
        size_t s1[NN_MAX_RANK], s2[NN_MAX_RANK];
        if (x->dtype != NN_F32 || y->store == NN_STORE_VIEW)
            return SPATIA_OK;
        if ((n->op == NN_OP_MAXIMUM || n->op == NN_OP_MINIMUM) && n->a.has_act)
            return SPATIA_OK;
        shape_sz(&x->shape, s1);
        shape_sz(&x2->shape, s2);
        switch (n->op) { /* Maximum / Minimum take no clamp */
        case NN_OP_ADD:
            s = xnn_create_add_nd_f32(lo, hi, 0, &op);
            break;
        case NN_OP_SUB:
            s = xnn_create_subtract_nd_f32(lo, hi, 0, &op);
            break;
        case NN_OP_MUL:
            s = xnn_create_multiply_nd_f32(lo, hi, 0, &op);
            break;
        case NN_OP_DIV:
            s = xnn_create_divide_nd_f32(lo, hi, 0, &op);
            break;
        case NN_OP_MAXIMUM:
            s = xnn_create_maximum_nd_f32(0, &op);
            break;
        default:
            s = xnn_create_minimum_nd_f32(0, &op);
            break;
        }
        if (!s)
            s = binary_setup(n->op)(op, (size_t)x->shape.rank, s1,
                                    (size_t)x2->shape.rank, s2, st->in[0],
                                    st->in[1], st->out[0], pool);
        break;
    }
    case NN_OP_RELU:
    case NN_OP_RELU6:
    case NN_OP_CLAMP:
    case NN_OP_SIGMOID:
    case NN_OP_HARDSWISH: {
        size_t c = x->shape.rank ? (size_t)x->shape.d[x->shape.rank - 1] : 1;
        size_t cnt = nn_shape_elems(&x->shape);
        size_t ostride = c, istride = c;
        if (c == 0 || cnt == 0)
            return SPATIA_OK;
        if (x->store == NN_STORE_VIEW)
            istride = (size_t)x->row_stride;
        /* XNNPACK's hard-swish has an exact 1/6; a model whose constant
         * was rounded (float16) keeps it on the portable kernel. */
        if (n->op == NN_OP_HARDSWISH && n->a.hs_scale != 1.0f / 6.0f)
            return SPATIA_OK;
        if (y->store == NN_STORE_VIEW)
            ostride = (size_t)y->row_stride;
        if (n->op == NN_OP_SIGMOID)
            s = xnn_create_sigmoid_nc_f32(c, istride, ostride, 0, &op);
        else if (n->op == NN_OP_HARDSWISH)
            s = xnn_create_hardswish_nc_f32(c, istride, ostride, 0, &op);
        else
            s = xnn_create_clamp_nc_f32(
                c, istride, ostride, n->op == NN_OP_CLAMP ? n->a.act_min : 0.0f,
                n->op == NN_OP_RELU6   ? 6.0f
                : n->op == NN_OP_CLAMP ? n->a.act_max
                                       : INFINITY,
                0, &op);
        if (s)
            break;
        if (n->op == NN_OP_SIGMOID)
            s = xnn_setup_sigmoid_nc_f32(op, cnt / c, st->in[0], st->out[0],
                                         pool);
        else if (n->op == NN_OP_HARDSWISH)
            s = xnn_setup_hardswish_nc_f32(op, cnt / c, st->in[0], st->out[0],
                                           pool);
        else
            s = xnn_setup_clamp_nc_f32(op, cnt / c, st->in[0], st->out[0],
                                       pool);
        break;
    }
    case NN_OP_MEAN:
        /* The portable kernel: XNNPACK's global average pooling runs a
         * batch-1 tensor on one thread, which then reads the rows the
         * other threads wrote (kernels.c, global_mean). */
        return SPATIA_OK;
    case NN_OP_MAXPOOL: {
        size_t c = (size_t)x->shape.d[3];
        size_t ostride = pixel_stride(y);
        if (n->a.ksize[0] * n->a.ksize[1] < 2)
            return SPATIA_OK;
        s = xnn_create_max_pooling2d_nhwc_f32(
            (uint32_t)n->a.pad[0], (uint32_t)n->a.pad[3], (uint32_t)n->a.pad[1],
            (uint32_t)n->a.pad[2], (uint32_t)n->a.ksize[0],
            (uint32_t)n->a.ksize[1], (uint32_t)n->a.stride[0],
            (uint32_t)n->a.stride[1], 1, 1, c, c, ostride, lo, hi, 0, &op);
        if (!s)
            s = xnn_setup_max_pooling2d_nhwc_f32(
                op, (size_t)x->shape.d[0], (size_t)x->shape.d[1],
                (size_t)x->shape.d[2], st->in[0], st->out[0], pool);
        break;
    }
    case NN_OP_RESIZE_BILINEAR: {
        size_t c = (size_t)x->shape.d[3];
        size_t ostride = pixel_stride(y);
        uint32_t flags = n->a.align_corners ? XNN_FLAG_ALIGN_CORNERS
                         : n->a.half_pixel  ? 0
                                            : XNN_FLAG_TENSORFLOW_LEGACY_MODE;
        s = xnn_create_resize_bilinear2d_nhwc_f32(c, c, ostride, flags, &op);
        if (!s)
            s = xnn_setup_resize_bilinear2d_nhwc_f32(
                op, (size_t)x->shape.d[0], (size_t)x->shape.d[1],
                (size_t)x->shape.d[2], (size_t)y->shape.d[1],
                (size_t)y->shape.d[2], st->in[0], st->out[0], pool);
        break;
    }
    case NN_OP_PAD: {
        size_t sh[NN_MAX_RANK], pre[NN_MAX_RANK], post[NN_MAX_RANK];
        uint32_t bits;
        if (x->dtype == NN_BOOL || y->store == NN_STORE_VIEW ||
            x->shape.rank < 1)
            return SPATIA_OK;
        if (x->dtype == NN_F32) {
            float f = (float)n->a.pad_value;
            memcpy(&bits, &f, 4);
        } else {
            int32_t v = (int32_t)n->a.pad_value;
            memcpy(&bits, &v, 4);
        }
        shape_sz(&x->shape, sh);
        for (int d = 0; d < x->shape.rank; d++) {
            pre[d] = (size_t)n->a.padv[d][0];
            post[d] = (size_t)n->a.padv[d][1];
        }
        s = xnn_create_constant_pad_nd_x32(&bits, 0, &op);
        if (!s)
            s = xnn_setup_constant_pad_nd_x32(op, (size_t)x->shape.rank, sh,
                                              pre, post, st->in[0], st->out[0],
                                              pool);
        break;
    }
    default:
        return SPATIA_OK;
    }
    if (s == xnn_status_out_of_memory) {
        xnn_delete_operator(op);
        return SPATIA_NOMEM;
    }
    if (s != xnn_status_success) {
        /* parameters XNNPACK does not take: the portable kernel runs it */
        xnn_delete_operator(op);
        return SPATIA_OK;
    }
    st->op = op;
    p->xnn_ops++;
    return SPATIA_OK;
}

/* The window fields nn_dw and nn_dwpw share (dwconv.h, dwpw.h), from the
 * depthwise node n: input and output sizes, window, strides, dilations,
 * padding before, clamp. */
#define DW_WINDOW_FILL(p, g, n)                                                \
    do {                                                                       \
        const nn_shape *xs_ = &(g)->t[(n)->in[0]].shape;                       \
        const nn_shape *ys_ = &(g)->t[(n)->out[0]].shape;                      \
        const nn_shape *ws_ = &(g)->t[(n)->in[1]].shape;                       \
        (p)->H = xs_->d[1];                                                    \
        (p)->W = xs_->d[2];                                                    \
        (p)->C = xs_->d[3];                                                    \
        (p)->OH = ys_->d[1];                                                   \
        (p)->OW = ys_->d[2];                                                   \
        (p)->kh = ws_->d[0];                                                   \
        (p)->kw = ws_->d[1];                                                   \
        (p)->sh = (n)->a.stride[0];                                            \
        (p)->sw = (n)->a.stride[1];                                            \
        (p)->dh = (n)->a.dilation[0];                                          \
        (p)->dw = (n)->a.dilation[1];                                          \
        (p)->pad_top = (n)->a.pad[0];                                          \
        (p)->pad_left = (n)->a.pad[2];                                         \
        (p)->lo = (n)->a.has_act ? (n)->a.act_min : -INFINITY;                 \
        (p)->hi = (n)->a.has_act ? (n)->a.act_max : INFINITY;                  \
    } while (0)

/* Parameters of the own depthwise kernel for node n, writing pixels
 * out_stride floats apart; NULL when the kernel does not take the node
 * (no AVX-512F, channel multiplier > 1, batch > 1, strided input, a shape
 * where XNNPACK measured as fast: nn_dw_preferred) or on allocation
 * failure (*nomem set). */
static nn_dw *own_dw(const nn_graph *g, const nn_node *n, size_t out_stride,
                     int cached, int *nomem)
{
    if (!own_dw_ok(g, n, cached))
        return NULL;
    nn_dw *d = calloc(1, sizeof *d);
    if (!d) {
        *nomem = 1;
        return NULL;
    }
    DW_WINDOW_FILL(d, g, n);
    d->w = g->t[n->in[1]].data;
    d->bias = n->nin > 2 ? g->t[n->in[2]].data : NULL;
    d->out_stride = out_stride;
    d->tile = nn_dw_tile(d);
    return d;
}

/* Releases an own 1x1 kernel made by own_pw (NULL: nothing). */
static void free_pw(nn_pw *pw)
{
    nn_pw_free(pw);
    free(pw);
}

/* The own 1x1 convolution kernel for node n, writing pixels out_stride
 * floats apart, weights repacked; NULL when the kernel does not take the
 * node (pw_ok; unless `force`, a shape where XNNPACK measured as fast:
 * nn_pw_preferred) or on allocation failure (*nomem set). */
static nn_pw *own_pw(const nn_graph *g, const nn_node *n, size_t out_stride,
                     int force, int *nomem)
{
    int K, N;
    long M;
    if (!pw_ok(g, n, &K, &N, &M) || (!force && !nn_pw_preferred(K, N, M)))
        return NULL;
    nn_pw *pw = calloc(1, sizeof *pw);
    if (!pw || nn_pw_init(pw, K, N, M, g->t[n->in[1]].data,
                          n->nin > 2 ? g->t[n->in[2]].data : NULL,
                          n->a.has_act ? n->a.act_min : -INFINITY,
                          n->a.has_act ? n->a.act_max : INFINITY, out_stride)) {
        free(pw);
        *nomem = 1;
        return NULL;
    }
    return pw;
}

/* Parameters of the own stem kernel for node n (stem_ok), writing pixels
 * out_stride floats apart; NULL on allocation failure. */
static nn_stem *own_stem(const nn_graph *g, const nn_node *n, size_t out_stride)
{
    const nn_tensor *x = &g->t[n->in[0]], *y = &g->t[n->out[0]];
    nn_stem *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->H = x->shape.d[1];
    st->W = x->shape.d[2];
    st->OH = y->shape.d[1];
    st->OW = y->shape.d[2];
    st->CO = y->shape.d[3];
    st->sh = n->a.stride[0];
    st->sw = n->a.stride[1];
    st->dh = n->a.dilation[0];
    st->dw = n->a.dilation[1];
    st->pad_top = n->a.pad[0];
    st->pad_left = n->a.pad[2];
    st->lo = n->a.has_act ? n->a.act_min : -INFINITY;
    st->hi = n->a.has_act ? n->a.act_max : INFINITY;
    st->w = g->t[n->in[1]].data;
    st->bias = n->nin > 2 ? g->t[n->in[2]].data : NULL;
    st->out_stride = out_stride;
    return st;
}

/* The own bilinear resize for step s (node n) on an AVX-512F CPU, batch 1,
 * contiguous input; when the next step is a ReLU that alone reads the
 * output and writes the same bytes (in place or the same concat slice),
 * the ReLU is applied in the resize's store and that step is skipped.
 * Returns 0 (st->rs set or not taken) or SPATIA_NOMEM. */
static int make_own_resize(nn_graph *g, nn_plan *p, int s)
{
    nn_step *st = &p->steps[s];
    const nn_node *n = &g->n[st->node];
    const nn_tensor *x = &g->t[n->in[0]], *y = &g->t[n->out[0]];
    if (n->op != NN_OP_RESIZE_BILINEAR || x->dtype != NN_F32 ||
        x->shape.rank != 4 || x->shape.d[0] != 1 || x->store == NN_STORE_VIEW ||
        !nn_rs_available())
        return SPATIA_OK;
    nn_rs *r = calloc(1, sizeof *r);
    if (!r || nn_rs_init(r, x->shape.d[1], x->shape.d[2], x->shape.d[3],
                         y->shape.d[1], y->shape.d[2], n->a.align_corners,
                         n->a.half_pixel, pixel_stride(y))) {
        nn_rs_free(r);
        free(r);
        return SPATIA_NOMEM;
    }
    if (s + 1 < p->nsteps) {
        nn_step *nx = &p->steps[s + 1];
        const nn_node *rl = &g->n[nx->node];
        if (rl->op == NN_OP_RELU && rl->in[0] == n->out[0] && y->nuse == 1 &&
            !pinned(g, n->out[0]) && nx->out[0] == st->out[0]) {
            r->relu = 1;
            nx->skip = 1;
        }
    }
    st->rs = r;
    return SPATIA_OK;
}

/* Strip groups: with a thread pool, strips are dealt out in `groups`
 * contiguous ranges, one per thread, each range run on one core with
 * single-threaded operators and its own buffer (the intermediate then
 * stays in that core's L2 and no operator waits for the other core).
 * Needs groups buffers of buf floats inside the intermediate's `avail`
 * floats; else one group run with the pool. */
static int strip_groups(const nn_plan *p, int n, size_t buf, size_t avail)
{
    const int g = p->pool ? p->threads : 1;
    if (g < 2 || g > NN_MAX_STRIP_GROUPS || n < 2 * g ||
        (size_t)g * buf > avail)
        return 1;
    return g;
}

/* The first strip of group k of n strips in `groups` contiguous ranges
 * (k = groups: n). Every user of the split takes it from here. */
static int group_first(int k, int n, int groups)
{
    return (int)((long)k * n / groups);
}

/* The group of strip i among n strips in `groups` contiguous ranges. */
static int group_of(int i, int n, int groups)
{
    int k = 0;
    while (k + 1 < groups && i >= group_first(k + 1, n, groups))
        k++;
    return k;
}

/* Size of one strip buffer in floats, rounded to a multiple of 1024 (a
 * 4 KiB page). */
static size_t strip_buf(size_t floats)
{
    return (floats + 1023) & ~(size_t)1023;
}

/* The buffers of `groups` (> 1) strip groups, `buf` floats each: memory
 * of their own, not bytes of the arena. Group k always runs on thread k, so
 * its buffer is only ever touched by that core; arena bytes are also
 * written by other threads for other tensors, and writing a line another
 * core holds costs a cross-core invalidation (on CPUs whose cores sit on
 * different L3 slices, an order of magnitude slower than a local write).
 * NULL when groups < 2 (the intermediate tensor's bytes are used) or out
 * of memory. Free with nn_free_aligned. */
static float *group_mem(int groups, size_t buf)
{
    if (groups < 2)
        return NULL;
    float *m = nn_alloc_aligned((size_t)groups * buf * sizeof(float));
    if (m)
        memset(m, 0, (size_t)groups * buf * sizeof(float));
    return m;
}

/* The input rows a strip reads: output rows [r0, r1) of a window eff
 * rows tall at stride sh, pad_top padding rows above an input of H rows,
 * read input rows [*first, *last) plus *top / *bot padding rows above /
 * below them (the image's padding at the first and last strip). Returns
 * 0 when the strip reads no input row. */
static int strip_window(int r0, int r1, int sh, int pad_top, int eff, int H,
                        int *top, int *bot, int *first, int *last)
{
    const int lo = r0 * sh - pad_top;
    const int hi = (r1 - 1) * sh - pad_top + eff; /* exclusive */
    *top = lo < 0 ? -lo : 0;
    *bot = hi > H ? hi - H : 0;
    *first = lo < 0 ? 0 : lo;
    *last = hi > H ? H : hi;
    return *last > *first;
}

/* What a strip builder made so far, released on failure. */
typedef struct strip_parts {
    xnn_operator_t *ops; /* 2 per strip, NULL where none */
    int nops;
    float *ohwi;
    nn_dw *own, *sdw;
    nn_pw *pw;
    long *pw_m;
    size_t *pw_off;
    size_t *carry;
    float *gmem;
} strip_parts;

static void strip_parts_free(strip_parts *sp)
{
    for (int i = 0; sp->ops && i < sp->nops; i++)
        if (sp->ops[i])
            xnn_delete_operator(sp->ops[i]);
    free(sp->ops);
    free(sp->ohwi);
    free(sp->own);
    free(sp->sdw);
    free_pw(sp->pw);
    free(sp->pw_m);
    free(sp->pw_off);
    free(sp->carry);
    nn_free_aligned(sp->gmem);
}

/* The own 1x1 kernel's per-strip pixel counts and offsets for n strips,
 * or (no own kernel) XNNPACK's OHWI filter of the 1x1 node c (ci -> co).
 * Returns 0 or -1 (out of memory). */
static int strip_pw_parts(strip_parts *sp, const nn_graph *g, const nn_node *c,
                          int n, int ci, int co)
{
    if (sp->pw) {
        sp->pw_m = calloc((size_t)n, sizeof *sp->pw_m);
        sp->pw_off = calloc((size_t)n, sizeof *sp->pw_off);
        return sp->pw_m && sp->pw_off ? 0 : -1;
    }
    sp->ohwi = ohwi_pack(g->t[c->in[1]].data, (size_t)ci, co);
    return sp->ohwi ? 0 : -1;
}

/* Creates the operators of a strip pair: step s (depthwise convolution)
 * and step s + 1 (1x1 convolution of its output only) run strip by strip
 * at step s + 1. Strip i computes output rows [r0, r1) of the depthwise
 * convolution into the first rows of its output buffer (so the working set
 * of a strip stays in cache), then the 1x1 convolution of those rows into
 * rows [r0, r1) of the final output. Each strip has its own operators with
 * fixed pointers; the depthwise one reads only the input rows the strip
 * needs, with the padding of the whole image at the first and last strip.
 * Arithmetic per output element is that of the unsplit operators.
 * Returns 0 (done), 1 (XNNPACK refused: plan the steps one by one) or
 * SPATIA_NOMEM. */
static int make_strips(nn_graph *g, nn_plan *p, int s)
{
    nn_step *sd = &p->steps[s], *sc = &p->steps[s + 1];
    const nn_node *d = &g->n[sd->node], *c = &g->n[sc->node];
    const nn_tensor *x = &g->t[d->in[0]], *t = &g->t[d->out[0]];
    const nn_tensor *y = &g->t[c->out[0]];
    const nn_shape *dws = &g->t[d->in[1]].shape, *cws = &g->t[c->in[1]].shape;
    const int H = x->shape.d[1], W = x->shape.d[2], C = x->shape.d[3];
    const int OH = t->shape.d[1], OW = t->shape.d[2], CT = t->shape.d[3];
    const int CO = y->shape.d[3], rows = p->strip_rows[s];
    const int kh = dws->d[0], kw = dws->d[1], sh = d->a.stride[0];
    const int eff = (kh - 1) * d->a.dilation[0] + 1;
    const size_t ystride = pixel_stride(y);
    const float dlo = d->a.has_act ? d->a.act_min : -INFINITY;
    const float dhi = d->a.has_act ? d->a.act_max : INFINITY;
    const float clo = c->a.has_act ? c->a.act_min : -INFINITY;
    const float chi = c->a.has_act ? c->a.act_max : INFINITY;
    const float *dw = g->t[d->in[1]].data;
    const float *db = d->nin > 2 ? g->t[d->in[2]].data : NULL;
    const float *cb = c->nin > 2 ? g->t[c->in[2]].data : NULL;
    const int n = (OH + rows - 1) / rows, ci = cws->d[2];
    enum xnn_status st = xnn_status_success;
    strip_parts sp = {0};
    int nomem = 0, rc = SPATIA_NOMEM;

    sp.nops = 2 * n;
    if (!(sp.ops = calloc((size_t)sp.nops, sizeof *sp.ops)))
        goto fail;
    const int ep = p->strip_ep && p->strip_ep[s];
    const nn_node *h = ep ? &g->n[p->steps[s + 2].node] : NULL;
    sp.own = own_dw(g, d, (size_t)CT, 0, &nomem);
    if (!nomem)
        sp.pw = own_pw(g, c, ystride, ep, &nomem);
    if (nomem || strip_pw_parts(&sp, g, c, n, ci, CO))
        goto fail;
    if (ep && !sp.pw) { /* strip_ep_ok checked that the kernel takes it */
        rc = SPATIA_INTERNAL;
        goto fail;
    }
    if (ep)
        sp.pw->ep = PW_EP_ADD;
    const size_t buf = strip_buf((size_t)rows * OW * CT);
    const int groups = strip_groups(p, n, buf, nn_shape_elems(&t->shape));
    pthreadpool_t pool = groups > 1 ? NULL : p->pool;
    sp.gmem = group_mem(groups, buf);
    if (groups > 1 && !sp.gmem)
        goto fail;
    for (int i = 0; i < n && st == xnn_status_success; i++) {
        float *bp = (sp.gmem ? sp.gmem : (float *)sd->out[0]) +
                    (size_t)group_of(i, n, groups) * buf;
        const int r0 = i * rows, r1 = r0 + rows < OH ? r0 + rows : OH;
        int top, bot, first, last;
        if (!strip_window(r0, r1, sh, d->a.pad[0], eff, H, &top, &bot, &first,
                          &last)) {
            st = xnn_status_unsupported_parameter;
            break;
        }
        if (sp.pw) { /* the own 1x1 kernel: rows [r0, r1) of the output */
            sp.pw_m[i] = (long)(r1 - r0) * OW;
            sp.pw_off[i] = (size_t)r0 * OW * ystride;
        }
        if (!sp.own) { /* XNNPACK depthwise operator of this strip */
            st = xnn_create_convolution2d_nhwc_f32(
                (uint32_t)top, (uint32_t)d->a.pad[3], (uint32_t)bot,
                (uint32_t)d->a.pad[2], (uint32_t)kh, (uint32_t)kw, (uint32_t)sh,
                (uint32_t)d->a.stride[1], (uint32_t)d->a.dilation[0],
                (uint32_t)d->a.dilation[1], (uint32_t)C, 1, (size_t)dws->d[3],
                (size_t)C, (size_t)CT, dw, db, dlo, dhi,
                XNN_FLAG_DEPTHWISE_CONVOLUTION, &sp.ops[2 * i]);
            if (st == xnn_status_success)
                st = xnn_setup_convolution2d_nhwc_f32(
                    sp.ops[2 * i], 1, (size_t)(last - first), (size_t)W,
                    (const float *)sd->in[0] + (size_t)first * W * C, bp, pool);
        }
        if (st == xnn_status_success && !sp.pw)
            st = xnn_create_convolution2d_nhwc_f32(
                0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, (size_t)ci, (size_t)CO,
                (size_t)ci, ystride, sp.ohwi, cb, clo, chi, 0,
                &sp.ops[2 * i + 1]);
        if (st == xnn_status_success && !sp.pw)
            st = xnn_setup_convolution2d_nhwc_f32(
                sp.ops[2 * i + 1], 1, (size_t)(r1 - r0), (size_t)OW, bp,
                (float *)sc->out[0] + (size_t)r0 * OW * ystride, pool);
    }
    if (st != xnn_status_success) {
        rc = st == xnn_status_out_of_memory ? SPATIA_NOMEM : 1;
        goto fail;
    }
    free(sp.ohwi);
    sd->skip = 1;
    if (ep) { /* the Add: its output, its residual; the step is skipped */
        sc->out[0] = p->steps[s + 2].out[0];
        sc->res = p->steps[s + 2].in[h->in[0] == c->out[0]];
        p->steps[s + 2].skip = 1;
    }
    sc->spw = sp.pw;
    sc->spw_m = sp.pw_m;
    sc->spw_off = sp.pw_off;
    sc->gmem = sp.gmem;
    sc->strips = sp.ops;
    sc->nstrips = n;
    sc->dw = sp.own;
    sc->strip_rows = rows;
    sc->strip_groups = groups;
    sc->strip_buf = buf;
    p->xnn_ops += 2;
    return 0;
fail:
    strip_parts_free(&sp);
    return rc;
}

/* The per-strip Sigmoid operators of the strip pair at s (strip_sigmoid,
 * made by make_strips): strip i's 1x1 output rows through the Sigmoid
 * into the same rows of its output, on the strips' pool (none when they
 * run in groups). Returns 0 (step s + 2 skipped), 1 (XNNPACK refused: the
 * Sigmoid runs as its own step) or SPATIA_NOMEM. */
static int make_strip_sig(nn_graph *g, nn_plan *p, int s)
{
    nn_step *sc = &p->steps[s + 1], *sz = &p->steps[s + 2];
    const nn_tensor *y = &g->t[g->n[sc->node].out[0]];
    const size_t C = (size_t)y->shape.d[3];
    const size_t OW = (size_t)y->shape.d[2], OH = (size_t)y->shape.d[1];
    const int n = sc->nstrips, rows = sc->strip_rows;
    pthreadpool_t pool = sc->strip_groups > 1 ? NULL : p->pool;
    enum xnn_status st = xnn_status_success;
    xnn_operator_t *ops = calloc((size_t)n, sizeof *ops);
    if (!ops)
        return SPATIA_NOMEM;
    for (int i = 0; i < n && st == xnn_status_success; i++) {
        const size_t r0 = (size_t)i * rows;
        const size_t r1 = r0 + (size_t)rows < OH ? r0 + (size_t)rows : OH;
        st = xnn_create_sigmoid_nc_f32(C, C, C, 0, &ops[i]);
        if (st == xnn_status_success)
            st = xnn_setup_sigmoid_nc_f32(
                ops[i], (r1 - r0) * OW, (const float *)sc->out[0] + r0 * OW * C,
                (float *)sz->out[0] + r0 * OW * C, pool);
    }
    if (st != xnn_status_success) {
        for (int i = 0; i < n; i++)
            if (ops[i])
                xnn_delete_operator(ops[i]);
        free(ops);
        return st == xnn_status_out_of_memory ? SPATIA_NOMEM : 1;
    }
    sc->sig = ops;
    sz->skip = 1;
    p->xnn_ops++;
    return 0;
}

/* Output rows [*r0, *r1) of strip group k of the strip step st. */
static void group_rows(const nn_step *st, int OH, int k, int *r0, int *r1)
{
    const int n = st->nstrips, g = st->strip_groups > 1 ? st->strip_groups : 1;
    const int to = group_first(k + 1, n, g);
    *r0 = group_first(k, n, g) * st->strip_rows;
    *r1 = to * st->strip_rows < OH ? to * st->strip_rows : OH;
}

/* Part j of the PeakTopK scan state of strip step st: its count, heap. */
static int *tk_cnt(const nn_step *st, int j)
{
    return (int *)(st->tk + (size_t)j * st->tk_part);
}

static void *tk_heap(const nn_step *st, int j)
{
    return st->tk + (size_t)j * st->tk_part + 64;
}

static double *tk_floor(const nn_step *st)
{
    const int parts = (st->strip_groups > 1 ? st->strip_groups : 1) + 1;
    return (double *)(st->tk + (size_t)parts * st->tk_part);
}

/* Runs the PeakTopK at step s + 3 inside the strips of the pair at s,
 * s + 1 whose Sigmoid (step s + 2, made by make_strip_sig) writes its
 * input, when it scans that whole tensor as one row
 * (nn_kernel_peak_topk_rows_ok): a PeakTopK step reads 5 MB (CenterNet's
 * 128x128x80 keypoints) long after the strips wrote them, and its window
 * test reads rows below that are not yet cached; inside the strips each
 * group scans its rows while they are in its L2. A row is scanned by its
 * group once its window rows are all written by that group; the rows
 * whose window crosses a group boundary are left to the PeakTopK step,
 * which then merges the heaps (the same values and indices as one scan).
 * Needs every group to hold at least a window's rows. Off with
 * SPATIA_NN_NO_STRIP_TOPK=1. Returns 0 (step s + 3 reduced to the
 * boundaries and the merge), 1 (not taken) or SPATIA_NOMEM. */
static int make_strip_topk(nn_graph *g, nn_plan *p, int s)
{
    if (s + 3 >= p->nsteps || getenv("SPATIA_NN_NO_STRIP_TOPK"))
        return 1;
    nn_step *sc = &p->steps[s + 1], *sz = &p->steps[s + 2];
    nn_step *sk = &p->steps[s + 3];
    const nn_node *z = &g->n[sz->node], *k = &g->n[sk->node];
    if (!sc->sig || sk->skip || k->in[0] != z->out[0] ||
        !nn_kernel_peak_topk_rows_ok(g, k))
        return 1;
    const nn_shape *ys = &g->t[z->out[0]].shape;
    const int OH = ys->d[1],
              groups = sc->strip_groups > 1 ? sc->strip_groups : 1;
    if (groups == 1 && p->pool)
        return 1; /* the strips' operators are threaded: keep the threaded scan
                   */
    for (int j = 0; j < groups; j++) {
        int r0, r1;
        group_rows(sc, OH, j, &r0, &r1);
        if (r1 - r0 < k->a.ksize[0])
            return 1;
    }
    const size_t esz = nn_kernel_topk_entry_size();
    const size_t part = (64 + (size_t)k->a.k * esz + 63) & ~(size_t)63;
    const size_t bytes =
        (size_t)(groups + 1) * part + 64 + (size_t)k->a.k * esz;
    sc->tk = nn_alloc_aligned(bytes);
    if (!sc->tk)
        return SPATIA_NOMEM;
    memset(sc->tk, 0, bytes);
    sc->tk_part = part;
    sc->ptk = s + 3;
    sk->ptk_src = s + 1;
    return 0;
}

/* The rows of the PeakTopK of strip step st (ptk > 0) that strip group k
 * scans after its strips wrote output rows up to `done` (exclusive), from
 * *next on; *next advances. Group rows [r0, r1). */
static void strip_topk_rows(const nn_graph *g, const nn_plan *p,
                            const nn_step *st, int k, int r0, int r1, int done,
                            int *next)
{
    const nn_node *n = &g->n[p->steps[st->ptk].node];
    const int OH = g->t[n->in[0]].shape.d[1];
    const int above = n->a.pad[0], below = n->a.ksize[0] - 1 - above;
    /* rows of the group whose window does not reach the neighbours' rows */
    const int lo = r0 > 0 ? r0 + above : r0;
    const int hi = r1 < OH ? r1 - below : r1;
    int end = done == r1 ? hi : done - below;
    if (end > hi)
        end = hi;
    if (*next < lo)
        *next = lo;
    if (end > *next) {
        nn_kernel_peak_topk_rows(g, n, p->steps[st->ptk].in[0], *next, end,
                                 tk_heap(st, k), tk_cnt(st, k), tk_floor(st));
        *next = end;
    }
}

/* The PeakTopK step st finishing the scan of strip step ptk_src: the rows
 * at group boundaries, then the merge into its outputs. */
static void strip_topk_finish(const nn_graph *g, const nn_plan *p,
                              const nn_step *st)
{
    const nn_step *sc = &p->steps[st->ptk_src];
    const nn_node *n = &g->n[st->node];
    const int OH = g->t[n->in[0]].shape.d[1];
    const int above = n->a.pad[0], below = n->a.ksize[0] - 1 - above;
    const int groups = sc->strip_groups > 1 ? sc->strip_groups : 1;
    void *heaps[NN_MAX_STRIP_GROUPS + 1];
    int cnts[NN_MAX_STRIP_GROUPS + 1];
    *tk_cnt(sc, groups) = 0;
    for (int j = 0; j + 1 < groups; j++) {
        int r0, r1;
        group_rows(sc, OH, j, &r0, &r1);
        nn_kernel_peak_topk_rows(g, n, st->in[0], r1 - below, r1 + above,
                                 tk_heap(sc, groups), tk_cnt(sc, groups),
                                 tk_floor(sc));
    }
    for (int j = 0; j <= groups; j++) {
        heaps[j] = tk_heap(sc, j);
        cnts[j] = *tk_cnt(sc, j);
    }
    nn_kernel_peak_topk_merge(g, n, heaps, cnts, groups + 1,
                              (unsigned char *)tk_floor(sc) + 64, st->out[0],
                              st->out[1]);
}

/* The fold of the gate of the Mul at step p->fold[s] - 1 into the
 * depthwise filter of the pair at s, s + 1 (made by make_dwpw or
 * make_strips with the own depthwise kernel): the pair reads x, and its
 * filter is refilled before every run. Returns 0, SPATIA_NOMEM or
 * SPATIA_INTERNAL (the pair has no own kernel). */
static int make_fold(nn_graph *g, nn_plan *p, int s)
{
    nn_step *sd = &p->steps[s], *sc = &p->steps[s + 1];
    const nn_node *d = &g->n[sd->node];
    const nn_node *m = &g->n[g->order[p->fold[s] - 1]];
    const nn_shape *ws = &g->t[d->in[1]].shape;
    nn_fold *f = &sc->fold;
    int xi, gi;
    if (!gate_mul(g, m, &xi, &gi) || (!sc->dwpw && !sc->dw))
        return SPATIA_INTERNAL;
    f->taps = ws->d[0] * ws->d[1];
    f->C = ws->d[2];
    f->w0 = g->t[d->in[1]].data;
    f->gate = nn_plan_ptr(g, p, gi);
    if (sc->dwpw) {
        f->w = sc->dwpw->w;
        f->stride = sc->dwpw->CP;
        sc->in[0] = nn_plan_ptr(g, p, xi);
    } else {
        f->own = nn_alloc_aligned((size_t)f->taps * f->C * sizeof(float));
        if (!f->own)
            return SPATIA_NOMEM;
        memcpy(f->own, f->w0, (size_t)f->taps * f->C * sizeof(float));
        f->w = f->own;
        f->stride = f->C;
        sc->dw->w = f->own;
    }
    sd->in[0] = nn_plan_ptr(g, p, xi);
    return 0;
}

/* The fold of the gate of the Mul at step p->fold[s] - 1 into the
 * weights of the own 1x1 kernel of step s (plan_folds): it reads x, and
 * its weights are rescaled before every run. Returns 0, SPATIA_NOMEM or
 * SPATIA_INTERNAL (no own kernel). */
static int make_pw_fold(nn_graph *g, nn_plan *p, int s)
{
    nn_step *st = &p->steps[s];
    int xi, gi;
    if (!st->pw || !gate_mul(g, &g->n[g->order[p->fold[s] - 1]], &xi, &gi))
        return SPATIA_INTERNAL;
    if (nn_pw_gate_init(st->pw))
        return SPATIA_NOMEM;
    st->pw_gate = nn_plan_ptr(g, p, gi);
    st->in[0] = nn_plan_ptr(g, p, xi);
    return 0;
}

/* Creates the operators of an expand pair: step s (1x1 convolution) and
 * step s + 1 (depthwise convolution of its output only) run strip by strip
 * at step s + 1. Strip i computes the rows of the 1x1 output that output
 * rows [r0, r1) of the depthwise convolution read into the first rows of
 * the intermediate's buffer, then those depthwise rows (image padding at
 * the first and last strip), on the own kernel when own_dw takes the node
 * (per strip its parameters with the strip's rows as the image), else on
 * one XNNPACK operator per strip. Returns 0 (done), 1 (XNNPACK refused)
 * or SPATIA_NOMEM. */
static int make_expand(nn_graph *g, nn_plan *p, int s)
{
    nn_step *sc = &p->steps[s], *sd = &p->steps[s + 1];
    const nn_node *c = &g->n[sc->node], *d = &g->n[sd->node];
    const nn_tensor *t = &g->t[c->out[0]], *y = &g->t[d->out[0]];
    const nn_shape *cws = &g->t[c->in[1]].shape, *dws = &g->t[d->in[1]].shape;
    const int H = t->shape.d[1], W = t->shape.d[2], CT = t->shape.d[3];
    const int OH = y->shape.d[1], OW = y->shape.d[2];
    const int ci = cws->d[2], rows = p->expand_rows[s];
    const int kh = dws->d[0], kw = dws->d[1], sh = d->a.stride[0];
    const int eff = (kh - 1) * d->a.dilation[0] + 1;
    const size_t ystride = pixel_stride(y);
    const float clo = c->a.has_act ? c->a.act_min : -INFINITY;
    const float chi = c->a.has_act ? c->a.act_max : INFINITY;
    const float dlo = d->a.has_act ? d->a.act_min : -INFINITY;
    const float dhi = d->a.has_act ? d->a.act_max : INFINITY;
    const float *dw = g->t[d->in[1]].data;
    const float *cb = c->nin > 2 ? g->t[c->in[2]].data : NULL;
    const float *db = d->nin > 2 ? g->t[d->in[2]].data : NULL;
    const int n = (OH + rows - 1) / rows;
    enum xnn_status st = xnn_status_success;
    strip_parts sp = {0};
    int nomem = 0, rc = SPATIA_NOMEM;
    /* the tail: the depthwise rows go to a buffer of their own, which the
     * tail's 1x1 kernel reads into the last output */
    const int tk = p->expand_tail ? p->expand_tail[s] : 0;
    const nn_node *tc = tk ? &g->n[p->steps[s + 2].node] : NULL;
    const nn_node *ta = tk == 2 ? &g->n[p->steps[s + 3].node] : NULL;
    const nn_tensor *ty = tk ? &g->t[(ta ? ta : tc)->out[0]] : NULL;
    nn_pw *tail = NULL;
    float *tgmem = NULL;
    size_t tbuf = 0;
    const size_t dstride = tk ? (size_t)y->shape.d[3] : ystride;

    sp.nops = 2 * n;
    if (!(sp.ops = calloc((size_t)sp.nops, sizeof *sp.ops)))
        goto fail;
    if (tk) {
        tail = own_pw(g, tc, pixel_stride(ty), 1, &nomem);
        if (!tail) { /* expand_tail_kind checked that the kernel takes it */
            rc = nomem ? SPATIA_NOMEM : SPATIA_INTERNAL;
            goto fail;
        }
        if (tk == 2)
            tail->ep = PW_EP_ADD;
    }
    sp.own = own_dw(g, d, dstride, 1, &nomem);
    if (sp.own && !(sp.sdw = calloc((size_t)n, sizeof *sp.sdw)))
        goto fail; /* the own kernel's parameters per strip */
    if (!nomem)
        sp.pw = own_pw(g, c, (size_t)CT, 0, &nomem);
    if (nomem || strip_pw_parts(&sp, g, c, n, ci, CT))
        goto fail;
    if (sp.pw && !getenv("SPATIA_NN_NO_CARRY") &&
        !(sp.carry = calloc((size_t)2 * n, sizeof *sp.carry)))
        goto fail;
    int prev_first = 0, prev_last = 0;
    const size_t buf = strip_buf(((size_t)(rows - 1) * sh + eff) * W * CT);
    const int groups = strip_groups(p, n, buf, nn_shape_elems(&t->shape));
    pthreadpool_t pool = groups > 1 ? NULL : p->pool;
    sp.gmem = group_mem(groups, buf);
    if (groups > 1 && !sp.gmem)
        goto fail;
    if (tk) {
        tbuf = strip_buf((size_t)rows * OW * dstride);
        tgmem = nn_alloc_aligned((size_t)groups * tbuf * sizeof(float));
        if (!tgmem)
            goto fail;
        memset(tgmem, 0, (size_t)groups * tbuf * sizeof(float));
    }
    for (int i = 0; i < n && st == xnn_status_success; i++) {
        float *bp = (sp.gmem ? sp.gmem : (float *)sc->out[0]) +
                    (size_t)group_of(i, n, groups) * buf;
        const int r0 = i * rows, r1 = r0 + rows < OH ? r0 + rows : OH;
        int top, bot, first, last;
        if (!strip_window(r0, r1, sh, d->a.pad[0], eff, H, &top, &bot, &first,
                          &last)) {
            st = xnn_status_unsupported_parameter;
            break;
        }
        if (sp.pw) { /* the own 1x1 kernel: input rows [first, last) */
            int from = first;
            if (sp.carry && i > 0 &&
                group_of(i, n, groups) == group_of(i - 1, n, groups) &&
                prev_last > first && first >= prev_first) {
                /* rows [first, prev_last) are in the buffer already, at
                 * row first - prev_first: moved, not recomputed */
                sp.carry[2 * i] = (size_t)(first - prev_first) * W * CT;
                sp.carry[2 * i + 1] = (size_t)(prev_last - first) * W * CT;
                from = prev_last;
            }
            sp.pw_m[i] = (long)(last - from) * W;
            sp.pw_off[i] = (size_t)from * W * ci;
            prev_first = first;
            prev_last = last;
        } else {
            st = xnn_create_convolution2d_nhwc_f32(
                0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, (size_t)ci, (size_t)CT,
                (size_t)ci, (size_t)CT, sp.ohwi, cb, clo, chi, 0,
                &sp.ops[2 * i]);
            if (st == xnn_status_success)
                st = xnn_setup_convolution2d_nhwc_f32(
                    sp.ops[2 * i], 1, (size_t)(last - first), (size_t)W,
                    (const float *)sc->in[0] + (size_t)first * W * ci, bp,
                    pool);
        }
        if (sp.own) {
            /* the strip's rows [first, last) of the intermediate as the
             * image, with the padding of the whole image at the first and
             * last strip, as for the XNNPACK operator below */
            sp.sdw[i] = *sp.own;
            sp.sdw[i].H = last - first;
            sp.sdw[i].pad_top = top;
            sp.sdw[i].OH = r1 - r0;
            sp.sdw[i].prefetch_out = !tk; /* outputs in cold memory */
            continue;
        }
        if (st == xnn_status_success)
            st = xnn_create_convolution2d_nhwc_f32(
                (uint32_t)top, (uint32_t)d->a.pad[3], (uint32_t)bot,
                (uint32_t)d->a.pad[2], (uint32_t)kh, (uint32_t)kw, (uint32_t)sh,
                (uint32_t)d->a.stride[1], (uint32_t)d->a.dilation[0],
                (uint32_t)d->a.dilation[1], (uint32_t)CT, 1, (size_t)dws->d[3],
                (size_t)CT, dstride, dw, db, dlo, dhi,
                XNN_FLAG_DEPTHWISE_CONVOLUTION, &sp.ops[2 * i + 1]);
        if (st == xnn_status_success)
            st = xnn_setup_convolution2d_nhwc_f32(
                sp.ops[2 * i + 1], 1, (size_t)(last - first), (size_t)W, bp,
                tk ? tgmem + (size_t)group_of(i, n, groups) * tbuf
                   : (float *)sd->out[0] + (size_t)r0 * OW * ystride,
                pool);
    }
    if (st != xnn_status_success) {
        rc = st == xnn_status_out_of_memory ? SPATIA_NOMEM : 1;
        goto fail;
    }
    free(sp.ohwi);
    free(sp.own);
    sc->skip = 1;
    sd->spw = sp.pw;
    sd->spw_m = sp.pw_m;
    sd->spw_off = sp.pw_off;
    sd->carry = sp.carry;
    if (tk) {
        sd->tail = tail;
        sd->tgmem = tgmem;
        sd->tail_buf = tbuf;
        sd->tail_row_px = OW;
        sd->out[0] = p->steps[s + 2 + (tk == 2)].out[0];
        if (tk == 2)
            sd->tail_res = p->steps[s + 3].in[ta->in[0] == tc->out[0]];
        p->steps[s + 2].skip = 1;
        if (tk == 2)
            p->steps[s + 3].skip = 1;
    }
    sd->gmem = sp.gmem;
    sd->strips = sp.ops;
    sd->nstrips = n;
    sd->dw = sp.sdw;
    sd->expand = 1;
    sd->strip_rows = rows;
    sd->strip_groups = groups;
    sd->strip_buf = buf;
    p->xnn_ops += 2;
    return 0;
fail:
    strip_parts_free(&sp);
    free_pw(tail);
    nn_free_aligned(tgmem);
    return rc;
}

/* The own fused kernel of a dwpw pair (dwpw_pair): step s (depthwise) is
 * skipped, step s + 1 (1x1 convolution) reads the depthwise input. Returns
 * 0 or SPATIA_NOMEM. */
static int make_dwpw(nn_graph *g, nn_plan *p, int s)
{
    nn_step *sd = &p->steps[s], *sc = &p->steps[s + 1];
    const nn_node *d = &g->n[sd->node], *c = &g->n[sc->node];
    const nn_tensor *y = &g->t[c->out[0]];
    nn_dwpw *k = calloc(1, sizeof *k);
    if (!k)
        return SPATIA_NOMEM;
    DW_WINDOW_FILL(k, g, d);
    k->CO = y->shape.d[3];
    k->plo = c->a.has_act ? c->a.act_min : -INFINITY;
    k->phi = c->a.has_act ? c->a.act_max : INFINITY;
    k->out_stride = pixel_stride(y);
    if (nn_dwpw_init(
            k, g->t[d->in[1]].data, d->nin > 2 ? g->t[d->in[2]].data : NULL,
            g->t[c->in[1]].data, c->nin > 2 ? g->t[c->in[2]].data : NULL)) {
        free(k);
        return SPATIA_NOMEM;
    }
    sd->skip = 1;
    sc->in[0] = sd->in[0];
    sc->dwpw = k;
    return 0;
}

/* Does node n read or write a strided view (other than a concat that is
 * a no-op because all its inputs are views of its output)? */
static int touches_view(const nn_graph *g, const nn_node *n)
{
    if (n->op == NN_OP_CONCAT)
        return 0;
    for (int j = 0; j < n->nin; j++)
        if (g->t[n->in[j]].store == NN_STORE_VIEW)
            return 1;
    for (int k = 0; k < n->nout; k++)
        if (g->t[n->out[k]].store == NN_STORE_VIEW)
            return 1;
    return 0;
}

/* A concat whose inputs are all views of its output has nothing to do. */
static int concat_noop(const nn_graph *g, const nn_node *n)
{
    if (n->op != NN_OP_CONCAT)
        return 0;
    for (int j = 0; j < n->nin - 1; j++)
        if (g->t[n->in[j]].store != NN_STORE_VIEW ||
            g->t[n->in[j]].alias != n->out[0])
            return 0;
    return 1;
}

/* The step that stores the values of tensor t (not skipped) when that is
 * a plain own 1x1 kernel or own resize (perhaps with the ReLU that reads
 * it), run over at least T row ranges; else -1. */
static int sum_writer(const nn_graph *g, const nn_plan *p, int t, int T)
{
    int w = 0;
    while (w < p->nsteps && p->steps[w].node != g->t[t].producer)
        w++;
    if (w == p->nsteps)
        return -1;
    const nn_step *st = &p->steps[w];
    if (st->skip && w > 0 && p->steps[w - 1].rs && p->steps[w - 1].rs->relu &&
        g->n[st->node].in[0] == g->n[p->steps[w - 1].node].out[0])
        st = &p->steps[--w];
    if (st->skip || st->nstrips || st->dwpw)
        return -1;
    if (st->pw && st->pw->ep == PW_EP_NONE && st->pw->M >= T)
        return w;
    if (st->rs && st->rs->OH >= T)
        return w;
    return -1;
}

/* Global means made nearly free: when every channel slice of a global
 * Mean's input (the whole tensor, or the views of a no-op concat) is
 * stored by a sum_writer step, those steps also sum the values they store
 * per thread range and channel into the Mean step's msum rows, and the
 * Mean only adds the rows and divides (CenterNet's head: the 8 MB concat
 * is not read again). SPATIA_NN_NO_MEAN_SUM=1 turns it off. Returns 0 or
 * SPATIA_NOMEM. */
static int plan_mean_sums(nn_graph *g, nn_plan *p)
{
    const int T = p->threads;
    if (getenv("SPATIA_NN_NO_MEAN_SUM"))
        return SPATIA_OK;
    for (int s = 0; s < p->nsteps; s++) {
        nn_step *st = &p->steps[s];
        const nn_node *n = &g->n[st->node];
        if (n->op != NN_OP_MEAN || st->skip || st->op ||
            !nn_kernel_is_global_mean(g, n))
            continue;
        const int x = n->in[0];
        const nn_tensor *xt = &g->t[x];
        if (xt->store != NN_STORE_ARENA || xt->producer < 0)
            continue;
        const nn_node *c = &g->n[xt->producer];
        int srcs[NN_MAX_IN], off[NN_MAX_IN], w[NN_MAX_IN], ns = 0, ok = 1;
        if (concat_noop(g, c)) {
            for (int j = 0; j < c->nin - 1 && ns < NN_MAX_IN; j++) {
                const nn_tensor *u = &g->t[c->in[j]];
                srcs[ns] = c->in[j];
                off[ns++] = (int)u->offset;
            }
            ok = ns == c->nin - 1;
        } else {
            srcs[ns] = x;
            off[ns++] = 0;
        }
        for (int i = 0; i < ns && ok; i++)
            ok = (w[i] = sum_writer(g, p, srcs[i], T)) >= 0;
        if (!ok)
            continue;
        const size_t C = (size_t)xt->shape.d[3],
                     stride = (C + 15) & ~(size_t)15;
        st->msum = nn_alloc_aligned((size_t)T * stride * sizeof(float));
        if (!st->msum)
            return SPATIA_NOMEM;
        memset(st->msum, 0, (size_t)T * stride * sizeof(float));
        st->msum_stride = stride;
        for (int i = 0; i < ns; i++) {
            nn_step *ws = &p->steps[w[i]];
            if (ws->pw) {
                ws->pw->ep = PW_EP_SUM;
                ws->pw->sum = st->msum + off[i];
                ws->pw->sum_stride = stride;
            } else {
                ws->rs->sum = st->msum + off[i];
                ws->rs->sum_stride = stride;
            }
        }
    }
    return SPATIA_OK;
}

/* Input rows [*lo, *hi) that a window op n (filter height kh) reads for
 * its output rows [o0, o1), within [0, H). */
static void window_rows(const nn_node *n, int kh, int H, int o0, int o1,
                        int *lo, int *hi)
{
    const int sh = n->a.stride[0], dh = n->a.dilation[0]; /* >= 1 */
    *lo = o0 * sh - n->a.pad[0];
    *hi = (o1 - 1) * sh - n->a.pad[0] + (kh - 1) * dh + 1;
    *lo = *lo < 0 ? 0 : (*lo > H ? H : *lo);
    *hi = *hi < *lo ? *lo : (*hi > H ? H : *hi);
}

void nn_halo_rows(int k, int T, int H, int lo, int hi, int a[2], int b[2])
{
    const int own0 = (int)((long)k * H / T);
    const int own1 = (int)((long)(k + 1) * H / T);
    a[0] = lo;
    b[0] = hi < own0 ? hi : own0;
    a[1] = own1 > lo ? own1 : lo;
    b[1] = hi;
    for (int j = 0; j < 2; j++)
        if (b[j] < a[j])
            b[j] = a[j];
}

/* The spans of tensor t (data at x) for range k of T that reads its rows
 * [lo, hi): the rows outside its own part (nn_halo_rows), into sp[0..1]. */
static void halo_spans(const nn_tensor *t, const void *x, int k, int T, int lo,
                       int hi, nn_span *sp)
{
    const int H = t->shape.d[1], W = t->shape.d[2], C = t->shape.d[3];
    const size_t ps = pixel_stride(t);
    int a[2], b[2];
    nn_halo_rows(k, T, H, lo, hi, a, b);
    for (int j = 0; j < 2; j++) {
        if (b[j] <= a[j] || !x)
            continue;
        const size_t px = (size_t)(b[j] - a[j]) * (size_t)W;
        sp[j].p = (const char *)x + (size_t)a[j] * W * ps * sizeof(float);
        sp[j].n = ((px - 1) * ps + (size_t)C) * sizeof(float);
    }
}

/* Filter height of window node n (depthwise or convolution filter,
 * pooling window), or 0 when n reads no neighbouring rows. */
static int window_kh(const nn_graph *g, const nn_node *n)
{
    switch (n->op) {
    case NN_OP_DWCONV2D:
    case NN_OP_CONV2D:
        return g->t[n->in[1]].shape.d[0] > 1 || n->a.stride[0] > 1
                   ? g->t[n->in[1]].shape.d[0]
                   : 0;
    case NN_OP_MAXPOOL:
    case NN_OP_AVGPOOL:
        return n->a.ksize[0];
    default:
        return 0;
    }
}

/*
 * Halo release tables (nn_step.halo). With T threads every step writes
 * the k-th T-th of its output rows on thread k (see place_owned), so a
 * step whose range k reads input rows next to its own (a window op's
 * halo) reads lines the other core wrote. Those copies stay in the
 * reader's caches; when the owner writes the lines again (the next run,
 * or another tensor on the same arena pages) each store waits for the
 * copy's invalidation, 2.3 GB/s across L3s here against 29 GB/s for a
 * line nobody else holds (docs/nn.md). Flushing the halo lines right
 * after the step costs about 2 ns a line and makes those stores misses
 * to memory. Recorded here for the row-split steps: the own depthwise,
 * fused depthwise + 1x1, stem and resize kernels, XNNPACK window ops,
 * and strip groups (their depthwise input or the expand input, and a
 * co-run dwpw pair's input). Returns SPATIA_OK or SPATIA_NOMEM.
 */
static int plan_halos(nn_graph *g, nn_plan *p)
{
    const int T = p->threads;
    for (int s = 0; s < p->nsteps; s++) {
        nn_step *st = &p->steps[s];
        const nn_node *rd[2] = {NULL, NULL}; /* window node per input */
        const nn_tensor *ti[2] = {NULL, NULL};
        const void *xi[2] = {NULL, NULL};
        int ranges = T, OH = 0, rows = 0, groups = 0;
        if (st->skip)
            continue;
        if (st->nstrips) {
            const nn_step *sd = &p->steps[s - 1];
            if (st->strip_groups < 2)
                continue; /* each strip split over the pool: no part */
            ranges = groups = st->strip_groups;
            rows = st->strip_rows;
            rd[0] = st->expand ? &g->n[st->node] : &g->n[sd->node];
            ti[0] = &g->t[g->n[sd->node].in[0]];
            xi[0] = sd->in[0];
            if (st->co) {
                const nn_step *cs = &p->steps[st->co];
                if (cs->in[0] != sd->in[0]) { /* else the same rows */
                    rd[1] = &g->n[p->steps[st->co - 1].node];
                    ti[1] = &g->t[rd[1]->in[0]];
                    xi[1] = cs->in[0];
                }
            }
            OH = g->t[rd[0]->out[0]].shape.d[1];
        } else if (st->dwpw) {
            rd[0] = &g->n[p->steps[s - 1].node];
        } else if (st->dw || st->stem || st->rs ||
                   (st->op && window_kh(g, &g->n[st->node]))) {
            rd[0] = &g->n[st->node];
        } else {
            continue;
        }
        if (!st->nstrips) {
            ti[0] = &g->t[rd[0]->in[0]];
            xi[0] = st->in[0];
            OH = g->t[g->n[st->node].out[0]].shape.d[1];
        }
        if (ti[0]->shape.rank != 4 || OH < ranges)
            continue;
        nn_span *h = calloc((size_t)ranges * NN_HALO_PER, sizeof *h);
        if (!h)
            return SPATIA_NOMEM;
        int any = 0;
        for (int k = 0; k < ranges; k++) {
            int o0, o1;
            if (groups) {
                const int n = st->nstrips;
                o0 = group_first(k, n, groups) * rows;
                o1 = group_first(k + 1, n, groups) * rows;
                o1 = o1 < OH ? o1 : OH;
            } else {
                o0 = (int)((long)k * OH / ranges);
                o1 = (int)((long)(k + 1) * OH / ranges);
            }
            if (o1 <= o0)
                continue;
            for (int i = 0; i < 2; i++) {
                if (!rd[i] || ti[i]->shape.rank != 4)
                    continue;
                const int H = ti[i]->shape.d[1];
                int lo, hi;
                if (st->rs && i == 0) {
                    lo = st->rs->y0[o0];
                    hi = st->rs->y1[o1 - 1] + 1;
                } else {
                    const int kh = window_kh(g, rd[i]);
                    if (!kh)
                        continue;
                    window_rows(rd[i], kh, H, o0, o1, &lo, &hi);
                }
                halo_spans(ti[i], xi[i], k, ranges, lo, hi,
                           &h[k * NN_HALO_PER + 2 * i]);
            }
            for (int j = 0; j < NN_HALO_PER; j++)
                any |= h[k * NN_HALO_PER + j].n > 0;
        }
        if (!any) {
            free(h);
            continue;
        }
        st->halo = h;
        st->halo_ranges = ranges;
    }
    return SPATIA_OK;
}

int nn_plan_build(nn_graph *g, nn_plan *p, int threads, int portable,
                  int strip_kb, char *errbuf, int errlen)
{
    int rc;
    memset(p, 0, sizeof *p);
    if (strip_kb >= 0)
        p->strip_bytes = (size_t)(strip_kb ? strip_kb : NN_STRIP_KB) << 10;
    if (!portable && xnn_initialize(NULL) != xnn_status_success) {
        if (errbuf && errlen > 0)
            snprintf(errbuf, (size_t)errlen, "XNNPACK cannot run on this CPU");
        return SPATIA_INTERNAL;
    }
    p->threads = threads < 1 ? 1 : threads;
    if (p->threads > 1) {
        p->pool = pthreadpool_create((size_t)p->threads);
        if (!p->pool)
            return SPATIA_NOMEM;
    }
    if ((rc = plan_memory(g, p, !portable)))
        return rc;
    p->steps = calloc((size_t)g->norder + 1, sizeof *p->steps);
    if (!p->steps)
        return SPATIA_NOMEM;
    for (int s = 0; s < g->norder; s++) {
        nn_step *st = &p->steps[p->nsteps++];
        const nn_node *n = &g->n[g->order[s]];
        st->node = g->order[s];
        for (int j = 0; j < n->nin; j++)
            st->in[j] = nn_plan_ptr(g, p, n->in[j]);
        for (int k = 0; k < n->nout; k++)
            st->out[k] = nn_plan_ptr(g, p, n->out[k]);
    }
    for (int s = 0; !portable && p->fold && s < g->norder; s++)
        p->steps[s].skip = p->fold[s] < 0; /* folded into its readers */
    for (int s = 0; s < g->norder; s++) {
        nn_step *st = &p->steps[s];
        const nn_node *n = &g->n[st->node];
        if (st->skip)
            continue; /* done by an earlier step */
        if (!portable && p->dwpw && p->dwpw[s]) {
            if ((rc = make_dwpw(g, p, s)) ||
                (p->fold[s] > 0 && (rc = make_fold(g, p, s))))
                return rc;
            s++;
            continue;
        }
        if (!portable && p->strip_rows && p->strip_rows[s]) {
            rc = make_strips(g, p, s);
            if (rc < 0)
                return rc;
            if (rc == 0) {
                if (p->strip_sig[s] && (rc = make_strip_sig(g, p, s)) < 0)
                    return rc;
                if (p->strip_sig[s] && rc == 0 &&
                    (rc = make_strip_topk(g, p, s)) < 0)
                    return rc;
                if (p->fold[s] > 0 && (rc = make_fold(g, p, s)))
                    return rc;
                s++; /* both steps done */
                continue;
            }
        }
        const int pw_fold =
            !portable && p->fold && p->fold[s] > 0 && n->op == NN_OP_CONV2D;
        if (!portable && p->fold && p->fold[s] > 0 && !pw_fold) {
            if (errbuf && errlen > 0) /* the gate would be lost */
                snprintf(errbuf, (size_t)errlen,
                         "node '%s': XNNPACK refused a folded strip pair",
                         n->name);
            return SPATIA_INTERNAL;
        }
        if (!portable && p->expand_rows && p->expand_rows[s]) {
            rc = make_expand(g, p, s);
            if (rc < 0)
                return rc;
            if (rc == 0) {
                s++;
                continue;
            }
        }
        if (!portable && p->pw_ep && p->pw_ep[s]) {
            const nn_node *h = &g->n[p->steps[s + 1].node];
            const nn_tensor *y = &g->t[h->out[0]];
            int nomem = 0;
            st->pw = own_pw(g, n, pixel_stride(y), 1, &nomem);
            if (!st->pw) /* pw_ep_kind checked that the kernel takes it */
                return SPATIA_NOMEM;
            if (pw_fold && (rc = make_pw_fold(g, p, s)))
                return rc;
            st->pw->ep = p->pw_ep[s];
            st->pw->hs_scale = h->a.hs_scale;
            if (p->pw_ep[s] == PW_EP_ADD)
                st->res = p->steps[s + 1].in[h->in[0] == n->out[0]];
            st->out[0] = p->steps[s + 1].out[0];
            p->steps[s + 1].skip = 1;
            s++;
            continue;
        }
        if (!portable && stem_ok(g, n)) {
            int fuse = p->stem_hs && p->stem_hs[s];
            const nn_tensor *y =
                &g->t[fuse ? g->n[p->steps[s + 1].node].out[0] : n->out[0]];
            st->stem = own_stem(g, n, pixel_stride(y));
            if (!st->stem)
                return SPATIA_NOMEM;
            if (fuse) {
                st->stem->hardswish = 1;
                st->stem->hs_scale = g->n[p->steps[s + 1].node].a.hs_scale;
                st->out[0] = p->steps[s + 1].out[0];
                p->steps[s + 1].skip = 1;
                s++;
            }
            continue;
        }
        if (!portable && n->op == NN_OP_RESIZE_BILINEAR) {
            if ((rc = make_own_resize(g, p, s)))
                return rc;
            if (st->rs) {
                if (st->rs->relu)
                    s++;
                continue;
            }
        }
        if (!portable && n->op == NN_OP_DWCONV2D) {
            const int hs = p->dw_hs && p->dw_hs[s];
            const nn_node *h = hs ? &g->n[p->steps[s + 1].node] : NULL;
            const nn_tensor *y = &g->t[hs ? h->out[0] : n->out[0]];
            int nomem = 0;
            st->dw = own_dw(g, n, pixel_stride(y), 0, &nomem);
            if (nomem || (hs && !st->dw)) /* dw_hs_pair checked own_dw's rule */
                return SPATIA_NOMEM;
            if (hs) {
                st->dw->hardswish = 1;
                st->dw->hs_scale = h->a.hs_scale;
                st->out[0] = p->steps[s + 1].out[0];
                p->steps[s + 1].skip = 1;
                s++;
            }
            if (st->dw)
                continue;
        }
        if (!portable && n->op == NN_OP_CONV2D) {
            const nn_tensor *y = &g->t[n->out[0]];
            int nomem = 0;
            st->pw = own_pw(g, n, pixel_stride(y), pw_fold, &nomem);
            if (nomem)
                return SPATIA_NOMEM;
            if (pw_fold && (rc = make_pw_fold(g, p, s)))
                return rc; /* pw_fold_ok checked that the kernel takes it */
            /* a concat slice: its lines were last touched a run ago */
            if (st->pw && y->store == NN_STORE_VIEW &&
                !getenv("SPATIA_NN_NO_VIEW_PREFETCH"))
                st->pw->prefetch_out = 1;
            if (st->pw)
                continue;
        }
        if (!portable && (rc = make_xnn(g, p, st)))
            return rc;
        if (!st->op && touches_view(g, n)) {
            /* views are only planned for ops XNNPACK takes */
            if (errbuf && errlen > 0)
                snprintf(errbuf, (size_t)errlen,
                         "node '%s': XNNPACK refused a strided operator",
                         n->name);
            return SPATIA_INTERNAL;
        }
        if (!st->op) {
            size_t ss = nn_kernel_scratch(g, n, p->threads);
            if (ss && !(st->scratch = malloc(ss)))
                return SPATIA_NOMEM;
        }
    }
    for (int s = 0; !portable && p->co_dwpw && s + 1 < p->nsteps; s++) {
        const int w1 = p->co_dwpw[s];
        nn_step *sc = &p->steps[s + 1];
        if (w1 > 0 && sc->nstrips && !sc->expand && p->steps[w1].dwpw &&
            !p->steps[w1].skip) {
            sc->co = w1;
            p->steps[w1].skip = 1;
        }
    }
    if (portable)
        return SPATIA_OK;
    if ((rc = plan_mean_sums(g, p)))
        return rc;
    const char *hr = getenv("SPATIA_NN_HALO_RELEASE");
    p->halo_mode = p->threads < 2 ? 0
                   : hr           ? (*hr == '1' ? 1 : 0)
                                  : (p->threads == 2 ? -1 : 0);
    p->round_trip_ns = -1;
    return p->halo_mode ? plan_halos(g, p) : SPATIA_OK; /* threads >= 2 */
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Runs strips [from, to) of step s (group k's buffer), operators on
 * `pool`. Returns 0 or -1 (an operator failed). */
static int run_strips(const nn_graph *g, const nn_plan *p, int s, int from,
                      int to, int k, pthreadpool_t pool)
{
    const nn_step *st = &p->steps[s], *sd = &p->steps[s - 1];
    int tk_r0 = 0, tk_r1 = 0, tk_next = 0;
    if (st->ptk) {
        const int OH = g->t[g->n[st->node].out[0]].shape.d[1];
        group_rows(st, OH, k, &tk_r0, &tk_r1);
        *tk_cnt(st, k) = 0;
    }
    for (int i = from; i < to; i++) {
        float *bp = (st->gmem ? st->gmem : (float *)sd->out[0]) +
                    (size_t)k * st->strip_buf;
        if (st->expand && st->spw) { /* the own 1x1 kernel */
            const size_t kept = st->carry ? st->carry[2 * i + 1] : 0;
            if (kept)
                memmove(bp, bp + st->carry[2 * i], kept * sizeof *bp);
            nn_pw_run_m(st->spw, (const float *)sd->in[0] + st->spw_off[i],
                        bp + kept, st->spw_m[i], pool);
        } else if (st->expand && xnn_run_operator(st->strips[2 * i], pool) !=
                                     xnn_status_success)
            return -1;
        if (st->expand && st->tail) { /* depthwise rows, then the tail */
            float *tb = st->tgmem + (size_t)k * st->tail_buf;
            const nn_pw *tp = st->tail;
            const long m = st->tail_row_px, oh = tp->M / m;
            const long r0 = (long)i * st->strip_rows;
            const long nr = r0 + st->strip_rows < oh ? st->strip_rows : oh - r0;
            if (st->dw)
                nn_dw_run(&st->dw[i], bp, tb, 0, st->dw[i].OH, pool);
            else if (xnn_run_operator(st->strips[2 * i + 1], pool) !=
                     xnn_status_success)
                return -1;
            float *yo = (float *)st->out[0] + (size_t)(r0 * m) * tp->out_stride;
            if (st->tail_res)
                nn_pw_run_mr(tp, tb, yo,
                             (const float *)st->tail_res +
                                 (size_t)(r0 * m) * tp->res_stride,
                             nr * m, pool);
            else
                nn_pw_run_m(tp, tb, yo, nr * m, pool);
            continue;
        }
        if (st->dw && st->expand) { /* then the own depthwise kernel */
            const nn_dw *d = &st->dw[i];
            nn_dw_run(d, bp,
                      (float *)st->out[0] +
                          (size_t)i * st->strip_rows * d->OW * d->out_stride,
                      0, d->OH, pool);
            continue;
        }
        if (st->dw) {
            const int r0 = i * st->strip_rows, r1 = r0 + st->strip_rows;
            nn_dw_run(st->dw, sd->in[0], bp, r0,
                      r1 < st->dw->OH ? r1 : st->dw->OH, pool);
        } else if (!st->expand && xnn_run_operator(st->strips[2 * i], pool) !=
                                      xnn_status_success) {
            return -1;
        }
        if (st->co) { /* the dwpw pair on the rows just read */
            const nn_step *cs = &p->steps[st->co];
            const int r0 = i * st->strip_rows;
            nn_dwpw_run_rows(cs->dwpw, cs->in[0], cs->out[0], r0,
                             r0 + st->strip_rows, pool);
        }
        if (st->spw && !st->expand && st->res) /* + the residual Add */
            nn_pw_run_mr(st->spw, bp, (float *)st->out[0] + st->spw_off[i],
                         (const float *)st->res + st->spw_off[i], st->spw_m[i],
                         pool);
        else if (st->spw && !st->expand)
            nn_pw_run_m(st->spw, bp, (float *)st->out[0] + st->spw_off[i],
                        st->spw_m[i], pool);
        else if (xnn_run_operator(st->strips[2 * i + 1], pool) !=
                 xnn_status_success)
            return -1;
        if (st->sig && xnn_run_operator(st->sig[i], pool) != xnn_status_success)
            return -1;
        if (st->ptk) {
            const int done = (i + 1) * st->strip_rows;
            strip_topk_rows(g, p, st, k, tk_r0, tk_r1,
                            done < tk_r1 ? done : tk_r1, &tk_next);
        }
    }
    return 0;
}

typedef struct strip_ctx {
    const nn_graph *g;
    const nn_plan *p;
    int s;
    int failed[NN_MAX_STRIP_GROUPS];
} strip_ctx;

/* pthreadpool task: strip group k on the calling thread. */
static void strip_task(void *arg, size_t k)
{
    strip_ctx *c = arg;
    const nn_step *st = &c->p->steps[c->s];
    const int n = st->nstrips, g = st->strip_groups;
    c->failed[k] = run_strips(c->g, c->p, c->s, group_first((int)k, n, g),
                              group_first((int)k + 1, n, g), (int)k, NULL);
}

/* The filter of a folded step for this run's gate (nn_fold). */
static void fold_refill(const nn_fold *f)
{
    for (int t = 0; t < f->taps; t++)
        for (int c = 0; c < f->C; c++)
            f->w[(size_t)t * f->stride + c] =
                f->w0[(size_t)t * f->C + c] * f->gate[c];
}

int nn_plan_run(const nn_graph *g, nn_plan *p, int profile)
{
    if (p->halo_mode < 0) {
        /* a VM's vCPUs move between L3s every few seconds to minutes */
        const double rt = nn_pool_round_trip_ns(p->pool);
        p->round_trip_ns = rt;
        if (rt >= 0)
            p->far = rt > NN_FAR_NS;
    } else {
        p->far = p->halo_mode > 0;
    }
    p->far_runs += p->far;
    for (int s = 0; s < p->nsteps; s++) {
        nn_step *st = &p->steps[s];
        const nn_node *n = &g->n[st->node];
        if (st->skip)
            continue;
        double t0 = profile ? now_s() : 0;
        if (st->fold.w)
            fold_refill(&st->fold);
        if (st->co && p->steps[st->co].fold.w)
            fold_refill(&p->steps[st->co].fold);
        if (st->nstrips) {
            strip_ctx c = {g, p, s, {0}};
            if (st->ptk)
                *tk_floor(st) = -HUGE_VAL;
            if (st->strip_groups > 1) {
                pthreadpool_parallelize_1d(p->pool, strip_task, &c,
                                           (size_t)st->strip_groups, 0);
                for (int k = 0; k < st->strip_groups; k++)
                    if (c.failed[k])
                        return SPATIA_INTERNAL;
            } else if (run_strips(g, p, s, 0, st->nstrips, 0, p->pool)) {
                return SPATIA_INTERNAL;
            }
        } else if (st->ptk_src) {
            strip_topk_finish(g, p, st);
        } else if (st->msum) {
            const nn_shape *xs = &g->t[n->in[0]].shape;
            nn_kernel_mean_finish(n, st->msum, (size_t)p->threads,
                                  st->msum_stride, (size_t)xs->d[3],
                                  (size_t)xs->d[1] * (size_t)xs->d[2],
                                  st->out[0]);
        } else if (st->dwpw) {
            nn_dwpw_run(st->dwpw, st->in[0], st->out[0], p->pool);
        } else if (st->dw) {
            nn_dw_run(st->dw, st->in[0], st->out[0], 0, st->dw->OH, p->pool);
        } else if (st->pw) {
            if (st->pw_gate)
                nn_pw_gate(st->pw, st->pw_gate, p->pool);
            nn_pw_run_r(st->pw, st->in[0], st->out[0], st->res, p->pool);
        } else if (st->stem) {
            nn_stem_run(st->stem, st->in[0], st->out[0], p->pool);
        } else if (st->rs) {
            nn_rs_run(st->rs, st->in[0], st->out[0], p->pool);
        } else if (st->op) {
            if (xnn_run_operator(st->op, p->pool) != xnn_status_success)
                return SPATIA_INTERNAL;
            if (st->op2 &&
                xnn_run_operator(st->op2, p->pool) != xnn_status_success)
                return SPATIA_INTERNAL;
        } else if (!(is_alias_op(n->op) &&
                     g->t[n->out[0]].store == NN_STORE_ALIAS) &&
                   !concat_noop(g, n)) {
            int rc = nn_kernel_run(g, n, st->in, st->out, st->scratch, p->pool);
            if (rc)
                return rc;
        }
        if (st->halo && p->far)
            nn_release_spans(p->pool, st->halo, (size_t)st->halo_ranges,
                             NN_HALO_PER);
        if (profile)
            st->seconds += now_s() - t0;
    }
    p->runs++;
    return SPATIA_OK;
}

void nn_plan_free(nn_plan *p)
{
    if (!p)
        return;
    for (int s = 0; s < p->nsteps; s++) {
        if (p->steps[s].op)
            xnn_delete_operator(p->steps[s].op);
        if (p->steps[s].op2)
            xnn_delete_operator(p->steps[s].op2);
        for (int i = 0; i < 2 * p->steps[s].nstrips; i++)
            if (p->steps[s].strips[i])
                xnn_delete_operator(p->steps[s].strips[i]);
        free(p->steps[s].dw);
        free_pw(p->steps[s].pw);
        free_pw(p->steps[s].spw);
        free(p->steps[s].spw_m);
        free(p->steps[s].spw_off);
        free(p->steps[s].carry);
        free_pw(p->steps[s].tail);
        nn_free_aligned(p->steps[s].tgmem);
        nn_dwpw_free(p->steps[s].dwpw);
        free(p->steps[s].dwpw);
        free(p->steps[s].stem);
        nn_rs_free(p->steps[s].rs);
        free(p->steps[s].rs);
        free(p->steps[s].strips);
        for (int i = 0; p->steps[s].sig && i < p->steps[s].nstrips; i++)
            xnn_delete_operator(p->steps[s].sig[i]);
        free(p->steps[s].sig);
        nn_free_aligned(p->steps[s].fold.own);
        nn_free_aligned(p->steps[s].gmem);
        nn_free_aligned(p->steps[s].msum);
        nn_free_aligned(p->steps[s].tk);
        free(p->steps[s].scratch);
        free(p->steps[s].halo);
    }
    free(p->steps);
    free(p->strip_rows);
    free(p->expand_rows);
    free(p->stem_hs);
    free(p->pw_ep);
    free(p->dw_hs);
    free(p->strip_ep);
    free(p->expand_tail);
    free(p->dwpw);
    free(p->strip_sig);
    free(p->fold);
    free(p->co_dwpw);
    nn_free_aligned(p->arena);
    if (p->pool)
        pthreadpool_destroy(p->pool);
    memset(p, 0, sizeof *p);
}
