/*
 * nn_internal.h - engine internals other spatia modules may use.
 */
#ifndef SPATIA_NN_INTERNAL_H
#define SPATIA_NN_INTERNAL_H

#include <pthreadpool.h>

#include "spatia/nn.h"

/* The model's thread pool (NULL when it runs on one thread). Other work of
 * the same caller (e.g. the detector's resize) should run on it rather
 * than on a second pool: idle pthreadpool workers spin for a while, and two
 * pools would fight over the same cores. Valid until the model is
 * destroyed; not to be used while spatia_nn_run() is running. */
pthreadpool_t nn_model_threadpool(const spatia_nn_model *m);

#endif
