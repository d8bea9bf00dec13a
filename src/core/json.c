/*
 * json.c - recursive-descent JSON parser into an arena (see json.h).
 *
 * The arena is a list of blocks; values and unescaped strings are carved out
 * of it, so parsing a document costs a handful of mallocs and freeing it is
 * one walk over the blocks.
 */
#include "core/json.h"
#include "core/file.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spatia/error.h"

typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    /* data follows, max-aligned */
    union {
        long double ld;
        void *p;
        long long ll;
    } data[];
} arena_block;

struct json_doc {
    arena_block *blocks;
    json_value *root;
};

typedef struct parser {
    const char *p, *end, *line_start;
    int line;
    int depth;
    json_doc *doc;
    json_error *err;
    int rc;
} parser;

static void *arena_alloc(json_doc *doc, size_t n)
{
    arena_block *b = doc->blocks;
    n = (n + 15) & ~(size_t)15;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 16384 ? n : 16384;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->cap = cap;
        b->used = 0;
        b->next = doc->blocks;
        doc->blocks = b;
    }
    void *r = (char *)b->data + b->used;
    b->used += n;
    return r;
}

static int fail(parser *ps, const char *fmt, ...)
{
    if (ps->rc)
        return ps->rc;
    ps->rc = SPATIA_PARSE;
    if (ps->err) {
        va_list ap;
        ps->err->line = ps->line;
        ps->err->col = (int)(ps->p - ps->line_start) + 1;
        va_start(ap, fmt);
        vsnprintf(ps->err->msg, sizeof ps->err->msg, fmt, ap);
        va_end(ap);
    }
    return ps->rc;
}

static int nomem(parser *ps)
{
    if (!ps->rc) {
        ps->rc = SPATIA_NOMEM;
        if (ps->err) {
            ps->err->line = ps->line;
            ps->err->col = 0;
            snprintf(ps->err->msg, sizeof ps->err->msg, "out of memory");
        }
    }
    return ps->rc;
}

static void skip_ws(parser *ps)
{
    while (ps->p < ps->end) {
        char c = *ps->p;
        if (c == '\n') {
            ps->line++;
            ps->p++;
            ps->line_start = ps->p;
        } else if (c == ' ' || c == '\t' || c == '\r') {
            ps->p++;
        } else {
            break;
        }
    }
}

static json_value *new_value(parser *ps, json_type t)
{
    json_value *v = arena_alloc(ps->doc, sizeof *v);
    if (!v) {
        nomem(ps);
        return NULL;
    }
    memset(v, 0, sizeof *v);
    v->type = t;
    v->line = ps->line;
    v->col = (int)(ps->p - ps->line_start) + 1;
    return v;
}

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length of a valid UTF-8 sequence starting at s (< end), or 0. */
static int utf8_len(const unsigned char *s, const unsigned char *end)
{
    unsigned c = s[0];
    int n;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    if (end - s < n)
        return 0;
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return n;
}

/* Parses a string starting at the opening quote. */
static int parse_string(parser *ps, const char **out, size_t *outlen)
{
    const char *s = ps->p + 1;
    /* First pass: find the closing quote to size the buffer. */
    const char *q = s;
    while (q < ps->end && *q != '"') {
        if (*q == '\\')
            q++;
        q++;
    }
    if (q >= ps->end)
        return fail(ps, "unterminated string");
    char *buf = arena_alloc(ps->doc, (size_t)(q - s) + 1);
    if (!buf)
        return nomem(ps);
    size_t n = 0;
    ps->p = s;
    while (*ps->p != '"') {
        unsigned char c = (unsigned char)*ps->p;
        if (c < 0x20)
            return fail(ps, "control character in string");
        if (c == '\\') {
            char e = ps->p[1];
            ps->p += 2;
            switch (e) {
            case '"':
                buf[n++] = '"';
                break;
            case '\\':
                buf[n++] = '\\';
                break;
            case '/':
                buf[n++] = '/';
                break;
            case 'b':
                buf[n++] = '\b';
                break;
            case 'f':
                buf[n++] = '\f';
                break;
            case 'n':
                buf[n++] = '\n';
                break;
            case 'r':
                buf[n++] = '\r';
                break;
            case 't':
                buf[n++] = '\t';
                break;
            case 'u': {
                unsigned cp, lo;
                if (ps->end - ps->p < 4 || hex4(ps->p, &cp))
                    return fail(ps, "bad \\u escape");
                ps->p += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (ps->end - ps->p < 6 || ps->p[0] != '\\' ||
                        ps->p[1] != 'u' || hex4(ps->p + 2, &lo) ||
                        lo < 0xDC00 || lo > 0xDFFF)
                        return fail(ps, "unpaired surrogate in \\u escape");
                    ps->p += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    return fail(ps, "unpaired surrogate in \\u escape");
                }
                /* 6 escaped bytes always hold the <= 4 UTF-8 bytes */
                n += put_utf8(buf + n, cp);
                break;
            }
            default:
                ps->p--;
                return fail(ps, "bad escape character");
            }
        } else {
            int l = utf8_len((const unsigned char *)ps->p,
                             (const unsigned char *)ps->end);
            if (!l)
                return fail(ps, "invalid UTF-8 in string");
            memcpy(buf + n, ps->p, (size_t)l);
            n += (size_t)l;
            ps->p += l;
        }
    }
    ps->p++; /* closing quote */
    buf[n] = '\0';
    *out = buf;
    *outlen = n;
    return 0;
}

static int parse_value(parser *ps, json_value **out);

static int parse_number(parser *ps, json_value *v)
{
    const char *s = ps->p, *q = s;
    if (q < ps->end && *q == '-')
        q++;
    if (q >= ps->end)
        return fail(ps, "bad number");
    if (*q == '0') {
        q++;
    } else if (*q >= '1' && *q <= '9') {
        while (q < ps->end && *q >= '0' && *q <= '9')
            q++;
    } else {
        return fail(ps, "bad number");
    }
    if (q < ps->end && *q == '.') {
        q++;
        if (q >= ps->end || *q < '0' || *q > '9')
            return fail(ps, "bad number: digits expected after '.'");
        while (q < ps->end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < ps->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < ps->end && (*q == '+' || *q == '-'))
            q++;
        if (q >= ps->end || *q < '0' || *q > '9')
            return fail(ps, "bad number: digits expected in exponent");
        while (q < ps->end && *q >= '0' && *q <= '9')
            q++;
    }
    char tmp[64];
    size_t n = (size_t)(q - s);
    if (n >= sizeof tmp)
        return fail(ps, "number too long");
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    errno = 0;
    v->number = strtod(tmp, NULL);
    if (!isfinite(v->number))
        return fail(ps, "number out of range");
    ps->p = q;
    return 0;
}

static int expect_word(parser *ps, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, w, n) != 0)
        return fail(ps, "unexpected character '%c'", *ps->p);
    ps->p += n;
    return 0;
}

static int parse_container(parser *ps, json_value *v, int is_obj)
{
    char close = is_obj ? '}' : ']';
    json_value **tail = &v->child;
    if (++ps->depth > JSON_MAX_DEPTH)
        return fail(ps, "nesting deeper than %d", JSON_MAX_DEPTH);
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        ps->depth--;
        return 0;
    }
    for (;;) {
        const char *key = NULL;
        size_t klen;
        json_value *item;
        skip_ws(ps);
        if (is_obj) {
            if (ps->p >= ps->end || *ps->p != '"')
                return fail(ps, "expected a member name in quotes");
            if (parse_string(ps, &key, &klen))
                return ps->rc;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':')
                return fail(ps, "expected ':' after member name");
            ps->p++;
            skip_ws(ps);
        }
        if (parse_value(ps, &item))
            return ps->rc;
        item->key = key;
        *tail = item;
        tail = &item->next;
        v->count++;
        skip_ws(ps);
        if (ps->p >= ps->end)
            return fail(ps, "unexpected end of input, expected '%c'", close);
        if (*ps->p == ',') {
            ps->p++;
            continue;
        }
        if (*ps->p == close) {
            ps->p++;
            break;
        }
        return fail(ps, "expected ',' or '%c'", close);
    }
    ps->depth--;
    return 0;
}

static int parse_value(parser *ps, json_value **out)
{
    json_value *v;
    skip_ws(ps);
    if (ps->p >= ps->end)
        return fail(ps, "unexpected end of input");
    switch (*ps->p) {
    case '{':
    case '[':
        if (!(v = new_value(ps, *ps->p == '{' ? JSON_OBJECT : JSON_ARRAY)))
            return ps->rc;
        if (parse_container(ps, v, v->type == JSON_OBJECT))
            return ps->rc;
        break;
    case '"':
        if (!(v = new_value(ps, JSON_STRING)))
            return ps->rc;
        if (parse_string(ps, &v->str, &v->len))
            return ps->rc;
        break;
    case 't':
    case 'f':
        if (!(v = new_value(ps, JSON_BOOL)))
            return ps->rc;
        v->boolean = *ps->p == 't';
        if (expect_word(ps, v->boolean ? "true" : "false"))
            return ps->rc;
        break;
    case 'n':
        if (!(v = new_value(ps, JSON_NULL)))
            return ps->rc;
        if (expect_word(ps, "null"))
            return ps->rc;
        break;
    default:
        if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')) {
            if (!(v = new_value(ps, JSON_NUMBER)))
                return ps->rc;
            if (parse_number(ps, v))
                return ps->rc;
            break;
        }
        return fail(ps, "unexpected character '%c'", *ps->p);
    }
    *out = v;
    return 0;
}

int json_parse(const char *text, size_t len, json_doc **out, json_error *err)
{
    parser ps;
    json_doc *doc;

    if (!out || (!text && len))
        return SPATIA_EINVAL;
    *out = NULL;
    doc = calloc(1, sizeof *doc);
    if (!doc)
        return SPATIA_NOMEM;
    memset(&ps, 0, sizeof ps);
    ps.p = text ? text : "";
    ps.end = ps.p + len;
    ps.line_start = ps.p;
    ps.line = 1;
    ps.doc = doc;
    ps.err = err;
    /* Tolerate a UTF-8 byte-order mark. */
    if (len >= 3 && !memcmp(ps.p, "\xEF\xBB\xBF", 3)) {
        ps.p += 3;
        ps.line_start = ps.p;
    }
    if (parse_value(&ps, &doc->root) == 0) {
        skip_ws(&ps);
        if (ps.p != ps.end)
            fail(&ps, "unexpected text after the JSON value");
    }
    if (ps.rc) {
        json_doc_free(doc);
        return ps.rc;
    }
    *out = doc;
    return SPATIA_OK;
}

int json_parse_file(const char *path, json_doc **out, json_error *err)
{
    char *buf, msg[sizeof err->msg];
    size_t len;
    int rc;

    if (!path || !out)
        return SPATIA_EINVAL;
    rc = file_read_all(path, (size_t)1 << 30, &buf, &len, msg, sizeof msg);
    if (rc) {
        if (err) {
            err->line = err->col = 0;
            snprintf(err->msg, sizeof err->msg, "%s", msg);
        }
        return rc;
    }
    rc = json_parse(buf, len, out, err);
    free(buf);
    return rc;
}

const json_value *json_root(const json_doc *doc)
{
    return doc ? doc->root : NULL;
}

void json_doc_free(json_doc *doc)
{
    if (!doc)
        return;
    arena_block *b = doc->blocks;
    while (b) {
        arena_block *n = b->next;
        free(b);
        b = n;
    }
    free(doc);
}

const json_value *json_get(const json_value *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT || !key)
        return NULL;
    for (const json_value *m = obj->child; m; m = m->next)
        if (!strcmp(m->key, key))
            return m;
    return NULL;
}

const json_value *json_get_ci(const json_value *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT || !key)
        return NULL;
    for (const json_value *m = obj->child; m; m = m->next)
        if (!strcasecmp(m->key, key))
            return m;
    return NULL;
}

const json_value *json_at(const json_value *arr, int i)
{
    if (!arr || arr->type != JSON_ARRAY || i < 0)
        return NULL;
    for (const json_value *m = arr->child; m; m = m->next, i--)
        if (i == 0)
            return m;
    return NULL;
}

const char *json_type_name(json_type t)
{
    switch (t) {
    case JSON_NULL:
        return "null";
    case JSON_BOOL:
        return "a boolean";
    case JSON_NUMBER:
        return "a number";
    case JSON_STRING:
        return "a string";
    case JSON_ARRAY:
        return "an array";
    case JSON_OBJECT:
        return "an object";
    }
    return "?";
}
