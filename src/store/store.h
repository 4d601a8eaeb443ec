/*
 * store.h: the storage engine's whole face.
 *
 * The store owns item memory, the key index, eviction and expiry. It knows
 * nothing of protocols or sockets: server/exec translates requests into these
 * verbs. Every function is thread-safe; no call takes a lock that is global to
 * the store on the hot path (see store.c for the lock layout), and no call
 * blocks on I/O.
 *
 * Time: the store reads the server clock (common/clock.h, seconds). An
 * exptime given to the store is an absolute time on that clock, 0 = never;
 * STORE_EXPIRED is a time already in the past (memcached's negative exptime).
 *
 * Zero-copy: an item returned by a lookup carries a reference. Its value stays
 * readable, unchanged, until store_release() — eviction, deletion or
 * replacement of the key only unlink it. Values are immutable once committed.
 */
#ifndef MNEMO_STORE_STORE_H
#define MNEMO_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct item;

enum store_status {
    STORE_OK = 0,
    STORE_NOT_FOUND = -1,   /* no live item under the key */
    STORE_EXISTS = -2,      /* cas given and it does not match */
    STORE_NOT_STORED = -3,  /* add on a live key; replace/append/prepend on a missing one */
    STORE_ENOMEM = -4,      /* no room, even after evicting (or eviction is off) */
    STORE_TOO_LARGE = -5,   /* the item would exceed item_size_max */
    STORE_NON_NUMERIC = -6, /* incr/decr on a value that is not a decimal uint64 */
    STORE_EINVAL = -7       /* bad argument (configuration, empty key, ...) */
};

/* A time that has already passed: an item stored with it is never returned. */
#define STORE_EXPIRED 1u

struct store_config {
    size_t max_bytes;     /* -m: memory for items, in bytes */
    size_t item_size_max; /* -I: largest item (header + key + value) */
    bool evict;           /* false with -M: refuse stores instead of evicting */
    bool use_cas;         /* false with -C: items carry cas 0 */
    bool huge_pages;      /* ask for transparent huge pages for item memory */
    bool prefault;        /* -L: make all item memory resident at creation */
    bool test_top_down;   /* TEST ONLY: hand out item memory from the top of each
                           * arena's address range first, so that a unit test
                           * reaches locations far above 2^32 bytes without
                           * touching that much memory. Never set by the server. */
};

enum store_mode {
    STORE_SET,
    STORE_ADD,
    STORE_REPLACE,
    STORE_APPEND,
    STORE_PREPEND,
    STORE_CAS
};

struct store_stats {
    uint64_t curr_items;
    uint64_t total_items;       /* items ever linked (since the last reset) */
    uint64_t bytes;             /* bytes of linked items, as memcached counts them */
    uint64_t used_bytes;        /* memory charged against max_bytes, incl. in-flight items */
    uint64_t limit_maxbytes;
    uint64_t evictions;         /* live items removed to make room */
    uint64_t evicted_unfetched; /* ... that had never been read */
    uint64_t reclaimed;         /* expired/flushed items whose memory was reused */
    uint64_t expired_unfetched; /* ... that had never been read */
    uint64_t get_expired;       /* lookups that missed because the item had expired */
    uint64_t get_flushed;       /* ... because it had been flushed */
    uint64_t arena_bytes;       /* item memory in use (touched segments), <= max_bytes */
    uint64_t idle_bytes;        /* free item memory still resident (its pages are given
                                 * back after a while idle, never with -L) */
    uint64_t hash_bytes;        /* memory of the index itself */
    uint64_t hash_buckets;
    uint64_t ghost_hits_small;  /* lookups that missed an item the small queue evicted */
    uint64_t ghost_hits_main;   /* ... that the main queue evicted */
    uint64_t small_queue_share; /* the small queue's share of sealed segments now, in
                                 * basis points (store.c: adaptive, 10-40%, or up to 90%
                                 * under the high ceiling) */
    uint64_t small_queue_ceiling; /* the share's upper bound now: 4000 or 9000 */
    uint64_t hits_main, hits_small; /* hits on items of each queue since the first eviction */
};

/* The largest max_bytes a store can address: 1 TiB (item locations are
 * 32-bit, relative to one of at most 64 arenas of 16 GiB; see seg.h). */
size_t store_max_bytes(void);

/* Create a store. Returns STORE_OK and sets *out, or STORE_EINVAL when the
 * configuration cannot work (max_bytes smaller than item_size_max or above
 * store_max_bytes(), ...). */
enum store_status store_create(const struct store_config *cfg, struct store **out);

/* Free everything. No other call may be in progress. Sets *s to NULL. */
void store_destroy(struct store **s);

/* Move the memory budget (max_bytes; memcached's cache_memlimit), up or
 * down. Lowering it evicts the oldest items down to the new budget and
 * gives their memory back: a few segments for each one a write takes, and
 * the rest by store_reclaim_expired() (so within a maintenance pass or two
 * without writes). Raising it is bounded by what the store reserved at
 * creation: 16 GiB for each of its arenas (a store created with up to
 * 16 GiB has one); lowering is bounded by one segment per arena (1 MB
 * each: 64 MB for a 1 TiB store). STORE_OK, or STORE_EINVAL for a budget below
 * item_size_max or above that ceiling, or with prefault (-L: memcached
 * refuses too, its memory is preallocated). */
enum store_status store_set_max_bytes(struct store *s, size_t max_bytes);

/* Would an item with this key and value length fit under item_size_max? */
bool store_item_fits(const struct store *s, size_t nkey, size_t vlen);

/* ---- reads ---- */

/* Warming a batch of lookups. A lookup's cost is mostly two cache misses,
 * its bucket and its first item; done one after the other a batch pays
 * them in turn. Call store_prefetch_bucket for every key of the batch, then
 * store_prefetch_item with each returned hash, then do the lookups: the
 * misses overlap. Hints only: no lock, no effect on what the lookups find. */
uint64_t store_prefetch_bucket(const struct store *s, const char *key, size_t nkey);
void store_prefetch_item(const struct store *s, uint64_t hash);

/* Drop a reference taken by store_get/store_reserve. Sets *it to NULL. */
void store_release(struct store *s, struct item **it);

/* Change a live item's exptime. STORE_OK or STORE_NOT_FOUND. */
enum store_status store_touch(struct store *s, const char *key, size_t nkey,
                              uint32_t new_exptime);

/* Item fields. item_value() points at vlen bytes followed by "\r\n", so a
 * text reply can send value and terminator in one iovec. */
const char *item_key(const struct item *it);
size_t item_nkey(const struct item *it);
const char *item_value(const struct item *it);
uint32_t item_vlen(const struct item *it);
uint32_t item_flags(const struct item *it);
uint32_t item_exptime(const struct item *it);

/* The item's cas (0 with -C). It takes the store because most items keep
 * no cas of their own: it is derived from where the item sits in the
 * store's memory. */
uint64_t store_item_cas(const struct store *s, const struct item *it);

/* ---- writes: reserve, fill, then commit (store_commit, below) ---- */

/* Allocate an unlinked item for key with room for vlen value bytes plus the
 * "\r\n" terminator. May evict to make room. The caller fills item_data()
 * with vlen + 2 bytes, then calls store_commit() or store_abort(). */
enum store_status store_reserve(struct store *s, const char *key, size_t nkey,
                                uint32_t flags, uint32_t exptime, uint32_t vlen,
                                struct item **out);

/* Writable memory of a reserved item: vlen + 2 bytes. */
char *item_data(struct item *it);

/* Give back a reservation that will not be committed. Sets *it to NULL. */
void store_abort(struct store *s, struct item **it);

/* Invalidate every item stored at or before clock time `when` once the clock
 * reaches it (memcached's flush_all [delay]); when <= now means at once. */
void store_flush(struct store *s, uint32_t when);

/* ---- the key verbs: get, commit, delete, incr/decr ----
 *
 * Each verb takes an options struct; NULL (or all zero) is the classic
 * verb: get/gets, set/add/replace/append/prepend/cas, delete, incr/decr.
 * The options carry what memcached's meta commands add: per-item state the
 * classic verbs never see (whether an item was fetched before, when it was
 * last accessed) and the anti-stampede bits — stale (invalidated, X), and a
 * win token handed to exactly one client (W; later clients see Z) so that
 * one client recaches while the others keep serving the old value. */

struct store_get_opts {
    bool touch;              /* set exptime to new_exptime (mg T, gat) */
    uint32_t new_exptime;
    bool no_bump;            /* mg u: leave LRU position and access time alone */
    bool peek;               /* me: no side effects at all (not counted as fetched) */
    bool vivify;             /* mg N: on a miss, link an empty item (flags 0) with */
    uint32_t vivify_exptime; /*   this exptime and give this caller the win token */
    bool recache;            /* mg R: if the item expires within recache_secs, */
    uint32_t recache_secs;   /*   hand out the win token (once) */
    bool recache_first;      /* R before T in the request: judged by the exptime the
                              * item had before this touch (memcached's order) */
    bool vivify_last;        /* N after T: a vivified item keeps vivify_exptime */
    uint64_t new_cas;        /* not 0: the vivified item's cas (mg E, memcached 1.6.2x) */
};

struct store_get_info {
    bool hit_before;      /* the item had been fetched before this lookup */
    uint32_t last_access; /* seconds between its previous access and now */
    bool win;             /* this caller got the win token: it should recache */
    bool stale;           /* the item is marked stale (invalidated) */
    bool won;             /* another caller holds the win token already */
    bool vivified;        /* the item was created by this lookup (a miss) */
    uint32_t exptime_before; /* the exptime before this lookup's touch */
};

/* Look up a live item and take a reference to it (NULL on a miss: absent,
 * expired or flushed). opts may be NULL; info (may be NULL) is filled on a
 * hit or vivify. Win-token rule (memcached's): a stale item, an item within recache_secs of
 * expiring (recache), and a vivified item each hand the token to the first
 * caller only; every later caller gets won = true until the item is
 * replaced. A caller passing info = NULL never takes the token (the classic
 * get), except as the creator of a vivified item. Counts as fetched and
 * bumps the LRU unless no_bump/peek. The vivified item is empty, flags 0,
 * counted as fetched by its creator (unless no_bump): hit_before is false
 * for the creator, true for the next lookup. A touch applies to a vivified
 * item too (memcached's mg N30 T60 leaves 60). */
struct item *store_get(struct store *s, const char *key, size_t nkey,
                       const struct store_get_opts *opts, struct store_get_info *info);

struct store_commit_opts {
    uint64_t new_cas;        /* non-zero: give the new item this cas (meta E) */
    bool invalidate;         /* ms I: with STORE_CAS, a cas OLDER than the item's
                              * stores the item anyway, marked stale (returns OK) */
    bool vivify;             /* ms N with APPEND/PREPEND: create the item (with the
                              * reserved item's flags, exptime vivify_exptime) if missing */
    uint32_t vivify_exptime;
    uint32_t *vlen_out;      /* APPEND/PREPEND: if non-NULL, receives the stored
                              * value's length on STORE_OK (the joined value; the
                              * piece alone when vivify created the item) */
};

/* Link a reserved item under its key, atomically for that key, according to
 * mode; opts may be NULL. cas is the compare value for STORE_CAS, and for APPEND/PREPEND when
 * not 0 (memcached checks it there too; ignored otherwise). For
 * APPEND/PREPEND the reserved item holds the piece to add and the existing
 * item's flags and exptime are kept. Consumes the reservation whatever the
 * result (sets *it to NULL). On STORE_OK, *cas_out (if not NULL) receives the
 * new item's cas. Results: OK, NOT_STORED, EXISTS, NOT_FOUND (cas on a missing
 * key), ENOMEM, TOO_LARGE (append growing past the limit). */
enum store_status store_commit(struct store *s, struct item **it, enum store_mode mode,
                               uint64_t cas, const struct store_commit_opts *opts,
                               uint64_t *cas_out);


struct store_delete_opts {
    uint64_t cas;        /* non-zero: only if it matches (else EXISTS) */
    bool invalidate;     /* md I: keep the item, mark it stale, clear its win token */
    bool touch;          /* md T (with I or x): also set exptime to new_exptime */
    uint32_t new_exptime;
    bool clear_value;    /* md x: replace the value by an empty one with flags
                          * new_flags and exptime new_exptime if touch, else 0
                          * (never), keeping key and cas (memcached 1.6.2x's
                          * "remove value": the new item takes md's F and T) */
    uint64_t new_cas;    /* E with I or x: the cas of the kept item */
    uint32_t new_flags;  /* md x F: the emptied item's client flags */
};

/* Unlink the key's item (opts may be NULL). OK, NOT_FOUND, EXISTS, ENOMEM
 * (x needs a new item). */
enum store_status store_delete(struct store *s, const char *key, size_t nkey,
                               const struct store_delete_opts *opts);

struct store_delta_opts {
    uint64_t cas;            /* non-zero: only if it matches (else EXISTS) */
    uint64_t new_cas;        /* non-zero: the new item's cas (E) */
    bool vivify;             /* ma N / binary incr with initial: on a miss create the */
    uint64_t initial;        /*   item with this decimal value (no delta applied) */
    uint32_t vivify_exptime;
    bool touch;              /* ma T: also set exptime */
    uint32_t new_exptime;
};

struct store_delta_result {
    uint64_t value;   /* the new value */
    uint64_t cas;     /* the new item's cas */
    uint32_t exptime; /* its exptime afterwards (ma t) */
    bool created;     /* vivify made the item (meta answers W then) */
};

/* incr (or decr) the decimal value under key by delta: incr wraps at 2^64,
 * decr stops at 0 (memcached). opts may be NULL; *out (may be NULL) is
 * filled on OK. On a vivify
 * with touch, touch's exptime wins (memcached's ma N50 T70 leaves 70). A
 * result that fits the old length keeps the item's fetched/stale/win state
 * (memcached rewrites it in place); a longer one starts fresh.
 * OK, NOT_FOUND, EXISTS, NON_NUMERIC, ENOMEM. */
enum store_status store_delta(struct store *s, const char *key, size_t nkey, bool incr,
                              uint64_t delta, const struct store_delta_opts *opts,
                              struct store_delta_result *out);

/* The item's last access time on the server clock. */
uint32_t item_atime(const struct item *it);

/* Was the item's key sent base64-encoded (meta b)? Meta replies echo a
 * stored key the way it was stored, as memcached does. Marked on a reserved
 * item before it is committed; rewrites of the item (touch, md I, ma) keep it. */
bool item_key_binary(const struct item *it);
void item_mark_key_binary(struct item *it);
/* Has the item been read since it was linked? (memcached's ITEM_FETCHED,
 * shown by lru_crawler metadump as fetch=yes/no.) */
bool item_fetched(const struct item *it);

/* Bytes the item takes in item memory (header, key, value). */
size_t item_size(const struct item *it);

/* ---- maintenance, statistics, iteration, hooks ---- */

/* Reclaim expired and flushed items without client access. Visits at most
 * max_visits items (a bounded slice of work for a background thread) and
 * returns how many were reclaimed. Also the segments' housekeeping (idle
 * ones give their pages back, a lowered budget sheds), which max_visits 0
 * does alone. */
size_t store_reclaim_expired(struct store *s, size_t max_visits);

void store_stats(struct store *s, struct store_stats *out);
void store_stats_reset(struct store *s); /* resets the cumulative counters */

/* Call visit for every live item (for snapshots). Items are visited with a
 * reference held and no lock held, so visit may block; a nonzero return stops
 * the walk and is returned. A shard's lock is taken for a slice of a few
 * hundred items at a time, so requests wait no longer than that. Items
 * changed during the walk may or may not be seen; every item live and left
 * alone for the whole walk is seen, possibly twice (the index may grow
 * meanwhile); each item visited is a consistent version. */
typedef int (*store_visit_fn)(const struct item *it, void *arg);
int store_foreach(struct store *s, store_visit_fn visit, void *arg);

/* A hook on every mutation, for the append log and replication. It is called
 * with the key's lock held, so the mutations of one key reach it in order; it
 * must not block or call the store. it is the new item (LINK, TOUCH) or NULL
 * (UNLINK: delete; FLUSH: key is NULL, when in exptime; a delayed flush
 * is reported again, with when 0, at the moment it takes effect). Evictions and expiry
 * are not reported: they follow from the memory limit and the clock. The
 * meta verbs report: a vivify (get, append, delta) as LINK of the new item;
 * an invalidation (md I) as LINK of the same item, now carrying its new cas
 * and exptime; md x as LINK of the emptied item; handing out a win token
 * (others then see Z) as LINK of the same item, once per item version. The
 * fetched bit is not a mutation. */
enum store_event { STORE_EV_LINK, STORE_EV_UNLINK, STORE_EV_TOUCH, STORE_EV_FLUSH };
typedef void (*store_hook_fn)(void *arg, enum store_event ev, const char *key, size_t nkey,
                              const struct item *it, uint32_t exptime);
void store_set_hook(struct store *s, store_hook_fn hook, void *arg);

/* ---- restoring (persist/, repl/) ----
 *
 * Recovery and a replica put items back exactly as they were: value, client
 * flags, exptime, cas and meta state. cas values are never reused across a
 * restart: a snapshot records store_cas_high(), and recovery raises the
 * store's floor above every cas it read (store_raise_cas) before serving. */

struct store_restore {
    const char *key;
    size_t nkey;
    const char *value; /* vlen bytes, without "\r\n" (may be NULL if vlen is 0) */
    uint32_t vlen;
    uint32_t flags;
    uint32_t exptime;  /* server clock (common/clock.h), 0 = never */
    uint64_t cas;      /* the item's cas, kept exactly; 0 = derive one (and with
                        * use_cas off every item has cas 0 anyway) */
    bool stale, win_sent, fetched, key_binary; /* the meta state bits */
};

/* Link an item as it was, unconditionally (replacing any item under the
 * key, live or not), evicting as a set would to make room. Does NOT call the
 * mutation hook: recovery and a replica apply what was already logged. The
 * item's access time is now. An item already expired (exptime != 0 and not
 * after clock_now(), STORE_EXPIRED included) is accepted but not linked:
 * the key's old item is unlinked (replaced by one no lookup returns) and
 * STORE_OK is returned without taking memory, so a dead item never evicts a
 * live one. A restored cas is kept in the item (8 bytes more than a set's
 * item, which derives its cas from its place). Takes one shard lock; may
 * evict. STORE_OK, ENOMEM (no room: -M, or all referenced), TOO_LARGE
 * (beyond item_size_max), EINVAL (NULL, empty or too long key, value NULL
 * with vlen > 0). */
enum store_status store_restore(struct store *s, const struct store_restore *r);

/* A hint before restoring about `items` items (a snapshot's header knows
 * how many): the index grows to hold them now, instead of doubling and
 * rehashing as they arrive (a 4M-item recovery spent about a third of
 * its restore time there). Capped by what max_bytes could hold. Takes each
 * shard lock in turn and rehashes what is already stored: meant for
 * before serving. */
void store_expect_items(struct store *s, uint64_t items);

/* From now on every cas the store hands out is above cas: every item
 * allocated after the call returns gets a larger one (derived from its
 * place, or that + 1 for an in-place md I). A cas chosen by a client (meta
 * E) is the client's and is left alone, as are the cas values of items
 * already stored. Floors at or above 2^63 count as 2^63 - 1: only a client's
 * E reaches that high, and the top half keeps derivation from wrapping.
 * Thread-safe; cheap (it starts every writer head on a new segment). */
void store_raise_cas(struct store *s, uint64_t cas);

/* A value at least as large as every cas handed out so far (for a
 * snapshot's header: no cas handed out before this call is above it),
 * client-chosen ones (meta E, restores) included. Lock-free: two loads. */
uint64_t store_cas_high(const struct store *s);

/* The server-clock time of a pending delayed flush_all (flush_all N whose
 * time has not come), or 0. */
uint32_t store_flush_pending(const struct store *s);

/* For the hook and snapshots: the item's meta state (item_fetched and
 * item_key_binary are above). */
bool item_stale(const struct item *it);
bool item_win_sent(const struct item *it);

#endif
