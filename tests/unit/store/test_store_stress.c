/*
 * test_store_stress.c: threads hammer a small store (eviction runs all the
 * time) with mixed set/get/delete/append/incr on a small key space, through
 * store.h only, the meta verbs (vivify, invalidate, stale sets, win tokens,
 * md x) included. Every value is made of self-checking segments
 * "<kkkk,lll,payload,cccccccc>" (key index, payload length, payload, FNV-1a
 * checksum), so any torn, mixed-up or freed value is caught on read.
 * And lockless prefetching (store_prefetch_*) while another thread grows
 * every shard's table several times over.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/store.h"

#define THREADS 8
#define OPS_PER_THREAD 200000
#define NKEYS 1000   /* segment-valued keys "s:<i>" */
#define NNUM 16      /* counter keys "n:<i>" */
#define NVIV 16      /* keys "v:<i>", only ever vivified or emptied: always empty */
#define MAX_BYTES (192u * 1024u)
#define ITEM_MAX 4096u
/* ... and with values that appends grow past a segment (4 KB here): runs */
#define ITEM_MAX_RUNS 16384u
#define HELD_MAX 2

/* cmocka's asserts longjmp into the test: only valid on the main thread. */
#define CHECK(c)                                                                        \
    do {                                                                                \
        if (!(c)) {                                                                     \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c);      \
            abort();                                                                    \
        }                                                                               \
    } while (0)

static struct store *g_store;
static bool g_long_sets; /* some sets span several segments (runs) */
static atomic_ulong g_enomem;
static atomic_ulong g_gets_hit;

static uint64_t rnd(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static uint32_t fnv(unsigned key, const char *p, size_t n)
{
    uint32_t h = 2166136261u ^ key;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

/* Write one segment for key k with a payload of n bytes; returns its size. */
static size_t make_segment(char *out, unsigned k, size_t n, uint64_t *seed)
{
    char payload[400];
    for (size_t i = 0; i < n; i++)
        payload[i] = (char)('a' + rnd(seed) % 26);
    int len = sprintf(out, "<%04u,%03zu,", k, n);
    memcpy(out + len, payload, n);
    len += (int)n;
    len += sprintf(out + len, ",%08x>", fnv(k, payload, n));
    return (size_t)len;
}

/* Is v[0..n) a non-empty sequence of valid segments of key k? */
static bool check_segments(const char *v, size_t n, unsigned k)
{
    size_t off = 0;
    if (n == 0)
        return false;
    while (off < n) {
        unsigned kk, len, sum;
        if (n - off < 20 || v[off] != '<')
            return false;
        char head[16];
        memcpy(head, v + off, 10);
        head[10] = '\0';
        if (sscanf(head, "<%4u,%3u,", &kk, &len) != 2 || kk != k)
            return false;
        if (n - off < 20 + (size_t)len)
            return false;
        const char *payload = v + off + 10;
        char tail[16];
        memcpy(tail, payload + len, 10);
        tail[10] = '\0';
        if (sscanf(tail, ",%8x>", &sum) != 1 || tail[9] != '>')
            return false;
        if (sum != fnv(k, payload, len))
            return false;
        off += 20 + len;
    }
    return off == n;
}

static bool check_item(const struct item *it, unsigned k)
{
    const char *v = item_value(it);
    return memcmp(v + item_vlen(it), "\r\n", 2) == 0 && check_segments(v, item_vlen(it), k);
}

static bool check_number(const struct item *it)
{
    const char *v = item_value(it);
    size_t n = item_vlen(it), i = 0;
    while (i < n && v[i] >= '0' && v[i] <= '9')
        i++;
    if (i == 0)
        return false;
    while (i < n && v[i] == ' ')
        i++;
    return i == n && memcmp(v + n, "\r\n", 2) == 0;
}

static void ok_or_enomem(enum store_status st)
{
    if (st == STORE_ENOMEM)
        atomic_fetch_add(&g_enomem, 1);
    else
        CHECK(st == STORE_OK);
}

static enum store_status store_value_ex(const char *key, unsigned k, const char *val, size_t n,
                                        enum store_mode mode, uint64_t cas,
                                        const struct store_commit_opts *o)
{
    struct item *it = NULL;
    enum store_status st = store_reserve(g_store, key, strlen(key), k, 0, (uint32_t)n, &it);
    if (st != STORE_OK)
        return st;
    memcpy(item_data(it), val, n);
    memcpy(item_data(it) + n, "\r\n", 2);
    return store_commit(g_store, &it, mode, cas, o, NULL);
}

static enum store_status store_value(const char *key, unsigned k, const char *val, size_t n,
                                     enum store_mode mode, uint64_t cas)
{
    return store_value_ex(key, k, val, n, mode, cas, NULL);
}

/* Meta ops on the always-empty "v:" keys: vivifying gets, md x, md I. */
static void viv_op(unsigned i, uint64_t r)
{
    char key[32];
    snprintf(key, sizeof(key), "v:%u", i % NVIV);
    if (r & 0x10) {
        struct store_get_opts o = {.vivify = true, .no_bump = (r & 0x20) != 0};
        struct store_get_info info;
        struct item *it = store_get(g_store, key, strlen(key), &o, &info);
        if (it != NULL) {
            CHECK(item_vlen(it) == 0 && memcmp(item_value(it), "\r\n", 2) == 0);
            CHECK(!(info.win && info.won));
            CHECK(!info.vivified || info.win);
            store_release(g_store, &it);
        }
    } else {
        struct store_delete_opts o = {.clear_value = (r & 0x20) != 0,
                                      .invalidate = (r & 0x40) != 0};
        enum store_status st = store_delete(g_store, key, strlen(key), &o);
        CHECK(st == STORE_OK || st == STORE_NOT_FOUND || st == STORE_ENOMEM);
    }
}

struct held {
    struct item *it;
    unsigned k;
    uint32_t sum; /* of the whole value when taken */
    uint32_t vlen;
};

static void *worker(void *arg)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull * ((uintptr_t)arg + 1);
    struct held held[HELD_MAX];
    int nheld = 0;
    char key[32], val[ITEM_MAX_RUNS];

    for (int op = 0; op < OPS_PER_THREAD; op++) {
        uint64_t r = rnd(&seed);
        unsigned k = (unsigned)(r >> 32) % NKEYS;
        unsigned dice = (unsigned)(r % 100);
        snprintf(key, sizeof(key), "s:%u", k);

        if (dice < 40) { /* get, sometimes keeping the reference a while */
            struct store_get_opts o = {.no_bump = (r & 0x100) != 0,
                                       .recache = (r & 0x200) != 0,
                                       .recache_secs = 10};
            struct store_get_info info;
            struct item *it = (r & 0x400) ? store_get(g_store, key, strlen(key), &o, &info)
                                          : store_get(g_store, key, strlen(key), NULL, NULL);
            if (it != NULL) {
                atomic_fetch_add(&g_gets_hit, 1);
                CHECK(check_item(it, k));
                CHECK(item_flags(it) == k);
                if (nheld < HELD_MAX && dice < 10) {
                    held[nheld].it = it;
                    held[nheld].k = k;
                    held[nheld].vlen = item_vlen(it);
                    held[nheld].sum = fnv(0, item_value(it), item_vlen(it) + 2);
                    nheld++;
                } else {
                    store_release(g_store, &it);
                }
            }
        } else if (dice < 62) { /* set */
            size_t n = make_segment(val, k, 20 + rnd(&seed) % 380, &seed);
            /* with runs, one set in four writes 4-15.5 KB (the buffer holds 16 KB) */
            while (g_long_sets && (r & 0x3000) == 0 && n < 4096 + rnd(&seed) % 11000)
                n += make_segment(val + n, k, 300 + rnd(&seed) % 99, &seed);
            ok_or_enomem(store_value(key, k, val, n, STORE_SET, 0));
        } else if (dice < 70) { /* delete, or md I */
            struct store_delete_opts o = {.invalidate = (r & 0x100) != 0};
            enum store_status st = store_delete(g_store, key, strlen(key), &o);
            CHECK(st == STORE_OK || st == STORE_NOT_FOUND);
        } else if (dice < 80) { /* append / prepend */
            size_t n = make_segment(val, k, rnd(&seed) % 100, &seed);
            enum store_status st =
                store_value(key, k, val, n, dice & 1 ? STORE_APPEND : STORE_PREPEND, 0);
            CHECK(st == STORE_OK || st == STORE_NOT_STORED || st == STORE_TOO_LARGE ||
                        st == STORE_ENOMEM);
            if (st == STORE_TOO_LARGE)
                store_delete(g_store, key, strlen(key), NULL);
        } else if (dice < 85) { /* add / replace */
            size_t n = make_segment(val, k, 10 + rnd(&seed) % 200, &seed);
            enum store_status st = store_value(key, k, val, n, dice & 1 ? STORE_ADD : STORE_REPLACE, 0);
            CHECK(st == STORE_OK || st == STORE_NOT_STORED || st == STORE_ENOMEM);
        } else if (dice < 88) { /* cas round trip */
            struct item *it = store_get(g_store, key, strlen(key), NULL, NULL);
            if (it != NULL) {
                uint64_t cas = store_item_cas(g_store, it);
                store_release(g_store, &it);
                size_t n = make_segment(val, k, 10 + rnd(&seed) % 200, &seed);
                /* now and then an ms I with an older cas: a stale set */
                struct store_commit_opts o = {.invalidate = (r & 0x100) != 0};
                enum store_status st =
                    store_value_ex(key, k, val, n, STORE_CAS, cas - ((r >> 9) & 1), &o);
                CHECK(st == STORE_OK || st == STORE_EXISTS || st == STORE_NOT_FOUND ||
                            st == STORE_ENOMEM);
            }
        } else if (dice >= 96) {
            viv_op(k, r);
        } else { /* counters */
            unsigned c = k % NNUM;
            struct store_delta_result res;
            snprintf(key, sizeof(key), "n:%u", c);
            struct store_delta_opts o = {.vivify = (r & 0x100) != 0, .initial = 100};
            enum store_status st = store_delta(g_store, key, strlen(key), dice & 1,
                                                  rnd(&seed) % 1000, &o, &res);
            if (st == STORE_NOT_FOUND) {
                st = store_value(key, c, "100", 3, STORE_ADD, 0);
                CHECK(st == STORE_OK || st == STORE_NOT_STORED || st == STORE_ENOMEM);
            } else {
                CHECK(st == STORE_OK || st == STORE_ENOMEM);
            }
            struct item *it = store_get(g_store, key, strlen(key), NULL, NULL);
            if (it != NULL) {
                CHECK(check_number(it));
                store_release(g_store, &it);
            }
        }

        /* drop the oldest held reference now and then, after re-checking it */
        if (nheld > 0 && (nheld == HELD_MAX || (r & 0xf00) == 0)) {
            struct held *h = &held[0];
            CHECK(item_vlen(h->it) == h->vlen);
            CHECK(fnv(0, item_value(h->it), h->vlen + 2) == h->sum);
            CHECK(check_item(h->it, h->k));
            store_release(g_store, &h->it);
            memmove(held, held + 1, (size_t)(nheld - 1) * sizeof(held[0]));
            nheld--;
        }
        if (op % 4096 == 0) {
            struct store_stats st;
            store_stats(g_store, &st);
            CHECK(st.used_bytes <= MAX_BYTES);
        }
        if (op % 8192 == 0)
            store_reclaim_expired(g_store, 64);
    }
    while (nheld > 0) {
        struct held *h = &held[--nheld];
        CHECK(fnv(0, item_value(h->it), h->vlen + 2) == h->sum);
        store_release(g_store, &h->it);
    }
    return NULL;
}

struct final_walk {
    uint64_t count;
    char (*keys)[32];
    size_t cap;
};

static int final_visit(const struct item *it, void *arg)
{
    struct final_walk *w = arg;
    char key[32];
    unsigned k;
    memcpy(key, item_key(it), item_nkey(it));
    key[item_nkey(it)] = '\0';
    if (sscanf(key, "s:%u", &k) == 1)
        assert_true(check_item(it, k));
    else if (key[0] == 'v')
        assert_int_equal(item_vlen(it), 0);
    else
        assert_true(check_number(it));
    assert_true(w->count < w->cap);
    memcpy(w->keys[w->count++], key, sizeof(key));
    return 0;
}

static void run_stress(size_t item_max)
{
    g_long_sets = item_max > ITEM_MAX;
    struct store_config cfg = {.max_bytes = MAX_BYTES, .item_size_max = item_max, .evict = true,
                               .use_cas = true};
    pthread_t th[THREADS];

    assert_int_equal(store_create(&cfg, &g_store), STORE_OK);
    for (uintptr_t i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, worker, (void *)i), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);

    struct store_stats st;
    store_stats(g_store, &st);
    printf("# curr_items=%llu evictions=%llu used=%llu bytes=%llu enomem=%lu hits=%lu\n",
           (unsigned long long)st.curr_items, (unsigned long long)st.evictions,
           (unsigned long long)st.used_bytes, (unsigned long long)st.bytes,
           (unsigned long)atomic_load(&g_enomem), (unsigned long)atomic_load(&g_gets_hit));
    assert_true(st.used_bytes <= MAX_BYTES);
    assert_true(st.used_bytes >= st.bytes);
    assert_true(st.evictions > 0);
    assert_true(atomic_load(&g_gets_hit) > 0);

    struct final_walk w = {.count = 0, .cap = NKEYS + NNUM + NVIV};
    w.keys = calloc(w.cap, sizeof(*w.keys));
    assert_int_equal(store_foreach(g_store, final_visit, &w), 0);
    assert_int_equal(w.count, st.curr_items);

    /* everything freed once every key is gone: no leaked charge */
    for (uint64_t i = 0; i < w.count; i++)
        assert_int_equal(store_delete(g_store, w.keys[i], strlen(w.keys[i]), NULL), STORE_OK);
    store_stats(g_store, &st);
    assert_int_equal(st.curr_items, 0);
    assert_int_equal(st.bytes, 0);
    assert_int_equal(st.used_bytes, 0);
    free(w.keys);
    store_destroy(&g_store);
}

static void test_stress(void **state)
{
    (void)state;
    run_stress(ITEM_MAX);
}

/* Items up to four segments long take runs (seg.h) beside the others. */
static void test_stress_with_runs(void **state)
{
    (void)state;
    run_stress(ITEM_MAX_RUNS);
}

#define GROW_KEYS 400000u /* 4x the tables' first capacity (64 shards x 1024 x 1.5) */
#define OLD_HASHES 64

static atomic_bool g_growing;

static int grow_key(char *buf, size_t cap, unsigned i)
{
    return snprintf(buf, cap, "g:%u", i);
}

/* Warms lookups of the keys being inserted, and keeps warming hashes taken
 * before the tables grew: their tables are retired by then. */
static void *prefetcher(void *arg)
{
    (void)arg;
    uint64_t old[OLD_HASHES];
    char key[32];
    for (unsigned i = 0; i < OLD_HASHES; i++)
        old[i] = store_prefetch_bucket(g_store, key, (size_t)grow_key(key, sizeof(key), i));
    uint64_t x = 7;
    unsigned long n = 0;
    while (atomic_load(&g_growing) || n < 10000) {
        int len = grow_key(key, sizeof(key), (unsigned)(rnd(&x) % GROW_KEYS));
        store_prefetch_item(g_store, store_prefetch_bucket(g_store, key, (size_t)len));
        store_prefetch_item(g_store, old[n % OLD_HASHES]);
        n++;
    }
    return NULL;
}

static void test_prefetch_while_tables_grow(void **state)
{
    (void)state;
    struct store_config cfg = {.max_bytes = 64u << 20, .item_size_max = ITEM_MAX, .evict = false,
                               .use_cas = true};
    assert_int_equal(store_create(&cfg, &g_store), STORE_OK);
    struct store_stats st;
    store_stats(g_store, &st);
    uint64_t buckets_before = st.hash_buckets;

    pthread_t th;
    atomic_store(&g_growing, true);
    assert_int_equal(pthread_create(&th, NULL, prefetcher, NULL), 0);
    char key[32];
    for (unsigned i = 0; i < GROW_KEYS; i++) {
        int len = grow_key(key, sizeof(key), i);
        struct item *it = NULL;
        assert_int_equal(store_reserve(g_store, key, (size_t)len, i, 0, (uint32_t)len, &it),
                         STORE_OK);
        memcpy(item_data(it), key, (size_t)len);
        assert_int_equal(store_commit(g_store, &it, STORE_SET, 0, NULL, NULL), STORE_OK);
    }
    atomic_store(&g_growing, false);
    pthread_join(th, NULL);

    store_stats(g_store, &st);
    assert_true(st.hash_buckets >= 4 * buckets_before); /* every shard grew twice or more */
    assert_int_equal(st.curr_items, GROW_KEYS);
    for (unsigned i = 0; i < GROW_KEYS; i++) {
        int len = grow_key(key, sizeof(key), i);
        struct item *it = store_get(g_store, key, (size_t)len, NULL, NULL);
        assert_non_null(it);
        assert_int_equal(item_vlen(it), (size_t)len);
        assert_memory_equal(item_value(it), key, (size_t)len);
        store_release(g_store, &it);
    }
    store_destroy(&g_store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stress),
        cmocka_unit_test(test_stress_with_runs),
        cmocka_unit_test(test_prefetch_while_tables_grow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
