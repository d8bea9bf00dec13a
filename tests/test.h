/*
 * test.h - the tiny unit-test harness of spatia.
 *
 * A test file defines TEST(name) functions and lists them in a TESTS table;
 * main() comes from TEST_MAIN(). Each test file is its own executable and
 * ctest process. An ASSERT failure prints file:line and the expression and
 * fails the current test; the other tests of the file still run. A test may
 * call TEST_SKIP("why") when reference data is absent: if every test of the
 * file skipped, the process exits 77, which ctest reports as skipped.
 *
 * Run one test with `./test_x name`.
 */
#ifndef SPATIA_TEST_H
#define SPATIA_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef void (*test_fn)(void);
typedef struct test_case {
    const char *name;
    test_fn fn;
} test_case;

extern int test_failed_;
extern int test_skipped_;

#define TEST(name) static void name(void)

#define TEST_FAIL_AT(file, line, ...)                                          \
    do {                                                                       \
        fprintf(stderr, "%s:%d: ", file, line);                                \
        fprintf(stderr, __VA_ARGS__);                                          \
        fprintf(stderr, "\n");                                                 \
        test_failed_ = 1;                                                      \
        return;                                                                \
    } while (0)

#define ASSERT(cond)                                                           \
    do {                                                                       \
        if (!(cond))                                                           \
            TEST_FAIL_AT(__FILE__, __LINE__, "assertion failed: %s", #cond);   \
    } while (0)

#define ASSERT_MSG(cond, ...)                                                  \
    do {                                                                       \
        if (!(cond))                                                           \
            TEST_FAIL_AT(__FILE__, __LINE__, __VA_ARGS__);                     \
    } while (0)

#define ASSERT_EQ(a, b)                                                        \
    do {                                                                       \
        long long a_ = (long long)(a), b_ = (long long)(b);                    \
        if (a_ != b_)                                                          \
            TEST_FAIL_AT(__FILE__, __LINE__, "%s == %s failed: %lld != %lld",  \
                         #a, #b, a_, b_);                                      \
    } while (0)

#define ASSERT_NEAR(a, b, tol)                                                 \
    do {                                                                       \
        double a_ = (double)(a), b_ = (double)(b);                             \
        if (!(fabs(a_ - b_) <= (tol)))                                         \
            TEST_FAIL_AT(__FILE__, __LINE__,                                   \
                         "%s ~= %s failed: %.9g vs %.9g (tol %g)", #a, #b, a_, \
                         b_, (double)(tol));                                   \
    } while (0)

#define ASSERT_STREQ(a, b)                                                     \
    do {                                                                       \
        const char *a_ = (a), *b_ = (b);                                       \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                 \
            TEST_FAIL_AT(__FILE__, __LINE__,                                   \
                         "%s == %s failed: \"%s\" != \"%s\"", #a, #b,          \
                         a_ ? a_ : "(null)", b_ ? b_ : "(null)");              \
    } while (0)

#define ASSERT_OK(expr)                                                        \
    do {                                                                       \
        int rc_ = (expr);                                                      \
        if (rc_ != 0)                                                          \
            TEST_FAIL_AT(__FILE__, __LINE__, "%s returned %d", #expr, rc_);    \
    } while (0)

#define TEST_SKIP(...)                                                         \
    do {                                                                       \
        fprintf(stderr, "SKIP: ");                                             \
        fprintf(stderr, __VA_ARGS__);                                          \
        fprintf(stderr, "\n");                                                 \
        test_skipped_ = 1;                                                     \
        return;                                                                \
    } while (0)

/* Root of the source tree and of ../shared (set by CMake). */
#ifndef SPATIA_SOURCE_DIR
#define SPATIA_SOURCE_DIR "."
#endif

/* Path of a file under ../shared/datasets, or NULL if it does not exist. */
static inline const char *test_dataset(const char *rel, char *buf, size_t len)
{
    const char *root = getenv("SPATIA_DATASETS");
    if (root)
        snprintf(buf, len, "%s/%s", root, rel);
    else
        snprintf(buf, len, "%s/../shared/datasets/%s", SPATIA_SOURCE_DIR, rel);
    return access(buf, R_OK) == 0 ? buf : NULL;
}

/* Path of a file in the git-ignored cache (vtest.avi, models). */
static inline const char *test_cache(const char *rel, char *buf, size_t len)
{
    snprintf(buf, len, "%s/.cache/%s", SPATIA_SOURCE_DIR, rel);
    return access(buf, R_OK) == 0 ? buf : NULL;
}

#define TEST_MAIN(...)                                                         \
    int test_failed_, test_skipped_;                                           \
    int main(int argc, char **argv)                                            \
    {                                                                          \
        static const test_case cases[] = {__VA_ARGS__};                        \
        int n = (int)(sizeof cases / sizeof cases[0]);                         \
        int failed = 0, skipped = 0, ran = 0;                                  \
        for (int i = 0; i < n; i++) {                                          \
            if (argc > 1 && strcmp(argv[1], cases[i].name) != 0)               \
                continue;                                                      \
            test_failed_ = test_skipped_ = 0;                                  \
            cases[i].fn();                                                     \
            ran++;                                                             \
            if (test_failed_) {                                                \
                failed++;                                                      \
                fprintf(stderr, "FAIL %s\n", cases[i].name);                   \
            } else if (test_skipped_) {                                        \
                skipped++;                                                     \
                fprintf(stderr, "skip %s\n", cases[i].name);                   \
            } else {                                                           \
                fprintf(stderr, "ok   %s\n", cases[i].name);                   \
            }                                                                  \
        }                                                                      \
        fprintf(stderr, "%d passed, %d failed, %d skipped\n",                  \
                ran - failed - skipped, failed, skipped);                      \
        if (failed)                                                            \
            return 1;                                                          \
        if (ran > 0 && skipped == ran)                                         \
            return 77;                                                         \
        return ran > 0 ? 0 : 1;                                                \
    }

#define T(fn)                                                                  \
    {                                                                          \
#fn, fn                                                                \
    }

#endif
