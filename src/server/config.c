/*
 * config.c: the command line, memcached 1.6.45's flags (memcached.c main()).
 * A line memcached accepts starts mnemod and a line it refuses is refused,
 * with these deliberate differences: numbers are parsed strictly (no
 * trailing garbage, no overflow) so a typo is an error at start rather than
 * a surprising setting; -m takes k/m/g suffixes; and flags for what mnemo
 * does not have yet (TLS, SASL, ASCII auth, a restartable memory file,
 * extstore) are refused with the reason instead of being ignored. The -o
 * options live in config_extended.c.
 *
 * Each flag is declared once, in flags[] below: its letter, long name,
 * value, default, field, "stats settings" row and help. getopt's arrays,
 * the defaults, the parser, --help and "stats settings" all come from it.
 */
#include "server/config.h"

#include "server/version.h"
#include "store/store.h"

#include <assert.h>
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

enum flag_kind {
    FLAG_INT,     /* int field: a whole number in [min, max] */
    FLAG_STRING,  /* char * field: the value as given (argv outlives the config) */
    FLAG_SET,     /* bool field: false, and the flag sets it */
    FLAG_CLEAR,   /* bool field: true, and the flag clears it */
    FLAG_COUNT,   /* int field: one more each time (-vv, --verbose=anything) */
    FLAG_CUSTOM,  /* set() reads the value */
    FLAG_REFUSED, /* a feature mnemo lacks: refused with why */
};

/* How a field reads in "stats settings". */
enum flag_stat {
    STAT_NONE,
    STAT_INT,      /* int */
    STAT_U32,      /* unsigned */
    STAT_SIZE,     /* size_t */
    STAT_BOOL,     /* yes|no */
    STAT_ONOFF,    /* on|off */
    STAT_OCTAL,    /* int, in octal */
    STAT_DOUBLE2,  /* %.2f */
    STAT_CHAR,     /* one char */
    STAT_STRING,   /* char *, "NULL" when unset */
    STAT_PROTOCOL, /* enum config_protocol */
    STAT_STRING_DEF, /* char *, its def when unset (def is no default value) */
    STAT_DEFAULT,  /* FLAG_REFUSED: never set, so always its def */
};

enum flag_status {
    FLAG_OK = 0,
    FLAG_EINVAL = -1,   /* the value is bad: "invalid value for -x" */
    FLAG_EREPORTED = -2 /* refused, with the reason already in err */
};

/* What the parser knows while it reads one command line. */
struct flag_state {
    bool defaults;               /* filling in defaults, not reading argv */
    bool given[UCHAR_MAX + 1];   /* the letters read so far */
};

struct flag;
typedef enum flag_status (*flag_set_fn)(struct config *cfg, const struct flag *f, const char *val,
                                        const struct flag_state *st, char *err, size_t errlen);

struct flag {
    char letter;
    const char *name;     /* --name; NULL: none */
    const char *arg;      /* the value's name in --help ("<num>"); NULL: takes none */
    enum flag_kind kind;
    size_t off;           /* its field in struct config (FLAG_CUSTOM: the one stats shows) */
    long min, max;        /* FLAG_INT */
    flag_set_fn set;      /* FLAG_CUSTOM */
    const char *def;      /* the default, read as the same value on the command line
                           * would be; NULL: zero (FLAG_CLEAR: true) */
    const char *stat;     /* its "stats settings" name; NULL: none */
    enum flag_stat fmt;
    const char *help;     /* its --help text (later lines are indented); NULL: none */
    const char *why;      /* FLAG_REFUSED: the error */
};

#define F(field) offsetof(struct config, field)

static enum flag_status set_listen(struct config *cfg, const struct flag *f, const char *val,
                                   const struct flag_state *st, char *err, size_t errlen);
static enum flag_status set_mask(struct config *cfg, const struct flag *f, const char *val,
                                 const struct flag_state *st, char *err, size_t errlen);
static enum flag_status set_memory(struct config *cfg, const struct flag *f, const char *val,
                                   const struct flag_state *st, char *err, size_t errlen);
static enum flag_status set_item_size(struct config *cfg, const struct flag *f, const char *val,
                                      const struct flag_state *st, char *err, size_t errlen);
static enum flag_status set_delimiter(struct config *cfg, const struct flag *f, const char *val,
                                      const struct flag_state *st, char *err, size_t errlen);
static enum flag_status set_protocol(struct config *cfg, const struct flag *f, const char *val,
                                     const struct flag_state *st, char *err, size_t errlen);
static enum flag_status set_factor(struct config *cfg, const struct flag *f, const char *val,
                                   const struct flag_state *st, char *err, size_t errlen);
static enum flag_status set_extended(struct config *cfg, const struct flag *f, const char *val,
                                     const struct flag_state *st, char *err, size_t errlen);

/* In --help order. -F and -X have their "stats settings" rows in the -o
 * table (config_extended.c), where memcached prints them. */
static const struct flag flags[] = {
    {.letter = 'p', .name = "port", .arg = "<num>", .kind = FLAG_INT, .off = F(port),
     .min = 0, .max = 65535, .def = "11211", .stat = "tcpport", .fmt = STAT_INT,
     .help = "TCP port to listen on (default: 11211; 0 picks one)"},
    {.letter = 'l', .name = "listen", .arg = "<addr>", .kind = FLAG_CUSTOM, .off = F(listen),
     .set = set_listen, .def = "127.0.0.1", .stat = "inter", .fmt = STAT_STRING,
     .help = "interface(s) to listen on, comma separated, each\n"
             "optionally host:port (default: 127.0.0.1); -l repeats"},
    {.letter = 's', .name = "unix-socket", .arg = "<file>", .kind = FLAG_STRING,
     .off = F(socketpath), .stat = "domain_socket", .fmt = STAT_STRING,
     .help = "UNIX socket to listen on (disables TCP)"},
    {.letter = 'a', .name = "unix-mask", .arg = "<mask>", .kind = FLAG_CUSTOM, .off = F(access),
     .set = set_mask, .def = "700", .stat = "umask", .fmt = STAT_OCTAL,
     .help = "access mask for the UNIX socket, octal (default: 700)"},
    {.letter = 'U', .name = "udp-port", .arg = "<num>", .kind = FLAG_INT, .off = F(udpport),
     .min = 0, .max = 65535, .stat = "udpport", .fmt = STAT_INT,
     .help = "UDP port for text and meta commands (default: 0, off)"},
    {.letter = 'A', .name = "enable-shutdown", .kind = FLAG_SET, .off = F(shutdown_enabled),
     .stat = "shutdown_command", .fmt = STAT_BOOL,
     .help = "enable the ascii \"shutdown\" command"},
    {.letter = 'm', .name = "memory-limit", .arg = "<num>", .kind = FLAG_CUSTOM,
     .off = F(maxbytes), .set = set_memory, .def = "64", .stat = "maxbytes", .fmt = STAT_SIZE,
     .help = "item memory in megabytes (default: 64; k/m/g suffixes;\n"
             "at most 1048576, 1 TB)"},
    {.letter = 'c', .name = "conn-limit", .arg = "<num>", .kind = FLAG_INT, .off = F(maxconns),
     .min = 1, .max = INT_MAX, .def = "1024", .stat = "maxconns", .fmt = STAT_INT,
     .help = "max simultaneous connections (default: 1024)"},
    /* its default, the number of cores, is config_defaults()'s */
    {.letter = 't', .name = "threads", .arg = "<num>", .kind = FLAG_INT, .off = F(num_threads),
     .min = 1, .max = 256, .stat = "num_threads", .fmt = STAT_INT,
     .help = "worker threads, 1..256 (default: number of cores)"},
    {.letter = 'I', .name = "max-item-size", .arg = "<num>", .kind = FLAG_CUSTOM,
     .off = F(item_size_max), .set = set_item_size, .def = "1m", .stat = "item_size_max",
     .fmt = STAT_SIZE,
     .help = "largest item, bytes or with a k/m suffix (default: 1m,\n"
             "min: 1k, max: 1024m, a multiple of slab_chunk_max)"},
    {.letter = 'M', .name = "disable-evictions", .kind = FLAG_CLEAR, .off = F(evict_to_free),
     .stat = "evictions", .fmt = STAT_ONOFF,
     .help = "return an error when memory is full instead of evicting"},
    {.letter = 'C', .name = "disable-cas", .kind = FLAG_CLEAR, .off = F(use_cas),
     .stat = "cas_enabled", .fmt = STAT_BOOL, .help = "do not use CAS"},
    {.letter = 'F', .name = "disable-flush-all", .kind = FLAG_CLEAR, .off = F(flush_enabled),
     .help = "disable the flush_all command"},
    {.letter = 'X', .name = "disable-dumping", .kind = FLAG_CLEAR, .off = F(dump_enabled),
     .help = "disable stats cachedump and lru_crawler metadump"},
    {.letter = 'W', .name = "disable-watch", .kind = FLAG_CLEAR, .off = F(watch_enabled),
     .help = "disable the watch command"},
    {.letter = 'D', .arg = "<char>", .kind = FLAG_CUSTOM, .off = F(prefix_delimiter),
     .set = set_delimiter, .def = ":", .stat = "stat_key_prefix", .fmt = STAT_CHAR,
     .help = "delimiter of key prefixes for per-prefix stats; turns\n"
             "them on (default: ':', off until \"stats detail on\")"},
    /* listen() takes any int: the kernel caps it at somaxconn */
    {.letter = 'b', .name = "listen-backlog", .arg = "<n>", .kind = FLAG_INT, .off = F(backlog),
     .min = INT_MIN, .max = INT_MAX, .def = "1024", .stat = "tcp_backlog", .fmt = STAT_INT,
     .help = "TCP listen backlog (default: 1024)"},
    {.letter = 'B', .name = "protocol", .arg = "<name>", .kind = FLAG_CUSTOM, .off = F(protocol),
     .set = set_protocol, .def = "auto", .stat = "binding_protocol", .fmt = STAT_PROTOCOL,
     .help = "auto (by each connection's first byte), ascii, binary"},
    {.letter = 'R', .name = "max-reqs-per-event", .arg = "<n>", .kind = FLAG_INT,
     .off = F(reqs_per_event), .min = 1, .max = INT_MAX, .def = "20", .stat = "reqs_per_event",
     .fmt = STAT_INT, .help = "requests handled per connection per event (default: 20)"},
    {.letter = 'N', .name = "napi-ids", .arg = "<num>", .kind = FLAG_INT, .off = F(num_napi_ids),
     .min = 1, .max = INT_MAX, .stat = "num_napi_ids", .fmt = STAT_INT,
     .help = "number of NAPI ids, at most -t (accepted; connections\n"
             "go to workers in turn)"},
    {.letter = 'd', .name = "daemon", .kind = FLAG_SET, .off = F(daemonize),
     .help = "run as a daemon"},
    {.letter = 'P', .name = "pidfile", .arg = "<file>", .kind = FLAG_STRING, .off = F(pidfile),
     .help = "write the process id here (a warning if it cannot)"},
    {.letter = 'u', .name = "user", .arg = "<user>", .kind = FLAG_STRING, .off = F(username),
     .help = "user to run as (when started as root)"},
    {.letter = 'k', .name = "lock-memory", .kind = FLAG_SET, .off = F(lock_memory),
     .stat = "lock_memory", .fmt = STAT_BOOL, .help = "lock all memory in RAM (mlockall)"},
    {.letter = 'L', .name = "enable-largepages", .kind = FLAG_SET, .off = F(large_pages),
     .stat = "large_pages", .fmt = STAT_BOOL,
     .help = "preallocate all item memory (-m) at start: no page\n"
             "faults while serving, as memcached's -L"},
    {.letter = 'r', .name = "enable-coredumps", .kind = FLAG_SET, .off = F(maxcore),
     .help = "raise the core file size limit to the maximum"},
    /* "stats settings" shows the live level (config_describe) */
    {.letter = 'v', .name = "verbose", .kind = FLAG_COUNT, .off = F(verbose),
     .stat = "verbosity", .fmt = STAT_INT,
     .help = "warnings; -vv adds connections and client commands;\n"
             "-vvv debugging"},
    {.letter = 'f', .name = "slab-growth-factor", .arg = "<f>", .kind = FLAG_CUSTOM,
     .off = F(factor), .set = set_factor, .def = "1.25", .stat = "growth_factor",
     .fmt = STAT_DOUBLE2, .help = "slab class growth factor, above 1 (default: 1.25)"},
    {.letter = 'n', .name = "slab-min-size", .arg = "<n>", .kind = FLAG_INT, .off = F(chunk_size),
     .min = 1, .max = INT_MAX, .def = "48", .stat = "chunk_size", .fmt = STAT_INT,
     .help = "smallest slab chunk, above 0 (default: 48)\n"
             "(-f, -n and the slab and LRU options below are checked\n"
             "as memcached checks them and shown in \"stats settings\";\n"
             "mnemo's store has no slab classes and evicts by S3-FIFO)"},
    /* --help lists the refused flags on one line, the first one's */
    {.letter = 'Z', .name = "enable-ssl", .kind = FLAG_SET, .off = F(ssl_enabled),
     .help = "enable TLS (-o ssl_chain_cert, ssl_key, ... below); an -l\n"
             "entry prefixed notls: stays plain, mtls: requires a client\n"
             "certificate, btls: asks for none"},
    {.letter = 'S', .name = "enable-sasl", .kind = FLAG_SET, .off = F(sasl),
     .stat = "auth_enabled_sasl", .fmt = STAT_BOOL,
     .help = "SASL authentication for the binary protocol (Cyrus SASL,\n"
             "service \"memcached\"; MEMCACHED_SASL_PWDB=FILE: users from\n"
             "FILE's \"user:password\" lines, mechanism PLAIN)"},
    {.letter = 'Y', .name = "auth-file", .arg = "<file>", .kind = FLAG_STRING, .off = F(auth_file),
     .def = "no", .stat = "auth_enabled_ascii", .fmt = STAT_STRING_DEF,
     .help = "ascii authentication: \"user:password\" lines; a client\n"
             "sends \"set <any key> 0 0 <n>\" with \"user password\" as\n"
             "its data before anything else (read again on SIGHUP)"},
    {.letter = 'e', .name = "memory-file", .arg = "<file>", .kind = FLAG_REFUSED, .def = "(null)",
     .stat = "memory_file", .fmt = STAT_DEFAULT,
     .help = "refused: mnemo has no restartable memory file (-o persist_dir)",
     .why = "-e (memory file): mnemo has no restartable memory file (persistence: issue 19)"},
    {.letter = 'V', .name = "version", .kind = FLAG_SET, .off = F(show_version),
     .help = "print the version and exit"},
    {.letter = 'h', .name = "help", .kind = FLAG_SET, .off = F(show_help),
     .help = "print this help and exit"},
    /* last: config_extended_usage() lists the options after its line */
    {.letter = 'o', .name = "extended", .arg = "<opts>", .kind = FLAG_CUSTOM, .set = set_extended,
     .help = "comma separated list of extended options:"},
};

#define NFLAGS (sizeof(flags) / sizeof(flags[0]))

static const struct flag *flag_find(int letter)
{
    for (size_t i = 0; i < NFLAGS; i++) {
        if (flags[i].letter == letter)
            return &flags[i];
    }
    return NULL;
}

static void *field(struct config *cfg, const struct flag *f)
{
    return (char *)cfg + f->off;
}

static const void *field_c(const struct config *cfg, size_t off)
{
    return (const char *)cfg + off;
}

/* ---- values ------------------------------------------------------------- */

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
        v = (2048 * MB) / mult; /* far above the 1 GB limit: refused in config_parse() */
    *out = (size_t)v * mult;
    return 0;
}

/* memcached 1.6's per-listener prefixes: "proto[ascii]:", "tag[name]:",
 * "tag_name_:" (the TLS ones, notls: mtls: btls:, are config_tls.c's). */
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

/* -l may repeat: memcached joins the lists, skipping one already given;
 * the first -l replaces the default. */
static enum flag_status set_listen(struct config *cfg, const struct flag *f, const char *val,
                                   const struct flag_state *st, char *err, size_t errlen)
{
    (void)f;
    if (has_listener_prefix(val)) {
        snprintf(err, errlen, "-l %s: per-listener protocols and tags (proto[...], tag[...]) "
                 "are not supported yet; -B sets the protocol of every listener", val);
        return FLAG_EREPORTED;
    }
    if (!st->given['l']) {
        cfg->listen = (char *)val;
        return FLAG_OK;
    }
    if (strstr(cfg->listen, val) != NULL)
        return FLAG_OK;
    char joined[sizeof(cfg->listen_buf)];
    int n = snprintf(joined, sizeof(joined), "%s,%s", cfg->listen, val);
    if (n < 0 || (size_t)n >= sizeof(joined)) {
        snprintf(err, errlen, "-l: the list of addresses is too long");
        return FLAG_EREPORTED;
    }
    memcpy(cfg->listen_buf, joined, (size_t)n + 1);
    cfg->listen = cfg->listen_buf;
    return FLAG_OK;
}

static enum flag_status set_mask(struct config *cfg, const struct flag *f, const char *val,
                                 const struct flag_state *st, char *err, size_t errlen)
{
    (void)st, (void)err, (void)errlen;
    char *end;
    errno = 0;
    long mask = strtol(val, &end, 8);
    if (errno != 0 || *end != '\0' || end == val || mask < 0 || mask > 0777)
        return FLAG_EINVAL;
    *(int *)field(cfg, f) = (int)mask;
    return FLAG_OK;
}

static enum flag_status set_memory(struct config *cfg, const struct flag *f, const char *val,
                                   const struct flag_state *st, char *err, size_t errlen)
{
    (void)st, (void)err, (void)errlen;
    return parse_memory(val, field(cfg, f)) == 0 ? FLAG_OK : FLAG_EINVAL;
}

static enum flag_status set_item_size(struct config *cfg, const struct flag *f, const char *val,
                                      const struct flag_state *st, char *err, size_t errlen)
{
    (void)st, (void)err, (void)errlen;
    return parse_item_size(val, field(cfg, f)) == 0 ? FLAG_OK : FLAG_EINVAL;
}

/* -D on the command line also turns per-prefix stats on; its default does not. */
static enum flag_status set_delimiter(struct config *cfg, const struct flag *f, const char *val,
                                      const struct flag_state *st, char *err, size_t errlen)
{
    if (val[0] == '\0') {
        snprintf(err, errlen, "-D: no delimiter given");
        return FLAG_EREPORTED;
    }
    *(char *)field(cfg, f) = val[0];
    if (!st->defaults)
        cfg->detail_enabled = true;
    return FLAG_OK;
}

static const char *const protocol_names[] = {
    [CONFIG_PROTO_AUTO] = "auto",
    [CONFIG_PROTO_ASCII] = "ascii",
    [CONFIG_PROTO_BINARY] = "binary",
};

static enum flag_status set_protocol(struct config *cfg, const struct flag *f, const char *val,
                                     const struct flag_state *st, char *err, size_t errlen)
{
    (void)st, (void)err, (void)errlen;
    for (int p = CONFIG_PROTO_AUTO; p <= CONFIG_PROTO_BINARY; p++) {
        if (strcmp(val, protocol_names[p]) == 0) {
            *(enum config_protocol *)field(cfg, f) = (enum config_protocol)p;
            return FLAG_OK;
        }
    }
    return FLAG_EINVAL;
}

static enum flag_status set_factor(struct config *cfg, const struct flag *f, const char *val,
                                   const struct flag_state *st, char *err, size_t errlen)
{
    (void)st;
    char *end;
    errno = 0;
    double v = strtod(val, &end);
    if (errno != 0 || *end != '\0' || end == val || !(v > 1.0) || !isfinite(v)) {
        snprintf(err, errlen, "factor must be greater than 1: %s", val);
        return FLAG_EREPORTED;
    }
    *(double *)field(cfg, f) = v;
    return FLAG_OK;
}

static enum flag_status set_extended(struct config *cfg, const struct flag *f, const char *val,
                                     const struct flag_state *st, char *err, size_t errlen)
{
    (void)f, (void)st;
    return config_extended_parse(cfg, val, err, errlen) == 0 ? FLAG_OK : FLAG_EREPORTED;
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

/* Apply one flag with its value (NULL for those that take none): 0, or -1
 * with the message in err. */
static int flag_apply(struct config *cfg, const struct flag *f, const char *val,
                      const struct flag_state *st, char *err, size_t errlen)
{
    enum flag_status rc = FLAG_OK;
    long v;
    switch (f->kind) {
    case FLAG_INT:
        if (config_read_long(val, f->min, f->max, &v) != 0)
            rc = FLAG_EINVAL;
        else
            *(int *)field(cfg, f) = (int)v;
        break;
    case FLAG_STRING:
        *(char **)field(cfg, f) = (char *)val;
        break;
    case FLAG_SET:
    case FLAG_CLEAR:
        *(bool *)field(cfg, f) = f->kind == FLAG_SET;
        break;
    case FLAG_COUNT:
        /* As memcached: each -v (or --verbose, whatever its value) is one level more. */
        (*(int *)field(cfg, f))++;
        break;
    case FLAG_CUSTOM:
        rc = f->set(cfg, f, val, st, err, errlen);
        break;
    case FLAG_REFUSED:
        snprintf(err, errlen, "%s", f->why);
        rc = FLAG_EREPORTED;
        break;
    }
    if (rc == FLAG_EINVAL)
        snprintf(err, errlen, "invalid value for -%c: '%s'", f->letter, val);
    return rc == FLAG_OK ? 0 : -1;
}

/* ---- defaults and the command line ---------------------------------------- */

void config_defaults(struct config *cfg)
{
    struct flag_state st = {.defaults = true};
    char err[256];
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < NFLAGS; i++) {
        const struct flag *f = &flags[i];
        if (f->kind == FLAG_CLEAR) {
            *(bool *)field(cfg, f) = true;
        } else if (f->def != NULL && f->kind != FLAG_REFUSED && f->fmt != STAT_STRING_DEF) {
            /* (STAT_STRING_DEF's def is how stats show it unset, no value) */
            int rc = flag_apply(cfg, f, f->def, &st, err, sizeof(err));
            assert(rc == 0); /* a default the parser refuses is a bug in flags[] */
            (void)rc;
        }
    }
    /* -t: the one default known only at run time */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    cfg->num_threads = cores > 0 ? (int)cores : 4;
    config_extended_defaults(cfg);
}

/* getopt's arrays, from flags[]: shorts has room for 2 + 2 * NFLAGS + 1,
 * longs for NFLAGS + 1. */
static void getopt_tables(char *shorts, struct option *longs)
{
    char *s = shorts;
    size_t n = 0;
    *s++ = ':'; /* a missing value is ':', not '?' */
    for (size_t i = 0; i < NFLAGS; i++) {
        const struct flag *f = &flags[i];
        int has_arg = f->kind == FLAG_COUNT ? optional_argument
                      : f->arg != NULL      ? required_argument
                                            : no_argument;
        *s++ = f->letter;
        if (has_arg == required_argument)
            *s++ = ':';
        if (f->name != NULL)
            longs[n++] = (struct option){f->name, has_arg, NULL, f->letter};
    }
    *s = '\0';
    longs[n] = (struct option){NULL, 0, NULL, 0};
}

int config_parse(struct config *cfg, int argc, char **argv, char *err, size_t errlen)
{
    char shorts[2 + 2 * NFLAGS + 1];
    struct option longs[NFLAGS + 1];
    struct flag_state st = {.defaults = false};
    int opt;
    getopt_tables(shorts, longs);
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        if (opt == ':') {
            snprintf(err, errlen, "option -%c needs a value", optopt ? optopt : '?');
            return -1;
        }
        const struct flag *f = opt == '?' ? NULL : flag_find(opt);
        if (f == NULL) {
            if (optopt != 0)
                snprintf(err, errlen, "unknown option -%c (see -h)", optopt);
            else
                snprintf(err, errlen, "unknown option %s (see -h)", argv[optind - 1]);
            return -1;
        }
        /* memcached skips leading white space in every value */
        const char *val = optarg;
        while (val != NULL && isspace((unsigned char)val[0]))
            val++;
        if (flag_apply(cfg, f, val, &st, err, errlen) != 0)
            return -1;
        st.given[(unsigned char)opt] = true;
    }
    /* memcached's quirk, which command lines rely on: -U without -p puts
     * TCP on the UDP port too. */
    if (cfg->udpport != 0 && !st.given['p'])
        cfg->port = cfg->udpport;
    if (optind < argc) {
        snprintf(err, errlen, "unexpected argument: %s", argv[optind]);
        return -1;
    }
    /* a datagram belongs to no connection that could have authenticated */
    if (cfg->auth_file != NULL && cfg->udpport != 0) {
        snprintf(err, errlen, "cannot use UDP with ascii authentication enabled (-U 0 to disable)");
        return -1;
    }
    if (cfg->sasl && cfg->udpport != 0) {
        snprintf(err, errlen, "cannot enable UDP while using binary SASL authentication (-U 0 to disable)");
        return -1;
    }
    /* as memcached: with SASL, text clients would have no way in (unless -Y
     * gives them one) */
    if (cfg->sasl && cfg->protocol == CONFIG_PROTO_ASCII) {
        snprintf(err, errlen, "cannot allow the ascii protocol (-B ascii) while using SASL");
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
}

/* ---- --help -------------------------------------------------------------- */

/* One entry: its synopsis in a 26-column margin, then its help, each later
 * line indented to the margin. */
static void usage_entry(const char *synopsis, const char *help)
{
    printf("%-25s ", synopsis);
    for (const char *p = help; *p != '\0'; p++) {
        putchar(*p);
        if (*p == '\n')
            printf("%26s", "");
    }
    putchar('\n');
}

void config_help_foreach(config_help_fn fn, void *arg)
{
    for (size_t i = 0; i < NFLAGS; i++) {
        const struct flag *f = &flags[i];
        char synopsis[64];
        size_t n = 0;
        if (f->help == NULL)
            continue;
        if (f->kind == FLAG_REFUSED) {
            /* "-Z, -S, -Y, -e": every refused flag */
            for (size_t j = 0; j < NFLAGS; j++) {
                if (flags[j].kind == FLAG_REFUSED)
                    n += (size_t)snprintf(synopsis + n, sizeof(synopsis) - n, "%s-%c",
                                          n > 0 ? ", " : "", flags[j].letter);
            }
        } else if (f->name != NULL) {
            snprintf(synopsis, sizeof(synopsis), "-%c, --%s%s%s", f->letter, f->name,
                     f->arg != NULL ? "=" : "", f->arg != NULL ? f->arg : "");
        } else {
            snprintf(synopsis, sizeof(synopsis), "-%c %s", f->letter, f->arg);
        }
        fn(arg, synopsis, f->help);
    }
}

static void usage_visit(void *arg, const char *synopsis, const char *help)
{
    (void)arg;
    usage_entry(synopsis, help);
}

void config_usage(void)
{
    printf("mnemod %s (memcached %s compatible): %s\n"
           "usage: mnemod [options]\n",
           MNEMO_VERSION, SERVER_VERSION, CONFIG_SUMMARY);
    config_help_foreach(usage_visit, NULL);
    config_extended_usage(stdout); /* after -o's line, the last */
}

/* ---- stats settings -------------------------------------------------------- */

static void format_stat(const struct config *c, size_t off, enum flag_stat fmt, const char *def,
                        char *buf, size_t len)
{
    const void *p = field_c(c, off);
    switch (fmt) {
    case STAT_NONE:
        buf[0] = '\0';
        break;
    case STAT_INT:
        snprintf(buf, len, "%d", *(const int *)p);
        break;
    case STAT_U32:
        snprintf(buf, len, "%u", *(const unsigned *)p);
        break;
    case STAT_SIZE:
        snprintf(buf, len, "%zu", *(const size_t *)p);
        break;
    case STAT_BOOL:
        snprintf(buf, len, "%s", *(const bool *)p ? "yes" : "no");
        break;
    case STAT_ONOFF:
        snprintf(buf, len, "%s", *(const bool *)p ? "on" : "off");
        break;
    case STAT_OCTAL:
        snprintf(buf, len, "%o", (unsigned)*(const int *)p);
        break;
    case STAT_DOUBLE2:
        snprintf(buf, len, "%.2f", *(const double *)p);
        break;
    case STAT_CHAR:
        snprintf(buf, len, "%c", *(const char *)p);
        break;
    case STAT_STRING:
        snprintf(buf, len, "%s", *(char *const *)p != NULL ? *(char *const *)p : "NULL");
        break;
    case STAT_PROTOCOL:
        snprintf(buf, len, "%s", config_protocol_name(*(const enum config_protocol *)p));
        break;
    case STAT_STRING_DEF:
        snprintf(buf, len, "%s", *(char *const *)p != NULL ? *(char *const *)p : def);
        break;
    case STAT_DEFAULT:
        snprintf(buf, len, "%s", def);
        break;
    }
}

/* memcached gives every thread to each UDP port unless -l lists several */
static void threads_per_udp(const struct config *c, char *buf, size_t len)
{
    snprintf(buf, len, "%d",
             c->listen != NULL && strchr(c->listen, ',') != NULL ? 1 : c->num_threads);
}

static void client_flags_size(const struct config *c, char *buf, size_t len)
{
    (void)c;
    snprintf(buf, len, "%zu", sizeof(uint32_t));
}

/* A "stats settings" row: a flag's (flags[] names and formats it), a row
 * of its own (a field, or a value worked out), or the -o table's rows. */
struct setting_row {
    char letter;
    const char *name;
    size_t off;
    enum flag_stat fmt;
    void (*value)(const struct config *c, char *buf, size_t len);
    void (*group)(const struct config *c, config_emit_fn emit, void *arg);
};

/* memcached 1.6.45's order (server_stats_settings() in memcached.c). No
 * ssl_enabled: memcached prints it only when built with TLS. */
static const struct setting_row settings[] = {
    {.letter = 'm'}, {.letter = 'c'}, {.letter = 'p'}, {.letter = 'U'}, {.letter = 'l'},
    {.letter = 'v'},
    {.name = "oldest", .off = F(oldest_live), .fmt = STAT_U32},
    {.letter = 'M'}, {.letter = 's'}, {.letter = 'a'}, {.letter = 'A'}, {.letter = 'f'},
    {.letter = 'n'}, {.letter = 't'},
    {.name = "num_threads_per_udp", .value = threads_per_udp},
    {.letter = 'D'},
    {.name = "detail_enabled", .off = F(detail_enabled), .fmt = STAT_BOOL},
    {.letter = 'R'}, {.letter = 'C'}, {.letter = 'b'}, {.letter = 'B'}, {.letter = 'S'},
    {.letter = 'Y'}, {.letter = 'I'},
    {.group = config_extended_describe},
    {.group = config_tls_describe}, /* with -Z, as memcached built with TLS prints them */
    {.letter = 'N'}, {.letter = 'e'},
    {.name = "client_flags_size", .value = client_flags_size},
    /* mnemo's own */
    {.letter = 'k'}, {.letter = 'L'},
    {.group = config_extended_describe_own},
};

void config_describe(const struct config *c, int verbosity, config_emit_fn emit, void *arg)
{
    struct config live = *c;
    live.verbose = verbosity;
    char buf[4200]; /* a path (-s, -Y) is shown whole */
    for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
        const struct setting_row *r = &settings[i];
        if (r->group != NULL) {
            r->group(&live, emit, arg);
        } else if (r->value != NULL) {
            r->value(&live, buf, sizeof(buf));
            emit(arg, r->name, buf);
        } else if (r->letter != 0) {
            const struct flag *f = flag_find(r->letter);
            assert(f != NULL && f->stat != NULL);
            format_stat(&live, f->off, f->fmt, f->def, buf, sizeof(buf));
            emit(arg, f->stat, buf);
        } else {
            format_stat(&live, r->off, r->fmt, NULL, buf, sizeof(buf));
            emit(arg, r->name, buf);
        }
    }
}
