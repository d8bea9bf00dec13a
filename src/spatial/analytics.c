/*
 * analytics.c - rules over tracks: line crossings, zone enter/exit, dwell,
 * counts (see spatia/spatial.h for the semantics).
 *
 * State lives in a table of track slots; each slot holds one rule_state per
 * rule. Slots are found by linear search on the track number (a scene has
 * tens of tracks, not thousands) and recycled when a track is removed, so
 * after warm-up nothing is allocated per frame.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rand.h"
#include "spatia/error.h"
#include "spatia/spatial.h"
#include "spatial/geometry.h"

enum { SIDE_UNKNOWN = 0 };

typedef struct rule_state {
    int side;      /* lines: -1 left, +1 right; zones: -1 out, +1 in;
                      0 unknown */
    int have_prev; /* prev holds the last focus point */
    vec2 prev;
    int cross_valid;  /* lines: cross_t is the latest raw crossing */
    double cross_t;   /* along start->end, 0..1 inside the segment */
    int seen_outside; /* zones: last_out is valid */
    vec2 last_out;    /* zones: last raw point outside the polygon */
    int seen_inside;
    vec2 last_in;      /* zones: last raw point inside the polygon */
    int64_t enter_pts; /* zones: stream ms of the Enter */
    int64_t enter_seq; /* zones: processed-frame number of the Enter */
} rule_state;

typedef struct slot {
    uint32_t num;          /* track number, 0 = free */
    const spatia_track *t; /* this frame's track, or NULL */
    int64_t last_seen_pts; /* stream ms of the last match */
    int64_t last_seen_seq;
    rule_state *rs; /* nrules entries */
} slot;

typedef struct rule {
    const spatia_event_cfg *ev;
    const spatia_zone_cfg *zone; /* exactly one of zone/line */
    const spatia_line_cfg *line;
    vec2 *poly; /* zone vertices in px */
    int npoly;
    vec2 a, b;          /* line in px */
    double thr;         /* hysteresis threshold, px */
    int64_t qualifying; /* events seen, for output_frequency */
    int last_count;     /* count rules: -1 before the first */
    int64_t next_tick;  /* interval rules: stream ms */
    int64_t period;     /* interval rules: ms between ticks, >= 1 */
} rule;

struct spatia_analytics {
    spatia_analytics_opts opts;
    const spatia_config *cfg;
    rule *rules;
    spatia_rule_stats *stats;
    int nrules;
    slot *slots;
    int nslots, slots_cap;
    rule_state *rs_pool; /* slots_cap * nrules */
    spatia_person *people;
    int people_cap;
    uint64_t seed;
    uint64_t nevents;
    int64_t seq; /* processed frames */
};

void spatia_analytics_opts_default(spatia_analytics_opts *o)
{
    memset(o, 0, sizeof *o);
    o->count_grace_ms = 1000;
    o->interval_ms = 1000;
}

static double threshold_px(const spatia_event_cfg *ev, int width)
{
    if (!ev->has_threshold)
        return ev->kind == SPATIA_EVENT_ZONECROSSING ? 48.0 : 16.0;
    if (ev->threshold <= 0)
        return 0;
    if (ev->threshold < 1)
        return ev->threshold * width;
    return ev->threshold;
}

static int add_rule(spatia_analytics *a, const spatia_event_cfg *ev,
                    const spatia_zone_cfg *z, const spatia_line_cfg *l)
{
    rule *r = &a->rules[a->nrules];
    spatia_rule_stats *st = &a->stats[a->nrules];
    double w = a->opts.width, h = a->opts.height;

    memset(r, 0, sizeof *r);
    memset(st, 0, sizeof *st);
    r->ev = ev;
    r->zone = z;
    r->line = l;
    r->thr = threshold_px(ev, a->opts.width);
    r->last_count = -1;
    r->next_tick = INT64_MIN;
    r->period = ev->interval_s > 0 ? (int64_t)llround(ev->interval_s * 1000)
                                   : a->opts.interval_ms;
    if (r->period <= 0)
        r->period = 1;
    if (z) {
        r->poly = calloc((size_t)z->npoly, sizeof *r->poly);
        if (!r->poly)
            return SPATIA_NOMEM;
        for (int i = 0; i < z->npoly; i++) {
            r->poly[i].x = z->poly[i].x * w;
            r->poly[i].y = z->poly[i].y * h;
        }
        r->npoly = z->npoly;
        st->name = z->name;
    } else {
        r->a.x = l->start.x * w;
        r->a.y = l->start.y * h;
        r->b.x = l->end.x * w;
        r->b.y = l->end.y * h;
        st->name = l->name;
        st->is_line = 1;
    }
    st->kind = ev->kind;
    st->last_count = -1;
    a->nrules++;
    return SPATIA_OK;
}

int spatia_analytics_create(const spatia_config *cfg,
                            const spatia_analytics_opts *opts,
                            spatia_analytics **out)
{
    spatia_analytics *a;
    int n = 0, rc;

    if (!cfg || !opts || !out || opts->width <= 0 || opts->height <= 0 ||
        opts->count_grace_ms < 0 || opts->interval_ms <= 0)
        return SPATIA_EINVAL;
    *out = NULL;
    for (int i = 0; i < cfg->nzones; i++)
        n += cfg->zones[i].nevents;
    for (int i = 0; i < cfg->nlines; i++)
        n += cfg->lines[i].nevents;
    a = calloc(1, sizeof *a);
    if (!a)
        return SPATIA_NOMEM;
    a->opts = *opts;
    a->cfg = cfg;
    a->rules = calloc((size_t)(n ? n : 1), sizeof *a->rules);
    a->stats = calloc((size_t)(n ? n : 1), sizeof *a->stats);
    if (!a->rules || !a->stats) {
        rc = SPATIA_NOMEM;
        goto fail;
    }
    /* Lines first, then zones: the order of the generic operation's
     * samples; within each, config order. */
    for (int i = 0; i < cfg->nlines; i++)
        for (int k = 0; k < cfg->lines[i].nevents; k++)
            if ((rc = add_rule(a, &cfg->lines[i].events[k], NULL,
                               &cfg->lines[i])))
                goto fail;
    for (int i = 0; i < cfg->nzones; i++)
        for (int k = 0; k < cfg->zones[i].nevents; k++)
            if ((rc = add_rule(a, &cfg->zones[i].events[k], &cfg->zones[i],
                               NULL)))
                goto fail;
    a->seed = id_seed(opts->seed);
    *out = a;
    return SPATIA_OK;
fail:
    spatia_analytics_destroy(a);
    return rc;
}

void spatia_analytics_destroy(spatia_analytics *a)
{
    if (!a)
        return;
    for (int i = 0; i < a->nrules; i++)
        free(a->rules[i].poly);
    free(a->rules);
    free(a->stats);
    free(a->slots);
    free(a->rs_pool);
    free(a->people);
    free(a);
}

void spatia_analytics_stats(const spatia_analytics *a,
                            const spatia_rule_stats **stats, int *n)
{
    *stats = a ? a->stats : NULL;
    *n = a ? a->nrules : 0;
}

/* ---- slots ---- */

static int slots_grow(spatia_analytics *a)
{
    int cap = a->slots_cap ? a->slots_cap * 2 : 32;
    int nr = a->nrules ? a->nrules : 1;
    slot *s = realloc(a->slots, (size_t)cap * sizeof *s);
    if (!s)
        return SPATIA_NOMEM;
    a->slots = s;
    rule_state *p = realloc(a->rs_pool, (size_t)cap * nr * sizeof *p);
    if (!p)
        return SPATIA_NOMEM;
    a->rs_pool = p;
    for (int i = 0; i < a->slots_cap; i++)
        a->slots[i].rs = p + (size_t)i * nr;
    for (int i = a->slots_cap; i < cap; i++) {
        memset(&a->slots[i], 0, sizeof a->slots[i]);
        a->slots[i].rs = p + (size_t)i * nr;
    }
    a->slots_cap = cap;
    return SPATIA_OK;
}

static slot *slot_find(spatia_analytics *a, uint32_t num)
{
    for (int i = 0; i < a->nslots; i++)
        if (a->slots[i].num == num)
            return &a->slots[i];
    return NULL;
}

static int slot_get(spatia_analytics *a, uint32_t num, slot **out)
{
    slot *s = slot_find(a, num);
    if (!s) {
        for (int i = 0; i < a->nslots; i++)
            if (a->slots[i].num == 0) {
                s = &a->slots[i];
                break;
            }
        if (!s) {
            if (a->nslots == a->slots_cap) {
                int rc = slots_grow(a);
                if (rc)
                    return rc;
            }
            s = &a->slots[a->nslots++];
        }
        s->num = num;
        s->t = NULL;
        memset(s->rs, 0, (size_t)(a->nrules ? a->nrules : 1) * sizeof *s->rs);
    }
    *out = s;
    return SPATIA_OK;
}

static int people_reserve(spatia_analytics *a, int n)
{
    if (n <= a->people_cap)
        return SPATIA_OK;
    int cap = a->people_cap ? a->people_cap : 16;
    while (cap < n)
        cap *= 2;
    spatia_person *p = realloc(a->people, (size_t)cap * sizeof *p);
    if (!p)
        return SPATIA_NOMEM;
    a->people = p;
    a->people_cap = cap;
    return SPATIA_OK;
}

/* ---- events ---- */

static vec2 focus_point(const spatia_box *b, spatia_focus f)
{
    vec2 p;
    p.x = 0.5 * ((double)b->x1 + b->x2);
    /* footprint: the bottom centre until a better estimate exists */
    p.y = f == SPATIA_FOCUS_CENTER ? 0.5 * ((double)b->y1 + b->y2) : b->y2;
    return p;
}

static void person_from_track(const spatia_analytics *a, const spatia_track *t,
                              spatia_focus f, spatia_person *p)
{
    vec2 fp = focus_point(&t->box, f);
    memcpy(p->id, t->id, sizeof p->id);
    p->box = t->box;
    p->confidence = t->score;
    p->foot_x = fp.x / a->opts.width;
    p->foot_y = fp.y / a->opts.height;
}

/* Counts a qualifying event and tells whether output_frequency lets it
 * through. */
static int decimate(rule *r)
{
    int n = r->ev->output_frequency > 0 ? r->ev->output_frequency : 1;
    return (r->qualifying++ % n) == 0;
}

static int emit(spatia_analytics *a, rule *r, spatia_event *ev,
                spatia_event_fn fn, void *user)
{
    spatia_rule_stats *st = &a->stats[r - a->rules];
    if (!decimate(r))
        return 0;
    id_hex(a->seed, 2, a->nevents++, ev->id);
    ev->zone = st->name;
    ev->trigger = r->ev->trigger;
    st->emitted++;
    return fn ? fn(user, ev) : 0;
}

static int emit_track_event(spatia_analytics *a, rule *r, spatia_event_type ty,
                            const spatia_track *t, spatia_status status,
                            int side, const rule_state *rs, int64_t end_pts,
                            int64_t end_seq, spatia_event_fn fn, void *user)
{
    spatia_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = ty;
    ev.tracking_id = t->id;
    ev.status = status;
    ev.side = side;
    if (ty == SPATIA_EV_ZONE_DWELL) {
        ev.dwell_ms = (double)(end_pts - rs->enter_pts);
        ev.dwell_frames = end_seq - rs->enter_seq;
        a->stats[r - a->rules].dwell_ms_sum += ev.dwell_ms;
    }
    person_from_track(a, t, r->ev->focus, &a->people[0]);
    ev.people = a->people;
    ev.npeople = 1;
    return emit(a, r, &ev, fn, user);
}

/* ---- per-rule updates ---- */

static int update_line(spatia_analytics *a, rule *r, rule_state *rs,
                       const spatia_track *t, spatia_event_fn fn, void *user)
{
    vec2 p = focus_point(&t->box, r->ev->focus);
    double c = geom_line_side(r->a, r->b, p);
    double tcross;
    int side = rs->side;

    if (rs->have_prev &&
        geom_line_crossing(r->a, r->b, rs->prev, p, &tcross) == 0) {
        rs->cross_valid = 1;
        rs->cross_t = tcross;
    }
    if (r->thr > 0) {
        if (c > r->thr)
            side = 1;
        else if (c < -r->thr)
            side = -1;
    } else if (c != 0) {
        side = c > 0 ? 1 : -1;
    }
    rs->prev = p;
    rs->have_prev = 1;
    if (side == rs->side)
        return 0;
    int old = rs->side, rc = 0;
    rs->side = side;
    if (old == SIDE_UNKNOWN)
        return 0;
    if (rs->cross_valid && rs->cross_t >= 0 && rs->cross_t <= 1) {
        spatia_status st =
            side > 0 ? SPATIA_STATUS_CROSS_RIGHT : SPATIA_STATUS_CROSS_LEFT;
        spatia_rule_stats *s = &a->stats[r - a->rules];
        if (side > 0)
            s->cross_right++;
        else
            s->cross_left++;
        rc = emit_track_event(a, r, SPATIA_EV_PERSON_LINE, t, st, 0, rs, 0, 0,
                              fn, user);
    }
    rs->cross_valid = 0;
    return rc;
}

static int zone_event(spatia_analytics *a, rule *r, rule_state *rs,
                      const spatia_track *t, spatia_status status, int side,
                      int64_t pts, spatia_event_fn fn, void *user)
{
    spatia_rule_stats *s = &a->stats[r - a->rules];
    if (status == SPATIA_STATUS_ENTER) {
        s->enter++;
        rs->enter_pts = pts;
        rs->enter_seq = a->seq;
        if (r->ev->kind == SPATIA_EVENT_ZONECROSSING)
            return emit_track_event(a, r, SPATIA_EV_ZONE_ENTER_EXIT, t, status,
                                    side, rs, 0, 0, fn, user);
        return 0;
    }
    s->exit++;
    if (r->ev->kind == SPATIA_EVENT_ZONECROSSING)
        return emit_track_event(a, r, SPATIA_EV_ZONE_ENTER_EXIT, t, status,
                                side, rs, 0, 0, fn, user);
    if (r->ev->kind == SPATIA_EVENT_ZONEDWELLTIME)
        return emit_track_event(a, r, SPATIA_EV_ZONE_DWELL, t, status, side, rs,
                                pts, a->seq, fn, user);
    return 0;
}

static int update_zone(spatia_analytics *a, rule *r, rule_state *rs,
                       const spatia_track *t, int64_t pts, spatia_event_fn fn,
                       void *user)
{
    vec2 p = focus_point(&t->box, r->ev->focus);
    double edge_dist; /* px */
    int inside = geom_polygon_locate(r->poly, r->npoly, p, &edge_dist);
    int state = rs->side, rc = 0;

    /* Hysteresis: the state changes only at least thr px from the edges. */
    if (edge_dist >= r->thr || r->thr == 0)
        state = inside ? 1 : -1;

    if (state != rs->side) {
        int old = rs->side;
        rs->side = state;
        if (state == 1) {
            int side = 0;
            if (old == -1 || rs->seen_outside) {
                side = geom_polygon_crossed_side(r->poly, r->npoly,
                                                 rs->last_out, p);
                if (!side)
                    side = geom_polygon_nearest_side(r->poly, r->npoly,
                                                     rs->last_out);
            }
            rc = zone_event(a, r, rs, t, SPATIA_STATUS_ENTER, side, pts, fn,
                            user);
        } else if (old == 1) {
            int side =
                geom_polygon_crossed_side(r->poly, r->npoly, rs->last_in, p);
            if (!side)
                side = geom_polygon_nearest_side(r->poly, r->npoly, p);
            rc = zone_event(a, r, rs, t, SPATIA_STATUS_EXIT, side, pts, fn,
                            user);
        }
    }
    if (inside) {
        rs->last_in = p;
        rs->seen_inside = 1;
    } else {
        rs->last_out = p;
        rs->seen_outside = 1;
    }
    return rc;
}

static int is_zone_membership(const rule *r)
{
    return r->zone && (r->ev->kind == SPATIA_EVENT_ZONECROSSING ||
                       r->ev->kind == SPATIA_EVENT_ZONEDWELLTIME ||
                       r->ev->kind == SPATIA_EVENT_COUNT ||
                       r->ev->kind == SPATIA_EVENT_PERSONDISTANCE);
}

/* A removed track that was inside a zone exits with side "". */
static int vanish(spatia_analytics *a, slot *s, const spatia_track *t,
                  spatia_event_fn fn, void *user)
{
    for (int k = 0; k < a->nrules; k++) {
        rule *r = &a->rules[k];
        rule_state *rs = &s->rs[k];
        if (!r->zone || rs->side != 1)
            continue;
        rs->side = -1;
        if (r->ev->kind != SPATIA_EVENT_ZONECROSSING &&
            r->ev->kind != SPATIA_EVENT_ZONEDWELLTIME)
            continue;
        spatia_rule_stats *st = &a->stats[k];
        st->exit++;
        spatia_event_type ty = r->ev->kind == SPATIA_EVENT_ZONECROSSING
                                   ? SPATIA_EV_ZONE_ENTER_EXIT
                                   : SPATIA_EV_ZONE_DWELL;
        int rc = emit_track_event(a, r, ty, t, SPATIA_STATUS_EXIT, 0, rs,
                                  s->last_seen_pts, s->last_seen_seq, fn, user);
        if (rc)
            return rc;
    }
    return 0;
}

static int update_count(spatia_analytics *a, rule *r, int64_t pts,
                        spatia_event_fn fn, void *user)
{
    int k = (int)(r - a->rules), n = 0;
    spatia_rule_stats *st = &a->stats[k];
    for (int i = 0; i < a->nslots; i++) {
        slot *s = &a->slots[i];
        if (!s->num || !s->t || s->rs[k].side != 1)
            continue;
        if (s->t->state != SPATIA_TRACK_CONFIRMED &&
            pts - s->last_seen_pts > a->opts.count_grace_ms)
            continue;
        person_from_track(a, s->t, r->ev->focus, &a->people[n++]);
    }
    st->last_count = n;
    if (n > st->max_count)
        st->max_count = n;

    int fire;
    if (r->ev->trigger == SPATIA_TRIGGER_INTERVAL) {
        const int64_t period = r->period;
        fire = r->next_tick == INT64_MIN || pts >= r->next_tick;
        if (fire)
            r->next_tick =
                (r->next_tick == INT64_MIN ? pts : r->next_tick) + period;
        while (r->next_tick <= pts)
            r->next_tick += period;
    } else {
        fire = n != r->last_count;
    }
    r->last_count = n;
    if (!fire)
        return 0;

    spatia_event ev;
    memset(&ev, 0, sizeof ev);
    ev.person_count = n;
    ev.people = a->people;
    ev.npeople = n;
    if (r->ev->kind == SPATIA_EVENT_COUNT) {
        ev.type = SPATIA_EV_PERSON_COUNT;
    } else {
        /* No calibration yet: distances are unknown (spec §7.1), so no one
         * is a violator and detections stay empty. */
        ev.type = SPATIA_EV_PERSON_DISTANCE;
        ev.average_distance_ft = 0;
        ev.min_distance_ft =
            r->ev->has_min_distance ? r->ev->min_distance_ft : 0;
        ev.max_distance_ft =
            r->ev->has_max_distance ? r->ev->max_distance_ft : INFINITY;
        ev.event_name = "unknown";
        ev.violation_count = 0;
        ev.npeople = 0;
    }
    return emit(a, r, &ev, fn, user);
}

int spatia_analytics_update(spatia_analytics *a, int64_t frame_index,
                            int64_t pts_ms, const spatia_track *tracks, int n,
                            spatia_event_fn fn, void *user)
{
    int rc;
    (void)frame_index;

    if (!a || n < 0 || (n > 0 && !tracks))
        return SPATIA_EINVAL;
    if ((rc = people_reserve(a, n + 1)))
        return rc;
    for (int i = 0; i < a->nslots; i++)
        a->slots[i].t = NULL;

    /* Matched tracks update every rule; lost ones keep their state. */
    for (int i = 0; i < n; i++) {
        const spatia_track *t = &tracks[i];
        slot *s;
        if (t->num == 0 || t->state == SPATIA_TRACK_TENTATIVE)
            continue;
        if (t->state == SPATIA_TRACK_REMOVED) {
            s = slot_find(a, t->num);
            if (s) {
                s->t = t;
                if ((rc = vanish(a, s, t, fn, user)))
                    return rc;
                s->num = 0;
                s->t = NULL;
            }
            continue;
        }
        if (t->state == SPATIA_TRACK_LOST) {
            s = slot_find(a, t->num);
            if (s)
                s->t = t;
            continue;
        }
        if ((rc = slot_get(a, t->num, &s)))
            return rc;
        s->t = t;
        s->last_seen_pts = pts_ms;
        s->last_seen_seq = a->seq;
        for (int k = 0; k < a->nrules; k++) {
            rule *r = &a->rules[k];
            if (r->line)
                rc = update_line(a, r, &s->rs[k], t, fn, user);
            else if (is_zone_membership(r))
                rc = update_zone(a, r, &s->rs[k], t, pts_ms, fn, user);
            if (rc)
                return rc;
        }
    }
    /* Slots whose track disappeared without a REMOVED report are freed. */
    for (int i = 0; i < a->nslots; i++)
        if (a->slots[i].num && !a->slots[i].t)
            a->slots[i].num = 0;

    for (int k = 0; k < a->nrules; k++) {
        rule *r = &a->rules[k];
        if (r->zone && (r->ev->kind == SPATIA_EVENT_COUNT ||
                        r->ev->kind == SPATIA_EVENT_PERSONDISTANCE))
            if ((rc = update_count(a, r, pts_ms, fn, user)))
                return rc;
    }
    a->seq++;
    return SPATIA_OK;
}
