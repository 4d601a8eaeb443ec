/*
 * options.c: flag parsing for mnemo-bench.  Flags are --name value or
 * --name=value; numbers are checked in full (no trailing junk, no
 * overflow, within bounds) so a typo is an error, never a silent default.
 */
#include "options.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: mnemo-bench [options]\n"
    "  -s, --servers H:P[,H:P...]  servers; several are sharded by ketama (default 127.0.0.1:11211)\n"
    "  -t, --threads N             load threads (default 1)\n"
    "  -c, --conns N               connections per thread, each to every server (default 4)\n"
    "  -P, --pipeline N            requests in flight per connection (default 1)\n"
    "      --group NAME,conns=N[,ratio=G:S][,pipeline=N]\n"
    "                              a group of connections (per thread) with its own mix\n"
    "                              and pipeline, reported on its own; repeat for more\n"
    "                              groups (up to 8; replaces --conns)\n"
    "      --protocol P            text | meta | binary | redis (RESP2) (default text)\n"
    "      --ratio G:S             get:set mix (default 9:1)\n"
    "      --keys N                key space size (default 10000)\n"
    "      --key-pattern P         uniform | zipf (default uniform)\n"
    "      --zipf-s S              zipf exponent, > 0 (default 0.99)\n"
    "      --key-prefix STR        key prefix (default \"key:\")\n"
    "      --value-size N|MIN-MAX  value bytes, fixed or uniform in a range (default 32)\n"
    "  -d, --duration S            run for S seconds (default 10)\n"
    "  -n, --requests N            run for N requests in total instead\n"
    "      --preload               set every key once before measuring\n"
    "      --rate R                open loop: R requests/s in total, latency from the\n"
    "                              intended send time (no coordinated omission)\n"
    "      --connect-timeout MS    per connection, TLS handshake included (default 2000)\n"
    "      --tls                   TLS to every server (memcached -Z), verifying its\n"
    "                              certificate against the system's CAs and its name\n"
    "      --tls-ca FILE           verify the servers against the CAs of FILE\n"
    "      --tls-cert FILE         client certificate (PEM) for servers that ask for one\n"
    "      --tls-key FILE          its key (PEM; default: in --tls-cert's FILE)\n"
    "      --tls-server-name NAME  the name sent (SNI) and checked (default: each host)\n"
    "      --tls-no-verify         take any server certificate (tests only)\n"
    "                              (each --tls-* implies --tls)\n"
    "      --seed N                random seed (default 1)\n"
    "      --json                  print the result as JSON\n"
    "  -q, --quiet                 no progress line\n"
    "  -h, --help                  this text\n"
    "  -V, --version               print the version\n";

const char *bench_options_usage(void)
{
    return usage;
}

void bench_options_defaults(struct bench_options *o)
{
    memset(o, 0, sizeof(*o));
    o->threads = 1;
    o->conns = 4;
    o->pipeline = 1;
    o->protocol = PROTO_TEXT;
    o->ratio_get = 9;
    o->ratio_set = 1;
    o->keys = 10000;
    o->key_pattern = KEY_UNIFORM;
    o->zipf_s = 0.99;
    strcpy(o->key_prefix, "key:");
    o->value_min = o->value_max = 32;
    o->duration = 10;
    o->connect_timeout_ms = 2000;
    o->seed = 1;
    o->server_count = 1;
    strcpy(o->servers[0].host, "127.0.0.1");
    strcpy(o->servers[0].port, "11211");
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return BENCH_OPT_EINVAL;
}

/* A whole decimal number in [lo, hi]; 0 on success. */
static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
    if (!s || !*s || *s == ' ')
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* "G:S" with G + S > 0; 0 on success. */
static int parse_ratio(const char *v, size_t n, unsigned *get, unsigned *set)
{
    const char *c = memchr(v, ':', n);
    char g[24], st[24];
    uint64_t gv, sv;
    if (!c || (size_t)(c - v) >= sizeof(g) || (size_t)(v + n - c - 1) >= sizeof(st))
        return -1;
    memcpy(g, v, (size_t)(c - v));
    g[c - v] = '\0';
    memcpy(st, c + 1, (size_t)(v + n - c - 1));
    st[v + n - c - 1] = '\0';
    if (parse_u64(g, 0, 1000000, &gv) || parse_u64(st, 0, 1000000, &sv) || gv + sv == 0)
        return -1;
    *get = (unsigned)gv;
    *set = (unsigned)sv;
    return 0;
}

/*
 * "NAME,conns=N[,ratio=G:S][,pipeline=N]" into the next group; a pipeline
 * or ratio left out is 0 here and resolved to --pipeline / --ratio once the
 * whole command line is read.
 */
static int parse_group(struct bench_options *o, const char *v, char *err, size_t errlen)
{
    if (o->group_count == BENCH_MAX_GROUPS)
        return fail(err, errlen, "--group: more than %d groups", BENCH_MAX_GROUPS);
    struct bench_group *g = &o->groups[o->group_count];
    memset(g, 0, sizeof(*g));
    const char *p = v;
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    if (n == 0 || n >= sizeof(g->name))
        return fail(err, errlen, "--group: '%s' needs a name of 1..%d characters first",
                    v, BENCH_GROUP_NAME - 1);
    for (size_t i = 0; i < n; i++)
        if (!(p[i] == '-' || p[i] == '_' || (p[i] >= '0' && p[i] <= '9') ||
              (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z')))
            return fail(err, errlen, "--group: name '%.*s' may hold only letters, digits, - and _",
                        (int)n, p);
    memcpy(g->name, p, n);
    g->name[n] = '\0';
    for (size_t i = 0; i < o->group_count; i++)
        if (strcmp(o->groups[i].name, g->name) == 0)
            return fail(err, errlen, "--group: '%s' is named twice", g->name);
    while (comma) {
        p = comma + 1;
        comma = strchr(p, ',');
        n = comma ? (size_t)(comma - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        if (!eq)
            return fail(err, errlen, "--group %s: '%.*s' is not key=value", g->name, (int)n, p);
        size_t klen = (size_t)(eq - p), vlen = n - klen - 1;
        char val[32];
        uint64_t u;
        if (vlen >= sizeof(val))
            return fail(err, errlen, "--group %s: value of '%.*s' too long", g->name, (int)klen,
                        p);
        memcpy(val, eq + 1, vlen);
        val[vlen] = '\0';
        if (klen == 5 && memcmp(p, "conns", 5) == 0) {
            if (parse_u64(val, 1, BENCH_MAX_CONNS, &u))
                return fail(err, errlen, "--group %s: conns '%s' is not in 1..%d", g->name, val,
                            BENCH_MAX_CONNS);
            g->conns = (unsigned)u;
        } else if (klen == 8 && memcmp(p, "pipeline", 8) == 0) {
            if (parse_u64(val, 1, BENCH_MAX_PIPELINE, &u))
                return fail(err, errlen, "--group %s: pipeline '%s' is not in 1..%d", g->name,
                            val, BENCH_MAX_PIPELINE);
            g->pipeline = (unsigned)u;
        } else if (klen == 5 && memcmp(p, "ratio", 5) == 0) {
            if (parse_ratio(val, vlen, &g->ratio_get, &g->ratio_set))
                return fail(err, errlen, "--group %s: ratio '%s' is not GET:SET (e.g. 9:1)",
                            g->name, val);
        } else {
            return fail(err, errlen, "--group %s: unknown key '%.*s' (conns, ratio, pipeline)",
                        g->name, (int)klen, p);
        }
    }
    if (!g->conns)
        return fail(err, errlen, "--group %s: conns=N is required", g->name);
    o->group_count++;
    return 0;
}

/* After the whole command line: fill the groups' defaults, or make the one
 * implicit group of --conns connections. */
static int resolve_groups(struct bench_options *o, int saw_conns, char *err, size_t errlen)
{
    if (o->group_count == 0) {
        struct bench_group *g = &o->groups[0];
        memset(g, 0, sizeof(*g));
        strcpy(g->name, "all");
        g->conns = o->conns;
        g->pipeline = o->pipeline;
        g->ratio_get = o->ratio_get;
        g->ratio_set = o->ratio_set;
        o->group_count = 1;
        return 0;
    }
    if (saw_conns)
        return fail(err, errlen, "--conns and --group exclude each other (each group says its conns)");
    o->groups_given = 1;
    uint64_t sum = 0;
    for (size_t i = 0; i < o->group_count; i++) {
        struct bench_group *g = &o->groups[i];
        if (!g->pipeline)
            g->pipeline = o->pipeline;
        if (g->ratio_get + g->ratio_set == 0) {
            g->ratio_get = o->ratio_get;
            g->ratio_set = o->ratio_set;
        }
        sum += g->conns;
    }
    if (sum > BENCH_MAX_CONNS)
        return fail(err, errlen, "--group: %llu connections in all, more than %d per thread",
                    (unsigned long long)sum, BENCH_MAX_CONNS);
    o->conns = (unsigned)sum;
    return 0;
}

unsigned bench_options_max_pipeline(const struct bench_options *o)
{
    unsigned m = o->pipeline;
    for (size_t i = 0; i < o->group_count; i++)
        if (o->groups[i].pipeline > m)
            m = o->groups[i].pipeline;
    return m;
}

static int parse_servers(struct bench_options *o, const char *list, char *err, size_t errlen)
{
    o->server_count = 0;
    const char *p = list;
    if (!*p)
        return fail(err, errlen, "--servers: empty server list");
    for (;;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (o->server_count == BENCH_MAX_SERVERS)
            return fail(err, errlen, "--servers: more than %d servers", BENCH_MAX_SERVERS);
        struct bench_server *s = &o->servers[o->server_count];
        const char *host = p, *colon;
        size_t host_len;
        if (n && *p == '[') { /* [v6]:port */
            const char *rb = memchr(p, ']', n);
            if (!rb || rb + 1 >= p + n || rb[1] != ':')
                return fail(err, errlen, "--servers: bad address '%.*s' (want [v6addr]:port)",
                            (int)n, p);
            host = p + 1;
            host_len = (size_t)(rb - host);
            colon = rb + 1;
        } else {
            colon = memrchr(p, ':', n);
            if (!colon)
                return fail(err, errlen, "--servers: '%.*s' has no port (want host:port)",
                            (int)n, p);
            host_len = (size_t)(colon - p);
        }
        size_t port_len = (size_t)(p + n - colon - 1);
        char port[8];
        uint64_t pv;
        if (host_len == 0 || host_len >= sizeof(s->host))
            return fail(err, errlen, "--servers: bad host in '%.*s'", (int)n, p);
        if (port_len == 0 || port_len >= sizeof(port))
            return fail(err, errlen, "--servers: bad port in '%.*s'", (int)n, p);
        memcpy(port, colon + 1, port_len);
        port[port_len] = '\0';
        if (parse_u64(port, 1, 65535, &pv))
            return fail(err, errlen, "--servers: bad port '%s' (1..65535)", port);
        memcpy(s->host, host, host_len);
        s->host[host_len] = '\0';
        snprintf(s->port, sizeof(s->port), "%u", (unsigned)pv);
        o->server_count++;
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

/* Does arg name this option?  Sets *val for "--name=value". */
static int match(const char *arg, const char *shortname, const char *longname,
                 const char **val)
{
    *val = NULL;
    if (shortname && strcmp(arg, shortname) == 0)
        return 1;
    size_t n = strlen(longname);
    if (strncmp(arg, longname, n) != 0)
        return 0;
    if (arg[n] == '\0')
        return 1;
    if (arg[n] == '=') {
        *val = arg + n + 1;
        return 1;
    }
    return 0;
}

enum bench_opt_status bench_options_parse(struct bench_options *o, int argc, char **argv,
                                          char *err, size_t errlen)
{
    bench_options_defaults(o);
    if (errlen)
        err[0] = '\0';
    int saw_duration = 0, saw_requests = 0, saw_conns = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        uint64_t u;
        double d;
        /* flags without a value */
        if (strcmp(a, "--preload") == 0) {
            o->preload = 1;
            continue;
        }
        if (strcmp(a, "--json") == 0) {
            o->json = 1;
            continue;
        }
        if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            o->quiet = 1;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            o->help = 1;
            continue;
        }
        if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
            o->version = 1;
            continue;
        }
        if (strcmp(a, "--tls") == 0 || strcmp(a, "--tls-no-verify") == 0) {
            o->tls = 1;
            if (strcmp(a, "--tls-no-verify") == 0)
                o->tls_no_verify = 1;
            continue;
        }
        static const struct {
            const char *s, *l;
        } valued[] = {
            {"-s", "--servers"}, {"-t", "--threads"}, {"-c", "--conns"},
            {"-P", "--pipeline"}, {NULL, "--protocol"}, {NULL, "--ratio"},
            {NULL, "--keys"}, {NULL, "--key-pattern"}, {NULL, "--zipf-s"},
            {NULL, "--key-prefix"}, {NULL, "--value-size"}, {"-d", "--duration"},
            {"-n", "--requests"}, {NULL, "--rate"}, {NULL, "--connect-timeout"},
            {NULL, "--seed"}, {NULL, "--group"}, {NULL, "--tls-ca"},
            {NULL, "--tls-cert"}, {NULL, "--tls-key"}, {NULL, "--tls-server-name"},
        };
        const char *name = NULL;
        for (size_t k = 0; k < sizeof(valued) / sizeof(valued[0]); k++) {
            if (match(a, valued[k].s, valued[k].l, &v)) {
                name = valued[k].l;
                break;
            }
        }
        if (!name)
            return fail(err, errlen, "unknown option '%s' (see --help)", a);
        if (!v) {
            if (i + 1 >= argc)
                return fail(err, errlen, "%s needs a value", name);
            v = argv[++i];
        }
        if (strcmp(name, "--servers") == 0) {
            if (parse_servers(o, v, err, errlen))
                return BENCH_OPT_EINVAL;
        } else if (strcmp(name, "--threads") == 0) {
            if (parse_u64(v, 1, BENCH_MAX_THREADS, &u))
                return fail(err, errlen, "--threads: '%s' is not in 1..%d", v, BENCH_MAX_THREADS);
            o->threads = (unsigned)u;
        } else if (strcmp(name, "--conns") == 0) {
            if (parse_u64(v, 1, BENCH_MAX_CONNS, &u))
                return fail(err, errlen, "--conns: '%s' is not in 1..%d", v, BENCH_MAX_CONNS);
            o->conns = (unsigned)u;
            saw_conns = 1;
        } else if (strcmp(name, "--pipeline") == 0) {
            if (parse_u64(v, 1, BENCH_MAX_PIPELINE, &u))
                return fail(err, errlen, "--pipeline: '%s' is not in 1..%d", v,
                            BENCH_MAX_PIPELINE);
            o->pipeline = (unsigned)u;
        } else if (strcmp(name, "--protocol") == 0) {
            if (strcmp(v, "text") == 0 || strcmp(v, "ascii") == 0)
                o->protocol = PROTO_TEXT;
            else if (strcmp(v, "meta") == 0)
                o->protocol = PROTO_META;
            else if (strcmp(v, "binary") == 0)
                o->protocol = PROTO_BINARY;
            else if (strcmp(v, "redis") == 0 || strcmp(v, "resp") == 0)
                o->protocol = PROTO_REDIS;
            else
                return fail(err, errlen, "--protocol: '%s' is not text, meta, binary or redis", v);
        } else if (strcmp(name, "--ratio") == 0) {
            if (parse_ratio(v, strlen(v), &o->ratio_get, &o->ratio_set))
                return fail(err, errlen, "--ratio: '%s' is not GET:SET (e.g. 9:1)", v);
        } else if (strcmp(name, "--group") == 0) {
            if (parse_group(o, v, err, errlen))
                return BENCH_OPT_EINVAL;
        } else if (strcmp(name, "--keys") == 0) {
            if (parse_u64(v, 1, UINT64_C(1) << 40, &u))
                return fail(err, errlen, "--keys: '%s' is not a key count >= 1", v);
            o->keys = u;
        } else if (strcmp(name, "--key-pattern") == 0) {
            if (strcmp(v, "uniform") == 0)
                o->key_pattern = KEY_UNIFORM;
            else if (strcmp(v, "zipf") == 0 || strcmp(v, "zipfian") == 0)
                o->key_pattern = KEY_ZIPF;
            else
                return fail(err, errlen, "--key-pattern: '%s' is not uniform or zipf", v);
        } else if (strcmp(name, "--zipf-s") == 0) {
            if (parse_double(v, 1e-6, 100, &d))
                return fail(err, errlen, "--zipf-s: '%s' is not a number in (0, 100]", v);
            o->zipf_s = d;
        } else if (strcmp(name, "--key-prefix") == 0) {
            size_t n = strlen(v);
            if (n >= sizeof(o->key_prefix))
                return fail(err, errlen, "--key-prefix: longer than %zu bytes",
                            sizeof(o->key_prefix) - 1);
            for (size_t k = 0; k < n; k++)
                if ((unsigned char)v[k] <= ' ' || (unsigned char)v[k] == 0x7f)
                    return fail(err, errlen, "--key-prefix: spaces and control characters are not allowed in keys");
            memcpy(o->key_prefix, v, n + 1);
        } else if (strcmp(name, "--value-size") == 0) {
            const char *dash = strchr(v, '-');
            uint64_t lo, hi;
            if (dash) {
                char first[24];
                if ((size_t)(dash - v) >= sizeof(first))
                    return fail(err, errlen, "--value-size: bad range '%s'", v);
                memcpy(first, v, (size_t)(dash - v));
                first[dash - v] = '\0';
                if (parse_u64(first, 0, BENCH_MAX_VALUE, &lo) ||
                    parse_u64(dash + 1, 0, BENCH_MAX_VALUE, &hi) || lo > hi)
                    return fail(err, errlen, "--value-size: bad range '%s' (MIN-MAX, 0..%u)", v,
                                BENCH_MAX_VALUE);
            } else {
                if (parse_u64(v, 0, BENCH_MAX_VALUE, &lo))
                    return fail(err, errlen, "--value-size: '%s' is not in 0..%u", v,
                                BENCH_MAX_VALUE);
                hi = lo;
            }
            o->value_min = (uint32_t)lo;
            o->value_max = (uint32_t)hi;
        } else if (strcmp(name, "--duration") == 0) {
            if (parse_double(v, 0.001, 1e7, &d))
                return fail(err, errlen, "--duration: '%s' is not a number of seconds > 0", v);
            o->duration = d;
            saw_duration = 1;
        } else if (strcmp(name, "--requests") == 0) {
            if (parse_u64(v, 1, UINT64_C(1) << 50, &u))
                return fail(err, errlen, "--requests: '%s' is not a count >= 1", v);
            o->requests = u;
            saw_requests = 1;
        } else if (strcmp(name, "--rate") == 0) {
            if (parse_double(v, 0.001, 1e9, &d))
                return fail(err, errlen, "--rate: '%s' is not a rate > 0 (requests/s)", v);
            o->rate = d;
        } else if (strcmp(name, "--connect-timeout") == 0) {
            if (parse_u64(v, 1, 600000, &u))
                return fail(err, errlen, "--connect-timeout: '%s' is not in 1..600000 ms", v);
            o->connect_timeout_ms = (unsigned)u;
        } else if (strncmp(name, "--tls-", 6) == 0) {
            if (*v == '\0')
                return fail(err, errlen, "%s: empty", name);
            o->tls = 1;
            if (strcmp(name, "--tls-ca") == 0)
                o->tls_ca = v;
            else if (strcmp(name, "--tls-cert") == 0)
                o->tls_cert = v;
            else if (strcmp(name, "--tls-key") == 0)
                o->tls_key = v;
            else
                o->tls_server_name = v;
        } else if (strcmp(name, "--seed") == 0) {
            if (parse_u64(v, 0, UINT64_MAX, &u))
                return fail(err, errlen, "--seed: '%s' is not a number", v);
            o->seed = u;
        }
    }
    if (saw_duration && saw_requests)
        return fail(err, errlen, "--duration and --requests exclude each other");
    if (saw_requests)
        o->duration = 0;
    if (resolve_groups(o, saw_conns, err, errlen))
        return BENCH_OPT_EINVAL;
    /* the longest key must fit the protocols' 250-byte limit */
    char probe[BENCH_MAX_KEY + 1];
    if (key_format(probe, BENCH_MAX_KEY, o->key_prefix, strlen(o->key_prefix), o->keys - 1) == 0)
        return fail(err, errlen, "--key-prefix: keys would exceed %d bytes", BENCH_MAX_KEY);
    if (o->rate > 0 && o->rate < (double)o->threads * o->conns / 1e4)
        return fail(err, errlen, "--rate: %.3g/s is too low for %u connections (below one per 10000 s each)",
                    o->rate, o->threads * o->conns);
    if ((uint64_t)o->threads * o->conns * o->server_count > 65536)
        return fail(err, errlen, "threads x conns x servers exceeds 65536 sockets");
    return BENCH_OPT_OK;
}
