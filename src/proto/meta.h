/*
 * meta.h: memcached's meta protocol (mg, ms, md, ma, mn, me), parsed into a
 * struct request and composed from a struct response.
 *
 * Pure: no sockets, no store, no allocation. memcached serves meta and
 * classic text commands on one connection, so text_parse() hands every line
 * whose command token is two bytes starting with 'm' to meta_parse_line();
 * meta_parse() is the same thing for callers that know they hold a meta
 * line. The grammar and replies are memcached 1.6.45's (table atop meta.c).
 */
#ifndef MNEMO_PROTO_META_H
#define MNEMO_PROTO_META_H

#include <stdbool.h>
#include <stddef.h>

#include "proto/line.h"
#include "proto/request.h"
#include "proto/response.h"

/* memcached's MFLAG_MAX_OPAQUE_LENGTH: the O token, 'O' included. */
#define META_OPAQUE_MAX 32

/*
 * Parse one meta command line at buf[0..len): the contract of text_parse()
 * (PARSE_OK with *consumed = the line including "\n"; PARSE_AGAIN; PARSE_ERROR
 * with req->error and *consumed = the bad line, or all of buf for
 * REQ_ELINE_TOO_LONG). For ms the data block of req->vlen + 2 bytes follows
 * the line and is not consumed. Sets req->proto = REQ_PROTO_META. A line
 * that is not a meta command is REQ_EUNKNOWN.
 *
 * What the request holds (pointers into buf, or into req->keybuf):
 *  - key/nkey (nkeys 1): the key, base64-decoded into keybuf when 'b' was
 *    given (key_binary). keys/nkeys_text are left empty: a decoded key may
 *    hold ' ', so request_key_next() must not split it.
 *  - mflags: one REQ_MFLAG() bit per flag given; mflag_text/nmflag_text the
 *    flag tokens as sent, which meta_compose() walks to echo return flags
 *    in the order asked.
 *  - T -> exptime + has_exptime, N -> vivify_ttl, R -> recache_ttl (as sent,
 *    int32), F -> flags, C -> cas, E -> new_cas, J -> initial, D -> delta
 *    (ma: 1 when absent), q -> quiet, O -> opaque (the bytes after 'O',
 *    maybe empty), ms datalen -> vlen.
 *  - mode: ms S (default)/E/A/P/R; ma INCR (default, 'I' or '+')/DECR
 *    ('D' or '-'); NONE for the other commands (memcached ignores M there).
 *
 * Errors are always answered, q or not (memcached's out_errstring()); see
 * enum request_error for each one's reply. Where an ms line fails after its
 * datalen was read, memcached swallows the data block: see
 * meta_error_swallows().
 */
enum parse_status meta_parse(struct request *req, const char *buf, size_t len, size_t *consumed);

/*
 * Parse one complete line (without "\n" and its "\r") into a zeroed *req;
 * returns REQ_EOK or the error. text_parse() calls this for lines whose
 * first token is two bytes starting with 'm'.
 */
enum request_error meta_parse_line(struct request *req, const char *line, size_t n);

/*
 * After a PARSE_ERROR: must the caller skip req->vlen + 2 bytes of data block
 * after the line (and answer the error once they are read)? True for ms
 * lines that failed after their datalen token was read, as memcached then
 * swallows the block (conn_swallow); false for every other error, where the
 * block, if any, is read as the next command line.
 */
bool meta_error_swallows(const struct request *req);

/*
 * Compose the reply for rsp (rsp->req is the meta request answered) into
 * buf. Returns bytes written, or, if cap is too small, the number needed
 * (nothing useful written). Returns 0 when memcached sends nothing (q).
 *
 * Status code by rsp->kind:
 *   RSP_VALUE         mg hit: "VA <vlen>" when the request has 'v', else "HD".
 *                     Only the header line is written: the caller sends the
 *                     <vlen> value bytes and "\r\n" from item memory.
 *   RSP_NUMBER        ma success: "VA <len> <flags>\r\n<number>\r\n" whole when
 *                     'v' was asked, else "HD <flags>\r\n".
 *   RSP_STORED, RSP_DELETED, RSP_TOUCHED, RSP_OK   "HD"
 *   RSP_NOT_STORED "NS", RSP_EXISTS "EX", RSP_NOT_FOUND "NF"
 *   RSP_MISS, RSP_END "EN" (mg miss; me miss)
 *   RSP_NOOP          "MN"
 *   RSP_DEBUG         "ME <key> <msg>" (key base64 when the request had 'b')
 *   RSP_CLIENT_ERROR, RSP_SERVER_ERROR, RSP_ERROR: as text_compose() (both
 *                     write them with line_compose(), proto/line.h).
 *
 * Return flags, in the order the request gave them (memcached 1.6.45):
 *   mg hit   s (vlen) t (ttl, -1 = none) c (cas) f (flags) l (last_access)
 *            h (hit_before 0/1) O (opaque) k (key, then " b" if binary);
 *            then " Z" (won), " X" (stale), " W" (win) in that order.
 *   mg miss  O, k.       ms  O, k, c (rsp->cas: 0 unless stored), s (stored size:
 *                        rsp->vlen when stored, else the size sent).
 *   md       O, k.       ma success: c, t, O, k; ma NF/EX/NS: O, k.
 * mg hits and me echo the key the way the item stored it (rsp->key_item,
 * rsp->key_binary: base64 and " b" if it was stored with 'b', plain if not,
 * whatever the request used), as memcached does; every other reply echoes
 * it the way the request spelled it.
 *
 * Quiet (q) drops exactly what memcached 1.6.45 drops: mg EN; ms HD; md HD;
 * ma HD/VA, also when N just created the item (1.6.18 sent that one). mg
 * hits ("HD"/"VA"), NS, EX, NF (also for md and ma), MN, ME and all errors
 * are always sent.
 */
size_t meta_compose(const struct response *rsp, char *buf, size_t cap);

/* An upper bound on meta_compose's output for rsp, for sizing buf. */
size_t meta_compose_bound(const struct response *rsp);

#endif
