/*
 * cli_top_keys.c: see cli_top_keys.h.  Speaks `watch fetchers` on sockets
 * of its own (libmnemo holds request/reply conversations, not streams);
 * knows nothing of the terminal.  The lines it reads are memcached's
 * (src/server/watch.c): "ts=... gid=... type=item_get key=K status=..."
 * with K uri-encoded, so a key is one word.
 */
#include "cli_top_keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli_auth.h"
#include "cli_stream.h"
#include "cli_top_frame.h"

enum { TOP_KEYS_SHOWN = 10, LINE_BUF = 8192 };

struct watch_conn {
    struct cli_stream s; /* s.fd < 0: not subscribed */
    size_t len;
    char buf[LINE_BUF]; /* a partial line waits here for the rest */
};

struct key_count {
    char *key;       /* NULL: a free slot */
    uint64_t count;
    size_t server;   /* where it was fetched last */
};

struct top_keys {
    const struct mnemo_client *c;
    const struct cli_tls *tls;
    const struct cli_auth *auth;
    int timeout_ms;
    size_t n;
    struct watch_conn *conns;
    struct key_count *table; /* open addressing, at most half full */
    size_t cap, used;
    struct key_count shown[TOP_KEYS_SHOWN]; /* the last window's ranking */
    size_t nshown;
    double window_s;
    int windows;     /* windows closed so far (none: nothing to show yet) */
    int failed;      /* out of memory in this window: counts are partial */
};

struct top_keys *top_keys_create(const struct mnemo_client *c, const struct cli_tls *tls,
                                 const struct cli_auth *auth, int timeout_ms)
{
    struct top_keys *k = calloc(1, sizeof(*k));
    if (k == NULL)
        return NULL;
    k->c = c;
    k->tls = tls;
    k->auth = auth;
    k->timeout_ms = timeout_ms;
    k->n = mnemo_server_count(c);
    k->conns = calloc(k->n, sizeof(*k->conns));
    k->cap = 1024;
    k->table = calloc(k->cap, sizeof(*k->table));
    if (k->conns == NULL || k->table == NULL) {
        free(k->conns);
        free(k->table);
        free(k);
        return NULL;
    }
    for (size_t i = 0; i < k->n; i++)
        k->conns[i].s.fd = -1;
    return k;
}

static void hang_up(struct top_keys *k)
{
    for (size_t i = 0; i < k->n; i++) {
        if (k->conns[i].s.fd >= 0)
            cli_stream_close(&k->conns[i].s);
        k->conns[i].len = 0;
    }
}

static void forget_counts(struct top_keys *k)
{
    for (size_t i = 0; i < k->cap; i++) {
        free(k->table[i].key);
        k->table[i].key = NULL;
    }
    k->used = 0;
    k->failed = 0;
}

static void forget_shown(struct top_keys *k)
{
    for (size_t i = 0; i < k->nshown; i++)
        free(k->shown[i].key);
    k->nshown = 0;
}

void top_keys_destroy(struct top_keys **kp)
{
    struct top_keys *k = kp ? *kp : NULL;
    if (k == NULL)
        return;
    hang_up(k);
    forget_counts(k);
    forget_shown(k);
    free(k->table);
    free(k->conns);
    free(k);
    *kp = NULL;
}

/* FNV-1a: keys are short and this table lives for one window. */
static size_t hash(const char *s, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return (size_t)h;
}

static struct key_count *slot(struct key_count *table, size_t cap, const char *key, size_t n)
{
    size_t i = hash(key, n) & (cap - 1);
    while (table[i].key != NULL && !(strncmp(table[i].key, key, n) == 0 && table[i].key[n] == '\0'))
        i = (i + 1) & (cap - 1);
    return &table[i];
}

static int grow(struct top_keys *k)
{
    size_t cap = k->cap * 2;
    struct key_count *t = calloc(cap, sizeof(*t));
    if (t == NULL)
        return -1;
    for (size_t i = 0; i < k->cap; i++)
        if (k->table[i].key != NULL)
            *slot(t, cap, k->table[i].key, strlen(k->table[i].key)) = k->table[i];
    free(k->table);
    k->table = t;
    k->cap = cap;
    return 0;
}

static void count(struct top_keys *k, const char *key, size_t n, size_t server)
{
    if (k->used * 2 >= k->cap && grow(k) != 0) {
        k->failed = 1;
        return;
    }
    struct key_count *e = slot(k->table, k->cap, key, n);
    if (e->key == NULL) {
        e->key = strndup(key, n);
        if (e->key == NULL) {
            k->failed = 1;
            return;
        }
        k->used++;
    }
    e->count++;
    e->server = server;
}

/* One line of the stream; anything but a fetch (the subscription's OK)
 * is skipped. */
static void take_line(struct top_keys *k, const char *line, size_t n, size_t server)
{
    static const char get[] = " type=item_get key=";
    const char *end = line + n;
    const char *p = memmem(line, n, get, sizeof(get) - 1);
    if (p == NULL)
        return;
    p += sizeof(get) - 1;
    const char *sp = memchr(p, ' ', (size_t)(end - p));
    count(k, p, (size_t)((sp ? sp : end) - p), server);
}

/* Subscribe server i: connect, authenticate, "watch fetchers", its OK. */
static int subscribe(struct top_keys *k, size_t i)
{
    static const char cmd[] = "watch fetchers\r\n";
    char ok[4], err[256];
    size_t got = 0;
    struct cli_stream *s = &k->conns[i].s;
    if (cli_stream_open(s, mnemo_server_name(k->c, i), k->timeout_ms, k->timeout_ms, k->tls,
                        k->auth, err, sizeof(err)) != 0)
        return -1;
    if (cli_stream_send(s, cmd, sizeof(cmd) - 1) != 0)
        got = sizeof(ok) + 1;
    while (got < sizeof(ok)) {
        ssize_t r = cli_stream_recv(s, ok + got, sizeof(ok) - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    /* from here on read as poll announces: never wait in a read */
    if (got != sizeof(ok) || memcmp(ok, "OK\r\n", 4) != 0 ||
        fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) | O_NONBLOCK) != 0) {
        cli_stream_close(s);
        return -1;
    }
    k->conns[i].len = 0;
    return 0;
}

void top_keys_start(struct top_keys *k)
{
    hang_up(k);
    forget_counts(k);
    for (size_t i = 0; i < k->n; i++)
        subscribe(k, i); /* one that fails shows no keys this window, no more */
}

size_t top_keys_pollfds(struct top_keys *k, struct pollfd *fds, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < k->n && n < max; i++) {
        if (k->conns[i].s.fd < 0)
            continue;
        fds[n].fd = k->conns[i].s.fd;
        fds[n].events = POLLIN;
        fds[n].revents = 0;
        n++;
    }
    return n;
}

static void read_conn(struct top_keys *k, size_t server)
{
    struct watch_conn *w = &k->conns[server];
    ssize_t r = cli_stream_recv(&w->s, w->buf + w->len, sizeof(w->buf) - w->len);
    if (r <= 0) {
        if (r == 0 || (errno != EAGAIN && errno != EINTR))
            cli_stream_close(&w->s);
        return;
    }
    w->len += (size_t)r;
    char *p = w->buf, *end = w->buf + w->len, *nl;
    while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        take_line(k, p, (size_t)(nl - p), server);
        p = nl + 1;
    }
    w->len = (size_t)(end - p);
    if (w->len == sizeof(w->buf)) /* no line is this long: drop it */
        w->len = 0;
    memmove(w->buf, p, w->len);
    /* TLS: decrypted lines poll will not announce are taken now */
    if (cli_stream_pending(&w->s) > 0)
        read_conn(k, server);
}

void top_keys_read(struct top_keys *k, const struct pollfd *fds, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        if (!(fds[j].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        for (size_t i = 0; i < k->n; i++)
            if (k->conns[i].s.fd == fds[j].fd)
                read_conn(k, i);
    }
}

void top_keys_stop(struct top_keys *k, double window_s)
{
    hang_up(k); /* the server stops formatting lines once it sees the close */
    forget_shown(k);
    k->window_s = window_s;
    k->windows++;
    /* The 10 largest counts, by insertion into a sorted array. */
    for (size_t i = 0; i < k->cap; i++) {
        struct key_count *e = &k->table[i];
        if (e->key == NULL)
            continue;
        size_t at = k->nshown;
        while (at > 0 && k->shown[at - 1].count < e->count)
            at--;
        if (at >= TOP_KEYS_SHOWN)
            continue;
        if (k->nshown == TOP_KEYS_SHOWN)
            free(k->shown[--k->nshown].key);
        memmove(&k->shown[at + 1], &k->shown[at], (k->nshown - at) * sizeof(k->shown[0]));
        k->shown[at] = *e;
        k->shown[at].key = strdup(e->key);
        if (k->shown[at].key == NULL) {
            memmove(&k->shown[at], &k->shown[at + 1], (k->nshown - at) * sizeof(k->shown[0]));
            continue;
        }
        k->nshown++;
    }
    forget_counts(k);
}

void top_keys_write(const struct top_keys *k, FILE *out, double sample_s, double interval_s,
                    const char *eol, int width)
{
    char line[1024];

    if (k->windows == 0) {
        snprintf(line, sizeof(line), "hot keys: sampling");
        top_line_write(out, line, eol, width);
        return;
    }
    snprintf(line, sizeof(line),
             "hot keys: fetches/s seen by watch fetchers in %.0f ms of every %.1f s%s",
             sample_s * 1000, interval_s, k->nshown ? "" : ": none");
    top_line_write(out, line, eol, width);
    for (size_t i = 0; i < k->nshown; i++) {
        snprintf(line, sizeof(line), "  %9.0f  %-21s %s",
                 k->window_s > 0 ? (double)k->shown[i].count / k->window_s : 0.0,
                 mnemo_server_name(k->c, k->shown[i].server), k->shown[i].key);
        top_line_write(out, line, eol, width);
    }
}
