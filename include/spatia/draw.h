/*
 * spatia/draw.h - software drawing on packed RGB24 images.
 *
 * The primitives of the annotated-video output: lines with thickness,
 * rectangles, polygon outlines, translucent filled polygons, arrows and
 * text in a built-in bitmap font. Everything draws into caller-owned
 * memory, is clipped to the image (any int coordinate is accepted,
 * including ones far outside it) and allocates nothing.
 *
 * Pixel conventions: integer coordinates name pixels, (0,0) is the top-left
 * pixel, x grows right and y down. A filled polygon covers the pixels whose
 * centres (x+0.5, y+0.5) are inside it by the even-odd rule; outlines and
 * lines go through the pixels their corner points name.
 */
#ifndef SPATIA_DRAW_H
#define SPATIA_DRAW_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A packed RGB24 image owned by the caller. */
typedef struct spatia_image {
    uint8_t *data; /* first byte of the top row; R G B per pixel */
    int stride;    /* bytes per row, >= 3 * width */
    int width;     /* px */
    int height;    /* px */
} spatia_image;

typedef struct spatia_rgb {
    uint8_t r, g, b;
} spatia_rgb;

/* A point in pixels. */
typedef struct spatia_ipoint {
    int x, y;
} spatia_ipoint;

/* Most vertices a filled polygon may have (the scanline crossings of one
 * row are kept on the stack). */
#define SPATIA_DRAW_MAX_VERTICES 1024

/* Thicknesses are clamped to 1..SPATIA_DRAW_MAX_THICKNESS px. */
#define SPATIA_DRAW_MAX_THICKNESS 64

/* Text: the font is 5x9 px per glyph (7 rows above the baseline, 2 for
 * descenders) in a 6x10 px cell at scale 1; ASCII 32..126, any other byte
 * draws as '?'; '\n' starts a new line. */
#define SPATIA_FONT_CELL_W 6
#define SPATIA_FONT_CELL_H 10

typedef struct spatia_text_style {
    int scale;     /* integer magnification, clamped to 1..16 */
    spatia_rgb fg; /* glyph colour */
    int bg_alpha;  /* 0 = no background box; 1..255 opacity of it */
    spatia_rgb bg; /* background box colour */
    int pad;       /* px of background box around the text, >= 0 */
} spatia_text_style;

/* True (1) if the image descriptor is usable: data not NULL, width and
 * height in 1..65536, stride >= 3 * width. Drawing into an invalid image
 * does nothing. */
int spatia_image_valid(const spatia_image *im);

/* Sets one pixel if it is inside the image. */
void spatia_draw_pixel(const spatia_image *im, int x, int y, spatia_rgb c);

/* Blends `c` over every pixel of the clipped rectangle [x1,x2]x[y1,y2]
 * (inclusive corners in any order) with opacity alpha (0..255; 255 paints).
 */
void spatia_draw_fill_rect(const spatia_image *im, int x1, int y1, int x2,
                           int y2, spatia_rgb c, int alpha);

/* Line from (x0,y0) to (x1,y1), both end pixels included (Bresenham on
 * the part inside the image). thickness > 1 draws a round brush of that
 * diameter centred on the line. */
void spatia_draw_line(const spatia_image *im, int x0, int y0, int x1, int y1,
                      int thickness, spatia_rgb c);

/* Outline of the rectangle with corners (x1,y1) and (x2,y2) (inclusive, any
 * order). The outline grows inwards from those edges for thickness > 1, so
 * nothing is drawn outside the rectangle. */
void spatia_draw_rect(const spatia_image *im, int x1, int y1, int x2, int y2,
                      int thickness, spatia_rgb c);

/* Closed outline through pts[0..n) (the last point joins the first).
 * n = 1 draws a point, n = 2 a line; NULL or n < 1 draws nothing. */
void spatia_draw_polygon(const spatia_image *im, const spatia_ipoint *pts,
                         int n, int thickness, spatia_rgb c);

/*
 * Fills the polygon pts[0..n) by the even-odd rule (so concave and
 * self-intersecting polygons work; a region covered twice is a hole),
 * blending `c` with opacity alpha (0..255) over each covered pixel once.
 * Returns SPATIA_OK, SPATIA_EINVAL (NULL pts, n < 3, invalid image) or
 * SPATIA_RANGE (n > SPATIA_DRAW_MAX_VERTICES).
 */
int spatia_draw_fill_polygon(const spatia_image *im, const spatia_ipoint *pts,
                             int n, spatia_rgb c, int alpha);

/* Line from (x0,y0) to (x1,y1) with a filled triangular head at (x1,y1)
 * pointing along the line; head_len px (0 = automatic, 4 * thickness and
 * at least 8) is the head's length, its width is the same. */
void spatia_draw_arrow(const spatia_image *im, int x0, int y0, int x1, int y1,
                       int thickness, int head_len, spatia_rgb c);

/* Size in px of `s` drawn with `scale` (clamped to 1..16), without the
 * background padding: lines * 10 - 1 rows and (longest line * 6 - 1)
 * columns, times scale; 0x0 for NULL or "". */
void spatia_text_size(const char *s, int scale, int *w, int *h);

/*
 * Draws `s` with its top-left glyph pixel at (x, y). With st->bg_alpha > 0
 * a box of the text size grown by st->pad on every side is blended first.
 * NULL st uses scale 1, white text, no box. Returns the width in px of the
 * text (as spatia_text_size).
 */
int spatia_draw_text(const spatia_image *im, int x, int y, const char *s,
                     const spatia_text_style *st);

#ifdef __cplusplus
}
#endif
#endif
