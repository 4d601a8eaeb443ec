/*
 * twemproxy.c: nutcracker 0.5's ketama continuum (src/hashkit/nc_ketama.c
 * with the names src/nc_conf.c gives servers).
 *
 *   "host:port:weight" ──▶ name "host" if port == 11211, else "host:port"
 *                      ──▶ points = floor(w/W * 160/4 * n + 1e-10) * 4
 *                          (float32), MD5("name-j") for j < points/4,
 *                          four little-endian words per digest
 *   points sorted by value; equal values keep nutcracker's server order
 *   (names sorted shortest first, then bytewise); a key goes to the first
 *   point >= its hash, past the last point to the first.
 *
 * That is libmemcached's weighted continuum point for point (same names,
 * same float arithmetic, the double 1e-10 nutcracker adds rounds away as
 * libmemcached's float one does), so ketama_build() makes the points and
 * only the order of equal values is redone here.  The order matters: two
 * servers' points with one value decide who owns the whole arc before it,
 * and in a pool of a hundred servers such a pair turns up a few times in a
 * hundred.  nutcracker sorts its servers by name when it reads its
 * configuration and then sorts the continuum with glibc's qsort, a merge
 * sort that keeps that order among equal values.
 *
 * So what sets nutcracker apart from libmnemo's ketama is that order and
 * the key hash (twemproxy_hash.c: nutcracker's default is fnv1a_64 where
 * libmemcached's ketama hashes keys with MD5).  Servers named in
 * nutcracker's pool ("host:port:weight name") put the name in the points
 * instead, which a libmnemo server list cannot express.
 */
#include "client/twemproxy.h"

#include <stdio.h>
#include <string.h>

#define TWEMPROXY_DEFAULT_PORT 11211

/* The name nutcracker gives an unnamed server; returns its length.  A host
 * is at most 255 bytes (pool.c), so the name fits. */
static size_t server_name(const struct ketama_server *s, char name[300])
{
    int n = s->port == TWEMPROXY_DEFAULT_PORT
                ? snprintf(name, 300, "%s", s->host)
                : snprintf(name, 300, "%s:%u", s->host, (unsigned)s->port);

    return n < 0 ? 0 : (size_t)n >= 300 ? 299 : (size_t)n;
}

/* nutcracker's string_compare on the names: length first, then bytes. */
static int name_cmp(const struct ketama_server *a, const struct ketama_server *b)
{
    char na[300], nb[300];
    size_t la = server_name(a, na), lb = server_name(b, nb);

    if (la != lb)
        return la < lb ? -1 : 1;
    return memcmp(na, nb, la);
}

/* 1 if server a comes before server b in nutcracker's order (one name
 * twice, which nutcracker refuses: list order). */
static int before(const struct ketama_server *servers, uint32_t a, uint32_t b)
{
    int c = name_cmp(&servers[a], &servers[b]);
    return c < 0 || (c == 0 && a < b);
}

int twemproxy_build(struct ketama *k, const struct ketama_server *servers, size_t n)
{
    if (ketama_build(k, servers, n) != 0)
        return -1;
    /* Runs of equal values (rare): insertion sort into nutcracker's order. */
    for (size_t start = 0; start < k->count;) {
        size_t end = start + 1;
        while (end < k->count && k->points[end].value == k->points[start].value)
            end++;
        for (size_t i = start + 1; i < end; i++) {
            struct ketama_point p = k->points[i];
            size_t j = i;
            while (j > start && before(servers, p.index, k->points[j - 1].index)) {
                k->points[j] = k->points[j - 1];
                j--;
            }
            k->points[j] = p;
        }
        start = end;
    }
    return 0;
}
