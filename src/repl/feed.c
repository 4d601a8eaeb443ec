/*
 * feed.c: the primary's side of one replica — a thread that owns the
 * replica's socket and writes its stream straight from the backlog:
 *
 *   full sync:  "FULLSYNC <id> <offset>\r\n"; a delayed flush_all pending
 *               here, as a FLUSH record; every live item as a SET record
 *               (store_foreach: no lock held while writing, serving goes
 *               on); a SYNC record; then the backlog from offset
 *   partial:    "CONTINUE <id> <offset>\r\n"; the backlog from offset
 *
 * The offset is the backlog's end when the walk begins, taken with the
 * journal's replication sink already set: a change made before it is in
 * the store when the walk gets there, a change after it is in the backlog
 * after offset, and replaying records is idempotent (apply.h), so the
 * replica ends with each key's last state whichever the walk saw.
 *
 * Why a thread with the socket rather than the worker's connection: the
 * stream is one long write that never waits for a request, and the
 * worker would copy it twice more (into a stream, into its output queue)
 * and be woken for every piece of it while serving its clients. Here it
 * is one copy out of the ring and one send. The socket is the worker's
 * connection's, duplicated (server/replication.c), so it stays
 * non-blocking: every call says MSG_DONTWAIT and waits in poll().
 *
 * A replica that asked over TLS is fed through the session its request
 * came on (net/tls_stream.h), taken over from the worker's connection
 * with the socket: the same calls, each "would block" of OpenSSL's (a
 * write may wait for the socket to be readable) waited out in the same
 * poll, which watches both ways.
 *
 * The replica's "repl_ack <offset>" lines come back on the same socket
 * and are read between writes.
 *
 * A replica that reads slower than the primary writes (a full sync's walk,
 * a replica busy or stopped for a moment) must not lose the stream when
 * the ring overwrites what it has not taken: once it is half a backlog
 * behind, its feed copies the stream out of the backlog into pieces held
 * for it alone (Redis's output buffer of a replica), up to -o
 * repl_buffer_limit; the feed keeps doing so while it waits for the
 * socket or walks the store. Only a replica behind by more than the
 * backlog and that limit falls out: it is cut off and syncs again. So at
 * a write rate where the backlog holds milliseconds of the stream (16 MB
 * of 4 KB sets at 200,000 a second: 20 ms), a full sync does not end in
 * another, and another.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "net/tls_stream.h"
#include "persist/itemrec.h"
#include "persist/record.h"
#include "repl/backlog.h"
#include "repl/feed.h"
#include "repl/state.h"
#include "store/store.h"

#define PIECE (256u * 1024) /* bytes read from the backlog (and buffered by the walk) at once */
#define HELD_PIECE (1u << 20) /* bytes copied out of the backlog into one held piece at most */
#define HOLD_POLL_MS 1      /* how often a feed waiting for the socket looks at the backlog while behind */
#define WAIT_MS 100         /* how often an idle feed reads acks and looks whether to stop */
/* A feed that finds only a little new in the backlog waits this long for
 * more before sending it: one wake-up and one send for a gathering of
 * records instead of one per record. While it waits it is not a waiter of
 * the backlog's condition variable, so the writers' appends wake nobody:
 * without this a replica cost the primary a futex wake per write. */
#define GATHER_US 200
#define GATHER_BYTES (64u * 1024)
/* A feed that found nothing new but sent something within this long keeps
 * looking every GATHER_US instead of waiting on the condition variable:
 * under a steady write load, a waiter found nothing, slept, and the next
 * append woke it, one futex wake every gathering (a couple of percent of
 * a primary worker's time, made under the key's lock). An idle stream
 * waits as before. */
#define ACTIVE_MS 10
/* With -o min_replica_acks, replies wait for acks: an ack must be read as
 * it arrives, not when the backlog next grows. While one is due the feed
 * waits on the socket instead, and looks at the backlog this often. (It
 * does not gather either: the writers are waiting.) */
#define ACK_POLL_MS 1

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The stream up to offset has just been written. */
static void sample(struct feed *f, uint64_t offset)
{
    unsigned i = f->nsamples++ % FEED_SAMPLES;
    f->sample_off[i] = offset;
    f->sample_ms[i] = now_ms();
}

/* The replica has applied the stream up to offset. */
static void acked(struct feed *f, uint64_t offset)
{
    if (offset <= atomic_load(&f->acked) || offset > atomic_load(&f->sent))
        return; /* old news, or an offset never sent: not an ack of ours */
    atomic_store(&f->acked, offset);
    /* the earliest write that covered offset: when it left */
    uint64_t when = 0;
    unsigned n = f->nsamples < FEED_SAMPLES ? f->nsamples : FEED_SAMPLES;
    for (unsigned k = 0; k < n; k++) {
        unsigned i = (f->nsamples - 1 - k) % FEED_SAMPLES;
        if (f->sample_off[i] < offset)
            break;
        when = f->sample_ms[i];
    }
    uint64_t now = now_ms();
    atomic_store(&f->lag_ms, when != 0 && now > when ? now - when : 0);
    f->r->acked_more(f->r);
}

/* One line from the replica: "repl_ack OFFSET"; anything else is ignored. */
static void on_line(struct feed *f, const char *line, size_t n)
{
    static const char word[] = "repl_ack ";
    size_t w = sizeof(word) - 1;
    char digits[24];
    if (n <= w || n - w >= sizeof(digits) || memcmp(line, word, w) != 0)
        return;
    memcpy(digits, line + w, n - w);
    digits[n - w] = '\0';
    char *end;
    uint64_t offset = strtoull(digits, &end, 10);
    if (*end == '\0' && digits[0] >= '0' && digits[0] <= '9')
        acked(f, offset);
}

/* The replica's connection went wrong over TLS: why, once. */
static void tls_failed(struct feed *f, const char *why)
{
    log_warn("replication: the TLS link with %s failed: %s", f->peer, why);
}

/* Read what the replica sent, without waiting. 0, or -1 when it has gone
 * (end of stream or an error). */
static int read_acks(struct feed *f)
{
    for (;;) {
        ssize_t n;
        if (f->tls != NULL) {
            char why[200];
            n = tls_stream_read(f->tls, f->in + f->nin, sizeof(f->in) - f->nin, why, sizeof(why));
            if (n == TLS_STREAM_AGAIN)
                return 0;
            if (n < 0) {
                tls_failed(f, why);
                return -1;
            }
        } else {
            n = recv(f->fd, f->in + f->nin, sizeof(f->in) - f->nin, MSG_DONTWAIT);
        }
        if (n == 0)
            return -1;
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
        f->nin += (size_t)n;
        size_t used = 0;
        char *nl;
        while ((nl = memchr(f->in + used, '\n', f->nin - used)) != NULL) {
            size_t len = (size_t)(nl - (f->in + used));
            on_line(f, f->in + used, len > 0 && nl[-1] == '\r' ? len - 1 : len);
            used += len + 1;
        }
        if (used == 0 && f->nin == sizeof(f->in))
            used = f->nin; /* a line longer than any ack: dropped */
        memmove(f->in, f->in + used, f->nin - used);
        f->nin -= used;
    }
}

static void fell_out(struct feed *f, uint64_t offset)
{
    log_warn("replication: %s fell out of the backlog at offset %" PRIu64
             " (%" PRIu64 " bytes held for it); it will sync again",
             f->peer, offset, (uint64_t)atomic_load(&f->held));
}

/* Take what the backlog holds past f->taken into held pieces, if the
 * replica is half a backlog behind and the limit allows. 1: the backlog
 * still holds bytes not taken; 0: none; -1: it overwrote some (the replica
 * fell out). */
static int hold_more(struct feed *f)
{
    struct repl *r = f->r;
    if (r->buffer_limit == 0)
        return 0;
    uint64_t start, end;
    backlog_range(r->backlog, &start, &end);
    if (f->taken < start) {
        fell_out(f, f->taken);
        return -1;
    }
    if (end - f->taken <= backlog_size(r->backlog) / 2)
        return end > f->taken;
    while (f->taken < end) {
        uint64_t held = atomic_load(&f->held);
        if (held >= r->buffer_limit)
            return 1; /* full: it may yet catch up before the ring moves past */
        uint64_t want = end - f->taken;
        if (want > HELD_PIECE)
            want = HELD_PIECE;
        if (want > r->buffer_limit - held)
            want = r->buffer_limit - held;
        struct held_piece *h = malloc(sizeof(*h) + want);
        if (h == NULL)
            return 1; /* as with a full buffer */
        ssize_t n = backlog_read(r->backlog, f->taken, h->data, (size_t)want);
        if (n <= 0) {
            free(h);
            if (n == 0)
                return 0;
            fell_out(f, f->taken);
            return -1;
        }
        h->len = (size_t)n;
        h->next = NULL;
        if (f->held_tail != NULL)
            f->held_tail->next = h;
        else
            f->held_head = h;
        f->held_tail = h;
        f->taken += (uint64_t)n;
        atomic_fetch_add(&f->held, (uint64_t)n);
    }
    return 0;
}

/* Write n bytes, waiting for room as long as the replica reads and the
 * server runs (holding what the backlog would overwrite meanwhile). 0, or
 * -1 once the replica has gone, fell out, or at stop. */
static int put(struct feed *f, const char *data, size_t n)
{
    while (n > 0) {
        ssize_t k;
        if (f->tls != NULL) {
            char why[200];
            k = tls_stream_write(f->tls, data, n, why, sizeof(why));
            if (k == TLS_STREAM_FAIL) {
                tls_failed(f, why);
                return -1;
            }
            if (k == TLS_STREAM_AGAIN) {
                k = -1;
                errno = EAGAIN;
            }
        } else {
            k = send(f->fd, data, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        }
        if (k > 0) {
            data += k;
            n -= (size_t)k;
            continue;
        }
        if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return -1;
        if (atomic_load(&f->r->stopping))
            return -1;
        int behind = hold_more(f);
        if (behind < 0)
            return -1;
        struct pollfd p = {.fd = f->fd, .events = POLLOUT | POLLIN};
        if (poll(&p, 1, behind ? HOLD_POLL_MS : WAIT_MS) > 0 &&
            (p.revents & (POLLIN | POLLERR | POLLHUP)) && read_acks(f) != 0)
            return -1;
    }
    return 0;
}

struct walk {
    struct feed *f;
    char *buf;
    size_t len, cap;
    int64_t now;
    uint64_t items;
};

static int walk_flush(struct walk *w)
{
    int rc = put(w->f, w->buf, w->len);
    w->len = 0;
    /* a walk slower than the writes, socket or not */
    if (rc == 0 && hold_more(w->f) < 0)
        rc = -1;
    return rc;
}

/* Buffer r; written once PIECE bytes are buffered. 0, or -1. */
static int put_rec(struct walk *w, const struct rec *r)
{
    size_t n = rec_size(r);
    if (w->len + n > w->cap) {
        if (w->len > 0 && walk_flush(w) != 0)
            return -1;
        if (n > w->cap) {
            char *b = realloc(w->buf, n);
            if (b == NULL)
                return -1;
            w->buf = b;
            w->cap = n;
        }
    }
    rec_encode(r, w->buf + w->len);
    w->len += n;
    return w->len >= PIECE ? walk_flush(w) : 0;
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
    struct walk w = {.f = f, .now = itemrec_now_unix(), .cap = PIECE};
    w.buf = malloc(w.cap);
    if (w.buf == NULL)
        return -1;
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
    if (rc == 0)
        rc = walk_flush(&w);
    free(w.buf);
    if (rc == 0)
        log_info("replication: full sync of %" PRIu64 " items to %s done", w.items, f->peer);
    return rc;
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
        f->taken = pos;
        atomic_store(&f->sent, pos);
        int n = snprintf(line, sizeof(line), "FULLSYNC %s %" PRIu64 "\r\n", f->replid, pos);
        atomic_fetch_add(&r->full_syncs_served, 1);
        log_info("replication: full sync to %s from offset %" PRIu64, f->peer, pos);
        rc = put(f, line, (size_t)n);
        if (rc == 0)
            rc = send_items(f, pos);
    } else {
        f->taken = pos;
        int n = snprintf(line, sizeof(line), "CONTINUE %s %" PRIu64 "\r\n", f->replid, pos);
        atomic_fetch_add(&r->partial_syncs_served, 1);
        log_info("replication: %s continues from offset %" PRIu64, f->peer, pos);
        rc = put(f, line, (size_t)n);
    }
    sample(f, pos);
    /* online first: whoever sees the state (stats replication) must find
     * the replica counted where writes with min_replica_acks look */
    if (rc == 0)
        atomic_fetch_add(&r->online, 1);
    atomic_store(&f->state, FEED_STREAM);
    char *buf = rc == 0 ? malloc(PIECE) : NULL;
    uint64_t last_sent_ms = 0;
    while (buf != NULL && !atomic_load(&r->stopping)) {
        struct held_piece *h = f->held_head;
        if (h != NULL) {
            /* what was held for it comes first: [pos, pos + len), out of
             * the list (and the count) while it goes, so that sent + held
             * is always what was taken from the backlog */
            f->held_head = h->next;
            if (f->held_head == NULL)
                f->held_tail = NULL;
            atomic_fetch_sub(&f->held, h->len);
            atomic_store(&f->sent, pos + h->len);
            sample(f, pos + h->len);
            int rc2 = put(f, h->data, h->len);
            pos += h->len;
            free(h);
            if (rc2 != 0 || read_acks(f) != 0)
                break;
            continue;
        }
        ssize_t n = backlog_read(r->backlog, pos, buf, PIECE);
        if (n < 0) {
            fell_out(f, pos);
            break;
        }
        if (n == 0) {
            if (read_acks(f) != 0)
                break; /* the replica went */
            if (r->min_acks > 0 && atomic_load(&f->acked) < pos) {
                /* replies wait for this ack: watch the socket for it,
                 * looking at the backlog again each ACK_POLL_MS */
                struct pollfd p = {.fd = f->fd, .events = POLLIN};
                poll(&p, 1, ACK_POLL_MS);
                continue;
            }
            struct timespec gather = {0, GATHER_US * 1000L};
            if (r->min_acks == 0 && now_ms() - last_sent_ms < ACTIVE_MS) {
                nanosleep(&gather, NULL);
                continue;
            }
            uint64_t end = backlog_wait(r->backlog, pos, WAIT_MS);
            if (r->min_acks == 0 && end > pos && end - pos < GATHER_BYTES)
                nanosleep(&gather, NULL);
            continue;
        }
        last_sent_ms = now_ms();
        f->taken = pos + (uint64_t)n;
        /* sent first: an ack of these bytes can come while they go */
        atomic_store(&f->sent, pos + (uint64_t)n);
        sample(f, pos + (uint64_t)n);
        if (put(f, buf, (size_t)n) != 0 || read_acks(f) != 0)
            break;
        pos += (uint64_t)n;
    }
    free(buf);
    while (f->held_head != NULL) {
        struct held_piece *h = f->held_head;
        f->held_head = h->next;
        free(h);
    }
    f->held_tail = NULL;
    atomic_store(&f->held, 0);
    if (rc == 0)
        atomic_fetch_sub(&r->online, 1);
    tls_stream_free(&f->tls);
    close(f->fd);
    f->fd = -1;
    atomic_store(&f->state, FEED_DONE);
    return NULL;
}

int feed_start_locked(struct repl *r, struct feed *f)
{
    atomic_store(&f->state, FEED_SYNC);
    atomic_store(&f->sent, f->from);
    if (pthread_create(&f->thread, NULL, feed_main, f) != 0)
        return -1;
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
            free(f);
        } else {
            pp = &f->next;
        }
    }
}
