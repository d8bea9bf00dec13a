/*
 * graph.c - building and freeing the graph IR, small helpers on shapes
 * and dtypes, and the thread-splitting helpers the kernels share (see
 * graph.h).
 */
#include "nn/graph.h"

#include <pthreadpool.h>

#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define NN_FLUSH_X86 1
#endif

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

/* ---- placement probe and line release ---- */

enum { PP_TRIPS = 8, PP_TIMEOUT_NS = 50000 };

typedef struct pp_ctx {
    alignas(64) atomic_int ball; /* 2i + 1: thread 0 served; 2i + 2: back */
    alignas(64) atomic_int join; /* 0, then 1 (joined) or -1 (given up) */
    double ns;                   /* round trip, or -1 */
} pp_ctx;

static double pp_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return 1e9 * (double)ts.tv_sec + (double)ts.tv_nsec;
}

static inline void pp_relax(void)
{
#ifdef NN_FLUSH_X86
    _mm_pause();
#endif
}

/* Waits until *a == v; 0, or -1 after PP_TIMEOUT_NS from t0. */
static int pp_wait(atomic_int *a, int v, double t0)
{
    for (unsigned i = 1;; i++) {
        if (atomic_load_explicit(a, memory_order_acquire) == v)
            return 0;
        if (!(i & 63) && pp_now_ns() - t0 > PP_TIMEOUT_NS)
            return -1;
        pp_relax();
    }
}

/* pthreadpool task: item 0 serves, item 1 returns the ball. Both give up
 * (ball or join -1) rather than wait for a thread that is not running. */
static void pp_task(void *arg, size_t k)
{
    pp_ctx *c = arg;
    if (k == 1) {
        int z = 0;
        if (!atomic_compare_exchange_strong(&c->join, &z, 1))
            return; /* item 0 gave up (or ran us itself) */
        for (int i = 0; i < PP_TRIPS; i++) {
            int v;
            while ((v = atomic_load_explicit(&c->ball, memory_order_acquire)) !=
                   2 * i + 1) {
                if (v < 0)
                    return;
                pp_relax();
            }
            /* item 0 may give up at this very moment: one CAS wins */
            if (!atomic_compare_exchange_strong(&c->ball, &v, 2 * i + 2))
                return;
        }
        return;
    }
    double t0 = pp_now_ns();
    if (pp_wait(&c->join, 1, t0)) {
        int z = 0;
        if (atomic_compare_exchange_strong(&c->join, &z, -1))
            return; /* item 1 never came (else it joined just now) */
    }
    t0 = pp_now_ns();
    for (int i = 0; i < PP_TRIPS; i++) {
        atomic_store_explicit(&c->ball, 2 * i + 1, memory_order_release);
        if (pp_wait(&c->ball, 2 * i + 2, t0)) {
            int v = 2 * i + 1; /* give up, unless item 1 just answered */
            if (atomic_compare_exchange_strong(&c->ball, &v, -1))
                return;
        }
    }
    c->ns = (pp_now_ns() - t0) / PP_TRIPS;
}

double nn_pool_round_trip_ns(struct pthreadpool *pool)
{
    if (!pool || pthreadpool_get_threads_count(pool) < 2)
        return -1;
    pp_ctx c;
    atomic_init(&c.ball, 0);
    atomic_init(&c.join, 0);
    c.ns = -1;
    pthreadpool_parallelize_1d(pool, pp_task, &c, 2, 0);
    return c.ns;
}

typedef struct rel_ctx {
    const nn_span *spans;
    size_t per;
} rel_ctx;

#ifdef NN_FLUSH_X86
__attribute__((target("clflushopt"))) static void flush_opt(const char *a,
                                                            const char *b)
{
    for (; a < b; a += 64)
        _mm_clflushopt((void *)a);
}

static void flush_plain(const char *a, const char *b)
{
    for (; a < b; a += 64)
        _mm_clflush(a);
}

static void rel_task(void *arg, size_t k)
{
    static int opt = -1; /* idempotent: a race writes the same value */
    if (opt < 0) {
        __builtin_cpu_init();
        opt = __builtin_cpu_supports("clflushopt") != 0;
    }
    const rel_ctx *c = arg;
    for (size_t j = 0; j < c->per; j++) {
        const nn_span *s = &c->spans[k * c->per + j];
        if (!s->n)
            continue;
        const char *a = (const char *)((uintptr_t)s->p & ~(uintptr_t)63);
        (opt ? flush_opt : flush_plain)(a, s->p + s->n);
    }
}
#endif

void nn_release_spans(struct pthreadpool *pool, const nn_span *spans, size_t T,
                      size_t per)
{
#ifdef NN_FLUSH_X86
    rel_ctx c = {spans, per};
    if (!spans || !T || !per)
        return;
    if (pool && T > 1)
        pthreadpool_parallelize_1d(pool, rel_task, &c, T, 0);
    else
        for (size_t k = 0; k < T; k++)
            rel_task(&c, k);
#else
    (void)pool;
    (void)spans;
    (void)T;
    (void)per;
#endif
}
