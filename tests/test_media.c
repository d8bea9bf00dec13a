/*
 * test_media.c - video ingest: files, damaged files, live pacing/dropping,
 * reconnects on a looping live file, HTTP and RTSP through real local
 * servers (python3 http.server; rtsp-server-perl fed by ffmpeg).
 *
 * Needs .cache/vtest.avi (scripts/setup.sh); the server tests skip with a
 * message when ffmpeg / rtsp-server-perl / python3 are missing.
 */
#include "spatia/error.h"
#include "spatia/media.h"
#include "test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#define VTEST_FRAMES 795

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static uint64_t frame_hash(const spatia_frame *f)
{
    uint64_t h = 1469598103934665603ull;
    for (int y = 0; y < f->height; y++) {
        const uint8_t *row = f->data + (size_t)y * f->stride;
        for (int x = 0; x < f->width * 3; x++) {
            h ^= row[x];
            h *= 1099511628211ull;
        }
    }
    return h;
}

static double frame_mean(const spatia_frame *f)
{
    double s = 0;
    for (int y = 0; y < f->height; y++) {
        const uint8_t *row = f->data + (size_t)y * f->stride;
        for (int x = 0; x < f->width * 3; x++)
            s += row[x];
    }
    return s / ((double)f->width * f->height * 3);
}

static char tmp_root[64];

static void rm_tmp_root(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_root);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", tmp_root);
}

/* Path `name` in this process's temporary directory, which is created on
 * first use and removed at exit (also when an assertion failed). */
static const char *tmp_path(const char *name, char *buf, size_t len)
{
    if (!tmp_root[0]) {
        snprintf(tmp_root, sizeof tmp_root, "/tmp/spatia_test_media.XXXXXX");
        if (!mkdtemp(tmp_root)) {
            tmp_root[0] = '\0';
            return NULL;
        }
        atexit(rm_tmp_root);
    }
    snprintf(buf, len, "%s/%s", tmp_root, name);
    return buf;
}

/* Reads the whole file into a malloc'd buffer. */
static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = n > 0 ? malloc((size_t)n) : NULL;
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *len = p ? (size_t)n : 0;
    return p;
}

static int spill(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(p, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

/* Writes the first `frac` of vtest.avi to `out`. */
static int write_prefix(const char *vtest, const char *out, double frac)
{
    size_t n;
    uint8_t *p = slurp(vtest, &n);
    if (!p)
        return -1;
    int rc = spill(out, p, (size_t)((double)n * frac));
    free(p);
    return rc;
}

/* Is `name` an executable in PATH? */
static int have_exe(const char *name)
{
    const char *path = getenv("PATH");
    char buf[1024];
    if (!path)
        return 0;
    while (*path) {
        const char *e = strchr(path, ':');
        size_t n = e ? (size_t)(e - path) : strlen(path);
        snprintf(buf, sizeof buf, "%.*s/%s", (int)n, path, name);
        if (n > 0 && access(buf, X_OK) == 0)
            return 1;
        path += n + (e ? 1 : 0);
    }
    return 0;
}

/* --- child processes (servers), always killed by the test or at exit --- */

static pid_t spawn(char *const argv[], const char *log)
{
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int in = open("/dev/null", O_RDONLY);
        int out =
            open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (in >= 0)
            dup2(in, 0);
        if (out >= 0) {
            dup2(out, 1);
            dup2(out, 2);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    if (pid > 0)
        setpgid(pid, pid);
    return pid;
}

static void stop_child(pid_t *pid)
{
    if (*pid <= 0)
        return;
    kill(-*pid, SIGTERM);
    kill(*pid, SIGTERM);
    int st;
    for (int i = 0; i < 40; i++) {
        if (waitpid(*pid, &st, WNOHANG) == *pid) {
            *pid = -1;
            return;
        }
        sleep_ms(50);
    }
    kill(-*pid, SIGKILL);
    kill(*pid, SIGKILL);
    waitpid(*pid, &st, 0);
    *pid = -1;
}

/* A TCP port that was free a moment ago, from the kernel. */
static int free_port(int type)
{
    int fd = socket(AF_INET, type, 0);
    struct sockaddr_in a = {0};
    socklen_t al = sizeof a;
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &al) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static int wait_port(int port, int timeout_ms)
{
    int64_t end = now_ms() + timeout_ms;
    while (now_ms() < end) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {0};
        a.sin_family = AF_INET;
        a.sin_port = htons((uint16_t)port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
        if (fd >= 0)
            close(fd);
        if (ok)
            return 0;
        sleep_ms(100);
    }
    return -1;
}

/* Calls spatia_media_interrupt() on `m` when `deadline` (now_ms) passes,
 * so that a test stuck in a read ends instead of hanging. Always
 * watchdog_stop() before `m` is destroyed and before any ASSERT. */
typedef struct watchdog {
    spatia_media *m;
    int64_t deadline;
    atomic_int done;
    pthread_t th;
} watchdog;

static void *watchdog_run(void *arg)
{
    watchdog *w = arg;
    while (!atomic_load(&w->done)) {
        if (now_ms() > w->deadline) {
            fprintf(stderr, "watchdog: interrupting a stuck read\n");
            spatia_media_interrupt(w->m);
            break;
        }
        sleep_ms(50);
    }
    return NULL;
}

static void watchdog_start(watchdog *w, spatia_media *m, int ms)
{
    w->m = m;
    w->deadline = now_ms() + ms;
    atomic_init(&w->done, 0);
    pthread_create(&w->th, NULL, watchdog_run, w);
}

static void watchdog_stop(watchdog *w)
{
    atomic_store(&w->done, 1);
    pthread_join(w->th, NULL);
}

/* --- files --- */

TEST(file_decodes_all_frames)
{
    char path[512];
    if (!test_cache("vtest.avi", path, sizeof path))
        TEST_SKIP("vtest.avi absent: run scripts/setup.sh");
    spatia_media *m = NULL;
    char err[256];
    ASSERT_OK(spatia_media_open(path, NULL, &m, err, sizeof err));
    int w, h;
    spatia_media_size(m, &w, &h);
    ASSERT_EQ(w, 768);
    ASSERT_EQ(h, 576);
    ASSERT_NEAR(spatia_media_fps(m), 10.0, 1e-6);

    spatia_frame f;
    int64_t n = 0, last_pts = -1;
    uint64_t h0 = 0, h400 = 0;
    double mean0 = 0;
    int rc, bad = 0;
    while ((rc = spatia_media_read(m, &f)) == SPATIA_OK) {
        if (f.width != 768 || f.height != 576 || f.index != n ||
            f.stride < 768 * 3 || f.fmt != SPATIA_PIXFMT_RGB24 ||
            (n > 0 && f.pts_ms != last_pts + 100) || (n == 0 && f.pts_ms)) {
            if (bad++ == 0)
                fprintf(stderr, "frame %lld: %dx%d index %lld pts %lld\n",
                        (long long)n, f.width, f.height, (long long)f.index,
                        (long long)f.pts_ms);
        }
        if (n == 0) {
            h0 = frame_hash(&f);
            mean0 = frame_mean(&f);
            ASSERT(f.wall_ms > 1600000000000ll); /* Unix ms, after 2020 */
        }
        if (n == 400)
            h400 = frame_hash(&f);
        last_pts = f.pts_ms;
        n++;
    }
    ASSERT_EQ(rc, SPATIA_EOF);
    ASSERT_EQ(spatia_media_read(m, &f), SPATIA_EOF); /* stays at the end */
    ASSERT_EQ(bad, 0);
    ASSERT_EQ(n, VTEST_FRAMES);
    ASSERT_EQ(last_pts, (VTEST_FRAMES - 1) * 100);
    ASSERT(mean0 > 20.0 && mean0 < 235.0); /* a real image, not blank */
    ASSERT(h0 != h400);                    /* the people move */
    spatia_media_stats st;
    spatia_media_stats_get(m, &st);
    ASSERT_EQ(st.frames_decoded, VTEST_FRAMES);
    ASSERT_EQ(st.frames_dropped, 0);
    ASSERT_EQ(st.decode_errors, 0);
    ASSERT_EQ(st.reconnects, 0);
    spatia_media_destroy(m);
}

TEST(file_scaled_sizes)
{
    char path[512];
    if (!test_cache("vtest.avi", path, sizeof path))
        TEST_SKIP("vtest.avi absent: run scripts/setup.sh");
    spatia_media_opts o;
    spatia_media *full = NULL, *m = NULL;
    spatia_frame ff, f;
    spatia_media_opts_default(&o);
    ASSERT_OK(spatia_media_open(path, &o, &full, NULL, 0));
    ASSERT_OK(spatia_media_read(full, &ff));
    double full_mean = frame_mean(&ff);
    spatia_media_destroy(full);

    /* width only: aspect ratio kept */
    o.width = 384;
    ASSERT_OK(spatia_media_open(path, &o, &m, NULL, 0));
    int w, h;
    spatia_media_size(m, &w, &h);
    ASSERT_EQ(w, 384);
    ASSERT_EQ(h, 288);
    int n = 0, rc;
    while ((rc = spatia_media_read(m, &f)) == SPATIA_OK) {
        if (n == 0) {
            ASSERT_NEAR(frame_mean(&f), full_mean, 2.0);
            ASSERT(f.stride >= 384 * 3);
        }
        if (f.width != 384 || f.height != 288)
            break;
        n++;
    }
    ASSERT_EQ(rc, SPATIA_EOF);
    ASSERT_EQ(n, VTEST_FRAMES);
    spatia_media_destroy(m);

    /* odd aspect result rounds the height to even: 500 * 576/768 = 375 */
    o.width = 500;
    ASSERT_OK(spatia_media_open(path, &o, &m, NULL, 0));
    ASSERT_OK(spatia_media_read(m, &f));
    ASSERT_EQ(f.width, 500);
    ASSERT_EQ(f.height % 2, 0);
    ASSERT(f.height == 374 || f.height == 376);
    spatia_media_destroy(m);

    /* both given: exactly that size */
    o.width = 320;
    o.height = 240;
    ASSERT_OK(spatia_media_open(path, &o, &m, NULL, 0));
    ASSERT_OK(spatia_media_read(m, &f));
    ASSERT_EQ(f.width, 320);
    ASSERT_EQ(f.height, 240);
    ASSERT_NEAR(frame_mean(&f), full_mean, 2.0);
    spatia_media_destroy(m);
}

/* A 1 s mono 8 kHz 16-bit WAV: a valid media file without video. */
static int write_wav(const char *path)
{
    enum { RATE = 8000, N = 8000 };
    uint8_t hdr[44];
    int16_t *s = malloc(N * sizeof *s);
    if (!s)
        return -1;
    for (int i = 0; i < N; i++)
        s[i] = (int16_t)(8000.0 * sin(2 * 3.14159265 * 440.0 * i / RATE));
    uint32_t data = N * 2;
#define LE32(p, v)                                                             \
    do {                                                                       \
        (p)[0] = (uint8_t)(v);                                                 \
        (p)[1] = (uint8_t)((v) >> 8);                                          \
        (p)[2] = (uint8_t)((v) >> 16);                                         \
        (p)[3] = (uint8_t)((v) >> 24);                                         \
    } while (0)
    memcpy(hdr, "RIFF", 4);
    LE32(hdr + 4, 36 + data);
    memcpy(hdr + 8, "WAVEfmt ", 8);
    LE32(hdr + 16, 16u);
    hdr[20] = 1, hdr[21] = 0; /* PCM */
    hdr[22] = 1, hdr[23] = 0; /* mono */
    LE32(hdr + 24, (uint32_t)RATE);
    LE32(hdr + 28, (uint32_t)RATE * 2);
    hdr[32] = 2, hdr[33] = 0;  /* block align */
    hdr[34] = 16, hdr[35] = 0; /* bits */
    memcpy(hdr + 36, "data", 4);
    LE32(hdr + 40, data);
#undef LE32
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(hdr, 1, sizeof hdr, f) == sizeof hdr &&
             fwrite(s, 2, N, f) == N;
    if (f && fclose(f) != 0)
        ok = 0;
    free(s);
    return ok ? 0 : -1;
}

TEST(open_errors)
{
    char dir[256], p[512], err[256];
    spatia_media *m = (spatia_media *)&m; /* must be reset to NULL */
    ASSERT(tmp_path("subdir", dir, sizeof dir) != NULL);
    ASSERT_OK(mkdir(dir, 0700));

    /* missing file: NOTFOUND naming the path */
    snprintf(p, sizeof p, "%s/no_such_video.mp4", dir);
    err[0] = '\0';
    ASSERT_EQ(spatia_media_open(p, NULL, &m, err, sizeof err), SPATIA_NOTFOUND);
    ASSERT(m == NULL);
    ASSERT(strstr(err, "no_such_video.mp4") != NULL);

    /* a text file: MEDIA */
    snprintf(p, sizeof p, "%s/notes.txt", dir);
    const char *text = "zone: entrance\nthis is not a video at all\n";
    ASSERT_OK(spill(p, text, strlen(text)));
    err[0] = '\0';
    ASSERT_EQ(spatia_media_open(p, NULL, &m, err, sizeof err), SPATIA_MEDIA);
    ASSERT(m == NULL);
    ASSERT(strlen(err) > 0);
    ASSERT(strstr(err, "notes.txt") != NULL);

    /* same bytes under a neutral extension */
    snprintf(p, sizeof p, "%s/blob.dat", dir);
    ASSERT_OK(spill(p, text, strlen(text)));
    err[0] = '\0';
    ASSERT_EQ(spatia_media_open(p, NULL, &m, err, sizeof err), SPATIA_MEDIA);
    ASSERT(strlen(err) > 0);

    /* an empty file */
    snprintf(p, sizeof p, "%s/empty.avi", dir);
    ASSERT_OK(spill(p, "", 0));
    ASSERT_EQ(spatia_media_open(p, NULL, &m, err, sizeof err), SPATIA_MEDIA);

    /* audio only: MEDIA, "no video stream" */
    snprintf(p, sizeof p, "%s/tone.wav", dir);
    ASSERT_OK(write_wav(p));
    err[0] = '\0';
    ASSERT_EQ(spatia_media_open(p, NULL, &m, err, sizeof err), SPATIA_MEDIA);
    ASSERT(strstr(err, "no video") != NULL);

    /* a directory */
    ASSERT_EQ(spatia_media_open(dir, NULL, &m, err, sizeof err), SPATIA_MEDIA);

    /* bad arguments */
    spatia_media_opts o;
    spatia_media_opts_default(&o);
    o.width = -5;
    ASSERT_EQ(spatia_media_open(p, &o, &m, err, sizeof err), SPATIA_EINVAL);
    ASSERT_EQ(spatia_media_open(NULL, NULL, &m, err, sizeof err),
              SPATIA_EINVAL);
    ASSERT_EQ(spatia_media_open("", NULL, &m, NULL, 0), SPATIA_EINVAL);
    ASSERT_EQ(spatia_media_open(p, NULL, NULL, NULL, 0), SPATIA_EINVAL);

    /* a refused network source */
    int port = free_port(SOCK_STREAM);
    char url[128];
    snprintf(url, sizeof url, "rtsp://127.0.0.1:%d/none", port);
    o.width = 0;
    o.timeout_ms = 2000;
    err[0] = '\0';
    int rc = spatia_media_open(url, &o, &m, err, sizeof err);
    ASSERT_EQ(rc, SPATIA_NETWORK);
    ASSERT(strlen(err) > 0);

    /* NULL handles are accepted where documented */
    spatia_media_destroy(NULL);
    spatia_media_interrupt(NULL);
    spatia_media_stats st;
    spatia_media_stats_get(NULL, &st);
    ASSERT_EQ(st.frames_decoded, 0);
    spatia_frame f;
    ASSERT_EQ(spatia_media_read(NULL, &f), SPATIA_EINVAL);
}

static int read_to_end(const char *path, int64_t *frames, int *rc_end,
                       spatia_media_stats *st)
{
    spatia_media *m = NULL;
    char err[256];
    int rc = spatia_media_open(path, NULL, &m, err, sizeof err);
    if (rc != SPATIA_OK) {
        fprintf(stderr, "open %s: %s\n", path, err);
        return rc;
    }
    spatia_frame f;
    int64_t n = 0, last_pts = -1;
    while ((rc = spatia_media_read(m, &f)) == SPATIA_OK) {
        if (f.index != n || f.pts_ms < last_pts || f.width != 768 ||
            f.height != 576) {
            fprintf(stderr, "bad frame %lld\n", (long long)n);
            break;
        }
        last_pts = f.pts_ms;
        n++;
    }
    *frames = n;
    *rc_end = rc;
    spatia_media_stats_get(m, st);
    spatia_media_destroy(m);
    return SPATIA_OK;
}

TEST(file_truncated_and_corrupted)
{
    char path[512], p[512];
    if (!test_cache("vtest.avi", path, sizeof path))
        TEST_SKIP("vtest.avi absent: run scripts/setup.sh");
    spatia_media_stats st;
    int64_t n;
    int rc_end;

    /* truncated: the first 40% of the bytes */
    ASSERT(tmp_path("truncated.avi", p, sizeof p) != NULL);
    ASSERT_OK(write_prefix(path, p, 0.40));
    ASSERT_OK(read_to_end(p, &n, &rc_end, &st));
    fprintf(stderr, "truncated: %lld frames, %lld decode errors\n",
            (long long)n, (long long)st.decode_errors);
    ASSERT_EQ(rc_end, SPATIA_EOF);
    ASSERT(n > 100);
    ASSERT(n < VTEST_FRAMES);

    /* corrupted: 300 runs of 24 random bytes in the middle 40% */
    size_t len;
    uint8_t *buf = slurp(path, &len);
    ASSERT(buf != NULL);
    uint32_t seed = 12345;
    for (int i = 0; i < 300; i++) {
        seed = seed * 1664525u + 1013904223u;
        size_t at = len * 3 / 10 + (size_t)(seed >> 8) % (len * 4 / 10);
        for (int k = 0; k < 24 && at + (size_t)k < len; k++) {
            seed = seed * 1664525u + 1013904223u;
            buf[at + (size_t)k] = (uint8_t)(seed >> 24);
        }
    }
    tmp_path("corrupted.avi", p, sizeof p);
    int wrc = spill(p, buf, len);
    free(buf);
    ASSERT_OK(wrc);
    ASSERT_OK(read_to_end(p, &n, &rc_end, &st));
    fprintf(stderr, "corrupted: %lld frames, %lld decode errors\n",
            (long long)n, (long long)st.decode_errors);
    ASSERT_EQ(rc_end, SPATIA_EOF);
    ASSERT(n > 100);
    ASSERT(st.decode_errors > 0);

    /* header only: opens or fails cleanly, never crashes */
    tmp_path("stub.avi", p, sizeof p);
    ASSERT_OK(write_prefix(path, p, 0.0005));
    spatia_media *m = NULL;
    char err[256];
    int rc = spatia_media_open(p, NULL, &m, err, sizeof err);
    if (rc == SPATIA_OK) {
        spatia_frame f;
        while ((rc = spatia_media_read(m, &f)) == SPATIA_OK) {
        }
        ASSERT_EQ(rc, SPATIA_EOF);
        spatia_media_destroy(m);
    } else {
        ASSERT_EQ(rc, SPATIA_MEDIA);
        ASSERT(strlen(err) > 0);
    }
}

/* --- live mode on files --- */

TEST(live_file_paces_and_drops)
{
    char path[512];
    if (!test_cache("vtest.avi", path, sizeof path))
        TEST_SKIP("vtest.avi absent: run scripts/setup.sh");
    spatia_media_opts o;
    spatia_media_opts_default(&o);
    o.live = 1;
    o.width = 384;
    spatia_media *m = NULL;
    spatia_frame f;
    ASSERT_OK(spatia_media_open(path, &o, &m, NULL, 0));

    /* a slow caller (250 ms per frame at 10 fps) loses frames */
    int64_t last_index = -1, last_pts = -1, t0 = now_ms();
    int jumps = 0, reads = 0;
    while (now_ms() - t0 < 2200) {
        ASSERT_OK(spatia_media_read(m, &f));
        ASSERT_EQ(f.width, 384);
        ASSERT(f.index > last_index);
        ASSERT(f.pts_ms >= last_pts);
        if (last_index >= 0 && f.index > last_index + 1)
            jumps++;
        last_index = f.index;
        last_pts = f.pts_ms;
        reads++;
        sleep_ms(250);
    }
    spatia_media_stats st;
    spatia_media_stats_get(m, &st);
    fprintf(stderr, "slow reader: %d reads, last index %lld, %lld dropped\n",
            reads, (long long)last_index, (long long)st.frames_dropped);
    ASSERT(st.frames_dropped > 0);
    ASSERT(jumps > 0);
    ASSERT(st.frames_decoded > reads);
    spatia_media_destroy(m);

    /* a fast caller gets frames at about the stream's rate, not faster */
    ASSERT_OK(spatia_media_open(path, &o, &m, NULL, 0));
    ASSERT_OK(spatia_media_read(m, &f));
    int64_t first_pts = f.pts_ms;
    t0 = now_ms();
    for (int i = 0; i < 10; i++)
        ASSERT_OK(spatia_media_read(m, &f));
    int64_t dt = now_ms() - t0;
    fprintf(stderr, "fast reader: 10 frames in %lld ms, pts span %lld ms\n",
            (long long)dt, (long long)(f.pts_ms - first_pts));
    /* 10 frames at 10 fps take ~1 s; a file read flat out takes ~50 ms */
    ASSERT(dt >= 500);
    ASSERT(f.pts_ms - first_pts >= 1000);
    spatia_media_destroy(m);
}

TEST(live_file_loops_with_reconnect)
{
    char path[512], p[512];
    if (!test_cache("vtest.avi", path, sizeof path))
        TEST_SKIP("vtest.avi absent: run scripts/setup.sh");
    ASSERT(tmp_path("short.avi", p, sizeof p) != NULL);
    ASSERT_OK(write_prefix(path, p, 0.05)); /* about 2 s of video */

    spatia_media_opts o;
    spatia_media_opts_default(&o);
    o.live = 1;
    o.width = 192;
    o.backoff_min_ms = 100;
    o.backoff_max_ms = 400;
    spatia_media *m = NULL;
    ASSERT_OK(spatia_media_open(p, &o, &m, NULL, 0));
    watchdog wd;
    watchdog_start(&wd, m, 20000);

    spatia_frame f;
    spatia_media_stats st = {0};
    int64_t last_index = -1, last_pts = -1, pts_at_reconnect = -1;
    int after = 0, rc = SPATIA_OK, order_ok = 1;
    while (after < 5 && (rc = spatia_media_read(m, &f)) == SPATIA_OK) {
        if (f.index <= last_index || f.pts_ms < last_pts)
            order_ok = 0;
        spatia_media_stats_get(m, &st);
        if (st.reconnects > 0) {
            if (pts_at_reconnect < 0)
                pts_at_reconnect = last_pts;
            after++;
        }
        last_index = f.index;
        last_pts = f.pts_ms;
    }
    watchdog_stop(&wd);
    spatia_media_destroy(m);
    ASSERT_EQ(rc, SPATIA_OK);
    ASSERT(order_ok);
    ASSERT(st.reconnects >= 1);
    ASSERT(last_pts > pts_at_reconnect);

    /* the file disappears: after max_reconnects failures read gives EOF */
    ASSERT_OK(write_prefix(path, p, 0.02)); /* 4 frames */
    o.max_reconnects = 2;
    o.backoff_min_ms = 50;
    o.backoff_max_ms = 100;
    ASSERT_OK(spatia_media_open(p, &o, &m, NULL, 0));
    int urc = unlink(p);
    watchdog_start(&wd, m, 20000);
    int frames = 0;
    while ((rc = spatia_media_read(m, &f)) == SPATIA_OK)
        frames++;
    int rc2 = spatia_media_read(m, &f);
    watchdog_stop(&wd);
    spatia_media_stats_get(m, &st);
    spatia_media_destroy(m);
    ASSERT_OK(urc);
    ASSERT_EQ(rc, SPATIA_EOF);
    ASSERT_EQ(rc2, SPATIA_EOF);
    ASSERT(frames > 0);
    ASSERT_EQ(st.reconnects, 0);
}

typedef struct interrupter {
    spatia_media *m;
    int delay_ms;
} interrupter;

static void *interrupt_later(void *arg)
{
    interrupter *it = arg;
    sleep_ms(it->delay_ms);
    spatia_media_interrupt(it->m);
    return NULL;
}

TEST(interrupt_stops_reads)
{
    char path[512];
    if (!test_cache("vtest.avi", path, sizeof path))
        TEST_SKIP("vtest.avi absent: run scripts/setup.sh");
    spatia_media *m = NULL;
    spatia_frame f;
    ASSERT_OK(spatia_media_open(path, NULL, &m, NULL, 0));
    ASSERT_OK(spatia_media_read(m, &f));
    spatia_media_interrupt(m);
    ASSERT_EQ(spatia_media_read(m, &f), SPATIA_INTERRUPTED);
    ASSERT_EQ(spatia_media_read(m, &f), SPATIA_INTERRUPTED);
    spatia_media_destroy(m);

    /* live: a reader waiting for the next frame is woken by another thread */
    spatia_media_opts o;
    spatia_media_opts_default(&o);
    o.live = 1;
    ASSERT_OK(spatia_media_open(path, &o, &m, NULL, 0));
    interrupter it = {m, 300};
    pthread_t th;
    pthread_create(&th, NULL, interrupt_later, &it);
    int rc, n = 0;
    int64_t t0 = now_ms();
    while ((rc = spatia_media_read(m, &f)) == SPATIA_OK && n < 1000)
        n++;
    pthread_join(th, NULL);
    ASSERT_EQ(rc, SPATIA_INTERRUPTED);
    ASSERT(now_ms() - t0 < 5000);
    spatia_media_destroy(m);
}

/* --- network sources through real local servers --- */

TEST(http_source)
{
    char path[512], dir[600];
    if (!test_cache("vtest.avi", path, sizeof path))
        TEST_SKIP("vtest.avi absent: run scripts/setup.sh");
    if (!have_exe("python3"))
        TEST_SKIP("python3 not installed: no local HTTP server");
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    int port = free_port(SOCK_STREAM);
    char ports[16];
    snprintf(ports, sizeof ports, "%d", port);
    char *argv[] = {"python3",   "-m",          "http.server", ports, "--bind",
                    "127.0.0.1", "--directory", dir,           NULL};
    pid_t srv = spawn(argv, NULL);
    ASSERT(srv > 0);
    if (wait_port(port, 10000) != 0) {
        stop_child(&srv);
        ASSERT_MSG(0, "HTTP server did not start on port %d", port);
    }
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/vtest.avi", port);
    spatia_media *m = NULL;
    char err[256];
    spatia_media_opts o;
    spatia_media_opts_default(&o);
    o.width = 384;
    int rc = spatia_media_open(url, &o, &m, err, sizeof err);
    int64_t n = 0, last_pts = -1;
    int order_ok = 1;
    spatia_frame f;
    if (rc == SPATIA_OK) {
        while ((rc = spatia_media_read(m, &f)) == SPATIA_OK) {
            if (f.index != n || f.pts_ms <= last_pts || f.width != 384)
                order_ok = 0;
            last_pts = f.pts_ms;
            n++;
        }
        spatia_media_destroy(m);
    } else {
        fprintf(stderr, "open %s: %s\n", url, err);
    }
    stop_child(&srv);
    ASSERT_EQ(rc, SPATIA_EOF);
    ASSERT(order_ok);
    ASSERT_EQ(n, VTEST_FRAMES);
}

/* rtsp-server-perl + an ffmpeg publisher; restartable. */
typedef struct rtsp_rig {
    const char *vtest;
    char log[512];
    int client_port, source_port, rtp_port;
    pid_t server, publisher;
} rtsp_rig;

static int rig_start(rtsp_rig *r)
{
    char cport[16], sport[16], rport[16], url[128];
    snprintf(cport, sizeof cport, "%d", r->client_port);
    snprintf(sport, sizeof sport, "%d", r->source_port);
    snprintf(rport, sizeof rport, "%d", r->rtp_port);
    /* rtsp-server-perl's own main, but with its RTP port base moved off the
     * fixed 20000 it falls back to, so that two runs do not clash */
    char *sargv[] = {"perl",
                     "-MRTSP::Server",
                     "-MAnyEvent",
                     "-e",
                     "$RTSP::Server::RTP_START_PORT = shift @ARGV;"
                     "my $s = RTSP::Server->new_with_options; $s->listen;"
                     "AnyEvent->condvar->recv;",
                     rport,
                     "--clientport",
                     cport,
                     "--serverport",
                     sport,
                     "--rtp_start_port",
                     rport,
                     "--client_listen_address",
                     "127.0.0.1",
                     "--source_listen_address",
                     "127.0.0.1",
                     "--loglevel",
                     "2",
                     NULL};
    r->server = spawn(sargv, r->log);
    if (r->server <= 0 || wait_port(r->client_port, 8000) != 0 ||
        wait_port(r->source_port, 4000) != 0)
        return -1;
    snprintf(url, sizeof url, "rtsp://127.0.0.1:%d/live", r->source_port);
    /* the server takes RTP over UDP only; small frames keep the CPU low */
    char *pargv[] = {"ffmpeg",
                     "-nostdin",
                     "-hide_banner",
                     "-loglevel",
                     "error",
                     "-re",
                     "-stream_loop",
                     "-1",
                     "-i",
                     (char *)r->vtest,
                     "-an",
                     "-vf",
                     "scale=384:288",
                     "-c:v",
                     "mpeg4",
                     "-q:v",
                     "6",
                     "-g",
                     "10",
                     "-f",
                     "rtsp",
                     "-rtsp_transport",
                     "udp",
                     url,
                     NULL};
    r->publisher = spawn(pargv, r->log);
    return r->publisher > 0 ? 0 : -1;
}

static void rig_stop(rtsp_rig *r)
{
    stop_child(&r->publisher);
    stop_child(&r->server);
}

static void rtsp_reconnect_body(rtsp_rig *r, spatia_media **mp)
{
    if (rig_start(r) != 0)
        ASSERT_MSG(0, "RTSP server/publisher did not start (log: %s)", r->log);
    char url[128], err[256];
    snprintf(url, sizeof url, "rtsp://127.0.0.1:%d/live", r->client_port);
    spatia_media_opts o;
    spatia_media_opts_default(&o);
    o.live = 1;
    o.rtsp_udp = 1;
    o.timeout_ms = 3000;
    o.backoff_min_ms = 250;
    o.backoff_max_ms = 1000;
    int rc = SPATIA_NOTFOUND;
    int64_t t_end = now_ms() + 10000;
    /* the publisher needs a moment to ANNOUNCE the stream */
    while (now_ms() < t_end) {
        rc = spatia_media_open(url, &o, mp, err, sizeof err);
        if (rc == SPATIA_OK)
            break;
        sleep_ms(300);
    }
    ASSERT_MSG(rc == SPATIA_OK, "open %s: %s (%s)", url, err,
               spatia_strerror(rc));
    spatia_media *m = *mp;
    /* the whole test stays well under 60 s even when it goes wrong */
    watchdog wd;
    watchdog_start(&wd, m, 25000);

    spatia_frame f;
    int64_t last_index = -1, last_pts = -1;
    int before = 0, after = 0, order_ok = 1;
    int64_t t0 = now_ms();
    while (now_ms() - t0 < 2000 && (rc = spatia_media_read(m, &f)) == 0) {
        if (f.index <= last_index || f.pts_ms < last_pts || f.width != 384)
            order_ok = 0;
        last_index = f.index;
        last_pts = f.pts_ms;
        before++;
    }
    /* the server goes away for ~2 s, then comes back */
    rig_stop(r);
    sleep_ms(2000);
    int restarted = rig_start(r) == 0;
    spatia_media_stats st = {0};
    while (restarted && after < 10 &&
           (rc = spatia_media_read(m, &f)) == SPATIA_OK) {
        if (f.index <= last_index || f.pts_ms < last_pts || f.width != 384)
            order_ok = 0;
        last_index = f.index;
        last_pts = f.pts_ms;
        spatia_media_stats_get(m, &st);
        if (st.reconnects > 0)
            after++;
        else
            before++;
    }
    watchdog_stop(&wd);
    spatia_media_stats_get(m, &st);
    fprintf(stderr,
            "rtsp: %d frames before, %d after the restart; %lld reconnects, "
            "%lld dropped, %lld decode errors, last index %lld pts %lld\n",
            before, after, (long long)st.reconnects,
            (long long)st.frames_dropped, (long long)st.decode_errors,
            (long long)last_index, (long long)last_pts);
    ASSERT_MSG(restarted, "RTSP server did not restart (log: %s)", r->log);
    ASSERT_EQ(rc, SPATIA_OK);
    ASSERT(before >= 5);
    ASSERT(after >= 10);
    ASSERT(st.reconnects >= 1);
    ASSERT(order_ok);
}

TEST(rtsp_reconnects_after_server_restart)
{
    char path[512];
    if (!test_cache("vtest.avi", path, sizeof path))
        TEST_SKIP("vtest.avi absent: run scripts/setup.sh");
    if (!have_exe("ffmpeg"))
        TEST_SKIP("ffmpeg not installed: no RTSP publisher");
    if (!have_exe("rtsp-server-perl") || !have_exe("perl"))
        TEST_SKIP("rtsp-server-perl not installed: no RTSP server");
    rtsp_rig r = {.vtest = path};
    r.client_port = free_port(SOCK_STREAM);
    r.source_port = free_port(SOCK_STREAM);
    while (r.source_port == r.client_port)
        r.source_port = free_port(SOCK_STREAM);
    r.rtp_port = free_port(SOCK_DGRAM) & ~1;
    snprintf(r.log, sizeof r.log, "/tmp/spatia_test_rtsp.%d.log",
             (int)getpid());
    spatia_media *m = NULL;
    int64_t t0 = now_ms();
    int failed_before = test_failed_;
    rtsp_reconnect_body(&r, &m);
    spatia_media_destroy(m);
    rig_stop(&r);
    fprintf(stderr, "rtsp test took %lld ms\n", (long long)(now_ms() - t0));
    if (test_failed_ == failed_before)
        unlink(r.log);
    else
        fprintf(stderr, "server/publisher log kept: %s\n", r.log);
}

/* ffmpeg itself as a live HTTP (TCP) server: `-listen 1` serves one client
 * an endless MPEG-TS; killing and restarting it must look like a camera
 * that went away and came back. */
static pid_t http_live_start(const char *vtest, int port)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/live.ts", port);
    char *argv[] = {"ffmpeg",
                    "-nostdin",
                    "-hide_banner",
                    "-loglevel",
                    "error",
                    "-re",
                    "-stream_loop",
                    "-1",
                    "-i",
                    (char *)vtest,
                    "-an",
                    "-vf",
                    "scale=384:288",
                    "-c:v",
                    "mpeg4",
                    "-q:v",
                    "6",
                    "-g",
                    "10",
                    "-f",
                    "mpegts",
                    "-listen",
                    "1",
                    url,
                    NULL};
    return spawn(argv, NULL);
}

TEST(http_live_reconnects_after_server_restart)
{
    char path[512], url[128], err[256] = "";
    if (!test_cache("vtest.avi", path, sizeof path))
        TEST_SKIP("vtest.avi absent: run scripts/setup.sh");
    if (!have_exe("ffmpeg"))
        TEST_SKIP("ffmpeg not installed: no HTTP live server");
    int port = free_port(SOCK_STREAM);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/live.ts", port);
    pid_t srv = http_live_start(path, port);
    ASSERT(srv > 0);
    spatia_media_opts o;
    spatia_media_opts_default(&o);
    o.live = 1;
    o.timeout_ms = 3000;
    o.backoff_min_ms = 250;
    o.backoff_max_ms = 1000;
    spatia_media *m = NULL;
    int rc = SPATIA_NETWORK;
    /* no port probe: the one-client server would serve the probe */
    for (int64_t end = now_ms() + 10000; now_ms() < end; sleep_ms(300))
        if ((rc = spatia_media_open(url, &o, &m, err, sizeof err)) == 0)
            break;
    if (rc) {
        stop_child(&srv);
        ASSERT_MSG(0, "open %s: %s", url, err);
    }
    watchdog wd;
    watchdog_start(&wd, m, 25000);
    spatia_frame f;
    spatia_media_stats st = {0};
    int64_t last_index = -1, last_pts = -1;
    int before = 0, after = 0, order_ok = 1;
    for (int64_t t0 = now_ms();
         now_ms() - t0 < 1500 && (rc = spatia_media_read(m, &f)) == 0;) {
        order_ok &= f.index > last_index && f.pts_ms >= last_pts;
        last_index = f.index;
        last_pts = f.pts_ms;
        before++;
    }
    stop_child(&srv);
    sleep_ms(1500);
    srv = http_live_start(path, port);
    while (srv > 0 && after < 10 &&
           (rc = spatia_media_read(m, &f)) == SPATIA_OK) {
        order_ok &= f.index > last_index && f.pts_ms >= last_pts;
        last_index = f.index;
        last_pts = f.pts_ms;
        spatia_media_stats_get(m, &st);
        if (st.reconnects > 0)
            after++;
    }
    watchdog_stop(&wd);
    spatia_media_stats_get(m, &st);
    spatia_media_destroy(m);
    stop_child(&srv);
    fprintf(stderr, "http live: %d frames before, %d after; %lld reconnects\n",
            before, after, (long long)st.reconnects);
    ASSERT_EQ(rc, SPATIA_OK);
    ASSERT(before >= 5);
    ASSERT(after >= 10);
    ASSERT(st.reconnects >= 1);
    ASSERT(order_ok);
}

TEST_MAIN(T(file_decodes_all_frames), T(file_scaled_sizes), T(open_errors),
          T(file_truncated_and_corrupted), T(live_file_paces_and_drops),
          T(live_file_loops_with_reconnect), T(interrupt_stops_reads),
          T(http_source), T(http_live_reconnects_after_server_restart),
          T(rtsp_reconnects_after_server_restart))
