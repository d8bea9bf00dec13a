/*
 * sink.c - the sink handle and the line sinks (stdout, file).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spatia/error.h"
#include "spatia/sink.h"

struct spatia_sink {
    const spatia_sink_vtable *vt;
    void *self;
};

int spatia_sink_wrap(const spatia_sink_vtable *vt, void *self,
                     spatia_sink **out)
{
    spatia_sink *s;
    if (!vt || !vt->write || !vt->destroy || !out) {
        if (vt && vt->destroy && self)
            vt->destroy(self);
        return SPATIA_EINVAL;
    }
    s = calloc(1, sizeof *s);
    if (!s) {
        vt->destroy(self);
        return SPATIA_NOMEM;
    }
    s->vt = vt;
    s->self = self;
    *out = s;
    return SPATIA_OK;
}

int spatia_sink_write(spatia_sink *s, const char *msg, size_t len)
{
    if (!s || (!msg && len))
        return SPATIA_EINVAL;
    return s->vt->write(s->self, msg, len);
}

int spatia_sink_flush(spatia_sink *s)
{
    if (!s)
        return SPATIA_EINVAL;
    return s->vt->flush ? s->vt->flush(s->self) : SPATIA_OK;
}

const char *spatia_sink_name(const spatia_sink *s)
{
    return s && s->vt->name ? s->vt->name : "";
}

void spatia_sink_destroy(spatia_sink *s)
{
    if (!s)
        return;
    s->vt->destroy(s->self);
    free(s);
}

/* ---- line sinks over stdio ---- */

typedef struct line_sink {
    FILE *f;
    int owned;
} line_sink;

static int errno_code(int e)
{
    return e == ENOSPC || e == EDQUOT ? SPATIA_NOSPACE : SPATIA_IO;
}

static int line_write(void *self, const char *msg, size_t len)
{
    line_sink *ls = self;
    if (fwrite(msg, 1, len, ls->f) != len || fputc('\n', ls->f) == EOF ||
        fflush(ls->f) != 0) {
        int e = errno;
        clearerr(ls->f);
        return errno_code(e);
    }
    return SPATIA_OK;
}

static int line_flush(void *self)
{
    line_sink *ls = self;
    if (fflush(ls->f) != 0)
        return errno_code(errno);
    return SPATIA_OK;
}

static void line_destroy(void *self)
{
    line_sink *ls = self;
    if (!ls)
        return;
    if (ls->owned)
        fclose(ls->f);
    free(ls);
}

static const spatia_sink_vtable stdout_vt = {"stdout", line_write, line_flush,
                                             line_destroy};
static const spatia_sink_vtable file_vt = {"file", line_write, line_flush,
                                           line_destroy};

int spatia_sink_stdout_create(spatia_sink **out)
{
    line_sink *ls = calloc(1, sizeof *ls);
    if (!ls)
        return SPATIA_NOMEM;
    ls->f = stdout;
    return spatia_sink_wrap(&stdout_vt, ls, out);
}

int spatia_sink_file_create(const char *path, int append, spatia_sink **out,
                            char *errbuf, int errlen)
{
    line_sink *ls;
    if (!path || !out)
        return SPATIA_EINVAL;
    ls = calloc(1, sizeof *ls);
    if (!ls)
        return SPATIA_NOMEM;
    ls->f = fopen(path, append ? "a" : "w");
    if (!ls->f) {
        int e = errno;
        if (errbuf)
            snprintf(errbuf, (size_t)errlen, "%s: cannot open for writing: %s",
                     path, strerror(e));
        free(ls);
        return e == ENOENT ? SPATIA_NOTFOUND : errno_code(e);
    }
    ls->owned = 1;
    return spatia_sink_wrap(&file_vt, ls, out);
}
