/*
 * bench_nn.c - latency of the inference engine (not a test).
 *
 * Usage: bench_nn [--model PATH] [--runs N] [--threads LIST] [--profile]
 *                 [--strip-kb N]
 *   --model    model.json (default <repo>/models/centernet.json)
 *   --runs     timed runs per thread count after 5 warm-up runs (default 50)
 *   --threads  comma-separated thread counts (default 1,2)
 *   --input    a float32 input file (default: a TF.js reference input when
 *              present, else a synthetic image)
 *   --profile  print time per op type (SPATIA_NN_PROFILE_NODES=1: per node)
 *   --strip-kb depthwise->1x1 strip budget (spatia_nn_opts.strip_kb; -1 off)
 *
 * Prints per thread count: median / min / p90 latency in ms, achieved
 * GFLOP/s (convolution multiply-adds x 2 / median time), and at the end the
 * process's peak RSS (getrusage ru_maxrss). Each thread count loads its own
 * model and destroys it before the next one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "spatia/error.h"
#include "spatia/nn.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return 1e3 * (double)ts.tv_sec + 1e-6 * (double)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void fill_input(spatia_nn_tensor *t, const char *file)
{
    FILE *f = file ? fopen(file, "rb") : NULL;
    if (f) {
        size_t n = fread(t->data, 1, t->size, f);
        fclose(f);
        if (n == t->size) {
            fprintf(stderr, "input: %s\n", file);
            return;
        }
    }
    float *x = t->data;
    for (size_t i = 0; i < t->size / 4; i++)
        x[i] = (float)((i * 2654435761u >> 7) % 256);
    fprintf(stderr, "input: synthetic\n");
}

int main(int argc, char **argv)
{
    char model[1024], input[2048], err[1024];
    const char *threads_arg = "1,2", *input_arg = NULL;
    int runs = 50, profile = 0, strip_kb = 0;

    const char *mdir = getenv("SPATIA_MODELS_DIR");
    snprintf(model, sizeof model, "%s/centernet.json",
             mdir ? mdir : SPATIA_SOURCE_DIR "/models");
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--model") && i + 1 < argc)
            snprintf(model, sizeof model, "%s", argv[++i]);
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads_arg = argv[++i];
        else if (!strcmp(argv[i], "--input") && i + 1 < argc)
            input_arg = argv[++i];
        else if (!strcmp(argv[i], "--profile"))
            profile = 1;
        else if (!strcmp(argv[i], "--strip-kb") && i + 1 < argc)
            strip_kb = atoi(argv[++i]);
        else {
            fprintf(stderr,
                    "usage: %s [--model PATH] [--runs N] [--threads 1,2] "
                    "[--input F32] [--profile] [--strip-kb N]\n",
                    argv[0]);
            return 2;
        }
    }
    if (runs < 1)
        runs = 1;
    if (!input_arg) {
        /* the TF.js reference input of the same model, if there is one */
        const char *base = strrchr(model, '/');
        char name[1024];
        snprintf(name, sizeof name, "%s", base ? base + 1 : model);
        char *dot = strstr(name, ".json");
        if (dot)
            *dot = 0;
        snprintf(input, sizeof input,
                 "%s/.cache/tfjs-ref/%s/vtest_f200/input.f32",
                 SPATIA_SOURCE_DIR, name);
        input_arg = access(input, R_OK) == 0 ? input : NULL;
    }
    double *t = malloc((size_t)runs * sizeof *t);
    const char *p = threads_arg;
    while (p && *p) {
        int th = atoi(p);
        spatia_nn_opts o;
        spatia_nn_model *m = NULL;
        spatia_nn_opts_default(&o);
        o.threads = th;
        o.profile = profile;
        o.strip_kb = strip_kb;
        double t0 = now_ms();
        if (spatia_nn_model_load(model, &o, &m, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        double load_ms = now_ms() - t0;
        spatia_nn_info info;
        spatia_nn_info_get(m, &info);
        spatia_nn_tensor in;
        spatia_nn_input(m, 0, &in);
        fill_input(&in, input_arg);
        for (int r = 0; r < 5; r++)
            spatia_nn_run(m);
        for (int r = 0; r < runs; r++) {
            double a = now_ms();
            if (spatia_nn_run(m)) {
                fprintf(stderr, "run failed\n");
                return 1;
            }
            t[r] = now_ms() - a;
        }
        qsort(t, (size_t)runs, sizeof *t, cmp_d);
        double med = t[runs / 2];
        spatia_nn_info after;
        spatia_nn_info_get(m, &after);
        printf("%s threads=%d: median %.2f ms  min %.2f  p90 %.2f  "
               "%.1f GFLOP/s (%.2f GFLOP)  load %.0f ms  ops %d (xnn %d)  "
               "arena %.1f MB  weights %.1f MB  halo release %d of %d runs "
               "(%d steps)\n",
               model, info.threads, med, t[0], t[(runs * 9) / 10],
               info.flops / med / 1e6, info.flops / 1e9, load_ms, info.nodes,
               info.xnn_ops, info.arena_bytes / 1e6, info.weight_bytes / 1e6,
               after.far_runs, after.runs, after.halo_steps);
        if (profile)
            spatia_nn_profile_print(m, stdout);
        spatia_nn_model_destroy(m);
        p = strchr(p, ',');
        if (p)
            p++;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak RSS %.1f MB\n", ru.ru_maxrss / 1024.0);
    free(t);
    return 0;
}
