/*
 * buf.c: the growable byte buffer.
 */
#include "client/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int buf_reserve(struct buf *b, size_t extra)
{
    size_t used = b->len - b->start;

    if (b->cap - b->len >= extra)
        return 0;
    if (b->start > 0 && b->cap - used >= extra) {
        memmove(b->data, b->data + b->start, used);
        b->start = 0;
        b->len = used;
        return 0;
    }
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - used < extra) {
        if (cap > ((size_t)-1) / 2)
            return -1;
        cap *= 2;
    }
    char *d = malloc(cap);
    if (d == NULL)
        return -1;
    if (used)
        memcpy(d, b->data + b->start, used);
    free(b->data);
    b->data = d;
    b->start = 0;
    b->len = used;
    b->cap = cap;
    return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) != 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    char small[512];
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof(small))
        return buf_append(b, small, (size_t)n);
    if (buf_reserve(b, (size_t)n + 1) != 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void buf_consume(struct buf *b, size_t n)
{
    b->start += n;
    if (b->start >= b->len)
        b->start = b->len = 0;
}

void buf_clear(struct buf *b)
{
    b->start = b->len = 0;
}

void buf_free(struct buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}
