/*
 * config_extended.c: the -o half of config.h. The table below is the one
 * place an -o option is declared; memcached 1.6.45's list (memcached.c
 * main(), its "-o" switch; storage.c for slab_automove_freeratio) and its
 * rules for each value are followed, so a command line memcached accepts
 * starts mnemod and one it refuses is refused here too. Numbers are read
 * strictly (memcached's atoi() reads "abc" as 0): a typo is an error at
 * start, not a surprising setting.
 *
 * It knows struct config and nothing of the server that reads it.
 */
#include "server/config.h"

#include <assert.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/hostport.h"
#include "repl/repl.h"

#define KB 1024u
#define MB (1024u * 1024u)

enum xkind {
    X_SET,     /* bool field = true; a value after '=' is ignored, as getsubopt() does */
    X_CLEAR,   /* bool field = false; likewise */
    X_INERT,   /* memcached accepts it and it does nothing there either */
    X_INT,     /* int field in [min, max]; a value is required */
    X_INT_OPT, /* as X_INT, and without a value the field becomes arg */
    X_UINT,    /* uint64 field: an unsigned 32-bit number times arg */
    X_U32,     /* uint32 field */
    X_DOUBLE,  /* double field, min < value <= max */
    X_ONOFF,   /* bool field: on|off */
    X_CUSTOM,  /* apply() reads the value */
    X_REFUSED, /* a feature mnemo lacks: every name that starts with name */
    X_STAT,    /* no option: a "stats settings" line only */
};

enum xstat { S_NONE, S_BOOL, S_ONOFF, S_INT, S_U32, S_U64, S_DOUBLE2, S_DOUBLE3, S_HASH, S_FSYNC,
             S_ALWAYS_NO /* a dead setting memcached still prints as "no" */ };

struct xopt {
    const char *name;
    enum xkind kind;
    size_t off;      /* the field in struct config */
    double min, max; /* X_INT, X_INT_OPT, X_DOUBLE */
    long arg;        /* X_UINT: multiplier; X_INT_OPT: value when none is given */
    int (*apply)(struct config *cfg, const char *val); /* X_CUSTOM: 0 or -1 */
    const char *stat;
    enum xstat fmt;
    const char *help;
    double def;      /* the field's default, in its own units (0: zero) */
};

#define F(field) offsetof(struct config, field)

static int apply_no_slab_automove(struct config *cfg, const char *val);
static int apply_slab_chunk_max(struct config *cfg, const char *val);
static int apply_no_chunked_items(struct config *cfg, const char *val);
static int apply_slab_sizes(struct config *cfg, const char *val);
static int apply_hash_algorithm(struct config *cfg, const char *val);
static int apply_lru_maintainer(struct config *cfg, const char *val);
static int apply_no_lru_maintainer(struct config *cfg, const char *val);
static int apply_temporary_ttl(struct config *cfg, const char *val);
static int apply_no_modern(struct config *cfg, const char *val);
static int apply_io_uring_bufs(struct config *cfg, const char *val);
static int apply_persist_dir(struct config *cfg, const char *val);
static int apply_replica_of(struct config *cfg, const char *val);
static int apply_replica_auth(struct config *cfg, const char *val);
static int apply_replica_tls_ca(struct config *cfg, const char *val);
static int apply_replica_tls_cert(struct config *cfg, const char *val);
static int apply_replica_tls_key(struct config *cfg, const char *val);
static int apply_replica_tls_server_name(struct config *cfg, const char *val);
static int apply_appendfsync(struct config *cfg, const char *val);
static int apply_metrics_port(struct config *cfg, const char *val);

/* In "stats settings" order (memcached's, then mnemo's own). A default
 * is memcached 1.6.45's (settings_init() and the threads main() starts);
 * a field two options share has it on one of them. */
static const struct xopt options[] = {
    {"maxconns_fast", X_SET, F(maxconns_fast), 0, 0, 0, NULL, "maxconns_fast", S_BOOL,
     "close new connections over the limit at once (mnemo always does); no_maxconns_fast: off", 1},
    {"no_maxconns_fast", X_CLEAR, F(maxconns_fast), 0, 0, 0, NULL, NULL, S_NONE, NULL, 0},
    {"hashpower", X_INT, F(hashpower_init), 12, 32, 0, NULL, "hashpower_init", S_INT,
     "=N: initial hash table power, 12..32 (mnemo's index grows by itself)", 0},
    {"no_hashexpand", X_CLEAR, F(hash_expand), 0, 0, 0, NULL, NULL, S_NONE,
     "do not grow the hash table (mnemo's index grows)", 1},
    {"slab_reassign", X_SET, F(slab_reassign), 0, 0, 0, NULL, "slab_reassign", S_BOOL,
     "move slab pages between classes (mnemo has no slab classes); no_slab_reassign: off", 1},
    {"no_slab_reassign", X_CLEAR, F(slab_reassign), 0, 0, 0, NULL, NULL, S_NONE, NULL, 0},
    {"slab_automove", X_INT_OPT, F(slab_automove), 0, 2, 1, NULL, "slab_automove", S_INT,
     "[=0|1|2]: how eagerly memcached moves slab pages (default 1); no_slab_automove: 0", 1},
    {"no_slab_automove", X_CUSTOM, 0, 0, 0, 0, apply_no_slab_automove, NULL, S_NONE, NULL, 0},
    {"slab_automove_ratio", X_DOUBLE, F(slab_automove_ratio), 0, 1, 0, NULL,
     "slab_automove_ratio", S_DOUBLE2, "=R: free-chunk ratio for automove, 0 < R <= 1", 0.8},
    {"slab_automove_window", X_INT, F(slab_automove_window), 3, 1800, 0, NULL,
     "slab_automove_window", S_INT, "=N: automove window, 3..1800", 10},
    {"slab_chunk_max", X_CUSTOM, F(slab_chunk_max), 0, 0, 0, apply_slab_chunk_max,
     "slab_chunk_max", S_INT, "=KB: largest slab chunk, 1..1024 KB; -I must be a multiple",
     CONFIG_SLAB_PAGE_SIZE / 2},
    {"no_chunked_items", X_CUSTOM, 0, 0, 0, 0, apply_no_chunked_items, NULL, S_NONE,
     "slab_chunk_max becomes the slab page (1 MB)", 0},
    {"slab_sizes", X_CUSTOM, 0, 0, 0, 0, apply_slab_sizes, NULL, S_NONE,
     "=A-B-...: explicit slab class sizes, rising by more than 8 bytes", 0},
    {"lru_crawler", X_SET, F(lru_crawler), 0, 0, 0, NULL, "lru_crawler", S_BOOL,
     "background reclaim of expired items; no_lru_crawler: off (they go when read or evicted)", 1},
    {"no_lru_crawler", X_CLEAR, F(lru_crawler), 0, 0, 0, NULL, NULL, S_NONE, NULL, 0},
    {"lru_crawler_sleep", X_INT, F(lru_crawler_sleep), 0, 1000000, 0, NULL,
     "lru_crawler_sleep", S_INT, "=US: crawler pause between items, 0..1000000", 100},
    {"lru_crawler_tocrawl", X_U32, F(lru_crawler_tocrawl), 0, 0, 0, NULL,
     "lru_crawler_tocrawl", S_U32, "=N: items per class per crawl (0 = all)", 0},
    {"tail_repair_time", X_INT, F(tail_repair_time), 10, INT_MAX, 0, NULL,
     "tail_repair_time", S_INT, "=S: at least 10", 0},
    {NULL, X_STAT, F(flush_enabled), 0, 0, 0, NULL, "flush_enabled", S_BOOL, NULL, 0}, /* -F */
    {NULL, X_STAT, F(dump_enabled), 0, 0, 0, NULL, "dump_enabled", S_BOOL, NULL, 0},   /* -X */
    {"hash_algorithm", X_CUSTOM, F(hash_algorithm), 0, 0, 0, apply_hash_algorithm,
     "hash_algorithm", S_HASH, "=jenkins|murmur3|xxh3 (mnemo's index always uses xxh3)", 0},
    {"lru_maintainer", X_CUSTOM, F(lru_maintainer), 0, 0, 0, apply_lru_maintainer,
     "lru_maintainer_thread", S_BOOL,
     "segmented LRU (mnemo evicts by S3-FIFO); no_lru_maintainer: off", 1},
    {"no_lru_maintainer", X_CUSTOM, 0, 0, 0, 0, apply_no_lru_maintainer, NULL, S_NONE, NULL, 0},
    {NULL, X_STAT, F(lru_segmented), 0, 0, 0, NULL, "lru_segmented", S_BOOL, NULL, 1},
    {"hot_lru_pct", X_INT, F(hot_lru_pct), 1, 79, 0, NULL, "hot_lru_pct", S_INT,
     "=P: 1..79; hot + warm at most 80", 20},
    {"warm_lru_pct", X_INT, F(warm_lru_pct), 1, 79, 0, NULL, "warm_lru_pct", S_INT, "=P: 1..79",
     40},
    {"hot_max_factor", X_DOUBLE, F(hot_max_factor), 0, DBL_MAX, 0, NULL, "hot_max_factor",
     S_DOUBLE2, "=F: above 0", 0.2},
    {"warm_max_factor", X_DOUBLE, F(warm_max_factor), 0, DBL_MAX, 0, NULL, "warm_max_factor",
     S_DOUBLE2, "=F: above 0", 2.0},
    {NULL, X_STAT, F(temp_lru), 0, 0, 0, NULL, "temp_lru", S_BOOL, NULL, 0},
    {"temporary_ttl", X_CUSTOM, F(temporary_ttl), 0, 0, 0, apply_temporary_ttl, "temporary_ttl",
     S_INT, "=S: needs lru_maintainer", 61},
    {"idle_timeout", X_INT, F(idle_timeout), INT_MIN, INT_MAX, 0, NULL, "idle_timeout", S_INT,
     "=S: close connections idle this long (0, the default: never)", 0},
    {"watcher_logbuf_size", X_UINT, F(watcher_logbuf_size), 0, 0, KB, NULL,
     "watcher_logbuf_size", S_U64, "=KB: per-watcher buffer", 256 * KB},
    {"worker_logbuf_size", X_UINT, F(worker_logbuf_size), 0, 0, KB, NULL, "worker_logbuf_size",
     S_U64, "=KB: per-worker log buffer", 64 * KB},
    {"read_buf_mem_limit", X_UINT, F(read_buf_mem_limit), 0, 0, MB, NULL, "read_buf_mem_limit",
     S_U64, "=MB: limit of connection buffers (0 = none)", 0},
    {"track_sizes", X_SET, F(track_sizes), 0, 0, 0, NULL, "track_sizes", S_BOOL,
     "keep counts for \"stats sizes\"", 0},
    {"inline_ascii_resp", X_INERT, 0, 0, 0, 0, NULL, "inline_ascii_response", S_ALWAYS_NO,
     "no effect, as in memcached; no_inline_ascii_resp likewise", 0},
    {"no_inline_ascii_resp", X_INERT, 0, 0, 0, 0, NULL, NULL, S_NONE, NULL, 0},
    {"modern", X_INERT, 0, 0, 0, 0, NULL, NULL, S_NONE, "no effect, as in memcached", 0},
    {"no_modern", X_CUSTOM, 0, 0, 0, 0, apply_no_modern, NULL, S_NONE,
     "memcached 1.4's defaults: no slab_reassign, slab_automove, maxconns_fast,\n"
     "                          lru_crawler, lru_maintainer; hash_algorithm=jenkins", 0},
    {"drop_privileges", X_SET, F(drop_privileges), 0, 0, 0, NULL, NULL, S_NONE,
     "memcached's seccomp sandbox; no_drop_privileges: off", 0},
    {"no_drop_privileges", X_CLEAR, F(drop_privileges), 0, 0, 0, NULL, NULL, S_NONE, NULL, 0},
    {"resp_obj_mem_limit", X_INERT, 0, 0, 0, 0, NULL, NULL, S_NONE,
     "=N: no effect (deprecated in memcached)", 0},
    {"slab_automove_freeratio", X_DOUBLE, F(slab_automove_freeratio), -DBL_MAX, DBL_MAX, 0, NULL,
     "slab_automove_freeratio", S_DOUBLE3, "=R: free memory kept for automove", 0.01},
    {"sock_cookie_id", X_U32, F(sock_cookie_id), 0, 0, 0, NULL, NULL, S_NONE,
     "=N: SO_MARK of the TCP listening sockets, for firewalls", 0},
    {"ext_", X_REFUSED, 0, 0, 0, 0, NULL, NULL, S_NONE,
     "ext_*: refused: mnemo has no external storage (extstore)", 0},
    /* TLS, with -Z (config_tls.c; "stats settings" rows there) */
    {"ssl_chain_cert", X_CUSTOM, 0, 0, 0, 0, config_tls_chain_cert, NULL, S_NONE,
     "=FILE: certificate chain file in PEM format", 0},
    {"ssl_key", X_CUSTOM, 0, 0, 0, 0, config_tls_key, NULL, S_NONE,
     "=FILE: private key, if not part of the ssl_chain_cert", 0},
    {"ssl_keyformat", X_CUSTOM, F(ssl_keyformat), 0, 0, 0, config_tls_keyformat, NULL, S_INT,
     "=PEM|DER: private key format, ENGINE is not supported (default PEM;\n"
     "                          1 and 2 as memcached numbers them)", 1},
    {"ssl_verify_mode", X_INT, F(ssl_verify_mode), 0, 3, 0, NULL, NULL, S_NONE,
     "=0..3: client certificates: 0 not asked for (default), 1 requested,\n"
     "                          2 required, 3 required once; 1..3 need ssl_ca_cert", 0},
    {"ssl_ciphers", X_CUSTOM, 0, 0, 0, 0, config_tls_ciphers, NULL, S_NONE,
     "=LIST: OpenSSL cipher list for TLS 1.2 and below", 0},
    {"ssl_ca_cert", X_CUSTOM, 0, 0, 0, 0, config_tls_ca_cert, NULL, S_NONE,
     "=FILE: PEM file of the CAs client certificates are checked against", 0},
    {"ssl_wbuf_size", X_CUSTOM, F(ssl_wbuf_size), 0, 0, 0, config_tls_wbuf_size, NULL, S_INT,
     "=KB: replies gathered per TLS write, per worker, 1..1024 (default 16)", 16 * 1024},
    {"ssl_session_cache", X_SET, F(ssl_session_cache), 0, 0, 0, NULL, NULL, S_NONE,
     "server-side TLS session cache, for session resumption", 0},
    {"ssl_kernel_tls", X_REFUSED, 0, 0, 0, 0, NULL, NULL, S_NONE,
     "ssl_kernel_tls: refused: mnemo has no kernel TLS offload", 0},
    {"ssl_min_version", X_INT, F(ssl_min_version), 0, 3, 0, NULL, NULL, S_NONE,
     "=0..3: lowest TLS version accepted: 0 tlsv1.0, 1 tlsv1.1, 2 tlsv1.2\n"
     "                          (default), 3 tlsv1.3", 2},
};

/* mnemo's own, shown after memcached's settings */
static const struct xopt own_options[] = {
    {"io_uring", X_ONOFF, F(io_uring), 0, 0, 0, NULL, "io_uring", S_ONOFF,
     "=on|off: connection I/O through io_uring (default on; epoll when off or refused)", 1},
    /* A buffer goes back to the ring as soon as its bytes are copied out, so
     * only arrivals not yet handled hold one; but the ring hands buffers
     * out in turn, so every one of them ends up resident: 64 x 16 KiB is
     * 1 MiB per worker (256 took 4 MiB and measured no faster). */
    {"io_uring_bufs", X_CUSTOM, F(io_uring_bufs), 0, 0, 0, apply_io_uring_bufs, "io_uring_bufs",
     S_INT, "=N: 16 KiB receive buffers per worker, 0 or a power of two up to 32768 (64)", 64},
    /* -1 until config_extended_check(): CONFIG_POLL_US_DEFAULT with io_uring, else 0 */
    {"poll_us", X_INT, F(poll_us), 0, 1000, 0, NULL, "poll_us", S_INT,
     "=US: io_uring workers look for requests this long before sleeping, 0..1000 (5)", -1},
    {"hugepages", X_ONOFF, F(huge_pages), 0, 0, 0, NULL, "hugepages", S_ONOFF,
     "=on|off: item memory in transparent huge pages (default on)", 1},
    /* Persistence (persist/persist.h); the names are Redis's where it has one. */
    {"persist_dir", X_CUSTOM, 0, 0, 0, 0, apply_persist_dir, NULL, S_NONE,
     "=DIR: keep the cache across restarts: an append log and snapshots in DIR\n"
     "                          (created if missing; off by default), the log's tail in\n"
     "                          /dev/shm (-m/16, 16-64 MB; a start after a crash takes it back)", 0},
    {"appendfsync", X_CUSTOM, F(appendfsync), 0, 0, 0, apply_appendfsync, "appendfsync", S_FSYNC,
     "=always|everysec|no: with persist_dir, fsync the log before each reply (always),\n"
     "                          about once a second (everysec, the default) or never (no);\n"
     "                          in every case a reply leaves only once its change is in the\n"
     "                          log's tail, which outlives mnemod", CONFIG_FSYNC_EVERYSEC},
    {"snapshot_every", X_INT, F(snapshot_every), 0, INT_MAX, 0, NULL, "snapshot_every", S_INT,
     "=S: with persist_dir, a snapshot every S seconds (0: only on request, at\n"
     "                          shutdown and when the log has grown; default 3600)", 3600},
    {"persist_keep_prefix", X_SET, F(persist_keep_prefix), 0, 0, 0, NULL, "persist_keep_prefix",
     S_BOOL, "start with the valid part of a damaged log or snapshot instead of refusing", 0},
    /* Replication (repl/repl.h). */
    {"replica_of", X_CUSTOM, 0, 0, 0, 0, apply_replica_of, NULL, S_NONE,
     "=HOST:PORT: follow that primary as a replica (same items, cas values and\n"
     "                          expiry; writes from clients refused); at run time:\n"
     "                          replica_of HOST:PORT, and replica_of none to promote", 0},
    {"replica_auth", X_CUSTOM, 0, 0, 0, 0, apply_replica_auth, NULL, S_NONE,
     "=FILE: the credentials the replication link gives a primary that runs\n"
     "                          with -Y: the file's first \"user:password\" line", 0},
    {"replica_tls", X_SET, F(replica_tls), 0, 0, 0, NULL, NULL, S_NONE,
     "the replication link speaks TLS to a primary with -Z (replica_of at start\n"
     "                          and at run time), checking the primary's certificate", 0},
    {"replica_tls_ca", X_CUSTOM, 0, 0, 0, 0, apply_replica_tls_ca, NULL, S_NONE,
     "=FILE: with replica_tls, the CA certificates (PEM) the primary's certificate\n"
     "                          is checked against (default: the system's)", 0},
    {"replica_tls_cert", X_CUSTOM, 0, 0, 0, 0, apply_replica_tls_cert, NULL, S_NONE,
     "=FILE: with replica_tls, the link's own certificate chain (PEM), for a\n"
     "                          primary that asks for one (ssl_verify_mode 2 or 3)", 0},
    {"replica_tls_key", X_CUSTOM, 0, 0, 0, 0, apply_replica_tls_key, NULL, S_NONE,
     "=FILE: the key of replica_tls_cert (PEM; default: in replica_tls_cert)", 0},
    {"replica_tls_server_name", X_CUSTOM, 0, 0, 0, 0, apply_replica_tls_server_name, NULL,
     S_NONE,
     "=NAME: with replica_tls, the name the primary's certificate must\n"
     "                          carry, sent as SNI (default: the host replica_of names)", 0},
    {"repl_backlog_size", X_INT, F(repl_backlog_mb), 1, 65536, 0, NULL, "repl_backlog_size", S_INT,
     "=MB: the replication backlog: a replica that reconnects within it continues\n"
     "                          instead of copying everything again (default 16)", 16},
    {"repl_buffer_limit", X_INT, F(repl_buffer_limit_mb), 0, 65536, 0, NULL, "repl_buffer_limit",
     S_INT,
     "=MB: what a primary may hold for one replica that reads slower than it\n"
     "                          writes, beyond the backlog, before it cuts it off to\n"
     "                          sync again; 0: nothing (default 256)", 256},
    {"min_replica_acks", X_INT, F(min_replica_acks), 0, REPL_MAX_REPLICAS, 0, NULL,
     "min_replica_acks", S_INT,
     "=N: a write's reply waits until N replicas hold it (0, the default: replies\n"
     "                          do not wait); with fewer than N replicas online, writes\n"
     "                          are refused", 0},
    {"min_replica_timeout", X_INT, F(min_replica_timeout), 1, 600000, 0, NULL,
     "min_replica_timeout", S_INT,
     "=MS: with min_replica_acks, how long a reply waits for the replicas before\n"
     "                          an error says so and the connection closes (1000)", 1000},
    /* The Prometheus endpoint (metrics/metrics.h), memcached_exporter's names. */
    {"ssl_handshake_timeout", X_INT, F(ssl_handshake_timeout), 0, 3600, 0, NULL, NULL, S_NONE,
     "=S: with -Z, a TLS handshake not done in S seconds is closed (0: never;\n"
     "                          default 10)", 10},
    {"metrics_port", X_CUSTOM, 0, 0, 0, 0, apply_metrics_port, NULL, S_NONE,
     "=[HOST:]PORT: serve GET /metrics (Prometheus text format) on PORT, on the\n"
     "                          -l addresses unless HOST is given (off by default)", 0},
};

struct xtable {
    const struct xopt *opt;
    size_t n;
};

static const struct xtable tables[] = {
    {options, sizeof(options) / sizeof(options[0])},
    {own_options, sizeof(own_options) / sizeof(own_options[0])},
};

#define NTABLES (sizeof(tables) / sizeof(tables[0]))

/* Write o's default into its field; the field's type is its kind's, or
 * for the others its stat format's. */
static void store_default(struct config *cfg, const struct xopt *o)
{
    void *f = (char *)cfg + o->off;
    enum { T_BOOL, T_INT, T_U32, T_U64, T_DOUBLE } type;
    switch (o->kind) {
    case X_SET:
    case X_CLEAR:
    case X_ONOFF:
        type = T_BOOL;
        break;
    case X_INT:
    case X_INT_OPT:
        type = T_INT;
        break;
    case X_UINT:
        type = T_U64;
        break;
    case X_U32:
        type = T_U32;
        break;
    case X_DOUBLE:
        type = T_DOUBLE;
        break;
    default:
        assert(o->fmt == S_BOOL || o->fmt == S_ONOFF || o->fmt == S_INT || o->fmt == S_FSYNC);
        type = o->fmt == S_INT || o->fmt == S_FSYNC ? T_INT : T_BOOL;
        break;
    }
    switch (type) {
    case T_BOOL:
        *(bool *)f = o->def != 0;
        break;
    case T_INT:
        *(int *)f = (int)o->def;
        break;
    case T_U32:
        *(uint32_t *)f = (uint32_t)o->def;
        break;
    case T_U64:
        *(uint64_t *)f = (uint64_t)o->def;
        break;
    case T_DOUBLE:
        *(double *)f = o->def;
        break;
    }
}

void config_extended_defaults(struct config *cfg)
{
    for (size_t t = 0; t < NTABLES; t++) {
        for (size_t i = 0; i < tables[t].n; i++) {
            if (tables[t].opt[i].def != 0)
                store_default(cfg, &tables[t].opt[i]);
        }
    }
}

/* ---- values --------------------------------------------------------------- */

int config_read_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int read_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static void *field(struct config *cfg, const struct xopt *o)
{
    return (char *)cfg + o->off;
}

static const void *field_c(const struct config *cfg, const struct xopt *o)
{
    return (const char *)cfg + o->off;
}

/* "name=N: what" or "name: what" */
static const char *sep(const struct xopt *o)
{
    return o->help[0] == '=' || o->help[0] == '[' ? "" : ": ";
}

/* The error names the option with the first line of its help: one line. */
static int bad(const struct xopt *o, const char *val, char *err, size_t errlen)
{
    int first = (int)strcspn(o->help, "\n");
    if (val == NULL)
        snprintf(err, errlen, "-o %s needs a value (%s%s%.*s)", o->name, o->name, sep(o), first,
                 o->help);
    else
        snprintf(err, errlen, "invalid -o %s=%s (%s%s%.*s)", o->name, val, o->name, sep(o), first,
                 o->help);
    return -1;
}

static int apply(struct config *cfg, const struct xopt *o, const char *val, char *err,
                 size_t errlen)
{
    long v;
    double d;
    switch (o->kind) {
    case X_SET:
    case X_CLEAR:
        *(bool *)field(cfg, o) = o->kind == X_SET;
        return 0;
    case X_INERT:
        return 0;
    case X_INT_OPT:
        if (val == NULL) {
            *(int *)field(cfg, o) = (int)o->arg;
            return 0;
        }
        /* fall through */
    case X_INT:
        if (val == NULL || config_read_long(val, (long)o->min, (long)o->max, &v) != 0)
            return bad(o, val, err, errlen);
        *(int *)field(cfg, o) = (int)v;
        return 0;
    case X_UINT:
    case X_U32:
        if (val == NULL || val[0] == '-' || config_read_long(val, 0, UINT32_MAX, &v) != 0)
            return bad(o, val, err, errlen);
        if (o->kind == X_U32)
            *(uint32_t *)field(cfg, o) = (uint32_t)v;
        else
            *(uint64_t *)field(cfg, o) = (uint64_t)v * (uint64_t)o->arg;
        return 0;
    case X_DOUBLE:
        if (val == NULL || read_double(val, &d) != 0 || !(d > o->min) || d > o->max)
            return bad(o, val, err, errlen);
        *(double *)field(cfg, o) = d;
        return 0;
    case X_ONOFF:
        if (val != NULL && strcmp(val, "on") == 0)
            *(bool *)field(cfg, o) = true;
        else if (val != NULL && strcmp(val, "off") == 0)
            *(bool *)field(cfg, o) = false;
        else
            return bad(o, val, err, errlen);
        return 0;
    case X_CUSTOM:
        if (o->apply(cfg, val) != 0)
            return bad(o, val, err, errlen);
        return 0;
    case X_REFUSED:
    case X_STAT:
        break;
    }
    return -1;
}

static int apply_no_slab_automove(struct config *cfg, const char *val)
{
    (void)val;
    cfg->slab_automove = 0;
    return 0;
}

static int apply_slab_chunk_max(struct config *cfg, const char *val)
{
    long kb;
    if (val == NULL || config_read_long(val, 1, 1024, &kb) != 0)
        return -1;
    cfg->slab_chunk_max = (int)(kb * KB);
    cfg->slab_chunk_max_set = true;
    return 0;
}

static int apply_no_chunked_items(struct config *cfg, const char *val)
{
    (void)val;
    cfg->slab_chunk_max = CONFIG_SLAB_PAGE_SIZE;
    return 0;
}

static int apply_slab_sizes(struct config *cfg, const char *val)
{
    /* checked once -n and slab_chunk_max are known (config_extended_check) */
    if (val == NULL || strlen(val) >= sizeof(cfg->slab_sizes))
        return -1;
    strcpy(cfg->slab_sizes, val);
    cfg->slab_sizes_set = true;
    return 0;
}

static const char *const hash_names[] = {
    [CONFIG_HASH_DEFAULT] = "xxh3", /* what the index uses when none is asked for */
    [CONFIG_HASH_JENKINS] = "jenkins",
    [CONFIG_HASH_MURMUR3] = "murmur3",
    [CONFIG_HASH_XXH3] = "xxh3",
};

static int apply_hash_algorithm(struct config *cfg, const char *val)
{
    for (int h = CONFIG_HASH_JENKINS; val != NULL && h <= CONFIG_HASH_XXH3; h++) {
        if (strcmp(val, hash_names[h]) == 0) {
            cfg->hash_algorithm = (enum config_hash)h;
            return 0;
        }
    }
    return -1;
}

static int apply_lru_maintainer(struct config *cfg, const char *val)
{
    (void)val;
    cfg->lru_maintainer = true;
    cfg->lru_segmented = true;
    return 0;
}

static int apply_no_lru_maintainer(struct config *cfg, const char *val)
{
    (void)val;
    cfg->lru_maintainer = false;
    cfg->lru_segmented = false;
    return 0;
}

static int apply_temporary_ttl(struct config *cfg, const char *val)
{
    long v;
    if (val == NULL || config_read_long(val, INT_MIN, INT_MAX, &v) != 0)
        return -1;
    cfg->temp_lru = true;
    cfg->temporary_ttl = (int)v;
    return 0;
}

/* memcached's "the defaults of 1.4": a slab_chunk_max given before it stays. */
static int apply_no_modern(struct config *cfg, const char *val)
{
    (void)val;
    if (!cfg->slab_chunk_max_set)
        cfg->slab_chunk_max = CONFIG_SLAB_PAGE_SIZE;
    cfg->slab_reassign = false;
    cfg->slab_automove = 0;
    cfg->maxconns_fast = false;
    cfg->lru_segmented = false;
    cfg->hash_algorithm = CONFIG_HASH_JENKINS;
    cfg->lru_crawler = false;
    cfg->lru_maintainer = false;
    return 0;
}

static int apply_replica_of(struct config *cfg, const char *val)
{
    if (val == NULL || strlen(val) >= sizeof(cfg->replica_of) ||
        hostport_parse(val, strlen(val), cfg->replica_host, sizeof(cfg->replica_host),
                       &cfg->replica_port) != 0)
        return -1;
    strcpy(cfg->replica_of, val);
    return 0;
}

/* metrics_port=PORT or HOST:PORT ([v6]:PORT), the port 1..65535. */
static int apply_metrics_port(struct config *cfg, const char *val)
{
    long port;
    if (val == NULL)
        return -1;
    if (config_read_long(val, 1, 65535, &port) == 0) {
        cfg->metrics_host[0] = '\0';
        cfg->metrics_port = (int)port;
        return 0;
    }
    return hostport_parse(val, strlen(val), cfg->metrics_host, sizeof(cfg->metrics_host),
                          &cfg->metrics_port);
}

static int apply_persist_dir(struct config *cfg, const char *val)
{
    if (val == NULL || val[0] == '\0' || strlen(val) >= sizeof(cfg->persist_dir))
        return -1;
    strcpy(cfg->persist_dir, val);
    return 0;
}

static int copy_value(char *dst, size_t cap, const char *val)
{
    if (val == NULL || val[0] == '\0' || strlen(val) >= cap)
        return -1;
    memcpy(dst, val, strlen(val) + 1);
    return 0;
}

static int apply_replica_tls_ca(struct config *cfg, const char *val)
{
    return copy_value(cfg->replica_tls_ca, sizeof(cfg->replica_tls_ca), val);
}

static int apply_replica_tls_cert(struct config *cfg, const char *val)
{
    return copy_value(cfg->replica_tls_cert, sizeof(cfg->replica_tls_cert), val);
}

static int apply_replica_tls_key(struct config *cfg, const char *val)
{
    return copy_value(cfg->replica_tls_key, sizeof(cfg->replica_tls_key), val);
}

static int apply_replica_tls_server_name(struct config *cfg, const char *val)
{
    return copy_value(cfg->replica_tls_server_name, sizeof(cfg->replica_tls_server_name), val);
}

static int apply_replica_auth(struct config *cfg, const char *val)
{
    if (val == NULL || val[0] == '\0' || strlen(val) >= sizeof(cfg->replica_auth))
        return -1;
    strcpy(cfg->replica_auth, val);
    return 0;
}

static const char *const fsync_names[] = {[CONFIG_FSYNC_NO] = "no",
                                          [CONFIG_FSYNC_EVERYSEC] = "everysec",
                                          [CONFIG_FSYNC_ALWAYS] = "always"};

static int apply_appendfsync(struct config *cfg, const char *val)
{
    const char *const *names = fsync_names;
    for (int i = 0; val != NULL && i < 3; i++) {
        if (strcmp(val, names[i]) == 0) {
            cfg->appendfsync = i;
            return 0;
        }
    }
    return -1;
}

static int apply_io_uring_bufs(struct config *cfg, const char *val)
{
    long v;
    if (val == NULL || config_read_long(val, 0, 32768, &v) != 0 || (v & (v - 1)) != 0)
        return -1;
    cfg->io_uring_bufs = (int)v;
    return 0;
}

/* ---- the -o list ------------------------------------------------------------ */

static const struct xopt *lookup(const char *name, size_t n)
{
    for (size_t t = 0; t < NTABLES; t++) {
        for (size_t i = 0; i < tables[t].n; i++) {
            const struct xopt *o = &tables[t].opt[i];
            if (o->name == NULL)
                continue;
            size_t len = strlen(o->name);
            if (o->kind == X_REFUSED ? (n >= len && memcmp(name, o->name, len) == 0)
                                     : (n == len && memcmp(name, o->name, n) == 0))
                return o;
        }
    }
    return NULL;
}

int config_extended_parse(struct config *cfg, const char *list, char *err, size_t errlen)
{
    /* Tokenise a copy: argv strings are left as the caller gave them. */
    char copy[4096];
    if (strlen(list) >= sizeof(copy)) {
        snprintf(err, errlen, "-o option list too long");
        return -1;
    }
    strcpy(copy, list);
    /* getsubopt()'s loop: every name up to the end; an empty one (",," or
     * a leading ",") is an error, a single trailing "," is not. */
    char *p = copy;
    while (*p != '\0') {
        char *item = p;
        char *comma = strchr(p, ',');
        if (comma != NULL) {
            *comma = '\0';
            p = comma + 1;
        } else {
            p += strlen(p);
        }
        char *eq = strchr(item, '=');
        const char *val = NULL;
        if (eq != NULL) {
            *eq = '\0';
            val = eq + 1;
        }
        const struct xopt *o = lookup(item, strlen(item));
        if (o == NULL) {
            snprintf(err, errlen, "unknown -o option: \"%s\" (see -h)", item);
            return -1;
        }
        if (o->kind == X_REFUSED) {
            /* the help after "name: " or, for a family, "name*: " */
            const char *why = o->help + strlen(o->name);
            why += strspn(why, "*: ");
            snprintf(err, errlen, "-o %s: %s", item, why);
            return -1;
        }
        if (apply(cfg, o, val, err, errlen) != 0)
            return -1;
        if (o->off == F(appendfsync) || o->off == F(snapshot_every) ||
            o->off == F(persist_keep_prefix))
            cfg->persist_option = o->name;
        if (strncmp(o->name, "ssl_", 4) == 0)
            cfg->ssl_option = o->name;
    }
    return 0;
}

/* ---- checks once every flag is read ------------------------------------------ */

/* -o slab_sizes: memcached's rules for its list of class sizes. */
static int check_slab_sizes(const struct config *cfg, char *err, size_t errlen)
{
    const char *p = cfg->slab_sizes;
    long last = 0;
    int n = 0;
    if (*p == '\0') {
        snprintf(err, errlen, "-o slab_sizes is empty");
        return -1;
    }
    while (*p != '\0') {
        char num[32];
        size_t len = strcspn(p, "-");
        if (len == 0 || len >= sizeof(num)) {
            p += len + (p[len] == '-');
            continue; /* strtok_r() skips empty pieces */
        }
        memcpy(num, p, len);
        num[len] = '\0';
        p += len + (p[len] == '-');
        long size;
        if (config_read_long(num, cfg->chunk_size, cfg->slab_chunk_max, &size) != 0) {
            snprintf(err, errlen, "slab size %s is out of valid range (%d..%d)", num, cfg->chunk_size,
                     cfg->slab_chunk_max);
            return -1;
        }
        if (size <= last + 8) {
            snprintf(err, errlen, "slab size %ld must be at least 8 bytes larger than the one before",
                     size);
            return -1;
        }
        last = size;
        if (++n >= 63) {
            snprintf(err, errlen, "too many slab classes specified (-o slab_sizes)");
            return -1;
        }
    }
    return 0;
}

/* memcached's item lock table: its power must stay below -o hashpower. */
static int lock_power(int threads)
{
    if (threads < 3)
        return 10;
    if (threads < 4)
        return 11;
    if (threads < 5)
        return 12;
    if (threads <= 10)
        return 13;
    if (threads <= 20)
        return 14;
    return 15;
}

int config_extended_check(struct config *cfg, char *err, size_t errlen)
{
    /* An option that would do nothing is refused rather than ignored. */
    if (cfg->persist_option != NULL && cfg->persist_dir[0] == '\0') {
        snprintf(err, errlen, "-o %s needs -o persist_dir=DIR (persistence is off without it)",
                 cfg->persist_option);
        return -1;
    }
    /* An -I above 1 MB brings chunked items back unless slab_chunk_max was given. */
    if (cfg->item_size_max > CONFIG_SLAB_PAGE_SIZE && !cfg->slab_chunk_max_set)
        cfg->slab_chunk_max = CONFIG_SLAB_PAGE_SIZE / 2;
    size_t chunk = (size_t)cfg->slab_chunk_max;
    if (chunk > cfg->item_size_max) {
        snprintf(err, errlen, "slab_chunk_max (%zu bytes) cannot be larger than -I (%zu bytes)",
                 chunk, cfg->item_size_max);
        return -1;
    }
    if (cfg->item_size_max % chunk != 0) {
        snprintf(err, errlen, "-I (%zu bytes) must be a multiple of slab_chunk_max (%zu bytes)",
                 cfg->item_size_max, chunk);
        return -1;
    }
    if (CONFIG_SLAB_PAGE_SIZE % chunk != 0) {
        snprintf(err, errlen, "slab_chunk_max (%zu bytes) must divide %d (the slab page size)",
                 chunk, CONFIG_SLAB_PAGE_SIZE);
        return -1;
    }
    if (cfg->slab_sizes_set && check_slab_sizes(cfg, err, errlen) != 0)
        return -1;
    if (cfg->hot_lru_pct + cfg->warm_lru_pct > 80) {
        snprintf(err, errlen, "hot_lru_pct + warm_lru_pct cannot be more than 80%% combined");
        return -1;
    }
    if (cfg->temp_lru && !cfg->lru_maintainer) {
        snprintf(err, errlen, "temporary_ttl requires lru_maintainer to be enabled");
        return -1;
    }
    if (cfg->hashpower_init != 0 && cfg->hashpower_init <= lock_power(cfg->num_threads)) {
        snprintf(err, errlen, "-o hashpower=%d must be above %d with -t %d (memcached's item lock table)",
                 cfg->hashpower_init, lock_power(cfg->num_threads), cfg->num_threads);
        return -1;
    }
    if (cfg->poll_us > 0 && !cfg->io_uring) {
        /* the look before sleeping is the ring's; epoll workers have none */
        snprintf(err, errlen, "poll_us needs io_uring=on");
        return -1;
    }
    if (cfg->poll_us < 0)
        cfg->poll_us = cfg->io_uring ? CONFIG_POLL_US_DEFAULT : 0;
    if (!cfg->replica_tls) {
        const char *given = cfg->replica_tls_ca[0] ? "replica_tls_ca"
                            : cfg->replica_tls_cert[0] ? "replica_tls_cert"
                            : cfg->replica_tls_key[0] ? "replica_tls_key"
                            : cfg->replica_tls_server_name[0] ? "replica_tls_server_name"
                                                              : NULL;
        if (given != NULL) {
            snprintf(err, errlen, "-o %s needs -o replica_tls (the replication link is plain "
                     "without it)", given);
            return -1;
        }
    }
    if (cfg->replica_tls_key[0] != '\0' && cfg->replica_tls_cert[0] == '\0') {
        snprintf(err, errlen, "-o replica_tls_key needs -o replica_tls_cert (the certificate "
                 "it is the key of)");
        return -1;
    }
    return config_tls_check(cfg, err, errlen);
}

/* ---- help and stats -------------------------------------------------------- */

void config_extended_help_foreach(config_help_fn fn, void *arg)
{
    for (size_t t = 0; t < NTABLES; t++) {
        for (size_t i = 0; i < tables[t].n; i++) {
            const struct xopt *o = &tables[t].opt[i];
            if (o->name == NULL || o->help == NULL)
                continue;
            if (o->kind == X_REFUSED) {
                fn(arg, "", o->help);
            } else {
                /* "name=N: what" splits at the ": " after the name's part */
                char synopsis[96];
                const char *help = o->help;
                size_t n = 0;
                size_t skip = 0;
                if (sep(o)[0] == '\0') {
                    /* "=N: what", or "=a|b (what)" */
                    const char *end = strstr(help, ": ");
                    skip = 2;
                    if (end == NULL) {
                        end = strchr(help, ' ');
                        skip = 1;
                    }
                    n = end != NULL ? (size_t)(end - help) : strlen(help);
                    if (end == NULL)
                        skip = 0;
                }
                snprintf(synopsis, sizeof(synopsis), "%s%.*s", o->name, (int)n, help);
                fn(arg, synopsis, help + n + skip);
            }
        }
    }
}

void config_extended_usage(FILE *out)
{
    for (size_t t = 0; t < NTABLES; t++) {
        for (size_t i = 0; i < tables[t].n; i++) {
            const struct xopt *o = &tables[t].opt[i];
            if (o->name == NULL || o->help == NULL)
                continue;
            if (o->kind == X_REFUSED)
                fprintf(out, "   - %s\n", o->help);
            else
                fprintf(out, "   - %s%s%s\n", o->name, sep(o), o->help);
        }
    }
}

static void describe(const struct xtable *table, const struct config *cfg, config_emit_fn emit,
                     void *arg)
{
    char buf[48];
    for (size_t i = 0; i < table->n; i++) {
        const struct xopt *o = &table->opt[i];
        const void *f = field_c(cfg, o);
        if (o->stat == NULL)
            continue; /* its row is elsewhere (ssl_*: config_tls.c), or it has none */
        switch (o->fmt) {
        case S_NONE:
            continue;
        case S_BOOL:
            snprintf(buf, sizeof(buf), "%s", *(const bool *)f ? "yes" : "no");
            break;
        case S_ONOFF:
            snprintf(buf, sizeof(buf), "%s", *(const bool *)f ? "on" : "off");
            break;
        case S_INT:
            snprintf(buf, sizeof(buf), "%d", *(const int *)f);
            break;
        case S_U32:
            snprintf(buf, sizeof(buf), "%u", (unsigned)*(const uint32_t *)f);
            break;
        case S_U64:
            snprintf(buf, sizeof(buf), "%llu", (unsigned long long)*(const uint64_t *)f);
            break;
        case S_DOUBLE2:
            snprintf(buf, sizeof(buf), "%.2f", *(const double *)f);
            break;
        case S_DOUBLE3:
            snprintf(buf, sizeof(buf), "%.3f", *(const double *)f);
            break;
        case S_HASH:
            snprintf(buf, sizeof(buf), "%s", hash_names[*(const enum config_hash *)f]);
            break;
        case S_FSYNC:
            snprintf(buf, sizeof(buf), "%s", fsync_names[*(const int *)f]);
            break;
        case S_ALWAYS_NO:
            snprintf(buf, sizeof(buf), "no");
            break;
        }
        emit(arg, o->stat, buf);
    }
}

void config_extended_describe(const struct config *cfg, config_emit_fn emit, void *arg)
{
    describe(&tables[0], cfg, emit, arg);
}

void config_extended_describe_own(const struct config *cfg, config_emit_fn emit, void *arg)
{
    describe(&tables[1], cfg, emit, arg);
}
