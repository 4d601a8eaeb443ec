/*
 * route.c: where a request goes.  mnemo_submit finds the key's shard on
 * the ring (pool.c), then the server within the shard by its role, and
 * queues the request there (async.c).
 *
 * A shard starts with its first server as primary.  It loses it when that
 * server fails (pool.c; one failure is enough: a primary that does not
 * answer must not hold writes back until it is ejected) or refuses a
 * write as a replica.  From then on reads go to its replicas, writes
 * answer MNEMO_ENOPRIMARY, and the client asks the shard's reachable
 * servers `stats replication`.  When every answer of a round is in, the server
 * that says "role primary" becomes the shard's primary.  Were two to say
 * so (an old primary restarted on its own while a replica was promoted),
 * the one further along its stream (repl_offset) wins: it is the one that
 * took the writes since.  A round starts when a request needs a primary
 * and none is on its way, so questions never pile up: a dead shard costs
 * one stats request per server per round trip at most.
 */
#include "client/client.h"

#include <stdlib.h>
#include <string.h>

/* Not to be sent what another server can take: ejected, or failed within
 * the retry interval and not answered since.  (Past the interval it is
 * tried again, even where failure_limit never ejects.) */
static int server_doubtful(const struct mnemo_client *c, const struct server *s, int64_t now)
{
    return pool_is_ejected(s, now) ||
           (s->failures > 0 && now < s->failed_at + c->opts.retry_interval_ms);
}

void route_refused_write(struct mnemo_client *c, struct server *s)
{
    struct shard *sh = &c->shards[s->shard];

    s->role = ROLE_REPLICA;
    /* a shard of one server has nowhere else to go: it keeps it */
    if (sh->count > 1 && sh->primary == (size_t)(s - c->servers))
        sh->primary = NO_SERVER;
}

/* "name value\n" lines of stats replication: the role and the offset. */
static void read_role(struct server *s, const char *text, size_t len)
{
    const char *p = text, *end = text + len;

    s->role = ROLE_UNKNOWN;
    s->repl_offset = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *eol = nl ? nl : end;
        size_t n = (size_t)(eol - p);
        if (n == 12 && memcmp(p, "role primary", 12) == 0)
            s->role = ROLE_PRIMARY;
        else if (n == 12 && memcmp(p, "role replica", 12) == 0)
            s->role = ROLE_REPLICA;
        else if (n > 12 && memcmp(p, "repl_offset ", 12) == 0)
            s->repl_offset = strtoull(p + 12, NULL, 10);
        p = eol + 1;
    }
}

/* The end of a round: the primary that answered, furthest along. */
static void decide(struct mnemo_client *c, struct shard *sh)
{
    size_t best = NO_SERVER;
    int64_t now = client_now_ms();

    for (size_t i = sh->first; i < sh->first + sh->count; i++) {
        const struct server *s = &c->servers[i];
        if (s->role != ROLE_PRIMARY || server_doubtful(c, s, now))
            continue;
        if (best == NO_SERVER || s->repl_offset > c->servers[best].repl_offset)
            best = i;
    }
    if (best != NO_SERVER)
        sh->primary = best;
}

static void probe_done(void *arg, const struct mnemo_result *r)
{
    struct mnemo_client *c = arg;
    struct server *s = &c->servers[r->server];
    struct shard *sh = &c->shards[s->shard];

    /* No answer keeps the role last seen: the failure itself puts the
     * server in doubt until it answers again. */
    if (r->status == MNEMO_OK)
        read_role(s, r->value, r->value_len);
    if (--sh->probes_out == 0 && sh->primary == NO_SERVER)
        decide(c, sh);
}

size_t route_probe(struct mnemo_client *c, size_t shard)
{
    struct shard *sh = &c->shards[shard];
    int64_t now = client_now_ms();

    if (sh->probes_out > 0)
        return sh->probes_out;
    for (size_t i = sh->first; i < sh->first + sh->count; i++) {
        if (pool_is_ejected(&c->servers[i], now))
            continue;
        struct mnemo_request q = {.op = MNEMO_OP_STATS, .key = "replication",
                                  .key_len = 11, .server = i, .cb = probe_done, .arg = c};
        if (async_enqueue(c, i, &q, NULL) == MNEMO_OK)
            sh->probes_out++;
    }
    return sh->probes_out;
}

/* A read: the primary, or with read_replicas the replicas in turn; the
 * servers in doubt only when nothing else is left. */
static size_t pick_read(struct mnemo_client *c, struct shard *sh, int64_t now)
{
    size_t fallback = NO_SERVER;

    if (!c->opts.read_replicas && sh->primary != NO_SERVER &&
        !server_doubtful(c, &c->servers[sh->primary], now))
        return sh->primary;
    for (size_t n = 0; n < sh->count; n++) {
        size_t i = sh->first + (sh->next_read + n) % sh->count;
        const struct server *s = &c->servers[i];
        if (i == sh->primary || s->role != ROLE_REPLICA || pool_is_ejected(s, now))
            continue;
        if (server_doubtful(c, s, now)) {
            if (fallback == NO_SERVER)
                fallback = i;
            continue;
        }
        sh->next_read = (sh->next_read + n + 1) % sh->count;
        return i;
    }
    if (sh->primary != NO_SERVER && !pool_is_ejected(&c->servers[sh->primary], now))
        return sh->primary;
    return fallback;
}

/* The server for a request of op on shard, or NO_SERVER with *why set
 * (MNEMO_ENOPRIMARY for a write while the shard has no primary: questions
 * to its servers are then on their way). */
static size_t pick(struct mnemo_client *c, size_t shard, enum mnemo_op op, mnemo_status *why)
{
    struct shard *sh = &c->shards[shard];
    int64_t now = client_now_ms();

    *why = MNEMO_OK;
    if (sh->count == 1)
        return sh->first;
    if (sh->primary == NO_SERVER)
        route_probe(c, shard);
    if (pool_op_is_read(op)) {
        size_t i = pick_read(c, sh, now);
        if (i == NO_SERVER)
            *why = MNEMO_ENOSERVER;
        return i;
    }
    if (sh->primary == NO_SERVER) {
        *why = MNEMO_ENOPRIMARY;
        return NO_SERVER;
    }
    return sh->primary;
}

mnemo_status mnemo_submit(struct mnemo_client *c, const struct mnemo_request *req)
{
    struct wire_key wk;

    if (c == NULL || req == NULL || (int)req->op < 0 || req->op > MNEMO_OP_STATS)
        return MNEMO_EINVAL;
    if (!async_op_has_key(req->op))
        return req->server < c->nservers ? async_enqueue(c, req->server, req, NULL) : MNEMO_EINVAL;
    if (async_wire_key(req, &wk) != MNEMO_OK)
        return MNEMO_EINVAL;
    size_t shard = pool_shard_for_key(c, req->key, req->key_len);
    if (shard == NO_SERVER)
        return MNEMO_ENOSERVER;
    mnemo_status why;
    size_t idx = pick(c, shard, req->op, &why);
    if (idx == NO_SERVER)
        return why;
    return async_enqueue(c, idx, req, &wk);
}

mnemo_status mnemo_refresh_roles(struct mnemo_client *c)
{
    mnemo_status rc = MNEMO_OK;

    if (c->in_callback)
        return MNEMO_EBUSY;
    for (size_t i = 0; i < c->nshards; i++) {
        struct shard *sh = &c->shards[i];
        if (sh->count < 2)
            continue;
        /* Forget the primary so the round's answers decide it afresh. */
        sh->primary = NO_SERVER;
        route_probe(c, i);
    }
    for (size_t i = 0; i < c->nshards; i++) {
        while (c->shards[i].probes_out > 0)
            mnemo_run(c, -1);
        if (c->shards[i].primary == NO_SERVER)
            rc = MNEMO_ENOPRIMARY;
    }
    return rc;
}
