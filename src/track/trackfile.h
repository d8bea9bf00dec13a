/*
 * trackfile.h - tracks replayed from a MOT file, ids kept.
 *
 * Stands in for detection + tracking when the tracks are already known, for
 * instance to turn ground truth into reference events with the very same
 * analytics. A track is CONFIRMED in the frames where its id has a row, LOST
 * in the frames between, and REMOVED once after lost_ttl_ms without a row,
 * like the tracker's tracks.
 */
#ifndef SPATIA_TRACK_TRACKFILE_H
#define SPATIA_TRACK_TRACKFILE_H

#include <stdint.h>

#include "spatia/track.h"

typedef struct trackfile trackfile;

/* Loads `path`; rows with conf == 0 are ignored (MOT "ignore" marks), ids
 * must be >= 1. Returns SPATIA_OK, SPATIA_NOTFOUND, SPATIA_PARSE (errbuf
 * names the line) or SPATIA_NOMEM. */
int trackfile_open(const char *path, int64_t lost_ttl_ms, uint64_t seed,
                   float sx, float sy, trackfile **out, char *errbuf,
                   int errlen);

/* Tracks of video frame `frame_index` (file frame frame_index + 1). The
 * array stays valid until the next call. */
int trackfile_update(trackfile *tf, int64_t frame_index, int64_t pts_ms,
                     const spatia_track **tracks, int *n);

void trackfile_destroy(trackfile *tf);

#endif
