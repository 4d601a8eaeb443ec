/*
 * feed.c: the primary's side of one replica — a thread that writes the
 * replica's stream into its connection (repl_feed_io).
 *
 *   full sync:  "FULLSYNC <id> <offset>\r\n"; a delayed flush_all pending
 *               here, as a FLUSH record; every live item as a SET record
 *               (store_foreach: no lock held while writing, serving goes
 *               on); a SYNC record; then the backlog from offset
 *   partial:    "CONTINUE <id> <offset>\r\n"; the backlog from offset
 *
 * The offset is the backlog's end when the walk begins, taken with the
 * journal's replication sink already set: a change made before it is in
 * the store when the walk gets there, a change after it is in the
 * backlog after offset, and replaying records is idempotent (apply.h), so
 * the replica ends with each key's last state whichever the walk saw.
 *
 * Writing blocks while the replica is slow (the connection's stream is
 * bounded); the backlog goes on meanwhile, and a replica that falls out
 * of it is cut off and syncs again.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "persist/itemrec.h"
#include "persist/record.h"
#include "repl/backlog.h"
#include "repl/feed.h"
#include "repl/state.h"
#include "store/store.h"

#define PIECE (64u * 1024) /* the most repl_feed_io.write takes at once */
#define WAIT_MS 200        /* how often an idle feed looks whether its replica went */

/* Write n bytes, in pieces. 0, or -1 once the connection has gone. */
static int put(struct feed *f, const char *data, size_t n)
{
    while (n > 0) {
        size_t k = n < PIECE ? n : PIECE;
        if (f->io.write(f->io.arg, data, k) != 0)
            return -1;
        data += k;
        n -= k;
    }
    return 0;
}

struct walk {
    struct feed *f;
    char *buf;
    size_t cap;
    int64_t now;
    uint64_t items;
};

static int put_rec(struct walk *w, const struct rec *r)
{
    size_t n = rec_size(r);
    if (n > w->cap) {
        char *b = realloc(w->buf, n);
        if (b == NULL)
            return -1;
        w->buf = b;
        w->cap = n;
    }
    rec_encode(r, w->buf);
    return put(w->f, w->buf, n);
}

static int visit(const struct item *it, void *arg)
{
    struct walk *w = arg;
    struct rec r;
    itemrec_of(w->f->r->store, it, w->now, &r);
    if (r.exptime != 0 && r.exptime <= w->now)
        return 0; /* expired meanwhile */
    w->items++;
    return put_rec(w, &r) != 0 ? -1 : 0;
}

/* The items, between the FULLSYNC line and the stream. 0, or -1. */
static int send_items(struct feed *f, uint64_t offset)
{
    struct store *s = f->r->store;
    struct walk w = {.f = f, .now = itemrec_now_unix()};
    int rc = 0;
    uint32_t pending = store_flush_pending(s);
    if (pending != 0) {
        struct rec fl = {.type = REC_FLUSH, .stamp = (uint32_t)w.now,
                         .exptime = itemrec_exptime_unix(pending)};
        rc = put_rec(&w, &fl);
    }
    if (rc == 0)
        rc = store_foreach(s, visit, &w) != 0 ? -1 : 0;
    if (rc == 0) {
        struct rec end = {.type = REC_SYNC, .stamp = (uint32_t)itemrec_now_unix(), .cas = offset};
        rc = put_rec(&w, &end);
    }
    free(w.buf);
    if (rc == 0)
        log_info("replication: full sync of %" PRIu64 " items to %s done", w.items, f->peer);
    return rc;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The stream up to offset has just been written. */
static void sample(struct feed *f, uint64_t offset)
{
    pthread_mutex_lock(&f->sample_lock);
    unsigned i = f->nsamples++ % FEED_SAMPLES;
    f->sample_off[i] = offset;
    f->sample_ms[i] = now_ms();
    pthread_mutex_unlock(&f->sample_lock);
}

void feed_ack_locked(struct feed *f, uint64_t offset)
{
    if (offset <= f->acked || offset > atomic_load(&f->sent))
        return; /* old news, or an offset never sent: not an ack of ours */
    f->acked = offset;
    /* the earliest write that covered offset: when it left */
    uint64_t when = 0;
    pthread_mutex_lock(&f->sample_lock);
    unsigned n = f->nsamples < FEED_SAMPLES ? f->nsamples : FEED_SAMPLES;
    for (unsigned k = 0; k < n; k++) {
        unsigned i = (f->nsamples - 1 - k) % FEED_SAMPLES;
        if (f->sample_off[i] < offset)
            break;
        when = f->sample_ms[i];
    }
    pthread_mutex_unlock(&f->sample_lock);
    uint64_t now = now_ms();
    f->lag_ms = when != 0 && now > when ? now - when : 0;
}

static void *feed_main(void *arg)
{
    struct feed *f = arg;
    struct repl *r = f->r;
    uint64_t pos = f->from;
    char line[128];
    int rc = 0;
    if (f->full) {
        uint64_t start;
        backlog_range(r->backlog, &start, &pos);
        atomic_store(&f->sent, pos);
        int n = snprintf(line, sizeof(line), "FULLSYNC %s %" PRIu64 "\r\n", f->replid, pos);
        atomic_fetch_add(&r->full_syncs_served, 1);
        log_info("replication: full sync to %s from offset %" PRIu64, f->peer, pos);
        rc = put(f, line, (size_t)n);
        if (rc == 0)
            rc = send_items(f, pos);
    } else {
        int n = snprintf(line, sizeof(line), "CONTINUE %s %" PRIu64 "\r\n", f->replid, pos);
        atomic_fetch_add(&r->partial_syncs_served, 1);
        log_info("replication: %s continues from offset %" PRIu64, f->peer, pos);
        rc = put(f, line, (size_t)n);
    }
    sample(f, pos);
    atomic_store(&f->state, FEED_STREAM);
    char *buf = rc == 0 ? malloc(PIECE) : NULL;
    while (buf != NULL && !atomic_load(&r->stopping)) {
        ssize_t n = backlog_read(r->backlog, pos, buf, PIECE);
        if (n < 0) {
            log_warn("replication: %s fell out of the backlog at offset %" PRIu64
                     "; it will sync again", f->peer, pos);
            break;
        }
        if (n == 0) {
            f->io.flush(f->io.arg);
            if (f->io.gone(f->io.arg))
                break;
            backlog_wait(r->backlog, pos, WAIT_MS);
            continue;
        }
        if (put(f, buf, (size_t)n) != 0)
            break;
        pos += (uint64_t)n;
        atomic_store(&f->sent, pos);
        sample(f, pos);
    }
    free(buf);
    f->io.finish(f->io.arg);
    atomic_store(&f->state, FEED_DONE);
    return NULL;
}

int feed_start_locked(struct repl *r, struct feed *f)
{
    atomic_store(&f->state, FEED_SYNC);
    atomic_store(&f->sent, f->from);
    pthread_mutex_init(&f->sample_lock, NULL);
    if (pthread_create(&f->thread, NULL, feed_main, f) != 0) {
        pthread_mutex_destroy(&f->sample_lock);
        return -1;
    }
    f->next = r->feeds;
    r->feeds = f;
    return 0;
}

void feeds_reap_locked(struct repl *r, bool all)
{
    struct feed **pp = &r->feeds;
    while (*pp != NULL) {
        struct feed *f = *pp;
        if (all || atomic_load(&f->state) == FEED_DONE) {
            *pp = f->next;
            pthread_join(f->thread, NULL);
            pthread_mutex_destroy(&f->sample_lock);
            free(f);
        } else {
            pp = &f->next;
        }
    }
}
