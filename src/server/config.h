/*
 * config.h: mnemod's settings and its memcached-compatible command line.
 *
 * The same command line that starts memcached 1.6 starts mnemod: the short
 * and long flags below keep memcached's letters, names and defaults, except
 * -l, which defaults to 127.0.0.1 instead of every interface. Parsing never
 * exits; it returns an error message for main to print.
 */
#ifndef MNEMO_SERVER_CONFIG_H
#define MNEMO_SERVER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* -o poll_us when not given and io_uring is on (see uring.c poll_briefly) */
#define CONFIG_POLL_US_DEFAULT 5

/* memcached's slab page: -I and -o slab_chunk_max are checked against it */
#define CONFIG_SLAB_PAGE_SIZE (1024 * 1024)

enum config_protocol { CONFIG_PROTO_AUTO, CONFIG_PROTO_ASCII, CONFIG_PROTO_BINARY };

/* -o hash_algorithm; CONFIG_HASH_DEFAULT means not given (the index always
 * hashes with XXH3, see common/hash.h) */
enum config_hash { CONFIG_HASH_DEFAULT, CONFIG_HASH_JENKINS, CONFIG_HASH_MURMUR3, CONFIG_HASH_XXH3 };

/* -o appendfsync: when the append log is fsynced (persist/log.h's order). */
enum config_fsync { CONFIG_FSYNC_NO, CONFIG_FSYNC_EVERYSEC, CONFIG_FSYNC_ALWAYS };

struct config {
    int port;                  /* -p */
    char *listen;              /* -l, comma-separated list (several -l are joined) */
    char *socketpath;          /* -s */
    int udpport;               /* -U, 0 = off */
    int access;                /* -a, unix socket permissions */
    int maxconns;              /* -c */
    size_t maxbytes;           /* -m, bytes */
    size_t item_size_max;      /* -I */
    int num_threads;           /* -t */
    int verbose;               /* -v count */
    bool daemonize;            /* -d */
    char *pidfile;             /* -P */
    char *username;            /* -u */
    char *auth_file;           /* -Y: ascii authentication, NULL = off */
    bool sasl;                 /* -S: SASL authentication for the binary protocol */
    bool shutdown_enabled;     /* -A */
    bool evict_to_free;        /* cleared by -M */
    bool use_cas;              /* cleared by -C */
    bool flush_enabled;        /* cleared by -F */
    bool dump_enabled;         /* cleared by -X: stats cachedump, lru_crawler metadump */
    bool watch_enabled;        /* cleared by -W: the watch command */
    char prefix_delimiter;     /* -D: per-prefix stats ("stats detail") */
    bool detail_enabled;       /* -D turns per-prefix stats on at start */
    int num_napi_ids;          /* -N */
    int backlog;               /* -b */
    enum config_protocol protocol; /* -B */
    int reqs_per_event;        /* -R */
    bool lock_memory;          /* -k */
    bool large_pages;          /* -L: preallocate item memory */
    bool maxcore;              /* -r */
    double factor;             /* -f: slab growth factor (no slab classes here) */
    int chunk_size;            /* -n: smallest slab chunk (likewise) */
    bool show_help;            /* -h */
    bool show_version;         /* -V */
    char listen_buf[1024];     /* backing store of -l when several are joined */

    /* -o options (config_extended.c declares each: name, range, stat, help).
     * mnemo's own: */
    bool huge_pages;           /* hugepages=on|off: huge pages for item memory */
    int idle_timeout;          /* idle_timeout=N, seconds, <= 0 = off */
    bool io_uring;             /* io_uring=on|off: workers' connection I/O */
    int io_uring_bufs;         /* io_uring_bufs=N: provided receive buffers per worker */
    int poll_us;               /* poll_us=N: poll this long before sleeping (0: never;
                                * -1 until config_parse() picks the default) */
    char persist_dir[1024];    /* persist_dir=DIR: persistence on ("": off, the default) */
    int appendfsync;           /* appendfsync=always|everysec|no: enum config_fsync */
    int snapshot_every;        /* snapshot_every=S: timed snapshots (0: none) */
    bool persist_keep_prefix;  /* load the valid prefix of a damaged log or snapshot */
    const char *persist_option; /* a persistence option given (it needs persist_dir), or NULL */
    char replica_of[300];      /* replica_of=HOST:PORT: follow that primary ("": none) */
    char replica_auth[1024];   /* replica_auth=FILE: the link's credentials ("": none) */
    bool replica_tls;          /* replica_tls: the replication link speaks TLS */
    char replica_tls_ca[1024];   /* replica_tls_ca=FILE: the primary's CA ("": the system's) */
    char replica_tls_cert[1024]; /* replica_tls_cert=FILE: the link's certificate ("": none) */
    char replica_tls_key[1024];  /* replica_tls_key=FILE: its key ("": in the certificate) */
    char replica_tls_server_name[256]; /* the name the primary's certificate must have
                                        * ("": the primary's host) */
    char replica_host[256];    /* replica_of, parsed */
    int replica_port;
    int repl_backlog_mb;       /* repl_backlog_size=MB: the replication backlog */
    int repl_buffer_limit_mb;  /* repl_buffer_limit=MB: held for one slow replica */
    int min_replica_acks;      /* min_replica_acks=N: a write's reply waits for N replicas */
    int min_replica_timeout;   /* min_replica_timeout=MS: how long it waits */
    int metrics_port;          /* metrics_port=[HOST:]PORT: the Prometheus endpoint (0: off) */
    char metrics_host[256];    /* its HOST ("": the -l addresses) */
    /* memcached's tuning of its slab allocator, LRU, crawler, logger and
     * hash table: checked as memcached checks it and reported by "stats
     * settings" under memcached's names; mnemo's store has its own way of
     * doing each (segments, S3-FIFO, a reclaim thread, a growing index). */
    bool maxconns_fast;
    int hashpower_init;        /* 0 = not given */
    bool hash_expand;          /* cleared by no_hashexpand */
    bool slab_reassign;
    int slab_automove;         /* 0..2 */
    double slab_automove_ratio;
    int slab_automove_window;
    double slab_automove_freeratio;
    int slab_chunk_max;        /* bytes */
    bool slab_chunk_max_set;   /* given explicitly (an -I above 1 MB keeps it) */
    bool slab_sizes_set;
    char slab_sizes[512];      /* "96-128-..." (at most 63 classes) */
    int tail_repair_time;
    unsigned oldest_live;      /* not a flag: "stats settings" fills it in (server.h) */
    enum config_hash hash_algorithm;
    bool lru_crawler;
    int lru_crawler_sleep;     /* microseconds */
    uint32_t lru_crawler_tocrawl;
    bool lru_maintainer;
    bool lru_segmented;
    int hot_lru_pct;
    int warm_lru_pct;
    double hot_max_factor;
    double warm_max_factor;
    bool temp_lru;             /* set by temporary_ttl */
    int temporary_ttl;
    uint64_t watcher_logbuf_size; /* bytes */
    uint64_t worker_logbuf_size;  /* bytes */
    uint64_t read_buf_mem_limit;  /* bytes, 0 = unlimited */
    bool track_sizes;
    bool drop_privileges;
    uint32_t sock_cookie_id;

    /* -Z and -o ssl_* (config_tls.c), memcached's names and numbers */
    bool ssl_enabled;           /* -Z */
    char ssl_chain_cert[1024];  /* "": none */
    char ssl_key[1024];         /* "": the key is in ssl_chain_cert */
    int ssl_keyformat;          /* 1 PEM, 2 DER (OpenSSL's SSL_FILETYPE_*) */
    int ssl_verify_mode;        /* 0 none, 1 request, 2 require, 3 require once */
    char ssl_ca_cert[1024];     /* "": none */
    char ssl_ciphers[512];      /* "": OpenSSL's default list */
    int ssl_min_version;        /* 0..3: TLS 1.0 .. 1.3 */
    bool ssl_session_cache;
    int ssl_wbuf_size;          /* bytes (the option is in KB) */
    int ssl_handshake_timeout;  /* mnemo's own: seconds, 0 = none */
    const char *ssl_option;     /* an ssl_* option given (it needs -Z), or NULL */
};

/* An -l entry's TLS prefix, memcached's: notls: (plain), btls: (TLS, no
 * client certificate asked for), mtls: (TLS, one required). */
enum config_tls_listen { CONFIG_TLS_DEFAULT, CONFIG_TLS_OFF, CONFIG_TLS_BASIC, CONFIG_TLS_PEER };

/* The entry after its TLS prefix (entry itself if it has none); *mode
 * says which it had. */
const char *config_listen_tls(const char *entry, enum config_tls_listen *mode);

/* A setting as "stats settings" prints it. */
typedef void (*config_emit_fn)(void *arg, const char *name, const char *value);

/*
 * The -o ssl_* options (config_tls.c): config_extended.c's table calls the
 * appliers; config.c the checks and the "stats settings" rows.
 */
/* X_CUSTOM appliers: 0, or -1 for a bad value. */
int config_tls_chain_cert(struct config *cfg, const char *val);
int config_tls_key(struct config *cfg, const char *val);
int config_tls_keyformat(struct config *cfg, const char *val);
int config_tls_ca_cert(struct config *cfg, const char *val);
int config_tls_ciphers(struct config *cfg, const char *val);
int config_tls_wbuf_size(struct config *cfg, const char *val);

/* Once every flag is read: ssl_* without -Z, -Z with UDP or a unix
 * socket, a TLS prefix on -l without -Z. 0, or -1 with one line in err. */
int config_tls_check(const struct config *cfg, char *err, size_t errlen);

/* The ssl_* "stats settings" rows (only with -Z). */
void config_tls_describe(const struct config *cfg, config_emit_fn emit, void *arg);

/* Fill cfg with the defaults. */
void config_defaults(struct config *cfg);

/* Parse argv into cfg. Returns 0, or -1 with a one-line message in err.
 * Strings in cfg point into argv or are static. */
int config_parse(struct config *cfg, int argc, char **argv, char *err, size_t errlen);

/* What mnemod is, in a line (--help's first, the man page's NAME). */
#define CONFIG_SUMMARY "a memcached-compatible in-memory cache"

/* Print the usage text to stdout. */
void config_usage(void);

/* Each flag with help, in --help order: its synopsis ("-p, --port=<num>")
 * and its help (lines separated by '\n'). --help and the man page
 * (tools/man) are both written from this. */
typedef void (*config_help_fn)(void *arg, const char *synopsis, const char *help);
void config_help_foreach(config_help_fn fn, void *arg);

/* Every setting under memcached's "stats settings" name (mnemo's own after
 * them), in memcached's order; verbosity is the live level. */
void config_describe(const struct config *cfg, int verbosity, config_emit_fn emit, void *arg);

const char *config_protocol_name(enum config_protocol p);

/*
 * The -o options, memcached's and mnemo's own (config_extended.c). Each is
 * declared once, in one table: its name, what its value must be, where it
 * lands in struct config, its "stats settings" name and its line of help.
 * The -o parser, that part of --help and that part of "stats settings" all
 * come from the table. config.c calls these; config_extended.c calls
 * nothing of config.c, so the two files depend one way.
 */

/* The defaults of every -o setting (memcached 1.6.45's where it has one). */
void config_extended_defaults(struct config *cfg);

/* Apply one -o argument: names separated by ',', each optionally "=value",
 * as memcached's getsubopt() loop reads them. 0, or -1 with a one-line
 * message in err. */
int config_extended_parse(struct config *cfg, const char *list, char *err, size_t errlen);

/* The checks memcached makes once every flag is read (-I against
 * slab_chunk_max, the LRU percentages, temporary_ttl, hashpower against
 * the threads, slab_sizes). 0, or -1 with a message. */
int config_extended_check(struct config *cfg, char *err, size_t errlen);

/* One help line per -o option, to out. */
void config_extended_usage(FILE *out);

/* Each -o option with help, in --help order: "name=N" style synopsis (""
 * for a refused family, whose help says it all) and its help. */
void config_extended_help_foreach(config_help_fn fn, void *arg);

/* memcached's -o settings that have a "stats settings" name, in its order. */
void config_extended_describe(const struct config *cfg, config_emit_fn emit, void *arg);

/* mnemo's own -o settings (io_uring, poll_us, ...), likewise. */
void config_extended_describe_own(const struct config *cfg, config_emit_fn emit, void *arg);

/* A whole decimal number in [min, max], nothing after it: 0, or -1. Shared
 * by the short flags (config.c) and the -o table. */
int config_read_long(const char *s, long min, long max, long *out);

#endif
