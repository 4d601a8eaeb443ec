/*
 * test_codec.c: the meta codec: request encoding, reply parsing (valid
 * replies, the same replies split at every byte, malformed replies), key
 * wire forms and base64.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client/buf.h"
#include "client/codec.h"

static void expect_encode(const struct codec_req *r, const char *want, size_t want_len)
{
    struct buf b = {0};

    assert_int_equal(codec_encode(&b, r), 0);
    assert_int_equal(buf_used(&b), want_len);
    assert_memory_equal(buf_head(&b), want, want_len);
    buf_free(&b);
}
#define EXPECT(r, lit) expect_encode(r, lit, sizeof(lit) - 1)

static void test_encode(void **state)
{
    struct codec_req r = {.wkey = "foo", .wkey_len = 3, .opaque = 7};

    r.op = MNEMO_OP_GET;
    EXPECT(&r, "mg foo O7 k v f\r\n");
    r.op = MNEMO_OP_GETS;
    EXPECT(&r, "mg foo O7 k v f c\r\n");
    r.op = MNEMO_OP_GAT;
    r.ttl = 30;
    EXPECT(&r, "mg foo O7 k v f c T30\r\n");
    r.op = MNEMO_OP_TOUCH;
    EXPECT(&r, "mg foo O7 k T30\r\n");
    r.op = MNEMO_OP_SET;
    r.value = "a\r\nb";
    r.value_len = 4;
    r.flags = 5;
    r.ttl = 0;
    EXPECT(&r, "ms foo 4 O7 k F5 T0 MS\r\na\r\nb\r\n");
    r.op = MNEMO_OP_ADD;
    EXPECT(&r, "ms foo 4 O7 k F5 T0 ME\r\na\r\nb\r\n");
    r.op = MNEMO_OP_REPLACE;
    EXPECT(&r, "ms foo 4 O7 k F5 T0 MR\r\na\r\nb\r\n");
    r.op = MNEMO_OP_APPEND;
    EXPECT(&r, "ms foo 4 O7 k MA\r\na\r\nb\r\n");
    r.op = MNEMO_OP_PREPEND;
    EXPECT(&r, "ms foo 4 O7 k MP\r\na\r\nb\r\n");
    r.op = MNEMO_OP_CAS;
    r.cas = 99;
    EXPECT(&r, "ms foo 4 O7 k F5 T0 C99 MS\r\na\r\nb\r\n");
    r.op = MNEMO_OP_DELETE;
    EXPECT(&r, "md foo O7 k\r\n");
    r.op = MNEMO_OP_INCR;
    r.delta = 3;
    EXPECT(&r, "ma foo O7 k v D3 MI\r\n");
    r.op = MNEMO_OP_DECR;
    EXPECT(&r, "ma foo O7 k v D3 MD\r\n");
    r.op = MNEMO_OP_NOOP;
    EXPECT(&r, "mn\r\n");
    r.op = MNEMO_OP_FLUSH;
    r.ttl = 0;
    EXPECT(&r, "flush_all\r\n");
    r.ttl = 10;
    EXPECT(&r, "flush_all 10\r\n");
    r.op = MNEMO_OP_VERSION;
    EXPECT(&r, "version\r\n");
    r.op = MNEMO_OP_STATS;
    EXPECT(&r, "stats\r\n");
    r.group = "slabs";
    EXPECT(&r, "stats slabs\r\n");
    r.group = "bad\r\ngroup";
    struct buf b = {0};
    assert_int_equal(codec_encode(&b, &r), MNEMO_EINVAL);
    assert_int_equal(buf_used(&b), 0);
    buf_free(&b);

    /* base64 keys carry the b flag */
    struct codec_req k = {.op = MNEMO_OP_GET, .wkey = "AAEC", .wkey_len = 4, .b64 = 1, .opaque = 1};
    EXPECT(&k, "mg AAEC b O1 k v f\r\n");
    k.op = MNEMO_OP_SET;
    k.value = "xy";
    k.value_len = 2;
    EXPECT(&k, "ms AAEC 2 b O1 k F0 T0 MS\r\nxy\r\n");
}

static void test_key_wire(void **state)
{
    char out[CODEC_WIRE_KEY_MAX];
    int b64 = -1;
    char big[300];

    assert_int_equal(codec_key_wire("foo", 3, out, &b64), 3);
    assert_int_equal(b64, 0);
    assert_string_equal(out, "foo");
    assert_int_equal(codec_key_wire("\x00\x01\x02", 3, out, &b64), 4);
    assert_int_equal(b64, 1);
    assert_string_equal(out, "AAEC");
    assert_int_equal(codec_key_wire("a b", 3, out, &b64), 4);
    assert_int_equal(b64, 1);
    assert_int_equal(codec_key_wire("", 0, out, &b64), -1);
    memset(big, 'x', sizeof(big));
    assert_int_equal(codec_key_wire(big, 250, out, &b64), 250);
    assert_int_equal(codec_key_wire(big, 251, out, &b64), -1);
    big[0] = ' ';
    assert_int_equal(codec_key_wire(big, MNEMO_MAX_BINARY_KEY, out, &b64), 248);
    assert_int_equal(codec_key_wire(big, MNEMO_MAX_BINARY_KEY + 1, out, &b64), -1);
}

static void test_base64(void **state)
{
    unsigned char in[64], dec[64];
    char enc[128];

    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (unsigned char)(i * 37 + 11);
    for (size_t n = 0; n <= sizeof(in); n++) {
        size_t el = codec_base64_encode(in, n, enc);
        assert_int_equal(el, (n + 2) / 3 * 4);
        assert_int_equal(codec_base64_decode(enc, el, dec, sizeof(dec)), (ssize_t)n);
        assert_memory_equal(dec, in, n);
    }
    assert_int_equal(codec_base64_decode("abc", 3, dec, sizeof(dec)), -1);
    assert_int_equal(codec_base64_decode("a=bc", 4, dec, sizeof(dec)), -1);
    assert_int_equal(codec_base64_decode("ab!c", 4, dec, sizeof(dec)), -1);
    assert_int_equal(codec_base64_decode("AAEC", 4, dec, 2), -1);
}

struct reply_case {
    const char *bytes;
    enum codec_rc rc;
    const char *data;   /* NULL: don't check */
    int opaque;         /* -1: none */
    const char *key;
    int64_t flags;      /* -1: none */
    int64_t cas;        /* -1: none */
};

static const struct reply_case valid[] = {
    {"VA 3 O123 kfoo f5 c1 s3 t-1\r\nabc\r\n", CODEC_VA, "abc", 123, "foo", 5, 1},
    {"VA 0 O1\r\n\r\n", CODEC_VA, "", 1, NULL, -1, -1},
    {"VA 4 O2\r\na\r\nb\r\n", CODEC_VA, "a\r\nb", 2, NULL, -1, -1},
    {"EN O9 kAAEC b\r\n", CODEC_EN, NULL, 9, "AAEC", -1, -1},
    {"EN\r\n", CODEC_EN, NULL, -1, NULL, -1, -1},
    {"HD O9 kfoo c17\r\n", CODEC_HD, NULL, 9, "foo", -1, 17},
    {"HD\r\n", CODEC_HD, NULL, -1, NULL, -1, -1},
    {"NF O5 knope\r\n", CODEC_NF, NULL, 5, "nope", -1, -1},
    {"NS O5\r\n", CODEC_NS, NULL, 5, NULL, -1, -1},
    {"EX O4294967294\r\n", CODEC_EX, NULL, (int)4294967294u, NULL, -1, -1},
    {"MN\r\n", CODEC_MN, NULL, -1, NULL, -1, -1},
    {"OK\r\n", CODEC_OK, NULL, -1, NULL, -1, -1},
    {"END\r\n", CODEC_END, NULL, -1, NULL, -1, -1},
    {"ERROR\r\n", CODEC_ERROR, NULL, -1, NULL, -1, -1},
    {"VERSION 1.6.18\r\n", CODEC_VERSION, "1.6.18", -1, NULL, -1, -1},
    {"STAT pid 42\r\n", CODEC_STAT, "pid 42", -1, NULL, -1, -1},
    {"CLIENT_ERROR bad command line format\r\n", CODEC_CLIENT_ERROR, "bad command line format", -1, NULL, -1, -1},
    {"SERVER_ERROR out of memory\r\n", CODEC_SERVER_ERROR, "out of memory", -1, NULL, -1, -1},
};

static void check_reply(const struct reply_case *c, const struct codec_reply *r)
{
    assert_int_equal(r->rc, c->rc);
    if (c->data) {
        assert_int_equal(r->data_len, strlen(c->data));
        assert_memory_equal(r->data, c->data, r->data_len);
    }
    assert_int_equal(r->has_opaque, c->opaque != -1);
    if (c->opaque != -1)
        assert_int_equal(r->opaque, (uint32_t)c->opaque);
    if (c->key) {
        assert_int_equal(r->key_len, strlen(c->key));
        assert_memory_equal(r->key, c->key, r->key_len);
    } else {
        assert_null(r->key);
    }
    assert_int_equal(r->has_flags, c->flags != -1);
    if (c->flags != -1)
        assert_int_equal(r->flags, c->flags);
    assert_int_equal(r->has_cas, c->cas != -1);
    if (c->cas != -1)
        assert_int_equal(r->cas, c->cas);
}

static void test_parse_valid_and_split(void **state)
{
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        const struct reply_case *c = &valid[i];
        size_t len = strlen(c->bytes);
        struct codec_reply r;

        /* every strict prefix needs more bytes; copies so ASan sees overreads */
        for (size_t cut = 0; cut < len; cut++) {
            char *p = malloc(cut ? cut : 1);
            memcpy(p, c->bytes, cut);
            assert_int_equal(codec_parse(p, cut, &r), 0);
            free(p);
        }
        char *p = malloc(len);
        memcpy(p, c->bytes, len);
        assert_int_equal(codec_parse(p, len, &r), (ssize_t)len);
        check_reply(c, &r);
        free(p);

        /* followed by another reply: only the first is consumed */
        char two[256];
        memcpy(two, c->bytes, len);
        memcpy(two + len, "MN\r\n", 4);
        assert_int_equal(codec_parse(two, len + 4, &r), (ssize_t)len);
        check_reply(c, &r);
    }
}

/* A stream of all replies, fed in chunks of every size, parses identically. */
static void test_parse_stream_chunks(void **state)
{
    char stream[2048];
    size_t total = 0, n = sizeof(valid) / sizeof(valid[0]);

    for (size_t i = 0; i < n; i++) {
        memcpy(stream + total, valid[i].bytes, strlen(valid[i].bytes));
        total += strlen(valid[i].bytes);
    }
    for (size_t chunk = 1; chunk <= total; chunk++) {
        struct buf in = {0};
        size_t fed = 0, got = 0;
        while (fed < total || buf_used(&in) > 0) {
            if (fed < total) {
                size_t k = total - fed < chunk ? total - fed : chunk;
                assert_int_equal(buf_append(&in, stream + fed, k), 0);
                fed += k;
            }
            struct codec_reply r;
            ssize_t c;
            while (buf_used(&in) > 0 && (c = codec_parse(buf_head(&in), buf_used(&in), &r)) > 0) {
                check_reply(&valid[got], &r);
                got++;
                buf_consume(&in, (size_t)c);
            }
            if (fed == total && buf_used(&in) > 0)
                fail_msg("left over bytes at chunk %zu", chunk);
        }
        assert_int_equal(got, n);
        buf_free(&in);
    }
}

static void test_parse_malformed(void **state)
{
    static const char *const bad[] = {
        "\r\n", "\n", "HD\n", "XX\r\n", "VA\r\n", "VA x\r\n", "VA -1\r\n",
        "VA 3 O1\r\nabcd\r\n", "VA 3\r\nabcXY", "VA 99999999999999999999\r\n",
        "VA 2000000000\r\n", "HD Oabc\r\n", "HD O99999999999\r\n", "HD k\r\n",
        "HD f-1\r\n", "HD cxyz\r\n", "HD ~x\r\n", "MN x\r\n", "STAT\r\n", "HDX\r\n",
        "hello world\r\n", "VALUE foo 0 3\r\n", "END \r\n", "OKAY\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct codec_reply r;
        size_t len = strlen(bad[i]);
        char *p = malloc(len ? len : 1);
        memcpy(p, bad[i], len);
        ssize_t rc = codec_parse(p, len, &r);
        if (rc != -1)
            fail_msg("case %zu (%s) gave %zd", i, bad[i], rc);
        free(p);
    }
    /* a line with no end in sight is malformed once it is too long */
    char *big = malloc(CODEC_MAX_LINE + 10);
    memset(big, 'H', CODEC_MAX_LINE + 10);
    struct codec_reply r;
    assert_int_equal(codec_parse(big, CODEC_MAX_LINE - 1, &r), 0);
    assert_int_equal(codec_parse(big, CODEC_MAX_LINE + 10, &r), -1);
    free(big);
}

/* Random bytes never crash the parser (and never claim more than given). */
static void test_parse_random(void **state)
{
    uint64_t x = 88172645463325252ull;
    static const char alphabet[] = "VAHDENFSXMOKTRk bcf0123456789\r\n-";

    for (int iter = 0; iter < 200000; iter++) {
        char tmp[40];
        size_t len = (size_t)(iter % 40);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            tmp[i] = iter & 1 ? (char)x : alphabet[x % (sizeof(alphabet) - 1)];
        }
        char *p = malloc(len ? len : 1);
        memcpy(p, tmp, len);
        struct codec_reply r;
        ssize_t rc = codec_parse(p, len, &r);
        assert_true(rc >= -1 && rc <= (ssize_t)len);
        free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_key_wire),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_parse_valid_and_split),
        cmocka_unit_test(test_parse_stream_chunks),
        cmocka_unit_test(test_parse_malformed),
        cmocka_unit_test(test_parse_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
