/*
 * log.c: see log.h.
 *
 * Locks, in the order they may nest: io_lock (the file, the buffer being
 * written, `written`), then buf_lock (the buffer being appended to). The
 * mutation hook runs under a store shard lock and takes buf_lock only, so
 * records of one key enter the buffer in the order the store made them.
 * The sync thread fsyncs holding neither (sync_lock only guards its own
 * state), so a worker writing never waits for an fsync.
 */
#include "persist/log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "persist/fileio.h"
#include "persist/logfile.h"
#include "persist/pagewin.h"

#define BUF_INITIAL (1u << 20)

/* Pages of the log on disk leave the page cache in steps of at least this
 * after an fsync. */
#define DROP_STEP (1u << 20)


struct plog {
    char dir[4096];
    enum plog_fsync policy;

    pthread_mutex_t buf_lock;
    char *buf; /* appended to */
    size_t len, cap;
    uint64_t appended; /* LSN at the end of buf */
    uint64_t records;

    pthread_mutex_t io_lock;
    char *wbuf; /* taken from buf, being written (kept while a write fails) */
    size_t wlen, wcap;
    uint64_t wend; /* LSN at the end of wbuf */
    int fd;
    uint64_t seq;
    uint64_t off; /* where the next write goes in the segment */
    uint64_t stream_at; /* everysec, no: off past which the sync thread streams (io_lock) */
    _Atomic bool stream_due; /* it should */

    _Atomic uint64_t written;
    _Atomic uint64_t durable;
    _Atomic int failing; /* errno of a failure not yet recovered from */

    pthread_mutex_t sync_lock;
    pthread_cond_t sync_cond;
    bool stop;
    bool syncing; /* an fdatasync of fd is running outside the locks */
    bool rotating; /* the old segment's fsync is pending: durable stays put */
    int64_t last_fsync_us;      /* sync thread only: how long the last fsync took, */
    uint64_t last_batch_writes; /*   how many writes it covered, */
    uint64_t last_batch_bytes;  /*   how many bytes, */
    uint64_t writes_synced;     /*   and the write count it covered up to */
    uint64_t win_seq;           /*   the segment whose page-cache window */
    struct pagewin win;         /*   this is, */
    uint64_t alloc_end;         /*   and up to where it is allocated ahead */
    bool thread_started;
    pthread_t thread;
    plog_durable_fn on_durable;
    void *arg;

    /* statistics (relaxed) */
    _Atomic uint64_t st_bytes, st_writes, st_fsyncs, st_fsync_usec, st_errors;
    _Atomic uint64_t st_hist[PLOG_FSYNC_BUCKETS];
    _Atomic int last_errno;
};

static int64_t now_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void seg_path(const char *dir, uint64_t seq, char *out, size_t cap)
{
    snprintf(out, cap, "%s/log.%016" PRIx64, dir, seq);
}

/* Create a segment with its header, fsynced with the directory. */
static int segment_create(const char *dir, uint64_t seq, char *err, size_t errlen)
{
    char path[4200];
    seg_path(dir, seq, path, sizeof(path));
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    char head[LOGFILE_HEADER];
    logfile_header_encode(seq, head);
    if (fileio_pwrite_all(fd, head, sizeof(head), 0) != 0 || fdatasync(fd) != 0 || fileio_fsync_dir(dir) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return -1;
    }
    return fd;
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
}

static void note_recovered(struct plog *l)
{
    if (atomic_exchange(&l->failing, 0) != 0)
        log_error("persist: the append log is written again; writes are accepted");
}

/* Write everything buffered up to now (io_lock held). 0 or -1 (errno). */
static int write_pending(struct plog *l)
{
    for (int round = 0; round < 2; round++) {
        if (l->wlen == 0) {
            /* Take the appended records; the empty buffer goes to the appenders. */
            pthread_mutex_lock(&l->buf_lock);
            char *b = l->wbuf;
            size_t c = l->wcap;
            l->wbuf = l->buf;
            l->wcap = l->cap;
            l->wlen = l->len;
            l->wend = l->appended;
            l->buf = b;
            l->cap = c;
            l->len = 0;
            pthread_mutex_unlock(&l->buf_lock);
            if (l->wlen == 0)
                return 0;
        }
        if (fileio_pwrite_all(l->fd, l->wbuf, l->wlen, l->off) != 0) {
            int e = errno;
            note_failure(l, e);
            errno = e;
            return -1;
        }
        l->off += l->wlen;
        atomic_fetch_add_explicit(&l->st_bytes, l->wlen, memory_order_relaxed);
        atomic_fetch_add_explicit(&l->st_writes, 1, memory_order_relaxed);
        l->wlen = 0;
        atomic_store_explicit(&l->written, l->wend, memory_order_release);
        /* A retry after a failure wrote the old records first: go round
         * once more for what was appended meanwhile. */
    }
    return 0;
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

uint64_t plog_append(struct plog *l, const struct rec *r)
{
    size_t need = rec_size(r);
    pthread_mutex_lock(&l->buf_lock);
    if (l->len + need > l->cap) {
        size_t cap = l->cap ? l->cap : BUF_INITIAL;
        while (cap < l->len + need)
            cap *= 2;
        char *b = realloc(l->buf, cap);
        if (b == NULL) {
            pthread_mutex_unlock(&l->buf_lock);
            note_failure(l, ENOMEM);
            return 0;
        }
        l->buf = b;
        l->cap = cap;
    }
    rec_encode(r, l->buf + l->len);
    l->len += need;
    l->appended += need;
    l->records++;
    uint64_t lsn = l->appended;
    pthread_mutex_unlock(&l->buf_lock);
    return lsn;
}

int plog_write(struct plog *l, uint64_t lsn)
{
    if (atomic_load_explicit(&l->written, memory_order_acquire) >= lsn)
        return 0;
    pthread_mutex_lock(&l->io_lock);
    int rc = 0;
    if (atomic_load_explicit(&l->written, memory_order_relaxed) < lsn)
        rc = write_pending(l);
    bool stream = l->policy != PLOG_FSYNC_ALWAYS && l->off >= l->stream_at;
    if (stream)
        l->stream_at = l->off + PLOG_STREAM_STEP;
    pthread_mutex_unlock(&l->io_lock);
    if (stream) {
        atomic_store(&l->stream_due, true);
        wake_sync(l);
    }
    if (rc == 0) {
        if (atomic_load(&l->failing) != 0 && l->policy != PLOG_FSYNC_ALWAYS)
            note_recovered(l);
        if (l->policy == PLOG_FSYNC_ALWAYS)
            wake_sync(l);
    }
    return rc;
}

uint64_t plog_written(const struct plog *l)
{
    return atomic_load_explicit(&l->written, memory_order_acquire);
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
 * The log is read back only by recovery: its pages need not stay in
 * memory, where they would crowd out the page cache of the machine a cache
 * runs on (gigabytes an hour under a steady write load). So once fsynced
 * they are dropped, and between fsyncs (everysec, no) the sync thread
 * streams the log to disk behind the writers and drops it (stream_round),
 * so that it holds a few megabytes of the page cache and the next writes
 * land in pages freed a moment ago (pagewin.h; measured at pipeline 16
 * with 4 KB sets, the worker's system time fell from about 2.7 to 2.0 µs
 * a set). The last, partial page stays: it is written again. Sync thread
 * only.
 */
static struct pagewin *window(struct plog *l, uint64_t seq)
{
    if (seq != l->win_seq) {
        l->win_seq = seq;
        memset(&l->win, 0, sizeof(l->win));
        l->alloc_end = 0;
    }
    return &l->win;
}

static void drop_synced_pages(struct plog *l, int fd, uint64_t seq, uint64_t end)
{
    pagewin_drop_synced(window(l, seq), fd, end, DROP_STEP);
}

/*
 * The segment's blocks are allocated ahead of the writers (fallocate with
 * FALLOC_FL_KEEP_SIZE, by the sync thread): a write into blocks the file
 * already owns skips ext4's delayed-allocation bookkeeping (reserving the
 * block, charging the quota, recording a delayed extent) that otherwise
 * runs in the worker's write() for every new page (measured at pipeline
 * 16 with 4 KB sets: a tenth of the worker's time; 7-18% more sets a
 * second once allocated ahead, bench/results/2026-12-05-232000-persist-
 * allocate-ahead.md). The file's size stays that of its records, so
 * recovery and `mnemo-cli check` read it as before; the blocks past the
 * end go back with a truncate to that size when the segment is closed or
 * rotated, or after a crash when recovery has read it. On a
 * file system with little room left nothing is reserved ahead: the room
 * belongs to what is written (and to snapshots). A failure is harmless:
 * the write itself then meets the full disk and reports it.
 */
#define ALLOC_AHEAD (32u << 20)
#define ALLOC_MIN_FREE (1ull << 30)

/* After window(l, seq) for the same segment (it starts alloc_end anew). */
static void allocate_ahead(struct plog *l, int fd, uint64_t end)
{
    if (l->alloc_end >= end + ALLOC_AHEAD / 2)
        return;
    struct statvfs vfs;
    if (fstatvfs(fd, &vfs) != 0 || (uint64_t)vfs.f_bavail * vfs.f_frsize < ALLOC_MIN_FREE)
        return;
    uint64_t from = l->alloc_end > end ? l->alloc_end : end;
    if (fallocate(fd, FALLOC_FL_KEEP_SIZE, (off_t)from, (off_t)(end + ALLOC_AHEAD - from)) == 0)
        l->alloc_end = end + ALLOC_AHEAD;
}

/* The segment is closed at `size`: the blocks allocated ahead past it go. */
static void give_back_ahead(int fd, uint64_t seq, uint64_t size)
{
    if (ftruncate(fd, (off_t)size) != 0)
        log_warn("persist: cannot give back the space past the end of log segment %016" PRIx64
                 ": %s", seq, strerror(errno));
}

/* Stream the segment written so far to disk, behind the writers (everysec,
 * no). Called with sync_lock held; returns with it. */
static void stream_round(struct plog *l)
{
    atomic_store(&l->stream_due, false);
    pthread_mutex_unlock(&l->sync_lock);
    /* As in sync_round: fd under io_lock, used outside it marked `syncing`
     * (a rotation waits for that before it closes fd). */
    pthread_mutex_lock(&l->io_lock);
    int fd = l->fd;
    uint64_t seq = l->seq, end = l->off;
    pthread_mutex_lock(&l->sync_lock);
    l->syncing = true;
    pthread_mutex_unlock(&l->sync_lock);
    pthread_mutex_unlock(&l->io_lock);
    pagewin_advance(window(l, seq), fd, end, PLOG_STREAM_STEP);
    allocate_ahead(l, fd, end);
    pthread_mutex_lock(&l->sync_lock);
    l->syncing = false;
    pthread_cond_broadcast(&l->sync_cond);
}

/* One round of the sync thread: retry a failed write, then fsync what is
 * written and not yet durable. Called with sync_lock held; returns with it. */
static void sync_round(struct plog *l)
{
    pthread_mutex_unlock(&l->sync_lock);
    if (atomic_load(&l->failing) != 0) {
        pthread_mutex_lock(&l->io_lock);
        int rc = write_pending(l);
        pthread_mutex_unlock(&l->io_lock);
        if (rc != 0) {
            pthread_mutex_lock(&l->sync_lock);
            return;
        }
        if (l->policy != PLOG_FSYNC_ALWAYS) /* always: once the fsync below succeeds */
            note_recovered(l);
    }
    /* fd and the target under io_lock; the fsync itself outside it, marked
     * `syncing` so a rotation does not close fd under us. */
    pthread_mutex_lock(&l->io_lock);
    uint64_t target = atomic_load(&l->written);
    int fd = l->fd;
    uint64_t seq = l->seq, end = l->off;
    pthread_mutex_lock(&l->sync_lock);
    bool due = l->policy != PLOG_FSYNC_NO && !l->rotating && target > atomic_load(&l->durable);
    l->syncing = due;
    pthread_mutex_unlock(&l->sync_lock);
    pthread_mutex_unlock(&l->io_lock);
    if (due) {
        uint64_t writes = atomic_load_explicit(&l->st_writes, memory_order_relaxed);
        l->last_batch_bytes = target - atomic_load(&l->durable);
        l->last_batch_writes = writes - l->writes_synced;
        l->writes_synced = writes;
        int64_t t0 = now_usec();
        int rc = fdatasync(fd);
        int e = errno;
        l->last_fsync_us = now_usec() - t0;
        count_fsync(l, l->last_fsync_us);
        if (rc == 0) {
            /* durable only grows: a rotation may have moved it further */
            uint64_t d = atomic_load(&l->durable);
            while (d < target && !atomic_compare_exchange_weak(&l->durable, &d, target))
                ;
            note_recovered(l);
            drop_synced_pages(l, fd, seq, end);
        } else {
            note_failure(l, e);
        }
        if (l->on_durable != NULL)
            l->on_durable(l->arg);
    }
    pthread_mutex_lock(&l->sync_lock);
    l->syncing = false;
    pthread_cond_broadcast(&l->sync_cond);
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

static void gather(struct plog *l)
{
    if (l->last_batch_writes < 2)
        return;
    int64_t budget = l->last_fsync_us < GATHER_MAX_US ? l->last_fsync_us : GATHER_MAX_US;
    int64_t start = now_usec();
    while (!l->stop && now_usec() - start < budget) {
        uint64_t before = atomic_load(&l->written);
        if (before - atomic_load(&l->durable) >= l->last_batch_bytes)
            break; /* as much as last time: the batch is back */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        add_us(&until, GATHER_QUIET_US);
        pthread_cond_timedwait(&l->sync_cond, &l->sync_lock, &until);
        if (atomic_load(&l->written) == before)
            break; /* quiet: this is the batch */
    }
}

static void *sync_main(void *arg)
{
    struct plog *l = arg;
    bool waiting = false, waiting_failing = false; /* for the deadline below */
    struct timespec deadline;
    pthread_mutex_lock(&l->sync_lock);
    while (!l->stop) {
        bool failing = atomic_load(&l->failing) != 0;
        if (!failing && atomic_load(&l->stream_due)) {
            stream_round(l);
            continue;
        }
        /* "no" keeps the thread only to stream and to retry failed writes. */
        if (l->rotating || (!failing && (l->policy == PLOG_FSYNC_NO ||
                                         (l->policy == PLOG_FSYNC_ALWAYS &&
                                          atomic_load(&l->written) <= atomic_load(&l->durable))))) {
            pthread_cond_wait(&l->sync_cond, &l->sync_lock);
            continue;
        }
        if (l->policy == PLOG_FSYNC_ALWAYS && !failing)
            gather(l);
        if (l->policy == PLOG_FSYNC_EVERYSEC || failing) {
            /* One deadline per second however often streaming wakes us; a
             * failure (or its end) starts a deadline of its own. */
            if (!waiting || failing != waiting_failing)
                clock_deadline_ms(&deadline, CLOCK_REALTIME, failing ? PLOG_RETRY_MS : 1000);
            waiting = true;
            waiting_failing = failing;
            int rc = pthread_cond_timedwait(&l->sync_cond, &l->sync_lock, &deadline);
            if (l->stop)
                break;
            if (rc != ETIMEDOUT && !failing)
                continue; /* streaming, a failure, or a rotation: look again */
            waiting = false;
        }
        sync_round(l);
    }
    pthread_mutex_unlock(&l->sync_lock);
    return NULL;
}

int plog_open(const char *dir, uint64_t seq, enum plog_fsync policy, plog_durable_fn on_durable,
              void *arg, struct plog **out, char *err, size_t errlen)
{
    struct plog *l = calloc(1, sizeof(*l));
    if (l == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(l->dir, sizeof(l->dir), "%s", dir);
    l->policy = policy;
    l->seq = seq;
    l->off = LOGFILE_HEADER;
    l->stream_at = LOGFILE_HEADER + PLOG_STREAM_STEP;
    l->on_durable = on_durable;
    l->arg = arg;
    pthread_mutex_init(&l->buf_lock, NULL);
    pthread_mutex_init(&l->io_lock, NULL);
    pthread_mutex_init(&l->sync_lock, NULL);
    pthread_cond_init(&l->sync_cond, NULL);
    l->fd = segment_create(dir, seq, err, errlen);
    if (l->fd < 0) {
        free(l);
        return -1;
    }
    if (pthread_create(&l->thread, NULL, sync_main, l) != 0) {
        snprintf(err, errlen, "cannot start the log's sync thread");
        close(l->fd);
        free(l);
        return -1;
    }
    l->thread_started = true;
    *out = l;
    return 0;
}

/*
 * The pause a rotation makes workers wait through is one ordinary write:
 * the new segment is made (header, fsync, directory fsync) before any
 * lock, and the old one is fsynced after the switch. Until that fsync is
 * done the sync thread does not move `durable` (rotating), so no reply
 * held for a record of the old segment leaves before it is on disk.
 * Rotations come one at a time (the snapshotter's lock).
 */
int plog_rotate(struct plog *l, uint64_t *new_seq, char *err, size_t errlen)
{
    uint64_t next = l->seq + 1;
    int fd = segment_create(l->dir, next, err, errlen);
    if (fd < 0)
        return -1;
    pthread_mutex_lock(&l->io_lock);
    if (write_pending(l) != 0) {
        snprintf(err, errlen, "cannot finish log segment %016" PRIx64 ": %s", l->seq,
                 strerror(errno));
        pthread_mutex_unlock(&l->io_lock);
        close(fd);
        char path[4200];
        seg_path(l->dir, next, path, sizeof(path));
        unlink(path);
        return -1;
    }
    uint64_t old_written = atomic_load(&l->written);
    pthread_mutex_lock(&l->sync_lock);
    while (l->syncing)
        pthread_cond_wait(&l->sync_cond, &l->sync_lock);
    int old = l->fd;
    uint64_t old_seq = l->seq, old_off = l->off;
    l->fd = fd;
    l->seq = next;
    l->off = LOGFILE_HEADER;
    l->stream_at = LOGFILE_HEADER + PLOG_STREAM_STEP;
    l->rotating = true;
    pthread_mutex_unlock(&l->sync_lock);
    pthread_mutex_unlock(&l->io_lock);

    int rc = fdatasync(old);
    int e = errno;
    if (rc == 0) { /* all of it is on disk (see drop_synced_pages) */
        (void)posix_fadvise(old, 0, 0, POSIX_FADV_DONTNEED);
        give_back_ahead(old, old_seq, old_off);
    }
    close(old);
    pthread_mutex_lock(&l->sync_lock);
    l->rotating = false;
    if (rc == 0) {
        uint64_t d = atomic_load(&l->durable);
        while (d < old_written && !atomic_compare_exchange_weak(&l->durable, &d, old_written))
            ;
    }
    pthread_cond_broadcast(&l->sync_cond);
    pthread_mutex_unlock(&l->sync_lock);
    if (rc != 0) {
        note_failure(l, e);
        snprintf(err, errlen, "cannot fsync log segment %016" PRIx64 ": %s", old_seq, strerror(e));
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
    pthread_mutex_lock(&l->io_lock);
    out->seq = l->seq;
    out->segment_bytes = l->off;
    pthread_mutex_unlock(&l->io_lock);
    pthread_mutex_lock(&l->buf_lock);
    out->records = l->records;
    pthread_mutex_unlock(&l->buf_lock);
    out->bytes = atomic_load_explicit(&l->st_bytes, memory_order_relaxed);
    out->writes = atomic_load_explicit(&l->st_writes, memory_order_relaxed);
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
    pthread_mutex_lock(&l->io_lock);
    if (write_pending(l) != 0 || fdatasync(l->fd) != 0)
        log_error("persist: closing the append log: %s", strerror(errno));
    else
        give_back_ahead(l->fd, l->seq, l->off);
    pthread_mutex_unlock(&l->io_lock);
    close(l->fd);
    free(l->buf);
    free(l->wbuf);
    pthread_mutex_destroy(&l->buf_lock);
    pthread_mutex_destroy(&l->io_lock);
    pthread_mutex_destroy(&l->sync_lock);
    pthread_cond_destroy(&l->sync_cond);
    free(l);
}
