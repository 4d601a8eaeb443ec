/*
 * metrics.h: the Prometheus endpoint (-o metrics_port): a thread of its
 * own with listening sockets of its own, answering GET /metrics with what
 * a collector writes. It never touches a worker, a client connection or
 * the cache port; what it measures it learns only through the collector,
 * so this layer knows nothing of the server.
 *
 * The HTTP side is small and strict: one request per connection, then
 * close; a head larger than METRICS_HEAD_MAX is a 431, a request not
 * complete within METRICS_TIMEOUT_MS of the connect is cut off, at most
 * METRICS_MAX_CONNS scrapes are served at once (more get a 503).
 */
#ifndef MNEMO_METRICS_METRICS_H
#define MNEMO_METRICS_METRICS_H

#include <stddef.h>

#define METRICS_HEAD_MAX 8192
#define METRICS_TIMEOUT_MS 5000
#define METRICS_MAX_CONNS 16

struct expo;
struct metrics;

/* Writes the families of one scrape into out (metrics/expo.h). Runs on the
 * metrics thread, never on a worker: it may take locks the workers take,
 * and must read other threads' counters race-free (atomics, or under their
 * locks). */
typedef void (*metrics_collect_fn)(struct expo *out, void *arg);

struct metrics_config {
    const char *hosts; /* where to listen: net/listen.h's list ("127.0.0.1", "::1,10.0.0.1") */
    int port;
    metrics_collect_fn collect;
    void *arg;
};

/* Bind and listen (before the process daemonizes or drops privileges, so
 * a port in use stops the start with one clear line). 0, or -1 with err. */
int metrics_open(const struct metrics_config *cfg, struct metrics **out, char *err, size_t errlen);

/* Start serving in a thread of its own (created with the caller's signal
 * mask). 0, or -1 with err. */
int metrics_start(struct metrics *m, char *err, size_t errlen);

/* Stop the thread (if started), close every socket, free; *m = NULL.
 * NULL is fine. Returns once no collector call runs any more. */
void metrics_close(struct metrics **m);

#endif
