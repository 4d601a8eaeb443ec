/*
 * tls.h: the server side of TLS, on OpenSSL. One struct tls_server holds
 * the process's context (certificate, key, CA, verification, versions,
 * ciphers, session cache), built from struct tls_config at start and built
 * again by tls_server_reload (refresh_certs, SIGHUP): a connection keeps the
 * context it was accepted with, new ones get the new one.
 *
 * How a socket becomes a TLS connection without its owner knowing: the
 * thread that accepts it from a TLS listener calls tls_server_adopt(fd),
 * which prepares the TLS session and files it under the fd; conn_open (on
 * the worker the fd is handed to) claims it and runs the connection as
 * a TLS type (conn_tls_uring.c, or conn_tls.c on an epoll-only loop),
 * which shakes hands before the owner's first event. Nothing here knows the server that uses it.
 */
#ifndef MNEMO_NET_TLS_H
#define MNEMO_NET_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tls_server;

enum tls_keyformat { TLS_KEY_PEM = 1, TLS_KEY_DER = 2 }; /* OpenSSL's SSL_FILETYPE_* */

struct tls_config {
    const char *chain_cert; /* PEM certificate chain (required) */
    const char *key;        /* private key; NULL or "": in chain_cert */
    enum tls_keyformat keyformat;
    int verify_mode;        /* memcached's 0 none, 1 request, 2 require, 3 require once */
    const char *ca_cert;    /* PEM CAs client certificates are checked against; NULL: none */
    const char *ciphers;    /* OpenSSL cipher list (TLS 1.2 and below); NULL: OpenSSL's */
    int min_version;        /* 0 TLS 1.0, 1 TLS 1.1, 2 TLS 1.2, 3 TLS 1.3 */
    bool session_cache;     /* server-side session cache, for resumption */
    size_t wbuf_size;       /* plaintext gathered per SSL_write (one TLS record at 16 KB) */
    int handshake_timeout_ms; /* a handshake not done by then is closed; 0: never */
    int idle_trim_ms;       /* an io_uring connection gives back buffers a burst grew
                             * this long after (conn_tls_uring.c); 0: its default,
                             * negative: at once (the unit tests' way to reach it) */
};

/* How a listener's connections are verified (memcached's -l prefixes). */
enum tls_listen {
    TLS_LISTEN_DEFAULT, /* the context's verify mode */
    TLS_LISTEN_BASIC,   /* btls: never ask for a client certificate */
    TLS_LISTEN_PEER     /* mtls: require a client certificate */
};

/* Counters, summed over the process (relaxed atomics inside). */
struct tls_counters {
    uint64_t handshake_errors; /* handshakes that failed or timed out */
    uint64_t proto_errors;     /* TLS errors after the handshake */
    uint64_t new_sessions;     /* sessions negotiated with the session cache on */
    uint64_t handshakes;       /* handshakes done */
};

/* Check cfg and build the context (files read now). 0 and *out, or -1 with
 * one line in err. The strings are copied. */
int tls_server_create(const struct tls_config *cfg, struct tls_server **out, char *err,
                      size_t errlen);
void tls_server_destroy(struct tls_server **ts);

/* Read the certificate, key and CA files again into a new context; on
 * failure the old one stays and err says why. Any thread. 0 or -1. */
int tls_server_reload(struct tls_server *ts, char *err, size_t errlen);

/* Unix time of the last successful load. */
int64_t tls_server_loaded_at(const struct tls_server *ts);

void tls_server_counters(const struct tls_server *ts, struct tls_counters *out);

/* A socket accepted on a TLS listener: prepare its TLS session for the
 * conn_open that will take fd over. 0, or -1 (out of memory: close fd). */
int tls_server_adopt(struct tls_server *ts, int fd, enum tls_listen mode);

/* fd was adopted but is being closed without a conn_open: drop its session. */
void tls_server_abandon(int fd);

/* The OpenSSL names of the versions ("tlsv1.2"), by min_version's number;
 * "unknown" out of range. */
const char *tls_version_name(int min_version);

#endif
