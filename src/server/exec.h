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
#include "server/exec_ctx.h" /* struct exec_ctx, enum exec_next */

struct item;

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

#endif
