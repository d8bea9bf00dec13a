/*
 * events_compare.c - tallies of two event streams (see
 * spatia/eval_events.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "spatia/error.h"
#include "spatia/eval_events.h"

static int tally_add(spatia_event_compare *c, int *cap, const char *zone,
                     const char *type, const char *status, int which)
{
    for (int i = 0; i < c->n; i++) {
        spatia_event_tally *t = &c->rows[i];
        if (!strcmp(t->zone, zone) && !strcmp(t->type, type) &&
            !strcmp(t->status, status)) {
            if (which)
                t->cand++;
            else
                t->ref++;
            return SPATIA_OK;
        }
    }
    if (c->n == *cap) {
        int nc = *cap ? *cap * 2 : 16;
        spatia_event_tally *r = realloc(c->rows, (size_t)nc * sizeof *r);
        if (!r)
            return SPATIA_NOMEM;
        c->rows = r;
        *cap = nc;
    }
    spatia_event_tally *t = &c->rows[c->n++];
    memset(t, 0, sizeof *t);
    snprintf(t->zone, sizeof t->zone, "%s", zone);
    snprintf(t->type, sizeof t->type, "%s", type);
    snprintf(t->status, sizeof t->status, "%s", status);
    if (which)
        t->cand = 1;
    else
        t->ref = 1;
    return SPATIA_OK;
}

static const char *str_member(const json_value *o, const char *k)
{
    const json_value *v = json_get(o, k);
    return v && v->type == JSON_STRING ? v->str : NULL;
}

static int tally_file(const char *path, int which, spatia_event_compare *c,
                      int *cap, char *errbuf, int errlen)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    int lineno = 0, rc = SPATIA_OK;

    if (!f) {
        int e = errno;
        snprintf(errbuf, (size_t)errlen, "%s: cannot open: %s", path,
                 strerror(e));
        return e == ENOENT ? SPATIA_NOTFOUND : SPATIA_IO;
    }
    while ((len = getline(&line, &lcap, f)) >= 0) {
        json_doc *doc = NULL;
        json_error je;
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
                           line[len - 1] == ' '))
            len--;
        if (len == 0)
            continue;
        rc = json_parse(line, (size_t)len, &doc, &je);
        if (rc) {
            snprintf(errbuf, (size_t)errlen, "%s:%d: not JSON: %s", path,
                     lineno, je.msg);
            goto done;
        }
        const json_value *evs = json_get(json_root(doc), "events");
        if (!evs || evs->type != JSON_ARRAY) {
            json_doc_free(doc);
            snprintf(errbuf, (size_t)errlen, "%s:%d: no \"events\" array", path,
                     lineno);
            rc = SPATIA_PARSE;
            goto done;
        }
        for (const json_value *e = evs->child; e && !rc; e = e->next) {
            const char *type = str_member(e, "type");
            const char *zone = str_member(e, "zone");
            const char *status =
                str_member(json_get(e, "properties"), "status");
            if (!type || !zone) {
                snprintf(errbuf, (size_t)errlen,
                         "%s:%d: event without \"type\" or \"zone\"", path,
                         lineno);
                rc = SPATIA_PARSE;
                break;
            }
            rc = tally_add(c, cap, zone, type, status ? status : "messages",
                           which);
        }
        json_doc_free(doc);
        if (rc)
            goto done;
    }
    if (ferror(f)) {
        snprintf(errbuf, (size_t)errlen, "%s: read error", path);
        rc = SPATIA_IO;
    }
done:
    free(line);
    fclose(f);
    return rc;
}

static int row_cmp(const void *a, const void *b)
{
    const spatia_event_tally *x = a, *y = b;
    int d = strcmp(x->zone, y->zone);
    if (!d)
        d = strcmp(x->type, y->type);
    if (!d)
        d = strcmp(x->status, y->status);
    return d;
}

int spatia_eval_events_files(const char *ref_path, const char *cand_path,
                             spatia_event_compare *out, char *errbuf,
                             int errlen)
{
    int cap = 0, rc;
    if (!ref_path || !cand_path || !out)
        return SPATIA_EINVAL;
    memset(out, 0, sizeof *out);
    if ((rc = tally_file(ref_path, 0, out, &cap, errbuf, errlen)) ||
        (rc = tally_file(cand_path, 1, out, &cap, errbuf, errlen))) {
        spatia_event_compare_free(out);
        return rc;
    }
    if (out->n > 1)
        qsort(out->rows, (size_t)out->n, sizeof *out->rows, row_cmp);
    for (int i = 0; i < out->n; i++) {
        const spatia_event_tally *t = &out->rows[i];
        int64_t d = t->cand > t->ref ? t->cand - t->ref : t->ref - t->cand;
        double rel = (double)d / (double)(t->ref > 1 ? t->ref : 1);
        out->sum_abs_diff += d;
        if (strcmp(t->status, "messages") != 0 && rel > out->max_rel_diff)
            out->max_rel_diff = rel;
    }
    return SPATIA_OK;
}

const spatia_event_tally *
spatia_event_compare_find(const spatia_event_compare *c, const char *zone,
                          const char *type, const char *status)
{
    for (int i = 0; c && i < c->n; i++)
        if (!strcmp(c->rows[i].zone, zone) && !strcmp(c->rows[i].type, type) &&
            !strcmp(c->rows[i].status, status))
            return &c->rows[i];
    return NULL;
}

void spatia_event_compare_print(FILE *f, const spatia_event_compare *c)
{
    fprintf(f, "%-20s %-26s %-10s %9s %9s %8s\n", "zone/line", "event",
            "status", "reference", "candidate", "rel.diff");
    for (int i = 0; i < c->n; i++) {
        const spatia_event_tally *t = &c->rows[i];
        int64_t d = t->cand > t->ref ? t->cand - t->ref : t->ref - t->cand;
        fprintf(f, "%-20s %-26s %-10s %9lld %9lld %7.1f%%\n", t->zone, t->type,
                t->status, (long long)t->ref, (long long)t->cand,
                100.0 * (double)d / (double)(t->ref > 1 ? t->ref : 1));
    }
    fprintf(f, "max relative difference (directional events): %.1f%%\n",
            100.0 * c->max_rel_diff);
}

void spatia_event_compare_free(spatia_event_compare *c)
{
    if (!c)
        return;
    free(c->rows);
    c->rows = NULL;
    c->n = 0;
}
