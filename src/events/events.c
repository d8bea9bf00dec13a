/*
 * events.c - schema-2.0 JSON for one event (see spatia/events.h).
 *
 * Field order follows Microsoft's samples (events, sourceInfo, detections,
 * schemaVersion; inside an event id, type, detectionIds, properties, zone,
 * trigger) so that output diffs cleanly against them. Detection boxes are
 * normalized by the processed frame size and clamped to [0, 1].
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/sbuf.h"
#include "spatia/error.h"
#include "spatia/events.h"

struct spatia_event_writer {
    sbuf buf;
};

const char *spatia_event_type_name(spatia_event_type t)
{
    switch (t) {
    case SPATIA_EV_PERSON_COUNT:
        return "personCountEvent";
    case SPATIA_EV_PERSON_LINE:
        return "personLineEvent";
    case SPATIA_EV_ZONE_ENTER_EXIT:
        return "personZoneEnterExitEvent";
    case SPATIA_EV_ZONE_DWELL:
        return "personZoneDwellTimeEvent";
    case SPATIA_EV_PERSON_DISTANCE:
        return "personDistanceEvent";
    }
    return "unknownEvent";
}

const char *spatia_status_name(spatia_status s)
{
    switch (s) {
    case SPATIA_STATUS_CROSS_LEFT:
        return "CrossLeft";
    case SPATIA_STATUS_CROSS_RIGHT:
        return "CrossRight";
    case SPATIA_STATUS_ENTER:
        return "Enter";
    case SPATIA_STATUS_EXIT:
        return "Exit";
    case SPATIA_STATUS_NONE:
        break;
    }
    return "";
}

void spatia_format_time(int64_t unix_ms, char *buf, size_t len)
{
    time_t secs =
        (time_t)(unix_ms >= 0 ? unix_ms / 1000 : -((-unix_ms + 999) / 1000));
    int ms = (int)(unix_ms - (int64_t)secs * 1000);
    struct tm tm;
    if (!gmtime_r(&secs, &tm)) {
        snprintf(buf, len, "1970-01-01T00:00:00.000Z");
        return;
    }
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

int spatia_event_writer_create(spatia_event_writer **out)
{
    if (!out)
        return SPATIA_EINVAL;
    *out = calloc(1, sizeof **out);
    return *out ? SPATIA_OK : SPATIA_NOMEM;
}

void spatia_event_writer_destroy(spatia_event_writer *w)
{
    if (!w)
        return;
    sb_free(&w->buf);
    free(w);
}

static double clamp01(double v)
{
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

/* A metadata value: proto3 map<string,string>, so numbers become strings. */
static void put_meta_num(sbuf *b, const char *key, double v, int *first)
{
    if (!*first)
        sb_putc(b, ',');
    *first = 0;
    sb_json_str(b, key);
    sb_putc(b, ':');
    if (isinf(v)) {
        sb_puts(b, "\"inf\"");
        return;
    }
    sb_putc(b, '"');
    sb_put_double(b, v);
    sb_putc(b, '"');
}

static void put_point(sbuf *b, double x, double y)
{
    sb_puts(b, "{\"x\":");
    sb_json_num(b, x);
    sb_puts(b, ",\"y\":");
    sb_json_num(b, y);
    sb_putc(b, '}');
}

static void put_person(sbuf *b, const spatia_person *p, int w, int h,
                       int with_tracking)
{
    int first = 1;
    sb_puts(b, "{\"type\":\"person\",\"id\":");
    sb_json_str(b, p->id);
    sb_puts(b, ",\"region\":{\"type\":\"RECTANGLE\",\"points\":[");
    put_point(b, clamp01((double)p->box.x1 / w),
              clamp01((double)p->box.y1 / h));
    sb_putc(b, ',');
    put_point(b, clamp01((double)p->box.x2 / w),
              clamp01((double)p->box.y2 / h));
    sb_puts(b, "]},\"confidence\":");
    sb_json_num(b, p->confidence);
    /* Uncalibrated values as spec §7.1: no ground plane, no orientation. */
    sb_puts(b, ",\"metadata\":{");
    put_meta_num(b, "centerGroundPointX", 0.0, &first);
    put_meta_num(b, "centerGroundPointY", 0.0, &first);
    put_meta_num(b, "footprintX", clamp01(p->foot_x), &first);
    put_meta_num(b, "footprintY", clamp01(p->foot_y), &first);
    put_meta_num(b, "groundOrientationAngle", INFINITY, &first);
    put_meta_num(b, "speed", 0.0, &first);
    if (with_tracking) {
        sb_puts(b, ",\"trackingId\":");
        sb_json_str(b, p->id);
    }
    sb_puts(b, "}}");
}

int spatia_event_format(spatia_event_writer *w, const spatia_event *ev,
                        const spatia_source_info *src, const char **json,
                        size_t *len)
{
    sbuf *b;
    char ts[40];
    int tracked;

    if (!w || !ev || !src || !json || !len || !ev->zone || !src->id ||
        src->width <= 0 || src->height <= 0 ||
        (ev->npeople > 0 && !ev->people) || ev->npeople < 0)
        return SPATIA_EINVAL;
    tracked = ev->type == SPATIA_EV_PERSON_LINE ||
              ev->type == SPATIA_EV_ZONE_ENTER_EXIT ||
              ev->type == SPATIA_EV_ZONE_DWELL;
    if (tracked && !ev->tracking_id)
        return SPATIA_EINVAL;
    b = &w->buf;
    sb_reset(b);

    sb_puts(b, "{\"events\":[{\"id\":");
    sb_json_str(b, ev->id);
    sb_puts(b, ",\"type\":");
    sb_json_str(b, spatia_event_type_name(ev->type));
    sb_puts(b, ",\"detectionIds\":[");
    for (int i = 0; i < ev->npeople; i++) {
        if (i)
            sb_putc(b, ',');
        sb_json_str(b, ev->people[i].id);
    }
    sb_puts(b, "],\"properties\":{");
    switch (ev->type) {
    case SPATIA_EV_PERSON_COUNT:
        sb_printf(b, "\"personCount\":%d", ev->person_count);
        break;
    case SPATIA_EV_PERSON_LINE:
    case SPATIA_EV_ZONE_ENTER_EXIT:
    case SPATIA_EV_ZONE_DWELL:
        sb_puts(b, "\"trackingId\":");
        sb_json_str(b, ev->tracking_id);
        sb_puts(b, ",\"status\":");
        sb_json_str(b, spatia_status_name(ev->status));
        if (ev->type == SPATIA_EV_PERSON_LINE)
            break;
        if (ev->side > 0)
            sb_printf(b, ",\"side\":\"%d\"", ev->side);
        else
            sb_puts(b, ",\"side\":\"\"");
        if (ev->type == SPATIA_EV_ZONE_DWELL) {
            sb_puts(b, ",\"dwellTime\":");
            sb_json_num(b, ev->dwell_ms);
            sb_puts(b, ",\"dwellFrames\":");
            sb_json_int(b, ev->dwell_frames);
        }
        break;
    case SPATIA_EV_PERSON_DISTANCE:
        sb_printf(b,
                  "\"personCount\":%d,\"averageDistance\":", ev->person_count);
        sb_json_num(b, ev->average_distance_ft);
        sb_puts(b, ",\"minimumDistanceThreshold\":");
        sb_json_num(b, ev->min_distance_ft);
        sb_puts(b, ",\"maximumDistanceThreshold\":");
        sb_json_num(b, ev->max_distance_ft);
        sb_puts(b, ",\"eventName\":");
        sb_json_str(b, ev->event_name ? ev->event_name : "unknown");
        sb_printf(b, ",\"distanceViolationPersonCount\":%d",
                  ev->violation_count);
        break;
    }
    sb_puts(b, "},\"zone\":");
    sb_json_str(b, ev->zone);
    if (ev->type == SPATIA_EV_PERSON_COUNT ||
        ev->type == SPATIA_EV_PERSON_DISTANCE) {
        sb_puts(b, ",\"trigger\":");
        sb_json_str(b, ev->trigger == SPATIA_TRIGGER_INTERVAL ? "interval"
                                                              : "event");
    }
    sb_puts(b, "}],\"sourceInfo\":{\"id\":");
    sb_json_str(b, src->id);
    spatia_format_time(src->time_ms, ts, sizeof ts);
    sb_puts(b, ",\"timestamp\":");
    sb_json_str(b, ts);
    sb_printf(b, ",\"width\":%d,\"height\":%d,\"frameId\":\"%lld\"", src->width,
              src->height, (long long)src->frame_id);
    sb_puts(b, ",\"imagePath\":\"\"},\"detections\":[");
    for (int i = 0; i < ev->npeople; i++) {
        if (i)
            sb_putc(b, ',');
        put_person(b, &ev->people[i], src->width, src->height, tracked);
    }
    sb_puts(b, "],\"schemaVersion\":\"2.0\"}");
    if (sb_failed(b))
        return SPATIA_NOMEM;
    *json = b->data;
    *len = b->len;
    return SPATIA_OK;
}
