/*
 * spatia/sink.h - where event messages go.
 *
 * A sink takes whole messages (one JSON insight each) and delivers them; the
 * line sinks here write one message per line. Sinks plug in through a small
 * vtable, like detection sources, so brokers and webhooks can follow.
 */
#ifndef SPATIA_SINK_H
#define SPATIA_SINK_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct spatia_sink spatia_sink;

typedef struct spatia_sink_vtable {
    const char *name;
    /* Delivers one message of `len` bytes (no newline). */
    int (*write)(void *self, const char *msg, size_t len);
    /* Makes delivered messages durable/visible; may be NULL. */
    int (*flush)(void *self);
    void (*destroy)(void *self);
} spatia_sink_vtable;

/* Takes ownership of `self` (destroyed with the handle, also on failure). */
int spatia_sink_wrap(const spatia_sink_vtable *vt, void *self,
                     spatia_sink **out);

/* Standard output, one message per line, flushed per message. */
int spatia_sink_stdout_create(spatia_sink **out);

/*
 * A file, one message per line. `append` keeps existing content, else the
 * file is truncated. Every message is flushed to the kernel when written;
 * a write error (full disk: SPATIA_NOSPACE) is reported, never ignored.
 * Returns SPATIA_OK, SPATIA_IO/SPATIA_NOTFOUND (message in errbuf) or
 * SPATIA_NOMEM.
 */
int spatia_sink_file_create(const char *path, int append, spatia_sink **out,
                            char *errbuf, int errlen);

/* Returns SPATIA_OK, SPATIA_IO, SPATIA_NOSPACE or SPATIA_EINVAL. */
int spatia_sink_write(spatia_sink *s, const char *msg, size_t len);
int spatia_sink_flush(spatia_sink *s);
const char *spatia_sink_name(const spatia_sink *s);

/* Accepts NULL. */
void spatia_sink_destroy(spatia_sink *s);

#ifdef __cplusplus
}
#endif
#endif
