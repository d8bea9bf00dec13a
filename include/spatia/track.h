/*
 * spatia/track.h - multi-object tracking of detections across frames.
 *
 * The tracker turns per-frame detections into tracks with stable ids. The
 * default implementation follows ByteTrack (Zhang et al., 2022): a
 * constant-velocity Kalman filter on box centre and size, a first IoU
 * association of high-score boxes, then a second association of the
 * still-unmatched tracks with low-score boxes. New tracks start only from
 * high-score boxes, become confirmed after a few hits, and are kept while
 * lost for a configurable time before they are removed.
 *
 * The tracker owns every spatia_track it reports; the array returned by
 * spatia_tracker_update() stays valid until the next update or destroy.
 */
#ifndef SPATIA_TRACK_H
#define SPATIA_TRACK_H

#include <stdint.h>

#include "spatia/types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct spatia_tracker spatia_tracker;

typedef enum spatia_track_state {
    SPATIA_TRACK_TENTATIVE = 0, /* seen, not yet confirmed */
    SPATIA_TRACK_CONFIRMED = 1, /* matched in this frame, confirmed */
    SPATIA_TRACK_LOST = 2,      /* confirmed, not matched in this frame */
    SPATIA_TRACK_REMOVED = 3    /* reported once, in the update that drops it */
} spatia_track_state;

typedef struct spatia_track {
    uint32_t num;          /* 1-based sequence number (MOT output id) */
    char id[33];           /* 32 lowercase hex + NUL, the schema's id */
    spatia_track_state state;
    spatia_box box;        /* px; the detection box when matched this frame,
                              else the Kalman prediction */
    float score;           /* score of the last matched detection */
    int det_index;         /* index into this frame's detections, -1 if none */
    float vx, vy;          /* px per frame, velocity of the box centre */
    int hits;              /* frames matched so far */
    int64_t first_pts_ms;  /* stream time of the first match */
    int64_t last_pts_ms;   /* stream time of the last match */
    int64_t last_frame;    /* frame index of the last match */
} spatia_track;

typedef struct spatia_tracker_params {
    float high_thresh;    /* first-pass score threshold; 0.5 */
    float low_thresh;     /* boxes below are dropped; 0.1 */
    float new_track_thresh; /* min score to start a track; 0.6 */
    float match_iou;      /* min IoU, first pass; 0.2 (cost 1-IoU <= 0.8) */
    float low_match_iou;  /* min IoU, second pass; 0.5 */
    int min_hits;         /* matches before a track is confirmed; 3 */
    int64_t lost_ttl_ms;  /* how long a lost track is kept; 4000 */
    uint64_t id_seed;     /* seeds the 32-hex ids; 0 = random per tracker */
} spatia_tracker_params;

void spatia_tracker_params_default(spatia_tracker_params *p);

/* Creates a tracker. Returns SPATIA_OK, SPATIA_EINVAL (bad params) or
 * SPATIA_NOMEM. */
int spatia_tracker_create(const spatia_tracker_params *p,
                          spatia_tracker **out);

/*
 * Advances the tracker by one frame. `dets[0..n)` are this frame's
 * detections (px); `frame_index` and `pts_ms` identify the frame. On return
 * *tracks points at every track the tracker knows after this frame
 * (tentative, confirmed, lost, and those removed by this very update) and
 * *ntracks holds their count. Allocates only when the number of live tracks
 * exceeds every earlier high-water mark.
 * Returns SPATIA_OK, SPATIA_EINVAL or SPATIA_NOMEM.
 */
int spatia_tracker_update(spatia_tracker *t, const spatia_detection *dets,
                          int n, int64_t frame_index, int64_t pts_ms,
                          const spatia_track **tracks, int *ntracks);

/* Accepts NULL. */
void spatia_tracker_destroy(spatia_tracker *t);

#ifdef __cplusplus
}
#endif
#endif
