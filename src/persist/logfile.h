/*
 * logfile.h: an append-log segment on disk, and reading one back.
 *
 * The log is a series of segment files, DIR/log.<seq as 16 hex digits>,
 * each a header followed by records (record.h) back to back:
 *
 *   0   "MNEMOLOG"   8 bytes
 *   8   u32 version  1 or 2 (LOGFILE_VERSION, what mnemod writes)
 *   12  u32 0
 *   16  u64 seq      the segment's number (as in its name)
 *   24  u32 crc      CRC32C of bytes 0..23
 *   28  u32 0
 *   version 1: records from 32 on.
 *   version 2: the header fills the first block (LOGFILE_BLOCK bytes):
 *   512 commit slot: u64 committed, u64 generation, u32 CRC32C of those
 *       16 bytes, u32 0
 *   1024 the same slot again (each in its own sector: a torn write of the
 *       block leaves one of them whole)
 *   4096 records, each with its crc XORed with logfile_salt(seq)
 *
 * Version 2 lets a segment file be used again (log.c recycles the files of
 * dropped segments: writing over blocks a file already has is twice as
 * fast as taking new ones here). Its size then says nothing of where the
 * new records end, and what follows them is an earlier life's records.
 * Those carry another salt, so they fail their crc; and `committed` (the
 * valid slot of the higher generation) is a length that was fsynced before
 * the slot was written, so up to it every record must be valid.
 *
 * A reader tells three endings apart: clean (the last record ends at the
 * end of the file), torn (the file ends inside the last record: a write cut
 * short by a crash, which recovery cuts off; in version 2 also any record
 * past `committed` that fails its checks: whatever follows it was never
 * fsynced) and damaged (a record before that fails its checks: recovery
 * refuses to start, or keeps the prefix when told to). Reading is pure of
 * any store or clock.
 */
#ifndef MNEMO_PERSIST_LOGFILE_H
#define MNEMO_PERSIST_LOGFILE_H

#include <stddef.h>
#include <stdint.h>

#include "persist/record.h"

#define LOGFILE_HEADER 32u
#define LOGFILE_VERSION 2u
#define LOGFILE_BLOCK 4096u /* version 2's header block; its records start here */

/* A version 1 header (LOGFILE_HEADER bytes): what earlier mnemods wrote,
 * still read. */
void logfile_header_encode(uint64_t seq, char out[LOGFILE_HEADER]);

/* A version 2 header block with both commit slots at (committed, gen). */
void logfile_block_encode(uint64_t seq, uint64_t committed, uint64_t gen,
                          char out[LOGFILE_BLOCK]);

/* The salt of segment seq's records (version 2): a different one for
 * every segment number below 2^32. */
uint32_t logfile_salt(uint64_t seq);

/* 0 and *seq, or -1 when buf does not start with a valid header (of
 * either version; a version 2 header needs only its first LOGFILE_HEADER
 * bytes here). */
int logfile_header_decode(const char *buf, size_t len, uint64_t *seq);

enum logfile_end {
    LOGFILE_CLEAN,   /* every byte belongs to a valid record */
    LOGFILE_TORN,    /* the file ends inside its last record */
    LOGFILE_DAMAGED, /* a record (or the header) fails its checks */
    LOGFILE_STOPPED  /* the callback returned nonzero */
};

struct logfile_scan {
    enum logfile_end end;
    uint64_t seq;        /* from the header (0 if the header is damaged) */
    uint32_t version;    /* from the header (0 if the header is damaged) */
    uint32_t salt;       /* of its records (0: version 1) */
    uint64_t committed;  /* version 2: records up to here must be valid */
    uint64_t committed_gen; /* the generation of the slot that says so */
    uint64_t records;    /* valid records passed to the callback */
    uint64_t valid_end;  /* offset just after the last valid record (or the header) */
    uint64_t file_size;
};

/* Called for each valid record in order; offset is the record's position
 * in the file. Nonzero stops the scan (returned by logfile_scan_*). */
typedef int (*logfile_rec_fn)(void *arg, const struct rec *r, uint64_t offset);

/* Read the segment open on fd from its start, calling fn (may be NULL) for
 * each valid record, until its end or the first record that is not valid.
 * Fills *out. Returns 0, the callback's nonzero value, or -1 on a read
 * error (errno set). Memory: bounded by the largest record. */
int logfile_scan_fd(int fd, logfile_rec_fn fn, void *arg, struct logfile_scan *out);

/* Is everything from `from` to `size` zero bytes? A file system may leave
 * a file's last blocks zeroed after a crash (its size written, its data
 * not): no record is all zeros, so a DAMAGED scan whose rest is zeros is a
 * torn tail (recovery and `mnemo-cli check` both read it so). 1 or 0 (also
 * on a read error). */
int logfile_zero_tail(int fd, uint64_t from, uint64_t size);

/* The same over bytes in memory (the fuzz target's entry). */
int logfile_scan_buf(const char *buf, size_t len, logfile_rec_fn fn, void *arg,
                     struct logfile_scan *out);

#endif
