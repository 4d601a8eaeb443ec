/*
 * text.h: memcached's classic text protocol, parsed into a struct request
 * and composed from a struct response.
 *
 * Pure: no sockets, no store, no allocation. The parser reproduces memcached
 * 1.6's grammar and its quirks (see the table at the top of text.c); the
 * composer writes reply lines into a caller-supplied buffer.
 */
#ifndef MNEMO_PROTO_TEXT_H
#define MNEMO_PROTO_TEXT_H

#include <stddef.h>

#include "proto/line.h" /* enum parse_status, TEXT_LINE_MAX, TEXT_GET_LINE_MAX */
#include "proto/request.h"
#include "proto/response.h"

/*
 * Parse one command line at buf[0..len). PARSE_OK: *consumed = bytes of the line
 * including its "\n" (a preceding "\r" is optional, as memcached); for storage
 * commands the data block of req->vlen + 2 bytes follows and is NOT consumed.
 * PARSE_AGAIN: no complete line yet (nothing consumed). PARSE_ERROR: req->error
 * says why and *consumed = bytes of the bad line to skip; for REQ_ELINE_TOO_LONG
 * (no newline within TEXT_LINE_MAX, or TEXT_GET_LINE_MAX for get/gets/gat/gats
 * lines) and REQ_EHTTP (an HTTP request line) the caller closes the
 * connection without a reply, as memcached 1.6.45 does.
 *
 * Details the caller must know (observed on memcached 1.6.18, and on 1.6.45
 * where it differs):
 *  - On PARSE_ERROR req->cmd is the command if it was recognised, and
 *    req->noreply is set when memcached had already seen a trailing
 *    "noreply": memcached then sends NOTHING for the error. For a storage
 *    command whose data length was read, req->swallow_on_error is set and
 *    req->vlen holds it: the caller skips the data block (vlen + 2 bytes),
 *    as memcached 1.6.45 does, so a value is never run as commands.
 *  - REQ_ELINE_TOO_LONG: memcached closes without any reply; *consumed = len.
 *  - stats, shutdown and the operator commands (slabs, lru, lru_crawler,
 *    watch) put everything after the command, trimmed of ' ', in
 *    req->arg/narg; server/ decides what is valid (memcached checks
 *    "shutdown not enabled" before the mode; proto/admin.h reads the
 *    operator commands' arguments).
 *  - Numbers follow memcached 1.6.45 (the table atop text.c): strict digits
 *    for most fields, safe_strto*() for a storage line's flags and exptime,
 *    except that flags above 2^32-1 and an exptime outside int32 are refused
 *    where memcached truncates them (proto/number.h).
 *  - Keys may hold any byte but ' ' (NUL and tabs included).
 *
 * Pointers in *req point into buf. Never blocks, never allocates.
 */
enum parse_status text_parse(struct request *req, const char *buf, size_t len, size_t *consumed);

/*
 * Write the reply line(s) for rsp into buf. For RSP_VALUE only the header line
 * "VALUE <key> <flags> <bytes>[ <cas>]\r\n" is written: the caller sends the value
 * bytes and their "\r\n" itself, from item memory. Returns the number of bytes
 * written, or, if cap is too small, the number needed (nothing useful written).
 *
 * RSP_CLIENT_ERROR/RSP_SERVER_ERROR/RSP_VERSION write "<WORD> <msg>\r\n"
 * ("<WORD>\r\n" when nmsg is 0). RSP_ERROR writes "ERROR\r\n"; a non-empty msg
 * is appended verbatim after "ERROR" (memcached 1.6.18's "ERROR: shutdown not
 * enabled" was msg ": shutdown not enabled"). RSP_LINE writes msg and
 * "\r\n": a whole reply line of its own ("SERVER_ERROR: shutdown not
 * enabled", "NOSPARE source class has no spare pages").
 */
size_t text_compose(const struct response *rsp, char *buf, size_t cap);

/* An upper bound on text_compose's output for rsp, for sizing buf. */
size_t text_compose_bound(const struct response *rsp);

#endif
