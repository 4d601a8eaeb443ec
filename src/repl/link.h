/*
 * link.h: the replica's side, its link to the primary (link.c).
 */
#ifndef MNEMO_REPL_LINK_H
#define MNEMO_REPL_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "repl/types.h"

struct repl;
struct link;

/* Start following host:port. NULL: no thread or memory. */
struct link *link_start(struct repl *r, const char *host, int port);

/* Stop and join; returns the delayed flush_all its stream left pending
 * (Unix time, 0: none). Sets *l NULL. */
int64_t link_stop(struct link **l);

void link_stats(struct link *l, repl_emit_fn emit, void *arg);

/* Is the link streaming (its full sync done)? */
bool link_up(const struct link *l);

#endif
