/*
 * geometry.h - plane geometry for zones and lines, in pixels.
 *
 * Image coordinates: x to the right, y down. For a directed line start->end
 * with d = end - start, side(p) = d.x*(p.y-start.y) - d.y*(p.x-start.x) is
 * positive on the observer's right when standing at start facing end, as
 * the image is displayed (spec §7.2); CrossRight is a change from negative
 * to positive.
 */
#ifndef SPATIA_SPATIAL_GEOMETRY_H
#define SPATIA_SPATIAL_GEOMETRY_H

typedef struct vec2 {
    double x, y;
} vec2;

/* Signed distance of p from the infinite line through a, b (positive on
 * the right of a->b); 0 for a degenerate line. */
double geom_line_side(vec2 a, vec2 b, vec2 p);

/* Parameter t along a->b of the point where segment p->q crosses the
 * infinite line through a, b. Returns 0 and sets *t, or -1 when p->q does
 * not cross the line (same side, or parallel). */
int geom_line_crossing(vec2 a, vec2 b, vec2 p, vec2 q, double *t);

/* Even-odd rule; points exactly on an edge or vertex count as inside.
 * Works for concave and self-intersecting polygons. */
int geom_point_in_polygon(const vec2 *poly, int n, vec2 p);

/* Distance from p to the nearest polygon edge (closed ring of n vertices). */
double geom_polygon_edge_distance(const vec2 *poly, int n, vec2 p);

/* geom_point_in_polygon() and the edge distance (to *edge_dist, may be
 * NULL) from one pass over the edges. */
int geom_polygon_locate(const vec2 *poly, int n, vec2 p, double *edge_dist);

/* Signed depth: +distance to the boundary inside, -distance outside. */
double geom_polygon_depth(const vec2 *poly, int n, vec2 p);

/* The edge that segment p->q crosses first going from p: returns the
 * 1-based side k (edge poly[k-1] -> poly[k % n]) or 0 if none. */
int geom_polygon_crossed_side(const vec2 *poly, int n, vec2 p, vec2 q);

/* The 1-based side nearest to p. */
int geom_polygon_nearest_side(const vec2 *poly, int n, vec2 p);

#endif
