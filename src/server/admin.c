/*
 * admin.c: see admin.h. Replies are memcached 1.6.45's, byte for byte
 * (proto_text.c, crawler.c, slabs_mover.c); proto/admin.c has the syntax.
 *
 * The crawler thread (one job at a time, a detached thread per job, waited
 * for by admin_stop):
 *
 *   lru_crawler crawl   ──▶ store_reclaim_expired() in slices of
 *                           CRAWL_SLICE items, sleeping -sleep- µs between
 *   lru_crawler metadump ──▶ store_foreach(): one line per live item ──▶
 *   lru_crawler mgdump       stream_write (blocks while the client is slow)
 *
 * store_foreach collects one shard's item references under that shard's
 * lock (a walk of 1/SHARD_COUNT of the index), then visits them with no
 * lock held, so a slow client blocks only this thread and pins at most one
 * shard's worth of item references, never a lock.
 */
#include "server/admin.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "proto/admin.h"
#include "proto/base64.h"
#include "server/exec_ctx.h"
#include "server/server.h"
#include "server/stream.h"
#include "store/store.h"

/* Items a crawl visits between two sleeps (memcached's crawls_persleep). */
#define CRAWL_SLICE 1000

/* mnemo's single item class, as "stats items" and "stats slabs" show it. */
#define ADMIN_ITEM_CLASS 1

void admin_init(struct admin_state *a, const struct config *cfg)
{
    memset(a, 0, sizeof(*a));
    pthread_mutex_init(&a->lock, NULL);
    pthread_cond_init(&a->threads_done, NULL);
    a->slab_automove = (unsigned)cfg->slab_automove;
    a->slab_automove_ratio = cfg->slab_automove_ratio;
    a->slab_automove_window = (unsigned)cfg->slab_automove_window;
    a->slab_automove_freeratio = cfg->slab_automove_freeratio;
    a->lru_segmented = cfg->lru_segmented;
    a->hot_lru_pct = (unsigned)cfg->hot_lru_pct;
    a->warm_lru_pct = (unsigned)cfg->warm_lru_pct;
    a->hot_max_factor = cfg->hot_max_factor;
    a->warm_max_factor = cfg->warm_max_factor;
    a->temp_lru = cfg->temp_lru;
    a->temporary_ttl = cfg->temporary_ttl;
    a->crawler_enabled = cfg->lru_crawler;
    a->crawler_sleep_us = (uint32_t)cfg->lru_crawler_sleep;
    a->crawler_tocrawl = cfg->lru_crawler_tocrawl;
    prefix_stats_init(&a->prefix, cfg->prefix_delimiter);
    if (cfg->detail_enabled) /* -D turns per-prefix stats on from the start */
        atomic_store(&a->prefix.enabled, true);
    watch_hub_init(&a->watch);
}

void admin_stop(struct admin_state *a)
{
    /* sessions are closed by now, so a dump's producer stops at its next
     * write; a crawl at its next slice */
    pthread_mutex_lock(&a->lock);
    a->stopping = true;
    while (a->threads_running > 0)
        pthread_cond_wait(&a->threads_done, &a->lock);
    pthread_mutex_unlock(&a->lock);
    prefix_stats_free(&a->prefix);
    watch_hub_free(&a->watch);
}

void admin_snapshot(struct admin_state *a, struct admin_state *out)
{
    /* the fields under a->lock only: prefix and watch have their own locks */
    size_t from = offsetof(struct admin_state, slab_automove);
    size_t to = offsetof(struct admin_state, prefix);
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&a->lock);
    memcpy((char *)out + from, (const char *)a + from, to - from);
    pthread_mutex_unlock(&a->lock);
}

static void reply_line(struct exec_ctx *x, const char *line)
{
    struct response rsp;
    memset(&rsp, 0, sizeof(rsp));
    rsp.kind = RSP_LINE;
    rsp.msg = line;
    rsp.nmsg = strlen(line);
    exec_emit(x, &rsp, NULL);
}

/* ---- slabs, lru: kept settings ----------------------------------------- */

/*
 * slabs reassign: memcached moves a slab page from class SRC to DST. mnemo
 * has one class (1) beside the global page pool (0), and no pages to move
 * between classes — all item sizes share one pool of segments. So the
 * truthful 1.6.45 answers are: SAME for src == dst, BADCLASS for an id
 * outside 0..1 (and for src -1, "pick any", as there is no other class to
 * pick), and for any other pair NOSPARE: the source has no spare page.
 */
static void slabs_reassign(struct exec_ctx *x, int32_t src, int32_t dst)
{
    if (src == dst)
        reply_line(x, "SAME src and dst class are identical");
    else if (src < 0 || src > ADMIN_ITEM_CLASS || dst < 0 || dst > ADMIN_ITEM_CLASS)
        reply_line(x, "BADCLASS invalid src or dst class id");
    else
        reply_line(x, "NOSPARE source class has no spare pages");
}

static void apply_setting(struct admin_state *a, const struct admin_req *r)
{
    pthread_mutex_lock(&a->lock);
    switch (r->op) {
    case ADMIN_SLABS_AUTOMOVE:
        a->slab_automove = r->u[0];
        break;
    case ADMIN_SLABS_AUTOMOVE_RATIO:
        a->slab_automove_ratio = r->d[0];
        break;
    case ADMIN_SLABS_AUTOMOVE_FREERATIO:
        a->slab_automove_freeratio = r->d[0];
        break;
    case ADMIN_SLABS_AUTOMOVE_WINDOW:
        a->slab_automove_window = r->u[0];
        break;
    case ADMIN_LRU_TUNE:
        a->hot_lru_pct = r->u[0];
        a->warm_lru_pct = r->u[1];
        a->hot_max_factor = r->d[0];
        a->warm_max_factor = r->d[1];
        break;
    case ADMIN_LRU_MODE:
        a->lru_segmented = r->flag;
        break;
    case ADMIN_LRU_TEMP_TTL:
        /* memcached: a negative ttl turns the temporary LRU off and keeps
         * the old ttl */
        a->temp_lru = r->i[0] >= 0;
        if (r->i[0] >= 0)
            a->temporary_ttl = r->i[0];
        break;
    case ADMIN_CRAWLER_TOCRAWL:
        a->crawler_tocrawl = r->u[0];
        break;
    case ADMIN_CRAWLER_SLEEP:
        a->crawler_sleep_us = r->u[0];
        break;
    default:
        break;
    }
    pthread_mutex_unlock(&a->lock);
}

/* ---- the crawler thread ------------------------------------------------- */

enum job_kind { JOB_CRAWL, JOB_METADUMP, JOB_MGDUMP };

struct job {
    struct server *srv;
    enum job_kind kind;
    bool covers_items; /* the class list includes mnemo's one class */
    struct stream *stream;
    uint64_t checked, reclaimed;
    uint32_t now;
};

static void sleep_us(uint32_t us)
{
    struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static void run_crawl(struct job *j, struct admin_state *a)
{
    struct store_stats st;
    store_stats(j->srv->store, &st);
    pthread_mutex_lock(&a->lock);
    uint64_t limit = a->crawler_tocrawl;
    uint32_t pause = a->crawler_sleep_us;
    pthread_mutex_unlock(&a->lock);
    /* one pass over what is there now; tocrawl caps it, as memcached's
     * per-class limit does for our single class */
    uint64_t want = st.curr_items;
    if (limit > 0 && limit < want)
        want = limit;
    while (j->checked < want) {
        size_t slice = want - j->checked < CRAWL_SLICE ? (size_t)(want - j->checked) : CRAWL_SLICE;
        j->reclaimed += store_reclaim_expired(j->srv->store, slice);
        j->checked += slice;
        if (pause > 0 && j->checked < want)
            sleep_us(pause);
        pthread_mutex_lock(&a->lock);
        bool stop = a->stopping;
        pthread_mutex_unlock(&a->lock);
        if (stop)
            break;
    }
}

/* memcached's uriencode: alphanumerics and "-._~" stay, the rest is %XX. */
static char *uriencode(char *p, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '.' || c == '_' || c == '~';
        if (plain) {
            *p++ = (char)c;
        } else {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        }
    }
    return p;
}

#define LINE_MAX_BYTES (REQUEST_KEY_MAX * 3 + 256)

static int dump_visit(const struct item *it, void *arg)
{
    struct job *j = arg;
    char line[LINE_MAX_BYTES];
    char *p = line;
    const char *key = item_key(it);
    size_t nkey = item_nkey(it);
    uint32_t exp = item_exptime(it);
    j->checked++;
    if (exp != 0 && exp <= j->now)
        return 0; /* expired since the walk collected it */
    if (j->kind == JOB_MGDUMP) {
        memcpy(p, "mg ", 3);
        p += 3;
        /* a key stored through meta's base64 "b" is listed that way, as
         * memcached lists keys it stored as binary */
        if (item_key_binary(it)) {
            p += base64_encode((const unsigned char *)key, nkey, p);
            memcpy(p, " b", 2);
            p += 2;
        } else {
            memcpy(p, key, nkey);
            p += nkey;
        }
        memcpy(p, "\r\n", 2);
        p += 2;
    } else {
        memcpy(p, "key=", 4);
        p = uriencode(p + 4, key, nkey);
        int64_t exp_unix = exp == 0 ? -1 : clock_to_unix(exp);
        p += snprintf(p, (size_t)(line + sizeof(line) - p),
                      " exp=%" PRId64 " la=%" PRId64 " cas=%" PRIu64
                      " fetch=%s cls=%d size=%zu flags=%" PRIu32 " \n",
                      exp_unix, clock_to_unix(item_atime(it)), store_item_cas(j->srv->store, it),
                      item_fetched(it) ? "yes" : "no", ADMIN_ITEM_CLASS, item_size(it),
                      item_flags(it));
    }
    return stream_write(j->stream, line, (size_t)(p - line)) == 0 ? 0 : 1;
}

/* Returns with the stream still open: the job is marked done first, so a
 * client that has read END and asks again does not find the crawler busy. */
static void run_dump(struct job *j)
{
    int rc = stream_write(j->stream, "OK\r\n", 4);
    j->now = clock_now();
    if (rc == 0 && j->covers_items)
        rc = store_foreach(j->srv->store, dump_visit, j);
    if (rc == 0) {
        const char *end = j->kind == JOB_MGDUMP ? "EN\r\n" : "END\r\n";
        stream_write(j->stream, end, strlen(end));
    }
}

static void *crawler_main(void *arg)
{
    struct job *j = arg;
    struct admin_state *a = &j->srv->admin;
    if (j->kind == JOB_CRAWL)
        run_crawl(j, a);
    else
        run_dump(j);
    pthread_mutex_lock(&a->lock);
    a->crawler_items_checked += j->checked;
    a->crawler_reclaimed += j->reclaimed;
    a->crawler_busy = false;
    pthread_mutex_unlock(&a->lock);
    stream_finish(&j->stream); /* NULL for a crawl; may wait for the client */
    free(j);
    pthread_mutex_lock(&a->lock);
    if (--a->threads_running == 0)
        pthread_cond_broadcast(&a->threads_done);
    pthread_mutex_unlock(&a->lock);
    return NULL;
}

/* Start a job on its own detached thread unless one runs. Never blocks. */
static const char *start_job(struct server *srv, struct job *j)
{
    struct admin_state *a = &srv->admin;
    pthread_attr_t attr;
    pthread_t t;
    pthread_mutex_lock(&a->lock);
    if (a->crawler_busy) {
        pthread_mutex_unlock(&a->lock);
        return "BUSY currently processing crawler request";
    }
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &attr, crawler_main, j);
    pthread_attr_destroy(&attr);
    if (rc == 0) {
        a->crawler_busy = true;
        a->crawler_starts++;
        a->threads_running++;
    }
    pthread_mutex_unlock(&a->lock);
    return rc == 0 ? NULL : "ERROR an unknown error happened";
}

bool admin_crawler_enabled(struct admin_state *a)
{
    pthread_mutex_lock(&a->lock);
    bool on = a->crawler_enabled;
    pthread_mutex_unlock(&a->lock);
    return on;
}

static enum exec_next crawler_job(struct exec_ctx *x, const struct admin_req *r)
{
    struct server *srv = x->srv;
    if (!admin_crawler_enabled(&srv->admin)) {
        reply_line(x, "CLIENT_ERROR lru crawler disabled");
        return EXEC_CONTINUE;
    }
    /* -X turns key dumps off, as in memcached */
    if (r->op != ADMIN_CRAWLER_CRAWL && !srv->cfg.dump_enabled) {
        reply_line(x, r->op == ADMIN_CRAWLER_MGDUMP ? "ERROR key dump not allowed"
                                                     : "ERROR metadump not allowed");
        return EXEC_CONTINUE;
    }
    if (r->classes == ADMIN_CLASSES_BAD) {
        reply_line(x, "BADCLASS invalid class id");
        return EXEC_CONTINUE;
    }
    /* memcached walks the hash table only to dump; an expiry crawl by hash
     * fails to start, with this reply */
    if (r->classes == ADMIN_CLASSES_HASH && r->op == ADMIN_CRAWLER_CRAWL) {
        reply_line(x, "ERROR an unknown error happened");
        return EXEC_CONTINUE;
    }
    if (r->classes == ADMIN_CLASSES_LIST && r->class_mask == 0) {
        reply_line(x, "NOTSTARTED no items to crawl");
        return EXEC_CONTINUE;
    }
    bool dump = r->op != ADMIN_CRAWLER_CRAWL;
    if (dump && x->loop == NULL) {
        /* a dump streams on a connection; a UDP request has none */
        reply_line(x, "SERVER_ERROR dumps need a stream connection");
        return EXEC_CONTINUE;
    }
    struct job *j = calloc(1, sizeof(*j));
    struct stream *st = dump ? stream_create(x->loop) : NULL;
    if (j == NULL || (dump && st == NULL)) {
        free(j);
        if (st != NULL) {
            struct stream *producer = st;
            stream_cancel(&st);
            stream_finish(&producer);
        }
        reply_line(x, "SERVER_ERROR out of memory");
        return EXEC_CONTINUE;
    }
    j->srv = srv;
    j->kind = r->op == ADMIN_CRAWLER_CRAWL     ? JOB_CRAWL
              : r->op == ADMIN_CRAWLER_MGDUMP ? JOB_MGDUMP
                                              : JOB_METADUMP;
    j->covers_items = r->classes != ADMIN_CLASSES_LIST ||
                      (r->class_mask & (1ull << ADMIN_ITEM_CLASS)) != 0;
    j->stream = st;
    struct stream *mine = st; /* the session's reference */
    const char *err = start_job(srv, j);
    if (err != NULL) {
        if (st != NULL) {
            stream_finish(&j->stream);
            stream_cancel(&mine);
        }
        free(j);
        reply_line(x, err);
        return EXEC_CONTINUE;
    }
    if (!dump) {
        reply_line(x, "OK");
        return EXEC_CONTINUE;
    }
    x->stream = mine;
    return EXEC_STREAM;
}

static void crawler_switch(struct exec_ctx *x, bool enable)
{
    struct admin_state *a = &x->srv->admin;
    pthread_mutex_lock(&a->lock);
    /* memcached: enabling a running crawler fails to start its thread;
     * disabling is always OK */
    bool was = a->crawler_enabled;
    a->crawler_enabled = enable;
    pthread_mutex_unlock(&a->lock);
    reply_line(x, enable && was ? "ERROR failed to start lru crawler thread" : "OK");
}

/* The connection becomes a watcher: "OK", then a line per event until it
 * closes; later requests on it are not read (as memcached). */
static enum exec_next watch_start(struct exec_ctx *x, unsigned mask)
{
    if (!x->srv->cfg.watch_enabled) { /* -W */
        reply_line(x, "CLIENT_ERROR watch commands not allowed");
        return EXEC_CONTINUE;
    }
    if (x->loop == NULL) {
        reply_line(x, "WATCHER_FAILED failed to add log watcher");
        return EXEC_CONTINUE;
    }
    struct stream *st = watch_add(&x->srv->admin.watch, mask, x->loop);
    if (st == NULL) {
        reply_line(x, "WATCHER_FAILED failed to add log watcher");
        return EXEC_CONTINUE;
    }
    x->stream = st;
    return EXEC_STREAM;
}

enum exec_next admin_command(struct exec_ctx *x, const struct request *req)
{
    struct admin_req r;
    admin_parse(req->cmd, req->arg, req->narg, &r);
    switch (r.op) {
    case ADMIN_INVALID:
        reply_line(x, r.reply);
        break;
    case ADMIN_SLABS_REASSIGN:
        slabs_reassign(x, r.i[0], r.i[1]);
        break;
    case ADMIN_CRAWLER_CRAWL:
    case ADMIN_CRAWLER_METADUMP:
    case ADMIN_CRAWLER_MGDUMP:
        return crawler_job(x, &r);
    case ADMIN_CRAWLER_ENABLE:
    case ADMIN_CRAWLER_DISABLE:
        crawler_switch(x, r.op == ADMIN_CRAWLER_ENABLE);
        break;
    case ADMIN_WATCH:
        return watch_start(x, r.mask);
    default:
        apply_setting(&x->srv->admin, &r);
        reply_line(x, "OK");
        break;
    }
    return EXEC_CONTINUE;
}
