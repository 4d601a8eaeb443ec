/*
 * conn.c: see conn.h. What every connection type shares: opening (the loop
 * picks the type), closing, the hand-over to the owner's free fn, and
 * naming the peer. The byte moving is in conn_epoll.c and conn_uring.c.
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
    c->type = event_loop_uring(loop) != NULL ? &conn_type_uring : &conn_type_epoll;
    if (c->type->start(c) != 0) {
        close(fd);
        rbuf_free(&c->in);
        outq_free(&c->out);
        return -1;
    }
    return 0;
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

void conn_describe_socket(const struct conn *c, char *buf, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    snprintf(buf, cap, "unknown");
    if (getpeername(c->fd, (struct sockaddr *)&ss, &len) != 0)
        return;
    char host[INET6_ADDRSTRLEN] = "";
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
        snprintf(buf, cap, "tcp:%s:%u", host, ntohs(a->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
        snprintf(buf, cap, "tcp6:[%s]:%u", host, ntohs(a->sin6_port));
    } else if (ss.ss_family == AF_UNIX) {
        snprintf(buf, cap, "unix");
    }
}
