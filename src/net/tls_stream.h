/*
 * tls_stream.h: TLS on a socket a thread of its own owns, outside the
 * event loops: the two ends of the replication link. A replica's link
 * (repl/link.c) connects with a client context on a blocking socket; a
 * primary's feed (repl/feed.c) takes over the session of the TLS
 * connection the replica's "repl_sync" came on (conn_tls_take, conn.h)
 * and goes on with it on a non-blocking socket. Reads and writes say
 * "again" (the socket's timeout passed, or it would block) apart from a
 * failure, and every failure has a one-line reason. Knows nothing of
 * replication; repl/ sees this header only, never the connection types.
 */
#ifndef MNEMO_NET_TLS_STREAM_H
#define MNEMO_NET_TLS_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct tls_client_ctx;
struct tls_stream;

struct tls_client_config {
    const char *ca_file;   /* the CAs the server's certificate is checked against;
                            * NULL: the system's */
    const char *cert_file; /* a client certificate (mutual TLS), or NULL */
    const char *key_file;  /* its key; NULL: in cert_file */
};

/* The files read now. NULL with one line in err. */
struct tls_client_ctx *tls_client_ctx_new(const struct tls_client_config *cfg, char *err,
                                          size_t errlen);
void tls_client_ctx_free(struct tls_client_ctx **ctx);

/* What a read or write that moved nothing means. */
#define TLS_STREAM_AGAIN (-2) /* nothing yet: the socket's timeout, or it would block */
#define TLS_STREAM_FAIL (-1)  /* the reason is in err */

/* The client's handshake on connected blocking socket fd (with SO_RCVTIMEO
 * set), for name (a host name, checked and sent as SNI, or an IP address,
 * checked only), bounded by timeout_ms; stop(arg) is asked between waits
 * and a shutdown(2) of fd ends a wait at once. NULL with the reason in err
 * (a refused certificate, a server that does not speak TLS, ...). */
struct tls_stream *tls_stream_connect(struct tls_client_ctx *ctx, int fd, const char *name,
                                      int timeout_ms, bool (*stop)(void *), void *arg,
                                      char *err, size_t errlen);

/* Up to n decrypted bytes: how many (> 0), 0 at the end of the stream,
 * TLS_STREAM_AGAIN or TLS_STREAM_FAIL. */
ssize_t tls_stream_read(struct tls_stream *s, void *p, size_t n, char *err, size_t errlen);
/* Write up to n bytes: how many were taken (> 0), TLS_STREAM_AGAIN (retry
 * with the same bytes once the socket is ready, both ways: TLS may need to
 * read to write) or TLS_STREAM_FAIL. */
ssize_t tls_stream_write(struct tls_stream *s, const void *p, size_t n, char *err, size_t errlen);

/* A close_notify if the session is sound and the socket takes it at once;
 * frees *s (the socket stays open: its owner closes it). */
void tls_stream_free(struct tls_stream **s);

#endif
