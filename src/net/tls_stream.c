/*
 * tls_stream.c: see tls_stream.h. The session a connection hands over
 * comes in through tls_stream_adopt (tls_session.h, from conn_tls.c).
 */
#include "net/tls_stream.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/tls_keys.h"
#include "net/tls_session.h"

struct tls_client_ctx {
    SSL_CTX *ctx;
};

struct tls_stream {
    SSL *ssl;
    bool broken; /* a fatal error: no close_notify may follow */
};

/* The reason of the oldest error on this thread's OpenSSL queue (which is
 * emptied), after what; errno's when OpenSSL has none. */
static void say(char *err, size_t errlen, const char *what)
{
    tls_keys_say(err, errlen, what, "the connection was closed");
}

struct tls_client_ctx *tls_client_ctx_new(const struct tls_client_config *cfg, char *err,
                                          size_t errlen)
{
    char what[1200];
    ERR_clear_error();
    errno = 0;
    struct tls_client_ctx *c = calloc(1, sizeof(*c));
    if (c == NULL || (c->ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
        say(err, errlen, "cannot create a TLS context");
        free(c);
        return NULL;
    }
    SSL_CTX *ctx = c->ctx;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* A primary that stops (or drops a replica) closes without waiting
     * to send close_notify: an end of the stream like a plain one (the
     * records carry their own checksums, a cut one is seen as such). */
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    if (cfg->ca_file != NULL) {
        if (SSL_CTX_load_verify_locations(ctx, cfg->ca_file, NULL) != 1) {
            snprintf(what, sizeof(what), "cannot load the CA file %s", cfg->ca_file);
            say(err, errlen, what);
            goto fail;
        }
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        say(err, errlen, "cannot load the system's trusted CAs");
        goto fail;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (tls_keys_load_client(ctx, cfg->cert_file, cfg->key_file, err, errlen) != 0)
        goto fail;
    return c;
fail:
    SSL_CTX_free(ctx);
    free(c);
    return NULL;
}

void tls_client_ctx_free(struct tls_client_ctx **ctx)
{
    if (*ctx == NULL)
        return;
    SSL_CTX_free((*ctx)->ctx);
    free(*ctx);
    *ctx = NULL;
}

static bool is_ip(const char *name)
{
    unsigned char a[16];
    return inet_pton(AF_INET, name, a) == 1 || inet_pton(AF_INET6, name, a) == 1;
}

/* The outcome of a failed SSL_* call that returned rc. */
static ssize_t outcome(struct tls_stream *s, int rc, const char *what, char *err, size_t errlen)
{
    int e = SSL_get_error(s->ssl, rc);
    long vr;
    switch (e) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        ERR_clear_error();
        return TLS_STREAM_AGAIN;
    case SSL_ERROR_ZERO_RETURN:
        ERR_clear_error();
        return 0;
    case SSL_ERROR_SYSCALL:
        s->broken = true;
        if (ERR_peek_error() == 0 && errno == 0) {
            ERR_clear_error();
            return 0;
        }
        say(err, errlen, what);
        return TLS_STREAM_FAIL;
    case SSL_ERROR_SSL:
        s->broken = true;
        vr = SSL_get_verify_result(s->ssl);
        if (vr != X509_V_OK) {
            snprintf(err, errlen, "%s: the server's certificate was refused: %s", what,
                     X509_verify_cert_error_string(vr));
            ERR_clear_error();
            return TLS_STREAM_FAIL;
        }
        if (ERR_GET_REASON(ERR_peek_error()) == SSL_R_WRONG_VERSION_NUMBER &&
            !SSL_is_init_finished(s->ssl)) {
            snprintf(err, errlen, "%s: the server does not speak TLS (wrong version number)", what);
            ERR_clear_error();
            return TLS_STREAM_FAIL;
        }
        say(err, errlen, what);
        return TLS_STREAM_FAIL;
    default:
        s->broken = true;
        say(err, errlen, what);
        return TLS_STREAM_FAIL;
    }
}

struct tls_stream *tls_stream_connect(struct tls_client_ctx *ctx, int fd, const char *name,
                                      int timeout_ms, bool (*stop)(void *), void *arg,
                                      char *err, size_t errlen)
{
    ERR_clear_error();
    errno = 0;
    struct tls_stream *s = calloc(1, sizeof(*s));
    if (s == NULL || (s->ssl = SSL_new(ctx->ctx)) == NULL || SSL_set_fd(s->ssl, fd) != 1) {
        say(err, errlen, "cannot start a TLS session");
        if (s != NULL)
            SSL_free(s->ssl);
        free(s);
        return NULL;
    }
    /* RFC 6066: SNI carries host names only, never an address literal. */
    X509_VERIFY_PARAM *vp = SSL_get0_param(s->ssl);
    bool ok = is_ip(name) ? X509_VERIFY_PARAM_set1_ip_asc(vp, name) == 1
                          : SSL_set_tlsext_host_name(s->ssl, name) == 1 &&
                                X509_VERIFY_PARAM_set1_host(vp, name, 0) == 1;
    if (!ok) {
        say(err, errlen, "cannot set the server name");
        s->broken = true;
        tls_stream_free(&s);
        return NULL;
    }
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        ERR_clear_error();
        errno = 0;
        int rc = SSL_connect(s->ssl);
        if (rc == 1)
            return s;
        ssize_t r = outcome(s, rc, "TLS handshake failed", err, errlen);
        if (r == 0) {
            snprintf(err, errlen, "TLS handshake failed: the server closed the connection "
                                  "(does it speak TLS? does it want a client certificate?)");
            break;
        }
        if (r != TLS_STREAM_AGAIN)
            break;
        /* the socket's receive timeout passed: within the deadline, on */
        clock_gettime(CLOCK_MONOTONIC, &now);
        long ms = (long)(now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
        if (stop != NULL && stop(arg)) {
            snprintf(err, errlen, "TLS handshake stopped");
            break;
        }
        if (ms >= timeout_ms) {
            snprintf(err, errlen, "TLS handshake failed: no answer within %d ms", timeout_ms);
            break;
        }
    }
    s->broken = true;
    tls_stream_free(&s);
    return NULL;
}

struct tls_stream *tls_stream_adopt(SSL *ssl)
{
    struct tls_stream *s = calloc(1, sizeof(*s));
    if (s != NULL)
        s->ssl = ssl;
    return s;
}

ssize_t tls_stream_read(struct tls_stream *s, void *p, size_t n, char *err, size_t errlen)
{
    size_t got = 0;
    ERR_clear_error();
    errno = 0;
    if (SSL_read_ex(s->ssl, p, n, &got) == 1)
        return (ssize_t)got;
    /* TLS 1.3 checks a client certificate after the client's handshake
     * is done: a refusal arrives as an alert on the first read. */
    return outcome(s, 0, "TLS read failed", err, errlen);
}

ssize_t tls_stream_write(struct tls_stream *s, const void *p, size_t n, char *err, size_t errlen)
{
    size_t put = 0;
    ERR_clear_error();
    errno = 0;
    if (SSL_write_ex(s->ssl, p, n, &put) == 1)
        return (ssize_t)put;
    ssize_t r = outcome(s, 0, "TLS write failed", err, errlen);
    return r == 0 ? TLS_STREAM_FAIL : r;
}

void tls_stream_free(struct tls_stream **sp)
{
    struct tls_stream *s = *sp;
    if (s == NULL)
        return;
    *sp = NULL;
    if (!s->broken && SSL_is_init_finished(s->ssl)) {
        /* best effort: a blocking socket may hold it up only as long as
         * the peer does not read, and the peer is closing too */
        ERR_clear_error();
        (void)SSL_shutdown(s->ssl);
    }
    ERR_clear_error();
    SSL_free(s->ssl);
    free(s);
}
