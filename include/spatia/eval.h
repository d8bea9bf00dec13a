/*
 * spatia/eval.h - measuring spatia against ground truth.
 *
 * Tracking metrics follow TrackEval's definitions (Luiten et al.):
 * CLEAR-MOT (MOTA, MOTP, IDSW, FP, FN, Frag, MT/ML) and IDF1 at IoU 0.5,
 * and HOTA averaged over alpha = 0.05, 0.10, ..., 0.95. As in TrackEval's
 * MOT15 setting, ground-truth rows with conf == 0 are ignored.
 *
 * Event agreement compares two streams of schema-2.0 event JSON lines by
 * counts per zone/line, per event type and per direction/status.
 */
#ifndef SPATIA_EVAL_H
#define SPATIA_EVAL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One box of a MOT file (frame 1-based, id >= 0, box in px). */
typedef struct spatia_mot_row {
    int frame;
    int id;
    float x, y, w, h;
    float conf;
} spatia_mot_row;

/* A whole MOT sequence, rows sorted by frame. */
typedef struct spatia_mot_seq {
    spatia_mot_row *rows;
    int n, cap;
    int max_frame;
} spatia_mot_seq;

/* Loads a MOT text file into *seq (which the caller zero-initialises).
 * Returns SPATIA_OK, SPATIA_NOTFOUND, SPATIA_PARSE (errbuf names the line)
 * or SPATIA_NOMEM. */
int spatia_mot_load(const char *path, spatia_mot_seq *seq, char *errbuf,
                    int errlen);
int spatia_mot_add(spatia_mot_seq *seq, const spatia_mot_row *row);
/* Frees the rows; accepts a zeroed or NULL seq. */
void spatia_mot_free(spatia_mot_seq *seq);

typedef struct spatia_mot_metrics {
    /* CLEAR-MOT at IoU 0.5 */
    double mota, motp; /* percent */
    int64_t tp, fp, fn, idsw, frag;
    int mt, pt, ml;    /* mostly tracked / partly / mostly lost gt ids */
    int64_t num_gt_dets, num_tr_dets;
    int num_gt_ids, num_tr_ids;
    /* Identity at IoU 0.5 */
    double idf1, idp, idr; /* percent */
    int64_t idtp, idfp, idfn;
    /* HOTA, averaged over the 19 alphas */
    double hota, deta, assa, loca; /* percent */
} spatia_mot_metrics;

/* Scores `tr` against `gt`. Returns SPATIA_OK or SPATIA_NOMEM. */
int spatia_eval_mot(const spatia_mot_seq *gt, const spatia_mot_seq *tr,
                    spatia_mot_metrics *m);

#ifdef __cplusplus
}
#endif
#endif
