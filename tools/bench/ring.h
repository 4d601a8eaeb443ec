/*
 * ring.h: which server owns a key when mnemo-bench drives several servers.
 * Ketama consistent hashing bit-compatible with libmemcached, taken from
 * libmnemo (include/mnemo/mnemo.h) so the bench shards exactly like every
 * other mnemo client.  Read-only after ring_create: shared by all threads.
 */
#ifndef MNEMO_BENCH_RING_H
#define MNEMO_BENCH_RING_H

#include <stddef.h>
#include <stdint.h>

struct bench_options;
struct ring;

/*
 * Build the ring for o's servers, precomputing the owner of every key
 * index when the key space is small enough (so the hot path does no MD5).
 * Returns NULL with a message in err on failure.  With one server the ring
 * is trivial and costs nothing.
 */
struct ring *ring_create(const struct bench_options *o, char *err, size_t errlen);
void ring_destroy(struct ring **r);

/* Index (into o->servers) of the server that owns key number index, whose
 * text is key[0..klen). */
unsigned ring_server_of(const struct ring *r, uint64_t index, const char *key, size_t klen);

#endif
