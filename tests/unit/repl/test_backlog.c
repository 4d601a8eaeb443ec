/*
 * test_backlog.c: repl/backlog.c — offsets over a ring: records read back
 * byte for byte from any offset it still holds, across the wrap; offsets
 * overwritten or not yet written refused; a reset; a record larger than
 * the ring; a reader that waits is woken by an append and times out
 * without one; reads longer than one hold of the lock come back whole, and
 * while a writer laps the ring a reader gets its offsets' bytes or a
 * refusal, never bytes written over them.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include <cmocka.h>

#include "persist/record.h"
#include "repl/backlog.h"

static struct rec set_rec(const char *key, const char *value)
{
    struct rec r = {.type = REC_SET, .nkey = (uint8_t)strlen(key), .key = key,
                    .vlen = (uint32_t)strlen(value), .value = value, .cas = 7, .flags = 3};
    return r;
}

/* Decode every record in buf[0, n) and return how many; each must be whole. */
static int count_records(const char *buf, size_t n)
{
    int k = 0;
    size_t pos = 0;
    while (pos < n) {
        struct rec r;
        size_t used;
        assert_int_equal(rec_decode(buf + pos, n - pos, &r, &used), REC_OK);
        pos += used;
        k++;
    }
    return k;
}

static void test_records_read_back_from_their_offsets(void **state)
{
    (void)state;
    struct backlog *b = backlog_create(4096);
    assert_non_null(b);
    struct rec r1 = set_rec("alpha", "one"), r2 = set_rec("beta", "two!");
    size_t n1 = rec_size(&r1), n2 = rec_size(&r2);
    backlog_append_rec(b, &r1);
    backlog_append_rec(b, &r2);
    uint64_t start, end;
    backlog_range(b, &start, &end);
    assert_int_equal(start, 0);
    assert_int_equal(end, n1 + n2);

    char buf[4096], want[256];
    assert_int_equal(backlog_read(b, 0, buf, sizeof(buf)), n1 + n2);
    rec_encode(&r1, want);
    rec_encode(&r2, want + n1);
    assert_memory_equal(buf, want, n1 + n2);
    /* from the second record's offset: only it */
    assert_int_equal(backlog_read(b, n1, buf, sizeof(buf)), n2);
    assert_memory_equal(buf, want + n1, n2);
    /* at the end: nothing yet; beyond it: refused */
    assert_int_equal(backlog_read(b, end, buf, sizeof(buf)), 0);
    assert_int_equal(backlog_read(b, end + 1, buf, sizeof(buf)), -1);
    /* a small cap takes a prefix */
    assert_int_equal(backlog_read(b, 0, buf, 5), 5);
    assert_memory_equal(buf, want, 5);
    backlog_free(&b);
    assert_null(b);
}

static void test_wrap_and_overwrite(void **state)
{
    (void)state;
    struct backlog *b = backlog_create(1000);
    char value[100];
    memset(value, 'v', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    struct rec r = set_rec("key", value);
    size_t n = rec_size(&r);
    /* 40 records of n bytes through 1000: wraps several times */
    for (int i = 0; i < 40; i++)
        backlog_append_rec(b, &r);
    uint64_t start, end;
    backlog_range(b, &start, &end);
    assert_int_equal(end, 40 * n);
    assert_int_equal(end - start, 1000);
    assert_int_equal(backlog_size(b), 1000);
    /* what was overwritten is refused */
    char buf[1000];
    assert_int_equal(backlog_read(b, 0, buf, sizeof(buf)), -1);
    assert_int_equal(backlog_read(b, start - 1, buf, sizeof(buf)), -1);
    /* the last 5 whole records, across the wrap, decode as written */
    uint64_t from = end - 5 * n;
    assert_true(from >= start);
    assert_int_equal(backlog_read(b, from, buf, sizeof(buf)), 5 * n);
    assert_int_equal(count_records(buf, 5 * n), 5);
    char want[256];
    rec_encode(&r, want);
    for (int i = 0; i < 5; i++)
        assert_memory_equal(buf + i * n, want, n);
    backlog_free(&b);
}

/* The byte the stream holds at offset off in the two tests below. */
static char pattern(uint64_t off)
{
    return (char)(uint8_t)(off * 7 + off / 251);
}

/* Do buf[0, n) hold the stream's bytes from offset from? */
static int holds_pattern(const char *buf, size_t n, uint64_t from)
{
    for (size_t i = 0; i < n; i++) {
        if (buf[i] != pattern(from + i))
            return 0;
    }
    return 1;
}

static void append_pattern(struct backlog *b, uint64_t *end, size_t n)
{
    char chunk[3000];
    assert_true(n <= sizeof(chunk));
    for (size_t i = 0; i < n; i++)
        chunk[i] = pattern(*end + i);
    backlog_append_raw(b, chunk, n);
    *end += n;
}

static void test_a_long_read_is_whole_across_the_wrap(void **state)
{
    (void)state;
    struct backlog *b = backlog_create(100 * 1000);
    uint64_t end = 0;
    while (end < 250 * 1000) /* wraps twice */
        append_pattern(b, &end, 2999);
    uint64_t start, e;
    backlog_range(b, &start, &e);
    assert_int_equal(e, end);
    static char buf[100 * 1000];
    /* the whole ring (several of backlog.c's steps), then an odd length */
    size_t lens[] = {sizeof(buf), 40001};
    for (int k = 0; k < 2; k++) {
        memset(buf, 0, sizeof(buf));
        size_t want = lens[k] < end - start ? lens[k] : (size_t)(end - start);
        assert_int_equal(backlog_read(b, start, buf, lens[k]), (ssize_t)want);
        assert_true(holds_pattern(buf, want, start));
    }
    backlog_free(&b);
}

struct lapper {
    struct backlog *b;
    uint64_t end;
    _Atomic int done;
};

static void *lap(void *arg)
{
    struct lapper *w = arg;
    while (w->end < 16u * 1000 * 1000) /* 16 MB through a 64 KB ring */
        append_pattern(w->b, &w->end, 1000 + (size_t)(w->end % 1999));
    w->done = 1;
    return NULL;
}

static void test_a_reader_lapped_by_the_writer_never_gets_overwritten_bytes(void **state)
{
    (void)state;
    struct lapper w = {.b = backlog_create(64 * 1024)};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, lap, &w), 0);
    static char buf[48 * 1024];
    uint64_t reads = 0, refused = 0;
    while (!w.done) {
        uint64_t start, end;
        backlog_range(w.b, &start, &end);
        ssize_t n = backlog_read(w.b, start, buf, sizeof(buf));
        if (n < 0) {
            refused++;
            continue;
        }
        assert_true(holds_pattern(buf, (size_t)n, start));
        reads++;
    }
    pthread_join(t, NULL);
    /* how many of each is the scheduler's business; once the writer is
     * done, the whole ring reads back */
    (void)reads;
    (void)refused;
    uint64_t start, end;
    backlog_range(w.b, &start, &end);
    assert_int_equal(end, w.end);
    assert_int_equal(backlog_read(w.b, start, buf, sizeof(buf)), (ssize_t)sizeof(buf));
    assert_true(holds_pattern(buf, sizeof(buf), start));
    backlog_free(&w.b);
}

static void test_raw_bytes_and_reset(void **state)
{
    (void)state;
    struct backlog *b = backlog_create(64);
    backlog_append_raw(b, "0123456789", 10);
    char buf[64];
    assert_int_equal(backlog_read(b, 3, buf, sizeof(buf)), 7);
    assert_memory_equal(buf, "3456789", 7);
    backlog_reset(b, 5000);
    uint64_t start, end;
    backlog_range(b, &start, &end);
    assert_int_equal(start, 5000);
    assert_int_equal(end, 5000);
    assert_int_equal(backlog_read(b, 3, buf, sizeof(buf)), -1);
    backlog_append_raw(b, "abc", 3);
    assert_int_equal(backlog_read(b, 5001, buf, sizeof(buf)), 2);
    assert_memory_equal(buf, "bc", 2);
    /* more than the ring at once: only its last 64 bytes stay */
    char big[100];
    for (int i = 0; i < 100; i++)
        big[i] = (char)('A' + i % 26);
    backlog_append_raw(b, big, sizeof(big));
    backlog_range(b, &start, &end);
    assert_int_equal(end, 5103);
    assert_int_equal(start, 5103 - 64);
    assert_int_equal(backlog_read(b, start, buf, sizeof(buf)), 64);
    assert_memory_equal(buf, big + 36, 64);
    backlog_free(&b);
}

static void test_record_larger_than_the_ring(void **state)
{
    (void)state;
    struct backlog *b = backlog_create(128);
    char value[300];
    memset(value, 'x', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    struct rec r = set_rec("k", value);
    backlog_append_rec(b, &r);
    uint64_t start, end;
    backlog_range(b, &start, &end);
    assert_int_equal(end, rec_size(&r));
    /* the record's start is gone: a reader there must start over */
    char buf[128];
    assert_int_equal(backlog_read(b, 0, buf, sizeof(buf)), -1);
    backlog_free(&b);
}

struct appender {
    struct backlog *b;
    int delay_ms;
};

static void *append_later(void *arg)
{
    struct appender *a = arg;
    struct timespec ts = {0, (long)a->delay_ms * 1000000L};
    nanosleep(&ts, NULL);
    backlog_append_raw(a->b, "x", 1);
    return NULL;
}

static void test_wait_wakes_on_append_and_times_out(void **state)
{
    (void)state;
    struct backlog *b = backlog_create(64);
    /* no append: the wait ends at its timeout with the end unchanged */
    assert_int_equal(backlog_wait(b, 0, 20), 0);
    /* data already there: at once */
    backlog_append_raw(b, "a", 1);
    assert_int_equal(backlog_wait(b, 0, 60000), 1);
    /* an append from another thread ends a long wait */
    struct appender a = {.b = b, .delay_ms = 10};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, append_later, &a), 0);
    assert_int_equal(backlog_wait(b, 1, 60000), 2);
    pthread_join(t, NULL);
    backlog_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_read_back_from_their_offsets),
        cmocka_unit_test(test_wrap_and_overwrite),
        cmocka_unit_test(test_a_long_read_is_whole_across_the_wrap),
        cmocka_unit_test(test_a_reader_lapped_by_the_writer_never_gets_overwritten_bytes),
        cmocka_unit_test(test_raw_bytes_and_reset),
        cmocka_unit_test(test_record_larger_than_the_ring),
        cmocka_unit_test(test_wait_wakes_on_append_and_times_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
