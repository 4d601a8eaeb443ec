/*
 * tls_session.h: what tls.c (the contexts) and the TLS connection types
 * (conn_tls.c, conn_tls_uring.c) share, inside net/. A session is one
 * accepted socket's OpenSSL object and the server it came from, filed
 * under the fd between the accept and conn_open.
 */
#ifndef MNEMO_NET_TLS_SESSION_H
#define MNEMO_NET_TLS_SESSION_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

struct tls_server;

struct tls_session {
    SSL *ssl; /* holds a reference on the context it was made from */
    struct tls_server *ts;
};

/* The session tls_server_adopt filed under fd, taken out (NULL: fd is no
 * TLS socket). Any thread. */
struct tls_session *tls_session_claim(int fd);

/* SSL_free and free. */
void tls_session_free(struct tls_session *s);

/* The server's settings and counters, for the connection type. */
size_t tls_session_wbuf_size(const struct tls_session *s);
int tls_session_handshake_timeout_ms(const struct tls_session *s);
int tls_session_idle_trim_ms(const struct tls_session *s);
void tls_session_count(const struct tls_session *s, bool handshake_ok);
void tls_session_count_proto_error(const struct tls_session *s);
/* A handshake failed (or ran out of time): said at -vvv with OpenSSL's
 * reason, counted; the thread's error queue is emptied. */
void tls_session_handshake_failed(const struct tls_session *s, int fd, bool timed_out);

/* Copy up to limit bytes of the iovecs' front into buf (replies gathered
 * before SSL_write, so they make one record): how many. */
size_t tls_gather(const struct iovec *iov, size_t n, char *buf, size_t limit);

/* The calling thread's buffer of size bytes (the same size every call in
 * a process) that small replies are gathered into before SSL_write, so
 * they make one record; freed when the thread ends. NULL: no memory. */
char *tls_thread_wbuf(size_t size);

/* The calling thread's slot for a spare batch BIO (conn_tls.c), freed
 * with the thread. NULL: no memory. */
BIO **tls_thread_spare(void);

/* A session that goes on outside the loops (tls_stream.h): owned by the
 * stream from now on. NULL: no memory (ssl untouched). */
struct tls_stream;
struct tls_stream *tls_stream_adopt(SSL *ssl);

#endif
