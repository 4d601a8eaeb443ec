/*
 * client_driver: drives libmnemo for the integration tests, for what
 * mnemo-cli cannot show.  Prints one JSON object per command.
 *
 *   client_driver SERVERS setmany PREFIX N     set PREFIX<i> = "val:PREFIX<i>"
 *   client_driver SERVERS mget PREFIX N        multi-get them, check every value
 *   client_driver SERVERS async N              N pipelined async ops, every completion checked
 *   client_driver SERVERS ops                  every blocking call, results checked
 *   client_driver SERVERS repl [RETRY_MS [read-replicas]]  commands from stdin:
 *        round PREFIX N   get each key (pipelined), set the misses; report
 *        set KEY VALUE    a blocking set; its status
 *        get KEY          a blocking get; its status and value
 *        primary SHARD    the server the client takes for the shard's primary
 *        quit
 *
 * The environment may add credentials (DRIVER_AUTH_USER/_PASSWORD) and
 * TLS: DRIVER_TLS=1, DRIVER_TLS_CA, DRIVER_TLS_CERT, DRIVER_TLS_KEY,
 * DRIVER_TLS_NAME (the mnemo_options fields of the same names).
 */
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mnemo/mnemo.h"

static struct mnemo_client *client;

static size_t make_key(char *buf, const char *prefix, size_t i)
{
    return (size_t)snprintf(buf, 256, "%s%zu", prefix, i);
}

static size_t make_val(char *buf, const char *key)
{
    return (size_t)snprintf(buf, 300, "val:%s", key);
}

/* ---- setmany ---- */
static int cmd_setmany(const char *prefix, size_t n)
{
    size_t errors = 0;
    for (size_t i = 0; i < n; i++) {
        char k[256], v[300];
        size_t kl = make_key(k, prefix, i), vl = make_val(v, k);
        if (mnemo_set(client, k, kl, v, vl, (uint32_t)i, 0) != MNEMO_OK)
            errors++;
    }
    printf("{\"set\": %zu, \"errors\": %zu}\n", n, errors);
    return errors ? 1 : 0;
}

/* ---- mget ---- */
struct mget_ctx {
    const char *prefix;
    size_t found, wrong;
    size_t *per_server;
};

static void mget_cb(void *arg, size_t i, const struct mnemo_result *r)
{
    struct mget_ctx *m = arg;
    char k[256], v[300];
    size_t kl = make_key(k, m->prefix, i), vl = make_val(v, k);

    m->found++;
    if (r->key_len != kl || memcmp(r->key, k, kl) != 0 || r->value_len != vl ||
        memcmp(r->value, v, vl) != 0 || r->flags != (uint32_t)i)
        m->wrong++;
    m->per_server[r->server]++;
}

static int cmd_mget(const char *prefix, size_t n)
{
    const void **keys = calloc(n, sizeof(*keys));
    size_t *lens = calloc(n, sizeof(*lens));
    char (*store)[256] = calloc(n, 256);
    size_t ns = mnemo_server_count(client);
    struct mget_ctx m = {prefix, 0, 0, calloc(ns, sizeof(size_t))};

    for (size_t i = 0; i < n; i++) {
        lens[i] = make_key(store[i], prefix, i);
        keys[i] = store[i];
    }
    mnemo_status st = mnemo_mget(client, n, keys, lens, 0, mget_cb, &m);
    size_t used = 0;
    for (size_t i = 0; i < ns; i++)
        used += m.per_server[i] > 0;
    printf("{\"keys\": %zu, \"found\": %zu, \"wrong\": %zu, \"servers_used\": %zu, \"status\": \"%s\"}\n",
           n, m.found, m.wrong, used, mnemo_strerror(st));
    free(keys);
    free(lens);
    free(store);
    free(m.per_server);
    return st == MNEMO_OK && m.wrong == 0 ? 0 : 1;
}

/* ---- async: N pipelined operations, checked one by one ---- */
struct op_check {
    enum mnemo_op op;
    size_t i;
    int done;
};

static size_t completed, bad, calls_wrong;
static const char *async_prefix = "async:";
static mnemo_status first_bad = MNEMO_OK; /* the status of the first bad completion */

static void async_cb(void *arg, const struct mnemo_result *r)
{
    struct op_check *oc = arg;
    char k[256], v[300];
    size_t kl = make_key(k, async_prefix, oc->i), vl = make_val(v, k);

    if (oc->done++)
        calls_wrong++; /* called twice */
    completed++;
    if (r->status != MNEMO_OK && r->status != MNEMO_NOT_FOUND && first_bad == MNEMO_OK)
        first_bad = r->status;
    if (r->op != oc->op || r->key_len != kl || memcmp(r->key, k, kl) != 0) {
        bad++;
        return;
    }
    switch (oc->op) {
    case MNEMO_OP_SET:
    case MNEMO_OP_DELETE:
        if (r->status != MNEMO_OK)
            bad++;
        break;
    case MNEMO_OP_GET:
        if (r->status != MNEMO_OK || r->value_len != vl || memcmp(r->value, v, vl) != 0 ||
            r->flags != (uint32_t)oc->i)
            bad++;
        break;
    case MNEMO_OP_INCR:
        if (r->status != MNEMO_OK || r->number != oc->i + 1)
            bad++;
        break;
    case MNEMO_OP_GETS: /* after delete: must miss */
        if (r->status != MNEMO_NOT_FOUND)
            bad++;
        break;
    default:
        bad++;
    }
}

static int cmd_async(size_t n)
{
    /* ops per key: set, get, delete, gets(miss) ... and a counter key: set "0", incr by i+1 */
    struct op_check *oc = calloc(n, sizeof(*oc));
    size_t submitted = 0, polls = 0;
    static const enum mnemo_op cycle[] = {MNEMO_OP_SET, MNEMO_OP_GET, MNEMO_OP_DELETE,
                                          MNEMO_OP_GETS, MNEMO_OP_SET, MNEMO_OP_INCR};
    for (size_t j = 0; j < n; j++) {
        size_t i = j / 6; /* key index */
        enum mnemo_op op = cycle[j % 6];
        char k[256], v[300];
        size_t kl = make_key(k, async_prefix, i), vl = make_val(v, k);
        struct mnemo_request req = {.op = op, .key = k, .key_len = kl, .cb = async_cb, .arg = &oc[j]};
        if (j % 6 == 0) {
            req.value = v;
            req.value_len = vl;
            req.flags = (uint32_t)i;
        } else if (j % 6 == 4) {
            req.value = "0";
            req.value_len = 1;
        } else if (op == MNEMO_OP_INCR) {
            req.delta = i + 1;
        }
        oc[j].op = op;
        oc[j].i = i;
        if (mnemo_submit(client, &req) == MNEMO_OK)
            submitted++;
    }
    /* Drive the I/O through the poll-able descriptors, as an event loop would. */
    while (mnemo_pending(client) > 0) {
        struct pollfd fds[16];
        int timeout;
        size_t nf = mnemo_pollfds(client, fds, 16, &timeout);
        poll(fds, (nfds_t)nf, timeout < 0 ? 1000 : timeout);
        mnemo_run(client, 0);
        polls++;
    }
    size_t not_done = 0;
    for (size_t j = 0; j < n; j++)
        not_done += oc[j].done == 0;
    printf("{\"submitted\": %zu, \"completed\": %zu, \"bad\": %zu, \"double\": %zu, "
           "\"not_done\": %zu, \"polls\": %zu, \"first_error\": \"%s\"}\n",
           submitted, completed, bad, calls_wrong, not_done, polls,
           first_bad == MNEMO_OK ? "" : mnemo_strerror(first_bad));
    free(oc);
    return submitted == n && completed == n && bad == 0 && calls_wrong == 0 && not_done == 0 ? 0 : 1;
}

/* ---- ops: the blocking calls one by one, each result checked ---- */
static int checks, failures;

static void check(int ok, const char *what)
{
    checks++;
    if (!ok) {
        failures++;
        fprintf(stderr, "client_driver ops: FAILED %s\n", what);
    }
}

static void count_stat(void *arg, const char *name, const char *value)
{
    if (strcmp(name, "pid") == 0 && atoi(value) > 0)
        (*(int *)arg)++;
}

static int cmd_ops(void)
{
    char *v = NULL;
    size_t vl = 0;
    uint32_t fl = 0;
    uint64_t cas = 0, cas2 = 0, num = 0;
    const char bkey[] = {'\0', '\n', ' ', (char)0xff, 'k'}; /* binary key: base64 on the wire */
    char ver[64];

    check(mnemo_set(client, "ops:a", 5, "one", 3, 42, 0) == MNEMO_OK, "set");
    check(mnemo_get(client, "ops:a", 5, &v, &vl, &fl, &cas) == MNEMO_OK && vl == 3 &&
              memcmp(v, "one", 3) == 0 && fl == 42 && cas != 0, "gets");
    free(v);
    check(mnemo_store(client, MNEMO_OP_CAS, "ops:a", 5, "two", 3, 1, 0, cas) == MNEMO_OK, "cas ok");
    check(mnemo_store(client, MNEMO_OP_CAS, "ops:a", 5, "three", 5, 1, 0, cas) == MNEMO_EXISTS,
          "cas stale -> EXISTS");
    check(mnemo_store(client, MNEMO_OP_CAS, "ops:nokey", 9, "x", 1, 0, 0, 12345) == MNEMO_NOT_FOUND,
          "cas on missing -> NOT_FOUND");
    check(mnemo_gat(client, "ops:a", 5, 500, &v, &vl, &fl, &cas2) == MNEMO_OK && vl == 3 &&
              memcmp(v, "two", 3) == 0 && fl == 1 && cas2 != cas, "gat");
    free(v);
    check(mnemo_gat(client, "ops:none", 8, 5, &v, &vl, NULL, NULL) == MNEMO_NOT_FOUND, "gat miss");
    check(mnemo_touch(client, "ops:a", 5, 100) == MNEMO_OK, "touch");
    check(mnemo_touch(client, "ops:none", 8, 100) == MNEMO_NOT_FOUND, "touch miss");
    check(mnemo_set(client, bkey, sizeof(bkey), "\0\r\n", 3, 7, 0) == MNEMO_OK, "set binary key");
    check(mnemo_get(client, bkey, sizeof(bkey), &v, &vl, &fl, NULL) == MNEMO_OK && vl == 3 &&
              memcmp(v, "\0\r\n", 3) == 0 && fl == 7, "get binary key");
    free(v);
    check(mnemo_delete(client, bkey, sizeof(bkey)) == MNEMO_OK, "delete binary key");
    check(mnemo_get(client, bkey, sizeof(bkey), &v, &vl, NULL, NULL) == MNEMO_NOT_FOUND, "binary key gone");
    /* errors from the server leave the connection usable */
    check(mnemo_incr(client, "ops:a", 5, 1, &num) == MNEMO_ECLIENT, "incr non-numeric -> ECLIENT");
    check(mnemo_get(client, "ops:a", 5, &v, &vl, NULL, NULL) == MNEMO_OK && vl == 3, "get after error");
    free(v);
    size_t big_len = 2u << 20;
    char *big = calloc(1, big_len);
    mnemo_status st = mnemo_set(client, "ops:a", 5, big, big_len, 0, 0);
    check(st == MNEMO_ESERVER || st == MNEMO_ECLIENT || st == MNEMO_NOT_STORED,
          "2 MiB value rejected by a 1 MiB server");
    free(big);
    check(mnemo_set(client, "ops:c", 5, "10", 2, 0, 0) == MNEMO_OK, "set after too-large");
    check(mnemo_incr(client, "ops:c", 5, 5, &num) == MNEMO_OK && num == 15, "incr");
    check(mnemo_decr(client, "ops:c", 5, 20, &num) == MNEMO_OK && num == 0, "decr floors at 0");
    check(mnemo_incr(client, "ops:none", 8, 1, &num) == MNEMO_NOT_FOUND, "incr miss");
    /* (memcached may space-pad a number that shrank on decr: start afresh) */
    check(mnemo_set(client, "ops:c", 5, "0", 1, 0, 0) == MNEMO_OK, "set before append");
    check(mnemo_store(client, MNEMO_OP_APPEND, "ops:c", 5, "1", 1, 0, 0, 0) == MNEMO_OK, "append");
    check(mnemo_store(client, MNEMO_OP_PREPEND, "ops:c", 5, "9", 1, 0, 0, 0) == MNEMO_OK, "prepend");
    check(mnemo_get(client, "ops:c", 5, &v, &vl, NULL, NULL) == MNEMO_OK && vl == 3 &&
              memcmp(v, "901", 3) == 0, "append/prepend result");
    free(v);
    check(mnemo_store(client, MNEMO_OP_APPEND, "ops:none", 8, "1", 1, 0, 0, 0) == MNEMO_NOT_STORED,
          "append on missing -> NOT_STORED");
    check(mnemo_get(client, "", 0, &v, &vl, NULL, NULL) == MNEMO_EINVAL, "empty key -> EINVAL");
    char longkey[300];
    memset(longkey, 'x', sizeof(longkey));
    check(mnemo_get(client, longkey, 251, &v, &vl, NULL, NULL) == MNEMO_EINVAL, "251-byte key -> EINVAL");
    int pids = 0;
    for (size_t i = 0; i < mnemo_server_count(client); i++) {
        check(mnemo_ping(client, i) == MNEMO_OK, "ping");
        check(mnemo_version(client, i, ver, sizeof(ver)) == MNEMO_OK && ver[0], "version");
        check(mnemo_stats(client, i, NULL, count_stat, &pids) == MNEMO_OK, "stats");
    }
    check(pids == (int)mnemo_server_count(client), "stats pid per server");
    check(mnemo_ping(client, 99) == MNEMO_EINVAL, "ping bad index");
    check(mnemo_flush_all(client, 0) == MNEMO_OK, "flush all");
    check(mnemo_get(client, "ops:c", 5, &v, &vl, NULL, NULL) == MNEMO_NOT_FOUND, "flushed");
    printf("{\"checks\": %d, \"failures\": %d}\n", checks, failures);
    return failures ? 1 : 0;
}

/* ---- repl: failover rounds ---- */
struct round {
    const char *prefix;
    size_t ok, miss, err, wrong, set_ok, set_err;
    size_t *per_server;
    size_t *err_kinds; /* by -status */
    unsigned char *missed;
};

struct round_op {
    struct round *r;
    size_t i;
};

static void round_get_cb(void *arg, const struct mnemo_result *res)
{
    struct round_op *ro = arg;
    struct round *r = ro->r;
    char k[256], v[300];
    size_t kl = make_key(k, r->prefix, ro->i), vl = make_val(v, k);

    if (res->status == MNEMO_OK) {
        if (res->value_len != vl || memcmp(res->value, v, vl) != 0 || res->key_len != kl ||
            memcmp(res->key, k, kl) != 0)
            r->wrong++;
        else
            r->ok++;
        r->per_server[res->server]++;
    } else if (res->status == MNEMO_NOT_FOUND) {
        r->miss++;
        r->missed[ro->i] = 1;
        r->per_server[res->server]++;
    } else {
        r->err++;
        r->err_kinds[-res->status]++;
    }
}

static void round_set_cb(void *arg, const struct mnemo_result *res)
{
    struct round_op *ro = arg;
    if (res->status == MNEMO_OK)
        ro->r->set_ok++;
    else
        ro->r->set_err++;
}

static void cmd_round(const char *prefix, size_t n)
{
    size_t ns = mnemo_server_count(client);
    struct round r = {.prefix = prefix};
    struct round_op *ops = calloc(n, sizeof(*ops));
    size_t rejected = 0;

    r.per_server = calloc(ns, sizeof(size_t));
    r.err_kinds = calloc(32, sizeof(size_t));
    r.missed = calloc(n, 1);
    for (size_t i = 0; i < n; i++) {
        char k[256];
        size_t kl = make_key(k, prefix, i);
        ops[i] = (struct round_op){&r, i};
        struct mnemo_request req = {.op = MNEMO_OP_GET, .key = k, .key_len = kl,
                                    .cb = round_get_cb, .arg = &ops[i]};
        mnemo_status st = mnemo_submit(client, &req);
        if (st != MNEMO_OK) {
            rejected++;
            r.err_kinds[-st]++;
        }
    }
    mnemo_wait_all(client);
    for (size_t i = 0; i < n; i++) {
        if (!r.missed[i])
            continue;
        char k[256], v[300];
        size_t kl = make_key(k, prefix, i), vl = make_val(v, k);
        struct mnemo_request req = {.op = MNEMO_OP_SET, .key = k, .key_len = kl, .value = v,
                                    .value_len = vl, .cb = round_set_cb, .arg = &ops[i]};
        if (mnemo_submit(client, &req) != MNEMO_OK)
            r.set_err++;
    }
    mnemo_wait_all(client);
    printf("{\"ok\": %zu, \"miss\": %zu, \"err\": %zu, \"rejected\": %zu, \"wrong\": %zu, "
           "\"set_ok\": %zu, \"set_err\": %zu, \"by_server\": {",
           r.ok, r.miss, r.err, rejected, r.wrong, r.set_ok, r.set_err);
    for (size_t i = 0; i < ns; i++)
        printf("%s\"%s\": %zu", i ? ", " : "", mnemo_server_name(client, i), r.per_server[i]);
    printf("}, \"ejected\": [");
    for (size_t i = 0, first = 1; i < ns; i++) {
        if (mnemo_server_ejected(client, i)) {
            printf("%s\"%s\"", first ? "" : ", ", mnemo_server_name(client, i));
            first = 0;
        }
    }
    printf("], \"errors\": {");
    for (int s = 1, first = 1; s < 32; s++) {
        if (r.err_kinds[s]) {
            printf("%s\"%s\": %zu", first ? "" : ", ", mnemo_strerror((mnemo_status)-s), r.err_kinds[s]);
            first = 0;
        }
    }
    printf("}}\n");
    fflush(stdout);
    free(ops);
    free(r.per_server);
    free(r.err_kinds);
    free(r.missed);
}

/* The blocking calls, with what a replica-aware pool does for them. */
static void cmd_blocking(const char *line)
{
    char key[251], val[200];
    size_t shard;

    if (sscanf(line, "set %250s %199s", key, val) == 2) {
        mnemo_status st = mnemo_set(client, key, strlen(key), val, strlen(val), 0, 0);
        printf("{\"rc\": %d, \"status\": \"%s\"}\n", (int)st, mnemo_strerror(st));
    } else if (sscanf(line, "get %250s", key) == 1) {
        char *v = NULL;
        size_t vl = 0;
        mnemo_status st = mnemo_get(client, key, strlen(key), &v, &vl, NULL, NULL);
        /* test values are plain words: no JSON escaping needed */
        printf("{\"rc\": %d, \"status\": \"%s\", \"value\": \"%.*s\"}\n", (int)st,
               mnemo_strerror(st), (int)vl, v ? v : "");
        free(v);
    } else if (sscanf(line, "primary %zu", &shard) == 1) {
        size_t p = mnemo_shard_primary(client, shard);
        if (p == (size_t)-1)
            printf("{\"primary\": null}\n");
        else
            printf("{\"primary\": \"%s\"}\n", mnemo_server_name(client, p));
    } else {
        printf("{\"error\": \"bad command\"}\n");
    }
    fflush(stdout);
}

static int cmd_repl(void)
{
    char line[512];

    printf("{\"ready\": true}\n");
    fflush(stdout);
    while (fgets(line, sizeof(line), stdin)) {
        char prefix[200];
        size_t n;
        if (sscanf(line, "round %199s %zu", prefix, &n) == 2)
            cmd_round(prefix, n);
        else if (strncmp(line, "set ", 4) == 0 || strncmp(line, "get ", 4) == 0 ||
                 strncmp(line, "primary ", 8) == 0)
            cmd_blocking(line);
        else if (strncmp(line, "quit", 4) == 0)
            break;
        else {
            printf("{\"error\": \"bad command\"}\n");
            fflush(stdout);
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct mnemo_options o;
    int rc = 2;

    if (argc < 3) {
        fprintf(stderr, "usage: client_driver SERVERS setmany|mget PREFIX N | async N | repl [RETRY_MS]\n");
        return 2;
    }
    mnemo_options_init(&o);
    o.connect_timeout_ms = 1000;
    o.io_timeout_ms = 2000;
    o.failure_limit = 2;
    o.retry_interval_ms = 1500;
    if (strcmp(argv[2], "repl") == 0 && argc > 3)
        o.retry_interval_ms = atoi(argv[3]);
    if (strcmp(argv[2], "repl") == 0 && argc > 4)
        o.read_replicas = strcmp(argv[4], "read-replicas") == 0;
    /* servers with -Y: the credentials from the environment */
    o.auth_user = getenv("DRIVER_AUTH_USER");
    o.auth_password = getenv("DRIVER_AUTH_PASSWORD");
    o.tls = getenv("DRIVER_TLS") != NULL && strcmp(getenv("DRIVER_TLS"), "1") == 0;
    o.tls_ca_file = getenv("DRIVER_TLS_CA");
    o.tls_cert_file = getenv("DRIVER_TLS_CERT");
    o.tls_key_file = getenv("DRIVER_TLS_KEY");
    o.tls_server_name = getenv("DRIVER_TLS_NAME");
    if (mnemo_create(&client, argv[1], &o) != MNEMO_OK) {
        fprintf(stderr, "client_driver: bad server list\n");
        return 2;
    }
    if (strcmp(argv[2], "setmany") == 0 && argc == 5)
        rc = cmd_setmany(argv[3], strtoul(argv[4], NULL, 10));
    else if (strcmp(argv[2], "mget") == 0 && argc == 5)
        rc = cmd_mget(argv[3], strtoul(argv[4], NULL, 10));
    else if (strcmp(argv[2], "async") == 0 && argc == 4)
        rc = cmd_async(strtoul(argv[3], NULL, 10));
    else if (strcmp(argv[2], "ops") == 0)
        rc = cmd_ops();
    else if (strcmp(argv[2], "repl") == 0)
        rc = cmd_repl();
    else
        fprintf(stderr, "client_driver: bad command\n");
    mnemo_destroy(&client);
    return rc;
}
