/*
 * test_e2e.c - the spatia CLI end to end on PETS09-S2L1 (vtest.avi).
 *
 * - Ground truth as detections: the tracker's MOTA >= 95 and IDF1 >= 90,
 *   and its line crossings equal those of the ground-truth tracks run
 *   through the same config (compared with the `spatia eval events` code).
 * - Degraded ground truth (fixed seed): 20% of the boxes dropped at random,
 *   and 5% jitter: x, y, w, h each moved by a uniform draw in +-5% of the
 *   box's width (x, w) or height (y, h). MOTA >= 70, IDF1 >= 70, and the
 *   line counts within 5% of the ground-truth ones.
 * - CLI contract: bad config exits 2 with file + JSON path in one line,
 *   unreadable input exits 1 with a clear message.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "core/rand.h"
#include "spatia/eval.h"
#include "spatia/eval_events.h"
#include "test.h"

static char tmpdir[256];
static char video[512], gt[512];

static int need_data(void)
{
    if (!test_cache("vtest.avi", video, sizeof video)) {
        fprintf(stderr, "SKIP: .cache/vtest.avi missing (run make setup)\n");
        return 0;
    }
    if (!test_dataset("mot15/PETS09-S2L1/gt/gt.txt", gt, sizeof gt)) {
        fprintf(stderr, "SKIP: ../shared/datasets/mot15 not present\n");
        return 0;
    }
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/spatia-e2e-XXXXXX");
        if (!mkdtemp(tmpdir))
            return 0;
    }
    return 1;
}

/* Runs the CLI with argv (NULL-terminated); stderr goes to `errfile` (or
 * is inherited when NULL), stdout to /dev/null. Returns the exit code. */
static int run_cli(const char *errfile, const char **args)
{
    const char *argv[64];
    int n = 0;
    argv[n++] = SPATIA_BIN;
    while (*args && n < 63)
        argv[n++] = *args++;
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        int dn = open("/dev/null", O_WRONLY);
        dup2(dn, 1);
        if (errfile) {
            int fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            dup2(fd, 2);
        }
        execv(SPATIA_BIN, (char *const *)argv);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
}

static const char *config_path(char *buf, size_t len)
{
    snprintf(buf, len, "%s/configs/pets09-demo.json", SPATIA_SOURCE_DIR);
    return buf;
}

/* Events from the ground-truth tracks: the reference. */
static int reference_events(char *out, size_t len)
{
    char cfg[512];
    path(out, len, "ref.jsonl");
    if (access(out, R_OK) == 0)
        return 0;
    const char *a[] = {"run",
                       "--input",
                       video,
                       "--config",
                       config_path(cfg, sizeof cfg),
                       "--tracks",
                       gt,
                       "--output",
                       out,
                       "--seed",
                       "1",
                       "--quiet",
                       NULL};
    return run_cli(NULL, a);
}

static int64_t line_count(const spatia_event_compare *c, const char *status,
                          int cand)
{
    const spatia_event_tally *t =
        spatia_event_compare_find(c, "walkway", "personLineEvent", status);
    return t ? (cand ? t->cand : t->ref) : 0;
}

TEST(gt_detections_track_and_count_like_gt)
{
    char ref[512], ev[512], tr[512], cfg[512], err[512];
    if (!need_data())
        TEST_SKIP("reference data absent");
    ASSERT_EQ(reference_events(ref, sizeof ref), 0);
    path(ev, sizeof ev, "gt-dets.jsonl");
    path(tr, sizeof tr, "gt-dets-tracks.txt");
    const char *a[] = {"run",
                       "--input",
                       video,
                       "--config",
                       config_path(cfg, sizeof cfg),
                       "--detections",
                       gt,
                       "--output",
                       ev,
                       "--tracks-out",
                       tr,
                       "--seed",
                       "1",
                       "--quiet",
                       NULL};
    ASSERT_EQ(run_cli(NULL, a), 0);

    spatia_mot_metrics m;
    ASSERT_OK(spatia_eval_mot_files(gt, tr, &m, err, sizeof err));
    fprintf(stderr,
            "GT as detections: MOTA %.2f IDF1 %.2f HOTA %.2f IDSW %lld\n",
            m.mota, m.idf1, m.hota, (long long)m.idsw);
    ASSERT(m.mota >= 95.0);
    ASSERT(m.idf1 >= 90.0);

    spatia_event_compare c;
    ASSERT_OK(spatia_eval_events_files(ref, ev, &c, err, sizeof err));
    spatia_event_compare_print(stderr, &c);
    int64_t rl = line_count(&c, "CrossLeft", 0),
            rr = line_count(&c, "CrossRight", 0);
    ASSERT(rl + rr > 10); /* the config really sees crossings */
    ASSERT_EQ(line_count(&c, "CrossLeft", 1), rl);
    ASSERT_EQ(line_count(&c, "CrossRight", 1), rr);
    spatia_event_compare_free(&c);
}

/* Writes a degraded copy of the ground truth. */
static int degrade(const char *in, const char *out, uint64_t seed)
{
    FILE *f = fopen(in, "r"), *g = fopen(out, "w");
    char line[512];
    rng r;
    int kept = 0, total = 0;
    if (!f || !g) {
        if (f)
            fclose(f);
        if (g)
            fclose(g);
        return -1;
    }
    rng_seed(&r, seed);
    while (fgets(line, sizeof line, f)) {
        int fr, id;
        double x, y, w, h, conf;
        if (sscanf(line, "%d,%d,%lf,%lf,%lf,%lf,%lf", &fr, &id, &x, &y, &w, &h,
                   &conf) != 7)
            continue;
        total++;
        double u[5];
        for (int k = 0; k < 5; k++)
            u[k] = rng_uniform(&r);
        if (u[0] < 0.20)
            continue;
        x += (u[1] * 2 - 1) * 0.05 * w;
        y += (u[2] * 2 - 1) * 0.05 * h;
        double w2 = w * (1 + (u[3] * 2 - 1) * 0.05);
        double h2 = h * (1 + (u[4] * 2 - 1) * 0.05);
        fprintf(g, "%d,-1,%.3f,%.3f,%.3f,%.3f,%g,-1,-1,-1\n", fr, x, y, w2, h2,
                conf);
        kept++;
    }
    fclose(f);
    fclose(g);
    return total > 0 ? kept * 100 / total : -1;
}

TEST(degraded_gt_detections)
{
    char ref[512], deg[512], ev[512], tr[512], cfg[512], err[512];
    if (!need_data())
        TEST_SKIP("reference data absent");
    ASSERT_EQ(reference_events(ref, sizeof ref), 0);
    path(deg, sizeof deg, "degraded.txt");
    int pct = degrade(gt, deg, 20261124);
    ASSERT(pct >= 77 && pct <= 83); /* about 80% kept */
    path(ev, sizeof ev, "deg.jsonl");
    path(tr, sizeof tr, "deg-tracks.txt");
    const char *a[] = {"run",
                       "--input",
                       video,
                       "--config",
                       config_path(cfg, sizeof cfg),
                       "--detections",
                       deg,
                       "--output",
                       ev,
                       "--tracks-out",
                       tr,
                       "--seed",
                       "1",
                       "--quiet",
                       NULL};
    ASSERT_EQ(run_cli(NULL, a), 0);

    spatia_mot_metrics m;
    ASSERT_OK(spatia_eval_mot_files(gt, tr, &m, err, sizeof err));
    fprintf(stderr, "degraded GT: MOTA %.2f IDF1 %.2f HOTA %.2f IDSW %lld\n",
            m.mota, m.idf1, m.hota, (long long)m.idsw);
    ASSERT(m.mota >= 70.0);
    ASSERT(m.idf1 >= 70.0);

    spatia_event_compare c;
    ASSERT_OK(spatia_eval_events_files(ref, ev, &c, err, sizeof err));
    spatia_event_compare_print(stderr, &c);
    for (int k = 0; k < 2; k++) {
        const char *st = k ? "CrossRight" : "CrossLeft";
        int64_t r = line_count(&c, st, 0), d = line_count(&c, st, 1);
        ASSERT(r > 0);
        ASSERT_MSG(llabs(d - r) * 100 <= 5 * r, "%s: %lld vs %lld", st,
                   (long long)d, (long long)r);
    }
    spatia_event_compare_free(&c);
}

static int file_has(const char *p, const char *needle)
{
    char buf[4096];
    FILE *f = fopen(p, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, needle) != NULL;
}

TEST(cli_errors)
{
    char err[512], bad[512], cfg[512];
    if (!need_data())
        TEST_SKIP("reference data absent");
    path(err, sizeof err, "stderr.txt");
    path(bad, sizeof bad, "bad.json");
    FILE *f = fopen(bad, "w");
    ASSERT(f);
    fputs("{\"zones\":[{\"name\":\"z\",\"polygon\":[[0,0],[1,0],[1,1]],"
          "\"events\":[{\"type\":\"count\",\"config\":{\"trigger\":"
          "\"sometimes\"}}]}]}",
          f);
    fclose(f);
    const char *a[] = {"run",          "--input", video,     "--config", bad,
                       "--detections", gt,        "--quiet", NULL};
    ASSERT_EQ(run_cli(err, a), 2);
    ASSERT(file_has(err, "bad.json"));
    ASSERT(file_has(err, "$.zones[0].events[0].config.trigger"));

    const char *b[] = {"run",
                       "--input",
                       "/nonexistent/video.mp4",
                       "--config",
                       config_path(cfg, sizeof cfg),
                       "--detections",
                       gt,
                       "--quiet",
                       NULL};
    ASSERT_EQ(run_cli(err, b), 1);
    ASSERT(file_has(err, "/nonexistent/video.mp4"));

    const char *c[] = {"run",          "--input", cfg,       "--config", cfg,
                       "--detections", gt,        "--quiet", NULL};
    ASSERT_EQ(run_cli(err, c), 1); /* a JSON file is not a video */

    /* a full disk: the run stops with a clear error, exit 1 */
    if (access("/dev/full", W_OK) == 0) {
        const char *h[] = {"run",       "--input",      video, "--config",
                           cfg,         "--detections", gt,    "--output",
                           "/dev/full", "--quiet",      NULL};
        ASSERT_EQ(run_cli(err, h), 1);
        ASSERT(file_has(err, "no space left on device"));
    }

    const char *d[] = {"run", "--config", cfg, NULL};
    ASSERT_EQ(run_cli(err, d), 2);
    const char *e[] = {"run", "--help", NULL};
    ASSERT_EQ(run_cli(err, e), 0);
    const char *g[] = {"frobnicate", NULL};
    ASSERT_EQ(run_cli(err, g), 2);
}

TEST_MAIN(T(gt_detections_track_and_count_like_gt), T(degraded_gt_detections),
          T(cli_errors))
