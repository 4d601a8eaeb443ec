/*
 * conn.h: the byte-moving half of a connection, shared by the server and
 * the proxy: a socket, its read buffer and its output queue. What the bytes
 * mean is the owner's business (server/session.c); this module only reads
 * into the buffer and writes the queue out with writev(2), without blocking.
 */
#ifndef MNEMO_NET_CONN_H
#define MNEMO_NET_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/outq.h"
#include "common/rbuf.h"
#include "net/event.h"

struct conn {
    struct event_handler ev; /* ev.fd is the socket */
    struct rbuf in;
    struct outq out;
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

#endif
