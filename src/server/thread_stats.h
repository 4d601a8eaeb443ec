/*
 * thread_stats.h: one thread's request counters (memcached's names) and
 * the owner-thread increments. Declarations only, with no .c: the worker
 * embeds the counters, exec and the sessions count into them, and stats.c,
 * which answers "stats" by reading the workers, sums them; none of those
 * files needs another to count.
 *
 * Each worker owns one struct thread_stats and is its only writer, so
 * counting costs a plain add with no lock or atomic read-modify-write; a
 * "stats" request sums all workers' counters with relaxed loads (a total can
 * be a few requests stale, never torn).
 */
#ifndef MNEMO_SERVER_THREAD_STATS_H
#define MNEMO_SERVER_THREAD_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#define THREAD_STATS_FIELDS(X)                                                          \
    X(cmd_get) X(cmd_set) X(cmd_touch) X(cmd_flush) X(get_hits) X(get_misses)           \
    X(delete_hits) X(delete_misses) X(incr_hits)          \
    X(incr_misses) X(decr_hits) X(decr_misses) X(cas_hits) X(cas_misses) X(cas_badval)   \
    X(touch_hits) X(touch_misses) X(bytes_read) X(bytes_written) X(conn_yields)          \
    X(total_connections) X(cmd_meta) X(store_too_large) X(store_no_memory) X(idle_kicks)

struct thread_stats {
#define STATS_DECLARE(name) _Atomic uint64_t name;
    THREAD_STATS_FIELDS(STATS_DECLARE)
#undef STATS_DECLARE
};

/* Owner-thread increment: a relaxed load and store, which compile to a
 * plain add (no lock prefix) yet keep cross-thread readers race-free. */
#define STATS_ADD(ts, field, n)                                                         \
    atomic_store_explicit(&(ts)->field,                                                 \
                          atomic_load_explicit(&(ts)->field, memory_order_relaxed) + (n), \
                          memory_order_relaxed)
#define STATS_INCR(ts, field) STATS_ADD(ts, field, 1)

#endif
