/*
 * persist.h: persistence as the server sees it — one directory holding an
 * append log and snapshots of one store.
 *
 * persist_open() locks the directory, recovers the store from it (the
 * newest snapshot, then the log after it), starts a new log segment and
 * becomes the journal's log sink, so every mutation from then on is
 * logged (journal.h, in key order). The server's part is to let no reply leave before
 * the log holds what it acknowledges:
 *
 *   a connection's requests changed something (persist_thread_changes()
 *   moved): hold its replies for persist_thread_lsn();
 *   at the end of the loop's batch, in the same thread:
 *     persist_commit()      writes this thread's records (and everyone's
 *                           buffered with them) in one write; -1: they
 *                           could not be written, so their replies must
 *                           not go at all
 *     persist_ready()       replies held for an LSN up to this may go: the
 *                           LSN written, or with appendfsync always the LSN
 *                           fsynced (the fsync thread calls on_durable as
 *                           it moves)
 *   before a mutation: persist_refusing() -> an errno while the log cannot
 *                           be written (the write is refused, not done)
 *
 * Snapshots run in a thread of their own (timed, on request, and at close).
 * Knows store.h and the record format; nothing of protocols or sockets.
 */
#ifndef MNEMO_PERSIST_PERSIST_H
#define MNEMO_PERSIST_PERSIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "persist/log.h"

struct store;
struct persist;

struct journal;

struct persist_config {
    const char *dir;
    struct journal *journal; /* of the store: persist becomes its log sink */
    enum plog_fsync fsync;
    int snapshot_every;  /* seconds; 0: no timed snapshots */
    bool keep_prefix;    /* load the valid prefix of a damaged file instead of refusing */
    size_t max_value;    /* the biggest value a record carries (-I) */
    uint64_t cache_bytes; /* the cache's memory (-m): the log's tail grows with it */
    /* Called (from the log's sync thread) when the durable LSN moved:
     * wake the threads holding replies. May be NULL. */
    void (*on_durable)(void *arg);
    void *arg;
};

/* Create/lock the directory, recover into store (empty, no sink set), open
 * a new log segment, become the journal's log sink. Messages about what recovery did (a
 * torn tail cut off, the valid prefix kept) go to stderr. 0, or -1 with a
 * one-line reason in err (the directory is then left as it was found, but
 * for a torn tail cut off). */
int persist_open(const struct persist_config *cfg, struct store *store, struct persist **out,
                 char *err, size_t errlen);

/* How many changes this thread has logged (or failed to log) so far: a
 * caller compares it before and after a batch to know whether the batch
 * changed anything. Thread-local; cheap. */
uint64_t persist_thread_changes(void);

/* The LSN just past the last record this thread logged. */
uint64_t persist_thread_lsn(void);

/* Write what this thread logged (see above). 0, or -1 (errno set). */
int persist_commit(struct persist *p);

/* appendfsync always: replies of writes wait for an fsync. */
bool persist_holds_replies(const struct persist *p);

/* Replies held for an LSN up to this may leave (see above). */
uint64_t persist_ready(const struct persist *p);


/* Block until the log is fsynced up to lsn (or fails: -1). For a caller
 * that cannot hold its replies (UDP). */
int persist_wait_durable(struct persist *p, uint64_t lsn);

/* An errno while writes must be refused, else 0. Cheap (one load). */
int persist_refusing(const struct persist *p);

/* Did the start find the store as a clean stop left it: a snapshot and
 * no change logged after it? (Replication then resumes its stream where
 * the stop left it: repl.h.) */
bool persist_recovered_cleanly(const struct persist *p);

/* The directory. */
const char *persist_dir(const struct persist *p);

/* Start a snapshot in the background (coalesced with one running). */
void persist_snapshot_request(struct persist *p);

/* "stats persistence": each field through emit. */
typedef void (*persist_emit_fn)(void *arg, const char *name, const char *value);
void persist_stats(struct persist *p, persist_emit_fn emit, void *arg);

/* Stop: with snapshot, write one first (a clean shutdown), then close the
 * log and unlock. No mutation may run any more. Sets *p NULL. */
void persist_close(struct persist **p, bool snapshot);

#endif
