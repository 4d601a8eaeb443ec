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

#include "proto/request.h"
#include "proto/response.h"

enum parse_status { PARSE_OK = 0, PARSE_AGAIN = 1, PARSE_ERROR = -1 };

#define TEXT_LINE_MAX 2048         /* longest non-retrieval command line, as memcached */
#define TEXT_GET_LINE_MAX (1u<<20) /* multi-get lines may be long (memcached lets them grow) */

/*
 * Parse one command line at buf[0..len). PARSE_OK: *consumed = bytes of the line
 * including its "\n" (a preceding "\r" is optional, as memcached); for storage
 * commands the data block of req->vlen + 2 bytes follows and is NOT consumed.
 * PARSE_AGAIN: no complete line yet (nothing consumed). PARSE_ERROR: req->error
 * says why and *consumed = bytes of the bad line to skip; for REQ_ELINE_TOO_LONG
 * (no newline within TEXT_LINE_MAX, or TEXT_GET_LINE_MAX for get/gets/gat/gats
 * lines) the caller replies and closes the connection.
 *
 * Details the caller must know (all observed on memcached 1.6.18):
 *  - On PARSE_ERROR req->cmd is the command if it was recognised, and
 *    req->noreply is set when memcached had already seen a trailing
 *    "noreply": memcached then sends NOTHING for the error. For a storage
 *    command the data block is not swallowed: the next parse sees it as a
 *    command line (memcached answers "ERROR" for it).
 *  - REQ_ELINE_TOO_LONG: memcached closes without any reply; *consumed = len.
 *  - gat/gats with no key after the exptime is valid (nkeys == 0): "END".
 *  - stats and shutdown put everything after the command, trimmed of ' ',
 *    in req->arg/narg; server/ decides what is valid (memcached checks
 *    "shutdown not enabled" before the mode).
 *  - Numbers are read as memcached's safe_strto*() do ("+5", "\t5" and
 *    "5\tjunk" are 5), except that flags above 2^32-1 and bytes or exptime
 *    outside int32 are refused where 1.6.18 truncates them (proto/number.h).
 *
 * Pointers in *req point into buf. Never blocks, never allocates.
 */
enum parse_status text_parse(struct request *req, const char *buf, size_t len, size_t *consumed);

/*
 * The line framing text_parse and meta_parse share: find the command line at
 * buf[0..len). PARSE_OK: *line_len = its length without "\n" or "\r\n",
 * *consumed = with it. PARSE_AGAIN: no newline yet within TEXT_LINE_MAX
 * (TEXT_GET_LINE_MAX for a get/gets line when long_get_ok). PARSE_ERROR:
 * req->error = REQ_ELINE_TOO_LONG, *consumed = len.
 */
enum parse_status text_frame(struct request *req, const char *buf, size_t len, bool long_get_ok,
                             size_t *line_len, size_t *consumed);

/*
 * Write the reply line(s) for rsp into buf. For RSP_VALUE only the header line
 * "VALUE <key> <flags> <bytes>[ <cas>]\r\n" is written: the caller sends the value
 * bytes and their "\r\n" itself, from item memory. Returns the number of bytes
 * written, or, if cap is too small, the number needed (nothing useful written).
 *
 * RSP_CLIENT_ERROR/RSP_SERVER_ERROR/RSP_VERSION write "<WORD> <msg>\r\n"
 * ("<WORD>\r\n" when nmsg is 0), without the space when msg opens with ':'
 * (memcached 1.6.45's "SERVER_ERROR: shutdown not enabled" is msg ": shutdown
 * not enabled"). RSP_ERROR writes "ERROR\r\n"; a non-empty msg is appended
 * verbatim after "ERROR".
 */
size_t text_compose(const struct response *rsp, char *buf, size_t cap);

/* An upper bound on text_compose's output for rsp, for sizing buf. */
size_t text_compose_bound(const struct response *rsp);

#endif
