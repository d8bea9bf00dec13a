/* test_lsa.c - linear sum assignment against brute force. */
#include <stdint.h>

#include "core/lsa.h"
#include "spatia/error.h"
#include "test.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static double rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

/* Minimum over all injective maps of the smaller side, by recursion. */
static double brute(const double *c, int n, int m, int i, int *usedc)
{
    if (n <= m) {
        if (i == n)
            return 0;
        double best = 1e300;
        for (int j = 0; j < m; j++) {
            if (usedc[j])
                continue;
            usedc[j] = 1;
            double s = c[i * m + j] + brute(c, n, m, i + 1, usedc);
            usedc[j] = 0;
            if (s < best)
                best = s;
        }
        return best;
    }
    /* tall: iterate over columns */
    if (i == m)
        return 0;
    double best = 1e300;
    for (int r = 0; r < n; r++) {
        if (usedc[r])
            continue;
        usedc[r] = 1;
        double s = c[r * m + i] + brute(c, n, m, i + 1, usedc);
        usedc[r] = 0;
        if (s < best)
            best = s;
    }
    return best;
}

TEST(known_3x3)
{
    const double c[9] = {4, 1, 3, 2, 0, 5, 3, 2, 2};
    int r2c[3], c2r[3];
    lsa_work w = {0};
    ASSERT_OK(lsa_solve(&w, c, 3, 3, r2c, c2r));
    /* optimum: 0->1 (1), 1->0 (2), 2->2 (2) = 5 */
    ASSERT_EQ(r2c[0], 1);
    ASSERT_EQ(r2c[1], 0);
    ASSERT_EQ(r2c[2], 2);
    ASSERT_EQ(c2r[1], 0);
    lsa_work_free(&w);
}

TEST(random_vs_brute_force)
{
    lsa_work w = {0};
    for (int trial = 0; trial < 300; trial++) {
        int n = 1 + (int)(rnd() * 6), m = 1 + (int)(rnd() * 6);
        double c[36];
        int r2c[6], c2r[6], used[6] = {0};
        for (int k = 0; k < n * m; k++)
            c[k] = (double)(int)(rnd() * 10);
        ASSERT_OK(lsa_solve(&w, c, n, m, r2c, c2r));
        double s = 0;
        int pairs = 0;
        for (int i = 0; i < n; i++) {
            if (r2c[i] < 0)
                continue;
            ASSERT(r2c[i] < m);
            ASSERT_EQ(c2r[r2c[i]], i);
            s += c[i * m + r2c[i]];
            pairs++;
        }
        ASSERT_EQ(pairs, n < m ? n : m);
        ASSERT_NEAR(s, brute(c, n, m, 0, used), 1e-9);
    }
    lsa_work_free(&w);
}

TEST(empty_and_invalid)
{
    lsa_work w = {0};
    int r2c[2];
    ASSERT_OK(lsa_solve(&w, NULL, 2, 0, r2c, NULL));
    ASSERT_EQ(r2c[0], -1);
    ASSERT_EQ(lsa_solve(&w, NULL, -1, 2, r2c, NULL), SPATIA_EINVAL);
    lsa_work_free(&w);
    lsa_work_free(NULL);
}

TEST_MAIN(T(known_3x3), T(random_vs_brute_force), T(empty_and_invalid))
