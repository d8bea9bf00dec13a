/*
 * test_noalloc.c - the hot paths allocate nothing once warmed up.
 *
 * The test binary interposes malloc/calloc/realloc (forwarding to glibc's
 * __libc_* entry points) and counts calls while a flag is set. Checked:
 * spatia_nn_run on centernet, and the detector + tracker over 100 frames of
 * vtest.avi after 20 warm-up frames. Sanitizer builds replace malloc
 * themselves, so there the test skips.
 */
#include <stdatomic.h>
#include <stddef.h>

#include "spatia/detect.h"
#include "spatia/error.h"
#include "spatia/media.h"
#include "spatia/nn.h"
#include "spatia/track.h"
#include "test.h"

#if defined(__SANITIZE_ADDRESS__)
#define NOALLOC_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NOALLOC_SANITIZED 1
#endif
#endif

static atomic_int counting;
static atomic_long nalloc;

#ifndef NOALLOC_SANITIZED
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

void *malloc(size_t n)
{
    if (atomic_load(&counting))
        atomic_fetch_add(&nalloc, 1);
    return __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
    if (atomic_load(&counting))
        atomic_fetch_add(&nalloc, 1);
    return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
    if (atomic_load(&counting))
        atomic_fetch_add(&nalloc, 1);
    return __libc_realloc(p, n);
}
#endif

static int sanitized(void)
{
#ifdef NOALLOC_SANITIZED
    return 1;
#else
    return getenv("SPATIA_SANITIZED") != NULL;
#endif
}

static void count_start(void)
{
    atomic_store(&nalloc, 0);
    atomic_store(&counting, 1);
}

static long count_stop(void)
{
    atomic_store(&counting, 0);
    return atomic_load(&nalloc);
}

TEST(counter_sees_allocations)
{
    if (sanitized())
        TEST_SKIP("sanitizer build replaces malloc");
    count_start();
    void *volatile p = malloc(64);
    long n = count_stop();
    free(p);
    ASSERT_EQ(n, 1);
}

TEST(nn_run_allocates_nothing)
{
    char model[512], err[256];
    if (sanitized())
        TEST_SKIP("sanitizer build replaces malloc");
    snprintf(model, sizeof model, "%s/models/centernet.json",
             SPATIA_SOURCE_DIR);
    if (access(model, R_OK))
        TEST_SKIP("models/centernet.json absent: run scripts/setup.sh");
    spatia_nn_model *m;
    ASSERT_OK(spatia_nn_model_load(model, NULL, &m, err, sizeof err));
    spatia_nn_tensor in;
    ASSERT_OK(spatia_nn_input(m, 0, &in));
    float *x = in.data;
    for (size_t i = 0; i < in.size / sizeof(float); i++)
        x[i] = (float)(i % 251);
    ASSERT_OK(spatia_nn_run(m)); /* warm-up */
    count_start();
    int rc = spatia_nn_run(m);
    rc |= spatia_nn_run(m);
    long n = count_stop();
    spatia_nn_model_destroy(m);
    ASSERT_OK(rc);
    ASSERT_EQ(n, 0);
}

TEST(detect_and_track_allocate_nothing_per_frame)
{
    char video[512], err[256];
    if (sanitized())
        TEST_SKIP("sanitizer build replaces malloc");
    if (!test_cache("vtest.avi", video, sizeof video))
        TEST_SKIP("vtest.avi absent: run scripts/setup.sh");
    char model[512];
    if (spatia_model_path(NULL, model, sizeof model))
        TEST_SKIP("models absent: run scripts/setup.sh");
    spatia_media *media;
    spatia_media_opts mo;
    spatia_media_opts_default(&mo);
    ASSERT_OK(spatia_media_open(video, &mo, &media, err, sizeof err));
    spatia_detsrc *det;
    ASSERT_OK(
        spatia_detsrc_nn_create(model, NULL, NULL, &det, err, sizeof err));
    spatia_tracker *tr;
    spatia_tracker_params tp;
    spatia_tracker_params_default(&tp);
    tp.id_seed = 1;
    ASSERT_OK(spatia_tracker_create(&tp, &tr));
    spatia_detection dets[256];
    spatia_frame f;
    int frames = 0, allocating = 0;
    /* After 20 warm-up frames, buffers may still grow when a frame brings
     * more boxes or tracks than any before (capacities double), but a
     * per-frame allocation would show in every frame. */
    for (int i = 0; i < 120 && spatia_media_read(media, &f) == 0; i++) {
        const spatia_track *tracks;
        int nd = 0, nt = 0;
        count_start();
        int rc = spatia_detsrc_detect(det, &f, dets, 256, &nd);
        rc |= spatia_tracker_update(tr, dets, nd, f.index, f.pts_ms, &tracks,
                                    &nt);
        long n = count_stop();
        if (i >= 20) {
            frames++;
            if (n > 0) {
                fprintf(stderr,
                        "frame %d: %ld allocations (%d boxes, %d "
                        "tracks)\n",
                        i, n, nd, nt);
                allocating++;
            }
        }
        ASSERT_OK(rc);
    }
    spatia_tracker_destroy(tr);
    spatia_detsrc_destroy(det);
    spatia_media_destroy(media);
    ASSERT_EQ(frames, 100);
    ASSERT(allocating <= 2);
}

TEST_MAIN(T(counter_sees_allocations), T(nn_run_allocates_nothing),
          T(detect_and_track_allocate_nothing_per_frame))
