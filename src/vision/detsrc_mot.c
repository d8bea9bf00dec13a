/*
 * detsrc_mot.c - a detection source that replays a MOT-format file.
 *
 * Rows `frame,id,x,y,w,h,conf,...` (frame 1-based, pixels) are loaded once
 * and indexed by frame, so a detect call is a lookup and a copy. Ids are
 * ignored: this stands in for a detector, not a tracker. The conf column
 * becomes the score (clamped to 0..1), which is how ground-truth rows marked
 * conf 0 ("ignore") fall below every tracker threshold.
 */
#include <stdio.h>
#include <stdlib.h>

#include "spatia/detect.h"
#include "spatia/error.h"
#include "spatia/eval.h"

typedef struct mot_src {
    spatia_mot_seq seq;
    int *first; /* first row of frame f at first[f], f = 1..max_frame+1 */
    float sx, sy;
} mot_src;

static int mot_detect(void *self, const spatia_frame *frame,
                      spatia_detection *out, int cap, int *n)
{
    mot_src *m = self;
    int64_t f = frame->index + 1;
    int k = 0;
    if (f < 1 || f > m->seq.max_frame)
        return SPATIA_OK;
    for (int i = m->first[f]; i < m->first[f + 1] && k < cap; i++) {
        const spatia_mot_row *r = &m->seq.rows[i];
        spatia_detection *d = &out[k++];
        spatia_mot_row_box(r, m->sx, m->sy, &d->box);
        d->score = r->conf < 0 ? 0 : r->conf > 1 ? 1 : r->conf;
        d->cls = 0;
    }
    *n = k;
    return SPATIA_OK;
}

static void mot_destroy(void *self)
{
    mot_src *m = self;
    if (!m)
        return;
    spatia_mot_free(&m->seq);
    free(m->first);
    free(m);
}

static const spatia_detsrc_vtable mot_vt = {"mot-file", mot_detect,
                                            mot_destroy};

int spatia_detsrc_mot_create(const char *path, float sx, float sy,
                             spatia_detsrc **out, char *errbuf, int errlen)
{
    mot_src *m;
    int rc;

    if (!path || !out || !(sx > 0) || !(sy > 0))
        return SPATIA_EINVAL;
    m = calloc(1, sizeof *m);
    if (!m)
        return SPATIA_NOMEM;
    m->sx = sx;
    m->sy = sy;
    rc = spatia_mot_load_detections(path, &m->seq, errbuf, errlen);
    if (rc)
        goto fail;
    m->first = spatia_mot_frame_index(&m->seq);
    if (!m->first) {
        rc = SPATIA_NOMEM;
        goto fail;
    }
    return spatia_detsrc_wrap(&mot_vt, m, out);
fail:
    mot_destroy(m);
    return rc;
}
