/*
 * ketama.h: the consistent-hashing continuum, bit-compatible with
 * libmemcached's MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED (twemproxy's ring is the
 * same but for the order of points that share a value: twemproxy.c).
 * Knows server names and weights only, never connections.
 */
#ifndef MNEMO_CLIENT_KETAMA_H
#define MNEMO_CLIENT_KETAMA_H

#include <stddef.h>
#include <stdint.h>

struct ketama_server {
    const char *host; /* as written in the server list, without [] */
    uint16_t port;
    uint32_t weight;  /* >= 1 */
};

struct ketama_point {
    uint32_t value;
    uint32_t index;   /* server index */
};

struct ketama {
    struct ketama_point *points;
    size_t count;
};

/* Build the continuum of n servers into *k (previous content is freed).
 * Returns 0, or -1 on allocation failure (k left empty). */
int ketama_build(struct ketama *k, const struct ketama_server *servers, size_t n);
void ketama_free(struct ketama *k);

/* The key hash: the first 4 bytes of MD5(key), little-endian. */
uint32_t ketama_hash(const void *key, size_t len);

/* Index of the first point whose value >= hash, wrapping to 0 past the end.
 * k must not be empty. */
size_t ketama_find(const struct ketama *k, uint32_t hash);

#endif
