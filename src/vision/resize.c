/*
 * resize.c - bilinear RGB24 -> float resize through precomputed tables
 * (see resize.h).
 */
#include "vision/resize.h"

#include <pthreadpool.h>
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

typedef struct rs_ctx {
    const vision_resizer *r;
    const uint8_t *src;
    int stride;
    float *dst, scale, offset;
} rs_ctx;

static void resize_row(void *ctx, size_t oy)
{
    const rs_ctx *c = ctx;
    const vision_resizer *r = c->r;
    const uint8_t *r0 = c->src + (size_t)r->y0[oy] * (size_t)c->stride;
    const uint8_t *r1 = c->src + (size_t)r->y1[oy] * (size_t)c->stride;
    const float wy = r->wy[oy], sc = c->scale, off = c->offset;
    float *out = c->dst + oy * (size_t)r->dw * 3;
    for (int ox = 0; ox < r->dw; ox++) {
        const uint8_t *p0 = r0 + r->x0[ox], *p1 = r0 + r->x1[ox];
        const uint8_t *q0 = r1 + r->x0[ox], *q1 = r1 + r->x1[ox];
        const float wx = r->wx[ox];
        for (int k = 0; k < 3; k++) {
            float t = p0[k] + (float)(p1[k] - p0[k]) * wx;
            float u = q0[k] + (float)(q1[k] - q0[k]) * wx;
            out[3 * ox + k] = (t + (u - t) * wy) * sc + off;
        }
    }
}

void vision_resize_rgb24(vision_resizer *r, const uint8_t *src, int sw, int sh,
                         int stride, float *dst, float scale, float offset,
                         pthreadpool_t pool)
{
    if (r->sw != sw || r->sh != sh) {
        axis_table(sw, r->dw, r->x0, r->x1, r->wx, 3);
        axis_table(sh, r->dh, r->y0, r->y1, r->wy, 1);
        r->sw = sw;
        r->sh = sh;
    }
    rs_ctx c = {r, src, stride, dst, scale, offset};
    if (pool)
        pthreadpool_parallelize_1d(pool, resize_row, &c, (size_t)r->dh, 0);
    else
        for (int oy = 0; oy < r->dh; oy++)
            resize_row(&c, (size_t)oy);
}
