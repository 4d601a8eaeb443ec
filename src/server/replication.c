/*
 * replication.c: see replication.h.
 */
#include "server/replication.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/hostport.h"
#include "repl/repl.h"
#include "server/server.h"
#include "server/stream.h"

static void reply_line(struct exec_ctx *x, enum response_kind kind, enum response_error e,
                       const char *msg)
{
    exec_reply_message(x, kind, e, msg);
}

/* ---- the feed's output: a stream into this connection ---- */

static int io_write(void *arg, const char *data, size_t n)
{
    return stream_write(arg, data, n);
}

static void io_flush(void *arg)
{
    (void)stream_flush(arg);
}

static bool io_gone(void *arg)
{
    return stream_gone(arg);
}

static void io_finish(void *arg)
{
    struct stream *st = arg;
    stream_finish_close(&st);
}

/* A line from a replica on its feed's connection: "repl_ack OFFSET". */
static void on_replica_line(void *arg, uint64_t feed, const char *line, size_t n)
{
    static const char word[] = "repl_ack ";
    char digits[24];
    size_t w = sizeof(word) - 1;
    if (n <= w || n - w >= sizeof(digits) || memcmp(line, word, w) != 0)
        return; /* nothing else is expected: ignored */
    memcpy(digits, line + w, n - w);
    digits[n - w] = '\0';
    char *end;
    uint64_t offset = strtoull(digits, &end, 10);
    if (*end == '\0' && digits[0] >= '0' && digits[0] <= '9')
        repl_feed_ack(arg, feed, offset);
}

static void peer_name(int fd, char *buf, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char host[INET6_ADDRSTRLEN] = "unknown";
    unsigned port = 0;
    if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *in = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
            port = ntohs(in->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
            port = ntohs(in6->sin6_port);
        } else {
            snprintf(host, sizeof(host), "unix");
        }
    }
    snprintf(buf, cap, "%s:%u", host, port);
}

/* "repl_sync ID OFFSET" */
static enum exec_next sync_command(struct exec_ctx *x, const struct request *req)
{
    char id[REPL_ID_LEN + 2], extra[2];
    char args[160];
    uint64_t offset;
    if (x->loop == NULL) { /* UDP: no connection to stream on */
        reply_line(x, RSP_SERVER_ERROR, RSP_EOK, "replication needs a stream connection");
        return EXEC_CONTINUE;
    }
    if (req->narg >= sizeof(args)) {
        reply_line(x, RSP_CLIENT_ERROR, RSP_EFORMAT, "bad command line format");
        return EXEC_CONTINUE;
    }
    if (req->narg > 0)
        memcpy(args, req->arg, req->narg);
    args[req->narg] = '\0';
    if (sscanf(args, "%41s %" SCNu64 " %1s", id, &offset, extra) != 2 ||
        (strlen(id) != REPL_ID_LEN && strcmp(id, "?") != 0)) {
        reply_line(x, RSP_CLIENT_ERROR, RSP_EFORMAT, "bad command line format");
        return EXEC_CONTINUE;
    }
    struct stream *st = stream_create(x->loop);
    if (st == NULL) {
        reply_line(x, RSP_SERVER_ERROR, RSP_ENOMEM, "out of memory");
        return EXEC_CONTINUE;
    }
    char peer[80], err[160];
    peer_name(x->fd, peer, sizeof(peer));
    struct repl_feed_io io = {.write = io_write, .flush = io_flush, .gone = io_gone,
                              .finish = io_finish, .arg = st};
    uint64_t feed;
    if (repl_feed_start(x->srv->repl, id, offset, peer, &io, &feed, err, sizeof(err)) != 0) {
        struct stream *producer = st;
        stream_cancel(&st);
        stream_finish(&producer);
        reply_line(x, RSP_SERVER_ERROR, RSP_EOK, err);
        return EXEC_CONTINUE;
    }
    stream_set_input(st, on_replica_line, x->srv->repl, feed);
    x->stream = st; /* the session's reference; the feed holds the producer's */
    return EXEC_STREAM;
}

/* "replica_of HOST:PORT" or "replica_of none" */
static enum exec_next replica_of_command(struct exec_ctx *x, const struct request *req)
{
    const char *a = req->arg;
    size_t n = req->narg;
    while (n > 0 && a[n - 1] == ' ')
        n--;
    if (req->noreply && n >= 7 && memcmp(a + n - 7, "noreply", 7) == 0) {
        n -= 7;
        while (n > 0 && a[n - 1] == ' ')
            n--;
    }
    char host[256], err[160];
    int port;
    if (n == 4 && memcmp(a, "none", 4) == 0) {
        repl_promote(x->srv->repl);
        exec_reply_kind(x, RSP_OK);
    } else if (hostport_parse(a, n, host, sizeof(host), &port) != 0) {
        reply_line(x, RSP_CLIENT_ERROR, RSP_EFORMAT, "usage: replica_of HOST:PORT | none");
    } else if (repl_follow(x->srv->repl, host, port, err, sizeof(err)) != 0) {
        reply_line(x, RSP_SERVER_ERROR, RSP_EOK, err);
    } else {
        exec_reply_kind(x, RSP_OK);
    }
    return EXEC_CONTINUE;
}

enum exec_next replication_command(struct exec_ctx *x, const struct request *req)
{
    return req->cmd == REQ_REPL_SYNC ? sync_command(x, req) : replica_of_command(x, req);
}

bool replication_refuses_write(struct exec_ctx *x)
{
    if (!repl_is_replica(x->srv->repl))
        return false;
    reply_line(x, RSP_SERVER_ERROR, RSP_ENOT_SUPPORTED, "replica: writes go to its primary");
    return true;
}
