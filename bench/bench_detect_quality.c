/*
 * bench_detect_quality.c - people-detection quality on PETS09-S2L1 (not a
 * test).
 *
 * Runs the neural detector on every frame of vtest.avi (frame i is ground-
 * truth frame i+1) and scores it against MOT15's gt.txt at IoU >= 0.5,
 * ground-truth rows with conf 0 dropped. Matching is VOC's: detections in
 * order of decreasing score; each takes the ground-truth box of its frame
 * with the highest IoU and is a true positive when that IoU >= 0.5 and the
 * box is not taken yet, else a false positive. AP is the area under the
 * precision/recall curve with all-point interpolation (VOC 2010+), over all
 * detections down to --min-score; precision and recall are also given at
 * the operating threshold --score.
 *
 * Usage: bench_detect_quality [--model PATH] [--video PATH] [--gt PATH]
 *            [--score 0.3] [--min-score 0.05] [--iou 0.5] [--threads N]
 *            [--frames N]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "spatia/detect.h"
#include "spatia/error.h"
#include "spatia/eval.h"
#include "spatia/media.h"

typedef struct det_rec {
    int frame; /* 1-based gt frame */
    float score;
    spatia_box box;
    int tp;
} det_rec;

static int cmp_score(const void *a, const void *b)
{
    const det_rec *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return x->frame - y->frame;
}

static double iou(const spatia_box *a, const spatia_mot_row *g)
{
    double ix = fmin(a->x2, g->x + g->w) - fmax(a->x1, g->x);
    double iy = fmin(a->y2, g->y + g->h) - fmax(a->y1, g->y);
    if (ix <= 0 || iy <= 0)
        return 0;
    double in = ix * iy;
    return in / ((double)(a->x2 - a->x1) * (a->y2 - a->y1) + g->w * g->h - in);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    char model[4096], err[1024];
    const char *model_arg = NULL;
    const char *video = SPATIA_SOURCE_DIR "/.cache/vtest.avi";
    const char *gtp =
        SPATIA_SOURCE_DIR "/../shared/datasets/mot15/PETS09-S2L1/gt/gt.txt";
    double op_score = 0.3, min_score = 0.05, nms_iou = 0.5;
    int threads = 0, max_frames = 0;

    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc) {
            fprintf(stderr, "missing value for %s\n", argv[i]);
            return 2;
        }
        if (!strcmp(argv[i], "--model"))
            model_arg = argv[++i];
        else if (!strcmp(argv[i], "--video"))
            video = argv[++i];
        else if (!strcmp(argv[i], "--gt"))
            gtp = argv[++i];
        else if (!strcmp(argv[i], "--score"))
            op_score = atof(argv[++i]);
        else if (!strcmp(argv[i], "--min-score"))
            min_score = atof(argv[++i]);
        else if (!strcmp(argv[i], "--iou"))
            nms_iou = atof(argv[++i]);
        else if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--frames"))
            max_frames = atoi(argv[++i]);
        else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (spatia_model_path(model_arg, model, sizeof model)) {
        fprintf(stderr, "model %s not found\n", model);
        return 1;
    }
    spatia_mot_seq gt = {0};
    if (spatia_mot_load(gtp, &gt, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    spatia_nn_opts no;
    spatia_detnn_opts dopt;
    spatia_nn_opts_default(&no);
    no.threads = threads;
    spatia_detnn_opts_default(&dopt);
    dopt.score = (float)min_score;
    dopt.iou = (float)nms_iou;
    spatia_detsrc *src = NULL;
    spatia_media *media = NULL;
    if (spatia_detsrc_nn_create(model, &no, &dopt, &src, err, sizeof err) ||
        spatia_media_open(video, NULL, &media, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }

    size_t cap = 1 << 16, nd = 0;
    det_rec *dets = malloc(cap * sizeof *dets);
    spatia_detection buf[256];
    int frames = 0;
    double t_det = 0;
    spatia_frame f;
    while ((!max_frames || frames < max_frames) &&
           spatia_media_read(media, &f) == SPATIA_OK) {
        int n = 0;
        double t0 = now_s();
        if (spatia_detsrc_detect(src, &f, buf, 256, &n)) {
            fprintf(stderr, "detect failed at frame %d\n", frames);
            return 1;
        }
        t_det += now_s() - t0;
        for (int i = 0; i < n; i++) {
            if (nd == cap) {
                cap *= 2;
                dets = realloc(dets, cap * sizeof *dets);
            }
            dets[nd].frame = (int)f.index + 1;
            dets[nd].score = buf[i].score;
            dets[nd].box = buf[i].box;
            dets[nd].tp = 0;
            nd++;
        }
        frames++;
    }

    /* ground truth per frame (conf 0 dropped) */
    int nf = gt.max_frame + 2;
    int *first = calloc((size_t)nf + 1, sizeof *first);
    int *cnt = calloc((size_t)nf + 1, sizeof *cnt);
    spatia_mot_row *rows = malloc(((size_t)gt.n + 1) * sizeof *rows);
    char *taken = calloc((size_t)gt.n + 1, 1);
    int ngt = 0;
    for (int fr = 1; fr <= gt.max_frame; fr++) {
        first[fr] = ngt;
        for (int i = 0; i < gt.n; i++)
            if (gt.rows[i].frame == fr && gt.rows[i].conf != 0 && fr <= frames)
                rows[ngt++] = gt.rows[i];
        cnt[fr] = ngt - first[fr];
    }

    qsort(dets, nd, sizeof *dets, cmp_score);
    for (size_t i = 0; i < nd; i++) {
        int fr = dets[i].frame, best = -1;
        double bi = 0;
        if (fr > gt.max_frame)
            continue;
        for (int j = first[fr]; j < first[fr] + cnt[fr]; j++) {
            double v = iou(&dets[i].box, &rows[j]);
            if (v > bi) {
                bi = v;
                best = j;
            }
        }
        if (best >= 0 && bi >= 0.5 && !taken[best]) {
            taken[best] = 1;
            dets[i].tp = 1;
        }
    }
    /* precision/recall curve, all-point interpolated AP */
    double *prec = malloc((nd + 2) * sizeof *prec);
    double *rec = malloc((nd + 2) * sizeof *rec);
    int tp = 0, fp = 0, op_tp = 0, op_fp = 0;
    for (size_t i = 0; i < nd; i++) {
        tp += dets[i].tp;
        fp += !dets[i].tp;
        if (dets[i].score >= op_score) {
            op_tp = tp;
            op_fp = fp;
        }
        prec[i + 1] = (double)tp / (tp + fp);
        rec[i + 1] = ngt ? (double)tp / ngt : 0;
    }
    prec[0] = 0;
    rec[0] = 0;
    prec[nd + 1] = 0;
    rec[nd + 1] = rec[nd];
    for (size_t i = nd + 1; i-- > 0;)
        if (prec[i] < prec[i + 1])
            prec[i] = prec[i + 1];
    double ap = 0;
    for (size_t i = 1; i <= nd; i++)
        ap += (rec[i] - rec[i - 1]) * prec[i];

    printf("model %s, %d frames of %s, %d ground-truth people\n", model, frames,
           video, ngt);
    printf("detections >= %.2f: %d  TP %d  FP %d  precision %.4f  recall "
           "%.4f\n",
           op_score, op_tp + op_fp, op_tp, op_fp,
           op_tp + op_fp ? (double)op_tp / (op_tp + op_fp) : 0.0,
           ngt ? (double)op_tp / ngt : 0.0);
    printf("AP@0.5 (all-point, detections >= %.2f): %.4f  (max recall "
           "%.4f)\n",
           min_score, ap, nd ? rec[nd] : 0.0);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("detector time: %.2f ms/frame (resize + inference + NMS), "
           "peak RSS %.1f MB\n",
           frames ? 1e3 * t_det / frames : 0.0, ru.ru_maxrss / 1024.0);
    free(prec);
    free(rec);
    free(first);
    free(cnt);
    free(rows);
    free(taken);
    free(dets);
    spatia_mot_free(&gt);
    spatia_media_destroy(media);
    spatia_detsrc_destroy(src);
    return 0;
}
