/*
 * proto_binary.c: the memcached binary protocol's GET (0x00) and SET (0x01).
 * Every reply is a 24-byte header then a body of bodylen bytes; the reply
 * is complete once the body has been skipped.
 */
#include "proto.h"

#include <string.h>

#define BIN_REQ 0x80
#define BIN_RES 0x81
#define BIN_GET 0x00
#define BIN_SET 0x01
#define BIN_HEADER 24

enum { BIN_HEAD = 0, BIN_BODY = 1 };

static void header(unsigned char *h, uint8_t opcode, size_t klen, uint8_t extlen, size_t body,
                   uint32_t opaque)
{
    memset(h, 0, BIN_HEADER);
    h[0] = BIN_REQ;
    h[1] = opcode;
    h[2] = (unsigned char)(klen >> 8);
    h[3] = (unsigned char)klen;
    h[4] = extlen;
    h[8] = (unsigned char)(body >> 24);
    h[9] = (unsigned char)(body >> 16);
    h[10] = (unsigned char)(body >> 8);
    h[11] = (unsigned char)body;
    h[12] = (unsigned char)(opaque >> 24);
    h[13] = (unsigned char)(opaque >> 16);
    h[14] = (unsigned char)(opaque >> 8);
    h[15] = (unsigned char)opaque;
}

size_t binary_encode_get(char *out, const char *key, size_t klen, uint32_t opaque)
{
    header((unsigned char *)out, BIN_GET, klen, 0, klen, opaque);
    memcpy(out + BIN_HEADER, key, klen);
    return BIN_HEADER + klen;
}

size_t binary_encode_set(char *out, const char *key, size_t klen, const char *value,
                         size_t vlen, uint32_t opaque)
{
    header((unsigned char *)out, BIN_SET, klen, 8, 8 + klen + vlen, opaque);
    memset(out + BIN_HEADER, 0, 8); /* flags 0, expiry 0 */
    memcpy(out + BIN_HEADER + 8, key, klen);
    memcpy(out + BIN_HEADER + 8 + klen, value, vlen);
    return BIN_HEADER + 8 + klen + vlen;
}

static enum resp_kind kind_of(const unsigned char *h)
{
    unsigned status = (unsigned)h[6] << 8 | h[7];
    int get = h[1] == BIN_GET;
    switch (status) {
    case 0x0000:
        return get ? RESP_HIT : RESP_STORED;
    case 0x0001: /* key not found */
        return get ? RESP_MISS : RESP_NOT_STORED;
    case 0x0002: /* key exists */
    case 0x0005: /* item not stored */
        return RESP_NOT_STORED;
    default:
        return RESP_ERROR;
    }
}

int binary_parse(struct resp_parser *p, const char *buf, size_t len, resp_fn cb, void *ctx)
{
    size_t pos = 0;
    unsigned char *h = (unsigned char *)p->line;
    while (pos < len) {
        if (p->state == BIN_BODY) {
            if (!proto_skip(p, len, &pos))
                return 0;
            p->state = BIN_HEAD;
            cb(ctx, kind_of(h));
            continue;
        }
        size_t want = BIN_HEADER - p->line_len;
        size_t take = len - pos < want ? len - pos : want;
        memcpy(h + p->line_len, buf + pos, take);
        p->line_len += take;
        pos += take;
        if (p->line_len < BIN_HEADER)
            return 0;
        p->line_len = 0;
        if (h[0] != BIN_RES) {
            p->error = "bad magic in binary reply";
            return -1;
        }
        p->skip = (uint64_t)h[8] << 24 | (uint64_t)h[9] << 16 | (uint64_t)h[10] << 8 | h[11];
        if (p->skip == 0)
            cb(ctx, kind_of(h));
        else
            p->state = BIN_BODY;
    }
    return 0;
}
