/*
 * exec.c: see exec.h. The dispatcher, the commands that touch no key, and
 * the single reply path. Per-key commands live in exec_keys.c, storage in
 * exec_store.c. Statistics are counted here, once, whatever the protocol;
 * memcached 1.6 is the reference for every reply and counter.
 */
#include "server/exec.h"

#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "net/event.h"
#include "server/errors.h"
#include "server/exec_internal.h"
#include "server/server.h"
#include "server/stats.h"
#include "store/store.h"

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

static void exec_flush(struct exec_ctx *x, const struct request *req)
{
    STATS_INCR(x->stats, cmd_flush); /* memcached counts refused attempts too */
    if (!x->srv->cfg.flush_enabled) {
        exec_reply_message(x, RSP_CLIENT_ERROR, RSP_EDISABLED, "flush_all not allowed");
        return;
    }
    /* memcached: a delay follows the exptime rules; none (or 0) is now. */
    uint32_t when = 0;
    if (req->has_delay && req->delta > 0)
        when = exec_exptime((int64_t)req->delta);
    store_flush(x->srv->store, when);
    exec_reply_kind(x, RSP_OK);
}

static void exec_version(struct exec_ctx *x)
{
    struct response rsp = {.kind = RSP_VERSION, .msg = SERVER_VERSION, .nmsg = strlen(SERVER_VERSION)};
    exec_emit(x, &rsp, NULL);
}

static enum exec_next exec_shutdown(struct exec_ctx *x, const struct request *req)
{
    if (!x->srv->cfg.shutdown_enabled) {
        /* memcached 1.6.45's words, glued to the colon (1.6.18: "ERROR: ...") */
        exec_reply_message(x, RSP_SERVER_ERROR, RSP_EDISABLED, ": shutdown not enabled");
        return EXEC_CONTINUE;
    }
    /* memcached 1.6 knows "shutdown" and "shutdown graceful"; both stop the
     * server here, which always drains connections on its way out. */
    if (req->narg > 0 && !(req->narg == 8 && memcmp(req->arg, "graceful", 8) == 0)) {
        exec_reply_message(x, RSP_CLIENT_ERROR, RSP_EFORMAT, "invalid shutdown mode");
        return EXEC_CONTINUE;
    }
    log_info("shutdown requested by a client");
    atomic_store(&x->srv->shutdown_requested, true);
    return EXEC_CLOSE;
}

enum exec_next exec_request(struct exec_ctx *x, const struct request *req)
{
    x->req = req;
    switch (req->cmd) {
    case REQ_GET:
    case REQ_GETS:
    case REQ_GAT:
    case REQ_GATS:
    case REQ_MG:
        exec_retrieve(x, req);
        break;
    case REQ_DELETE:
    case REQ_MD:
        exec_delete(x, req);
        break;
    case REQ_INCR:
    case REQ_DECR:
    case REQ_MA:
        exec_delta(x, req);
        break;
    case REQ_TOUCH:
        exec_touch(x, req);
        break;
    case REQ_ME:
        exec_meta_debug(x, req);
        break;
    case REQ_FLUSH_ALL:
        exec_flush(x, req);
        break;
    case REQ_VERSION:
        exec_version(x);
        break;
    case REQ_VERBOSITY:
        atomic_store(&x->srv->verbosity, (int)(req->delta > 3 ? 3 : req->delta));
        exec_reply_kind(x, RSP_OK);
        break;
    case REQ_MN:
    case REQ_NOOP:
        exec_reply_kind(x, RSP_NOOP);
        break;
    case REQ_QUIT:
        /* binary quit answers before closing (quietly for quitq) */
        if (req->proto == REQ_PROTO_BINARY)
            exec_reply_kind(x, RSP_OK);
        return EXEC_CLOSE;
    case REQ_SHUTDOWN:
        return exec_shutdown(x, req);
    case REQ_STATS:
        stats_command(x, req->arg, req->narg);
        break;
    case REQ_SASL_LIST:
    case REQ_SASL_AUTH:
    case REQ_SASL_STEP:
        /* No authentication exists yet: answered as memcached 1.6.45 built
         * without SASL answers them, "Unknown command" (the data skipped). */
        exec_reply_message(x, RSP_ERROR, RSP_EUNKNOWN, "");
        break;
    default:
        exec_reply_message(x, RSP_ERROR, RSP_EUNKNOWN, "");
        break;
    }
    return EXEC_CONTINUE;
}

enum exec_next exec_parse_error(struct exec_ctx *x, const struct request *req)
{
    x->req = req;
    /* A binary stream whose framing is in doubt cannot be resynchronised:
     * memcached answers (except to a bad magic byte) and closes. */
    bool binary = req->proto == REQ_PROTO_BINARY;
    if (!(binary && req->error == REQ_EBAD_MAGIC)) {
        struct response rsp;
        errors_request(req->error, &rsp);
        exec_emit(x, &rsp, NULL);
    }
    if (binary || errors_request_fatal(req->error))
        return EXEC_CLOSE;
    return req->error != REQ_EOK && req->swallow_on_error ? EXEC_SWALLOW : EXEC_CONTINUE;
}
