/*
 * session.c: see session.h. The state machine:
 *
 *   CMD ──storage line──▶ DATA ──block complete──▶ CMD
 *    │  └─refused──────▶ SWALLOW ──block skipped──▶ CMD
 *    └─quit / fatal───▶ CLOSING (replies flushed, then closed)
 *
 * One driver feeds it: on_conn_event, the connection's one callback
 * (net/conn.h). Whatever moves the bytes, the connection says what happened
 * (input, a direct receive landed, output went, back from a yield, the
 * peer closed, an error); the driver runs process() over what is buffered
 * and tells the connection what it wants next (session_want).
 *
 * Fairness: at most -R requests are handled per wake-up (conn.budget); a
 * session with buffered input left yields, so other connections get their
 * turn in between. Backpressure: while more than OUT_HIGH_WATER reply bytes
 * wait for a slow reader, the session neither parses nor takes input; it
 * resumes once the queue is down to half of that.
 */
#include "server/session.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "net/conn.h"
#include "proto/binary.h"
#include "proto/text.h"
#include "server/exec.h"
#include "server/reply.h"
#include "server/server.h"
#include "server/stream.h"
#include "server/watch.h"
#include "server/worker.h"
#include "store/store.h"

#define OUT_HIGH_WATER (1u << 20)

/* A streamed reply (a key dump) is taken into the output queue only while
 * the queue holds less than this: the dump's memory stays bounded
 * (stream.h) and well under OUT_HIGH_WATER. */
#define STREAM_OUT_LOW (2u * STREAM_CHUNK)

/* Input buffered behind a stream beyond this stops the session taking
 * more (input_held). */
#define IN_HIGH_WATER (256u * 1024)

/* An input buffer grown past this (by a long get line) is freed once empty;
 * below it, it is kept, as pipelined requests grow it to 64 KiB routinely. */
#define IN_TRIM_ABOVE (1u << 20)

enum session_state { SS_CMD, SS_DATA, SS_SWALLOW, SS_CLOSING };

struct session {
    struct conn conn;
    struct worker *w;
    struct session *prev, *next;
    enum session_state state;
    bool noreply; /* replies of the current request are dropped */
    bool paused;  /* output over the high-water mark */
    bool dialect_known;
    enum request_proto dialect; /* TEXT (with meta) or BINARY, fixed by the first byte */
    struct request pending; /* the storage request awaiting its data block */
    char *line;             /* a copy of its command line, which replies may echo */
    size_t line_cap;
    struct item *item;
    size_t data_have;
    size_t data_need;
    size_t swallow_left;
    size_t line_clean; /* text: the first line_clean bytes buffered hold no "\n" */
    uint32_t last_active;
    bool peer_done;   /* the peer's end of stream has been read */
    struct stream *stream; /* a reply still streaming in (lru_crawler metadump, watch) */
    const char *close_reason; /* for "watch connevents": NULL = normal or error */
    int fd;
    char addr[80];
};

static void release_item(void *ctx, void *ref)
{
    struct item *it = ref;
    store_release(ctx, &it);
}

/* exec's reply callback: compose into the output queue; values by reference. */
static void session_reply(void *sink, const struct response *rsp, struct item *it)
{
    struct session *s = sink;
    struct outq *out = &s->conn.out;
    if (s->noreply || s->state == SS_CLOSING) {
        if (it != NULL)
            store_release(s->w->srv->store, &it);
        return;
    }
    if (reply_append(out, rsp, it, s->dialect, s->w->srv->store) != 0) {
        /* No memory for the reply: the stream cannot stay in sync, so close. */
        log_warn("out of memory queueing a reply; closing the connection");
        s->state = SS_CLOSING;
    }
}

static struct exec_ctx exec_for(struct session *s)
{
    struct exec_ctx x = {.srv = s->w->srv, .stats = &s->w->stats, .reply = session_reply, .sink = s,
                         .loop = s->w->loop, .fd = s->fd};
    return x;
}

/* Move buffered bytes of the data block into the item; commit when whole. */
static bool take_data(struct session *s)
{
    struct rbuf *in = &s->conn.in;
    size_t want = s->data_need - s->data_have;
    size_t n = rbuf_len(in) < want ? rbuf_len(in) : want;
    memcpy(item_data(s->item) + s->data_have, rbuf_head(in), n);
    rbuf_consume(in, n);
    s->data_have += n;
    if (s->data_have < s->data_need)
        return false;
    /* A binary value has no "\r\n" of its own; item memory keeps one after
     * every value (zero-copy text replies rely on it), so add it here. */
    if (s->pending.proto == REQ_PROTO_BINARY)
        memcpy(item_data(s->item) + s->pending.vlen, "\r\n", 2);
    struct exec_ctx x = exec_for(s);
    exec_store_finish(&x, &s->pending, &s->item);
    s->noreply = false;
    if (s->state == SS_DATA)
        s->state = SS_CMD;
    return true;
}

static bool take_swallow(struct session *s)
{
    struct rbuf *in = &s->conn.in;
    size_t n = rbuf_len(in) < s->swallow_left ? rbuf_len(in) : s->swallow_left;
    rbuf_consume(in, n);
    s->swallow_left -= n;
    if (s->swallow_left > 0)
        return false;
    s->state = SS_CMD;
    return true;
}

static void after_close_request(struct session *s)
{
    s->state = SS_CLOSING;
    struct server *srv = s->w->srv;
    if (atomic_load(&srv->shutdown_requested))
        event_loop_stop(srv->main_loop);
}

/* The first byte decides the dialect for the connection's lifetime, as in
 * memcached: 0x80 is the binary request magic; anything else is text (the
 * classic and meta commands share it). -B pins one dialect. */
static void choose_dialect(struct session *s)
{
    enum config_protocol p = s->w->srv->cfg.protocol;
    if (p == CONFIG_PROTO_BINARY)
        s->dialect = REQ_PROTO_BINARY;
    else if (p == CONFIG_PROTO_AUTO && (unsigned char)rbuf_head(&s->conn.in)[0] == 0x80)
        s->dialect = REQ_PROTO_BINARY;
    else
        s->dialect = REQ_PROTO_TEXT;
    s->dialect_known = true;
}

/* Keep a storage request past its command line: copy the line (replies may
 * echo its flags, opaque or key) and point the request at the copy. */
static int keep_pending(struct session *s, const struct request *req, const char *line, size_t len)
{
    if (len > s->line_cap) {
        char *p = realloc(s->line, len);
        if (p == NULL)
            return -1;
        s->line = p;
        s->line_cap = len;
    }
    memcpy(s->line, line, len);
    request_copy(&s->pending, req);
    request_relocate(&s->pending, line, len, s->line);
    return 0;
}

/* Parse and run one command line from the buffer. False when more input
 * is needed. */
static bool run_command(struct session *s)
{
    struct rbuf *in = &s->conn.in;
    struct request req;
    size_t consumed = 0;
    if (!s->dialect_known)
        choose_dialect(s);
    /* A long get line arrives in many reads: look for its newline only in
     * the bytes that came since the last look, not from the start each time
     * (which costs the square of the line's length). Only once the parser
     * has admitted the line as a long get, so its limits are kept. */
    if (s->line_clean > TEXT_LINE_MAX && rbuf_len(in) < TEXT_GET_LINE_MAX &&
        memchr(rbuf_head(in) + s->line_clean, '\n', rbuf_len(in) - s->line_clean) == NULL) {
        s->line_clean = rbuf_len(in);
        return false;
    }
    enum parse_status ps = s->dialect == REQ_PROTO_BINARY
                               ? binary_parse(&req, rbuf_head(in), rbuf_len(in), &consumed)
                               : text_parse(&req, rbuf_head(in), rbuf_len(in), &consumed);
    if (ps == PARSE_AGAIN) {
        if (s->dialect != REQ_PROTO_BINARY)
            s->line_clean = rbuf_len(in);
        return false;
    }
    s->line_clean = 0;
    /* -vv: each command, as memcached logs them ("<fd command key") */
    log_info("<%d %s %.*s", s->fd, request_cmd_name(req.cmd), (int)(req.nkey < 64 ? req.nkey : 64),
             req.key != NULL ? req.key : "");
    s->last_active = clock_now();
    struct exec_ctx x = exec_for(s);
    if (ps == PARSE_ERROR) {
        s->noreply = req.noreply;
        enum exec_next next = exec_parse_error(&x, &req);
        s->noreply = false;
        rbuf_consume(in, consumed);
        if (next == EXEC_CLOSE) {
            s->state = SS_CLOSING;
        } else if (next == EXEC_SWALLOW) {
            s->swallow_left = (size_t)req.vlen + 2;
            s->state = SS_SWALLOW;
        }
        return true;
    }
    s->noreply = req.noreply;
    if (request_is_storage(req.cmd)) {
        struct item *it = NULL;
        size_t block = (size_t)req.vlen + (req.proto == REQ_PROTO_BINARY ? 0 : 2);
        enum exec_next next = exec_store_begin(&x, &req, &it);
        if (next == EXEC_READ_DATA) {
            if (keep_pending(s, &req, rbuf_head(in), consumed) != 0) {
                store_abort(s->w->srv->store, &it);
                s->state = SS_CLOSING;
                return true;
            }
            s->item = it;
            s->data_have = 0;
            s->data_need = block;
            s->state = SS_DATA;
        } else {
            s->noreply = false;
            s->swallow_left = block;
            s->state = SS_SWALLOW;
        }
        rbuf_consume(in, consumed); /* only now: req points into the buffer */
        return true;
    }
    enum exec_next next = exec_request(&x, &req);
    rbuf_consume(in, consumed);
    s->noreply = false;
    if (next == EXEC_STREAM) {
        s->stream = x.stream;
        s->w->nstreams++;
    } else if (next == EXEC_CLOSE) {
        after_close_request(s);
    } else if (req.proto == REQ_PROTO_BINARY && req.vlen > 0) {
        /* a body the command does not use (unknown opcode, SASL data) */
        s->swallow_left = req.vlen;
        s->state = SS_SWALLOW;
    }
    return true;
}

/* Requests wait behind a stream (a watcher's are never run): past
 * IN_HIGH_WATER of them buffered, the session stops reading. */
static bool input_held(const struct session *s)
{
    return s->stream != NULL && rbuf_len(&s->conn.in) > IN_HIGH_WATER;
}

static void stream_detach(struct session *s)
{
    if (s->stream == NULL)
        return;
    stream_cancel(&s->stream);
    s->w->nstreams--;
}

/* Take what the stream has ready into the output queue. True once the
 * stream is done (detached), so later requests may run; false while it
 * goes on. Touches only the output queue. */
static bool stream_feed(struct session *s)
{
    enum stream_status st = stream_pull(s->stream, &s->conn.out, STREAM_OUT_LOW);
    if (st == STREAM_MORE)
        return false;
    stream_detach(s);
    if (st == STREAM_ENOMEM) {
        log_warn("out of memory queueing a dump; closing the connection");
        s->state = SS_CLOSING;
    }
    return true;
}

/* Handle buffered input until it runs out, the budget is spent, output
 * backs up, or the session is closing. A streaming reply comes first:
 * requests after it wait until it is done. */
static void process(struct session *s, int *budget)
{
    while (s->state != SS_CLOSING) {
        if (s->stream != NULL && !stream_feed(s))
            return;
        if (s->state == SS_DATA) {
            if (!take_data(s))
                return;
            continue;
        }
        if (s->state == SS_SWALLOW) {
            if (!take_swallow(s))
                return;
            continue;
        }
        if (rbuf_len(&s->conn.in) == 0) {
            /* A long multi-get line grew the buffer: give that back. */
            if (s->conn.in.cap > IN_TRIM_ABOVE)
                rbuf_trim(&s->conn.in);
            return;
        }
        if (outq_pending(&s->conn.out) > OUT_HIGH_WATER) {
            s->paused = true;
            return;
        }
        if (*budget <= 0)
            return;
        if (!run_command(s))
            return;
        (*budget)--;
    }
}

/* The peer is done sending and everything it sent has been handled:
 * process() stopped for want of input, not for the -R budget or a pause.
 * What is left is to send the replies and close. */
static bool peer_answered(const struct session *s)
{
    return s->peer_done && !s->paused && (s->conn.budget > 0 || rbuf_len(&s->conn.in) == 0);
}

/* After handling an event: close, or tell the connection what comes next.
 * Input while neither paused nor held (straight into the item when a data
 * block waits and nothing is buffered); a yield when the budget ran out
 * with input left; news of output while paused (to resume) or streaming
 * (to feed the stream). */
static void session_want(struct session *s)
{
    struct conn *c = &s->conn;
    if (peer_answered(s))
        s->state = SS_CLOSING;
    if (s->state == SS_CLOSING) {
        if (outq_empty(&c->out))
            session_close(&s);
        else
            conn_want(c, CONN_WANT_CLOSE, NULL, 0);
        return;
    }
    unsigned want = 0;
    char *direct = NULL;
    size_t direct_len = 0;
    if (!s->paused && !input_held(s)) {
        want |= CONN_WANT_INPUT;
        if (s->state == SS_DATA && rbuf_len(&c->in) == 0) {
            direct = item_data(s->item) + s->data_have;
            direct_len = s->data_need - s->data_have;
        }
    }
    if (c->budget <= 0 && rbuf_len(&c->in) > 0 && !s->paused) {
        want |= CONN_WANT_YIELD;
        STATS_INCR(&s->w->stats, conn_yields);
    }
    if (s->paused || s->stream != NULL)
        want |= CONN_WANT_OUTPUT;
    conn_want(c, want, direct, direct_len);
}

/* The driver: the connection's one callback. */
static void on_conn_event(struct conn *c, enum conn_event ev, size_t n)
{
    struct session *s = c->owner;
    switch (ev) {
    case CONN_EV_ERROR:
        session_close(&s); /* nothing left to answer */
        return;
    case CONN_EV_PEER_CLOSED:
        /* Pipelined requests may still wait their turn: answer those first. */
        s->peer_done = true;
        break;
    case CONN_EV_DIRECT:
        s->data_have += n;
        if (s->data_have == s->data_need)
            take_data(s);
        break;
    case CONN_EV_OUTPUT:
        if (s->paused && outq_pending(&c->out) <= OUT_HIGH_WATER / 2)
            s->paused = false;
        break;
    case CONN_EV_INPUT:
    case CONN_EV_RESUME:
        break;
    }
    /* A stream only touches the output queue: feed it even while input
     * may not be consumed (the connection receiving into it, or paused). */
    if (s->stream != NULL)
        stream_feed(s);
    if (!c->in_filling && !s->paused)
        process(s, &c->budget);
    session_want(s);
}

/* An arrival seen ahead of its batch: warm its keys' index entries. Only
 * at a command boundary; value bytes (SS_DATA) are not commands. */
static void on_peek(struct conn *c, const char *data, size_t len)
{
    struct session *s = c->owner;
    if (s->state == SS_CMD)
        prefetch_add(&s->w->prefetch, data, len);
}

/* The connection is done with (nothing in flight): free the session. */
static void free_session(struct conn *c)
{
    struct session *s = c->owner;
    if (s->item != NULL)
        store_abort(s->w->srv->store, &s->item);
    free(s->line);
    free(s);
}

/* "watch connevents": conn_new (reason NULL) or conn_close. */
static void watch_conn_event(struct session *s, const char *reason)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[INET6_ADDRSTRLEN] = "unknown";
    unsigned port = 0;
    const char *transport = "tcp";
    if (getpeername(s->fd, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
            port = ntohs(a->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
            port = ntohs(a->sin6_port);
        } else if (ss.ss_family == AF_UNIX) {
            transport = "local";
        }
    }
    watch_conn(&s->w->srv->admin.watch, host, port, transport, reason, s->fd);
}

void session_close_idle(struct session **sp)
{
    if (*sp != NULL) {
        (*sp)->close_reason = "idle_timeout";
        STATS_INCR(&(*sp)->w->stats, idle_kicks);
    }
    session_close(sp);
}

struct session *session_open(struct worker *w, int fd)
{
    struct session *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        close(fd);
        return NULL;
    }
    s->w = w;
    s->fd = fd;
    s->state = SS_CMD;
    s->last_active = clock_now();
    struct conn_hooks hooks = {.event = on_conn_event,
                               .free = free_session,
                               .peek = on_peek,
                               .release = release_item,
                               .release_ctx = w->srv->store,
                               .budget = w->srv->cfg.reqs_per_event,
                               .bytes_read = &w->stats.bytes_read,
                               .bytes_written = &w->stats.bytes_written};
    if (conn_open(&s->conn, w->loop, fd, &hooks, s) != 0) {
        free(s);
        return NULL;
    }
    conn_describe(&s->conn, s->addr, sizeof(s->addr));
    pthread_mutex_lock(&w->lock);
    session_link(&w->sessions, s);
    pthread_mutex_unlock(&w->lock);
    STATS_INCR(&w->stats, total_connections);
    if (watch_wants(&w->srv->admin.watch, ADMIN_WATCH_CONNEVENTS))
        watch_conn_event(s, NULL);
    log_info("<%d new client connection from %s", fd, s->addr);
    return s;
}

void session_close(struct session **sp)
{
    struct session *s = *sp;
    if (s == NULL)
        return;
    struct worker *w = s->w;
    *sp = NULL;
    pthread_mutex_lock(&w->lock);
    session_unlink(&w->sessions, s);
    pthread_mutex_unlock(&w->lock);
    atomic_fetch_sub(&w->srv->curr_conns, 1);
    if (watch_wants(&w->srv->admin.watch, ADMIN_WATCH_CONNEVENTS)) {
        /* memcached's reasons: the peer closed (or quit) is "normal" */
        const char *why = s->close_reason != NULL ? s->close_reason
                          : (s->peer_done || s->state == SS_CLOSING) ? "normal" : "error";
        watch_conn_event(s, why);
    }
    stream_detach(s); /* stops a dump's producer at its next item */
    /* The item and the replies may still be in the kernel's hands: the
     * connection calls free_session once they are not. */
    conn_close(&s->conn);
}

void session_stream_kick(struct session *s)
{
    if (s->stream != NULL)
        conn_kick(&s->conn); /* nothing once closed */
}

uint32_t session_idle_since(const struct session *s)
{
    return s->last_active;
}

int session_is_idle(const struct session *s)
{
    return s->state == SS_CMD && s->stream == NULL && rbuf_len(&s->conn.in) == 0 && outq_empty(&s->conn.out);
}

/* The address the client connected to, as memcached's listen_addr: "tcp:
 * host:port", "tcp6:[host]:port" or the unix socket's path. 0 or -1. */
static int local_addr(const struct session *s, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[INET6_ADDRSTRLEN] = "";
    if (getsockname(s->fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
        snprintf(out, cap, "tcp:%s:%u", host, ntohs(a->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
        snprintf(out, cap, "tcp6:[%s]:%u", host, ntohs(a->sin6_port));
    } else if (ss.ss_family == AF_UNIX) {
        snprintf(out, cap, "unix:%s", ((struct sockaddr_un *)&ss)->sun_path);
    } else {
        return -1;
    }
    return 0;
}

void session_describe(const struct session *s, session_stat_fn emit, void *arg)
{
    static const char *const states[] = {"conn_parse_cmd", "conn_nread", "conn_swallow", "conn_closing"};
    char name[32], value[32];
    snprintf(name, sizeof(name), "%d:addr", s->fd);
    emit(arg, name, s->addr);
    char local[160];
    if (local_addr(s, local, sizeof(local)) == 0) {
        snprintf(name, sizeof(name), "%d:listen_addr", s->fd);
        emit(arg, name, local);
    }
    snprintf(name, sizeof(name), "%d:state", s->fd);
    emit(arg, name, states[s->state]);
    snprintf(name, sizeof(name), "%d:secs_since_last_cmd", s->fd);
    snprintf(value, sizeof(value), "%u", clock_now() - s->last_active);
    emit(arg, name, value);
}

struct session *session_next(const struct session *s)
{
    return s->next;
}

void session_link(struct session **head, struct session *s)
{
    s->prev = NULL;
    s->next = *head;
    if (*head != NULL)
        (*head)->prev = s;
    *head = s;
}

void session_unlink(struct session **head, struct session *s)
{
    if (s->prev != NULL)
        s->prev->next = s->next;
    else
        *head = s->next;
    if (s->next != NULL)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
}
