/*
 * exec_ctx.h: what every command handler works with: the context a request
 * runs in (struct exec_ctx), what it tells the front end to do next (enum
 * exec_next), the one way its answers leave (exec_emit and the reply
 * helpers) and the protocol's time rules.
 *
 * exec.c dispatches each command to its handler (exec_keys.c, exec_store.c,
 * admin.c, stats.c); the handlers answer through this file, not through the
 * dispatcher, so the arrows point one way: exec -> handler -> exec_ctx.
 */
#ifndef MNEMO_SERVER_EXEC_CTX_H
#define MNEMO_SERVER_EXEC_CTX_H

#include <stdint.h>

#include "proto/request.h"
#include "proto/response.h"
#include "store/store.h" /* enum store_status */

struct conn;
struct event_loop;
struct item;
struct server;
struct stream;
struct thread_stats;

/* Deliver one response. For RSP_VALUE, it carries a store reference whose
 * ownership passes to the callee (which sends the value from item memory and
 * releases it). */
typedef void (*exec_reply_fn)(void *sink, const struct response *rsp, struct item *it);

struct exec_ctx {
    struct server *srv;
    struct thread_stats *stats;
    exec_reply_fn reply;
    void *sink;
    const struct request *req; /* the request being answered; set by exec */
    struct event_loop *loop;   /* set by a front end that can take a streamed reply
                                * (a TCP session), else NULL */
    struct stream *stream;     /* out, with EXEC_STREAM: the rest of the reply */
    int fd;                    /* the client's socket, as "watch" lines show it */
    struct conn *conn;         /* the connection (a TCP session), else NULL: for
                                * "repl_sync" over TLS, which takes its session */
};

/* Deliver rsp (and it, for a VALUE) as the answer to x->req: every reply
 * leaves exec through here, so each carries its request (meta echoes its
 * flags, binary its opcode and opaque). */
void exec_emit(struct exec_ctx *x, struct response *rsp, struct item *it);

/* Reply a bare kind, a store failure, or an error message. */
void exec_reply_kind(struct exec_ctx *x, enum response_kind kind);
void exec_reply_store_error(struct exec_ctx *x, enum store_status st);
void exec_reply_message(struct exec_ctx *x, enum response_kind kind, enum response_error error,
                        const char *msg);

enum exec_next {
    EXEC_CONTINUE = 0, /* go on with the next request */
    EXEC_READ_DATA,    /* storage: read the data block into the reserved item */
    EXEC_SWALLOW,      /* storage refused (already answered): skip the data block */
    EXEC_CLOSE,        /* close the connection once replies are written */
    EXEC_STREAM        /* the reply goes on in x->stream (a key dump): attach it and
                        * serve later requests once it is done */
};

/* Convert a protocol exptime (0 never; up to 30 days relative; above that
 * an absolute Unix time; negative already expired) to the store's clock. */
uint32_t exec_exptime(int64_t exptime);

/* Seconds an item has left (-1: never expires), as meta "t" reports it. */
int64_t exec_ttl_left(uint32_t exptime);

#endif
