/*
 * config.c - SPACEANALYTICS_CONFIG parser (see spatia/config.h).
 *
 * The document is read with the strict JSON reader into a tree, then walked
 * once while a JSON path ("$.zones[0].events[1].config.trigger") is kept in
 * a small buffer, so every error can say exactly where it is. The walk is
 * tolerant of every spelling spec §5 lists (legacy positions, aliases, AVA
 * camelCase keys, numbers written as strings) and strict about values: a
 * value that is present but wrong is an error, never silently defaulted.
 *
 * Two places may hold JSON inside a JSON string (a manifest-escaped
 * SPACEANALYTICS_CONFIG and an AVA polygon/line string). Such a string is
 * parsed into its own document; paths continue through it as if the value
 * had been embedded, and line/col positions are then relative to the string.
 *
 * Nothing here is on a hot path; clarity wins over speed, but nothing is
 * quadratic in the input size (duplicate names are found by sorting).
 */
#include "spatia/config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/file.h"
#include "core/json.h"
#include "spatia/error.h"

#define CONFIG_MAX_FILE (64u << 20) /* bytes; spatia_config_load limit */
#define MAX_STRING_DOCS 4           /* nested JSON strings alive at once */

typedef struct name_ref {
    const char *name; /* owned by the config */
    int is_line;
    int index;  /* in zones[] or lines[] */
    int nested; /* AVA form: name sits in .zone / .line */
    int line, col;
} name_ref;

typedef struct pctx {
    const char *origin;
    char *err;
    int errlen;
    spatia_op op;
    char path[512];
    size_t plen;
    const char *where; /* "" or " of the string": line/col context */
    json_doc *docs[MAX_STRING_DOCS];
    int ndocs;
    name_ref *names;
    int nnames;
} pctx;

static const char *const k_event_names[] = {
    "count", "linecrossing", "zonecrossing", "zonedwelltime", "persondistance"};

static const char *const k_op_names[] = {"personcount", "personcrossingline",
                                         "personcrossingpolygon",
                                         "persondistance", "spatialanalysis"};

#define VALID_TYPES                                                            \
    "count, linecrossing, zonecrossing, zonedwelltime, persondistance "        \
    "(aliases: zone_crossing, enter, exit, enter/exit, people_distance)"

/* ---- messages ---------------------------------------------------------- */

/* Writes one line "origin: path: msg[ (line L, col C...)]" to the error
 * buffer. `at` (may be NULL) supplies the position. Returns SPATIA_CONFIG. */
static int fail(pctx *c, const json_value *at, const char *fmt, ...)
{
    char msg[384];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->err && c->errlen > 0) {
        if (at)
            snprintf(c->err, (size_t)c->errlen,
                     "%s: %s: %s (line %d, col %d%s)", c->origin, c->path, msg,
                     at->line, at->col, c->where);
        else
            snprintf(c->err, (size_t)c->errlen, "%s: %s: %s", c->origin,
                     c->path, msg);
    }
    return SPATIA_CONFIG;
}

static int nomem(pctx *c)
{
    if (c->err && c->errlen > 0)
        snprintf(c->err, (size_t)c->errlen, "%s: out of memory", c->origin);
    return SPATIA_NOMEM;
}

/* Quotes up to 40 bytes of a string for a message: control bytes, quotes
 * and backslashes are escaped so the message stays on one line. */
static const char *quote(char *buf, size_t n, const char *s, size_t len)
{
    size_t o = 0, i;
    const size_t max_in = 40;

    buf[o++] = '"';
    for (i = 0; i < len && i < max_in && o + 6 < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f || ch == '"' || ch == '\\') {
            if (ch == '"' || ch == '\\') {
                buf[o++] = '\\';
                buf[o++] = (char)ch;
            } else {
                o += (size_t)snprintf(buf + o, n - o, "\\x%02x", ch);
            }
        } else {
            buf[o++] = (char)ch;
        }
    }
    if (i < len) {
        /* do not leave half a UTF-8 sequence before the ellipsis */
        while (o > 1 && ((unsigned char)buf[o - 1] & 0xC0) == 0x80)
            o--;
        if (o > 1 && ((unsigned char)buf[o - 1] & 0xC0) == 0xC0)
            o--;
        if (o + 4 < n) {
            memcpy(buf + o, "...", 3);
            o += 3;
        }
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

/* Describes a value for "got ..." in messages. */
static const char *describe(char *buf, size_t n, const json_value *v)
{
    if (v->type == JSON_STRING)
        return quote(buf, n, v->str, v->len);
    if (v->type == JSON_NUMBER) {
        snprintf(buf, n, "%g", v->number);
        return buf;
    }
    if (v->type == JSON_BOOL)
        return v->boolean ? "true" : "false";
    return json_type_name(v->type);
}

/* ---- JSON path --------------------------------------------------------- */

static size_t path_key(pctx *c, const char *key)
{
    size_t old = c->plen;
    int w = snprintf(c->path + c->plen, sizeof c->path - c->plen, ".%s", key);
    c->plen += (size_t)w;
    if (c->plen >= sizeof c->path)
        c->plen = sizeof c->path - 1;
    return old;
}

static size_t path_idx(pctx *c, int i)
{
    size_t old = c->plen;
    int w = snprintf(c->path + c->plen, sizeof c->path - c->plen, "[%d]", i);
    c->plen += (size_t)w;
    if (c->plen >= sizeof c->path)
        c->plen = sizeof c->path - 1;
    return old;
}

static void path_pop(pctx *c, size_t old)
{
    c->plen = old;
    c->path[old] = '\0';
}

/* ---- value helpers ----------------------------------------------------- */

/* First member named by one of `names` (exact match, in order of the list);
 * a null value counts as absent. */
static const json_value *member(const json_value *obj, const char *a,
                                const char *b)
{
    const json_value *v = json_get(obj, a);
    if ((!v || v->type == JSON_NULL) && b)
        v = json_get(obj, b);
    if (v && v->type == JSON_NULL)
        return NULL;
    return v;
}

/* True if string value v equals s ignoring ASCII case (no embedded NUL). */
static int str_ieq(const json_value *v, const char *s)
{
    size_t n = strlen(s);
    return v->type == JSON_STRING && v->len == n && strlen(v->str) == n &&
           strncasecmp(v->str, s, n) == 0;
}

/* Parses a number written as a string ("16", "0.5", "1e-3"). Hex, inf,
 * nan, spaces and trailing text are refused. Returns 0 on success. */
static int num_from_string(const char *s, size_t len, double *out)
{
    char tmp[64];
    char *end;

    if (len == 0 || len >= sizeof tmp || strlen(s) != len)
        return -1;
    for (size_t i = 0; i < len; i++)
        if (!strchr("0123456789+-.eE", s[i]))
            return -1;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    errno = 0;
    double v = strtod(tmp, &end);
    if (end != tmp + len || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

/* A number, or a numeric string (AVA typed every event field as a string).
 * The current path must name v. */
static int get_num(pctx *c, const json_value *v, const char *what, double *out)
{
    char b[64];
    if (v->type == JSON_NUMBER) {
        *out = v->number;
        return 0;
    }
    if (v->type == JSON_STRING && num_from_string(v->str, v->len, out) == 0)
        return 0;
    return fail(c, v, "must be %s, got %s", what, describe(b, sizeof b, v));
}

static int get_nonneg(pctx *c, const json_value *v, const char *what,
                      double *out)
{
    char b[64];
    if (get_num(c, v, what, out))
        return SPATIA_CONFIG;
    if (*out < 0)
        return fail(c, v, "must be %s, got %s", what, describe(b, sizeof b, v));
    return 0;
}

/* An integer in [lo, hi] (number or numeric string). */
static int get_int(pctx *c, const json_value *v, const char *what, int lo,
                   int hi, int *out)
{
    char b[64];
    double d;
    if (get_num(c, v, what, &d))
        return SPATIA_CONFIG;
    if (d != floor(d) || d < lo || d > hi)
        return fail(c, v, "must be %s, got %s", what, describe(b, sizeof b, v));
    *out = (int)d;
    return 0;
}

/* Parses the JSON text held by string value v (AVA polygon, manifest-escaped
 * config). The new document stays alive until the parse ends. */
static int parse_string_doc(pctx *c, const json_value *v,
                            const json_value **root)
{
    json_doc *d = NULL;
    json_error je;
    int rc;

    if (c->ndocs == MAX_STRING_DOCS)
        return fail(c, v, "JSON strings nested too deeply");
    memset(&je, 0, sizeof je);
    rc = json_parse(v->str, v->len, &d, &je);
    if (rc == SPATIA_NOMEM)
        return nomem(c);
    if (rc)
        return fail(c, v,
                    "string is not valid JSON (line %d, column %d inside "
                    "the string): %s",
                    je.line, je.col, je.msg);
    c->docs[c->ndocs++] = d;
    *root = json_root(d);
    return 0;
}

/* Frees the most recent string document (geometry strings are not needed
 * once their points are copied). */
static void pop_doc(pctx *c)
{
    if (c->ndocs > 0)
        json_doc_free(c->docs[--c->ndocs]);
}

/* ---- geometry ---------------------------------------------------------- */

/* One coordinate in [0, 1]; path names v. */
static int get_coord(pctx *c, const json_value *v, const char *axis,
                     double *out)
{
    char b[64];
    if (v->type != JSON_NUMBER)
        return fail(c, v, "%s must be a number, got %s", axis,
                    describe(b, sizeof b, v));
    if (!(v->number >= 0.0 && v->number <= 1.0))
        return fail(c, v,
                    "%s = %g is outside [0, 1]: geometry uses normalized "
                    "coordinates (pixel / frame size, origin top-left)",
                    axis, v->number);
    *out = v->number;
    return 0;
}

/* A vertex [x, y]; path names v. */
static int get_pair(pctx *c, const json_value *v, spatia_point *p)
{
    char b[64];
    size_t p0;
    if (v->type != JSON_ARRAY || v->count != 2 ||
        v->child->type != JSON_NUMBER || v->child->next->type != JSON_NUMBER)
        return fail(c, v, "vertex must be a pair of numbers [x, y], got %s",
                    v->type == JSON_ARRAY
                        ? (v->count != 2 ? "an array of another length"
                                         : "an array of non-numbers")
                        : describe(b, sizeof b, v));
    p0 = path_idx(c, 0);
    if (get_coord(c, v->child, "x", &p->x))
        return SPATIA_CONFIG;
    path_pop(c, p0);
    path_idx(c, 1);
    if (get_coord(c, v->child->next, "y", &p->y))
        return SPATIA_CONFIG;
    path_pop(c, p0);
    return 0;
}

static int same_point(spatia_point a, spatia_point b)
{
    return a.x == b.x && a.y == b.y;
}

/* Path names the polygon value v. */
static int parse_polygon(pctx *c, const json_value *v, spatia_zone_cfg *z)
{
    const char *saved_where = c->where;
    const json_value *arr = v;
    const json_value *e;
    spatia_point *pts;
    int n, i, rc;

    if (v->type == JSON_STRING) { /* AVA: "polygon": "[[x,y],...]" */
        if ((rc = parse_string_doc(c, v, &arr)))
            return rc;
        c->where = " of the string";
    }
    if (arr->type != JSON_ARRAY) {
        char b[64];
        rc = fail(c, arr, "must be an array of [x, y] vertices, got %s",
                  describe(b, sizeof b, arr));
        goto out;
    }
    if (arr->count < 3) {
        rc = fail(c, arr, "a polygon needs at least 3 vertices, got %d",
                  arr->count);
        goto out;
    }
    pts = malloc(sizeof *pts * (size_t)arr->count);
    if (!pts) {
        rc = nomem(c);
        goto out;
    }
    z->poly = pts;
    for (e = arr->child, i = 0; e; e = e->next, i++) {
        size_t p0 = path_idx(c, i);
        if ((rc = get_pair(c, e, &pts[i])))
            goto out;
        path_pop(c, p0);
    }
    n = arr->count;
    if (same_point(pts[n - 1], pts[0])) /* closed ring: drop the repeat */
        n--;
    z->npoly = n;
    /* at least 3 distinct vertices: find one != p0, then one != both */
    {
        int j = 1, k;
        while (j < n && same_point(pts[j], pts[0]))
            j++;
        for (k = j + 1; k < n; k++)
            if (!same_point(pts[k], pts[0]) && !same_point(pts[k], pts[j]))
                break;
        if (j >= n || k >= n) {
            rc = fail(c, arr,
                      "a polygon needs at least 3 distinct vertices, got %d",
                      j >= n ? 1 : 2);
            goto out;
        }
    }
    rc = 0;
out:
    if (v->type == JSON_STRING && arr != v)
        pop_doc(c);
    c->where = saved_where;
    return rc;
}

/* {"x": .., "y": ..}; path names v. */
static int parse_xy(pctx *c, const json_value *v, spatia_point *p)
{
    char b[64];
    const json_value *x, *y;
    size_t p0;
    if (v->type != JSON_OBJECT)
        return fail(c, v, "must be a point {\"x\": .., \"y\": ..}, got %s",
                    describe(b, sizeof b, v));
    x = member(v, "x", NULL);
    y = member(v, "y", NULL);
    if (!x || !y)
        return fail(c, v, "missing \"%s\" (a point is {\"x\": .., \"y\": ..})",
                    x ? "y" : "x");
    p0 = path_key(c, "x");
    if (get_coord(c, x, "x", &p->x))
        return SPATIA_CONFIG;
    path_pop(c, p0);
    path_key(c, "y");
    if (get_coord(c, y, "y", &p->y))
        return SPATIA_CONFIG;
    path_pop(c, p0);
    return 0;
}

/* The segment: {start:{x,y}, end:{x,y}}, or [[x1,y1],[x2,y2]], or a string
 * holding the latter (AVA). Path names v. */
static int parse_segment(pctx *c, const json_value *v, spatia_line_cfg *l)
{
    const char *saved_where = c->where;
    const json_value *g = v;
    char b[64];
    int rc;

    if (v->type == JSON_STRING) {
        if ((rc = parse_string_doc(c, v, &g)))
            return rc;
        c->where = " of the string";
    }
    if (g->type == JSON_OBJECT) {
        const json_value *s = member(g, "start", NULL);
        const json_value *e = member(g, "end", NULL);
        size_t p0;
        if (!s || !e) {
            rc = fail(c, g,
                      "missing \"%s\" (a line is {\"start\": {\"x\", "
                      "\"y\"}, \"end\": {\"x\", \"y\"}})",
                      s ? "end" : "start");
            goto out;
        }
        p0 = path_key(c, "start");
        if ((rc = parse_xy(c, s, &l->start)))
            goto out;
        path_pop(c, p0);
        path_key(c, "end");
        if ((rc = parse_xy(c, e, &l->end)))
            goto out;
        path_pop(c, p0);
    } else if (g->type == JSON_ARRAY && g->count == 2) {
        size_t p0 = path_idx(c, 0);
        if ((rc = get_pair(c, g->child, &l->start)))
            goto out;
        path_pop(c, p0);
        path_idx(c, 1);
        if ((rc = get_pair(c, g->child->next, &l->end)))
            goto out;
        path_pop(c, p0);
    } else {
        rc = fail(c, g,
                  "must be {\"start\": {\"x\", \"y\"}, \"end\": {\"x\", "
                  "\"y\"}}, got %s",
                  describe(b, sizeof b, g));
        goto out;
    }
    if (same_point(l->start, l->end)) {
        rc = fail(c, g, "zero-length line: start and end are the same point");
        goto out;
    }
    rc = 0;
out:
    if (v->type == JSON_STRING && g != v)
        pop_doc(c);
    c->where = saved_where;
    return rc;
}

/* "name": non-empty string without NUL; obj holds it. Path names obj. */
static int parse_name(pctx *c, const json_value *obj, const char *what,
                      char **out, const json_value **nv)
{
    char b[64];
    const json_value *v = member(obj, "name", NULL);
    size_t p0;
    if (!v)
        return fail(c, obj, "%s has no \"name\"", what);
    p0 = path_key(c, "name");
    if (v->type != JSON_STRING || v->len == 0)
        return fail(c, v, "must be a non-empty string, got %s",
                    describe(b, sizeof b, v));
    if (strlen(v->str) != v->len)
        return fail(c, v, "must not contain a NUL character");
    path_pop(c, p0);
    *out = strdup(v->str);
    if (!*out)
        return nomem(c);
    *nv = v;
    return 0;
}

/* ---- events ------------------------------------------------------------ */

/* Resolves a type string (case-insensitive) incl. aliases; -1 if unknown. */
static int event_kind_from(const json_value *v)
{
    static const struct {
        const char *s;
        spatia_event_kind k;
    } t[] = {
        {"count", SPATIA_EVENT_COUNT},
        {"linecrossing", SPATIA_EVENT_LINECROSSING},
        {"zonecrossing", SPATIA_EVENT_ZONECROSSING},
        {"zonedwelltime", SPATIA_EVENT_ZONEDWELLTIME},
        {"persondistance", SPATIA_EVENT_PERSONDISTANCE},
        {"zone_crossing", SPATIA_EVENT_ZONECROSSING},
        {"enter", SPATIA_EVENT_ZONECROSSING},
        {"exit", SPATIA_EVENT_ZONECROSSING},
        {"enter/exit", SPATIA_EVENT_ZONECROSSING},
        {"people_distance", SPATIA_EVENT_PERSONDISTANCE},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (str_ieq(v, t[i].s))
            return (int)t[i].k;
    return -1;
}

static int op_allows(spatia_op op, spatia_event_kind k)
{
    switch (op) {
    case SPATIA_OP_PERSONCOUNT:
        return k == SPATIA_EVENT_COUNT;
    case SPATIA_OP_CROSSINGLINE:
        return k == SPATIA_EVENT_LINECROSSING;
    case SPATIA_OP_CROSSINGPOLYGON:
        return k == SPATIA_EVENT_ZONECROSSING ||
               k == SPATIA_EVENT_ZONEDWELLTIME;
    case SPATIA_OP_PERSONDISTANCE:
        return k == SPATIA_EVENT_PERSONDISTANCE;
    case SPATIA_OP_SPATIALANALYSIS:
        return 1;
    }
    return 0;
}

static const char *op_events(spatia_op op)
{
    switch (op) {
    case SPATIA_OP_PERSONCOUNT:
        return "count";
    case SPATIA_OP_CROSSINGLINE:
        return "linecrossing";
    case SPATIA_OP_CROSSINGPOLYGON:
        return "zonecrossing, zonedwelltime";
    case SPATIA_OP_PERSONDISTANCE:
        return "persondistance";
    case SPATIA_OP_SPATIALANALYSIS:
        break;
    }
    return VALID_TYPES;
}

static spatia_event_kind default_kind(spatia_op op, int is_line)
{
    switch (op) {
    case SPATIA_OP_PERSONCOUNT:
        return SPATIA_EVENT_COUNT;
    case SPATIA_OP_CROSSINGLINE:
        return SPATIA_EVENT_LINECROSSING;
    case SPATIA_OP_CROSSINGPOLYGON:
        return SPATIA_EVENT_ZONECROSSING;
    case SPATIA_OP_PERSONDISTANCE:
        return SPATIA_EVENT_PERSONDISTANCE;
    case SPATIA_OP_SPATIALANALYSIS:
        break;
    }
    return is_line ? SPATIA_EVENT_LINECROSSING : SPATIA_EVENT_COUNT;
}

static void event_defaults(spatia_event_cfg *e, spatia_event_kind k,
                           int has_legacy, double legacy_threshold)
{
    memset(e, 0, sizeof *e);
    e->kind = k;
    e->trigger = SPATIA_TRIGGER_EVENT;
    e->output_frequency = 1;
    e->focus = SPATIA_FOCUS_FOOTPRINT;
    e->aggregation = SPATIA_AGG_AVERAGE;
    e->has_threshold = has_legacy;
    e->threshold = has_legacy ? legacy_threshold : 0.0;
}

/* A config key: looked up in `config` first, then on the event object itself
 * (AVA events are flat). On return the path names the value found. */
static const json_value *ev_key(pctx *c, const json_value *cfg,
                                const json_value *ev, const char *a,
                                const char *b, size_t *p0)
{
    const json_value *v = cfg ? member(cfg, a, b) : NULL;
    if (v) {
        *p0 = path_key(c, "config");
        path_key(c, v->key);
        return v;
    }
    v = member(ev, a, b);
    if (v)
        *p0 = path_key(c, v->key);
    return v;
}

/* Reads the config keys of one event into e. Path names the event. */
static int parse_event_config(pctx *c, const json_value *ev,
                              const json_value *cfg, spatia_event_cfg *e)
{
    const json_value *v;
    size_t p0;
    char b[64];
    const char *kname = k_event_names[e->kind];

    if ((v = ev_key(c, cfg, ev, "trigger", NULL, &p0))) {
        if (str_ieq(v, "event")) {
            e->trigger = SPATIA_TRIGGER_EVENT;
        } else if (str_ieq(v, "interval")) {
            if (e->kind != SPATIA_EVENT_COUNT &&
                e->kind != SPATIA_EVENT_PERSONDISTANCE)
                return fail(c, v,
                            "trigger \"interval\" is only valid for count "
                            "and persondistance events, not %s (use "
                            "\"event\")",
                            kname);
            e->trigger = SPATIA_TRIGGER_INTERVAL;
        } else {
            return fail(c, v, "must be \"event\" or \"interval\", got %s",
                        describe(b, sizeof b, v));
        }
        path_pop(c, p0);
    }
    if ((v = ev_key(c, cfg, ev, "output_frequency", "outputFrequency", &p0))) {
        if (get_int(c, v, "an integer >= 1", 1, INT_MAX, &e->output_frequency))
            return SPATIA_CONFIG;
        path_pop(c, p0);
    }
    if ((v = ev_key(c, cfg, ev, "focus", NULL, &p0))) {
        if (str_ieq(v, "footprint"))
            e->focus = SPATIA_FOCUS_FOOTPRINT;
        else if (str_ieq(v, "bottom_center") || str_ieq(v, "bottomCenter"))
            e->focus = SPATIA_FOCUS_BOTTOM_CENTER;
        else if (str_ieq(v, "center"))
            e->focus = SPATIA_FOCUS_CENTER;
        else
            return fail(c, v,
                        "must be \"footprint\", \"bottom_center\" "
                        "(\"bottomCenter\") or \"center\", got %s",
                        describe(b, sizeof b, v));
        path_pop(c, p0);
    }
    if ((v = ev_key(c, cfg, ev, "threshold", NULL, &p0))) {
        if (get_nonneg(c, v, "a number >= 0", &e->threshold))
            return SPATIA_CONFIG;
        e->has_threshold = 1; /* config wins over the zone/line level */
        path_pop(c, p0);
    }
    if ((v = ev_key(c, cfg, ev, "minimum_distance_threshold",
                    "minimumDistanceThreshold", &p0))) {
        if (get_nonneg(c, v, "a distance >= 0 (feet)", &e->min_distance_ft))
            return SPATIA_CONFIG;
        e->has_min_distance = 1;
        path_pop(c, p0);
    }
    if ((v = ev_key(c, cfg, ev, "maximum_distance_threshold",
                    "maximumDistanceThreshold", &p0))) {
        if (get_nonneg(c, v, "a distance >= 0 (feet)", &e->max_distance_ft))
            return SPATIA_CONFIG;
        e->has_max_distance = 1;
        if (e->has_min_distance && e->min_distance_ft > e->max_distance_ft)
            return fail(c, v,
                        "maximum distance %g ft is smaller than the minimum "
                        "distance %g ft",
                        e->max_distance_ft, e->min_distance_ft);
        path_pop(c, p0);
    }
    if ((v = ev_key(c, cfg, ev, "aggregation_method", "aggregationMethod",
                    &p0))) {
        if (str_ieq(v, "average"))
            e->aggregation = SPATIA_AGG_AVERAGE;
        else if (str_ieq(v, "mode"))
            e->aggregation = SPATIA_AGG_MODE;
        else
            return fail(c, v, "must be \"average\" or \"mode\", got %s",
                        describe(b, sizeof b, v));
        path_pop(c, p0);
    }
    if ((v = ev_key(c, cfg, ev, "interval", NULL, &p0))) {
        if (get_nonneg(c, v, "a number of seconds >= 0", &e->interval_s))
            return SPATIA_CONFIG;
        path_pop(c, p0);
    }
    return 0;
}

/* One event. Path names the event. `ava` lets a missing type mean the
 * operation's default (AVA typed operations imply the event type). */
static int parse_event(pctx *c, const json_value *ev, int is_line, int ava,
                       int has_legacy, double legacy, spatia_event_cfg *e)
{
    char b[64];
    const json_value *t, *cfg;
    int k;
    size_t p0;

    if (ev->type != JSON_OBJECT)
        return fail(c, ev,
                    "an event must be an object {\"type\", \"config\"}, "
                    "got %s",
                    describe(b, sizeof b, ev));
    t = member(ev, "type", "eventType");
    if (!t) {
        if (!ava)
            return fail(c, ev, "event has no \"type\"; valid types: %s",
                        op_events(c->op));
        k = (int)default_kind(c->op, is_line);
    } else {
        p0 = path_key(c, t->key);
        if (t->type != JSON_STRING)
            return fail(c, t, "must be a string (one of %s), got %s",
                        op_events(c->op), describe(b, sizeof b, t));
        k = event_kind_from(t);
        if (k < 0)
            return fail(c, t, "unknown event type %s; valid types: %s",
                        describe(b, sizeof b, t), VALID_TYPES);
        if (is_line && k != SPATIA_EVENT_LINECROSSING)
            return fail(c, t,
                        "event type %s is for zones; a line supports only "
                        "linecrossing",
                        describe(b, sizeof b, t));
        if (!is_line && k == SPATIA_EVENT_LINECROSSING)
            return fail(c, t,
                        "event type %s needs a line; a zone supports count, "
                        "zonecrossing, zonedwelltime and persondistance",
                        describe(b, sizeof b, t));
        if (!op_allows(c->op, (spatia_event_kind)k))
            return fail(c, t,
                        "event type %s is not valid for operation %s "
                        "(valid: %s)",
                        describe(b, sizeof b, t), k_op_names[c->op],
                        op_events(c->op));
        path_pop(c, p0);
    }
    event_defaults(e, (spatia_event_kind)k, has_legacy, legacy);
    cfg = member(ev, "config", NULL);
    if (cfg && cfg->type != JSON_OBJECT) {
        p0 = path_key(c, "config");
        return fail(c, cfg, "must be an object, got %s",
                    describe(b, sizeof b, cfg));
    }
    return parse_event_config(c, ev, cfg, e);
}

/* "events" of a zone or line held in obj; path names obj. */
static int parse_events(pctx *c, const json_value *obj, int is_line, int ava,
                        spatia_event_cfg **out, int *nout)
{
    char b[64];
    const json_value *legacy_v = member(obj, "threshold", NULL);
    const json_value *evs = member(obj, "events", NULL);
    double legacy = 0.0;
    int has_legacy = 0, i, rc;
    size_t p0;
    spatia_event_cfg *arr;

    if (legacy_v) {
        p0 = path_key(c, "threshold");
        if (get_nonneg(c, legacy_v, "a number >= 0", &legacy))
            return SPATIA_CONFIG;
        has_legacy = 1;
        path_pop(c, p0);
    }
    if (evs && evs->type != JSON_ARRAY) {
        path_key(c, "events");
        return fail(c, evs, "must be an array of event objects, got %s",
                    describe(b, sizeof b, evs));
    }
    if (!evs || evs->count == 0) { /* the operation's default event */
        arr = malloc(sizeof *arr);
        if (!arr)
            return nomem(c);
        event_defaults(arr, default_kind(c->op, is_line), has_legacy, legacy);
        *out = arr;
        *nout = 1;
        return 0;
    }
    arr = calloc((size_t)evs->count, sizeof *arr);
    if (!arr)
        return nomem(c);
    *out = arr;
    *nout = evs->count;
    p0 = path_key(c, "events");
    i = 0;
    for (const json_value *ev = evs->child; ev; ev = ev->next, i++) {
        size_t p1 = path_idx(c, i);
        rc = parse_event(c, ev, is_line, ava, has_legacy, legacy, &arr[i]);
        if (rc)
            return rc;
        path_pop(c, p1);
    }
    path_pop(c, p0);
    return 0;
}

/* ---- zones and lines --------------------------------------------------- */

static void add_name(pctx *c, const char *name, int is_line, int index,
                     int nested, const json_value *nv)
{
    name_ref *r = &c->names[c->nnames++];
    r->name = name;
    r->is_line = is_line;
    r->index = index;
    r->nested = nested;
    r->line = nv->line;
    r->col = nv->col;
}

/* Path names the zone. */
static int parse_zone(pctx *c, const json_value *zv, int idx,
                      spatia_zone_cfg *z)
{
    char b[64];
    const json_value *geo = zv, *v, *nv;
    int nested = 0, rc;
    size_t p0 = c->plen;

    if (zv->type != JSON_OBJECT)
        return fail(c, zv,
                    "a zone must be an object {\"name\", \"polygon\", "
                    "\"events\"}, got %s",
                    describe(b, sizeof b, zv));
    /* AVA: {"zone": {"@type", "name", "polygon": "<JSON>"}, "events"} */
    if (!member(zv, "name", NULL) && !member(zv, "polygon", NULL) &&
        (v = member(zv, "zone", NULL)) && v->type == JSON_OBJECT) {
        geo = v;
        nested = 1;
        path_key(c, "zone");
    }
    if ((rc = parse_name(c, geo, "a zone", &z->name, &nv)))
        return rc;
    add_name(c, z->name, 0, idx, nested, nv);
    v = member(geo, "polygon", NULL);
    if (!v)
        return fail(c, geo, "zone has no \"polygon\" ([[x, y], ...])");
    path_key(c, "polygon");
    if ((rc = parse_polygon(c, v, z)))
        return rc;
    path_pop(c, p0);
    if ((v = member(zv, "target_side", NULL))) {
        path_key(c, "target_side");
        if (get_int(c, v, "an integer side number in [0, N] (N = sides)", 0,
                    z->npoly, &z->target_side))
            return SPATIA_CONFIG;
        z->has_target_side = 1;
        path_pop(c, p0);
    }
    return parse_events(c, zv, 0, nested, &z->events, &z->nevents);
}

/* Path names the line entry. */
static int parse_line(pctx *c, const json_value *lv, int idx,
                      spatia_line_cfg *l)
{
    char b[64];
    const json_value *geo = lv, *v, *nv;
    int nested = 0, rc;
    size_t p0 = c->plen;

    if (lv->type != JSON_OBJECT)
        return fail(c, lv,
                    "a line must be an object {\"name\", \"line\", "
                    "\"events\"}, got %s",
                    describe(b, sizeof b, lv));
    /* AVA: {"line": {"@type", "name", "line": "[[x1,y1],[x2,y2]]"}, ...} */
    v = member(lv, "line", NULL);
    if (!member(lv, "name", NULL) && v && v->type == JSON_OBJECT &&
        member(v, "name", NULL) && !member(v, "start", NULL)) {
        geo = v;
        nested = 1;
        path_key(c, "line");
    }
    if ((rc = parse_name(c, geo, "a line", &l->name, &nv)))
        return rc;
    add_name(c, l->name, 1, idx, nested, nv);
    v = member(geo, "line", NULL);
    if (!v)
        return fail(c, geo,
                    "line has no \"line\" ({\"start\": {\"x\", \"y\"}, "
                    "\"end\": {\"x\", \"y\"}})");
    path_key(c, "line");
    if ((rc = parse_segment(c, v, l)))
        return rc;
    path_pop(c, p0);
    return parse_events(c, lv, 1, nested, &l->events, &l->nevents);
}

static int cmp_names(const void *a, const void *b)
{
    const name_ref *x = a, *y = b;
    int r = strcmp(x->name, y->name);
    if (r)
        return r;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->col < y->col ? -1 : x->col > y->col;
}

static void name_path(const char *base, const name_ref *r, char *buf, size_t n)
{
    snprintf(buf, n, "%.200s.%s[%d]%s.name", base,
             r->is_line ? "lines" : "zones", r->index,
             r->nested ? (r->is_line ? ".line" : ".zone") : "");
}

/* Zones and lines share one namespace: events carry the name in `zone`. */
static int check_duplicates(pctx *c, const char *base)
{
    const name_ref *dup = NULL, *first = NULL;
    char q[64], other[300];

    if (c->nnames < 2)
        return 0;
    qsort(c->names, (size_t)c->nnames, sizeof *c->names, cmp_names);
    for (int i = 1; i < c->nnames; i++) {
        const name_ref *a = &c->names[i - 1], *b = &c->names[i];
        if (strcmp(a->name, b->name))
            continue;
        /* report the earliest second occurrence in document order */
        if (!dup || b->line < dup->line ||
            (b->line == dup->line && b->col < dup->col)) {
            int j = i - 1;
            while (j > 0 && !strcmp(c->names[j - 1].name, b->name))
                j--;
            dup = b;
            first = &c->names[j];
        }
    }
    if (!dup)
        return 0;
    name_path(base, dup, c->path, sizeof c->path);
    c->plen = strlen(c->path);
    name_path(base, first, other, sizeof other);
    {
        json_value at;
        memset(&at, 0, sizeof at);
        at.line = dup->line;
        at.col = dup->col;
        return fail(c, &at,
                    "duplicate name %s (also used by %s); zone and line "
                    "names must be unique",
                    quote(q, sizeof q, dup->name, strlen(dup->name)), other);
    }
}

/* ---- top level --------------------------------------------------------- */

static int uses_zones(spatia_op op)
{
    return op != SPATIA_OP_CROSSINGLINE;
}

static int uses_lines(spatia_op op)
{
    return op == SPATIA_OP_CROSSINGLINE || op == SPATIA_OP_SPATIALANALYSIS;
}

static void warn_ignored(pctx *c, const json_value *v, const char *what)
{
    if (v->type == JSON_ARRAY && v->count == 0)
        return;
    fprintf(stderr,
            "%s: %s.%s: warning: ignored, operation %s uses %s only "
            "(line %d, col %d%s)\n",
            c->origin, c->path, what, k_op_names[c->op],
            uses_lines(c->op) ? "lines" : "zones", v->line, v->col, c->where);
}

/* Finds the config object: the root itself, a string holding it, or the
 * SPACEANALYTICS_CONFIG member of a graph `parameters` object (or of a
 * graph holding `parameters`). Sets the path to where it was found. */
static int find_config(pctx *c, const json_value *root, const json_value **out)
{
    char b[64];
    const json_value *v = root;

    for (int hops = 0; hops < 4; hops++) {
        const json_value *m, *p;
        if (v->type == JSON_STRING) {
            int rc = parse_string_doc(c, v, &v);
            if (rc)
                return rc;
            c->where = " of the string";
            continue;
        }
        if (v->type != JSON_OBJECT)
            return fail(c, v,
                        "must be a JSON object {\"zones\": [..], \"lines\": "
                        "[..]}, got %s",
                        describe(b, sizeof b, v));
        if (json_get(v, "zones") || json_get(v, "lines"))
            break;
        m = json_get_ci(v, "SPACEANALYTICS_CONFIG");
        if (!m) /* misspelling in the zone-placement guide (spec §3.1) */
            m = json_get_ci(v, "SPACEANALYSIS_CONFIG");
        if (!m && (p = json_get_ci(v, "parameters")) &&
            p->type == JSON_OBJECT &&
            (json_get_ci(p, "SPACEANALYTICS_CONFIG") ||
             json_get_ci(p, "SPACEANALYSIS_CONFIG"))) {
            path_key(c, p->key);
            v = p;
            continue;
        }
        if (!m)
            break; /* a config without zones or lines */
        path_key(c, m->key);
        if (m->type != JSON_OBJECT && m->type != JSON_STRING)
            return fail(c, m,
                        "must be a JSON object or a string holding one, "
                        "got %s",
                        describe(b, sizeof b, m));
        v = m;
    }
    if (v->type != JSON_OBJECT)
        return fail(c, v, "must be a JSON object, got %s",
                    describe(b, sizeof b, v));
    *out = v;
    return 0;
}

static int parse_config(pctx *c, const json_value *root, spatia_config *cfg)
{
    char b[64];
    const json_value *obj = NULL, *zones, *lines;
    char base[sizeof c->path];
    int rc, i, nz = 0, nl = 0, ignored = 0;
    size_t p0;

    if ((rc = find_config(c, root, &obj)))
        return rc;
    snprintf(base, sizeof base, "%s", c->path);
    p0 = c->plen;
    zones = member(obj, "zones", NULL);
    lines = member(obj, "lines", NULL);
    if (zones && !uses_zones(c->op)) {
        warn_ignored(c, zones, "zones");
        ignored = 1;
        zones = NULL;
    }
    if (lines && !uses_lines(c->op)) {
        warn_ignored(c, lines, "lines");
        ignored = 1;
        lines = NULL;
    }
    if (zones && zones->type != JSON_ARRAY) {
        path_key(c, "zones");
        return fail(c, zones, "must be an array of zone objects, got %s",
                    describe(b, sizeof b, zones));
    }
    if (lines && lines->type != JSON_ARRAY) {
        path_key(c, "lines");
        return fail(c, lines, "must be an array of line objects, got %s",
                    describe(b, sizeof b, lines));
    }
    nz = zones ? zones->count : 0;
    nl = lines ? lines->count : 0;
    if (nz + nl == 0) {
        const char *need =
            c->op == SPATIA_OP_SPATIALANALYSIS ? "at least one zone or line"
            : uses_lines(c->op) ? "at least one line in \"lines\""
                                : "at least one zone in \"zones\"";
        return fail(c, obj, "nothing to do: operation %s needs %s%s",
                    k_op_names[c->op], need,
                    ignored ? " (the other geometry was ignored)" : "");
    }
    c->names = calloc((size_t)(nz + nl), sizeof *c->names);
    if (!c->names)
        return nomem(c);
    if (nz) {
        cfg->zones = calloc((size_t)nz, sizeof *cfg->zones);
        if (!cfg->zones)
            return nomem(c);
        cfg->nzones = nz;
        path_key(c, "zones");
        i = 0;
        for (const json_value *z = zones->child; z; z = z->next, i++) {
            size_t p1 = path_idx(c, i);
            if ((rc = parse_zone(c, z, i, &cfg->zones[i])))
                return rc;
            path_pop(c, p1);
        }
        path_pop(c, p0);
    }
    if (nl) {
        cfg->lines = calloc((size_t)nl, sizeof *cfg->lines);
        if (!cfg->lines)
            return nomem(c);
        cfg->nlines = nl;
        path_key(c, "lines");
        i = 0;
        for (const json_value *l = lines->child; l; l = l->next, i++) {
            size_t p1 = path_idx(c, i);
            if ((rc = parse_line(c, l, i, &cfg->lines[i])))
                return rc;
            path_pop(c, p1);
        }
        path_pop(c, p0);
    }
    return check_duplicates(c, base);
}

int spatia_config_parse(const char *text, size_t len, spatia_op op,
                        const char *origin, spatia_config **out, char *errbuf,
                        int errlen)
{
    pctx c;
    json_doc *doc = NULL;
    json_error je;
    spatia_config *cfg = NULL;
    int rc;

    memset(&c, 0, sizeof c);
    c.origin = origin ? origin : "SPACEANALYTICS_CONFIG";
    c.err = errbuf;
    c.errlen = errlen;
    c.op = op;
    c.where = "";
    c.path[0] = '$';
    c.plen = 1;
    if (errbuf && errlen > 0)
        errbuf[0] = '\0';
    if (!out || (!text && len) || (unsigned)op > SPATIA_OP_SPATIALANALYSIS) {
        if (errbuf && errlen > 0)
            snprintf(errbuf, (size_t)errlen, "%s: invalid argument", c.origin);
        return SPATIA_EINVAL;
    }
    *out = NULL;
    memset(&je, 0, sizeof je);
    rc = json_parse(text, len, &doc, &je);
    if (rc == SPATIA_NOMEM)
        return nomem(&c);
    if (rc)
        return fail(&c, NULL, "not valid JSON (line %d, column %d): %s",
                    je.line, je.col, je.msg);
    cfg = calloc(1, sizeof *cfg);
    if (!cfg) {
        rc = nomem(&c);
        goto done;
    }
    cfg->op = op;
    rc = parse_config(&c, json_root(doc), cfg);
done:
    free(c.names);
    for (int i = 0; i < c.ndocs; i++)
        json_doc_free(c.docs[i]);
    json_doc_free(doc);
    if (rc) {
        spatia_config_destroy(cfg);
        return rc;
    }
    *out = cfg;
    return SPATIA_OK;
}

int spatia_config_load(const char *path, spatia_op op, spatia_config **out,
                       char *errbuf, int errlen)
{
    char *buf, msg[160];
    size_t len;
    int rc;

    if (!path || !out) {
        if (errbuf && errlen > 0)
            snprintf(errbuf, (size_t)errlen, "config: invalid argument");
        return SPATIA_EINVAL;
    }
    *out = NULL;
    rc = file_read_all(path, CONFIG_MAX_FILE, &buf, &len, msg, sizeof msg);
    if (rc) {
        if (errbuf && errlen > 0)
            snprintf(errbuf, (size_t)errlen, "%s: %s", path, msg);
        /* an oversized file is a configuration error, not an I/O one */
        return rc == SPATIA_RANGE ? SPATIA_CONFIG : rc;
    }
    rc = spatia_config_parse(buf, len, op, path, out, errbuf, errlen);
    free(buf);
    return rc;
}

void spatia_config_destroy(spatia_config *cfg)
{
    if (!cfg)
        return;
    for (int i = 0; i < cfg->nzones; i++) {
        free(cfg->zones[i].name);
        free(cfg->zones[i].poly);
        free(cfg->zones[i].events);
    }
    for (int i = 0; i < cfg->nlines; i++) {
        free(cfg->lines[i].name);
        free(cfg->lines[i].events);
    }
    free(cfg->zones);
    free(cfg->lines);
    free(cfg);
}

/* ---- names ------------------------------------------------------------- */

static int ends_with(const char *s, size_t n, const char *suf, size_t *rest)
{
    size_t m = strlen(suf);
    if (n >= m && strncasecmp(s + n - m, suf, m) == 0) {
        *rest = n - m;
        return 1;
    }
    return 0;
}

int spatia_op_parse(const char *name, spatia_op *op)
{
    static const char prefix[] = "cognitiveservices.vision.spatialanalysis";
    static const char *const suffixes[] = {".livevideoanalytics.debug",
                                           ".livevideoanalytics",
                                           ".azurevideoanalyzer", ".debug"};
    const size_t plen = sizeof prefix - 1;
    size_t n, rest;
    const char *s;

    if (!name || !op)
        return SPATIA_EINVAL;
    n = strlen(name);
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
        if (ends_with(name, n, suffixes[i], &rest)) {
            n = rest;
            break;
        }
    s = name;
    if (n >= plen && strncasecmp(s, prefix, plen) == 0) {
        if (n == plen) {
            *op = SPATIA_OP_SPATIALANALYSIS;
            return SPATIA_OK;
        }
        if (s[plen] != '-')
            return SPATIA_EINVAL;
        s += plen + 1;
        n -= plen + 1;
        /* only the four specific operations follow the dash */
        if (n == strlen(k_op_names[SPATIA_OP_SPATIALANALYSIS]) &&
            strncasecmp(s, k_op_names[SPATIA_OP_SPATIALANALYSIS], n) == 0)
            return SPATIA_EINVAL;
    }
    for (int i = 0; i <= SPATIA_OP_SPATIALANALYSIS; i++)
        if (strlen(k_op_names[i]) == n &&
            strncasecmp(s, k_op_names[i], n) == 0) {
            *op = (spatia_op)i;
            return SPATIA_OK;
        }
    return SPATIA_EINVAL;
}

const char *spatia_op_name(spatia_op op)
{
    if ((unsigned)op > SPATIA_OP_SPATIALANALYSIS)
        return "unknown";
    return k_op_names[op];
}

const char *spatia_event_kind_name(spatia_event_kind k)
{
    if ((unsigned)k > SPATIA_EVENT_PERSONDISTANCE)
        return "unknown";
    return k_event_names[k];
}
