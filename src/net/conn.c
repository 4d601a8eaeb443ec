/*
 * conn.c: see conn.h. What every connection type shares: opening (the loop
 * picks the type), closing, the hand-over to the owner's free fn, and
 * naming the peer. The byte moving is in conn_epoll.c, conn_uring.c,
 * conn_tls.c and conn_tls_uring.c.
 */
#include "net/conn.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "net/conn_type.h"
#include "net/tls_session.h"

/* Where counts go that the owner does not want (a sink, never read). */
static _Atomic uint64_t uncounted;

int conn_open(struct conn *c, struct event_loop *loop, int fd, const struct conn_hooks *hooks,
              void *owner)
{
    c->fd = fd;
    c->loop = loop;
    c->owner = owner;
    rbuf_init(&c->in);
    outq_init(&c->out, hooks->release, hooks->release_ctx);
    c->on_event = hooks->event;
    c->on_free = hooks->free;
    c->on_peek = hooks->peek;
    c->budget = c->budget_max = hooks->budget;
    c->bytes_read = hooks->bytes_read != NULL ? hooks->bytes_read : &uncounted;
    c->bytes_written = hooks->bytes_written != NULL ? hooks->bytes_written : &uncounted;
    c->want = CONN_WANT_INPUT;
    c->direct = NULL;
    c->direct_len = 0;
    c->in_filling = c->calling = c->closed = false;
    c->impl = NULL;
    c->ev.fd = fd;
    c->ev.mask = 0;
    /* a socket from a TLS listener has its session filed under fd (tls.h) */
    struct tls_session *tls = tls_session_claim(fd);
    bool ring = event_loop_uring(loop) != NULL;
    if (tls != NULL) {
        c->type = ring ? &conn_type_tls_uring : &conn_type_tls;
        c->impl = tls;
    } else {
        c->type = ring ? &conn_type_uring : &conn_type_epoll;
    }
    if (c->type->start(c) != 0) {
        close(fd);
        rbuf_free(&c->in);
        outq_free(&c->out);
        return -1;
    }
    return 0;
}

struct tls_stream *conn_tls_take(struct conn *c, int fd)
{
    return c->type->tls_take != NULL ? c->type->tls_take(c, fd) : NULL;
}

void conn_kick(struct conn *c)
{
    if (!c->closed)
        c->type->kick(c);
}

void conn_close(struct conn *c)
{
    if (c->closed)
        return;
    c->closed = true;
    c->type->close(c);
}

void conn_describe(const struct conn *c, char *buf, size_t cap)
{
    c->type->describe(c, buf, cap);
}

const char *conn_type_name(const struct conn *c)
{
    return c->type->name;
}

void conn_release(struct conn *c)
{
    rbuf_free(&c->in);
    outq_free(&c->out);
    c->on_free(c);
}

/* One end of fd (the peer's, or the local one): its family, the host as
 * text and the port; a unix socket's path goes to path. -1 when it cannot
 * be told. */
static int socket_end(int fd, bool peer, char *host, size_t hostcap, unsigned *port,
                      char *path, size_t pathcap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int rc = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
                  : getsockname(fd, (struct sockaddr *)&ss, &len);
    if (rc != 0)
        return -1;
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &a->sin_addr, host, (socklen_t)hostcap);
        *port = ntohs(a->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &a->sin6_addr, host, (socklen_t)hostcap);
        *port = ntohs(a->sin6_port);
    } else if (ss.ss_family == AF_UNIX) {
        if (path != NULL && pathcap > 0) {
            const char *sp = ((struct sockaddr_un *)&ss)->sun_path;
            size_t n = strnlen(sp, sizeof(((struct sockaddr_un *)0)->sun_path));
            n = n < pathcap ? n : pathcap - 1;
            memcpy(path, sp, n);
            path[n] = '\0';
        }
    } else {
        return -1;
    }
    return ss.ss_family;
}

/* memcached's spelling of a socket end: "tcp:host:port", "tcp6:[host]:port",
 * or for a unix socket "unix" and, when its path is wanted, ":path". */
static int describe_end(int fd, bool peer, char *buf, size_t cap)
{
    char host[INET6_ADDRSTRLEN] = "", path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1] = "";
    unsigned port = 0;
    switch (socket_end(fd, peer, host, sizeof(host), &port, path, sizeof(path))) {
    case AF_INET:
        snprintf(buf, cap, "tcp:%s:%u", host, port);
        return 0;
    case AF_INET6:
        snprintf(buf, cap, "tcp6:[%s]:%u", host, port);
        return 0;
    case AF_UNIX:
        if (peer)
            snprintf(buf, cap, "unix");
        else
            snprintf(buf, cap, "unix:%.*s", (int)(cap > 6 ? cap - 6 : 0), path);
        return 0;
    default:
        snprintf(buf, cap, "unknown");
        return -1;
    }
}

void conn_describe_socket(const struct conn *c, char *buf, size_t cap)
{
    describe_end(c->fd, true, buf, cap);
}

int conn_describe_local(const struct conn *c, char *buf, size_t cap)
{
    return describe_end(c->fd, false, buf, cap);
}

void conn_peer_parts(const struct conn *c, char *host, size_t cap, unsigned *port,
                     const char **transport)
{
    *port = 0;
    *transport = "tcp";
    int family = socket_end(c->fd, true, host, cap, port, NULL, 0);
    if (family == AF_UNIX)
        *transport = "local";
    if (family != AF_INET && family != AF_INET6)
        snprintf(host, cap, "unknown");
}
