/*
 * listen.h: listening sockets (TCP on every address a host resolves to, or
 * a unix domain socket) and accepting from them. Errors are returned as a
 * message for the one clear startup line; nothing here exits.
 */
#ifndef MNEMO_NET_LISTEN_H
#define MNEMO_NET_LISTEN_H

#include <stddef.h>

#define LISTEN_MAX_FDS 16

/* Bind and listen on host:port for each address host resolves to (host may
 * be a list separated by commas, each optionally "host:port" or "[v6]:port").
 * Appends descriptors to fds (up to max). Returns the number added, or -1
 * with err filled. */
int listen_tcp(const char *hosts, int port, int backlog, int *fds, int max, char *err,
               size_t errlen);

/* Bind UDP sockets the same way (non-blocking). Same results. */
int listen_udp(const char *hosts, int port, int *fds, int max, char *err, size_t errlen);

/* Listen on a unix socket at path with permissions mask (octal, e.g. 0700).
 * A stale socket file is replaced. Returns the fd or -1 with err filled. */
int listen_unix(const char *path, int mask, int backlog, char *err, size_t errlen);

/* Accept one connection, non-blocking and close-on-exec (TCP_NODELAY for
 * TCP: a listener of this file has it, and its connections inherit it).
 * Returns the fd, or -1 (errno EAGAIN when none is waiting). */
int listen_accept(int lfd);

/* The port a TCP listener is bound to (for -p 0). -1 if unknown. */
int listen_port(int fd);

#endif
