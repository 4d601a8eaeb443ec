/*
 * conn.h: the byte-moving half of a connection, shared by the server and
 * the proxy: a socket, its read buffer and its output queue. What the bytes
 * mean is the owner's business (server/session.c); this module only reads
 * into the buffer and writes the queue out, without blocking.
 *
 * Two ways to move the bytes, chosen per connection by the loop it is on:
 *   readiness (epoll): the owner calls conn_read/conn_flush when the socket
 *     is ready;
 *   completion (io_uring): the owner queues at most one receive, one send
 *     and one yield at a time (conn_submit_*); each finishes by calling
 *     the owner's conn_done_fn in the loop's thread. A receive into the
 *     buffer has already advanced it; a send has already consumed (and
 *     released) what it sent. Queued bytes stay valid while a send is in
 *     flight, because the queue only drops them on its completion.
 *
 *     The receive may be multishot: armed once, it reports every arrival
 *     until stopped. Arrivals land in the ring's provided buffers (shared
 *     by the loop's connections), are appended to the input buffer here and
 *     the provided buffer handed straight back, so the kernel never writes
 *     into the input buffer and the owner may consume it meanwhile:
 *
 *       socket ─▶ provided buffer ─▶ memcpy ─▶ c->in ─▶ done(RECV, n)
 *                       ▲                │
 *                       └── recycled ────┘
 */
#ifndef MNEMO_NET_CONN_H
#define MNEMO_NET_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "common/outq.h"
#include "common/rbuf.h"
#include "net/event.h"
#include "net/uring.h"

/* Completion-mode operations, as bits of conn.busy. */
#define CONN_OP_RECV 0x1u
#define CONN_OP_SEND 0x2u
#define CONN_OP_YIELD 0x4u

/* Replies gathered into one send; more wait for the next. */
#define CONN_SEND_IOV 64

struct conn;
typedef void (*conn_done_fn)(struct conn *c, unsigned op, int res);
/* len bytes have arrived at data, not yet in c->in, which holds no partial
 * request: a look ahead, before the batch is handled (uring_set_peek_end). */
typedef void (*conn_peek_fn)(struct conn *c, const char *data, size_t len);

/* What the completion mode needs, allocated only on a ring. */
struct conn_ring {
    struct uring *ring;
    conn_done_fn done;
    conn_peek_fn peek; /* NULL: arrivals are not shown ahead */
    struct uring_op recv_op, send_op, yield_op;
    bool recv_into_buffer;
    bool recv_filled;    /* the last receive filled its space: likely more waiting */
    bool recv_multishot; /* the receive in flight is multishot */
    bool recv_stopping;  /* ... and its cancellation has been asked for */
    size_t recv_len;
    struct msghdr msg;
    struct iovec iov[CONN_SEND_IOV];
};

struct conn {
    struct event_handler ev; /* ev.fd is the socket; ev.arg the owner */
    struct rbuf in;
    struct outq out;
    unsigned busy;           /* CONN_OP_* in flight (completion mode) */
    struct conn_ring *cr;    /* NULL in readiness mode */
};

enum conn_io {
    CONN_IO_OK = 0,       /* progress made */
    CONN_IO_AGAIN = 1,    /* would block */
    CONN_IO_CLOSED = -1,  /* peer closed */
    CONN_IO_ERROR = -2    /* socket error or out of memory */
};

/* Initialise buffers; release is called for each zero-copy reference. */
void conn_init(struct conn *c, int fd, outq_release_fn release, void *release_ctx);

/* Close the socket and free buffers (releasing queued references). */
void conn_close(struct conn *c);

/* One read(2) into the input buffer. *nread gets the byte count; *drained
 * is set when the read came back short, i.e. the socket is very likely
 * empty: with level-triggered epoll, reading again just to see EAGAIN costs
 * a syscall per request (memcached stops on a short read too). */
enum conn_io conn_read(struct conn *c, size_t *nread, bool *drained);

/* One read(2) of up to len bytes straight into dst (a value being received
 * into item memory, bypassing the input buffer). */
enum conn_io conn_read_into(struct conn *c, char *dst, size_t len, size_t *nread, bool *drained);

/* writev(2) the queue until it is empty or the socket would block.
 * *nwritten gets the byte count. OK means the queue is empty. */
enum conn_io conn_flush(struct conn *c, size_t *nwritten);

/* Switch c to completion mode on ring; done(c, op, res) reports each
 * finished operation (res: bytes, 0 at end of stream, or -errno). owner
 * goes to c->ev.arg. 0, or -1 when out of memory. */
int conn_use_ring(struct conn *c, struct uring *ring, conn_done_fn done, void *owner);

/* On a ring: show arrivals to peek ahead of their batch (conn_peek_fn). */
void conn_set_peek(struct conn *c, conn_peek_fn peek);

/* Queue one receive: into the input buffer when dst is NULL (at least
 * 4 KiB of room), else up to len bytes straight into dst. poll_first: data
 * is unlikely to be there yet, so do not try before the socket is ready.
 * 0, or -1 (out of memory or a full ring). */
int conn_submit_recv(struct conn *c, char *dst, size_t len, bool poll_first);

/* Whether c's ring offers multishot receives (provided buffers). */
bool conn_can_multishot(const struct conn *c);

/* Arm a multishot receive (conn_can_multishot). Each arrival is appended to
 * the input buffer, then done(c, CONN_OP_RECV, bytes) runs with
 * CONN_OP_RECV still in busy. Its end reports done(c, CONN_OP_RECV, res)
 * with the bit cleared; res is then the bytes of a last arrival, 0 at end
 * of stream, -ENOBUFS when the ring ran out of buffers (the next receive
 * had better be a plain one), -ECANCELED after conn_stop_recv, -EAGAIN
 * when the kernel refused multishot receives (none are offered from then
 * on), or another -errno. 0, or -1 when the ring is full. */
int conn_submit_recv_multishot(struct conn *c);

/* True while a multishot receive is armed (possibly stopping). */
bool conn_recv_multishot(const struct conn *c);

/* Ask an armed multishot receive to end (once; no-op otherwise). Arrivals
 * already under way may still be reported before its end. */
void conn_stop_recv(struct conn *c);

/* Queue one send of the output queue's first bytes, unless one is in
 * flight or the queue is empty. 0 or -1. */
int conn_submit_send(struct conn *c);

/* Queue a no-op whose completion comes back after the others already
 * waiting: lets other connections run before this one continues. */
int conn_submit_yield(struct conn *c);

/* Ask to cancel the receive and send in flight. The owner must not free
 * c until busy is 0 (each op still completes). */
void conn_cancel(struct conn *c);

#endif
