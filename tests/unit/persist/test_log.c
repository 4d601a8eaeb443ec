/*
 * test_log.c: persist/log.c, the append log's writer — records from
 * several threads land in the segment in the order each thread appended
 * them; a record stored in the ring counts as written at once and
 * outlives a kill -9 (tailring_salvage puts it in its segment: after a
 * rotation too, and after the ring wrapped around several times, taking
 * nothing past the last record); a rotation moves on to the next segment
 * without losing or repeating a record, always makes durable follow
 * written, and a write that fails (a file-size limit) keeps its records,
 * refuses, and retries them; the log leaves the page cache as it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "page_cache.h"
#include "persist/log.h"
#include "persist/logfile.h"
#include "persist/record.h"
#include "persist/tailring.h"

#define MAX_RECORD 8192u

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/mnemo-test-log-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static struct rec set_rec(const char *key, const char *value)
{
    struct rec r = {.type = REC_SET, .key = key, .nkey = (uint8_t)strlen(key), .value = value,
                    .vlen = (uint32_t)strlen(value), .cas = 1};
    return r;
}

/* Every record of segment seq, as "key=value" lines appended to out. */
struct collected {
    char keys[4096][16];
    int n;
};

static int collect(void *arg, const struct rec *r, uint64_t offset)
{
    (void)offset;
    struct collected *c = arg;
    assert_true(c->n < 4096);
    assert_true(r->nkey < sizeof(c->keys[0]));
    memcpy(c->keys[c->n], r->key, r->nkey);
    c->keys[c->n][r->nkey] = '\0';
    c->n++;
    return 0;
}

static enum logfile_end scan_segment(uint64_t seq, struct collected *c)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/log.%016llx", dir, (unsigned long long)seq);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    struct logfile_scan sc;
    assert_int_equal(logfile_scan_fd(fd, collect, c, &sc), 0);
    close(fd);
    assert_int_equal(sc.seq, seq);
    return sc.end;
}

/* ---- group commit from several threads ---- */

#define THREADS 4
#define PER_THREAD 500

struct appender {
    struct plog *l;
    int id;
    uint64_t last;
};

static void *append_some(void *arg)
{
    struct appender *a = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        char key[16];
        snprintf(key, sizeof(key), "t%d:%d", a->id, i);
        struct rec r = set_rec(key, "v");
        uint64_t lsn = plog_append(a->l, &r);
        assert_true(lsn > a->last); /* LSNs grow */
        a->last = lsn;
        if (i % 50 == 49)
            assert_int_equal(plog_write(a->l, lsn), 0);
    }
    assert_int_equal(plog_write(a->l, a->last), 0);
    return NULL;
}

static void test_threads_in_order(void **state)
{
    (void)state;
    char err[256];
    struct plog *l;
    assert_int_equal(plog_open(dir, 1, PLOG_FSYNC_EVERYSEC, plog_ring_size(MAX_RECORD, 0), NULL, NULL, &l, err, sizeof(err)), 0);
    pthread_t t[THREADS];
    struct appender a[THREADS];
    for (int i = 0; i < THREADS; i++) {
        a[i] = (struct appender){.l = l, .id = i};
        assert_int_equal(pthread_create(&t[i], NULL, append_some, &a[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < THREADS; i++)
        assert_true(plog_written(l) >= a[i].last);
    struct plog_stats st;
    plog_stats(l, &st);
    assert_int_equal(st.records, THREADS * PER_THREAD);
    plog_close(&l);

    static struct collected c;
    memset(&c, 0, sizeof(c));
    assert_int_equal(scan_segment(1, &c), LOGFILE_CLEAN);
    assert_int_equal(c.n, THREADS * PER_THREAD);
    int next[THREADS] = {0};
    for (int i = 0; i < c.n; i++) {
        int id, k;
        assert_int_equal(sscanf(c.keys[i], "t%d:%d", &id, &k), 2);
        assert_int_equal(k, next[id]); /* each thread's records in its order */
        next[id]++;
    }
}

/* Where the ring of dir is: true and its path, if there is one. */
static bool ring_path(char *path, size_t cap)
{
    struct stat st, d;
    assert_int_equal(stat(dir, &d), 0);
    snprintf(path, cap, "/dev/shm/mnemo-tail-%llx-%llx", (unsigned long long)d.st_dev,
             (unsigned long long)d.st_ino);
    if (stat(path, &st) == 0)
        return true;
    snprintf(path, cap, "%s/tail.ring", dir);
    return stat(path, &st) == 0;
}

static bool ring_exists(void)
{
    char path[512];
    return ring_path(path, sizeof(path));
}

/* A record stored in the ring is written: no write() waits for it. */
static void test_appended_is_written(void **state)
{
    (void)state;
    char err[256];
    struct plog *l;
    assert_int_equal(plog_open(dir, 7, PLOG_FSYNC_NO, plog_ring_size(MAX_RECORD, 0), NULL, NULL, &l, err, sizeof(err)), 0);
    assert_true(ring_exists());
    struct rec r = set_rec("a", "1");
    uint64_t first = plog_append(l, &r);
    r = set_rec("b", "2");
    uint64_t second = plog_append(l, &r);
    assert_true(second > first);
    assert_int_equal(plog_written(l), second);
    assert_int_equal(plog_write(l, second), 0);
    plog_close(&l);
    assert_false(ring_exists()); /* all of it went to the segment */
    static struct collected c;
    memset(&c, 0, sizeof(c));
    assert_int_equal(scan_segment(7, &c), LOGFILE_CLEAN);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.keys[0], "a");
    assert_string_equal(c.keys[1], "b");
}

/* ---- what a kill -9 leaves ---- */

/* Wait for a child that must die by its own SIGKILL; an exit instead
 * names the step that failed (its exit code). */
static void reap_killed(pid_t pid)
{
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFEXITED(status))
        fail_msg("the child exited with %d before its kill -9", WEXITSTATUS(status));
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
}

/* In a child: open segment 50 (policy), append `records` records k0, k1,
 * ... of value_len bytes, rotate after `rotate_after` of them (0: never),
 * and die by SIGKILL without closing anything. */
static void append_and_die(enum plog_fsync policy, int records, size_t value_len,
                           int rotate_after)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char err[256];
        struct plog *l;
        if (plog_open(dir, 50, policy, plog_ring_size(MAX_RECORD, 0), NULL, NULL, &l, err, sizeof(err)) != 0)
            _exit(2);
        char *value = malloc(value_len + 1);
        memset(value, 'v', value_len);
        value[value_len] = '\0';
        for (int i = 0; i < records; i++) {
            char key[16];
            snprintf(key, sizeof(key), "k%07d", i);
            struct rec r = set_rec(key, value);
            if (plog_append(l, &r) == 0)
                _exit(3);
            uint64_t seq;
            if (i + 1 == rotate_after && plog_rotate(l, &seq, err, sizeof(err)) != 0)
                _exit(4);
        }
        raise(SIGKILL);
        _exit(5);
    }
    reap_killed(pid);
}

/* tailring_salvage on dir, which must succeed: the bytes it appended. */
static uint64_t salvage(void)
{
    uint64_t salvaged;
    char err[256];
    assert_int_equal(tailring_salvage(dir, &salvaged, err, sizeof(err)), 0);
    return salvaged;
}

/* Records k<from>, k<from+1>, ... (7 digits) in this order. */
struct in_order {
    int next;
};

static int keys_in_order(void *arg, const struct rec *r, uint64_t offset)
{
    (void)offset;
    struct in_order *o = arg;
    char key[16];
    int len = snprintf(key, sizeof(key), "k%07d", o->next);
    assert_int_equal(r->nkey, len);
    assert_memory_equal(r->key, key, (size_t)len);
    o->next++;
    return 0;
}

/* Segment seq holds k<from>.. k<to - 1>, nothing else, and ends clean. */
static void assert_segment_holds(uint64_t seq, int from, int to)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/log.%016llx", dir, (unsigned long long)seq);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    struct logfile_scan sc;
    struct in_order o = {.next = from};
    assert_int_equal(logfile_scan_fd(fd, keys_in_order, &o, &sc), 0);
    close(fd);
    assert_int_equal(sc.end, LOGFILE_CLEAN);
    assert_int_equal(o.next, to);
}

static void test_ring_outlives_a_kill(void **state)
{
    (void)state;
    append_and_die(PLOG_FSYNC_EVERYSEC, 3000, 100, 0);
    assert_true(ring_exists());
    uint64_t salvaged = salvage();
    assert_true(salvaged > 0); /* less than FLUSH_MIN: the sync thread had not written it */
    assert_false(ring_exists());
    assert_segment_holds(50, 0, 3000);
    /* a second salvage finds nothing to do */
    assert_int_equal(salvage(), 0);
    assert_segment_holds(50, 0, 3000);
}

/* 80 MB through a 16 MB ring in records of 4096 bytes (8-byte keys, 4048-
 * byte values): every slot holds the start of a record of each lap, so the
 * one past the last record holds a valid record of the lap before; the
 * salvage stops at the end mark in front of it. */
static void test_wrapped_ring_salvage_stops_at_the_end(void **state)
{
    (void)state;
    append_and_die(PLOG_FSYNC_NO, 20000, 4096 - REC_HEAD - REC_BODY_FIXED - 8, 0);
    (void)salvage();
    assert_segment_holds(50, 0, 20000);
}

/* The same with records that straddle blocks (4048 bytes): each direct
 * write begins at the block of the last one's end and takes that block
 * from the ring again, so the writers must stay out of it (a build that
 * let them in put a later lap's bytes into a record on disk). */
static void test_wrapped_ring_records_across_blocks(void **state)
{
    (void)state;
    append_and_die(PLOG_FSYNC_NO, 20000, 4000, 0);
    (void)salvage();
    assert_segment_holds(50, 0, 20000);
}

/* A kill after a rotation: the new segment's records come from the ring
 * at its own base; the old one was finished by the rotation. */
static void test_salvage_after_rotation(void **state)
{
    (void)state;
    append_and_die(PLOG_FSYNC_EVERYSEC, 500, 100, 200);
    uint64_t salvaged = salvage();
    assert_true(salvaged > 0);
    assert_segment_holds(50, 0, 200);
    assert_segment_holds(51, 200, 500);
}

/* The ring names its segment's file by inode: a segment copied back (a
 * backup restored, a directory made again) does not get its tail. */
static void test_salvage_only_into_its_own_file(void **state)
{
    (void)state;
    append_and_die(PLOG_FSYNC_EVERYSEC, 300, 100, 0);
    char path[512], copy[600];
    snprintf(path, sizeof(path), "%s/log.%016llx", dir, 50ull);
    snprintf(copy, sizeof(copy), "%s.copy", path);
    char cmd[2600];
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && mv '%s' '%s'", path, copy, copy, path);
    assert_int_equal(system(cmd), 0);
    struct stat before;
    assert_int_equal(stat(path, &before), 0);
    uint64_t salvaged = salvage();
    assert_int_equal(salvaged, 0);
    struct stat after;
    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(after.st_size, before.st_size);
    assert_false(ring_exists());
}

/* A ring whose head (both state slots) is damaged gives nothing. */
static void test_damaged_ring_head_is_not_used(void **state)
{
    (void)state;
    append_and_die(PLOG_FSYNC_EVERYSEC, 300, 100, 0);
    char path[512];
    assert_true(ring_path(path, sizeof(path)));
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    char junk[256];
    memset(junk, 0x5a, sizeof(junk));
    assert_int_equal(pwrite(fd, junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
    close(fd);
    uint64_t salvaged = salvage();
    assert_int_equal(salvaged, 0);
    assert_false(ring_exists());
}

/* /dev/shm is everyone's: a ring another user owns (planted under the
 * name mnemod would look for) is not read. */
static void test_ring_of_another_user_is_not_used(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip(); /* giving a file away takes root */
    append_and_die(PLOG_FSYNC_EVERYSEC, 300, 100, 0);
    char path[512];
    assert_true(ring_path(path, sizeof(path)));
    assert_int_equal(chown(path, 65534, 65534), 0);
    uint64_t salvaged = salvage();
    assert_int_equal(salvaged, 0);
    assert_true(ring_exists()); /* not ours to remove either */
    assert_int_equal(unlink(path), 0);
}

/* ---- streaming between fsyncs ---- */

#define STREAM_RECORDS 10000 /* of 4000-byte values: 40 MB */

/* Records s0, s1, ... in this order. */
static int count_in_order(void *arg, const struct rec *r, uint64_t offset)
{
    (void)offset;
    int *n = arg;
    char key[16];
    int len = snprintf(key, sizeof(key), "s%d", *n);
    assert_int_equal(r->nkey, len);
    assert_memory_equal(r->key, key, (size_t)len);
    (*n)++;
    return 0;
}

/* Write STREAM_RECORDS under policy; then the segment must come down to
 * about two streaming steps of the page cache: wait for the sync thread to
 * do it (it is woken by the writes, so it acts at once; the bound only
 * ends a run where it never does, as before streaming, when "no" kept the
 * whole log cached). Every record is still in the segment. */
static void streams_behind(enum plog_fsync policy, uint64_t seq)
{
    if (on_tmpfs(dir))
        skip();
    char err[256];
    struct plog *l;
    assert_int_equal(plog_open(dir, seq, policy, plog_ring_size(MAX_RECORD, 0), NULL, NULL, &l, err, sizeof(err)), 0);
    static char value[4001];
    memset(value, 'v', sizeof(value) - 1);
    uint64_t lsn = 0;
    for (int i = 0; i < STREAM_RECORDS; i++) {
        char key[16];
        snprintf(key, sizeof(key), "s%d", i);
        struct rec r = set_rec(key, value);
        lsn = plog_append(l, &r);
        if (i % 16 == 15)
            assert_int_equal(plog_write(l, lsn), 0);
    }
    assert_int_equal(plog_write(l, lsn), 0);

    char path[512];
    snprintf(path, sizeof(path), "%s/log.%016llx", dir, (unsigned long long)seq);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    struct plog_stats st;
    plog_stats(l, &st);
    assert_true(st.segment_bytes > 8 * (uint64_t)PLOG_STREAM_STEP);
    uint64_t bound = 2 * (uint64_t)PLOG_STREAM_STEP + (1u << 20);
    uint64_t cached = resident(fd, st.segment_bytes);
    for (int i = 0; i < 1000 && cached > bound; i++) {
        struct timespec ms10 = {0, 10 * 1000 * 1000};
        nanosleep(&ms10, NULL);
        cached = resident(fd, st.segment_bytes);
    }
    if (cached > bound)
        fail_msg("%llu bytes of a %llu-byte segment still cached", (unsigned long long)cached,
                 (unsigned long long)st.segment_bytes);
    close(fd);
    plog_close(&l);

    fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    struct logfile_scan sc;
    int n = 0;
    assert_int_equal(logfile_scan_fd(fd, count_in_order, &n, &sc), 0);
    close(fd);
    assert_int_equal(sc.end, LOGFILE_CLEAN);
    assert_int_equal(n, STREAM_RECORDS);
}

static void test_no_streams_behind(void **state)
{
    (void)state;
    streams_behind(PLOG_FSYNC_NO, 11);
}

/* everysec drops the log after each fsync too, so this one shows only that
 * streaming between fsyncs keeps every record in order; "no" above shows
 * the streaming itself. */
static void test_everysec_streams_behind(void **state)
{
    (void)state;
    streams_behind(PLOG_FSYNC_EVERYSEC, 12);
}

/* ---- rotation ---- */

static void test_rotate(void **state)
{
    (void)state;
    char err[256];
    struct plog *l;
    assert_int_equal(plog_open(dir, 20, PLOG_FSYNC_ALWAYS, plog_ring_size(MAX_RECORD, 0), NULL, NULL, &l, err, sizeof(err)), 0);
    struct rec r = set_rec("before", "x");
    uint64_t lsn = plog_append(l, &r); /* appended, not yet written */
    uint64_t seq = 0;
    assert_int_equal(plog_rotate(l, &seq, err, sizeof(err)), 0);
    assert_int_equal(seq, 21);
    assert_true(plog_durable(l) >= lsn); /* the old segment is on disk */
    r = set_rec("after", "y");
    lsn = plog_append(l, &r);
    assert_int_equal(plog_write(l, lsn), 0);
    assert_int_equal(plog_wait_durable(l, lsn), 0); /* always: the sync thread follows */
    plog_close(&l);

    static struct collected c;
    memset(&c, 0, sizeof(c));
    assert_int_equal(scan_segment(20, &c), LOGFILE_CLEAN);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.keys[0], "before");
    memset(&c, 0, sizeof(c));
    assert_int_equal(scan_segment(21, &c), LOGFILE_CLEAN);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.keys[0], "after");
}

/* A segment that exists is not overwritten. */
static void test_open_refuses_existing(void **state)
{
    (void)state;
    char err[256];
    struct plog *l;
    assert_int_equal(plog_open(dir, 30, PLOG_FSYNC_NO, plog_ring_size(MAX_RECORD, 0), NULL, NULL, &l, err, sizeof(err)), 0);
    plog_close(&l);
    assert_int_equal(plog_open(dir, 30, PLOG_FSYNC_NO, plog_ring_size(MAX_RECORD, 0), NULL, NULL, &l, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "log.000000000000001e"));
}

/* ---- a write that fails, and its retry ---- */

static void wait_until_recovered(struct plog *l)
{
    for (int i = 0; i < 500 && plog_failing(l) != 0; i++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL); /* the sync thread retries every PLOG_RETRY_MS */
    }
}

static void test_write_failure_kept_and_retried(void **state)
{
    (void)state;
    char err[256];
    struct plog *l;
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(plog_open(dir, 40, PLOG_FSYNC_EVERYSEC, plog_ring_size(MAX_RECORD, 0), NULL, NULL, &l, err, sizeof(err)), 0);
    struct rlimit old, small = {.rlim_cur = 4096};
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small.rlim_max = old.rlim_max;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    char value[1000];
    memset(value, 'v', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    uint64_t lsn = 0;
    char keys[10][8];
    for (int i = 0; i < 10; i++) { /* about 10 KB: over the limit */
        snprintf(keys[i], sizeof(keys[i]), "k%d", i);
        struct rec r = set_rec(keys[i], value);
        lsn = plog_append(l, &r);
    }
    assert_int_equal(plog_write(l, lsn), 0); /* in the ring: written */
    /* the sync thread's write meets the limit (at the latest with the
     * fsync, within a second) */
    for (int i = 0; i < 500 && plog_failing(l) == 0; i++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(plog_failing(l), EFBIG);
    struct plog_stats st;
    plog_stats(l, &st);
    assert_true(st.failing);
    assert_true(st.write_errors >= 1);

    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0); /* room again */
    wait_until_recovered(l);
    assert_int_equal(plog_failing(l), 0); /* the retry wrote them, the fsync took them */
    assert_true(plog_durable(l) >= lsn);
    plog_close(&l);

    static struct collected c;
    memset(&c, 0, sizeof(c));
    assert_int_equal(scan_segment(40, &c), LOGFILE_CLEAN); /* no remains of the cut write */
    assert_int_equal(c.n, 10);
    for (int i = 0; i < 10; i++)
        assert_string_equal(c.keys[i], keys[i]);
}

/* ---- recycled segments ---- */

static bool disk_has_room(void)
{
    struct statvfs vfs;
    return statvfs(dir, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize >= (2ull << 30);
}

static bool exists(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

/* In a child: segment 50 gets 20 MB (k0..k4999), a rotation finishes it,
 * it is retired (kept for reuse), a second rotation starts segment 52 in
 * its file, which takes k5000..k5299, then SIGKILL. */
static void recycle_and_die(void)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char err[256], big[4001], small[101];
        memset(big, 'b', 4000);
        big[4000] = '\0';
        memset(small, 's', 100);
        small[100] = '\0';
        struct plog *l;
        uint64_t seq;
        if (plog_open(dir, 50, PLOG_FSYNC_EVERYSEC, plog_ring_size(MAX_RECORD, 0), NULL, NULL,
                      &l, err, sizeof(err)) != 0)
            _exit(2);
        for (int i = 0; i < 5300; i++) {
            char key[16];
            snprintf(key, sizeof(key), "k%07d", i);
            struct rec r = set_rec(key, i < 5000 ? big : small);
            if (plog_append(l, &r) == 0)
                _exit(3);
            if (i == 4999) {
                if (plog_rotate(l, &seq, err, sizeof(err)) != 0 || seq != 51)
                    _exit(4);
                plog_retire_segment(dir, 50);
                if (plog_rotate(l, &seq, err, sizeof(err)) != 0 || seq != 52)
                    _exit(5);
                struct plog_stats st;
                plog_stats(l, &st);
                if (st.recycled != 1)
                    _exit(6);
            }
        }
        raise(SIGKILL);
        _exit(7);
    }
    reap_killed(pid);
}

/* Segment 52, written over segment 50's 20 MB of records: after the kill
 * and the salvage it holds exactly its own 300 records. Past them, the
 * file either ends (the salvage appended and cut it there) or holds what
 * segment 50 left, which its salt keeps out. */
static void test_recycled_segment_after_a_kill(void **state)
{
    (void)state;
    if (!disk_has_room())
        skip(); /* log.c recycles only with 1 GB free */
    recycle_and_die();
    assert_false(exists("log.0000000000000032"));
    assert_false(exists("recycle.0000000000000032"));
    assert_true(exists("log.0000000000000034"));
    (void)salvage();
    char path[512];
    snprintf(path, sizeof(path), "%s/log.%016llx", dir, 52ull);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    struct logfile_scan sc;
    struct in_order o = {.next = 5000};
    assert_int_equal(logfile_scan_fd(fd, keys_in_order, &o, &sc), 0);
    close(fd);
    assert_int_equal(o.next, 5300);
    assert_int_equal(sc.version, LOGFILE_VERSION);
    assert_true(sc.end == LOGFILE_CLEAN || sc.end == LOGFILE_TORN);
    assert_segment_holds(51, 5000, 5000); /* the rotation's empty one */
}

/* Retiring keeps at most two files for reuse, and none too small to be
 * worth it; a clean close cuts a recycled segment to its records. */
static void test_retire_keeps_two(void **state)
{
    (void)state;
    if (!disk_has_room())
        skip();
    char err[256], big[4001];
    memset(big, 'b', 4000);
    big[4000] = '\0';
    struct plog *l;
    assert_int_equal(plog_open(dir, 1, PLOG_FSYNC_NO, plog_ring_size(MAX_RECORD, 0), NULL, NULL,
                               &l, err, sizeof(err)), 0);
    uint64_t seq;
    int k = 0;
    for (int s = 1; s <= 4; s++) { /* segments 1..4 of 20 MB */
        for (int i = 0; i < 5000; i++, k++) {
            char key[16];
            snprintf(key, sizeof(key), "k%07d", k);
            struct rec r = set_rec(key, big);
            assert_true(plog_append(l, &r) != 0);
        }
        assert_int_equal(plog_rotate(l, &seq, err, sizeof(err)), 0);
    }
    assert_int_equal(plog_rotate(l, &seq, err, sizeof(err)), 0); /* 6; 5 is empty */
    for (uint64_t s = 1; s <= 5; s++)
        plog_retire_segment(dir, s);
    assert_true(exists("recycle.0000000000000001"));
    assert_true(exists("recycle.0000000000000002"));
    assert_false(exists("log.0000000000000003") || exists("recycle.0000000000000003"));
    assert_false(exists("log.0000000000000004") || exists("recycle.0000000000000004"));
    assert_false(exists("log.0000000000000005") || exists("recycle.0000000000000005"));
    assert_int_equal(plog_rotate(l, &seq, err, sizeof(err)), 0); /* 7, in a recycled file */
    for (int i = 0; i < 10; i++, k++) {
        char key[16];
        snprintf(key, sizeof(key), "k%07d", k);
        struct rec r = set_rec(key, "v");
        assert_true(plog_append(l, &r) != 0);
    }
    struct plog_stats st;
    plog_stats(l, &st);
    assert_int_equal(st.recycled, 1);
    plog_close(&l);
    assert_segment_holds(7, 20000, 20010);
    struct stat sb;
    char path[512];
    snprintf(path, sizeof(path), "%s/log.%016llx", dir, 7ull);
    assert_int_equal(stat(path, &sb), 0);
    assert_true(sb.st_size < 8192); /* cut to its records at the close */
}

/* The tail's ring: a sixteenth of -m between 16 and 64 MB, a power of
 * two, and always room for four of the biggest records. */
static void test_ring_size(void **state)
{
    (void)state;
    assert_int_equal(plog_ring_size(MAX_RECORD, 0), PLOG_RING_MIN);
    assert_int_equal(plog_ring_size(MAX_RECORD, 64ull << 20), PLOG_RING_MIN);
    assert_int_equal(plog_ring_size(MAX_RECORD, 512ull << 20), 32u << 20);
    assert_int_equal(plog_ring_size(MAX_RECORD, 600ull << 20), 64u << 20);
    assert_int_equal(plog_ring_size(MAX_RECORD, 1024ull << 20), PLOG_RING_MAX);
    assert_int_equal(plog_ring_size(MAX_RECORD, 64ull << 30), PLOG_RING_MAX);
    assert_int_equal(plog_ring_size(5u << 20, 64ull << 20), 32u << 20);
    assert_int_equal(plog_ring_size(20u << 20, 64ull << 30), 128u << 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_size),
        cmocka_unit_test_setup_teardown(test_recycled_segment_after_a_kill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retire_keeps_two, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_appended_is_written, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ring_outlives_a_kill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrapped_ring_salvage_stops_at_the_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrapped_ring_records_across_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_salvage_after_rotation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_salvage_only_into_its_own_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_ring_head_is_not_used, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ring_of_another_user_is_not_used, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_streams_behind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_everysec_streams_behind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_refuses_existing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_failure_kept_and_retried, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
