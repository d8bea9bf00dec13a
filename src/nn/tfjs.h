/*
 * tfjs.h - loader for TF.js graph models (model.json + binary weight shards).
 */
#ifndef SPATIA_NN_TFJS_H
#define SPATIA_NN_TFJS_H

#include "nn/graph.h"

/*
 * Parses the model at `json_path` into the empty graph `g`: nodes,
 * constants (weights dequantized to float32 / int32 / bool), graph inputs
 * and outputs. Weight shards are resolved relative to the JSON's folder.
 * Every size and index read from the files is checked. On failure `g` holds
 * whatever was built (free it with nn_graph_free) and errbuf names the file
 * and the problem. Returns SPATIA_OK, SPATIA_NOTFOUND (a file is missing),
 * SPATIA_IO, SPATIA_PARSE (not JSON), SPATIA_MODEL (inconsistent model),
 * SPATIA_UNSUPPORTED (valid but uses something the engine lacks) or
 * SPATIA_NOMEM.
 */
int nn_tfjs_load(const char *json_path, nn_graph *g, char *errbuf, int errlen);

/* IEEE half to float (exact, subnormals, inf and NaN included). */
float nn_half_to_float(uint16_t h);

#endif
