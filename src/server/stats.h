/*
 * stats.h: the "stats" command family, and the sums of the per-thread
 * request counters (thread_stats.h) it reports. Names follow memcached's.
 */
#ifndef MNEMO_SERVER_STATS_H
#define MNEMO_SERVER_STATS_H

#include <stddef.h>

#include "server/thread_stats.h" /* struct thread_stats, STATS_INCR */

struct server;
struct exec_ctx;

/* Sum every worker's counters into out (a plain snapshot). */
void stats_aggregate(struct server *srv, struct thread_stats *out);

/* Sum every worker's latency histograms into out. */
void stats_latency_aggregate(struct server *srv, struct latency_stats *out);

/* Zero every worker's counters ("stats reset"). Racing increments may
 * survive the reset, as in memcached. */
void stats_reset(struct server *srv);

/* Answer "stats [group]": emits STAT lines then END through the exec
 * context, or ERROR/RESET as memcached does. */
void stats_command(struct exec_ctx *x, const char *arg, size_t narg);

#endif
