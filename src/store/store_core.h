/*
 * store_core.h: what store.c (the engine: shards, memory limit, eviction,
 * flush, maintenance) shares with verbs.c (the key verbs of store.h: get,
 * commit, delete, delta and their meta variants). Private to store/; the
 * lock rules are at the top of store.c.
 */
#ifndef MNEMO_STORE_STORE_CORE_H
#define MNEMO_STORE_STORE_CORE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/item.h"
#include "store/shard.h"
#include "store/store.h"

struct store {
    struct shard shards[SHARD_COUNT];
    struct store_config cfg;
    _Alignas(64) _Atomic size_t used;
    _Alignas(64) _Atomic uint64_t flush_state;
    _Atomic unsigned evict_cursor;
    store_hook_fn hook; /* atomic loads/stores (__atomic builtins) */
    void *hook_arg;
    pthread_mutex_t maint_lock;
    unsigned reclaim_shard; /* under maint_lock */
    size_t reclaim_bucket;
};

static inline bool key_ok(const char *key, size_t nkey)
{
    return key != NULL && nkey > 0 && nkey <= ITEM_KEY_MAX;
}

static inline unsigned shard_of_hash(uint64_t h)
{
    return (unsigned)(h >> (64 - SHARD_BITS));
}

/* The current flush generation; applies a pending delayed flush whose time
 * has come. Lock-free: one acquire load on the common path. */
static inline uint32_t flush_gen(struct store *s, uint32_t now)
{
    uint64_t v = atomic_load_explicit(&s->flush_state, memory_order_acquire);
    for (;;) {
        uint32_t pending = (uint32_t)v;
        if (pending == 0 || now < pending)
            return (uint32_t)(v >> 32);
        uint64_t nv = (uint64_t)((uint32_t)(v >> 32) + 1u) << 32;
        if (atomic_compare_exchange_weak_explicit(&s->flush_state, &v, nv,
                                                  memory_order_acq_rel, memory_order_acquire))
            return (uint32_t)(nv >> 32);
    }
}

static inline bool item_dead(const struct item *it, uint32_t now, uint32_t gen)
{
    uint32_t e = item_exptime_load(it);
    return (e != 0 && e <= now) || it->gen != gen;
}

static inline void hook_call(struct store *s, enum store_event ev, const char *key, size_t nkey,
                      const struct item *it, uint32_t exptime)
{
    store_hook_fn fn = __atomic_load_n(&s->hook, __ATOMIC_ACQUIRE);
    if (fn != NULL)
        fn(__atomic_load_n(&s->hook_arg, __ATOMIC_RELAXED), ev, key, nkey, it, exptime);
}

/* Drop one reference; frees and uncharges on the last. Returns bytes freed.
 * Never called with a shard lock held if it can be avoided (free() cost). */
size_t core_item_put(struct store *s, struct item *it);

/* Drop the references of a batch chained through h_next. */
size_t core_put_batch(struct store *s, struct item *batch);

/* Allocate and charge an unlinked item; may evict. Never called with a
 * lock held. OK or ENOMEM. */
enum store_status core_alloc_item(struct store *s, const char *key, size_t nkey, uint32_t hv,
                                  unsigned shard, uint32_t flags, uint32_t exptime,
                                  uint32_t vlen, struct item **out);

#endif
