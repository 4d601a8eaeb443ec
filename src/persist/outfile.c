/*
 * outfile.c: see outfile.h (why O_DIRECT, and how the tail is written).
 */
#include "persist/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "persist/fileio.h"

/* Buffered only: hand what is written to writeback every this many bytes
 * (RocksDB's bytes_per_sync): a snapshot of a large cache otherwise leaves
 * gigabytes dirty, and the kernel's dirty-page throttling then stalls
 * every writer of the machine — the server's append log among them — at
 * once. */
#define WRITEBACK_EVERY (8u << 20)

static size_t round_up(size_t n, size_t a)
{
    return (n + a - 1) / a * a;
}

/* Open path, direct when it can be; f->fd, f->direct, f->align and
 * f->mem_align are set. 0, or -1 with errno set. */
static int open_file(struct outfile *f, const char *path)
{
    const int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;

    f->fd = open(path, flags | O_DIRECT, 0600);
    if (f->fd >= 0 && fileio_dio_align(f->fd, &f->align, &f->mem_align)) {
        f->direct = true;
        return 0;
    }
    if (f->fd >= 0) {
        close(f->fd);
    } else if (errno != EINVAL) {
        return -1;
    }
    /* EINVAL at open (tmpfs before Linux 6.6, and others), or tmpfs, or
     * no alignment to be had: through the page cache. */
    f->direct = false;
    f->align = 1;
    f->mem_align = 4096; /* a page: never slower to copy from */
    f->fd = open(path, flags, 0600);
    return f->fd >= 0 ? 0 : -1;
}

int outfile_open(struct outfile *f, const char *path, size_t chunk, size_t room)
{
    void *buf;

    memset(f, 0, sizeof(*f));
    f->fd = -1;
    if (open_file(f, path) != 0)
        return -1;
    f->chunk = chunk;
    /* Below chunk bytes buffered, then room, then a direct tail's padding. */
    f->base_cap = round_up(chunk + room + f->align, f->mem_align);
    int rc = posix_memalign(&buf, f->mem_align, f->base_cap);
    if (rc != 0) {
        outfile_close(f);
        errno = rc;
        return -1;
    }
    f->buf = buf;
    f->cap = f->base_cap;
    return 0;
}

/* Move the buffer to one of cap bytes, keeping its first `keep` bytes. */
static int regrow(struct outfile *f, size_t cap, size_t keep)
{
    void *nb;
    int rc = posix_memalign(&nb, f->mem_align, cap);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    memcpy(nb, f->buf, keep);
    free(f->buf);
    f->buf = nb;
    f->cap = cap;
    return 0;
}

char *outfile_room(struct outfile *f, size_t n)
{
    /* A tail's padding must fit after it too (outfile_finish). */
    size_t need = f->len + n + f->align;
    if (need > f->cap && regrow(f, round_up(need, f->mem_align), f->cap) != 0)
        return NULL;
    return f->buf + f->len;
}

/* Write what is whole: direct, every aligned byte (the rest, less than
 * the alignment, moves to the front); buffered, all of it. */
static int write_whole(struct outfile *f)
{
    size_t n = f->len / f->align * f->align;

    if (n == 0)
        return 0;
    if (fileio_pwrite_all(f->fd, f->buf, n, f->flushed) != 0)
        return -1;
    f->flushed += n;
    f->len -= n;
    memmove(f->buf, f->buf + n, f->len);
    /* A record larger than usual grew the buffer: give that memory back. */
    if (f->cap > f->base_cap)
        (void)regrow(f, f->base_cap, f->len);
    /* A file of any size holds two stretches of the page cache, not the
     * whole file (pagewin.h); direct writes leave nothing there. */
    if (!f->direct && f->flushed - f->win.started >= WRITEBACK_EVERY)
        pagewin_advance(&f->win, f->fd, f->flushed, WRITEBACK_EVERY);
    return 0;
}

int outfile_put(struct outfile *f, size_t n)
{
    f->len += n;
    return f->len >= f->chunk ? write_whole(f) : 0;
}

/* Direct: the last partial piece, padded with zeros to the alignment, and
 * the file cut back to its true length (the padding never reaches a
 * reader: the caller's fsync after covers the new size). */
static int write_tail(struct outfile *f)
{
    uint64_t size = outfile_size(f);
    size_t padded = round_up(f->len, f->align);

    if (f->len == 0)
        return 0;
    memset(f->buf + f->len, 0, padded - f->len);
    if (fileio_pwrite_all(f->fd, f->buf, padded, f->flushed) != 0)
        return -1;
    if (padded != f->len && ftruncate(f->fd, (off_t)size) != 0)
        return -1;
    f->flushed = size;
    f->len = 0;
    return 0;
}

int outfile_finish(struct outfile *f)
{
    /* Direct: what is buffered is under a chunk, and the buffer has room
     * for its padding (outfile_room): one write. */
    return f->direct ? write_tail(f) : write_whole(f);
}

int outfile_close(struct outfile *f)
{
    int rc = 0;

    if (f->fd >= 0) {
        rc = close(f->fd);
        f->fd = -1;
    }
    int saved = errno;
    free(f->buf);
    f->buf = NULL;
    f->cap = f->len = 0;
    errno = saved;
    return rc;
}

uint64_t outfile_size(const struct outfile *f)
{
    return f->flushed + f->len;
}
