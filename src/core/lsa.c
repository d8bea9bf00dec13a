/*
 * lsa.c - rectangular linear sum assignment by shortest augmenting paths
 * with row/column potentials (Kuhn-Munkres in its O(n^2 m) form).
 *
 * Rows are added one at a time; for each, a Dijkstra-like scan over the
 * columns with reduced costs cost[i][j] - u[i] - v[j] finds the cheapest
 * augmenting path, and the potentials are updated so reduced costs stay
 * non-negative. The method needs rows <= columns, so a tall matrix is solved
 * transposed.
 */
#include "core/lsa.h"

#include <float.h>
#include <stdlib.h>

#include "spatia/error.h"

/* Grows the workspace geometrically to hold `dneed` doubles and `ineed`
 * ints, so repeated calls of similar sizes stop allocating. */
static int work_reserve(lsa_work *w, long dneed, long ineed)
{
    if (dneed > w->dcap) {
        long nc = w->dcap ? w->dcap : 64;
        while (nc < dneed)
            nc *= 2;
        double *b = realloc(w->buf, (size_t)nc * sizeof *b);
        if (!b)
            return SPATIA_NOMEM;
        w->buf = b;
        w->dcap = nc;
    }
    if (ineed > w->icap) {
        long nc = w->icap ? w->icap : 64;
        while (nc < ineed)
            nc *= 2;
        int *b = realloc(w->ibuf, (size_t)nc * sizeof *b);
        if (!b)
            return SPATIA_NOMEM;
        w->ibuf = b;
        w->icap = nc;
    }
    return SPATIA_OK;
}

/* Core solver, n <= m. a(i, j) reads the cost of 0-based row i, column j
 * from `c` with row stride `rs` and column stride `cs`. p[j] (1-based)
 * receives the 1-based row that owns column j, or 0. */
static void solve(const double *c, long rs, long cs, int n, int m, double *u,
                  double *v, double *minv, int *p, int *way, int *used)
{
    for (int j = 0; j <= m; j++) {
        p[j] = 0;
        way[j] = 0;
        v[j] = 0;
    }
    for (int i = 0; i <= n; i++)
        u[i] = 0;

    for (int i = 1; i <= n; i++) {
        int j0 = 0;
        p[0] = i;
        for (int j = 0; j <= m; j++) {
            minv[j] = DBL_MAX;
            used[j] = 0;
        }
        do {
            int i0 = p[j0], j1 = 0;
            double delta = DBL_MAX;
            used[j0] = 1;
            for (int j = 1; j <= m; j++) {
                if (used[j])
                    continue;
                double cur = c[(i0 - 1) * rs + (j - 1) * cs] - u[i0] - v[j];
                if (cur < minv[j]) {
                    minv[j] = cur;
                    way[j] = j0;
                }
                if (minv[j] < delta) {
                    delta = minv[j];
                    j1 = j;
                }
            }
            for (int j = 0; j <= m; j++) {
                if (used[j]) {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
        } while (p[j0] != 0);
        do {
            int j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
        } while (j0);
    }
}

int lsa_solve(lsa_work *w, const double *cost, int n, int m, int *row_to_col,
              int *col_to_row)
{
    int rows, cols, rc;
    long rs, cs;

    if (!w || n < 0 || m < 0 || (n > 0 && !row_to_col) ||
        (n > 0 && m > 0 && !cost))
        return SPATIA_EINVAL;
    for (int i = 0; i < n; i++)
        row_to_col[i] = -1;
    if (col_to_row)
        for (int j = 0; j < m; j++)
            col_to_row[j] = -1;
    if (n == 0 || m == 0)
        return SPATIA_OK;

    /* Solve with the smaller side as rows. */
    if (n <= m) {
        rows = n, cols = m, rs = m, cs = 1;
    } else {
        rows = m, cols = n, rs = 1, cs = m;
    }
    /* sized by the larger side only: 3 (cols + 1) >= (rows + 1) + 2 (cols + 1)
     */
    rc = work_reserve(w, 3L * (cols + 1), 3L * (cols + 1));
    if (rc)
        return rc;
    double *u = w->buf, *v = u + rows + 1, *minv = v + cols + 1;
    int *p = w->ibuf, *way = p + cols + 1, *used = way + cols + 1;

    solve(cost, rs, cs, rows, cols, u, v, minv, p, way, used);

    for (int j = 1; j <= cols; j++) {
        if (!p[j])
            continue;
        int r = p[j] - 1, col = j - 1;
        if (n <= m) {
            row_to_col[r] = col;
            if (col_to_row)
                col_to_row[col] = r;
        } else {
            row_to_col[col] = r;
            if (col_to_row)
                col_to_row[r] = col;
        }
    }
    return SPATIA_OK;
}

void lsa_work_free(lsa_work *w)
{
    if (!w)
        return;
    free(w->buf);
    free(w->ibuf);
    w->buf = NULL;
    w->ibuf = NULL;
    w->dcap = w->icap = 0;
}
