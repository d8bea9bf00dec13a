/*
 * tfjs.c - TF.js graph-model loader.
 *
 * A TF.js graph model is a model.json with
 *   modelTopology.node[]  TensorFlow NodeDefs (name, op, input[], attr{}),
 *   weightsManifest[]     groups of weights {paths[], weights[]}, where the
 *                         bytes of a group are its shard files concatenated
 *                         and the weights follow each other in that stream,
 *   signature             (optional, also under userDefinedMetadata) the
 *                         named inputs and outputs.
 * Every Const node takes its value from the weight of the same name. Weights
 * are float32, int32 or bool, possibly stored quantized as float16 or as
 * uint8/uint16 with value = q * scale + min.
 *
 * Both files are untrusted: shapes, counts, offsets and names are checked
 * before use and a damaged file fails with a message naming it.
 */
#include "nn/tfjs.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/json.h"
#include "spatia/error.h"

typedef struct wentry {
    const char *name; /* points into the JSON document */
    nn_dtype dt;
    nn_shape shape;
    void *data; /* owned until bound to a Const */
} wentry;

/* A string -> index hash map with open addressing; keys are not owned. */
typedef struct strmap {
    int *slot; /* -1 empty */
    const char **key;
    int cap;
} strmap;

typedef struct loader {
    const char *path;
    char dir[4096];
    nn_graph *g;
    char *err;
    int errlen;
    const json_value *root;
    wentry *w;
    int nw;
    strmap wmap, tmap;
} loader;

static int lerr(loader *L, int rc, const char *fmt, ...)
{
    if (L->err && L->errlen > 0) {
        int o = snprintf(L->err, (size_t)L->errlen, "%s: ", L->path);
        if (o < 0 || o >= L->errlen)
            o = 0;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(L->err + o, (size_t)(L->errlen - o), fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* --- string map ---------------------------------------------------------- */

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static int map_init(strmap *m, int n)
{
    int cap = 16;
    while (cap < 2 * n + 2)
        cap *= 2;
    m->slot = malloc((size_t)cap * sizeof *m->slot);
    m->key = malloc((size_t)cap * sizeof *m->key);
    if (!m->slot || !m->key)
        return SPATIA_NOMEM;
    for (int i = 0; i < cap; i++)
        m->slot[i] = -1;
    m->cap = cap;
    return SPATIA_OK;
}

static void map_free(strmap *m)
{
    free(m->slot);
    free(m->key);
    m->slot = NULL;
    m->key = NULL;
}

/* Inserts key -> v; returns 0, or 1 when the key already exists. */
static int map_put(strmap *m, const char *key, int v)
{
    uint32_t i = hash_str(key) & (uint32_t)(m->cap - 1);
    while (m->slot[i] >= 0) {
        if (!strcmp(m->key[i], key))
            return 1;
        i = (i + 1) & (uint32_t)(m->cap - 1);
    }
    m->slot[i] = v;
    m->key[i] = key;
    return 0;
}

static int map_get(const strmap *m, const char *key)
{
    if (!m->slot)
        return -1;
    uint32_t i = hash_str(key) & (uint32_t)(m->cap - 1);
    while (m->slot[i] >= 0) {
        if (!strcmp(m->key[i], key))
            return m->slot[i];
        i = (i + 1) & (uint32_t)(m->cap - 1);
    }
    return -1;
}

/* --- small JSON helpers --------------------------------------------------- */

/* An integer from a number or a decimal string (protobuf int64 in JSON). */
static int json_int(const json_value *v, long long *out)
{
    if (!v)
        return -1;
    if (v->type == JSON_NUMBER) {
        double d = v->number;
        if (d != floor(d) || d < -9.0e15 || d > 9.0e15)
            return -1;
        *out = (long long)d;
        return 0;
    }
    if (v->type == JSON_STRING) {
        const char *s = v->str;
        int neg = 0;
        long long r = 0;
        if (*s == '-') {
            neg = 1;
            s++;
        }
        if (!*s || v->len != strlen(v->str))
            return -1;
        for (; *s; s++) {
            if (*s < '0' || *s > '9' || r > 900000000000000LL)
                return -1;
            r = r * 10 + (*s - '0');
        }
        *out = neg ? -r : r;
        return 0;
    }
    return -1;
}

static const json_value *attr_of(const json_value *jn, const char *key)
{
    const json_value *a = json_get(jn, "attr");
    return a && a->type == JSON_OBJECT ? json_get(a, key) : NULL;
}

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

/* Decodes base64 `s` into out (NUL-terminated); -1 if invalid or too long. */
static int b64_decode(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (; *s && *s != '='; s++) {
        int v = b64val((unsigned char)*s);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o + 1 >= cap)
                return -1;
            char c = (char)((acc >> bits) & 0xff);
            if (!c)
                return -1;
            out[o++] = c;
        }
    }
    for (; *s == '='; s++)
        ;
    if (*s)
        return -1;
    out[o] = 0;
    return 0;
}

/* attr {"s": base64}: decoded into buf. 1 if absent, -1 if malformed. */
static int attr_str(const json_value *jn, const char *key, char *buf,
                    size_t cap)
{
    const json_value *a = attr_of(jn, key);
    if (!a)
        return 1;
    const json_value *s = json_get(a, "s");
    if (!s)
        return 1;
    if (s->type != JSON_STRING || b64_decode(s->str, buf, cap))
        return -1;
    return 0;
}

/* attr {"i": n}. 1 if absent, -1 if malformed. */
static int attr_int(const json_value *jn, const char *key, long long *out)
{
    const json_value *a = attr_of(jn, key);
    if (!a || !json_get(a, "i"))
        return 1;
    return json_int(json_get(a, "i"), out) ? -1 : 0;
}

/* attr {"b": bool}. Absent = dflt; -1 if malformed. */
static int attr_bool(const json_value *jn, const char *key, int dflt, int *out)
{
    const json_value *a = attr_of(jn, key);
    *out = dflt;
    if (!a || !json_get(a, "b"))
        return 0;
    const json_value *b = json_get(a, "b");
    if (b->type != JSON_BOOL)
        return -1;
    *out = b->boolean;
    return 0;
}

/* attr {"list": {"i": [...]}}: up to cap ints; count in *n. 1 if absent. */
static int attr_ints(const json_value *jn, const char *key, long long *out,
                     int cap, int *n)
{
    const json_value *a = attr_of(jn, key);
    *n = 0;
    if (!a)
        return 1;
    const json_value *l = json_get(a, "list");
    if (!l || l->type != JSON_OBJECT)
        return -1;
    const json_value *arr = json_get(l, "i");
    if (!arr)
        return 0; /* empty list */
    if (arr->type != JSON_ARRAY || arr->count > cap)
        return -1;
    for (const json_value *v = arr->child; v; v = v->next)
        if (json_int(v, &out[(*n)++]))
            return -1;
    return 0;
}

/* attr {"type": "DT_X"}: the dtype. 1 if absent, -1 unsupported. */
static int attr_type(const json_value *jn, const char *key, nn_dtype *out)
{
    const json_value *a = attr_of(jn, key);
    if (!a || !json_get(a, "type"))
        return 1;
    const json_value *t = json_get(a, "type");
    if (t->type != JSON_STRING)
        return -1;
    if (!strcmp(t->str, "DT_FLOAT"))
        *out = NN_F32;
    else if (!strcmp(t->str, "DT_INT32"))
        *out = NN_I32;
    else if (!strcmp(t->str, "DT_BOOL"))
        *out = NN_BOOL;
    else
        return -1;
    return 0;
}

/* --- weights -------------------------------------------------------------- */

float nn_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t man = h & 0x3ff;
    uint32_t bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: renormalize */
            int e = -1;
            do {
                e++;
                man <<= 1;
            } while (!(man & 0x400));
            bits =
                sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ff) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp - 15 + 127) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* Parses a JSON shape array. Returns 0 or -1 (message in why). */
static int parse_shape(const json_value *arr, nn_shape *s, const char **why)
{
    if (!arr || arr->type != JSON_ARRAY) {
        *why = "shape is not an array";
        return -1;
    }
    if (arr->count > NN_MAX_RANK) {
        *why = "shape has more than 6 dimensions";
        return -1;
    }
    s->rank = 0;
    size_t n = 1;
    for (const json_value *v = arr->child; v; v = v->next) {
        long long d;
        if (json_int(v, &d) || d < 0 || d > INT_MAX) {
            *why = "shape has an invalid dimension";
            return -1;
        }
        s->d[s->rank++] = (int)d;
        if (d && n > NN_MAX_ELEMS / (size_t)d) {
            *why = "shape is too large";
            return -1;
        }
        n *= (size_t)d;
    }
    return 0;
}

/* Reads `len` bytes of shard `rel` (relative to the model folder) into buf
 * at *pos. */
static int shard_path(loader *L, const char *rel, char *out, size_t cap)
{
    if (!*rel || rel[0] == '/' || strstr(rel, "..") || strchr(rel, '\\'))
        return lerr(L, SPATIA_MODEL,
                    "weight shard path '%s' leaves the model folder", rel);
    int n = snprintf(out, cap, "%s%s", L->dir, rel);
    if (n < 0 || (size_t)n >= cap)
        return lerr(L, SPATIA_MODEL, "weight shard path '%s' is too long", rel);
    return SPATIA_OK;
}

typedef struct wspec {
    const char *name;
    nn_dtype dt;       /* dtype after dequantization */
    int q;             /* 0 none, 1 float16, 2 uint8, 3 uint16 */
    double scale, min; /* uint8/uint16 */
    nn_shape shape;
    size_t elems, bytes; /* bytes stored in the shard stream */
} wspec;

static int parse_wspec(loader *L, int gi, int wi, const json_value *jw,
                       wspec *ws)
{
    const char *why = NULL;
    memset(ws, 0, sizeof *ws);
    const json_value *name = json_get(jw, "name");
    const json_value *dt = json_get(jw, "dtype");
    if (jw->type != JSON_OBJECT || !name || name->type != JSON_STRING ||
        !name->len || strlen(name->str) != name->len)
        return lerr(L, SPATIA_MODEL,
                    "weightsManifest[%d].weights[%d]: missing name", gi, wi);
    ws->name = name->str;
    if (!dt || dt->type != JSON_STRING)
        return lerr(L, SPATIA_MODEL, "weight '%s': missing dtype", ws->name);
    if (!strcmp(dt->str, "float32"))
        ws->dt = NN_F32;
    else if (!strcmp(dt->str, "int32"))
        ws->dt = NN_I32;
    else if (!strcmp(dt->str, "bool"))
        ws->dt = NN_BOOL;
    else
        return lerr(L, SPATIA_UNSUPPORTED, "weight '%s': dtype '%s'", ws->name,
                    dt->str);
    if (parse_shape(json_get(jw, "shape"), &ws->shape, &why))
        return lerr(L, SPATIA_MODEL, "weight '%s': %s", ws->name, why);
    ws->elems = nn_shape_elems(&ws->shape);
    size_t esize = nn_dtype_size(ws->dt);
    const json_value *q = json_get(jw, "quantization");
    if (q) {
        const json_value *qd = json_get(q, "dtype");
        if (q->type != JSON_OBJECT || !qd || qd->type != JSON_STRING)
            return lerr(L, SPATIA_MODEL, "weight '%s': bad quantization",
                        ws->name);
        if (!strcmp(qd->str, "float16") && ws->dt == NN_F32) {
            ws->q = 1;
            esize = 2;
        } else if ((!strcmp(qd->str, "uint8") || !strcmp(qd->str, "uint16")) &&
                   ws->dt != NN_BOOL) {
            const json_value *sc = json_get(q, "scale");
            const json_value *mn = json_get(q, "min");
            ws->q = qd->str[4] == '8' ? 2 : 3;
            esize = ws->q == 2 ? 1 : 2;
            if (!sc || sc->type != JSON_NUMBER || !mn ||
                mn->type != JSON_NUMBER)
                return lerr(L, SPATIA_MODEL,
                            "weight '%s': quantization without scale/min",
                            ws->name);
            ws->scale = sc->number;
            ws->min = mn->number;
        } else {
            return lerr(L, SPATIA_UNSUPPORTED,
                        "weight '%s': quantization '%s' of %s", ws->name,
                        qd->str, nn_dtype_name(ws->dt));
        }
    }
    ws->bytes = ws->elems * esize;
    return SPATIA_OK;
}

static void *decode_weight(const wspec *ws, const unsigned char *src)
{
    void *dst = nn_alloc_aligned(ws->elems * nn_dtype_size(ws->dt));
    if (!dst)
        return NULL;
    size_t n = ws->elems;
    if (ws->q == 0) {
        memcpy(dst, src, ws->bytes);
    } else if (ws->q == 1) {
        float *f = dst;
        for (size_t i = 0; i < n; i++)
            f[i] = nn_half_to_float(
                (uint16_t)(src[2 * i] | (src[2 * i + 1] << 8)));
    } else {
        for (size_t i = 0; i < n; i++) {
            unsigned v = ws->q == 2
                             ? src[i]
                             : (unsigned)(src[2 * i] | (src[2 * i + 1] << 8));
            double x = v * ws->scale + ws->min;
            if (ws->dt == NN_F32) {
                ((float *)dst)[i] = (float)x;
            } else {
                x = round(x);
                if (!(x >= INT32_MIN && x <= INT32_MAX))
                    x = 0;
                ((int32_t *)dst)[i] = (int32_t)x;
            }
        }
    }
    return dst;
}

static int read_group(loader *L, int gi, const json_value *grp)
{
    const json_value *paths = json_get(grp, "paths");
    const json_value *ws = json_get(grp, "weights");
    unsigned char *buf = NULL;
    wspec *spec = NULL;
    int rc = SPATIA_OK;
    size_t need = 0, have = 0;
    char path[4096];

    if (grp->type != JSON_OBJECT || !paths || paths->type != JSON_ARRAY ||
        !ws || ws->type != JSON_ARRAY)
        return lerr(L, SPATIA_MODEL,
                    "weightsManifest[%d]: needs 'paths' and 'weights' arrays",
                    gi);
    if (ws->count == 0)
        return SPATIA_OK;
    spec = calloc((size_t)ws->count, sizeof *spec);
    if (!spec)
        return SPATIA_NOMEM;
    int wi = 0;
    for (const json_value *jw = ws->child; jw; jw = jw->next, wi++) {
        rc = parse_wspec(L, gi, wi, jw, &spec[wi]);
        if (rc)
            goto out;
        need += spec[wi].bytes;
        if (need > ((size_t)1 << 34)) {
            rc = lerr(L, SPATIA_MODEL, "weightsManifest[%d]: too large", gi);
            goto out;
        }
    }
    /* Sizes of the shards first, so that a short file is reported before
     * anything large is allocated. */
    const char *last = NULL;
    for (const json_value *p = paths->child; p; p = p->next) {
        struct stat st;
        if (p->type != JSON_STRING || strlen(p->str) != p->len) {
            rc = lerr(L, SPATIA_MODEL, "weightsManifest[%d]: bad path", gi);
            goto out;
        }
        if ((rc = shard_path(L, p->str, path, sizeof path)))
            goto out;
        if (stat(path, &st) != 0) {
            rc = lerr(L, errno == ENOENT ? SPATIA_NOTFOUND : SPATIA_IO,
                      "weight shard %s: %s", path, strerror(errno));
            goto out;
        }
        if (!S_ISREG(st.st_mode)) {
            rc = lerr(L, SPATIA_IO, "weight shard %s: not a file", path);
            goto out;
        }
        have += (size_t)st.st_size;
        last = p->str;
    }
    if (have != need) {
        rc = lerr(L, SPATIA_MODEL,
                  "weight shard%s %s%s: %zu bytes, the manifest needs %zu "
                  "(truncated or damaged)",
                  paths->count > 1 ? "s" : "", paths->count > 1 ? "... " : "",
                  last ? last : "(none)", have, need);
        goto out;
    }
    buf = malloc(need ? need : 1);
    if (!buf) {
        rc = SPATIA_NOMEM;
        goto out;
    }
    size_t pos = 0;
    for (const json_value *p = paths->child; p; p = p->next) {
        shard_path(L, p->str, path, sizeof path);
        FILE *f = fopen(path, "rb");
        if (!f) {
            rc = lerr(L, SPATIA_IO, "weight shard %s: %s", path,
                      strerror(errno));
            goto out;
        }
        size_t n = fread(buf + pos, 1, need - pos, f);
        int extra = fgetc(f) != EOF;
        fclose(f);
        pos += n;
        if (extra || (p->next == NULL && pos != need)) {
            rc = lerr(L, SPATIA_IO, "weight shard %s: changed while reading",
                      path);
            goto out;
        }
    }
    if (pos != need) {
        rc = lerr(L, SPATIA_IO, "weight shards: short read");
        goto out;
    }
    size_t off = 0;
    for (int i = 0; i < ws->count; i++) {
        wentry *e = &L->w[L->nw];
        e->name = spec[i].name;
        e->dt = spec[i].dt;
        e->shape = spec[i].shape;
        e->data = decode_weight(&spec[i], buf + off);
        if (!e->data) {
            rc = SPATIA_NOMEM;
            goto out;
        }
        L->nw++;
        off += spec[i].bytes;
    }
out:
    free(buf);
    free(spec);
    return rc;
}

static int read_weights(loader *L)
{
    const json_value *wm = json_get(L->root, "weightsManifest");
    int total = 0;
    if (!wm)
        return SPATIA_OK;
    if (wm->type != JSON_ARRAY)
        return lerr(L, SPATIA_MODEL, "weightsManifest is not an array");
    for (const json_value *g = wm->child; g; g = g->next) {
        const json_value *ws = json_get(g, "weights");
        if (ws && ws->type == JSON_ARRAY)
            total += ws->count;
    }
    L->w = calloc((size_t)total + 1, sizeof *L->w);
    if (!L->w)
        return SPATIA_NOMEM;
    int gi = 0, rc;
    for (const json_value *g = wm->child; g; g = g->next, gi++)
        if ((rc = read_group(L, gi, g)))
            return rc;
    if ((rc = map_init(&L->wmap, L->nw)))
        return rc;
    for (int i = 0; i < L->nw; i++)
        if (map_put(&L->wmap, L->w[i].name, i))
            return lerr(L, SPATIA_MODEL, "weight '%s' listed twice",
                        L->w[i].name);
    return SPATIA_OK;
}

/* --- nodes ---------------------------------------------------------------- */

typedef struct opdef {
    const char *tf;
    nn_op op;
    int min_in, max_in, nout;
} opdef;

static const opdef OPS[] = {
    {"Identity", NN_OP_IDENTITY, 1, 1, 1},
    {"StopGradient", NN_OP_IDENTITY, 1, 1, 1},
    {"Snapshot", NN_OP_IDENTITY, 1, 1, 1},
    {"Conv2D", NN_OP_CONV2D, 2, 2, 1},
    {"_FusedConv2D", NN_OP_CONV2D, 2, 3, 1},
    {"DepthwiseConv2dNative", NN_OP_DWCONV2D, 2, 2, 1},
    {"FusedDepthwiseConv2dNative", NN_OP_DWCONV2D, 2, 3, 1},
    {"Add", NN_OP_ADD, 2, 2, 1},
    {"AddV2", NN_OP_ADD, 2, 2, 1},
    {"BiasAdd", NN_OP_ADD, 2, 2, 1},
    {"Sub", NN_OP_SUB, 2, 2, 1},
    {"Mul", NN_OP_MUL, 2, 2, 1},
    {"RealDiv", NN_OP_DIV, 2, 2, 1},
    {"Div", NN_OP_DIV, 2, 2, 1},
    {"Maximum", NN_OP_MAXIMUM, 2, 2, 1},
    {"Minimum", NN_OP_MINIMUM, 2, 2, 1},
    {"FloorDiv", NN_OP_FLOORDIV, 2, 2, 1},
    {"FloorMod", NN_OP_FLOORMOD, 2, 2, 1},
    {"Equal", NN_OP_EQUAL, 2, 2, 1},
    {"NotEqual", NN_OP_NOT_EQUAL, 2, 2, 1},
    {"Greater", NN_OP_GREATER, 2, 2, 1},
    {"GreaterEqual", NN_OP_GREATER_EQUAL, 2, 2, 1},
    {"Less", NN_OP_LESS, 2, 2, 1},
    {"LessEqual", NN_OP_LESS_EQUAL, 2, 2, 1},
    {"Relu", NN_OP_RELU, 1, 1, 1},
    {"Relu6", NN_OP_RELU6, 1, 1, 1},
    {"Sigmoid", NN_OP_SIGMOID, 1, 1, 1},
    {"Tanh", NN_OP_TANH, 1, 1, 1},
    {"Mean", NN_OP_MEAN, 2, 2, 1},
    {"ConcatV2", NN_OP_CONCAT, 2, NN_MAX_IN, 1},
    {"Reshape", NN_OP_RESHAPE, 2, 2, 1},
    {"ExpandDims", NN_OP_EXPAND_DIMS, 2, 2, 1},
    {"Squeeze", NN_OP_SQUEEZE, 1, 1, 1},
    {"Cast", NN_OP_CAST, 1, 1, 1},
    {"StridedSlice", NN_OP_STRIDED_SLICE, 4, 4, 1},
    {"ResizeBilinear", NN_OP_RESIZE_BILINEAR, 2, 2, 1},
    {"MaxPool", NN_OP_MAXPOOL, 1, 1, 1},
    {"AvgPool", NN_OP_AVGPOOL, 1, 1, 1},
    {"Pad", NN_OP_PAD, 2, 2, 1},
    {"PadV2", NN_OP_PAD, 3, 3, 1},
    {"TopKV2", NN_OP_TOPK, 2, 2, 2},
    {"GatherV2", NN_OP_GATHER, 3, 3, 1},
};

static const opdef *find_op(const char *tf)
{
    for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++)
        if (!strcmp(OPS[i].tf, tf))
            return &OPS[i];
    return NULL;
}

#define NODE_ERR(L, rc, jn_name, tf, ...)                                      \
    node_err(L, rc, jn_name, tf, __VA_ARGS__)

static int node_err(loader *L, int rc, const char *name, const char *tf,
                    const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return lerr(L, rc, "node '%s' (%s): %s", name, tf, msg);
}

/* strides/dilations/ksize/padding of convolutions and pooling. */
static int parse_window(loader *L, const json_value *jn, nn_node *n, int pool)
{
    long long v[8];
    int cnt, r;
    char s[64];

    r = attr_str(jn, "data_format", s, sizeof s);
    if (r < 0 || (r == 0 && strcmp(s, "NHWC")))
        return NODE_ERR(L, SPATIA_UNSUPPORTED, n->name, n->tf_op,
                        "data_format must be NHWC");
    r = attr_ints(jn, "strides", v, 8, &cnt);
    if (r < 0 || (r == 0 && cnt != 4) || (r == 1 && pool))
        return NODE_ERR(L, SPATIA_MODEL, n->name, n->tf_op, "bad strides");
    if (r == 0) {
        if (v[0] != 1 || v[3] != 1 || v[1] < 1 || v[2] < 1 || v[1] > 4096 ||
            v[2] > 4096)
            return NODE_ERR(L, SPATIA_UNSUPPORTED, n->name, n->tf_op,
                            "strides must be [1,h,w,1] with 1..4096");
        n->a.stride[0] = (int)v[1];
        n->a.stride[1] = (int)v[2];
    }
    if (pool) {
        r = attr_ints(jn, "ksize", v, 8, &cnt);
        if (r != 0 || cnt != 4 || v[0] != 1 || v[3] != 1 || v[1] < 1 ||
            v[2] < 1 || v[1] > 4096 || v[2] > 4096)
            return NODE_ERR(L, SPATIA_MODEL, n->name, n->tf_op,
                            "ksize must be [1,h,w,1] with 1..4096");
        n->a.ksize[0] = (int)v[1];
        n->a.ksize[1] = (int)v[2];
    } else {
        r = attr_ints(jn, "dilations", v, 8, &cnt);
        if (r < 0 || (r == 0 && cnt != 4))
            return NODE_ERR(L, SPATIA_MODEL, n->name, n->tf_op,
                            "bad dilations");
        if (r == 0) {
            if (v[0] != 1 || v[3] != 1 || v[1] < 1 || v[2] < 1 || v[1] > 4096 ||
                v[2] > 4096)
                return NODE_ERR(L, SPATIA_UNSUPPORTED, n->name, n->tf_op,
                                "dilations must be [1,h,w,1] with 1..4096");
            n->a.dilation[0] = (int)v[1];
            n->a.dilation[1] = (int)v[2];
        }
    }
    r = attr_str(jn, "padding", s, sizeof s);
    if (r != 0)
        return NODE_ERR(L, SPATIA_MODEL, n->name, n->tf_op, "missing padding");
    if (!strcmp(s, "SAME")) {
        n->a.padding = NN_PAD_SAME;
    } else if (!strcmp(s, "VALID")) {
        n->a.padding = NN_PAD_VALID;
    } else if (!strcmp(s, "EXPLICIT") && !pool) {
        n->a.padding = NN_PAD_EXPLICIT;
        r = attr_ints(jn, "explicit_paddings", v, 8, &cnt);
        if (r != 0 || cnt != 8 || v[0] || v[1] || v[6] || v[7])
            return NODE_ERR(L, SPATIA_MODEL, n->name, n->tf_op,
                            "explicit_paddings must be 8 values, "
                            "zero for batch and channels");
        for (int i = 0; i < 4; i++) {
            if (v[2 + i] < 0 || v[2 + i] > 4096)
                return NODE_ERR(L, SPATIA_MODEL, n->name, n->tf_op,
                                "explicit padding out of range");
            n->a.pad[i] = (int)v[2 + i]; /* top, bottom, left, right */
        }
    } else {
        return NODE_ERR(L, SPATIA_UNSUPPORTED, n->name, n->tf_op,
                        "padding '%s'", s);
    }
    return SPATIA_OK;
}

/* fused_ops of _FusedConv2D / FusedDepthwiseConv2dNative. */
static int parse_fused(loader *L, const json_value *jn, nn_node *n)
{
    const json_value *a = attr_of(jn, "fused_ops");
    const json_value *l = a ? json_get(a, "list") : NULL;
    const json_value *arr = l ? json_get(l, "s") : NULL;
    int has_bias = 0;
    char s[64];

    if (a && (!l || (arr && arr->type != JSON_ARRAY)))
        return NODE_ERR(L, SPATIA_MODEL, n->name, n->tf_op, "bad fused_ops");
    int i = 0;
    for (const json_value *v = arr ? arr->child : NULL; v; v = v->next, i++) {
        if (v->type != JSON_STRING || b64_decode(v->str, s, sizeof s))
            return NODE_ERR(L, SPATIA_MODEL, n->name, n->tf_op,
                            "bad fused_ops");
        if (i == 0 && !strcmp(s, "BiasAdd")) {
            has_bias = 1;
        } else if (i == 1 && has_bias && !strcmp(s, "Relu")) {
            n->a.has_act = 1;
            n->a.act_min = 0.0f;
            n->a.act_max = INFINITY;
        } else if (i == 1 && has_bias && !strcmp(s, "Relu6")) {
            n->a.has_act = 1;
            n->a.act_min = 0.0f;
            n->a.act_max = 6.0f;
        } else {
            return NODE_ERR(L, SPATIA_UNSUPPORTED, n->name, n->tf_op,
                            "fused op '%s'", s);
        }
    }
    long long na = 0;
    int r = attr_int(jn, "num_args", &na);
    if (r < 0 || (r == 0 && na != has_bias))
        return NODE_ERR(L, SPATIA_UNSUPPORTED, n->name, n->tf_op,
                        "num_args %lld with %d fused arguments", na, has_bias);
    if (n->nin != 2 + has_bias)
        return NODE_ERR(L, SPATIA_MODEL, n->name, n->tf_op,
                        "%d inputs, expected %d", n->nin, 2 + has_bias);
    return SPATIA_OK;
}

static int parse_attrs(loader *L, const json_value *jn, nn_node *n)
{
    int r, cnt;
    long long v[NN_MAX_RANK + 1];

    switch (n->op) {
    case NN_OP_CONV2D:
    case NN_OP_DWCONV2D:
        if ((r = parse_window(L, jn, n, 0)))
            return r;
        if (strncmp(n->tf_op, "Fused", 5) && strncmp(n->tf_op, "_Fused", 6)) {
            if (n->nin != 2)
                return NODE_ERR(L, SPATIA_MODEL, n->name, n->tf_op,
                                "expected 2 inputs");
            return SPATIA_OK;
        }
        return parse_fused(L, jn, n);
    case NN_OP_MAXPOOL:
    case NN_OP_AVGPOOL:
        return parse_window(L, jn, n, 1);
    case NN_OP_MEAN:
        if (attr_bool(jn, "keep_dims", 0, &n->a.keep_dims))
            return NODE_ERR(L, SPATIA_MODEL, n->name, n->tf_op,
                            "bad keep_dims");
        return SPATIA_OK;
    case NN_OP_CAST:
        r = attr_type(jn, "DstT", &n->a.dst);
        if (r)
            return NODE_ERR(L, SPATIA_UNSUPPORTED, n->name, n->tf_op,
                            "missing or unsupported DstT");
        return SPATIA_OK;
    case NN_OP_STRIDED_SLICE: {
        static const char *const keys[5] = {"begin_mask", "end_mask",
                                            "shrink_axis_mask", "ellipsis_mask",
                                            "new_axis_mask"};
        int *dst[5] = {&n->a.begin_mask, &n->a.end_mask, &n->a.shrink_mask,
                       &n->a.ellipsis_mask, &n->a.new_axis_mask};
        for (int i = 0; i < 5; i++) {
            long long m = 0;
            if (attr_int(jn, keys[i], &m) < 0 || m < 0 || m > 0xffff)
                return NODE_ERR(L, SPATIA_MODEL, n->name, n->tf_op, "bad %s",
                                keys[i]);
            *dst[i] = (int)m;
        }
        if (n->a.ellipsis_mask || n->a.new_axis_mask)
            return NODE_ERR(L, SPATIA_UNSUPPORTED, n->name, n->tf_op,
                            "ellipsis_mask/new_axis_mask");
        return SPATIA_OK;
    }
    case NN_OP_RESIZE_BILINEAR:
        if (attr_bool(jn, "align_corners", 0, &n->a.align_corners) ||
            attr_bool(jn, "half_pixel_centers", 0, &n->a.half_pixel))
            return NODE_ERR(L, SPATIA_MODEL, n->name, n->tf_op, "bad attrs");
        if (n->a.align_corners && n->a.half_pixel)
            return NODE_ERR(L, SPATIA_MODEL, n->name, n->tf_op,
                            "align_corners with half_pixel_centers");
        return SPATIA_OK;
    case NN_OP_TOPK:
        if (attr_bool(jn, "sorted", 1, &n->a.sorted))
            return NODE_ERR(L, SPATIA_MODEL, n->name, n->tf_op, "bad sorted");
        return SPATIA_OK;
    case NN_OP_GATHER: {
        long long bd = 0;
        if (attr_int(jn, "batch_dims", &bd) < 0 || bd != 0)
            return NODE_ERR(L, SPATIA_UNSUPPORTED, n->name, n->tf_op,
                            "batch_dims must be 0");
        return SPATIA_OK;
    }
    case NN_OP_SQUEEZE:
        r = attr_ints(jn, "squeeze_dims", v, NN_MAX_RANK, &cnt);
        if (r == 1)
            r = attr_ints(jn, "axis", v, NN_MAX_RANK, &cnt);
        if (r < 0)
            return NODE_ERR(L, SPATIA_MODEL, n->name, n->tf_op,
                            "bad squeeze_dims");
        for (int i = 0; i < cnt; i++) {
            if (v[i] < -NN_MAX_RANK || v[i] >= NN_MAX_RANK)
                return NODE_ERR(L, SPATIA_MODEL, n->name, n->tf_op,
                                "bad squeeze_dims");
            n->a.sq_dims[i] = (int)v[i];
        }
        n->a.nsq = cnt;
        return SPATIA_OK;
    default:
        return SPATIA_OK;
    }
}

/* Shape of a Placeholder from attr shape.shape.dim[].size. */
static int placeholder_shape(const json_value *shape, nn_shape *s)
{
    const json_value *dims = shape ? json_get(shape, "dim") : NULL;
    s->rank = 0;
    if (!shape || shape->type != JSON_OBJECT)
        return -1;
    if (json_get(shape, "unknownRank"))
        return -1;
    if (!dims)
        return 0; /* scalar */
    if (dims->type != JSON_ARRAY || dims->count > NN_MAX_RANK)
        return -1;
    size_t n = 1;
    for (const json_value *d = dims->child; d; d = d->next) {
        long long v;
        if (json_int(json_get(d, "size"), &v) || v < -1 || v > INT_MAX)
            return -1;
        if (v == -1) {
            if (s->rank != 0)
                return -2; /* only the batch may be dynamic */
            v = 1;
        }
        if (v && n > NN_MAX_ELEMS / (size_t)v)
            return -1;
        n *= (size_t)v;
        s->d[s->rank++] = (int)v;
    }
    return 0;
}

static const json_value *signature(const json_value *root)
{
    const json_value *s = json_get(root, "signature");
    if (s && s->type == JSON_OBJECT)
        return s;
    const json_value *u = json_get(root, "userDefinedMetadata");
    s = u && u->type == JSON_OBJECT ? json_get(u, "signature") : NULL;
    return s && s->type == JSON_OBJECT ? s : NULL;
}

/* Resolves "node", "node:0", "node:k" to a tensor index, or -1. */
static int lookup_tensor(loader *L, const char *ref)
{
    char key[1024];
    size_t len = strlen(ref);
    const char *colon = strrchr(ref, ':');
    if (len >= sizeof key)
        return -1;
    if (colon && colon[1]) {
        const char *p = colon + 1;
        long idx = 0;
        for (; *p; p++) {
            if (*p < '0' || *p > '9' || idx > 1000)
                return map_get(&L->tmap, ref);
            idx = idx * 10 + (*p - '0');
        }
        if (idx == 0) {
            memcpy(key, ref, (size_t)(colon - ref));
            key[colon - ref] = 0;
            return map_get(&L->tmap, key);
        }
    }
    return map_get(&L->tmap, ref);
}

static int add_port(nn_port **ports, int *n, const char *name, int tensor)
{
    nn_port *p = realloc(*ports, (size_t)(*n + 1) * sizeof *p);
    if (!p)
        return SPATIA_NOMEM;
    *ports = p;
    size_t len = strlen(name) + 1;
    p[*n].name = malloc(len);
    if (!p[*n].name)
        return SPATIA_NOMEM;
    memcpy(p[*n].name, name, len);
    p[*n].tensor = tensor;
    (*n)++;
    return SPATIA_OK;
}

static int build_nodes(loader *L, const json_value *nodes)
{
    nn_graph *g = L->g;
    const json_value *sig = signature(L->root);
    const json_value *sig_in = sig ? json_get(sig, "inputs") : NULL;
    int rc, idx = 0;
    /* node index in the JSON -> graph node index (-1 for Const/Placeholder) */
    int *gnode = calloc((size_t)nodes->count + 1, sizeof *gnode);
    if (!gnode)
        return SPATIA_NOMEM;

    /* Pass 1: tensors and nodes. */
    for (const json_value *jn = nodes->child; jn; jn = jn->next, idx++) {
        const json_value *jname = json_get(jn, "name");
        const json_value *jop = json_get(jn, "op");
        gnode[idx] = -1;
        if (jn->type != JSON_OBJECT || !jname || jname->type != JSON_STRING ||
            !jname->len || strlen(jname->str) != jname->len ||
            jname->len > 512 || !jop || jop->type != JSON_STRING) {
            rc = lerr(L, SPATIA_MODEL,
                      "modelTopology.node[%d]: needs a name and an op", idx);
            goto out;
        }
        const char *name = jname->str, *op = jop->str;
        if (strchr(name, ':') || name[0] == '^') {
            rc = lerr(L, SPATIA_MODEL, "node '%s': invalid name", name);
            goto out;
        }
        if (!strcmp(op, "Const")) {
            int w = map_get(&L->wmap, name);
            nn_dtype dt;
            if (w < 0 || !L->w[w].data) {
                rc = NODE_ERR(L, SPATIA_MODEL, name, op,
                              "no weight of that name in weightsManifest");
                goto out;
            }
            int r = attr_type(jn, "dtype", &dt);
            if (r < 0 || (r == 0 && dt != L->w[w].dt)) {
                rc = NODE_ERR(L, SPATIA_MODEL, name, op,
                              "dtype differs from its weight (%s)",
                              nn_dtype_name(L->w[w].dt));
                goto out;
            }
            int t = nn_graph_add_tensor(g, name, L->w[w].dt);
            if (t < 0) {
                rc = t;
                goto out;
            }
            g->t[t].shape = L->w[w].shape;
            g->t[t].data = L->w[w].data;
            g->t[t].store = NN_STORE_CONST;
            L->w[w].data = NULL;
        } else if (!strcmp(op, "Placeholder")) {
            nn_dtype dt = NN_F32;
            nn_shape s;
            const json_value *sa = attr_of(jn, "shape");
            int r = attr_type(jn, "dtype", &dt);
            if (r < 0) {
                rc = NODE_ERR(L, SPATIA_UNSUPPORTED, name, op, "dtype");
                goto out;
            }
            r = placeholder_shape(sa ? json_get(sa, "shape") : NULL, &s);
            if (r == -1 && sig_in) {
                /* fall back to the signature: "name" or "name:0" */
                for (const json_value *e = sig_in->child; e; e = e->next) {
                    const json_value *en = json_get(e, "name");
                    const char *nm =
                        en && en->type == JSON_STRING ? en->str : e->key;
                    size_t l = strlen(name);
                    if (!strncmp(nm, name, l) &&
                        (!nm[l] || !strcmp(nm + l, ":0"))) {
                        r = placeholder_shape(json_get(e, "tensorShape"), &s);
                        break;
                    }
                }
            }
            if (r == -2) {
                rc = NODE_ERR(L, SPATIA_UNSUPPORTED, name, op,
                              "dynamic input dimensions");
                goto out;
            }
            if (r < 0) {
                rc = NODE_ERR(L, SPATIA_MODEL, name, op,
                              "unknown or invalid input shape");
                goto out;
            }
            int t = nn_graph_add_tensor(g, name, dt);
            if (t < 0) {
                rc = t;
                goto out;
            }
            g->t[t].shape = s;
            g->t[t].is_input = 1;
            if ((rc = add_port(&g->inputs, &g->ninputs, name, t)))
                goto out;
        } else if (!strcmp(op, "NoOp")) {
            continue;
        } else {
            const opdef *d = find_op(op);
            if (!d) {
                rc =
                    NODE_ERR(L, SPATIA_UNSUPPORTED, name, op, "unsupported op");
                goto out;
            }
            int ni = nn_graph_add_node(g, d->op, name, op);
            if (ni < 0) {
                rc = ni;
                goto out;
            }
            gnode[idx] = ni;
            for (int k = 0; k < d->nout; k++) {
                char tn[600];
                if (k)
                    snprintf(tn, sizeof tn, "%s:%d", name, k);
                else
                    snprintf(tn, sizeof tn, "%s", name);
                int t = nn_graph_add_tensor(g, tn, NN_F32);
                if (t < 0) {
                    rc = t;
                    goto out;
                }
                g->t[t].producer = ni;
                g->n[ni].out[k] = t;
            }
            g->n[ni].nout = d->nout;
        }
    }
    if ((rc = map_init(&L->tmap, g->nt)))
        goto out;
    for (int i = 0; i < g->nt; i++) {
        if (map_put(&L->tmap, g->t[i].name, i)) {
            rc = lerr(L, SPATIA_MODEL, "node '%s' defined twice", g->t[i].name);
            goto out;
        }
    }

    /* Pass 2: inputs and attributes. */
    idx = 0;
    for (const json_value *jn = nodes->child; jn; jn = jn->next, idx++) {
        if (gnode[idx] < 0)
            continue;
        nn_node *n = &g->n[gnode[idx]];
        const opdef *d = find_op(n->tf_op);
        const json_value *ins = json_get(jn, "input");
        if (ins && ins->type != JSON_ARRAY) {
            rc = NODE_ERR(L, SPATIA_MODEL, n->name, n->tf_op,
                          "input is not an array");
            goto out;
        }
        for (const json_value *in = ins ? ins->child : NULL; in;
             in = in->next) {
            if (in->type != JSON_STRING || strlen(in->str) != in->len) {
                rc = NODE_ERR(L, SPATIA_MODEL, n->name, n->tf_op,
                              "bad input name");
                goto out;
            }
            if (in->str[0] == '^')
                continue; /* control dependency */
            int t = lookup_tensor(L, in->str);
            if (t < 0) {
                rc = NODE_ERR(L, SPATIA_MODEL, n->name, n->tf_op,
                              "input '%s' does not exist", in->str);
                goto out;
            }
            if (n->nin >= d->max_in) {
                rc = NODE_ERR(
                    L,
                    d->max_in == NN_MAX_IN ? SPATIA_UNSUPPORTED : SPATIA_MODEL,
                    n->name, n->tf_op, "more than %d inputs", d->max_in);
                goto out;
            }
            n->in[n->nin++] = t;
        }
        if (n->nin < d->min_in) {
            rc = NODE_ERR(L, SPATIA_MODEL, n->name, n->tf_op,
                          "%d inputs, expected at least %d", n->nin, d->min_in);
            goto out;
        }
        if ((rc = parse_attrs(L, jn, n)))
            goto out;
    }

    /* Outputs: the signature's, else every tensor nothing reads. */
    const json_value *sig_out = sig ? json_get(sig, "outputs") : NULL;
    if (sig_out && sig_out->type == JSON_OBJECT && sig_out->count > 0) {
        for (const json_value *e = sig_out->child; e; e = e->next) {
            const json_value *en = json_get(e, "name");
            const char *nm = en && en->type == JSON_STRING ? en->str : e->key;
            int t = lookup_tensor(L, nm);
            if (t < 0) {
                rc = lerr(L, SPATIA_MODEL,
                          "signature output '%s' does not exist", nm);
                goto out;
            }
            if ((rc = add_port(&g->outputs, &g->noutputs, e->key, t)))
                goto out;
        }
    } else {
        char *used = calloc((size_t)g->nt + 1, 1);
        if (!used) {
            rc = SPATIA_NOMEM;
            goto out;
        }
        for (int i = 0; i < g->nn; i++)
            for (int j = 0; j < g->n[i].nin; j++)
                used[g->n[i].in[j]] = 1;
        for (int i = 0; i < g->nn && !rc; i++) {
            int t = g->n[i].out[0];
            if (!used[t])
                rc = add_port(&g->outputs, &g->noutputs, g->t[t].name, t);
        }
        free(used);
        if (rc)
            goto out;
    }
    if (g->noutputs == 0) {
        rc = lerr(L, SPATIA_MODEL, "model has no outputs");
        goto out;
    }
    rc = SPATIA_OK;
out:
    free(gnode);
    return rc;
}

int nn_tfjs_load(const char *json_path, nn_graph *g, char *errbuf, int errlen)
{
    loader L;
    json_doc *doc = NULL;
    json_error je;
    int rc;

    memset(&L, 0, sizeof L);
    L.path = json_path;
    L.g = g;
    L.err = errbuf;
    L.errlen = errlen;
    if (errbuf && errlen > 0)
        errbuf[0] = 0;
    const char *slash = strrchr(json_path, '/');
    size_t dl = slash ? (size_t)(slash - json_path) + 1 : 0;
    if (dl >= sizeof L.dir)
        return lerr(&L, SPATIA_EINVAL, "path too long");
    memcpy(L.dir, json_path, dl);
    L.dir[dl] = 0;

    memset(&je, 0, sizeof je);
    rc = json_parse_file(json_path, &doc, &je);
    if (rc == SPATIA_NOTFOUND || rc == SPATIA_IO) {
        rc = lerr(&L, rc, "%s", je.msg[0] ? je.msg : spatia_strerror(rc));
        goto out;
    }
    if (rc) {
        rc = lerr(&L, rc, "line %d col %d: %s", je.line, je.col, je.msg);
        goto out;
    }
    L.root = json_root(doc);
    if (!L.root || L.root->type != JSON_OBJECT) {
        rc = lerr(&L, SPATIA_MODEL, "not a TF.js model (no JSON object)");
        goto out;
    }
    const json_value *fmt = json_get(L.root, "format");
    if (fmt && (fmt->type != JSON_STRING || strcmp(fmt->str, "graph-model"))) {
        rc = lerr(&L, SPATIA_UNSUPPORTED, "format '%s' (need graph-model)",
                  fmt->type == JSON_STRING ? fmt->str : "?");
        goto out;
    }
    const json_value *topo = json_get(L.root, "modelTopology");
    const json_value *nodes = topo ? json_get(topo, "node") : NULL;
    if (!topo || topo->type != JSON_OBJECT || !nodes ||
        nodes->type != JSON_ARRAY) {
        rc = lerr(&L, SPATIA_MODEL, "no modelTopology.node array");
        goto out;
    }
    const json_value *lib = json_get(topo, "library");
    const json_value *fns = lib ? json_get(lib, "function") : NULL;
    if (fns && fns->type == JSON_ARRAY && fns->count > 0) {
        rc = lerr(&L, SPATIA_UNSUPPORTED, "function library (control flow)");
        goto out;
    }
    if ((rc = read_weights(&L)))
        goto out;
    rc = build_nodes(&L, nodes);
out:
    for (int i = 0; i < L.nw; i++)
        nn_free_aligned(L.w[i].data);
    free(L.w);
    map_free(&L.wmap);
    map_free(&L.tmap);
    json_doc_free(doc);
    return rc;
}
