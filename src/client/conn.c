/*
 * conn.c: one TCP connection per server: non-blocking connect with a
 * deadline, and raw reads/writes between the socket and the server's
 * buffers.  Knows nothing of the protocol or of requests.
 */
#include "client/client.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* The connection keeps the deadlines, so the clock lives here, at the
 * bottom of the client's files: pool.c, async.c and run.c read it too. */
int64_t client_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

mnemo_status conn_open(struct mnemo_client *c, struct server *s)
{
    struct addrinfo hints, *res = NULL;
    char port[8];
    int fd, one = 1;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    snprintf(port, sizeof(port), "%u", (unsigned)s->port);
    /* getaddrinfo may block on DNS; numeric addresses do not. */
    if (getaddrinfo(s->host, port, &hints, &res) != 0 || res == NULL)
        return MNEMO_ECONNECT;
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        freeaddrinfo(res);
        return MNEMO_ECONNECT;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    int rc = connect(fd, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    if (rc != 0 && errno != EINPROGRESS) {
        close(fd);
        return MNEMO_ECONNECT;
    }
    s->fd = fd;
    s->state = rc == 0 ? CONN_CONNECTED : CONN_CONNECTING;
    s->deadline_ms = client_now_ms() +
                     (rc == 0 ? c->opts.io_timeout_ms : c->opts.connect_timeout_ms);
    return MNEMO_OK;
}

mnemo_status conn_finish(struct server *s)
{
    int err = 0;
    socklen_t len = sizeof(err);

    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
        return MNEMO_ECONNECT;
    s->state = CONN_CONNECTED;
    return MNEMO_OK;
}

mnemo_status conn_write(struct server *s)
{
    while (buf_used(&s->out) > 0) {
        ssize_t n = send(s->fd, buf_head(&s->out), buf_used(&s->out), MSG_NOSIGNAL);
        if (n > 0) {
            buf_consume(&s->out, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return MNEMO_OK;
        return MNEMO_EIO;
    }
    return MNEMO_OK;
}

int conn_read(struct server *s)
{
    for (;;) {
        if (buf_reserve(&s->in, 16384) != 0)
            return MNEMO_ENOMEM;
        ssize_t n = recv(s->fd, s->in.data + s->in.len, s->in.cap - s->in.len, 0);
        if (n > 0) {
            s->in.len += (size_t)n;
            if (s->in.len < s->in.cap)
                return 0; /* short read: the socket is drained */
            continue;
        }
        if (n == 0)
            return 1;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        return MNEMO_EIO;
    }
}

int conn_stale(struct server *s)
{
    char b;

    if (s->state != CONN_CONNECTED)
        return 0;
    ssize_t n = recv(s->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
        return 1;
    return n > 0; /* unsolicited bytes on an idle connection: drop it too */
}

void conn_close(struct server *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    s->state = CONN_CLOSED;
    buf_clear(&s->in);
    buf_clear(&s->out);
}
