/*
 * mnemo-cli: one cache command against a list of servers, through libmnemo.
 *
 *   mnemo-cli [--servers host:port[:weight],...] [options] COMMAND [ARGS]
 *
 * Exit status: 0 success, 1 not found / not stored, 2 error (a message on
 * stderr).  Values are binary-safe: `set KEY -` reads the value from stdin
 * and `get KEY` writes exactly the stored bytes.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_auth.h"
#include "cli_check.h"
#include "cli_compare.h"
#include "cli_dist.h"
#include "cli_pool.h"
#include "cli_tls.h"
#include "cli_top.h"
#include "cli_usage.h"
#include "mnemo/mnemo.h"

enum { EXIT_MISS = 1, EXIT_ERR = 2 };

/* Long options without a short form. */
enum {
    OPT_DISTRIBUTION = 256, OPT_HASH, OPT_AUTH_FILE, OPT_TLS, OPT_TLS_CA, OPT_TLS_CERT, OPT_TLS_KEY,
    OPT_TLS_SERVER_NAME, OPT_TLS_NO_VERIFY
};

static const char *prog = "mnemo-cli";

static int die(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "%s: ", prog);
    fprintf(stderr, "%s", fmt);
    if (a)
        fprintf(stderr, ": %s", a);
    if (b)
        fprintf(stderr, " (%s)", b);
    fputc('\n', stderr);
    return EXIT_ERR;
}

static int parse_num(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (*s == '-' || *s == '\0')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static char *read_stdin(size_t *len)
{
    size_t cap = 65536, n = 0;
    char *b = malloc(cap);

    while (b) {
        size_t r = fread(b + n, 1, cap - n, stdin);
        n += r;
        if (r == 0)
            break;
        if (n == cap) {
            char *nb = realloc(b, cap * 2);
            if (nb == NULL) {
                free(b);
                return NULL;
            }
            b = nb;
            cap *= 2;
        }
    }
    *len = n;
    return b;
}

/* Report a failed call on key: 1 for misses (msg on stderr), 2 for errors. */
static int fail_key(struct mnemo_client *c, const char *what, const char *key, mnemo_status st)
{
    if (st == MNEMO_NOT_FOUND || st == MNEMO_NOT_STORED || st == MNEMO_EXISTS) {
        fprintf(stderr, "%s: %s %s: %s\n", prog, what, key, mnemo_strerror(st));
        return EXIT_MISS;
    }
    size_t s = mnemo_server_for_key(c, key, strlen(key));
    char why[400];
    fprintf(stderr, "%s: %s %s: %s (%s)\n", prog, what, key, cli_why(c, s, st, why, sizeof(why)),
            mnemo_server_name(c, s) ? mnemo_server_name(c, s) : "?");
    return EXIT_ERR;
}

struct mget_out {
    char **keys;
    int *found;
};

static void mget_print(void *arg, size_t i, const struct mnemo_result *r)
{
    struct mget_out *o = arg;
    o->found[i] = 1;
    printf("VALUE %s %" PRIu32 " %zu\n", o->keys[i], r->flags, r->value_len);
    fwrite(r->value, 1, r->value_len, stdout);
    fputc('\n', stdout);
}

static int cmd_get(struct mnemo_client *c, int argc, char **argv)
{
    if (argc < 1)
        return die("get needs at least one KEY", NULL, NULL);
    if (argc == 1) {
        char *v = NULL;
        size_t n = 0;
        mnemo_status st = mnemo_get(c, argv[0], strlen(argv[0]), &v, &n, NULL, NULL);
        if (st != MNEMO_OK)
            return fail_key(c, "get", argv[0], st);
        fwrite(v, 1, n, stdout);
        free(v);
        return 0;
    }
    const void **keys = calloc((size_t)argc, sizeof(*keys));
    size_t *lens = calloc((size_t)argc, sizeof(*lens));
    int *found = calloc((size_t)argc, sizeof(*found));
    int rc = 0;
    if (!keys || !lens || !found) {
        rc = die("out of memory", NULL, NULL);
        goto out;
    }
    for (int i = 0; i < argc; i++) {
        keys[i] = argv[i];
        lens[i] = strlen(argv[i]);
    }
    struct mget_out o = {argv, found};
    mnemo_status st = mnemo_mget(c, (size_t)argc, keys, lens, 0, mget_print, &o);
    if (st != MNEMO_OK) {
        rc = die("get", mnemo_strerror(st), NULL);
        goto out;
    }
    for (int i = 0; i < argc; i++) {
        if (!found[i]) {
            fprintf(stderr, "%s: get %s: not found\n", prog, argv[i]);
            rc = EXIT_MISS;
        }
    }
out:
    free(keys);
    free(lens);
    free(found);
    return rc;
}

static int cmd_store(struct mnemo_client *c, enum mnemo_op op, const char *name, int argc,
                     char **argv, uint32_t flags, int64_t ttl)
{
    char *val;
    size_t len;

    if (argc != 2)
        return die("usage: COMMAND KEY VALUE|-", name, NULL);
    if (strcmp(argv[1], "-") == 0) {
        val = read_stdin(&len);
        if (val == NULL)
            return die("cannot read stdin", NULL, NULL);
    } else {
        val = strdup(argv[1]);
        len = strlen(argv[1]);
    }
    mnemo_status st = mnemo_store(c, op, argv[0], strlen(argv[0]), val, len, flags, ttl, 0);
    free(val);
    if (st != MNEMO_OK)
        return fail_key(c, name, argv[0], st);
    printf("STORED\n");
    return 0;
}

static int cmd_arith(struct mnemo_client *c, int incr, int argc, char **argv)
{
    uint64_t delta = 1, v = 0;

    if (argc < 1 || argc > 2 || (argc == 2 && parse_u64(argv[1], &delta) != 0))
        return die("usage: incr|decr KEY [DELTA]  (DELTA an unsigned 64-bit number)", NULL, NULL);
    mnemo_status st = incr ? mnemo_incr(c, argv[0], strlen(argv[0]), delta, &v)
                           : mnemo_decr(c, argv[0], strlen(argv[0]), delta, &v);
    if (st != MNEMO_OK)
        return fail_key(c, incr ? "incr" : "decr", argv[0], st);
    printf("%" PRIu64 "\n", v);
    return 0;
}

/* version and ping: every server, replicas too. */
static int per_server(struct mnemo_client *c, const char *cmd)
{
    int rc = 0;

    for (size_t i = 0; i < mnemo_server_count(c); i++) {
        const char *name = mnemo_server_name(c, i);
        mnemo_status st;
        char ver[128];
        struct timespec t0, t1;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (strcmp(cmd, "version") == 0)
            st = mnemo_version(c, i, ver, sizeof(ver));
        else
            st = mnemo_ping(c, i);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (st != MNEMO_OK) {
            char why[400];
            fprintf(stderr, "%s: %s %s: %s\n", prog, cmd, name, cli_why(c, i, st, why, sizeof(why)));
            rc = EXIT_ERR;
            continue;
        }
        if (strcmp(cmd, "version") == 0)
            printf("%s %s\n", name, ver);
        else if (strcmp(cmd, "ping") == 0)
            printf("%s OK %.3f ms\n", name,
                   (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    }
    return rc;
}

static int cmd_where(struct mnemo_client *c, int argc, char **argv)
{
    if (argc < 1)
        return die("where needs KEY... or -", NULL, NULL);
    if (argc == 1 && strcmp(argv[0], "-") == 0) {
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        while ((n = getline(&line, &cap, stdin)) >= 0) {
            while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                line[--n] = '\0';
            if (n == 0)
                continue;
            printf("%s %s\n", line, mnemo_server_name(c, mnemo_server_for_key(c, line, (size_t)n)));
        }
        free(line);
        return 0;
    }
    for (int i = 0; i < argc; i++)
        printf("%s %s\n", argv[i], mnemo_server_name(c, mnemo_server_for_key(c, argv[i], strlen(argv[i]))));
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"servers", required_argument, NULL, 's'}, {"ttl", required_argument, NULL, 't'},
        {"flags", required_argument, NULL, 'f'},   {"timeout", required_argument, NULL, 'T'},
        {"modula", no_argument, NULL, 'm'},        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},       {"distribution", required_argument, NULL, OPT_DISTRIBUTION},
        {"hash", required_argument, NULL, OPT_HASH}, {"read-replicas", no_argument, NULL, 'R'},
        {"auth-file", required_argument, NULL, OPT_AUTH_FILE},
        {"tls", no_argument, NULL, OPT_TLS},       {"tls-ca", required_argument, NULL, OPT_TLS_CA},
        {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
        {"tls-key", required_argument, NULL, OPT_TLS_KEY},
        {"tls-server-name", required_argument, NULL, OPT_TLS_SERVER_NAME},
        {"tls-no-verify", no_argument, NULL, OPT_TLS_NO_VERIFY}, {NULL, 0, NULL, 0},
    };
    const char *servers = "127.0.0.1:11211";
    int64_t ttl = 0, flags = 0, timeout = 1000;
    struct mnemo_options o;
    struct mnemo_client *c = NULL;
    int opt, rc, hash_given = 0;
    static struct cli_auth auth; /* static: a password is not left on the stack */
    const struct cli_auth *auth_given = NULL;
    struct cli_tls tls = {0};
    char err[512];

    mnemo_options_init(&o);
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "+s:t:f:T:mRhV", longopts, NULL)) != -1) {
        switch (opt) {
        case 's': servers = optarg; break;
        case 't':
            if (parse_num(optarg, -1, INT32_MAX, &ttl) != 0)
                return die("bad --ttl (seconds, -1..2147483647)", optarg, NULL);
            break;
        case 'f':
            if (parse_num(optarg, 0, UINT32_MAX, &flags) != 0)
                return die("bad --flags (0..4294967295)", optarg, NULL);
            break;
        case 'T':
            if (parse_num(optarg, 1, 3600000, &timeout) != 0)
                return die("bad --timeout (milliseconds)", optarg, NULL);
            break;
        case 'm': o.distribution = MNEMO_DIST_MODULA; break;
        case 'R': o.read_replicas = 1; break;
        case OPT_AUTH_FILE:
            if (cli_auth_read(optarg, &auth, err, sizeof(err)) != 0)
                return die(err, NULL, NULL);
            auth_given = &auth;
            o.auth_user = auth.user;
            o.auth_password = auth.pass;
            break;
        /* any --tls-* option means TLS: --tls alone verifies against the
         * system's CAs */
        case OPT_TLS: tls.on = 1; break;
        case OPT_TLS_CA: tls.on = 1; tls.ca = optarg; break;
        case OPT_TLS_CERT: tls.on = 1; tls.cert = optarg; break;
        case OPT_TLS_KEY: tls.on = 1; tls.key = optarg; break;
        case OPT_TLS_SERVER_NAME: tls.on = 1; tls.name = optarg; break;
        case OPT_TLS_NO_VERIFY: tls.on = 1; tls.no_verify = 1; break;
        case OPT_DISTRIBUTION:
            if (cli_dist_parse(optarg, &o.distribution) != 0)
                return die("bad --distribution (ketama, modula or twemproxy)", optarg, NULL);
            break;
        case OPT_HASH:
            if (cli_hash_parse(optarg, &o.hash) != 0)
                return die("bad --hash", optarg, cli_hash_names());
            hash_given = 1;
            break;
        case 'h': fputs(cli_usage(), stdout); return 0;
        case 'V': printf("mnemo-cli %s\n", MNEMO_VERSION); return 0;
        default:
            if (optopt > 0 && optopt < OPT_DISTRIBUTION)
                fprintf(stderr, "%s: bad option -%c (see --help)\n", prog, optopt);
            else
                fprintf(stderr, "%s: bad option %s (see --help)\n", prog, argv[optind - 1]);
            return EXIT_ERR;
        }
    }
    if (hash_given && o.distribution != MNEMO_DIST_TWEMPROXY)
        return die("--hash is for --distribution twemproxy only", NULL, NULL);
    if (optind >= argc) {
        fputs(cli_usage(), stderr);
        return EXIT_ERR;
    }
    if (strcmp(argv[optind], "check") == 0)
        return cli_check(prog, argc - optind - 1, argv + optind + 1);
    if (tls.on && cli_tls_check(&tls, err, sizeof(err)) != 0)
        return die(err, NULL, NULL);
    if (strcmp(argv[optind], "compare") == 0)
        return cli_compare(prog, argc - optind - 1, argv + optind + 1, (int)timeout, &tls,
                           auth_given);
    o.connect_timeout_ms = (int)timeout;
    o.io_timeout_ms = (int)timeout;
    o.failure_limit = 0; /* one command: report errors, never move keys */
    cli_tls_options(&tls, &o);
    mnemo_status st = mnemo_create(&c, servers, &o);
    if (st != MNEMO_OK)
        return die("bad --servers (want host:port[:weight][=replica...],...)", servers,
                   mnemo_strerror(st));

    const char *cmd = argv[optind];
    int n = argc - optind - 1;
    char **args = argv + optind + 1;
    if (strcmp(cmd, "get") == 0)
        rc = cmd_get(c, n, args);
    else if (strcmp(cmd, "set") == 0)
        rc = cmd_store(c, MNEMO_OP_SET, cmd, n, args, (uint32_t)flags, ttl);
    else if (strcmp(cmd, "add") == 0)
        rc = cmd_store(c, MNEMO_OP_ADD, cmd, n, args, (uint32_t)flags, ttl);
    else if (strcmp(cmd, "replace") == 0)
        rc = cmd_store(c, MNEMO_OP_REPLACE, cmd, n, args, (uint32_t)flags, ttl);
    else if (strcmp(cmd, "append") == 0)
        rc = cmd_store(c, MNEMO_OP_APPEND, cmd, n, args, 0, 0);
    else if (strcmp(cmd, "prepend") == 0)
        rc = cmd_store(c, MNEMO_OP_PREPEND, cmd, n, args, 0, 0);
    else if (strcmp(cmd, "delete") == 0) {
        if (n != 1)
            rc = die("usage: delete KEY", NULL, NULL);
        else if ((st = mnemo_delete(c, args[0], strlen(args[0]))) != MNEMO_OK)
            rc = fail_key(c, "delete", args[0], st);
        else
            rc = (printf("DELETED\n"), 0);
    } else if (strcmp(cmd, "incr") == 0 || strcmp(cmd, "decr") == 0)
        rc = cmd_arith(c, cmd[0] == 'i', n, args);
    else if (strcmp(cmd, "touch") == 0) {
        int64_t t = ttl;
        if (n < 1 || n > 2 || (n == 2 && parse_num(args[1], -1, INT32_MAX, &t) != 0))
            rc = die("usage: touch KEY [TTL]", NULL, NULL);
        else if ((st = mnemo_touch(c, args[0], strlen(args[0]), t)) != MNEMO_OK)
            rc = fail_key(c, "touch", args[0], st);
        else
            rc = (printf("TOUCHED\n"), 0);
    } else if (strcmp(cmd, "stats") == 0)
        rc = n > 1 ? die("usage: stats [GROUP]", NULL, NULL) : cli_pool_stats(prog, c, n ? args[0] : NULL);
    else if (strcmp(cmd, "flush") == 0)
        rc = n ? die("takes no arguments", cmd, NULL) : cli_pool_flush(prog, c);
    else if (strcmp(cmd, "digest") == 0)
        rc = cli_pool_digest(prog, c, n, args, (int)timeout, &tls, auth_given);
    else if (strcmp(cmd, "ping") == 0 || strcmp(cmd, "version") == 0)
        rc = n ? die("takes no arguments", cmd, NULL) : per_server(c, cmd);
    else if (strcmp(cmd, "where") == 0)
        rc = cmd_where(c, n, args);
    else if (strcmp(cmd, "top") == 0)
        rc = cli_top(prog, &c, n, args, &tls, auth_given, (int)timeout);
    else
        rc = die("unknown command (see --help)", cmd, NULL);
    mnemo_destroy(&c);
    if (fflush(stdout) != 0)
        rc = EXIT_ERR;
    return rc;
}
