/*
 * spatia/config.h - SPACEANALYTICS_CONFIG: zones, lines and their events.
 *
 * The parser accepts every form spec §5 lists (docs/azure-spatial-analysis.md
 * in ../shared): closed, open and self-intersecting polygons; `threshold` at
 * zone/line level or inside `config` (config wins); the legacy event aliases
 * (zone_crossing, enter, exit, enter/exit, people_distance) and the AVA
 * camelCase keys (outputFrequency, minimumDistanceThreshold, eventType ...);
 * a missing `events` array, which implies the operation's default event;
 * the whole config given as an object or as a JSON string holding it (as in
 * deployment manifests), or as a graph `parameters` object that has a
 * SPACEANALYTICS_CONFIG member.
 *
 * Errors name the file, the JSON path and what is wrong, in one line:
 *   "zones.json: $.zones[0].events[1].config.trigger: must be "event" or
 *    "interval", got "sometimes""
 *
 * Geometry is kept in normalized image coordinates (0..1, origin top-left,
 * y down), as configured.
 *
 * Choices where the sources are silent (spec §19) or lenient:
 * - Default event when `events` is missing, null or empty, per operation:
 *   personcount -> count, personcrossingline -> linecrossing,
 *   personcrossingpolygon -> zonecrossing, persondistance -> persondistance,
 *   spatialanalysis -> count for zones and linecrossing for lines; with the
 *   default config (trigger event, output_frequency 1, focus footprint,
 *   aggregation average) and the zone/line-level threshold if one is given.
 * - A config key is looked up in the event's `config` first, then on the
 *   event object itself (AVA events are flat), and `threshold` last at the
 *   zone/line level. snake_case and AVA camelCase spellings are both read.
 *   Event fields that are numbers may also be numeric strings ("16"), as
 *   AVA typed them; vertices and line points must be JSON numbers.
 * - Type, trigger, focus and aggregation values match ignoring ASCII case
 *   (so AVA "zoneCrossing" works); `type` is read before `eventType`.
 * - A null member counts as absent. Unknown members are ignored.
 * - AVA geometry is accepted: {"zone": {"name", "polygon": "<JSON>"},
 *   "events"} and {"line": {"name", "line": "[[x1,y1],[x2,y2]]"}}; in this
 *   form an event without a type means the operation's default event. A
 *   line may also be given as [[x1,y1],[x2,y2]] (or a string holding it).
 * - Polygons: the last vertex is dropped if it equals the first; at least 3
 *   distinct vertices are required; self-intersection is allowed; side
 *   numbering follows the given vertex order (no other vertex is removed).
 * - `target_side` (zone level) must be an integer in [0, npoly], which
 *   admits both the 0- and the 1-based reading (spec §18 #5).
 * - Zone and line names share one namespace and must be unique, because
 *   events report either in `zone`. Names are compared byte for byte.
 * - The document may be the config object, a JSON string holding it, an
 *   object with a SPACEANALYTICS_CONFIG member (key matched ignoring case;
 *   the misspelling SPACEANALYSIS_CONFIG of spec §3.1 is accepted too;
 *   object or string value), or a graph whose `parameters` has one. Paths
 *   in messages go through these, e.g. "$.SPACEANALYTICS_CONFIG.zones[0]";
 *   the "(line L, col C)" of a message is then relative to the string.
 * - Geometry the operation does not use is skipped without validation and
 *   a one-line warning "origin: $.lines: warning: ignored, ..." goes to
 *   stderr (not printed for an empty array).
 */
#ifndef SPATIA_CONFIG_H
#define SPATIA_CONFIG_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The operations of spec §2.1. */
typedef enum spatia_op {
    SPATIA_OP_PERSONCOUNT = 0, /* ...spatialanalysis-personcount */
    SPATIA_OP_CROSSINGLINE,    /* ...spatialanalysis-personcrossingline */
    SPATIA_OP_CROSSINGPOLYGON, /* ...spatialanalysis-personcrossingpolygon */
    SPATIA_OP_PERSONDISTANCE,  /* ...spatialanalysis-persondistance */
    SPATIA_OP_SPATIALANALYSIS  /* cognitiveservices.vision.spatialanalysis */
} spatia_op;

/* Event types of spec §5.5 (after alias resolution). */
typedef enum spatia_event_kind {
    SPATIA_EVENT_COUNT = 0,     /* "count" -> personCountEvent */
    SPATIA_EVENT_LINECROSSING,  /* "linecrossing" -> personLineEvent */
    SPATIA_EVENT_ZONECROSSING,  /* "zonecrossing" -> personZoneEnterExitEvent */
    SPATIA_EVENT_ZONEDWELLTIME, /* "zonedwelltime" -> personZoneDwellTimeEvent
                                 */
    SPATIA_EVENT_PERSONDISTANCE /* "persondistance" -> personDistanceEvent */
} spatia_event_kind;

typedef enum spatia_focus {
    SPATIA_FOCUS_FOOTPRINT = 0, /* estimated feet; bottom centre for now */
    SPATIA_FOCUS_BOTTOM_CENTER, /* "bottom_center" or "bottomCenter" */
    SPATIA_FOCUS_CENTER         /* box centre */
} spatia_focus;

typedef enum spatia_trigger {
    SPATIA_TRIGGER_EVENT = 0, /* on change / occurrence */
    SPATIA_TRIGGER_INTERVAL   /* periodic */
} spatia_trigger;

typedef enum spatia_aggregation {
    SPATIA_AGG_AVERAGE = 0,
    SPATIA_AGG_MODE
} spatia_aggregation;

typedef struct spatia_point {
    double x, y; /* normalized, 0..1 */
} spatia_point;

typedef struct spatia_event_cfg {
    spatia_event_kind kind;
    spatia_trigger trigger; /* default event */
    int output_frequency;   /* emit every N-th event, >= 1; default 1 */
    spatia_focus focus;     /* default footprint */
    int has_threshold;      /* 1 if threshold was given (event config
                               or legacy zone/line level) */
    double threshold;       /* raw value, >= 0: (0,1) fraction of frame
                               width, >= 1 pixels, 0 = none (§5.6) */
    int has_min_distance, has_max_distance;
    double min_distance_ft; /* persondistance, feet */
    double max_distance_ft; /* persondistance, feet */
    spatia_aggregation aggregation;
    double interval_s; /* legacy `interval` (seconds, >= 0) or 0;
                          stored only; does not set trigger */
} spatia_event_cfg;

typedef struct spatia_zone_cfg {
    char *name;
    spatia_point *poly; /* distinct vertices; a repeated closing vertex is
                           dropped, so side k is poly[k-1] -> poly[k % n] */
    int npoly;          /* >= 3 */
    spatia_event_cfg *events;
    int nevents;
    int has_target_side;
    int target_side; /* as given (zonedwelltime) */
} spatia_zone_cfg;

typedef struct spatia_line_cfg {
    char *name;
    spatia_point start, end; /* directed segment, start != end */
    spatia_event_cfg *events;
    int nevents;
} spatia_line_cfg;

typedef struct spatia_config {
    spatia_op op;
    spatia_zone_cfg *zones;
    int nzones;
    spatia_line_cfg *lines;
    int nlines;
} spatia_config;

/*
 * Maps an operation id to spatia_op. Accepts the full ids
 * ("cognitiveservices.vision.spatialanalysis-personcount"), the short names
 * ("personcount", "spatialanalysis"), and the ".debug",
 * ".livevideoanalytics", ".livevideoanalytics.debug" and
 * ".azurevideoanalyzer" suffixes (one suffix; matched ignoring case).
 * Returns SPATIA_OK or SPATIA_EINVAL.
 */
int spatia_op_parse(const char *name, spatia_op *op);

/* Short name of an operation ("personcount", ...); "unknown" if invalid. */
const char *spatia_op_name(spatia_op op);

/* Config-file spelling of an event kind ("count", "linecrossing", ...);
 * "unknown" if invalid. */
const char *spatia_event_kind_name(spatia_event_kind k);

/*
 * Parses a SPACEANALYTICS_CONFIG document of `len` bytes for operation `op`.
 * `origin` names the source in messages (a file name). Geometry that the
 * operation does not use is ignored with a warning on stderr (spec §18 #14);
 * an operation left with nothing to do is an error.
 * On failure writes one line "origin: $.path: what is wrong (line L, col C)"
 * to errbuf (truncated to errlen; errbuf may be NULL), leaves *out NULL.
 * The caller owns *out and frees it with spatia_config_destroy().
 * Returns SPATIA_OK, SPATIA_CONFIG, SPATIA_NOMEM, or SPATIA_EINVAL for a
 * NULL out/text or an unknown op.
 */
int spatia_config_parse(const char *text, size_t len, spatia_op op,
                        const char *origin, spatia_config **out, char *errbuf,
                        int errlen);

/* Reads and parses a file (origin = path). SPATIA_NOTFOUND when it does not
 * exist, SPATIA_IO when it cannot be read (e.g. a directory), SPATIA_CONFIG
 * when larger than 64 MiB; the message names the file. */
int spatia_config_load(const char *path, spatia_op op, spatia_config **out,
                       char *errbuf, int errlen);

/* Accepts NULL. */
void spatia_config_destroy(spatia_config *cfg);

#ifdef __cplusplus
}
#endif
#endif
