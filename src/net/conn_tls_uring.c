/*
 * conn_tls_uring.c: TLS on the loop's io_uring (net/uring.c), the type a
 * TLS connection gets on a loop with a ring. OpenSSL never touches the
 * socket here: receives put the ciphertext into a memory BIO that
 * SSL_read decrypts from, and SSL_write seals records into another that
 * the sends empty:
 *
 *   socket ─recv─▶ rbio ─SSL_read─▶ c->in (or the direct destination) ─▶ owner
 *   owner ─▶ c->out ─SSL_write─▶ wbio ─▶ t->tx ─send─▶ socket
 *
 * Why not conn_tls.c (readiness, through the loop's epoll) on such a loop:
 * there each request costs a read(2), a write(2) and a share of an
 * epoll_wait; here the receives and sends go with every other
 * connection's in the loop's one io_uring_enter, and the loop's short
 * poll before it sleeps (-o poll_us) serves TLS as it serves plain text.
 *
 * As in conn_uring.c, at most one receive, one send and one no-op (a
 * yield, or a deferred delivery) are in flight, and a completion is a
 * wake-up of its own. What differs:
 *   - the owner's first event comes after the handshake (a timer bounds
 *     it), which the receives feed and the sends answer;
 *   - a send carries the records of at most BATCH_BYTES of c->out, sealed
 *     when the send before it completed, so a client that does not read
 *     backs the owner up as a plain socket would. What is sealed stays
 *     queued on c->out until its records are sent (the owner reads an
 *     empty c->out as all sent, as with conn_uring.c);
 *   - decrypted bytes are delivered while the owner wants input, after
 *     each of its calls; ciphertext that waits while it does not (a yield,
 *     output backed up) is delivered when it wants input again, from the
 *     loop (a no-op's completion), never inside the owner's conn_want.
 */
#include "net/conn.h"

#include <errno.h>
#include <limits.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/log.h"
#include "net/conn_type.h"
#include "net/event.h"
#include "net/tls_session.h"
#include "net/uring.h"

#define OP_RECV 0x1u
#define OP_SEND 0x2u
#define OP_NOP 0x4u /* a yield, or a deferred delivery (t->nop_yield tells which) */

/* Plaintext sealed for one send: four full records. */
#define BATCH_BYTES (64 * 1024)
/* Most plaintext one SSL_write takes straight from a large buffer. */
#define DIRECT_MAX (256 * 1024)
/* A plain receive's space (no provided buffers on this ring). */
#define RX_SIZE (16 * 1024)
/* Ciphertext held while the owner takes no input: past this, receiving
 * stops, so a client cannot make it buffer without bound. */
#define HELD_MAX (256u * 1024)
#define FLUSH_IOV_MAX 128
/* What an idle connection keeps of its buffers (the BIOs' and tx): a
 * burst of large values grows them, and thousands of idle connections
 * must not each hold what their largest burst needed. */
#define IDLE_KEEP (32u * 1024)
/* ... given back this long after they grew (tls_config.idle_trim_ms may
 * say otherwise), not at once: under load a connection is often idle
 * between two sends, and growing them back each time costs (given back at
 * once, pipeline 16 with 4 KB values served 0.28x of plain text instead
 * of 0.41x). */
#define TRIM_AFTER_MS 1000

struct tlsu_conn {
    struct tls_session *s;
    struct uring *ring;
    BIO *rbio, *wbio; /* the session's (SSL_set_bio): ciphertext in, records out */
    unsigned busy;    /* OP_* in flight */
    bool handshaking;
    bool broken;       /* a fatal TLS error: no close_notify may follow */
    bool multishot;    /* the receive in flight is multishot */
    bool recv_stopping;
    bool no_bufs;      /* the last multishot receive ran out of buffers: one plain receive */
    bool eof;          /* the socket's end of stream came */
    bool eof_told;     /* CONN_EV_PEER_CLOSED was told */
    bool nop_yield;    /* the no-op in flight is the owner's yield */
    bool delivering;   /* inside deliver(): no second one */
    char *rx;          /* plain receives' space */
    char *tx;          /* the records of the send in flight (or next) */
    size_t tx_cap, tx_len, tx_off;
    size_t tx_plain;   /* bytes at c->out's front sealed into tx */
    size_t wplain;     /* the bytes after them sealed into wbio */
    size_t rpeak, wpeak; /* the most rbio and wbio held since they were made */
    struct uring_op recv_op, send_op, nop_op;
    struct event_deadline deadline; /* the handshake's; after it, the trim's */
};

static struct tlsu_conn *tc(const struct conn *c)
{
    return c->impl;
}

static void free_state(struct conn *c)
{
    struct tlsu_conn *t = tc(c);
    tls_session_free(t->s); /* frees the BIOs with the SSL */
    free(t->rx);
    free(t->tx);
    free(t);
    c->impl = NULL;
}

/* Closed and nothing in flight: the end. */
static void finish(struct conn *c)
{
    struct tlsu_conn *t = tc(c);
    uring_fd_unregister(t->ring, c->fd);
    free_state(c);
    close(c->fd);
    conn_release(c);
}

/* Call the owner; false when it closed c (released here once idle). */
static bool call(struct conn *c, enum conn_event ev, size_t n)
{
    if (conn_call(c, ev, n))
        return true;
    if (tc(c)->busy == 0)
        finish(c);
    return false;
}

/* The owner hears of a failure (and closes). False when c is gone. */
static bool fail(struct conn *c)
{
    return call(c, CONN_EV_ERROR, 0);
}

static bool queue_failed(struct conn *c)
{
    log_warn("cannot queue connection I/O; closing the connection");
    return fail(c);
}

/* Ciphertext received and not yet decrypted (none once the session was
 * taken: tlsu_take). */
static size_t cipher_held(const struct tlsu_conn *t)
{
    return t->rbio != NULL ? BIO_ctrl_pending(t->rbio) : 0;
}

/* A fatal OpenSSL result: a TLS protocol error is counted (the peer's
 * reset is not one).
 *
 * The thread's OpenSSL error queue is emptied after every failure (here,
 * after a failed handshake, in tlsu_close and conn_tls.c likewise), so it
 * is empty before each SSL_read, SSL_write and SSL_do_handshake, as
 * SSL_get_error needs, without an ERR_clear_error before each (a
 * thread-local look-up, 2% of the server's time at pipeline 1). */
static void fatal(struct conn *c, int ssl_err)
{
    struct tlsu_conn *t = tc(c);
    t->broken = true;
    if (ssl_err == SSL_ERROR_SSL)
        tls_session_count_proto_error(t->s);
    ERR_clear_error();
}

/* ---- sending --------------------------------------------------------------- */

/* Seal what c->out holds past what is sealed already into wbio, until it
 * holds BATCH_BYTES. Small replies are gathered into one record (the
 * worker's buffer, as conn_tls.c's); a large value is sealed straight
 * from item memory. The memory BIO takes everything: no write here would
 * block. 0 or -1. */
static int seal(struct conn *c)
{
    struct tlsu_conn *t = tc(c);
    size_t wbuf_size = tls_session_wbuf_size(t->s);
    struct iovec iov[FLUSH_IOV_MAX];
    while (outq_pending(&c->out) > t->tx_plain + t->wplain &&
           BIO_ctrl_pending(t->wbio) < BATCH_BYTES) {
        size_t n = outq_iov_from(&c->out, t->tx_plain + t->wplain, iov, FLUSH_IOV_MAX);
        const char *p;
        size_t len;
        if (iov[0].iov_len >= wbuf_size) {
            p = iov[0].iov_base;
            len = iov[0].iov_len < DIRECT_MAX ? iov[0].iov_len : DIRECT_MAX;
        } else {
            char *buf = tls_thread_wbuf(wbuf_size);
            if (buf == NULL)
                return -1;
            len = tls_gather(iov, n, buf, wbuf_size);
            p = buf;
        }
        int r = SSL_write(t->s->ssl, p, (int)len);
        if (r <= 0) {
            fatal(c, SSL_get_error(t->s->ssl, r));
            return -1;
        }
        t->wplain += (size_t)r;
    }
    return 0;
}

/* Send what is sealed, sealing more of c->out first when tx is done
 * (not during the handshake, nor while the owner holds its replies).
 * 0, or -1 (the connection fails). */
static int submit_send(struct conn *c)
{
    struct tlsu_conn *t = tc(c);
    if ((t->busy & OP_SEND) || t->s->ssl == NULL)
        return 0;
    if (t->tx_off == t->tx_len) {
        if (!t->handshaking && !(c->want & CONN_WANT_HOLD) && seal(c) != 0)
            return -1;
        size_t pending = BIO_ctrl_pending(t->wbio);
        if (pending == 0)
            return 0;
        if (pending > t->tx_cap) {
            char *grown = realloc(t->tx, pending);
            if (grown == NULL)
                return -1;
            t->tx = grown;
            t->tx_cap = pending;
        }
        if (pending > t->wpeak)
            t->wpeak = pending;
        int got = BIO_read(t->wbio, t->tx, (int)pending);
        if (got <= 0) {
            ERR_clear_error();
            return -1;
        }
        t->tx_len = (size_t)got;
        t->tx_off = 0;
        t->tx_plain = t->wplain;
        t->wplain = 0;
    }
    if (uring_prep_send(t->ring, &t->send_op, c->fd, t->tx + t->tx_off, t->tx_len - t->tx_off) != 0)
        return -1;
    t->busy |= OP_SEND;
    return 0;
}

/* ---- receiving ------------------------------------------------------------- */

static int submit_recv(struct conn *c)
{
    struct tlsu_conn *t = tc(c);
    if (uring_has_bufs(t->ring) && !t->no_bufs) {
        if (uring_prep_recv_multishot(t->ring, &t->recv_op, c->fd) != 0)
            return -1;
        t->multishot = true;
        t->recv_stopping = false;
    } else {
        if (t->rx == NULL && (t->rx = malloc(RX_SIZE)) == NULL)
            return -1;
        /* after a multishot receive ran dry, bytes are waiting: no poll first */
        if (uring_prep_recv(t->ring, &t->recv_op, c->fd, t->rx, RX_SIZE, !t->no_bufs) != 0)
            return -1;
        t->multishot = false;
        t->no_bufs = false;
    }
    t->busy |= OP_RECV;
    return 0;
}

static void stop_recv(struct tlsu_conn *t)
{
    if (!(t->busy & OP_RECV) || !t->multishot || t->recv_stopping)
        return;
    if (uring_prep_cancel(t->ring, &t->recv_op) == 0)
        t->recv_stopping = true;
}

/* Ciphertext or decrypted bytes wait in the session. */
static bool held(const struct tlsu_conn *t)
{
    return t->s->ssl != NULL && (cipher_held(t) > 0 || SSL_has_pending(t->s->ssl));
}

/* A fresh memory BIO in place of an empty one that grew past IDLE_KEEP
 * (a memory BIO keeps its largest buffer). */
static void renew_bio(struct tlsu_conn *t, bool reading)
{
    BIO *fresh = BIO_new(BIO_s_mem());
    if (fresh == NULL)
        return; /* the grown one stays */
    if (reading) {
        SSL_set0_rbio(t->s->ssl, fresh); /* frees the old one */
        t->rbio = fresh;
        t->rpeak = 0;
    } else {
        SSL_set0_wbio(t->s->ssl, fresh);
        t->wbio = fresh;
        t->wpeak = 0;
    }
}

static bool grown(const struct tlsu_conn *t)
{
    return t->tx_cap > IDLE_KEEP || t->wpeak > IDLE_KEEP || t->rpeak > IDLE_KEEP;
}

/* Give back what a burst grew past IDLE_KEEP, if nothing is in flight to
 * send or waiting to be. */
static void trim(struct tlsu_conn *t)
{
    if ((t->busy & OP_SEND) || t->tx_off < t->tx_len || t->s->ssl == NULL)
        return;
    if (t->tx_cap > IDLE_KEEP) {
        free(t->tx);
        t->tx = NULL;
        t->tx_cap = t->tx_len = t->tx_off = 0;
    }
    if (t->wpeak > IDLE_KEEP && BIO_ctrl_pending(t->wbio) == 0)
        renew_bio(t, false);
    if (t->rpeak > IDLE_KEEP && cipher_held(t) == 0)
        renew_bio(t, true);
}

static int trim_after_ms(const struct tlsu_conn *t)
{
    int ms = tls_session_idle_trim_ms(t->s);
    return ms == 0 ? TRIM_AFTER_MS : ms;
}

static void on_trim(struct event_deadline *d)
{
    struct conn *c = d->arg;
    struct tlsu_conn *t = tc(c);
    trim(t);
    if (grown(t)) /* busy just now: look again later */
        event_deadline_add(c->loop, &t->deadline, trim_after_ms(t), on_trim, c);
}

/* Buffers grew: trim them a while from now (the handshake's deadline is
 * done with by then), or at once if so configured. */
static void trim_later(struct conn *c)
{
    struct tlsu_conn *t = tc(c);
    if (t->handshaking || t->deadline.armed || !grown(t))
        return;
    if (trim_after_ms(t) < 0)
        trim(t);
    else
        event_deadline_add(c->loop, &t->deadline, trim_after_ms(t), on_trim, c);
}

/* ---- acting on c->want ----------------------------------------------------- */

/* Queue what c->want asks for: sends, a receive, a yield. 0 or -1. */
static int act_io(struct conn *c)
{
    struct tlsu_conn *t = tc(c);
    unsigned want = c->want;
    if (submit_send(c) != 0)
        return -1;
    if (want & CONN_WANT_CLOSE) {
        stop_recv(t);
        return 0;
    }
    bool input = (want & CONN_WANT_INPUT) || t->handshaking;
    bool yield = (want & CONN_WANT_YIELD) && !t->handshaking;
    if (!input || t->eof || cipher_held(t) > HELD_MAX)
        stop_recv(t);
    if (t->busy & OP_NOP)
        return 0;
    if (yield) {
        if (uring_prep_nop(t->ring, &t->nop_op) != 0)
            return -1;
        t->nop_yield = true;
        t->busy |= OP_NOP;
        return 0;
    }
    if (!input || t->eof || (t->busy & OP_RECV) || cipher_held(t) > HELD_MAX)
        return 0;
    return submit_recv(c);
}

/* Deliver later, from the loop: a no-op whose completion does it. */
static int defer_delivery(struct conn *c)
{
    struct tlsu_conn *t = tc(c);
    if (t->busy & OP_NOP)
        return 0; /* its completion delivers too */
    if (uring_prep_nop(t->ring, &t->nop_op) != 0)
        return -1;
    t->nop_yield = false;
    t->busy |= OP_NOP;
    return 0;
}

/* One step of the handshake. 1: done; 0: waiting; -1: failed. */
static int handshake(struct conn *c)
{
    struct tlsu_conn *t = tc(c);
    int r = SSL_do_handshake(t->s->ssl);
    if (r == 1) {
        t->handshaking = false;
        event_deadline_del(c->loop, &t->deadline);
        tls_session_count(t->s, true);
        return 1;
    }
    int e = SSL_get_error(t->s->ssl, r);
    if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) && !t->eof)
        return 0;
    t->broken = true;
    tls_session_handshake_failed(t->s, c->fd, false);
    return -1;
}

/* Decrypt into the owner's direct destination or c->in, as much as is
 * there and fits. 1: n bytes; 0: none (more ciphertext is needed, or the
 * stream ended: *closed); -1: failed. */
static int decrypt(struct conn *c, size_t *n, bool *direct, bool *closed)
{
    struct tlsu_conn *t = tc(c);
    char *dst;
    size_t room;
    *n = 0;
    *closed = false;
    if (!conn_read_dest(c, &dst, &room, direct))
        return -1;
    while (*n < room) {
        if (*n > 0 && cipher_held(t) == 0 && !SSL_has_pending(t->s->ssl))
            break; /* all of it decrypted: a further SSL_read would only say so */
        size_t ask = room - *n;
        int r = SSL_read(t->s->ssl, dst + *n, ask > INT_MAX ? INT_MAX : (int)ask);
        if (r > 0) {
            *n += (size_t)r;
            continue;
        }
        int e = SSL_get_error(t->s->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            /* the socket's stream ended: what is left of a record never completes */
            *closed = t->eof && *n == 0;
            break;
        }
        if (e == SSL_ERROR_ZERO_RETURN) { /* close_notify */
            *closed = *n == 0;
            break;
        }
        fatal(c, e);
        return -1;
    }
    if (!*direct)
        c->in.end += *n;
    return *n > 0 ? 1 : 0;
}

/*
 * Finish the handshake with what arrived, then hand the owner what
 * decrypts while it wants input, a call each, queuing what it wants after
 * each. The owner yields when its budget runs out with input left in
 * c->in; decrypted input left when it runs out goes on after a no-op, so
 * the loop's other connections have their turn first. False when c is
 * gone. Never called inside an owner's call: only from completions.
 */
static bool deliver(struct conn *c)
{
    struct tlsu_conn *t = tc(c);
    if (t->delivering || c->closed)
        return true;
    t->delivering = true;
    c->budget = c->budget_max;
    bool spent = false;
    for (;;) {
        if (t->handshaking) {
            int h = handshake(c);
            if (h < 0) {
                (void)submit_send(c); /* the alert, if the socket takes it */
                t->delivering = false;
                return fail(c);
            }
            if (h == 0)
                break;
        }
        if (!(c->want & CONN_WANT_INPUT) || (t->busy & OP_NOP) || t->eof_told ||
            t->s->ssl == NULL) /* taken for a replication feed (tlsu_take) */
            break;
        if (c->budget <= 0) {
            spent = true;
            break;
        }
        size_t n;
        bool direct, closed;
        int r = decrypt(c, &n, &direct, &closed);
        if (r < 0) {
            t->delivering = false;
            return fail(c);
        }
        enum conn_event ev = direct ? CONN_EV_DIRECT : CONN_EV_INPUT;
        if (r == 0) {
            if (!closed)
                break; /* more ciphertext is needed */
            t->eof_told = true;
            ev = CONN_EV_PEER_CLOSED;
        } else {
            conn_count(c->bytes_read, n);
        }
        if (!call(c, ev, n))
            return false;
        if (act_io(c) != 0) {
            t->delivering = false;
            return queue_failed(c);
        }
    }
    t->delivering = false;
    if (act_io(c) != 0 || (spent && held(t) && defer_delivery(c) != 0))
        return queue_failed(c);
    trim_later(c);
    return true;
}

/* A wake-up: the owner with a fresh budget, then what it wants, then what
 * waits for it. */
static void wake(struct conn *c, enum conn_event ev, size_t n)
{
    c->budget = c->budget_max;
    if (call(c, ev, n))
        (void)deliver(c);
}

/* struct conn_type.want: what the owner asks for outside its calls. What
 * waits decrypted or sealed is delivered from the loop, never inside. */
static void tlsu_want(struct conn *c)
{
    struct tlsu_conn *t = tc(c);
    int rc = act_io(c);
    if (rc == 0 && !t->handshaking && (c->want & CONN_WANT_INPUT) && held(t))
        rc = defer_delivery(c);
    if (rc != 0)
        (void)queue_failed(c);
}

/* ---- completions ------------------------------------------------------------ */

static void recv_done(struct uring_op *op, int res, unsigned flags)
{
    struct conn *c = op->arg;
    struct tlsu_conn *t = tc(c);
    const char *data = NULL;
    if (t->multishot) {
        if (flags & URING_F_BUFFER)
            data = uring_buf(t->ring, URING_BUF_ID(flags));
        if (uring_multishot_ended(t->ring, flags, &res)) {
            t->busy &= ~OP_RECV;
            t->recv_stopping = false;
            t->no_bufs = res == -ENOBUFS;
        }
    } else {
        t->busy &= ~OP_RECV;
        data = t->rx;
    }
    if (res > 0 && !c->closed && t->s->ssl != NULL) {
        if (BIO_write(t->rbio, data, res) != res) {
            ERR_clear_error(); /* the queue stays empty (see fatal) */
            res = -ENOMEM;
        } else if (cipher_held(t) > t->rpeak) {
            t->rpeak = cipher_held(t);
        }
    }
    if (flags & URING_F_BUFFER)
        uring_buf_recycle(t->ring, URING_BUF_ID(flags));
    if (c->closed) {
        if (t->busy == 0)
            finish(c);
        return;
    }
    if (res == 0)
        t->eof = true;
    if (res >= 0) {
        (void)deliver(c);
    } else if (res == -EAGAIN || res == -EINTR || res == -ENOBUFS || res == -ECANCELED) {
        if (act_io(c) != 0)
            (void)queue_failed(c);
    } else {
        t->broken = true;
        (void)fail(c);
    }
}

static void send_done(struct uring_op *op, int res, unsigned flags)
{
    (void)flags;
    struct conn *c = op->arg;
    struct tlsu_conn *t = tc(c);
    t->busy &= ~OP_SEND;
    if (res > 0)
        t->tx_off += (size_t)res;
    if (c->closed) {
        if (t->busy == 0)
            finish(c);
        return;
    }
    if (res < 0 && res != -EAGAIN && res != -EINTR) {
        t->broken = true;
        (void)fail(c);
        return;
    }
    /* the records of tx are out: so are the bytes of c->out they carry */
    size_t sent = 0;
    if (t->tx_off == t->tx_len && t->tx_plain > 0) {
        sent = t->tx_plain;
        t->tx_plain = 0;
        outq_consume(&c->out, sent);
        conn_count(c->bytes_written, sent);
    }
    bool yielding = (t->busy & OP_NOP) && t->nop_yield;
    if (!t->handshaking && !yielding &&
        ((c->want & CONN_WANT_OUTPUT) || ((c->want & CONN_WANT_CLOSE) && outq_empty(&c->out)))) {
        wake(c, CONN_EV_OUTPUT, sent);
        return;
    }
    if (submit_send(c) != 0) {
        (void)queue_failed(c);
        return;
    }
    trim_later(c);
}

static void nop_done(struct uring_op *op, int res, unsigned flags)
{
    (void)res;
    (void)flags;
    struct conn *c = op->arg;
    struct tlsu_conn *t = tc(c);
    t->busy &= ~OP_NOP;
    if (c->closed) {
        if (t->busy == 0)
            finish(c);
        return;
    }
    /* a deferred delivery stood in for a yield the owner asked for
     * meanwhile (one no-op at a time): it resumes too */
    if (t->nop_yield || (c->want & CONN_WANT_YIELD))
        wake(c, CONN_EV_RESUME, 0);
    else
        (void)deliver(c);
}

/* The handshake's deadline passed: the client is closed, its worker never
 * waited for it. */
static void on_timer(struct event_deadline *d)
{
    struct conn *c = d->arg;
    struct tlsu_conn *t = tc(c);
    if (!t->handshaking)
        return;
    t->broken = true;
    tls_session_handshake_failed(t->s, c->fd, true);
    (void)fail(c);
}

/* ---- the type ---------------------------------------------------------------- */

/* c->impl holds the session conn_open claimed; it becomes ours. */
static int tlsu_start(struct conn *c)
{
    struct tls_session *s = c->impl;
    struct tlsu_conn *t = calloc(1, sizeof(*t));
    BIO *rbio = BIO_new(BIO_s_mem());
    BIO *wbio = BIO_new(BIO_s_mem());
    if (t == NULL || rbio == NULL || wbio == NULL) {
        BIO_free(rbio);
        BIO_free(wbio);
        free(t);
        tls_session_free(s);
        c->impl = NULL;
        return -1;
    }
    SSL_set_bio(s->ssl, rbio, wbio); /* the socket BIO tls.c set goes */
    t->s = s;
    t->rbio = rbio;
    t->wbio = wbio;
    t->handshaking = true;
    t->ring = event_loop_uring(c->loop);
    t->recv_op = (struct uring_op){.fn = recv_done, .arg = c};
    t->send_op = (struct uring_op){.fn = send_done, .arg = c};
    t->nop_op = (struct uring_op){.fn = nop_done, .arg = c};
    c->impl = t;
    uring_fd_register(t->ring, c->fd);
    if (submit_recv(c) != 0) {
        uring_fd_unregister(t->ring, c->fd);
        free_state(c);
        return -1;
    }
    int ms = tls_session_handshake_timeout_ms(s);
    if (ms > 0)
        event_deadline_add(c->loop, &t->deadline, ms, on_timer, c);
    return 0;
}

static void tlsu_kick(struct conn *c)
{
    struct tlsu_conn *t = tc(c);
    if (!t->handshaking && !((t->busy & OP_NOP) && t->nop_yield))
        wake(c, CONN_EV_RESUME, 0);
}

/* Cancel what is in flight; a close_notify (and what is sealed before
 * it) goes if the socket takes it at once, when nothing is in flight to
 * come between. The last completion finishes c. */
static void tlsu_close(struct conn *c)
{
    struct tlsu_conn *t = tc(c);
    event_deadline_del(c->loop, &t->deadline);
    if (!t->handshaking && !t->broken && t->s->ssl != NULL && !(t->busy & OP_SEND)) {
        ERR_clear_error();
        (void)SSL_shutdown(t->s->ssl);
        ERR_clear_error();
        if (t->tx_off < t->tx_len)
            (void)send(c->fd, t->tx + t->tx_off, t->tx_len - t->tx_off, MSG_DONTWAIT | MSG_NOSIGNAL);
        char tail[4096];
        int n;
        while ((n = BIO_read(t->wbio, tail, sizeof(tail))) > 0)
            if (send(c->fd, tail, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) != n)
                break;
    }
    if (t->busy & OP_RECV)
        uring_prep_cancel(t->ring, &t->recv_op);
    if (t->busy & OP_SEND)
        uring_prep_cancel(t->ring, &t->send_op);
    if (t->busy == 0 && !c->calling)
        finish(c);
}

static struct tls_stream *tlsu_take(struct conn *c, int fd)
{
    struct tlsu_conn *t = tc(c);
    /* nothing queued, sealed or received that the session's new owner
     * would not find in the SSL object itself */
    if (t == NULL || t->handshaking || t->broken || t->s->ssl == NULL || (t->busy & OP_SEND) ||
        !outq_empty(&c->out) || t->tx_off < t->tx_len || BIO_ctrl_pending(t->wbio) > 0 || held(t))
        return NULL;
    /* the memory BIOs are kept until the stream has the session */
    BIO_up_ref(t->rbio);
    BIO_up_ref(t->wbio);
    ERR_clear_error();
    struct tls_stream *st = NULL;
    if (SSL_set_fd(t->s->ssl, fd) == 1 && (st = tls_stream_adopt(t->s->ssl)) != NULL) {
        BIO_free(t->rbio);
        BIO_free(t->wbio);
        t->rbio = t->wbio = NULL;
        t->s->ssl = NULL; /* tls_session_free frees nothing of it now */
        return st;
    }
    ERR_clear_error();
    if (SSL_get_rbio(t->s->ssl) == t->rbio && SSL_get_wbio(t->s->ssl) == t->wbio) {
        BIO_free(t->rbio); /* never left: our references go */
        BIO_free(t->wbio);
    } else {
        SSL_set_bio(t->s->ssl, t->rbio, t->wbio); /* back, with our references */
    }
    return NULL;
}

const struct conn_type conn_type_tls_uring = {
    .name = "tls",
    .start = tlsu_start,
    .want = tlsu_want,
    .kick = tlsu_kick,
    .close = tlsu_close,
    .describe = conn_describe_socket,
    .tls_take = tlsu_take,
};
