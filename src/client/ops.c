/*
 * ops.c: the blocking calls, each one a submit followed by mnemo_run
 * until its completion fires (every wait is bounded by the connect and
 * I/O timeouts), plus mnemo_strerror.
 */
#include "client/client.h"

#include <stdlib.h>
#include <string.h>

const char *mnemo_strerror(mnemo_status st)
{
    switch (st) {
    case MNEMO_OK: return "success";
    case MNEMO_NOT_FOUND: return "not found";
    case MNEMO_NOT_STORED: return "not stored";
    case MNEMO_EXISTS: return "exists (cas mismatch)";
    case MNEMO_EINVAL: return "invalid argument";
    case MNEMO_ENOMEM: return "out of memory";
    case MNEMO_ECONNECT: return "cannot connect to server";
    case MNEMO_ETIMEDOUT: return "timed out";
    case MNEMO_EIO: return "connection lost";
    case MNEMO_EPROTO: return "protocol error (malformed or mismatched reply)";
    case MNEMO_ECLIENT: return "server rejected the request (CLIENT_ERROR)";
    case MNEMO_ESERVER: return "server error (SERVER_ERROR)";
    case MNEMO_ENOSERVER: return "no server available";
    case MNEMO_EBUSY: return "call not allowed from a completion callback";
    case MNEMO_ENOPRIMARY: return "the shard's primary is down and no replica is promoted yet";
    case MNEMO_EAUTH: return "authentication failed (the server refused the user or password)";
    case MNEMO_ETLS: return "TLS failure (a bad certificate, key or CA file, a failed handshake or a refused certificate)";
    }
    return "unknown error";
}

struct sync_result {
    int done;
    int want_value;
    mnemo_status status;
    char *value;
    size_t value_len;
    uint32_t flags;
    uint64_t cas;
    uint64_t number;
};

static void sync_cb(void *arg, const struct mnemo_result *r)
{
    struct sync_result *sr = arg;

    sr->done = 1;
    sr->status = r->status;
    sr->flags = r->flags;
    sr->cas = r->cas;
    sr->number = r->number;
    if (sr->want_value && r->status == MNEMO_OK) {
        sr->value = malloc(r->value_len + 1);
        if (sr->value == NULL) {
            sr->status = MNEMO_ENOMEM;
            return;
        }
        if (r->value_len)
            memcpy(sr->value, r->value, r->value_len);
        sr->value[r->value_len] = '\0';
        sr->value_len = r->value_len;
    }
}

/* The request failed before reaching a server that would act on it, or
 * on a server that is now known to be the wrong one: one more try goes
 * elsewhere.  Only for shards with replicas.  A write is tried again only
 * when it cannot have been applied (no primary, no connection to it, or
 * refused by a replica); a read also after a lost connection or a
 * timeout, since it changes nothing. */
static int worth_retry(struct mnemo_client *c, const struct mnemo_request *req, mnemo_status rc,
                       size_t *shard)
{
    if (req->op > MNEMO_OP_DECR)
        return 0;
    *shard = pool_shard_for_key(c, req->key, req->key_len);
    if (*shard == NO_SERVER || c->shards[*shard].count < 2)
        return 0;
    if (rc == MNEMO_ENOPRIMARY || rc == MNEMO_ECONNECT)
        return 1;
    if (pool_op_is_read(req->op))
        return rc == MNEMO_EIO || rc == MNEMO_ECONNECT || rc == MNEMO_ETIMEDOUT;
    return rc == MNEMO_ESERVER && c->shards[*shard].primary == NO_SERVER;
}

/* Submit req with sync_cb and run until it completes; once more if that
 * failed in a way a replica-aware pool can route around, after the
 * shard's servers have said who is primary. */
static mnemo_status run_one(struct mnemo_client *c, struct mnemo_request *req, struct sync_result *sr)
{
    if (c->in_callback)
        return MNEMO_EBUSY;
    req->cb = sync_cb;
    req->arg = sr;
    for (int attempt = 0;; attempt++) {
        size_t shard;
        sr->done = 0;
        mnemo_status rc = mnemo_submit(c, req);
        if (rc == MNEMO_OK) {
            while (!sr->done)
                mnemo_run(c, -1);
            rc = sr->status;
        }
        if (attempt > 0 || !worth_retry(c, req, rc, &shard))
            return rc;
        if (!pool_op_is_read(req->op)) {
            route_probe(c, shard);
            while (c->shards[shard].probes_out > 0)
                mnemo_run(c, -1);
        }
    }
}

static mnemo_status get_common(struct mnemo_client *c, enum mnemo_op op, const void *key,
                               size_t key_len, int64_t ttl, char **value, size_t *value_len,
                               uint32_t *flags, uint64_t *cas)
{
    struct mnemo_request req = {.op = op, .key = key, .key_len = key_len, .ttl = ttl};
    struct sync_result sr = {.want_value = value != NULL};

    mnemo_status rc = run_one(c, &req, &sr);
    if (value)
        *value = sr.value;
    else
        free(sr.value);
    if (value_len)
        *value_len = sr.value_len;
    if (flags)
        *flags = sr.flags;
    if (cas)
        *cas = sr.cas;
    return rc;
}

mnemo_status mnemo_get(struct mnemo_client *c, const void *key, size_t key_len, char **value,
                       size_t *value_len, uint32_t *flags, uint64_t *cas)
{
    return get_common(c, cas ? MNEMO_OP_GETS : MNEMO_OP_GET, key, key_len, 0, value, value_len,
                      flags, cas);
}

mnemo_status mnemo_gat(struct mnemo_client *c, const void *key, size_t key_len, int64_t ttl,
                       char **value, size_t *value_len, uint32_t *flags, uint64_t *cas)
{
    return get_common(c, MNEMO_OP_GAT, key, key_len, ttl, value, value_len, flags, cas);
}

mnemo_status mnemo_touch(struct mnemo_client *c, const void *key, size_t key_len, int64_t ttl)
{
    return get_common(c, MNEMO_OP_TOUCH, key, key_len, ttl, NULL, NULL, NULL, NULL);
}

struct mget_state {
    mnemo_mget_fn cb;
    void *arg;
    size_t left;
    mnemo_status first_error;
};

struct mget_slot {
    struct mget_state *st;
    size_t index;
    mnemo_status status;
};

static void mget_cb(void *arg, const struct mnemo_result *r)
{
    struct mget_slot *slot = arg;
    struct mget_state *st = slot->st;

    st->left--;
    slot->status = r->status;
    if (r->status == MNEMO_OK)
        st->cb(st->arg, slot->index, r);
}

/* Queue the keys of slots[0..n) (all of them, or on retry those that
 * another server of their shard may still answer) and run until every
 * one has completed. */
static void mget_round(struct mnemo_client *c, struct mget_slot *slots, size_t n,
                       const void *const *keys, const size_t *key_lens, int with_cas, int retry)
{
    struct mget_state *st = slots[0].st;

    for (size_t i = 0; i < n; i++) {
        struct mnemo_request req = {.op = with_cas ? MNEMO_OP_GETS : MNEMO_OP_GET,
                                    .key = keys[i], .key_len = key_lens[i],
                                    .cb = mget_cb, .arg = &slots[i]};
        size_t shard;
        if (retry && !worth_retry(c, &req, slots[i].status, &shard))
            continue;
        mnemo_status rc = mnemo_submit(c, &req);
        slots[i].status = rc;
        if (rc == MNEMO_OK)
            st->left++;
    }
    while (st->left > 0)
        mnemo_run(c, -1);
}

mnemo_status mnemo_mget(struct mnemo_client *c, size_t n, const void *const *keys,
                        const size_t *key_lens, int with_cas, mnemo_mget_fn cb, void *arg)
{
    struct mget_state st = {.cb = cb, .arg = arg, .first_error = MNEMO_OK};
    struct mget_slot *slots;

    if (c->in_callback)
        return MNEMO_EBUSY;
    if (n == 0)
        return MNEMO_OK;
    slots = calloc(n, sizeof(*slots));
    if (slots == NULL)
        return MNEMO_ENOMEM;
    /* Queue every key first: the writes to all servers go out together in
     * the first mnemo_run, then all replies are read as they come.  Keys
     * whose server was lost go once more, to a replica of its shard. */
    for (size_t i = 0; i < n; i++)
        slots[i] = (struct mget_slot){&st, i, MNEMO_OK};
    mget_round(c, slots, n, keys, key_lens, with_cas, 0);
    mget_round(c, slots, n, keys, key_lens, with_cas, 1);
    for (size_t i = 0; i < n && st.first_error == MNEMO_OK; i++)
        if (slots[i].status != MNEMO_OK && slots[i].status != MNEMO_NOT_FOUND)
            st.first_error = slots[i].status;
    free(slots);
    return st.first_error;
}

mnemo_status mnemo_store(struct mnemo_client *c, enum mnemo_op op, const void *key,
                         size_t key_len, const void *value, size_t value_len, uint32_t flags,
                         int64_t ttl, uint64_t cas)
{
    struct mnemo_request req = {.op = op, .key = key, .key_len = key_len, .value = value,
                                .value_len = value_len, .flags = flags, .ttl = ttl, .cas = cas};
    struct sync_result sr = {0};

    if (op < MNEMO_OP_SET || op > MNEMO_OP_CAS)
        return MNEMO_EINVAL;
    return run_one(c, &req, &sr);
}

mnemo_status mnemo_set(struct mnemo_client *c, const void *key, size_t key_len,
                       const void *value, size_t value_len, uint32_t flags, int64_t ttl)
{
    return mnemo_store(c, MNEMO_OP_SET, key, key_len, value, value_len, flags, ttl, 0);
}

mnemo_status mnemo_delete(struct mnemo_client *c, const void *key, size_t key_len)
{
    struct mnemo_request req = {.op = MNEMO_OP_DELETE, .key = key, .key_len = key_len};
    struct sync_result sr = {0};

    return run_one(c, &req, &sr);
}

static mnemo_status arith(struct mnemo_client *c, enum mnemo_op op, const void *key,
                          size_t key_len, uint64_t delta, uint64_t *new_value)
{
    struct mnemo_request req = {.op = op, .key = key, .key_len = key_len, .delta = delta};
    struct sync_result sr = {0};

    mnemo_status rc = run_one(c, &req, &sr);
    if (new_value && rc == MNEMO_OK)
        *new_value = sr.number;
    return rc;
}

mnemo_status mnemo_incr(struct mnemo_client *c, const void *key, size_t key_len,
                        uint64_t delta, uint64_t *new_value)
{
    return arith(c, MNEMO_OP_INCR, key, key_len, delta, new_value);
}

mnemo_status mnemo_decr(struct mnemo_client *c, const void *key, size_t key_len,
                        uint64_t delta, uint64_t *new_value)
{
    return arith(c, MNEMO_OP_DECR, key, key_len, delta, new_value);
}

mnemo_status mnemo_ping(struct mnemo_client *c, size_t server)
{
    struct mnemo_request req = {.op = MNEMO_OP_NOOP, .server = server};
    struct sync_result sr = {0};

    return run_one(c, &req, &sr);
}

mnemo_status mnemo_flush(struct mnemo_client *c, size_t server, int64_t delay)
{
    struct mnemo_request req = {.op = MNEMO_OP_FLUSH, .server = server, .ttl = delay};
    struct sync_result sr = {0};

    return run_one(c, &req, &sr);
}

mnemo_status mnemo_flush_all(struct mnemo_client *c, int64_t delay)
{
    mnemo_status first = MNEMO_OK;

    for (size_t i = 0; i < c->nservers; i++) {
        mnemo_status rc = mnemo_flush(c, i, delay);
        if (rc != MNEMO_OK && first == MNEMO_OK)
            first = rc;
    }
    return first;
}

mnemo_status mnemo_version(struct mnemo_client *c, size_t server, char *buf, size_t buf_len)
{
    struct mnemo_request req = {.op = MNEMO_OP_VERSION, .server = server};
    struct sync_result sr = {.want_value = 1};

    mnemo_status rc = run_one(c, &req, &sr);
    if (rc == MNEMO_OK && buf && buf_len > 0) {
        size_t n = sr.value_len < buf_len - 1 ? sr.value_len : buf_len - 1;
        memcpy(buf, sr.value, n);
        buf[n] = '\0';
    }
    free(sr.value);
    return rc;
}

mnemo_status mnemo_stats(struct mnemo_client *c, size_t server, const char *group,
                         mnemo_stat_fn cb, void *arg)
{
    struct mnemo_request req = {.op = MNEMO_OP_STATS, .server = server, .key = group,
                                .key_len = group ? strlen(group) : 0};
    struct sync_result sr = {.want_value = 1};

    mnemo_status rc = run_one(c, &req, &sr);
    if (rc == MNEMO_OK) {
        /* value is "name value\n" lines */
        char *line = sr.value;
        while (line && *line) {
            char *nl = strchr(line, '\n'), *sp;
            if (nl)
                *nl = '\0';
            sp = strchr(line, ' ');
            if (sp)
                *sp = '\0';
            if (cb)
                cb(arg, line, sp ? sp + 1 : "");
            line = nl ? nl + 1 : NULL;
        }
    }
    free(sr.value);
    return rc;
}
