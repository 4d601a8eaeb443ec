/*
 * outfile.h: a file written front to back from one aligned buffer, with
 * O_DIRECT where the filesystem takes it and through the page cache
 * (pagewin.h) where it does not.
 *
 * Why hand-rolled: on this VM, writing into the page cache is the
 * expensive part of a snapshot. A fresh page-cache page costs about
 * 1.3 µs per 4 KB to copy into (free page reporting hands freed pages back
 * to the host, and the first touch of one brings it back), while an
 * O_DIRECT write of 1 MB runs at about 2.1 GB/s for about 0.44 µs of guest
 * CPU per 4 KB, the device's DMA reading the caller's buffer. A snapshot
 * is written once and read back only on a restart, so the page cache buys
 * it nothing. O_DIRECT wants the buffer's address, the file offset and
 * the length aligned (statx STATX_DIOALIGN tells by how much; 4096 where
 * it cannot tell), so the caller gathers its bytes here, in place, and
 * what is whole goes out in writes of about `chunk` bytes; what is left
 * over (less than the alignment) moves to the buffer's front and waits
 * for the next write. The last partial piece is written padded with zeros
 * to the alignment and the file cut back to its true length before the
 * caller's fsync, so the file holds exactly the bytes the page-cache path writes.
 *
 * Where the filesystem refuses O_DIRECT (EINVAL at open, or a DIOALIGN
 * of 0), and on tmpfs (which takes it since Linux 6.6, but whose pages
 * are the file), the same bytes go through write() and a page-cache
 * window, as every snapshot did before.
 *
 * Knows nothing of what the bytes mean. Not thread-safe: one writer.
 */
#ifndef MNEMO_PERSIST_OUTFILE_H
#define MNEMO_PERSIST_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "persist/pagewin.h"

struct outfile {
    int fd;
    bool direct;      /* O_DIRECT writes; false: write() and the window */
    size_t align;     /* of a direct write's offset and length; 1 when buffered */
    size_t mem_align; /* of buf's address */
    size_t chunk;     /* write once this much is buffered */
    size_t base_cap;  /* the buffer's usual size (room for chunk + room) */
    char *buf;        /* buf[0..len) are the file's bytes from `flushed` on */
    size_t cap, len;
    uint64_t flushed; /* bytes from offset 0 written (a multiple of align) */
    struct pagewin win;
};

/* Create or truncate path for writing: O_DIRECT when the filesystem takes
 * it. Writes go out once `chunk` bytes or more are buffered; `room` is the
 * most the caller usually asks of outfile_room (more grows the buffer
 * until the next write). 0, or -1 with errno set (nothing to close). */
int outfile_open(struct outfile *f, const char *path, size_t chunk, size_t room);

/* Room for n bytes after those buffered: the caller fills them in place
 * (over several calls if it likes; what it wrote there before is kept when
 * the buffer grows) and hands them over with outfile_put. The pointer is
 * good until the next outfile_room, outfile_put or outfile_finish. NULL with
 * errno ENOMEM when the buffer cannot grow. */
char *outfile_room(struct outfile *f, size_t n);

/* The first n bytes of the room are the file's next bytes. Writes what is
 * whole once `chunk` bytes are buffered (so it may block on the disk). 0,
 * or -1 with errno set (the file is then to be given up). */
int outfile_put(struct outfile *f, size_t n);

/* Write everything buffered (direct: padded, then the file cut back to
 * its true length); the caller then fsyncs f->fd. Nothing may be put
 * after. 0, or -1 with errno set. */
int outfile_finish(struct outfile *f);

/* Close the file and free the buffer: close's result (0, or -1 with errno
 * set). Safe on a struct whose open failed or that was closed. */
int outfile_close(struct outfile *f);

/* The bytes handed over so far: the file's length once synced. */
uint64_t outfile_size(const struct outfile *f);

#endif
