/*
 * log.c: see log.h.
 *
 * Locks, in the order they may nest: buf_lock (the ring's tail: where the
 * next record goes), then seg_lock (the segments, the ring's state slots,
 * what is flushed). The mutation hook runs under a store shard lock and
 * takes buf_lock only, so records of one key enter the ring in the order
 * the store made them. The sync thread writes and fsyncs holding neither
 * (sync_lock only guards its own state), so a worker appending never waits
 * for the disk, unless the ring is full.
 */
#include "persist/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "persist/fileio.h"
#include "persist/itemrec.h"
#include "persist/logfile.h"
#include "persist/pagewin.h"
#include "persist/tailring.h"

/* Pages of the log on disk leave the page cache in steps of at least this
 * after an fsync (written without O_DIRECT only). */
#define DROP_STEP (1u << 20)

/*
 * Each write to the disk costs a request to the device (on a VM, an exit
 * to the hypervisor: measured, a tenth of the machine when the ring went
 * out every 200 µs in pieces of a few KB). So between fsyncs (everysec,
 * no) the sync thread writes whole blocks only, once FLUSH_MIN of them
 * wait; the rest (the last, partial block) goes with the fsync, or stays
 * in the ring, which outlives the process anyway (and goes at least once
 * a second, as the OS would write back a page cache). While appenders
 * came in the last ACTIVE_MS, the sync thread looks for more every POLL_US
 * without being woken (a wake per loop turn of a worker would cost it
 * what the ring saves); quieter, every QUIET_POLL_US while anything
 * waits; with nothing waiting it sleeps until an appender wakes it.
 */
#define FLUSH_MIN (1u << 20)
#define POLL_US 2000
#define QUIET_POLL_US 10000
#define ACTIVE_MS 50
#define IDLE_MS 100

struct seg {
    uint64_t seq;
    uint64_t ino;  /* of its file (the ring names it so) */
    int fd;        /* fsync, truncate; writes when dfd < 0 */
    int dfd;       /* the same file opened O_DIRECT, or -1 */
    uint64_t base; /* the stream position of its offset 0 */
    uint64_t end;  /* where it ends (the previous segment only) */
    bool recycled; /* written over a dropped segment's file */
};

struct plog {
    char dir[4096];
    enum plog_fsync policy;
    struct tailring *ring;
    char *bounce; /* one aligned block: a flush's last, partial one */

    pthread_mutex_t buf_lock;
    pthread_cond_t room_cond; /* appenders wait for room in the ring */
    int room_waiters;
    uint64_t tail; /* stream position past the last record */
    uint32_t salt; /* of the current segment's records (logfile_salt) */
    uint64_t records, record_bytes;
    char *scratch; /* a record that wraps around the ring's end is encoded here */
    size_t scratch_cap;
    _Atomic uint64_t appended; /* tail, for the sync thread and `written` */
    _Atomic uint64_t room;     /* appenders store below it: kept + ring size */

    pthread_mutex_t seg_lock;
    pthread_cond_t seg_cond; /* io_busy went to 0 */
    struct seg cur, prev;
    bool has_prev; /* a rotation's old segment, until it is fsynced */
    int io_busy;   /* the sync thread uses a segment's fds outside the lock */
    uint64_t flushed; /* positions below it are in their segment files */
    uint64_t seen_end; /* `appended` as the last flush round read it: a record's end */
    struct tailring_state state;
    uint64_t win_seq;   /* sync thread only: the segment whose page-cache */
    struct pagewin win; /*   window this is (buffered writes), */
    uint64_t alloc_end; /*   up to where it is allocated ahead, */
    uint64_t synced_off; /*  and the offset its last fsync covered */

    /* The header block's commit slots (logfile.h): the segment they are
     * for, the length they say, in which generation, when that was
     * written, and whether the segment is sealed (its final length is
     * written: nothing after that). The sync thread writes them for the
     * current segment; a rotation, the close, seal the one they finish. */
    pthread_mutex_t head_lock;
    uint64_t head_seq, head_off, head_gen;
    int64_t head_usec;
    bool head_sealed;
    char *head_buf; /* one aligned block */

    _Atomic uint64_t written; /* flushed, published */
    _Atomic uint64_t durable;
    _Atomic int failing; /* errno of a failure not yet recovered from */

    pthread_mutex_t sync_lock;
    pthread_cond_t sync_cond;
    bool stop;
    _Atomic bool asleep; /* the sync thread waits to be woken */
    int64_t last_fsync_us;      /* sync thread only: how long the last fsync took, */
    uint64_t last_batch_writes; /*   how many commits it covered, */
    uint64_t last_batch_bytes;  /*   how many bytes, */
    uint64_t writes_synced;     /*   and the commit count it covered up to */
    bool thread_started;
    pthread_t thread;
    plog_durable_fn on_durable;
    void *arg;

    /* statistics (relaxed) */
    _Atomic uint64_t st_bytes, st_writes, st_fsyncs, st_fsync_usec, st_errors;
    _Atomic uint64_t commits; /* plog_write calls with always: batches waiting for an fsync */
    _Atomic uint64_t st_tail_waits; /* appends that waited for room in the ring */
    _Atomic uint64_t st_recycled;   /* segments started in a dropped one's file */
    _Atomic uint64_t st_hist[PLOG_FSYNC_BUCKETS];
    _Atomic int last_errno;
};

static int64_t now_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t align_down(uint64_t x)
{
    return x & ~(uint64_t)(TAILRING_ALIGN - 1);
}

/*
 * With appendfsync always every batch waits for its fsync: a direct write
 * and then the fsync are two trips to the device where a write() into the
 * page cache and the fsync that writes it out are one (measured: 21.5k
 * sets/s from 32 writers against 77k for Redis, 10 writes per fsync). So
 * there the sync thread writes through the page cache, and drops the pages
 * once fsynced.
 */
static bool uses_direct(enum plog_fsync policy)
{
    return policy != PLOG_FSYNC_ALWAYS;
}

static void seg_path(const char *dir, uint64_t seq, char *out, size_t cap)
{
    itemrec_path(dir, "log", seq, out, cap);
}

/*
 * Recycling. The files of segments a snapshot made redundant are kept (up
 * to RECYCLE_MAX, DIR/recycle.<seq>) and the next segments are written
 * over their blocks instead of new ones: on this VM's disk (ext4 mounted
 * with discard) 1 MB direct writes over a file's own blocks run at 4.1
 * GB/s against 2.1-2.3 GB/s into new or preallocated ones (`dd
 * oflag=direct conv=notrunc`), and at pipeline 16 with 4 KB sets the log
 * is that disk's limit (bench/results/2026-12-06-150000-persist-ring-recycle.md).
 * What the file held before stays past the new records; version 2 of the
 * segment format tells it apart (logfile.h). Not with under
 * ALLOC_MIN_FREE free: then the room belongs to what is written.
 */
#define RECYCLE_MAX 2
#define RECYCLE_MIN_BYTES (16u << 20)
#define ALLOC_MIN_FREE (1ull << 30)

static bool room_to_spare(int fd)
{
    struct statvfs vfs;
    return fstatvfs(fd, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize >= ALLOC_MIN_FREE;
}

/* A recycled file's name in dir (*n of them), or "" when there is none. */
static void find_recycled(const char *dir, char *name, size_t cap, int *n)
{
    name[0] = '\0';
    *n = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        uint64_t seq;
        if (!itemrec_parse_name(e->d_name, "recycle", &seq))
            continue;
        if ((*n)++ == 0)
            snprintf(name, cap, "%s", e->d_name);
    }
    closedir(d);
}

/* Open a recycled file as segment seq: its header block written and
 * fsynced first, then renamed (never over an existing segment), so a crash
 * leaves either the recycled file or the new segment with its header.
 * The fd, or -1 (no recycled file, or it failed: it is then removed). */
static int take_recycled(const char *dir, const char *path, const char *head)
{
    char name[256];
    int n;
    find_recycled(dir, name, sizeof(name), &n);
    if (n == 0)
        return -1;
    char from[4400];
    snprintf(from, sizeof(from), "%s/%s", dir, name);
    int fd = open(from, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0 && fileio_pwrite_all(fd, head, LOGFILE_BLOCK, 0) == 0 && fdatasync(fd) == 0 &&
        renameat2(AT_FDCWD, from, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
        return fd;
    log_warn("persist: cannot reuse %s as log segment %s: %s", from, path, strerror(errno));
    if (fd >= 0)
        close(fd);
    unlink(from);
    return -1;
}

/* Create a segment with its header, fsynced with the directory, and open
 * it again for direct writes (`direct`) where the file system takes them.
 * A recycled file serves where there is one. */
static int segment_create(const char *dir, uint64_t seq, bool direct, struct seg *out,
                          char *err, size_t errlen)
{
    char path[4200];
    seg_path(dir, seq, path, sizeof(path));
    char head[LOGFILE_BLOCK];
    logfile_block_encode(seq, LOGFILE_BLOCK, 0, head);
    bool recycled = true;
    int fd = take_recycled(dir, path, head);
    if (fd < 0) {
        recycled = false;
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) {
            snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
            return -1;
        }
    }
    if ((!recycled && (fileio_pwrite_all(fd, head, sizeof(head), 0) != 0 || fdatasync(fd) != 0)) ||
        fileio_fsync_dir(dir) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return -1;
    }
    memset(out, 0, sizeof(*out));
    out->recycled = recycled;
    struct stat st;
    if (fstat(fd, &st) == 0)
        out->ino = (uint64_t)st.st_ino;
    out->seq = seq;
    out->fd = fd;
    /* The ring's pages go to the disk without a copy into the page cache
     * (whose new pages cost more than the copy, pagewin.h); a file system
     * without direct I/O (or wanting more alignment than the ring's
     * blocks have) takes buffered writes. */
    out->dfd = direct ? open(path, O_WRONLY | O_DIRECT | O_CLOEXEC) : -1;
    size_t align, mem_align;
    if (out->dfd >= 0 && (!fileio_dio_align(out->dfd, &align, &mem_align) ||
                          align > TAILRING_ALIGN || mem_align > TAILRING_ALIGN)) {
        close(out->dfd);
        out->dfd = -1;
    }
    return 0;
}

static void segment_close(struct seg *s)
{
    if (s->dfd >= 0)
        close(s->dfd);
    close(s->fd);
    s->fd = s->dfd = -1;
}

/* Broadcast: the sync thread and plog_wait_durable()'s callers share it. */
static void wake_sync(struct plog *l)
{
    pthread_mutex_lock(&l->sync_lock);
    pthread_cond_broadcast(&l->sync_cond);
    pthread_mutex_unlock(&l->sync_lock);
}

static void note_failure(struct plog *l, int e)
{
    atomic_fetch_add_explicit(&l->st_errors, 1, memory_order_relaxed);
    atomic_store_explicit(&l->last_errno, e, memory_order_relaxed);
    if (atomic_exchange(&l->failing, e) == 0) {
        log_error("persist: writing the append log failed: %s; writes are refused until it "
                  "succeeds again", strerror(e));
        /* Whoever waits for an fsync must hear of it: their replies won't go. */
        if (l->on_durable != NULL)
            l->on_durable(l->arg);
    }
    wake_sync(l);
    /* appenders waiting for room: the ring will not drain for now */
    pthread_mutex_lock(&l->buf_lock);
    if (l->room_waiters > 0)
        pthread_cond_broadcast(&l->room_cond);
    pthread_mutex_unlock(&l->buf_lock);
}

static void note_recovered(struct plog *l)
{
    if (atomic_exchange(&l->failing, 0) != 0)
        log_error("persist: the append log is written again; writes are accepted");
}

int plog_wait_durable(struct plog *l, uint64_t lsn)
{
    pthread_mutex_lock(&l->sync_lock);
    while (atomic_load(&l->durable) < lsn && atomic_load(&l->failing) == 0)
        pthread_cond_wait(&l->sync_cond, &l->sync_lock);
    bool ok = atomic_load(&l->durable) >= lsn;
    pthread_mutex_unlock(&l->sync_lock);
    return ok ? 0 : -1;
}

/* Wait (buf_lock held) until n bytes fit at the tail, with the 4-byte end
 * mark after them; false when they never will (bigger than the ring, or
 * the ring cannot drain while the log is failing). */
static bool make_room(struct plog *l, uint64_t n)
{
    if (n + 4 > l->ring->size - TAILRING_ALIGN)
        return false;
    bool waited = false;
    while (l->tail + n + 4 > atomic_load_explicit(&l->room, memory_order_acquire)) {
        if (atomic_load(&l->failing) != 0)
            return false;
        if (!waited)
            atomic_fetch_add_explicit(&l->st_tail_waits, 1, memory_order_relaxed);
        waited = true;
        l->room_waiters++;
        atomic_store(&l->asleep, false);
        wake_sync(l);
        pthread_cond_wait(&l->room_cond, &l->buf_lock);
        l->room_waiters--;
    }
    return true;
}

/* Store n bytes at the tail (room made), the end mark first: a mnemod
 * killed in between leaves the old end mark in front of them. */
static void put_at_tail(struct plog *l, const char *src, size_t n)
{
    static const char end_mark[4];
    tailring_write(l->ring, l->tail + n, end_mark, sizeof(end_mark));
    atomic_signal_fence(memory_order_seq_cst); /* the compiler keeps the order */
    if (src != NULL)
        tailring_write(l->ring, l->tail, src, n);
    l->tail += n;
}

uint64_t plog_append(struct plog *l, const struct rec *r)
{
    size_t need = rec_size(r);
    pthread_mutex_lock(&l->buf_lock);
    if (!make_room(l, need)) {
        pthread_mutex_unlock(&l->buf_lock);
        note_failure(l, atomic_load(&l->failing) ? atomic_load(&l->failing) : EFBIG);
        return 0;
    }
    uint64_t at = l->tail & (l->ring->size - 1);
    if (at + need <= l->ring->size) {
        /* the common case: encoded in place, after the end mark moved on */
        put_at_tail(l, NULL, need);
        rec_encode_salted(r, l->salt, l->ring->data + at);
    } else {
        if (need > l->scratch_cap) {
            char *b = realloc(l->scratch, need);
            if (b == NULL) {
                pthread_mutex_unlock(&l->buf_lock);
                note_failure(l, ENOMEM);
                return 0;
            }
            l->scratch = b;
            l->scratch_cap = need;
        }
        rec_encode_salted(r, l->salt, l->scratch);
        put_at_tail(l, l->scratch, need);
    }
    l->records++;
    l->record_bytes += need;
    uint64_t lsn = l->tail;
    atomic_store_explicit(&l->appended, lsn, memory_order_release);
    pthread_mutex_unlock(&l->buf_lock);
    if (atomic_load_explicit(&l->asleep, memory_order_relaxed) && atomic_exchange(&l->asleep, false))
        wake_sync(l);
    return lsn;
}

int plog_write(struct plog *l, uint64_t lsn)
{
    (void)lsn; /* appended is written: the ring outlives the process */
    if (l->policy == PLOG_FSYNC_ALWAYS) {
        atomic_fetch_add_explicit(&l->commits, 1, memory_order_relaxed);
        wake_sync(l);
    }
    return 0;
}

uint64_t plog_written(const struct plog *l)
{
    return atomic_load_explicit(&l->appended, memory_order_acquire);
}

uint64_t plog_durable(const struct plog *l)
{
    return atomic_load_explicit(&l->durable, memory_order_acquire);
}

int plog_failing(const struct plog *l)
{
    return atomic_load_explicit(&l->failing, memory_order_relaxed);
}

enum plog_fsync plog_policy(const struct plog *l)
{
    return l->policy;
}

static void count_fsync(struct plog *l, int64_t usec)
{
    static const int64_t bounds[PLOG_FSYNC_BUCKETS - 1] = {100, 1000, 10000, 100000};
    int b = 0;
    while (b < PLOG_FSYNC_BUCKETS - 1 && usec > bounds[b])
        b++;
    atomic_fetch_add_explicit(&l->st_hist[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&l->st_fsyncs, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&l->st_fsync_usec, (uint64_t)usec, memory_order_relaxed);
}

/*
 * The segment's blocks are allocated ahead of the writes (fallocate with
 * FALLOC_FL_KEEP_SIZE, by the sync thread): a write into blocks the file
 * already owns skips the file system's allocation at write time (measured
 * for buffered writes at pipeline 16 with 4 KB sets: a tenth of the
 * writer's time, bench/results/2026-12-05-232000-persist-allocate-ahead.md).
 * The file's size stays that of what is written, so recovery and
 * `mnemo-cli check` read it as before; the blocks past the end go back
 * with a truncate to the segment's size when it is closed or rotated, or
 * after a crash when recovery has read it. On a file system with little
 * room left nothing is reserved ahead: the room belongs to what is
 * written (and to snapshots). A failure is harmless: the write itself
 * then meets the full disk and reports it.
 */
#define ALLOC_AHEAD (32u << 20)

/* The sync thread's bookkeeping for segment seq (started anew for each). */
static struct pagewin *window(struct plog *l, uint64_t seq)
{
    if (seq != l->win_seq) {
        l->win_seq = seq;
        memset(&l->win, 0, sizeof(l->win));
        l->alloc_end = 0;
        l->synced_off = LOGFILE_BLOCK;
    }
    return &l->win;
}

/* After window(l, s->seq). */
static void allocate_ahead(struct plog *l, const struct seg *s, uint64_t end)
{
    if (l->alloc_end >= end + ALLOC_AHEAD / 2)
        return;
    if (!room_to_spare(s->fd))
        return;
    uint64_t from = l->alloc_end > end ? l->alloc_end : end;
    if (fallocate(s->fd, FALLOC_FL_KEEP_SIZE, (off_t)from, (off_t)(end + ALLOC_AHEAD - from)) == 0)
        l->alloc_end = end + ALLOC_AHEAD;
}

void plog_retire_segment(const char *dir, uint64_t seq)
{
    char path[4200], name[256];
    seg_path(dir, seq, path, sizeof(path));
    int waiting;
    find_recycled(dir, name, sizeof(name), &waiting);
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    bool keep = waiting < RECYCLE_MAX && fd >= 0 && fstat(fd, &st) == 0 &&
                S_ISREG(st.st_mode) && (uint64_t)st.st_size >= RECYCLE_MIN_BYTES &&
                room_to_spare(fd);
    if (fd >= 0)
        close(fd);
    if (keep) {
        char to[4200];
        itemrec_path(dir, "recycle", seq, to, sizeof(to));
        if (renameat2(AT_FDCWD, path, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
            return;
    }
    if (unlink(path) != 0 && errno != ENOENT)
        log_warn("persist: cannot remove %s: %s", path, strerror(errno));
}

/* The segment is closed at `size`: the blocks allocated ahead past it go
 * (and the zeros a direct write put after its last record). */
static void cut_to_size(const struct seg *s, uint64_t size)
{
    if (ftruncate(s->fd, (off_t)size) != 0)
        log_warn("persist: cannot give back the space past the end of log segment %016" PRIx64
                 ": %s", s->seq, strerror(errno));
}

/* Write stream positions [from, to) of the ring at their offsets in s,
 * whole blocks only (direct writes), in at most two pieces (the ring's
 * end). 0 or -1 (errno). */
static int write_ring(struct plog *l, int fd, const struct seg *s, uint64_t from, uint64_t to)
{
    while (from < to) {
        uint64_t at = from & (l->ring->size - 1);
        uint64_t n = to - from;
        if (at + n > l->ring->size)
            n = l->ring->size - at;
        if (fileio_pwrite_all(fd, l->ring->data + at, n, from - s->base) != 0)
            return -1;
        atomic_fetch_add_explicit(&l->st_writes, 1, memory_order_relaxed);
        from += n;
    }
    return 0;
}

/* Write [from, to) into s: direct, whole blocks from the ring, the
 * last partial block through the bounce block with zeros after the end
 * (the next flush writes that block again); buffered where the file
 * system takes no direct writes. 0 or -1 (errno). Sync thread, its
 * segment marked io_busy. */
static int flush_to(struct plog *l, const struct seg *s, uint64_t from, uint64_t to)
{
    struct pagewin *win = window(l, s->seq);
    if (s->dfd < 0) {
        if (write_ring(l, s->fd, s, from, to) != 0)
            return -1;
        if (l->policy != PLOG_FSYNC_ALWAYS) /* always: dropped once fsynced */
            pagewin_advance(win, s->fd, to - s->base, PLOG_STREAM_STEP);
    } else {
        uint64_t a = align_down(from), full = align_down(to);
        if (full > a && write_ring(l, s->dfd, s, a, full) != 0)
            return -1;
        if (to > full) {
            memset(l->bounce, 0, TAILRING_ALIGN);
            tailring_read(l->ring, full, l->bounce, (size_t)(to - full));
            if (fileio_pwrite_all(s->dfd, l->bounce, TAILRING_ALIGN, full - s->base) != 0)
                return -1;
            atomic_fetch_add_explicit(&l->st_writes, 1, memory_order_relaxed);
        }
    }
    allocate_ahead(l, s, to - s->base);
    atomic_fetch_add_explicit(&l->st_bytes, to - from, memory_order_relaxed);
    return 0;
}

/* The sync thread is done with a segment's fds; returns with seg_lock
 * held, for the caller to record what the I/O did. */
static void io_done(struct plog *l)
{
    pthread_mutex_lock(&l->seg_lock);
    l->io_busy--;
    pthread_cond_broadcast(&l->seg_cond);
}

/* The ring may be overwritten up to `kept`: say so in its state first
 * (recovery trusts the ring only from there on), then to the appenders.
 * kept is a record's end at or before flushed (a flush of whole blocks
 * ends inside a record, whose start the salvage must still find in the
 * ring): flushed itself when it is one (at_an_end: all appended, a
 * segment's end or start), else the end the last round saw, when the
 * disk has it. seg_lock held. */
static void publish_kept(struct plog *l, uint64_t end, bool at_an_end)
{
    uint64_t kept = l->state.kept;
    if (at_an_end)
        kept = l->flushed;
    else if (l->seen_end <= l->flushed && l->seen_end > kept)
        kept = l->seen_end;
    l->seen_end = end;
    if (kept == l->state.kept)
        return;
    l->state.kept = kept;
    tailring_publish(l->ring, &l->state);
    /* not into kept's block: the next direct write starts at that block's
     * beginning and takes it from the ring again */
    atomic_store_explicit(&l->room, align_down(kept) + l->ring->size, memory_order_release);
}

/* Write what the appenders added since the last round (the previous
 * segment's rest first, after a rotation): all of it, or (!all) whole
 * blocks once FLUSH_MIN of them wait. Bytes written, or -1. */
static int64_t flush_round(struct plog *l, bool all)
{
    uint64_t end = atomic_load_explicit(&l->appended, memory_order_acquire);
    pthread_mutex_lock(&l->seg_lock);
    uint64_t start = l->flushed;
    struct seg s = l->cur;
    uint64_t to = end;
    if (l->has_prev && l->flushed < l->prev.end) {
        s = l->prev;
        to = l->prev.end;
    } else {
        if (l->flushed < l->cur.base)
            l->flushed = l->cur.base; /* the padding between segments */
        if (!all)
            to = align_down(end) >= l->flushed + FLUSH_MIN ? align_down(end) : l->flushed;
    }
    bool at_an_end = to == end || to == l->prev.end || to == l->cur.base;
    int64_t rc = 0;
    if (to > l->flushed) {
        /* the write outside the lock: appenders rotating need it */
        uint64_t from = l->flushed;
        l->io_busy++;
        pthread_mutex_unlock(&l->seg_lock);
        int w = flush_to(l, &s, from, to);
        int e = errno;
        io_done(l);
        if (w != 0) {
            pthread_mutex_unlock(&l->seg_lock);
            note_failure(l, e);
            return -1;
        }
        l->flushed = to;
    }
    if (l->flushed != start) {
        publish_kept(l, end, at_an_end);
        atomic_store_explicit(&l->written, l->flushed, memory_order_release);
        rc = (int64_t)(l->flushed - start);
    }
    pthread_mutex_unlock(&l->seg_lock);
    if (rc > 0) {
        pthread_mutex_lock(&l->buf_lock);
        if (l->room_waiters > 0)
            pthread_cond_broadcast(&l->room_cond);
        pthread_mutex_unlock(&l->buf_lock);
        wake_sync(l); /* a rotation may wait for the previous segment */
    }
    return rc;
}

/* The header's commit slots (logfile.h) name the length the last fsync
 * covered, at most every HEAD_EVERY_US: the block goes out just before an
 * fsync, which takes it along; until that returns, the older length holds
 * (both were fsynced before they were written). Sync thread, s io_busy.
 * 0, or -1 (errno). */
#define HEAD_EVERY_US 500000

/* head_lock held: the slots' state is s's from here on. */
static void head_for(struct plog *l, const struct seg *s)
{
    if (l->head_seq != s->seq) {
        l->head_seq = s->seq;
        l->head_off = LOGFILE_BLOCK;
        l->head_gen = 0;
        l->head_usec = 0;
        l->head_sealed = false;
    }
}

/* head_lock held: write s's header block saying committed. 0 or -1. */
static int put_head(struct plog *l, const struct seg *s, uint64_t committed)
{
    logfile_block_encode(s->seq, committed, l->head_gen + 1, l->head_buf);
    if (fileio_pwrite_all(s->dfd >= 0 ? s->dfd : s->fd, l->head_buf, LOGFILE_BLOCK, 0) != 0)
        return -1;
    l->head_off = committed;
    l->head_gen++;
    return 0;
}

static int write_committed(struct plog *l, const struct seg *s)
{
    window(l, s->seq);
    int64_t now = now_usec();
    pthread_mutex_lock(&l->head_lock);
    head_for(l, s);
    int rc = 0;
    if (!l->head_sealed && l->synced_off > l->head_off && now - l->head_usec >= HEAD_EVERY_US) {
        rc = put_head(l, s, l->synced_off);
        if (rc == 0)
            l->head_usec = now;
    }
    pthread_mutex_unlock(&l->head_lock);
    return rc;
}

/* s ends at size, fsynced: its header says so (and is fsynced), so
 * recovery holds every record of it to its checks. 0 or -1 (errno). */
static int seal(struct plog *l, const struct seg *s, uint64_t size)
{
    pthread_mutex_lock(&l->head_lock);
    head_for(l, s);
    int rc = size > l->head_off ? put_head(l, s, size) : 0;
    l->head_sealed = true;
    pthread_mutex_unlock(&l->head_lock);
    return rc == 0 ? fdatasync(s->fd) : -1;
}

/* fsync what is flushed: the current segment, and a rotation's old one
 * while it is there (the rotating thread fsyncs and closes it; if its
 * fsync failed, this one is the retry); while the log is failing, also
 * with nothing new: that fsync ends the failure. */
static void sync_round(struct plog *l)
{
    pthread_mutex_lock(&l->seg_lock);
    uint64_t target = l->flushed;
    struct seg s = l->cur, prev = l->prev;
    bool has_prev = l->has_prev;
    bool due = target > atomic_load(&l->durable) || atomic_load(&l->failing) != 0;
    if (!due) {
        pthread_mutex_unlock(&l->seg_lock);
        return;
    }
    l->io_busy++; /* a rotation closes no fd of ours meanwhile */
    pthread_mutex_unlock(&l->seg_lock);
    uint64_t writes = atomic_load_explicit(&l->commits, memory_order_relaxed);
    l->last_batch_bytes = target - atomic_load(&l->durable);
    l->last_batch_writes = writes - l->writes_synced;
    l->writes_synced = writes;
    int64_t t0 = now_usec();
    int rc = has_prev ? fdatasync(prev.fd) : 0;
    if (rc == 0)
        rc = write_committed(l, &s);
    if (rc == 0)
        rc = fdatasync(s.fd);
    int e = errno;
    if (rc == 0 && target > s.base + LOGFILE_BLOCK)
        l->synced_off = target - s.base; /* window(l, s.seq) by write_committed */
    l->last_fsync_us = now_usec() - t0;
    count_fsync(l, l->last_fsync_us);
    if (rc == 0 && s.dfd < 0 && target > s.base)
        pagewin_drop_synced(window(l, s.seq), s.fd, target - s.base, DROP_STEP);
    io_done(l);
    pthread_mutex_unlock(&l->seg_lock);
    if (rc == 0) {
        uint64_t d = atomic_load(&l->durable);
        while (d < target && !atomic_compare_exchange_weak(&l->durable, &d, target))
            ;
        note_recovered(l);
    } else {
        note_failure(l, e);
    }
    wake_sync(l); /* plog_wait_durable's callers */
    if (l->on_durable != NULL)
        l->on_durable(l->arg);
}

/*
 * Group commit with appendfsync always: when an fsync ends, the replies it
 * covers go out, and their clients' next writes arrive a little later. An
 * fsync started at once would carry only what came in meanwhile, and
 * those clients would wait through it and the next one: batches settle at
 * a fraction of the writers (measured: 13.5 writes per fsync with 32
 * writers at pipeline 1). So when the last fsync covered several writes
 * (several connections or batches), first gather: until as many bytes wait
 * as the last fsync carried (its writers are back), or no write came for
 * GATHER_QUIET_US, or for at most as long as the last fsync took (at most
 * GATHER_MAX_US): about 30 writes per fsync then. A lone writer (one write
 * per fsync) does not wait.
 */
#define GATHER_QUIET_US 100
#define GATHER_MAX_US 1000

static void add_us(struct timespec *t, int64_t us)
{
    t->tv_nsec += us * 1000;
    t->tv_sec += t->tv_nsec / 1000000000L;
    t->tv_nsec %= 1000000000L;
}

/* sync_lock held */
static void gather(struct plog *l)
{
    if (l->last_batch_writes < 2)
        return;
    int64_t budget = l->last_fsync_us < GATHER_MAX_US ? l->last_fsync_us : GATHER_MAX_US;
    int64_t start = now_usec();
    while (!l->stop && now_usec() - start < budget) {
        uint64_t before = atomic_load(&l->appended);
        if (before - atomic_load(&l->durable) >= l->last_batch_bytes)
            break; /* as much as last time: the batch is back */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        add_us(&until, GATHER_QUIET_US);
        pthread_cond_timedwait(&l->sync_cond, &l->sync_lock, &until);
        if (atomic_load(&l->appended) == before)
            break; /* quiet: this is the batch */
    }
}

static void *sync_main(void *arg)
{
    struct plog *l = arg;
    int64_t last_sync = now_usec(), last_data = 0, last_all = last_sync;
    uint64_t last_seen = 0; /* appended, as the last round saw it */
    pthread_mutex_lock(&l->sync_lock);
    while (!l->stop) {
        bool failing = atomic_load(&l->failing) != 0;
        if (l->policy == PLOG_FSYNC_ALWAYS && !failing &&
            atomic_load(&l->appended) > atomic_load(&l->durable))
            gather(l);
        pthread_mutex_unlock(&l->sync_lock);
        int64_t now = now_usec();
        bool fsync_due = l->policy != PLOG_FSYNC_NO &&
                         (l->policy == PLOG_FSYNC_ALWAYS || failing || now - last_sync >= 1000000);
        /* all of it at least once a second (with "no" too: the OS then
         * has it, as it would have every write()) */
        bool all = fsync_due || now - last_all >= 1000000;
        int64_t wrote = flush_round(l, all);
        if (all && wrote >= 0)
            last_all = now;
        uint64_t seen = atomic_load(&l->appended);
        if (seen != last_seen) { /* the appenders are busy */
            last_data = now;
            last_seen = seen;
        }
        if (wrote >= 0 && fsync_due) {
            sync_round(l);
            last_sync = now;
        } else if (wrote >= 0 && failing && l->policy == PLOG_FSYNC_NO) {
            note_recovered(l);
        }
        pthread_mutex_lock(&l->sync_lock);
        if (l->stop || wrote > 0)
            continue;
        /* Nothing new: look again soon while the log is busy, else sleep
         * until an appender (or a rotation, or plog_write with always)
         * wakes us; everysec also for its next fsync, a failure to retry. */
        bool pending = atomic_load(&l->appended) != atomic_load(&l->written);
        int64_t wait_us;
        if (atomic_load(&l->failing) != 0) {
            wait_us = PLOG_RETRY_MS * 1000;
        } else if (pending) { /* less than FLUSH_MIN: soon, or with the next "all" */
            int64_t left = 1000000 - (now - last_all);
            wait_us = now - last_data < ACTIVE_MS * 1000 ? POLL_US : QUIET_POLL_US;
            if (left < wait_us)
                wait_us = left > 0 ? left : 0;
        } else if (l->policy == PLOG_FSYNC_EVERYSEC &&
                   atomic_load(&l->written) > atomic_load(&l->durable)) {
            int64_t left = 1000000 - (now - last_sync);
            wait_us = left > 0 ? left : 0;
        } else {
            wait_us = IDLE_MS * 1000;
            atomic_store(&l->asleep, true);
            if (atomic_load(&l->appended) != atomic_load(&l->written))
                wait_us = POLL_US; /* an appender came meanwhile */
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        add_us(&until, wait_us);
        pthread_cond_timedwait(&l->sync_cond, &l->sync_lock, &until);
        atomic_store(&l->asleep, false);
    }
    pthread_mutex_unlock(&l->sync_lock);
    return NULL;
}

/* The segment s begins at the tail: its header block (as in its file)
 * goes into the ring at the next block's start, and its records carry its
 * salt from here on. buf_lock held, room made. */
static void start_segment(struct plog *l, struct seg *s)
{
    uint64_t pad = (TAILRING_ALIGN - (l->tail & (TAILRING_ALIGN - 1))) & (TAILRING_ALIGN - 1);
    put_at_tail(l, NULL, pad); /* the padding's bytes are never read */
    s->base = l->tail;
    char head[LOGFILE_BLOCK];
    logfile_block_encode(s->seq, LOGFILE_BLOCK, 0, head);
    put_at_tail(l, head, sizeof(head));
    l->salt = logfile_salt(s->seq);
    if (s->recycled)
        atomic_fetch_add_explicit(&l->st_recycled, 1, memory_order_relaxed);
    atomic_store_explicit(&l->appended, l->tail, memory_order_release);
}

uint64_t plog_ring_size(uint64_t max_record, uint64_t cache_bytes)
{
    uint64_t ring = PLOG_RING_MIN;
    while (ring < PLOG_RING_MAX && ring < cache_bytes / 16)
        ring *= 2;
    while (ring < 4 * max_record)
        ring *= 2;
    return ring;
}

int plog_open(const char *dir, uint64_t seq, enum plog_fsync policy, uint64_t ring_bytes,
              plog_durable_fn on_durable, void *arg, struct plog **out, char *err,
              size_t errlen)
{
    struct plog *l = calloc(1, sizeof(*l));
    if (l == NULL || posix_memalign((void **)&l->bounce, TAILRING_ALIGN, TAILRING_ALIGN) != 0 ||
        posix_memalign((void **)&l->head_buf, TAILRING_ALIGN, LOGFILE_BLOCK) != 0) {
        if (l != NULL)
            free(l->bounce);
        free(l);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(l->dir, sizeof(l->dir), "%s", dir);
    l->policy = policy;
    l->on_durable = on_durable;
    l->arg = arg;
    pthread_mutex_init(&l->buf_lock, NULL);
    pthread_mutex_init(&l->head_lock, NULL);
    pthread_cond_init(&l->room_cond, NULL);
    pthread_mutex_init(&l->seg_lock, NULL);
    pthread_cond_init(&l->seg_cond, NULL);
    pthread_mutex_init(&l->sync_lock, NULL);
    pthread_cond_init(&l->sync_cond, NULL);
    if (tailring_create(dir, ring_bytes, &l->ring, err, errlen) != 0)
        goto fail;
    if (segment_create(dir, seq, uses_direct(policy), &l->cur, err, errlen) != 0) {
        tailring_remove(&l->ring);
        goto fail;
    }
    atomic_store(&l->room, l->ring->size);
    start_segment(l, &l->cur);
    l->state.cur_seq = seq;
    l->state.cur_ino = l->cur.ino;
    l->state.cur_base = l->cur.base;
    atomic_store(&l->written, l->tail);
    atomic_store(&l->durable, l->tail);
    l->flushed = 0; /* the first block is written again, header and all */
    tailring_publish(l->ring, &l->state); /* kept 0 */
    if (pthread_create(&l->thread, NULL, sync_main, l) != 0) {
        snprintf(err, errlen, "cannot start the log's sync thread");
        segment_close(&l->cur);
        tailring_remove(&l->ring);
        goto fail;
    }
    l->thread_started = true;
    *out = l;
    return 0;
fail:
    free(l->bounce);
    free(l->head_buf);
    free(l);
    return -1;
}

/* The sync thread writes out the rotation's old segment; fsync it, give
 * back what was allocated past its end, close it and let durable move
 * past it. 0, or -1 with errno (it stays, for the next rotation; the sync
 * thread fsyncs it with the current one meanwhile). Called by the
 * rotating thread only. */
static int finish_prev(struct plog *l)
{
    pthread_mutex_lock(&l->seg_lock);
    uint64_t end = l->prev.end;
    pthread_mutex_unlock(&l->seg_lock);
    pthread_mutex_lock(&l->sync_lock);
    pthread_cond_broadcast(&l->sync_cond);
    while (atomic_load(&l->written) < end && atomic_load(&l->failing) == 0 && !l->stop)
        pthread_cond_wait(&l->sync_cond, &l->sync_lock);
    pthread_mutex_unlock(&l->sync_lock);
    if (atomic_load(&l->written) < end) {
        errno = atomic_load(&l->failing) ? atomic_load(&l->failing) : EIO;
        return -1;
    }
    pthread_mutex_lock(&l->seg_lock);
    struct seg old = l->prev; /* the sync thread is done with it */
    pthread_mutex_unlock(&l->seg_lock);
    if (fdatasync(old.fd) != 0 || seal(l, &old, end - old.base) != 0)
        return -1;
    cut_to_size(&old, end - old.base);
    pthread_mutex_lock(&l->seg_lock);
    while (l->io_busy > 0)
        pthread_cond_wait(&l->seg_cond, &l->seg_lock);
    segment_close(&l->prev);
    l->has_prev = false;
    uint64_t d = atomic_load(&l->durable);
    while (d < end && !atomic_compare_exchange_weak(&l->durable, &d, end))
        ;
    pthread_mutex_unlock(&l->seg_lock);
    wake_sync(l);
    return 0;
}

/*
 * The pause a rotation makes appenders wait through is the few bytes of
 * the new segment's start in the ring: the new segment is made (header,
 * fsync, directory fsync) before any lock, and the old one is written
 * out by the sync thread and fsynced after the switch. While the old one
 * is open the sync thread fsyncs it before the current one, so no reply
 * held for a record of the old segment leaves before it is on disk.
 * Rotations come one at a time (the snapshotter's lock).
 */
int plog_rotate(struct plog *l, uint64_t *new_seq, char *err, size_t errlen)
{
    if (l->has_prev && finish_prev(l) != 0) { /* rotating thread: has_prev is ours */
        int e = errno;
        note_failure(l, e);
        snprintf(err, errlen, "cannot fsync log segment %016" PRIx64 ": %s", l->prev.seq,
                 strerror(e));
        return -1;
    }
    pthread_mutex_lock(&l->seg_lock);
    uint64_t next = l->cur.seq + 1;
    pthread_mutex_unlock(&l->seg_lock);
    struct seg s;
    if (segment_create(l->dir, next, uses_direct(l->policy), &s, err, errlen) != 0)
        return -1;
    pthread_mutex_lock(&l->buf_lock);
    if (!make_room(l, TAILRING_ALIGN + LOGFILE_BLOCK)) {
        pthread_mutex_unlock(&l->buf_lock);
        snprintf(err, errlen, "cannot finish log segment %016" PRIx64 ": %s", l->cur.seq,
                 strerror(atomic_load(&l->failing) ? atomic_load(&l->failing) : ENOSPC));
        char path[4200];
        seg_path(l->dir, next, path, sizeof(path));
        segment_close(&s);
        unlink(path);
        return -1;
    }
    uint64_t old_end = l->tail;
    start_segment(l, &s);
    pthread_mutex_lock(&l->seg_lock);
    l->prev = l->cur;
    l->prev.end = old_end;
    l->has_prev = true;
    l->cur = s;
    l->state.prev_seq = l->prev.seq;
    l->state.prev_ino = l->prev.ino;
    l->state.prev_base = l->prev.base;
    l->state.prev_end = old_end;
    l->state.cur_seq = next;
    l->state.cur_ino = s.ino;
    l->state.cur_base = s.base;
    tailring_publish(l->ring, &l->state);
    pthread_mutex_unlock(&l->seg_lock);
    pthread_mutex_unlock(&l->buf_lock);

    if (finish_prev(l) != 0) {
        int e = errno;
        note_failure(l, e);
        snprintf(err, errlen, "cannot fsync log segment %016" PRIx64 ": %s", l->prev.seq,
                 strerror(e));
        return -1;
    }
    if (l->on_durable != NULL)
        l->on_durable(l->arg);
    *new_seq = next;
    return 0;
}

void plog_stats(struct plog *l, struct plog_stats *out)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&l->buf_lock);
    out->records = l->records;
    out->bytes = l->record_bytes;
    uint64_t tail = l->tail;
    pthread_mutex_unlock(&l->buf_lock);
    pthread_mutex_lock(&l->seg_lock);
    out->seq = l->cur.seq;
    out->segment_bytes = tail - l->cur.base;
    pthread_mutex_unlock(&l->seg_lock);
    out->flushed_bytes = atomic_load_explicit(&l->st_bytes, memory_order_relaxed);
    out->writes = atomic_load_explicit(&l->st_writes, memory_order_relaxed);
    out->tail_waits = atomic_load_explicit(&l->st_tail_waits, memory_order_relaxed);
    out->recycled = atomic_load_explicit(&l->st_recycled, memory_order_relaxed);
    out->fsyncs = atomic_load_explicit(&l->st_fsyncs, memory_order_relaxed);
    out->fsync_usec_total = atomic_load_explicit(&l->st_fsync_usec, memory_order_relaxed);
    for (int i = 0; i < PLOG_FSYNC_BUCKETS; i++)
        out->fsync_hist[i] = atomic_load_explicit(&l->st_hist[i], memory_order_relaxed);
    out->write_errors = atomic_load_explicit(&l->st_errors, memory_order_relaxed);
    out->last_errno = atomic_load_explicit(&l->last_errno, memory_order_relaxed);
    out->failing = atomic_load(&l->failing) != 0;
}

void plog_close(struct plog **lp)
{
    struct plog *l = *lp;
    if (l == NULL)
        return;
    *lp = NULL;
    if (l->thread_started) {
        pthread_mutex_lock(&l->sync_lock);
        l->stop = true;
        pthread_cond_broadcast(&l->sync_cond);
        pthread_mutex_unlock(&l->sync_lock);
        pthread_join(l->thread, NULL);
    }
    /* Everything appended into its segment (a rotation's old one first),
     * fsynced; only then may the ring go. */
    int rc = 0;
    for (int round = 0; round < 3 && rc == 0; round++)
        rc = flush_round(l, true) < 0 ? -1 : 0;
    bool all = rc == 0 && l->flushed == atomic_load(&l->appended) && !l->has_prev;
    if (all && fdatasync(l->cur.fd) == 0 && seal(l, &l->cur, l->tail - l->cur.base) == 0) {
        cut_to_size(&l->cur, l->tail - l->cur.base);
        tailring_remove(&l->ring);
    } else {
        log_error("persist: closing the append log: %s; its tail stays in %s for the next start",
                  strerror(errno ? errno : EIO), l->ring->path);
        tailring_leave(&l->ring);
    }
    if (l->has_prev)
        segment_close(&l->prev);
    segment_close(&l->cur);
    free(l->scratch);
    free(l->bounce);
    free(l->head_buf);
    pthread_mutex_destroy(&l->head_lock);
    pthread_mutex_destroy(&l->buf_lock);
    pthread_cond_destroy(&l->room_cond);
    pthread_mutex_destroy(&l->seg_lock);
    pthread_cond_destroy(&l->seg_cond);
    pthread_mutex_destroy(&l->sync_lock);
    pthread_cond_destroy(&l->sync_cond);
    free(l);
}
