/* test_track.c - Kalman filter, BYTE association, track life cycle, ids. */
#include <ctype.h>
#include <stdint.h>

#include "spatia/error.h"
#include "spatia/eval.h"
#include "spatia/track.h"
#include "test.h"
#include "track/kf.h"

static spatia_detection det(double cx, double cy, double w, double h,
                            float score)
{
    spatia_detection d;
    d.box.x1 = (float)(cx - w / 2);
    d.box.y1 = (float)(cy - h / 2);
    d.box.x2 = (float)(cx + w / 2);
    d.box.y2 = (float)(cy + h / 2);
    d.score = score;
    d.cls = 0;
    return d;
}

static spatia_tracker *make(int min_hits, uint64_t seed)
{
    spatia_tracker_params p;
    spatia_tracker *t = NULL;
    spatia_tracker_params_default(&p);
    p.min_hits = min_hits;
    p.id_seed = seed;
    if (spatia_tracker_create(&p, &t) != SPATIA_OK)
        return NULL;
    return t;
}

/* The reported track whose det_index is j, or NULL. */
static const spatia_track *by_det(const spatia_track *tr, int n, int j)
{
    for (int i = 0; i < n; i++)
        if (tr[i].det_index == j)
            return &tr[i];
    return NULL;
}

static const spatia_track *by_num(const spatia_track *tr, int n, uint32_t num)
{
    for (int i = 0; i < n; i++)
        if (tr[i].num == num)
            return &tr[i];
    return NULL;
}

TEST(kf_cholesky)
{
    const double a[16] = {4,   2, 0.4, 0,   2, 5,   1,   0.5,
                          0.4, 1, 3,   0.2, 0, 0.5, 0.2, 2};
    double l[16];
    ASSERT_EQ(kf_chol4(a, l), 0);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            double s = 0;
            for (int k = 0; k < 4; k++)
                s += l[i * 4 + k] * l[j * 4 + k];
            ASSERT_NEAR(s, a[i * 4 + j], 1e-12);
            if (j > i)
                ASSERT_EQ(l[i * 4 + j], 0);
        }
    const double bad[16] = {1, 2, 0, 0, 2, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    ASSERT_EQ(kf_chol4(bad, l), -1);
}

TEST(kf_constant_velocity)
{
    kf_noise n = {1.0 / 20, 1.0 / 160, 1.0 / 20};
    kf_state s;
    const double vx = 6, vy = -3, vw = 0.2, vh = 0.5;
    double z[4] = {100, 300, 40, 100};
    kf_init(&s, &n, z);
    double prev_err = 1e9;
    for (int f = 1; f <= 16; f++) {
        kf_predict(&s, &n);
        /* the error shrinks with every update... */
        double err = fabs(s.x[0] - (100 + vx * f));
        ASSERT(err < prev_err);
        prev_err = err;
        /* ...and the prediction is within 1 px after a few updates (the
         * speed, 15% of the width per frame, is fast for a walker) */
        if (f >= 8) {
            ASSERT_NEAR(s.x[0], 100 + vx * f, 1.0);
            ASSERT_NEAR(s.x[1], 300 + vy * f, 1.0);
            ASSERT_NEAR(s.x[2], 40 + vw * f, 1.0);
            ASSERT_NEAR(s.x[3], 100 + vh * f, 1.0);
        }
        double m[4] = {100 + vx * f, 300 + vy * f, 40 + vw * f, 100 + vh * f};
        ASSERT_EQ(kf_update(&s, &n, m), 0);
    }
    ASSERT_NEAR(s.x[4], vx, 0.3);
    ASSERT_NEAR(s.x[5], vy, 0.3);
    /* coasting three frames without measurements stays on the line */
    for (int f = 17; f <= 19; f++)
        kf_predict(&s, &n);
    ASSERT_NEAR(s.x[0], 100 + vx * 19, 2.0);
    ASSERT_NEAR(s.x[1], 300 + vy * 19, 2.0);
    /* covariance stays symmetric with a positive diagonal */
    for (int i = 0; i < 8; i++) {
        ASSERT(s.P[i * 8 + i] > 0);
        for (int j = 0; j < 8; j++)
            ASSERT_NEAR(s.P[i * 8 + j], s.P[j * 8 + i], 1e-9);
    }
}

TEST(kf_degenerate_box)
{
    kf_noise n = {1.0 / 20, 1.0 / 160, 1.0 / 20};
    kf_state s;
    double z[4] = {10, 10, 0, -5};
    kf_init(&s, &n, z);
    ASSERT(s.x[2] >= 1 && s.x[3] >= 1);
    for (int f = 0; f < 20; f++) {
        kf_predict(&s, &n);
        ASSERT_EQ(kf_update(&s, &n, z), 0);
        ASSERT(s.x[2] >= 1 && s.x[3] >= 1);
        ASSERT(isfinite(s.x[0]) && isfinite(s.P[0]));
    }
}

/* Two people walk towards each other on nearly the same row, overlap fully
 * for a few frames and walk on; each keeps its num. */
TEST(crossing_keeps_ids)
{
    spatia_tracker *t = make(3, 42);
    const spatia_track *tr;
    int nt;
    uint32_t num_a = 0, num_b = 0;
    ASSERT(t);
    for (int f = 0; f < 60; f++) {
        spatia_detection d[2] = {det(100 + 8 * f, 300, 40, 100, 0.9f),
                                 det(580 - 8 * f, 306, 40, 100, 0.9f)};
        ASSERT_OK(spatia_tracker_update(t, d, 2, f, f * 100LL, &tr, &nt));
        if (f < 2)
            continue;
        const spatia_track *a = by_det(tr, nt, 0), *b = by_det(tr, nt, 1);
        ASSERT(a && b);
        ASSERT_EQ(a->state, SPATIA_TRACK_CONFIRMED);
        ASSERT_EQ(b->state, SPATIA_TRACK_CONFIRMED);
        if (f == 2) {
            num_a = a->num;
            num_b = b->num;
            ASSERT(num_a != num_b);
        }
        ASSERT_EQ(a->num, num_a);
        ASSERT_EQ(b->num, num_b);
    }
    ASSERT(num_a > 0 && num_b > 0);
    /* the KF velocity is reported in px per frame */
    const spatia_track *a = by_num(tr, nt, num_a);
    ASSERT(a);
    ASSERT_NEAR(a->vx, 8, 0.5);
    ASSERT_NEAR(a->vy, 0, 0.5);
    spatia_tracker_destroy(t);
}

/* Runs one walker that is invisible in frames [gap_from, gap_to); returns
 * the number of REMOVED reports and the set of nums seen. */
static void run_gap(int gap_from, int gap_to, int frames, int *removed,
                    uint32_t *first_num, uint32_t *last_num, int *lost_seen)
{
    spatia_tracker *t = make(3, 7);
    const spatia_track *tr;
    int nt;
    *removed = 0;
    *first_num = *last_num = 0;
    *lost_seen = 0;
    for (int f = 0; f < frames; f++) {
        spatia_detection d = det(100 + 2 * f, 300, 40, 100, 0.9f);
        int vis = f < gap_from || f >= gap_to;
        if (spatia_tracker_update(t, &d, vis, f, f * 100LL, &tr, &nt)) {
            *removed = -1000;
            break;
        }
        for (int i = 0; i < nt; i++) {
            if (tr[i].state == SPATIA_TRACK_REMOVED)
                (*removed)++;
            if (tr[i].state == SPATIA_TRACK_LOST)
                (*lost_seen)++;
            if (tr[i].state == SPATIA_TRACK_CONFIRMED) {
                if (!*first_num)
                    *first_num = tr[i].num;
                *last_num = tr[i].num;
            }
        }
    }
    spatia_tracker_destroy(t);
}

TEST(short_gap_keeps_id)
{
    int removed, lost;
    uint32_t a, b;
    /* 8 frames missing = 800 ms < 4000 ms ttl */
    run_gap(10, 18, 40, &removed, &a, &b, &lost);
    ASSERT_EQ(removed, 0);
    ASSERT_EQ(lost, 8);
    ASSERT_EQ(a, 1);
    ASSERT_EQ(b, 1);
}

TEST(long_gap_new_id_and_one_removal)
{
    int removed, lost;
    uint32_t a, b;
    /* 60 frames missing = 6000 ms > 4000 ms ttl */
    run_gap(10, 70, 90, &removed, &a, &b, &lost);
    ASSERT_EQ(removed, 1);
    ASSERT_EQ(a, 1);
    ASSERT_EQ(b, 2);
    /* lost from frame 10 until the removal after 4000 ms of pts */
    ASSERT(lost >= 39 && lost <= 41);
}

TEST(removal_follows_pts)
{
    spatia_tracker_params p;
    spatia_tracker *t = NULL;
    const spatia_track *tr;
    int nt, removed_at = -1;
    spatia_tracker_params_default(&p);
    p.lost_ttl_ms = 1000;
    p.id_seed = 3;
    ASSERT_OK(spatia_tracker_create(&p, &t));
    for (int f = 0; f < 40; f++) {
        spatia_detection d = det(200, 200, 50, 120, 0.9f);
        /* 40 ms frames: 1000 ms is 25 frames */
        ASSERT_OK(spatia_tracker_update(t, &d, f < 5, f, f * 40LL, &tr, &nt));
        for (int i = 0; i < nt; i++)
            if (tr[i].state == SPATIA_TRACK_REMOVED) {
                ASSERT_EQ(removed_at, -1);
                removed_at = f;
                ASSERT_EQ(tr[i].num, 1);
                ASSERT_EQ(tr[i].last_frame, 4);
            }
        if (removed_at >= 0 && f > removed_at)
            ASSERT_EQ(nt, 0);
    }
    /* last match at 160 ms; removed at the first pts more than 1000 ms
     * later: 1200 ms = frame 30 */
    ASSERT_EQ(removed_at, 30);
    spatia_tracker_destroy(t);
}

TEST(low_score_continues_never_starts)
{
    spatia_tracker *t = make(3, 9);
    const spatia_track *tr;
    int nt;
    ASSERT(t);
    for (int f = 0; f < 30; f++) {
        spatia_detection d[3] = {
            det(100 + 3 * f, 200, 40, 100, f < 5 ? 0.9f : 0.3f),
            det(500, 200, 40, 100, 0.3f),  /* low, alone: never a track */
            det(500, 400, 40, 100, 0.55f), /* high but below new_track */
        };
        ASSERT_OK(spatia_tracker_update(t, d, 3, f, f * 100LL, &tr, &nt));
        ASSERT(by_det(tr, nt, 1) == NULL);
        ASSERT(by_det(tr, nt, 2) == NULL);
        if (f >= 2) {
            const spatia_track *a = by_det(tr, nt, 0);
            ASSERT(a);
            ASSERT_EQ(a->num, 1);
            ASSERT_EQ(a->state, SPATIA_TRACK_CONFIRMED);
            ASSERT_NEAR(a->score, f < 5 ? 0.9f : 0.3f, 1e-6);
        }
        ASSERT_EQ(nt, 1);
    }
    /* a lost track is not picked up by a low box (second pass only serves
     * tracks matched in the previous frame) */
    for (int f = 30; f < 33; f++)
        ASSERT_OK(spatia_tracker_update(t, NULL, 0, f, f * 100LL, &tr, &nt));
    spatia_detection lo = det(100 + 3 * 33, 200, 40, 100, 0.3f);
    ASSERT_OK(spatia_tracker_update(t, &lo, 1, 33, 3300, &tr, &nt));
    ASSERT_EQ(nt, 1);
    ASSERT_EQ(tr[0].state, SPATIA_TRACK_LOST);
    ASSERT_EQ(tr[0].det_index, -1);
    spatia_detection hi = det(100 + 3 * 34, 200, 40, 100, 0.8f);
    ASSERT_OK(spatia_tracker_update(t, &hi, 1, 34, 3400, &tr, &nt));
    ASSERT_EQ(nt, 1);
    ASSERT_EQ(tr[0].state, SPATIA_TRACK_CONFIRMED);
    ASSERT_EQ(tr[0].num, 1);
    spatia_tracker_destroy(t);
}

TEST(confirmation_and_gapless_nums)
{
    spatia_tracker *t = make(3, 11);
    const spatia_track *tr;
    int nt;
    uint32_t max_num = 0;
    ASSERT(t);
    /* person k (0..5) appears at frame 4k; odd ones vanish after 2 frames
     * (tentative only), even ones stay. */
    for (int f = 0; f < 30; f++) {
        spatia_detection d[6];
        int nd = 0;
        for (int k = 0; k < 6; k++) {
            int age = f - 4 * k;
            if (age < 0 || (k % 2 && age >= 2))
                continue;
            d[nd++] = det(60 + 110 * k, 200 + f, 40, 100, 0.9f);
        }
        ASSERT_OK(spatia_tracker_update(t, d, nd, f, f * 100LL, &tr, &nt));
        for (int i = 0; i < nt; i++) {
            if (tr[i].state == SPATIA_TRACK_TENTATIVE) {
                ASSERT_EQ(tr[i].num, 0);
                ASSERT_EQ(tr[i].id[0], '\0');
                ASSERT(tr[i].hits < 3);
            } else {
                ASSERT(tr[i].num >= 1);
                ASSERT(tr[i].hits >= 3);
                ASSERT_EQ(strlen(tr[i].id), 32);
                if (tr[i].num > max_num) {
                    /* new nums come in order, without gaps */
                    ASSERT_EQ(tr[i].num, max_num + 1);
                    ASSERT_EQ(tr[i].hits, 3);
                    max_num = tr[i].num;
                }
            }
        }
    }
    ASSERT_EQ(max_num, 3); /* persons 0, 2, 4 */
    spatia_tracker_destroy(t);
}

TEST(min_hits_one_confirms_at_once)
{
    spatia_tracker *t = make(1, 5);
    const spatia_track *tr;
    int nt;
    spatia_detection d = det(100, 100, 30, 80, 0.9f);
    ASSERT(t);
    ASSERT_OK(spatia_tracker_update(t, &d, 1, 0, 0, &tr, &nt));
    ASSERT_EQ(nt, 1);
    ASSERT_EQ(tr[0].state, SPATIA_TRACK_CONFIRMED);
    ASSERT_EQ(tr[0].num, 1);
    spatia_tracker_destroy(t);
}

static int is_hex32(const char *s)
{
    if (strlen(s) != 32)
        return 0;
    for (int i = 0; i < 32; i++)
        if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
            return 0;
    return 1;
}

/* Ids of the first `k` confirmed tracks of a fixed scene. */
static int collect_ids(uint64_t seed, char ids[][33], int k)
{
    spatia_tracker *t = make(2, seed);
    const spatia_track *tr;
    int nt, got = 0;
    if (!t)
        return -1;
    for (int f = 0; f < 5; f++) {
        spatia_detection d[4];
        for (int j = 0; j < 4; j++)
            d[j] = det(80 + 150 * j, 200, 40, 100, 0.9f);
        if (spatia_tracker_update(t, d, 4, f, f * 100LL, &tr, &nt))
            break;
    }
    for (int i = 0; i < nt && got < k; i++)
        if (tr[i].num >= 1 && (int)tr[i].num <= k) {
            memcpy(ids[tr[i].num - 1], tr[i].id, 33);
            got++;
        }
    spatia_tracker_destroy(t);
    return got;
}

TEST(ids_are_seeded_hex)
{
    char a[4][33], b[4][33], c[4][33], r1[4][33], r2[4][33];
    ASSERT_EQ(collect_ids(1234, a, 4), 4);
    ASSERT_EQ(collect_ids(1234, b, 4), 4);
    ASSERT_EQ(collect_ids(1235, c, 4), 4);
    ASSERT_EQ(collect_ids(0, r1, 4), 4);
    ASSERT_EQ(collect_ids(0, r2, 4), 4);
    for (int i = 0; i < 4; i++) {
        ASSERT(is_hex32(a[i]));
        ASSERT(is_hex32(r1[i]));
        ASSERT_STREQ(a[i], b[i]);
        ASSERT(strcmp(a[i], c[i]) != 0);
        ASSERT(strcmp(r1[i], r2[i]) != 0); /* random seeds differ */
        for (int j = 0; j < i; j++) {
            ASSERT(strcmp(a[i], a[j]) != 0);
            /* halves are not shared between consecutive nums */
            ASSERT(strncmp(a[i], a[j] + 16, 16) != 0);
            ASSERT(strncmp(a[j], a[i] + 16, 16) != 0);
        }
    }
}

TEST(invalid_params)
{
    spatia_tracker_params p;
    spatia_tracker *t = (spatia_tracker *)&p;
    ASSERT_EQ(spatia_tracker_create(NULL, &t), SPATIA_EINVAL);
    ASSERT(t == NULL);
    spatia_tracker_params_default(&p);
    ASSERT_EQ(spatia_tracker_create(&p, NULL), SPATIA_EINVAL);

#define BAD(stmt)                                                              \
    do {                                                                       \
        spatia_tracker_params_default(&p);                                     \
        stmt;                                                                  \
        ASSERT_MSG(spatia_tracker_create(&p, &t) == SPATIA_EINVAL,             \
                   "accepted: %s", #stmt);                                     \
        ASSERT(t == NULL);                                                     \
    } while (0)
    BAD(p.low_thresh = 0.6f); /* above high_thresh */
    BAD(p.high_thresh = 1.5f);
    BAD(p.low_thresh = -0.1f);
    BAD(p.new_track_thresh = NAN);
    BAD(p.match_iou = 0);
    BAD(p.low_match_iou = 1.2f);
    BAD(p.min_hits = 0);
    BAD(p.lost_ttl_ms = -1);
    BAD(p.std_pos = 0);
    BAD(p.std_vel = -1);
    BAD(p.std_meas = INFINITY);
    BAD(p.coast_frames = -1);
#undef BAD

    spatia_tracker_params_default(&p);
    ASSERT_OK(spatia_tracker_create(&p, &t));
    const spatia_track *tr;
    int nt;
    spatia_detection d = det(10, 10, 5, 5, 0.9f);
    ASSERT_EQ(spatia_tracker_update(t, NULL, 1, 0, 0, &tr, &nt), SPATIA_EINVAL);
    ASSERT_EQ(spatia_tracker_update(t, &d, -1, 0, 0, &tr, &nt), SPATIA_EINVAL);
    ASSERT_EQ(spatia_tracker_update(t, &d, 1, 0, 0, NULL, &nt), SPATIA_EINVAL);
    ASSERT_EQ(spatia_tracker_update(NULL, &d, 1, 0, 0, &tr, &nt),
              SPATIA_EINVAL);
    spatia_tracker_destroy(t);
    spatia_tracker_destroy(NULL);
}

TEST(bad_boxes_are_harmless)
{
    spatia_tracker *t = make(1, 2);
    const spatia_track *tr;
    int nt;
    ASSERT(t);
    for (int f = 0; f < 5; f++) {
        spatia_detection d[3] = {det(50, 50, 0, 0, 0.9f),
                                 det(100, 100, 20, 40, NAN),
                                 det(200, 200, 20, 40, 0.9f)};
        d[1].box.x1 = NAN;
        ASSERT_OK(spatia_tracker_update(t, d, 3, f, f * 100LL, &tr, &nt));
        ASSERT(by_det(tr, nt, 1) == NULL);
        const spatia_track *ok = by_det(tr, nt, 2);
        ASSERT(ok && ok->num >= 1);
        for (int i = 0; i < nt; i++)
            ASSERT(isfinite(tr[i].box.x1) && isfinite(tr[i].vx));
    }
    spatia_tracker_destroy(t);
}

TEST(coasting_flag)
{
    spatia_tracker_params p;
    spatia_tracker *t = NULL;
    const spatia_track *tr;
    int nt;
    spatia_tracker_params_default(&p);
    p.coast_frames = 2;
    p.id_seed = 1;
    ASSERT_OK(spatia_tracker_create(&p, &t));
    for (int f = 0; f < 25; f++) {
        spatia_detection d = det(100 + 3 * f, 200, 40, 100, 0.9f);
        ASSERT_OK(spatia_tracker_update(t, &d, f < 20, f, f * 100LL, &tr, &nt));
        ASSERT_EQ(nt, 1);
        if (f < 20) {
            ASSERT_EQ(tr[0].coasting, 0);
            ASSERT_EQ(tr[0].missed, 0);
        } else {
            ASSERT_EQ(tr[0].state, SPATIA_TRACK_LOST);
            ASSERT_EQ(tr[0].missed, f - 19);
            ASSERT_EQ(tr[0].coasting, f - 19 <= 2);
            /* the predicted box keeps moving with the target */
            double cx = 0.5 * (tr[0].box.x1 + tr[0].box.x2);
            ASSERT_NEAR(cx, 100 + 3 * f, 2.0);
        }
    }
    spatia_tracker_destroy(t);
}

/* Once the tracker has seen its largest frame, the returned array is the
 * same buffer every update (no reallocation). */
TEST(no_realloc_after_warmup)
{
    spatia_tracker *t = make(3, 8);
    const spatia_track *tr, *first = NULL;
    int nt;
    spatia_detection d[20];
    ASSERT(t);
    for (int f = 0; f < 40; f++) {
        int nd = f < 5 ? 20 : 10 + f % 7;
        for (int j = 0; j < nd; j++)
            d[j] = det(30 + 36 * j, 200 + f, 30, 80, 0.9f);
        ASSERT_OK(spatia_tracker_update(t, d, nd, f, f * 100LL, &tr, &nt));
        if (f == 5)
            first = tr;
        if (f > 5)
            ASSERT(tr == first);
    }
    spatia_tracker_destroy(t);
}

/* ---- end to end on PETS09-S2L1 ground truth used as detections --------- */

static uint64_t sm_state;
/* splitmix64 (Steele et al.), uniform in [0, 1) with 53 bits */
static double urand(void)
{
    uint64_t z = (sm_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

/*
 * Feeds the ground truth frame by frame to a tracker as detections and
 * writes its output as MOT rows. Degradation, with the rows visited in file
 * order of spatia_mot_load() (frame, then id) and one splitmix64 stream seeded
 * with `seed`: a row is dropped when a draw u < drop; a kept row with jitter j
 * > 0 gets, with fresh draws u1..u4 and the row's own w, h: x += (2 u1 - 1) j
 * w,  y += (2 u2 - 1) j h, w += (2 u3 - 1) j w,  h += (2 u4 - 1) j h, i.e. each
 * of x, y, w, h moves by up to +-j of the box width (x, w) or height (y, h),
 * uniformly. The conf column is the score (conf 0 rows get score 0 and are
 * dropped by low_thresh). Frame f has pts (f-1)*100 ms. Written rows: CONFIRMED
 * tracks (box = detection), and LOST tracks flagged `coasting` (box = Kalman
 * prediction).
 */
static int track_gt(const spatia_mot_seq *gt, const spatia_tracker_params *p,
                    double drop, double jitter, uint64_t seed,
                    spatia_mot_seq *out)
{
    spatia_tracker *t = NULL;
    spatia_detection *d = NULL;
    int rc, i = 0;

    sm_state = seed;
    if ((rc = spatia_tracker_create(p, &t)))
        return rc;
    d = malloc((size_t)(gt->n > 0 ? gt->n : 1) * sizeof *d);
    if (!d) {
        rc = SPATIA_NOMEM;
        goto done;
    }
    for (int f = 1; f <= gt->max_frame; f++) {
        int nd = 0, nt;
        const spatia_track *tr;
        for (; i < gt->n && gt->rows[i].frame <= f; i++) {
            const spatia_mot_row *r = &gt->rows[i];
            if (r->frame < f) { /* not sorted */
                rc = SPATIA_PARSE;
                goto done;
            }
            if (drop > 0 && urand() < drop)
                continue;
            double x = r->x, y = r->y, w = r->w, h = r->h;
            if (jitter > 0) {
                x += (2 * urand() - 1) * jitter * r->w;
                y += (2 * urand() - 1) * jitter * r->h;
                w += (2 * urand() - 1) * jitter * r->w;
                h += (2 * urand() - 1) * jitter * r->h;
            }
            d[nd].box.x1 = (float)x;
            d[nd].box.y1 = (float)y;
            d[nd].box.x2 = (float)(x + w);
            d[nd].box.y2 = (float)(y + h);
            d[nd].score = r->conf;
            d[nd].cls = 0;
            nd++;
        }
        rc = spatia_tracker_update(t, d, nd, f - 1, (f - 1) * 100LL, &tr, &nt);
        if (rc)
            goto done;
        for (int k = 0; k < nt; k++) {
            if (tr[k].state != SPATIA_TRACK_CONFIRMED && !tr[k].coasting)
                continue;
            spatia_mot_row o = {f,
                                (int)tr[k].num,
                                tr[k].box.x1,
                                tr[k].box.y1,
                                tr[k].box.x2 - tr[k].box.x1,
                                tr[k].box.y2 - tr[k].box.y1,
                                tr[k].score};
            if ((rc = spatia_mot_add(out, &o)))
                goto done;
        }
    }
    rc = SPATIA_OK;
done:
    free(d);
    spatia_tracker_destroy(t);
    return rc;
}

static const char *pets_gt(char *buf, size_t len)
{
    return test_dataset("mot15/PETS09-S2L1/gt/gt.txt", buf, len);
}

static void report(const char *what, const spatia_tracker_params *p,
                   const spatia_mot_metrics *m)
{
    fprintf(stderr,
            "PETS09-S2L1 %s: MOTA %.2f IDF1 %.2f HOTA %.2f (FP %lld FN %lld "
            "IDSW %lld, %d ids; min_hits %d ttl %lld ms coast %d)\n",
            what, m->mota, m->idf1, m->hota, (long long)m->fp, (long long)m->fn,
            (long long)m->idsw, m->num_tr_ids, p->min_hits,
            (long long)p->lost_ttl_ms, p->coast_frames);
}

/* Tracks the PETS ground truth (degraded as track_gt() says) and scores
 * the output; returns SPATIA_OK and fills *m, or an error / 1 if the data
 * set is absent. */
static int pets_run(const spatia_tracker_params *p, double drop, double jitter,
                    uint64_t seed, spatia_mot_metrics *m)
{
    char path[1024];
    spatia_mot_seq gt = {0}, tr = {0};
    int rc;

    if (!pets_gt(path, sizeof path))
        return 1;
    rc = spatia_mot_load(path, &gt, NULL, 0);
    if (!rc)
        rc = track_gt(&gt, p, drop, jitter, seed, &tr);
    if (!rc)
        rc = spatia_eval_mot(&gt, &tr, m);
    spatia_mot_free(&gt);
    spatia_mot_free(&tr);
    return rc;
}

TEST(pets_clean_gt)
{
    spatia_mot_metrics m;
    spatia_tracker_params p;
    char path[1024];
    if (!pets_gt(path, sizeof path))
        TEST_SKIP("%s absent", path);
    spatia_tracker_params_default(&p);
    p.id_seed = 1;
    ASSERT_OK(pets_run(&p, 0, 0, 1, &m));
    report("clean GT", &p, &m);
    ASSERT(m.mota >= 95);
    ASSERT(m.idf1 >= 90);
}

/* 20% of the boxes dropped and +-5% jitter (track_gt()), fixed seed; with
 * the defaults, then with 2 frames of coasting. */
TEST(pets_degraded_gt)
{
    spatia_mot_metrics m;
    spatia_tracker_params p;
    char path[1024];
    if (!pets_gt(path, sizeof path))
        TEST_SKIP("%s absent", path);
    spatia_tracker_params_default(&p);
    p.id_seed = 1;
    ASSERT_OK(pets_run(&p, 0.20, 0.05, 0x5eed, &m));
    report("20% dropped, 5% jitter", &p, &m);
    ASSERT(m.mota >= 70);
    ASSERT(m.idf1 >= 70);
    p.coast_frames = 2;
    ASSERT_OK(pets_run(&p, 0.20, 0.05, 0x5eed, &m));
    report("20% dropped, 5% jitter", &p, &m);
    ASSERT(m.mota >= 70);
    ASSERT(m.idf1 >= 70);
}

TEST_MAIN(T(kf_cholesky), T(kf_constant_velocity), T(kf_degenerate_box),
          T(crossing_keeps_ids), T(short_gap_keeps_id),
          T(long_gap_new_id_and_one_removal), T(removal_follows_pts),
          T(low_score_continues_never_starts), T(confirmation_and_gapless_nums),
          T(min_hits_one_confirms_at_once), T(ids_are_seeded_hex),
          T(invalid_params), T(bad_boxes_are_harmless), T(coasting_flag),
          T(no_realloc_after_warmup), T(pets_clean_gt), T(pets_degraded_gt))
