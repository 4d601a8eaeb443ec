/*
 * reqloop.c: see reqloop.h. The state machine session.c and udp.c used to
 * write twice, once for every front end; what differs between protocols
 * comes from the table (proto/dialect.h), what differs between transports
 * stays in the drivers.
 */
#include "server/reqloop.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/outq.h"
#include "common/ticks.h"
#include "common/rbuf.h"
#include "proto/binary.h"
#include "proto/dialect.h"
#include "proto/text.h"
#include "server/auth.h"
#include "server/errors.h"
#include "server/latency.h"
#include "server/reply.h"
#include "server/sasl.h"
#include "server/server.h"
#include "server/thread_stats.h"
#include "store/store.h"

/* The first byte decides the dialect for the connection's lifetime (for
 * UDP, the datagram's), as in memcached: 0x80 is the binary request magic;
 * anything else is text (the classic and meta commands share it). -B pins
 * one dialect. */
static const struct proto_ops *pick_dialect(enum config_protocol pin, unsigned char first)
{
    if (pin == CONFIG_PROTO_BINARY || (pin == CONFIG_PROTO_AUTO && first == BINARY_MAGIC_REQ))
        return &proto_binary_ops;
    return &proto_text_ops;
}

/* exec's reply callback, and the one place replies are dropped: all of a
 * request's under its noreply (errors included: the parsers set noreply on
 * an error only where memcached stays silent), and everything once the loop
 * closes. A reply with no request (a front end's own error) is never
 * dropped. Composed by the table of the request it answers. */
static void reqloop_reply(void *sink, const struct response *rsp, struct item *it)
{
    struct reqloop *rl = sink;
    const struct request *req = rsp->req;
    if ((req != NULL && req->noreply) || rl->state == REQLOOP_CLOSING) {
        if (it != NULL)
            store_release(rl->x.srv->store, &it);
        return;
    }
    const struct proto_ops *ops = req != NULL ? proto_for_request(req) : rl->ops;
    if (reply_append(rl->out, rsp, it, ops, rl->x.srv->store) != 0 && !rl->lossy) {
        /* No memory for the reply: the stream cannot stay in sync, so close. */
        log_warn("out of memory queueing a reply; closing the connection");
        rl->state = REQLOOP_CLOSING;
    }
}

void reqloop_init(struct reqloop *rl, struct server *srv, struct thread_stats *stats, struct outq *out,
                  struct event_loop *loop, int fd, enum config_protocol pin, bool lossy)
{
    memset(rl, 0, offsetof(struct reqloop, pending));
    rl->state = REQLOOP_CMD;
    rl->pin = pin;
    rl->lossy = lossy;
    rl->out = out;
    rl->x = (struct exec_ctx){.srv = srv, .stats = stats, .reply = reqloop_reply, .sink = rl,
                              .loop = loop, .fd = fd};
    rl->last_active = clock_now();
    rl->lat_cls = LATENCY_NONE;
}

void reqloop_free(struct reqloop *rl)
{
    if (rl->item != NULL)
        store_abort(rl->x.srv->store, &rl->item);
    free(rl->line);
    rl->line = NULL;
    rl->line_cap = 0;
    free(rl->auth_token);
    rl->auth_token = NULL;
    saslsrv_free(&rl->sasl);
}

void reqloop_reset(struct reqloop *rl)
{
    if (rl->item != NULL)
        store_abort(rl->x.srv->store, &rl->item);
    rl->state = REQLOOP_CMD;
    rl->ops = NULL;
    rl->swallow_left = 0;
    rl->line_clean = 0;
    rl->lat_cls = LATENCY_NONE;
    rl->lat_carry = 0;
}

/* ---- service time (latency.h) ----
 * One clock read per request: the request in hand ends where the next one
 * starts, and the first of a wake-up starts when the loop is entered. */

/* The request in hand is done: count its time; the next starts now. */
static void lat_done(struct reqloop *rl)
{
    uint64_t t = latency_clock();
    if (rl->lat_cls != LATENCY_NONE)
        latency_record(&rl->x.stats->latency, (enum latency_class)rl->lat_cls,
                       ticks_to_ns(rl->lat_carry + (t - rl->lat_mark)));
    rl->lat_cls = LATENCY_NONE;
    rl->lat_carry = 0;
    rl->lat_mark = t;
}

/* It waits for the rest of its data block: keep the time so far. */
static void lat_pause(struct reqloop *rl)
{
    rl->lat_carry += latency_clock() - rl->lat_mark;
}

/* The data block is whole in the item: store it and answer. */
static void finish_data(struct reqloop *rl)
{
    /* Item memory keeps a "\r\n" after every value (zero-copy text replies
     * rely on it): add it where the wire carries none. */
    if (rl->ops->value_crlf == 0)
        memcpy(item_data(rl->item) + rl->pending.vlen, "\r\n", 2);
    exec_store_finish(&rl->x, &rl->pending, &rl->item);
    if (rl->state == REQLOOP_DATA)
        rl->state = REQLOOP_CMD;
}

/* Move buffered bytes of the data block into the item; commit when whole. */
static bool take_data(struct reqloop *rl, struct rbuf *in)
{
    size_t want = rl->data_need - rl->data_have;
    size_t n = rbuf_len(in) < want ? rbuf_len(in) : want;
    memcpy(item_data(rl->item) + rl->data_have, rbuf_head(in), n);
    rbuf_consume(in, n);
    rl->data_have += n;
    if (rl->data_have < rl->data_need)
        return false;
    finish_data(rl);
    return true;
}

static bool take_swallow(struct reqloop *rl, struct rbuf *in)
{
    size_t n = rbuf_len(in) < rl->swallow_left ? rbuf_len(in) : rl->swallow_left;
    rbuf_consume(in, n);
    rl->swallow_left -= n;
    if (rl->swallow_left > 0)
        return false;
    rl->state = REQLOOP_CMD;
    return true;
}

char *reqloop_data_dest(const struct reqloop *rl, size_t *room)
{
    if (rl->state != REQLOOP_DATA)
        return NULL;
    *room = rl->data_need - rl->data_have;
    return item_data(rl->item) + rl->data_have;
}

void reqloop_data_received(struct reqloop *rl, size_t n)
{
    rl->data_have += n;
    if (rl->data_have == rl->data_need) {
        rl->lat_mark = latency_clock();
        finish_data(rl);
        lat_done(rl);
    }
}

/* Keep a storage request past its command line: copy the line (replies may
 * echo its flags, opaque or key) and point the request at the copy. */
static int keep_pending(struct reqloop *rl, const struct request *req, const char *line, size_t len)
{
    if (len > rl->line_cap) {
        char *p = realloc(rl->line, len);
        if (p == NULL)
            return -1;
        rl->line = p;
        rl->line_cap = len;
    }
    memcpy(rl->line, line, len);
    request_copy(&rl->pending, req);
    request_relocate(&rl->pending, line, len, rl->line);
    return 0;
}

/* Run a storage request whose line is parsed: reserve the item and await
 * its data block, or skip the block after the refusal. */
static void run_storage(struct reqloop *rl, struct rbuf *in, const struct request *req, size_t consumed)
{
    struct item *it = NULL;
    size_t block = (size_t)req->vlen + rl->ops->value_crlf;
    if (exec_store_begin(&rl->x, req, &it) == EXEC_READ_DATA) {
        if (keep_pending(rl, req, rbuf_head(in), consumed) != 0) {
            store_abort(rl->x.srv->store, &it);
            rl->state = REQLOOP_CLOSING;
            return;
        }
        rl->item = it;
        rl->data_have = 0;
        rl->data_need = block;
        rl->state = REQLOOP_DATA;
    } else {
        rl->swallow_left = block;
        rl->state = REQLOOP_SWALLOW;
    }
}

/* ---- -Y: a connection that has not authenticated ----
 * Only a text `set` runs, its data block read as "user password" into a
 * small buffer (never the cache); everything else is refused, a block it
 * announces skipped, and quit closes, as memcached 1.6.45 does.  Binary
 * requests are refused with "Auth failure." (memcached leaves them
 * unanswered).  Replies here ignore noreply: a client that cannot tell it
 * was refused would go on as if it were in. */

static void auth_refuse(struct reqloop *rl, const struct request *req, const char *msg)
{
    struct request r = *req;
    r.noreply = false;
    rl->x.req = &r;
    exec_reply_message(&rl->x, RSP_CLIENT_ERROR, RSP_EAUTH, msg);
    rl->x.req = NULL;
}

/* The data block of the auth set is in: check it and answer. */
static void auth_finish(struct reqloop *rl)
{
    struct request *req = &rl->pending;
    size_t n = req->vlen;
    rl->state = REQLOOP_CMD;
    STATS_INCR(rl->x.stats, auth_cmds);
    rl->x.req = req;
    if (memcmp(rl->auth_token + n, "\r\n", 2) != 0) {
        STATS_INCR(rl->x.stats, auth_errors);
        exec_reply_message(&rl->x, RSP_CLIENT_ERROR, RSP_EBAD_CHUNK, "bad data chunk");
    } else {
        enum auth_result ar = auth_check(rl->x.srv->auth, rl->auth_token, n);
        if (ar == AUTH_OK) {
            rl->authenticated = true;
            exec_reply_kind(&rl->x, RSP_STORED);
        } else {
            STATS_INCR(rl->x.stats, auth_errors);
            exec_reply_message(&rl->x, RSP_CLIENT_ERROR, RSP_EAUTH,
                               ar == AUTH_FAILED ? "authentication failure"
                                                 : "bad authentication token format");
        }
    }
    rl->x.req = NULL;
    /* the token is a password: it does not stay in memory */
    explicit_bzero(rl->auth_token, n + 2);
}

/* ---- -S: SASL, binary protocol ---- */

/* One buffer for both: an auth set's token and "\r\n", or a SASL
 * mechanism name (under 64 bytes) and its data. */
#define AUTH_TOKEN_BUF (AUTH_TOKEN_MAX + 64 + 2)

/* The request without its pointers into the read buffer: what a reply
 * echoes of a binary request is its opcode and opaque. */
static void keep_bare(struct reqloop *rl, const struct request *req)
{
    request_copy(&rl->pending, req);
    rl->pending.key = rl->pending.keys = rl->pending.arg = NULL;
    rl->pending.nkey = rl->pending.nkeys_text = rl->pending.narg = 0;
    rl->pending.mflag_text = rl->pending.opaque = NULL;
    rl->pending.noreply = false;
}

/* A SASL_AUTH or SASL_STEP's data is in: one exchange step. */
static void sasl_finish(struct reqloop *rl)
{
    struct request *req = &rl->pending;
    const char *out;
    unsigned nout;
    bool start = req->cmd == REQ_SASL_AUTH;
    rl->state = REQLOOP_CMD;
    STATS_INCR(rl->x.stats, auth_cmds);
    if (start)
        rl->authenticated = false; /* a new exchange: whoever it proves */
    enum saslsrv_result r = saslsrv_step(&rl->sasl, start, rl->auth_token, rl->auth_skip,
                                         rl->auth_token + rl->auth_skip, rl->data_need, &out, &nout);
    rl->x.req = req;
    struct response rsp = {.kind = RSP_AUTH_DATA, .msg = "Authenticated", .nmsg = 13};
    if (r == SASLSRV_OK) {
        rl->authenticated = true;
    } else if (r == SASLSRV_CONTINUE) {
        rsp = (struct response){.kind = RSP_CLIENT_ERROR, .error = RSP_EAUTH_CONTINUE, .msg = out,
                                .nmsg = nout};
    } else {
        STATS_INCR(rl->x.stats, auth_errors);
        rsp = (struct response){.kind = RSP_CLIENT_ERROR, .error = RSP_EAUTH};
    }
    exec_emit(&rl->x, &rsp, NULL);
    rl->x.req = NULL;
    explicit_bzero(rl->auth_token, rl->auth_skip + rl->data_need);
    rl->auth_skip = 0;
}

/* SASL_LIST_MECHS, SASL_AUTH, SASL_STEP; the request is consumed. */
static void run_sasl(struct reqloop *rl, struct rbuf *in, const struct request *req, size_t consumed)
{
    rl->x.req = req;
    if (req->cmd == REQ_SASL_LIST) {
        char mechs[512];
        int n = saslsrv_mechs(mechs, sizeof(mechs));
        struct response rsp = {.kind = RSP_AUTH_DATA, .msg = mechs, .nmsg = n > 0 ? (size_t)n : 0};
        if (n < 0)
            rsp = (struct response){.kind = RSP_CLIENT_ERROR, .error = RSP_EAUTH};
        exec_emit(&rl->x, &rsp, NULL);
        rl->x.req = NULL;
        rbuf_consume(in, consumed);
        return;
    }
    /* a mechanism name or data longer than any could be */
    if (req->nkey >= 64 || req->vlen > AUTH_TOKEN_MAX ||
        (rl->auth_token == NULL && (rl->auth_token = malloc(AUTH_TOKEN_BUF)) == NULL)) {
        STATS_INCR(rl->x.stats, auth_cmds);
        STATS_INCR(rl->x.stats, auth_errors);
        struct response rsp = {.kind = RSP_CLIENT_ERROR, .error = RSP_EAUTH};
        exec_emit(&rl->x, &rsp, NULL);
        rl->x.req = NULL;
        rbuf_consume(in, consumed);
        rl->swallow_left = req->vlen;
        rl->state = REQLOOP_SWALLOW;
        return;
    }
    rl->x.req = NULL;
    memcpy(rl->auth_token, req->key, req->nkey);
    rl->auth_skip = req->nkey;
    keep_bare(rl, req);
    rl->data_have = 0;
    rl->data_need = req->vlen;
    rl->state = REQLOOP_AUTH;
    rbuf_consume(in, consumed);
}

static bool take_auth(struct reqloop *rl, struct rbuf *in)
{
    size_t want = rl->data_need - rl->data_have;
    size_t n = rbuf_len(in) < want ? rbuf_len(in) : want;
    memcpy(rl->auth_token + rl->auth_skip + rl->data_have, rbuf_head(in), n);
    rbuf_consume(in, n);
    rl->data_have += n;
    if (rl->data_have < rl->data_need)
        return false;
    if (rl->pending.cmd == REQ_SET)
        auth_finish(rl);
    else
        sasl_finish(rl);
    return true;
}

/* One request of a connection not yet in; the request is consumed. */
static void run_unauthenticated(struct reqloop *rl, struct rbuf *in, enum parse_status ps,
                                const struct request *req, size_t consumed)
{
    size_t block = (size_t)req->vlen + rl->ops->value_crlf;
    bool text = !reqloop_is_binary(rl);
    bool ascii_auth = rl->x.srv->auth != NULL;
    if (ps == PARSE_OK && text && ascii_auth && req->cmd == REQ_SET && req->vlen <= AUTH_TOKEN_MAX) {
        if (rl->auth_token == NULL && (rl->auth_token = malloc(AUTH_TOKEN_BUF)) == NULL) {
            rbuf_consume(in, consumed);
            rl->state = REQLOOP_CLOSING;
            return;
        }
        rl->pending = (struct request){.cmd = req->cmd, .vlen = req->vlen, .proto = req->proto};
        rl->auth_skip = 0;
        rl->data_have = 0;
        rl->data_need = block;
        rl->state = REQLOOP_AUTH;
        rbuf_consume(in, consumed);
        return;
    }
    if (ps == PARSE_OK && req->cmd == REQ_QUIT) {
        rbuf_consume(in, consumed);
        rl->state = REQLOOP_CLOSING;
        return;
    }
    if (ps == PARSE_OK && text && ascii_auth && req->cmd == REQ_SET) {
        /* a token longer than any entry could be */
        STATS_INCR(rl->x.stats, auth_cmds);
        STATS_INCR(rl->x.stats, auth_errors);
        auth_refuse(rl, req, "bad authentication token format");
    } else if (ps == PARSE_OK || !errors_request_silent(req->error)) {
        /* (an HTTP request line still gets no byte: its error is silent) */
        auth_refuse(rl, req, "unauthenticated");
    }
    rbuf_consume(in, consumed);
    /* never run the block a refused line announced as commands */
    if (ps == PARSE_ERROR && (req->close_on_error || errors_request_fatal(req->error))) {
        rl->state = REQLOOP_CLOSING;
    } else if ((ps == PARSE_OK && request_is_storage(req->cmd)) ||
               (ps == PARSE_ERROR && req->swallow_on_error)) {
        rl->swallow_left = block;
        rl->state = REQLOOP_SWALLOW;
    } else if (ps == PARSE_OK && rl->ops->body_follows && req->vlen > 0) {
        rl->swallow_left = req->vlen;
        rl->state = REQLOOP_SWALLOW;
    }
}

/* A TLS record's first byte, a handshake (RFC 8446 5.1): no command starts
 * with this control byte, so a connection that opens with it is a TLS client
 * on a plain-text listener (a client configured for TLS, a port mixed up).
 * It gets memcached's answer, ERROR, which its TLS library reports as the
 * familiar "wrong version number", and the connection closes there instead
 * of answering the rest of the ClientHello line by line; it is counted
 * (stats mnemo_tls_on_plain_port) so an operator can see the mix-up. */
#define TLS_HANDSHAKE_RECORD 0x16

static bool tls_client_on_plain(struct reqloop *rl, unsigned char first)
{
    if (first != TLS_HANDSHAKE_RECORD || rl->pin == CONFIG_PROTO_BINARY)
        return false;
    atomic_fetch_add_explicit(&rl->x.srv->tls_on_plain, 1, memory_order_relaxed);
    log_warn("<%d a TLS handshake on a plain-text listener: closed", rl->x.fd);
    rl->ops = &proto_text_ops;
    struct response rsp;
    errors_request(REQ_EUNKNOWN, &rsp);
    reqloop_reply(rl, &rsp, NULL);
    rl->state = REQLOOP_CLOSING;
    return true;
}

/* Parse and run one request from the buffer. False when more input is
 * needed. */
static bool run_command(struct reqloop *rl, struct rbuf *in)
{
    struct request req;
    size_t consumed = 0;
    if (rl->ops == NULL) {
        unsigned char first = (unsigned char)rbuf_head(in)[0];
        if (tls_client_on_plain(rl, first)) {
            rbuf_consume(in, rbuf_len(in));
            return true; /* the loop sees it closing */
        }
        rl->ops = pick_dialect(rl->pin, first);
    }
    /* A long get line arrives in many reads: look for its newline only in
     * the bytes that came since the last look, not from the start each time
     * (which costs the square of the line's length). Only once the parser
     * has admitted the line as a long get, so its limits are kept. */
    if (rl->line_clean > TEXT_LINE_MAX && rbuf_len(in) < TEXT_GET_LINE_MAX &&
        memchr(rbuf_head(in) + rl->line_clean, '\n', rbuf_len(in) - rl->line_clean) == NULL) {
        rl->line_clean = rbuf_len(in);
        return false;
    }
    enum parse_status ps = rl->ops->parse(&req, rbuf_head(in), rbuf_len(in), &consumed);
    if (ps == PARSE_AGAIN) {
        if (rl->ops->line_framed)
            rl->line_clean = rbuf_len(in);
        return false;
    }
    rl->line_clean = 0;
    /* -vv: each command, as memcached logs them ("<fd command key") */
    log_info("<%d %s %.*s", rl->x.fd, request_cmd_name(req.cmd), (int)(req.nkey < 64 ? req.nkey : 64),
             req.key != NULL ? req.key : "");
    rl->last_active = clock_now();
    struct server *srv = rl->x.srv;
    if (srv->sasl && ps == PARSE_OK &&
        (req.cmd == REQ_SASL_LIST || req.cmd == REQ_SASL_AUTH || req.cmd == REQ_SASL_STEP)) {
        run_sasl(rl, in, &req, consumed);
        return true;
    }
    /* (with SASL, a binary version is answered before authentication, as
     * memcached answers it) */
    if ((srv->auth != NULL || srv->sasl) && !rl->authenticated &&
        !(srv->sasl && ps == PARSE_OK && req.cmd == REQ_VERSION && reqloop_is_binary(rl))) {
        run_unauthenticated(rl, in, ps, &req, consumed);
        return true;
    }
    if (ps == PARSE_OK)
        rl->lat_cls = (uint8_t)latency_class_of(req.cmd);
    if (ps == PARSE_ERROR) {
        enum exec_next next = exec_parse_error(&rl->x, &req);
        rbuf_consume(in, consumed);
        if (next == EXEC_CLOSE) {
            rl->state = REQLOOP_CLOSING;
        } else if (next == EXEC_SWALLOW) {
            /* the data block a storage line announced before it failed */
            rl->swallow_left = (size_t)req.vlen + rl->ops->value_crlf;
            rl->state = REQLOOP_SWALLOW;
        }
        return true;
    }
    if (request_is_storage(req.cmd)) {
        run_storage(rl, in, &req, consumed);
        rbuf_consume(in, consumed); /* only now: req points into the buffer */
        return true;
    }
    enum exec_next next = exec_request(&rl->x, &req);
    rbuf_consume(in, consumed);
    if (next == EXEC_CLOSE) {
        rl->state = REQLOOP_CLOSING;
    } else if (next != EXEC_STREAM && rl->ops->body_follows && req.vlen > 0) {
        /* a body the command does not use (unknown opcode, SASL data) */
        rl->swallow_left = req.vlen;
        rl->state = REQLOOP_SWALLOW;
    }
    return true;
}

enum reqloop_stop reqloop_run(struct reqloop *rl, struct rbuf *in, size_t out_limit, int *budget)
{
    rl->lat_mark = latency_clock();
    while (rl->state != REQLOOP_CLOSING) {
        if (rl->state == REQLOOP_DATA) {
            if (!take_data(rl, in)) {
                lat_pause(rl);
                return REQLOOP_NEED_INPUT;
            }
            lat_done(rl);
            continue;
        }
        if (rl->state == REQLOOP_SWALLOW) {
            if (!take_swallow(rl, in))
                return REQLOOP_NEED_INPUT;
            continue;
        }
        if (rl->state == REQLOOP_AUTH) {
            if (!take_auth(rl, in))
                return REQLOOP_NEED_INPUT;
            continue;
        }
        if (rbuf_len(in) == 0)
            return REQLOOP_IDLE;
        if (outq_pending(rl->out) > out_limit)
            return REQLOOP_BACKLOG;
        if (*budget <= 0)
            return REQLOOP_BUDGET;
        if (!run_command(rl, in))
            return REQLOOP_NEED_INPUT;
        if (rl->state != REQLOOP_DATA)
            lat_done(rl); /* (a storage request is done once its block is in) */
        (*budget)--;
        if (rl->x.stream != NULL)
            return REQLOOP_STREAM;
    }
    return REQLOOP_CLOSED;
}

struct stream *reqloop_take_stream(struct reqloop *rl)
{
    struct stream *st = rl->x.stream;
    rl->x.stream = NULL;
    return st;
}

void reqloop_end_input(struct reqloop *rl)
{
    if (rl->state != REQLOOP_DATA)
        return;
    store_abort(rl->x.srv->store, &rl->item);
    rl->state = REQLOOP_CMD;
    rl->lat_cls = LATENCY_NONE; /* never done: not timed */
    rl->lat_carry = 0;
    if (rl->ops->value_crlf == 0)
        return;
    /* exec's answer to a block without its terminator; no request, so no
     * noreply silences it */
    struct response rsp = {.kind = RSP_CLIENT_ERROR, .msg = "bad data chunk"};
    rsp.nmsg = strlen(rsp.msg);
    rl->x.req = NULL;
    exec_emit(&rl->x, &rsp, NULL);
}

bool reqloop_is_binary(const struct reqloop *rl)
{
    return rl->ops == &proto_binary_ops;
}

const char *reqloop_state_name(const struct reqloop *rl)
{
    static const char *const names[] = {"conn_parse_cmd", "conn_nread", "conn_swallow", "conn_nread",
                                        "conn_closing"};
    return names[rl->state];
}
