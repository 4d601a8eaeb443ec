/*
 * prefetch.h: a worker's batch of index lookups to warm before it handles
 * the batch of arrivals they came in.
 *
 * Why: a get is mostly two cache misses, its bucket and its item, and
 * handled one request after another a batch pays them in turn (under
 * memcaslap's 32 connections, a third of mnemod's user time). The ring
 * shows each arrival ahead (conn_peek_fn): its keys are found (peek_keys)
 * and their buckets fetched; at the end of the batch (uring_peek_end_fn)
 * their first items are; then the requests run on warm lines.
 *
 *   arrivals ─peek_keys─▶ hash ─▶ prefetch bucket ─┐ ... ─▶ prefetch item ─▶ dispatch
 *
 * Hints only: nothing here changes what a request finds.
 */
#ifndef MNEMO_SERVER_PREFETCH_H
#define MNEMO_SERVER_PREFETCH_H

#include <stddef.h>
#include <stdint.h>

struct store;

/* Keys warmed per batch; more are looked up cold. */
#define PREFETCH_MAX 64

/* Keys warmed per arrival: at a deep pipeline, the first ones. */
#define PREFETCH_PER_ARRIVAL 16

struct prefetch_batch {
    const struct store *store;
    unsigned n;
    uint64_t hash[PREFETCH_MAX];
};

/* The keys of the text commands at the start of data[0..len): start on
 * their buckets. */
void prefetch_add(struct prefetch_batch *pb, const char *data, size_t len);

/* The batch is complete: start on each key's first item, and empty it.
 * A uring_peek_end_fn (arg: the batch). */
void prefetch_finish(void *batch);

#endif
