/*
 * spatia/error.h - the one error enum of spatia.
 *
 * Every fallible function returns an int: SPATIA_OK (0) on success or a
 * negative spatia_err code. The codes and their messages come from one
 * X-macro table so that the enum and spatia_strerror() never drift apart.
 * Detail (which file, which JSON path) goes into a caller-supplied message
 * buffer where a function offers one; the code says what kind of failure it
 * was.
 */
#ifndef SPATIA_ERROR_H
#define SPATIA_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

#define SPATIA_ERROR_LIST(X)                                                   \
    X(OK, 0, "success")                                                        \
    X(EINVAL, -1, "invalid argument")                                          \
    X(NOMEM, -2, "out of memory")                                              \
    X(IO, -3, "input/output error")                                            \
    X(CONFIG, -4, "invalid configuration")                                     \
    X(PARSE, -5, "malformed input")                                            \
    X(NOTFOUND, -6, "not found")                                               \
    X(MEDIA, -7, "media error")                                                \
    X(EOF, -8, "end of stream")                                                \
    X(AGAIN, -9, "try again")                                                  \
    X(MODEL, -10, "invalid model")                                             \
    X(UNSUPPORTED, -11, "unsupported")                                         \
    X(NETWORK, -12, "network error")                                           \
    X(NOSPACE, -13, "no space left on device")                                 \
    X(RANGE, -14, "value out of range")                                        \
    X(INTERRUPTED, -15, "interrupted")                                         \
    X(INTERNAL, -16, "internal error")

typedef enum spatia_err {
#define SPATIA_X_ENUM(name, code, msg) SPATIA_##name = code,
    SPATIA_ERROR_LIST(SPATIA_X_ENUM)
#undef SPATIA_X_ENUM
} spatia_err;

/* Message for an error code; never NULL ("unknown error" for stray codes). */
const char *spatia_strerror(int err);

/* Symbolic name of an error code, e.g. "SPATIA_CONFIG"; never NULL. */
const char *spatia_err_name(int err);

#ifdef __cplusplus
}
#endif
#endif
