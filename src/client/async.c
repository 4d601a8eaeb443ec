/*
 * async.c: the non-blocking engine: mnemo_submit encodes a request into
 * its server's output buffer and queues a pending entry; mnemo_run does
 * the I/O, matches each reply to the oldest pending entry of its server
 * (checking the opaque token and the returned key, so a reply can never
 * complete the wrong request) and calls the completion.
 *
 * Replies on one connection come back in request order (meta commands
 * without the q flag always answer), so the queue head is the only
 * candidate for a reply; a mismatch means the stream is out of step and
 * the connection is dropped with every pending request failed (EPROTO).
 */
#include "client/client.h"

#include <stdlib.h>
#include <string.h>

#include "client/codec.h"

static int op_has_key(enum mnemo_op op)
{
    return op <= MNEMO_OP_DECR;
}

void async_pop(struct server *s, struct pending *p)
{
    *p = s->q[s->q_head];
    s->q_head = (s->q_head + 1) % s->q_cap;
    s->q_len--;
}

static int push(struct server *s, const struct pending *p)
{
    if (s->q_len == s->q_cap) {
        size_t cap = s->q_cap ? s->q_cap * 2 : 64;
        struct pending *q = malloc(cap * sizeof(*q));
        if (q == NULL)
            return -1;
        for (size_t i = 0; i < s->q_len; i++)
            q[i] = s->q[(s->q_head + i) % s->q_cap];
        free(s->q);
        s->q = q;
        s->q_head = 0;
        s->q_cap = cap;
    }
    s->q[(s->q_head + s->q_len) % s->q_cap] = *p;
    s->q_len++;
    return 0;
}

void async_complete(struct mnemo_client *c, struct pending *p, struct mnemo_result *r)
{
    r->op = p->op;
    if (op_has_key(p->op)) {
        r->key = p->key;
        r->key_len = p->key_len;
    }
    c->in_callback++;
    if (p->cb)
        p->cb(p->arg, r);
    c->in_callback--;
    if (p->stats) {
        buf_free(p->stats);
        free(p->stats);
        p->stats = NULL;
    }
}

void async_complete_status(struct mnemo_client *c, struct pending *p, size_t server,
                           mnemo_status status)
{
    struct mnemo_result r;

    memset(&r, 0, sizeof(r));
    r.status = status;
    r.server = server;
    async_complete(c, p, &r);
}

mnemo_status mnemo_submit(struct mnemo_client *c, const struct mnemo_request *req)
{
    struct codec_req cr;
    struct pending p;
    char wkey[CODEC_WIRE_KEY_MAX];
    size_t idx;
    int b64 = 0;

    if (c == NULL || req == NULL || (int)req->op < 0 || req->op > MNEMO_OP_STATS)
        return MNEMO_EINVAL;
    memset(&cr, 0, sizeof(cr));
    memset(&p, 0, sizeof(p));
    if (op_has_key(req->op)) {
        int wl = req->key ? codec_key_wire(req->key, req->key_len, wkey, &b64) : -1;
        if (wl < 0)
            return MNEMO_EINVAL;
        if (req->value_len > 0 && req->value == NULL)
            return MNEMO_EINVAL;
        idx = mnemo_route_key(c, req->key, req->key_len);
        if (idx == (size_t)-1)
            return MNEMO_ENOSERVER;
        cr.wkey = wkey;
        cr.wkey_len = (size_t)wl;
        memcpy(p.key, req->key, req->key_len);
        p.key_len = (uint16_t)req->key_len;
    } else {
        if (req->server >= c->nservers)
            return MNEMO_EINVAL;
        idx = req->server;
        if (req->op == MNEMO_OP_STATS) {
            cr.group = req->key_len ? strndup(req->key, req->key_len) : NULL;
            if (req->key_len && cr.group == NULL)
                return MNEMO_ENOMEM;
            p.stats = calloc(1, sizeof(*p.stats));
            if (p.stats == NULL) {
                free((char *)cr.group);
                return MNEMO_ENOMEM;
            }
        }
    }
    struct server *s = &c->servers[idx];
    if (s->q_len == 0 && buf_used(&s->out) == 0 && conn_stale(s))
        conn_close(s); /* the server closed an idle connection (restart?) */
    cr.op = req->op;
    cr.b64 = b64;
    cr.opaque = ++s->next_opaque;
    cr.value = req->value;
    cr.value_len = req->value_len;
    cr.flags = req->flags;
    cr.ttl = req->ttl;
    cr.cas = req->cas;
    cr.delta = req->delta;
    p.op = req->op;
    p.opaque = cr.opaque;
    p.cb = req->cb;
    p.arg = req->arg;
    if (push(s, &p) != 0) {
        free((char *)cr.group);
        free(p.stats);
        return MNEMO_ENOMEM;
    }
    int rc = codec_encode(&s->out, &cr);
    free((char *)cr.group);
    if (rc != 0) {
        s->q_len--; /* undo the push: nothing of it reached the buffer */
        free(p.stats);
        return (mnemo_status)rc;
    }
    if (s->q_len == 1 && s->state == CONN_CONNECTED)
        s->deadline_ms = client_now_ms() + c->opts.io_timeout_ms;
    c->pending++;
    return MNEMO_OK;
}

size_t mnemo_pending(const struct mnemo_client *c)
{
    return c->pending;
}
