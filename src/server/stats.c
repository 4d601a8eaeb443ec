/*
 * stats.c: see stats.h. The groups and names are memcached's; "slabs" and
 * "items" describe this store honestly — one item class, no slab pages —
 * with memcached's line shapes so tools that parse them keep working.
 */
#include "server/stats.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "server/exec.h"
#include "server/server.h"
#include "server/session.h"
#include "server/worker.h"
#include "store/store.h"

void stats_aggregate(struct server *srv, struct thread_stats *out)
{
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < srv->nworkers; i++) {
        struct thread_stats *ts = &srv->workers[i]->stats;
#define STATS_SUM(name)                                                                 \
    atomic_store_explicit(&out->name,                                                   \
                          atomic_load_explicit(&out->name, memory_order_relaxed) +      \
                              atomic_load_explicit(&ts->name, memory_order_relaxed),    \
                          memory_order_relaxed);
        THREAD_STATS_FIELDS(STATS_SUM)
#undef STATS_SUM
    }
}

void stats_reset(struct server *srv)
{
    for (int i = 0; i < srv->nworkers; i++) {
        struct thread_stats *ts = &srv->workers[i]->stats;
#define STATS_ZERO(name) atomic_store_explicit(&ts->name, 0, memory_order_relaxed);
        THREAD_STATS_FIELDS(STATS_ZERO)
#undef STATS_ZERO
    }
    store_stats_reset(srv->store);
}

static void stat_str(struct exec_ctx *x, const char *name, const char *value)
{
    struct response rsp = {
        .kind = RSP_STAT, .msg = name, .nmsg = strlen(name), .msg2 = value, .nmsg2 = strlen(value),
    };
    exec_emit(x, &rsp, NULL);
}

static void stat_u64(struct exec_ctx *x, const char *name, uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%" PRIu64, v);
    stat_str(x, name, buf);
}

static void stat_bool(struct exec_ctx *x, const char *name, bool v)
{
    stat_str(x, name, v ? "yes" : "no");
}

static void end(struct exec_ctx *x)
{
    struct response rsp = {.kind = RSP_END};
    exec_emit(x, &rsp, NULL);
}

static void stats_general(struct exec_ctx *x)
{
    struct server *srv = x->srv;
    struct thread_stats t;
    struct store_stats st;
    stats_aggregate(srv, &t);
    store_stats(srv->store, &st);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    char buf[48];

    stat_u64(x, "pid", (uint64_t)getpid());
    stat_u64(x, "uptime", clock_now() - CLOCK_EPOCH_OFFSET);
    stat_u64(x, "time", (uint64_t)time(NULL));
    stat_str(x, "version", SERVER_VERSION);
    stat_str(x, "mnemo_version", MNEMO_VERSION);
    stat_u64(x, "pointer_size", sizeof(void *) * 8);
    snprintf(buf, sizeof(buf), "%ld.%06ld", (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec);
    stat_str(x, "rusage_user", buf);
    snprintf(buf, sizeof(buf), "%ld.%06ld", (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec);
    stat_str(x, "rusage_system", buf);
    stat_u64(x, "max_connections", (uint64_t)srv->cfg.maxconns);
    stat_u64(x, "curr_connections", (uint64_t)atomic_load(&srv->curr_conns));
    stat_u64(x, "total_connections", atomic_load(&t.total_connections));
    stat_u64(x, "rejected_connections", atomic_load(&srv->rejected_conns));
#define STAT_T(name) stat_u64(x, #name, atomic_load_explicit(&t.name, memory_order_relaxed))
    STAT_T(cmd_get);
    STAT_T(cmd_set);
    STAT_T(cmd_flush);
    STAT_T(cmd_touch);
    STAT_T(get_hits);
    STAT_T(get_misses);
    stat_u64(x, "get_expired", st.get_expired);
    stat_u64(x, "get_flushed", st.get_flushed);
    STAT_T(delete_misses);
    STAT_T(delete_hits);
    STAT_T(incr_misses);
    STAT_T(incr_hits);
    STAT_T(decr_misses);
    STAT_T(decr_hits);
    STAT_T(cas_misses);
    STAT_T(cas_hits);
    STAT_T(cas_badval);
    STAT_T(touch_hits);
    STAT_T(touch_misses);
    STAT_T(bytes_read);
    STAT_T(bytes_written);
#undef STAT_T
    stat_u64(x, "limit_maxbytes", st.limit_maxbytes);
    stat_u64(x, "threads", (uint64_t)srv->nworkers);
    stat_u64(x, "conn_yields", atomic_load(&t.conn_yields));
    stat_u64(x, "hash_bytes", st.hash_bytes);
    stat_u64(x, "curr_items", st.curr_items);
    stat_u64(x, "total_items", st.total_items);
    stat_u64(x, "bytes", st.bytes);
    stat_u64(x, "evictions", st.evictions);
    stat_u64(x, "reclaimed", st.reclaimed);
    stat_u64(x, "expired_unfetched", st.expired_unfetched);
    stat_u64(x, "evicted_unfetched", st.evicted_unfetched);
    end(x);
}

static void emit_setting(void *arg, const char *name, const char *value)
{
    stat_str(arg, name, value);
}

static void stats_settings(struct exec_ctx *x)
{
    /* -m as cache_memlimit may have moved it: the store has the true figure */
    struct store_stats st;
    store_stats(x->srv->store, &st);
    struct config c = x->srv->cfg;
    c.maxbytes = st.limit_maxbytes;
    config_describe(&c, atomic_load(&x->srv->verbosity), emit_setting, x);
    end(x);
}

/* One item class: memcached prints items:<class>:<name>. */
static void stats_items(struct exec_ctx *x)
{
    struct store_stats st;
    store_stats(x->srv->store, &st);
    if (st.curr_items > 0) {
        stat_u64(x, "items:1:number", st.curr_items);
        stat_u64(x, "items:1:evicted", st.evictions);
        stat_u64(x, "items:1:evicted_unfetched", st.evicted_unfetched);
        stat_u64(x, "items:1:expired_unfetched", st.expired_unfetched);
        stat_u64(x, "items:1:reclaimed", st.reclaimed);
        stat_bool(x, "items:1:outofmemory", false);
    }
    end(x);
}

/* No slab pages here: item memory is segments; total_malloced is what
 * memcached means by it, the item memory taken so far. */
static void stats_slabs(struct exec_ctx *x)
{
    struct store_stats st;
    store_stats(x->srv->store, &st);
    stat_u64(x, "active_slabs", 0);
    stat_u64(x, "total_malloced", st.arena_bytes);
    end(x);
}

struct conns_walk {
    struct exec_ctx *x;
};

static void emit_conn_stat(void *arg, const char *name, const char *value)
{
    struct conns_walk *walk = arg;
    stat_str(walk->x, name, value);
}

static void stats_conns(struct exec_ctx *x)
{
    struct conns_walk walk = {.x = x};
    for (int i = 0; i < x->srv->nworkers; i++) {
        struct worker *w = x->srv->workers[i];
        pthread_mutex_lock(&w->lock);
        for (struct session *s = w->sessions; s != NULL; s = session_next(s))
            session_describe(s, emit_conn_stat, &walk);
        pthread_mutex_unlock(&w->lock);
    }
    end(x);
}

static bool arg_is(const char *arg, size_t narg, const char *word)
{
    return narg == strlen(word) && memcmp(arg, word, narg) == 0;
}

void stats_command(struct exec_ctx *x, const char *arg, size_t narg)
{
    if (narg == 0) {
        stats_general(x);
    } else if (arg_is(arg, narg, "settings")) {
        stats_settings(x);
    } else if (arg_is(arg, narg, "items")) {
        stats_items(x);
    } else if (arg_is(arg, narg, "slabs")) {
        stats_slabs(x);
    } else if (arg_is(arg, narg, "conns")) {
        stats_conns(x);
    } else if (arg_is(arg, narg, "reset")) {
        stats_reset(x->srv);
        struct response rsp = {.kind = RSP_RESET};
        exec_emit(x, &rsp, NULL);
    } else {
        /* memcached answers an unknown group with a bare ERROR. */
        struct response rsp = {.kind = RSP_ERROR};
        exec_emit(x, &rsp, NULL);
    }
}
