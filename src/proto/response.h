/*
 * response.h: the protocol-neutral shape of one reply.
 *
 * server/exec decides what to answer and fills a struct response; each
 * protocol's composer turns it into bytes. A VALUE response carries only the
 * header fields: the value bytes themselves are never copied by proto/ — the
 * caller sends them straight from item memory (see common/outq.h).
 */
#ifndef MNEMO_PROTO_RESPONSE_H
#define MNEMO_PROTO_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum response_kind {
    RSP_STORED,
    RSP_NOT_STORED,
    RSP_EXISTS,
    RSP_NOT_FOUND,
    RSP_DELETED,
    RSP_TOUCHED,
    RSP_OK,
    RSP_END,          /* end of a retrieval or of a stats listing */
    RSP_VALUE,        /* one hit: key, flags, vlen, and cas when with_cas */
    RSP_NUMBER,       /* incr/decr result */
    RSP_VERSION,      /* msg = version string */
    RSP_STAT,         /* msg = name, msg2 = value */
    RSP_ERROR,        /* unknown command; msg, if any, follows "ERROR" verbatim */
    RSP_CLIENT_ERROR, /* msg = reason */
    RSP_SERVER_ERROR, /* msg = reason */
    RSP_RESET,        /* "stats reset" done */
    RSP_MISS,         /* a retrieval found nothing: text says nothing, meta "EN", binary "Not found" */
    RSP_NOOP,         /* meta "MN", binary noop */
    RSP_DEBUG,        /* meta "me": msg = "exp=... la=... cas=... fetch=... cls=1 size=..." */
    RSP_LINE,         /* text only: msg is the whole reply line, verbatim ("BUSY ...",
                       * "NOSPARE ...", cache_memlimit's MEMLIMIT_* replies) */
    RSP_AUTH_DATA,    /* binary only: a SASL answer, msg its body ("PLAIN", "Authenticated") */
    RSP_KIND_COUNT
};

/* What went wrong, for protocols that report errors as codes (binary). The
 * text and meta protocols print msg. server/errors.c fills both. */
enum response_error {
    RSP_EOK = 0,
    RSP_EFORMAT,        /* malformed request: binary "Invalid arguments" */
    RSP_ETOO_LARGE,     /* binary "Too large." */
    RSP_ENOMEM,         /* binary "Out of memory" */
    RSP_ENON_NUMERIC,   /* binary "Non-numeric server-side value for incr or decr" */
    RSP_EBAD_CHUNK,     /* data block without its terminator */
    RSP_EUNKNOWN,       /* unknown command */
    RSP_ENOT_SUPPORTED, /* e.g. SASL before auth exists */
    RSP_EDISABLED,      /* a command switched off (-F flush_all, shutdown without -A) */
    RSP_EAUTH,          /* not authenticated, or the credentials are wrong */
    RSP_EAUTH_CONTINUE  /* SASL: a challenge (msg) goes back, the exchange goes on (0x21) */
};

struct request;

struct response {
    enum response_kind kind;
    enum response_error error;
    /* The request answered: meta composes its return flags and opaque from
     * it, binary its opcode, opaque and quiet mode. NULL for text. */
    const struct request *req;
    const char *key;
    size_t nkey;
    uint32_t flags;
    uint32_t vlen;
    uint64_t cas;
    bool with_cas;
    uint64_t number;
    const char *msg;
    size_t nmsg;
    const char *msg2;
    size_t nmsg2;
    /* item metadata for meta return flags */
    int64_t ttl;          /* t: seconds left, -1 = never expires */
    uint32_t last_access; /* l: seconds since last access */
    bool hit_before;      /* h */
    bool win;             /* W: this client should recache */
    bool stale;           /* X: the item is stale (invalidated) */
    bool won;             /* Z: another client already won */
    /* key is the stored item's (mg hit, me): meta echoes it the way it was
     * stored, base64 with " b" when key_binary, whatever the request used */
    bool key_item;
    bool key_binary;
};

#endif
