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

/* -o poll_us when not given and io_uring is on (see uring.c poll_briefly) */
#define CONFIG_POLL_US_DEFAULT 5

enum config_protocol { CONFIG_PROTO_AUTO, CONFIG_PROTO_ASCII, CONFIG_PROTO_BINARY };

struct config {
    int port;                  /* -p */
    char *listen;              /* -l, comma-separated list */
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
    bool shutdown_enabled;     /* -A */
    bool evict_to_free;        /* cleared by -M */
    bool use_cas;              /* cleared by -C */
    bool flush_enabled;        /* cleared by -F */
    int backlog;               /* -b */
    enum config_protocol protocol; /* -B */
    int reqs_per_event;        /* -R */
    bool lock_memory;          /* -k */
    bool large_pages;          /* -L: preallocate item memory */
    bool huge_pages;           /* -o hugepages=on|off: huge pages for item memory */
    bool maxcore;              /* -r */
    int idle_timeout;          /* -o idle_timeout=N, seconds, 0 = off */
    bool io_uring;             /* -o io_uring=on|off: workers' connection I/O */
    int io_uring_bufs;         /* -o io_uring_bufs=N: provided receive buffers per worker */
    int poll_us;               /* -o poll_us=N: poll this long before sleeping (0: never;
                                * -1 until config_parse() picks the default) */
    double factor;             /* -f: accepted for compatibility (no slab classes here) */
    int chunk_size;            /* -n: likewise */
    bool show_help;            /* -h */
    bool show_version;         /* -V */
};

/* Fill cfg with the defaults. */
void config_defaults(struct config *cfg);

/* Parse argv into cfg. Returns 0, or -1 with a one-line message in err.
 * Strings in cfg point into argv or are static. */
int config_parse(struct config *cfg, int argc, char **argv, char *err, size_t errlen);

/* Print the usage text to stdout. */
void config_usage(void);

const char *config_protocol_name(enum config_protocol p);

#endif
