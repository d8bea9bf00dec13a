/*
 * lsa.h - linear sum assignment (the Hungarian method with potentials).
 *
 * Used by the tracker (detections to tracks) and by the evaluation (ground
 * truth to tracker output). Solves min sum cost[i][col(i)] on a rectangular
 * n x m matrix: min(n, m) pairs are assigned. Runs in O(n^2 m). Callers that
 * need a gate (e.g. IoU >= 0.5) put a large cost on forbidden pairs and drop
 * those pairs from the result.
 *
 * The workspace is reused across calls so the per-frame path does not
 * allocate once it has seen its largest problem.
 */
#ifndef SPATIA_CORE_LSA_H
#define SPATIA_CORE_LSA_H

typedef struct lsa_work {
    double *buf; /* potentials, minima and a transposed copy */
    int *ibuf;   /* column owners, back-links, flags */
    long dcap, icap;
} lsa_work;

/*
 * Solves the assignment for `cost`, row-major n x m (n, m >= 0). Writes
 * row_to_col[0..n) (-1 for an unassigned row) and, if not NULL,
 * col_to_row[0..m). Costs must be finite. `w` is a zero-initialised
 * workspace that lsa_work_free() releases.
 * Returns SPATIA_OK, SPATIA_EINVAL or SPATIA_NOMEM.
 */
int lsa_solve(lsa_work *w, const double *cost, int n, int m, int *row_to_col,
              int *col_to_row);

void lsa_work_free(lsa_work *w);

#endif
