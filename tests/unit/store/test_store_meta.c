/*
 * test_store_meta.c: unit tests of the store's meta-protocol verbs
 * options of store_get, store_commit, store_delete and store_delta, and
 * item_atime), through store.h only, plus clock_shift() to move time.
 * The expected behaviours are memcached 1.6's (see the store.h comments).
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

static struct store *mk(bool use_cas)
{
    struct store_config cfg = {
        .max_bytes = 4 * MB, .item_size_max = 64 * KB, .evict = true, .use_cas = use_cas};
    struct store *s = NULL;
    assert_int_equal(store_create(&cfg, &s), STORE_OK);
    return s;
}

static struct item *reserve(struct store *s, const char *key, const char *val, uint32_t flags,
                            uint32_t exptime)
{
    struct item *it = NULL;
    size_t n = strlen(val);
    assert_int_equal(store_reserve(s, key, strlen(key), flags, exptime, (uint32_t)n, &it),
                     STORE_OK);
    memcpy(item_data(it), val, n);
    memcpy(item_data(it) + n, "\r\n", 2);
    return it;
}

/* set key=val; returns the new cas */
static uint64_t set(struct store *s, const char *key, const char *val, uint32_t flags,
                    uint32_t exptime)
{
    struct item *it = reserve(s, key, val, flags, exptime);
    uint64_t cas = 0;
    assert_int_equal(store_commit(s, &it, STORE_SET, 0, NULL, &cas), STORE_OK);
    return cas;
}

static enum store_status commit_ex(struct store *s, const char *key, const char *val,
                                   uint32_t flags, uint32_t exptime, enum store_mode mode,
                                   uint64_t cas, const struct store_commit_opts *o,
                                   uint64_t *cas_out)
{
    struct item *it = reserve(s, key, val, flags, exptime);
    enum store_status st = store_commit(s, &it, mode, cas, o, cas_out);
    assert_null(it);
    return st;
}

/* store_get, dropping the reference; true on a hit */
static bool get_info(struct store *s, const char *key, const struct store_get_opts *o,
                     struct store_get_info *info)
{
    struct item *it = store_get(s, key, strlen(key), o, info);
    if (it == NULL)
        return false;
    store_release(s, &it);
    return true;
}

/* A plain meta get (no options) of a live key. */
static struct store_get_info mg(struct store *s, const char *key)
{
    struct store_get_info info;
    assert_true(get_info(s, key, NULL, &info));
    return info;
}

static void assert_value(struct store *s, const char *key, const char *want)
{
    struct item *it = store_get(s, key, strlen(key), &(struct store_get_opts){.peek = true},
                                   NULL);
    assert_non_null(it);
    assert_int_equal(item_vlen(it), strlen(want));
    assert_memory_equal(item_value(it), want, strlen(want));
    assert_memory_equal(item_value(it) + item_vlen(it), "\r\n", 2);
    store_release(s, &it);
}

/* Fields of a live key, read without side effects. */
struct snap {
    uint64_t cas;
    uint32_t exptime, flags, vlen;
};

static struct snap peek(struct store *s, const char *key)
{
    struct item *it = store_get(s, key, strlen(key), &(struct store_get_opts){.peek = true},
                                   NULL);
    assert_non_null(it);
    struct snap v = {store_item_cas(s, it), item_exptime(it), item_flags(it), item_vlen(it)};
    store_release(s, &it);
    return v;
}

/* ---- store_get ---- */

/* memcached: "mg k h l" answers h0 on the first fetch, h1 after; l counts
 * the seconds since the previous access, 0 right after one. */
static void test_hit_before_last_access(void **state)
{
    struct store *s = mk(true);
    struct store_get_info info;

    set(s, "k", "v", 0, 0);
    info = mg(s, "k");
    assert_false(info.hit_before);
    assert_int_equal(info.last_access, 0);
    assert_false(info.win || info.won || info.stale || info.vivified);
    info = mg(s, "k");
    assert_true(info.hit_before);

    clock_shift(5);
    info = mg(s, "k");
    assert_int_equal(info.last_access, 5);
    info = mg(s, "k");
    assert_int_equal(info.last_access, 0);

    struct item *it = store_get(s, "k", 1, NULL, NULL);
    assert_int_equal(item_atime(it), clock_now());
    store_release(s, &it);

    /* a set starts over: not fetched, accessed now */
    clock_shift(3);
    set(s, "k", "w", 0, 0);
    info = mg(s, "k");
    assert_false(info.hit_before);
    assert_int_equal(info.last_access, 0);

    /* a miss fills nothing */
    memset(&info, 0xff, sizeof(info));
    assert_false(get_info(s, "nope", NULL, &info));
    assert_false(info.hit_before || info.win || info.vivified);
    assert_null(store_get(NULL, "k", 1, NULL, NULL));
    assert_null(store_get(s, "", 0, NULL, NULL));
    store_destroy(&s);
}

/* memcached: "mg k h l u" twice answers h0 both times with l still counting;
 * "me" changes nothing either. */
static void test_no_bump_and_peek(void **state)
{
    struct store *s = mk(true);
    struct store_get_info info;
    struct store_get_opts u = {.no_bump = true};
    struct store_get_opts me = {.peek = true, .touch = true, .new_exptime = 5,
                                .vivify = true, .vivify_exptime = 0};

    uint32_t t0 = clock_fresh_now();
    set(s, "k", "v", 0, t0 + 100);
    clock_shift(2);
    assert_true(get_info(s, "k", &u, &info));
    assert_false(info.hit_before);
    assert_int_equal(info.last_access, 2);
    assert_true(get_info(s, "k", &u, &info));
    assert_false(info.hit_before);
    assert_int_equal(info.last_access, 2);

    assert_true(get_info(s, "k", &me, &info));
    assert_false(info.hit_before);
    assert_int_equal(info.last_access, 2);
    assert_int_equal(peek(s, "k").exptime, t0 + 100); /* peek ignores touch */
    assert_false(get_info(s, "miss", &me, &info));     /* ... and vivify */
    assert_false(get_info(s, "miss", NULL, &info));

    /* no_bump with touch: the exptime changes, the fetched bit does not */
    struct store_get_opts ut = {.no_bump = true, .touch = true, .new_exptime = t0 + 50};
    assert_true(get_info(s, "k", &ut, &info));
    assert_int_equal(peek(s, "k").exptime, t0 + 50);
    info = mg(s, "k");
    assert_false(info.hit_before);
    info = mg(s, "k");
    assert_true(info.hit_before);

    /* touch counts as a fetch (memcached: touch, then mg h answers h1) */
    set(s, "t", "v", 0, 0);
    assert_int_equal(store_touch(s, "t", 1, t0 + 60), STORE_OK);
    info = mg(s, "t");
    assert_true(info.hit_before);
    store_destroy(&s);
}

/* memcached: "mg foo N30" on a miss answers W with an empty value, the next
 * mg answers Z and h1; a set clears the token. */
static void test_vivify(void **state)
{
    struct store *s = mk(true);
    struct store_get_info info;
    uint32_t now = clock_fresh_now();
    struct store_get_opts n = {.vivify = true, .vivify_exptime = now + 30};

    struct item *it = store_get(s, "v", 1, &n, &info);
    assert_non_null(it);
    assert_int_equal(item_vlen(it), 0);
    assert_memory_equal(item_value(it), "\r\n", 2);
    assert_int_equal(item_flags(it), 0);
    assert_int_equal(item_exptime(it), now + 30);
    assert_int_not_equal(store_item_cas(s, it), 0);
    store_release(s, &it);
    assert_true(info.vivified && info.win);
    assert_false(info.won || info.hit_before || info.stale);
    assert_int_equal(info.last_access, 0);

    assert_true(get_info(s, "v", &n, &info));
    assert_false(info.vivified || info.win);
    assert_true(info.won && info.hit_before);
    info = mg(s, "v");
    assert_true(info.won);
    assert_false(info.win);

    struct store_stats st;
    store_stats(s, &st);
    assert_int_equal(st.curr_items, 1);

    /* a fresh set replaces the item: no token any more */
    set(s, "v", "data", 0, 0);
    info = mg(s, "v");
    assert_false(info.won || info.win);

    /* vivify with no_bump: the creator does not count as a fetch */
    struct store_get_opts nu = {.vivify = true, .no_bump = true};
    assert_true(get_info(s, "w", &nu, &info));
    assert_true(info.vivified && info.win);
    info = mg(s, "w");
    assert_false(info.hit_before);
    assert_true(info.won);

    /* a vivify with touch: the touch applies to the new item */
    struct store_get_opts nt = {.vivify = true, .vivify_exptime = now + 30, .touch = true,
                                .new_exptime = now + 60};
    assert_true(get_info(s, "x", &nt, &info));
    assert_true(info.vivified);
    assert_int_equal(peek(s, "x").exptime, now + 60);

    /* mg E: the vivified item's cas */
    struct store_get_opts ne = {.vivify = true, .new_cas = 4242};
    assert_true(get_info(s, "y", &ne, &info));
    assert_int_equal(peek(s, "y").cas, 4242);

    /* a vivify by a caller without info still takes the token */
    assert_true(get_info(s, "z", &n, NULL));
    info = mg(s, "z");
    assert_true(info.won);

    /* vivify replaces an expired item */
    set(s, "e", "old", 0, now + 1);
    clock_shift(2);
    assert_true(get_info(s, "e", &n, &info));
    assert_true(info.vivified);
    store_destroy(&s);
}

/* memcached: "mg k R30" answers nothing special while the ttl is above 30,
 * W once it is below, Z after; an item that never expires never wins. */
static void test_recache(void **state)
{
    struct store *s = mk(true);
    struct store_get_info info;
    uint32_t now = clock_fresh_now();

    set(s, "r", "v", 0, now + 100);
    struct store_get_opts r30 = {.recache = true, .recache_secs = 30};
    struct store_get_opts r200 = {.recache = true, .recache_secs = 200};
    assert_true(get_info(s, "r", &r30, &info));
    assert_false(info.win || info.won);
    assert_true(get_info(s, "r", &r200, &info));
    assert_true(info.win);
    assert_false(info.won || info.stale);
    assert_true(get_info(s, "r", &r200, &info));
    assert_false(info.win);
    assert_true(info.won);
    info = mg(s, "r");
    assert_true(info.won);

    /* the classic get never takes the token */
    set(s, "c", "v", 0, now + 10);
    struct item *it = store_get(s, "c", 1, NULL, NULL);
    store_release(s, &it);
    assert_true(get_info(s, "c", &r30, &info));
    assert_true(info.win);

    set(s, "never", "v", 0, 0);
    struct store_get_opts big = {.recache = true, .recache_secs = UINT32_MAX};
    assert_true(get_info(s, "never", &big, &info));
    assert_false(info.win || info.won);

    /* the window is measured against the clock */
    set(s, "later", "v", 0, now + 100);
    assert_true(get_info(s, "later", &r30, &info));
    assert_false(info.win);
    clock_shift(71);
    assert_true(get_info(s, "later", &r30, &info));
    assert_true(info.win);
    store_destroy(&s);
}

/* ---- store_delete ---- */

/* memcached: "md k I T30" keeps the item with a new cas; the next mg answers
 * X W, later ones Z X; a set clears both. */
static void test_invalidate(void **state)
{
    struct store *s = mk(true);
    struct store_get_info info;
    uint32_t now = clock_fresh_now();

    uint64_t cas = set(s, "k", "v", 3, now + 100);
    mg(s, "k");
    struct store_delete_opts inv = {.invalidate = true, .touch = true, .new_exptime = now + 30};
    assert_int_equal(store_delete(s, "k", 1, &inv), STORE_OK);
    struct snap v = peek(s, "k");
    assert_int_not_equal(v.cas, cas);
    assert_true(v.cas > cas);
    assert_int_equal(v.exptime, now + 30);
    assert_int_equal(v.flags, 3);
    assert_value(s, "k", "v");

    info = mg(s, "k");
    assert_true(info.stale && info.win && info.hit_before); /* md I keeps fetched */
    assert_false(info.won);
    info = mg(s, "k");
    assert_true(info.stale && info.won);
    assert_false(info.win);

    /* invalidating again clears the token: the next meta get wins again,
     * and a classic get in between does not take it */
    struct store_delete_opts inv2 = {.invalidate = true};
    assert_int_equal(store_delete(s, "k", 1, &inv2), STORE_OK);
    assert_int_equal(peek(s, "k").exptime, now + 30); /* no touch: kept */
    struct item *it = store_get(s, "k", 1, NULL, NULL);
    store_release(s, &it);
    info = mg(s, "k");
    assert_true(info.stale && info.win);

    /* E gives the invalidated item its cas */
    struct store_delete_opts inv_e = {.invalidate = true, .new_cas = 999};
    assert_int_equal(store_delete(s, "k", 1, &inv_e), STORE_OK);
    assert_int_equal(peek(s, "k").cas, 999);

    set(s, "k", "new", 0, 0);
    info = mg(s, "k");
    assert_false(info.stale || info.win || info.won);

    /* with -C, the new cas is 0 */
    struct store *c = mk(false);
    set(c, "k", "v", 0, 0);
    assert_int_equal(store_delete(c, "k", 1, &inv2), STORE_OK);
    assert_int_equal(peek(c, "k").cas, 0);
    store_destroy(&c);
    store_destroy(&s);
}

static void test_delete_ex(void **state)
{
    struct store *s = mk(true);
    struct store_stats st0, st;
    store_stats(s, &st0);

    uint64_t cas = set(s, "k", "v", 0, 0);
    struct store_delete_opts bad = {.cas = cas + 1};
    assert_int_equal(store_delete(s, "k", 1, &bad), STORE_EXISTS);
    assert_value(s, "k", "v");
    struct store_delete_opts bad_inv = {.cas = cas + 1, .invalidate = true};
    assert_int_equal(store_delete(s, "k", 1, &bad_inv), STORE_EXISTS);
    assert_false(mg(s, "k").stale);
    struct store_delete_opts good = {.cas = cas};
    assert_int_equal(store_delete(s, "k", 1, &good), STORE_OK);
    assert_int_equal(store_delete(s, "k", 1, NULL), STORE_NOT_FOUND);
    assert_int_equal(store_delete(s, "k", 1, &good), STORE_NOT_FOUND);
    assert_int_equal(store_delete(s, "", 0, NULL), STORE_EINVAL);
    assert_int_equal(store_delete(NULL, "k", 1, NULL), STORE_EINVAL);
    store_stats(s, &st);
    assert_int_equal(st.used_bytes, st0.used_bytes);
    store_destroy(&s);
}

/* md x (memcached 1.6.2x): the value is replaced by an empty one, the cas
 * is kept, flags and exptime come from md's F and T (0 without them). */
static void test_clear_value(void **state)
{
    struct store *s = mk(true);
    struct store_get_info info;
    uint32_t now = clock_fresh_now();

    uint64_t cas = set(s, "k", "hello", 7, now + 100);
    mg(s, "k");
    struct store_delete_opts x = {.clear_value = true};
    assert_int_equal(store_delete(s, "k", 1, &x), STORE_OK);
    struct snap v = peek(s, "k");
    assert_int_equal(v.vlen, 0);
    assert_int_equal(v.flags, 0);
    assert_int_equal(v.exptime, 0);
    assert_int_equal(v.cas, cas);
    assert_value(s, "k", "");
    info = mg(s, "k");
    assert_false(info.hit_before || info.stale); /* a new item */

    struct store_delete_opts xt = {.clear_value = true, .touch = true, .new_exptime = now + 30,
                                   .new_flags = 9, .new_cas = 31337, .cas = cas};
    assert_int_equal(store_delete(s, "k", 1, &xt), STORE_OK);
    v = peek(s, "k");
    assert_int_equal(v.exptime, now + 30);
    assert_int_equal(v.flags, 9);
    assert_int_equal(v.cas, 31337);

    /* x with I: emptied and invalidated, with a new cas */
    struct store_delete_opts xi = {.clear_value = true, .invalidate = true};
    assert_int_equal(store_delete(s, "k", 1, &xi), STORE_OK);
    v = peek(s, "k");
    assert_true(v.cas != 31337 && v.cas != 0);
    info = mg(s, "k");
    assert_true(info.stale && info.win);

    /* failures give the empty item back */
    struct store_stats st0, st;
    store_stats(s, &st0);
    assert_int_equal(store_delete(s, "nope", 4, &x), STORE_NOT_FOUND);
    struct store_delete_opts xbad = {.clear_value = true, .cas = 1};
    assert_int_equal(store_delete(s, "k", 1, &xbad), STORE_EXISTS);
    store_stats(s, &st);
    assert_int_equal(st.used_bytes, st0.used_bytes);
    assert_int_equal(st.curr_items, st0.curr_items);

    /* and the replaced item's memory is freed once deleted */
    assert_int_equal(store_delete(s, "k", 1, NULL), STORE_OK);
    store_stats(s, &st);
    assert_int_equal(st.curr_items, 0);
    assert_int_equal(st.used_bytes, 0);
    store_destroy(&s);
}

/* ---- store_commit ---- */

static void test_commit_new_cas(void **state)
{
    struct store *s = mk(true);
    struct store_commit_opts e = {.new_cas = 12345};
    uint64_t cas = 0;
    assert_int_equal(commit_ex(s, "k", "v", 0, 0, STORE_SET, 0, &e, &cas), STORE_OK);
    assert_int_equal(cas, 12345);
    assert_int_equal(peek(s, "k").cas, 12345);
    assert_int_equal(commit_ex(s, "k", "w", 0, 0, STORE_CAS, 12345, NULL, &cas), STORE_OK);
    assert_int_not_equal(cas, 12345);

    struct store *c = mk(false); /* -C: no cas at all */
    assert_int_equal(commit_ex(c, "k", "v", 0, 0, STORE_SET, 0, &e, &cas), STORE_OK);
    assert_int_equal(cas, 0);
    store_destroy(&c);
    store_destroy(&s);
}

/* memcached: "ms k 2 I C<older>" stores the value, marked stale, keeping the
 * item's exptime and win token; a newer cas is EX; an equal one a plain
 * store. */
static void test_commit_invalidate(void **state)
{
    struct store *s = mk(true);
    struct store_get_info info;
    uint32_t now = clock_fresh_now();
    struct store_commit_opts inv = {.invalidate = true};

    uint64_t c1 = set(s, "k", "one", 0, now + 50);
    uint64_t c2 = set(s, "k", "two", 0, now + 50);
    assert_true(c1 < c2);
    /* without I an older cas is refused */
    assert_int_equal(commit_ex(s, "k", "x", 0, 0, STORE_CAS, c1, NULL, NULL), STORE_EXISTS);
    assert_int_equal(commit_ex(s, "k", "x", 0, 0, STORE_CAS, c2 + 100, &inv, NULL),
                     STORE_EXISTS);
    assert_int_equal(commit_ex(s, "k", "x", 0, 0, STORE_CAS, 0, &inv, NULL), STORE_EXISTS);

    /* md I then mg: token sent; then ms I with an older cas */
    struct store_delete_opts md = {.invalidate = true};
    assert_int_equal(store_delete(s, "k", 1, &md), STORE_OK);
    info = mg(s, "k");
    assert_true(info.win);
    uint64_t cas = 0;
    assert_int_equal(commit_ex(s, "k", "three", 0, 0, STORE_CAS, c1, &inv, &cas), STORE_OK);
    assert_true(cas > c2);
    assert_value(s, "k", "three");
    assert_int_equal(peek(s, "k").exptime, now + 50);
    info = mg(s, "k");
    assert_true(info.stale && info.won);
    assert_false(info.win || info.hit_before);

    /* a matching cas with I is a plain store: not stale */
    assert_int_equal(commit_ex(s, "k", "four", 0, 0, STORE_CAS, cas, &inv, &cas), STORE_OK);
    info = mg(s, "k");
    assert_false(info.stale || info.won);
    assert_int_equal(peek(s, "k").exptime, 0);

    /* on a missing key, NOT_FOUND as ever */
    assert_int_equal(commit_ex(s, "nope", "x", 0, 0, STORE_CAS, 1, &inv, NULL), STORE_NOT_FOUND);
    store_destroy(&s);
}

static void test_commit_append_vivify_and_cas(void **state)
{
    struct store *s = mk(true);
    uint32_t now = clock_fresh_now();
    struct store_commit_opts n = {.vivify = true, .vivify_exptime = now + 40};
    uint64_t cas = 0;

    assert_int_equal(commit_ex(s, "a", "x", 5, 0, STORE_APPEND, 0, NULL, NULL),
                     STORE_NOT_STORED);
    assert_int_equal(commit_ex(s, "a", "abc", 5, now + 99, STORE_APPEND, 0, &n, &cas),
                     STORE_OK);
    struct snap v = peek(s, "a");
    assert_value(s, "a", "abc");
    assert_int_equal(v.flags, 5);
    assert_int_equal(v.exptime, now + 40);
    assert_int_equal(v.cas, cas);

    /* on an existing item vivify changes nothing: a plain append */
    assert_int_equal(commit_ex(s, "a", "d", 1, 0, STORE_APPEND, 0, &n, &cas), STORE_OK);
    assert_value(s, "a", "abcd");
    assert_int_equal(peek(s, "a").exptime, now + 40);
    assert_int_equal(peek(s, "a").flags, 5);
    assert_int_equal(commit_ex(s, "p", "z", 0, 0, STORE_PREPEND, 0, &n, NULL), STORE_OK);
    assert_int_equal(commit_ex(s, "p", "y", 0, 0, STORE_PREPEND, 0, &n, NULL), STORE_OK);
    assert_value(s, "p", "yz");

    /* append and prepend honour a non-zero cas (memcached's do_store_item) */
    assert_int_equal(commit_ex(s, "a", "e", 0, 0, STORE_APPEND, cas + 1, NULL, NULL),
                     STORE_EXISTS);
    assert_value(s, "a", "abcd");
    assert_int_equal(commit_ex(s, "a", "e", 0, 0, STORE_APPEND, cas, NULL, &cas), STORE_OK);
    assert_value(s, "a", "abcde");
    struct store_commit_opts e = {.new_cas = 777};
    assert_int_equal(commit_ex(s, "a", "0", 0, 0, STORE_PREPEND, cas, &e, &cas), STORE_OK);
    assert_int_equal(cas, 777);
    assert_value(s, "a", "0abcde");

    /* an append makes a new item: stale and token are gone */
    struct store_delete_opts md = {.invalidate = true};
    assert_int_equal(store_delete(s, "a", 1, &md), STORE_OK);
    mg(s, "a");
    assert_int_equal(commit_ex(s, "a", "f", 0, 0, STORE_APPEND, 0, NULL, NULL), STORE_OK);
    struct store_get_info info = mg(s, "a");
    assert_false(info.stale || info.won || info.hit_before);
    store_destroy(&s);
}

/* store_delta with the result spread into optional pointers, as the
 * assertions below read best. */
static enum store_status delta_ex(struct store *s, const char *key, size_t nkey, bool incr,
                                  uint64_t delta, const struct store_delta_opts *opts,
                                  uint64_t *value, uint64_t *cas, uint32_t *exptime)
{
    struct store_delta_result r;
    enum store_status st = store_delta(s, key, nkey, incr, delta, opts, &r);
    if (st == STORE_OK) {
        if (value != NULL)
            *value = r.value;
        if (cas != NULL)
            *cas = r.cas;
        if (exptime != NULL)
            *exptime = r.exptime;
    }
    return st;
}

/* meta ms s: an append or prepend reports the joined value's length, a
 * vivifying one the piece's; a refused one leaves vlen_out alone. */
static void test_commit_vlen_out(void **state)
{
    struct store *s = mk(true);
    uint32_t vlen = 99;
    struct store_commit_opts o = {.vlen_out = &vlen};

    set(s, "k", "abc", 0, 0);
    assert_int_equal(commit_ex(s, "k", "de", 0, 0, STORE_APPEND, 0, &o, NULL), STORE_OK);
    assert_int_equal(vlen, 5);
    assert_int_equal(commit_ex(s, "k", "f", 0, 0, STORE_PREPEND, 0, &o, NULL), STORE_OK);
    assert_int_equal(vlen, 6);
    vlen = 99;
    assert_int_equal(commit_ex(s, "miss", "xy", 0, 0, STORE_APPEND, 0, &o, NULL),
                     STORE_NOT_STORED);
    assert_int_equal(vlen, 99);
    o.vivify = true;
    assert_int_equal(commit_ex(s, "viv", "xyz", 0, 0, STORE_APPEND, 0, &o, NULL), STORE_OK);
    assert_int_equal(vlen, 3);
    store_destroy(&s);
    (void)state;
}

/* ---- store_delta ---- */

/* memcached: "ma v N0 J10 v" on a miss answers 10, the next one 11. */
static void test_delta_ex(void **state)
{
    struct store *s = mk(true);
    uint32_t now = clock_fresh_now();
    uint64_t v = 0, cas = 0;
    uint32_t exp = 1;

    assert_int_equal(delta_ex(s, "n", 1, true, 5, NULL, &v, &cas, &exp), STORE_NOT_FOUND);
    struct store_delta_opts n = {.vivify = true, .initial = 10, .vivify_exptime = now + 50};
    assert_int_equal(delta_ex(s, "n", 1, true, 5, &n, &v, &cas, &exp), STORE_OK);
    assert_int_equal(v, 10);
    assert_int_equal(exp, now + 50);
    assert_int_equal(peek(s, "n").cas, cas);
    assert_int_equal(peek(s, "n").flags, 0);
    assert_value(s, "n", "10");
    assert_int_equal(delta_ex(s, "n", 1, true, 5, &n, &v, &cas, &exp), STORE_OK);
    assert_int_equal(v, 15);
    assert_int_equal(exp, now + 50); /* kept */
    struct store_delta_opts nd = {.vivify = true, .initial = 7};
    assert_int_equal(delta_ex(s, "d", 1, false, 5, &nd, &v, NULL, &exp), STORE_OK);
    assert_int_equal(v, 7);
    assert_int_equal(exp, 0);

    /* compare cas */
    struct store_delta_opts c = {.cas = cas + 1};
    assert_int_equal(delta_ex(s, "n", 1, true, 1, &c, &v, NULL, NULL), STORE_EXISTS);
    assert_value(s, "n", "15");
    c.cas = cas;
    assert_int_equal(delta_ex(s, "n", 1, true, 1, &c, &v, &cas, NULL), STORE_OK);
    assert_int_equal(v, 16);
    assert_int_not_equal(cas, c.cas);

    /* new cas, touch */
    struct store_delta_opts et = {.new_cas = 4242, .touch = true, .new_exptime = now + 20};
    assert_int_equal(delta_ex(s, "n", 1, false, 6, &et, &v, &cas, &exp), STORE_OK);
    assert_int_equal(v, 10);
    assert_int_equal(cas, 4242);
    assert_int_equal(exp, now + 20);
    assert_int_equal(peek(s, "n").exptime, now + 20);
    assert_int_equal(peek(s, "n").cas, 4242);

    /* vivify with touch: the touch exptime wins (ma N50 T70 leaves 70) */
    struct store_delta_opts nt = {.vivify = true, .initial = 1, .vivify_exptime = now + 50,
                                  .touch = true, .new_exptime = now + 70};
    assert_int_equal(delta_ex(s, "m", 1, true, 1, &nt, &v, NULL, &exp), STORE_OK);
    assert_int_equal(v, 1);
    assert_int_equal(exp, now + 70);
    struct store_delta_opts ne = {.vivify = true, .initial = 3, .new_cas = 99};
    assert_int_equal(delta_ex(s, "o", 1, true, 1, &ne, &v, &cas, NULL), STORE_OK);
    assert_int_equal(cas, 99);

    /* non-numeric as ever */
    set(s, "t", "abc", 0, 0);
    assert_int_equal(delta_ex(s, "t", 1, true, 1, &n, &v, NULL, NULL),
                     STORE_NON_NUMERIC);
    store_destroy(&s);
}

/* memcached rewrites a number that still fits in place, keeping the item's
 * state ("md n I; ma n; mg n" answers X W), but makes a new item for a
 * longer one (9 -> 10: no X). */
static void test_delta_keeps_state_in_place(void **state)
{
    struct store *s = mk(true);
    struct store_delete_opts md = {.invalidate = true};
    struct store_get_info info;
    uint64_t v;

    set(s, "n", "5", 0, 0);
    mg(s, "n");
    assert_int_equal(store_delete(s, "n", 1, &md), STORE_OK);
    assert_int_equal(delta_ex(s, "n", 1, true, 1, NULL, &v, NULL, NULL), STORE_OK);
    assert_int_equal(v, 6);
    info = mg(s, "n");
    assert_true(info.stale && info.win && info.hit_before);

    set(s, "g", "9", 0, 0);
    mg(s, "g");
    assert_int_equal(store_delete(s, "g", 1, &md), STORE_OK);
    assert_int_equal(delta_ex(s, "g", 1, true, 1, NULL, &v, NULL, NULL), STORE_OK);
    assert_int_equal(v, 10);
    info = mg(s, "g");
    assert_false(info.stale || info.win || info.won || info.hit_before);
    store_destroy(&s);
}

/* ---- the mutation hook ---- */

struct ev {
    enum store_event ev;
    char key[16];
    uint64_t cas;
    uint32_t vlen, exptime;
    const struct item *it;
};

struct evlog {
    struct store *store; /* the hook is given items, not their store */
    struct ev evs[32];
    int n;
};

static void record(void *arg, enum store_event ev, const char *key, size_t nkey,
                   const struct item *it, uint32_t exptime)
{
    struct evlog *log = arg;
    assert_true(log->n < 32);
    struct ev *e = &log->evs[log->n++];
    memset(e, 0, sizeof(*e));
    e->ev = ev;
    if (key != NULL)
        memcpy(e->key, key, nkey < 15 ? nkey : 15);
    e->it = it;
    if (it != NULL) {
        e->cas = store_item_cas(log->store, it);
        e->vlen = item_vlen(it);
    }
    e->exptime = exptime;
}

static void test_hook_meta(void **state)
{
    struct store *s = mk(true);
    struct evlog log = {.store = s, .n = 0};
    uint32_t now = clock_fresh_now();
    store_set_hook(s, record, &log);

    /* vivify: LINK, and LINK again of the same item as its creator takes
     * the win token (state others act on: they see Z); lookups after that,
     * which hand out nothing: no event */
    struct store_get_opts n = {.vivify = true, .vivify_exptime = now + 30};
    assert_true(get_info(s, "v", &n, NULL));
    assert_int_equal(log.n, 2);
    assert_int_equal(log.evs[0].ev, STORE_EV_LINK);
    assert_string_equal(log.evs[0].key, "v");
    assert_int_equal(log.evs[0].vlen, 0);
    assert_int_equal(log.evs[0].exptime, now + 30);
    assert_int_equal(log.evs[1].ev, STORE_EV_LINK);
    assert_ptr_equal(log.evs[1].it, log.evs[0].it);
    assert_true(item_win_sent(log.evs[1].it));
    mg(s, "v");
    mg(s, "v");
    assert_int_equal(log.n, 2);
    log.n = 1; /* the checks below number the events after the vivify's first */

    /* invalidate: LINK of the same item, with its new cas and exptime */
    set(s, "k", "val", 0, 0);
    const struct item *linked = log.evs[1].it;
    struct store_delete_opts inv = {.invalidate = true, .touch = true, .new_exptime = now + 9};
    assert_int_equal(store_delete(s, "k", 1, &inv), STORE_OK);
    assert_int_equal(log.n, 3);
    assert_int_equal(log.evs[2].ev, STORE_EV_LINK);
    assert_ptr_equal(log.evs[2].it, linked);
    assert_int_equal(log.evs[2].cas, peek(s, "k").cas);
    assert_int_not_equal(log.evs[2].cas, log.evs[1].cas);
    assert_int_equal(log.evs[2].exptime, now + 9);

    /* md x: LINK of the emptied item */
    struct store_delete_opts x = {.clear_value = true};
    assert_int_equal(store_delete(s, "k", 1, &x), STORE_OK);
    assert_int_equal(log.n, 4);
    assert_int_equal(log.evs[3].ev, STORE_EV_LINK);
    assert_int_equal(log.evs[3].vlen, 0);
    assert_int_equal(log.evs[3].exptime, 0);

    /* mg T: TOUCH; ma N: LINK; a refused md: nothing */
    struct store_get_opts t = {.touch = true, .new_exptime = now + 7};
    assert_true(get_info(s, "k", &t, NULL));
    assert_int_equal(log.evs[4].ev, STORE_EV_TOUCH);
    assert_int_equal(log.evs[4].exptime, now + 7);
    struct store_delta_opts dn = {.vivify = true, .initial = 4};
    assert_int_equal(delta_ex(s, "c", 1, true, 1, &dn, NULL, NULL, NULL), STORE_OK);
    assert_int_equal(log.evs[5].ev, STORE_EV_LINK);
    assert_int_equal(log.evs[5].vlen, 1);
    struct store_delete_opts bad = {.cas = 1, .invalidate = true};
    assert_int_equal(store_delete(s, "c", 1, &bad), STORE_EXISTS);
    assert_int_equal(log.n, 6);

    store_set_hook(s, NULL, NULL);
    store_destroy(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_before_last_access),
        cmocka_unit_test(test_no_bump_and_peek),
        cmocka_unit_test(test_vivify),
        cmocka_unit_test(test_recache),
        cmocka_unit_test(test_invalidate),
        cmocka_unit_test(test_delete_ex),
        cmocka_unit_test(test_clear_value),
        cmocka_unit_test(test_commit_new_cas),
        cmocka_unit_test(test_commit_invalidate),
        cmocka_unit_test(test_commit_append_vivify_and_cas),
        cmocka_unit_test(test_commit_vlen_out),
        cmocka_unit_test(test_delta_ex),
        cmocka_unit_test(test_delta_keeps_state_in_place),
        cmocka_unit_test(test_hook_meta),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
