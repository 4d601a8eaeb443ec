/*
 * apply.h: records put back into a store, in order — what recovery does
 * with a snapshot and the log after it, and what a replica does with its
 * primary's stream. Records carry whole items with absolute times, so
 * applying is idempotent: a record applied twice, or over a fuzzy copy
 * of the store taken while it changed, still leaves each key in its last
 * state once every later record has been applied.
 *
 *   REC_SET     store_restore (or, expired or no room: the key's older
 *               item goes too, so it never keeps a stale value)
 *   REC_DELETE  store_delete            REC_TOUCH  store_touch
 *   REC_FLUSH   at once: store_flush; delayed: pending until the record
 *               of it taking effect (the store writes one), kept here
 *
 * Small SETs are batched with prefetching (store.h's protocol): a log's
 * or stream's keys come in no order the index likes, and the misses of a
 * batch overlap. Call rec_apply_drain before looking at the store.
 */
#ifndef MNEMO_PERSIST_APPLY_H
#define MNEMO_PERSIST_APPLY_H

#include <stdint.h>

#include "persist/record.h"

struct store;

#define REC_APPLY_BATCH 16

struct rec_apply {
    struct store *store;
    int64_t now;           /* Unix time: SETs expired by then are not loaded */
    int64_t pending_flush; /* a delayed flush_all not yet in effect: its time, 0: none */
    uint64_t max_cas;      /* the largest cas seen */
    uint64_t skipped;      /* SETs that did not fit (-m, -I) */
    uint64_t applied;      /* records applied */
    struct rec batch[REC_APPLY_BATCH];
    uint64_t hash[REC_APPLY_BATCH];
    char *space; /* the batch's copies; NULL: no batching */
    int n;
};

/* Start applying into store; now as above (the caller may move it on). */
void rec_apply_init(struct rec_apply *a, struct store *store, int64_t now);

/* Apply r (copied if batched: r may die after the call). */
void rec_apply(struct rec_apply *a, const struct rec *r);

/* Apply what is batched. */
void rec_apply_drain(struct rec_apply *a);

/* Drain and free the batch space. */
void rec_apply_free(struct rec_apply *a);

#endif
