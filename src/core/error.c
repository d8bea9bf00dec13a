/*
 * error.c - messages and names for the spatia_err codes (see spatia/error.h).
 */
#include "spatia/error.h"

const char *spatia_strerror(int err)
{
    switch (err) {
#define SPATIA_X_MSG(name, code, msg)                                          \
    case code:                                                                 \
        return msg;
        SPATIA_ERROR_LIST(SPATIA_X_MSG)
#undef SPATIA_X_MSG
    }
    return "unknown error";
}

const char *spatia_err_name(int err)
{
    switch (err) {
#define SPATIA_X_NAME(name, code, msg)                                         \
    case code:                                                                 \
        return "SPATIA_" #name;
        SPATIA_ERROR_LIST(SPATIA_X_NAME)
#undef SPATIA_X_NAME
    }
    return "SPATIA_UNKNOWN";
}
