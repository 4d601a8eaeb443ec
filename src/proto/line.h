/*
 * line.h: what the text and meta protocols share, as both are lines on one
 * connection: finding a command line's end (memcached's limits on how long
 * one may grow) and the reply lines both speak alike (errors, VERSION,
 * STAT, RESET and whole lines).
 *
 * Pure: no sockets, no store, no allocation. text.c and meta.c include this;
 * neither includes the other's framing (text hands meta lines to meta.h one
 * way).
 */
#ifndef MNEMO_PROTO_LINE_H
#define MNEMO_PROTO_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "proto/request.h"
#include "proto/response.h"

enum parse_status { PARSE_OK = 0, PARSE_AGAIN = 1, PARSE_ERROR = -1 };

/* The names keep the text protocol's prefix: they are memcached's limits
 * for its text lines, which meta lines share. */
#define TEXT_LINE_MAX 2048         /* longest non-retrieval command line, as memcached */
/*
 * A get/gets line may be longer: memcached 1.6.45 lets it grow without any
 * bound (its read buffer is realloc'ed until the newline comes), and clients
 * send 60k keys and more in one line (pylibmc, python-memcache get_multi).
 * We serve such lines whole, as memcached does: answering keys before the
 * line ends could deadlock a client that writes the whole line before it
 * reads. But a client must not make the server buffer without bound, so a
 * line may hold 64 MiB: 250k keys of the longest length, 20 times what a
 * 60k-key multi-get of 20-byte keys takes. Past that the connection closes.
 */
#define TEXT_GET_LINE_MAX (64u << 20)

/*
 * Find the command line at buf[0..len). PARSE_OK: *line_len = its length
 * without "\n" or "\r\n", *consumed = with it. PARSE_AGAIN: no newline yet
 * within TEXT_LINE_MAX (TEXT_GET_LINE_MAX for a get/gets/gat/gats line when
 * long_get_ok). PARSE_ERROR: req->error = REQ_ELINE_TOO_LONG, *consumed = len.
 */
enum parse_status line_frame(struct request *req, const char *buf, size_t len, bool long_get_ok,
                             size_t *line_len, size_t *consumed);

/*
 * Write the reply lines text and meta share into buf: RSP_CLIENT_ERROR,
 * RSP_SERVER_ERROR and RSP_VERSION as "<WORD> <msg>\r\n" ("<WORD>\r\n" when
 * nmsg is 0); RSP_ERROR as "ERROR" and a non-empty msg verbatim, then
 * "\r\n"; RSP_STAT as "STAT <msg> <msg2>\r\n"; RSP_RESET; RSP_LINE as msg
 * and "\r\n". Returns the bytes written or, if cap is too small, the number
 * needed (nothing useful written); 0 for any other kind.
 */
size_t line_compose(const struct response *rsp, char *buf, size_t cap);

/* An upper bound on line_compose's output for rsp. */
size_t line_compose_bound(const struct response *rsp);

/* A reply is composed from pieces (a literal, a key, a number's digits):
 * their lengths are summed before a byte is written, so a reply that does
 * not fit its buffer costs no copy. Shared by the text and line composers;
 * inline, as the VALUE line of every hit is composed this way. */
struct line_piece {
    const char *s;
    size_t n;
};

#define LINE_PIECE(lit) { lit, sizeof(lit) - 1 }

/* Concatenate pieces into buf if they fit; returns the total either way. */
static inline size_t line_emit(char *buf, size_t cap, const struct line_piece *pc, size_t npc)
{
    size_t total = 0;

    for (size_t i = 0; i < npc; i++) {
        total += pc[i].n;
    }
    if (total > cap) {
        return total;
    }
    for (size_t i = 0; i < npc; i++) {
        if (pc[i].n > 0) {
            memcpy(buf, pc[i].s, pc[i].n);
            buf += pc[i].n;
        }
    }
    return total;
}

#endif
