/*
 * resize.h - packed RGB24 frame -> float model input, bilinear, one pass.
 *
 * Output pixel o samples the source at (o + 0.5) * src / dst - 0.5 (half-
 * pixel centres, clamped to the image), on both axes independently (the
 * aspect ratio is not kept). The per-column and per-row source positions
 * and weights are tables built once per source size; resizing allocates
 * nothing.
 */
#ifndef SPATIA_VISION_RESIZE_H
#define SPATIA_VISION_RESIZE_H

#include <stdint.h>

typedef struct vision_resizer {
    int dw, dh;   /* destination size, px */
    int sw, sh;   /* source size the tables are for (0: none yet) */
    int *x0, *x1; /* [dw] byte offsets of the left/right source pixels */
    float *wx;    /* [dw] weight of the right pixel */
    int *y0, *y1; /* [dh] source rows */
    float *wy;    /* [dh] weight of the lower row */
} vision_resizer;

/* Allocates the tables for a dw x dh destination. SPATIA_OK,
 * SPATIA_EINVAL or SPATIA_NOMEM. */
int vision_resizer_init(vision_resizer *r, int dw, int dh);

/* Frees the tables; accepts a zeroed or freed resizer. */
void vision_resizer_free(vision_resizer *r);

/* Resizes a sw x sh RGB24 image (`stride` bytes per row) into dst, dh rows
 * of dw * 3 floats, each value = byte * scale + offset. Rebuilds the
 * tables when the source size changed (no allocation). Rows are split over
 * `pool` (NULL: the calling thread). */
struct pthreadpool;
void vision_resize_rgb24(vision_resizer *r, const uint8_t *src, int sw, int sh,
                         int stride, float *dst, float scale, float offset,
                         struct pthreadpool *pool);

#endif
