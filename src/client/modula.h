/*
 * modula.h: modula distribution with libmemcached's default key hash
 * (Bob Jenkins' one-at-a-time, as libhashkit computes it).
 */
#ifndef MNEMO_CLIENT_MODULA_H
#define MNEMO_CLIENT_MODULA_H

#include <stddef.h>
#include <stdint.h>

uint32_t modula_hash(const void *key, size_t len);

/* Server index for key among n (n >= 1). */
size_t modula_find(uint32_t hash, size_t n);

#endif
