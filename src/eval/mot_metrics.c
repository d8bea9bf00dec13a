/*
 * mot_metrics.c - CLEAR-MOT, Identity (IDF1) and HOTA for one sequence,
 * following TrackEval's definitions (Luiten et al., IJCV 2021; TrackEval's
 * MotChallenge2DBox dataset with the CLEAR, Identity and HOTA metrics).
 *
 * Preparation: gt rows whose conf truncates to 0 are dropped (MOT15 has no
 * distractor classes), tracker rows are all kept. Both sides are sorted by
 * (frame, id), ids are relabelled to dense indices 0..G-1 / 0..T-1, and the
 * frames are walked as index ranges. The similarity is the IoU of xywh boxes
 * in double precision, computed the way TrackEval does (tiny areas and
 * unions count as no overlap).
 *
 * Pass 1, frame by frame:
 *  - CLEAR: maximise 1000 * [tracker id == the one this gt id was matched
 *    to in the previous evaluated frame] + IoU over pairs with IoU >= 0.5
 *    (others score 0 and are not matches). IDSW when a gt id is matched to
 *    another tracker id than the one it was last matched to (any number of
 *    frames back); a fragment starts whenever a gt id is matched but was not
 *    in the previous evaluated frame. As in TrackEval, frames with no gt or
 *    no tracker boxes are not "evaluated frames": they neither continue nor
 *    break a track.
 *  - Identity: count per (gt id, tracker id) the frames with IoU >= 0.5.
 *  - HOTA: accumulate potential matches IoU / (row sum + column sum - IoU).
 * Then IDTP is the maximum-weight assignment between gt ids and tracker ids
 * on those counts, and HOTA's global alignment score per id pair is
 * potential / (gt count + tracker count - potential).
 *
 * Pass 2 (HOTA): per frame, maximise alignment * IoU; for every alpha in
 * 0.05..0.95 the assigned pairs with IoU >= alpha are true positives, and
 * their per-id-pair counts give AssA.
 *
 * Memory: per-frame matrices sized by the largest frame and dense G x T
 * matrices (one of them with 19 counts per pair); the frame loop does not
 * allocate.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/lsa.h"
#include "spatia/error.h"
#include "spatia/eval.h"

#define NA           SPATIA_HOTA_ALPHAS
#define EPS          DBL_EPSILON /* numpy's finfo('float').eps */
#define CLEAR_THRESH 0.5
#define CLEAR_BONUS  1000.0

/* A box prepared for evaluation: frame, dense id index, corners (px). */
typedef struct det {
    int frame;
    int k;
    double x0, y0, x1, y1;
} det;

typedef struct side {
    det *d;
    int n;    /* boxes kept */
    int nids; /* distinct ids among them */
} side;

typedef struct sort_item {
    int frame, id;
    const spatia_mot_row *r;
} sort_item;

static int item_cmp(const void *a, const void *b)
{
    const sort_item *x = a, *y = b;
    if (x->frame != y->frame)
        return x->frame < y->frame ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static int int_cmp(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* calloc that never asks for 0 bytes and checks n * size. */
static void *zalloc(size_t n, size_t size)
{
    if (n == 0)
        n = 1;
    if (n > SIZE_MAX / size)
        return NULL;
    return calloc(n, size);
}

/* TrackEval's zero_marked test: int(conf) == 0, i.e. |conf| < 1. */
static int gt_row_counts(const spatia_mot_row *r)
{
    return fabs(r->conf) >= 1.0;
}

/*
 * Builds one side: sorts by (frame, id), rejects an id repeated within a
 * frame (before filtering, as TrackEval checks its raw data), keeps the gt
 * rows that count and relabels ids densely in increasing id order.
 * Returns SPATIA_OK, SPATIA_EINVAL or SPATIA_NOMEM.
 */
static int side_build(const spatia_mot_seq *s, int is_gt, side *out)
{
    sort_item *items = NULL;
    int *ids = NULL, rc = SPATIA_NOMEM, n = 0, nids = 0;

    memset(out, 0, sizeof *out);
    if (s->n < 0 || (s->n > 0 && !s->rows))
        return SPATIA_EINVAL;
    items = zalloc((size_t)s->n, sizeof *items);
    ids = zalloc((size_t)s->n, sizeof *ids);
    out->d = zalloc((size_t)s->n, sizeof *out->d);
    if (!items || !ids || !out->d)
        goto fail;
    for (int i = 0; i < s->n; i++) {
        items[i].frame = s->rows[i].frame;
        items[i].id = s->rows[i].id;
        items[i].r = &s->rows[i];
    }
    qsort(items, (size_t)s->n, sizeof *items, item_cmp);
    for (int i = 1; i < s->n; i++) {
        if (items[i].frame == items[i - 1].frame &&
            items[i].id == items[i - 1].id) {
            rc = SPATIA_EINVAL;
            goto fail;
        }
    }
    for (int i = 0; i < s->n; i++) {
        const spatia_mot_row *r = items[i].r;
        if (is_gt && !gt_row_counts(r))
            continue;
        det *d = &out->d[n++];
        d->frame = r->frame;
        d->k = r->id; /* relabelled below */
        d->x0 = r->x;
        d->y0 = r->y;
        d->x1 = r->x + r->w;
        d->y1 = r->y + r->h;
        ids[nids++] = r->id;
    }
    qsort(ids, (size_t)nids, sizeof *ids, int_cmp);
    int u = 0;
    for (int i = 0; i < nids; i++)
        if (u == 0 || ids[i] != ids[u - 1])
            ids[u++] = ids[i];
    for (int i = 0; i < n; i++) {
        const int *hit =
            bsearch(&out->d[i].k, ids, (size_t)u, sizeof *ids, int_cmp);
        out->d[i].k = (int)(hit - ids);
    }
    out->n = n;
    out->nids = u;
    free(items);
    free(ids);
    return SPATIA_OK;
fail:
    free(items);
    free(ids);
    free(out->d);
    out->d = NULL;
    return rc;
}

/* The next frame present in either side, from positions *gi / *ti: its
 * box counts in *ng / *nt. Returns 0 when both sides are exhausted. */
static int next_frame(const side *g, const side *t, int gi, int ti, int *ng,
                      int *nt)
{
    int f;

    if (gi >= g->n && ti >= t->n)
        return 0;
    if (gi >= g->n)
        f = t->d[ti].frame;
    else if (ti >= t->n)
        f = g->d[gi].frame;
    else
        f = g->d[gi].frame < t->d[ti].frame ? g->d[gi].frame : t->d[ti].frame;
    *ng = *nt = 0;
    while (gi + *ng < g->n && g->d[gi + *ng].frame == f)
        (*ng)++;
    while (ti + *nt < t->n && t->d[ti + *nt].frame == f)
        (*nt)++;
    return 1;
}

/* IoU of two boxes as TrackEval's _calculate_box_ious computes it. */
static double box_iou(const det *a, const det *b)
{
    double iw = fmin(a->x1, b->x1) - fmax(a->x0, b->x0);
    double ih = fmin(a->y1, b->y1) - fmax(a->y0, b->y0);
    double inter = fmax(iw, 0.0) * fmax(ih, 0.0);
    double a1 = (a->x1 - a->x0) * (a->y1 - a->y0);
    double a2 = (b->x1 - b->x0) * (b->y1 - b->y0);
    double uni = a1 + a2 - inter;

    if (a1 <= EPS || a2 <= EPS || uni <= EPS)
        inter = 0;
    if (uni <= EPS)
        uni = 1;
    return inter / uni;
}

static void frame_sim(const det *g, int ng, const det *t, int nt, double *sim)
{
    for (int r = 0; r < ng; r++)
        for (int c = 0; c < nt; c++)
            sim[(long)r * nt + c] = box_iou(&g[r], &t[c]);
}

/* Per-gt-id state of the CLEAR pass. */
typedef struct clear_id {
    int count, matched; /* frames present / matched */
    int frags;          /* times a match run started */
    int last_tr;        /* tracker id last matched, -1 none */
    int prev_step;      /* evaluated-frame index of the last match */
} clear_id;

typedef struct eval_ctx {
    side g, t;
    int G, T;
    int max_ng, max_nt;
    lsa_work lsa;
    double *sim, *cost; /* max_ng x max_nt */
    double *rowsum, *colsum;
    int *r2c;                 /* max(max_ng, G) */
    clear_id *cl;             /* G */
    int *gt_count, *tr_count; /* frames per gt id / tracker id */
    int *id_pmc;              /* G x T frames with IoU >= 0.5 */
    double *h_pmc;            /* G x T potential matches, then alignment */
    int *h_mc;                /* G x T x NA matches per alpha */
    double *id_cost;          /* G x T */
    /* CLEAR totals */
    int64_t tp, fp, fn, idsw;
    double motp_sum;
    int step; /* evaluated frames so far (CLEAR) */
    /* HOTA totals per alpha */
    int64_t h_tp[NA], h_fn[NA], h_fp[NA];
    double h_loc[NA];
} eval_ctx;

static void ctx_free(eval_ctx *c)
{
    free(c->g.d);
    free(c->t.d);
    lsa_work_free(&c->lsa);
    free(c->sim);
    free(c->cost);
    free(c->rowsum);
    free(c->colsum);
    free(c->r2c);
    free(c->cl);
    free(c->gt_count);
    free(c->tr_count);
    free(c->id_pmc);
    free(c->h_pmc);
    free(c->h_mc);
    free(c->id_cost);
}

static int ctx_alloc(eval_ctx *c)
{
    int gi = 0, ti = 0, ng, nt;
    size_t gt;

    while (next_frame(&c->g, &c->t, gi, ti, &ng, &nt)) {
        if (ng > c->max_ng)
            c->max_ng = ng;
        if (nt > c->max_nt)
            c->max_nt = nt;
        gi += ng;
        ti += nt;
    }
    c->G = c->g.nids;
    c->T = c->t.nids;
    if (c->T > 0 && (size_t)c->G > SIZE_MAX / NA / sizeof(int) / c->T)
        return SPATIA_NOMEM;
    if ((size_t)c->max_nt > 0 &&
        (size_t)c->max_ng > SIZE_MAX / sizeof(double) / c->max_nt)
        return SPATIA_NOMEM;
    gt = (size_t)c->G * (size_t)c->T;
    size_t fm = (size_t)c->max_ng * (size_t)c->max_nt;
    int nr = c->max_ng > c->G ? c->max_ng : c->G;
    c->sim = zalloc(fm, sizeof *c->sim);
    c->cost = zalloc(fm > gt ? fm : gt, sizeof *c->cost);
    c->rowsum = zalloc((size_t)c->max_ng, sizeof *c->rowsum);
    c->colsum = zalloc((size_t)c->max_nt, sizeof *c->colsum);
    c->r2c = zalloc((size_t)nr, sizeof *c->r2c);
    c->cl = zalloc((size_t)c->G, sizeof *c->cl);
    c->gt_count = zalloc((size_t)c->G, sizeof *c->gt_count);
    c->tr_count = zalloc((size_t)c->T, sizeof *c->tr_count);
    c->id_pmc = zalloc(gt, sizeof *c->id_pmc);
    c->h_pmc = zalloc(gt, sizeof *c->h_pmc);
    c->h_mc = zalloc(gt * NA, sizeof *c->h_mc);
    if (!c->sim || !c->cost || !c->rowsum || !c->colsum || !c->r2c || !c->cl ||
        !c->gt_count || !c->tr_count || !c->id_pmc || !c->h_pmc || !c->h_mc)
        return SPATIA_NOMEM;
    for (int i = 0; i < c->G; i++) {
        c->cl[i].last_tr = -1;
        c->cl[i].prev_step = -2;
    }
    return SPATIA_OK;
}

/* CLEAR on one frame where both sides have boxes. */
static int clear_frame(eval_ctx *c, const det *g, int ng, const det *t, int nt)
{
    const double *sim = c->sim;
    int nm = 0, rc;

    for (int r = 0; r < ng; r++) {
        const clear_id *ci = &c->cl[g[r].k];
        int cont = ci->prev_step == c->step - 1;
        for (int q = 0; q < nt; q++) {
            double s = sim[(long)r * nt + q], score = 0;
            if (!(s < CLEAR_THRESH - EPS))
                score = s + (cont && ci->last_tr == t[q].k ? CLEAR_BONUS : 0.0);
            c->cost[(long)r * nt + q] = -score;
        }
    }
    rc = lsa_solve(&c->lsa, c->cost, ng, nt, c->r2c, NULL);
    if (rc)
        return rc;
    for (int r = 0; r < ng; r++) {
        int q = c->r2c[r];
        clear_id *ci = &c->cl[g[r].k];
        ci->count++;
        if (q < 0 || !(-c->cost[(long)r * nt + q] > EPS))
            continue;
        if (ci->last_tr >= 0 && ci->last_tr != t[q].k)
            c->idsw++;
        if (ci->prev_step != c->step - 1)
            ci->frags++;
        ci->matched++;
        ci->last_tr = t[q].k;
        ci->prev_step = c->step;
        c->motp_sum += sim[(long)r * nt + q];
        nm++;
    }
    c->tp += nm;
    c->fn += ng - nm;
    c->fp += nt - nm;
    c->step++;
    return SPATIA_OK;
}

/* Identity and HOTA pass-1 accumulation on one frame (sim filled). */
static void potential_frame(eval_ctx *c, const det *g, int ng, const det *t,
                            int nt)
{
    const double *sim = c->sim;

    for (int r = 0; r < ng; r++)
        c->gt_count[g[r].k]++;
    for (int q = 0; q < nt; q++)
        c->tr_count[t[q].k]++;
    if (ng == 0 || nt == 0)
        return;
    for (int r = 0; r < ng; r++)
        c->rowsum[r] = 0;
    for (int q = 0; q < nt; q++)
        c->colsum[q] = 0;
    for (int r = 0; r < ng; r++) {
        for (int q = 0; q < nt; q++) {
            double s = sim[(long)r * nt + q];
            c->rowsum[r] += s;
            c->colsum[q] += s;
        }
    }
    for (int r = 0; r < ng; r++) {
        size_t row = (size_t)g[r].k * (size_t)c->T;
        for (int q = 0; q < nt; q++) {
            double s = sim[(long)r * nt + q];
            double den = c->colsum[q] + c->rowsum[r] - s;
            if (s >= CLEAR_THRESH)
                c->id_pmc[row + (size_t)t[q].k]++;
            if (den > EPS)
                c->h_pmc[row + (size_t)t[q].k] += s / den;
        }
    }
}

static double alpha_of(int a)
{
    /* numpy.arange(0.05, 0.99, 0.05) computes start + i * step */
    return 0.05 + (double)a * 0.05;
}

/* HOTA pass 2 on one frame where both sides have boxes. */
static int hota_frame(eval_ctx *c, const det *g, int ng, const det *t, int nt)
{
    const double *sim = c->sim;
    int nm[NA] = {0}, rc;
    double loc[NA] = {0};

    for (int r = 0; r < ng; r++) {
        const double *al = c->h_pmc + (size_t)g[r].k * (size_t)c->T;
        for (int q = 0; q < nt; q++)
            c->cost[(long)r * nt + q] = -(al[t[q].k] * sim[(long)r * nt + q]);
    }
    rc = lsa_solve(&c->lsa, c->cost, ng, nt, c->r2c, NULL);
    if (rc)
        return rc;
    for (int r = 0; r < ng; r++) {
        int q = c->r2c[r];
        if (q < 0)
            continue;
        double s = sim[(long)r * nt + q];
        int *mc =
            c->h_mc + ((size_t)g[r].k * (size_t)c->T + (size_t)t[q].k) * NA;
        for (int a = 0; a < NA; a++) {
            if (!(s >= alpha_of(a) - EPS))
                break; /* alphas increase */
            nm[a]++;
            loc[a] += s;
            mc[a]++;
        }
    }
    for (int a = 0; a < NA; a++) {
        c->h_tp[a] += nm[a];
        c->h_fn[a] += ng - nm[a];
        c->h_fp[a] += nt - nm[a];
        c->h_loc[a] += loc[a];
    }
    return SPATIA_OK;
}

/* IDTP: maximum total of id_pmc over a one-to-one gt/tracker id matching
 * (TrackEval's padded min IDFN + IDFP problem reduces to this). */
static int identity_tp(eval_ctx *c, int64_t *idtp)
{
    size_t gt = (size_t)c->G * (size_t)c->T;
    int rc;

    *idtp = 0;
    if (c->G == 0 || c->T == 0)
        return SPATIA_OK;
    for (size_t i = 0; i < gt; i++)
        c->cost[i] = -(double)c->id_pmc[i];
    rc = lsa_solve(&c->lsa, c->cost, c->G, c->T, c->r2c, NULL);
    if (rc)
        return rc;
    for (int r = 0; r < c->G; r++)
        if (c->r2c[r] >= 0)
            *idtp += c->id_pmc[(size_t)r * (size_t)c->T + (size_t)c->r2c[r]];
    return SPATIA_OK;
}

static double pct(double num, double den)
{
    return 100.0 * num / (den > 1.0 ? den : 1.0);
}

static void finish(eval_ctx *c, spatia_mot_metrics *m)
{
    /* CLEAR */
    m->tp = c->tp;
    m->fp = c->fp;
    m->fn = c->fn;
    m->idsw = c->idsw;
    m->mota = pct((double)(c->tp - c->fp - c->idsw), (double)(c->tp + c->fn));
    m->motp = pct(c->motp_sum, (double)c->tp);
    for (int i = 0; i < c->G; i++) {
        const clear_id *ci = &c->cl[i];
        double ratio = (double)ci->matched / (double)ci->count;
        if (ratio > 0.8)
            m->mt++;
        else if (ratio >= 0.2)
            m->pt++;
        else
            m->ml++;
        if (ci->frags > 1)
            m->frag += ci->frags - 1;
    }
    /* Identity */
    m->idfn = m->num_gt_dets - m->idtp;
    m->idfp = m->num_tr_dets - m->idtp;
    m->idr = pct((double)m->idtp, (double)(m->idtp + m->idfn));
    m->idp = pct((double)m->idtp, (double)(m->idtp + m->idfp));
    m->idf1 = pct((double)m->idtp, (double)m->idtp + 0.5 * (double)m->idfp +
                                       0.5 * (double)m->idfn);
    /* HOTA */
    size_t gt = (size_t)c->G * (size_t)c->T;
    for (int a = 0; a < NA; a++) {
        double ass = 0, tp = (double)c->h_tp[a];
        for (size_t p = 0; p < gt; p++) {
            double mc = c->h_mc[p * NA + (size_t)a];
            if (mc == 0)
                continue;
            double den = c->gt_count[p / (size_t)c->T] +
                         c->tr_count[p % (size_t)c->T] - mc;
            ass += mc * (mc / (den > 1.0 ? den : 1.0));
        }
        double assa = ass / (tp > 1.0 ? tp : 1.0);
        double dd = (double)(c->h_tp[a] + c->h_fn[a] + c->h_fp[a]);
        double deta = tp / (dd > 1.0 ? dd : 1.0);
        double loca = fmax(1e-10, c->h_loc[a]) / fmax(1e-10, tp);
        m->deta_alpha[a] = 100.0 * deta;
        m->assa_alpha[a] = 100.0 * assa;
        m->loca_alpha[a] = 100.0 * loca;
        m->hota_alpha[a] = 100.0 * sqrt(deta * assa);
        m->hota += m->hota_alpha[a] / NA;
        m->deta += m->deta_alpha[a] / NA;
        m->assa += m->assa_alpha[a] / NA;
        m->loca += m->loca_alpha[a] / NA;
    }
}

int spatia_eval_mot(const spatia_mot_seq *gt, const spatia_mot_seq *tr,
                    spatia_mot_metrics *m)
{
    eval_ctx c;
    int rc, gi, ti, ng, nt;

    if (!gt || !tr || !m)
        return SPATIA_EINVAL;
    memset(&c, 0, sizeof c);
    memset(m, 0, sizeof *m);
    rc = side_build(gt, 1, &c.g);
    if (rc)
        goto out;
    rc = side_build(tr, 0, &c.t);
    if (rc)
        goto out;
    rc = ctx_alloc(&c);
    if (rc)
        goto out;
    m->num_gt_dets = c.g.n;
    m->num_tr_dets = c.t.n;
    m->num_gt_ids = c.G;
    m->num_tr_ids = c.T;

    /* Pass 1: CLEAR, identity counts, HOTA potential matches. */
    for (gi = ti = 0; next_frame(&c.g, &c.t, gi, ti, &ng, &nt);
         gi += ng, ti += nt) {
        const det *g = c.g.d + gi, *t = c.t.d + ti;
        frame_sim(g, ng, t, nt, c.sim);
        potential_frame(&c, g, ng, t, nt);
        if (ng == 0) {
            c.fp += nt;
        } else if (nt == 0) {
            c.fn += ng;
            for (int r = 0; r < ng; r++)
                c.cl[g[r].k].count++;
        } else {
            rc = clear_frame(&c, g, ng, t, nt);
            if (rc)
                goto out;
        }
    }
    rc = identity_tp(&c, &m->idtp);
    if (rc)
        goto out;

    /* Global alignment score per id pair, in place of the potentials. */
    for (int i = 0; i < c.G; i++) {
        for (int j = 0; j < c.T; j++) {
            double *p = &c.h_pmc[(size_t)i * (size_t)c.T + (size_t)j];
            *p = *p / (c.gt_count[i] + c.tr_count[j] - *p);
        }
    }

    /* Pass 2: HOTA matching. */
    for (gi = ti = 0; next_frame(&c.g, &c.t, gi, ti, &ng, &nt);
         gi += ng, ti += nt) {
        const det *g = c.g.d + gi, *t = c.t.d + ti;
        if (ng == 0 || nt == 0) {
            for (int a = 0; a < NA; a++) {
                c.h_fp[a] += nt;
                c.h_fn[a] += ng;
            }
            continue;
        }
        frame_sim(g, ng, t, nt, c.sim);
        rc = hota_frame(&c, g, ng, t, nt);
        if (rc)
            goto out;
    }
    finish(&c, m);
out:
    ctx_free(&c);
    if (rc) {
        memset(m, 0, sizeof *m);
    }
    return rc;
}
