/*
 * test_nn_ops.c - every op of the engine against a naive reference written
 * here, through the whole path: a one-op TF.js model is written to a temp
 * folder, loaded, planned and run both with XNNPACK and with the portable
 * kernels. Covers SAME / VALID / explicit padding, strides, dilations,
 * depthwise multipliers, broadcasting, the fusions and arena reuse.
 */
#include <math.h>
#include <stdint.h>

#include "nn/dwconv.h"
#include "nn/graph.h"
#include "nn/plan.h"
#include "nn/pwconv.h"
#include "nn_testmodel.h"
#include "spatia/error.h"
#include "spatia/nn.h"
#include "test.h"
#include <pthread.h>
#include <pthreadpool.h>

#define MAXN 65536

/* Loads json, feeds the float inputs, runs twice (the second run must give
 * the same result: nothing may clobber inputs or constants), and copies
 * output `oi` (float32 or int32 as float) into y. *nodes gets the number
 * of executed ops. */
static int run(const char *json, int portable, int no_fuse, int nin,
               const float *const *ins, int oi, float *y, size_t ny, int *nodes)
{
    spatia_nn_model *m = NULL;
    spatia_nn_opts o;
    char err[512];
    float first[MAXN];
    spatia_nn_opts_default(&o);
    o.portable = portable;
    o.no_fuse = no_fuse;
    o.threads = 2;
    int rc = spatia_nn_model_load(json, &o, &m, err, sizeof err);
    if (rc) {
        fprintf(stderr, "load: %s\n", err);
        return rc;
    }
    for (int i = 0; i < nin; i++) {
        spatia_nn_tensor t;
        if ((rc = spatia_nn_input(m, i, &t)))
            goto out;
        memcpy(t.data, ins[i], t.size);
    }
    for (int r = 0; r < 2; r++) {
        spatia_nn_tensor t;
        if ((rc = spatia_nn_run(m)) || (rc = spatia_nn_output(m, oi, &t)))
            goto out;
        size_t n = t.size / (t.dtype == SPATIA_NN_BOOL ? 1 : 4);
        if (n != ny || n > MAXN) {
            fprintf(stderr, "output has %zu elements, expected %zu\n", n, ny);
            rc = SPATIA_RANGE;
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            float v = t.dtype == SPATIA_NN_F32 ? ((float *)t.data)[i]
                      : t.dtype == SPATIA_NN_I32
                          ? (float)((int32_t *)t.data)[i]
                          : (float)((uint8_t *)t.data)[i];
            if (r == 0)
                first[i] = v;
            else if (memcmp(&first[i], &v, sizeof v))
                rc = SPATIA_INTERNAL;
            y[i] = v;
        }
    }
    if (nodes) {
        spatia_nn_info info;
        spatia_nn_info_get(m, &info);
        *nodes = info.nodes;
    }
out:
    spatia_nn_model_destroy(m);
    return rc;
}

/* max |a-b| / (1 + |b|) */
static double rel_err(const float *a, const float *b, size_t n)
{
    double w = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]) / (1.0 + fabs((double)b[i]));
        if (!(d <= w))
            w = d;
    }
    return w;
}

/* Runs a model with both backends and compares with `ref`. */
#define CHECK_BOTH(json, nin, ins, oi, ref, n, tol)                            \
    do {                                                                       \
        static float got_[MAXN];                                               \
        for (int p_ = 0; p_ < 2; p_++) {                                       \
            ASSERT_OK(run(json, p_, 0, nin, ins, oi, got_, n, NULL));          \
            double e_ = rel_err(got_, ref, n);                                 \
            ASSERT_MSG(e_ <= (tol), "%s backend: error %g > %g",               \
                       p_ ? "portable" : "xnnpack", e_, (double)(tol));        \
        }                                                                      \
    } while (0)

/* --- naive references ----------------------------------------------------- */

static int same_out(int in, int s)
{
    return (in + s - 1) / s;
}

static void same_pad(int in, int k, int s, int d, int *before, int *after)
{
    int out = same_out(in, s);
    int total = (out - 1) * s + (k - 1) * d + 1 - in;
    if (total < 0)
        total = 0;
    *before = total / 2;
    *after = total - total / 2;
}

/* NHWC conv; dw: filter [kh,kw,C,M]; else [kh,kw,C,CO]. pads t,b,l,r. */
static void ref_conv(const float *x, int N, int H, int W, int C, const float *w,
                     int kh, int kw, int co, int dw, const float *bias, int sh,
                     int sw, int dh, int dwl, const int *pad, int OH, int OW,
                     float lo, float hi, float *y)
{
    int M = dw ? co / C : 0;
    for (int b = 0; b < N; b++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++)
                for (int o = 0; o < co; o++) {
                    double acc = bias ? bias[o] : 0.0;
                    for (int ky = 0; ky < kh; ky++)
                        for (int kx = 0; kx < kw; kx++) {
                            int iy = oy * sh - pad[0] + ky * dh;
                            int ix = ox * sw - pad[2] + kx * dwl;
                            if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                                continue;
                            const float *xp =
                                x + (((size_t)b * H + iy) * W + ix) * C;
                            if (dw) {
                                int c = o / M, m = o % M;
                                acc += (double)xp[c] *
                                       w[((ky * kw + kx) * C + c) * M + m];
                            } else {
                                for (int c = 0; c < C; c++)
                                    acc += (double)xp[c] *
                                           w[((ky * kw + kx) * C + c) * co + o];
                            }
                        }
                    float v = (float)acc;
                    v = v < lo ? lo : (v > hi ? hi : v);
                    y[(((size_t)b * OH + oy) * OW + ox) * co + o] = v;
                }
}

/* --- attribute helpers ---------------------------------------------------- */

static char *conv_attrs(char *buf, size_t len, int sh, int sw, int dh, int dw,
                        const char *padding, const int *explicit_pads,
                        const char *fused1, const char *fused2)
{
    char b1[32], b2[32], b3[32], b4[32];
    int o =
        snprintf(buf, len,
                 "\"strides\":{\"list\":{\"i\":[\"1\",\"%d\",\"%d\",\"1\"]}},"
                 "\"dilations\":{\"list\":{\"i\":[\"1\",\"%d\",\"%d\",\"1\"]}},"
                 "\"padding\":{\"s\":\"%s\"},"
                 "\"data_format\":{\"s\":\"%s\"}",
                 sh, sw, dh, dw, tm_b64(padding, b1), tm_b64("NHWC", b2));
    if (explicit_pads)
        o += snprintf(buf + o, len - (size_t)o,
                      ",\"explicit_paddings\":{\"list\":{\"i\":[\"0\",\"0\","
                      "\"%d\",\"%d\",\"%d\",\"%d\",\"0\",\"0\"]}}",
                      explicit_pads[0], explicit_pads[1], explicit_pads[2],
                      explicit_pads[3]);
    if (fused1) {
        o += snprintf(buf + o, len - (size_t)o,
                      ",\"num_args\":{\"i\":\"1\"},\"fused_ops\":{\"list\":"
                      "{\"s\":[\"%s\"",
                      tm_b64(fused1, b3));
        if (fused2)
            o += snprintf(buf + o, len - (size_t)o, ",\"%s\"",
                          tm_b64(fused2, b4));
        snprintf(buf + o, len - (size_t)o, "]}}");
    }
    return buf;
}

/* --- convolution tests ---------------------------------------------------- */

typedef struct conv_case {
    int H, W, C, kh, kw, co, sh, sw, dh, dw, depthwise;
    const char *padding; /* SAME / VALID / EXPLICIT */
    int pads[4];         /* explicit t,b,l,r */
    const char *act;     /* NULL, "Relu", "Relu6" */
    int bias;
} conv_case;

static int conv_case_run(const conv_case *cc)
{
    static float x[MAXN], w[MAXN], b[512], ref[MAXN];
    int xs[4] = {1, cc->H, cc->W, cc->C};
    int co = cc->depthwise ? cc->C * cc->co : cc->co;
    int ws[4] = {cc->kh, cc->kw, cc->C, cc->co};
    int pad[4];
    int OH, OW;
    char attrs[1024];
    tmodel m;

    if (!cc->bias && cc->act)
        return -1; /* TF fuses an activation only after a bias */
    tm_fill(x, (size_t)cc->H * cc->W * cc->C, 1, -1, 1);
    tm_fill(w, (size_t)cc->kh * cc->kw * cc->C * cc->co, 2, -1, 1);
    tm_fill(b, (size_t)co, 3, -1, 1);
    int ekh = (cc->kh - 1) * cc->dh + 1, ekw = (cc->kw - 1) * cc->dw + 1;
    if (!strcmp(cc->padding, "SAME")) {
        same_pad(cc->H, cc->kh, cc->sh, cc->dh, &pad[0], &pad[1]);
        same_pad(cc->W, cc->kw, cc->sw, cc->dw, &pad[2], &pad[3]);
        OH = same_out(cc->H, cc->sh);
        OW = same_out(cc->W, cc->sw);
    } else {
        for (int i = 0; i < 4; i++)
            pad[i] = !strcmp(cc->padding, "EXPLICIT") ? cc->pads[i] : 0;
        OH = (cc->H + pad[0] + pad[1] - ekh) / cc->sh + 1;
        OW = (cc->W + pad[2] + pad[3] - ekw) / cc->sw + 1;
    }
    float lo = -INFINITY, hi = INFINITY;
    if (cc->act) {
        lo = 0;
        hi = !strcmp(cc->act, "Relu6") ? 6.0f : INFINITY;
    }
    ref_conv(x, 1, cc->H, cc->W, cc->C, w, cc->kh, cc->kw, co, cc->depthwise,
             cc->bias ? b : NULL, cc->sh, cc->sw, cc->dh, cc->dw, pad, OH, OW,
             lo, hi, ref);

    tm_init(&m);
    tm_input(&m, "x", 4, xs);
    tm_const_f(&m, "w", 4, ws, w);
    int bs = co;
    if (cc->bias)
        tm_const_f(&m, "b", 1, &bs, b);
    conv_attrs(attrs, sizeof attrs, cc->sh, cc->sw, cc->dh, cc->dw, cc->padding,
               !strcmp(cc->padding, "EXPLICIT") ? cc->pads : NULL,
               cc->bias ? "BiasAdd" : NULL, cc->act);
    const char *op = cc->depthwise ? (cc->bias ? "FusedDepthwiseConv2dNative"
                                               : "DepthwiseConv2dNative")
                                   : (cc->bias ? "_FusedConv2D" : "Conv2D");
    tm_node(&m, "y", op, cc->bias ? "x,w,b" : "x,w", attrs);
    tm_output(&m, "y");
    const char *json = tm_write(&m);
    int failed = 0;
    if (!json)
        failed = 1;
    const float *ins[1] = {x};
    size_t n = (size_t)OH * OW * co;
    for (int p = 0; p < 2 && !failed; p++) {
        static float got[MAXN];
        int rc = run(json, p, 0, 1, ins, 0, got, n, NULL);
        double e = rc ? 1e9 : rel_err(got, ref, n);
        if (e > 1e-5) {
            fprintf(stderr,
                    "conv %dx%dx%d k%dx%d co%d s%d,%d d%d,%d dw%d %s act %s "
                    "(%s): rc %d err %g\n",
                    cc->H, cc->W, cc->C, cc->kh, cc->kw, cc->co, cc->sh, cc->sw,
                    cc->dh, cc->dw, cc->depthwise, cc->padding,
                    cc->act ? cc->act : "-", p ? "portable" : "xnnpack", rc, e);
            failed = 1;
        }
    }
    tm_free(&m);
    return failed;
}

TEST(conv2d_padding_strides_dilations)
{
    static const conv_case cases[] = {
        {7, 9, 3, 3, 3, 5, 1, 1, 1, 1, 0, "SAME", {0}, NULL, 1},
        {8, 8, 4, 3, 3, 6, 2, 2, 1, 1, 0, "SAME", {0}, "Relu6", 1},
        {9, 7, 3, 3, 3, 4, 2, 2, 1, 1, 0, "SAME", {0}, "Relu", 1},
        {9, 10, 2, 3, 2, 3, 1, 2, 1, 1, 0, "VALID", {0}, NULL, 1},
        {10, 10, 3, 3, 3, 4, 1, 1, 2, 2, 0, "SAME", {0}, NULL, 1},
        {11, 9, 2, 3, 3, 2, 2, 1, 1, 2, 0, "VALID", {0}, NULL, 0},
        {6, 7, 3, 3, 3, 4, 1, 1, 1, 1, 0, "EXPLICIT", {1, 2, 0, 3}, NULL, 1},
        {6, 6, 8, 1, 1, 16, 1, 1, 1, 1, 0, "SAME", {0}, "Relu", 1},
        {5, 5, 3, 5, 5, 2, 3, 3, 1, 1, 0, "SAME", {0}, NULL, 0},
        {4, 4, 5, 1, 1, 7, 1, 1, 1, 1, 0, "VALID", {0}, NULL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ASSERT_MSG(!conv_case_run(&cases[i]), "case %zu", i);
}

TEST(depthwise_multipliers)
{
    static const conv_case cases[] = {
        {8, 8, 6, 3, 3, 1, 1, 1, 1, 1, 1, "SAME", {0}, NULL, 0},
        {9, 9, 4, 3, 3, 1, 2, 2, 1, 1, 1, "SAME", {0}, "Relu", 1},
        {8, 7, 3, 3, 3, 2, 1, 1, 1, 1, 1, "SAME", {0}, NULL, 1},
        {10, 10, 3, 3, 3, 3, 2, 2, 1, 1, 1, "VALID", {0}, "Relu6", 1},
        {12, 12, 5, 3, 3, 1, 1, 1, 2, 2, 1, "SAME", {0}, NULL, 0},
        {7, 8, 4, 5, 5, 1, 2, 2, 1, 1, 1, "SAME", {0}, NULL, 1},
        {6, 6, 2, 3, 3, 2, 1, 1, 1, 1, 1, "EXPLICIT", {2, 0, 1, 1}, NULL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ASSERT_MSG(!conv_case_run(&cases[i]), "case %zu", i);
}

/* --- elementwise ---------------------------------------------------------- */

/* Broadcast index of flat output index o. */
static size_t bidx(size_t o, int r, const int *os, int ra, const int *as)
{
    size_t idx = 0, stride = 1;
    for (int d = r - 1; d >= 0; d--) {
        int c = (int)(o % (size_t)os[d]);
        o /= (size_t)os[d];
        int ad = d - (r - ra);
        if (ad >= 0) {
            if (as[ad] != 1)
                idx += (size_t)c * stride;
            stride *= (size_t)as[ad];
        }
    }
    return idx;
}

TEST(binary_broadcasting)
{
    static const char *ops[] = {"AddV2",   "Sub",     "Mul",
                                "RealDiv", "Maximum", "Minimum"};
    static const struct {
        int ra, a[4], rb, b[4];
    } shapes[] = {
        {4, {2, 3, 4, 5}, 4, {2, 3, 4, 5}}, {4, {2, 3, 4, 5}, 4, {1, 3, 1, 5}},
        {4, {2, 3, 4, 5}, 1, {5}},          {2, {4, 1}, 3, {2, 1, 6}},
        {4, {1, 4, 4, 8}, 4, {1, 1, 1, 8}},
    };
    static float a[MAXN], b[MAXN], ref[MAXN];
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        for (size_t oi = 0; oi < sizeof ops / sizeof ops[0]; oi++) {
            int r =
                shapes[si].ra > shapes[si].rb ? shapes[si].ra : shapes[si].rb;
            int os[4];
            for (int d = 0; d < r; d++) {
                int ad = d - (r - shapes[si].ra), bd = d - (r - shapes[si].rb);
                int da = ad >= 0 ? shapes[si].a[ad] : 1;
                int db = bd >= 0 ? shapes[si].b[bd] : 1;
                os[d] = da > db ? da : db;
            }
            size_t na = 1, nb = 1, no = 1;
            for (int d = 0; d < shapes[si].ra; d++)
                na *= (size_t)shapes[si].a[d];
            for (int d = 0; d < shapes[si].rb; d++)
                nb *= (size_t)shapes[si].b[d];
            for (int d = 0; d < r; d++)
                no *= (size_t)os[d];
            tm_fill(a, na, 10, -2, 2);
            tm_fill(b, nb, 11, 0.5f, 2);
            for (size_t o = 0; o < no; o++) {
                float x = a[bidx(o, r, os, shapes[si].ra, shapes[si].a)];
                float y = b[bidx(o, r, os, shapes[si].rb, shapes[si].b)];
                float v;
                switch (oi) {
                case 0:
                    v = x + y;
                    break;
                case 1:
                    v = x - y;
                    break;
                case 2:
                    v = x * y;
                    break;
                case 3:
                    v = x / y;
                    break;
                case 4:
                    v = x > y ? x : y;
                    break;
                default:
                    v = x < y ? x : y;
                    break;
                }
                ref[o] = v;
            }
            tmodel m;
            tm_init(&m);
            tm_input(&m, "a", shapes[si].ra, shapes[si].a);
            tm_input(&m, "b", shapes[si].rb, shapes[si].b);
            tm_node(&m, "y", ops[oi], "a,b", "");
            tm_output(&m, "y");
            const char *json = tm_write(&m);
            ASSERT(json);
            const float *ins[2] = {a, b};
            CHECK_BOTH(json, 2, ins, 0, ref, no, 1e-6);
            tm_free(&m);
        }
    }
}

TEST(integer_floor_ops_and_compare)
{
    /* FloorDiv / FloorMod on int32 with negatives, via constants (folded)
     * and via Cast from a float input (run time). */
    static const float xv[8] = {7, -7, 7, -7, 0, 5, -1, 9};
    static const int32_t dv[8] = {2, 2, -2, -2, 3, 5, 4, -4};
    float fd[8], fm[8], eq[8];
    for (int i = 0; i < 8; i++) {
        int a = (int)xv[i], b = dv[i];
        int q = (int)floor((double)a / b);
        fd[i] = (float)q;
        fm[i] = (float)(a - q * b);
        eq[i] = (float)(q == 1);
    }
    int s8 = 8;
    for (int which = 0; which < 3; which++) {
        tmodel m;
        char a1[128];
        tm_init(&m);
        tm_input(&m, "x", 1, &s8);
        tm_const_i(&m, "d", 1, &s8, dv);
        tm_scalar_i(&m, "one", 1);
        snprintf(a1, sizeof a1, "\"DstT\":{\"type\":\"DT_INT32\"}");
        tm_node(&m, "xi", "Cast", "x", a1);
        tm_node(&m, "q", "FloorDiv", "xi,d", "");
        tm_node(&m, "r", "FloorMod", "xi,d", "");
        tm_node(&m, "e", "Equal", "q,one", "");
        tm_output(&m, which == 0 ? "q" : which == 1 ? "r" : "e");
        const char *json = tm_write(&m);
        const float *ins[1] = {xv};
        CHECK_BOTH(json, 1, ins, 0,
                   which == 0   ? fd
                   : which == 1 ? fm
                                : eq,
                   8, 0);
        tm_free(&m);
    }
}

TEST(unary_activations)
{
    static const char *ops[] = {"Relu", "Relu6", "Sigmoid", "Tanh"};
    static float x[4096], ref[4096];
    int s[4] = {1, 8, 8, 64};
    tm_fill(x, 4096, 5, -10, 10);
    for (int oi = 0; oi < 4; oi++) {
        for (int i = 0; i < 4096; i++) {
            double v = x[i];
            ref[i] = (float)(oi == 0   ? (v < 0 ? 0 : v)
                             : oi == 1 ? (v < 0   ? 0
                                          : v > 6 ? 6
                                                  : v)
                             : oi == 2 ? 1 / (1 + exp(-v))
                                       : tanh(v));
        }
        tmodel m;
        tm_init(&m);
        tm_input(&m, "x", 4, s);
        tm_node(&m, "y", ops[oi], "x", "");
        tm_output(&m, "y");
        const char *json = tm_write(&m);
        const float *ins[1] = {x};
        CHECK_BOTH(json, 1, ins, 0, ref, 4096, 1e-5);
        tm_free(&m);
    }
}

/* --- fusions -------------------------------------------------------------- */

/* x -> conv -> hard_swish (as TF writes it, constant 1/6 in float16) */
TEST(hardswish_fusion)
{
    static float x[6 * 6 * 4], w[4 * 8], b[8], ref[6 * 6 * 8], got[6 * 6 * 8];
    int xs[4] = {1, 6, 6, 4}, ws[4] = {1, 1, 4, 8}, bs = 8;
    char attrs[1024];
    const float sixth = 0.1666259765625f; /* float16(1/6) */
    int pad[4] = {0, 0, 0, 0};
    tm_fill(x, sizeof x / 4, 20, -5, 5);
    tm_fill(w, sizeof w / 4, 21, -1, 1);
    tm_fill(b, 8, 22, -1, 1);
    ref_conv(x, 1, 6, 6, 4, w, 1, 1, 8, 0, b, 1, 1, 1, 1, pad, 6, 6, -INFINITY,
             INFINITY, ref);
    for (int i = 0; i < 6 * 6 * 8; i++) {
        float v = ref[i], t = v + 3.0f;
        t = t < 0 ? 0 : (t > 6 ? 6 : t);
        ref[i] = (sixth * v) * t;
    }
    tmodel m;
    tm_init(&m);
    tm_input(&m, "x", 4, xs);
    tm_const_f(&m, "w", 4, ws, w);
    tm_const_f(&m, "b", 1, &bs, b);
    tm_scalar_f(&m, "c6", sixth);
    tm_scalar_f(&m, "c3", 3.0f);
    tm_node(&m, "conv", "_FusedConv2D", "x,w,b",
            conv_attrs(attrs, sizeof attrs, 1, 1, 1, 1, "SAME", NULL, "BiasAdd",
                       NULL));
    tm_node(&m, "hs/mul", "Mul", "c6,conv", "");
    tm_node(&m, "hs/add", "Add", "conv,c3", "");
    tm_node(&m, "hs/relu6", "Relu6", "hs/add", "");
    tm_node(&m, "hs/mul_1", "Mul", "hs/mul,hs/relu6", "");
    tm_output(&m, "hs/mul_1");
    const char *json = tm_write(&m);
    const float *ins[1] = {x};
    for (int p = 0; p < 2; p++) {
        int nodes = 0, nodes_plain = 0;
        ASSERT_OK(run(json, p, 0, 1, ins, 0, got, 6 * 6 * 8, &nodes));
        ASSERT(rel_err(got, ref, 6 * 6 * 8) <= 1e-6);
        ASSERT_EQ(nodes, 2); /* conv + hard-swish */
        ASSERT_OK(run(json, p, 1, 1, ins, 0, got, 6 * 6 * 8, &nodes_plain));
        ASSERT(rel_err(got, ref, 6 * 6 * 8) <= 1e-6);
        ASSERT_EQ(nodes_plain, 5);
    }
    tm_free(&m);
}

/* Squeeze-excite gate: conv -> +3 -> relu6 -> *(1/6) folds into one conv. */
TEST(bias_activation_scale_fusion)
{
    static float x[5 * 5 * 6], w[6 * 3], b[3], ref[5 * 5 * 3], got[5 * 5 * 3];
    int xs[4] = {1, 5, 5, 6}, ws[4] = {1, 1, 6, 3}, bs = 3;
    int pad[4] = {0};
    char attrs[1024];
    tm_fill(x, sizeof x / 4, 30, -3, 3);
    tm_fill(w, sizeof w / 4, 31, -1, 1);
    tm_fill(b, 3, 32, -1, 1);
    ref_conv(x, 1, 5, 5, 6, w, 1, 1, 3, 0, b, 1, 1, 1, 1, pad, 5, 5, -INFINITY,
             INFINITY, ref);
    for (int i = 0; i < 5 * 5 * 3; i++) {
        float t = ref[i] + 3.0f;
        t = t < 0 ? 0 : (t > 6 ? 6 : t);
        ref[i] = 0.25f * t;
    }
    tmodel m;
    tm_init(&m);
    tm_input(&m, "x", 4, xs);
    tm_const_f(&m, "w", 4, ws, w);
    tm_const_f(&m, "b", 1, &bs, b);
    tm_scalar_f(&m, "c3", 3.0f);
    tm_scalar_f(&m, "q", 0.25f);
    tm_node(&m, "conv", "_FusedConv2D", "x,w,b",
            conv_attrs(attrs, sizeof attrs, 1, 1, 1, 1, "VALID", NULL,
                       "BiasAdd", NULL));
    tm_node(&m, "add", "Add", "conv,c3", "");
    tm_node(&m, "r6", "Relu6", "add", "");
    tm_node(&m, "mul", "Mul", "q,r6", "");
    tm_output(&m, "mul");
    const char *json = tm_write(&m);
    const float *ins[1] = {x};
    for (int p = 0; p < 2; p++) {
        int nodes = 0;
        ASSERT_OK(run(json, p, 0, 1, ins, 0, got, 75, &nodes));
        ASSERT(rel_err(got, ref, 75) <= 1e-6);
        ASSERT_EQ(nodes, 1);
    }
    tm_free(&m);
}

/* CenterNet's peak mask x * cast(x == maxpool3x3(x)) and TopK on it. */
TEST(maxpool_select_equal_topk)
{
    static float x[16 * 16 * 3], mp[16 * 16 * 3], ref[16 * 16 * 3];
    static float got[16 * 16 * 3];
    int xs[4] = {1, 16, 16, 3};
    char attrs[512], b1[16], b2[16];
    tm_fill(x, sizeof x / 4, 40, 0, 1);
    x[5] = x[8] = 2.0f; /* a tie for TopK */
    for (int yy = 0; yy < 16; yy++)
        for (int xx = 0; xx < 16; xx++)
            for (int c = 0; c < 3; c++) {
                float m = -INFINITY;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++) {
                        int y2 = yy + dy, x2 = xx + dx;
                        if (y2 < 0 || y2 >= 16 || x2 < 0 || x2 >= 16)
                            continue;
                        float v = x[(y2 * 16 + x2) * 3 + c];
                        m = v > m ? v : m;
                    }
                int i = (yy * 16 + xx) * 3 + c;
                mp[i] = m;
                ref[i] = x[i] == m ? x[i] : 0.0f;
            }
    snprintf(attrs, sizeof attrs,
             "\"ksize\":{\"list\":{\"i\":[\"1\",\"3\",\"3\",\"1\"]}},"
             "\"strides\":{\"list\":{\"i\":[\"1\",\"1\",\"1\",\"1\"]}},"
             "\"padding\":{\"s\":\"%s\"},\"data_format\":{\"s\":\"%s\"}",
             tm_b64("SAME", b1), tm_b64("NHWC", b2));
    int rs[2] = {1, -1};
    tmodel m;
    tm_init(&m);
    tm_input(&m, "x", 4, xs);
    tm_vec_i(&m, "shape", 2, rs);
    tm_scalar_i(&m, "k", 10);
    tm_node(&m, "mp", "MaxPool", "x", attrs);
    tm_node(&m, "eq", "Equal", "x,mp", "");
    tm_node(&m, "cast", "Cast", "eq", "\"DstT\":{\"type\":\"DT_FLOAT\"}");
    tm_node(&m, "peaks", "Mul", "x,cast", "");
    tm_node(&m, "flat", "Reshape", "peaks,shape", "");
    tm_node(&m, "top", "TopKV2", "flat,k", "\"sorted\":{\"b\":true}");
    tm_output(&m, "mp");
    tm_output(&m, "peaks");
    tm_output(&m, "top");
    tm_output(&m, "top:1");
    const char *json = tm_write(&m);
    const float *ins[1] = {x};
    CHECK_BOTH(json, 1, ins, 0, mp, 768, 0);
    CHECK_BOTH(json, 1, ins, 1, ref, 768, 0);
    /* reference TopK: value desc, index asc */
    float tv[10], ti[10];
    char used[768] = {0};
    for (int j = 0; j < 10; j++) {
        int best = -1;
        for (int i = 0; i < 768; i++)
            if (!used[i] && (best < 0 || ref[i] > ref[best]))
                best = i;
        used[best] = 1;
        tv[j] = ref[best];
        ti[j] = (float)best;
    }
    ASSERT_EQ(ti[0], 5); /* the tie: lower index first */
    ASSERT_EQ(ti[1], 8);
    CHECK_BOTH(json, 1, ins, 2, tv, 10, 0);
    CHECK_BOTH(json, 1, ins, 3, ti, 10, 0);
    for (int p = 0; p < 2; p++) {
        int nodes = 0;
        ASSERT_OK(run(json, p, 0, 1, ins, 1, got, 768, &nodes));
        ASSERT_EQ(nodes, 4); /* maxpool, select-equal, reshape, topk */
    }
    tm_free(&m);

    /* Only TopK is read: the whole chain fuses into one PeakTopK pass.
     * All-zero and negative regions exercise the value * 0 of non-peaks. */
    for (int i = 0; i < 256; i++)
        x[i * 3 + 1] = i < 128 ? 0.0f : -1.0f - (float)(i % 7);
    tm_init(&m);
    tm_input(&m, "x", 4, xs);
    tm_vec_i(&m, "shape", 2, rs);
    tm_scalar_i(&m, "k", 300);
    tm_node(&m, "mp", "MaxPool", "x", attrs);
    tm_node(&m, "eq", "Equal", "x,mp", "");
    tm_node(&m, "cast", "Cast", "eq", "\"DstT\":{\"type\":\"DT_FLOAT\"}");
    tm_node(&m, "peaks", "Mul", "x,cast", "");
    tm_node(&m, "flat", "Reshape", "peaks,shape", "");
    tm_node(&m, "top", "TopKV2", "flat,k", "\"sorted\":{\"b\":true}");
    tm_output(&m, "top");
    tm_output(&m, "top:1");
    json = tm_write(&m);
    static float fused_v[300], fused_i[300], plain_v[300], plain_i[300];
    for (int p = 0; p < 2; p++) {
        int nodes = 0;
        ASSERT_OK(run(json, p, 0, 1, ins, 0, fused_v, 300, &nodes));
        ASSERT_EQ(nodes, 1);
        ASSERT_OK(run(json, p, 0, 1, ins, 1, fused_i, 300, NULL));
        ASSERT_OK(run(json, p, 1, 1, ins, 0, plain_v, 300, &nodes));
        ASSERT(nodes > 1);
        ASSERT_OK(run(json, p, 1, 1, ins, 1, plain_i, 300, NULL));
        ASSERT(!memcmp(fused_v, plain_v, sizeof fused_v));
        ASSERT(!memcmp(fused_i, plain_i, sizeof fused_i));
    }
    tm_free(&m);
}

/* --- reductions, shapes --------------------------------------------------- */

TEST(mean_axes)
{
    static float x[2 * 5 * 6 * 7], ref[2 * 7 * 6];
    int xs[4] = {2, 5, 6, 7};
    tm_fill(x, sizeof x / 4, 50, -1, 1);
    static const int32_t axes_hw[2] = {1, 2}, axes_c[1] = {-1};
    for (int which = 0; which < 2; which++) {
        size_t n;
        if (which == 0) {
            for (int b = 0; b < 2; b++)
                for (int c = 0; c < 7; c++) {
                    double s = 0;
                    for (int i = 0; i < 30; i++)
                        s += x[(b * 30 + i) * 7 + c];
                    ref[b * 7 + c] = (float)(s / 30);
                }
            n = 14;
        } else {
            for (int i = 0; i < 60; i++) {
                double s = 0;
                for (int c = 0; c < 7; c++)
                    s += x[i * 7 + c];
                ref[i] = (float)(s / 7);
            }
            n = 60;
        }
        tmodel m;
        tm_init(&m);
        tm_input(&m, "x", 4, xs);
        if (which == 0)
            tm_vec_i(&m, "axes", 2, axes_hw);
        else
            tm_vec_i(&m, "axes", 1, axes_c);
        tm_node(&m, "y", "Mean", "x,axes",
                which == 0 ? "\"keep_dims\":{\"b\":true}"
                           : "\"keep_dims\":{\"b\":false}");
        tm_output(&m, "y");
        const char *json = tm_write(&m);
        const float *ins[1] = {x};
        CHECK_BOTH(json, 1, ins, 0, ref, n, 1e-6);
        tm_free(&m);
    }
}

TEST(concat_reshape_slice)
{
    static float a[2 * 3 * 4], b[2 * 3 * 2], ref[64];
    int as[3] = {2, 3, 4}, bs[3] = {2, 3, 2};
    tm_fill(a, 24, 60, -1, 1);
    tm_fill(b, 12, 61, -1, 1);
    /* concat on the last axis (-1) -> [2,3,6] */
    float cat[36];
    for (int i = 0; i < 6; i++) {
        for (int c = 0; c < 4; c++)
            cat[i * 6 + c] = a[i * 4 + c];
        for (int c = 0; c < 2; c++)
            cat[i * 6 + 4 + c] = b[i * 2 + c];
    }
    /* strided slice [1:, ::-1, 1:6:2] with shrink of dim 0 -> [3,3] */
    int k = 0;
    for (int j = 2; j >= 0; j--)
        for (int c = 1; c < 6; c += 2)
            ref[k++] = cat[(1 * 3 + j) * 6 + c];
    static const int32_t beg[3] = {1, 0, 1}, end[3] = {2, 0, 6},
                         str[3] = {1, -1, 2}, shp[2] = {-1, 9};
    tmodel m;
    tm_init(&m);
    tm_input(&m, "a", 3, as);
    tm_input(&m, "b", 3, bs);
    tm_scalar_i(&m, "axis", -1);
    tm_vec_i(&m, "beg", 3, beg);
    tm_vec_i(&m, "end", 3, end);
    tm_vec_i(&m, "str", 3, str);
    tm_vec_i(&m, "shp", 2, shp);
    tm_scalar_i(&m, "ed", 0);
    tm_node(&m, "cat", "ConcatV2", "a,b,axis", "\"N\":{\"i\":\"2\"}");
    tm_node(&m, "sl", "StridedSlice", "cat,beg,end,str",
            "\"begin_mask\":{\"i\":\"2\"},\"end_mask\":{\"i\":\"2\"},"
            "\"shrink_axis_mask\":{\"i\":\"1\"}");
    tm_node(&m, "r", "Reshape", "sl,shp", "");
    tm_node(&m, "e", "ExpandDims", "r,ed", "");
    tm_node(&m, "s", "Squeeze", "e",
            "\"squeeze_dims\":{\"list\":{\"i\":[\"0\"]}}");
    tm_output(&m, "cat");
    tm_output(&m, "s");
    const char *json = tm_write(&m);
    const float *ins[2] = {a, b};
    CHECK_BOTH(json, 2, ins, 0, cat, 36, 0);
    CHECK_BOTH(json, 2, ins, 1, ref, 9, 0);
    tm_free(&m);
}

static void ref_resize(const float *x, int H, int W, int C, int OH, int OW,
                       int ac, int hp, float *y)
{
    for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++) {
            double sy, sx;
            if (ac) {
                sy = OH > 1 ? oy * (double)(H - 1) / (OH - 1) : 0;
                sx = OW > 1 ? ox * (double)(W - 1) / (OW - 1) : 0;
            } else if (hp) {
                sy = (oy + 0.5) * H / OH - 0.5;
                sx = (ox + 0.5) * W / OW - 0.5;
            } else {
                sy = oy * (double)H / OH;
                sx = ox * (double)W / OW;
            }
            if (sy < 0)
                sy = 0;
            if (sx < 0)
                sx = 0;
            int y0 = (int)sy, x0 = (int)sx;
            int y1 = y0 + 1 < H ? y0 + 1 : H - 1,
                x1 = x0 + 1 < W ? x0 + 1 : W - 1;
            double fy = sy - y0, fx = sx - x0;
            for (int c = 0; c < C; c++) {
                double v00 = x[(y0 * W + x0) * C + c],
                       v01 = x[(y0 * W + x1) * C + c];
                double v10 = x[(y1 * W + x0) * C + c],
                       v11 = x[(y1 * W + x1) * C + c];
                y[(oy * OW + ox) * C + c] =
                    (float)((v00 * (1 - fx) + v01 * fx) * (1 - fy) +
                            (v10 * (1 - fx) + v11 * fx) * fy);
            }
        }
}

TEST(resize_bilinear_modes)
{
    static float x[7 * 5 * 3], ref[16 * 16 * 3];
    int xs[4] = {1, 7, 5, 3};
    tm_fill(x, sizeof x / 4, 70, -1, 1);
    static const int sizes[3][2] = {{14, 10}, {16, 9}, {3, 2}};
    for (int mode = 0; mode < 3; mode++)
        for (int si = 0; si < 3; si++) {
            int OH = sizes[si][0], OW = sizes[si][1];
            ref_resize(x, 7, 5, 3, OH, OW, mode == 1, mode == 2, ref);
            char attrs[256];
            snprintf(attrs, sizeof attrs,
                     "\"align_corners\":{\"b\":%s},"
                     "\"half_pixel_centers\":{\"b\":%s}",
                     mode == 1 ? "true" : "false",
                     mode == 2 ? "true" : "false");
            int32_t size[2] = {OH, OW};
            tmodel m;
            tm_init(&m);
            tm_input(&m, "x", 4, xs);
            tm_vec_i(&m, "size", 2, size);
            tm_node(&m, "y", "ResizeBilinear", "x,size", attrs);
            tm_output(&m, "y");
            const char *json = tm_write(&m);
            const float *ins[1] = {x};
            CHECK_BOTH(json, 1, ins, 0, ref, (size_t)OH * OW * 3, 1e-5);
            tm_free(&m);
        }
}

TEST(pooling_and_pad)
{
    static float x[9 * 8 * 4], ref[16 * 16 * 8];
    int xs[4] = {1, 9, 8, 4};
    char b1[16], b2[16], attrs[512];
    tm_fill(x, sizeof x / 4, 80, -1, 1);
    /* AvgPool 3x3 stride 2 SAME: padded cells are not counted */
    int OH = 5, OW = 4, pt, pb, pl, pr;
    same_pad(9, 3, 2, 1, &pt, &pb);
    same_pad(8, 3, 2, 1, &pl, &pr);
    for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++)
            for (int c = 0; c < 4; c++) {
                double s = 0;
                int n = 0;
                for (int ky = 0; ky < 3; ky++)
                    for (int kx = 0; kx < 3; kx++) {
                        int iy = oy * 2 - pt + ky, ix = ox * 2 - pl + kx;
                        if (iy < 0 || iy >= 9 || ix < 0 || ix >= 8)
                            continue;
                        s += x[(iy * 8 + ix) * 4 + c];
                        n++;
                    }
                ref[(oy * OW + ox) * 4 + c] = (float)(s / n);
            }
    snprintf(attrs, sizeof attrs,
             "\"ksize\":{\"list\":{\"i\":[\"1\",\"3\",\"3\",\"1\"]}},"
             "\"strides\":{\"list\":{\"i\":[\"1\",\"2\",\"2\",\"1\"]}},"
             "\"padding\":{\"s\":\"%s\"},\"data_format\":{\"s\":\"%s\"}",
             tm_b64("SAME", b1), tm_b64("NHWC", b2));
    tmodel m;
    tm_init(&m);
    tm_input(&m, "x", 4, xs);
    tm_node(&m, "y", "AvgPool", "x", attrs);
    tm_output(&m, "y");
    const char *json = tm_write(&m);
    const float *ins[1] = {x};
    CHECK_BOTH(json, 1, ins, 0, ref, (size_t)OH * OW * 4, 1e-6);
    tm_free(&m);

    /* MaxPool 2x2 stride 2 VALID, then Pad channels 4 -> 8 (BlazeFace) */
    for (int oy = 0; oy < 4; oy++)
        for (int ox = 0; ox < 4; ox++)
            for (int c = 0; c < 8; c++) {
                float v = 0;
                if (c >= 1 && c < 5) {
                    v = -INFINITY;
                    for (int ky = 0; ky < 2; ky++)
                        for (int kx = 0; kx < 2; kx++) {
                            float t = x[((oy * 2 + ky) * 8 + ox * 2 + kx) * 4 +
                                        c - 1];
                            v = t > v ? t : v;
                        }
                }
                ref[(oy * 4 + ox) * 8 + c] = v;
            }
    snprintf(attrs, sizeof attrs,
             "\"ksize\":{\"list\":{\"i\":[\"1\",\"2\",\"2\",\"1\"]}},"
             "\"strides\":{\"list\":{\"i\":[\"1\",\"2\",\"2\",\"1\"]}},"
             "\"padding\":{\"s\":\"%s\"},\"data_format\":{\"s\":\"%s\"}",
             tm_b64("VALID", b1), tm_b64("NHWC", b2));
    static const int32_t pads[8] = {0, 0, 0, 0, 0, 0, 1, 3};
    int ps[2] = {4, 2};
    tm_init(&m);
    tm_input(&m, "x", 4, xs);
    tm_const_i(&m, "pads", 2, ps, pads);
    tm_node(&m, "mp", "MaxPool", "x", attrs);
    tm_node(&m, "y", "Pad", "mp,pads", "");
    tm_output(&m, "y");
    json = tm_write(&m);
    CHECK_BOTH(json, 1, ins, 0, ref, 4 * 4 * 8, 0);
    tm_free(&m);
}

TEST(gather_and_cast)
{
    static float p[5 * 4], ref[3 * 4];
    int ps[2] = {5, 4}, is = 3;
    float idx[3] = {4, 0, 2};
    tm_fill(p, 20, 90, -1, 1);
    for (int j = 0; j < 3; j++)
        for (int c = 0; c < 4; c++)
            ref[j * 4 + c] = p[(int)idx[j] * 4 + c];
    tmodel m;
    tm_init(&m);
    tm_input(&m, "p", 2, ps);
    tm_input(&m, "i", 1, &is);
    tm_scalar_i(&m, "axis", 0);
    tm_node(&m, "ii", "Cast", "i", "\"DstT\":{\"type\":\"DT_INT32\"}");
    tm_node(&m, "y", "GatherV2", "p,ii,axis", "\"batch_dims\":{\"i\":\"0\"}");
    tm_output(&m, "y");
    const char *json = tm_write(&m);
    const float *ins[2] = {p, idx};
    CHECK_BOTH(json, 2, ins, 0, ref, 12, 0);
    /* an index out of range is an error at run time, not a wild read */
    float bad[3] = {4, 5, 0};
    const float *ins2[2] = {p, bad};
    float got[12];
    for (int pp = 0; pp < 2; pp++)
        ASSERT_EQ(run(json, pp, 0, 2, ins2, 0, got, 12, NULL), SPATIA_RANGE);
    tm_free(&m);
}

/* A chain long enough for the arena to reuse bytes; a residual add reads a
 * tensor written many steps earlier, which must not have been overwritten. */
TEST(arena_reuse_residual)
{
    static float x[8 * 8 * 4], w[9 * 4 * 4], ref[8 * 8 * 4], t1[8 * 8 * 4];
    int xs[4] = {1, 8, 8, 4}, ws[4] = {3, 3, 4, 4};
    int pad[4] = {1, 1, 1, 1};
    char attrs[1024];
    tm_fill(x, sizeof x / 4, 100, -1, 1);
    tm_fill(w, sizeof w / 4, 101, -0.3f, 0.3f);
    tmodel m;
    tm_init(&m);
    tm_input(&m, "x", 4, xs);
    tm_const_f(&m, "w", 4, ws, w);
    conv_attrs(attrs, sizeof attrs, 1, 1, 1, 1, "SAME", NULL, NULL, NULL);
    memcpy(ref, x, sizeof x);
    char prev[16] = "x", name[16];
    for (int i = 0; i < 6; i++) {
        snprintf(name, sizeof name, "c%d", i);
        char ins_s[40];
        snprintf(ins_s, sizeof ins_s, "%s,w", prev);
        tm_node(&m, name, "Conv2D", ins_s, attrs);
        ref_conv(ref, 1, 8, 8, 4, w, 3, 3, 4, 0, NULL, 1, 1, 1, 1, pad, 8, 8,
                 -INFINITY, INFINITY, t1);
        memcpy(ref, t1, sizeof t1);
        snprintf(prev, sizeof prev, "%s", name);
    }
    tm_node(&m, "y", "AddV2", "c5,x", "");
    for (int i = 0; i < 8 * 8 * 4; i++)
        ref[i] += x[i];
    tm_output(&m, "y");
    const char *json = tm_write(&m);
    const float *ins[1] = {x};
    CHECK_BOTH(json, 1, ins, 0, ref, 256, 1e-5);
    tm_free(&m);
}

/* Relu(concat(conv(x), resize(conv_s2(x)), x)) on channels: the relu moves
 * into the producers and the first two inputs are written in place into
 * channel slices of the concat; the third (a graph input) is copied. */
TEST(concat_views_with_activation)
{
    static float x[8 * 8 * 4], w1[4 * 3], w2[9 * 4 * 2], a[8 * 8 * 3];
    static float sm[4 * 4 * 2], b[8 * 8 * 2], ref[8 * 8 * 9];
    int xs[4] = {1, 8, 8, 4}, w1s[4] = {1, 1, 4, 3}, w2s[4] = {3, 3, 4, 2};
    int pad0[4] = {0}, pad2[4];
    char attrs[1024], attrs2[1024];
    tm_fill(x, sizeof x / 4, 110, -1, 1);
    tm_fill(w1, sizeof w1 / 4, 111, -1, 1);
    tm_fill(w2, sizeof w2 / 4, 112, -1, 1);
    ref_conv(x, 1, 8, 8, 4, w1, 1, 1, 3, 0, NULL, 1, 1, 1, 1, pad0, 8, 8,
             -INFINITY, INFINITY, a);
    same_pad(8, 3, 2, 1, &pad2[0], &pad2[1]);
    same_pad(8, 3, 2, 1, &pad2[2], &pad2[3]);
    ref_conv(x, 1, 8, 8, 4, w2, 3, 3, 2, 0, NULL, 2, 2, 1, 1, pad2, 4, 4,
             -INFINITY, INFINITY, sm);
    ref_resize(sm, 4, 4, 2, 8, 8, 0, 0, b);
    for (int i = 0; i < 64; i++) {
        for (int c = 0; c < 3; c++)
            ref[i * 9 + c] = a[i * 3 + c];
        for (int c = 0; c < 2; c++)
            ref[i * 9 + 3 + c] = b[i * 2 + c];
        for (int c = 0; c < 4; c++)
            ref[i * 9 + 5 + c] = x[i * 4 + c];
        for (int c = 0; c < 9; c++)
            ref[i * 9 + c] = ref[i * 9 + c] > 0 ? ref[i * 9 + c] : 0;
    }
    int32_t size[2] = {8, 8};
    tmodel m;
    tm_init(&m);
    tm_input(&m, "x", 4, xs);
    tm_const_f(&m, "w1", 4, w1s, w1);
    tm_const_f(&m, "w2", 4, w2s, w2);
    tm_vec_i(&m, "size", 2, size);
    tm_scalar_i(&m, "axis", 3);
    tm_node(
        &m, "a", "Conv2D", "x,w1",
        conv_attrs(attrs, sizeof attrs, 1, 1, 1, 1, "VALID", NULL, NULL, NULL));
    tm_node(&m, "s", "Conv2D", "x,w2",
            conv_attrs(attrs2, sizeof attrs2, 2, 2, 1, 1, "SAME", NULL, NULL,
                       NULL));
    tm_node(&m, "b", "ResizeBilinear", "s,size", "");
    tm_node(&m, "cat", "ConcatV2", "a,b,x,axis", "");
    tm_node(&m, "y", "Relu", "cat", "");
    tm_output(&m, "y");
    const char *json = tm_write(&m);
    const float *ins[1] = {x};
    CHECK_BOTH(json, 1, ins, 0, ref, 8 * 8 * 9, 1e-5);
    tm_free(&m);

    /* all inputs viewable: the concat itself does nothing */
    tm_init(&m);
    tm_input(&m, "x", 4, xs);
    tm_const_f(&m, "w1", 4, w1s, w1);
    tm_const_f(&m, "w2", 4, w2s, w2);
    tm_vec_i(&m, "size", 2, size);
    tm_scalar_i(&m, "axis", -1);
    tm_node(&m, "a", "Conv2D", "x,w1", attrs);
    tm_node(&m, "s", "Conv2D", "x,w2", attrs2);
    tm_node(&m, "b", "ResizeBilinear", "s,size", "");
    tm_node(&m, "cat", "ConcatV2", "a,b,axis", "");
    tm_node(&m, "y", "Relu", "cat", "");
    tm_output(&m, "y");
    json = tm_write(&m);
    for (int i = 0; i < 64; i++)
        for (int c = 0; c < 5; c++)
            ref[i * 5 + c] = ref[i * 9 + c];
    CHECK_BOTH(json, 1, ins, 0, ref, 8 * 8 * 5, 1e-5);
    tm_free(&m);
}

/* Depthwise -> 1x1 convolution pairs run in row strips (strip_kb = 1: one
 * or two output rows per strip) must give the unsplit result, bit for bit:
 * strides, SAME / VALID / explicit padding (first and last strips get the
 * image's padding), dilation, 5x5, activations, a channel multiplier
 * (XNNPACK's depthwise operator), channel tails and widths off the pixel
 * groups (the own kernel on AVX-512 CPUs). */
TEST(depthwise_pointwise_strips)
{
    static const struct {
        int H, W, C, k, M, s, d, co;
        const char *padding;
        int pads[4];
    } cases[] = {
        {16, 16, 16, 3, 1, 1, 1, 5, "SAME", {0}},
        {33, 17, 32, 3, 1, 2, 1, 7, "SAME", {0}},
        {20, 16, 16, 5, 1, 1, 1, 4, "SAME", {0}},
        {21, 20, 16, 3, 1, 1, 2, 3, "VALID", {0}},
        {18, 16, 8, 3, 2, 1, 1, 6, "EXPLICIT", {2, 1, 1, 0}},
        {35, 20, 32, 5, 1, 2, 1, 9, "SAME", {0}},
        {19, 21, 17, 3, 1, 1, 1, 5, "SAME", {0}},
        {24, 19, 72, 3, 1, 2, 1, 6, "SAME", {0}},
        {23, 22, 40, 5, 1, 2, 1, 3, "EXPLICIT", {1, 3, 2, 1}},
        {18, 37, 8, 5, 1, 1, 1, 4, "VALID", {0}},
        /* 1x1 into N % 16 in 1..8 channels: the own 1x1 kernel per strip
         * (nn_pw_preferred) on AVX-512 CPUs */
        {32, 30, 24, 3, 1, 1, 1, 18, "SAME", {0}},
        {33, 31, 16, 5, 1, 2, 1, 24, "EXPLICIT", {1, 2, 2, 1}},
    };
    static float x[MAXN], w1[MAXN], b1[512], w2[MAXN], b2[512];
    static float mid[MAXN], ref[MAXN], got[MAXN], flat[MAXN];
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const int H = cases[ci].H, W = cases[ci].W, C = cases[ci].C;
        const int k = cases[ci].k, M = cases[ci].M, s = cases[ci].s;
        const int d = cases[ci].d, co = cases[ci].co, CM = C * M;
        int xs[4] = {1, H, W, C}, w1s[4] = {k, k, C, M},
            w2s[4] = {1, 1, CM, co};
        int pad[4], pad0[4] = {0}, OH, OW;
        const int ek = (k - 1) * d + 1;
        char a1[1024], a2[1024];
        if (!strcmp(cases[ci].padding, "SAME")) {
            same_pad(H, k, s, d, &pad[0], &pad[1]);
            same_pad(W, k, s, d, &pad[2], &pad[3]);
            OH = same_out(H, s);
            OW = same_out(W, s);
        } else {
            for (int i = 0; i < 4; i++)
                pad[i] = !strcmp(cases[ci].padding, "EXPLICIT")
                             ? cases[ci].pads[i]
                             : 0;
            OH = (H + pad[0] + pad[1] - ek) / s + 1;
            OW = (W + pad[2] + pad[3] - ek) / s + 1;
        }
        tm_fill(x, (size_t)H * W * C, 120 + (uint32_t)ci, -1, 1);
        tm_fill(w1, (size_t)k * k * CM, 121, -1, 1);
        tm_fill(b1, (size_t)CM, 122, -1, 1);
        tm_fill(w2, (size_t)CM * co, 123, -1, 1);
        tm_fill(b2, (size_t)co, 124, -1, 1);
        ref_conv(x, 1, H, W, C, w1, k, k, CM, 1, b1, s, s, d, d, pad, OH, OW, 0,
                 6, mid);
        ref_conv(mid, 1, OH, OW, CM, w2, 1, 1, co, 0, b2, 1, 1, 1, 1, pad0, OH,
                 OW, 0, INFINITY, ref);
        tmodel m;
        tm_init(&m);
        tm_input(&m, "x", 4, xs);
        tm_const_f(&m, "w1", 4, w1s, w1);
        tm_const_f(&m, "b1", 1, &CM, b1);
        tm_const_f(&m, "w2", 4, w2s, w2);
        tm_const_f(&m, "b2", 1, &co, b2);
        tm_node(&m, "dw", "FusedDepthwiseConv2dNative", "x,w1,b1",
                conv_attrs(a1, sizeof a1, s, s, d, d, cases[ci].padding,
                           !strcmp(cases[ci].padding, "EXPLICIT")
                               ? cases[ci].pads
                               : NULL,
                           "BiasAdd", "Relu6"));
        tm_node(&m, "y", "_FusedConv2D", "dw,w2,b2",
                conv_attrs(a2, sizeof a2, 1, 1, 1, 1, "VALID", NULL, "BiasAdd",
                           "Relu"));
        tm_output(&m, "y");
        const char *json = tm_write(&m);
        ASSERT(json != NULL);
        const size_t n = (size_t)OH * OW * co;
        for (int strip = 0; strip < 2; strip++) {
            spatia_nn_model *mdl = NULL;
            spatia_nn_opts o;
            spatia_nn_tensor t;
            char err[512];
            spatia_nn_opts_default(&o);
            o.threads = 2;
            o.strip_kb = strip ? 1 : -1;
            ASSERT_OK(spatia_nn_model_load(json, &o, &mdl, err, sizeof err));
            ASSERT_OK(spatia_nn_input(mdl, 0, &t));
            memcpy(t.data, x, t.size);
            ASSERT_OK(spatia_nn_run(mdl));
            ASSERT_OK(spatia_nn_output(mdl, 0, &t));
            ASSERT(t.size == n * 4);
            memcpy(got, t.data, t.size);
            spatia_nn_model_destroy(mdl);
            double e = rel_err(got, ref, n);
            ASSERT_MSG(e <= 1e-5, "case %zu strips %d: error %g", ci, strip, e);
            /* same kernels, same order per element: bit for bit */
            if (!strip)
                memcpy(flat, got, n * sizeof *got);
            else
                ASSERT_MSG(!memcmp(flat, got, n * sizeof *got),
                           "case %zu: strips differ from the unsplit run", ci);
        }
        tm_free(&m);
    }
}

/* Builds dw (window k, stride s, dilation d, padding) -> 1x1 (co) over x
 * [1,H,W,C] into m with optional biases and activations (TF fuses an
 * activation only after a bias) and computes the reference into ref
 * (mid: scratch). Returns the number of output elements. */
typedef struct dwpw_case {
    int H, W, C, k, s, d, co;
    const char *padding;
    int pads[4];
    const char *dw_act, *pw_act; /* NULL, "Relu", "Relu6" */
    int dw_bias, pw_bias;
} dwpw_case;

static size_t dwpw_model(const dwpw_case *cc, tmodel *m, float *x, float *ref,
                         float *mid, uint32_t seed)
{
    static float w1[MAXN], b1[512], w2[MAXN], b2[512];
    const int H = cc->H, W = cc->W, C = cc->C, k = cc->k, s = cc->s;
    const int d = cc->d, co = cc->co;
    int xs[4] = {1, H, W, C}, w1s[4] = {k, k, C, 1}, w2s[4] = {1, 1, C, co};
    int pad[4], pad0[4] = {0}, OH, OW;
    const int ek = (k - 1) * d + 1;
    char a1[1024], a2[1024];
    if (!strcmp(cc->padding, "SAME")) {
        same_pad(H, k, s, d, &pad[0], &pad[1]);
        same_pad(W, k, s, d, &pad[2], &pad[3]);
        OH = same_out(H, s);
        OW = same_out(W, s);
    } else {
        for (int i = 0; i < 4; i++)
            pad[i] = !strcmp(cc->padding, "EXPLICIT") ? cc->pads[i] : 0;
        OH = (H + pad[0] + pad[1] - ek) / s + 1;
        OW = (W + pad[2] + pad[3] - ek) / s + 1;
    }
    tm_fill(x, (size_t)H * W * C, seed, -1, 1);
    tm_fill(w1, (size_t)k * k * C, seed + 1, -1, 1);
    tm_fill(b1, (size_t)C, seed + 2, -1, 1);
    tm_fill(w2, (size_t)C * co, seed + 3, -1, 1);
    tm_fill(b2, (size_t)co, seed + 4, -1, 1);
    const float dlo = cc->dw_act ? 0 : -INFINITY;
    const float dhi = cc->dw_act && !strcmp(cc->dw_act, "Relu6") ? 6 : INFINITY;
    const float plo = cc->pw_act ? 0 : -INFINITY;
    const float phi = cc->pw_act && !strcmp(cc->pw_act, "Relu6") ? 6 : INFINITY;
    ref_conv(x, 1, H, W, C, w1, k, k, C, 1, cc->dw_bias ? b1 : NULL, s, s, d, d,
             pad, OH, OW, dlo, dhi, mid);
    ref_conv(mid, 1, OH, OW, C, w2, 1, 1, co, 0, cc->pw_bias ? b2 : NULL, 1, 1,
             1, 1, pad0, OH, OW, plo, phi, ref);
    tm_init(m);
    tm_input(m, "x", 4, xs);
    tm_const_f(m, "w1", 4, w1s, w1);
    tm_const_f(m, "b1", 1, &C, b1);
    tm_const_f(m, "w2", 4, w2s, w2);
    tm_const_f(m, "b2", 1, &co, b2);
    tm_node(m, "dw",
            cc->dw_bias ? "FusedDepthwiseConv2dNative"
                        : "DepthwiseConv2dNative",
            cc->dw_bias ? "x,w1,b1" : "x,w1",
            conv_attrs(a1, sizeof a1, s, s, d, d, cc->padding,
                       !strcmp(cc->padding, "EXPLICIT") ? cc->pads : NULL,
                       cc->dw_bias ? "BiasAdd" : NULL, cc->dw_act));
    tm_node(m, "y", cc->pw_bias ? "_FusedConv2D" : "Conv2D",
            cc->pw_bias ? "dw,w2,b2" : "dw,w2",
            conv_attrs(a2, sizeof a2, 1, 1, 1, 1, "VALID", NULL,
                       cc->pw_bias ? "BiasAdd" : NULL, cc->pw_act));
    return (size_t)OH * OW * co;
}

static int have_avx512f(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") != 0;
#else
    return 0;
#endif
}

/* A depthwise convolution feeding a 1x1 convolution into 1..8 channels
 * runs as one fused kernel on AVX-512 CPUs (no XNNPACK operator left):
 * every output channel count, channel counts with and without a 16-lane
 * tail, 3x3 / 5x5 (the register paths) and 2x2 (the checked path),
 * strides, dilation, every padding kind, biases and activations on either
 * side; against the reference with both backends, 2 threads. */
TEST(depthwise_small_pointwise_fused)
{
    static const dwpw_case cases[] = {
        {13, 11, 128, 3, 1, 1, 4, "SAME", {0}, NULL, NULL, 0, 1},
        {9, 10, 16, 3, 1, 1, 1, "SAME", {0}, "Relu6", "Relu", 1, 1},
        {10, 9, 20, 3, 2, 1, 2, "SAME", {0}, NULL, NULL, 1, 0},
        {12, 13, 20, 5, 1, 1, 3, "SAME", {0}, "Relu", "Relu6", 1, 1},
        {11, 14, 16, 5, 2, 1, 5, "VALID", {0}, NULL, NULL, 0, 0},
        {10, 12, 128, 3, 1, 1, 8, "EXPLICIT", {2, 0, 1, 3}, NULL, NULL, 1, 1},
        {14, 9, 7, 3, 1, 2, 6, "SAME", {0}, "Relu6", NULL, 1, 1},
        {8, 12, 36, 3, 2, 1, 7, "VALID", {0}, NULL, "Relu", 0, 1},
        {6, 17, 48, 2, 1, 1, 4, "SAME", {0}, NULL, NULL, 1, 1},
        {5, 4, 128, 5, 1, 1, 8, "SAME", {0}, NULL, NULL, 0, 1},
    };
    static float x[MAXN], ref[MAXN], mid[MAXN], got[MAXN];
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        tmodel m;
        const size_t n =
            dwpw_model(&cases[ci], &m, x, ref, mid, 300 + 10 * (uint32_t)ci);
        tm_output(&m, "y");
        const char *json = tm_write(&m);
        ASSERT(json != NULL);
        for (int p = 0; p < 2; p++) {
            spatia_nn_model *mdl = NULL;
            spatia_nn_opts o;
            spatia_nn_tensor t;
            spatia_nn_info info;
            char err[512];
            spatia_nn_opts_default(&o);
            o.threads = 2;
            o.portable = p;
            ASSERT_OK(spatia_nn_model_load(json, &o, &mdl, err, sizeof err));
            ASSERT_OK(spatia_nn_input(mdl, 0, &t));
            memcpy(t.data, x, t.size);
            ASSERT_OK(spatia_nn_run(mdl));
            ASSERT_OK(spatia_nn_output(mdl, 0, &t));
            ASSERT(t.size == n * 4);
            memcpy(got, t.data, t.size);
            spatia_nn_info_get(mdl, &info);
            spatia_nn_model_destroy(mdl);
            double e = rel_err(got, ref, n);
            ASSERT_MSG(e <= 1e-5, "case %zu %s: error %g", ci,
                       p ? "portable" : "fast", e);
            if (!p && have_avx512f())
                ASSERT_MSG(info.xnn_ops == 0, "case %zu: %d XNNPACK ops", ci,
                           info.xnn_ops);
        }
        tm_free(&m);
    }
}

/* Loads json (threads, strip_kb), runs it on x and copies output `name`
 * (n floats) into y; *steps gets spatia_nn_info's steps. */
static int run_named(const char *json, int threads, int strip_kb,
                     const float *x, const char *name, float *y, size_t n,
                     int *steps)
{
    spatia_nn_model *mdl = NULL;
    spatia_nn_opts o;
    spatia_nn_tensor t;
    spatia_nn_info info;
    char err[512];
    spatia_nn_opts_default(&o);
    o.threads = threads;
    o.strip_kb = strip_kb;
    int rc = spatia_nn_model_load(json, &o, &mdl, err, sizeof err);
    if (!rc)
        rc = spatia_nn_input(mdl, 0, &t);
    if (!rc) {
        memcpy(t.data, x, t.size);
        rc = spatia_nn_run(mdl);
    }
    if (!rc)
        rc = spatia_nn_output(mdl, spatia_nn_output_find(mdl, name), &t);
    if (!rc && t.size != n * 4)
        rc = SPATIA_RANGE;
    if (!rc) {
        memcpy(y, t.data, t.size);
        spatia_nn_info_get(mdl, &info);
        *steps = info.steps;
    }
    spatia_nn_model_destroy(mdl);
    return rc;
}

/* run_named with the fusion switch `off` (an environment variable, e.g.
 * SPATIA_NN_NO_STRIP_EP) set while the model loads. */
static int run_named_off(const char *json, int threads, int strip_kb,
                         const char *off, const float *x, const char *name,
                         float *y, size_t n, int *steps)
{
    setenv(off, "1", 1);
    int rc = run_named(json, threads, strip_kb, x, name, y, n, steps);
    unsetenv(off);
    return rc;
}

/* A Sigmoid that alone reads the 1x1 output of a strip pair runs strip by
 * strip right after the 1x1 operator: one step fewer, values bit for bit
 * those of the Sigmoid run on its own (there the 1x1 output is also a
 * graph output, which keeps the Sigmoid a step), 1 and 2 threads (strip
 * groups), and the reference. */
TEST(strip_sigmoid_fused)
{
    static const dwpw_case cases[] = {
        {32, 16, 16, 3, 1, 1, 24, "SAME", {0}, NULL, NULL, 1, 1},
        {64, 16, 20, 5, 2, 1, 17, "SAME", {0}, "Relu6", NULL, 1, 1},
    };
    static float x[MAXN], ref[MAXN], mid[MAXN], fused[MAXN], plain[MAXN];
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        tmodel m[2];
        const char *json[2];
        size_t n = 0;
        for (int k = 0; k < 2; k++) {
            n = dwpw_model(&cases[ci], &m[k], x, ref, mid,
                           400 + 10 * (uint32_t)ci);
            tm_node(&m[k], "sig", "Sigmoid", "y", "");
            tm_output(&m[k], "sig");
            if (k)
                tm_output(&m[k], "y");
            json[k] = tm_write(&m[k]);
            ASSERT(json[k] != NULL);
        }
        for (size_t i = 0; i < n; i++)
            ref[i] = (float)(1.0 / (1.0 + exp(-(double)ref[i])));
        for (int threads = 1; threads <= 2; threads++) {
            int sf = 0, sp = 0;
            ASSERT_OK(run_named(json[0], threads, 1, x, "sig", fused, n, &sf));
            ASSERT_OK(run_named(json[1], threads, 1, x, "sig", plain, n, &sp));
            ASSERT_MSG(!memcmp(fused, plain, n * 4), "case %zu threads %d", ci,
                       threads);
            ASSERT_MSG(sf == sp - 1, "case %zu: %d steps fused, %d plain", ci,
                       sf, sp);
            double e = rel_err(fused, ref, n);
            ASSERT_MSG(e <= 1e-5, "case %zu: error %g", ci, e);
        }
        tm_free(&m[0]);
        tm_free(&m[1]);
    }
}

/* Loads json (threads, strip_kb 1) with SPATIA_NN_NO_STRIP_TOPK set or
 * not, runs it on x and copies outputs "top" and "top:1" (k each);
 * *fused gets spatia_nn_info's strip_topks. */
static int run_topk(const char *json, int threads, int off, const float *x,
                    float *v, float *ix, size_t k, int *fused)
{
    spatia_nn_model *mdl = NULL;
    spatia_nn_opts o;
    spatia_nn_tensor t;
    spatia_nn_info info;
    char err[512];
    spatia_nn_opts_default(&o);
    o.threads = threads;
    o.strip_kb = 1;
    if (off)
        setenv("SPATIA_NN_NO_STRIP_TOPK", "1", 1);
    int rc = spatia_nn_model_load(json, &o, &mdl, err, sizeof err);
    unsetenv("SPATIA_NN_NO_STRIP_TOPK");
    if (!rc)
        rc = spatia_nn_input(mdl, 0, &t);
    if (!rc) {
        memcpy(t.data, x, t.size);
        rc = spatia_nn_run(mdl);
    }
    for (int r = 0; r < 2 && !rc; r++) {
        rc = spatia_nn_output(
            mdl, spatia_nn_output_find(mdl, r ? "top:1" : "top"), &t);
        if (!rc && t.size != k * 4)
            rc = SPATIA_RANGE;
        if (!rc && r)
            for (size_t j = 0; j < k; j++)
                ix[j] = (float)((const int32_t *)t.data)[j];
        else if (!rc)
            memcpy(v, t.data, t.size);
    }
    if (!rc) {
        spatia_nn_info_get(mdl, &info);
        *fused = info.strip_topks;
    }
    spatia_nn_model_destroy(mdl);
    return rc;
}

/* CenterNet's decode on a strip pair's Sigmoid: the PeakTopK scans each
 * strip group's rows right after its strips and the rows at group
 * boundaries afterwards; values and indices bit for bit those of the
 * PeakTopK run as its own step, and the naive reference; 3x3 and 5x5
 * peak windows, 1 and 2 threads (2 strip groups). */
TEST(strip_peak_topk)
{
    /* 32 channels out: whole 16-lane vectors per pixel (the vectorized
     * window test) */
    static const dwpw_case c = {40,     24,  16,   3,    1, 1, 32,
                                "SAME", {0}, NULL, NULL, 1, 1};
    enum { K = 60 };
    static float x[MAXN], ref[MAXN], mid[MAXN], pk[MAXN];
    static float v[2][K], ix[2][K], rv[K], ri[K];
    static char used[MAXN];
    for (int win = 3; win <= 5; win += 2) {
        tmodel m;
        char attrs[512], b1[16], b2[16];
        int rs[2] = {1, -1};
        const size_t n = dwpw_model(&c, &m, x, ref, mid, 470 + (uint32_t)win);
        const int OH = c.H, OW = c.W, CO = c.co, h = win / 2;
        snprintf(attrs, sizeof attrs,
                 "\"ksize\":{\"list\":{\"i\":[\"1\",\"%d\",\"%d\",\"1\"]}},"
                 "\"strides\":{\"list\":{\"i\":[\"1\",\"1\",\"1\",\"1\"]}},"
                 "\"padding\":{\"s\":\"%s\"},\"data_format\":{\"s\":\"%s\"}",
                 win, win, tm_b64("SAME", b1), tm_b64("NHWC", b2));
        tm_vec_i(&m, "shape", 2, rs);
        tm_scalar_i(&m, "k", K);
        tm_node(&m, "sig", "Sigmoid", "y", "");
        tm_node(&m, "mp", "MaxPool", "sig", attrs);
        tm_node(&m, "eq", "Equal", "sig,mp", "");
        tm_node(&m, "cast", "Cast", "eq", "\"DstT\":{\"type\":\"DT_FLOAT\"}");
        tm_node(&m, "peaks", "Mul", "sig,cast", "");
        tm_node(&m, "flat", "Reshape", "peaks,shape", "");
        tm_node(&m, "top", "TopKV2", "flat,k", "\"sorted\":{\"b\":true}");
        tm_output(&m, "sig");
        tm_output(&m, "top");
        tm_output(&m, "top:1");
        const char *json = tm_write(&m);
        ASSERT(json != NULL);
        /* reference: peaks of the sigmoid of the reference 1x1 output */
        for (size_t i = 0; i < n; i++)
            ref[i] = (float)(1.0 / (1.0 + exp(-(double)ref[i])));
        for (int yy = 0; yy < OH; yy++)
            for (int xx = 0; xx < OW; xx++)
                for (int ch = 0; ch < CO; ch++) {
                    const size_t i = ((size_t)yy * OW + xx) * CO + ch;
                    float mx = ref[i];
                    for (int dy = -h; dy <= h; dy++)
                        for (int dx = -h; dx <= h; dx++) {
                            int y2 = yy + dy, x2 = xx + dx;
                            if (y2 >= 0 && y2 < OH && x2 >= 0 && x2 < OW) {
                                float u = ref[((size_t)y2 * OW + x2) * CO + ch];
                                mx = u > mx ? u : mx;
                            }
                        }
                    pk[i] = ref[i] == mx ? ref[i] : 0.0f;
                }
        memset(used, 0, sizeof used);
        for (int j = 0; j < K; j++) {
            size_t best = 0;
            int have = 0;
            for (size_t i = 0; i < n; i++)
                if (!used[i] && (!have || pk[i] > pk[best])) {
                    best = i;
                    have = 1;
                }
            used[best] = 1;
            rv[j] = pk[best];
            ri[j] = (float)best;
        }
        for (int threads = 1; threads <= 2; threads++) {
            int fused = 0, plain = 0;
            ASSERT_OK(run_topk(json, threads, 0, x, v[0], ix[0], K, &fused));
            ASSERT_OK(run_topk(json, threads, 1, x, v[1], ix[1], K, &plain));
            ASSERT_MSG(fused == 1 && plain == 0, "win %d threads %d: %d %d",
                       win, threads, fused, plain);
            ASSERT(!memcmp(v[0], v[1], sizeof v[0]));
            ASSERT(!memcmp(ix[0], ix[1], sizeof ix[0]));
            /* the peaks of the engine's own sigmoid values may differ from
             * the double reference only by rounding */
            int same = 0;
            for (int j = 0; j < K; j++) {
                ASSERT_MSG(fabsf(v[0][j] - rv[j]) <= 1e-5f, "win %d j %d", win,
                           j);
                same += ix[0][j] == ri[j];
            }
            ASSERT_MSG(same >= K - 2, "win %d: %d of %d indices", win, same, K);
        }
        tm_free(&m);
    }
}

/* Two heads on one input, CenterNet's cls and wh: a depthwise -> 1x1
 * strip pair (into 24 channels) and a fused depthwise + 1x1 pair (into 4)
 * with the same 3x3 window. The second runs inside the first one's
 * strips on the rows just read (one step fewer than with
 * SPATIA_NN_NO_CO_DWPW); both outputs bit for bit those of the separate
 * run and the reference; 1 and 2 threads (strip groups). */
TEST(dwpw_inside_strips)
{
    enum { H = 24, W = 20, C = 32, NA = 24, NB = 4 };
    static float x[H * W * C], wa[9 * C], ba[C], wb[9 * C], bb[C];
    static float pa[C * NA], qa[NA], pb[C * NB], qb[NB];
    static float mid[H * W * C], ra[H * W * NA], rb[H * W * NB];
    static float ga[H * W * NA], gb[H * W * NB], ua[H * W * NA], ub[H * W * NB];
    tm_fill(x, sizeof x / 4, 600, -1, 1);
    tm_fill(wa, sizeof wa / 4, 601, -1, 1);
    tm_fill(ba, sizeof ba / 4, 602, -1, 1);
    tm_fill(wb, sizeof wb / 4, 603, -1, 1);
    tm_fill(bb, sizeof bb / 4, 604, -1, 1);
    tm_fill(pa, sizeof pa / 4, 605, -0.3f, 0.3f);
    tm_fill(qa, sizeof qa / 4, 606, -1, 1);
    tm_fill(pb, sizeof pb / 4, 607, -0.3f, 0.3f);
    tm_fill(qb, sizeof qb / 4, 608, -1, 1);
    const int pad[4] = {1, 1, 1, 1}, pad0[4] = {0};
    ref_conv(x, 1, H, W, C, wa, 3, 3, C, 1, ba, 1, 1, 1, 1, pad, H, W,
             -INFINITY, INFINITY, mid);
    ref_conv(mid, 1, H, W, C, pa, 1, 1, NA, 0, qa, 1, 1, 1, 1, pad0, H, W,
             -INFINITY, INFINITY, ra);
    ref_conv(x, 1, H, W, C, wb, 3, 3, C, 1, bb, 1, 1, 1, 1, pad, H, W,
             -INFINITY, INFINITY, mid);
    ref_conv(mid, 1, H, W, C, pb, 1, 1, NB, 0, qb, 1, 1, 1, 1, pad0, H, W,
             -INFINITY, INFINITY, rb);
    int xs[4] = {1, H, W, C}, dws[4] = {3, 3, C, 1}, cs[1] = {C};
    int pas[4] = {1, 1, C, NA}, nas[1] = {NA}, pbs[4] = {1, 1, C, NB},
        nbs[1] = {NB};
    char a1[1024], a2[1024];
    tmodel m;
    tm_init(&m);
    tm_input(&m, "x", 4, xs);
    tm_const_f(&m, "wa", 4, dws, wa);
    tm_const_f(&m, "ba", 1, cs, ba);
    tm_const_f(&m, "wb", 4, dws, wb);
    tm_const_f(&m, "bb", 1, cs, bb);
    tm_const_f(&m, "pa", 4, pas, pa);
    tm_const_f(&m, "qa", 1, nas, qa);
    tm_const_f(&m, "pb", 4, pbs, pb);
    tm_const_f(&m, "qb", 1, nbs, qb);
    conv_attrs(a1, sizeof a1, 1, 1, 1, 1, "SAME", NULL, "BiasAdd", NULL);
    conv_attrs(a2, sizeof a2, 1, 1, 1, 1, "VALID", NULL, "BiasAdd", NULL);
    tm_node(&m, "da", "FusedDepthwiseConv2dNative", "x,wa,ba", a1);
    tm_node(&m, "ya", "_FusedConv2D", "da,pa,qa", a2);
    tm_node(&m, "db", "FusedDepthwiseConv2dNative", "x,wb,bb", a1);
    tm_node(&m, "yb", "_FusedConv2D", "db,pb,qb", a2);
    tm_output(&m, "ya");
    tm_output(&m, "yb");
    const char *json = tm_write(&m);
    ASSERT(json != NULL);
    for (int threads = 1; threads <= 2; threads++) {
        int sa, sb, ta, tb;
        ASSERT_OK(run_named(json, threads, 1, x, "ya", ga, H * W * NA, &sa));
        ASSERT_OK(run_named(json, threads, 1, x, "yb", gb, H * W * NB, &sb));
        const char *off = "SPATIA_NN_NO_CO_DWPW";
        ASSERT_OK(
            run_named_off(json, threads, 1, off, x, "ya", ua, H * W * NA, &ta));
        ASSERT_OK(
            run_named_off(json, threads, 1, off, x, "yb", ub, H * W * NB, &tb));
        ASSERT_MSG(rel_err(ga, ra, H * W * NA) <= 1e-5, "threads %d", threads);
        ASSERT_MSG(rel_err(gb, rb, H * W * NB) <= 1e-5, "threads %d", threads);
        ASSERT(!memcmp(ga, ua, sizeof ga));
        ASSERT(!memcmp(gb, ub, sizeof gb));
        if (nn_dw_available() && nn_pw_available())
            ASSERT_MSG(sa == ta - 1, "threads %d: %d steps, %d apart", threads,
                       sa, ta);
    }
    tm_free(&m);
}

/* MobileNetV3's first block: depthwise -> 1x1 -> + the block input, in
 * row strips (strip_kb = 1) with the residual Add in the 1x1 kernel's
 * store: one step fewer than with SPATIA_NN_NO_STRIP_EP (strips, then
 * the Add), the same bits, the reference; the Add output must not share
 * bytes with the block input, which later strips still read (an in-place
 * Add would corrupt their halo rows). 1 and 2 threads, 16 and 24
 * channels out. */
TEST(strips_with_residual_add)
{
    enum { H = 40, W = 24, C = 16 };
    static float x[H * W * C], w1[9 * C], b1[C], w2[C * C], b2[C];
    static float mid[H * W * C], ref[H * W * C], got[H * W * C], un[H * W * C];
    static float xr[H * W * C];
    tm_fill(x, sizeof x / 4, 620, -1, 1);
    for (size_t i = 0; i < sizeof x / 4; i++) /* the block input: Relu6(x) */
        xr[i] = x[i] < 0 ? 0 : x[i];
    tm_fill(w1, sizeof w1 / 4, 621, -1, 1);
    tm_fill(b1, sizeof b1 / 4, 622, -1, 1);
    tm_fill(w2, sizeof w2 / 4, 623, -0.3f, 0.3f);
    tm_fill(b2, sizeof b2 / 4, 624, -1, 1);
    const int pad[4] = {1, 1, 1, 1}, pad0[4] = {0};
    ref_conv(xr, 1, H, W, C, w1, 3, 3, C, 1, b1, 1, 1, 1, 1, pad, H, W, 0, 6,
             mid);
    ref_conv(mid, 1, H, W, C, w2, 1, 1, C, 0, b2, 1, 1, 1, 1, pad0, H, W,
             -INFINITY, INFINITY, ref);
    for (size_t i = 0; i < sizeof ref / 4; i++)
        ref[i] += xr[i];
    int xs[4] = {1, H, W, C}, d1[4] = {3, 3, C, 1}, d2[4] = {1, 1, C, C},
        cs[1] = {C};
    char a1[1024], a2[1024];
    tmodel m;
    tm_init(&m);
    tm_input(&m, "x", 4, xs);
    tm_const_f(&m, "w1", 4, d1, w1);
    tm_const_f(&m, "b1", 1, cs, b1);
    tm_const_f(&m, "w2", 4, d2, w2);
    tm_const_f(&m, "b2", 1, cs, b2);
    tm_node(&m, "xr", "Relu6", "x", ""); /* an arena tensor, not the input */
    tm_node(&m, "dw", "FusedDepthwiseConv2dNative", "xr,w1,b1",
            conv_attrs(a1, sizeof a1, 1, 1, 1, 1, "SAME", NULL, "BiasAdd",
                       "Relu6"));
    tm_node(
        &m, "pw", "_FusedConv2D", "dw,w2,b2",
        conv_attrs(a2, sizeof a2, 1, 1, 1, 1, "VALID", NULL, "BiasAdd", NULL));
    tm_node(&m, "y", "AddV2", "pw,xr", "");
    tm_output(&m, "y");
    const char *json = tm_write(&m);
    ASSERT(json != NULL);
    for (int threads = 1; threads <= 2; threads++) {
        int sf = 0, su = 0;
        ASSERT_OK(run_named(json, threads, 1, x, "y", got, H * W * C, &sf));
        ASSERT_OK(run_named_off(json, threads, 1, "SPATIA_NN_NO_STRIP_EP", x,
                                "y", un, H * W * C, &su));
        double e = rel_err(got, ref, H * W * C);
        ASSERT_MSG(e <= 1e-5, "threads %d: error %g", threads, e);
        ASSERT(!memcmp(got, un, sizeof got));
        if (nn_dw_available() && nn_pw_available())
            ASSERT_MSG(sf == su - 1, "threads %d: %d steps, %d apart", threads,
                       sf, su);
    }
    tm_free(&m);
}

/* A whole inverted residual block: 1x1 expand -> depthwise -> 1x1 project
 * (+ the block input when the stride is 1) in expand strips (strip_kb =
 * 1) whose project convolution, the tail, runs on each strip's depthwise
 * rows from a buffer of its own: one step fewer than with
 * SPATIA_NN_NO_EXPAND_TAIL (there the Add is the project's epilogue), the
 * same bits, the reference. Strides 1 and 2, 3x3 and 5x5, project widths 16 and
 * 24; 1 and 2 threads. The block input is an arena tensor (Relu6 of the model
 * input), so an in-place Add would overwrite rows later strips read. */
TEST(expand_strips_with_tail)
{
    static const struct {
        int H, W, C, CT, k, s, CP;
    } cases[] = {
        {40, 12, 16, 48, 3, 1, 16},
        {41, 11, 8, 40, 3, 2, 24},
        {44, 10, 24, 64, 5, 1, 24},
    };
    static float x[MAXN], xr[MAXN], w1[MAXN], b1[512], w2[MAXN], b2[512];
    static float w3[MAXN], b3[512];
    static float mid[MAXN], mid2[MAXN], ref[MAXN], got[MAXN], un[MAXN];
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const int H = cases[ci].H, W = cases[ci].W, C = cases[ci].C;
        const int CT = cases[ci].CT, k = cases[ci].k, sd = cases[ci].s;
        const int CP = cases[ci].CP, add = sd == 1 && CP == C;
        const int OH = same_out(H, sd), OW = same_out(W, sd);
        int pad[4], pad0[4] = {0};
        same_pad(H, k, sd, 1, &pad[0], &pad[1]);
        same_pad(W, k, sd, 1, &pad[2], &pad[3]);
        tm_fill(x, (size_t)H * W * C, 640 + (uint32_t)ci, -1, 1);
        for (size_t i = 0; i < (size_t)H * W * C; i++)
            xr[i] = x[i] < 0 ? 0 : x[i];
        tm_fill(w1, (size_t)C * CT, 641, -0.5f, 0.5f);
        tm_fill(b1, (size_t)CT, 642, -1, 1);
        tm_fill(w2, (size_t)k * k * CT, 643, -0.5f, 0.5f);
        tm_fill(b2, (size_t)CT, 644, -1, 1);
        tm_fill(w3, (size_t)CT * CP, 645, -0.3f, 0.3f);
        tm_fill(b3, (size_t)CP, 646, -1, 1);
        ref_conv(xr, 1, H, W, C, w1, 1, 1, CT, 0, b1, 1, 1, 1, 1, pad0, H, W, 0,
                 6, mid);
        ref_conv(mid, 1, H, W, CT, w2, k, k, CT, 1, b2, sd, sd, 1, 1, pad, OH,
                 OW, 0, 6, mid2);
        ref_conv(mid2, 1, OH, OW, CT, w3, 1, 1, CP, 0, b3, 1, 1, 1, 1, pad0, OH,
                 OW, -INFINITY, INFINITY, ref);
        const size_t n = (size_t)OH * OW * CP;
        ASSERT(n <= MAXN && (size_t)H * W * CT <= MAXN);
        for (size_t i = 0; add && i < n; i++)
            ref[i] += xr[i];
        int xs[4] = {1, H, W, C}, s1[4] = {1, 1, C, CT}, s2[4] = {k, k, CT, 1},
            s3[4] = {1, 1, CT, CP};
        char a1[1024], a2[1024], a3[1024];
        tmodel m;
        tm_init(&m);
        tm_input(&m, "x", 4, xs);
        tm_const_f(&m, "w1", 4, s1, w1);
        tm_const_f(&m, "b1", 1, &CT, b1);
        tm_const_f(&m, "w2", 4, s2, w2);
        tm_const_f(&m, "b2", 1, &CT, b2);
        tm_const_f(&m, "w3", 4, s3, w3);
        tm_const_f(&m, "b3", 1, &CP, b3);
        tm_node(&m, "xr", "Relu6", "x", "");
        tm_node(&m, "e", "_FusedConv2D", "xr,w1,b1",
                conv_attrs(a1, sizeof a1, 1, 1, 1, 1, "VALID", NULL, "BiasAdd",
                           "Relu6"));
        tm_node(&m, "d", "FusedDepthwiseConv2dNative", "e,w2,b2",
                conv_attrs(a2, sizeof a2, sd, sd, 1, 1, "SAME", NULL, "BiasAdd",
                           "Relu6"));
        tm_node(&m, add ? "p" : "y", "_FusedConv2D", "d,w3,b3",
                conv_attrs(a3, sizeof a3, 1, 1, 1, 1, "VALID", NULL, "BiasAdd",
                           NULL));
        if (add)
            tm_node(&m, "y", "AddV2", "p,xr", "");
        tm_output(&m, "y");
        const char *json = tm_write(&m);
        ASSERT(json != NULL);
        for (int threads = 1; threads <= 2; threads++) {
            int sf = 0, su = 0;
            ASSERT_OK(run_named(json, threads, 1, x, "y", got, n, &sf));
            ASSERT_OK(run_named_off(json, threads, 1,
                                    "SPATIA_NN_NO_EXPAND_TAIL", x, "y", un, n,
                                    &su));
            double e = rel_err(got, ref, n);
            ASSERT_MSG(e <= 1e-5, "case %zu threads %d: error %g", ci, threads,
                       e);
            ASSERT_MSG(!memcmp(got, un, n * sizeof *got), "case %zu threads %d",
                       ci, threads);
            if (nn_dw_available() && nn_pw_available())
                ASSERT_MSG(sf == su - 1, "case %zu: %d steps, %d apart", ci, sf,
                           su);
        }
        tm_free(&m);
    }
}

/* A squeeze-excite gate x * g (g [1,1,1,C], a second input here) read
 * only by two depthwise convolutions, one of a fused pair into 3 channels
 * and one of a strip pair into 24 (strip_kb = 1), is folded into their
 * filters: the Mul step is skipped (one step fewer than when the product
 * is also a graph output, which keeps it), the results match the
 * reference of the unfolded arithmetic and the unfolded run, 1 and 2
 * threads, two runs with different gates (the filter is refilled). */
TEST(se_gate_folded_into_depthwise)
{
    enum { H = 32, W = 16, C = 20, K1 = 3, K2 = 5, CO1 = 3, CO2 = 24 };
    static float x[H * W * C], g[2][C], u[H * W * C], mid[H * W * C];
    static float w1[K1 * K1 * C], b1[C], w2[K2 * K2 * C], b2[C];
    static float p1[C * CO1], c1[CO1], p2[C * CO2], c2[CO2];
    static float ref1[H * W * CO1], ref2[H * W * CO2];
    static float got1[H * W * CO1], got2[H * W * CO2];
    static float pl1[H * W * CO1], pl2[H * W * CO2];
    int xs[4] = {1, H, W, C}, gs[4] = {1, 1, 1, C};
    int w1s[4] = {K1, K1, C, 1}, w2s[4] = {K2, K2, C, 1};
    int p1s[4] = {1, 1, C, CO1}, p2s[4] = {1, 1, C, CO2};
    int pad1[4], pad2[4], pad0[4] = {0}, nc = C, n1 = CO1, n2 = CO2;
    char a[4][1024];
    tm_fill(x, sizeof x / 4, 500, -1, 1);
    tm_fill(g[0], C, 501, 0, 1);
    tm_fill(g[1], C, 502, 0, 1);
    tm_fill(w1, sizeof w1 / 4, 503, -1, 1);
    tm_fill(b1, C, 504, -1, 1);
    tm_fill(w2, sizeof w2 / 4, 505, -1, 1);
    tm_fill(b2, C, 506, -1, 1);
    tm_fill(p1, sizeof p1 / 4, 507, -1, 1);
    tm_fill(c1, CO1, 508, -1, 1);
    tm_fill(p2, sizeof p2 / 4, 509, -1, 1);
    tm_fill(c2, CO2, 510, -1, 1);
    same_pad(H, K1, 1, 1, &pad1[0], &pad1[1]);
    same_pad(W, K1, 1, 1, &pad1[2], &pad1[3]);
    same_pad(H, K2, 1, 1, &pad2[0], &pad2[1]);
    same_pad(W, K2, 1, 1, &pad2[2], &pad2[3]);
    tmodel m[2];
    const char *json[2];
    for (int k = 0; k < 2; k++) {
        tm_init(&m[k]);
        tm_input(&m[k], "x", 4, xs);
        tm_input(&m[k], "g", 4, gs);
        tm_const_f(&m[k], "w1", 4, w1s, w1);
        tm_const_f(&m[k], "b1", 1, &nc, b1);
        tm_const_f(&m[k], "w2", 4, w2s, w2);
        tm_const_f(&m[k], "b2", 1, &nc, b2);
        tm_const_f(&m[k], "p1", 4, p1s, p1);
        tm_const_f(&m[k], "c1", 1, &n1, c1);
        tm_const_f(&m[k], "p2", 4, p2s, p2);
        tm_const_f(&m[k], "c2", 1, &n2, c2);
        tm_node(&m[k], "u", "Mul", "x,g", "");
        tm_node(&m[k], "d1", "FusedDepthwiseConv2dNative", "u,w1,b1",
                conv_attrs(a[0], sizeof a[0], 1, 1, 1, 1, "SAME", NULL,
                           "BiasAdd", "Relu6"));
        tm_node(&m[k], "y1", "_FusedConv2D", "d1,p1,c1",
                conv_attrs(a[1], sizeof a[1], 1, 1, 1, 1, "VALID", NULL,
                           "BiasAdd", NULL));
        tm_node(&m[k], "d2", "DepthwiseConv2dNative", "u,w2",
                conv_attrs(a[2], sizeof a[2], 1, 1, 1, 1, "SAME", NULL, NULL,
                           NULL));
        tm_node(&m[k], "y2", "_FusedConv2D", "d2,p2,c2",
                conv_attrs(a[3], sizeof a[3], 1, 1, 1, 1, "VALID", NULL,
                           "BiasAdd", "Relu"));
        tm_output(&m[k], "y1");
        tm_output(&m[k], "y2");
        if (k)
            tm_output(&m[k], "u");
        json[k] = tm_write(&m[k]);
        ASSERT(json[k] != NULL);
    }
    for (int threads = 1; threads <= 2; threads++) {
        spatia_nn_model *mdl[2] = {NULL, NULL};
        spatia_nn_info info[2];
        char err[512];
        for (int k = 0; k < 2; k++) {
            spatia_nn_opts o;
            spatia_nn_opts_default(&o);
            o.threads = threads;
            o.strip_kb = 1;
            ASSERT_OK(
                spatia_nn_model_load(json[k], &o, &mdl[k], err, sizeof err));
            spatia_nn_info_get(mdl[k], &info[k]);
        }
        if (have_avx512f())
            ASSERT_MSG(info[0].steps == info[1].steps - 1,
                       "%d steps folded, %d plain", info[0].steps,
                       info[1].steps);
        for (int r = 0; r < 2; r++) {
            for (size_t i = 0; i < sizeof x / 4; i++)
                u[i] = x[i] * g[r][i % C];
            ref_conv(u, 1, H, W, C, w1, K1, K1, C, 1, b1, 1, 1, 1, 1, pad1, H,
                     W, 0, 6, mid);
            ref_conv(mid, 1, H, W, C, p1, 1, 1, CO1, 0, c1, 1, 1, 1, 1, pad0, H,
                     W, -INFINITY, INFINITY, ref1);
            ref_conv(u, 1, H, W, C, w2, K2, K2, C, 1, NULL, 1, 1, 1, 1, pad2, H,
                     W, -INFINITY, INFINITY, mid);
            ref_conv(mid, 1, H, W, C, p2, 1, 1, CO2, 0, c2, 1, 1, 1, 1, pad0, H,
                     W, 0, INFINITY, ref2);
            for (int k = 0; k < 2; k++) {
                spatia_nn_tensor t;
                ASSERT_OK(spatia_nn_input(mdl[k], 0, &t));
                memcpy(t.data, x, sizeof x);
                ASSERT_OK(spatia_nn_input(mdl[k], 1, &t));
                memcpy(t.data, g[r], sizeof g[r]);
                ASSERT_OK(spatia_nn_run(mdl[k]));
                ASSERT_OK(spatia_nn_output(
                    mdl[k], spatia_nn_output_find(mdl[k], "y1"), &t));
                memcpy(k ? pl1 : got1, t.data, sizeof got1);
                ASSERT_OK(spatia_nn_output(
                    mdl[k], spatia_nn_output_find(mdl[k], "y2"), &t));
                memcpy(k ? pl2 : got2, t.data, sizeof got2);
            }
            double e1 = rel_err(got1, ref1, H * W * CO1);
            double e2 = rel_err(got2, ref2, H * W * CO2);
            ASSERT_MSG(e1 <= 1e-5 && e2 <= 1e-5, "run %d: errors %g %g", r, e1,
                       e2);
            ASSERT(rel_err(got1, pl1, H * W * CO1) <= 1e-5);
            ASSERT(rel_err(got2, pl2, H * W * CO2) <= 1e-5);
        }
        spatia_nn_model_destroy(mdl[0]);
        spatia_nn_model_destroy(mdl[1]);
    }
    tm_free(&m[0]);
    tm_free(&m[1]);
}

/* Loads json (inputs x, gin and, with `res`, res), runs twice on one
 * model with gate inputs gin[0] then gin[1], output "y" of each run in
 * y[r] (n floats). portable: the portable kernels; no_fold: with
 * SPATIA_NN_NO_PW_FOLD. *info gets the plan's figures. */
static int run_gated(const char *json, int threads, int portable, int no_fold,
                     const float *x, const float *const gin[2],
                     const float *res, float *const y[2], size_t n,
                     spatia_nn_info *info)
{
    spatia_nn_model *mdl = NULL;
    spatia_nn_opts o;
    spatia_nn_tensor t;
    char err[512];
    spatia_nn_opts_default(&o);
    o.threads = threads;
    o.portable = portable;
    if (no_fold)
        setenv("SPATIA_NN_NO_PW_FOLD", "1", 1);
    int rc = spatia_nn_model_load(json, &o, &mdl, err, sizeof err);
    unsetenv("SPATIA_NN_NO_PW_FOLD");
    if (rc)
        fprintf(stderr, "load: %s\n", err);
    for (int r = 0; r < 2 && !rc; r++) {
        const float *in[3] = {x, gin[r], res};
        for (int i = 0; i < (res ? 3 : 2) && !rc; i++)
            if (!(rc = spatia_nn_input(mdl, i, &t)))
                memcpy(t.data, in[i], t.size);
        if (!rc && !(rc = spatia_nn_run(mdl)))
            rc = spatia_nn_output(mdl, spatia_nn_output_find(mdl, "y"), &t);
        if (!rc && t.size != n * 4)
            rc = SPATIA_RANGE;
        if (!rc)
            memcpy(y[r], t.data, t.size);
    }
    if (!rc)
        spatia_nn_info_get(mdl, info);
    spatia_nn_model_destroy(mdl);
    return rc;
}

/* A squeeze-excite gate x * g (g = Sigmoid of an input [1,1,1,K], so it
 * changes per run) read only by a 1x1 convolution (bias and Relu or
 * none; K not a multiple of 16; N with a ymm tail, a multiple of 16, two
 * column chunks; then a residual Add or not) is folded into the own
 * kernel's weights on AVX-512 CPUs: one step fewer than with
 * SPATIA_NN_NO_PW_FOLD. When the product has another reader it is not
 * folded (as many steps). Two runs on one model with different gates
 * (the weights are rescaled every run), 1 and 2 threads, against the
 * naive reference of x * g then the convolution and against the portable
 * kernels. */
TEST(se_gate_folded_into_pointwise)
{
    enum { H = 16, W = 32, KMAX = 37, NMAX = 88 };
    static const struct {
        int K, N, bias, add, other, swap;
        const char *act;
    } cases[] = {
        {20, 24, 1, 0, 0, 0, "Relu"},  {37, 32, 0, 1, 0, 1, NULL},
        {37, 24, 1, 1, 0, 0, NULL},    {20, 88, 1, 1, 0, 1, "Relu"},
        {20, 32, 1, 0, 1, 0, "Relu6"},
    };
    static float x[H * W * KMAX], gin[2][KMAX], res[H * W * NMAX];
    static float w[KMAX * NMAX], b[NMAX], u[H * W * KMAX];
    static float ref[H * W * NMAX], got[3][2][H * W * NMAX];
    const int pad0[4] = {0};
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const int K = cases[ci].K, N = cases[ci].N;
        const size_t n = (size_t)H * W * N;
        int xs[4] = {1, H, W, K}, gs[4] = {1, 1, 1, K}, ws[4] = {1, 1, K, N};
        int ys[4] = {1, H, W, N};
        char a[1024];
        tm_fill(x, (size_t)H * W * K, 600 + (uint32_t)ci, -1, 1);
        tm_fill(gin[0], (size_t)K, 610 + (uint32_t)ci, -3, 3);
        tm_fill(gin[1], (size_t)K, 620 + (uint32_t)ci, -3, 3);
        tm_fill(w, (size_t)K * N, 630 + (uint32_t)ci, -1, 1);
        tm_fill(b, (size_t)N, 640 + (uint32_t)ci, -1, 1);
        tm_fill(res, n, 650 + (uint32_t)ci, -1, 1);
        tmodel m;
        tm_init(&m);
        tm_input(&m, "x", 4, xs);
        tm_input(&m, "gin", 4, gs);
        if (cases[ci].add)
            tm_input(&m, "res", 4, ys);
        tm_const_f(&m, "w", 4, ws, w);
        tm_const_f(&m, "b", 1, &N, b);
        tm_node(&m, "g", "Sigmoid", "gin", "");
        tm_node(&m, "u", "Mul", cases[ci].swap ? "g,x" : "x,g", "");
        const char *cname = cases[ci].add ? "c" : "y";
        if (cases[ci].bias)
            tm_node(&m, cname, "_FusedConv2D", "u,w,b",
                    conv_attrs(a, sizeof a, 1, 1, 1, 1, "VALID", NULL,
                               "BiasAdd", cases[ci].act));
        else
            tm_node(
                &m, cname, "Conv2D", "u,w",
                conv_attrs(a, sizeof a, 1, 1, 1, 1, "VALID", NULL, NULL, NULL));
        if (cases[ci].add)
            tm_node(&m, "y", "AddV2", "c,res", "");
        if (cases[ci].other) {
            tm_node(&m, "o", "Relu", "u", "");
            tm_output(&m, "o");
        }
        tm_output(&m, "y");
        const char *json = tm_write(&m);
        ASSERT(json != NULL);
        const float lo = !cases[ci].act ? -INFINITY : 0;
        const float hi = !cases[ci].act                    ? INFINITY
                         : !strcmp(cases[ci].act, "Relu6") ? 6
                                                           : INFINITY;
        for (int threads = 1; threads <= 2; threads++) {
            spatia_nn_info info[3];
            const float *gp[2] = {gin[0], gin[1]};
            const float *rp = cases[ci].add ? res : NULL;
            for (int k = 0; k < 3; k++) {
                float *yp[2] = {got[k][0], got[k][1]};
                ASSERT_OK(run_gated(json, threads, k == 2, k == 1, x, gp, rp,
                                    yp, n, &info[k]));
            }
            if (have_avx512f())
                ASSERT_MSG(info[0].steps == info[1].steps - !cases[ci].other,
                           "case %zu: %d steps folded, %d plain", ci,
                           info[0].steps, info[1].steps);
            for (int r = 0; r < 2; r++) {
                for (size_t i = 0; i < (size_t)H * W * K; i++) {
                    double e = exp(-(double)gin[r][i % K]);
                    u[i] = x[i] * (float)(1.0 / (1.0 + e));
                }
                ref_conv(u, 1, H, W, K, w, 1, 1, N, 0,
                         cases[ci].bias ? b : NULL, 1, 1, 1, 1, pad0, H, W, lo,
                         hi, ref);
                for (size_t i = 0; cases[ci].add && i < n; i++)
                    ref[i] += res[i];
                for (int k = 0; k < 3; k++) {
                    double e = rel_err(got[k][r], ref, n);
                    ASSERT_MSG(e <= 1e-5, "case %zu run %d path %d: error %g",
                               ci, r, k, e);
                }
                double e = rel_err(got[0][r], got[2][r], n);
                ASSERT_MSG(e <= 1e-5, "case %zu run %d: %g from portable", ci,
                           r, e);
            }
        }
        tm_free(&m);
    }
}

/* The own depthwise kernel through whole models (on AVX-512 CPUs the
 * planner takes it for every multiplier-1 depthwise convolution): one to
 * seven 16-channel blocks with a masked tail, pixel groups and the checked
 * borders, 3x3 / 5x5 and other windows, strides, dilations, every padding
 * kind. */
TEST(depthwise_own_kernel)
{
    static const conv_case cases[] = {
        {14, 15, 16, 3, 3, 1, 1, 1, 1, 1, 1, "SAME", {0}, "Relu6", 1},
        {15, 17, 18, 3, 3, 1, 2, 2, 1, 1, 1, "SAME", {0}, NULL, 1},
        {16, 13, 24, 5, 5, 1, 1, 1, 1, 1, 1, "SAME", {0}, "Relu", 1},
        {17, 19, 32, 5, 5, 1, 2, 2, 1, 1, 1, "SAME", {0}, NULL, 0},
        {12, 20, 7, 3, 3, 1, 1, 1, 2, 2, 1, "VALID", {0}, NULL, 1},
        {11, 18, 20, 2, 4, 1, 1, 2, 1, 1, 1, "SAME", {0}, "Relu6", 1},
        {10, 16, 17, 3, 3, 1, 1, 1, 1, 1, 1, "EXPLICIT", {0, 2, 3, 1}, NULL, 1},
        {3, 3, 16, 5, 5, 1, 1, 1, 1, 1, 1, "SAME", {0}, NULL, 1},
        {10, 14, 72, 5, 5, 1, 1, 1, 1, 1, 1, "SAME", {0}, "Relu", 1},
        {9, 11, 100, 5, 5, 1, 1, 1, 1, 1, 1, "VALID", {0}, NULL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ASSERT_MSG(!conv_case_run(&cases[i]), "case %zu", i);
}

/* The own depthwise kernel called directly on every path: strides 1 and 2,
 * 3x3 / 5x5 / 3x5 / other windows, channel counts with masked tails,
 * widths that are not a multiple of the 16/8/4-pixel groups (and smaller
 * than the window), SAME / VALID / explicit asymmetric padding, vertical
 * and horizontal dilation, a strided output, a hard-swish epilogue, and
 * rows computed in two calls (row0). Inputs, filters and bias are
 * allocated to their exact sizes (ASan sees any read outside them); the
 * output must equal bit for bit a scalar fmaf sum in the documented order
 * (bias, then the taps inside the image in row-major window order), stay
 * within 1e-5 of the double reference, and leave the stride gaps alone. */
TEST(depthwise_own_kernel_direct)
{
    static const struct {
        int H, W, C, kh, kw, s, d, dwl, extra, hs;
        int pads[4]; /* t,b,l,r; -1: SAME */
    } cases[] = {
        {9, 37, 64, 3, 3, 1, 1, 1, 0, 0, {-1}},
        {8, 23, 17, 3, 3, 2, 1, 1, 0, 0, {-1}},
        {7, 40, 72, 5, 5, 1, 1, 1, 0, 0, {-1}},
        {11, 29, 130, 5, 5, 2, 1, 1, 3, 0, {-1}},
        {6, 19, 8, 3, 3, 1, 1, 1, 0, 1, {-1}},
        {10, 35, 16, 5, 5, 1, 1, 1, 0, 0, {0, 0, 0, 0}},
        {9, 33, 24, 3, 3, 2, 1, 1, 0, 0, {0, 0, 0, 0}},
        {8, 21, 33, 3, 3, 1, 1, 1, 0, 0, {2, 0, 3, 1}},
        {9, 26, 48, 5, 5, 2, 1, 1, 5, 1, {0, 3, 1, 4}},
        {5, 2, 20, 5, 5, 1, 1, 1, 0, 0, {-1}},
        {4, 5, 40, 5, 5, 2, 1, 1, 0, 0, {-1}},
        {3, 1, 16, 3, 3, 1, 1, 1, 0, 0, {-1}},
        {12, 18, 32, 3, 5, 1, 1, 1, 0, 0, {-1}},
        {13, 20, 18, 3, 3, 1, 2, 1, 0, 0, {-1}},
        {10, 17, 19, 3, 3, 1, 1, 2, 0, 0, {-1}},
        {9, 15, 21, 2, 4, 2, 1, 1, 0, 0, {-1}},
        {6, 64, 96, 5, 5, 1, 1, 1, 0, 0, {-1}},
        {6, 70, 64, 3, 3, 2, 1, 1, 0, 0, {-1}},
    };
    if (!nn_dw_available())
        TEST_SKIP("no AVX-512F: the own depthwise kernel does not run here");
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const int H = cases[ci].H, W = cases[ci].W, C = cases[ci].C;
        const int kh = cases[ci].kh, kw = cases[ci].kw, s = cases[ci].s;
        const int dh = cases[ci].d, dwl = cases[ci].dwl;
        const int ekh = (kh - 1) * dh + 1, ekw = (kw - 1) * dwl + 1;
        int pad[4], OH, OW;
        if (cases[ci].pads[0] < 0) {
            same_pad(H, kh, s, dh, &pad[0], &pad[1]);
            same_pad(W, kw, s, dwl, &pad[2], &pad[3]);
        } else {
            memcpy(pad, cases[ci].pads, sizeof pad);
        }
        OH = (H + pad[0] + pad[1] - ekh) / s + 1;
        OW = (W + pad[2] + pad[3] - ekw) / s + 1;
        const size_t os = (size_t)C + (size_t)cases[ci].extra;
        const size_t ny = (size_t)OH * OW * os;
        float *x = malloc((size_t)H * W * C * sizeof *x);
        float *w = malloc((size_t)kh * kw * C * sizeof *w);
        float *b = malloc((size_t)C * sizeof *b);
        float *y = malloc(ny * sizeof *y), *ref = malloc(ny * sizeof *ref);
        float *dref = malloc((size_t)OH * OW * C * sizeof *dref);
        ASSERT(x && w && b && y && ref && dref);
        tm_fill(x, (size_t)H * W * C, 150 + (uint32_t)ci, -1, 1);
        tm_fill(w, (size_t)kh * kw * C, 151, -1, 1);
        tm_fill(b, (size_t)C, 152, -1, 1);
        const float lo = cases[ci].hs ? -2.5f : -INFINITY;
        const float hi = cases[ci].hs ? 4.0f : INFINITY, hsk = 0.1666259765625f;
        for (size_t i = 0; i < ny; i++)
            ref[i] = y[i] = -7.0f; /* stride gaps keep this */
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++)
                for (int c = 0; c < C; c++) {
                    float acc = b[c];
                    for (int ky = 0; ky < kh; ky++)
                        for (int kx = 0; kx < kw; kx++) {
                            int iy = oy * s - pad[0] + ky * dh;
                            int ix = ox * s - pad[2] + kx * dwl;
                            if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                                continue;
                            acc = fmaf(x[((size_t)iy * W + ix) * C + c],
                                       w[(size_t)(ky * kw + kx) * C + c], acc);
                        }
                    acc = fminf(fmaxf(acc, lo), hi);
                    if (cases[ci].hs)
                        acc =
                            (acc * hsk) * fminf(fmaxf(acc + 3.0f, 0.0f), 6.0f);
                    ref[((size_t)oy * OW + ox) * os + (size_t)c] = acc;
                }
        ref_conv(x, 1, H, W, C, w, kh, kw, C, 1, b, s, s, dh, dwl, pad, OH, OW,
                 lo, hi, dref);
        nn_dw d = {.H = H,
                   .W = W,
                   .C = C,
                   .OH = OH,
                   .OW = OW,
                   .kh = kh,
                   .kw = kw,
                   .sh = s,
                   .sw = s,
                   .dh = dh,
                   .dw = dwl,
                   .pad_top = pad[0],
                   .pad_left = pad[2],
                   .lo = lo,
                   .hi = hi,
                   .hardswish = cases[ci].hs,
                   .hs_scale = hsk,
                   .w = w,
                   .bias = b,
                   .out_stride = os};
        d.tile = nn_dw_tile(&d);
        const int half = OH / 2;
        nn_dw_run(&d, x, y, 0, half, NULL);
        nn_dw_run(&d, x, y + (size_t)half * OW * os, half, OH, NULL);
        size_t bad = ny;
        for (size_t i = 0; i < ny && bad == ny; i++)
            if (memcmp(&y[i], &ref[i], sizeof y[i]))
                bad = i;
        ASSERT_MSG(bad == ny, "case %zu: element %zu is %.9g, want %.9g", ci,
                   bad, bad < ny ? y[bad] : 0, bad < ny ? ref[bad] : 0);
        if (!cases[ci].hs) {
            for (size_t i = 0; i < (size_t)OH * OW; i++)
                memcpy(&ref[i * C], &y[i * os], (size_t)C * sizeof *y);
            double e = rel_err(ref, dref, (size_t)OH * OW * C);
            ASSERT_MSG(e <= 1e-5, "case %zu: error %g", ci, e);
        }
        free(x);
        free(w);
        free(b);
        free(y);
        free(ref);
        free(dref);
    }
}

/* Two depthwise convolutions written straight into channel slices of a
 * concat (strided output of the own kernel). */
TEST(depthwise_into_concat_view)
{
    static float x[9 * 12 * 16], w1[9 * 16], w2[25 * 16];
    static float a[9 * 12 * 16], b[9 * 12 * 16], ref[9 * 12 * 32];
    int xs[4] = {1, 9, 12, 16}, w1s[4] = {3, 3, 16, 1}, w2s[4] = {5, 5, 16, 1};
    int p1[4], p2[4];
    char a1[1024], a2[1024];
    tm_fill(x, sizeof x / 4, 130, -1, 1);
    tm_fill(w1, sizeof w1 / 4, 131, -1, 1);
    tm_fill(w2, sizeof w2 / 4, 132, -1, 1);
    same_pad(9, 3, 1, 1, &p1[0], &p1[1]);
    same_pad(12, 3, 1, 1, &p1[2], &p1[3]);
    same_pad(9, 5, 1, 1, &p2[0], &p2[1]);
    same_pad(12, 5, 1, 1, &p2[2], &p2[3]);
    ref_conv(x, 1, 9, 12, 16, w1, 3, 3, 16, 1, NULL, 1, 1, 1, 1, p1, 9, 12,
             -INFINITY, INFINITY, a);
    ref_conv(x, 1, 9, 12, 16, w2, 5, 5, 16, 1, NULL, 1, 1, 1, 1, p2, 9, 12,
             -INFINITY, INFINITY, b);
    for (int i = 0; i < 9 * 12; i++)
        for (int c = 0; c < 16; c++) {
            float u = a[i * 16 + c], v = b[i * 16 + c];
            ref[i * 32 + c] = u > 0 ? u : 0;
            ref[i * 32 + 16 + c] = v > 0 ? v : 0;
        }
    tmodel m;
    tm_init(&m);
    tm_input(&m, "x", 4, xs);
    tm_const_f(&m, "w1", 4, w1s, w1);
    tm_const_f(&m, "w2", 4, w2s, w2);
    tm_scalar_i(&m, "axis", 3);
    tm_node(&m, "a", "DepthwiseConv2dNative", "x,w1",
            conv_attrs(a1, sizeof a1, 1, 1, 1, 1, "SAME", NULL, NULL, NULL));
    tm_node(&m, "b", "DepthwiseConv2dNative", "x,w2",
            conv_attrs(a2, sizeof a2, 1, 1, 1, 1, "SAME", NULL, NULL, NULL));
    tm_node(&m, "cat", "ConcatV2", "a,b,axis", "");
    tm_node(&m, "y", "Relu", "cat", "");
    tm_output(&m, "y");
    const char *json = tm_write(&m);
    const float *ins[1] = {x};
    CHECK_BOTH(json, 1, ins, 0, ref, 9 * 12 * 32, 1e-5);
    tm_free(&m);
}

/* 1x1 -> depthwise convolution pairs ("expand" pairs) run in row strips
 * that recompute the rows their windows share (strip_kb = 1) must give
 * the unsplit result, bit for bit: strides, windows, padding kinds,
 * multiplier (XNNPACK's depthwise operator per strip), channel tails (8,
 * 17, 40, 72, 130) and widths off the pixel groups (the own kernel on
 * AVX-512 CPUs, reading each strip's rows with the image padding only at
 * the first and last strip), with and without strip groups. */
TEST(pointwise_depthwise_strips)
{
    static const struct {
        int H, W, C, CT, k, M, s, co;
        const char *padding;
        int pads[4];
    } cases[] = {
        {36, 8, 8, 16, 3, 1, 1, 0, "SAME", {0}},
        {37, 9, 5, 24, 3, 1, 2, 0, "SAME", {0}},
        {66, 6, 4, 16, 5, 1, 1, 0, "SAME", {0}},
        {60, 7, 6, 16, 5, 1, 2, 0, "VALID", {0}},
        {40, 8, 3, 16, 3, 2, 1, 0, "EXPLICIT", {2, 1, 0, 2}},
        {41, 21, 6, 17, 3, 1, 1, 0, "SAME", {0}},
        {38, 19, 5, 72, 3, 1, 2, 0, "SAME", {0}},
        {60, 13, 4, 40, 5, 1, 2, 0, "EXPLICIT", {1, 3, 2, 1}},
        {70, 13, 7, 8, 5, 1, 1, 0, "EXPLICIT", {0, 2, 4, 0}},
        {34, 14, 3, 130, 3, 1, 1, 0, "VALID", {0}},
    };
    static float x[MAXN], w1[MAXN], b1[512], w2[MAXN], b2[512];
    static float mid[MAXN], ref[MAXN], got[MAXN], flat[MAXN];
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const int H = cases[ci].H, W = cases[ci].W, C = cases[ci].C;
        const int CT = cases[ci].CT, k = cases[ci].k, M = cases[ci].M;
        const int s = cases[ci].s, CO = CT * M;
        int xs[4] = {1, H, W, C}, w1s[4] = {1, 1, C, CT},
            w2s[4] = {k, k, CT, M};
        int pad[4], pad0[4] = {0}, OH, OW;
        char a1[1024], a2[1024];
        if (!strcmp(cases[ci].padding, "SAME")) {
            same_pad(H, k, s, 1, &pad[0], &pad[1]);
            same_pad(W, k, s, 1, &pad[2], &pad[3]);
            OH = same_out(H, s);
            OW = same_out(W, s);
        } else {
            for (int i = 0; i < 4; i++)
                pad[i] = !strcmp(cases[ci].padding, "EXPLICIT")
                             ? cases[ci].pads[i]
                             : 0;
            OH = (H + pad[0] + pad[1] - k) / s + 1;
            OW = (W + pad[2] + pad[3] - k) / s + 1;
        }
        tm_fill(x, (size_t)H * W * C, 140 + (uint32_t)ci, -1, 1);
        tm_fill(w1, (size_t)C * CT, 141, -1, 1);
        tm_fill(b1, (size_t)CT, 142, -1, 1);
        tm_fill(w2, (size_t)k * k * CO, 143, -1, 1);
        tm_fill(b2, (size_t)CO, 144, -1, 1);
        ref_conv(x, 1, H, W, C, w1, 1, 1, CT, 0, b1, 1, 1, 1, 1, pad0, H, W, 0,
                 6, mid);
        ref_conv(mid, 1, H, W, CT, w2, k, k, CO, 1, b2, s, s, 1, 1, pad, OH, OW,
                 0, INFINITY, ref);
        tmodel m;
        tm_init(&m);
        tm_input(&m, "x", 4, xs);
        tm_const_f(&m, "w1", 4, w1s, w1);
        tm_const_f(&m, "b1", 1, &CT, b1);
        tm_const_f(&m, "w2", 4, w2s, w2);
        tm_const_f(&m, "b2", 1, &CO, b2);
        tm_node(&m, "pw", "_FusedConv2D", "x,w1,b1",
                conv_attrs(a1, sizeof a1, 1, 1, 1, 1, "VALID", NULL, "BiasAdd",
                           "Relu6"));
        tm_node(&m, "y", "FusedDepthwiseConv2dNative", "pw,w2,b2",
                conv_attrs(a2, sizeof a2, s, s, 1, 1, cases[ci].padding,
                           !strcmp(cases[ci].padding, "EXPLICIT")
                               ? cases[ci].pads
                               : NULL,
                           "BiasAdd", "Relu"));
        tm_output(&m, "y");
        const char *json = tm_write(&m);
        ASSERT(json != NULL);
        const size_t n = (size_t)OH * OW * CO;
        ASSERT(n <= MAXN);
        for (int strip = 0; strip < 2; strip++) {
            spatia_nn_model *mdl = NULL;
            spatia_nn_opts o;
            spatia_nn_tensor t;
            char err[512];
            spatia_nn_opts_default(&o);
            o.threads = 2;
            o.strip_kb = strip ? 1 : -1;
            ASSERT_OK(spatia_nn_model_load(json, &o, &mdl, err, sizeof err));
            ASSERT_OK(spatia_nn_input(mdl, 0, &t));
            memcpy(t.data, x, t.size);
            ASSERT_OK(spatia_nn_run(mdl));
            ASSERT_OK(spatia_nn_output(mdl, 0, &t));
            ASSERT(t.size == n * 4);
            memcpy(got, t.data, t.size);
            spatia_nn_model_destroy(mdl);
            double e = rel_err(got, ref, n);
            ASSERT_MSG(e <= 1e-5, "case %zu strips %d: error %g", ci, strip, e);
            /* same kernels, same order per element: bit for bit; but a
             * 3x3 window at stride 2 over 64+ channels runs on XNNPACK
             * unsplit and on the own kernel in strips (nn_dw_preferred
             * with the input cached), whose sums round differently */
            const int mixed =
                nn_dw_available() && k == 3 && s == 2 && CT >= 64 && M == 1;
            if (!strip)
                memcpy(flat, got, n * sizeof *got);
            else if (mixed)
                ASSERT_MSG(rel_err(got, flat, n) <= 1e-6,
                           "case %zu: strips %g from the unsplit run", ci,
                           rel_err(got, flat, n));
            else
                ASSERT_MSG(!memcmp(flat, got, n * sizeof *got),
                           "case %zu: strips differ from the unsplit run", ci);
        }
        tm_free(&m);
    }
}

/* PeakTopK on a smooth positive field with plateaus, 32 channels (whole
 * 16-lane vectors per pixel, the vectorized 3x3 window test once the
 * kept values are positive): many large values sit next to larger ones
 * and must not count, equal neighbours all count; values and indices
 * against the naive reference, 1 and 2 threads. */
TEST(peak_topk_smooth_field)
{
    enum { H = 24, W = 20, C = 32, N = H * W * C };
    static float x[N], pk[N], v[N], ix[N], rv[N], ri[N];
    static char used[N];
    for (int y = 0; y < H; y++)
        for (int w = 0; w < W; w++)
            for (int c = 0; c < C; c++) {
                float f = 0.5f + 0.3f *
                                     sinf(0.7f * (float)y + 0.1f * (float)c) *
                                     cosf(0.55f * (float)w - 0.2f * (float)c);
                if (y >= 10 && y < 13 && w >= 4 && w < 8)
                    f = 0.62f; /* a plateau: every pixel of it a peak */
                x[((size_t)y * W + w) * C + c] = f;
            }
    for (int y = 0; y < H; y++)
        for (int w = 0; w < W; w++)
            for (int c = 0; c < C; c++) {
                const size_t i = ((size_t)y * W + w) * C + c;
                float mx = x[i];
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++) {
                        int y2 = y + dy, x2 = w + dx;
                        if (y2 >= 0 && y2 < H && x2 >= 0 && x2 < W) {
                            float u = x[((size_t)y2 * W + x2) * C + c];
                            mx = u > mx ? u : mx;
                        }
                    }
                pk[i] = x[i] == mx ? x[i] : 0.0f;
            }
    /* k: 3/4 of the peaks, so that the last kept values are low enough for
     * the near-peak values around them to compete */
    int K = 0;
    for (int i = 0; i < N; i++)
        K += pk[i] > 0;
    K = K * 3 / 4;
    ASSERT(K >= 40);
    memset(used, 0, sizeof used);
    for (int j = 0; j < K; j++) {
        int best = -1;
        for (int i = 0; i < N; i++)
            if (!used[i] && (best < 0 || pk[i] > pk[best]))
                best = i;
        used[best] = 1;
        rv[j] = pk[best];
        ri[j] = (float)best;
    }
    char attrs[512], b1[16], b2[16];
    snprintf(attrs, sizeof attrs,
             "\"ksize\":{\"list\":{\"i\":[\"1\",\"3\",\"3\",\"1\"]}},"
             "\"strides\":{\"list\":{\"i\":[\"1\",\"1\",\"1\",\"1\"]}},"
             "\"padding\":{\"s\":\"%s\"},\"data_format\":{\"s\":\"%s\"}",
             tm_b64("SAME", b1), tm_b64("NHWC", b2));
    int xs[4] = {1, H, W, C}, rs[2] = {1, -1};
    tmodel m;
    tm_init(&m);
    tm_input(&m, "x", 4, xs);
    tm_vec_i(&m, "shape", 2, rs);
    tm_scalar_i(&m, "k", K);
    tm_node(&m, "mp", "MaxPool", "x", attrs);
    tm_node(&m, "eq", "Equal", "x,mp", "");
    tm_node(&m, "cast", "Cast", "eq", "\"DstT\":{\"type\":\"DT_FLOAT\"}");
    tm_node(&m, "peaks", "Mul", "x,cast", "");
    tm_node(&m, "flat", "Reshape", "peaks,shape", "");
    tm_node(&m, "top", "TopKV2", "flat,k", "\"sorted\":{\"b\":true}");
    tm_output(&m, "top");
    tm_output(&m, "top:1");
    const char *json = tm_write(&m);
    const float *ins[1] = {x};
    ASSERT_OK(run(json, 0, 0, 1, ins, 0, v, (size_t)K, NULL));
    ASSERT_OK(run(json, 0, 0, 1, ins, 1, ix, (size_t)K, NULL));
    ASSERT(!memcmp(v, rv, (size_t)K * sizeof *v));
    ASSERT(!memcmp(ix, ri, (size_t)K * sizeof *ix));
    tm_free(&m);
}

/* TopK over a long row against a naive selection: negative values, zeros,
 * ties and values just below the running threshold pass through the
 * vectorized skip of the scan (16 at a time) and its scalar tail. */
TEST(topk_long_row)
{
    enum { N = 1003, K = 37 };
    static float x[N], v[K], ix[K], rv[K], ri[K];
    int xs[2] = {1, N};
    tm_fill(x, N, 150, -1, 1);
    for (int i = 0; i < N; i += 5)
        x[i] = 0.0f;
    for (int i = 3; i < N; i += 97)
        x[i] = 0.75f; /* ties */
    char used[N] = {0};
    for (int j = 0; j < K; j++) {
        int best = -1;
        for (int i = 0; i < N; i++)
            if (!used[i] && (best < 0 || x[i] > x[best]))
                best = i;
        used[best] = 1;
        rv[j] = x[best];
        ri[j] = (float)best;
    }
    tmodel m;
    tm_init(&m);
    tm_input(&m, "x", 2, xs);
    tm_scalar_i(&m, "k", K);
    tm_node(&m, "top", "TopKV2", "x,k", "\"sorted\":{\"b\":true}");
    tm_output(&m, "top");
    tm_output(&m, "top:1");
    const char *json = tm_write(&m);
    const float *ins[1] = {x};
    for (int p = 0; p < 2; p++) {
        ASSERT_OK(run(json, p, 0, 1, ins, 0, v, K, NULL));
        ASSERT_OK(run(json, p, 0, 1, ins, 1, ix, K, NULL));
        ASSERT(!memcmp(v, rv, sizeof v));
        ASSERT(!memcmp(ix, ri, sizeof ix));
    }
    tm_free(&m);
}

/* TopK over a row long enough to be scanned in two chunks in parallel
 * (2 threads): the second half holds the larger values, so the first
 * chunk skips by the floor the second one reaches; values tied at the
 * cut sit in both halves and must be taken lowest index first. */
TEST(topk_long_row_chunks)
{
    enum { N = 150001, K = 50 };
    static float x[N], v[K], ix[K], rv[K], ri[K];
    static char used[N];
    int xs[2] = {1, N};
    tm_fill(x, N / 2, 151, 0, 1);
    tm_fill(x + N / 2, N - N / 2, 152, 0.5f, 1.5f);
    const int tie[] = {7, 1000, 40000, 74999, 75003, 90000, 149999};
    for (size_t t = 0; t < sizeof tie / sizeof tie[0]; t++)
        x[tie[t]] = 1.4993f; /* about the 50th largest value */
    memset(used, 0, sizeof used);
    for (int j = 0; j < K; j++) {
        int best = -1;
        for (int i = 0; i < N; i++)
            if (!used[i] && (best < 0 || x[i] > x[best]))
                best = i;
        used[best] = 1;
        rv[j] = x[best];
        ri[j] = (float)best;
    }
    int ties = 0;
    for (int j = 0; j < K; j++)
        ties += rv[j] == 1.4993f;
    ASSERT(ties > 0 && ties < (int)(sizeof tie / sizeof tie[0]));
    tmodel m;
    tm_init(&m);
    tm_input(&m, "x", 2, xs);
    tm_scalar_i(&m, "k", K);
    tm_node(&m, "top", "TopKV2", "x,k", "\"sorted\":{\"b\":true}");
    tm_output(&m, "top");
    tm_output(&m, "top:1");
    const char *json = tm_write(&m);
    const float *ins[1] = {x};
    ASSERT_OK(run(json, 0, 0, 1, ins, 0, v, K, NULL));
    ASSERT_OK(run(json, 0, 0, 1, ins, 1, ix, K, NULL));
    ASSERT(!memcmp(v, rv, sizeof v));
    ASSERT(!memcmp(ix, ri, sizeof ix));
    tm_free(&m);
}

/* The stem kernel (3x3 convolution of 3 channels into <= 16, AVX-512 CPUs)
 * with the following hard-swish folded into its store: stride 2 SAME and
 * stride 1 VALID, 16 and 11 output channels (masked), interior runs of
 * four pixels and borders; against the naive reference. */
TEST(stem_conv_hardswish)
{
    static const struct {
        int H, W, co, s;
        const char *padding;
    } cases[] = {{17, 22, 16, 2, "SAME"},
                 {12, 13, 11, 1, "VALID"},
                 {9, 30, 16, 1, "SAME"}};
    static float x[40 * 40 * 3], w[27 * 16], b[16], ref[40 * 40 * 16];
    static float got[40 * 40 * 16];
    const float sixth = 0.1666259765625f; /* float16(1/6) */
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const int H = cases[ci].H, W = cases[ci].W, co = cases[ci].co;
        const int sd = cases[ci].s;
        int xs[4] = {1, H, W, 3}, ws[4] = {3, 3, 3, co}, pad[4] = {0}, OH, OW;
        char attrs[1024];
        if (!strcmp(cases[ci].padding, "SAME")) {
            same_pad(H, 3, sd, 1, &pad[0], &pad[1]);
            same_pad(W, 3, sd, 1, &pad[2], &pad[3]);
            OH = same_out(H, sd);
            OW = same_out(W, sd);
        } else {
            OH = (H - 3) / sd + 1;
            OW = (W - 3) / sd + 1;
        }
        const size_t n = (size_t)OH * OW * co;
        tm_fill(x, (size_t)H * W * 3, 160 + (uint32_t)ci, 0, 255);
        tm_fill(w, (size_t)27 * co, 161, -0.05f, 0.05f);
        tm_fill(b, (size_t)co, 162, -1, 1);
        ref_conv(x, 1, H, W, 3, w, 3, 3, co, 0, b, sd, sd, 1, 1, pad, OH, OW,
                 -INFINITY, INFINITY, ref);
        for (size_t i = 0; i < n; i++) {
            float v = ref[i], t = v + 3.0f;
            t = t < 0 ? 0 : (t > 6 ? 6 : t);
            ref[i] = (v * sixth) * t;
        }
        tmodel m;
        tm_init(&m);
        tm_input(&m, "x", 4, xs);
        tm_const_f(&m, "w", 4, ws, w);
        tm_const_f(&m, "b", 1, &co, b);
        tm_scalar_f(&m, "c6", sixth);
        tm_scalar_f(&m, "c3", 3.0f);
        tm_node(&m, "conv", "_FusedConv2D", "x,w,b",
                conv_attrs(attrs, sizeof attrs, sd, sd, 1, 1, cases[ci].padding,
                           NULL, "BiasAdd", NULL));
        tm_node(&m, "hs/mul", "Mul", "conv,c6", "");
        tm_node(&m, "hs/add", "AddV2", "conv,c3", "");
        tm_node(&m, "hs/relu6", "Relu6", "hs/add", "");
        tm_node(&m, "hs/mul_1", "Mul", "hs/mul,hs/relu6", "");
        tm_output(&m, "hs/mul_1");
        const char *json = tm_write(&m);
        const float *ins[1] = {x};
        for (int p = 0; p < 2; p++) {
            ASSERT_OK(run(json, p, 0, 1, ins, 0, got, n, NULL));
            double e = rel_err(got, ref, n);
            ASSERT_MSG(e <= 1e-5, "case %zu %s: error %g", ci,
                       p ? "portable" : "fast", e);
        }
        tm_free(&m);
    }
}

/* The own resize (AVX-512 CPUs) with a ReLU folded into its store, over
 * 21 channels (a full and a masked 16-channel block), every mode, up and
 * down; the ReLU output is the resize's bytes (in place). */
TEST(resize_relu_fused)
{
    static float x[6 * 9 * 21], ref[13 * 17 * 21], got[13 * 17 * 21];
    int xs[4] = {1, 6, 9, 21};
    tm_fill(x, sizeof x / 4, 170, -1, 1);
    static const int sizes[2][2] = {{13, 17}, {4, 5}};
    for (int mode = 0; mode < 3; mode++)
        for (int si = 0; si < 2; si++) {
            const int OH = sizes[si][0], OW = sizes[si][1];
            const size_t n = (size_t)OH * OW * 21;
            ref_resize(x, 6, 9, 21, OH, OW, mode == 1, mode == 2, ref);
            for (size_t i = 0; i < n; i++)
                ref[i] = ref[i] > 0 ? ref[i] : 0;
            char attrs[256];
            snprintf(attrs, sizeof attrs,
                     "\"align_corners\":{\"b\":%s},"
                     "\"half_pixel_centers\":{\"b\":%s}",
                     mode == 1 ? "true" : "false",
                     mode == 2 ? "true" : "false");
            int32_t size[2] = {OH, OW};
            tmodel m;
            tm_init(&m);
            tm_input(&m, "x", 4, xs);
            tm_vec_i(&m, "size", 2, size);
            tm_node(&m, "r", "ResizeBilinear", "x,size", attrs);
            tm_node(&m, "y", "Relu", "r", "");
            tm_output(&m, "y");
            const char *json = tm_write(&m);
            const float *ins[1] = {x};
            for (int p = 0; p < 2; p++) {
                ASSERT_OK(run(json, p, 0, 1, ins, 0, got, n, NULL));
                double e = rel_err(got, ref, n);
                ASSERT_MSG(e <= 1e-5, "mode %d size %d %s: error %g", mode, si,
                           p ? "portable" : "fast", e);
            }
            tm_free(&m);
        }
}

/* Two threads: the arena's pages have owner threads (plan.c, place_owned),
 * part k of every tensor of 4+ pages on thread k's pages. A
 * chain of convolutions of changing sizes (so tensors reuse bytes of
 * others of other sizes) then a global mean (threaded, kernels.c) gives
 * bit for bit what the flat arena gives, and the mean matches a double
 * sum of the convolution output. */
TEST(two_thread_arena_halves_and_mean)
{
    enum { H = 48, W = 40, C = 8 };
    static float x[H * W * C], w1[9 * C * 24], w2[9 * 24 * 16], w3[16 * 40];
    static float got[2][2][H * W * 40];
    int xs[4] = {1, H, W, C}, w1s[4] = {3, 3, C, 24}, w2s[4] = {3, 3, 24, 16};
    int w3s[4] = {1, 1, 16, 40};
    static const int32_t axes_hw[2] = {1, 2};
    char a1[1024], a2[1024], a3[1024];
    tm_fill(x, sizeof x / 4, 300, -1, 1);
    tm_fill(w1, sizeof w1 / 4, 301, -0.3f, 0.3f);
    tm_fill(w2, sizeof w2 / 4, 302, -0.3f, 0.3f);
    tm_fill(w3, sizeof w3 / 4, 303, -0.3f, 0.3f);
    tmodel m;
    tm_init(&m);
    tm_input(&m, "x", 4, xs);
    tm_const_f(&m, "w1", 4, w1s, w1);
    tm_const_f(&m, "w2", 4, w2s, w2);
    tm_const_f(&m, "w3", 4, w3s, w3);
    tm_vec_i(&m, "axes", 2, axes_hw);
    tm_node(&m, "c1", "Conv2D", "x,w1",
            conv_attrs(a1, sizeof a1, 1, 1, 1, 1, "SAME", NULL, NULL, NULL));
    tm_node(&m, "c2", "Conv2D", "c1,w2",
            conv_attrs(a2, sizeof a2, 2, 2, 1, 1, "SAME", NULL, NULL, NULL));
    tm_node(&m, "c3", "Conv2D", "c2,w3",
            conv_attrs(a3, sizeof a3, 1, 1, 1, 1, "VALID", NULL, NULL, NULL));
    tm_node(&m, "y", "Mean", "c3,axes", "\"keep_dims\":{\"b\":true}");
    tm_output(&m, "c3");
    tm_output(&m, "y");
    const char *json = tm_write(&m);
    ASSERT(json != NULL);
    const size_t n3 = (size_t)(H / 2) * (W / 2) * 40;
    for (int flat = 0; flat < 2; flat++) {
        spatia_nn_model *mdl = NULL;
        spatia_nn_opts o;
        spatia_nn_tensor t;
        spatia_nn_info info;
        char err[512];
        if (flat)
            setenv("SPATIA_NN_FLAT_ARENA", "1", 1);
        spatia_nn_opts_default(&o);
        o.threads = 2;
        int rc = spatia_nn_model_load(json, &o, &mdl, err, sizeof err);
        unsetenv("SPATIA_NN_FLAT_ARENA");
        ASSERT_OK(rc);
        spatia_nn_info_get(mdl, &info);
        ASSERT_MSG(info.arena_split == !flat, "arena_split %d with flat=%d",
                   info.arena_split, flat);
        ASSERT_OK(spatia_nn_input(mdl, 0, &t));
        memcpy(t.data, x, t.size);
        for (int r = 0; r < 2; r++) {
            ASSERT_OK(spatia_nn_run(mdl));
            ASSERT_OK(spatia_nn_output(mdl, 0, &t));
            ASSERT(t.size == n3 * 4);
            memcpy(got[flat][0], t.data, t.size);
            ASSERT_OK(spatia_nn_output(mdl, 1, &t));
            ASSERT(t.size == 40 * 4);
            memcpy(got[flat][1], t.data, t.size);
        }
        spatia_nn_model_destroy(mdl);
    }
    ASSERT(!memcmp(got[0][0], got[1][0], n3 * 4));
    ASSERT(!memcmp(got[0][1], got[1][1], 40 * 4));
    for (int c = 0; c < 40; c++) {
        double sum = 0;
        for (size_t i = 0; i < n3 / 40; i++)
            sum += got[0][0][i * 40 + c];
        double ref = sum / (double)(n3 / 40);
        ASSERT_MSG(fabs(got[0][1][c] - ref) <= 1e-5 * (1 + fabs(ref)),
                   "mean channel %d: %g vs %g", c, (double)got[0][1][c], ref);
    }
    tm_free(&m);
}

/* The own 1x1 convolution kernel called directly: every K and N of
 * {1, 3, 8, 16, 17, 18, 24, 40, 64, 72, 80, 130} (full zmm vectors, ymm
 * tails, masked tails, several column chunks), 1, 13 and 37 pixels (ranges
 * shorter than a tile, tiles plus an overlapped remainder), with and
 * without bias, clamps, output pixels further apart than N (the gaps must
 * stay untouched), on the calling thread and on 2 threads. Each element
 * must equal, bit for bit, the documented order: the bias, then one fused
 * multiply-add per k ascending, then the clamp. Buffers are allocated to
 * the exact size, so ASan sees any access past them. */
TEST(pointwise_own_kernel_direct)
{
    static const int ch[] = {1, 3, 8, 16, 17, 18, 24, 40, 64, 72, 80, 130};
    static const int pixels[] = {1, 13, 37};
    static const float clamp[4][2] = {
        {-INFINITY, INFINITY}, {0, INFINITY}, {0, 6}, {-0.5f, 0.5f}};
    const int nch = (int)(sizeof ch / sizeof ch[0]);
    if (!nn_pw_available())
        TEST_SKIP("no AVX-512F/VL: the own 1x1 kernel does not run here");
    pthreadpool_t pool = pthreadpool_create(2);
    ASSERT(pool != NULL);
    int ci = 0;
    for (int a = 0; a < nch; a++)
        for (int b = 0; b < nch; b++)
            for (int pi = 0; pi < 3; pi++, ci++) {
                const int K = ch[a], N = ch[b], M = pixels[pi];
                const size_t os = (size_t)N + (ci % 3 == 0 ? 3 : 0);
                const size_t ny = (size_t)(M - 1) * os + (size_t)N;
                const int has_b = ci % 2, cl = (ci / 2) % 4;
                float *x = malloc((size_t)M * K * sizeof *x);
                float *w = malloc((size_t)K * N * sizeof *w);
                float *bias = malloc((size_t)N * sizeof *bias);
                float *y = malloc(ny * sizeof *y);
                ASSERT(x && w && bias && y);
                tm_fill(x, (size_t)M * K, 300 + ci, -1, 1);
                tm_fill(w, (size_t)K * N, 700 + ci, -1, 1);
                tm_fill(bias, (size_t)N, 900 + ci, -1, 1);
                nn_pw p;
                ASSERT_EQ(nn_pw_init(&p, K, N, M, w, has_b ? bias : NULL,
                                     clamp[cl][0], clamp[cl][1], os),
                          0);
                for (int t = 0; t < 2; t++) {
                    for (size_t i = 0; i < ny; i++)
                        y[i] = 12345.0f;
                    nn_pw_run(&p, x, y, t ? pool : NULL);
                    for (int i = 0; i < M; i++) {
                        for (int n = 0; n < N; n++) {
                            float acc = has_b ? bias[n] : 0.0f;
                            for (int k = 0; k < K; k++)
                                acc = fmaf(x[(size_t)i * K + k],
                                           w[(size_t)k * N + n], acc);
                            acc = fmaxf(acc, clamp[cl][0]);
                            acc = fminf(acc, clamp[cl][1]);
                            float got = y[(size_t)i * os + n];
                            ASSERT_MSG(!memcmp(&got, &acc, sizeof got),
                                       "K %d N %d M %d px %d ch %d thr %d: "
                                       "%.9g != %.9g",
                                       K, N, M, i, n, t + 1, got, acc);
                        }
                        for (size_t g = (size_t)N; g < os && i < M - 1; g++)
                            ASSERT_MSG(y[(size_t)i * os + g] == 12345.0f,
                                       "K %d N %d: gap written", K, N);
                    }
                }
                nn_pw_free(&p);
                free(x);
                free(w);
                free(bias);
                free(y);
            }
    pthreadpool_destroy(pool);
}

/* Loads json with `threads`, runs x through it, copies output `name` (n
 * floats) to y and fills *info. */
static int run_info(const char *json, int threads, const float *x,
                    const char *name, float *y, size_t n, spatia_nn_info *info)
{
    spatia_nn_model *mdl = NULL;
    spatia_nn_opts o;
    spatia_nn_tensor t;
    char err[512];
    spatia_nn_opts_default(&o);
    o.threads = threads;
    int rc = spatia_nn_model_load(json, &o, &mdl, err, sizeof err);
    if (rc)
        fprintf(stderr, "load: %s\n", err);
    if (!rc)
        rc = spatia_nn_input(mdl, 0, &t);
    if (!rc) {
        memcpy(t.data, x, t.size);
        rc = spatia_nn_run(mdl);
    }
    if (!rc)
        rc = spatia_nn_output(mdl, spatia_nn_output_find(mdl, name), &t);
    if (!rc && t.size != n * 4)
        rc = SPATIA_RANGE;
    if (!rc) {
        memcpy(y, t.data, t.size);
        spatia_nn_info_get(mdl, info);
    }
    spatia_nn_model_destroy(mdl);
    return rc;
}

/* 1x1 convolutions the planner gives the own kernel (nn_pw_preferred:
 * N % 16 in 1..8, one pixel, 128x128 pixels and more), as one-op models:
 * with and without bias, Relu / Relu6 fused, pixel counts off the tiles,
 * and two of them writing channel slices of a concat (output pixels 42
 * floats apart), 1 and 2 threads, against the reference; on AVX-512 CPUs
 * no XNNPACK operator may be left. */
TEST(pointwise_own_kernel)
{
    static const struct {
        int H, W, K, N, bias;
        const char *act;
    } cases[] = {
        {5, 7, 72, 18, 1, "Relu6"}, {3, 11, 17, 24, 0, NULL},
        {1, 1, 60, 130, 1, "Relu"}, {1, 1, 64, 96, 0, NULL},
        {4, 9, 40, 72, 1, NULL},    {128, 128, 3, 16, 1, "Relu"},
        {2, 13, 64, 8, 0, "Relu6"}, {7, 5, 1, 3, 1, NULL},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const int H = cases[ci].H, W = cases[ci].W, K = cases[ci].K;
        const int N = cases[ci].N;
        const size_t M = (size_t)H * W;
        float *x = malloc(M * K * sizeof *x), *w = malloc(K * N * sizeof *w);
        float *b = malloc(N * sizeof *b), *ref = malloc(M * N * sizeof *ref);
        float *got = malloc(M * N * sizeof *got);
        ASSERT(x && w && b && ref && got);
        tm_fill(x, M * K, 40 + ci, -1, 1);
        tm_fill(w, (size_t)K * N, 50 + ci, -1, 1);
        tm_fill(b, (size_t)N, 60 + ci, -1, 1);
        const char *act = cases[ci].act;
        const float hi = !act ? INFINITY : !strcmp(act, "Relu") ? INFINITY : 6;
        const int pad[4] = {0, 0, 0, 0};
        ref_conv(x, 1, H, W, K, w, 1, 1, N, 0, cases[ci].bias ? b : NULL, 1, 1,
                 1, 1, pad, H, W, act ? 0 : -INFINITY, hi, ref);
        int xs[4] = {1, H, W, K}, ws[4] = {1, 1, K, N}, bs[1] = {N};
        char at[1024];
        tmodel m;
        tm_init(&m);
        tm_input(&m, "x", 4, xs);
        tm_const_f(&m, "w", 4, ws, w);
        tm_const_f(&m, "b", 1, bs, b);
        if (cases[ci].bias)
            tm_node(&m, "y", "_FusedConv2D", "x,w,b",
                    conv_attrs(at, sizeof at, 1, 1, 1, 1, "VALID", NULL,
                               "BiasAdd", act));
        else if (act) { /* a separate activation, fused into the clamp */
            tm_node(&m, "c", "Conv2D", "x,w",
                    conv_attrs(at, sizeof at, 1, 1, 1, 1, "VALID", NULL, NULL,
                               NULL));
            tm_node(&m, "y", act, "c", "");
        } else
            tm_node(&m, "y", "Conv2D", "x,w",
                    conv_attrs(at, sizeof at, 1, 1, 1, 1, "VALID", NULL, NULL,
                               NULL));
        tm_output(&m, "y");
        const char *json = tm_write(&m);
        for (int threads = 1; threads <= 2; threads++) {
            spatia_nn_info info;
            ASSERT_OK(run_info(json, threads, x, "y", got, M * N, &info));
            double e = rel_err(got, ref, M * N);
            ASSERT_MSG(e <= 1e-5, "case %zu, %d threads: error %g", ci, threads,
                       e);
            if (nn_pw_available())
                ASSERT_EQ(info.xnn_ops, 0);
        }
        tm_free(&m);
        free(x);
        free(w);
        free(b);
        free(ref);
        free(got);
    }

    /* two 1x1 convolutions into the slices of a concat, Relu moved in */
    static float x[6 * 7 * 20], w1[20 * 18], w2[20 * 24], r1[42 * 18],
        r2[42 * 24], ref[42 * 42], got[42 * 42];
    int xs[4] = {1, 6, 7, 20}, w1s[4] = {1, 1, 20, 18}, w2s[4] = {1, 1, 20, 24};
    const int pad[4] = {0, 0, 0, 0};
    char a1[1024], a2[1024];
    tm_fill(x, sizeof x / 4, 71, -1, 1);
    tm_fill(w1, sizeof w1 / 4, 72, -1, 1);
    tm_fill(w2, sizeof w2 / 4, 73, -1, 1);
    ref_conv(x, 1, 6, 7, 20, w1, 1, 1, 18, 0, NULL, 1, 1, 1, 1, pad, 6, 7, 0,
             INFINITY, r1);
    ref_conv(x, 1, 6, 7, 20, w2, 1, 1, 24, 0, NULL, 1, 1, 1, 1, pad, 6, 7, 0,
             INFINITY, r2);
    for (int i = 0; i < 42; i++) {
        memcpy(ref + i * 42, r1 + i * 18, 18 * sizeof(float));
        memcpy(ref + i * 42 + 18, r2 + i * 24, 24 * sizeof(float));
    }
    tmodel m;
    tm_init(&m);
    tm_input(&m, "x", 4, xs);
    tm_const_f(&m, "w1", 4, w1s, w1);
    tm_const_f(&m, "w2", 4, w2s, w2);
    tm_scalar_i(&m, "axis", 3);
    tm_node(&m, "a", "Conv2D", "x,w1",
            conv_attrs(a1, sizeof a1, 1, 1, 1, 1, "VALID", NULL, NULL, NULL));
    tm_node(&m, "b", "Conv2D", "x,w2",
            conv_attrs(a2, sizeof a2, 1, 1, 1, 1, "VALID", NULL, NULL, NULL));
    tm_node(&m, "cat", "ConcatV2", "a,b,axis", "");
    tm_node(&m, "y", "Relu", "cat", "");
    tm_output(&m, "y");
    const char *json = tm_write(&m);
    for (int threads = 1; threads <= 2; threads++) {
        spatia_nn_info info;
        ASSERT_OK(run_info(json, threads, x, "y", got, 42 * 42, &info));
        double e = rel_err(got, ref, 42 * 42);
        ASSERT_MSG(e <= 1e-5, "concat, %d threads: error %g", threads, e);
        if (nn_pw_available())
            ASSERT_EQ(info.xnn_ops, 0);
    }
    tm_free(&m);
}

/* run_info with the 1x1 epilogue fusion on or off (SPATIA_NN_NO_PW_EP). */
static int run_ep(const char *json, int threads, const float *x,
                  const char *name, float *y, size_t n, spatia_nn_info *info,
                  int no_ep)
{
    if (no_ep)
        setenv("SPATIA_NN_NO_PW_EP", "1", 1);
    int rc = run_info(json, threads, x, name, y, n, info);
    unsetenv("SPATIA_NN_NO_PW_EP");
    return rc;
}

/* A depthwise convolution whose output only a HardSwish reads (TF's
 * pattern, the float16 1/6 and the exact one): on AVX-512 CPUs the own
 * kernel applies the hard-swish to the values it stores and the
 * HardSwish step is skipped (one step fewer than with
 * SPATIA_NN_NO_DW_HS); against the naive reference and, with the
 * model's float16 1/6 (the unfused HardSwish then runs the same C
 * arithmetic), bit for bit the unfused run. 3x3 and 5x5, strides 1 and
 * 2, a masked channel block, 1 and 2 threads. */
TEST(depthwise_hardswish_epilogue)
{
    static const struct {
        int H, W, C, k, s, exact;
        const char *act;
    } cases[] = {
        {9, 37, 24, 3, 1, 0, NULL},
        {12, 20, 40, 5, 2, 0, "Relu6"},
        {7, 19, 16, 3, 2, 1, NULL},
        {10, 33, 72, 5, 1, 0, NULL},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const int H = cases[ci].H, W = cases[ci].W, C = cases[ci].C;
        const int k = cases[ci].k, sd = cases[ci].s;
        const int OH = same_out(H, sd), OW = same_out(W, sd);
        const size_t n = (size_t)OH * OW * C;
        const float k6 =
            cases[ci].exact ? 1.0f / 6.0f : 0.1666259765625f; /* float16 */
        float *x = malloc((size_t)H * W * C * sizeof *x);
        float *w = malloc((size_t)k * k * C * sizeof *w);
        float *b = malloc(C * sizeof *b), *ref = malloc(n * sizeof *ref);
        float *got = malloc(n * sizeof *got), *un = malloc(n * sizeof *un);
        ASSERT(x && w && b && ref && got && un);
        tm_fill(x, (size_t)H * W * C, 330 + (uint32_t)ci, -2, 2);
        tm_fill(w, (size_t)k * k * C, 340 + (uint32_t)ci, -1, 1);
        tm_fill(b, (size_t)C, 350 + (uint32_t)ci, -2, 2);
        const char *act = cases[ci].act;
        int pad[4];
        same_pad(H, k, sd, 1, &pad[0], &pad[1]);
        same_pad(W, k, sd, 1, &pad[2], &pad[3]);
        ref_conv(x, 1, H, W, C, w, k, k, C, 1, b, sd, sd, 1, 1, pad, OH, OW,
                 act ? 0 : -INFINITY, act ? 6 : INFINITY, ref);
        for (size_t i = 0; i < n; i++) {
            float v = ref[i], t = v + 3.0f;
            t = t < 0 ? 0 : (t > 6 ? 6 : t);
            ref[i] = (v * k6) * t;
        }
        int xs[4] = {1, H, W, C}, ws[4] = {k, k, C, 1}, bs[1] = {C};
        char at[1024];
        tmodel m;
        tm_init(&m);
        tm_input(&m, "x", 4, xs);
        tm_const_f(&m, "w", 4, ws, w);
        tm_const_f(&m, "b", 1, bs, b);
        tm_scalar_f(&m, "c6", k6);
        tm_scalar_f(&m, "c3", 3.0f);
        tm_node(&m, "dw", "FusedDepthwiseConv2dNative", "x,w,b",
                conv_attrs(at, sizeof at, sd, sd, 1, 1, "SAME", NULL, "BiasAdd",
                           act));
        tm_node(&m, "hs/mul", "Mul", "dw,c6", "");
        tm_node(&m, "hs/add", "AddV2", "dw,c3", "");
        tm_node(&m, "hs/relu6", "Relu6", "hs/add", "");
        tm_node(&m, "y", "Mul", "hs/mul,hs/relu6", "");
        tm_output(&m, "y");
        const char *json = tm_write(&m);
        for (int threads = 1; threads <= 2; threads++) {
            spatia_nn_info fi, ui;
            ASSERT_OK(run_info(json, threads, x, "y", got, n, &fi));
            setenv("SPATIA_NN_NO_DW_HS", "1", 1);
            int rc = run_info(json, threads, x, "y", un, n, &ui);
            unsetenv("SPATIA_NN_NO_DW_HS");
            ASSERT_OK(rc);
            double e = rel_err(got, ref, n);
            ASSERT_MSG(e <= 1e-5, "case %zu, %d threads: error %g", ci, threads,
                       e);
            if (!nn_dw_available() || !nn_dw_preferred(C, k, k, sd, sd, 0))
                continue;
            ASSERT_MSG(fi.steps == ui.steps - 1, "case %zu: steps %d vs %d", ci,
                       fi.steps, ui.steps);
            if (!cases[ci].exact)
                ASSERT_MSG(!memcmp(got, un, n * sizeof *got),
                           "case %zu, %d threads: not bit-identical", ci,
                           threads);
        }
        tm_free(&m);
        free(x);
        free(w);
        free(b);
        free(ref);
        free(got);
        free(un);
    }
}

/* A 1x1 convolution (bias, Relu6 or none) whose output only a HardSwish
 * reads (TF's pattern with the float16 1/6 and with the exact one): on
 * AVX-512 CPUs the own kernel applies the hard-swish in its store and the
 * HardSwish step is skipped (one step fewer than with SPATIA_NN_NO_PW_EP).
 * Against the naive reference, and bit for bit the unfused run where that
 * runs the convolution on the own kernel too (nn_pw_preferred); channel
 * counts with a ymm tail, none, and two column chunks; 1 and 2 threads;
 * pixel counts off the tiles. */
TEST(pointwise_hardswish_epilogue)
{
    static const struct {
        int H, W, K, N, exact;
        const char *act;
    } cases[] = {
        {7, 9, 20, 24, 0, NULL},   {5, 11, 24, 48, 0, "Relu6"},
        {3, 7, 16, 136, 0, NULL},  {6, 6, 20, 24, 1, NULL},
        {9, 5, 12, 40, 1, "Relu"},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const int H = cases[ci].H, W = cases[ci].W, K = cases[ci].K;
        const int N = cases[ci].N;
        const size_t M = (size_t)H * W;
        const float k6 =
            cases[ci].exact ? 1.0f / 6.0f : 0.1666259765625f; /* float16 */
        float *x = malloc(M * K * sizeof *x), *w = malloc(K * N * sizeof *w);
        float *b = malloc(N * sizeof *b), *ref = malloc(M * N * sizeof *ref);
        float *got = malloc(M * N * sizeof *got);
        float *un = malloc(M * N * sizeof *un);
        ASSERT(x && w && b && ref && got && un);
        tm_fill(x, M * K, 300 + ci, -2, 2);
        tm_fill(w, (size_t)K * N, 310 + ci, -1, 1);
        tm_fill(b, (size_t)N, 320 + ci, -2, 2);
        const char *act = cases[ci].act;
        const float hi = !act ? INFINITY : !strcmp(act, "Relu") ? INFINITY : 6;
        const int pad[4] = {0, 0, 0, 0};
        ref_conv(x, 1, H, W, K, w, 1, 1, N, 0, b, 1, 1, 1, 1, pad, H, W,
                 act ? 0 : -INFINITY, hi, ref);
        for (size_t i = 0; i < M * N; i++) {
            float v = ref[i], t = v + 3.0f;
            t = t < 0 ? 0 : (t > 6 ? 6 : t);
            ref[i] = (v * k6) * t;
        }
        int xs[4] = {1, H, W, K}, ws[4] = {1, 1, K, N}, bs[1] = {N};
        char at[1024];
        tmodel m;
        tm_init(&m);
        tm_input(&m, "x", 4, xs);
        tm_const_f(&m, "w", 4, ws, w);
        tm_const_f(&m, "b", 1, bs, b);
        tm_scalar_f(&m, "c6", k6);
        tm_scalar_f(&m, "c3", 3.0f);
        tm_node(&m, "conv", "_FusedConv2D", "x,w,b",
                conv_attrs(at, sizeof at, 1, 1, 1, 1, "VALID", NULL, "BiasAdd",
                           act));
        tm_node(&m, "hs/mul", "Mul", "conv,c6", "");
        tm_node(&m, "hs/add", "AddV2", "conv,c3", "");
        tm_node(&m, "hs/relu6", "Relu6", "hs/add", "");
        tm_node(&m, "y", "Mul", "hs/mul,hs/relu6", "");
        tm_output(&m, "y");
        const char *json = tm_write(&m);
        for (int threads = 1; threads <= 2; threads++) {
            spatia_nn_info fi, ui;
            ASSERT_OK(run_ep(json, threads, x, "y", got, M * N, &fi, 0));
            ASSERT_OK(run_ep(json, threads, x, "y", un, M * N, &ui, 1));
            double e = rel_err(got, ref, M * N);
            ASSERT_MSG(e <= 1e-5, "case %zu, %d threads: error %g", ci, threads,
                       e);
            ASSERT_EQ(fi.nodes, ui.nodes);
            if (!nn_pw_available())
                continue;
            ASSERT_MSG(fi.steps == ui.steps - 1, "case %zu: steps %d vs %d", ci,
                       fi.steps, ui.steps);
            if (nn_pw_preferred(K, N, (long)M) && !cases[ci].exact)
                ASSERT_MSG(!memcmp(got, un, M * N * sizeof *got),
                           "case %zu, %d threads: not bit-identical", ci,
                           threads);
        }
        tm_free(&m);
        free(x);
        free(w);
        free(b);
        free(ref);
        free(got);
        free(un);
    }
}

/* A residual block's end: a 1x1 "project" convolution (bias, activation
 * or none) whose output only an Add with a same-shape tensor r reads. r is
 * the graph input (the convolution reads an expand convolution of it) or
 * an earlier convolution's output, whose bytes the Add then overwrites in
 * place; the Add's operands in either order. On AVX-512 CPUs the own
 * kernel adds r in its store and the Add step is skipped. Against the
 * naive reference, bit for bit the unfused run (SPATIA_NN_NO_PW_EP) where
 * that runs the project convolution on the own kernel, 1 and 2 threads. */
TEST(pointwise_residual_epilogue)
{
    static const struct {
        int H, W, C, E, from_input, swap;
        const char *act;
    } cases[] = {
        {5, 7, 24, 40, 1, 0, NULL},    {5, 7, 24, 40, 1, 1, "Relu"},
        {7, 6, 44, 20, 0, 0, "Relu6"}, {7, 6, 44, 20, 0, 1, NULL},
        {4, 13, 16, 32, 0, 0, NULL},   {3, 5, 88, 24, 1, 1, "Relu6"},
        {11, 3, 136, 24, 0, 1, NULL},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const int H = cases[ci].H, W = cases[ci].W, C = cases[ci].C;
        const int E = cases[ci].E, fi_ = cases[ci].from_input;
        const int K0 = 12; /* input channels when r is a convolution */
        const int CI = fi_ ? C : K0;
        const size_t M = (size_t)H * W;
        float *x = malloc(M * CI * sizeof *x), *w0 = malloc(K0 * C * 4);
        float *w1 = malloc((size_t)C * E * 4), *w2 = malloc((size_t)E * C * 4);
        float *b1 = malloc(E * 4), *b2 = malloc(C * 4);
        float *r = malloc(M * C * 4), *t1 = malloc(M * E * 4);
        float *ref = malloc(M * C * 4), *got = malloc(M * C * 4);
        float *un = malloc(M * C * 4);
        ASSERT(x && w0 && w1 && w2 && b1 && b2 && r && t1 && ref && got && un);
        tm_fill(x, M * CI, 400 + ci, -1, 1);
        tm_fill(w0, (size_t)K0 * C, 410 + ci, -1, 1);
        tm_fill(w1, (size_t)C * E, 420 + ci, -0.5f, 0.5f);
        tm_fill(w2, (size_t)E * C, 430 + ci, -0.5f, 0.5f);
        tm_fill(b1, (size_t)E, 440 + ci, -1, 1);
        tm_fill(b2, (size_t)C, 450 + ci, -1, 1);
        const char *act = cases[ci].act;
        const float hi = !act ? INFINITY : !strcmp(act, "Relu") ? INFINITY : 6;
        const int pad[4] = {0, 0, 0, 0};
        if (fi_)
            memcpy(r, x, M * C * 4);
        else
            ref_conv(x, 1, H, W, K0, w0, 1, 1, C, 0, NULL, 1, 1, 1, 1, pad, H,
                     W, -INFINITY, INFINITY, r);
        ref_conv(r, 1, H, W, C, w1, 1, 1, E, 0, b1, 1, 1, 1, 1, pad, H, W, 0, 6,
                 t1);
        ref_conv(t1, 1, H, W, E, w2, 1, 1, C, 0, b2, 1, 1, 1, 1, pad, H, W,
                 act ? 0 : -INFINITY, hi, ref);
        for (size_t i = 0; i < M * C; i++)
            ref[i] += r[i];
        int xs[4] = {1, H, W, CI}, w0s[4] = {1, 1, K0, C};
        int w1s[4] = {1, 1, C, E}, w2s[4] = {1, 1, E, C}, b1s = E, b2s = C;
        char at[1024];
        tmodel m;
        tm_init(&m);
        tm_input(&m, "x", 4, xs);
        tm_const_f(&m, "w0", 4, w0s, w0);
        tm_const_f(&m, "w1", 4, w1s, w1);
        tm_const_f(&m, "w2", 4, w2s, w2);
        tm_const_f(&m, "b1", 1, &b1s, b1);
        tm_const_f(&m, "b2", 1, &b2s, b2);
        const char *rn = fi_ ? "x" : "r";
        if (!fi_)
            tm_node(&m, "r", "Conv2D", "x,w0",
                    conv_attrs(at, sizeof at, 1, 1, 1, 1, "VALID", NULL, NULL,
                               NULL));
        char in1[16], in2[32];
        snprintf(in1, sizeof in1, "%s,w1,b1", rn);
        tm_node(&m, "expand", "_FusedConv2D", in1,
                conv_attrs(at, sizeof at, 1, 1, 1, 1, "VALID", NULL, "BiasAdd",
                           "Relu6"));
        tm_node(&m, "project", "_FusedConv2D", "expand,w2,b2",
                conv_attrs(at, sizeof at, 1, 1, 1, 1, "VALID", NULL, "BiasAdd",
                           act));
        snprintf(in2, sizeof in2, cases[ci].swap ? "%s,project" : "project,%s",
                 rn);
        tm_node(&m, "y", "AddV2", in2, "");
        tm_output(&m, "y");
        const char *json = tm_write(&m);
        for (int threads = 1; threads <= 2; threads++) {
            spatia_nn_info fi, ui;
            ASSERT_OK(run_ep(json, threads, x, "y", got, M * C, &fi, 0));
            ASSERT_OK(run_ep(json, threads, x, "y", un, M * C, &ui, 1));
            double e = rel_err(got, ref, M * C);
            ASSERT_MSG(e <= 1e-5, "case %zu, %d threads: error %g", ci, threads,
                       e);
            if (!nn_pw_available())
                continue;
            ASSERT_MSG(fi.steps == ui.steps - 1, "case %zu: steps %d vs %d", ci,
                       fi.steps, ui.steps);
            if (nn_pw_preferred(E, C, (long)M))
                ASSERT_MSG(!memcmp(got, un, M * C * sizeof *got),
                           "case %zu, %d threads: not bit-identical", ci,
                           threads);
        }
        tm_free(&m);
        free(x);
        free(w0);
        free(w1);
        free(w2);
        free(b1);
        free(b2);
        free(r);
        free(t1);
        free(ref);
        free(got);
        free(un);
    }
}

/* Loads json with `threads` threads and the environment variable `var`
 * set to `val` while it loads (NULL: unset), runs it `runs` times on x
 * and copies output "y" (n floats) and the info. */
static int run_env(const char *json, int threads, const char *var,
                   const char *val, const float *x, float *y, size_t n,
                   int runs, spatia_nn_info *info)
{
    spatia_nn_model *mdl = NULL;
    spatia_nn_opts o;
    spatia_nn_tensor t;
    char err[512];
    spatia_nn_opts_default(&o);
    o.threads = threads;
    if (val)
        setenv(var, val, 1);
    int rc = spatia_nn_model_load(json, &o, &mdl, err, sizeof err);
    unsetenv(var);
    if (rc)
        fprintf(stderr, "load: %s\n", err);
    if (!rc && !(rc = spatia_nn_input(mdl, 0, &t)))
        memcpy(t.data, x, t.size);
    for (int r = 0; r < runs && !rc; r++)
        rc = spatia_nn_run(mdl);
    if (!rc)
        rc = spatia_nn_output(mdl, spatia_nn_output_find(mdl, "y"), &t);
    if (!rc && t.size != n * 4)
        rc = SPATIA_RANGE;
    if (!rc) {
        memcpy(y, t.data, t.size);
        spatia_nn_info_get(mdl, info);
    }
    spatia_nn_model_destroy(mdl);
    return rc;
}

/* run_env with the producer-side mean sums on or off
 * (SPATIA_NN_NO_MEAN_SUM), three runs (the sums must restart every run). */
static int run_msum(const char *json, int threads, const float *x, float *y,
                    size_t n, spatia_nn_info *info, int off)
{
    return run_env(json, threads, "SPATIA_NN_NO_MEAN_SUM", off ? "1" : NULL, x,
                   y, n, 3, info);
}

/* Mean over H and W of Relu(concat(1x1 conv(x), resize(conv_s2(x))))
 * (CenterNet's squeeze-excite squeeze): on AVX-512 CPUs the relu moves
 * into the producers, both write their concat slices, the own 1x1 kernel
 * and the own resize sum what they store per thread range and channel,
 * and the Mean only adds those rows (info.mean_sums 1). 15x13 pixels (the
 * 1x1 kernel's ranges end in overlapped tiles), 20 or 88 (two column
 * chunks) + 21 (a masked block) channels, 1 and 2 threads: against a
 * double reference and the unfused run. With the graph input x as a third
 * concat input (the concat then copies) the mean reads its input as
 * before (mean_sums 0). */
TEST(mean_summed_by_producers)
{
    enum { H = 15, W = 13, K = 6, C2 = 21, SH = 8, SW = 7 };
    static float x[H * W * K], w1[K * 88], w2[9 * K * C2], a[H * W * 88];
    static float sm[SH * SW * C2], b[H * W * C2], got[2][128];
    static double ref[128];
    int xs[4] = {1, H, W, K}, w2s[4] = {3, 3, K, C2}, pad0[4] = {0}, pad2[4];
    static const int32_t axes_hw[2] = {1, 2};
    tm_fill(x, sizeof x / 4, 310, -1, 1);
    tm_fill(w1, sizeof w1 / 4, 311, -1, 1);
    tm_fill(w2, sizeof w2 / 4, 312, -0.5f, 0.5f);
    same_pad(H, 3, 2, 1, &pad2[0], &pad2[1]);
    same_pad(W, 3, 2, 1, &pad2[2], &pad2[3]);
    ref_conv(x, 1, H, W, K, w2, 3, 3, C2, 0, NULL, 2, 2, 1, 1, pad2, SH, SW,
             -INFINITY, INFINITY, sm);
    ref_resize(sm, SH, SW, C2, H, W, 0, 0, b);
    const int fast = nn_pw_available(); /* the own resize: AVX-512F too */
    for (int v = 0; v < 4; v++) {
        const int N1 = v & 1 ? 88 : 20, xcat = v >= 2;
        const int C = N1 + C2 + (xcat ? K : 0);
        int w1s[4] = {1, 1, K, N1};
        ref_conv(x, 1, H, W, K, w1, 1, 1, N1, 0, NULL, 1, 1, 1, 1, pad0, H, W,
                 -INFINITY, INFINITY, a);
        for (int c = 0; c < C; c++) {
            double sum = 0;
            for (int i = 0; i < H * W; i++) {
                float e = c < N1        ? a[i * N1 + c]
                          : c < N1 + C2 ? b[i * C2 + c - N1]
                                        : x[i * K + c - N1 - C2];
                sum += e > 0 ? e : 0;
            }
            ref[c] = sum / (H * W);
        }
        char a1[1024], a2[1024];
        int32_t size[2] = {H, W};
        tmodel m;
        tm_init(&m);
        tm_input(&m, "x", 4, xs);
        tm_const_f(&m, "w1", 4, w1s, w1);
        tm_const_f(&m, "w2", 4, w2s, w2);
        tm_vec_i(&m, "size", 2, size);
        tm_scalar_i(&m, "axis", 3);
        tm_vec_i(&m, "axes", 2, axes_hw);
        tm_node(
            &m, "a", "Conv2D", "x,w1",
            conv_attrs(a1, sizeof a1, 1, 1, 1, 1, "VALID", NULL, NULL, NULL));
        tm_node(
            &m, "s", "Conv2D", "x,w2",
            conv_attrs(a2, sizeof a2, 2, 2, 1, 1, "SAME", NULL, NULL, NULL));
        tm_node(&m, "b", "ResizeBilinear", "s,size", "");
        tm_node(&m, "cat", "ConcatV2", xcat ? "a,b,x,axis" : "a,b,axis", "");
        tm_node(&m, "r", "Relu", "cat", "");
        tm_node(&m, "y", "Mean", "r,axes", "\"keep_dims\":{\"b\":true}");
        tm_output(&m, "y");
        const char *json = tm_write(&m);
        ASSERT(json != NULL);
        for (int threads = 1; threads <= 2; threads++) {
            spatia_nn_info info[2];
            for (int off = 0; off < 2; off++) {
                ASSERT_OK(run_msum(json, threads, x, got[off], (size_t)C,
                                   &info[off], off));
                for (int c = 0; c < C; c++)
                    ASSERT_MSG(
                        fabs(got[off][c] - ref[c]) <= 1e-5 * (1 + fabs(ref[c])),
                        "N1 %d xcat %d threads %d off %d channel %d: "
                        "%g vs %g",
                        N1, xcat, threads, off, c, (double)got[off][c], ref[c]);
            }
            ASSERT(rel_err(got[0], got[1], (size_t)C) <= 1e-6);
            ASSERT_EQ(info[1].mean_sums, 0);
            ASSERT_MSG(info[0].mean_sums == (fast && !xcat),
                       "N1 %d xcat %d threads %d: mean_sums %d", N1, xcat,
                       threads, info[0].mean_sums);
        }
        tm_free(&m);
    }
}

/* nn_run_tasks with a two-thread pool deals n items in two contiguous
 * ranges, each run in order by one thread (a thread never runs single
 * items of the other's range); one item, or no pool: the calling thread,
 * in order. */
typedef struct run_log {
    pthread_t who[64];
    int seq[64];
    int next; /* atomic */
} run_log;

static void run_log_task(void *arg, size_t i)
{
    run_log *l = arg;
    l->who[i] = pthread_self();
    l->seq[i] = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
}

TEST(run_tasks_contiguous_ranges)
{
    pthreadpool_t pool = pthreadpool_create(2);
    ASSERT(pool != NULL);
    static const size_t ns[] = {2, 3, 37, 64};
    for (size_t c = 0; c < sizeof ns / sizeof ns[0]; c++) {
        const size_t n = ns[c], half = n / 2;
        for (int round = 0; round < 50; round++) {
            run_log l = {.next = 0};
            nn_run_tasks(pool, run_log_task, &l, n);
            ASSERT(l.next == (int)n);
            for (size_t i = 1; i < n; i++) {
                if (i == half)
                    continue; /* the second range may be another thread */
                ASSERT_MSG(pthread_equal(l.who[i], l.who[i - 1]),
                           "n %zu: item %zu on another thread than %zu", n, i,
                           i - 1);
                ASSERT_MSG(l.seq[i] > l.seq[i - 1],
                           "n %zu: item %zu ran before item %zu", n, i, i - 1);
            }
        }
    }
    run_log l = {.next = 0};
    nn_run_tasks(pool, run_log_task, &l, 1);
    ASSERT(l.next == 1 && pthread_equal(l.who[0], pthread_self()));
    pthreadpool_destroy(pool);
    l.next = 0;
    nn_run_tasks(NULL, run_log_task, &l, 5);
    for (size_t i = 0; i < 5; i++)
        ASSERT(pthread_equal(l.who[i], pthread_self()) && l.seq[i] == (int)i);
}

/* Halo rows: the rows a range reads outside its own part, for ranges at
 * the top, in the middle and at the bottom, with and without a window
 * reaching past the part. */
TEST(halo_rows_outside_own_part)
{
    int a[2], b[2];
    nn_halo_rows(0, 2, 16, 0, 10, a, b); /* own [0, 8) */
    ASSERT(a[0] == b[0] && a[1] == 8 && b[1] == 10);
    nn_halo_rows(1, 2, 16, 6, 16, a, b); /* own [8, 16) */
    ASSERT(a[0] == 6 && b[0] == 8 && a[1] == b[1]);
    nn_halo_rows(1, 3, 15, 3, 12, a, b); /* own [5, 10) */
    ASSERT(a[0] == 3 && b[0] == 5 && a[1] == 10 && b[1] == 12);
    nn_halo_rows(1, 3, 15, 5, 10, a, b); /* exactly its own rows */
    ASSERT(a[0] == b[0] && a[1] == b[1]);
    nn_halo_rows(0, 2, 64, 0, 33, a, b); /* stride 2 reading 1 row more */
    ASSERT(a[0] == b[0] && a[1] == 32 && b[1] == 33);
}

/* The probe between the first two pool threads: a round trip in
 * nanoseconds with two threads (retried: a probe gives up after about
 * 50 us if the other thread is descheduled), -1 without a second one. */
TEST(pool_round_trip_probe)
{
    ASSERT(nn_pool_round_trip_ns(NULL) < 0);
    pthreadpool_t one = pthreadpool_create(1);
    ASSERT(one != NULL);
    ASSERT(nn_pool_round_trip_ns(one) < 0);
    pthreadpool_destroy(one);
    pthreadpool_t two = pthreadpool_create(2);
    ASSERT(two != NULL);
    double rt = -1;
    for (int i = 0; i < 50 && rt <= 0; i++)
        rt = nn_pool_round_trip_ns(two);
    ASSERT_MSG(rt > 0 && rt < 1e6, "round trip %g ns", rt);
    /* many probes back to back, some of them with the second thread still
     * busy or asleep: each returns (a probe that gives up mid-way must not
     * leave the other waiting) */
    int ok = 0;
    for (int i = 0; i < 3000; i++)
        ok += nn_pool_round_trip_ns(two) > 0;
    ASSERT(ok > 0);
    pthreadpool_destroy(two);
    pthreadpool_t three = pthreadpool_create(3);
    ASSERT(three != NULL);
    for (int i = 0; i < 200; i++)
        (void)nn_pool_round_trip_ns(three);
    pthreadpool_destroy(three);
}

/* run_env with SPATIA_NN_HALO_RELEASE = mode (NULL: unset). */
static int run_halo(const char *json, int threads, const char *mode,
                    const float *x, float *y, size_t n, int runs,
                    spatia_nn_info *info)
{
    return run_env(json, threads, "SPATIA_NN_HALO_RELEASE", mode, x, y, n, runs,
                   info);
}

/* Halo release (SPATIA_NN_HALO_RELEASE=1: after every step whose ranges
 * read rows of another thread's part, those lines are flushed) changes no
 * value: a 5x5 depthwise, a 3x3 stride-2 one and a bilinear resize at 2
 * threads, bit for bit against =0 and against 1 thread. With =1 every
 * run releases and the window steps have tables (own kernels: all three;
 * XNNPACK: the two depthwise); with =0 none; unset at 2 threads the
 * runs probe (never more runs released than run). */
TEST(halo_release_keeps_values)
{
    enum { H = 24, W = 20, C = 40 };
    static float x[H * W * C], w1[5 * 5 * C], w2[3 * 3 * C];
    static float y[4][(2 * (H / 2)) * (2 * (W / 2)) * C];
    const size_t n = sizeof y[0] / sizeof y[0][0];
    int xs[4] = {1, H, W, C}, w1s[4] = {5, 5, C, 1}, w2s[4] = {3, 3, C, 1};
    int32_t size[2] = {2 * (H / 2), 2 * (W / 2)};
    char a[2][1024];
    tm_fill(x, sizeof x / 4, 900, -1, 1);
    tm_fill(w1, sizeof w1 / 4, 901, -1, 1);
    tm_fill(w2, sizeof w2 / 4, 902, -1, 1);
    tmodel m;
    tm_init(&m);
    tm_input(&m, "x", 4, xs);
    tm_const_f(&m, "w1", 4, w1s, w1);
    tm_const_f(&m, "w2", 4, w2s, w2);
    tm_vec_i(&m, "size", 2, size);
    tm_node(
        &m, "d1", "DepthwiseConv2dNative", "x,w1",
        conv_attrs(a[0], sizeof a[0], 1, 1, 1, 1, "SAME", NULL, NULL, NULL));
    tm_node(
        &m, "d2", "DepthwiseConv2dNative", "d1,w2",
        conv_attrs(a[1], sizeof a[1], 2, 2, 1, 1, "SAME", NULL, NULL, NULL));
    tm_node(&m, "y", "ResizeBilinear", "d2,size",
            "\"align_corners\":{\"b\":false},"
            "\"half_pixel_centers\":{\"b\":false}");
    tm_output(&m, "y");
    const char *json = tm_write(&m);
    ASSERT(json != NULL);
    spatia_nn_info info[4];
    ASSERT_OK(run_halo(json, 2, "1", x, y[0], n, 3, &info[0]));
    ASSERT_OK(run_halo(json, 2, "0", x, y[1], n, 3, &info[1]));
    ASSERT_OK(run_halo(json, 1, "1", x, y[2], n, 3, &info[2]));
    ASSERT_OK(run_halo(json, 2, NULL, x, y[3], n, 3, &info[3]));
    for (int k = 1; k < 4; k++)
        ASSERT_MSG(!memcmp(y[0], y[k], sizeof y[0]),
                   "release changed values (variant %d)", k);
    ASSERT_MSG(info[0].halo_steps == (have_avx512f() ? 3 : 2), "%d halo steps",
               info[0].halo_steps);
    ASSERT(info[0].runs == 3 && info[0].far_runs == 3);
    ASSERT(info[1].halo_steps == 0 && info[1].far_runs == 0);
    ASSERT(info[2].halo_steps == 0 && info[2].far_runs == 0);
    ASSERT(info[3].halo_steps == info[0].halo_steps);
    ASSERT(info[3].far_runs >= 0 && info[3].far_runs <= 3);
    tm_free(&m);
}

TEST_MAIN(T(conv2d_padding_strides_dilations), T(depthwise_multipliers),
          T(binary_broadcasting), T(integer_floor_ops_and_compare),
          T(unary_activations), T(hardswish_fusion),
          T(bias_activation_scale_fusion), T(maxpool_select_equal_topk),
          T(mean_axes), T(concat_reshape_slice), T(resize_bilinear_modes),
          T(pooling_and_pad), T(gather_and_cast), T(arena_reuse_residual),
          T(concat_views_with_activation), T(depthwise_pointwise_strips),
          T(depthwise_small_pointwise_fused), T(strip_sigmoid_fused),
          T(se_gate_folded_into_depthwise), T(se_gate_folded_into_pointwise),
          T(halo_rows_outside_own_part), T(pool_round_trip_probe),
          T(halo_release_keeps_values), T(depthwise_own_kernel),
          T(depthwise_own_kernel_direct), T(depthwise_into_concat_view),
          T(pointwise_depthwise_strips), T(topk_long_row),
          T(topk_long_row_chunks), T(peak_topk_smooth_field),
          T(strip_peak_topk), T(dwpw_inside_strips),
          T(strips_with_residual_add), T(expand_strips_with_tail),
          T(stem_conv_hardswish), T(resize_relu_fused),
          T(two_thread_arena_halves_and_mean), T(pointwise_own_kernel_direct),
          T(pointwise_own_kernel), T(pointwise_hardswish_epilogue),
          T(depthwise_hardswish_epilogue), T(pointwise_residual_epilogue),
          T(mean_summed_by_producers), T(run_tasks_contiguous_ranges))
