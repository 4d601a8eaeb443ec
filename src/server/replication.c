/*
 * replication.c: see replication.h.
 */
#include "server/replication.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/hostport.h"
#include "net/conn.h"
#include "net/tls_stream.h"
#include "repl/repl.h"
#include "server/server.h"

static void reply_line(struct exec_ctx *x, enum response_kind kind, enum response_error e,
                       const char *msg)
{
    exec_reply_message(x, kind, e, msg);
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
    /* The feed thread takes the socket (a duplicate: this connection then
     * closes its own descriptor with nothing left to send): the stream
     * goes straight from the backlog to the replica (repl/feed.c). */
    int fd = fcntl(x->fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
        reply_line(x, RSP_SERVER_ERROR, RSP_EOK, "cannot hand the connection to replication");
        return EXEC_CONTINUE;
    }
    /* Over TLS, the feed goes on with this connection's session. */
    struct tls_stream *tls = NULL;
    if (x->conn != NULL && strcmp(conn_type_name(x->conn), "tls") == 0) {
        tls = conn_tls_take(x->conn, fd);
        if (tls == NULL) {
            close(fd);
            reply_line(x, RSP_SERVER_ERROR, RSP_EOK, "cannot hand the TLS session to replication");
            return EXEC_CONTINUE;
        }
    }
    char peer[80], err[160];
    peer_name(x->fd, peer, sizeof(peer));
    if (repl_feed_start(x->srv->repl, id, offset, fd, tls, peer, err, sizeof(err)) != 0) {
        if (tls != NULL) {
            /* the session went with the duplicate: the answer goes there
             * (a line the socket takes at once, or none) */
            char line[200], why[160];
            int n = snprintf(line, sizeof(line), "SERVER_ERROR %s\r\n", err);
            if (n > 0 && (size_t)n < sizeof(line))
                (void)tls_stream_write(tls, line, (size_t)n, why, sizeof(why));
            tls_stream_free(&tls);
            close(fd);
            return EXEC_CLOSE;
        }
        close(fd);
        reply_line(x, RSP_SERVER_ERROR, RSP_EOK, err);
        return EXEC_CONTINUE;
    }
    return EXEC_CLOSE;
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

size_t replication_timeout_line(const struct config *cfg, char *buf, size_t cap)
{
    int n = snprintf(buf, cap,
                     "SERVER_ERROR replication: fewer than %d replicas acknowledged within %d ms "
                     "(written here)\r\n", cfg->min_replica_acks, cfg->min_replica_timeout);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

bool replication_refuses_write(struct exec_ctx *x)
{
    if (repl_is_replica(x->srv->repl)) {
        reply_line(x, RSP_SERVER_ERROR, RSP_ENOT_SUPPORTED, "replica: writes go to its primary");
        return true;
    }
    int want = x->srv->cfg.min_replica_acks;
    if (want > 0) {
        /* a write no reply could wait out: refused before it is done */
        int online = repl_online(x->srv->repl);
        if (online < want) {
            char msg[120];
            snprintf(msg, sizeof(msg), "replication: %d of the %d replicas writes wait for are online",
                     online, want);
            reply_line(x, RSP_SERVER_ERROR, RSP_EOK, msg);
            return true;
        }
    }
    return false;
}
