/*
 * options.h: mnemo-bench's command line, parsed into a struct without side
 * effects (no exit, no printing), so every flag and every error is testable.
 */
#ifndef MNEMO_BENCH_OPTIONS_H
#define MNEMO_BENCH_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "proto.h"

#define BENCH_MAX_SERVERS 64
#define BENCH_MAX_THREADS 256
#define BENCH_MAX_CONNS 4096      /* per thread */
#define BENCH_MAX_PIPELINE 4096
#define BENCH_MAX_VALUE (1u << 20) /* memcached's default item size limit */
#define BENCH_MAX_KEY 250
#define BENCH_MAX_GROUPS 8
#define BENCH_GROUP_NAME 32

/*
 * A group of connections with its own mix and pipeline depth, measured on
 * its own (e.g. 32 writers and 8 readers in one run, issue 19).  Without
 * --group there is one group, "all", of --conns connections.
 */
struct bench_group {
    char name[BENCH_GROUP_NAME];
    unsigned conns;       /* per thread */
    unsigned pipeline;
    unsigned ratio_get;
    unsigned ratio_set;
};

struct bench_server {
    char host[256];
    char port[8];
};

struct bench_options {
    unsigned threads;
    unsigned conns;       /* per thread (each opens one socket per server) */
    unsigned pipeline;    /* requests in flight per connection */
    enum proto_kind protocol;
    unsigned ratio_get;
    unsigned ratio_set;
    uint64_t keys;
    enum key_pattern key_pattern;
    double zipf_s;
    char key_prefix[200];
    uint32_t value_min;
    uint32_t value_max;
    double duration;      /* seconds; 0 when requests is set */
    uint64_t requests;    /* total; 0 when running for a duration */
    int preload;
    double rate;          /* total requests/s, open loop; 0 = closed loop */
    unsigned connect_timeout_ms;  /* the TCP connect and the TLS handshake */
    /* TLS (--tls; any --tls-* implies it): files and name as given (argv's
     * strings), as mnemo-cli takes them */
    int tls;
    int tls_no_verify;
    const char *tls_ca;
    const char *tls_cert;
    const char *tls_key;
    const char *tls_server_name;
    uint64_t seed;
    int json;
    int quiet;            /* no progress line */
    int help;
    int version;
    size_t server_count;
    struct bench_server servers[BENCH_MAX_SERVERS];
    int groups_given;     /* --group was used: report each group */
    size_t group_count;   /* >= 1 after a successful parse */
    struct bench_group groups[BENCH_MAX_GROUPS];
};

enum bench_opt_status {
    BENCH_OPT_OK = 0,
    BENCH_OPT_EINVAL = -1,
};

/* The defaults: 1 thread, 4 connections, pipeline 1, text, 9:1, 10000 keys
 * uniform, 32-byte values, 10 s, 127.0.0.1:11211 (group_count is 0 until
 * bench_options_parse fills the groups in). */
void bench_options_defaults(struct bench_options *o);

/*
 * Parse argv[1..argc) into *o (which this first resets to the defaults).
 * On error returns BENCH_OPT_EINVAL with one line (no newline) in err.
 * On success o->groups holds every group with its conns, pipeline and
 * ratio resolved, and o->conns is the sum of the groups' conns.
 */
enum bench_opt_status bench_options_parse(struct bench_options *o, int argc, char **argv,
                                          char *err, size_t errlen);

/* The deepest pipeline of any group. */
unsigned bench_options_max_pipeline(const struct bench_options *o);

/* The --help text. */
const char *bench_options_usage(void);

#endif
