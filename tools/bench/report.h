/*
 * report.h: the final result, as aligned text or as one JSON object.
 */
#ifndef MNEMO_BENCH_REPORT_H
#define MNEMO_BENCH_REPORT_H

#include <stdio.h>

struct bench_options;
struct bench_stats;

/* preload may be NULL when there was no preload phase; run is the whole
 * measured phase and groups[0..o->group_count) each group's share of it
 * (listed in the text only when --group was given; always in the JSON). */
void report_text(FILE *out, const struct bench_options *o, const struct bench_stats *preload,
                 const struct bench_stats *run, const struct bench_stats *groups);
void report_json(FILE *out, const struct bench_options *o, const struct bench_stats *preload,
                 const struct bench_stats *run, const struct bench_stats *groups);

#endif
