/*
 * json.h - a small, strict JSON reader for untrusted input.
 *
 * The whole document is parsed into a tree that lives in one arena owned by
 * a json_doc; freeing the doc frees every value. Objects keep their members
 * in file order, so error messages and iteration are predictable. Input is
 * treated as hostile: nesting depth is capped, strings must be valid UTF-8
 * after unescaping (\uXXXX with surrogate pairs), numbers must be finite,
 * and every failure reports line and column.
 */
#ifndef SPATIA_CORE_JSON_H
#define SPATIA_CORE_JSON_H

#include <stddef.h>

typedef enum json_type {
    JSON_NULL,
    JSON_BOOL,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT
} json_type;

typedef struct json_value json_value;
struct json_value {
    json_type type;
    int line, col;     /* where the value starts, 1-based */
    const char *key;   /* member name when inside an object, else NULL */
    json_value *next;  /* next sibling in the parent array/object */
    json_value *child; /* first element/member (arrays, objects) */
    int count;         /* number of elements/members */
    int boolean;       /* JSON_BOOL */
    double number;     /* JSON_NUMBER */
    const char *str;   /* JSON_STRING, NUL-terminated (may contain NUL) */
    size_t len;        /* JSON_STRING length in bytes */
};

typedef struct json_doc json_doc;

typedef struct json_error {
    int line, col; /* 1-based position of the error */
    char msg[160]; /* what is wrong */
} json_error;

#define JSON_MAX_DEPTH 64

/*
 * Parses `len` bytes of `text`. On success stores the document in *out.
 * Returns SPATIA_OK, SPATIA_PARSE (details in *err, which may be NULL) or
 * SPATIA_NOMEM.
 */
int json_parse(const char *text, size_t len, json_doc **out, json_error *err);

/* Reads a whole file and parses it. SPATIA_NOTFOUND / SPATIA_IO when the
 * file cannot be read (err->msg says why). */
int json_parse_file(const char *path, json_doc **out, json_error *err);

const json_value *json_root(const json_doc *doc);

/* Accepts NULL. */
void json_doc_free(json_doc *doc);

/* Member `key` of an object (exact match), or NULL. NULL-safe. */
const json_value *json_get(const json_value *obj, const char *key);

/* Member whose name equals `key` ignoring ASCII case, or NULL. */
const json_value *json_get_ci(const json_value *obj, const char *key);

/* Element i of an array, or NULL. */
const json_value *json_at(const json_value *arr, int i);

/* Name of a type for messages: "null", "a boolean", "a number", ... */
const char *json_type_name(json_type t);

#endif
