/*
 * reqloop.h: the request loop every front end runs (TCP and Unix sessions,
 * UDP datagrams): parse → exec → reply over an input buffer and an output
 * queue, through the protocol table (proto/dialect.h) its first byte picks.
 *
 *   CMD ──storage line──▶ DATA ──block complete──▶ CMD
 *    │  └─refused──────▶ SWALLOW ──block skipped──▶ CMD
 *    │  binary body the command does not use ──▶ SWALLOW
 *    │  -Y, not authenticated: set ──▶ AUTH ──token checked──▶ CMD
 *    │                         anything else: refused (its block skipped)
 *    └─quit / fatal───▶ CLOSING (replies queued so far are sent, later ones dropped)
 *
 * The loop knows no sockets: the driver fills the rbuf (or, for a data
 * block, item memory straight: reqloop_data_dest), runs the loop, and sends
 * the output queue. It is also where noreply is decided, once, for every
 * reply of a request: the reply sink drops what a request's noreply asks
 * to (the composers drop meta q's and the binary quiet opcodes' replies).
 *
 * One loop per connection (or per UDP socket, reset per datagram), touched
 * only by its worker thread. Allocates nothing per request: a storage line
 * is copied into a buffer that grows to the longest line and stays.
 */
#ifndef MNEMO_SERVER_REQLOOP_H
#define MNEMO_SERVER_REQLOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/request.h"
#include "server/config.h" /* enum config_protocol */
#include "server/exec.h"

struct event_loop;
struct item;
struct outq;
struct proto_ops;
struct rbuf;
struct saslsrv_conn;
struct server;
struct thread_stats;

enum reqloop_state { REQLOOP_CMD, REQLOOP_DATA, REQLOOP_SWALLOW, REQLOOP_AUTH, REQLOOP_CLOSING };

/* Why reqloop_run returned. */
enum reqloop_stop {
    REQLOOP_IDLE,       /* at a command boundary with no input left */
    REQLOOP_NEED_INPUT, /* a request, data block or body is incomplete */
    REQLOOP_BACKLOG,    /* more than out_limit reply bytes queued: stop until they drain */
    REQLOOP_BUDGET,     /* *budget requests run: give other connections their turn */
    REQLOOP_STREAM,     /* a request's reply goes on in a stream: reqloop_take_stream */
    REQLOOP_CLOSED      /* closing: quit, a fatal error, or reqloop_close */
};

struct reqloop {
    enum reqloop_state state;
    enum config_protocol pin;    /* -B: a pinned dialect, else AUTO */
    const struct proto_ops *ops; /* the connection's dialect; NULL until its first byte */
    bool lossy;                  /* UDP: a reply that finds no memory is just lost */
    struct outq *out;
    struct exec_ctx x;      /* reused per request; exec sets x.req */
    char *line;             /* a copy of the pending command line, which replies may echo */
    size_t line_cap;
    struct item *item;      /* reserved for the pending data block */
    size_t data_have;
    size_t data_need;
    size_t swallow_left;
    size_t line_clean;      /* text: the first line_clean bytes buffered hold no "\n" */
    uint32_t last_active;   /* server clock at the last command */
    bool authenticated;     /* -Y or -S: this connection has authenticated */
    char *auth_token;       /* -Y: the auth set's data block, as it arrives; -S: the
                             * SASL mechanism name, then the data (the request
                             * waits in pending, without pointers) */
    size_t auth_skip;       /* -S: the mechanism's bytes at the head of auth_token */
    struct saslsrv_conn *sasl; /* -S: this connection's exchange, or NULL */
    uint64_t lat_mark;      /* latency.h: when the request in hand was started on (ticks) */
    uint64_t lat_carry;     /* its ticks before it waited for the rest of its data block */
    uint8_t lat_cls;        /* what it is timed as (enum latency_class), or LATENCY_NONE */
    struct request pending; /* the storage request awaiting its data block (last:
                             * reqloop_init does not clear it) */
};

/* Set up a loop answering into out. loop (for streamed replies) may be
 * NULL; fd is what "watch" lines show. */
void reqloop_init(struct reqloop *rl, struct server *srv, struct thread_stats *stats, struct outq *out,
                  struct event_loop *loop, int fd, enum config_protocol pin, bool lossy);

/* Drop a reserved item and the line copy. The loop may be reset after. */
void reqloop_free(struct reqloop *rl);

/* Start over at a command boundary with the dialect unknown (a new UDP
 * datagram). A data block still awaited is dropped. */
void reqloop_reset(struct reqloop *rl);

/* Run requests from in until one of the reasons in enum reqloop_stop. Each
 * request run takes one from *budget. Never blocks. */
enum reqloop_stop reqloop_run(struct reqloop *rl, struct rbuf *in, size_t out_limit, int *budget);

/* The input ends here (a UDP datagram): a data block cut short is dropped,
 * answered as a block without its terminator where the dialect has one. */
void reqloop_end_input(struct reqloop *rl);

/* The stream a REQLOOP_STREAM left; the caller owns it now. */
struct stream *reqloop_take_stream(struct reqloop *rl);

/* Stop running requests (the driver closes): later replies are dropped. */
static inline void reqloop_close(struct reqloop *rl)
{
    rl->state = REQLOOP_CLOSING;
}

static inline bool reqloop_closing(const struct reqloop *rl)
{
    return rl->state == REQLOOP_CLOSING;
}

/* Bytes of the awaited data block not yet in (0 outside REQLOOP_DATA). */
static inline size_t reqloop_data_left(const struct reqloop *rl)
{
    return rl->state == REQLOOP_DATA ? rl->data_need - rl->data_have : 0;
}

/* Waiting for a new command (the idle timeout applies, peeked bytes are
 * commands). */
static inline bool reqloop_at_command(const struct reqloop *rl)
{
    return rl->state == REQLOOP_CMD;
}

/* A data block's rest may be received straight into item memory: where,
 * and *room bytes at most. NULL when no block is awaited. */
char *reqloop_data_dest(const struct reqloop *rl, size_t *room);

/* n bytes were received at reqloop_data_dest: once the block is whole, it
 * is stored and answered. */
void reqloop_data_received(struct reqloop *rl, size_t n);

/* memcached's name for the state, as "stats conns" shows it. */
const char *reqloop_state_name(const struct reqloop *rl);

/* Does the connection speak the binary protocol (so a text line cannot be
 * sent on it)? */
bool reqloop_is_binary(const struct reqloop *rl);

#endif
