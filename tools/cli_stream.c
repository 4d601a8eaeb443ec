/*
 * cli_stream.c: see cli_stream.h.  Its TLS is libmnemo's own
 * (client/tls.c), on a blocking socket whose timeouts bound every step.
 */
#include "cli_stream.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli_auth.h"
#include "cli_dial.h"
#include "cli_tls.h"
#include "client/tls.h"

/* The host part of "host:port" or "[v6]:port". */
static void host_of(const char *name, char *host, size_t len)
{
    const char *colon = strrchr(name, ':');
    size_t n = colon ? (size_t)(colon - name) : strlen(name);

    if (name[0] == '[' && n >= 2)
        snprintf(host, len, "%.*s", (int)(n - 2), name + 1);
    else
        snprintf(host, len, "%.*s", (int)n, name);
}

static int handshake(struct cli_stream *s, const char *name, const struct cli_tls *t, char *err,
                     size_t errlen)
{
    struct tls_config cfg = {t->ca, t->cert, t->key, t->no_verify};
    char host[300];
    int rc = -1;

    struct ssl_ctx_st *ctx = tls_ctx_new(&cfg, err, errlen);
    if (ctx == NULL)
        return -1;
    host_of(name, host, sizeof(host));
    s->ssl = tls_new(ctx, s->fd, t->name ? t->name : host, NULL, err, errlen);
    if (s->ssl != NULL) {
        enum tls_rc r = tls_handshake(s->ssl, err, errlen);
        /* blocking: a wait is the socket's timeout running out */
        if (r == TLS_WANT_READ || r == TLS_WANT_WRITE)
            snprintf(err, errlen, "no TLS handshake in time (does the server speak TLS?)");
        rc = r == TLS_OK ? 0 : -1;
    }
    tls_ctx_free(&ctx); /* the session keeps what it needs of it */
    return rc;
}

/* Log s in as a client of a -Y server: the set, then its "STORED".  0,
 * or -1 (errno, or EACCES when refused). */
static int login(struct cli_stream *s, const struct cli_auth *a)
{
    char msg[1400], reply[64];
    size_t nu = strlen(a->user), np = strlen(a->pass);
    int n = snprintf(msg, sizeof(msg), "set mnemo_auth 0 -1 %zu\r\n%s %s\r\n", nu + 1 + np, a->user,
                     a->pass);
    if (n < 0 || (size_t)n >= sizeof(msg) || cli_stream_send(s, msg, (size_t)n) != 0)
        return -1;
    size_t got = 0;
    while (got < sizeof(reply) - 1 && (got == 0 || reply[got - 1] != '\n')) {
        ssize_t r = cli_stream_recv(s, reply + got, 1); /* a byte at a time: nothing past the line */
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    if (got != 8 || memcmp(reply, "STORED\r\n", 8) != 0) {
        errno = EACCES;
        return -1;
    }
    return 0;
}

int cli_stream_open(struct cli_stream *s, const char *name, int connect_ms, int reply_ms,
                    const struct cli_tls *t, const struct cli_auth *auth, char *err,
                    size_t errlen)
{
    s->ssl = NULL;
    s->fd = cli_dial(name, connect_ms, reply_ms);
    if (s->fd < 0) {
        snprintf(err, errlen, "%s", errno == EAGAIN ? "timed out" : strerror(errno));
        return -1;
    }
    if (t != NULL && t->on && handshake(s, name, t, err, errlen) != 0) {
        cli_stream_close(s);
        return -1;
    }
    if (auth != NULL && login(s, auth) != 0) {
        snprintf(err, errlen, "%s",
                 errno == EACCES ? "the credentials of --auth-file were refused" : strerror(errno));
        cli_stream_close(s);
        return -1;
    }
    return 0;
}

int cli_stream_send(struct cli_stream *s, const void *p, size_t n)
{
    const char *b = p;
    char err[8];

    while (n > 0) {
        ssize_t w = s->ssl ? tls_write(s->ssl, b, n, err, sizeof(err)) : send(s->fd, b, n, MSG_NOSIGNAL);
        if (w < 0 && s->ssl == NULL && errno == EINTR)
            continue;
        if (w <= 0) {
            if (s->ssl != NULL)
                errno = w == TLS_WANT_READ || w == TLS_WANT_WRITE ? EAGAIN : EIO;
            return -1;
        }
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

ssize_t cli_stream_recv(struct cli_stream *s, void *p, size_t n)
{
    char err[8];

    if (s->ssl == NULL) {
        ssize_t r;
        do
            r = recv(s->fd, p, n, 0);
        while (r < 0 && errno == EINTR);
        return r;
    }
    ssize_t r = tls_read(s->ssl, p, n, err, sizeof(err));
    if (r > 0)
        return r;
    if (r == TLS_EOF)
        return 0;
    errno = r == TLS_WANT_READ || r == TLS_WANT_WRITE ? EAGAIN : EIO;
    return -1;
}

int cli_stream_pending(struct cli_stream *s)
{
    return s->ssl ? tls_pending(s->ssl) : 0;
}

void cli_stream_close(struct cli_stream *s)
{
    tls_free(&s->ssl);
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}
