/*
 * spatia/detect.h - detection sources: where the boxes for a frame come from.
 *
 * A detection source is an opaque handle behind a small vtable, so the
 * pipeline does not care whether boxes come from a neural detector or from a
 * file of precomputed detections. All boxes are in pixels of the processed
 * frame.
 */
#ifndef SPATIA_DETECT_H
#define SPATIA_DETECT_H

#include "spatia/types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct spatia_detsrc spatia_detsrc;

/* The operations every detection source implements. */
typedef struct spatia_detsrc_vtable {
    const char *name;
    /* Detects in `frame`; writes up to `cap` detections to `out` and their
     * number to *n (more than cap are dropped, lowest score first). */
    int (*detect)(void *self, const spatia_frame *frame,
                  spatia_detection *out, int cap, int *n);
    void (*destroy)(void *self);
} spatia_detsrc_vtable;

/* Wraps an implementation; takes ownership of `self` (destroyed with the
 * handle, also on failure). */
int spatia_detsrc_wrap(const spatia_detsrc_vtable *vt, void *self,
                       spatia_detsrc **out);

int spatia_detsrc_detect(spatia_detsrc *src, const spatia_frame *frame,
                         spatia_detection *out, int cap, int *n);

const char *spatia_detsrc_name(const spatia_detsrc *src);

/* Accepts NULL. */
void spatia_detsrc_destroy(spatia_detsrc *src);

/*
 * A source that reads MOT-format detections `frame,id,x,y,w,h,conf,...`
 * (frame 1-based, boxes in pixels, ids ignored). Video frame index i is
 * file frame i+1. `sx`, `sy` scale file pixels to processed-frame pixels
 * (1.0 when the video is processed at native size).
 * Returns SPATIA_NOTFOUND, SPATIA_PARSE (message in errbuf names the line),
 * SPATIA_NOMEM or SPATIA_OK.
 */
int spatia_detsrc_mot_create(const char *path, float sx, float sy,
                             spatia_detsrc **out, char *errbuf, int errlen);

#ifdef __cplusplus
}
#endif
#endif
