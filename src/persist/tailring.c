/*
 * tailring.c: see tailring.h.
 */
#include "persist/tailring.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/log.h"
#include "persist/fileio.h"
#include "persist/itemrec.h"
#include "persist/logfile.h"
#include "persist/record.h"

#define SHM_DIR "/dev/shm"
#define TMPFS_MAGIC_ 0x01021994
#define SLOT_BYTES 128u
#define SLOT_CRC_AT 112u
#define VERSION 1u
static const char MAGIC[8] = {'M', 'N', 'T', 'A', 'I', 'L', '0', '1'};

/* One slot, as stored (native byte order: the file never leaves the
 * machine, nor outlives its boot). */
struct slot {
    char magic[8];
    uint32_t version, zero;
    uint64_t gen, size, dev, ino;
    struct tailring_state st;
};
_Static_assert(sizeof(struct slot) <= SLOT_CRC_AT, "slot fits before its crc");

static void ring_path_shm(const struct stat *dir, char *out, size_t cap)
{
    snprintf(out, cap, SHM_DIR "/mnemo-tail-%" PRIx64 "-%" PRIx64, (uint64_t)dir->st_dev,
             (uint64_t)dir->st_ino);
}

static void ring_path_dir(const char *dir, char *out, size_t cap)
{
    snprintf(out, cap, "%s/tail.ring", dir);
}

static bool shm_usable(void)
{
    struct statfs fs;
    return statfs(SHM_DIR, &fs) == 0 && fs.f_type == TMPFS_MAGIC_;
}

/* Make path fresh, sized and mapped; -1 with errno. /dev/shm is everyone's:
 * the file is made anew, never one found there (a link another user put
 * in its place is not followed, and a file of theirs is not taken). */
static int map_fresh(const char *path, uint64_t size, struct tailring *t)
{
    (void)unlink(path); /* an earlier mnemod's, salvaged by now */
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    /* Reserve every page now: a store into a tmpfs page that cannot be
     * had would be a SIGBUS in a worker. */
    int e = posix_fallocate(fd, 0, (off_t)(TAILRING_HEAD + size));
    if (e != 0) {
        close(fd);
        unlink(path);
        errno = e;
        return -1;
    }
    void *m = mmap(NULL, TAILRING_HEAD + size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
                   fd, 0);
    if (m == MAP_FAILED) {
        e = errno;
        close(fd);
        unlink(path);
        errno = e;
        return -1;
    }
    t->fd = fd;
    t->map = m;
    t->data = t->map + TAILRING_HEAD;
    t->size = size;
    snprintf(t->path, sizeof(t->path), "%s", path);
    return 0;
}

int tailring_create(const char *dir, uint64_t size, struct tailring **out, char *err,
                    size_t errlen)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        snprintf(err, errlen, "cannot stat %s: %s", dir, strerror(errno));
        return -1;
    }
    struct tailring *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char shm[4200], own[4200];
    ring_path_shm(&st, shm, sizeof(shm));
    ring_path_dir(dir, own, sizeof(own));
    if (shm_usable() && map_fresh(shm, size, t) == 0) {
        unlink(own); /* a ring an earlier mnemod kept there is salvaged by now */
    } else {
        if (shm_usable())
            log_warn("persist: cannot make the log's tail in " SHM_DIR " (%s): it goes in %s",
                     strerror(errno), dir);
        if (map_fresh(own, size, t) != 0) {
            snprintf(err, errlen, "cannot make %s: %s", own, strerror(errno));
            free(t);
            return -1;
        }
        unlink(shm);
    }
    struct slot s;
    memset(&s, 0, sizeof(s));
    memcpy(s.magic, MAGIC, sizeof(MAGIC));
    s.version = VERSION;
    s.size = size;
    s.dev = (uint64_t)st.st_dev;
    s.ino = (uint64_t)st.st_ino;
    /* both slots start empty (no segment): generation 0 */
    for (int i = 0; i < 2; i++) {
        memcpy(t->map + i * SLOT_BYTES, &s, sizeof(s));
        uint32_t crc = rec_crc32c(0, t->map + i * SLOT_BYTES, SLOT_CRC_AT);
        memcpy(t->map + i * SLOT_BYTES + SLOT_CRC_AT, &crc, sizeof(crc));
    }
    *out = t;
    return 0;
}

void tailring_publish(struct tailring *t, const struct tailring_state *st)
{
    t->gen++;
    char *p = t->map + (t->gen & 1) * SLOT_BYTES;
    struct slot s;
    memcpy(&s, t->map + ((t->gen + 1) & 1) * SLOT_BYTES, sizeof(s)); /* magic, size, dir */
    s.gen = t->gen;
    s.st = *st;
    memcpy(p, &s, sizeof(s));
    uint32_t crc = rec_crc32c(0, p, SLOT_CRC_AT);
    memcpy(p + SLOT_CRC_AT, &crc, sizeof(crc));
}

static void release(struct tailring **tp, bool remove)
{
    struct tailring *t = *tp;
    if (t == NULL)
        return;
    *tp = NULL;
    munmap(t->map, TAILRING_HEAD + t->size);
    close(t->fd);
    if (remove)
        unlink(t->path);
    free(t);
}

void tailring_remove(struct tailring **tp)
{
    release(tp, true);
}

void tailring_leave(struct tailring **tp)
{
    release(tp, false);
}

void tailring_read(const struct tailring *t, uint64_t pos, char *dst, size_t n)
{
    uint64_t at = pos & (t->size - 1);
    size_t first = at + n <= t->size ? n : (size_t)(t->size - at);
    memcpy(dst, t->data + at, first);
    memcpy(dst + first, t->data, n - first);
}

void tailring_write(struct tailring *t, uint64_t pos, const char *src, size_t n)
{
    uint64_t at = pos & (t->size - 1);
    size_t first = at + n <= t->size ? n : (size_t)(t->size - at);
    memcpy(t->data + at, src, first);
    memcpy(t->data, src + first, n - first);
}

/* ------------------------------------------------------------ salvage */

/* The newer valid slot of a ring file mapped at m (len bytes) for the
 * directory st; false when neither is. */
static bool newest_slot(const char *m, size_t len, const struct stat *st, struct slot *out)
{
    bool found = false;
    for (int i = 0; i < 2; i++) {
        const char *p = m + i * SLOT_BYTES;
        struct slot s;
        uint32_t crc;
        memcpy(&s, p, sizeof(s));
        memcpy(&crc, p + SLOT_CRC_AT, sizeof(crc));
        if (crc != rec_crc32c(0, p, SLOT_CRC_AT) || memcmp(s.magic, MAGIC, sizeof(MAGIC)) != 0 ||
            s.version != VERSION || s.size < 2 * TAILRING_ALIGN || (s.size & (s.size - 1)) != 0 ||
            TAILRING_HEAD + s.size != len || s.dev != (uint64_t)st->st_dev ||
            s.ino != (uint64_t)st->st_ino)
            continue;
        if (!found || s.gen > out->gen) {
            *out = s;
            found = true;
        }
    }
    return found;
}

/* A version 2 segment's header says it ends at `end` (logfile.h), fsynced
 * after the records it vouches for, so recovery holds all of them to
 * their checks. 0 or -1. */
static int seal_header(int fd, const struct logfile_scan *sc, uint64_t end)
{
    if (sc->version < 2 || sc->committed >= end)
        return 0;
    char block[LOGFILE_BLOCK];
    logfile_block_encode(sc->seq, end, sc->committed_gen + 1, block);
    return fileio_pwrite_all(fd, block, sizeof(block), 0) == 0 && fdatasync(fd) == 0 ? 0 : -1;
}

/*
 * Segment seq's records in the ring past what its file holds: from the
 * file's valid end while the ring still has it (at or past kept) up to
 * `limit` (the previous segment's end), record by record, each checked
 * as recovery checks it; they are appended to the file, whose size then
 * ends with them. *added: bytes appended.
 */
static int salvage_segment(const char *dir, const struct tailring *t, uint64_t kept,
                           uint64_t seq, uint64_t ino, uint64_t base, uint64_t limit,
                           uint64_t *added, char *err, size_t errlen)
{
    char path[4200];
    itemrec_path(dir, "log", seq, path, sizeof(path));
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        log_warn("persist: the log's tail names segment %s, which is missing: %s", path,
                 strerror(errno));
        return 0;
    }
    struct stat fst;
    if (fstat(fd, &fst) != 0 || (uint64_t)fst.st_ino != ino) {
        log_warn("persist: the log's tail in shared memory was written for another file than "
                 "%s: not used", path);
        close(fd);
        return 0;
    }
    struct logfile_scan sc;
    if (logfile_scan_fd(fd, NULL, NULL, &sc) != 0 || sc.seq != seq) {
        close(fd);
        return 0; /* recovery says what is wrong with it */
    }
    uint64_t pos = base + sc.valid_end;
    if (pos < kept) { /* the ring no longer has what follows: recovery judges the file */
        close(fd);
        return 0;
    }
    /* the writers never reach past this (log.c keeps them out of kept's block) */
    uint64_t lap_end = (kept & ~(uint64_t)(TAILRING_ALIGN - 1)) + t->size;
    if (limit > lap_end)
        limit = lap_end;
    size_t cap = 1u << 20, len = 0;
    char *buf = malloc(cap);
    int rc = buf == NULL ? -1 : 0;
    while (rc == 0 && pos + REC_HEAD <= limit) {
        char head[REC_HEAD];
        tailring_read(t, pos, head, sizeof(head));
        uint32_t body;
        memcpy(&body, head, sizeof(body)); /* little-endian, as the record format */
        if (body == 0 || body > REC_BODY_FIXED + REC_KEY_MAX + (uint64_t)REC_VALUE_MAX)
            break;
        size_t need = REC_HEAD + body;
        if (pos + need > limit)
            break;
        if (len + need > cap) {
            while (len + need > cap)
                cap *= 2;
            char *b = realloc(buf, cap);
            if (b == NULL) {
                rc = -1;
                break;
            }
            buf = b;
        }
        tailring_read(t, pos, buf + len, need);
        struct rec r;
        size_t used;
        if (rec_decode_salted(buf + len, need, sc.salt, &r, &used) != REC_OK || used != need)
            break;
        len += need;
        pos += need;
    }
    /* The segment ends there: what the file holds past it is a direct
     * write's zeros, or (a recycled file, logfile.h) an earlier segment's
     * records, never this one's (the ring had them all). A damaged header
     * is left for recovery to name. */
    bool cut = sc.valid_end >= LOGFILE_HEADER && (len > 0 || sc.file_size > sc.valid_end);
    if (rc != 0) {
        snprintf(err, errlen, "out of memory salvaging the log's tail");
    } else if ((len > 0 && fileio_pwrite_all(fd, buf, len, sc.valid_end) != 0) ||
               (cut && (ftruncate(fd, (off_t)(sc.valid_end + len)) != 0 || fdatasync(fd) != 0)) ||
               seal_header(fd, &sc, sc.valid_end + len) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        rc = -1;
    } else if (len > 0) {
        log_warn("persist: %s: %zu bytes of records taken from the log's tail in shared memory "
                 "(a mnemod stopped without writing them) at offset %" PRIu64,
                 path, len, sc.valid_end);
        *added += len;
    }
    free(buf);
    close(fd);
    return rc;
}

static int salvage_file(const char *dir, const struct stat *st, const char *path,
                        uint64_t *salvaged, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct stat fst;
    void *m = MAP_FAILED;
    if (fstat(fd, &fst) != 0 || !S_ISREG(fst.st_mode) || fst.st_uid != geteuid()) {
        /* not one this user's mnemod made: its records are not taken */
        log_warn("persist: %s is not a log tail this user made: not used", path);
        close(fd);
        return 0;
    }
    if (fst.st_size >= (off_t)(TAILRING_HEAD + 2 * TAILRING_ALIGN))
        m = mmap(NULL, (size_t)fst.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        unlink(path);
        return 0;
    }
    struct slot s = {.gen = 0};
    int rc = 0;
    if (newest_slot(m, (size_t)fst.st_size, st, &s) && s.st.cur_seq != 0) {
        struct tailring t = {.data = (char *)m + TAILRING_HEAD, .size = s.size};
        if (s.st.prev_seq != 0)
            rc = salvage_segment(dir, &t, s.st.kept, s.st.prev_seq, s.st.prev_ino,
                                 s.st.prev_base, s.st.prev_end, salvaged, err, errlen);
        if (rc == 0)
            rc = salvage_segment(dir, &t, s.st.kept, s.st.cur_seq, s.st.cur_ino, s.st.cur_base,
                                 UINT64_MAX, salvaged, err, errlen);
    }
    munmap(m, (size_t)fst.st_size);
    if (rc == 0)
        unlink(path); /* kept on failure: the next start tries again */
    return rc;
}

int tailring_salvage(const char *dir, uint64_t *salvaged, char *err, size_t errlen)
{
    *salvaged = 0;
    struct stat st;
    if (stat(dir, &st) != 0)
        return 0;
    char shm[4200], own[4200];
    ring_path_shm(&st, shm, sizeof(shm));
    ring_path_dir(dir, own, sizeof(own));
    if (salvage_file(dir, &st, shm, salvaged, err, errlen) != 0)
        return -1;
    return salvage_file(dir, &st, own, salvaged, err, errlen);
}
