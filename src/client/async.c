/*
 * async.c: the queues of the non-blocking engine: async_enqueue encodes a
 * request into its server's output buffer and queues a pending entry;
 * run.c does the I/O, matches each reply to the oldest pending entry of
 * its server (checking the opaque token and the returned key, so a reply
 * can never complete the wrong request) and completes it here.
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

mnemo_status async_auth_first(struct mnemo_client *c, struct server *s)
{
    struct buf out = {0};
    struct pending p = {.op = OP_AUTH, .opaque = 0};

    if (c->auth == NULL)
        return MNEMO_OK;
    /* a failure closes the connection, which resets the cuts */
    if ((c->tls != NULL && tls_cuts_prepend(&s->cuts, c->auth_len) != 0) ||
        buf_append(&out, c->auth, c->auth_len) != 0 ||
        buf_append(&out, buf_head(&s->out), buf_used(&s->out)) != 0 || push(s, &p) != 0) {
        buf_free(&out);
        return MNEMO_ENOMEM;
    }
    /* push put it last: move it to the head of the ring */
    s->q_len--;
    s->q_head = (s->q_head + s->q_cap - 1) % s->q_cap;
    s->q[s->q_head] = p;
    s->q_len++;
    buf_free(&s->out);
    s->out = out;
    c->pending++;
    return MNEMO_OK;
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

int async_op_has_key(enum mnemo_op op)
{
    return op_has_key(op);
}

mnemo_status async_wire_key(const struct mnemo_request *req, struct wire_key *wk)
{
    int wl = req->key ? codec_key_wire(req->key, req->key_len, wk->buf, &wk->b64) : -1;

    if (wl < 0 || (req->value_len > 0 && req->value == NULL))
        return MNEMO_EINVAL;
    wk->len = (size_t)wl;
    return MNEMO_OK;
}

mnemo_status async_enqueue(struct mnemo_client *c, size_t idx, const struct mnemo_request *req,
                           const struct wire_key *wk)
{
    struct codec_req cr;
    struct pending p;

    memset(&cr, 0, sizeof(cr));
    memset(&p, 0, sizeof(p));
    if (wk != NULL) {
        cr.wkey = wk->buf;
        cr.wkey_len = wk->len;
        cr.b64 = wk->b64;
        memcpy(p.key, req->key, req->key_len);
        p.key_len = (uint16_t)req->key_len;
    } else if (req->op == MNEMO_OP_STATS) {
        cr.group = req->key_len ? strndup(req->key, req->key_len) : NULL;
        if (req->key_len && cr.group == NULL)
            return MNEMO_ENOMEM;
        p.stats = calloc(1, sizeof(*p.stats));
        if (p.stats == NULL) {
            free((char *)cr.group);
            return MNEMO_ENOMEM;
        }
    }
    struct server *s = &c->servers[idx];
    if (s->q_len == 0 && buf_used(&s->out) == 0 && conn_stale(s))
        conn_close(s); /* the server closed an idle connection (restart?) */
    cr.op = req->op;
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
    size_t queued = buf_used(&s->out);
    int rc = codec_encode(&s->out, &cr);
    free((char *)cr.group);
    if (rc == 0 && c->tls != NULL && tls_cuts_mark(&s->cuts, buf_used(&s->out)) != 0) {
        s->out.len = s->out.start + queued; /* take the request's bytes back */
        rc = MNEMO_ENOMEM;
    }
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
