/* test_sinks.c - line sinks: one message per line, errors never ignored. */
#include "spatia/error.h"
#include "spatia/sink.h"
#include "test.h"

TEST(file_sink_writes_lines)
{
    char path[] = "/tmp/spatia-sink-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    close(fd);
    spatia_sink *s;
    char err[256];
    ASSERT_OK(spatia_sink_file_create(path, 0, &s, err, sizeof err));
    ASSERT_STREQ(spatia_sink_name(s), "file");
    ASSERT_OK(spatia_sink_write(s, "{\"a\":1}", 7));
    ASSERT_OK(spatia_sink_write(s, "{\"b\":2}", 7));
    ASSERT_OK(spatia_sink_flush(s));
    spatia_sink_destroy(s);
    /* append keeps what is there */
    ASSERT_OK(spatia_sink_file_create(path, 1, &s, err, sizeof err));
    ASSERT_OK(spatia_sink_write(s, "{\"c\":3}", 7));
    spatia_sink_destroy(s);
    FILE *f = fopen(path, "r");
    char buf[128] = "";
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    ASSERT_STREQ(buf, "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
    unlink(path);
}

TEST(full_disk_is_reported)
{
    spatia_sink *s;
    char err[256];
    if (access("/dev/full", W_OK) != 0)
        TEST_SKIP("/dev/full not available");
    ASSERT_OK(spatia_sink_file_create("/dev/full", 0, &s, err, sizeof err));
    ASSERT_EQ(spatia_sink_write(s, "{\"a\":1}", 7), SPATIA_NOSPACE);
    spatia_sink_destroy(s);
}

TEST(unwritable_path_names_the_file)
{
    spatia_sink *s = NULL;
    char err[256] = "";
    ASSERT_EQ(spatia_sink_file_create("/nonexistent-dir/x.jsonl", 0, &s, err,
                                      sizeof err),
              SPATIA_NOTFOUND);
    ASSERT(s == NULL);
    ASSERT(strstr(err, "/nonexistent-dir/x.jsonl") != NULL);
    ASSERT_EQ(spatia_sink_write(NULL, "x", 1), SPATIA_EINVAL);
    spatia_sink_destroy(NULL);
}

TEST_MAIN(T(file_sink_writes_lines), T(full_disk_is_reported),
          T(unwritable_path_names_the_file))
