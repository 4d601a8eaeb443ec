/*
 * proto.c: the protocol table and the pieces the parsers share.
 */
#include "proto.h"

#include <string.h>

static const struct proto_ops protos[] = {
    [PROTO_TEXT] = {"text", text_encode_get, text_encode_set, text_parse},
    [PROTO_META] = {"meta", meta_encode_get, meta_encode_set, meta_parse},
    [PROTO_BINARY] = {"binary", binary_encode_get, binary_encode_set, binary_parse},
    [PROTO_REDIS] = {"redis", redis_encode_get, redis_encode_set, redis_parse},
};

const struct proto_ops *proto_ops_of(enum proto_kind kind)
{
    if ((unsigned)kind >= sizeof(protos) / sizeof(protos[0]))
        return &protos[PROTO_TEXT];
    return &protos[kind];
}

void resp_parser_init(struct resp_parser *p)
{
    memset(p, 0, sizeof(*p) - sizeof(p->line));
}

int proto_take_line(struct resp_parser *p, const char *buf, size_t len, size_t *pos,
                    const char **line, size_t *line_len)
{
    const char *start = buf + *pos;
    size_t avail = len - *pos;
    const char *nl = memchr(start, '\n', avail);
    if (!nl) {
        if (p->line_len + avail > PROTO_LINE_MAX)
            return -1;
        memcpy(p->line + p->line_len, start, avail);
        p->line_len += avail;
        *pos = len;
        return 0;
    }
    size_t n = (size_t)(nl - start);
    *pos += n + 1;
    if (p->line_len) {
        /* the line began in an earlier buffer: finish it in p->line */
        if (p->line_len + n > PROTO_LINE_MAX)
            return -1;
        memcpy(p->line + p->line_len, start, n);
        n += p->line_len;
        start = p->line;
        p->line_len = 0;
    }
    if (n && start[n - 1] == '\r')
        n--;
    *line = start;
    *line_len = n;
    return 1;
}

int proto_skip(struct resp_parser *p, size_t len, size_t *pos)
{
    size_t avail = len - *pos;
    if (avail >= p->skip) {
        *pos += (size_t)p->skip;
        p->skip = 0;
        return 1;
    }
    p->skip -= avail;
    *pos = len;
    return 0;
}

int64_t proto_parse_u64(const char *s, size_t n)
{
    if (n == 0 || n > 19)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}
