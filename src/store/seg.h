/*
 * seg.h: item memory as fixed-size segments, private to store/.
 *
 * One virtual arena, reserved at create and touched lazily (RSS follows
 * use), is cut into nsegs segments of 2^seg_shift bytes, aligned to their
 * size. Items are appended (bump allocation) to the active segment of a
 * "head": one per writer thread slot (SEG_HEADS) plus one for items that
 * eviction copies forward (SEG_HEAD_REINSERT). A full head's segment is
 * sealed onto its queue's FIFO (oldest first): writer heads feed the small
 * queue (new items), the reinsertion head the main queue (items that earned
 * a place by being read); eviction takes segments from either.
 *
 *   arena: | seg 0 | seg 1 | seg 2 | ...            segs[]: descriptors
 *            ▲ head 0's active segment              free stack, FIFO, drain list
 *
 * A segment's life: FREE ─install─▶ ACTIVE ─seal─▶ SEALED ─claim─▶ CLAIMED
 *   ─(emptied, refs 0)─▶ FREE, or ─(refs > 0)─▶ DRAINING ─(refs 0)─▶ FREE;
 *   a claimed segment that cannot be emptied (-M) goes back to SEALED.
 *
 * Free segments are of two kinds. Idle ones were used and are still
 * resident: they are handed out first, most recently freed first (warm in
 * cache and already backed by memory). The others were never touched or
 * gave their pages back; seg_collect_empty() gives back the pages of
 * segments idle for some time (a decay, as jemalloc does for dirty pages),
 * so resident memory follows use without a workload that shifts back and
 * forth faulting its memory in again each time.
 *
 * Locks: each head's mutex guards its segment's write offset; pool_lock
 * guards the free stack, idle list, FIFO, drain list and segment states. Order: a
 * shard lock, then a head lock, then pool_lock (each optional); never the
 * other way round. refs and live are atomics.
 *
 * Knows nothing of keys, shards, expiry or eviction policy.
 */
#ifndef MNEMO_STORE_SEG_H
#define MNEMO_STORE_SEG_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/item.h"

#define SEG_NONE UINT32_MAX
#define SEG_HEADS 8u
#define SEG_HEAD_REINSERT SEG_HEADS
#define SEG_ADDR_MAX ((size_t)UINT32_MAX * ITEM_ALIGN) /* what 32-bit addresses reach */

enum seg_state { SEG_FREE, SEG_ACTIVE, SEG_SEALED, SEG_CLAIMED, SEG_DRAINING };

/* The two FIFOs of sealed segments (S3-FIFO's small and main queues). */
enum seg_queue { SEG_Q_SMALL, SEG_Q_MAIN, SEG_QUEUES };
#define SEG_Q_SAME (-1) /* seg_requeue: to the queue it was in */

struct seg {
    atomic_uint refs;  /* lookups and reservations holding an item in it */
    atomic_uint live;  /* linked items in it */
    atomic_uint live_bytes; /* ... and their bytes */
    uint32_t wpos;     /* bytes written: under the head lock while ACTIVE, fixed after */
    uint32_t gen;      /* flush generation when it became ACTIVE */
    uint64_t seq;      /* when it became ACTIVE: unique, increasing (derives cas) */
    uint32_t prev, next; /* FIFO / drain list links, under pool_lock */
    uint32_t idle_since; /* FREE and idle: the arena clock when it became so */
    uint8_t state;       /* enum seg_state, under pool_lock */
    atomic_uchar queue;  /* enum seg_queue: where it is sealed, set when it becomes
                          * ACTIVE (or by seg_requeue); read under a shard lock */
};

struct seg_head {
    pthread_mutex_t lock;
    uint32_t seg; /* SEG_NONE when it has none */
} __attribute__((aligned(64)));

struct seg_list {
    uint32_t head, tail, count;
};

struct arena {
    char *base; /* aligned to the segment size */
    void *map;
    size_t map_len;
    unsigned seg_shift;
    uint32_t nsegs;
    struct seg *segs;
    struct seg_head heads[SEG_HEADS + 1];
    pthread_mutex_t pool_lock;
    uint32_t *free_stack; /* under pool_lock: free and not resident */
    uint32_t nfree;
    struct seg_list idle;  /* free and resident, longest idle at head */
    uint32_t clock;        /* seconds, as last given to seg_collect_empty() */
    bool keep_pages;       /* -L: pages are never given back */
    struct seg_list fifo[SEG_QUEUES]; /* SEALED, oldest at head */
    struct seg_list drain; /* DRAINING */
    uint32_t spare;        /* an empty segment kept for compaction (-M) or for the
                            * reinsertion head (eviction), or SEG_NONE */
    _Atomic uint64_t next_seq;
};

/* Reserve the arena for max_bytes of items no larger than item_max bytes,
 * advising transparent huge pages for it if huge_pages, and making it all
 * resident now if prefault. 0, or -1 when memory is short. */
int seg_arena_init(struct arena *a, size_t max_bytes, size_t item_max, bool huge_pages,
                   bool prefault);
void seg_arena_fini(struct arena *a);

static inline size_t seg_size(const struct arena *a)
{
    return (size_t)1 << a->seg_shift;
}

static inline bool seg_contains(const struct arena *a, const void *p)
{
    return (const char *)p >= a->base &&
           (const char *)p < a->base + ((size_t)a->nsegs << a->seg_shift);
}

static inline uint32_t seg_of(const struct arena *a, const void *p)
{
    return (uint32_t)(((const char *)p - a->base) >> a->seg_shift);
}

static inline char *seg_start(const struct arena *a, uint32_t idx)
{
    return a->base + ((size_t)idx << a->seg_shift);
}

/* Item addresses in the index: 32 bits, 0 = none. */
static inline uint32_t seg_addr(const struct arena *a, const struct item *it)
{
    return (uint32_t)(((const char *)it - a->base) / ITEM_ALIGN) + 1u;
}

static inline struct item *seg_item(const struct arena *a, uint32_t addr)
{
    return (struct item *)(a->base + (size_t)(addr - 1u) * ITEM_ALIGN);
}

static inline void seg_ref(struct arena *a, const void *p)
{
    atomic_fetch_add_explicit(&a->segs[seg_of(a, p)].refs, 1, memory_order_relaxed);
}

static inline void seg_unref(struct arena *a, const void *p)
{
    atomic_fetch_sub_explicit(&a->segs[seg_of(a, p)].refs, 1, memory_order_release);
}

/* Bump-allocate size bytes in head h's segment if it is usable (flush
 * generation gen, room left). Takes a reference on the segment for the
 * caller. NULL if the head needs a new segment. */
void *seg_bump(struct arena *a, unsigned h, size_t size, uint32_t gen);

/* Make idx (from seg_obtain_free, eviction or compaction) head h's
 * segment, unless the head meanwhile got a usable one (then idx goes back to
 * the free stack). The old segment is sealed onto its FIFO. idx keeps what
 * it holds (a compacted segment arrives part full, with its generation and
 * queue). An empty idx joins h's queue: the main one for SEG_HEAD_REINSERT. */
void seg_install(struct arena *a, unsigned h, uint32_t idx, size_t size, uint32_t gen);

/* Seal head h's segment onto the FIFO (so that eviction may take it). */
void seg_seal_head(struct arena *a, unsigned h);

/* A free segment: from the free stack, else a drained or sealed segment
 * with no reference and no linked item. SEG_NONE if none. */
uint32_t seg_obtain_free(struct arena *a);

/* Claim the oldest sealed segment of queue q nobody references
 * (SEG_CLAIMED), after skipping at most max_skip referenced ones. SEG_NONE
 * if none. */
uint32_t seg_claim_oldest(struct arena *a, enum seg_queue q, unsigned max_skip);

/* Compaction: claim the sealed unreferenced segment with the most dead
 * bytes among the max_scan oldest of each queue, if it has at least need of
 * them beyond 8 per live item (the copies carry their cas), and take the
 * spare segment into *spare. SEG_NONE if there is no spare or no such
 * segment. */
uint32_t seg_claim_most_dead(struct arena *a, size_t need, unsigned max_scan, uint32_t *spare);

/* Sealed segments in each queue, read together. */
void seg_queue_lens(struct arena *a, uint32_t len[SEG_QUEUES]);

/* Take the spare segment (SEG_NONE if none). */
uint32_t seg_take_spare(struct arena *a);

/* Is there a spare segment? */
bool seg_has_spare(struct arena *a);

/* Keep idx (claimed, emptied, unreferenced) as the spare segment; if there
 * already is one (another thread refilled it), idx is freed instead. True
 * if idx became the spare. */
bool seg_set_spare(struct arena *a, uint32_t idx);

/* A claimed segment's fate: back to its FIFO's tail (not emptied), or to the
 * drain list (emptied, still referenced). */
void seg_requeue(struct arena *a, uint32_t idx, int q); /* q: SEG_Q_SAME keeps its queue */
void seg_drain(struct arena *a, uint32_t idx);

/* Free every sealed or draining segment without reference or linked item
 * (it stays resident, idle), and give back the pages of segments idle since
 * release_after seconds or more before now (never with -L). Returns how
 * many it freed. (Background maintenance.) */
size_t seg_collect_empty(struct arena *a, uint32_t now, uint32_t release_after);

/* Segments not free, and free ones still resident (for statistics). */
uint32_t seg_in_use(struct arena *a);
uint32_t seg_idle(struct arena *a);

#endif
