/*
 * cli_pool.c: mnemo-cli's commands over a whole pool: stats per server
 * with a total, flush on every shard's primary, and digest (each
 * shard's primary against its replicas).
 */
#include "cli_pool.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_compare.h"
#include "cli_tls.h"

enum { EXIT_ERR = 2 };

/* Figures that describe one process, not an amount: no total. */
static const char *const not_summed[] = {
    "pid", "uptime", "time", "version", "libevent", "pointer_size", "rusage_user",
    "rusage_system", "max_connections", "reserved_fds", NULL,
};

struct total {
    char *name;
    uint64_t sum;
};

struct totals {
    const char *server;
    struct total *v;
    size_t n, cap;
    int failed; /* out of memory: no total line */
};

static int summed(const char *name, const char *value)
{
    if (*value == '\0' || strspn(value, "0123456789") != strlen(value) || strlen(value) > 19)
        return 0;
    for (size_t i = 0; not_summed[i]; i++)
        if (strcmp(name, not_summed[i]) == 0)
            return 0;
    return 1;
}

/* Add value to name's total, in the order names first appear. */
static void add_total(struct totals *t, const char *name, const char *value)
{
    uint64_t v = strtoull(value, NULL, 10);

    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->v[i].name, name) == 0) {
            t->v[i].sum += v;
            return;
        }
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        struct total *nv = realloc(t->v, cap * sizeof(*nv));
        if (nv == NULL) {
            t->failed = 1;
            return;
        }
        t->v = nv;
        t->cap = cap;
    }
    t->v[t->n].name = strdup(name);
    if (t->v[t->n].name == NULL) {
        t->failed = 1;
        return;
    }
    t->v[t->n++].sum = v;
}

static void stat_line(void *arg, const char *name, const char *value)
{
    struct totals *t = arg;

    printf("%s %s %s\n", t->server, name, value);
    if (summed(name, value))
        add_total(t, name, value);
}

int cli_pool_stats(const char *prog, struct mnemo_client *c, const char *group)
{
    struct totals t = {0};
    int rc = 0;
    size_t answered = 0;

    for (size_t i = 0; i < mnemo_server_count(c); i++) {
        t.server = mnemo_server_name(c, i);
        mnemo_status st = mnemo_stats(c, i, group, stat_line, &t);
        if (st != MNEMO_OK) {
            char why[400];
            fprintf(stderr, "%s: stats %s: %s\n", prog, t.server, cli_why(c, i, st, why, sizeof(why)));
            rc = EXIT_ERR;
            continue;
        }
        answered++;
    }
    /* Totals for the general group only: settings, slab classes and the
     * like do not add up across servers. */
    if (group == NULL && mnemo_server_count(c) > 1 && !t.failed) {
        for (size_t i = 0; i < t.n; i++)
            printf("total %s %" PRIu64 "\n", t.v[i].name, t.v[i].sum);
        printf("total servers %zu\n", answered);
    }
    for (size_t i = 0; i < t.n; i++)
        free(t.v[i].name);
    free(t.v);
    if (t.failed) {
        fprintf(stderr, "%s: stats: out of memory for the totals\n", prog);
        rc = EXIT_ERR;
    }
    return rc;
}

/* Learn each shard's primary; a shard without one is reported. */
static int learn_roles(const char *prog, struct mnemo_client *c, const char *cmd)
{
    if (mnemo_refresh_roles(c) == MNEMO_OK)
        return 0;
    for (size_t s = 0; s < mnemo_shard_count(c); s++) {
        if (mnemo_shard_primary(c, s) == (size_t)-1)
            fprintf(stderr, "%s: %s: no server of the shard of %s says it is primary\n", prog,
                    cmd, mnemo_server_name(c, mnemo_shard_servers(c, s, NULL)));
    }
    return EXIT_ERR;
}

int cli_pool_flush(const char *prog, struct mnemo_client *c)
{
    /* Replicas refuse writes and receive the flush from their primary. */
    int rc = learn_roles(prog, c, "flush");

    for (size_t s = 0; s < mnemo_shard_count(c); s++) {
        size_t p = mnemo_shard_primary(c, s);
        if (p == (size_t)-1)
            continue;
        mnemo_status st = mnemo_flush(c, p, 0);
        if (st != MNEMO_OK) {
            char why[400];
            fprintf(stderr, "%s: flush %s: %s\n", prog, mnemo_server_name(c, p),
                    cli_why(c, p, st, why, sizeof(why)));
            rc = EXIT_ERR;
            continue;
        }
        printf("%s OK\n", mnemo_server_name(c, p));
    }
    return rc;
}

int cli_pool_digest(const char *prog, struct mnemo_client *c, int argc, char **argv, int timeout_ms,
                    const struct cli_tls *tls, const struct cli_auth *auth)
{
    if (!(argc == 0 || (argc == 2 && strcmp(argv[0], "--max-diffs") == 0))) {
        fprintf(stderr, "%s: usage: digest [--max-diffs N]\n", prog);
        return EXIT_ERR;
    }
    int rc = learn_roles(prog, c, "digest");
    size_t nshards = mnemo_shard_count(c);
    for (size_t s = 0; s < nshards; s++) {
        size_t count, first = mnemo_shard_servers(c, s, &count), p = mnemo_shard_primary(c, s);
        if (p == (size_t)-1)
            continue;
        if (count < 2) {
            printf("shard %zu: %s has no replicas\n", s, mnemo_server_name(c, p));
            continue;
        }
        /* compare's arguments: the options given, then the primary (the
         * one the others are measured against), then its replicas. */
        char **args = calloc((size_t)argc + count, sizeof(*args));
        if (args == NULL) {
            fprintf(stderr, "%s: digest: out of memory\n", prog);
            return EXIT_ERR;
        }
        int n = 0;
        for (int i = 0; i < argc; i++)
            args[n++] = argv[i];
        args[n++] = (char *)mnemo_server_name(c, p);
        for (size_t i = first; i < first + count; i++)
            if (i != p)
                args[n++] = (char *)mnemo_server_name(c, i);
        printf("shard %zu: primary %s\n", s, mnemo_server_name(c, p));
        fflush(stdout);
        int r = cli_compare(prog, n, args, timeout_ms, tls, auth);
        free(args);
        if (r > rc)
            rc = r;
    }
    return rc;
}
