/*
 * link.c: the replica's side — one thread that connects to the primary,
 * asks for its stream ("repl_sync <id> <offset>", the id and offset of
 * the stream this replica holds) and applies what comes:
 *
 *   FULLSYNC <id> <offset>  everything here goes (a flush), the items up
 *                           to the SYNC record are applied, the backlog
 *                           starts over at offset under the primary's id
 *   CONTINUE <id> <offset>  the stream goes on from our offset (the id
 *                           may be new: the primary was promoted)
 *   anything else           logged; try again later
 *
 * Each record of the stream is applied (persist/apply.h), handed to the
 * append log if persistence is on (journal_log_only; the thread is muted
 * so the store's hook adds nothing of its own), and its bytes go into
 * this server's backlog as they came: its offsets are its primary's, so
 * its own replicas and, after a promotion, its siblings continue from it.
 *
 * After each batch it applied, it tells the primary how far it got
 * ("repl_ack <offset>", on the same connection), and at least once a
 * second while nothing arrives: the primary's per-replica lag comes from
 * these.
 *
 * With a TLS context (repl_config's link_tls), each connection shakes
 * hands first (net/tls_stream.h: on the same blocking socket, within
 * CONNECT_TIMEOUT_MS), and every byte after goes through the session. A
 * refused certificate or a primary that does not speak TLS is a broken
 * link like any other: logged with its reason, counted, tried again.
 *
 * A lost connection is tried again at once, then after 100 ms, doubling
 * up to a second. stop shuts the socket down, which wakes a blocked read
 * (and a handshake's).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "net/tls_stream.h"
#include "persist/apply.h"
#include "persist/itemrec.h"
#include "persist/journal.h"
#include "persist/persist.h"
#include "persist/record.h"
#include "repl/backlog.h"
#include "repl/link.h"
#include "repl/state.h"
#include "store/store.h"

#define CONNECT_TIMEOUT_MS 2000
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 1000
#define READ_CHUNK (256u * 1024)
#define IDLE_ACK_MS 1000 /* an ack at least this often while nothing arrives */
#define READ_TIMEOUT (-2)

enum link_state { LINK_CONNECTING, LINK_SYNC, LINK_UP };

struct link {
    struct repl *r;
    char host[256];
    int port;
    pthread_t thread;
    pthread_mutex_t lock; /* fd, stop */
    pthread_cond_t cond;  /* stop, for the backoff sleep */
    int fd;
    bool stop;
    bool tls;               /* the link speaks TLS (the repl's context) */
    struct tls_stream *ssl; /* this connection's session (the thread's own) */
    atomic_int state;
    _Atomic uint64_t full_syncs, partial_syncs, link_errors, records, last_io;
    struct rec_apply apply;
    uint64_t acked; /* the offset last acknowledged */
    char *buf; /* the bytes read and not yet applied: [0, len) */
    size_t len, cap;
};

/* ---- the connection ---- */

static int open_socket(struct link *l)
{
    char port[16];
    snprintf(port, sizeof(port), "%d", l->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int e = getaddrinfo(l->host, port, &hints, &res);
    if (e != 0) {
        log_warn("replication: cannot resolve %s: %s", l->host, gai_strerror(e));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno == EINPROGRESS) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            int soerr = ETIMEDOUT;
            socklen_t sl = sizeof(soerr);
            if (poll(&p, 1, CONNECT_TIMEOUT_MS) == 1)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
            errno = soerr;
        } else {
            errno = 0;
        }
        if (errno != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        return -1;
    int flags = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &flags, sizeof(flags));
    struct timeval idle = {.tv_sec = IDLE_ACK_MS / 1000, .tv_usec = (IDLE_ACK_MS % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle));
    /* blocking from here: this thread has nothing else to do */
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool stopping(struct link *l)
{
    pthread_mutex_lock(&l->lock);
    bool stop = l->stop;
    pthread_mutex_unlock(&l->lock);
    return stop;
}

/* Read more into buf (growing it to hold at least want bytes). >0 bytes
 * read; 0 the primary closed; READ_TIMEOUT nothing for IDLE_ACK_MS; -1 an
 * error (or stop). */
static ssize_t read_more(struct link *l, size_t want)
{
    if (want > l->cap || l->cap - l->len < 4096) {
        size_t cap = l->cap ? l->cap : READ_CHUNK;
        while (cap < want || cap - l->len < 4096)
            cap *= 2;
        char *b = realloc(l->buf, cap);
        if (b == NULL)
            return -1;
        l->buf = b;
        l->cap = cap;
    }
    ssize_t n;
    if (l->ssl != NULL) {
        char why[200];
        n = tls_stream_read(l->ssl, l->buf + l->len, l->cap - l->len, why, sizeof(why));
        if (n == TLS_STREAM_AGAIN)
            return READ_TIMEOUT;
        if (n < 0) {
            if (!stopping(l))
                log_warn("replication: %s:%d: %s", l->host, l->port, why);
            return -1;
        }
    } else {
        do
            n = recv(l->fd, l->buf + l->len, l->cap - l->len, 0);
        while (n < 0 && errno == EINTR);
    }
    if (n > 0) {
        l->len += (size_t)n;
        atomic_store(&l->last_io, clock_now());
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return READ_TIMEOUT;
    return n;
}

/* Send all n bytes (through TLS on a TLS link). 0, or -1. */
static int send_all(struct link *l, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t k;
        if (l->ssl != NULL) {
            char why[200];
            k = tls_stream_write(l->ssl, c, n, why, sizeof(why));
            if (k == TLS_STREAM_AGAIN)
                continue; /* a blocking socket: a retry after a signal */
            if (k < 0 && !stopping(l))
                log_warn("replication: %s:%d: %s", l->host, l->port, why);
        } else {
            k = send(l->fd, c, n, MSG_NOSIGNAL);
            if (k < 0 && errno == EINTR)
                continue;
        }
        if (k <= 0)
            return -1;
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

static void consume(struct link *l, size_t n)
{
    if (n == 0)
        return;
    memmove(l->buf, l->buf + n, l->len - n);
    l->len -= n;
}

/* The primary closed (or broke) the connection before its answer. A
 * primary that serves TLS closes on the plain request it cannot read,
 * perhaps after a TLS alert record (0x15, version 3.x). */
static void no_answer(struct link *l, const char *to)
{
    if (stopping(l) || l->tls)
        return;
    const unsigned char *u = (const unsigned char *)l->buf;
    if (l->len >= 2 && u[0] == 0x15 && u[1] == 0x03)
        log_warn("replication: %s:%d answered %s with a TLS alert: it serves TLS (-Z), the "
                 "replica needs -o replica_tls", l->host, l->port, to);
    else
        log_warn("replication: %s:%d closed the connection without answering %s (if it serves "
                 "TLS (-Z), the replica needs -o replica_tls)", l->host, l->port, to);
}

/* The primary's answer line (without "\r\n") into line. 0, or -1. */
static int read_line(struct link *l, char *line, size_t cap)
{
    for (;;) {
        char *nl = l->len > 0 ? memchr(l->buf, '\n', l->len) : NULL;
        if (nl != NULL) {
            size_t n = (size_t)(nl - l->buf);
            size_t k = n > 0 && l->buf[n - 1] == '\r' ? n - 1 : n;
            if (k >= cap)
                k = cap - 1;
            memcpy(line, l->buf, k);
            line[k] = '\0';
            consume(l, n + 1);
            return 0;
        }
        ssize_t n = l->len > 1024 ? -1 : read_more(l, 0);
        if (n == 0 || n == -1)
            return -1;
    }
}

/* ---- applying ---- */

/* A record of the stream: applied, and to the append log. */
static void apply_one(struct link *l, const struct rec *r)
{
    rec_apply(&l->apply, r);
    journal_log_only(l->r->journal, r);
    atomic_fetch_add_explicit(&l->records, 1, memory_order_relaxed);
}

/* After a batch: the store has it all, the log is written. */
static void batch_done(struct link *l)
{
    rec_apply_drain(&l->apply);
    if (l->r->persist != NULL && persist_commit(l->r->persist) != 0)
        log_error("replication: the append log could not take the stream: %s", strerror(errno));
    l->apply.now = itemrec_now_unix();
}

/* Apply the whole records at the front of buf. With sync_end (a full
 * sync), stop after the SYNC record, *sync_end its offset; records after
 * it stay. Otherwise their bytes go into the backlog too. -1: damaged. */
static int apply_buffered(struct link *l, bool *synced, uint64_t *sync_end)
{
    size_t pos = 0;
    int rc = 0;
    while (pos < l->len) {
        struct rec r;
        size_t used;
        enum rec_result res = rec_decode(l->buf + pos, l->len - pos, &r, &used);
        if (res == REC_SHORT)
            break;
        if (res != REC_OK || (r.type == REC_SYNC && synced == NULL)) {
            rc = -1;
            break;
        }
        if (r.type == REC_SYNC) {
            *synced = true;
            *sync_end = r.cas;
            pos += used;
            break;
        }
        apply_one(l, &r);
        pos += used;
    }
    batch_done(l);
    if (synced == NULL && pos > 0)
        backlog_append_raw(l->r->backlog, l->buf, pos);
    consume(l, pos);
    return rc;
}

/* Bytes the record at the front of buf needs, for read_more (0: unknown). */
static size_t front_need(const struct link *l)
{
    if (l->len < REC_HEAD)
        return 0;
    const unsigned char *u = (const unsigned char *)l->buf;
    uint32_t body = (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
    return body <= REC_BODY_FIXED + REC_KEY_MAX + REC_VALUE_MAX ? REC_HEAD + body : 0;
}

/* The full sync's items: flush, then apply up to the SYNC record. */
static int full_sync(struct link *l, const char *id, uint64_t offset)
{
    struct repl *r = l->r;
    int64_t now = itemrec_now_unix();
    struct rec flush = {.type = REC_FLUSH, .stamp = (uint32_t)now, .exptime = now};
    /* Until the sync is whole, this server holds no stream: a sync cut
     * short must not be continued from the position it had before. */
    pthread_mutex_lock(&r->lock);
    memset(r->replid, '0', REPL_ID_LEN);
    r->replid[REPL_ID_LEN] = '\0';
    r->replid2[0] = '\0';
    r->replid2_end = 0;
    backlog_reset(r->backlog, 0);
    pthread_mutex_unlock(&r->lock);
    rec_apply_drain(&l->apply);
    l->apply.pending_flush = 0;
    apply_one(l, &flush);
    bool synced = false;
    uint64_t end = 0;
    while (!synced) {
        if (apply_buffered(l, &synced, &end) != 0 || (synced && end != offset)) {
            log_warn("replication: the full sync from %s:%d is damaged", l->host, l->port);
            return -1;
        }
        ssize_t n = synced ? 1 : read_more(l, front_need(l));
        if (n == 0 || n == -1)
            return -1;
    }
    pthread_mutex_lock(&r->lock);
    backlog_reset(r->backlog, offset);
    memcpy(r->replid, id, REPL_ID_LEN + 1);
    r->replid2[0] = '\0';
    r->replid2_end = 0;
    pthread_mutex_unlock(&r->lock);
    atomic_fetch_add(&l->full_syncs, 1);
    log_info("replication: full sync from %s:%d done (%" PRIu64 " records), offset %" PRIu64,
             l->host, l->port, l->apply.applied, offset);
    return 0;
}

/* Tell the primary how far this replica has applied the stream (force:
 * even if that has not moved). -1: the connection failed. */
static int ack(struct link *l, bool force)
{
    uint64_t start, end;
    backlog_range(l->r->backlog, &start, &end);
    if (end == l->acked && !force)
        return 0;
    char line[48];
    int n = snprintf(line, sizeof(line), "repl_ack %" PRIu64 "\r\n", end);
    if (send_all(l, line, (size_t)n) != 0)
        return -1;
    l->acked = end;
    return 0;
}

/* A continued stream under a new id: the primary was promoted. */
static void continue_as(struct link *l, const char *id, uint64_t offset)
{
    struct repl *r = l->r;
    pthread_mutex_lock(&r->lock);
    if (strcmp(r->replid, id) != 0) {
        memcpy(r->replid2, r->replid, sizeof(r->replid2));
        r->replid2_end = offset;
        memcpy(r->replid, id, REPL_ID_LEN + 1);
    }
    pthread_mutex_unlock(&r->lock);
    atomic_fetch_add(&l->partial_syncs, 1);
    log_info("replication: continuing from %s:%d at offset %" PRIu64, l->host, l->port, offset);
}

/* One session with the primary, until the connection ends. */
/* A primary with -Y lets in only a connection that has authenticated:
 * the link does so first, as any client, with a `set` of its token (with
 * exptime -1: a primary without -Y stores it already expired, unreadable). */
static int authenticate(struct link *l)
{
    const char *token = l->r->auth_token;
    char line[256];
    if (token == NULL)
        return 0;
    size_t n = strlen(token);
    int head = snprintf(line, sizeof(line), "set replication 0 -1 %zu\r\n", n);
    size_t total = (size_t)head + n + 2;
    char *msg = malloc(total); /* one write: one TLS record */
    if (msg == NULL)
        return -1;
    memcpy(msg, line, (size_t)head);
    memcpy(msg + head, token, n);
    memcpy(msg + head + n, "\r\n", 2);
    int sent = send_all(l, msg, total);
    explicit_bzero(msg, total);
    free(msg);
    if (sent != 0)
        return -1;
    l->len = 0;
    if (read_line(l, line, sizeof(line)) != 0) {
        no_answer(l, "the credentials");
        return -1;
    }
    if (strcmp(line, "STORED") != 0) {
        log_warn("replication: %s:%d refused the credentials of replica_auth: \"%s\"", l->host,
                 l->port, line);
        return -1;
    }
    return 0;
}

static bool stop_asked(void *arg)
{
    return stopping(arg);
}

/* The TLS handshake on the connected socket: 0, or -1 (logged). */
static int shake_hands(struct link *l)
{
    struct repl *r = l->r;
    char why[300];
    const char *name = r->link_tls_name != NULL ? r->link_tls_name : l->host;
    l->ssl = tls_stream_connect(r->link_tls, l->fd, name, CONNECT_TIMEOUT_MS, stop_asked, l, why,
                                sizeof(why));
    if (l->ssl == NULL) {
        if (!stopping(l))
            log_warn("replication: %s:%d: %s", l->host, l->port, why);
        return -1;
    }
    return 0;
}

static void session(struct link *l)
{
    struct repl *r = l->r;
    char line[256], id[REPL_ID_LEN + 1];
    uint64_t start, end;
    if (l->tls && shake_hands(l) != 0)
        return;
    if (authenticate(l) != 0)
        return;
    pthread_mutex_lock(&r->lock);
    memcpy(id, r->replid, sizeof(id));
    backlog_range(r->backlog, &start, &end);
    pthread_mutex_unlock(&r->lock);
    int n = snprintf(line, sizeof(line), "repl_sync %s %" PRIu64 "\r\n", id, end);
    if (send_all(l, line, (size_t)n) != 0)
        return;
    l->len = 0;
    if (read_line(l, line, sizeof(line)) != 0) {
        no_answer(l, "repl_sync");
        return;
    }
    char newid[REPL_ID_LEN + 2];
    uint64_t offset;
    char kind[16];
    if (sscanf(line, "%15s %41s %" SCNu64, kind, newid, &offset) != 3 ||
        strlen(newid) != REPL_ID_LEN) {
        log_warn("replication: %s:%d answered \"%s\"", l->host, l->port, line);
        return;
    }
    if (strcmp(kind, "FULLSYNC") == 0) {
        atomic_store(&l->state, LINK_SYNC);
        if (full_sync(l, newid, offset) != 0)
            return;
    } else if (strcmp(kind, "CONTINUE") == 0 && offset == end) {
        continue_as(l, newid, offset);
    } else {
        log_warn("replication: %s:%d answered \"%s\"", l->host, l->port, line);
        return;
    }
    atomic_store(&l->state, LINK_UP);
    l->acked = 0;
    for (;;) {
        if (apply_buffered(l, NULL, NULL) != 0) {
            log_warn("replication: a damaged record in the stream from %s:%d", l->host, l->port);
            return;
        }
        if (ack(l, false) != 0) /* the batch is applied (and logged) */
            return;
        ssize_t got = read_more(l, front_need(l));
        if (got == 0 || got == -1 || (got == READ_TIMEOUT && ack(l, true) != 0))
            return;
    }
}

/* Sleep ms, or less if stopped. */
static void backoff(struct link *l, int ms)
{
    struct timespec until;
    clock_deadline_ms(&until, CLOCK_MONOTONIC, ms);
    pthread_mutex_lock(&l->lock);
    while (!l->stop && pthread_cond_timedwait(&l->cond, &l->lock, &until) != ETIMEDOUT)
        ;
    pthread_mutex_unlock(&l->lock);
}

static void *link_main(void *arg)
{
    struct link *l = arg;
    journal_mute(true);
    int wait_ms = 0;
    while (!stopping(l)) {
        atomic_store(&l->state, LINK_CONNECTING);
        int fd = open_socket(l);
        if (fd >= 0) {
            pthread_mutex_lock(&l->lock);
            l->fd = l->stop ? -1 : fd;
            pthread_mutex_unlock(&l->lock);
            if (l->fd >= 0) {
                uint64_t before = atomic_load(&l->full_syncs) + atomic_load(&l->partial_syncs);
                session(l);
                if (atomic_load(&l->full_syncs) + atomic_load(&l->partial_syncs) != before)
                    wait_ms = 0; /* it had worked: try again at once */
            }
            tls_stream_free(&l->ssl);
            pthread_mutex_lock(&l->lock);
            l->fd = -1;
            pthread_mutex_unlock(&l->lock);
            close(fd);
            rec_apply_drain(&l->apply);
            if (!stopping(l)) {
                atomic_fetch_add(&l->link_errors, 1);
                log_warn("replication: the link to %s:%d is down", l->host, l->port);
            }
        }
        atomic_store(&l->state, LINK_CONNECTING);
        if (wait_ms > 0)
            backoff(l, wait_ms);
        wait_ms = wait_ms == 0 ? BACKOFF_MIN_MS : wait_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : wait_ms * 2;
    }
    return NULL;
}

struct link *link_start(struct repl *r, const char *host, int port)
{
    struct link *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return NULL;
    l->r = r;
    snprintf(l->host, sizeof(l->host), "%s", host);
    l->port = port;
    l->fd = -1;
    l->tls = r->link_tls != NULL;
    pthread_mutex_init(&l->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&l->cond, &ca);
    pthread_condattr_destroy(&ca);
    rec_apply_init(&l->apply, r->store, itemrec_now_unix());
    if (pthread_create(&l->thread, NULL, link_main, l) != 0) {
        rec_apply_free(&l->apply);
        pthread_cond_destroy(&l->cond);
        pthread_mutex_destroy(&l->lock);
        free(l);
        return NULL;
    }
    return l;
}

int64_t link_stop(struct link **lp)
{
    struct link *l = *lp;
    if (l == NULL)
        return 0;
    *lp = NULL;
    pthread_mutex_lock(&l->lock);
    l->stop = true;
    if (l->fd >= 0)
        shutdown(l->fd, SHUT_RDWR);
    pthread_cond_signal(&l->cond);
    pthread_mutex_unlock(&l->lock);
    pthread_join(l->thread, NULL);
    int64_t pending = l->apply.pending_flush;
    rec_apply_free(&l->apply);
    pthread_cond_destroy(&l->cond);
    pthread_mutex_destroy(&l->lock);
    free(l->buf);
    free(l);
    return pending;
}

bool link_up(const struct link *l)
{
    return atomic_load(&l->state) == LINK_UP;
}

void link_stats(struct link *l, repl_emit_fn emit, void *arg)
{
    static const char *const states[] = {"connecting", "sync", "up"};
    char v[300];
    snprintf(v, sizeof(v), "%s:%d", l->host, l->port);
    emit(arg, "primary", v);
    emit(arg, "primary_link_status", states[atomic_load(&l->state)]);
    emit(arg, "link_tls", l->tls ? "yes" : "no");
    uint32_t io = (uint32_t)atomic_load(&l->last_io);
    snprintf(v, sizeof(v), "%" PRId64, io == 0 ? (int64_t)-1 : (int64_t)(clock_now() - io));
    emit(arg, "primary_last_io_seconds_ago", v);
    snprintf(v, sizeof(v), "%" PRIu64, atomic_load(&l->full_syncs));
    emit(arg, "full_syncs", v);
    snprintf(v, sizeof(v), "%" PRIu64, atomic_load(&l->partial_syncs));
    emit(arg, "partial_syncs", v);
    snprintf(v, sizeof(v), "%" PRIu64, atomic_load(&l->link_errors));
    emit(arg, "link_errors", v);
    snprintf(v, sizeof(v), "%" PRIu64, atomic_load(&l->records));
    emit(arg, "records_applied", v);
}
