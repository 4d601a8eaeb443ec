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
    unsigned connect_timeout_ms;
    uint64_t seed;
    int json;
    int quiet;            /* no progress line */
    int help;
    int version;
    size_t server_count;
    struct bench_server servers[BENCH_MAX_SERVERS];
};

enum bench_opt_status {
    BENCH_OPT_OK = 0,
    BENCH_OPT_EINVAL = -1,
};

/* The defaults: 1 thread, 4 connections, pipeline 1, text, 9:1, 10000 keys
 * uniform, 32-byte values, 10 s, 127.0.0.1:11211. */
void bench_options_defaults(struct bench_options *o);

/*
 * Parse argv[1..argc) into *o (which this first resets to the defaults).
 * On error returns BENCH_OPT_EINVAL with one line (no newline) in err.
 */
enum bench_opt_status bench_options_parse(struct bench_options *o, int argc, char **argv,
                                          char *err, size_t errlen);

/* The --help text. */
const char *bench_options_usage(void);

#endif
