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
#include "net/tls.h"
#include "server/admin.h"
#include "server/errors.h"
#include "server/replication.h"
#include "server/exec_internal.h"
#include "server/server.h"
#include "server/stats.h"
#include "persist/persist.h"
#include "store/store.h"

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
    /* "stats settings" oldest, as memcached's oldest_live: when the flush
     * takes effect on the server clock (less one with CAS on) */
    uint32_t oldest = when != 0 ? when : clock_now();
    atomic_store(&x->srv->oldest_live, x->srv->cfg.use_cas && oldest > 0 ? oldest - 1 : oldest);
    exec_reply_kind(x, RSP_OK);
}

static void exec_version(struct exec_ctx *x)
{
    struct response rsp = {.kind = RSP_VERSION, .msg = SERVER_VERSION, .nmsg = strlen(SERVER_VERSION)};
    exec_emit(x, &rsp, NULL);
}

/* memcached 1.6.45: "graceful" may be shortened to any prefix ("shutdown
 * g"); a second argument, or any other word, is not a mode. */
static bool shutdown_graceful_arg(const char *arg, size_t narg)
{
    return narg > 0 && narg <= 8 && memchr(arg, ' ', narg) == NULL &&
           memcmp(arg, "graceful", narg) == 0;
}

static enum exec_next exec_shutdown(struct exec_ctx *x, const struct request *req)
{
    if (!x->srv->cfg.shutdown_enabled) {
        /* 1.6.45's words (1.6.18 said "ERROR: shutdown not enabled") */
        struct response rsp = {.kind = RSP_LINE, .msg = "SERVER_ERROR: shutdown not enabled",
                               .error = RSP_EDISABLED};
        rsp.nmsg = strlen(rsp.msg);
        exec_emit(x, &rsp, NULL);
        return EXEC_CONTINUE;
    }
    bool graceful = shutdown_graceful_arg(req->arg, req->narg);
    if (req->narg > 0 && !graceful) {
        exec_reply_message(x, RSP_CLIENT_ERROR, RSP_EFORMAT, "invalid shutdown mode");
        return EXEC_CONTINUE;
    }
    /* Both modes close every connection once its replies are written and
     * exit 0; like memcached, a graceful stop says so on stderr whatever
     * the verbosity (memcached's SIGUSR1 path). */
    if (graceful)
        fputs("Gracefully stopping\n", stderr);
    log_info("shutdown requested by a client");
    atomic_store(&x->srv->shutdown_requested, true);
    /* Stopped here, whichever front end the request came through (TCP,
     * Unix socket or UDP, as memcached); the listener's loop then stops
     * the workers. A server with no listener loop (unit tests) only
     * records the request. */
    if (x->srv->main_loop != NULL)
        event_loop_stop(x->srv->main_loop);
    return EXEC_CLOSE;
}

/* cache_memlimit <megabytes>: memcached 1.6.45's replies and bounds; the
 * store lowers its usage to a smaller budget as writes come (memcached
 * lets its slab mover give pages back lazily too) and refuses what it
 * cannot take: a budget beyond what it reserved at start (store.h), or any
 * change with -L (as memcached, whose memory is then preallocated). */
#define MEMLIMIT_MIN_MB 8u
#define MEMLIMIT_MAX_MB 1000000000u

static void exec_cache_memlimit(struct exec_ctx *x, const struct request *req)
{
    if (req->delta < MEMLIMIT_MIN_MB) {
        exec_reply_message(x, RSP_LINE, RSP_EOK,
                           "MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m");
    } else if (req->delta > MEMLIMIT_MAX_MB) {
        exec_reply_message(x, RSP_LINE, RSP_EOK,
                           "MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes");
    } else if (store_set_max_bytes(x->srv->store, (size_t)req->delta << 20) != STORE_OK) {
        exec_reply_message(x, RSP_LINE, RSP_EOK,
                           "MEMLIMIT_ADJUST_FAILED out of bounds or unable to adjust");
    } else {
        log_info("maxbytes adjusted to %llum", (unsigned long long)req->delta);
        exec_reply_kind(x, RSP_OK);
    }
}

/* Does the request change the store (so the append log must take it)?
 * Storage commands are judged in exec_store_begin. */
static bool request_mutates(const struct request *req)
{
    switch (req->cmd) {
    case REQ_DELETE:
    case REQ_MD:
    case REQ_INCR:
    case REQ_DECR:
    case REQ_MA:
    case REQ_TOUCH:
    case REQ_FLUSH_ALL:
    case REQ_GAT:
    case REQ_GATS:
        return true;
    case REQ_MG:
        return exec_flag(req, 'T') || exec_flag(req, 'N');
    default:
        return false;
    }
}

bool exec_write_refused(struct exec_ctx *x)
{
    int e;
    if (x->srv->repl != NULL && replication_refuses_write(x))
        return true;
    if (x->srv->persist == NULL || (e = persist_refusing(x->srv->persist)) == 0)
        return false;
    char msg[160];
    snprintf(msg, sizeof(msg), "persistence: %s", strerror(e));
    exec_reply_message(x, RSP_SERVER_ERROR, RSP_EOK, msg);
    return true;
}

static void exec_snapshot(struct exec_ctx *x)
{
    if (x->srv->persist == NULL) {
        exec_reply_message(x, RSP_SERVER_ERROR, RSP_EOK, "persistence is off");
        return;
    }
    persist_snapshot_request(x->srv->persist);
    exec_reply_kind(x, RSP_OK);
}

/* refresh_certs: memcached's command (and SIGHUP). A failed reload keeps
 * the old context; memcached then answers a bare "Error ..." line, here
 * SERVER_ERROR with the reason (which a client can read as an error). */
static void exec_refresh_certs(struct exec_ctx *x)
{
    char err[512];
    if (x->srv->tls == NULL) {
        exec_reply_message(x, RSP_SERVER_ERROR, RSP_EOK, "TLS not enabled");
        return;
    }
    if (tls_server_reload(x->srv->tls, err, sizeof(err)) != 0) {
        log_error("refresh_certs: %s; the old certificate stays", err);
        exec_reply_message(x, RSP_SERVER_ERROR, RSP_EOK, err);
        return;
    }
    log_info("refresh_certs: certificate and key read again");
    exec_reply_kind(x, RSP_OK);
}

enum exec_next exec_request(struct exec_ctx *x, const struct request *req)
{
    x->req = req;
    if (request_is_meta(req->cmd))
        STATS_INCR(x->stats, cmd_meta);
    /* While the append log cannot be written, writes are refused before
     * they change anything: nothing is done that cannot be logged. A
     * replica refuses them too: its primary's are the only ones. */
    if (request_mutates(req) && exec_write_refused(x))
        return EXEC_CONTINUE;
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
        if (req->answer_quit)
            exec_reply_kind(x, RSP_OK);
        return EXEC_CLOSE;
    case REQ_SHUTDOWN:
        return exec_shutdown(x, req);
    case REQ_STATS:
        stats_command(x, req->arg, req->narg);
        break;
    case REQ_CACHE_MEMLIMIT:
        exec_cache_memlimit(x, req);
        break;
    case REQ_SNAPSHOT:
        exec_snapshot(x);
        break;
    case REQ_REFRESH_CERTS:
        exec_refresh_certs(x);
        break;
    case REQ_REPLICA_OF:
    case REQ_REPL_SYNC:
        return replication_command(x, req);
    case REQ_SLABS:
    case REQ_LRU:
    case REQ_LRU_CRAWLER:
    case REQ_WATCH:
        return admin_command(x, req);
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
    if (!errors_request_silent(req->error)) {
        struct response rsp;
        errors_request(req->error, &rsp);
        exec_emit(x, &rsp, NULL);
    }
    /* A binary stream whose framing is in doubt cannot be resynchronised:
     * memcached answers (except to a bad magic byte) and closes. */
    if (req->close_on_error || errors_request_fatal(req->error))
        return EXEC_CLOSE;
    return req->error != REQ_EOK && req->swallow_on_error ? EXEC_SWALLOW : EXEC_CONTINUE;
}
