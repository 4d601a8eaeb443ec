/*
 * repl.c: see repl.h. The role (primary or replica), the replication ids,
 * the backlog and its journal sink, statistics. The primary's side of a
 * replica's connection is feed.c; the replica's side is link.c.
 */
#include "repl/repl.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "net/tls_stream.h"
#include "persist/itemrec.h"
#include "persist/journal.h"
#include "repl/backlog.h"
#include "repl/feed.h"
#include "repl/link.h"
#include "repl/state.h"
#include "store/store.h"

/* A fresh random replication id into id (REPL_ID_LEN + 1 bytes). */
static void new_id(char *id)
{
    unsigned char raw[REPL_ID_LEN / 2];
    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
        /* no entropy to be had: time and address still make it unlikely
         * that two servers pick the same id */
        uint64_t t = (uint64_t)clock_unix_base() ^ (uint64_t)(uintptr_t)id;
        for (size_t i = 0; i < sizeof(raw); i++)
            raw[i] = (unsigned char)((t >> ((i % 8) * 8)) ^ (i * 131));
    }
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(id + 2 * i, 3, "%02x", raw[i]);
}

static _Thread_local uint64_t thread_offset; /* just past this thread's last record */

/* The journal's replication sink: under the key's lock. */
static void backlog_sink(void *arg, const struct rec *r)
{
    thread_offset = backlog_append_rec(arg, r);
}

uint64_t repl_thread_offset(void)
{
    return thread_offset;
}

static void sink_set_locked(struct repl *r, bool on)
{
    if (r->sink_on == on)
        return;
    journal_set_sink(r->journal, JOURNAL_REPL, on ? backlog_sink : NULL, on ? r->backlog : NULL);
    r->sink_on = on;
}

static void acked_more(struct repl *r);

struct repl *repl_create(const struct repl_config *cfg)
{
    struct repl *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        struct tls_client_ctx *ctx = cfg->link_tls;
        tls_client_ctx_free(&ctx);
        return NULL;
    }
    r->store = cfg->store;
    r->journal = cfg->journal;
    r->persist = cfg->persist;
    r->min_acks = cfg->min_acks;
    r->on_acked = cfg->on_acked;
    r->on_acked_arg = cfg->arg;
    r->auth_token = cfg->auth_token != NULL ? strdup(cfg->auth_token) : NULL;
    r->link_tls = cfg->link_tls;
    r->link_tls_name = cfg->link_tls_name != NULL ? strdup(cfg->link_tls_name) : NULL;
    r->backlog = backlog_create(cfg->backlog_bytes);
    r->buffer_limit = cfg->buffer_limit;
    if (r->backlog == NULL || (cfg->auth_token != NULL && r->auth_token == NULL) ||
        (cfg->link_tls_name != NULL && r->link_tls_name == NULL)) {
        backlog_free(&r->backlog);
        free(r->auth_token);
        free(r->link_tls_name);
        tls_client_ctx_free(&r->link_tls);
        free(r);
        return NULL;
    }
    pthread_mutex_init(&r->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->acked, &ca);
    pthread_condattr_destroy(&ca);
    new_id(r->replid);
    r->acked_more = acked_more;
    return r;
}

void repl_free(struct repl **rp)
{
    struct repl *r = *rp;
    if (r == NULL)
        return;
    *rp = NULL;
    atomic_store(&r->stopping, true);
    pthread_mutex_lock(&r->lock);
    struct link *l = r->link;
    r->link = NULL;
    pthread_mutex_unlock(&r->lock);
    link_stop(&l);
    pthread_mutex_lock(&r->lock);
    feeds_reap_locked(r, true);
    sink_set_locked(r, false);
    pthread_mutex_unlock(&r->lock);
    pthread_cond_destroy(&r->acked);
    pthread_mutex_destroy(&r->lock);
    backlog_free(&r->backlog);
    if (r->auth_token != NULL)
        explicit_bzero(r->auth_token, strlen(r->auth_token));
    free(r->auth_token);
    free(r->link_tls_name);
    tls_client_ctx_free(&r->link_tls);
    free(r);
}

int repl_follow(struct repl *r, const char *host, int port, char *err, size_t errlen)
{
    pthread_mutex_lock(&r->lock);
    struct link *old = r->link;
    r->link = NULL;
    pthread_mutex_unlock(&r->lock);
    link_stop(&old); /* (a replica told to follow another) */
    pthread_mutex_lock(&r->lock);
    /* From now on the backlog takes the primary's stream, not our writes
     * (there are none: clients' writes are refused). */
    atomic_store(&r->replica, true);
    sink_set_locked(r, false);
    r->link = link_start(r, host, port);
    int rc = r->link != NULL ? 0 : -1;
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the replication link");
        atomic_store(&r->replica, false);
        sink_set_locked(r, true);
    }
    pthread_mutex_unlock(&r->lock);
    if (rc == 0)
        log_info("replication: following %s:%d", host, port);
    return rc;
}

void repl_promote(struct repl *r)
{
    pthread_mutex_lock(&r->lock);
    struct link *l = r->link;
    r->link = NULL;
    pthread_mutex_unlock(&r->lock);
    if (l == NULL)
        return;
    int64_t pending_flush = link_stop(&l);
    struct store *s = r->store;
    /* cas values handed out from now on must be above every one the
     * primary gave (they came in with the items) */
    store_raise_cas(s, store_cas_high(s));
    if (pending_flush != 0)
        store_flush(s, pending_flush <= itemrec_now_unix() ? 0 : itemrec_exptime_clock(pending_flush));
    pthread_mutex_lock(&r->lock);
    uint64_t start, end;
    backlog_range(r->backlog, &start, &end);
    /* Siblings that followed the same primary continue from us: the old
     * id is answered up to where its stream stops here. */
    memcpy(r->replid2, r->replid, sizeof(r->replid2));
    r->replid2_end = end;
    new_id(r->replid);
    sink_set_locked(r, true);
    atomic_store(&r->replica, false);
    pthread_mutex_unlock(&r->lock);
    log_info("replication: promoted to primary at offset %" PRIu64, end);
}

#define POSITION_FILE "replication"
#define POSITION_MAGIC "mnemo-replication 2"

int repl_save_position(struct repl *r, const char *dir)
{
    char path[4200], tmp[4300];
    snprintf(path, sizeof(path), "%s/" POSITION_FILE, dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    /* nothing may be applied after the position is taken */
    pthread_mutex_lock(&r->lock);
    struct link *l = r->link;
    r->link = NULL;
    pthread_mutex_unlock(&r->lock);
    link_stop(&l);
    uint64_t start, end;
    pthread_mutex_lock(&r->lock);
    backlog_range(r->backlog, &start, &end);
    FILE *f = fopen(tmp, "we");
    int rc = -1;
    if (f != NULL) {
        fprintf(f, POSITION_MAGIC "\nreplid %s\noffset %" PRIu64 "\nrole %s\n", r->replid, end,
                atomic_load(&r->replica) ? "replica" : "primary");
        rc = fflush(f) == 0 && fsync(fileno(f)) == 0 ? 0 : -1;
        rc = fclose(f) == 0 ? rc : -1;
    }
    pthread_mutex_unlock(&r->lock);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1;
    if (rc != 0) {
        log_error("replication: cannot save the stream's position in %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    log_info("replication: saved offset %" PRIu64 " of %s", end, r->replid);
    return 0;
}

void repl_resume(struct repl *r, const char *dir, bool store_as_saved, bool following)
{
    char path[4200], magic[32], id[REPL_ID_LEN + 2], role[16];
    snprintf(path, sizeof(path), "%s/" POSITION_FILE, dir);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return;
    uint64_t offset;
    int n = fscanf(f, "%31[^\n]\nreplid %41s\noffset %" SCNu64 "\nrole %15s", magic, id, &offset,
                   role);
    fclose(f);
    /* used once: a crash from here on must not find it again */
    if (unlink(path) != 0)
        log_error("replication: cannot remove %s: %s", path, strerror(errno));
    if (n != 4 || strcmp(magic, POSITION_MAGIC) != 0 || strlen(id) != REPL_ID_LEN ||
        (strcmp(role, "primary") != 0 && strcmp(role, "replica") != 0)) {
        log_warn("replication: %s is not a saved position; ignored", path);
        return;
    }
    if (!store_as_saved) {
        log_info("replication: the store changed after the saved position; starting a new stream");
        return;
    }
    pthread_mutex_lock(&r->lock);
    backlog_reset(r->backlog, offset);
    if (strcmp(role, "replica") == 0 && !following) {
        /* A replica started as a primary: its own writes must not pass for
         * its old primary's stream. As a promotion: a new id, the old one
         * answered up to here (its siblings continue from it). */
        memcpy(r->replid2, id, sizeof(r->replid2));
        r->replid2_end = offset;
    } else {
        memcpy(r->replid, id, sizeof(r->replid));
    }
    /* Replicas may continue from here: every write from now on must be in
     * the backlog (repl_follow turns this off again on a replica). */
    sink_set_locked(r, !atomic_load(&r->replica));
    pthread_mutex_unlock(&r->lock);
    log_info("replication: resuming %s at offset %" PRIu64 "%s", id, offset,
             r->replid2[0] != '\0' ? " as a primary of its own" : "");
}

bool repl_is_replica(const struct repl *r)
{
    return atomic_load_explicit(&r->replica, memory_order_relaxed);
}

/* The n-th largest acknowledged offset among streaming feeds (lock held). */
static uint64_t acked_by_locked(struct repl *r, int n)
{
    uint64_t best[REPL_MAX_REPLICAS];
    int k = 0;
    for (struct feed *f = r->feeds; f != NULL && k < REPL_MAX_REPLICAS; f = f->next)
        if (atomic_load(&f->state) == FEED_STREAM)
            best[k++] = atomic_load(&f->acked);
    if (n <= 0 || k < n)
        return 0;
    /* partial selection: the n largest first */
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < k; j++)
            if (best[j] > best[i]) {
                uint64_t t = best[i];
                best[i] = best[j];
                best[j] = t;
            }
    return best[n - 1];
}

uint64_t repl_acked_by(struct repl *r, int n)
{
    pthread_mutex_lock(&r->lock);
    uint64_t off = acked_by_locked(r, n);
    pthread_mutex_unlock(&r->lock);
    return off;
}

int repl_online(struct repl *r)
{
    return atomic_load_explicit(&r->online, memory_order_relaxed);
}

int repl_wait_acked(struct repl *r, int n, uint64_t offset, int timeout_ms)
{
    struct timespec until;
    clock_deadline_ms(&until, CLOCK_MONOTONIC, timeout_ms);
    int rc = 0;
    pthread_mutex_lock(&r->lock);
    while (acked_by_locked(r, n) < offset) {
        if (pthread_cond_timedwait(&r->acked, &r->lock, &until) == ETIMEDOUT) {
            rc = acked_by_locked(r, n) >= offset ? 0 : -1;
            break;
        }
    }
    pthread_mutex_unlock(&r->lock);
    return rc;
}

static void acked_more(struct repl *r)
{
    if (r->min_acks <= 0)
        return;
    pthread_mutex_lock(&r->lock);
    pthread_cond_broadcast(&r->acked);
    pthread_mutex_unlock(&r->lock);
    if (r->on_acked != NULL)
        r->on_acked(r->on_acked_arg);
}

int repl_feed_start(struct repl *r, const char *replid, uint64_t offset, int fd,
                    struct tls_stream *tls, const char *peer, char *err, size_t errlen)
{
    struct feed *f = calloc(1, sizeof(*f));
    if (f == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    f->r = r;
    f->fd = fd;
    f->tls = tls;
    snprintf(f->peer, sizeof(f->peer), "%s", peer);
    pthread_mutex_lock(&r->lock);
    feeds_reap_locked(r, false);
    unsigned feeds = 0;
    for (struct feed *g = r->feeds; g != NULL; g = g->next)
        feeds++;
    if (feeds >= REPL_MAX_REPLICAS) {
        pthread_mutex_unlock(&r->lock);
        free(f);
        snprintf(err, errlen, "too many replicas (%d)", REPL_MAX_REPLICAS);
        return -1;
    }
    if (r->link != NULL && !link_up(r->link)) {
        pthread_mutex_unlock(&r->lock);
        free(f);
        snprintf(err, errlen, "this replica is syncing with its primary; try again");
        return -1;
    }
    uint64_t start, end;
    backlog_range(r->backlog, &start, &end);
    /* Its stream is ours (or the one we followed before a promotion, up to
     * where we left it) and the backlog still holds what comes next. */
    bool ours = strcmp(replid, r->replid) == 0;
    bool before = r->replid2[0] != '\0' && strcmp(replid, r->replid2) == 0 &&
                  offset <= r->replid2_end;
    f->full = !((ours || before) && offset >= start && offset <= end);
    f->from = offset;
    atomic_store(&f->acked, f->full ? 0 : offset);
    memcpy(f->replid, r->replid, sizeof(f->replid));
    /* a primary's backlog takes its writes from now on (a replica's has
     * its primary's stream) */
    sink_set_locked(r, !atomic_load(&r->replica));
    int rc = feed_start_locked(r, f);
    pthread_mutex_unlock(&r->lock);
    if (rc != 0) {
        free(f);
        snprintf(err, errlen, "cannot start a replication thread");
        return -1;
    }
    return 0;
}

void repl_stats(struct repl *r, repl_emit_fn emit, void *arg)
{
    char v[160], name[32];
#define EMIT_U64(n, val)                                                      \
    do {                                                                      \
        snprintf(v, sizeof(v), "%" PRIu64, (uint64_t)(val));                  \
        emit(arg, n, v);                                                      \
    } while (0)
    pthread_mutex_lock(&r->lock);
    uint64_t start, end;
    backlog_range(r->backlog, &start, &end);
    emit(arg, "role", atomic_load(&r->replica) ? "replica" : "primary");
    emit(arg, "replid", r->replid);
    emit(arg, "replid2", r->replid2[0] ? r->replid2 : "none");
    EMIT_U64("replid2_offset", r->replid2_end);
    EMIT_U64("repl_offset", end);
    EMIT_U64("repl_backlog_size", backlog_size(r->backlog));
    EMIT_U64("repl_backlog_first_offset", start);
    EMIT_U64("repl_backlog_bytes", end - start);
    if (r->link != NULL)
        link_stats(r->link, emit, arg);
    unsigned n = 0;
    for (struct feed *f = r->feeds; f != NULL; f = f->next)
        n += atomic_load(&f->state) != FEED_DONE;
    EMIT_U64("connected_replicas", n);
    n = 0;
    for (struct feed *f = r->feeds; f != NULL; f = f->next) {
        int st = atomic_load(&f->state);
        if (st == FEED_DONE)
            continue;
        snprintf(name, sizeof(name), "replica%u", n++);
        /* lag: how far the replica's applied offset is behind the stream
         * (none while it syncs: it has no offset in it yet) */
        uint64_t acked = atomic_load(&f->acked);
        bool online = st != FEED_SYNC;
        snprintf(v, sizeof(v),
                 "addr=%s,state=%s,sent=%" PRIu64 ",acked=%" PRIu64 ",lag_bytes=%" PRIu64
                 ",lag_ms=%" PRIu64 ",held=%" PRIu64,
                 f->peer, online ? "online" : "sync", atomic_load(&f->sent), acked,
                 online && acked < end ? end - acked : 0,
                 online ? (uint64_t)atomic_load(&f->lag_ms) : 0, (uint64_t)atomic_load(&f->held));
        emit(arg, name, v);
    }
    EMIT_U64("full_syncs_served", atomic_load(&r->full_syncs_served));
    EMIT_U64("partial_syncs_served", atomic_load(&r->partial_syncs_served));
    pthread_mutex_unlock(&r->lock);
#undef EMIT_U64
}
