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
    atomic_int online; /* feeds streaming (their full sync done) */
    atomic_bool stopping;
    size_t buffer_limit; /* repl_config's: bytes a feed may hold for a slow replica */
    _Atomic uint64_t full_syncs_served, partial_syncs_served;
    /* synchronous acks (repl_config) */
    int min_acks;
    void (*on_acked)(void *arg);
    void *on_acked_arg;
    char *auth_token;     /* repl_config's copy, or NULL */
    struct tls_client_ctx *link_tls; /* repl_config's (owned), or NULL: a plain link */
    char *link_tls_name;  /* repl_config's copy, or NULL: the primary's host */
    pthread_cond_t acked; /* broadcast (under lock) when a replica acknowledged more */
    /* A feed's replica acknowledged more: wake whoever waits for acks
     * (set by repl.c; called by the feed thread, no lock held). A pointer,
     * so that feed.c needs nothing of repl.c. */
    void (*acked_more)(struct repl *r);
};

#endif
