/*
 * stats.h: what one load thread measured in one phase.  Each thread owns
 * its struct bench_stats alone; the report merges them after the threads
 * are joined, so nothing here is shared while measuring.
 */
#ifndef MNEMO_BENCH_STATS_H
#define MNEMO_BENCH_STATS_H

#include <stdint.h>

#include "histogram.h"

struct bench_stats {
    uint64_t gets, sets;
    uint64_t hits, misses;
    uint64_t stored, not_stored;
    uint64_t errors;        /* ERROR / CLIENT_ERROR / SERVER_ERROR replies */
    uint64_t bytes_out, bytes_in;
    uint64_t start_ns, end_ns;
    struct histogram get_lat; /* nanoseconds */
    struct histogram set_lat;
};

void stats_init(struct bench_stats *s);
/* Add src into dst (counts, histograms; the widest start..end span). */
void stats_merge(struct bench_stats *dst, const struct bench_stats *src);

#endif
