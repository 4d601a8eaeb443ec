/*
 * store.c: the storage engine behind store.h. Owns the shards, the memory
 * limit, eviction, expiry, flush, maintenance, statistics and iteration; the
 * key verbs (get, commit, delete, delta) are in verbs.c, sharing
 * store_core.h. Knows nothing of protocols or sockets.
 *
 *   key ──hash_key()──▶ top SHARD_BITS bits ──▶ shard (mutex, table, LRU, counters)
 *                       low 32 bits ─────────▶ bucket inside the shard's table
 *
 * Lock rules (the whole contract; see also shard.h):
 *   - A thread holds at most ONE shard lock at a time. Never take a second
 *     shard lock while holding one; eviction visits other shards one after
 *     the other, unlocking in between.
 *   - maint_lock (flush, the reclaim cursor; never on the request path) may be
 *     held while taking one shard lock, never the other way round.
 *   - No allocation that can evict happens under a shard lock: store_commit
 *     (append/prepend) and store_delta look up under the lock, take a
 *     reference, unlock, allocate, then relock and replace only if the key
 *     still maps to the same item. A vivify (get, append, delta) allocates
 *     first and then links only if the key is still free (ADD semantics);
 *     md x allocates its empty item before locking.
 *   - References are taken only under the shard lock of a linked item (or by
 *     a holder of another reference), and dropped anywhere. So a linked item
 *     seen with refcount 1 under its lock has no reader, and once unlinked
 *     nobody can find it again.
 *   - Memory is freed after unlocking whenever possible (victims are batched).
 *
 * Memory: used is one atomic counter of malloc_usable_size() of every item
 * from reservation to free, kept <= max_bytes; charging may evict.
 *
 * Flush: flush_state packs the flush generation (high 32 bits) and a pending
 * delayed flush time (low 32 bits, 0 = none). Items carry the generation at
 * link time and are dead once it differs. An immediate flush bumps the
 * generation, so a set right after it survives even within the same second;
 * a delayed one is applied lazily by the first reader whose clock reached it.
 */
#include "store/store.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/hash.h"
#include "store/item.h"
#include "store/shard.h"
#include "store/store_core.h"

#define INITIAL_BUCKETS 1024u /* per shard: 64k in all, like memcached's hashpower 16 */
#define TAIL_SEARCH 32u       /* LRU tail items examined per shard per eviction pass */
#define CHARGE_ROUNDS 16      /* eviction rounds before a reservation gives up */
#define RECLAIM_SLICE 256u    /* items visited per lock hold by the reclaimer */
#define ITEM_SIZE_MIN 1024u

/* Drop one reference; frees and uncharges on the last. Returns bytes freed.
 * Never called with a shard lock held if it can be avoided (free() cost). */
size_t core_item_put(struct store *s, struct item *it)
{
    if (!item_unref(it))
        return 0;
    assert((it->state & ITEM_LINKED) == 0);
    size_t usable = item_free(it);
    atomic_fetch_sub_explicit(&s->used, usable, memory_order_release);
    return usable;
}

/* Drop the references of a batch chained through h_next. */
size_t core_put_batch(struct store *s, struct item *batch)
{
    size_t freed = 0;
    while (batch != NULL) {
        struct item *next = batch->h_next;
        batch->h_next = NULL;
        freed += core_item_put(s, batch);
        batch = next;
    }
    return freed;
}

/* Unlink a dead item found by the reclaimer or the tail search; counts it as
 * memcached's lru_pull_tail does. The link reference goes onto *batch. */
static void reclaim_locked(struct shard *sh, struct item *it, struct item **batch)
{
    shard_unlink_locked(sh, it);
    sh->reclaimed++;
    if ((it->state & ITEM_FETCHED) == 0)
        sh->expired_unfetched++;
    it->h_next = *batch;
    *batch = it;
}

/* ---- memory limit and eviction ---- */

static bool try_charge(struct store *s, size_t usable)
{
    size_t cur = atomic_load_explicit(&s->used, memory_order_relaxed);
    do {
        if (cur + usable > s->cfg.max_bytes)
            return false;
    } while (!atomic_compare_exchange_weak_explicit(&s->used, &cur, cur + usable,
                                                    memory_order_acq_rel, memory_order_relaxed));
    return true;
}

/* Free about `need` bytes from one shard's LRU tail: dead items first, then
 * (with eviction on) unreferenced live ones. Returns the bytes actually freed
 * (dead items still referenced are unlinked but free nothing yet). */
static size_t shard_make_room(struct store *s, unsigned idx, size_t need)
{
    struct shard *sh = &s->shards[idx];
    struct item *batch = NULL;
    size_t est = 0;
    uint32_t now = clock_now();
    unsigned n;

    pthread_mutex_lock(&sh->lock);
    uint32_t gen = flush_gen(s, now);
    struct item *it = sh->lru_tail;
    for (n = 0; it != NULL && n < TAIL_SEARCH && est < need; n++) {
        struct item *prev = it->prev;
        if (item_dead(it, now, gen)) {
            if (atomic_load_explicit(&it->refcount, memory_order_relaxed) == 1)
                est += item_total(it->nkey, it->vlen);
            reclaim_locked(sh, it, &batch);
        }
        it = prev;
    }
    it = sh->lru_tail;
    for (n = 0; s->cfg.evict && it != NULL && n < TAIL_SEARCH && est < need; n++) {
        struct item *prev = it->prev;
        /* refcount 1 = only the link: nobody is sending this value */
        if (atomic_load_explicit(&it->refcount, memory_order_relaxed) == 1) {
            shard_unlink_locked(sh, it);
            sh->evictions++;
            if ((it->state & ITEM_FETCHED) == 0)
                sh->evicted_unfetched++;
            est += item_total(it->nkey, it->vlen);
            it->h_next = batch;
            batch = it;
        }
        it = prev;
    }
    pthread_mutex_unlock(&sh->lock);
    return core_put_batch(s, batch);
}

/* Own shard first, then the others (from a rotating start, one lock at a time). */
static size_t make_room(struct store *s, unsigned own, size_t need)
{
    size_t freed = shard_make_room(s, own, need);
    if (freed >= need)
        return freed;
    unsigned start = atomic_fetch_add_explicit(&s->evict_cursor, 1, memory_order_relaxed);
    for (unsigned i = 0; i < SHARD_COUNT && freed < need; i++) {
        unsigned idx = (start + i) & (SHARD_COUNT - 1);
        if (idx != own)
            freed += shard_make_room(s, idx, need - freed);
    }
    return freed;
}

/* Charge `usable` bytes, evicting as needed. OK or ENOMEM. No lock held. */
static enum store_status charge(struct store *s, unsigned own, size_t usable)
{
    for (int round = 0; round < CHARGE_ROUNDS; round++) {
        if (try_charge(s, usable))
            return STORE_OK;
        size_t used = atomic_load_explicit(&s->used, memory_order_relaxed);
        size_t need = used + usable > s->cfg.max_bytes ? used + usable - s->cfg.max_bytes : 1;
        if (make_room(s, own, need) == 0)
            break;
    }
    return try_charge(s, usable) ? STORE_OK : STORE_ENOMEM;
}

/* Allocate and charge an unlinked item. Never called with a lock held. */
enum store_status core_alloc_item(struct store *s, const char *key, size_t nkey, uint32_t hv,
                                    unsigned shard, uint32_t flags, uint32_t exptime,
                                    uint32_t vlen, struct item **out)
{
    size_t usable = 0;
    struct item *it = item_alloc(key, nkey, hv, shard, flags, exptime, vlen, &usable);
    if (it == NULL)
        return STORE_ENOMEM;
    enum store_status st = charge(s, shard, usable);
    if (st != STORE_OK) {
        item_free(it);
        return st;
    }
    *out = it;
    return STORE_OK;
}

/* ---- lifecycle ---- */

enum store_status store_create(const struct store_config *cfg, struct store **out)
{
    struct store *s = NULL;
    unsigned i = 0;

    if (out == NULL)
        return STORE_EINVAL;
    *out = NULL;
    if (cfg == NULL || cfg->item_size_max < ITEM_SIZE_MIN ||
        cfg->item_size_max > item_total(ITEM_KEY_MAX, UINT32_MAX) ||
        cfg->max_bytes < cfg->item_size_max)
        return STORE_EINVAL;
    if (posix_memalign((void **)&s, 64, sizeof(*s)) != 0)
        return STORE_ENOMEM;
    memset(s, 0, sizeof(*s));
    s->cfg = *cfg;
    atomic_init(&s->used, 0);
    atomic_init(&s->flush_state, 0);
    atomic_init(&s->evict_cursor, 0);
    pthread_mutex_init(&s->maint_lock, NULL);
    for (i = 0; i < SHARD_COUNT; i++) {
        if (shard_init(&s->shards[i], i, INITIAL_BUCKETS) != 0)
            goto fail;
    }
    *out = s;
    return STORE_OK;

fail:
    while (i-- > 0)
        shard_fini(&s->shards[i]);
    pthread_mutex_destroy(&s->maint_lock);
    free(s);
    return STORE_ENOMEM;
}

void store_destroy(struct store **sp)
{
    if (sp == NULL || *sp == NULL)
        return;
    struct store *s = *sp;
    for (unsigned i = 0; i < SHARD_COUNT; i++) {
        struct shard *sh = &s->shards[i];
        struct item *it = sh->lru_head;
        while (it != NULL) {
            struct item *next = it->next;
            item_free(it);
            it = next;
        }
        shard_fini(sh);
    }
    pthread_mutex_destroy(&s->maint_lock);
    free(s);
    *sp = NULL;
}

bool store_item_fits(const struct store *s, size_t nkey, size_t vlen)
{
    if (s == NULL || vlen > UINT32_MAX || nkey > ITEM_KEY_MAX)
        return false;
    return item_total(nkey, vlen) <= s->cfg.item_size_max;
}

void store_flush(struct store *s, uint32_t when)
{
    if (s == NULL)
        return;
    uint32_t now = clock_now();

    pthread_mutex_lock(&s->maint_lock);
    uint64_t v = atomic_load_explicit(&s->flush_state, memory_order_acquire);
    uint64_t nv;
    do {
        uint32_t gen = (uint32_t)(v >> 32);
        uint32_t pending = (uint32_t)v;
        if (pending != 0 && now >= pending)
            gen++; /* a delayed flush already due: apply it before replacing it */
        if (when <= now)
            nv = (uint64_t)(gen + 1u) << 32;
        else
            nv = ((uint64_t)gen << 32) | when; /* memcached: the last flush_all wins */
    } while (!atomic_compare_exchange_weak_explicit(&s->flush_state, &v, nv,
                                                    memory_order_acq_rel, memory_order_acquire));
    /* Reported after the switch: a set racing with the flush may be logged
     * before it yet survive in memory; replay then loses it (a miss), never
     * resurrects flushed data. */
    hook_call(s, STORE_EV_FLUSH, NULL, 0, NULL, when);
    pthread_mutex_unlock(&s->maint_lock);
}

/* ---- maintenance, statistics, iteration, hooks ---- */

/* Visit the chains of one shard from *bucket on, reclaiming dead items.
 * Stops after `budget` visits. Returns visits; counts reclaims in *reclaimed. */
static size_t reclaim_shard(struct store *s, struct shard *sh, size_t *bucket, size_t budget,
                            size_t *reclaimed)
{
    struct item *batch = NULL;
    size_t visits = 0;
    uint32_t now = clock_now();

    pthread_mutex_lock(&sh->lock);
    uint32_t gen = flush_gen(s, now);
    size_t b = *bucket;
    while (b < sh->nbuckets && visits < budget) {
        struct item *it = sh->buckets[b];
        while (it != NULL && visits < budget) {
            struct item *next = it->h_next;
            visits++;
            if (item_dead(it, now, gen)) {
                reclaim_locked(sh, it, &batch);
                (*reclaimed)++;
            }
            it = next;
        }
        b++; /* a chain cut short by the budget is finished on the next lap */
    }
    *bucket = b < sh->nbuckets ? b : SIZE_MAX;
    pthread_mutex_unlock(&sh->lock);
    core_put_batch(s, batch);
    return visits;
}

size_t store_reclaim_expired(struct store *s, size_t max_visits)
{
    size_t visits = 0;
    size_t reclaimed = 0;
    unsigned shards_done = 0;

    if (s == NULL)
        return 0;
    pthread_mutex_lock(&s->maint_lock);
    while (visits < max_visits && shards_done <= SHARD_COUNT) {
        size_t budget = max_visits - visits;
        if (budget > RECLAIM_SLICE)
            budget = RECLAIM_SLICE;
        struct shard *sh = &s->shards[s->reclaim_shard];
        visits += reclaim_shard(s, sh, &s->reclaim_bucket, budget, &reclaimed);
        if (s->reclaim_bucket == SIZE_MAX) {
            s->reclaim_bucket = 0;
            s->reclaim_shard = (s->reclaim_shard + 1) & (SHARD_COUNT - 1);
            shards_done++; /* bounds a call on an empty store to one lap */
        }
    }
    pthread_mutex_unlock(&s->maint_lock);
    return reclaimed;
}

void store_stats(struct store *s, struct store_stats *out)
{
    if (s == NULL || out == NULL)
        return;
    memset(out, 0, sizeof(*out));
    for (unsigned i = 0; i < SHARD_COUNT; i++) {
        struct shard *sh = &s->shards[i];
        pthread_mutex_lock(&sh->lock);
        out->curr_items += sh->curr_items;
        out->total_items += sh->total_items;
        out->bytes += sh->bytes;
        out->evictions += sh->evictions;
        out->evicted_unfetched += sh->evicted_unfetched;
        out->reclaimed += sh->reclaimed;
        out->expired_unfetched += sh->expired_unfetched;
        out->get_expired += sh->get_expired;
        out->get_flushed += sh->get_flushed;
        out->hash_buckets += sh->nbuckets;
        pthread_mutex_unlock(&sh->lock);
    }
    out->hash_bytes = out->hash_buckets * sizeof(struct item *);
    out->used_bytes = atomic_load_explicit(&s->used, memory_order_relaxed);
    out->limit_maxbytes = s->cfg.max_bytes;
}

void store_stats_reset(struct store *s)
{
    if (s == NULL)
        return;
    for (unsigned i = 0; i < SHARD_COUNT; i++) {
        struct shard *sh = &s->shards[i];
        pthread_mutex_lock(&sh->lock);
        sh->total_items = 0;
        sh->evictions = 0;
        sh->evicted_unfetched = 0;
        sh->reclaimed = 0;
        sh->expired_unfetched = 0;
        sh->get_expired = 0;
        sh->get_flushed = 0;
        pthread_mutex_unlock(&sh->lock);
    }
}

/* Take references to a shard's live items into *arr (grown as needed, never
 * under the lock). Returns the count, or SIZE_MAX if memory ran out. */
static size_t collect_shard(struct store *s, struct shard *sh, struct item ***arr, size_t *cap)
{
    for (;;) {
        uint32_t now = clock_now();
        pthread_mutex_lock(&sh->lock);
        if (sh->curr_items <= *cap) {
            uint32_t gen = flush_gen(s, now);
            size_t n = 0;
            for (struct item *it = sh->lru_head; it != NULL; it = it->next) {
                if (!item_dead(it, now, gen)) {
                    item_ref(it);
                    (*arr)[n++] = it;
                }
            }
            pthread_mutex_unlock(&sh->lock);
            return n;
        }
        size_t want = sh->curr_items + sh->curr_items / 4 + 16;
        pthread_mutex_unlock(&sh->lock);
        struct item **grown = realloc(*arr, want * sizeof(**arr));
        if (grown == NULL)
            return SIZE_MAX;
        *arr = grown;
        *cap = want;
    }
}

int store_foreach(struct store *s, store_visit_fn visit, void *arg)
{
    struct item **arr = NULL;
    size_t cap = 0;
    int rc = 0;

    if (s == NULL || visit == NULL)
        return STORE_EINVAL;
    for (unsigned i = 0; i < SHARD_COUNT && rc == 0; i++) {
        size_t n = collect_shard(s, &s->shards[i], &arr, &cap);
        if (n == SIZE_MAX) {
            rc = STORE_ENOMEM;
            break;
        }
        for (size_t j = 0; j < n; j++) {
            if (rc == 0)
                rc = visit(arr[j], arg);
            core_item_put(s, arr[j]);
        }
    }
    free(arr);
    return rc;
}

void store_set_hook(struct store *s, store_hook_fn hook, void *arg)
{
    if (s == NULL)
        return;
    __atomic_store_n(&s->hook_arg, arg, __ATOMIC_RELAXED);
    __atomic_store_n(&s->hook, hook, __ATOMIC_RELEASE);
}
