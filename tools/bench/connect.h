/*
 * connect.h: resolving and connecting to the benchmark's servers, always
 * with a time limit, so an unreachable server is a clear error and never a
 * hang.
 */
#ifndef MNEMO_BENCH_CONNECT_H
#define MNEMO_BENCH_CONNECT_H

#include <stddef.h>

struct bench_server;
struct ssl_ctx_st;
struct bench_tls_conn;

/*
 * Open a TCP connection to s within timeout_ms (each resolved address is
 * tried in turn, the time limit covering them all), and with tls (NULL:
 * plain) its TLS into *tconn, checked for name (NULL: s's host),
 * within the same limit.  Returns a connected, non-blocking socket with
 * TCP_NODELAY, or -1 with one line in err.
 */
int bench_connect(const struct bench_server *s, unsigned timeout_ms, struct ssl_ctx_st *tls,
                  const char *name, struct bench_tls_conn **tconn, char *err, size_t errlen);

#endif
