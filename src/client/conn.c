/*
 * conn.c: one TCP connection per server: non-blocking connect with a
 * deadline, the TLS handshake on top of it for a TLS client (tls.c does
 * the OpenSSL side), and reads/writes between the socket and the
 * server's buffers.  Knows nothing of the protocol or of requests.
 *
 *   CONN_CLOSED ─conn_open─▶ CONN_CONNECTING ─conn_finish─▶ CONN_CONNECTED
 *                                  │ (TLS)                        ▲
 *                                  └──▶ CONN_HANDSHAKE ─conn_handshake
 */
#include "client/client.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client/tls.h"

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

    s->error[0] = '\0'; /* mnemo_server_error speaks of this connection from now on */
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
    s->got_bytes = 0;
    s->state = rc == 0 ? CONN_CONNECTED : CONN_CONNECTING;
    s->deadline_ms = client_now_ms() +
                     (rc == 0 ? c->opts.io_timeout_ms : c->opts.connect_timeout_ms);
    return rc == 0 ? conn_finish(c, s) : MNEMO_OK;
}

/* A TCP connection is up: begin its TLS session, bounded as a connect. */
static mnemo_status tls_start(struct mnemo_client *c, struct server *s)
{
    const char *name = c->tls_server_name ? c->tls_server_name : s->host;

    s->ssl = tls_new(c->tls, s->fd, name, s->tls_resume, s->error, sizeof(s->error));
    if (s->ssl == NULL)
        return MNEMO_ETLS;
    s->state = CONN_HANDSHAKE;
    s->tls_want = POLLOUT;
    s->deadline_ms = client_now_ms() + c->opts.connect_timeout_ms;
    return conn_handshake(s);
}

mnemo_status conn_finish(struct mnemo_client *c, struct server *s)
{
    int err = 0;
    socklen_t len = sizeof(err);

    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
        return MNEMO_ECONNECT;
    if (c->tls != NULL)
        return tls_start(c, s);
    s->state = CONN_CONNECTED;
    return MNEMO_OK;
}

/* What a TLS step that did not finish waits for. */
static short want_of(ssize_t rc)
{
    return rc == TLS_WANT_READ ? POLLIN : rc == TLS_WANT_WRITE ? POLLOUT : 0;
}

mnemo_status conn_handshake(struct server *s)
{
    enum tls_rc rc = tls_handshake(s->ssl, s->error, sizeof(s->error));

    if (rc == TLS_OK) {
        s->state = CONN_CONNECTED;
        s->tls_want = 0;
        return MNEMO_OK;
    }
    s->tls_want = want_of(rc);
    return s->tls_want ? MNEMO_OK : MNEMO_ETLS;
}

short conn_events(const struct server *s)
{
    return s->ssl != NULL ? s->tls_want : 0;
}

/* One write of n bytes at p: how many went, 0 when the socket is full,
 * or a negative status. */
static ssize_t send_some(struct server *s, const void *p, size_t n)
{
    if (s->ssl != NULL) {
        ssize_t r = tls_write(s->ssl, p, n, s->error, sizeof(s->error));
        s->tls_want = r > 0 ? 0 : want_of(r);
        return r > 0 ? r : s->tls_want ? 0 : r == TLS_FAIL ? MNEMO_ETLS : MNEMO_EIO;
    }
    for (;;) {
        ssize_t r = send(s->fd, p, n, MSG_NOSIGNAL);
        if (r >= 0 || errno != EINTR)
            return r > 0 ? r : r == 0 || errno == EAGAIN || errno == EWOULDBLOCK ? 0 : MNEMO_EIO;
    }
}

/* One read into p[0..n): how many bytes came (> 0), 0 when there are no
 * more now (*eof set when there will be none), or a negative status. */
static ssize_t recv_some(struct server *s, void *p, size_t n, int *eof)
{
    if (s->ssl != NULL) {
        ssize_t r = tls_read(s->ssl, p, n, s->error, sizeof(s->error));
        if (r > 0)
            return r;
        s->tls_want = want_of(r) == POLLOUT ? POLLOUT : 0;
        *eof = r == TLS_EOF;
        return r == TLS_FAIL ? MNEMO_ETLS : 0;
    }
    for (;;) {
        ssize_t r = recv(s->fd, p, n, 0);
        if (r > 0)
            return r;
        if (r < 0 && errno == EINTR)
            continue;
        *eof = r == 0;
        return r == 0 || errno == EAGAIN || errno == EWOULDBLOCK ? 0 : MNEMO_EIO;
    }
}

mnemo_status conn_write(struct server *s)
{
    while (buf_used(&s->out) > 0) {
        size_t take = buf_used(&s->out);
        if (s->ssl != NULL) /* a TLS record ends where a request does */
            take = tls_cuts_next(&s->cuts, take, TLS_RECORD_MAX);
        ssize_t n = send_some(s, buf_head(&s->out), take);
        if (n <= 0)
            return (mnemo_status)n;
        buf_consume(&s->out, (size_t)n);
        tls_cuts_sent(&s->cuts, (size_t)n);
    }
    return MNEMO_OK;
}

int conn_read(struct server *s)
{
    for (;;) {
        int eof = 0;
        if (buf_reserve(&s->in, 16384) != 0)
            return MNEMO_ENOMEM;
        ssize_t n = recv_some(s, s->in.data + s->in.len, s->in.cap - s->in.len, &eof);
        if (n <= 0)
            return eof ? 1 : (int)n;
        s->in.len += (size_t)n;
        s->got_bytes = 1;
        /* A short plain read drained the socket; a TLS session may still
         * hold decrypted bytes that poll will not announce. */
        if (s->in.len < s->in.cap && (s->ssl == NULL || tls_pending(s->ssl) == 0))
            return 0;
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
    if (n > 0 && s->ssl != NULL) {
        /* TLS 1.3 session tickets may arrive after the handshake: only
         * data or a close makes an idle TLS connection stale. */
        char e[8];
        return tls_read(s->ssl, &b, 1, e, sizeof(e)) != TLS_WANT_READ;
    }
    return n > 0; /* unsolicited bytes on an idle connection: drop it too */
}

void conn_close(struct server *s)
{
    if (s->ssl != NULL) {
        /* Resume the last session that got through its handshake; after a
         * failed one, the next connection starts afresh. */
        struct ssl_session_st *sess = s->state == CONN_CONNECTED ? tls_session(s->ssl) : NULL;
        tls_session_free(&s->tls_resume);
        s->tls_resume = sess;
        tls_free(&s->ssl);
    }
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    s->state = CONN_CLOSED;
    s->tls_want = 0;
    buf_clear(&s->in);
    buf_clear(&s->out);
    tls_cuts_reset(&s->cuts);
}

void conn_forget(struct server *s)
{
    conn_close(s);
    tls_session_free(&s->tls_resume);
    tls_cuts_free(&s->cuts);
}

mnemo_status conn_tls_setup(struct mnemo_client *c, char *err, size_t errlen)
{
    struct mnemo_options *o = &c->opts;
    struct tls_config cfg = {o->tls_ca_file, o->tls_cert_file, o->tls_key_file, o->tls_no_verify};
    const char *name = o->tls_server_name;

    /* the caller's strings: not kept (the name is copied) */
    o->tls_ca_file = o->tls_cert_file = o->tls_key_file = o->tls_server_name = NULL;
    if (o->tls == 0 && (cfg.ca_file || cfg.cert_file || cfg.key_file || cfg.no_verify || name)) {
        snprintf(err, errlen, "TLS options without tls");
        return MNEMO_EINVAL;
    }
    if (o->tls == 0)
        return MNEMO_OK;
    if (o->tls != 1 || (cfg.no_verify != 0 && cfg.no_verify != 1) || (name && name[0] == '\0')) {
        snprintf(err, errlen, "tls and tls_no_verify take 0 or 1, a server name is not empty");
        return MNEMO_EINVAL;
    }
    if (name != NULL && (c->tls_server_name = strdup(name)) == NULL)
        return MNEMO_ENOMEM;
    c->tls = tls_ctx_new(&cfg, err, errlen);
    return c->tls != NULL ? MNEMO_OK : MNEMO_ETLS;
}

void conn_tls_teardown(struct mnemo_client *c)
{
    tls_ctx_free(&c->tls);
    free(c->tls_server_name);
    c->tls_server_name = NULL;
}
