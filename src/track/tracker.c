/*
 * tracker.c - BYTE association (Zhang et al., "ByteTrack", ECCV 2022) on a
 * constant-velocity Kalman filter (track/kf.h).
 *
 * Each update:
 *   0. forget the tracks reported REMOVED by the previous update;
 *   1. predict every track one step per elapsed frame; lost tracks have
 *      their size velocities zeroed first so an unobserved box does not
 *      keep growing or shrinking;
 *   2. split the boxes: high (score >= high_thresh), low (low_thresh <=
 *      score < high_thresh); the rest are ignored;
 *   3. first pass: confirmed tracks (matched or lost) vs high boxes, cost
 *      1 - IoU of the prediction and the box, pairs with IoU < match_iou
 *      forbidden, Hungarian assignment (core/lsa.h);
 *   4. second pass: confirmed tracks that were matched in the previous
 *      frame and are still unmatched vs low boxes, IoU >= low_match_iou;
 *   5. third pass: tentative tracks vs the high boxes left over, IoU >=
 *      match_iou; a tentative track without a match vanishes;
 *   6. high boxes still unmatched with score >= new_track_thresh start
 *      tentative tracks;
 *   7. matched tracks take the box into the filter; a tentative track with
 *      min_hits matches is confirmed and numbered; confirmed tracks without
 *      a match become LOST, and lost ones whose last match is older than
 *      lost_ttl_ms (pts) are reported REMOVED once.
 *
 * Memory: tracks, the output array, the cost matrix and the index lists grow
 * geometrically and are reused; a frame allocates only when it needs more
 * than any frame before it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/lsa.h"
#include "core/rand.h"
#include "spatia/error.h"
#include "spatia/track.h"
#include "track/kf.h"

/* Pairs cheaper than this are allowed; forbidden pairs cost FORBID. Costs
 * of allowed pairs are 1 - IoU in [0, 1]. */
#define FORBID 1e6

/* More frames than this between two updates are treated as this many for
 * the prediction (the track is lost long before anyway). */
#define MAX_PREDICT_STEPS 64

enum trk_phase { PH_TENTATIVE, PH_TRACKED, PH_LOST, PH_REMOVED };

typedef struct trk {
    kf_state kf;
    spatia_track pub; /* public view, copied out each update */
    enum trk_phase phase;
    int matched;     /* det index matched in this update, -1 if none */
    int was_tracked; /* matched in the previous update */
} trk;

struct spatia_tracker {
    spatia_tracker_params p;
    kf_noise noise;
    uint64_t seed_mix; /* id_seed() of the id seed */
    uint32_t next_num; /* last num handed out */
    int started;
    int64_t last_frame;

    trk *trk;
    int ntrk, trk_cap;
    spatia_track *out;
    int out_cap;

    /* per-frame scratch */
    double *cost;
    long cost_cap;
    int *rows, *cols, *r2c, *c2r; /* track and box index lists */
    int *det_used;
    int icap; /* capacity of each of the five int arrays */
    lsa_work lsa;
};

/* ---- parameters --------------------------------------------------------- */

void spatia_tracker_params_default(spatia_tracker_params *p)
{
    if (!p)
        return;
    memset(p, 0, sizeof *p);
    p->high_thresh = 0.5f;
    p->low_thresh = 0.1f;
    p->new_track_thresh = 0.6f;
    p->match_iou = 0.2f;
    p->low_match_iou = 0.5f;
    p->min_hits = 3;
    p->lost_ttl_ms = 4000;
    p->id_seed = 0;
    p->std_pos = 1.0f / 20;
    p->std_vel = 1.0f / 40;
    p->std_meas = 1.0f / 20;
    p->coast_frames = 0;
}

static int in01(float v)
{
    return v >= 0.0f && v <= 1.0f; /* false for NaN */
}

static int params_valid(const spatia_tracker_params *p)
{
    return in01(p->low_thresh) && in01(p->high_thresh) &&
           p->low_thresh <= p->high_thresh && in01(p->new_track_thresh) &&
           p->match_iou > 0.0f && p->match_iou <= 1.0f &&
           p->low_match_iou > 0.0f && p->low_match_iou <= 1.0f &&
           p->min_hits >= 1 && p->lost_ttl_ms >= 0 && p->std_pos > 0.0f &&
           p->std_vel > 0.0f && p->std_meas > 0.0f && isfinite(p->std_pos) &&
           isfinite(p->std_vel) && isfinite(p->std_meas) &&
           p->coast_frames >= 0;
}

int spatia_tracker_create(const spatia_tracker_params *p, spatia_tracker **out)
{
    spatia_tracker *t;

    if (!out)
        return SPATIA_EINVAL;
    *out = NULL;
    if (!p || !params_valid(p))
        return SPATIA_EINVAL;
    t = calloc(1, sizeof *t);
    if (!t)
        return SPATIA_NOMEM;
    t->p = *p;
    t->noise.pos = p->std_pos;
    t->noise.vel = p->std_vel;
    t->noise.meas = p->std_meas;
    t->seed_mix = id_seed(p->id_seed);
    *out = t;
    return SPATIA_OK;
}

void spatia_tracker_destroy(spatia_tracker *t)
{
    if (!t)
        return;
    free(t->trk);
    free(t->out);
    free(t->cost);
    free(t->rows);
    free(t->cols);
    free(t->r2c);
    free(t->c2r);
    free(t->det_used);
    lsa_work_free(&t->lsa);
    free(t);
}

/* ---- memory ------------------------------------------------------------- */

static int grow(void **buf, int *cap, int need, size_t elem)
{
    if (need <= *cap)
        return SPATIA_OK;
    int nc = *cap ? *cap : 16;
    while (nc < need) {
        if (nc > (1 << 28))
            return SPATIA_NOMEM;
        nc *= 2;
    }
    void *b = realloc(*buf, (size_t)nc * elem);
    if (!b)
        return SPATIA_NOMEM;
    *buf = b;
    *cap = nc;
    return SPATIA_OK;
}

/* Reserves room for `ntrk` tracks (and as many reported ones), `ndet`
 * boxes and an ntrk x ndet cost matrix. Capacities only grow, by
 * doubling, so a steady scene stops allocating. */
static int reserve(spatia_tracker *t, int ntrk, int ndet)
{
    int rc, cap, n = ntrk > ndet ? ntrk : ndet;

    if (n < 1)
        n = 1;

    cap = t->trk_cap;
    if ((rc = grow((void **)&t->trk, &cap, ntrk, sizeof *t->trk)))
        return rc;
    t->trk_cap = cap;
    cap = t->out_cap;
    if ((rc = grow((void **)&t->out, &cap, ntrk, sizeof *t->out)))
        return rc;
    t->out_cap = cap;
    if (n > t->icap) {
        int **p[5] = {&t->rows, &t->cols, &t->r2c, &t->c2r, &t->det_used};
        int nc = t->icap ? t->icap : 16;
        while (nc < n)
            nc *= 2;
        /* A failed realloc leaves its buffer as it was; icap only moves
         * once all five have the new size. */
        for (int i = 0; i < 5; i++) {
            int *b = realloc(*p[i], (size_t)nc * sizeof *b);
            if (!b)
                return SPATIA_NOMEM;
            *p[i] = b;
        }
        t->icap = nc;
    }
    /* Sized by the two capacities, not by this frame's product, so the
     * matrix grows only when one of them does. */
    long need = (long)t->trk_cap * t->icap;
    if (need > t->cost_cap) {
        double *c = realloc(t->cost, (size_t)need * sizeof *c);
        if (!c)
            return SPATIA_NOMEM;
        t->cost = c;
        t->cost_cap = need;
    }
    return SPATIA_OK;
}

/* ---- geometry ----------------------------------------------------------- */

static void box_to_z(const spatia_box *b, double z[4])
{
    z[0] = 0.5 * ((double)b->x1 + b->x2);
    z[1] = 0.5 * ((double)b->y1 + b->y2);
    z[2] = (double)b->x2 - b->x1;
    z[3] = (double)b->y2 - b->y1;
}

static spatia_box state_box(const kf_state *s)
{
    double w = s->x[2] > 1 ? s->x[2] : 1, h = s->x[3] > 1 ? s->x[3] : 1;
    spatia_box b;
    b.x1 = (float)(s->x[0] - 0.5 * w);
    b.y1 = (float)(s->x[1] - 0.5 * h);
    b.x2 = (float)(s->x[0] + 0.5 * w);
    b.y2 = (float)(s->x[1] + 0.5 * h);
    return b;
}

static double iou(const spatia_box *a, const spatia_box *b)
{
    double iw = fmin(a->x2, b->x2) - fmax(a->x1, b->x1);
    double ih = fmin(a->y2, b->y2) - fmax(a->y1, b->y1);
    if (!(iw > 0) || !(ih > 0))
        return 0;
    double inter = iw * ih;
    double ua = ((double)a->x2 - a->x1) * ((double)a->y2 - a->y1) +
                ((double)b->x2 - b->x1) * ((double)b->y2 - b->y1) - inter;
    return ua > 0 ? inter / ua : 0;
}

static int det_ok(const spatia_detection *d)
{
    return isfinite(d->box.x1) && isfinite(d->box.y1) && isfinite(d->box.x2) &&
           isfinite(d->box.y2) && isfinite(d->score);
}

/* ---- association -------------------------------------------------------- */

/* Assigns tracks rows[0..nr) to boxes cols[0..nc) by 1 - IoU with IoU >=
 * gate, and records matches in trk[].matched and det_used[]. */
static int associate(spatia_tracker *t, const spatia_detection *dets, int nr,
                     int nc, double gate)
{
    int rc;

    if (nr == 0 || nc == 0)
        return SPATIA_OK;
    for (int i = 0; i < nr; i++) {
        spatia_box pb = state_box(&t->trk[t->rows[i]].kf);
        for (int j = 0; j < nc; j++) {
            double v = iou(&pb, &dets[t->cols[j]].box);
            t->cost[(long)i * nc + j] = v >= gate ? 1.0 - v : FORBID;
        }
    }
    rc = lsa_solve(&t->lsa, t->cost, nr, nc, t->r2c, t->c2r);
    if (rc)
        return rc;
    for (int i = 0; i < nr; i++) {
        int j = t->r2c[i];
        if (j < 0 || t->cost[(long)i * nc + j] >= FORBID)
            continue;
        t->trk[t->rows[i]].matched = t->cols[j];
        t->det_used[t->cols[j]] = 1;
    }
    return SPATIA_OK;
}

static int is_high(const spatia_tracker *t, const spatia_detection *d)
{
    return det_ok(d) && d->score >= t->p.high_thresh;
}

static int is_low(const spatia_tracker *t, const spatia_detection *d)
{
    return det_ok(d) && d->score >= t->p.low_thresh &&
           d->score < t->p.high_thresh;
}

/* Collects the unused boxes selected by `pick` into cols; returns count. */
static int gather_dets(spatia_tracker *t, const spatia_detection *dets, int n,
                       int (*pick)(const spatia_tracker *,
                                   const spatia_detection *))
{
    int nc = 0;
    for (int j = 0; j < n; j++)
        if (!t->det_used[j] && pick(t, &dets[j]))
            t->cols[nc++] = j;
    return nc;
}

/* ---- update ------------------------------------------------------------- */

static void apply_match(spatia_tracker *t, trk *k, const spatia_detection *d,
                        int j, int64_t frame_index, int64_t pts_ms)
{
    double z[4];

    box_to_z(&d->box, z);
    kf_update(&k->kf, &t->noise, z);
    k->pub.box = d->box;
    k->pub.score = d->score;
    k->pub.det_index = j;
    k->pub.hits++;
    k->pub.last_pts_ms = pts_ms;
    k->pub.last_frame = frame_index;
    k->pub.missed = 0;
    k->pub.coasting = 0;
}

int spatia_tracker_update(spatia_tracker *t, const spatia_detection *dets,
                          int n, int64_t frame_index, int64_t pts_ms,
                          const spatia_track **tracks, int *ntracks)
{
    int rc, nr, nc, nlive = 0, steps = 1;

    if (!t || n < 0 || (n > 0 && !dets) || !tracks || !ntracks)
        return SPATIA_EINVAL;
    *tracks = NULL;
    *ntracks = 0;

    /* 0. forget what the previous update reported as removed */
    for (int i = 0; i < t->ntrk; i++)
        if (t->trk[i].phase != PH_REMOVED)
            t->trk[nlive++] = t->trk[i];
    t->ntrk = nlive;

    if ((rc = reserve(t, t->ntrk + n, n)))
        return rc;

    if (t->started && frame_index > t->last_frame)
        steps = frame_index - t->last_frame > MAX_PREDICT_STEPS
                    ? MAX_PREDICT_STEPS
                    : (int)(frame_index - t->last_frame);
    t->started = 1;
    t->last_frame = frame_index;

    /* 1. predict */
    for (int i = 0; i < t->ntrk; i++) {
        trk *k = &t->trk[i];
        k->was_tracked = k->phase == PH_TRACKED;
        k->matched = -1;
        if (k->phase == PH_LOST)
            k->kf.x[6] = k->kf.x[7] = 0;
        for (int s = 0; s < steps; s++)
            kf_predict(&k->kf, &t->noise);
    }
    for (int j = 0; j < n; j++)
        t->det_used[j] = 0;

    /* 3. first pass: confirmed (tracked + lost) vs high boxes */
    nr = 0;
    for (int i = 0; i < t->ntrk; i++)
        if (t->trk[i].phase == PH_TRACKED || t->trk[i].phase == PH_LOST)
            t->rows[nr++] = i;
    nc = gather_dets(t, dets, n, is_high);
    if ((rc = associate(t, dets, nr, nc, t->p.match_iou)))
        return rc;

    /* 4. second pass: still-unmatched tracks matched last frame vs low */
    nr = 0;
    for (int i = 0; i < t->ntrk; i++)
        if (t->trk[i].was_tracked && t->trk[i].matched < 0)
            t->rows[nr++] = i;
    nc = gather_dets(t, dets, n, is_low);
    if ((rc = associate(t, dets, nr, nc, t->p.low_match_iou)))
        return rc;

    /* 5. third pass: tentative tracks vs the remaining high boxes */
    nr = 0;
    for (int i = 0; i < t->ntrk; i++)
        if (t->trk[i].phase == PH_TENTATIVE)
            t->rows[nr++] = i;
    nc = gather_dets(t, dets, n, is_high);
    if ((rc = associate(t, dets, nr, nc, t->p.match_iou)))
        return rc;

    /* 7. (before 6, so new tracks are not aged) update states */
    nlive = 0;
    for (int i = 0; i < t->ntrk; i++) {
        trk *k = &t->trk[i];
        if (k->matched >= 0) {
            apply_match(t, k, &dets[k->matched], k->matched, frame_index,
                        pts_ms);
            if (k->phase == PH_TENTATIVE && k->pub.hits >= t->p.min_hits) {
                k->pub.num = ++t->next_num;
                id_hex(t->seed_mix, 1, k->pub.num, k->pub.id);
            }
            if (k->phase != PH_TENTATIVE || k->pub.hits >= t->p.min_hits)
                k->phase = PH_TRACKED;
        } else if (k->phase == PH_TENTATIVE) {
            continue; /* vanishes */
        } else {
            int64_t gap = frame_index - k->pub.last_frame;
            k->pub.missed = gap > 0x7fffffff ? 0x7fffffff : (int)gap;
            if (k->pub.missed < 1)
                k->pub.missed = 1;
            k->pub.box = state_box(&k->kf);
            k->pub.det_index = -1;
            k->phase = pts_ms - k->pub.last_pts_ms > t->p.lost_ttl_ms
                           ? PH_REMOVED
                           : PH_LOST;
            k->pub.coasting =
                k->phase == PH_LOST && k->pub.missed <= t->p.coast_frames;
        }
        k->pub.vx = (float)k->kf.x[4];
        k->pub.vy = (float)k->kf.x[5];
        t->trk[nlive++] = *k;
    }
    t->ntrk = nlive;

    /* 6. new tentative tracks from unmatched confident high boxes */
    for (int j = 0; j < n; j++) {
        const spatia_detection *d = &dets[j];
        if (t->det_used[j] || !is_high(t, d) ||
            d->score < t->p.new_track_thresh)
            continue;
        trk *k = &t->trk[t->ntrk++];
        double z[4];
        memset(k, 0, sizeof *k);
        box_to_z(&d->box, z);
        kf_init(&k->kf, &t->noise, z);
        k->phase = PH_TENTATIVE;
        k->matched = j;
        k->pub.box = d->box;
        k->pub.score = d->score;
        k->pub.det_index = j;
        k->pub.hits = 1;
        k->pub.first_pts_ms = k->pub.last_pts_ms = pts_ms;
        k->pub.last_frame = frame_index;
        if (t->p.min_hits <= 1) {
            k->pub.num = ++t->next_num;
            id_hex(t->seed_mix, 1, k->pub.num, k->pub.id);
            k->phase = PH_TRACKED;
        }
    }

    for (int i = 0; i < t->ntrk; i++) {
        spatia_track *o = &t->out[i];
        const trk *k = &t->trk[i];
        *o = k->pub;
        switch (k->phase) {
        case PH_TENTATIVE:
            o->state = SPATIA_TRACK_TENTATIVE;
            break;
        case PH_TRACKED:
            o->state = SPATIA_TRACK_CONFIRMED;
            break;
        case PH_LOST:
            o->state = SPATIA_TRACK_LOST;
            break;
        case PH_REMOVED:
            o->state = SPATIA_TRACK_REMOVED;
            break;
        }
    }
    *tracks = t->out;
    *ntracks = t->ntrk;
    return SPATIA_OK;
}
