/*
 * test_log.c: persist/log.c, the append log's writer — records from
 * several threads land in the segment in the order each thread appended
 * them, one plog_write covers every thread's records (group commit), a
 * rotation moves on to the next segment without losing or repeating a
 * record, always makes durable follow written, and a write that fails
 * (a file-size limit) keeps its records, refuses, and retries them;
 * without fsyncs for a while (everysec, no), the sync thread streams the
 * log to disk behind the writers and keeps only a window of it in the
 * page cache.
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "page_cache.h"
#include "persist/log.h"
#include "persist/logfile.h"
#include "persist/record.h"

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
    assert_int_equal(plog_open(dir, 1, PLOG_FSYNC_EVERYSEC, NULL, NULL, &l, err, sizeof(err)), 0);
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

/* One write covers what others appended before it: group commit. */
static void test_one_write_covers_all(void **state)
{
    (void)state;
    char err[256];
    struct plog *l;
    assert_int_equal(plog_open(dir, 7, PLOG_FSYNC_NO, NULL, NULL, &l, err, sizeof(err)), 0);
    struct rec r = set_rec("a", "1");
    uint64_t first = plog_append(l, &r);
    r = set_rec("b", "2");
    uint64_t second = plog_append(l, &r);
    assert_int_equal(plog_written(l), 0);
    assert_int_equal(plog_write(l, first), 0);
    assert_int_equal(plog_written(l), second); /* both went */
    struct plog_stats st;
    plog_stats(l, &st);
    assert_int_equal(st.writes, 1);
    assert_int_equal(plog_write(l, second), 0); /* nothing left to do */
    plog_stats(l, &st);
    assert_int_equal(st.writes, 1);
    plog_close(&l);
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
    assert_int_equal(plog_open(dir, seq, policy, NULL, NULL, &l, err, sizeof(err)), 0);
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
    assert_int_equal(plog_open(dir, 20, PLOG_FSYNC_ALWAYS, NULL, NULL, &l, err, sizeof(err)), 0);
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
    assert_int_equal(plog_open(dir, 30, PLOG_FSYNC_NO, NULL, NULL, &l, err, sizeof(err)), 0);
    plog_close(&l);
    assert_int_equal(plog_open(dir, 30, PLOG_FSYNC_NO, NULL, NULL, &l, err, sizeof(err)), -1);
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
    assert_int_equal(plog_open(dir, 40, PLOG_FSYNC_EVERYSEC, NULL, NULL, &l, err, sizeof(err)), 0);
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
    assert_int_equal(plog_write(l, lsn), -1);
    assert_int_equal(errno, EFBIG);
    assert_int_equal(plog_failing(l), EFBIG);
    assert_true(plog_written(l) < lsn);
    struct plog_stats st;
    plog_stats(l, &st);
    assert_true(st.failing);
    assert_true(st.write_errors >= 1);

    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0); /* room again */
    wait_until_recovered(l);
    assert_int_equal(plog_failing(l), 0);
    assert_true(plog_written(l) >= lsn); /* the retry wrote them */
    plog_close(&l);

    static struct collected c;
    memset(&c, 0, sizeof(c));
    assert_int_equal(scan_segment(40, &c), LOGFILE_CLEAN); /* no remains of the cut write */
    assert_int_equal(c.n, 10);
    for (int i = 0; i < 10; i++)
        assert_string_equal(c.keys[i], keys[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_threads_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_write_covers_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_streams_behind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_everysec_streams_behind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_refuses_existing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_failure_kept_and_retried, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
