/*
 * spatia/eval_events.h - how far two event streams agree on counts.
 *
 * Both inputs are files of schema-2.0 insight messages, one JSON object per
 * line (what `spatia run` writes). Every event is tallied under
 * (zone, type, status): e.g. ("walkway", "personLineEvent", "CrossLeft").
 * Count and distance events, which have no status, are tallied by message.
 * The comparison reports, per key, the reference and candidate tallies and
 * their relative difference |cand - ref| / max(ref, 1).
 */
#ifndef SPATIA_EVAL_EVENTS_H
#define SPATIA_EVAL_EVENTS_H

#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct spatia_event_tally {
    char zone[128];
    char type[48];
    char status[24];
    int64_t ref, cand;
} spatia_event_tally;

typedef struct spatia_event_compare {
    spatia_event_tally *rows; /* sorted by zone, type, status */
    int n;
    double max_rel_diff; /* over rows with a direction/status */
    int64_t sum_abs_diff;
} spatia_event_compare;

/*
 * Tallies both files. Returns SPATIA_OK, SPATIA_NOTFOUND/SPATIA_IO,
 * SPATIA_PARSE (errbuf: "file:line: reason") or SPATIA_NOMEM. The caller
 * frees with spatia_event_compare_free().
 */
int spatia_eval_events_files(const char *ref_path, const char *cand_path,
                             spatia_event_compare *out, char *errbuf,
                             int errlen);

/* Looks up a tally row; NULL if absent. */
const spatia_event_tally *
spatia_event_compare_find(const spatia_event_compare *c, const char *zone,
                          const char *type, const char *status);

void spatia_event_compare_print(FILE *f, const spatia_event_compare *c);

void spatia_event_compare_free(spatia_event_compare *c);

#ifdef __cplusplus
}
#endif
#endif
