/*
 * spatia/media.h - video ingest: files, RTSP and HTTP through FFmpeg.
 *
 * A spatia_media handle opens one source, decodes it with any codec FFmpeg
 * knows, and hands out frames converted once to packed RGB24 at the
 * processing size. Timestamps come from the stream (PTS, in ms).
 *
 * File mode reads as fast as the caller asks. Live mode (opts.live) keeps
 * real time: frames that arrive while the caller is still busy with an
 * earlier one are dropped and counted, and a stream that ends or fails is
 * reopened with capped exponential back-off instead of ending the run.
 */
#ifndef SPATIA_MEDIA_H
#define SPATIA_MEDIA_H

#include <stdint.h>

#include "spatia/types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct spatia_media spatia_media;

typedef struct spatia_media_opts {
    int live;           /* 1: real-time source (VIDEO_IS_LIVE), reconnects */
    int rtsp_udp;       /* 1: RTSP over UDP; default 0 = TCP */
    int width;          /* processed width in px; 0 = native */
    int height;         /* processed height in px; 0 = keep aspect ratio */
    int timeout_ms;     /* open/read timeout for network sources; 0 = 5000 */
    int backoff_min_ms; /* first reconnect delay; 0 = 500 */
    int backoff_max_ms; /* cap of the reconnect delay; 0 = 30000 */
    int max_reconnects; /* give up after this many failed reopens in a row;
                           0 = never give up */
} spatia_media_opts;

/* Counters of one source since it was opened. */
typedef struct spatia_media_stats {
    int64_t frames_decoded; /* frames that came out of the decoder */
    int64_t frames_dropped; /* live mode: decoded but skipped to keep up */
    int64_t decode_errors;  /* corrupt packets/frames skipped */
    int64_t reconnects;     /* successful reopens after a failure */
} spatia_media_stats;

/* Fills `opts` with the defaults (file mode, native size). */
void spatia_media_opts_default(spatia_media_opts *opts);

/*
 * Opens `url` (a path, file://, rtsp://, http(s)://). On success stores a new
 * handle in *out. In live mode an unreachable source is still an error here
 * only if it cannot be opened at all within opts.timeout_ms; later failures
 * are retried. `errbuf` (may be NULL) receives a one-line reason.
 * Returns SPATIA_OK, SPATIA_NOTFOUND (missing file), SPATIA_MEDIA (not a
 * video, no decoder), SPATIA_NETWORK, SPATIA_EINVAL or SPATIA_NOMEM.
 */
int spatia_media_open(const char *url, const spatia_media_opts *opts,
                      spatia_media **out, char *errbuf, int errlen);

/*
 * Reads the next frame into *frame; the pixel data stays valid until the next
 * call or destroy. Returns SPATIA_OK, SPATIA_EOF at the end of a file (or when
 * a live source gave up after max_reconnects), SPATIA_INTERRUPTED when
 * spatia_media_interrupt() was called, or SPATIA_MEDIA on a fatal error.
 */
int spatia_media_read(spatia_media *m, spatia_frame *frame);

/* Makes a blocked or future read return SPATIA_INTERRUPTED. Thread-safe and
 * async-signal-safe. */
void spatia_media_interrupt(spatia_media *m);

/* Processed size in px: the size frames come out at. */
void spatia_media_size(const spatia_media *m, int *width, int *height);

/* Native size in px of the stream as decoded. */
void spatia_media_native_size(const spatia_media *m, int *width, int *height);

/* Nominal frame rate from the container (frames per second), 0 if unknown. */
double spatia_media_fps(const spatia_media *m);

void spatia_media_stats_get(const spatia_media *m, spatia_media_stats *st);

/* Closes the source. Accepts NULL. */
void spatia_media_destroy(spatia_media *m);

#ifdef __cplusplus
}
#endif
#endif
