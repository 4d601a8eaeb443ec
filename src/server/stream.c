/*
 * stream.c: see stream.h. One mutex and one condition variable per stream;
 * the producer copies into its own staging chunk without the lock and takes
 * it once per STREAM_CHUNK bytes to publish.
 */
#include "server/stream.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/outq.h"
#include "net/event.h"

struct chunk {
    size_t len;
    char data[STREAM_CHUNK];
};

struct stream {
    pthread_mutex_t lock;
    pthread_cond_t cond; /* the producer waits here for room */
    struct event_loop *loop;
    struct chunk *ring[STREAM_CHUNKS]; /* published, oldest at head */
    unsigned head, count;
    struct chunk *staging; /* producer only */
    bool finished;  /* the producer published its last chunk */
    bool cancelled; /* the consumer has gone */
    bool live;      /* stream_offer: staging is shared, under the lock */
    bool woken;     /* live: a wake-up is on its way to the consumer */
    unsigned long long skipped, skipped_total; /* live: lines dropped */
    int refs;
};

static void stream_unref(struct stream *st)
{
    pthread_mutex_lock(&st->lock);
    bool last = --st->refs == 0;
    pthread_mutex_unlock(&st->lock);
    if (!last)
        return;
    for (unsigned i = 0; i < st->count; i++)
        free(st->ring[(st->head + i) % STREAM_CHUNKS]);
    free(st->staging);
    pthread_cond_destroy(&st->cond);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

struct stream *stream_create(struct event_loop *loop)
{
    struct stream *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return NULL;
    st->staging = malloc(sizeof(*st->staging));
    if (st->staging == NULL) {
        free(st);
        return NULL;
    }
    st->staging->len = 0;
    pthread_mutex_init(&st->lock, NULL);
    pthread_cond_init(&st->cond, NULL);
    st->loop = loop;
    st->refs = 2;
    return st;
}

/* Hand the staging chunk to the consumer, waiting for room. -1 once the
 * consumer has gone. The wake-up is sent under the lock, so it never
 * reaches a loop whose session has cancelled (and may be gone). */
static int publish(struct stream *st, bool last)
{
    struct chunk *fresh = NULL;
    if (!last) {
        fresh = malloc(sizeof(*fresh));
        if (fresh == NULL)
            return -1;
        fresh->len = 0;
    }
    pthread_mutex_lock(&st->lock);
    while (st->count == STREAM_CHUNKS && !st->cancelled)
        pthread_cond_wait(&st->cond, &st->lock);
    if (st->cancelled) {
        pthread_mutex_unlock(&st->lock);
        free(fresh);
        return -1;
    }
    st->ring[(st->head + st->count) % STREAM_CHUNKS] = st->staging;
    st->count++;
    st->staging = fresh;
    st->finished = last;
    event_loop_wake(st->loop);
    pthread_mutex_unlock(&st->lock);
    return 0;
}

struct stream *stream_create_live(struct event_loop *loop)
{
    struct stream *st = stream_create(loop);
    if (st != NULL)
        st->live = true;
    return st;
}

/* Live: make room for n bytes in staging, moving a full staging chunk
 * into the ring. False when the ring is full (or no memory). Lock held. */
static bool live_room_locked(struct stream *st, size_t n)
{
    if (st->staging->len + n <= STREAM_CHUNK)
        return true;
    if (st->count == STREAM_CHUNKS)
        return false;
    struct chunk *fresh = malloc(sizeof(*fresh));
    if (fresh == NULL)
        return false;
    fresh->len = 0;
    st->ring[(st->head + st->count) % STREAM_CHUNKS] = st->staging;
    st->count++;
    st->staging = fresh;
    return true;
}

int stream_offer(struct stream *st, const char *data, size_t n)
{
    int rc = 0;
    pthread_mutex_lock(&st->lock);
    if (st->cancelled) {
        pthread_mutex_unlock(&st->lock);
        return -1;
    }
    if (st->skipped > 0) {
        char note[48];
        int len = snprintf(note, sizeof(note), "skipped=%llu\n", st->skipped);
        if (live_room_locked(st, (size_t)len + n)) {
            memcpy(st->staging->data + st->staging->len, note, (size_t)len);
            st->staging->len += (size_t)len;
            st->skipped = 0;
        }
    }
    if (st->skipped == 0 && live_room_locked(st, n)) {
        memcpy(st->staging->data + st->staging->len, data, n);
        st->staging->len += n;
    } else {
        st->skipped++;
        st->skipped_total++;
        rc = 1;
    }
    if (!st->woken) {
        st->woken = true;
        event_loop_wake(st->loop);
    }
    pthread_mutex_unlock(&st->lock);
    return rc;
}

unsigned long long stream_skipped_total(struct stream *st)
{
    pthread_mutex_lock(&st->lock);
    unsigned long long n = st->skipped_total;
    pthread_mutex_unlock(&st->lock);
    return n;
}

int stream_write(struct stream *st, const char *data, size_t n)
{
    if (st->staging->len + n > STREAM_CHUNK && publish(st, false) != 0)
        return -1;
    memcpy(st->staging->data + st->staging->len, data, n);
    st->staging->len += n;
    return 0;
}

void stream_finish(struct stream **stp)
{
    struct stream *st = *stp;
    *stp = NULL;
    if (st == NULL)
        return;
    if (st->live) {
        stream_unref(st);
        return;
    }
    /* The last chunk and "finished" reach the consumer together; if it has
     * gone, the staging chunk stays ours and stream_unref frees it. */
    (void)publish(st, true);
    stream_unref(st);
}

enum stream_status stream_pull(struct stream *st, struct outq *out, size_t low)
{
    enum stream_status rc = STREAM_MORE;
    pthread_mutex_lock(&st->lock);
    bool took = false;
    st->woken = false;
    while (st->count > 0 && outq_pending(out) < low) {
        struct chunk *c = st->ring[st->head];
        if (c->len > 0 && outq_append(out, c->data, c->len) != 0) {
            rc = STREAM_ENOMEM;
            break;
        }
        free(c);
        st->head = (st->head + 1) % STREAM_CHUNKS;
        st->count--;
        took = true;
    }
    /* a live stream's partly filled chunk goes too: lines as they happen */
    if (rc == STREAM_MORE && st->live && st->count == 0 && st->staging->len > 0 &&
        outq_pending(out) < low) {
        if (outq_append(out, st->staging->data, st->staging->len) != 0)
            rc = STREAM_ENOMEM;
        else
            st->staging->len = 0;
    }
    if (rc == STREAM_MORE && st->count == 0 && st->finished)
        rc = STREAM_DONE;
    if (took)
        pthread_cond_signal(&st->cond);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

void stream_cancel(struct stream **stp)
{
    struct stream *st = *stp;
    *stp = NULL;
    if (st == NULL)
        return;
    pthread_mutex_lock(&st->lock);
    st->cancelled = true;
    pthread_cond_signal(&st->cond);
    pthread_mutex_unlock(&st->lock);
    stream_unref(st);
}
