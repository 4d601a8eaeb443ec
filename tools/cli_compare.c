/*
 * cli_compare.c: `mnemo-cli compare HOST:PORT HOST:PORT...`.
 *
 *   each server ──stats digest (libmnemo)──▶ "ADDR digest HEX items N"
 *   all equal ──▶ exit 0
 *   else: first server and each one whose digest is not the first's
 *         ──lru_crawler metadump all (a plain socket)──▶ keys with cas,
 *         exp, flags ──sorted, merged──▶ missing / extra / differs ──▶ exit 1
 *
 * libmnemo speaks only the cache commands, so the key lists are read on a
 * socket of their own. metadump's size= is not compared: it is the memory
 * an item takes, and an item whose cas was given (meta E, a restore, a
 * replica) takes 8 bytes more than one whose cas the store derived, so
 * equal items can differ there. A value that changed under the same cas
 * and flags shows in the digest only. Keys are shown as themselves where
 * that is unambiguous, else URI-encoded as metadump lists them.
 */
#include "cli_compare.h"

#include "cli_auth.h"
#include "cli_stream.h"
#include "cli_tls.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "mnemo/mnemo.h"

#define DEFAULT_MAX_DIFFS 20
/* a digest walks every item: give its answer this long at least */
#define MIN_REPLY_MS 60000

struct digest_reply {
    char hex[40];
    uint64_t items;
    bool have_hex, have_items;
};

struct key_meta {
    char *key; /* as metadump prints it: URI-encoded */
    int64_t exp;
    uint64_t cas;
    uint32_t flags;
};

struct key_list {
    struct key_meta *v;
    size_t n, cap;
};

static void take_stat(void *arg, const char *name, const char *value)
{
    struct digest_reply *d = arg;
    if (strcmp(name, "digest") == 0) {
        snprintf(d->hex, sizeof(d->hex), "%s", value);
        d->have_hex = true;
    } else if (strcmp(name, "digest_items") == 0) {
        d->items = strtoull(value, NULL, 10);
        d->have_items = true;
    }
}

/* stats digest of the one server addr names; its "host:port" into name. */
static int fetch_digest(const char *prog, const char *addr, const struct mnemo_options *o,
                        struct digest_reply *d, char *name, size_t cap)
{
    struct mnemo_client *c = NULL;
    snprintf(name, cap, "%s", addr);
    if (strchr(addr, ',') != NULL || mnemo_create(&c, addr, o) != MNEMO_OK) {
        fprintf(stderr, "%s: compare: bad address %s (want host:port)\n", prog, addr);
        return COMPARE_ERROR;
    }
    snprintf(name, cap, "%s", mnemo_server_name(c, 0));
    mnemo_status st = mnemo_stats(c, 0, "digest", take_stat, d);
    char why[400];
    cli_why(c, 0, st, why, sizeof(why));
    mnemo_destroy(&c);
    if (st == MNEMO_OK && (!d->have_hex || !d->have_items))
        st = MNEMO_EPROTO;
    if (st != MNEMO_OK) {
        bool refused = st == MNEMO_ECLIENT || st == MNEMO_EPROTO;
        fprintf(stderr, "%s: compare %s: %s%s\n", prog, name,
                st == MNEMO_EPROTO ? mnemo_strerror(st) : why,
                refused ? " (no stats digest: not a mnemod?)" : "");
        return COMPARE_ERROR;
    }
    return COMPARE_SAME;
}

static void keys_free(struct key_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].key);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

/* One metadump line: "key=K exp=E la=.. cas=C fetch=.. cls=.. size=.. flags=F".
 * 0, or -1 when out of memory. */
static int add_key_line(struct key_list *l, char *line)
{
    struct key_meta m = {0};
    for (char *save = NULL, *tok = strtok_r(line, " ", &save); tok != NULL;
         tok = strtok_r(NULL, " ", &save)) {
        if (strncmp(tok, "key=", 4) == 0)
            m.key = tok + 4;
        else if (strncmp(tok, "exp=", 4) == 0)
            m.exp = strtoll(tok + 4, NULL, 10);
        else if (strncmp(tok, "cas=", 4) == 0)
            m.cas = strtoull(tok + 4, NULL, 10);
        else if (strncmp(tok, "flags=", 6) == 0)
            m.flags = (uint32_t)strtoul(tok + 6, NULL, 10);
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 1024;
        struct key_meta *v = realloc(l->v, cap * sizeof(*v));
        if (v == NULL)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    if ((m.key = strdup(m.key)) == NULL)
        return -1;
    l->v[l->n++] = m;
    return 0;
}

/* Handle one line of the dump: 1 at END, 0 to go on, -1 with the reason
 * in err (a refusal such as "ERROR metadump not allowed", or no memory). */
static int dump_line(struct key_list *l, char *line, char *err, size_t errlen)
{
    size_t n = strlen(line);
    if (n > 0 && line[n - 1] == '\r')
        line[--n] = '\0';
    if (strcmp(line, "END") == 0)
        return 1;
    if (strcmp(line, "OK") == 0)
        return 0;
    if (strncmp(line, "key=", 4) != 0) {
        snprintf(err, errlen, "%s", line);
        return -1;
    }
    if (add_key_line(l, line) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* Read the dump up to END from s. 0, or -1 with the reason in err. */
static int read_dump(struct cli_stream *s, struct key_list *l, char *err, size_t errlen)
{
    char buf[65536];
    size_t have = 0;
    for (;;) {
        ssize_t r = cli_stream_recv(s, buf + have, sizeof(buf) - 1 - have);
        if (r <= 0) {
            snprintf(err, errlen, "%s", r == 0 ? "connection closed before END"
                                    : errno == EAGAIN ? "timed out" : strerror(errno));
            return -1;
        }
        have += (size_t)r;
        buf[have] = '\0';
        char *start = buf, *nl;
        while ((nl = memchr(start, '\n', have - (size_t)(start - buf))) != NULL) {
            *nl = '\0';
            int rc = dump_line(l, start, err, errlen);
            if (rc != 0)
                return rc > 0 ? 0 : -1;
            start = nl + 1;
        }
        have -= (size_t)(start - buf);
        memmove(buf, start, have);
        if (have == sizeof(buf) - 1) {
            snprintf(err, errlen, "a line longer than %zu bytes", have);
            return -1;
        }
    }
}

/* --auth-file's credentials and the --tls options for the whole command
 * (one thread, one run). */
static const struct cli_auth *auth_given;
static const struct cli_tls *tls_given;

static int by_key(const void *a, const void *b)
{
    return strcmp(((const struct key_meta *)a)->key, ((const struct key_meta *)b)->key);
}

static int list_failed(const char *prog, const char *name, const char *err, struct key_list *l)
{
    fprintf(stderr, "%s: compare %s: cannot list its keys (lru_crawler metadump all): %s\n", prog,
            name, err);
    keys_free(l);
    return COMPARE_ERROR;
}

/* The server's keys, sorted, each once (a walk may list one twice while
 * the index grows). 0, or COMPARE_ERROR with a message. */
static int list_keys(const char *prog, const char *name, int connect_ms, int reply_ms,
                     struct key_list *l)
{
    static const char cmd[] = "lru_crawler metadump all\r\n";
    char err[256] = "";
    struct cli_stream st;
    int rc = -1;
    if (cli_stream_open(&st, name, connect_ms, reply_ms, tls_given, auth_given, err,
                        sizeof(err)) != 0)
        return list_failed(prog, name, err, l);
    if (cli_stream_send(&st, cmd, sizeof(cmd) - 1) != 0)
        snprintf(err, sizeof(err), "%s", strerror(errno));
    else
        rc = read_dump(&st, l, err, sizeof(err));
    cli_stream_close(&st);
    if (rc != 0)
        return list_failed(prog, name, err, l);
    if (l->n > 1) /* an empty server has no array at all: qsort must not see NULL */
        qsort(l->v, l->n, sizeof(*l->v), by_key);
    size_t out = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (out > 0 && strcmp(l->v[out - 1].key, l->v[i].key) == 0)
            free(l->v[--out].key); /* keep the later line */
        l->v[out++] = l->v[i];
    }
    l->n = out;
    return 0;
}

/* A key as metadump spells it (URI-encoded), printed as the key itself
 * when that is printable ASCII without spaces or '%' (any text-protocol
 * key but one holding a '%'), else as spelled: a key shown with a '%' is
 * always in its encoded form. */
static void print_key(const char *enc)
{
    char key[256];
    size_t n = 0;
    for (const char *p = enc; *p != '\0'; p++) {
        unsigned hex;
        char c = *p;
        if (c == '%' && sscanf(p + 1, "%2x", &hex) == 1 && isxdigit((unsigned char)p[1]) &&
            isxdigit((unsigned char)p[2])) {
            c = (char)hex;
            p += 2;
        }
        if (n == sizeof(key) - 1 || c == '%' || !isgraph((unsigned char)c)) {
            fputs(enc, stdout);
            return;
        }
        key[n++] = c;
    }
    fwrite(key, 1, n, stdout);
}

/* One difference, printed while fewer than max have been. */
static void show(size_t *shown, long max, const char *what, const struct key_meta *a,
                 const struct key_meta *b)
{
    if ((long)(*shown)++ >= max)
        return;
    printf("  %-7s ", what);
    print_key((a != NULL ? a : b)->key);
    if (a != NULL && b != NULL) {
        if (a->cas != b->cas)
            printf(" cas %" PRIu64 " vs %" PRIu64, a->cas, b->cas);
        if (a->exp != b->exp)
            printf(" exp %" PRId64 " vs %" PRId64, a->exp, b->exp);
        if (a->flags != b->flags)
            printf(" flags %" PRIu32 " vs %" PRIu32, a->flags, b->flags);
    }
    putchar('\n');
}

/* What b's keys lack (missing), add (extra) or hold otherwise (differs)
 * against a's, both sorted. */
static void report(const char *name_a, const struct key_list *a, const char *name_b,
                   const struct key_list *b, long max)
{
    size_t i = 0, j = 0, missing = 0, extra = 0, differ = 0, shown = 0;
    printf("%s against %s (missing: only on %s; extra: only on %s):\n", name_b, name_a, name_a,
           name_b);
    while (i < a->n || j < b->n) {
        int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->v[i].key, b->v[j].key);
        if (c < 0) {
            missing++;
            show(&shown, max, "missing", &a->v[i++], NULL);
        } else if (c > 0) {
            extra++;
            show(&shown, max, "extra", NULL, &b->v[j++]);
        } else {
            const struct key_meta *x = &a->v[i++], *y = &b->v[j++];
            if (x->cas != y->cas || x->exp != y->exp || x->flags != y->flags) {
                differ++;
                show(&shown, max, "differs", x, y);
            }
        }
    }
    if ((long)shown > max)
        printf("  ... %zu more\n", shown - (size_t)max);
    printf("  %zu missing, %zu extra, %zu differ in cas, exp or flags\n", missing, extra, differ);
    if (missing + extra + differ == 0)
        printf("  no key differs in cas, exp or flags: a value changed under the same cas, or "
               "the items changed while they were compared\n");
}

static int usage(const char *prog)
{
    fprintf(stderr, "%s: usage: compare [--max-diffs N] HOST:PORT HOST:PORT [...]\n", prog);
    return COMPARE_ERROR;
}

/* Leading "--max-diffs N" or "--max-diffs=N" options into *max; the index
 * of the first address, or -1 after a message. */
static int parse_options(const char *prog, int argc, char **argv, long *max)
{
    int i = 0;
    while (i < argc && strncmp(argv[i], "--max-diffs", 11) == 0) {
        const char *opt = argv[i] + 11;
        const char *v = *opt == '=' ? opt + 1 : *opt == '\0' && i + 1 < argc ? argv[++i] : NULL;
        char *end = NULL;
        errno = 0;
        *max = v != NULL ? strtol(v, &end, 10) : -1;
        if (v == NULL || *v == '\0' || *end != '\0' || errno != 0 || *max < 0 || *max > 1000000) {
            fprintf(stderr, "%s: compare: bad --max-diffs (0..1000000)\n", prog);
            return -1;
        }
        i++;
    }
    return i;
}

static bool same(const struct digest_reply *a, const struct digest_reply *b)
{
    return strcmp(a->hex, b->hex) == 0 && a->items == b->items;
}

/* The digests differ: for each server whose digest is not the first's,
 * what differs from the first server's keys. */
static void explain(const char *prog, int n, const struct digest_reply *d, char (*names)[320],
                    int connect_ms, int reply_ms, long max)
{
    struct key_list base = {0};
    if (list_keys(prog, names[0], connect_ms, reply_ms, &base) != 0)
        return; /* the verdict stands; what differs cannot be said */
    for (int i = 1; i < n; i++) {
        struct key_list other = {0};
        if (same(&d[i], &d[0]))
            continue;
        if (list_keys(prog, names[i], connect_ms, reply_ms, &other) != 0)
            continue;
        report(names[0], &base, names[i], &other, max);
        keys_free(&other);
    }
    keys_free(&base);
}

int cli_compare(const char *prog, int argc, char **argv, int timeout_ms,
                const struct cli_tls *tls, const struct cli_auth *auth)
{
    auth_given = auth;
    tls_given = tls;
    long max = DEFAULT_MAX_DIFFS;
    int first = parse_options(prog, argc, argv, &max);
    if (first < 0)
        return COMPARE_ERROR;
    int n = argc - first;
    if (n < 2)
        return usage(prog);

    int reply_ms = timeout_ms > MIN_REPLY_MS ? timeout_ms : MIN_REPLY_MS;
    struct mnemo_options o;
    mnemo_options_init(&o);
    o.connect_timeout_ms = timeout_ms;
    o.io_timeout_ms = reply_ms;
    o.failure_limit = 0;
    cli_tls_options(tls, &o);
    if (auth != NULL) {
        o.auth_user = auth->user;
        o.auth_password = auth->pass;
    }
    struct digest_reply *d = calloc((size_t)n, sizeof(*d));
    char(*names)[320] = calloc((size_t)n, sizeof(*names));
    int rc = COMPARE_SAME;
    if (d == NULL || names == NULL) {
        fprintf(stderr, "%s: compare: out of memory\n", prog);
        rc = COMPARE_ERROR;
        goto out;
    }
    for (int i = 0; i < n; i++) {
        if (fetch_digest(prog, argv[first + i], &o, &d[i], names[i], sizeof(names[i])) != 0)
            rc = COMPARE_ERROR;
        else
            printf("%s digest %s items %" PRIu64 "\n", names[i], d[i].hex, d[i].items);
    }
    for (int i = 1; i < n && rc == COMPARE_SAME; i++) {
        if (!same(&d[i], &d[0]))
            rc = COMPARE_DIFFER;
    }
    if (rc == COMPARE_SAME) {
        printf("same digest on all %d servers\n", n);
    } else if (rc == COMPARE_DIFFER) {
        printf("digests differ\n");
        explain(prog, n, d, names, timeout_ms, reply_ms, max);
    }
out:
    free(d);
    free(names);
    if (fflush(stdout) != 0)
        rc = COMPARE_ERROR;
    return rc;
}
