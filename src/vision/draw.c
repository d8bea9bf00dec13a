/*
 * draw.c - software drawing on packed RGB24 (see spatia/draw.h).
 *
 * Everything is clipped before it touches memory, in two ways: segments
 * and rectangles are cut to the image (grown by the brush radius) in double
 * or 64-bit arithmetic first, so that coordinates near INT_MIN/INT_MAX
 * neither overflow nor loop for long; then each horizontal span is clipped
 * to the image on its own. Nothing allocates: per-call scratch (polygon
 * vertices, one row's crossings, the brush profile) lives on the stack.
 *
 * Lines: Bresenham's integer algorithm over the clipped segment; a thick
 * line stamps a round brush (a precomputed half-width per brush row) at each
 * pixel, which also gives round joins and caps to polygon outlines.
 *
 * Filled polygons: a scanline fill that samples pixel centres. For each row
 * centre yc it collects the x where edges cross yc (half-open rule: an edge
 * counts if exactly one end has y <= yc, so shared vertices count once),
 * sorts them and fills between crossings 1-2, 3-4, ... - the even-odd rule,
 * which handles concave and self-intersecting polygons.
 *
 * Text: a 5x9 bitmap font designed for spatia (rows top to bottom, bit 4
 * is the leftmost column), magnified by an integer scale.
 */
#include "spatia/draw.h"

#include <limits.h>
#include <math.h>
#include <stddef.h>

#include "spatia/error.h"

#define MAX_DIM     65536
#define FONT_FIRST  32
#define FONT_LAST   126
#define FONT_W      5
#define FONT_H      9
#define TEXT_MAX_SC 16

/* ASCII 32..126, 9 rows of 5 bits each. */
static const uint8_t font5x9[FONT_LAST - FONT_FIRST + 1][FONT_H] = {
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, /*   */
    {0x04, 0x04, 0x04, 0x04, 0x04, 0x00, 0x04, 0x00, 0x00}, /* ! */
    {0x0a, 0x0a, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, /* " */
    {0x0a, 0x0a, 0x1f, 0x0a, 0x1f, 0x0a, 0x0a, 0x00, 0x00}, /* # */
    {0x04, 0x0f, 0x14, 0x0e, 0x05, 0x1e, 0x04, 0x00, 0x00}, /* $ */
    {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03, 0x00, 0x00}, /* % */
    {0x0c, 0x12, 0x14, 0x08, 0x15, 0x12, 0x0d, 0x00, 0x00}, /* & */
    {0x04, 0x04, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, /* ' */
    {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02, 0x00, 0x00}, /* ( */
    {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08, 0x00, 0x00}, /* ) */
    {0x00, 0x04, 0x15, 0x0e, 0x15, 0x04, 0x00, 0x00, 0x00}, /* asterisk */
    {0x00, 0x04, 0x04, 0x1f, 0x04, 0x04, 0x00, 0x00, 0x00}, /* + */
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x04, 0x08, 0x00}, /* , */
    {0x00, 0x00, 0x00, 0x1f, 0x00, 0x00, 0x00, 0x00, 0x00}, /* - */
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x0c, 0x00, 0x00}, /* . */
    {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00, 0x00, 0x00}, /* slash */
    {0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e, 0x00, 0x00}, /* 0 */
    {0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e, 0x00, 0x00}, /* 1 */
    {0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f, 0x00, 0x00}, /* 2 */
    {0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e, 0x00, 0x00}, /* 3 */
    {0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02, 0x00, 0x00}, /* 4 */
    {0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e, 0x00, 0x00}, /* 5 */
    {0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e, 0x00, 0x00}, /* 6 */
    {0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08, 0x00, 0x00}, /* 7 */
    {0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e, 0x00, 0x00}, /* 8 */
    {0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c, 0x00, 0x00}, /* 9 */
    {0x00, 0x0c, 0x0c, 0x00, 0x0c, 0x0c, 0x00, 0x00, 0x00}, /* : */
    {0x00, 0x0c, 0x0c, 0x00, 0x0c, 0x04, 0x08, 0x00, 0x00}, /* ; */
    {0x02, 0x04, 0x08, 0x10, 0x08, 0x04, 0x02, 0x00, 0x00}, /* < */
    {0x00, 0x00, 0x1f, 0x00, 0x1f, 0x00, 0x00, 0x00, 0x00}, /* = */
    {0x08, 0x04, 0x02, 0x01, 0x02, 0x04, 0x08, 0x00, 0x00}, /* > */
    {0x0e, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04, 0x00, 0x00}, /* ? */
    {0x0e, 0x11, 0x01, 0x0d, 0x15, 0x15, 0x0e, 0x00, 0x00}, /* @ */
    {0x0e, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11, 0x00, 0x00}, /* A */
    {0x1e, 0x11, 0x11, 0x1e, 0x11, 0x11, 0x1e, 0x00, 0x00}, /* B */
    {0x0e, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0e, 0x00, 0x00}, /* C */
    {0x1c, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1c, 0x00, 0x00}, /* D */
    {0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x1f, 0x00, 0x00}, /* E */
    {0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x10, 0x00, 0x00}, /* F */
    {0x0e, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0f, 0x00, 0x00}, /* G */
    {0x11, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11, 0x00, 0x00}, /* H */
    {0x0e, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e, 0x00, 0x00}, /* I */
    {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0c, 0x00, 0x00}, /* J */
    {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11, 0x00, 0x00}, /* K */
    {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1f, 0x00, 0x00}, /* L */
    {0x11, 0x1b, 0x15, 0x15, 0x11, 0x11, 0x11, 0x00, 0x00}, /* M */
    {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11, 0x00, 0x00}, /* N */
    {0x0e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e, 0x00, 0x00}, /* O */
    {0x1e, 0x11, 0x11, 0x1e, 0x10, 0x10, 0x10, 0x00, 0x00}, /* P */
    {0x0e, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0d, 0x00, 0x00}, /* Q */
    {0x1e, 0x11, 0x11, 0x1e, 0x14, 0x12, 0x11, 0x00, 0x00}, /* R */
    {0x0f, 0x10, 0x10, 0x0e, 0x01, 0x01, 0x1e, 0x00, 0x00}, /* S */
    {0x1f, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x00, 0x00}, /* T */
    {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e, 0x00, 0x00}, /* U */
    {0x11, 0x11, 0x11, 0x11, 0x11, 0x0a, 0x04, 0x00, 0x00}, /* V */
    {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0a, 0x00, 0x00}, /* W */
    {0x11, 0x11, 0x0a, 0x04, 0x0a, 0x11, 0x11, 0x00, 0x00}, /* X */
    {0x11, 0x11, 0x0a, 0x04, 0x04, 0x04, 0x04, 0x00, 0x00}, /* Y */
    {0x1f, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1f, 0x00, 0x00}, /* Z */
    {0x0e, 0x08, 0x08, 0x08, 0x08, 0x08, 0x0e, 0x00, 0x00}, /* [ */
    {0x00, 0x10, 0x08, 0x04, 0x02, 0x01, 0x00, 0x00, 0x00}, /* backslash */
    {0x0e, 0x02, 0x02, 0x02, 0x02, 0x02, 0x0e, 0x00, 0x00}, /* ] */
    {0x04, 0x0a, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, /* ^ */
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1f, 0x00}, /* _ */
    {0x08, 0x04, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, /* ` */
    {0x00, 0x00, 0x0e, 0x01, 0x0f, 0x11, 0x0f, 0x00, 0x00}, /* a */
    {0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x1e, 0x00, 0x00}, /* b */
    {0x00, 0x00, 0x0e, 0x10, 0x10, 0x11, 0x0e, 0x00, 0x00}, /* c */
    {0x01, 0x01, 0x0d, 0x13, 0x11, 0x11, 0x0f, 0x00, 0x00}, /* d */
    {0x00, 0x00, 0x0e, 0x11, 0x1f, 0x10, 0x0e, 0x00, 0x00}, /* e */
    {0x06, 0x09, 0x08, 0x1c, 0x08, 0x08, 0x08, 0x00, 0x00}, /* f */
    {0x00, 0x00, 0x0f, 0x11, 0x11, 0x13, 0x0d, 0x01, 0x0e}, /* g */
    {0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x11, 0x00, 0x00}, /* h */
    {0x04, 0x00, 0x0c, 0x04, 0x04, 0x04, 0x0e, 0x00, 0x00}, /* i */
    {0x02, 0x00, 0x06, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0c}, /* j */
    {0x10, 0x10, 0x12, 0x14, 0x18, 0x14, 0x12, 0x00, 0x00}, /* k */
    {0x0c, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e, 0x00, 0x00}, /* l */
    {0x00, 0x00, 0x1a, 0x15, 0x15, 0x15, 0x11, 0x00, 0x00}, /* m */
    {0x00, 0x00, 0x16, 0x19, 0x11, 0x11, 0x11, 0x00, 0x00}, /* n */
    {0x00, 0x00, 0x0e, 0x11, 0x11, 0x11, 0x0e, 0x00, 0x00}, /* o */
    {0x00, 0x00, 0x1e, 0x11, 0x11, 0x19, 0x16, 0x10, 0x10}, /* p */
    {0x00, 0x00, 0x0f, 0x11, 0x11, 0x13, 0x0d, 0x01, 0x01}, /* q */
    {0x00, 0x00, 0x16, 0x19, 0x10, 0x10, 0x10, 0x00, 0x00}, /* r */
    {0x00, 0x00, 0x0f, 0x10, 0x0e, 0x01, 0x1e, 0x00, 0x00}, /* s */
    {0x08, 0x08, 0x1c, 0x08, 0x08, 0x09, 0x06, 0x00, 0x00}, /* t */
    {0x00, 0x00, 0x11, 0x11, 0x11, 0x13, 0x0d, 0x00, 0x00}, /* u */
    {0x00, 0x00, 0x11, 0x11, 0x11, 0x0a, 0x04, 0x00, 0x00}, /* v */
    {0x00, 0x00, 0x11, 0x11, 0x15, 0x15, 0x0a, 0x00, 0x00}, /* w */
    {0x00, 0x00, 0x11, 0x0a, 0x04, 0x0a, 0x11, 0x00, 0x00}, /* x */
    {0x00, 0x00, 0x11, 0x11, 0x11, 0x13, 0x0d, 0x01, 0x0e}, /* y */
    {0x00, 0x00, 0x1f, 0x02, 0x04, 0x08, 0x1f, 0x00, 0x00}, /* z */
    {0x02, 0x04, 0x04, 0x08, 0x04, 0x04, 0x02, 0x00, 0x00}, /* { */
    {0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x00, 0x00}, /* | */
    {0x08, 0x04, 0x04, 0x02, 0x04, 0x04, 0x08, 0x00, 0x00}, /* } */
    {0x00, 0x00, 0x08, 0x15, 0x02, 0x00, 0x00, 0x00, 0x00}, /* ~ */
};

int spatia_image_valid(const spatia_image *im)
{
    return im && im->data && im->width > 0 && im->height > 0 &&
           im->width <= MAX_DIM && im->height <= MAX_DIM &&
           (long long)im->stride >= 3LL * im->width;
}

static inline uint8_t *px_at(const spatia_image *im, int x, int y)
{
    return im->data + (size_t)y * (size_t)im->stride + (size_t)x * 3;
}

static inline uint8_t blend8(int src, int dst, int a)
{
    return (uint8_t)((src * a + dst * (255 - a) + 127) / 255);
}

/* Horizontal span [xa, xb] on row y, clipped; the image is valid. */
static void span(const spatia_image *im, long long xa, long long xb,
                 long long y, spatia_rgb c, int alpha)
{
    if (y < 0 || y >= im->height || alpha <= 0)
        return;
    if (xa < 0)
        xa = 0;
    if (xb > im->width - 1)
        xb = im->width - 1;
    if (xa > xb)
        return;
    uint8_t *p = px_at(im, (int)xa, (int)y);
    if (alpha >= 255) {
        for (long long x = xa; x <= xb; x++, p += 3) {
            p[0] = c.r;
            p[1] = c.g;
            p[2] = c.b;
        }
    } else {
        for (long long x = xa; x <= xb; x++, p += 3) {
            p[0] = blend8(c.r, p[0], alpha);
            p[1] = blend8(c.g, p[1], alpha);
            p[2] = blend8(c.b, p[2], alpha);
        }
    }
}

/* Rectangle [x1,x2]x[y1,y2] in 64-bit coordinates, clipped. */
static void fill_rect64(const spatia_image *im, long long x1, long long y1,
                        long long x2, long long y2, spatia_rgb c, int alpha)
{
    if (x1 > x2) {
        long long t = x1;
        x1 = x2;
        x2 = t;
    }
    if (y1 > y2) {
        long long t = y1;
        y1 = y2;
        y2 = t;
    }
    if (y1 < 0)
        y1 = 0;
    if (y2 > im->height - 1)
        y2 = im->height - 1;
    for (long long y = y1; y <= y2; y++)
        span(im, x1, x2, y, c, alpha);
}

void spatia_draw_pixel(const spatia_image *im, int x, int y, spatia_rgb c)
{
    if (!spatia_image_valid(im) || x < 0 || y < 0 || x >= im->width ||
        y >= im->height)
        return;
    uint8_t *p = px_at(im, x, y);
    p[0] = c.r;
    p[1] = c.g;
    p[2] = c.b;
}

static int clamp_alpha(int a)
{
    return a < 0 ? 0 : a > 255 ? 255 : a;
}

void spatia_draw_fill_rect(const spatia_image *im, int x1, int y1, int x2,
                           int y2, spatia_rgb c, int alpha)
{
    if (!spatia_image_valid(im))
        return;
    fill_rect64(im, x1, y1, x2, y2, c, clamp_alpha(alpha));
}

static int clamp_thickness(int t)
{
    return t < 1                           ? 1
           : t > SPATIA_DRAW_MAX_THICKNESS ? SPATIA_DRAW_MAX_THICKNESS
                                           : t;
}

/* A round brush of diameter t: rows dy = lo..hi, row dy covers
 * dx = -left[dy-lo] .. right[dy-lo]. Odd t is centred on the pixel, even t
 * on the pixel's top-left corner, so both are exactly t px wide. */
typedef struct brush {
    int lo, hi;
    int left[SPATIA_DRAW_MAX_THICKNESS], right[SPATIA_DRAW_MAX_THICKNESS];
} brush;

static void brush_make(brush *b, int t)
{
    double c = (t % 2 == 0) ? 0.5 : 0.0, r2 = (t / 2.0) * (t / 2.0);
    b->lo = -(t / 2);
    b->hi = (t - 1) / 2;
    for (int dy = b->lo; dy <= b->hi; dy++) {
        int l = 0, r = -1, any = 0; /* empty row: r < -l */
        for (int dx = b->lo; dx <= b->hi; dx++) {
            double ex = dx + c, ey = dy + c;
            if (ex * ex + ey * ey <= r2 + 1e-9) {
                if (!any)
                    l = -dx;
                any = 1;
                r = dx;
            }
        }
        b->left[dy - b->lo] = l;
        b->right[dy - b->lo] = r;
    }
}

static void brush_stamp(const spatia_image *im, const brush *b, int x, int y,
                        spatia_rgb c)
{
    for (int dy = b->lo; dy <= b->hi; dy++) {
        int i = dy - b->lo;
        if (b->right[i] >= -b->left[i])
            span(im, (long long)x - b->left[i], (long long)x + b->right[i],
                 (long long)y + dy, c, 255);
    }
}

/* Liang-Barsky: cuts the segment to [xmin,xmax]x[ymin,ymax]. Returns 0 when
 * nothing of it is inside. */
static int clip_segment(double *x0, double *y0, double *x1, double *y1,
                        double xmin, double ymin, double xmax, double ymax)
{
    double dx = *x1 - *x0, dy = *y1 - *y0, t0 = 0.0, t1 = 1.0;
    double p[4] = {-dx, dx, -dy, dy};
    double q[4] = {*x0 - xmin, xmax - *x0, *y0 - ymin, ymax - *y0};
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0.0) {
            if (q[i] < 0.0)
                return 0;
        } else {
            double t = q[i] / p[i];
            if (p[i] < 0.0) {
                if (t > t1)
                    return 0;
                if (t > t0)
                    t0 = t;
            } else {
                if (t < t0)
                    return 0;
                if (t < t1)
                    t1 = t;
            }
        }
    }
    double ax = *x0 + t0 * dx, ay = *y0 + t0 * dy;
    double bx = *x0 + t1 * dx, by = *y0 + t1 * dy;
    *x0 = ax;
    *y0 = ay;
    *x1 = bx;
    *y1 = by;
    return 1;
}

/* The line with a prepared brush (NULL = 1 px). */
static void line_brush(const spatia_image *im, double fx0, double fy0,
                       double fx1, double fy1, const brush *b, spatia_rgb c)
{
    double m = b ? (double)(b->hi - b->lo + 1) : 0.0;
    double xmin = -m - 1, ymin = -m - 1;
    double xmax = im->width + m, ymax = im->height + m;
    if (fx0 < xmin || fx0 > xmax || fy0 < ymin || fy0 > ymax || fx1 < xmin ||
        fx1 > xmax || fy1 < ymin || fy1 > ymax) {
        if (!clip_segment(&fx0, &fy0, &fx1, &fy1, xmin, ymin, xmax, ymax))
            return;
    }
    /* All four now lie within a few px of the image: int-safe. */
    int x0 = (int)lround(fx0), y0 = (int)lround(fy0);
    int x1 = (int)lround(fx1), y1 = (int)lround(fy1);
    int dx = x1 > x0 ? x1 - x0 : x0 - x1, sx = x0 < x1 ? 1 : -1;
    int dy = y1 > y0 ? y0 - y1 : y1 - y0, sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (;;) {
        if (b)
            brush_stamp(im, b, x0, y0, c);
        else if (x0 >= 0 && y0 >= 0 && x0 < im->width && y0 < im->height) {
            uint8_t *p = px_at(im, x0, y0);
            p[0] = c.r;
            p[1] = c.g;
            p[2] = c.b;
        }
        if (x0 == x1 && y0 == y1)
            break;
        int e2 = 2 * err;
        if (e2 >= dy) {
            err += dy;
            x0 += sx;
        }
        if (e2 <= dx) {
            err += dx;
            y0 += sy;
        }
    }
}

static void line_d(const spatia_image *im, double x0, double y0, double x1,
                   double y1, int thickness, spatia_rgb c)
{
    brush b;
    int t = clamp_thickness(thickness);
    if (t > 1)
        brush_make(&b, t);
    line_brush(im, x0, y0, x1, y1, t > 1 ? &b : NULL, c);
}

void spatia_draw_line(const spatia_image *im, int x0, int y0, int x1, int y1,
                      int thickness, spatia_rgb c)
{
    if (!spatia_image_valid(im))
        return;
    line_d(im, x0, y0, x1, y1, thickness, c);
}

void spatia_draw_rect(const spatia_image *im, int x1, int y1, int x2, int y2,
                      int thickness, spatia_rgb c)
{
    if (!spatia_image_valid(im))
        return;
    long long t = clamp_thickness(thickness);
    long long ax = x1 < x2 ? x1 : x2, bx = x1 < x2 ? x2 : x1;
    long long ay = y1 < y2 ? y1 : y2, by = y1 < y2 ? y2 : y1;
    if (bx - ax + 1 <= 2 * t || by - ay + 1 <= 2 * t) {
        fill_rect64(im, ax, ay, bx, by, c, 255);
        return;
    }
    fill_rect64(im, ax, ay, bx, ay + t - 1, c, 255);
    fill_rect64(im, ax, by - t + 1, bx, by, c, 255);
    fill_rect64(im, ax, ay + t, ax + t - 1, by - t, c, 255);
    fill_rect64(im, bx - t + 1, ay + t, bx, by - t, c, 255);
}

void spatia_draw_polygon(const spatia_image *im, const spatia_ipoint *pts,
                         int n, int thickness, spatia_rgb c)
{
    if (!spatia_image_valid(im) || !pts || n < 1)
        return;
    brush b;
    int t = clamp_thickness(thickness);
    if (t > 1)
        brush_make(&b, t);
    if (n == 1) {
        line_brush(im, pts[0].x, pts[0].y, pts[0].x, pts[0].y,
                   t > 1 ? &b : NULL, c);
        return;
    }
    for (int i = 0; i < n; i++) {
        const spatia_ipoint *p = &pts[i], *q = &pts[(i + 1) % n];
        if (n == 2 && i == 1)
            break;
        line_brush(im, p->x, p->y, q->x, q->y, t > 1 ? &b : NULL, c);
    }
}

/* Even-odd scanline fill of xy[0..2n) (x, y pairs in px, n <= max). */
static void fill_poly_d(const spatia_image *im, const double *xy, int n,
                        spatia_rgb c, int alpha)
{
    double xs[SPATIA_DRAW_MAX_VERTICES];
    double ymin = xy[1], ymax = xy[1];
    for (int i = 0; i < n; i++) {
        double y = xy[2 * i + 1];
        if (!(y == y))
            return; /* NaN */
        ymin = y < ymin ? y : ymin;
        ymax = y > ymax ? y : ymax;
    }
    /* Rows whose centre y + 0.5 lies in [ymin, ymax]. */
    double r0 = ceil(ymin - 0.5), r1 = floor(ymax - 0.5);
    if (r0 < 0)
        r0 = 0;
    if (r1 > im->height - 1)
        r1 = im->height - 1;
    if (!(r0 <= r1))
        return;
    for (int row = (int)r0; row <= (int)r1; row++) {
        double yc = row + 0.5;
        int k = 0;
        for (int i = 0; i < n; i++) {
            int j = i + 1 == n ? 0 : i + 1;
            double ax = xy[2 * i], ay = xy[2 * i + 1];
            double bx = xy[2 * j], by = xy[2 * j + 1];
            if ((ay <= yc) == (by <= yc))
                continue;
            double x = ax + (yc - ay) * (bx - ax) / (by - ay);
            /* insertion sort as we go */
            int m = k++;
            while (m > 0 && xs[m - 1] > x) {
                xs[m] = xs[m - 1];
                m--;
            }
            xs[m] = x;
        }
        for (int i = 0; i + 1 < k; i += 2) {
            /* pixels with centre in [xs[i], xs[i+1]) */
            double a = ceil(xs[i] - 0.5), b = ceil(xs[i + 1] - 0.5) - 1;
            if (!(a == a) || !(b == b))
                continue;
            if (a < 0)
                a = 0;
            if (b > im->width - 1)
                b = im->width - 1;
            if (a > b)
                continue;
            span(im, (long long)a, (long long)b, row, c, alpha);
        }
    }
}

int spatia_draw_fill_polygon(const spatia_image *im, const spatia_ipoint *pts,
                             int n, spatia_rgb c, int alpha)
{
    double xy[2 * SPATIA_DRAW_MAX_VERTICES];
    if (!spatia_image_valid(im) || !pts || n < 3)
        return SPATIA_EINVAL;
    if (n > SPATIA_DRAW_MAX_VERTICES)
        return SPATIA_RANGE;
    for (int i = 0; i < n; i++) {
        xy[2 * i] = pts[i].x;
        xy[2 * i + 1] = pts[i].y;
    }
    fill_poly_d(im, xy, n, c, clamp_alpha(alpha));
    return SPATIA_OK;
}

void spatia_draw_arrow(const spatia_image *im, int x0, int y0, int x1, int y1,
                       int thickness, int head_len, spatia_rgb c)
{
    if (!spatia_image_valid(im))
        return;
    int t = clamp_thickness(thickness);
    double hl = head_len > 0 ? head_len : (4.0 * t < 8 ? 8 : 4.0 * t);
    double dx = (double)x1 - x0, dy = (double)y1 - y0;
    double len = sqrt(dx * dx + dy * dy);
    if (len <= 0.0) {
        line_d(im, x0, y0, x1, y1, t, c);
        return;
    }
    if (hl > len)
        hl = len;
    double ux = dx / len, uy = dy / len;
    double bx = x1 - ux * hl, by = y1 - uy * hl; /* centre of the base */
    /* The shaft stops inside the head so that its round cap stays hidden. */
    double sx = x1 - ux * hl * 0.5, sy = y1 - uy * hl * 0.5;
    if (len > hl)
        line_d(im, x0, y0, sx, sy, t, c);
    /* Tip at the centre of the end pixel, the base hl px back. */
    double tri[6] = {x1 + 0.5 + ux * 0.5,      y1 + 0.5 + uy * 0.5,
                     bx + 0.5 - uy * hl * 0.5, by + 0.5 + ux * hl * 0.5,
                     bx + 0.5 + uy * hl * 0.5, by + 0.5 - ux * hl * 0.5};
    fill_poly_d(im, tri, 3, c, 255);
}

static int clamp_scale(int s)
{
    return s < 1 ? 1 : s > TEXT_MAX_SC ? TEXT_MAX_SC : s;
}

/* Lines and longest line of s, in characters. */
static void text_extent(const char *s, long long *lines, long long *cols)
{
    long long n = 0, cur = 0, best = 0;
    if (!s || !*s) {
        *lines = *cols = 0;
        return;
    }
    n = 1;
    for (; *s; s++) {
        if (*s == '\n') {
            n++;
            cur = 0;
        } else if (++cur > best) {
            best = cur;
        }
    }
    *lines = n;
    *cols = best;
}

static int clamp_int(long long v)
{
    return v > INT_MAX ? INT_MAX : v < 0 ? 0 : (int)v;
}

void spatia_text_size(const char *s, int scale, int *w, int *h)
{
    long long lines, cols, sc = clamp_scale(scale);
    text_extent(s, &lines, &cols);
    if (w)
        *w = cols ? clamp_int((cols * SPATIA_FONT_CELL_W - 1) * sc) : 0;
    if (h)
        *h = lines && cols ? clamp_int((lines * SPATIA_FONT_CELL_H - 1) * sc)
                           : 0;
}

int spatia_draw_text(const spatia_image *im, int x, int y, const char *s,
                     const spatia_text_style *st)
{
    spatia_text_style def = {1, {255, 255, 255}, 0, {0, 0, 0}, 0};
    int tw, th;
    if (!st)
        st = &def;
    long long sc = clamp_scale(st->scale);
    spatia_text_size(s, (int)sc, &tw, &th);
    if (!spatia_image_valid(im) || tw == 0)
        return tw;
    if (st->bg_alpha > 0) {
        long long pad = st->pad > 0 ? st->pad : 0;
        fill_rect64(im, (long long)x - pad, (long long)y - pad,
                    (long long)x + tw - 1 + pad, (long long)y + th - 1 + pad,
                    st->bg, clamp_alpha(st->bg_alpha));
    }
    long long cx = x, cy = y;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '\n') {
            cx = x;
            cy += SPATIA_FONT_CELL_H * sc;
            continue;
        }
        if (ch < FONT_FIRST || ch > FONT_LAST)
            ch = '?';
        if (cx < im->width && cx + FONT_W * sc > 0 && cy < im->height &&
            cy + FONT_H * sc > 0) {
            const uint8_t *g = font5x9[ch - FONT_FIRST];
            for (int r = 0; r < FONT_H; r++) {
                for (int col = 0; col < FONT_W; col++) {
                    if (!(g[r] & (0x10 >> col)))
                        continue;
                    long long px = cx + col * sc, py = cy + r * sc;
                    fill_rect64(im, px, py, px + sc - 1, py + sc - 1, st->fg,
                                255);
                }
            }
        }
        cx += SPATIA_FONT_CELL_W * sc;
    }
    return tw;
}
