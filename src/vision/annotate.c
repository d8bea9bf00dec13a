/*
 * annotate.c - draws one frame's analytics over its pixels
 * (see spatia/annotate.h).
 *
 * Layers, back to front: translucent zones, directed lines with R/L side
 * marks, confirmed track boxes, the legend. Sizes (text scale, strokes)
 * follow the frame height so that a 1080p video looks like a 576p one.
 * Geometry arrives in normalized coordinates (config) or px (tracks); both
 * are clamped to a generous range before they become ints, so a wild value
 * only draws off-image. All scratch is on the stack.
 */
#include "spatia/annotate.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "spatia/error.h"

#define COORD_LIMIT  1.0e6 /* px, far outside any frame */
#define ZONE_ALPHA   64    /* opacity of zone fills */
#define LABEL_ALPHA  210   /* opacity of zone/line label boxes */
#define LEGEND_ALPHA 160   /* opacity of the legend box */
#define LEGEND_MAX   24    /* legend lines; more names end in "..." */
#define LEGEND_LEN   160   /* bytes per legend line */

static const spatia_rgb zone_palette[] = {
    {0, 190, 255}, {255, 140, 0},  {170, 90, 255},
    {0, 210, 110}, {255, 70, 160}, {120, 200, 0},
};
static const spatia_rgb line_palette[] = {
    {255, 230, 0},
    {255, 80, 40},
    {0, 255, 230},
    {255, 255, 255},
};
#define NZONE_COLORS ((int)(sizeof zone_palette / sizeof zone_palette[0]))
#define NLINE_COLORS ((int)(sizeof line_palette / sizeof line_palette[0]))

static const spatia_rgb white = {255, 255, 255}, black = {0, 0, 0};

int spatia_annotate_scale(int h)
{
    int s = h / 288;
    return s < 1 ? 1 : s > 4 ? 4 : s;
}

spatia_rgb spatia_annotate_track_color(uint32_t num)
{
    /* golden-ratio hue steps: neighbouring nums get distant hues */
    double hue = fmod(0.12 + num * 0.6180339887498949, 1.0) * 6.0;
    double s = 0.85, v = 1.0;
    int i = (int)hue;
    double f = hue - i, p = v * (1 - s), q = v * (1 - s * f),
           t = v * (1 - s * (1 - f));
    double r, g, b;
    switch (i % 6) {
    case 0:
        r = v, g = t, b = p;
        break;
    case 1:
        r = q, g = v, b = p;
        break;
    case 2:
        r = p, g = v, b = t;
        break;
    case 3:
        r = p, g = q, b = v;
        break;
    case 4:
        r = t, g = p, b = v;
        break;
    default:
        r = v, g = p, b = q;
        break;
    }
    spatia_rgb c = {(uint8_t)lround(r * 255), (uint8_t)lround(g * 255),
                    (uint8_t)lround(b * 255)};
    return c;
}

/* Black on light colours, white on dark ones. */
static spatia_rgb contrast(spatia_rgb c)
{
    return 299 * c.r + 587 * c.g + 114 * c.b > 140000 ? black : white;
}

static int to_px(double v)
{
    if (!(v == v))
        return 0;
    if (v < -COORD_LIMIT)
        v = -COORD_LIMIT;
    if (v > COORD_LIMIT)
        v = COORD_LIMIT;
    return (int)lround(v);
}

static spatia_ipoint norm_px(spatia_point p, int w, int h)
{
    spatia_ipoint q = {to_px(p.x * w), to_px(p.y * h)};
    return q;
}

/* Draws a text label whose box (text + pad) stays inside the image when it
 * fits: (x, y) is the wanted top-left of the text. */
static void label(const spatia_image *im, int x, int y, const char *s,
                  const spatia_text_style *st)
{
    int tw, th;
    spatia_text_size(s, st->scale, &tw, &th);
    if (x + tw + st->pad > im->width)
        x = im->width - tw - st->pad;
    if (y + th + st->pad > im->height)
        y = im->height - th - st->pad;
    if (x < st->pad)
        x = st->pad;
    if (y < st->pad)
        y = st->pad;
    spatia_draw_text(im, x, y, s, st);
}

static void draw_zone(const spatia_image *im, const spatia_zone_cfg *z,
                      spatia_rgb col, int sc)
{
    spatia_ipoint pts[SPATIA_DRAW_MAX_VERTICES], top = {0, 0};
    int n = z->npoly;
    if (!z->poly || n < 1)
        return;
    if (n <= SPATIA_DRAW_MAX_VERTICES) {
        for (int i = 0; i < n; i++)
            pts[i] = norm_px(z->poly[i], im->width, im->height);
        spatia_draw_fill_polygon(im, pts, n, col, ZONE_ALPHA);
    }
    /* outline edge by edge: works for any vertex count */
    for (int i = 0; i < n; i++) {
        spatia_ipoint a = norm_px(z->poly[i], im->width, im->height);
        spatia_ipoint b = norm_px(z->poly[(i + 1) % n], im->width, im->height);
        spatia_draw_line(im, a.x, a.y, b.x, b.y, sc, col);
        if (i == 0 || a.y < top.y)
            top = a;
    }
    if (z->name && *z->name) {
        spatia_text_style st = {sc, contrast(col), LABEL_ALPHA, col, sc};
        label(im, top.x + 2 * sc, top.y + 2 * sc, z->name, &st);
    }
}

static void draw_line_rule(const spatia_image *im, const spatia_line_cfg *l,
                           spatia_rgb col, int sc)
{
    spatia_ipoint a = norm_px(l->start, im->width, im->height);
    spatia_ipoint b = norm_px(l->end, im->width, im->height);
    int t = sc + 1;
    spatia_draw_arrow(im, a.x, a.y, b.x, b.y, t, 0, col);

    /* R and L marks beside the midpoint: right of start->end is
     * (-dy, dx) in image coordinates (y down), as spatial.h counts it. */
    double dx = (double)b.x - a.x, dy = (double)b.y - a.y;
    double len = sqrt(dx * dx + dy * dy);
    spatia_text_style st = {sc, contrast(col), LABEL_ALPHA, col, sc};
    int cw, ch;
    spatia_text_size("R", sc, &cw, &ch);
    if (len > 0) {
        double mx = (a.x + b.x) / 2.0, my = (a.y + b.y) / 2.0;
        double off = t + 4 * sc + ch / 2.0;
        double nx = -dy / len, ny = dx / len;
        spatia_draw_text(im, to_px(mx + nx * off - cw / 2.0),
                         to_px(my + ny * off - ch / 2.0), "R", &st);
        spatia_draw_text(im, to_px(mx - nx * off - cw / 2.0),
                         to_px(my - ny * off - ch / 2.0), "L", &st);
    }
    if (l->name && *l->name)
        label(im, a.x + t + 2 * sc, a.y - ch - 2 * sc, l->name, &st);
}

static void draw_track(const spatia_image *im, const spatia_track *tr, int sc)
{
    spatia_rgb col = spatia_annotate_track_color(tr->num);
    int x1 = to_px(tr->box.x1), y1 = to_px(tr->box.y1);
    int x2 = to_px(tr->box.x2), y2 = to_px(tr->box.y2);
    char txt[16];
    int tw, th;
    spatia_draw_rect(im, x1, y1, x2, y2, sc, col);
    snprintf(txt, sizeof txt, "%u", (unsigned)tr->num);
    spatia_text_size(txt, sc, &tw, &th);
    spatia_text_style st = {sc, contrast(col), 255, col, sc > 1 ? sc / 2 : 1};
    int x = x1 < x2 ? x1 : x2, top = y1 < y2 ? y1 : y2;
    int y = top - th - st.pad; /* above the box, or inside if no room */
    if (y < st.pad)
        y = top + sc + st.pad;
    spatia_draw_text(im, x + st.pad, y, txt, &st);
}

/* Appends ", "-separated part to buf. */
static void add_part(char *buf, size_t len, int *nparts, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_part(char *buf, size_t len, int *nparts, const char *fmt, ...)
{
    size_t used = strlen(buf);
    if (used + 1 >= len)
        return;
    if (*nparts > 0) {
        snprintf(buf + used, len - used, ", ");
        used = strlen(buf);
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
    (*nparts)++;
}

static int same_name(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* The legend line of the rules named like stats[i] (i is the first). */
static void legend_line(const spatia_rule_stats *stats, int nstats, int i,
                        char *buf, size_t len)
{
    int nparts = 0, has_crossing = 0;
    const char *name = stats[i].name ? stats[i].name : "";
    for (int k = i; k < nstats; k++)
        if (same_name(stats[k].name, name) &&
            stats[k].kind == SPATIA_EVENT_ZONECROSSING)
            has_crossing = 1;
    snprintf(buf, len, "%s: ", name);
    size_t head = strlen(buf);
    for (int k = i; k < nstats; k++) {
        const spatia_rule_stats *s = &stats[k];
        if (!same_name(s->name, name))
            continue;
        char *rest = buf + head;
        size_t rlen = len > head ? len - head : 0;
        if (rlen < 2)
            break;
        switch (s->kind) {
        case SPATIA_EVENT_LINECROSSING:
            add_part(rest, rlen, &nparts, "R %lld  L %lld",
                     (long long)s->cross_right, (long long)s->cross_left);
            break;
        case SPATIA_EVENT_COUNT:
            add_part(rest, rlen, &nparts, "count %d",
                     s->last_count < 0 ? 0 : s->last_count);
            break;
        case SPATIA_EVENT_ZONECROSSING:
            add_part(rest, rlen, &nparts, "in %lld out %lld",
                     (long long)s->enter, (long long)s->exit);
            break;
        case SPATIA_EVENT_ZONEDWELLTIME:
            if (!has_crossing)
                add_part(rest, rlen, &nparts, "in %lld out %lld",
                         (long long)s->enter, (long long)s->exit);
            if (s->exit > 0)
                add_part(rest, rlen, &nparts, "dwell %.1fs",
                         s->dwell_ms_sum / (double)s->exit / 1000.0);
            else
                add_part(rest, rlen, &nparts, "dwell -");
            break;
        case SPATIA_EVENT_PERSONDISTANCE:
            add_part(rest, rlen, &nparts, "people %d",
                     s->last_count < 0 ? 0 : s->last_count);
            break;
        }
    }
}

static int first_of_name(const spatia_rule_stats *stats, int i)
{
    for (int j = 0; j < i; j++)
        if (same_name(stats[j].name, stats[i].name))
            return 0;
    return 1;
}

static void draw_legend(const spatia_image *im, const spatia_rule_stats *stats,
                        int nstats, int sc)
{
    char buf[LEGEND_LEN];
    int lines = 0, maxw = 0, tw, th, more = 0;
    int pad = 3 * sc, x = 2 * sc + pad, y = 2 * sc + pad;
    int step = SPATIA_FONT_CELL_H * sc;

    for (int i = 0; i < nstats; i++) {
        if (!first_of_name(stats, i))
            continue;
        if (lines == LEGEND_MAX) {
            more = 1;
            break;
        }
        legend_line(stats, nstats, i, buf, sizeof buf);
        spatia_text_size(buf, sc, &tw, &th);
        maxw = tw > maxw ? tw : maxw;
        lines++;
    }
    if (more) {
        spatia_text_size("...", sc, &tw, &th);
        maxw = tw > maxw ? tw : maxw;
    }
    if (lines == 0)
        return;
    int nl = lines + more;
    spatia_draw_fill_rect(im, x - pad, y - pad, x + maxw - 1 + pad,
                          y + nl * step - sc - 1 + pad, black, LEGEND_ALPHA);
    spatia_text_style st = {sc, white, 0, black, 0};
    int row = 0;
    for (int i = 0; i < nstats && row < lines; i++) {
        if (!first_of_name(stats, i))
            continue;
        legend_line(stats, nstats, i, buf, sizeof buf);
        spatia_draw_text(im, x, y + row * step, buf, &st);
        row++;
    }
    if (more)
        spatia_draw_text(im, x, y + row * step, "...", &st);
}

int spatia_annotate_frame(uint8_t *rgb, int stride, int w, int h,
                          const spatia_config *cfg, const spatia_track *tracks,
                          int ntracks, const spatia_rule_stats *stats,
                          int nstats)
{
    spatia_image im = {rgb, stride, w, h};
    if (!spatia_image_valid(&im) || ntracks < 0 || nstats < 0 ||
        (ntracks > 0 && !tracks) || (nstats > 0 && !stats))
        return SPATIA_EINVAL;
    if (cfg &&
        ((cfg->nzones > 0 && !cfg->zones) || (cfg->nlines > 0 && !cfg->lines)))
        return SPATIA_EINVAL;
    int sc = spatia_annotate_scale(h);

    if (cfg) {
        for (int i = 0; i < cfg->nzones; i++)
            draw_zone(&im, &cfg->zones[i], zone_palette[i % NZONE_COLORS], sc);
        for (int i = 0; i < cfg->nlines; i++)
            draw_line_rule(&im, &cfg->lines[i], line_palette[i % NLINE_COLORS],
                           sc);
    }
    for (int i = 0; i < ntracks; i++)
        if (tracks[i].state == SPATIA_TRACK_CONFIRMED)
            draw_track(&im, &tracks[i], sc);
    if (nstats > 0)
        draw_legend(&im, stats, nstats, sc);
    return SPATIA_OK;
}
