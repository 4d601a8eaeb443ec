/*
 * request.c: the small helpers every protocol front end shares for a
 * struct request: walking a multi-key list and naming a command.
 *
 * Pure: no allocation, no I/O, nothing of sockets or of the store.
 */
#include "proto/request.h"

#include <string.h>

/*
 * Keys in the list are separated by runs of ' ' only (memcached's tokenizer
 * splits on ' ' and nothing else), so a key may contain '\t' or '\r'. The
 * parser has already cut the list at any NUL and checked every key's length.
 */
bool request_key_next(const struct request *req, size_t *cursor,
                      const char **key, size_t *nkey)
{
    const char *base = req->keys;
    size_t end = req->nkeys_text;
    size_t i = *cursor;

    if (base == NULL) {
        return false;
    }
    while (i < end && base[i] == ' ') {
        i++;
    }
    if (i >= end) {
        *cursor = end;
        return false;
    }
    const char *s = base + i;
    const char *sp = memchr(s, ' ', end - i);
    size_t n = sp != NULL ? (size_t)(sp - s) : end - i;

    *key = s;
    *nkey = n;
    *cursor = i + n;
    return true;
}

static const char *const cmd_names[REQ_CMD_COUNT] = {
    [REQ_NONE] = "none",
    [REQ_GET] = "get",
    [REQ_GETS] = "gets",
    [REQ_GAT] = "gat",
    [REQ_GATS] = "gats",
    [REQ_SET] = "set",
    [REQ_ADD] = "add",
    [REQ_REPLACE] = "replace",
    [REQ_APPEND] = "append",
    [REQ_PREPEND] = "prepend",
    [REQ_CAS] = "cas",
    [REQ_DELETE] = "delete",
    [REQ_INCR] = "incr",
    [REQ_DECR] = "decr",
    [REQ_TOUCH] = "touch",
    [REQ_FLUSH_ALL] = "flush_all",
    [REQ_VERSION] = "version",
    [REQ_VERBOSITY] = "verbosity",
    [REQ_QUIT] = "quit",
    [REQ_SHUTDOWN] = "shutdown",
    [REQ_STATS] = "stats",
    [REQ_CACHE_MEMLIMIT] = "cache_memlimit",
    [REQ_SNAPSHOT] = "snapshot",
    [REQ_REFRESH_CERTS] = "refresh_certs",
    [REQ_REPLICA_OF] = "replica_of",
    [REQ_REPL_SYNC] = "repl_sync",
    [REQ_SLABS] = "slabs",
    [REQ_LRU] = "lru",
    [REQ_LRU_CRAWLER] = "lru_crawler",
    [REQ_WATCH] = "watch",
    [REQ_MG] = "mg",
    [REQ_MS] = "ms",
    [REQ_MD] = "md",
    [REQ_MA] = "ma",
    [REQ_MN] = "mn",
    [REQ_ME] = "me",
    [REQ_NOOP] = "noop",
    [REQ_SASL_LIST] = "sasl_list_mechs",
    [REQ_SASL_AUTH] = "sasl_auth",
    [REQ_SASL_STEP] = "sasl_step",
    [REQ_UNKNOWN_OPCODE] = "unknown",
};

/* Returns a static string; "unknown" for values outside the enum. */
const char *request_cmd_name(enum request_cmd cmd)
{
    if ((unsigned)cmd >= REQ_CMD_COUNT || cmd_names[cmd] == NULL) {
        return "unknown";
    }
    return cmd_names[cmd];
}

static const char *relocated(const char *p, const char *buf, size_t len, const char *copy)
{
    if (p == NULL || p < buf || p > buf + len)
        return p;
    return copy + (p - buf);
}

void request_relocate(struct request *req, const char *buf, size_t len, const char *copy)
{
    if (req->key_binary)
        req->key = req->keybuf;
    else
        req->key = relocated(req->key, buf, len, copy);
    req->keys = relocated(req->keys, buf, len, copy);
    req->arg = relocated(req->arg, buf, len, copy);
    req->mflag_text = relocated(req->mflag_text, buf, len, copy);
    req->opaque = relocated(req->opaque, buf, len, copy);
}
