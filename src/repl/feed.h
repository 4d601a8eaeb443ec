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

/* Stream bytes a slow replica has not taken yet, copied out of the backlog
 * before the ring overwrites them (feed.c). */
struct held_piece {
    struct held_piece *next;
    size_t len; /* bytes in data */
    char data[];
};

/* One replica being fed (primary side): one thread, which owns the
 * replica's socket. */
struct feed {
    struct repl *r;
    pthread_t thread;
    int fd;
    struct tls_stream *tls; /* the replica's TLS session on fd, or NULL */
    char peer[80];
    char replid[REPL_ID_LEN + 1]; /* the stream it is told it follows */
    bool full;
    uint64_t from;                 /* the offset its stream starts at */
    _Atomic uint64_t sent;         /* the offset handed to the socket so far */
    _Atomic uint64_t acked;        /* the offset the replica says it has applied */
    _Atomic uint64_t lag_ms;       /* how long the last ack took from the write it covers */
    _Atomic uint64_t held;         /* bytes in the held pieces below */
    atomic_int state;              /* enum feed_state */
    struct feed *next;             /* r's list (r's lock) */
    /* the feed thread's own */
    uint64_t sample_off[FEED_SAMPLES]; /* when the stream up to an offset was written */
    uint64_t sample_ms[FEED_SAMPLES];
    unsigned nsamples;
    char in[256]; /* the replica's ack lines, read so far */
    size_t nin;
    /* What the replica has not taken yet, out of the backlog: the offsets
     * [the next to send, taken) are in hand (the piece being sent, then
     * the held pieces), and the backlog is read from taken on. */
    uint64_t taken;
    struct held_piece *held_head, *held_tail;
};

/* Start f's thread (it owns f->fd from now on, and closes it) and link it
 * into r's list (r's lock held). 0, or -1 (f->fd untouched). */
int feed_start_locked(struct repl *r, struct feed *f);

/* Join and free the finished feeds, or all of them (at stop: they end
 * within their wait once r->stopping is set). r's lock held. */
void feeds_reap_locked(struct repl *r, bool all);

#endif
