/*
 * watch.h: memcached's "watch" — a connection that asked for it receives a
 * line for each event of the kinds it chose, as events happen on any
 * worker: fetches, stores, deletions, connections opened and closed.
 *
 *   worker (any) ── watch_fetch/store/delete/conn ──▶ each matching watcher's
 *                    (skipped at once unless           live stream (stream.h):
 *                     someone watches that kind)       bounded, never blocks;
 *                                                      full: drop + count,
 *                                                      "skipped=N" later
 *   watcher's worker ◀── wake-up ── stream_pull ──▶ its socket
 *
 * Events are logged by exec and the sessions, not through store_set_hook:
 * that hook has a single slot, reserved for the append log and replication
 * (DESIGN.md), and it knows neither the command, the outcome of a refused
 * store, the connection, nor fetches. Evictions are not reported by the
 * store, so "watch evictions" is accepted and stays silent.
 *
 * Lines are memcached 1.6.45's (logger.c), keys uri-encoded.
 */
#ifndef MNEMO_SERVER_WATCH_H
#define MNEMO_SERVER_WATCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/admin.h"

struct stream;
struct event_loop;
struct watcher;

struct watch_hub {
    atomic_uint mask;       /* union of the watchers' kinds: 0 = nobody watches */
    atomic_uint_fast64_t gid; /* memcached's global id of logged events */
    pthread_mutex_t lock;   /* the list */
    struct watcher *list;
    unsigned count;
    uint64_t sent, skipped; /* lines queued / dropped (under lock) */
};

void watch_hub_init(struct watch_hub *h);
void watch_hub_free(struct watch_hub *h);

static inline bool watch_wants(struct watch_hub *h, unsigned kind)
{
    return (atomic_load_explicit(&h->mask, memory_order_relaxed) & kind) != 0;
}

/* A new watcher of mask (ADMIN_WATCH_* bits) whose consumer runs on loop.
 * Returns the consumer's end of its stream (already holding "OK\r\n"), or
 * NULL when out of memory. The watcher ends when the consumer cancels. */
struct stream *watch_add(struct watch_hub *h, unsigned mask, struct event_loop *loop);

/* Statistics: watchers now, lines sent and skipped. */
void watch_counts(struct watch_hub *h, uint64_t *watchers, uint64_t *sent, uint64_t *skipped);

/* The events. fd is the client connection's. Call only when watch_wants. */
void watch_fetch(struct watch_hub *h, const char *key, size_t nkey, bool found, uint32_t size,
                 int fd);
/* status: "stored", "not_stored", "exists", "not_found", "too_large", "no_memory";
 * cmd: "set", "add", "replace", "append", "prepend", "cas" */
void watch_store(struct watch_hub *h, const char *key, size_t nkey, const char *status,
                 const char *cmd, uint32_t ttl, uint32_t size, int fd);
/* cmd: "delete" or "md" */
void watch_delete(struct watch_hub *h, const char *key, size_t nkey, const char *cmd,
                  uint32_t size);
/* addr: "host:port"-less parts: rip, rport; reason NULL for conn_new */
void watch_conn(struct watch_hub *h, const char *rip, unsigned rport, const char *transport,
                const char *reason, int fd);

#endif
