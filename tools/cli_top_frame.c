/*
 * cli_top_frame.c: see cli_top_frame.h.  Knows the stats names and the
 * frame's layout; knows nothing of sockets or terminals.
 */
#include "cli_top_frame.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mnemo/mnemo.h"

static const char *const stat_names[TOP_NSTATS] = {
    [TOP_CMD_GET] = "cmd_get",
    [TOP_CMD_SET] = "cmd_set",
    [TOP_GET_HITS] = "get_hits",
    [TOP_GET_MISSES] = "get_misses",
    [TOP_DELETE_HITS] = "delete_hits",
    [TOP_DELETE_MISSES] = "delete_misses",
    [TOP_INCR_HITS] = "incr_hits",
    [TOP_INCR_MISSES] = "incr_misses",
    [TOP_DECR_HITS] = "decr_hits",
    [TOP_DECR_MISSES] = "decr_misses",
    [TOP_TOUCH_HITS] = "touch_hits",
    [TOP_TOUCH_MISSES] = "touch_misses",
    [TOP_CAS_HITS] = "cas_hits",
    [TOP_CAS_MISSES] = "cas_misses",
    [TOP_CAS_BADVAL] = "cas_badval",
    [TOP_EVICTIONS] = "evictions",
    [TOP_RECLAIMED] = "reclaimed",
    [TOP_EXPIRED_UNFETCHED] = "expired_unfetched",
    [TOP_BYTES] = "bytes",
    [TOP_LIMIT_MAXBYTES] = "limit_maxbytes",
    [TOP_CURR_ITEMS] = "curr_items",
    [TOP_CURR_CONNECTIONS] = "curr_connections",
};

void top_sample_stat(struct top_sample *s, const char *name, const char *value)
{
    for (int i = 0; i < TOP_NSTATS; i++) {
        if (strcmp(name, stat_names[i]) == 0) {
            s->v[i] = strtoull(value, NULL, 10);
            return;
        }
    }
}

void top_sample_repl(struct top_sample *s, const char *name, const char *value)
{
    if (strcmp(name, "role") == 0)
        s->role = strcmp(value, "replica") == 0   ? TOP_ROLE_REPLICA
                  : strcmp(value, "primary") == 0 ? TOP_ROLE_PRIMARY
                                                  : TOP_ROLE_NONE;
    else if (strcmp(name, "connected_replicas") == 0)
        s->connected_replicas = strtoull(value, NULL, 10);
}

/* The slot of bound le in h, made in order when new; -1 when h is full. */
static int hist_slot(struct top_hist *h, uint64_t le)
{
    int i = 0;
    while (i < h->n && h->le[i] < le)
        i++;
    if (i < h->n && h->le[i] == le)
        return i;
    if (h->n == TOP_HIST_MAX)
        return -1;
    memmove(&h->le[i + 1], &h->le[i], (size_t)(h->n - i) * sizeof(h->le[0]));
    memmove(&h->cum[i + 1], &h->cum[i], (size_t)(h->n - i) * sizeof(h->cum[0]));
    h->le[i] = le;
    h->cum[i] = 0;
    h->n++;
    return i;
}

/* Cumulative counts add up bound by bound as long as every command has
 * the same bounds, which mnemod's fixed buckets guarantee. */
static void hist_add(struct top_hist *h, uint64_t le, uint64_t cum)
{
    int i = hist_slot(h, le);
    if (i >= 0)
        h->cum[i] += cum;
}

void top_sample_latency(struct top_sample *s, const char *name, const char *value)
{
    const char *p = strstr(name, ":le_");
    uint64_t le;
    if (p == NULL)
        return; /* CMD:count, CMD:sum_ns */
    /* The admin commands, top's own stats among them, would make an idle
     * server look busy: the percentiles are the data commands'. */
    if ((size_t)(p - name) == 5 && memcmp(name, "other", 5) == 0)
        return;
    p += 4;
    if (strcmp(p, "inf") == 0) {
        le = UINT64_MAX;
    } else {
        char *end;
        le = strtoull(p, &end, 10);
        if (end == p || *end != '\0')
            return;
    }
    s->has_lat = 1;
    hist_add(&s->lat, le, strtoull(value, NULL, 10));
}

/* d = c - p, bound by bound; 0 (and d unusable) when a count went down:
 * a restart or `stats reset` in the interval. */
static int hist_delta(struct top_hist *d, const struct top_hist *p, const struct top_hist *c)
{
    memset(d, 0, sizeof(*d));
    for (int i = 0; i < c->n; i++) {
        uint64_t before = 0;
        for (int j = 0; j < p->n; j++)
            if (p->le[j] == c->le[i])
                before = p->cum[j];
        if (c->cum[i] < before)
            return 0;
        hist_add(d, c->le[i], c->cum[i] - before);
    }
    return 1;
}

double top_hist_quantile(const struct top_hist *h, double q)
{
    if (h->n == 0 || h->cum[h->n - 1] == 0)
        return -1;
    double rank = q * (double)h->cum[h->n - 1], lo_le = 0;
    uint64_t lo_cum = 0;
    for (int i = 0; i < h->n; i++) {
        if ((double)h->cum[i] >= rank && h->cum[i] > lo_cum) {
            if (h->le[i] == UINT64_MAX)
                return lo_le; /* beyond the last bound: all that can be said */
            double in = (double)(h->cum[i] - lo_cum);
            return lo_le + ((double)h->le[i] - lo_le) * ((rank - (double)lo_cum) / in);
        }
        lo_cum = h->cum[i];
        if (h->le[i] != UINT64_MAX)
            lo_le = (double)h->le[i];
    }
    return lo_le;
}

/* Counters only grow while the process lives; a smaller value means a
 * restart or `stats reset`, and the interval's rate is then unknown: 0. */
static double delta(const struct top_sample *p, const struct top_sample *c, enum top_stat i)
{
    return c->v[i] >= p->v[i] ? (double)(c->v[i] - p->v[i]) : 0.0;
}

static const char *role_name(const struct top_sample *s, int in_shard)
{
    /* Every mnemod says "primary"; that is news only where replication
     * is in use: a shard with replicas, or replicas connected to it. */
    if (s->role == TOP_ROLE_REPLICA)
        return "replica";
    if (s->role == TOP_ROLE_PRIMARY && (in_shard || s->connected_replicas > 0))
        return "primary";
    return "-";
}

void top_row_server(struct top_row *r, const char *name, const struct top_sample *prev,
                    const struct top_sample *cur, int in_shard)
{
    memset(r, 0, sizeof(*r));
    r->name = name;
    r->up = cur->ok;
    r->status = cur->status;
    r->role = "-";
    if (!cur->ok)
        return;
    r->role = role_name(cur, in_shard);
    r->bytes = cur->v[TOP_BYTES];
    r->limit = cur->v[TOP_LIMIT_MAXBYTES];
    r->items = cur->v[TOP_CURR_ITEMS];
    r->conns = cur->v[TOP_CURR_CONNECTIONS];
    double dt = cur->t - prev->t;
    if (!prev->ok || dt <= 0)
        return;
    r->has_rates = 1;
    const struct top_sample *p = prev, *c = cur;
    r->rate[RATE_GET] = delta(p, c, TOP_CMD_GET) / dt;
    r->rate[RATE_SET] = delta(p, c, TOP_CMD_SET) / dt;
    r->rate[RATE_DELETE] = (delta(p, c, TOP_DELETE_HITS) + delta(p, c, TOP_DELETE_MISSES)) / dt;
    r->rate[RATE_INCR] = (delta(p, c, TOP_INCR_HITS) + delta(p, c, TOP_INCR_MISSES)) / dt;
    r->rate[RATE_DECR] = (delta(p, c, TOP_DECR_HITS) + delta(p, c, TOP_DECR_MISSES)) / dt;
    r->rate[RATE_TOUCH] = (delta(p, c, TOP_TOUCH_HITS) + delta(p, c, TOP_TOUCH_MISSES)) / dt;
    r->rate[RATE_CAS] = (delta(p, c, TOP_CAS_HITS) + delta(p, c, TOP_CAS_MISSES) +
                         delta(p, c, TOP_CAS_BADVAL)) / dt;
    r->rate[RATE_HITS] = delta(p, c, TOP_GET_HITS) / dt;
    r->rate[RATE_MISSES] = delta(p, c, TOP_GET_MISSES) / dt;
    r->rate[RATE_EVICTIONS] = delta(p, c, TOP_EVICTIONS) / dt;
    r->rate[RATE_RECLAIMED] = delta(p, c, TOP_RECLAIMED) / dt;
    r->rate[RATE_UNFETCHED] = delta(p, c, TOP_EXPIRED_UNFETCHED) / dt;
    if (p->has_lat && c->has_lat)
        r->has_lat = hist_delta(&r->lat, &p->lat, &c->lat);
}

void top_row_total(struct top_row *total, const struct top_row *rows, size_t n)
{
    memset(total, 0, sizeof(*total));
    total->name = "total";
    total->role = "";
    for (size_t i = 0; i < n; i++) {
        if (!rows[i].up)
            continue;
        total->up = 1;
        total->bytes += rows[i].bytes;
        total->limit += rows[i].limit;
        total->items += rows[i].items;
        total->conns += rows[i].conns;
        if (!rows[i].has_rates)
            continue;
        total->has_rates = 1;
        for (int k = 0; k < TOP_NRATES; k++)
            total->rate[k] += rows[i].rate[k];
        if (!rows[i].has_lat)
            continue;
        total->has_lat = 1;
        for (int k = 0; k < rows[i].lat.n; k++)
            hist_add(&total->lat, rows[i].lat.le[k], rows[i].lat.cum[k]);
    }
}

/* At most 7 characters: 12345.6, 1234567, 12.3M. */
static const char *fmt_rate(char *buf, size_t cap, double v)
{
    if (v < 99999.95)
        snprintf(buf, cap, "%.1f", v);
    else if (v < 9999999.5)
        snprintf(buf, cap, "%.0f", v);
    else
        snprintf(buf, cap, "%.1fM", v / 1e6);
    return buf;
}

/* At most 7 characters, binary units: 512B, 1.5K, 64.0M, 1.0T. */
static const char *fmt_bytes(char *buf, size_t cap, uint64_t b)
{
    static const char units[] = "KMGTPE";
    if (b < 1024) {
        snprintf(buf, cap, "%" PRIu64 "B", b);
        return buf;
    }
    double v = (double)b / 1024;
    int u = 0;
    while (v >= 1023.95 && units[u + 1] != '\0') {
        v /= 1024;
        u++;
    }
    snprintf(buf, cap, "%.1f%c", v, units[u]);
    return buf;
}

/* At most 7 characters: 850ns, 4.10us, 123.4us, 12.3ms, 1.07s. */
static const char *fmt_ns(char *buf, size_t cap, double ns)
{
    if (ns < 0)
        snprintf(buf, cap, "-");
    else if (ns < 999.5)
        snprintf(buf, cap, "%.0fns", ns);
    else if (ns < 9995)
        snprintf(buf, cap, "%.2fus", ns / 1e3);
    else if (ns < 999950)
        snprintf(buf, cap, "%.1fus", ns / 1e3);
    else if (ns < 999950000)
        snprintf(buf, cap, "%.1fms", ns / 1e6);
    else
        snprintf(buf, cap, "%.2fs", ns / 1e9);
    return buf;
}

static const double quantiles[] = {0.5, 0.99, 0.999};
static const char *const quantile_titles[] = {"p50", "p99", "p99.9"};
#define NQUANTILES (sizeof(quantiles) / sizeof(quantiles[0]))

static const char *const rate_titles[TOP_NRATES] = {
    "get/s", "set/s", "del/s", "incr/s", "decr/s", "touch/s", "cas/s",
    "hit/s", "miss/s", "evict/s", "expd/s", "unfet/s",
};

/* hit% sits after miss/s, the columns it is computed from. */
static size_t put_title(char *line, size_t cap)
{
    size_t n = (size_t)snprintf(line, cap, "%-21s %-7s", "server", "role");
    for (int k = 0; k < TOP_NRATES && n < cap; k++) {
        n += (size_t)snprintf(line + n, cap - n, " %7s", rate_titles[k]);
        if (k == RATE_MISSES && n < cap)
            n += (size_t)snprintf(line + n, cap - n, " %5s", "hit%");
    }
    if (n < cap)
        n += (size_t)snprintf(line + n, cap - n, " %5s %9s %7s %7s %5s %6s", "conns", "items",
                              "used", "limit", "mem%", "B/item");
    for (size_t k = 0; k < NQUANTILES && n < cap; k++)
        n += (size_t)snprintf(line + n, cap - n, " %7s", quantile_titles[k]);
    return n;
}

static void put_row(char *line, size_t cap, const struct top_row *r)
{
    char a[32], b[32], c[32], d[32];
    size_t n;

    if (!r->up) {
        snprintf(line, cap, "%-21s down: %s", r->name,
                 r->status != MNEMO_OK ? mnemo_strerror((mnemo_status)r->status) : "no server answered");
        return;
    }
    n = (size_t)snprintf(line, cap, "%-21s %-7s", r->name, r->role);
    for (int k = 0; k < TOP_NRATES && n < cap; k++) {
        n += (size_t)snprintf(line + n, cap - n, " %7s",
                              r->has_rates ? fmt_rate(a, sizeof(a), r->rate[k]) : "-");
        if (k == RATE_MISSES && n < cap) {
            double gets = r->rate[RATE_HITS] + r->rate[RATE_MISSES];
            if (r->has_rates && gets > 0)
                snprintf(a, sizeof(a), "%.1f", 100.0 * r->rate[RATE_HITS] / gets);
            else
                strcpy(a, "-");
            n += (size_t)snprintf(line + n, cap - n, " %5s", a);
        }
    }
    if (r->limit > 0)
        snprintf(c, sizeof(c), "%.1f", 100.0 * (double)r->bytes / (double)r->limit);
    else
        strcpy(c, "-");
    if (r->items > 0)
        snprintf(d, sizeof(d), "%" PRIu64, (r->bytes + r->items / 2) / r->items);
    else
        strcpy(d, "-");
    if (n < cap)
        n += (size_t)snprintf(line + n, cap - n, " %5" PRIu64 " %9" PRIu64 " %7s %7s %5s %6s",
                              r->conns, r->items, fmt_bytes(a, sizeof(a), r->bytes),
                              fmt_bytes(b, sizeof(b), r->limit), c, d);
    for (size_t k = 0; k < NQUANTILES && n < cap; k++)
        n += (size_t)snprintf(line + n, cap - n, " %7s",
                              fmt_ns(a, sizeof(a), r->has_lat ? top_hist_quantile(&r->lat, quantiles[k])
                                                              : -1));
}

void top_line_write(FILE *out, char *line, const char *eol, int width)
{
    if (width > 0 && strlen(line) > (size_t)width)
        line[width] = '\0';
    fputs(line, out);
    fputs(eol, out);
}

void top_frame_write(FILE *out, const struct top_frame_info *fi, const struct top_row *rows,
                     size_t n, const struct top_row *total, const char *eol, int width)
{
    char line[512], when[64];
    time_t now = time(NULL);
    struct tm tm;

    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime_r(&now, &tm));
    snprintf(line, sizeof(line), "mnemo-cli top: %zu server%s, %zu answering, every %.1f s, %s%s%s",
             fi->nservers, fi->nservers == 1 ? "" : "s", fi->answering, fi->interval_s, when,
             fi->hint ? "; " : "", fi->hint ? fi->hint : "");
    top_line_write(out, line, eol, width);
    put_title(line, sizeof(line));
    top_line_write(out, line, eol, width);
    for (size_t i = 0; i < n; i++) {
        put_row(line, sizeof(line), &rows[i]);
        top_line_write(out, line, eol, width);
    }
    if (total != NULL) {
        put_row(line, sizeof(line), total);
        top_line_write(out, line, eol, width);
    }
    /* What the percentiles are, and why a row may have none. */
    snprintf(line, sizeof(line),
             "p50 p99 p99.9: time a request took inside the server in the interval, the data "
             "commands (stats latency); - before two samples, with no requests, or where a server "
             "keeps none (memcached)");
    top_line_write(out, line, eol, width);
}
