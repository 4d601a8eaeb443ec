/*
 * watch.c: see watch.h.
 */
#include "server/watch.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "server/stream.h"

struct watcher {
    struct watcher *next;
    unsigned mask;
    struct stream *stream; /* the producers' reference */
};

void watch_hub_init(struct watch_hub *h)
{
    memset(h, 0, sizeof(*h));
    atomic_init(&h->mask, 0);
    atomic_init(&h->gid, 0);
    pthread_mutex_init(&h->lock, NULL);
}

void watch_hub_free(struct watch_hub *h)
{
    pthread_mutex_lock(&h->lock);
    while (h->list != NULL) {
        struct watcher *w = h->list;
        h->list = w->next;
        stream_finish(&w->stream);
        free(w);
    }
    h->count = 0;
    atomic_store(&h->mask, 0);
    pthread_mutex_unlock(&h->lock);
}

struct stream *watch_add(struct watch_hub *h, unsigned mask, struct event_loop *loop)
{
    struct watcher *w = calloc(1, sizeof(*w));
    struct stream *st = w != NULL ? stream_create_live(loop) : NULL;
    if (st == NULL) {
        free(w);
        return NULL;
    }
    stream_offer(st, "OK\r\n", 4);
    w->mask = mask;
    w->stream = st; /* the producers' reference; st is also the consumer's */
    pthread_mutex_lock(&h->lock);
    w->next = h->list;
    h->list = w;
    h->count++;
    atomic_fetch_or(&h->mask, mask);
    pthread_mutex_unlock(&h->lock);
    return st;
}

void watch_counts(struct watch_hub *h, uint64_t *watchers, uint64_t *sent, uint64_t *skipped)
{
    pthread_mutex_lock(&h->lock);
    *watchers = h->count;
    *sent = h->sent;
    *skipped = h->skipped;
    pthread_mutex_unlock(&h->lock);
}

/* Offer a line to every watcher of kind; drop watchers whose connection
 * has gone and recompute the mask. */
static void publish(struct watch_hub *h, unsigned kind, const char *line, size_t n)
{
    unsigned mask = 0;
    pthread_mutex_lock(&h->lock);
    for (struct watcher **pw = &h->list; *pw != NULL;) {
        struct watcher *w = *pw;
        int rc = 0;
        if (w->mask & kind) {
            rc = stream_offer(w->stream, line, n);
            if (rc == 0)
                h->sent++;
            else if (rc == 1)
                h->skipped++;
        }
        if (rc < 0) {
            *pw = w->next;
            h->count--;
            stream_finish(&w->stream);
            free(w);
            continue;
        }
        mask |= w->mask;
        pw = &w->next;
    }
    atomic_store(&h->mask, mask);
    pthread_mutex_unlock(&h->lock);
}

/* memcached's uriencode (as metadump's keys) */
static size_t uriencode(char *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    char *p = out;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            *p++ = (char)c;
        } else {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        }
    }
    *p = '\0';
    return (size_t)(p - out);
}

/* "ts=<sec>.<usec> gid=<n> " — usec unpadded, as memcached's "%d" */
static int head(struct watch_hub *h, char *buf, size_t cap)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    uint64_t gid = atomic_fetch_add(&h->gid, 1) + 1;
    return snprintf(buf, cap, "ts=%lld.%d gid=%" PRIu64 " ", (long long)tv.tv_sec,
                    (int)tv.tv_usec, gid);
}

#define WATCH_LINE_MAX 1024

void watch_fetch(struct watch_hub *h, const char *key, size_t nkey, bool found, uint32_t size,
                 int fd)
{
    char line[WATCH_LINE_MAX], k[256 * 3 + 1];
    uriencode(k, key, nkey < 250 ? nkey : 250);
    int n = head(h, line, sizeof(line));
    n += snprintf(line + n, sizeof(line) - (size_t)n,
                  "type=item_get key=%s status=%s clsid=%u cfd=%d size=%" PRIu32 "\n", k,
                  found ? "found" : "not_found", found ? 1u : 0u, fd, found ? size : 0);
    publish(h, ADMIN_WATCH_FETCHERS, line, (size_t)n);
}

void watch_store(struct watch_hub *h, const char *key, size_t nkey, const char *status,
                 const char *cmd, uint32_t ttl, uint32_t size, int fd)
{
    char line[WATCH_LINE_MAX], k[256 * 3 + 1];
    uriencode(k, key, nkey < 250 ? nkey : 250);
    int n = head(h, line, sizeof(line));
    n += snprintf(line + n, sizeof(line) - (size_t)n,
                  "type=item_store key=%s status=%s cmd=%s ttl=%" PRIu32 " clsid=1 cfd=%d size=%" PRIu32
                  "\n",
                  k, status, cmd, ttl, fd, size);
    publish(h, ADMIN_WATCH_MUTATIONS, line, (size_t)n);
}

void watch_delete(struct watch_hub *h, const char *key, size_t nkey, const char *cmd,
                  uint32_t size)
{
    char line[WATCH_LINE_MAX], k[256 * 3 + 1];
    uriencode(k, key, nkey < 250 ? nkey : 250);
    int n = head(h, line, sizeof(line));
    n += snprintf(line + n, sizeof(line) - (size_t)n,
                  "type=deleted key=%s cmd=%s clsid=1 size=%" PRIu32 "\n", k, cmd, size);
    publish(h, ADMIN_WATCH_DELETIONS, line, (size_t)n);
}

void watch_conn(struct watch_hub *h, const char *rip, unsigned rport, const char *transport,
                const char *reason, int fd)
{
    char line[WATCH_LINE_MAX];
    int n = head(h, line, sizeof(line));
    if (reason == NULL)
        n += snprintf(line + n, sizeof(line) - (size_t)n,
                      "type=conn_new rip=%s rport=%u transport=%s cfd=%d\n", rip, rport,
                      transport, fd);
    else
        n += snprintf(line + n, sizeof(line) - (size_t)n,
                      "type=conn_close rip=%s rport=%u transport=%s reason=%s cfd=%d\n", rip,
                      rport, transport, reason, fd);
    publish(h, ADMIN_WATCH_CONNEVENTS, line, (size_t)n);
}
