/*
 * metrics_source.c: see metrics_source.h. memcached_exporter reads "stats"
 * and "stats settings" and renames each figure; this file does the same
 * from the server's own sources, with the exporter's names, labels and
 * types, except memcached_uptime_seconds, a gauge here (the exporter calls
 * it a counter, which the format wants named *_total). Persistence and
 * replication come through persist_stats() and repl_stats(), the very
 * lines "stats persistence" and "stats replication" print, so the two
 * views cannot disagree.
 */
#include "server/metrics_source.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "common/clock.h"
#include "metrics/expo.h"
#include "net/tls.h"
#include "server/metrics_durable.h"
#include "server/server.h"
#include "server/stats.h"
#include "server/worker.h"
#include "store/store.h"

#define LOAD(ts, field) atomic_load_explicit(&(ts)->field, memory_order_relaxed)

/* ---- memcached's figures ------------------------------------------------------ */

/* memcached_commands_total{command,status}, as the exporter derives it:
 * set is cmd_set less the cas commands (memcached counts those in both),
 * flush is cmd_flush as status "hit". */
static void commands(struct expo *e, const struct thread_stats *t)
{
    static const char *const name = "memcached_commands_total";
    static const struct {
        const char *command, *status;
        size_t off;
    } rows[] = {
#define ROW(cmd, status, field) {cmd, status, offsetof(struct thread_stats, field)}
        ROW("get", "hit", get_hits),       ROW("get", "miss", get_misses),
        ROW("delete", "hit", delete_hits), ROW("delete", "miss", delete_misses),
        ROW("incr", "hit", incr_hits),     ROW("incr", "miss", incr_misses),
        ROW("decr", "hit", decr_hits),     ROW("decr", "miss", decr_misses),
        ROW("cas", "hit", cas_hits),       ROW("cas", "miss", cas_misses),
        ROW("cas", "badval", cas_badval),  ROW("touch", "hit", touch_hits),
        ROW("touch", "miss", touch_misses), ROW("flush", "hit", cmd_flush),
#undef ROW
    };
    expo_family(e, name, EXPO_COUNTER,
                "Total number of all requests broken down by command (get, set, etc.) and status.");
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const _Atomic uint64_t *v =
            (const _Atomic uint64_t *)(const void *)((const char *)t + rows[i].off);
        const char *labels[] = {"command", rows[i].command, "status", rows[i].status, NULL};
        expo_u64(e, name, labels, atomic_load_explicit(v, memory_order_relaxed));
    }
    uint64_t cas = LOAD(t, cas_hits) + LOAD(t, cas_misses) + LOAD(t, cas_badval);
    uint64_t set = LOAD(t, cmd_set);
    const char *labels[] = {"command", "set", "status", "hit", NULL};
    expo_u64(e, name, labels, set > cas ? set - cas : 0);
}

static void process(struct expo *e, struct server *srv)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    expo_one_u64(e, "memcached_up", EXPO_GAUGE, "Could the memcached server be reached.", 1);
    uint32_t now = clock_now(); /* one reading for both, as in stats */
    expo_one_u64(e, "memcached_uptime_seconds", EXPO_GAUGE,
                 "Number of seconds since the server started.", now - CLOCK_EPOCH_OFFSET);
    expo_one_u64(e, "memcached_time_seconds", EXPO_GAUGE,
                 "current UNIX time according to the server.", (uint64_t)clock_to_unix(now));
    expo_family(e, "memcached_version", EXPO_GAUGE, "The version of this memcached server.");
    const char *v[] = {"version", SERVER_VERSION, NULL};
    expo_u64(e, "memcached_version", v, 1);
    expo_family(e, "mnemo_version", EXPO_GAUGE, "The version of mnemod.");
    const char *mv[] = {"version", MNEMO_VERSION, NULL};
    expo_u64(e, "mnemo_version", mv, 1);
    expo_one_f64(e, "memcached_process_user_cpu_seconds_total", EXPO_COUNTER,
                 "Accumulated user time for this process.",
                 (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6);
    expo_one_f64(e, "memcached_process_system_cpu_seconds_total", EXPO_COUNTER,
                 "Accumulated system time for this process.",
                 (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
}

static void connections(struct expo *e, struct server *srv, const struct thread_stats *t)
{
    expo_one_u64(e, "memcached_current_connections", EXPO_GAUGE,
                 "Current number of open connections.",
                 (uint64_t)atomic_load(&srv->curr_conns));
    expo_one_u64(e, "memcached_max_connections", EXPO_GAUGE, "Maximum number of clients allowed.",
                 (uint64_t)srv->cfg.maxconns);
    expo_one_u64(e, "memcached_connections_total", EXPO_COUNTER,
                 "Total number of connections opened since the server started running.",
                 LOAD(t, total_connections));
    expo_one_u64(e, "memcached_connections_rejected_total", EXPO_COUNTER,
                 "Total number of connections rejected due to hitting the -c limit.",
                 atomic_load(&srv->rejected_conns));
    expo_one_u64(e, "memcached_connections_yielded_total", EXPO_COUNTER,
                 "Total number of connections yielded running due to hitting the -R limit.",
                 LOAD(t, conn_yields));
    expo_one_u64(e, "mnemo_tls_on_plain_port_total", EXPO_COUNTER,
                 "TLS handshakes that reached a plain-text listener (closed at once).",
                 atomic_load(&srv->tls_on_plain));
    /* mnemo refuses connections over -c instead of pausing its listener */
    expo_one_u64(e, "memcached_connections_listener_disabled_total", EXPO_COUNTER,
                 "Number of times the server hit its connections limit and disabled its listener.",
                 0);
    expo_one_u64(e, "memcached_accepting_connections", EXPO_GAUGE,
                 "The server is currently accepting new connections.", 1);
    expo_one_u64(e, "memcached_read_bytes_total", EXPO_COUNTER,
                 "Total number of bytes read by this server from network.", LOAD(t, bytes_read));
    expo_one_u64(e, "memcached_written_bytes_total", EXPO_COUNTER,
                 "Total number of bytes sent by this server to network.", LOAD(t, bytes_written));
}

static void items(struct expo *e, struct server *srv, const struct thread_stats *t)
{
    struct store_stats st;
    struct admin_state a;
    store_stats(srv->store, &st);
    admin_snapshot(&srv->admin, &a);
    expo_one_u64(e, "memcached_current_bytes", EXPO_GAUGE,
                 "Current number of bytes used to store items.", st.bytes);
    expo_one_u64(e, "memcached_limit_bytes", EXPO_GAUGE,
                 "Number of bytes this server is allowed to use for storage.", st.limit_maxbytes);
    /* stats slabs' total_malloced: the item memory taken so far */
    expo_one_u64(e, "memcached_malloced_bytes", EXPO_GAUGE,
                 "Number of bytes of memory allocated to item storage.", st.arena_bytes);
    expo_one_u64(e, "memcached_current_items", EXPO_GAUGE,
                 "Current number of items stored by this instance.", st.curr_items);
    expo_one_u64(e, "memcached_items_total", EXPO_COUNTER,
                 "Total number of items stored during the life of this instance.", st.total_items);
    expo_one_u64(e, "memcached_items_evicted_total", EXPO_COUNTER,
                 "Total number of valid items removed from cache to free memory for new items.",
                 st.evictions);
    expo_one_u64(e, "memcached_items_reclaimed_total", EXPO_COUNTER,
                 "Total number of times an entry was stored using memory from an expired entry.",
                 st.reclaimed);
    expo_one_u64(e, "memcached_item_too_large_total", EXPO_COUNTER,
                 "The number of times an item exceeded the max-item-size when being stored.",
                 LOAD(t, store_too_large));
    expo_one_u64(e, "memcached_item_no_memory_total", EXPO_COUNTER,
                 "The number of times an item could not be stored due to no more memory.",
                 LOAD(t, store_no_memory));
    expo_one_u64(e, "memcached_lru_crawler_starts_total", EXPO_COUNTER,
                 "Times an LRU crawler was started.", a.crawler_starts);
    expo_one_u64(e, "memcached_lru_crawler_reclaimed_total", EXPO_COUNTER,
                 "Total items freed by LRU Crawler.", a.crawler_reclaimed);
    expo_one_u64(e, "memcached_lru_crawler_items_checked_total", EXPO_COUNTER,
                 "Total items examined by LRU Crawler.", a.crawler_items_checked);
}

/* ---- mnemo's own: load per worker thread ------------------------------------ */

static void per_thread(struct expo *e, struct server *srv)
{
    static const struct {
        const char *name, *help;
    } fam[] = {
        {"mnemo_thread_commands_total",
         "Commands a worker thread ran: memcached's cmd_get, cmd_set, cmd_touch, cmd_flush and "
         "delete, incr, decr hits and misses."},
        {"mnemo_thread_read_bytes_total", "Bytes a worker thread read from its connections."},
        {"mnemo_thread_written_bytes_total", "Bytes a worker thread sent to its connections."},
        {"mnemo_thread_connections_total", "Connections handed to a worker thread."},
    };
    for (size_t f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
        expo_family(e, fam[f].name, EXPO_COUNTER, fam[f].help);
        for (int i = 0; i < srv->nworkers; i++) {
            const struct thread_stats *t = &srv->workers[i]->stats;
            char id[16];
            snprintf(id, sizeof(id), "%d", i);
            const char *labels[] = {"thread", id, NULL};
            uint64_t v;
            if (f == 0)
                v = LOAD(t, cmd_get) + LOAD(t, cmd_set) + LOAD(t, cmd_touch) + LOAD(t, cmd_flush) +
                    LOAD(t, delete_hits) + LOAD(t, delete_misses) + LOAD(t, incr_hits) +
                    LOAD(t, incr_misses) + LOAD(t, decr_hits) + LOAD(t, decr_misses);
            else if (f == 1)
                v = LOAD(t, bytes_read);
            else if (f == 2)
                v = LOAD(t, bytes_written);
            else
                v = LOAD(t, total_connections);
            expo_u64(e, fam[f].name, labels, v);
        }
    }
}

/* mnemo_command_duration_seconds{command}: the service time histograms of
 * latency.h, a command's series once it has run (as "stats latency"). */
static void latency(struct expo *e, struct server *srv)
{
    static const char *const name = "mnemo_command_duration_seconds";
    struct latency_stats *l = malloc(sizeof(*l));
    if (l == NULL)
        return;
    stats_latency_aggregate(srv, l);
    expo_family(e, name, EXPO_HISTOGRAM,
                "Time a command took inside the server, from the worker starting on it to its "
                "reply queued (not the network, not the append log's fsync).");
    for (int c = 0; c < LATENCY_NCLASSES; c++) {
        const char *cmd = latency_class_name((enum latency_class)c);
        uint64_t cum = 0;
        for (unsigned b = 0; b < LATENCY_BUCKETS; b++)
            cum += atomic_load_explicit(&l->count[c][b], memory_order_relaxed);
        if (cum == 0)
            continue;
        cum = 0;
        for (unsigned b = 0; b < LATENCY_BUCKETS; b++) {
            char le[32];
            cum += atomic_load_explicit(&l->count[c][b], memory_order_relaxed);
            const char *labels[] = {"command", cmd, "le", latency_le_seconds(b, le, sizeof(le)),
                                    NULL};
            expo_u64(e, "mnemo_command_duration_seconds_bucket", labels, cum);
        }
        const char *labels[] = {"command", cmd, NULL};
        expo_f64(e, "mnemo_command_duration_seconds_sum", labels,
                 (double)atomic_load_explicit(&l->sum_ns[c], memory_order_relaxed) / 1e9);
        expo_u64(e, "mnemo_command_duration_seconds_count", labels, cum);
    }
    free(l);
}

/* -Z: "stats"'s ssl_* counters (memcached_exporter has none; named as its
 * figures are). */
static void tls(struct expo *e, struct server *srv)
{
    struct tls_counters tc;
    if (srv->tls == NULL)
        return;
    tls_server_counters(srv->tls, &tc);
    expo_one_u64(e, "memcached_ssl_handshake_errors_total", EXPO_COUNTER,
                 "TLS handshakes that failed or timed out.", tc.handshake_errors);
    expo_one_u64(e, "memcached_ssl_proto_errors_total", EXPO_COUNTER,
                 "TLS protocol errors after the handshake.", tc.proto_errors);
    if (srv->cfg.ssl_session_cache)
        expo_one_u64(e, "memcached_ssl_new_sessions_total", EXPO_COUNTER,
                     "TLS sessions negotiated into the session cache.", tc.new_sessions);
    int64_t since = (int64_t)time(NULL) - tls_server_loaded_at(srv->tls);
    expo_one_u64(e, "memcached_time_since_server_cert_refresh_seconds", EXPO_GAUGE,
                 "Seconds since the TLS certificate was last loaded.",
                 since > 0 ? (uint64_t)since : 0);
}

void metrics_source_collect(struct expo *out, void *arg)
{
    struct server *srv = arg;
    struct thread_stats t;
    stats_aggregate(srv, &t);
    process(out, srv);
    commands(out, &t);
    connections(out, srv, &t);
    tls(out, srv);
    items(out, srv, &t);
    per_thread(out, srv);
    latency(out, srv);
    metrics_durable_persist(out, srv);
    metrics_durable_repl(out, srv);
}
