/*
 * tls.c: see tls.h.  Every OpenSSL call of the client side is here.
 */
#include "client/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "common/tls_keys.h"

/* The reason of the oldest error on this thread's OpenSSL queue (which is
 * emptied), after what, or errno's when OpenSSL has none. */
static void say(char *err, size_t errlen, const char *what)
{
    tls_keys_say(err, errlen, what, "unknown error");
}

struct ssl_ctx_st *tls_ctx_new(const struct tls_config *cfg, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    ERR_clear_error();
    errno = 0;
    if (ctx == NULL) {
        say(err, errlen, "cannot create a TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* SSL_write may write part of a buffer, and a retry may pass the same
     * bytes from another address (conn.c's buffers compact and grow). */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* A server that closes an idle connection without close_notify (as
     * memcached does) is an end of stream, not an attack: replies are
     * self-delimiting, so a cut one is seen as incomplete anyway. */
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_max_send_fragment(ctx, TLS_RECORD_MAX);
    /* One read(2) per burst of records, not two per record (its 5-byte
     * header, then its body; measured with mnemo-bench at pipeline 1: three
     * reads a reply, one with EAGAIN, became one). What it reads beyond a
     * record stays in the session: readers go on while tls_pending says so. */
    SSL_CTX_set_read_ahead(ctx, 1);
    if (cfg->ca_file != NULL) {
        if (SSL_CTX_load_verify_locations(ctx, cfg->ca_file, NULL) != 1) {
            char what[300];
            snprintf(what, sizeof(what), "cannot load the CA file %s", cfg->ca_file);
            say(err, errlen, what);
            goto fail;
        }
    } else if (!cfg->no_verify && SSL_CTX_set_default_verify_paths(ctx) != 1) {
        say(err, errlen, "cannot load the system's trusted CAs");
        goto fail;
    }
    SSL_CTX_set_verify(ctx, cfg->no_verify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
    if (tls_keys_load_client(ctx, cfg->cert_file, cfg->key_file, err, errlen) != 0)
        goto fail;
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

void tls_ctx_free(struct ssl_ctx_st **ctx)
{
    SSL_CTX_free(*ctx);
    *ctx = NULL;
}

static int is_ip(const char *name)
{
    unsigned char a[16];

    return inet_pton(AF_INET, name, a) == 1 || inet_pton(AF_INET6, name, a) == 1;
}

struct ssl_st *tls_new(struct ssl_ctx_st *ctx, int fd, const char *name,
                       struct ssl_session_st *resume, char *err, size_t errlen)
{
    SSL *ssl = SSL_new(ctx);
    int ok;

    ERR_clear_error();
    errno = 0;
    if (ssl == NULL || SSL_set_fd(ssl, fd) != 1) {
        say(err, errlen, "cannot start a TLS session");
        SSL_free(ssl);
        return NULL;
    }
    /* RFC 6066: SNI carries host names only, never an address literal. */
    ok = is_ip(name) || SSL_set_tlsext_host_name(ssl, name) == 1;
    if (ok && SSL_CTX_get_verify_mode(ctx) != SSL_VERIFY_NONE) {
        X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
        ok = is_ip(name) ? X509_VERIFY_PARAM_set1_ip_asc(vp, name) == 1
                         : X509_VERIFY_PARAM_set1_host(vp, name, 0) == 1;
    }
    if (ok && resume != NULL)
        SSL_set_session(ssl, resume); /* a refused one just means a full handshake */
    if (!ok) {
        say(err, errlen, "cannot set the server name");
        SSL_free(ssl);
        return NULL;
    }
    return ssl;
}

void tls_free(struct ssl_st **ssl)
{
    if (*ssl == NULL)
        return;
    /* Non-blocking: sent if the socket takes it now, else dropped; a
     * failed session has nothing to close. */
    if (SSL_is_init_finished(*ssl))
        SSL_shutdown(*ssl);
    ERR_clear_error();
    SSL_free(*ssl);
    *ssl = NULL;
}

/* The outcome of a failed SSL_* call that returned rc, in words. */
static enum tls_rc outcome(SSL *ssl, int rc, const char *what, char *err, size_t errlen)
{
    int e = SSL_get_error(ssl, rc);
    long vr;

    switch (e) {
    case SSL_ERROR_WANT_READ:
        return TLS_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
        return TLS_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN:
        ERR_clear_error();
        return TLS_EOF;
    case SSL_ERROR_SSL:
        vr = SSL_get_verify_result(ssl);
        if (vr != X509_V_OK) {
            snprintf(err, errlen, "%s: server certificate refused: %s", what,
                     X509_verify_cert_error_string(vr));
            ERR_clear_error();
            return TLS_FAIL;
        }
        if (ERR_GET_REASON(ERR_peek_error()) == SSL_R_WRONG_VERSION_NUMBER &&
            !SSL_is_init_finished(ssl)) {
            /* the server answered the hello in plain text */
            snprintf(err, errlen, "%s: the server does not speak TLS (wrong version number)", what);
            ERR_clear_error();
            return TLS_FAIL;
        }
        say(err, errlen, what);
        return TLS_FAIL;
    case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() == 0 && errno == 0) {
            ERR_clear_error();
            return TLS_EOF;
        }
        say(err, errlen, what);
        return TLS_FAIL;
    default:
        say(err, errlen, what);
        return TLS_FAIL;
    }
}

enum tls_rc tls_handshake(struct ssl_st *ssl, char *err, size_t errlen)
{
    ERR_clear_error();
    errno = 0;
    int rc = SSL_connect(ssl);
    if (rc == 1)
        return TLS_OK;
    enum tls_rc r = outcome(ssl, rc, "TLS handshake failed", err, errlen);
    if (r == TLS_EOF) {
        snprintf(err, errlen, "TLS handshake failed: the server closed the connection "
                              "(does it speak TLS? does it want a client certificate?)");
        return TLS_FAIL;
    }
    return r;
}

/* TLS 1.3 checks a client certificate after the client's side of the
 * handshake is done: a refusal arrives as an alert on the first read, or,
 * when the server closed before the client's first request went out, as
 * a reset of that write, which says nothing of why. Say the likely why. */
static enum tls_rc reset_hint(enum tls_rc r, int saved_errno, char *err, size_t errlen)
{
    if (r == TLS_FAIL && (saved_errno == ECONNRESET || saved_errno == EPIPE)) {
        size_t len = strlen(err);
        if (len + 1 < errlen)
            snprintf(err + len, errlen - len,
                     " (does the server want a client certificate, or refuse this one?)");
    }
    return r;
}

ssize_t tls_read(struct ssl_st *ssl, void *p, size_t n, char *err, size_t errlen)
{
    size_t got = 0;

    ERR_clear_error();
    errno = 0;
    if (SSL_read_ex(ssl, p, n, &got) == 1)
        return (ssize_t)got;
    int saved = errno;
    return reset_hint(outcome(ssl, 0, "TLS read failed", err, errlen), saved, err, errlen);
}

ssize_t tls_write(struct ssl_st *ssl, const void *p, size_t n, char *err, size_t errlen)
{
    size_t put = 0;

    ERR_clear_error();
    errno = 0;
    if (SSL_write_ex(ssl, p, n, &put) == 1)
        return (ssize_t)put;
    int saved = errno;
    return reset_hint(outcome(ssl, 0, "TLS write failed", err, errlen), saved, err, errlen);
}

int tls_pending(struct ssl_st *ssl)
{
    return SSL_has_pending(ssl);
}

struct ssl_session_st *tls_session(struct ssl_st *ssl)
{
    SSL_SESSION *s = SSL_get1_session(ssl);

    if (s != NULL && !SSL_SESSION_is_resumable(s)) {
        SSL_SESSION_free(s);
        return NULL;
    }
    return s;
}

void tls_session_free(struct ssl_session_st **sess)
{
    SSL_SESSION_free(*sess);
    *sess = NULL;
}
