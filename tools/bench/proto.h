/*
 * proto.h: the wire protocols mnemo-bench speaks (memcached text, meta and
 * binary, and Redis's RESP2 for side-by-side runs against redis-server),
 * each as a request encoder and an incremental response parser.  Pure byte
 * work: no sockets, no clocks.
 *
 * A parser keeps its state in struct resp_parser, so it can be fed any
 * split of the byte stream (down to one byte at a time): it consumes every
 * byte it is given, copying only an incomplete header line, and calls the
 * callback once per complete response.  Values are skipped, never copied.
 */
#ifndef MNEMO_BENCH_PROTO_H
#define MNEMO_BENCH_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum proto_kind {
    PROTO_TEXT = 0,
    PROTO_META = 1,
    PROTO_BINARY = 2,
    PROTO_REDIS = 3,
};

enum resp_kind {
    RESP_HIT = 0,        /* get found the key */
    RESP_MISS = 1,       /* get did not */
    RESP_STORED = 2,     /* set stored */
    RESP_NOT_STORED = 3, /* set refused (NOT_STORED, EXISTS, NOT_FOUND) */
    RESP_ERROR = 4,      /* ERROR, CLIENT_ERROR, SERVER_ERROR, binary error status, -ERR */
};

/* The encoders' writers (text, meta, Redis): n bytes, or v in decimal, at
 * o; each returns the end of what it wrote. Inline: they are the load
 * generator's inner loop. */
static inline char *proto_put(char *o, const char *s, size_t n)
{
    memcpy(o, s, n);
    return o + n;
}

static inline char *proto_put_u64(char *o, uint64_t v)
{
    char d[20];
    size_t n = 0;
    do {
        d[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *o++ = d[--n];
    return o;
}

#define PROTO_LINE_MAX 1024
#define PROTO_REQ_OVERHEAD 64 /* encoded size <= key + value + this */

struct resp_parser {
    int state;
    int value_seen;      /* text: a VALUE line came before END */
    uint64_t skip;       /* value bytes (and their CRLF) still to skip */
    size_t line_len;     /* bytes of an incomplete line (or binary header) held */
    const char *error;   /* set when parse returns -1 */
    char line[PROTO_LINE_MAX];
};

typedef void (*resp_fn)(void *ctx, enum resp_kind kind);

/* Consume all len bytes; 0 on success, -1 on a protocol error (p->error
 * says what; the stream cannot be resynchronised). */
typedef int (*proto_parse_fn)(struct resp_parser *p, const char *buf, size_t len, resp_fn cb,
                              void *ctx);
/* Encode a request into out, which has room for klen (+ vlen) +
 * PROTO_REQ_OVERHEAD bytes; returns the bytes written. */
typedef size_t (*proto_get_fn)(char *out, const char *key, size_t klen, uint32_t opaque);
typedef size_t (*proto_set_fn)(char *out, const char *key, size_t klen, const char *value,
                               size_t vlen, uint32_t opaque);

struct proto_ops {
    const char *name;
    proto_get_fn encode_get;
    proto_set_fn encode_set;
    proto_parse_fn parse;
};

/* The ops of a protocol; never NULL for a valid kind. */
const struct proto_ops *proto_ops_of(enum proto_kind kind);

void resp_parser_init(struct resp_parser *p);

/*
 * Shared line splitter for the text-based parsers: starting at buf[*pos],
 * find the end of the next line.  Returns 1 with *line and *line_len (without
 * CR LF) pointing into buf or into p->line; 0 when the line is incomplete
 * (the partial bytes were saved in p->line and *pos == len); -1 when the
 * line is longer than PROTO_LINE_MAX.
 */
int proto_take_line(struct resp_parser *p, const char *buf, size_t len, size_t *pos,
                    const char **line, size_t *line_len);

/* Skip up to p->skip bytes at buf[*pos]; returns 1 once p->skip reached 0. */
int proto_skip(struct resp_parser *p, size_t len, size_t *pos);

/* Parse a decimal number of up to 19 digits at s[0..n); -1 when none. */
int64_t proto_parse_u64(const char *s, size_t n);

/* Each protocol's functions: proto_text.c, proto_meta.c, proto_binary.c and
 * proto_redis.c. */
size_t text_encode_get(char *out, const char *key, size_t klen, uint32_t opaque);
size_t text_encode_set(char *out, const char *key, size_t klen, const char *value, size_t vlen,
                       uint32_t opaque);
int text_parse(struct resp_parser *p, const char *buf, size_t len, resp_fn cb, void *ctx);
size_t meta_encode_get(char *out, const char *key, size_t klen, uint32_t opaque);
size_t meta_encode_set(char *out, const char *key, size_t klen, const char *value, size_t vlen,
                       uint32_t opaque);
int meta_parse(struct resp_parser *p, const char *buf, size_t len, resp_fn cb, void *ctx);
size_t binary_encode_get(char *out, const char *key, size_t klen, uint32_t opaque);
size_t binary_encode_set(char *out, const char *key, size_t klen, const char *value,
                         size_t vlen, uint32_t opaque);
int binary_parse(struct resp_parser *p, const char *buf, size_t len, resp_fn cb, void *ctx);
size_t redis_encode_get(char *out, const char *key, size_t klen, uint32_t opaque);
size_t redis_encode_set(char *out, const char *key, size_t klen, const char *value, size_t vlen,
                        uint32_t opaque);
int redis_parse(struct resp_parser *p, const char *buf, size_t len, resp_fn cb, void *ctx);

#endif
