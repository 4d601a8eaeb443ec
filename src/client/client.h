/*
 * client.h: the insides of struct mnemo_client, shared by the files of
 * libmnemo (pool.c: servers, shards, placement, failover; route.c:
 * submit, roles; async.c: queues; run.c: I/O and replies; conn.c:
 * sockets; ops.c: blocking calls).  Not installed.
 *
 *   mnemo_submit ──▶ key to shard (pool), shard to server (route, by role)
 *                ──▶ async: codec_encode into server.out
 *                                         + pending pushed on server.q
 *   mnemo_run ──▶ conn: connect / write server.out / read server.in
 *             ──▶ codec_parse replies, matched to server.q head by
 *                 opaque and key ──▶ completion callback
 *             ──▶ errors/timeouts: pool_fail_server (fail queue, count,
 *                 maybe eject)
 */
#ifndef MNEMO_CLIENT_CLIENT_H
#define MNEMO_CLIENT_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "client/buf.h"
#include "client/codec.h"
#include "client/ketama.h"
#include "client/tls_cuts.h"
#include "mnemo/mnemo.h"

/* CONN_HANDSHAKE: TCP is up, the TLS handshake is not done yet. */
enum conn_state { CONN_CLOSED, CONN_CONNECTING, CONN_HANDSHAKE, CONN_CONNECTED };

struct ssl_ctx_st;
struct ssl_st;
struct ssl_session_st;
enum server_role { ROLE_UNKNOWN, ROLE_PRIMARY, ROLE_REPLICA };

/* One request awaiting its reply, in send order on its server. */
struct pending {
    enum mnemo_op op;
    uint32_t opaque;
    uint16_t key_len;
    char key[MNEMO_MAX_KEY];  /* raw key, to check the reply's k flag */
    struct buf *stats;        /* STATS only: lines gathered so far */
    mnemo_complete_fn cb;
    void *arg;
};

struct server {
    char *host;            /* without [] */
    uint16_t port;
    uint32_t weight;
    char name[300];        /* "host:port" as printed */

    int fd;
    enum conn_state state;
    struct ssl_st *ssl;    /* TLS session of the connection, or NULL (plain) */
    struct ssl_session_st *tls_resume; /* the last connection's, to resume */
    short tls_want;        /* poll events the TLS session waits for */
    struct tls_cuts cuts;  /* TLS: where out's requests end (records end there) */
    int got_bytes;         /* the connection has read something */
    char error[256];       /* mnemo_server_error: why the last failure, or "" */
    int64_t deadline_ms;   /* connect deadline, or I/O deadline while q_len > 0 */
    struct buf out;        /* encoded requests not yet written */
    struct buf in;         /* bytes read and not yet parsed */
    struct pending *q;     /* ring of in-flight requests */
    size_t q_head, q_len, q_cap;
    uint32_t next_opaque;

    int failures;          /* consecutive */
    int64_t failed_at;     /* ms, monotonic: the last failure */
    int64_t ejected_until; /* ms, monotonic; 0 = not ejected */

    size_t shard;          /* index into mnemo_client.shards */
    enum server_role role; /* as configured, then as last answered */
    uint64_t repl_offset;  /* from its last role answer */
};

/*
 * One entry of the server list: servers[first .. first+count), the
 * configured primary first.  primary is the server writes go to now, or
 * NO_SERVER between losing one and learning the next (roles.c).
 */
struct shard {
    size_t first, count;
    size_t primary;
    size_t next_read;      /* turn among the replicas (read_replicas) */
    size_t probes_out;     /* role questions not yet answered */
};

#define NO_SERVER ((size_t)-1)

/* The ascii auth set: an op of the library's own, never a caller's. */
#define OP_AUTH ((enum mnemo_op)64)

struct mnemo_client {
    struct mnemo_options opts;
    char *auth;            /* "set ... user password" bytes each connection sends first, or NULL */
    size_t auth_len;
    struct ssl_ctx_st *tls; /* one TLS context for every connection, or NULL */
    char *tls_server_name;  /* opts.tls_server_name, copied, or NULL */
    struct server *servers;
    size_t nservers;
    struct shard *shards;
    size_t nshards;
    struct ketama ring;    /* points index shards */
    size_t pending;        /* over all servers */
    int in_callback;
};

/*
 * The files call each other one way: ops.c and run.c on top, then route.c
 * (mnemo_submit: key to shard to server; role questions), pool.c (the
 * servers, placement on shards, failover that fails a server's queue
 * through async.c), async.c (queue and complete, reusing a connection
 * through conn.c), conn.c at the bottom.
 */

/* pool.c */
int pool_is_ejected(const struct server *s, int64_t now);
/* Fail every request queued on s with status, close its connection, count
 * one failure and eject it if it reached the limit; a shard with replicas
 * whose primary it was loses its primary.  Calls callbacks. */
void pool_fail_server(struct mnemo_client *c, struct server *s, mnemo_status status);
/* A reply arrived: the server is healthy. */
void pool_server_ok(struct server *s);
/* The shard of key on the ring, skipping shards whose servers are all
 * ejected; NO_SERVER when every one is. */
size_t pool_shard_for_key(const struct mnemo_client *c, const void *key, size_t len);
/* Is op served by a read (it may go to a replica)? */
int pool_op_is_read(enum mnemo_op op);

/* route.c: where a request goes (mnemo_submit): the shard by key, and the
 * server within it by role, learnt by asking the servers */
/* Server s refused a write as a replica: it is no primary. */
void route_refused_write(struct mnemo_client *c, struct server *s);
/* Ask every reachable server of shard for its role, unless a round is on
 * its way.  Returns how many questions are out. */
size_t route_probe(struct mnemo_client *c, size_t shard);

/* conn.c */
/* Milliseconds on the monotonic clock (deadlines, ejection). */
int64_t client_now_ms(void);
/* Start a non-blocking connect; 0, or a status (connection closed). */
mnemo_status conn_open(struct mnemo_client *c, struct server *s);
/* Finish a connect after POLLOUT (and start the TLS handshake of a TLS
 * client, state CONN_HANDSHAKE); 0, MNEMO_ECONNECT or MNEMO_ETLS. */
mnemo_status conn_finish(struct mnemo_client *c, struct server *s);
/* Step the TLS handshake: 0 (state CONN_CONNECTED once it is done) or
 * MNEMO_ETLS with the reason in s->error. */
mnemo_status conn_handshake(struct server *s);
/* Poll events the connection waits for beyond its queue's needs. */
short conn_events(const struct server *s);
/* Write what can be written; 0, MNEMO_EIO or MNEMO_ETLS. */
mnemo_status conn_write(struct server *s);
/* Read what is available; 0, 1 on EOF, or MNEMO_EIO / MNEMO_ENOMEM /
 * MNEMO_ETLS. */
int conn_read(struct server *s);
/* 1 if an idle connection was closed by the peer (checked before reuse). */
int conn_stale(struct server *s);
/* Close the connection; a TLS one leaves its session to resume. */
void conn_close(struct server *s);
/* Drop what conn_close kept (the client is going). */
void conn_forget(struct server *s);
/* The client's TLS context from c->opts (for mnemo_create; the option's
 * strings are not kept): 0, or MNEMO_EINVAL / MNEMO_ENOMEM / MNEMO_ETLS
 * with why in err. */
mnemo_status conn_tls_setup(struct mnemo_client *c, char *err, size_t errlen);
void conn_tls_teardown(struct mnemo_client *c);

/* async.c */
/* A request's key as sent: plain, or base64 (b64) for a binary key. */
struct wire_key {
    char buf[CODEC_WIRE_KEY_MAX];
    size_t len;
    int b64;
};
int async_op_has_key(enum mnemo_op op);
/* Check req's key and value and fill *wk; MNEMO_OK or MNEMO_EINVAL. */
mnemo_status async_wire_key(const struct mnemo_request *req, struct wire_key *wk);
/* Queue req on server idx (wk: its key, NULL for an op without one):
 * encoded into the output buffer at once, a pending entry pushed. */
mnemo_status async_enqueue(struct mnemo_client *c, size_t idx, const struct mnemo_request *req,
                           const struct wire_key *wk);
/* A connection was opened: put the auth set before everything queued on
 * it (its bytes and its pending entry first).  0 or MNEMO_ENOMEM. */
mnemo_status async_auth_first(struct mnemo_client *c, struct server *s);
/* Pop the head pending of s into *p; the queue must not be empty. */
void async_pop(struct server *s, struct pending *p);
/* Call p's callback with *r (op and key filled in), then free p's stats. */
void async_complete(struct mnemo_client *c, struct pending *p, struct mnemo_result *r);
/* Complete p with a bare status (no value). */
void async_complete_status(struct mnemo_client *c, struct pending *p, size_t server,
                           mnemo_status status);

#endif
