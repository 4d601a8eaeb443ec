/*
 * run.c: the I/O loop of a client: connects, writes, reads, deadlines,
 * and turning each parsed reply into the completion of the request at the
 * head of its server's queue.  mnemo_pollfds/mnemo_run/mnemo_wait_all.
 */
#include "client/client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/codec.h"

/* Servers with work get a connection attempt; a failed attempt fails
 * their queue (and counts towards ejection). */
static void open_needed(struct mnemo_client *c)
{
    for (size_t i = 0; i < c->nservers; i++) {
        struct server *s = &c->servers[i];
        if (s->state != CONN_CLOSED || s->q_len == 0)
            continue;
        mnemo_status rc = conn_open(c, s);
        if (rc == MNEMO_OK)
            rc = async_auth_first(c, s);
        if (rc != MNEMO_OK)
            pool_fail_server(c, s, rc);
        else if (s->state == CONN_CONNECTED)
            s->deadline_ms = client_now_ms() + c->opts.io_timeout_ms;
    }
}

/*
 * Fail s's requests with status after an I/O error.  A plain connection
 * that ends before a single byte came back is most often a TLS server
 * (memcached -Z resets it): say so, for mnemo_server_error.
 */
static void fail_io(struct mnemo_client *c, struct server *s, mnemo_status status)
{
    if (status == MNEMO_EIO && s->ssl == NULL && !s->got_bytes)
        snprintf(s->error, sizeof(s->error),
                 "the server closed the connection before any reply (does it want TLS?)");
    pool_fail_server(c, s, status);
}

/* Does the reply's k flag name the request's key? */
static int key_matches(const struct pending *p, const struct codec_reply *r)
{
    unsigned char raw[MNEMO_MAX_KEY];

    if (r->key == NULL)
        return 1;
    if (!r->key_b64)
        return r->key_len == p->key_len && memcmp(r->key, p->key, p->key_len) == 0;
    ssize_t n = codec_base64_decode(r->key, r->key_len, raw, sizeof(raw));
    return n == (ssize_t)p->key_len && memcmp(raw, p->key, p->key_len) == 0;
}

static mnemo_status status_of(enum codec_rc rc)
{
    switch (rc) {
    case CODEC_EN: case CODEC_NF: return MNEMO_NOT_FOUND;
    case CODEC_NS: return MNEMO_NOT_STORED;
    case CODEC_EX: return MNEMO_EXISTS;
    case CODEC_CLIENT_ERROR: case CODEC_ERROR: return MNEMO_ECLIENT;
    case CODEC_SERVER_ERROR: return MNEMO_ESERVER;
    default: return MNEMO_EPROTO;
    }
}

/* mnemod's answer to a write sent to a replica (server/replication.c). */
static int refused_by_replica(const struct pending *p, const struct mnemo_result *r)
{
    static const char text[] = "replica:";

    return p->op <= MNEMO_OP_DECR && !pool_op_is_read(p->op) && r->status == MNEMO_ESERVER &&
           r->value_len >= sizeof(text) - 1 && memcmp(r->value, text, sizeof(text) - 1) == 0;
}

/*
 * Apply one reply to the head request of s.  Returns 1 when the request
 * completed, 0 when it needs more replies (stats), -1 when the reply does
 * not belong to it (the stream is out of step), -2 when the server refused
 * the connection's credentials.
 */
static int apply(struct mnemo_client *c, struct server *s, size_t idx, const struct codec_reply *r)
{
    struct pending *head = &s->q[s->q_head];
    struct mnemo_result res;
    int meta = head->op <= MNEMO_OP_DECR;

    if (head->op == OP_AUTH) {
        struct pending p;
        if (r->rc != CODEC_STORED)
            return -2; /* refused: the server's requests fail with MNEMO_EAUTH */
        async_pop(s, &p);
        c->pending--;
        pool_server_ok(s);
        return 1;
    }

    memset(&res, 0, sizeof(res));
    res.server = idx;
    if (r->rc == CODEC_CLIENT_ERROR || r->rc == CODEC_SERVER_ERROR || r->rc == CODEC_ERROR) {
        res.status = status_of(r->rc);
        res.value = r->data;
        res.value_len = r->data_len;
    } else if (meta) {
        if (!r->has_opaque || r->opaque != head->opaque || !key_matches(head, r))
            return -1;
        switch (r->rc) {
        case CODEC_VA:
            if (head->op == MNEMO_OP_INCR || head->op == MNEMO_OP_DECR) {
                uint64_t v = 0;
                if (r->data_len == 0 || r->data_len > 20)
                    return -1;
                for (size_t i = 0; i < r->data_len; i++) {
                    if (r->data[i] < '0' || r->data[i] > '9')
                        return -1;
                    v = v * 10 + (uint64_t)(r->data[i] - '0');
                }
                res.number = v;
            } else if (head->op == MNEMO_OP_GET || head->op == MNEMO_OP_GETS || head->op == MNEMO_OP_GAT) {
                res.value = r->data;
                res.value_len = r->data_len;
                res.flags = r->flags;
                res.cas = r->cas;
            } else {
                return -1;
            }
            res.status = MNEMO_OK;
            break;
        case CODEC_HD:
            if (head->op == MNEMO_OP_GET || head->op == MNEMO_OP_GETS || head->op == MNEMO_OP_GAT ||
                head->op == MNEMO_OP_INCR || head->op == MNEMO_OP_DECR)
                return -1;
            res.status = MNEMO_OK;
            res.cas = r->cas;
            break;
        case CODEC_EN: case CODEC_NF: case CODEC_NS: case CODEC_EX:
            res.status = status_of(r->rc);
            break;
        default:
            return -1;
        }
    } else {
        switch (head->op) {
        case MNEMO_OP_NOOP:
            if (r->rc != CODEC_MN)
                return -1;
            break;
        case MNEMO_OP_FLUSH:
            if (r->rc != CODEC_OK)
                return -1;
            break;
        case MNEMO_OP_VERSION:
            if (r->rc != CODEC_VERSION)
                return -1;
            res.value = r->data;
            res.value_len = r->data_len;
            break;
        case MNEMO_OP_STATS:
            if (r->rc == CODEC_STAT) {
                if (buf_append(head->stats, r->data, r->data_len) != 0 ||
                    buf_append(head->stats, "\n", 1) != 0)
                    return -1;
                return 0;
            }
            if (r->rc != CODEC_END)
                return -1;
            res.value = buf_used(head->stats) ? buf_head(head->stats) : "";
            res.value_len = buf_used(head->stats);
            break;
        default:
            return -1;
        }
        res.status = MNEMO_OK;
    }
    struct pending p;
    async_pop(s, &p);
    c->pending--;
    /* Any well-formed reply, even an error reply, shows the server is up. */
    pool_server_ok(s);
    s->deadline_ms = client_now_ms() + c->opts.io_timeout_ms;
    if (refused_by_replica(&p, &res))
        route_refused_write(c, s);
    async_complete(c, &p, &res);
    return 1;
}

/* Parse and apply every complete reply in s->in. */
static void dispatch(struct mnemo_client *c, struct server *s, size_t idx)
{
    while (buf_used(&s->in) > 0) {
        struct codec_reply r;
        ssize_t n = codec_parse(buf_head(&s->in), buf_used(&s->in), &r);
        if (n == 0)
            return;
        if (n < 0 || s->q_len == 0) {
            pool_fail_server(c, s, MNEMO_EPROTO);
            return;
        }
        /* Consume before applying: the reply's bytes stay where they are
         * (nothing reads into s->in during callbacks), and a callback that
         * submits to this server sees a consistent buffer. */
        buf_consume(&s->in, (size_t)n);
        int applied = apply(c, s, idx, &r);
        if (applied < 0) {
            pool_fail_server(c, s, applied == -2 ? MNEMO_EAUTH : MNEMO_EPROTO);
            return;
        }
        if (s->state != CONN_CONNECTED)
            return;
    }
}

size_t mnemo_pollfds(struct mnemo_client *c, struct pollfd *fds, size_t max, int *timeout_ms)
{
    size_t n = 0;
    int64_t now, next = -1;

    open_needed(c);
    now = client_now_ms();
    for (size_t i = 0; i < c->nservers; i++) {
        struct server *s = &c->servers[i];
        short ev = 0;
        if (s->state == CONN_CONNECTING)
            ev = POLLOUT;
        else if (s->state == CONN_HANDSHAKE)
            ev = conn_events(s);
        else if (s->state == CONN_CONNECTED)
            ev = (short)((s->q_len ? POLLIN : 0) | (buf_used(&s->out) ? POLLOUT : 0) |
                         conn_events(s));
        if (ev == 0)
            continue;
        if (n < max)
            fds[n] = (struct pollfd){.fd = s->fd, .events = ev, .revents = 0};
        n++;
        if (s->q_len > 0 || s->state == CONN_CONNECTING || s->state == CONN_HANDSHAKE)
            if (next < 0 || s->deadline_ms < next)
                next = s->deadline_ms;
    }
    if (timeout_ms)
        *timeout_ms = next < 0 ? -1 : next <= now ? 0 : (int)(next - now);
    return n < max ? n : max;
}

static void handle(struct mnemo_client *c, struct server *s, size_t idx, short rev)
{
    mnemo_status st = MNEMO_OK;
    enum conn_state was = s->state;

    if (s->state == CONN_CONNECTING) {
        if (!(rev & (POLLOUT | POLLERR | POLLHUP)))
            return;
        st = conn_finish(c, s);
    } else if (s->state == CONN_HANDSHAKE) {
        st = conn_handshake(s);
    }
    if (st != MNEMO_OK) {
        pool_fail_server(c, s, st);
        return;
    }
    if (s->state != CONN_CONNECTED)
        return;
    if (was != CONN_CONNECTED) /* connected (and through TLS) just now */
        s->deadline_ms = client_now_ms() + c->opts.io_timeout_ms;
    if (buf_used(&s->out) > 0 && (st = conn_write(s)) != MNEMO_OK) {
        fail_io(c, s, st);
        return;
    }
    if (rev & (POLLIN | POLLHUP | POLLERR)) {
        size_t before = buf_used(&s->in);
        int rc = conn_read(s);
        if (buf_used(&s->in) > before)
            s->deadline_ms = client_now_ms() + c->opts.io_timeout_ms;
        dispatch(c, s, idx);
        if (rc != 0 && s->state == CONN_CONNECTED) {
            if (s->q_len > 0)
                fail_io(c, s, rc == 1 ? MNEMO_EIO : (mnemo_status)rc);
            else
                conn_close(s); /* closed while idle: not a failure */
        }
    }
}

mnemo_status mnemo_run(struct mnemo_client *c, int timeout_ms)
{
    struct pollfd stackfds[64], *fds = stackfds;
    size_t cap = sizeof(stackfds) / sizeof(stackfds[0]);
    int wait;

    if (c->in_callback)
        return MNEMO_EBUSY;
    if (c->nservers > cap) {
        fds = calloc(c->nservers, sizeof(*fds));
        if (fds == NULL)
            return MNEMO_ENOMEM;
        cap = c->nservers;
    }
    size_t n = mnemo_pollfds(c, fds, cap, &wait);
    if (timeout_ms >= 0 && (wait < 0 || wait > timeout_ms))
        wait = timeout_ms;
    if (n > 0 || wait > 0) {
        int r = poll(fds, (nfds_t)n, n > 0 ? wait : 0);
        if (r < 0 && errno != EINTR)
            r = 0;
        for (size_t i = 0; r > 0 && i < n; i++) {
            if (fds[i].revents == 0)
                continue;
            for (size_t k = 0; k < c->nservers; k++) {
                if (c->servers[k].fd == fds[i].fd) {
                    handle(c, &c->servers[k], k, fds[i].revents);
                    break;
                }
            }
        }
    }
    int64_t now = client_now_ms();
    for (size_t k = 0; k < c->nservers; k++) {
        struct server *s = &c->servers[k];
        if (s->state == CONN_HANDSHAKE && now >= s->deadline_ms) {
            /* a plain server waits for a line the hello never ends */
            snprintf(s->error, sizeof(s->error),
                     "no TLS handshake within %d ms (does the server speak TLS?)",
                     c->opts.connect_timeout_ms);
            pool_fail_server(c, s, MNEMO_ETLS);
        } else if ((s->q_len > 0 || s->state == CONN_CONNECTING) && s->state != CONN_CLOSED &&
                   now >= s->deadline_ms) {
            pool_fail_server(c, s, MNEMO_ETIMEDOUT);
        }
    }
    if (fds != stackfds)
        free(fds);
    return MNEMO_OK;
}

mnemo_status mnemo_wait_all(struct mnemo_client *c)
{
    if (c->in_callback)
        return MNEMO_EBUSY;
    while (c->pending > 0) {
        mnemo_status rc = mnemo_run(c, -1);
        if (rc != MNEMO_OK)
            return rc;
    }
    return MNEMO_OK;
}
