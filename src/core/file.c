/*
 * file.c - whole-file reads (see file.h).
 */
#include "core/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spatia/error.h"

int file_read_all(const char *path, size_t max_bytes, char **buf, size_t *len,
                  char *errbuf, int errlen)
{
    FILE *f;
    char *b = NULL;
    size_t n = 0, cap = 0;
    int rc = SPATIA_OK;

    if (!path || !buf || !len)
        return SPATIA_EINVAL;
    *buf = NULL;
    *len = 0;
    f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        if (errbuf && errlen > 0)
            snprintf(errbuf, (size_t)errlen, "cannot open: %s", strerror(e));
        return e == ENOENT ? SPATIA_NOTFOUND : SPATIA_IO;
    }
    for (;;) {
        if (n + 1 >= cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            char *nb;
            if (cap > max_bytes) {
                if (errbuf && errlen > 0)
                    snprintf(errbuf, (size_t)errlen, "file larger than %zu MiB",
                             max_bytes >> 20);
                rc = SPATIA_RANGE;
                goto done;
            }
            nb = realloc(b, ncap);
            if (!nb) {
                rc = SPATIA_NOMEM;
                if (errbuf && errlen > 0)
                    snprintf(errbuf, (size_t)errlen, "out of memory");
                goto done;
            }
            b = nb;
            cap = ncap;
        }
        size_t r = fread(b + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0)
            break;
    }
    if (ferror(f)) {
        int e = errno;
        if (errbuf && errlen > 0)
            snprintf(errbuf, (size_t)errlen, "cannot read: %s",
                     strerror(e ? e : EIO));
        rc = SPATIA_IO;
        goto done;
    }
    if (n > max_bytes) {
        if (errbuf && errlen > 0)
            snprintf(errbuf, (size_t)errlen, "file larger than %zu MiB",
                     max_bytes >> 20);
        rc = SPATIA_RANGE;
        goto done;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    b = NULL;
done:
    free(b);
    fclose(f);
    return rc;
}
