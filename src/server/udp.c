/*
 * udp.c: see udp.h. A datagram is handled completely in one callback: its
 * commands run through the same request loop as a TCP connection's
 * (server/reqloop.h), the replies are queued as usual and then cut into
 * framed datagrams.
 *
 *   datagram ─▶ frame header ─▶ reqloop (parse ─▶ exec ─▶ outq) ─▶ 1400-byte frames ─▶ sendmsg
 *
 * As in memcached, each datagram's first payload byte picks its dialect
 * (0x80: binary), and a request spread over several datagrams (a frame
 * header whose count is not 1) is dropped without a reply. A data block
 * must be in the same datagram as its command.
 */
#include "server/udp.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/outq.h"
#include "common/rbuf.h"
#include "net/event.h"
#include "net/listen.h"
#include "persist/persist.h"
#include "repl/repl.h"
#include "server/replication.h"
#include "server/reqloop.h"
#include "server/server.h"
#include "server/stats.h"
#include "server/worker.h"
#include "store/store.h"

#define DATAGRAM_IN_MAX 65536
#define DATAGRAMS_PER_EVENT 64

struct udp_socket {
    struct event_handler ev;
    struct server *srv;
    struct worker *w;
    struct outq out;
    struct reqloop rl; /* reset per datagram */
    char in[DATAGRAM_IN_MAX];
};

struct udp_port {
    struct udp_socket *socks[LISTEN_MAX_FDS];
    int n;
};

static void release_item(void *ctx, void *ref)
{
    struct item *it = ref;
    store_release(ctx, &it);
}

/* Run every request in payload[0..len): the loop stops at the end of the
 * payload, a request cut short (an unterminated line, a truncated packet)
 * going unanswered, or at a close (quit, a fatal parse error). */
static void run_payload(struct udp_socket *u, char *payload, size_t len)
{
    /* The loop reads the datagram where it landed, through a buffer view
     * of it (never grown or freed). */
    struct rbuf in = {.data = payload, .cap = len, .start = 0, .end = len};
    int budget = INT_MAX;
    reqloop_reset(&u->rl);
    reqloop_run(&u->rl, &in, SIZE_MAX, &budget);
    reqloop_end_input(&u->rl);
}

/* Copy the queued replies out (UDP has to copy anyway) and release them. */
static char *flatten(struct outq *out, size_t *len)
{
    size_t total = outq_pending(out);
    char *flat = total > 0 ? malloc(total) : NULL;
    size_t used = 0;
    struct iovec iov[64];
    while (flat != NULL && used < total) {
        size_t n = outq_iov(out, iov, 64), chunk = 0;
        for (size_t i = 0; i < n; i++) {
            memcpy(flat + used + chunk, iov[i].iov_base, iov[i].iov_len);
            chunk += iov[i].iov_len;
        }
        outq_consume(out, chunk);
        used += chunk;
    }
    outq_consume(out, outq_pending(out)); /* on malloc failure: drop the reply */
    *len = flat != NULL ? total : 0;
    return flat;
}

/* Send the queued replies as framed datagrams: request id echoed, sequence
 * number, total count, reserved zero (protocol.txt, "UDP protocol"). */
static void send_frames(struct udp_socket *u, const unsigned char *hdr_in, const struct sockaddr *peer,
                        socklen_t plen)
{
    const size_t room = UDP_DATAGRAM_MAX - UDP_HEADER_LEN;
    size_t len;
    char *flat = flatten(&u->out, &len);
    size_t frames = (len + room - 1) / room;
    if (flat == NULL || frames > 0xffff) {
        free(flat);
        return;
    }
    unsigned char frame[UDP_DATAGRAM_MAX];
    for (size_t f = 0; f < frames; f++) {
        size_t off = f * room;
        size_t n = len - off < room ? len - off : room;
        frame[0] = hdr_in[0];
        frame[1] = hdr_in[1];
        frame[2] = (unsigned char)(f >> 8);
        frame[3] = (unsigned char)f;
        frame[4] = (unsigned char)(frames >> 8);
        frame[5] = (unsigned char)frames;
        frame[6] = frame[7] = 0;
        memcpy(frame + UDP_HEADER_LEN, flat + off, n);
        ssize_t sent = sendto(u->ev.fd, frame, UDP_HEADER_LEN + n, 0, peer, plen);
        if (sent > 0)
            STATS_ADD(&u->w->stats, bytes_written, (uint64_t)sent);
    }
    free(flat);
}

/* The datagram's changes are in the append log (and, with appendfsync
 * always, fsynced: a datagram cannot be held back the way a connection's
 * replies are, so this thread waits). False: they could not be logged. */
static bool logged(struct persist *p)
{
    if (persist_commit(p) != 0)
        return false;
    return !persist_holds_replies(p) || persist_wait_durable(p, persist_thread_lsn()) == 0;
}

/* -o min_replica_acks: the datagram's changes reached that many replicas
 * (this thread waits, as for the log). */
static bool replicated(struct server *srv)
{
    int n = srv->cfg.min_replica_acks;
    return n <= 0 || repl_wait_acked(srv->repl, n, repl_thread_offset(), srv->cfg.min_replica_timeout) == 0;
}

/* The replicas did not acknowledge in time: the datagram's replies give
 * way to the error (as on a connection, session.c). */
static void replace_by_timeout_error(struct udp_socket *u)
{
    char line[160];
    size_t n = replication_timeout_line(&u->w->srv->cfg, line, sizeof(line));
    outq_consume(&u->out, outq_pending(&u->out));
    (void)outq_append(&u->out, line, n);
}

static void on_datagram(struct event_handler *h, uint32_t events)
{
    struct udp_socket *u = h->arg;
    for (int i = 0; i < DATAGRAMS_PER_EVENT; i++) {
        struct sockaddr_storage peer;
        socklen_t plen = sizeof(peer);
        ssize_t n = recvfrom(h->fd, u->in, sizeof(u->in), 0, (struct sockaddr *)&peer, &plen);
        if (n < 0)
            return; /* EAGAIN: drained */
        STATS_ADD(&u->w->stats, bytes_read, (uint64_t)n);
        if (n < UDP_HEADER_LEN)
            continue; /* not even a frame header: nothing to answer to */
        const unsigned char *hdr = (const unsigned char *)u->in;
        unsigned count = (unsigned)hdr[4] << 8 | hdr[5];
        /* memcached drops a request of several datagrams, and one with no
         * payload, without a word; it does not look at the sequence number. */
        if (count != 1 || n == UDP_HEADER_LEN)
            continue;
        uint64_t changes = persist_thread_changes();
        uint64_t offset = repl_thread_offset();
        run_payload(u, u->in + UDP_HEADER_LEN, (size_t)n - UDP_HEADER_LEN);
        if (u->w->srv->persist != NULL && persist_thread_changes() != changes &&
            !logged(u->w->srv->persist)) {
            outq_consume(&u->out, outq_pending(&u->out)); /* not acknowledged */
            continue;
        }
        if (repl_thread_offset() != offset && !replicated(u->w->srv))
            replace_by_timeout_error(u);
        send_frames(u, hdr, (struct sockaddr *)&peer, plen);
    }
}

int udp_start(struct server *srv, struct udp_port **out, char *err, size_t errlen)
{
    struct udp_port *p = calloc(1, sizeof(*p));
    int fds[LISTEN_MAX_FDS];
    if (p == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int n = listen_udp(srv->cfg.listen, srv->cfg.udpport, fds, LISTEN_MAX_FDS, err, errlen);
    if (n < 0) {
        free(p);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        struct udp_socket *u = calloc(1, sizeof(*u));
        struct worker *w = srv->workers[i % srv->nworkers];
        if (u == NULL) {
            close(fds[i]);
            continue;
        }
        u->srv = srv;
        u->w = w;
        outq_init(&u->out, release_item, srv->store);
        /* UDP may drop: a reply that finds no memory is lost, not fatal */
        reqloop_init(&u->rl, srv, &w->stats, &u->out, NULL, 0, CONFIG_PROTO_AUTO, true);
        if (event_add(w->loop, &u->ev, fds[i], EVENT_READ, on_datagram, u) != 0) {
            close(fds[i]);
            free(u);
            continue;
        }
        p->socks[p->n++] = u;
    }
    *out = p;
    return 0;
}

void udp_stop(struct udp_port **pp)
{
    struct udp_port *p = *pp;
    if (p == NULL)
        return;
    for (int i = 0; i < p->n; i++) {
        close(p->socks[i]->ev.fd);
        reqloop_free(&p->socks[i]->rl);
        outq_free(&p->socks[i]->out);
        free(p->socks[i]);
    }
    free(p);
    *pp = NULL;
}
