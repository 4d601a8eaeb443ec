/*
 * mnemo.h: libmnemo, the C client library of mnemo (and of any memcached
 * 1.6+ server that speaks the meta protocol).
 *
 * A client handle holds a list of servers ("host:port[:weight],...", a
 * shard with replicas as "primary=replica..."), maps each key to one
 * shard by ketama consistent hashing (bit-compatible with libmemcached's
 * MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED and php-memcached's libketama mode),
 * by nutcracker's ketama with its key hashes (MNEMO_DIST_TWEMPROXY) or by
 * modula, and talks the meta protocol (mg/ms/md/ma/mn) over one pipelined
 * connection per server.
 *
 * Two ways to use it:
 *
 *   - Blocking calls (mnemo_get, mnemo_set, ...): each one submits its
 *     request(s) and runs the I/O loop until they complete or time out.
 *
 *   - The non-blocking API: mnemo_submit() queues any number of requests
 *     (they are encoded at once and need no caller memory afterwards);
 *     mnemo_run() does the I/O and calls each request's completion callback
 *     once.  mnemo_pollfds() exposes the sockets so the caller can fold
 *     them into its own poll loop and call mnemo_run(c, 0) when they fire.
 *
 * Thread safety: a struct mnemo_client is NOT thread-safe.  Use one handle
 * per thread (handles share nothing), or serialise every call on a handle
 * with your own lock.  Completion callbacks run on the thread that called
 * mnemo_run(), mnemo_pollfds() (a connect that fails at once completes its
 * server's requests there) or a blocking call, from inside that call; they
 * may submit
 * new requests but must not call mnemo_run(), a blocking call or
 * mnemo_destroy() on the same handle.  mnemo_strerror() and
 * mnemo_options_init() are thread-safe.
 *
 * Keys are binary-safe byte strings: keys of 1..250 bytes of printable,
 * non-space ASCII go on the wire as they are; any other key (up to
 * MNEMO_MAX_BINARY_KEY bytes) is sent base64-encoded with the meta 'b' flag.
 * Values are arbitrary bytes.  Placement always hashes the raw key bytes.
 *
 * Failover: a server whose requests fail (connect error, I/O error,
 * timeout) failure_limit times in a row is ejected for retry_interval_ms;
 * while ejected its keys go to the next live server on the ring (modula:
 * the next live index).  After the interval it gets requests again and is
 * back for good as soon as it answers.  Requests in flight on a failing
 * server complete with an error; they are never retried on another server
 * and replies are matched to requests by opaque token and key, so a request
 * never receives another key's value.
 */
#ifndef MNEMO_MNEMO_H
#define MNEMO_MNEMO_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the library's exported symbols (everything else is hidden in the .so). */
#if defined(__GNUC__)
#define MNEMO_API __attribute__((visibility("default")))
#else
#define MNEMO_API
#endif

#define MNEMO_MAX_KEY 250        /* plain keys */
#define MNEMO_MAX_BINARY_KEY 186 /* keys sent base64-encoded (<= 248 chars) */
#define MNEMO_DEFAULT_PORT 11211

/* Status of every call and of every completion: 0 is success. */
typedef enum mnemo_status {
    MNEMO_OK = 0,
    MNEMO_NOT_FOUND = -1,   /* miss (get), no such item (delete, incr, ...) */
    MNEMO_NOT_STORED = -2,  /* add on an existing key, replace on a missing one */
    MNEMO_EXISTS = -3,      /* cas mismatch */
    MNEMO_EINVAL = -4,      /* bad argument (key too long, bad server list) */
    MNEMO_ENOMEM = -5,
    MNEMO_ECONNECT = -6,    /* could not connect (refused, unreachable, DNS) */
    MNEMO_ETIMEDOUT = -7,   /* connect or I/O timeout */
    MNEMO_EIO = -8,         /* connection lost or socket error */
    MNEMO_EPROTO = -9,      /* malformed or mismatched reply */
    MNEMO_ECLIENT = -10,    /* the server answered CLIENT_ERROR/ERROR */
    MNEMO_ESERVER = -11,    /* the server answered SERVER_ERROR */
    MNEMO_ENOSERVER = -12,  /* no server configured or all are ejected */
    MNEMO_EBUSY = -13,      /* call not allowed now (e.g. run from a callback) */
    MNEMO_ENOPRIMARY = -14, /* a write to a shard whose primary is down, before a
                               replica of it is promoted (reads still work) */
    MNEMO_EAUTH = -15,      /* the server refused the credentials (auth_user) */
    MNEMO_ETLS = -16,       /* TLS: bad certificate/key/CA files, a handshake that
                               failed or a certificate refused (mnemo_server_error
                               says why) */
} mnemo_status;

/* A static English message for a status; never NULL. */
MNEMO_API const char *mnemo_strerror(mnemo_status status);

enum mnemo_distribution {
    MNEMO_DIST_KETAMA = 0, /* libmemcached KETAMA_WEIGHTED, MD5 */
    MNEMO_DIST_MODULA = 1, /* one-at-a-time hash % server count (libmemcached default) */
    MNEMO_DIST_TWEMPROXY = 2, /* nutcracker 0.5's "distribution: ketama" with the key
                               * hash in mnemo_options.hash: the server list as
                               * nutcracker's "host:port:weight" lines (no names) */
};

/* Key hashes of MNEMO_DIST_TWEMPROXY, named as nutcracker's "hash:" setting
 * names them, each reproducing nutcracker's own variant, quirks included
 * (its fnv1a_64 runs on 32 bits, its crc32 keeps 15 bits).  Any other distribution
 * takes only MNEMO_HASH_DEFAULT; mnemo_create() refuses anything else with
 * MNEMO_EINVAL. */
enum mnemo_hash {
    MNEMO_HASH_DEFAULT = 0,  /* the distribution's own (twemproxy: fnv1a_64) */
    MNEMO_HASH_ONE_AT_A_TIME = 1,
    MNEMO_HASH_MD5 = 2,
    MNEMO_HASH_CRC16 = 3,
    MNEMO_HASH_CRC32 = 4,
    MNEMO_HASH_CRC32A = 5,
    MNEMO_HASH_FNV1_64 = 6,
    MNEMO_HASH_FNV1A_64 = 7,
    MNEMO_HASH_FNV1_32 = 8,
    MNEMO_HASH_FNV1A_32 = 9,
    MNEMO_HASH_HSIEH = 10,
    MNEMO_HASH_MURMUR = 11,
    MNEMO_HASH_JENKINS = 12,
};

struct mnemo_options {
    enum mnemo_distribution distribution;
    int connect_timeout_ms; /* default 1000 */
    int io_timeout_ms;      /* no reply progress for this long fails the server's requests; default 2000 */
    int failure_limit;      /* consecutive failures before ejection; default 2; 0 = never eject */
    int retry_interval_ms;  /* ejection length; default 2000 */
    int read_replicas;      /* 1: reads go to the shard's replicas, in turn (the
                               primary while none answers); 0 (default): to the
                               primary, and to a replica only while it is down */
    enum mnemo_hash hash;   /* MNEMO_DIST_TWEMPROXY's key hash; default MNEMO_HASH_DEFAULT */
    /* Servers with ascii authentication (mnemod or memcached -Y): each
     * connection first sends a set of "user password" (a user without
     * spaces).  NULL (default): none.  Copied by mnemo_create. */
    const char *auth_user;
    const char *auth_password;
    /* TLS (memcached -Z, mnemod with TLS): 1 puts every connection of the
     * client in TLS, each reconnect a fresh handshake (resuming the last
     * session where the server allows), before the auth set.  0 (default):
     * plain TCP, and the tls_* fields below must stay 0/NULL. */
    int tls;
    /* 1: take any server certificate, no name check (tests only).
     * 0 (default): verify the server's chain against tls_ca_file (or the
     * system's trusted CAs when NULL) and its name against
     * tls_server_name. */
    int tls_no_verify;
    const char *tls_ca_file;     /* PEM CA certificates; NULL: the system's */
    const char *tls_cert_file;   /* PEM client certificate (mutual TLS); NULL: none */
    const char *tls_key_file;    /* its PEM key; NULL: in tls_cert_file */
    /* The name sent as SNI and checked in the server's certificate; NULL
     * (default): each server's host as written in the server list (an IP
     * address is checked, not sent). Files are read by mnemo_create. */
    const char *tls_server_name;
    /* Zero (mnemo_options_init sees to it): room for options to come, each
     * with 0 as its default, so the struct keeps its size across versions
     * of libmnemo.so.0 (it started with 16; the TLS fields took 10).
     * mnemo_create refuses a non-zero one (an option this version does
     * not know). */
    int reserved[6];
};

/* Fill *opts with the defaults above. */
MNEMO_API void mnemo_options_init(struct mnemo_options *opts);

/* Load opts' TLS files as mnemo_create would: MNEMO_OK, or MNEMO_ETLS
 * with why in err (a file that cannot be read, a key that does not match
 * its certificate), MNEMO_EINVAL for tls_* fields without tls.  For a
 * caller that wants to say why mnemo_create refused them (opts NULL: the
 * defaults, MNEMO_OK). */
MNEMO_API mnemo_status mnemo_tls_check(const struct mnemo_options *opts, char *err, size_t errlen);

struct mnemo_client;

/*
 * Create a client for "host:port[:weight],host2..." (port defaults to
 * 11211, weight to 1; IPv6 hosts as "[::1]:11211").  opts may be NULL for
 * defaults.  Does not connect (connections are opened on first use).
 * Returns MNEMO_OK and *out, or MNEMO_EINVAL / MNEMO_ENOMEM, or MNEMO_ETLS
 * for TLS files it cannot use (mnemo_tls_check says why).
 *
 * Each comma-separated entry is a shard.  A shard with replicas is written
 * "primary=replica1=replica2" (a weight only on the primary): keys are
 * placed by the primary's name, writes go to the shard's primary, reads
 * per opts->read_replicas.  When the primary stops answering, reads move
 * to its replicas at once and writes answer MNEMO_ENOPRIMARY; the client
 * asks the shard's servers for their role (stats replication) and follows
 * the one that says it is the primary once a replica is promoted, or the
 * old primary if it comes back as one.  A shard is skipped on the ring
 * (its keys move on) only while all its servers are ejected.
 */
MNEMO_API mnemo_status mnemo_create(struct mnemo_client **out, const char *servers,
                          const struct mnemo_options *opts);

/* Close every connection and free the handle; pending requests complete
 * with MNEMO_EIO first.  Sets *c to NULL. */
MNEMO_API void mnemo_destroy(struct mnemo_client **c);

MNEMO_API size_t mnemo_server_count(const struct mnemo_client *c);
/* "host:port" of server i, or NULL. */
MNEMO_API const char *mnemo_server_name(const struct mnemo_client *c, size_t i);
/* Index of the server that owns key on the full ring (ignores ejection):
 * its shard's configured primary. */
MNEMO_API size_t mnemo_server_for_key(const struct mnemo_client *c, const void *key, size_t key_len);
/* Index of the server a write of key goes to now (skips ejected shards);
 * returns (size_t)-1 when all are ejected or the shard has no primary. */
MNEMO_API size_t mnemo_route_key(struct mnemo_client *c, const void *key, size_t key_len);
/* 1 while server i is ejected. */
MNEMO_API int mnemo_server_ejected(const struct mnemo_client *c, size_t i);
/* Why server i's last failure happened, in one line, where the library
 * knows more than its status: a TLS failure (MNEMO_ETLS: a refused
 * certificate and the reason, a name mismatch, a server that does not
 * speak TLS, a client certificate the server wanted), or a plain
 * connection closed before its first reply (a TLS server?).  "" while
 * there was none since the server's last connection began, NULL for a
 * bad i.  Valid until the next call on c. */
MNEMO_API const char *mnemo_server_error(const struct mnemo_client *c, size_t i);

/* Shards: entries of the server list.  Servers are numbered shard by
 * shard, each shard's configured primary first. */
MNEMO_API size_t mnemo_shard_count(const struct mnemo_client *c);
/* The shard of server i, or (size_t)-1. */
MNEMO_API size_t mnemo_shard_of(const struct mnemo_client *c, size_t server);
/* Index of shard's first server; *count (if not NULL) gets how many it has. */
MNEMO_API size_t mnemo_shard_servers(const struct mnemo_client *c, size_t shard, size_t *count);
/* The server the client takes for shard's primary now, or (size_t)-1 while
 * it knows none (the primary went down and no replica is promoted yet). */
MNEMO_API size_t mnemo_shard_primary(const struct mnemo_client *c, size_t shard);
/* Ask every server of every shard with replicas for its role now (stats
 * replication) and take the answers as they are.  MNEMO_OK when each such
 * shard has a primary, MNEMO_ENOPRIMARY when one has none. */
MNEMO_API mnemo_status mnemo_refresh_roles(struct mnemo_client *c);

/* ---- the non-blocking API ---- */

enum mnemo_op {
    MNEMO_OP_GET,     /* value, flags */
    MNEMO_OP_GETS,    /* value, flags, cas */
    MNEMO_OP_GAT,     /* get and touch: ttl; value, flags, cas */
    MNEMO_OP_TOUCH,   /* ttl */
    MNEMO_OP_SET,     /* value, flags, ttl; cas != 0 makes it a cas */
    MNEMO_OP_ADD,
    MNEMO_OP_REPLACE,
    MNEMO_OP_APPEND,
    MNEMO_OP_PREPEND,
    MNEMO_OP_CAS,     /* set only if the item's cas equals req.cas */
    MNEMO_OP_DELETE,
    MNEMO_OP_INCR,    /* delta; result.number */
    MNEMO_OP_DECR,
    MNEMO_OP_NOOP,    /* "mn": ping server req.server */
    MNEMO_OP_FLUSH,   /* flush_all [delay=ttl] on server req.server */
    MNEMO_OP_VERSION, /* value = version string, on server req.server */
    MNEMO_OP_STATS,   /* value = "name value\n" lines; key = group (may be empty) */
};

struct mnemo_result {
    mnemo_status status;
    enum mnemo_op op;
    const void *key;   /* the request's key (raw bytes) */
    size_t key_len;
    const void *value; /* valid only during the callback */
    size_t value_len;
    uint32_t flags;    /* client flags */
    uint64_t cas;
    uint64_t number;   /* incr/decr result */
    size_t server;     /* index of the server that handled it */
};

/* Called exactly once per submitted request, from mnemo_run(). */
typedef void (*mnemo_complete_fn)(void *arg, const struct mnemo_result *res);

struct mnemo_request {
    enum mnemo_op op;
    const void *key;
    size_t key_len;
    const void *value;
    size_t value_len;
    uint32_t flags;
    int64_t ttl;        /* seconds; 0 = never expires (flush: delay) */
    uint64_t cas;
    uint64_t delta;     /* incr/decr */
    size_t server;      /* NOOP/FLUSH/VERSION/STATS only: target server */
    mnemo_complete_fn cb;
    void *arg;
};

/*
 * Queue one request.  Its bytes are encoded into the server's output
 * buffer at once, so req and everything it points to may be reused when
 * this returns.  Returns MNEMO_OK (cb will be called exactly once later) or
 * an error (cb will not be called): MNEMO_EINVAL for a bad key/op,
 * MNEMO_ENOSERVER when every server is ejected, MNEMO_ENOMEM.
 * Never blocks.
 */
MNEMO_API mnemo_status mnemo_submit(struct mnemo_client *c, const struct mnemo_request *req);

/* Requests submitted and not yet completed. */
MNEMO_API size_t mnemo_pending(const struct mnemo_client *c);

/*
 * Fill fds[0..max) with the sockets that have work (POLLOUT while output is
 * queued or a connect is in progress, POLLIN while replies are awaited) and
 * return how many; *timeout_ms (if not NULL) gets the time until the
 * nearest connect/I/O deadline, or -1.  After polling them, call
 * mnemo_run(c, 0).
 */
MNEMO_API size_t mnemo_pollfds(struct mnemo_client *c, struct pollfd *fds, size_t max, int *timeout_ms);

/*
 * Do I/O: open connections, write queued requests, read replies and call
 * completions, fail requests whose deadline passed.  Waits at most
 * timeout_ms for something to happen (0: do not wait, -1: until at least
 * one completion or deadline).  Returns MNEMO_OK, or MNEMO_EBUSY when
 * called from a completion callback.
 */
MNEMO_API mnemo_status mnemo_run(struct mnemo_client *c, int timeout_ms);

/* mnemo_run() until nothing is pending (every wait bounded by timeouts). */
MNEMO_API mnemo_status mnemo_wait_all(struct mnemo_client *c);

/* ---- blocking calls, built on the API above ---- */

/* *value is malloc'ed (NUL-terminated for convenience, value_len excludes
 * it); free() it.  flags/cas may be NULL. */
MNEMO_API mnemo_status mnemo_get(struct mnemo_client *c, const void *key, size_t key_len,
                       char **value, size_t *value_len, uint32_t *flags, uint64_t *cas);
MNEMO_API mnemo_status mnemo_gat(struct mnemo_client *c, const void *key, size_t key_len, int64_t ttl,
                       char **value, size_t *value_len, uint32_t *flags, uint64_t *cas);
MNEMO_API mnemo_status mnemo_touch(struct mnemo_client *c, const void *key, size_t key_len, int64_t ttl);

/* Called for each key found; keys that miss are not reported. */
typedef void (*mnemo_mget_fn)(void *arg, size_t index, const struct mnemo_result *res);
/*
 * Multi-get: the requests for all keys are written to all their servers
 * before any reply is read, so each server costs one round trip.
 * Returns MNEMO_OK if every server answered (misses are fine), else the
 * first error seen; found keys are still reported.
 */
MNEMO_API mnemo_status mnemo_mget(struct mnemo_client *c, size_t n, const void *const *keys,
                        const size_t *key_lens, int with_cas, mnemo_mget_fn cb, void *arg);

/* op is one of SET/ADD/REPLACE/APPEND/PREPEND/CAS. */
MNEMO_API mnemo_status mnemo_store(struct mnemo_client *c, enum mnemo_op op, const void *key,
                         size_t key_len, const void *value, size_t value_len, uint32_t flags,
                         int64_t ttl, uint64_t cas);
MNEMO_API mnemo_status mnemo_set(struct mnemo_client *c, const void *key, size_t key_len,
                       const void *value, size_t value_len, uint32_t flags, int64_t ttl);
MNEMO_API mnemo_status mnemo_delete(struct mnemo_client *c, const void *key, size_t key_len);
/* new_value may be NULL. */
MNEMO_API mnemo_status mnemo_incr(struct mnemo_client *c, const void *key, size_t key_len,
                        uint64_t delta, uint64_t *new_value);
MNEMO_API mnemo_status mnemo_decr(struct mnemo_client *c, const void *key, size_t key_len,
                        uint64_t delta, uint64_t *new_value);

/* Per-server calls. */
MNEMO_API mnemo_status mnemo_ping(struct mnemo_client *c, size_t server);
MNEMO_API mnemo_status mnemo_flush(struct mnemo_client *c, size_t server, int64_t delay);
/* Flush every server; returns the first error. */
MNEMO_API mnemo_status mnemo_flush_all(struct mnemo_client *c, int64_t delay);
MNEMO_API mnemo_status mnemo_version(struct mnemo_client *c, size_t server, char *buf, size_t buf_len);
typedef void (*mnemo_stat_fn)(void *arg, const char *name, const char *value);
/* group may be NULL or "" for the general stats. */
MNEMO_API mnemo_status mnemo_stats(struct mnemo_client *c, size_t server, const char *group,
                         mnemo_stat_fn cb, void *arg);

#ifdef __cplusplus
}
#endif

#endif
