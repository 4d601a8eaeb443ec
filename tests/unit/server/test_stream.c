/*
 * test_stream.c: the bounded pipe between a dump's producer thread and a
 * session (src/server/stream.c), and its live (watch) variant. The
 * consumer side runs here on the test's thread with a plain output queue.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/outq.h"
#include "net/event.h"
#include "server/stream.h"

#define LINES 40000 /* 480 KB: more than a stream holds (5 x 64 KiB) */

struct producer {
    struct stream *st;
    int written; /* lines written before the consumer went away */
};

static void *produce(void *arg)
{
    struct producer *p = arg;
    char line[64];
    for (int i = 0; i < LINES; i++) {
        int n = snprintf(line, sizeof(line), "line %06d\n", i);
        if (stream_write(p->st, line, (size_t)n) != 0)
            break;
        p->written++;
    }
    stream_finish(&p->st);
    return NULL;
}

/* Drain everything queued in out into buf. */
static size_t drain(struct outq *out, char *buf, size_t have)
{
    struct iovec iov[16];
    size_t n;
    while ((n = outq_iov(out, iov, 16)) > 0) {
        size_t total = 0;
        for (size_t i = 0; i < n; i++) {
            memcpy(buf + have + total, iov[i].iov_base, iov[i].iov_len);
            total += iov[i].iov_len;
        }
        outq_consume(out, total);
        have += total;
    }
    return have;
}

static void test_dump_arrives_whole_and_bounded(void **state)
{
    (void)state;
    struct event_loop *loop = event_loop_create();
    assert_non_null(loop);
    struct stream *st = stream_create(loop);
    assert_non_null(st);
    struct producer p = {.st = st};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, produce, &p), 0);
    struct outq out;
    outq_init(&out, NULL, NULL);
    size_t cap = (size_t)LINES * 12 + 1;
    char *got = malloc(cap);
    size_t have = 0;
    enum stream_status rc;
    /* never more than the low mark plus one chunk in the queue */
    while ((rc = stream_pull(st, &out, 2 * STREAM_CHUNK)) == STREAM_MORE) {
        assert_true(outq_pending(&out) <= 3 * STREAM_CHUNK);
        have = drain(&out, got, have);
    }
    assert_int_equal(rc, STREAM_DONE);
    have = drain(&out, got, have);
    pthread_join(t, NULL);
    assert_int_equal(have, (size_t)LINES * 12);
    for (int i = 0; i < LINES; i++) {
        char want[16];
        snprintf(want, sizeof(want), "line %06d\n", i);
        assert_memory_equal(got + (size_t)i * 12, want, 12);
    }
    stream_cancel(&st);
    outq_free(&out);
    free(got);
    event_loop_destroy(&loop);
}

static void test_consumer_gone_stops_the_producer(void **state)
{
    (void)state;
    struct event_loop *loop = event_loop_create();
    struct stream *st = stream_create(loop);
    struct producer p = {.st = st};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, produce, &p), 0);
    stream_cancel(&st); /* nothing read: the producer blocks, then stops */
    pthread_join(t, NULL);
    assert_true(p.written < LINES);
    event_loop_destroy(&loop);
}

static void test_live_drops_and_reports_skipped(void **state)
{
    (void)state;
    struct event_loop *loop = event_loop_create();
    struct stream *st = stream_create_live(loop);
    struct stream *producer = st;
    char line[100];
    memset(line, 'x', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\n';
    size_t room = (STREAM_CHUNKS + 1) * STREAM_CHUNK / sizeof(line);
    int dropped = 0;
    for (size_t i = 0; i < room + 50; i++)
        dropped += stream_offer(st, line, sizeof(line));
    assert_true(dropped >= 50);
    assert_int_equal(stream_skipped_total(st), (unsigned long long)dropped);
    struct outq out;
    outq_init(&out, NULL, NULL);
    char *got = malloc((STREAM_CHUNKS + 2) * STREAM_CHUNK);
    size_t have = 0;
    while (stream_pull(st, &out, 1u << 30) == STREAM_MORE && outq_pending(&out) > 0)
        have = drain(&out, got, have);
    /* room again: the next line comes after memcached's skipped=N */
    assert_int_equal(stream_offer(st, "next\n", 5), 0);
    assert_int_equal(stream_pull(st, &out, 1u << 30), STREAM_MORE);
    size_t before = have;
    have = drain(&out, got, have);
    char want[64];
    int n = snprintf(want, sizeof(want), "skipped=%d\nnext\n", dropped);
    assert_int_equal(have - before, (size_t)n);
    assert_memory_equal(got + before, want, (size_t)n);
    stream_finish(&producer);
    stream_cancel(&st);
    outq_free(&out);
    free(got);
    event_loop_destroy(&loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dump_arrives_whole_and_bounded),
        cmocka_unit_test(test_consumer_gone_stops_the_producer),
        cmocka_unit_test(test_live_drops_and_reports_skipped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
