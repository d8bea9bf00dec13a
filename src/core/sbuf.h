/*
 * sbuf.h - a growable byte buffer for building text (JSON events, tables).
 *
 * The buffer keeps its capacity across sb_reset(), so a per-frame writer
 * reaches a high-water mark once and then stops allocating. After an
 * allocation failure the buffer is marked failed and later appends are
 * no-ops; check sb_failed() once at the end.
 */
#ifndef SPATIA_CORE_SBUF_H
#define SPATIA_CORE_SBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct sbuf {
    char *data; /* NUL-terminated when len > 0 or after sb_reset() */
    size_t len, cap;
    int failed; /* set after an allocation failure */
} sbuf;

void sb_reset(sbuf *b);
void sb_free(sbuf *b);
int sb_failed(const sbuf *b);
void sb_putn(sbuf *b, const char *s, size_t n);
void sb_puts(sbuf *b, const char *s);
void sb_putc(sbuf *b, char c);
void sb_printf(sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends `s` as a JSON string literal, quotes included. */
void sb_json_str(sbuf *b, const char *s);
/* Appends a number in the shortest form that reads back to the same
 * double (%.17g trimmed); non-finite values become "Infinity",
 * "-Infinity" or "NaN" in quotes, as proto3 JSON writes them. */
void sb_json_num(sbuf *b, double v);
void sb_json_int(sbuf *b, int64_t v);
/* Appends a finite double in the shortest form that reads back to the same
 * value, always with a '.' or exponent ("7132.0", "0.1"); no quotes. */
void sb_put_double(sbuf *b, double v);

#endif
