/*
 * session.c: see session.h. The requests run in the request loop
 * (server/reqloop.h: CMD → DATA → SWALLOW → CMD, CLOSING); this file
 * drives it from the socket.
 *
 * Fairness: at most -R requests are handled per wake-up; a session with
 * buffered input left asks for a write event, which fires at once, so other
 * connections get their turn in between. Backpressure: while more than
 * OUT_HIGH_WATER reply bytes wait for a slow reader, the session neither
 * parses nor reads; it resumes once the queue drains.
 *
 * Two drivers feed the same state machine (process() and below), one per
 * kind of loop the worker runs (net/conn.h):
 *   on_event: readiness (epoll) — read until drained, process, writev;
 *   on_done:  completion (io_uring) — a receive landed, process it, queue
 *             the replies' send (and a receive, when none is armed); the
 *             loop submits all connections' operations at once. The receive
 *             is normally multishot (armed once, copied out of the worker's
 *             provided buffers by net/conn). -R fairness yields through a
 *             no-op completion, backpressure by stopping the receive.
 */
#include "server/session.h"

#include <arpa/inet.h>
#include <errno.h>
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
#include "server/reqloop.h"
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

/* Completion mode: the rest of a value at least this large is received
 * straight into item memory. */
#define RING_DIRECT_MIN 16384

/* Completion mode: a multishot receive is stopped while a yielding session
 * holds more input than this, so a client cannot make it buffer without
 * bound. */
#define IN_HIGH_WATER (256u * 1024)

/* An input buffer grown past this (by a long get line) is freed once empty;
 * below it, it is kept, as pipelined requests grow it to 64 KiB routinely. */
#define IN_TRIM_ABOVE (1u << 20)

struct session {
    struct conn conn;
    struct worker *w;
    struct session *prev, *next;
    bool paused;  /* output over the high-water mark */
    bool recv_direct; /* the receive in flight goes into the item */
    bool peer_done;   /* the peer's end of stream has been read */
    bool closed;      /* closed while operations were in flight; freed after */
    struct stream *stream; /* a reply still streaming in (lru_crawler metadump, watch) */
    const char *close_reason; /* for "watch connevents": NULL = normal or error */
    int fd;
    char addr[80];
    struct reqloop rl; /* the request half: parse, exec, reply */
};

static void release_item(void *ctx, void *ref)
{
    struct item *it = ref;
    store_release(ctx, &it);
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
        reqloop_close(&s->rl);
    }
    return true;
}

/* Handle buffered input until it runs out, the budget is spent, output
 * backs up, or the session is closing. A streaming reply comes first:
 * requests after it wait until it is done. */
static void process(struct session *s, int *budget)
{
    while (!reqloop_closing(&s->rl)) {
        if (s->stream != NULL && !stream_feed(s))
            return;
        switch (reqloop_run(&s->rl, &s->conn.in, OUT_HIGH_WATER, budget)) {
        case REQLOOP_STREAM:
            s->stream = reqloop_take_stream(&s->rl);
            s->w->nstreams++;
            continue;
        case REQLOOP_IDLE:
            /* A long multi-get line grew the buffer: give that back. */
            if (s->conn.in.cap > IN_TRIM_ABOVE)
                rbuf_trim(&s->conn.in);
            return;
        case REQLOOP_BACKLOG:
            s->paused = true;
            return;
        case REQLOOP_CLOSED: {
            /* quit, or a shutdown command: that one stops the server */
            struct server *srv = s->w->srv;
            if (atomic_load(&srv->shutdown_requested))
                event_loop_stop(srv->main_loop);
            return;
        }
        default:
            return;
        }
    }
}

/* One read: large data blocks go straight into item memory. */
static enum conn_io read_some(struct session *s, bool *drained)
{
    size_t n = 0;
    enum conn_io r;
    size_t room = 0;
    char *dest = rbuf_len(&s->conn.in) == 0 ? reqloop_data_dest(&s->rl, &room) : NULL;
    if (dest != NULL) {
        r = conn_read_into(&s->conn, dest, room, &n, drained);
        if (r == CONN_IO_OK)
            reqloop_data_received(&s->rl, n);
    } else {
        r = conn_read(&s->conn, &n, drained);
    }
    if (n > 0)
        STATS_ADD(&s->w->stats, bytes_read, n);
    return r;
}

static bool flush_out(struct session *s)
{
    size_t n = 0;
    enum conn_io r = conn_flush(&s->conn, &n);
    if (n > 0)
        STATS_ADD(&s->w->stats, bytes_written, n);
    if (r == CONN_IO_ERROR)
        return false;
    if (s->paused && outq_pending(&s->conn.out) <= OUT_HIGH_WATER / 2)
        s->paused = false;
    return true;
}

/* The peer is done sending and everything it sent has been handled:
 * process() stopped for want of input, not for the -R budget, a pause or a
 * yield. What is left is to send the replies and close. Both drivers. */
static bool peer_answered(const struct session *s, int budget)
{
    return s->peer_done && !s->paused && !(s->conn.busy & CONN_OP_YIELD) &&
           (budget > 0 || rbuf_len(&s->conn.in) == 0);
}

static void on_event(struct event_handler *h, uint32_t events)
{
    struct session *s = h->arg;
    int budget = s->w->srv->cfg.reqs_per_event;
    bool alive = true;

    if ((events & EVENT_WRITE) && !flush_out(s))
        alive = false;
    /* Buffered input first (after a yield or a pause), then the socket. */
    if (alive && !s->paused)
        process(s, &budget);
    if (alive && (events & EVENT_READ) && !s->paused && !input_held(s) && budget > 0) {
        bool drained = false;
        while (!drained) {
            enum conn_io r = read_some(s, &drained);
            if (r == CONN_IO_AGAIN)
                break;
            if (r == CONN_IO_CLOSED) {
                s->peer_done = true; /* answer what is buffered, then close */
                break;
            }
            if (r != CONN_IO_OK) {
                alive = false; /* socket error: nothing left to answer */
                break;
            }
            process(s, &budget);
            if (reqloop_closing(&s->rl) || s->paused || input_held(s) || budget <= 0)
                break;
        }
    }
    /* Write what is queued. If that drains a backed-up queue, buffered
     * requests may be waiting with no more bytes to come from the socket
     * (so no read event): take them up now. */
    while (alive) {
        bool was_paused = s->paused;
        if (!flush_out(s)) {
            alive = false;
            break;
        }
        if (!was_paused || s->paused || budget <= 0)
            break;
        process(s, &budget);
    }
    if (alive && peer_answered(s, budget))
        reqloop_close(&s->rl);
    if (!alive || (reqloop_closing(&s->rl) && outq_empty(&s->conn.out))) {
        session_close(&s);
        return;
    }
    bool yielded = budget <= 0 && rbuf_len(&s->conn.in) > 0 && !s->paused;
    if (yielded)
        STATS_INCR(&s->w->stats, conn_yields);
    uint32_t mask = 0;
    if (!reqloop_closing(&s->rl) && !s->paused && !input_held(s))
        mask |= EVENT_READ;
    if (!outq_empty(&s->conn.out) || yielded)
        mask |= EVENT_WRITE;
    if (event_modify(s->w->loop, &s->conn.ev, mask) != 0)
        session_close(&s);
}

/* Completion driver: after any completion, run what is buffered, then
 * queue the send of the replies and keep a receive in flight while the
 * session wants input. Invariant: a plain receive into the input buffer is
 * in flight only while process() waits for input, so the buffer never moves
 * or is consumed under the kernel's feet; a multishot receive (the usual
 * one) copies its arrivals in from the loop's thread, so processing goes on
 * while it stays armed. It is stopped while the session must not consume
 * input: output backed up (paused), a yield with IN_HIGH_WATER bytes
 * already buffered, or a large rest of a value to receive straight into the
 * item. */
static void ring_step(struct session *s, int budget)
{
    struct conn *c = &s->conn;
    bool plain_recv = (c->busy & CONN_OP_RECV) && !conn_recv_multishot(c);
    /* a stream only touches the output queue: feed it even while input
     * may not be consumed (a plain receive in flight, or paused) */
    if (s->stream != NULL)
        stream_feed(s);
    if (!plain_recv && !(c->busy & CONN_OP_YIELD) && !s->paused)
        process(s, &budget);
    if (conn_submit_send(c) != 0)
        goto fail;
    if (peer_answered(s, budget))
        reqloop_close(&s->rl);
    if (reqloop_closing(&s->rl)) {
        conn_stop_recv(c);
        if (outq_empty(&c->out) && !(c->busy & CONN_OP_SEND))
            session_close(&s);
        return;
    }
    bool yielding = (c->busy & CONN_OP_YIELD) || (budget <= 0 && rbuf_len(&c->in) > 0);
    /* A large rest of a value goes straight into the item; a small one
     * comes through the buffer with the requests that follow it, each
     * receive costing a loop iteration. */
    bool direct = rbuf_len(&c->in) == 0 && reqloop_data_left(&s->rl) >= RING_DIRECT_MIN;
    if (s->paused || direct || input_held(s) || (yielding && rbuf_len(&c->in) > IN_HIGH_WATER))
        conn_stop_recv(c);
    if (s->paused || (c->busy & CONN_OP_YIELD))
        return;
    if (yielding) {
        STATS_INCR(&s->w->stats, conn_yields);
        if (conn_submit_yield(c) != 0)
            goto fail;
        return;
    }
    if ((c->busy & CONN_OP_RECV) || input_held(s))
        return;
    int rc;
    s->recv_direct = direct;
    if (!direct && conn_can_multishot(c) && !c->cr->recv_filled) {
        rc = conn_submit_recv_multishot(c);
    } else {
        /* Unless the last receive filled its space (a deep pipeline, a
         * large value, a multishot receive that ran out of buffers), the
         * next bytes are rarely there yet: wait for readiness rather than
         * try a receive that fails with EAGAIN. */
        bool poll_first = !c->cr->recv_filled;
        size_t room = 0;
        char *dest = direct ? reqloop_data_dest(&s->rl, &room) : NULL;
        if (direct)
            rc = conn_submit_recv(c, dest, room, poll_first);
        else
            rc = conn_submit_recv(c, NULL, 0, poll_first);
    }
    if (rc != 0)
        goto fail;
    return;
fail:
    log_warn("cannot queue connection I/O; closing the connection");
    session_close(&s);
}

static void free_session(struct session *s);

/* An arrival seen ahead of its batch: warm its keys' index entries. Only
 * at a command boundary; value bytes (a data block) are not commands. */
static void on_peek(struct conn *c, const char *data, size_t len)
{
    struct session *s = c->ev.arg;
    if (!s->closed && reqloop_at_command(&s->rl))
        prefetch_add(&s->w->prefetch, data, len);
}

static void on_done(struct conn *c, unsigned op, int res)
{
    struct session *s = c->ev.arg;
    if (s->closed) {
        if (c->busy == 0)
            free_session(s);
        return;
    }
    if (op == CONN_OP_RECV) {
        if (res == -EAGAIN || res == -EINTR || res == -ENOBUFS || res == -ECANCELED) {
            res = 0; /* nothing arrived (or a multishot receive ended): queue one again */
        } else if (res == 0) {
            /* End of stream. An armed receive sees it while pipelined
             * requests may still wait their turn: answer those first. */
            s->peer_done = true;
        } else if (res < 0) {
            session_close(&s); /* error: nothing left to answer */
            return;
        } else {
            STATS_ADD(&s->w->stats, bytes_read, (size_t)res);
            if (s->recv_direct)
                reqloop_data_received(&s->rl, (size_t)res);
        }
    } else if (op == CONN_OP_SEND) {
        if (res < 0 && res != -EAGAIN && res != -EINTR) {
            session_close(&s);
            return;
        }
        if (res > 0)
            STATS_ADD(&s->w->stats, bytes_written, (size_t)res);
        if (s->paused && outq_pending(&c->out) <= OUT_HIGH_WATER / 2)
            s->paused = false;
    }
    ring_step(s, s->w->srv->cfg.reqs_per_event);
}

static void describe_peer(struct session *s)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    strcpy(s->addr, "unknown");
    if (getpeername(s->fd, (struct sockaddr *)&ss, &len) != 0)
        return;
    char host[INET6_ADDRSTRLEN] = "";
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
        snprintf(s->addr, sizeof(s->addr), "tcp:%s:%u", host, ntohs(a->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
        snprintf(s->addr, sizeof(s->addr), "tcp6:[%s]:%u", host, ntohs(a->sin6_port));
    } else if (ss.ss_family == AF_UNIX) {
        strcpy(s->addr, "unix");
    }
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
    reqloop_init(&s->rl, w->srv, &w->stats, &s->conn.out, w->loop, fd, w->srv->cfg.protocol, false);
    describe_peer(s);
    conn_init(&s->conn, fd, release_item, w->srv->store);
    struct uring *ring = event_loop_uring(w->loop);
    int rc = ring != NULL ? conn_use_ring(&s->conn, ring, on_done, s)
                          : event_add(w->loop, &s->conn.ev, fd, EVENT_READ, on_event, s);
    if (rc == 0 && ring != NULL) {
        conn_set_peek(&s->conn, on_peek);
        rc = conn_can_multishot(&s->conn) ? conn_submit_recv_multishot(&s->conn)
                                          : conn_submit_recv(&s->conn, NULL, 0, true);
    }
    if (rc != 0) {
        conn_close(&s->conn);
        free(s);
        return NULL;
    }
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
    if (s->conn.cr == NULL)
        event_del(w->loop, &s->conn.ev);
    pthread_mutex_lock(&w->lock);
    session_unlink(&w->sessions, s);
    pthread_mutex_unlock(&w->lock);
    atomic_fetch_sub(&w->srv->curr_conns, 1);
    if (watch_wants(&w->srv->admin.watch, ADMIN_WATCH_CONNEVENTS)) {
        /* memcached's reasons: the peer closed (or quit) is "normal" */
        const char *why = s->close_reason != NULL ? s->close_reason
                          : (s->peer_done || reqloop_closing(&s->rl)) ? "normal" : "error";
        watch_conn_event(s, why);
    }
    stream_detach(s); /* stops a dump's producer at its next item */
    if (s->conn.busy != 0) {
        /* The kernel may still write into the buffer or the item and read
         * the queued replies: free all that once the last op completes. */
        s->closed = true;
        conn_cancel(&s->conn);
        return;
    }
    free_session(s);
}

static void free_session(struct session *s)
{
    reqloop_free(&s->rl);
    conn_close(&s->conn);
    free(s);
}

void session_stream_kick(struct session *s)
{
    if (s->stream == NULL || s->closed)
        return;
    if (s->conn.cr != NULL)
        ring_step(s, s->w->srv->cfg.reqs_per_event);
    else
        on_event(&s->conn.ev, EVENT_WRITE);
}

uint32_t session_idle_since(const struct session *s)
{
    return s->rl.last_active;
}

int session_is_idle(const struct session *s)
{
    return reqloop_at_command(&s->rl) && s->stream == NULL && rbuf_len(&s->conn.in) == 0 && outq_empty(&s->conn.out);
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
    char name[32], value[32];
    snprintf(name, sizeof(name), "%d:addr", s->fd);
    emit(arg, name, s->addr);
    char local[160];
    if (local_addr(s, local, sizeof(local)) == 0) {
        snprintf(name, sizeof(name), "%d:listen_addr", s->fd);
        emit(arg, name, local);
    }
    snprintf(name, sizeof(name), "%d:state", s->fd);
    emit(arg, name, reqloop_state_name(&s->rl));
    snprintf(name, sizeof(name), "%d:secs_since_last_cmd", s->fd);
    snprintf(value, sizeof(value), "%u", clock_now() - s->rl.last_active);
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

const struct worker_conn_ops session_worker_ops = {
    .open = session_open,
    .close = session_close,
    .close_idle = session_close_idle,
    .stream_kick = session_stream_kick,
    .is_idle = session_is_idle,
    .idle_since = session_idle_since,
    .next = session_next,
    .describe = session_describe,
};
