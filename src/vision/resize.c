/*
 * resize.c - bilinear RGB24 -> float resize through precomputed tables
 * (see resize.h).
 */
#include "vision/resize.h"

#include <stdlib.h>
#include <string.h>

#include "spatia/error.h"

int vision_resizer_init(vision_resizer *r, int dw, int dh)
{
    memset(r, 0, sizeof *r);
    if (dw <= 0 || dh <= 0 || dw > (1 << 16) || dh > (1 << 16))
        return SPATIA_EINVAL;
    r->dw = dw;
    r->dh = dh;
    r->x0 = malloc((size_t)dw * sizeof *r->x0);
    r->x1 = malloc((size_t)dw * sizeof *r->x1);
    r->wx = malloc((size_t)dw * sizeof *r->wx);
    r->y0 = malloc((size_t)dh * sizeof *r->y0);
    r->y1 = malloc((size_t)dh * sizeof *r->y1);
    r->wy = malloc((size_t)dh * sizeof *r->wy);
    if (!r->x0 || !r->x1 || !r->wx || !r->y0 || !r->y1 || !r->wy) {
        vision_resizer_free(r);
        return SPATIA_NOMEM;
    }
    return SPATIA_OK;
}

void vision_resizer_free(vision_resizer *r)
{
    if (!r)
        return;
    free(r->x0);
    free(r->x1);
    free(r->wx);
    free(r->y0);
    free(r->y1);
    free(r->wy);
    memset(r, 0, sizeof *r);
}

/* One axis: destination o samples the source at (o + 0.5) * src / dst -
 * 0.5, clamped; lo/hi are source indices times `mul`. */
static void axis_table(int src, int dst, int *lo, int *hi, float *w, int mul)
{
    double scale = (double)src / dst;
    for (int o = 0; o < dst; o++) {
        double s = (o + 0.5) * scale - 0.5;
        if (s < 0)
            s = 0;
        if (s > src - 1)
            s = src - 1;
        int a = (int)s;
        int b = a + 1 < src ? a + 1 : a;
        lo[o] = a * mul;
        hi[o] = b * mul;
        w[o] = (float)(s - a);
    }
}

void vision_resize_rgb24(vision_resizer *r, const uint8_t *src, int sw, int sh,
                         int stride, float *dst, float scale, float offset)
{
    if (r->sw != sw || r->sh != sh) {
        axis_table(sw, r->dw, r->x0, r->x1, r->wx, 3);
        axis_table(sh, r->dh, r->y0, r->y1, r->wy, 1);
        r->sw = sw;
        r->sh = sh;
    }
    float *out = dst;
    for (int oy = 0; oy < r->dh; oy++) {
        const uint8_t *r0 = src + (size_t)r->y0[oy] * (size_t)stride;
        const uint8_t *r1 = src + (size_t)r->y1[oy] * (size_t)stride;
        const float wy = r->wy[oy];
        for (int ox = 0; ox < r->dw; ox++) {
            const int a = r->x0[ox], b = r->x1[ox];
            const float wx = r->wx[ox];
            for (int c = 0; c < 3; c++) {
                float t = r0[a + c] + (float)(r0[b + c] - r0[a + c]) * wx;
                float u = r1[a + c] + (float)(r1[b + c] - r1[a + c]) * wx;
                *out++ = (t + (u - t) * wy) * scale + offset;
            }
        }
    }
}
