/*
 * item.h: the byte-packed layout of one cached item, private to store/.
 *
 * An item lives inside a segment (seg.h), 4-byte aligned, laid out as
 *
 *   0   uint32 next     index chain: address of the next item in the bucket
 *   4   uint32 exptime  absolute server clock, 0 = never (relaxed atomics)
 *   8   uint32 atime    last access, server clock (relaxed atomics)
 *   12  uint8  state    ITEM_* bits below (relaxed atomics)
 *   13  uint8  nkey
 *   14  vlen            LEB128 varint, 1..5 bytes
 *       [uint32 flags]  only with ITEM_HAS_FLAGS (client flags not 0)
 *       [uint64 cas]    only with ITEM_HAS_CAS (a cas given by a caller or
 *                       carried over by a copy); otherwise the cas is derived
 *                       from where the item lives (see store.c)
 *       key, value, "\r\n"
 *
 * 2,000,000 items with 15-byte keys and 32-byte values take 64 bytes each.
 * Knows nothing of segments, shards or locks.
 *
 * Which fields may change after an item is linked: exptime (touch), atime
 * and the FETCHED/STALE/WIN_SENT/ACCESSED/LINKED bits of state, always with
 * relaxed atomics under the item's shard lock; next, under the shard lock.
 * The layout bits (HAS_FLAGS, HAS_CAS), nkey, vlen, flags, cas, key and
 * value are fixed once the item is reserved (cas: once linked), which is
 * what makes zero-copy replies safe.
 */
#ifndef MNEMO_STORE_ITEM_H
#define MNEMO_STORE_ITEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define ITEM_KEY_MAX 250u
#define ITEM_ALIGN 4u     /* item addresses count in these units */
#define ITEM_HDR 14u      /* the fixed part of the header */
#define ITEM_NOTIONAL_HDR 64u /* what store_item_fits() charges (the -I rule) */
/* The smallest item: header, 1-byte vlen, 1-byte key, "\r\n", aligned. */
#define ITEM_SIZE_MIN_BYTES ((ITEM_HDR + 1u + 1u + 2u + ITEM_ALIGN - 1u) & ~(ITEM_ALIGN - 1u))

/* state bits */
#define ITEM_LINKED 0x01u   /* in its shard's index */
#define ITEM_FETCHED 0x02u  /* read (get/gat/touch) since it was linked */
#define ITEM_STALE 0x04u    /* invalidated (md I, ms I): meta gets report X */
#define ITEM_WIN_SENT 0x08u /* the win token went out: later meta gets report Z */
#define ITEM_ACCESSED 0x10u /* accessed since written: eviction gives a second chance */
#define ITEM_HAS_FLAGS 0x20u
#define ITEM_HAS_CAS 0x40u
#define ITEM_CAS_BUMP 0x80u /* derived cas + 1: an in-place md I (store.c) */
/* What a rewrite that memcached does in place (incr/decr) carries over. */
#define ITEM_META_BITS (ITEM_FETCHED | ITEM_STALE | ITEM_WIN_SENT)

struct item {
    uint32_t next;
    uint32_t exptime;
    uint32_t atime;
    uint8_t state;
    uint8_t nkey;
    uint8_t var[]; /* vlen, [flags], [cas], key, value, "\r\n" */
};

static inline unsigned varint_len(uint32_t v)
{
    unsigned n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Bytes an item takes in its segment, rounded to ITEM_ALIGN. */
static inline size_t item_size_for(size_t nkey, uint32_t vlen, bool has_flags, bool has_cas)
{
    size_t n = ITEM_HDR + varint_len(vlen) + (has_flags ? 4 : 0) + (has_cas ? 8 : 0) + nkey +
               vlen + 2;
    return (n + ITEM_ALIGN - 1) & ~(size_t)(ITEM_ALIGN - 1);
}

/* The notional size of store.h's rules (item_size_max): a 64-byte header. */
static inline size_t item_total(size_t nkey, size_t vlen)
{
    return ITEM_NOTIONAL_HDR + nkey + vlen + 2;
}

static inline uint8_t item_state(const struct item *it)
{
    return __atomic_load_n(&it->state, __ATOMIC_RELAXED);
}

static inline void item_state_set(struct item *it, uint8_t bits)
{
    __atomic_fetch_or(&it->state, bits, __ATOMIC_RELAXED);
}

static inline void item_state_clear(struct item *it, uint8_t bits)
{
    __atomic_fetch_and(&it->state, (uint8_t)~bits, __ATOMIC_RELAXED);
}

static inline uint32_t item_exptime_load(const struct item *it)
{
    return __atomic_load_n(&it->exptime, __ATOMIC_RELAXED);
}

static inline void item_exptime_store(struct item *it, uint32_t exptime)
{
    __atomic_store_n(&it->exptime, exptime, __ATOMIC_RELAXED);
}

/* atime's top bit records that the key was sent base64-encoded (meta b),
 * so that meta replies echo it the way it was stored, as memcached does;
 * the clock never reaches it (2^31 s of uptime). Set on a reserved item,
 * fixed after, and kept by every atime store. */
#define ITEM_ATIME_KEY_BINARY 0x80000000u

static inline uint32_t item_atime_load(const struct item *it)
{
    return __atomic_load_n(&it->atime, __ATOMIC_RELAXED) & ~ITEM_ATIME_KEY_BINARY;
}

static inline void item_atime_store(struct item *it, uint32_t atime)
{
    uint32_t keep = __atomic_load_n(&it->atime, __ATOMIC_RELAXED) & ITEM_ATIME_KEY_BINARY;
    __atomic_store_n(&it->atime, keep | (atime & ~ITEM_ATIME_KEY_BINARY), __ATOMIC_RELAXED);
}

static inline bool item_key_binary_load(const struct item *it)
{
    return (__atomic_load_n(&it->atime, __ATOMIC_RELAXED) & ITEM_ATIME_KEY_BINARY) != 0;
}

static inline void item_key_binary_copy(struct item *to, const struct item *from)
{
    if (item_key_binary_load(from))
        __atomic_fetch_or(&to->atime, ITEM_ATIME_KEY_BINARY, __ATOMIC_RELAXED);
}

/* Write a fresh unlinked item at mem (item_size_for() bytes): header, key
 * and terminator; the value is left for the caller. */
void item_init(struct item *it, const char *key, size_t nkey, uint32_t flags, uint32_t exptime,
               uint32_t vlen, bool has_cas);

/* Bytes the item takes in its segment. */
size_t item_size(const struct item *it);

/* The key's first byte (nkey bytes). Also part of store.h's face; declared
 * here too so that the index (shard.c) needs only the item, not the store. */
const char *item_key(const struct item *it);

/* The explicit cas slot (only with ITEM_HAS_CAS). */
uint64_t item_cas_slot(const struct item *it);
void item_cas_slot_store(struct item *it, uint64_t cas);

/* Write the "\r\n" after the value (commit re-seals what the caller filled). */
void item_seal(struct item *it);

/* Parse the value as memcached's safe_strtoull() does for incr/decr: leading
 * white space, an optional sign, decimal digits, then white space or the end;
 * overflow and negative results are refused. Returns false if not numeric. */
bool item_value_u64(const struct item *it, uint64_t *out);

#endif
