/*
 * buf.h: a growable byte buffer with a consumed prefix, used for each
 * connection's output (encoded requests) and input (unparsed replies).
 */
#ifndef MNEMO_CLIENT_BUF_H
#define MNEMO_CLIENT_BUF_H

#include <stddef.h>

struct buf {
    char *data;
    size_t start; /* bytes before start are consumed */
    size_t len;   /* bytes before len are filled */
    size_t cap;
};

/* Make room for extra more bytes after len (may compact).  0 or -1 (ENOMEM). */
int buf_reserve(struct buf *b, size_t extra);
int buf_append(struct buf *b, const void *p, size_t n);
/* printf-style append; 0 or -1. */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline size_t buf_used(const struct buf *b) { return b->len - b->start; }
static inline char *buf_head(const struct buf *b) { return b->data + b->start; }
void buf_consume(struct buf *b, size_t n);
void buf_clear(struct buf *b);
void buf_free(struct buf *b);

#endif
