/*
 * spatia/events.h - Azure Spatial Analysis insights, schema 2.0.
 *
 * The analytics produce spatia_event values; this module turns one event into
 * one JSON message (one line) exactly as spec §6 and §16 describe:
 *   {"events":[{...}],"sourceInfo":{...},"detections":[...],
 *    "schemaVersion":"2.0"}
 * with the proto3-JSON quirks Azure had: `metadata` values as strings,
 * `frameId` as a string, RFC 3339 UTC timestamps with milliseconds and `Z`,
 * 32-hex lowercase ids, "Infinity" for an unbounded distance, `imagePath` "".
 *
 * A writer owns one growing buffer; formatting reuses it, so steady-state
 * output does not allocate.
 */
#ifndef SPATIA_EVENTS_H
#define SPATIA_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "spatia/config.h"
#include "spatia/types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum spatia_event_type {
    SPATIA_EV_PERSON_COUNT = 0, /* personCountEvent */
    SPATIA_EV_PERSON_LINE,      /* personLineEvent */
    SPATIA_EV_ZONE_ENTER_EXIT,  /* personZoneEnterExitEvent */
    SPATIA_EV_ZONE_DWELL,       /* personZoneDwellTimeEvent */
    SPATIA_EV_PERSON_DISTANCE   /* personDistanceEvent */
} spatia_event_type;

typedef enum spatia_status {
    SPATIA_STATUS_NONE = 0,
    SPATIA_STATUS_CROSS_LEFT,  /* "CrossLeft": right side -> left side */
    SPATIA_STATUS_CROSS_RIGHT, /* "CrossRight": left side -> right side */
    SPATIA_STATUS_ENTER,       /* "Enter" */
    SPATIA_STATUS_EXIT         /* "Exit" */
} spatia_status;

/* A person an event refers to (one entry of `detections`). */
typedef struct spatia_person {
    char id[33];           /* = trackingId */
    spatia_box box;        /* px in the processed frame */
    float confidence;      /* 0..1 */
    double foot_x, foot_y; /* normalized focus ("footprint") point */
} spatia_person;

typedef struct spatia_event {
    spatia_event_type type;
    char id[33];            /* event id, 32 hex */
    const char *zone;       /* zone or line name */
    spatia_trigger trigger; /* written for count and distance events */
    /* properties */
    const char *tracking_id; /* line, zone and dwell events */
    spatia_status status;
    int side;                   /* 1-based polygon side, 0 = "" */
    int person_count;           /* count and distance events */
    double dwell_ms;            /* dwell: ms from enter to exit */
    int64_t dwell_frames;       /* dwell: processed frames inside */
    double average_distance_ft; /* distance events */
    double min_distance_ft;     /* distance: minimumDistanceThreshold */
    double max_distance_ft;     /* distance: maximumDistanceThreshold
                                   (INFINITY is written "Infinity") */
    const char *event_name;     /* distance: "TooClose", "TooFar",
                                   "unknown" */
    int violation_count;        /* distance: distanceViolationPersonCount */
    /* the people the event refers to */
    const spatia_person *people;
    int npeople;
} spatia_event;

typedef struct spatia_source_info {
    const char *id;    /* VIDEO_SOURCE_ID */
    int64_t time_ms;   /* Unix time in ms written as `timestamp` */
    int width, height; /* processed frame size in px */
    int64_t frame_id;  /* frame counter, written as a string */
} spatia_source_info;

typedef struct spatia_event_writer spatia_event_writer;

int spatia_event_writer_create(spatia_event_writer **out);

/*
 * Formats one insight message for `ev` into the writer's buffer. On success
 * *json points at the NUL-terminated message (no trailing newline) and
 * *len holds its length; both stay valid until the next call.
 * Returns SPATIA_OK, SPATIA_EINVAL or SPATIA_NOMEM.
 */
int spatia_event_format(spatia_event_writer *w, const spatia_event *ev,
                        const spatia_source_info *src, const char **json,
                        size_t *len);

/* Accepts NULL. */
void spatia_event_writer_destroy(spatia_event_writer *w);

/* Schema names: "personLineEvent", "CrossLeft", ... */
const char *spatia_event_type_name(spatia_event_type t);
const char *spatia_status_name(spatia_status s);

/* Writes an RFC 3339 UTC time with milliseconds and Z, e.g.
 * "2020-08-24T06:06:57.224Z", into buf (>= 25 bytes). */
void spatia_format_time(int64_t unix_ms, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
