/*
 * state.h: the state of replication that repl.c, feed.c and link.c share
 * (no functions). Not for use outside src/repl/.
 */
#ifndef MNEMO_REPL_STATE_H
#define MNEMO_REPL_STATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "repl/types.h"

struct backlog;
struct feed;
struct link;
struct store;
struct journal;
struct persist;

struct repl {
    struct store *store;
    struct journal *journal;
    struct persist *persist; /* NULL: persistence off */
    struct backlog *backlog;
    pthread_mutex_t lock; /* everything below but the atomics */
    char replid[REPL_ID_LEN + 1];
    char replid2[REPL_ID_LEN + 1]; /* the stream followed before: answered up to replid2_end */
    uint64_t replid2_end;
    bool sink_on; /* the journal's replication sink is set */
    struct link *link; /* following a primary */
    struct feed *feeds;
    atomic_bool replica;
    atomic_bool stopping;
    _Atomic uint64_t full_syncs_served, partial_syncs_served;
};

#endif
