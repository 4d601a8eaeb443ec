/*
 * conn_uring.c: the completion connection type, on the loop's io_uring
 * (net/uring.c). At most one receive, one send and one yield are in flight
 * per connection, and each completion that concerns the owner is a wake-up
 * of its own (a fresh budget):
 *
 *   receive: normally multishot, armed once while input is wanted. Arrivals
 *     land in the ring's provided buffers (shared by the loop's
 *     connections), are appended to c->in here and the buffer handed
 *     straight back, so the kernel never writes into c->in and the owner
 *     may consume it meanwhile:
 *
 *       socket ─▶ provided buffer ─▶ memcpy ─▶ c->in ─▶ owner (INPUT)
 *                       ▲                │
 *                       └── recycled ────┘
 *
 *     A plain receive (no provided buffers, they ran out, or the last
 *     receive filled its space) writes into c->in itself: c->in_filling keeps
 *     the owner off c->in until it completes. A large rest of a value goes
 *     straight to the owner's direct destination.
 *   send: the queue's first SEND_IOV pieces. The queue drops them only on
 *     completion, so they stay valid in flight; the rest follows at once.
 *   yield: a no-op whose completion comes after those already waiting.
 *
 * The owner hears of sends only when it asked (CONN_WANT_OUTPUT, _CLOSE),
 * and of nothing during a yield but an error: arrivals meanwhile are only
 * buffered (up to YIELD_IN_MAX), an end of stream is told at the yield's
 * end. The loop submits every connection's operations in one syscall.
 */
#include "net/conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "net/conn_type.h"
#include "net/event.h"
#include "net/uring.h"

#define OP_RECV 0x1u
#define OP_SEND 0x2u
#define OP_YIELD 0x4u

/* Replies gathered into one send; more wait for its completion. */
#define SEND_IOV 64

/* A direct receive at least this large goes straight to its destination;
 * a smaller one comes through c->in with what follows it, as each receive
 * costs a loop iteration here. */
#define DIRECT_MIN 16384

/* A multishot receive is stopped while a yielding owner has more than this
 * buffered, so a client cannot make it buffer without bound. */
#define YIELD_IN_MAX (256u * 1024)

enum recv_kind { RECV_BUFFER, RECV_DIRECT, RECV_MULTISHOT };

struct ring_conn {
    struct uring *ring;
    unsigned busy; /* OP_* in flight */
    enum recv_kind recv_kind;
    bool recv_filled;   /* the last receive filled its space: likely more waiting */
    bool recv_stopping; /* the armed multishot receive's cancellation is asked for */
    bool eof_held;      /* the peer closed during a yield: told at its end */
    size_t recv_len;
    struct uring_op recv_op, send_op, yield_op;
    struct msghdr msg;
    struct iovec iov[SEND_IOV];
};

/* Closed and nothing in flight: the end. */
static void finish(struct conn *c)
{
    struct ring_conn *r = c->impl;
    uring_fd_unregister(r->ring, c->fd);
    close(c->fd);
    free(r);
    c->impl = NULL;
    conn_release(c);
}

/* Call the owner; false when it closed c (released here once idle). */
static bool call(struct conn *c, enum conn_event ev, size_t n)
{
    if (conn_call(c, ev, n))
        return true;
    if (((struct ring_conn *)c->impl)->busy == 0)
        finish(c);
    return false;
}

static int submit_send(struct conn *c, struct ring_conn *r)
{
    if ((r->busy & OP_SEND) || outq_empty(&c->out) || (c->want & CONN_WANT_HOLD))
        return 0;
    /* The iovecs are copied here, so the queue may grow (and move its
     * entry array) meanwhile; the bytes they point at stay put until the
     * completion consumes them. */
    size_t n = outq_iov(&c->out, r->iov, SEND_IOV);
    int rc;
    if (n == 1) {
        /* One buffer (small replies are copied into one): a plain send
         * spares the kernel copying and checking a msghdr and an iovec
         * array per reply. */
        rc = uring_prep_send(r->ring, &r->send_op, c->fd, r->iov[0].iov_base, r->iov[0].iov_len);
    } else {
        memset(&r->msg, 0, sizeof(r->msg));
        r->msg.msg_iov = r->iov;
        r->msg.msg_iovlen = n;
        rc = uring_prep_sendmsg(r->ring, &r->send_op, c->fd, &r->msg);
    }
    if (rc != 0)
        return -1;
    r->busy |= OP_SEND;
    return 0;
}

/* Queue a receive: multishot when the ring offers it, else one plain
 * receive into c->in or (direct) into the owner's destination. */
static int submit_recv(struct conn *c, struct ring_conn *r, bool direct)
{
    if (!direct && uring_has_bufs(r->ring) && !r->recv_filled) {
        if (uring_prep_recv_multishot(r->ring, &r->recv_op, c->fd) != 0)
            return -1;
        r->recv_kind = RECV_MULTISHOT;
        r->recv_stopping = false;
    } else {
        char *dst = c->direct;
        size_t len = c->direct_len;
        if (!direct) {
            /* A receive costs a loop iteration here, not just a syscall:
             * when the last one filled the buffer (a deep pipeline), take
             * up to 64 KiB at once. */
            len = rbuf_space(&c->in, r->recv_filled ? 65536 : 4096);
            if (len == 0)
                return -1;
            dst = c->in.data + c->in.end;
        }
        if (len > (1u << 30))
            len = 1u << 30;
        /* Unless the last receive filled its space (a deep pipeline, a
         * large value, a multishot receive that ran out of buffers), the
         * next bytes are rarely there yet: wait for readiness rather than
         * try a receive that fails with EAGAIN. */
        if (uring_prep_recv(r->ring, &r->recv_op, c->fd, dst, len, !r->recv_filled) != 0)
            return -1;
        r->recv_len = len;
        r->recv_kind = direct ? RECV_DIRECT : RECV_BUFFER;
        c->in_filling = !direct;
    }
    r->busy |= OP_RECV;
    return 0;
}

/* Ask an armed multishot receive to end (once). Arrivals already under
 * way may still be reported before its end. */
static void stop_recv(struct ring_conn *r)
{
    if (!(r->busy & OP_RECV) || r->recv_kind != RECV_MULTISHOT || r->recv_stopping)
        return;
    if (uring_prep_cancel(r->ring, &r->recv_op) == 0)
        r->recv_stopping = true;
}

static void fail_queue(struct conn *c)
{
    log_warn("cannot queue connection I/O; closing the connection");
    call(c, CONN_EV_ERROR, 0);
}

/* Act on c->want (struct conn_type.want, and after each call of the
 * owner). Invariant: a plain receive into c->in is in flight only while
 * the owner waits for input, so c->in never moves under the kernel's feet;
 * a multishot receive keeps running while the owner consumes, and is
 * stopped while it must not: no input wanted (output backed up, a stream
 * holding its input, closing), a direct receive to come, or a yield with
 * YIELD_IN_MAX buffered. */
static void act(struct conn *c)
{
    struct ring_conn *r = c->impl;
    unsigned want = c->want;
    if (submit_send(c, r) != 0) {
        fail_queue(c);
        return;
    }
    if (want & CONN_WANT_CLOSE) {
        stop_recv(r);
        return;
    }
    bool input = want & CONN_WANT_INPUT;
    bool yield = want & CONN_WANT_YIELD;
    bool direct = input && c->direct != NULL && c->direct_len >= DIRECT_MIN;
    if (!input || direct || (yield && rbuf_len(&c->in) > YIELD_IN_MAX))
        stop_recv(r);
    if (r->busy & OP_YIELD)
        return;
    if (yield) {
        if (uring_prep_nop(r->ring, &r->yield_op) != 0) {
            fail_queue(c);
            return;
        }
        r->busy |= OP_YIELD;
        return;
    }
    if (!input || (r->busy & OP_RECV))
        return;
    if (submit_recv(c, r, direct) != 0)
        fail_queue(c);
}

/* A wake-up: the owner with a fresh budget, then what it wants. */
static void wake(struct conn *c, enum conn_event ev, size_t n)
{
    c->budget = c->budget_max;
    if (call(c, ev, n))
        act(c);
}

/* An arrival in provided buffer id: copy it to c->in (a memcpy of a
 * request is cheaper than keeping the buffer out of the ring until it is
 * parsed) and give the buffer back at once. */
static int take_arrival(struct conn *c, struct ring_conn *r, unsigned id, int res)
{
    int rc = 0;
    if (res > 0 && !c->closed) {
        if (rbuf_space(&c->in, (size_t)res) == 0) {
            rc = -ENOMEM;
        } else {
            memcpy(c->in.data + c->in.end, uring_buf(r->ring, id), (size_t)res);
            c->in.end += (size_t)res;
        }
    }
    uring_buf_recycle(r->ring, id);
    return rc;
}

static void recv_done(struct uring_op *op, int res, unsigned flags)
{
    struct conn *c = op->arg;
    struct ring_conn *r = c->impl;
    enum conn_event ev = CONN_EV_INPUT;
    if (r->recv_kind == RECV_MULTISHOT) {
        if ((flags & URING_F_BUFFER) && take_arrival(c, r, URING_BUF_ID(flags), res) != 0)
            res = -ENOMEM;
        if (uring_multishot_ended(r->ring, flags, &res)) {
            r->busy &= ~OP_RECV;
            r->recv_stopping = false;
            /* The ring ran dry: bytes are likely waiting for a plain receive. */
            r->recv_filled = res == -ENOBUFS;
        }
    } else {
        r->busy &= ~OP_RECV;
        r->recv_filled = res > 0 && (size_t)res == r->recv_len;
        if (r->recv_kind == RECV_DIRECT) {
            ev = CONN_EV_DIRECT;
        } else {
            c->in_filling = false;
            if (res > 0)
                c->in.end += (size_t)res;
        }
    }
    if (c->closed) {
        if (r->busy == 0)
            finish(c);
        return;
    }
    /* During a yield only buffer (a direct receive cannot be in flight
     * then: it needs c->in empty, a yield input left). */
    bool held = (r->busy & OP_YIELD) && ev != CONN_EV_DIRECT;
    if (res > 0) {
        conn_count(c->bytes_read, (size_t)res);
        if (held)
            act(c);
        else
            wake(c, ev, (size_t)res);
    } else if (res == 0) {
        if (held) {
            r->eof_held = true;
            act(c);
        } else {
            wake(c, CONN_EV_PEER_CLOSED, 0);
        }
    } else if (res == -EAGAIN || res == -EINTR || res == -ENOBUFS || res == -ECANCELED) {
        act(c); /* nothing arrived (or a multishot receive ended): queue one again */
    } else {
        call(c, CONN_EV_ERROR, 0);
    }
}

/* Where an arrival's bytes are before recv_done takes them. */
static void recv_peek(struct uring_op *op, int res, unsigned flags)
{
    struct conn *c = op->arg;
    struct ring_conn *r = c->impl;
    if (res <= 0 || c->closed || rbuf_len(&c->in) > 0)
        return;
    if (r->recv_kind == RECV_MULTISHOT && (flags & URING_F_BUFFER))
        c->on_peek(c, uring_buf(r->ring, URING_BUF_ID(flags)), (size_t)res);
    else if (r->recv_kind == RECV_BUFFER)
        c->on_peek(c, c->in.data + c->in.end, (size_t)res);
}

static void send_done(struct uring_op *op, int res, unsigned flags)
{
    (void)flags;
    struct conn *c = op->arg;
    struct ring_conn *r = c->impl;
    r->busy &= ~OP_SEND;
    if (res > 0)
        outq_consume(&c->out, (size_t)res);
    if (c->closed) {
        if (r->busy == 0)
            finish(c);
        return;
    }
    if (res < 0 && res != -EAGAIN && res != -EINTR) {
        call(c, CONN_EV_ERROR, 0);
        return;
    }
    size_t sent = res > 0 ? (size_t)res : 0;
    conn_count(c->bytes_written, sent);
    if (!(r->busy & OP_YIELD) && ((c->want & CONN_WANT_OUTPUT) ||
                                  ((c->want & CONN_WANT_CLOSE) && outq_empty(&c->out)))) {
        wake(c, CONN_EV_OUTPUT, sent);
        return;
    }
    if (submit_send(c, r) != 0)
        fail_queue(c);
}

static void yield_done(struct uring_op *op, int res, unsigned flags)
{
    (void)res;
    (void)flags;
    struct conn *c = op->arg;
    struct ring_conn *r = c->impl;
    r->busy &= ~OP_YIELD;
    if (c->closed) {
        if (r->busy == 0)
            finish(c);
        return;
    }
    enum conn_event ev = r->eof_held ? CONN_EV_PEER_CLOSED : CONN_EV_RESUME;
    r->eof_held = false;
    wake(c, ev, 0);
}

static int ring_start(struct conn *c)
{
    struct ring_conn *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return -1;
    r->ring = event_loop_uring(c->loop);
    r->recv_op = (struct uring_op){.fn = recv_done, .arg = c, .peek = c->on_peek != NULL ? recv_peek : NULL};
    r->send_op = (struct uring_op){.fn = send_done, .arg = c};
    r->yield_op = (struct uring_op){.fn = yield_done, .arg = c};
    c->impl = r;
    uring_fd_register(r->ring, c->fd);
    if (submit_recv(c, r, false) != 0) {
        uring_fd_unregister(r->ring, c->fd);
        free(r);
        c->impl = NULL;
        return -1;
    }
    return 0;
}

static void ring_kick(struct conn *c)
{
    struct ring_conn *r = c->impl;
    if (!(r->busy & OP_YIELD))
        wake(c, CONN_EV_RESUME, 0);
}

/* Cancel the receive and send in flight (a yield ends by itself); each
 * still completes, and the last completion finishes c. */
static void ring_close(struct conn *c)
{
    struct ring_conn *r = c->impl;
    if (r->busy & OP_RECV)
        uring_prep_cancel(r->ring, &r->recv_op);
    if (r->busy & OP_SEND)
        uring_prep_cancel(r->ring, &r->send_op);
    if (r->busy == 0 && !c->calling)
        finish(c);
}

const struct conn_type conn_type_uring = {
    .name = "io_uring",
    .start = ring_start,
    .want = act,
    .kick = ring_kick,
    .close = ring_close,
    .describe = conn_describe_socket,
};
