/*
 * exec_internal.h: what the exec*.c files share. Not for other modules.
 */
#ifndef MNEMO_SERVER_EXEC_INTERNAL_H
#define MNEMO_SERVER_EXEC_INTERNAL_H

#include <stdbool.h>

#include "server/exec.h"
#include "store/store.h"

/* Was meta flag c (a letter) given? */
static inline bool exec_flag(const struct request *req, char c)
{
    return (req->mflags & REQ_MFLAG(c)) != 0;
}

/* Reply a bare kind, a store failure, or an error message. */
void exec_reply_kind(struct exec_ctx *x, enum response_kind kind);
void exec_reply_store_error(struct exec_ctx *x, enum store_status st);
void exec_reply_message(struct exec_ctx *x, enum response_kind kind, enum response_error error,
                        const char *msg);

/* Seconds an item has left (-1: never expires), as meta "t" reports it. */
int64_t exec_ttl_left(uint32_t exptime);

/* The per-key commands (exec_keys.c). */
void exec_retrieve(struct exec_ctx *x, const struct request *req);
void exec_touch(struct exec_ctx *x, const struct request *req);
void exec_delete(struct exec_ctx *x, const struct request *req);
void exec_delta(struct exec_ctx *x, const struct request *req);
void exec_meta_debug(struct exec_ctx *x, const struct request *req);

#endif
