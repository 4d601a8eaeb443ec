/*
 * rbuf.h: a connection's read buffer. Bytes are appended at the end by
 * read(2) and consumed from the front by the parser; compaction moves the
 * unconsumed tail to the front only when asked for space, so pointers into
 * the buffer stay valid between rbuf_space() calls. Not thread-safe.
 */
#ifndef MNEMO_COMMON_RBUF_H
#define MNEMO_COMMON_RBUF_H

#include <stddef.h>

struct rbuf {
    char *data;
    size_t cap;
    size_t start; /* first unconsumed byte */
    size_t end;   /* one past the last byte read */
};

void rbuf_init(struct rbuf *b);
void rbuf_free(struct rbuf *b);

/* Make at least min bytes writable at data + end (compacting, then growing).
 * Returns the writable size, or 0 when memory is exhausted. */
size_t rbuf_space(struct rbuf *b, size_t min);

/* Shrink an idle, oversized buffer back to its initial size. */
void rbuf_trim(struct rbuf *b);

static inline char *rbuf_head(const struct rbuf *b)
{
    return b->data + b->start;
}

static inline size_t rbuf_len(const struct rbuf *b)
{
    return b->end - b->start;
}

static inline void rbuf_consume(struct rbuf *b, size_t n)
{
    b->start += n;
    if (b->start == b->end)
        b->start = b->end = 0;
}

#endif
