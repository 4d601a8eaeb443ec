/*
 * stream.h: a bounded pipe of reply bytes from a producer thread to one
 * session — how a key dump (lru_crawler metadump/mgdump) reaches a client
 * without a worker walking the cache or holding the whole dump in memory.
 *
 *   producer thread                      session's worker thread
 *   ──stream_write──▶ staging chunk      │
 *        (full) ──▶ ring of STREAM_CHUNKS ──stream_pull──▶ outq ──▶ socket
 *        blocks while the ring is full ◀──signal──┘ (when outq is low)
 *        wakes the worker's loop on each chunk ──▶ session_stream_kick
 *
 * Bound: a stream holds at most (STREAM_CHUNKS + 1) * STREAM_CHUNK bytes,
 * and the session takes a chunk only while its output queue holds less
 * than the low mark it passes to stream_pull, so one dump costs at most
 * about 5 * 64 KiB + that mark, however large the cache. A slow reader
 * slows the producer down; it never grows memory.
 *
 * Two references: the producer's and the consumer's; the last one frees.
 * After the consumer cancels, stream_write returns -1 at once and the
 * producer never touches the worker's loop again.
 */
#ifndef MNEMO_SERVER_STREAM_H
#define MNEMO_SERVER_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#define STREAM_CHUNK (64u * 1024)
#define STREAM_CHUNKS 4

struct stream;
struct event_loop;
struct outq;

enum stream_status {
    STREAM_MORE = 0,  /* nothing more to take now; a kick follows when there is */
    STREAM_DONE = 1,  /* everything was taken and the producer finished */
    STREAM_ENOMEM = -1 /* the output queue could not take a chunk */
};

/* A stream whose producer wakes loop (the consumer's) when data is ready.
 * NULL when out of memory. Both references are held by the caller. */
struct stream *stream_create(struct event_loop *loop);

/* A live stream (watch): any number of producers call stream_offer, which
 * never blocks; the consumer also takes the partly filled chunk, so lines
 * arrive as they happen. When it is full, lines are dropped and counted,
 * and a "skipped=N\n" line (memcached's) precedes the next one that fits. */
struct stream *stream_create_live(struct event_loop *loop);

/* Live streams only, any thread: 0 queued, 1 dropped (full), -1 the
 * consumer has gone. */
int stream_offer(struct stream *st, const char *data, size_t n);

/* Lines dropped so far (live streams). */
unsigned long long stream_skipped_total(struct stream *st);

/* ---- producer side (one thread) ---- */

/* Append n bytes (n <= STREAM_CHUNK). May block while the ring is full.
 * 0, or -1 when the consumer has gone (stop producing). */
int stream_write(struct stream *st, const char *data, size_t n);

/* No more data: publish what is staged, then drop the producer's
 * reference. Sets *st to NULL. (A live stream's producer side just drops
 * its reference.) */
void stream_finish(struct stream **st);

/* ---- consumer side (the session's worker thread) ---- */

/* Move ready chunks into out while it holds fewer than low bytes. */
enum stream_status stream_pull(struct stream *st, struct outq *out, size_t low);

/* The session is done with the stream (finished or closing): unblock and
 * stop the producer, drop the consumer's reference. Sets *st to NULL. */
void stream_cancel(struct stream **st);

#endif
