/*
 * trackfile.c - MOT tracks as a tracker stand-in (see trackfile.h).
 */
#include "track/trackfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rand.h"
#include "spatia/error.h"
#include "spatia/eval.h"

struct trackfile {
    spatia_mot_seq seq;
    int *first;           /* rows of frame f: [first[f], first[f+1]) */
    spatia_track *tracks; /* one per distinct id, in order of appearance */
    int ntracks, cap;
    spatia_track *out; /* this frame's report */
    int nout;
    int64_t ttl_ms;
    uint64_t seed;
    float sx, sy;
};

int trackfile_open(const char *path, int64_t lost_ttl_ms, uint64_t seed,
                   float sx, float sy, trackfile **out, char *errbuf,
                   int errlen)
{
    trackfile *tf;
    int rc;
    if (!path || !out || lost_ttl_ms < 0)
        return SPATIA_EINVAL;
    tf = calloc(1, sizeof *tf);
    if (!tf)
        return SPATIA_NOMEM;
    tf->ttl_ms = lost_ttl_ms;
    tf->sx = sx;
    tf->sy = sy;
    tf->seed = id_seed(seed);
    if ((rc = spatia_mot_load(path, &tf->seq, errbuf, errlen)))
        goto fail;
    for (int i = 0; i < tf->seq.n; i++) {
        if (tf->seq.rows[i].id < 1) {
            if (errbuf)
                snprintf(errbuf, (size_t)errlen,
                         "%s: track ids must be >= 1 (frame %d has id %d)",
                         path, tf->seq.rows[i].frame, tf->seq.rows[i].id);
            rc = SPATIA_PARSE;
            goto fail;
        }
    }
    tf->first = spatia_mot_frame_index(&tf->seq);
    tf->cap = 64;
    tf->tracks = calloc((size_t)tf->cap, sizeof *tf->tracks);
    tf->out = calloc((size_t)tf->cap, sizeof *tf->out);
    if (!tf->first || !tf->tracks || !tf->out) {
        rc = SPATIA_NOMEM;
        goto fail;
    }
    *out = tf;
    return SPATIA_OK;
fail:
    trackfile_destroy(tf);
    return rc;
}

static spatia_track *find_or_add(trackfile *tf, int id)
{
    for (int i = 0; i < tf->ntracks; i++)
        if ((int)tf->tracks[i].num == id)
            return &tf->tracks[i];
    if (tf->ntracks == tf->cap) {
        int cap = tf->cap * 2;
        spatia_track *t = realloc(tf->tracks, (size_t)cap * sizeof *t);
        if (!t)
            return NULL;
        tf->tracks = t;
        t = realloc(tf->out, (size_t)cap * sizeof *t);
        if (!t)
            return NULL;
        tf->out = t;
        tf->cap = cap;
    }
    spatia_track *t = &tf->tracks[tf->ntracks++];
    memset(t, 0, sizeof *t);
    t->num = (uint32_t)id;
    id_hex(tf->seed, 1, (uint64_t)id, t->id);
    t->state = SPATIA_TRACK_REMOVED; /* not yet live */
    t->det_index = -1;
    return t;
}

int trackfile_update(trackfile *tf, int64_t frame_index, int64_t pts_ms,
                     const spatia_track **tracks, int *n)
{
    int64_t f = frame_index + 1;
    if (!tf || !tracks || !n)
        return SPATIA_EINVAL;
    /* Everything live becomes lost until its row shows up. */
    for (int i = 0; i < tf->ntracks; i++)
        if (tf->tracks[i].state == SPATIA_TRACK_CONFIRMED)
            tf->tracks[i].state = SPATIA_TRACK_LOST;
    if (f >= 1 && f <= tf->seq.max_frame) {
        for (int i = tf->first[f]; i < tf->first[f + 1]; i++) {
            const spatia_mot_row *r = &tf->seq.rows[i];
            if (r->conf == 0)
                continue;
            spatia_track *t = find_or_add(tf, r->id);
            if (!t)
                return SPATIA_NOMEM;
            if (t->state == SPATIA_TRACK_REMOVED) {
                t->hits = 0;
                t->first_pts_ms = pts_ms;
            }
            t->state = SPATIA_TRACK_CONFIRMED;
            spatia_mot_row_box(r, tf->sx, tf->sy, &t->box);
            t->score = 1.0f;
            t->det_index = i - tf->first[f];
            t->hits++;
            t->last_pts_ms = pts_ms;
            t->last_frame = frame_index;
        }
    }
    tf->nout = 0;
    for (int i = 0; i < tf->ntracks; i++) {
        spatia_track *t = &tf->tracks[i];
        if (t->state == SPATIA_TRACK_REMOVED)
            continue;
        if (t->state == SPATIA_TRACK_LOST &&
            pts_ms - t->last_pts_ms > tf->ttl_ms)
            t->state = SPATIA_TRACK_REMOVED; /* reported once */
        tf->out[tf->nout++] = *t;
    }
    *tracks = tf->out;
    *n = tf->nout;
    return SPATIA_OK;
}

void trackfile_destroy(trackfile *tf)
{
    if (!tf)
        return;
    spatia_mot_free(&tf->seq);
    free(tf->first);
    free(tf->tracks);
    free(tf->out);
    free(tf);
}
