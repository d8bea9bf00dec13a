/*
 * file.h - reading a whole file into memory, with a size cap.
 */
#ifndef SPATIA_CORE_FILE_H
#define SPATIA_CORE_FILE_H

#include <stddef.h>

/*
 * Reads all of `path` into a new NUL-terminated buffer (*buf, freed by the
 * caller; *len excludes the NUL). Files larger than `max_bytes` are refused.
 * On failure writes "cannot open: <reason>", "cannot read: <reason>" or
 * "file larger than N MiB" (without the path) to errbuf.
 * Returns SPATIA_OK, SPATIA_NOTFOUND, SPATIA_IO, SPATIA_RANGE or
 * SPATIA_NOMEM.
 */
int file_read_all(const char *path, size_t max_bytes, char **buf, size_t *len,
                  char *errbuf, int errlen);

#endif
