/*
 * peek.h: the keys of the text commands (classic and meta) waiting in a
 * buffer, found without parsing the commands.
 *
 * Why: a worker warms the index for a whole batch of requests before it
 * executes any of them (store_prefetch_*), so that their cache misses
 * overlap. This needs the keys only, cheaply; the real parse comes later and
 * decides what the bytes mean. So the scan is forgiving, never an error: it
 * stops at anything it does not know.
 *
 * Pure: no allocation; the keys point into the buffer.
 */
#ifndef MNEMO_PROTO_PEEK_H
#define MNEMO_PROTO_PEEK_H

#include <stddef.h>

struct peek_key {
    const char *key;
    size_t nkey;
};

/* The keys of the complete commands at the start of buf[0..len), in order,
 * at most max. A storage command's data block is skipped by its length.
 * Stops at the first incomplete line or data block and at a command that is
 * not a key command of the text or meta protocol. Returns how many. */
size_t peek_keys(const char *buf, size_t len, struct peek_key *out, size_t max);

#endif
