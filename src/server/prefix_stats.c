/*
 * prefix_stats.c: see prefix_stats.h.
 */
#include "server/prefix_stats.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct prefix_entry {
    struct prefix_entry *next;
    uint64_t gets, hits, sets, deletes;
    size_t len;
    char prefix[]; /* len bytes, NUL-terminated */
};

void prefix_stats_init(struct prefix_stats *ps, char delimiter)
{
    memset(ps, 0, sizeof(*ps));
    atomic_init(&ps->enabled, false);
    ps->delimiter = delimiter;
    pthread_mutex_init(&ps->lock, NULL);
}

void prefix_stats_free(struct prefix_stats *ps)
{
    pthread_mutex_lock(&ps->lock);
    for (size_t b = 0; b < PREFIX_STATS_BUCKETS; b++) {
        struct prefix_entry *e = ps->buckets[b];
        while (e != NULL) {
            struct prefix_entry *next = e->next;
            free(e);
            e = next;
        }
        ps->buckets[b] = NULL;
    }
    ps->count = 0;
    pthread_mutex_unlock(&ps->lock);
}

static uint32_t rotl32(uint32_t x, int r)
{
    return (x << r) | (x >> (32 - r));
}

uint32_t prefix_stats_hash(const char *key, size_t len)
{
    const uint8_t *data = (const uint8_t *)key;
    const uint32_t c1 = 0xcc9e2d51, c2 = 0x1b873593;
    uint32_t h = 0;
    size_t nblocks = len / 4;
    for (size_t i = 0; i < nblocks; i++) {
        uint32_t k;
        memcpy(&k, data + i * 4, 4); /* little-endian, as memcached's x86 build */
        k *= c1;
        k = rotl32(k, 15);
        k *= c2;
        h ^= k;
        h = rotl32(h, 13);
        h = h * 5 + 0xe6546b64;
    }
    const uint8_t *tail = data + nblocks * 4;
    uint32_t k = 0;
    switch (len & 3) {
    case 3:
        k ^= (uint32_t)tail[2] << 16;
        /* fall through */
    case 2:
        k ^= (uint32_t)tail[1] << 8;
        /* fall through */
    case 1:
        k ^= tail[0];
        k *= c1;
        k = rotl32(k, 15);
        k *= c2;
        h ^= k;
        break;
    default:
        break;
    }
    h ^= (uint32_t)len;
    h ^= h >> 16;
    h *= 0x85ebca6b;
    h ^= h >> 13;
    h *= 0xc2b2ae35;
    h ^= h >> 16;
    return h;
}

/* The entry of key's prefix, created if there is room. Lock held. */
static struct prefix_entry *find_locked(struct prefix_stats *ps, const char *key, size_t nkey)
{
    size_t len = 0;
    while (len < nkey && key[len] != '\0' && key[len] != ps->delimiter)
        len++;
    if (len >= nkey || key[len] != ps->delimiter)
        return NULL;
    uint32_t b = prefix_stats_hash(key, len) % PREFIX_STATS_BUCKETS;
    for (struct prefix_entry *e = ps->buckets[b]; e != NULL; e = e->next) {
        if (e->len == len && memcmp(e->prefix, key, len) == 0)
            return e;
    }
    if (ps->count >= PREFIX_STATS_MAX)
        return NULL;
    struct prefix_entry *e = calloc(1, sizeof(*e) + len + 1);
    if (e == NULL)
        return NULL;
    memcpy(e->prefix, key, len);
    e->len = len;
    e->next = ps->buckets[b];
    ps->buckets[b] = e;
    ps->count++;
    return e;
}

void prefix_stats_record(struct prefix_stats *ps, const char *key, size_t nkey,
                         enum prefix_event ev)
{
    pthread_mutex_lock(&ps->lock);
    struct prefix_entry *e = find_locked(ps, key, nkey);
    if (e != NULL) {
        switch (ev) {
        case PREFIX_GET_HIT:
            e->hits++;
            /* fall through */
        case PREFIX_GET_MISS:
            e->gets++;
            break;
        case PREFIX_SET:
            e->sets++;
            break;
        case PREFIX_DELETE:
            e->deletes++;
            break;
        }
    }
    pthread_mutex_unlock(&ps->lock);
}

void prefix_stats_dump(struct prefix_stats *ps, prefix_line_fn line, void *arg)
{
    /* a prefix is shorter than a key (at most 250 bytes) */
    char buf[512];
    pthread_mutex_lock(&ps->lock);
    for (size_t b = 0; b < PREFIX_STATS_BUCKETS; b++) {
        for (struct prefix_entry *e = ps->buckets[b]; e != NULL; e = e->next) {
            int n = snprintf(buf, sizeof(buf),
                             "PREFIX %s get %" PRIu64 " hit %" PRIu64 " set %" PRIu64 " del %" PRIu64,
                             e->prefix, e->gets, e->hits, e->sets, e->deletes);
            if (n > 0)
                line(arg, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
        }
    }
    pthread_mutex_unlock(&ps->lock);
}
