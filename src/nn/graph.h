/*
 * graph.h - the intermediate representation of the inference engine.
 *
 * A model is a directed acyclic graph of nodes (operations) that read and
 * write tensors. Tensors are NHWC, float32, int32 or bool, with static shapes
 * of at most NN_MAX_RANK dimensions. Constants carry their data; every other
 * tensor gets its storage from one arena planned once (plan.c).
 *
 * The life of a graph:
 *   tfjs.c    parses a TF.js graph model into nodes and constants;
 *   passes.c  sorts it, infers shapes, folds constants, fuses bias and
 *             activations into convolutions and hard-swish patterns into one
 *             op, and drops dead nodes;
 *   plan.c    lays tensors out in the arena by lifetime and creates one
 *             XNNPACK operator (or picks a portable kernel) per node;
 *   kernels.c holds the portable C kernels, used for small ops, for constant
 *             folding and as the reference path.
 */
#ifndef SPATIA_NN_GRAPH_H
#define SPATIA_NN_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#define NN_MAX_RANK  6
#define NN_MAX_IN    16 /* inputs of one node, ConcatV2 included */
#define NN_MAX_OUT   2  /* outputs of one node (TopKV2) */
#define NN_MAX_ELEMS ((size_t)1 << 30) /* cap on the elements of one tensor */
#define NN_ALIGN     64                /* bytes, arena and constant data */
#define NN_PAD_BYTES 64 /* readable slack after data (>= XNN_EXTRA_BYTES) */

typedef enum nn_dtype { NN_F32 = 0, NN_I32 = 1, NN_BOOL = 2 } nn_dtype;

typedef struct nn_shape {
    int rank;
    int d[NN_MAX_RANK]; /* each >= 0 */
} nn_shape;

/* Storage class of a tensor. */
typedef enum nn_store {
    NN_STORE_NONE = 0, /* not planned (dead) */
    NN_STORE_CONST,    /* data owned by the tensor */
    NN_STORE_ARENA,    /* offset into the arena */
    NN_STORE_ALIAS,    /* shares the storage of tensor `alias` */
    NN_STORE_VIEW      /* channel slice of tensor `alias` (strided rows) */
} nn_store;

typedef struct nn_tensor {
    char *name; /* "node" for output 0, "node:k" for output k */
    nn_dtype dtype;
    nn_shape shape;
    int producer; /* node index; -1 for constants and graph inputs */
    int is_input; /* fed by the caller */
    int nuse;     /* number of (live node) input slots reading it */
    void *data;   /* constant value, NN_ALIGN-aligned, NN_PAD_BYTES slack */
    /* planning (plan.c) */
    nn_store store;
    int alias;       /* ALIAS/VIEW: the tensor owning the storage */
    size_t offset;   /* ARENA: bytes from the arena base; VIEW: elements
                        from the start of `alias` */
    int row_stride;  /* VIEW: elements between consecutive rows (pixels) */
    int first, last; /* step range in which the storage must live */
} nn_tensor;

typedef enum nn_op {
    NN_OP_IDENTITY = 0,
    NN_OP_CONV2D,   /* in: x, filter HWIO, [bias]; attrs conv + act */
    NN_OP_DWCONV2D, /* in: x, filter HW C M, [bias] */
    NN_OP_ADD,
    NN_OP_SUB,
    NN_OP_MUL,
    NN_OP_DIV,
    NN_OP_MAXIMUM,
    NN_OP_MINIMUM,
    NN_OP_FLOORDIV,
    NN_OP_FLOORMOD,
    NN_OP_EQUAL, /* comparisons output NN_BOOL */
    NN_OP_NOT_EQUAL,
    NN_OP_GREATER,
    NN_OP_GREATER_EQUAL,
    NN_OP_LESS,
    NN_OP_LESS_EQUAL,
    NN_OP_RELU,
    NN_OP_RELU6,
    NN_OP_CLAMP, /* act_min/act_max */
    NN_OP_SIGMOID,
    NN_OP_TANH,
    NN_OP_HARDSWISH,   /* (x * hs_scale) * relu6(x + 3), made by fusion */
    NN_OP_MEAN,        /* in: x, axes */
    NN_OP_CONCAT,      /* in: x0..xn-1, axis */
    NN_OP_RESHAPE,     /* in: x, shape */
    NN_OP_EXPAND_DIMS, /* in: x, dim */
    NN_OP_SQUEEZE,     /* in: x; attrs axes_mask (0 = every 1-sized dim) */
    NN_OP_CAST,
    NN_OP_STRIDED_SLICE,   /* in: x, begin, end, strides */
    NN_OP_RESIZE_BILINEAR, /* in: x, size */
    NN_OP_MAXPOOL,
    NN_OP_AVGPOOL,
    NN_OP_PAD,       /* in: x, paddings, [value] */
    NN_OP_TOPK,      /* in: x, k; out: values, indices */
    NN_OP_GATHER,    /* in: params, indices, axis */
    NN_OP_SELECT_EQ, /* a == b ? a : a * 0, made by fusion */
    NN_OP_PEAK_TOPK, /* TopK(flat(select_eq(x, maxpool(x)))), by fusion */
    NN_OP_COUNT
} nn_op;

typedef enum nn_padding {
    NN_PAD_VALID = 0,
    NN_PAD_SAME,
    NN_PAD_EXPLICIT
} nn_padding;

typedef struct nn_attr {
    /* convolutions and pooling */
    int stride[2];   /* h, w */
    int dilation[2]; /* h, w */
    int ksize[2];    /* pooling window h, w */
    nn_padding padding;
    int pad[4];  /* top, bottom, left, right: explicit, then resolved */
    int has_act; /* fused clamp [act_min, act_max] */
    float act_min, act_max;
    float hs_scale; /* HardSwish: the model's 1/6 (may be rounded) */
    /* reductions, shape ops */
    int keep_dims;
    int axis; /* concat / gather axis after normalization */
    int align_corners, half_pixel;
    int begin_mask, end_mask, shrink_mask, ellipsis_mask, new_axis_mask;
    int sorted;   /* TopK */
    nn_dtype dst; /* Cast */
    /* resolved by shape inference */
    int sl_begin[NN_MAX_RANK], sl_stride[NN_MAX_RANK]; /* StridedSlice, */
    int sl_size[NN_MAX_RANK]; /* per input dim (shrunk dims have size 1) */
    int padv[NN_MAX_RANK][2]; /* Pad: before/after per dim */
    double pad_value;         /* Pad (PadV2 constant) */
    int axes_mask;            /* Mean, Squeeze: bit i set = axis i */
    int sq_dims[NN_MAX_RANK]; /* Squeeze: dims as written (may be < 0) */
    int nsq;
    int k;       /* TopK */
    int row_len; /* PeakTopK: elements per TopK row */
} nn_attr;

typedef struct nn_node {
    nn_op op;
    char *name;
    char *tf_op; /* the TF op name, for messages and the op inventory */
    int nin, nout;
    int in[NN_MAX_IN];
    int out[NN_MAX_OUT];
    nn_attr a;
    int dead;
} nn_node;

/* A named graph input or output. */
typedef struct nn_port {
    char *name;
    int tensor;
} nn_port;

typedef struct nn_graph {
    nn_tensor *t;
    int nt, ct;
    nn_node *n;
    int nn, cn;
    nn_port *inputs;
    int ninputs;
    nn_port *outputs;
    int noutputs;
    int *order; /* live nodes in execution order */
    int norder;
} nn_graph;

/* --- graph building (graph.c) ------------------------------------------ */

void nn_graph_init(nn_graph *g);
void nn_graph_free(nn_graph *g);

/* Adds a tensor; returns its index or SPATIA_NOMEM. `name` is copied. */
int nn_graph_add_tensor(nn_graph *g, const char *name, nn_dtype dt);

/* Adds a node; returns its index or SPATIA_NOMEM. Names are copied. */
int nn_graph_add_node(nn_graph *g, nn_op op, const char *name,
                      const char *tf_op);

/* Allocates NN_ALIGN-aligned storage with NN_PAD_BYTES zeroed slack. Free
 * with nn_free_aligned. Returns NULL when bytes is too large or on OOM. */
void *nn_alloc_aligned(size_t bytes);
void nn_free_aligned(void *p);

size_t nn_dtype_size(nn_dtype dt);
/* 1 when the CPU runs AVX-512F code (the own x86 kernels need it), else
 * 0; always 0 off x86-64. Checked once, then cached. */
int nn_cpu_avx512f(void);

/* How many contiguous ranges a threaded kernel splits n items into: the
 * pool's thread count (1 without a pool), at most n, at least 1. */
struct pthreadpool;
size_t nn_range_count(struct pthreadpool *pool, size_t n);
/* Runs task(ctx, i) for i in [0, n): over `pool` when there is one and n
 * > 1, else in order on the calling thread. With a pool the items go in T
 * (nn_range_count) contiguous ranges, one pool task each, every range in
 * order: thread k runs the k-th T-th of the items every time (unless a
 * thread is so late that another takes its whole range), never single
 * items of another's range. Per-item tasks let pthreadpool move the last
 * items of a range to the thread done first, and which thread writes
 * those rows then changes from run to run: the next step's owner reads
 * them from the other core, and the next run's writer takes them back,
 * costly when the two cores sit on different L3s (see docs/nn.md).
 * Never allocates. */
void nn_run_tasks(struct pthreadpool *pool, void (*task)(void *, size_t),
                  void *ctx, size_t n);

/* A byte range of a tensor: `n` bytes from `p` (not owned). */
typedef struct nn_span {
    const char *p;
    size_t n;
} nn_span;

/*
 * Round trip between the first two threads of `pool` in nanoseconds: the
 * two pool threads pass a cache line back and forth 8 times (a pool task
 * each). Returns -1 when there is no second thread, or when it did not
 * join within about 50 us (a preempted vCPU); never blocks longer. Never
 * allocates. About 60 ns when the two cores share an L3, 350 ns when a
 * VM's two vCPUs sit on different AMD CCDs (see docs/nn.md).
 */
double nn_pool_round_trip_ns(struct pthreadpool *pool);

/*
 * Drops the lines of spans[k * per + j], j < per, from every cache (the
 * caller's and the other cores'): pool task k does range k's spans, so a
 * thread releases what it read itself. Nothing when n == 0 or the CPU
 * lacks CLFLUSH (non-x86). The bytes stay the same; the next access
 * misses to memory. Used after a step whose ranges read rows of another
 * thread's part (nn_plan_run): a core about to write a line another core
 * keeps a copy of waits for that copy's invalidation, 20 times longer
 * across L3s than a line nobody else holds. Never allocates.
 */
void nn_release_spans(struct pthreadpool *pool, const nn_span *spans, size_t T,
                      size_t per);

const char *nn_dtype_name(nn_dtype dt);
const char *nn_op_name(nn_op op);

/* Number of elements; 0 for a zero dimension, 1 for a scalar. */
size_t nn_shape_elems(const nn_shape *s);
int nn_shape_eq(const nn_shape *a, const nn_shape *b);
/* Formats "[1,512,512,3]" into buf. */
const char *nn_shape_str(const nn_shape *s, char *buf, size_t len);

static inline size_t nn_tensor_bytes(const nn_tensor *t)
{
    return nn_shape_elems(&t->shape) * nn_dtype_size(t->dtype);
}

/* --- passes (passes.c) -------------------------------------------------- */

/* Execution order, shape inference with constant folding, fusions, dead
 * node removal. Messages go to errbuf. Returns SPATIA_OK, SPATIA_MODEL
 * (inconsistent graph), SPATIA_UNSUPPORTED or SPATIA_NOMEM. `optimize` 0
 * skips the fusions (folding and dead-node removal always run). */
int nn_graph_prepare(nn_graph *g, int optimize, char *errbuf, int errlen);

/* Floating-point operations of one run (2 per multiply-add). */
double nn_graph_flops(const nn_graph *g);

/* --- portable kernels (kernels.c) --------------------------------------- */

/* Bytes of scratch memory the portable kernel of `node` needs when run
 * with `threads` threads. */
size_t nn_kernel_scratch(const nn_graph *g, const nn_node *node, int threads);

/*
 * Runs the portable kernel of `node` on contiguous buffers: in[i] for input
 * slot i, out[j] for output j. Shapes and attributes come from the graph.
 * Elementwise kernels allow out[0] == in[j] when the shapes match. Large
 * kernels split their work over `pool` (NULL: the calling thread only; the
 * scratch must then be sized for `threads` = 1). Never allocates. Returns
 * SPATIA_OK, SPATIA_RANGE (an index read from data, e.g. Gather, is out of
 * range) or SPATIA_UNSUPPORTED.
 */
/* 1 when `node` is a Mean over H and W of a batch-1 NHWC float32 tensor
 * (the threaded kernel: T contiguous pixel ranges, one row of partial sums
 * each). */
int nn_kernel_is_global_mean(const nn_graph *g, const nn_node *node);

/* The end of such a mean: y[j] = act((part[j] + part[stride + j] + ... +
 * part[(T-1) * stride + j]) / P) for j < C, the rows added in order (the
 * node's activation; NaN when P is 0). Never allocates. */
void nn_kernel_mean_finish(const nn_node *node, const float *part, size_t T,
                           size_t stride, size_t C, size_t P, float *y);

struct pthreadpool;
/*
 * PeakTopK in parts (plan.c runs it inside the strips that write its
 * input): a PeakTopK whose one TopK row is a whole [1,H,W,C] float32
 * tensor (nn_kernel_peak_topk_rows_ok) can be scanned by output rows in
 * any split, each part into its own heap of k entries of
 * nn_kernel_topk_entry_size() bytes (*cnt entries, 0 at the start), as
 * long as every row whose window is complete is scanned exactly once;
 * floor (shared by the parts, -HUGE_VAL at the start; NULL: none) lets a
 * part skip what another part already beats. nn_kernel_peak_topk_merge
 * then merges the parts' heaps (fin: scratch for k entries) into the
 * outputs, the same values and indices as one scan.
 */
size_t nn_kernel_topk_entry_size(void);
int nn_kernel_peak_topk_rows_ok(const nn_graph *g, const nn_node *node);
void nn_kernel_peak_topk_rows(const nn_graph *g, const nn_node *node,
                              const float *x, int r0, int r1, void *heap,
                              int *cnt, double *floor);
void nn_kernel_peak_topk_merge(const nn_graph *g, const nn_node *node,
                               void *const *heaps, const int *cnts, int parts,
                               void *fin, float *vals, int32_t *inds);

int nn_kernel_run(const nn_graph *g, const nn_node *node, const void *const *in,
                  void *const *out, void *scratch, struct pthreadpool *pool);

#endif
