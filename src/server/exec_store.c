/*
 * exec_store.c: the storage commands — set/add/replace/append/prepend/cas,
 * meta ms with its modes, and the binary set family — written once. The
 * front end calls exec_store_begin with the command line, reads the data
 * block into the reserved item, then calls exec_store_finish.
 */
#include "server/exec.h"

#include <string.h>

#include "server/errors.h"
#include "server/exec_internal.h"
#include "server/server.h"
#include "server/watch.h"
#include "common/clock.h"
#include "server/stats.h"

/* memcached unlinks the old value when a set cannot be stored, so a failed
 * set never leaves stale data behind. */
static void drop_stale_on_failed_set(struct exec_ctx *x, const struct request *req)
{
    if (req->cmd == REQ_SET || (req->cmd == REQ_MS && req->mode == REQ_MODE_SET))
        store_delete(x->srv->store, req->key, req->nkey, NULL);
}

static uint32_t flags_of(const struct request *req)
{
    return req->flags; /* text: the flags field; meta: F; binary: extras */
}

static uint32_t exptime_of(const struct request *req)
{
    /* meta ms without T leaves exptime 0: no expiry */
    return exec_exptime(req->exptime);
}

enum exec_next exec_store_begin(struct exec_ctx *x, const struct request *req, struct item **it)
{
    struct store *store = x->srv->store;
    x->req = req;
    *it = NULL;
    enum store_status st;
    if (request_is_meta(req->cmd))
        STATS_INCR(x->stats, cmd_meta);
    if (!req->skip_prefix_stats && prefix_stats_on(&x->srv->admin.prefix))
        prefix_stats_record(&x->srv->admin.prefix, req->key, req->nkey, PREFIX_SET);
    if (exec_write_refused(x))
        return EXEC_SWALLOW;
    if (!store_item_fits(store, req->nkey, req->vlen))
        st = STORE_TOO_LARGE;
    else
        st = store_reserve(store, req->key, req->nkey, flags_of(req), exptime_of(req), req->vlen, it);
    if (st == STORE_OK) {
        if (req->key_binary)
            item_mark_key_binary(*it);
        return EXEC_READ_DATA;
    }
    drop_stale_on_failed_set(x, req);
    exec_reply_store_error(x, st);
    return EXEC_SWALLOW;
}

/* The store mode a request asks for. A compare value turns set-like modes
 * into cas: meta C, and any binary set/add/replace carrying a cas (as
 * memcached's binary protocol does) unless -C switched cas off, in which
 * case memcached ignores a binary cas. */
static enum store_mode mode_of(const struct request *req, bool use_cas)
{
    enum request_mode m = REQ_MODE_SET;
    switch (req->cmd) {
    case REQ_ADD:
        m = REQ_MODE_ADD;
        break;
    case REQ_REPLACE:
        m = REQ_MODE_REPLACE;
        break;
    case REQ_APPEND:
        m = REQ_MODE_APPEND;
        break;
    case REQ_PREPEND:
        m = REQ_MODE_PREPEND;
        break;
    case REQ_CAS:
        return STORE_CAS;
    case REQ_MS:
        m = req->mode == REQ_MODE_NONE ? REQ_MODE_SET : req->mode;
        break;
    default:
        break;
    }
    bool compare = req->cas_rule == REQ_CAS_SET_REPLACE ||
                   (req->cas_rule == REQ_CAS_SET_ADD_REPLACE && use_cas);
    switch (m) {
    case REQ_MODE_ADD:
        return compare && req->cas_rule == REQ_CAS_SET_ADD_REPLACE ? STORE_CAS : STORE_ADD;
    case REQ_MODE_REPLACE:
        return compare ? STORE_CAS : STORE_REPLACE;
    case REQ_MODE_APPEND:
        return STORE_APPEND;
    case REQ_MODE_PREPEND:
        return STORE_PREPEND;
    default:
        return compare ? STORE_CAS : STORE_SET;
    }
}

/* "watch mutations": memcached's item_store line for this outcome. */
static void watch_stored(struct exec_ctx *x, const struct request *req, const char *key,
                         size_t nkey, enum store_mode mode, enum store_status st, uint32_t vlen)
{
    static const char *const cmds[] = {
        [STORE_SET] = "set", [STORE_ADD] = "add", [STORE_REPLACE] = "replace",
        [STORE_APPEND] = "append", [STORE_PREPEND] = "prepend", [STORE_CAS] = "cas",
    };
    const char *status = st == STORE_OK            ? "stored"
                         : st == STORE_EXISTS      ? "exists"
                         : st == STORE_NOT_FOUND   ? "not_found"
                         : st == STORE_TOO_LARGE   ? "too_large"
                         : st == STORE_ENOMEM      ? "no_memory"
                                                   : "not_stored";
    uint32_t exptime = exptime_of(req), now = clock_now();
    uint32_t ttl = exptime > now ? exptime - now : 0;
    watch_store(&x->srv->admin.watch, key, nkey, status, cmds[mode], ttl, vlen, x->fd);
}

void exec_store_finish(struct exec_ctx *x, const struct request *req, struct item **it)
{
    struct store *store = x->srv->store;
    x->req = req;
    const char *end = item_data(*it) + req->vlen;
    if (end[0] != '\r' || end[1] != '\n') {
        store_abort(store, it);
        exec_reply_message(x, RSP_CLIENT_ERROR, RSP_EBAD_CHUNK, "bad data chunk");
        return;
    }
    /* The reply may echo the key (meta k): keep it past the commit. */
    char key[REQUEST_KEY_MAX];
    size_t nkey = item_nkey(*it);
    memcpy(key, item_key(*it), nkey);
    uint32_t vlen = item_vlen(*it);

    struct store_commit_opts opts;
    memset(&opts, 0, sizeof(opts));
    opts.vlen_out = &vlen; /* meta s: an append's reply gives the joined size */
    opts.new_cas = req->new_cas; /* meta E, I, N; 0 and unset elsewhere */
    opts.invalidate = exec_flag(req, 'I');
    if (exec_flag(req, 'N')) {
        opts.vivify = true;
        opts.vivify_exptime = exec_exptime(req->vivify_ttl);
    }
    enum store_mode mode = mode_of(req, x->srv->cfg.use_cas);
    uint64_t cas = 0;
    STATS_INCR(x->stats, cmd_set);
    enum store_status st = store_commit(store, it, mode, req->cas, &opts, &cas);
    if (mode == STORE_CAS) {
        if (st == STORE_OK)
            STATS_INCR(x->stats, cas_hits);
        else if (st == STORE_EXISTS)
            STATS_INCR(x->stats, cas_badval);
        else if (st == STORE_NOT_FOUND)
            STATS_INCR(x->stats, cas_misses);
    }
    /* memcached: an append/prepend whose result would outgrow -I is simply
     * not stored (a piece too large on its own was refused at begin). */
    if (st == STORE_TOO_LARGE && (mode == STORE_APPEND || mode == STORE_PREPEND))
        st = STORE_NOT_STORED;
    if (watch_wants(&x->srv->admin.watch, ADMIN_WATCH_MUTATIONS))
        watch_stored(x, req, key, nkey, mode, st, vlen);
    if (st != STORE_OK) {
        exec_reply_store_error(x, st);
        return;
    }
    struct response rsp = {.kind = RSP_STORED, .key = key, .nkey = nkey, .cas = cas, .vlen = vlen};
    exec_emit(x, &rsp, NULL);
}
