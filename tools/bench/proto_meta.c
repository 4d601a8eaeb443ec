/*
 * proto_meta.c: the meta protocol with the same meaning as the text
 * protocol's get/set: "mg <key> v" (reply VA <n> / EN) and
 * "ms <key> <n>" (reply HD / NS / EX / NF).
 */
#include "proto.h"

#include <string.h>

enum { META_LINE = 0, META_DATA = 1 };

size_t meta_encode_get(char *out, const char *key, size_t klen, uint32_t opaque)
{
    char *o = proto_put(out, "mg ", 3);
    o = proto_put(o, key, klen);
    o = proto_put(o, " v\r\n", 4);
    return (size_t)(o - out);
}

size_t meta_encode_set(char *out, const char *key, size_t klen, const char *value, size_t vlen,
                       uint32_t opaque)
{
    char *o = proto_put(out, "ms ", 3);
    o = proto_put(o, key, klen);
    *o++ = ' ';
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

int meta_parse(struct resp_parser *p, const char *buf, size_t len, resp_fn cb, void *ctx)
{
    size_t pos = 0;
    while (pos < len) {
        if (p->state == META_DATA) {
            if (!proto_skip(p, len, &pos))
                return 0;
            p->state = META_LINE;
            cb(ctx, RESP_HIT);
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
        if (is(line, n, "VA")) {
            size_t end = 3;
            while (end < n && line[end] != ' ')
                end++;
            int64_t bytes = n > 3 ? proto_parse_u64(line + 3, end - 3) : -1;
            if (bytes < 0) {
                p->error = "bad VA line";
                return -1;
            }
            p->skip = (uint64_t)bytes + 2;
            p->state = META_DATA;
        } else if (is(line, n, "EN")) {
            cb(ctx, RESP_MISS);
        } else if (is(line, n, "HD")) {
            cb(ctx, RESP_STORED);
        } else if (is(line, n, "NS") || is(line, n, "EX") || is(line, n, "NF")) {
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
