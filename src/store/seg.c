/*
 * seg.c: segments, heads and the segment pool (see seg.h). Pure memory
 * management: callers decide what is live and which segment to evict.
 */
#include "store/seg.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SEG_SIZE_MAX_DEFAULT (1u << 20) /* 1 MiB, unless an item needs more */
#define SEG_COUNT_MIN 32u               /* small stores get smaller segments */

static unsigned log2_ceil(size_t v)
{
    unsigned s = 0;
    while (((size_t)1 << s) < v)
        s++;
    return s;
}

static unsigned log2_floor(size_t v)
{
    unsigned s = 0;
    while (v >> (s + 1))
        s++;
    return s;
}

/* Fault in every page of [p, p + len) for writing: one madvise where the
 * kernel has MADV_POPULATE_WRITE (5.14), else a write per page. 0, or -1
 * when memory is short. */
static int populate(char *p, size_t len)
{
    if (madvise(p, len, MADV_POPULATE_WRITE) == 0)
        return 0;
    if (errno != EINVAL)
        return -1;
    long page = sysconf(_SC_PAGESIZE);
    for (size_t off = 0; off < len; off += (size_t)page)
        ((volatile char *)p)[off] = 0;
    return 0;
}

int seg_arena_init(struct arena *a, size_t max_bytes, size_t item_max, bool huge_pages,
                   bool prefault)
{
    memset(a, 0, sizeof(*a));
    /* An item fits a segment: its real header is smaller than the notional
     * one item_max was checked with. */
    unsigned need = log2_ceil(item_max);
    unsigned want = max_bytes / SEG_COUNT_MIN > 0 ? log2_floor(max_bytes / SEG_COUNT_MIN) : 0;
    unsigned cap = log2_floor(SEG_SIZE_MAX_DEFAULT);
    unsigned shift = want < cap ? want : cap;
    if (shift < need)
        shift = need;
    if (shift < 12)
        shift = 12;
    /* store_create refuses more than 32-bit item addresses can reach */
    assert(max_bytes <= SEG_ADDR_MAX - ((size_t)1 << shift));
    size_t n = max_bytes >> shift;
    if (n == 0)
        n = 1;
    a->seg_shift = shift;
    a->nsegs = (uint32_t)n;
    a->map_len = (n + 1) << shift;
    a->map = mmap(NULL, a->map_len, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (a->map == MAP_FAILED) {
        a->map = NULL;
        return -1;
    }
    /* Huge pages by default: values spread over hundreds of MB make nearly
     * every lookup and every send of a value miss the TLB with 4 KB pages,
     * and fresh segments fault once per 4 KB. Measured with huge pages
     * (THP in "madvise" or "always" mode; the advice is ignored elsewhere):
     * 5-6% less CPU per request under memcaslap, a fifth less on the first
     * 4 KB run after a preload while the store grows, and resident memory
     * within 2 MB of what 4 KB pages take (segments are handed out from the
     * bottom of the arena). -o hugepages=off leaves the arena to the
     * system's default. */
    if (huge_pages)
        (void)madvise(a->map, a->map_len, MADV_HUGEPAGE); /* EINVAL without THP */
    /* -L: memcached preallocates its item memory; make it all resident now
     * so that no request ever waits on a page fault. */
    if (prefault && populate(a->map, a->map_len) != 0) {
        munmap(a->map, a->map_len);
        a->map = NULL;
        return -1;
    }
    size_t sz = (size_t)1 << shift;
    a->base = (char *)(((uintptr_t)a->map + sz - 1) & ~(uintptr_t)(sz - 1));
    a->segs = calloc(n, sizeof(*a->segs));
    a->free_stack = malloc(n * sizeof(*a->free_stack));
    if (a->segs == NULL || a->free_stack == NULL) {
        seg_arena_fini(a);
        return -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        atomic_init(&a->segs[i].refs, 0);
        atomic_init(&a->segs[i].live, 0);
        atomic_init(&a->segs[i].live_bytes, 0);
        atomic_init(&a->segs[i].queue, SEG_Q_SMALL);
        a->segs[i].prev = a->segs[i].next = SEG_NONE;
        a->free_stack[i] = (uint32_t)(n - 1 - i); /* pop low segments first */
    }
    a->nfree = (uint32_t)n;
    a->idle = (struct seg_list){SEG_NONE, SEG_NONE, 0};
    a->keep_pages = prefault;
    a->spare = SEG_NONE;
    for (unsigned q = 0; q < SEG_QUEUES; q++)
        a->fifo[q] = (struct seg_list){SEG_NONE, SEG_NONE, 0};
    a->drain = (struct seg_list){SEG_NONE, SEG_NONE, 0};
    atomic_init(&a->next_seq, 1);
    pthread_mutex_init(&a->pool_lock, NULL);
    for (unsigned h = 0; h <= SEG_HEADS; h++) {
        pthread_mutex_init(&a->heads[h].lock, NULL);
        a->heads[h].seg = SEG_NONE;
    }
    return 0;
}

void seg_arena_fini(struct arena *a)
{
    if (a->map != NULL)
        munmap(a->map, a->map_len);
    if (a->segs != NULL) {
        pthread_mutex_destroy(&a->pool_lock);
        for (unsigned h = 0; h <= SEG_HEADS; h++)
            pthread_mutex_destroy(&a->heads[h].lock);
    }
    free(a->segs);
    free(a->free_stack);
    memset(a, 0, sizeof(*a));
}

/* ---- lists, under pool_lock ---- */

static void list_push_tail(struct arena *a, struct seg_list *l, uint32_t idx)
{
    struct seg *sg = &a->segs[idx];
    sg->next = SEG_NONE;
    sg->prev = l->tail;
    if (l->tail != SEG_NONE)
        a->segs[l->tail].next = idx;
    else
        l->head = idx;
    l->tail = idx;
    l->count++;
}

static void list_remove(struct arena *a, struct seg_list *l, uint32_t idx)
{
    struct seg *sg = &a->segs[idx];
    if (sg->prev != SEG_NONE)
        a->segs[sg->prev].next = sg->next;
    else
        l->head = sg->next;
    if (sg->next != SEG_NONE)
        a->segs[sg->next].prev = sg->prev;
    else
        l->tail = sg->prev;
    sg->prev = sg->next = SEG_NONE;
    l->count--;
}

/* A used segment becomes free and idle: resident, handed out first. */
static void free_locked(struct arena *a, uint32_t idx)
{
    struct seg *sg = &a->segs[idx];
    sg->state = SEG_FREE;
    sg->wpos = 0;
    sg->idle_since = a->clock;
    list_push_tail(a, &a->idle, idx);
}

/* An idle segment gives its pages back and joins the untouched ones. */
static void release_locked(struct arena *a, uint32_t idx)
{
    list_remove(a, &a->idle, idx);
    madvise(seg_start(a, idx), seg_size(a), MADV_DONTNEED);
    a->free_stack[a->nfree++] = idx;
}

static bool none_free_locked(const struct arena *a)
{
    return a->nfree == 0 && a->idle.count == 0;
}

/* A free segment, idle ones first (most recently freed), or SEG_NONE. */
static uint32_t take_free_locked(struct arena *a)
{
    uint32_t idx = a->idle.tail;
    if (idx != SEG_NONE)
        list_remove(a, &a->idle, idx);
    else if (a->nfree > 0)
        idx = a->free_stack[--a->nfree];
    return idx;
}

static void seal_locked(struct arena *a, uint32_t idx)
{
    a->segs[idx].state = SEG_SEALED;
    list_push_tail(a, &a->fifo[atomic_load_explicit(&a->segs[idx].queue, memory_order_relaxed)],
                   idx);
}

static enum seg_queue queue_of_head(unsigned h)
{
    return h == SEG_HEAD_REINSERT ? SEG_Q_MAIN : SEG_Q_SMALL;
}

/* ---- heads ---- */

static bool head_usable_locked(struct arena *a, struct seg_head *hd, size_t size, uint32_t gen)
{
    if (hd->seg == SEG_NONE)
        return false;
    struct seg *sg = &a->segs[hd->seg];
    return sg->gen == gen && sg->wpos + size <= seg_size(a);
}

void *seg_bump(struct arena *a, unsigned h, size_t size, uint32_t gen)
{
    struct seg_head *hd = &a->heads[h];
    void *p = NULL;

    pthread_mutex_lock(&hd->lock);
    if (head_usable_locked(a, hd, size, gen)) {
        struct seg *sg = &a->segs[hd->seg];
        p = seg_start(a, hd->seg) + sg->wpos;
        sg->wpos += (uint32_t)size;
        atomic_fetch_add_explicit(&sg->refs, 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&hd->lock);
    return p;
}

void seg_install(struct arena *a, unsigned h, uint32_t idx, size_t size, uint32_t gen)
{
    struct seg_head *hd = &a->heads[h];

    pthread_mutex_lock(&hd->lock);
    pthread_mutex_lock(&a->pool_lock);
    if (head_usable_locked(a, hd, size, gen)) {
        if (a->segs[idx].wpos > 0) {
            seal_locked(a, idx); /* compacted: it holds linked items, its queue set */
        } else {
            free_locked(a, idx);
        }
    } else {
        if (hd->seg != SEG_NONE)
            seal_locked(a, hd->seg);
        struct seg *sg = &a->segs[idx];
        sg->state = SEG_ACTIVE;
        if (sg->wpos == 0) {
            sg->gen = gen; /* a compacted segment keeps its items' generation */
            atomic_store_explicit(&sg->queue, (unsigned char)queue_of_head(h),
                                  memory_order_relaxed); /* ... and its queue */
        }
        sg->seq = atomic_fetch_add_explicit(&a->next_seq, 1, memory_order_relaxed);
        hd->seg = idx;
    }
    pthread_mutex_unlock(&a->pool_lock);
    pthread_mutex_unlock(&hd->lock);
}

void seg_seal_head(struct arena *a, unsigned h)
{
    struct seg_head *hd = &a->heads[h];

    pthread_mutex_lock(&hd->lock);
    if (hd->seg != SEG_NONE) {
        pthread_mutex_lock(&a->pool_lock);
        seal_locked(a, hd->seg);
        pthread_mutex_unlock(&a->pool_lock);
        hd->seg = SEG_NONE;
    }
    pthread_mutex_unlock(&hd->lock);
}

/* ---- the pool ---- */

static bool empty_unreferenced(struct arena *a, uint32_t idx)
{
    /* refs before live: a commit links (live++) before it drops its reference */
    return atomic_load(&a->segs[idx].refs) == 0 && atomic_load(&a->segs[idx].live) == 0;
}

uint32_t seg_obtain_free(struct arena *a)
{
    uint32_t idx = SEG_NONE;

    pthread_mutex_lock(&a->pool_lock);
    if (none_free_locked(a)) {
        for (uint32_t i = a->drain.head; i != SEG_NONE; i = a->segs[i].next) {
            if (atomic_load(&a->segs[i].refs) == 0) {
                list_remove(a, &a->drain, i);
                free_locked(a, i);
                break;
            }
        }
    }
    for (unsigned q = 0; q < SEG_QUEUES && none_free_locked(a); q++) {
        for (uint32_t i = a->fifo[q].head; i != SEG_NONE; i = a->segs[i].next) {
            if (empty_unreferenced(a, i)) {
                list_remove(a, &a->fifo[q], i);
                free_locked(a, i);
                break;
            }
        }
    }
    idx = take_free_locked(a);
    if (idx != SEG_NONE)
        a->segs[idx].state = SEG_CLAIMED;
    pthread_mutex_unlock(&a->pool_lock);
    return idx;
}

uint32_t seg_claim_oldest(struct arena *a, enum seg_queue q, unsigned max_skip)
{
    uint32_t idx = SEG_NONE;
    unsigned skipped = 0;

    pthread_mutex_lock(&a->pool_lock);
    for (uint32_t i = a->fifo[q].head; i != SEG_NONE && skipped <= max_skip;
         i = a->segs[i].next, skipped++) {
        if (atomic_load(&a->segs[i].refs) == 0) {
            idx = i;
            list_remove(a, &a->fifo[q], i);
            a->segs[i].state = SEG_CLAIMED;
            break;
        }
    }
    pthread_mutex_unlock(&a->pool_lock);
    return idx;
}

uint32_t seg_claim_most_dead(struct arena *a, size_t need, unsigned max_scan, uint32_t *spare)
{
    uint32_t best = SEG_NONE;
    size_t best_dead = 0;

    pthread_mutex_lock(&a->pool_lock);
    for (int k = 0; k < SEG_QUEUES && a->spare != SEG_NONE /* no spare, no compaction */; k++) {
        unsigned scanned = 0;
        for (uint32_t i = a->fifo[k].head; i != SEG_NONE && scanned < max_scan;
             i = a->segs[i].next, scanned++) {
            struct seg *sg = &a->segs[i];
            size_t live = atomic_load(&sg->live_bytes) + 8u * atomic_load(&sg->live);
            size_t dead = sg->wpos > live ? sg->wpos - live : 0;
            if (atomic_load(&sg->refs) == 0 && dead >= need && dead > best_dead) {
                best = i;
                best_dead = dead;
            }
        }
    }
    if (best != SEG_NONE) {
        list_remove(a, &a->fifo[atomic_load_explicit(&a->segs[best].queue, memory_order_relaxed)],
                    best);
        a->segs[best].state = SEG_CLAIMED;
        *spare = a->spare;
        a->spare = SEG_NONE;
    }
    pthread_mutex_unlock(&a->pool_lock);
    return best;
}

bool seg_set_spare(struct arena *a, uint32_t idx)
{
    bool kept = false;

    pthread_mutex_lock(&a->pool_lock);
    if (a->spare == SEG_NONE) {
        a->segs[idx].state = SEG_CLAIMED;
        a->segs[idx].wpos = 0;
        a->spare = idx;
        kept = true;
    } else {
        free_locked(a, idx); /* another thread refilled it meanwhile */
    }
    pthread_mutex_unlock(&a->pool_lock);
    return kept;
}

void seg_requeue(struct arena *a, uint32_t idx, int q)
{
    pthread_mutex_lock(&a->pool_lock);
    if (q != SEG_Q_SAME)
        atomic_store_explicit(&a->segs[idx].queue, (unsigned char)q, memory_order_relaxed);
    seal_locked(a, idx);
    pthread_mutex_unlock(&a->pool_lock);
}

void seg_drain(struct arena *a, uint32_t idx)
{
    pthread_mutex_lock(&a->pool_lock);
    a->segs[idx].state = SEG_DRAINING;
    list_push_tail(a, &a->drain, idx);
    pthread_mutex_unlock(&a->pool_lock);
}

size_t seg_collect_empty(struct arena *a, uint32_t now, uint32_t release_after)
{
    size_t n = 0;

    pthread_mutex_lock(&a->pool_lock);
    a->clock = now;
    uint32_t i = a->drain.head;
    while (i != SEG_NONE) {
        uint32_t next = a->segs[i].next;
        if (atomic_load(&a->segs[i].refs) == 0) {
            list_remove(a, &a->drain, i);
            free_locked(a, i);
            n++;
        }
        i = next;
    }
    for (unsigned q = 0; q < SEG_QUEUES; q++) {
        i = a->fifo[q].head;
        while (i != SEG_NONE) {
            uint32_t next = a->segs[i].next;
            if (empty_unreferenced(a, i)) {
                list_remove(a, &a->fifo[q], i);
                free_locked(a, i);
                n++;
            }
            i = next;
        }
    }
    /* longest idle first: stop at the first one idle for less */
    while (!a->keep_pages && a->idle.head != SEG_NONE &&
           now - a->segs[a->idle.head].idle_since >= release_after)
        release_locked(a, a->idle.head);
    pthread_mutex_unlock(&a->pool_lock);
    return n;
}

uint32_t seg_take_spare(struct arena *a)
{
    pthread_mutex_lock(&a->pool_lock);
    uint32_t idx = a->spare;
    a->spare = SEG_NONE;
    pthread_mutex_unlock(&a->pool_lock);
    return idx;
}

bool seg_has_spare(struct arena *a)
{
    pthread_mutex_lock(&a->pool_lock);
    bool r = a->spare != SEG_NONE;
    pthread_mutex_unlock(&a->pool_lock);
    return r;
}

void seg_queue_lens(struct arena *a, uint32_t len[SEG_QUEUES])
{
    pthread_mutex_lock(&a->pool_lock);
    for (unsigned q = 0; q < SEG_QUEUES; q++)
        len[q] = a->fifo[q].count;
    pthread_mutex_unlock(&a->pool_lock);
}

uint32_t seg_in_use(struct arena *a)
{
    pthread_mutex_lock(&a->pool_lock);
    uint32_t n = a->nsegs - a->nfree - a->idle.count;
    pthread_mutex_unlock(&a->pool_lock);
    return n;
}

uint32_t seg_idle(struct arena *a)
{
    pthread_mutex_lock(&a->pool_lock);
    uint32_t n = a->idle.count;
    pthread_mutex_unlock(&a->pool_lock);
    return n;
}
