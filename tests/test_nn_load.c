/*
 * test_nn_load.c - the model loader on broken input.
 *
 * Hand-written model.json files walk the error paths (they need nothing
 * downloaded); then, when models/centernet.json and models/blazeface.json
 * are present, damaged copies made with a fixed seed (truncated and mutated
 * JSON, truncated and mutated weights) must be rejected with a message or
 * load and run without touching memory they do not own (run under ASan).
 * Also checks weight dequantization (float16, uint8) against known values.
 */
#include <stdint.h>
#include <sys/stat.h>

#include "nn_testmodel.h"
#include "spatia/error.h"
#include "spatia/nn.h"
#include "test.h"

static char g_err[1024];

/* Writes `json` (and `bin` of n bytes unless NULL) into a temp folder and
 * loads it; returns the load's error code. */
static int load_text(const char *json, const void *bin, size_t n)
{
    char dir[64] = "/tmp/spatia_nnload_XXXXXX", jp[128], bp[128];
    spatia_nn_model *m = NULL;
    if (!mkdtemp(dir))
        return -999;
    snprintf(jp, sizeof jp, "%s/model.json", dir);
    snprintf(bp, sizeof bp, "%s/w.bin", dir);
    FILE *f = fopen(jp, "wb");
    fputs(json, f);
    fclose(f);
    if (bin) {
        f = fopen(bp, "wb");
        fwrite(bin, 1, n, f);
        fclose(f);
    }
    int rc = spatia_nn_model_load(jp, NULL, &m, g_err, sizeof g_err);
    if (rc == SPATIA_OK) {
        spatia_nn_model_destroy(m);
    } else if (m != NULL || g_err[0] == 0) {
        fprintf(stderr, "error %d: handle %p, message '%s'\n", rc, (void *)m,
                g_err);
        test_failed_ = 1;
    }
    unlink(jp);
    unlink(bp);
    rmdir(dir);
    return rc;
}

#define HDR "{\"format\":\"graph-model\",\"modelTopology\":{\"node\":["
#define IN                                                                     \
    "{\"name\":\"x\",\"op\":\"Placeholder\",\"attr\":{\"dtype\":{\"type\":"    \
    "\"DT_FLOAT\"},\"shape\":{\"shape\":{\"dim\":[{\"size\":\"1\"},"           \
    "{\"size\":\"4\"}]}}}}"
#define WM(weights)                                                            \
    "\"weightsManifest\":[{\"paths\":[\"w.bin\"],\"weights\":[" weights "]}]}"

static const float four[4] = {1, 2, 3, 4};

TEST(missing_and_not_json)
{
    spatia_nn_model *m = (spatia_nn_model *)1;
    int rc = spatia_nn_model_load("/nonexistent/dir/model.json", NULL, &m,
                                  g_err, sizeof g_err);
    ASSERT_EQ(rc, SPATIA_NOTFOUND);
    ASSERT(m == NULL);
    ASSERT(strstr(g_err, "/nonexistent/dir/model.json") != NULL);
    ASSERT_EQ(spatia_nn_model_load(NULL, NULL, &m, g_err, sizeof g_err),
              SPATIA_EINVAL);
    ASSERT_EQ(load_text("{\"format\": ", NULL, 0), SPATIA_PARSE);
    ASSERT(strstr(g_err, "model.json") != NULL);
    ASSERT_EQ(load_text("[1,2]", NULL, 0), SPATIA_MODEL);
    ASSERT_EQ(load_text("{}", NULL, 0), SPATIA_MODEL);
    ASSERT_EQ(load_text("{\"format\":\"layers-model\",\"modelTopology\":{}}",
                        NULL, 0),
              SPATIA_UNSUPPORTED);
}

TEST(graph_errors)
{
    /* unknown op: named in the message */
    ASSERT_EQ(load_text(HDR IN ",{\"name\":\"y\",\"op\":\"FancyOp\","
                               "\"input\":[\"x\"]}]}}",
                        NULL, 0),
              SPATIA_UNSUPPORTED);
    ASSERT(strstr(g_err, "FancyOp") != NULL);
    /* input that does not exist */
    ASSERT_EQ(load_text(HDR IN ",{\"name\":\"y\",\"op\":\"Relu\","
                               "\"input\":[\"nope\"]}]}}",
                        NULL, 0),
              SPATIA_MODEL);
    ASSERT(strstr(g_err, "nope") != NULL);
    /* cycle */
    ASSERT_EQ(load_text(HDR IN ",{\"name\":\"a\",\"op\":\"AddV2\","
                               "\"input\":[\"x\",\"b\"]},"
                               "{\"name\":\"b\",\"op\":\"Relu\","
                               "\"input\":[\"a\"]}]},"
                               "\"signature\":{\"outputs\":{\"b\":{}}}}",
                        NULL, 0),
              SPATIA_MODEL);
    ASSERT(strstr(g_err, "cycle") != NULL);
    /* duplicate names */
    ASSERT_EQ(load_text(HDR IN "," IN "]}}", NULL, 0), SPATIA_MODEL);
    /* wrong number of inputs */
    ASSERT_EQ(load_text(HDR IN ",{\"name\":\"y\",\"op\":\"AddV2\","
                               "\"input\":[\"x\"]}]}}",
                        NULL, 0),
              SPATIA_MODEL);
    /* shapes that do not broadcast */
    ASSERT_EQ(load_text(HDR IN ",{\"name\":\"c\",\"op\":\"Const\"},"
                               "{\"name\":\"y\",\"op\":\"AddV2\","
                               "\"input\":[\"x\",\"c\"]}]}," WM(
                                   "{\"name\":\"c\",\"shape\":[3],"
                                   "\"dtype\":\"float32\"}"),
                        four, 12),
              SPATIA_MODEL);
    ASSERT(strstr(g_err, "broadcast") != NULL);
    /* Const without a weight */
    ASSERT_EQ(
        load_text(HDR IN ",{\"name\":\"c\",\"op\":\"Const\"}]}}", NULL, 0),
        SPATIA_MODEL);
    ASSERT(strstr(g_err, "'c'") != NULL);
    /* no outputs at all (an empty graph) */
    ASSERT_EQ(load_text(HDR "]}}", NULL, 0), SPATIA_MODEL);
    /* signature naming a missing tensor */
    ASSERT_EQ(load_text(HDR IN "]},\"signature\":{\"outputs\":{\"zz:0\":{}}}}",
                        NULL, 0),
              SPATIA_MODEL);
    /* a good one loads */
    ASSERT_EQ(load_text(HDR IN ",{\"name\":\"y\",\"op\":\"Relu\","
                               "\"input\":[\"x\"]}]}}",
                        NULL, 0),
              SPATIA_OK);
}

TEST(attribute_errors)
{
    char b1[16], b2[16], j[4096];
    /* bad base64 in padding */
    snprintf(j, sizeof j,
             HDR IN ",{\"name\":\"y\",\"op\":\"MaxPool\",\"input\":[\"x\"],"
                    "\"attr\":{\"ksize\":{\"list\":{\"i\":[\"1\",\"2\",\"2\","
                    "\"1\"]}},\"strides\":{\"list\":{\"i\":[\"1\",\"1\",\"1\","
                    "\"1\"]}},\"padding\":{\"s\":\"%%%%\"}}}]}}");
    ASSERT_EQ(load_text(j, NULL, 0), SPATIA_MODEL);
    /* NCHW */
    snprintf(j, sizeof j,
             HDR IN ",{\"name\":\"y\",\"op\":\"MaxPool\",\"input\":[\"x\"],"
                    "\"attr\":{\"ksize\":{\"list\":{\"i\":[\"1\",\"2\",\"2\","
                    "\"1\"]}},\"strides\":{\"list\":{\"i\":[\"1\",\"1\",\"1\","
                    "\"1\"]}},\"padding\":{\"s\":\"%s\"},\"data_format\":"
                    "{\"s\":\"%s\"}}}]}}",
             tm_b64("SAME", b1), tm_b64("NCHW", b2));
    ASSERT_EQ(load_text(j, NULL, 0), SPATIA_UNSUPPORTED);
    /* absurd strides */
    snprintf(j, sizeof j,
             HDR IN ",{\"name\":\"y\",\"op\":\"MaxPool\",\"input\":[\"x\"],"
                    "\"attr\":{\"ksize\":{\"list\":{\"i\":[\"1\",\"2\",\"2\","
                    "\"1\"]}},\"strides\":{\"list\":{\"i\":[\"1\","
                    "\"99999999999\",\"1\",\"1\"]}},\"padding\":{\"s\":\"%s\"}"
                    "}}]}}",
             tm_b64("SAME", b1));
    ASSERT(load_text(j, NULL, 0) < 0);
    /* pooling a rank-2 input */
    snprintf(j, sizeof j,
             HDR IN ",{\"name\":\"y\",\"op\":\"MaxPool\",\"input\":[\"x\"],"
                    "\"attr\":{\"ksize\":{\"list\":{\"i\":[\"1\",\"2\",\"2\","
                    "\"1\"]}},\"strides\":{\"list\":{\"i\":[\"1\",\"1\",\"1\","
                    "\"1\"]}},\"padding\":{\"s\":\"%s\"}}}]}}",
             tm_b64("SAME", b1));
    ASSERT_EQ(load_text(j, NULL, 0), SPATIA_MODEL);
    /* unsupported fused activation */
    snprintf(j, sizeof j,
             HDR IN ",{\"name\":\"y\",\"op\":\"_FusedConv2D\",\"input\":[\"x\","
                    "\"x\",\"x\"],\"attr\":{\"padding\":{\"s\":\"%s\"},"
                    "\"fused_ops\":{\"list\":{\"s\":[\"%s\",\"%s\"]}}}}]}}",
             tm_b64("SAME", b1), tm_b64("BiasAdd", b2), "RWx1");
    ASSERT_EQ(load_text(j, NULL, 0), SPATIA_UNSUPPORTED);
    /* non-constant reshape target */
    ASSERT_EQ(load_text(HDR IN ",{\"name\":\"xi\",\"op\":\"Cast\",\"input\":"
                               "[\"x\"],\"attr\":{\"DstT\":{\"type\":"
                               "\"DT_INT32\"}}},{\"name\":\"y\",\"op\":"
                               "\"Reshape\",\"input\":[\"x\",\"xi\"]}]}}",
                        NULL, 0),
              SPATIA_UNSUPPORTED);
}

TEST(weight_errors)
{
    static const char *const bad_shapes[] = {
        "[-1]", "[1.5]", "[\"a\"]", "[65536,65536,65536]", "[1,1,1,1,1,1,1]",
        "3",
    };
    char j[2048];
    for (size_t i = 0; i < sizeof bad_shapes / sizeof bad_shapes[0]; i++) {
        snprintf(j, sizeof j,
                 HDR IN ",{\"name\":\"c\",\"op\":\"Const\"},{\"name\":\"y\","
                        "\"op\":\"AddV2\",\"input\":[\"x\",\"c\"]}]},"
                        "\"weightsManifest\":[{\"paths\":[\"w.bin\"],"
                        "\"weights\":[{\"name\":\"c\",\"shape\":%s,"
                        "\"dtype\":\"float32\"}]}]}",
                 bad_shapes[i]);
        ASSERT_MSG(load_text(j, four, 16) < 0, "shape %s accepted",
                   bad_shapes[i]);
    }
    const char *good =
        HDR IN ",{\"name\":\"c\",\"op\":\"Const\"},{\"name\":\"y\","
               "\"op\":\"AddV2\",\"input\":[\"x\",\"c\"]}]}," WM(
                   "{\"name\":\"c\",\"shape\":[4],\"dtype\":\"float32\"}");
    ASSERT_EQ(load_text(good, four, 16), SPATIA_OK);
    /* shard truncated, too long, missing: the message names the shard */
    ASSERT_EQ(load_text(good, four, 15), SPATIA_MODEL);
    ASSERT(strstr(g_err, "w.bin") != NULL);
    float five[5] = {0};
    ASSERT_EQ(load_text(good, five, 20), SPATIA_MODEL);
    ASSERT_EQ(load_text(good, NULL, 0), SPATIA_NOTFOUND);
    ASSERT(strstr(g_err, "w.bin") != NULL);
    /* a shard outside the model folder */
    ASSERT_EQ(load_text(HDR IN "]},\"weightsManifest\":[{\"paths\":"
                               "[\"../w.bin\"],\"weights\":[{\"name\":\"c\","
                               "\"shape\":[4],\"dtype\":\"float32\"}]}]}",
                        four, 16),
              SPATIA_MODEL);
    /* unknown dtype / quantization */
    ASSERT_EQ(load_text(HDR IN "]}," WM("{\"name\":\"c\",\"shape\":[4],"
                                        "\"dtype\":\"complex64\"}"),
                        four, 16),
              SPATIA_UNSUPPORTED);
    ASSERT_EQ(load_text(HDR IN "]}," WM("{\"name\":\"c\",\"shape\":[4],"
                                        "\"dtype\":\"float32\","
                                        "\"quantization\":{\"dtype\":"
                                        "\"int4\"}}"),
                        four, 16),
              SPATIA_UNSUPPORTED);
    ASSERT_EQ(load_text(HDR IN "]}," WM("{\"name\":\"c\",\"shape\":[4],"
                                        "\"dtype\":\"float32\","
                                        "\"quantization\":{\"dtype\":"
                                        "\"uint8\"}}"),
                        four, 4),
              SPATIA_MODEL);
    /* a constant index out of range is caught while folding */
    int32_t idx = 7;
    float both[6] = {1, 2, 3, 4, 0, 0};
    memcpy(&both[4], &idx, 4);
    ASSERT_EQ(load_text(HDR IN ",{\"name\":\"c\",\"op\":\"Const\"},"
                               "{\"name\":\"i\",\"op\":\"Const\"},"
                               "{\"name\":\"ax\",\"op\":\"Const\"},"
                               "{\"name\":\"g\",\"op\":\"GatherV2\",\"input\":"
                               "[\"c\",\"i\",\"ax\"]},{\"name\":\"y\",\"op\":"
                               "\"AddV2\",\"input\":[\"x\",\"g\"]}]}," WM(
                                   "{\"name\":\"c\",\"shape\":[4],\"dtype\":"
                                   "\"float32\"},{\"name\":\"i\",\"shape\":[1],"
                                   "\"dtype\":\"int32\"},{\"name\":\"ax\","
                                   "\"shape\":[],\"dtype\":\"int32\"}"),
                        both, 24),
              SPATIA_MODEL);
}

/* float16 and uint8 weights decode like TF.js does. */
TEST(dequantization)
{
    /* 1.0, -2.0, 65504 (max), 2^-24 (smallest subnormal) */
    const uint16_t h[4] = {0x3c00, 0xc000, 0x7bff, 0x0001};
    const float want_h[4] = {1.0f, -2.0f, 65504.0f, 5.9604644775390625e-8f};
    const uint8_t q[4] = {0, 1, 128, 255};
    float want_q[4];
    for (int i = 0; i < 4; i++)
        want_q[i] = (float)(q[i] * 0.5 + -3.0);
    for (int which = 0; which < 2; which++) {
        char j[2048];
        snprintf(j, sizeof j,
                 HDR IN ",{\"name\":\"c\",\"op\":\"Const\"},{\"name\":\"y\","
                        "\"op\":\"AddV2\",\"input\":[\"x\",\"c\"]}]},"
                        "\"signature\":{\"outputs\":{\"y\":{}}},"
                        "\"weightsManifest\":[{\"paths\":[\"w.bin\"],"
                        "\"weights\":[{\"name\":\"c\",\"shape\":[4],"
                        "\"dtype\":\"float32\",\"quantization\":%s}]}]}",
                 which ? "{\"dtype\":\"uint8\",\"scale\":0.5,\"min\":-3}"
                       : "{\"dtype\":\"float16\"}");
        char dir[64] = "/tmp/spatia_nnq_XXXXXX", jp[128], bp[128];
        ASSERT(mkdtemp(dir));
        snprintf(jp, sizeof jp, "%s/model.json", dir);
        snprintf(bp, sizeof bp, "%s/w.bin", dir);
        FILE *f = fopen(jp, "wb");
        fputs(j, f);
        fclose(f);
        f = fopen(bp, "wb");
        fwrite(which ? (const void *)q : (const void *)h, 1, which ? 4 : 8, f);
        fclose(f);
        spatia_nn_model *m = NULL;
        int rc = spatia_nn_model_load(jp, NULL, &m, g_err, sizeof g_err);
        unlink(jp);
        unlink(bp);
        rmdir(dir);
        ASSERT_MSG(rc == 0, "%s", g_err);
        spatia_nn_tensor in, out;
        ASSERT_OK(spatia_nn_input(m, 0, &in));
        memset(in.data, 0, in.size);
        ASSERT_OK(spatia_nn_run(m));
        ASSERT_OK(spatia_nn_output(m, 0, &out));
        for (int i = 0; i < 4; i++)
            ASSERT_NEAR(((float *)out.data)[i], which ? want_q[i] : want_h[i],
                        0);
        spatia_nn_model_destroy(m);
    }
}

/* --- damaged copies of the real models ---------------------------------- */

static const char *model_path(const char *name, char *buf, size_t len)
{
    const char *dir = getenv("SPATIA_MODELS_DIR");
    if (dir)
        snprintf(buf, len, "%s/%s", dir, name);
    else
        snprintf(buf, len, "%s/models/%s", SPATIA_SOURCE_DIR, name);
    return access(buf, R_OK) == 0 ? buf : NULL;
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc((size_t)sz + 1);
    if (p && fread(p, 1, (size_t)sz, f) != (size_t)sz) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *n = (size_t)sz;
    return p;
}

static void spit(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(p, 1, n, f);
        fclose(f);
    }
}

static uint32_t rnd(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Loads the damaged copy; if it loads, runs it once (must not crash). */
static int try_damaged(const char *jp, int *loaded)
{
    spatia_nn_model *m = NULL;
    spatia_nn_opts o;
    spatia_nn_opts_default(&o);
    o.threads = 1;
    g_err[0] = 0;
    int rc = spatia_nn_model_load(jp, &o, &m, g_err, sizeof g_err);
    if (rc == SPATIA_OK) {
        spatia_nn_info info;
        spatia_nn_info_get(m, &info);
        (*loaded)++;
        if (info.arena_bytes < ((size_t)256 << 20)) {
            spatia_nn_tensor in;
            if (spatia_nn_input(m, 0, &in) == SPATIA_OK)
                memset(in.data, 0, in.size);
            int r = spatia_nn_run(m);
            if (r != SPATIA_OK && r != SPATIA_RANGE)
                rc = -1000;
        }
        spatia_nn_model_destroy(m);
        return rc;
    }
    return g_err[0] ? rc : -1001; /* a failure must say why */
}

static void damage_model(const char *name, int rounds)
{
    char src[4096], bsrc[4096], dir[64] = "/tmp/spatia_nndmg_XXXXXX";
    char jp[512], bp[512], shard[256];
    size_t jn = 0, bn = 0;
    if (!model_path(name, src, sizeof src))
        TEST_SKIP("models/%s absent (run scripts/fetch-models.sh)", name);
    unsigned char *json = slurp(src, &jn);
    ASSERT(json);
    json[jn] = 0;
    /* the shard name from the manifest: "paths":["x.bin"] */
    const char *pp = strstr((char *)json, "\"paths\"");
    ASSERT(pp);
    const char *q1 = strchr(strchr(pp, '[') + 1, '"') + 1;
    const char *q2 = strchr(q1, '"');
    snprintf(shard, sizeof shard, "%.*s", (int)(q2 - q1), q1);
    snprintf(bsrc, sizeof bsrc, "%.*s%s", (int)(strrchr(src, '/') - src + 1),
             src, shard);
    unsigned char *bin = slurp(bsrc, &bn);
    ASSERT(bin);
    ASSERT(mkdtemp(dir));
    snprintf(jp, sizeof jp, "%s/model.json", dir);
    snprintf(bp, sizeof bp, "%s/%s", dir, shard);
    unsigned char *buf = malloc(jn > bn ? jn + 16 : bn + 16);
    uint32_t seed = 0x5eed1234u;
    int loaded = 0, failed = 0;

    /* the intact copy loads */
    spit(jp, json, jn);
    spit(bp, bin, bn);
    ASSERT_OK(try_damaged(jp, &loaded));

    /* truncated JSON */
    for (int r = 0; r < rounds && !failed; r++) {
        size_t cut = rnd(&seed) % jn;
        spit(jp, json, cut);
        int rc = try_damaged(jp, &loaded);
        if (rc == SPATIA_OK || rc <= -1000) {
            fprintf(stderr, "%s: JSON cut at %zu: rc %d\n", name, cut, rc);
            failed = 1;
        }
    }
    /* mutated JSON: random bytes, digits, deleted ranges */
    for (int r = 0; r < 3 * rounds && !failed; r++) {
        memcpy(buf, json, jn);
        size_t n = jn;
        int kind = r % 3;
        for (int k = 0; k < 1 + (int)(rnd(&seed) % 4); k++) {
            size_t at = rnd(&seed) % n;
            if (kind == 0) {
                buf[at] = (unsigned char)(rnd(&seed) & 0xff);
            } else if (kind == 1) {
                /* change a digit: sizes, strides, indices */
                while (at < n && (buf[at] < '0' || buf[at] > '9'))
                    at++;
                if (at < n)
                    buf[at] = (unsigned char)('0' + rnd(&seed) % 10);
            } else {
                size_t len = 1 + rnd(&seed) % 64;
                if (at + len > n)
                    len = n - at;
                memmove(buf + at, buf + at + len, n - at - len);
                n -= len;
            }
        }
        spit(jp, buf, n);
        if (try_damaged(jp, &loaded) <= -1000) {
            fprintf(stderr, "%s: mutation %d: %s\n", name, r, g_err);
            failed = 1;
        }
    }
    spit(jp, json, jn);
    /* truncated weights: always an error naming the shard */
    for (int r = 0; r < rounds / 4 + 1 && !failed; r++) {
        size_t cut = rnd(&seed) % bn;
        spit(bp, bin, cut);
        int rc = try_damaged(jp, &loaded);
        if (rc != SPATIA_MODEL || !strstr(g_err, shard)) {
            fprintf(stderr, "%s: weights cut at %zu: rc %d %s\n", name, cut, rc,
                    g_err);
            failed = 1;
        }
    }
    /* mutated weights: numbers only, must load and run */
    for (int r = 0; r < 4 && !failed; r++) {
        memcpy(buf, bin, bn);
        for (int k = 0; k < 64; k++)
            buf[rnd(&seed) % bn] = (unsigned char)rnd(&seed);
        spit(bp, buf, bn);
        if (try_damaged(jp, &loaded) != SPATIA_OK) {
            fprintf(stderr, "%s: mutated weights: %s\n", name, g_err);
            failed = 1;
        }
    }
    fprintf(stderr, "%s: %d damaged copies loaded and ran\n", name, loaded);
    unlink(jp);
    unlink(bp);
    rmdir(dir);
    free(buf);
    free(json);
    free(bin);
    ASSERT(!failed);
}

static int rounds(void)
{
    /* SPATIA_NN_FUZZ_ROUNDS for a longer local run; fewer rounds under the
     * sanitizers, which make each load several times slower */
    const char *e = getenv("SPATIA_NN_FUZZ_ROUNDS");
    if (e && atoi(e) > 0)
        return atoi(e);
    return getenv("SPATIA_SANITIZED") ? 40 : 100;
}

TEST(damaged_centernet)
{
    damage_model("centernet.json", rounds());
}

TEST(damaged_blazeface)
{
    damage_model("blazeface.json", rounds());
}

TEST_MAIN(T(missing_and_not_json), T(graph_errors), T(attribute_errors),
          T(weight_errors), T(dequantization), T(damaged_centernet),
          T(damaged_blazeface))
