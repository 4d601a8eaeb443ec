/*
 * digest.h: an order-independent hash of every live item in a store
 * ("stats digest"), so that two servers that should hold the same data (a
 * primary and its replica, a server before and after a restart) can show
 * that they do without sending it.
 *
 * What counts of an item: its key, value, client flags, CAS and expiry as
 * an absolute Unix time (0 = never), never the server-clock value: two
 * processes started at different times agree. Expired items are left out;
 * the meta state bits (fetched, win token, stale, base64 key) are not part
 * of it. Each item is hashed alone, over this canonical form (all integers
 * little-endian):
 *
 *   v    = XXH3_128bits(value)
 *   hash = XXH3_128bits(u32 nkey, key, u32 vlen, u32 flags, u64 cas,
 *                       i64 exptime, u64 v.low64, u64 v.high64)
 *
 * and the digest is the sum of the items' hashes mod 2^128, so the order
 * the store is walked in does not matter (and an item counted twice does:
 * addition, unlike xor, never cancels).
 *
 * Pure but for digest_store, which walks the store.
 */
#ifndef MNEMO_REPL_DIGEST_H
#define MNEMO_REPL_DIGEST_H

#include <stdint.h>

struct rec;
struct store;

/* Hex digits of a digest, without the terminating NUL. */
#define DIGEST_HEX_LEN 32

enum digest_status {
    DIGEST_OK = 0,
    DIGEST_ENOMEM = -1 /* the store's walk could not allocate */
};

struct digest {
    uint64_t lo, hi; /* the sum of the items' hashes, mod 2^128 */
    uint64_t items;  /* how many were added */
};

/* An empty digest: sum 0, no items. */
void digest_init(struct digest *d);

/* Add one 128-bit hash (low and high halves) to the sum, mod 2^128; items
 * is left alone. The combining step, on its own for tests. */
void digest_add_hash(struct digest *d, uint64_t lo, uint64_t hi);

/* Add one item, given as its record (persist/itemrec.h's itemrec_of):
 * key, value, flags, cas and exptime (Unix) are read, nothing else. */
void digest_add_rec(struct digest *d, const struct rec *r);

/* The sum as DIGEST_HEX_LEN lowercase hex digits, high half first, then a
 * NUL: out has DIGEST_HEX_LEN + 1 bytes. */
void digest_hex(const struct digest *d, char *out);

/* The digest of every item live in s now (store_foreach). The walk takes
 * each index shard's lock for a slice of items at a time, so it can run
 * while serving; the result is exact only while nothing is written: an
 * item changed during the walk may be counted in either version, or not
 * at all, and one left alone may be counted twice if the index grows
 * meanwhile (store.h). Takes time in proportion to the items (hashing
 * every value); blocks on nothing but the shard locks. DIGEST_OK and *out,
 * or DIGEST_ENOMEM. */
enum digest_status digest_store(struct store *s, struct digest *out);

#endif
