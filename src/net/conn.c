#include "net/conn.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Enough for a deep pipeline of small replies in one syscall. */
#define FLUSH_IOV_MAX 128

void conn_init(struct conn *c, int fd, outq_release_fn release, void *release_ctx)
{
    c->ev.fd = fd;
    c->ev.mask = 0;
    c->busy = 0;
    c->cr = NULL;
    rbuf_init(&c->in);
    outq_init(&c->out, release, release_ctx);
}

void conn_close(struct conn *c)
{
    if (c->cr != NULL)
        uring_fd_unregister(c->cr->ring, c->ev.fd);
    if (c->ev.fd >= 0)
        close(c->ev.fd);
    c->ev.fd = -1;
    rbuf_free(&c->in);
    outq_free(&c->out);
    free(c->cr);
    c->cr = NULL;
}

/* Readiness mode. It talks to its sockets with recv, send and sendmsg rather
 * than read and writev: the socket calls skip the file layer's checks and
 * notifications, and one buffer (most replies) needs no iovec at all. */

static enum conn_io read_result(ssize_t n, size_t *nread)
{
    if (n > 0) {
        *nread = (size_t)n;
        return CONN_IO_OK;
    }
    *nread = 0;
    if (n == 0)
        return CONN_IO_CLOSED;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return CONN_IO_AGAIN;
    return CONN_IO_ERROR;
}

enum conn_io conn_read(struct conn *c, size_t *nread, bool *drained)
{
    /* Ask for at least 4 KiB of room; the buffer doubles when a line or a
     * pipeline outgrows it. */
    size_t room = rbuf_space(&c->in, 4096);
    if (room == 0)
        return CONN_IO_ERROR;
    ssize_t n = recv(c->ev.fd, c->in.data + c->in.end, room, 0);
    enum conn_io r = read_result(n, nread);
    if (r == CONN_IO_OK)
        c->in.end += *nread;
    *drained = *nread < room;
    return r;
}

enum conn_io conn_read_into(struct conn *c, char *dst, size_t len, size_t *nread, bool *drained)
{
    enum conn_io r = read_result(recv(c->ev.fd, dst, len, 0), nread);
    *drained = *nread < len;
    return r;
}

enum conn_io conn_flush(struct conn *c, size_t *nwritten)
{
    struct iovec iov[FLUSH_IOV_MAX];
    *nwritten = 0;
    while (!outq_empty(&c->out)) {
        size_t n = outq_iov(&c->out, iov, FLUSH_IOV_MAX);
        ssize_t w;
        if (n == 1) {
            w = send(c->ev.fd, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL);
        } else {
            struct msghdr msg = {.msg_iov = iov, .msg_iovlen = n};
            w = sendmsg(c->ev.fd, &msg, MSG_NOSIGNAL);
        }
        if (w < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return CONN_IO_AGAIN;
            if (errno == EINTR)
                continue;
            return CONN_IO_ERROR;
        }
        *nwritten += (size_t)w;
        outq_consume(&c->out, (size_t)w);
    }
    return CONN_IO_OK;
}

/* Completion mode. */

/* An arrival in provided buffer id: copy it to the input buffer (a
 * memcpy of a request is cheaper than keeping the buffer out of the ring
 * until it is parsed) and give the buffer back at once. */
static int take_arrival(struct conn *c, unsigned id, int res)
{
    struct uring *ring = c->cr->ring;
    int rc = 0;
    if (res > 0) {
        if (rbuf_space(&c->in, (size_t)res) == 0) {
            rc = -ENOMEM;
        } else {
            memcpy(c->in.data + c->in.end, uring_buf(ring, id), (size_t)res);
            c->in.end += (size_t)res;
        }
    }
    uring_buf_recycle(ring, id);
    return rc;
}

static void recv_done(struct uring_op *op, int res, unsigned flags)
{
    struct conn *c = op->arg;
    struct conn_ring *cr = c->cr;
    if (cr->recv_multishot) {
        if ((flags & URING_F_BUFFER) && take_arrival(c, URING_BUF_ID(flags), res) != 0)
            res = -ENOMEM;
        if (!(flags & URING_F_MORE)) {
            c->busy &= ~CONN_OP_RECV;
            cr->recv_multishot = cr->recv_stopping = false;
            /* The ring ran dry: bytes are likely waiting for a plain receive. */
            cr->recv_filled = res == -ENOBUFS;
            if (res == -EINVAL) {
                uring_drop_bufs(cr->ring); /* a kernel without multishot receives */
                res = -EAGAIN;
            }
        }
        cr->done(c, CONN_OP_RECV, res);
        return;
    }
    c->busy &= ~CONN_OP_RECV;
    cr->recv_filled = res > 0 && (size_t)res == cr->recv_len;
    if (res > 0 && cr->recv_into_buffer)
        c->in.end += (size_t)res;
    cr->done(c, CONN_OP_RECV, res);
}

/* Where an arrival's bytes are before recv_done takes them. */
static void recv_peek(struct uring_op *op, int res, unsigned flags)
{
    struct conn *c = op->arg;
    struct conn_ring *cr = c->cr;
    if (res <= 0 || cr->peek == NULL || rbuf_len(&c->in) > 0)
        return;
    if (cr->recv_multishot && (flags & URING_F_BUFFER))
        cr->peek(c, uring_buf(cr->ring, URING_BUF_ID(flags)), (size_t)res);
    else if (!cr->recv_multishot && cr->recv_into_buffer)
        cr->peek(c, c->in.data + c->in.end, (size_t)res);
}

static void send_done(struct uring_op *op, int res, unsigned flags)
{
    (void)flags;
    struct conn *c = op->arg;
    c->busy &= ~CONN_OP_SEND;
    if (res > 0)
        outq_consume(&c->out, (size_t)res);
    c->cr->done(c, CONN_OP_SEND, res);
}

static void yield_done(struct uring_op *op, int res, unsigned flags)
{
    (void)flags;
    struct conn *c = op->arg;
    c->busy &= ~CONN_OP_YIELD;
    c->cr->done(c, CONN_OP_YIELD, res);
}

int conn_use_ring(struct conn *c, struct uring *ring, conn_done_fn done, void *owner)
{
    struct conn_ring *cr = calloc(1, sizeof(*cr));
    if (cr == NULL)
        return -1;
    cr->ring = ring;
    cr->done = done;
    cr->recv_op = (struct uring_op){.fn = recv_done, .arg = c, .peek = recv_peek};
    cr->send_op = (struct uring_op){.fn = send_done, .arg = c};
    cr->yield_op = (struct uring_op){.fn = yield_done, .arg = c};
    c->cr = cr;
    c->ev.arg = owner;
    uring_fd_register(ring, c->ev.fd);
    return 0;
}

void conn_set_peek(struct conn *c, conn_peek_fn peek)
{
    c->cr->peek = peek;
}

int conn_submit_recv(struct conn *c, char *dst, size_t len, bool poll_first)
{
    struct conn_ring *cr = c->cr;
    cr->recv_into_buffer = dst == NULL;
    if (dst == NULL) {
        /* A receive costs a loop iteration here, not just a syscall: when
         * the last one filled the buffer (a deep pipeline), take up to
         * 64 KiB at once. */
        len = rbuf_space(&c->in, cr->recv_filled ? 65536 : 4096);
        if (len == 0)
            return -1;
        dst = c->in.data + c->in.end;
    }
    if (len > (1u << 30))
        len = 1u << 30;
    cr->recv_len = len;
    cr->recv_multishot = false;
    if (uring_prep_recv(cr->ring, &cr->recv_op, c->ev.fd, dst, len, poll_first) != 0)
        return -1;
    c->busy |= CONN_OP_RECV;
    return 0;
}

bool conn_can_multishot(const struct conn *c)
{
    return uring_has_bufs(c->cr->ring);
}

int conn_submit_recv_multishot(struct conn *c)
{
    struct conn_ring *cr = c->cr;
    if (uring_prep_recv_multishot(cr->ring, &cr->recv_op, c->ev.fd) != 0)
        return -1;
    cr->recv_multishot = true;
    cr->recv_stopping = false;
    cr->recv_into_buffer = false;
    c->busy |= CONN_OP_RECV;
    return 0;
}

bool conn_recv_multishot(const struct conn *c)
{
    return (c->busy & CONN_OP_RECV) && c->cr->recv_multishot;
}

void conn_stop_recv(struct conn *c)
{
    struct conn_ring *cr = c->cr;
    if (!conn_recv_multishot(c) || cr->recv_stopping)
        return;
    if (uring_prep_cancel(cr->ring, &cr->recv_op) == 0)
        cr->recv_stopping = true;
}

int conn_submit_send(struct conn *c)
{
    struct conn_ring *cr = c->cr;
    if ((c->busy & CONN_OP_SEND) || outq_empty(&c->out))
        return 0;
    /* The iovecs are copied here, so the queue may grow (and move its
     * entry array) meanwhile; the bytes they point at stay put until the
     * completion consumes them. */
    size_t n = outq_iov(&c->out, cr->iov, CONN_SEND_IOV);
    int rc;
    if (n == 1) {
        /* One buffer (small replies are copied into one): a plain send
         * spares the kernel copying and checking a msghdr and an iovec
         * array per reply. */
        rc = uring_prep_send(cr->ring, &cr->send_op, c->ev.fd, cr->iov[0].iov_base,
                             cr->iov[0].iov_len);
    } else {
        memset(&cr->msg, 0, sizeof(cr->msg));
        cr->msg.msg_iov = cr->iov;
        cr->msg.msg_iovlen = n;
        rc = uring_prep_sendmsg(cr->ring, &cr->send_op, c->ev.fd, &cr->msg);
    }
    if (rc != 0)
        return -1;
    c->busy |= CONN_OP_SEND;
    return 0;
}

int conn_submit_yield(struct conn *c)
{
    if (c->busy & CONN_OP_YIELD)
        return 0;
    if (uring_prep_nop(c->cr->ring, &c->cr->yield_op) != 0)
        return -1;
    c->busy |= CONN_OP_YIELD;
    return 0;
}

void conn_cancel(struct conn *c)
{
    if (c->busy & CONN_OP_RECV)
        uring_prep_cancel(c->cr->ring, &c->cr->recv_op);
    if (c->busy & CONN_OP_SEND)
        uring_prep_cancel(c->cr->ring, &c->cr->send_op);
}
