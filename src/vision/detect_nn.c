/*
 * detect_nn.c - the neural detection source: frame -> model -> boxes.
 *
 * Pre-processing resizes the RGB24 frame straight into the model's float
 * input (resize.c: bilinear, half-pixel centres, tables built once per
 * frame size). Post-processing reads the
 * model's [1,N,6] detections (CenterNet decodes peaks and boxes inside the
 * graph), keeps the wanted classes above the score threshold, runs greedy
 * per-class NMS and maps boxes back to frame pixels.
 */
#include <limits.h>
#include <math.h>
#include <pthreadpool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn/nn_internal.h"
#include "spatia/detect.h"
#include "spatia/error.h"
#include "vision/detector.h"
#include "vision/resize.h"

typedef struct detnn {
    spatia_nn_model *m;
    spatia_detnn_opts o;
    float *in;        /* model input [1,ih,iw,3] */
    int iw, ih;       /* model input size, px */
    const float *det; /* [N,6] detections output */
    int ndet;
    vision_resizer rs;  /* frame -> input tables */
    pthreadpool_t pool; /* the model's pool (not owned), or NULL */
    /* post-processing scratch, ndet entries each */
    spatia_detection *cand;
    int *order;
    char *dead;
} detnn;

void spatia_detnn_opts_default(spatia_detnn_opts *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->score = 0.3f;
    o->iou = 0.5f;
    o->in_scale = 1.0f;
    o->in_offset = 0.0f;
}

static void detnn_free(void *self)
{
    detnn *d = self;
    if (!d)
        return;
    spatia_nn_model_destroy(d->m);
    vision_resizer_free(&d->rs);
    free(d->cand);
    free(d->order);
    free(d->dead);
    free(d);
}

static float iou(const spatia_box *a, const spatia_box *b)
{
    float ix = fminf(a->x2, b->x2) - fmaxf(a->x1, b->x1);
    float iy = fminf(a->y2, b->y2) - fmaxf(a->y1, b->y1);
    if (ix <= 0 || iy <= 0)
        return 0.0f;
    float inter = ix * iy;
    float ua = (a->x2 - a->x1) * (a->y2 - a->y1) +
               (b->x2 - b->x1) * (b->y2 - b->y1) - inter;
    return ua > 0 ? inter / ua : 0.0f;
}

static float clampf(float v, float lo, float hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

static int detnn_detect(void *self, const spatia_frame *f,
                        spatia_detection *out, int cap, int *n)
{
    detnn *d = self;
    int rc, nc = 0;

    if (f->fmt != SPATIA_PIXFMT_RGB24 || !f->data || f->width <= 0 ||
        f->height <= 0 || f->width > INT_MAX / 3 || f->stride < 3 * f->width)
        return SPATIA_EINVAL;
    vision_resize_rgb24(&d->rs, f->data, f->width, f->height, f->stride, d->in,
                        d->o.in_scale, d->o.in_offset, d->pool);
    if ((rc = spatia_nn_run(d->m)))
        return rc;

    /* candidates in frame pixels */
    const float sx = (float)f->width / (float)d->iw;
    const float sy = (float)f->height / (float)d->ih;
    for (int i = 0; i < d->ndet; i++) {
        const float *r = d->det + 6 * (size_t)i;
        float score = r[4], cls = r[5];
        if (!(score >= d->o.score) || !isfinite(cls) || cls < 0 || cls > 1e6f)
            continue;
        int c = (int)lrintf(cls);
        if (!d->o.all_classes && c != 0)
            continue;
        if (!isfinite(r[0]) || !isfinite(r[1]) || !isfinite(r[2]) ||
            !isfinite(r[3]))
            continue;
        spatia_detection *e = &d->cand[nc];
        e->box.x1 = clampf(r[0] * sx, 0, (float)f->width);
        e->box.y1 = clampf(r[1] * sy, 0, (float)f->height);
        e->box.x2 = clampf(r[2] * sx, 0, (float)f->width);
        e->box.y2 = clampf(r[3] * sy, 0, (float)f->height);
        if (e->box.x2 <= e->box.x1 || e->box.y2 <= e->box.y1)
            continue;
        e->score = score;
        e->cls = c;
        d->order[nc] = nc;
        d->dead[nc] = 0;
        nc++;
    }
    /* by score, descending (stable: insertion sort of <= N entries) */
    for (int i = 1; i < nc; i++) {
        int v = d->order[i], j = i;
        while (j > 0 && d->cand[d->order[j - 1]].score < d->cand[v].score) {
            d->order[j] = d->order[j - 1];
            j--;
        }
        d->order[j] = v;
    }
    /* greedy NMS per class */
    int kept = 0;
    for (int i = 0; i < nc; i++) {
        const spatia_detection *a = &d->cand[d->order[i]];
        if (d->dead[d->order[i]])
            continue;
        if (kept < cap)
            out[kept] = *a;
        kept++;
        for (int j = i + 1; j < nc; j++) {
            const spatia_detection *b = &d->cand[d->order[j]];
            if (!d->dead[d->order[j]] && b->cls == a->cls &&
                iou(&a->box, &b->box) > d->o.iou)
                d->dead[d->order[j]] = 1;
        }
    }
    *n = kept < cap ? kept : cap;
    return SPATIA_OK;
}

static const spatia_detsrc_vtable detnn_vt = {"nn", detnn_detect, detnn_free};

int spatia_detsrc_nn_create(const char *model_json, const spatia_nn_opts *nn,
                            const spatia_detnn_opts *det, spatia_detsrc **out,
                            char *errbuf, int errlen)
{
    detnn *d;
    int rc;

    if (errbuf && errlen > 0)
        errbuf[0] = 0;
    if (!model_json || !out)
        return SPATIA_EINVAL;
    *out = NULL;
    d = calloc(1, sizeof *d);
    if (!d)
        return SPATIA_NOMEM;
    spatia_detnn_opts_default(&d->o);
    if (det)
        d->o = *det;
    if (!(d->o.score >= 0 && d->o.score <= 1) ||
        !(d->o.iou >= 0 && d->o.iou <= 1) || !isfinite(d->o.in_scale) ||
        !isfinite(d->o.in_offset)) {
        snprintf(errbuf, (size_t)errlen,
                 "detector: score and iou must be within 0..1");
        rc = SPATIA_EINVAL;
        goto fail;
    }
    rc = spatia_nn_model_load(model_json, nn, &d->m, errbuf, errlen);
    if (rc)
        goto fail;
    spatia_nn_tensor in, o;
    rc = spatia_nn_input(d->m, 0, &in);
    if (rc || spatia_nn_input_count(d->m) != 1 || in.dtype != SPATIA_NN_F32 ||
        in.rank != 4 || in.dims[0] != 1 || in.dims[3] != 3 || in.dims[1] < 1 ||
        in.dims[2] < 1) {
        snprintf(errbuf, (size_t)errlen,
                 "%s: a detector needs one float32 [1,H,W,3] input",
                 model_json);
        rc = SPATIA_MODEL;
        goto fail;
    }
    d->in = in.data;
    d->ih = in.dims[1];
    d->iw = in.dims[2];
    if ((rc = vision_resizer_init(&d->rs, d->iw, d->ih)))
        goto fail;
    d->pool = nn_model_threadpool(d->m);
    int found = -1;
    for (int i = 0; i < spatia_nn_output_count(d->m) && found < 0; i++) {
        if (spatia_nn_output(d->m, i, &o) == SPATIA_OK &&
            o.dtype == SPATIA_NN_F32 && o.rank == 3 && o.dims[0] == 1 &&
            o.dims[2] == 6)
            found = i;
    }
    if (found < 0) {
        snprintf(errbuf, (size_t)errlen,
                 "%s: a detector needs a float32 [1,N,6] output "
                 "(x1,y1,x2,y2,score,class)",
                 model_json);
        rc = SPATIA_MODEL;
        goto fail;
    }
    d->det = o.data;
    d->ndet = o.dims[1];
    size_t nd = (size_t)d->ndet + 1;
    d->cand = calloc(nd, sizeof *d->cand);
    d->order = calloc(nd, sizeof *d->order);
    d->dead = calloc(nd, 1);
    if (!d->cand || !d->order || !d->dead) {
        rc = SPATIA_NOMEM;
        goto fail;
    }
    return spatia_detsrc_wrap(&detnn_vt, d, out);
fail:
    detnn_free(d);
    return rc;
}

int spatia_model_path(const char *name_or_path, char *buf, int len)
{
    const char *name = name_or_path ? name_or_path : "centernet";
    size_t nl = strlen(name);
    char first[4096] = "";

    if (!buf || len <= 0 || !*name)
        return SPATIA_EINVAL;
    if (strchr(name, '/') || (nl > 5 && !strcmp(name + nl - 5, ".json"))) {
        if (snprintf(buf, (size_t)len, "%s", name) >= len)
            return SPATIA_EINVAL;
        return access(buf, R_OK) == 0 ? SPATIA_OK : SPATIA_NOTFOUND;
    }
    const char *dirs[3] = {getenv("SPATIA_MODELS_DIR"), NULL, NULL};
#ifdef SPATIA_REPO_MODELS_DIR
    dirs[1] = SPATIA_REPO_MODELS_DIR;
#endif
    char exe_models[4096];
    ssize_t el = readlink("/proc/self/exe", exe_models, sizeof exe_models - 1);
    if (el > 0) {
        exe_models[el] = 0;
        char *s = strrchr(exe_models, '/');
        if (s) {
            *s = 0;
            s = strrchr(exe_models, '/');
            if (s && (size_t)(s - exe_models) + 8 < sizeof exe_models) {
                strcpy(s, "/models");
                dirs[2] = exe_models;
            }
        }
    }
    for (int i = 0; i < 3; i++) {
        if (!dirs[i] || !*dirs[i])
            continue;
        if (snprintf(buf, (size_t)len, "%s/%s.json", dirs[i], name) >= len)
            continue;
        if (!first[0])
            snprintf(first, sizeof first, "%s", buf);
        if (access(buf, R_OK) == 0)
            return SPATIA_OK;
    }
    snprintf(buf, (size_t)len, "%s", first[0] ? first : name);
    return SPATIA_NOTFOUND;
}
