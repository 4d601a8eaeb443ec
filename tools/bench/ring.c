/*
 * ring.c: server selection.  With MNEMO_BENCH_LIBMNEMO (the normal build)
 * placement is libmnemo's ketama; without it (a tree where the client
 * library does not build) keys fall back to a plain hash modulo the server
 * count, and mnemo-bench says so when several servers are given.
 */
#include "ring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "options.h"

#ifdef MNEMO_BENCH_LIBMNEMO
#include <mnemo/mnemo.h>
#endif

#define RING_TABLE_MAX (UINT64_C(1) << 24) /* precompute up to 16M keys (32 MB) */

struct ring {
    unsigned count;
    uint16_t *table; /* owner of each key index, or NULL */
#ifdef MNEMO_BENCH_LIBMNEMO
    struct mnemo_client *client;
#endif
};

static unsigned lookup(const struct ring *r, const char *key, size_t klen)
{
#ifdef MNEMO_BENCH_LIBMNEMO
    return (unsigned)mnemo_server_for_key(r->client, key, klen);
#else
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < klen; i++)
        h = (h ^ (unsigned char)key[i]) * 16777619u;
    return h % r->count;
#endif
}

struct ring *ring_create(const struct bench_options *o, char *err, size_t errlen)
{
    struct ring *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->count = (unsigned)o->server_count;
    if (r->count <= 1)
        return r;
#ifdef MNEMO_BENCH_LIBMNEMO
    size_t cap = o->server_count * (sizeof(o->servers[0].host) + 12) + 1;
    char *list = malloc(cap);
    if (!list) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    size_t len = 0;
    for (size_t i = 0; i < o->server_count; i++) {
        const char *h = o->servers[i].host;
        int v6 = strchr(h, ':') != NULL;
        len += (size_t)snprintf(list + len, cap - len, "%s%s%s%s:%s", i ? "," : "", v6 ? "[" : "",
                                h, v6 ? "]" : "", o->servers[i].port);
    }
    mnemo_status st = mnemo_create(&r->client, list, NULL);
    free(list);
    if (st != MNEMO_OK || mnemo_server_count(r->client) != o->server_count) {
        snprintf(err, errlen, "cannot build the ketama ring: %s", mnemo_strerror(st));
        goto fail;
    }
#endif
    if (o->keys <= RING_TABLE_MAX) {
        r->table = malloc(o->keys * sizeof(r->table[0]));
        if (!r->table) {
            snprintf(err, errlen, "out of memory for the key table");
            goto fail;
        }
        size_t plen = strlen(o->key_prefix);
        char key[BENCH_MAX_KEY + 1];
        for (uint64_t i = 0; i < o->keys; i++) {
            size_t klen = key_format(key, sizeof(key), o->key_prefix, plen, i);
            r->table[i] = (uint16_t)lookup(r, key, klen);
        }
    }
    return r;
fail:
    ring_destroy(&r);
    return NULL;
}

void ring_destroy(struct ring **rp)
{
    struct ring *r = *rp;
    if (!r)
        return;
#ifdef MNEMO_BENCH_LIBMNEMO
    if (r->client)
        mnemo_destroy(&r->client);
#endif
    free(r->table);
    free(r);
    *rp = NULL;
}

unsigned ring_server_of(const struct ring *r, uint64_t index, const char *key, size_t klen)
{
    if (r->count <= 1)
        return 0;
    if (r->table)
        return r->table[index];
    return lookup(r, key, klen);
}
