/*
 * codec.c: meta protocol encode/decode (see codec.h for the wire forms).
 * Owns no state and knows nothing of sockets, servers or callbacks.
 */
#include "client/codec.h"

#include <inttypes.h>
#include <string.h>

#include "client/buf.h"

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t codec_base64_encode(const unsigned char *in, size_t len, char *out)
{
    size_t o = 0, i = 0;

    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64chars[v >> 18 & 63];
        out[o++] = b64chars[v >> 12 & 63];
        out[o++] = b64chars[v >> 6 & 63];
        out[o++] = b64chars[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)in[i + 1] << 8;
        out[o++] = b64chars[v >> 18 & 63];
        out[o++] = b64chars[v >> 12 & 63];
        out[o++] = i + 1 < len ? b64chars[v >> 6 & 63] : '=';
        out[o++] = '=';
    }
    return o;
}

static int b64val(char c)
{
    const char *p = c ? strchr(b64chars, c) : NULL;
    return p ? (int)(p - b64chars) : -1;
}

ssize_t codec_base64_decode(const char *in, size_t len, unsigned char *out, size_t out_max)
{
    size_t o = 0;

    if (len % 4 != 0)
        return -1;
    for (size_t i = 0; i < len; i += 4) {
        int v[4], pad = 0;
        for (int j = 0; j < 4; j++) {
            if (in[i + j] == '=' && i + 4 == len && j >= 2) {
                v[j] = 0;
                pad++;
            } else if (pad || (v[j] = b64val(in[i + j])) < 0) {
                return -1;
            }
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        unsigned char bytes[3] = {(unsigned char)(w >> 16), (unsigned char)(w >> 8), (unsigned char)w};
        for (int j = 0; j < 3 - pad; j++) {
            if (o >= out_max)
                return -1;
            out[o++] = bytes[j];
        }
    }
    return (ssize_t)o;
}

int codec_key_wire(const void *key, size_t len, char *out, int *b64)
{
    const unsigned char *k = key;
    int plain = len >= 1 && len <= MNEMO_MAX_KEY;

    for (size_t i = 0; plain && i < len; i++)
        if (k[i] <= 0x20 || k[i] >= 0x7f)
            plain = 0;
    if (plain) {
        memcpy(out, k, len);
        out[len] = '\0';
        *b64 = 0;
        return (int)len;
    }
    if (len == 0 || len > MNEMO_MAX_BINARY_KEY)
        return -1;
    size_t n = codec_base64_encode(k, len, out);
    out[n] = '\0';
    *b64 = 1;
    return (int)n;
}

static const char *key_b(const struct codec_req *r)
{
    return r->b64 ? " b" : "";
}

static int valid_group(const char *g)
{
    for (; g && *g; g++)
        if ((unsigned char)*g < 0x20 || (unsigned char)*g >= 0x7f)
            return 0;
    return 1;
}

static int encode_store(struct buf *out, const struct codec_req *r)
{
    char mode;
    int keep_meta = 1;

    switch (r->op) {
    case MNEMO_OP_SET: case MNEMO_OP_CAS: mode = 'S'; break;
    case MNEMO_OP_ADD: mode = 'E'; break;
    case MNEMO_OP_REPLACE: mode = 'R'; break;
    case MNEMO_OP_APPEND: mode = 'A'; keep_meta = 0; break;
    case MNEMO_OP_PREPEND: mode = 'P'; keep_meta = 0; break;
    default: return MNEMO_EINVAL;
    }
    if (buf_printf(out, "ms %.*s %zu%s O%" PRIu32 " k", (int)r->wkey_len, r->wkey,
                   r->value_len, key_b(r), r->opaque) != 0)
        return MNEMO_ENOMEM;
    if (keep_meta && buf_printf(out, " F%" PRIu32 " T%" PRId64, r->flags, r->ttl) != 0)
        return MNEMO_ENOMEM;
    if ((r->op == MNEMO_OP_CAS || r->cas) && buf_printf(out, " C%" PRIu64, r->cas) != 0)
        return MNEMO_ENOMEM;
    if (buf_printf(out, " M%c\r\n", mode) != 0 || buf_append(out, r->value, r->value_len) != 0 ||
        buf_append(out, "\r\n", 2) != 0)
        return MNEMO_ENOMEM;
    return 0;
}

static int encode_one(struct buf *out, const struct codec_req *r)
{
    int k = (int)r->wkey_len;

    switch (r->op) {
    case MNEMO_OP_GET:
        return buf_printf(out, "mg %.*s%s O%" PRIu32 " k v f\r\n", k, r->wkey, key_b(r), r->opaque);
    case MNEMO_OP_GETS:
        return buf_printf(out, "mg %.*s%s O%" PRIu32 " k v f c\r\n", k, r->wkey, key_b(r), r->opaque);
    case MNEMO_OP_GAT:
        return buf_printf(out, "mg %.*s%s O%" PRIu32 " k v f c T%" PRId64 "\r\n", k, r->wkey,
                          key_b(r), r->opaque, r->ttl);
    case MNEMO_OP_TOUCH:
        return buf_printf(out, "mg %.*s%s O%" PRIu32 " k T%" PRId64 "\r\n", k, r->wkey, key_b(r),
                          r->opaque, r->ttl);
    case MNEMO_OP_DELETE:
        return buf_printf(out, "md %.*s%s O%" PRIu32 " k\r\n", k, r->wkey, key_b(r), r->opaque);
    case MNEMO_OP_INCR:
    case MNEMO_OP_DECR:
        return buf_printf(out, "ma %.*s%s O%" PRIu32 " k v D%" PRIu64 " M%c\r\n", k, r->wkey,
                          key_b(r), r->opaque, r->delta, r->op == MNEMO_OP_INCR ? 'I' : 'D');
    case MNEMO_OP_NOOP:
        return buf_append(out, "mn\r\n", 4);
    case MNEMO_OP_FLUSH:
        if (r->ttl > 0)
            return buf_printf(out, "flush_all %" PRId64 "\r\n", r->ttl);
        return buf_append(out, "flush_all\r\n", 11);
    case MNEMO_OP_VERSION:
        return buf_append(out, "version\r\n", 9);
    case MNEMO_OP_STATS:
        if (r->group && r->group[0])
            return buf_printf(out, "stats %s\r\n", r->group);
        return buf_append(out, "stats\r\n", 7);
    default:
        return -2;
    }
}

int codec_encode(struct buf *out, const struct codec_req *r)
{
    size_t used = buf_used(out);
    int rc;

    if (r->op == MNEMO_OP_STATS && !valid_group(r->group))
        return MNEMO_EINVAL;
    switch (r->op) {
    case MNEMO_OP_SET: case MNEMO_OP_ADD: case MNEMO_OP_REPLACE:
    case MNEMO_OP_APPEND: case MNEMO_OP_PREPEND: case MNEMO_OP_CAS:
        rc = encode_store(out, r);
        break;
    default:
        rc = encode_one(out, r);
        rc = rc == -2 ? MNEMO_EINVAL : rc ? MNEMO_ENOMEM : 0;
        break;
    }
    if (rc != 0) /* appends may compact the buffer but never drop what was there */
        out->len = out->start + used;
    return rc;
}

/* ---- replies ---- */

static int parse_u64(const char *p, size_t n, uint64_t *v)
{
    uint64_t x = 0;

    if (n == 0 || n > 20)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        uint64_t d = (uint64_t)(p[i] - '0');
        if (x > (UINT64_MAX - d) / 10)
            return -1;
        x = x * 10 + d;
    }
    *v = x;
    return 0;
}

/* Parse the flag tokens of a meta reply line: p[0..n). */
static int parse_flags(const char *p, size_t n, struct codec_reply *out)
{
    size_t i = 0;

    while (i < n) {
        if (p[i] == ' ') {
            i++;
            continue;
        }
        size_t s = i;
        while (i < n && p[i] != ' ')
            i++;
        const char *tok = p + s + 1;
        size_t tl = i - s - 1;
        uint64_t v;
        switch (p[s]) {
        case 'O':
            if (parse_u64(tok, tl, &v) != 0 || v > UINT32_MAX)
                return -1;
            out->has_opaque = 1;
            out->opaque = (uint32_t)v;
            break;
        case 'k':
            if (tl == 0)
                return -1;
            out->key = tok;
            out->key_len = tl;
            break;
        case 'b':
            out->key_b64 = 1;
            break;
        case 'f':
            if (parse_u64(tok, tl, &v) != 0 || v > UINT32_MAX)
                return -1;
            out->has_flags = 1;
            out->flags = (uint32_t)v;
            break;
        case 'c':
            if (parse_u64(tok, tl, &v) != 0)
                return -1;
            out->has_cas = 1;
            out->cas = v;
            break;
        default:
            if (p[s] < 'A' || (p[s] > 'Z' && p[s] < 'a') || p[s] > 'z')
                return -1;
            break; /* a flag we did not ask for: ignore its token */
        }
    }
    return 0;
}

static int starts(const char *line, size_t n, const char *word)
{
    size_t w = strlen(word);
    return n >= w && memcmp(line, word, w) == 0 && (n == w || line[w] == ' ');
}

static ssize_t rest(const char *line, size_t n, size_t w, struct codec_reply *out, ssize_t total)
{
    out->data = n > w ? line + w + 1 : line + n;
    out->data_len = n > w ? n - w - 1 : 0;
    return total;
}

ssize_t codec_parse(const char *buf, size_t len, struct codec_reply *out)
{
    const char *nl;
    size_t scan = len < CODEC_MAX_LINE ? len : CODEC_MAX_LINE;

    memset(out, 0, sizeof(*out));
    nl = memchr(buf, '\n', scan);
    if (nl == NULL)
        return len >= CODEC_MAX_LINE ? -1 : 0;
    if (nl == buf || nl[-1] != '\r')
        return -1;
    size_t n = (size_t)(nl - buf) - 1; /* line length without \r\n */
    ssize_t total = (ssize_t)(n + 2);
    const char *line = buf;

    if (n >= 2 && (n == 2 || line[2] == ' ')) {
        static const struct { char code[3]; enum codec_rc rc; } codes[] = {
            {"HD", CODEC_HD}, {"EN", CODEC_EN}, {"NF", CODEC_NF},
            {"NS", CODEC_NS}, {"EX", CODEC_EX}, {"MN", CODEC_MN},
        };
        for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
            if (memcmp(line, codes[i].code, 2) == 0) {
                out->rc = codes[i].rc;
                if (out->rc == CODEC_MN && n != 2)
                    return -1;
                return parse_flags(line + 2, n - 2, out) == 0 ? total : -1;
            }
        }
        if (memcmp(line, "VA", 2) == 0 && n > 3) {
            const char *p = line + 3;
            size_t sl = 0;
            uint64_t size;
            while (3 + sl < n && p[sl] != ' ')
                sl++;
            if (parse_u64(p, sl, &size) != 0 || size > CODEC_MAX_VALUE)
                return -1;
            if (parse_flags(p + sl, n - 3 - sl, out) != 0)
                return -1;
            size_t need = (size_t)total + (size_t)size + 2;
            if (len < need)
                return 0;
            if (buf[total + (ssize_t)size] != '\r' || buf[total + (ssize_t)size + 1] != '\n')
                return -1;
            out->rc = CODEC_VA;
            out->data = buf + total;
            out->data_len = (size_t)size;
            return (ssize_t)need;
        }
    }
    if (n == 2 && memcmp(line, "OK", 2) == 0) {
        out->rc = CODEC_OK;
        return total;
    }
    if (n == 6 && memcmp(line, "STORED", 6) == 0) {
        out->rc = CODEC_STORED;
        return total;
    }
    if (n == 3 && memcmp(line, "END", 3) == 0) {
        out->rc = CODEC_END;
        return total;
    }
    if (n == 5 && memcmp(line, "ERROR", 5) == 0) {
        out->rc = CODEC_ERROR;
        return total;
    }
    if (starts(line, n, "STAT") && n > 5) {
        out->rc = CODEC_STAT;
        return rest(line, n, 4, out, total);
    }
    if (starts(line, n, "VERSION")) {
        out->rc = CODEC_VERSION;
        return rest(line, n, 7, out, total);
    }
    if (starts(line, n, "CLIENT_ERROR")) {
        out->rc = CODEC_CLIENT_ERROR;
        return rest(line, n, 12, out, total);
    }
    if (starts(line, n, "SERVER_ERROR")) {
        out->rc = CODEC_SERVER_ERROR;
        return rest(line, n, 12, out, total);
    }
    if (starts(line, n, "ERROR")) {
        out->rc = CODEC_ERROR;
        return rest(line, n, 5, out, total);
    }
    return -1;
}
