/*
 * verbs.c: the key verbs of store.h (get, touch, reserve, commit, delete,
 * incr/decr) and their meta-protocol variants (vivify, invalidate, stale
 * sets, win tokens, md x). Each operation has one code path and one
 * name: the classic verb is the call with every option off (opts NULL).
 * Follows the lock rules at the top of store.c; knows nothing of protocols.
 *
 * Items are immutable apart from exptime, atime and state bits: every
 * change of value or cas (set, append, incr, md I, md x) writes a new item,
 * allocated before the shard lock is taken, and swaps it in under the lock.
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

#define UPDATE_RETRIES 100 /* optimistic rounds of append/prepend/incr/decr/md I */

static const struct store_get_opts get_opts_none;
static const struct store_commit_opts commit_opts_none;
static const struct store_delete_opts delete_opts_none;
static const struct store_delta_opts delta_opts_none;

/* ---- shared by reads and writes ---- */

/* Under the lock: replace old (may be NULL) by fresh, giving fresh the cas
 * `want` (if not 0, in its explicit slot, which it then must have) and the
 * access time now, and report the link. An item with a slot but no wanted
 * cas stores its derived one there. */
static void link_new_locked(struct store *s, struct shard *sh, struct item *old,
                            struct item *fresh, uint32_t hv, uint32_t now, uint64_t want)
{
    if (item_state(fresh) & ITEM_HAS_CAS) {
        if (want != 0)
            core_note_cas(s, want); /* E: store_cas_high() covers it */
        item_cas_slot_store(fresh, want != 0 ? want : core_cas_derived(s, fresh));
    }
    item_atime_store(fresh, now);
    if (old != NULL) {
        /* A new version of an item that proved itself (read since written, or
         * already promoted to the main queue) inherits that: it is promoted
         * when it leaves the small queue instead of being evicted unread. */
        if ((item_state(old) & ITEM_ACCESSED) || core_in_main_queue(s, old))
            item_state_set(fresh, ITEM_ACCESSED);
        core_unlink_locked(s, sh, old, hv);
    }
    core_link_locked(s, sh, fresh, hv);
    hook_call(s, STORE_EV_LINK, item_key(fresh), fresh->nkey, fresh, item_exptime_load(fresh));
}

/* Find the key's live item under the lock; a dead one found is unlinked. */
static struct item *find_live_locked(struct store *s, struct shard *sh, const char *key,
                                     size_t nkey, uint32_t hv, uint32_t now, uint32_t gen)
{
    struct item *it = shard_find_locked(sh, core_shard_arena(s, sh), key, nkey, hv);
    if (it != NULL && item_dead(s, it, now, gen)) {
        core_unlink_locked(s, sh, it, hv);
        return NULL;
    }
    return it;
}

/* Link an item allocated before locking, only if its key has no live item
 * (ADD semantics: vivify never overwrites what another client linked in
 * between). STORE_OK, with *cas_out (if not NULL) the item's cas, read
 * under the lock; else STORE_NOT_STORED (the reservation stays the caller's).
 * On OK the reservation's reference is dropped. */
static enum store_status link_if_absent(struct store *s, struct item *it, uint64_t cas,
                                        uint64_t *cas_out)
{
    uint64_t h = hash_key(item_key(it), it->nkey);
    struct shard *sh = &s->shards[shard_of_hash(h)];
    enum store_status st = STORE_NOT_STORED;
    uint32_t now = clock_now();

    pthread_mutex_lock(&sh->lock);
    uint32_t gen = flush_gen(s, now);
    if (find_live_locked(s, sh, item_key(it), it->nkey, (uint32_t)h, now, gen) == NULL) {
        link_new_locked(s, sh, NULL, it, (uint32_t)h, now, cas);
        if (cas_out != NULL)
            *cas_out = core_cas(s, it);
        st = STORE_OK;
    }
    pthread_mutex_unlock(&sh->lock);
    if (st == STORE_OK)
        core_unref(s, it);
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
static void get_hit_locked(struct store *s, struct item *it, const struct store_get_opts *o,
                           struct store_get_info *info, uint32_t now, bool created)
{
    uint8_t st = item_state(it);
    uint32_t e_before = item_exptime_load(it);
    if (info != NULL) {
        info->exptime_before = e_before;
        uint32_t atime = item_atime_load(it);
        info->hit_before = (st & ITEM_FETCHED) != 0;
        info->last_access = now > atime ? now - atime : 0;
        info->stale = (st & ITEM_STALE) != 0;
        info->won = (st & ITEM_WIN_SENT) != 0;
        info->vivified = created;
    }
    if (o->peek)
        return;
    if (o->touch && !(created && o->vivify_last)) {
        item_exptime_store(it, o->new_exptime);
        hook_call(s, STORE_EV_TOUCH, item_key(it), it->nkey, it, o->new_exptime);
    }
    if ((st & ITEM_WIN_SENT) == 0 && (info != NULL || created)) {
        /* memcached's mg: the item it vivified (N), a stale item, or one
         * expiring within R seconds hands out the token once; every later
         * mg sees Z instead until the item is replaced. */
        uint32_t e = o->recache_first ? e_before : item_exptime_load(it);
        bool recache = o->recache && e != 0 && (uint64_t)e < (uint64_t)now + o->recache_secs;
        if (created || (st & ITEM_STALE) || recache) {
            item_state_set(it, ITEM_WIN_SENT);
            if (info != NULL)
                info->win = true;
            /* The token is state others act on (they see Z): the log must
             * keep it, or a restart hands it out twice (and a vivified
             * placeholder would read as a plain empty hit). Rare: once per
             * item version. */
            hook_call(s, STORE_EV_LINK, item_key(it), it->nkey, it, item_exptime_load(it));
        }
    }
    if (!o->no_bump) {
        item_state_set(it, ITEM_FETCHED | ITEM_ACCESSED);
        item_atime_store(it, now);
    }
}

/* find_live_locked for lookups: also counts the miss as memcached does. */
static struct item *find_for_get_locked(struct store *s, struct shard *sh, const char *key,
                                        size_t nkey, uint32_t hv, uint32_t now, uint32_t gen)
{
    struct item *it = shard_find_locked(sh, core_shard_arena(s, sh), key, nkey, hv);
    if (it == NULL || !item_dead(s, it, now, gen))
        return it;
    uint32_t e = item_exptime_load(it);
    if (e != 0 && e <= now)
        sh->get_expired++;
    else
        sh->get_flushed++;
    core_unlink_locked(s, sh, it, hv); /* lazy expiry: memcached does not count it reclaimed */
    return NULL;
}

struct item *store_get(struct store *s, const char *key, size_t nkey,
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
    struct shard *sh = &s->shards[shard_of_hash(h)];

    /* At most two rounds: a miss with vivify allocates outside the lock (it
     * may evict), then looks again and links only if the key is still free. */
    for (;;) {
        bool created = false;
        uint32_t now = clock_now();

        pthread_mutex_lock(&sh->lock);
        uint32_t gen = flush_gen(s, now);
        it = find_for_get_locked(s, sh, key, nkey, (uint32_t)h, now, gen);
        if (it == NULL && fresh != NULL) {
            link_new_locked(s, sh, NULL, fresh, (uint32_t)h, now, o->new_cas);
            it = fresh; /* the reservation's reference becomes the caller's */
            fresh = NULL;
            created = true;
        } else if (it != NULL) {
            seg_ref(core_arena_of(s, it), it);
        }
        if (it != NULL) {
            get_hit_locked(s, it, o, info, now, created);
            if (!created && !o->peek)
                core_count_hit(s, sh, it);
        }
        pthread_mutex_unlock(&sh->lock);
        if (it == NULL && fresh == NULL && !o->peek)
            core_ghost_miss(s, h); /* once per miss: not again after a vivify round */
        if (it != NULL || fresh != NULL || !o->vivify || o->peek)
            break;
        /* memcached's vivified item: empty, flags 0, the N exptime */
        if (core_alloc_item(s, key, nkey, 0, o->vivify_exptime, 0, o->new_cas != 0, &fresh) !=
            STORE_OK)
            break; /* no room: an ordinary miss */
    }
    if (fresh != NULL)
        core_discard(s, fresh); /* another client linked the key in between */
    return it;
}

uint64_t store_prefetch_bucket(const struct store *s, const char *key, size_t nkey)
{
    uint64_t h = hash_key(key, nkey);
    shard_prefetch_bucket(&s->shards[shard_of_hash(h)], (uint32_t)h);
    return h;
}

void store_prefetch_item(const struct store *s, uint64_t hash)
{
    shard_prefetch_item(&s->shards[shard_of_hash(hash)], core_hash_arena(s, hash),
                        (uint32_t)hash);
}

void store_release(struct store *s, struct item **it)
{
    if (s == NULL || it == NULL || *it == NULL)
        return;
    core_unref(s, *it);
    *it = NULL;
}

enum store_status store_touch(struct store *s, const char *key, size_t nkey,
                              uint32_t new_exptime)
{
    struct store_get_opts o = {.touch = true, .new_exptime = new_exptime};
    struct item *it = store_get(s, key, nkey, &o, NULL);
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
    return core_alloc_item(s, key, nkey, flags, exptime, vlen, false, out);
}

void store_abort(struct store *s, struct item **it)
{
    if (s == NULL || it == NULL || *it == NULL)
        return;
    core_discard(s, *it);
    *it = NULL;
}

/* Look up the live item under key and take a reference (NULL if none). */
static struct item *lookup_ref(struct store *s, struct shard *sh, const char *key, size_t nkey,
                               uint32_t hv)
{
    uint32_t now = clock_now();

    pthread_mutex_lock(&sh->lock);
    struct item *it = find_live_locked(s, sh, key, nkey, hv, now, flush_gen(s, now));
    if (it != NULL)
        seg_ref(core_arena_of(s, it), it);
    pthread_mutex_unlock(&sh->lock);
    return it;
}

/* A copy of it, with an explicit cas slot if with_cas, for the caller to
 * change and swap in. OK or ENOMEM. */
static enum store_status copy_item(struct store *s, const struct item *it, uint32_t flags,
                                   bool with_cas, struct item **out)
{
    uint32_t vlen = item_vlen(it);
    enum store_status st =
        core_alloc_item(s, item_key(it), it->nkey, flags, 0, vlen, with_cas, out);
    if (st == STORE_OK)
        memcpy(item_data(*out), item_value(it), vlen);
    return st;
}

/* How swap_if_same installs a rebuilt item in place of the old one. */
struct swap_opts {
    uint64_t expect_cas; /* not 0: only if old still carries this cas */
    uint64_t new_cas;    /* not 0: fresh's cas (meta E) */
    bool touch;          /* fresh's exptime is new_exptime rather than old's */
    uint32_t new_exptime;
    bool keep_state;     /* fresh keeps old's fetched/stale/win bits */
    bool keep_atime;     /* ... and its access time */
    uint8_t set_bits, clear_bits; /* then these state bits change */
};

enum swap_result { SWAP_DONE, SWAP_RETRY, SWAP_CAS_MISMATCH };

/* Relock and swap old for fresh if the key still maps to old, which must be
 * live. On SWAP_DONE fresh's reservation reference has been dropped and
 * *cas, *exptime hold fresh's. SWAP_RETRY: the key changed meanwhile. */
static enum swap_result swap_if_same(struct store *s, struct shard *sh, uint32_t hv,
                                     struct item *old, struct item *fresh,
                                     const struct swap_opts *o, uint64_t *cas,
                                     uint32_t *exptime)
{
    uint32_t now = clock_now();
    enum swap_result r = SWAP_RETRY;

    pthread_mutex_lock(&sh->lock);
    uint32_t gen = flush_gen(s, now);
    if ((item_state(old) & ITEM_LINKED) && !item_dead(s, old, now, gen)) {
        if (o->expect_cas != 0 && core_cas(s, old) != o->expect_cas) {
            r = SWAP_CAS_MISMATCH;
        } else {
            item_exptime_store(fresh, o->touch ? o->new_exptime : item_exptime_load(old));
            if (o->keep_state)
                item_state_set(fresh, item_state(old) & ITEM_META_BITS);
            item_state_set(fresh, o->set_bits);
            item_state_clear(fresh, o->clear_bits);
            uint32_t atime = item_atime_load(old);
            item_key_binary_copy(fresh, old); /* the same key, spelled as before */
            link_new_locked(s, sh, old, fresh, hv, now, o->new_cas);
            if (o->keep_atime)
                item_atime_store(fresh, atime);
            *cas = core_cas(s, fresh);
            *exptime = item_exptime_load(fresh);
            r = SWAP_DONE;
        }
    }
    pthread_mutex_unlock(&sh->lock);
    if (r == SWAP_DONE)
        core_unref(s, fresh);
    return r;
}

/* append/prepend: build a new item old+piece (or piece+old) outside the
 * lock. memcached checks a non-zero cas here too, and a new item starts
 * with fresh state (not stale, no token), as memcached's copy does. */
static enum store_status commit_concat(struct store *s, struct item *piece, bool prepend,
                                       uint64_t cas, const struct store_commit_opts *o,
                                       uint64_t *cas_out)
{
    uint64_t h = hash_key(item_key(piece), piece->nkey);
    struct shard *sh = &s->shards[shard_of_hash(h)];
    const char *key = item_key(piece);
    enum store_status st = STORE_EXISTS; /* the key kept changing under us */

    for (int attempt = 0; attempt < UPDATE_RETRIES; attempt++) {
        struct item *old = lookup_ref(s, sh, key, piece->nkey, (uint32_t)h);
        if (old == NULL) {
            st = STORE_NOT_STORED;
            if (!o->vivify)
                break;
            /* ms N: the piece itself becomes the item (memcached's APPENDVIV) */
            item_exptime_store(piece, o->vivify_exptime);
            if (o->new_cas != 0 && s->cfg.use_cas && !(item_state(piece) & ITEM_HAS_CAS)) {
                struct item *c = NULL;
                st = copy_item(s, piece, item_flags(piece), true, &c);
                if (st != STORE_OK)
                    break;
                item_exptime_store(c, o->vivify_exptime);
                core_discard(s, piece);
                piece = c;
                key = item_key(piece);
            }
            uint32_t pvlen = item_vlen(piece); /* read before the link hands it over */
            if (link_if_absent(s, piece, o->new_cas, cas_out) == STORE_OK) {
                if (o->vlen_out != NULL)
                    *o->vlen_out = pvlen;
                return STORE_OK; /* the reservation is now the link */
            }
            continue;            /* created in between: add to that one */
        }
        if (cas != 0 && core_cas(s, old) != cas) {
            core_unref(s, old);
            st = STORE_EXISTS;
            break;
        }
        uint32_t ovlen = item_vlen(old), pvlen = item_vlen(piece);
        size_t vlen = (size_t)ovlen + pvlen;
        struct item *fresh = NULL;
        if (!store_item_fits(s, piece->nkey, vlen))
            st = STORE_TOO_LARGE;
        else
            st = core_alloc_item(s, key, piece->nkey, item_flags(old), 0, (uint32_t)vlen,
                                 o->new_cas != 0, &fresh);
        if (st != STORE_OK) {
            core_unref(s, old);
            break;
        }
        const struct item *first = prepend ? piece : old;
        const struct item *second = prepend ? old : piece;
        uint32_t flen = prepend ? pvlen : ovlen;
        memcpy(item_data(fresh), item_value(first), flen);
        memcpy(item_data(fresh) + flen, item_value(second), vlen - flen);
        struct swap_opts so = {.expect_cas = cas, .new_cas = o->new_cas};
        uint64_t new_cas = 0;
        uint32_t exptime = 0;
        enum swap_result r = swap_if_same(s, sh, (uint32_t)h, old, fresh, &so, &new_cas,
                                          &exptime);
        core_unref(s, old);
        if (r == SWAP_DONE) {
            if (cas_out != NULL)
                *cas_out = new_cas;
            if (o->vlen_out != NULL)
                *o->vlen_out = (uint32_t)vlen;
            st = STORE_OK;
            break;
        }
        core_discard(s, fresh);
        st = STORE_EXISTS;
        if (r == SWAP_CAS_MISMATCH)
            break;
    }
    core_discard(s, piece);
    return st;
}

/* Under the lock: may `it` replace old (NULL if none) according to mode?
 * Prepares `it` for a stale store (ms I). OK or the refusal. */
static enum store_status commit_check_locked(struct store *s, struct item *old,
                                             struct item *it, enum store_mode mode,
                                             uint64_t cas, const struct store_commit_opts *o)
{
    switch (mode) {
    case STORE_SET:
        return STORE_OK;
    case STORE_ADD:
        if (old == NULL)
            return STORE_OK;
        item_state_set(old, ITEM_ACCESSED); /* memcached: a failed add promotes the item */
        return STORE_NOT_STORED;
    case STORE_REPLACE:
        return old != NULL ? STORE_OK : STORE_NOT_STORED;
    case STORE_CAS: {
        /* memcached: cas 0 never matches, and with -C items carry cas 0, so
         * every cas command on an existing key answers EXISTS. */
        if (old == NULL)
            return STORE_NOT_FOUND;
        uint64_t old_cas = core_cas(s, old);
        if (cas != 0 && old_cas == cas)
            return STORE_OK;
        if (o->invalidate && cas != 0 && cas < old_cas) {
            /* ms I with an older cas: memcached stores the value anyway,
             * marked stale, keeping the old item's exptime and win token
             * (do_store_item's CAS_STALE). */
            item_exptime_store(it, item_exptime_load(old));
            item_state_set(it, ITEM_STALE | (item_state(old) & ITEM_WIN_SENT));
            return STORE_OK;
        }
        return STORE_EXISTS;
    }
    default:
        return STORE_EINVAL;
    }
}

enum store_status store_commit(struct store *s, struct item **itp, enum store_mode mode,
                               uint64_t cas, const struct store_commit_opts *opts,
                               uint64_t *cas_out)
{
    const struct store_commit_opts *o = opts != NULL ? opts : &commit_opts_none;
    if (s == NULL || itp == NULL || *itp == NULL)
        return STORE_EINVAL;
    struct item *it = *itp;
    *itp = NULL;
    assert((item_state(it) & ITEM_LINKED) == 0);
    item_seal(it); /* the caller may have written anything over the terminator */
    if (mode == STORE_APPEND || mode == STORE_PREPEND)
        return commit_concat(s, it, mode == STORE_PREPEND, cas, o, cas_out);

    if (o->new_cas != 0 && s->cfg.use_cas && !(item_state(it) & ITEM_HAS_CAS)) {
        /* meta E: the reservation had no room for an explicit cas */
        struct item *c = NULL;
        enum store_status st = copy_item(s, it, item_flags(it), true, &c);
        item_exptime_store(c != NULL ? c : it, item_exptime_load(it));
        core_discard(s, it);
        if (st != STORE_OK)
            return st;
        it = c;
    }
    uint64_t h = hash_key(item_key(it), it->nkey);
    struct shard *sh = &s->shards[shard_of_hash(h)];
    uint32_t now = clock_now();

    pthread_mutex_lock(&sh->lock);
    uint32_t gen = flush_gen(s, now);
    struct item *old = find_live_locked(s, sh, item_key(it), it->nkey, (uint32_t)h, now, gen);
    enum store_status st = commit_check_locked(s, old, it, mode, cas, o);
    if (st == STORE_OK) {
        link_new_locked(s, sh, old, it, (uint32_t)h, now, o->new_cas);
        if (cas_out != NULL)
            *cas_out = core_cas(s, it);
    }
    pthread_mutex_unlock(&sh->lock);
    if (st == STORE_OK)
        core_unref(s, it);
    else
        core_discard(s, it);
    return st;
}

/* md I without x: the item, marked stale with its win token dropped (so
 * the next meta get wins), under a new cas (memcached's mdelete). Written as
 * a copy that keeps the fetched bit and access time; reported as a LINK. */
static enum store_status delete_invalidate(struct store *s, struct shard *sh, uint64_t h,
                                           const char *key, size_t nkey,
                                           const struct store_delete_opts *o)
{
    for (int attempt = 0; attempt < UPDATE_RETRIES; attempt++) {
        struct item *old = lookup_ref(s, sh, key, nkey, (uint32_t)h);
        if (old == NULL)
            return STORE_NOT_FOUND;
        if (o->cas != 0 && core_cas(s, old) != o->cas) {
            core_unref(s, old);
            return STORE_EXISTS;
        }
        struct item *fresh = NULL;
        enum store_status st = copy_item(s, old, item_flags(old), o->new_cas != 0, &fresh);
        if (st != STORE_OK) {
            core_unref(s, old);
            return st;
        }
        struct swap_opts so = {.expect_cas = o->cas, .new_cas = o->new_cas, .touch = o->touch,
                               .new_exptime = o->new_exptime, .keep_state = true,
                               .keep_atime = true, .set_bits = ITEM_STALE,
                               .clear_bits = ITEM_WIN_SENT};
        uint64_t cas = 0;
        uint32_t exptime = 0;
        enum swap_result r = swap_if_same(s, sh, (uint32_t)h, old, fresh, &so, &cas, &exptime);
        core_unref(s, old);
        if (r == SWAP_DONE)
            return STORE_OK;
        core_discard(s, fresh);
        if (r == SWAP_CAS_MISMATCH)
            return STORE_EXISTS;
    }
    return STORE_EXISTS;
}

/* md I in place, when the new cas can be had without a new item: the item
 * has no explicit cas and has not been bumped before, so its cas becomes
 * its derived cas + 1 (ITEM_CAS_BUMP); with -C cas stays 0. *done is false
 * when a copy is needed (delete_invalidate). */
static enum store_status invalidate_in_place(struct store *s, struct shard *sh, uint64_t h,
                                             const char *key, size_t nkey,
                                             const struct store_delete_opts *o, bool *done)
{
    enum store_status st = STORE_OK;
    uint32_t now = clock_now();

    pthread_mutex_lock(&sh->lock);
    uint32_t gen = flush_gen(s, now);
    struct item *it = find_live_locked(s, sh, key, nkey, (uint32_t)h, now, gen);
    *done = true;
    if (it == NULL) {
        st = STORE_NOT_FOUND;
    } else if (o->cas != 0 && core_cas(s, it) != o->cas) {
        st = STORE_EXISTS;
    } else if (!s->cfg.use_cas ||
               (o->new_cas == 0 && !(item_state(it) & (ITEM_HAS_CAS | ITEM_CAS_BUMP)))) {
        if (o->touch)
            item_exptime_store(it, o->new_exptime);
        item_state_set(it, ITEM_STALE | (s->cfg.use_cas ? ITEM_CAS_BUMP : 0));
        item_state_clear(it, ITEM_WIN_SENT);
        hook_call(s, STORE_EV_LINK, item_key(it), it->nkey, it, item_exptime_load(it));
    } else {
        *done = false;
    }
    pthread_mutex_unlock(&sh->lock);
    return st;
}

/* md x: link the empty item `fresh` in place of old. memcached's emptied
 * item takes md's flags (F) and exptime (T; without T it never expires) and
 * keeps old's cas unless E gives one; with I it is then invalidated, which
 * gives it a new cas. */
static void clear_value_locked(struct store *s, struct shard *sh, uint32_t hv, struct item *old,
                               struct item *fresh, const struct store_delete_opts *o,
                               uint32_t now)
{
    uint64_t cas = o->new_cas != 0 ? o->new_cas : core_cas(s, old);
    item_exptime_store(fresh, o->touch ? o->new_exptime : 0);
    if (o->invalidate) {
        item_state_set(fresh, ITEM_STALE); /* a new item: no win token to drop */
        cas = o->new_cas;
    }
    link_new_locked(s, sh, old, fresh, hv, now, cas);
}

enum store_status store_delete(struct store *s, const char *key, size_t nkey,
                               const struct store_delete_opts *opts)
{
    const struct store_delete_opts *o = opts != NULL ? opts : &delete_opts_none;
    if (s == NULL || !key_ok(key, nkey))
        return STORE_EINVAL;
    uint64_t h = hash_key(key, nkey);
    struct shard *sh = &s->shards[shard_of_hash(h)];
    struct item *fresh = NULL;
    enum store_status st = STORE_OK;

    if (o->invalidate && !o->clear_value) {
        bool done = false;
        st = invalidate_in_place(s, sh, h, key, nkey, o, &done);
        return done ? st : delete_invalidate(s, sh, h, key, nkey, o);
    }
    if (o->clear_value) {
        /* allocated before locking, as it may evict; room for the kept cas */
        st = core_alloc_item(s, key, nkey, o->new_flags, 0, 0, true, &fresh);
        if (st != STORE_OK)
            return st;
    }
    uint32_t now = clock_now();
    pthread_mutex_lock(&sh->lock);
    uint32_t gen = flush_gen(s, now);
    struct item *it = find_live_locked(s, sh, key, nkey, (uint32_t)h, now, gen);
    bool linked_fresh = false;
    if (it == NULL) {
        st = STORE_NOT_FOUND;
    } else if (o->cas != 0 && core_cas(s, it) != o->cas) {
        st = STORE_EXISTS;
    } else if (fresh != NULL) {
        clear_value_locked(s, sh, (uint32_t)h, it, fresh, o, now);
        linked_fresh = true;
    } else {
        core_unlink_locked(s, sh, it, (uint32_t)h);
        hook_call(s, STORE_EV_UNLINK, key, nkey, NULL, 0);
    }
    pthread_mutex_unlock(&sh->lock);
    if (fresh != NULL) {
        if (linked_fresh)
            core_unref(s, fresh);
        else
            core_discard(s, fresh);
    }
    return st;
}

/* incr/decr on a miss with vivify: create the counter with the initial
 * value, no delta applied (memcached's ma N J, binary incr's initial). Its
 * exptime is the vivify one, or the touch one if both are given (memcached
 * applies N then T). NOT_STORED if the key was linked in between. */
static enum store_status delta_vivify(struct store *s, const char *key, size_t nkey,
                                      const struct store_delta_opts *o,
                                      struct store_delta_result *out)
{
    char buf[24];
    size_t len = (size_t)snprintf(buf, sizeof(buf), "%llu", (unsigned long long)o->initial);
    uint32_t exptime = o->touch ? o->new_exptime : o->vivify_exptime;
    struct item *fresh = NULL;
    enum store_status st =
        core_alloc_item(s, key, nkey, 0, exptime, (uint32_t)len, o->new_cas != 0, &fresh);
    if (st != STORE_OK)
        return st;
    memcpy(item_data(fresh), buf, len);
    uint64_t cas = 0;
    if (link_if_absent(s, fresh, o->new_cas, &cas) != STORE_OK) {
        core_discard(s, fresh);
        return STORE_NOT_STORED;
    }
    if (out != NULL)
        *out = (struct store_delta_result){.value = o->initial, .cas = cas, .exptime = exptime,
                                           .created = true};
    return STORE_OK;
}

enum store_status store_delta(struct store *s, const char *key, size_t nkey, bool incr,
                              uint64_t delta, const struct store_delta_opts *opts,
                              struct store_delta_result *out)
{
    const struct store_delta_opts *o = opts != NULL ? opts : &delta_opts_none;
    if (s == NULL || !key_ok(key, nkey))
        return STORE_EINVAL;
    uint64_t h = hash_key(key, nkey);
    struct shard *sh = &s->shards[shard_of_hash(h)];

    for (int attempt = 0; attempt < UPDATE_RETRIES; attempt++) {
        struct item *old = lookup_ref(s, sh, key, nkey, (uint32_t)h);
        if (old == NULL) {
            if (!o->vivify)
                return STORE_NOT_FOUND;
            enum store_status st = delta_vivify(s, key, nkey, o, out);
            if (st != STORE_NOT_STORED)
                return st;
            continue; /* created in between: apply the delta to that one */
        }
        uint64_t v;
        if (o->cas != 0 && core_cas(s, old) != o->cas) {
            core_unref(s, old);
            return STORE_EXISTS;
        }
        if (!item_value_u64(old, &v)) {
            core_unref(s, old);
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
        uint32_t old_vlen = item_vlen(old);
        bool in_place = len <= old_vlen;
        uint32_t vlen = in_place ? old_vlen : (uint32_t)len;
        struct item *fresh = NULL;
        enum store_status st = core_alloc_item(s, key, nkey, item_flags(old), 0, vlen,
                                               o->new_cas != 0, &fresh);
        if (st != STORE_OK) {
            core_unref(s, old);
            return st;
        }
        memcpy(item_data(fresh), buf, len);
        memset(item_data(fresh) + len, ' ', vlen - len);
        struct swap_opts so = {.expect_cas = o->cas, .new_cas = o->new_cas, .touch = o->touch,
                               .new_exptime = o->new_exptime, .keep_state = in_place};
        uint64_t cas = 0;
        uint32_t exptime = 0;
        enum swap_result r = swap_if_same(s, sh, (uint32_t)h, old, fresh, &so, &cas, &exptime);
        core_unref(s, old);
        if (r == SWAP_DONE) {
            if (out != NULL)
                *out = (struct store_delta_result){.value = v, .cas = cas, .exptime = exptime};
            return STORE_OK;
        }
        core_discard(s, fresh);
        if (r == SWAP_CAS_MISMATCH)
            return STORE_EXISTS;
    }
    return STORE_EXISTS; /* the key kept changing under us */
}
