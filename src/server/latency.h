/*
 * latency.h: how long each command takes inside the server, per command,
 * as a histogram per worker thread.
 *
 * The time of a request is its service time: from the moment the worker
 * starts on it (its bytes are in, the previous request of the batch is
 * done) until its reply is queued, plus, for a storage request whose data
 * block came in several reads, the time spent on each piece. Waiting for
 * the network, for the socket to drain or for the append log's fsync
 * (appendfsync always) is not in it: that is the client's or the log's
 * latency (mnemo_persist_fsync_seconds), not the server's work.
 *
 * Cost: one clock read per request. The request loop chains them (a
 * request ends where the next one of the batch starts), and the clock is
 * the TSC where it can be trusted (~9 ns), else the vDSO's CLOCK_MONOTONIC
 * (~20 ns; common/ticks.h); recording is a shift, a count of
 * leading zeros and two plain adds on counters only this thread writes.
 * bench/latency measures what it costs per request.
 *
 * Buckets are powers of two in nanoseconds, 128 ns to 2^30 ns (~1.07 s),
 * and one above: fixed, so histograms from every server and every run can
 * be summed (Prometheus' histogram_quantile wants the same "le" values),
 * and a bucket is found with one instruction.
 */
#ifndef MNEMO_SERVER_LATENCY_H
#define MNEMO_SERVER_LATENCY_H

#include <stdatomic.h>
#include <stdint.h>

#include "common/ticks.h"
#include "proto/request.h" /* enum request_cmd */

/* What a command is counted as: memcached's names, meta's, and "other"
 * for the admin commands (stats, version, flush_all's kin ...). */
#define LATENCY_CLASSES(X)                                                              \
    X(GET, "get") X(GETS, "gets") X(GAT, "gat") X(GATS, "gats") X(SET, "set")           \
    X(ADD, "add") X(REPLACE, "replace") X(APPEND, "append") X(PREPEND, "prepend")       \
    X(CAS, "cas") X(DELETE, "delete") X(INCR, "incr") X(DECR, "decr") X(TOUCH, "touch") \
    X(MG, "mg") X(MS, "ms") X(MD, "md") X(MA, "ma") X(MN, "mn") X(OTHER, "other")

enum latency_class {
#define LATENCY_ENUM(id, name) LATENCY_##id,
    LATENCY_CLASSES(LATENCY_ENUM)
#undef LATENCY_ENUM
    LATENCY_NCLASSES,
    LATENCY_NONE = LATENCY_NCLASSES /* not timed: errors, authentication, quit */
};

#define LATENCY_MIN_SHIFT 7   /* the first bucket: up to 2^7 = 128 ns */
#define LATENCY_MAX_SHIFT 30  /* the last finite one: up to 2^30 ns */
#define LATENCY_BUCKETS (LATENCY_MAX_SHIFT - LATENCY_MIN_SHIFT + 2) /* and +Inf */

/* One thread's histograms: counts per bucket (not cumulative) and the
 * sum of the times, per class. Written by the owning worker only (plain
 * adds through relaxed atomics, as thread_stats.h); read by anyone. */
struct latency_stats {
    _Atomic uint64_t count[LATENCY_NCLASSES][LATENCY_BUCKETS];
    _Atomic uint64_t sum_ns[LATENCY_NCLASSES];
};

/* The clock requests are timed with, in ticks (common/ticks.h: the TSC
 * where it can be trusted); latency_record takes the span in ns. */
static inline uint64_t latency_clock(void)
{
    return ticks_now();
}

/* The bucket of ns: the first whose bound (latency_bound_ns) is >= ns. */
static inline unsigned latency_bucket(uint64_t ns)
{
    if (ns <= (1u << LATENCY_MIN_SHIFT))
        return 0;
    unsigned bits = 64u - (unsigned)__builtin_clzll(ns - 1); /* ns <= 2^bits */
    unsigned b = bits - LATENCY_MIN_SHIFT;
    return b < LATENCY_BUCKETS - 1 ? b : LATENCY_BUCKETS - 1;
}

/* The upper bound of bucket b in ns; 0 for the last (+Inf). */
static inline uint64_t latency_bound_ns(unsigned b)
{
    return b < LATENCY_BUCKETS - 1 ? (uint64_t)1 << (b + LATENCY_MIN_SHIFT) : 0;
}

#define LATENCY_BUMP(field, n)                                                           \
    atomic_store_explicit(&(field), atomic_load_explicit(&(field), memory_order_relaxed) + (n), \
                          memory_order_relaxed)

/* Count one request of class cls that took ns (owner thread only). */
static inline void latency_record(struct latency_stats *l, enum latency_class cls, uint64_t ns)
{
    if (cls >= LATENCY_NCLASSES)
        return;
    LATENCY_BUMP(l->count[cls][latency_bucket(ns)], 1);
    LATENCY_BUMP(l->sum_ns[cls], ns);
}

/* What a command is timed as (LATENCY_NONE: not timed). */
enum latency_class latency_class_of(enum request_cmd cmd);

/* A class's name in stats and metrics ("get", "ms", "other"). */
const char *latency_class_name(enum latency_class cls);

/* out += l, bucket by bucket (relaxed loads: a sum may be a request or
 * two behind, never torn). */
void latency_sum_into(struct latency_stats *out, const struct latency_stats *l);

/* Zero l ("stats reset"; the owner may be counting meanwhile: a request
 * or two may survive the reset, as with the other counters). */
void latency_reset(struct latency_stats *l);

/* A bucket bound as Prometheus' "le" in seconds, exactly ("0.000000128",
 * "1.073741824", "+Inf"), into buf. */
const char *latency_le_seconds(unsigned b, char *buf, size_t cap);

#endif
