/*
 * pool.c: the server list of a client: parsing "host:port[:weight],..."
 * into shards ("primary=replica..." each), the placement of keys on shards
 * (ketama, twemproxy's ketama, modula), and failover (consecutive
 * failures, ejection for a retry interval, rejoin on the first good
 * reply).  Knows nothing of the wire protocol.
 */
#include "client/client.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/modula.h"
#include "client/twemproxy.h"
#include "client/twemproxy_hash.h"

/* mnemo_options as libmnemo.so.0 first shipped it: new fields come out
 * of reserved, so programs built against it keep working. */
struct options_v0 {
    enum mnemo_distribution distribution;
    int connect_timeout_ms, io_timeout_ms, failure_limit, retry_interval_ms, read_replicas;
    enum mnemo_hash hash;
    const char *auth_user;
    const char *auth_password;
    int reserved[16];
};
_Static_assert(sizeof(struct mnemo_options) == sizeof(struct options_v0),
               "struct mnemo_options changed size");
_Static_assert(offsetof(struct mnemo_options, auth_password) ==
                       offsetof(struct options_v0, auth_password) &&
                   offsetof(struct mnemo_options, hash) == offsetof(struct options_v0, hash) &&
                   offsetof(struct mnemo_options, tls) == offsetof(struct options_v0, reserved),
               "a field of struct mnemo_options moved");

void mnemo_options_init(struct mnemo_options *o)
{
    memset(o, 0, sizeof(*o));
    o->distribution = MNEMO_DIST_KETAMA;
    o->connect_timeout_ms = 1000;
    o->io_timeout_ms = 2000;
    o->failure_limit = 2;
    o->retry_interval_ms = 2000;
    o->read_replicas = 0;
    o->hash = MNEMO_HASH_DEFAULT;
}

static int parse_uint(const char *p, size_t n, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;

    if (n == 0 || n > 10)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

/* One "host[:port[:weight]]" entry, p[0..n) already trimmed. */
static int parse_server(const char *p, size_t n, struct server *s)
{
    const char *host = p, *rest;
    size_t host_len;
    uint64_t port = MNEMO_DEFAULT_PORT, weight = 1;

    if (n > 0 && p[0] == '[') {
        const char *close = memchr(p, ']', n);
        if (close == NULL)
            return -1;
        host = p + 1;
        host_len = (size_t)(close - host);
        rest = close + 1;
        if (rest < p + n && *rest != ':')
            return -1;
    } else {
        const char *colon = memchr(p, ':', n);
        host_len = colon ? (size_t)(colon - p) : n;
        rest = p + host_len;
    }
    if (host_len == 0 || host_len > 255)
        return -1;
    for (size_t i = 0; i < host_len; i++)
        if ((unsigned char)host[i] <= ' ' || host[i] == ',' || (unsigned char)host[i] >= 0x7f)
            return -1;
    const char *end = p + n;
    if (rest < end) {
        const char *pp = rest + 1, *c2 = memchr(pp, ':', (size_t)(end - pp));
        size_t pl = c2 ? (size_t)(c2 - pp) : (size_t)(end - pp);
        if (parse_uint(pp, pl, 65535, &port) != 0 || port == 0)
            return -1;
        if (c2 && (parse_uint(c2 + 1, (size_t)(end - c2 - 1), 1000000, &weight) != 0 || weight == 0))
            return -1;
    }
    s->host = strndup(host, host_len);
    if (s->host == NULL)
        return -2;
    s->port = (uint16_t)port;
    s->weight = (uint32_t)weight;
    if (p[0] == '[')
        snprintf(s->name, sizeof(s->name), "[%s]:%u", s->host, (unsigned)s->port);
    else
        snprintf(s->name, sizeof(s->name), "%s:%u", s->host, (unsigned)s->port);
    s->fd = -1;
    return 0;
}

static void free_servers(struct mnemo_client *c)
{
    for (size_t i = 0; i < c->nservers; i++) {
        free(c->servers[i].host);
        buf_free(&c->servers[i].in);
        buf_free(&c->servers[i].out);
        free(c->servers[i].q);
    }
    free(c->servers);
    free(c->shards);
    c->servers = NULL;
    c->shards = NULL;
    c->nservers = c->nshards = 0;
}

/* Trim blanks off [*p, *end). */
static void trim(const char **p, const char **end)
{
    while (*p < *end && (**p == ' ' || **p == '\t'))
        (*p)++;
    while (*end > *p && ((*end)[-1] == ' ' || (*end)[-1] == '\t'))
        (*end)--;
}

/* One shard "primary[=replica...]" of p[0..n): its servers appended to c. */
static int parse_shard(struct mnemo_client *c, const char *p, const char *end)
{
    struct shard *sh = &c->shards[c->nshards];

    sh->first = c->nservers;
    for (;;) {
        const char *eq = memchr(p, '=', (size_t)(end - p)), *stop = eq ? eq : end;
        const char *a = p, *b = stop;
        trim(&a, &b);
        struct server *s = &c->servers[c->nservers];
        int r = parse_server(a, (size_t)(b - a), s);
        if (r != 0)
            return r;
        c->nservers++;
        s->shard = c->nshards;
        s->role = c->nservers - 1 == sh->first ? ROLE_PRIMARY : ROLE_REPLICA;
        /* Keys are placed by the shard's primary alone: a replica's weight
         * would mean nothing, so it is refused rather than ignored. */
        if (s->role == ROLE_REPLICA && s->weight != 1)
            return -1;
        if (eq == NULL)
            break;
        p = eq + 1;
    }
    sh->count = c->nservers - sh->first;
    sh->primary = sh->first;
    c->nshards++;
    return 0;
}

/* The bytes of the ascii auth set every connection sends first: a set of
 * "user password" (the server splits at the first space, so the user has
 * none).  Its exptime is -1: a server that takes it as a plain set (one
 * without -Y) stores an item already expired, which no one can read.  0, or -1 for credentials a server could not take (or no memory,
 * which mnemo_create reports as the same EINVAL: a few hundred bytes). */
static int make_auth(struct mnemo_client *c)
{
    const char *user = c->opts.auth_user, *pass = c->opts.auth_password;
    c->opts.auth_user = c->opts.auth_password = NULL; /* the caller's: not kept */
    if (user == NULL && pass == NULL)
        return 0;
    if (user == NULL || pass == NULL || user[0] == '\0')
        return -1;
    size_t nu = strlen(user), np = strlen(pass);
    if (nu + 1 + np > 4096)
        return -1;
    for (size_t i = 0; i < nu; i++)
        if ((unsigned char)user[i] <= ' ' || user[i] == ':' || user[i] == 0x7f)
            return -1;
    size_t cap = 48 + nu + 1 + np;
    c->auth = malloc(cap);
    if (c->auth == NULL)
        return -1;
    int n = snprintf(c->auth, cap, "set mnemo_auth 0 -1 %zu\r\n%s %s\r\n", nu + 1 + np, user, pass);
    c->auth_len = (size_t)n;
    return 0;
}

static void free_auth(struct mnemo_client *c)
{
    if (c->auth != NULL)
        explicit_bzero(c->auth, c->auth_len);
    free(c->auth);
    c->auth = NULL;
}

mnemo_status mnemo_create(struct mnemo_client **out, const char *list, const struct mnemo_options *opts)
{
    struct mnemo_client *c;
    mnemo_status rc = MNEMO_EINVAL;
    size_t nodes = 1, shards = 1;

    *out = NULL;
    if (list == NULL)
        return MNEMO_EINVAL;
    if (opts && (opts->connect_timeout_ms <= 0 || opts->io_timeout_ms <= 0 ||
                 opts->failure_limit < 0 || opts->retry_interval_ms < 0 ||
                 opts->read_replicas < 0 || opts->read_replicas > 1 ||
                 (opts->distribution != MNEMO_DIST_KETAMA && opts->distribution != MNEMO_DIST_MODULA &&
                  opts->distribution != MNEMO_DIST_TWEMPROXY)))
        return MNEMO_EINVAL;
    for (size_t i = 0; opts && i < sizeof(opts->reserved) / sizeof(opts->reserved[0]); i++)
        if (opts->reserved[i] != 0)
            return MNEMO_EINVAL;
    if (opts && (opts->distribution == MNEMO_DIST_TWEMPROXY ? !twemproxy_hash_known(opts->hash)
                                                             : opts->hash != MNEMO_HASH_DEFAULT))
        return MNEMO_EINVAL;
    for (const char *p = list; *p; p++) {
        nodes += *p == ',' || *p == '=';
        shards += *p == ',';
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return MNEMO_ENOMEM;
    if (opts)
        c->opts = *opts;
    else
        mnemo_options_init(&c->opts);
    c->servers = calloc(nodes, sizeof(*c->servers));
    c->shards = calloc(shards, sizeof(*c->shards));
    if (c->servers == NULL || c->shards == NULL) {
        rc = MNEMO_ENOMEM;
        goto fail;
    }
    for (const char *p = list;;) {
        const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
        int r = parse_shard(c, p, end);
        if (r != 0) {
            rc = r == -2 ? MNEMO_ENOMEM : MNEMO_EINVAL;
            goto fail;
        }
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    if (c->opts.distribution == MNEMO_DIST_KETAMA || c->opts.distribution == MNEMO_DIST_TWEMPROXY) {
        struct ketama_server *ks = calloc(c->nshards, sizeof(*ks));
        if (ks == NULL) {
            rc = MNEMO_ENOMEM;
            goto fail;
        }
        for (size_t i = 0; i < c->nshards; i++) {
            const struct server *s = &c->servers[c->shards[i].first];
            ks[i] = (struct ketama_server){s->host, s->port, s->weight};
        }
        int r = c->opts.distribution == MNEMO_DIST_TWEMPROXY ? twemproxy_build(&c->ring, ks, c->nshards)
                                                             : ketama_build(&c->ring, ks, c->nshards);
        free(ks);
        if (r != 0 || c->ring.count == 0) {
            rc = r != 0 ? MNEMO_ENOMEM : MNEMO_EINVAL;
            goto fail;
        }
    }
    if (make_auth(c) != 0) {
        rc = MNEMO_EINVAL;
        goto fail;
    }
    char err[256];
    rc = conn_tls_setup(c, err, sizeof(err));
    if (rc != MNEMO_OK)
        goto fail;
    *out = c;
    return MNEMO_OK;
fail:
    conn_tls_teardown(c);
    free_auth(c);
    free_servers(c);
    ketama_free(&c->ring);
    free(c);
    return rc;
}

void mnemo_destroy(struct mnemo_client **cp)
{
    struct mnemo_client *c = cp ? *cp : NULL;

    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nservers; i++) {
        struct server *s = &c->servers[i];
        while (s->q_len > 0) {
            struct pending p;
            async_pop(s, &p);
            c->pending--;
            async_complete_status(c, &p, i, MNEMO_EIO);
        }
        conn_forget(s);
    }
    free_servers(c);
    ketama_free(&c->ring);
    free_auth(c);
    conn_tls_teardown(c);
    free(c);
    *cp = NULL;
}

size_t mnemo_server_count(const struct mnemo_client *c)
{
    return c->nservers;
}

const char *mnemo_server_name(const struct mnemo_client *c, size_t i)
{
    return i < c->nservers ? c->servers[i].name : NULL;
}

const char *mnemo_server_error(const struct mnemo_client *c, size_t i)
{
    return i < c->nservers ? c->servers[i].error : NULL;
}

mnemo_status mnemo_tls_check(const struct mnemo_options *opts, char *err, size_t errlen)
{
    struct mnemo_client c;

    if (errlen > 0)
        err[0] = '\0';
    if (opts == NULL)
        return MNEMO_OK; /* the defaults: no TLS */
    memset(&c, 0, sizeof(c));
    c.opts = *opts;
    mnemo_status rc = conn_tls_setup(&c, err, errlen);
    conn_tls_teardown(&c);
    return rc;
}

int pool_is_ejected(const struct server *s, int64_t now)
{
    return s->ejected_until > now;
}

int mnemo_server_ejected(const struct mnemo_client *c, size_t i)
{
    return i < c->nservers && pool_is_ejected(&c->servers[i], client_now_ms());
}

size_t mnemo_shard_count(const struct mnemo_client *c)
{
    return c->nshards;
}

size_t mnemo_shard_of(const struct mnemo_client *c, size_t i)
{
    return i < c->nservers ? c->servers[i].shard : NO_SERVER;
}

size_t mnemo_shard_servers(const struct mnemo_client *c, size_t shard, size_t *count)
{
    if (count)
        *count = shard < c->nshards ? c->shards[shard].count : 0;
    return shard < c->nshards ? c->shards[shard].first : NO_SERVER;
}

size_t mnemo_shard_primary(const struct mnemo_client *c, size_t shard)
{
    return shard < c->nshards ? c->shards[shard].primary : NO_SERVER;
}

/* A shard is off the ring while every server of it is ejected. */
static int shard_ejected(const struct mnemo_client *c, size_t shard, int64_t now)
{
    const struct shard *sh = &c->shards[shard];

    for (size_t i = sh->first; i < sh->first + sh->count; i++)
        if (!pool_is_ejected(&c->servers[i], now))
            return 0;
    return 1;
}

/*
 * Placement.  Ketama (and twemproxy's, on its own ring with its own key
 * hash): the first point >= hash, then onwards around the ring past
 * points of ejected shards, so only an ejected shard's keys move and
 * each goes to the next shard on the ring.  Modula: the next
 * live index.  skip_ejected = 0 gives the owner on the full ring.
 */
static size_t place(const struct mnemo_client *c, const void *key, size_t len, int skip_ejected)
{
    int64_t now = skip_ejected ? client_now_ms() : 0;

    if (c->nshards == 0)
        return NO_SERVER;
    if (c->opts.distribution == MNEMO_DIST_MODULA) {
        size_t i = modula_find(modula_hash(key, len), c->nshards);
        for (size_t n = 0; n < c->nshards; n++, i = (i + 1) % c->nshards)
            if (!skip_ejected || !shard_ejected(c, i, now))
                return i;
        return NO_SERVER;
    }
    uint32_t h = c->opts.distribution == MNEMO_DIST_TWEMPROXY ? twemproxy_hash(c->opts.hash, key, len)
                                                              : ketama_hash(key, len);
    size_t p = c->nshards == 1 ? 0 : ketama_find(&c->ring, h);
    for (size_t n = 0; n < c->ring.count; n++, p = (p + 1) % c->ring.count) {
        size_t i = c->ring.points[p].index;
        if (!skip_ejected || !shard_ejected(c, i, now))
            return i;
    }
    return NO_SERVER;
}

size_t pool_shard_for_key(const struct mnemo_client *c, const void *key, size_t len)
{
    return place(c, key, len, 1);
}

int pool_op_is_read(enum mnemo_op op)
{
    return op == MNEMO_OP_GET || op == MNEMO_OP_GETS;
}

size_t mnemo_server_for_key(const struct mnemo_client *c, const void *key, size_t len)
{
    size_t shard = place(c, key, len, 0);
    return shard == NO_SERVER ? NO_SERVER : c->shards[shard].first;
}

size_t mnemo_route_key(struct mnemo_client *c, const void *key, size_t len)
{
    size_t shard = place(c, key, len, 1);
    return shard == NO_SERVER ? NO_SERVER : c->shards[shard].primary;
}

void pool_fail_server(struct mnemo_client *c, struct server *s, mnemo_status status)
{
    size_t idx = (size_t)(s - c->servers);
    struct pending *q = s->q;
    size_t head = s->q_head, len = s->q_len, cap = s->q_cap;

    conn_close(s);
    /* Detach the queue first: callbacks may submit to this server again. */
    s->q = NULL;
    s->q_head = s->q_len = s->q_cap = 0;
    c->pending -= len;
    s->failures++;
    s->failed_at = client_now_ms();
    /* A shard with replicas loses its primary at the first failure: reads
     * move to the replicas and route.c asks who is primary now.  A shard
     * of one server keeps it: its keys move on only by ejection. */
    struct shard *sh = &c->shards[s->shard];
    if (sh->count > 1 && sh->primary == idx)
        sh->primary = NO_SERVER;
    if (c->opts.failure_limit > 0 && s->failures >= c->opts.failure_limit)
        s->ejected_until = client_now_ms() + c->opts.retry_interval_ms;
    for (size_t n = 0; n < len; n++) {
        struct pending *p = &q[(head + n) % cap];
        async_complete_status(c, p, idx, status);
    }
    free(q);
}

void pool_server_ok(struct server *s)
{
    s->failures = 0;
    s->ejected_until = 0;
}
