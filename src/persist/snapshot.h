/*
 * snapshot.h: snapshots of a store, written in a thread of their own
 * (timed, on request, when the log has grown) or right now (at shutdown).
 */
#ifndef MNEMO_PERSIST_SNAPSHOT_H
#define MNEMO_PERSIST_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

struct store;
struct plog;
struct snapshotter;

/* A log segment grown past both of these since the last snapshot starts
 * one, so the log never grows without bound between timed snapshots
 * (Redis's auto-aof-rewrite rule, with its 64 MB floor), and a recovery
 * reads at most about twice the snapshot's bytes. */
#define SNAPSHOT_AUTO_MIN_BYTES (64ull << 20)
#define SNAPSHOT_AUTO_FACTOR 1

struct snapshot_stats {
    uint64_t snapshots, errors, last_items, last_usec, last_bytes;
    int64_t last_time; /* Unix, 0: none yet */
    int running;
};

/* Start the thread: a snapshot every `every` seconds (0: none timed) of
 * store into dir, with log's segments. 0 or -1. */
int snapshotter_start(const char *dir, struct store *store, struct plog *log, int every,
                      struct snapshotter **out);

/* Ask for one soon (coalesced with one running or asked for). */
void snapshotter_request(struct snapshotter *sn);

/* Write one now, in the caller's thread (at shutdown), after any one
 * running. 0, or -1 with err set. */
int snapshotter_write(struct snapshotter *sn, char *err, size_t errlen);

void snapshotter_stats(struct snapshotter *sn, struct snapshot_stats *out);

/* Stop the thread (waits for a snapshot running to end) and free. */
void snapshotter_stop(struct snapshotter **sn);

#endif
