#include "net/conn.h"

#include <errno.h>
#include <limits.h>
#include <unistd.h>

/* Enough for a deep pipeline of small replies in one syscall. */
#define FLUSH_IOV_MAX 128

void conn_init(struct conn *c, int fd, outq_release_fn release, void *release_ctx)
{
    c->ev.fd = fd;
    c->ev.mask = 0;
    rbuf_init(&c->in);
    outq_init(&c->out, release, release_ctx);
}

void conn_close(struct conn *c)
{
    if (c->ev.fd >= 0)
        close(c->ev.fd);
    c->ev.fd = -1;
    rbuf_free(&c->in);
    outq_free(&c->out);
}

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
    ssize_t n = read(c->ev.fd, c->in.data + c->in.end, room);
    enum conn_io r = read_result(n, nread);
    if (r == CONN_IO_OK)
        c->in.end += *nread;
    *drained = *nread < room;
    return r;
}

enum conn_io conn_read_into(struct conn *c, char *dst, size_t len, size_t *nread, bool *drained)
{
    enum conn_io r = read_result(read(c->ev.fd, dst, len), nread);
    *drained = *nread < len;
    return r;
}

enum conn_io conn_flush(struct conn *c, size_t *nwritten)
{
    struct iovec iov[FLUSH_IOV_MAX];
    *nwritten = 0;
    while (!outq_empty(&c->out)) {
        size_t n = outq_iov(&c->out, iov, FLUSH_IOV_MAX);
        ssize_t w = writev(c->ev.fd, iov, (int)n);
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
