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
 * An elementwise op writes over an input of its size that dies at that
 * step. A concat on channels whose inputs are written by XNNPACK operators
 * (and read by nothing else) becomes a set of strided views: each producer
 * writes its channel slice of the output directly, the concat does nothing.
 *
 * Operators: convolutions (filters repacked from TF's HWIO to XNNPACK's
 * OHWI; depthwise filters are used as they are), binary elementwise ops with
 * broadcasting, clamp/sigmoid/hard-swish, global average pooling, max
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

static size_t round_up(size_t v)
{
    return (v + NN_ALIGN - 1) & ~(size_t)(NN_ALIGN - 1);
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

/* Assigns storage classes, lifetimes and arena offsets. */
static int plan_memory(nn_graph *g, nn_plan *p, int views)
{
    int rc = SPATIA_NOMEM;
    int *roots = NULL, nroots = 0;
    placed *pl = NULL, *tmp = NULL;
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

    /* In place: an elementwise op may write over an input of its own size
     * that nothing reads afterwards (keeps the working set small). */
    for (int s = 0; s < g->norder; s++) {
        const nn_node *n = &g->n[g->order[s]];
        nn_tensor *o = &g->t[n->out[0]];
        if (!is_elementwise(n->op) || o->store != NN_STORE_ARENA)
            continue;
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
    int npl = 0;
    for (int r = 0; r < nroots; r++) {
        nn_tensor *t = &g->t[roots[r]];
        size_t size = round_up(nn_tensor_bytes(t) ? nn_tensor_bytes(t) : 1);
        int nt = 0;
        for (int j = 0; j < npl; j++)
            if (pl[j].first <= t->last && t->first <= pl[j].last)
                tmp[nt++] = pl[j];
        qsort(tmp, (size_t)nt, sizeof *tmp, cmp_off);
        /* best fit: the smallest gap that holds `size` */
        size_t best = (size_t)-1, best_gap = (size_t)-1, cur = 0;
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
    p->arena = arena_alloc(high);
    if (!p->arena)
        goto out;
    memset(p->arena, 0, high);
    rc = SPATIA_OK;
out:
    free(roots);
    free(pl);
    free(tmp);
    return rc;
}

/* --- XNNPACK operators ---------------------------------------------------- */

static void shape_sz(const nn_shape *s, size_t *out)
{
    for (int i = 0; i < s->rank; i++)
        out[i] = (size_t)s->d[i];
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
            /* HWIO -> OHWI */
            size_t k = (size_t)kh * kw * ci;
            float *ohwi = malloc(k * (size_t)co * sizeof *ohwi);
            if (!ohwi)
                return SPATIA_NOMEM;
            for (size_t i = 0; i < k; i++)
                for (int o = 0; o < co; o++)
                    ohwi[(size_t)o * k + i] = w[i * (size_t)co + o];
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
        switch (n->op) {
        case NN_OP_ADD:
            s = xnn_create_add_nd_f32(lo, hi, 0, &op);
            if (!s)
                s = xnn_setup_add_nd_f32(op, (size_t)x->shape.rank, s1,
                                         (size_t)x2->shape.rank, s2, st->in[0],
                                         st->in[1], st->out[0], pool);
            break;
        case NN_OP_SUB:
            s = xnn_create_subtract_nd_f32(lo, hi, 0, &op);
            if (!s)
                s = xnn_setup_subtract_nd_f32(
                    op, (size_t)x->shape.rank, s1, (size_t)x2->shape.rank, s2,
                    st->in[0], st->in[1], st->out[0], pool);
            break;
        case NN_OP_MUL:
            s = xnn_create_multiply_nd_f32(lo, hi, 0, &op);
            if (!s)
                s = xnn_setup_multiply_nd_f32(
                    op, (size_t)x->shape.rank, s1, (size_t)x2->shape.rank, s2,
                    st->in[0], st->in[1], st->out[0], pool);
            break;
        case NN_OP_DIV:
            s = xnn_create_divide_nd_f32(lo, hi, 0, &op);
            if (!s)
                s = xnn_setup_divide_nd_f32(
                    op, (size_t)x->shape.rank, s1, (size_t)x2->shape.rank, s2,
                    st->in[0], st->in[1], st->out[0], pool);
            break;
        case NN_OP_MAXIMUM:
            s = xnn_create_maximum_nd_f32(0, &op);
            if (!s)
                s = xnn_setup_maximum_nd_f32(
                    op, (size_t)x->shape.rank, s1, (size_t)x2->shape.rank, s2,
                    st->in[0], st->in[1], st->out[0], pool);
            break;
        default:
            s = xnn_create_minimum_nd_f32(0, &op);
            if (!s)
                s = xnn_setup_minimum_nd_f32(
                    op, (size_t)x->shape.rank, s1, (size_t)x2->shape.rank, s2,
                    st->in[0], st->in[1], st->out[0], pool);
            break;
        }
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
        if (x->shape.rank != 4 || n->a.axes_mask != 0x6 ||
            y->store == NN_STORE_VIEW)
            return SPATIA_OK;
        s = xnn_create_global_average_pooling_nwc_f32(
            (size_t)x->shape.d[3], (size_t)x->shape.d[3], (size_t)x->shape.d[3],
            lo, hi, 0, &op);
        if (!s)
            s = xnn_setup_global_average_pooling_nwc_f32(
                op, (size_t)x->shape.d[0],
                (size_t)x->shape.d[1] * (size_t)x->shape.d[2], st->in[0],
                st->out[0], pool);
        break;
    case NN_OP_MAXPOOL: {
        size_t c = (size_t)x->shape.d[3];
        size_t ostride = y->store == NN_STORE_VIEW ? (size_t)y->row_stride : c;
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
        size_t ostride = y->store == NN_STORE_VIEW ? (size_t)y->row_stride : c;
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

int nn_plan_build(nn_graph *g, nn_plan *p, int threads, int portable,
                  char *errbuf, int errlen)
{
    int rc;
    memset(p, 0, sizeof *p);
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
    return SPATIA_OK;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int nn_plan_run(const nn_graph *g, nn_plan *p, int profile)
{
    for (int s = 0; s < p->nsteps; s++) {
        nn_step *st = &p->steps[s];
        const nn_node *n = &g->n[st->node];
        double t0 = profile ? now_s() : 0;
        if (st->op) {
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
        free(p->steps[s].scratch);
    }
    free(p->steps);
    nn_free_aligned(p->arena);
    if (p->pool)
        pthreadpool_destroy(p->pool);
    memset(p, 0, sizeof *p);
}
