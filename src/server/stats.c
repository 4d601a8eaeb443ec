/*
 * stats.c: see stats.h. The groups and names are memcached's; "slabs" and
 * "items" describe this store honestly — one item class, no slab pages —
 * with memcached's line shapes so tools that parse them keep working.
 */
#include "server/stats.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "net/tls.h"
#include "persist/persist.h"
#include "repl/digest.h"
#include "repl/repl.h"
#include "server/exec_ctx.h"
#include "server/server.h"
#include "server/worker.h"
#include "store/store.h"

void stats_aggregate(struct server *srv, struct thread_stats *out)
{
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < srv->nworkers; i++) {
        struct thread_stats *ts = &srv->workers[i]->stats;
#define STATS_SUM(name, when)                                                               \
    atomic_store_explicit(&out->name,                                                   \
                          atomic_load_explicit(&out->name, memory_order_relaxed) +      \
                              atomic_load_explicit(&ts->name, memory_order_relaxed),    \
                          memory_order_relaxed);
        THREAD_STATS_FIELDS(STATS_SUM, THREAD_STATS_NO_SLOT)
#undef STATS_SUM
    }
}

void stats_latency_aggregate(struct server *srv, struct latency_stats *out)
{
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < srv->nworkers; i++)
        latency_sum_into(out, &srv->workers[i]->stats.latency);
}

void stats_reset(struct server *srv)
{
    for (int i = 0; i < srv->nworkers; i++) {
        struct thread_stats *ts = &srv->workers[i]->stats;
#define STATS_ZERO(name, when) atomic_store_explicit(&ts->name, 0, memory_order_relaxed);
        THREAD_STATS_FIELDS(STATS_ZERO, THREAD_STATS_NO_SLOT)
#undef STATS_ZERO
        latency_reset(&ts->latency);
    }
    store_stats_reset(srv->store);
    prefix_stats_free(&srv->admin.prefix); /* memcached clears "stats detail" too */
    pthread_mutex_lock(&srv->admin.lock);
    srv->admin.crawler_reclaimed = 0;
    srv->admin.crawler_items_checked = 0;
    pthread_mutex_unlock(&srv->admin.lock);
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

static void end(struct exec_ctx *x)
{
    struct response rsp = {.kind = RSP_END};
    exec_emit(x, &rsp, NULL);
}

/* log2 of the index's bucket count: memcached's hash_power_level. */
static uint64_t hash_power(uint64_t buckets)
{
    uint64_t p = 0;
    while (buckets > 1) {
        buckets >>= 1;
        p++;
    }
    return p;
}

/*
 * The general group, in memcached 1.6.45's order and with its names: the
 * counters as THREAD_STATS_FIELDS lists them, and between them the parts
 * below, one function each. What mnemo's design has no counterpart for
 * (response objects, slab mover, segmented-LRU moves, the logger) reads 0;
 * README's "Stats that have no counterpart" table says what each such line
 * reports.
 */
struct general_snapshot {
    struct server *srv;
    struct thread_stats t;
    struct store_stats st;
    struct admin_state a;
    struct rusage ru;
    uint64_t conns;
};

static void stats_part_process(struct exec_ctx *x, const struct general_snapshot *g)
{
    char buf[48];
    stat_u64(x, "pid", (uint64_t)getpid());
    /* time is the server's own clock in Unix time, as memcached's is (not
     * time(NULL)): the clock a Unix exptime is read on, and the one uptime
     * counts. time(NULL) turns its second up to a tick apart from it, so a
     * client adding 100 to it could see a TTL of 99. */
    uint32_t now = clock_now();
    stat_u64(x, "uptime", now - CLOCK_EPOCH_OFFSET);
    stat_u64(x, "time", (uint64_t)clock_to_unix(now));
    stat_str(x, "version", SERVER_VERSION);
    stat_str(x, "libevent", "none"); /* mnemo has its own event loop */
    stat_u64(x, "pointer_size", sizeof(void *) * 8);
    snprintf(buf, sizeof(buf), "%ld.%06ld", (long)g->ru.ru_utime.tv_sec, (long)g->ru.ru_utime.tv_usec);
    stat_str(x, "rusage_user", buf);
    snprintf(buf, sizeof(buf), "%ld.%06ld", (long)g->ru.ru_stime.tv_sec, (long)g->ru.ru_stime.tv_usec);
    stat_str(x, "rusage_system", buf);
    stat_u64(x, "max_connections", (uint64_t)g->srv->cfg.maxconns);
    stat_u64(x, "curr_connections", g->conns);
}

static void stats_part_connections(struct exec_ctx *x, const struct general_snapshot *g)
{
    stat_u64(x, "rejected_connections", atomic_load(&g->srv->rejected_conns));
    /* memcached: connection objects allocated, listeners included */
    stat_u64(x, "connection_structures", g->conns + (uint64_t)g->srv->nlisteners);
    stat_u64(x, "response_obj_oom", 0);
    stat_u64(x, "response_obj_count", 0);
    stat_u64(x, "response_obj_bytes", 0);
    stat_u64(x, "read_buf_count", 0);
    stat_u64(x, "read_buf_bytes", 0);
    stat_u64(x, "read_buf_bytes_free", 0);
    stat_u64(x, "read_buf_oom", 0);
    stat_u64(x, "reserved_fds", 0);
}

static void stats_part_get_expiry(struct exec_ctx *x, const struct general_snapshot *g)
{
    stat_u64(x, "get_expired", g->st.get_expired);
    stat_u64(x, "get_flushed", g->st.get_flushed);
}

static void stats_part_server(struct exec_ctx *x, const struct general_snapshot *g)
{
    stat_u64(x, "limit_maxbytes", g->st.limit_maxbytes);
    /* mnemo refuses connections over -c instead of pausing its listener */
    stat_u64(x, "accepting_conns", 1);
    stat_u64(x, "listen_disabled_num", 0);
    stat_u64(x, "time_in_listen_disabled_us", 0);
    stat_u64(x, "threads", (uint64_t)g->srv->nworkers);
}

static void stats_part_store(struct exec_ctx *x, const struct general_snapshot *g)
{
    struct server *srv = g->srv;
    const struct store_stats *st = &g->st;
    stat_u64(x, "hash_power_level", hash_power(st->hash_buckets));
    stat_u64(x, "hash_bytes", st->hash_bytes);
    stat_u64(x, "hash_is_expanding", 0);
    /* no slab pages to move between classes */
    stat_u64(x, "slab_reassign_rescues", 0);
    stat_u64(x, "slab_reassign_chunk_rescues", 0);
    stat_u64(x, "slab_reassign_inline_reclaim", 0);
    stat_u64(x, "slab_reassign_busy_items", 0);
    stat_u64(x, "slab_reassign_busy_deletes", 0);
    stat_u64(x, "slab_reassign_busy_nomem", 0);
    stat_str(x, "slab_reassign_last_busy_status", "none");
    stat_u64(x, "slab_reassign_running", 0);
    stat_u64(x, "slabs_moved", 0);
    stat_u64(x, "lru_crawler_running", g->a.crawler_busy ? 1 : 0);
    stat_u64(x, "lru_crawler_starts", g->a.crawler_starts);
    stat_u64(x, "lru_maintainer_juggles", 0);
    stat_u64(x, "malloc_fails", 0);
    uint64_t watchers, wsent, wskipped;
    watch_counts(&srv->admin.watch, &watchers, &wsent, &wskipped);
    /* lines -v/-vv/-vvv dropped while stderr was behind (common/log.h);
     * watch events are never dropped before the watchers */
    stat_u64(x, "log_worker_dropped", log_dropped());
    stat_u64(x, "log_worker_written", atomic_load(&srv->admin.watch.gid));
    stat_u64(x, "log_watcher_skipped", wskipped);
    stat_u64(x, "log_watcher_sent", wsent);
    stat_u64(x, "log_watchers", watchers);
    if (srv->tls != NULL) {
        /* memcached's, with -Z (ssl_new_sessions with the session cache);
         * ssl_proto_errors is 1.6.45's */
        struct tls_counters tc;
        tls_server_counters(srv->tls, &tc);
        if (srv->cfg.ssl_session_cache)
            stat_u64(x, "ssl_new_sessions", tc.new_sessions);
        stat_u64(x, "ssl_handshake_errors", tc.handshake_errors);
        stat_u64(x, "ssl_proto_errors", tc.proto_errors);
        int64_t since = (int64_t)time(NULL) - tls_server_loaded_at(srv->tls);
        stat_u64(x, "time_since_server_cert_refresh", since > 0 ? (uint64_t)since : 0);
    }
    stat_u64(x, "unexpected_napi_ids", 0);
    stat_u64(x, "round_robin_fallback", 0);
    stat_u64(x, "bytes", st->bytes);
    stat_u64(x, "curr_items", st->curr_items);
    stat_u64(x, "total_items", st->total_items);
    stat_u64(x, "slab_global_page_pool", 0);
    stat_u64(x, "expired_unfetched", st->expired_unfetched);
    stat_u64(x, "evicted_unfetched", st->evicted_unfetched);
    stat_u64(x, "evicted_active", 0);
    stat_u64(x, "evictions", st->evictions);
    stat_u64(x, "reclaimed", st->reclaimed);
    stat_u64(x, "crawler_reclaimed", g->a.crawler_reclaimed);
    stat_u64(x, "crawler_items_checked", g->a.crawler_items_checked);
    stat_u64(x, "lrutail_reflocked", 0);
    stat_u64(x, "moves_to_cold", 0);
    stat_u64(x, "moves_to_warm", 0);
    stat_u64(x, "moves_within_lru", 0);
    stat_u64(x, "direct_reclaims", 0);
    stat_u64(x, "lru_bumps_dropped", 0);
    /* mnemo's own, after memcached's names */
    stat_str(x, "mnemo_version", MNEMO_VERSION);
    /* mnemod's own: TLS clients that reached a plain-text listener (closed) */
    stat_u64(x, "mnemo_tls_on_plain_port",
             atomic_load_explicit(&srv->tls_on_plain, memory_order_relaxed));
}

enum general_show { GENERAL_SHOW_ALWAYS, GENERAL_SHOW_IDLE_TIMEOUT };

/* One row of the general group: a counter, or a part. */
struct general_row {
    const char *name; /* the counter's, NULL for a part */
    size_t off;       /* the counter in struct thread_stats */
    enum general_show show;
    void (*part)(struct exec_ctx *x, const struct general_snapshot *g);
};

#define GENERAL_COUNTER(name, when) \
    {#name, offsetof(struct thread_stats, name), GENERAL_SHOW_##when, NULL},
#define GENERAL_PART(part) {NULL, 0, GENERAL_SHOW_ALWAYS, stats_part_##part},
static const struct general_row general_rows[] = {
    THREAD_STATS_FIELDS(GENERAL_COUNTER, GENERAL_PART)
};
#undef GENERAL_COUNTER
#undef GENERAL_PART

static void stats_general(struct exec_ctx *x)
{
    struct general_snapshot g = {.srv = x->srv};
    stats_aggregate(g.srv, &g.t);
    store_stats(g.srv->store, &g.st);
    admin_snapshot(&g.srv->admin, &g.a);
    getrusage(RUSAGE_SELF, &g.ru);
    g.conns = (uint64_t)atomic_load(&g.srv->curr_conns);
    for (size_t i = 0; i < sizeof(general_rows) / sizeof(general_rows[0]); i++) {
        const struct general_row *r = &general_rows[i];
        if (r->part != NULL) {
            r->part(x, &g);
            continue;
        }
        /* memcached prints idle_kicks only with -o idle_timeout */
        if (r->show == GENERAL_SHOW_IDLE_TIMEOUT && g.srv->cfg.idle_timeout <= 0)
            continue;
        const _Atomic uint64_t *counter =
            (const _Atomic uint64_t *)(const void *)((const char *)&g.t + r->off);
        stat_u64(x, r->name, atomic_load_explicit(counter, memory_order_relaxed));
    }
    end(x);
}

static void emit_setting(void *arg, const char *name, const char *value)
{
    stat_str(arg, name, value);
}

/* memcached 1.6.45's settings, in its order (config_describe), with what
 * runs now: -m as cache_memlimit moved it (the store has the true figure),
 * and what slabs automove, lru and lru_crawler changed at run time. */
static void stats_settings(struct exec_ctx *x)
{
    struct store_stats st;
    store_stats(x->srv->store, &st);
    struct admin_state a;
    admin_snapshot(&x->srv->admin, &a);
    struct config c = x->srv->cfg;
    c.maxbytes = st.limit_maxbytes;
    c.oldest_live = atomic_load(&x->srv->oldest_live);
    c.detail_enabled = prefix_stats_on(&x->srv->admin.prefix);
    c.slab_automove = (int)a.slab_automove;
    c.slab_automove_ratio = a.slab_automove_ratio;
    c.slab_automove_window = (int)a.slab_automove_window;
    c.slab_automove_freeratio = a.slab_automove_freeratio;
    c.lru_crawler = a.crawler_enabled;
    c.lru_crawler_sleep = (int)a.crawler_sleep_us;
    c.lru_crawler_tocrawl = a.crawler_tocrawl;
    c.lru_segmented = a.lru_segmented;
    c.hot_lru_pct = (int)a.hot_lru_pct;
    c.warm_lru_pct = (int)a.warm_lru_pct;
    c.hot_max_factor = a.hot_max_factor;
    c.warm_max_factor = a.warm_max_factor;
    c.temp_lru = a.temp_lru;
    c.temporary_ttl = a.temporary_ttl;
    config_describe(&c, atomic_load(&x->srv->verbosity), emit_setting, x);
    end(x);
}

/* One item class (1), present while it holds items, with memcached's
 * lines; the segmented-LRU figures of a store without one read 0 and
 * every item counts as cold. */
static void stats_items(struct exec_ctx *x)
{
    struct store_stats st;
    struct thread_stats t;
    struct admin_state a;
    store_stats(x->srv->store, &st);
    stats_aggregate(x->srv, &t);
    admin_snapshot(&x->srv->admin, &a);
    if (st.curr_items > 0) {
#define ITEM_STAT(name, v) stat_u64(x, "items:1:" name, (v))
        ITEM_STAT("number", st.curr_items);
        ITEM_STAT("number_hot", 0);
        ITEM_STAT("number_warm", 0);
        ITEM_STAT("number_cold", st.curr_items);
        if (a.temp_lru)
            ITEM_STAT("number_temp", 0);
        ITEM_STAT("age_hot", 0);
        ITEM_STAT("age_warm", 0);
        ITEM_STAT("age", 0);
        ITEM_STAT("mem_requested", st.bytes);
        ITEM_STAT("evicted", st.evictions);
        ITEM_STAT("evicted_nonzero", 0);
        ITEM_STAT("evicted_time", 0);
        ITEM_STAT("outofmemory", atomic_load(&t.store_no_memory));
        ITEM_STAT("tailrepairs", 0);
        ITEM_STAT("reclaimed", st.reclaimed);
        ITEM_STAT("expired_unfetched", st.expired_unfetched);
        ITEM_STAT("evicted_unfetched", st.evicted_unfetched);
        ITEM_STAT("evicted_active", 0);
        ITEM_STAT("crawler_reclaimed", a.crawler_reclaimed);
        ITEM_STAT("crawler_items_checked", a.crawler_items_checked);
        ITEM_STAT("lrutail_reflocked", 0);
        ITEM_STAT("moves_to_cold", 0);
        ITEM_STAT("moves_to_warm", 0);
        ITEM_STAT("moves_within_lru", 0);
        ITEM_STAT("direct_reclaims", 0);
        ITEM_STAT("hits_to_hot", 0);
        ITEM_STAT("hits_to_warm", 0);
        ITEM_STAT("hits_to_cold", atomic_load(&t.get_hits));
        ITEM_STAT("hits_to_temp", 0);
#undef ITEM_STAT
    }
    end(x);
}

/* No slab pages here: items are packed into segments of varied sizes, so
 * the chunk geometry reads 0 and every item is one used chunk;
 * total_malloced is what memcached means by it, the item memory taken so
 * far. The per-class counters are the server's totals (one class). */
static void stats_slabs(struct exec_ctx *x)
{
    struct store_stats st;
    struct thread_stats t;
    store_stats(x->srv->store, &st);
    stats_aggregate(x->srv, &t);
    if (st.curr_items > 0) {
#define SLAB_STAT(name, v) stat_u64(x, "1:" name, (v))
#define SLAB_T(name) SLAB_STAT(#name, atomic_load_explicit(&t.name, memory_order_relaxed))
        SLAB_STAT("chunk_size", 0);
        SLAB_STAT("chunks_per_page", 0);
        SLAB_STAT("total_pages", 0);
        SLAB_STAT("total_chunks", st.curr_items);
        SLAB_STAT("used_chunks", st.curr_items);
        SLAB_STAT("free_chunks", 0);
        SLAB_STAT("free_chunks_end", 0);
        SLAB_T(get_hits);
        SLAB_T(cmd_set);
        SLAB_T(delete_hits);
        SLAB_T(incr_hits);
        SLAB_T(decr_hits);
        SLAB_T(cas_hits);
        SLAB_T(cas_badval);
        SLAB_T(touch_hits);
#undef SLAB_T
#undef SLAB_STAT
    }
    stat_u64(x, "active_slabs", st.curr_items > 0 ? 1 : 0);
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
    for (int i = 0; i < x->srv->nworkers; i++)
        worker_describe_sessions(x->srv->workers[i], emit_conn_stat, &walk);
    end(x);
}

static bool arg_is(const char *arg, size_t narg, const char *word)
{
    return narg == strlen(word) && memcmp(arg, word, narg) == 0;
}

/* memcached compares the group's first word by prefix (strncmp with the
 * word's length): "stats d on" is "stats detail on". */
static bool word_is(const char *arg, size_t narg, const char *word)
{
    size_t n = 0;
    while (n < narg && arg[n] != ' ')
        n++;
    return n > 0 && n <= strlen(word) && memcmp(arg, word, n) == 0;
}

static void detail_line(void *arg, const char *text, size_t len)
{
    struct response rsp = {.kind = RSP_LINE, .msg = text, .nmsg = len};
    exec_emit(arg, &rsp, NULL);
}

/* stats detail on|off|dump (each by prefix, as memcached matches them) */
static void stats_detail(struct exec_ctx *x, const char *arg, size_t narg)
{
    struct prefix_stats *ps = &x->srv->admin.prefix;
    size_t i = 0;
    while (i < narg && arg[i] != ' ')
        i++;
    while (i < narg && arg[i] == ' ')
        i++;
    const char *sub = arg + i;
    size_t nsub = 0;
    while (i + nsub < narg && sub[nsub] != ' ')
        nsub++;
    if (nsub > 0 && nsub <= 2 && memcmp(sub, "on", nsub) == 0) {
        atomic_store(&ps->enabled, true);
        exec_reply_kind(x, RSP_OK);
    } else if (nsub > 0 && nsub <= 3 && memcmp(sub, "off", nsub) == 0) {
        atomic_store(&ps->enabled, false);
        exec_reply_kind(x, RSP_OK);
    } else if (nsub > 0 && nsub <= 4 && memcmp(sub, "dump", nsub) == 0) {
        prefix_stats_dump(ps, detail_line, x);
        end(x);
    } else {
        struct response rsp = {.kind = RSP_LINE, .msg = "CLIENT_ERROR usage: stats detail on|off|dump"};
        rsp.nmsg = strlen(rsp.msg);
        exec_emit(x, &rsp, NULL);
    }
}

/* mnemo's own group: the append log and snapshots (persist/persist.h). */
static void stats_persistence(struct exec_ctx *x)
{
    stat_str(x, "persist_enabled", x->srv->persist != NULL ? "1" : "0");
    if (x->srv->persist != NULL)
        persist_stats(x->srv->persist, emit_setting, x);
    end(x);
}

/* mnemo's own group: the role, the stream's offsets, the link or the
 * replicas (repl/repl.h). */
static void stats_replication(struct exec_ctx *x)
{
    if (x->srv->repl != NULL)
        repl_stats(x->srv->repl, emit_setting, x);
    end(x);
}

/* mnemo's own group: a hash of every live item and their count
 * (repl/digest.h), equal on two servers that hold the same items. The walk
 * runs here, on the worker thread, and hashes every value: the worker's
 * other connections wait for it (0.14 s for a million 10-byte items).
 * Fine for a check an operator runs now and then. Binary stats reach it
 * too, with the key "digest". */
static void stats_digest(struct exec_ctx *x)
{
    struct digest d;
    char hex[DIGEST_HEX_LEN + 1];
    if (digest_store(x->srv->store, &d) != DIGEST_OK) {
        exec_reply_message(x, RSP_SERVER_ERROR, RSP_ENOMEM, "out of memory");
        return;
    }
    digest_hex(&d, hex);
    stat_str(x, "digest", hex);
    stat_u64(x, "digest_items", d.items);
    end(x);
}

/* "stats latency" (mnemo's own): per command that ran, its count, the sum
 * of its service times and its histogram, cumulative as Prometheus'
 * ("get:le_1024 N": N gets took at most 1024 ns; le_inf equals count).
 * latency.h says what is timed. */
static void stats_latency(struct exec_ctx *x)
{
    struct latency_stats *l = malloc(sizeof(*l));
    if (l == NULL) {
        exec_reply_message(x, RSP_SERVER_ERROR, RSP_ENOMEM, "out of memory");
        return;
    }
    stats_latency_aggregate(x->srv, l);
    for (int c = 0; c < LATENCY_NCLASSES; c++) {
        const char *cls = latency_class_name((enum latency_class)c);
        char name[64];
        uint64_t cum = 0;
        for (unsigned b = 0; b < LATENCY_BUCKETS; b++)
            cum += atomic_load_explicit(&l->count[c][b], memory_order_relaxed);
        if (cum == 0)
            continue; /* a command that never ran says nothing */
        snprintf(name, sizeof(name), "%s:count", cls);
        stat_u64(x, name, cum);
        snprintf(name, sizeof(name), "%s:sum_ns", cls);
        stat_u64(x, name, atomic_load_explicit(&l->sum_ns[c], memory_order_relaxed));
        cum = 0;
        for (unsigned b = 0; b < LATENCY_BUCKETS; b++) {
            cum += atomic_load_explicit(&l->count[c][b], memory_order_relaxed);
            uint64_t bound = latency_bound_ns(b);
            if (bound > 0)
                snprintf(name, sizeof(name), "%s:le_%" PRIu64, cls, bound);
            else
                snprintf(name, sizeof(name), "%s:le_inf", cls);
            stat_u64(x, name, cum);
        }
    }
    free(l);
    end(x);
}

/* The group is the first word. memcached 1.6.45 matches reset, detail,
 * settings, cachedump and conns as prefixes ("stats r" resets; "stats c"
 * is cachedump, which mnemo does not have), in that order, then the rest
 * exactly; words after the group are ignored ("stats items x"). */
void stats_command(struct exec_ctx *x, const char *arg, size_t narg)
{
    size_t n = 0;
    while (n < narg && arg[n] != ' ')
        n++;
    if (narg == 0) {
        stats_general(x);
    } else if (word_is(arg, narg, "reset")) {
        stats_reset(x->srv);
        struct response rsp = {.kind = RSP_RESET};
        exec_emit(x, &rsp, NULL);
    } else if (word_is(arg, narg, "detail")) {
        if (!x->srv->cfg.dump_enabled) /* -X, as memcached */
            exec_reply_message(x, RSP_CLIENT_ERROR, RSP_EDISABLED, "stats detail not allowed");
        else
            stats_detail(x, arg, narg);
    } else if (word_is(arg, narg, "settings")) {
        stats_settings(x);
    } else if (word_is(arg, narg, "conns") && !word_is(arg, narg, "cachedump")) {
        stats_conns(x);
    } else if (arg_is(arg, n, "items")) {
        stats_items(x);
    } else if (arg_is(arg, n, "slabs")) {
        stats_slabs(x);
    } else if (arg_is(arg, n, "persistence")) {
        stats_persistence(x);
    } else if (arg_is(arg, n, "replication")) {
        stats_replication(x);
    } else if (arg_is(arg, n, "latency")) {
        stats_latency(x);
    } else if (arg_is(arg, n, "digest")) {
        stats_digest(x);
    } else if (arg_is(arg, n, "sizes")) {
        /* 1.6.45 tracks sizes only when started with -o track_sizes,
         * which has nothing to histogram here (no slab classes) */
        stat_str(x, "sizes_status", "disabled");
        end(x);
    } else {
        /* memcached answers an unknown group with a bare ERROR. */
        struct response rsp = {.kind = RSP_ERROR};
        exec_emit(x, &rsp, NULL);
    }
}
