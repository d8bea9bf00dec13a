/*
 * kf.c - the tracker's constant-velocity Kalman filter (see kf.h for the
 * model). Written from the textbook equations with fixed 8x8 and 4x4
 * matrices; everything is on the stack, nothing allocates.
 */
#include "track/kf.h"

#include <math.h>
#include <string.h>

static double clamp_size(double v)
{
    return v >= 1.0 ? v : 1.0; /* also maps NaN to 1 */
}

void kf_init(kf_state *s, const kf_noise *n, const double z[4])
{
    double w = clamp_size(z[2]), h = clamp_size(z[3]);
    double sd[8];

    s->x[0] = z[0];
    s->x[1] = z[1];
    s->x[2] = w;
    s->x[3] = h;
    for (int i = 4; i < 8; i++)
        s->x[i] = 0;
    /* Position is known to about twice the measurement noise scale; the
     * velocity is unknown: ten times its per-frame process noise. */
    sd[0] = sd[2] = 2 * n->pos * w;
    sd[1] = sd[3] = 2 * n->pos * h;
    sd[4] = sd[6] = 10 * n->vel * w;
    sd[5] = sd[7] = 10 * n->vel * h;
    memset(s->P, 0, sizeof s->P);
    for (int i = 0; i < 8; i++)
        s->P[i * 8 + i] = sd[i] * sd[i];
}

void kf_predict(kf_state *s, const kf_noise *n)
{
    double w = clamp_size(s->x[2]), h = clamp_size(s->x[3]);
    double fp[64], q[8];

    for (int i = 0; i < 4; i++)
        s->x[i] += s->x[i + 4];
    /* F P: row i of F adds row i+4 to row i for the first four rows. */
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++)
            fp[i * 8 + j] =
                s->P[i * 8 + j] + (i < 4 ? s->P[(i + 4) * 8 + j] : 0.0);
    /* (F P) F^T: column j gains column j+4 for the first four columns. */
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++)
            s->P[i * 8 + j] = fp[i * 8 + j] + (j < 4 ? fp[i * 8 + j + 4] : 0.0);
    q[0] = q[2] = n->pos * w;
    q[1] = q[3] = n->pos * h;
    q[4] = q[6] = n->vel * w;
    q[5] = q[7] = n->vel * h;
    for (int i = 0; i < 8; i++)
        s->P[i * 8 + i] += q[i] * q[i];
    if (s->x[2] < 1)
        s->x[2] = 1;
    if (s->x[3] < 1)
        s->x[3] = 1;
}

int kf_chol4(const double a[16], double l[16])
{
    memset(l, 0, 16 * sizeof *l);
    for (int j = 0; j < 4; j++) {
        double d = a[j * 4 + j];
        for (int k = 0; k < j; k++)
            d -= l[j * 4 + k] * l[j * 4 + k];
        if (!(d > 0))
            return -1;
        d = sqrt(d);
        l[j * 4 + j] = d;
        for (int i = j + 1; i < 4; i++) {
            double v = a[i * 4 + j];
            for (int k = 0; k < j; k++)
                v -= l[i * 4 + k] * l[j * 4 + k];
            l[i * 4 + j] = v / d;
        }
    }
    return 0;
}

int kf_update(kf_state *s, const kf_noise *n, const double z[4])
{
    double w = clamp_size(s->x[2]), h = clamp_size(s->x[3]);
    double zz[4] = {z[0], z[1], clamp_size(z[2]), clamp_size(z[3])};
    double S[16], L[16], r[4], y[4];
    double kt[32]; /* K^T, 4x8: solves S K^T = H P = P[0:4, :] */

    r[0] = r[2] = n->meas * w;
    r[1] = r[3] = n->meas * h;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            S[i * 4 + j] = s->P[i * 8 + j] + (i == j ? r[i] * r[i] : 0.0);
    if (kf_chol4(S, L) != 0 || !isfinite(zz[0]) || !isfinite(zz[1])) {
        kf_init(s, n, zz);
        return -1;
    }
    /* Forward substitution L Y = H P, then back substitution L^T K^T = Y,
     * column by column of the 4x8 right-hand side. */
    for (int c = 0; c < 8; c++) {
        double v[4];
        for (int i = 0; i < 4; i++) {
            double t = s->P[i * 8 + c];
            for (int k = 0; k < i; k++)
                t -= L[i * 4 + k] * v[k];
            v[i] = t / L[i * 4 + i];
        }
        for (int i = 3; i >= 0; i--) {
            double t = v[i];
            for (int k = i + 1; k < 4; k++)
                t -= L[k * 4 + i] * v[k];
            v[i] = t / L[i * 4 + i];
        }
        for (int i = 0; i < 4; i++)
            kt[i * 8 + c] = v[i];
    }
    for (int i = 0; i < 4; i++)
        y[i] = zz[i] - s->x[i];
    for (int i = 0; i < 8; i++)
        for (int k = 0; k < 4; k++)
            s->x[i] += kt[k * 8 + i] * y[k];
    /* P -= K (H P): (H P)[k][j] = P[k][j]; compute from a copy. */
    {
        double hp[32];
        memcpy(hp, s->P, sizeof hp); /* first four rows */
        for (int i = 0; i < 8; i++)
            for (int j = 0; j < 8; j++) {
                double t = 0;
                for (int k = 0; k < 4; k++)
                    t += kt[k * 8 + i] * hp[k * 8 + j];
                s->P[i * 8 + j] -= t;
            }
    }
    for (int i = 0; i < 8; i++)
        for (int j = i + 1; j < 8; j++) {
            double m = 0.5 * (s->P[i * 8 + j] + s->P[j * 8 + i]);
            s->P[i * 8 + j] = s->P[j * 8 + i] = m;
        }
    if (s->x[2] < 1)
        s->x[2] = 1;
    if (s->x[3] < 1)
        s->x[3] = 1;
    return 0;
}
