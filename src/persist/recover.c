/*
 * recover.c: putting the store back from the directory at start.
 *
 *   newest snapshot.<S>  (its items, and a delayed flush_all pending then)
 *   log.<S>, log.<S+1>, ... in order, each record applied as the store
 *   made it (records carry whole items, so replaying is idempotent)
 *
 * Expired items are not loaded. A flush_all is applied where the log says
 * it took effect: an immediate one at its record, a delayed one at the
 * record the store wrote when its time came (a FLUSH "at once", see
 * store.h's hook). A delayed one with no such record never took effect
 * while the server ran: at the end of the replay it is applied if its time
 * has passed (everything loaded was stored before it), else left pending
 * in the store, as memcached would have it. A torn tail — the last
 * record of a segment cut short — is cut off and reported. Anything else
 * that fails its checks stops the start, naming the file and offset,
 * unless keep_prefix: then what came before it is kept, and the damaged
 * file and the segments after it are set aside as *.damaged.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "persist/apply.h"
#include "persist/itemrec.h"
#include "persist/logfile.h"
#include "persist/recover.h"
#include "persist/snapfile.h"
#include "store/store.h"

/* What recovery knows of where it works. */
struct place {
    const char *dir;
    struct store *store;
    bool keep_prefix;
    uint64_t torn_bytes;
    uint64_t log_records;
};

/* The replay: records applied in order (persist/apply.h). */
struct replay {
    struct place *p;
    struct rec_apply a;
};

static int apply(void *arg, const struct rec *r, uint64_t offset)
{
    (void)offset;
    struct replay *rp = arg;
    rec_apply(&rp->a, r);
    return 0;
}

struct listing {
    uint64_t *logs;
    size_t nlogs;
    uint64_t snap; /* newest snapshot's seq, 0: none */
    bool has_snap;
};

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* List the directory; leftover temporary files of an interrupted snapshot go. */
static int list_dir(struct place *p, struct listing *ls, char *err, size_t errlen)
{
    DIR *d = opendir(p->dir);
    if (d == NULL) {
        snprintf(err, errlen, "cannot read %s: %s", p->dir, strerror(errno));
        return -1;
    }
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        uint64_t seq;
        size_t n = strlen(e->d_name);
        if (n > 4 && strcmp(e->d_name + n - 4, ".tmp") == 0 && strncmp(e->d_name, "snapshot.", 9) == 0) {
            char path[4400];
            snprintf(path, sizeof(path), "%s/%s", p->dir, e->d_name);
            unlink(path);
        } else if (itemrec_parse_name(e->d_name, "snapshot", &seq)) {
            if (!ls->has_snap || seq > ls->snap)
                ls->snap = seq;
            ls->has_snap = true;
        } else if (itemrec_parse_name(e->d_name, "log", &seq)) {
            if (ls->nlogs == cap) {
                cap = cap ? cap * 2 : 16;
                uint64_t *a = realloc(ls->logs, cap * sizeof(*a));
                if (a == NULL) {
                    closedir(d);
                    snprintf(err, errlen, "out of memory");
                    return -1;
                }
                ls->logs = a;
            }
            ls->logs[ls->nlogs++] = seq;
        }
    }
    closedir(d);
    if (ls->nlogs > 1) /* logs is NULL when there are none: qsort(NULL, 0) is undefined */
        qsort(ls->logs, ls->nlogs, sizeof(*ls->logs), cmp_u64);
    return 0;
}

/* Set a damaged file aside under path.damaged. */
static void set_aside(const char *path)
{
    char to[4500];
    snprintf(to, sizeof(to), "%s.damaged", path);
    if (rename(path, to) != 0)
        log_error("persist: cannot rename %s: %s", path, strerror(errno));
    else
        fprintf(stderr, "mnemod: persist: %s set aside as %s\n", path, to);
}

static int load_snapshot(struct place *p, struct replay *rp, uint64_t seq, char *err,
                         size_t errlen)
{
    char path[4400];
    itemrec_path(p->dir, "snapshot", seq, path, sizeof(path));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    struct snapfile_read res;
    memset(&res, 0, sizeof(res));
    snapfile_read_fd(fd, apply, rp, &res);
    rec_apply_drain(&rp->a);
    close(fd);
    rp->a.pending_flush = res.meta.flush_at; /* pending when the snapshot began */
    if (res.meta.cas_high > rp->a.max_cas)
        rp->a.max_cas = res.meta.cas_high;
    if (res.status == SNAPFILE_OK)
        return 0;
    if (res.status == SNAPFILE_IO_ERROR) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    const char *what = res.status == SNAPFILE_INCOMPLETE ? "incomplete (ends early)" : "damaged";
    if (!p->keep_prefix) {
        snprintf(err, errlen,
                 "%s: snapshot %s at offset %" PRIu64 "; refusing to start "
                 "(-o persist_keep_prefix loads the %" PRIu64 " items before it)",
                 path, what, res.bad_offset, res.items);
        return -1;
    }
    fprintf(stderr,
            "mnemod: persist: %s: snapshot %s at offset %" PRIu64 "; kept the %" PRIu64
            " items before it (persist_keep_prefix)\n",
            path, what, res.bad_offset, res.items);
    return 0;
}

/* Replay one segment. 0: go on; 1: stop here (damage kept as a prefix);
 * -1: refuse (err). */
static int replay_segment(struct place *p, struct replay *rp, uint64_t seq, char *err,
                          size_t errlen)
{
    char path[4400];
    itemrec_path(p->dir, "log", seq, path, sizeof(path));
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    struct logfile_scan sc;
    int rc = logfile_scan_fd(fd, apply, rp, &sc);
    p->log_records += sc.records;
    rec_apply_drain(&rp->a);
    if (rc < 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (sc.end == LOGFILE_DAMAGED && sc.valid_end >= LOGFILE_HEADER &&
        logfile_zero_tail(fd, sc.valid_end, sc.file_size))
        sc.end = LOGFILE_TORN;
    if (sc.end == LOGFILE_TORN) {
        uint64_t cut = sc.file_size - sc.valid_end;
        if (sc.valid_end < LOGFILE_HEADER) {
            /* Cut short while being created: it holds no record. */
            close(fd);
            unlink(path);
        } else {
            if (ftruncate(fd, (off_t)sc.valid_end) != 0 || fdatasync(fd) != 0) {
                snprintf(err, errlen, "cannot cut the torn tail of %s: %s", path, strerror(errno));
                close(fd);
                return -1;
            }
            close(fd);
        }
        p->torn_bytes += cut;
        fprintf(stderr, "mnemod: persist: %s: torn tail at offset %" PRIu64 " (%" PRIu64
                " bytes) cut off\n", path, sc.valid_end, cut);
        return 0;
    }
    /* blocks allocated ahead (log.c) by a writer killed before it closed
     * the segment go; if they cannot, they go with the segment */
    if (sc.end == LOGFILE_CLEAN && ftruncate(fd, (off_t)sc.file_size) != 0)
        fprintf(stderr, "mnemod: persist: %s: cannot give back the space past its end: %s\n",
                path, strerror(errno));
    close(fd);
    if (sc.end == LOGFILE_CLEAN)
        return 0;
    if (!p->keep_prefix) {
        snprintf(err, errlen,
                 "%s: damaged %s at offset %" PRIu64 "; refusing to start "
                 "(-o persist_keep_prefix keeps the %" PRIu64 " records before it)",
                 path, sc.valid_end == 0 ? "header" : "record", sc.valid_end, sc.records);
        return -1;
    }
    fprintf(stderr,
            "mnemod: persist: %s: damaged %s at offset %" PRIu64 "; kept the %" PRIu64
            " records before it (persist_keep_prefix)\n",
            path, sc.valid_end == 0 ? "header" : "record", sc.valid_end, sc.records);
    return 1;
}

/* About how many items recovery will restore: the snapshot's count (its
 * trailer says) and the log's size over the snapshot's bytes per item.
 * The store sizes its index for them at once instead of growing it step
 * by step under the load (most of a large recovery's time otherwise). */
static uint64_t expected_items(const struct place *p, const struct listing *ls)
{
    uint64_t items = 0, per_item = 64, log_bytes = 0;
    char path[4400];
    struct stat st;
    if (ls->has_snap) {
        itemrec_path(p->dir, "snapshot", ls->snap, path, sizeof(path));
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            if (snapfile_peek_items(fd, &items) == 0 && items > 0 && fstat(fd, &st) == 0 &&
                (uint64_t)st.st_size / items > REC_HEAD + REC_BODY_FIXED)
                per_item = (uint64_t)st.st_size / items;
            close(fd);
        }
    }
    for (size_t i = 0; i < ls->nlogs; i++) {
        itemrec_path(p->dir, "log", ls->logs[i], path, sizeof(path));
        if ((!ls->has_snap || ls->logs[i] >= ls->snap) && stat(path, &st) == 0)
            log_bytes += (uint64_t)st.st_size;
    }
    return items + log_bytes / per_item;
}

int recover_dir(const char *dir, struct store *store, bool keep_prefix, struct recover_result *out,
                char *err, size_t errlen)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct place place = {.dir = dir, .store = store, .keep_prefix = keep_prefix};
    struct place *p = &place;
    struct listing ls = {0};
    /* Wall time, not the server clock: a fresh process's clock lags the
     * wall by up to a second (it counts whole seconds from its start), and
     * a flush_all clients saw take effect must be due here too. */
    struct replay rp = {.p = p};
    rec_apply_init(&rp.a, store, (int64_t)time(NULL));
    memset(out, 0, sizeof(*out));
    int rc = -1;
    if (list_dir(p, &ls, err, errlen) != 0)
        goto out;
    store_expect_items(store, expected_items(p, &ls));
    uint64_t from = 0, last = 0;
    if (ls.has_snap) {
        if (load_snapshot(p, &rp, ls.snap, err, errlen) != 0)
            goto out;
        from = ls.snap;
        last = ls.snap;
    }
    bool stopped = false;
    bool first = true;
    uint64_t expect = from;
    for (size_t i = 0; i < ls.nlogs; i++) {
        char path[4400];
        uint64_t seq = ls.logs[i];
        itemrec_path(p->dir, "log", seq, path, sizeof(path));
        if (seq < from) {
            unlink(path); /* superseded by the snapshot; its removal was cut short */
            continue;
        }
        if (stopped) {
            set_aside(path);
            continue;
        }
        /* Segments follow each other (from the snapshot's on): a missing
         * one is lost records. */
        bool gap = (ls.has_snap || !first) && seq != expect;
        first = false;
        expect = seq + 1;
        if (gap) {
            if (!p->keep_prefix) {
                snprintf(err, errlen, "%s: the log segment before it is missing; refusing to start "
                         "(-o persist_keep_prefix keeps what comes before the gap)", path);
                goto out;
            }
            fprintf(stderr, "mnemod: persist: %s: the segment before it is missing; kept what came "
                    "before (persist_keep_prefix)\n", path);
            stopped = true;
            set_aside(path);
            continue;
        }
        int r = replay_segment(p, &rp, seq, err, errlen);
        if (r < 0)
            goto out;
        if (r > 0) {
            stopped = true;
            set_aside(path);
        }
        if (seq > last)
            last = seq;
    }
    if (rp.a.pending_flush != 0)
        store_flush(p->store, rp.a.pending_flush <= rp.a.now ? 0
                                                          : itemrec_exptime_clock(rp.a.pending_flush));
    store_raise_cas(p->store, rp.a.max_cas);
    out->next_seq = last + 1;
    struct store_stats st;
    store_stats(p->store, &st);
    out->items = st.curr_items;
    out->torn_bytes = p->torn_bytes;
    out->log_records = p->log_records;
    if (rp.a.skipped > 0)
        fprintf(stderr, "mnemod: persist: %" PRIu64 " items did not fit (-m/-I) and were not "
                "loaded\n", rp.a.skipped);
    rc = 0;
out:
    free(ls.logs);
    rec_apply_free(&rp.a);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    out->usec = (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000);
    return rc;
}
