#include "common/rbuf.h"

#include <stdlib.h>
#include <string.h>

#define RBUF_INITIAL 16384

void rbuf_init(struct rbuf *b)
{
    memset(b, 0, sizeof(*b));
}

void rbuf_free(struct rbuf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

size_t rbuf_space(struct rbuf *b, size_t min)
{
    if (b->cap - b->end >= min && b->data != NULL)
        return b->cap - b->end;
    if (b->start > 0) {
        size_t len = b->end - b->start;
        memmove(b->data, b->data + b->start, len);
        b->start = 0;
        b->end = len;
        if (b->cap - b->end >= min)
            return b->cap - b->end;
    }
    size_t cap = b->cap ? b->cap : RBUF_INITIAL;
    while (cap - b->end < min)
        cap *= 2;
    char *data = realloc(b->data, cap);
    if (data == NULL)
        return 0;
    b->data = data;
    b->cap = cap;
    return b->cap - b->end;
}

void rbuf_trim(struct rbuf *b)
{
    if (b->cap > RBUF_INITIAL && rbuf_len(b) == 0) {
        free(b->data);
        rbuf_init(b);
    }
}
