/*
 * tls_cuts.h: where the TLS records of a connection's output end.  A
 * record ends where a request ends (several small requests share one, a
 * long one has its own): memcached 1.6.18 -Z reads a value's exact
 * length, and what its OpenSSL holds of a record past it waits, unseen by
 * its poll, until more bytes come, so the tail of a pipeline stalls (seen
 * with records cut anywhere: the client driver's 3000 pipelined requests,
 * mnemo-bench's pipelines of sets).  Pure bookkeeping on positions in the
 * output stream (bytes queued since the connection opened); conn.c and
 * mnemo-bench use it.
 */
#ifndef MNEMO_CLIENT_TLS_CUTS_H
#define MNEMO_CLIENT_TLS_CUTS_H

#include <stddef.h>
#include <stdint.h>

struct tls_cuts {
    uint64_t *pos;  /* ring of request ends not yet sent, ascending */
    size_t head, len, cap;
    uint64_t sent;  /* bytes of the stream written */
};

/* A request ends `queued` bytes after the first unsent byte.  0, or -1
 * (no memory: the caller fails the request). */
int tls_cuts_mark(struct tls_cuts *c, size_t queued);
/* n bytes were put before everything queued (the auth set of a new
 * connection): they end a request of their own. 0 or -1. */
int tls_cuts_prepend(struct tls_cuts *c, size_t n);
/* How many of the `queued` bytes the next write takes: whole requests up
 * to max bytes, or the first request alone when it is longer. */
size_t tls_cuts_next(const struct tls_cuts *c, size_t queued, size_t max);
/* n bytes were written. */
void tls_cuts_sent(struct tls_cuts *c, size_t n);
/* The connection closed with nothing kept: a new stream. */
void tls_cuts_reset(struct tls_cuts *c);
void tls_cuts_free(struct tls_cuts *c);

#endif
