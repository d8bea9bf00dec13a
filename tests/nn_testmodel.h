/*
 * nn_testmodel.h - writes small TF.js graph models for the engine's tests.
 *
 * A tmodel collects nodes (as JSON text), weights (manifest entries plus the
 * bytes of one shard) and outputs, then tm_write() puts model.json and
 * weights.bin into a fresh temporary folder. Attribute JSON is passed in
 * the TF.js form, e.g.
 * "\"strides\":{\"list\":{\"i\":[\"1\",\"2\",\"2\",\"1\"]}}"; tm_b64() encodes
 * string attributes.
 */
#ifndef SPATIA_NN_TESTMODEL_H
#define SPATIA_NN_TESTMODEL_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct tm_buf {
    char *p;
    size_t n, cap;
} tm_buf;

static void tm_put(tm_buf *b, const void *data, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            abort();
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void tm_printf(tm_buf *b, const char *fmt, ...)
{
    char tmp[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp)
        abort();
    tm_put(b, tmp, (size_t)n);
}

typedef struct tmodel {
    tm_buf nodes, weights, bin, outputs;
    char dir[64];
    char json[128];
    char binpath[128];
} tmodel;

static void tm_init(tmodel *m)
{
    memset(m, 0, sizeof *m);
}

static void tm_free(tmodel *m)
{
    if (m->json[0])
        unlink(m->json);
    if (m->binpath[0])
        unlink(m->binpath);
    if (m->dir[0])
        rmdir(m->dir);
    free(m->nodes.p);
    free(m->weights.p);
    free(m->bin.p);
    free(m->outputs.p);
    memset(m, 0, sizeof *m);
}

/* Base64 of a short string (static buffer, one use per expression). */
static const char *tm_b64(const char *s, char *out)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(s), o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)s[i] << 16;
        if (i + 1 < n)
            v |= (unsigned char)s[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)s[i + 2];
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? tab[v & 63] : '=';
    }
    out[o] = 0;
    return out;
}

static void tm_sep(tm_buf *b)
{
    if (b->n)
        tm_put(b, ",", 1);
}

static void tm_shape_json(tm_buf *b, int rank, const int *dims)
{
    tm_put(b, "[", 1);
    for (int i = 0; i < rank; i++)
        tm_printf(b, i ? ",%d" : "%d", dims[i]);
    tm_put(b, "]", 1);
}

/* Input placeholder of the given float32 shape. */
static void tm_input(tmodel *m, const char *name, int rank, const int *dims)
{
    tm_sep(&m->nodes);
    tm_printf(&m->nodes,
              "{\"name\":\"%s\",\"op\":\"Placeholder\",\"attr\":{\"dtype\":"
              "{\"type\":\"DT_FLOAT\"},\"shape\":{\"shape\":{\"dim\":[",
              name);
    for (int i = 0; i < rank; i++)
        tm_printf(&m->nodes, "%s{\"size\":\"%d\"}", i ? "," : "", dims[i]);
    tm_printf(&m->nodes, "]}}}}");
}

/* A constant: float32 (is_int 0) or int32 (is_int 1) values. */
static void tm_const(tmodel *m, const char *name, int is_int, int rank,
                     const int *dims, const void *data)
{
    size_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= (size_t)dims[i];
    tm_sep(&m->nodes);
    tm_printf(&m->nodes,
              "{\"name\":\"%s\",\"op\":\"Const\",\"attr\":{\"dtype\":"
              "{\"type\":\"%s\"}}}",
              name, is_int ? "DT_INT32" : "DT_FLOAT");
    tm_sep(&m->weights);
    tm_printf(&m->weights, "{\"name\":\"%s\",\"shape\":", name);
    tm_shape_json(&m->weights, rank, dims);
    tm_printf(&m->weights, ",\"dtype\":\"%s\"}", is_int ? "int32" : "float32");
    tm_put(&m->bin, data, n * 4);
}

static void tm_const_f(tmodel *m, const char *name, int rank, const int *dims,
                       const float *data)
{
    tm_const(m, name, 0, rank, dims, data);
}

static void tm_const_i(tmodel *m, const char *name, int rank, const int *dims,
                       const int32_t *data)
{
    tm_const(m, name, 1, rank, dims, data);
}

static void tm_scalar_f(tmodel *m, const char *name, float v)
{
    tm_const(m, name, 0, 0, NULL, &v);
}

static void tm_scalar_i(tmodel *m, const char *name, int32_t v)
{
    tm_const(m, name, 1, 0, NULL, &v);
}

static void tm_vec_i(tmodel *m, const char *name, int n, const int32_t *v)
{
    tm_const(m, name, 1, 1, &n, v);
}

/* An op node. `inputs` is a comma-separated list of names; `attrs` the JSON
 * members of "attr" (may be ""). */
static void tm_node(tmodel *m, const char *name, const char *op,
                    const char *inputs, const char *attrs)
{
    tm_sep(&m->nodes);
    tm_printf(&m->nodes, "{\"name\":\"%s\",\"op\":\"%s\",\"input\":[", name,
              op);
    const char *p = inputs;
    int first = 1;
    while (p && *p) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        tm_printf(&m->nodes, "%s\"%.*s\"", first ? "" : ",", (int)l, p);
        first = 0;
        p = e ? e + 1 : NULL;
    }
    tm_printf(&m->nodes, "],\"attr\":{%s}}", attrs ? attrs : "");
}

static void tm_output(tmodel *m, const char *name)
{
    tm_sep(&m->outputs);
    tm_printf(&m->outputs, "\"%s\":{\"name\":\"%s\"}", name, name);
}

/* Writes the folder; returns the model.json path (NULL on failure). */
static const char *tm_write(tmodel *m)
{
    snprintf(m->dir, sizeof m->dir, "/tmp/spatia_nn_XXXXXX");
    if (!mkdtemp(m->dir))
        return NULL;
    snprintf(m->json, sizeof m->json, "%s/model.json", m->dir);
    snprintf(m->binpath, sizeof m->binpath, "%s/weights.bin", m->dir);
    FILE *f = fopen(m->binpath, "wb");
    if (!f)
        return NULL;
    if (m->bin.n)
        fwrite(m->bin.p, 1, m->bin.n, f);
    fclose(f);
    f = fopen(m->json, "wb");
    if (!f)
        return NULL;
    fprintf(f,
            "{\"format\":\"graph-model\",\"modelTopology\":{\"node\":[%s]},"
            "\"signature\":{\"outputs\":{%s}},"
            "\"weightsManifest\":[{\"paths\":[\"weights.bin\"],"
            "\"weights\":[%s]}]}\n",
            m->nodes.p ? m->nodes.p : "", m->outputs.p ? m->outputs.p : "",
            m->weights.p ? m->weights.p : "");
    fclose(f);
    return m->json;
}

/* Deterministic uniform floats in [lo, hi). */
static float tm_rand(uint32_t *s, float lo, float hi)
{
    *s = *s * 1664525u + 1013904223u;
    return lo + (hi - lo) * (float)((*s >> 8) * (1.0 / 16777216.0));
}

static void tm_fill(float *x, size_t n, uint32_t seed, float lo, float hi)
{
    for (size_t i = 0; i < n; i++)
        x[i] = tm_rand(&seed, lo, hi);
}

#endif
