/*
 * shard.h: one lock's worth of the store, private to store/.
 *
 * A shard owns a chained hash table (doubling when the load passes 1.5), an
 * LRU list (head = most recent) and its counters, all guarded by its mutex.
 * Every function here ending in _locked expects the caller to hold sh->lock.
 * A shard knows nothing of the memory limit, expiry or flush: deciding what
 * is dead, and freeing memory, is store.c's business.
 */
#ifndef MNEMO_STORE_SHARD_H
#define MNEMO_STORE_SHARD_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct item;

/* Shards in a store: a power of two, picked by the top bits of hash_key(). */
#define SHARD_BITS 6u
#define SHARD_COUNT (1u << SHARD_BITS)

struct shard {
    pthread_mutex_t lock;
    struct item **buckets;
    size_t nbuckets; /* a power of two */
    struct item *lru_head;
    struct item *lru_tail;
    uint64_t next_cas; /* cas = next_cas << SHARD_BITS | index */
    unsigned index;
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
} __attribute__((aligned(64)));

/* Set up an empty shard. 0, or -1 when memory is short. */
int shard_init(struct shard *sh, unsigned index, size_t nbuckets);

/* Free the table and destroy the lock; items are the caller's to free first. */
void shard_fini(struct shard *sh);

/* The item linked under key (live or dead), or NULL. */
struct item *shard_find_locked(struct shard *sh, const char *key, size_t nkey, uint32_t hv);

/* Link an unlinked item: table, LRU head, counters. The item's reference
 * becomes the link reference. May grow the table (a calloc under the lock;
 * if that fails the table just stays smaller). */
void shard_link_locked(struct shard *sh, struct item *it);

/* Take a linked item out of table and LRU and uncount it. The link reference
 * passes to the caller, who drops it after unlocking. */
void shard_unlink_locked(struct shard *sh, struct item *it);

/* Move a linked item to the LRU head. */
void shard_bump_locked(struct shard *sh, struct item *it);

/* A fresh cas value, unique across shards, never 0. */
uint64_t shard_next_cas_locked(struct shard *sh);

#endif
