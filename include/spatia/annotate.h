/*
 * spatia/annotate.h - the annotated-video output.
 *
 * Two parts:
 * - spatia_annotate_frame() draws one frame's analytics over its pixels:
 *   zones (translucent polygons with their names), lines (an arrow from
 *   start to end with the name), the boxes of confirmed tracks (one colour
 *   per track num, labelled with the num) and a legend of per-rule counts.
 * - spatia_video_writer encodes RGB24 frames into a video file through
 *   FFmpeg: H.264 (libx264, crf 23) when the FFmpeg build has libx264,
 *   else MPEG-4 part 2; yuv420p; container chosen by the file extension.
 *
 * Typical use per stream: open a writer at the processed frame size, then
 * per frame copy the frame, annotate the copy and write it; close at the
 * end (close flushes the encoder, writes the trailer and frees).
 */
#ifndef SPATIA_ANNOTATE_H
#define SPATIA_ANNOTATE_H

#include <stdint.h>

#include "spatia/config.h"
#include "spatia/draw.h"
#include "spatia/spatial.h"
#include "spatia/track.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Draws the analytics of one frame into rgb (packed RGB24, w x h px, stride
 * bytes per row), in this order: zones of cfg (normalized vertices scaled
 * to w x h, filled with alpha 64, outlined, name at the top-most vertex),
 * lines of cfg (arrow start -> end, name beside the start, "R" and "L"
 * marking the sides a CrossRight/CrossLeft goes to), the boxes of
 * tracks[0..ntracks) whose state is CONFIRMED (colour from num, label
 * "num"), then a legend box at the top-left with one line per zone/line
 * name of stats[0..nstats), rules of one name merged, e.g.
 *   "walkway: R 12  L 9"
 *   "plaza: count 3, in 20 out 18, dwell 4.1s"
 * Any of cfg, tracks, stats may be NULL (with count 0). Text is drawn at
 * spatia_annotate_scale(h). Allocates nothing.
 * Returns SPATIA_OK, or SPATIA_EINVAL for a bad image or a NULL array with
 * a positive count.
 */
int spatia_annotate_frame(uint8_t *rgb, int stride, int w, int h,
                          const spatia_config *cfg, const spatia_track *tracks,
                          int ntracks, const spatia_rule_stats *stats,
                          int nstats);

/* Text scale spatia_annotate_frame uses for a frame `h` px high: h / 288
 * clamped to 1..4 (so 2 for 576p and 720p, 3 for 1080p). */
int spatia_annotate_scale(int h);

/* Colour of track `num` (a well-spread hue per num, fixed across runs). */
spatia_rgb spatia_annotate_track_color(uint32_t num);

typedef struct spatia_video_writer spatia_video_writer;

/*
 * Creates the video file `path` for frames of width x height px at `fps`
 * frames per second (a hint for the rate; timestamps come from write).
 * The container follows the extension (.mp4, .mkv, .avi, .mov, ...; a path
 * without an extension is written as MP4). Odd sizes are cropped by one
 * px column/row, as yuv420p needs even ones. The environment variable
 * SPATIA_VIDEO_ENCODER=libx264|mpeg4 forces one of the two encoders.
 * On failure *out is NULL, no file is left behind and one line goes to
 * errbuf (may be NULL): SPATIA_EINVAL (bad arguments: NULL path/out, size
 * outside 2..16384, fps not in (0, 1000]), SPATIA_UNSUPPORTED (extension
 * FFmpeg does not know, or a container that cannot hold the codec),
 * SPATIA_IO (cannot create the file), SPATIA_MEDIA (encoder set-up failed),
 * SPATIA_NOMEM.
 */
int spatia_video_writer_open(const char *path, int width, int height,
                             double fps, spatia_video_writer **out,
                             char *errbuf, int errlen);

/*
 * Encodes one frame: rgb24 is width x height packed RGB24 with `stride`
 * bytes per row (>= 3 * width); pts_ms is its time in ms from the start of
 * the stream. Timestamps are rounded to the frame rate; a frame whose
 * rounded time does not advance is written one frame period after the
 * previous one, so the output stays monotonic. Does not allocate in the
 * steady state. After an encoder or I/O error every later write returns
 * the same code (bad arguments are not sticky).
 * Returns SPATIA_OK, SPATIA_EINVAL (NULL args, short stride), SPATIA_MEDIA
 * (encoder), SPATIA_IO or SPATIA_NOSPACE (writing the file).
 */
int spatia_video_writer_write(spatia_video_writer *w, const uint8_t *rgb24,
                              int stride, int64_t pts_ms);

/* One-line description of the last error of w ("" if none); valid until
 * the next call on w. */
const char *spatia_video_writer_error(const spatia_video_writer *w);

/* Name of the encoder in use: "libx264" or "mpeg4". */
const char *spatia_video_writer_codec(const spatia_video_writer *w);

/* Frames written so far. */
int64_t spatia_video_writer_frames(const spatia_video_writer *w);

/*
 * Flushes the encoder, writes the container trailer, closes the file and
 * frees w. If an earlier write failed the file is closed without a trailer
 * and that error is returned. Accepts NULL (returns SPATIA_OK).
 * Returns SPATIA_OK, SPATIA_MEDIA, SPATIA_IO or SPATIA_NOSPACE.
 */
int spatia_video_writer_close(spatia_video_writer *w);

#ifdef __cplusplus
}
#endif
#endif
