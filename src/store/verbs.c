/*
 * verbs.c: the key verbs of store.h (get, touch, reserve, commit, delete,
 * incr/decr) and their meta-protocol variants (vivify, invalidate, stale
 * sets, win tokens, md x). Each operation has one code path: the classic
 * verb is its _ex variant with every option off. Follows the lock rules at
 * the top of store.c; knows nothing of protocols.
 */
#include "store/store.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/hash.h"
#include "store/item.h"
#include "store/shard.h"
#include "store/store_core.h"

#define UPDATE_RETRIES 100 /* optimistic rounds of append/prepend/incr/decr */

/* ---- shared by reads and writes ---- */

static const struct store_get_opts get_opts_none;
static const struct store_commit_opts commit_opts_none;
static const struct store_delete_opts delete_opts_none;
static const struct store_delta_opts delta_opts_none;

/* The cas a new or invalidated item gets: `want` (meta E) if not 0, else a
 * fresh one; always 0 with -C. */
static uint64_t cas_for_locked(struct store *s, struct shard *sh, uint64_t want)
{
    if (!s->cfg.use_cas)
        return 0;
    return want != 0 ? want : shard_next_cas_locked(sh);
}

/* Under the lock: replace old (may be NULL) by fresh, stamping fresh's
 * generation, cas (see cas_for_locked) and access time, and report the link. */
static void link_new_locked(struct store *s, struct shard *sh, struct item *old,
                            struct item *fresh, uint32_t now, uint32_t gen, uint64_t cas)
{
    fresh->gen = gen;
    fresh->cas = cas_for_locked(s, sh, cas);
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

/* Link an item allocated before locking, only if its key has no live item
 * (ADD semantics: vivify never overwrites what another client linked in
 * between). STORE_OK, the caller's reference having become the link's and
 * *cas_out (if not NULL) the item's cas, read under the lock since the item
 * may be evicted as soon as it is unlocked; else STORE_NOT_STORED. */
static enum store_status link_if_absent(struct store *s, struct item *it, uint64_t cas,
                                        uint64_t *cas_out)
{
    struct shard *sh = &s->shards[it->shard];
    struct item *dead = NULL;
    enum store_status st = STORE_NOT_STORED;
    uint32_t now = clock_now();

    pthread_mutex_lock(&sh->lock);
    uint32_t gen = flush_gen(s, now);
    if (find_live_locked(sh, it->data, it->nkey, it->hv, now, gen, &dead) == NULL) {
        link_new_locked(s, sh, NULL, it, now, gen, cas);
        if (cas_out != NULL)
            *cas_out = it->cas;
        st = STORE_OK;
    }
    pthread_mutex_unlock(&sh->lock);
    core_put_batch(s, dead);
    return st;
}

/* ---- reads ---- */

/* A lookup found `it` (or just vivified it: created) under the lock. Report
 * its state as it was before this access (memcached's h and l show the item
 * before the command), then apply the options.
 *
 * The win token goes only to a caller that passed info, since no one else
 * could learn it won: the classic get never takes it (memcached's get and
 * gets do not look at it). A vivified item is the exception: its creator
 * holds the token whatever it asked, so that later lookups see won. */
static void get_hit_locked(struct store *s, struct shard *sh, struct item *it,
                           const struct store_get_opts *o, struct store_get_info *info,
                           uint32_t now, bool created)
{
    uint8_t st = it->state;
    if (info != NULL) {
        uint32_t atime = item_atime_load(it);
        info->hit_before = (st & ITEM_FETCHED) != 0;
        info->last_access = now > atime ? now - atime : 0;
        info->stale = (st & ITEM_STALE) != 0;
        info->won = (st & ITEM_WIN_SENT) != 0;
        info->vivified = created;
    }
    if (o->peek)
        return;
    if (o->touch) {
        item_exptime_store(it, o->new_exptime);
        hook_call(s, STORE_EV_TOUCH, it->data, it->nkey, it, o->new_exptime);
    }
    if ((st & ITEM_WIN_SENT) == 0 && (info != NULL || created)) {
        /* memcached's mg: the item it vivified (N), a stale item, or one
         * expiring within R seconds hands out the token once; every later
         * mg sees Z instead until the item is replaced. */
        uint32_t e = item_exptime_load(it);
        bool recache = o->recache && e != 0 && (uint64_t)e < (uint64_t)now + o->recache_secs;
        if (created || (st & ITEM_STALE) || recache) {
            it->state |= ITEM_WIN_SENT;
            if (info != NULL)
                info->win = true;
        }
    }
    if (!o->no_bump) {
        it->state |= ITEM_FETCHED;
        item_atime_store(it, now);
        shard_bump_locked(sh, it);
    }
}

/* find_live_locked for lookups: also counts the miss as memcached does. */
static struct item *find_for_get_locked(struct shard *sh, const char *key, size_t nkey,
                                        uint32_t hv, uint32_t now, uint32_t gen,
                                        struct item **dead)
{
    struct item *it = shard_find_locked(sh, key, nkey, hv);
    if (it == NULL || !item_dead(it, now, gen))
        return it;
    if (it->gen != gen)
        sh->get_flushed++;
    else
        sh->get_expired++;
    shard_unlink_locked(sh, it); /* lazy expiry: memcached does not count it reclaimed */
    it->h_next = *dead;
    *dead = it;
    return NULL;
}

struct item *store_get_ex(struct store *s, const char *key, size_t nkey,
                          const struct store_get_opts *opts, struct store_get_info *info)
{
    const struct store_get_opts *o = opts != NULL ? opts : &get_opts_none;
    struct item *fresh = NULL; /* vivify: allocated unlocked, linked only on a miss */
    struct item *it = NULL;

    if (info != NULL)
        memset(info, 0, sizeof(*info));
    if (s == NULL || !key_ok(key, nkey))
        return NULL;
    uint64_t h = hash_key(key, nkey);
    unsigned idx = shard_of_hash(h);
    struct shard *sh = &s->shards[idx];

    /* At most two rounds: a miss with vivify allocates outside the lock (it
     * may evict), then looks again and links only if the key is still free. */
    for (;;) {
        struct item *dead = NULL;
        bool created = false;
        uint32_t now = clock_now();

        pthread_mutex_lock(&sh->lock);
        uint32_t gen = flush_gen(s, now);
        it = find_for_get_locked(sh, key, nkey, (uint32_t)h, now, gen, &dead);
        if (it == NULL && fresh != NULL) {
            link_new_locked(s, sh, NULL, fresh, now, gen, o->new_cas);
            it = fresh;
            fresh = NULL;
            created = true;
        }
        if (it != NULL) {
            get_hit_locked(s, sh, it, o, info, now, created);
            item_ref(it);
        }
        pthread_mutex_unlock(&sh->lock);
        core_put_batch(s, dead);
        if (it != NULL || fresh != NULL || !o->vivify || o->peek)
            break;
        /* memcached's vivified item: empty, flags 0, the N exptime */
        if (core_alloc_item(s, key, nkey, (uint32_t)h, idx, 0, o->vivify_exptime, 0, &fresh) !=
            STORE_OK)
            break; /* no room: an ordinary miss */
    }
    if (fresh != NULL)
        core_item_put(s, fresh); /* another client linked the key in between */
    return it;
}

struct item *store_get(struct store *s, const char *key, size_t nkey, bool touch,
                       uint32_t new_exptime)
{
    struct store_get_opts o = {.touch = touch, .new_exptime = new_exptime};
    return store_get_ex(s, key, nkey, &o, NULL);
}

void store_release(struct store *s, struct item **it)
{
    if (s == NULL || it == NULL || *it == NULL)
        return;
    core_item_put(s, *it);
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
    return core_alloc_item(s, key, nkey, (uint32_t)h, shard_of_hash(h), flags, exptime, vlen, out);
}

void store_abort(struct store *s, struct item **it)
{
    store_release(s, it);
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
    core_put_batch(s, dead);
    return it;
}

/* How swap_if_same installs a rebuilt item in place of the old one. */
struct swap_opts {
    uint64_t expect_cas; /* not 0: only if old still carries this cas */
    uint64_t new_cas;    /* not 0: fresh's cas (meta E) */
    bool touch;          /* fresh's exptime is new_exptime rather than old's */
    uint32_t new_exptime;
    bool keep_state;     /* fresh keeps old's fetched/stale/win bits */
};

enum swap_result { SWAP_DONE, SWAP_RETRY, SWAP_CAS_MISMATCH };

/* Relock and swap old for fresh if the key still maps to old, which must be
 * live. On SWAP_DONE the link reference of old has been dropped (the
 * caller's remains) and *cas, *exptime hold fresh's: once unlocked, fresh
 * may be evicted at any time. SWAP_RETRY: the key changed meanwhile. */
static enum swap_result swap_if_same(struct store *s, struct shard *sh, struct item *old,
                                     struct item *fresh, const struct swap_opts *o,
                                     uint64_t *cas, uint32_t *exptime)
{
    uint32_t now = clock_now();
    enum swap_result r = SWAP_RETRY;

    pthread_mutex_lock(&sh->lock);
    uint32_t gen = flush_gen(s, now);
    if ((old->state & ITEM_LINKED) && !item_dead(old, now, gen)) {
        if (o->expect_cas != 0 && item_cas_load(old) != o->expect_cas) {
            r = SWAP_CAS_MISMATCH;
        } else {
            item_exptime_store(fresh, o->touch ? o->new_exptime : item_exptime_load(old));
            if (o->keep_state)
                fresh->state |= old->state & ITEM_META_BITS;
            link_new_locked(s, sh, old, fresh, now, gen, o->new_cas);
            *cas = fresh->cas;
            *exptime = item_exptime_load(fresh);
            r = SWAP_DONE;
        }
    }
    pthread_mutex_unlock(&sh->lock);
    if (r == SWAP_DONE)
        core_item_put(s, old); /* the link reference */
    return r;
}

/* append/prepend: build a new item old+piece (or piece+old) outside the
 * lock. memcached checks a non-zero cas here too, and a new item starts
 * with fresh state (not stale, no token), as memcached's copy does. */
static enum store_status commit_concat(struct store *s, struct item *piece, bool prepend,
                                       uint64_t cas, const struct store_commit_opts *o,
                                       uint64_t *cas_out)
{
    struct shard *sh = &s->shards[piece->shard];
    const char *key = piece->data;
    enum store_status st = STORE_EXISTS; /* the key kept changing under us */

    for (int attempt = 0; attempt < UPDATE_RETRIES; attempt++) {
        struct item *old = lookup_ref(s, sh, key, piece->nkey, piece->hv);
        if (old == NULL) {
            st = STORE_NOT_STORED;
            if (!o->vivify)
                break;
            /* ms N: the piece itself becomes the item (memcached's APPENDVIV) */
            item_exptime_store(piece, o->vivify_exptime);
            if (link_if_absent(s, piece, o->new_cas, cas_out) == STORE_OK)
                return STORE_OK; /* the reservation is now the link */
            continue;            /* created in between: add to that one */
        }
        if (cas != 0 && item_cas_load(old) != cas) {
            core_item_put(s, old);
            st = STORE_EXISTS;
            break;
        }
        size_t vlen = (size_t)old->vlen + piece->vlen;
        struct item *fresh = NULL;
        if (!store_item_fits(s, piece->nkey, vlen))
            st = STORE_TOO_LARGE;
        else
            st = core_alloc_item(s, key, piece->nkey, piece->hv, piece->shard, old->flags, 0,
                            (uint32_t)vlen, &fresh);
        if (st != STORE_OK) {
            core_item_put(s, old);
            break;
        }
        const struct item *first = prepend ? piece : old;
        const struct item *second = prepend ? old : piece;
        memcpy(item_data(fresh), item_value(first), first->vlen);
        memcpy(item_data(fresh) + first->vlen, item_value(second), second->vlen);
        struct swap_opts so = {.expect_cas = cas, .new_cas = o->new_cas};
        uint64_t new_cas = 0;
        uint32_t exptime = 0;
        enum swap_result r = swap_if_same(s, sh, old, fresh, &so, &new_cas, &exptime);
        core_item_put(s, old);
        if (r == SWAP_DONE) {
            if (cas_out != NULL)
                *cas_out = new_cas;
            st = STORE_OK;
            break;
        }
        core_item_put(s, fresh);
        st = STORE_EXISTS;
        if (r == SWAP_CAS_MISMATCH)
            break;
    }
    core_item_put(s, piece);
    return st;
}

/* Under the lock: may `it` replace old (NULL if none) according to mode?
 * Prepares `it` for a stale store (ms I). OK or the refusal. */
static enum store_status commit_check_locked(struct shard *sh, struct item *old,
                                             struct item *it, enum store_mode mode,
                                             uint64_t cas, const struct store_commit_opts *o)
{
    switch (mode) {
    case STORE_SET:
        return STORE_OK;
    case STORE_ADD:
        if (old == NULL)
            return STORE_OK;
        shard_bump_locked(sh, old); /* memcached: a failed add promotes the item */
        return STORE_NOT_STORED;
    case STORE_REPLACE:
        return old != NULL ? STORE_OK : STORE_NOT_STORED;
    case STORE_CAS:
        /* memcached: cas 0 never matches, and with -C items carry cas 0, so
         * every cas command on an existing key answers EXISTS. */
        if (old == NULL)
            return STORE_NOT_FOUND;
        if (cas != 0 && item_cas_load(old) == cas)
            return STORE_OK;
        if (o->invalidate && cas != 0 && cas < item_cas_load(old)) {
            /* ms I with an older cas: memcached stores the value anyway,
             * marked stale, keeping the old item's exptime and win token
             * (do_store_item's CAS_STALE). */
            item_exptime_store(it, item_exptime_load(old));
            it->state |= ITEM_STALE | (old->state & ITEM_WIN_SENT);
            return STORE_OK;
        }
        return STORE_EXISTS;
    default:
        return STORE_EINVAL;
    }
}

enum store_status store_commit_ex(struct store *s, struct item **itp, enum store_mode mode,
                                  uint64_t cas, const struct store_commit_opts *opts,
                                  uint64_t *cas_out)
{
    const struct store_commit_opts *o = opts != NULL ? opts : &commit_opts_none;
    if (s == NULL || itp == NULL || *itp == NULL)
        return STORE_EINVAL;
    struct item *it = *itp;
    *itp = NULL;
    assert((it->state & ITEM_LINKED) == 0);
    item_seal(it); /* the caller may have written anything over the terminator */
    if (mode == STORE_APPEND || mode == STORE_PREPEND)
        return commit_concat(s, it, mode == STORE_PREPEND, cas, o, cas_out);

    struct shard *sh = &s->shards[it->shard];
    struct item *dead = NULL;
    uint32_t now = clock_now();

    pthread_mutex_lock(&sh->lock);
    uint32_t gen = flush_gen(s, now);
    struct item *old = find_live_locked(sh, it->data, it->nkey, it->hv, now, gen, &dead);
    enum store_status st = commit_check_locked(sh, old, it, mode, cas, o);
    if (st == STORE_OK) {
        link_new_locked(s, sh, old, it, now, gen, o->new_cas);
        if (cas_out != NULL)
            *cas_out = it->cas;
    }
    pthread_mutex_unlock(&sh->lock);
    core_put_batch(s, dead);
    if (st == STORE_OK && old != NULL)
        core_item_put(s, old);
    if (st != STORE_OK)
        core_item_put(s, it);
    return st;
}

enum store_status store_commit(struct store *s, struct item **itp, enum store_mode mode,
                               uint64_t cas, uint64_t *cas_out)
{
    return store_commit_ex(s, itp, mode, cas, NULL, cas_out);
}

/* md I without x: mark the item stale in place, drop its win token so the
 * next meta get wins, give it a new cas (memcached's mdelete). Reported as
 * a LINK of the same item: the log must carry the new cas and exptime. */
static void invalidate_locked(struct store *s, struct shard *sh, struct item *it,
                              const struct store_delete_opts *o)
{
    if (o->touch)
        item_exptime_store(it, o->new_exptime);
    it->state = (uint8_t)((it->state | ITEM_STALE) & ~ITEM_WIN_SENT);
    item_cas_store(it, cas_for_locked(s, sh, o->new_cas));
    hook_call(s, STORE_EV_LINK, it->data, it->nkey, it, item_exptime_load(it));
}

/* md x: link the empty item `fresh` in place of old. memcached's emptied
 * item takes md's flags (F) and exptime (T; without T it never expires) and
 * keeps old's cas unless E gives one; with I it is then invalidated, which
 * gives it a new cas. */
static void clear_value_locked(struct store *s, struct shard *sh, struct item *old,
                               struct item *fresh, const struct store_delete_opts *o,
                               uint32_t now, uint32_t gen)
{
    uint64_t cas = o->new_cas != 0 ? o->new_cas : item_cas_load(old);
    item_exptime_store(fresh, o->touch ? o->new_exptime : 0);
    if (o->invalidate) {
        fresh->state |= ITEM_STALE; /* a new item: no win token to drop */
        cas = o->new_cas;
    }
    link_new_locked(s, sh, old, fresh, now, gen, cas);
}

enum store_status store_delete_ex(struct store *s, const char *key, size_t nkey,
                                  const struct store_delete_opts *opts)
{
    const struct store_delete_opts *o = opts != NULL ? opts : &delete_opts_none;
    if (s == NULL || !key_ok(key, nkey))
        return STORE_EINVAL;
    uint64_t h = hash_key(key, nkey);
    unsigned idx = shard_of_hash(h);
    struct shard *sh = &s->shards[idx];
    struct item *dead = NULL;
    struct item *fresh = NULL;
    enum store_status st = STORE_OK;

    if (o->clear_value) {
        /* allocated before locking, as it may evict */
        st = core_alloc_item(s, key, nkey, (uint32_t)h, idx, o->new_flags, 0, 0, &fresh);
        if (st != STORE_OK)
            return st;
    }
    uint32_t now = clock_now();
    pthread_mutex_lock(&sh->lock);
    uint32_t gen = flush_gen(s, now);
    struct item *it = find_live_locked(sh, key, nkey, (uint32_t)h, now, gen, &dead);
    if (it == NULL) {
        st = STORE_NOT_FOUND;
    } else if (o->cas != 0 && item_cas_load(it) != o->cas) {
        st = STORE_EXISTS;
    } else if (fresh != NULL) {
        clear_value_locked(s, sh, it, fresh, o, now, gen);
        fresh = NULL;
        it->h_next = dead; /* the old link reference */
        dead = it;
    } else if (o->invalidate) {
        invalidate_locked(s, sh, it, o);
    } else {
        shard_unlink_locked(sh, it);
        hook_call(s, STORE_EV_UNLINK, key, nkey, NULL, 0);
        it->h_next = dead;
        dead = it;
    }
    pthread_mutex_unlock(&sh->lock);
    core_put_batch(s, dead);
    if (fresh != NULL)
        core_item_put(s, fresh);
    return st;
}

enum store_status store_delete(struct store *s, const char *key, size_t nkey, uint64_t cas)
{
    struct store_delete_opts o = {.cas = cas};
    return store_delete_ex(s, key, nkey, &o);
}

/* incr/decr on a miss with vivify: create the counter with the initial
 * value, no delta applied (memcached's ma N J, binary incr's initial). Its
 * exptime is the vivify one, or the touch one if both are given (memcached
 * applies N then T). NOT_STORED if the key was linked in between. */
static enum store_status delta_vivify(struct store *s, const char *key, size_t nkey,
                                      uint64_t h, const struct store_delta_opts *o,
                                      struct store_delta_result *out)
{
    char buf[24];
    size_t len = (size_t)snprintf(buf, sizeof(buf), "%llu", (unsigned long long)o->initial);
    uint32_t exptime = o->touch ? o->new_exptime : o->vivify_exptime;
    struct item *fresh = NULL;
    enum store_status st = core_alloc_item(s, key, nkey, (uint32_t)h, shard_of_hash(h), 0, exptime,
                                      (uint32_t)len, &fresh);
    if (st != STORE_OK)
        return st;
    memcpy(item_data(fresh), buf, len);
    uint64_t cas = 0;
    if (link_if_absent(s, fresh, o->new_cas, &cas) != STORE_OK) {
        core_item_put(s, fresh);
        return STORE_NOT_STORED;
    }
    if (out != NULL)
        *out = (struct store_delta_result){.value = o->initial, .cas = cas, .exptime = exptime,
                                           .created = true};
    return STORE_OK;
}

enum store_status store_delta_ex(struct store *s, const char *key, size_t nkey, bool incr,
                                 uint64_t delta, const struct store_delta_opts *opts,
                                 struct store_delta_result *out)
{
    const struct store_delta_opts *o = opts != NULL ? opts : &delta_opts_none;
    if (s == NULL || !key_ok(key, nkey))
        return STORE_EINVAL;
    uint64_t h = hash_key(key, nkey);
    unsigned idx = shard_of_hash(h);
    struct shard *sh = &s->shards[idx];

    for (int attempt = 0; attempt < UPDATE_RETRIES; attempt++) {
        struct item *old = lookup_ref(s, sh, key, nkey, (uint32_t)h);
        if (old == NULL) {
            if (!o->vivify)
                return STORE_NOT_FOUND;
            enum store_status st =
                delta_vivify(s, key, nkey, h, o, out);
            if (st != STORE_NOT_STORED)
                return st;
            continue; /* created in between: apply the delta to that one */
        }
        uint64_t v;
        if (o->cas != 0 && item_cas_load(old) != o->cas) {
            core_item_put(s, old);
            return STORE_EXISTS;
        }
        if (!item_value_u64(old, &v)) {
            core_item_put(s, old);
            return STORE_NON_NUMERIC;
        }
        if (incr)
            v += delta; /* wraps mod 2^64 */
        else
            v = delta > v ? 0 : v - delta;
        char buf[24];
        size_t len = (size_t)snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
        /* memcached rewrites a shorter number in place, padded with spaces to
         * the old length ("10" decr 1 reads back "9 "), so the item keeps its
         * fetched/stale/win state; a longer one is a new item, fresh state. */
        bool in_place = len <= old->vlen;
        uint32_t vlen = in_place ? old->vlen : (uint32_t)len;
        struct item *fresh = NULL;
        enum store_status st =
            core_alloc_item(s, key, nkey, (uint32_t)h, idx, old->flags, 0, vlen, &fresh);
        if (st != STORE_OK) {
            core_item_put(s, old);
            return st;
        }
        memcpy(item_data(fresh), buf, len);
        memset(item_data(fresh) + len, ' ', vlen - len);
        struct swap_opts so = {.expect_cas = o->cas, .new_cas = o->new_cas, .touch = o->touch,
                               .new_exptime = o->new_exptime, .keep_state = in_place};
        uint64_t cas = 0;
        uint32_t exptime = 0;
        enum swap_result r = swap_if_same(s, sh, old, fresh, &so, &cas, &exptime);
        core_item_put(s, old);
        if (r == SWAP_DONE) {
            if (out != NULL)
                *out = (struct store_delta_result){.value = v, .cas = cas, .exptime = exptime};
            return STORE_OK;
        }
        core_item_put(s, fresh);
        if (r == SWAP_CAS_MISMATCH)
            return STORE_EXISTS;
    }
    return STORE_EXISTS; /* the key kept changing under us (see report/store.h) */
}

enum store_status store_delta(struct store *s, const char *key, size_t nkey, bool incr,
                              uint64_t delta, uint64_t *value_out, uint64_t *cas_out)
{
    struct store_delta_result r;
    enum store_status st = store_delta_ex(s, key, nkey, incr, delta, NULL, &r);
    if (st == STORE_OK) {
        if (value_out != NULL)
            *value_out = r.value;
        if (cas_out != NULL)
            *cas_out = r.cas;
    }
    return st;
}
