/*
 * spatia/pipeline.h - one stream, end to end.
 *
 * media -> detection source -> tracker -> analytics -> event JSON -> sink.
 * The pipeline owns every stage for one stream; all per-stream memory is
 * set up before the first frame.
 */
#ifndef SPATIA_PIPELINE_H
#define SPATIA_PIPELINE_H

#include <stdint.h>
#include <stdio.h>

#include "spatia/config.h"
#include "spatia/media.h"
#include "spatia/spatial.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct spatia_run_opts {
    const char *input;       /* file path or URL (VIDEO_URL) */
    const char *config_path; /* SPACEANALYTICS_CONFIG file */
    spatia_op op;
    const char *detections; /* MOT detections file; NULL = neural detector */
    const char *tracks_in;  /* MOT tracks (ids kept): replaces detection
                               and tracking, e.g. to turn ground truth into
                               reference events */
    const char *model;      /* detector model.json; NULL = default */
    const char *source_id;  /* VIDEO_SOURCE_ID; default "camera" */
    const char *output;     /* events file; NULL = stdout */
    const char *tracks_out; /* MOT tracks written here if not NULL */
    int live;               /* VIDEO_IS_LIVE */
    int rtsp_udp;
    int width;             /* INPUT_VIDEO_WIDTH; 0 = native */
    int threads;           /* detector threads; 0 = all cores */
    uint64_t seed;         /* track and event ids; 0 = random */
    int64_t start_time_ms; /* files: Unix ms of frame 0; <0 = now */
    int64_t max_frames;    /* stop after this many; 0 = all */
    int64_t lost_ttl_ms;   /* tracker: keep lost tracks; 0 = default */
    const char *video_out; /* annotated video written here if not NULL
                              (container from the extension, e.g. .mp4) */
} spatia_run_opts;

typedef struct spatia_run_result {
    int64_t frames; /* frames processed */
    int64_t events; /* messages delivered */
    spatia_media_stats media;
    int width, height; /* processed frame size */
} spatia_run_result;

void spatia_run_opts_default(spatia_run_opts *o);

/*
 * Runs until the input ends (files), until spatia_pipeline_stop() (or
 * SIGINT/SIGTERM when the CLI installs its handler), or until max_frames.
 * If `table` is not NULL, prints the counts per line and zone there at the
 * end. One-line error messages go to errbuf.
 * Returns SPATIA_OK, SPATIA_CONFIG (bad config), SPATIA_NOTFOUND/MEDIA/
 * NETWORK (input), SPATIA_IO/NOSPACE (sink) or another spatia_err.
 */
int spatia_pipeline_run(const spatia_run_opts *o, spatia_run_result *res,
                        FILE *table, char *errbuf, int errlen);

/* Asks a running pipeline to stop after the current frame.
 * Async-signal-safe. */
void spatia_pipeline_stop(void);

#ifdef __cplusplus
}
#endif
#endif
