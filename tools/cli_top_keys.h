/*
 * cli_top_keys.h: the hottest keys of `mnemo-cli top --hot-keys`, counted
 * from each server's `watch fetchers` stream during a short window of
 * every interval.  The window is the cost bound: a server formats and
 * sends a line per fetch only while a watcher is connected, so top
 * watches for a slice of each interval and then hangs up.
 */
#ifndef MNEMO_TOOLS_CLI_TOP_KEYS_H
#define MNEMO_TOOLS_CLI_TOP_KEYS_H

#include <poll.h>
#include <stddef.h>
#include <stdio.h>

#include "mnemo/mnemo.h"

struct cli_auth;
struct cli_tls;
struct top_keys;

/* NULL when out of memory.  tls (--tls) and auth may be NULL; timeout_ms
 * bounds each connect, handshake and the subscription's OK.  c is only read (server names). */
struct top_keys *top_keys_create(const struct mnemo_client *c, const struct cli_tls *tls,
                                 const struct cli_auth *auth, int timeout_ms);
/* Hangs up on every server and frees; sets *k to NULL. */
void top_keys_destroy(struct top_keys **k);

/* Open a window: forget the last counts, connect to every server and
 * subscribe.  Blocks up to the timeout per server; a server that cannot
 * be watched is left out of this window. */
void top_keys_start(struct top_keys *k);
/* The watch sockets to poll for input: up to max; how many. */
size_t top_keys_pollfds(struct top_keys *k, struct pollfd *fds, size_t max);
/* Read what poll found ready on fds[0..n) (from top_keys_pollfds). */
void top_keys_read(struct top_keys *k, const struct pollfd *fds, size_t n);
/* Close the window after window_s seconds: hang up, rank the keys. */
void top_keys_stop(struct top_keys *k, double window_s);

/* The last window's 10 hottest keys, fetches/s estimated from it (its
 * measured length), with the server that served them, under a title
 * naming the window asked for (sample_s); each line ends in eol, cut at
 * width. */
void top_keys_write(const struct top_keys *k, FILE *out, double sample_s, double interval_s,
                    const char *eol, int width);

#endif
