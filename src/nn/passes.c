/*
 * passes.c - graph passes: execution order, shape inference with constant
 * folding, fusions and dead-node removal (see graph.h).
 *
 * Shape inference also validates: an op whose inputs have the wrong dtype,
 * rank or size, or whose shape-defining inputs (Reshape's shape, a slice's
 * bounds, TopK's k, ...) are not constants, is rejected with a message that
 * names the node. Nodes whose inputs are all constant are evaluated at load
 * time with the portable kernels and become constants.
 *
 * Fusions (each keeps the math of the original graph up to float rounding):
 *   - Identity nodes are bypassed;
 *   - x * relu6(x + 3) * (1/6) in its TF forms becomes one HardSwish;
 *   - Relu / Relu6 / clamp after a convolution, an elementwise add/sub/mul,
 *     a mean or a max pool whose output has no other reader becomes that
 *     op's fused clamp;
 *   - an Add/Sub of a per-channel or scalar constant after a convolution is
 *     folded into its bias, a Mul by one into its filter and bias (and into
 *     the clamp bounds when the constant is a positive scalar);
 *   - x * cast(x == y) (CenterNet's peak mask) becomes one SelectEqual, and
 *     SelectEqual(x, maxpool(x)) -> Reshape -> TopK one PeakTopK scan;
 *   - an activation after a concat moves into the concat's inputs.
 * The execution order is depth first: consumers run right after their
 * producer when they can, which keeps fewer tensors alive.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/graph.h"
#include "spatia/error.h"

#define FOLD_MAX_BYTES ((size_t)64 << 20)

static int perr(char *errbuf, int errlen, int rc, const nn_node *n,
                const char *fmt, ...)
{
    if (errbuf && errlen > 0) {
        int o = 0;
        if (n)
            o = snprintf(errbuf, (size_t)errlen, "node '%s' (%s): ", n->name,
                         n->tf_op);
        if (o < 0 || o >= errlen)
            o = 0;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errbuf + o, (size_t)(errlen - o), fmt, ap);
        va_end(ap);
    }
    return rc;
}

#define FAIL(rc, ...) return perr(errbuf, errlen, rc, n, __VA_ARGS__)

static int is_const(const nn_graph *g, int t)
{
    return g->t[t].store == NN_STORE_CONST && g->t[t].data;
}

/* --- liveness and order --------------------------------------------------- */

/* Marks nodes that contribute to an output; others become dead. Also frees
 * the data of constants nothing live reads. */
static int mark_live(nn_graph *g)
{
    char *live = calloc((size_t)g->nn + 1, 1);
    int *stack = malloc(((size_t)g->nn + 1) * sizeof *stack);
    int sp = 0;
    if (!live || !stack) {
        free(live);
        free(stack);
        return SPATIA_NOMEM;
    }
    for (int i = 0; i < g->noutputs; i++) {
        int p = g->t[g->outputs[i].tensor].producer;
        if (p >= 0 && !g->n[p].dead && !live[p]) {
            live[p] = 1;
            stack[sp++] = p;
        }
    }
    while (sp > 0) {
        const nn_node *n = &g->n[stack[--sp]];
        for (int j = 0; j < n->nin; j++) {
            int p = g->t[n->in[j]].producer;
            if (p >= 0 && !g->n[p].dead && !live[p]) {
                live[p] = 1;
                stack[sp++] = p;
            }
        }
    }
    for (int i = 0; i < g->nn; i++)
        if (!live[i])
            g->n[i].dead = 1;
    /* use counts over live nodes; outputs count as a use */
    for (int i = 0; i < g->nt; i++)
        g->t[i].nuse = 0;
    for (int i = 0; i < g->nn; i++) {
        if (g->n[i].dead)
            continue;
        for (int j = 0; j < g->n[i].nin; j++)
            g->t[g->n[i].in[j]].nuse++;
    }
    for (int i = 0; i < g->noutputs; i++)
        g->t[g->outputs[i].tensor].nuse++;
    for (int i = 0; i < g->nt; i++) {
        nn_tensor *t = &g->t[i];
        if (t->nuse == 0 && t->store == NN_STORE_CONST && t->data) {
            nn_free_aligned(t->data);
            t->data = NULL;
            t->store = NN_STORE_NONE;
        }
    }
    free(live);
    free(stack);
    return SPATIA_OK;
}

/* Topological order of the live nodes (depth first, file order among
 * siblings). */
static int sort_nodes(nn_graph *g, char *errbuf, int errlen)
{
    int *indeg = calloc((size_t)g->nn + 1, sizeof *indeg);
    int *heap = malloc(((size_t)g->nn + 1) * sizeof *heap);
    int *order = malloc(((size_t)g->nn + 1) * sizeof *order);
    /* consumers as CSR over (node -> nodes reading one of its outputs) */
    int *cstart = calloc((size_t)g->nn + 2, sizeof *cstart);
    int *clist = NULL;
    int hn = 0, no = 0, live = 0, rc = SPATIA_OK;
    const nn_node *n = NULL;

    if (!indeg || !heap || !order || !cstart) {
        rc = SPATIA_NOMEM;
        goto out;
    }
    size_t edges = 0;
    for (int i = 0; i < g->nn; i++) {
        if (g->n[i].dead)
            continue;
        live++;
        for (int j = 0; j < g->n[i].nin; j++) {
            int p = g->t[g->n[i].in[j]].producer;
            if (p >= 0) {
                indeg[i]++;
                cstart[p + 1]++;
                edges++;
            }
        }
    }
    for (int i = 0; i < g->nn; i++)
        cstart[i + 1] += cstart[i];
    clist = malloc((edges + 1) * sizeof *clist);
    int *fill = calloc((size_t)g->nn + 1, sizeof *fill);
    if (!clist || !fill) {
        free(fill);
        rc = SPATIA_NOMEM;
        goto out;
    }
    for (int i = 0; i < g->nn; i++) {
        if (g->n[i].dead)
            continue;
        for (int j = 0; j < g->n[i].nin; j++) {
            int p = g->t[g->n[i].in[j]].producer;
            if (p >= 0)
                clist[cstart[p] + fill[p]++] = i;
        }
    }
    free(fill);
    /* Depth first: a stack of ready nodes, the consumers a node makes
     * ready go on top (lowest file index first). A tensor is then read
     * soon after it is written, while it is still in cache, and fewer
     * tensors are alive at once. */
    for (int i = g->nn - 1; i >= 0; i--)
        if (!g->n[i].dead && !indeg[i])
            heap[hn++] = i;
    while (hn > 0) {
        int v = heap[--hn];
        order[no++] = v;
        for (int e = cstart[v + 1] - 1; e >= cstart[v]; e--) {
            int c = clist[e];
            if (--indeg[c] == 0)
                heap[hn++] = c;
        }
    }
    if (no != live) {
        rc = perr(errbuf, errlen, SPATIA_MODEL, n, "the graph has a cycle");
        goto out;
    }
    free(g->order);
    g->order = order;
    g->norder = no;
    order = NULL;
out:
    free(indeg);
    free(heap);
    free(order);
    free(cstart);
    free(clist);
    return rc;
}

/* --- shape inference ------------------------------------------------------ */

/* Reads an int32 constant input as a vector (at most cap values). */
static int const_ints(const nn_graph *g, int t, int *out, int cap, int *cnt)
{
    const nn_tensor *x = &g->t[t];
    if (!is_const(g, t) || x->dtype != NN_I32 || x->shape.rank > 1)
        return -1;
    size_t n = nn_shape_elems(&x->shape);
    if (n > (size_t)cap)
        return -1;
    for (size_t i = 0; i < n; i++)
        out[i] = ((const int32_t *)x->data)[i];
    *cnt = (int)n;
    return 0;
}

static int set_out(nn_graph *g, const nn_node *n, int k, nn_dtype dt,
                   const nn_shape *s)
{
    nn_tensor *t = &g->t[n->out[k]];
    size_t e = 1;
    for (int i = 0; i < s->rank; i++) {
        if (s->d[i] < 0)
            return -1;
        if (s->d[i] && e > NN_MAX_ELEMS / (size_t)s->d[i])
            return -1;
        e *= (size_t)s->d[i];
    }
    t->dtype = dt;
    t->shape = *s;
    return 0;
}

/* Output size and padding of one spatial dim. */
static int window_dim(nn_padding pt, int in, int k, int s, int d, int *pb,
                      int *pa, int *out)
{
    long eff = (long)(k - 1) * d + 1;
    if (pt == NN_PAD_SAME) {
        long o = ((long)in + s - 1) / s;
        long total = (o - 1) * s + eff - in;
        if (total < 0)
            total = 0;
        *pb = (int)(total / 2);
        *pa = (int)(total - total / 2);
        *out = (int)o;
        return in > 0 ? 0 : -1;
    }
    if (pt == NN_PAD_VALID)
        *pb = *pa = 0;
    long span = (long)in + *pb + *pa;
    if (span < eff)
        return -1;
    *out = (int)((span - eff) / s + 1);
    return 0;
}

static int infer_window(nn_graph *g, nn_node *n, int kh, int kw, int co,
                        char *errbuf, int errlen)
{
    const nn_shape *xs = &g->t[n->in[0]].shape;
    nn_shape os = *xs;
    int oh, ow;
    int pt = n->a.pad[0], pb = n->a.pad[1], pl = n->a.pad[2], pr = n->a.pad[3];
    if (window_dim(n->a.padding, xs->d[1], kh, n->a.stride[0], n->a.dilation[0],
                   &pt, &pb, &oh) ||
        window_dim(n->a.padding, xs->d[2], kw, n->a.stride[1], n->a.dilation[1],
                   &pl, &pr, &ow))
        FAIL(SPATIA_MODEL, "window larger than the padded input");
    n->a.pad[0] = pt;
    n->a.pad[1] = pb;
    n->a.pad[2] = pl;
    n->a.pad[3] = pr;
    os.d[1] = oh;
    os.d[2] = ow;
    os.d[3] = co;
    if (set_out(g, n, 0, NN_F32, &os))
        FAIL(SPATIA_MODEL, "output too large");
    return SPATIA_OK;
}

static int broadcast(const nn_shape *a, const nn_shape *b, nn_shape *o)
{
    int r = a->rank > b->rank ? a->rank : b->rank;
    o->rank = r;
    for (int i = 0; i < r; i++) {
        int ai = i - (r - a->rank), bi = i - (r - b->rank);
        int da = ai >= 0 ? a->d[ai] : 1, db = bi >= 0 ? b->d[bi] : 1;
        if (da != db && da != 1 && db != 1)
            return -1;
        o->d[i] = da == 1 ? db : da;
    }
    return 0;
}

static int infer(nn_graph *g, nn_node *n, char *errbuf, int errlen)
{
    const nn_tensor *x = &g->t[n->in[0]];
    const nn_shape *xs = &x->shape;
    nn_shape os;
    char b1[64], b2[64];
    int v[NN_MAX_RANK * 2 + 2], cnt = 0;

    switch (n->op) {
    case NN_OP_IDENTITY:
        if (set_out(g, n, 0, x->dtype, xs))
            FAIL(SPATIA_MODEL, "bad shape");
        return SPATIA_OK;
    case NN_OP_CONV2D:
    case NN_OP_DWCONV2D: {
        const nn_tensor *w = &g->t[n->in[1]];
        const int dw = n->op == NN_OP_DWCONV2D;
        if (x->dtype != NN_F32 || xs->rank != 4)
            FAIL(SPATIA_MODEL, "input must be float32 NHWC, got %s %s",
                 nn_dtype_name(x->dtype), nn_shape_str(xs, b1, sizeof b1));
        if (!is_const(g, n->in[1]) || w->dtype != NN_F32 || w->shape.rank != 4)
            FAIL(SPATIA_UNSUPPORTED, "filter must be a constant float32 "
                                     "[h,w,in,out]");
        if (w->shape.d[2] != xs->d[3])
            FAIL(SPATIA_MODEL, "filter %s does not match input %s",
                 nn_shape_str(&w->shape, b1, sizeof b1),
                 nn_shape_str(xs, b2, sizeof b2));
        long co = dw ? (long)w->shape.d[2] * w->shape.d[3] : w->shape.d[3];
        if (co <= 0 || co > (1 << 24) || w->shape.d[0] <= 0 ||
            w->shape.d[1] <= 0)
            FAIL(SPATIA_MODEL, "empty or huge filter");
        if (n->nin > 2) {
            const nn_tensor *b = &g->t[n->in[2]];
            if (!is_const(g, n->in[2]) || b->dtype != NN_F32 ||
                b->shape.rank != 1 || b->shape.d[0] != co)
                FAIL(SPATIA_MODEL, "bias must be a constant float32 [%ld]", co);
        }
        return infer_window(g, n, w->shape.d[0], w->shape.d[1], (int)co, errbuf,
                            errlen);
    }
    case NN_OP_MAXPOOL:
    case NN_OP_AVGPOOL:
        if (x->dtype != NN_F32 || xs->rank != 4)
            FAIL(SPATIA_MODEL, "input must be float32 NHWC");
        return infer_window(g, n, n->a.ksize[0], n->a.ksize[1], xs->d[3],
                            errbuf, errlen);
    case NN_OP_ADD:
    case NN_OP_SUB:
    case NN_OP_MUL:
    case NN_OP_DIV:
    case NN_OP_MAXIMUM:
    case NN_OP_MINIMUM:
    case NN_OP_FLOORDIV:
    case NN_OP_FLOORMOD:
    case NN_OP_EQUAL:
    case NN_OP_NOT_EQUAL:
    case NN_OP_GREATER:
    case NN_OP_GREATER_EQUAL:
    case NN_OP_LESS:
    case NN_OP_LESS_EQUAL:
    case NN_OP_SELECT_EQ: {
        const nn_tensor *y = &g->t[n->in[1]];
        int cmp = n->op >= NN_OP_EQUAL && n->op <= NN_OP_LESS_EQUAL;
        if (x->dtype != y->dtype)
            FAIL(SPATIA_MODEL, "operands are %s and %s",
                 nn_dtype_name(x->dtype), nn_dtype_name(y->dtype));
        if (x->dtype == NN_BOOL && !cmp)
            FAIL(SPATIA_UNSUPPORTED, "arithmetic on bool");
        if (n->op == NN_OP_SELECT_EQ && x->dtype != NN_F32)
            FAIL(SPATIA_MODEL, "SelectEqual needs float32");
        if (broadcast(xs, &y->shape, &os))
            FAIL(SPATIA_MODEL, "shapes %s and %s do not broadcast",
                 nn_shape_str(xs, b1, sizeof b1),
                 nn_shape_str(&y->shape, b2, sizeof b2));
        if (set_out(g, n, 0, cmp ? NN_BOOL : x->dtype, &os))
            FAIL(SPATIA_MODEL, "output too large");
        return SPATIA_OK;
    }
    case NN_OP_RELU:
    case NN_OP_RELU6:
    case NN_OP_CLAMP:
    case NN_OP_SIGMOID:
    case NN_OP_TANH:
    case NN_OP_HARDSWISH:
        if (x->dtype != NN_F32)
            FAIL(SPATIA_UNSUPPORTED, "%s input", nn_dtype_name(x->dtype));
        set_out(g, n, 0, NN_F32, xs);
        return SPATIA_OK;
    case NN_OP_MEAN: {
        if (x->dtype != NN_F32)
            FAIL(SPATIA_UNSUPPORTED, "%s input", nn_dtype_name(x->dtype));
        if (const_ints(g, n->in[1], v, NN_MAX_RANK, &cnt))
            FAIL(SPATIA_UNSUPPORTED, "axes must be a constant int32 vector");
        int mask = 0;
        for (int i = 0; i < cnt; i++) {
            int a = v[i] < 0 ? v[i] + xs->rank : v[i];
            if (a < 0 || a >= xs->rank || (mask & (1 << a)))
                FAIL(SPATIA_MODEL, "bad axis %d for rank %d", v[i], xs->rank);
            mask |= 1 << a;
        }
        n->a.axes_mask = mask;
        os.rank = 0;
        for (int i = 0; i < xs->rank; i++) {
            if (!(mask & (1 << i)))
                os.d[os.rank++] = xs->d[i];
            else if (n->a.keep_dims)
                os.d[os.rank++] = 1;
        }
        set_out(g, n, 0, NN_F32, &os);
        return SPATIA_OK;
    }
    case NN_OP_CONCAT: {
        int ni = n->nin - 1, ax;
        if (const_ints(g, n->in[ni], v, 1, &cnt) || cnt != 1)
            FAIL(SPATIA_UNSUPPORTED, "axis must be a constant int32 scalar");
        ax = v[0] < 0 ? v[0] + xs->rank : v[0];
        if (ax < 0 || ax >= xs->rank)
            FAIL(SPATIA_MODEL, "bad axis %d for rank %d", v[0], xs->rank);
        os = *xs;
        long total = xs->d[ax];
        for (int i = 1; i < ni; i++) {
            const nn_tensor *y = &g->t[n->in[i]];
            if (y->dtype != x->dtype || y->shape.rank != xs->rank)
                FAIL(SPATIA_MODEL, "input %d differs in dtype or rank", i);
            for (int d = 0; d < xs->rank; d++)
                if (d != ax && y->shape.d[d] != xs->d[d])
                    FAIL(SPATIA_MODEL, "input %d has shape %s, input 0 %s", i,
                         nn_shape_str(&y->shape, b1, sizeof b1),
                         nn_shape_str(xs, b2, sizeof b2));
            total += y->shape.d[ax];
        }
        if (total > (1L << 30))
            FAIL(SPATIA_MODEL, "output too large");
        os.d[ax] = (int)total;
        n->a.axis = ax;
        if (set_out(g, n, 0, x->dtype, &os))
            FAIL(SPATIA_MODEL, "output too large");
        return SPATIA_OK;
    }
    case NN_OP_RESHAPE: {
        if (const_ints(g, n->in[1], v, NN_MAX_RANK + 1, &cnt) ||
            g->t[n->in[1]].shape.rank != 1)
            FAIL(SPATIA_UNSUPPORTED, "shape must be a constant int32 vector");
        if (cnt > NN_MAX_RANK)
            FAIL(SPATIA_UNSUPPORTED, "more than %d dimensions", NN_MAX_RANK);
        size_t total = nn_shape_elems(xs), known = 1;
        int infer_at = -1;
        os.rank = cnt;
        for (int i = 0; i < cnt; i++) {
            if (v[i] == -1 && infer_at < 0) {
                infer_at = i;
                os.d[i] = 1;
            } else if (v[i] < 0) {
                FAIL(SPATIA_MODEL, "bad dimension %d", v[i]);
            } else {
                os.d[i] = v[i];
                known *= (size_t)v[i];
                if (known > NN_MAX_ELEMS)
                    FAIL(SPATIA_MODEL, "shape too large");
            }
        }
        if (infer_at >= 0) {
            if (known == 0 || total % known)
                FAIL(SPATIA_MODEL, "cannot reshape %s to the requested shape",
                     nn_shape_str(xs, b1, sizeof b1));
            os.d[infer_at] = (int)(total / known);
        }
        if (nn_shape_elems(&os) != total)
            FAIL(SPATIA_MODEL, "cannot reshape %s to %s",
                 nn_shape_str(xs, b1, sizeof b1),
                 nn_shape_str(&os, b2, sizeof b2));
        set_out(g, n, 0, x->dtype, &os);
        return SPATIA_OK;
    }
    case NN_OP_EXPAND_DIMS: {
        if (const_ints(g, n->in[1], v, 1, &cnt) || cnt != 1)
            FAIL(SPATIA_UNSUPPORTED, "dim must be a constant int32 scalar");
        int d = v[0] < 0 ? v[0] + xs->rank + 1 : v[0];
        if (d < 0 || d > xs->rank || xs->rank >= NN_MAX_RANK)
            FAIL(SPATIA_MODEL, "bad dim %d for rank %d", v[0], xs->rank);
        os.rank = xs->rank + 1;
        for (int i = 0, j = 0; i < os.rank; i++)
            os.d[i] = i == d ? 1 : xs->d[j++];
        set_out(g, n, 0, x->dtype, &os);
        return SPATIA_OK;
    }
    case NN_OP_SQUEEZE: {
        int mask = 0;
        for (int i = 0; i < n->a.nsq; i++) {
            int d = n->a.sq_dims[i] < 0 ? n->a.sq_dims[i] + xs->rank
                                        : n->a.sq_dims[i];
            if (d < 0 || d >= xs->rank || xs->d[d] != 1)
                FAIL(SPATIA_MODEL, "cannot squeeze dim %d of %s",
                     n->a.sq_dims[i], nn_shape_str(xs, b1, sizeof b1));
            mask |= 1 << d;
        }
        if (!n->a.nsq)
            for (int d = 0; d < xs->rank; d++)
                if (xs->d[d] == 1)
                    mask |= 1 << d;
        n->a.axes_mask = mask;
        os.rank = 0;
        for (int d = 0; d < xs->rank; d++)
            if (!(mask & (1 << d)))
                os.d[os.rank++] = xs->d[d];
        set_out(g, n, 0, x->dtype, &os);
        return SPATIA_OK;
    }
    case NN_OP_CAST:
        set_out(g, n, 0, n->a.dst, xs);
        return SPATIA_OK;
    case NN_OP_STRIDED_SLICE: {
        int bv[NN_MAX_RANK], ev[NN_MAX_RANK], sv[NN_MAX_RANK], nb, ne, ns;
        if (const_ints(g, n->in[1], bv, NN_MAX_RANK, &nb) ||
            const_ints(g, n->in[2], ev, NN_MAX_RANK, &ne) ||
            const_ints(g, n->in[3], sv, NN_MAX_RANK, &ns))
            FAIL(SPATIA_UNSUPPORTED,
                 "begin/end/strides must be constant int32 vectors");
        if (nb != ne || nb != ns || nb > xs->rank)
            FAIL(SPATIA_MODEL, "begin/end/strides lengths %d/%d/%d for rank %d",
                 nb, ne, ns, xs->rank);
        os.rank = 0;
        for (int d = 0; d < xs->rank; d++) {
            long D = xs->d[d], s = d < nb ? sv[d] : 1, b, e;
            if (s == 0)
                FAIL(SPATIA_MODEL, "stride 0");
            int bm = d >= nb || (n->a.begin_mask >> d & 1);
            int em = d >= nb || (n->a.end_mask >> d & 1);
            int sh = d < nb && (n->a.shrink_mask >> d & 1);
            long lo = s > 0 ? 0 : -1, hi = s > 0 ? D : D - 1;
            if (sh) {
                b = bv[d] < 0 ? bv[d] + D : bv[d];
                if (b < 0 || b >= D)
                    FAIL(SPATIA_MODEL, "shrink index %d out of range for %ld",
                         bv[d], D);
                e = b + 1;
                s = 1;
            } else {
                if (bm) {
                    b = s > 0 ? lo : hi;
                } else {
                    b = bv[d] < 0 ? bv[d] + D : bv[d];
                    b = b < lo ? lo : (b > hi ? hi : b);
                }
                if (em) {
                    e = s > 0 ? hi : lo;
                } else {
                    e = ev[d] < 0 ? ev[d] + D : ev[d];
                    e = e < lo ? lo : (e > hi ? hi : e);
                }
            }
            long size = s > 0 ? (e - b + s - 1) / s : (b - e + (-s) - 1) / (-s);
            if (size < 0)
                size = 0;
            n->a.sl_begin[d] = (int)b;
            n->a.sl_stride[d] = (int)s;
            n->a.sl_size[d] = (int)size;
            if (!sh)
                os.d[os.rank++] = (int)size;
        }
        set_out(g, n, 0, x->dtype, &os);
        return SPATIA_OK;
    }
    case NN_OP_RESIZE_BILINEAR:
        if (x->dtype != NN_F32 || xs->rank != 4)
            FAIL(SPATIA_UNSUPPORTED, "input must be float32 NHWC");
        if (const_ints(g, n->in[1], v, 2, &cnt) || cnt != 2)
            FAIL(SPATIA_UNSUPPORTED, "size must be a constant int32 [2]");
        if (v[0] < 1 || v[1] < 1 || v[0] > 65536 || v[1] > 65536 ||
            xs->d[1] < 1 || xs->d[2] < 1)
            FAIL(SPATIA_MODEL, "bad size %dx%d", v[0], v[1]);
        os = *xs;
        os.d[1] = v[0];
        os.d[2] = v[1];
        if (set_out(g, n, 0, NN_F32, &os))
            FAIL(SPATIA_MODEL, "output too large");
        return SPATIA_OK;
    case NN_OP_PAD: {
        const nn_tensor *p = &g->t[n->in[1]];
        if (const_ints(g, n->in[1], v, NN_MAX_RANK * 2, &cnt) &&
            !(is_const(g, n->in[1]) && p->dtype == NN_I32 &&
              p->shape.rank == 2 &&
              nn_shape_elems(&p->shape) <= 2 * NN_MAX_RANK))
            FAIL(SPATIA_UNSUPPORTED, "paddings must be a constant int32");
        if (p->shape.rank != 2 || p->shape.d[0] != xs->rank ||
            p->shape.d[1] != 2)
            FAIL(SPATIA_MODEL, "paddings must be [%d,2]", xs->rank);
        const int32_t *pv = p->data;
        os = *xs;
        for (int d = 0; d < xs->rank; d++) {
            if (pv[2 * d] < 0 || pv[2 * d + 1] < 0 || pv[2 * d] > 65536 ||
                pv[2 * d + 1] > 65536)
                FAIL(SPATIA_UNSUPPORTED, "negative or huge padding");
            n->a.padv[d][0] = pv[2 * d];
            n->a.padv[d][1] = pv[2 * d + 1];
            os.d[d] += pv[2 * d] + pv[2 * d + 1];
        }
        n->a.pad_value = 0;
        if (n->nin > 2) {
            const nn_tensor *c = &g->t[n->in[2]];
            if (!is_const(g, n->in[2]) || c->dtype != x->dtype ||
                nn_shape_elems(&c->shape) != 1)
                FAIL(SPATIA_UNSUPPORTED, "pad value must be a constant "
                                         "scalar");
            n->a.pad_value =
                x->dtype == NN_F32
                    ? ((const float *)c->data)[0]
                    : (x->dtype == NN_I32 ? ((const int32_t *)c->data)[0]
                                          : ((const uint8_t *)c->data)[0]);
        }
        if (set_out(g, n, 0, x->dtype, &os))
            FAIL(SPATIA_MODEL, "output too large");
        return SPATIA_OK;
    }
    case NN_OP_TOPK:
        if (x->dtype == NN_BOOL || xs->rank < 1)
            FAIL(SPATIA_UNSUPPORTED, "input must be a numeric tensor");
        if (const_ints(g, n->in[1], v, 1, &cnt) || cnt != 1)
            FAIL(SPATIA_UNSUPPORTED, "k must be a constant int32 scalar");
        if (v[0] < 0 || v[0] > xs->d[xs->rank - 1])
            FAIL(SPATIA_MODEL, "k = %d outside [0,%d]", v[0],
                 xs->d[xs->rank - 1]);
        n->a.k = v[0];
        os = *xs;
        os.d[os.rank - 1] = v[0];
        set_out(g, n, 0, x->dtype, &os);
        set_out(g, n, 1, NN_I32, &os);
        return SPATIA_OK;
    case NN_OP_GATHER: {
        const nn_tensor *ind = &g->t[n->in[1]];
        if (ind->dtype != NN_I32)
            FAIL(SPATIA_UNSUPPORTED, "indices must be int32");
        if (const_ints(g, n->in[2], v, 1, &cnt) || cnt != 1)
            FAIL(SPATIA_UNSUPPORTED, "axis must be a constant int32 scalar");
        int ax = v[0] < 0 ? v[0] + xs->rank : v[0];
        if (ax < 0 || ax >= xs->rank)
            FAIL(SPATIA_MODEL, "bad axis %d for rank %d", v[0], xs->rank);
        if (xs->rank - 1 + ind->shape.rank > NN_MAX_RANK)
            FAIL(SPATIA_UNSUPPORTED, "result has more than %d dims",
                 NN_MAX_RANK);
        n->a.axis = ax;
        os.rank = 0;
        for (int d = 0; d < ax; d++)
            os.d[os.rank++] = xs->d[d];
        for (int d = 0; d < ind->shape.rank; d++)
            os.d[os.rank++] = ind->shape.d[d];
        for (int d = ax + 1; d < xs->rank; d++)
            os.d[os.rank++] = xs->d[d];
        if (set_out(g, n, 0, x->dtype, &os))
            FAIL(SPATIA_MODEL, "output too large");
        return SPATIA_OK;
    }
    case NN_OP_PEAK_TOPK: /* made after inference */
    case NN_OP_COUNT:
        break;
    }
    FAIL(SPATIA_UNSUPPORTED, "no shape function");
}

/* Evaluates a node whose inputs are all constants. */
static int fold(nn_graph *g, nn_node *n)
{
    const void *in[NN_MAX_IN];
    void *out[NN_MAX_OUT] = {NULL, NULL};
    void *scratch = NULL;
    int rc = SPATIA_NOMEM;

    for (int k = 0; k < n->nout; k++) {
        out[k] = nn_alloc_aligned(nn_tensor_bytes(&g->t[n->out[k]]));
        if (!out[k])
            goto fail;
    }
    for (int j = 0; j < n->nin; j++)
        in[j] = g->t[n->in[j]].data;
    size_t ss = nn_kernel_scratch(g, n, 1);
    if (ss && !(scratch = malloc(ss)))
        goto fail;
    rc = nn_kernel_run(g, n, in, out, scratch, NULL);
    free(scratch);
    if (rc)
        goto fail;
    for (int k = 0; k < n->nout; k++) {
        nn_tensor *t = &g->t[n->out[k]];
        t->data = out[k];
        t->store = NN_STORE_CONST;
        t->producer = -1;
    }
    n->dead = 1;
    return SPATIA_OK;
fail:
    for (int k = 0; k < n->nout; k++)
        nn_free_aligned(out[k]);
    return rc;
}

static int infer_all(nn_graph *g, char *errbuf, int errlen)
{
    for (int i = 0; i < g->norder; i++) {
        nn_node *n = &g->n[g->order[i]];
        int rc = infer(g, n, errbuf, errlen);
        if (rc)
            return rc;
        int all_const = 1;
        size_t bytes = 0;
        for (int j = 0; j < n->nin; j++)
            all_const &= is_const(g, n->in[j]);
        for (int k = 0; k < n->nout; k++)
            bytes += nn_tensor_bytes(&g->t[n->out[k]]);
        if (all_const && bytes <= FOLD_MAX_BYTES) {
            rc = fold(g, n);
            if (rc == SPATIA_RANGE)
                FAIL(SPATIA_MODEL, "constant index out of range");
            if (rc)
                return rc;
        }
    }
    return SPATIA_OK;
}

/* --- fusions -------------------------------------------------------------- */

static nn_node *producer(nn_graph *g, int t)
{
    int p = g->t[t].producer;
    return p >= 0 && !g->n[p].dead ? &g->n[p] : NULL;
}

/* Scalar float constant value of t, or NAN. */
static double scalar_of(const nn_graph *g, int t)
{
    const nn_tensor *x = &g->t[t];
    if (!is_const(g, t) || x->dtype != NN_F32 || nn_shape_elems(&x->shape) != 1)
        return NAN;
    return ((const float *)x->data)[0];
}

static void replace_uses(nn_graph *g, int from, int to)
{
    for (int i = 0; i < g->nn; i++) {
        nn_node *n = &g->n[i];
        if (n->dead)
            continue;
        for (int j = 0; j < n->nin; j++)
            if (n->in[j] == from) {
                n->in[j] = to;
                g->t[from].nuse--;
                g->t[to].nuse++;
            }
    }
    for (int i = 0; i < g->noutputs; i++)
        if (g->outputs[i].tensor == from) {
            g->outputs[i].tensor = to;
            g->t[from].nuse--;
            g->t[to].nuse++;
        }
}

/* Kills node d: its inputs lose a reader. */
static void kill(nn_graph *g, nn_node *d)
{
    for (int j = 0; j < d->nin; j++)
        g->t[d->in[j]].nuse--;
    d->dead = 1;
}

/* Makes node p produce r's output instead of its own (r is then killed). */
static void take_output(nn_graph *g, nn_node *p, nn_node *r)
{
    int old = p->out[0], nw = r->out[0];
    kill(g, r);
    p->out[0] = nw;
    g->t[nw].producer = (int)(p - g->n);
    g->t[old].producer = -1;
    g->t[old].store = NN_STORE_NONE;
}

static int fuse_identity(nn_graph *g)
{
    int changed = 0;
    for (int i = 0; i < g->nn; i++) {
        nn_node *n = &g->n[i];
        if (n->dead || n->op != NN_OP_IDENTITY)
            continue;
        int in = n->in[0], out = n->out[0];
        kill(g, n);
        replace_uses(g, out, in);
        changed = 1;
    }
    return changed;
}

/* MUL(MUL(x, 1/6), RELU6(ADD(x, 3))) in any operand order. */
static int fuse_hardswish(nn_graph *g)
{
    int changed = 0;
    for (int i = 0; i < g->nn; i++) {
        nn_node *m = &g->n[i];
        if (m->dead || m->op != NN_OP_MUL || g->t[m->in[0]].dtype != NN_F32)
            continue;
        for (int s = 0; s < 2; s++) {
            nn_node *m1 = producer(g, m->in[s]), *r = producer(g, m->in[1 - s]);
            if (!m1 || !r || m1->op != NN_OP_MUL || r->op != NN_OP_RELU6 ||
                g->t[m->in[s]].nuse != 1 || g->t[m->in[1 - s]].nuse != 1)
                continue;
            nn_node *a = producer(g, r->in[0]);
            if (!a || a->op != NN_OP_ADD || a->a.has_act ||
                g->t[r->in[0]].nuse != 1)
                continue;
            int x = -1;
            double c = NAN;
            for (int k = 0; k < 2; k++) {
                /* 1/6, possibly rounded to float16 by the converter */
                double v = scalar_of(g, m1->in[k]);
                if (fabs(v - 1.0 / 6.0) <= 1e-3 / 6.0) {
                    x = m1->in[1 - k];
                    c = v;
                }
            }
            int xa = -1;
            for (int k = 0; k < 2; k++)
                if (scalar_of(g, a->in[k]) == 3.0)
                    xa = a->in[1 - k];
            if (x < 0 || x != xa)
                continue;
            if (!nn_shape_eq(&g->t[x].shape, &g->t[m->out[0]].shape))
                continue;
            kill(g, m1);
            kill(g, r);
            kill(g, a);
            g->t[m->in[0]].nuse--;
            g->t[m->in[1]].nuse--;
            m->op = NN_OP_HARDSWISH;
            m->a.hs_scale = (float)c;
            m->nin = 1;
            m->in[0] = x;
            g->t[x].nuse++;
            changed = 1;
            break;
        }
    }
    return changed;
}

static int clamp_capable(nn_op op)
{
    switch (op) {
    case NN_OP_CONV2D:
    case NN_OP_DWCONV2D:
    case NN_OP_ADD:
    case NN_OP_SUB:
    case NN_OP_MUL:
    case NN_OP_DIV:
    case NN_OP_MEAN:
    case NN_OP_MAXPOOL:
    case NN_OP_AVGPOOL:
        return 1;
    default:
        return 0;
    }
}

static int fuse_activation(nn_graph *g)
{
    int changed = 0;
    for (int i = 0; i < g->nn; i++) {
        nn_node *r = &g->n[i];
        if (r->dead || (r->op != NN_OP_RELU && r->op != NN_OP_RELU6 &&
                        r->op != NN_OP_CLAMP))
            continue;
        nn_node *p = producer(g, r->in[0]);
        if (!p || !clamp_capable(p->op) || p->nout != 1 ||
            g->t[r->in[0]].nuse != 1 || g->t[r->in[0]].dtype != NN_F32)
            continue;
        float lo = r->op == NN_OP_CLAMP ? r->a.act_min : 0.0f;
        float hi = r->op == NN_OP_RELU6   ? 6.0f
                   : r->op == NN_OP_CLAMP ? r->a.act_max
                                          : INFINITY;
        float plo = p->a.has_act ? p->a.act_min : -INFINITY;
        float phi = p->a.has_act ? p->a.act_max : INFINITY;
        float nlo = lo > plo ? lo : plo, nhi = hi < phi ? hi : phi;
        if (!(nlo <= nhi))
            continue;
        p->a.has_act = 1;
        p->a.act_min = nlo;
        p->a.act_max = nhi;
        take_output(g, p, r);
        changed = 1;
    }
    return changed;
}

/* A copy of constant t as a new constant tensor (so shared constants are
 * never modified in place). Returns the new index or < 0. */
static int clone_const(nn_graph *g, int t, size_t elems_override)
{
    char name[600];
    snprintf(name, sizeof name, "%s/fused", g->t[t].name);
    int c = nn_graph_add_tensor(g, name, g->t[t].dtype);
    if (c < 0)
        return c;
    nn_tensor *src = &g->t[t], *dst = &g->t[c];
    dst->shape = src->shape;
    size_t bytes =
        elems_override ? elems_override * sizeof(float) : nn_tensor_bytes(src);
    dst->data = nn_alloc_aligned(bytes);
    if (!dst->data)
        return SPATIA_NOMEM;
    if (!elems_override)
        memcpy(dst->data, src->data, bytes);
    dst->store = NN_STORE_CONST;
    return c;
}

/* 1 when c is a float constant that broadcasts to [co] along the channel
 * axis: a scalar, [co] or [1,..,1,co]. */
static int per_channel(const nn_graph *g, int c, int co)
{
    const nn_tensor *t = &g->t[c];
    if (!is_const(g, c) || t->dtype != NN_F32)
        return 0;
    size_t e = nn_shape_elems(&t->shape);
    if (e == 1)
        return 1;
    if (e != (size_t)co || t->shape.rank < 1 ||
        t->shape.d[t->shape.rank - 1] != co)
        return 0;
    return 1;
}

static int fuse_bias_scale(nn_graph *g, int *err)
{
    int changed = 0;
    for (int i = 0; i < g->nn && !*err; i++) {
        nn_node *e = &g->n[i];
        if (e->dead ||
            (e->op != NN_OP_ADD && e->op != NN_OP_SUB && e->op != NN_OP_MUL))
            continue;
        for (int s = 0; s < 2; s++) {
            if (e->op == NN_OP_SUB && s == 1)
                break; /* only conv - c */
            int t = e->in[s], c = e->in[1 - s];
            nn_node *p = producer(g, t);
            if (!p || (p->op != NN_OP_CONV2D && p->op != NN_OP_DWCONV2D) ||
                g->t[t].nuse != 1)
                continue;
            int co = g->t[t].shape.d[3];
            if (!per_channel(g, c, co) ||
                !nn_shape_eq(&g->t[t].shape, &g->t[e->out[0]].shape))
                continue;
            const float *cv = g->t[c].data;
            int scalar = nn_shape_elems(&g->t[c].shape) == 1;
            if (e->op == NN_OP_MUL && p->a.has_act &&
                (!scalar || !(cv[0] > 0.0f)))
                continue;
            if (e->op != NN_OP_MUL && p->a.has_act)
                continue;
            if (e->op == NN_OP_MUL && e->a.has_act)
                continue;
            /* new bias */
            int nb;
            if (p->nin > 2) {
                nb = clone_const(g, p->in[2], 0);
            } else {
                nb = nn_graph_add_tensor(g, "fused_bias", NN_F32);
                if (nb >= 0) {
                    g->t[nb].shape.rank = 1;
                    g->t[nb].shape.d[0] = co;
                    g->t[nb].data = nn_alloc_aligned((size_t)co * 4);
                    g->t[nb].store = NN_STORE_CONST;
                    if (!g->t[nb].data)
                        nb = SPATIA_NOMEM;
                    else
                        memset(g->t[nb].data, 0, (size_t)co * 4);
                }
            }
            if (nb < 0) {
                *err = nb;
                break;
            }
            /* pointers may have moved with the tensor array */
            cv = g->t[c].data;
            float *bias = g->t[nb].data;
            if (e->op == NN_OP_MUL) {
                int nw = clone_const(g, p->in[1], 0);
                if (nw < 0) {
                    *err = nw;
                    break;
                }
                cv = g->t[c].data;
                bias = g->t[nb].data;
                float *w = g->t[nw].data;
                size_t we = nn_shape_elems(&g->t[nw].shape);
                for (size_t k = 0; k < we; k++)
                    w[k] *= cv[scalar ? 0 : k % (size_t)co];
                for (int o = 0; o < co; o++)
                    bias[o] *= cv[scalar ? 0 : o];
                if (p->a.has_act) {
                    p->a.act_min *= cv[0];
                    p->a.act_max *= cv[0];
                }
                g->t[p->in[1]].nuse--;
                p->in[1] = nw;
                g->t[nw].nuse++;
            } else {
                float sign = e->op == NN_OP_SUB ? -1.0f : 1.0f;
                for (int o = 0; o < co; o++)
                    bias[o] += sign * cv[scalar ? 0 : o];
                if (e->a.has_act) {
                    p->a.has_act = 1;
                    p->a.act_min = e->a.act_min;
                    p->a.act_max = e->a.act_max;
                }
            }
            if (p->nin > 2) {
                g->t[p->in[2]].nuse--;
            } else {
                p->nin = 3;
            }
            p->in[2] = nb;
            g->t[nb].nuse++;
            take_output(g, p, e);
            changed = 1;
            break;
        }
    }
    return changed;
}

/* MUL(x, CAST(EQUAL(x, y))) -> SELECT_EQ(x, y). */
static int fuse_select_eq(nn_graph *g)
{
    int changed = 0;
    for (int i = 0; i < g->nn; i++) {
        nn_node *m = &g->n[i];
        if (m->dead || m->op != NN_OP_MUL || m->a.has_act ||
            g->t[m->in[0]].dtype != NN_F32)
            continue;
        for (int s = 0; s < 2; s++) {
            int x = m->in[1 - s];
            nn_node *c = producer(g, m->in[s]);
            if (!c || c->op != NN_OP_CAST || c->a.dst != NN_F32 ||
                g->t[m->in[s]].nuse != 1)
                continue;
            nn_node *q = producer(g, c->in[0]);
            if (!q || q->op != NN_OP_EQUAL || g->t[c->in[0]].nuse != 1 ||
                q->in[0] != x)
                continue;
            int y = q->in[1];
            const nn_shape *os = &g->t[m->out[0]].shape;
            if (!nn_shape_eq(&g->t[x].shape, os) ||
                !nn_shape_eq(&g->t[y].shape, os) || g->t[y].dtype != NN_F32)
                continue;
            kill(g, c);
            kill(g, q);
            g->t[m->in[s]].nuse--; /* the cast output is no longer read */
            m->op = NN_OP_SELECT_EQ;
            m->in[0] = x;
            m->in[1] = y;
            g->t[y].nuse++;
            changed = 1;
            break;
        }
    }
    return changed;
}

/* RELU/RELU6/CLAMP(CONCAT(a, b, ...)) -> CONCAT(act(a), act(b), ...): the
 * activation moves into each producer that can clamp, or into a new node
 * per input, so that the concat can later become a set of strided views
 * written in place by the producers. */
static int push_act_through_concat(nn_graph *g, int *err)
{
    int changed = 0;
    for (int i = 0; i < g->nn && !*err; i++) {
        int ri = i;
        if (g->n[ri].dead ||
            (g->n[ri].op != NN_OP_RELU && g->n[ri].op != NN_OP_RELU6 &&
             g->n[ri].op != NN_OP_CLAMP))
            continue;
        int cat_out = g->n[ri].in[0];
        nn_node *c = producer(g, cat_out);
        if (!c || c->op != NN_OP_CONCAT || g->t[cat_out].nuse != 1 ||
            g->t[cat_out].dtype != NN_F32)
            continue;
        int ci = (int)(c - g->n);
        nn_op op = g->n[ri].op;
        float lo = op == NN_OP_CLAMP ? g->n[ri].a.act_min : 0.0f;
        float hi = op == NN_OP_RELU6   ? 6.0f
                   : op == NN_OP_CLAMP ? g->n[ri].a.act_max
                                       : INFINITY;
        for (int j = 0; j < g->n[ci].nin - 1; j++) {
            int t = g->n[ci].in[j];
            nn_node *p = producer(g, t);
            float plo = p && p->a.has_act ? p->a.act_min : -INFINITY;
            float phi = p && p->a.has_act ? p->a.act_max : INFINITY;
            float nlo = lo > plo ? lo : plo, nhi = hi < phi ? hi : phi;
            if (p && clamp_capable(p->op) && p->nout == 1 &&
                g->t[t].nuse == 1 && nlo <= nhi) {
                p->a.has_act = 1;
                p->a.act_min = nlo;
                p->a.act_max = nhi;
                continue;
            }
            /* a new activation node between the input and the concat */
            char name[600];
            snprintf(name, sizeof name, "%s/act%d", g->n[ci].name, j);
            int nt = nn_graph_add_tensor(g, name, NN_F32);
            int nn = nt < 0 ? nt : nn_graph_add_node(g, op, name, "Relu");
            if (nt < 0 || nn < 0) {
                *err = nt < 0 ? nt : nn;
                return changed;
            }
            nn_node *a = &g->n[nn];
            a->a = g->n[ri].a;
            a->nin = 1;
            a->in[0] = t;
            a->nout = 1;
            a->out[0] = nt;
            g->t[nt].shape = g->t[t].shape;
            g->t[nt].producer = nn;
            g->t[nt].nuse = 1;
            g->n[ci].in[j] = nt; /* t keeps one reader: the new node */
        }
        take_output(g, &g->n[ci], &g->n[ri]);
        changed = 1;
    }
    return changed;
}

/* TOPK(RESHAPE(SELECT_EQ(x, MAXPOOL(x)))) with a stride-1 pool and a 2-D
 * reshape -> PEAK_TOPK(x, k): one pass that checks the window only for the
 * few values that could enter the top k. */
static int fuse_peak_topk(nn_graph *g)
{
    int changed = 0;
    for (int i = 0; i < g->nn; i++) {
        nn_node *t = &g->n[i];
        if (t->dead || t->op != NN_OP_TOPK)
            continue;
        nn_node *r = producer(g, t->in[0]);
        if (!r || r->op != NN_OP_RESHAPE || g->t[t->in[0]].nuse != 1 ||
            g->t[t->in[0]].shape.rank != 2)
            continue;
        nn_node *s = producer(g, r->in[0]);
        if (!s || s->op != NN_OP_SELECT_EQ || g->t[r->in[0]].nuse != 1)
            continue;
        nn_node *m = producer(g, s->in[1]);
        int x = s->in[0];
        if (!m || m->op != NN_OP_MAXPOOL || m->in[0] != x || m->a.has_act ||
            m->a.stride[0] != 1 || m->a.stride[1] != 1 ||
            g->t[s->in[1]].nuse != 1 || g->t[x].shape.rank != 4 ||
            !nn_shape_eq(&g->t[x].shape, &g->t[s->in[1]].shape))
            continue;
        t->op = NN_OP_PEAK_TOPK;
        t->a.ksize[0] = m->a.ksize[0];
        t->a.ksize[1] = m->a.ksize[1];
        memcpy(t->a.pad, m->a.pad, sizeof t->a.pad);
        t->a.row_len = g->t[t->in[0]].shape.d[1];
        kill(g, r);
        kill(g, s);
        kill(g, m);
        g->t[t->in[0]].nuse--;
        t->in[0] = x;
        g->t[x].nuse++;
        changed = 1;
    }
    return changed;
}

int nn_graph_prepare(nn_graph *g, int optimize, char *errbuf, int errlen)
{
    int rc;
    if ((rc = mark_live(g)))
        return rc;
    if ((rc = sort_nodes(g, errbuf, errlen)))
        return rc;
    if ((rc = infer_all(g, errbuf, errlen)))
        return rc;
    if ((rc = mark_live(g)))
        return rc;
    if (optimize) {
        int changed, err = 0;
        fuse_identity(g);
        fuse_hardswish(g);
        fuse_select_eq(g);
        fuse_peak_topk(g);
        do {
            changed = fuse_bias_scale(g, &err);
            changed |= fuse_activation(g);
            changed |= push_act_through_concat(g, &err);
            if (err)
                return err;
        } while (changed);
    }
    if ((rc = mark_live(g)))
        return rc;
    return sort_nodes(g, errbuf, errlen);
}

double nn_graph_flops(const nn_graph *g)
{
    double f = 0;
    for (int i = 0; i < g->norder; i++) {
        const nn_node *n = &g->n[g->order[i]];
        if (n->op != NN_OP_CONV2D && n->op != NN_OP_DWCONV2D)
            continue;
        const nn_shape *w = &g->t[n->in[1]].shape;
        double out = (double)nn_shape_elems(&g->t[n->out[0]].shape);
        double k = (double)w->d[0] * w->d[1];
        if (n->op == NN_OP_CONV2D)
            k *= w->d[2];
        f += 2.0 * out * k;
    }
    return f;
}
