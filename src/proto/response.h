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
    RSP_KIND_COUNT
};

struct response {
    enum response_kind kind;
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
};

#endif
