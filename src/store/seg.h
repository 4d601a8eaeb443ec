/*
 * seg.h: item memory as fixed-size segments, private to store/.
 *
 * An arena is a virtual range, reserved by the store and touched lazily
 * (RSS follows use), cut into segments of 2^seg_shift bytes aligned to
 * their size. nsegs is its ceiling (what its span can hold); at most limit
 * of them are in use at once (the byte budget, -m, which cache_memlimit
 * may move). Items are appended (bump allocation) to the active segment of
 * a "head": one per writer thread slot (SEG_HEADS) plus one for items that
 * eviction copies forward (SEG_HEAD_REINSERT). A full head's segment is
 * sealed onto its queue's FIFO (oldest first): writer heads feed the small
 * queue (new items), the reinsertion head the main queue (items that earned
 * a place by being read); eviction takes segments from either.
 *
 *   arena: | seg 0 | seg 1 | seg 2 | ...  (untouched) ...  | <- span
 *            ▲ head 0's active segment    segs[]: descriptors, free stack,
 *                                         FIFOs, drain list
 *
 * Why arenas (partitions) and 32-bit addresses: an item names the next one
 * in its index chain by a 32-bit address in ITEM_ALIGN units, and the index
 * buckets are 32-bit too, so one arena reaches SEG_ARENA_SPAN (16 GiB).
 * Wider addresses would add a byte or more to every item and bucket (a
 * small item takes ~70 bytes, so 1.5% or more for every cache, large or
 * not); aligning items to 8 bytes would reach only 32 GiB and waste 3 bytes
 * per item on average. Instead a store above 16 GiB has several arenas (a
 * power of two, at most one per index shard), each bound to the shards
 * shard % narenas: an address is relative to its shard's arena, which has
 * its own heads, free stack and FIFOs and evicts for its own shards only.
 * Keys hash uniformly over shards, so arenas fill evenly at those sizes.
 * The arenas sit SEG_ARENA_SPAN apart in one reservation, so an item's
 * arena follows from its pointer with one shift (store_core.h). With one
 * arena (-m up to 16 GiB) nothing of this shows.
 *
 * Runs: in a small store segments are smaller than the largest item
 * (seg_shift_for), and an item larger than a segment takes a run of n
 * contiguous segments. The first stands for the run: it is in the FIFO and
 * carries refs, live, the sequence and wpos (the item's size); the others
 * are TAIL, in no list, and count against the budget with it. A run holds
 * its one item and is sealed at once. When its first segment is freed,
 * released, made the spare or reused (seg_reuse), the run dissolves: every
 * segment goes back to the pool on its own. A run is taken first fit among
 * the touched free segments, else fresh: with at most limit segments in
 * use, the touched free ones form at most limit + 1 gaps, so the touched
 * range never grows past about (limit + 1) x n + limit, which
 * seg_shift_for keeps within the span (a budget raised far beyond by
 * cache_memlimit may fragment it: a large set then fails as out of memory).
 *
 * A segment's life: FREE ─install─▶ ACTIVE ─seal─▶ SEALED ─claim─▶ CLAIMED
 *   ─(emptied, refs 0)─▶ FREE, or ─(refs > 0)─▶ DRAINING ─(refs 0)─▶ FREE;
 *   a claimed segment that cannot be emptied (-M) goes back to SEALED.
 *
 * Free segments are of three kinds. Idle ones were used and are still
 * resident: they are handed out first, most recently freed first (warm in
 * cache and already backed by memory). Released ones gave their pages back
 * (the free stack); seg_collect_empty() gives back the pages of segments
 * idle for some time (a decay, as jemalloc does for dirty pages), so
 * resident memory follows use without a workload that shifts back and
 * forth faulting its memory in again each time. Fresh ones were never
 * handed out: those from ntouched on (in handing-out order), whose
 * descriptors nobody has written, so a 1 TiB arena costs nothing at start
 * (descriptors are mmap'd, zero and untouched until used).
 *
 * Locks: each head's mutex guards its segment's write offset; pool_lock
 * guards the free stack, idle list, FIFO, drain list, limit and segment
 * states. Order: a shard lock, then a head lock, then pool_lock (each
 * optional); never the other way round. refs and live are atomics.
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
/* What one arena spans: 2^32 addresses of ITEM_ALIGN bytes. Address 0 is
 * "none", so an item at offset o has address o / ITEM_ALIGN + 1; the last
 * item of a full span starts at least ITEM_SIZE_MIN_BYTES before its end,
 * so every address fits in 32 bits. */
#define SEG_ARENA_SHIFT 34u
#define SEG_ARENA_SPAN ((size_t)1 << SEG_ARENA_SHIFT)
_Static_assert(SEG_ARENA_SPAN / ITEM_ALIGN - ITEM_SIZE_MIN_BYTES / ITEM_ALIGN + 1u <= UINT32_MAX,
               "an arena's addresses fit in 32 bits");

/* FREE: idle (resident, on the idle list); RELEASED: pages given back (on
 * the free stack); TAIL: part of a run (above), owned by its first segment. */
enum seg_state {
    SEG_FREE,
    SEG_ACTIVE,
    SEG_SEALED,
    SEG_CLAIMED,
    SEG_DRAINING,
    SEG_RELEASED,
    SEG_TAIL,
};

/* The two FIFOs of sealed segments (S3-FIFO's small and main queues). */
enum seg_queue { SEG_Q_SMALL, SEG_Q_MAIN, SEG_QUEUES };

struct seg {
    atomic_uint refs;  /* lookups and reservations holding an item in it */
    atomic_uint live;  /* linked items in it */
    atomic_uint live_bytes; /* ... and their bytes */
    uint32_t wpos;     /* bytes written: under the head lock while ACTIVE, fixed after */
    uint32_t gen;      /* flush generation when it became ACTIVE */
    uint64_t seq;      /* when it became ACTIVE: unique, increasing (derives cas) */
    uint32_t prev, next; /* FIFO / drain / idle list links, under pool_lock; while
                          * RELEASED, prev is its place in the free stack */
    uint32_t tails;      /* a run's first segment: the segments after it that it owns */
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

/* A transparent huge page: arenas start on its boundary and are made
 * writable a huge page at a time (seg.c's writable_extend_locked). */
#define SEG_HUGE_PAGE ((size_t)2 << 20)

struct arena {
    char *base; /* aligned to the segment size; the store owns the mapping */
    unsigned seg_shift;
    uint32_t nsegs;  /* the ceiling: segments the span holds */
    uint32_t limit;  /* under pool_lock: segments that may be in use (the budget) */
    uint32_t ntouched; /* under pool_lock: segments ever handed out (fresh ones follow) */
    uint32_t nwritable; /* under pool_lock: segments made writable (>= ntouched) */
    bool top_down;   /* fresh segments from the top of the span (tests only) */
    struct seg *segs; /* nsegs descriptors, mmap'd: written only once handed out */
    struct seg_head heads[SEG_HEADS + 1];
    pthread_mutex_t pool_lock;
    uint32_t *free_stack; /* under pool_lock: released (free, not resident); mmap'd */
    uint32_t nfree;
    struct seg_list idle;  /* free and resident, longest idle at head */
    uint32_t clock;        /* seconds, as last given to seg_collect_empty() */
    bool keep_pages;       /* -L: pages are never given back */
    struct seg_list fifo[SEG_QUEUES]; /* SEALED, oldest at head */
    struct seg_list drain; /* DRAINING */
    uint32_t spare;        /* an empty segment kept for compaction (-M) or for the
                            * reinsertion head (eviction), or SEG_NONE */
    _Atomic uint64_t *next_seq; /* the store's: cas derivation needs unique sequences */
    _Alignas(64) _Atomic size_t used; /* bytes charged to this arena (store.c's accounting) */
} __attribute__((aligned(64)));

/* The segment size (log2) for a store of max_bytes holding items of up to
 * item_max bytes. */
unsigned seg_shift_for(size_t max_bytes, size_t item_max);

/* Set up an arena over [base, base + span) (base aligned to 2^shift; the
 * caller reserved it) with at most limit segments in use. keep_pages (-L):
 * pages are never given back. top_down (tests only): fresh segments are
 * handed out from the top of the span first. seq: the store's sequence
 * counter. Writes nothing per segment. 0, or -1 when memory is short. */
int seg_arena_init(struct arena *a, char *base, size_t span, unsigned shift, uint32_t limit,
                   bool keep_pages, bool top_down, _Atomic uint64_t *seq);
void seg_arena_fini(struct arena *a);

/* Move the budget to limit segments (at least 1, at most nsegs). Idle
 * segments beyond it give their pages back at once; segments in use beyond
 * it are the caller's to shed (seg_over_limit, seg_release). */
void seg_set_limit(struct arena *a, uint32_t limit);

/* More segments in use than the budget allows? */
bool seg_over_limit(struct arena *a);

/* A claimed, emptied, unreferenced segment (or run) goes back to the free
 * stack, giving its pages back (kept resident, idle, with keep_pages). */
void seg_release(struct arena *a, uint32_t idx);

/* ... or goes back to the pool resident, idle (handed out first). */
void seg_free(struct arena *a, uint32_t idx);

/* ... or stays claimed, as one empty segment for a head: a run gives the
 * segments after its first back to the pool. */
void seg_reuse(struct arena *a, uint32_t idx);

/* A run of n contiguous segments (n >= 2) for one item of size bytes,
 * within the budget: the address of its first byte, with a reference taken
 * for the caller, its run sealed onto the small queue; NULL if the budget
 * has no room for n more segments (the caller evicts) or, rarely, no n
 * free segments lie together. */
void *seg_take_run(struct arena *a, uint32_t n, size_t size, uint32_t gen);

static inline size_t seg_size(const struct arena *a)
{
    return (size_t)1 << a->seg_shift;
}

static inline uint32_t seg_of(const struct arena *a, const void *p)
{
    return (uint32_t)(((const char *)p - a->base) >> a->seg_shift);
}

static inline char *seg_start(const struct arena *a, uint32_t idx)
{
    return a->base + ((size_t)idx << a->seg_shift);
}

/* Item addresses in the index: 32 bits, relative to the arena, 0 = none. */
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

/* Seal head h's segment if it became the head's with a sequence below seq
 * (store_raise_cas: places in it would derive cas values under a floor). */
void seg_seal_head_before(struct arena *a, unsigned h, uint64_t seq);

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
void seg_requeue(struct arena *a, uint32_t idx); /* to the queue it was in */
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
