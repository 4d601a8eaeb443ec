/* Unit tests for common/outq: copies coalesce, references are released
 * exactly once and only after their bytes are consumed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/outq.h"

struct released {
    int count;
    void *last;
};

static void on_release(void *ctx, void *ref)
{
    struct released *r = ctx;
    r->count++;
    r->last = ref;
}

/* Concatenate the queued bytes as writev would send them. */
static size_t drain_to(struct outq *q, char *buf, size_t cap)
{
    struct iovec iov[64];
    size_t n = outq_iov(q, iov, 64), len = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(len + iov[i].iov_len <= cap);
        memcpy(buf + len, iov[i].iov_base, iov[i].iov_len);
        len += iov[i].iov_len;
    }
    return len;
}

static void test_copies_coalesce(void **state)
{
    struct released r = {0};
    struct outq q;
    outq_init(&q, on_release, &r);
    assert_int_equal(outq_append(&q, "STORED\r\n", 8), 0);
    assert_int_equal(outq_append(&q, "END\r\n", 5), 0);
    struct iovec iov[4];
    assert_int_equal(outq_iov(&q, iov, 4), 1);
    assert_int_equal(outq_pending(&q), 13);
    char buf[32];
    assert_int_equal(drain_to(&q, buf, sizeof(buf)), 13);
    assert_memory_equal(buf, "STORED\r\nEND\r\n", 13);
    outq_consume(&q, 13);
    assert_true(outq_empty(&q));
    outq_free(&q);
}

static void test_ref_released_after_send(void **state)
{
    struct released r = {0};
    struct outq q;
    outq_init(&q, on_release, &r);
    static const char value[] = "hello world\r\n";
    int token;
    assert_int_equal(outq_append(&q, "VALUE k 0 11\r\n", 14), 0);
    assert_int_equal(outq_append_ref(&q, value, 13, &token), 0);
    assert_int_equal(outq_append(&q, "END\r\n", 5), 0);
    char buf[64];
    size_t len = drain_to(&q, buf, sizeof(buf));
    assert_int_equal(len, 32);
    assert_memory_equal(buf, "VALUE k 0 11\r\nhello world\r\nEND\r\n", 32);
    /* Partial write ending inside the value: not released yet. */
    outq_consume(&q, 20);
    assert_int_equal(r.count, 0);
    outq_consume(&q, 7);
    assert_int_equal(r.count, 1);
    assert_ptr_equal(r.last, &token);
    outq_consume(&q, 5);
    assert_true(outq_empty(&q));
    outq_free(&q);
    assert_int_equal(r.count, 1);
}

/* outq_iov_from: the unsent bytes from an offset, across entries, after a
 * partial consume too (a TLS connection skips what it sealed already). */
static void test_iov_from_an_offset(void **state)
{
    struct released r = {0};
    struct outq q;
    outq_init(&q, on_release, &r);
    static const char value[] = "defgh";
    int token;
    assert_int_equal(outq_append(&q, "abc", 3), 0);
    assert_int_equal(outq_append_ref(&q, value, 5, &token), 0);
    assert_int_equal(outq_append(&q, "ij", 2), 0);
    struct iovec iov[4];
    assert_int_equal(outq_iov_from(&q, 0, iov, 4), 3);
    assert_int_equal(outq_iov_from(&q, 2, iov, 4), 3);
    assert_memory_equal(iov[0].iov_base, "c", 1);
    assert_int_equal(iov[0].iov_len, 1);
    assert_int_equal(outq_iov_from(&q, 3, iov, 4), 2); /* an entry's end: the next one */
    assert_memory_equal(iov[0].iov_base, "defgh", 5);
    assert_int_equal(outq_iov_from(&q, 5, iov, 1), 1); /* max counts from the offset */
    assert_memory_equal(iov[0].iov_base, "fgh", 3);
    assert_int_equal(iov[0].iov_len, 3);
    assert_int_equal(outq_iov_from(&q, 10, iov, 4), 0); /* all of it skipped */
    outq_consume(&q, 4);
    assert_int_equal(outq_iov_from(&q, 2, iov, 4), 2);
    assert_memory_equal(iov[0].iov_base, "gh", 2);
    assert_int_equal(iov[0].iov_len, 2);
    assert_memory_equal(iov[1].iov_base, "ij", 2);
    outq_free(&q);
    assert_int_equal(r.count, 1);
}

static void test_free_releases_unsent(void **state)
{
    struct released r = {0};
    struct outq q;
    outq_init(&q, on_release, &r);
    int a, b;
    assert_int_equal(outq_append_ref(&q, "x", 1, &a), 0);
    assert_int_equal(outq_append_ref(&q, "y", 1, &b), 0);
    outq_free(&q);
    assert_int_equal(r.count, 2);
}

static void test_empty_ref_released_at_once(void **state)
{
    struct released r = {0};
    struct outq q;
    outq_init(&q, on_release, &r);
    int a;
    assert_int_equal(outq_append_ref(&q, "", 0, &a), 0);
    assert_int_equal(r.count, 1);
    assert_true(outq_empty(&q));
    outq_free(&q);
}

static void test_many_entries_and_large_copy(void **state)
{
    struct released r = {0};
    struct outq q;
    outq_init(&q, on_release, &r);
    static int refs[1000];
    size_t total = 0;
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(outq_append(&q, "ab", 2), 0);
        assert_int_equal(outq_append_ref(&q, "cd", 2, &refs[i]), 0);
        total += 4;
    }
    static char big[100000];
    memset(big, 'z', sizeof(big));
    assert_int_equal(outq_append(&q, big, sizeof(big)), 0);
    total += sizeof(big);
    assert_int_equal(outq_pending(&q), total);
    /* Consume in odd-sized steps, as short writes would. */
    size_t left = total;
    while (left > 0) {
        size_t step = left < 777 ? left : 777;
        outq_consume(&q, step);
        left -= step;
    }
    assert_int_equal(r.count, 1000);
    assert_true(outq_empty(&q));
    outq_free(&q);
}

/* Replies taken back to a mark: the bytes queued after it go (inside a
 * copy, a whole reference released once), those before it stay and send
 * as they were; a sent prefix is not touched. */
static void test_drop_since_a_mark(void **state)
{
    struct released r = {0};
    struct outq q;
    outq_init(&q, on_release, &r);
    static const char value[] = "vvvv\r\n";
    int token;
    assert_int_equal(outq_append(&q, "SENT\r\n", 6), 0);
    outq_consume(&q, 6); /* already written */
    assert_int_equal(outq_append(&q, "KEEP\r\n", 6), 0);
    size_t mark = q.appended;
    assert_int_equal(outq_append(&q, "VALUE k 0 4\r\n", 13), 0);
    assert_int_equal(outq_append_ref(&q, value, 6, &token), 0);
    assert_int_equal(outq_append(&q, "END\r\n", 5), 0);
    outq_drop_since(&q, mark);
    assert_int_equal(r.count, 1);
    assert_ptr_equal(r.last, &token);
    assert_int_equal(outq_pending(&q), 6);
    assert_int_equal(q.appended, mark);
    assert_int_equal(outq_append(&q, "ERR\r\n", 5), 0);
    char buf[32];
    assert_int_equal(drain_to(&q, buf, sizeof(buf)), 11);
    assert_memory_equal(buf, "KEEP\r\nERR\r\n", 11);
    /* a mark at the end drops nothing */
    outq_drop_since(&q, q.appended);
    assert_int_equal(outq_pending(&q), 11);
    outq_consume(&q, 11);
    assert_true(outq_empty(&q));
    outq_free(&q);
    assert_int_equal(r.count, 1);
    (void)state;
}

static void test_reserve_commit(void **state)
{
    struct released r = {0};
    struct outq q;
    outq_init(&q, on_release, &r);
    char *p = outq_reserve(&q, 100);
    assert_non_null(p);
    memcpy(p, "OK\r\n", 4);
    assert_int_equal(outq_commit(&q, 4), 0);
    assert_int_equal(outq_pending(&q), 4);
    char buf[8];
    assert_int_equal(drain_to(&q, buf, sizeof(buf)), 4);
    assert_memory_equal(buf, "OK\r\n", 4);
    outq_free(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copies_coalesce),
        cmocka_unit_test(test_ref_released_after_send),
        cmocka_unit_test(test_iov_from_an_offset),
        cmocka_unit_test(test_free_releases_unsent),
        cmocka_unit_test(test_empty_ref_released_at_once),
        cmocka_unit_test(test_many_entries_and_large_copy),
        cmocka_unit_test(test_reserve_commit),
        cmocka_unit_test(test_drop_since_a_mark),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
