/*
 * cli_eval.c - `spatia eval mot` and `spatia eval events`.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "spatia/error.h"
#include "spatia/eval.h"
#include "spatia/eval_events.h"

static void usage(FILE *f)
{
    fprintf(
        f, "usage: spatia eval mot --gt GT.txt --tracks TRACKS.txt\n"
           "                       [--min-mota X] [--min-idf1 X]\n"
           "       spatia eval events --reference A.jsonl --candidate B.jsonl\n"
           "                       [--max-rel-diff X]\n"
           "\n"
           "mot:    CLEAR-MOT (MOTA, MOTP, IDSW, FP, FN), IDF1 at IoU 0.5 and\n"
           "        HOTA over alpha 0.05..0.95, as TrackEval defines them; gt\n"
           "        rows with conf 0 are ignored (MOT15).\n"
           "events: counts per zone/line, event type and status in two event\n"
           "        streams, and their relative difference.\n"
           "Thresholds are in percent; missing one exits 3.\n");
}

static int parse_pct(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (!*s || *end || v < 0 || v > 1000)
        return -1;
    *out = v;
    return 0;
}

static int eval_mot(int argc, char **argv)
{
    static const struct option lo[] = {{"gt", required_argument, 0, 'g'},
                                       {"tracks", required_argument, 0, 't'},
                                       {"min-mota", required_argument, 0, 'm'},
                                       {"min-idf1", required_argument, 0, 'i'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    const char *gt = NULL, *tr = NULL;
    double min_mota = -1e9, min_idf1 = -1e9;
    spatia_mot_metrics m;
    char err[512] = "";
    int c, rc;

    optind = 1;
    while ((c = getopt_long(argc, argv, "g:t:m:i:h", lo, NULL)) != -1) {
        switch (c) {
        case 'g':
            gt = optarg;
            break;
        case 't':
            tr = optarg;
            break;
        case 'm':
        case 'i':
            if (parse_pct(optarg, c == 'm' ? &min_mota : &min_idf1)) {
                fprintf(stderr, "spatia eval: bad percentage '%s'\n", optarg);
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
    if (!gt || !tr) {
        fprintf(stderr, "spatia eval mot: --gt and --tracks are required\n");
        return CLI_EXIT_USAGE;
    }
    rc = spatia_eval_mot_files(gt, tr, &m, err, sizeof err);
    if (rc) {
        fprintf(stderr, "spatia: %s\n", err[0] ? err : spatia_strerror(rc));
        return rc == SPATIA_PARSE ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME;
    }
    spatia_mot_metrics_print(stdout, &m);
    if (m.mota < min_mota || m.idf1 < min_idf1) {
        fprintf(stderr,
                "spatia eval mot: below threshold (MOTA %.2f, IDF1 "
                "%.2f)\n",
                m.mota, m.idf1);
        return CLI_EXIT_BELOW;
    }
    return CLI_EXIT_OK;
}

static int eval_events(int argc, char **argv)
{
    static const struct option lo[] = {
        {"reference", required_argument, 0, 'r'},
        {"candidate", required_argument, 0, 'c'},
        {"max-rel-diff", required_argument, 0, 'x'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *ref = NULL, *cand = NULL;
    double max_rel = -1;
    spatia_event_compare cmp;
    char err[512] = "";
    int c, rc;

    optind = 1;
    while ((c = getopt_long(argc, argv, "r:c:x:h", lo, NULL)) != -1) {
        switch (c) {
        case 'r':
            ref = optarg;
            break;
        case 'c':
            cand = optarg;
            break;
        case 'x':
            if (parse_pct(optarg, &max_rel)) {
                fprintf(stderr, "spatia eval: bad percentage '%s'\n", optarg);
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
    if (!ref || !cand) {
        fprintf(stderr, "spatia eval events: --reference and --candidate are "
                        "required\n");
        return CLI_EXIT_USAGE;
    }
    rc = spatia_eval_events_files(ref, cand, &cmp, err, sizeof err);
    if (rc) {
        fprintf(stderr, "spatia: %s\n", err[0] ? err : spatia_strerror(rc));
        return rc == SPATIA_PARSE ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME;
    }
    spatia_event_compare_print(stdout, &cmp);
    rc = CLI_EXIT_OK;
    if (max_rel >= 0 && 100.0 * cmp.max_rel_diff > max_rel + 1e-9) {
        fprintf(stderr, "spatia eval events: difference %.1f%% above %.1f%%\n",
                100.0 * cmp.max_rel_diff, max_rel);
        rc = CLI_EXIT_BELOW;
    }
    spatia_event_compare_free(&cmp);
    return rc;
}

int cli_eval(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "mot"))
        return eval_mot(argc - 1, argv + 1);
    if (!strcmp(argv[1], "events"))
        return eval_events(argc - 1, argv + 1);
    fprintf(stderr, "spatia eval: unknown mode '%s' (mot or events)\n",
            argv[1]);
    return CLI_EXIT_USAGE;
}
