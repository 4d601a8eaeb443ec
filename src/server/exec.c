/*
 * exec.c: see exec.h. Each command is a short function from request to
 * store verb to response; statistics are counted here, once, whatever the
 * protocol. memcached 1.6 is the reference for every reply and counter.
 */
#include "server/exec.h"

#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "server/errors.h"
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

static void reply_kind(struct exec_ctx *x, enum response_kind kind)
{
    struct response rsp;
    memset(&rsp, 0, sizeof(rsp));
    rsp.kind = kind;
    x->reply(x->sink, &rsp, NULL);
}

static void reply_store_error(struct exec_ctx *x, enum store_status st, enum request_cmd cmd)
{
    struct response rsp;
    errors_store(st, cmd, &rsp);
    x->reply(x->sink, &rsp, NULL);
}

static void reply_message(struct exec_ctx *x, enum response_kind kind, const char *msg)
{
    struct response rsp;
    errors_message(kind, msg, &rsp);
    x->reply(x->sink, &rsp, NULL);
}

/* get, gets, gat, gats: one VALUE per hit, in key order, then END. */
static void exec_retrieve(struct exec_ctx *x, const struct request *req)
{
    bool touch = req->cmd == REQ_GAT || req->cmd == REQ_GATS;
    bool with_cas = req->cmd == REQ_GETS || req->cmd == REQ_GATS;
    uint32_t exptime = touch ? exec_exptime(req->exptime) : 0;
    struct store *store = x->srv->store;
    size_t cursor = 0;
    const char *key;
    size_t nkey;
    while (request_key_next(req, &cursor, &key, &nkey)) {
        struct item *it = store_get(store, key, nkey, touch, exptime);
        if (touch) {
            STATS_INCR(x->stats, cmd_touch);
            if (it != NULL)
                STATS_INCR(x->stats, touch_hits);
            else
                STATS_INCR(x->stats, touch_misses);
        } else {
            STATS_INCR(x->stats, cmd_get);
            if (it != NULL)
                STATS_INCR(x->stats, get_hits);
            else
                STATS_INCR(x->stats, get_misses);
        }
        if (it == NULL)
            continue;
        struct response rsp = {
            .kind = RSP_VALUE,
            .key = item_key(it),
            .nkey = item_nkey(it),
            .flags = item_flags(it),
            .vlen = item_vlen(it),
            .cas = item_cas(it),
            .with_cas = with_cas,
        };
        x->reply(x->sink, &rsp, it); /* the reference goes with the reply */
    }
    reply_kind(x, RSP_END);
}

static void exec_delete(struct exec_ctx *x, const struct request *req)
{
    enum store_status st = store_delete(x->srv->store, req->key, req->nkey, 0);
    if (st == STORE_OK) {
        STATS_INCR(x->stats, delete_hits);
        reply_kind(x, RSP_DELETED);
    } else {
        STATS_INCR(x->stats, delete_misses);
        reply_store_error(x, st, req->cmd);
    }
}

static void exec_delta(struct exec_ctx *x, const struct request *req)
{
    bool incr = req->cmd == REQ_INCR;
    uint64_t value = 0;
    enum store_status st = store_delta(x->srv->store, req->key, req->nkey, incr, req->delta, &value, NULL);
    if (st == STORE_OK) {
        if (incr)
            STATS_INCR(x->stats, incr_hits);
        else
            STATS_INCR(x->stats, decr_hits);
        struct response rsp = {.kind = RSP_NUMBER, .number = value};
        x->reply(x->sink, &rsp, NULL);
        return;
    }
    if (st == STORE_NOT_FOUND) {
        if (incr)
            STATS_INCR(x->stats, incr_misses);
        else
            STATS_INCR(x->stats, decr_misses);
    }
    reply_store_error(x, st, req->cmd);
}

static void exec_touch(struct exec_ctx *x, const struct request *req)
{
    STATS_INCR(x->stats, cmd_touch);
    enum store_status st = store_touch(x->srv->store, req->key, req->nkey, exec_exptime(req->exptime));
    if (st == STORE_OK) {
        STATS_INCR(x->stats, touch_hits);
        reply_kind(x, RSP_TOUCHED);
    } else {
        STATS_INCR(x->stats, touch_misses);
        reply_store_error(x, st, req->cmd);
    }
}

static void exec_flush(struct exec_ctx *x, const struct request *req)
{
    STATS_INCR(x->stats, cmd_flush); /* memcached counts refused attempts too */
    if (!x->srv->cfg.flush_enabled) {
        reply_message(x, RSP_CLIENT_ERROR, "flush_all not allowed");
        return;
    }
    /* memcached: a delay follows the exptime rules; none (or 0) is now. */
    uint32_t when = 0;
    if (req->has_delay && req->delta > 0)
        when = exec_exptime((int64_t)req->delta);
    store_flush(x->srv->store, when);
    reply_kind(x, RSP_OK);
}

static void exec_version(struct exec_ctx *x)
{
    struct response rsp = {.kind = RSP_VERSION, .msg = SERVER_VERSION, .nmsg = strlen(SERVER_VERSION)};
    x->reply(x->sink, &rsp, NULL);
}

static enum exec_next exec_shutdown(struct exec_ctx *x, const struct request *req)
{
    if (!x->srv->cfg.shutdown_enabled) {
        reply_message(x, RSP_ERROR, ": shutdown not enabled");
        return EXEC_CONTINUE;
    }
    /* memcached 1.6 knows "shutdown" and "shutdown graceful"; both stop the
     * server here, which always drains connections on its way out. */
    if (req->narg > 0 && !(req->narg == 8 && memcmp(req->arg, "graceful", 8) == 0)) {
        reply_message(x, RSP_CLIENT_ERROR, "invalid shutdown mode");
        return EXEC_CONTINUE;
    }
    log_info("shutdown requested by a client");
    atomic_store(&x->srv->shutdown_requested, true);
    return EXEC_CLOSE;
}

enum exec_next exec_request(struct exec_ctx *x, const struct request *req)
{
    switch (req->cmd) {
    case REQ_GET:
    case REQ_GETS:
    case REQ_GAT:
    case REQ_GATS:
        exec_retrieve(x, req);
        break;
    case REQ_DELETE:
        exec_delete(x, req);
        break;
    case REQ_INCR:
    case REQ_DECR:
        exec_delta(x, req);
        break;
    case REQ_TOUCH:
        exec_touch(x, req);
        break;
    case REQ_FLUSH_ALL:
        exec_flush(x, req);
        break;
    case REQ_VERSION:
        exec_version(x);
        break;
    case REQ_VERBOSITY:
        atomic_store(&x->srv->verbosity, (int)(req->delta > 3 ? 3 : req->delta));
        reply_kind(x, RSP_OK);
        break;
    case REQ_QUIT:
        return EXEC_CLOSE;
    case REQ_SHUTDOWN:
        return exec_shutdown(x, req);
    case REQ_STATS:
        stats_command(x, req->arg, req->narg);
        break;
    default:
        reply_kind(x, RSP_ERROR);
        break;
    }
    return EXEC_CONTINUE;
}

/* memcached unlinks the old value when a set cannot be stored, so a failed
 * set never leaves stale data behind. */
static void drop_stale_on_failed_set(struct exec_ctx *x, const struct request *req)
{
    if (req->cmd == REQ_SET)
        store_delete(x->srv->store, req->key, req->nkey, 0);
}

enum exec_next exec_store_begin(struct exec_ctx *x, const struct request *req, struct item **it)
{
    struct store *store = x->srv->store;
    *it = NULL;
    enum store_status st;
    if (!store_item_fits(store, req->nkey, req->vlen))
        st = STORE_TOO_LARGE;
    else
        st = store_reserve(store, req->key, req->nkey, req->flags, exec_exptime(req->exptime),
                           req->vlen, it);
    if (st == STORE_OK)
        return EXEC_READ_DATA;
    drop_stale_on_failed_set(x, req);
    reply_store_error(x, st, req->cmd);
    return EXEC_SWALLOW;
}

static enum store_mode store_mode_of(enum request_cmd cmd)
{
    switch (cmd) {
    case REQ_ADD:
        return STORE_ADD;
    case REQ_REPLACE:
        return STORE_REPLACE;
    case REQ_APPEND:
        return STORE_APPEND;
    case REQ_PREPEND:
        return STORE_PREPEND;
    case REQ_CAS:
        return STORE_CAS;
    default:
        return STORE_SET;
    }
}

void exec_store_finish(struct exec_ctx *x, const struct request *req, struct item **it)
{
    struct store *store = x->srv->store;
    const char *end = item_data(*it) + req->vlen;
    if (end[0] != '\r' || end[1] != '\n') {
        store_abort(store, it);
        reply_message(x, RSP_CLIENT_ERROR, "bad data chunk");
        return;
    }
    STATS_INCR(x->stats, cmd_set);
    enum store_status st = store_commit(store, it, store_mode_of(req->cmd), req->cas, NULL);
    if (req->cmd == REQ_CAS) {
        if (st == STORE_OK)
            STATS_INCR(x->stats, cas_hits);
        else if (st == STORE_EXISTS)
            STATS_INCR(x->stats, cas_badval);
        else if (st == STORE_NOT_FOUND)
            STATS_INCR(x->stats, cas_misses);
    }
    if (st == STORE_OK)
        reply_kind(x, RSP_STORED);
    else
        reply_store_error(x, st, req->cmd);
}

enum exec_next exec_parse_error(struct exec_ctx *x, const struct request *req)
{
    struct response rsp;
    errors_request(req->error, &rsp);
    x->reply(x->sink, &rsp, NULL);
    return req->error == REQ_ELINE_TOO_LONG ? EXEC_CLOSE : EXEC_CONTINUE;
}
