/*
 * proto_redis.c: Redis's RESP2 with the same meaning as the memcached
 * protocols' get/set, so one load generator drives both servers at the same
 * keys, values, pipeline depth and mix (issue 19's Redis anchor):
 * "*2 $3 GET $n key" and "*3 $3 SET $n key $n value", each as a RESP array
 * of bulk strings.  Replies: "+OK" stored, "$n" + data a hit, "$-1" a miss,
 * "-ERR ..." an error reply; anything else (integers, arrays) is not what
 * GET or SET answer and stops the run as a protocol error.
 */
#include "proto.h"

#include <string.h>

enum { REDIS_LINE = 0, REDIS_DATA = 1 };

/* "$<n>\r\n<bytes>\r\n" */
static char *put_bulk(char *o, const char *s, size_t n)
{
    *o++ = '$';
    o = proto_put_u64(o, n);
    o = proto_put(o, "\r\n", 2);
    o = proto_put(o, s, n);
    return proto_put(o, "\r\n", 2);
}

size_t redis_encode_get(char *out, const char *key, size_t klen, uint32_t opaque)
{
    (void)opaque;
    char *o = proto_put(out, "*2\r\n$3\r\nGET\r\n", 13);
    o = put_bulk(o, key, klen);
    return (size_t)(o - out);
}

size_t redis_encode_set(char *out, const char *key, size_t klen, const char *value, size_t vlen,
                        uint32_t opaque)
{
    (void)opaque;
    char *o = proto_put(out, "*3\r\n$3\r\nSET\r\n", 13);
    o = put_bulk(o, key, klen);
    o = put_bulk(o, value, vlen);
    return (size_t)(o - out);
}

int redis_parse(struct resp_parser *p, const char *buf, size_t len, resp_fn cb, void *ctx)
{
    size_t pos = 0;
    while (pos < len) {
        if (p->state == REDIS_DATA) {
            if (!proto_skip(p, len, &pos))
                return 0;
            p->state = REDIS_LINE;
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
        if (n == 0) {
            p->error = "empty reply line";
            return -1;
        }
        switch (line[0]) {
        case '+': /* a simple string: SET's OK */
            cb(ctx, RESP_STORED);
            break;
        case '-': /* -ERR, -WRONGTYPE, -OOM, -MISCONF ... */
            cb(ctx, RESP_ERROR);
            break;
        case '$':
            if (n == 3 && line[1] == '-' && line[2] == '1') {
                cb(ctx, RESP_MISS); /* the null bulk string */
                break;
            }
            {
                int64_t bytes = proto_parse_u64(line + 1, n - 1);
                if (bytes < 0) {
                    p->error = "bad bulk string length";
                    return -1;
                }
                p->skip = (uint64_t)bytes + 2;
                p->state = REDIS_DATA;
            }
            break;
        default:
            p->error = "unexpected reply type (want +, -, or $)";
            return -1;
        }
    }
    return 0;
}
