/*
 * proto_text.c: the classic memcached text protocol ("get k", "set k 0 0 n"),
 * one key per get.  A get's reply is an optional VALUE block then END.
 */
#include "proto.h"

#include <string.h>

enum { TEXT_LINE = 0, TEXT_DATA = 1 };

size_t text_encode_get(char *out, const char *key, size_t klen, uint32_t opaque)
{
    char *o = proto_put(out, "get ", 4);
    o = proto_put(o, key, klen);
    o = proto_put(o, "\r\n", 2);
    return (size_t)(o - out);
}

size_t text_encode_set(char *out, const char *key, size_t klen, const char *value, size_t vlen,
                       uint32_t opaque)
{
    char *o = proto_put(out, "set ", 4);
    o = proto_put(o, key, klen);
    o = proto_put(o, " 0 0 ", 5);
    o = proto_put_u64(o, vlen);
    o = proto_put(o, "\r\n", 2);
    o = proto_put(o, value, vlen);
    o = proto_put(o, "\r\n", 2);
    return (size_t)(o - out);
}

static int is(const char *line, size_t n, const char *word)
{
    size_t w = strlen(word);
    return n >= w && memcmp(line, word, w) == 0 && (n == w || line[w] == ' ');
}

/* "VALUE <key> <flags> <bytes> [<cas>]": the byte count, or -1 */
static int64_t value_bytes(const char *line, size_t n)
{
    size_t i = 0, field = 0;
    while (i < n) {
        while (i < n && line[i] == ' ')
            i++;
        size_t start = i;
        while (i < n && line[i] != ' ')
            i++;
        if (i > start && ++field == 4)
            return proto_parse_u64(line + start, i - start);
    }
    return -1;
}

int text_parse(struct resp_parser *p, const char *buf, size_t len, resp_fn cb, void *ctx)
{
    size_t pos = 0;
    while (pos < len) {
        if (p->state == TEXT_DATA) {
            if (!proto_skip(p, len, &pos))
                return 0;
            p->state = TEXT_LINE;
            continue;
        }
        const char *line;
        size_t n;
        int r = proto_take_line(p, buf, len, &pos, &line, &n);
        if (r == 0)
            return 0;
        if (r < 0) {
            p->error = "reply line too long";
            return -1;
        }
        if (is(line, n, "VALUE")) {
            int64_t bytes = value_bytes(line, n);
            if (bytes < 0 || p->value_seen) {
                p->error = "bad VALUE line";
                return -1;
            }
            p->value_seen = 1;
            p->skip = (uint64_t)bytes + 2;
            p->state = TEXT_DATA;
        } else if (is(line, n, "END")) {
            enum resp_kind k = p->value_seen ? RESP_HIT : RESP_MISS;
            p->value_seen = 0;
            cb(ctx, k);
        } else if (p->value_seen) {
            p->error = "expected END after a value";
            return -1;
        } else if (is(line, n, "STORED")) {
            cb(ctx, RESP_STORED);
        } else if (is(line, n, "NOT_STORED") || is(line, n, "EXISTS") || is(line, n, "NOT_FOUND")) {
            cb(ctx, RESP_NOT_STORED);
        } else if (is(line, n, "ERROR") || is(line, n, "CLIENT_ERROR") ||
                   is(line, n, "SERVER_ERROR")) {
            cb(ctx, RESP_ERROR);
        } else {
            p->error = "unexpected reply line";
            return -1;
        }
    }
    return 0;
}
