/*
 * prefix_stats.h: memcached's "stats detail" counters — gets, hits, sets
 * and deletes per key prefix (the part of a key before the delimiter, ':'
 * by default), for text and binary get/set/delete while "stats detail on".
 *
 * One mutex guards the table; it is taken only while detail is on, and
 * the request path checks that with one relaxed load. As memcached, at
 * most PREFIX_STATS_MAX prefixes are tracked (later ones are not counted)
 * and "stats detail dump" lists them in the order of memcached's own
 * table (MurmurHash3 of the prefix modulo 256, newest first in a bucket),
 * so the dump is byte-identical to memcached's for the same traffic.
 */
#ifndef MNEMO_SERVER_PREFIX_STATS_H
#define MNEMO_SERVER_PREFIX_STATS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PREFIX_STATS_BUCKETS 256
#define PREFIX_STATS_MAX (1u << 16)

struct prefix_entry;

struct prefix_stats {
    atomic_bool enabled; /* "stats detail on|off" */
    char delimiter;
    pthread_mutex_t lock; /* the table */
    struct prefix_entry *buckets[PREFIX_STATS_BUCKETS];
    size_t count;
};

enum prefix_event { PREFIX_GET_MISS, PREFIX_GET_HIT, PREFIX_SET, PREFIX_DELETE };

void prefix_stats_init(struct prefix_stats *ps, char delimiter);
void prefix_stats_free(struct prefix_stats *ps); /* forget every prefix */

static inline bool prefix_stats_on(struct prefix_stats *ps)
{
    return atomic_load_explicit(&ps->enabled, memory_order_relaxed);
}

/* Count ev for key's prefix; a key without the delimiter is not counted. */
void prefix_stats_record(struct prefix_stats *ps, const char *key, size_t nkey,
                         enum prefix_event ev);

/* Call line(arg, text, len) for each "PREFIX <p> get N hit N set N del N"
 * line (without "\r\n"), under the table's lock (line must not call back
 * in). */
typedef void (*prefix_line_fn)(void *arg, const char *text, size_t len);
void prefix_stats_dump(struct prefix_stats *ps, prefix_line_fn line, void *arg);

/* MurmurHash3 x86_32, seed 0: memcached's default hash. */
uint32_t prefix_stats_hash(const char *key, size_t len);

#endif
