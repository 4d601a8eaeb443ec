/*
 * worker.c: see worker.h.
 */
#include "server/worker.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "net/event.h"
#include "server/server.h"

/* Submission queue depth; a full queue is flushed early, so this only
 * bounds how much one iteration batches. */
#define WORKER_RING_ENTRIES 1024

/* Size of the provided buffers for the worker's multishot receives
 * (-o io_uring_bufs=N of them). Each arrival is copied out and its buffer
 * returned at once, so they only need to cover the arrivals of one loop
 * iteration; when they run out a connection falls back to one plain
 * receive. 16 KiB takes a 4 KB set in one piece. The ring hands the
 * buffers out in turn, so the pages arrivals touch in each of them become
 * resident: up to 1 MiB per worker with the default 64. */
#define WORKER_RECV_BUF_SIZE 16384

/* A wake-up may also mean a stream producer published data: let each
 * streaming session take it. */
static void kick_streams(struct worker *w)
{
    struct session *s = w->sessions;
    while (s != NULL && w->nstreams > 0) {
        struct session *next = w->conns->next(s);
        w->conns->stream_kick(s);
        s = next;
    }
}

/* Take the queued sockets (in the worker's thread) and open sessions. */
static void adopt_pending(struct event_loop *loop, void *arg)
{
    struct worker *w = arg;
    int fds[64];
    kick_streams(w);
    if (w->held != NULL)
        w->conns->release_held(w);
    for (;;) {
        size_t n = 0;
        pthread_mutex_lock(&w->lock);
        while (n < 64 && w->npending > 0)
            fds[n++] = w->pending[--w->npending];
        pthread_mutex_unlock(&w->lock);
        if (n == 0)
            return;
        for (size_t i = 0; i < n; i++) {
            if (w->conns->open(w, fds[i]) == NULL)
                atomic_fetch_sub(&w->srv->curr_conns, 1);
        }
    }
}

/* The end of a batch (with persistence or synchronous replica acks):
 * write the append log once for every session that changed something,
 * and send what it now covers. */
static void batch_end(struct event_loop *loop, void *arg)
{
    struct worker *w = arg;
    if (w->held != NULL)
        w->conns->release_held(w);
}

/* Replies held for replicas (-o min_replica_acks) time out in
 * milliseconds: the tick then comes this often to look. */
#define TICK_HOLD_MS 20

/* Once a second (or every TICK_HOLD_MS with -o min_replica_acks, to time
 * out replies held for replicas): close sessions idle past -o
 * idle_timeout. */
static void tick(struct event_loop *loop, void *arg)
{
    struct worker *w = arg;
    if (w->held != NULL && w->srv->cfg.min_replica_acks > 0)
        w->conns->release_held(w);
    int timeout = w->srv->cfg.idle_timeout;
    uint32_t now = clock_now();
    if (timeout <= 0 || now == w->idle_checked)
        return;
    w->idle_checked = now;
    struct session *s = w->sessions;
    while (s != NULL) {
        struct session *next = w->conns->next(s);
        if (w->conns->is_idle(s) && now - w->conns->idle_since(s) > (uint32_t)timeout) {
            log_debug("closing a connection idle for over %d s", timeout);
            w->conns->close_idle(&s);
        }
        s = next;
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    if (event_loop_run(w->loop) != 0)
        log_error("worker %d: event loop failed", w->id);
    /* A ring belongs to this thread: close the sessions here, so their
     * operations are cancelled and reaped before the ring goes. */
    while (w->sessions != NULL) {
        struct session *s = w->sessions;
        w->conns->close(&s);
    }
    event_loop_finish(w->loop);
    return NULL;
}

int worker_start(struct server *srv, int id, const struct worker_conn_ops *conns,
                 struct worker **out)
{
    struct worker *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return -1;
    w->id = id;
    w->srv = srv;
    w->conns = conns;
    pthread_mutex_init(&w->lock, NULL);
    w->loop = event_loop_create();
    if (w->loop == NULL) {
        free(w);
        return -1;
    }
    if (srv->cfg.io_uring) {
        event_loop_want_uring(w->loop, WORKER_RING_ENTRIES, (unsigned)srv->cfg.io_uring_bufs,
                              WORKER_RECV_BUF_SIZE);
        if (srv->cfg.poll_us > 0) /* -1: config_parse() not run (unit tests) */
            event_loop_set_poll(w->loop, (unsigned)srv->cfg.poll_us);
        w->prefetch.store = srv->store;
        event_loop_set_peek_end(w->loop, prefetch_finish, &w->prefetch);
    }
    event_loop_set_wake(w->loop, adopt_pending, w);
    if (srv->cfg.persist_dir[0] != '\0' || srv->cfg.min_replica_acks > 0)
        event_loop_set_batch_end(w->loop, batch_end, w);
    event_loop_set_tick(w->loop, srv->cfg.min_replica_acks > 0 ? TICK_HOLD_MS : 1000, tick, w);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        event_loop_destroy(&w->loop);
        free(w);
        return -1;
    }
    *out = w;
    return 0;
}

int worker_handoff(struct worker *w, int fd)
{
    pthread_mutex_lock(&w->lock);
    if (w->npending == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        int *p = realloc(w->pending, cap * sizeof(*p));
        if (p == NULL) {
            pthread_mutex_unlock(&w->lock);
            return -1;
        }
        w->pending = p;
        w->cap = cap;
    }
    w->pending[w->npending++] = fd;
    pthread_mutex_unlock(&w->lock);
    event_loop_wake(w->loop);
    return 0;
}

void worker_describe_sessions(struct worker *w, worker_stat_fn emit, void *arg)
{
    pthread_mutex_lock(&w->lock);
    for (struct session *s = w->sessions; s != NULL; s = w->conns->next(s))
        w->conns->describe(s, emit, arg);
    pthread_mutex_unlock(&w->lock);
}

void worker_stop(struct worker *w)
{
    if (w == NULL)
        return;
    event_loop_stop(w->loop);
    pthread_join(w->thread, NULL);
}

void worker_destroy(struct worker **wp)
{
    struct worker *w = *wp;
    if (w == NULL)
        return;
    while (w->sessions != NULL) {
        struct session *s = w->sessions;
        w->conns->close(&s);
    }
    for (size_t i = 0; i < w->npending; i++) {
        close(w->pending[i]);
        atomic_fetch_sub(&w->srv->curr_conns, 1);
    }
    free(w->pending);
    event_loop_destroy(&w->loop);
    pthread_mutex_destroy(&w->lock);
    free(w);
    *wp = NULL;
}
