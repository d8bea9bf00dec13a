/*
 * cli_detect.c - `spatia detect`: the people detector on an image or a
 * video, one JSON object per frame on stdout.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/sbuf.h"
#include "spatia/detect.h"
#include "spatia/error.h"
#include "spatia/media.h"

#define MAX_DET 256

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: spatia detect IMAGE|VIDEO [--model NAME|PATH] "
        "[--threads N]\n"
        "                     [--score S] [--iou I] [--all-classes] "
        "[--max-frames N]\n"
        "\n"
        "  --model        model name (default centernet, looked up in\n"
        "                 $SPATIA_MODELS_DIR, then <repo>/models) or a\n"
        "                 model.json path\n"
        "  --threads      inference threads (default: all usable CPUs)\n"
        "  --score        minimum score, 0..1 (default 0.3)\n"
        "  --iou          NMS IoU threshold, 0..1 (default 0.5)\n"
        "  --all-classes  keep every class, not only people (adds \"class\")\n"
        "  --max-frames   stop after N frames\n"
        "\n"
        "Prints one line per frame:\n"
        "  {\"frame\":0,\"detections\":[{\"x1\":..,\"y1\":..,\"x2\":..,"
        "\"y2\":..,\"score\":..}]}\n"
        "with boxes in pixels of the input. Exit codes: 0 ok, 1 runtime "
        "failure, 2 usage.\n");
}

static int parse_num(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (!*s || *end || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

int cli_detect(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"model", required_argument, 0, 'm'},
        {"threads", required_argument, 0, 'j'},
        {"score", required_argument, 0, 's'},
        {"iou", required_argument, 0, 'u'},
        {"all-classes", no_argument, 0, 'a'},
        {"max-frames", required_argument, 0, 'n'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *model = NULL;
    spatia_nn_opts no;
    spatia_detnn_opts dopt;
    double v, max_frames = 0;
    char err[1024], path[4096];
    int c, rc, code = CLI_EXIT_OK;

    spatia_nn_opts_default(&no);
    spatia_detnn_opts_default(&dopt);
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'm':
            model = optarg;
            break;
        case 'j':
            if (parse_num(optarg, 0, 256, &v) || v != floor(v)) {
                fprintf(stderr, "spatia detect: --threads wants 0..256\n");
                return CLI_EXIT_USAGE;
            }
            no.threads = (int)v;
            break;
        case 's':
        case 'u':
            if (parse_num(optarg, 0, 1, &v)) {
                fprintf(stderr, "spatia detect: --%s wants 0..1\n",
                        c == 's' ? "score" : "iou");
                return CLI_EXIT_USAGE;
            }
            if (c == 's')
                dopt.score = (float)v;
            else
                dopt.iou = (float)v;
            break;
        case 'a':
            dopt.all_classes = 1;
            break;
        case 'n':
            if (parse_num(optarg, 1, 1e12, &max_frames) ||
                max_frames != floor(max_frames)) {
                fprintf(stderr, "spatia detect: --max-frames wants N >= 1\n");
                return CLI_EXIT_USAGE;
            }
            break;
        case 'h':
            usage(stdout);
            return CLI_EXIT_OK;
        default:
            usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *input = argv[optind];

    rc = spatia_model_path(model, path, sizeof path);
    if (rc) {
        fprintf(stderr,
                "spatia detect: model %s not found (scripts/fetch-models.sh, "
                "SPATIA_MODELS_DIR or --model PATH)\n",
                path);
        return CLI_EXIT_RUNTIME;
    }
    spatia_detsrc *det = NULL;
    spatia_media *media = NULL;
    spatia_detection *dets = calloc(MAX_DET, sizeof *dets);
    sbuf line = {0};
    if (!dets) {
        fprintf(stderr, "spatia detect: out of memory\n");
        return CLI_EXIT_RUNTIME;
    }
    rc = spatia_detsrc_nn_create(path, &no, &dopt, &det, err, sizeof err);
    if (rc) {
        fprintf(stderr, "spatia detect: %s\n", err);
        code = CLI_EXIT_RUNTIME;
        goto out;
    }
    rc = spatia_media_open(input, NULL, &media, err, sizeof err);
    if (rc) {
        fprintf(stderr, "spatia detect: %s\n", err);
        code = CLI_EXIT_RUNTIME;
        goto out;
    }
    for (long long frames = 0; !max_frames || frames < max_frames; frames++) {
        spatia_frame f;
        int n = 0;
        rc = spatia_media_read(media, &f);
        if (rc == SPATIA_EOF)
            break;
        if (rc) {
            fprintf(stderr, "spatia detect: %s: %s\n", input,
                    spatia_strerror(rc));
            code = CLI_EXIT_RUNTIME;
            goto out;
        }
        rc = spatia_detsrc_detect(det, &f, dets, MAX_DET, &n);
        if (rc) {
            fprintf(stderr, "spatia detect: frame %lld: %s\n",
                    (long long)f.index, spatia_strerror(rc));
            code = CLI_EXIT_RUNTIME;
            goto out;
        }
        sb_reset(&line);
        sb_printf(&line, "{\"frame\":%lld,\"detections\":[",
                  (long long)f.index);
        for (int i = 0; i < n; i++) {
            const spatia_detection *d = &dets[i];
            sb_printf(&line,
                      "%s{\"x1\":%.2f,\"y1\":%.2f,\"x2\":%.2f,\"y2\":%.2f,"
                      "\"score\":%.4f",
                      i ? "," : "", d->box.x1, d->box.y1, d->box.x2, d->box.y2,
                      d->score);
            if (dopt.all_classes)
                sb_printf(&line, ",\"class\":%d", d->cls);
            sb_putc(&line, '}');
        }
        sb_puts(&line, "]}\n");
        if (sb_failed(&line) ||
            fwrite(line.data, 1, line.len, stdout) != line.len) {
            fprintf(stderr, "spatia detect: cannot write the output\n");
            code = CLI_EXIT_RUNTIME;
            goto out;
        }
    }
    if (fflush(stdout)) {
        fprintf(stderr, "spatia detect: cannot write the output\n");
        code = CLI_EXIT_RUNTIME;
    }
out:
    sb_free(&line);
    spatia_media_destroy(media);
    spatia_detsrc_destroy(det);
    free(dets);
    return code;
}
