/*
 * config.c: the command line. Numbers are parsed strictly (no trailing
 * garbage, no overflow) so a typo is an error at start rather than a
 * surprising setting.
 */
#include "server/config.h"

#include "store/store.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MB (1024ul * 1024ul)

void config_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->port = 11211;
    cfg->listen = "127.0.0.1";
    cfg->access = 0700;
    cfg->maxconns = 1024;
    cfg->maxbytes = 64 * MB;
    cfg->item_size_max = 1 * MB;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    cfg->num_threads = cores > 0 ? (int)cores : 4;
    cfg->evict_to_free = true;
    cfg->use_cas = true;
    cfg->flush_enabled = true;
    cfg->backlog = 1024;
    cfg->protocol = CONFIG_PROTO_AUTO;
    cfg->reqs_per_event = 20;
    cfg->io_uring = true;
    cfg->huge_pages = true;
    /* A buffer goes back to the ring as soon as its bytes are copied out, so
     * only arrivals not yet handled hold one; but the ring hands buffers
     * out in turn, so every one of them ends up resident: 64 x 16 KiB is
     * 1 MiB per worker (256 took 4 MiB and measured no faster). */
    cfg->io_uring_bufs = 64;
    cfg->poll_us = -1; /* CONFIG_POLL_US_DEFAULT with io_uring, else 0 */
    cfg->factor = 1.25;
    cfg->chunk_size = 48;
}

const char *config_protocol_name(enum config_protocol p)
{
    switch (p) {
    case CONFIG_PROTO_ASCII:
        return "ascii";
    case CONFIG_PROTO_BINARY:
        return "binary";
    default:
        return "auto-negotiate";
    }
}

void config_usage(void)
{
    printf("mnemod %s: a memcached-compatible in-memory cache\n"
           "usage: mnemod [options]\n"
           "-p, --port=<num>          TCP port to listen on (default: 11211; 0 picks one)\n"
           "-l, --listen=<addr>       interface(s) to listen on, comma separated, each\n"
           "                          optionally host:port (default: 127.0.0.1)\n"
           "-s, --unix-socket=<file>  UNIX socket to listen on (disables TCP)\n"
           "-a, --unix-mask=<mask>    access mask for the UNIX socket, octal (default: 700)\n"
           "-U, --udp-port=<num>      UDP port for text and meta commands (default: 0, off)\n"
           "-A, --enable-shutdown     enable the ascii \"shutdown\" command\n"
           "-m, --memory-limit=<num>  item memory in megabytes (default: 64; k/m/g suffixes;\n"
           "                          at most 1048576, 1 TB)\n"
           "-c, --conn-limit=<num>    max simultaneous connections (default: 1024)\n"
           "-t, --threads=<num>       worker threads (default: number of cores)\n"
           "-I, --max-item-size=<num> largest item, with k/m suffix (default: 1m, min 1k)\n"
           "-M, --disable-evictions   return an error when memory is full instead of evicting\n"
           "-C, --disable-cas         do not use CAS\n"
           "-F, --disable-flush-all   disable the flush_all command\n"
           "-b, --listen-backlog=<n>  TCP listen backlog (default: 1024)\n"
           "-B, --protocol=<name>     auto (by each connection's first byte), ascii, binary\n"
           "-R, --max-reqs-per-event=<n> requests handled per connection per event (default: 20)\n"
           "-d, --daemon              run as a daemon\n"
           "-P, --pidfile=<file>      write the process id here (with -d)\n"
           "-u, --user=<user>         user to run as (when started as root)\n"
           "-k, --lock-memory         lock all memory in RAM (mlockall)\n"
           "-L, --enable-largepages   preallocate all item memory (-m) at start: no page\n"
           "                          faults while serving, as memcached's -L\n"
           "-r, --enable-coredumps    raise the core file size limit to the maximum\n"
           "-v, --verbose             warnings; -vv adds connections and client commands;\n"
           "                          -vvv debugging\n"
           "-o, --extended=<opts>     comma-separated: idle_timeout=<sec>;\n"
           "                          io_uring=on|off (connection I/O through io_uring, on\n"
           "                          by default; epoll when off or when the kernel refuses);\n"
           "                          io_uring_bufs=N (16 KiB receive buffers per worker shared\n"
           "                          by its multishot receives: 0 or a power of two up to\n"
           "                          32768, default 64; 0 = one receive per request);\n"
           "                          poll_us=N (io_uring workers look for new requests for\n"
           "                          up to N microseconds, 0..1000, before sleeping: more\n"
           "                          requests/s and lower latency under load; default 5,\n"
           "                          0 = off);\n"
           "                          hugepages=on|off (item memory in transparent huge\n"
           "                          pages where the kernel allows them, on by default);\n"
           "                          accepted for\n"
           "                          compatibility: modern, maxconns_fast, slab_reassign,\n"
           "                          slab_automove[=N], hashpower=N, lru_crawler, lru_maintainer\n"
           "-f, --slab-growth-factor=<f>, -n, --slab-min-size=<n>\n"
           "                          accepted for compatibility: mnemo has no slab classes\n"
           "-V, --version             print the version and exit\n"
           "-h, --help                print this help and exit\n",
           MNEMO_VERSION);
}

static int parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* "64", "64m", "512k", "2g"; unit is the multiplier for a bare number. */
static int parse_size(const char *s, size_t unit, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || s[0] == '-')
        return -1;
    size_t mult = unit;
    if (*end != '\0') {
        switch (*end) {
        case 'k': case 'K': mult = 1024; break;
        case 'm': case 'M': mult = MB; break;
        case 'g': case 'G': mult = 1024 * MB; break;
        default: return -1;
        }
        if (end[1] != '\0' && !((end[1] == 'b' || end[1] == 'B') && end[2] == '\0'))
            return -1;
    }
    if (v > SIZE_MAX / mult)
        return -1;
    *out = (size_t)v * mult;
    return 0;
}

/* An -o name=on|off switch. 0, or -1 with err set. */
static int parse_switch(const char *name, const char *val, bool *dst, char *err, size_t errlen)
{
    if (val != NULL && strcmp(val, "on") == 0) {
        *dst = true;
    } else if (val != NULL && strcmp(val, "off") == 0) {
        *dst = false;
    } else {
        snprintf(err, errlen, "invalid %s: %s (on or off)", name, val ? val : "(missing)");
        return -1;
    }
    return 0;
}

static int parse_extended(struct config *cfg, const char *optarg_text, char *err, size_t errlen)
{
    /* Tokenise a copy: argv strings are left as the caller gave them. */
    char opts[1024];
    if (strlen(optarg_text) >= sizeof(opts)) {
        snprintf(err, errlen, "-o option list too long");
        return -1;
    }
    strcpy(opts, optarg_text);
    char *save = NULL;
    for (char *o = strtok_r(opts, ",", &save); o != NULL; o = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(o, '=');
        const char *val = eq != NULL ? eq + 1 : NULL;
        size_t nlen = eq != NULL ? (size_t)(eq - o) : strlen(o);
        long v;
        if (nlen == 12 && strncmp(o, "idle_timeout", nlen) == 0) {
            if (val == NULL || parse_long(val, 0, INT_MAX, &v) != 0) {
                snprintf(err, errlen, "invalid idle_timeout: %s", val ? val : "(missing)");
                return -1;
            }
            cfg->idle_timeout = (int)v;
        } else if (nlen == 8 && strncmp(o, "io_uring", nlen) == 0) {
            if (parse_switch("io_uring", val, &cfg->io_uring, err, errlen) != 0)
                return -1;
        } else if (nlen == 9 && strncmp(o, "hugepages", nlen) == 0) {
            if (parse_switch("hugepages", val, &cfg->huge_pages, err, errlen) != 0)
                return -1;
        } else if (nlen == 13 && strncmp(o, "io_uring_bufs", nlen) == 0) {
            if (val == NULL || parse_long(val, 0, 32768, &v) != 0 || (v & (v - 1)) != 0) {
                snprintf(err, errlen, "invalid io_uring_bufs: %s (0 or a power of two up to 32768)",
                         val ? val : "(missing)");
                return -1;
            }
            cfg->io_uring_bufs = (int)v;
        } else if (nlen == 7 && strncmp(o, "poll_us", nlen) == 0) {
            if (val == NULL || parse_long(val, 0, 1000, &v) != 0) {
                snprintf(err, errlen, "invalid poll_us: %s (0..1000)", val ? val : "(missing)");
                return -1;
            }
            cfg->poll_us = (int)v;
        } else if (nlen == 9 && strncmp(o, "hashpower", nlen) == 0) {
            /* The index grows by itself; the hint is checked and not needed. */
            if (val == NULL || parse_long(val, 12, 32, &v) != 0) {
                snprintf(err, errlen, "invalid hashpower: %s (12..32)", val ? val : "(missing)");
                return -1;
            }
        } else if ((nlen == 6 && strncmp(o, "modern", nlen) == 0) ||
                   (nlen == 13 && strncmp(o, "maxconns_fast", nlen) == 0) ||
                   (nlen == 13 && strncmp(o, "slab_reassign", nlen) == 0) ||
                   (nlen == 14 && strncmp(o, "slab_automove", nlen) == 0) ||
                   (nlen == 11 && strncmp(o, "lru_crawler", nlen) == 0) ||
                   (nlen == 14 && strncmp(o, "lru_maintainer", nlen) == 0)) {
            /* memcached switches for what mnemo always does: reject extra
             * connections at once, move memory between sizes, reclaim
             * expired items in the background. */
        } else {
            snprintf(err, errlen, "unknown -o option: %.*s", (int)nlen, o);
            return -1;
        }
    }
    return 0;
}

static const struct option long_options[] = {
    {"port", required_argument, NULL, 'p'},
    {"listen", required_argument, NULL, 'l'},
    {"unix-socket", required_argument, NULL, 's'},
    {"unix-mask", required_argument, NULL, 'a'},
    {"udp-port", required_argument, NULL, 'U'},
    {"enable-shutdown", no_argument, NULL, 'A'},
    {"memory-limit", required_argument, NULL, 'm'},
    {"conn-limit", required_argument, NULL, 'c'},
    {"threads", required_argument, NULL, 't'},
    {"max-item-size", required_argument, NULL, 'I'},
    {"disable-evictions", no_argument, NULL, 'M'},
    {"disable-cas", no_argument, NULL, 'C'},
    {"disable-flush-all", no_argument, NULL, 'F'},
    {"listen-backlog", required_argument, NULL, 'b'},
    {"protocol", required_argument, NULL, 'B'},
    {"max-reqs-per-event", required_argument, NULL, 'R'},
    {"daemon", no_argument, NULL, 'd'},
    {"pidfile", required_argument, NULL, 'P'},
    {"user", required_argument, NULL, 'u'},
    {"lock-memory", no_argument, NULL, 'k'},
    {"enable-largepages", no_argument, NULL, 'L'},
    {"enable-coredumps", no_argument, NULL, 'r'},
    {"verbose", optional_argument, NULL, 'v'},
    {"extended", required_argument, NULL, 'o'},
    {"slab-growth-factor", required_argument, NULL, 'f'},
    {"slab-min-size", required_argument, NULL, 'n'},
    {"version", no_argument, NULL, 'V'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int config_parse(struct config *cfg, int argc, char **argv, char *err, size_t errlen)
{
    long v;
    int opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":p:l:s:a:U:Am:c:t:I:MCFb:B:R:dP:u:kLrvo:f:n:Vh",
                              long_options, NULL)) != -1) {
        switch (opt) {
        case 'p':
            if (parse_long(optarg, 0, 65535, &v) != 0)
                goto bad;
            cfg->port = (int)v;
            break;
        case 'l':
            cfg->listen = optarg;
            break;
        case 's':
            cfg->socketpath = optarg;
            break;
        case 'a': {
            char *end;
            errno = 0;
            long mask = strtol(optarg, &end, 8);
            if (errno != 0 || *end != '\0' || end == optarg || mask < 0 || mask > 0777)
                goto bad;
            cfg->access = (int)mask;
            break;
        }
        case 'U':
            if (parse_long(optarg, 0, 65535, &v) != 0)
                goto bad;
            cfg->udpport = (int)v;
            break;
        case 'A':
            cfg->shutdown_enabled = true;
            break;
        case 'm':
            if (parse_size(optarg, MB, &cfg->maxbytes) != 0 || cfg->maxbytes == 0)
                goto bad;
            break;
        case 'c':
            if (parse_long(optarg, 1, INT_MAX, &v) != 0)
                goto bad;
            cfg->maxconns = (int)v;
            break;
        case 't':
            if (parse_long(optarg, 1, 256, &v) != 0)
                goto bad;
            cfg->num_threads = (int)v;
            break;
        case 'I':
            if (parse_size(optarg, 1, &cfg->item_size_max) != 0)
                goto bad;
            break;
        case 'M':
            cfg->evict_to_free = false;
            break;
        case 'C':
            cfg->use_cas = false;
            break;
        case 'F':
            cfg->flush_enabled = false;
            break;
        case 'b':
            if (parse_long(optarg, 1, INT_MAX, &v) != 0)
                goto bad;
            cfg->backlog = (int)v;
            break;
        case 'B':
            if (strcmp(optarg, "auto") == 0) {
                cfg->protocol = CONFIG_PROTO_AUTO;
            } else if (strcmp(optarg, "ascii") == 0) {
                cfg->protocol = CONFIG_PROTO_ASCII;
            } else if (strcmp(optarg, "binary") == 0) {
                cfg->protocol = CONFIG_PROTO_BINARY;
            } else {
                goto bad;
            }
            break;
        case 'R':
            if (parse_long(optarg, 1, INT_MAX, &v) != 0)
                goto bad;
            cfg->reqs_per_event = (int)v;
            break;
        case 'd':
            cfg->daemonize = true;
            break;
        case 'P':
            cfg->pidfile = optarg;
            break;
        case 'u':
            cfg->username = optarg;
            break;
        case 'k':
            cfg->lock_memory = true;
            break;
        case 'L':
            cfg->large_pages = true;
            break;
        case 'r':
            cfg->maxcore = true;
            break;
        case 'v':
            cfg->verbose++;
            /* --verbose=2 and the -vv spelling both work */
            if (optarg != NULL) {
                if (parse_long(optarg, 0, 3, &v) != 0)
                    goto bad;
                cfg->verbose = (int)v;
            }
            break;
        case 'o':
            if (parse_extended(cfg, optarg, err, errlen) != 0)
                return -1;
            break;
        case 'f': {
            char *end;
            errno = 0;
            double f = strtod(optarg, &end);
            if (errno != 0 || *end != '\0' || end == optarg || f <= 1.0) {
                snprintf(err, errlen, "factor must be greater than 1: %s", optarg);
                return -1;
            }
            cfg->factor = f;
            break;
        }
        case 'n':
            if (parse_long(optarg, 1, INT_MAX, &v) != 0)
                goto bad;
            cfg->chunk_size = (int)v;
            break;
        case 'V':
            cfg->show_version = true;
            break;
        case 'h':
            cfg->show_help = true;
            break;
        case ':':
            snprintf(err, errlen, "option -%c needs a value", optopt ? optopt : '?');
            return -1;
        default:
            if (optopt != 0)
                snprintf(err, errlen, "unknown option -%c (see -h)", optopt);
            else
                snprintf(err, errlen, "unknown option %s (see -h)", argv[optind - 1]);
            return -1;
        }
    }
    if (optind < argc) {
        snprintf(err, errlen, "unexpected argument: %s", argv[optind]);
        return -1;
    }
    if (cfg->maxbytes > store_max_bytes()) {
        snprintf(err, errlen, "-m %zu MB is more than the store can address (at most %zu MB)",
                 cfg->maxbytes / MB, store_max_bytes() / MB);
        return -1;
    }
    /* -L makes all of -m resident at start: past the machine's memory that
     * would end in the OOM killer, not in an error. */
    size_t phys = (size_t)sysconf(_SC_PHYS_PAGES) * (size_t)sysconf(_SC_PAGESIZE);
    if (cfg->large_pages && cfg->maxbytes > phys) {
        snprintf(err, errlen,
                 "-L preallocates -m: %zu MB is more than this machine's memory (%zu MB)",
                 cfg->maxbytes / MB, phys / MB);
        return -1;
    }
    if (cfg->item_size_max < 1024) {
        snprintf(err, errlen, "item max size cannot be less than 1024 bytes (-I)");
        return -1;
    }
    if (cfg->item_size_max > 1024 * MB) {
        snprintf(err, errlen, "item max size cannot be larger than 1 gigabyte (-I)");
        return -1;
    }
    if (cfg->item_size_max > cfg->maxbytes / 2) {
        snprintf(err, errlen, "item max size (-I %zu) cannot be larger than half the memory limit (-m %zu MB)",
                 cfg->item_size_max, cfg->maxbytes / MB);
        return -1;
    }
    if (cfg->poll_us > 0 && !cfg->io_uring) {
        /* the look before sleeping is the ring's; epoll workers have none */
        snprintf(err, errlen, "poll_us needs io_uring=on");
        return -1;
    }
    if (cfg->poll_us < 0)
        cfg->poll_us = cfg->io_uring ? CONFIG_POLL_US_DEFAULT : 0;
    return 0;
bad:
    snprintf(err, errlen, "invalid value for -%c: '%s'", opt, optarg);
    return -1;
}
