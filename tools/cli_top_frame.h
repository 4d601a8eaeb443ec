/*
 * cli_top_frame.h: the figures of `mnemo-cli top`, from two samples of
 * each server's stats, and the text of one frame.  Pure: no sockets, no
 * terminal (cli_top.c does both), so the arithmetic stays testable.
 */
#ifndef MNEMO_TOOLS_CLI_TOP_FRAME_H
#define MNEMO_TOOLS_CLI_TOP_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The stats lines top reads, by their memcached names (the table in
 * cli_top_frame.c maps name to slot). */
enum top_stat {
    TOP_CMD_GET, TOP_CMD_SET, TOP_GET_HITS, TOP_GET_MISSES,
    TOP_DELETE_HITS, TOP_DELETE_MISSES, TOP_INCR_HITS, TOP_INCR_MISSES,
    TOP_DECR_HITS, TOP_DECR_MISSES, TOP_TOUCH_HITS, TOP_TOUCH_MISSES,
    TOP_CAS_HITS, TOP_CAS_MISSES, TOP_CAS_BADVAL,
    TOP_EVICTIONS, TOP_RECLAIMED, TOP_EXPIRED_UNFETCHED,
    TOP_BYTES, TOP_LIMIT_MAXBYTES, TOP_CURR_ITEMS, TOP_CURR_CONNECTIONS,
    TOP_NSTATS
};

enum top_role { TOP_ROLE_NONE, TOP_ROLE_PRIMARY, TOP_ROLE_REPLICA };

/* A latency histogram as `stats latency` gives it, every command summed:
 * cumulative counts by upper bound in ns (UINT64_MAX: +Inf), bounds
 * ascending.  Taken from the names ("get:le_1024"), so top needs no copy
 * of the server's bucket table. */
#define TOP_HIST_MAX 64
struct top_hist {
    int n;
    uint64_t le[TOP_HIST_MAX];
    uint64_t cum[TOP_HIST_MAX];
};

/* One answer of one server: the general group and, if it answered that
 * too, `stats replication`. */
struct top_sample {
    int ok;            /* the general group answered */
    int status;        /* its mnemo_status when not ok */
    double t;          /* CLOCK_MONOTONIC seconds when the answer came */
    uint64_t v[TOP_NSTATS];
    enum top_role role;
    uint64_t connected_replicas;
    int has_lat;          /* it answered `stats latency` */
    struct top_hist lat;
};

/* Per second over the interval between two samples. */
enum top_rate {
    RATE_GET, RATE_SET, RATE_DELETE, RATE_INCR, RATE_DECR, RATE_TOUCH, RATE_CAS,
    RATE_HITS, RATE_MISSES, RATE_EVICTIONS, RATE_RECLAIMED, RATE_UNFETCHED,
    TOP_NRATES
};

/* A line of the frame: a server, or the total of those that answered. */
struct top_row {
    const char *name;
    int up;            /* the last sample answered */
    int status;        /* why not, when !up */
    int has_rates;     /* two answers in a row: the rates below mean something */
    double rate[TOP_NRATES];
    uint64_t bytes, limit, items, conns;
    const char *role;  /* "primary", "replica" or "-" */
    int has_lat;       /* two latency answers in a row: lat is the interval's */
    struct top_hist lat; /* the requests of the interval (cumulative by bound) */
};

/* Take one "name value" stats line into s (unknown names are ignored). */
void top_sample_stat(struct top_sample *s, const char *name, const char *value);
/* Take one line of `stats replication`. */
void top_sample_repl(struct top_sample *s, const char *name, const char *value);
/* Take one line of `stats latency` ("CMD:le_N" or "CMD:le_inf" lines are
 * added into s->lat, but for CMD "other", the admin commands; the rest is
 * ignored). */
void top_sample_latency(struct top_sample *s, const char *name, const char *value);

/* The q-quantile (0 < q < 1) of h in ns, interpolated linearly inside its
 * bucket as Prometheus' histogram_quantile does; a quantile in the +Inf
 * bucket is the last finite bound.  -1 when h counts nothing. */
double top_hist_quantile(const struct top_hist *h, double q);

/* The row of a server from its previous and current sample.  in_shard:
 * the server list gives it replicas (its role is shown even while none is
 * connected).  A counter that went down (restart, stats reset) counts 0
 * for that interval rather than a negative rate. */
void top_row_server(struct top_row *r, const char *name, const struct top_sample *prev,
                    const struct top_sample *cur, int in_shard);
/* The total over rows[0..n): rates of the rows with rates, amounts of the
 * rows that answered. */
void top_row_total(struct top_row *total, const struct top_row *rows, size_t n);

struct top_frame_info {
    size_t nservers, answering;
    double interval_s;
    const char *hint;  /* a last header word, e.g. "q quits"; may be NULL */
};

/* Write the frame: a header, the column titles, a row per server, the
 * total when there are several, and what top cannot show.  Each line ends
 * in eol ("\n", or "\033[K\n" to clear what a longer line left on a
 * terminal); lines are cut at width columns when width > 0. */
void top_frame_write(FILE *out, const struct top_frame_info *fi, const struct top_row *rows,
                     size_t n, const struct top_row *total, const char *eol, int width);

/* One line of a frame: line (cut at width columns when width > 0, in
 * place), then eol. */
void top_line_write(FILE *out, char *line, const char *eol, int width);

#endif
