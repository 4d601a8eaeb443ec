/*
 * report.h: the final result, as aligned text or as one JSON object.
 */
#ifndef MNEMO_BENCH_REPORT_H
#define MNEMO_BENCH_REPORT_H

#include <stdio.h>

struct bench_options;
struct bench_stats;

/* preload may be NULL when there was no preload phase. */
void report_text(FILE *out, const struct bench_options *o, const struct bench_stats *preload,
                 const struct bench_stats *run);
void report_json(FILE *out, const struct bench_options *o, const struct bench_stats *preload,
                 const struct bench_stats *run);

#endif
