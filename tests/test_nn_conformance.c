/*
 * test_nn_conformance.c - the engine against TF.js's own results.
 *
 * scripts/make-reference.sh runs every model with the TF.js CPU backend on
 * real images and stores, per model and image, the exact input (input.f32)
 * and every output tensor (<name>.f32, float32 little-endian) with an
 * index.json. This test feeds the same input.f32 to spatia's engine and
 * compares every element of every output:
 *
 *     pass  iff  |ours - tfjs| <= 1e-3 + 1e-2 * |tfjs|
 *
 * It prints the largest absolute error and the largest error relative to
 * that bound per output, and needs at least 5 images per model. Skips with
 * a message when the models or the references are absent.
 */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/json.h"
#include "spatia/error.h"
#include "spatia/nn.h"
#include "test.h"

#define ATOL 1e-3
#define RTOL 1e-2

static const char *model_path(const char *name, char *buf, size_t len)
{
    const char *dir = getenv("SPATIA_MODELS_DIR");
    if (dir)
        snprintf(buf, len, "%s/%s.json", dir, name);
    else
        snprintf(buf, len, "%s/models/%s.json", SPATIA_SOURCE_DIR, name);
    return access(buf, R_OK) == 0 ? buf : NULL;
}

static float *read_f32(const char *path, size_t want_elems)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    float *p = malloc(want_elems * sizeof *p + 1);
    size_t n = p ? fread(p, sizeof *p, want_elems, f) : 0;
    int extra = fgetc(f) != EOF;
    fclose(f);
    if (n != want_elems || extra) {
        free(p);
        return NULL;
    }
    return p;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Compares one model on every reference image; returns images checked. */
static int check_model(const char *name, int portable)
{
    char mpath[1024], rdir[1024], path[2048];
    char err[1024];
    char *images[64];
    int nimg = 0, checked = 0;
    spatia_nn_model *m = NULL;
    spatia_nn_opts o;

    if (!model_path(name, mpath, sizeof mpath)) {
        fprintf(stderr,
                "SKIP: models/%s.json absent (scripts/fetch-models.sh)\n",
                name);
        return -1;
    }
    snprintf(rdir, sizeof rdir, "%s/.cache/tfjs-ref/%s", SPATIA_SOURCE_DIR,
             name);
    DIR *d = opendir(rdir);
    if (!d) {
        fprintf(stderr,
                "SKIP: no TF.js references in %s (scripts/make-reference.sh)\n",
                rdir);
        return -1;
    }
    struct dirent *e;
    while ((e = readdir(d)) && nimg < 64) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s/index.json", rdir, e->d_name);
        if (access(path, R_OK) == 0)
            images[nimg++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(images, (size_t)nimg, sizeof *images, cmp_name);

    spatia_nn_opts_default(&o);
    o.portable = portable;
    if (spatia_nn_model_load(mpath, &o, &m, err, sizeof err)) {
        fprintf(stderr, "load %s: %s\n", mpath, err);
        test_failed_ = 1;
        goto out;
    }
    for (int i = 0; i < nimg; i++) {
        json_doc *doc = NULL;
        json_error je;
        snprintf(path, sizeof path, "%s/%s/index.json", rdir, images[i]);
        if (json_parse_file(path, &doc, &je)) {
            fprintf(stderr, "%s: %s\n", path, je.msg);
            test_failed_ = 1;
            continue;
        }
        const json_value *root = json_root(doc);
        const json_value *in = json_get(root, "input");
        const json_value *outs = json_get(root, "outputs");
        const json_value *file = json_get(in, "file");
        spatia_nn_tensor t;
        spatia_nn_input(m, 0, &t);
        snprintf(path, sizeof path, "%s/%s/%s", rdir, images[i],
                 file && file->type == JSON_STRING ? file->str : "input.f32");
        float *x = read_f32(path, t.size / 4);
        if (!x || !outs || outs->type != JSON_ARRAY) {
            fprintf(stderr, "%s: unreadable input or index\n", path);
            test_failed_ = 1;
            free(x);
            json_doc_free(doc);
            continue;
        }
        memcpy(t.data, x, t.size);
        free(x);
        if (spatia_nn_run(m)) {
            fprintf(stderr, "%s/%s: run failed\n", name, images[i]);
            test_failed_ = 1;
            json_doc_free(doc);
            continue;
        }
        int image_ok = 1;
        for (const json_value *ov = outs->child; ov; ov = ov->next) {
            const json_value *on = json_get(ov, "name");
            const json_value *of = json_get(ov, "file");
            const json_value *extra = json_get(ov, "extra");
            if (extra && extra->type == JSON_BOOL && extra->boolean)
                continue;
            if (!on || on->type != JSON_STRING || !of ||
                of->type != JSON_STRING)
                continue;
            int oi = spatia_nn_output_find(m, on->str);
            spatia_nn_tensor y;
            if (oi < 0 || spatia_nn_output(m, oi, &y)) {
                fprintf(stderr, "%s/%s: no output '%s'\n", name, images[i],
                        on->str);
                image_ok = 0;
                continue;
            }
            /* shapes must agree */
            const json_value *sh = json_get(ov, "shape");
            int same = sh && sh->type == JSON_ARRAY && sh->count == y.rank;
            int k = 0;
            for (const json_value *dv = sh ? sh->child : NULL; same && dv;
                 dv = dv->next, k++)
                same = dv->type == JSON_NUMBER && (int)dv->number == y.dims[k];
            if (!same || y.dtype != SPATIA_NN_F32) {
                fprintf(stderr, "%s/%s: output '%s' has another shape/type\n",
                        name, images[i], on->str);
                image_ok = 0;
                continue;
            }
            size_t n = y.size / 4;
            snprintf(path, sizeof path, "%s/%s/%s", rdir, images[i], of->str);
            float *ref = read_f32(path, n);
            if (!ref) {
                fprintf(stderr, "%s: unreadable or wrong size\n", path);
                image_ok = 0;
                continue;
            }
            const float *a = y.data;
            double max_abs = 0, worst = 0;
            size_t bad = 0, at = 0;
            for (size_t j = 0; j < n; j++) {
                double diff = fabs((double)a[j] - ref[j]);
                double bound = ATOL + RTOL * fabs((double)ref[j]);
                if (!(diff <= max_abs))
                    max_abs = diff;
                if (!(diff / bound <= worst)) {
                    worst = diff / bound;
                    at = j;
                }
                if (!(diff <= bound))
                    bad++;
            }
            fprintf(stderr,
                    "%-9s %-15s %-18s max|d| %.3g  max d/bound %.3g%s\n", name,
                    images[i], on->str, max_abs, worst, bad ? "  FAIL" : "");
            if (bad) {
                fprintf(stderr,
                        "    %zu of %zu elements out of bound; worst at %zu: "
                        "%.9g vs tfjs %.9g\n",
                        bad, n, at, a[at], ref[at]);
                image_ok = 0;
            }
            free(ref);
        }
        json_doc_free(doc);
        if (!image_ok)
            test_failed_ = 1;
        checked++;
    }
out:
    spatia_nn_model_destroy(m);
    for (int i = 0; i < nimg; i++)
        free(images[i]);
    return checked;
}

static void conformance(const char *name, int portable)
{
    int n = check_model(name, portable);
    if (n < 0) {
        test_skipped_ = 1;
        return;
    }
    ASSERT_MSG(n >= 5, "%s: only %d reference images (need 5)", name, n);
}

TEST(centernet_xnnpack)
{
    conformance("centernet", 0);
}

TEST(blazeface_xnnpack)
{
    conformance("blazeface", 0);
}

/* The portable kernels are the reference path: they must conform too.
 * Skipped under the sanitizers, where they take minutes. */
TEST(centernet_portable)
{
    if (getenv("SPATIA_SANITIZED"))
        TEST_SKIP("portable centernet under sanitizers (slow)");
    conformance("centernet", 1);
}

TEST(blazeface_portable)
{
    conformance("blazeface", 1);
}

TEST_MAIN(T(centernet_xnnpack), T(blazeface_xnnpack), T(centernet_portable),
          T(blazeface_portable))
