/*
 * test_ketama.c: libmnemo's key placement against libmemcached itself
 * (Debian's libmemcached-dev), for ketama (KETAMA_WEIGHTED) and modula:
 * the same server list is built in both and the chosen server is compared
 * for 100,000 keys per configuration.  Any mismatch fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <libmemcached/memcached.h>

#include "client/ketama.h"
#include "mnemo/mnemo.h"

#define KEYS_PER_CONFIG 100000

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    /* xorshift64*: deterministic, so a failure reproduces */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

struct srv {
    char host[64];
    unsigned port;
    unsigned weight;
};


static void make_config(struct srv *s, size_t n, int weighted)
{
    for (size_t i = 0; i < n; i++) {
        unsigned a = (unsigned)(rnd() % 250), b = (unsigned)i;
        switch (rnd() % 5) {
        case 0: snprintf(s[i].host, sizeof(s[i].host), "10.0.%u.%u", a, b); break;
        case 1: snprintf(s[i].host, sizeof(s[i].host), "cache-%u-%u.example.com", a, b); break;
        case 2: snprintf(s[i].host, sizeof(s[i].host), "192.168.%u.%u", a, b); break;
        case 3: snprintf(s[i].host, sizeof(s[i].host), "localhost%u%u", a, b); break;
        default: snprintf(s[i].host, sizeof(s[i].host), "mc%u.dc%u", a, b); break;
        }
        switch (rnd() % 3) {
        case 0: s[i].port = 11211; break;
        case 1: s[i].port = 11211 + 1 + (unsigned)(rnd() % 10); break;
        default: s[i].port = 1024 + (unsigned)(rnd() % 60000); break;
        }
        s[i].weight = weighted ? 1 + (unsigned)(rnd() % 7) : 1;
    }
}

static void make_key(char *buf, size_t *len, uint64_t i)
{
    switch (i % 4) {
    case 0:
        *len = (size_t)snprintf(buf, 64, "key:%llu", (unsigned long long)i);
        break;
    case 1:
        *len = (size_t)snprintf(buf, 64, "user/%llu/profile", (unsigned long long)(rnd() % 100000000));
        break;
    default: /* binary keys of 1..250 bytes */
        *len = 1 + (size_t)(rnd() % 250);
        for (size_t j = 0; j < *len; j++)
            buf[j] = (char)(rnd() & 0xff);
        break;
    }
}

static size_t total_keys, total_mismatch;

static void compare_with(struct srv *s, size_t n, int weighted, int modula);

static void compare(size_t n, int weighted, int modula)
{
    struct srv s[64];

    make_config(s, n, weighted);
    compare_with(s, n, weighted, modula);
}

static void compare_with(struct srv *s, size_t n, int weighted, int modula)
{
    char list[8192] = "";
    size_t off = 0, mismatch = 0;
    memcached_st *memc = memcached_create(NULL);
    struct mnemo_client *c = NULL;
    struct mnemo_options o;

    assert_non_null(memc);
    if (modula) {
        assert_int_equal(memcached_behavior_set(memc, MEMCACHED_BEHAVIOR_DISTRIBUTION,
                                                MEMCACHED_DISTRIBUTION_MODULA), MEMCACHED_SUCCESS);
    } else {
        assert_int_equal(memcached_behavior_set(memc, MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, 1),
                         MEMCACHED_SUCCESS);
    }
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(memcached_server_add_with_weight(memc, s[i].host, (in_port_t)s[i].port,
                                                          s[i].weight), MEMCACHED_SUCCESS);
        off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s:%u:%u", i ? "," : "",
                                s[i].host, s[i].port, s[i].weight);
    }
    mnemo_options_init(&o);
    o.distribution = modula ? MNEMO_DIST_MODULA : MNEMO_DIST_KETAMA;
    assert_int_equal(mnemo_create(&c, list, &o), MNEMO_OK);
    assert_int_equal(mnemo_server_count(c), n);

    for (uint64_t k = 0; k < KEYS_PER_CONFIG; k++) {
        char key[256];
        size_t len;
        make_key(key, &len, k);
        uint32_t theirs = memcached_generate_hash(memc, key, len);
        size_t ours = mnemo_server_for_key(c, key, len);
        if (ours != theirs) {
            if (mismatch < 3)
                print_error("mismatch: %s key#%llu ours %zu theirs %u\n", list,
                            (unsigned long long)k, ours, theirs);
            mismatch++;
        }
    }
    printf("  %s n=%zu %s: %d keys, %zu mismatches\n", modula ? "modula" : "ketama", n,
           weighted ? "weighted" : "equal weights", KEYS_PER_CONFIG, mismatch);
    total_keys += KEYS_PER_CONFIG;
    total_mismatch += mismatch;
    mnemo_destroy(&c);
    memcached_free(memc);
    assert_int_equal(mismatch, 0);
}

static void test_ketama_equal_weights(void **state)
{
    for (size_t n = 1; n <= 10; n++)
        compare(n, 0, 0);
}

static void test_ketama_weighted(void **state)
{
    for (size_t n = 1; n <= 10; n++)
        compare(n, 1, 0);
}

static void test_modula(void **state)
{
    for (size_t n = 1; n <= 10; n += 3)
        compare(n, 0, 1);
}

/*
 * Server sets where libmemcached's float32 point count differs from exact
 * arithmetic (found by search): e.g. weights 4,5,7,3,6 give server 0 124
 * points, not 128; 25 or 50 equal servers get 156 points each, not 160.
 */
static void test_float_rounding(void **state)
{
    static const unsigned w5[] = {4, 5, 7, 3, 6}, w10[] = {2, 1, 5, 9, 8, 1, 9, 7, 3, 5};
    struct srv s[64];
    struct ketama k = {0};
    struct ketama_server ks[5];

    make_config(s, 5, 0);
    for (size_t i = 0; i < 5; i++) {
        s[i].weight = w5[i];
        ks[i] = (struct ketama_server){s[i].host, (uint16_t)s[i].port, w5[i]};
    }
    assert_int_equal(ketama_build(&k, ks, 5), 0);
    size_t first = 0;
    for (size_t i = 0; i < k.count; i++)
        first += k.points[i].index == 0;
    assert_int_equal(first, 124);
    ketama_free(&k);
    compare_with(s, 5, 1, 0);
    make_config(s, 10, 0);
    for (size_t i = 0; i < 10; i++)
        s[i].weight = w10[i];
    compare_with(s, 10, 1, 0);
    make_config(s, 25, 0);
    compare_with(s, 25, 0, 0);
    make_config(s, 50, 0);
    compare_with(s, 50, 0, 0);
}

/* The point names: "host-i" for port 11211, "host:port-i" otherwise; 160
 * points for one server of any weight. */
static void test_point_count(void **state)
{
    struct ketama k = {0};
    struct ketama_server one = {"10.0.0.1", 11211, 5};
    struct ketama_server two[2] = {{"a", 11211, 1}, {"b", 11212, 3}};

    assert_int_equal(ketama_build(&k, &one, 1), 0);
    assert_int_equal(k.count, 160);
    assert_int_equal(ketama_build(&k, two, 2), 0);
    /* floor(0.25*40*2)*4 + floor(0.75*40*2)*4 = 80 + 240 */
    assert_int_equal(k.count, 320);
    for (size_t i = 1; i < k.count; i++)
        assert_true(k.points[i - 1].value <= k.points[i].value);
    assert_int_equal(ketama_find(&k, 0xffffffffu) == 0 || k.points[k.count - 1].value == 0xffffffffu, 1);
    ketama_free(&k);
}

static int report(void **state)
{
    printf("ketama/modula vs libmemcached: %zu keys compared, %zu mismatches\n", total_keys,
           total_mismatch);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_point_count),
        cmocka_unit_test(test_ketama_equal_weights),
        cmocka_unit_test(test_ketama_weighted),
        cmocka_unit_test(test_modula),
        cmocka_unit_test(test_float_rounding),
    };
    return cmocka_run_group_tests(tests, NULL, report);
}
