/*
 * conn.h: a connection as its owner sees it, whatever moves its bytes.
 *
 * The owner (server/session.c; later the replication link) reads requests
 * from c->in and queues replies on c->out. It never touches the socket: the
 * connection's type does, and calls the owner back through ONE function
 * with what happened (enum conn_event). Having handled it, the owner says
 * what it wants next with conn_want(), and the type turns that into its own
 * operations:
 *
 *   socket ─▶ type ─▶ c->in ─▶ owner's event fn ─▶ c->out ─▶ type ─▶ socket
 *               ▲                    │
 *               └──── conn_want() ◀──┘  input (or a direct receive)?
 *                                       yield? news of output? close?
 *
 * The loop picks the type of a new connection (conn_open): on a loop with
 * a ring, conn_uring.c (completions on net/uring.c), or conn_tls_uring.c
 * for a socket accepted on a TLS listener (net/tls.h); on an epoll-only
 * loop, conn_epoll.c (readiness), or conn_tls.c. Each keeps its thresholds
 * and tricks to itself.
 *
 * The TLS types put OpenSSL between the socket and the owner, with the
 * handshake before the owner's first event; owners do not change.
 *
 * Lifetime: conn_close() may be called at any time (also from the event
 * fn); the type then stops, cancels what is in flight, and calls the
 * owner's free fn once nothing (no operation, no callback) uses c or the
 * memory it names any more. Not thread-safe: the loop's thread only.
 */
#ifndef MNEMO_NET_CONN_H
#define MNEMO_NET_CONN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/outq.h"
#include "common/rbuf.h"
#include "net/event.h"

struct conn;
struct conn_type;
struct tls_stream;

/* What the owner's event fn is told. Each call is a wake-up of its own,
 * except that a readiness type calls once per read of a single readiness
 * event, all on one budget (c->budget). */
enum conn_event {
    CONN_EV_INPUT,       /* bytes were appended to c->in */
    CONN_EV_DIRECT,      /* n bytes landed at the direct receive's destination */
    CONN_EV_OUTPUT,      /* n bytes of c->out were sent (0: the socket is writable) */
    CONN_EV_RESUME,      /* back after a yield, or kicked (conn_kick) */
    CONN_EV_PEER_CLOSED, /* end of stream: nothing more will arrive */
    CONN_EV_ERROR        /* the connection failed: the owner closes it */
};

/* What the owner wants next (conn_want). Output queued on c->out is always
 * sent without being asked for, except while held (CONN_WANT_HOLD). */
#define CONN_WANT_INPUT 0x1u  /* receive: into c->in, or into the direct destination */
#define CONN_WANT_YIELD 0x2u  /* its budget is spent with input buffered: call back
                               * (RESUME) once the loop's other connections had a turn,
                               * and not before (but for ERROR) */
#define CONN_WANT_OUTPUT 0x4u /* call back (OUTPUT) when some output has been sent */
#define CONN_WANT_CLOSE 0x8u  /* done: no more input; call back (OUTPUT) once c->out is
                               * empty, and the owner then closes */
#define CONN_WANT_HOLD 0x10u  /* do not send c->out for now: the replies queued wait for
                               * something (the append log's fsync, with appendfsync
                               * always); a later want without it sends them. The owner
                               * is not called back for it: it is told (conn_kick) */

typedef void (*conn_event_fn)(struct conn *c, enum conn_event ev, size_t n);
/* The connection is finished with: free the memory that holds it. */
typedef void (*conn_free_fn)(struct conn *c);
/* Optional: len bytes that just arrived at data, not yet in c->in (which
 * is empty), shown ahead of a batch of events (event_loop_set_peek_end);
 * must change nothing. Only types that batch (io_uring) call it. */
typedef void (*conn_peek_fn)(struct conn *c, const char *data, size_t len);

/* The owner's side, given to conn_open (copied). */
struct conn_hooks {
    conn_event_fn event;
    conn_free_fn free;
    conn_peek_fn peek;       /* NULL: none */
    outq_release_fn release; /* for each zero-copy reference c->out drops */
    void *release_ctx;
    int budget;                    /* units of work per wake-up (mnemod: -R requests) */
    _Atomic uint64_t *bytes_read;  /* counters the type adds to (relaxed, loop thread */
    _Atomic uint64_t *bytes_written; /* the only writer); NULL: not counted */
};

struct conn {
    struct rbuf in;  /* the owner consumes from the front */
    struct outq out; /* the owner appends; the type sends and consumes */
    void *owner;
    int budget;   /* work the owner may still do in this wake-up; refilled by the type */
    bool in_filling; /* the type is receiving into c->in: the owner must not consume it now */

    /* Below: the types' (and conn_want's). */
    unsigned want;
    char *direct; /* with CONN_WANT_INPUT: receive up to direct_len bytes here, */
    size_t direct_len; /* bypassing c->in (the type may decline when it is small) */
    bool calling; /* inside the owner's event fn: conn_want records, the type acts after */
    bool closed;
    int fd;
    int budget_max;
    conn_event_fn on_event;
    conn_free_fn on_free;
    conn_peek_fn on_peek;
    _Atomic uint64_t *bytes_read, *bytes_written;
    const struct conn_type *type;
    struct event_loop *loop;
    struct event_handler ev; /* readiness types: the socket's watch on the loop */
    void *impl;              /* the type's own state, if it needs more */
};

/* A connection type: one per way of moving bytes. */
struct conn_type {
    const char *name;
    /* Take over c->fd on c->loop and start on c->want (initially input).
     * 0, or -1 with nothing started (conn_open then cleans up). */
    int (*start)(struct conn *c);
    /* Act on c->want: receive, yield, send, watch (also after each call of
     * the owner, without going through this table). */
    void (*want)(struct conn *c);
    /* Call the owner (RESUME) now, as a wake-up would; nothing during a
     * yield, which ends in one anyway. */
    void (*kick)(struct conn *c);
    /* Stop and cancel; once nothing is in flight, close the socket, free
     * the buffers and call on_free (conn_release). */
    void (*close)(struct conn *c);
    /* The peer, as memcached names it: "tcp:host:port", "tcp6:[host]:port",
     * "unix", or "unknown". */
    void (*describe)(const struct conn *c, char *buf, size_t cap);
    /* The TLS types' conn_tls_take; NULL for the others. */
    struct tls_stream *(*tls_take)(struct conn *c, int fd);
};

/* Take over the accepted socket fd on loop, with the type the loop calls
 * for, owned by owner through hooks; it starts wanting input. 0, or -1
 * (fd closed, nothing to free, the free fn not called). */
int conn_open(struct conn *c, struct event_loop *loop, int fd, const struct conn_hooks *hooks,
              void *owner);

/* Say what the owner wants next: CONN_WANT_* bits and, with INPUT, a
 * direct destination (or NULL). Inside the event fn it is recorded and
 * acted on when the fn returns; elsewhere at once. */
static inline void conn_want(struct conn *c, unsigned want, char *direct, size_t direct_len)
{
    c->want = want;
    c->direct = direct;
    c->direct_len = direct_len;
    if (!c->calling && !c->closed)
        c->type->want(c);
}

/* The owner has news of its own (a streamed reply got data): call its
 * event fn back (RESUME) with a fresh budget, from the loop's thread. */
void conn_kick(struct conn *c);

/* Close (see the lifetime rule above); once is enough. */
void conn_close(struct conn *c);

/* Describe the peer into buf (struct conn_type.describe). */
void conn_describe(const struct conn *c, char *buf, size_t cap);

/* The end the client connected to, as memcached's listen_addr: "tcp:host:
 * port", "tcp6:[host]:port" or "unix:path". 0, or -1 ("unknown"). */
int conn_describe_local(const struct conn *c, char *buf, size_t cap);

/* The peer in parts, as "watch connevents" shows it: host ("unknown" but
 * for TCP), port (0) and transport ("tcp", or "local" for a unix socket). */
void conn_peer_parts(const struct conn *c, char *host, size_t cap, unsigned *port,
                     const char **transport);

/* A TLS connection's session, taken out to go on with fd (a duplicate
 * of c's socket) in a thread of its own (tls_stream.h): the replication
 * feed a replica's "repl_sync" asks for. c then closes without a
 * close_notify. NULL: c is no TLS connection, it is still shaking hands
 * or has bytes unsent, or no memory. */
struct tls_stream *conn_tls_take(struct conn *c, int fd);

/* The type's name ("epoll", "io_uring", "tls"), for logs and tests. */
const char *conn_type_name(const struct conn *c);

#endif
