/*
 * log.c: see log.h.
 *
 * Once log_start() has run, a line is copied into a bounded ring under a
 * mutex held only for the copy, and a thread of its own writes the ring to
 * stderr. A worker therefore never waits for stderr: when whoever reads it
 * (a terminal, journald, a pipe nobody drains) falls behind and the ring is
 * full, the line is dropped and counted (log_dropped(), memcached's
 * log_worker_dropped). Before log_start() and after log_stop(), lines are
 * written at once, so start-up and shutdown messages are never lost.
 */
#include "common/log.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int log_level_current = LOG_WARN;

#define LOG_LINE_MAX 1024
#define RING_BYTES (256u * 1024u) /* ~2,500 lines of 100 bytes */

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    bool running; /* lines go through the ring */
    bool stop;
    char ring[RING_BYTES];
    size_t head, len; /* bytes [head, head + len) mod RING_BYTES are queued */
} q = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static _Atomic uint64_t dropped;

void log_set_level(int level)
{
    log_level_current = level;
}

uint64_t log_dropped(void)
{
    return atomic_load_explicit(&dropped, memory_order_relaxed);
}

static void write_all(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, p, n);
        if (w <= 0)
            return; /* stderr closed or broken: nothing better to do */
        p += w;
        n -= (size_t)w;
    }
}

/* Queue a line, or drop it when the ring is full. false: not running. */
static bool enqueue(const char *line, size_t n)
{
    pthread_mutex_lock(&q.lock);
    if (!q.running) {
        pthread_mutex_unlock(&q.lock);
        return false;
    }
    if (q.len + n > RING_BYTES) {
        pthread_mutex_unlock(&q.lock);
        atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed);
        return true;
    }
    size_t tail = (q.head + q.len) % RING_BYTES;
    size_t first = n < RING_BYTES - tail ? n : RING_BYTES - tail;
    memcpy(q.ring + tail, line, first);
    memcpy(q.ring, line + first, n - first);
    bool was_empty = q.len == 0;
    q.len += n;
    pthread_mutex_unlock(&q.lock);
    if (was_empty)
        pthread_cond_signal(&q.cond);
    return true;
}

void log_write(enum log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    char line[LOG_LINE_MAX];
    int n = snprintf(line, sizeof(line), "mnemod: %s: ", names[level]);
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    if (enqueue(line, (size_t)n))
        return;
    /* Not started (or stopped): at once, one write per line, so lines of
     * threads never interleave. */
    write_all(line, (size_t)n);
}

static void *drain_main(void *arg)
{
    (void)arg;
    static char chunk[RING_BYTES];
    pthread_mutex_lock(&q.lock);
    for (;;) {
        while (q.len == 0 && !q.stop)
            pthread_cond_wait(&q.cond, &q.lock);
        if (q.len == 0)
            break; /* stopping, and all is written */
        /* Take everything queued; write it with the lock released. */
        size_t n = q.len;
        size_t first = n < RING_BYTES - q.head ? n : RING_BYTES - q.head;
        memcpy(chunk, q.ring + q.head, first);
        memcpy(chunk + first, q.ring, n - first);
        q.head = (q.head + n) % RING_BYTES;
        q.len = 0;
        pthread_mutex_unlock(&q.lock);
        write_all(chunk, n);
        pthread_mutex_lock(&q.lock);
    }
    pthread_mutex_unlock(&q.lock);
    return NULL;
}

int log_start(void)
{
    pthread_mutex_lock(&q.lock);
    if (q.running) {
        pthread_mutex_unlock(&q.lock);
        return 0;
    }
    q.stop = false;
    q.head = q.len = 0;
    /* The writer takes no signal (SIGTERM is the server's to read): it is
     * created with all of them blocked, and keeps that mask. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&q.thread, NULL, drain_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    q.running = rc == 0;
    pthread_mutex_unlock(&q.lock);
    return rc == 0 ? 0 : -1;
}

void log_stop(void)
{
    pthread_mutex_lock(&q.lock);
    if (!q.running) {
        pthread_mutex_unlock(&q.lock);
        return;
    }
    q.running = false; /* from now on lines are written at once */
    q.stop = true;
    pthread_cond_signal(&q.cond);
    pthread_mutex_unlock(&q.lock);
    /* What is queued is written first; but a stderr nobody reads must not
     * keep the process from exiting: wait at most a second, then leave the
     * thread blocked in its write (exit ends it). */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 1;
    if (pthread_timedjoin_np(q.thread, NULL, &until) != 0)
        pthread_detach(q.thread);
}
