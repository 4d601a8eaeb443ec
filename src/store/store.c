/*
 * store.c: the storage engine behind store.h. Owns the shards, the memory
 * limit, eviction, expiry and flush. Knows nothing of protocols or sockets.
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
 *     still maps to the same item.
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

#define INITIAL_BUCKETS 1024u /* per shard: 64k in all, like memcached's hashpower 16 */
#define TAIL_SEARCH 32u       /* LRU tail items examined per shard per eviction pass */
#define CHARGE_ROUNDS 16      /* eviction rounds before a reservation gives up */
#define UPDATE_RETRIES 100    /* optimistic rounds of append/prepend/incr/decr */
#define RECLAIM_SLICE 256u    /* items visited per lock hold by the reclaimer */
#define ITEM_SIZE_MIN 1024u

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

static bool key_ok(const char *key, size_t nkey)
{
    return key != NULL && nkey > 0 && nkey <= ITEM_KEY_MAX;
}

static unsigned shard_of_hash(uint64_t h)
{
    return (unsigned)(h >> (64 - SHARD_BITS));
}

/* The current flush generation; applies a pending delayed flush whose time
 * has come. Lock-free: one acquire load on the common path. */
static uint32_t flush_gen(struct store *s, uint32_t now)
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

static bool item_dead(const struct item *it, uint32_t now, uint32_t gen)
{
    uint32_t e = item_exptime_load(it);
    return (e != 0 && e <= now) || it->gen != gen;
}

static void hook_call(struct store *s, enum store_event ev, const char *key, size_t nkey,
                      const struct item *it, uint32_t exptime)
{
    store_hook_fn fn = __atomic_load_n(&s->hook, __ATOMIC_ACQUIRE);
    if (fn != NULL)
        fn(__atomic_load_n(&s->hook_arg, __ATOMIC_RELAXED), ev, key, nkey, it, exptime);
}

/* Drop one reference; frees and uncharges on the last. Returns bytes freed.
 * Never called with a shard lock held if it can be avoided (free() cost). */
static size_t item_put(struct store *s, struct item *it)
{
    if (!item_unref(it))
        return 0;
    assert((it->state & ITEM_LINKED) == 0);
    size_t usable = item_free(it);
    atomic_fetch_sub_explicit(&s->used, usable, memory_order_release);
    return usable;
}

/* Drop the references of a batch chained through h_next. */
static size_t put_batch(struct store *s, struct item *batch)
{
    size_t freed = 0;
    while (batch != NULL) {
        struct item *next = batch->h_next;
        batch->h_next = NULL;
        freed += item_put(s, batch);
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
    return put_batch(s, batch);
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
static enum store_status alloc_item(struct store *s, const char *key, size_t nkey, uint32_t hv,
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

/* ---- reads ---- */

struct item *store_get(struct store *s, const char *key, size_t nkey, bool touch,
                       uint32_t new_exptime)
{
    if (s == NULL || !key_ok(key, nkey))
        return NULL;
    uint64_t h = hash_key(key, nkey);
    struct shard *sh = &s->shards[shard_of_hash(h)];
    uint32_t now = clock_now();
    struct item *dead = NULL;

    pthread_mutex_lock(&sh->lock);
    uint32_t gen = flush_gen(s, now);
    struct item *it = shard_find_locked(sh, key, nkey, (uint32_t)h);
    if (it != NULL && item_dead(it, now, gen)) {
        if (it->gen != gen)
            sh->get_flushed++;
        else
            sh->get_expired++;
        shard_unlink_locked(sh, it); /* lazy expiry: memcached does not count it reclaimed */
        dead = it;
        it = NULL;
    } else if (it != NULL) {
        if (touch) {
            item_exptime_store(it, new_exptime);
            hook_call(s, STORE_EV_TOUCH, it->data, nkey, it, new_exptime);
        }
        it->state |= ITEM_FETCHED;
        it->atime = now;
        shard_bump_locked(sh, it);
        item_ref(it);
    }
    pthread_mutex_unlock(&sh->lock);
    if (dead != NULL)
        item_put(s, dead);
    return it;
}

void store_release(struct store *s, struct item **it)
{
    if (s == NULL || it == NULL || *it == NULL)
        return;
    item_put(s, *it);
    *it = NULL;
}

enum store_status store_touch(struct store *s, const char *key, size_t nkey,
                              uint32_t new_exptime)
{
    struct item *it = store_get(s, key, nkey, true, new_exptime);
    if (it == NULL)
        return (s == NULL || !key_ok(key, nkey)) ? STORE_EINVAL : STORE_NOT_FOUND;
    store_release(s, &it);
    return STORE_OK;
}

/* ---- writes ---- */

enum store_status store_reserve(struct store *s, const char *key, size_t nkey, uint32_t flags,
                                uint32_t exptime, uint32_t vlen, struct item **out)
{
    if (out == NULL)
        return STORE_EINVAL;
    *out = NULL;
    if (s == NULL || !key_ok(key, nkey))
        return STORE_EINVAL;
    if (!store_item_fits(s, nkey, vlen))
        return STORE_TOO_LARGE;
    uint64_t h = hash_key(key, nkey);
    return alloc_item(s, key, nkey, (uint32_t)h, shard_of_hash(h), flags, exptime, vlen, out);
}

void store_abort(struct store *s, struct item **it)
{
    store_release(s, it);
}

/* Under the lock: replace old (may be NULL) by fresh, stamping fresh's
 * generation, cas and access time, and report the link. */
static void link_new_locked(struct store *s, struct shard *sh, struct item *old,
                            struct item *fresh, uint32_t now, uint32_t gen)
{
    fresh->gen = gen;
    fresh->cas = s->cfg.use_cas ? shard_next_cas_locked(sh) : 0;
    fresh->atime = now;
    if (old != NULL)
        shard_unlink_locked(sh, old);
    shard_link_locked(sh, fresh);
    hook_call(s, STORE_EV_LINK, fresh->data, fresh->nkey, fresh, item_exptime_load(fresh));
}

/* Find the key's live item under the lock; a dead one found is unlinked and
 * chained onto *dead for the caller to drop after unlocking. */
static struct item *find_live_locked(struct shard *sh, const char *key, size_t nkey,
                                     uint32_t hv, uint32_t now, uint32_t gen,
                                     struct item **dead)
{
    struct item *it = shard_find_locked(sh, key, nkey, hv);
    if (it != NULL && item_dead(it, now, gen)) {
        shard_unlink_locked(sh, it);
        it->h_next = *dead;
        *dead = it;
        return NULL;
    }
    return it;
}

/* Look up the live item under key and take a reference (NULL if none). */
static struct item *lookup_ref(struct store *s, struct shard *sh, const char *key, size_t nkey,
                               uint32_t hv)
{
    struct item *dead = NULL;
    uint32_t now = clock_now();

    pthread_mutex_lock(&sh->lock);
    struct item *it = find_live_locked(sh, key, nkey, hv, now, flush_gen(s, now), &dead);
    if (it != NULL)
        item_ref(it);
    pthread_mutex_unlock(&sh->lock);
    put_batch(s, dead);
    return it;
}

/* Relock and swap old for fresh if the key still maps to old, which must be
 * live; fresh inherits old's current exptime. True if swapped, in which case
 * the link reference of old has been dropped (the caller's remains) and
 * *cas holds fresh's cas: once unlocked, fresh may be evicted at any time. */
static bool swap_if_same(struct store *s, struct shard *sh, struct item *old,
                         struct item *fresh, uint64_t *cas)
{
    uint32_t now = clock_now();
    bool ok = false;

    pthread_mutex_lock(&sh->lock);
    uint32_t gen = flush_gen(s, now);
    if ((old->state & ITEM_LINKED) && !item_dead(old, now, gen)) {
        item_exptime_store(fresh, item_exptime_load(old));
        link_new_locked(s, sh, old, fresh, now, gen);
        *cas = fresh->cas;
        ok = true;
    }
    pthread_mutex_unlock(&sh->lock);
    if (ok)
        item_put(s, old); /* the link reference */
    return ok;
}

/* append/prepend: build a new item old+piece (or piece+old) outside the lock. */
static enum store_status commit_concat(struct store *s, struct item *piece, bool prepend,
                                       uint64_t *cas_out)
{
    struct shard *sh = &s->shards[piece->shard];
    const char *key = piece->data;
    enum store_status st = STORE_EXISTS; /* the key kept changing under us */

    for (int attempt = 0; attempt < UPDATE_RETRIES; attempt++) {
        struct item *old = lookup_ref(s, sh, key, piece->nkey, piece->hv);
        if (old == NULL) {
            st = STORE_NOT_STORED;
            break;
        }
        size_t vlen = (size_t)old->vlen + piece->vlen;
        struct item *fresh = NULL;
        if (!store_item_fits(s, piece->nkey, vlen))
            st = STORE_TOO_LARGE;
        else
            st = alloc_item(s, key, piece->nkey, piece->hv, piece->shard, old->flags, 0,
                            (uint32_t)vlen, &fresh);
        if (st != STORE_OK) {
            item_put(s, old);
            break;
        }
        const struct item *first = prepend ? piece : old;
        const struct item *second = prepend ? old : piece;
        memcpy(item_data(fresh), item_value(first), first->vlen);
        memcpy(item_data(fresh) + first->vlen, item_value(second), second->vlen);
        uint64_t cas = 0;
        bool swapped = swap_if_same(s, sh, old, fresh, &cas);
        item_put(s, old);
        if (swapped) {
            if (cas_out != NULL)
                *cas_out = cas;
            st = STORE_OK;
            break;
        }
        item_put(s, fresh);
        st = STORE_EXISTS;
    }
    item_put(s, piece);
    return st;
}

enum store_status store_commit(struct store *s, struct item **itp, enum store_mode mode,
                               uint64_t cas, uint64_t *cas_out)
{
    if (s == NULL || itp == NULL || *itp == NULL)
        return STORE_EINVAL;
    struct item *it = *itp;
    *itp = NULL;
    assert((it->state & ITEM_LINKED) == 0);
    item_seal(it); /* the caller may have written anything over the terminator */
    if (mode == STORE_APPEND || mode == STORE_PREPEND)
        return commit_concat(s, it, mode == STORE_PREPEND, cas_out);

    struct shard *sh = &s->shards[it->shard];
    struct item *dead = NULL;
    enum store_status st = STORE_OK;
    uint32_t now = clock_now();

    pthread_mutex_lock(&sh->lock);
    uint32_t gen = flush_gen(s, now);
    struct item *old = find_live_locked(sh, it->data, it->nkey, it->hv, now, gen, &dead);
    switch (mode) {
    case STORE_SET:
        break;
    case STORE_ADD:
        if (old != NULL) {
            shard_bump_locked(sh, old); /* memcached: a failed add promotes the item */
            st = STORE_NOT_STORED;
        }
        break;
    case STORE_REPLACE:
        if (old == NULL)
            st = STORE_NOT_STORED;
        break;
    case STORE_CAS:
        /* memcached: cas 0 never matches, and with -C items carry cas 0, so
         * every cas command on an existing key answers EXISTS. */
        if (old == NULL)
            st = STORE_NOT_FOUND;
        else if (cas == 0 || old->cas != cas)
            st = STORE_EXISTS;
        break;
    default:
        st = STORE_EINVAL;
        break;
    }
    if (st == STORE_OK) {
        link_new_locked(s, sh, old, it, now, gen);
        if (cas_out != NULL)
            *cas_out = it->cas;
    }
    pthread_mutex_unlock(&sh->lock);
    put_batch(s, dead);
    if (st == STORE_OK && old != NULL)
        item_put(s, old);
    if (st != STORE_OK)
        item_put(s, it);
    return st;
}

enum store_status store_delete(struct store *s, const char *key, size_t nkey, uint64_t cas)
{
    if (s == NULL || !key_ok(key, nkey))
        return STORE_EINVAL;
    uint64_t h = hash_key(key, nkey);
    struct shard *sh = &s->shards[shard_of_hash(h)];
    struct item *dead = NULL;
    enum store_status st = STORE_OK;
    uint32_t now = clock_now();

    pthread_mutex_lock(&sh->lock);
    struct item *it = find_live_locked(sh, key, nkey, (uint32_t)h, now, flush_gen(s, now), &dead);
    if (it == NULL) {
        st = STORE_NOT_FOUND;
    } else if (cas != 0 && it->cas != cas) {
        st = STORE_EXISTS;
    } else {
        shard_unlink_locked(sh, it);
        hook_call(s, STORE_EV_UNLINK, key, nkey, NULL, 0);
        it->h_next = dead;
        dead = it;
    }
    pthread_mutex_unlock(&sh->lock);
    put_batch(s, dead);
    return st;
}

enum store_status store_delta(struct store *s, const char *key, size_t nkey, bool incr,
                              uint64_t delta, uint64_t *value_out, uint64_t *cas_out)
{
    if (s == NULL || !key_ok(key, nkey))
        return STORE_EINVAL;
    uint64_t h = hash_key(key, nkey);
    unsigned idx = shard_of_hash(h);
    struct shard *sh = &s->shards[idx];

    for (int attempt = 0; attempt < UPDATE_RETRIES; attempt++) {
        struct item *old = lookup_ref(s, sh, key, nkey, (uint32_t)h);
        if (old == NULL)
            return STORE_NOT_FOUND;
        uint64_t v;
        if (!item_value_u64(old, &v)) {
            item_put(s, old);
            return STORE_NON_NUMERIC;
        }
        if (incr)
            v += delta; /* wraps mod 2^64 */
        else
            v = delta > v ? 0 : v - delta;
        char buf[24];
        size_t len = (size_t)snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
        /* memcached rewrites a shorter number in place, padded with spaces to
         * the old length ("10" decr 1 reads back "9 "); a longer one grows. */
        uint32_t vlen = len > old->vlen ? (uint32_t)len : old->vlen;
        struct item *fresh = NULL;
        enum store_status st =
            alloc_item(s, key, nkey, (uint32_t)h, idx, old->flags, 0, vlen, &fresh);
        if (st != STORE_OK) {
            item_put(s, old);
            return st;
        }
        memcpy(item_data(fresh), buf, len);
        memset(item_data(fresh) + len, ' ', vlen - len);
        uint64_t cas = 0;
        bool swapped = swap_if_same(s, sh, old, fresh, &cas);
        item_put(s, old);
        if (swapped) {
            if (value_out != NULL)
                *value_out = v;
            if (cas_out != NULL)
                *cas_out = cas;
            return STORE_OK;
        }
        item_put(s, fresh);
    }
    return STORE_EXISTS; /* the key kept changing under us (see report/store.h) */
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
    put_batch(s, batch);
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
            item_put(s, arr[j]);
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
