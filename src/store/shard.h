/*
 * shard.h: one lock's worth of the key index, private to store/.
 *
 * A shard owns a chained hash table of 32-bit bucket heads (doubling when the
 * load passes 1.5); the chains run through the items' `next` field, so the
 * index costs 4-5 bytes per item. Items are named by their 32-bit arena
 * address (seg.h). Every function ending in _locked expects sh->lock held. A
 * shard knows nothing of memory, expiry or flush.
 */
#ifndef MNEMO_STORE_SHARD_H
#define MNEMO_STORE_SHARD_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct item;
struct arena;

/* Shards in a store: a power of two, picked by the top bits of hash_key(). */
#define SHARD_BITS 6u
#define SHARD_COUNT (1u << SHARD_BITS)

/* Tables a shard can outgrow: from 2^1 up to 2^32 buckets. */
#define SHARD_MAX_RETIRED 32u

struct shard {
    pthread_mutex_t lock;
    uint32_t *buckets; /* written under lock; read without by shard_prefetch_* */
    size_t nbuckets;   /* a power of two */
    uint32_t *retired[SHARD_MAX_RETIRED]; /* outgrown tables, emptied (shard.c) */
    unsigned nretired;
    /* counters, under lock */
    uint64_t curr_items;
    uint64_t total_items;
    uint64_t bytes;
    uint64_t evictions;
    uint64_t evicted_unfetched;
    uint64_t reclaimed;
    uint64_t expired_unfetched;
    uint64_t get_expired; /* lookups that found only an expired item */
    uint64_t get_flushed; /* ... only a flushed one */
    /* hits on items of the main and the small queue once the store evicts
     * (store.c, "adaptive small queue"): written under lock, read without */
    _Atomic uint64_t hits_main, hits_small;
} __attribute__((aligned(64)));

/* Set up an empty shard. 0, or -1 when memory is short. */
int shard_init(struct shard *sh, size_t nbuckets);

/* Free the table and destroy the lock. */
void shard_fini(struct shard *sh);

/* The item linked under key (live or dead), or NULL. hv: low bits of hash_key(). */
struct item *shard_find_locked(struct shard *sh, const struct arena *a, const char *key,
                               size_t nkey, uint32_t hv);

/* Link an unlinked item under hv; counts it. May grow the table (a calloc
 * under the lock; if that fails the table just stays smaller). */
void shard_link_locked(struct shard *sh, const struct arena *a, struct item *it, uint32_t hv);

/* Grow the table (by doublings, as links would) until it holds items at
 * its load limit. Rehashes what is linked. */
void shard_expect_locked(struct shard *sh, const struct arena *a, size_t items);

/* Take a linked item (of item_size() size) out of the table and uncount it.
 * Clearing ITEM_LINKED (release) is its last access to the item: an evictor
 * that sees the bit clear (acquire) without the lock may reuse the memory. */
void shard_unlink_locked(struct shard *sh, const struct arena *a, struct item *it, uint32_t hv,
                         size_t size);

/* Put fresh (unlinked, same key) in old's place in its chain. */
void shard_replace_locked(struct shard *sh, const struct arena *a, struct item *old,
                          struct item *fresh, uint32_t hv);

/* Without the lock: start loading hv's bucket, or (once it has had time to
 * arrive) the first item of its chain. For a batch of lookups, all buckets
 * first, then all items, then the lookups: their cache misses overlap. */
void shard_prefetch_bucket(const struct shard *sh, uint32_t hv);
void shard_prefetch_item(const struct shard *sh, const struct arena *a, uint32_t hv);

#endif
