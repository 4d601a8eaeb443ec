/*
 * request.h: the protocol-neutral shape of one client request.
 *
 * Every front end (text today; meta and binary next) turns bytes into a
 * struct request, and server/exec gives it one meaning. The model follows the
 * meta protocol, the superset: a command, one key (or a list of keys for
 * multi-get), numeric arguments, and optional behaviour bits.
 *
 * Pointers in a request (key, keys, arg) point into the caller's read buffer:
 * they stay valid only while that buffer is not compacted or grown, i.e. for
 * the synchronous execution of the request. This module owns nothing and
 * knows nothing of sockets or of the store.
 */
#ifndef MNEMO_PROTO_REQUEST_H
#define MNEMO_PROTO_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* memcached's limit on a key (protocol.txt: "currently 250 characters"). */
#define REQUEST_KEY_MAX 250

enum request_cmd {
    REQ_NONE = 0,
    /* retrieval */
    REQ_GET,
    REQ_GETS,
    REQ_GAT,
    REQ_GATS,
    /* storage: a data block of vlen bytes + "\r\n" follows the line */
    REQ_SET,
    REQ_ADD,
    REQ_REPLACE,
    REQ_APPEND,
    REQ_PREPEND,
    REQ_CAS,
    /* the rest */
    REQ_DELETE,
    REQ_INCR,
    REQ_DECR,
    REQ_TOUCH,
    REQ_FLUSH_ALL,
    REQ_VERSION,
    REQ_VERBOSITY,
    REQ_QUIT,
    REQ_SHUTDOWN,
    REQ_STATS,
    REQ_CMD_COUNT
};

/*
 * Why a request could not be parsed. server/ maps each to the exact reply
 * memcached 1.6 gives (one table for all protocols); see server/errors.c.
 */
enum request_error {
    REQ_EOK = 0,
    REQ_EUNKNOWN,      /* unknown command: "ERROR" */
    REQ_EFORMAT,       /* "CLIENT_ERROR bad command line format" */
    REQ_EKEY_TOO_LONG, /* key over 250 bytes: reported as EFORMAT by memcached */
    REQ_EDELTA,        /* "CLIENT_ERROR invalid numeric delta argument" */
    REQ_EEXPTIME,      /* "CLIENT_ERROR invalid exptime argument" */
    REQ_EDELETE_USAGE, /* "delete <key> 0" is fine, any other extra argument is not */
    REQ_ELINE_TOO_LONG /* no newline within the line limit: error, then close */
};

struct request {
    enum request_cmd cmd;

    /* First (or only) key. For multi-key retrieval, keys/nkeys_text hold the
     * whole space-separated key list (including the first key); walk it with
     * request_key_next(). The parser has already checked every key's length. */
    const char *key;
    size_t nkey;
    const char *keys;
    size_t nkeys_text;
    uint32_t nkeys; /* number of keys in the list (1 for single-key commands) */

    uint32_t flags;   /* client flags, 32-bit */
    int64_t exptime;  /* as sent; exec applies memcached's relative/absolute rule */
    uint32_t vlen;    /* storage: length of the data block, without "\r\n" */
    uint64_t cas;     /* cas: the compare value */
    uint64_t delta;   /* incr/decr amount; flush_all delay; verbosity level */
    bool has_delay;   /* flush_all was given a delay argument */
    bool noreply;     /* reply suppressed (the error replies are not) */

    /* stats: the group name and anything after it ("items", "slabs",
     * "settings", "reset", "detail on", ...); shutdown: optional "graceful". */
    const char *arg;
    size_t narg;

    enum request_error error; /* set when the parser returns PARSE_ERROR */
};

/*
 * Walk a multi-key list. *cursor starts at 0; each call yields the next key
 * and returns true, or returns false at the end. Pure; no allocation.
 */
bool request_key_next(const struct request *req, size_t *cursor,
                      const char **key, size_t *nkey);

/* The command's name as the text protocol spells it ("get", "set", ...). */
const char *request_cmd_name(enum request_cmd cmd);

/* True for commands followed by a data block (set/add/replace/append/prepend/cas). */
static inline bool request_is_storage(enum request_cmd cmd)
{
    return cmd >= REQ_SET && cmd <= REQ_CAS;
}

#endif
