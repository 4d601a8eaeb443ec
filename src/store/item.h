/*
 * item.h: the layout of one cached item, private to store/.
 *
 * An item is one malloc'd block: this header, then the key, then the value,
 * then "\r\n" (so item_value() can be sent with its terminator in one iovec).
 * The block is charged against the store's memory limit from reservation
 * until the last reference is dropped; item.c knows nothing of that charge,
 * of shards or of locks.
 *
 * Which fields may change after an item is linked:
 *   - exptime: touch/gat rewrite it in place; read and written with relaxed
 *     atomics (item_exptime() is called without the shard lock);
 *   - cas: rewritten in place only by an invalidation (md I), and atime on
 *     every access; both written under the shard lock with relaxed atomics,
 *     so item_cas()/item_atime() may read them without it;
 *   - h_next, prev, next, state: only under the item's shard lock;
 *   - refcount: atomically, by anyone holding a reference.
 * Everything else (flags, vlen, gen, hv, key and value bytes) is fixed once
 * the item is linked, which is what makes zero-copy replies safe.
 */
#ifndef MNEMO_STORE_ITEM_H
#define MNEMO_STORE_ITEM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ITEM_KEY_MAX 250u

/* state bits */
#define ITEM_LINKED 0x01u  /* in its shard's hash table and LRU */
#define ITEM_FETCHED 0x02u /* read (get/gat/touch) since it was linked */
#define ITEM_STALE 0x04u   /* invalidated (md I, ms I): meta gets report X */
#define ITEM_WIN_SENT 0x08u /* the win token went out: later meta gets report Z */
/* What a rewrite that memcached does in place (incr/decr) carries over. */
#define ITEM_META_BITS (ITEM_FETCHED | ITEM_STALE | ITEM_WIN_SENT)

struct item {
    struct item *h_next;  /* hash chain (also the free list of a victim batch) */
    struct item *prev;    /* LRU, towards the head (most recent) */
    struct item *next;    /* LRU, towards the tail */
    uint64_t cas;
    uint32_t exptime;     /* absolute server clock, 0 = never; relaxed atomics */
    uint32_t atime;       /* last access, server clock; relaxed atomics */
    uint32_t flags;       /* client flags */
    uint32_t vlen;        /* value bytes, without "\r\n" */
    atomic_uint refcount; /* the link holds one, each lookup/reservation one */
    uint32_t gen;         /* flush generation at link time */
    uint32_t hv;          /* low 32 bits of hash_key(): bucket index */
    uint8_t nkey;
    uint8_t shard;        /* from the high bits of hash_key() */
    uint8_t state;        /* ITEM_* bits above */
    char data[];          /* key, value, "\r\n" */
};

_Static_assert(sizeof(struct item) == 64, "item header should stay one cache line");

/* Bytes of an item with this key and value length: header + key + value + 2. */
static inline size_t item_total(size_t nkey, size_t vlen)
{
    return sizeof(struct item) + nkey + vlen + 2;
}

static inline uint32_t item_exptime_load(const struct item *it)
{
    return __atomic_load_n(&it->exptime, __ATOMIC_RELAXED);
}

static inline void item_exptime_store(struct item *it, uint32_t exptime)
{
    __atomic_store_n(&it->exptime, exptime, __ATOMIC_RELAXED);
}

static inline uint64_t item_cas_load(const struct item *it)
{
    return __atomic_load_n(&it->cas, __ATOMIC_RELAXED);
}

static inline void item_cas_store(struct item *it, uint64_t cas)
{
    __atomic_store_n(&it->cas, cas, __ATOMIC_RELAXED);
}

static inline uint32_t item_atime_load(const struct item *it)
{
    return __atomic_load_n(&it->atime, __ATOMIC_RELAXED);
}

static inline void item_atime_store(struct item *it, uint32_t atime)
{
    __atomic_store_n(&it->atime, atime, __ATOMIC_RELAXED);
}

/* Take one more reference. The caller already holds one, or holds the
 * item's shard lock while the item is linked. */
static inline void item_ref(struct item *it)
{
    atomic_fetch_add_explicit(&it->refcount, 1, memory_order_relaxed);
}

/* Drop a reference; true when it was the last one and the caller must free. */
static inline bool item_unref(struct item *it)
{
    return atomic_fetch_sub_explicit(&it->refcount, 1, memory_order_acq_rel) == 1;
}

/* Allocate an unlinked item with one reference, the key copied in, the value
 * left uninitialised and the terminator written. NULL when malloc fails.
 * *usable receives malloc_usable_size() of the block: the bytes to charge. */
struct item *item_alloc(const char *key, size_t nkey, uint32_t hv, unsigned shard,
                        uint32_t flags, uint32_t exptime, uint32_t vlen, size_t *usable);

/* Free an item's block (no reference may remain); returns the bytes to uncharge. */
size_t item_free(struct item *it);

/* Write the "\r\n" after the value (commit re-seals what the caller filled). */
void item_seal(struct item *it);

/* Parse the value as memcached's safe_strtoull() does for incr/decr: leading
 * white space, an optional sign, decimal digits, then white space or the end;
 * overflow and negative results are refused. Returns false if not numeric. */
bool item_value_u64(const struct item *it, uint64_t *out);

#endif
