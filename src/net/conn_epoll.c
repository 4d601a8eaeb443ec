/*
 * conn_epoll.c: the readiness connection type, on the loop's epoll set
 * (net/event.h). One wake-up (a readiness event, or conn_kick) goes:
 *
 *   writable ─▶ send the queue ─▶ owner (OUTPUT; RESUME after a yield)
 *   readable, input wanted ─▶ read ─▶ owner (INPUT / DIRECT) ─▶ read ...
 *        until the socket is drained, input is not wanted or the budget
 *        is spent (one budget for the whole wake-up)
 *   send what the owner queued ─▶ watch for what it wants next
 *
 * Watching is level-triggered: readable while input is wanted, writable
 * while output is queued or the owner yields (writable fires at once, so
 * the other connections' events of this round come first).
 *
 * The wake-up and settle are shared with conn_tls.c (conn_type.h's
 * conn_ready_*), which reads and sends through OpenSSL instead.
 *
 * It talks to its sockets with recv, send and sendmsg rather than read and
 * writev: the socket calls skip the file layer's checks and notifications,
 * and one buffer (most replies) needs no iovec at all.
 */
#include "net/conn.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "net/conn_type.h"
#include "net/event.h"

/* Enough for a deep pipeline of small replies in one syscall. */
#define FLUSH_IOV_MAX 128

/* One recv: into the direct destination when the owner named one (*direct
 * set), else into c->in. *drained: the read came back short, so the socket
 * is very likely empty (reading again just to see EAGAIN costs a syscall
 * per request; memcached stops on a short read too). */
static enum conn_io sock_read(struct conn *c, size_t *nread, bool *drained, bool *direct)
{
    char *dst;
    size_t room;
    if (!conn_read_dest(c, &dst, &room, direct))
        return CONN_IO_ERROR;
    ssize_t n = recv(c->fd, dst, room, 0);
    *nread = n > 0 ? (size_t)n : 0;
    *drained = *nread < room;
    if (n > 0) {
        if (!*direct)
            c->in.end += (size_t)n;
        return CONN_IO_OK;
    }
    if (n == 0)
        return CONN_IO_CLOSED;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return CONN_IO_AGAIN;
    return CONN_IO_ERROR;
}

/* Send the queue until it is empty or the socket would block; *sent gets
 * the byte count. CONN_IO_OK (empty, or held: CONN_WANT_HOLD), CONN_IO_AGAIN or
 * CONN_IO_ERROR. No syscall when the queue is empty. */
static enum conn_io sock_send(struct conn *c, size_t *sent)
{
    struct iovec iov[FLUSH_IOV_MAX];
    *sent = 0;
    if (c->want & CONN_WANT_HOLD)
        return CONN_IO_OK;
    while (!outq_empty(&c->out)) {
        size_t n = outq_iov(&c->out, iov, FLUSH_IOV_MAX);
        ssize_t w;
        if (n == 1) {
            w = send(c->fd, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL);
        } else {
            struct msghdr msg = {.msg_iov = iov, .msg_iovlen = n};
            w = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
        }
        if (w < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return CONN_IO_AGAIN;
            if (errno == EINTR)
                continue;
            return CONN_IO_ERROR;
        }
        *sent += (size_t)w;
        conn_count(c->bytes_written, (size_t)w);
        outq_consume(&c->out, (size_t)w);
    }
    return CONN_IO_OK;
}

/* Call the owner; false when it closed c (then released here). */
static bool call(struct conn *c, enum conn_event ev, size_t n)
{
    if (conn_call(c, ev, n))
        return true;
    conn_release(c);
    return false;
}

/* A socket error: nothing left to answer; the owner closes. */
static void fail(struct conn *c)
{
    call(c, CONN_EV_ERROR, 0);
}

/* The end of a wake-up (and struct conn_type.want): send what is queued;
 * if the owner waits on output and some went, tell it (it may take up
 * requests a backed-up queue held, or feed a stream) and send again; then
 * watch for what it wants. Writable is watched while output is queued, the
 * owner yields, or it waits on output that went since it was told (the
 * next round tells it; one call per settle keeps a stream from keeping the
 * loop to itself). */
void conn_ready_settle(struct conn *c, const struct conn_ready_io *io)
{
    size_t sent;
    if (io->send(c, &sent) == CONN_IO_ERROR) {
        fail(c);
        return;
    }
    if (sent > 0 && (c->want & CONN_WANT_OUTPUT)) {
        if (!call(c, CONN_EV_OUTPUT, sent))
            return;
        if (io->send(c, &sent) == CONN_IO_ERROR) {
            fail(c);
            return;
        }
    }
    if ((c->want & CONN_WANT_CLOSE) && outq_empty(&c->out) && !call(c, CONN_EV_OUTPUT, 0))
        return;
    uint32_t mask = io->watch != NULL ? io->watch(c) : 0;
    if (c->want & CONN_WANT_INPUT)
        mask |= EVENT_READ;
    if ((!outq_empty(&c->out) && !(c->want & CONN_WANT_HOLD)) || (c->want & CONN_WANT_YIELD) ||
        (sent > 0 && (c->want & CONN_WANT_OUTPUT)))
        mask |= EVENT_WRITE;
    if (event_modify(c->loop, &c->ev, mask) != 0)
        fail(c);
}

void conn_ready_wake(struct conn *c, uint32_t events, const struct conn_ready_io *io)
{
    c->budget = c->budget_max;
    /* Writable (or a yield to end): send, then let the owner go on with
     * what it holds before anything new is read. */
    if ((events & EVENT_WRITE) || (c->want & CONN_WANT_YIELD)) {
        size_t sent = 0;
        if ((events & EVENT_WRITE) && io->send(c, &sent) == CONN_IO_ERROR) {
            fail(c);
            return;
        }
        if (!call(c, (c->want & CONN_WANT_YIELD) ? CONN_EV_RESUME : CONN_EV_OUTPUT, sent))
            return;
    }
    if ((events & EVENT_READ) && (c->want & CONN_WANT_INPUT) && c->budget > 0) {
        for (;;) {
            size_t n;
            bool drained, direct;
            enum conn_io r = io->read(c, &n, &drained, &direct);
            if (r == CONN_IO_AGAIN)
                break;
            if (r == CONN_IO_CLOSED) {
                if (!call(c, CONN_EV_PEER_CLOSED, 0))
                    return;
                break;
            }
            if (r == CONN_IO_ERROR) {
                fail(c);
                return;
            }
            conn_count(c->bytes_read, n);
            if (!call(c, direct ? CONN_EV_DIRECT : CONN_EV_INPUT, n))
                return;
            if (drained || !(c->want & CONN_WANT_INPUT) || c->budget <= 0)
                break;
        }
    }
    conn_ready_settle(c, io);
}

static const struct conn_ready_io socket_io = {.read = sock_read, .send = sock_send};

static void settle(struct conn *c)
{
    conn_ready_settle(c, &socket_io);
}

static void on_ready(struct event_handler *h, uint32_t events)
{
    conn_ready_wake(h->arg, events, &socket_io);
}

static int ep_start(struct conn *c)
{
    return event_add(c->loop, &c->ev, c->fd, EVENT_READ, on_ready, c);
}

/* A kick runs as a writable wake-up: send, then the owner, then settle. */
static void ep_kick(struct conn *c)
{
    conn_ready_wake(c, EVENT_WRITE, &socket_io);
}

/* Nothing is ever in flight here: close at once, release once the owner's
 * call (if in one) has returned. */
static void ep_close(struct conn *c)
{
    event_del(c->loop, &c->ev);
    close(c->fd);
    if (!c->calling)
        conn_release(c);
}

const struct conn_type conn_type_epoll = {
    .name = "epoll",
    .start = ep_start,
    .want = settle,
    .kick = ep_kick,
    .close = ep_close,
    .describe = conn_describe_socket,
};
