/*
 * backlog.c: see backlog.h. One mutex; readers wait on a condition
 * variable that appends signal only while someone waits (a broadcast
 * with no waiter is a load, so mutations pay nothing more).
 */
#include "repl/backlog.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"

struct backlog {
    pthread_mutex_t lock;
    pthread_cond_t grew;
    char *ring;
    size_t cap;
    uint64_t start, end;
    int waiters;
    char *scratch; /* a record that wraps is encoded here first */
    size_t scratch_cap;
};

struct backlog *backlog_create(size_t cap)
{
    struct backlog *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return NULL;
    b->ring = malloc(cap);
    if (b->ring == NULL) {
        free(b);
        return NULL;
    }
    b->cap = cap;
    /* Held for a record's encoding or one READ_STEP of a copy: a waiter
     * spins that out rather than sleep and be woken (the shard locks do
     * the same). */
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP);
    pthread_mutex_init(&b->lock, &ma);
    pthread_mutexattr_destroy(&ma);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&b->grew, &ca);
    pthread_condattr_destroy(&ca);
    return b;
}

void backlog_free(struct backlog **bp)
{
    struct backlog *b = *bp;
    if (b == NULL)
        return;
    *bp = NULL;
    pthread_cond_destroy(&b->grew);
    pthread_mutex_destroy(&b->lock);
    free(b->scratch);
    free(b->ring);
    free(b);
}

/* Copy n bytes in at end (lock held). */
static void put_locked(struct backlog *b, const char *data, size_t n)
{
    if (n >= b->cap) { /* only its last cap bytes can stay */
        data += n - b->cap;
        b->end += n - b->cap;
        n = b->cap;
    }
    size_t at = (size_t)(b->end % b->cap);
    size_t first = n < b->cap - at ? n : b->cap - at;
    memcpy(b->ring + at, data, first);
    memcpy(b->ring, data + first, n - first);
    b->end += n;
    if (b->end - b->start > b->cap)
        b->start = b->end - b->cap;
}

static void grew_locked(struct backlog *b)
{
    if (b->waiters > 0)
        pthread_cond_broadcast(&b->grew);
}

void backlog_append_raw(struct backlog *b, const char *data, size_t n)
{
    pthread_mutex_lock(&b->lock);
    put_locked(b, data, n);
    grew_locked(b);
    pthread_mutex_unlock(&b->lock);
}

uint64_t backlog_append_rec(struct backlog *b, const struct rec *r)
{
    size_t n = rec_size(r);
    pthread_mutex_lock(&b->lock);
    size_t at = (size_t)(b->end % b->cap);
    if (n <= b->cap - at) {
        /* the usual case: encoded in place, no copy */
        rec_encode(r, b->ring + at);
        b->end += n;
        if (b->end - b->start > b->cap)
            b->start = b->end - b->cap;
    } else {
        if (n > b->scratch_cap) {
            char *s = realloc(b->scratch, n);
            if (s == NULL) {
                /* The record cannot enter the stream: no reader may go on
                 * past this point as if it had. */
                b->end += n;
                b->start = b->end;
                grew_locked(b);
                uint64_t end = b->end;
                pthread_mutex_unlock(&b->lock);
                return end;
            }
            b->scratch = s;
            b->scratch_cap = n;
        }
        rec_encode(r, b->scratch);
        put_locked(b, b->scratch, n);
    }
    grew_locked(b);
    uint64_t end = b->end;
    pthread_mutex_unlock(&b->lock);
    return end;
}

void backlog_reset(struct backlog *b, uint64_t offset)
{
    pthread_mutex_lock(&b->lock);
    b->start = b->end = offset;
    grew_locked(b);
    pthread_mutex_unlock(&b->lock);
}

void backlog_range(struct backlog *b, uint64_t *start, uint64_t *end)
{
    pthread_mutex_lock(&b->lock);
    *start = b->start;
    *end = b->end;
    pthread_mutex_unlock(&b->lock);
}

size_t backlog_size(const struct backlog *b)
{
    return b->cap;
}

/*
 * The copy goes READ_STEP bytes per hold of the lock: appenders (the
 * workers, under a store shard lock) wait for the ring's lock, and a feed
 * copying a 256 KB piece in one hold kept them waiting for tens of
 * microseconds (measured with a replica of a pipeline-16 load of 4 KB
 * sets: a quarter of the primary worker's sleeps were on this lock, and a
 * quarter of the machine idle). Between holds the ring may move on; each
 * step checks again that its bytes are still there, and one that finds
 * them overwritten ends the copy with the steps before it.
 */
#define READ_STEP (16u * 1024)

ssize_t backlog_read(struct backlog *b, uint64_t from, char *dst, size_t cap)
{
    size_t done = 0;
    for (;;) {
        pthread_mutex_lock(&b->lock);
        uint64_t at_off = from + done;
        if (at_off < b->start || at_off > b->end) {
            pthread_mutex_unlock(&b->lock);
            /* overwritten: what was copied before stands, the next read fails */
            return done > 0 ? (ssize_t)done : -1;
        }
        size_t n = (size_t)(b->end - at_off);
        if (n > cap - done)
            n = cap - done;
        if (n > READ_STEP)
            n = READ_STEP;
        size_t at = (size_t)(at_off % b->cap);
        size_t first = n < b->cap - at ? n : b->cap - at;
        memcpy(dst + done, b->ring + at, first);
        memcpy(dst + done + first, b->ring, n - first);
        pthread_mutex_unlock(&b->lock);
        done += n;
        if (n < READ_STEP || done == cap)
            return (ssize_t)done;
    }
}

uint64_t backlog_wait(struct backlog *b, uint64_t from, int timeout_ms)
{
    struct timespec until;
    clock_deadline_ms(&until, CLOCK_MONOTONIC, timeout_ms);
    pthread_mutex_lock(&b->lock);
    b->waiters++;
    while (b->end <= from) {
        if (pthread_cond_timedwait(&b->grew, &b->lock, &until) == ETIMEDOUT)
            break;
    }
    b->waiters--;
    uint64_t end = b->end;
    pthread_mutex_unlock(&b->lock);
    return end;
}
