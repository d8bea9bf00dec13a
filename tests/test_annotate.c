/*
 * test_annotate.c - drawing primitives (pixel-checked), the frame
 * annotator, the video writer (encode, then decode back with FFmpeg) and
 * `spatia run --video-out` on PETS09.
 *
 * Images get a padded stride and a known background so that any write
 * outside the clipped area (including the padding bytes) is caught; the
 * ASan build catches writes outside the buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "spatia/annotate.h"
#include "spatia/draw.h"
#include "spatia/error.h"
#include "test.h"

#define PADB 5 /* extra bytes per row */

static const spatia_rgb BG = {10, 20, 30};
static const spatia_rgb RED = {250, 0, 0};
static const uint8_t PADV = 0xA5;

typedef struct img {
    spatia_image im;
    uint8_t *buf;
} img;

static int img_new(img *m, int w, int h, spatia_rgb bg)
{
    m->im.width = w;
    m->im.height = h;
    m->im.stride = 3 * w + PADB;
    m->buf = malloc((size_t)m->im.stride * (size_t)h);
    m->im.data = m->buf;
    if (!m->buf)
        return -1;
    for (int y = 0; y < h; y++) {
        uint8_t *row = m->buf + (size_t)y * (size_t)m->im.stride;
        for (int x = 0; x < w; x++) {
            row[3 * x] = bg.r;
            row[3 * x + 1] = bg.g;
            row[3 * x + 2] = bg.b;
        }
        memset(row + 3 * w, PADV, PADB);
    }
    return 0;
}

static const uint8_t *pix(const img *m, int x, int y)
{
    return m->buf + (size_t)y * (size_t)m->im.stride + (size_t)x * 3;
}

static int is(const img *m, int x, int y, spatia_rgb c)
{
    const uint8_t *p = pix(m, x, y);
    return p[0] == c.r && p[1] == c.g && p[2] == c.b;
}

static int count(const img *m, spatia_rgb c)
{
    int n = 0;
    for (int y = 0; y < m->im.height; y++)
        for (int x = 0; x < m->im.width; x++)
            n += is(m, x, y, c);
    return n;
}

static int count_not(const img *m, spatia_rgb c)
{
    return m->im.width * m->im.height - count(m, c);
}

static int pad_intact(const img *m)
{
    for (int y = 0; y < m->im.height; y++) {
        const uint8_t *row = m->buf + (size_t)y * (size_t)m->im.stride;
        for (int i = 0; i < PADB; i++)
            if (row[3 * m->im.width + i] != PADV)
                return 0;
    }
    return 1;
}

/* Number of pixels that differ from BG outside [x0,x1]x[y0,y1]. */
static int changed_outside(const img *m, int x0, int y0, int x1, int y1)
{
    int n = 0;
    for (int y = 0; y < m->im.height; y++)
        for (int x = 0; x < m->im.width; x++)
            if ((x < x0 || x > x1 || y < y0 || y > y1) && !is(m, x, y, BG))
                n++;
    return n;
}

TEST(rect_outline_pixels)
{
    img m;
    ASSERT_OK(img_new(&m, 64, 48, BG));
    spatia_draw_rect(&m.im, 30, 20, 10, 8, 1, RED); /* corners swapped */
    ASSERT(is(&m, 10, 8, RED));
    ASSERT(is(&m, 30, 8, RED));
    ASSERT(is(&m, 10, 20, RED));
    ASSERT(is(&m, 30, 20, RED));
    ASSERT(is(&m, 20, 8, RED));
    ASSERT(is(&m, 10, 14, RED));
    ASSERT(is(&m, 20, 14, BG)); /* inside */
    ASSERT(is(&m, 11, 9, BG));
    ASSERT(is(&m, 9, 8, BG)); /* just outside */
    ASSERT(is(&m, 31, 20, BG));
    ASSERT(is(&m, 10, 7, BG));
    ASSERT(is(&m, 30, 21, BG));
    ASSERT_EQ(count(&m, RED), 2 * 21 + 2 * 13 - 4);
    ASSERT_EQ(changed_outside(&m, 10, 8, 30, 20), 0);

    /* thickness grows inwards only */
    spatia_draw_rect(&m.im, 40, 5, 60, 40, 3, RED);
    ASSERT(is(&m, 42, 7, RED));
    ASSERT(is(&m, 43, 8, BG));
    ASSERT(is(&m, 58, 38, RED));
    ASSERT(is(&m, 57, 37, BG));
    ASSERT(is(&m, 39, 5, BG));
    ASSERT(is(&m, 61, 40, BG));
    ASSERT_EQ(count(&m, RED), 64 + 21 * 36 - 15 * 30);
    ASSERT(pad_intact(&m));
    free(m.buf);
}

TEST(fill_rect_alpha)
{
    img m;
    ASSERT_OK(img_new(&m, 20, 10, BG));
    spatia_draw_fill_rect(&m.im, 2, 3, 5, 4, RED, 128);
    const uint8_t *p = pix(&m, 3, 3);
    ASSERT_EQ(p[0], (250 * 128 + 10 * 127 + 127) / 255);
    ASSERT_EQ(p[1], (0 * 128 + 20 * 127 + 127) / 255);
    ASSERT_EQ(p[2], (0 * 128 + 30 * 127 + 127) / 255);
    ASSERT_EQ(count_not(&m, BG), 4 * 2);
    ASSERT_EQ(changed_outside(&m, 2, 3, 5, 4), 0);
    free(m.buf);
}

TEST(line_bresenham)
{
    img m;
    ASSERT_OK(img_new(&m, 40, 30, BG));
    spatia_draw_line(&m.im, 2, 3, 20, 11, 1, RED);
    ASSERT(is(&m, 2, 3, RED));
    ASSERT(is(&m, 20, 11, RED));
    ASSERT_EQ(count(&m, RED), 19); /* one pixel per column (x-major) */
    for (int x = 2; x <= 20; x++) {
        int n = 0;
        for (int y = 0; y < 30; y++)
            n += is(&m, x, y, RED);
        ASSERT_EQ(n, 1);
    }
    ASSERT_EQ(changed_outside(&m, 2, 3, 20, 11), 0);

    /* a thick horizontal line is `thickness` rows high */
    img t;
    ASSERT_OK(img_new(&t, 60, 40, BG));
    spatia_draw_line(&t.im, 10, 20, 40, 20, 5, RED);
    for (int y = 18; y <= 22; y++)
        ASSERT(is(&t, 25, y, RED));
    ASSERT(is(&t, 25, 17, BG));
    ASSERT(is(&t, 25, 23, BG));
    ASSERT(is(&t, 8, 20, RED)); /* round cap, radius 2 */
    ASSERT(is(&t, 7, 20, BG));
    ASSERT(is(&t, 8, 18, BG)); /* round, not square */
    ASSERT(pad_intact(&t));
    free(t.buf);
    free(m.buf);
}

TEST(clipping_extreme_coordinates)
{
    img m;
    ASSERT_OK(img_new(&m, 50, 40, BG));
    /* a line crossing the image from far outside */
    spatia_draw_line(&m.im, -100000, 10, 100000, 10, 1, RED);
    ASSERT_EQ(count(&m, RED), 50);
    for (int x = 0; x < 50; x++)
        ASSERT(is(&m, x, 10, RED));
    ASSERT(pad_intact(&m));

    /* none of these may crash, write outside, or take long */
    spatia_rgb g = {0, 200, 0};
    int big[] = {INT_MIN, INT_MIN + 1, -1000000, -1,          0,
                 49,      50,          1000000,  INT_MAX - 1, INT_MAX};
    int nb = (int)(sizeof big / sizeof big[0]);
    for (int i = 0; i < nb; i++) {
        for (int j = 0; j < nb; j++) {
            int a = big[i], b = big[j];
            spatia_draw_line(&m.im, a, b, b, a, 7, g);
            spatia_draw_line(&m.im, a, a, b, b, 1, g);
            spatia_draw_rect(&m.im, a, b, b, a, 3, g);
            spatia_draw_fill_rect(&m.im, a, a, b, b, g, 100);
            spatia_draw_arrow(&m.im, a, b, b, a, 3, 0, g);
            spatia_draw_pixel(&m.im, a, b, g);
            spatia_ipoint poly[4] = {{a, b}, {b, a}, {a, a}, {b, 7}};
            spatia_draw_fill_polygon(&m.im, poly, 4, g, 200);
            spatia_draw_polygon(&m.im, poly, 4, 4, g);
            spatia_text_style st = {3, g, 128, RED, 1000};
            spatia_draw_text(&m.im, a, b, "clip me\nplease", &st);
        }
    }
    ASSERT(pad_intact(&m));

    /* huge thickness is clamped; invalid images are ignored */
    spatia_draw_line(&m.im, 25, 20, 25, 20, INT_MAX, RED);
    ASSERT(pad_intact(&m));
    spatia_image bad = {NULL, 30, 10, 10};
    spatia_draw_line(&bad, 0, 0, 9, 9, 1, RED);
    spatia_image shortstride = {m.buf, 10, 50, 40};
    ASSERT(!spatia_image_valid(&shortstride));
    spatia_draw_rect(&shortstride, 0, 0, 49, 39, 1, RED);
    ASSERT(pad_intact(&m));
    free(m.buf);
}

TEST(polygon_fill_concave)
{
    img m;
    ASSERT_OK(img_new(&m, 64, 48, BG));
    /* a U: a 40x30 block with a 20x20 notch cut from the bottom middle,
     * area 40*30 - 20*20 = 800 px */
    spatia_ipoint u[] = {{10, 10}, {50, 10}, {50, 40}, {40, 40},
                         {40, 20}, {20, 20}, {20, 40}, {10, 40}};
    ASSERT_OK(spatia_draw_fill_polygon(&m.im, u, 8, RED, 255));
    ASSERT_EQ(count(&m, RED), 800);
    ASSERT(is(&m, 15, 30, RED)); /* left leg */
    ASSERT(is(&m, 45, 39, RED)); /* right leg, last row */
    ASSERT(is(&m, 30, 15, RED)); /* top bar */
    ASSERT(is(&m, 30, 30, BG));  /* the notch */
    ASSERT(is(&m, 20, 25, BG));  /* notch edge: pixel centre outside */
    ASSERT(is(&m, 19, 25, RED));
    ASSERT(is(&m, 10, 10, RED)); /* top-left corner pixel */
    ASSERT(is(&m, 50, 10, BG));  /* right edge is exclusive */
    ASSERT(is(&m, 10, 40, BG));  /* bottom edge is exclusive */
    ASSERT_EQ(changed_outside(&m, 10, 10, 49, 39), 0);

    /* translucent: every covered pixel is blended exactly once */
    img a;
    ASSERT_OK(img_new(&a, 64, 48, BG));
    ASSERT_OK(spatia_draw_fill_polygon(&a.im, u, 8, RED, 100));
    spatia_rgb mix = {(uint8_t)((250 * 100 + 10 * 155 + 127) / 255),
                      (uint8_t)((20 * 155 + 127) / 255),
                      (uint8_t)((30 * 155 + 127) / 255)};
    ASSERT_EQ(count(&a, mix), 800);
    ASSERT_EQ(count(&a, BG), 64 * 48 - 800);

    ASSERT_EQ(spatia_draw_fill_polygon(&m.im, u, 2, RED, 255), SPATIA_EINVAL);
    ASSERT_EQ(spatia_draw_fill_polygon(&m.im, NULL, 5, RED, 255),
              SPATIA_EINVAL);
    ASSERT_EQ(spatia_draw_fill_polygon(&m.im, u, SPATIA_DRAW_MAX_VERTICES + 1,
                                       RED, 255),
              SPATIA_RANGE);
    ASSERT(pad_intact(&m));
    ASSERT(pad_intact(&a));
    free(a.buf);
    free(m.buf);
}

TEST(polygon_fill_self_intersecting)
{
    img m;
    ASSERT_OK(img_new(&m, 100, 100, BG));
    /* pentagram: vertex order 0,2,4,1,3 of a regular pentagon; even-odd
     * leaves the inner pentagon empty */
    spatia_ipoint star[5];
    for (int i = 0; i < 5; i++) {
        double a = -M_PI / 2 + (2 * i % 5) * 2 * M_PI / 5;
        star[i].x = (int)lround(50 + 45 * cos(a));
        star[i].y = (int)lround(50 + 45 * sin(a));
    }
    ASSERT_OK(spatia_draw_fill_polygon(&m.im, star, 5, RED, 255));
    ASSERT(is(&m, 50, 50, BG));  /* centre: covered twice = hole */
    ASSERT(is(&m, 50, 12, RED)); /* top point */
    ASSERT(is(&m, 50, 30, RED)); /* top arm below the point */
    ASSERT(is(&m, 10, 37, RED)); /* left point */
    ASSERT(is(&m, 2, 2, BG));
    ASSERT(is(&m, 50, 90, BG)); /* between the two lower points */

    /* a bow tie: two triangles meeting at the crossing */
    img b;
    ASSERT_OK(img_new(&b, 60, 40, BG));
    spatia_ipoint tie[] = {{0, 0}, {60, 40}, {60, 0}, {0, 40}};
    ASSERT_OK(spatia_draw_fill_polygon(&b.im, tie, 4, RED, 255));
    ASSERT(is(&b, 5, 20, RED));
    ASSERT(is(&b, 55, 20, RED));
    ASSERT(is(&b, 30, 3, BG));
    ASSERT(is(&b, 30, 37, BG));
    ASSERT(pad_intact(&m));
    ASSERT(pad_intact(&b));
    free(b.buf);
    free(m.buf);
}

TEST(polygon_outline_and_arrow)
{
    img m;
    ASSERT_OK(img_new(&m, 80, 60, BG));
    spatia_ipoint tri[] = {{10, 10}, {40, 10}, {10, 40}};
    spatia_draw_polygon(&m.im, tri, 3, 1, RED);
    ASSERT(is(&m, 25, 10, RED));
    ASSERT(is(&m, 10, 25, RED));
    ASSERT(is(&m, 25, 25, RED)); /* closing edge (40,10)-(10,40) */
    ASSERT(is(&m, 15, 15, BG));
    ASSERT_EQ(changed_outside(&m, 10, 10, 40, 40), 0);

    img a;
    ASSERT_OK(img_new(&a, 80, 60, BG));
    spatia_draw_arrow(&a.im, 10, 30, 70, 30, 3, 0, RED);
    ASSERT(is(&a, 10, 30, RED)); /* start */
    ASSERT(is(&a, 70, 30, RED)); /* tip */
    ASSERT(is(&a, 72, 30, BG));
    int shaft = 0, head = 0;
    for (int y = 0; y < 60; y++) {
        shaft += is(&a, 30, y, RED);
        head += is(&a, 62, y, RED);
    }
    ASSERT_EQ(shaft, 3);
    ASSERT(head >= 7); /* the head is wider than the shaft */
    ASSERT_EQ(changed_outside(&a, 8, 22, 71, 38), 0);
    ASSERT(pad_intact(&a));
    free(a.buf);
    free(m.buf);
}

TEST(text_box)
{
    img m;
    ASSERT_OK(img_new(&m, 120, 50, BG));
    int w, h;
    spatia_text_size("Hi 5!", 2, &w, &h);
    ASSERT_EQ(w, (5 * 6 - 1) * 2);
    ASSERT_EQ(h, (10 - 1) * 2);
    spatia_text_style st = {2, RED, 0, BG, 0};
    ASSERT_EQ(spatia_draw_text(&m.im, 7, 9, "Hi 5!", &st), w);
    ASSERT(count(&m, RED) > 40);
    ASSERT_EQ(changed_outside(&m, 7, 9, 7 + w - 1, 9 + h - 1), 0);
    /* every glyph pixel is a scale x scale block */
    ASSERT_EQ(count(&m, RED) % 4, 0);

    /* a background box fills exactly text + pad */
    img b;
    ASSERT_OK(img_new(&b, 120, 50, BG));
    spatia_rgb blue = {0, 0, 255};
    spatia_text_style sb = {1, RED, 255, blue, 3};
    spatia_text_size("ab\ncdefg", 1, &w, &h);
    ASSERT_EQ(w, 5 * 6 - 1);
    ASSERT_EQ(h, 2 * 10 - 1);
    spatia_draw_text(&b.im, 20, 10, "ab\ncdefg", &sb);
    ASSERT_EQ(changed_outside(&b, 17, 7, 20 + w - 1 + 3, 10 + h - 1 + 3), 0);
    ASSERT_EQ(count(&b, blue) + count(&b, RED), (w + 6) * (h + 6));
    ASSERT(count(&b, RED) > 30);

    /* '|' is the middle column, 7 rows */
    img c;
    ASSERT_OK(img_new(&c, 20, 20, BG));
    spatia_draw_text(&c.im, 3, 4, "|", NULL);
    spatia_rgb wht = {255, 255, 255};
    ASSERT_EQ(count(&c, wht), 7);
    for (int r = 0; r < 7; r++)
        ASSERT(is(&c, 5, 4 + r, wht));
    ASSERT(pad_intact(&m));
    ASSERT(pad_intact(&b));
    free(c.buf);
    free(b.buf);
    free(m.buf);
}

/* Every printable glyph is drawn, non-empty (but space) and distinct, so
 * the font table has no missing or duplicated entries; bytes outside
 * 32..126 draw as '?'. */
TEST(font_glyphs_distinct)
{
    static uint8_t bits[95][6 * 10];
    img m;
    ASSERT_OK(img_new(&m, 6, 10, BG));
    for (int ch = 32; ch <= 126; ch++) {
        char s[2] = {(char)ch, 0};
        for (int y = 0; y < 10; y++)
            for (int x = 0; x < 6; x++)
                spatia_draw_pixel(&m.im, x, y, BG);
        spatia_draw_text(&m.im, 0, 0, s, NULL);
        int n = 0;
        for (int y = 0; y < 10; y++)
            for (int x = 0; x < 6; x++) {
                bits[ch - 32][y * 6 + x] = !is(&m, x, y, BG);
                n += !is(&m, x, y, BG);
            }
        for (int y = 0; y < 10; y++)
            ASSERT(is(&m, 5, y, BG)); /* spacing column */
        ASSERT(is(&m, 0, 9, BG));     /* spacing row */
        if (ch == ' ')
            ASSERT_EQ(n, 0);
        else
            ASSERT_MSG(n > 0, "glyph '%c' is empty", ch);
    }
    for (int i = 0; i < 95; i++)
        for (int j = i + 1; j < 95; j++)
            ASSERT_MSG(memcmp(bits[i], bits[j], sizeof bits[i]) != 0,
                       "glyphs '%c' and '%c' are the same", i + 32, j + 32);
    char odd[2] = {(char)0xE9, 0};
    for (int y = 0; y < 10; y++)
        for (int x = 0; x < 6; x++)
            spatia_draw_pixel(&m.im, x, y, BG);
    spatia_draw_text(&m.im, 0, 0, odd, NULL);
    for (int y = 0; y < 10; y++)
        for (int x = 0; x < 6; x++)
            ASSERT_EQ(!is(&m, x, y, BG), bits['?' - 32][y * 6 + x]);
    free(m.buf);
}

/* Rightmost column the legend darkened (BG is light here). */
static int legend_right(const img *m, int y)
{
    int r = -1;
    for (int x = 0; x < m->im.width; x++)
        if (pix(m, x, y)[0] < 150)
            r = x;
    return r;
}

TEST(annotate_frame_layers)
{
    spatia_rgb light = {200, 200, 200};
    img m;
    ASSERT_OK(img_new(&m, 320, 240, light));

    spatia_point zpoly[] = {{0.5, 0.5}, {0.9, 0.5}, {0.9, 0.9}, {0.5, 0.9}};
    spatia_zone_cfg zone = {0};
    zone.name = "plaza";
    zone.poly = zpoly;
    zone.npoly = 4;
    spatia_line_cfg line = {0};
    line.name = "walkway";
    line.start = (spatia_point){0.1, 0.5};
    line.end = (spatia_point){0.1, 0.95};
    spatia_config cfg = {0};
    cfg.op = SPATIA_OP_SPATIALANALYSIS;
    cfg.zones = &zone;
    cfg.nzones = 1;
    cfg.lines = &line;
    cfg.nlines = 1;

    spatia_track tr[3];
    memset(tr, 0, sizeof tr);
    tr[0].num = 7;
    tr[0].state = SPATIA_TRACK_CONFIRMED;
    tr[0].box = (spatia_box){60, 40, 100, 110};
    tr[1].num = 0;
    tr[1].state = SPATIA_TRACK_TENTATIVE;
    tr[1].box = (spatia_box){200, 20, 240, 60};
    tr[2].num = 3;
    tr[2].state = SPATIA_TRACK_LOST;
    tr[2].box = (spatia_box){250, 20, 290, 60};

    spatia_rule_stats st[2];
    memset(st, 0, sizeof st);
    st[0].name = "walkway";
    st[0].kind = SPATIA_EVENT_LINECROSSING;
    st[0].is_line = 1;
    st[0].cross_right = 12;
    st[0].cross_left = 9;
    st[1].name = "plaza";
    st[1].kind = SPATIA_EVENT_COUNT;
    st[1].last_count = 3;

    ASSERT_OK(spatia_annotate_frame(m.buf, m.im.stride, 320, 240, &cfg, tr, 3,
                                    st, 2));
    /* zone interior: blended, not painted */
    const uint8_t *z = pix(&m, 230, 200);
    ASSERT(!is(&m, 230, 200, light));
    ASSERT(z[0] != 200 || z[1] != 200 || z[2] != 200);
    int diff = abs(z[0] - 200) + abs(z[1] - 200) + abs(z[2] - 200);
    ASSERT(diff > 20 && diff < 200);
    ASSERT(is(&m, 100, 230, light)); /* outside everything */
    /* the confirmed track's box has its colour; the others are not drawn */
    spatia_rgb c7 = spatia_annotate_track_color(7);
    ASSERT(is(&m, 60, 80, c7));
    ASSERT(is(&m, 100, 80, c7));
    ASSERT(is(&m, 80, 110, c7));
    ASSERT(is(&m, 80, 80, light)); /* inside the box */
    ASSERT(is(&m, 200, 40, light));
    ASSERT(is(&m, 250, 40, light));
    ASSERT(is(&m, 290, 40, light));
    /* the line: start pixel is on the arrow */
    ASSERT(!is(&m, 32, 160, light));
    /* legend at the top-left */
    int r_small = legend_right(&m, 8);
    ASSERT(r_small > 40);

    /* more digits in a count widen the legend */
    img m2;
    ASSERT_OK(img_new(&m2, 320, 240, light));
    st[0].cross_right = 1234567;
    ASSERT_OK(spatia_annotate_frame(m2.buf, m2.im.stride, 320, 240, NULL, NULL,
                                    0, st, 2));
    ASSERT(legend_right(&m2, 8) > r_small);
    ASSERT(pad_intact(&m));
    ASSERT(pad_intact(&m2));

    /* nothing to draw is fine; bad arguments are refused */
    ASSERT_OK(spatia_annotate_frame(m2.buf, m2.im.stride, 320, 240, NULL, NULL,
                                    0, NULL, 0));
    ASSERT_EQ(
        spatia_annotate_frame(NULL, 960, 320, 240, NULL, NULL, 0, NULL, 0),
        SPATIA_EINVAL);
    ASSERT_EQ(
        spatia_annotate_frame(m2.buf, 100, 320, 240, NULL, NULL, 0, NULL, 0),
        SPATIA_EINVAL);
    ASSERT_EQ(spatia_annotate_frame(m2.buf, m2.im.stride, 320, 240, NULL, NULL,
                                    2, NULL, 0),
              SPATIA_EINVAL);
    free(m2.buf);
    free(m.buf);
}

TEST(annotate_track_colors_distinct)
{
    for (uint32_t a = 1; a <= 12; a++) {
        spatia_rgb ca = spatia_annotate_track_color(a);
        ASSERT(ca.r > 200 || ca.g > 200 || ca.b > 200); /* bright */
        spatia_rgb cb = spatia_annotate_track_color(a + 1);
        int d = abs(ca.r - cb.r) + abs(ca.g - cb.g) + abs(ca.b - cb.b);
        ASSERT_MSG(d > 100, "tracks %u and %u look alike", a, a + 1);
    }
    ASSERT_EQ(spatia_annotate_scale(240), 1);
    ASSERT_EQ(spatia_annotate_scale(576), 2);
    ASSERT_EQ(spatia_annotate_scale(1080), 3);
    ASSERT_EQ(spatia_annotate_scale(100000), 4);
}

/* ---- video writer ---- */

static char tmpdir[64];

static int rm_entry(const char *p, const struct stat *sb, int flag,
                    struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* The temp folder goes at exit, also when a test failed or ran alone. */
static void rm_tmpdir(void)
{
    if (tmpdir[0])
        nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static const char *tmp_path(const char *name, char *buf, size_t len)
{
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/spatia-annotate-XXXXXX");
        if (!mkdtemp(tmpdir)) {
            tmpdir[0] = 0;
            return NULL;
        }
        atexit(rm_tmpdir);
    }
    snprintf(buf, len, "%s/%s", tmpdir, name);
    return buf;
}

#define SQ 24 /* square side, px */

static int square_x(int i)
{
    return 10 + 3 * i;
}

/* Frame i: dark background, a white square moving right. */
static void make_frame(img *m, int i)
{
    for (int y = 0; y < m->im.height; y++)
        for (int x = 0; x < m->im.width; x++) {
            uint8_t *p = m->buf + (size_t)y * (size_t)m->im.stride + 3 * x;
            p[0] = p[1] = p[2] = 30;
        }
    spatia_draw_fill_rect(&m->im, square_x(i), 40, square_x(i) + SQ - 1,
                          40 + SQ - 1, (spatia_rgb){255, 255, 255}, 255);
}

typedef struct decoded {
    int frames, width, height;
    enum AVCodecID codec;
    double in_sq[64], out_sq[64]; /* mean luma inside/outside the square */
    double t[64];                 /* presentation time, s */
    int monotonic;                /* times strictly increase */
    AVRational tb;
    int roi[4];    /* x0, y0, x1, y1 in the chroma planes; x1 > 0 = used */
    double roi_cr; /* mean Cr of frame 0 over roi */
} decoded;

static double mean_luma(const AVFrame *f, int x0, int y0, int x1, int y1)
{
    double s = 0;
    int n = 0;
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++, n++)
            s += f->data[0][(size_t)y * (size_t)f->linesize[0] + (size_t)x];
    return n ? s / n : 0;
}

static void note_frame(decoded *d, const AVFrame *f)
{
    int i = d->frames++;
    double t = f->best_effort_timestamp == AV_NOPTS_VALUE
                   ? -1.0
                   : (double)f->best_effort_timestamp * av_q2d(d->tb);
    if (i > 0 && !(t > d->t[i < 64 ? i - 1 : 63]))
        d->monotonic = 0;
    d->t[i < 64 ? i : 63] = t;
    if (i == 0 && d->roi[2] > 0 && f->format == AV_PIX_FMT_YUV420P) {
        double sum = 0;
        int n = 0;
        for (int y = d->roi[1]; y <= d->roi[3]; y++)
            for (int x = d->roi[0]; x <= d->roi[2]; x++, n++)
                sum += f->data[2][(size_t)y * (size_t)f->linesize[2] + x];
        d->roi_cr = sum / n;
    }
    if (i < 64 && f->format == AV_PIX_FMT_YUV420P && f->width >= 150 &&
        f->height >= 100) {
        int x = square_x(i);
        d->in_sq[i] = mean_luma(f, x + 4, 44, x + SQ - 5, 40 + SQ - 5);
        d->out_sq[i] = mean_luma(f, 0, 80, f->width - 1, f->height - 1);
    }
}

/* Decodes every frame of `path`. Returns 0 or a negative AVERROR. */
static int decode_file_roi(const char *path, decoded *d, const int *roi)
{
    AVFormatContext *fc = NULL;
    AVCodecContext *dc = NULL;
    AVPacket *pkt = av_packet_alloc();
    AVFrame *f = av_frame_alloc();
    int rc, si;
    memset(d, 0, sizeof *d);
    if (roi)
        memcpy(d->roi, roi, sizeof d->roi);
    d->monotonic = 1;
    if (!pkt || !f) {
        rc = AVERROR(ENOMEM);
        goto out;
    }
    if ((rc = avformat_open_input(&fc, path, NULL, NULL)) < 0)
        goto out;
    if ((rc = avformat_find_stream_info(fc, NULL)) < 0)
        goto out;
    si = av_find_best_stream(fc, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (si < 0) {
        rc = si;
        goto out;
    }
    const AVCodecParameters *par = fc->streams[si]->codecpar;
    const AVCodec *codec = avcodec_find_decoder(par->codec_id);
    d->codec = par->codec_id;
    d->tb = fc->streams[si]->time_base;
    d->width = par->width;
    d->height = par->height;
    dc = avcodec_alloc_context3(codec);
    if (!codec || !dc) {
        rc = AVERROR_DECODER_NOT_FOUND;
        goto out;
    }
    if ((rc = avcodec_parameters_to_context(dc, par)) < 0 ||
        (rc = avcodec_open2(dc, codec, NULL)) < 0)
        goto out;
    for (int eof = 0; !eof;) {
        rc = av_read_frame(fc, pkt);
        if (rc == AVERROR_EOF) {
            eof = 1;
            rc = avcodec_send_packet(dc, NULL);
        } else if (rc >= 0) {
            if (pkt->stream_index == si)
                rc = avcodec_send_packet(dc, pkt);
            av_packet_unref(pkt);
        }
        if (rc < 0)
            goto out;
        while ((rc = avcodec_receive_frame(dc, f)) >= 0) {
            note_frame(d, f);
            av_frame_unref(f);
        }
        if (rc != AVERROR(EAGAIN) && rc != AVERROR_EOF)
            goto out;
    }
    rc = 0;
out:
    av_frame_free(&f);
    av_packet_free(&pkt);
    avcodec_free_context(&dc);
    avformat_close_input(&fc);
    return rc;
}

static int decode_file(const char *path, decoded *d)
{
    return decode_file_roi(path, d, NULL);
}

/* Writes n moving-square frames of w x h at 25 fps. */
static int write_clip(const char *path, int w, int h, int n, int same_pts,
                      char *codec, size_t clen)
{
    img m;
    spatia_video_writer *vw = NULL;
    char err[256];
    int rc;
    if (img_new(&m, w, h, BG))
        return SPATIA_NOMEM;
    rc = spatia_video_writer_open(path, w, h, 25.0, &vw, err, sizeof err);
    if (rc) {
        fprintf(stderr, "open: %s\n", err);
        free(m.buf);
        return rc;
    }
    if (codec)
        snprintf(codec, clen, "%s", spatia_video_writer_codec(vw));
    for (int i = 0; i < n && !rc; i++) {
        make_frame(&m, i);
        rc = spatia_video_writer_write(vw, m.buf, m.im.stride,
                                       same_pts ? 0 : (int64_t)i * 40);
    }
    if (!rc && spatia_video_writer_frames(vw) != n)
        rc = SPATIA_INTERNAL;
    int crc = spatia_video_writer_close(vw);
    free(m.buf);
    return rc ? rc : crc;
}

TEST(writer_roundtrip_mp4)
{
    char path[128], codec[32];
    decoded d;
    ASSERT(tmp_path("square.mp4", path, sizeof path));
    ASSERT_OK(write_clip(path, 160, 120, 30, 0, codec, sizeof codec));
    ASSERT(strcmp(codec, "libx264") == 0 || strcmp(codec, "mpeg4") == 0);
    if (avcodec_find_encoder_by_name("libx264"))
        ASSERT_STREQ(codec, "libx264");
    ASSERT_OK(decode_file(path, &d));
    ASSERT_EQ(d.frames, 30);
    ASSERT_EQ(d.width, 160);
    ASSERT_EQ(d.height, 120);
    ASSERT_EQ(d.codec, strcmp(codec, "libx264") == 0 ? AV_CODEC_ID_H264
                                                     : AV_CODEC_ID_MPEG4);
    ASSERT(d.monotonic);
    for (int i = 0; i < 30; i++) {
        ASSERT_NEAR(d.t[i] - d.t[0], i * 0.040, 0.0015);
        /* limited-range luma: white ~235, grey 30 ~ 42 */
        ASSERT_MSG(d.in_sq[i] > 200 && d.out_sq[i] < 60,
                   "frame %d: square %.1f, background %.1f", i, d.in_sq[i],
                   d.out_sq[i]);
    }
    unlink(path);
}

/* The MPEG-4 part 2 fallback, forced through the environment. */
TEST(writer_roundtrip_mpeg4)
{
    char path[128], codec[32];
    decoded d;
    ASSERT(tmp_path("square4.mp4", path, sizeof path));
    setenv("SPATIA_VIDEO_ENCODER", "mpeg4", 1);
    int rc = write_clip(path, 160, 120, 30, 0, codec, sizeof codec);
    setenv("SPATIA_VIDEO_ENCODER", "nonesuch", 1);
    spatia_video_writer *w = NULL;
    char err[256];
    int rc2 = spatia_video_writer_open(path, 64, 48, 25, &w, err, sizeof err);
    unsetenv("SPATIA_VIDEO_ENCODER");
    ASSERT_OK(rc);
    ASSERT_EQ(rc2, SPATIA_UNSUPPORTED);
    ASSERT(strstr(err, "nonesuch") != NULL);
    ASSERT_STREQ(codec, "mpeg4");
    ASSERT_OK(decode_file(path, &d));
    ASSERT_EQ(d.codec, AV_CODEC_ID_MPEG4);
    ASSERT_EQ(d.frames, 30);
    ASSERT(d.monotonic);
    for (int i = 0; i < 30; i++) {
        ASSERT_NEAR(d.t[i] - d.t[0], i * 0.040, 0.0015);
        ASSERT_MSG(d.in_sq[i] > 200 && d.out_sq[i] < 60,
                   "frame %d: square %.1f, background %.1f", i, d.in_sq[i],
                   d.out_sq[i]);
    }
    unlink(path);
}

TEST(writer_other_containers)
{
    const char *names[] = {"clip.avi", "clip.mkv", "clip.mov", "noext"};
    for (int k = 0; k < 4; k++) {
        char path[128];
        decoded d;
        ASSERT(tmp_path(names[k], path, sizeof path));
        ASSERT_OK(write_clip(path, 160, 120, 8, 0, NULL, 0));
        ASSERT_OK(decode_file(path, &d));
        ASSERT_EQ(d.frames, 8);
        ASSERT(d.monotonic);
        ASSERT_NEAR(d.t[7] - d.t[0], 0.28, 0.0015);
        ASSERT(d.in_sq[7] > 200 && d.out_sq[7] < 60);
        if (k == 3) { /* no extension: MP4 */
            FILE *f = fopen(path, "rb");
            char head[12] = {0};
            ASSERT(f);
            ASSERT_EQ(fread(head, 1, sizeof head, f), sizeof head);
            fclose(f);
            ASSERT(memcmp(head + 4, "ftyp", 4) == 0);
        }
        unlink(path);
    }
}

TEST(writer_odd_size_and_repeated_pts)
{
    char path[128];
    decoded d;
    ASSERT(tmp_path("odd.mp4", path, sizeof path));
    ASSERT_OK(write_clip(path, 161, 121, 12, 1, NULL, 0));
    ASSERT_OK(decode_file(path, &d));
    ASSERT_EQ(d.frames, 12);
    ASSERT(d.monotonic);
    ASSERT_EQ(d.width, 160);
    ASSERT_EQ(d.height, 120);
    unlink(path);
}

TEST(writer_errors)
{
    spatia_video_writer *w = (spatia_video_writer *)&w;
    char err[256], path[128];
    struct stat sb;

    ASSERT_EQ(spatia_video_writer_open("/nonexistent-dir/x/out.mp4", 64, 48, 25,
                                       &w, err, sizeof err),
              SPATIA_IO);
    ASSERT(w == NULL);
    ASSERT(strstr(err, "/nonexistent-dir/x/out.mp4") != NULL);

    ASSERT(tmp_path("out.xyz123", path, sizeof path));
    ASSERT_EQ(spatia_video_writer_open(path, 64, 48, 25, &w, err, sizeof err),
              SPATIA_UNSUPPORTED);
    ASSERT(strstr(err, "xyz123") != NULL);
    ASSERT(stat(path, &sb) != 0); /* nothing left behind */

    ASSERT(tmp_path("sound.wav", path, sizeof path));
    ASSERT_EQ(spatia_video_writer_open(path, 64, 48, 25, &w, err, sizeof err),
              SPATIA_UNSUPPORTED);
    ASSERT(stat(path, &sb) != 0);

    ASSERT(tmp_path("dir", path, sizeof path));
    ASSERT_OK(mkdir(path, 0700));
    ASSERT_EQ(spatia_video_writer_open(path, 64, 48, 25, &w, err, sizeof err),
              SPATIA_IO);
    ASSERT(stat(path, &sb) == 0 && S_ISDIR(sb.st_mode));
    rmdir(path);

    ASSERT(tmp_path("ok.mp4", path, sizeof path));
    ASSERT_EQ(spatia_video_writer_open(path, 1, 48, 25, &w, err, sizeof err),
              SPATIA_EINVAL);
    ASSERT_EQ(spatia_video_writer_open(path, 64, 99999, 25, &w, NULL, 0),
              SPATIA_EINVAL);
    ASSERT_EQ(spatia_video_writer_open(path, 64, 48, 0, &w, err, sizeof err),
              SPATIA_EINVAL);
    ASSERT_EQ(spatia_video_writer_open(path, 64, 48, NAN, &w, err, 8),
              SPATIA_EINVAL);
    ASSERT_EQ(spatia_video_writer_open(NULL, 64, 48, 25, &w, err, sizeof err),
              SPATIA_EINVAL);
    ASSERT_EQ(spatia_video_writer_open(path, 64, 48, 25, NULL, err, sizeof err),
              SPATIA_EINVAL);
    ASSERT_OK(spatia_video_writer_close(NULL));
    ASSERT_EQ(spatia_video_writer_write(NULL, NULL, 0, 0), SPATIA_EINVAL);

    /* a short stride is refused without breaking the writer */
    uint8_t frame[64 * 48 * 3];
    memset(frame, 90, sizeof frame);
    ASSERT_OK(spatia_video_writer_open(path, 64, 48, 25, &w, err, sizeof err));
    ASSERT_EQ(spatia_video_writer_write(w, frame, 64, 0), SPATIA_EINVAL);
    ASSERT_EQ(spatia_video_writer_write(w, NULL, 192, 0), SPATIA_EINVAL);
    ASSERT_OK(spatia_video_writer_write(w, frame, 192, 0));
    ASSERT_OK(spatia_video_writer_close(w));
    decoded d;
    ASSERT_OK(decode_file(path, &d));
    ASSERT_EQ(d.frames, 1);
    unlink(path);
}

/* Writes noisy frames (hard to compress) until a write fails or n frames
 * are in; returns the first error or SPATIA_OK. */
static int write_noise(spatia_video_writer *w, int n, img *m)
{
    int rc = SPATIA_OK;
    for (int i = 0; i < n && rc == SPATIA_OK; i++) {
        make_frame(m, i % 30);
        for (int y = 0; y < m->im.height; y += 2)
            for (int x = 0; x < 3 * m->im.width; x++)
                m->buf[(size_t)y * (size_t)m->im.stride + (size_t)x] ^=
                    (uint8_t)(x * 37 + i * 11 + y * 7);
        rc = spatia_video_writer_write(w, m->buf, m->im.stride, i * 40);
    }
    return rc;
}

TEST(writer_full_disk)
{
    spatia_video_writer *w = NULL;
    char err[256];
    struct stat sb;
    img m;
    if (stat("/dev/full", &sb) != 0 || !S_ISCHR(sb.st_mode))
        TEST_SKIP("/dev/full is not available");
    ASSERT_OK(img_new(&m, 160, 120, BG));
    /* no extension -> MP4; nothing can be written */
    int rc = spatia_video_writer_open("/dev/full", 160, 120, 25, &w, err,
                                      sizeof err);
    if (rc == SPATIA_OK) {
        rc = write_noise(w, 200, &m);
        int crc = spatia_video_writer_close(w);
        rc = rc ? rc : crc;
    } else {
        ASSERT(w == NULL);
        ASSERT(strstr(err, "/dev/full") != NULL);
    }
    free(m.buf);
    ASSERT_EQ(rc, SPATIA_NOSPACE);
    /* the device is not "cleaned up" */
    ASSERT(stat("/dev/full", &sb) == 0 && S_ISCHR(sb.st_mode));
}

/* A write that fails after a good start (file size limit: EFBIG) is
 * reported, sticks, and close returns it too. */
TEST(writer_error_midway)
{
    spatia_video_writer *w = NULL;
    char err[256], path[128];
    struct rlimit old, lim;
    img m;
    ASSERT(tmp_path("limited.mp4", path, sizeof path));
    ASSERT_OK(img_new(&m, 160, 120, BG));
    ASSERT_OK(getrlimit(RLIMIT_FSIZE, &old));
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    lim = old;
    lim.rlim_cur = 64 * 1024;
    ASSERT_OK(setrlimit(RLIMIT_FSIZE, &lim));
    int rc = spatia_video_writer_open(path, 160, 120, 25, &w, err, sizeof err);
    int wrc = -1, again = -1, crc = -1;
    char msg[256] = "";
    if (rc == SPATIA_OK) {
        wrc = write_noise(w, 400, &m);
        snprintf(msg, sizeof msg, "%s", spatia_video_writer_error(w));
        again = spatia_video_writer_write(w, m.buf, m.im.stride, 99999);
        crc = spatia_video_writer_close(w);
    }
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    free(m.buf);
    unlink(path);
    ASSERT_OK(rc);
    ASSERT_EQ(wrc, SPATIA_IO);
    ASSERT(strstr(msg, path) != NULL);
    ASSERT_EQ(again, SPATIA_IO);
    ASSERT_EQ(crc, SPATIA_IO);
}

/* Runs the spatia CLI with args (NULL-terminated), stdout to /dev/null,
 * stderr to errfile. Returns the exit code. */
static int run_cli(const char *errfile, const char **args)
{
    const char *argv[32];
    int n = 0;
    argv[n++] = SPATIA_BIN;
    while (*args && n < 31)
        argv[n++] = *args++;
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        int dn = open("/dev/null", O_WRONLY);
        int fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(dn, 1);
        dup2(fd, 2);
        execv(SPATIA_BIN, (char *const *)argv);
        _exit(127);
    }
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int file_contains(const char *file, const char *needle)
{
    char buf[4096];
    FILE *f = fopen(file, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return strstr(buf, needle) != NULL;
}

/* `spatia run --video-out` on PETS09 (ground-truth tracks, 40 frames):
 * one video frame per processed frame, at the processed size, with the
 * zone's cyan tint visible against the source video. */
TEST(cli_video_out)
{
    char video[512], gt[512], cfg[512], out[128], errf[128];
    if (!test_cache("vtest.avi", video, sizeof video))
        TEST_SKIP(".cache/vtest.avi missing (run make setup)");
    if (!test_dataset("mot15/PETS09-S2L1/gt/gt.txt", gt, sizeof gt))
        TEST_SKIP("../shared/datasets/mot15 not present");
    snprintf(cfg, sizeof cfg, "%s/configs/pets09-demo.json", SPATIA_SOURCE_DIR);
    ASSERT(tmp_path("pets.mp4", out, sizeof out));
    ASSERT(tmp_path("stderr.txt", errf, sizeof errf));
    const char *a[] = {"run", "--input",     video, "--config",
                       cfg,   "--tracks",    gt,    "--max-frames",
                       "40",  "--video-out", out,   "--quiet",
                       NULL};
    ASSERT_EQ(run_cli(errf, a), 0);

    /* zone interior, left of the line and below the label (pets09-demo:
     * x 0.30..0.70, y 0.40..0.65 of 768x576), in chroma-plane px */
    int roi[4] = {125, 130, 170, 150};
    decoded d, src;
    ASSERT_OK(decode_file_roi(out, &d, roi));
    ASSERT_OK(decode_file_roi(video, &src, roi));
    ASSERT_EQ(d.frames, 40);
    ASSERT_EQ(d.width, 768);
    ASSERT_EQ(d.height, 576);
    ASSERT(d.monotonic);
    fprintf(stderr, "zone Cr: source %.1f, annotated %.1f\n", src.roi_cr,
            d.roi_cr);
    ASSERT(d.roi_cr < src.roi_cr - 10); /* cyan lowers Cr */
    unlink(out);

    /* an unwritable output fails before any work, naming the file */
    const char *b[] = {"run",      "--input",     video,
                       "--config", cfg,           "--tracks",
                       gt,         "--video-out", "/nonexistent-dir/v.mp4",
                       NULL};
    ASSERT_EQ(run_cli(errf, b), 1);
    ASSERT(file_contains(errf, "/nonexistent-dir/v.mp4"));
    unlink(errf);
}

TEST_MAIN(T(rect_outline_pixels), T(fill_rect_alpha), T(line_bresenham),
          T(clipping_extreme_coordinates), T(polygon_fill_concave),
          T(polygon_fill_self_intersecting), T(polygon_outline_and_arrow),
          T(text_box), T(font_glyphs_distinct), T(annotate_frame_layers),
          T(annotate_track_colors_distinct), T(writer_roundtrip_mp4),
          T(writer_roundtrip_mpeg4), T(writer_other_containers),
          T(writer_odd_size_and_repeated_pts), T(writer_errors),
          T(writer_full_disk), T(writer_error_midway), T(cli_video_out))
