/*
 * restore.c: what persistence and replication need from the store (the
 * "restoring" section of store.h): linking an item exactly as it was, the
 * cas floor and high mark that keep cas values from being reused across a
 * restart, sizing the index ahead of a restore, and the pending delayed
 * flush. Knows nothing of file or stream formats, nor of protocols.
 *
 * Where cas values come from (store.c's top comment): an item written by a
 * set derives its cas from its place, (segment sequence << (seg_shift - 2))
 * | offset in 4-byte units (+ 1 after an in-place md I), the sequence being
 * taken from the store's next_seq when the segment became a head's. Other
 * items carry their cas explicitly: chosen by a caller (meta E, a restore;
 * core_note_cas keeps the largest in cas_chosen_max), or copied forward
 * from an older item by eviction, compaction or md x (a value already
 * handed out). So every cas handed out is below next_seq << shift or at
 * most cas_chosen_max, which is all store_cas_high() reads; and raising
 * the floor is moving next_seq up and retiring the heads' segments whose
 * sequence predates the raise.
 */
#include "store/store.h"

#include <string.h>

#include "common/clock.h"
#include "common/hash.h"
#include "store/item.h"
#include "store/seg.h"
#include "store/shard.h"
#include "store/store_core.h"

/* The highest floor store_raise_cas honours (store.h says why). */
#define CAS_FLOOR_MAX (((uint64_t)1 << 63) - 1u)

_Static_assert(ITEM_ALIGN == 4u, "derived cas offsets count 4-byte units (core_cas_derived)");

/* The offset bits of a derived cas: the same for every arena. */
static unsigned cas_shift(const struct store *s)
{
    return s->arenas[0].seg_shift - 2u;
}

/* The reserved item `it` takes r's value, cas, state bits and access time. */
static void restore_fill(struct store *s, struct item *it, const struct store_restore *r,
                         bool with_cas, uint32_t now)
{
    if (r->vlen > 0)
        memcpy(item_data(it), r->value, r->vlen); /* item_init wrote the "\r\n" after it */
    if (with_cas) {
        item_cas_slot_store(it, r->cas);
        core_note_cas(s, r->cas);
    }
    item_state_set(it, (uint8_t)((r->stale ? ITEM_STALE : 0u) |
                                 (r->win_sent ? ITEM_WIN_SENT : 0u) |
                                 (r->fetched ? ITEM_FETCHED : 0u)));
    if (r->key_binary)
        item_mark_key_binary(it);
    item_atime_store(it, now);
}

enum store_status store_restore(struct store *s, const struct store_restore *r)
{
    if (s == NULL || r == NULL || !key_ok(r->key, r->nkey) || (r->value == NULL && r->vlen > 0))
        return STORE_EINVAL;
    if (!store_item_fits(s, r->nkey, r->vlen))
        return STORE_TOO_LARGE;
    uint32_t now = clock_now();
    /* An expired item only takes the key's old item away: allocating it
     * could evict live items for one no lookup would ever return. */
    bool dead = r->exptime != 0 && r->exptime <= now;
    /* A restored cas is almost never the one the new place would derive,
     * so it is kept explicitly; cas 0 (or use_cas off) derives. */
    bool with_cas = s->cfg.use_cas && r->cas != 0;
    struct item *it = NULL;

    if (!dead) {
        /* allocated before the shard lock: it may evict (store.c's lock rules) */
        enum store_status st =
            core_alloc_item(s, r->key, r->nkey, r->flags, r->exptime, r->vlen, with_cas, &it);
        if (st != STORE_OK)
            return st;
        restore_fill(s, it, r, with_cas, now);
    }
    uint64_t h = hash_key(r->key, r->nkey);
    struct shard *sh = &s->shards[shard_of_hash(h)];

    pthread_mutex_lock(&sh->lock);
    uint32_t gen = flush_gen(s, now);
    struct item *old = shard_find_locked(sh, core_shard_arena(s, sh), r->key, r->nkey,
                                         (uint32_t)h);
    if (old != NULL) {
        /* as a set: a new version of a proven item inherits its standing */
        if (it != NULL && !item_dead(s, old, now, gen) &&
            ((item_state(old) & ITEM_ACCESSED) || core_in_main_queue(s, old)))
            item_state_set(it, ITEM_ACCESSED);
        core_unlink_locked(s, sh, old, (uint32_t)h);
    }
    if (it != NULL)
        core_link_locked(s, sh, it, (uint32_t)h);
    pthread_mutex_unlock(&sh->lock);
    if (it != NULL)
        core_unref(s, it); /* the reservation's reference: the link holds it now */
    return STORE_OK;
}

void store_expect_items(struct store *s, uint64_t items)
{
    if (s == NULL)
        return;
    /* no more than the smallest items would fill max_bytes with */
    uint64_t cap = __atomic_load_n(&s->cfg.max_bytes, __ATOMIC_RELAXED) / ITEM_SIZE_MIN_BYTES;
    if (items > cap)
        items = cap;
    /* keys spread evenly over the shards; the few above the mean grow as usual */
    size_t per_shard = (size_t)(items / SHARD_COUNT);
    for (unsigned i = 0; i < SHARD_COUNT; i++) {
        struct shard *sh = &s->shards[i];
        pthread_mutex_lock(&sh->lock);
        shard_expect_locked(sh, core_shard_arena(s, sh), per_shard);
        pthread_mutex_unlock(&sh->lock);
    }
}

void store_raise_cas(struct store *s, uint64_t cas)
{
    if (s == NULL)
        return;
    if (cas > CAS_FLOOR_MAX)
        cas = CAS_FLOOR_MAX;
    uint64_t want = (cas >> cas_shift(s)) + 1u; /* want << shift > cas */
    uint64_t cur = atomic_load_explicit(&s->next_seq, memory_order_relaxed);
    while (cur < want && !atomic_compare_exchange_weak_explicit(&s->next_seq, &cur, want,
                                                                memory_order_relaxed,
                                                                memory_order_relaxed)) {
    }
    /* Segments that became a head's before the raise would go on deriving
     * cas values from their older sequence: those heads start new segments.
     * An install racing with this either took its sequence before the
     * raise (it holds the head lock while it does, so the check below sees
     * it) or after (it is above the floor). */
    for (unsigned i = 0; i < s->narenas; i++) {
        for (unsigned h = 0; h <= SEG_HEADS; h++)
            seg_seal_head_before(&s->arenas[i], h, want);
    }
}

uint64_t store_cas_high(const struct store *s)
{
    if (s == NULL)
        return 0;
    /* every segment's sequence is below next_seq, every offset (+ 1) below
     * 1 << shift */
    uint64_t seq = atomic_load_explicit(&s->next_seq, memory_order_relaxed);
    uint64_t derived = (seq << cas_shift(s)) - 1u;
    uint64_t chosen = atomic_load_explicit(&s->cas_chosen_max, memory_order_relaxed);
    return derived > chosen ? derived : chosen;
}

uint32_t store_flush_pending(const struct store *s)
{
    if (s == NULL)
        return 0;
    /* flush_state: generation << 32 | pending time (store.c); a pending
     * flush whose time has come is applied lazily by the next flush_gen() */
    uint64_t v = atomic_load_explicit(&s->flush_state, memory_order_acquire);
    uint32_t pending = (uint32_t)v;
    return pending != 0 && clock_now() < pending ? pending : 0;
}
