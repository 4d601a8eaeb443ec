/*
 * twemproxy_hash.h: the key hashes nutcracker 0.5 (twemproxy) offers for
 * its "hash:" setting, each reproducing nutcracker's own variant bit for
 * bit.  Knows keys only, never servers or the continuum.
 */
#ifndef MNEMO_CLIENT_TWEMPROXY_HASH_H
#define MNEMO_CLIENT_TWEMPROXY_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "mnemo/mnemo.h"

/* 1 if h names a hash implemented here (MNEMO_HASH_DEFAULT is fnv1a_64,
 * nutcracker's default), else 0. */
int twemproxy_hash_known(enum mnemo_hash h);

/*
 * nutcracker's hash h of key[0..len), as server_pool_hash() computes it:
 * an empty key hashes to 0 whatever h is.  h must be known (see above).
 * Pure and thread-safe.
 */
uint32_t twemproxy_hash(enum mnemo_hash h, const void *key, size_t len);

#endif
