/*
 * shard.c: hash table and LRU list of one shard (see shard.h). Pure data
 * structure code: callers hold the lock, decide liveness and free memory.
 */
#include "store/shard.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "store/item.h"

int shard_init(struct shard *sh, unsigned index, size_t nbuckets)
{
    pthread_mutexattr_t attr;

    memset(sh, 0, sizeof(*sh));
    sh->buckets = calloc(nbuckets, sizeof(*sh->buckets));
    if (sh->buckets == NULL)
        return -1;
    sh->nbuckets = nbuckets;
    sh->index = index;
    sh->next_cas = 1;
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

struct item *shard_find_locked(struct shard *sh, const char *key, size_t nkey, uint32_t hv)
{
    struct item *it = sh->buckets[hv & (sh->nbuckets - 1)];
    for (; it != NULL; it = it->h_next) {
        if (it->hv == hv && it->nkey == nkey && memcmp(it->data, key, nkey) == 0)
            return it;
    }
    return NULL;
}

/* Double the table. Items keep their low hash bits (it->hv), so no rehash. */
static void grow_locked(struct shard *sh)
{
    size_t n = sh->nbuckets * 2;
    struct item **nb = calloc(n, sizeof(*nb));
    if (nb == NULL)
        return; /* longer chains, still correct; retried on the next link */
    for (size_t b = 0; b < sh->nbuckets; b++) {
        struct item *it = sh->buckets[b];
        while (it != NULL) {
            struct item *next = it->h_next;
            struct item **slot = &nb[it->hv & (n - 1)];
            it->h_next = *slot;
            *slot = it;
            it = next;
        }
    }
    free(sh->buckets);
    sh->buckets = nb;
    sh->nbuckets = n;
}

static void lru_push_head_locked(struct shard *sh, struct item *it)
{
    it->prev = NULL;
    it->next = sh->lru_head;
    if (sh->lru_head != NULL)
        sh->lru_head->prev = it;
    else
        sh->lru_tail = it;
    sh->lru_head = it;
}

static void lru_remove_locked(struct shard *sh, struct item *it)
{
    if (it->prev != NULL)
        it->prev->next = it->next;
    else
        sh->lru_head = it->next;
    if (it->next != NULL)
        it->next->prev = it->prev;
    else
        sh->lru_tail = it->prev;
    it->prev = NULL;
    it->next = NULL;
}

void shard_link_locked(struct shard *sh, struct item *it)
{
    assert((it->state & ITEM_LINKED) == 0);
    struct item **slot = &sh->buckets[it->hv & (sh->nbuckets - 1)];
    it->h_next = *slot;
    *slot = it;
    lru_push_head_locked(sh, it);
    it->state |= ITEM_LINKED;
    sh->curr_items++;
    sh->total_items++;
    sh->bytes += item_total(it->nkey, it->vlen);
    /* load > 1.5 */
    if (sh->curr_items > sh->nbuckets + sh->nbuckets / 2)
        grow_locked(sh);
}

void shard_unlink_locked(struct shard *sh, struct item *it)
{
    assert(it->state & ITEM_LINKED);
    struct item **pp = &sh->buckets[it->hv & (sh->nbuckets - 1)];
    while (*pp != it) {
        assert(*pp != NULL);
        pp = &(*pp)->h_next;
    }
    *pp = it->h_next;
    it->h_next = NULL;
    lru_remove_locked(sh, it);
    it->state &= (uint8_t)~ITEM_LINKED;
    sh->curr_items--;
    sh->bytes -= item_total(it->nkey, it->vlen);
}

void shard_bump_locked(struct shard *sh, struct item *it)
{
    if (sh->lru_head == it)
        return;
    lru_remove_locked(sh, it);
    lru_push_head_locked(sh, it);
}

uint64_t shard_next_cas_locked(struct shard *sh)
{
    return (sh->next_cas++ << SHARD_BITS) | sh->index;
}
