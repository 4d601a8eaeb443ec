/*
 * line.c: see line.h. The framing of a command line and the reply lines the
 * text and meta protocols share; knows no command.
 */
#include "proto/line.h"

#include <string.h>

#define CMD_IS(s, lit) (memcmp((s), lit, sizeof(lit) - 1) == 0)

/*
 * memcached's rule for a buffer with no newline (try_read_command_ascii):
 * over 2048 bytes it closes the connection, without a reply, unless, after
 * at most 100 leading spaces, the line starts "get " or "gets ". We also let
 * gat/gats lines grow: memcached (1.6.18 and 1.6.45) closes those, though it
 * serves the same line when it arrives in one read (differences.DEVIATIONS).
 * Called only with len > 2048.
 */
static bool is_long_get(const char *buf, size_t len)
{
    size_t i = 0;

    while (i < len && buf[i] == ' ') {
        i++;
    }
    if (i > 100 || len - i < 5) {
        return false;
    }
    const char *p = buf + i;
    return CMD_IS(p, "get ") || CMD_IS(p, "gets ") || CMD_IS(p, "gat ") || CMD_IS(p, "gats ");
}

enum parse_status line_frame(struct request *req, const char *buf, size_t len, bool long_get_ok,
                             size_t *line_len, size_t *consumed)
{
    size_t scan = len < TEXT_GET_LINE_MAX ? len : TEXT_GET_LINE_MAX;
    const char *nl = memchr(buf, '\n', scan);

    *consumed = 0;
    if (nl == NULL) {
        if (len <= TEXT_LINE_MAX ||
            (long_get_ok && len < TEXT_GET_LINE_MAX && is_long_get(buf, len))) {
            return PARSE_AGAIN;
        }
        req->error = REQ_ELINE_TOO_LONG;
        *consumed = len;
        return PARSE_ERROR;
    }
    size_t n = (size_t)(nl - buf);
    *consumed = n + 1;
    if (n > 0 && buf[n - 1] == '\r') {
        n--;
    }
    *line_len = n;
    return PARSE_OK;
}

static const struct line_piece word[RSP_KIND_COUNT] = {
    [RSP_RESET] = LINE_PIECE("RESET\r\n"),
    [RSP_VERSION] = LINE_PIECE("VERSION"),
    [RSP_STAT] = LINE_PIECE("STAT "),
    [RSP_ERROR] = LINE_PIECE("ERROR"),
    [RSP_CLIENT_ERROR] = LINE_PIECE("CLIENT_ERROR"),
    [RSP_SERVER_ERROR] = LINE_PIECE("SERVER_ERROR"),
};

static const struct line_piece crlf = LINE_PIECE("\r\n");
static const struct line_piece space = LINE_PIECE(" ");

size_t line_compose(const struct response *rsp, char *buf, size_t cap)
{
    struct line_piece pc[5];
    size_t np = 0;

    switch (rsp->kind) {
    case RSP_STAT:
        pc[np++] = word[RSP_STAT];
        pc[np++] = (struct line_piece){ rsp->msg, rsp->nmsg };
        pc[np++] = space;
        pc[np++] = (struct line_piece){ rsp->msg2, rsp->nmsg2 };
        pc[np++] = crlf;
        break;
    case RSP_ERROR:
        pc[np++] = word[RSP_ERROR];
        pc[np++] = (struct line_piece){ rsp->msg, rsp->msg != NULL ? rsp->nmsg : 0 };
        pc[np++] = crlf;
        break;
    case RSP_LINE:
    case RSP_AUTH_DATA: /* (SASL is binary only: never sent on a text connection) */
        pc[np++] = (struct line_piece){ rsp->msg, rsp->msg != NULL ? rsp->nmsg : 0 };
        pc[np++] = crlf;
        break;
    case RSP_VERSION:
    case RSP_CLIENT_ERROR:
    case RSP_SERVER_ERROR:
        pc[np++] = word[rsp->kind];
        if (rsp->msg != NULL && rsp->nmsg > 0) {
            pc[np++] = space;
            pc[np++] = (struct line_piece){ rsp->msg, rsp->nmsg };
        }
        pc[np++] = crlf;
        break;
    case RSP_RESET:
        pc[np++] = word[RSP_RESET];
        break;
    default:
        return 0;
    }
    return line_emit(buf, cap, pc, np);
}

size_t line_compose_bound(const struct response *rsp)
{
    switch (rsp->kind) {
    case RSP_STAT:
        return 5 + rsp->nmsg + 1 + rsp->nmsg2 + 2;
    case RSP_LINE:
    case RSP_AUTH_DATA:
        return (rsp->msg != NULL ? rsp->nmsg : 0) + 2;
    case RSP_ERROR:
    case RSP_VERSION:
    case RSP_CLIENT_ERROR:
    case RSP_SERVER_ERROR:
        return word[rsp->kind].n + 1 + rsp->nmsg + 2;
    case RSP_RESET:
        return word[RSP_RESET].n;
    default:
        return 0;
    }
}
