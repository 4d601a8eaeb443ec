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
/* Small stores get smaller segments: at -m 16, 1 MiB segments left the
 * heads' unused room, the spare and the dead space a sixteenth of memory
 * each, and held 13.4k 1 KB items where memcached's slabs hold 14.2k
 * (bench/memory --hit); 256 KB segments held 14.2-14.6k, and missed 0.78x
 * of memcached's gets under zipf 0.7 instead of 0.82x. */
#define SEG_COUNT_MIN 64u
/* Items larger than a segment take a run of contiguous segments (seg.h): at
 * most 2^RUN_SHIFT_MAX of them, only where -m holds RUN_BUDGET_ITEMS of the
 * largest items, and only up to a RUN_SPAN_SHARE of the span (seg.h says
 * why a run is then always found). Elsewhere segments grow to the largest
 * item, as before runs. */
#define RUN_SHIFT_MAX 3u
#define RUN_BUDGET_ITEMS 8u
#define RUN_SPAN_SHARE 16u

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

unsigned seg_shift_for(size_t max_bytes, size_t item_max)
{
    unsigned need = log2_ceil(item_max);
    unsigned want = max_bytes / SEG_COUNT_MIN > 0 ? log2_floor(max_bytes / SEG_COUNT_MIN) : 0;
    unsigned cap = log2_floor(SEG_SIZE_MAX_DEFAULT);
    unsigned shift = want < cap ? want : cap;
    if (shift < 12)
        shift = 12;
    if (shift >= need)
        return shift;
    bool runs = max_bytes / item_max >= RUN_BUDGET_ITEMS &&
                max_bytes <= SEG_ARENA_SPAN / RUN_SPAN_SHARE;
    if (!runs)
        return need; /* an item fits one segment: its real header is smaller
                      * than the notional one item_max was checked with */
    return shift + RUN_SHIFT_MAX >= need ? shift : need - RUN_SHIFT_MAX;
}

/* Zeroed memory for a table of len bytes that costs nothing until written:
 * an anonymous mapping (calloc may zero it by hand, sanitizers always do). */
static void *table_map(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static size_t segs_len(uint32_t n)
{
    return (size_t)n * sizeof(struct seg);
}

int seg_arena_init(struct arena *a, char *base, size_t span, unsigned shift, uint32_t limit,
                   bool keep_pages, bool top_down, _Atomic uint64_t *seq)
{
    memset(a, 0, sizeof(*a));
    size_t n = span >> shift;
    assert(n > 0 && n <= UINT32_MAX - 1 && ((uintptr_t)base & (((size_t)1 << shift) - 1)) == 0);
    a->base = base;
    a->seg_shift = shift;
    a->nsegs = (uint32_t)n;
    a->limit = limit < 1 ? 1 : limit > n ? (uint32_t)n : limit;
    a->top_down = top_down;
    a->segs = table_map(segs_len(a->nsegs));
    a->free_stack = table_map((size_t)n * sizeof(*a->free_stack));
    if (a->segs == NULL || a->free_stack == NULL) {
        seg_arena_fini(a);
        return -1;
    }
    a->idle = (struct seg_list){SEG_NONE, SEG_NONE, 0};
    a->keep_pages = keep_pages;
    a->spare = SEG_NONE;
    for (unsigned q = 0; q < SEG_QUEUES; q++)
        a->fifo[q] = (struct seg_list){SEG_NONE, SEG_NONE, 0};
    a->drain = (struct seg_list){SEG_NONE, SEG_NONE, 0};
    a->next_seq = seq;
    atomic_init(&a->used, 0);
    pthread_mutex_init(&a->pool_lock, NULL);
    for (unsigned h = 0; h <= SEG_HEADS; h++) {
        pthread_mutex_init(&a->heads[h].lock, NULL);
        a->heads[h].seg = SEG_NONE;
    }
    return 0;
}

void seg_arena_fini(struct arena *a)
{
    if (a->segs != NULL && a->free_stack != NULL) {
        pthread_mutex_destroy(&a->pool_lock);
        for (unsigned h = 0; h <= SEG_HEADS; h++)
            pthread_mutex_destroy(&a->heads[h].lock);
    }
    if (a->segs != NULL)
        munmap(a->segs, segs_len(a->nsegs));
    if (a->free_stack != NULL)
        munmap(a->free_stack, (size_t)a->nsegs * sizeof(*a->free_stack));
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

static void free_locked(struct arena *a, uint32_t idx);

/* A run's first segment is freed or reused as one segment: the segments it
 * owned go back to the pool, idle. */
static void dissolve_locked(struct arena *a, uint32_t idx)
{
    struct seg *sg = &a->segs[idx];
    for (uint32_t k = 1; k <= sg->tails; k++)
        free_locked(a, idx + k);
    sg->tails = 0;
}

/* A used segment becomes free and idle: resident, handed out first. */
static void free_locked(struct arena *a, uint32_t idx)
{
    struct seg *sg = &a->segs[idx];
    dissolve_locked(a, idx);
    sg->state = SEG_FREE;
    sg->wpos = 0;
    sg->idle_since = a->clock;
    list_push_tail(a, &a->idle, idx);
}

/* A free segment whose pages are given back joins the free stack. */
static void push_released_locked(struct arena *a, uint32_t idx)
{
    a->segs[idx].state = SEG_RELEASED;
    a->segs[idx].wpos = 0;
    a->segs[idx].prev = a->nfree; /* its place, for unfree_locked */
    a->free_stack[a->nfree++] = idx;
}

/* An idle segment gives its pages back and joins the untouched ones. */
static void release_locked(struct arena *a, uint32_t idx)
{
    list_remove(a, &a->idle, idx);
    madvise(seg_start(a, idx), seg_size(a), MADV_DONTNEED);
    push_released_locked(a, idx);
}

static uint32_t in_use_locked(const struct arena *a)
{
    return a->ntouched - a->nfree - a->idle.count;
}

/* No segment may be handed out: the budget is spent, or the span is. */
static bool none_free_locked(const struct arena *a)
{
    return in_use_locked(a) >= a->limit ||
           (a->nfree == 0 && a->idle.count == 0 && a->ntouched == a->nsegs);
}

/* Make the next fresh segments writable, SEG_HUGE_PAGE bytes (or one
 * segment, if larger) at a time, in the order they are handed out. The span
 * is reserved PROT_NONE (store.c), so that -k's mlockall(MCL_FUTURE) locks
 * what is handed out rather than faulting in 16 GiB per arena. Why a huge
 * page's worth and not one segment: a transparent huge page needs its whole
 * aligned 2 MiB writable when it is first touched, so 1 MiB segments made
 * writable one at a time left the arena on 4 KB pages (AnonHugePages 2 MB
 * against 198 MB after 50,000 4 KB items), and every lookup missed the TLB:
 * 40-50% more user CPU per request at pipeline 16 with 4 KB values. */
static bool writable_extend_locked(struct arena *a)
{
    size_t step = SEG_HUGE_PAGE >> a->seg_shift;
    uint32_t n = step < 1 ? 1u : (uint32_t)step;
    if (n > a->nsegs - a->nwritable)
        n = a->nsegs - a->nwritable;
    uint32_t first = a->top_down ? a->nsegs - a->nwritable - n : a->nwritable;
    if (mprotect(seg_start(a, first), (size_t)n << a->seg_shift, PROT_READ | PROT_WRITE) != 0)
        return false;
    a->nwritable += n;
    return true;
}

/* A fresh segment's descriptor is written for the first time: it was
 * mapped zero (refs, live, state FREE, queue SMALL). Its memory is made
 * writable with its neighbours the first time (writable_extend_locked).
 * SEG_NONE when the system refuses (then nothing is handed out). */
static uint32_t take_fresh_locked(struct arena *a)
{
    if (a->ntouched == a->nwritable && !writable_extend_locked(a))
        return SEG_NONE;
    uint32_t idx = a->top_down ? a->nsegs - 1u - a->ntouched : a->ntouched;
    a->ntouched++;
    a->segs[idx].prev = a->segs[idx].next = SEG_NONE;
    return idx;
}

/* A free segment within the budget, idle ones first (most recently freed),
 * then released ones, then fresh ones (low addresses first), or SEG_NONE. */
static uint32_t take_free_locked(struct arena *a)
{
    if (none_free_locked(a))
        return SEG_NONE;
    uint32_t idx = a->idle.tail;
    if (idx != SEG_NONE)
        list_remove(a, &a->idle, idx);
    else if (a->nfree > 0)
        idx = a->free_stack[--a->nfree];
    else
        idx = take_fresh_locked(a);
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
        sg->seq = atomic_fetch_add_explicit(a->next_seq, 1, memory_order_relaxed);
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

void seg_seal_head_before(struct arena *a, unsigned h, uint64_t seq)
{
    struct seg_head *hd = &a->heads[h];

    pthread_mutex_lock(&hd->lock);
    if (hd->seg != SEG_NONE && a->segs[hd->seg].seq < seq) {
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
            /* refs before live, as in empty_unreferenced: a commit links
             * (live++) before it drops its reference, so live read after
             * refs was seen 0 counts every item the copies must hold. Read
             * the other way round, a run whose one item was linked in
             * between looked all dead, and its copy overran the spare. */
            if (atomic_load(&sg->refs) != 0)
                continue;
            size_t live = atomic_load(&sg->live_bytes) + 8u * atomic_load(&sg->live);
            size_t dead = sg->wpos > live ? sg->wpos - live : 0;
            if (dead >= need && dead > best_dead) {
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
        dissolve_locked(a, idx);
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

void seg_requeue(struct arena *a, uint32_t idx)
{
    pthread_mutex_lock(&a->pool_lock);
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
    /* longest idle first: stop at the first one idle for less, unless
     * resident memory is over a budget that was lowered */
    while (!a->keep_pages && a->idle.head != SEG_NONE &&
           (now - a->segs[a->idle.head].idle_since >= release_after ||
            in_use_locked(a) + a->idle.count > a->limit))
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

void seg_set_limit(struct arena *a, uint32_t limit)
{
    pthread_mutex_lock(&a->pool_lock);
    a->limit = limit < 1 ? 1 : limit > a->nsegs ? a->nsegs : limit;
    while (!a->keep_pages && a->idle.head != SEG_NONE &&
           in_use_locked(a) + a->idle.count > a->limit)
        release_locked(a, a->idle.head);
    pthread_mutex_unlock(&a->pool_lock);
}

bool seg_over_limit(struct arena *a)
{
    pthread_mutex_lock(&a->pool_lock);
    bool over = in_use_locked(a) > a->limit;
    pthread_mutex_unlock(&a->pool_lock);
    return over;
}

void seg_release(struct arena *a, uint32_t idx)
{
    uint32_t n = a->segs[idx].tails + 1u; /* claimed: ours to read */
    if (!a->keep_pages)
        madvise(seg_start(a, idx), (size_t)n << a->seg_shift, MADV_DONTNEED); /* outside the lock */
    pthread_mutex_lock(&a->pool_lock);
    a->segs[idx].tails = 0;
    for (uint32_t k = 0; k < n; k++) {
        if (a->keep_pages)
            free_locked(a, idx + k);
        else
            push_released_locked(a, idx + k);
    }
    pthread_mutex_unlock(&a->pool_lock);
}

void seg_free(struct arena *a, uint32_t idx)
{
    pthread_mutex_lock(&a->pool_lock);
    free_locked(a, idx);
    pthread_mutex_unlock(&a->pool_lock);
}

void seg_reuse(struct arena *a, uint32_t idx)
{
    pthread_mutex_lock(&a->pool_lock);
    dissolve_locked(a, idx);
    a->segs[idx].wpos = 0;
    pthread_mutex_unlock(&a->pool_lock);
}

/* ---- runs ---- */

/* Take free segment idx (idle or released) out of the idle list or the
 * free stack (the stack's top takes its place). */
static void unfree_locked(struct arena *a, uint32_t idx)
{
    struct seg *sg = &a->segs[idx];
    if (sg->state == SEG_FREE) {
        list_remove(a, &a->idle, idx);
        return;
    }
    uint32_t pos = sg->prev;
    uint32_t top = a->free_stack[--a->nfree];
    a->free_stack[pos] = top;
    a->segs[top].prev = pos;
}

/* The first of n contiguous free segments among the touched ones (first
 * fit, from the bottom), or SEG_NONE. */
static uint32_t find_free_run_locked(const struct arena *a, uint32_t n)
{
    uint32_t lo = a->top_down ? a->nsegs - a->ntouched : 0;
    uint32_t hi = a->top_down ? a->nsegs : a->ntouched;
    uint32_t len = 0;
    for (uint32_t i = lo; i < hi; i++) {
        uint8_t st = a->segs[i].state;
        len = st == SEG_FREE || st == SEG_RELEASED ? len + 1 : 0;
        if (len == n)
            return i + 1 - n;
    }
    return SEG_NONE;
}

/* The first of n fresh segments (contiguous: they are handed out in address
 * order, upwards or, top_down, downwards), or SEG_NONE. */
static uint32_t take_fresh_run_locked(struct arena *a, uint32_t n)
{
    if (a->nsegs - a->ntouched < n)
        return SEG_NONE;
    uint32_t first = SEG_NONE;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t idx = take_fresh_locked(a);
        if (idx == SEG_NONE) {
            /* the system refused to make more writable: those taken stay
             * touched, idle */
            for (uint32_t j = 0; j < k; j++)
                free_locked(a, first + j);
            return SEG_NONE;
        }
        if (first == SEG_NONE || idx < first)
            first = idx;
    }
    return first;
}

void *seg_take_run(struct arena *a, uint32_t n, size_t size, uint32_t gen)
{
    void *p = NULL;

    pthread_mutex_lock(&a->pool_lock);
    if (in_use_locked(a) + n <= a->limit) {
        uint32_t first = find_free_run_locked(a, n);
        if (first != SEG_NONE) {
            for (uint32_t k = 0; k < n; k++)
                unfree_locked(a, first + k);
        } else {
            first = take_fresh_run_locked(a, n);
        }
        if (first != SEG_NONE) {
            for (uint32_t k = 1; k < n; k++)
                a->segs[first + k].state = SEG_TAIL;
            struct seg *sg = &a->segs[first];
            sg->tails = n - 1u;
            sg->wpos = (uint32_t)size;
            sg->gen = gen;
            sg->seq = atomic_fetch_add_explicit(a->next_seq, 1, memory_order_relaxed);
            atomic_store_explicit(&sg->queue, SEG_Q_SMALL, memory_order_relaxed);
            atomic_fetch_add_explicit(&sg->refs, 1, memory_order_relaxed);
            seal_locked(a, first); /* one item, never written to again */
            p = seg_start(a, first);
        }
    }
    pthread_mutex_unlock(&a->pool_lock);
    return p;
}

uint32_t seg_in_use(struct arena *a)
{
    pthread_mutex_lock(&a->pool_lock);
    uint32_t n = in_use_locked(a);
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
