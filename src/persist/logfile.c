/*
 * logfile.c: a log segment's header, and reading a segment back record by
 * record (logfile.h).
 *
 * Knows the segment layout and record.h; knows nothing of the store, of
 * how records are applied or of when segments are written. One scanner
 * serves a file and bytes in memory: it looks at the input through a
 * window that, for a file, is a buffer refilled with pread() (the fd's
 * offset is left alone) and grown only to hold the largest record met.
 * A length is trusted for growing only when the record's fixed fields
 * agree with it (rec_decode) and the file is long enough to hold it, so a
 * damaged length never makes the scanner allocate what it claims.
 */
#include "persist/logfile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char magic[8] = {'M', 'N', 'E', 'M', 'O', 'L', 'O', 'G'};

/* The window's first size; a test build may make it tiny so that refills
 * and growth are exercised by small files (tests/fuzz). */
#ifndef LOGFILE_WINDOW
#define LOGFILE_WINDOW (64u * 1024)
#endif

static void put32(char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (char)(uint8_t)(v >> (8 * i));
    }
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

/* version 2's commit slots, each in its own 512-byte sector */
static const size_t slot_at[2] = {512, 1024};
#define SLOT_BYTES 24u

static void header_encode(uint32_t version, uint64_t seq, char *out)
{
    memcpy(out, magic, sizeof(magic));
    put32(out + 8, version);
    put32(out + 12, 0);
    put32(out + 16, (uint32_t)seq);
    put32(out + 20, (uint32_t)(seq >> 32));
    put32(out + 24, rec_crc32c(0, out, 24));
    put32(out + 28, 0);
}

void logfile_header_encode(uint64_t seq, char out[LOGFILE_HEADER])
{
    header_encode(1, seq, out);
}

void logfile_block_encode(uint64_t seq, uint64_t committed, uint64_t gen,
                          char out[LOGFILE_BLOCK])
{
    memset(out, 0, LOGFILE_BLOCK);
    header_encode(2, seq, out);
    for (int i = 0; i < 2; i++) {
        char *s = out + slot_at[i];
        put32(s, (uint32_t)committed);
        put32(s + 4, (uint32_t)(committed >> 32));
        put32(s + 8, (uint32_t)gen);
        put32(s + 12, (uint32_t)(gen >> 32));
        put32(s + 16, rec_crc32c(0, s, 16));
    }
}

uint32_t logfile_salt(uint64_t seq)
{
    /* times an odd number: one-to-one on 32 bits; the XOR keeps segment
     * numbers near 0 (and 2^32) off salt 0, version 1's plain crc */
    return ((uint32_t)seq * 0x9E3779B1u) ^ 0x6D6E656Du;
}

/* The header's version (1 or 2) and seq, or 0 when it is not valid. */
static uint32_t header_decode(const char *buf, size_t len, uint64_t *seq)
{
    if (len < LOGFILE_HEADER || memcmp(buf, magic, sizeof(magic)) != 0)
        return 0;
    uint32_t version = get32(buf + 8);
    if ((version != 1 && version != 2) || get32(buf + 12) != 0 || get32(buf + 28) != 0 ||
        get32(buf + 24) != rec_crc32c(0, buf, 24)) {
        return 0;
    }
    *seq = get64(buf + 16);
    return version;
}

int logfile_header_decode(const char *buf, size_t len, uint64_t *seq)
{
    return header_decode(buf, len, seq) != 0 ? 0 : -1;
}

/* Outside the header and the slots the block is zeros (a rewrite of the
 * block writes the same zeros: anything else is damage). */
static bool block_padding_zero(const char *block)
{
    static const struct { size_t from, to; } pad[] = {
        {LOGFILE_HEADER, 512}, {512 + SLOT_BYTES, 1024}, {1024 + SLOT_BYTES, LOGFILE_BLOCK}};
    for (size_t i = 0; i < sizeof(pad) / sizeof(pad[0]); i++) {
        for (size_t b = pad[i].from; b < pad[i].to; b++) {
            if (block[b] != 0)
                return false;
        }
    }
    return true;
}

/* committed from the valid slot of the higher generation, at least the
 * records' start (none valid: nothing is vouched for); *gen its generation. */
static uint64_t block_committed(const char *block, uint64_t *gen_out)
{
    uint64_t best = LOGFILE_BLOCK, best_gen = 0;
    bool found = false;
    for (int i = 0; i < 2; i++) {
        const char *s = block + slot_at[i];
        if (get32(s + 16) != rec_crc32c(0, s, 16) || get32(s + 20) != 0)
            continue;
        uint64_t committed = get64(s), gen = get64(s + 8);
        if (committed >= LOGFILE_BLOCK && (!found || gen > best_gen)) {
            best = committed;
            best_gen = gen;
            found = true;
        }
    }
    *gen_out = best_gen;
    return best;
}

/* ---- the window ---------------------------------------------------------- */

struct window {
    int fd;           /* -1: data holds the whole input */
    const char *data; /* the bytes from file offset base */
    char *buf;        /* owned (fd >= 0): data == buf */
    size_t cap;
    size_t fill;      /* bytes valid at data */
    uint64_t base;
    bool eof;         /* nothing after data + fill */
    bool failed;      /* a read or an allocation failed (errno says why) */
};

/* Slide the buffer to start at off (growing it for a larger n) and read
 * until it holds n bytes or the file ends. -1 on a failed read or
 * allocation (errno set). */
static int fill_to(struct window *w, uint64_t off, size_t n)
{
    size_t keep = (size_t)(w->base + w->fill - off);
    size_t cap = w->cap;

    if (n > w->cap) {
        struct stat st;
        if (fstat(w->fd, &st) != 0) {
            return -1;
        }
        /* Never grow past the end of the file: a record that claims more
         * is a torn tail, told by the bytes there are. */
        cap = (uint64_t)st.st_size > off ? (size_t)((uint64_t)st.st_size - off) : 0;
        cap = cap < n ? cap : n;
    }
    if (cap > w->cap) {
        char *nb = malloc(cap);
        if (nb == NULL) {
            return -1;
        }
        memcpy(nb, w->buf + (off - w->base), keep);
        free(w->buf);
        w->buf = nb;
        w->data = nb;
        w->cap = cap;
    } else {
        memmove(w->buf, w->buf + (off - w->base), keep);
    }
    w->base = off;
    w->fill = keep;
    while (w->fill < n && w->fill < w->cap) {
        ssize_t got = pread(w->fd, w->buf + w->fill, w->cap - w->fill, (off_t)(off + w->fill));
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            return -1;
        }
        if (got == 0) {
            w->eof = true;
            break;
        }
        w->fill += (size_t)got;
    }
    return 0;
}

/* Make the bytes [off, off + n) visible at *p, or as many of them as the
 * input has: *avail is what is there from off (more than n when it is at
 * hand, fewer only at the end of the input). off never goes back. -1 on a
 * read error (errno set, w->failed). */
static int window_at(struct window *w, uint64_t off, size_t n, const char **p, size_t *avail)
{
    if (off + n > w->base + w->fill && !w->eof && fill_to(w, off, n) != 0) {
        w->failed = true;
        return -1;
    }
    *p = w->data + (off - w->base);
    *avail = off < w->base + w->fill ? (size_t)(w->base + w->fill - off) : 0;
    return 0;
}

/* ---- the scan ------------------------------------------------------------ */

/* The one scan behind both entries: fills *out, returns 0, fn's nonzero
 * value, or -1 when the window could not read (w->failed). */
static int scan(struct window *w, logfile_rec_fn fn, void *arg, struct logfile_scan *out)
{
    const char *p;
    size_t avail;

    memset(out, 0, sizeof(*out));
    if (window_at(w, 0, LOGFILE_HEADER, &p, &avail) != 0) {
        return -1;
    }
    if (avail < LOGFILE_HEADER) {
        out->end = LOGFILE_TORN; /* a crash while the header was written */
        return 0;
    }
    out->version = header_decode(p, avail, &out->seq);
    if (out->version == 0) {
        out->end = LOGFILE_DAMAGED;
        return 0;
    }
    uint64_t off = LOGFILE_HEADER;
    if (out->version == 2) {
        if (window_at(w, 0, LOGFILE_BLOCK, &p, &avail) != 0) {
            return -1;
        }
        if (avail < LOGFILE_BLOCK) {
            out->end = LOGFILE_TORN; /* as above: valid_end 0, no record */
            return 0;
        }
        if (!block_padding_zero(p)) {
            out->end = LOGFILE_DAMAGED;
            return 0;
        }
        out->committed = block_committed(p, &out->committed_gen);
        out->salt = logfile_salt(out->seq);
        off = LOGFILE_BLOCK;
    }
    out->valid_end = off;
    for (;;) {
        struct rec r;
        size_t used;
        if (window_at(w, off, REC_HEAD + REC_BODY_FIXED, &p, &avail) != 0) {
            return -1;
        }
        if (avail == 0) {
            out->end = LOGFILE_CLEAN;
            return 0;
        }
        enum rec_result rc = rec_decode_salted(p, avail, out->salt, &r, &used);
        if (rc == REC_SHORT && avail >= REC_HEAD + REC_BODY_FIXED) {
            /* The fixed fields vouch for body_len: fetch the whole record. */
            if (window_at(w, off, REC_HEAD + (size_t)get32(p), &p, &avail) != 0) {
                return -1;
            }
            rc = rec_decode_salted(p, avail, out->salt, &r, &used);
        }
        if (rc == REC_OK && r.type == REC_SYNC)
            rc = REC_DAMAGED; /* the replication stream's marker: never in a log */
        if (rc != REC_OK) {
            /* version 2 past committed: never fsynced, an end (logfile.h) */
            bool unsynced = out->version == 2 && off >= out->committed;
            out->end = rc == REC_SHORT || unsynced ? LOGFILE_TORN : LOGFILE_DAMAGED;
            return 0;
        }
        /* A record handed to fn counts as read, even when fn stops here. */
        out->records++;
        out->valid_end = off + used;
        if (fn != NULL) {
            int stop = fn(arg, &r, off);
            if (stop != 0) {
                out->end = LOGFILE_STOPPED;
                return stop;
            }
        }
        off += used;
    }
}

int logfile_scan_buf(const char *buf, size_t len, logfile_rec_fn fn, void *arg,
                     struct logfile_scan *out)
{
    struct window w = {.fd = -1, .data = buf, .fill = len, .eof = true};
    int rc = scan(&w, fn, arg, out);
    out->file_size = len;
    return rc;
}

/* The window's buffer lives for the scan; a record passed to fn points
 * into it and is valid only during the call. */
int logfile_scan_fd(int fd, logfile_rec_fn fn, void *arg, struct logfile_scan *out)
{
    struct window w = {.fd = fd, .cap = LOGFILE_WINDOW};
    int rc = -1;

    w.buf = malloc(w.cap);
    if (w.buf == NULL) {
        return -1;
    }
    w.data = w.buf;
    rc = scan(&w, fn, arg, out);
    if (w.failed) {
        rc = -1;
    } else {
        struct stat st;
        if (w.eof) {
            out->file_size = w.base + w.fill;
        } else if (fstat(fd, &st) == 0) {
            out->file_size = (uint64_t)st.st_size;
        } else {
            rc = -1;
        }
    }
    int saved = errno;
    free(w.buf);
    errno = saved;
    return rc;
}

int logfile_zero_tail(int fd, uint64_t from, uint64_t size)
{
    char buf[65536];
    while (from < size) {
        size_t want = size - from < sizeof(buf) ? (size_t)(size - from) : sizeof(buf);
        ssize_t n = pread(fd, buf, want, (off_t)from);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0;
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] != 0)
                return 0;
        }
        from += (uint64_t)n;
    }
    return 1;
}
