/*
 * spatia/nn.h - spatia's neural-network inference engine.
 *
 * Loads a TF.js graph model (model.json plus binary weight shards), turns it
 * into an optimized graph with static shapes, plans all memory once and runs
 * it on the CPU: convolutions, pooling and elementwise ops through XNNPACK
 * with a pthreadpool, everything else on portable C kernels.
 *
 * Usage:
 *   spatia_nn_model *m;
 *   spatia_nn_model_load("models/centernet.json", NULL, &m, err, sizeof err);
 *   spatia_nn_tensor in, out;
 *   spatia_nn_input(m, 0, &in);      fill (float *)in.data
 *   spatia_nn_run(m);                no allocation, no system calls
 *   spatia_nn_output(m, 0, &out);    read (const float *)out.data
 *   spatia_nn_model_destroy(m);
 *
 * A model handle is not thread-safe: one run at a time per handle. Input and
 * output buffers belong to the handle and stay valid until destroy; outputs
 * are overwritten by the next run.
 */
#ifndef SPATIA_NN_H
#define SPATIA_NN_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct spatia_nn_model spatia_nn_model;

#define SPATIA_NN_MAX_RANK 6

typedef enum spatia_nn_dtype {
    SPATIA_NN_F32 = 0, /* float */
    SPATIA_NN_I32 = 1, /* int32_t */
    SPATIA_NN_BOOL = 2 /* uint8_t, 0 or 1 */
} spatia_nn_dtype;

typedef struct spatia_nn_opts {
    int threads;  /* worker threads incl. the caller; 0 = the number of CPUs
                     this process may run on (sched_getaffinity) */
    int portable; /* 1 = run every op on the portable C kernels (reference
                     path for testing; slow) */
    int no_fuse;  /* 1 = skip the fusions (constant folding still runs) */
    int profile;  /* 1 = time every op (see spatia_nn_profile_print) */
    int strip_kb; /* a depthwise convolution feeding a 1x1 convolution runs
                     with it in row strips of this many KiB of intermediate
                     (kept in cache); 0 = default, < 0 = never */
} spatia_nn_opts;

/* A view of an input or output tensor of a model. */
typedef struct spatia_nn_tensor {
    const char *name; /* as in the model (signature name for outputs) */
    spatia_nn_dtype dtype;
    int rank;
    int dims[SPATIA_NN_MAX_RANK]; /* NHWC for images */
    void *data;                   /* owned by the model */
    size_t size;                  /* bytes */
} spatia_nn_tensor;

/* Facts about a loaded model. */
typedef struct spatia_nn_info {
    int inputs, outputs;
    int nodes;   /* ops executed per run after optimization */
    int steps;   /* of which run as their own step (the others are done
                    inside a neighbour's kernel: strips, fused epilogues) */
    int xnn_ops; /* of which run by XNNPACK */
    int threads;
    double flops;        /* convolution multiply-adds x 2 per run */
    size_t arena_bytes;  /* activations, planned once */
    size_t weight_bytes; /* constants kept after load */
    int arena_split;     /* 1: arena pages owned per thread (threads > 1) */
    int mean_sums;       /* global means whose input's producers sum per channel
                            as they store (the mean does not read its input) */
    int strip_topks;     /* PeakTopKs scanned inside the strips that write
                            their input (row by row, while cached) */
    int halo_steps;      /* steps that release the input rows they read from
                            another thread's part when the threads sit on
                            different L3s (docs/nn.md, halo release) */
    int runs, far_runs;  /* runs so far, and those that released */
    double round_trip_ns; /* the last run's probe between the first two
                             threads, ns (-1: none) */
} spatia_nn_info;

/* Fills `opts` with the defaults (all zero: automatic threads, XNNPACK). */
void spatia_nn_opts_default(spatia_nn_opts *opts);

/*
 * Loads the TF.js graph model at `model_json` (shards resolved relative to
 * it), optimizes it and plans its memory and operators. `opts` may be NULL.
 * `errbuf` (may be NULL) receives a one-line reason naming the file.
 * Returns SPATIA_OK, SPATIA_NOTFOUND (missing file), SPATIA_IO,
 * SPATIA_PARSE (JSON syntax), SPATIA_MODEL (damaged or inconsistent model),
 * SPATIA_UNSUPPORTED (an op or attribute the engine lacks), SPATIA_EINVAL,
 * SPATIA_NOMEM or SPATIA_INTERNAL (XNNPACK failed).
 */
int spatia_nn_model_load(const char *model_json, const spatia_nn_opts *opts,
                         spatia_nn_model **out, char *errbuf, int errlen);

int spatia_nn_input_count(const spatia_nn_model *m);
int spatia_nn_output_count(const spatia_nn_model *m);

/* Describes input/output `index` (0-based); write inputs through t->data.
 * Returns SPATIA_OK or SPATIA_EINVAL (bad index). */
int spatia_nn_input(spatia_nn_model *m, int index, spatia_nn_tensor *t);
int spatia_nn_output(spatia_nn_model *m, int index, spatia_nn_tensor *t);

/* Index of the output called `name` ("x" also matches "x:0").
 * Returns the index or SPATIA_NOTFOUND. */
int spatia_nn_output_find(const spatia_nn_model *m, const char *name);

/* Runs the model on the current input buffers. Allocates nothing.
 * Returns SPATIA_OK, SPATIA_RANGE (an index computed inside the model was
 * out of range; outputs are then undefined) or SPATIA_INTERNAL. */
int spatia_nn_run(spatia_nn_model *m);

void spatia_nn_info_get(const spatia_nn_model *m, spatia_nn_info *info);

/* With opts.profile: prints the total time per op type over all runs. */
void spatia_nn_profile_print(const spatia_nn_model *m, FILE *f);

/* Accepts NULL. */
void spatia_nn_model_destroy(spatia_nn_model *m);

/* Number of CPUs this process may run on (at least 1). */
int spatia_nn_default_threads(void);

#ifdef __cplusplus
}
#endif
#endif
