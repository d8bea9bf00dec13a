/*
 * geometry.c - point/segment/polygon tests for the spatial analytics.
 */
#include "spatial/geometry.h"

#include <math.h>
#include <stddef.h>

static double cross(vec2 a, vec2 b)
{
    return a.x * b.y - a.y * b.x;
}

static vec2 sub(vec2 a, vec2 b)
{
    vec2 r = {a.x - b.x, a.y - b.y};
    return r;
}

double geom_line_side(vec2 a, vec2 b, vec2 p)
{
    vec2 d = sub(b, a);
    double len = hypot(d.x, d.y);
    if (len == 0)
        return 0;
    return cross(d, sub(p, a)) / len;
}

int geom_line_crossing(vec2 a, vec2 b, vec2 p, vec2 q, double *t)
{
    vec2 d = sub(b, a);
    double cp = cross(d, sub(p, a)), cq = cross(d, sub(q, a));
    double dd = d.x * d.x + d.y * d.y;
    if (dd == 0 || (cp > 0 && cq > 0) || (cp < 0 && cq < 0) || cp == cq)
        return -1;
    double s = cp / (cp - cq); /* along p->q */
    vec2 x = {p.x + (q.x - p.x) * s, p.y + (q.y - p.y) * s};
    *t = ((x.x - a.x) * d.x + (x.y - a.y) * d.y) / dd;
    return 0;
}

static double seg_dist(vec2 a, vec2 b, vec2 p)
{
    vec2 d = sub(b, a), ap = sub(p, a);
    double dd = d.x * d.x + d.y * d.y;
    double t = dd > 0 ? (ap.x * d.x + ap.y * d.y) / dd : 0;
    if (t < 0)
        t = 0;
    else if (t > 1)
        t = 1;
    return hypot(p.x - (a.x + t * d.x), p.y - (a.y + t * d.y));
}

int geom_polygon_locate(const vec2 *poly, int n, vec2 p, double *edge_dist)
{
    double d = geom_polygon_edge_distance(poly, n, p);
    int inside = 0;
    if (edge_dist)
        *edge_dist = d;
    if (n < 3)
        return 0;
    if (d < 1e-9)
        return 1;
    for (int i = 0, j = n - 1; i < n; j = i++) {
        vec2 a = poly[i], b = poly[j];
        if ((a.y > p.y) != (b.y > p.y)) {
            double x = a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y);
            if (p.x < x)
                inside = !inside;
        }
    }
    return inside;
}

int geom_point_in_polygon(const vec2 *poly, int n, vec2 p)
{
    return geom_polygon_locate(poly, n, p, NULL);
}

double geom_polygon_edge_distance(const vec2 *poly, int n, vec2 p)
{
    double best = INFINITY;
    for (int i = 0; i < n; i++) {
        double d = seg_dist(poly[i], poly[(i + 1) % n], p);
        if (d < best)
            best = d;
    }
    return best;
}

double geom_polygon_depth(const vec2 *poly, int n, vec2 p)
{
    double d;
    return geom_polygon_locate(poly, n, p, &d) ? d : -d;
}

int geom_polygon_crossed_side(const vec2 *poly, int n, vec2 p, vec2 q)
{
    int best = 0;
    double best_s = INFINITY;
    vec2 r = sub(q, p);
    for (int i = 0; i < n; i++) {
        vec2 a = poly[i], e = sub(poly[(i + 1) % n], a);
        double den = cross(r, e);
        if (den == 0)
            continue;
        vec2 ap = sub(a, p);
        double s = cross(ap, e) / den; /* along p->q */
        double u = cross(ap, r) / den; /* along the edge */
        if (s >= 0 && s <= 1 && u >= 0 && u <= 1 && s < best_s) {
            best_s = s;
            best = i + 1;
        }
    }
    return best;
}

int geom_polygon_nearest_side(const vec2 *poly, int n, vec2 p)
{
    int best = 0;
    double bd = INFINITY;
    for (int i = 0; i < n; i++) {
        double d = seg_dist(poly[i], poly[(i + 1) % n], p);
        if (d < bd) {
            bd = d;
            best = i + 1;
        }
    }
    return best;
}
