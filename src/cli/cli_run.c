/*
 * cli_run.c - `spatia run`: one stream through the whole pipeline.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "spatia/error.h"
#include "spatia/pipeline.h"

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: spatia run --input URL|FILE --config SPACEANALYTICS.json\n"
        "                  [--operation NAME] [--detections FILE | --tracks "
        "FILE]\n"
        "                  [--source-id ID] [--output FILE] [--live] "
        "[--rtsp-udp]\n"
        "                  [--tracks-out FILE] [--width N] [--seed N]\n"
        "                  [--start-time MS] [--max-frames N] [--model PATH]\n"
        "                  [--threads N] [--video-out FILE] [--quiet]\n"
        "\n"
        "  --input        video file, rtsp://, http(s):// URL (VIDEO_URL)\n"
        "  --config       SPACEANALYTICS_CONFIG JSON (object, JSON string,\n"
        "                 or graph parameters holding SPACEANALYTICS_CONFIG)\n"
        "  --operation    personcount | personcrossingline |\n"
        "                 personcrossingpolygon | persondistance |\n"
        "                 spatialanalysis (default), or the full Azure id\n"
        "  --detections   MOT detections (frame,id,x,y,w,h,conf,...) instead\n"
        "                 of the neural detector\n"
        "  --tracks       MOT tracks with ids: skip detection and tracking\n"
        "                 (e.g. ground truth, to produce reference events)\n"
        "  --source-id    VIDEO_SOURCE_ID echoed as sourceInfo.id (camera)\n"
        "  --output       write events to FILE (default stdout), one per line\n"
        "  --live         VIDEO_IS_LIVE: keep real time, drop frames when\n"
        "                 behind, reconnect with back-off when the stream "
        "fails\n"
        "  --rtsp-udp     RTSP over UDP (default TCP)\n"
        "  --tracks-out   write the tracks in MOT format\n"
        "  --width        INPUT_VIDEO_WIDTH: process frames at this width\n"
        "  --seed         make track and event ids reproducible\n"
        "  --start-time   Unix ms of the first frame of a file (default now)\n"
        "  --max-frames   stop after N frames\n"
        "  --video-out    write an annotated video (boxes, track ids, zones,\n"
        "                 lines, counts); container from the extension (.mp4)\n"
        "  --quiet        no summary table on stderr\n"
        "\n"
        "exit codes: 0 ok, 1 runtime failure, 2 usage or configuration "
        "error\n");
}

static void on_signal(int sig)
{
    (void)sig;
    spatia_pipeline_stop();
}

static int parse_i64(const char *s, int64_t *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end)
        return -1;
    *out = v;
    return 0;
}

int cli_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"input", required_argument, 0, 'i'},
        {"config", required_argument, 0, 'c'},
        {"operation", required_argument, 0, 'p'},
        {"detections", required_argument, 0, 'd'},
        {"tracks", required_argument, 0, 'T'},
        {"source-id", required_argument, 0, 's'},
        {"output", required_argument, 0, 'o'},
        {"live", no_argument, 0, 'l'},
        {"rtsp-udp", no_argument, 0, 'u'},
        {"tracks-out", required_argument, 0, 't'},
        {"width", required_argument, 0, 'w'},
        {"seed", required_argument, 0, 'S'},
        {"start-time", required_argument, 0, 'b'},
        {"max-frames", required_argument, 0, 'n'},
        {"model", required_argument, 0, 'm'},
        {"threads", required_argument, 0, 'j'},
        {"video-out", required_argument, 0, 'V'},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    spatia_run_opts o;
    spatia_run_result res;
    char err[1024] = "";
    int quiet = 0, c, rc;
    int64_t v;

    spatia_run_opts_default(&o);
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:c:p:d:T:s:o:lut:w:S:b:n:m:j:V:qh",
                            longopts, NULL)) != -1) {
        switch (c) {
        case 'i':
            o.input = optarg;
            break;
        case 'c':
            o.config_path = optarg;
            break;
        case 'p':
            if (spatia_op_parse(optarg, &o.op)) {
                fprintf(stderr, "spatia run: unknown operation '%s'\n", optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case 'd':
            o.detections = optarg;
            break;
        case 'T':
            o.tracks_in = optarg;
            break;
        case 's':
            o.source_id = optarg;
            break;
        case 'o':
            o.output = optarg;
            break;
        case 'l':
            o.live = 1;
            break;
        case 'u':
            o.rtsp_udp = 1;
            break;
        case 't':
            o.tracks_out = optarg;
            break;
        case 'm':
            o.model = optarg;
            break;
        case 'V':
            o.video_out = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            usage(stdout);
            return CLI_EXIT_OK;
        case 'w':
        case 'S':
        case 'b':
        case 'n':
        case 'j':
            if (parse_i64(optarg, &v) || v < 0) {
                fprintf(stderr,
                        "spatia run: --%s needs a non-negative "
                        "integer, got '%s'\n",
                        c == 'w'   ? "width"
                        : c == 'S' ? "seed"
                        : c == 'b' ? "start-time"
                        : c == 'n' ? "max-frames"
                                   : "threads",
                        optarg);
                return CLI_EXIT_USAGE;
            }
            if (c == 'w') {
                if (v != 0 && (v < 16 || v > 8192)) {
                    fprintf(stderr, "spatia run: --width must be 16..8192\n");
                    return CLI_EXIT_USAGE;
                }
                o.width = (int)v;
            } else if (c == 'S') {
                o.seed = (uint64_t)v;
            } else if (c == 'b') {
                o.start_time_ms = v;
            } else if (c == 'n') {
                o.max_frames = v;
            } else {
                o.threads = (int)(v > 256 ? 256 : v);
            }
            break;
        default:
            usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "spatia run: unexpected argument '%s'\n", argv[optind]);
        return CLI_EXIT_USAGE;
    }
    if (!o.input || !o.config_path) {
        fprintf(stderr, "spatia run: --input and --config are required "
                        "(see spatia run --help)\n");
        return CLI_EXIT_USAGE;
    }
    if (o.detections && o.tracks_in) {
        fprintf(stderr, "spatia run: --detections and --tracks exclude each "
                        "other\n");
        return CLI_EXIT_USAGE;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);

    rc = spatia_pipeline_run(&o, &res, quiet ? NULL : stderr, err, sizeof err);
    if (!quiet && res.frames > 0)
        fprintf(stderr,
                "%lld frames (%dx%d), %lld events, %lld dropped, "
                "%lld decode errors, %lld reconnects\n",
                (long long)res.frames, res.width, res.height,
                (long long)res.events, (long long)res.media.frames_dropped,
                (long long)res.media.decode_errors,
                (long long)res.media.reconnects);
    if (rc) {
        fprintf(stderr, "spatia: %s\n", err[0] ? err : spatia_strerror(rc));
        return rc == SPATIA_CONFIG || rc == SPATIA_EINVAL ? CLI_EXIT_USAGE
                                                          : CLI_EXIT_RUNTIME;
    }
    return CLI_EXIT_OK;
}
