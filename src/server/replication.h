/*
 * replication.h: the server's side of replication (repl/repl.h) — its
 * admin commands and the rule that a replica takes no writes.
 *
 *   replica_of HOST:PORT   follow that primary (OK)
 *   replica_of none        stop following, serve as a primary (OK)
 *   repl_sync ID OFFSET    (sent by a replica's link) the connection
 *                          becomes the replica's feed: a stream of records
 */
#ifndef MNEMO_SERVER_REPLICATION_H
#define MNEMO_SERVER_REPLICATION_H

#include <stdbool.h>

#include "server/config.h"
#include "server/exec_ctx.h"

enum exec_next replication_command(struct exec_ctx *x, const struct request *req);

/* The line that takes the place of replies whose replicas did not
 * acknowledge in time (-o min_replica_timeout), "\r\n" included; its
 * length. */
size_t replication_timeout_line(const struct config *cfg, char *buf, size_t cap);

/* A replica refuses writes: answers the error and returns true. */
bool replication_refuses_write(struct exec_ctx *x);

#endif
