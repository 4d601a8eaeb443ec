/*
 * test_store_arena.c: stores larger than 32-bit item addresses reach alone
 * (several arenas, seg.h) and a budget moved at run time
 * (store_set_max_bytes, memcached's cache_memlimit), through store.h only.
 * Large stores are virtual: test_top_down hands out memory from the top of
 * each 16 GiB arena, so items sit far above 2^32 bytes while the test
 * touches a few MB.
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
#define GB (1024 * MB)

static struct store *mk(size_t max_bytes, bool top_down)
{
    struct store_config cfg = {.max_bytes = max_bytes, .item_size_max = MB, .evict = true,
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

/* The value of key i in version v: its length and bytes follow from both. */
static size_t fill_value(char *buf, int i, int v)
{
    size_t n = 10 + (size_t)(i * 7 + v * 13) % 300;
    for (size_t k = 0; k < n; k++)
        buf[k] = (char)('a' + (i + v + (int)k) % 26);
    return n;
}

static enum store_status put(struct store *s, const char *key, const char *val, size_t vlen,
                             uint32_t flags, uint64_t *cas_out)
{
    struct item *it = NULL;
    enum store_status st = store_reserve(s, key, strlen(key), flags, 0, (uint32_t)vlen, &it);
    if (st != STORE_OK)
        return st;
    memcpy(item_data(it), val, vlen);
    memcpy(item_data(it) + vlen, "\r\n", 2);
    return store_commit(s, &it, STORE_SET, 0, NULL, cas_out);
}

/* Key i holds version v with flags and cas as given; returns its value's address. */
static const char *check(struct store *s, int i, int v, uint32_t flags, uint64_t cas)
{
    char key[32], val[400];
    snprintf(key, sizeof(key), "far:%d", i);
    size_t n = fill_value(val, i, v);
    struct item *it = store_get(s, key, strlen(key), NULL, NULL);
    assert_non_null(it);
    assert_int_equal(item_vlen(it), n);
    assert_memory_equal(item_value(it), val, n);
    assert_memory_equal(item_value(it) + n, "\r\n", 2);
    assert_int_equal(item_flags(it), flags);
    assert_int_equal(store_item_cas(s, it), cas);
    const char *where = item_value(it);
    store_release(s, &it);
    return where;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* A 64 GB store (four arenas): items written at the top of each arena,
 * far above 2^32 bytes, read back, overwritten, deleted, then evicted once
 * the budget is lowered; every cas stays unique. */
static void test_items_far_above_4gb(void **state)
{
    enum { N = 40000 };
    struct store *s = mk(64 * GB, true);
    uint64_t *cas = calloc(N, sizeof(*cas));
    uint64_t *seen = calloc(2 * N, sizeof(*seen));
    size_t nseen = 0;
    char key[32], val[400];
    const char *lo = NULL, *hi = NULL;

    assert_int_equal(stats_of(s).limit_maxbytes, 64 * GB);
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "far:%d", i);
        size_t n = fill_value(val, i, 0);
        assert_int_equal(put(s, key, val, n, (uint32_t)i, &cas[i]), STORE_OK);
        seen[nseen++] = cas[i];
    }
    for (int i = 0; i < N; i++) {
        const char *p = check(s, i, 0, (uint32_t)i, cas[i]);
        lo = lo == NULL || p < lo ? p : lo;
        hi = hi == NULL || p > hi ? p : hi;
    }
    /* the items span arenas, and sit at their top: far apart */
    assert_true((size_t)(hi - lo) > ((size_t)1 << 32));
    assert_int_equal(stats_of(s).curr_items, N);

    /* overwrite the even keys, delete every third */
    for (int i = 0; i < N; i += 2) {
        snprintf(key, sizeof(key), "far:%d", i);
        size_t n = fill_value(val, i, 1);
        assert_int_equal(put(s, key, val, n, 7, &cas[i]), STORE_OK);
        seen[nseen++] = cas[i];
    }
    for (int i = 0; i < N; i += 3) {
        snprintf(key, sizeof(key), "far:%d", i);
        assert_int_equal(store_delete(s, key, strlen(key), NULL), STORE_OK);
    }
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "far:%d", i);
        if (i % 3 == 0) {
            assert_null(store_get(s, key, strlen(key), NULL, NULL));
            continue;
        }
        check(s, i, i % 2 == 0 ? 1 : 0, i % 2 == 0 ? 7u : (uint32_t)i, cas[i]);
    }
    qsort(seen, nseen, sizeof(*seen), cmp_u64);
    for (size_t i = 1; i < nseen; i++)
        assert_true(seen[i - 1] != seen[i]);

    /* eviction: a budget of 16 MB, then 64 MB of new items */
    assert_int_equal(store_set_max_bytes(s, 16 * MB), STORE_OK);
    memset(val, 'e', sizeof(val));
    for (int i = 0; i < 200000; i++) {
        snprintf(key, sizeof(key), "new:%d", i);
        assert_int_equal(put(s, key, val, 300, 1, NULL), STORE_OK);
    }
    struct store_stats st = stats_of(s);
    assert_true(st.evictions > 0);
    assert_true(st.arena_bytes <= 16 * MB);
    assert_true(st.bytes <= 16 * MB);
    assert_int_equal(st.limit_maxbytes, 16 * MB);
    /* the newest items are there */
    for (int i = 199000; i < 200000; i++) {
        snprintf(key, sizeof(key), "new:%d", i);
        struct item *it = store_get(s, key, strlen(key), NULL, NULL);
        assert_non_null(it);
        assert_int_equal(item_vlen(it), 300);
        assert_memory_equal(item_value(it), val, 300);
        store_release(s, &it);
    }
    free(seen);
    free(cas);
    store_destroy(&s);
}

/* Up to 16 GiB is one arena; 1 TiB (64 arenas) is the most a store takes,
 * and creating it touches next to nothing. */
static void test_size_bounds(void **state)
{
    assert_int_equal(store_max_bytes(), 1024 * GB);
    struct store *s = mk(store_max_bytes(), false);
    char val[100];
    memset(val, 'x', sizeof(val));
    assert_int_equal(put(s, "k", val, sizeof(val), 3, NULL), STORE_OK);
    struct item *it = store_get(s, "k", 1, NULL, NULL);
    assert_non_null(it);
    assert_int_equal(item_flags(it), 3);
    store_release(s, &it);
    struct store_stats st = stats_of(s);
    assert_int_equal(st.limit_maxbytes, 1024 * GB);
    /* a spare segment per arena, and the one written to */
    assert_true(st.arena_bytes <= 65 * MB + MB);
    store_destroy(&s);

    struct store_config cfg = {.max_bytes = store_max_bytes() + 1, .item_size_max = MB,
                               .evict = true, .use_cas = true};
    assert_int_equal(store_create(&cfg, &s), STORE_EINVAL);
    assert_null(s);
}

/* Fill a store, then: lower the budget (writes bring usage under it),
 * raise it (usage grows again), and refuse what cannot be. */
static void test_set_max_bytes(void **state)
{
    struct store *s = mk(64 * MB, false);
    char key[32], val[1000];
    int k = 0;

    memset(val, 'm', sizeof(val));
    for (; k < 100000; k++) {
        snprintf(key, sizeof(key), "m:%d", k);
        assert_int_equal(put(s, key, val, sizeof(val), 0, NULL), STORE_OK);
    }
    assert_true(stats_of(s).arena_bytes > 48 * MB);

    assert_int_equal(store_set_max_bytes(s, 8 * MB), STORE_OK);
    assert_int_equal(stats_of(s).limit_maxbytes, 8 * MB);
    for (int i = 0; i < 20000; i++, k++) {
        snprintf(key, sizeof(key), "m:%d", k);
        assert_int_equal(put(s, key, val, sizeof(val), 0, NULL), STORE_OK);
    }
    struct store_stats st = stats_of(s);
    assert_true(st.arena_bytes <= 8 * MB);
    assert_true(st.bytes <= 8 * MB);
    assert_true(st.used_bytes <= 8 * MB);

    assert_int_equal(store_set_max_bytes(s, 32 * MB), STORE_OK);
    for (int i = 0; i < 60000; i++, k++) {
        snprintf(key, sizeof(key), "m:%d", k);
        assert_int_equal(put(s, key, val, sizeof(val), 0, NULL), STORE_OK);
    }
    st = stats_of(s);
    assert_true(st.arena_bytes > 24 * MB && st.arena_bytes <= 32 * MB);
    assert_int_equal(st.limit_maxbytes, 32 * MB);

    /* one arena reaches 16 GiB; below the largest item nothing fits */
    assert_int_equal(store_set_max_bytes(s, 16 * GB), STORE_OK);
    assert_int_equal(store_set_max_bytes(s, 16 * GB + 1), STORE_EINVAL);
    assert_int_equal(store_set_max_bytes(s, MB - 1), STORE_EINVAL);
    assert_int_equal(stats_of(s).limit_maxbytes, 16 * GB);
    store_destroy(&s);

    /* -L: the memory is preallocated, as memcached refuses too */
    struct store_config cfg = {.max_bytes = 8 * MB, .item_size_max = MB, .evict = true,
                               .use_cas = true, .prefault = true};
    assert_int_equal(store_create(&cfg, &s), STORE_OK);
    assert_int_equal(store_set_max_bytes(s, 16 * MB), STORE_EINVAL);
    assert_int_equal(stats_of(s).limit_maxbytes, 8 * MB);
    store_destroy(&s);
}

/* A lowered budget is reached without writes too: maintenance sheds. */
static void test_shrink_by_maintenance(void **state)
{
    struct store *s = mk(64 * MB, false);
    char key[32], val[1000];

    memset(val, 's', sizeof(val));
    for (int i = 0; i < 80000; i++) {
        snprintf(key, sizeof(key), "s:%d", i);
        assert_int_equal(put(s, key, val, sizeof(val), 0, NULL), STORE_OK);
    }
    assert_int_equal(store_set_max_bytes(s, 16 * MB), STORE_OK);
    assert_true(stats_of(s).arena_bytes > 16 * MB);
    for (int pass = 0; pass < 4; pass++)
        store_reclaim_expired(s, 1000);
    struct store_stats st = stats_of(s);
    assert_true(st.arena_bytes + st.idle_bytes <= 16 * MB);
    assert_true(st.bytes <= 16 * MB);
    assert_true(st.evictions > 0);
    /* the newest item survives */
    struct item *it = store_get(s, "s:79999", 7, NULL, NULL);
    assert_non_null(it);
    store_release(s, &it);
    store_destroy(&s);
}

/* The mapping (from /proc/self/maps) that holds p: its bounds and permissions. */
static void mapping_of(const void *p, uintptr_t *start, uintptr_t *end, char perms[5])
{
    FILE *f = fopen("/proc/self/maps", "r");
    assert_non_null(f);
    char line[512];
    bool found = false;
    while (!found && fgets(line, sizeof(line), f) != NULL) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 && (uintptr_t)p >= lo &&
            (uintptr_t)p < hi) {
            *start = lo;
            *end = hi;
            found = true;
        }
    }
    fclose(f);
    assert_true(found);
}

/* Item memory is made writable a whole aligned 2 MiB at a time, never one
 * 1 MiB segment alone: a transparent huge page needs its aligned 2 MiB
 * writable when first touched, and with 1 MiB steps the arena stayed on
 * 4 KB pages (a TLB miss on nearly every lookup of a large cache). Bottom
 * up and top down (the far end of a 16 GiB arena). */
static void test_item_memory_writable_by_huge_pages(void **state)
{
    (void)state;
    const uintptr_t huge = 2 * MB;
    static char val[100 * KB];
    memset(val, 'h', sizeof(val));
    for (int top_down = 0; top_down <= 1; top_down++) {
        struct store *s = mk(64 * MB, top_down);
        /* 6 MB of values: the store takes segment after segment, an odd
         * number of them along the way */
        for (int i = 0; i < 60; i++) {
            char key[32];
            uint64_t cas;
            snprintf(key, sizeof(key), "far:%d", i);
            assert_int_equal(put(s, key, val, sizeof(val), 0, &cas), STORE_OK);
            struct item *it = store_get(s, key, strlen(key), NULL, NULL);
            assert_non_null(it);
            uintptr_t start = 0, end = 0;
            char perms[5];
            mapping_of(item_value(it), &start, &end, perms);
            assert_memory_equal(perms, "rw", 2);
            /* the whole aligned huge page around the item is writable */
            uintptr_t page = (uintptr_t)item_value(it) & ~(huge - 1);
            assert_true(start <= page);
            assert_true(end >= page + huge);
            store_release(s, &it);
        }
        store_destroy(&s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_items_far_above_4gb),
        cmocka_unit_test(test_size_bounds),
        cmocka_unit_test(test_set_max_bytes),
        cmocka_unit_test(test_shrink_by_maintenance),
        cmocka_unit_test(test_item_memory_writable_by_huge_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
