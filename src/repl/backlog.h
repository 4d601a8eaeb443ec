/*
 * backlog.h: the replication backlog — the last bytes of the replication
 * stream, kept in a ring so a replica that reconnects can continue where
 * it stopped instead of copying the whole cache again.
 *
 * An offset counts the stream's bytes since it began (the replication id
 * names the stream: repl.c). The ring holds [start, end); appends past
 * its size overwrite the oldest bytes and move start. Whole records go in
 * (from any thread, under the ring's lock, in the order the journal hands
 * them out); readers copy out from an offset and wait for more.
 */
#ifndef MNEMO_REPL_BACKLOG_H
#define MNEMO_REPL_BACKLOG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "persist/record.h"

struct backlog;

/* A ring of cap bytes, its stream at offset 0. NULL: no memory. */
struct backlog *backlog_create(size_t cap);
void backlog_free(struct backlog **b);

/* Append one record (encoded here; the end offset after it is returned),
 * or bytes already encoded. */
uint64_t backlog_append_rec(struct backlog *b, const struct rec *r);
void backlog_append_raw(struct backlog *b, const char *data, size_t n);

/* Empty the ring: the stream goes on from offset. */
void backlog_reset(struct backlog *b, uint64_t offset);

/* The offsets held: [*start, *end). */
void backlog_range(struct backlog *b, uint64_t *start, uint64_t *end);
size_t backlog_size(const struct backlog *b);

/* Copy up to cap bytes from offset from into dst: their count (0: none
 * yet), or -1 when from is no longer (or never was) in the ring. */
ssize_t backlog_read(struct backlog *b, uint64_t from, char *dst, size_t cap);

/* Wait until the stream goes past from, at most timeout_ms; the end. */
uint64_t backlog_wait(struct backlog *b, uint64_t from, int timeout_ms);

#endif
