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

#include "spatia/nn.h"
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
    int (*detect)(void *self, const spatia_frame *frame, spatia_detection *out,
                  int cap, int *n);
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

/* Options of the neural detector (spatia_detsrc_nn_create). */
typedef struct spatia_detnn_opts {
    float score;     /* keep detections scoring >= this, 0..1; default 0.3 */
    float iou;       /* NMS: a box is dropped when it overlaps a better box
                        of the same class by IoU > this; default 0.5 */
    int all_classes; /* 0 (default): keep class 0 (person) only */
    float in_scale;  /* model input = pixel (0..255) * in_scale + in_offset; */
    float in_offset; /* defaults 1 and 0: raw RGB, as CenterNet wants */
} spatia_detnn_opts;

/* Fills `opts` with the defaults above. */
void spatia_detnn_opts_default(spatia_detnn_opts *opts);

/*
 * A source that runs a TF.js detection model on every frame: the frame
 * (packed RGB24, any size) is resized straight into the model input in one
 * bilinear pass (half-pixel centres, aspect ratio not kept), the model runs,
 * and its [1,N,6] output rows (x1, y1, x2, y2 in input pixels, score,
 * class) are filtered by class and score, suppressed per class (greedy NMS)
 * and scaled back to frame pixels. The model must have one float32
 * [1,H,W,3] input and a float32 [1,N,6] output (CenterNet's
 * tower_0/detections). `nn` and `det` may be NULL for the defaults.
 * Returns SPATIA_OK, the errors of spatia_nn_model_load, or SPATIA_MODEL
 * when the model does not have that interface (message in errbuf).
 * Detecting allocates nothing once the frame size is known.
 */
int spatia_detsrc_nn_create(const char *model_json, const spatia_nn_opts *nn,
                            const spatia_detnn_opts *det, spatia_detsrc **out,
                            char *errbuf, int errlen);

/*
 * Path of a bundled model: `name_or_path` containing a '/' or ending in
 * ".json" is used as given; otherwise it names a model ("centernet"; NULL
 * means "centernet") looked up as <dir>/<name>.json in $SPATIA_MODELS_DIR,
 * then in <repo>/models of this build, then in models/ beside the
 * executable's folder. Writes the path (the first candidate when none
 * exists) into buf and returns SPATIA_OK, or SPATIA_NOTFOUND when no file
 * exists, or SPATIA_EINVAL.
 */
int spatia_model_path(const char *name_or_path, char *buf, int len);

#ifdef __cplusplus
}
#endif
#endif
