/*
 * metrics_durable.c: see metrics_durable.h. The figures arrive as the
 * name/value text pairs of persist_stats() and repl_stats(); they are
 * gathered into a small table, then written as families in seconds and
 * bytes, Prometheus' base units (the stats lines are in usec and ms).
 */
#include "server/metrics_durable.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics/expo.h"
#include "persist/persist.h"
#include "repl/repl.h"
#include "server/server.h"

/* Lines of one stats group: persistence has 27, replication 14 and one
 * per replica (at most REPL_MAX_REPLICAS). */
#define PAIRS_MAX (32 + REPL_MAX_REPLICAS)

struct pairs {
    int n;
    struct {
        char name[40];
        char value[320];
    } kv[PAIRS_MAX];
};

static void pairs_add(void *arg, const char *name, const char *value)
{
    struct pairs *p = arg;
    if (p->n == PAIRS_MAX)
        return;
    snprintf(p->kv[p->n].name, sizeof(p->kv[p->n].name), "%s", name);
    snprintf(p->kv[p->n].value, sizeof(p->kv[p->n].value), "%s", value);
    p->n++;
}

static const char *pairs_get(const struct pairs *p, const char *name)
{
    for (int i = 0; i < p->n; i++) {
        if (strcmp(p->kv[i].name, name) == 0)
            return p->kv[i].value;
    }
    return NULL;
}

/* The line's number (0 when it is missing). */
static uint64_t pairs_u64(const struct pairs *p, const char *name)
{
    const char *v = pairs_get(p, name);
    return v != NULL ? strtoull(v, NULL, 10) : 0;
}

/* A stats line shown as an unlabelled family: its value times scale. */
struct mapping {
    const char *stat, *name;
    enum expo_type type;
    double scale; /* 1: the number as it is; else shown as a float (usec -> s) */
    const char *help;
};

#define NROWS(rows) (sizeof(rows) / sizeof(rows[0]))

/* Each mapping whose line is there (a missing line is no family). */
static void map_rows(struct expo *e, const struct pairs *p, const struct mapping *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct mapping *r = &rows[i];
        if (pairs_get(p, r->stat) == NULL)
            continue;
        if (r->scale == 1)
            expo_one_u64(e, r->name, r->type, r->help, pairs_u64(p, r->stat));
        else
            expo_one_f64(e, r->name, r->type, r->help, (double)pairs_u64(p, r->stat) * r->scale);
    }
}

static const struct mapping log_rows[] = {
    {"log_bytes", "mnemo_persist_log_bytes", EXPO_GAUGE, 1,
     "Bytes of all append log segments in the directory."},
    {"records_written", "mnemo_persist_log_records_total", EXPO_COUNTER, 1,
     "Records written to the append log."},
    {"bytes_written", "mnemo_persist_log_written_bytes_total", EXPO_COUNTER, 1,
     "Bytes of records appended to the append log (to its tail in shared memory)."},
    {"writes", "mnemo_persist_log_writes_total", EXPO_COUNTER, 1,
     "Writes of the log's tail to its segment files."},
    {"tail_waits", "mnemo_persist_log_tail_waits_total", EXPO_COUNTER, 1,
     "Appends that waited for room in the log's tail (the disk behind)."},
    {"log_segments_recycled", "mnemo_persist_log_segments_recycled_total", EXPO_COUNTER, 1,
     "Log segments written over the file of a segment a snapshot made redundant."},
    {"write_errors", "mnemo_persist_log_write_errors_total", EXPO_COUNTER, 1,
     "Failed writes or fsyncs of the append log."},
    {"snapshots", "mnemo_persist_snapshots_total", EXPO_COUNTER, 1, "Snapshots written."},
    {"snapshot_errors", "mnemo_persist_snapshot_errors_total", EXPO_COUNTER, 1,
     "Snapshots that failed."},
    {"snapshot_in_progress", "mnemo_persist_snapshot_in_progress", EXPO_GAUGE, 1,
     "1 while a snapshot is being written."},
    {"recovered_items", "mnemo_persist_recovered_items", EXPO_GAUGE, 1,
     "Items recovered at start from the snapshot and the log."},
    {"recovery_usec", "mnemo_persist_recovery_duration_seconds", EXPO_GAUGE, 1e-6,
     "How long recovery took at start."},
};

/* Only once a snapshot was written. */
static const struct mapping last_snapshot_rows[] = {
    {"last_snapshot_time", "mnemo_persist_last_snapshot_timestamp_seconds", EXPO_GAUGE, 1,
     "Unix time the last snapshot was written."},
    {"last_snapshot_usec", "mnemo_persist_last_snapshot_duration_seconds", EXPO_GAUGE, 1e-6,
     "How long the last snapshot took."},
    {"last_snapshot_items", "mnemo_persist_last_snapshot_items", EXPO_GAUGE, 1,
     "Items in the last snapshot."},
};

/* The fsync histogram: persist counts each fsync in one of five bins
 * (fsync_usec_le_100 ... fsync_usec_gt_100000); Prometheus' buckets are
 * cumulative, with +Inf equal to the count. */
static void fsync_histogram(struct expo *e, const struct pairs *p)
{
    static const char *const name = "mnemo_persist_fsync_seconds";
    static const struct {
        const char *stat, *le;
    } bins[] = {{"fsync_usec_le_100", "0.0001"},     {"fsync_usec_le_1000", "0.001"},
                {"fsync_usec_le_10000", "0.01"},     {"fsync_usec_le_100000", "0.1"},
                {"fsync_usec_gt_100000", "+Inf"}};
    expo_family(e, name, EXPO_HISTOGRAM, "Time each fsync of the append log took.");
    uint64_t cum = 0;
    for (size_t i = 0; i < sizeof(bins) / sizeof(bins[0]); i++) {
        cum += pairs_u64(p, bins[i].stat);
        const char *labels[] = {"le", bins[i].le, NULL};
        expo_u64(e, "mnemo_persist_fsync_seconds_bucket", labels, cum);
    }
    expo_f64(e, "mnemo_persist_fsync_seconds_sum", NULL,
             (double)pairs_u64(p, "fsync_usec_total") / 1e6);
    expo_u64(e, "mnemo_persist_fsync_seconds_count", NULL, cum);
}

void metrics_durable_persist(struct expo *e, struct server *srv)
{
    expo_one_u64(e, "mnemo_persist_enabled", EXPO_GAUGE,
                 "Whether persistence is on (-o persist_dir).", srv->persist != NULL);
    if (srv->persist == NULL)
        return;
    struct pairs *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return;
    persist_stats(srv->persist, pairs_add, p);
    map_rows(e, p, log_rows, NROWS(log_rows));
    const char *state = pairs_get(p, "log_state");
    expo_one_u64(e, "mnemo_persist_log_healthy", EXPO_GAUGE,
                 "1 while the append log is written, 0 while writes are refused after an error.",
                 state != NULL && strcmp(state, "ok") == 0);
    fsync_histogram(e, p);
    uint64_t last = pairs_u64(p, "last_snapshot_time");
    if (last > 0) {
        /* no snapshot yet: no timestamp and no age, rather than 1970 */
        map_rows(e, p, last_snapshot_rows, NROWS(last_snapshot_rows));
        uint64_t now = (uint64_t)time(NULL);
        expo_one_u64(e, "mnemo_persist_last_snapshot_age_seconds", EXPO_GAUGE,
                     "Seconds since the last snapshot was written.", now > last ? now - last : 0);
    }
    free(p);
}

/* One field of a replica's line "addr=A,state=S,sent=N,...": its value
 * copied into out (empty when missing). */
static void field_of(const char *line, const char *key, char *out, size_t cap)
{
    size_t n = strlen(key);
    out[0] = '\0';
    for (const char *s = line; s != NULL; s = strchr(s, ',') ? strchr(s, ',') + 1 : NULL) {
        if (strncmp(s, key, n) == 0 && s[n] == '=') {
            size_t len = strcspn(s + n + 1, ",");
            if (len >= cap)
                len = cap - 1;
            memcpy(out, s + n + 1, len);
            out[len] = '\0';
            return;
        }
    }
}

/* The families of each replica fed from here, labelled replica="addr".
 * Two feeds to the same address (an old one not yet reaped) would make
 * two samples of one series, which the format forbids: the first wins. */
static void replicas(struct expo *e, const struct pairs *p)
{
    static const struct {
        const char *name, *field, *help;
        enum expo_type type;
        double scale;
    } fam[] = {
        {"mnemo_repl_replica_online", "state", "1 once the replica's full sync is done and it "
         "follows the stream, 0 while it syncs.", EXPO_GAUGE, 1},
        {"mnemo_repl_replica_sent_offset_bytes", "sent",
         "The stream offset sent to the replica.", EXPO_GAUGE, 1},
        {"mnemo_repl_replica_acked_offset_bytes", "acked",
         "The stream offset the replica acknowledged.", EXPO_GAUGE, 1},
        {"mnemo_repl_replica_lag_bytes", "lag_bytes",
         "How far the replica's acknowledged offset is behind the stream.", EXPO_GAUGE, 1},
        {"mnemo_repl_replica_lag_seconds", "lag_ms",
         "How long the replica's last acknowledgement took from the write it covers.", EXPO_GAUGE, 1e-3},
        {"mnemo_repl_replica_held_bytes", "held",
         "Stream bytes held for the replica beyond the backlog (it reads slower than the "
         "primary writes).", EXPO_GAUGE, 1},
    };
    char addr[PAIRS_MAX][160];
    const char *line[PAIRS_MAX];
    int n = 0;
    for (int i = 0; i < p->n; i++) {
        if (strncmp(p->kv[i].name, "replica", 7) != 0 || p->kv[i].name[7] < '0' ||
            p->kv[i].name[7] > '9')
            continue;
        field_of(p->kv[i].value, "addr", addr[n], sizeof(addr[n]));
        bool seen = false;
        for (int j = 0; j < n && !seen; j++)
            seen = strcmp(addr[j], addr[n]) == 0;
        if (!seen)
            line[n++] = p->kv[i].value;
    }
    for (size_t f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
        expo_family(e, fam[f].name, fam[f].type, fam[f].help);
        for (int i = 0; i < n; i++) {
            char v[64];
            field_of(line[i], fam[f].field, v, sizeof(v));
            const char *labels[] = {"replica", addr[i], NULL};
            if (f == 0)
                expo_u64(e, fam[f].name, labels, strcmp(v, "online") == 0);
            else if (fam[f].scale == 1)
                expo_u64(e, fam[f].name, labels, strtoull(v, NULL, 10));
            else
                expo_f64(e, fam[f].name, labels, (double)strtoull(v, NULL, 10) * fam[f].scale);
        }
    }
}

/* On a replica, its link; the first row is left out while it reads -1. */
static const struct mapping link_rows[] = {
    {"primary_last_io_seconds_ago", "mnemo_repl_link_last_io_age_seconds", EXPO_GAUGE, 1,
     "On a replica: seconds since the primary last sent anything."},
    {"full_syncs", "mnemo_repl_link_full_syncs_total", EXPO_COUNTER, 1,
     "On a replica: full syncs taken from the primary."},
    {"partial_syncs", "mnemo_repl_link_partial_syncs_total", EXPO_COUNTER, 1,
     "On a replica: times it continued the primary's stream after a reconnect."},
    {"link_errors", "mnemo_repl_link_errors_total", EXPO_COUNTER, 1,
     "On a replica: times the link to the primary failed."},
    {"records_applied", "mnemo_repl_link_records_applied_total", EXPO_COUNTER, 1,
     "On a replica: stream records applied."},
};

/* On a replica: its link to the primary. */
static void link_to_primary(struct expo *e, const struct pairs *p)
{
    const char *primary = pairs_get(p, "primary");
    const char *status = pairs_get(p, "primary_link_status");
    if (primary == NULL || status == NULL)
        return;
    expo_family(e, "mnemo_repl_link_up", EXPO_GAUGE,
                "On a replica: 1 while its link to the primary streams, 0 while it connects "
                "or syncs.");
    const char *labels[] = {"primary", primary, NULL};
    expo_u64(e, "mnemo_repl_link_up", labels, strcmp(status, "up") == 0);
    const char *tls = pairs_get(p, "link_tls");
    if (tls != NULL) {
        expo_family(e, "mnemo_repl_link_tls", EXPO_GAUGE,
                    "On a replica: 1 when its link to the primary speaks TLS (-o replica_tls).");
        expo_u64(e, "mnemo_repl_link_tls", labels, strcmp(tls, "yes") == 0);
    }
    const char *io = pairs_get(p, "primary_last_io_seconds_ago");
    /* -1 until the primary sent anything: no family then */
    size_t skip = io != NULL && io[0] == '-';
    map_rows(e, p, link_rows + skip, NROWS(link_rows) - skip);
}

static const struct mapping stream_rows[] = {
    {"repl_offset", "mnemo_repl_offset_bytes", EXPO_GAUGE, 1,
     "The replication stream's end: bytes of stream since it began."},
    {"repl_backlog_first_offset", "mnemo_repl_backlog_first_offset_bytes", EXPO_GAUGE, 1,
     "The oldest stream offset the backlog still holds."},
    {"repl_backlog_bytes", "mnemo_repl_backlog_bytes", EXPO_GAUGE, 1,
     "Bytes of stream the backlog holds."},
    {"repl_backlog_size", "mnemo_repl_backlog_size_bytes", EXPO_GAUGE, 1,
     "The backlog's capacity (-o repl_backlog_size)."},
    {"connected_replicas", "mnemo_repl_connected_replicas", EXPO_GAUGE, 1,
     "Replicas fed from this server now (syncing or streaming)."},
    {"full_syncs_served", "mnemo_repl_full_syncs_served_total", EXPO_COUNTER, 1,
     "Full syncs served to replicas."},
    {"partial_syncs_served", "mnemo_repl_partial_syncs_served_total", EXPO_COUNTER, 1,
     "Replicas that continued the stream from the backlog."},
};

void metrics_durable_repl(struct expo *e, struct server *srv)
{
    if (srv->repl == NULL)
        return;
    struct pairs *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return;
    repl_stats(srv->repl, pairs_add, p);
    const char *role = pairs_get(p, "role");
    expo_family(e, "mnemo_repl_role", EXPO_GAUGE,
                "The server's replication role: 1 for the role it has, 0 for the other.");
    const char *primary[] = {"role", "primary", NULL}, *replica[] = {"role", "replica", NULL};
    bool is_replica = role != NULL && strcmp(role, "replica") == 0;
    expo_u64(e, "mnemo_repl_role", primary, !is_replica);
    expo_u64(e, "mnemo_repl_role", replica, is_replica);
    map_rows(e, p, stream_rows, NROWS(stream_rows));
    replicas(e, p);
    link_to_primary(e, p);
    free(p);
}
