/*
 * exec.h: the meaning of every command, once, for all protocols.
 *
 * A front end parses bytes into a struct request and calls exec; exec talks
 * to the store, keeps the statistics, and answers through the reply callback
 * with protocol-neutral struct responses, which the front end composes into
 * its own bytes. exec knows nothing of sockets or wire formats.
 *
 * Storage commands take two steps because their value arrives after the
 * command line: exec_store_begin reserves the item (or refuses), the front
 * end reads the data block into item memory, exec_store_finish commits.
 */
#ifndef MNEMO_SERVER_EXEC_H
#define MNEMO_SERVER_EXEC_H

#include "proto/request.h"
#include "proto/response.h"

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
};

/* Deliver rsp (and it, for a VALUE) as the answer to x->req: every reply
 * leaves exec through here, so each carries its request (meta echoes its
 * flags, binary its opcode and opaque). */
void exec_emit(struct exec_ctx *x, struct response *rsp, struct item *it);

enum exec_next {
    EXEC_CONTINUE = 0, /* go on with the next request */
    EXEC_READ_DATA,    /* storage: read the data block into the reserved item */
    EXEC_SWALLOW,      /* storage refused (already answered): skip the data block */
    EXEC_CLOSE,        /* close the connection once replies are written */
    EXEC_STREAM        /* the reply goes on in x->stream (a key dump): attach it and
                        * serve later requests once it is done */
};

/* Run a request that has no data block. */
enum exec_next exec_request(struct exec_ctx *x, const struct request *req);

/* Storage, step 1. EXEC_READ_DATA with *it reserved (vlen + 2 bytes to fill
 * at item_data(*it)), or EXEC_SWALLOW after answering the error. */
enum exec_next exec_store_begin(struct exec_ctx *x, const struct request *req, struct item **it);

/* Storage, step 2: the data block is in the item. Checks its "\r\n"
 * terminator, commits according to req, answers. Consumes *it. req's key
 * pointers may be stale by now: the key is read from the item. */
void exec_store_finish(struct exec_ctx *x, const struct request *req, struct item **it);

/* Answer a request the parser rejected. EXEC_CLOSE when the stream cannot
 * be resynchronised (an over-long line, any binary framing error);
 * EXEC_SWALLOW when a data block follows that must be skipped (ms failing
 * after its datalen, as memcached): vlen + 2 bytes. */
enum exec_next exec_parse_error(struct exec_ctx *x, const struct request *req);

/* Convert a protocol exptime (0 never; up to 30 days relative; above that
 * an absolute Unix time; negative already expired) to the store's clock. */
uint32_t exec_exptime(int64_t exptime);

#endif
