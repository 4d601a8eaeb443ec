/*
 * hash.h: the key hash used by the store's index. xxHash's XXH3 (Debian's
 * libxxhash): fast on short keys and well distributed in every bit, so the
 * store may take shard and bucket from different bits of one hash.
 */
#ifndef MNEMO_COMMON_HASH_H
#define MNEMO_COMMON_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t hash_key(const void *key, size_t len);

#endif
