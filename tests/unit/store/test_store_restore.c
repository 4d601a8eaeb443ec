/*
 * test_store_restore.c: unit tests of store.h's restoring section (what
 * persistence and replication need): store_restore puts an item back
 * exactly (value, flags, exptime, cas, meta state), replaces, never calls
 * the hook and evicts under pressure; store_expect_items sizes the index;
 * store_raise_cas puts every later cas
 * above a floor, store_cas_high stays above every cas handed out (also
 * with threads), store_flush_pending. Through store.h only, plus
 * clock_shift() to move time.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
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

/* cmocka's asserts longjmp into the test: only valid on the main thread. */
#define CHECK(c)                                                                        \
    do {                                                                                \
        if (!(c)) {                                                                     \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c);      \
            abort();                                                                    \
        }                                                                               \
    } while (0)

static struct store *mk(size_t max_bytes, bool evict, bool use_cas)
{
    struct store_config cfg = {
        .max_bytes = max_bytes, .item_size_max = 64 * KB, .evict = evict, .use_cas = use_cas};
    struct store *s = NULL;
    assert_int_equal(store_create(&cfg, &s), STORE_OK);
    return s;
}

/* set key=val (E new_cas if not 0); the new cas, or 0 when the store had no
 * room (only allowed where the caller says so) */
static uint64_t set_ex(struct store *s, const char *key, const char *val, uint64_t new_cas,
                       enum store_status *st_out)
{
    struct item *it = NULL;
    size_t n = strlen(val);
    enum store_status st = store_reserve(s, key, strlen(key), 0, 0, (uint32_t)n, &it);
    uint64_t cas = 0;
    if (st == STORE_OK) {
        memcpy(item_data(it), val, n);
        struct store_commit_opts o = {.new_cas = new_cas};
        st = store_commit(s, &it, STORE_SET, 0, &o, &cas);
    }
    if (st_out != NULL)
        *st_out = st;
    return st == STORE_OK ? cas : 0;
}

static uint64_t set(struct store *s, const char *key, const char *val)
{
    enum store_status st;
    uint64_t cas = set_ex(s, key, val, 0, &st);
    CHECK(st == STORE_OK);
    return cas;
}

/* The cas of the key's live item (0 on a miss), without side effects. */
static uint64_t cas_of(struct store *s, const char *key)
{
    struct store_get_opts peek = {.peek = true};
    struct item *it = store_get(s, key, strlen(key), &peek, NULL);
    if (it == NULL)
        return 0;
    uint64_t cas = store_item_cas(s, it);
    store_release(s, &it);
    return cas;
}

static struct store_restore rec(const char *key, const char *val, uint32_t flags,
                                uint32_t exptime, uint64_t cas)
{
    return (struct store_restore){.key = key,
                                  .nkey = strlen(key),
                                  .value = val,
                                  .vlen = (uint32_t)strlen(val),
                                  .flags = flags,
                                  .exptime = exptime,
                                  .cas = cas};
}

/* The item under key is exactly r (value, flags, exptime, cas). Takes a
 * peek (no side effects) and returns the item's state bits through it. */
static void assert_restored(struct store *s, const struct store_restore *r, uint64_t want_cas)
{
    struct store_get_opts peek = {.peek = true};
    struct item *it = store_get(s, r->key, r->nkey, &peek, NULL);
    assert_non_null(it);
    assert_int_equal(item_nkey(it), r->nkey);
    assert_memory_equal(item_key(it), r->key, r->nkey);
    assert_int_equal(item_vlen(it), r->vlen);
    if (r->vlen > 0)
        assert_memory_equal(item_value(it), r->value, r->vlen);
    assert_memory_equal(item_value(it) + r->vlen, "\r\n", 2);
    assert_int_equal(item_flags(it), r->flags);
    assert_int_equal(item_exptime(it), r->exptime);
    assert_int_equal(store_item_cas(s, it), want_cas);
    assert_int_equal(item_stale(it), r->stale);
    assert_int_equal(item_win_sent(it), r->win_sent);
    assert_int_equal(item_fetched(it), r->fetched);
    assert_int_equal(item_key_binary(it), r->key_binary);
    store_release(s, &it);
}

/* ---- store_restore ---- */

static void test_restore_exact(void **state)
{
    (void)state;
    struct store *s = mk(4 * MB, true, true);
    uint32_t exp = clock_now() + 1000;

    struct store_restore a = rec("alpha", "value one", 0xdeadbeefu, exp, 123456789012345ull);
    assert_int_equal(store_restore(s, &a), STORE_OK);
    assert_restored(s, &a, a.cas);

    /* flags 0, never expires, a cas below anything the store derives */
    struct store_restore b = rec("beta", "2", 0, 0, 7);
    assert_int_equal(store_restore(s, &b), STORE_OK);
    assert_restored(s, &b, 7);

    /* an empty value with no pointer */
    struct store_restore c = rec("gamma", "", 5, 0, 99);
    c.value = NULL;
    assert_int_equal(store_restore(s, &c), STORE_OK);
    assert_restored(s, &c, 99);

    /* cas 0: derived from its place, like a set's */
    struct store_restore d = rec("delta", "dd", 0, 0, 0);
    assert_int_equal(store_restore(s, &d), STORE_OK);
    uint64_t dcas = cas_of(s, "delta");
    assert_true(dcas != 0);
    assert_restored(s, &d, dcas);
    uint64_t later = set(s, "other", "x");
    assert_true(later != dcas);

    /* a classic get and gets see what was restored */
    struct item *it = store_get(s, "alpha", 5, NULL, NULL);
    assert_non_null(it);
    assert_int_equal(store_item_cas(s, it), a.cas);
    store_release(s, &it);

    struct store_stats st;
    store_stats(s, &st);
    assert_int_equal(st.curr_items, 5);
    store_destroy(&s);
}

static void test_restore_state_bits(void **state)
{
    (void)state;
    struct store *s = mk(4 * MB, true, true);
    struct store_get_info info;

    /* fetched -> hit_before on the next lookup; no other bit */
    struct store_restore f = rec("f", "v", 0, 0, 1000);
    f.fetched = true;
    assert_int_equal(store_restore(s, &f), STORE_OK);
    assert_restored(s, &f, 1000);
    struct item *it = store_get(s, "f", 1, NULL, &info);
    assert_non_null(it);
    store_release(s, &it);
    assert_true(info.hit_before);
    assert_false(info.stale);
    assert_false(info.won);
    assert_false(info.win);

    /* not fetched -> hit_before false */
    struct store_restore nf = rec("nf", "v", 0, 0, 1001);
    assert_int_equal(store_restore(s, &nf), STORE_OK);
    it = store_get(s, "nf", 2, NULL, &info);
    assert_non_null(it);
    store_release(s, &it);
    assert_false(info.hit_before);

    /* stale without the token sent: the next meta get reports stale and wins */
    struct store_restore x = rec("x", "v", 0, 0, 1002);
    x.stale = true;
    assert_int_equal(store_restore(s, &x), STORE_OK);
    assert_restored(s, &x, 1002);
    it = store_get(s, "x", 1, NULL, &info);
    assert_non_null(it);
    store_release(s, &it);
    assert_true(info.stale);
    assert_true(info.win);
    assert_false(info.won);

    /* stale with the token already out: the next meta get sees won, not win */
    struct store_restore xz = rec("xz", "v", 0, 0, 1003);
    xz.stale = true;
    xz.win_sent = true;
    assert_int_equal(store_restore(s, &xz), STORE_OK);
    assert_restored(s, &xz, 1003);
    it = store_get(s, "xz", 2, NULL, &info);
    assert_non_null(it);
    store_release(s, &it);
    assert_true(info.stale);
    assert_true(info.won);
    assert_false(info.win);

    /* win_sent alone (a vivified or recached item) */
    struct store_restore z = rec("z", "", 0, 0, 1004);
    z.win_sent = true;
    assert_int_equal(store_restore(s, &z), STORE_OK);
    it = store_get(s, "z", 1, NULL, &info);
    assert_non_null(it);
    store_release(s, &it);
    assert_true(info.won);
    assert_false(info.stale);

    /* key_binary: the key is echoed as it was stored (meta b) */
    struct store_restore kb = rec("kb", "v", 0, 0, 1005);
    kb.key_binary = true;
    assert_int_equal(store_restore(s, &kb), STORE_OK);
    assert_restored(s, &kb, 1005);

    /* a later md I keeps working on a restored item: new cas, still stale */
    struct store_delete_opts inv = {.invalidate = true};
    assert_int_equal(store_delete(s, "kb", 2, &inv), STORE_OK);
    uint64_t c2 = cas_of(s, "kb");
    assert_true(c2 != 0 && c2 != 1005);
    it = store_get(s, "kb", 2, NULL, &info);
    assert_non_null(it);
    assert_true(item_key_binary(it));
    store_release(s, &it);
    assert_true(info.stale);
    store_destroy(&s);
}

static void test_restore_replaces(void **state)
{
    (void)state;
    struct store *s = mk(4 * MB, true, true);
    set(s, "k", "the old value, longer than the new one with its flags and cas "
                "(which take 12 bytes more in the item)");
    set(s, "gone", "soon");
    struct store_stats before;
    store_stats(s, &before);

    struct store_restore r = rec("k", "new", 3, 0, 4242);
    assert_int_equal(store_restore(s, &r), STORE_OK);
    assert_restored(s, &r, 4242);
    struct store_stats st;
    store_stats(s, &st);
    assert_int_equal(st.curr_items, 2);
    assert_true(st.bytes < before.bytes); /* the old, longer value is unlinked */

    /* restoring over a restored item, down to a shorter record */
    struct store_restore r2 = rec("k", "n", 0, 0, 1);
    assert_int_equal(store_restore(s, &r2), STORE_OK);
    assert_restored(s, &r2, 1);

    /* an expired item takes the old one away and links nothing */
    struct store_restore dead = rec("gone", "late", 0, STORE_EXPIRED, 77);
    assert_int_equal(store_restore(s, &dead), STORE_OK);
    assert_int_equal(cas_of(s, "gone"), 0);
    struct store_restore past = rec("k", "late", 0, clock_now(), 78);
    assert_int_equal(store_restore(s, &past), STORE_OK);
    assert_int_equal(cas_of(s, "k"), 0);
    /* ... and an expired restore of an absent key is fine too */
    assert_int_equal(store_restore(s, &dead), STORE_OK);
    store_stats(s, &st);
    assert_int_equal(st.curr_items, 0);
    assert_int_equal(st.used_bytes, 0);
    store_destroy(&s);
}

static void test_restore_einval(void **state)
{
    (void)state;
    struct store *s = mk(4 * MB, true, true);
    char big_key[252];
    memset(big_key, 'k', sizeof(big_key) - 1);
    big_key[sizeof(big_key) - 1] = '\0';

    struct store_restore r = rec("k", "v", 0, 0, 1);
    assert_int_equal(store_restore(NULL, &r), STORE_EINVAL);
    assert_int_equal(store_restore(s, NULL), STORE_EINVAL);
    struct store_restore e = rec("", "v", 0, 0, 1);
    assert_int_equal(store_restore(s, &e), STORE_EINVAL);
    e.key = NULL;
    assert_int_equal(store_restore(s, &e), STORE_EINVAL);
    struct store_restore l = rec(big_key, "v", 0, 0, 1);
    assert_int_equal(store_restore(s, &l), STORE_EINVAL);
    l.nkey = 250; /* the longest key */
    assert_int_equal(store_restore(s, &l), STORE_OK);
    struct store_restore nv = rec("k", "v", 0, 0, 1);
    nv.value = NULL;
    assert_int_equal(store_restore(s, &nv), STORE_EINVAL);

    char *val = malloc(64 * KB);
    assert_non_null(val);
    memset(val, 'v', 64 * KB);
    struct store_restore tl = {.key = "big", .nkey = 3, .value = val, .vlen = 64 * KB, .cas = 9};
    assert_int_equal(store_restore(s, &tl), STORE_TOO_LARGE);
    free(val);
    assert_int_equal(cas_of(s, "big"), 0);
    store_destroy(&s);
}

static void test_restore_without_cas(void **state)
{
    (void)state;
    struct store *s = mk(4 * MB, true, false); /* -C: every cas is 0 */
    struct store_restore r = rec("k", "v", 1, 0, 5555);
    assert_int_equal(store_restore(s, &r), STORE_OK);
    assert_restored(s, &r, 0);
    store_destroy(&s);
}

/* ---- the hook is not called ---- */

static int g_hook_calls;

static void count_hook(void *arg, enum store_event ev, const char *key, size_t nkey,
                       const struct item *it, uint32_t exptime)
{
    (void)arg;
    (void)ev;
    (void)key;
    (void)nkey;
    (void)it;
    (void)exptime;
    g_hook_calls++;
}

static void test_restore_no_hook(void **state)
{
    (void)state;
    struct store *s = mk(4 * MB, true, true);
    g_hook_calls = 0;
    store_set_hook(s, count_hook, NULL);
    set(s, "k", "v");
    assert_int_equal(g_hook_calls, 1); /* the hook is in place */

    struct store_restore r = rec("k", "restored", 0, 0, 10);
    assert_int_equal(store_restore(s, &r), STORE_OK);
    struct store_restore n = rec("new", "x", 0, 0, 11);
    assert_int_equal(store_restore(s, &n), STORE_OK);
    struct store_restore d = rec("new", "x", 0, STORE_EXPIRED, 12);
    assert_int_equal(store_restore(s, &d), STORE_OK);
    assert_int_equal(g_hook_calls, 1);
    store_set_hook(s, NULL, NULL);
    store_destroy(&s);
}

/* ---- memory pressure ---- */

static void test_restore_evicts(void **state)
{
    (void)state;
    const size_t max = 1 * MB;
    struct store *s = mk(max, true, true);
    char key[32], val[300];
    memset(val, 'v', sizeof(val));
    struct store_stats st;

    for (unsigned i = 0; i < 20000; i++) {
        snprintf(key, sizeof(key), "key:%u", i);
        struct store_restore r = {.key = key, .nkey = strlen(key), .value = val,
                                  .vlen = 100 + i % 200, .flags = i, .exptime = 0,
                                  .cas = 1000000u + i, .fetched = (i & 1) != 0};
        assert_int_equal(store_restore(s, &r), STORE_OK);
        if (i % 1000 == 999) {
            store_stats(s, &st);
            assert_true(st.bytes <= max);
            assert_true(st.used_bytes <= max);
            assert_true(st.arena_bytes <= max);
        }
    }
    store_stats(s, &st);
    assert_true(st.evictions > 0);
    assert_true(st.curr_items > 1000 && st.curr_items < 20000);
    /* the last one is there, exact */
    struct store_restore last = {.key = key, .nkey = strlen(key), .value = val,
                                 .vlen = 100 + 19999 % 200, .flags = 19999,
                                 .cas = 1000000u + 19999, .fetched = true};
    assert_restored(s, &last, last.cas);
    store_destroy(&s);

    /* -M: no eviction, so a full store refuses */
    s = mk(1 * MB, false, true);
    enum store_status r_st = STORE_OK;
    unsigned i = 0;
    for (; i < 20000 && r_st == STORE_OK; i++) {
        snprintf(key, sizeof(key), "key:%u", i);
        struct store_restore r = {.key = key, .nkey = strlen(key), .value = val,
                                  .vlen = 200, .cas = 1u + i};
        r_st = store_restore(s, &r);
    }
    assert_int_equal(r_st, STORE_ENOMEM);
    assert_true(i > 1000);
    store_stats(s, &st);
    assert_int_equal(st.evictions, 0);
    assert_true(st.used_bytes <= 1 * MB);
    store_destroy(&s);
}

/* ---- sizing the index ahead ---- */

static void test_expect_items(void **state)
{
    (void)state;
    struct store *s = mk(64 * MB, true, true);
    char key[32];
    struct store_stats st;
    for (unsigned i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "pre:%u", i);
        set(s, key, "v");
    }
    store_stats(s, &st);
    uint64_t buckets0 = st.hash_buckets;

    store_expect_items(s, 400000);
    store_stats(s, &st);
    assert_true(st.hash_buckets > buckets0);
    assert_true(st.hash_buckets * 3 / 2 >= 400000 - 64); /* each shard's load limit */
    uint64_t buckets1 = st.hash_buckets;
    /* what was stored is still found (rehashed) */
    for (unsigned i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "pre:%u", i);
        assert_true(cas_of(s, key) != 0);
    }
    /* restoring about that many does not grow it much further (only shards
     * above the mean, by one doubling) */
    for (unsigned i = 0; i < 300000; i++) {
        snprintf(key, sizeof(key), "r:%u", i);
        struct store_restore r = rec(key, "v", 0, 0, 1u + i);
        assert_int_equal(store_restore(s, &r), STORE_OK);
    }
    store_stats(s, &st);
    assert_int_equal(st.curr_items, 305000);
    assert_true(st.hash_buckets <= buckets1 * 2);
    /* a smaller hint, or a NULL store, changes nothing */
    store_expect_items(s, 10);
    store_expect_items(NULL, 10);
    store_stats(s, &st);
    uint64_t buckets2 = st.hash_buckets;
    store_destroy(&s);

    /* capped by what max_bytes could hold */
    s = mk(1 * MB, true, true);
    store_expect_items(s, UINT64_MAX);
    store_stats(s, &st);
    assert_true(st.hash_buckets <= 2 * (1 * MB / 20));
    assert_true(st.hash_buckets < buckets2);
    store_destroy(&s);
}

/* ---- the cas floor and high mark ---- */

#define FLOOR_THREADS 4

struct floor_arg {
    struct store *s;
    pthread_barrier_t *bar;
    unsigned id;
    uint64_t before, after; /* the smallest cas after the raise */
};

/* Each thread has its own writer head: write, wait for the raise, write. */
static void *floor_writer(void *p)
{
    struct floor_arg *a = p;
    char key[32];
    snprintf(key, sizeof(key), "t%u", a->id);
    a->before = set(a->s, key, "before");
    pthread_barrier_wait(a->bar); /* main raises */
    pthread_barrier_wait(a->bar);
    a->after = UINT64_MAX;
    for (unsigned i = 0; i < 50; i++) {
        snprintf(key, sizeof(key), "t%u:%u", a->id, i);
        uint64_t c = set(a->s, key, "after");
        if (c < a->after)
            a->after = c;
    }
    return NULL;
}

static void test_raise_cas(void **state)
{
    (void)state;
    struct store *s = mk(1 * MB, true, true);
    char key[32];
    uint64_t c0 = set(s, "k0", "v");
    const uint64_t floor = (uint64_t)1 << 50;
    assert_true(c0 < floor && store_cas_high(s) < floor);

    /* threads holding half-filled head segments across the raise */
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, FLOOR_THREADS + 1);
    pthread_t th[FLOOR_THREADS];
    struct floor_arg args[FLOOR_THREADS];
    for (unsigned i = 0; i < FLOOR_THREADS; i++) {
        args[i] = (struct floor_arg){.s = s, .bar = &bar, .id = i};
        pthread_create(&th[i], NULL, floor_writer, &args[i]);
    }
    pthread_barrier_wait(&bar);
    store_raise_cas(s, floor);
    assert_true(store_cas_high(s) >= floor);
    pthread_barrier_wait(&bar);
    for (unsigned i = 0; i < FLOOR_THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_true(args[i].before < floor);
        assert_true(args[i].after > floor);
    }
    pthread_barrier_destroy(&bar);
    /* items from before keep their cas */
    assert_int_equal(cas_of(s, "k0"), c0);

    /* this thread's head too, many keys (all shards), through eviction
     * cycles of the small store (copies keep their old cas) */
    uint64_t high_seen = 0;
    for (unsigned i = 0; i < 50000; i++) {
        snprintf(key, sizeof(key), "key:%u", i % 20000);
        uint64_t c = set(s, key, "a value of some thirty bytes..");
        assert_true(c > floor);
        if (c > high_seen)
            high_seen = c;
        if (i % 7 == 0) {
            struct item *it = store_get(s, key, strlen(key), NULL, NULL); /* promote */
            store_release(s, &it);
        }
    }
    struct store_stats st;
    store_stats(s, &st);
    assert_true(st.evictions > 0);
    assert_true(store_cas_high(s) >= high_seen);

    /* md I in place and incr after the raise: above it too */
    set(s, "n", "10");
    struct store_delete_opts inv = {.invalidate = true};
    assert_int_equal(store_delete(s, "n", 1, &inv), STORE_OK);
    assert_true(cas_of(s, "n") > floor);
    struct store_delta_result dr;
    assert_int_equal(store_delta(s, "n", 1, true, 1, NULL, &dr), STORE_OK);
    assert_true(dr.cas > floor);

    /* a lower floor changes nothing; values keep rising */
    store_raise_cas(s, 5);
    assert_true(set(s, "k1", "v") > high_seen);

    /* the client's E is left alone, but the high mark covers it */
    uint64_t e = (uint64_t)1 << 60;
    assert_int_equal(set_ex(s, "e", "v", e, NULL), e);
    assert_int_equal(cas_of(s, "e"), e);
    assert_true(store_cas_high(s) >= e);
    assert_true(set(s, "k2", "v") < e); /* derivation did not jump to it */

    /* a floor at the very top is taken as 2^63 - 1: no wrap */
    store_raise_cas(s, UINT64_MAX);
    for (unsigned i = 0; i < 3000; i++) {
        snprintf(key, sizeof(key), "top:%u", i);
        assert_true(set(s, key, "a value of some thirty bytes..") >= ((uint64_t)1 << 63));
    }
    assert_true(store_cas_high(s) >= ((uint64_t)1 << 63));
    store_destroy(&s);
}

static void test_cas_high_mixed(void **state)
{
    (void)state;
    struct store *s = mk(256 * KB, true, true); /* evicts, copies forward */
    char key[32], val[200];
    memset(val, 'a', sizeof(val));
    uint64_t x = 88172645463325252ull, seen = 0;
    uint64_t last_high = store_cas_high(s);
    unsigned kinds[7] = {0};

    for (unsigned i = 0; i < 40000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        snprintf(key, sizeof(key), "m:%u", (unsigned)(x % 10000));
        unsigned op = (unsigned)((x >> 20) % 7);
        uint64_t c = 0;
        switch (op) {
        case 0: { /* set (a number: incr can follow) */
            char num[24];
            snprintf(num, sizeof(num), "%u", (unsigned)(x >> 40) % 1000);
            c = set(s, key, num);
            break;
        }
        case 1: { /* set a longer value, sometimes with E */
            val[(x >> 8) % 150] = '\0';
            enum store_status st;
            c = set_ex(s, key, val, (x >> 30) % 3 == 0 ? (x >> 24) : 0, &st);
            CHECK(st == STORE_OK);
            val[(x >> 8) % 150] = 'a';
            break;
        }
        case 2: { /* md I (in place, or a copy when it has an explicit cas) */
            struct store_delete_opts inv = {.invalidate = true};
            if (store_delete(s, key, strlen(key), &inv) == STORE_OK)
                c = cas_of(s, key);
            break;
        }
        case 3: { /* incr */
            struct store_delta_result dr;
            if (store_delta(s, key, strlen(key), true, 7, NULL, &dr) == STORE_OK)
                c = dr.cas;
            break;
        }
        case 4: { /* append */
            struct item *it = NULL;
            CHECK(store_reserve(s, key, strlen(key), 0, 0, 3, &it) == STORE_OK);
            memcpy(item_data(it), "xyz", 3);
            store_commit(s, &it, STORE_APPEND, 0, NULL, &c);
            break;
        }
        case 5: /* touch */
            if (store_touch(s, key, strlen(key), clock_now() + 1000) == STORE_OK)
                c = cas_of(s, key);
            break;
        default: /* delete */
            store_delete(s, key, strlen(key), NULL);
            break;
        }
        kinds[op] += c != 0;
        if (c > seen)
            seen = c;
        uint64_t high = store_cas_high(s);
        assert_true(high >= seen);
        assert_true(high >= last_high);
        last_high = high;
    }
    for (unsigned k = 0; k < 6; k++)
        assert_true(kinds[k] > 100); /* each kind handed out cas values */
    struct store_stats st;
    store_stats(s, &st);
    assert_true(st.evictions > 0);
    store_destroy(&s);
}

/* Threads: writers set (some with E) and publish the largest cas they were
 * given; a reader checks store_cas_high against what was published (and
 * that it never falls); a raiser moves the floor, and a writer that saw a
 * raised floor before reserving must get a cas above it. */
#define HIGH_WRITERS 3
#define HIGH_OPS 30000

static struct store *g_s;
static _Atomic uint64_t g_seen;  /* the largest cas any writer was given */
static _Atomic uint64_t g_floor; /* the last floor store_raise_cas returned from */
static atomic_int g_writers_left;

static void publish_max(_Atomic uint64_t *a, uint64_t v)
{
    uint64_t cur = atomic_load(a);
    while (v > cur && !atomic_compare_exchange_weak(a, &cur, v)) {
    }
}

static void *high_writer(void *p)
{
    unsigned id = (unsigned)(uintptr_t)p;
    char key[32];
    uint64_t x = 0x9e3779b97f4a7c15ull * (id + 1);
    for (unsigned i = 0; i < HIGH_OPS; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        snprintf(key, sizeof(key), "w%u:%u", id, (unsigned)(x % 2000));
        uint64_t floor = atomic_load(&g_floor);
        bool e = x % 50 == 0;
        enum store_status st;
        uint64_t c = set_ex(g_s, key, "some value of 20 b..", e ? (x >> 30) : 0, &st);
        CHECK(st == STORE_OK);
        CHECK(e || c > floor);
        publish_max(&g_seen, c);
    }
    atomic_fetch_sub(&g_writers_left, 1);
    return NULL;
}

static void *high_reader(void *p)
{
    (void)p;
    uint64_t last = 0;
    while (atomic_load(&g_writers_left) > 0) {
        uint64_t seen = atomic_load(&g_seen);
        uint64_t high = store_cas_high(g_s);
        CHECK(high >= seen);
        CHECK(high >= last);
        last = high;
    }
    return NULL;
}

static void *high_raiser(void *p)
{
    (void)p;
    /* a few hundred raises, spread over the writers' run (each one starts
     * every head on a new segment) */
    for (unsigned n = 0; n < 300 && atomic_load(&g_writers_left) > 0; n++) {
        uint64_t floor = store_cas_high(g_s) + ((uint64_t)1 << 24);
        store_raise_cas(g_s, floor);
        atomic_store(&g_floor, floor);
        for (unsigned k = 0; k < 100; k++)
            sched_yield();
    }
    return NULL;
}

static void test_cas_high_threads(void **state)
{
    (void)state;
    g_s = mk(2 * MB, true, true);
    atomic_store(&g_seen, 0);
    atomic_store(&g_floor, 0);
    atomic_store(&g_writers_left, HIGH_WRITERS);
    pthread_t w[HIGH_WRITERS], r, f;
    for (unsigned i = 0; i < HIGH_WRITERS; i++)
        pthread_create(&w[i], NULL, high_writer, (void *)(uintptr_t)i);
    pthread_create(&r, NULL, high_reader, NULL);
    pthread_create(&f, NULL, high_raiser, NULL);
    for (unsigned i = 0; i < HIGH_WRITERS; i++)
        pthread_join(w[i], NULL);
    pthread_join(r, NULL);
    pthread_join(f, NULL);
    assert_true(atomic_load(&g_floor) > 0);
    assert_true(store_cas_high(g_s) >= atomic_load(&g_seen));
    store_destroy(&g_s);
}

/* ---- store_flush_pending ---- */

static void test_flush_pending(void **state)
{
    (void)state;
    struct store *s = mk(4 * MB, true, true);
    assert_int_equal(store_flush_pending(s), 0);

    uint32_t when = clock_fresh_now() + 10;
    store_flush(s, when);
    assert_int_equal(store_flush_pending(s), when);
    clock_shift(9);
    assert_int_equal(store_flush_pending(s), when);
    clock_shift(1); /* its time has come */
    assert_int_equal(store_flush_pending(s), 0);

    /* an immediate flush is never pending, and replaces a delayed one */
    store_flush(s, clock_now());
    assert_int_equal(store_flush_pending(s), 0);
    uint32_t later = clock_fresh_now() + 100;
    store_flush(s, later);
    assert_int_equal(store_flush_pending(s), later);
    store_flush(s, 0);
    assert_int_equal(store_flush_pending(s), 0);
    store_destroy(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restore_exact),
        cmocka_unit_test(test_restore_state_bits),
        cmocka_unit_test(test_restore_replaces),
        cmocka_unit_test(test_restore_einval),
        cmocka_unit_test(test_restore_without_cas),
        cmocka_unit_test(test_restore_no_hook),
        cmocka_unit_test(test_restore_evicts),
        cmocka_unit_test(test_expect_items),
        cmocka_unit_test(test_raise_cas),
        cmocka_unit_test(test_cas_high_mixed),
        cmocka_unit_test(test_cas_high_threads),
        cmocka_unit_test(test_flush_pending),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
