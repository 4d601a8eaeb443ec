/*
 * tailring.h: the append log's tail in shared memory.
 *
 * A worker's record must outlive a kill -9 before its reply leaves. A
 * write() per loop turn into the page cache does that, at the price of a
 * system call and of the page cache's work for every new page, in the
 * worker's time (at pipeline 16 with 4 KB sets, a quarter of its
 * throughput). Here the records are stored into a file mapped shared on
 * tmpfs (/dev/shm; the log's directory where there is none): its pages
 * belong to the file, not to the process, so what is stored survives the
 * process, and the same pages serve round after round (no allocation,
 * no writeback). The log's sync thread writes the ring to the segment
 * behind the writers; recovery takes what a killed mnemod left in the
 * ring and had not written (tailring_salvage) before it reads the log.
 * An OS crash loses the ring, as it loses the page cache: what was not
 * fsynced (everysec: about a second).
 *
 * The file: a 4096-byte head with two slots, the state written
 * alternately (generation and CRC32C each: a kill while one is written
 * leaves the other), then the ring: `size` bytes (a power of two) holding
 * the log's byte stream, position p at p mod size.
 *
 * The stream holds every segment's file bytes from its offset 0 (header,
 * then records), starting at a position that is a multiple of 4096 (its
 * base), so a position and its file offset agree mod 4096 and the ring
 * can be written with O_DIRECT. Between segments: padding.
 *
 * The writers never overwrite a position before they are allowed to
 * (kept + size): what was kept is on disk. A 4-byte zero follows the
 * last record (a record's length is never zero), stored before the
 * record itself, so a reader of the ring stops at the end of what was
 * appended, never in an earlier lap's bytes.
 */
#ifndef MNEMO_PERSIST_TAILRING_H
#define MNEMO_PERSIST_TAILRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TAILRING_HEAD 4096u
#define TAILRING_ALIGN 4096u

/* A segment is named by its number and by its file's inode: a ring is
 * salvaged only into the very files it was written for (a directory made
 * again, or a segment copied back from a backup, has other inodes). */
struct tailring_state {
    uint64_t kept;      /* positions from here on are still in the ring */
    uint64_t prev_seq;  /* the segment before the current one, 0: none, */
    uint64_t prev_ino;
    uint64_t prev_base; /*   where it starts */
    uint64_t prev_end;  /*   and ends in the stream */
    uint64_t cur_seq;   /* the current segment */
    uint64_t cur_ino;
    uint64_t cur_base;
};

struct tailring {
    char *data;    /* the ring, size bytes */
    uint64_t size; /* a power of two, >= 2 * TAILRING_ALIGN */
    char *map;     /* head and ring */
    int fd;
    uint64_t gen;  /* of the slot written last */
    char path[4200];
};

/* Make the ring for directory dir (which must exist; its lock held),
 * replacing any left by an earlier mnemod (salvage first). On tmpfs in
 * /dev/shm when it takes it, else in dir. 0, or -1 with err set. */
int tailring_create(const char *dir, uint64_t size, struct tailring **out, char *err,
                    size_t errlen);

/* Record the state (the writer of the slots is one thread at a time). */
void tailring_publish(struct tailring *t, const struct tailring_state *s);

/* Unmap, close and remove the file (the log it served is on disk). */
void tailring_remove(struct tailring **t);

/* Unmap and close, leaving the file for the next start's salvage (the log
 * could not be written out). */
void tailring_leave(struct tailring **t);

/* Copy n bytes of the stream at position pos out of / into the ring. */
void tailring_read(const struct tailring *t, uint64_t pos, char *dst, size_t n);
void tailring_write(struct tailring *t, uint64_t pos, const char *src, size_t n);

/*
 * Before recovery: if a mnemod that ran on dir left its ring, append to
 * its segments (the previous one, then the current one) the records the
 * ring holds past their valid end on disk, fsync them and remove the
 * ring. *salvaged gets the bytes appended. A ring whose state does not
 * match the segments (or is damaged) is left to recovery's own checks and
 * removed. 0, or -1 with err set (a segment could not be written).
 */
int tailring_salvage(const char *dir, uint64_t *salvaged, char *err, size_t errlen);

#endif
