/*
 * test_config.c - SPACEANALYTICS_CONFIG parsing (spec §5, §16, §17.1, §18).
 *
 * The canonical examples are written out as the sources give them (S1
 * operation docs, S16 deployment.json) and checked field by field; every
 * malformed kind is checked for its return code, JSON path and wording; a
 * seeded mutation run checks that no input crashes the parser.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>

#include "spatia/config.h"
#include "spatia/error.h"
#include "test.h"

static char g_err[1024];

/* Parses text for op; NULL (with the message on stderr) on failure. */
static spatia_config *parse(spatia_op op, const char *text)
{
    spatia_config *c = NULL;
    int rc = spatia_config_parse(text, strlen(text), op, "t.json", &c, g_err,
                                 sizeof g_err);
    if (rc != SPATIA_OK) {
        fprintf(stderr, "unexpected failure %d: %s\n", rc, g_err);
        return NULL;
    }
    return c;
}

/* Parses text expecting failure; returns the code (message in g_err). */
static int parse_bad(spatia_op op, const char *text)
{
    spatia_config *c = (spatia_config *)1;
    int rc = spatia_config_parse(text, strlen(text), op, "t.json", &c, g_err,
                                 sizeof g_err);
    if (rc == SPATIA_OK)
        spatia_config_destroy(c);
    else if (c != NULL)
        return 12345; /* *out must be NULL on failure */
    return rc;
}

/* Wraps a config as a graph `parameters` object, escaped as in manifests. */
static char *wrap_manifest(const char *cfg, const char *key)
{
    size_t n = strlen(cfg);
    char *out = malloc(2 * n + 256);
    size_t o = 0;
    o += (size_t)sprintf(out, "{\"VIDEO_SOURCE_ID\": \"cam\", \"%s\": \"", key);
    for (size_t i = 0; i < n; i++) {
        if (cfg[i] == '"' || cfg[i] == '\\')
            out[o++] = '\\';
        out[o++] = cfg[i];
    }
    strcpy(out + o, "\", \"VIDEO_IS_LIVE\": false}");
    return out;
}

static const double square[4][2] = {
    {0.3, 0.3}, {0.3, 0.9}, {0.6, 0.9}, {0.6, 0.3}};

#define ASSERT_SQUARE(z)                                                       \
    do {                                                                       \
        ASSERT_EQ((z).npoly, 4);                                               \
        for (int k_ = 0; k_ < 4; k_++) {                                       \
            ASSERT_NEAR((z).poly[k_].x, square[k_][0], 0);                     \
            ASSERT_NEAR((z).poly[k_].y, square[k_][1], 0);                     \
        }                                                                      \
    } while (0)

/* ---- canonical examples (spec §5.7, S1 text) --------------------------- */

TEST(canonical_personcount)
{
    spatia_config *c =
        parse(SPATIA_OP_PERSONCOUNT,
              "{\n"
              "  \"zones\": [\n"
              "    {\n"
              "      \"name\": \"lobbycamera\",\n"
              "      \"polygon\": [[0.3,0.3], [0.3,0.9], [0.6,0.9], [0.6,0.3], "
              "[0.3,0.3]],\n"
              "      \"events\": [\n"
              "        {\n"
              "          \"type\": \"count\",\n"
              "          \"config\": {\n"
              "            \"trigger\": \"event\",\n"
              "            \"focus\": \"footprint\"\n"
              "          }\n"
              "        }\n"
              "      ]\n"
              "    }\n"
              "  ]\n"
              "}\n");
    ASSERT(c);
    ASSERT_EQ(c->op, SPATIA_OP_PERSONCOUNT);
    ASSERT_EQ(c->nzones, 1);
    ASSERT_EQ(c->nlines, 0);
    ASSERT_STREQ(c->zones[0].name, "lobbycamera");
    ASSERT_SQUARE(c->zones[0]);
    ASSERT_EQ(c->zones[0].has_target_side, 0);
    ASSERT_EQ(c->zones[0].nevents, 1);
    const spatia_event_cfg *e = &c->zones[0].events[0];
    ASSERT_EQ(e->kind, SPATIA_EVENT_COUNT);
    ASSERT_EQ(e->trigger, SPATIA_TRIGGER_EVENT);
    ASSERT_EQ(e->focus, SPATIA_FOCUS_FOOTPRINT);
    ASSERT_EQ(e->output_frequency, 1);
    ASSERT_EQ(e->has_threshold, 0);
    ASSERT_EQ(e->has_min_distance, 0);
    ASSERT_EQ(e->has_max_distance, 0);
    spatia_config_destroy(c);
}

TEST(canonical_personcrossingline)
{
    spatia_config *c =
        parse(SPATIA_OP_CROSSINGLINE,
              "{\n"
              "   \"lines\": [\n"
              "       {\n"
              "           \"name\": \"doorcamera\",\n"
              "           \"line\": {\n"
              "               \"start\": {\"x\": 0, \"y\": 0.5},\n"
              "               \"end\": {\"x\": 1, \"y\": 0.5}\n"
              "           },\n"
              "           \"events\": [\n"
              "               {\n"
              "                   \"type\": \"linecrossing\",\n"
              "                   \"config\": {\n"
              "                       \"trigger\": \"event\",\n"
              "                       \"focus\": \"footprint\"\n"
              "                   }\n"
              "               }\n"
              "           ]\n"
              "       }\n"
              "   ]\n"
              "}\n");
    ASSERT(c);
    ASSERT_EQ(c->op, SPATIA_OP_CROSSINGLINE);
    ASSERT_EQ(c->nzones, 0);
    ASSERT_EQ(c->nlines, 1);
    const spatia_line_cfg *l = &c->lines[0];
    ASSERT_STREQ(l->name, "doorcamera");
    ASSERT_NEAR(l->start.x, 0.0, 0);
    ASSERT_NEAR(l->start.y, 0.5, 0);
    ASSERT_NEAR(l->end.x, 1.0, 0);
    ASSERT_NEAR(l->end.y, 0.5, 0);
    ASSERT_EQ(l->nevents, 1);
    ASSERT_EQ(l->events[0].kind, SPATIA_EVENT_LINECROSSING);
    ASSERT_EQ(l->events[0].trigger, SPATIA_TRIGGER_EVENT);
    ASSERT_EQ(l->events[0].focus, SPATIA_FOCUS_FOOTPRINT);
    ASSERT_EQ(l->events[0].has_threshold, 0);
    spatia_config_destroy(c);
}

TEST(canonical_personcrossingpolygon)
{
    spatia_config *c = parse(
        SPATIA_OP_CROSSINGPOLYGON,
        "{\n"
        "\"zones\":[\n"
        "   {\n"
        "       \"name\": \"queuecamera\",\n"
        "       \"polygon\": [[0.3,0.3], [0.3,0.9], [0.6,0.9], [0.6,0.3], "
        "[0.3,0.3]],\n"
        "       \"events\":[{\n"
        "           \"type\": \"zonecrossing\",\n"
        "           \"config\":{\n"
        "               \"trigger\": \"event\",\n"
        "               \"focus\": \"footprint\"\n"
        "               }\n"
        "           }]\n"
        "   },\n"
        "   {\n"
        "       \"name\": \"queuecamera1\",\n"
        "       \"polygon\": [[0.3,0.3], [0.3,0.9], [0.6,0.9], [0.6,0.3], "
        "[0.3,0.3]],\n"
        "       \"events\":[{\n"
        "           \"type\": \"zonedwelltime\",\n"
        "           \"config\":{\n"
        "               \"trigger\": \"event\",\n"
        "               \"focus\": \"footprint\"\n"
        "               }\n"
        "           }]\n"
        "   }]\n"
        "}\n");
    ASSERT(c);
    ASSERT_EQ(c->nzones, 2);
    ASSERT_STREQ(c->zones[0].name, "queuecamera");
    ASSERT_STREQ(c->zones[1].name, "queuecamera1");
    ASSERT_SQUARE(c->zones[0]);
    ASSERT_SQUARE(c->zones[1]);
    ASSERT_EQ(c->zones[0].nevents, 1);
    ASSERT_EQ(c->zones[1].nevents, 1);
    ASSERT_EQ(c->zones[0].events[0].kind, SPATIA_EVENT_ZONECROSSING);
    ASSERT_EQ(c->zones[1].events[0].kind, SPATIA_EVENT_ZONEDWELLTIME);
    for (int i = 0; i < 2; i++) {
        ASSERT_EQ(c->zones[i].events[0].trigger, SPATIA_TRIGGER_EVENT);
        ASSERT_EQ(c->zones[i].events[0].focus, SPATIA_FOCUS_FOOTPRINT);
    }
    spatia_config_destroy(c);
}

TEST(canonical_persondistance)
{
    spatia_config *c =
        parse(SPATIA_OP_PERSONDISTANCE,
              "{\n"
              "\"zones\":[{\n"
              "   \"name\": \"lobbycamera\",\n"
              "   \"polygon\": [[0.3,0.3], [0.3,0.9], [0.6,0.9], [0.6,0.3], "
              "[0.3,0.3]],\n"
              "   \"events\":[{\n"
              "       \"type\": \"persondistance\",\n"
              "       \"config\":{\n"
              "           \"trigger\": \"event\",\n"
              "           \"output_frequency\":1,\n"
              "           \"minimum_distance_threshold\":6.0,\n"
              "           \"maximum_distance_threshold\":35.0,\n"
              "           \"aggregation_method\": \"average\",\n"
              "           \"focus\": \"footprint\"\n"
              "          }\n"
              "          }]\n"
              "   }]\n"
              "}\n");
    ASSERT(c);
    ASSERT_EQ(c->nzones, 1);
    ASSERT_STREQ(c->zones[0].name, "lobbycamera");
    ASSERT_SQUARE(c->zones[0]);
    const spatia_event_cfg *e = &c->zones[0].events[0];
    ASSERT_EQ(c->zones[0].nevents, 1);
    ASSERT_EQ(e->kind, SPATIA_EVENT_PERSONDISTANCE);
    ASSERT_EQ(e->trigger, SPATIA_TRIGGER_EVENT);
    ASSERT_EQ(e->output_frequency, 1);
    ASSERT_EQ(e->has_min_distance, 1);
    ASSERT_EQ(e->has_max_distance, 1);
    ASSERT_NEAR(e->min_distance_ft, 6.0, 0);
    ASSERT_NEAR(e->max_distance_ft, 35.0, 0);
    ASSERT_EQ(e->aggregation, SPATIA_AGG_AVERAGE);
    ASSERT_EQ(e->focus, SPATIA_FOCUS_FOOTPRINT);
    spatia_config_destroy(c);
}

static const char *k_generic =
    "{\n"
    "  \"lines\": [\n"
    "    {\n"
    "      \"name\": \"doorcamera\",\n"
    "      \"line\": {\n"
    "        \"start\": {\"x\": 0, \"y\": 0.5},\n"
    "        \"end\": {\"x\": 1, \"y\": 0.5}\n"
    "      },\n"
    "      \"events\": [\n"
    "        {\"type\": \"linecrossing\",\n"
    "         \"config\": {\"trigger\": \"event\", \"focus\": \"footprint\"}}\n"
    "      ]\n"
    "    }\n"
    "  ],\n"
    "  \"zones\": [\n"
    "    {\n"
    "      \"name\": \"lobbycamera\",\n"
    "      \"polygon\": [[0.3, 0.3],[0.3, 0.9],[0.6, 0.9],[0.6, 0.3],"
    "[0.3, 0.3]],\n"
    "      \"events\": [\n"
    "        {\"type\": \"persondistance\",\n"
    "         \"config\": {\"trigger\": \"event\", \"output_frequency\": 1,\n"
    "                    \"minimum_distance_threshold\": 6.0,\n"
    "                    \"maximum_distance_threshold\": 35.0,\n"
    "                    \"focus\": \"footprint\"}},\n"
    "        {\"type\": \"count\",\n"
    "         \"config\": {\"trigger\": \"event\", \"output_frequency\": 1,\n"
    "                    \"focus\": \"footprint\"}},\n"
    "        {\"type\": \"zonecrossing\", \"config\": {\"focus\": "
    "\"footprint\"}},\n"
    "        {\"type\": \"zonedwelltime\", \"config\": {\"focus\": "
    "\"footprint\"}}\n"
    "      ]\n"
    "    }\n"
    "  ]\n"
    "}\n";

TEST(canonical_spatialanalysis)
{
    spatia_config *c = parse(SPATIA_OP_SPATIALANALYSIS, k_generic);
    ASSERT(c);
    ASSERT_EQ(c->op, SPATIA_OP_SPATIALANALYSIS);
    ASSERT_EQ(c->nlines, 1);
    ASSERT_EQ(c->nzones, 1);
    ASSERT_STREQ(c->lines[0].name, "doorcamera");
    ASSERT_EQ(c->lines[0].nevents, 1);
    ASSERT_EQ(c->lines[0].events[0].kind, SPATIA_EVENT_LINECROSSING);
    ASSERT_STREQ(c->zones[0].name, "lobbycamera");
    ASSERT_SQUARE(c->zones[0]);
    const spatia_zone_cfg *z = &c->zones[0];
    ASSERT_EQ(z->nevents, 4);
    ASSERT_EQ(z->events[0].kind, SPATIA_EVENT_PERSONDISTANCE);
    ASSERT_EQ(z->events[0].has_min_distance, 1);
    ASSERT_NEAR(z->events[0].min_distance_ft, 6.0, 0);
    ASSERT_NEAR(z->events[0].max_distance_ft, 35.0, 0);
    ASSERT_EQ(z->events[0].aggregation, SPATIA_AGG_AVERAGE); /* default */
    ASSERT_EQ(z->events[1].kind, SPATIA_EVENT_COUNT);
    ASSERT_EQ(z->events[1].output_frequency, 1);
    ASSERT_EQ(z->events[2].kind, SPATIA_EVENT_ZONECROSSING);
    ASSERT_EQ(z->events[3].kind, SPATIA_EVENT_ZONEDWELLTIME);
    for (int i = 0; i < 4; i++) {
        ASSERT_EQ(z->events[i].focus, SPATIA_FOCUS_FOOTPRINT);
        ASSERT_EQ(z->events[i].trigger, SPATIA_TRIGGER_EVENT);
        ASSERT_EQ(z->events[i].has_threshold, 0);
    }
    spatia_config_destroy(c);
}

/* ---- S16 deployment.json: four instances of the generic operation ----- */

/* The "checkoutLine" instance parameters exactly as the manifest escapes
 * them (a JSON string inside a JSON object). */
static const char *k_s16_checkout =
    "{\n"
    "  \"VIDEO_SOURCE_ID\": \"Checkout Area\",\n"
    "  \"VIDEO_IS_LIVE\": false,\n"
    "  \"VIDEO_DECODE_GPU_INDEX\": 0,\n"
    "  \"SPACEANALYTICS_CONFIG\": "
    "\"{\\\"zones\\\":[{\\\"name\\\":\\\"queue\\\","
    "\\\"polygon\\\":[[0.348,0.512],[0.764,0.687],[0.662,0.927],"
    "[0.221,0.605],[0.348,0.512]], \\\"events\\\": [{\\\"type\\\":"
    "\\\"zonecrossing\\\", \\\"config\\\":{\\\"trigger\\\": \\\"event\\\", "
    "\\\"threshold\\\":48.0, \\\"focus\\\": \\\"footprint\\\"}}, "
    "{\\\"type\\\":\\\"zonedwelltime\\\", \\\"config\\\":{\\\"trigger\\\": "
    "\\\"event\\\", \\\"threshold\\\":16.0, \\\"focus\\\": "
    "\\\"footprint\\\"}}]}]}\"\n"
    "}\n";

static const double s16_queue[4][2] = {
    {0.348, 0.512}, {0.764, 0.687}, {0.662, 0.927}, {0.221, 0.605}};

TEST(s16_checkout_manifest_string)
{
    spatia_config *c = parse(SPATIA_OP_SPATIALANALYSIS, k_s16_checkout);
    ASSERT(c);
    ASSERT_EQ(c->nzones, 1);
    ASSERT_EQ(c->nlines, 0);
    const spatia_zone_cfg *z = &c->zones[0];
    ASSERT_STREQ(z->name, "queue");
    ASSERT_EQ(z->npoly, 4);
    for (int k = 0; k < 4; k++) {
        ASSERT_NEAR(z->poly[k].x, s16_queue[k][0], 0);
        ASSERT_NEAR(z->poly[k].y, s16_queue[k][1], 0);
    }
    ASSERT_EQ(z->nevents, 2);
    ASSERT_EQ(z->events[0].kind, SPATIA_EVENT_ZONECROSSING);
    ASSERT_EQ(z->events[0].has_threshold, 1);
    ASSERT_NEAR(z->events[0].threshold, 48.0, 0);
    ASSERT_EQ(z->events[1].kind, SPATIA_EVENT_ZONEDWELLTIME);
    ASSERT_EQ(z->events[1].has_threshold, 1);
    ASSERT_NEAR(z->events[1].threshold, 16.0, 0);
    spatia_config_destroy(c);
}

TEST(s16_other_instances)
{
    /* storeEntrance: "Line 1", threshold 16 */
    char *m = wrap_manifest(
        "{\"lines\": [{\"name\": \"Line 1\",\"line\":{\"start\":{\"x\":0.839,"
        "\"y\":0.367},\"end\":{\"x\":0.925,\"y\":0.428}},\"events\": "
        "[{\"type\": \"linecrossing\",\"config\": {\"trigger\": \"event\","
        "\"focus\": \"footprint\",\"threshold\": 16}}]}]}",
        "SPACEANALYTICS_CONFIG");
    spatia_config *c = parse(SPATIA_OP_SPATIALANALYSIS, m);
    free(m);
    ASSERT(c);
    ASSERT_EQ(c->nlines, 1);
    ASSERT_STREQ(c->lines[0].name, "Line 1");
    ASSERT_NEAR(c->lines[0].start.x, 0.839, 0);
    ASSERT_NEAR(c->lines[0].start.y, 0.367, 0);
    ASSERT_NEAR(c->lines[0].end.x, 0.925, 0);
    ASSERT_NEAR(c->lines[0].end.y, 0.428, 0);
    ASSERT_EQ(c->lines[0].events[0].kind, SPATIA_EVENT_LINECROSSING);
    ASSERT_EQ(c->lines[0].events[0].has_threshold, 1);
    ASSERT_NEAR(c->lines[0].events[0].threshold, 16.0, 0);
    spatia_config_destroy(c);

    /* checkoutArea: count with threshold 16; Store: persondistance with
     * threshold 48 and no min/max distance */
    static const char *cfgs[2] = {
        "{\"zones\":[{\"name\":\"queue\",\"polygon\":[[0.348,0.512],"
        "[0.764,0.687],[0.662,0.927],[0.221,0.605],[0.348,0.512]], "
        "\"events\": [{\"type\":\"count\", \"config\":{\"trigger\": "
        "\"event\", \"threshold\":16.0, \"focus\": \"footprint\"}}]}]}",
        "{\"zones\":[{\"name\":\"queue\",\"polygon\":[[0.348,0.512],"
        "[0.764,0.687],[0.662,0.927],[0.221,0.605],[0.348,0.512]], "
        "\"events\": [{\"type\":\"persondistance\", \"config\":{\"trigger\": "
        "\"event\", \"threshold\":48.0, \"focus\": \"footprint\"}}]}]}"};
    for (int i = 0; i < 2; i++) {
        m = wrap_manifest(cfgs[i], "SPACEANALYTICS_CONFIG");
        c = parse(SPATIA_OP_SPATIALANALYSIS, m);
        free(m);
        ASSERT(c);
        ASSERT_EQ(c->nzones, 1);
        ASSERT_EQ(c->zones[0].npoly, 4);
        const spatia_event_cfg *e = &c->zones[0].events[0];
        ASSERT_EQ(e->kind,
                  i == 0 ? SPATIA_EVENT_COUNT : SPATIA_EVENT_PERSONDISTANCE);
        ASSERT_NEAR(e->threshold, i == 0 ? 16.0 : 48.0, 0);
        ASSERT_EQ(e->has_min_distance, 0);
        ASSERT_EQ(e->has_max_distance, 0);
        spatia_config_destroy(c);
    }
}

/* The same scene with the thresholds at zone/line level (legacy position):
 * the zone-level value applies to every event of the zone. */
TEST(s16_legacy_threshold_positions)
{
    spatia_config *c = parse(
        SPATIA_OP_SPATIALANALYSIS,
        "{\"zones\":[{\"name\":\"queue\",\"threshold\":48,"
        "\"polygon\":[[0.348,0.512],[0.764,0.687],[0.662,0.927],"
        "[0.221,0.605],[0.348,0.512]],"
        "\"events\":[{\"type\":\"zonecrossing\"},"
        "{\"type\":\"zonedwelltime\",\"config\":{\"focus\":\"footprint\"}},"
        "{\"type\":\"count\",\"config\":{\"threshold\":0}}]}],"
        "\"lines\":[{\"name\":\"Line 1\",\"threshold\":16.0,"
        "\"line\":{\"start\":{\"x\":0.839,\"y\":0.367},"
        "\"end\":{\"x\":0.925,\"y\":0.428}}}]}");
    ASSERT(c);
    const spatia_zone_cfg *z = &c->zones[0];
    ASSERT_EQ(z->nevents, 3);
    ASSERT_EQ(z->events[0].has_threshold, 1);
    ASSERT_NEAR(z->events[0].threshold, 48.0, 0);
    ASSERT_EQ(z->events[1].has_threshold, 1);
    ASSERT_NEAR(z->events[1].threshold, 48.0, 0);
    /* config wins over the legacy position, even with 0 */
    ASSERT_EQ(z->events[2].has_threshold, 1);
    ASSERT_NEAR(z->events[2].threshold, 0.0, 0);
    /* the line has no events: default linecrossing inherits 16 */
    ASSERT_EQ(c->lines[0].nevents, 1);
    ASSERT_EQ(c->lines[0].events[0].kind, SPATIA_EVENT_LINECROSSING);
    ASSERT_EQ(c->lines[0].events[0].has_threshold, 1);
    ASSERT_NEAR(c->lines[0].events[0].threshold, 16.0, 0);
    spatia_config_destroy(c);
}

/* ---- geometry forms ---------------------------------------------------- */

TEST(polygon_open_closed_self_intersecting)
{
    spatia_config *c = parse(
        SPATIA_OP_PERSONCOUNT,
        "{\"zones\":["
        "{\"name\":\"closed\",\"polygon\":[[0.3,0.3],[0.3,0.9],[0.6,0.9],"
        "[0.6,0.3],[0.3,0.3]]},"
        "{\"name\":\"open\",\"polygon\":[[0.3,0.3],[0.3,0.9],[0.6,0.9],"
        "[0.6,0.3]]},"
        "{\"name\":\"bowtie\",\"polygon\":[[0,0],[1,0],[0,1],[1,1],[0,0]]},"
        "{\"name\":\"tri\",\"polygon\":[[0,0],[1,0],[0,1]]}]}");
    ASSERT(c);
    ASSERT_EQ(c->nzones, 4);
    ASSERT_SQUARE(c->zones[0]);
    ASSERT_SQUARE(c->zones[1]);
    ASSERT_EQ(c->zones[2].npoly, 4);
    ASSERT_NEAR(c->zones[2].poly[1].x, 1.0, 0);
    ASSERT_NEAR(c->zones[2].poly[2].y, 1.0, 0);
    ASSERT_NEAR(c->zones[2].poly[3].x, 1.0, 0);
    ASSERT_NEAR(c->zones[2].poly[3].y, 1.0, 0);
    ASSERT_EQ(c->zones[3].npoly, 3);
    spatia_config_destroy(c);
}

TEST(ava_nested_zone_and_line_with_string_geometry)
{
    spatia_config *c = parse(
        SPATIA_OP_SPATIALANALYSIS,
        "{\"zones\":[{\"zone\":{\"@type\":"
        "\"#Microsoft.VideoAnalyzer.NamedPolygonString\",\"name\":\"door\","
        "\"polygon\":\"[[0.37,0.43],[0.48,0.42],[0.53,0.56],[0.34,0.57]]\"},"
        "\"events\":[{\"eventType\":\"zoneCrossing\",\"threshold\":\"16\","
        "\"focus\":\"bottomCenter\"},{\"eventType\":\"zoneDwellTime\"}]},"
        "{\"zone\":{\"name\":\"hall\",\"polygon\":\"[[0,0],[1,0],[1,1]]\"},"
        "\"events\":[{\"trigger\":\"interval\",\"outputFrequency\":\"2\"}]}],"
        "\"lines\":[{\"line\":{\"@type\":"
        "\"#Microsoft.VideoAnalyzer.NamedLineString\",\"name\":\"l1\","
        "\"line\":\"[[0.1,0.2],[0.8,0.9]]\"},"
        "\"events\":[{\"threshold\":\"0.0253\",\"focus\":\"center\"}]}]}");
    ASSERT(c);
    ASSERT_EQ(c->nzones, 2);
    ASSERT_STREQ(c->zones[0].name, "door");
    ASSERT_EQ(c->zones[0].npoly, 4);
    ASSERT_NEAR(c->zones[0].poly[2].x, 0.53, 0);
    ASSERT_EQ(c->zones[0].nevents, 2);
    ASSERT_EQ(c->zones[0].events[0].kind, SPATIA_EVENT_ZONECROSSING);
    ASSERT_EQ(c->zones[0].events[0].has_threshold, 1);
    ASSERT_NEAR(c->zones[0].events[0].threshold, 16.0, 0);
    ASSERT_EQ(c->zones[0].events[0].focus, SPATIA_FOCUS_BOTTOM_CENTER);
    ASSERT_EQ(c->zones[0].events[1].kind, SPATIA_EVENT_ZONEDWELLTIME);
    /* AVA events without a type take the operation's default */
    ASSERT_STREQ(c->zones[1].name, "hall");
    ASSERT_EQ(c->zones[1].events[0].kind, SPATIA_EVENT_COUNT);
    ASSERT_EQ(c->zones[1].events[0].trigger, SPATIA_TRIGGER_INTERVAL);
    ASSERT_EQ(c->zones[1].events[0].output_frequency, 2);
    ASSERT_STREQ(c->lines[0].name, "l1");
    ASSERT_NEAR(c->lines[0].start.x, 0.1, 0);
    ASSERT_NEAR(c->lines[0].end.y, 0.9, 0);
    ASSERT_EQ(c->lines[0].events[0].kind, SPATIA_EVENT_LINECROSSING);
    ASSERT_NEAR(c->lines[0].events[0].threshold, 0.0253, 0);
    ASSERT_EQ(c->lines[0].events[0].focus, SPATIA_FOCUS_CENTER);
    spatia_config_destroy(c);
}

TEST(many_string_polygons)
{
    char buf[4096];
    size_t o = (size_t)sprintf(buf, "{\"zones\":[");
    for (int i = 0; i < 12; i++)
        o += (size_t)sprintf(buf + o,
                             "%s{\"zone\":{\"name\":\"z%d\",\"polygon\":"
                             "\"[[0,0],[1,0],[0.%d,1]]\"}}",
                             i ? "," : "", i, i);
    sprintf(buf + o, "]}");
    spatia_config *c = parse(SPATIA_OP_PERSONCOUNT, buf);
    ASSERT(c);
    ASSERT_EQ(c->nzones, 12);
    ASSERT_STREQ(c->zones[11].name, "z11");
    ASSERT_NEAR(c->zones[11].poly[2].x, 0.11, 0);
    spatia_config_destroy(c);
}

/* ---- spellings --------------------------------------------------------- */

TEST(legacy_event_aliases)
{
    static const char *alias[] = {"zone_crossing", "enter", "exit",
                                  "enter/exit", "ZoneCrossing"};
    char buf[512];
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++) {
        snprintf(buf, sizeof buf,
                 "{\"zones\":[{\"name\":\"z\",\"polygon\":[[0,0],[1,0],"
                 "[1,1]],\"events\":[{\"type\":\"%s\"}]}]}",
                 alias[i]);
        spatia_config *c = parse(SPATIA_OP_CROSSINGPOLYGON, buf);
        ASSERT_MSG(c, "alias %s", alias[i]);
        ASSERT_EQ(c->zones[0].events[0].kind, SPATIA_EVENT_ZONECROSSING);
        spatia_config_destroy(c);
    }
    spatia_config *c =
        parse(SPATIA_OP_PERSONDISTANCE,
              "{\"zones\":[{\"name\":\"z\",\"polygon\":[[0,0],[1,0],[1,1]],"
              "\"events\":[{\"type\":\"people_distance\"}]}]}");
    ASSERT(c);
    ASSERT_EQ(c->zones[0].events[0].kind, SPATIA_EVENT_PERSONDISTANCE);
    spatia_config_destroy(c);
}

TEST(ava_camelcase_keys_and_numeric_strings)
{
    spatia_config *c = parse(
        SPATIA_OP_SPATIALANALYSIS,
        "{\"zones\":[{\"name\":\"z\",\"polygon\":[[0,0],[1,0],[1,1]],"
        "\"threshold\":\"23\",\"target_side\":\"2\","
        "\"events\":["
        "{\"type\":\"persondistance\",\"config\":{\"trigger\":\"interval\","
        "\"outputFrequency\":\"3\",\"minimumDistanceThreshold\":\"6\","
        "\"maximumDistanceThreshold\":\"35.5\",\"aggregationMethod\":"
        "\"mode\",\"focus\":\"bottom_center\"}},"
        "{\"type\":\"zonecrossing\",\"eventType\":\"zoneDwellTime\"},"
        "{\"eventType\":\"zoneDwellTime\",\"config\":{\"threshold\":\"16\"}},"
        "{\"type\":\"count\",\"config\":{\"interval\":\"30\"}},"
        "{\"type\":\"count\",\"config\":{\"interval\":2.5}}]}]}");
    ASSERT(c);
    const spatia_zone_cfg *z = &c->zones[0];
    ASSERT_EQ(z->has_target_side, 1);
    ASSERT_EQ(z->target_side, 2);
    ASSERT_EQ(z->nevents, 5);
    const spatia_event_cfg *e = &z->events[0];
    ASSERT_EQ(e->trigger, SPATIA_TRIGGER_INTERVAL);
    ASSERT_EQ(e->output_frequency, 3);
    ASSERT_NEAR(e->min_distance_ft, 6.0, 0);
    ASSERT_NEAR(e->max_distance_ft, 35.5, 0);
    ASSERT_EQ(e->aggregation, SPATIA_AGG_MODE);
    ASSERT_EQ(e->focus, SPATIA_FOCUS_BOTTOM_CENTER);
    ASSERT_NEAR(e->threshold, 23.0, 0); /* legacy zone level, as a string */
    /* "type" is read before "eventType" */
    ASSERT_EQ(z->events[1].kind, SPATIA_EVENT_ZONECROSSING);
    ASSERT_EQ(z->events[2].kind, SPATIA_EVENT_ZONEDWELLTIME);
    ASSERT_NEAR(z->events[2].threshold, 16.0, 0);
    ASSERT_NEAR(z->events[3].interval_s, 30.0, 0);
    ASSERT_NEAR(z->events[4].interval_s, 2.5, 0);
    spatia_config_destroy(c);
}

TEST(focus_spellings)
{
    static const struct {
        const char *s;
        spatia_focus f;
    } t[] = {{"footprint", SPATIA_FOCUS_FOOTPRINT},
             {"bottom_center", SPATIA_FOCUS_BOTTOM_CENTER},
             {"bottomCenter", SPATIA_FOCUS_BOTTOM_CENTER},
             {"center", SPATIA_FOCUS_CENTER}};
    char buf[512];
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        snprintf(buf, sizeof buf,
                 "{\"lines\":[{\"name\":\"l\",\"line\":{\"start\":{\"x\":0,"
                 "\"y\":0},\"end\":{\"x\":1,\"y\":1}},\"events\":[{\"type\":"
                 "\"linecrossing\",\"config\":{\"focus\":\"%s\"}}]}]}",
                 t[i].s);
        spatia_config *c = parse(SPATIA_OP_CROSSINGLINE, buf);
        ASSERT_MSG(c, "focus %s", t[i].s);
        ASSERT_EQ(c->lines[0].events[0].focus, t[i].f);
        spatia_config_destroy(c);
    }
}

TEST(missing_events_give_the_default_event)
{
    static const struct {
        spatia_op op;
        spatia_event_kind zone_kind, line_kind;
    } t[] = {
        {SPATIA_OP_PERSONCOUNT, SPATIA_EVENT_COUNT, 0},
        {SPATIA_OP_CROSSINGLINE, 0, SPATIA_EVENT_LINECROSSING},
        {SPATIA_OP_CROSSINGPOLYGON, SPATIA_EVENT_ZONECROSSING, 0},
        {SPATIA_OP_PERSONDISTANCE, SPATIA_EVENT_PERSONDISTANCE, 0},
        {SPATIA_OP_SPATIALANALYSIS, SPATIA_EVENT_COUNT,
         SPATIA_EVENT_LINECROSSING},
    };
    const char *zone = "{\"zones\":[{\"name\":\"z\",\"polygon\":[[0,0],[1,0],"
                       "[1,1]]}]}";
    const char *zone_empty = "{\"zones\":[{\"name\":\"z\",\"polygon\":[[0,0],"
                             "[1,0],[1,1]],\"events\":[]}]}";
    const char *line = "{\"lines\":[{\"name\":\"l\",\"line\":{\"start\":{"
                       "\"x\":0,\"y\":0},\"end\":{\"x\":1,\"y\":1}}}]}";
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        spatia_config *c;
        if (t[i].op != SPATIA_OP_CROSSINGLINE) {
            for (int k = 0; k < 2; k++) {
                c = parse(t[i].op, k ? zone_empty : zone);
                ASSERT(c);
                ASSERT_EQ(c->zones[0].nevents, 1);
                const spatia_event_cfg *e = &c->zones[0].events[0];
                ASSERT_EQ(e->kind, t[i].zone_kind);
                ASSERT_EQ(e->trigger, SPATIA_TRIGGER_EVENT);
                ASSERT_EQ(e->output_frequency, 1);
                ASSERT_EQ(e->focus, SPATIA_FOCUS_FOOTPRINT);
                ASSERT_EQ(e->has_threshold, 0);
                spatia_config_destroy(c);
            }
        }
        if (t[i].op == SPATIA_OP_CROSSINGLINE ||
            t[i].op == SPATIA_OP_SPATIALANALYSIS) {
            c = parse(t[i].op, line);
            ASSERT(c);
            ASSERT_EQ(c->lines[0].nevents, 1);
            ASSERT_EQ(c->lines[0].events[0].kind, t[i].line_kind);
            spatia_config_destroy(c);
        }
    }
}

TEST(config_forms_string_and_parameters)
{
    const char *cfg = "{\"zones\":[{\"name\":\"z\",\"polygon\":[[0,0],[1,0],"
                      "[1,1]],\"events\":[{\"type\":\"count\"}]}]}";
    /* a bare JSON string holding the object */
    char *m = wrap_manifest(cfg, "x");
    /* m is {"VIDEO_SOURCE_ID": "cam", "x": "<escaped>", ...}; cut the
     * string value out to get a JSON document that is just the string */
    char *s = strstr(m, "\"x\": ") + 5;
    *strstr(s, "\", \"VIDEO_IS_LIVE\"") = '\0';
    char *doc = malloc(strlen(s) + 2);
    sprintf(doc, "%s\"", s);
    spatia_config *c = parse(SPATIA_OP_PERSONCOUNT, doc);
    free(doc);
    free(m);
    ASSERT(c);
    ASSERT_STREQ(c->zones[0].name, "z");
    spatia_config_destroy(c);

    /* parameters with the key in another case, and the misspelling */
    static const char *keys[] = {"SPACEANALYTICS_CONFIG",
                                 "spaceanalytics_config",
                                 "SPACEANALYSIS_CONFIG"};
    for (int i = 0; i < 3; i++) {
        m = wrap_manifest(cfg, keys[i]);
        c = parse(SPATIA_OP_PERSONCOUNT, m);
        free(m);
        ASSERT_MSG(c, "key %s", keys[i]);
        ASSERT_EQ(c->nzones, 1);
        spatia_config_destroy(c);
    }
    /* parameters holding the config as an object; a graph holding them */
    c = parse(
        SPATIA_OP_PERSONCOUNT,
        "{\"VIDEO_URL\":\"rtsp://x\",\"SPACEANALYTICS_CONFIG\":"
        "{\"zones\":[{\"name\":\"z\",\"polygon\":[[0,0],[1,0],[1,1]]}]}}");
    ASSERT(c);
    spatia_config_destroy(c);
    c = parse(SPATIA_OP_PERSONCOUNT,
              "{\"operationId\":\"cognitiveservices.vision.spatialanalysis-"
              "personcount\",\"parameters\":{\"SPACEANALYTICS_CONFIG\":"
              "{\"zones\":[{\"name\":\"z\",\"polygon\":[[0,0],[1,0],[1,1]]}]}"
              "}}");
    ASSERT(c);
    spatia_config_destroy(c);
}

TEST(unknown_keys_are_ignored)
{
    spatia_config *c =
        parse(SPATIA_OP_PERSONCOUNT,
              "{\"version\":3,\"zones\":[{\"name\":\"z\",\"color\":\"red\","
              "\"polygon\":[[0,0],[1,0],[1,1]],\"events\":[{\"type\":\"count\","
              "\"note\":{\"a\":[1]},\"config\":{\"future_key\":true,"
              "\"trigger\":\"event\"}}]}],\"cameras\":[]}");
    ASSERT(c);
    ASSERT_EQ(c->zones[0].events[0].kind, SPATIA_EVENT_COUNT);
    spatia_config_destroy(c);
}

/* ---- operation rules --------------------------------------------------- */

/* Runs a parse with stderr captured into buf. */
static int parse_capture(spatia_op op, const char *text, spatia_config **out,
                         char *buf, size_t n)
{
    FILE *tmp = tmpfile();
    int saved, rc;
    size_t r;
    fflush(stderr);
    saved = dup(2);
    dup2(fileno(tmp), 2);
    rc = spatia_config_parse(text, strlen(text), op, "t.json", out, g_err,
                             sizeof g_err);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    r = fread(buf, 1, n - 1, tmp);
    buf[r] = '\0';
    fclose(tmp);
    return rc;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

TEST(unused_geometry_is_ignored_with_one_warning)
{
    char out[1024];
    spatia_config *c = NULL;
    /* S1's 15-camera example: a personcrossingline graph with zones only
     * and lines: the zones are ignored */
    const char *both =
        "{\"zones\":[{\"name\":\"stage\",\"polygon\":[[0,0],[1,0],[0,1],"
        "[1,1],[0,0]],\"events\":[{\"type\":\"count\"}]}],"
        "\"lines\":[{\"name\":\"l\",\"line\":{\"start\":{\"x\":0,\"y\":0.5},"
        "\"end\":{\"x\":1,\"y\":0.5}}}]}";
    ASSERT_OK(parse_capture(SPATIA_OP_CROSSINGLINE, both, &c, out, sizeof out));
    ASSERT_EQ(c->nzones, 0);
    ASSERT_EQ(c->nlines, 1);
    ASSERT_EQ(count_lines(out), 1);
    ASSERT(strstr(out, "t.json: $.zones: warning: ignored") != NULL);
    ASSERT(strstr(out, "personcrossingline") != NULL);
    spatia_config_destroy(c);

    ASSERT_OK(parse_capture(SPATIA_OP_PERSONCOUNT, both, &c, out, sizeof out));
    ASSERT_EQ(c->nzones, 1);
    ASSERT_EQ(c->nlines, 0);
    ASSERT_EQ(count_lines(out), 1);
    ASSERT(strstr(out, "$.lines: warning: ignored") != NULL);
    spatia_config_destroy(c);

    /* nothing left: an error that says the other geometry was ignored */
    const char *lines_only =
        "{\"lines\":[{\"name\":\"l\",\"line\":{\"start\":{\"x\":0,\"y\":0.5},"
        "\"end\":{\"x\":1,\"y\":0.5}}}]}";
    c = (spatia_config *)1;
    ASSERT_EQ(
        parse_capture(SPATIA_OP_PERSONCOUNT, lines_only, &c, out, sizeof out),
        SPATIA_CONFIG);
    ASSERT(c == NULL);
    ASSERT_EQ(count_lines(out), 1);
    ASSERT(strstr(g_err, "t.json: $: nothing to do: operation personcount") ==
           g_err);
    ASSERT(strstr(g_err, "ignored") != NULL);

    /* the generic operation uses both: no warning */
    ASSERT_OK(
        parse_capture(SPATIA_OP_SPATIALANALYSIS, both, &c, out, sizeof out));
    ASSERT_EQ(c->nzones, 1);
    ASSERT_EQ(c->nlines, 1);
    ASSERT_STREQ(out, "");
    spatia_config_destroy(c);
}

/* ---- malformed input --------------------------------------------------- */

#define Z3      "\"polygon\":[[0,0],[1,0],[1,1]]"
#define P00     "{\"x\":0,\"y\":0}"
#define L01     "\"line\":{\"start\":" P00 ",\"end\":{\"x\":1,\"y\":1}}"
#define ZEV(ev) "{\"zones\":[{\"name\":\"z\"," Z3 ",\"events\":[" ev "]}]}"

typedef struct bad_case {
    spatia_op op;
    const char *json;
    const char *path;   /* expected right after "t.json: " */
    const char *phrase; /* expected somewhere in the message */
} bad_case;

static const bad_case k_bad[] = {
    /* not JSON, with position */
    {SPATIA_OP_PERSONCOUNT, "{\"zones\": [}", "$",
     "not valid JSON (line 1, column 12)"},
    {SPATIA_OP_PERSONCOUNT, "{\n  \"zones\": [\n    {\"name\" 1}]}", "$",
     "not valid JSON (line 3, column 13)"},
    {SPATIA_OP_PERSONCOUNT, "", "$", "not valid JSON"},
    /* root not an object */
    {SPATIA_OP_PERSONCOUNT, "[1, 2]", "$", "must be a JSON object"},
    {SPATIA_OP_PERSONCOUNT, "42", "$", "must be a JSON object"},
    /* zones / lines not arrays */
    {SPATIA_OP_PERSONCOUNT, "{\"zones\": {}}", "$.zones",
     "must be an array of zone objects, got an object"},
    {SPATIA_OP_CROSSINGLINE, "{\"lines\": \"l\"}", "$.lines",
     "must be an array of line objects"},
    /* zone / line not an object */
    {SPATIA_OP_PERSONCOUNT, "{\"zones\": [42]}", "$.zones[0]",
     "a zone must be an object"},
    {SPATIA_OP_CROSSINGLINE, "{\"lines\": [[0,1]]}", "$.lines[0]",
     "a line must be an object"},
    /* names */
    {SPATIA_OP_PERSONCOUNT, "{\"zones\": [{" Z3 "}]}", "$.zones[0]",
     "has no \"name\""},
    {SPATIA_OP_PERSONCOUNT, "{\"zones\": [{\"name\": 7, " Z3 "}]}",
     "$.zones[0].name", "must be a non-empty string, got 7"},
    {SPATIA_OP_PERSONCOUNT, "{\"zones\": [{\"name\": \"\", " Z3 "}]}",
     "$.zones[0].name", "must be a non-empty string"},
    {SPATIA_OP_PERSONCOUNT, "{\"zones\": [{\"name\": \"a\\u0000b\", " Z3 "}]}",
     "$.zones[0].name", "NUL"},
    {SPATIA_OP_PERSONCOUNT,
     "{\"zones\": [{\"name\": \"q\", " Z3 "}, {\"name\": \"q\", " Z3 "}]}",
     "$.zones[1].name", "duplicate name \"q\" (also used by $.zones[0].name)"},
    {SPATIA_OP_SPATIALANALYSIS,
     "{\"zones\": [{\"name\": \"door\", " Z3 "}],"
     " \"lines\": [{\"name\": \"x\", " L01 "}, {\"name\": \"door\", " L01 "}]}",
     "$.lines[1].name", "also used by $.zones[0].name"},
    /* polygons */
    {SPATIA_OP_PERSONCOUNT, "{\"zones\": [{\"name\": \"z\"}]}", "$.zones[0]",
     "has no \"polygon\""},
    {SPATIA_OP_PERSONCOUNT, "{\"zones\": [{\"name\": \"z\", \"polygon\": {}}]}",
     "$.zones[0].polygon", "must be an array of [x, y] vertices"},
    {SPATIA_OP_PERSONCOUNT,
     "{\"zones\": [{\"name\": \"z\", \"polygon\": [[0,0],[1,1]]}]}",
     "$.zones[0].polygon", "at least 3 vertices, got 2"},
    {SPATIA_OP_PERSONCOUNT,
     "{\"zones\": [{\"name\": \"z\", \"polygon\": [[0,0],[1,1],[0,0]]}]}",
     "$.zones[0].polygon", "at least 3 distinct vertices"},
    {SPATIA_OP_PERSONCOUNT,
     "{\"zones\": [{\"name\": \"z\", \"polygon\": [[0,0],[1,1],[1,1],[0,0],"
     "[1,1]]}]}",
     "$.zones[0].polygon", "at least 3 distinct vertices"},
    {SPATIA_OP_PERSONCOUNT,
     "{\"zones\": [{\"name\": \"z\", \"polygon\": [[0,0],[1],[1,1]]}]}",
     "$.zones[0].polygon[1]", "vertex must be a pair of numbers"},
    {SPATIA_OP_PERSONCOUNT,
     "{\"zones\": [{\"name\": \"z\", \"polygon\": [[0,0],[\"1\",0],[1,1]]}]}",
     "$.zones[0].polygon[1]", "vertex must be a pair of numbers"},
    {SPATIA_OP_PERSONCOUNT,
     "{\"zones\": [{\"name\": \"z\", \"polygon\": [[0,0],[1.5,0],[1,1]]}]}",
     "$.zones[0].polygon[1][0]", "x = 1.5 is outside [0, 1]"},
    {SPATIA_OP_PERSONCOUNT,
     "{\"zones\": [{\"name\": \"z\", \"polygon\": [[0,0],[1,0],[1,-0.1]]}]}",
     "$.zones[0].polygon[2][1]", "normalized coordinates"},
    {SPATIA_OP_PERSONCOUNT,
     "{\"zones\": [{\"name\": \"z\", \"polygon\": \"[[0,0],[1,0]\"}]}",
     "$.zones[0].polygon", "string is not valid JSON (line 1, column 13"},
    /* lines */
    {SPATIA_OP_CROSSINGLINE, "{\"lines\": [{\"name\": \"l\"}]}", "$.lines[0]",
     "has no \"line\""},
    {SPATIA_OP_CROSSINGLINE,
     "{\"lines\": [{\"name\": \"l\", \"line\": {\"end\": {\"x\":1,\"y\":1}}}]}",
     "$.lines[0].line", "missing \"start\""},
    {SPATIA_OP_CROSSINGLINE,
     "{\"lines\": [{\"name\": \"l\", \"line\": {\"start\": {\"x\":0,\"y\":0},"
     " \"end\": {\"x\":1}}}]}",
     "$.lines[0].line.end", "missing \"y\""},
    {SPATIA_OP_CROSSINGLINE,
     "{\"lines\": [{\"name\": \"l\", \"line\": {\"start\": {\"x\":2,\"y\":0},"
     " \"end\": {\"x\":1,\"y\":1}}}]}",
     "$.lines[0].line.start.x", "outside [0, 1]"},
    {SPATIA_OP_CROSSINGLINE,
     "{\"lines\": [{\"name\": \"l\", \"line\": {\"start\": {\"x\":0.5,"
     "\"y\":0.5}, \"end\": {\"x\":0.5,\"y\":0.5}}}]}",
     "$.lines[0].line", "zero-length line"},
    /* events */
    {SPATIA_OP_PERSONCOUNT,
     "{\"zones\": [{\"name\": \"z\", " Z3 ", \"events\": {\"type\": "
     "\"count\"}}]}",
     "$.zones[0].events", "must be an array of event objects"},
    {SPATIA_OP_PERSONCOUNT, ZEV("\"count\""), "$.zones[0].events[0]",
     "an event must be an object"},
    {SPATIA_OP_PERSONCOUNT, ZEV("{\"config\": {}}"), "$.zones[0].events[0]",
     "event has no \"type\""},
    {SPATIA_OP_PERSONCOUNT, ZEV("{\"type\": 1}"), "$.zones[0].events[0].type",
     "must be a string"},
    {SPATIA_OP_PERSONCOUNT, ZEV("{\"type\": \"count\"}, {\"type\": \"crowd\"}"),
     "$.zones[0].events[1].type",
     "unknown event type \"crowd\"; valid types: count, linecrossing, "
     "zonecrossing, zonedwelltime, persondistance"},
    {SPATIA_OP_SPATIALANALYSIS, ZEV("{\"type\": \"linecrossing\"}"),
     "$.zones[0].events[0].type", "needs a line"},
    {SPATIA_OP_SPATIALANALYSIS,
     "{\"lines\": [{\"name\": \"l\", " L01 ", \"events\": [{\"type\": "
     "\"zonedwelltime\"}]}]}",
     "$.lines[0].events[0].type", "a line supports only linecrossing"},
    {SPATIA_OP_CROSSINGPOLYGON, ZEV("{\"type\": \"count\"}"),
     "$.zones[0].events[0].type",
     "not valid for operation personcrossingpolygon"},
    {SPATIA_OP_PERSONCOUNT, ZEV("{\"type\": \"persondistance\"}"),
     "$.zones[0].events[0].type", "not valid for operation personcount"},
    {SPATIA_OP_PERSONCOUNT, ZEV("{\"type\": \"count\", \"config\": [1]}"),
     "$.zones[0].events[0].config", "must be an object"},
    /* trigger */
    {SPATIA_OP_PERSONCOUNT,
     ZEV("{\"type\": \"count\"}, {\"type\": \"count\", \"config\": "
         "{\"trigger\": \"sometimes\"}}"),
     "$.zones[0].events[1].config.trigger",
     "must be \"event\" or \"interval\", got \"sometimes\""},
    {SPATIA_OP_CROSSINGPOLYGON,
     ZEV("{\"type\": \"zonecrossing\", \"config\": {\"trigger\": "
         "\"interval\"}}"),
     "$.zones[0].events[0].config.trigger",
     "only valid for count and persondistance events, not zonecrossing"},
    {SPATIA_OP_CROSSINGLINE,
     "{\"lines\": [{\"name\": \"l\", " L01 ", \"events\": [{\"type\": "
     "\"linecrossing\", \"config\": {\"trigger\": \"interval\"}}]}]}",
     "$.lines[0].events[0].config.trigger", "not linecrossing"},
    /* output_frequency */
    {SPATIA_OP_PERSONCOUNT,
     ZEV("{\"type\": \"count\", \"config\": {\"output_frequency\": 0}}"),
     "$.zones[0].events[0].config.output_frequency",
     "must be an integer >= 1, got 0"},
    {SPATIA_OP_PERSONCOUNT,
     ZEV("{\"type\": \"count\", \"config\": {\"output_frequency\": 2.5}}"),
     "$.zones[0].events[0].config.output_frequency", "an integer >= 1"},
    {SPATIA_OP_PERSONCOUNT,
     ZEV("{\"type\": \"count\", \"outputFrequency\": \"two\"}"),
     "$.zones[0].events[0].outputFrequency",
     "must be an integer >= 1, got \"two\""},
    /* focus */
    {SPATIA_OP_PERSONCOUNT,
     ZEV("{\"type\": \"count\", \"config\": {\"focus\": \"head\"}}"),
     "$.zones[0].events[0].config.focus",
     "must be \"footprint\", \"bottom_center\""},
    /* thresholds */
    {SPATIA_OP_PERSONCOUNT,
     ZEV("{\"type\": \"count\", \"config\": {\"threshold\": -1}}"),
     "$.zones[0].events[0].config.threshold", "a number >= 0, got -1"},
    {SPATIA_OP_PERSONCOUNT,
     "{\"zones\": [{\"name\": \"z\", \"threshold\": -16, " Z3 "}]}",
     "$.zones[0].threshold", "a number >= 0"},
    {SPATIA_OP_PERSONCOUNT,
     ZEV("{\"type\": \"count\", \"config\": {\"threshold\": \"16px\"}}"),
     "$.zones[0].events[0].config.threshold", "got \"16px\""},
    {SPATIA_OP_PERSONCOUNT,
     ZEV("{\"type\": \"count\", \"config\": {\"threshold\": \"0x10\"}}"),
     "$.zones[0].events[0].config.threshold", "a number >= 0"},
    /* distances */
    {SPATIA_OP_PERSONDISTANCE,
     ZEV("{\"type\": \"persondistance\", \"config\": "
         "{\"minimum_distance_threshold\": 10, "
         "\"maximum_distance_threshold\": 6}}"),
     "$.zones[0].events[0].config.maximum_distance_threshold",
     "smaller than the minimum"},
    {SPATIA_OP_PERSONDISTANCE,
     ZEV("{\"type\": \"persondistance\", \"config\": "
         "{\"minimum_distance_threshold\": -6}}"),
     "$.zones[0].events[0].config.minimum_distance_threshold",
     "a distance >= 0 (feet)"},
    {SPATIA_OP_PERSONDISTANCE,
     ZEV("{\"type\": \"persondistance\", \"maximumDistanceThreshold\": "
         "\"-1\"}"),
     "$.zones[0].events[0].maximumDistanceThreshold", "a distance >= 0"},
    /* aggregation */
    {SPATIA_OP_PERSONDISTANCE,
     ZEV("{\"type\": \"persondistance\", \"config\": "
         "{\"aggregation_method\": \"median\"}}"),
     "$.zones[0].events[0].config.aggregation_method",
     "must be \"average\" or \"mode\", got \"median\""},
    /* legacy interval */
    {SPATIA_OP_PERSONCOUNT,
     ZEV("{\"type\": \"count\", \"config\": {\"interval\": \"-5\"}}"),
     "$.zones[0].events[0].config.interval", "seconds >= 0"},
    /* target_side */
    {SPATIA_OP_CROSSINGPOLYGON,
     "{\"zones\": [{\"name\": \"z\", \"target_side\": 9, " Z3 "}]}",
     "$.zones[0].target_side", "side number in [0, N]"},
    /* SPACEANALYTICS_CONFIG member */
    {SPATIA_OP_PERSONCOUNT,
     "{\"VIDEO_URL\": \"x\", \"SPACEANALYTICS_CONFIG\": \"{\\\"zones\\\": "
     "[}\"}",
     "$.SPACEANALYTICS_CONFIG",
     "string is not valid JSON (line 1, column 12 inside the string)"},
    {SPATIA_OP_PERSONCOUNT, "{\"SPACEANALYTICS_CONFIG\": 3}",
     "$.SPACEANALYTICS_CONFIG", "must be a JSON object or a string"},
    {SPATIA_OP_PERSONCOUNT, "{\"SPACEANALYTICS_CONFIG\": \"[]\"}",
     "$.SPACEANALYTICS_CONFIG", "must be a JSON object"},
    {SPATIA_OP_PERSONCOUNT,
     "{\"parameters\": {\"spaceanalytics_config\": \"{\\\"zones\\\": "
     "[{\\\"name\\\": \\\"z\\\"}]}\"}}",
     "$.parameters.spaceanalytics_config.zones[0]", "has no \"polygon\""},
    /* nothing left for the operation */
    {SPATIA_OP_PERSONCOUNT, "{}", "$", "nothing to do"},
    {SPATIA_OP_PERSONCOUNT, "{\"zones\": []}", "$",
     "operation personcount needs at least one zone"},
    {SPATIA_OP_CROSSINGLINE, "{\"lines\": []}", "$", "needs at least one line"},
    {SPATIA_OP_SPATIALANALYSIS, "{\"zones\": [], \"lines\": []}", "$",
     "at least one zone or line"},
};

TEST(malformed_configs_are_rejected_with_path)
{
    char want[256];
    for (size_t i = 0; i < sizeof k_bad / sizeof k_bad[0]; i++) {
        const bad_case *b = &k_bad[i];
        int rc = parse_bad(b->op, b->json);
        ASSERT_MSG(rc == SPATIA_CONFIG, "case %zu (%s): rc %d, msg %s", i,
                   b->json, rc, g_err);
        snprintf(want, sizeof want, "t.json: %s: ", b->path);
        ASSERT_MSG(strncmp(g_err, want, strlen(want)) == 0,
                   "case %zu: want path \"%s\" in: %s", i, b->path, g_err);
        ASSERT_MSG(strstr(g_err, b->phrase) != NULL,
                   "case %zu: want \"%s\" in: %s", i, b->phrase, g_err);
        ASSERT_MSG(strchr(g_err, '\n') == NULL, "case %zu: two lines", i);
    }
}

TEST(messages_carry_the_position_and_stay_on_one_line)
{
    ASSERT_EQ(parse_bad(SPATIA_OP_PERSONCOUNT,
                        "{\"zones\": [\n  {\"name\": \"z\", " Z3 ",\n"
                        "   \"events\": [{\"type\": \"a\\nb\\u0001\"}]}]}"),
              SPATIA_CONFIG);
    ASSERT(strstr(g_err, "(line 3, col 24)") != NULL);
    ASSERT(strstr(g_err, "\"a\\x0ab\\x01\"") != NULL);
    ASSERT(strchr(g_err, '\n') == NULL);
    /* a long value is cut */
    ASSERT_EQ(parse_bad(SPATIA_OP_PERSONCOUNT,
                        ZEV("{\"type\": \"count\", \"config\": {\"focus\": "
                            "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""
                            "}}")),
              SPATIA_CONFIG);
    ASSERT(strstr(g_err, "...\"") != NULL);
    /* a tiny buffer is still terminated */
    char small[8];
    spatia_config *c;
    ASSERT_EQ(spatia_config_parse("[]", 2, SPATIA_OP_PERSONCOUNT, "t", &c,
                                  small, sizeof small),
              SPATIA_CONFIG);
    ASSERT_EQ(strlen(small), 7);
    /* and no buffer at all is fine */
    ASSERT_EQ(
        spatia_config_parse("[]", 2, SPATIA_OP_PERSONCOUNT, "t", &c, NULL, 0),
        SPATIA_CONFIG);
    ASSERT_EQ(
        spatia_config_parse(NULL, 2, SPATIA_OP_PERSONCOUNT, "t", &c, NULL, 0),
        SPATIA_EINVAL);
    ASSERT_EQ(spatia_config_parse("{}", 2, (spatia_op)99, "t", &c, NULL, 0),
              SPATIA_EINVAL);
}

/* ---- names and operations ---------------------------------------------- */

TEST(op_parse_and_names)
{
    static const struct {
        const char *s;
        spatia_op op;
    } ok[] = {
        {"cognitiveservices.vision.spatialanalysis-personcount",
         SPATIA_OP_PERSONCOUNT},
        {"cognitiveservices.vision.spatialanalysis-personcrossingline",
         SPATIA_OP_CROSSINGLINE},
        {"cognitiveservices.vision.spatialanalysis-personcrossingpolygon",
         SPATIA_OP_CROSSINGPOLYGON},
        {"cognitiveservices.vision.spatialanalysis-persondistance",
         SPATIA_OP_PERSONDISTANCE},
        {"cognitiveservices.vision.spatialanalysis", SPATIA_OP_SPATIALANALYSIS},
        {"cognitiveservices.vision.spatialanalysis.debug",
         SPATIA_OP_SPATIALANALYSIS},
        {"cognitiveservices.vision.spatialanalysis-personcount.debug",
         SPATIA_OP_PERSONCOUNT},
        {"cognitiveservices.vision.spatialanalysis-personcrossingline."
         "livevideoanalytics",
         SPATIA_OP_CROSSINGLINE},
        {"cognitiveservices.vision.spatialanalysis-persondistance."
         "livevideoanalytics.debug",
         SPATIA_OP_PERSONDISTANCE},
        {"cognitiveservices.vision.spatialanalysis.livevideoanalytics",
         SPATIA_OP_SPATIALANALYSIS},
        {"cognitiveservices.vision.spatialanalysis-personcount."
         "azurevideoanalyzer",
         SPATIA_OP_PERSONCOUNT},
        {"personcount", SPATIA_OP_PERSONCOUNT},
        {"personcrossingline", SPATIA_OP_CROSSINGLINE},
        {"personcrossingpolygon", SPATIA_OP_CROSSINGPOLYGON},
        {"persondistance", SPATIA_OP_PERSONDISTANCE},
        {"spatialanalysis", SPATIA_OP_SPATIALANALYSIS},
        {"personcrossingpolygon.debug", SPATIA_OP_CROSSINGPOLYGON},
    };
    static const char *bad[] = {
        "",
        "person",
        "personcount2",
        "debug",
        ".debug",
        "cognitiveservices.vision.spatialanalysis-",
        "cognitiveservices.vision.spatialanalysis-spatialanalysis",
        "cognitiveservices.vision.spatialanalysisx",
        "cognitiveservices.vision.spatialanalysis-videorecorder",
        "cognitiveservices.vision.vehicleanalysis-vehiclecount-preview",
        "personcount.debug.debug",
        "personcount.azurevideoanalyzer.debug"};
    spatia_op op;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        op = (spatia_op)-1;
        ASSERT_MSG(spatia_op_parse(ok[i].s, &op) == SPATIA_OK, "%s", ok[i].s);
        ASSERT_EQ(op, ok[i].op);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ASSERT_MSG(spatia_op_parse(bad[i], &op) == SPATIA_EINVAL, "%s", bad[i]);
    ASSERT_EQ(spatia_op_parse(NULL, &op), SPATIA_EINVAL);
    /* names round-trip */
    for (int i = 0; i <= SPATIA_OP_SPATIALANALYSIS; i++) {
        ASSERT_OK(spatia_op_parse(spatia_op_name((spatia_op)i), &op));
        ASSERT_EQ(op, i);
    }
    ASSERT_STREQ(spatia_op_name(SPATIA_OP_CROSSINGPOLYGON),
                 "personcrossingpolygon");
    ASSERT_STREQ(spatia_op_name((spatia_op)42), "unknown");
    ASSERT_STREQ(spatia_event_kind_name(SPATIA_EVENT_COUNT), "count");
    ASSERT_STREQ(spatia_event_kind_name(SPATIA_EVENT_LINECROSSING),
                 "linecrossing");
    ASSERT_STREQ(spatia_event_kind_name(SPATIA_EVENT_ZONECROSSING),
                 "zonecrossing");
    ASSERT_STREQ(spatia_event_kind_name(SPATIA_EVENT_ZONEDWELLTIME),
                 "zonedwelltime");
    ASSERT_STREQ(spatia_event_kind_name(SPATIA_EVENT_PERSONDISTANCE),
                 "persondistance");
    ASSERT_STREQ(spatia_event_kind_name((spatia_event_kind)9), "unknown");
    spatia_config_destroy(NULL);
}

/* ---- files ------------------------------------------------------------- */

TEST(load_from_file)
{
    char path[] = "/tmp/spatia_cfg_XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(k_generic, f);
    fclose(f);
    spatia_config *c = NULL;
    char err[512];
    int rc = spatia_config_load(path, SPATIA_OP_SPATIALANALYSIS, &c, err,
                                sizeof err);
    ASSERT_MSG(rc == SPATIA_OK, "%s", err);
    ASSERT_EQ(c->nzones, 1);
    ASSERT_EQ(c->zones[0].nevents, 4);
    spatia_config_destroy(c);
    /* errors name the file */
    rc = spatia_config_load(path, SPATIA_OP_CROSSINGPOLYGON, &c, err,
                            sizeof err);
    ASSERT_EQ(rc, SPATIA_CONFIG);
    ASSERT(strncmp(err, path, strlen(path)) == 0);
    ASSERT(strstr(err, "$.zones[0].events[0].type") != NULL);
    unlink(path);

    rc = spatia_config_load(path, SPATIA_OP_PERSONCOUNT, &c, err, sizeof err);
    ASSERT_EQ(rc, SPATIA_NOTFOUND);
    ASSERT(c == NULL);
    ASSERT(strstr(err, path) != NULL);
    rc = spatia_config_load("/tmp", SPATIA_OP_PERSONCOUNT, &c, err, sizeof err);
    ASSERT_EQ(rc, SPATIA_IO);
    ASSERT(strstr(err, "/tmp") != NULL);
}

/* ---- robustness -------------------------------------------------------- */

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* Parses len bytes; fails the test on anything but OK or a one-line
 * SPATIA_CONFIG message. Returns 0 when fine. */
static int robust_once(spatia_op op, const char *text, size_t len)
{
    spatia_config *c = NULL;
    char err[512];
    err[0] = '\0';
    int rc = spatia_config_parse(text, len, op, "fuzz", &c, err, sizeof err);
    if (rc == SPATIA_OK) {
        if (!c)
            return -1;
        spatia_config_destroy(c);
        return 0;
    }
    if (rc != SPATIA_CONFIG || c != NULL || err[0] == '\0' ||
        strchr(err, '\n')) {
        fprintf(stderr, "rc %d err \"%s\" for: %.*s\n", rc, err, (int)len,
                text);
        return -1;
    }
    return 0;
}

TEST(mutations_never_crash)
{
    const char *small =
        "{\"zones\":[{\"name\":\"z\",\"threshold\":\"16\",\"polygon\":"
        "[[0.1,0.1],[0.9,0.1],[0.5,0.9],[0.1,0.1]],\"events\":[{\"type\":"
        "\"count\",\"config\":{\"trigger\":\"interval\",\"output_frequency\":2,"
        "\"focus\":\"bottom_center\"}},{\"type\":\"persondistance\","
        "\"config\":{\"minimum_distance_threshold\":6,"
        "\"maximum_distance_threshold\":35}}]}],\"lines\":[{\"name\":\"l\","
        "\"line\":{\"start\":{\"x\":0,\"y\":0.5},\"end\":{\"x\":1,\"y\":0.5}},"
        "\"events\":[{\"type\":\"linecrossing\"}]}]}";
    char *manifest = wrap_manifest(small, "SPACEANALYTICS_CONFIG");
    const char *inputs[3] = {small, manifest, k_s16_checkout};
    static const char alphabet[] = "{}[]\",:\\0123456789.-eE tfnu";
    uint32_t seed = 20240601u;
    int ok = 0, failed = 0;
    char *buf = malloc(8192);

    ASSERT(robust_once(SPATIA_OP_SPATIALANALYSIS, small, strlen(small)) == 0);
    for (int in = 0; in < 3; in++) {
        const char *src = inputs[in];
        size_t n = strlen(src);
        ASSERT(n < 8192);
        /* every truncation */
        for (size_t k = 0; k <= n; k++) {
            memcpy(buf, src, k);
            if (robust_once(SPATIA_OP_SPATIALANALYSIS, buf, k))
                failed++;
        }
        /* 1-4 random byte changes, structural or arbitrary */
        for (int it = 0; it < 4000; it++) {
            memcpy(buf, src, n);
            int flips = 1 + (int)(lcg(&seed) % 4);
            for (int f = 0; f < flips; f++) {
                size_t at = lcg(&seed) % n;
                uint32_t r = lcg(&seed);
                if (r & 1)
                    buf[at] = alphabet[(r >> 1) % (sizeof alphabet - 1)];
                else
                    buf[at] = (char)(r >> 1);
            }
            spatia_config *c = NULL;
            char err[512];
            int rc = spatia_config_parse(buf, n, SPATIA_OP_SPATIALANALYSIS,
                                         "fuzz", &c, err, sizeof err);
            if (rc == SPATIA_OK) {
                ok++;
                spatia_config_destroy(c);
            } else if (rc != SPATIA_CONFIG || c || !err[0] ||
                       strchr(err, '\n')) {
                failed++;
            }
        }
    }
    free(buf);
    free(manifest);
    ASSERT_EQ(failed, 0);
    /* the mutations must not all be trivially rejected or accepted */
    ASSERT(ok > 0);
    fprintf(stderr, "mutations: %d of %d parsed\n", ok, 3 * 4000);
}

TEST_MAIN(T(canonical_personcount), T(canonical_personcrossingline),
          T(canonical_personcrossingpolygon), T(canonical_persondistance),
          T(canonical_spatialanalysis), T(s16_checkout_manifest_string),
          T(s16_other_instances), T(s16_legacy_threshold_positions),
          T(polygon_open_closed_self_intersecting),
          T(ava_nested_zone_and_line_with_string_geometry),
          T(many_string_polygons), T(legacy_event_aliases),
          T(ava_camelcase_keys_and_numeric_strings), T(focus_spellings),
          T(missing_events_give_the_default_event),
          T(config_forms_string_and_parameters), T(unknown_keys_are_ignored),
          T(unused_geometry_is_ignored_with_one_warning),
          T(malformed_configs_are_rejected_with_path),
          T(messages_carry_the_position_and_stay_on_one_line),
          T(op_parse_and_names), T(load_from_file), T(mutations_never_crash))
