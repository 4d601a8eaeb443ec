/*
 * binary.h: memcached's binary protocol (doc/protocol-binary.txt), parsed
 * into a struct request and composed from a struct response.
 *
 * Pure: no sockets, no store, no allocation. The parser reproduces what
 * memcached 1.6.18 accepts and refuses (see the table at the top of
 * binary.c); the composer writes reply packets into a caller-supplied buffer
 * with memcached's status codes and error bodies.
 */
#ifndef MNEMO_PROTO_BINARY_H
#define MNEMO_PROTO_BINARY_H

#include <stddef.h>
#include <stdint.h>

#include "proto/request.h"
#include "proto/response.h"
#include "proto/line.h" /* enum parse_status */

#define BINARY_HEADER_LEN 24
#define BINARY_MAGIC_REQ 0x80
#define BINARY_MAGIC_RES 0x81

/* Opcodes memcached knows (0x1b verbosity is listed in the spec but
 * memcached 1.6 answers it "Unknown command", and so do we). */
enum binary_opcode {
    BINARY_OP_GET = 0x00,
    BINARY_OP_SET = 0x01,
    BINARY_OP_ADD = 0x02,
    BINARY_OP_REPLACE = 0x03,
    BINARY_OP_DELETE = 0x04,
    BINARY_OP_INCREMENT = 0x05,
    BINARY_OP_DECREMENT = 0x06,
    BINARY_OP_QUIT = 0x07,
    BINARY_OP_FLUSH = 0x08,
    BINARY_OP_GETQ = 0x09,
    BINARY_OP_NOOP = 0x0a,
    BINARY_OP_VERSION = 0x0b,
    BINARY_OP_GETK = 0x0c,
    BINARY_OP_GETKQ = 0x0d,
    BINARY_OP_APPEND = 0x0e,
    BINARY_OP_PREPEND = 0x0f,
    BINARY_OP_STAT = 0x10,
    BINARY_OP_SETQ = 0x11,
    BINARY_OP_ADDQ = 0x12,
    BINARY_OP_REPLACEQ = 0x13,
    BINARY_OP_DELETEQ = 0x14,
    BINARY_OP_INCREMENTQ = 0x15,
    BINARY_OP_DECREMENTQ = 0x16,
    BINARY_OP_QUITQ = 0x17,
    BINARY_OP_FLUSHQ = 0x18,
    BINARY_OP_APPENDQ = 0x19,
    BINARY_OP_PREPENDQ = 0x1a,
    BINARY_OP_TOUCH = 0x1c,
    BINARY_OP_GAT = 0x1d,
    BINARY_OP_GATQ = 0x1e,
    BINARY_OP_SASL_LIST_MECHS = 0x20,
    BINARY_OP_SASL_AUTH = 0x21,
    BINARY_OP_SASL_STEP = 0x22,
    BINARY_OP_GATK = 0x23,
    BINARY_OP_GATKQ = 0x24
};

/* Response status codes (the header's vbucket field in a response). */
enum binary_status {
    BINARY_STATUS_OK = 0x0000,
    BINARY_STATUS_KEY_ENOENT = 0x0001,    /* "Not found" */
    BINARY_STATUS_KEY_EEXISTS = 0x0002,   /* "Data exists for key." */
    BINARY_STATUS_E2BIG = 0x0003,         /* "Too large." */
    BINARY_STATUS_EINVAL = 0x0004,        /* "Invalid arguments" */
    BINARY_STATUS_NOT_STORED = 0x0005,    /* "Not stored." */
    BINARY_STATUS_DELTA_BADVAL = 0x0006,  /* "Non-numeric server-side value for incr or decr" */
    BINARY_STATUS_AUTH_ERROR = 0x0020,    /* "Auth failure." (also: flush disabled by -F) */
    BINARY_STATUS_AUTH_CONTINUE = 0x0021, /* SASL: a challenge in the body, a step to follow */
    BINARY_STATUS_UNKNOWN_COMMAND = 0x0081, /* "Unknown command" */
    BINARY_STATUS_ENOMEM = 0x0082,        /* "Out of memory ..." */
    BINARY_STATUS_NOT_SUPPORTED = 0x0083, /* "Not supported" */
    BINARY_STATUS_EINTERNAL = 0x0084      /* "Internal error" */
};

/*
 * Parse one request packet at buf[0..len).
 *
 * PARSE_AGAIN: the 24-byte header, or the extras and key it announces, are
 * not all in yet (nothing consumed). Errors that the header alone reveals are
 * reported as soon as the header is in, without waiting for the key.
 *
 * PARSE_OK: *consumed = 24 + extras + key. req->proto = REQ_PROTO_BINARY and
 * opcode, opaque32, cas, quiet are set; the opcode is mapped onto a
 * request_cmd (table in binary.c). req->vlen = bytes of the body that follow,
 * NOT consumed, for exactly these commands:
 *  - storage (REQ_SET/ADD/REPLACE/APPEND/PREPEND/CAS): the value, read like a
 *    text data block but with no "\r\n" after it;
 *  - REQ_SASL_AUTH / REQ_SASL_STEP: the auth data;
 *  - REQ_UNKNOWN_OPCODE: the rest of the body, which the caller skips after
 *    answering "Unknown command" (the stream stays in step).
 * For every other command vlen is 0. memcached does not check the body length
 * of stat/touch/gat*: surplus bytes there are left in the stream and parsed
 * as the next packet, exactly as memcached does.
 *
 * PARSE_ERROR: req->error says why, and opcode/opaque32 are set so that the
 * reply echoes them. Every binary PARSE_ERROR ends the connection, as in
 * memcached: REQ_EBAD_MAGIC closes with no reply; REQ_EUNKNOWN (key + extras
 * longer than the body) replies "Unknown command" and closes; REQ_EFORMAT
 * (lengths wrong for the opcode) and REQ_EKEY_TOO_LONG (key over 250 bytes)
 * reply "Invalid arguments" and close. *consumed = the header (24).
 *
 * Pointers in *req (key, keys, arg) point into buf. Never blocks, never
 * allocates.
 */
enum parse_status binary_parse(struct request *req, const char *buf, size_t len, size_t *consumed);

/*
 * Write the reply packet for rsp (rsp->req is the binary request it answers;
 * its opcode and opaque are echoed). Returns the bytes written, or, if cap is
 * too small, the bytes needed (nothing useful written). Returns 0 where
 * memcached sends nothing: the success replies of quiet opcodes
 * (setq/addq/..., deleteq, incrq/decrq, flushq, quitq), retrieval misses of
 * getq/getkq/gatq/gatkq, RSP_END outside a stat listing, RSP_DEBUG.
 *
 * RSP_VALUE: header + 4 bytes of flags + key (k-variants only); the header's
 * body length counts rsp->vlen more bytes, which the caller sends from item
 * memory. The rest of the reply rules (what exec must fill in) are listed at
 * the top of binary.c.
 */
size_t binary_compose(const struct response *rsp, char *buf, size_t cap);

/* An upper bound on binary_compose's output for rsp, for sizing buf. */
size_t binary_compose_bound(const struct response *rsp);

#endif
