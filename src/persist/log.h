/*
 * log.h: the append log's writer — records stored by any thread into the
 * log's tail in shared memory (tailring.h), written to the current segment
 * and fsynced by policy in a thread of its own.
 *
 *   any thread: plog_append ──▶ the ring (lock)     lsn = its stream position
 *       stored there, a record outlives a kill -9: it counts as written
 *   sync thread: writes the ring's new bytes to the segment (O_DIRECT
 *       where the file system has it), behind the writers; fdatasync when
 *       written > durable (always: at once; everysec: once a second); then
 *       on_durable() so held replies go
 *
 * A position in the log is an LSN: a position in the stream of segment
 * bytes the ring holds (it runs across segments, with padding between
 * them). A write cut short by a full disk is written again over its own
 * remains once room is back; the records stay in the ring until then
 * (nothing unlogged is forgotten), and the writers wait for room only
 * when the ring is full.
 */
#ifndef MNEMO_PERSIST_LOG_H
#define MNEMO_PERSIST_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "persist/record.h"

enum plog_fsync {
    PLOG_FSYNC_NO,       /* the OS writes back when it likes */
    PLOG_FSYNC_EVERYSEC, /* an fdatasync about once a second */
    PLOG_FSYNC_ALWAYS    /* replies wait for the fdatasync that covers them */
};

/* Written without O_DIRECT (a file system without it), the log is handed
 * to writeback and dropped from the page cache every this many bytes
 * (pagewin.h). */
#define PLOG_STREAM_STEP (4u << 20)

/* The ring of the log's tail in shared memory (tailring.h): a sixteenth of
 * the cache's memory (-m), at least PLOG_RING_MIN and at most PLOG_RING_MAX,
 * a power of two, and more where needed to hold 4 of the biggest records.
 * The ring is what lets the writers run on while the disk stalls: at
 * pipeline 16 with 4 KB sets (1.9 GB/s of log) 16 MB lasted 8 ms and writes
 * waited for room hundreds of times in 6 s, 64 MB all but never
 * (bench/results/2026-12-06-150000-persist-ring-recycle.md); a small cache
 * keeps the small ring. */
#define PLOG_RING_MIN (16u << 20)
#define PLOG_RING_MAX (64u << 20)

/* The ring's size for records of up to max_record bytes in a cache of
 * cache_bytes (0: unknown, the minimum). */
uint64_t plog_ring_size(uint64_t max_record, uint64_t cache_bytes);

/* fsync latency buckets, microseconds: <=100, <=1000, <=10000, <=100000, more */
#define PLOG_FSYNC_BUCKETS 5

struct plog_stats {
    uint64_t seq;            /* the current segment */
    uint64_t segment_bytes;  /* its size */
    uint64_t records;        /* appended */
    uint64_t bytes;          /* of records appended */
    uint64_t flushed_bytes;  /* written from the ring to segments */
    uint64_t writes;         /* write calls that wrote something */
    uint64_t tail_waits;     /* appends that waited for room in the ring (the disk behind) */
    uint64_t recycled;       /* segments started in the file of a dropped one */
    uint64_t fsyncs;
    uint64_t fsync_usec_total;
    uint64_t fsync_hist[PLOG_FSYNC_BUCKETS];
    uint64_t write_errors;   /* failed writes and fsyncs */
    int last_errno;          /* of the last failure, 0: none */
    bool failing;            /* records wait for a write or fsync that failed */
};

struct plog;

/* Called by the sync thread each time the durable LSN moved (and when a
 * failure makes waiting pointless); it must only wake someone. */
typedef void (*plog_durable_fn)(void *arg);

/* Make the ring (tailring_create: salvage what an earlier mnemod left
 * first) of ring_bytes (plog_ring_size); create segment DIR/log.<seq> (it must not exist), write its
 * header and fsync it and the directory; start the sync thread. 0, or -1
 * with err set. */
int plog_open(const char *dir, uint64_t seq, enum plog_fsync policy, uint64_t ring_bytes,
              plog_durable_fn on_durable, void *arg, struct plog **out, char *err,
              size_t errlen);

/* Store one record in the ring. Returns the LSN just past it. Thread-safe;
 * waits only while the ring is full (the disk behind). A record bigger
 * than half the ring, or a full ring while the log is failing: marks the
 * log failing and returns 0. */
uint64_t plog_append(struct plog *l, const struct rec *r);

/* Before replies for records up to lsn leave: they are in the ring, which
 * outlives the process, so this only wakes the sync thread with always
 * (whose fsync the replies wait for). 0. */
int plog_write(struct plog *l, uint64_t lsn);

/* The LSN appended so far (in the ring: written), and the LSN on disk for
 * sure (fsynced). */
uint64_t plog_written(const struct plog *l);
uint64_t plog_durable(const struct plog *l);

/* Block until durable >= lsn: 0, or -1 once the log is failing. */
int plog_wait_durable(struct plog *l, uint64_t lsn);

/* A write or fsync failed and has not succeeded since: errno value, or 0. */
int plog_failing(const struct plog *l);

enum plog_fsync plog_policy(const struct plog *l);

/* End the current segment (everything buffered written and fsynced) and
 * start segment seq + 1. *new_seq gets its number. 0, or -1 with err set
 * (the old segment stays current). */
int plog_rotate(struct plog *l, uint64_t *new_seq, char *err, size_t errlen);

void plog_stats(struct plog *l, struct plog_stats *out);

/* Segment DIR/log.<seq>, made redundant by a snapshot, goes: kept as
 * DIR/recycle.<seq> for a later segment to be written over (log.c says
 * when), else removed. Only while no plog writes it. */
void plog_retire_segment(const char *dir, uint64_t seq);

/* Write what the ring holds, fsync, stop the thread, close; the ring goes
 * once all of it is on disk (else it stays for the next start's salvage).
 * Sets *l NULL. */
void plog_close(struct plog **l);

#define PLOG_RETRY_MS 100

#endif
