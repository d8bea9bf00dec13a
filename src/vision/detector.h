/*
 * detector.h - the default detection source of `spatia run`.
 */
#ifndef SPATIA_VISION_DETECTOR_H
#define SPATIA_VISION_DETECTOR_H

#include "spatia/detect.h"

/* Creates the bundled people detector (`model`: model.json path or NULL for
 * the default; `threads`: 0 = all cores). Returns SPATIA_OK or an error with
 * a one-line reason in errbuf. */
int vision_detector_default(const char *model, int threads, spatia_detsrc **out,
                            char *errbuf, int errlen);

#endif
