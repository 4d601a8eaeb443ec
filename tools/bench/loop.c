/*
 * loop.c: the per-thread event loop of mnemo-bench.  Level-triggered epoll
 * over non-blocking sockets; one read buffer per thread; requests are
 * encoded into a per-socket write buffer and flushed once per loop turn,
 * so a pipelined burst costs one send().  The clock is read once per
 * wake-up and shared by every completion of that batch.
 */
#include "loop.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "keys.h"
#include "options.h"
#include "proto.h"
#include "ring.h"
#include "tls.h"

#define RBUF_SIZE (256 * 1024)
#define MAX_EVENTS 256
#define DRAIN_NS (UINT64_C(2000000000)) /* wait this long for replies after the end */
#define TICK_NS (UINT64_C(100000000))   /* wake at least this often */

struct inflight {
    uint64_t start;
    int is_get;
};

struct client;
struct tctx;

struct conn {
    int fd;
    struct bench_tls_conn *tls; /* --tls; NULL: plain */
    unsigned server;
    struct client *cl;
    struct tctx *t;
    struct resp_parser parser;
    char *wbuf;
    size_t wlen, woff, wcap;
    struct inflight *q;
    unsigned qhead, qcount, qcap;
    int dirty;
    int epollout;
};

struct client {
    struct conn *conns; /* one per server */
    const struct bench_group *group;
    struct bench_stats *st; /* where this phase's completions count */
    unsigned window;        /* requests in flight allowed in this phase */
    unsigned outstanding;
    uint64_t next_due;  /* open loop */
};

struct tctx {
    struct worker *w;
    const struct bench_options *o;
    const struct proto_ops *proto;
    int ep;
    unsigned nclients, nservers;
    struct client *clients;
    struct conn *conns;
    struct conn **dirty;
    unsigned ndirty;
    struct keygen keys;
    struct rng rng;
    size_t prefix_len;
    char *rbuf;
    /* the phase */
    int preload;
    int open_loop;
    uint64_t quota, issued;
    uint64_t deadline;
    uint64_t preload_next, preload_end;
    uint64_t interval;
    uint64_t outstanding;
    uint64_t now;
    uint64_t last_done;
    int fatal;
};

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void fail(struct tctx *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Record the thread's first fatal error and stop every thread. */
static void fail(struct tctx *t, const char *fmt, ...)
{
    if (t->fatal)
        return;
    t->fatal = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->w->error, sizeof(t->w->error), fmt, ap);
    va_end(ap);
    __atomic_store_n(&t->w->sh->failed, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&t->w->sh->stop, 1, __ATOMIC_RELAXED);
}

static const char *server_name(struct tctx *t, unsigned s, char *buf, size_t len)
{
    snprintf(buf, len, "%s:%s", t->o->servers[s].host, t->o->servers[s].port);
    return buf;
}

static int can_issue(struct tctx *t)
{
    if (t->fatal || __atomic_load_n(&t->w->sh->stop, __ATOMIC_RELAXED))
        return 0;
    if (t->issued >= t->quota)
        return 0;
    if (t->deadline && t->now >= t->deadline)
        return 0;
    return 1;
}

static int reserve(struct conn *c, size_t need)
{
    if (c->woff && c->woff == c->wlen)
        c->woff = c->wlen = 0;
    if (c->wlen + need <= c->wcap)
        return 0;
    if (c->woff) { /* compact what is still unsent */
        memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
        c->wlen -= c->woff;
        c->woff = 0;
        if (c->wlen + need <= c->wcap)
            return 0;
    }
    size_t cap = c->wcap ? c->wcap : 4096;
    while (cap < c->wlen + need)
        cap *= 2;
    char *nb = realloc(c->wbuf, cap);
    if (!nb)
        return -1;
    c->wbuf = nb;
    c->wcap = cap;
    return 0;
}

static void issue_one(struct tctx *t, struct client *cl, uint64_t start)
{
    const struct bench_options *o = t->o;
    const struct bench_group *g = cl->group;
    uint64_t index;
    int is_get;
    if (t->preload) {
        index = t->preload_next++;
        is_get = 0;
    } else {
        index = keygen_next(&t->keys);
        is_get = rng_below(&t->rng, g->ratio_get + g->ratio_set) < g->ratio_get;
    }
    char key[BENCH_MAX_KEY + 1];
    size_t klen = key_format(key, sizeof(key), o->key_prefix, t->prefix_len, index);
    size_t vlen = 0;
    if (!is_get) {
        vlen = o->value_min;
        if (o->value_max > o->value_min)
            vlen += rng_below(&t->rng, o->value_max - o->value_min + 1);
    }
    struct conn *c = &cl->conns[ring_server_of(t->w->sh->ring, index, key, klen)];
    if (reserve(c, klen + vlen + PROTO_REQ_OVERHEAD)) {
        fail(t, "out of memory for a write buffer");
        return;
    }
    uint32_t opaque = (uint32_t)t->issued;
    size_t n = is_get ? t->proto->encode_get(c->wbuf + c->wlen, key, klen, opaque)
                      : t->proto->encode_set(c->wbuf + c->wlen, key, klen, t->w->sh->value, vlen,
                                             opaque);
    c->wlen += n;
    if (c->tls && bench_tls_mark(c->tls, c->wlen - c->woff) != 0)
        fail(t, "out of memory for TLS records");
    cl->st->bytes_out += n;
    unsigned slot = (c->qhead + c->qcount) % c->qcap;
    c->q[slot].start = start;
    c->q[slot].is_get = is_get;
    c->qcount++;
    cl->outstanding++;
    t->outstanding++;
    t->issued++;
    if (!c->dirty) {
        c->dirty = 1;
        t->dirty[t->ndirty++] = c;
    }
}

static void fill_client(struct tctx *t, struct client *cl)
{
    if (t->open_loop) {
        while (cl->outstanding < cl->window && cl->next_due <= t->now && can_issue(t)) {
            issue_one(t, cl, cl->next_due);
            cl->next_due += t->interval;
        }
    } else {
        while (cl->outstanding < cl->window && can_issue(t))
            issue_one(t, cl, t->now);
    }
}

static void on_response(void *ctx, enum resp_kind kind)
{
    struct conn *c = ctx;
    struct tctx *t = c->t;
    if (c->qcount == 0) {
        char name[300];
        fail(t, "%s: reply without a request (the stream is out of sync; %llu error replies "
                "so far: does the server speak the %s protocol?)",
             server_name(t, c->server, name, sizeof(name)), (unsigned long long)c->cl->st->errors,
             t->proto->name);
        return;
    }
    struct inflight *f = &c->q[c->qhead];
    c->qhead = (c->qhead + 1) % c->qcap;
    c->qcount--;
    uint64_t lat = t->now > f->start ? t->now - f->start : 0;
    struct bench_stats *st = c->cl->st;
    if (f->is_get) {
        st->gets++;
        hist_record(&st->get_lat, lat);
    } else {
        st->sets++;
        hist_record(&st->set_lat, lat);
    }
    switch (kind) {
    case RESP_HIT: st->hits++; break;
    case RESP_MISS: st->misses++; break;
    case RESP_STORED: st->stored++; break;
    case RESP_NOT_STORED: st->not_stored++; break;
    case RESP_ERROR: st->errors++; break;
    }
    t->last_done = t->now;
    c->cl->outstanding--;
    t->outstanding--;
    fill_client(t, c->cl);
}

static void set_epollout(struct tctx *t, struct conn *c, int on)
{
    if (c->epollout == on)
        return;
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(t->ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->epollout = on;
}

/* A TLS write: bytes written, or -1 with errno (EAGAIN: wait; EPROTO:
 * the reason in why). */
static ssize_t tls_send(struct conn *c, char *why, size_t len)
{
    int want_out = 0;
    ssize_t n = bench_tls_send(c->tls, c->wbuf + c->woff, c->wlen - c->woff, &want_out, why, len);
    if (n <= 0)
        errno = n == 0 ? EAGAIN : EPROTO;
    return n > 0 ? n : -1;
}

static void flush_conn(struct tctx *t, struct conn *c)
{
    char why[256] = "";
    while (c->woff < c->wlen) {
        ssize_t n = c->tls ? tls_send(c, why, sizeof(why))
                           : send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
        if (n > 0) {
            c->woff += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            set_epollout(t, c, 1);
            return;
        }
        char name[300];
        fail(t, "%s: send failed: %s", server_name(t, c->server, name, sizeof(name)),
             why[0] ? why : strerror(errno));
        return;
    }
    c->woff = c->wlen = 0;
    set_epollout(t, c, 0);
}

static void flush_dirty(struct tctx *t)
{
    /* flushing cannot add to the list, so a plain walk is safe */
    for (unsigned i = 0; i < t->ndirty; i++) {
        struct conn *c = t->dirty[i];
        c->dirty = 0;
        if (!c->epollout)
            flush_conn(t, c);
    }
    t->ndirty = 0;
}

/* Read TLS records until the session holds no more: it reads ahead (one
 * read(2) takes what the socket holds), so records it took in are not
 * announced by epoll again. The replies outstanding bound the loop. */
static void on_readable_tls(struct tctx *t, struct conn *c)
{
    char name[300], why[256] = "";
    while (!t->fatal) {
        int want_out = 0;
        ssize_t n = bench_tls_recv(c->tls, t->rbuf, RBUF_SIZE, &want_out, why, sizeof(why));
        if (n == 0)
            return; /* nothing more now (TLS 1.3 renegotiates never: no write wanted) */
        if (n < 0) {
            fail(t, "%s: %s", server_name(t, c->server, name, sizeof(name)), why);
            return;
        }
        c->cl->st->bytes_in += (uint64_t)n;
        if (t->proto->parse(&c->parser, t->rbuf, (size_t)n, on_response, c) < 0)
            fail(t, "%s: bad reply: %s", server_name(t, c->server, name, sizeof(name)),
                 c->parser.error);
        /* drained: another read would only meet EAGAIN; the socket's
         * readiness (level-triggered) tells of what comes next */
        if (!bench_tls_pending(c->tls))
            return;
    }
}

static void on_readable(struct tctx *t, struct conn *c)
{
    char name[300];
    if (c->tls) {
        on_readable_tls(t, c);
        return;
    }
    ssize_t n = recv(c->fd, t->rbuf, RBUF_SIZE, 0);
    if (n > 0) {
        c->cl->st->bytes_in += (uint64_t)n;
        if (t->proto->parse(&c->parser, t->rbuf, (size_t)n, on_response, c) < 0)
            fail(t, "%s: bad reply: %s", server_name(t, c->server, name, sizeof(name)),
                 c->parser.error);
        return;
    }
    if (n == 0) {
        fail(t, "%s: the server closed the connection",
             server_name(t, c->server, name, sizeof(name)));
        return;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return;
    fail(t, "%s: recv failed: %s", server_name(t, c->server, name, sizeof(name)), strerror(errno));
}

/* Nanoseconds until the loop must wake on its own. */
static uint64_t wait_ns(struct tctx *t, uint64_t drain_until)
{
    uint64_t wake = t->now + TICK_NS;
    if (t->deadline && t->deadline > t->now && t->deadline < wake)
        wake = t->deadline;
    if (drain_until && drain_until < wake)
        wake = drain_until;
    if (t->open_loop && !drain_until) {
        for (unsigned i = 0; i < t->nclients; i++) {
            struct client *cl = &t->clients[i];
            if (cl->outstanding < cl->window && cl->next_due < wake)
                wake = cl->next_due;
        }
    }
    return wake > t->now ? wake - t->now : 0;
}

/* Point every client at this phase's stats and window: the preload counts
 * into w->preload with a deep window, the run into its group's stats. */
static void phase_clients(struct tctx *t, int preload)
{
    struct worker *w = t->w;
    unsigned deep = bench_options_max_pipeline(t->o);
    if (deep < 64)
        deep = 64;
    for (unsigned i = 0; i < t->nclients; i++) {
        struct client *cl = &t->clients[i];
        size_t gi = (size_t)(cl->group - t->o->groups);
        cl->st = preload ? &w->preload : &w->run[gi];
        cl->st->start_ns = t->now;
        cl->window = preload ? deep : cl->group->pipeline;
    }
}

/* Every stats object of the phase spans the same window, from the phase's
 * start to the thread's last completion, so the groups' rates compare. */
static void phase_end(struct tctx *t, uint64_t start)
{
    uint64_t end = t->last_done > start ? t->last_done : t->now;
    for (unsigned i = 0; i < t->nclients; i++)
        t->clients[i].st->end_ns = end;
}

/* The measured phase's totals over the groups, for the progress line. */
static void publish_progress(struct tctx *t)
{
    struct worker *w = t->w;
    uint64_t ops = 0, gets = 0, hits = 0;
    for (size_t g = 0; g < t->o->group_count; g++) {
        ops += w->run[g].gets + w->run[g].sets;
        gets += w->run[g].gets;
        hits += w->run[g].hits;
    }
    __atomic_store_n(&w->progress_ops, ops, __ATOMIC_RELAXED);
    __atomic_store_n(&w->progress_gets, gets, __ATOMIC_RELAXED);
    __atomic_store_n(&w->progress_hits, hits, __ATOMIC_RELAXED);
}

static void run_phase(struct tctx *t, int preload)
{
    const struct bench_options *o = t->o;
    struct worker *w = t->w;
    unsigned threads = o->threads;
    t->preload = preload;
    t->issued = 0;
    t->now = bench_now_ns();
    t->last_done = t->now;
    uint64_t start = t->now;
    phase_clients(t, preload);
    if (preload) {
        t->preload_next = o->keys * w->id / threads;
        t->preload_end = o->keys * (w->id + 1) / threads;
        t->quota = t->preload_end - t->preload_next;
        t->deadline = 0;
        t->open_loop = 0;
    } else {
        t->quota = UINT64_MAX;
        if (o->requests)
            t->quota = o->requests / threads + (w->id < o->requests % threads ? 1 : 0);
        t->deadline = o->duration > 0 ? t->now + (uint64_t)(o->duration * 1e9) : 0;
        t->open_loop = o->rate > 0;
        if (t->open_loop) {
            double per_req = 1e9 / o->rate; /* spacing of the whole fleet's requests */
            t->interval = (uint64_t)(per_req * threads * t->nclients);
            if (t->interval == 0)
                t->interval = 1;
            for (unsigned i = 0; i < t->nclients; i++)
                t->clients[i].next_due = t->now + (uint64_t)(per_req * (i * threads + w->id));
        }
    }
    for (unsigned i = 0; i < t->nclients; i++)
        fill_client(t, &t->clients[i]);
    flush_dirty(t);
    uint64_t drain_until = 0;
    struct epoll_event events[MAX_EVENTS];
    while (!t->fatal) {
        if (!can_issue(t)) {
            if (t->outstanding == 0)
                break;
            if (!drain_until)
                drain_until = t->now + DRAIN_NS;
            else if (t->now >= drain_until)
                break;
        }
        uint64_t ns = wait_ns(t, drain_until);
        struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u),
                              .tv_nsec = (long)(ns % 1000000000u)};
        int n = epoll_pwait2(t->ep, events, MAX_EVENTS, &ts, NULL);
        if (n < 0 && errno != EINTR) {
            fail(t, "epoll_pwait2: %s", strerror(errno));
            break;
        }
        t->now = bench_now_ns();
        for (int i = 0; i < n && !t->fatal; i++) {
            struct conn *c = events[i].data.ptr;
            if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
                on_readable(t, c);
            if (!t->fatal && (events[i].events & EPOLLOUT))
                flush_conn(t, c);
        }
        if (t->open_loop)
            for (unsigned i = 0; i < t->nclients; i++)
                fill_client(t, &t->clients[i]);
        flush_dirty(t);
        if (!preload)
            publish_progress(t);
    }
    if (!t->fatal && t->outstanding) {
        fail(t, "%llu requests got no reply within 2 s of the end",
             (unsigned long long)t->outstanding);
    }
    phase_end(t, start);
}

static int setup(struct tctx *t, struct worker *w)
{
    const struct bench_options *o = w->sh->o;
    memset(t, 0, sizeof(*t));
    t->w = w;
    t->o = o;
    t->proto = w->sh->proto;
    t->nclients = o->conns;
    t->nservers = (unsigned)o->server_count;
    t->prefix_len = strlen(o->key_prefix);
    keygen_init(&t->keys, o->key_pattern, o->keys, o->zipf_s, o->seed * 1000003u + w->id);
    rng_seed(&t->rng, (o->seed ^ UINT64_C(0x5bd1e995)) * 7919u + w->id);
    unsigned total = t->nclients * t->nservers;
    unsigned qcap = bench_options_max_pipeline(o);
    if (qcap < 64)
        qcap = 64; /* the preload's window */
    t->ep = epoll_create1(EPOLL_CLOEXEC);
    t->clients = calloc(t->nclients, sizeof(*t->clients));
    t->conns = calloc(total, sizeof(*t->conns));
    t->dirty = calloc(total, sizeof(*t->dirty));
    t->rbuf = malloc(RBUF_SIZE);
    if (t->conns)
        for (unsigned i = 0; i < total; i++)
            t->conns[i].fd = w->fds[i]; /* owned from here on: teardown closes them */
    if (t->conns)
        for (unsigned i = 0; i < total; i++)
            t->conns[i].tls = w->tls[i];
    if (t->ep < 0 || !t->clients || !t->conns || !t->dirty || !t->rbuf)
        return -1;
    /* clients are laid out group after group: the first groups[0].conns
     * clients are group 0's, and so on */
    size_t gi = 0;
    unsigned in_group = 0;
    for (unsigned i = 0; i < t->nclients; i++) {
        while (in_group == o->groups[gi].conns) {
            gi++;
            in_group = 0;
        }
        in_group++;
        t->clients[i].group = &o->groups[gi];
        t->clients[i].conns = &t->conns[i * t->nservers];
        for (unsigned s = 0; s < t->nservers; s++) {
            struct conn *c = &t->conns[i * t->nservers + s];
            c->server = s;
            c->cl = &t->clients[i];
            c->t = t;
            resp_parser_init(&c->parser);
            c->qcap = qcap;
            c->q = calloc(qcap, sizeof(*c->q));
            if (!c->q)
                return -1;
            struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
            if (epoll_ctl(t->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
                return -1;
        }
    }
    return 0;
}

static void teardown(struct tctx *t)
{
    unsigned total = t->nclients * t->nservers;
    if (t->conns) {
        for (unsigned i = 0; i < total; i++) {
            free(t->conns[i].q);
            free(t->conns[i].wbuf);
            bench_tls_free(&t->conns[i].tls);
            if (t->conns[i].fd >= 0)
                close(t->conns[i].fd);
        }
    }
    if (t->ep >= 0)
        close(t->ep);
    free(t->clients);
    free(t->conns);
    free(t->dirty);
    free(t->rbuf);
}

void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct tctx *t = malloc(sizeof(*t));
    stats_init(&w->preload);
    for (size_t g = 0; g < w->sh->o->group_count; g++)
        stats_init(&w->run[g]);
    /* the open loop sleeps for microseconds: ask for tight timer slack */
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
    int ok = t && setup(t, w) == 0;
    if (!ok) {
        snprintf(w->error, sizeof(w->error), "thread %u: out of memory or epoll failure", w->id);
        __atomic_store_n(&w->sh->failed, 1, __ATOMIC_RELAXED);
        __atomic_store_n(&w->sh->stop, 1, __ATOMIC_RELAXED);
    }
    if (ok && w->sh->o->preload)
        run_phase(t, 1);
    pthread_barrier_wait(&w->sh->barrier);
    if (ok && !__atomic_load_n(&w->sh->stop, __ATOMIC_RELAXED))
        run_phase(t, 0);
    if (t)
        teardown(t);
    free(t);
    __atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
    return NULL;
}
