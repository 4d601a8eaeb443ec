/*
 * shard.c: the hash table of one shard (see shard.h). Pure data structure
 * code: callers hold the lock, decide liveness and account memory.
 */
#include "store/shard.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/hash.h"
#include "store/item.h"
#include "store/seg.h"

/* A bucket array is its own mapping: a 64-byte header holding the slot mask,
 * then the slots. The mask travels with the array so that a lockless reader
 * (shard_prefetch_*) that loads the array pointer also gets the right size. */
#define TABLE_HDR 64u

static size_t table_bytes(size_t nbuckets)
{
    return TABLE_HDR + nbuckets * sizeof(uint32_t);
}

static uint32_t *table_new(size_t nbuckets)
{
    void *m = mmap(NULL, table_bytes(nbuckets), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    *(size_t *)m = nbuckets - 1; /* fresh anonymous pages: the slots are 0 */
    return (uint32_t *)((char *)m + TABLE_HDR);
}

static size_t table_mask(const uint32_t *slots)
{
    return *(const size_t *)(const void *)((const char *)slots - TABLE_HDR);
}

static void table_unmap(uint32_t *slots, size_t nbuckets)
{
    munmap((char *)slots - TABLE_HDR, table_bytes(nbuckets));
}

int shard_init(struct shard *sh, size_t nbuckets)
{
    pthread_mutexattr_t attr;

    memset(sh, 0, sizeof(*sh));
    sh->buckets = table_new(nbuckets);
    if (sh->buckets == NULL)
        return -1;
    sh->nbuckets = nbuckets;
    pthread_mutexattr_init(&attr);
    /* Holds are a few dozen instructions: spin briefly before sleeping. */
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
    pthread_mutex_init(&sh->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    return 0;
}

void shard_fini(struct shard *sh)
{
    if (sh->buckets != NULL)
        table_unmap(sh->buckets, sh->nbuckets);
    /* Each retired table was half the size of its successor. */
    size_t n = sh->nbuckets;
    for (unsigned i = sh->nretired; i-- > 0;) {
        n /= 2;
        table_unmap(sh->retired[i], n);
    }
    sh->nretired = 0;
    sh->buckets = NULL;
    pthread_mutex_destroy(&sh->lock);
}

struct item *shard_find_locked(struct shard *sh, const struct arena *a, const char *key,
                               size_t nkey, uint32_t hv)
{
    uint32_t addr = sh->buckets[hv & (sh->nbuckets - 1)];
    while (addr != 0) {
        struct item *it = seg_item(a, addr);
        if (it->nkey == nkey && memcmp(item_key(it), key, nkey) == 0)
            return it;
        addr = it->next;
    }
    return NULL;
}

/* Double the table, rehashing each key (items keep no hash). The old table
 * is retired, not unmapped: its pages go back to the system and it reads as
 * zeros from then on (empty buckets), which is what keeps a lockless
 * prefetch that still holds its address harmless. The retired address space
 * adds up to less than the current table. */
static void grow_locked(struct shard *sh, const struct arena *a)
{
    size_t n = sh->nbuckets * 2;
    if (sh->nretired == SHARD_MAX_RETIRED)
        return; /* 2^32 buckets: longer chains from here */
    uint32_t *nb = table_new(n);
    if (nb == NULL)
        return; /* longer chains, still correct; retried on the next link */
    for (size_t b = 0; b < sh->nbuckets; b++) {
        uint32_t addr = sh->buckets[b];
        while (addr != 0) {
            struct item *it = seg_item(a, addr);
            uint32_t next = it->next;
            uint32_t hv = (uint32_t)hash_key(item_key(it), it->nkey);
            uint32_t *slot = &nb[hv & (n - 1)];
            it->next = *slot;
            *slot = addr;
            addr = next;
        }
    }
    uint32_t *old = sh->buckets;
    /* release: a prefetcher that loads the new table sees it filled */
    __atomic_store_n(&sh->buckets, nb, __ATOMIC_RELEASE);
    sh->nbuckets = n;
    madvise((char *)old - TABLE_HDR, table_bytes(n / 2), MADV_DONTNEED);
    sh->retired[sh->nretired++] = old;
}

void shard_expect_locked(struct shard *sh, const struct arena *a, size_t items)
{
    while (items > sh->nbuckets + sh->nbuckets / 2) {
        size_t n = sh->nbuckets;
        grow_locked(sh, a);
        if (sh->nbuckets == n)
            break; /* no memory, or the largest table: it grows later if it can */
    }
}

void shard_link_locked(struct shard *sh, const struct arena *a, struct item *it, uint32_t hv)
{
    assert((item_state(it) & ITEM_LINKED) == 0);
    uint32_t *slot = &sh->buckets[hv & (sh->nbuckets - 1)];
    it->next = *slot;
    __atomic_store_n(slot, seg_addr(a, it), __ATOMIC_RELAXED); /* see shard_prefetch_item */
    item_state_set(it, ITEM_LINKED);
    sh->curr_items++;
    sh->total_items++;
    sh->bytes += item_size(it);
    /* load > 1.5 */
    if (sh->curr_items > sh->nbuckets + sh->nbuckets / 2)
        grow_locked(sh, a);
}

/* The slot that holds it's address. */
static uint32_t *slot_of_locked(struct shard *sh, const struct arena *a, struct item *it,
                                uint32_t hv)
{
    uint32_t want = seg_addr(a, it);
    uint32_t *pp = &sh->buckets[hv & (sh->nbuckets - 1)];
    while (*pp != want) {
        assert(*pp != 0);
        pp = &seg_item(a, *pp)->next;
    }
    return pp;
}

void shard_unlink_locked(struct shard *sh, const struct arena *a, struct item *it, uint32_t hv,
                         size_t size)
{
    assert(item_state(it) & ITEM_LINKED);
    uint32_t *pp = slot_of_locked(sh, a, it, hv);
    __atomic_store_n(pp, it->next, __ATOMIC_RELAXED);
    it->next = 0;
    sh->curr_items--;
    sh->bytes -= size;
    /* last touch of the item (see shard.h) */
    __atomic_fetch_and(&it->state, (uint8_t)~ITEM_LINKED, __ATOMIC_RELEASE);
}

void shard_replace_locked(struct shard *sh, const struct arena *a, struct item *old,
                          struct item *fresh, uint32_t hv)
{
    uint32_t *pp = slot_of_locked(sh, a, old, hv);
    fresh->next = old->next;
    __atomic_store_n(pp, seg_addr(a, fresh), __ATOMIC_RELAXED);
    old->next = 0;
    item_state_clear(old, ITEM_LINKED);
    item_state_set(fresh, ITEM_LINKED);
    sh->bytes = sh->bytes - item_size(old) + item_size(fresh);
}

/* Lockless, so only hints: the table may be replaced meanwhile (a retired one
 * reads as zeros) and the chain may change, and prefetching a stale address
 * is harmless. Writers store slots atomically so that these loads are not
 * data races. */
static const uint32_t *slot_unlocked(const struct shard *sh, uint32_t hv)
{
    const uint32_t *slots = __atomic_load_n(&sh->buckets, __ATOMIC_ACQUIRE);
    return &slots[hv & table_mask(slots)];
}

void shard_prefetch_bucket(const struct shard *sh, uint32_t hv)
{
    __builtin_prefetch(slot_unlocked(sh, hv));
}

void shard_prefetch_item(const struct shard *sh, const struct arena *a, uint32_t hv)
{
    uint32_t addr = __atomic_load_n(slot_unlocked(sh, hv), __ATOMIC_RELAXED);
    if (addr == 0)
        return;
    /* the header and what follows: the key of a long key crosses a line */
    const char *p = (const char *)seg_item(a, addr);
    __builtin_prefetch(p);
    __builtin_prefetch(p + 64);
}
