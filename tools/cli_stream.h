/*
 * cli_stream.h: a blocking conversation with one server of mnemo-cli's
 * list, plain or TLS (--tls), logged in with --auth-file when given, for
 * what libmnemo does not hold (compare's metadump, top's watch).
 */
#ifndef MNEMO_TOOLS_CLI_STREAM_H
#define MNEMO_TOOLS_CLI_STREAM_H

#include <stddef.h>
#include <sys/types.h>

struct cli_auth;
struct cli_tls;
struct ssl_st;

/* A blocking conversation with one server. */
struct cli_stream {
    int fd;
    struct ssl_st *ssl; /* NULL: plain */
};

/* Connect to name ("host:port", "[v6]:port") within connect_ms, each read
 * bounded by reply_ms; the TLS handshake (t, may be NULL: plain) and the
 * login (auth, may be NULL) done.  0, or -1 with one line in err. */
int cli_stream_open(struct cli_stream *s, const char *name, int connect_ms, int reply_ms,
                    const struct cli_tls *t, const struct cli_auth *auth, char *err,
                    size_t errlen);
/* Send all n bytes; 0 or -1 (errno). */
int cli_stream_send(struct cli_stream *s, const void *p, size_t n);
/* Read up to n bytes: how many, 0 at the end, -1 with errno (EAGAIN: the
 * reply timed out, or nothing there on a non-blocking stream). */
ssize_t cli_stream_recv(struct cli_stream *s, void *p, size_t n);
/* Does a TLS stream hold bytes poll does not see (read ahead from the
 * socket, or decrypted)? 1 or 0. */
int cli_stream_pending(struct cli_stream *s);
void cli_stream_close(struct cli_stream *s);

#endif
