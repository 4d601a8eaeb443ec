/*
 * cli_dist.h: mnemo-cli's names for libmnemo's distributions and for the
 * key hashes of the twemproxy one (nutcracker's "hash:" names).
 */
#ifndef MNEMO_TOOLS_CLI_DIST_H
#define MNEMO_TOOLS_CLI_DIST_H

#include "mnemo/mnemo.h"

/* 0 and *out for "ketama", "modula" or "twemproxy"; -1 for anything else. */
int cli_dist_parse(const char *name, enum mnemo_distribution *out);

/* 0 and *out for one of nutcracker's hash names; -1 for anything else. */
int cli_hash_parse(const char *name, enum mnemo_hash *out);

/* "one_at_a_time, md5, ...": every name cli_hash_parse takes. */
const char *cli_hash_names(void);

#endif
