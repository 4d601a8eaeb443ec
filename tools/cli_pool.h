/*
 * cli_pool.h: mnemo-cli's commands over a whole pool of shards (a shard:
 * a primary and its replicas, "primary=replica" in --servers).
 */
#ifndef MNEMO_TOOLS_CLI_POOL_H
#define MNEMO_TOOLS_CLI_POOL_H

#include "mnemo/mnemo.h"

/* "host:port name value" from every server, then for the general group
 * "total name value" summed over them (amounts only).  0, or 2 when a
 * server did not answer (the others are still printed). */
int cli_pool_stats(const char *prog, struct mnemo_client *c, const char *group);

/* flush_all on each shard's primary (replicas get it from there).
 * 0, or 2 when a shard has no primary or one failed. */
int cli_pool_flush(const char *prog, struct mnemo_client *c);

/* Each shard's primary against its replicas, as `compare` does (argv:
 * [--max-diffs N]).  0 all equal, 1 a shard differs, 2 an error. */
struct cli_auth;
struct cli_tls;
int cli_pool_digest(const char *prog, struct mnemo_client *c, int argc, char **argv, int timeout_ms,
                    const struct cli_tls *tls, const struct cli_auth *auth);

#endif
