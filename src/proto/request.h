/*
 * request.h: the protocol-neutral shape of one client request.
 *
 * Every front end (text, meta, binary) turns bytes into a
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
#include <string.h>

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
    REQ_CACHE_MEMLIMIT, /* cache_memlimit <megabytes>: delta holds them */
    REQ_SNAPSHOT,       /* mnemo's own: start a snapshot (persistence) */
    REQ_REFRESH_CERTS,  /* refresh_certs: read the TLS certificate and key again */
    REQ_REPLICA_OF,     /* mnemo's own: replica_of HOST:PORT|none (arg: the rest) */
    REQ_REPL_SYNC,      /* mnemo's own: a replica asks for the stream (arg: id offset) */
    /* operator commands (proto/admin.h parses their arguments from arg) */
    REQ_SLABS,
    REQ_LRU,
    REQ_LRU_CRAWLER,
    REQ_WATCH,
    /* meta protocol (protocol.txt "Meta Commands"); options in struct request */
    REQ_MG,
    REQ_MS,
    REQ_MD,
    REQ_MA,
    REQ_MN, /* meta no-op: the pipeline fence */
    REQ_ME, /* meta debug */
    /* binary protocol only */
    REQ_NOOP,
    REQ_SASL_LIST,
    REQ_SASL_AUTH,
    REQ_SASL_STEP,
    REQ_UNKNOWN_OPCODE, /* answered "unknown command" with the opcode echoed */
    REQ_CMD_COUNT
};

/* The dialect a request arrived in. exec never looks at wire formats (the
 * parser states what the request asks for in the fields below); the front
 * end uses this to pick the composer for the replies. */
enum request_proto { REQ_PROTO_TEXT = 0, REQ_PROTO_META, REQ_PROTO_BINARY };

/* What a compare value (cas) does to set, add and replace, ms modes
 * included; the cas command always compares. */
enum request_cas_rule {
    REQ_CAS_NEVER = 0,       /* they store unconditionally (text) */
    REQ_CAS_SET_REPLACE,     /* set and replace compare; add stays add (meta C) */
    REQ_CAS_SET_ADD_REPLACE  /* set, add and replace compare, unless -C turned cas
                              * off (binary with a non-zero cas: memcached keeps
                              * it on the item, which has no room for it with -C) */
};

/* One bit per meta flag letter: REQ_MFLAG('v'), REQ_MFLAG('T'), ... */
#define REQ_MFLAG(c) (((c) >= 'a' && (c) <= 'z') ? (1ull << ((c) - 'a'))                   \
                      : ((c) >= 'A' && (c) <= 'Z') ? (1ull << (26 + (c) - 'A')) : 0ull)

/* ms mode (M token) and ma mode, normalised to one letter. */
enum request_mode {
    REQ_MODE_NONE = 0,
    REQ_MODE_SET = 'S',
    REQ_MODE_ADD = 'E',
    REQ_MODE_APPEND = 'A',
    REQ_MODE_PREPEND = 'P',
    REQ_MODE_REPLACE = 'R',
    REQ_MODE_INCR = 'I', /* ma: I or + */
    REQ_MODE_DECR = 'D'  /* ma: D or - */
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
    REQ_ELINE_TOO_LONG, /* no newline within the line limit: close without a reply */
    REQ_EHTTP,          /* an HTTP request line: close without a reply */
    /* meta protocol (proto/meta.c); each maps to exactly one reply */
    REQ_EMETA_FLAG,         /* "CLIENT_ERROR invalid flag" (mg, ms) */
    REQ_EMETA_DUP,          /* "CLIENT_ERROR duplicate flag" (mg, ms) */
    REQ_EMETA_TOKEN,        /* "CLIENT_ERROR bad token in command line format" (mg, ms) */
    REQ_EMETA_FLAG_OR_DUP,  /* "CLIENT_ERROR invalid or duplicate flag" (ma: any flag error) */
    REQ_EMETA_BASE64,       /* "CLIENT_ERROR error decoding key" (mg, ms) */
    REQ_EMETA_OPAQUE,       /* "CLIENT_ERROR opaque token too long" */
    REQ_EMETA_MODE_MS,      /* "CLIENT_ERROR invalid mode for ms M token" */
    REQ_EMETA_MODE_MA,      /* "CLIENT_ERROR invalid mode for ma M token" */
    REQ_EMETA_INITIAL,      /* "CLIENT_ERROR invalid numeric initial value" (mg, ms) */
    REQ_EMETA_DELTA,        /* "CLIENT_ERROR invalid numeric delta value" (mg, ms) */
    REQ_EMETA_TOO_MANY_MG,  /* "CLIENT_ERROR options flags are too long" (mg, ms, md) */
    /* binary protocol (proto/binary.c): every binary parse error closes */
    REQ_EBAD_MAGIC          /* request magic is not 0x80: close without a reply */
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
    uint64_t delta;   /* incr/decr amount; flush_all delay; verbosity level;
                       * cache_memlimit megabytes */
    bool has_delay;   /* flush_all was given a delay argument */
    bool noreply;     /* reply suppressed (the error replies are not) */
    /* What the request asks of exec beyond its command and options, stated
     * once by the parser; all false (zero) is the classic text behaviour.
     * Kept in the padding after noreply: the struct does not grow. */
    bool single_key;        /* key/nkey is the one key (a binary key may hold ' '):
                             * no list to walk, no END after the answer */
    bool omit_value;        /* a hit is answered without its value (meta without v) */
    bool skip_prefix_stats; /* "stats detail" does not count it (memcached counts
                             * text and binary commands, not meta ones) */
    bool answer_quit;       /* quit is answered before the close (binary) */
    bool close_on_error;    /* a parse error closes the connection: the stream
                             * cannot be resynchronised (binary) */
    uint8_t cas_rule;       /* enum request_cas_rule */

    /* stats: the group name and anything after it ("items", "slabs",
     * "settings", "reset", "detail on", ...); shutdown: optional "graceful";
     * slabs, lru, lru_crawler, watch: their arguments. */
    const char *arg;
    size_t narg;

    enum request_error error; /* set when the parser returns PARSE_ERROR */

    enum request_proto proto;

    /* ---- meta options (and what binary shares with them) ----
     * Every meta flag present sets its bit in mflags; tokens land in the
     * fields below: C -> cas, F -> flags, T -> exptime (has_exptime),
     * D -> delta, S or ms datalen -> vlen. The flags text is kept so that a
     * reply can echo return flags in the order they were asked for. */
    uint64_t mflags;
    const char *mflag_text; /* the flags part of the line, as sent */
    size_t nmflag_text;
    bool has_exptime;       /* T given (meta); exptime set (binary set/touch/gat) */
    bool quiet;             /* meta q, binary *Q opcodes: drop the expected replies */
    bool key_binary;        /* meta b: key was base64; key points at keybuf */
    enum request_mode mode; /* M token */
    const char *opaque;     /* meta O token (echoed), NULL if absent */
    size_t nopaque;
    uint32_t opaque32;      /* binary header opaque (echoed) */
    uint8_t opcode;         /* binary opcode as received (echoed) */
    int64_t vivify_ttl;     /* N token */
    int64_t recache_ttl;    /* R token */
    uint64_t new_cas;       /* E token: the cas to give the modified item */
    uint64_t initial;       /* ma J token / binary incr initial value */
    bool has_initial;       /* binary incr: create with initial unless exptime is 0xffffffff */
    /* mg: memcached applies N, T, R and t in the order they came, so each
     * sees the exptime as of its place among the flags. */
    bool recache_before_touch; /* R before T: judged by the old exptime */
    bool ttl_before_touch;     /* t before T: reports the old TTL */
    bool ttl_before_vivify;    /* t before N: a vivified item has no TTL yet */
    bool vivify_after_touch;   /* N after T: a vivified item keeps N's TTL */
    bool swallow_on_error;  /* a parse error after a storage line's data length was
                             * read (text set family, ms): memcached 1.6.45 skips
                             * the data block (vlen + 2 bytes) */
    /* Keep last: request_reset() and request_copy() skip it, as it is written
     * before it is read and zeroing or copying it per request is measurable. */
    char keybuf[REQUEST_KEY_MAX]; /* decoded base64 key (meta b) */
};

/* Clear a request before parsing into it (everything but keybuf). */
static inline void request_reset(struct request *req)
{
    memset(req, 0, offsetof(struct request, keybuf));
}

/* Copy a request; keybuf only when the key lives there. */
static inline void request_copy(struct request *dst, const struct request *src)
{
    memcpy(dst, src, offsetof(struct request, keybuf));
    if (src->key_binary)
        memcpy(dst->keybuf, src->keybuf, src->nkey);
}

/*
 * Walk a multi-key list. *cursor starts at 0; each call yields the next key
 * and returns true, or returns false at the end. Pure; no allocation.
 */
bool request_key_next(const struct request *req, size_t *cursor,
                      const char **key, size_t *nkey);

/* req was parsed from buf[0..len) and has been copied (struct and bytes):
 * point its fields at the same offsets in copy, a copy of those bytes, so
 * the request outlives the read buffer (a storage command waiting for its
 * data block). A base64-decoded key is re-pointed at req's own keybuf. */
void request_relocate(struct request *req, const char *buf, size_t len, const char *copy);

/* The command's name as the text protocol spells it ("get", "set", ...). */
const char *request_cmd_name(enum request_cmd cmd);

/* True for the meta commands (mg, ms, md, ma, mn, me): memcached counts
 * them in meta_cmds. */
static inline bool request_is_meta(enum request_cmd cmd)
{
    return cmd >= REQ_MG && cmd <= REQ_ME;
}

/* True for commands followed by a data block: set/add/replace/append/
 * prepend/cas, meta ms, and the binary set family (parsed onto the same
 * commands). */
static inline bool request_is_storage(enum request_cmd cmd)
{
    return (cmd >= REQ_SET && cmd <= REQ_CAS) || cmd == REQ_MS;
}

#endif
