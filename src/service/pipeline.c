/*
 * pipeline.c - one stream end to end (see spatia/pipeline.h).
 *
 * The loop is: read a frame, get detections, advance the tracker (or replay
 * known tracks), run the analytics, format each event and hand it to the
 * sink. Every buffer is sized before the loop or grows to a high-water
 * mark, so the steady state does not allocate.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "spatia/annotate.h"
#include "spatia/detect.h"
#include "spatia/error.h"
#include "spatia/events.h"
#include "spatia/pipeline.h"
#include "spatia/sink.h"
#include "spatia/track.h"
#include "track/trackfile.h"
#include "vision/detector.h"

#define MAX_DETECTIONS 512

static volatile sig_atomic_t stop_requested;
static spatia_media *volatile running_media;

void spatia_pipeline_stop(void)
{
    spatia_media *m = running_media;
    stop_requested = 1;
    if (m)
        spatia_media_interrupt(m);
}

void spatia_run_opts_default(spatia_run_opts *o)
{
    memset(o, 0, sizeof *o);
    o->op = SPATIA_OP_SPATIALANALYSIS;
    o->source_id = "camera";
    o->start_time_ms = -1;
}

typedef struct ctx {
    spatia_event_writer *writer;
    spatia_sink *sink;
    spatia_source_info src;
    int64_t events;
    int sink_rc;
} ctx;

static int on_event(void *user, const spatia_event *ev)
{
    ctx *c = user;
    const char *json;
    size_t len;
    int rc = spatia_event_format(c->writer, ev, &c->src, &json, &len);
    if (rc)
        return rc;
    rc = spatia_sink_write(c->sink, json, len);
    if (rc) {
        c->sink_rc = rc;
        return rc;
    }
    c->events++;
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void print_table(FILE *f, const spatia_analytics *a)
{
    const spatia_rule_stats *st;
    int n;
    spatia_analytics_stats(a, &st, &n);
    fprintf(f, "\n%-24s %-15s %10s %10s %10s\n", "zone/line", "event",
            "in/right", "out/left", "messages");
    for (int i = 0; i < n; i++) {
        const spatia_rule_stats *s = &st[i];
        const char *kind = spatia_event_kind_name(s->kind);
        switch (s->kind) {
        case SPATIA_EVENT_LINECROSSING:
            fprintf(f, "%-24s %-15s %10lld %10lld %10lld\n", s->name, kind,
                    (long long)s->cross_right, (long long)s->cross_left,
                    (long long)s->emitted);
            break;
        case SPATIA_EVENT_ZONECROSSING:
            fprintf(f, "%-24s %-15s %10lld %10lld %10lld\n", s->name, kind,
                    (long long)s->enter, (long long)s->exit,
                    (long long)s->emitted);
            break;
        case SPATIA_EVENT_ZONEDWELLTIME:
            fprintf(f,
                    "%-24s %-15s %10lld %10lld %10lld   mean dwell %.0f ms\n",
                    s->name, kind, (long long)s->enter, (long long)s->exit,
                    (long long)s->emitted,
                    s->exit ? s->dwell_ms_sum / (double)s->exit : 0.0);
            break;
        default:
            fprintf(f, "%-24s %-15s %10s %10s %10lld   now %d, max %d\n",
                    s->name, kind, "-", "-", (long long)s->emitted,
                    s->last_count < 0 ? 0 : s->last_count, s->max_count);
        }
    }
    fprintf(f, "(in/right: Enter or CrossRight; out/left: Exit or "
               "CrossLeft)\n");
}

int spatia_pipeline_run(const spatia_run_opts *o, spatia_run_result *res,
                        FILE *table, char *errbuf, int errlen)
{
    spatia_config *cfg = NULL;
    spatia_media *media = NULL;
    spatia_detsrc *det = NULL;
    trackfile *tf = NULL;
    spatia_tracker *tracker = NULL;
    spatia_analytics *an = NULL;
    FILE *tracks_out = NULL;
    spatia_detection *dets = NULL;
    spatia_video_writer *vw = NULL;
    uint8_t *vbuf = NULL; /* the frame being annotated, w x h RGB24 */
    ctx c;
    spatia_media_opts mo;
    spatia_frame frame;
    int rc, native_w = 0, native_h = 0, w = 0, h = 0;
    int64_t start_ms;
    float sx, sy;

    memset(&c, 0, sizeof c);
    if (res)
        memset(res, 0, sizeof *res);
    if (!o || !o->input || !o->config_path) {
        snprintf(errbuf, (size_t)errlen, "input and config are required");
        return SPATIA_EINVAL;
    }
    stop_requested = 0;

    rc = spatia_config_load(o->config_path, o->op, &cfg, errbuf, errlen);
    if (rc)
        goto fail;

    spatia_media_opts_default(&mo);
    mo.live = o->live;
    mo.rtsp_udp = o->rtsp_udp;
    mo.width = o->width;
    rc = spatia_media_open(o->input, &mo, &media, errbuf, errlen);
    if (rc)
        goto fail;
    running_media = media;
    spatia_media_native_size(media, &native_w, &native_h);
    spatia_media_size(media, &w, &h);
    if (native_w <= 0 || native_h <= 0 || w <= 0 || h <= 0) {
        snprintf(errbuf, (size_t)errlen, "%s: video has no frame size",
                 o->input);
        rc = SPATIA_MEDIA;
        goto fail;
    }
    sx = (float)w / (float)native_w;
    sy = (float)h / (float)native_h;

    if (o->tracks_in) {
        rc = trackfile_open(o->tracks_in,
                            o->lost_ttl_ms > 0 ? o->lost_ttl_ms : 4000, o->seed,
                            sx, sy, &tf, errbuf, errlen);
    } else if (o->detections) {
        rc = spatia_detsrc_mot_create(o->detections, sx, sy, &det, errbuf,
                                      errlen);
    } else {
        rc =
            vision_detector_default(o->model, o->threads, &det, errbuf, errlen);
    }
    if (rc)
        goto fail;
    if (!tf) {
        spatia_tracker_params tp;
        spatia_tracker_params_default(&tp);
        if (o->lost_ttl_ms > 0)
            tp.lost_ttl_ms = o->lost_ttl_ms;
        tp.id_seed = o->seed;
        if ((rc = spatia_tracker_create(&tp, &tracker))) {
            snprintf(errbuf, (size_t)errlen, "tracker: %s",
                     spatia_strerror(rc));
            goto fail;
        }
    }

    {
        spatia_analytics_opts ao;
        spatia_analytics_opts_default(&ao);
        ao.width = w;
        ao.height = h;
        ao.seed = o->seed;
        if ((rc = spatia_analytics_create(cfg, &ao, &an))) {
            snprintf(errbuf, (size_t)errlen, "analytics: %s",
                     spatia_strerror(rc));
            goto fail;
        }
    }
    if ((rc = spatia_event_writer_create(&c.writer)))
        goto fail;
    if (o->output)
        rc = spatia_sink_file_create(o->output, 0, &c.sink, errbuf, errlen);
    else
        rc = spatia_sink_stdout_create(&c.sink);
    if (rc)
        goto fail;
    if (o->tracks_out) {
        tracks_out = fopen(o->tracks_out, "w");
        if (!tracks_out) {
            snprintf(errbuf, (size_t)errlen, "%s: cannot open for writing",
                     o->tracks_out);
            rc = SPATIA_IO;
            goto fail;
        }
    }
    dets = calloc(MAX_DETECTIONS, sizeof *dets);
    if (!dets) {
        rc = SPATIA_NOMEM;
        goto fail;
    }
    if (o->video_out) {
        double fps = spatia_media_fps(media);
        rc = spatia_video_writer_open(
            o->video_out, w, h, fps > 0.0 ? fps : 25.0, &vw, errbuf, errlen);
        if (rc)
            goto fail;
        vbuf = malloc((size_t)w * (size_t)h * 3);
        if (!vbuf) {
            rc = SPATIA_NOMEM;
            goto fail;
        }
    }

    c.src.id = o->source_id ? o->source_id : "camera";
    c.src.width = w;
    c.src.height = h;
    start_ms = o->start_time_ms >= 0 ? o->start_time_ms : now_ms();

    for (;;) {
        const spatia_track *tracks;
        int ntracks, ndets = 0;

        if (stop_requested)
            break;
        if (o->max_frames > 0 && res && res->frames >= o->max_frames)
            break;
        rc = spatia_media_read(media, &frame);
        if (rc == SPATIA_EOF || rc == SPATIA_INTERRUPTED) {
            rc = SPATIA_OK;
            break;
        }
        if (rc) {
            snprintf(errbuf, (size_t)errlen, "%s: %s", o->input,
                     spatia_strerror(rc));
            goto fail;
        }
        if (tf) {
            rc = trackfile_update(tf, frame.index, frame.pts_ms, &tracks,
                                  &ntracks);
        } else {
            rc =
                spatia_detsrc_detect(det, &frame, dets, MAX_DETECTIONS, &ndets);
            if (rc) {
                snprintf(errbuf, (size_t)errlen, "detector: %s",
                         spatia_strerror(rc));
                goto fail;
            }
            rc = spatia_tracker_update(tracker, dets, ndets, frame.index,
                                       frame.pts_ms, &tracks, &ntracks);
        }
        if (rc) {
            snprintf(errbuf, (size_t)errlen, "tracking: %s",
                     spatia_strerror(rc));
            goto fail;
        }
        c.src.frame_id = frame.index;
        c.src.time_ms = o->live ? frame.wall_ms : start_ms + frame.pts_ms;
        rc = spatia_analytics_update(an, frame.index, frame.pts_ms, tracks,
                                     ntracks, on_event, &c);
        if (rc) {
            if (c.sink_rc)
                snprintf(errbuf, (size_t)errlen,
                         "event sink %s: %s (at frame %lld)",
                         spatia_sink_name(c.sink), spatia_strerror(rc),
                         (long long)frame.index);
            else
                snprintf(errbuf, (size_t)errlen, "analytics: %s",
                         spatia_strerror(rc));
            goto fail;
        }
        if (tracks_out) {
            for (int i = 0; i < ntracks; i++) {
                const spatia_track *t = &tracks[i];
                if (t->state != SPATIA_TRACK_CONFIRMED || t->num == 0)
                    continue;
                fprintf(tracks_out,
                        "%lld,%u,%.2f,%.2f,%.2f,%.2f,%.4f,-1,-1,-1\n",
                        (long long)frame.index + 1, t->num, t->box.x1 / sx,
                        t->box.y1 / sy, (t->box.x2 - t->box.x1) / sx,
                        (t->box.y2 - t->box.y1) / sy, t->score);
            }
        }
        if (vw) {
            const spatia_rule_stats *st;
            int nst;
            for (int y = 0; y < h; y++)
                memcpy(vbuf + (size_t)y * (size_t)w * 3,
                       frame.data + (size_t)y * (size_t)frame.stride,
                       (size_t)w * 3);
            spatia_analytics_stats(an, &st, &nst);
            spatia_annotate_frame(vbuf, w * 3, w, h, cfg, tracks, ntracks, st,
                                  nst);
            rc = spatia_video_writer_write(vw, vbuf, w * 3, frame.pts_ms);
            if (rc) {
                snprintf(errbuf, (size_t)errlen, "video out %s",
                         spatia_video_writer_error(vw));
                goto fail;
            }
        }
        if (res)
            res->frames++;
    }
    if ((rc = spatia_sink_flush(c.sink))) {
        snprintf(errbuf, (size_t)errlen, "event sink %s: %s",
                 spatia_sink_name(c.sink), spatia_strerror(rc));
        goto fail;
    }
    if (tracks_out && (fflush(tracks_out) != 0 || ferror(tracks_out))) {
        snprintf(errbuf, (size_t)errlen, "%s: write failed", o->tracks_out);
        rc = SPATIA_IO;
        goto fail;
    }
    if (vw) {
        rc = spatia_video_writer_close(vw);
        vw = NULL;
        if (rc) {
            snprintf(errbuf, (size_t)errlen, "video out %s: %s", o->video_out,
                     spatia_strerror(rc));
            goto fail;
        }
    }
    if (table)
        print_table(table, an);
    rc = SPATIA_OK;
fail:
    if (res) {
        res->events = c.events;
        res->width = media ? w : 0;
        res->height = media ? h : 0;
        if (media)
            spatia_media_stats_get(media, &res->media);
    }
    running_media = NULL;
    if (tracks_out)
        fclose(tracks_out);
    free(dets);
    spatia_video_writer_close(vw); /* after a failure: just release */
    free(vbuf);
    spatia_sink_destroy(c.sink);
    spatia_event_writer_destroy(c.writer);
    spatia_analytics_destroy(an);
    spatia_tracker_destroy(tracker);
    trackfile_destroy(tf);
    spatia_detsrc_destroy(det);
    spatia_media_destroy(media);
    spatia_config_destroy(cfg);
    return rc;
}
