/*
 * test_digest.c: repl/digest.h. The combining step carries and wraps at
 * 2^128; an item's hash is XXH3_128bits over the canonical form digest.h
 * documents (and a frozen value: servers of different versions compare
 * digests); the order items come in does not matter, every field that
 * counts changes the digest and no other does; digest_store over a real
 * store equals the records' digest, without expired items.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>

#include <cmocka.h>

#include "common/clock.h"
#include "persist/itemrec.h"
#include "persist/record.h"
#include "repl/digest.h"
#include "store/store.h"

static struct rec mkrec(const char *key, const char *value, uint32_t flags, uint64_t cas,
                        int64_t exptime)
{
    struct rec r = {.type = REC_SET, .key = key, .nkey = (uint8_t)strlen(key), .value = value,
                    .vlen = (uint32_t)strlen(value), .flags = flags, .cas = cas,
                    .exptime = exptime};
    return r;
}

static void hex_of(const struct digest *d, char *out)
{
    digest_hex(d, out);
    assert_int_equal(strlen(out), DIGEST_HEX_LEN);
}

static void test_empty_is_zero(void **state)
{
    struct digest d;
    char hex[DIGEST_HEX_LEN + 1];
    digest_init(&d);
    hex_of(&d, hex);
    assert_string_equal(hex, "00000000000000000000000000000000");
    assert_int_equal(d.items, 0);
}

static void test_add_hash_carries_and_wraps(void **state)
{
    struct digest d;
    char hex[DIGEST_HEX_LEN + 1];
    digest_init(&d);
    digest_add_hash(&d, UINT64_MAX, 0);
    digest_add_hash(&d, 1, 0);
    assert_true(d.lo == 0 && d.hi == 1);
    digest_add_hash(&d, 0xabcdef, 0x10);
    hex_of(&d, hex);
    assert_string_equal(hex, "00000000000000110000000000abcdef");
    /* 2^128 - 1 + 1 = 0 */
    digest_init(&d);
    digest_add_hash(&d, UINT64_MAX, UINT64_MAX);
    digest_add_hash(&d, 1, 0);
    assert_true(d.lo == 0 && d.hi == 0);
    assert_int_equal(d.items, 0); /* items count records, not hashes */
}

static unsigned char *le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
    return p + n;
}

/* digest.h's canonical form, written out here independently */
static void test_item_hash_is_the_documented_form(void **state)
{
    struct rec r = mkrec("user:42", "hello world", 0xdeadbeef, 0x0102030405060708ull,
                         1893456000);
    XXH128_hash_t v = XXH3_128bits("hello world", 11);
    unsigned char buf[256], *p = buf;
    p = le(p, 7, 4);
    memcpy(p, "user:42", 7);
    p += 7;
    p = le(p, 11, 4);
    p = le(p, 0xdeadbeef, 4);
    p = le(p, 0x0102030405060708ull, 8);
    p = le(p, 1893456000, 8);
    p = le(p, v.low64, 8);
    p = le(p, v.high64, 8);
    XXH128_hash_t h = XXH3_128bits(buf, (size_t)(p - buf));

    struct digest d;
    digest_init(&d);
    digest_add_rec(&d, &r);
    assert_true(d.lo == h.low64 && d.hi == h.high64);
    assert_int_equal(d.items, 1);
    /* frozen: servers of different versions must agree */
    char hex[DIGEST_HEX_LEN + 1];
    hex_of(&d, hex);
    assert_string_equal(hex, "2accc9cdc0560bf072ff246e7997a6c7");
}

static void digest_of(const struct rec *recs, const int *order, int n, char *hex)
{
    struct digest d;
    digest_init(&d);
    for (int i = 0; i < n; i++)
        digest_add_rec(&d, &recs[order[i]]);
    assert_int_equal(d.items, n);
    hex_of(&d, hex);
}

static void test_order_does_not_matter(void **state)
{
    struct rec recs[3] = {mkrec("a", "1", 0, 1, 0), mkrec("b", "22", 7, 2, 1893456000),
                          mkrec("c", "", 0, 3, 0)};
    static const int orders[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                     {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    char first[DIGEST_HEX_LEN + 1], hex[DIGEST_HEX_LEN + 1];
    digest_of(recs, orders[0], 3, first);
    for (int i = 1; i < 6; i++) {
        digest_of(recs, orders[i], 3, hex);
        assert_string_equal(hex, first);
    }
    /* a subset differs */
    digest_of(recs, orders[0], 2, hex);
    assert_string_not_equal(hex, first);
}

static void test_each_field_counts(void **state)
{
    const struct rec base = mkrec("key", "value", 5, 100, 1893456000);
    struct rec changed[] = {
        mkrec("kez", "value", 5, 100, 1893456000), mkrec("key", "valuf", 5, 100, 1893456000),
        mkrec("key", "value", 6, 100, 1893456000), mkrec("key", "value", 5, 101, 1893456000),
        mkrec("key", "value", 5, 100, 1893456001), mkrec("key", "value", 5, 100, 0),
        /* the same bytes cut elsewhere between key and value */
        mkrec("keyv", "alue", 5, 100, 1893456000),
    };
    static const int zero = 0;
    char want[DIGEST_HEX_LEN + 1], hex[DIGEST_HEX_LEN + 1];
    digest_of(&base, &zero, 1, want);
    for (size_t i = 0; i < sizeof(changed) / sizeof(changed[0]); i++) {
        digest_of(&changed[i], &zero, 1, hex);
        assert_string_not_equal(hex, want);
    }
    /* what is not part of it: the stamp, the meta bits, the type */
    struct rec same = base;
    same.stamp = 12345;
    same.bits = REC_BIT_STALE | REC_BIT_FETCHED | REC_BIT_WIN_SENT | REC_BIT_KEY_BINARY;
    digest_of(&same, &zero, 1, hex);
    assert_string_equal(hex, want);
}

static void test_a_repeated_item_does_not_cancel(void **state)
{
    struct rec r = mkrec("k", "v", 0, 9, 0);
    struct digest d;
    digest_init(&d);
    digest_add_rec(&d, &r);
    digest_add_rec(&d, &r);
    assert_false(d.lo == 0 && d.hi == 0);
    assert_int_equal(d.items, 2);
}

/* ---- digest_store, over a real store ---- */

static void restore(struct store *s, const struct rec *r)
{
    struct store_restore sr = {.key = r->key, .nkey = r->nkey, .value = r->value,
                               .vlen = r->vlen, .flags = r->flags, .cas = r->cas,
                               .exptime = itemrec_exptime_clock(r->exptime)};
    assert_int_equal(store_restore(s, &sr), STORE_OK);
}

static void test_store_walk_equals_the_records(void **state)
{
    struct store_config cfg = {.max_bytes = 64u << 20, .item_size_max = 1u << 20,
                               .evict = true, .use_cas = true};
    struct store *s = NULL;
    assert_int_equal(store_create(&cfg, &s), STORE_OK);
    int64_t now = clock_to_unix(clock_now());
    char keys[300][16], vals[300][24];
    struct rec recs[300];
    struct digest want;
    digest_init(&want);
    for (int i = 0; i < 300; i++) {
        snprintf(keys[i], sizeof(keys[i]), "key:%d", i);
        snprintf(vals[i], sizeof(vals[i]), "value %d", i * 7);
        recs[i] = mkrec(keys[i], vals[i], (uint32_t)i, 1000 + (uint64_t)i,
                        i % 3 == 0 ? 0 : now + 1000 + i);
        restore(s, &recs[i]);
        digest_add_rec(&want, &recs[i]);
    }
    struct digest got;
    assert_int_equal(digest_store(s, &got), DIGEST_OK);
    assert_int_equal(got.items, 300);
    assert_true(got.lo == want.lo && got.hi == want.hi);

    /* an item about to expire counts until it has */
    struct rec soon = mkrec("soon", "x", 0, 5, now + 5);
    restore(s, &soon);
    assert_int_equal(digest_store(s, &got), DIGEST_OK);
    assert_int_equal(got.items, 301);
    clock_shift(10);
    assert_int_equal(digest_store(s, &got), DIGEST_OK);
    assert_int_equal(got.items, 300);
    assert_true(got.lo == want.lo && got.hi == want.hi);
    store_destroy(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_is_zero),
        cmocka_unit_test(test_add_hash_carries_and_wraps),
        cmocka_unit_test(test_item_hash_is_the_documented_form),
        cmocka_unit_test(test_order_does_not_matter),
        cmocka_unit_test(test_each_field_counts),
        cmocka_unit_test(test_a_repeated_item_does_not_cancel),
        cmocka_unit_test(test_store_walk_equals_the_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
