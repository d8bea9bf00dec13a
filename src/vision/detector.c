/*
 * detector.c - the default detection source of `spatia run`: the CenterNet
 * people detector (detect_nn.c) on the bundled model.
 */
#include <stdio.h>

#include "spatia/error.h"
#include "vision/detector.h"

int vision_detector_default(const char *model, int threads, spatia_detsrc **out,
                            char *errbuf, int errlen)
{
    char path[4096];
    spatia_nn_opts no;
    int rc = spatia_model_path(model, path, sizeof path);
    if (rc == SPATIA_NOTFOUND) {
        snprintf(errbuf, (size_t)errlen,
                 "model %s not found (run scripts/fetch-models.sh, set "
                 "SPATIA_MODELS_DIR or pass --model PATH)",
                 path);
        return rc;
    }
    if (rc) {
        snprintf(errbuf, (size_t)errlen, "bad model name");
        return rc;
    }
    spatia_nn_opts_default(&no);
    no.threads = threads;
    return spatia_detsrc_nn_create(path, &no, NULL, out, errbuf, errlen);
}
