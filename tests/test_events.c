/*
 * test_events.c - golden tests of the schema-2.0 JSON (spec §6, §16):
 * one exact golden message, then every event type checked field by field
 * after reading it back.
 */
#include <ctype.h>
#include <math.h>

#include "core/json.h"
#include "spatia/error.h"
#include "spatia/events.h"
#include "test.h"

static int is_hex32(const char *s)
{
    if (!s || strlen(s) != 32)
        return 0;
    for (int i = 0; i < 32; i++)
        if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
            return 0;
    return 1;
}

static int is_rfc3339_ms_z(const char *s)
{
    /* YYYY-MM-DDTHH:MM:SS.mmmZ */
    const char *pat = "dddd-dd-ddTdd:dd:dd.dddZ";
    if (!s || strlen(s) != strlen(pat))
        return 0;
    for (int i = 0; pat[i]; i++)
        if (pat[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != pat[i])
            return 0;
    return 1;
}

static const char *ID_A = "bc796b0fc2534bc59f13138af3dd7027";
static const char *ID_B = "60add228e5274158897c135905b5a019";
static const char *EV_ID = "b013c2059577418caa826844223bb50b";

static spatia_person people[2];
static spatia_source_info src;

static void setup(void)
{
    memset(people, 0, sizeof people);
    memcpy(people[0].id, ID_A, 33);
    people[0].box.x1 = 304;
    people[0].box.y1 = 72;
    people[0].box.x2 = 352;
    people[0].box.y2 = 216;
    people[0].confidence = 0.5f;
    people[0].foot_x = 0.5;
    people[0].foot_y = 0.75;
    memcpy(people[1].id, ID_B, 33);
    people[1].box.x1 = 0;
    people[1].box.y1 = 0;
    people[1].box.x2 = 700; /* beyond the frame: clamped to 1 */
    people[1].box.y2 = 144;
    people[1].confidence = 0.25f;
    people[1].foot_x = 0.25;
    people[1].foot_y = 0.5;
    src.id = "camera_id";
    src.time_ms = 1598249217224LL; /* 2020-08-24T06:06:57.224Z */
    src.width = 608;
    src.height = 288;
    src.frame_id = 1400;
}

static spatia_event base(spatia_event_type t)
{
    spatia_event e;
    memset(&e, 0, sizeof e);
    e.type = t;
    memcpy(e.id, EV_ID, 33);
    e.zone = "lobbycamera";
    e.people = people;
    e.npeople = 1;
    e.tracking_id = ID_A;
    return e;
}

TEST(golden_line_event_exact)
{
    spatia_event_writer *w;
    const char *json;
    size_t len;
    setup();
    spatia_event e = base(SPATIA_EV_PERSON_LINE);
    e.zone = "doorcamera";
    e.status = SPATIA_STATUS_CROSS_LEFT;
    ASSERT_OK(spatia_event_writer_create(&w));
    ASSERT_OK(spatia_event_format(w, &e, &src, &json, &len));
    const char *want =
        "{\"events\":[{\"id\":\"b013c2059577418caa826844223bb50b\","
        "\"type\":\"personLineEvent\","
        "\"detectionIds\":[\"bc796b0fc2534bc59f13138af3dd7027\"],"
        "\"properties\":{\"trackingId\":\"bc796b0fc2534bc59f13138af3dd7027\","
        "\"status\":\"CrossLeft\"},\"zone\":\"doorcamera\"}],"
        "\"sourceInfo\":{\"id\":\"camera_id\","
        "\"timestamp\":\"2020-08-24T06:06:57.224Z\",\"width\":608,"
        "\"height\":288,\"frameId\":\"1400\",\"imagePath\":\"\"},"
        "\"detections\":[{\"type\":\"person\","
        "\"id\":\"bc796b0fc2534bc59f13138af3dd7027\","
        "\"region\":{\"type\":\"RECTANGLE\",\"points\":[{\"x\":0.5,\"y\":0.25},"
        "{\"x\":0.5789473684210527,\"y\":0.75}]},\"confidence\":0.5,"
        "\"metadata\":{\"centerGroundPointX\":\"0.0\","
        "\"centerGroundPointY\":\"0.0\",\"footprintX\":\"0.5\","
        "\"footprintY\":\"0.75\",\"groundOrientationAngle\":\"inf\","
        "\"speed\":\"0.0\","
        "\"trackingId\":\"bc796b0fc2534bc59f13138af3dd7027\"}}],"
        "\"schemaVersion\":\"2.0\"}";
    ASSERT_STREQ(json, want);
    ASSERT_EQ(len, strlen(want));
    spatia_event_writer_destroy(w);
}

/* Checks the envelope, sourceInfo and detections of a message against
 * §16 and returns the event object. */
static const json_value *check_envelope(const json_value *r, int npeople,
                                        int tracked)
{
    const json_value *evs = json_get(r, "events");
    if (!evs || evs->type != JSON_ARRAY || evs->count != 1)
        return NULL;
    const json_value *sv = json_get(r, "schemaVersion");
    if (!sv || sv->type != JSON_STRING || strcmp(sv->str, "2.0"))
        return NULL;
    const json_value *si = json_get(r, "sourceInfo");
    if (!si || strcmp(json_get(si, "id")->str, "camera_id") ||
        !is_rfc3339_ms_z(json_get(si, "timestamp")->str) ||
        json_get(si, "width")->type != JSON_NUMBER ||
        json_get(si, "width")->number != 608 ||
        json_get(si, "height")->number != 288 ||
        json_get(si, "frameId")->type != JSON_STRING ||
        strcmp(json_get(si, "frameId")->str, "1400") ||
        json_get(si, "imagePath")->type != JSON_STRING ||
        json_get(si, "imagePath")->len != 0)
        return NULL;
    const json_value *ev = evs->child;
    const json_value *ids = json_get(ev, "detectionIds");
    const json_value *dets = json_get(r, "detections");
    if (!is_hex32(json_get(ev, "id")->str) || !ids || !dets ||
        ids->count != npeople || dets->count != npeople)
        return NULL;
    for (int i = 0; i < npeople; i++) {
        const json_value *d = json_at(dets, i);
        if (strcmp(json_at(ids, i)->str, json_get(d, "id")->str) ||
            !is_hex32(json_get(d, "id")->str) ||
            strcmp(json_get(d, "type")->str, "person"))
            return NULL;
        const json_value *reg = json_get(d, "region");
        if (strcmp(json_get(reg, "type")->str, "RECTANGLE"))
            return NULL;
        const json_value *pts = json_get(reg, "points");
        if (pts->count != 2)
            return NULL;
        for (const json_value *p = pts->child; p; p = p->next) {
            double x = json_get(p, "x")->number, y = json_get(p, "y")->number;
            if (x < 0 || x > 1 || y < 0 || y > 1)
                return NULL;
        }
        double c = json_get(d, "confidence")->number;
        if (c < 0 || c > 1)
            return NULL;
        const json_value *md = json_get(d, "metadata");
        for (const json_value *m = md->child; m; m = m->next)
            if (m->type != JSON_STRING) /* proto3 map<string,string> */
                return NULL;
        if (!json_get(md, "centerGroundPointX") || !json_get(md, "footprintY"))
            return NULL;
        if (tracked != (json_get(md, "trackingId") != NULL))
            return NULL;
    }
    return ev;
}

static json_doc *format_parse(const spatia_event *e)
{
    spatia_event_writer *w;
    const char *json;
    size_t len;
    json_doc *d = NULL;
    if (spatia_event_writer_create(&w))
        return NULL;
    if (spatia_event_format(w, e, &src, &json, &len) == 0) {
        if (memchr(json, '\n', len)) /* one message per line */
            d = NULL;
        else
            json_parse(json, len, &d, NULL);
    }
    spatia_event_writer_destroy(w);
    return d;
}

TEST(person_count_event_fields)
{
    setup();
    spatia_event e = base(SPATIA_EV_PERSON_COUNT);
    e.tracking_id = NULL;
    e.person_count = 2;
    e.npeople = 2;
    json_doc *d = format_parse(&e);
    ASSERT(d);
    const json_value *ev = check_envelope(json_root(d), 2, 0);
    ASSERT(ev);
    ASSERT_STREQ(json_get(ev, "type")->str, "personCountEvent");
    const json_value *p = json_get(ev, "properties");
    ASSERT_EQ(p->count, 1);
    ASSERT_EQ(json_get(p, "personCount")->type, JSON_NUMBER);
    ASSERT_EQ(json_get(p, "personCount")->number, 2);
    ASSERT_STREQ(json_get(ev, "zone")->str, "lobbycamera");
    ASSERT_STREQ(json_get(ev, "trigger")->str, "event");
    /* the second box is clamped into the frame */
    const json_value *pt = json_at(
        json_get(json_get(json_at(json_get(json_root(d), "detections"), 1),
                          "region"),
                 "points"),
        1);
    ASSERT_NEAR(json_get(pt, "x")->number, 1.0, 0);
    json_doc_free(d);
}

TEST(person_count_interval_trigger)
{
    setup();
    spatia_event e = base(SPATIA_EV_PERSON_COUNT);
    e.tracking_id = NULL;
    e.npeople = 0;
    e.trigger = SPATIA_TRIGGER_INTERVAL;
    json_doc *d = format_parse(&e);
    ASSERT(d);
    const json_value *ev = check_envelope(json_root(d), 0, 0);
    ASSERT(ev);
    ASSERT_STREQ(json_get(ev, "trigger")->str, "interval");
    ASSERT_EQ(json_get(json_get(ev, "properties"), "personCount")->number, 0);
    json_doc_free(d);
}

TEST(line_event_fields)
{
    setup();
    spatia_event e = base(SPATIA_EV_PERSON_LINE);
    e.status = SPATIA_STATUS_CROSS_RIGHT;
    json_doc *d = format_parse(&e);
    ASSERT(d);
    const json_value *ev = check_envelope(json_root(d), 1, 1);
    ASSERT(ev);
    ASSERT_STREQ(json_get(ev, "type")->str, "personLineEvent");
    const json_value *p = json_get(ev, "properties");
    ASSERT_STREQ(json_get(p, "trackingId")->str, ID_A);
    ASSERT_STREQ(json_get(p, "status")->str, "CrossRight");
    ASSERT(json_get(ev, "trigger") == NULL); /* §6.4: not on line events */
    json_doc_free(d);
}

TEST(zone_enter_exit_fields)
{
    setup();
    spatia_event e = base(SPATIA_EV_ZONE_ENTER_EXIT);
    e.status = SPATIA_STATUS_ENTER;
    e.side = 1;
    json_doc *d = format_parse(&e);
    ASSERT(d);
    const json_value *ev = check_envelope(json_root(d), 1, 1);
    ASSERT(ev);
    ASSERT_STREQ(json_get(ev, "type")->str, "personZoneEnterExitEvent");
    const json_value *p = json_get(ev, "properties");
    ASSERT_STREQ(json_get(p, "status")->str, "Enter");
    ASSERT_EQ(json_get(p, "side")->type, JSON_STRING); /* §18 #5 */
    ASSERT_STREQ(json_get(p, "side")->str, "1");
    ASSERT(json_get(ev, "trigger") == NULL);
    json_doc_free(d);
    e.status = SPATIA_STATUS_EXIT;
    e.side = 0;
    d = format_parse(&e);
    ASSERT(d);
    ev = check_envelope(json_root(d), 1, 1);
    ASSERT(ev);
    ASSERT_STREQ(json_get(json_get(ev, "properties"), "side")->str, "");
    ASSERT_STREQ(json_get(json_get(ev, "properties"), "status")->str, "Exit");
    json_doc_free(d);
}

TEST(dwell_event_fields)
{
    setup();
    spatia_event e = base(SPATIA_EV_ZONE_DWELL);
    e.status = SPATIA_STATUS_EXIT;
    e.side = 2;
    e.dwell_ms = 7132.0;
    e.dwell_frames = 20;
    json_doc *d = format_parse(&e);
    ASSERT(d);
    const json_value *ev = check_envelope(json_root(d), 1, 1);
    ASSERT(ev);
    ASSERT_STREQ(json_get(ev, "type")->str, "personZoneDwellTimeEvent");
    const json_value *p = json_get(ev, "properties");
    ASSERT_STREQ(json_get(p, "trackingId")->str, ID_A);
    ASSERT_STREQ(json_get(p, "status")->str, "Exit");
    ASSERT_STREQ(json_get(p, "side")->str, "2");
    ASSERT_EQ(json_get(p, "dwellTime")->type, JSON_NUMBER);
    ASSERT_NEAR(json_get(p, "dwellTime")->number, 7132.0, 0);
    ASSERT_EQ(json_get(p, "dwellFrames")->number, 20);
    json_doc_free(d);
}

TEST(distance_event_fields)
{
    setup();
    spatia_event e = base(SPATIA_EV_PERSON_DISTANCE);
    e.tracking_id = NULL;
    e.npeople = 0;
    e.person_count = 5;
    e.min_distance_ft = 6.0;
    e.max_distance_ft = INFINITY;
    e.event_name = "unknown";
    json_doc *d = format_parse(&e);
    ASSERT(d);
    const json_value *ev = check_envelope(json_root(d), 0, 0);
    ASSERT(ev);
    ASSERT_STREQ(json_get(ev, "type")->str, "personDistanceEvent");
    const json_value *p = json_get(ev, "properties");
    ASSERT_EQ(json_get(p, "personCount")->number, 5);
    ASSERT_EQ(json_get(p, "averageDistance")->type, JSON_NUMBER);
    ASSERT_NEAR(json_get(p, "minimumDistanceThreshold")->number, 6.0, 0);
    /* §17 item 9: infinity is written as "Infinity" */
    ASSERT_STREQ(json_get(p, "maximumDistanceThreshold")->str, "Infinity");
    ASSERT_STREQ(json_get(p, "eventName")->str, "unknown");
    ASSERT_EQ(json_get(p, "distanceViolationPersonCount")->number, 0);
    ASSERT_STREQ(json_get(ev, "trigger")->str, "event");
    json_doc_free(d);
}

TEST(timestamps_and_names)
{
    char buf[40];
    spatia_format_time(0, buf, sizeof buf);
    ASSERT_STREQ(buf, "1970-01-01T00:00:00.000Z");
    spatia_format_time(1598249217224LL, buf, sizeof buf);
    ASSERT_STREQ(buf, "2020-08-24T06:06:57.224Z");
    spatia_format_time(951782400999LL, buf, sizeof buf); /* leap day */
    ASSERT_STREQ(buf, "2000-02-29T00:00:00.999Z");
    ASSERT_STREQ(spatia_status_name(SPATIA_STATUS_CROSS_RIGHT), "CrossRight");
}

TEST(invalid_events_are_rejected)
{
    spatia_event_writer *w;
    const char *json;
    size_t len;
    setup();
    ASSERT_OK(spatia_event_writer_create(&w));
    spatia_event e = base(SPATIA_EV_PERSON_LINE);
    e.tracking_id = NULL;
    ASSERT_EQ(spatia_event_format(w, &e, &src, &json, &len), SPATIA_EINVAL);
    e = base(SPATIA_EV_PERSON_LINE);
    e.zone = NULL;
    ASSERT_EQ(spatia_event_format(w, &e, &src, &json, &len), SPATIA_EINVAL);
    spatia_source_info s2 = src;
    s2.width = 0;
    e = base(SPATIA_EV_PERSON_LINE);
    ASSERT_EQ(spatia_event_format(w, &e, &s2, &json, &len), SPATIA_EINVAL);
    spatia_event_writer_destroy(w);
    spatia_event_writer_destroy(NULL);
}

TEST_MAIN(T(golden_line_event_exact), T(person_count_event_fields),
          T(person_count_interval_trigger), T(line_event_fields),
          T(zone_enter_exit_fields), T(dwell_event_fields),
          T(distance_event_fields), T(timestamps_and_names),
          T(invalid_events_are_rejected))
