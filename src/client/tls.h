/*
 * tls.h: the client side of TLS on OpenSSL, behind the connection code:
 * one context per client (CA, verification, client certificate), one
 * session per connection on an already connected non-blocking socket,
 * a handshake that steps as the socket allows, reads and writes that say
 * what they wait for, and a one-line reason for every failure.  Knows
 * nothing of servers, requests or the protocol; conn.c is its caller
 * in libmnemo, mnemo-cli and mnemo-bench are the others.
 */
#ifndef MNEMO_CLIENT_TLS_H
#define MNEMO_CLIENT_TLS_H

#include <stddef.h>
#include <sys/types.h>

struct ssl_ctx_st; /* OpenSSL's SSL_CTX */
struct ssl_st;     /* OpenSSL's SSL */
struct ssl_session_st;

struct tls_config {
    const char *ca_file;   /* NULL: the system's trusted CAs */
    const char *cert_file; /* client certificate (mutual TLS), or NULL */
    const char *key_file;  /* its key; NULL: in cert_file */
    int no_verify;         /* 1: take any server certificate (tests only) */
};

/* The largest TLS record written (OpenSSL's own maximum).  A write takes
 * whole requests up to this size, or one longer request alone, so each
 * record ends where a request ends (tls_cuts.h says why).  Smaller records
 * stalled memcached 1.6.18 -Z more often, not less. */
#define TLS_RECORD_MAX 16384

/* What a step waits for, or how it ended. */
enum tls_rc {
    TLS_OK = 0,
    TLS_WANT_READ = -1,
    TLS_WANT_WRITE = -2,
    TLS_EOF = -3,  /* the peer closed the connection */
    TLS_FAIL = -4, /* the reason is in err */
};

/* A client context for cfg: files loaded, verification set.  NULL with
 * the reason in err (a file that cannot be read or does not match). */
struct ssl_ctx_st *tls_ctx_new(const struct tls_config *cfg, char *err, size_t errlen);
void tls_ctx_free(struct ssl_ctx_st **ctx);

/* A session on connected socket fd, checking the server's certificate
 * for name (a host name, or an IP address, which is not sent as SNI)
 * unless the context verifies nothing; resume (may be NULL) is an earlier
 * session of the same server to resume.  NULL with the reason in err. */
struct ssl_st *tls_new(struct ssl_ctx_st *ctx, int fd, const char *name,
                       struct ssl_session_st *resume, char *err, size_t errlen);
/* Send close_notify if the socket takes it at once, and free *ssl. */
void tls_free(struct ssl_st **ssl);

/* One step of the handshake: TLS_OK once done, TLS_WANT_*, or TLS_FAIL
 * (a refused certificate, a server that does not speak TLS, ...). */
enum tls_rc tls_handshake(struct ssl_st *ssl, char *err, size_t errlen);
/* Up to n decrypted bytes: how many (> 0), or a negative enum tls_rc. */
ssize_t tls_read(struct ssl_st *ssl, void *p, size_t n, char *err, size_t errlen);
/* Write up to n bytes: how many were taken (> 0), or a negative tls_rc.
 * A retry after TLS_WANT_* may pass the same bytes from another address. */
ssize_t tls_write(struct ssl_st *ssl, const void *p, size_t n, char *err, size_t errlen);
/* Does the session hold bytes it read from the socket and has not handed
 * out yet (poll does not see them)? 1 or 0. The context reads ahead (one
 * read(2) takes what the socket holds, not a record's header and then its
 * body): a reader goes on until this says 0. */
int tls_pending(struct ssl_st *ssl);
/* The session to resume on the next connection to the same server (a
 * reference the caller frees with tls_session_free), or NULL. */
struct ssl_session_st *tls_session(struct ssl_st *ssl);
void tls_session_free(struct ssl_session_st **sess);

#endif
