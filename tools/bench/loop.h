/*
 * loop.h: one mnemo-bench load thread.  Each thread owns an epoll loop, its
 * sockets (connected by the caller) and its measurements; threads share
 * only the read-only struct bench_shared and a few flags.
 *
 *   client 0 ── conn → server 0      a "client" keeps up to --pipeline
 *            └─ conn → server 1      requests in flight over its sockets,
 *   client 1 ── ...                  one socket per server; a request goes
 *                                    to the server that owns its key
 *
 * Each client belongs to a group (--group; one group "all" without it):
 * the group gives its mix and pipeline depth, and its completions are
 * counted in the group's own struct bench_stats.
 *
 * Closed loop: each completion immediately issues the next request.  Open
 * loop (--rate): every client has a schedule of intended send times and
 * latency is measured from the intended time, so a stalled server is
 * charged for the requests it delayed (no coordinated omission).
 */
#ifndef MNEMO_BENCH_LOOP_H
#define MNEMO_BENCH_LOOP_H

#include <pthread.h>
#include <stdint.h>

#include "stats.h"

struct bench_options;
struct bench_tls_conn;
struct proto_ops;
struct ring;

struct bench_shared {
    const struct bench_options *o;
    const struct proto_ops *proto;
    const struct ring *ring;
    const char *value;          /* o->value_max bytes of value data */
    pthread_barrier_t barrier;  /* threads + main, between preload and the run */
    int stop;                   /* atomic: stop issuing (signal or error) */
    int failed;                 /* atomic: a thread hit a fatal error */
};

struct worker {
    pthread_t tid;
    unsigned id;
    struct bench_shared *sh;
    int *fds;                   /* conns * server_count sockets, client-major */
    struct bench_tls_conn **tls; /* their TLS (--tls), or NULL */
    struct bench_stats preload; /* the preload phase */
    struct bench_stats *run;    /* the measured phase: one per group, o->group_count */
    uint64_t progress_ops;      /* atomic, for the progress line */
    uint64_t progress_hits;
    uint64_t progress_gets;
    int done;                   /* atomic: the measured phase ended */
    char error[256];            /* set when the thread failed */
};

/* The thread body: arg is a struct worker * whose run array the caller
 * allocated.  Runs preload (if asked), waits on sh->barrier, runs the
 * measured phase, closes its sockets. */
void *worker_main(void *arg);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

#endif
