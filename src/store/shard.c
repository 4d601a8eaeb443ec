/*
 * shard.c: the hash table of one shard (see shard.h). Pure data structure
 * code: callers hold the lock, decide liveness and account memory.
 */
#include "store/shard.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "store/item.h"
#include "store/seg.h"
#include "store/store.h"

int shard_init(struct shard *sh, size_t nbuckets)
{
    pthread_mutexattr_t attr;

    memset(sh, 0, sizeof(*sh));
    sh->buckets = calloc(nbuckets, sizeof(*sh->buckets));
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
    free(sh->buckets);
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

/* Double the table, rehashing each key (items keep no hash). */
static void grow_locked(struct shard *sh, const struct arena *a)
{
    size_t n = sh->nbuckets * 2;
    uint32_t *nb = calloc(n, sizeof(*nb));
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
    free(sh->buckets);
    sh->buckets = nb;
    sh->nbuckets = n;
}

void shard_link_locked(struct shard *sh, const struct arena *a, struct item *it, uint32_t hv)
{
    assert((item_state(it) & ITEM_LINKED) == 0);
    uint32_t *slot = &sh->buckets[hv & (sh->nbuckets - 1)];
    it->next = *slot;
    *slot = seg_addr(a, it);
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
    *pp = it->next;
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
    *pp = seg_addr(a, fresh);
    old->next = 0;
    item_state_clear(old, ITEM_LINKED);
    item_state_set(fresh, ITEM_LINKED);
    sh->bytes = sh->bytes - item_size(old) + item_size(fresh);
}
