/*
 * ketama.c: libmemcached's weighted ketama continuum, reproduced exactly.
 *
 *   server i ──▶ points = floor(w_i/W * 160/4 * n + 1e-10) * 4  (float32!)
 *            ──▶ for j in 0..points/4: MD5("host-j") if port == 11211
 *                                      MD5("host:port-j") otherwise
 *            ──▶ 4 points per digest: bytes [4a..4a+3] little-endian
 *   all points sorted by (value, server index); a key goes to the first
 *   point >= MD5(key)[0..3], wrapping past the last point to the first.
 *
 * The float32 arithmetic is part of the contract: libmemcached computes
 * the point count in float, and with some server counts and weights the
 * result lands just under an integer, so computing in double would give a
 * different ring.
 */
#include "client/ketama.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "client/md5.h"

#define KETAMA_POINTS_PER_SERVER 160
#define KETAMA_DEFAULT_PORT 11211

static uint32_t digest_word(const unsigned char *d, unsigned a)
{
    return (uint32_t)d[3 + a * 4] << 24 | (uint32_t)d[2 + a * 4] << 16 |
           (uint32_t)d[1 + a * 4] << 8 | (uint32_t)d[0 + a * 4];
}

uint32_t ketama_hash(const void *key, size_t len)
{
    unsigned char d[16];

    md5_digest(key, len, d);
    return digest_word(d, 0);
}

static int point_cmp(const void *p1, const void *p2)
{
    const struct ketama_point *a = p1, *b = p2;

    if (a->value != b->value)
        return a->value > b->value ? 1 : -1;
    if (a->index != b->index)
        return a->index > b->index ? 1 : -1;
    return 0;
}

/* libmemcached's pointer_per_server for weighted ketama, in float32. */
static uint32_t points_for(uint32_t weight, uint64_t total_weight, size_t live)
{
    float pct = (float)weight / (float)total_weight;
    float v = pct * (float)KETAMA_POINTS_PER_SERVER / 4.0f * (float)live + 0.0000000001F;

    return (uint32_t)floorf(v) * 4;
}

int ketama_build(struct ketama *k, const struct ketama_server *servers, size_t n)
{
    uint64_t total = 0;
    size_t cap = 0, count = 0;

    ketama_free(k);
    for (size_t i = 0; i < n; i++)
        total += servers[i].weight;
    if (total == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        cap += points_for(servers[i].weight, total, n);
    if (cap == 0)
        return 0;
    k->points = calloc(cap, sizeof(*k->points));
    if (k->points == NULL)
        return -1;

    for (size_t i = 0; i < n; i++) {
        uint32_t pts = points_for(servers[i].weight, total, n);

        for (uint32_t j = 0; j < pts / 4; j++) {
            char name[1100];
            int len;
            unsigned char d[16];

            if (servers[i].port == KETAMA_DEFAULT_PORT)
                len = snprintf(name, sizeof(name), "%s-%u", servers[i].host, j);
            else
                len = snprintf(name, sizeof(name), "%s:%u-%u", servers[i].host,
                               (unsigned)servers[i].port, j);
            if (len < 0 || (size_t)len >= sizeof(name))
                len = (int)sizeof(name) - 1; /* absurd host names: hashed truncated */
            md5_digest(name, (size_t)len, d);
            for (unsigned a = 0; a < 4; a++) {
                k->points[count].index = (uint32_t)i;
                k->points[count].value = digest_word(d, a);
                count++;
            }
        }
    }
    qsort(k->points, count, sizeof(*k->points), point_cmp);
    k->count = count;
    return 0;
}

void ketama_free(struct ketama *k)
{
    free(k->points);
    k->points = NULL;
    k->count = 0;
}

size_t ketama_find(const struct ketama *k, uint32_t hash)
{
    size_t left = 0, right = k->count;

    while (left < right) {
        size_t mid = left + (right - left) / 2;

        if (k->points[mid].value < hash)
            left = mid + 1;
        else
            right = mid;
    }
    return right == k->count ? 0 : right;
}
