/*
 * mot_io.c - reading MOTChallenge text files into a spatia_mot_seq.
 *
 * A MOT file has one box per line: `frame,id,x,y,w,h,conf[,...]`. The file
 * is untrusted: every line is parsed field by field with strtod, checked
 * (finite, integral frame and id, frame >= 1, w and h >= 0) and any fault is
 * reported as "path:line: reason". After reading, the new rows are sorted by
 * (frame, id) and an id that occurs twice in one frame is rejected, as
 * TrackEval does, naming both lines.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spatia/error.h"
#include "spatia/eval.h"

#define MOT_MIN_COLS 7 /* frame, id, x, y, w, h, conf */

static void set_err(char *errbuf, int errlen, const char *fmt, ...)
{
    va_list ap;

    if (!errbuf || errlen <= 0)
        return;
    va_start(ap, fmt);
    vsnprintf(errbuf, (size_t)errlen, fmt, ap);
    va_end(ap);
}

static int row_valid(const spatia_mot_row *r)
{
    return r->frame >= 1 && isfinite(r->x) && isfinite(r->y) &&
           isfinite(r->w) && isfinite(r->h) && isfinite(r->conf) && r->w >= 0 &&
           r->h >= 0;
}

static int seq_reserve(spatia_mot_seq *seq, int need)
{
    if (need <= seq->cap)
        return SPATIA_OK;
    long cap = seq->cap > 0 ? seq->cap : 256;
    while (cap < need)
        cap *= 2;
    if (cap > INT_MAX)
        cap = INT_MAX;
    if ((size_t)cap > SIZE_MAX / sizeof(spatia_mot_row))
        return SPATIA_NOMEM;
    spatia_mot_row *r = realloc(seq->rows, (size_t)cap * sizeof *r);
    if (!r)
        return SPATIA_NOMEM;
    seq->rows = r;
    seq->cap = (int)cap;
    return SPATIA_OK;
}

int spatia_mot_add(spatia_mot_seq *seq, const spatia_mot_row *row)
{
    if (!seq || !row || !row_valid(row) || seq->n < 0 || seq->n == INT_MAX)
        return SPATIA_EINVAL;
    int rc = seq_reserve(seq, seq->n + 1);
    if (rc)
        return rc;
    seq->rows[seq->n++] = *row;
    if (row->frame > seq->max_frame)
        seq->max_frame = row->frame;
    return SPATIA_OK;
}

void spatia_mot_free(spatia_mot_seq *seq)
{
    if (!seq)
        return;
    free(seq->rows);
    memset(seq, 0, sizeof *seq);
}

/* Parses one number field starting at *pp; on success *pp points past the
 * field's separator (or at the line end) and *more says whether a comma
 * followed. Returns 0, or -1 for an empty / non-numeric field. */
static int parse_field(const char **pp, double *out, int *more)
{
    const char *p = *pp;
    char *end;

    while (*p == ' ' || *p == '\t')
        p++;
    errno = 0;
    *out = strtod(p, &end);
    if (end == p)
        return -1;
    p = end;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == ',') {
        *more = 1;
        p++;
    } else if (*p == '\0') {
        *more = 0;
    } else {
        return -1;
    }
    *pp = p;
    return 0;
}

/* Integral value in int range (ids and frames may be written "12.0"). */
static int as_int(double v, int *out)
{
    if (!isfinite(v) || v != floor(v) || v < INT_MIN || v > INT_MAX)
        return -1;
    *out = (int)v;
    return 0;
}

static const char *const col_names[MOT_MIN_COLS] = {"frame", "id", "x",   "y",
                                                    "w",     "h",  "conf"};

/* Parses the text of one line (no line end) into *r. Returns 1 for a row,
 * 0 for a blank line, -1 with `why` filled for a malformed one. */
static int parse_line(const char *s, spatia_mot_row *r, char *why, size_t wl)
{
    double v[MOT_MIN_COLS];
    int more = 1, k;
    const char *p = s;

    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0')
        return 0;
    for (k = 0; k < MOT_MIN_COLS && more; k++) {
        if (parse_field(&p, &v[k], &more) != 0) {
            snprintf(why, wl, "column %d (%s) is not a number", k + 1,
                     col_names[k]);
            return -1;
        }
        if (!isfinite(v[k])) {
            snprintf(why, wl, "column %d (%s) is not finite", k + 1,
                     col_names[k]);
            return -1;
        }
    }
    if (k < MOT_MIN_COLS) {
        snprintf(why, wl, "expected at least %d columns, found %d",
                 MOT_MIN_COLS, k);
        return -1;
    }
    if (as_int(v[0], &r->frame) != 0 || r->frame < 1) {
        snprintf(why, wl, "frame must be an integer >= 1");
        return -1;
    }
    if (as_int(v[1], &r->id) != 0) {
        snprintf(why, wl, "id must be an integer");
        return -1;
    }
    r->x = v[2];
    r->y = v[3];
    r->w = v[4];
    r->h = v[5];
    r->conf = v[6];
    if (r->w < 0 || r->h < 0) {
        snprintf(why, wl, "negative box %s", r->w < 0 ? "width" : "height");
        return -1;
    }
    return 1;
}

typedef struct row_key {
    int frame, id;
    long line;
    int idx; /* position in the loaded block */
} row_key;

static int key_cmp(const void *a, const void *b)
{
    const row_key *x = a, *y = b;
    if (x->frame != y->frame)
        return x->frame < y->frame ? -1 : 1;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

/* Sorts rows[first..n) by (frame, id) and rejects repeated ids per frame.
 * lines[i] is the file line of rows[first + i]. */
static int sort_block(spatia_mot_seq *seq, int first, const long *lines,
                      int check_ids, const char *path, char *errbuf, int errlen)
{
    int cnt = seq->n - first, rc = SPATIA_OK;
    row_key *keys = NULL;
    spatia_mot_row *tmp = NULL;

    if (cnt <= 1)
        return SPATIA_OK;
    keys = malloc((size_t)cnt * sizeof *keys);
    tmp = malloc((size_t)cnt * sizeof *tmp);
    if (!keys || !tmp) {
        rc = SPATIA_NOMEM;
        set_err(errbuf, errlen, "%s: out of memory", path);
        goto out;
    }
    for (int i = 0; i < cnt; i++) {
        keys[i].frame = seq->rows[first + i].frame;
        keys[i].id = seq->rows[first + i].id;
        keys[i].line = lines[i];
        keys[i].idx = i;
    }
    qsort(keys, (size_t)cnt, sizeof *keys, key_cmp);
    for (int i = 1; check_ids && i < cnt; i++) {
        if (keys[i].frame == keys[i - 1].frame &&
            keys[i].id == keys[i - 1].id) {
            rc = SPATIA_PARSE;
            set_err(errbuf, errlen,
                    "%s:%ld: id %d appears twice in frame %d (also line %ld)",
                    path, keys[i].line, keys[i].id, keys[i].frame,
                    keys[i - 1].line);
            goto out;
        }
    }
    for (int i = 0; i < cnt; i++)
        tmp[i] = seq->rows[first + keys[i].idx];
    memcpy(seq->rows + first, tmp, (size_t)cnt * sizeof *tmp);
out:
    free(keys);
    free(tmp);
    return rc;
}

static int mot_load(const char *path, spatia_mot_seq *seq, int check_ids,
                    char *errbuf, int errlen)
{
    FILE *f = NULL;
    char *line = NULL;
    size_t linecap = 0;
    long *lines = NULL, lines_cap = 0, lineno = 0;
    int first, old_max, rc = SPATIA_OK;
    char why[96];

    if (!path || !seq || seq->n < 0)
        return SPATIA_EINVAL;
    first = seq->n;
    old_max = seq->max_frame;
    f = fopen(path, "r");
    if (!f) {
        int e = errno;
        set_err(errbuf, errlen, "%s: %s", path, strerror(e));
        return e == ENOENT ? SPATIA_NOTFOUND : SPATIA_IO;
    }
    for (;;) {
        errno = 0;
        ssize_t len = getline(&line, &linecap, f);
        if (len < 0) {
            if (ferror(f)) {
                rc = errno == ENOMEM ? SPATIA_NOMEM : SPATIA_IO;
                set_err(errbuf, errlen, "%s:%ld: read error", path, lineno + 1);
                goto fail;
            }
            break;
        }
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if ((size_t)len != strlen(line)) {
            rc = SPATIA_PARSE;
            set_err(errbuf, errlen, "%s:%ld: NUL byte in line", path, lineno);
            goto fail;
        }
        spatia_mot_row r;
        int got = parse_line(line, &r, why, sizeof why);
        if (got < 0) {
            rc = SPATIA_PARSE;
            set_err(errbuf, errlen, "%s:%ld: %s", path, lineno, why);
            goto fail;
        }
        if (got == 0)
            continue;
        long k = seq->n - first;
        if (k >= lines_cap) {
            long nc = lines_cap ? lines_cap * 2 : 256;
            long *nl = realloc(lines, (size_t)nc * sizeof *nl);
            if (!nl) {
                rc = SPATIA_NOMEM;
                goto nomem;
            }
            lines = nl;
            lines_cap = nc;
        }
        lines[k] = lineno;
        rc = spatia_mot_add(seq, &r);
        if (rc == SPATIA_EINVAL) { /* only the row count can overflow */
            rc = SPATIA_PARSE;
            set_err(errbuf, errlen, "%s:%ld: too many rows", path, lineno);
            goto fail;
        }
        if (rc)
            goto nomem;
    }
    rc = sort_block(seq, first, lines, check_ids, path, errbuf, errlen);
    if (rc)
        goto fail;
    free(line);
    free(lines);
    fclose(f);
    return SPATIA_OK;

nomem:
    set_err(errbuf, errlen, "%s:%ld: out of memory", path, lineno);
fail:
    seq->n = first;
    seq->max_frame = old_max;
    free(line);
    free(lines);
    fclose(f);
    return rc;
}

int spatia_mot_load(const char *path, spatia_mot_seq *seq, char *errbuf,
                    int errlen)
{
    return mot_load(path, seq, 1, errbuf, errlen);
}

int spatia_mot_load_detections(const char *path, spatia_mot_seq *seq,
                               char *errbuf, int errlen)
{
    return mot_load(path, seq, 0, errbuf, errlen);
}

int *spatia_mot_frame_index(const spatia_mot_seq *seq)
{
    int *first;
    if (!seq || seq->max_frame < 0)
        return NULL;
    first = calloc((size_t)seq->max_frame + 2, sizeof *first);
    if (!first)
        return NULL;
    /* first[f] = index of the first row whose frame is >= f */
    for (int f = 1, i = 0; f <= seq->max_frame + 1; f++) {
        while (i < seq->n && seq->rows[i].frame < f)
            i++;
        first[f] = i;
    }
    return first;
}

void spatia_mot_row_box(const spatia_mot_row *r, float sx, float sy,
                        spatia_box *box)
{
    box->x1 = (float)(r->x * sx);
    box->y1 = (float)(r->y * sy);
    box->x2 = (float)((r->x + r->w) * sx);
    box->y2 = (float)((r->y + r->h) * sy);
}
