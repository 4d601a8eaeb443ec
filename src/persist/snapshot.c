/*
 * snapshot.c: writing snapshots, in a thread of their own.
 *
 * No fork and no pause: the log moves to a new segment (plog_rotate, a
 * few milliseconds holding the log's write lock), then the store is walked
 * item by item (store_foreach holds no lock while we write) while serving
 * goes on. The walk is fuzzy — an item changed during it may be seen old
 * or new — and that is enough: every change after the rotation is in the
 * new segment, whose records carry whole items, so replaying it over the
 * snapshot gives each key its last state. Once the snapshot is on disk the
 * segments before it are dropped.
 */
#include "persist/snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "persist/itemrec.h"
#include "persist/log.h"
#include "persist/snapfile.h"
#include "store/store.h"

/* See lower_priority() and raise_if_starved(). */
#define SNAPSHOT_NICE 10
#define SNAPSHOT_IDLE_GRACE_S 30
#define SNAPSHOT_YIELD_EVERY 256 /* items: 50-100 us of encoding */

struct snapshotter {
    char dir[4096];
    struct store *store;
    struct plog *log;
    int every;

    pthread_t thread;
    pthread_mutex_t write_lock; /* one snapshot at a time */
    pthread_mutex_t lock; /* requested, stop */
    pthread_cond_t cond;
    bool requested;
    bool stop;

    _Atomic uint64_t snapshots, errors, last_items, last_usec, last_bytes;
    _Atomic int64_t last_time;
    atomic_bool last_direct; /* written with O_DIRECT (outfile.h) */
    atomic_int running;
};

struct walk {
    struct snapshotter *sn;
    struct snapfile_writer *w;
    char *err;
    size_t errlen;
    int64_t started_us;
    uint64_t visited;
    bool checked; /* raise_if_starved has decided */
    bool raised;  /* and took the thread off SCHED_IDLE */
};

static int64_t mono_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The snapshot thread runs at SCHED_IDLE: serving comes first. Nice 10
 * was not enough: the scheduler's lag accounting still hands a nice-10
 * thread slices of milliseconds ahead of a runnable worker, which waits
 * them out (p99 2.4 ms instead of 0.18 ms while a 10M-item snapshot ran on
 * the worker's core, bench/persist part d). A waking worker preempts an
 * idle-policy thread at once. The nice value of 10 is for
 * raise_if_starved below. */
static void lower_priority(void)
{
    if (setpriority(PRIO_PROCESS, (id_t)gettid(), SNAPSHOT_NICE) != 0)
        log_warn("persist: cannot lower the snapshot thread's priority: %s", strerror(errno));
    struct sched_param sp = {0};
    int rc = pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
    if (rc != 0)
        log_warn("persist: cannot run snapshots at SCHED_IDLE: %s", strerror(rc));
}

/* A server busy on every core leaves an idle-policy thread almost nothing,
 * and the log would grow (and restarts slow down) while a snapshot crawls:
 * after SNAPSHOT_IDLE_GRACE_S it goes on at nice 10, a share of the CPU. */
static void raise_if_starved(struct walk *wk)
{
    if (wk->checked || mono_usec() - wk->started_us < SNAPSHOT_IDLE_GRACE_S * 1000000LL)
        return;
    wk->checked = true;
    int policy;
    struct sched_param sp;
    if (pthread_getschedparam(pthread_self(), &policy, &sp) != 0 || policy != SCHED_IDLE)
        return; /* not the snapshot thread (a snapshot on shutdown) */
    sp.sched_priority = 0;
    int rc = pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp);
    wk->raised = rc == 0;
    if (rc != 0)
        log_warn("persist: cannot raise a starved snapshot's priority: %s", strerror(rc));
    else
        log_info("persist: a snapshot found no idle CPU for %d s: it goes on at nice %d",
                 SNAPSHOT_IDLE_GRACE_S, SNAPSHOT_NICE);
}

static int visit(const struct item *it, void *arg)
{
    struct walk *wk = arg;
    if (++wk->visited % SNAPSHOT_YIELD_EVERY == 0) {
        /* Even at SCHED_IDLE the scheduler now and then picks this thread
         * over a runnable worker (at the end of the worker's slice) and
         * lets it run a slice of milliseconds: yielding every few tens of
         * microseconds gives the core back (part d's p99 with a snapshot
         * went from 3-6x to 1-1.5x the p99 without; costs nothing when
         * nobody else wants the core). */
        if (!wk->raised)
            sched_yield();
        if (wk->visited % (SNAPSHOT_YIELD_EVERY * 16) == 0)
            raise_if_starved(wk);
    }
    struct rec r;
    int64_t now = itemrec_now_unix();
    itemrec_of(wk->sn->store, it, now, &r);
    if (r.exptime != 0 && r.exptime <= now)
        return 0; /* expired meanwhile: not worth a record */
    return snapfile_add(wk->w, &r, wk->err, wk->errlen) != 0 ? -1 : 0;
}

/* Remove snapshots older than seq and retire such segments (all superseded). */
static void drop_before(const char *dir, uint64_t seq)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        uint64_t n;
        if (!itemrec_parse_name(e->d_name, "log", &n) && !itemrec_parse_name(e->d_name, "snapshot", &n))
            continue;
        if (n >= seq)
            continue;
        if (e->d_name[0] == 'l') { /* log.<n> */
            plog_retire_segment(dir, n);
            continue;
        }
        char path[4400];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (unlink(path) != 0)
            log_warn("persist: cannot remove %s: %s", path, strerror(errno));
    }
    closedir(d);
}

int snapshotter_write(struct snapshotter *sn, char *err, size_t errlen)
{
    pthread_mutex_lock(&sn->write_lock);
    int64_t t0 = mono_usec();
    atomic_store(&sn->running, 1);
    uint64_t seq;
    int rc = -1;
    if (plog_rotate(sn->log, &seq, err, errlen) != 0)
        goto out;
    /* After the rotation: every cas handed out before it is at most this;
     * later ones are in the new segment. */
    uint32_t flush_at = store_flush_pending(sn->store);
    struct snapfile_meta meta = {.log_seq = seq,
                                 .created = itemrec_now_unix(),
                                 .cas_high = store_cas_high(sn->store),
                                 .flush_at = itemrec_exptime_unix(flush_at)};
    char path[4400];
    itemrec_path(sn->dir, "snapshot", seq, path, sizeof(path));
    struct walk wk = {.sn = sn, .err = err, .errlen = errlen, .started_us = t0};
    if (snapfile_create(path, &meta, &wk.w, err, errlen) != 0)
        goto out;
    int walked = store_foreach(sn->store, visit, &wk);
    if (wk.raised)
        lower_priority(); /* the next snapshot waits for idle CPU again */
    if (walked != 0) {
        snapfile_abort(&wk.w);
        goto out;
    }
    uint64_t items = snapfile_items(wk.w), bytes = snapfile_bytes(wk.w);
    bool direct = snapfile_direct(wk.w);
    if (snapfile_commit(&wk.w, err, errlen) != 0)
        goto out;
    drop_before(sn->dir, seq);
    atomic_store(&sn->last_items, items);
    atomic_store(&sn->last_bytes, bytes);
    atomic_store(&sn->last_direct, direct);
    atomic_store(&sn->last_time, (int64_t)time(NULL));
    atomic_fetch_add(&sn->snapshots, 1);
    rc = 0;
out:
    atomic_store(&sn->last_usec, (uint64_t)(mono_usec() - t0));
    if (rc != 0)
        atomic_fetch_add(&sn->errors, 1);
    atomic_store(&sn->running, 0);
    pthread_mutex_unlock(&sn->write_lock);
    return rc;
}

/* Should the log's growth start a snapshot? */
static bool log_grown(struct snapshotter *sn)
{
    struct plog_stats ls;
    plog_stats(sn->log, &ls);
    uint64_t last = atomic_load(&sn->last_bytes);
    return ls.segment_bytes > SNAPSHOT_AUTO_MIN_BYTES &&
           ls.segment_bytes > SNAPSHOT_AUTO_FACTOR * last;
}

static void *snapshot_main(void *arg)
{
    struct snapshotter *sn = arg;
    lower_priority();
    time_t last = time(NULL);
    pthread_mutex_lock(&sn->lock);
    while (!sn->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        if (!sn->requested)
            pthread_cond_timedwait(&sn->cond, &sn->lock, &until);
        if (sn->stop)
            break;
        bool timed = sn->every > 0 && time(NULL) - last >= sn->every;
        bool due = sn->requested || timed;
        sn->requested = false;
        pthread_mutex_unlock(&sn->lock);
        if (due || log_grown(sn)) {
            char err[512];
            if (snapshotter_write(sn, err, sizeof(err)) != 0)
                log_error("persist: snapshot failed: %s", err);
            else
                log_info("persist: snapshot of %" PRIu64 " items in %" PRIu64 " us (%s)",
                         (uint64_t)atomic_load(&sn->last_items),
                         (uint64_t)atomic_load(&sn->last_usec),
                         atomic_load(&sn->last_direct) ? "O_DIRECT" : "through the page cache");
            last = time(NULL);
        }
        pthread_mutex_lock(&sn->lock);
    }
    pthread_mutex_unlock(&sn->lock);
    return NULL;
}

int snapshotter_start(const char *dir, struct store *store, struct plog *log, int every,
                      struct snapshotter **out)
{
    struct snapshotter *sn = calloc(1, sizeof(*sn));
    if (sn == NULL)
        return -1;
    snprintf(sn->dir, sizeof(sn->dir), "%s", dir);
    sn->store = store;
    sn->log = log;
    sn->every = every;
    pthread_mutex_init(&sn->write_lock, NULL);
    pthread_mutex_init(&sn->lock, NULL);
    pthread_cond_init(&sn->cond, NULL);
    if (pthread_create(&sn->thread, NULL, snapshot_main, sn) != 0) {
        pthread_mutex_destroy(&sn->write_lock);
        pthread_mutex_destroy(&sn->lock);
        pthread_cond_destroy(&sn->cond);
        free(sn);
        return -1;
    }
    *out = sn;
    return 0;
}

void snapshotter_request(struct snapshotter *sn)
{
    pthread_mutex_lock(&sn->lock);
    sn->requested = true;
    pthread_cond_signal(&sn->cond);
    pthread_mutex_unlock(&sn->lock);
}

void snapshotter_stats(struct snapshotter *sn, struct snapshot_stats *out)
{
    out->snapshots = atomic_load(&sn->snapshots);
    out->errors = atomic_load(&sn->errors);
    out->last_items = atomic_load(&sn->last_items);
    out->last_usec = atomic_load(&sn->last_usec);
    out->last_bytes = atomic_load(&sn->last_bytes);
    out->last_time = atomic_load(&sn->last_time);
    out->running = atomic_load(&sn->running);
}

void snapshotter_stop(struct snapshotter **snp)
{
    struct snapshotter *sn = *snp;
    if (sn == NULL)
        return;
    *snp = NULL;
    pthread_mutex_lock(&sn->lock);
    sn->stop = true;
    pthread_cond_signal(&sn->cond);
    pthread_mutex_unlock(&sn->lock);
    pthread_join(sn->thread, NULL);
    pthread_mutex_destroy(&sn->write_lock);
    pthread_mutex_destroy(&sn->lock);
    pthread_cond_destroy(&sn->cond);
    free(sn);
}
