/*
 * snapfile.h: a snapshot file — every live item at one point, from which
 * the log is replayed.
 *
 * DIR/snapshot.<log seq as 16 hex digits>: written under a temporary name
 * (path + ".tmp"), fsynced, renamed, and the directory fsynced, so a crash
 * leaves either the old snapshot or the new one, never half of one.
 *
 *   0   "MNEMOSNP"     8 bytes
 *   8   u32 version    SNAPFILE_VERSION
 *   12  u32 0
 *   16  u64 log_seq    replay the log from this segment on
 *   24  i64 created    Unix time the snapshot began
 *   32  u64 cas_high   no cas handed out before the snapshot began is above it
 *   40  i64 flush_at   a delayed flush_all pending then (Unix time), 0: none
 *   48  u32 crc        CRC32C of bytes 0..47
 *   52  u32 0
 *   56  blocks: u32 len, u32 crc (CRC32C of the len bytes after it), then
 *       len bytes of records (record.h) back to back; no record spans
 *       blocks
 *   end: u32 0, u32 crc (CRC32C of the 16 bytes after it), u64 items,
 *        u64 bytes (the file's size up to this trailer)
 *
 * A file without a valid trailer is incomplete and is not loaded. Every
 * integer is little-endian.
 */
#ifndef MNEMO_PERSIST_SNAPFILE_H
#define MNEMO_PERSIST_SNAPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "persist/logfile.h"
#include "persist/record.h"

#define SNAPFILE_VERSION 1u
#define SNAPFILE_HEADER 56u
/* Records are gathered into blocks of about this size before a write. */
#define SNAPFILE_BLOCK (256u * 1024)

struct snapfile_meta {
    uint64_t log_seq;
    int64_t created;
    uint64_t cas_high;
    int64_t flush_at;
};

struct snapfile_writer;

/* Start writing path + ".tmp" (replacing any). 0, or -1 with err set. */
int snapfile_create(const char *path, const struct snapfile_meta *meta,
                    struct snapfile_writer **out, char *err, size_t errlen);

/* Add one record (REC_SET; a record larger than a block gets a block of
 * its own). 0, or -1 with err set (a write failed: abort). */
int snapfile_add(struct snapfile_writer *w, const struct rec *r, char *err, size_t errlen);

/* Finish: last block, trailer, fsync, rename to path, fsync the
 * directory; frees w. 0, or -1 with err set (the temporary file is then
 * removed and w freed). */
int snapfile_commit(struct snapfile_writer **w, char *err, size_t errlen);

/* Give up: remove the temporary file, free w. */
void snapfile_abort(struct snapfile_writer **w);

/* Items and bytes written so far. */
uint64_t snapfile_items(const struct snapfile_writer *w);
uint64_t snapfile_bytes(const struct snapfile_writer *w);

/* Whether the file is written with O_DIRECT (outfile.h), or through the
 * page cache (the filesystem refused O_DIRECT: tmpfs). */
bool snapfile_direct(const struct snapfile_writer *w);

enum snapfile_status {
    SNAPFILE_OK,         /* complete and every check passed */
    SNAPFILE_DAMAGED,    /* a header, block or record fails its checks */
    SNAPFILE_INCOMPLETE, /* no valid trailer: the file ends early */
    SNAPFILE_STOPPED,    /* the callback returned nonzero */
    SNAPFILE_IO_ERROR    /* errno set */
};

struct snapfile_read {
    enum snapfile_status status;
    struct snapfile_meta meta;
    uint64_t items;      /* records passed to the callback */
    uint64_t bad_offset; /* DAMAGED/INCOMPLETE: where the first bad byte is */
};

/* Read a snapshot: the header into out->meta (filled before fn sees the
 * first record, so fn may read it through its arg), then every record to fn
 * (block by block; a block is checked whole before any of its records is
 * passed on). fn's offset is the record's position in the file. Returns
 * 0 when status is OK, else -1 (or the callback's value for STOPPED).
 * Garbage is never passed to fn. A caller that must load all or nothing
 * checks first with fn = NULL. */
int snapfile_read_fd(int fd, logfile_rec_fn fn, void *arg, struct snapfile_read *out);

/* The item count of a complete snapshot, from its trailer alone (for
 * sizing the store's index before loading): 0, or -1 when the trailer is
 * not valid (reading the whole file then tells what is wrong). */
int snapfile_peek_items(int fd, uint64_t *items);
int snapfile_read_buf(const char *buf, size_t len, logfile_rec_fn fn, void *arg,
                      struct snapfile_read *out);

#endif
