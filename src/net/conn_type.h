/*
 * conn_type.h: what the connection types (conn_epoll.c, conn_uring.c,
 * conn_tls.c, conn_tls_uring.c) share with conn.c. Owners include net/conn.h only and never learn which type
 * runs.
 */
#ifndef MNEMO_NET_CONN_TYPE_H
#define MNEMO_NET_CONN_TYPE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/conn.h"

extern const struct conn_type conn_type_epoll;
extern const struct conn_type conn_type_uring;
extern const struct conn_type conn_type_tls;
extern const struct conn_type conn_type_tls_uring;

/* Call the owner's event fn. False when the owner closed c meanwhile: the
 * type then releases c once nothing is in flight and touches it no more. */
static inline bool conn_call(struct conn *c, enum conn_event ev, size_t n)
{
    c->calling = true;
    c->on_event(c, ev, n);
    c->calling = false;
    return !c->closed;
}

/* Add n to one of the owner's counters (single writer: a plain add). */
static inline void conn_count(_Atomic uint64_t *counter, size_t n)
{
    atomic_store_explicit(counter, atomic_load_explicit(counter, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

/* Room asked of the input buffer per read by the readiness types; it
 * doubles when a line or a pipeline outgrows it. */
#define CONN_READ_ROOM 4096

/* Where a readiness type's next read goes: the owner's direct destination
 * (*direct), else the free room at the end of c->in. False when c->in
 * cannot grow. */
static inline bool conn_read_dest(struct conn *c, char **dst, size_t *room, bool *direct)
{
    *direct = c->direct != NULL;
    if (*direct) {
        *dst = c->direct;
        *room = c->direct_len;
        return true;
    }
    *room = rbuf_space(&c->in, CONN_READ_ROOM);
    if (*room == 0)
        return false;
    *dst = c->in.data + c->in.end;
    return true;
}

/*
 * The readiness types' shared wake-up (conn_epoll.c): one readiness event
 * or kick runs the owner on what io reads and sends; settle sends what the
 * owner queued and watches for what it wants next. conn_epoll.c's io is
 * the socket's, conn_tls.c's OpenSSL's.
 */
enum conn_io { CONN_IO_OK, CONN_IO_AGAIN, CONN_IO_CLOSED, CONN_IO_ERROR };

struct conn_ready_io {
    /* One read into the direct destination (*direct) or c->in; *drained:
     * nothing more is very likely waiting. */
    enum conn_io (*read)(struct conn *c, size_t *nread, bool *drained, bool *direct);
    /* Send c->out until empty or blocked (CONN_IO_OK when held); *sent. */
    enum conn_io (*send)(struct conn *c, size_t *sent);
    /* What to watch besides the owner's wants (TLS: what OpenSSL waits
     * for); NULL: nothing. */
    uint32_t (*watch)(const struct conn *c);
};

void conn_ready_wake(struct conn *c, uint32_t events, const struct conn_ready_io *io);
void conn_ready_settle(struct conn *c, const struct conn_ready_io *io);

/* The end of a closed connection with nothing in flight: free its
 * buffers (dropping queued references) and hand it to the owner's free fn.
 * The type has closed the socket and freed its own state before. */
void conn_release(struct conn *c);

/* struct conn_type.describe for a socket (every type so far). */
void conn_describe_socket(const struct conn *c, char *buf, size_t cap);

#endif
