/*
 * graph.c - building and freeing the graph IR, small helpers on shapes
 * and dtypes, and the thread-splitting helpers the kernels share (see
 * graph.h).
 */
#include "nn/graph.h"

#include <pthreadpool.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spatia/error.h"

void nn_graph_init(nn_graph *g)
{
    memset(g, 0, sizeof *g);
}

void nn_graph_free(nn_graph *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->nt; i++) {
        free(g->t[i].name);
        nn_free_aligned(g->t[i].data);
    }
    for (int i = 0; i < g->nn; i++) {
        free(g->n[i].name);
        free(g->n[i].tf_op);
    }
    for (int i = 0; i < g->ninputs; i++)
        free(g->inputs[i].name);
    for (int i = 0; i < g->noutputs; i++)
        free(g->outputs[i].name);
    free(g->t);
    free(g->n);
    free(g->inputs);
    free(g->outputs);
    free(g->order);
    memset(g, 0, sizeof *g);
}

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

int nn_graph_add_tensor(nn_graph *g, const char *name, nn_dtype dt)
{
    if (g->nt == g->ct) {
        int cap = g->ct ? g->ct * 2 : 64;
        nn_tensor *t = realloc(g->t, (size_t)cap * sizeof *t);
        if (!t)
            return SPATIA_NOMEM;
        g->t = t;
        g->ct = cap;
    }
    nn_tensor *t = &g->t[g->nt];
    memset(t, 0, sizeof *t);
    t->name = dupstr(name);
    if (!t->name)
        return SPATIA_NOMEM;
    t->dtype = dt;
    t->producer = -1;
    t->alias = -1;
    t->first = t->last = -1;
    return g->nt++;
}

int nn_graph_add_node(nn_graph *g, nn_op op, const char *name,
                      const char *tf_op)
{
    if (g->nn == g->cn) {
        int cap = g->cn ? g->cn * 2 : 64;
        nn_node *n = realloc(g->n, (size_t)cap * sizeof *n);
        if (!n)
            return SPATIA_NOMEM;
        g->n = n;
        g->cn = cap;
    }
    nn_node *n = &g->n[g->nn];
    memset(n, 0, sizeof *n);
    n->op = op;
    n->name = dupstr(name);
    n->tf_op = dupstr(tf_op);
    if (!n->name || !n->tf_op) {
        free(n->name);
        free(n->tf_op);
        return SPATIA_NOMEM;
    }
    n->a.stride[0] = n->a.stride[1] = 1;
    n->a.dilation[0] = n->a.dilation[1] = 1;
    n->a.ksize[0] = n->a.ksize[1] = 1;
    return g->nn++;
}

void *nn_alloc_aligned(size_t bytes)
{
    if (bytes > ((size_t)1 << 40))
        return NULL;
    size_t total =
        (bytes + NN_PAD_BYTES + NN_ALIGN - 1) & ~(size_t)(NN_ALIGN - 1);
    void *p = aligned_alloc(NN_ALIGN, total);
    if (p)
        memset((char *)p + bytes, 0, total - bytes);
    return p;
}

void nn_free_aligned(void *p)
{
    free(p);
}

size_t nn_dtype_size(nn_dtype dt)
{
    return dt == NN_BOOL ? 1 : 4;
}

const char *nn_dtype_name(nn_dtype dt)
{
    switch (dt) {
    case NN_F32:
        return "float32";
    case NN_I32:
        return "int32";
    case NN_BOOL:
        return "bool";
    }
    return "?";
}

const char *nn_op_name(nn_op op)
{
    static const char *const names[NN_OP_COUNT] = {
        [NN_OP_IDENTITY] = "Identity",
        [NN_OP_CONV2D] = "Conv2D",
        [NN_OP_DWCONV2D] = "DepthwiseConv2D",
        [NN_OP_ADD] = "Add",
        [NN_OP_SUB] = "Sub",
        [NN_OP_MUL] = "Mul",
        [NN_OP_DIV] = "Div",
        [NN_OP_MAXIMUM] = "Maximum",
        [NN_OP_MINIMUM] = "Minimum",
        [NN_OP_FLOORDIV] = "FloorDiv",
        [NN_OP_FLOORMOD] = "FloorMod",
        [NN_OP_EQUAL] = "Equal",
        [NN_OP_NOT_EQUAL] = "NotEqual",
        [NN_OP_GREATER] = "Greater",
        [NN_OP_GREATER_EQUAL] = "GreaterEqual",
        [NN_OP_LESS] = "Less",
        [NN_OP_LESS_EQUAL] = "LessEqual",
        [NN_OP_RELU] = "Relu",
        [NN_OP_RELU6] = "Relu6",
        [NN_OP_CLAMP] = "Clamp",
        [NN_OP_SIGMOID] = "Sigmoid",
        [NN_OP_TANH] = "Tanh",
        [NN_OP_HARDSWISH] = "HardSwish",
        [NN_OP_MEAN] = "Mean",
        [NN_OP_CONCAT] = "Concat",
        [NN_OP_RESHAPE] = "Reshape",
        [NN_OP_EXPAND_DIMS] = "ExpandDims",
        [NN_OP_SQUEEZE] = "Squeeze",
        [NN_OP_CAST] = "Cast",
        [NN_OP_STRIDED_SLICE] = "StridedSlice",
        [NN_OP_RESIZE_BILINEAR] = "ResizeBilinear",
        [NN_OP_MAXPOOL] = "MaxPool",
        [NN_OP_AVGPOOL] = "AvgPool",
        [NN_OP_PAD] = "Pad",
        [NN_OP_TOPK] = "TopK",
        [NN_OP_GATHER] = "Gather",
        [NN_OP_SELECT_EQ] = "SelectEqual",
        [NN_OP_PEAK_TOPK] = "PeakTopK",
    };
    if ((int)op < 0 || op >= NN_OP_COUNT || !names[op])
        return "?";
    return names[op];
}

size_t nn_shape_elems(const nn_shape *s)
{
    size_t n = 1;
    for (int i = 0; i < s->rank; i++)
        n *= (size_t)s->d[i];
    return n;
}

int nn_shape_eq(const nn_shape *a, const nn_shape *b)
{
    if (a->rank != b->rank)
        return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->d[i] != b->d[i])
            return 0;
    return 1;
}

const char *nn_shape_str(const nn_shape *s, char *buf, size_t len)
{
    size_t o = 0;
    if (!len)
        return buf;
    buf[0] = 0;
    o += (size_t)snprintf(buf + o, len - o, "[");
    for (int i = 0; i < s->rank && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, i ? ",%d" : "%d", s->d[i]);
    if (o < len)
        snprintf(buf + o, len - o, "]");
    return buf;
}

int nn_cpu_avx512f(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    static int cached = -1; /* idempotent: a race writes the same value */
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f") != 0;
    }
    return cached;
#else
    return 0;
#endif
}

size_t nn_range_count(struct pthreadpool *pool, size_t n)
{
    size_t t = pool ? pthreadpool_get_threads_count(pool) : 1;
    if (t > n)
        t = n ? n : 1;
    return t;
}

typedef struct run_ranges {
    void (*task)(void *, size_t);
    void *ctx;
    size_t n, T;
} run_ranges;

/* pthreadpool task: items [k n / T, (k + 1) n / T) in order. */
static void run_range(void *arg, size_t k)
{
    const run_ranges *r = arg;
    const size_t a = k * r->n / r->T, b = (k + 1) * r->n / r->T;
    for (size_t i = a; i < b; i++)
        r->task(r->ctx, i);
}

void nn_run_tasks(struct pthreadpool *pool, void (*task)(void *, size_t),
                  void *ctx, size_t n)
{
    static int stealing = -1; /* SPATIA_NN_ROW_STEALING=1: the old way */
    if (stealing < 0)
        stealing = getenv("SPATIA_NN_ROW_STEALING") != NULL;
    const size_t T = nn_range_count(pool, n);
    if (T < 2) {
        for (size_t i = 0; i < n; i++)
            task(ctx, i);
    } else if (T == n || stealing) {
        pthreadpool_parallelize_1d(pool, task, ctx, n, 0);
    } else {
        run_ranges r = {task, ctx, n, T};
        pthreadpool_parallelize_1d(pool, run_range, &r, T, 0);
    }
}
