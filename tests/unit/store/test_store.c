/*
 * test_store.c: unit tests of the storage engine, through store.h only (plus
 * clock_shift() to move time forward for expiry).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../clock_fresh.h"

#include "common/clock.h"
#include "store/store.h"

#define KB 1024u
#define MB (1024u * 1024u)

/* incr/decr with every option off, its value and cas read from the result. */
static enum store_status delta_classic(struct store *s, const char *key, size_t nkey, bool incr,
                                       uint64_t delta, uint64_t *value_out, uint64_t *cas_out)
{
    struct store_delta_result r;
    enum store_status st = store_delta(s, key, nkey, incr, delta, NULL, &r);
    if (st == STORE_OK) {
        *value_out = r.value;
        if (cas_out != NULL)
            *cas_out = r.cas;
    }
    return st;
}

static struct store *mk(size_t max_bytes, size_t item_size_max, bool evict, bool use_cas)
{
    struct store_config cfg = {.max_bytes = max_bytes,
                               .item_size_max = item_size_max,
                               .evict = evict,
                               .use_cas = use_cas};
    struct store *s = NULL;
    assert_int_equal(store_create(&cfg, &s), STORE_OK);
    assert_non_null(s);
    return s;
}

static struct store *mk_default(void)
{
    return mk(4 * MB, 64 * KB, true, true);
}

/* reserve + fill + commit one value */
static enum store_status put_full(struct store *s, const char *key, const void *val, size_t vlen,
                                  uint32_t flags, uint32_t exptime, enum store_mode mode,
                                  uint64_t cas, uint64_t *cas_out)
{
    struct item *it = NULL;
    enum store_status st =
        store_reserve(s, key, strlen(key), flags, exptime, (uint32_t)vlen, &it);
    if (st != STORE_OK) {
        assert_null(it);
        return st;
    }
    memcpy(item_data(it), val, vlen);
    memcpy(item_data(it) + vlen, "\r\n", 2);
    st = store_commit(s, &it, mode, cas, NULL, cas_out);
    assert_null(it);
    return st;
}

static enum store_status put(struct store *s, const char *key, const char *val,
                             enum store_mode mode)
{
    return put_full(s, key, val, strlen(val), 0, 0, mode, 0, NULL);
}

/* The key's value as a string, or NULL on a miss (caller frees). */
static char *get_str(struct store *s, const char *key)
{
    struct item *it = store_get(s, key, strlen(key), NULL, NULL);
    if (it == NULL)
        return NULL;
    char *out = malloc(item_vlen(it) + 1);
    memcpy(out, item_value(it), item_vlen(it));
    out[item_vlen(it)] = '\0';
    assert_memory_equal(item_value(it) + item_vlen(it), "\r\n", 2);
    store_release(s, &it);
    assert_null(it);
    return out;
}

static void assert_value(struct store *s, const char *key, const char *want)
{
    char *got = get_str(s, key);
    if (want == NULL) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void assert_bytes(struct store *s, const char *key, const void *want, size_t len)
{
    struct item *it = store_get(s, key, strlen(key), NULL, NULL);
    assert_non_null(it);
    assert_int_equal(item_vlen(it), len);
    assert_memory_equal(item_value(it), want, len);
    store_release(s, &it);
}

static struct store_stats stats_of(struct store *s)
{
    struct store_stats st;
    store_stats(s, &st);
    return st;
}

/* ---- configuration and arguments ---- */

static void test_create_validates(void **state)
{
    struct store *s = NULL;
    struct store_config cfg = {.max_bytes = MB, .item_size_max = MB, .evict = true,
                               .use_cas = true};
    assert_int_equal(store_create(NULL, &s), STORE_EINVAL);
    assert_int_equal(store_create(&cfg, NULL), STORE_EINVAL);
    cfg.item_size_max = 512;
    assert_int_equal(store_create(&cfg, &s), STORE_EINVAL);
    cfg.item_size_max = 2 * MB;
    assert_int_equal(store_create(&cfg, &s), STORE_EINVAL);
    assert_null(s);
    cfg.item_size_max = MB;
    assert_int_equal(store_create(&cfg, &s), STORE_OK);
    store_destroy(&s);
    assert_null(s);
    store_destroy(&s); /* harmless twice */
}

static void test_einval(void **state)
{
    struct store *s = mk_default();
    char big[300];
    memset(big, 'k', sizeof(big));
    struct item *it = (struct item *)0x1;
    uint64_t v;

    assert_int_equal(store_reserve(s, NULL, 3, 0, 0, 1, &it), STORE_EINVAL);
    assert_null(it);
    assert_int_equal(store_reserve(s, "k", 0, 0, 0, 1, &it), STORE_EINVAL);
    assert_int_equal(store_reserve(s, big, 251, 0, 0, 1, &it), STORE_EINVAL);
    assert_int_equal(store_reserve(s, "k", 1, 0, 0, 1, NULL), STORE_EINVAL);
    assert_int_equal(store_reserve(NULL, "k", 1, 0, 0, 1, &it), STORE_EINVAL);
    assert_int_equal(store_reserve(s, big, 250, 0, 0, 1, &it), STORE_OK);
    store_abort(s, &it);
    assert_null(it);
    assert_null(store_get(s, NULL, 1, NULL, NULL));
    assert_null(store_get(s, "k", 0, NULL, NULL));
    assert_null(store_get(s, big, 251, NULL, NULL));
    assert_int_equal(store_touch(s, NULL, 1, 0), STORE_EINVAL);
    assert_int_equal(store_touch(s, big, 251, 0), STORE_EINVAL);
    assert_int_equal(store_delete(s, NULL, 1, NULL), STORE_EINVAL);
    assert_int_equal(store_delete(s, "k", 0, NULL), STORE_EINVAL);
    assert_int_equal(delta_classic(s, NULL, 1, true, 1, &v, NULL), STORE_EINVAL);
    assert_int_equal(delta_classic(s, big, 251, true, 1, &v, NULL), STORE_EINVAL);
    assert_int_equal(store_commit(s, NULL, STORE_SET, 0, NULL, NULL), STORE_EINVAL);
    it = NULL;
    assert_int_equal(store_commit(s, &it, STORE_SET, 0, NULL, NULL), STORE_EINVAL);
    store_release(s, &it);
    store_release(s, NULL);
    assert_int_equal(store_foreach(s, NULL, NULL), STORE_EINVAL);
    assert_int_equal(stats_of(s).used_bytes, 0);
    store_destroy(&s);
}

/* ---- basic verbs ---- */

static void test_set_get_roundtrip(void **state)
{
    struct store *s = mk_default();
    uint32_t exp = clock_now() + 1000;
    uint64_t cas = 0;

    assert_int_equal(put_full(s, "alpha", "hello", 5, 0xdeadbeef, exp, STORE_SET, 0, &cas),
                     STORE_OK);
    assert_int_not_equal(cas, 0);
    struct item *it = store_get(s, "alpha", 5, NULL, NULL);
    assert_non_null(it);
    assert_int_equal(item_nkey(it), 5);
    assert_memory_equal(item_key(it), "alpha", 5);
    assert_int_equal(item_vlen(it), 5);
    assert_memory_equal(item_value(it), "hello\r\n", 7);
    assert_int_equal(item_flags(it), 0xdeadbeef);
    assert_int_equal(item_exptime(it), exp);
    assert_int_equal(store_item_cas(s, it), cas);
    store_release(s, &it);

    /* empty value, and a caller that scribbled over the terminator */
    struct item *r = NULL;
    assert_int_equal(store_reserve(s, "empty", 5, 0, 0, 0, &r), STORE_OK);
    memcpy(item_data(r), "xx", 2);
    assert_int_equal(store_commit(s, &r, STORE_SET, 0, NULL, NULL), STORE_OK);
    assert_value(s, "empty", "");

    /* overwrite */
    assert_int_equal(put(s, "alpha", "world!", STORE_SET), STORE_OK);
    assert_value(s, "alpha", "world!");
    assert_value(s, "missing", NULL);

    struct store_stats st = stats_of(s);
    assert_int_equal(st.curr_items, 2);
    assert_int_equal(st.total_items, 3);
    assert_true(st.bytes > 0 && st.used_bytes >= st.bytes);
    assert_int_equal(st.limit_maxbytes, 4 * MB);
    assert_true(st.hash_buckets > 0 && st.hash_bytes >= st.hash_buckets);
    store_destroy(&s);
}

static void test_add_replace(void **state)
{
    struct store *s = mk_default();
    assert_int_equal(put(s, "k", "1", STORE_REPLACE), STORE_NOT_STORED);
    assert_value(s, "k", NULL);
    assert_int_equal(put(s, "k", "1", STORE_ADD), STORE_OK);
    assert_int_equal(put(s, "k", "2", STORE_ADD), STORE_NOT_STORED);
    assert_value(s, "k", "1");
    assert_int_equal(put(s, "k", "3", STORE_REPLACE), STORE_OK);
    assert_value(s, "k", "3");
    /* a failed store consumed its reservation: nothing charged beyond k */
    assert_int_equal(stats_of(s).curr_items, 1);
    store_destroy(&s);
}

static void test_append_prepend(void **state)
{
    struct store *s = mk(4 * MB, 1024, true, true);
    uint32_t exp = clock_now() + 500;
    uint64_t cas1 = 0, cas2 = 0;

    assert_int_equal(put(s, "k", "x", STORE_APPEND), STORE_NOT_STORED);
    assert_int_equal(put(s, "k", "x", STORE_PREPEND), STORE_NOT_STORED);
    assert_int_equal(put_full(s, "k", "mid", 3, 42, exp, STORE_SET, 0, &cas1), STORE_OK);
    assert_int_equal(put_full(s, "k", "_end", 4, 7, 0, STORE_APPEND, 0, &cas2), STORE_OK);
    assert_int_not_equal(cas1, cas2);
    assert_int_equal(put_full(s, "k", "start_", 6, 9, 0, STORE_PREPEND, 0, NULL), STORE_OK);
    struct item *it = store_get(s, "k", 1, NULL, NULL);
    assert_non_null(it);
    assert_int_equal(item_vlen(it), 13);
    assert_memory_equal(item_value(it), "start_mid_end\r\n", 15);
    assert_int_equal(item_flags(it), 42); /* the existing item's flags and exptime */
    assert_int_equal(item_exptime(it), exp);
    store_release(s, &it);

    /* growing past item_size_max */
    char piece[600];
    memset(piece, 'p', sizeof(piece));
    assert_int_equal(put_full(s, "k", piece, 600, 0, 0, STORE_APPEND, 0, NULL), STORE_OK);
    assert_int_equal(put_full(s, "k", piece, 600, 0, 0, STORE_APPEND, 0, NULL),
                     STORE_TOO_LARGE);
    it = store_get(s, "k", 1, NULL, NULL);
    assert_int_equal(item_vlen(it), 613);
    store_release(s, &it);
    assert_int_equal(stats_of(s).curr_items, 1);
    store_destroy(&s);
}

static void test_cas(void **state)
{
    struct store *s = mk_default();
    uint64_t cas = 0, cas2 = 0;

    assert_int_equal(put_full(s, "k", "a", 1, 0, 0, STORE_CAS, 123, NULL), STORE_NOT_FOUND);
    assert_int_equal(put_full(s, "k", "a", 1, 0, 0, STORE_SET, 0, &cas), STORE_OK);
    assert_int_equal(put_full(s, "k", "b", 1, 0, 0, STORE_CAS, cas + 1, NULL), STORE_EXISTS);
    assert_int_equal(put_full(s, "k", "b", 1, 0, 0, STORE_CAS, 0, NULL), STORE_EXISTS);
    assert_value(s, "k", "a");
    assert_int_equal(put_full(s, "k", "b", 1, 0, 0, STORE_CAS, cas, &cas2), STORE_OK);
    assert_int_not_equal(cas, cas2);
    assert_value(s, "k", "b");
    /* the old cas is stale now */
    assert_int_equal(put_full(s, "k", "c", 1, 0, 0, STORE_CAS, cas, NULL), STORE_EXISTS);
    assert_value(s, "k", "b");
    store_destroy(&s);
}

static void test_cas_disabled(void **state)
{
    struct store *s = mk(4 * MB, 64 * KB, true, false);
    uint64_t cas = 99;
    assert_int_equal(put_full(s, "k", "a", 1, 0, 0, STORE_SET, 0, &cas), STORE_OK);
    assert_int_equal(cas, 0);
    struct item *it = store_get(s, "k", 1, NULL, NULL);
    assert_int_equal(store_item_cas(s, it), 0);
    store_release(s, &it);
    /* memcached -C: a cas command never matches an existing item */
    assert_int_equal(put_full(s, "k", "b", 1, 0, 0, STORE_CAS, 0, NULL), STORE_EXISTS);
    assert_int_equal(put_full(s, "k", "b", 1, 0, 0, STORE_CAS, 5, NULL), STORE_EXISTS);
    assert_int_equal(put_full(s, "x", "b", 1, 0, 0, STORE_CAS, 5, NULL), STORE_NOT_FOUND);
    assert_int_equal(store_delete(s, "k", 1, NULL), STORE_OK);
    store_destroy(&s);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_cas_unique(void **state)
{
    enum { N = 20000 };
    struct store *s = mk(64 * MB, 64 * KB, true, true);
    uint64_t *seen = malloc(N * sizeof(*seen));
    char key[32];
    uint64_t v;

    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "key%d", i % 500); /* same keys again and again */
        if (i % 3 == 0) {
            assert_int_equal(put_full(s, key, "1", 1, 0, 0, STORE_SET, 0, &seen[i]), STORE_OK);
        } else if (i % 3 == 1) {
            assert_int_equal(put_full(s, key, "1", 1, 0, 0, STORE_SET, 0, NULL), STORE_OK);
            assert_int_equal(delta_classic(s, key, strlen(key), true, 1, &v, &seen[i]), STORE_OK);
        } else {
            assert_int_equal(put_full(s, key, "1", 1, 0, 0, STORE_SET, 0, NULL), STORE_OK);
            assert_int_equal(put_full(s, key, "2", 1, 0, 0, STORE_APPEND, 0, &seen[i]),
                             STORE_OK);
        }
        assert_int_not_equal(seen[i], 0);
    }
    qsort(seen, N, sizeof(*seen), cmp_u64);
    for (int i = 1; i < N; i++)
        assert_true(seen[i - 1] != seen[i]);
    free(seen);
    store_destroy(&s);
}

static void test_delete(void **state)
{
    struct store *s = mk_default();
    uint64_t cas = 0;

    assert_int_equal(store_delete(s, "k", 1, NULL), STORE_NOT_FOUND);
    assert_int_equal(put_full(s, "k", "a", 1, 0, 0, STORE_SET, 0, &cas), STORE_OK);
    assert_int_equal(store_delete(s, "k", 1, &(struct store_delete_opts){.cas = cas + 1}),
                     STORE_EXISTS);
    assert_value(s, "k", "a");
    assert_int_equal(store_delete(s, "k", 1, &(struct store_delete_opts){.cas = cas}), STORE_OK);
    assert_value(s, "k", NULL);
    assert_int_equal(store_delete(s, "k", 1, NULL), STORE_NOT_FOUND);
    assert_int_equal(put(s, "k", "b", STORE_SET), STORE_OK);
    assert_int_equal(store_delete(s, "k", 1, NULL), STORE_OK);
    assert_value(s, "k", NULL);
    struct store_stats st = stats_of(s);
    assert_int_equal(st.curr_items, 0);
    assert_int_equal(st.bytes, 0);
    assert_int_equal(st.used_bytes, 0);
    store_destroy(&s);
}

/* ---- incr/decr ---- */

static void test_delta(void **state)
{
    struct store *s = mk_default();
    uint32_t exp = clock_now() + 300;
    uint64_t v = 0, cas = 0, cas2 = 0;

    assert_int_equal(delta_classic(s, "n", 1, true, 1, &v, NULL), STORE_NOT_FOUND);
    assert_int_equal(put_full(s, "n", "5", 1, 77, exp, STORE_SET, 0, &cas), STORE_OK);
    assert_int_equal(delta_classic(s, "n", 1, true, 3, &v, &cas2), STORE_OK);
    assert_int_equal(v, 8);
    assert_int_not_equal(cas, cas2);
    struct item *it = store_get(s, "n", 1, NULL, NULL);
    assert_int_equal(item_flags(it), 77);
    assert_int_equal(item_exptime(it), exp);
    assert_int_equal(store_item_cas(s, it), cas2);
    store_release(s, &it);

    /* length growth */
    assert_int_equal(put(s, "n", "99", STORE_SET), STORE_OK);
    assert_int_equal(delta_classic(s, "n", 1, true, 1, &v, NULL), STORE_OK);
    assert_int_equal(v, 100);
    assert_value(s, "n", "100");
    /* shrink keeps the length, padded with spaces (memcached's in-place rewrite) */
    assert_int_equal(put(s, "n", "10", STORE_SET), STORE_OK);
    assert_int_equal(delta_classic(s, "n", 1, false, 1, &v, NULL), STORE_OK);
    assert_int_equal(v, 9);
    assert_value(s, "n", "9 ");
    assert_int_equal(delta_classic(s, "n", 1, true, 1, &v, NULL), STORE_OK);
    assert_int_equal(v, 10);
    assert_value(s, "n", "10");
    /* decr floor */
    assert_int_equal(delta_classic(s, "n", 1, false, 1000, &v, NULL), STORE_OK);
    assert_int_equal(v, 0);
    assert_value(s, "n", "0 ");
    /* wrap at 2^64 */
    assert_int_equal(put(s, "n", "18446744073709551615", STORE_SET), STORE_OK);
    assert_int_equal(delta_classic(s, "n", 1, true, 2, &v, NULL), STORE_OK);
    assert_int_equal(v, 1);
    assert_int_equal(put(s, "n", "1", STORE_SET), STORE_OK);
    assert_int_equal(delta_classic(s, "n", 1, true, UINT64_MAX, &v, NULL), STORE_OK);
    assert_int_equal(v, 0);
    /* memcached's safe_strtoull quirks */
    assert_int_equal(put(s, "n", "12 ab", STORE_SET), STORE_OK);
    assert_int_equal(delta_classic(s, "n", 1, true, 2, &v, NULL), STORE_OK);
    assert_int_equal(v, 14);
    assert_value(s, "n", "14   ");
    assert_int_equal(put(s, "n", " +5", STORE_SET), STORE_OK);
    assert_int_equal(delta_classic(s, "n", 1, true, 1, &v, NULL), STORE_OK);
    assert_int_equal(v, 6);
    assert_int_equal(put(s, "n", "-0", STORE_SET), STORE_OK);
    assert_int_equal(delta_classic(s, "n", 1, true, 1, &v, NULL), STORE_OK);
    assert_int_equal(v, 1);

    static const char *bad[] = {"", "abc", "12ab", "-5", " ", "+", "0x10",
                                "18446744073709551616", "99999999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(put(s, "n", bad[i], STORE_SET), STORE_OK);
        assert_int_equal(delta_classic(s, "n", 1, true, 1, &v, NULL), STORE_NON_NUMERIC);
        assert_int_equal(delta_classic(s, "n", 1, false, 1, &v, NULL), STORE_NON_NUMERIC);
        assert_value(s, "n", bad[i]);
    }
    assert_int_equal(stats_of(s).curr_items, 1);
    store_destroy(&s);
}

/* ---- time ---- */

static void test_touch_gat(void **state)
{
    struct store *s = mk_default();
    uint32_t now = clock_fresh_now();

    assert_int_equal(store_touch(s, "k", 1, now + 10), STORE_NOT_FOUND);
    assert_int_equal(put_full(s, "k", "v", 1, 0, now + 5, STORE_SET, 0, NULL), STORE_OK);
    assert_int_equal(store_touch(s, "k", 1, now + 100), STORE_OK);
    struct item *it = store_get(s, "k", 1, NULL, NULL);
    assert_int_equal(item_exptime(it), now + 100);
    store_release(s, &it);
    /* gat to "never" */
    it = store_get(s, "k", 1, &(struct store_get_opts){.touch = true, .new_exptime = 0}, NULL);
    assert_non_null(it);
    assert_int_equal(item_exptime(it), 0);
    store_release(s, &it);
    clock_shift(200);
    assert_value(s, "k", "v");
    /* touch into the past: gone */
    assert_int_equal(store_touch(s, "k", 1, STORE_EXPIRED), STORE_OK);
    assert_value(s, "k", NULL);
    assert_int_equal(store_touch(s, "k", 1, 0), STORE_NOT_FOUND);
    store_destroy(&s);
}

static void test_expiry(void **state)
{
    struct store *s = mk_default();
    uint32_t now = clock_fresh_now();

    assert_int_equal(put_full(s, "k", "v", 1, 0, now + 10, STORE_SET, 0, NULL), STORE_OK);
    assert_int_equal(put_full(s, "gone", "v", 1, 0, STORE_EXPIRED, STORE_SET, 0, NULL), STORE_OK);
    assert_value(s, "gone", NULL);
    assert_value(s, "k", "v");
    clock_shift(9);
    assert_value(s, "k", "v");
    clock_shift(1); /* exptime <= now: dead */
    assert_value(s, "k", NULL);
    assert_int_equal(store_touch(s, "k", 1, 0), STORE_NOT_FOUND);
    assert_int_equal(store_delete(s, "k", 1, NULL), STORE_NOT_FOUND);
    assert_int_equal(put(s, "k", "x", STORE_REPLACE), STORE_NOT_STORED);
    assert_int_equal(put(s, "k", "x", STORE_APPEND), STORE_NOT_STORED);
    uint64_t v;
    assert_int_equal(delta_classic(s, "k", 1, true, 1, &v, NULL), STORE_NOT_FOUND);
    assert_int_equal(put(s, "k", "new", STORE_ADD), STORE_OK);
    assert_value(s, "k", "new");

    /* a stored-dead item replaces a live one: the key reads as missing */
    assert_int_equal(put_full(s, "k", "v", 1, 0, STORE_EXPIRED, STORE_SET, 0, NULL), STORE_OK);
    assert_value(s, "k", NULL);
    store_destroy(&s);
}

static void test_flush_immediate(void **state)
{
    struct store *s = mk_default();
    assert_int_equal(put(s, "a", "1", STORE_SET), STORE_OK);
    assert_int_equal(put(s, "b", "2", STORE_SET), STORE_OK);
    store_flush(s, 0);
    assert_value(s, "a", NULL);
    assert_int_equal(put(s, "c", "3", STORE_SET), STORE_OK); /* same second, must survive */
    assert_value(s, "c", "3");
    assert_value(s, "b", NULL);
    assert_int_equal(put(s, "b", "4", STORE_ADD), STORE_OK);
    assert_value(s, "b", "4");
    store_flush(s, clock_now()); /* when <= now: at once */
    assert_value(s, "b", NULL);
    assert_value(s, "c", NULL);
    assert_int_equal(put(s, "d", "5", STORE_SET), STORE_OK);
    assert_value(s, "d", "5");
    store_destroy(&s);
}

static void test_flush_delayed(void **state)
{
    struct store *s = mk_default();
    uint32_t now = clock_fresh_now();

    assert_int_equal(put(s, "a", "1", STORE_SET), STORE_OK);
    store_flush(s, now + 5);
    assert_value(s, "a", "1");
    assert_int_equal(put(s, "b", "2", STORE_SET), STORE_OK);
    clock_shift(4);
    assert_value(s, "a", "1");
    assert_value(s, "b", "2");
    clock_shift(1);
    assert_value(s, "a", NULL);
    assert_value(s, "b", NULL);
    assert_int_equal(put(s, "c", "3", STORE_SET), STORE_OK);
    assert_value(s, "c", "3");
    clock_shift(100);
    assert_value(s, "c", "3"); /* the delayed flush fires once */

    /* a later flush_all replaces a pending one (memcached) */
    now = clock_fresh_now();
    store_flush(s, now + 5);
    store_flush(s, now + 50);
    clock_shift(10);
    assert_value(s, "c", "3");
    clock_shift(40);
    assert_value(s, "c", NULL);
    store_destroy(&s);
}

/* ---- memory ---- */

static void test_memory_bound_evicts(void **state)
{
    enum { N = 20000 };
    struct store *s = mk(MB, 1024, true, true);
    char key[32], val[200];

    memset(val, 'v', sizeof(val));
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "key:%d", i);
        assert_int_equal(put_full(s, key, val, sizeof(val), 0, 0, STORE_SET, 0, NULL), STORE_OK);
        if (i % 1000 == 0)
            assert_true(stats_of(s).used_bytes <= MB);
    }
    struct store_stats st = stats_of(s);
    assert_true(st.used_bytes <= MB);
    assert_true(st.evictions > 0);
    assert_int_equal(st.evicted_unfetched, st.evictions);
    assert_true(st.curr_items < N);
    assert_int_equal(st.curr_items + st.evictions, N);
    /* most recent present, oldest gone */
    for (int i = N - 100; i < N; i++) {
        snprintf(key, sizeof(key), "key:%d", i);
        struct item *it = store_get(s, key, strlen(key), NULL, NULL);
        assert_non_null(it);
        store_release(s, &it);
    }
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof(key), "key:%d", i);
        assert_null(store_get(s, key, strlen(key), NULL, NULL));
    }
    store_stats_reset(s);
    st = stats_of(s);
    assert_int_equal(st.evictions, 0);
    assert_int_equal(st.total_items, 0);
    assert_true(st.curr_items > 0); /* not a cumulative counter */
    store_destroy(&s);
}

static void test_no_evict_mode(void **state)
{
    struct store *s = mk(MB, 1024, false, true);
    char key[32], val[200];
    int stored = 0;
    uint32_t now = clock_fresh_now();

    memset(val, 'v', sizeof(val));
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof(key), "key:%d", i);
        enum store_status st = put_full(s, key, val, sizeof(val), 0, now + 10, STORE_SET, 0, NULL);
        if (st == STORE_ENOMEM)
            break;
        assert_int_equal(st, STORE_OK);
        stored++;
    }
    assert_true(stored > 1000 && stored < 20000);
    struct store_stats st = stats_of(s);
    assert_int_equal(st.evictions, 0);
    assert_true(st.used_bytes <= MB);
    assert_int_equal(st.curr_items, (uint64_t)stored);
    /* every live item is still there, intact */
    for (int i = 0; i < stored; i++) {
        snprintf(key, sizeof(key), "key:%d", i);
        assert_bytes(s, key, val, sizeof(val));
    }
    /* once they expire, their memory is reclaimed for new stores */
    clock_shift(11);
    for (int i = 0; i < stored; i++) {
        snprintf(key, sizeof(key), "new:%d", i);
        assert_int_equal(put_full(s, key, val, sizeof(val), 0, 0, STORE_SET, 0, NULL), STORE_OK);
    }
    st = stats_of(s);
    assert_int_equal(st.evictions, 0);
    assert_true(st.reclaimed > 0);
    assert_int_equal(st.expired_unfetched, 0); /* each was read above */
    assert_true(st.used_bytes <= MB);
    /* and now live items are never evicted: ENOMEM instead */
    assert_int_equal(put_full(s, "one-more", val, sizeof(val), 0, 0, STORE_SET, 0, NULL),
                     STORE_ENOMEM);
    for (int i = 0; i < stored; i++) {
        snprintf(key, sizeof(key), "new:%d", i);
        assert_bytes(s, key, val, sizeof(val));
    }
    store_destroy(&s);
}

static void test_too_large(void **state)
{
    struct store *s = mk(4 * MB, 4096, true, true);
    struct item *it = NULL;
    size_t max_vlen = 0;

    while (store_item_fits(s, 3, max_vlen + 1))
        max_vlen++;
    assert_true(max_vlen > 3000 && max_vlen < 4096);
    assert_false(store_item_fits(s, 3, max_vlen + 1));
    assert_false(store_item_fits(s, 3, (size_t)UINT32_MAX + 10));
    assert_int_equal(store_reserve(s, "big", 3, 0, 0, (uint32_t)max_vlen, &it), STORE_OK);
    memset(item_data(it), 'x', max_vlen);
    assert_int_equal(store_commit(s, &it, STORE_SET, 0, NULL, NULL), STORE_OK);
    assert_int_equal(store_reserve(s, "big", 3, 0, 0, (uint32_t)max_vlen + 1, &it),
                     STORE_TOO_LARGE);
    assert_null(it);
    assert_int_equal(store_reserve(s, "big", 3, 0, 0, UINT32_MAX, &it), STORE_TOO_LARGE);
    store_destroy(&s);
}

/* ---- references ---- */

static void test_ref_survives_overwrite_and_eviction(void **state)
{
    struct store *s = mk(MB, 1024, true, true);
    char val[500], other[500], key[32];

    memset(val, 'A', sizeof(val));
    memcpy(val, "original", 8);
    memset(other, 'B', sizeof(other));
    assert_int_equal(put_full(s, "held", val, sizeof(val), 1, 0, STORE_SET, 0, NULL), STORE_OK);
    struct item *held = store_get(s, "held", 4, NULL, NULL);
    assert_non_null(held);

    /* overwrite the key many times, under eviction pressure */
    for (int i = 0; i < 10000; i++) {
        other[0] = (char)('a' + i % 26);
        assert_int_equal(put_full(s, "held", other, sizeof(other), 2, 0, STORE_SET, 0, NULL),
                         STORE_OK);
        snprintf(key, sizeof(key), "fill:%d", i);
        assert_int_equal(put_full(s, key, other, sizeof(other), 0, 0, STORE_SET, 0, NULL),
                         STORE_OK);
    }
    assert_true(stats_of(s).evictions > 0);
    assert_true(stats_of(s).used_bytes <= MB);
    assert_int_equal(item_vlen(held), sizeof(val));
    assert_memory_equal(item_value(held), val, sizeof(val));
    assert_memory_equal(item_value(held) + sizeof(val), "\r\n", 2);
    assert_int_equal(item_flags(held), 1);
    store_release(s, &held);

    /* a referenced linked item is skipped by eviction; deletion only unlinks */
    assert_int_equal(put_full(s, "pin", val, sizeof(val), 0, 0, STORE_SET, 0, NULL), STORE_OK);
    struct item *pin = store_get(s, "pin", 3, NULL, NULL);
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof(key), "more:%d", i);
        assert_int_equal(put_full(s, key, other, sizeof(other), 0, 0, STORE_SET, 0, NULL),
                         STORE_OK);
    }
    assert_bytes(s, "pin", val, sizeof(val)); /* never evicted while referenced */
    assert_int_equal(store_delete(s, "pin", 3, NULL), STORE_OK);
    assert_value(s, "pin", NULL);
    assert_memory_equal(item_value(pin), val, sizeof(val));
    store_release(s, &pin);

    /* a reservation in flight is charged */
    struct item *r = NULL;
    uint64_t before = stats_of(s).used_bytes;
    assert_int_equal(store_reserve(s, "r", 1, 0, 0, 100, &r), STORE_OK);
    assert_true(stats_of(s).used_bytes > before || stats_of(s).evictions > 0);
    store_abort(s, &r);
    assert_null(r);
    store_destroy(&s);
}

/* ---- iteration ---- */

struct visit_state {
    unsigned char seen[1000];
    int count;
    int stop_after;
};

static int visit_count(const struct item *it, void *arg)
{
    struct visit_state *vs = arg;
    int idx;
    char key[32];
    memcpy(key, item_key(it), item_nkey(it));
    key[item_nkey(it)] = '\0';
    assert_int_equal(sscanf(key, "it:%d", &idx), 1);
    assert_true(idx >= 0 && idx < 1000);
    vs->seen[idx]++;
    vs->count++;
    /* the value is a consistent version: "v<idx>" */
    char want[32];
    snprintf(want, sizeof(want), "v%d", idx);
    assert_int_equal(item_vlen(it), strlen(want));
    assert_memory_equal(item_value(it), want, strlen(want));
    if (vs->stop_after != 0 && vs->count == vs->stop_after)
        return 42;
    return 0;
}

/* A walk while the index grows under it (a snapshot while serving):
 * every item there before the walk and left alone is visited. */
#define GROW_BEFORE 20000
struct grow_state {
    struct store *s;
    unsigned char seen[GROW_BEFORE];
    int added;
};

static int visit_and_grow(const struct item *it, void *arg)
{
    struct grow_state *g = arg;
    int idx;
    char key[32];
    memcpy(key, item_key(it), item_nkey(it));
    key[item_nkey(it)] = '\0';
    if (sscanf(key, "old:%d", &idx) == 1) {
        assert_true(idx >= 0 && idx < GROW_BEFORE);
        g->seen[idx] = 1;
    }
    /* four new keys per item visited: the index doubles several times */
    for (int i = 0; i < 4; i++) {
        snprintf(key, sizeof(key), "new:%d", g->added++);
        assert_int_equal(put(g->s, key, "n", STORE_SET), STORE_OK);
    }
    return 0;
}

static void test_foreach_while_growing(void **state)
{
    static struct grow_state g;
    char key[32];
    memset(&g, 0, sizeof(g));
    g.s = mk(256u << 20, 1u << 20, true, true);
    for (int i = 0; i < GROW_BEFORE; i++) {
        snprintf(key, sizeof(key), "old:%d", i);
        assert_int_equal(put(g.s, key, "o", STORE_SET), STORE_OK);
    }
    struct store_stats before, after;
    store_stats(g.s, &before);
    assert_int_equal(store_foreach(g.s, visit_and_grow, &g), 0);
    store_stats(g.s, &after);
    assert_true(after.hash_buckets >= 4 * before.hash_buckets); /* it did grow */
    for (int i = 0; i < GROW_BEFORE; i++)
        assert_int_equal(g.seen[i], 1);
    store_destroy(&g.s);
}

static void test_foreach(void **state)
{
    struct store *s = mk_default();
    char key[32], val[32];
    struct visit_state vs;

    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "it:%d", i);
        snprintf(val, sizeof(val), "v%d", i);
        assert_int_equal(put(s, key, val, STORE_SET), STORE_OK);
    }
    for (int i = 0; i < 1000; i += 10) { /* deleted or expired: not visited */
        snprintf(key, sizeof(key), "it:%d", i);
        assert_int_equal(store_delete(s, key, strlen(key), NULL), STORE_OK);
        snprintf(key, sizeof(key), "it:%d", i + 1);
        assert_int_equal(store_touch(s, key, strlen(key), STORE_EXPIRED), STORE_OK);
    }
    memset(&vs, 0, sizeof(vs));
    assert_int_equal(store_foreach(s, visit_count, &vs), 0);
    assert_int_equal(vs.count, 800);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(vs.seen[i], (i % 10 == 0 || i % 10 == 1) ? 0 : 1);

    memset(&vs, 0, sizeof(vs));
    vs.stop_after = 5;
    assert_int_equal(store_foreach(s, visit_count, &vs), 42);
    assert_int_equal(vs.count, 5);
    /* early stop released every reference: all can be deleted and freed */
    for (int i = 0; i < 1000; i++) {
        if (i % 10 == 1)
            continue; /* left for the reclaimer */
        snprintf(key, sizeof(key), "it:%d", i);
        store_delete(s, key, strlen(key), NULL);
    }
    assert_int_equal(store_reclaim_expired(s, 100000), 100); /* the touched-expired ones */
    assert_int_equal(stats_of(s).curr_items, 0);
    assert_int_equal(stats_of(s).used_bytes, 0);
    store_destroy(&s);
}

/* ---- hook ---- */

struct hook_log {
    int n;
    enum store_event ev[32];
    char key[32][16];
    char val[32][16];
    uint32_t exptime[32];
};

static void record_hook(void *arg, enum store_event ev, const char *key, size_t nkey,
                        const struct item *it, uint32_t exptime)
{
    struct hook_log *log = arg;
    assert_true(log->n < 32);
    int i = log->n++;
    log->ev[i] = ev;
    log->exptime[i] = exptime;
    log->key[i][0] = log->val[i][0] = '\0';
    if (key != NULL) {
        memcpy(log->key[i], key, nkey);
        log->key[i][nkey] = '\0';
    }
    if (it != NULL) {
        memcpy(log->val[i], item_value(it), item_vlen(it));
        log->val[i][item_vlen(it)] = '\0';
        assert_int_equal(item_exptime(it), exptime);
    }
}

static void test_hook(void **state)
{
    struct store *s = mk_default();
    struct hook_log log;
    uint64_t v;
    uint32_t now = clock_fresh_now();

    memset(&log, 0, sizeof(log));
    store_set_hook(s, record_hook, &log);
    assert_int_equal(put(s, "k", "1", STORE_SET), STORE_OK);
    assert_int_equal(put(s, "k", "2", STORE_ADD), STORE_NOT_STORED); /* not a mutation */
    assert_int_equal(put(s, "k", "3", STORE_APPEND), STORE_OK);
    assert_int_equal(delta_classic(s, "k", 1, true, 1, &v, NULL), STORE_OK);
    assert_int_equal(store_touch(s, "k", 1, now + 50), STORE_OK);
    struct store_get_opts gat = {.touch = true, .new_exptime = now + 60};
    struct item *it = store_get(s, "k", 1, &gat, NULL);
    store_release(s, &it);
    it = store_get(s, "k", 1, NULL, NULL); /* a plain read is not a mutation */
    store_release(s, &it);
    assert_int_equal(store_delete(s, "k", 1, NULL), STORE_OK);
    store_flush(s, now + 100);

    assert_int_equal(log.n, 7);
    assert_int_equal(log.ev[0], STORE_EV_LINK);
    assert_string_equal(log.key[0], "k");
    assert_string_equal(log.val[0], "1");
    assert_int_equal(log.ev[1], STORE_EV_LINK);
    assert_string_equal(log.val[1], "13");
    assert_int_equal(log.ev[2], STORE_EV_LINK);
    assert_string_equal(log.val[2], "14");
    assert_int_equal(log.ev[3], STORE_EV_TOUCH);
    assert_int_equal(log.exptime[3], now + 50);
    assert_int_equal(log.ev[4], STORE_EV_TOUCH);
    assert_int_equal(log.exptime[4], now + 60);
    assert_int_equal(log.ev[5], STORE_EV_UNLINK);
    assert_string_equal(log.key[5], "k");
    assert_string_equal(log.val[5], "");
    assert_int_equal(log.ev[6], STORE_EV_FLUSH);
    assert_string_equal(log.key[6], "");
    assert_int_equal(log.exptime[6], now + 100);

    store_set_hook(s, NULL, NULL);
    assert_int_equal(put(s, "k", "1", STORE_SET), STORE_OK);
    assert_int_equal(log.n, 7);
    store_destroy(&s);
}

/* ---- background reclaim ---- */

static void test_reclaim_expired(void **state)
{
    enum { N = 3000 };
    struct store *s = mk_default();
    char key[32];
    uint32_t now = clock_fresh_now();

    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "e:%d", i);
        assert_int_equal(put_full(s, key, "v", 1, 0, i % 2 ? now + 5 : 0, STORE_SET, 0, NULL),
                         STORE_OK);
    }
    assert_int_equal(store_reclaim_expired(s, 100000), 0);
    clock_shift(6);
    assert_int_equal(stats_of(s).curr_items, N);
    /* bounded slices that resume where the last stopped */
    size_t total = 0;
    for (int i = 0; i < 1000 && total < N / 2; i++) {
        size_t got = store_reclaim_expired(s, 100);
        assert_true(got <= 100);
        total += got;
    }
    assert_int_equal(total, N / 2);
    struct store_stats st = stats_of(s);
    assert_int_equal(st.curr_items, N / 2);
    assert_int_equal(st.reclaimed, N / 2);
    assert_int_equal(st.expired_unfetched, N / 2);

    /* flushed items are reclaimed too */
    store_flush(s, 0);
    assert_int_equal(store_reclaim_expired(s, 1000000), N / 2);
    st = stats_of(s);
    assert_int_equal(st.curr_items, 0);
    assert_int_equal(st.bytes, 0);
    assert_int_equal(st.used_bytes, 0);
    assert_int_equal(store_reclaim_expired(s, 1000), 0); /* empty store: returns */
    store_destroy(&s);
}

/* Table growth keeps every key reachable. */
static void test_table_growth(void **state)
{
    enum { N = 300000 };
    struct store *s = mk(256 * MB, 64 * KB, true, true);
    char key[32];
    uint64_t buckets0 = stats_of(s).hash_buckets;

    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "g:%d", i);
        assert_int_equal(put(s, key, key, STORE_SET), STORE_OK);
    }
    struct store_stats st = stats_of(s);
    assert_int_equal(st.curr_items, N);
    assert_true(st.hash_buckets > buckets0);
    assert_true(st.curr_items * 2 <= st.hash_buckets * 3);
    for (int i = 0; i < N; i += 7) {
        snprintf(key, sizeof(key), "g:%d", i);
        assert_value(s, key, key);
    }
    store_destroy(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_validates),
        cmocka_unit_test(test_einval),
        cmocka_unit_test(test_set_get_roundtrip),
        cmocka_unit_test(test_add_replace),
        cmocka_unit_test(test_append_prepend),
        cmocka_unit_test(test_cas),
        cmocka_unit_test(test_cas_disabled),
        cmocka_unit_test(test_cas_unique),
        cmocka_unit_test(test_delete),
        cmocka_unit_test(test_delta),
        cmocka_unit_test(test_touch_gat),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_flush_immediate),
        cmocka_unit_test(test_flush_delayed),
        cmocka_unit_test(test_memory_bound_evicts),
        cmocka_unit_test(test_no_evict_mode),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_ref_survives_overwrite_and_eviction),
        cmocka_unit_test(test_foreach),
        cmocka_unit_test(test_foreach_while_growing),
        cmocka_unit_test(test_hook),
        cmocka_unit_test(test_reclaim_expired),
        cmocka_unit_test(test_table_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
