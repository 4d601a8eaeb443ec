/*
 * histogram.c: the log-linear histogram.  Bucket layout: values below
 * 2 * HIST_SUB_COUNT map to themselves; a larger value v with its top bit
 * at position m (m >= HIST_SUB_BITS + 1) is shifted right by
 * s = m - HIST_SUB_BITS so that it lands in [HIST_SUB_COUNT, 2 * HIST_SUB_COUNT),
 * and its bucket is (s + 1) * HIST_SUB_COUNT + (v >> s) - HIST_SUB_COUNT.
 * Indices are contiguous across octaves, so a percentile is one linear scan.
 */
#include "histogram.h"

#include <string.h>

void hist_init(struct histogram *h)
{
    memset(h, 0, sizeof(*h));
    h->min = UINT64_MAX;
}

unsigned hist_bucket_of(uint64_t value)
{
    if (value < 2 * HIST_SUB_COUNT)
        return (unsigned)value;
    unsigned msb = 63u - (unsigned)__builtin_clzll(value);
    unsigned shift = msb - HIST_SUB_BITS;
    return (shift + 1) * HIST_SUB_COUNT + (unsigned)(value >> shift) - HIST_SUB_COUNT;
}

uint64_t hist_bucket_high(unsigned bucket)
{
    if (bucket < 2 * HIST_SUB_COUNT)
        return bucket;
    unsigned shift = bucket / HIST_SUB_COUNT - 1;
    uint64_t sub = bucket % HIST_SUB_COUNT + HIST_SUB_COUNT;
    uint64_t low = sub << shift;
    return low + ((UINT64_C(1) << shift) - 1);
}

void hist_record(struct histogram *h, uint64_t value)
{
    h->buckets[hist_bucket_of(value)]++;
    h->count++;
    h->sum += value;
    if (value < h->min)
        h->min = value;
    if (value > h->max)
        h->max = value;
}

void hist_merge(struct histogram *dst, const struct histogram *src)
{
    if (src->count == 0)
        return;
    for (unsigned i = 0; i < HIST_BUCKETS; i++)
        dst->buckets[i] += src->buckets[i];
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

uint64_t hist_percentile(const struct histogram *h, double p)
{
    if (h->count == 0)
        return 0;
    if (p <= 0)
        return h->min;
    if (p >= 100)
        return h->max;
    /* rank = ceil(p/100 * count), at least 1 */
    double exact = p / 100.0 * (double)h->count;
    uint64_t rank = (uint64_t)exact;
    if ((double)rank < exact)
        rank++;
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= rank) {
            uint64_t v = hist_bucket_high(i);
            if (v > h->max)
                v = h->max;
            if (v < h->min)
                v = h->min;
            return v;
        }
    }
    return h->max;
}

double hist_mean(const struct histogram *h)
{
    return h->count ? (double)h->sum / (double)h->count : 0.0;
}
