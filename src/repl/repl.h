/*
 * repl.h: replication as the server sees it — a replica follows a primary
 * and holds the same items (same cas, flags and absolute expiry).
 *
 *   primary                                       replica
 *   journal ─▶ backlog (ring, offsets)            link thread (link.c)
 *                 │                                 connect, "repl_sync <id> <offset>"
 *   a replica's "repl_sync" on the client port ◀──┘
 *   hands the socket to a feed thread (feed.c):     FULLSYNC: flush, apply the items
 *     FULLSYNC <id> <offset>, every live item,        up to the SYNC record, then
 *       a SYNC record, then the stream from offset     the stream
 *     or CONTINUE <id> <offset>, then the stream   CONTINUE: the stream
 *   written straight from the backlog,            each record applied (persist/apply.h),
 *   acks ("repl_ack <offset>") read back           logged (journal_log_only) and put
 *                                                  into its own backlog byte for byte,
 *                                                  so its offsets are its primary's
 *
 * The stream is records (persist/record.h). A replica's offsets equal its
 * primary's, so a replica that reconnects within the backlog continues
 * ("partial resync"), and after a promotion its siblings continue from
 * the promoted one: it answers to the old replication id up to the offset
 * where it left it (as Redis's replid2).
 *
 * Knows store.h, the record format, persist's journal; nothing of
 * protocols or sessions: the server hands each feed its socket.
 */
#ifndef MNEMO_REPL_REPL_H
#define MNEMO_REPL_REPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "repl/types.h"

struct store;
struct journal;
struct persist;
struct repl;
struct tls_client_ctx;
struct tls_stream;

/* Feeds a primary runs at once (each a thread): more replicas are refused. */
#define REPL_MAX_REPLICAS 64

struct repl_config {
    struct store *store;
    struct journal *journal;
    struct persist *persist; /* NULL: persistence off (a replica logs what it applies) */
    size_t backlog_bytes;
    /* A replica slower than the writes for longer than the backlog holds:
     * how many bytes of the stream its feed may copy out of the backlog
     * and hold for it before it is cut off (and syncs again). 0: none. */
    size_t buffer_limit;
    /* Synchronous acknowledgements: while min_acks > 0, on_acked(arg) is
     * called (from a feed thread) each time a replica acknowledged more;
     * it must only wake someone. */
    int min_acks;
    void (*on_acked)(void *arg);
    void *arg;
    /* "user password" the link sends first (a `set`, as a client of a
     * primary with -Y does), or NULL: it asks for the stream at once */
    const char *auth_token;
    /* The link speaks TLS with this client context (net/tls_stream.h:
     * the CA the primary's certificate is checked against, the replica's
     * own certificate), which repl owns from repl_create on, even when it
     * fails; NULL: a plain link. The primary's certificate must name
     * link_tls_name, or, when NULL, the host it follows. */
    struct tls_client_ctx *link_tls;
    const char *link_tls_name;
};

/* NULL: no memory. Serves as a primary until told to follow. */
struct repl *repl_create(const struct repl_config *cfg);

/* Stop following and every feed (waits for their threads). Nothing else
 * may call in any more. Sets *r NULL. */
void repl_free(struct repl **r);

/*
 * Across a clean restart with persistence on, the stream goes on where it
 * stopped: at the stop, once nothing changes any more, repl_save_position
 * writes the replication id and offset to DIR/replication; at the next
 * start, repl_resume reads it — and removes it, so a crash after that
 * start never reuses it — and, if the store came back exactly as the stop
 * left it (persist_recovered_cleanly), takes the stream up under that id
 * at that offset: a replica asks its primary to continue from there, and
 * a primary's replicas that had everything continue from it. After a
 * crash there is no file: a new id, and replicas sync in full. A former
 * replica started without following (following false) starts a stream of
 * its own, answering the old one up to the saved offset, as a promotion.
 */
int repl_save_position(struct repl *r, const char *dir); /* stops following first */
void repl_resume(struct repl *r, const char *dir, bool store_as_saved, bool following);

/* Follow host:port (dropping what this server holds at the first full
 * sync): writes from clients are refused from now on. 0, or -1 (err). */
int repl_follow(struct repl *r, const char *host, int port, char *err, size_t errlen);

/* Stop following and serve as a primary (a new replication id; the old
 * one is still answered up to the current offset). No-op on a primary. */
void repl_promote(struct repl *r);

/* Does this server follow a primary (so clients' writes are refused)? */
bool repl_is_replica(const struct repl *r);

/*
 * Synchronous acknowledgements (-o min_replica_acks=N): a write's reply
 * waits until N replicas hold it. The thread that made a change knows the
 * stream's offset just past its last record (repl_thread_offset: a
 * thread-local, like persist's LSN); the reply may go once
 * repl_acked_by(N) reaches it. Cheap enough for each batch's end.
 */
uint64_t repl_thread_offset(void);

/* The offset at least n replicas have acknowledged (0: fewer than n
 * replicas are streaming). */
uint64_t repl_acked_by(struct repl *r, int n);

/* Replicas streaming now (their full sync done). */
int repl_online(struct repl *r);

/* Block until n replicas acknowledged offset, at most timeout_ms: 0, or
 * -1 on the timeout. For a caller that cannot hold its replies (UDP). */
int repl_wait_acked(struct repl *r, int n, uint64_t offset, int timeout_ms);

/* A replica's "repl_sync <replid> <offset>" (replid "?": none) on the
 * connected socket fd: start a feed thread that owns fd from then on (it
 * writes the stream, reads the replica's acks, closes it). tls: the TLS
 * session the request came on, which the feed goes on with (and frees),
 * or NULL. peer names the replica in stats. 0, or -1 with a one-line
 * reason in err (fd and tls untouched: the caller still owns them). */
int repl_feed_start(struct repl *r, const char *replid, uint64_t offset, int fd,
                    struct tls_stream *tls, const char *peer, char *err, size_t errlen);

/* "stats replication": each field through emit. */
void repl_stats(struct repl *r, repl_emit_fn emit, void *arg);

#endif
