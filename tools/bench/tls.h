/*
 * tls.h: mnemo-bench's TLS (--tls, --tls-ca, ...): one context for the
 * run, a handshake on each connection within its connect time limit, and
 * the reads and writes of the load loop.  libmnemo's TLS (src/client/tls.c)
 * does the work; a mnemo-bench built without libmnemo has none.
 */
#ifndef MNEMO_BENCH_TLS_H
#define MNEMO_BENCH_TLS_H

#include <stddef.h>
#include <sys/types.h>

struct bench_options;
struct ssl_ctx_st;

/* The context --tls asks for into *ctx (NULL without --tls).  0, or -1
 * with one line in err (a file that cannot be used). */
int bench_tls_context(const struct bench_options *o, struct ssl_ctx_st **ctx, char *err,
                      size_t errlen);
void bench_tls_context_free(struct ssl_ctx_st **ctx);

/* A connection's TLS: its session and where its requests end. */
struct bench_tls_conn;

/* The TLS handshake on connected non-blocking socket fd, checking the
 * certificate for name, waiting in poll until deadline_ms (monotonic).
 * The connection's TLS, or NULL with one line in err. */
struct bench_tls_conn *bench_tls_handshake(struct ssl_ctx_st *ctx, int fd, const char *name,
                                           long long deadline_ms, char *err, size_t errlen);
void bench_tls_free(struct bench_tls_conn **t);

/* A request ends `queued` bytes after the first unsent one (TLS records
 * end there, src/client/tls_cuts.h).  0, or -1 when out of memory. */
int bench_tls_mark(struct bench_tls_conn *t, size_t queued);
/* Bytes moved (> 0); 0 when the socket must wait (for reading or, with
 * *want_out, for writing); -1 at the end of the stream or on an error,
 * with one line in err.  bench_tls_send takes p[0..n) from the first
 * unsent byte, and writes whole requests. */
ssize_t bench_tls_send(struct bench_tls_conn *t, const void *p, size_t n, int *want_out,
                       char *err, size_t errlen);
ssize_t bench_tls_recv(struct bench_tls_conn *t, void *p, size_t n, int *want_out, char *err,
                       size_t errlen);
/* Does the session hold bytes it read from the socket and has not handed
 * out yet (a whole or partial record)? 1 or 0. */
int bench_tls_pending(struct bench_tls_conn *t);

#endif
