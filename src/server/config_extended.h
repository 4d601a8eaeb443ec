/*
 * config_extended.h: the -o options, memcached's and mnemo's own. Each is
 * declared once, in one table (config_extended.c): its name, what its value
 * must be, where it lands in struct config, its "stats settings" name and
 * its line of help. The -o parser, that part of --help and that part of
 * "stats settings" all come from the table.
 */
#ifndef MNEMO_SERVER_CONFIG_EXTENDED_H
#define MNEMO_SERVER_CONFIG_EXTENDED_H

#include <stddef.h>
#include <stdio.h>

#include "server/config.h"

/* The defaults of every -o setting (memcached 1.6.45's where it has one). */
void config_extended_defaults(struct config *cfg);

/* Apply one -o argument: names separated by ',', each optionally "=value",
 * as memcached's getsubopt() loop reads them. 0, or -1 with a one-line
 * message in err. */
int config_extended_parse(struct config *cfg, const char *list, char *err, size_t errlen);

/* The checks memcached makes once every flag is read (-I against
 * slab_chunk_max, the LRU percentages, temporary_ttl, hashpower against
 * the threads, slab_sizes). 0, or -1 with a message. */
int config_extended_check(struct config *cfg, char *err, size_t errlen);

/* One help line per -o option, to out. */
void config_extended_usage(FILE *out);

/* memcached's -o settings that have a "stats settings" name, in its order. */
void config_extended_describe(const struct config *cfg, config_emit_fn emit, void *arg);

/* mnemo's own -o settings (io_uring, poll_us, ...), likewise. */
void config_extended_describe_own(const struct config *cfg, config_emit_fn emit, void *arg);

/* A whole decimal number in [min, max], nothing after it: 0, or -1. Shared
 * by the short flags (config.c) and the -o table. */
int config_read_long(const char *s, long min, long max, long *out);

#endif
