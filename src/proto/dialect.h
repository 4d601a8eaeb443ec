/*
 * dialect.h: each wire protocol as a table of what a front end needs from
 * it, so server/ plugs protocols in (as twemproxy does) instead of
 * branching on the dialect: the parser, the composer, and how a value is
 * framed on the wire.
 *
 * A connection speaks one dialect, text (whose parser also reads the
 * two-letter meta commands) or binary; server/reqloop.c picks its table
 * once, from the first byte. Each reply is composed by the table of the
 * request it answers (proto_for_request), so a meta request on a text
 * connection is answered in meta.
 *
 * What stays inside the composers: the quiet rules of meta q and of the
 * binary quiet opcodes (a reply they drop composes to 0 bytes). The text
 * noreply is a request-model bit (request.noreply) the reply sink honours.
 *
 * Pure: no I/O, no state; the tables are constant.
 */
#ifndef MNEMO_PROTO_DIALECT_H
#define MNEMO_PROTO_DIALECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/request.h"
#include "proto/response.h"
#include "proto/text.h" /* enum parse_status */

struct proto_ops {
    /* One request at buf[0..len): the contract of text_parse / binary_parse. */
    enum parse_status (*parse)(struct request *req, const char *buf, size_t len, size_t *consumed);
    /* An upper bound on compose's output, then the reply itself: the
     * contract of text_compose / meta_compose / binary_compose (0 bytes: a
     * reply the dialect keeps quiet). */
    size_t (*compose_bound)(const struct response *rsp);
    size_t (*compose)(const struct response *rsp, char *buf, size_t cap);
    /* Bytes of "\r\n" that end a value on the wire, both ways: 2 for text
     * and meta (a data block's terminator, a VALUE's trailer), 0 for binary
     * (lengths frame the value). Item memory always keeps a "\r\n" after
     * the value, so a front end adds it where the wire has none. */
    uint8_t value_crlf;
    /* Requests are lines ended by "\n": a line still coming in may be
     * scanned for its end incrementally (text). */
    bool line_framed;
    /* A request may carry a body its command does not use (binary: an
     * unknown opcode's, SASL data), vlen bytes to skip after it. */
    bool body_follows;
};

extern const struct proto_ops proto_text_ops;
extern const struct proto_ops proto_meta_ops;
extern const struct proto_ops proto_binary_ops;

/* The table indexed by enum request_proto. */
extern const struct proto_ops *const proto_ops_by_request[3];

/* The table that composes the replies to req. */
static inline const struct proto_ops *proto_for_request(const struct request *req)
{
    return proto_ops_by_request[req->proto];
}

#endif
