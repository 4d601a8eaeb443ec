/*
 * config.c: the command line, memcached 1.6.45's flags (memcached.c main()).
 * A line memcached accepts starts mnemod and a line it refuses is refused,
 * with these deliberate differences: numbers are parsed strictly (no
 * trailing garbage, no overflow) so a typo is an error at start rather than
 * a surprising setting; -m takes k/m/g suffixes; and flags for what mnemo
 * does not have yet (TLS, SASL, ASCII auth, a restartable memory file,
 * extstore) are refused with the reason instead of being ignored. The -o
 * options live in config_extended.c.
 */
#include "server/config.h"

#include "server/version.h"
#include "store/store.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
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
    cfg->factor = 1.25;
    cfg->chunk_size = 48;
    cfg->dump_enabled = true;
    cfg->watch_enabled = true;
    cfg->prefix_delimiter = ':';
    config_extended_defaults(cfg);
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
    printf("mnemod %s (memcached %s compatible): a memcached-compatible in-memory cache\n"
           "usage: mnemod [options]\n"
           "-p, --port=<num>          TCP port to listen on (default: 11211; 0 picks one)\n"
           "-l, --listen=<addr>       interface(s) to listen on, comma separated, each\n"
           "                          optionally host:port (default: 127.0.0.1); -l repeats\n"
           "-s, --unix-socket=<file>  UNIX socket to listen on (disables TCP)\n"
           "-a, --unix-mask=<mask>    access mask for the UNIX socket, octal (default: 700)\n"
           "-U, --udp-port=<num>      UDP port for text and meta commands (default: 0, off)\n"
           "-A, --enable-shutdown     enable the ascii \"shutdown\" command\n"
           "-m, --memory-limit=<num>  item memory in megabytes (default: 64; k/m/g suffixes;\n"
           "                          at most 1048576, 1 TB)\n"
           "-c, --conn-limit=<num>    max simultaneous connections (default: 1024)\n"
           "-t, --threads=<num>       worker threads, 1..256 (default: number of cores)\n"
           "-I, --max-item-size=<num> largest item, bytes or with a k/m suffix (default: 1m,\n"
           "                          min: 1k, max: 1024m, a multiple of slab_chunk_max)\n"
           "-M, --disable-evictions   return an error when memory is full instead of evicting\n"
           "-C, --disable-cas         do not use CAS\n"
           "-F, --disable-flush-all   disable the flush_all command\n"
           "-X, --disable-dumping     disable stats cachedump and lru_crawler metadump\n"
           "-W, --disable-watch       disable the watch command\n"
           "-D <char>                 delimiter of key prefixes for per-prefix stats; turns\n"
           "                          them on (default: ':', off until \"stats detail on\")\n"
           "-b, --listen-backlog=<n>  TCP listen backlog (default: 1024)\n"
           "-B, --protocol=<name>     auto (by each connection's first byte), ascii, binary\n"
           "-R, --max-reqs-per-event=<n> requests handled per connection per event (default: 20)\n"
           "-N, --napi-ids=<num>      number of NAPI ids, at most -t (accepted; connections\n"
           "                          go to workers in turn)\n"
           "-d, --daemon              run as a daemon\n"
           "-P, --pidfile=<file>      write the process id here (a warning if it cannot)\n"
           "-u, --user=<user>         user to run as (when started as root)\n"
           "-k, --lock-memory         lock all memory in RAM (mlockall)\n"
           "-L, --enable-largepages   preallocate all item memory (-m) at start: no page\n"
           "                          faults while serving, as memcached's -L\n"
           "-r, --enable-coredumps    raise the core file size limit to the maximum\n"
           "-v, --verbose             warnings; -vv adds connections and client commands;\n"
           "                          -vvv debugging\n"
           "-f, --slab-growth-factor=<f> slab class growth factor, above 1 (default: 1.25)\n"
           "-n, --slab-min-size=<n>   smallest slab chunk, above 0 (default: 48)\n"
           "                          (-f, -n and the slab and LRU options below are checked\n"
           "                          as memcached checks them and shown in \"stats settings\";\n"
           "                          mnemo's store has no slab classes and evicts by S3-FIFO)\n"
           "-Z, -S, -Y, -e            refused: mnemo has no TLS, SASL, ASCII auth file or\n"
           "                          restartable memory file yet\n"
           "-V, --version             print the version and exit\n"
           "-h, --help                print this help and exit\n"
           "-o, --extended=<opts>     comma separated list of extended options:\n",
           MNEMO_VERSION, SERVER_VERSION);
    config_extended_usage(stdout);
}

/* -m: "64", "64m", "512k", "2g"; a bare number is megabytes. */
static int parse_memory(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || s[0] == '-')
        return -1;
    size_t mult = MB;
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

/* -I: bytes, or one k/K/m/M suffix, as memcached reads it ("1mb" and "1g"
 * are not sizes there). */
static int parse_item_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || s[0] == '-')
        return -1;
    size_t mult = 1;
    if (*end == 'k' || *end == 'K')
        mult = 1024;
    else if (*end == 'm' || *end == 'M')
        mult = MB;
    else if (*end != '\0')
        return -1;
    if (mult != 1 && end[1] != '\0')
        return -1;
    if (v > (2048 * MB) / mult)
        v = (2048 * MB) / mult; /* far above the 1 GB limit: refused below */
    *out = (size_t)v * mult;
    return 0;
}

/* memcached 1.6's per-listener prefixes: "proto[ascii]:", "tag[name]:",
 * "tag_name_:" (and the TLS ones, which cannot resolve either). */
static bool has_listener_prefix(const char *list)
{
    const char *p = list;
    while (p != NULL) {
        if (strncmp(p, "proto[", 6) == 0 || strncmp(p, "tag[", 4) == 0 || strncmp(p, "tag_", 4) == 0)
            return true;
        p = strchr(p, ',');
        if (p != NULL)
            p++;
    }
    return false;
}

/* -l may repeat: memcached joins the lists, skipping one already given. */
static int add_listen(struct config *cfg, bool *given, const char *addr)
{
    if (!*given) {
        *given = true;
        cfg->listen = (char *)addr;
        return 0;
    }
    if (strstr(cfg->listen, addr) != NULL)
        return 0;
    char joined[sizeof(cfg->listen_buf)];
    int n = snprintf(joined, sizeof(joined), "%s,%s", cfg->listen, addr);
    if (n < 0 || (size_t)n >= sizeof(joined))
        return -1;
    memcpy(cfg->listen_buf, joined, (size_t)n + 1);
    cfg->listen = cfg->listen_buf;
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
    {"disable-dumping", no_argument, NULL, 'X'},
    {"disable-watch", no_argument, NULL, 'W'},
    {"listen-backlog", required_argument, NULL, 'b'},
    {"protocol", required_argument, NULL, 'B'},
    {"max-reqs-per-event", required_argument, NULL, 'R'},
    {"napi-ids", required_argument, NULL, 'N'},
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
    {"enable-ssl", no_argument, NULL, 'Z'},
    {"enable-sasl", no_argument, NULL, 'S'},
    {"auth-file", required_argument, NULL, 'Y'},
    {"memory-file", required_argument, NULL, 'e'},
    {"version", no_argument, NULL, 'V'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Flags for what mnemo does not have yet: refused with the reason. */
static const char *lacking(int opt)
{
    switch (opt) {
    case 'Z':
        return "-Z (TLS): mnemo has no TLS yet (issue 22)";
    case 'S':
        return "-S (SASL): mnemo has no SASL authentication yet (issue 22)";
    case 'Y':
        return "-Y (ASCII auth file): mnemo has no authentication yet (issue 22)";
    case 'e':
        return "-e (memory file): mnemo has no restartable memory file (persistence: issue 19)";
    default:
        return NULL;
    }
}

int config_parse(struct config *cfg, int argc, char **argv, char *err, size_t errlen)
{
    long v;
    int opt;
    bool listen_given = false, port_given = false;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv,
                              ":p:l:s:a:U:Am:c:t:I:MCFXWD:b:B:R:N:dP:u:kLrvo:f:n:ZSY:e:Vh",
                              long_options, NULL)) != -1) {
        /* memcached skips leading white space in every value */
        while (optarg != NULL && isspace((unsigned char)optarg[0]))
            optarg++;
        switch (opt) {
        case 'p':
            if (config_read_long(optarg, 0, 65535, &v) != 0)
                goto bad;
            cfg->port = (int)v;
            port_given = true;
            break;
        case 'l':
            if (has_listener_prefix(optarg)) {
                snprintf(err, errlen, "-l %s: per-listener protocols and tags (proto[...], tag[...]) "
                         "are not supported yet; -B sets the protocol of every listener", optarg);
                return -1;
            }
            if (add_listen(cfg, &listen_given, optarg) != 0) {
                snprintf(err, errlen, "-l: the list of addresses is too long");
                return -1;
            }
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
            if (config_read_long(optarg, 0, 65535, &v) != 0)
                goto bad;
            cfg->udpport = (int)v;
            break;
        case 'A':
            cfg->shutdown_enabled = true;
            break;
        case 'm':
            if (parse_memory(optarg, &cfg->maxbytes) != 0)
                goto bad;
            break;
        case 'c':
            if (config_read_long(optarg, 1, INT_MAX, &v) != 0)
                goto bad;
            cfg->maxconns = (int)v;
            break;
        case 't':
            if (config_read_long(optarg, 1, 256, &v) != 0)
                goto bad;
            cfg->num_threads = (int)v;
            break;
        case 'I':
            if (parse_item_size(optarg, &cfg->item_size_max) != 0)
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
        case 'X':
            cfg->dump_enabled = false;
            break;
        case 'W':
            cfg->watch_enabled = false;
            break;
        case 'D':
            if (optarg[0] == '\0') {
                snprintf(err, errlen, "-D: no delimiter given");
                return -1;
            }
            cfg->prefix_delimiter = optarg[0];
            cfg->detail_enabled = true;
            break;
        case 'b':
            /* listen() takes any int: the kernel caps it at somaxconn */
            if (config_read_long(optarg, INT_MIN, INT_MAX, &v) != 0)
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
            if (config_read_long(optarg, 1, INT_MAX, &v) != 0)
                goto bad;
            cfg->reqs_per_event = (int)v;
            break;
        case 'N':
            if (config_read_long(optarg, 1, INT_MAX, &v) != 0)
                goto bad;
            cfg->num_napi_ids = (int)v;
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
            /* As memcached: each -v (or --verbose, whatever its value) is one level more. */
            cfg->verbose++;
            break;
        case 'o':
            if (config_extended_parse(cfg, optarg, err, errlen) != 0)
                return -1;
            break;
        case 'f': {
            char *end;
            errno = 0;
            double f = strtod(optarg, &end);
            if (errno != 0 || *end != '\0' || end == optarg || !(f > 1.0) || !isfinite(f)) {
                snprintf(err, errlen, "factor must be greater than 1: %s", optarg);
                return -1;
            }
            cfg->factor = f;
            break;
        }
        case 'n':
            if (config_read_long(optarg, 1, INT_MAX, &v) != 0)
                goto bad;
            cfg->chunk_size = (int)v;
            break;
        case 'Z':
        case 'S':
        case 'Y':
        case 'e':
            snprintf(err, errlen, "%s", lacking(opt));
            return -1;
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
    /* memcached's quirk, which command lines rely on: -U without -p puts
     * TCP on the UDP port too. */
    if (cfg->udpport != 0 && !port_given)
        cfg->port = cfg->udpport;
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
    if (cfg->num_napi_ids > cfg->num_threads) {
        snprintf(err, errlen, "-N %d: the number of NAPI ids cannot be above the threads (-t %d)",
                 cfg->num_napi_ids, cfg->num_threads);
        return -1;
    }
    if (cfg->item_size_max < 1024) {
        snprintf(err, errlen, "item max size cannot be less than 1024 bytes (-I)");
        return -1;
    }
    if (cfg->item_size_max > cfg->maxbytes / 2) {
        snprintf(err, errlen, "item max size (-I %zu) cannot be larger than half the memory limit (-m %zu MB)",
                 cfg->item_size_max, cfg->maxbytes / MB);
        return -1;
    }
    if (cfg->item_size_max > 1024 * MB) {
        snprintf(err, errlen, "item max size cannot be larger than 1 gigabyte (-I)");
        return -1;
    }
    return config_extended_check(cfg, err, errlen);
bad:
    snprintf(err, errlen, "invalid value for -%c: '%s'", opt, optarg);
    return -1;
}

/* "stats settings": memcached 1.6.45's names and order (server_stats_settings
 * in memcached.c); the -o rows come from config_extended.c's table. */
void config_describe(const struct config *c, int verbosity, config_emit_fn emit, void *arg)
{
    char buf[64];
#define EMIT_FMT(name, ...)                          \
    do {                                             \
        snprintf(buf, sizeof(buf), __VA_ARGS__);     \
        emit(arg, name, buf);                        \
    } while (0)
#define EMIT_BOOL(name, v) emit(arg, name, (v) ? "yes" : "no")
    EMIT_FMT("maxbytes", "%zu", c->maxbytes);
    EMIT_FMT("maxconns", "%d", c->maxconns);
    EMIT_FMT("tcpport", "%d", c->port);
    EMIT_FMT("udpport", "%d", c->udpport);
    emit(arg, "inter", c->listen != NULL ? c->listen : "NULL");
    EMIT_FMT("verbosity", "%d", verbosity);
    EMIT_FMT("oldest", "%u", c->oldest_live);
    emit(arg, "evictions", c->evict_to_free ? "on" : "off");
    emit(arg, "domain_socket", c->socketpath != NULL ? c->socketpath : "NULL");
    EMIT_FMT("umask", "%o", (unsigned)c->access);
    EMIT_BOOL("shutdown_command", c->shutdown_enabled);
    EMIT_FMT("growth_factor", "%.2f", c->factor);
    EMIT_FMT("chunk_size", "%d", c->chunk_size);
    EMIT_FMT("num_threads", "%d", c->num_threads);
    /* memcached gives every thread to each UDP port unless -l lists several */
    EMIT_FMT("num_threads_per_udp", "%d",
             c->listen != NULL && strchr(c->listen, ',') != NULL ? 1 : c->num_threads);
    EMIT_FMT("stat_key_prefix", "%c", c->prefix_delimiter);
    EMIT_BOOL("detail_enabled", c->detail_enabled);
    EMIT_FMT("reqs_per_event", "%d", c->reqs_per_event);
    EMIT_BOOL("cas_enabled", c->use_cas);
    EMIT_FMT("tcp_backlog", "%d", c->backlog);
    emit(arg, "binding_protocol", config_protocol_name(c->protocol));
    EMIT_BOOL("auth_enabled_sasl", false);
    EMIT_BOOL("auth_enabled_ascii", false);
    EMIT_FMT("item_size_max", "%zu", c->item_size_max);
    config_extended_describe(c, emit, arg);
    /* (no ssl_enabled: memcached prints it only when built with TLS) */
    EMIT_FMT("num_napi_ids", "%d", c->num_napi_ids);
    emit(arg, "memory_file", "(null)");
    EMIT_FMT("client_flags_size", "%zu", sizeof(uint32_t));
    /* mnemo's own */
    EMIT_BOOL("lock_memory", c->lock_memory);
    EMIT_BOOL("large_pages", c->large_pages);
    config_extended_describe_own(c, emit, arg);
#undef EMIT_FMT
#undef EMIT_BOOL
}
