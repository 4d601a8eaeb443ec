/*
 * store_core.h: what store.c (the engine: segments, memory limit, eviction,
 * flush, maintenance) shares with verbs.c (the key verbs of store.h: get,
 * commit, delete, delta and their meta variants). Private to store/; the
 * lock rules are at the top of store.c, and why a large store has several
 * arenas at the top of seg.h.
 */
#ifndef MNEMO_STORE_STORE_CORE_H
#define MNEMO_STORE_STORE_CORE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/hash.h"
#include "store/item.h"
#include "store/seg.h"
#include "store/shard.h"
#include "store/store.h"

/* Arenas a store may have: one per index shard at most (seg.h). */
#define STORE_ARENAS_MAX SHARD_COUNT

struct store {
    struct shard shards[SHARD_COUNT];
    struct arena arenas[STORE_ARENAS_MAX]; /* narenas of them, SEG_ARENA_SPAN apart */
    unsigned narenas;                      /* a power of two */
    char *mem;                             /* arenas[0].base */
    void *map;                             /* the reservation of every arena */
    size_t map_len;
    struct store_config cfg; /* max_bytes: __atomic loads/stores (store_set_max_bytes) */
    _Alignas(64) _Atomic uint64_t next_seq; /* segment sequences, for every arena */
    _Atomic uint64_t cas_chosen_max; /* the largest cas a caller chose (meta E, restore) */
    _Alignas(64) _Atomic uint64_t flush_state;
    store_hook_fn hook; /* atomic loads/stores (__atomic builtins) */
    void *hook_arg;
    /* Ghosts of evicted items (store.c, "adaptive small queue"): one tag
     * per slot, indexed by the low bits of the key's hash; the small
     * queue's share of sealed segments moves with the misses they see. */
    _Atomic uint32_t *ghost;
    uint32_t ghost_mask;
    _Atomic bool ghosts_left; /* set once, at the first eviction: the table is in use */
    _Alignas(64) _Atomic uint32_t small_share; /* basis points of sealed segments */
    _Atomic uint32_t small_ceiling;             /* the share's current upper bound */
    pthread_mutex_t ceiling_lock;               /* one ceiling update at a time (trylock) */
    uint64_t seen_hits_main, seen_hits_small;   /* under ceiling_lock */
    bool ceiling_started;                       /* under ceiling_lock */
    _Atomic uint64_t ghost_hits_small;          /* misses on an item the small queue evicted */
    _Atomic uint64_t ghost_hits_main;           /* ... the main queue evicted */
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
/* A delayed flush_all has just come due (flush_gen switched to it): report
 * it to the hook as a flush at once, so the log marks where it took effect. */
void core_flush_came(struct store *s);

static inline uint32_t flush_gen(struct store *s, uint32_t now)
{
    uint64_t v = atomic_load_explicit(&s->flush_state, memory_order_acquire);
    for (;;) {
        uint32_t pending = (uint32_t)v;
        if (pending == 0 || now < pending)
            return (uint32_t)(v >> 32);
        uint64_t nv = (uint64_t)((uint32_t)(v >> 32) + 1u) << 32;
        if (atomic_compare_exchange_weak_explicit(&s->flush_state, &v, nv,
                                                  memory_order_acq_rel, memory_order_acquire)) {
            core_flush_came(s);
            return (uint32_t)(nv >> 32);
        }
    }
}

/* The arena an item (or any pointer into item memory) lives in. */
static inline struct arena *core_arena_of(const struct store *s, const void *p)
{
    /* one arena (-m up to 16 GB, the common case): a predicted branch is
     * cheaper than the arithmetic (callgrind: ~40 fewer instructions a
     * request at pipeline 16) */
    if (s->narenas == 1)
        return (struct arena *)&s->arenas[0];
    size_t i = (size_t)((const char *)p - s->mem) >> SEG_ARENA_SHIFT;
    return (struct arena *)&s->arenas[i];
}

/* The arena a shard's items live in. */
static inline struct arena *core_shard_arena(const struct store *s, const struct shard *sh)
{
    if (s->narenas == 1)
        return (struct arena *)&s->arenas[0];
    size_t i = (size_t)(sh - s->shards) & (s->narenas - 1u);
    return (struct arena *)&s->arenas[i];
}

/* The arena a key's items live in (its hash's shard's). */
static inline struct arena *core_hash_arena(const struct store *s, uint64_t h)
{
    return (struct arena *)&s->arenas[shard_of_hash(h) & (s->narenas - 1u)];
}

/* Expired, or written before the last flush (its segment's generation). */
static inline bool item_dead(const struct store *s, const struct item *it, uint32_t now,
                             uint32_t gen)
{
    uint32_t e = item_exptime_load(it);
    const struct arena *a = core_arena_of(s, it);
    return (e != 0 && e <= now) || a->segs[seg_of(a, it)].gen != gen;
}

static inline void hook_call(struct store *s, enum store_event ev, const char *key, size_t nkey,
                             const struct item *it, uint32_t exptime)
{
    store_hook_fn fn = __atomic_load_n(&s->hook, __ATOMIC_ACQUIRE);
    if (fn != NULL)
        fn(__atomic_load_n(&s->hook_arg, __ATOMIC_RELAXED), ev, key, nkey, it, exptime);
}

static inline uint32_t item_hv(const struct item *it)
{
    return (uint32_t)hash_key(item_key(it), it->nkey);
}

/* The item's cas: its explicit slot, else derived from its place (segment
 * sequence, offset); 0 with -C. */
uint64_t core_cas(const struct store *s, const struct item *it);

/* The cas the item's place gives it (segment sequence, offset). */
uint64_t core_cas_derived(const struct store *s, const struct item *it);

/* A caller chose this cas for an item (meta E, a restore): keep
 * store_cas_high() above it. Not on the path of a plain set. */
static inline void core_note_cas(struct store *s, uint64_t cas)
{
    uint64_t cur = atomic_load_explicit(&s->cas_chosen_max, memory_order_relaxed);
    while (cas > cur && !atomic_compare_exchange_weak_explicit(
                            &s->cas_chosen_max, &cur, cas, memory_order_relaxed,
                            memory_order_relaxed)) {
    }
}

/* Drop a reference (a lookup's, or a reservation's once linked). */
static inline void core_unref(struct store *s, struct item *it)
{
    seg_unref(core_arena_of(s, it), it);
}

/* Is a linked item in a segment of the main queue (promoted by eviction)?
 * (A racing in-place promotion may be seen late: a hint, not a rule.) */
static inline bool core_in_main_queue(const struct store *s, const struct item *it)
{
    const struct arena *a = core_arena_of(s, it);
    return atomic_load_explicit(&a->segs[seg_of(a, it)].queue, memory_order_relaxed) ==
           SEG_Q_MAIN;
}

/* A lookup hit it: counted by its queue once the store evicts (store.c,
 * "adaptive small queue"). Under sh's lock, so a load and a store. */
static inline void core_count_hit(struct store *s, struct shard *sh, const struct item *it)
{
    if (!atomic_load_explicit(&s->ghosts_left, memory_order_relaxed))
        return;
    _Atomic uint64_t *c = core_in_main_queue(s, it) ? &sh->hits_main : &sh->hits_small;
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

/* A lookup of the key with hash h missed: if an eviction left a ghost of it,
 * move the small queue's share (store.c, "adaptive small queue"). Lock-free;
 * any lock may be held. */
void core_ghost_miss_slow(struct store *s, uint64_t h);

static inline void core_ghost_miss(struct store *s, uint64_t h)
{
    if (atomic_load_explicit(&s->ghosts_left, memory_order_relaxed))
        core_ghost_miss_slow(s, h); /* a store that never evicted skips the table */
}

/* Give back a reservation that will never be linked: uncharge, unref. */
void core_discard(struct store *s, struct item *it);

/* Link a reserved item under hv (its charge stays, now for the link). */
void core_link_locked(struct store *s, struct shard *sh, struct item *it, uint32_t hv);

/* Unlink a linked item and uncharge it (its bytes stay readable for holders
 * of a reference until its segment is reused). */
void core_unlink_locked(struct store *s, struct shard *sh, struct item *it, uint32_t hv);

/* Allocate and charge an unlinked item (one reference on its segment) with
 * an explicit cas slot if with_cas; may evict. Never called with a lock
 * held. OK or ENOMEM. */
enum store_status core_alloc_item(struct store *s, const char *key, size_t nkey, uint32_t flags,
                                  uint32_t exptime, uint32_t vlen, bool with_cas,
                                  struct item **out);

#endif
