/*
 * spatia/spatial.h - zone and line analytics: tracks in, events out.
 *
 * One spatia_analytics instance runs the events of one SPACEANALYTICS_CONFIG
 * on one stream. Every (zone|line, event) pair is a rule with its own
 * per-track state, because two events of one zone may use different focus
 * points and thresholds. Per frame it takes the tracker's tracks and calls
 * back once per event, in a stable order (rules in config order, tracks in
 * input order).
 *
 * Semantics (spec §7, with the choices spec §19 leaves open):
 * - Only confirmed tracks count; a track's state starts when it is confirmed.
 * - Threshold (spec §5.6): (0,1) is a fraction of the frame width, >= 1 is
 *   pixels, 0 disables it; absent means 16 px (48 px for zonecrossing).
 *   It is a hysteresis band: a line side or a zone membership changes only
 *   once the focus point is more than the threshold past the line or edge,
 *   so a box jittering on a boundary is counted once.
 * - Lines: CrossRight when the committed side goes from left to right of
 *   start->end (c < 0 to c > 0, spec §7.2), CrossLeft the reverse; the
 *   crossing counts only if the path crossed the segment itself, not its
 *   extension.
 * - Zones: Enter/Exit with the 1-based side crossed; side "" when a track is
 *   first seen inside, or is removed (lost for good) while inside, which
 *   also ends its dwell. Dwell time runs from the Enter frame to the Exit
 *   frame (or the last frame the vanished track was seen), in stream ms.
 * - count / persondistance: people inside the zone among the tracks matched
 *   in this frame or lost for less than count_grace_ms (so a one-frame
 *   occlusion does not make the count flicker). trigger=event emits one
 *   initial event and one per change; trigger=interval emits the current
 *   count every interval (legacy `interval` seconds, else opts.interval_ms).
 *   persondistance reports eventName "unknown" until calibration exists.
 * - output_frequency N emits the 1st, (N+1)-th, ... qualifying event.
 */
#ifndef SPATIA_SPATIAL_H
#define SPATIA_SPATIAL_H

#include <stdint.h>

#include "spatia/config.h"
#include "spatia/events.h"
#include "spatia/track.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct spatia_analytics spatia_analytics;

/* Receives each event; a non-zero return stops the update and is passed
 * back to its caller. The event and its people are valid during the call. */
typedef int (*spatia_event_fn)(void *user, const spatia_event *ev);

typedef struct spatia_analytics_opts {
    int width, height;      /* processed frame size, px */
    uint64_t seed;          /* event ids; 0 = random */
    int64_t count_grace_ms; /* default 1000 */
    int64_t interval_ms;    /* trigger=interval period; default 1000 */
} spatia_analytics_opts;

/* Occurrences per rule since the start (before output_frequency). */
typedef struct spatia_rule_stats {
    const char *name; /* zone or line name */
    spatia_event_kind kind;
    int is_line;
    int64_t cross_left, cross_right; /* linecrossing */
    int64_t enter, exit;             /* zonecrossing, zonedwelltime (exits) */
    int64_t emitted;                 /* messages emitted */
    int last_count, max_count;       /* count, persondistance */
    double dwell_ms_sum;             /* zonedwelltime */
} spatia_rule_stats;

void spatia_analytics_opts_default(spatia_analytics_opts *o);

/* `cfg` must outlive the analytics. Returns SPATIA_OK, SPATIA_EINVAL or
 * SPATIA_NOMEM. */
int spatia_analytics_create(const spatia_config *cfg,
                            const spatia_analytics_opts *opts,
                            spatia_analytics **out);

/*
 * Processes one frame: `tracks[0..n)` as reported by the tracker for frame
 * `frame_index` at stream time `pts_ms`. Calls fn(user, ev) per event.
 * Returns SPATIA_OK, SPATIA_NOMEM, or the first non-zero value fn returned.
 */
int spatia_analytics_update(spatia_analytics *a, int64_t frame_index,
                            int64_t pts_ms, const spatia_track *tracks, int n,
                            spatia_event_fn fn, void *user);

/* Per-rule statistics, valid until the next update or destroy. */
void spatia_analytics_stats(const spatia_analytics *a,
                            const spatia_rule_stats **stats, int *n);

/* Accepts NULL. */
void spatia_analytics_destroy(spatia_analytics *a);

#ifdef __cplusplus
}
#endif
#endif
