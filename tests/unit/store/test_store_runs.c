/*
 * test_store_runs.c: a small store's segments are smaller than its largest
 * item, and items larger than a segment take runs of contiguous segments
 * (seg.h). Through store.h only: values stay whole, the budget holds, runs
 * go back to the pool, and the small segments hold as many small items as
 * memcached's slabs do.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/store.h"

#define KB ((size_t)1024)
#define MB (1024 * KB)

static struct store *mk(size_t max_bytes, bool evict, bool top_down)
{
    struct store_config cfg = {.max_bytes = max_bytes, .item_size_max = MB, .evict = evict,
                               .use_cas = true, .test_top_down = top_down};
    struct store *s = NULL;
    assert_int_equal(store_create(&cfg, &s), STORE_OK);
    return s;
}

static struct store_stats stats_of(struct store *s)
{
    struct store_stats st;
    store_stats(s, &st);
    return st;
}

/* Byte k of key i's value: every key and offset its own pattern. */
static char byte_at(int i, size_t k)
{
    return (char)('a' + (size_t)(i * 31 + (int)(k % 251) + (int)(k / 4093)) % 26);
}

static enum store_status put(struct store *s, const char *key, int i, size_t vlen,
                             uint64_t *cas_out)
{
    struct item *it = NULL;
    enum store_status st = store_reserve(s, key, strlen(key), 0, 0, (uint32_t)vlen, &it);
    if (st != STORE_OK)
        return st;
    char *d = item_data(it);
    for (size_t k = 0; k < vlen; k++)
        d[k] = byte_at(i, k);
    memcpy(d + vlen, "\r\n", 2);
    return store_commit(s, &it, STORE_SET, 0, NULL, cas_out);
}

/* -1 missing, 0 whole and right, 1 present but wrong. */
static int check(struct store *s, const char *key, int i, size_t vlen)
{
    struct item *it = store_get(s, key, strlen(key), NULL, NULL);
    if (it == NULL)
        return -1;
    const char *v = item_value(it);
    int bad = item_vlen(it) != vlen || memcmp(v + vlen, "\r\n", 2) != 0;
    for (size_t k = 0; !bad && k < vlen; k++)
        bad = v[k] != byte_at(i, k);
    store_release(s, &it);
    return bad;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The largest value a 1 MB item holds with a short key. */
#define VLEN_MAX (MB - 256)
static const size_t big_sizes[] = {VLEN_MAX, 700 * KB, 300 * KB, 257 * KB, 520 * KB};
#define BIG_ROUNDS 300
#define SMALL_PER_ROUND 150

/* Large values beside small ones, many times what -m 16 holds: each reads
 * back whole right after its set and whenever it is still there at the end,
 * every set gets a cas of its own, and the segments in use never exceed the
 * budget. */
static void large_and_small_items(bool top_down)
{
    struct store *s = mk(16 * MB, true, top_down);
    char key[48];
    uint64_t *cas = calloc(BIG_ROUNDS * (SMALL_PER_ROUND + 1), sizeof(*cas));
    size_t ncas = 0;
    assert_non_null(cas);

    for (int r = 0; r < BIG_ROUNDS; r++) {
        size_t vlen = big_sizes[r % (sizeof(big_sizes) / sizeof(big_sizes[0]))];
        snprintf(key, sizeof(key), "big:%d", r);
        assert_int_equal(put(s, key, r, vlen, &cas[ncas++]), STORE_OK);
        assert_int_equal(check(s, key, r, vlen), 0);
        for (int j = 0; j < SMALL_PER_ROUND; j++) {
            int i = 1000000 + r * SMALL_PER_ROUND + j;
            snprintf(key, sizeof(key), "small:%d", i);
            assert_int_equal(put(s, key, i, 100 + (size_t)j, &cas[ncas++]), STORE_OK);
        }
        struct store_stats st = stats_of(s);
        assert_true(st.arena_bytes <= 16 * MB);
    }
    int present = 0;
    for (int r = 0; r < BIG_ROUNDS; r++) {
        size_t vlen = big_sizes[r % (sizeof(big_sizes) / sizeof(big_sizes[0]))];
        snprintf(key, sizeof(key), "big:%d", r);
        int c = check(s, key, r, vlen);
        assert_int_not_equal(c, 1);
        present += c == 0;
    }
    for (int r = 0; r < BIG_ROUNDS; r++) {
        for (int j = 0; j < SMALL_PER_ROUND; j++) {
            int i = 1000000 + r * SMALL_PER_ROUND + j;
            snprintf(key, sizeof(key), "small:%d", i);
            assert_int_not_equal(check(s, key, i, 100 + (size_t)j), 1);
        }
    }
    struct store_stats st = stats_of(s);
    assert_true(present > 0 && present < BIG_ROUNDS);
    assert_true(st.evictions > 0);
    qsort(cas, ncas, sizeof(*cas), cmp_u64);
    for (size_t k = 1; k < ncas; k++)
        assert_true(cas[k] != cas[k - 1]);
    free(cas);
    store_destroy(&s);
}

static void test_large_items_beside_small_ones(void **state)
{
    (void)state;
    large_and_small_items(false);
}

/* The same with fresh segments handed out from the top of the arena down
 * (a run's first segment is then the last one taken). */
static void test_large_items_top_down(void **state)
{
    (void)state;
    large_and_small_items(true);
}

/* With -M nothing live is evicted: a full store refuses a large set, and
 * the runs of deleted items serve large sets again, wherever they are in
 * the queues (every other one is deleted, the oldest kept). */
static void test_no_evict_reuses_deleted_runs(void **state)
{
    (void)state;
    struct store *s = mk(16 * MB, false, false);
    char key[32];
    int stored = 0;

    for (int i = 0; i < 40; i++) {
        snprintf(key, sizeof(key), "big:%d", i);
        enum store_status st = put(s, key, i, VLEN_MAX, NULL);
        if (st == STORE_ENOMEM)
            break;
        assert_int_equal(st, STORE_OK);
        stored++;
    }
    assert_true(stored >= 8 && stored < 16);
    for (int i = 1; i < stored; i += 2) {
        snprintf(key, sizeof(key), "big:%d", i);
        assert_int_equal(check(s, key, i, VLEN_MAX), 0);
        assert_int_equal(store_delete(s, key, strlen(key), NULL), STORE_OK);
    }
    int again = 0;
    for (int i = 1; i < stored; i += 2, again++) {
        snprintf(key, sizeof(key), "again:%d", i);
        assert_int_equal(put(s, key, i + 7, VLEN_MAX, NULL), STORE_OK);
    }
    snprintf(key, sizeof(key), "one-more");
    assert_int_equal(put(s, key, 3, VLEN_MAX, NULL), STORE_ENOMEM);
    for (int i = 0; i < stored; i++) {
        snprintf(key, sizeof(key), i % 2 ? "again:%d" : "big:%d", i);
        assert_int_equal(check(s, key, i % 2 ? i + 7 : i, VLEN_MAX), 0);
    }
    assert_true(again > 3);
    store_destroy(&s);
}

/* memcached 1.6 -m 16 holds 14,160 items of a 64-byte key and a 1 KB value
 * (16 slab pages of 885 chunks of 1,184 bytes). With 1 MB segments a
 * sixteenth of memory each went to the heads' unused room and the spare,
 * and 13.4k fitted; -m 16 must hold at least as many. */
static void test_small_store_holds_as_many_as_memcached(void **state)
{
    (void)state;
    struct store *s = mk(16 * MB, true, false);
    char key[80];

    for (int i = 0; i < 30000; i++) {
        snprintf(key, sizeof(key), "%064d", i);
        assert_int_equal(put(s, key, i, 1024, NULL), STORE_OK);
    }
    struct store_stats st = stats_of(s);
    print_message("# %llu items held\n", (unsigned long long)st.curr_items);
    assert_true(st.curr_items >= 14160);
    store_destroy(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_large_items_beside_small_ones),
        cmocka_unit_test(test_large_items_top_down),
        cmocka_unit_test(test_no_evict_reuses_deleted_runs),
        cmocka_unit_test(test_small_store_holds_as_many_as_memcached),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
