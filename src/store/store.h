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
    uint64_t hash_bytes;        /* memory of the index itself */
    uint64_t hash_buckets;
};

/* Create a store. Returns STORE_OK and sets *out, or STORE_EINVAL when the
 * configuration cannot work (max_bytes smaller than item_size_max, ...). */
enum store_status store_create(const struct store_config *cfg, struct store **out);

/* Free everything. No other call may be in progress. Sets *s to NULL. */
void store_destroy(struct store **s);

/* Would an item with this key and value length fit under item_size_max? */
bool store_item_fits(const struct store *s, size_t nkey, size_t vlen);

/* ---- reads ---- */

/* Look up a live item and take a reference to it (NULL on a miss: absent,
 * expired or flushed). Counts the item as fetched and refreshes its recency.
 * If touch is true the item's exptime is set to new_exptime first (gat). */
struct item *store_get(struct store *s, const char *key, size_t nkey,
                       bool touch, uint32_t new_exptime);

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
uint64_t item_cas(const struct item *it);

/* ---- writes: reserve, fill, commit ---- */

/* Allocate an unlinked item for key with room for vlen value bytes plus the
 * "\r\n" terminator. May evict to make room. The caller fills item_data()
 * with vlen + 2 bytes, then calls store_commit() or store_abort(). */
enum store_status store_reserve(struct store *s, const char *key, size_t nkey,
                                uint32_t flags, uint32_t exptime, uint32_t vlen,
                                struct item **out);

/* Writable memory of a reserved item: vlen + 2 bytes. */
char *item_data(struct item *it);

/* Link a reserved item under its key, atomically for that key, according to
 * mode. cas is the compare value for STORE_CAS (ignored otherwise). For
 * APPEND/PREPEND the reserved item holds the piece to add and the existing
 * item's flags and exptime are kept. Consumes the reservation whatever the
 * result (sets *it to NULL). On STORE_OK, *cas_out (if not NULL) receives the
 * new item's cas. Results: OK, NOT_STORED, EXISTS, NOT_FOUND (cas on a missing
 * key), ENOMEM, TOO_LARGE (append growing past the limit). */
enum store_status store_commit(struct store *s, struct item **it, enum store_mode mode,
                               uint64_t cas, uint64_t *cas_out);

/* Give back a reservation that will not be committed. Sets *it to NULL. */
void store_abort(struct store *s, struct item **it);

/* Unlink the key's item; if cas is not 0 only when it matches.
 * OK, NOT_FOUND, EXISTS. */
enum store_status store_delete(struct store *s, const char *key, size_t nkey, uint64_t cas);

/* incr (or decr) the decimal value under key by delta: incr wraps at 2^64,
 * decr stops at 0 (memcached). On OK *value_out holds the new value and
 * *cas_out (if not NULL) the new cas. OK, NOT_FOUND, NON_NUMERIC, ENOMEM. */
enum store_status store_delta(struct store *s, const char *key, size_t nkey, bool incr,
                              uint64_t delta, uint64_t *value_out, uint64_t *cas_out);

/* Invalidate every item stored at or before clock time `when` once the clock
 * reaches it (memcached's flush_all [delay]); when <= now means at once. */
void store_flush(struct store *s, uint32_t when);

/* ---- maintenance, statistics, iteration, hooks ---- */

/* Reclaim expired and flushed items without client access. Visits at most
 * max_visits items (a bounded slice of work for a background thread) and
 * returns how many were reclaimed. */
size_t store_reclaim_expired(struct store *s, size_t max_visits);

void store_stats(struct store *s, struct store_stats *out);
void store_stats_reset(struct store *s); /* resets the cumulative counters */

/* Call visit for every live item (for snapshots). Items are visited with a
 * reference held and no lock held, so visit may block; a nonzero return stops
 * the walk and is returned. Items changed during the walk may or may not be
 * seen; each item visited is a consistent version. */
typedef int (*store_visit_fn)(const struct item *it, void *arg);
int store_foreach(struct store *s, store_visit_fn visit, void *arg);

/* A hook on every mutation, for the append log and replication. It is called
 * with the key's lock held, so the mutations of one key reach it in order; it
 * must not block or call the store. it is the new item (LINK, TOUCH) or NULL
 * (UNLINK: delete; FLUSH: key is NULL, when in exptime). Evictions and expiry
 * are not reported: they follow from the memory limit and the clock. */
enum store_event { STORE_EV_LINK, STORE_EV_UNLINK, STORE_EV_TOUCH, STORE_EV_FLUSH };
typedef void (*store_hook_fn)(void *arg, enum store_event ev, const char *key, size_t nkey,
                              const struct item *it, uint32_t exptime);
void store_set_hook(struct store *s, store_hook_fn hook, void *arg);

#endif
