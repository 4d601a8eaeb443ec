/*
 * exec_internal.h: what the exec*.c files share. Not for other modules
 * (the reply helpers every handler uses are in exec_ctx.h).
 */
#ifndef MNEMO_SERVER_EXEC_INTERNAL_H
#define MNEMO_SERVER_EXEC_INTERNAL_H

#include <stdbool.h>

#include "server/exec_ctx.h"
#include "store/store.h"

/* Was meta flag c (a letter) given? */
static inline bool exec_flag(const struct request *req, char c)
{
    return (req->mflags & REQ_MFLAG(c)) != 0;
}

/* The per-key commands (exec_keys.c). */
/* Persistence refuses writes (the append log cannot be written): answer
 * SERVER_ERROR and return true; false otherwise (nothing answered). */
bool exec_write_refused(struct exec_ctx *x);

void exec_retrieve(struct exec_ctx *x, const struct request *req);
void exec_touch(struct exec_ctx *x, const struct request *req);
void exec_delete(struct exec_ctx *x, const struct request *req);
void exec_delta(struct exec_ctx *x, const struct request *req);
void exec_meta_debug(struct exec_ctx *x, const struct request *req);

#endif
