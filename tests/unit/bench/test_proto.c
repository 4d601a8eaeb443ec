/*
 * test_proto.c: request encoders byte for byte, and the four response
 * parsers on valid streams (whole, split at every byte, one byte at a
 * time) and on bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"

#define MAX_KINDS 64

struct collected {
    int n;
    enum resp_kind kinds[MAX_KINDS];
};

static void collect(void *ctx, enum resp_kind kind)
{
    struct collected *c = ctx;
    assert_true(c->n < MAX_KINDS);
    c->kinds[c->n++] = kind;
}

struct stream_case {
    enum proto_kind proto;
    const char *bytes;
    size_t len;
    int nkinds;
    enum resp_kind kinds[8];
};

#define S(lit) lit, sizeof(lit) - 1

static const char bin_stream[] =
    /* GET hit: extras 4 (flags), value "abc" -> bodylen 7 */
    "\x81\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x07\x00\x00\x00\x01\0\0\0\0\0\0\0\x05"
    "\0\0\0\0abc"
    /* GET miss: status 1, body "Not found" (9) */
    "\x81\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x09\x00\x00\x00\x02\0\0\0\0\0\0\0\0"
    "Not found"
    /* SET ok: no body */
    "\x81\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\0\0\0\0\0\0\0\x06"
    /* SET exists (status 2) */
    "\x81\x01\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x04\0\0\0\0\0\0\0\0"
    /* SET out of memory (0x82) with a message */
    "\x81\x01\x00\x00\x00\x00\x00\x82\x00\x00\x00\x03\x00\x00\x00\x05\0\0\0\0\0\0\0\0"
    "oom";

static const struct stream_case cases[] = {
    {PROTO_TEXT,
     S("VALUE key:1 0 5\r\nhello\r\nEND\r\nEND\r\nSTORED\r\nNOT_STORED\r\nEXISTS\r\n"
       "NOT_FOUND\r\nSERVER_ERROR out of memory storing object\r\n"),
     7,
     {RESP_HIT, RESP_MISS, RESP_STORED, RESP_NOT_STORED, RESP_NOT_STORED, RESP_NOT_STORED,
      RESP_ERROR}},
    /* a value holding CR LF and END, a cas field, an empty value, a bare LF */
    {PROTO_TEXT,
     S("VALUE k 3 6 99\r\nEND\r\nX\r\nEND\r\nVALUE k 0 0\r\n\r\nEND\n"
       "ERROR\r\nCLIENT_ERROR bad data chunk\r\n"),
     4,
     {RESP_HIT, RESP_HIT, RESP_ERROR, RESP_ERROR}},
    {PROTO_META,
     S("VA 5\r\nhello\r\nEN\r\nHD\r\nNS\r\nEX\r\nNF\r\nVA 4 f0 c12\r\nEN\r\n\r\n"
       "SERVER_ERROR busy\r\n"),
     8,
     {RESP_HIT, RESP_MISS, RESP_STORED, RESP_NOT_STORED, RESP_NOT_STORED, RESP_NOT_STORED,
      RESP_HIT, RESP_ERROR}},
    {PROTO_BINARY, bin_stream, sizeof(bin_stream) - 1, 5,
     {RESP_HIT, RESP_MISS, RESP_STORED, RESP_NOT_STORED, RESP_ERROR}},
    /* a bulk string holding CR LF and "$-1", an empty one, a nil, OK, errors */
    {PROTO_REDIS,
     S("$5\r\nhello\r\n$-1\r\n+OK\r\n$7\r\n$-1\r\n+O\r\n$0\r\n\r\n"
       "-ERR wrong number of arguments for 'set' command\r\n"
       "-OOM command not allowed when used memory > 'maxmemory'.\r\n+OK\r\n"),
     8,
     {RESP_HIT, RESP_MISS, RESP_STORED, RESP_HIT, RESP_HIT, RESP_ERROR, RESP_ERROR,
      RESP_STORED}},
};

static void feed(const struct stream_case *c, const size_t *cuts, size_t ncuts,
                 struct collected *out)
{
    const struct proto_ops *ops = proto_ops_of(c->proto);
    struct resp_parser *p = malloc(sizeof(*p));
    resp_parser_init(p);
    memset(out, 0, sizeof(*out));
    size_t from = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : c->len;
        /* a private copy, so reading past a chunk would trip ASan */
        char *chunk = malloc(to - from + 1);
        memcpy(chunk, c->bytes + from, to - from);
        assert_int_equal(ops->parse(p, chunk, to - from, collect, out), 0);
        free(chunk);
        from = to;
    }
    assert_int_equal(p->state, 0); /* ends between replies */
    free(p);
}

static void check(const struct stream_case *c, const struct collected *got)
{
    assert_int_equal(got->n, c->nkinds);
    for (int i = 0; i < c->nkinds; i++)
        assert_int_equal(got->kinds[i], c->kinds[i]);
}

static void test_whole(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct collected got;
        feed(&cases[i], NULL, 0, &got);
        check(&cases[i], &got);
    }
}

static void test_split_at_every_byte(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (size_t cut = 0; cut <= cases[i].len; cut++) {
            struct collected got;
            feed(&cases[i], &cut, 1, &got);
            check(&cases[i], &got);
        }
    }
}

static void test_one_byte_at_a_time(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = cases[i].len;
        size_t *cuts = malloc(n * sizeof(*cuts));
        for (size_t k = 0; k < n; k++)
            cuts[k] = k + 1;
        struct collected got;
        feed(&cases[i], cuts, n - 1, &got);
        check(&cases[i], &got);
        free(cuts);
    }
}

static void expect_error(enum proto_kind proto, const char *bytes, size_t len)
{
    struct resp_parser *p = malloc(sizeof(*p));
    resp_parser_init(p);
    struct collected got = {0};
    assert_int_equal(proto_ops_of(proto)->parse(p, bytes, len, collect, &got), -1);
    assert_non_null(p->error);
    free(p);
}

static void test_bad_input(void **state)
{
    (void)state;
    expect_error(PROTO_TEXT, S("HELLO\r\n"));
    expect_error(PROTO_TEXT, S("VALUE k 0\r\n"));         /* no byte count */
    expect_error(PROTO_TEXT, S("VALUE k 0 x1\r\n"));      /* bad byte count */
    expect_error(PROTO_TEXT, S("VALUE k 0 1\r\na\r\nSTORED\r\n")); /* no END */
    expect_error(PROTO_META, S("VA\r\n"));
    expect_error(PROTO_META, S("VA -1\r\n"));
    expect_error(PROTO_META, S("OK\r\n"));
    expect_error(PROTO_REDIS, S(":1\r\n"));          /* an integer: not a GET/SET reply */
    expect_error(PROTO_REDIS, S("*1\r\n$1\r\na\r\n")); /* an array */
    expect_error(PROTO_REDIS, S("$\r\n"));           /* no length */
    expect_error(PROTO_REDIS, S("$-2\r\n"));         /* only -1 is the nil */
    expect_error(PROTO_REDIS, S("$1x\r\n"));
    expect_error(PROTO_REDIS, S("\r\n"));            /* an empty line */
    expect_error(PROTO_REDIS, S("STORED\r\n"));      /* a memcached reply */
    expect_error(PROTO_BINARY, S("\x80\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
                                 "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"));
    /* a line longer than the parser's line buffer, fed in pieces */
    char *big = malloc(3000);
    memset(big, 'A', 3000);
    struct resp_parser *p = malloc(sizeof(*p));
    resp_parser_init(p);
    struct collected got = {0};
    assert_int_equal(text_parse(p, big, 1000, collect, &got), 0);
    assert_int_equal(text_parse(p, big, 1000, collect, &got), -1);
    free(p);
    free(big);
}

static void test_encoders(void **state)
{
    (void)state;
    char out[256];
    size_t n = text_encode_get(out, "key:1", 5, 0);
    assert_int_equal(n, 11);
    assert_memory_equal(out, "get key:1\r\n", n);
    n = text_encode_set(out, "k", 1, "hello", 5, 0);
    assert_memory_equal(out, "set k 0 0 5\r\nhello\r\n", n);
    assert_int_equal(n, 20);
    n = text_encode_set(out, "k", 1, "", 0, 0);
    assert_memory_equal(out, "set k 0 0 0\r\n\r\n", n);
    n = meta_encode_get(out, "k", 1, 0);
    assert_memory_equal(out, "mg k v\r\n", n);
    n = meta_encode_set(out, "k", 1, "hello", 5, 0);
    assert_memory_equal(out, "ms k 5\r\nhello\r\n", n);

    n = redis_encode_get(out, "key:1", 5, 0);
    assert_memory_equal(out, "*2\r\n$3\r\nGET\r\n$5\r\nkey:1\r\n", n);
    assert_int_equal(n, 24);
    n = redis_encode_set(out, "k", 1, "hello", 5, 0);
    assert_memory_equal(out, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n", n);
    assert_int_equal(n, 31);
    n = redis_encode_set(out, "k", 1, "", 0, 0);
    assert_memory_equal(out, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n", n);
    assert_int_equal(n, 26);

    n = binary_encode_get(out, "abc", 3, 0x01020304);
    assert_int_equal(n, 27);
    static const unsigned char get_hdr[24] = {0x80, 0x00, 0, 3, 0, 0, 0, 0, 0, 0, 0, 3,
                                              1,    2,    3, 4, 0, 0, 0, 0, 0, 0, 0, 0};
    assert_memory_equal(out, get_hdr, 24);
    assert_memory_equal(out + 24, "abc", 3);
    n = binary_encode_set(out, "abc", 3, "hello", 5, 7);
    assert_int_equal(n, 24 + 8 + 3 + 5);
    static const unsigned char set_hdr[24] = {0x80, 0x01, 0, 3, 8, 0, 0, 0, 0, 0, 0, 16,
                                              0,    0,    0, 7, 0, 0, 0, 0, 0, 0, 0, 0};
    assert_memory_equal(out, set_hdr, 24);
    assert_memory_equal(out + 24, "\0\0\0\0\0\0\0\0abchello", 16);
    /* every encoder stays within the advertised overhead, at the longest key
     * and a value whose length has the most digits the bench sends */
    char key[250], *value = malloc(1u << 20);
    memset(key, 'k', sizeof(key));
    memset(value, 'v', 1u << 20);
    char *big = malloc(sizeof(key) + (1u << 20) + PROTO_REQ_OVERHEAD);
    for (size_t k = 0; k <= PROTO_REDIS; k++) {
        const struct proto_ops *ops = proto_ops_of((enum proto_kind)k);
        assert_true(ops->encode_set(out, "k", 1, "v", 1, 0) <= 2 + PROTO_REQ_OVERHEAD);
        assert_true(ops->encode_set(big, key, sizeof(key), value, 1u << 20, 0) <=
                    sizeof(key) + (1u << 20) + PROTO_REQ_OVERHEAD);
        assert_true(ops->encode_get(big, key, sizeof(key), 0) <= sizeof(key) + PROTO_REQ_OVERHEAD);
    }
    free(big);
    free(value);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole),
        cmocka_unit_test(test_split_at_every_byte),
        cmocka_unit_test(test_one_byte_at_a_time),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_encoders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
