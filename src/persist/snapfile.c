/*
 * snapfile.c: writing a snapshot file and reading one back (snapfile.h).
 *
 * Knows the snapshot layout and record.h; knows nothing of the store or of
 * when snapshots are taken. The writer gathers records into a block in
 * place, in the buffer of an outfile (outfile.h: O_DIRECT where the
 * filesystem takes it), which writes them out a megabyte or so at a time;
 * the file only takes its final name after the trailer is on disk (fsync,
 * rename, fsync of the directory).
 * The reader checks each block (its length, then its CRC, then that its
 * records decode and fill it exactly) before it passes any of them on, so
 * a caller never sees a record of a block that is not whole.
 */
#include "persist/snapfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "persist/fileio.h"
#include "persist/outfile.h"

static const char magic[8] = {'M', 'N', 'E', 'M', 'O', 'S', 'N', 'P'};

#define BLOCK_HEAD 8u
#define TRAILER 24u
/* The longest block a reader accepts: a full block, or one record of the
 * largest size alone. */
#define BLOCK_MAX (REC_HEAD + REC_BODY_FIXED + REC_KEY_MAX + REC_VALUE_MAX)
_Static_assert(BLOCK_MAX >= SNAPFILE_BLOCK, "a block of records fits under BLOCK_MAX");

static void put32(char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (char)(uint8_t)(v >> (8 * i));
    }
}

static void put64(char *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get32(const char *p)
{
    const uint8_t *u = (const uint8_t *)p;
    return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

static uint64_t get64(const char *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* ---- writing ------------------------------------------------------------- */

/* The block being gathered sits in the outfile's room, uncommitted: its
 * BLOCK_HEAD bytes, then the records, filled in place (no copy between
 * the records' encoding and the write). */
struct snapfile_writer {
    struct outfile out;
    char *path;   /* the final name */
    char *tmp;    /* path + ".tmp", where the bytes go until commit */
    size_t used;  /* of the block, BLOCK_HEAD included */
    uint64_t items;
};

/* Blocks go to the disk in writes of about this much: an O_DIRECT write
 * waits for the device, and 1 MB writes run near its full speed. */
#define WRITE_CHUNK (1u << 20)

static int fail(char *err, size_t errlen, const char *what, const char *path)
{
    snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
    return -1;
}

/* Hand over n bytes at once (the header, the trailer). */
static int put_bytes(struct snapfile_writer *w, const char *p, size_t n)
{
    char *room = outfile_room(&w->out, n);
    if (room == NULL) {
        return -1;
    }
    memcpy(room, p, n);
    return outfile_put(&w->out, n);
}

static void writer_free(struct snapfile_writer **w)
{
    outfile_close(&(*w)->out);
    free((*w)->path);
    free((*w)->tmp);
    free(*w);
    *w = NULL;
}

int snapfile_create(const char *path, const struct snapfile_meta *meta,
                    struct snapfile_writer **out, char *err, size_t errlen)
{
    struct snapfile_writer *w = calloc(1, sizeof(*w));
    char head[SNAPFILE_HEADER];
    size_t n = strlen(path);

    *out = NULL;
    if (w == NULL) {
        return fail(err, errlen, "snapshot", path);
    }
    w->out.fd = -1;
    w->path = strdup(path);
    w->tmp = malloc(n + sizeof(".tmp"));
    if (w->path == NULL || w->tmp == NULL) {
        fail(err, errlen, "snapshot", path);
        writer_free(&w);
        return -1;
    }
    memcpy(w->tmp, path, n);
    memcpy(w->tmp + n, ".tmp", sizeof(".tmp"));
    w->used = BLOCK_HEAD;
    if (outfile_open(&w->out, w->tmp, WRITE_CHUNK, BLOCK_HEAD + SNAPFILE_BLOCK) != 0) {
        fail(err, errlen, "open", w->tmp);
        writer_free(&w);
        return -1;
    }
    memcpy(head, magic, sizeof(magic));
    put32(head + 8, SNAPFILE_VERSION);
    put32(head + 12, 0);
    put64(head + 16, meta->log_seq);
    put64(head + 24, (uint64_t)meta->created);
    put64(head + 32, meta->cas_high);
    put64(head + 40, (uint64_t)meta->flush_at);
    put32(head + 48, rec_crc32c(0, head, 48));
    put32(head + 52, 0);
    if (put_bytes(w, head, sizeof(head)) != 0) {
        fail(err, errlen, "write", w->tmp);
        snapfile_abort(&w);
        return -1;
    }
    *out = w;
    return 0;
}

/* Write the records gathered as one block (nothing when there are none). */
static int flush_block(struct snapfile_writer *w, char *err, size_t errlen)
{
    uint32_t len = (uint32_t)(w->used - BLOCK_HEAD);

    if (len == 0) {
        return 0;
    }
    char *block = outfile_room(&w->out, w->used); /* already there: no growth */
    put32(block, len);
    put32(block + 4, rec_crc32c(0, block + BLOCK_HEAD, len));
    size_t used = w->used;
    w->used = BLOCK_HEAD;
    if (outfile_put(&w->out, used) != 0) {
        return fail(err, errlen, "write", w->tmp);
    }
    return 0;
}

int snapfile_add(struct snapfile_writer *w, const struct rec *r, char *err, size_t errlen)
{
    size_t size = rec_size(r);

    /* Only what a reader accepts goes in: a snapshot holds items. */
    if (r->type != REC_SET || r->nkey == 0 || r->nkey > REC_KEY_MAX || r->vlen > REC_VALUE_MAX) {
        snprintf(err, errlen, "snapshot %s: not an item record (type %d, key %u bytes, "
                 "value %u bytes)", w->path, (int)r->type, r->nkey, r->vlen);
        return -1;
    }
    if (w->used > BLOCK_HEAD && w->used + size > BLOCK_HEAD + SNAPFILE_BLOCK &&
        flush_block(w, err, errlen) != 0) {
        return -1;
    }
    /* A record larger than a block grows the outfile's buffer. */
    char *block = outfile_room(&w->out, w->used + size);
    if (block == NULL) {
        return fail(err, errlen, "snapshot", w->path);
    }
    w->used += rec_encode(r, block + w->used);
    w->items++;
    return 0;
}

int snapfile_commit(struct snapfile_writer **wp, char *err, size_t errlen)
{
    struct snapfile_writer *w = *wp;
    char trailer[TRAILER];

    if (flush_block(w, err, errlen) != 0) {
        snapfile_abort(wp);
        return -1;
    }
    put32(trailer, 0);
    put64(trailer + 8, w->items);
    put64(trailer + 16, outfile_size(&w->out));
    put32(trailer + 4, rec_crc32c(0, trailer + 8, 16));
    if (put_bytes(w, trailer, sizeof(trailer)) != 0) {
        fail(err, errlen, "write", w->tmp);
        snapfile_abort(wp);
        return -1;
    }
    /* Every byte written (the direct path's padded tail cut back to the
     * true length), then all of it and the size on disk before the name. */
    if (outfile_finish(&w->out) != 0) {
        fail(err, errlen, "write", w->tmp);
        snapfile_abort(wp);
        return -1;
    }
    if (fsync(w->out.fd) != 0) {
        fail(err, errlen, "fsync", w->tmp);
        snapfile_abort(wp);
        return -1;
    }
    if (outfile_close(&w->out) != 0) {
        fail(err, errlen, "close", w->tmp);
        snapfile_abort(wp);
        return -1;
    }
    if (rename(w->tmp, w->path) != 0) {
        fail(err, errlen, "rename to", w->path);
        snapfile_abort(wp);
        return -1;
    }
    /* The file is whole under its name now; only the name's durability is
     * in doubt if this fails, and that is reported. */
    if (fileio_fsync_parent(w->path) != 0) {
        fail(err, errlen, "fsync the directory of", w->path);
        writer_free(wp);
        return -1;
    }
    writer_free(wp);
    return 0;
}

void snapfile_abort(struct snapfile_writer **w)
{
    if (*w == NULL) {
        return;
    }
    unlink((*w)->tmp);
    writer_free(w);
}

uint64_t snapfile_items(const struct snapfile_writer *w)
{
    return w->items;
}

/* The file's bytes so far, counting the block being gathered as written. */
uint64_t snapfile_bytes(const struct snapfile_writer *w)
{
    return outfile_size(&w->out) + (w->used > BLOCK_HEAD ? w->used : 0);
}

bool snapfile_direct(const struct snapfile_writer *w)
{
    return w->out.direct;
}

/* ---- reading ------------------------------------------------------------- */

/* Where the reader's bytes come from: memory, or a file read block by
 * block with pread() into a buffer grown to the largest block. */
struct source {
    int fd;             /* -1: mem holds the whole input */
    const char *mem;
    size_t len;         /* of mem */
    char *buf;
    size_t cap;
    bool failed;        /* a read or an allocation failed (errno says why) */
};

/* The n bytes at off, at *p: returns how many there are (n, or fewer only
 * where the input ends). A file is never read past its size at the time,
 * so a damaged length never makes the buffer grow to what it claims. */
static size_t source_get(struct source *s, uint64_t off, size_t n, const char **p)
{
    if (s->fd < 0) {
        size_t have = off < s->len ? (size_t)(s->len - off) : 0;
        *p = s->mem + (off < s->len ? off : s->len);
        return have < n ? have : n;
    }
    if (n > s->cap) {
        struct stat st;
        if (fstat(s->fd, &st) != 0) {
            s->failed = true;
            return 0;
        }
        uint64_t left = (uint64_t)st.st_size > off ? (uint64_t)st.st_size - off : 0;
        if (left < n) {
            n = (size_t)left;
        }
        if (n > s->cap) {
            char *nb = malloc(n);
            if (nb == NULL) {
                s->failed = true;
                return 0;
            }
            free(s->buf);
            s->buf = nb;
            s->cap = n;
        }
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(s->fd, s->buf + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            s->failed = true;
            return 0;
        }
        if (r == 0) {
            break;
        }
        got += (size_t)r;
    }
    *p = s->buf;
    return got;
}

static bool header_decode(const char *h, struct snapfile_meta *meta)
{
    if (memcmp(h, magic, sizeof(magic)) != 0 || get32(h + 8) != SNAPFILE_VERSION ||
        get32(h + 12) != 0 || get32(h + 52) != 0 || get32(h + 48) != rec_crc32c(0, h, 48)) {
        return false;
    }
    meta->log_seq = get64(h + 16);
    meta->created = (int64_t)get64(h + 24);
    meta->cas_high = get64(h + 32);
    meta->flush_at = (int64_t)get64(h + 40);
    return true;
}

/* Every record of the block at b decodes and together they fill it. */
static bool block_valid(const char *b, size_t len, uint64_t off, uint64_t *bad)
{
    size_t pos = 0;

    while (pos < len) {
        struct rec r;
        size_t used;
        if (rec_decode(b + pos, len - pos, &r, &used) != REC_OK || r.type != REC_SET) {
            *bad = off + pos;
            return false;
        }
        pos += used;
    }
    return true;
}

static int stop_at(struct snapfile_read *out, enum snapfile_status st, uint64_t off)
{
    out->status = st;
    out->bad_offset = off;
    return -1;
}

static int read_all(struct source *s, logfile_rec_fn fn, void *arg, struct snapfile_read *out)
{
    const char *p;
    uint64_t off = SNAPFILE_HEADER;

    memset(out, 0, sizeof(*out));
    if (source_get(s, 0, SNAPFILE_HEADER, &p) < SNAPFILE_HEADER) {
        return stop_at(out, SNAPFILE_INCOMPLETE, 0);
    }
    if (!header_decode(p, &out->meta)) {
        memset(&out->meta, 0, sizeof(out->meta));
        return stop_at(out, SNAPFILE_DAMAGED, 0);
    }
    for (;;) {
        if (source_get(s, off, BLOCK_HEAD, &p) < BLOCK_HEAD) {
            return stop_at(out, SNAPFILE_INCOMPLETE, off);
        }
        uint32_t len = get32(p);
        uint32_t crc = get32(p + 4);
        if (len == 0) {
            break; /* the trailer */
        }
        if (len > BLOCK_MAX) {
            return stop_at(out, SNAPFILE_DAMAGED, off);
        }
        if (source_get(s, off + BLOCK_HEAD, len, &p) < len) {
            return stop_at(out, SNAPFILE_INCOMPLETE, off);
        }
        uint64_t bad = off;
        if (rec_crc32c(0, p, len) != crc || !block_valid(p, len, off + BLOCK_HEAD, &bad)) {
            return stop_at(out, SNAPFILE_DAMAGED, bad);
        }
        for (size_t pos = 0; pos < len;) {
            struct rec r;
            size_t used;
            rec_decode(p + pos, len - pos, &r, &used); /* block_valid() said OK */
            out->items++;
            if (fn != NULL) {
                int stop = fn(arg, &r, off + BLOCK_HEAD + pos);
                if (stop != 0) {
                    out->status = SNAPFILE_STOPPED;
                    return stop;
                }
            }
            pos += used;
        }
        off += BLOCK_HEAD + len;
    }
    if (source_get(s, off, TRAILER, &p) < TRAILER) {
        return stop_at(out, SNAPFILE_INCOMPLETE, off);
    }
    if (get32(p + 4) != rec_crc32c(0, p + 8, 16) || get64(p + 8) != out->items ||
        get64(p + 16) != off) {
        return stop_at(out, SNAPFILE_DAMAGED, off);
    }
    if (source_get(s, off + TRAILER, 1, &p) != 0) {
        return stop_at(out, SNAPFILE_DAMAGED, off + TRAILER); /* bytes after the end */
    }
    out->status = SNAPFILE_OK;
    return 0;
}

int snapfile_read_buf(const char *buf, size_t len, logfile_rec_fn fn, void *arg,
                      struct snapfile_read *out)
{
    struct source s = {.fd = -1, .mem = buf, .len = len};
    return read_all(&s, fn, arg, out);
}

/* A record passed to fn points into the reader's buffer: valid only during
 * the call. The fd's offset is left alone (pread). */
int snapfile_read_fd(int fd, logfile_rec_fn fn, void *arg, struct snapfile_read *out)
{
    struct source s = {.fd = fd, .cap = SNAPFILE_BLOCK};
    int rc;

    memset(out, 0, sizeof(*out));
    s.buf = malloc(s.cap);
    if (s.buf == NULL) {
        out->status = SNAPFILE_IO_ERROR;
        return -1;
    }
    rc = read_all(&s, fn, arg, out);

    if (s.failed) {
        out->status = SNAPFILE_IO_ERROR;
        rc = -1;
    }
    int saved = errno;
    free(s.buf);
    errno = saved;
    return rc;
}

int snapfile_peek_items(int fd, uint64_t *items)
{
    struct stat st;
    char t[TRAILER];
    if (fstat(fd, &st) != 0 || st.st_size < (off_t)(SNAPFILE_HEADER + TRAILER))
        return -1;
    uint64_t off = (uint64_t)st.st_size - TRAILER;
    if (pread(fd, t, sizeof(t), (off_t)off) != (ssize_t)sizeof(t) || get32(t) != 0 ||
        get32(t + 4) != rec_crc32c(0, t + 8, 16) || get64(t + 16) != off)
        return -1;
    *items = get64(t + 8);
    return 0;
}
