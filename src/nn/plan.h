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

#include "nn/graph.h"

typedef struct nn_step {
    int node;
    xnn_operator_t op;  /* NULL: portable kernel */
    xnn_operator_t op2; /* optional second operator run after `op` */
    const void *in[NN_MAX_IN];
    void *out[NN_MAX_OUT];
    void *scratch;  /* portable kernel scratch, owned */
    double seconds; /* profiling: accumulated time */
} nn_step;

typedef struct nn_plan {
    nn_step *steps;
    int nsteps;
    unsigned char *arena;
    size_t arena_bytes;
    pthreadpool_t pool; /* NULL when single-threaded */
    int threads;
    int xnn_ops;
    int runs;
} nn_plan;

/*
 * Plans `g` (prepared by nn_graph_prepare). `portable` forces the portable
 * kernels. Returns SPATIA_OK, SPATIA_NOMEM or SPATIA_INTERNAL (XNNPACK could
 * not be initialized), with a message in errbuf.
 */
int nn_plan_build(nn_graph *g, nn_plan *p, int threads, int portable,
                  char *errbuf, int errlen);

/* Runs every step. Returns SPATIA_OK, SPATIA_RANGE or SPATIA_INTERNAL. */
int nn_plan_run(const nn_graph *g, nn_plan *p, int profile);

/* Address of tensor t's data (arena, view or constant). */
void *nn_plan_ptr(const nn_graph *g, const nn_plan *p, int t);

void nn_plan_free(nn_plan *p);

#endif
