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
#include <stddef.h>

#include "server/prefetch.h"
#include "server/stats.h"

struct server;
struct session;
struct event_loop;

struct worker {
    int id;
    struct server *srv;
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
};

/* Create the worker and start its thread. 0 or -1. */
int worker_start(struct server *srv, int id, struct worker **out);

/* Give an accepted socket to the worker (any thread). 0, or -1 when the
 * queue cannot grow (the caller closes the fd). */
int worker_handoff(struct worker *w, int fd);

/* Stop the loop and join the thread. Every worker must be stopped before
 * any is destroyed: a running worker may read the others' counters
 * ("stats"). */
void worker_stop(struct worker *w);

/* Close the stopped worker's sessions and free it. Sets *w to NULL. */
void worker_destroy(struct worker **w);

#endif
