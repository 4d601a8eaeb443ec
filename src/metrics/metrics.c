/*
 * metrics.c: see metrics.h. One thread, one poll() over a wake-up eventfd,
 * the listening sockets and at most METRICS_MAX_CONNS connections (and a
 * few over the bound being told 503); each connection reads its head, is
 * answered, and closes:
 *
 *   accept ─▶ READ (head into a fixed buffer; deadline: connect + timeout)
 *               │ http_judge: 200 (the collector's text), 4xx; 408 at the
 *               │ deadline; 503 at once over the bound
 *               ▼
 *             WRITE (non-blocking sends; deadline: timeout again)
 *               │ all sent: shutdown(SHUT_WR)
 *               ▼
 *             LINGER (read and drop what the client still sends, so the
 *                     close sends no RST that could destroy the answer
 *                     before the client read it; at most METRICS_LINGER_MS)
 *
 * Everything here belongs to the metrics thread after metrics_start, so
 * nothing needs a lock; its own counters are plain integers.
 */
#include "metrics/metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "metrics/expo.h"
#include "metrics/http.h"
#include "net/listen.h"

#define METRICS_LINGER_MS 1000

/* Places for connections: METRICS_MAX_CONNS served, and a few more for
 * those over the bound, which get their 503 through the same write and
 * linger (a close with their request unread would be a reset that can
 * destroy the answer before it is read). */
#define CONN_SLOTS (METRICS_MAX_CONNS + 8)

enum mconn_state { MC_FREE, MC_READ, MC_WRITE, MC_LINGER };

struct mconn {
    enum mconn_state state;
    int fd;
    int64_t deadline; /* monotonic ms */
    size_t len;
    char head[METRICS_HEAD_MAX];
    char *out; /* the whole response, header and body */
    size_t nout, sent;
};

/* The statuses the endpoint answers, for its own counter. */
static const int codes[] = {200, 400, 404, 405, 408, 431, 500, 503};
#define NCODES (sizeof(codes) / sizeof(codes[0]))

struct metrics {
    struct metrics_config cfg;
    int lfds[LISTEN_MAX_FDS];
    int nlfds;
    int wakefd;
    pthread_t thread;
    bool started;
    struct expo *expo;
    struct mconn conns[CONN_SLOTS];
    uint64_t answered[NCODES];
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *reason(int code)
{
    switch (code) {
    case 408:
        return "Request Timeout";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return http_reason((enum http_verdict)code);
    }
}

static void count(struct metrics *m, int code)
{
    for (size_t i = 0; i < NCODES; i++) {
        if (codes[i] == code)
            m->answered[i]++;
    }
}

/* The endpoint's own figures, after the collector's. */
static void collect_own(struct metrics *m)
{
    char code[8];
    const char *labels[] = {"code", code, NULL};
    expo_family(m->expo, "mnemo_metrics_http_responses_total", EXPO_COUNTER,
                "Responses of the metrics endpoint by HTTP status (this one not yet counted).");
    for (size_t i = 0; i < NCODES; i++) {
        snprintf(code, sizeof(code), "%d", codes[i]);
        expo_u64(m->expo, "mnemo_metrics_http_responses_total", labels, m->answered[i]);
    }
}

/* A whole response (status line, headers, body) in one allocation, or NULL. */
static char *compose(int code, const char *body, size_t nbody, size_t *nout)
{
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\n"
                     "Content-Type: %s\r\n"
                     "Content-Length: %zu\r\n"
                     "%s"
                     "Connection: close\r\n\r\n",
                     code, reason(code),
                     code == 200 ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8",
                     nbody, code == 405 ? "Allow: GET\r\n" : "");
    char *out = malloc((size_t)n + nbody);
    if (out == NULL)
        return NULL;
    memcpy(out, head, (size_t)n);
    memcpy(out + n, body, nbody);
    *nout = (size_t)n + nbody;
    return out;
}

static void conn_close(struct mconn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->out);
    c->out = NULL;
    c->fd = -1;
    c->state = MC_FREE;
}

/* Start answering c with code: the collector's text for a 200, the
 * reason phrase otherwise. */
static void answer(struct metrics *m, struct mconn *c, int code)
{
    const char *body;
    size_t nbody;
    char text[64];
    if (code == 200) {
        expo_reset(m->expo);
        m->cfg.collect(m->expo, m->cfg.arg);
        collect_own(m);
        if (!expo_ok(m->expo))
            code = 500;
    }
    if (code == 200) {
        body = expo_data(m->expo);
        nbody = expo_len(m->expo);
    } else {
        nbody = (size_t)snprintf(text, sizeof(text), "%d %s\n", code, reason(code));
        body = text;
    }
    count(m, code);
    c->out = compose(code, body, nbody, &c->nout);
    if (c->out == NULL) {
        conn_close(c);
        return;
    }
    c->sent = 0;
    c->state = MC_WRITE;
    c->deadline = now_ms() + METRICS_TIMEOUT_MS;
}

static void on_readable(struct metrics *m, struct mconn *c)
{
    if (c->state == MC_LINGER) {
        char drop[4096];
        ssize_t n = recv(c->fd, drop, sizeof(drop), MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            conn_close(c);
        return;
    }
    ssize_t n = recv(c->fd, c->head + c->len, sizeof(c->head) - c->len, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        conn_close(c);
        return;
    }
    if (n < 0)
        return;
    c->len += (size_t)n;
    enum http_verdict v = http_judge(c->head, c->len, sizeof(c->head));
    if (v != HTTP_INCOMPLETE)
        answer(m, c, (int)v);
}

static void on_writable(struct mconn *c)
{
    while (c->sent < c->nout) {
        ssize_t n = send(c->fd, c->out + c->sent, c->nout - c->sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return;
            conn_close(c);
            return;
        }
        c->sent += (size_t)n;
    }
    free(c->out);
    c->out = NULL;
    shutdown(c->fd, SHUT_WR);
    c->state = MC_LINGER;
    c->deadline = now_ms() + METRICS_LINGER_MS;
}

static void on_accept(struct metrics *m, int lfd)
{
    for (int i = 0; i < CONN_SLOTS; i++) {
        int fd = listen_accept(lfd);
        if (fd < 0)
            return;
        struct mconn *c = NULL;
        int busy = 0;
        for (int j = 0; j < CONN_SLOTS; j++) {
            if (m->conns[j].state != MC_FREE)
                busy++;
            else if (c == NULL)
                c = &m->conns[j];
        }
        if (c == NULL) {
            close(fd); /* even the spare places are taken */
            continue;
        }
        c->fd = fd;
        c->len = 0;
        c->state = MC_READ;
        c->deadline = now_ms() + METRICS_TIMEOUT_MS;
        if (busy >= METRICS_MAX_CONNS)
            answer(m, c, 503);
    }
}

/* Cut off what is past its deadline; the poll timeout until the next one. */
static int expire(struct metrics *m)
{
    int64_t now = now_ms(), next = -1;
    for (int i = 0; i < CONN_SLOTS; i++) {
        struct mconn *c = &m->conns[i];
        if (c->state == MC_FREE)
            continue;
        if (c->deadline <= now) {
            if (c->state == MC_READ) {
                answer(m, c, 408); /* then sent and closed as any answer */
                if (c->state == MC_WRITE)
                    on_writable(c);
                if (c->state != MC_FREE && (next < 0 || c->deadline - now < next))
                    next = c->deadline - now;
            } else {
                conn_close(c);
            }
            continue;
        }
        if (next < 0 || c->deadline - now < next)
            next = c->deadline - now;
    }
    return (int)next;
}

static void *metrics_main(void *arg)
{
    struct metrics *m = arg;
    struct pollfd pfd[1 + LISTEN_MAX_FDS + CONN_SLOTS];
    struct mconn *owner[1 + LISTEN_MAX_FDS + CONN_SLOTS];
    for (;;) {
        int timeout = expire(m);
        int n = 0;
        pfd[n++] = (struct pollfd){.fd = m->wakefd, .events = POLLIN};
        for (int i = 0; i < m->nlfds; i++) {
            owner[n] = NULL;
            pfd[n++] = (struct pollfd){.fd = m->lfds[i], .events = POLLIN};
        }
        for (int i = 0; i < CONN_SLOTS; i++) {
            struct mconn *c = &m->conns[i];
            if (c->state == MC_FREE)
                continue;
            owner[n] = c;
            pfd[n++] = (struct pollfd){.fd = c->fd, .events = c->state == MC_WRITE ? POLLOUT : POLLIN};
        }
        if (poll(pfd, (nfds_t)n, timeout) < 0) {
            if (errno == EINTR)
                continue;
            log_error("metrics: poll: %s; the metrics endpoint stops", strerror(errno));
            break;
        }
        if (pfd[0].revents != 0)
            break; /* metrics_close */
        for (int i = 1; i < n; i++) {
            if (pfd[i].revents == 0)
                continue;
            if (i <= m->nlfds) {
                on_accept(m, pfd[i].fd);
                continue;
            }
            struct mconn *c = owner[i];
            if (c->state == MC_WRITE)
                on_writable(c);
            else
                on_readable(m, c);
            /* a response composed from the head just read goes out at once */
            if (c->state == MC_WRITE)
                on_writable(c);
        }
    }
    return NULL;
}

int metrics_open(const struct metrics_config *cfg, struct metrics **out, char *err, size_t errlen)
{
    struct metrics *m = calloc(1, sizeof(*m));
    if (m == NULL || (m->expo = expo_create()) == NULL) {
        free(m);
        snprintf(err, errlen, "metrics_port: out of memory");
        return -1;
    }
    m->cfg = *cfg;
    m->wakefd = -1;
    for (int i = 0; i < CONN_SLOTS; i++)
        m->conns[i].fd = -1;
    char why[400];
    m->nlfds = listen_tcp(cfg->hosts, cfg->port, 64, m->lfds, LISTEN_MAX_FDS, why, sizeof(why));
    if (m->nlfds < 0) {
        m->nlfds = 0;
        snprintf(err, errlen, "metrics_port: %s", why);
        metrics_close(&m);
        return -1;
    }
    m->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m->wakefd < 0) {
        snprintf(err, errlen, "metrics_port: eventfd: %s", strerror(errno));
        metrics_close(&m);
        return -1;
    }
    *out = m;
    return 0;
}

int metrics_start(struct metrics *m, char *err, size_t errlen)
{
    if (pthread_create(&m->thread, NULL, metrics_main, m) != 0) {
        snprintf(err, errlen, "cannot start the metrics thread");
        return -1;
    }
    m->started = true;
    return 0;
}

void metrics_close(struct metrics **mp)
{
    struct metrics *m = *mp;
    if (m == NULL)
        return;
    *mp = NULL;
    if (m->started) {
        uint64_t one = 1;
        ssize_t ignored = write(m->wakefd, &one, sizeof(one));
        (void)ignored;
        pthread_join(m->thread, NULL);
    }
    for (int i = 0; i < CONN_SLOTS; i++)
        conn_close(&m->conns[i]);
    for (int i = 0; i < m->nlfds; i++)
        close(m->lfds[i]);
    if (m->wakefd >= 0)
        close(m->wakefd);
    expo_free(&m->expo);
    free(m);
}
