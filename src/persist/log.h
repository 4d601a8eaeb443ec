/*
 * log.h: the append log's writer — records gathered in memory by any
 * thread, written to the current segment by group commit, fsynced by
 * policy in a thread of its own.
 *
 *   any thread: plog_append ──▶ buffer (lock)      lsn = bytes appended so far
 *   a worker, before its replies leave:
 *       plog_write(lsn) ──▶ one write() of everything buffered by anyone
 *   sync thread: fdatasync when written > durable (always: at once;
 *       everysec: once a second); then on_durable() so held replies go;
 *       between fdatasyncs (everysec, no), every PLOG_STREAM_STEP written:
 *       hand the log to writeback and drop it from the page cache behind
 *       the writers (pagewin.h), so it holds about two steps of it
 *
 * A position in the log is an LSN: the count of record bytes appended
 * since the writer opened (it runs across segments). Writes are pwrite()s
 * at the file offset the log keeps, so a write cut short by a full disk is
 * simply written again over its own remains once room is back; the records
 * stay buffered until then (nothing unlogged is forgotten).
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

/* See above: the log's stretch of streaming to disk between fsyncs. */
#define PLOG_STREAM_STEP (4u << 20)

/* fsync latency buckets, microseconds: <=100, <=1000, <=10000, <=100000, more */
#define PLOG_FSYNC_BUCKETS 5

struct plog_stats {
    uint64_t seq;            /* the current segment */
    uint64_t segment_bytes;  /* its size */
    uint64_t records;        /* appended */
    uint64_t bytes;          /* written to segments */
    uint64_t writes;         /* write calls that wrote something */
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

/* Create segment DIR/log.<seq> (it must not exist), write its header and
 * fsync it and the directory; start the sync thread (with "no" it only
 * streams and retries failed writes). 0, or
 * -1 with err set. */
int plog_open(const char *dir, uint64_t seq, enum plog_fsync policy, plog_durable_fn on_durable,
              void *arg, struct plog **out, char *err, size_t errlen);

/* Buffer one record. Returns the LSN just past it. Thread-safe; never
 * blocks on I/O (it may wait for another thread's memcpy). On failure to
 * grow the buffer, marks the log failing and returns 0. */
uint64_t plog_append(struct plog *l, const struct rec *r);

/* Make sure everything up to lsn is written to the segment (not fsynced):
 * if not yet, write everything buffered, for every thread (group commit).
 * 0, or -1 when a write failed (errno set; the records stay buffered and
 * the sync thread retries them every PLOG_RETRY_MS). */
int plog_write(struct plog *l, uint64_t lsn);

/* The LSN written so far, and the LSN on disk for sure (fsynced). */
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

/* Write what is buffered, fsync, stop the thread, close. Sets *l NULL. */
void plog_close(struct plog **l);

#define PLOG_RETRY_MS 100

#endif
