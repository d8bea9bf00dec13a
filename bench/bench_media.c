/*
 * bench_media.c - file ingest throughput: demux + decode + one swscale to
 * RGB24, as frames per second, for .cache/vtest.avi (768x576 msmpeg4) at
 * the native size and at width 384. Run: build/bench_media [path]
 */
#include <stdio.h>
#include <time.h>

#include "spatia/error.h"
#include "spatia/media.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int run(const char *path, int width)
{
    spatia_media_opts o;
    spatia_media_opts_default(&o);
    o.width = width;
    spatia_media *m = NULL;
    char err[256];
    double t0 = now_s();
    int rc = spatia_media_open(path, &o, &m, err, sizeof err);
    if (rc != SPATIA_OK) {
        fprintf(stderr, "bench_media: %s\n", err);
        return 1;
    }
    spatia_frame f;
    long n = 0;
    while ((rc = spatia_media_read(m, &f)) == SPATIA_OK)
        n++;
    double dt = now_s() - t0;
    int w, h;
    spatia_media_size(m, &w, &h);
    printf("media %dx%d: %ld frames in %.3f s = %.0f fps (end: %s)\n", w, h, n,
           dt, n / dt, spatia_err_name(rc));
    spatia_media_destroy(m);
    return rc == SPATIA_EOF ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *path =
        argc > 1 ? argv[1] : SPATIA_SOURCE_DIR "/.cache/vtest.avi";
    int bad = run(path, 0);
    bad |= run(path, 384);
    return bad;
}
