/*
 * main.c: mnemo-bench, a memtier-like load generator for memcached-
 * compatible servers.  Parses flags, connects every socket up front (so an
 * unreachable server fails fast and clearly), runs the load threads, shows
 * a progress line on a terminal, merges and reports.
 *
 *   options ─▶ ring ─▶ connect ─▶ threads (loop.c: preload │ barrier │ run)
 *                                   └─ stats ─▶ merge ─▶ report (text/JSON)
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "connect.h"
#include "keys.h"
#include "loop.h"
#include "options.h"
#include "proto.h"
#include "report.h"
#include "ring.h"
#include "tls.h"

static struct bench_shared shared;

static void on_signal(int sig)
{
    (void)sig;
    __atomic_store_n(&shared.stop, 1, __ATOMIC_RELAXED);
}

static void die(const char *msg)
{
    fprintf(stderr, "mnemo-bench: %s\n", msg);
    exit(1);
}

static int all_done(struct worker *w, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (!__atomic_load_n(&w[i].done, __ATOMIC_ACQUIRE))
            return 0;
    return 1;
}

/* Sleep up to ms milliseconds, returning early when every thread is done. */
static void nap(struct worker *w, unsigned n, unsigned ms)
{
    for (unsigned slept = 0; slept < ms && !all_done(w, n); slept += 20) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static void progress(const struct bench_options *o, struct worker *w, uint64_t start)
{
    uint64_t last_ops = 0, last_t = start;
    while (!all_done(w, o->threads)) {
        nap(w, o->threads, 1000);
        uint64_t now = bench_now_ns();
        uint64_t ops = 0, gets = 0, hits = 0;
        for (unsigned i = 0; i < o->threads; i++) {
            ops += __atomic_load_n(&w[i].progress_ops, __ATOMIC_RELAXED);
            gets += __atomic_load_n(&w[i].progress_gets, __ATOMIC_RELAXED);
            hits += __atomic_load_n(&w[i].progress_hits, __ATOMIC_RELAXED);
        }
        double dt = (double)(now - last_t) / 1e9;
        printf("\r\033[K[%6.1fs] %10.0f ops/s  %12llu ops  hit %5.1f%%", (double)(now - start) / 1e9,
               dt > 0 ? (double)(ops - last_ops) / dt : 0.0, (unsigned long long)ops,
               gets ? 100.0 * (double)hits / (double)gets : 0.0);
        fflush(stdout);
        last_ops = ops;
        last_t = now;
    }
    printf("\r\033[K");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    static struct bench_options o;
    char err[512];
    if (bench_options_parse(&o, argc, argv, err, sizeof(err)) != BENCH_OPT_OK) {
        fprintf(stderr, "mnemo-bench: %s\n", err);
        return 2;
    }
    if (o.help) {
        fputs(bench_options_usage(), stdout);
        return 0;
    }
    if (o.version) {
        printf("mnemo-bench %s\n", MNEMO_VERSION);
        return 0;
    }

    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct ring *ring = ring_create(&o, err, sizeof(err));
    if (!ring)
        die(err);
    struct ssl_ctx_st *tls = NULL;
    if (bench_tls_context(&o, &tls, err, sizeof(err)) != 0)
        die(err);
#ifndef MNEMO_BENCH_LIBMNEMO
    if (o.server_count > 1)
        fprintf(stderr, "mnemo-bench: built without libmnemo: keys are sharded by FNV-1a modulo, "
                        "not ketama\n");
#endif
    char *value = malloc(o.value_max ? o.value_max : 1);
    if (!value)
        die("out of memory");
    struct rng vr;
    rng_seed(&vr, o.seed);
    for (uint32_t i = 0; i < o.value_max; i++)
        value[i] = (char)('a' + rng_below(&vr, 26));

    shared.o = &o;
    shared.proto = proto_ops_of(o.protocol);
    shared.ring = ring;
    shared.value = value;

    /* connect everything before any load starts */
    unsigned per_thread = o.conns * (unsigned)o.server_count;
    struct worker *w = calloc(o.threads, sizeof(*w));
    if (!w)
        die("out of memory");
    for (unsigned t = 0; t < o.threads; t++) {
        w[t].id = t;
        w[t].sh = &shared;
        w[t].fds = malloc(per_thread * sizeof(int));
        w[t].tls = calloc(per_thread, sizeof(*w[t].tls));
        w[t].run = calloc(o.group_count, sizeof(*w[t].run));
        if (!w[t].fds || !w[t].tls || !w[t].run)
            die("out of memory");
        for (unsigned i = 0; i < per_thread; i++) {
            if (__atomic_load_n(&shared.stop, __ATOMIC_RELAXED))
                die("interrupted");
            w[t].fds[i] = bench_connect(&o.servers[i % o.server_count], o.connect_timeout_ms, tls,
                                        o.tls_server_name, &w[t].tls[i], err, sizeof(err));
            if (w[t].fds[i] < 0)
                die(err);
        }
    }

    if (pthread_barrier_init(&shared.barrier, NULL, o.threads + 1) != 0)
        die("pthread_barrier_init failed");
    for (unsigned t = 0; t < o.threads; t++) {
        int rc = pthread_create(&w[t].tid, NULL, worker_main, &w[t]);
        if (rc != 0) {
            snprintf(err, sizeof(err), "cannot start thread: %s", strerror(rc));
            die(err);
        }
    }
    pthread_barrier_wait(&shared.barrier); /* preload finished everywhere */
    uint64_t start = bench_now_ns();
    if (isatty(STDOUT_FILENO) && !o.json && !o.quiet)
        progress(&o, w, start);
    for (unsigned t = 0; t < o.threads; t++)
        pthread_join(w[t].tid, NULL);

    int rc = 0;
    for (unsigned t = 0; t < o.threads; t++) {
        if (w[t].error[0]) {
            fprintf(stderr, "mnemo-bench: %s\n", w[t].error);
            rc = 1;
        }
    }
    static struct bench_stats pre, run, groups[BENCH_MAX_GROUPS];
    stats_init(&pre);
    stats_init(&run);
    for (size_t g = 0; g < o.group_count; g++)
        stats_init(&groups[g]);
    for (unsigned t = 0; t < o.threads; t++) {
        stats_merge(&pre, &w[t].preload);
        for (size_t g = 0; g < o.group_count; g++) {
            stats_merge(&groups[g], &w[t].run[g]);
            stats_merge(&run, &w[t].run[g]);
        }
    }
    if (rc == 0 && __atomic_load_n(&shared.stop, __ATOMIC_RELAXED))
        fprintf(stderr, "mnemo-bench: interrupted: the report covers the run until then\n");
    if (rc == 0) {
        if (o.json)
            report_json(stdout, &o, o.preload ? &pre : NULL, &run, groups);
        else
            report_text(stdout, &o, o.preload ? &pre : NULL, &run, groups);
        if (run.errors)
            fprintf(stderr, "mnemo-bench: warning: %llu error replies from the server(s)\n",
                    (unsigned long long)run.errors);
    }
    for (unsigned t = 0; t < o.threads; t++) {
        free(w[t].fds);
        free(w[t].tls);
        free(w[t].run);
    }
    bench_tls_context_free(&tls);
    free(w);
    free(value);
    ring_destroy(&ring);
    pthread_barrier_destroy(&shared.barrier);
    return rc;
}
