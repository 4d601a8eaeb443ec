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

#include "server/latency.h"

/*
 * The per-thread counters, each declared once, in the order "stats" prints
 * them (memcached 1.6.45's). X(name, when): the field and its stat name;
 * when is ALWAYS, or IDLE_TIMEOUT for the row memcached prints only with
 * -o idle_timeout. SLOT(part) marks where stats.c prints rows that are not
 * counters (its stats_part_<part>()).
 */
#define THREAD_STATS_FIELDS(X, SLOT)                                                    \
    SLOT(process)                                                                       \
    X(total_connections, ALWAYS)                                                        \
    SLOT(connections)                                                                   \
    X(cmd_get, ALWAYS) X(cmd_set, ALWAYS) X(cmd_flush, ALWAYS) X(cmd_touch, ALWAYS)     \
    X(cmd_meta, ALWAYS) X(get_hits, ALWAYS) X(get_misses, ALWAYS)                       \
    SLOT(get_expiry)                                                                    \
    X(delete_misses, ALWAYS) X(delete_hits, ALWAYS) X(incr_misses, ALWAYS)              \
    X(incr_hits, ALWAYS) X(decr_misses, ALWAYS) X(decr_hits, ALWAYS)                    \
    X(cas_misses, ALWAYS) X(cas_hits, ALWAYS) X(cas_badval, ALWAYS)                     \
    X(touch_hits, ALWAYS) X(touch_misses, ALWAYS)                                       \
    X(store_too_large, ALWAYS) X(store_no_memory, ALWAYS)                               \
    X(auth_cmds, ALWAYS) X(auth_errors, ALWAYS)                                         \
    X(idle_kicks, IDLE_TIMEOUT)                                                         \
    X(bytes_read, ALWAYS) X(bytes_written, ALWAYS)                                      \
    SLOT(server)                                                                        \
    X(conn_yields, ALWAYS)                                                              \
    SLOT(store)

/* For a use of THREAD_STATS_FIELDS that wants the counters only. */
#define THREAD_STATS_NO_SLOT(part)

struct thread_stats {
#define STATS_DECLARE(name, when) _Atomic uint64_t name;
    THREAD_STATS_FIELDS(STATS_DECLARE, THREAD_STATS_NO_SLOT)
#undef STATS_DECLARE
    struct latency_stats latency; /* "stats latency", mnemo_command_duration_seconds */
};

/* Owner-thread increment: a relaxed load and store, which compile to a
 * plain add (no lock prefix) yet keep cross-thread readers race-free. */
#define STATS_ADD(ts, field, n)                                                         \
    atomic_store_explicit(&(ts)->field,                                                 \
                          atomic_load_explicit(&(ts)->field, memory_order_relaxed) + (n), \
                          memory_order_relaxed)
#define STATS_INCR(ts, field) STATS_ADD(ts, field, 1)

#endif
