/*
 * test_eval_mot.c - MOT file loading and the CLEAR / Identity / HOTA
 * metrics against cases worked out by hand (the arithmetic is in the
 * comments), plus checks on PETS09-S2L1's ground truth when
 * ../shared/datasets is present.
 *
 * Boxes used below (x, y, w, h), all 10 x 10 unless said otherwise:
 *   A = (0,0)  B = (100,0)  C = (300,300)  D = (500,0)
 * Distinct letters never overlap, so their IoU is 0; a box with itself has
 * IoU 1.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spatia/error.h"
#include "spatia/eval.h"
#include "test.h"

#define TOL 1e-9

typedef struct {
    double x, y, w, h;
} box;

static const box A = {0, 0, 10, 10}, B = {100, 0, 10, 10},
                 C = {300, 300, 10, 10}, D = {500, 0, 10, 10};

static int add_c(spatia_mot_seq *s, int frame, int id, box b, double conf)
{
    spatia_mot_row r = {frame, id, b.x, b.y, b.w, b.h, conf};
    return spatia_mot_add(s, &r);
}

static int add(spatia_mot_seq *s, int frame, int id, box b)
{
    return add_c(s, frame, id, b, 1.0);
}

/* Adds id `id` at box b for frames first..last. */
static int add_run(spatia_mot_seq *s, int id, box b, int first, int last)
{
    for (int f = first; f <= last; f++) {
        int rc = add(s, f, id, b);
        if (rc)
            return rc;
    }
    return SPATIA_OK;
}

/* ---------------------------------------------------------------------- */

TEST(perfect_tracker)
{
    /* gt: id 1 at A, id 2 at B, frames 1..5; tracker identical with other
     * ids. Every metric is 100: TP 10, no FP/FN/IDSW; HOTA potentials are
     * 1 per frame so alignment 5/(5+5-5) = 1, AssA = 1, DetA = 1. */
    spatia_mot_seq gt = {0}, tr = {0};
    spatia_mot_metrics m;
    ASSERT_OK(add_run(&gt, 1, A, 1, 5));
    ASSERT_OK(add_run(&gt, 2, B, 1, 5));
    ASSERT_OK(add_run(&tr, 70, A, 1, 5));
    ASSERT_OK(add_run(&tr, 80, B, 1, 5));
    ASSERT_OK(spatia_eval_mot(&gt, &tr, &m));
    ASSERT_EQ(m.tp, 10);
    ASSERT_EQ(m.fp, 0);
    ASSERT_EQ(m.fn, 0);
    ASSERT_EQ(m.idsw, 0);
    ASSERT_EQ(m.frag, 0);
    ASSERT_EQ(m.mt, 2);
    ASSERT_EQ(m.num_gt_ids, 2);
    ASSERT_EQ(m.num_tr_ids, 2);
    ASSERT_NEAR(m.mota, 100, TOL);
    ASSERT_NEAR(m.motp, 100, TOL);
    ASSERT_NEAR(m.idf1, 100, TOL);
    ASSERT_NEAR(m.hota, 100, TOL);
    ASSERT_NEAR(m.deta, 100, TOL);
    ASSERT_NEAR(m.assa, 100, TOL);
    ASSERT_NEAR(m.loca, 100, TOL);
    spatia_mot_free(&gt);
    spatia_mot_free(&tr);
}

TEST(misses_and_false_positives)
{
    /*
     * gt: id 1 at A frames 1..4, id 2 at B frames 1..4 (8 boxes).
     * tr: id 7 at A frames 1,2,4; id 8 at B frames 1,2; id 9 at C 1..3.
     *   f1: 2 matches + FP(9)   f2: same   f3: 0 matches, FN 2, FP(9)
     *   f4: 1 match (1-7), FN(2)
     * TP 5, FN 3, FP 3, IDSW 0 -> MOTA = (5 - 3 - 0) / 8 = 25 %.
     * Frag: id 1 matched f1,f2, missed f3, matched f4 -> 2 runs -> 1.
     * MT/PT/ML: id 1 3/4 = 0.75, id 2 2/4 = 0.5 -> both PT.
     * IDF1: pairs (1,7) 3 frames, (2,8) 2 -> IDTP 5; tracker boxes 8 ->
     *   IDFP 3, IDFN 3, IDF1 = 5 / (5 + 1.5 + 1.5) = 62.5 %, IDP = IDR =
     *   5/8 = 62.5 %.
     * HOTA (IoU is 0 or 1, all alphas equal): TP 5, FN 3, FP 3 ->
     *   DetA = 5/11. matches (1,7) = 3 with |gt 1| = 4, |tr 7| = 3:
     *   3/(4+3-3) = 3/4; (2,8) = 2: 2/(4+2-2) = 1/2.
     *   AssA = (3 * 3/4 + 2 * 1/2) / 5 = 3.25 / 5 = 0.65.
     *   HOTA = sqrt(5/11 * 0.65).
     */
    spatia_mot_seq gt = {0}, tr = {0};
    spatia_mot_metrics m;
    ASSERT_OK(add_run(&gt, 1, A, 1, 4));
    ASSERT_OK(add_run(&gt, 2, B, 1, 4));
    ASSERT_OK(add_run(&tr, 7, A, 1, 2));
    ASSERT_OK(add(&tr, 4, 7, A));
    ASSERT_OK(add_run(&tr, 8, B, 1, 2));
    ASSERT_OK(add_run(&tr, 9, C, 1, 3));
    ASSERT_OK(spatia_eval_mot(&gt, &tr, &m));
    ASSERT_EQ(m.num_gt_dets, 8);
    ASSERT_EQ(m.num_tr_dets, 8);
    ASSERT_EQ(m.tp, 5);
    ASSERT_EQ(m.fn, 3);
    ASSERT_EQ(m.fp, 3);
    ASSERT_EQ(m.idsw, 0);
    ASSERT_EQ(m.frag, 1);
    ASSERT_EQ(m.mt, 0);
    ASSERT_EQ(m.pt, 2);
    ASSERT_EQ(m.ml, 0);
    ASSERT_NEAR(m.mota, 25.0, TOL);
    ASSERT_NEAR(m.motp, 100.0, TOL);
    ASSERT_EQ(m.idtp, 5);
    ASSERT_EQ(m.idfp, 3);
    ASSERT_EQ(m.idfn, 3);
    ASSERT_NEAR(m.idf1, 62.5, TOL);
    ASSERT_NEAR(m.idp, 62.5, TOL);
    ASSERT_NEAR(m.idr, 62.5, TOL);
    ASSERT_NEAR(m.deta, 100.0 * 5.0 / 11.0, TOL);
    ASSERT_NEAR(m.assa, 65.0, TOL);
    ASSERT_NEAR(m.hota, 100.0 * sqrt(5.0 / 11.0 * 0.65), TOL);
    ASSERT_NEAR(m.loca, 100.0, TOL);
    spatia_mot_free(&gt);
    spatia_mot_free(&tr);
}

TEST(id_switch_midway)
{
    /*
     * gt: id 1 at A, id 2 at B, frames 1..6 (12 boxes).
     * tr: id 10 at A frames 1..3, id 11 at A frames 4..6, id 20 at B 1..6.
     * CLEAR: all 12 matched; at f4 gt 1 goes from 10 to 11 -> IDSW 1.
     *   MOTA = (12 - 0 - 1) / 12 = 91.666..%. The track is not
     *   interrupted -> Frag 0.
     * IDF1: counts (1,10) 3, (1,11) 3, (2,20) 6; best: 3 + 6 = 9 ->
     *   IDTP 9, IDFN 3, IDFP 3, IDF1 = 9 / (9 + 3) = 75 %.
     * HOTA: DetA 1; matches (1,10) 3 -> 3/(6+3-3) = 1/2, (1,11) likewise,
     *   (2,20) 6 -> 1. AssA = (3/2 + 3/2 + 6) / 12 = 0.75,
     *   HOTA = sqrt(0.75) = 86.60 %.
     */
    spatia_mot_seq gt = {0}, tr = {0};
    spatia_mot_metrics m;
    ASSERT_OK(add_run(&gt, 1, A, 1, 6));
    ASSERT_OK(add_run(&gt, 2, B, 1, 6));
    ASSERT_OK(add_run(&tr, 10, A, 1, 3));
    ASSERT_OK(add_run(&tr, 11, A, 4, 6));
    ASSERT_OK(add_run(&tr, 20, B, 1, 6));
    ASSERT_OK(spatia_eval_mot(&gt, &tr, &m));
    ASSERT_EQ(m.tp, 12);
    ASSERT_EQ(m.idsw, 1);
    ASSERT_EQ(m.frag, 0);
    ASSERT_NEAR(m.mota, 100.0 * 11.0 / 12.0, TOL);
    ASSERT_EQ(m.idtp, 9);
    ASSERT_EQ(m.idfp, 3);
    ASSERT_EQ(m.idfn, 3);
    ASSERT_NEAR(m.idf1, 75.0, TOL);
    ASSERT_NEAR(m.deta, 100.0, TOL);
    ASSERT_NEAR(m.assa, 75.0, TOL);
    ASSERT_NEAR(m.hota, 100.0 * sqrt(0.75), TOL);
    spatia_mot_free(&gt);
    spatia_mot_free(&tr);
}

TEST(id_swap_two_tracks)
{
    /*
     * gt: id 1 at A, id 2 at B, frames 1..4. tr: frames 1-2 id 10 at A,
     * id 20 at B; frames 3-4 the ids are swapped.
     * f3: gt 1 was on 10, but 10 is at B (IoU 0, forbidden) -> 1 takes 20,
     *   2 takes 10: 2 IDSW; f4 continues the new pairs. IDSW 2,
     *   MOTA = (8 - 0 - 2) / 8 = 75 %.
     * IDF1: every (gt, tr) pair has 2 frames -> IDTP 4, IDFP = IDFN = 4,
     *   IDF1 = 4 / (4 + 2 + 2) = 50 %.
     */
    spatia_mot_seq gt = {0}, tr = {0};
    spatia_mot_metrics m;
    ASSERT_OK(add_run(&gt, 1, A, 1, 4));
    ASSERT_OK(add_run(&gt, 2, B, 1, 4));
    ASSERT_OK(add_run(&tr, 10, A, 1, 2));
    ASSERT_OK(add_run(&tr, 20, B, 1, 2));
    ASSERT_OK(add_run(&tr, 20, A, 3, 4));
    ASSERT_OK(add_run(&tr, 10, B, 3, 4));
    ASSERT_OK(spatia_eval_mot(&gt, &tr, &m));
    ASSERT_EQ(m.idsw, 2);
    ASSERT_NEAR(m.mota, 75.0, TOL);
    ASSERT_EQ(m.idtp, 4);
    ASSERT_NEAR(m.idf1, 50.0, TOL);
    spatia_mot_free(&gt);
    spatia_mot_free(&tr);
}

TEST(continuity_bonus_keeps_tracks)
{
    /*
     * gt: id 1 at G1 = (0,0,10,10), id 2 at G2 = (2,0,10,10), frames 1, 2.
     *   IoU(G1, G2) = 8*10 / (100 + 100 - 80) = 2/3 (>= 0.5).
     * tr: f1: id 1 at G1, id 2 at G2; f2: id 1 at G2, id 2 at G1.
     * f2 by IoU alone would swap (1 + 1 > 2/3 + 2/3), but the pairs of
     * the previous frame get +1000, so (1,1) and (2,2) are kept: IDSW 0,
     * TP 4, MOTA 100 %, MOTP = (1 + 1 + 2/3 + 2/3) / 4 = 83.33 %.
     * IDF1: all four pairs have IoU >= 0.5 in both frames (count 2 each)
     *   -> IDTP 4, IDF1 100 %.
     * HOTA: f1 sim [[1, 2/3], [2/3, 1]], row/col sums 5/3. Potentials:
     *   diagonal 1 / (5/3 + 5/3 - 1) = 3/7, off-diagonal (2/3) / (8/3) =
     *   1/4; over both frames every pair gets 3/7 + 1/4 = 19/28, so the
     *   alignment is equal for all pairs and the per-frame match follows
     *   IoU: f1 (1,1), (2,2), f2 (1,2), (2,1), all with IoU 1.
     *   DetA 1; each of the 4 pairs matched once: 1/(2+2-1) = 1/3 ->
     *   AssA = 1/3, HOTA = sqrt(1/3) = 57.74 %, LocA 100 %.
     */
    const box g1 = {0, 0, 10, 10}, g2 = {2, 0, 10, 10};
    spatia_mot_seq gt = {0}, tr = {0};
    spatia_mot_metrics m;
    ASSERT_OK(add_run(&gt, 1, g1, 1, 2));
    ASSERT_OK(add_run(&gt, 2, g2, 1, 2));
    ASSERT_OK(add(&tr, 1, 1, g1));
    ASSERT_OK(add(&tr, 1, 2, g2));
    ASSERT_OK(add(&tr, 2, 1, g2));
    ASSERT_OK(add(&tr, 2, 2, g1));
    ASSERT_OK(spatia_eval_mot(&gt, &tr, &m));
    ASSERT_EQ(m.tp, 4);
    ASSERT_EQ(m.idsw, 0);
    ASSERT_NEAR(m.mota, 100.0, TOL);
    ASSERT_NEAR(m.motp, 100.0 * (10.0 / 3.0) / 4.0, TOL);
    ASSERT_EQ(m.idtp, 4);
    ASSERT_NEAR(m.idf1, 100.0, TOL);
    ASSERT_NEAR(m.deta, 100.0, TOL);
    ASSERT_NEAR(m.assa, 100.0 / 3.0, TOL);
    ASSERT_NEAR(m.hota, 100.0 * sqrt(1.0 / 3.0), TOL);
    ASSERT_NEAR(m.loca, 100.0, TOL);
    spatia_mot_free(&gt);
    spatia_mot_free(&tr);
}

TEST(fragmentation)
{
    /*
     * gt: id 1 at A, id 2 at B, frames 1..6. tr: id 5 at A in frames
     * 1, 2, 4, 6 (missing 3 and 5, where id 6 keeps the frame non-empty);
     * id 6 at B frames 1..6.
     * gt 1 runs: {1,2}, {4}, {6} -> 3 runs -> Frag 2; gt 2 one run.
     * TP 10, FN 2, FP 0 -> MOTA = 10/12 = 83.33 %. IDSW 0 (same id).
     * gt 1 tracked 4/6 -> PT; gt 2 6/6 -> MT.
     */
    spatia_mot_seq gt = {0}, tr = {0};
    spatia_mot_metrics m;
    ASSERT_OK(add_run(&gt, 1, A, 1, 6));
    ASSERT_OK(add_run(&gt, 2, B, 1, 6));
    ASSERT_OK(add_run(&tr, 5, A, 1, 2));
    ASSERT_OK(add(&tr, 4, 5, A));
    ASSERT_OK(add(&tr, 6, 5, A));
    ASSERT_OK(add_run(&tr, 6, B, 1, 6));
    ASSERT_OK(spatia_eval_mot(&gt, &tr, &m));
    ASSERT_EQ(m.frag, 2);
    ASSERT_EQ(m.idsw, 0);
    ASSERT_EQ(m.tp, 10);
    ASSERT_EQ(m.fn, 2);
    ASSERT_EQ(m.fp, 0);
    ASSERT_NEAR(m.mota, 100.0 * 10.0 / 12.0, TOL);
    ASSERT_EQ(m.mt, 1);
    ASSERT_EQ(m.pt, 1);
    ASSERT_EQ(m.ml, 0);
    spatia_mot_free(&gt);
    spatia_mot_free(&tr);
}

TEST(fragmentation_empty_tracker_frame)
{
    /*
     * TrackEval skips a frame without tracker boxes in CLEAR's track
     * continuity: gt id 1 at A frames 1..4, tracker id 5 at A frames
     * 1, 2, 4 and nothing in frame 3 -> FN 1 but Frag 0. With a far-away
     * tracker box (id 9 at C) in frame 3 the frame is evaluated, gt 1 is
     * unmatched there and the resumed track counts: Frag 1.
     */
    spatia_mot_seq gt = {0}, tr = {0};
    spatia_mot_metrics m;
    ASSERT_OK(add_run(&gt, 1, A, 1, 4));
    ASSERT_OK(add_run(&tr, 5, A, 1, 2));
    ASSERT_OK(add(&tr, 4, 5, A));
    ASSERT_OK(spatia_eval_mot(&gt, &tr, &m));
    ASSERT_EQ(m.fn, 1);
    ASSERT_EQ(m.tp, 3);
    ASSERT_EQ(m.frag, 0);
    ASSERT_OK(add(&tr, 3, 9, C));
    ASSERT_OK(spatia_eval_mot(&gt, &tr, &m));
    ASSERT_EQ(m.fn, 1);
    ASSERT_EQ(m.fp, 1);
    ASSERT_EQ(m.frag, 1);
    spatia_mot_free(&gt);
    spatia_mot_free(&tr);
}

TEST(mostly_tracked_boundaries)
{
    /*
     * Four gt ids over frames 1..5 at A, B, C, D. Tracked fractions:
     * id 1 5/5 = 1 (> 0.8: MT), id 2 4/5 = 0.8 (not > 0.8: PT),
     * id 3 1/5 = 0.2 (>= 0.2: PT), id 4 0/5 (ML).
     */
    spatia_mot_seq gt = {0}, tr = {0};
    spatia_mot_metrics m;
    ASSERT_OK(add_run(&gt, 1, A, 1, 5));
    ASSERT_OK(add_run(&gt, 2, B, 1, 5));
    ASSERT_OK(add_run(&gt, 3, C, 1, 5));
    ASSERT_OK(add_run(&gt, 4, D, 1, 5));
    ASSERT_OK(add_run(&tr, 1, A, 1, 5));
    ASSERT_OK(add_run(&tr, 2, B, 1, 4));
    ASSERT_OK(add(&tr, 1, 3, C));
    ASSERT_OK(spatia_eval_mot(&gt, &tr, &m));
    ASSERT_EQ(m.mt, 1);
    ASSERT_EQ(m.pt, 2);
    ASSERT_EQ(m.ml, 1);
    ASSERT_EQ(m.tp, 10);
    ASSERT_EQ(m.fn, 10);
    spatia_mot_free(&gt);
    spatia_mot_free(&tr);
}

TEST(hota_split_track)
{
    /*
     * gt: id 1 at A frames 1..4. tr: id 1 at A frames 1..3, id 2 at A in
     * frame 4 (boxes identical).
     * HOTA: DetA = 1 at every alpha. Matches (1,1) = 3 with |gt| 4,
     *   |tr 1| 3: 3/(4+3-3) = 3/4; (1,2) = 1 with |tr 2| 1: 1/(4+1-1) =
     *   1/4. AssA = (3 * 3/4 + 1 * 1/4) / 4 = 2.5 / 4 = 0.625,
     *   HOTA = sqrt(0.625) = 79.06 %.
     * CLEAR: IDSW 1, MOTA = (4 - 0 - 1)/4 = 75 %.
     * IDF1: IDTP 3, IDFN 1, IDFP 1 -> 3 / (3 + 1) = 75 %.
     */
    spatia_mot_seq gt = {0}, tr = {0};
    spatia_mot_metrics m;
    ASSERT_OK(add_run(&gt, 1, A, 1, 4));
    ASSERT_OK(add_run(&tr, 1, A, 1, 3));
    ASSERT_OK(add(&tr, 4, 2, A));
    ASSERT_OK(spatia_eval_mot(&gt, &tr, &m));
    ASSERT_NEAR(m.deta, 100.0, TOL);
    ASSERT_NEAR(m.assa, 62.5, TOL);
    ASSERT_NEAR(m.hota, 100.0 * sqrt(0.625), TOL);
    ASSERT_NEAR(m.loca, 100.0, TOL);
    for (int a = 0; a < SPATIA_HOTA_ALPHAS; a++)
        ASSERT_NEAR(m.assa_alpha[a], 62.5, TOL);
    ASSERT_EQ(m.idsw, 1);
    ASSERT_NEAR(m.mota, 75.0, TOL);
    ASSERT_EQ(m.idtp, 3);
    ASSERT_NEAR(m.idf1, 75.0, TOL);
    spatia_mot_free(&gt);
    spatia_mot_free(&tr);
}

TEST(hota_partial_iou)
{
    /*
     * gt: id 1 at A = (0,0,10,10) frames 1..5; tr: id 1 at (0,0,6,10):
     * IoU = 60 / 100 = 0.6 in every frame.
     * Alphas 0.05 .. 0.60 (12 of 19): TP 5, DetA 1, AssA 1 (5/(5+5-5)),
     *   LocA 0.6, HOTA 1.
     * Alphas 0.65 .. 0.95 (7): TP 0, FN 5, FP 5: DetA 0, AssA 0, HOTA 0
     *   and LocA = max(1e-10, 0) / max(1e-10, 0) = 1 (TrackEval's rule).
     * Means: DetA = AssA = HOTA = 12/19 = 63.16 %,
     *   LocA = (12 * 0.6 + 7 * 1) / 19 = 14.2/19 = 74.74 %.
     * CLEAR at 0.5: all matched, MOTA 100 %, MOTP 60 %; IDF1 100 %.
     */
    const box t = {0, 0, 6, 10};
    spatia_mot_seq gt = {0}, tr = {0};
    spatia_mot_metrics m;
    ASSERT_OK(add_run(&gt, 1, A, 1, 5));
    ASSERT_OK(add_run(&tr, 1, t, 1, 5));
    ASSERT_OK(spatia_eval_mot(&gt, &tr, &m));
    ASSERT_NEAR(m.deta, 100.0 * 12.0 / 19.0, TOL);
    ASSERT_NEAR(m.assa, 100.0 * 12.0 / 19.0, TOL);
    ASSERT_NEAR(m.hota, 100.0 * 12.0 / 19.0, TOL);
    ASSERT_NEAR(m.loca, 100.0 * 14.2 / 19.0, TOL);
    ASSERT_NEAR(m.deta_alpha[11], 100.0, TOL); /* alpha 0.60 */
    ASSERT_NEAR(m.loca_alpha[11], 60.0, TOL);
    ASSERT_NEAR(m.deta_alpha[12], 0.0, TOL); /* alpha 0.65 */
    ASSERT_NEAR(m.loca_alpha[12], 100.0, TOL);
    ASSERT_NEAR(m.mota, 100.0, TOL);
    ASSERT_NEAR(m.motp, 60.0, TOL);
    ASSERT_NEAR(m.idf1, 100.0, TOL);
    spatia_mot_free(&gt);
    spatia_mot_free(&tr);
}

TEST(hota_alignment_beats_iou)
{
    /*
     * gt: id 1 at A frames 1..4. tr: id 1 at A frames 1..3 and at
     * P = (0,0,6,10) in frame 4 (IoU 0.6); id 2 at A in frame 4 (IoU 1).
     * Pass 1, f4: sims [0.6, 1], row sum 1.6, col sums 0.6 and 1:
     *   (1,1): 0.6 / (0.6 + 1.6 - 0.6) = 0.375; (1,2): 1 / 1.6 = 0.625.
     *   Potentials (1,1) = 3 + 0.375 = 3.375, (1,2) = 0.625.
     *   Alignment (1,1) = 3.375 / (4 + 4 - 3.375) = 0.7297,
     *             (1,2) = 0.625 / (4 + 1 - 0.625) = 0.1429.
     * Pass 2, f4 scores: 0.7297 * 0.6 = 0.438 > 0.1429 * 1 -> (1,1) kept
     *   although id 2 overlaps better.
     * alpha <= 0.6 (12 alphas): TP 4, FN 0, FP 1: DetA 4/5; matches (1,1)
     *   = 4: 4/(4+4-4) = 1 -> AssA 1; LocA = (3 + 0.6) / 4 = 0.9.
     * alpha > 0.6 (7): TP 3, FN 1, FP 2: DetA 3/6; (1,1) = 3:
     *   3/(4+4-3) = 0.6 -> AssA 0.6; LocA 1.
     * Means: DetA = (12*0.8 + 7*0.5)/19 = 13.1/19, AssA = (12 + 7*0.6)/19
     *   = 16.2/19, LocA = (12*0.9 + 7)/19 = 17.8/19,
     *   HOTA = (12 sqrt(0.8) + 7 sqrt(0.3)) / 19.
     * CLEAR: f4 (1,1) has the continuity bonus: TP 4, FP 1, IDSW 0,
     *   MOTA = 3/4 = 75 %, MOTP = 3.6/4 = 90 %.
     * IDF1: counts (1,1) 4, (1,2) 1 -> IDTP 4, IDFP 1, IDFN 0,
     *   IDF1 = 4 / 4.5 = 88.89 %, IDP 80 %, IDR 100 %.
     */
    const box p = {0, 0, 6, 10};
    spatia_mot_seq gt = {0}, tr = {0};
    spatia_mot_metrics m;
    ASSERT_OK(add_run(&gt, 1, A, 1, 4));
    ASSERT_OK(add_run(&tr, 1, A, 1, 3));
    ASSERT_OK(add(&tr, 4, 1, p));
    ASSERT_OK(add(&tr, 4, 2, A));
    ASSERT_OK(spatia_eval_mot(&gt, &tr, &m));
    ASSERT_NEAR(m.deta, 100.0 * 13.1 / 19.0, TOL);
    ASSERT_NEAR(m.assa, 100.0 * 16.2 / 19.0, TOL);
    ASSERT_NEAR(m.loca, 100.0 * 17.8 / 19.0, TOL);
    ASSERT_NEAR(m.hota, 100.0 * (12 * sqrt(0.8) + 7 * sqrt(0.3)) / 19.0, TOL);
    ASSERT_EQ(m.tp, 4);
    ASSERT_EQ(m.fp, 1);
    ASSERT_EQ(m.idsw, 0);
    ASSERT_NEAR(m.mota, 75.0, TOL);
    ASSERT_NEAR(m.motp, 90.0, TOL);
    ASSERT_EQ(m.idtp, 4);
    ASSERT_EQ(m.idfp, 1);
    ASSERT_EQ(m.idfn, 0);
    ASSERT_NEAR(m.idf1, 100.0 * 4.0 / 4.5, TOL);
    ASSERT_NEAR(m.idp, 80.0, TOL);
    ASSERT_NEAR(m.idr, 100.0, TOL);
    spatia_mot_free(&gt);
    spatia_mot_free(&tr);
}

TEST(zero_marked_gt_ignored)
{
    /*
     * gt ids over frames 1..3: 1 at A (conf 1), 2 at B (conf 0),
     * 3 at C (conf 0.5, truncates to 0 like TrackEval's int cast: ignored),
     * 4 at D (conf -1, truncates to -1: kept).
     * tr: id 1 at A with conf 0 (tracker rows are always kept), id 4 at D.
     * -> 6 gt boxes, 2 gt ids, everything matched: MOTA 100 %.
     * Adding tracker boxes at B (the ignored gt) gives 3 FP, as MOT15 has
     * no distractor removal: MOTA = (6 - 3) / 6 = 50 %.
     */
    spatia_mot_seq gt = {0}, tr = {0};
    spatia_mot_metrics m;
    for (int f = 1; f <= 3; f++) {
        ASSERT_OK(add_c(&gt, f, 1, A, 1));
        ASSERT_OK(add_c(&gt, f, 2, B, 0));
        ASSERT_OK(add_c(&gt, f, 3, C, 0.5));
        ASSERT_OK(add_c(&gt, f, 4, D, -1));
        ASSERT_OK(add_c(&tr, f, 1, A, 0));
        ASSERT_OK(add_c(&tr, f, 4, D, 1));
    }
    ASSERT_OK(spatia_eval_mot(&gt, &tr, &m));
    ASSERT_EQ(m.num_gt_dets, 6);
    ASSERT_EQ(m.num_gt_ids, 2);
    ASSERT_EQ(m.num_tr_dets, 6);
    ASSERT_EQ(m.fp, 0);
    ASSERT_EQ(m.fn, 0);
    ASSERT_NEAR(m.mota, 100.0, TOL);
    ASSERT_NEAR(m.hota, 100.0, TOL);
    for (int f = 1; f <= 3; f++)
        ASSERT_OK(add(&tr, f, 2, B));
    ASSERT_OK(spatia_eval_mot(&gt, &tr, &m));
    ASSERT_EQ(m.fp, 3);
    ASSERT_NEAR(m.mota, 50.0, TOL);
    spatia_mot_free(&gt);
    spatia_mot_free(&tr);
}

TEST(empty_sides)
{
    /*
     * No tracker boxes: gt 2 ids x 3 frames -> FN 6, MOTA 0, ML 2,
     * IDFN 6, IDF1 0, HOTA 0, LocA 100 % (TrackEval's convention).
     * No gt boxes: tracker 3 boxes -> FP 3, MOTA = -3 / max(1, 0) =
     * -300 %, IDFP 3, HOTA 0. Both empty: all zero, LocA 100 %.
     */
    spatia_mot_seq gt = {0}, tr = {0}, none = {0};
    spatia_mot_metrics m;
    ASSERT_OK(add_run(&gt, 1, A, 1, 3));
    ASSERT_OK(add_run(&gt, 2, B, 1, 3));
    ASSERT_OK(add_run(&tr, 1, A, 1, 3));
    ASSERT_OK(spatia_eval_mot(&gt, &none, &m));
    ASSERT_EQ(m.fn, 6);
    ASSERT_EQ(m.ml, 2);
    ASSERT_EQ(m.idfn, 6);
    ASSERT_NEAR(m.mota, 0.0, TOL);
    ASSERT_NEAR(m.idf1, 0.0, TOL);
    ASSERT_NEAR(m.hota, 0.0, TOL);
    ASSERT_NEAR(m.loca, 100.0, TOL);
    ASSERT_OK(spatia_eval_mot(&none, &tr, &m));
    ASSERT_EQ(m.fp, 3);
    ASSERT_EQ(m.idfp, 3);
    ASSERT_NEAR(m.mota, -300.0, TOL);
    ASSERT_NEAR(m.hota, 0.0, TOL);
    ASSERT_OK(spatia_eval_mot(&none, &none, &m));
    ASSERT_EQ(m.tp + m.fp + m.fn, 0);
    ASSERT_NEAR(m.hota, 0.0, TOL);
    ASSERT_NEAR(m.loca, 100.0, TOL);
    spatia_mot_free(&gt);
    spatia_mot_free(&tr);
}

TEST(bad_arguments)
{
    spatia_mot_seq gt = {0}, tr = {0};
    spatia_mot_metrics m;
    spatia_mot_row bad = {0, 1, 0, 0, 1, 1, 1}; /* frame 0 */
    ASSERT_EQ(spatia_mot_add(&gt, &bad), SPATIA_EINVAL);
    bad.frame = 1;
    bad.w = -1;
    ASSERT_EQ(spatia_mot_add(&gt, &bad), SPATIA_EINVAL);
    bad.w = 1;
    bad.x = NAN;
    ASSERT_EQ(spatia_mot_add(&gt, &bad), SPATIA_EINVAL);
    ASSERT_EQ(gt.n, 0);
    ASSERT_EQ(spatia_eval_mot(NULL, &tr, &m), SPATIA_EINVAL);
    /* the same id twice in one frame, in either sequence */
    ASSERT_OK(add(&gt, 1, 1, A));
    ASSERT_OK(add(&tr, 1, 1, A));
    ASSERT_OK(add(&tr, 1, 1, B));
    ASSERT_EQ(spatia_eval_mot(&gt, &tr, &m), SPATIA_EINVAL);
    ASSERT_EQ(spatia_eval_mot(&tr, &gt, &m), SPATIA_EINVAL);
    spatia_mot_free(&gt);
    spatia_mot_free(&tr);
    spatia_mot_free(NULL);
}

/* xorshift for the scene generator */
static uint64_t rng = 0x2545f4914f6cdd1dULL;
static double urand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static int same_metrics(const spatia_mot_metrics *a,
                        const spatia_mot_metrics *b)
{
    int same = a->mota == b->mota && a->motp == b->motp && a->tp == b->tp &&
               a->fp == b->fp && a->fn == b->fn && a->idsw == b->idsw &&
               a->frag == b->frag && a->mt == b->mt && a->pt == b->pt &&
               a->ml == b->ml && a->idf1 == b->idf1 && a->idtp == b->idtp &&
               a->hota == b->hota && a->deta == b->deta && a->assa == b->assa &&
               a->loca == b->loca && a->num_tr_ids == b->num_tr_ids;
    for (int i = 0; i < SPATIA_HOTA_ALPHAS; i++)
        same = same && a->hota_alpha[i] == b->hota_alpha[i];
    return same;
}

TEST(order_and_id_invariance)
{
    /* A busy random scene (crossing people, jittered boxes, dropped
     * boxes, ids changed): the metrics must not depend on the row order
     * or on shifting all tracker ids, and must satisfy the identities
     * TP + FN = gt boxes, TP + FP = tracker boxes. */
    spatia_mot_seq gt = {0}, tr = {0}, tr2 = {0};
    spatia_mot_metrics m, m2;
    for (int id = 0; id < 12; id++) {
        double x = urand() * 300, y = urand() * 200;
        double vx = urand() * 6 - 3, vy = urand() * 4 - 2;
        int first = 1 + (int)(urand() * 40),
            last = first + 20 + (int)(urand() * 60);
        for (int f = first; f <= last; f++) {
            box b = {x + vx * f, y + vy * f, 30, 70};
            ASSERT_OK(add(&gt, f, id, b));
            if (urand() < 0.1)
                continue;
            box t = {b.x + urand() * 8 - 4, b.y + urand() * 8 - 4,
                     b.w * (0.9 + 0.2 * urand()), b.h};
            ASSERT_OK(add(&tr, f, id + (f > 50 && id % 3 == 0 ? 100 : 0), t));
        }
    }
    for (int k = 0; k < 40; k++) {
        box t = {urand() * 300, urand() * 200, 30, 70};
        ASSERT_OK(add(&tr, 1 + (int)(urand() * 100), 500 + k, t));
    }
    ASSERT_OK(spatia_eval_mot(&gt, &tr, &m));
    ASSERT_EQ(m.tp + m.fn, m.num_gt_dets);
    ASSERT_EQ(m.tp + m.fp, m.num_tr_dets);
    ASSERT_EQ(m.idtp + m.idfn, m.num_gt_dets);
    ASSERT_EQ(m.idtp + m.idfp, m.num_tr_dets);
    ASSERT(m.idsw > 0);
    ASSERT(m.mota > 50 && m.mota < 100);
    ASSERT(m.hota > 30 && m.hota < 100);
    ASSERT(m.loca > 50 && m.loca < 100);
    ASSERT(m.idf1 > 30 && m.idf1 < 100);
    /* reversed order, ids shifted by -1000 */
    for (int i = tr.n - 1; i >= 0; i--) {
        spatia_mot_row r = tr.rows[i];
        r.id -= 1000;
        ASSERT_OK(spatia_mot_add(&tr2, &r));
    }
    ASSERT_OK(spatia_eval_mot(&gt, &tr2, &m2));
    ASSERT(same_metrics(&m, &m2));
    spatia_mot_free(&gt);
    spatia_mot_free(&tr);
    spatia_mot_free(&tr2);
}

/* ---------------------------------------------------------------------- */
/* Loading */

static char tmpdir[256];
static const char *const tmp_names[] = {"ok.txt", "bad.txt", "gt.txt", "tr.txt",
                                        "trbad.txt"};

static void tmp_cleanup(void)
{
    char path[512];
    for (size_t i = 0; i < sizeof tmp_names / sizeof tmp_names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", tmpdir, tmp_names[i]);
        unlink(path);
    }
    rmdir(tmpdir);
}

/* Writes `text` to `name` (one of tmp_names) in a private temp folder
 * that is removed at exit; returns the path (static buffer) or NULL. */
static const char *tmp_file(const char *name, const char *text)
{
    static char path[512];
    if (!tmpdir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(tmpdir, sizeof tmpdir, "%s/spatia_mot_XXXXXX",
                 t && *t ? t : "/tmp");
        if (!mkdtemp(tmpdir)) {
            tmpdir[0] = 0;
            return NULL;
        }
        atexit(tmp_cleanup);
    }
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return NULL;
    fputs(text, f);
    fclose(f);
    return path;
}

TEST(load_tolerant_format)
{
    /* spaces, CRLF, blank lines, extra (even non-numeric) columns,
     * integral floats, unsorted rows */
    const char *p =
        tmp_file("ok.txt", "  \r\n"
                           "2, 7, 10.5, 20, 30, 40, 1, -1, -1, -1\r\n"
                           "1,3,0,0,5,5,0.9\n"
                           "\n"
                           "1.0,2,1e1,0,5,5,1,extra,stuff\n"
                           "1,-4,0,0,0,0,1");
    spatia_mot_seq s = {0};
    char err[256] = "";
    ASSERT(p);
    ASSERT_OK(spatia_mot_load(p, &s, err, sizeof err));
    ASSERT_EQ(s.n, 4);
    ASSERT_EQ(s.max_frame, 2);
    /* sorted by (frame, id) */
    ASSERT_EQ(s.rows[0].frame, 1);
    ASSERT_EQ(s.rows[0].id, -4);
    ASSERT_EQ(s.rows[1].id, 2);
    ASSERT_NEAR(s.rows[1].x, 10.0, 0);
    ASSERT_EQ(s.rows[2].id, 3);
    ASSERT_NEAR(s.rows[2].conf, 0.9, 0);
    ASSERT_EQ(s.rows[3].frame, 2);
    ASSERT_EQ(s.rows[3].id, 7);
    ASSERT_NEAR(s.rows[3].x, 10.5, 0);
    ASSERT_NEAR(s.rows[3].y, 20, 0);
    ASSERT_NEAR(s.rows[3].w, 30, 0);
    ASSERT_NEAR(s.rows[3].h, 40, 0);
    spatia_mot_free(&s);
    ASSERT_EQ(s.n, 0);
    ASSERT(s.rows == NULL);
}

/* Loads `text` expecting SPATIA_PARSE with ":<line>:" and `what` in the
 * message; returns 1 when that is what happened. */
static int parse_fails(const char *text, int line, const char *what)
{
    spatia_mot_seq s = {0};
    spatia_mot_row keep = {1, 1, 0, 0, 1, 1, 1};
    char err[256] = "", tag[32];
    const char *p = tmp_file("bad.txt", text);
    int ok;

    if (!p || spatia_mot_add(&s, &keep) != SPATIA_OK)
        return 0;
    ok = spatia_mot_load(p, &s, err, sizeof err) == SPATIA_PARSE;
    snprintf(tag, sizeof tag, ":%d:", line);
    ok = ok && strstr(err, p) == err && strstr(err, tag) && strstr(err, what);
    ok = ok && s.n == 1 && s.max_frame == 1; /* unchanged */
    if (!ok)
        fprintf(stderr, "  text %s -> \"%s\"\n", text, err);
    spatia_mot_free(&s);
    return ok;
}

TEST(load_errors)
{
    ASSERT(parse_fails("1,2,3,4,5,6,1\n1,2,abc,4,5,6,1\n", 2, "column 3"));
    ASSERT(parse_fails("\n1,2,3,4,5\n", 2, "at least 7 columns"));
    ASSERT(parse_fails("1,2,3,4,-5,6,1\n", 1, "negative box width"));
    ASSERT(parse_fails("1,2,3,4,5,-6,1\n", 1, "negative box height"));
    ASSERT(parse_fails("0,2,3,4,5,6,1\n", 1, "frame"));
    ASSERT(parse_fails("1,2,nan,4,5,6,1\n", 1, "not finite"));
    ASSERT(parse_fails("1,2,3,4,5,1e999,1\n", 1, "not finite"));
    ASSERT(parse_fails("1,2.5,3,4,5,6,1\n", 1, "id"));
    ASSERT(parse_fails("1,2,,4,5,6,1\n", 1, "column 3"));
    ASSERT(parse_fails("1;2;3;4;5;6;1\n", 1, "column 1"));
    ASSERT(
        parse_fails("1,2,3,4,5,6,1\r\n\r\n2,2,3,4,5,6,1\r\n1,2,9,9,9,9,1\r\n",
                    4, "id 2 appears twice in frame 1"));
    spatia_mot_seq s = {0};
    char err[256] = "";
    ASSERT_EQ(
        spatia_mot_load("/nonexistent/spatia/gt.txt", &s, err, sizeof err),
        SPATIA_NOTFOUND);
    ASSERT(strstr(err, "/nonexistent/spatia/gt.txt"));
    ASSERT_EQ(spatia_mot_load(NULL, &s, err, sizeof err), SPATIA_EINVAL);
}

TEST(files_and_print)
{
    /* the id-switch scene of id_switch_midway, through files */
    char gtp[512], trp[512], err[256] = "";
    const char *p = tmp_file("gt.txt", "1,1,0,0,10,10,1,-1,-1,-1\n"
                                       "2,1,0,0,10,10,1,-1,-1,-1\n"
                                       "3,1,0,0,10,10,1,-1,-1,-1\n"
                                       "4,1,0,0,10,10,1,-1,-1,-1\n");
    ASSERT(p);
    snprintf(gtp, sizeof gtp, "%s", p);
    p = tmp_file("tr.txt", "1,10,0,0,10,10,0.9,-1,-1,-1\n"
                           "2,10,0,0,10,10,0.9,-1,-1,-1\n"
                           "3,11,0,0,10,10,0.9,-1,-1,-1\n"
                           "4,11,0,0,10,10,0.9,-1,-1,-1\n");
    ASSERT(p);
    snprintf(trp, sizeof trp, "%s", p);
    spatia_mot_metrics m;
    ASSERT_OK(spatia_eval_mot_files(gtp, trp, &m, err, sizeof err));
    /* 4 TP, 1 IDSW: MOTA 75 %; IDTP 2: IDF1 = 2 / (2 + 1 + 1) = 50 %;
     * HOTA: two pairs of 2 matches, 2/(4+2-2) = 1/2 each -> AssA 0.5 */
    ASSERT_EQ(m.idsw, 1);
    ASSERT_NEAR(m.mota, 75.0, TOL);
    ASSERT_NEAR(m.idf1, 50.0, TOL);
    ASSERT_NEAR(m.assa, 50.0, TOL);

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ASSERT(f);
    spatia_mot_metrics_print(f, &m);
    fclose(f);
    ASSERT(strstr(buf, "HOTA") && strstr(buf, "MOTA") && strstr(buf, "IDF1"));
    ASSERT(strstr(buf, "75.000"));
    ASSERT(strstr(buf, "70.711")); /* HOTA = sqrt(0.5) */
    free(buf);

    p = tmp_file("trbad.txt", "1,10,0,0,10\n");
    ASSERT(p);
    snprintf(trp, sizeof trp, "%s", p);
    ASSERT_EQ(spatia_eval_mot_files(gtp, trp, &m, err, sizeof err),
              SPATIA_PARSE);
    ASSERT(strstr(err, "trbad.txt:1:"));
}

/* ---------------------------------------------------------------------- */
/* PETS09-S2L1 ground truth */

static int load_pets(spatia_mot_seq *gt)
{
    char path[1024], err[256];
    const char *p =
        test_dataset("mot15/PETS09-S2L1/gt/gt.txt", path, sizeof path);
    if (!p)
        return 0;
    if (spatia_mot_load(p, gt, err, sizeof err) != SPATIA_OK) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 1;
}

/* The gt rows that count (conf != 0; PETS has only 0 and 1). */
static int counted_rows(const spatia_mot_seq *gt, spatia_mot_seq *out)
{
    for (int i = 0; i < gt->n; i++)
        if (gt->rows[i].conf != 0 && spatia_mot_add(out, &gt->rows[i]))
            return -1;
    return 0;
}

TEST(pets_self)
{
    spatia_mot_seq gt = {0}, tr = {0};
    spatia_mot_metrics m;
    int got = load_pets(&gt);
    if (got == 0)
        TEST_SKIP("../shared/datasets/mot15/PETS09-S2L1 not present");
    ASSERT_EQ(got, 1);
    ASSERT_OK(counted_rows(&gt, &tr));
    int64_t zero = gt.n - tr.n;
    ASSERT(zero > 0); /* PETS has conf == 0 rows */
    /* Frag also counts gaps in the gt itself: a gt id absent from a
     * frame that has other gt boxes (ids 11 and 12 are conf 0 for a
     * while) is "not tracked" there and starts a new run when it comes
     * back. Count those gaps from the rows. */
    enum { MAXF = 4096 };
    static unsigned char has_gt[MAXF];
    memset(has_gt, 0, sizeof has_gt);
    for (int i = 0; i < tr.n; i++) {
        ASSERT(tr.rows[i].frame < MAXF);
        has_gt[tr.rows[i].frame] = 1;
    }
    int64_t gaps = 0; /* tr.rows are sorted by (frame, id) */
    for (int i = 0; i < tr.n; i++) {
        int id = tr.rows[i].id, f0 = tr.rows[i].frame, f1 = 0;
        for (int j = i + 1; j < tr.n && !f1; j++)
            if (tr.rows[j].id == id)
                f1 = tr.rows[j].frame;
        for (int f = f0 + 1; f1 && f < f1; f++) {
            if (has_gt[f]) {
                gaps++;
                break;
            }
        }
    }
    ASSERT_OK(spatia_eval_mot(&gt, &tr, &m));
    ASSERT_EQ(m.num_gt_dets, tr.n);
    ASSERT_EQ(m.tp, tr.n);
    ASSERT_EQ(m.fp + m.fn + m.idsw, 0);
    ASSERT_EQ(m.frag, gaps);
    ASSERT_EQ(m.mt, m.num_gt_ids);
    ASSERT_NEAR(m.mota, 100, TOL);
    ASSERT_NEAR(m.motp, 100, TOL);
    ASSERT_NEAR(m.idf1, 100, TOL);
    ASSERT_NEAR(m.hota, 100, TOL);
    ASSERT_NEAR(m.deta, 100, TOL);
    ASSERT_NEAR(m.assa, 100, TOL);
    ASSERT_NEAR(m.loca, 100, TOL);

    /* The raw file as tracker: every ignored gt row is an extra tracker
     * box with nothing left to match -> FP = number of conf 0 rows. */
    ASSERT_OK(spatia_eval_mot(&gt, &gt, &m));
    ASSERT_EQ(m.tp, tr.n);
    ASSERT_EQ(m.fp, zero);
    ASSERT_EQ(m.idsw, 0);
    ASSERT_NEAR(m.mota, 100.0 * (double)(tr.n - zero) / (double)tr.n, TOL);
    spatia_mot_free(&gt);
    spatia_mot_free(&tr);
}

TEST(pets_shifted)
{
    /* Every box moved right by d px: IoU = (w - d) / (w + d) per box,
     * which stays >= 0.5 while d <= w/3, so CLEAR matches everything
     * (MOTA 100) and MOTP is the mean of those IoUs. */
    const double d = 4.0;
    spatia_mot_seq gt = {0}, tr = {0};
    spatia_mot_metrics m;
    int got = load_pets(&gt);
    if (got == 0)
        TEST_SKIP("../shared/datasets/mot15/PETS09-S2L1 not present");
    ASSERT_EQ(got, 1);
    ASSERT_OK(counted_rows(&gt, &tr));
    double sum = 0;
    for (int i = 0; i < tr.n; i++) {
        spatia_mot_row *r = &tr.rows[i];
        ASSERT(d <= r->w / 3);
        sum += (r->w - d) / (r->w + d);
        r->x += d;
    }
    ASSERT_OK(spatia_eval_mot(&gt, &tr, &m));
    ASSERT_EQ(m.tp, tr.n);
    ASSERT_EQ(m.idsw, 0);
    ASSERT_NEAR(m.mota, 100, TOL);
    ASSERT_NEAR(m.idf1, 100, TOL);
    ASSERT_NEAR(m.motp, 100.0 * sum / tr.n, 1e-6);
    ASSERT(m.motp < 95);
    ASSERT(m.loca < 100 && m.loca > 50);
    ASSERT(m.hota < 100);
    ASSERT_NEAR(m.deta_alpha[0], 100, TOL); /* alpha 0.05 */
    spatia_mot_free(&gt);
    spatia_mot_free(&tr);
}

TEST(pets_id_offset)
{
    /* Tracker = counted gt, but ids of frames > 400 are +1000. Each gt id
     * seen on both sides of the cut switches once. */
    spatia_mot_seq gt = {0}, tr = {0};
    spatia_mot_metrics m;
    int got = load_pets(&gt);
    if (got == 0)
        TEST_SKIP("../shared/datasets/mot15/PETS09-S2L1 not present");
    ASSERT_EQ(got, 1);
    ASSERT_OK(counted_rows(&gt, &tr));
    /* per id: boxes up to frame 400 and after, counted from the rows */
    enum { MAXID = 4096 };
    static int before[MAXID], after[MAXID];
    memset(before, 0, sizeof before);
    memset(after, 0, sizeof after);
    for (int i = 0; i < tr.n; i++) {
        spatia_mot_row *r = &tr.rows[i];
        ASSERT(r->id >= 0 && r->id < MAXID);
        if (r->frame > 400) {
            after[r->id]++;
            r->id += 1000;
        } else {
            before[r->id]++;
        }
    }
    int spanning = 0;
    int64_t idtp_floor = 0;
    for (int id = 0; id < MAXID; id++) {
        spanning += before[id] > 0 && after[id] > 0;
        idtp_floor += before[id] > after[id] ? before[id] : after[id];
    }
    ASSERT(spanning > 0);
    ASSERT_OK(spatia_eval_mot(&gt, &tr, &m));
    ASSERT_EQ(m.idsw, spanning);
    ASSERT_EQ(m.fp + m.fn, 0);
    ASSERT_NEAR(m.mota, 100.0 * (double)(tr.n - spanning) / tr.n, TOL);
    /* keeping each gt id on its longer half is one feasible matching */
    ASSERT(m.idtp >= idtp_floor);
    ASSERT(m.idtp < tr.n);
    ASSERT(m.idf1 < 100);
    ASSERT(m.assa < 100);
    ASSERT_NEAR(m.deta, 100, TOL);
    spatia_mot_free(&gt);
    spatia_mot_free(&tr);
}

TEST(load_detections_allows_repeated_ids)
{
    const char *text = "1,-1,10,10,5,5,0.9\n1,-1,30,30,5,5,0.8\n"
                       "2,-1,11,10,5,5,0.7\n";
    const char *p = tmp_file("ok.txt", text);
    spatia_mot_seq seq = {0};
    char err[256] = "";
    ASSERT(p);
    /* tracks: an id twice in one frame is an error */
    ASSERT_EQ(spatia_mot_load(p, &seq, err, sizeof err), SPATIA_PARSE);
    ASSERT(strstr(err, "twice") != NULL);
    /* detections: ids are not identities, repeats are fine */
    ASSERT_OK(spatia_mot_load_detections(p, &seq, err, sizeof err));
    ASSERT_EQ(seq.n, 3);
    ASSERT_EQ(seq.max_frame, 2);
    spatia_mot_free(&seq);
}

TEST(frame_index_and_row_box)
{
    const char *text = "1,1,10,20,5,6,1\n3,1,12,20,5,6,1\n3,2,40,50,8,9,1\n";
    const char *p = tmp_file("ok.txt", text);
    spatia_mot_seq seq = {0};
    char err[256];
    ASSERT(p);
    ASSERT_OK(spatia_mot_load(p, &seq, err, sizeof err));
    int *first = spatia_mot_frame_index(&seq);
    ASSERT(first);
    /* frame 1: row 0; frame 2: none; frame 3: rows 1 and 2 */
    ASSERT_EQ(first[1], 0);
    ASSERT_EQ(first[2], 1);
    ASSERT_EQ(first[3], 1);
    ASSERT_EQ(first[4], 3);
    spatia_box b;
    spatia_mot_row_box(&seq.rows[2], 0.5f, 2.0f, &b);
    ASSERT_NEAR(b.x1, 20, 1e-6);
    ASSERT_NEAR(b.y1, 100, 1e-6);
    ASSERT_NEAR(b.x2, 24, 1e-6);
    ASSERT_NEAR(b.y2, 118, 1e-6);
    free(first);
    spatia_mot_free(&seq);
}

TEST_MAIN(T(perfect_tracker), T(misses_and_false_positives),
          T(id_switch_midway), T(id_swap_two_tracks),
          T(continuity_bonus_keeps_tracks), T(fragmentation),
          T(fragmentation_empty_tracker_frame), T(mostly_tracked_boundaries),
          T(hota_split_track), T(hota_partial_iou), T(hota_alignment_beats_iou),
          T(zero_marked_gt_ignored), T(empty_sides), T(bad_arguments),
          T(order_and_id_invariance), T(load_tolerant_format), T(load_errors),
          T(files_and_print), T(load_detections_allows_repeated_ids),
          T(frame_index_and_row_box), T(pets_self), T(pets_shifted),
          T(pets_id_offset))
