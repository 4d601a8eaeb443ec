/*
 * outq.h: a connection's queue of reply bytes, ready for writev(2).
 *
 * Small replies (status lines, VALUE headers) are copied into arena chunks
 * owned by the queue, and consecutive copies share one iovec. Values are not
 * copied: outq_append_ref() queues a pointer into item memory together with a
 * reference that is handed to the release function once those bytes are
 * sent (or the queue is freed). This module does no I/O and knows nothing of
 * items; the owner supplies the release function.
 *
 *   reply headers ──copy──▶ arena chunk ─┐
 *   item values ───ref────────────────────┼─▶ iovec list ─▶ writev ─▶ consume ─▶ release(ref)
 *
 * Not thread-safe: one queue belongs to one connection on one thread.
 */
#ifndef MNEMO_COMMON_OUTQ_H
#define MNEMO_COMMON_OUTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

typedef void (*outq_release_fn)(void *ctx, void *ref);

struct outq_chunk;

struct outq_entry {
    struct iovec iov;
    void *ref; /* NULL for arena bytes */
};

struct outq {
    struct outq_entry *entries;
    size_t head;  /* first entry not fully sent */
    size_t count; /* entries in use, from 0 */
    size_t cap;
    size_t pending; /* bytes not yet sent */
    size_t appended; /* bytes ever queued (a mark for outq_drop_since) */
    struct outq_chunk *chunks; /* arena: newest first */
    outq_release_fn release;
    void *release_ctx;
};

void outq_init(struct outq *q, outq_release_fn release, void *ctx);

/* Release every queued reference and free all memory. */
void outq_free(struct outq *q);

/* Copy n bytes into the queue. 0, or -1 when memory is exhausted. */
int outq_append(struct outq *q, const void *data, size_t n);

/* Space for up to n bytes of copied data, to be followed by outq_commit()
 * with the number of bytes actually written (0, or -1 when out of memory).
 * outq_reserve returns NULL when out of memory. */
char *outq_reserve(struct outq *q, size_t n);
int outq_commit(struct outq *q, size_t n);

/* Queue n bytes at data without copying; release(ctx, ref) runs once they
 * are sent. With n == 0 the reference is released at once. On failure (-1)
 * the reference is NOT released: the caller still owns it. */
int outq_append_ref(struct outq *q, const void *data, size_t n, void *ref);

/* Take back everything queued since q->appended read mark (none of it may
 * have been handed to the kernel: the owner held it), releasing its
 * references. For replies that must not go after all. */
void outq_drop_since(struct outq *q, size_t mark);

/* Fill iov with up to max entries of unsent data; returns how many. */
size_t outq_iov(const struct outq *q, struct iovec *iov, size_t max);

/* The same from skip bytes into the unsent data: a TLS connection keeps
 * what it sealed into records queued until the records are sent. */
size_t outq_iov_from(const struct outq *q, size_t skip, struct iovec *iov, size_t max);

/* nbytes were written: drop them, releasing the references of fully sent
 * values. When the queue empties, the arena is reset for reuse. */
void outq_consume(struct outq *q, size_t nbytes);

static inline size_t outq_pending(const struct outq *q)
{
    return q->pending;
}

static inline bool outq_empty(const struct outq *q)
{
    return q->pending == 0 && q->head == q->count;
}

#endif
