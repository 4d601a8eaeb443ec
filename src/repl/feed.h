/*
 * feed.h: the primary's side of one replica (feed.c).
 */
#ifndef MNEMO_REPL_FEED_H
#define MNEMO_REPL_FEED_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "repl/types.h"

struct repl;

enum feed_state { FEED_SYNC, FEED_STREAM, FEED_DONE };

#define FEED_SAMPLES 64

/* One replica being fed (primary side), one thread. */
struct feed {
    struct repl *r;
    pthread_t thread;
    struct repl_feed_io io;
    char peer[80];
    char replid[REPL_ID_LEN + 1]; /* the stream it is told it follows */
    bool full;
    uint64_t from;         /* the offset its stream starts at */
    _Atomic uint64_t sent; /* the offset written so far */
    uint64_t id;           /* names it to repl_feed_ack */
    /* acknowledgements (under r's lock): the offset the replica has
     * applied, and how long the last one took from leaving here */
    uint64_t acked;
    uint64_t lag_ms;
    /* when the stream up to an offset was written (the feed's lock): the
     * last FEED_SAMPLES writes, for lag_ms */
    pthread_mutex_t sample_lock;
    uint64_t sample_off[FEED_SAMPLES];
    uint64_t sample_ms[FEED_SAMPLES];
    unsigned nsamples;
    atomic_int state;      /* enum feed_state */
    struct feed *next;
};

/* Start f's thread and link it into r's list (r's lock held). 0, or -1. */
int feed_start_locked(struct repl *r, struct feed *f);

/* The replica applied the stream up to offset (r's lock held): acked,
 * and lag_ms from when that offset was written. */
void feed_ack_locked(struct feed *f, uint64_t offset);

/* Join and free the finished feeds, or all of them (at stop: their
 * connections are gone by then). r's lock held. */
void feeds_reap_locked(struct repl *r, bool all);

#endif
