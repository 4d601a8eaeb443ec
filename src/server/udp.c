/*
 * udp.c: see udp.h. A datagram is handled completely in one callback: its
 * commands run through the same parser and exec as a TCP connection's, the
 * replies are queued as usual and then cut into framed datagrams.
 *
 *   datagram ─▶ frame header ─▶ text_parse   ─▶ exec ─▶ outq ─▶ 1400-byte frames ─▶ sendmsg
 *                               binary_parse
 *
 * As in memcached, each datagram's first payload byte picks its dialect
 * (0x80: binary), and a request spread over several datagrams (a frame
 * header whose count is not 1) is dropped without a reply.
 */
#include "server/udp.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/outq.h"
#include "net/event.h"
#include "net/listen.h"
#include "proto/binary.h"
#include "proto/text.h"
#include "server/exec.h"
#include "server/reply.h"
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
    bool noreply;
    enum request_proto dialect; /* of the datagram being answered */
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

static void udp_reply(void *sink, const struct response *rsp, struct item *it)
{
    struct udp_socket *u = sink;
    if (u->noreply) {
        if (it != NULL)
            store_release(u->srv->store, &it);
        return;
    }
    /* Out of memory here only loses this datagram's reply: UDP may drop. */
    reply_append(&u->out, rsp, it, u->dialect, u->srv->store);
}

static void reply_error(struct exec_ctx *x, enum response_kind kind, const char *msg)
{
    struct response rsp = {.kind = kind, .msg = msg, .nmsg = strlen(msg)};
    x->req = NULL;
    exec_emit(x, &rsp, NULL);
}

/* Run every command in payload[0..len). A storage command's data block must
 * be in the same datagram. */
static void run_payload(struct udp_socket *u, const char *payload, size_t len)
{
    struct exec_ctx x = {.srv = u->srv, .stats = &u->w->stats, .reply = udp_reply, .sink = u};
    size_t off = 0;
    while (off < len) {
        struct request req;
        size_t consumed = 0;
        enum parse_status ps = text_parse(&req, payload + off, len - off, &consumed);
        if (ps == PARSE_AGAIN)
            return; /* an unterminated last line: nothing more to run */
        u->noreply = req.noreply;
        if (ps == PARSE_ERROR) {
            enum exec_next next = exec_parse_error(&x, &req);
            u->noreply = false;
            if (next == EXEC_CLOSE)
                return;
            off += consumed;
            if (next == EXEC_SWALLOW)
                off += (size_t)req.vlen + 2 < len - off ? (size_t)req.vlen + 2 : len - off;
            continue;
        }
        off += consumed;
        if (request_is_storage(req.cmd)) {
            size_t block = (size_t)req.vlen + 2;
            struct item *it = NULL;
            if (exec_store_begin(&x, &req, &it) == EXEC_READ_DATA) {
                if (len - off < block) {
                    store_abort(u->srv->store, &it);
                    u->noreply = false;
                    reply_error(&x, RSP_CLIENT_ERROR, "bad data chunk");
                    return;
                }
                memcpy(item_data(it), payload + off, block);
                exec_store_finish(&x, &req, &it);
            }
            off += block < len - off ? block : len - off;
            u->noreply = false;
            continue;
        }
        enum exec_next next = exec_request(&x, &req);
        u->noreply = false;
        if (next == EXEC_CLOSE)
            return;
    }
}

/* Run every binary request in payload[0..len): a value must be in the same
 * datagram. A malformed packet ends the datagram, as it ends a connection. */
static void run_binary_payload(struct udp_socket *u, const char *payload, size_t len)
{
    struct exec_ctx x = {.srv = u->srv, .stats = &u->w->stats, .reply = udp_reply, .sink = u};
    size_t off = 0;
    while (off < len) {
        struct request req;
        size_t consumed = 0;
        enum parse_status ps = binary_parse(&req, payload + off, len - off, &consumed);
        if (ps == PARSE_AGAIN)
            return; /* a truncated last packet: nothing more to run */
        if (ps == PARSE_ERROR) {
            exec_parse_error(&x, &req);
            return;
        }
        off += consumed;
        size_t body = req.vlen < len - off ? req.vlen : len - off;
        if (request_is_storage(req.cmd)) {
            struct item *it = NULL;
            if (exec_store_begin(&x, &req, &it) == EXEC_READ_DATA) {
                if (body < req.vlen) {
                    store_abort(u->srv->store, &it);
                    return; /* the value is cut short: drop it, as a closed stream would */
                }
                /* item memory keeps a "\r\n" after every value */
                memcpy(item_data(it), payload + off, req.vlen);
                memcpy(item_data(it) + req.vlen, "\r\n", 2);
                exec_store_finish(&x, &req, &it);
            }
            off += body;
            continue;
        }
        enum exec_next next = exec_request(&x, &req);
        off += body; /* a body the command does not use (unknown opcode, SASL data) */
        if (next == EXEC_CLOSE)
            return;
    }
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
        const char *payload = u->in + UDP_HEADER_LEN;
        size_t plen_in = (size_t)n - UDP_HEADER_LEN;
        if ((unsigned char)payload[0] == BINARY_MAGIC_REQ) {
            u->dialect = REQ_PROTO_BINARY;
            run_binary_payload(u, payload, plen_in);
        } else {
            u->dialect = REQ_PROTO_TEXT;
            run_payload(u, payload, plen_in);
        }
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
        outq_free(&p->socks[i]->out);
        free(p->socks[i]);
    }
    free(p);
    *pp = NULL;
}
