/*
 * session.h: one client connection (TCP or Unix socket), from bytes read to
 * replies sent: the driver of its request loop (server/reqloop.h).
 *
 *   readable ─▶ rbuf ─▶ reqloop (parse ─▶ exec ─▶ replies) ─▶ outq ─▶ writev
 *                          │ storage command
 *                          ▼
 *              value bytes read straight into the reserved item, then commit
 *
 * A session belongs to one worker thread and is only touched there (the
 * worker's list lock covers the fields "stats conns" reads).
 */
#ifndef MNEMO_SERVER_SESSION_H
#define MNEMO_SERVER_SESSION_H

#include <stdint.h>
#include <stdio.h>

struct session;
struct worker;
struct worker_conn_ops;

/* The functions below as the table a worker runs its connections through
 * (worker.h): main.c hands it to worker_start. */
extern const struct worker_conn_ops session_worker_ops;

/* Take over an accepted socket. NULL (and the fd closed) on failure. */
struct session *session_open(struct worker *w, int fd);

/* Close the socket and free the session. Sets *s to NULL. */
void session_close(struct session **s);

/* A streamed reply of the session may have new data (the worker's wake-up
 * after a producer published some): take it and send it. May close the
 * session. Loop thread only. */
void session_stream_kick(struct session *s);

/* Write the append log for the worker's held sessions and let go those
 * whose replies it now covers (with appendfsync always: once fsynced);
 * close those it never will (the log failed). Loop thread: at the end of
 * each batch, and on a wake-up from the fsync thread. */
void session_release_held(struct worker *w);

/* session_close for -o idle_timeout ("watch connevents" says why). */
void session_close_idle(struct session **s);

/* Seconds on the server clock since the session last did anything. */
uint32_t session_idle_since(const struct session *s);

/* True while the session waits for a new command (idle timeout applies). */
int session_is_idle(const struct session *s);

/* One "stats conns" entry per line into f-like buffer via emit. */
typedef void (*session_stat_fn)(void *arg, const char *name, const char *value);
void session_describe(const struct session *s, session_stat_fn emit, void *arg);

/* The intrusive list of a worker's sessions. */
struct session *session_next(const struct session *s);
void session_link(struct session **head, struct session *s);
void session_unlink(struct session **head, struct session *s);

#endif
