/*
 * exec_keys.c: the commands that name keys but carry no data block, each
 * written once for all three dialects: retrieval (get/gets/gat/gats, mg,
 * the binary get and gat families), touch, delete (delete, md), arithmetic (incr/decr, ma,
 * binary incr/decr) and the meta debug command. A dialect's options (meta
 * flags, binary initial values) become store options here; what a reply
 * looks like is the composer's business.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "server/exec_internal.h"
#include "server/server.h"
#include "server/stats.h"
#include "server/watch.h"

/* One hit: the response fields every dialect may want. */
static void fill_item(struct response *rsp, const struct store *s, const struct item *it,
                      const struct store_get_info *info)
{
    rsp->kind = RSP_VALUE;
    rsp->key = item_key(it);
    rsp->nkey = item_nkey(it);
    rsp->flags = item_flags(it);
    rsp->vlen = item_vlen(it);
    rsp->cas = store_item_cas(s, it);
    rsp->key_item = true;
    rsp->key_binary = item_key_binary(it);
    if (info != NULL) {
        rsp->last_access = info->last_access;
        rsp->hit_before = info->hit_before;
        rsp->win = info->win;
        rsp->stale = info->stale;
        rsp->won = info->won;
    }
}

static void count_lookup(struct exec_ctx *x, const struct request *req, bool touched, bool hit)
{
    /* gat/gats count as touches in memcached; mg counts as a get, and as a
     * touch as well when it carries T. */
    bool as_get = req->cmd != REQ_GAT && req->cmd != REQ_GATS;
    if (as_get) {
        STATS_INCR(x->stats, cmd_get);
        if (hit)
            STATS_INCR(x->stats, get_hits);
        else
            STATS_INCR(x->stats, get_misses);
    }
    if (touched) {
        STATS_INCR(x->stats, cmd_touch);
        if (hit)
            STATS_INCR(x->stats, touch_hits);
        else
            STATS_INCR(x->stats, touch_misses);
    }
}

/*
 * memcached's mg applies N, T and t in the order they came, so t reports the
 * TTL as of its place: a vivified item has none (-1) until N or T gives it
 * one, and a t before T shows the TTL the item had.
 */
static int64_t ttl_at_flag(const struct request *req, const struct store_get_opts *opts,
                           const struct store_get_info *info, int64_t final)
{
    if (!info->vivified) {
        return opts->touch && req->ttl_before_touch ? exec_ttl_left(info->exptime_before) : final;
    }
    bool after_n = !req->ttl_before_vivify;
    bool after_t = opts->touch && !req->ttl_before_touch;
    if (after_n && after_t)
        return final;
    if (after_n)
        return exec_ttl_left(opts->vivify_exptime);
    if (after_t)
        return exec_ttl_left(opts->new_exptime);
    return -1;
}

static void retrieve_one(struct exec_ctx *x, const struct request *req, const char *key, size_t nkey,
                         const struct store_get_opts *opts)
{
    struct store_get_info info;
    memset(&info, 0, sizeof(info));
    struct item *it = store_get(x->srv->store, key, nkey, opts, &info);
    count_lookup(x, req, opts->touch, it != NULL);
    /* "stats detail": memcached counts text and binary gets (gat too),
     * not meta */
    if (!req->skip_prefix_stats && prefix_stats_on(&x->srv->admin.prefix))
        prefix_stats_record(&x->srv->admin.prefix, key, nkey,
                            it != NULL ? PREFIX_GET_HIT : PREFIX_GET_MISS);
    if (watch_wants(&x->srv->admin.watch, ADMIN_WATCH_FETCHERS))
        watch_fetch(&x->srv->admin.watch, key, nkey, it != NULL,
                    it != NULL ? item_vlen(it) : 0, x->fd);
    struct response rsp;
    memset(&rsp, 0, sizeof(rsp));
    if (it == NULL) {
        rsp.kind = RSP_MISS;
        rsp.key = key;
        rsp.nkey = nkey;
        exec_emit(x, &rsp, NULL);
        return;
    }
    fill_item(&rsp, x->srv->store, it, &info);
    /* only meta's t shows the TTL: skip the clock read for everyone else */
    if (exec_flag(req, 't'))
        rsp.ttl = ttl_at_flag(req, opts, &info, exec_ttl_left(item_exptime(it)));
    rsp.with_cas = req->cmd == REQ_GETS || req->cmd == REQ_GATS;
    /* A meta get sends the value only when asked (v); the others always. */
    if (req->omit_value)
        store_release(x->srv->store, &it);
    exec_emit(x, &rsp, it); /* the reference, if any, goes with the reply */
}

void exec_retrieve(struct exec_ctx *x, const struct request *req)
{
    struct store_get_opts opts;
    memset(&opts, 0, sizeof(opts));
    if (req->cmd == REQ_GAT || req->cmd == REQ_GATS || exec_flag(req, 'T')) {
        opts.touch = true;
        opts.new_exptime = exec_exptime(req->exptime);
    }
    /* the meta options; one test keeps a classic get from looking at each */
    if (req->mflags & (REQ_MFLAG('u') | REQ_MFLAG('N') | REQ_MFLAG('R'))) {
        opts.no_bump = exec_flag(req, 'u');
        if (exec_flag(req, 'N')) {
            opts.vivify = true;
            opts.vivify_exptime = exec_exptime(req->vivify_ttl);
            opts.vivify_last = req->vivify_after_touch;
        }
        if (exec_flag(req, 'R')) {
            opts.recache = true;
            opts.recache_secs = req->recache_ttl > 0 ? (uint32_t)req->recache_ttl : 0;
            opts.recache_first = req->recache_before_touch;
        }
    }
    if (req->single_key) {
        retrieve_one(x, req, req->key, req->nkey, &opts);
        return;
    }
    size_t cursor = 0;
    const char *key;
    size_t nkey;
    while (request_key_next(req, &cursor, &key, &nkey))
        retrieve_one(x, req, key, nkey, &opts);
    exec_reply_kind(x, RSP_END);
}

void exec_touch(struct exec_ctx *x, const struct request *req)
{
    STATS_INCR(x->stats, cmd_touch);
    /* A touch is a lookup that sets the exptime (memcached counts it as a
     * fetch); binary's reply carries the item's flags and cas. */
    struct store_get_opts opts = {.touch = true, .new_exptime = exec_exptime(req->exptime)};
    struct item *it = store_get(x->srv->store, req->key, req->nkey, &opts, NULL);
    if (watch_wants(&x->srv->admin.watch, ADMIN_WATCH_FETCHERS))
        watch_fetch(&x->srv->admin.watch, req->key, req->nkey, it != NULL,
                    it != NULL ? item_vlen(it) : 0, x->fd);
    if (it == NULL) {
        STATS_INCR(x->stats, touch_misses);
        exec_reply_store_error(x, STORE_NOT_FOUND);
        return;
    }
    STATS_INCR(x->stats, touch_hits);
    struct response rsp = {.kind = RSP_TOUCHED, .flags = item_flags(it),
                           .cas = store_item_cas(x->srv->store, it)};
    store_release(x->srv->store, &it);
    exec_emit(x, &rsp, NULL);
}

void exec_delete(struct exec_ctx *x, const struct request *req)
{
    struct store_delete_opts opts;
    memset(&opts, 0, sizeof(opts));
    opts.cas = req->cas; /* 0 for text; binary header cas; meta C */
    opts.invalidate = exec_flag(req, 'I');
    opts.clear_value = exec_flag(req, 'x');
    opts.new_cas = req->new_cas;
    if (exec_flag(req, 'T')) {
        opts.touch = true;
        opts.new_exptime = exec_exptime(req->exptime);
    }
    if (!req->skip_prefix_stats && prefix_stats_on(&x->srv->admin.prefix))
        prefix_stats_record(&x->srv->admin.prefix, req->key, req->nkey, PREFIX_DELETE);
    /* "watch deletions" reports the value's size: look without side
     * effects first, only while someone watches */
    uint32_t gone_size = 0;
    bool watching = watch_wants(&x->srv->admin.watch, ADMIN_WATCH_DELETIONS);
    if (watching) {
        struct store_get_opts peek = {.peek = true};
        struct item *old = store_get(x->srv->store, req->key, req->nkey, &peek, NULL);
        if (old != NULL) {
            gone_size = item_vlen(old);
            store_release(x->srv->store, &old);
        }
    }
    enum store_status st = store_delete(x->srv->store, req->key, req->nkey, &opts);
    if (st == STORE_OK && watching)
        watch_delete(&x->srv->admin.watch, req->key, req->nkey, request_cmd_name(req->cmd),
                     gone_size);
    if (st == STORE_OK) {
        STATS_INCR(x->stats, delete_hits);
        struct response rsp = {.kind = RSP_DELETED, .key = req->key, .nkey = req->nkey};
        exec_emit(x, &rsp, NULL);
        return;
    }
    if (st == STORE_NOT_FOUND)
        STATS_INCR(x->stats, delete_misses);
    exec_reply_store_error(x, st);
}

void exec_delta(struct exec_ctx *x, const struct request *req)
{
    bool incr = req->cmd == REQ_INCR;
    uint64_t delta = req->delta;
    struct store_delta_opts opts;
    memset(&opts, 0, sizeof(opts));
    opts.cas = req->cas;
    if (req->cmd == REQ_MA) {
        incr = req->mode != REQ_MODE_DECR;
        if (!exec_flag(req, 'D'))
            delta = 1; /* protocol.txt: ma's delta defaults to 1 */
        opts.new_cas = req->new_cas;
        if (exec_flag(req, 'N')) {
            opts.vivify = true;
            opts.initial = req->initial;
            opts.vivify_exptime = exec_exptime(req->vivify_ttl);
        }
        if (exec_flag(req, 'T')) {
            opts.touch = true;
            opts.new_exptime = exec_exptime(req->exptime);
        }
    } else if (req->has_initial) {
        /* binary incr/decr create a missing counter with the initial value,
         * unless the expiration is 0xffffffff (the parser clears has_initial) */
        opts.vivify = true;
        opts.initial = req->initial;
        opts.vivify_exptime = exec_exptime(req->exptime);
    }
    struct store_delta_result res;
    enum store_status st =
        store_delta(x->srv->store, req->key, req->nkey, incr, delta, &opts, &res);
    if (st == STORE_OK || st == STORE_NOT_FOUND) {
        if (incr && st == STORE_OK)
            STATS_INCR(x->stats, incr_hits);
        else if (incr)
            STATS_INCR(x->stats, incr_misses);
        else if (st == STORE_OK)
            STATS_INCR(x->stats, decr_hits);
        else
            STATS_INCR(x->stats, decr_misses);
    }
    if (st != STORE_OK) {
        exec_reply_store_error(x, st);
        return;
    }
    /* A counter just created carries the win token (memcached's ma N
     * answers W, and sends it even under q; binary has no place for it). */
    struct response rsp = {
        .kind = RSP_NUMBER, .number = res.value, .cas = res.cas, .ttl = exec_ttl_left(res.exptime),
        .key = req->key, .nkey = req->nkey, .win = res.created,
    };
    exec_emit(x, &rsp, NULL);
}

/* me: memcached's one-line item dump, with this store's own metadata (one
 * item class, size = the memory the item is charged for). */
void exec_meta_debug(struct exec_ctx *x, const struct request *req)
{
    struct store_get_opts opts = {.peek = true};
    struct store_get_info info;
    memset(&info, 0, sizeof(info));
    struct item *it = store_get(x->srv->store, req->key, req->nkey, &opts, &info);
    struct response rsp;
    memset(&rsp, 0, sizeof(rsp));
    rsp.key = req->key;
    rsp.nkey = req->nkey;
    if (it == NULL) {
        rsp.kind = RSP_MISS;
        exec_emit(x, &rsp, NULL);
        return;
    }
    char line[160];
    int n = snprintf(line, sizeof(line), "exp=%" PRId64 " la=%" PRIu32 " cas=%" PRIu64
                     " fetch=%s cls=1 size=%zu",
                     exec_ttl_left(item_exptime(it)), info.last_access,
                     store_item_cas(x->srv->store, it),
                     info.hit_before ? "yes" : "no", item_nkey(it) + item_vlen(it) + 2);
    rsp.key_item = true;
    rsp.key_binary = item_key_binary(it);
    store_release(x->srv->store, &it);
    rsp.kind = RSP_DEBUG;
    rsp.msg = line;
    rsp.nmsg = (size_t)n;
    exec_emit(x, &rsp, NULL);
}
