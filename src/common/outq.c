/*
 * outq.c: see outq.h. Arena chunks are never moved while entries point into
 * them; the whole arena is recycled only when the queue is empty.
 */
#include "common/outq.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE 16384

struct outq_chunk {
    struct outq_chunk *next;
    size_t size;
    size_t used;
    char data[];
};

void outq_init(struct outq *q, outq_release_fn release, void *ctx)
{
    memset(q, 0, sizeof(*q));
    q->release = release;
    q->release_ctx = ctx;
}

static void release_entries(struct outq *q, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        if (q->entries[i].ref != NULL) {
            q->release(q->release_ctx, q->entries[i].ref);
            q->entries[i].ref = NULL;
        }
    }
}

void outq_free(struct outq *q)
{
    release_entries(q, q->head, q->count);
    free(q->entries);
    struct outq_chunk *c = q->chunks;
    while (c != NULL) {
        struct outq_chunk *next = c->next;
        free(c);
        c = next;
    }
    q->entries = NULL;
    q->chunks = NULL;
    q->head = q->count = q->cap = q->pending = 0;
}

static struct outq_entry *new_entry(struct outq *q)
{
    if (q->count == q->cap) {
        /* Reuse the sent prefix before growing. */
        if (q->head > 0) {
            memmove(q->entries, q->entries + q->head, (q->count - q->head) * sizeof(*q->entries));
            q->count -= q->head;
            q->head = 0;
        }
        if (q->count == q->cap) {
            size_t cap = q->cap ? q->cap * 2 : 64;
            struct outq_entry *e = realloc(q->entries, cap * sizeof(*e));
            if (e == NULL)
                return NULL;
            q->entries = e;
            q->cap = cap;
        }
    }
    return &q->entries[q->count++];
}

char *outq_reserve(struct outq *q, size_t n)
{
    struct outq_chunk *c = q->chunks;
    if (c == NULL || c->size - c->used < n) {
        size_t size = n > CHUNK_SIZE ? n : CHUNK_SIZE;
        struct outq_chunk *fresh = malloc(sizeof(*fresh) + size);
        if (fresh == NULL)
            return NULL;
        fresh->next = c;
        fresh->size = size;
        fresh->used = 0;
        q->chunks = fresh;
        c = fresh;
    }
    return c->data + c->used;
}

int outq_commit(struct outq *q, size_t n)
{
    if (n == 0)
        return 0;
    struct outq_chunk *c = q->chunks;
    char *start = c->data + c->used;
    c->used += n;
    q->pending += n;
    q->appended += n;
    /* Coalesce with the previous entry when it ends exactly here. */
    if (q->count > q->head) {
        struct outq_entry *last = &q->entries[q->count - 1];
        if (last->ref == NULL && (char *)last->iov.iov_base + last->iov.iov_len == start) {
            last->iov.iov_len += n;
            return 0;
        }
    }
    struct outq_entry *e = new_entry(q);
    if (e == NULL) {
        c->used -= n;
        q->pending -= n;
        q->appended -= n;
        return -1;
    }
    e->iov.iov_base = start;
    e->iov.iov_len = n;
    e->ref = NULL;
    return 0;
}

int outq_append(struct outq *q, const void *data, size_t n)
{
    if (n == 0)
        return 0;
    char *dst = outq_reserve(q, n);
    if (dst == NULL)
        return -1;
    memcpy(dst, data, n);
    return outq_commit(q, n);
}

int outq_append_ref(struct outq *q, const void *data, size_t n, void *ref)
{
    if (n == 0) {
        if (ref != NULL)
            q->release(q->release_ctx, ref);
        return 0;
    }
    struct outq_entry *e = new_entry(q);
    if (e == NULL)
        return -1;
    e->iov.iov_base = (void *)data;
    e->iov.iov_len = n;
    e->ref = ref;
    q->pending += n;
    q->appended += n;
    return 0;
}

void outq_drop_since(struct outq *q, size_t mark)
{
    size_t n = q->appended - mark;
    while (n > 0 && q->count > q->head) {
        struct outq_entry *e = &q->entries[q->count - 1];
        size_t take = e->iov.iov_len < n ? e->iov.iov_len : n;
        e->iov.iov_len -= take;
        q->pending -= take;
        q->appended -= take;
        n -= take;
        if (e->iov.iov_len == 0) {
            if (e->ref != NULL)
                q->release(q->release_ctx, e->ref);
            q->count--;
        }
    }
}

size_t outq_iov_from(const struct outq *q, size_t skip, struct iovec *iov, size_t max)
{
    size_t i = q->head;
    while (i < q->count && skip >= q->entries[i].iov.iov_len)
        skip -= q->entries[i++].iov.iov_len;
    size_t n = 0;
    for (; i < q->count && n < max; i++)
        iov[n++] = q->entries[i].iov;
    if (n > 0) {
        iov[0].iov_base = (char *)iov[0].iov_base + skip;
        iov[0].iov_len -= skip;
    }
    return n;
}

size_t outq_iov(const struct outq *q, struct iovec *iov, size_t max)
{
    /* (outq_iov_from's loop without the skip: every plain send's path) */
    size_t n = 0;
    for (size_t i = q->head; i < q->count && n < max; i++)
        iov[n++] = q->entries[i].iov;
    return n;
}

static void reset_arena(struct outq *q)
{
    /* Keep the newest chunk if it is the standard size; free the rest. */
    struct outq_chunk *keep = q->chunks;
    if (keep == NULL)
        return;
    struct outq_chunk *c = keep->next;
    while (c != NULL) {
        struct outq_chunk *next = c->next;
        free(c);
        c = next;
    }
    if (keep->size > CHUNK_SIZE) {
        free(keep);
        q->chunks = NULL;
        return;
    }
    keep->next = NULL;
    keep->used = 0;
}

void outq_consume(struct outq *q, size_t nbytes)
{
    q->pending -= nbytes;
    while (nbytes > 0 && q->head < q->count) {
        struct outq_entry *e = &q->entries[q->head];
        if (nbytes < e->iov.iov_len) {
            e->iov.iov_base = (char *)e->iov.iov_base + nbytes;
            e->iov.iov_len -= nbytes;
            return;
        }
        nbytes -= e->iov.iov_len;
        release_entries(q, q->head, q->head + 1);
        q->head++;
    }
    if (q->head == q->count) {
        q->head = q->count = 0;
        reset_arena(q);
    }
}
