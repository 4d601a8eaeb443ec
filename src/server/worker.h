/*
 * worker.h: a worker thread — one event loop, its connections, its counters.
 *
 * The listener thread accepts and hands each socket to a worker through a
 * small locked queue plus an eventfd wake-up (memcached's pattern): the lock
 * is taken once per new connection, never per request. The same lock guards
 * the session list, which "stats conns" and the idle-timeout tick walk.
 */
#ifndef MNEMO_SERVER_WORKER_H
#define MNEMO_SERVER_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/prefetch.h"
#include "server/thread_stats.h"

struct server;
struct session;
struct event_loop;
struct worker;

/* One "name value" pair of a connection's description ("stats conns"). */
typedef void (*worker_stat_fn)(void *arg, const char *name, const char *value);

/*
 * What a worker does with its connections: session.c's functions
 * (session_worker_ops, session.h), handed over by whoever starts the
 * worker. The worker knows a session only as a pointer, so the arrow points
 * one way: a session uses its worker (loop, counters, list lock), the worker
 * calls sessions through this table (per new connection, wake-up and tick;
 * never per request).
 */
struct worker_conn_ops {
    struct session *(*open)(struct worker *w, int fd); /* NULL: fd closed */
    void (*close)(struct session **s);
    void (*close_idle)(struct session **s);
    void (*stream_kick)(struct session *s);
    int (*is_idle)(const struct session *s);
    uint32_t (*idle_since)(const struct session *s);
    struct session *(*next)(const struct session *s);
    void (*describe)(const struct session *s, worker_stat_fn emit, void *arg);
    /* Replies held for the append log: write it, let go those it covers
     * (at each batch's end, and on a wake-up while held_any). */
    void (*release_held)(struct worker *w);
};

struct worker {
    int id;
    struct server *srv;
    const struct worker_conn_ops *conns;
    struct event_loop *loop;
    struct thread_stats stats;
    struct prefetch_batch prefetch; /* loop thread only */
    pthread_t thread;
    pthread_mutex_t lock; /* pending fds and the session list */
    int *pending;
    size_t npending;
    size_t cap;
    struct session *sessions;
    int nstreams; /* sessions with a streaming reply (loop thread only) */
    struct session *held; /* sessions whose replies wait for the log (loop thread) */
    atomic_bool held_any; /* held may be non-empty: the fsync thread wakes the loop */
    uint32_t idle_checked; /* the server-clock second of the last idle check */
};

/* Create the worker and start its thread; it runs its connections through
 * conns. 0 or -1. */
int worker_start(struct server *srv, int id, const struct worker_conn_ops *conns,
                 struct worker **out);

/* Give an accepted socket to the worker (any thread). 0, or -1 when the
 * queue cannot grow (the caller closes the fd). */
int worker_handoff(struct worker *w, int fd);

/* Describe each of the worker's sessions through emit, under the worker's
 * lock ("stats conns", from any thread). */
void worker_describe_sessions(struct worker *w, worker_stat_fn emit, void *arg);

/* Stop the loop and join the thread. Every worker must be stopped before
 * any is destroyed: a running worker may read the others' counters
 * ("stats"). */
void worker_stop(struct worker *w);

/* Close the stopped worker's sessions and free it. Sets *w to NULL. */
void worker_destroy(struct worker **w);

#endif
