/*
 * conn_tls.c: the TLS connection type of an epoll-only loop (-o
 * io_uring=off; a loop with a ring runs conn_tls_uring.c), a readiness
 * type like conn_epoll.c whose reads and sends go through OpenSSL:
 *
 *   accept ─▶ handshake (readable/writable as OpenSSL asks; a timer bounds it)
 *                │ done                          │ failed or timed out
 *                ▼                               ▼
 *   wake-ups as conn_epoll.c's, with         owner: ERROR (it closes);
 *   SSL_read / SSL_write for recv / send     ssl_handshake_errors + 1
 *
 * The owner's first event comes after the handshake. Three things differ
 * from a plain socket and are handled here, out of the owner's sight:
 * OpenSSL may hold decrypted bytes the socket no longer signals (read on
 * while SSL_has_pending), a read may need the socket writable or a write
 * readable (TLS 1.3 post-handshake messages), and a write that would block
 * must be retried with the same bytes: those stay at the front of c->out
 * until sent, so they are gathered again into the worker's buffer.
 */
#include "net/conn.h"

#include <errno.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/log.h"
#include "net/conn_type.h"
#include "net/event.h"
#include "net/tls_session.h"

#define FLUSH_IOV_MAX 128
/* Most plaintext one SSL_write takes straight from a large buffer. */
#define DIRECT_MAX (256 * 1024)
/* The records of one send gathered before they go to the socket (see
 * "records in batches" below): four full records. */
#define BATCH_BYTES (64 * 1024)

struct tls_conn {
    struct tls_session *s;
    bool handshaking;
    bool broken;           /* a fatal TLS error: no close_notify may follow */
    bool read_wants_write; /* SSL_read waits for the socket to be writable */
    bool write_wants_read; /* SSL_write waits for it to be readable */
    size_t wpending;       /* a blocked SSL_write's length, retried with the same bytes */
    BIO *batch;            /* while a send gathers records: the buffer in front of the socket */
    struct event_deadline deadline; /* the handshake's, while armed */
};

static struct tls_conn *tc(const struct conn *c)
{
    return c->impl;
}

/* ---- records in batches ------------------------------------------------------
 * OpenSSL writes each record to the socket as soon as it is sealed: a
 * queue of 4 KB values leaves in 16 KB write()s, each a trip through the
 * TCP stack and a wake-up of the reader (measured at pipeline 16 with
 * 4 KB values: one write per four requests; gathered, 1.29x the requests
 * a second: bench/results/2026-12-05-232500-tls-batch.md). While a send
 * has more than one record to seal, a buffering BIO (OpenSSL's own
 * BIO_f_buffer) stands in front of the socket, so the records go out
 * BATCH_BYTES at a time; once it is flushed it is taken away again, and
 * an idle connection holds no batch.
 * A worker thread keeps one spare, so a send costs no allocation; a batch
 * the socket would not take stays with its connection until it is out. */

static BIO *batch_take(void)
{
    BIO **spare = tls_thread_spare();
    if (spare != NULL && *spare != NULL) {
        BIO *b = *spare;
        *spare = NULL;
        return b;
    }
    BIO *b = BIO_new(BIO_f_buffer());
    if (b != NULL && BIO_set_write_buffer_size(b, BATCH_BYTES) != 1) {
        BIO_free(b);
        b = NULL;
    }
    return b;
}

/* Put the batch in front of the socket BIO the session writes to. Without
 * one (out of memory) records go straight to the socket, as before. */
static void batch_attach(struct tls_conn *t)
{
    BIO *b = batch_take();
    if (b == NULL)
        return;
    BIO *sock = SSL_get_wbio(t->s->ssl);
    BIO_up_ref(sock); /* the chain's reference; the session's is dropped below */
    BIO_push(b, sock);
    SSL_set0_wbio(t->s->ssl, b);
    t->batch = b;
}

/* The batch is flushed: the socket BIO is written to directly again, and
 * the batch goes back to the thread (or is freed if it has one). */
static void batch_detach(struct tls_conn *t)
{
    BIO *b = t->batch;
    BIO *sock = BIO_next(b);
    BIO_up_ref(sock); /* the session's reference again */
    BIO_up_ref(b);    /* ours: SSL_set0_wbio drops the session's */
    SSL_set0_wbio(t->s->ssl, sock);
    (void)BIO_pop(b);
    BIO_free(sock); /* the chain's reference */
    t->batch = NULL;
    BIO_clear_retry_flags(b);
    BIO **spare = tls_thread_spare();
    if (spare != NULL && *spare == NULL)
        *spare = b;
    else
        BIO_free(b);
}

/* Send what the batch holds. CONN_IO_OK once all of it is out (and the
 * batch is gone), AGAIN while the socket will not take it. */
static enum conn_io batch_flush(struct conn *c)
{
    struct tls_conn *t = tc(c);
    if (t->batch == NULL)
        return CONN_IO_OK;
    ERR_clear_error();
    if (BIO_flush(t->batch) <= 0) {
        if (BIO_should_retry(t->batch))
            return CONN_IO_AGAIN;
        t->broken = true;
        ERR_clear_error();
        return CONN_IO_ERROR;
    }
    batch_detach(t);
    return CONN_IO_OK;
}

/* ---- reading and sending ---------------------------------------------------- */

/* A fatal OpenSSL result: a TLS protocol error is counted (a reset or a
 * write to a closed socket is not one). */
static enum conn_io fatal(struct conn *c, int ssl_err)
{
    struct tls_conn *t = tc(c);
    t->broken = true;
    if (ssl_err == SSL_ERROR_SSL)
        tls_session_count_proto_error(t->s);
    ERR_clear_error();
    return CONN_IO_ERROR;
}

/* One SSL_read into the direct destination or c->in, as conn_epoll.c's
 * sock_read. *drained: nothing more is buffered, in OpenSSL or (very
 * likely) in the socket. */
static enum conn_io tls_read(struct conn *c, size_t *nread, bool *drained, bool *direct)
{
    struct tls_conn *t = tc(c);
    char *dst;
    size_t room;
    *nread = 0;
    if (t->s->ssl == NULL) /* taken (conn_tls_take): this connection is closing */
        return CONN_IO_ERROR;
    if (!conn_read_dest(c, &dst, &room, direct))
        return CONN_IO_ERROR;
    ERR_clear_error();
    int r = SSL_read(t->s->ssl, dst, room > INT_MAX ? INT_MAX : (int)room);
    if (r > 0) {
        t->read_wants_write = false;
        *nread = (size_t)r;
        *drained = *nread < room && !SSL_has_pending(t->s->ssl);
        if (!*direct)
            c->in.end += (size_t)r;
        return CONN_IO_OK;
    }
    int e = SSL_get_error(t->s->ssl, r);
    switch (e) {
    case SSL_ERROR_WANT_READ:
        return CONN_IO_AGAIN;
    case SSL_ERROR_WANT_WRITE:
        t->read_wants_write = true;
        return CONN_IO_AGAIN;
    case SSL_ERROR_ZERO_RETURN: /* close_notify, or the peer closed its socket */
        return CONN_IO_CLOSED;
    default:
        return fatal(c, e);
    }
}

/* Send the queue through SSL_write until it is empty or would block, as
 * conn_epoll.c's sock_send; *sent counts plaintext bytes. */
static enum conn_io tls_send(struct conn *c, size_t *sent)
{
    struct tls_conn *t = tc(c);
    struct iovec iov[FLUSH_IOV_MAX];
    *sent = 0;
    if (c->want & CONN_WANT_HOLD) /* (what a batch holds went before the hold) */
        return batch_flush(c);
    if (t->s->ssl == NULL)
        return outq_empty(&c->out) ? CONN_IO_OK : CONN_IO_ERROR;
    size_t wbuf_size = tls_session_wbuf_size(t->s);
    if (t->batch == NULL && outq_pending(&c->out) > wbuf_size)
        batch_attach(t);
    while (!outq_empty(&c->out)) {
        size_t n = outq_iov(&c->out, iov, FLUSH_IOV_MAX);
        /* a retry sends exactly what blocked (the queue only grows behind it) */
        size_t retry = t->wpending;
        const char *p;
        size_t len;
        if (retry > 0 ? iov[0].iov_len >= retry : iov[0].iov_len >= wbuf_size) {
            /* a large value: straight from item memory, OpenSSL cuts the records */
            p = iov[0].iov_base;
            len = retry > 0 ? retry : iov[0].iov_len < DIRECT_MAX ? iov[0].iov_len : DIRECT_MAX;
        } else {
            char *buf = tls_thread_wbuf(wbuf_size);
            if (buf == NULL)
                return CONN_IO_ERROR;
            len = tls_gather(iov, n, buf, retry > 0 ? retry : wbuf_size);
            p = buf;
        }
        ERR_clear_error();
        int r = SSL_write(t->s->ssl, p, len > INT_MAX ? INT_MAX : (int)len);
        if (r > 0) {
            t->wpending = 0;
            t->write_wants_read = false;
            *sent += (size_t)r;
            conn_count(c->bytes_written, (size_t)r);
            outq_consume(&c->out, (size_t)r);
            continue;
        }
        int e = SSL_get_error(t->s->ssl, r);
        if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
            t->wpending = len;
            t->write_wants_read = e == SSL_ERROR_WANT_READ;
            return CONN_IO_AGAIN;
        }
        return fatal(c, e);
    }
    return batch_flush(c);
}

/* ---- wake-ups ----------------------------------------------------------------
 * conn_epoll.c's (conn_ready_*), on tls_read and tls_send, once the
 * handshake is done. */

/* What OpenSSL waits for, besides what the owner wants: bytes it holds
 * make no readiness, so writable (which fires at once) stands in. */
static uint32_t tls_watch(const struct conn *c)
{
    const struct tls_conn *t = tc(c);
    uint32_t mask = t->write_wants_read ? EVENT_READ : 0;
    if (t->read_wants_write || t->batch != NULL ||
        ((c->want & CONN_WANT_INPUT) && t->s->ssl != NULL && SSL_has_pending(t->s->ssl)))
        mask |= EVENT_WRITE;
    return mask;
}

static const struct conn_ready_io tls_io = {.read = tls_read, .send = tls_send,
                                            .watch = tls_watch};

static void fail(struct conn *c)
{
    if (!conn_call(c, CONN_EV_ERROR, 0))
        conn_release(c);
}

static void stop_timer(struct conn *c)
{
    event_deadline_del(c->loop, &tc(c)->deadline);
}

/* One step of the handshake. 1: done; 0: waiting (watched); -1: failed. */
static int handshake(struct conn *c)
{
    struct tls_conn *t = tc(c);
    ERR_clear_error();
    int r = SSL_do_handshake(t->s->ssl);
    if (r == 1) {
        t->handshaking = false;
        stop_timer(c);
        tls_session_count(t->s, true);
        return 1;
    }
    int e = SSL_get_error(t->s->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        uint32_t mask = e == SSL_ERROR_WANT_READ ? EVENT_READ : EVENT_WRITE;
        return event_modify(c->loop, &c->ev, mask) == 0 ? 0 : -1;
    }
    t->broken = true;
    tls_session_handshake_failed(t->s, c->fd, false);
    return -1;
}

static void wake(struct conn *c, uint32_t events)
{
    struct tls_conn *t = tc(c);
    if (t->handshaking) {
        int h = handshake(c);
        if (h < 0)
            fail(c);
        if (h <= 0)
            return;
        events = EVENT_READ; /* the owner's first event: what came with the handshake */
    }
    if (t->read_wants_write && (events & EVENT_WRITE))
        events |= EVENT_READ;
    if (t->write_wants_read && (events & EVENT_READ))
        events |= EVENT_WRITE;
    if (t->s->ssl != NULL && SSL_has_pending(t->s->ssl))
        events |= EVENT_READ;
    conn_ready_wake(c, events, &tls_io);
}

static void on_ready(struct event_handler *h, uint32_t events)
{
    wake(h->arg, events);
}

/* The handshake's deadline passed: the client is closed, its worker never
 * waited for it. */
static void on_timer(struct event_deadline *d)
{
    struct conn *c = d->arg;
    struct tls_conn *t = tc(c);
    if (!t->handshaking)
        return;
    t->broken = true;
    tls_session_handshake_failed(t->s, c->fd, true);
    fail(c);
}

/* c->impl holds the session conn_open claimed; it becomes ours. */
static int tls_start(struct conn *c)
{
    struct tls_session *s = c->impl;
    struct tls_conn *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        tls_session_free(s);
        c->impl = NULL;
        return -1;
    }
    t->s = s;
    t->handshaking = true;
    c->impl = t;
    if (event_add(c->loop, &c->ev, c->fd, EVENT_READ, on_ready, c) != 0) {
        tls_session_free(s);
        free(t);
        c->impl = NULL;
        return -1;
    }
    int ms = tls_session_handshake_timeout_ms(s);
    if (ms > 0)
        event_deadline_add(c->loop, &t->deadline, ms, on_timer, c);
    return 0;
}

static void tls_want(struct conn *c)
{
    if (!tc(c)->handshaking) /* the handshake watches for itself */
        conn_ready_settle(c, &tls_io);
}

static void tls_kick(struct conn *c)
{
    if (!tc(c)->handshaking)
        wake(c, EVENT_WRITE);
}

/* Nothing is in flight: a close_notify if the session is sound (best
 * effort, never waited for), then close at once. */
static void tls_close(struct conn *c)
{
    struct tls_conn *t = tc(c);
    event_del(c->loop, &c->ev);
    stop_timer(c);
    if (!t->handshaking && !t->broken && t->s->ssl != NULL) {
        ERR_clear_error();
        (void)SSL_shutdown(t->s->ssl);
        if (t->batch != NULL) /* its records and the close_notify: what the socket takes */
            (void)BIO_flush(t->batch);
    }
    ERR_clear_error();
    tls_session_free(t->s);
    free(t);
    c->impl = NULL;
    close(c->fd);
    if (!c->calling)
        conn_release(c);
}

static struct tls_stream *tls_take(struct conn *c, int fd)
{
    struct tls_conn *t = tc(c);
    if (t == NULL || t->handshaking || t->broken || t->wpending > 0 || t->batch != NULL ||
        t->s->ssl == NULL)
        return NULL;
    /* the session's socket becomes the duplicate: c closes its own */
    ERR_clear_error();
    if (SSL_set_fd(t->s->ssl, fd) != 1) {
        ERR_clear_error();
        (void)SSL_set_fd(t->s->ssl, c->fd);
        return NULL;
    }
    struct tls_stream *st = tls_stream_adopt(t->s->ssl);
    if (st == NULL) {
        (void)SSL_set_fd(t->s->ssl, c->fd);
        return NULL;
    }
    t->s->ssl = NULL; /* tls_session_free frees nothing of it now */
    return st;
}

const struct conn_type conn_type_tls = {
    .name = "tls",
    .start = tls_start,
    .want = tls_want,
    .kick = tls_kick,
    .close = tls_close,
    .describe = conn_describe_socket,
    .tls_take = tls_take,
};
