/*
 * kf.h - constant-velocity Kalman filter on a box (internal to the tracker).
 *
 * State x = (cx, cy, w, h, vcx, vcy, vw, vh): box centre and size in px and
 * their velocities in px per frame. Measurement z = (cx, cy, w, h). The
 * model is the standard linear one,
 *     x' = F x + noise,  F = [I4 I4; 0 I4],   z = H x + noise, H = [I4 0],
 * with process noise Q and measurement noise R diagonal and proportional to
 * the box size: the standard deviations of the x/w terms are a fraction of
 * the width and those of the y/h terms the same fraction of the height, so
 * that a near box (large) may move more pixels than a far one.
 *
 * Predict:  x = F x;  P = F P F^T + Q.
 * Update:   S = H P H^T + R;  K = P H^T S^-1;  x += K (z - H x);
 *           P -= K H P   (S is factored by Cholesky; no general inverse).
 *
 * Widths and heights below 1 px are clamped to 1 px wherever they scale a
 * noise term or enter as a measurement, so the covariances stay positive
 * definite for degenerate boxes.
 */
#ifndef SPATIA_TRACK_KF_H
#define SPATIA_TRACK_KF_H

typedef struct kf_noise {
    double pos;  /* process std of position/size, fraction of box size */
    double vel;  /* process std of velocity, fraction of box size per frame */
    double meas; /* measurement std, fraction of box size */
} kf_noise;

typedef struct kf_state {
    double x[8];  /* cx, cy, w, h (px), vcx, vcy, vw, vh (px/frame) */
    double P[64]; /* covariance, row-major 8x8 */
} kf_state;

/* Starts a filter at measurement z (cx, cy, w, h px) with zero velocity and
 * a wide velocity covariance. */
void kf_init(kf_state *s, const kf_noise *n, const double z[4]);

/* Advances the filter by one frame. */
void kf_predict(kf_state *s, const kf_noise *n);

/* Corrects the filter with measurement z. Returns 0, or -1 if the
 * innovation covariance is not positive definite (the state is then
 * re-initialised at z, which keeps the filter usable). */
int kf_update(kf_state *s, const kf_noise *n, const double z[4]);

/* Cholesky factor of a symmetric 4x4 matrix: a = L L^T, L lower triangular
 * (row-major, upper part zeroed). Returns 0, or -1 if a is not positive
 * definite. */
int kf_chol4(const double a[16], double l[16]);

#endif
