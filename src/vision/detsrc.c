/*
 * detsrc.c - the detection-source handle: a vtable plus its instance.
 *
 * Detectors plug into the pipeline by filling a spatia_detsrc_vtable; this
 * file only dispatches and validates arguments at the boundary.
 */
#include <stdlib.h>

#include "spatia/detect.h"
#include "spatia/error.h"

struct spatia_detsrc {
    const spatia_detsrc_vtable *vt;
    void *self;
};

int spatia_detsrc_wrap(const spatia_detsrc_vtable *vt, void *self,
                       spatia_detsrc **out)
{
    spatia_detsrc *s;

    if (!vt || !vt->detect || !vt->destroy || !out) {
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

int spatia_detsrc_detect(spatia_detsrc *src, const spatia_frame *frame,
                         spatia_detection *out, int cap, int *n)
{
    if (!src || !frame || (!out && cap > 0) || cap < 0 || !n)
        return SPATIA_EINVAL;
    *n = 0;
    return src->vt->detect(src->self, frame, out, cap, n);
}

const char *spatia_detsrc_name(const spatia_detsrc *src)
{
    return src && src->vt->name ? src->vt->name : "";
}

void spatia_detsrc_destroy(spatia_detsrc *src)
{
    if (!src)
        return;
    src->vt->destroy(src->self);
    free(src);
}
