/*
 * persist.c: see persist.h. The directory and its lock, the mutation hook,
 * the per-thread commit, statistics. Recovery is recover.c, snapshots
 * snapshot.c, the log's writer log.c.
 *
 * Which records must be written before a thread's replies go: each thread
 * remembers the LSN of the last record it appended (a thread-local), since
 * the hook runs in the thread that made the change. Its replies can go once
 * the log is written (or, with always, fsynced) up to that LSN; records of
 * other threads that came earlier ride along in the same write.
 */
#include "persist/persist.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "persist/itemrec.h"
#include "persist/journal.h"
#include "persist/log.h"
#include "persist/recover.h"
#include "persist/snapshot.h"
#include "persist/tailring.h"
#include "store/store.h"

struct persist {
    struct persist_config cfg;
    char dir[4096];
    struct store *store;
    struct plog *log;
    struct snapshotter *snap;
    struct recover_result recovered;
    uint64_t salvaged; /* bytes of records the start took from a killed mnemod's tail */
    int lock_fd;
};

static _Thread_local uint64_t thread_lsn;   /* last record this thread appended */
static _Thread_local bool thread_lost;      /* a record could not even be buffered */
static _Thread_local uint64_t thread_changes; /* hook calls in this thread */

/* The journal's log sink: under the key's lock, in the thread making the
 * change. */
static void log_sink(void *arg, const struct rec *r)
{
    struct persist *p = arg;
    thread_changes++;
    uint64_t lsn = plog_append(p->log, r);
    if (lsn == 0)
        thread_lost = true;
    else
        thread_lsn = lsn;
}

uint64_t persist_thread_changes(void)
{
    return thread_changes;
}

bool persist_holds_replies(const struct persist *p)
{
    return plog_policy(p->log) == PLOG_FSYNC_ALWAYS;
}

int persist_wait_durable(struct persist *p, uint64_t lsn)
{
    return plog_wait_durable(p->log, lsn);
}

int persist_commit(struct persist *p)
{
    if (thread_lost) {
        thread_lost = false;
        errno = ENOMEM;
        return -1;
    }
    if (thread_lsn == 0)
        return 0;
    return plog_write(p->log, thread_lsn);
}

uint64_t persist_thread_lsn(void)
{
    return thread_lsn;
}

uint64_t persist_ready(const struct persist *p)
{
    return plog_policy(p->log) == PLOG_FSYNC_ALWAYS ? plog_durable(p->log) : plog_written(p->log);
}

int persist_refusing(const struct persist *p)
{
    return plog_failing(p->log);
}

/* Make the directory (one level) and take its lock; the pid of the holder
 * goes into the lock file, for the message a second mnemod gives. */
static int lock_dir(struct persist *p, char *err, size_t errlen)
{
    struct stat st;
    if (mkdir(p->dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "persist: cannot create %s: %s", p->dir, strerror(errno));
        return -1;
    }
    if (stat(p->dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "persist: %s is not a directory", p->dir);
        return -1;
    }
    char path[4200];
    snprintf(path, sizeof(path), "%s/LOCK", p->dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "persist: cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = "";
        ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        snprintf(err, errlen, "persist: %s is in use by another mnemod (pid %s)", p->dir,
                 pid[0] ? pid : "unknown");
        close(fd);
        return -1;
    }
    char pid[32];
    int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
        snprintf(err, errlen, "persist: cannot write %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    p->lock_fd = fd;
    return 0;
}

int persist_open(const struct persist_config *cfg, struct store *store, struct persist **out,
                 char *err, size_t errlen)
{
    struct persist *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        snprintf(err, errlen, "persist: out of memory");
        return -1;
    }
    p->cfg = *cfg;
    p->store = store;
    p->lock_fd = -1;
    snprintf(p->dir, sizeof(p->dir), "%s", cfg->dir);
    p->cfg.dir = p->dir;
    char why[3800];
    if (lock_dir(p, err, errlen) != 0)
        goto fail;
    if (tailring_salvage(p->dir, &p->salvaged, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "persist: %s", why);
        goto fail;
    }
    if (recover_dir(p->dir, store, cfg->keep_prefix, &p->recovered, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "persist: %s", why);
        goto fail;
    }
    uint64_t max_record = REC_HEAD + REC_BODY_FIXED + REC_KEY_MAX + (uint64_t)cfg->max_value;
    if (plog_open(p->dir, p->recovered.next_seq, cfg->fsync,
                  plog_ring_size(max_record, cfg->cache_bytes), cfg->on_durable, cfg->arg, &p->log,
                  why, sizeof(why)) != 0) {
        snprintf(err, errlen, "persist: %s", why);
        goto fail;
    }
    journal_set_sink(cfg->journal, JOURNAL_LOG, log_sink, p);
    if (snapshotter_start(p->dir, store, p->log, cfg->snapshot_every, &p->snap) != 0) {
        journal_set_sink(cfg->journal, JOURNAL_LOG, NULL, NULL);
        plog_close(&p->log);
        snprintf(err, errlen, "persist: cannot start the snapshot thread");
        goto fail;
    }
    *out = p;
    return 0;
fail:
    if (p->lock_fd >= 0)
        close(p->lock_fd);
    free(p);
    return -1;
}

bool persist_recovered_cleanly(const struct persist *p)
{
    return p->recovered.log_records == 0;
}

const char *persist_dir(const struct persist *p)
{
    return p->dir;
}

void persist_snapshot_request(struct persist *p)
{
    snapshotter_request(p->snap);
}

/* Bytes of all log segments in the directory; the current one at the
 * size its records make (some of them are still in the ring only). */
static uint64_t log_bytes(const struct persist *p, const struct plog_stats *ls)
{
    char current[32];
    snprintf(current, sizeof(current), "log.%016" PRIx64, ls->seq);
    uint64_t total = ls->segment_bytes;
    DIR *d = opendir(p->dir);
    if (d == NULL)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "log.", 4) != 0 || strlen(e->d_name) != 20 ||
            strcmp(e->d_name, current) == 0)
            continue;
        char path[4400];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", p->dir, e->d_name);
        if (stat(path, &st) == 0)
            total += (uint64_t)st.st_size;
    }
    closedir(d);
    return total;
}

void persist_stats(struct persist *p, persist_emit_fn emit, void *arg)
{
    static const char *const policies[] = {"no", "everysec", "always"};
    static const char *const hist[PLOG_FSYNC_BUCKETS] = {
        "fsync_usec_le_100", "fsync_usec_le_1000", "fsync_usec_le_10000",
        "fsync_usec_le_100000", "fsync_usec_gt_100000"};
    struct plog_stats ls;
    struct snapshot_stats ss;
    plog_stats(p->log, &ls);
    snapshotter_stats(p->snap, &ss);
    char v[64];
#define EMIT_U64(name, val)                                                   \
    do {                                                                      \
        snprintf(v, sizeof(v), "%" PRIu64, (uint64_t)(val));                  \
        emit(arg, name, v);                                                   \
    } while (0)
    emit(arg, "appendfsync", policies[plog_policy(p->log)]);
    emit(arg, "persist_dir", p->dir);
    snprintf(v, sizeof(v), "%016" PRIx64, ls.seq);
    emit(arg, "log_segment", v);
    EMIT_U64("log_bytes", log_bytes(p, &ls));
    EMIT_U64("records_written", ls.records);
    EMIT_U64("bytes_written", ls.bytes);
    EMIT_U64("writes", ls.writes);
    EMIT_U64("tail_waits", ls.tail_waits);
    EMIT_U64("log_segments_recycled", ls.recycled);
    EMIT_U64("fsyncs", ls.fsyncs);
    EMIT_U64("fsync_usec_total", ls.fsync_usec_total);
    for (int i = 0; i < PLOG_FSYNC_BUCKETS; i++)
        EMIT_U64(hist[i], ls.fsync_hist[i]);
    EMIT_U64("write_errors", ls.write_errors);
    emit(arg, "log_state", ls.failing ? "error" : "ok");
    emit(arg, "last_error", ls.last_errno ? strerror(ls.last_errno) : "none");
    EMIT_U64("snapshots", ss.snapshots);
    EMIT_U64("snapshot_in_progress", ss.running ? 1 : 0);
    EMIT_U64("last_snapshot_time", ss.last_time);
    EMIT_U64("last_snapshot_usec", ss.last_usec);
    EMIT_U64("last_snapshot_items", ss.last_items);
    EMIT_U64("snapshot_errors", ss.errors);
    EMIT_U64("recovered_items", p->recovered.items);
    EMIT_U64("recovery_usec", p->recovered.usec);
    EMIT_U64("torn_bytes", p->recovered.torn_bytes);
    EMIT_U64("tail_salvaged_bytes", p->salvaged);
#undef EMIT_U64
}

void persist_close(struct persist **pp, bool snapshot)
{
    struct persist *p = *pp;
    if (p == NULL)
        return;
    *pp = NULL;
    if (snapshot) {
        char err[512];
        if (snapshotter_write(p->snap, err, sizeof(err)) != 0)
            log_error("persist: the snapshot at shutdown failed: %s", err);
    }
    snapshotter_stop(&p->snap);
    journal_set_sink(p->cfg.journal, JOURNAL_LOG, NULL, NULL);
    plog_close(&p->log);
    close(p->lock_fd);
    free(p);
}
