/*
 * modula.c: one-at-a-time hash and hash % n.
 */
#include "client/modula.h"

uint32_t modula_hash(const void *key, size_t len)
{
    const char *p = key;
    uint32_t h = 0;

    while (len--) {
        /* libhashkit widens a plain (signed) char: bytes >= 0x80 are
         * sign-extended, which we must reproduce to agree on binary keys. */
        h += (uint32_t)(int32_t)(signed char)*p++;
        h += h << 10;
        h ^= h >> 6;
    }
    h += h << 3;
    h ^= h >> 11;
    h += h << 15;
    return h;
}

size_t modula_find(uint32_t hash, size_t n)
{
    return n ? hash % n : 0;
}
