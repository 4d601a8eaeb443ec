/*
 * stats.c: init and merge of per-thread measurements.
 */
#include "stats.h"

#include <string.h>

void stats_init(struct bench_stats *s)
{
    memset(s, 0, sizeof(*s) - sizeof(s->get_lat) - sizeof(s->set_lat));
    hist_init(&s->get_lat);
    hist_init(&s->set_lat);
}

void stats_merge(struct bench_stats *dst, const struct bench_stats *src)
{
    dst->gets += src->gets;
    dst->sets += src->sets;
    dst->hits += src->hits;
    dst->misses += src->misses;
    dst->stored += src->stored;
    dst->not_stored += src->not_stored;
    dst->errors += src->errors;
    dst->bytes_out += src->bytes_out;
    dst->bytes_in += src->bytes_in;
    if (src->start_ns && (!dst->start_ns || src->start_ns < dst->start_ns))
        dst->start_ns = src->start_ns;
    if (src->end_ns > dst->end_ns)
        dst->end_ns = src->end_ns;
    hist_merge(&dst->get_lat, &src->get_lat);
    hist_merge(&dst->set_lat, &src->set_lat);
}
