/*
 * exec_ctx.c: see exec_ctx.h. The reply path every handler shares and the
 * protocol's time rules; it knows no command.
 */
#include "server/exec_ctx.h"

#include <string.h>

#include "common/clock.h"
#include "server/errors.h"
#include "server/thread_stats.h"

/* protocol.txt: an exptime above 30 days is an absolute Unix time. */
#define REALTIME_MAXDELTA (60 * 60 * 24 * 30)

uint32_t exec_exptime(int64_t exptime)
{
    if (exptime == 0)
        return 0;
    if (exptime < 0)
        return STORE_EXPIRED;
    if (exptime <= REALTIME_MAXDELTA)
        return clock_now() + (uint32_t)exptime;
    return clock_from_unix(exptime);
}

int64_t exec_ttl_left(uint32_t exptime)
{
    if (exptime == 0)
        return -1;
    uint32_t now = clock_now();
    return exptime > now ? (int64_t)(exptime - now) : 0;
}

void exec_emit(struct exec_ctx *x, struct response *rsp, struct item *it)
{
    rsp->req = x->req;
    x->reply(x->sink, rsp, it);
}

void exec_reply_kind(struct exec_ctx *x, enum response_kind kind)
{
    struct response rsp;
    memset(&rsp, 0, sizeof(rsp));
    rsp.kind = kind;
    exec_emit(x, &rsp, NULL);
}

void exec_reply_store_error(struct exec_ctx *x, enum store_status st)
{
    /* memcached's store_too_large / store_no_memory (items' outofmemory) */
    if (st == STORE_TOO_LARGE)
        STATS_INCR(x->stats, store_too_large);
    else if (st == STORE_ENOMEM)
        STATS_INCR(x->stats, store_no_memory);
    struct response rsp;
    errors_store(st, x->req, &rsp);
    exec_emit(x, &rsp, NULL);
}

void exec_reply_message(struct exec_ctx *x, enum response_kind kind, enum response_error error,
                        const char *msg)
{
    struct response rsp;
    errors_message(kind, msg, &rsp);
    rsp.error = error;
    exec_emit(x, &rsp, NULL);
}
