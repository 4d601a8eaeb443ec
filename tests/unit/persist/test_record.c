/*
 * test_record.c: persist/record.c — the CRC32C, the byte layout of a
 * record, round trips of every type and field extreme, every check
 * rec_decode() makes, and that no prefix or single bit flip of a record
 * decodes as something else. Buffers are exact-size heap copies so that
 * ASan catches a read outside them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rec_assert.h"

#include "persist/record.h"

static char *encode(const struct rec *r, size_t *n)
{
    *n = rec_size(r);
    char *b = malloc(*n);
    assert_non_null(b);
    assert_int_equal(rec_encode(r, b), *n);
    return b;
}

static void round_trip(const struct rec *r)
{
    size_t n, used = 0;
    char *b = encode(r, &n);
    struct rec out;

    assert_int_equal(rec_decode(b, n, &out, &used), REC_OK);
    assert_int_equal(used, n);
    assert_rec_equal(r, &out);
    assert_ptr_equal(out.key, b + REC_HEAD + REC_BODY_FIXED);
    assert_ptr_equal(out.value, b + REC_HEAD + REC_BODY_FIXED + r->nkey);
    free(b);
}

/* ---- CRC32C ---------------------------------------------------------------- */

static void test_crc_check_value(void **state)
{
    (void)state;
    assert_int_equal(rec_crc32c(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(rec_crc32c(0, "", 0), 0);
    /* RFC 3720 B.4: 32 bytes of zeros, of ones. */
    char z[32] = {0}, o[32];
    memset(o, 0xff, sizeof(o));
    assert_int_equal(rec_crc32c(0, z, 32), 0x8A9136AAu);
    assert_int_equal(rec_crc32c(0, o, 32), 0x62A8AB43u);
}

static void test_crc_continues(void **state)
{
    (void)state;
    const char *s = "123456789";
    for (size_t cut = 0; cut <= 9; cut++) {
        assert_int_equal(rec_crc32c(rec_crc32c(0, s, cut), s + cut, 9 - cut), 0xE3069283u);
    }
    char data[1000];
    for (size_t i = 0; i < sizeof(data); i++) {
        data[i] = (char)(i * 131 + 7);
    }
    uint32_t whole = rec_crc32c(0, data, sizeof(data));
    for (size_t cut = 0; cut <= sizeof(data); cut += 37) {
        uint32_t c = rec_crc32c(0, data, cut);
        assert_int_equal(rec_crc32c(c, data + cut, sizeof(data) - cut), whole);
    }
}

/* ---- layout ---------------------------------------------------------------- */

/* The bytes of one record written out by hand from the table in record.h. */
static void test_layout(void **state)
{
    (void)state;
    struct rec r = {.type = REC_SET, .bits = 0x0a, .nkey = 2, .stamp = 0x01020304,
                    .flags = 0xa1b2c3d4, .vlen = 3, .exptime = -2,
                    .cas = 0x1122334455667788ull, .key = "ab", .value = "xyz"};
    static const unsigned char want[] = {
        37, 0, 0, 0,             /* body_len = 32 + 2 + 3 */
        0, 0, 0, 0,              /* crc, checked below */
        1, 0x0a, 2, 0,           /* type, bits, nkey, reserved */
        0x04, 0x03, 0x02, 0x01,  /* stamp */
        0xd4, 0xc3, 0xb2, 0xa1,  /* flags */
        3, 0, 0, 0,              /* vlen */
        0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* exptime -2 */
        0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, /* cas */
        'a', 'b', 'x', 'y', 'z'};
    size_t n;
    char *b = encode(&r, &n);

    assert_int_equal(n, sizeof(want));
    assert_memory_equal(b, want, 4);
    assert_memory_equal(b + 8, want + 8, sizeof(want) - 8);
    uint32_t crc = rec_crc32c(rec_crc32c(0, want, 4), want + 8, 37);
    unsigned char c[4] = {(unsigned char)crc, (unsigned char)(crc >> 8),
                          (unsigned char)(crc >> 16), (unsigned char)(crc >> 24)};
    assert_memory_equal(b + 4, c, 4);
    free(b);
}

/* ---- round trips ------------------------------------------------------------- */

static void test_round_trip_types(void **state)
{
    (void)state;
    struct rec set = {.type = REC_SET, .nkey = 3, .key = "foo", .vlen = 5, .value = "hello",
                      .flags = 7, .cas = 42, .exptime = 1700000000, .stamp = 1699999999};
    struct rec del = {.type = REC_DELETE, .nkey = 3, .key = "foo", .stamp = 5};
    struct rec touch = {.type = REC_TOUCH, .nkey = 1, .key = "k", .exptime = 1800000000};
    struct rec flush = {.type = REC_FLUSH, .exptime = 1700000100, .stamp = 1700000000};
    struct rec sync = {.type = REC_SYNC, .cas = 123456789, .stamp = 1700000000};
    round_trip(&sync);
    round_trip(&set);
    round_trip(&del);
    round_trip(&touch);
    round_trip(&flush);
}

static void test_round_trip_extremes(void **state)
{
    (void)state;
    char key[REC_KEY_MAX];
    size_t big = 1024 * 1024;
    char *value = malloc(big);
    static const int64_t exps[] = {INT64_MIN, -1, 0, 1, INT32_MAX, (int64_t)UINT32_MAX + 1,
                                   INT64_MAX};
    static const uint64_t cases[] = {0, 1, UINT32_MAX, (uint64_t)UINT32_MAX + 1, UINT64_MAX};
    static const uint32_t u32s[] = {0, 1, 0x80000000u, UINT32_MAX};

    for (size_t i = 0; i < sizeof(key); i++) {
        key[i] = (char)('!' + i % 90);
    }
    for (size_t i = 0; i < big; i++) {
        value[i] = (char)(i * 7 + (i >> 8));
    }
    struct rec r = {.type = REC_SET, .key = key, .value = value};
    for (unsigned nkey = 1; nkey <= REC_KEY_MAX; nkey += REC_KEY_MAX - 1) {
        for (size_t v = 0; v < 4; v++) {
            r.nkey = (uint8_t)nkey;
            r.vlen = v == 3 ? (uint32_t)big : (uint32_t)v;
            round_trip(&r);
        }
    }
    r.nkey = 5;
    r.vlen = 2;
    for (size_t i = 0; i < sizeof(exps) / sizeof(exps[0]); i++) {
        r.exptime = exps[i];
        round_trip(&r);
    }
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        r.cas = cases[i];
        round_trip(&r);
    }
    for (size_t i = 0; i < sizeof(u32s) / sizeof(u32s[0]); i++) {
        r.flags = u32s[i];
        r.stamp = u32s[3 - i];
        round_trip(&r);
    }
    for (unsigned bits = 0; bits < 256; bits++) {
        r.bits = (uint8_t)bits;
        round_trip(&r);
    }
    /* Each field at one bit after another, so a swapped byte shows. */
    for (int bit = 0; bit < 64; bit++) {
        r.cas = 1ull << bit;
        r.exptime = (int64_t)(1ull << bit);
        r.flags = bit < 32 ? 1u << bit : 0;
        r.stamp = bit < 32 ? 1u << (31 - bit) : 0;
        round_trip(&r);
    }
    free(value);
}

/* ---- decode's checks --------------------------------------------------------- */

static void put32(char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (char)(uint8_t)(v >> (8 * i));
    }
}

/* A fresh crc for b, so that only the field changed makes it bad. */
static void reseal(char *b, size_t n)
{
    (void)n;
    uint32_t body_len = (uint32_t)(uint8_t)b[0] | (uint32_t)(uint8_t)b[1] << 8 |
                        (uint32_t)(uint8_t)b[2] << 16 | (uint32_t)(uint8_t)b[3] << 24;
    put32(b + 4, rec_crc32c(rec_crc32c(0, b, 4), b + 8, body_len));
}

static enum rec_result decode_copy(const char *b, size_t n)
{
    char *c = malloc(n ? n : 1);
    struct rec out;
    size_t used;
    memcpy(c, b, n);
    enum rec_result rc = rec_decode(c, n, &out, &used);
    free(c);
    return rc;
}

/* A record of type t with nkey and vlen, its fields then changed by edit
 * (offset into the body, byte) and resealed: decode must say DAMAGED. */
static void expect_damaged(enum rec_type t, uint8_t nkey, uint32_t vlen, size_t at, int byte)
{
    static char key[REC_KEY_MAX], value[64];
    struct rec r = {.type = t, .nkey = nkey, .key = key, .vlen = vlen, .value = value};
    size_t n;
    char *b = encode(&r, &n);
    if (byte >= 0) {
        b[REC_HEAD + at] = (char)byte;
    }
    reseal(b, n);
    assert_int_equal(decode_copy(b, n), REC_DAMAGED);
    free(b);
}

static void test_decode_rejects_fields(void **state)
{
    (void)state;
    expect_damaged(REC_SET, 3, 2, 0, 0);       /* type 0 */
    expect_damaged(REC_SET, 3, 2, 0, 6);       /* type 6 */
    expect_damaged(REC_SET, 3, 2, 0, 0xff);    /* type 255 */
    expect_damaged(REC_SET, 3, 2, 3, 1);       /* reserved */
    expect_damaged(REC_SET, 3, 2, 3, 0x80);    /* reserved */
    expect_damaged(REC_DELETE, 3, 0, 12, 1);   /* DELETE with a value */
    expect_damaged(REC_TOUCH, 3, 0, 12, 1);    /* TOUCH with a value */
    expect_damaged(REC_FLUSH, 0, 0, 12, 1);    /* FLUSH with a value */
    expect_damaged(REC_FLUSH, 0, 0, 2, 1);     /* FLUSH with a key */
    expect_damaged(REC_SYNC, 0, 0, 12, 1);     /* SYNC with a value */
    expect_damaged(REC_SYNC, 0, 0, 2, 1);      /* SYNC with a key */

    /* nkey 0 for the keyed types, body_len kept consistent. */
    static const enum rec_type keyed[] = {REC_SET, REC_DELETE, REC_TOUCH};
    for (size_t i = 0; i < 3; i++) {
        struct rec r = {.type = keyed[i], .nkey = 1, .key = "k"};
        size_t n;
        char *b = encode(&r, &n);
        b[REC_HEAD + 2] = 0;
        put32(b, REC_BODY_FIXED);
        reseal(b, n);
        assert_int_equal(decode_copy(b, n - 1), REC_DAMAGED);
        free(b);
    }

    /* nkey > 250, with a consistent body_len and a long enough buffer. */
    struct rec r = {.type = REC_SET, .nkey = 250, .key = (char[250]){0}};
    size_t n;
    char *b = encode(&r, &n);
    char *c = calloc(1, n + 1);
    memcpy(c, b, n);
    c[REC_HEAD + 2] = (char)251;
    put32(c, REC_BODY_FIXED + 251);
    reseal(c, n + 1);
    assert_int_equal(decode_copy(c, n + 1), REC_DAMAGED);
    free(c);
    free(b);
}

static void test_decode_rejects_lengths(void **state)
{
    (void)state;
    struct rec r = {.type = REC_SET, .nkey = 3, .key = "abc", .vlen = 4, .value = "wxyz"};
    size_t n;
    char *b = encode(&r, &n);

    /* body_len below the fixed part, and at every wrong value near it */
    for (uint32_t bl = 0; bl < REC_BODY_FIXED + 3 + 4 + 8; bl++) {
        put32(b, bl);
        reseal(b, n);
        enum rec_result rc = decode_copy(b, n);
        assert_int_equal(rc, bl == REC_BODY_FIXED + 7 ? REC_OK : REC_DAMAGED);
    }
    /* absurd lengths are DAMAGED, not a wait for more bytes */
    put32(b, UINT32_MAX);
    assert_int_equal(decode_copy(b, REC_HEAD), REC_DAMAGED);
    put32(b, REC_BODY_FIXED + REC_KEY_MAX + REC_VALUE_MAX + 1);
    assert_int_equal(decode_copy(b, REC_HEAD), REC_DAMAGED);
    /* the largest plausible length with only its head there: SHORT */
    put32(b, REC_BODY_FIXED + REC_KEY_MAX + REC_VALUE_MAX);
    assert_int_equal(decode_copy(b, REC_HEAD), REC_SHORT);
    free(b);

    /* vlen over REC_VALUE_MAX with a consistent body_len: DAMAGED, even
     * though the buffer ends after the fixed fields */
    struct rec big = {.type = REC_SET, .nkey = 1, .key = "k"};
    b = encode(&big, &n);
    put32(b + REC_HEAD + 12, REC_VALUE_MAX + 1);
    put32(b, REC_BODY_FIXED + 1 + REC_VALUE_MAX + 1);
    assert_int_equal(decode_copy(b, n), REC_DAMAGED);
    /* and at REC_VALUE_MAX itself: SHORT (more bytes could make it whole) */
    put32(b + REC_HEAD + 12, REC_VALUE_MAX);
    put32(b, REC_BODY_FIXED + 1 + REC_VALUE_MAX);
    assert_int_equal(decode_copy(b, n), REC_SHORT);
    free(b);
}

/* Every prefix of a record is SHORT; every bit flip is DAMAGED. */
static void test_prefixes_and_flips(void **state)
{
    (void)state;
    struct rec recs[] = {
        {.type = REC_SET, .nkey = 3, .key = "abc", .vlen = 6, .value = "v\r\n\0yz", .cas = 9,
         .flags = 3, .exptime = 99, .bits = REC_BIT_FETCHED},
        {.type = REC_DELETE, .nkey = 1, .key = "a"},
        {.type = REC_TOUCH, .nkey = 2, .key = "ab", .exptime = -1},
        {.type = REC_FLUSH, .exptime = 5},
    };
    for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
        size_t n;
        char *b = encode(&recs[i], &n);
        for (size_t cut = 0; cut < n; cut++) {
            assert_int_equal(decode_copy(b, cut), REC_SHORT);
        }
        for (size_t bit = 0; bit < n * 8; bit++) {
            b[bit / 8] ^= (char)(1u << (bit % 8));
            assert_int_equal(decode_copy(b, n), REC_DAMAGED);
            b[bit / 8] ^= (char)(1u << (bit % 8));
        }
        assert_int_equal(decode_copy(b, n), REC_OK);
        free(b);
    }
}

/* Bytes after the record are not its business: used says where it ends. */
static void test_decode_in_longer_buffer(void **state)
{
    (void)state;
    struct rec r = {.type = REC_DELETE, .nkey = 3, .key = "key"};
    size_t n = rec_size(&r), used = 0;
    char *b = malloc(n + 10);
    struct rec out;
    rec_encode(&r, b);
    memset(b + n, 0xee, 10);
    assert_int_equal(rec_decode(b, n + 10, &out, &used), REC_OK);
    assert_int_equal(used, n);
    assert_rec_equal(&r, &out);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc_check_value),
        cmocka_unit_test(test_crc_continues),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_round_trip_types),
        cmocka_unit_test(test_round_trip_extremes),
        cmocka_unit_test(test_decode_rejects_fields),
        cmocka_unit_test(test_decode_rejects_lengths),
        cmocka_unit_test(test_prefixes_and_flips),
        cmocka_unit_test(test_decode_in_longer_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
