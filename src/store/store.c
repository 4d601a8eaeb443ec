/*
 * store.c: the storage engine behind store.h. Owns the memory limit,
 * eviction, expiry, flush, maintenance, statistics and iteration; the key
 * verbs (get, commit, delete, delta) are in verbs.c, the segments in seg.c,
 * the index in shard.c, the item layout in item.c. Knows nothing of
 * protocols or sockets.
 *
 * Layout (a log-structured store after Segcache, NSDI 2021):
 *
 *   key ──hash_key()──▶ top 6 bits ──▶ shard: mutex, table of uint32 bucket
 *                       low 32 bits ─▶ bucket ──▶ item ─next─▶ item ─▶ 0
 *                                                   │
 *   arena (mmap'd, lazily touched): | seg | seg | seg | ... |  2^k bytes each
 *     a segment: [item][item][item]......[free]   bump-allocated by a head
 *     item: next exptime atime state nkey vlen [flags] [cas] key value \r\n
 *
 * Items are written once, at a new place for every version; the cas of an
 * item is derived from its place, (segment sequence << bits) | offset, and
 * stored explicitly only when a caller chose it (meta E), when md x keeps
 * it, when eviction/compaction copies an item forward, or when a restore
 * brings an item back (restore.c, which also keeps every later cas above
 * a floor across restarts). An in-place md I
 * sets ITEM_CAS_BUMP: derived cas + 1, which no other item can have (items
 * are at least 5 address units long); a second md I writes a copy.
 *
 * Lock rules:
 *   - A thread holds at most ONE shard lock at a time.
 *   - Order: shard lock, then a head lock, then the pool lock (seg.h), each
 *     optional. maint_lock (flush, reclaim cursor) comes before a shard lock.
 *   - No allocation that can evict happens under a shard lock (eviction
 *     takes shard locks): verbs allocate first, then lock and check. The
 *     reinsertion head is only refilled from free or spare segments.
 *   - References pin SEGMENTS: taken under the shard lock of a linked item
 *     (or by the head lock for a reservation), dropped anywhere. A segment is
 *     claimed for eviction only with no reference; once claimed no reference
 *     can appear except from readers of items still linked, which is why an
 *     emptied segment still referenced waits on the drain list.
 *   - Unlinking clears ITEM_LINKED as its last access to the item and then
 *     drops the segment's live count: an evictor skips unlinked items without
 *     the lock and waits for live == 0 before reusing the segment.
 *
 * Eviction, after S3-FIFO (Yang et al., SOSP 2023) on segments: new items
 * are written by the writer heads into the SMALL queue; items that earn a
 * place go through the reinsertion head into the MAIN queue. When a writer
 * head needs a segment and none is free, dead space goes first: the
 * most-dead of the oldest COMPACT_SCAN sealed segments of either queue, if
 * at least COMPACT_DEAD_PCT of it is dead (overwritten or deleted versions),
 * is compacted into the spare (as with -M below), which serves the head, so
 * joins the small queue; its items keep their ACCESSED bit (compaction is
 * not a second chance), and items from the main queue leave with it set, so
 * that they return there rather than being evicted unread.
 * Otherwise the oldest sealed unreferenced segment is claimed, from the
 * small queue while it holds more than its share (below) of the sealed
 * segments, else from the main one, and walked. Each linked item is, under
 * its shard lock: unlinked if dead (expired or flushed; counted reclaimed);
 * copied to the reinsertion head, so into the main queue, if accessed since
 * written (the copy clears the bit, so every eviction frees at least what it
 * does not copy: in the main queue this is a second chance, CLOCK-like); else
 * evicted. So an item written once and never read leaves after a lap of the
 * small queue, not of the whole cache, and frequently read items stay.
 * When the reinsertion head runs out of room in a walk (no free segment,
 * the spare taken), the walk's remaining accessed items are evicted too.
 * Keeping them in place instead, and the victim whole in the main queue
 * with the holes of what it evicted,
 * left no emptied segment to be the next spare, so every later victim was
 * kept the same way: in a zipf 0.7 load at -m 64 (bench/memory --hit),
 * 35 segments in a row, items held fell from 510k to 303k and 44.7% of
 * gets missed; evicting them, 37.1% (memcached 47.4%). A
 * new version of an item that was accessed, or is in the main queue,
 * inherits ACCESSED (verbs.c): overwriting a hot key does not demote it.
 * Adaptive small queue (issue 26): the small queue's share starts at
 * its 40% ceiling and moves with ghosts. Every eviction leaves a ghost of
 * its key (a 30-bit tag of its hash and the queue it left from) in a
 * direct-mapped table of one slot per 256 bytes of -m, a slot holding the
 * latest eviction that hashed there; a lookup that misses and finds its
 * key's ghost takes it (one verdict per ghost) and moves the share: up
 * (SMALL_SHARE_GROW) if the small queue evicted the key (it was read,
 * only later than a lap of the small queue), down (SMALL_SHARE_SHRINK) if
 * the main queue did (the main queue was too small for what is read
 * again), between 10% and 40%, as ARC balances its two lists. Why: items
 * written and read once some time later (memcaslap, a job that writes
 * then reads back) left the 10% small queue unread before their read came,
 * where memcached's LRU keeps them for a lap of its whole size. With the
 * ghosts they are found once the small queue's lap is longer than their
 * delay (each key read once a quarter of the cache's writes after its
 * set, -m 64: 71% missed with the fixed 10%, 2.3% with the ghosts grown
 * from 10%, none from 40%, as memcached). A scan leaves ghosts no one asks
 * for, so it moves nothing; on a skewed load the main queue's ghost hits,
 * weighted ten to one, hold the share near 10%.
 * The ceiling itself moves with the hits: once the store evicts, every hit
 * counts for its item's queue (a load and a store under the key's lock),
 * and while a small-queue segment sees more than eight times the hits of
 * a main-queue one, the main queue holds items that are not read again
 * (promoted for one read): the ceiling and the share go to 90% (main-queue
 * ghosts still bring the share down); once a main-queue segment sees half
 * the hits of a small-queue one again, back to 40% at once. Why:
 * memcaslap's 50/50 mix at -m 256 reads each key about once, some while
 * after its set; the first fill promoted everything read into the main
 * queue (45% of the cache), which was never read again, and the 40% small
 * queue's lap was shorter than the reads' delay: 0.67% of gets missed
 * against memcached's 0.20% (six runs each). Growing the share by ghost
 * hits under the 90% ceiling, 0.03-0.09% against memcached's 0.00-0.10%;
 * going to 90% at once, none. A 90% ceiling for every load instead let a
 * zipf load grow the share until a scan in its middle flushed what it
 * held (the scan row, 23.4% missed instead of 18.5%): there the main
 * queue's segments see more hits than the small queue's, so the ceiling
 * stays at 40%, and every cache-aside row of bench/memory --hit misses
 * what it missed before, but for sizes that shift (the main queue keeps
 * the last size's items, then idle: -m 64, 24.15% missed instead of
 * 25.33%, 184k items held instead of 148k).
 * No readmission: S3-FIFO sends a new key whose ghost is found straight to
 * the main queue. Here that gained little on cache-aside loads (zipf 0.7
 * -m 64: 37.06% missed with it, 37.14% without; the scan row 18.21%,
 * 18.48%) and lost on memcaslap's 50/50 mix, whose sets bring evicted keys
 * back that are not read again (-m 16, three runs each: 79.97% missed with
 * it, 78.67% without, memcached 79.62%). Only misses consult the table (a
 * relaxed load), so a hit costs nothing more; until the first eviction not
 * even that (ghosts_left), and a store that never evicts never touches the
 * table's pages.
 * One spare segment is kept aside: the reinsertion head takes it when it
 * runs out, and the next emptied victim becomes the spare. With -M live
 * items are never evicted: the segment with the most dead bytes is
 * compacted into the spare, which then serves writes, and the emptied
 * victim becomes the spare. A victim a reader still holds goes to the
 * drain list instead, and the next compaction takes a free segment as its
 * spare (restore_spare()).
 *
 * Memory accounting: used = bytes of reserved and linked items (what
 * store_stats reports as used_bytes, summed over arenas); each arena may
 * have at most its share of max_bytes in segments in use (seg.h's limit),
 * so resident memory stays near -m whatever the item sizes. A store above
 * 16 GiB has several arenas, each bound to some of the shards (seg.h says
 * why): a write allocates, evicts and compacts in its key's arena only.
 * Segments are touched lazily; once more than DEAD_FIRST_PCT of the touched
 * ones is dead space, writers compact before touching more (mostly_dead()),
 * so a working set smaller than -m that is overwritten does not grow the
 * resident size to -m. A lowered budget (store_set_max_bytes) is reached by
 * shedding: the oldest segments are evicted and their pages given back
 * (SHED_PER_OBTAIN for each segment a writer takes, SHED_PER_PASS per
 * maintenance pass), rather than reused. memcached lowers its limit lazily
 * too (pages go back as its slab mover frees them).
 *
 * Flush: flush_state packs the flush generation (high 32 bits) and a pending
 * delayed flush time (low 32 bits). A segment records the generation when it
 * became active; heads switch segments when the generation moves, and items
 * in segments of an older generation are dead. (A reservation made before a
 * flush and committed after it is dead at once: a set racing with flush_all
 * may be lost, never resurrected.)
 *
 * Expiry is exact per item (item_dead() on every lookup). The reclaimer
 * walks the index, unlinking dead items, then frees every sealed segment
 * left without a linked item; segments that stay free for RELEASE_AFTER_S
 * give their pages back (MADV_DONTNEED).
 * Unlike Segcache, segments are not grouped by expiry time (its TTL
 * buckets, where whole segments expire together): writes are grouped by
 * thread, so expired items are found by that walk and by lookups.
 */
#include "store/store.h"

#include <assert.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/hash.h"
#include "common/prefetch.h"
#include "store/item.h"
#include "store/seg.h"
#include "store/shard.h"
#include "store/store_core.h"

#define INITIAL_BUCKETS 1024u /* per shard: 64k in all */
#define ALLOC_ROUNDS 8        /* head refills before a reservation gives up */
#define OBTAIN_TRIES 64       /* segments examined per refill */
#define CLAIM_SKIP 64         /* referenced segments skipped per claim */
/* Tries after which a walk whose copies took a whole segment sends the next
 * one to the main queue (obtain_segment() says why). */
#define MAIN_AFTER_TRIES 8
#define ITEM_SIZE_MIN 1024u
#define COMPACT_SCAN 64       /* oldest sealed segments a compaction considers */
/* Seconds a free segment stays resident before it gives its pages back.
 * Giving them back at once made a workload that shifts back and forth pay
 * for faulting its memory in again each time: 4 KB sets after a phase of
 * 32 B overwrites of the same keys ran at 160-172k requests/s and 5.4-5.7
 * us/op for the first 4 s, against 209-230k and 3.9-4.3 with the pages kept
 * (on this VM, memory given back to the host costs 2.4 ms per MB to touch
 * again). A minute keeps such shifts cheap; memcached never gives memory
 * back at all. */
#define RELEASE_AFTER_S 60
#define COMPACT_DEAD_PCT 10   /* dead share of a segment worth compacting, not evicting
                               * (10 holds more items than 20 at -m 16: +15%) */
#define DEAD_FIRST_PCT 50     /* dead share of touched memory that compacts before growing */
#define DEAD_FIRST_MIN_SEGS 16
/* The small queue's share of sealed segments, in basis points: it starts at
 * its ceiling and moves between these bounds with the ghosts' verdicts
 * ("adaptive small queue" at the top of the file). Starting at S3-FIFO's
 * 10% instead, each key read once a quarter of the cache's writes after its
 * set missed 2.26% of reads (bench/memory --hit, later row, -m 64 and 16)
 * while the ghosts grew the share, where memcached misses none; from 40%,
 * none. A skewed load's main-queue ghosts bring it down within ~30 misses. */
#define SMALL_SHARE_START SMALL_SHARE_MAX
#define SMALL_SHARE_MIN 1000
/* 40%: enough for reads a sixth of the cache's items after their write;
 * with 90% a zipf load grew the share so far that a scan in its middle
 * flushed the main queue (bench/memory --hit, scan row, -m 64: 18.3% missed
 * with 10% fixed or at most 40%, 23.4% at most 90%; memcached 23.9%) */
#define SMALL_SHARE_MAX 4000
/* The ceiling while the main queue's items are hardly read again
 * ("adaptive small queue" at the top of the file; update_ceiling()). A
 * ratio of 4 instead of 8 raised it at times under zipf 0.7 (bench/memory
 * --hit, -m 16: 37.57% missed instead of 37.23%); at 8 and 16 every
 * cache-aside row misses exactly what it missed with a fixed 40% ceiling. */
#define SMALL_SHARE_HIGH 9000
#define CEILING_DENSITY_RATIO 8
/* Back to SMALL_SHARE_MAX only once a main-queue segment sees at least half
 * the hits of a small-queue one (between the two ratios the ceiling stays):
 * under the high ceiling the main queue is a tenth of the store, where a
 * handful of hits moves its density a lot. */
#define CEILING_BACK_RATIO 2
#define CEILING_MIN_HITS 1000
#define SMALL_SHARE_GROW 10    /* per small-queue ghost hit: 0.1 point */
/* per main-queue ghost hit: ten times as much, as S3-FIFO's 10% suits skewed
 * loads (bench/memory --hit, zipf 0.7 at -m 64, mnemod's miss ratio: fixed
 * 10% 38.9%; with a shrink step of 10 41.4%, of 40 39.7%, of 100 39.4%) */
#define SMALL_SHARE_SHRINK 100
#define GHOST_BYTES_PER_SLOT 256 /* one ghost slot for every 256 bytes of -m */
#define GHOST_SLOTS_MIN 1024u
#define GHOST_SLOTS_MAX (1u << 26) /* 256 MB of address space, touched as evictions come */
/* Segments shed per segment a writer obtains while over a lowered budget
 * (so usage falls to it as writes come), and per maintenance pass and
 * arena (so it falls without writes too, a pass every second at most). */
#define SHED_PER_OBTAIN 4
#define SHED_PER_PASS 64

/* ---- items and their accounting ---- */

uint64_t core_cas(const struct store *s, const struct item *it)
{
    if (!s->cfg.use_cas)
        return 0;
    if (item_state(it) & ITEM_HAS_CAS)
        return item_cas_slot(it);
    return core_cas_derived(s, it);
}

uint64_t core_cas_derived(const struct store *s, const struct item *it)
{
    const struct arena *a = core_arena_of(s, it);
    uint32_t idx = seg_of(a, it);
    size_t off = (size_t)((const char *)it - seg_start(a, idx)) / ITEM_ALIGN;
    /* Items are at least 5 units long, so off + 1 is no other item's. */
    off += (item_state(it) & ITEM_CAS_BUMP) ? 1u : 0u;
    return (a->segs[idx].seq << (a->seg_shift - 2)) | off;
}

uint64_t store_item_cas(const struct store *s, const struct item *it)
{
    return core_cas(s, it);
}

void core_discard(struct store *s, struct item *it)
{
    struct arena *a = core_arena_of(s, it);
    atomic_fetch_sub_explicit(&a->used, item_size(it), memory_order_relaxed);
    seg_unref(a, it);
}

void core_link_locked(struct store *s, struct shard *sh, struct item *it, uint32_t hv)
{
    struct arena *a = core_arena_of(s, it);
    struct seg *sg = &a->segs[seg_of(a, it)];
    shard_link_locked(sh, a, it, hv);
    atomic_fetch_add(&sg->live_bytes, (unsigned)item_size(it));
    atomic_fetch_add(&sg->live, 1);
}

void core_unlink_locked(struct store *s, struct shard *sh, struct item *it, uint32_t hv)
{
    /* An evictor walking the item's segment skips it, unlocked, once LINKED
     * is clear, then waits for live to reach 0 before reusing the segment:
     * so the item is read before the bit is cleared, and live drops last. */
    struct arena *a = core_arena_of(s, it);
    struct seg *sg = &a->segs[seg_of(a, it)];
    size_t size = item_size(it);
    atomic_fetch_sub_explicit(&a->used, size, memory_order_relaxed);
    atomic_fetch_sub(&sg->live_bytes, (unsigned)size);
    shard_unlink_locked(sh, a, it, hv, size);
    atomic_fetch_sub_explicit(&sg->live, 1, memory_order_release);
}

/* ---- ghosts: the adaptive small queue ---- */

/* A key's ghost tag: 30 bits of its hash other than the slot's, never 0
 * (an empty slot); bit 0 the queue that evicted it (1: main), bit 1 set
 * once a miss has taken the ghost's verdict on the share. */
#define GHOST_FROM_MAIN 1u
#define GHOST_JUDGED 2u
#define GHOST_FLAGS (GHOST_FROM_MAIN | GHOST_JUDGED)

static uint32_t ghost_tag(uint64_t h)
{
    uint32_t t = (uint32_t)(h >> 32) & ~GHOST_FLAGS;
    return t != 0 ? t : 4u;
}

/* An eviction: remember the key and the queue it left from, in place of
 * whatever ghost had its slot (so the ghosts are roughly the most recent
 * evictions, about as many as the items a full store holds). */
static void ghost_record(struct store *s, uint64_t h, bool from_main)
{
    if (!atomic_load_explicit(&s->ghosts_left, memory_order_relaxed))
        atomic_store_explicit(&s->ghosts_left, true, memory_order_relaxed);
    atomic_store_explicit(&s->ghost[(uint32_t)h & s->ghost_mask],
                          ghost_tag(h) | (from_main ? GHOST_FROM_MAIN : 0u),
                          memory_order_relaxed);
}

void core_ghost_miss_slow(struct store *s, uint64_t h)
{
    _Atomic uint32_t *slot = &s->ghost[(uint32_t)h & s->ghost_mask];
    uint32_t v = atomic_load_explicit(slot, memory_order_relaxed);
    if ((v & ~GHOST_FLAGS) != ghost_tag(h) || (v & GHOST_JUDGED))
        return;
    /* one verdict per ghost, whoever takes it first; the ghost stays (its
     * slot goes to the next eviction that hashes there) */
    if (!atomic_compare_exchange_strong_explicit(slot, &v, v | GHOST_JUDGED,
                                                 memory_order_relaxed, memory_order_relaxed))
        return;
    bool from_main = v & GHOST_FROM_MAIN;
    atomic_fetch_add_explicit(from_main ? &s->ghost_hits_main : &s->ghost_hits_small, 1,
                              memory_order_relaxed);
    uint32_t ceiling = atomic_load_explicit(&s->small_ceiling, memory_order_relaxed);
    uint32_t cur = atomic_load_explicit(&s->small_share, memory_order_relaxed);
    for (;;) {
        uint32_t next = from_main ? (cur > SMALL_SHARE_MIN + SMALL_SHARE_SHRINK
                                         ? cur - SMALL_SHARE_SHRINK : SMALL_SHARE_MIN)
                                  : (cur + SMALL_SHARE_GROW < ceiling
                                         ? cur + SMALL_SHARE_GROW : ceiling);
        if (next == cur ||
            atomic_compare_exchange_weak_explicit(&s->small_share, &cur, next,
                                                  memory_order_relaxed, memory_order_relaxed))
            return;
    }
}

/* ---- eviction ---- */

/* Bytes a forward copy of it takes (it carries its cas explicitly). */
static size_t copy_size(const struct store *s, const struct item *it)
{
    return item_size_for(it->nkey, item_vlen(it), item_flags(it) != 0, s->cfg.use_cas);
}

/* Copy a linked item to `fresh` (copy_size() bytes, nobody else's) and put
 * the copy in its place: same key, value, flags, cas, times and meta state;
 * ACCESSED cleared. */
static void copy_forward_locked(struct store *s, struct shard *sh, struct item *it, uint32_t hv,
                                struct item *fresh, uint8_t keep)
{
    struct arena *a = core_arena_of(s, it); /* fresh's too: a copy stays in its arena */
    uint32_t vlen = item_vlen(it);
    size_t old_size = item_size(it);

    item_init(fresh, item_key(it), it->nkey, item_flags(it), item_exptime_load(it), vlen,
              s->cfg.use_cas);
    memcpy(item_data(fresh), item_value(it), vlen);
    if (s->cfg.use_cas)
        item_cas_slot_store(fresh, core_cas(s, it));
    item_atime_store(fresh, item_atime_load(it));
    item_key_binary_copy(fresh, it);
    item_state_set(fresh, item_state(it) & keep);
    size_t size = item_size(fresh);
    struct seg *to = &a->segs[seg_of(a, fresh)];
    struct seg *from = &a->segs[seg_of(a, it)];
    atomic_fetch_add(&to->live_bytes, (unsigned)size);
    atomic_fetch_add(&to->live, 1);
    atomic_fetch_add_explicit(&a->used, size, memory_order_relaxed);
    atomic_fetch_sub_explicit(&a->used, old_size, memory_order_relaxed);
    atomic_fetch_sub(&from->live_bytes, (unsigned)old_size);
    shard_replace_locked(sh, a, it, fresh, hv);
    atomic_fetch_sub(&from->live, 1);
}

/* Copy a live, recently accessed item into the reinsertion head (a second
 * chance). False if the head has no room and no free segment is left
 * (*short_of_room set). */
static bool reinsert_locked(struct store *s, struct shard *sh, struct item *it, uint32_t hv,
                            uint32_t gen, bool *short_of_room)
{
    struct arena *a = core_arena_of(s, it);
    size_t size = copy_size(s, it);

    if (size > seg_size(a) / 8)
        return false; /* big items are not worth a copy */
    struct item *fresh = seg_bump(a, SEG_HEAD_REINSERT, size, gen);
    if (fresh == NULL) {
        uint32_t idx = seg_obtain_free(a);
        if (idx == SEG_NONE)
            idx = seg_take_spare(a); /* eviction replenishes it */
        if (idx != SEG_NONE) {
            seg_install(a, SEG_HEAD_REINSERT, idx, size, gen);
            fresh = seg_bump(a, SEG_HEAD_REINSERT, size, gen);
        }
        if (fresh == NULL) {
            *short_of_room = true;
            return false;
        }
    }
    copy_forward_locked(s, sh, it, hv, fresh, ITEM_META_BITS);
    seg_unref(a, fresh);
    return true;
}

/* What walking a claimed segment left in it. */
enum walk_result {
    WALK_EMPTIED,  /* no linked item: the segment can be reused */
    WALK_LIVE,     /* -M: a live item cannot be evicted */
};

/* Remove one item of a claimed segment from the index (see the top of the
 * file): once *short_of_room (the reinsertion head is out of segments), an
 * accessed item is evicted too, its ghost left to bring it back. */
static enum walk_result evict_item(struct store *s, struct item *it, bool *short_of_room)
{
    uint64_t h = hash_key(item_key(it), it->nkey);
    uint32_t hv = (uint32_t)h;
    struct shard *sh = &s->shards[shard_of_hash(h)];
    uint32_t now = clock_now();
    enum walk_result r = WALK_EMPTIED;

    pthread_mutex_lock(&sh->lock);
    uint32_t gen = flush_gen(s, now);
    uint8_t st = item_state(it);
    if (st & ITEM_LINKED) {
        if (item_dead(s, it, now, gen)) {
            core_unlink_locked(s, sh, it, hv);
            sh->reclaimed++;
            if ((st & ITEM_FETCHED) == 0)
                sh->expired_unfetched++;
        } else if (!s->cfg.evict) {
            r = WALK_LIVE;
        } else if ((st & ITEM_ACCESSED) && !*short_of_room &&
                   reinsert_locked(s, sh, it, hv, gen, short_of_room)) {
            /* kept: a second chance */
        } else {
            ghost_record(s, h, core_in_main_queue(s, it));
            core_unlink_locked(s, sh, it, hv);
            sh->evictions++;
            if ((st & ITEM_FETCHED) == 0)
                sh->evicted_unfetched++;
        }
    }
    pthread_mutex_unlock(&sh->lock);
    return r;
}

/* Walk a claimed segment, taking each of its linked items out of the index. */
static enum walk_result empty_segment(struct store *s, struct arena *a, uint32_t idx)
{
    char *p = seg_start(a, idx);
    char *end = p + a->segs[idx].wpos;
    bool short_of_room = false;

    while (p < end) {
        struct item *it = (struct item *)p;
        size_t size = item_size(it);
        if ((__atomic_load_n(&it->state, __ATOMIC_ACQUIRE) & ITEM_LINKED) &&
            evict_item(s, it, &short_of_room) == WALK_LIVE)
            return WALK_LIVE;
        p += size;
    }
    return WALK_EMPTIED;
}

/* Wait for unlinks by other threads still finishing in a walked segment
 * (shard.h): no new link can appear there (nobody holds a reservation), so
 * live only falls, within a few instructions. */
static bool wait_unlinked(struct arena *a, uint32_t idx)
{
    for (unsigned spin = 0; atomic_load(&a->segs[idx].live) != 0; spin++) {
        if (spin > 1000000)
            return false; /* cannot happen; never reuse it if it does */
        sched_yield();
    }
    return true;
}

/* Compact the segment with the most dead bytes (among the max_scan oldest
 * of each queue) into the spare one, which is returned part full for a
 * writer head (so in the small queue), and the emptied segment becomes the
 * spare. A main-queue item moved keeps its place there by leaving with
 * ACCESSED set (it is promoted again when it leaves the small queue);
 * others keep their bit (compaction is not a second chance). SEG_NONE if no
 * segment has `need` dead bytes. No lock held. */
static uint32_t compact_segment(struct store *s, struct arena *a, size_t need, unsigned max_scan)
{
    uint32_t spare = SEG_NONE;
    uint32_t v = seg_claim_most_dead(a, need, max_scan, &spare);
    if (v == SEG_NONE)
        return SEG_NONE;
    struct seg *to = &a->segs[spare];
    uint32_t now = clock_now();
    to->gen = flush_gen(s, now);
    to->wpos = 0;
    atomic_store_explicit(&to->queue, SEG_Q_SMALL, memory_order_relaxed);
    bool from_main = s->cfg.evict && atomic_load_explicit(&a->segs[v].queue,
                                                          memory_order_relaxed) == SEG_Q_MAIN;

    char *p = seg_start(a, v);
    char *end = p + a->segs[v].wpos;
    while (p < end) {
        struct item *it = (struct item *)p;
        size_t size = item_size(it);
        p += size;
        if (!(__atomic_load_n(&it->state, __ATOMIC_ACQUIRE) & ITEM_LINKED))
            continue;
        uint64_t h = hash_key(item_key(it), it->nkey);
        struct shard *sh = &s->shards[shard_of_hash(h)];
        pthread_mutex_lock(&sh->lock);
        uint32_t gen = flush_gen(s, now);
        uint8_t st = item_state(it);
        if (st & ITEM_LINKED) {
            if (item_dead(s, it, now, gen)) {
                core_unlink_locked(s, sh, it, (uint32_t)h);
                sh->reclaimed++;
                if ((st & ITEM_FETCHED) == 0)
                    sh->expired_unfetched++;
            } else {
                /* fits: the victim's live bytes plus 8 per item, read once
                 * nothing referenced it (seg_claim_most_dead), are <= its
                 * wpos <= the segment size */
                assert(to->wpos + copy_size(s, it) <= seg_size(a));
                struct item *fresh = (struct item *)(seg_start(a, spare) + to->wpos);
                to->wpos += (uint32_t)copy_size(s, it);
                copy_forward_locked(s, sh, it, (uint32_t)h, fresh,
                                    ITEM_META_BITS | ITEM_ACCESSED);
                if (from_main)
                    item_state_set(fresh, ITEM_ACCESSED);
            }
        }
        pthread_mutex_unlock(&sh->lock);
    }
    if (wait_unlinked(a, v) && atomic_load(&a->segs[v].refs) == 0)
        seg_set_spare(a, v);
    else
        seg_drain(a, v); /* a reader holds one of its items: a spare later */
    return spare;
}

/* At each victim (a segment's worth of writes), the hits since the last
 * look (at least CEILING_MIN_HITS of them; the first look only starts the
 * count, so that the hits of the first fill, all in the small queue, do
 * not count) decide the small queue's ceiling ("adaptive small queue" at
 * the top of the file): SMALL_SHARE_HIGH, and the share with it, while
 * each small-queue segment saw more than CEILING_DENSITY_RATIO times the
 * hits of a main-queue segment; SMALL_SHARE_MAX once it saw at most
 * CEILING_BACK_RATIO times as many, and a share above that comes down at
 * once. The sums are 128 relaxed loads a segment. */
/* Hits on items of each queue since the first eviction, over every shard. */
static void queue_hits(const struct store *s, uint64_t *main, uint64_t *small)
{
    *main = *small = 0;
    for (unsigned i = 0; i < SHARD_COUNT; i++) {
        *main += atomic_load_explicit(&s->shards[i].hits_main, memory_order_relaxed);
        *small += atomic_load_explicit(&s->shards[i].hits_small, memory_order_relaxed);
    }
}

static void update_ceiling(struct store *s, uint32_t small, uint32_t main)
{
    if (pthread_mutex_trylock(&s->ceiling_lock) != 0)
        return;
    uint64_t hm, hs;
    queue_hits(s, &hm, &hs);
    uint64_t dm = hm - s->seen_hits_main, ds = hs - s->seen_hits_small;
    if (!s->ceiling_started) {
        s->ceiling_started = true;
        s->seen_hits_main = hm;
        s->seen_hits_small = hs;
    } else if (dm + ds >= CEILING_MIN_HITS) {
        s->seen_hits_main = hm;
        s->seen_hits_small = hs;
        uint32_t was = atomic_load_explicit(&s->small_ceiling, memory_order_relaxed);
        /* A main queue smaller than under the high ceiling is not judged
         * idle: one just begun (the first promotions of a warm-up, their
         * hot items still mostly in the small queue) has had no time to be
         * read. Judged, a zipf load's first main segment raised the ceiling
         * at -m 256, and the scan row missed 21.96% instead of 17.38%. */
        bool judged =
            (uint64_t)main * 10000 >= (uint64_t)(small + main) * (10000 - SMALL_SHARE_HIGH);
        bool main_idle = judged && ds * main > (uint64_t)CEILING_DENSITY_RATIO * dm * small;
        bool main_read = ds * main <= (uint64_t)CEILING_BACK_RATIO * dm * small;
        uint32_t ceiling = main_idle ? SMALL_SHARE_HIGH : main_read ? SMALL_SHARE_MAX : was;
        atomic_store_explicit(&s->small_ceiling, ceiling, memory_order_relaxed);
        uint32_t cur = atomic_load_explicit(&s->small_share, memory_order_relaxed);
        if (main_idle) /* its room is worth more to the small queue at once */
            atomic_store_explicit(&s->small_share, ceiling, memory_order_relaxed);
        while (cur > ceiling &&
               !atomic_compare_exchange_weak_explicit(&s->small_share, &cur, ceiling,
                                                      memory_order_relaxed, memory_order_relaxed))
            ;
    }
    pthread_mutex_unlock(&s->ceiling_lock);
}

/* The queue that gives up its oldest segment: the small one while it holds
 * more than its share of the sealed segments (S3-FIFO's 10% at first, then
 * what the ghosts say), else the main one. */
static enum seg_queue victim_queue(struct store *s, struct arena *a)
{
    uint32_t len[SEG_QUEUES];
    seg_queue_lens(a, len); /* one pool lock, one consistent pair */
    uint32_t small = len[SEG_Q_SMALL];
    uint32_t main = len[SEG_Q_MAIN];
    if (main == 0)
        return SEG_Q_SMALL;
    if (small == 0)
        return SEG_Q_MAIN;
    update_ceiling(s, small, main);
    uint64_t share = atomic_load_explicit(&s->small_share, memory_order_relaxed);
    return (uint64_t)small * 10000 >= (uint64_t)(small + main) * share ? SEG_Q_SMALL : SEG_Q_MAIN;
}

/* Is more than DEAD_FIRST_PCT of the memory touched so far dead space? Then
 * a write compacts before it takes a fresh segment: overwrites of a working
 * set smaller than -m keep resident memory near twice the live data (a 200 MB
 * working set of 4 KB values overwritten at -m 1024: 406 MB instead of 1 GB,
 * and no page faults once there). Small stores skip it: there the heads'
 * unused room would read as dead. */
static bool mostly_dead(struct arena *a)
{
    size_t in_use = seg_in_use(a);
    if (in_use < DEAD_FIRST_MIN_SEGS)
        return false;
    size_t touched = in_use << a->seg_shift;
    size_t used = atomic_load_explicit(&a->used, memory_order_relaxed);
    return touched > used && (touched - used) * 100 > touched * DEAD_FIRST_PCT;
}

/* What becomes of a segment evict_oldest() emptied. */
enum emptied_fate {
    EMPTIED_RELEASED, /* its pages given back: over a lowered budget */
    EMPTIED_TO_POOL,  /* free, resident (or the spare, if there is none): room for a run */
};

/* Evict the oldest segment of the victim queue (or of the other one). False
 * if no segment could be emptied (all referenced, or live with -M). No lock
 * held. */
static bool evict_oldest(struct store *s, struct arena *a, enum emptied_fate fate)
{
    enum seg_queue q = victim_queue(s, a);
    uint32_t idx = seg_claim_oldest(a, q, CLAIM_SKIP);
    if (idx == SEG_NONE)
        idx = seg_claim_oldest(a, q == SEG_Q_SMALL ? SEG_Q_MAIN : SEG_Q_SMALL, CLAIM_SKIP);
    if (idx == SEG_NONE)
        return false;
    if (empty_segment(s, a, idx) == WALK_LIVE) {
        seg_requeue(a, idx);
        return false;
    }
    if (!wait_unlinked(a, idx)) {
        seg_requeue(a, idx);
        return false;
    }
    if (atomic_load(&a->segs[idx].refs) != 0)
        seg_drain(a, idx); /* freed by maintenance, released if still over */
    else if (fate == EMPTIED_RELEASED)
        seg_release(a, idx);
    else if (!seg_has_spare(a))
        seg_set_spare(a, idx); /* the walk's copies took it (obtain_segment) */
    else
        seg_free(a, idx);
    return true;
}

/* Compaction needs the spare. A victim still referenced after its copies
 * (a reply being sent, a snapshot's slice) goes to the drain list instead
 * of becoming the next spare; an eviction would make one, but a store not
 * yet full evicts nothing, so the spare is taken from the free segments.
 * Without it, overwrites under a running snapshot stopped compaction for
 * good: 4 KB sets at p16 over 50,000 keys with persistence on, the arena
 * grew by the write rate (1.7 GB in 6 s for 200 MB of items, every new
 * page faulted in: 30% of the server's CPU in clear_page). */
static void restore_spare(struct arena *a)
{
    if (seg_has_spare(a))
        return;
    uint32_t idx = seg_obtain_free(a);
    if (idx != SEG_NONE)
        seg_set_spare(a, idx);
}

/* A free segment, evicting the oldest if needed (with -M: only dead items,
 * compacting). SEG_NONE when nothing can be freed (everything referenced,
 * or live with -M). No lock held. */
static uint32_t obtain_segment(struct store *s, struct arena *a, size_t need)
{
    /* a lowered budget: give back memory as the writes come */
    for (unsigned k = 0; k < SHED_PER_OBTAIN && seg_over_limit(a); k++) {
        if (!evict_oldest(s, a, EMPTIED_RELEASED))
            break;
    }
    if (s->cfg.evict && mostly_dead(a)) {
        /* a victim at least half dead: each copied byte frees one or more */
        restore_spare(a);
        uint32_t idx =
            compact_segment(s, a, seg_size(a) / 2 > need ? seg_size(a) / 2 : need, COMPACT_SCAN);
        if (idx != SEG_NONE)
            return idx;
    }
    /* A walk whose read items' copies (8 bytes of cas larger each) took as
     * much as it freed gives the caller nothing. When the store first fills,
     * everything is in the small queue and may all have been read: each
     * victim is copied whole until the main queue holds its share, more
     * victims than OBTAIN_TRIES above ~200 segments (a write of the later
     * row failed so at -m 256, main and this branch alike). After
     * MAIN_AFTER_TRIES such walks the main queue's oldest goes instead: its
     * items were copied there, not read since. Switching at the first such
     * walk, a zipf 0.7 load missed 46% instead of 37% (-m 64). */
    bool copied_whole = false;
    for (int tries = 0; tries < OBTAIN_TRIES; tries++) {
        uint32_t idx = seg_obtain_free(a);
        if (idx != SEG_NONE)
            return idx;
        if (!s->cfg.evict) {
            restore_spare(a);
            idx = compact_segment(s, a, need, UINT32_MAX);
            if (idx != SEG_NONE)
                return idx;
        } else {
            /* reclaim dead space (overwritten, deleted versions) before
             * evicting live items: a segment among the oldest that is at least
             * COMPACT_DEAD_PCT dead is compacted instead (its live items keep
             * their access bits, not their age) */
            size_t want = seg_size(a) * COMPACT_DEAD_PCT / 100;
            idx = compact_segment(s, a, want > need ? want : need, COMPACT_SCAN);
            if (idx != SEG_NONE)
                return idx;
        }
        enum seg_queue q =
            copied_whole && tries >= MAIN_AFTER_TRIES ? SEG_Q_MAIN : victim_queue(s, a);
        idx = seg_claim_oldest(a, q, CLAIM_SKIP);
        if (idx == SEG_NONE)
            idx = seg_claim_oldest(a, q == SEG_Q_SMALL ? SEG_Q_MAIN : SEG_Q_SMALL, CLAIM_SKIP);
        if (idx == SEG_NONE)
            return SEG_NONE;
        copied_whole = false;
        enum walk_result w = empty_segment(s, a, idx);
        if (w == WALK_LIVE) {
            seg_requeue(a, idx); /* -M: its dead items are gone, the live stay */
            continue;
        }
        if (!wait_unlinked(a, idx)) {
            seg_requeue(a, idx);
            continue;
        }
        if (atomic_load(&a->segs[idx].refs) != 0) {
            seg_drain(a, idx); /* a reader holds one of its items */
            continue;
        }
        seg_reuse(a, idx); /* claimed and empty: ours alone */
        if (!seg_has_spare(a)) {
            /* the reinsertion head took the spare: this one replaces it,
             * and another segment is evicted for the caller */
            seg_set_spare(a, idx);
            copied_whole = true;
            continue;
        }
        return idx;
    }
    return SEG_NONE;
}

/* Each thread appends to one head, so one thread's writes stay in order. */
static unsigned my_head(void)
{
    static atomic_uint next_head;
    static __thread unsigned head = UINT32_MAX;
    if (head == UINT32_MAX)
        head = atomic_fetch_add_explicit(&next_head, 1, memory_order_relaxed) % SEG_HEADS;
    return head;
}

/* A head writes its segment front to back, into memory last written long
 * ago: each large value's copy stalled on cache misses line after line
 * (a 4 KB set spent about 0.35 us there). After a large item is placed,
 * the space the next one of its size would take is asked for, so that the
 * next copy finds it cached; the gap between two sets is long enough for
 * it to arrive. Measured at pipeline 1 with 4 KB values, 90% sets: 3-8%
 * less CPU per request. Small items are left alone: the next one mostly
 * lands in the line just written or the one beside it. */
#define PREFETCH_NEXT_MIN 1024u
#define PREFETCH_NEXT_MAX 4096u

static void prefetch_next_item(const struct item *it, size_t size)
{
    if (size >= PREFETCH_NEXT_MIN)
        prefetch_range_for_write((const char *)it + size,
                                 size < PREFETCH_NEXT_MAX ? size : PREFETCH_NEXT_MAX);
}

/* An item larger than a segment (a small store's, seg_shift_for): a run of
 * segments of its own (seg.h), evicting the oldest segments until the budget
 * has room for it. Its copy is never moved (reinsert_locked and compaction
 * leave items that large alone): it stays in the small queue until read or
 * evicted, as memcached's large items stay in their slab class's LRU. */
static enum store_status alloc_run(struct store *s, struct arena *a, const char *key, size_t nkey,
                                   uint32_t flags, uint32_t exptime, uint32_t vlen, bool with_cas,
                                   size_t size, struct item **out)
{
    uint32_t n = (uint32_t)((size + seg_size(a) - 1u) >> a->seg_shift);
    bool collected = false;
    for (int tries = 0; tries < OBTAIN_TRIES; tries++) {
        struct item *it = seg_take_run(a, n, size, flush_gen(s, clock_now()));
        if (it != NULL) {
            item_init(it, key, nkey, flags, exptime, vlen, with_cas);
            atomic_fetch_add_explicit(&a->used, size, memory_order_relaxed);
            *out = it;
            return STORE_OK;
        }
        /* segments left without a linked item anywhere in the queues first
         * (with -M they are the only room there is), then the oldest */
        if (!collected) {
            collected = true;
            if (seg_collect_empty(a, clock_now(), RELEASE_AFTER_S) > 0)
                continue;
        }
        if (!evict_oldest(s, a, EMPTIED_TO_POOL))
            break;
    }
    return STORE_ENOMEM;
}

enum store_status core_alloc_item(struct store *s, const char *key, size_t nkey, uint32_t flags,
                                  uint32_t exptime, uint32_t vlen, bool with_cas,
                                  struct item **out)
{
    /* one arena: skip the hash (it is taken again to link the item) */
    struct arena *a = s->narenas == 1 ? &s->arenas[0] : core_hash_arena(s, hash_key(key, nkey));
    with_cas = with_cas && s->cfg.use_cas;
    size_t size = item_size_for(nkey, vlen, flags != 0, with_cas);
    unsigned h = my_head();
    bool sealed = false;

    if (size > seg_size(a))
        return alloc_run(s, a, key, nkey, flags, exptime, vlen, with_cas, size, out);
    for (int round = 0; round < ALLOC_ROUNDS; round++) {
        uint32_t gen = flush_gen(s, clock_now());
        struct item *it = seg_bump(a, h, size, gen);
        if (it != NULL) {
            item_init(it, key, nkey, flags, exptime, vlen, with_cas);
            atomic_fetch_add_explicit(&a->used, size, memory_order_relaxed);
            prefetch_next_item(it, size);
            *out = it;
            return STORE_OK;
        }
        uint32_t idx = obtain_segment(s, a, size);
        if (idx == SEG_NONE) {
            if (sealed)
                break;
            /* maybe only our own head's segment is left: let eviction see it */
            seg_seal_head(a, h);
            sealed = true;
            continue;
        }
        seg_install(a, h, idx, size, gen);
    }
    return STORE_ENOMEM;
}

/* ---- lifecycle ---- */

size_t store_max_bytes(void)
{
    /* one arena of 32-bit item addresses per index shard (seg.h) */
    return (size_t)STORE_ARENAS_MAX << SEG_ARENA_SHIFT;
}

/* Arenas for max_bytes: the fewest (a power of two) that each stay within
 * the reach of 32-bit addresses. */
static unsigned arenas_for(size_t max_bytes)
{
    unsigned n = 1;
    while (n < STORE_ARENAS_MAX && max_bytes > ((size_t)n << SEG_ARENA_SHIFT))
        n *= 2;
    return n;
}

/* Each arena's share of a budget of max_bytes, in segments (at least 1). */
static uint32_t arena_limit(const struct store *s, unsigned shift, size_t max_bytes)
{
    size_t n = (max_bytes >> shift) / s->narenas;
    return n == 0 ? 1u : n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

/* Fault in every page of [p, p + len) for writing: one madvise where the
 * kernel has MADV_POPULATE_WRITE (5.14), else a write per page. 0, or -1
 * when memory is short. */
static int populate(char *p, size_t len)
{
    if (mprotect(p, len, PROT_READ | PROT_WRITE) != 0) /* the span is PROT_NONE */
        return -1;
    if (madvise(p, len, MADV_POPULATE_WRITE) == 0)
        return 0;
    if (errno != EINVAL)
        return -1;
    long page = sysconf(_SC_PAGESIZE);
    for (size_t off = 0; off < len; off += (size_t)page)
        ((volatile char *)p)[off] = 0;
    return 0;
}

/* Reserve the span of every arena (virtual, touched lazily) and set each
 * up. Each arena spans SEG_ARENA_SPAN whatever max_bytes: the ceiling up to
 * which store_set_max_bytes() may raise the budget without moving a key to
 * another arena. 0, or -1 when memory is short. */
static int arenas_init(struct store *s, const struct store_config *cfg)
{
    unsigned shift = seg_shift_for(cfg->max_bytes, cfg->item_size_max);
    size_t seg = (size_t)1 << shift;

    s->narenas = arenas_for(cfg->max_bytes);
    /* arenas start on a huge page boundary (or a segment's, if larger): see
     * seg.c's writable_extend_locked */
    size_t align = seg > SEG_HUGE_PAGE ? seg : SEG_HUGE_PAGE;
    s->map_len = ((size_t)s->narenas << SEG_ARENA_SHIFT) + align;
    /* PROT_NONE: a segment is made writable when first handed out (seg.c),
     * so mlockall (-k) locks only memory in use, not the whole span. */
    s->map = mmap(NULL, s->map_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (s->map == MAP_FAILED) {
        s->map = NULL;
        return -1;
    }
    /* Huge pages by default: values spread over hundreds of MB make nearly
     * every lookup and every send of a value miss the TLB with 4 KB pages,
     * and fresh segments fault once per 4 KB. Measured with huge pages
     * (THP in "madvise" or "always" mode; the advice is ignored elsewhere):
     * 5-6% less CPU per request under memcaslap, a fifth less on the first
     * 4 KB run after a preload while the store grows, and resident memory
     * within 2 MB of what 4 KB pages take (segments are handed out from the
     * bottom of each arena). -o hugepages=off leaves the arenas to the
     * system's default. */
    if (cfg->huge_pages)
        (void)madvise(s->map, s->map_len, MADV_HUGEPAGE); /* EINVAL without THP */
    s->mem = (char *)(((uintptr_t)s->map + align - 1) & ~(uintptr_t)(align - 1));
    atomic_init(&s->next_seq, 1);
    atomic_init(&s->cas_chosen_max, 0);
    uint32_t limit = arena_limit(s, shift, cfg->max_bytes);
    for (unsigned i = 0; i < s->narenas; i++) {
        struct arena *a = &s->arenas[i];
        char *base = s->mem + ((size_t)i << SEG_ARENA_SHIFT);
        if (seg_arena_init(a, base, SEG_ARENA_SPAN, shift, limit, cfg->prefault,
                           cfg->test_top_down, &s->next_seq) != 0)
            return -1;
        /* -L: memcached preallocates its item memory; make the budget
         * resident now (the segments handed out first) so that no request
         * ever waits on a page fault. */
        if (cfg->prefault && populate(base, (size_t)a->limit << shift) != 0)
            return -1;
        if (a->limit >= 4)
            seg_set_spare(a, seg_obtain_free(a)); /* see obtain_segment */
    }
    return 0;
}

static void arenas_fini(struct store *s)
{
    for (unsigned i = 0; i < s->narenas; i++)
        seg_arena_fini(&s->arenas[i]);
    if (s->map != NULL)
        munmap(s->map, s->map_len);
    s->map = NULL;
}

static void ghosts_unmap(struct store *s)
{
    if (s->ghost != NULL)
        munmap(s->ghost, ((size_t)s->ghost_mask + 1) * sizeof(*s->ghost));
}

enum store_status store_create(const struct store_config *cfg, struct store **out)
{
    struct store *s = NULL;
    unsigned i = 0;

    if (out == NULL)
        return STORE_EINVAL;
    *out = NULL;
    if (cfg == NULL || cfg->item_size_max < ITEM_SIZE_MIN ||
        cfg->item_size_max > item_total(ITEM_KEY_MAX, UINT32_MAX) ||
        cfg->item_size_max > ((size_t)1 << 30) || cfg->max_bytes < cfg->item_size_max ||
        cfg->max_bytes > store_max_bytes())
        return STORE_EINVAL;
    if (posix_memalign((void **)&s, 64, sizeof(*s)) != 0)
        return STORE_ENOMEM;
    memset(s, 0, sizeof(*s));
    s->cfg = *cfg;
    atomic_init(&s->flush_state, 0);
    atomic_init(&s->small_share, SMALL_SHARE_START);
    atomic_init(&s->small_ceiling, SMALL_SHARE_MAX);
    pthread_mutex_init(&s->ceiling_lock, NULL);
    atomic_init(&s->ghosts_left, false);
    pthread_mutex_init(&s->maint_lock, NULL);
    size_t ghosts = GHOST_SLOTS_MIN;
    while (ghosts < GHOST_SLOTS_MAX && ghosts < cfg->max_bytes / GHOST_BYTES_PER_SLOT)
        ghosts *= 2;
    /* mapped, not calloc'd: zero pages touched only as evictions write
     * ghosts (a store that never evicts pays none), in every build; a
     * sanitizer's calloc may write all of it (ThreadSanitizer made 256 MB
     * resident at -m 16384) */
    void *g = mmap(NULL, ghosts * sizeof(*s->ghost), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (g == MAP_FAILED)
        goto fail;
    s->ghost = g;
    s->ghost_mask = (uint32_t)(ghosts - 1);
    if (arenas_init(s, cfg) != 0)
        goto fail;
    for (i = 0; i < SHARD_COUNT; i++) {
        if (shard_init(&s->shards[i], INITIAL_BUCKETS) != 0)
            goto fail;
    }
    *out = s;
    return STORE_OK;

fail:
    while (i-- > 0)
        shard_fini(&s->shards[i]);
    arenas_fini(s);
    pthread_mutex_destroy(&s->maint_lock);
    pthread_mutex_destroy(&s->ceiling_lock);
    ghosts_unmap(s);
    free(s);
    return STORE_ENOMEM;
}

void store_destroy(struct store **sp)
{
    if (sp == NULL || *sp == NULL)
        return;
    struct store *s = *sp;
    for (unsigned i = 0; i < SHARD_COUNT; i++)
        shard_fini(&s->shards[i]);
    arenas_fini(s);
    pthread_mutex_destroy(&s->maint_lock);
    pthread_mutex_destroy(&s->ceiling_lock);
    ghosts_unmap(s);
    free(s);
    *sp = NULL;
}

enum store_status store_set_max_bytes(struct store *s, size_t max_bytes)
{
    if (s == NULL || s->cfg.prefault || max_bytes < s->cfg.item_size_max ||
        max_bytes > ((size_t)s->narenas << SEG_ARENA_SHIFT))
        return STORE_EINVAL;
    pthread_mutex_lock(&s->maint_lock); /* one change at a time: stats see its result */
    uint32_t limit = arena_limit(s, s->arenas[0].seg_shift, max_bytes);
    for (unsigned i = 0; i < s->narenas; i++)
        seg_set_limit(&s->arenas[i], limit);
    __atomic_store_n(&s->cfg.max_bytes, max_bytes, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&s->maint_lock);
    return STORE_OK;
}

bool store_item_fits(const struct store *s, size_t nkey, size_t vlen)
{
    if (s == NULL || vlen > UINT32_MAX || nkey > ITEM_KEY_MAX)
        return false;
    return item_total(nkey, vlen) <= s->cfg.item_size_max;
}

void core_flush_came(struct store *s)
{
    /* Races with a set at the same instant as store_flush's report does
     * (see there): replay may lose that set, never resurrect flushed data. */
    hook_call(s, STORE_EV_FLUSH, NULL, 0, NULL, 0);
}

void store_flush(struct store *s, uint32_t when)
{
    if (s == NULL)
        return;
    uint32_t now = clock_now();

    pthread_mutex_lock(&s->maint_lock);
    uint64_t v = atomic_load_explicit(&s->flush_state, memory_order_acquire);
    uint64_t nv;
    bool came;
    do {
        uint32_t gen = (uint32_t)(v >> 32);
        uint32_t pending = (uint32_t)v;
        came = pending != 0 && now >= pending;
        if (came)
            gen++; /* a delayed flush already due: apply it before replacing it */
        if (when <= now)
            nv = (uint64_t)(gen + 1u) << 32;
        else
            nv = ((uint64_t)gen << 32) | when; /* memcached: the last flush_all wins */
    } while (!atomic_compare_exchange_weak_explicit(&s->flush_state, &v, nv,
                                                    memory_order_acq_rel, memory_order_acquire));
    /* Reported after the switch: a set racing with the flush may be logged
     * before it yet survive in memory; replay then loses it (a miss), never
     * resurrects flushed data. */
    if (came)
        core_flush_came(s);
    hook_call(s, STORE_EV_FLUSH, NULL, 0, NULL, when);
    pthread_mutex_unlock(&s->maint_lock);
}

/* ---- maintenance, statistics, iteration, hooks ---- */

/* Unlink a dead item found by the reclaimer; counts it as memcached's
 * lru_pull_tail does. */
static void reclaim_locked(struct store *s, struct shard *sh, struct item *it, uint32_t hv)
{
    uint8_t st = item_state(it);
    core_unlink_locked(s, sh, it, hv);
    sh->reclaimed++;
    if ((st & ITEM_FETCHED) == 0)
        sh->expired_unfetched++;
}

/* Visit the chains of one shard from *bucket on, reclaiming dead items.
 * Stops after `budget` visits. Returns visits; counts reclaims in *reclaimed. */
static size_t reclaim_shard(struct store *s, struct shard *sh, size_t *bucket, size_t budget,
                            size_t *reclaimed)
{
    size_t visits = 0;
    uint32_t now = clock_now();

    pthread_mutex_lock(&sh->lock);
    uint32_t gen = flush_gen(s, now);
    size_t b = *bucket;
    while (b < sh->nbuckets && visits < budget) {
        uint32_t addr = sh->buckets[b];
        while (addr != 0 && visits < budget) {
            struct item *it = seg_item(core_shard_arena(s, sh), addr);
            addr = it->next;
            visits++;
            if (item_dead(s, it, now, gen)) {
                reclaim_locked(s, sh, it, (uint32_t)b); /* hv's low bits: the bucket */
                (*reclaimed)++;
            }
        }
        b++; /* a chain cut short by the budget is finished on the next lap */
    }
    *bucket = b < sh->nbuckets ? b : SIZE_MAX;
    pthread_mutex_unlock(&sh->lock);
    return visits;
}

size_t store_reclaim_expired(struct store *s, size_t max_visits)
{
    size_t visits = 0;
    size_t reclaimed = 0;
    unsigned shards_done = 0;

    if (s == NULL)
        return 0;
    pthread_mutex_lock(&s->maint_lock);
    while (visits < max_visits && shards_done <= SHARD_COUNT) {
        size_t budget = max_visits - visits;
        if (budget > 256)
            budget = 256;
        struct shard *sh = &s->shards[s->reclaim_shard];
        visits += reclaim_shard(s, sh, &s->reclaim_bucket, budget, &reclaimed);
        if (s->reclaim_bucket == SIZE_MAX) {
            s->reclaim_bucket = 0;
            s->reclaim_shard = (s->reclaim_shard + 1) & (SHARD_COUNT - 1);
            shards_done++; /* bounds a call on an empty store to one lap */
        }
    }
    pthread_mutex_unlock(&s->maint_lock);
    /* segments left without a linked item become idle; long idle ones give
     * their pages back; a lowered budget evicts down to itself */
    for (unsigned i = 0; i < s->narenas; i++) {
        struct arena *a = &s->arenas[i];
        for (unsigned k = 0; k < SHED_PER_PASS && seg_over_limit(a); k++) {
            if (!evict_oldest(s, a, EMPTIED_RELEASED))
                break;
        }
        seg_collect_empty(a, clock_now(), RELEASE_AFTER_S);
    }
    return reclaimed;
}

void store_stats(struct store *s, struct store_stats *out)
{
    if (s == NULL || out == NULL)
        return;
    memset(out, 0, sizeof(*out));
    for (unsigned i = 0; i < SHARD_COUNT; i++) {
        struct shard *sh = &s->shards[i];
        pthread_mutex_lock(&sh->lock);
        out->curr_items += sh->curr_items;
        out->total_items += sh->total_items;
        out->bytes += sh->bytes;
        out->evictions += sh->evictions;
        out->evicted_unfetched += sh->evicted_unfetched;
        out->reclaimed += sh->reclaimed;
        out->expired_unfetched += sh->expired_unfetched;
        out->get_expired += sh->get_expired;
        out->get_flushed += sh->get_flushed;
        out->hash_buckets += sh->nbuckets;
        pthread_mutex_unlock(&sh->lock);
    }
    out->hash_bytes = out->hash_buckets * sizeof(uint32_t);
    for (unsigned i = 0; i < s->narenas; i++) {
        struct arena *a = &s->arenas[i];
        out->used_bytes += atomic_load_explicit(&a->used, memory_order_relaxed);
        out->arena_bytes += (uint64_t)seg_in_use(a) << a->seg_shift;
        out->idle_bytes += (uint64_t)seg_idle(a) << a->seg_shift;
    }
    out->limit_maxbytes = __atomic_load_n(&s->cfg.max_bytes, __ATOMIC_RELAXED);
    out->ghost_hits_small = atomic_load_explicit(&s->ghost_hits_small, memory_order_relaxed);
    out->ghost_hits_main = atomic_load_explicit(&s->ghost_hits_main, memory_order_relaxed);
    out->small_queue_share = atomic_load_explicit(&s->small_share, memory_order_relaxed);
    out->small_queue_ceiling = atomic_load_explicit(&s->small_ceiling, memory_order_relaxed);
    queue_hits(s, &out->hits_main, &out->hits_small);
}

void store_stats_reset(struct store *s)
{
    if (s == NULL)
        return;
    for (unsigned i = 0; i < SHARD_COUNT; i++) {
        struct shard *sh = &s->shards[i];
        pthread_mutex_lock(&sh->lock);
        sh->total_items = 0;
        sh->evictions = 0;
        sh->evicted_unfetched = 0;
        sh->reclaimed = 0;
        sh->expired_unfetched = 0;
        sh->get_expired = 0;
        sh->get_flushed = 0;
        pthread_mutex_unlock(&sh->lock);
    }
    atomic_store_explicit(&s->ghost_hits_small, 0, memory_order_relaxed);
    atomic_store_explicit(&s->ghost_hits_main, 0, memory_order_relaxed);
}

/* Take references to a shard's live items into *arr (grown as needed, never
 * under the lock). Returns the count, or SIZE_MAX if memory ran out. */
/*
 * The walk takes a shard's lock for a slice of its buckets at a time
 * (FOREACH_SLICE items, whole buckets), references what it found and
 * visits it unlocked: held for a whole shard (150,000 items of a 10M-item
 * cache, a cache miss each) the lock stalled that shard's requests for
 * tens of milliseconds. Between slices the index may double; buckets are
 * hash & (n - 1), so bucket b's items then sit in b or b + n/2, and going
 * on from the same bucket number in the bigger table visits every item
 * not yet visited (and some again): none is missed.
 */
#define FOREACH_SLICE 256

/* Collect from *cursor on into arr (room for *cap); advances *cursor and
 * sets *done at the shard's end. Returns the count (0 is possible before
 * the end: a slice also stops after FOREACH_SLICE * 4 buckets, so empty
 * ones are not walked under the lock all at once), or SIZE_MAX when arr
 * cannot grow. */
static size_t collect_slice(struct store *s, struct shard *sh, size_t *cursor, bool *done,
                            struct item ***arr, size_t *cap)
{
    for (;;) {
        uint32_t now = clock_now();
        size_t n = 0, need = 0, scanned = 0;
        pthread_mutex_lock(&sh->lock);
        uint32_t gen = flush_gen(s, now);
        const struct arena *a = core_shard_arena(s, sh);
        while (*cursor < sh->nbuckets) {
            size_t start = n;
            for (uint32_t addr = sh->buckets[*cursor]; addr != 0 && need == 0;) {
                struct item *it = seg_item(a, addr);
                addr = it->next;
                if (item_dead(s, it, now, gen))
                    continue;
                if (n == *cap) {
                    /* the bucket does not fit: give its items back, stop
                     * before it (and grow arr if it is the slice's first) */
                    while (n > start)
                        core_unref(s, (*arr)[--n]);
                    need = *cap * 2;
                    break;
                }
                seg_ref(core_shard_arena(s, sh), it);
                (*arr)[n++] = it;
            }
            if (need != 0)
                break;
            (*cursor)++;
            if (n >= FOREACH_SLICE || ++scanned >= FOREACH_SLICE * 4)
                break;
        }
        *done = *cursor >= sh->nbuckets;
        pthread_mutex_unlock(&sh->lock);
        if (n > 0 || need == 0)
            return n;
        /* one bucket's chain is longer than arr: grow it and look again */
        struct item **grown = realloc(*arr, need * sizeof(**arr));
        if (grown == NULL)
            return SIZE_MAX;
        *arr = grown;
        *cap = need;
    }
}

int store_foreach(struct store *s, store_visit_fn visit, void *arg)
{
    size_t cap = FOREACH_SLICE * 2;
    struct item **arr = malloc(cap * sizeof(*arr));
    int rc = 0;

    if (s == NULL || visit == NULL) {
        free(arr);
        return STORE_EINVAL;
    }
    if (arr == NULL)
        return STORE_ENOMEM;
    for (unsigned i = 0; i < SHARD_COUNT && rc == 0; i++) {
        size_t cursor = 0;
        bool done = false;
        while (!done) {
            size_t n = collect_slice(s, &s->shards[i], &cursor, &done, &arr, &cap);
            if (n == SIZE_MAX) {
                rc = STORE_ENOMEM;
                break;
            }
            for (size_t j = 0; j < n; j++) {
                if (rc == 0)
                    rc = visit(arr[j], arg);
                core_unref(s, arr[j]);
            }
            if (rc != 0)
                break;
        }
    }
    free(arr);
    return rc;
}

void store_set_hook(struct store *s, store_hook_fn hook, void *arg)
{
    if (s == NULL)
        return;
    __atomic_store_n(&s->hook_arg, arg, __ATOMIC_RELAXED);
    __atomic_store_n(&s->hook, hook, __ATOMIC_RELEASE);
}
