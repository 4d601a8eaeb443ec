/*
 * metrics_source.h: what mnemod shows at /metrics (-o metrics_port): its
 * stats as Prometheus families, under memcached_exporter's names where
 * memcached has the figure (so its dashboards work unchanged) and mnemo_*
 * for the rest: load per worker thread, persistence, replication.
 */
#ifndef MNEMO_SERVER_METRICS_SOURCE_H
#define MNEMO_SERVER_METRICS_SOURCE_H

struct expo;

/* metrics/metrics.h's collector; arg is the struct server. Runs on the
 * metrics thread: it reads the workers' counters with relaxed loads (as
 * "stats" does) and takes the store's, the admin's, the log's and the
 * replication locks briefly, never a worker's. */
void metrics_source_collect(struct expo *out, void *arg);

#endif
