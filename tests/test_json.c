/* test_json.c - the JSON reader and the text buffer. */
#include <stdlib.h>

#include "core/file.h"
#include "core/json.h"
#include "core/sbuf.h"
#include "spatia/error.h"
#include "test.h"

static int parse_err(const char *text, json_error *e)
{
    json_doc *d = NULL;
    int rc = json_parse(text, strlen(text), &d, e);
    json_doc_free(d);
    return rc;
}

TEST(parse_values)
{
    const char *t = "{\"a\": [1, -2.5e1, true, false, null],\n"
                    " \"s\": \"x\\u00e9\\ud83d\\ude00\\n\", \"o\": {}}";
    json_doc *d;
    json_error e;
    ASSERT_OK(json_parse(t, strlen(t), &d, &e));
    const json_value *r = json_root(d);
    ASSERT_EQ(r->type, JSON_OBJECT);
    ASSERT_EQ(r->count, 3);
    const json_value *a = json_get(r, "a");
    ASSERT_EQ(a->count, 5);
    ASSERT_NEAR(json_at(a, 1)->number, -25.0, 0);
    ASSERT_EQ(json_at(a, 2)->boolean, 1);
    ASSERT_EQ(json_at(a, 4)->type, JSON_NULL);
    ASSERT(json_at(a, 5) == NULL);
    const json_value *s = json_get(r, "s");
    ASSERT_STREQ(s->str, "x\xc3\xa9\xf0\x9f\x98\x80\n");
    ASSERT_EQ(s->line, 2);
    ASSERT(json_get_ci(r, "S") == s);
    ASSERT(json_get(r, "S") == NULL);
    json_doc_free(d);
}

TEST(parse_errors_have_positions)
{
    json_error e;
    ASSERT_EQ(parse_err("{\"a\": 1,\n \"b\" 2}", &e), SPATIA_PARSE);
    ASSERT_EQ(e.line, 2);
    ASSERT(strstr(e.msg, "':'") != NULL);
    ASSERT_EQ(parse_err("[1, 2", &e), SPATIA_PARSE);
    ASSERT_EQ(parse_err("", &e), SPATIA_PARSE);
    ASSERT_EQ(parse_err("{} x", &e), SPATIA_PARSE);
    ASSERT_EQ(parse_err("[01]", &e), SPATIA_PARSE);
    ASSERT_EQ(parse_err("[1e999]", &e), SPATIA_PARSE);
    ASSERT_EQ(parse_err("[\"\\ud800\"]", &e), SPATIA_PARSE);
    ASSERT_EQ(parse_err("[\"\xff\"]", &e), SPATIA_PARSE);
    ASSERT_EQ(parse_err("[\"a\nb\"]", &e), SPATIA_PARSE);
    ASSERT_EQ(parse_err("[tru]", &e), SPATIA_PARSE);
    ASSERT_EQ(parse_err("\"abc\\", &e), SPATIA_PARSE);
}

TEST(depth_is_capped)
{
    char buf[1000];
    json_error e;
    for (int i = 0; i < 500; i++)
        buf[i] = '[';
    buf[500] = '\0';
    ASSERT_EQ(parse_err(buf, &e), SPATIA_PARSE);
    ASSERT(strstr(e.msg, "nesting") != NULL);
}

TEST(sbuf_json_output)
{
    sbuf b = {0};
    sb_json_str(&b, "a\"b\\c\n\x01");
    ASSERT_STREQ(b.data, "\"a\\\"b\\\\c\\n\\u0001\"");
    sb_reset(&b);
    sb_json_num(&b, 7132.0);
    sb_putc(&b, ' ');
    sb_json_num(&b, 0.1);
    sb_putc(&b, ' ');
    sb_json_num(&b, 1.0 / 0.0);
    ASSERT_STREQ(b.data, "7132.0 0.1 \"Infinity\"");
    sb_reset(&b);
    for (int i = 0; i < 1000; i++)
        sb_printf(&b, "%d,", i);
    ASSERT(b.len > 3000);
    ASSERT(!sb_failed(&b));
    sb_free(&b);
}

TEST(files_read_whole_and_capped)
{
    char path[] = "/tmp/spatia-json-XXXXXX", err[160];
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    ASSERT_EQ(write(fd, "{\"a\": [1, 2]}", 13), 13);
    close(fd);
    char *buf;
    size_t len;
    ASSERT_OK(file_read_all(path, 1 << 20, &buf, &len, err, sizeof err));
    ASSERT_EQ(len, 13);
    ASSERT_EQ(buf[13], '\0');
    free(buf);
    ASSERT_EQ(file_read_all(path, 8, &buf, &len, err, sizeof err),
              SPATIA_RANGE);
    ASSERT(strstr(err, "larger") != NULL);
    json_doc *d;
    json_error e;
    ASSERT_OK(json_parse_file(path, &d, &e));
    ASSERT_EQ(json_get(json_root(d), "a")->count, 2);
    json_doc_free(d);
    unlink(path);
    ASSERT_EQ(json_parse_file(path, &d, &e), SPATIA_NOTFOUND);
    ASSERT(strstr(e.msg, "cannot open") != NULL);
    ASSERT_EQ(file_read_all("/", 1 << 20, &buf, &len, err, sizeof err),
              SPATIA_IO);
}

TEST_MAIN(T(files_read_whole_and_capped), T(parse_values),
          T(parse_errors_have_positions), T(depth_is_capped),
          T(sbuf_json_output))
