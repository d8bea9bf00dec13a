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
#include <stdio.h>

#include "spatia/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One box of a MOT file (frame 1-based, any int id, box in px). The box is
 * kept in double so that IoUs match TrackEval's float64 arithmetic. */
typedef struct spatia_mot_row {
    int frame;
    int id;
    double x, y, w, h; /* left, top, width, height (px) */
    double conf;       /* gt: 0 marks an ignored row; tracker: score */
} spatia_mot_row;

/* A whole MOT sequence. spatia_mot_load() leaves the rows sorted by frame,
 * then id; rows added with spatia_mot_add() may come in any order
 * (spatia_eval_mot() does not rely on the order). */
typedef struct spatia_mot_seq {
    spatia_mot_row *rows;
    int n, cap;
    int max_frame; /* largest frame seen, 0 when empty */
} spatia_mot_seq;

/* Loads a MOT text file `frame,id,x,y,w,h,conf[,...]` into *seq (which the
 * caller zero-initialises; rows are appended). Columns are comma separated,
 * spaces around fields, CRLF line ends and blank lines are tolerated, extra
 * columns are ignored. Every row must have frame >= 1, integral frame and
 * id, finite numbers and w, h >= 0; an id may appear only once per frame
 * (TrackEval rejects such files too).
 * Returns SPATIA_OK, SPATIA_NOTFOUND, SPATIA_IO, SPATIA_PARSE (errbuf gets
 * "path:line: reason") or SPATIA_NOMEM; errbuf may be NULL. On error *seq
 * keeps the rows it had before the call. */
int spatia_mot_load(const char *path, spatia_mot_seq *seq, char *errbuf,
                    int errlen);
/* The same for detection files, whose ids (often -1) may repeat within a
 * frame. */
int spatia_mot_load_detections(const char *path, spatia_mot_seq *seq,
                               char *errbuf, int errlen);
/* Appends a copy of *row. Returns SPATIA_OK, SPATIA_EINVAL (frame < 1,
 * negative or non-finite box) or SPATIA_NOMEM. */
int spatia_mot_add(spatia_mot_seq *seq, const spatia_mot_row *row);
/* Frees the rows and zeroes *seq; accepts a zeroed or NULL seq. */
void spatia_mot_free(spatia_mot_seq *seq);

/* Row index of a frame-sorted sequence (as spatia_mot_load leaves it): a
 * new array of max_frame + 2 ints in which the rows of frame f
 * (1..max_frame) are [first[f], first[f + 1]). The caller frees it.
 * Returns NULL when out of memory. */
int *spatia_mot_frame_index(const spatia_mot_seq *seq);

/* The box of a row, (x, y)-(x + w, y + h), scaled by sx, sy (file pixels to
 * processed-frame pixels). */
void spatia_mot_row_box(const spatia_mot_row *r, float sx, float sy,
                        spatia_box *box);

#define SPATIA_HOTA_ALPHAS 19 /* alpha = 0.05 * (1 + i), i = 0..18 */

typedef struct spatia_mot_metrics {
    /* CLEAR-MOT at IoU 0.5 */
    double mota, motp; /* percent */
    int64_t tp, fp, fn, idsw, frag;
    int mt, pt, ml; /* mostly tracked (> 80 %) / partly / mostly lost
                       (< 20 % of its frames matched) gt ids */
    int64_t num_gt_dets, num_tr_dets; /* gt after removing conf == 0 rows */
    int num_gt_ids, num_tr_ids;
    /* Identity at IoU 0.5 */
    double idf1, idp, idr; /* percent */
    int64_t idtp, idfp, idfn;
    /* HOTA, averaged over the 19 alphas */
    double hota, deta, assa, loca; /* percent */
    /* HOTA per alpha (percent), index i is alpha = 0.05 * (i + 1) */
    double hota_alpha[SPATIA_HOTA_ALPHAS], deta_alpha[SPATIA_HOTA_ALPHAS];
    double assa_alpha[SPATIA_HOTA_ALPHAS], loca_alpha[SPATIA_HOTA_ALPHAS];
} spatia_mot_metrics;

/* Scores `tr` against `gt` (one sequence) and fills *m. Ground-truth rows
 * whose conf truncates to 0 are dropped first (TrackEval's MOT15
 * "zero_marked" rule); tracker rows are all kept.
 * Returns SPATIA_OK, SPATIA_EINVAL (NULL argument, or an id twice in one
 * frame of either sequence) or SPATIA_NOMEM. */
int spatia_eval_mot(const spatia_mot_seq *gt, const spatia_mot_seq *tr,
                    spatia_mot_metrics *m);

/* Loads both MOT files and scores them: the `spatia eval mot` command.
 * Returns what spatia_mot_load() or spatia_eval_mot() return; errbuf (may
 * be NULL) says which file and line failed. */
int spatia_eval_mot_files(const char *gt_path, const char *tr_path,
                          spatia_mot_metrics *m, char *errbuf, int errlen);

/* Prints the metrics as a small aligned table. */
void spatia_mot_metrics_print(FILE *f, const spatia_mot_metrics *m);

#ifdef __cplusplus
}
#endif
#endif
