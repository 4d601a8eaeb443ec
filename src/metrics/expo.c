/*
 * expo.c: see expo.h. The text format is line based: a sample line is the
 * metric name, its labels in braces and a value; label values escape
 * backslash, double quote and newline, HELP text escapes backslash and
 * newline (Prometheus' exposition_formats.md).
 */
#include "metrics/expo.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct expo {
    char *buf;
    size_t len, cap;
    bool broken;
};

struct expo *expo_create(void)
{
    return calloc(1, sizeof(struct expo));
}

void expo_free(struct expo **e)
{
    if (*e == NULL)
        return;
    free((*e)->buf);
    free(*e);
    *e = NULL;
}

void expo_reset(struct expo *e)
{
    e->len = 0;
    e->broken = false;
}

/* Room for n more bytes; false (and broken) when memory runs out. */
static bool reserve(struct expo *e, size_t n)
{
    if (e->broken)
        return false;
    if (e->len + n <= e->cap)
        return true;
    size_t cap = e->cap ? e->cap : 4096;
    while (cap < e->len + n)
        cap *= 2;
    char *p = realloc(e->buf, cap);
    if (p == NULL) {
        e->broken = true;
        return false;
    }
    e->buf = p;
    e->cap = cap;
    return true;
}

static void put(struct expo *e, const char *s, size_t n)
{
    if (reserve(e, n)) {
        memcpy(e->buf + e->len, s, n);
        e->len += n;
    }
}

static void put_str(struct expo *e, const char *s)
{
    put(e, s, strlen(s));
}

/* s with backslash and newline escaped, and double quote when quote. */
static void put_escaped(struct expo *e, const char *s, bool quote)
{
    for (; *s != '\0'; s++) {
        if (*s == '\\')
            put(e, "\\\\", 2);
        else if (*s == '\n')
            put(e, "\\n", 2);
        else if (*s == '"' && quote)
            put(e, "\\\"", 2);
        else
            put(e, s, 1);
    }
}

void expo_family(struct expo *e, const char *name, enum expo_type type, const char *help)
{
    static const char *const types[] = {"counter", "gauge", "histogram"};
    put_str(e, "# HELP ");
    put_str(e, name);
    put(e, " ", 1);
    put_escaped(e, help, false);
    put_str(e, "\n# TYPE ");
    put_str(e, name);
    put(e, " ", 1);
    put_str(e, types[type]);
    put(e, "\n", 1);
}

static void put_series(struct expo *e, const char *name, const char *const *labels)
{
    put_str(e, name);
    if (labels == NULL || labels[0] == NULL)
        return;
    put(e, "{", 1);
    for (size_t i = 0; labels[i] != NULL && labels[i + 1] != NULL; i += 2) {
        if (i > 0)
            put(e, ",", 1);
        put_str(e, labels[i]);
        put(e, "=\"", 2);
        put_escaped(e, labels[i + 1], true);
        put(e, "\"", 1);
    }
    put(e, "}", 1);
}

void expo_u64(struct expo *e, const char *name, const char *const *labels, uint64_t v)
{
    char num[32];
    put_series(e, name, labels);
    int n = snprintf(num, sizeof(num), " %" PRIu64 "\n", v);
    put(e, num, (size_t)n);
}

void expo_f64(struct expo *e, const char *name, const char *const *labels, double v)
{
    char num[40];
    int n;
    put_series(e, name, labels);
    /* the format's spellings of the values printf would write otherwise */
    if (isnan(v))
        n = snprintf(num, sizeof(num), " NaN\n");
    else if (isinf(v))
        n = snprintf(num, sizeof(num), " %sInf\n", v > 0 ? "+" : "-");
    else
        n = snprintf(num, sizeof(num), " %.15g\n", v);
    put(e, num, (size_t)n);
}

void expo_one_u64(struct expo *e, const char *name, enum expo_type type, const char *help,
                  uint64_t v)
{
    expo_family(e, name, type, help);
    expo_u64(e, name, NULL, v);
}

void expo_one_f64(struct expo *e, const char *name, enum expo_type type, const char *help,
                  double v)
{
    expo_family(e, name, type, help);
    expo_f64(e, name, NULL, v);
}

const char *expo_data(const struct expo *e)
{
    return e->buf;
}

size_t expo_len(const struct expo *e)
{
    return e->len;
}

bool expo_ok(const struct expo *e)
{
    return !e->broken;
}
