/*
 * session.c: see session.h. The requests run in the request loop
 * (server/reqloop.h: CMD → DATA → SWALLOW → CMD, CLOSING); this file
 * drives it from the socket.
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

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "net/conn.h"
#include "persist/persist.h"
#include "repl/repl.h"
#include "server/reqloop.h"
#include "server/replication.h"
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

struct session {
    struct conn conn;
    struct worker *w;
    struct session *prev, *next;
    bool paused;  /* output over the high-water mark */
    bool peer_done;   /* the peer's end of stream has been read */
    struct stream *stream; /* a reply still streaming in (lru_crawler metadump, watch) */
    const char *close_reason; /* for "watch connevents": NULL = normal or error */
    int fd;
    char addr[80];
    /* persistence: replies held until the log holds hold_lsn (written;
     * with appendfsync always, fsynced); the session is then on its
     * worker's held list */
    bool held;
    uint64_t hold_lsn;
    struct session *held_next;
    /* -o min_replica_acks: replies also held until that many replicas
     * acknowledged the stream up to hold_off; the replies queued since
     * hold_mark (conn.out.appended) wait for them, since hold_since_ms */
    bool hold_repl;
    uint64_t hold_off;
    size_t hold_mark;
    uint64_t hold_since_ms;
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
        default: /* closed (quit, shutdown: exec stops the server), or waiting */
            return;
        }
    }
}

/* The peer is done sending and everything it sent has been handled:
 * process() stopped for want of input, not for the -R budget or a pause.
 * What is left is to send the replies and close. */
static bool peer_answered(const struct session *s)
{
    return s->peer_done && !s->paused && (s->conn.budget > 0 || rbuf_len(&s->conn.in) == 0);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * The requests just handled changed the store: their replies may leave
 * only once the append log holds the changes. The session holds its output
 * and joins the worker's held list; at the end of the loop's batch the
 * worker writes the log once for every session of the batch (group
 * commit) and lets them go (session_release_held). With appendfsync
 * always they wait on for the fsync, which wakes the worker. With repl
 * (-o min_replica_acks) the batch's replies, queued since mark, also wait
 * until enough replicas acknowledged what it changed.
 */
static void session_hold(struct session *s, bool repl, size_t mark)
{
    struct worker *w = s->w;
    s->hold_lsn = persist_thread_lsn();
    if (repl) {
        s->hold_off = repl_thread_offset();
        if (!s->hold_repl) {
            s->hold_repl = true;
            s->hold_mark = mark;
            s->hold_since_ms = now_ms();
        }
    }
    if (!s->held) {
        s->held = true;
        s->held_next = w->held;
        w->held = s;
    }
}

static void held_unlink(struct session *s)
{
    struct session **pp = &s->w->held;
    while (*pp != NULL && *pp != s)
        pp = &(*pp)->held_next;
    if (*pp == s)
        *pp = s->held_next;
    s->held = false;
    s->held_next = NULL;
}

static void session_want(struct session *s);

/* The replicas did not acknowledge in time: the replies they held back
 * are taken back and, in place of them, an error says so (a binary
 * connection has no line to say it in); the connection then closes, as
 * which of its pipelined writes the replicas have is unknown. The writes
 * themselves are done here. */
static void replicas_timed_out(struct session *s)
{
    const struct config *cfg = &s->w->srv->cfg;
    outq_drop_since(&s->conn.out, s->hold_mark);
    if (!reqloop_is_binary(&s->rl)) {
        char line[160];
        (void)outq_append(&s->conn.out, line, replication_timeout_line(cfg, line, sizeof(line)));
    }
    log_warn("replication: a reply waited %d ms for %d replicas; closing the connection",
             cfg->min_replica_timeout, cfg->min_replica_acks);
    s->hold_repl = false;
    s->close_reason = "error";
    reqloop_close(&s->rl);
}

void session_release_held(struct worker *w)
{
    struct persist *p = w->srv->persist;
    const struct config *cfg = &w->srv->cfg;
    struct session *list = w->held;
    w->held = NULL;
    /* Write what the batch logged. If that fails, the replies held for it
     * must never go: those sessions close without them (not acknowledged). */
    bool failed = p != NULL && persist_commit(p) != 0;
    /* Flag first, then look: the fsync thread (a feed thread) moves durable
     * (acked), then looks at the flag, so one of the two sees the other
     * (no lost wake-up). */
    if ((p != NULL && persist_holds_replies(p)) || cfg->min_replica_acks > 0)
        atomic_store(&w->held_any, true);
    uint64_t ready = p != NULL ? persist_ready(p) : UINT64_MAX;
    bool failing = p != NULL && persist_refusing(p) != 0;
    uint64_t acked = cfg->min_replica_acks > 0 ? repl_acked_by(w->srv->repl, cfg->min_replica_acks) : 0;
    uint64_t now = 0;
    while (list != NULL) {
        struct session *s = list;
        list = s->held_next;
        s->held_next = NULL;
        if (s->hold_repl && acked >= s->hold_off)
            s->hold_repl = false;
        if (s->hold_repl) {
            if (now == 0)
                now = now_ms();
            if (now - s->hold_since_ms >= (uint64_t)cfg->min_replica_timeout)
                replicas_timed_out(s);
        }
        if (!s->hold_repl && !failed && ready >= s->hold_lsn) {
            s->held = false;
            session_want(s); /* sends what it held (and may close) */
        } else if (failed || failing) {
            /* (a failed commit may have lost any of the batch's records,
             * one that could not even be buffered among them) */
            s->held = false;
            s->close_reason = "error";
            session_close(&s);
        } else {
            s->held_next = w->held;
            w->held = s;
        }
    }
    if (w->held == NULL)
        atomic_store(&w->held_any, false);
}

/* After handling an event: close, or tell the connection what comes next.
 * Input while neither paused nor held (straight into the item when a data
 * block waits and nothing is buffered); a yield when the budget ran out
 * with input left; news of output while paused (to resume) or streaming
 * (to feed the stream). */
static void session_want(struct session *s)
{
    struct conn *c = &s->conn;
    unsigned hold = s->held ? CONN_WANT_HOLD : 0;
    if (peer_answered(s))
        reqloop_close(&s->rl);
    if (reqloop_closing(&s->rl)) {
        if (outq_empty(&c->out))
            session_close(&s);
        else
            conn_want(c, CONN_WANT_CLOSE | hold, NULL, 0);
        return;
    }
    unsigned want = hold;
    char *direct = NULL;
    size_t direct_len = 0;
    if (!s->paused && !input_held(s)) {
        want |= CONN_WANT_INPUT;
        if (rbuf_len(&c->in) == 0)
            direct = reqloop_data_dest(&s->rl, &direct_len);
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
    /* Taken before the event: the last bytes of a data block received
     * straight into the item (CONN_EV_DIRECT) store it and queue its
     * reply right here, and that reply must wait as process()'s do. */
    uint64_t changes = persist_thread_changes();
    uint64_t offset = repl_thread_offset();
    size_t mark = c->out.appended;
    switch (ev) {
    case CONN_EV_ERROR:
        session_close(&s); /* nothing left to answer */
        return;
    case CONN_EV_PEER_CLOSED:
        /* Pipelined requests may still wait their turn: answer those first. */
        s->peer_done = true;
        break;
    case CONN_EV_DIRECT:
        reqloop_data_received(&s->rl, n);
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
    bool logged = s->w->srv->persist != NULL && persist_thread_changes() != changes;
    bool replicated = s->w->srv->cfg.min_replica_acks > 0 && repl_thread_offset() != offset;
    if (logged || replicated)
        session_hold(s, replicated, mark);
    session_want(s);
}

/* An arrival seen ahead of its batch: warm its keys' index entries. Only
 * at a command boundary; value bytes (a data block) are not commands. */
static void on_peek(struct conn *c, const char *data, size_t len)
{
    struct session *s = c->owner;
    if (reqloop_at_command(&s->rl))
        prefetch_add(&s->w->prefetch, data, len);
}

/* The connection is done with (nothing in flight): free the session. */
static void free_session(struct conn *c)
{
    struct session *s = c->owner;
    reqloop_free(&s->rl);
    free(s);
}

/* "watch connevents": conn_new (reason NULL) or conn_close. */
static void watch_conn_event(struct session *s, const char *reason)
{
    char host[64];
    unsigned port;
    const char *transport;
    conn_peer_parts(&s->conn, host, sizeof(host), &port, &transport);
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
    s->rl.x.conn = &s->conn;
    struct conn_hooks hooks = {.event = on_conn_event,
                               .free = free_session,
                               .peek = on_peek,
                               .release = release_item,
                               .release_ctx = w->srv->store,
                               .budget = w->srv->cfg.reqs_per_event,
                               .bytes_read = &w->stats.bytes_read,
                               .bytes_written = &w->stats.bytes_written};
    if (conn_open(&s->conn, w->loop, fd, &hooks, s) != 0) {
        reqloop_free(&s->rl);
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
    if (s->held)
        held_unlink(s);
    atomic_fetch_sub(&w->srv->curr_conns, 1);
    if (watch_wants(&w->srv->admin.watch, ADMIN_WATCH_CONNEVENTS)) {
        /* memcached's reasons: the peer closed (or quit) is "normal" */
        const char *why = s->close_reason != NULL ? s->close_reason
                          : (s->peer_done || reqloop_closing(&s->rl)) ? "normal" : "error";
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
    return s->rl.last_active;
}

int session_is_idle(const struct session *s)
{
    return reqloop_at_command(&s->rl) && s->stream == NULL && rbuf_len(&s->conn.in) == 0 && outq_empty(&s->conn.out);
}

void session_describe(const struct session *s, session_stat_fn emit, void *arg)
{
    char name[32], value[32];
    snprintf(name, sizeof(name), "%d:addr", s->fd);
    emit(arg, name, s->addr);
    char local[160];
    if (conn_describe_local(&s->conn, local, sizeof(local)) == 0) {
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
    .release_held = session_release_held,
};

