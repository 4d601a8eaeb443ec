/*
 * histogram.h: an HDR-style log-linear latency histogram for mnemo-bench.
 *
 * Fixed memory (no allocation after init), values are unsigned 64-bit
 * (nanoseconds in practice).  Values below 256 are counted exactly; above
 * that each power of two is split into 128 linear sub-buckets, so any
 * reported percentile is within 1/128 (< 0.8%) of a recorded value.  The
 * exact min, max, count and sum are kept alongside.  Two histograms merge
 * by adding their buckets, so each thread records into its own and the
 * report merges them.  Knows nothing of sockets or of the benchmark.
 */
#ifndef MNEMO_BENCH_HISTOGRAM_H
#define MNEMO_BENCH_HISTOGRAM_H

#include <stdint.h>

#define HIST_SUB_BITS 7                                /* 128 sub-buckets per octave */
#define HIST_SUB_COUNT (1u << HIST_SUB_BITS)
#define HIST_BUCKETS ((64 - HIST_SUB_BITS + 1) * HIST_SUB_COUNT) /* 7424 */

struct histogram {
    uint64_t count;
    uint64_t sum;
    uint64_t min;
    uint64_t max;
    uint64_t buckets[HIST_BUCKETS];
};

/* Empty the histogram. */
void hist_init(struct histogram *h);

/* Count one value.  Never fails, never allocates. */
void hist_record(struct histogram *h, uint64_t value);

/* Add every count of src into dst. */
void hist_merge(struct histogram *dst, const struct histogram *src);

/*
 * The value at percentile p (0..100): the smallest recorded value v such
 * that at least p% of the values are <= v, reported as the highest value
 * of v's bucket (clamped to the exact max and min).  0 when empty.
 */
uint64_t hist_percentile(const struct histogram *h, double p);

/* Arithmetic mean, 0 when empty. */
double hist_mean(const struct histogram *h);

/* Bucket index of a value, and the highest value that maps to a bucket
 * (exposed for the tests). */
unsigned hist_bucket_of(uint64_t value);
uint64_t hist_bucket_high(unsigned bucket);

#endif
