/*
 * test_spatial.c - geometry and the zone/line analytics on synthetic
 * tracks. Frames are 1000x1000 px so normalized 0.5 is pixel 500.
 */
#include <math.h>

#include "core/rand.h"
#include "spatia/error.h"
#include "spatia/spatial.h"
#include "spatial/geometry.h"
#include "test.h"

/* ---- geometry ---- */

static vec2 V(double x, double y)
{
    vec2 v = {x, y};
    return v;
}

TEST(line_side_sign_convention)
{
    /* (0,0.5)->(1,0.5) in a y-down image: below the line is the right */
    ASSERT(geom_line_side(V(0, 500), V(1000, 500), V(300, 600)) > 0);
    ASSERT(geom_line_side(V(0, 500), V(1000, 500), V(300, 400)) < 0);
    ASSERT_NEAR(geom_line_side(V(0, 500), V(1000, 500), V(300, 520)), 20, 1e-9);
}

TEST(points_on_vertices_and_edges_are_inside)
{
    vec2 sq[4] = {V(300, 300), V(300, 900), V(600, 900), V(600, 300)};
    ASSERT(geom_point_in_polygon(sq, 4, V(300, 300)));
    ASSERT(geom_point_in_polygon(sq, 4, V(600, 900)));
    ASSERT(geom_point_in_polygon(sq, 4, V(450, 300)));
    ASSERT(geom_point_in_polygon(sq, 4, V(300, 600)));
    ASSERT(geom_point_in_polygon(sq, 4, V(450, 600)));
    ASSERT(!geom_point_in_polygon(sq, 4, V(299, 600)));
    ASSERT(!geom_point_in_polygon(sq, 4, V(450, 901)));
    ASSERT_NEAR(geom_polygon_depth(sq, 4, V(450, 600)), 150, 1e-9);
    ASSERT_NEAR(geom_polygon_depth(sq, 4, V(250, 600)), -50, 1e-9);
}

TEST(concave_polygon)
{
    /* a U: the notch (400..500, 300..700) is outside */
    vec2 u[8] = {V(300, 300), V(400, 300), V(400, 700), V(500, 700),
                 V(500, 300), V(600, 300), V(600, 800), V(300, 800)};
    ASSERT(geom_point_in_polygon(u, 8, V(350, 500)));
    ASSERT(geom_point_in_polygon(u, 8, V(550, 500)));
    ASSERT(!geom_point_in_polygon(u, 8, V(450, 500)));
    ASSERT(geom_point_in_polygon(u, 8, V(450, 750)));
    /* the notch's depth is measured to the nearest edge */
    ASSERT_NEAR(geom_polygon_depth(u, 8, V(450, 500)), -50, 1e-9);
}

TEST(self_intersecting_polygon)
{
    /* spec §5.1: [[0,0],[1,0],[0,1],[1,1]] is a bow-tie of two triangles
     * meeting at the centre: top and bottom are inside, left and right are
     * not */
    vec2 bt[4] = {V(0, 0), V(1000, 0), V(0, 1000), V(1000, 1000)};
    ASSERT(geom_point_in_polygon(bt, 4, V(500, 200)));
    ASSERT(geom_point_in_polygon(bt, 4, V(500, 800)));
    ASSERT(!geom_point_in_polygon(bt, 4, V(200, 500)));
    ASSERT(!geom_point_in_polygon(bt, 4, V(800, 500)));
}

TEST(crossed_side_is_first_edge_hit)
{
    vec2 sq[4] = {V(300, 300), V(300, 900), V(600, 900), V(600, 300)};
    ASSERT_EQ(geom_polygon_crossed_side(sq, 4, V(100, 600), V(450, 600)), 1);
    ASSERT_EQ(geom_polygon_crossed_side(sq, 4, V(450, 1000), V(450, 600)), 2);
    ASSERT_EQ(geom_polygon_crossed_side(sq, 4, V(700, 600), V(450, 600)), 3);
    ASSERT_EQ(geom_polygon_crossed_side(sq, 4, V(450, 100), V(450, 600)), 4);
    /* straight through: the first edge from the start point */
    ASSERT_EQ(geom_polygon_crossed_side(sq, 4, V(100, 600), V(900, 600)), 1);
    ASSERT_EQ(geom_polygon_crossed_side(sq, 4, V(100, 100), V(200, 200)), 0);
}

/* ---- analytics on synthetic tracks ---- */

#define MAXEV 64
static spatia_event got[MAXEV];
static char got_tid[MAXEV][33];
static int ngot;

static int collect(void *user, const spatia_event *ev)
{
    (void)user;
    if (ngot < MAXEV) {
        got[ngot] = *ev;
        if (ev->tracking_id) {
            memcpy(got_tid[ngot], ev->tracking_id, 33);
            got[ngot].tracking_id = got_tid[ngot];
        }
        got[ngot].people = NULL; /* not kept past the callback */
        ngot++;
    }
    return 0;
}

static spatia_event_cfg ev_cfg(spatia_event_kind k, double thr)
{
    spatia_event_cfg e;
    memset(&e, 0, sizeof e);
    e.kind = k;
    e.output_frequency = 1;
    e.focus = SPATIA_FOCUS_BOTTOM_CENTER;
    e.has_threshold = 1;
    e.threshold = thr;
    return e;
}

static spatia_track mk_track(uint32_t num, spatia_track_state st, double fx,
                             double fy)
{
    spatia_track t;
    memset(&t, 0, sizeof t);
    t.num = num;
    id_hex(42, 1, num, t.id);
    t.state = st;
    /* a 40x100 box whose bottom centre is (fx, fy) */
    t.box.x1 = (float)(fx - 20);
    t.box.x2 = (float)(fx + 20);
    t.box.y1 = (float)(fy - 100);
    t.box.y2 = (float)fy;
    t.score = 0.9f;
    t.det_index = -1;
    return t;
}

static spatia_analytics *make(spatia_config *cfg)
{
    spatia_analytics_opts o;
    spatia_analytics *a = NULL;
    spatia_analytics_opts_default(&o);
    o.width = 1000;
    o.height = 1000;
    o.seed = 7;
    if (spatia_analytics_create(cfg, &o, &a))
        return NULL;
    ngot = 0;
    return a;
}

/* One confirmed track walking through points (x[i], y[i]), 100 ms apart. */
static void walk(spatia_analytics *a, const double *x, const double *y, int n)
{
    for (int i = 0; i < n; i++) {
        spatia_track t = mk_track(1, SPATIA_TRACK_CONFIRMED, x[i], y[i]);
        spatia_analytics_update(a, i, i * 100, &t, 1, collect, NULL);
    }
}

static int line_events(double sx, double sy, double ex, double ey,
                       const double *x, const double *y, int n, double thr,
                       spatia_status *first)
{
    spatia_event_cfg e = ev_cfg(SPATIA_EVENT_LINECROSSING, thr);
    spatia_line_cfg l = {"door", {sx, sy}, {ex, ey}, &e, 1};
    spatia_config cfg = {SPATIA_OP_CROSSINGLINE, NULL, 0, &l, 1};
    spatia_analytics *a = make(&cfg);
    if (!a)
        return -1;
    walk(a, x, y, n);
    spatia_analytics_destroy(a);
    if (first)
        *first = ngot ? got[0].status : SPATIA_STATUS_NONE;
    return ngot;
}

TEST(line_direction_all_four_orientations)
{
    double ys[] = {300, 400, 480, 520, 600, 700},
           xc[] = {500, 500, 500, 500, 500, 500};
    double xs[] = {300, 400, 480, 520, 600, 700};
    spatia_status st;

    /* left->right line, walking down: CrossRight (spec §17 item 4) */
    ASSERT_EQ(line_events(0, .5, 1, .5, xc, ys, 6, 0, &st), 1);
    ASSERT_EQ(st, SPATIA_STATUS_CROSS_RIGHT);
    /* right->left line, walking down: CrossLeft */
    ASSERT_EQ(line_events(1, .5, 0, .5, xc, ys, 6, 0, &st), 1);
    ASSERT_EQ(st, SPATIA_STATUS_CROSS_LEFT);
    /* top->bottom line, walking right: the walker goes from the observer's
     * right (screen left, facing down) to the left: CrossLeft */
    ASSERT_EQ(line_events(.5, 0, .5, 1, xs, xc, 6, 0, &st), 1);
    ASSERT_EQ(st, SPATIA_STATUS_CROSS_LEFT);
    /* bottom->top line, walking right: CrossRight */
    ASSERT_EQ(line_events(.5, 1, .5, 0, xs, xc, 6, 0, &st), 1);
    ASSERT_EQ(st, SPATIA_STATUS_CROSS_RIGHT);
    /* walking up across a left->right line: CrossLeft */
    double up[] = {700, 600, 520, 480, 400, 300};
    ASSERT_EQ(line_events(0, .5, 1, .5, xc, up, 6, 0, &st), 1);
    ASSERT_EQ(st, SPATIA_STATUS_CROSS_LEFT);
}

TEST(line_extension_does_not_count)
{
    double ys[] = {300, 400, 480, 520, 600, 700};
    double x9[] = {900, 900, 900, 900, 900, 900};
    /* the segment spans x 0..500; crossing at x=900 is on its extension */
    ASSERT_EQ(line_events(0, .5, .5, .5, x9, ys, 6, 0, NULL), 0);
}

TEST(line_hysteresis_counts_jitter_once)
{
    /* 16 px threshold; the bottom centre jitters +-10 px around the line
     * for many frames, then really crosses, then jitters again */
    double x[40], y[40];
    int n = 0;
    for (int i = 0; i < 5; i++)
        x[n] = 500, y[n++] = 400 + 10 * i; /* approach from above */
    for (int i = 0; i < 15; i++)
        x[n] = 500, y[n++] = 500 + ((i & 1) ? 10 : -10);
    for (int i = 0; i < 5; i++)
        x[n] = 500, y[n++] = 520 + 10 * i; /* leave below */
    for (int i = 0; i < 10; i++)
        x[n] = 500, y[n++] = 500 + ((i & 1) ? 12 : -12);
    ASSERT_EQ(line_events(0, .5, 1, .5, x, y, n, 16, NULL), 1);
    /* without a threshold the same walk flickers into many events */
    ASSERT(line_events(0, .5, 1, .5, x, y, n, 0, NULL) > 5);
    /* a fraction of the width: 0.016 * 1000 = 16 px behaves the same */
    ASSERT_EQ(line_events(0, .5, 1, .5, x, y, n, 0.016, NULL), 1);
}

static spatia_point sqp[5] = {{.3, .3}, {.3, .9}, {.6, .9}, {.6, .3}};

TEST(zone_enter_exit_sides_and_dwell)
{
    spatia_event_cfg ev[2] = {ev_cfg(SPATIA_EVENT_ZONECROSSING, 0),
                              ev_cfg(SPATIA_EVENT_ZONEDWELLTIME, 0)};
    spatia_zone_cfg z = {"queue", sqp, 4, ev, 2, 0, 0};
    spatia_config cfg = {SPATIA_OP_CROSSINGPOLYGON, &z, 1, NULL, 0};
    spatia_analytics *a = make(&cfg);
    ASSERT(a);
    /* enter across side 1 (x = 300) at frame 2, exit across side 3
     * (x = 600) at frame 8 */
    double x[] = {100, 200, 350, 400, 450, 500, 550, 590, 650, 700};
    double y[10];
    for (int i = 0; i < 10; i++)
        y[i] = 600;
    walk(a, x, y, 10);
    ASSERT_EQ(ngot, 3);
    ASSERT_EQ(got[0].type, SPATIA_EV_ZONE_ENTER_EXIT);
    ASSERT_EQ(got[0].status, SPATIA_STATUS_ENTER);
    ASSERT_EQ(got[0].side, 1);
    ASSERT_EQ(got[1].type, SPATIA_EV_ZONE_ENTER_EXIT);
    ASSERT_EQ(got[1].status, SPATIA_STATUS_EXIT);
    ASSERT_EQ(got[1].side, 3);
    ASSERT_EQ(got[2].type, SPATIA_EV_ZONE_DWELL);
    ASSERT_EQ(got[2].status, SPATIA_STATUS_EXIT);
    ASSERT_EQ(got[2].side, 3);
    ASSERT_NEAR(got[2].dwell_ms, 600, 1e-9); /* 800 ms - 200 ms */
    ASSERT_EQ(got[2].dwell_frames, 6);
    ASSERT_STREQ(got[0].zone, "queue");
    spatia_analytics_destroy(a);
}

TEST(zone_appear_and_vanish_inside_have_empty_side)
{
    spatia_event_cfg ev[2] = {ev_cfg(SPATIA_EVENT_ZONECROSSING, 0),
                              ev_cfg(SPATIA_EVENT_ZONEDWELLTIME, 0)};
    spatia_zone_cfg z = {"queue", sqp, 4, ev, 2, 0, 0};
    spatia_config cfg = {SPATIA_OP_CROSSINGPOLYGON, &z, 1, NULL, 0};
    spatia_analytics *a = make(&cfg);
    ASSERT(a);
    for (int i = 0; i < 5; i++) {
        spatia_track t = mk_track(3, SPATIA_TRACK_CONFIRMED, 450, 600);
        spatia_analytics_update(a, i, i * 100, &t, 1, collect, NULL);
    }
    ASSERT_EQ(ngot, 1);
    ASSERT_EQ(got[0].status, SPATIA_STATUS_ENTER);
    ASSERT_EQ(got[0].side, 0);
    /* lost for a while (no event), then removed: Exit with side "" */
    spatia_track t = mk_track(3, SPATIA_TRACK_LOST, 450, 600);
    spatia_analytics_update(a, 5, 500, &t, 1, collect, NULL);
    ASSERT_EQ(ngot, 1);
    t.state = SPATIA_TRACK_REMOVED;
    spatia_analytics_update(a, 6, 600, &t, 1, collect, NULL);
    ASSERT_EQ(ngot, 3);
    ASSERT_EQ(got[1].status, SPATIA_STATUS_EXIT);
    ASSERT_EQ(got[1].side, 0);
    ASSERT_EQ(got[2].type, SPATIA_EV_ZONE_DWELL);
    ASSERT_NEAR(got[2].dwell_ms, 400, 1e-9); /* last seen at 400 ms */
    ASSERT_EQ(got[2].dwell_frames, 4);
    spatia_analytics_destroy(a);
}

TEST(zone_threshold_hysteresis)
{
    spatia_event_cfg ev = ev_cfg(SPATIA_EVENT_ZONECROSSING, 20);
    spatia_zone_cfg z = {"queue", sqp, 4, &ev, 1, 0, 0};
    spatia_config cfg = {SPATIA_OP_CROSSINGPOLYGON, &z, 1, NULL, 0};
    spatia_analytics *a = make(&cfg);
    ASSERT(a);
    /* hovering +-15 px around the left edge never enters */
    double x[30], y[30];
    for (int i = 0; i < 30; i++) {
        x[i] = i < 2 ? 200 : 300 + ((i & 1) ? 15 : -15);
        y[i] = 600;
    }
    walk(a, x, y, 30);
    ASSERT_EQ(ngot, 0);
    /* then it goes in and jitters near the edge: one Enter only */
    for (int i = 0; i < 30; i++)
        x[i] = i < 3 ? 300 + 30 * i : 330 + ((i & 1) ? 12 : -12);
    walk(a, x, y, 30);
    ASSERT_EQ(ngot, 1);
    ASSERT_EQ(got[0].status, SPATIA_STATUS_ENTER);
    ASSERT_EQ(got[0].side, 1);
    spatia_analytics_destroy(a);
}

TEST(count_initial_then_on_change_and_output_frequency)
{
    spatia_event_cfg ev = ev_cfg(SPATIA_EVENT_COUNT, 0);
    spatia_zone_cfg z = {"lobby", sqp, 4, &ev, 1, 0, 0};
    spatia_config cfg = {SPATIA_OP_PERSONCOUNT, &z, 1, NULL, 0};
    /* people inside per frame: 0 0 1 1 2 2 2 1 1 0 */
    const int inside[10] = {0, 0, 1, 1, 2, 2, 2, 1, 1, 0};
    for (int freq = 1; freq <= 2; freq++) {
        ev.output_frequency = freq;
        spatia_analytics *a = make(&cfg);
        ASSERT(a);
        for (int f = 0; f < 10; f++) {
            spatia_track t[2];
            for (int k = 0; k < 2; k++)
                t[k] = mk_track((uint32_t)k + 1, SPATIA_TRACK_CONFIRMED,
                                k < inside[f] ? 450 : 100, 600);
            spatia_analytics_update(a, f, f * 100, t, 2, collect, NULL);
        }
        /* counts 0,1,2,1,0: initial + 4 changes = 5 qualifying events */
        if (freq == 1) {
            ASSERT_EQ(ngot, 5);
            const int want[5] = {0, 1, 2, 1, 0};
            for (int i = 0; i < 5; i++) {
                ASSERT_EQ(got[i].type, SPATIA_EV_PERSON_COUNT);
                ASSERT_EQ(got[i].person_count, want[i]);
                ASSERT_EQ(got[i].npeople, want[i]);
                ASSERT_EQ(got[i].trigger, SPATIA_TRIGGER_EVENT);
            }
        } else {
            /* the 1st, 3rd and 5th */
            ASSERT_EQ(ngot, 3);
            ASSERT_EQ(got[0].person_count, 0);
            ASSERT_EQ(got[1].person_count, 2);
            ASSERT_EQ(got[2].person_count, 0);
        }
        spatia_analytics_destroy(a);
    }
}

TEST(count_interval_trigger)
{
    spatia_event_cfg ev = ev_cfg(SPATIA_EVENT_COUNT, 0);
    ev.trigger = SPATIA_TRIGGER_INTERVAL;
    spatia_zone_cfg z = {"lobby", sqp, 4, &ev, 1, 0, 0};
    spatia_config cfg = {SPATIA_OP_PERSONCOUNT, &z, 1, NULL, 0};
    spatia_analytics *a = make(&cfg);
    ASSERT(a);
    /* 35 frames 100 ms apart = 3.4 s: ticks at 0, 1000, 2000, 3000 ms */
    for (int f = 0; f < 35; f++) {
        spatia_track t = mk_track(1, SPATIA_TRACK_CONFIRMED, 450, 600);
        spatia_analytics_update(a, f, f * 100, &t, 1, collect, NULL);
    }
    ASSERT_EQ(ngot, 4);
    for (int i = 0; i < 4; i++) {
        ASSERT_EQ(got[i].person_count, 1);
        ASSERT_EQ(got[i].trigger, SPATIA_TRIGGER_INTERVAL);
    }
    spatia_analytics_destroy(a);
}

TEST(unconfirmed_tracks_do_not_count)
{
    spatia_event_cfg e = ev_cfg(SPATIA_EVENT_LINECROSSING, 0);
    spatia_line_cfg l = {"door", {0, .5}, {1, .5}, &e, 1};
    spatia_config cfg = {SPATIA_OP_CROSSINGLINE, NULL, 0, &l, 1};
    spatia_analytics *a = make(&cfg);
    ASSERT(a);
    for (int i = 0; i < 6; i++) {
        spatia_track t = mk_track(0, SPATIA_TRACK_TENTATIVE, 500, 300 + 80 * i);
        spatia_analytics_update(a, i, i * 100, &t, 1, collect, NULL);
    }
    ASSERT_EQ(ngot, 0);
    spatia_analytics_destroy(a);
}

TEST(invalid_arguments)
{
    spatia_config cfg = {SPATIA_OP_PERSONCOUNT, NULL, 0, NULL, 0};
    spatia_analytics_opts o;
    spatia_analytics *a = NULL;
    spatia_analytics_opts_default(&o);
    ASSERT_EQ(spatia_analytics_create(&cfg, &o, &a), SPATIA_EINVAL);
    spatia_analytics_destroy(NULL);
}

TEST_MAIN(T(line_side_sign_convention),
          T(points_on_vertices_and_edges_are_inside), T(concave_polygon),
          T(self_intersecting_polygon), T(crossed_side_is_first_edge_hit),
          T(line_direction_all_four_orientations),
          T(line_extension_does_not_count),
          T(line_hysteresis_counts_jitter_once),
          T(zone_enter_exit_sides_and_dwell),
          T(zone_appear_and_vanish_inside_have_empty_side),
          T(zone_threshold_hysteresis),
          T(count_initial_then_on_change_and_output_frequency),
          T(count_interval_trigger), T(unconfirmed_tracks_do_not_count),
          T(invalid_arguments))
