/*
 * admin.h: memcached's operator commands — slabs, lru, lru_crawler — and
 * the settings they change, which "stats settings" shows.
 *
 * mnemo has no slab classes and no segmented LRU (one pool of segments,
 * S3-FIFO eviction): the settings of those commands are checked and kept,
 * so scripts that tune memcached get memcached's answers and see their
 * values in "stats settings", but they steer nothing. The crawler is real:
 * "lru_crawler crawl" reclaims expired items in the background, and
 * metadump/mgdump list the live keys through a bounded stream (stream.h)
 * fed by the crawler thread. One crawler job runs at a time, as in
 * memcached (a second gets BUSY).
 */
#ifndef MNEMO_SERVER_ADMIN_H
#define MNEMO_SERVER_ADMIN_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "server/exec_ctx.h" /* struct exec_ctx, enum exec_next */
#include "server/prefix_stats.h"
#include "server/watch.h"

struct config;
struct server;

struct admin_state {
    pthread_mutex_t lock;         /* everything below */
    pthread_cond_t threads_done;  /* threads_running reached 0 */
    /* slabs automove */
    unsigned slab_automove;
    double slab_automove_ratio;
    unsigned slab_automove_window;
    double slab_automove_freeratio;
    /* lru */
    bool lru_segmented;
    unsigned hot_lru_pct, warm_lru_pct;
    double hot_max_factor, warm_max_factor;
    bool temp_lru;
    int32_t temporary_ttl;
    /* lru_crawler */
    bool crawler_enabled;
    uint32_t crawler_sleep_us;
    uint32_t crawler_tocrawl; /* 0: no limit */
    bool crawler_busy;        /* a job is running */
    /* Crawler threads are detached: a finished dump's thread may still wait
     * for its client to take the last bytes, and a worker must never wait
     * for it. admin_stop waits for threads_running to reach 0. */
    unsigned threads_running;
    bool stopping;            /* admin_stop: a crawl ends at its next slice */
    uint64_t crawler_starts;
    uint64_t crawler_reclaimed;
    uint64_t crawler_items_checked;
    /* "stats detail"; its own lock, not the one above */
    struct prefix_stats prefix;
    /* "watch"; its own lock */
    struct watch_hub watch;
};

/* The settings the command line gave (memcached 1.6.45's defaults unless
 * changed; -D sets the "stats detail" delimiter and turns it on). */
void admin_init(struct admin_state *a, const struct config *cfg);

/* Stop: wait for a crawler job to end (a dump whose session has gone ends
 * at its next item). Call before the store is destroyed. */
void admin_stop(struct admin_state *a);

/* Is the LRU crawler on (-o lru_crawler, "lru_crawler enable|disable")?
 * Off, expired items are not reclaimed in the background either. */
bool admin_crawler_enabled(struct admin_state *a);

/* Run REQ_SLABS, REQ_LRU, REQ_LRU_CRAWLER or REQ_WATCH. EXEC_STREAM when a dump
 * started (x->stream is the session's end of it), else EXEC_CONTINUE. */
enum exec_next admin_command(struct exec_ctx *x, const struct request *req);

/* A copy of the fields under a->lock (for "stats"); out's prefix and
 * watch are left zero. */
void admin_snapshot(struct admin_state *a, struct admin_state *out);

#endif
