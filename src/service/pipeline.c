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

/* Every stage of one stream, set up by pipeline_open before the first frame
 * and torn down by pipeline_close. */
typedef struct pipeline {
    const spatia_run_opts *o;
    spatia_config *cfg;
    spatia_media *media;
    spatia_detsrc *det; /* detector or detection file, or NULL ... */
    trackfile *tf;      /* ... when known tracks are replayed */
    spatia_tracker *tracker;
    spatia_analytics *an;
    FILE *tracks_out;
    spatia_detection *dets; /* MAX_DETECTIONS */
    spatia_video_writer *vw;
    uint8_t *vbuf; /* the frame being annotated, w x h RGB24 */
    ctx c;
    int w, h;         /* processed frame size, px */
    float sx, sy;     /* native px -> processed px */
    int64_t start_ms; /* Unix ms of frame 0 (files) */
} pipeline;

/* Opens the config, the input and every stage. Returns SPATIA_OK or an
 * error with a one-line reason in errbuf; pipeline_close() cleans up in
 * both cases. */
static int pipeline_open(pipeline *p, const spatia_run_opts *o, char *errbuf,
                         int errlen)
{
    spatia_media_opts mo;
    int rc, native_w = 0, native_h = 0;

    p->o = o;
    rc = spatia_config_load(o->config_path, o->op, &p->cfg, errbuf, errlen);
    if (rc)
        return rc;

    spatia_media_opts_default(&mo);
    mo.live = o->live;
    mo.rtsp_udp = o->rtsp_udp;
    mo.width = o->width;
    rc = spatia_media_open(o->input, &mo, &p->media, errbuf, errlen);
    if (rc)
        return rc;
    running_media = p->media;
    spatia_media_native_size(p->media, &native_w, &native_h);
    spatia_media_size(p->media, &p->w, &p->h);
    if (native_w <= 0 || native_h <= 0 || p->w <= 0 || p->h <= 0) {
        snprintf(errbuf, (size_t)errlen, "%s: video has no frame size",
                 o->input);
        return SPATIA_MEDIA;
    }
    p->sx = (float)p->w / (float)native_w;
    p->sy = (float)p->h / (float)native_h;

    if (o->tracks_in)
        rc = trackfile_open(o->tracks_in,
                            o->lost_ttl_ms > 0 ? o->lost_ttl_ms : 4000, o->seed,
                            p->sx, p->sy, &p->tf, errbuf, errlen);
    else if (o->detections)
        rc = spatia_detsrc_mot_create(o->detections, p->sx, p->sy, &p->det,
                                      errbuf, errlen);
    else
        rc = vision_detector_default(o->model, o->threads, &p->det, errbuf,
                                     errlen);
    if (rc)
        return rc;
    if (!p->tf) {
        spatia_tracker_params tp;
        spatia_tracker_params_default(&tp);
        if (o->lost_ttl_ms > 0)
            tp.lost_ttl_ms = o->lost_ttl_ms;
        tp.id_seed = o->seed;
        if ((rc = spatia_tracker_create(&tp, &p->tracker))) {
            snprintf(errbuf, (size_t)errlen, "tracker: %s",
                     spatia_strerror(rc));
            return rc;
        }
    }
    {
        spatia_analytics_opts ao;
        spatia_analytics_opts_default(&ao);
        ao.width = p->w;
        ao.height = p->h;
        ao.seed = o->seed;
        if ((rc = spatia_analytics_create(p->cfg, &ao, &p->an))) {
            snprintf(errbuf, (size_t)errlen, "analytics: %s",
                     spatia_strerror(rc));
            return rc;
        }
    }
    if ((rc = spatia_event_writer_create(&p->c.writer)))
        return rc;
    if (o->output)
        rc = spatia_sink_file_create(o->output, 0, &p->c.sink, errbuf, errlen);
    else
        rc = spatia_sink_stdout_create(&p->c.sink);
    if (rc)
        return rc;
    if (o->tracks_out) {
        p->tracks_out = fopen(o->tracks_out, "w");
        if (!p->tracks_out) {
            snprintf(errbuf, (size_t)errlen, "%s: cannot open for writing",
                     o->tracks_out);
            return SPATIA_IO;
        }
    }
    p->dets = calloc(MAX_DETECTIONS, sizeof *p->dets);
    if (!p->dets)
        return SPATIA_NOMEM;
    if (o->video_out) {
        double fps = spatia_media_fps(p->media);
        rc = spatia_video_writer_open(o->video_out, p->w, p->h,
                                      fps > 0.0 ? fps : 25.0, &p->vw, errbuf,
                                      errlen);
        if (rc)
            return rc;
        p->vbuf = malloc((size_t)p->w * (size_t)p->h * 3);
        if (!p->vbuf)
            return SPATIA_NOMEM;
    }
    p->c.src.id = o->source_id ? o->source_id : "camera";
    p->c.src.width = p->w;
    p->c.src.height = p->h;
    p->start_ms = o->start_time_ms >= 0 ? o->start_time_ms : now_ms();
    return SPATIA_OK;
}

/* Writes this frame's matched, confirmed tracks as MOT rows in native px. */
static void write_tracks(pipeline *p, const spatia_frame *frame,
                         const spatia_track *tracks, int ntracks)
{
    for (int i = 0; i < ntracks; i++) {
        const spatia_track *t = &tracks[i];
        if (t->state != SPATIA_TRACK_CONFIRMED || t->num == 0)
            continue;
        fprintf(p->tracks_out, "%lld,%u,%.2f,%.2f,%.2f,%.2f,%.4f,-1,-1,-1\n",
                (long long)frame->index + 1, t->num, t->box.x1 / p->sx,
                t->box.y1 / p->sy, (t->box.x2 - t->box.x1) / p->sx,
                (t->box.y2 - t->box.y1) / p->sy, t->score);
    }
}

/* Copies the frame, draws zones, lines, tracks and counts, encodes it. */
static int write_video(pipeline *p, const spatia_frame *frame,
                       const spatia_track *tracks, int ntracks, char *errbuf,
                       int errlen)
{
    const spatia_rule_stats *st;
    int nst, rc;
    for (int y = 0; y < p->h; y++)
        memcpy(p->vbuf + (size_t)y * (size_t)p->w * 3,
               frame->data + (size_t)y * (size_t)frame->stride,
               (size_t)p->w * 3);
    spatia_analytics_stats(p->an, &st, &nst);
    spatia_annotate_frame(p->vbuf, p->w * 3, p->w, p->h, p->cfg, tracks,
                          ntracks, st, nst);
    rc = spatia_video_writer_write(p->vw, p->vbuf, p->w * 3, frame->pts_ms);
    if (rc)
        snprintf(errbuf, (size_t)errlen, "video out %s",
                 spatia_video_writer_error(p->vw));
    return rc;
}

/* One frame through detection, tracking, analytics and the outputs. */
static int pipeline_frame(pipeline *p, const spatia_frame *frame, char *errbuf,
                          int errlen)
{
    const spatia_track *tracks;
    int ntracks, ndets = 0, rc;

    if (p->tf) {
        rc = trackfile_update(p->tf, frame->index, frame->pts_ms, &tracks,
                              &ntracks);
    } else {
        rc = spatia_detsrc_detect(p->det, frame, p->dets, MAX_DETECTIONS,
                                  &ndets);
        if (rc) {
            snprintf(errbuf, (size_t)errlen, "detector: %s",
                     spatia_strerror(rc));
            return rc;
        }
        rc = spatia_tracker_update(p->tracker, p->dets, ndets, frame->index,
                                   frame->pts_ms, &tracks, &ntracks);
    }
    if (rc) {
        snprintf(errbuf, (size_t)errlen, "tracking: %s", spatia_strerror(rc));
        return rc;
    }
    p->c.src.frame_id = frame->index;
    p->c.src.time_ms =
        p->o->live ? frame->wall_ms : p->start_ms + frame->pts_ms;
    rc = spatia_analytics_update(p->an, frame->index, frame->pts_ms, tracks,
                                 ntracks, on_event, &p->c);
    if (rc) {
        if (p->c.sink_rc)
            snprintf(errbuf, (size_t)errlen,
                     "event sink %s: %s (at frame %lld)",
                     spatia_sink_name(p->c.sink), spatia_strerror(rc),
                     (long long)frame->index);
        else
            snprintf(errbuf, (size_t)errlen, "analytics: %s",
                     spatia_strerror(rc));
        return rc;
    }
    if (p->tracks_out)
        write_tracks(p, frame, tracks, ntracks);
    if (p->vw)
        return write_video(p, frame, tracks, ntracks, errbuf, errlen);
    return SPATIA_OK;
}

/* Flushes every output; the first failure is returned. */
static int pipeline_finish(pipeline *p, char *errbuf, int errlen)
{
    int rc;
    if ((rc = spatia_sink_flush(p->c.sink))) {
        snprintf(errbuf, (size_t)errlen, "event sink %s: %s",
                 spatia_sink_name(p->c.sink), spatia_strerror(rc));
        return rc;
    }
    if (p->tracks_out &&
        (fflush(p->tracks_out) != 0 || ferror(p->tracks_out))) {
        snprintf(errbuf, (size_t)errlen, "%s: write failed", p->o->tracks_out);
        return SPATIA_IO;
    }
    if (p->vw) {
        rc = spatia_video_writer_close(p->vw);
        p->vw = NULL;
        if (rc) {
            snprintf(errbuf, (size_t)errlen, "video out %s: %s",
                     p->o->video_out, spatia_strerror(rc));
            return rc;
        }
    }
    return SPATIA_OK;
}

static void pipeline_close(pipeline *p)
{
    running_media = NULL;
    if (p->tracks_out)
        fclose(p->tracks_out);
    free(p->dets);
    spatia_video_writer_close(p->vw); /* after a failure: just release */
    free(p->vbuf);
    spatia_sink_destroy(p->c.sink);
    spatia_event_writer_destroy(p->c.writer);
    spatia_analytics_destroy(p->an);
    spatia_tracker_destroy(p->tracker);
    trackfile_destroy(p->tf);
    spatia_detsrc_destroy(p->det);
    spatia_media_destroy(p->media);
    spatia_config_destroy(p->cfg);
}

int spatia_pipeline_run(const spatia_run_opts *o, spatia_run_result *res,
                        FILE *table, char *errbuf, int errlen)
{
    pipeline p;
    spatia_frame frame;
    int64_t frames = 0;
    int rc;

    memset(&p, 0, sizeof p);
    if (res)
        memset(res, 0, sizeof *res);
    if (!o || !o->input || !o->config_path) {
        snprintf(errbuf, (size_t)errlen, "input and config are required");
        return SPATIA_EINVAL;
    }
    stop_requested = 0;
    rc = pipeline_open(&p, o, errbuf, errlen);
    while (rc == SPATIA_OK && !stop_requested &&
           (o->max_frames <= 0 || frames < o->max_frames)) {
        rc = spatia_media_read(p.media, &frame);
        if (rc == SPATIA_EOF || rc == SPATIA_INTERRUPTED) {
            rc = SPATIA_OK;
            break;
        }
        if (rc) {
            snprintf(errbuf, (size_t)errlen, "%s: %s", o->input,
                     spatia_strerror(rc));
            break;
        }
        rc = pipeline_frame(&p, &frame, errbuf, errlen);
        if (rc == SPATIA_OK)
            frames++;
    }
    if (rc == SPATIA_OK)
        rc = pipeline_finish(&p, errbuf, errlen);
    if (rc == SPATIA_OK && table)
        print_table(table, p.an);
    if (res) {
        res->frames = frames;
        res->events = p.c.events;
        res->width = p.media ? p.w : 0;
        res->height = p.media ? p.h : 0;
        if (p.media)
            spatia_media_stats_get(p.media, &res->media);
    }
    pipeline_close(&p);
    return rc;
}
