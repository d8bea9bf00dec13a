/*
 * detector.c - the default detection source. The neural people detector
 * is not in this build yet, so asking for it is a clear error.
 */
#include <stdio.h>

#include "spatia/error.h"
#include "vision/detector.h"

int vision_detector_default(const char *model, int threads,
                            spatia_detsrc **out, char *errbuf, int errlen)
{
    (void)model;
    (void)threads;
    (void)out;
    snprintf(errbuf, (size_t)errlen,
             "the neural people detector is not available in this build; "
             "pass --detections FILE (MOT format) or --tracks FILE");
    return SPATIA_UNSUPPORTED;
}
