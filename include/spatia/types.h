/*
 * spatia/types.h - plain data that flows between the pipeline stages.
 *
 * These are caller-owned value types: no handles, no hidden allocation.
 * Pixel coordinates are in the *processed* frame (after the one resize done
 * by the media stage); normalized coordinates (0..1, origin top-left, y down)
 * appear only at the event boundary, as the Azure schema wants.
 */
#ifndef SPATIA_TYPES_H
#define SPATIA_TYPES_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An axis-aligned box in pixels: (x1,y1) top-left, (x2,y2) bottom-right. */
typedef struct spatia_box {
    float x1, y1; /* px */
    float x2, y2; /* px, x2 >= x1, y2 >= y1 */
} spatia_box;

/* One detection from a detection source. */
typedef struct spatia_detection {
    spatia_box box; /* px in the processed frame */
    float score;    /* detector confidence, 0..1 */
    int cls;        /* class id; 0 = person */
} spatia_detection;

/* Pixel layout of a frame's data. Only packed RGB24 for now. */
typedef enum spatia_pixfmt {
    SPATIA_PIXFMT_RGB24 = 0 /* 3 bytes per pixel, R G B */
} spatia_pixfmt;

/*
 * A decoded frame in the processing format and size. The media stage owns
 * `data`; it stays valid until the next read from the same source.
 */
typedef struct spatia_frame {
    const uint8_t *data; /* first pixel of the top row */
    int stride;          /* bytes per row */
    int width, height;   /* px of the processed frame */
    spatia_pixfmt fmt;
    int64_t index;   /* 0-based decode-order frame number since open */
    int64_t pts_ms;  /* presentation time from the stream, ms from start */
    int64_t wall_ms; /* Unix time in ms when the frame was read */
} spatia_frame;

#ifdef __cplusplus
}
#endif
#endif
