/*
 * test_logging.c: common/log.c's queue. Lines logged while it runs reach stderr
 * whole and in order, from any thread; while stderr is not read the logging
 * thread never waits (lines are dropped and counted); log_stop() returns
 * even then; before log_start() and after log_stop() lines go at once.
 * stderr is a pipe the test owns (dup2).
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"

static int saved_stderr = -1;

/* stderr becomes the write end of a pipe; returns its read end. */
static int stderr_to_pipe(void)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    if (saved_stderr < 0)
        saved_stderr = dup(STDERR_FILENO);
    assert_true(dup2(p[1], STDERR_FILENO) >= 0);
    close(p[1]);
    return p[0];
}

static void stderr_back(void)
{
    dup2(saved_stderr, STDERR_FILENO);
}

/* Read everything until EOF (stderr must be restored first). */
static char *read_all(int fd, size_t *len)
{
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    ssize_t r;
    while ((r = read(fd, buf + n, cap - n - 1)) > 0) {
        n += (size_t)r;
        if (n + 1 == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    buf[n] = '\0';
    *len = n;
    close(fd);
    return buf;
}

#define THREADS 4
#define LINES 500

static void *logger(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (int i = 0; i < LINES; i++)
        log_error("thread %d line %d", id, i);
    return NULL;
}

static void test_lines_whole_and_in_order(void **state)
{
    (void)state;
    int rd = stderr_to_pipe();
    /* a reader keeps up: nothing may be dropped */
    assert_int_equal(fcntl(rd, F_SETPIPE_SZ, 1 << 20) > 0, 1);
    uint64_t dropped0 = log_dropped();
    assert_int_equal(log_start(), 0);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, logger, (void *)(intptr_t)i), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    log_stop();
    log_error("after stop");
    stderr_back();
    size_t len;
    char *out = read_all(rd, &len);
    uint64_t dropped = log_dropped() - dropped0;
    int next[THREADS] = {0};
    int lines = 0;
    for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        int id, i;
        if (strcmp(line, "mnemod: error: after stop") == 0) {
            lines++;
            continue;
        }
        assert_int_equal(sscanf(line, "mnemod: error: thread %d line %d", &id, &i), 2);
        assert_true(id >= 0 && id < THREADS);
        assert_true(i >= next[id]); /* in order; a gap only where dropped */
        next[id] = i + 1;
        lines++;
    }
    assert_int_equal((uint64_t)lines + dropped, THREADS * LINES + 1);
    assert_int_equal(dropped, 0);
    free(out);
}

static void test_stalled_stderr_drops_and_stop_returns(void **state)
{
    (void)state;
    int rd = stderr_to_pipe(); /* not read until the end */
    uint64_t dropped0 = log_dropped();
    assert_int_equal(log_start(), 0);
    /* far more than the pipe (64 KB) and the queue (256 KB) hold */
    for (int i = 0; i < 20000; i++)
        log_error("a line of about sixty bytes, number %06d, padding", i);
    assert_true(log_dropped() > dropped0);
    log_stop(); /* returns although its writer is stuck */
    stderr_back();
    /* draining the pipe lets the stuck writer finish; its lines are whole */
    size_t len;
    char *out = read_all(rd, &len);
    assert_true(len > 0);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_whole_and_in_order),
        cmocka_unit_test(test_stalled_stderr_drops_and_stop_returns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
