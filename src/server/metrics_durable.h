/*
 * metrics_durable.h: the persistence and replication families of /metrics
 * (metrics_source.h), read from the lines "stats persistence" and "stats
 * replication" print, so the two views never disagree.
 */
#ifndef MNEMO_SERVER_METRICS_DURABLE_H
#define MNEMO_SERVER_METRICS_DURABLE_H

struct expo;
struct server;

/* mnemo_persist_*: mnemo_persist_enabled always, the rest with
 * -o persist_dir. Takes the log's and the snapshotter's locks briefly and
 * lists the directory (log_bytes). */
void metrics_durable_persist(struct expo *e, struct server *srv);

/* mnemo_repl_*: the role, the stream's offsets and backlog, the link to a
 * primary (on a replica) and each replica being fed (labelled by its
 * address). Takes the replication lock briefly. */
void metrics_durable_repl(struct expo *e, struct server *srv);

#endif
