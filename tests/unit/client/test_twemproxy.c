/*
 * test_twemproxy.c: libmnemo's twemproxy distribution (nutcracker 0.5's
 * ketama and its key hashes).  The ground truth is nutcracker itself: the
 * placement table below is what a running nutcracker 0.5.0 did with these
 * keys (tests/integration/test_placement_nutcracker.py compares thousands
 * more).  Here: known values of every hash (the standard check values where
 * nutcracker's hash is a standard one), libhashkit's functions where
 * nutcracker's are the same, the continuum against libmemcached's, the
 * order of equal points, option checks, and the walk past an ejected
 * server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <libhashkit-1.0/hashkit.h>

#include "client/ketama.h"
#include "client/twemproxy.h"
#include "client/twemproxy_hash.h"
#include "mnemo/mnemo.h"

#define RANDOM_KEYS 100000
#define NHASHES 12

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
    /* xorshift64*: deterministic, so a failure reproduces */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

/* 1..250 bytes of any value: the signed-char quirks need bytes >= 0x80. */
static size_t random_key(char *buf)
{
    size_t len = 1 + (size_t)(rnd() % 250);

    for (size_t j = 0; j < len; j++)
        buf[j] = (char)(rnd() & 0xff);
    return len;
}

static const char *const value_keys[] = {"a", "123456789", "hello world", "0123456789abc",
                                         "key-\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"};

/*
 * Each hash of the keys above.  Standard values among them: CRC-32 and
 * MD5 (zlib, hashlib), CRC-16/XMODEM's check value 0x31c3 in crc16's low
 * half, FNV-1a/FNV-1 32 of "a" (0xe40c292c, 0x050c5d7e), the low half of
 * FNV-1 64 of "a" (0x8601b7be).  The rest were frozen once the placement
 * test had agreed with nutcracker.
 */
static const struct {
    enum mnemo_hash hash;
    uint32_t value[5];
} known[NHASHES] = {
    {MNEMO_HASH_ONE_AT_A_TIME, {0xca2e9442u, 0xc66b58c5u, 0x3e4a5a57u, 0xcae77770u, 0xe84364b3u}},
    {MNEMO_HASH_MD5, {0xb975c10cu, 0x94e7f925u, 0xbb3bb65eu, 0x71d9312du, 0xf08dd4fbu}},
    {MNEMO_HASH_CRC16, {0x00007c87u, 0x869031c3u, 0xf2063be4u, 0x66f21798u, 0x18ce210au}},
    {MNEMO_HASH_CRC32, {0x000068b7u, 0x00004bf4u, 0x00000d4au, 0x00004e68u, 0x00000ba2u}},
    {MNEMO_HASH_CRC32A, {0xe8b7be43u, 0xcbf43926u, 0x0d4a1185u, 0xce68ad26u, 0x0ba20579u}},
    {MNEMO_HASH_FNV1_64, {0x8601b7beu, 0x2bf916d6u, 0xb1910e6fu, 0x0d0f5624u, 0xcffe559eu}},
    {MNEMO_HASH_FNV1A_64, {0x8601ec8cu, 0x23c6cdfcu, 0x023cd2e7u, 0x0bd2b7f6u, 0xc8c990d8u}},
    {MNEMO_HASH_FNV1_32, {0x050c5d7eu, 0x24148816u, 0x548da96fu, 0x54a63804u, 0xaf76e43eu}},
    {MNEMO_HASH_FNV1A_32, {0xe40c292cu, 0xbb86b11cu, 0xd58b3fa7u, 0x8136b5b6u, 0x3f6388d8u}},
    {MNEMO_HASH_HSIEH, {0x93642e87u, 0xe4fc1670u, 0x4f799873u, 0x9aefedfau, 0x7e774fddu}},
    {MNEMO_HASH_MURMUR, {0x4b41757cu, 0xb7760690u, 0x5e19153bu, 0xc23faf3eu, 0xfe66c5d7u}},
    {MNEMO_HASH_JENKINS, {0xe0a38690u, 0x19777af6u, 0x153343fbu, 0x37f93eadu, 0xfdf62c34u}},
};

static void test_known_hash_values(void **state)
{
    (void)state;
    for (size_t h = 0; h < NHASHES; h++) {
        for (size_t k = 0; k < 5; k++)
            assert_int_equal(twemproxy_hash(known[h].hash, value_keys[k], strlen(value_keys[k])),
                             known[h].value[k]);
        /* nutcracker hashes an empty key to 0, whatever the hash */
        assert_int_equal(twemproxy_hash(known[h].hash, "", 0), 0);
    }
    assert_int_equal(twemproxy_hash(MNEMO_HASH_DEFAULT, "a", 1), 0x8601ec8cu);
}

/* Where nutcracker's hash is libhashkit's (both come from libmemcached,
 * quirks and all: libhashkit's fnv1a_64 is the same 32-bit one), they agree
 * on any bytes.  Debian's libhashkit is built without hsieh, and has no
 * crc16 or crc32a. */
static void test_hashes_shared_with_libhashkit(void **state)
{
    static const struct {
        enum mnemo_hash ours;
        uint32_t (*theirs)(const char *, size_t);
    } same[] = {
        {MNEMO_HASH_ONE_AT_A_TIME, libhashkit_one_at_a_time},
        {MNEMO_HASH_MD5, libhashkit_md5},
        {MNEMO_HASH_CRC32, libhashkit_crc32},
        {MNEMO_HASH_FNV1_64, libhashkit_fnv1_64},
        {MNEMO_HASH_FNV1A_64, libhashkit_fnv1a_64},
        {MNEMO_HASH_FNV1_32, libhashkit_fnv1_32},
        {MNEMO_HASH_FNV1A_32, libhashkit_fnv1a_32},
        {MNEMO_HASH_MURMUR, libhashkit_murmur},
        {MNEMO_HASH_JENKINS, libhashkit_jenkins},
    };
    size_t mismatch = 0;

    (void)state;
    for (size_t n = 0; n < RANDOM_KEYS; n++) {
        char key[256];
        size_t len = random_key(key);

        for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
            mismatch += twemproxy_hash(same[i].ours, key, len) != same[i].theirs(key, len);
    }
    printf("  %zu hashes x %d keys vs libhashkit: %zu mismatches\n", sizeof(same) / sizeof(same[0]),
           RANDOM_KEYS, mismatch);
    assert_int_equal(mismatch, 0);
}

/*
 * Placement by nutcracker 0.5.0 (Debian's, amd64): for each server list and
 * key, the index of the server that held the key after a set through it,
 * one digit per hash in known[]'s order.  The second list has names without
 * the port (11211) and weights.
 */
static const char *const lists[2] = {
    "127.0.0.1:22121:1,127.0.0.1:22122:1,127.0.0.1:22123:1",
    "127.0.0.2:11211:1,127.0.0.3:11211:2,127.0.0.4:22122:5",
};
static const char *const placed_keys[8] = {
    "foo", "bar", "user:1000", "k", "0123456789abc",
    "key-\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "session/7f3a9c", NULL /* 250 x 'x' */,
};
static const char *const nutcracker_placed[2][8] = {
    {"101010022102", "111010221001", "120011211102", "100021121210", "111001111210",
     "220021100100", "202011001201", "111022212210"},
    {"212212210202", "212222222122", "222222012222", "222221111122", "212222122222",
     "220212001022", "220222122122", "221222221222"},
};

static void test_nutcracker_placements(void **state)
{
    char longkey[251];

    (void)state;
    memset(longkey, 'x', 250);
    longkey[250] = '\0';
    for (size_t l = 0; l < 2; l++) {
        for (size_t h = 0; h < NHASHES; h++) {
            struct mnemo_options o;
            struct mnemo_client *c = NULL;

            mnemo_options_init(&o);
            o.distribution = MNEMO_DIST_TWEMPROXY;
            o.hash = known[h].hash;
            assert_int_equal(mnemo_create(&c, lists[l], &o), MNEMO_OK);
            for (size_t k = 0; k < 8; k++) {
                const char *key = placed_keys[k] ? placed_keys[k] : longkey;
                size_t want = (size_t)(nutcracker_placed[l][k][h] - '0');
                if (mnemo_server_for_key(c, key, strlen(key)) != want)
                    fail_msg("list %zu hash #%zu key %.20s: server %zu, nutcracker %zu", l, h, key,
                             mnemo_server_for_key(c, key, strlen(key)), want);
            }
            mnemo_destroy(&c);
        }
    }
}

/* With unnamed servers nutcracker's continuum is libmemcached's point for
 * point; only the order of equal values may differ. */
static void test_continuum_is_libmemcacheds(void **state)
{
    size_t configs = 0, ties = 0;

    (void)state;
    for (size_t n = 1; n <= 12; n++) {
        for (int round = 0; round < 20; round++, configs++) {
            char hosts[12][64];
            struct ketama_server s[12];
            struct ketama a = {0}, b = {0};

            for (size_t i = 0; i < n; i++) {
                snprintf(hosts[i], sizeof(hosts[i]), "10.%u.%u.%zu", (unsigned)(rnd() % 250),
                         (unsigned)(rnd() % 250), i);
                s[i].host = hosts[i];
                s[i].port = rnd() % 3 == 0 ? 11211 : (uint16_t)(1024 + rnd() % 60000);
                s[i].weight = round % 2 ? 1 : 1 + (uint32_t)(rnd() % 9);
            }
            assert_int_equal(ketama_build(&a, s, n), 0);
            assert_int_equal(twemproxy_build(&b, s, n), 0);
            assert_int_equal(a.count, b.count);
            for (size_t i = 0; i < a.count; i++) {
                assert_int_equal(a.points[i].value, b.points[i].value);
                if (a.points[i].index != b.points[i].index) {
                    assert_true((i > 0 && a.points[i - 1].value == a.points[i].value) ||
                                (i + 1 < a.count && a.points[i + 1].value == a.points[i].value));
                    ties++;
                }
            }
            ketama_free(&a);
            ketama_free(&b);
        }
    }
    printf("  %zu continua equal to libmemcached's (%zu points reordered at ties)\n", configs, ties);
}

/*
 * Two servers whose points share a value (found by search, confirmed with
 * nutcracker): the arc before it goes to the name nutcracker sorts first,
 * shorter names first, then bytewise; the order of the list does not count.
 */
static void test_equal_points(void **state)
{
    static const struct {
        uint16_t first, second; /* as listed */
        uint32_t value;
        const char *key;        /* hashes (md5) into the arc ending at value */
    } ties[] = {
        {10012, 9574, 3956731687u, "tie:299"},  /* "127.0.0.1:9574" is shorter */
        {20289, 20074, 3454571510u, "tie:1267"}, /* same length, smaller */
    };

    (void)state;
    for (size_t t = 0; t < 2; t++) {
        struct ketama_server s[2] = {{"127.0.0.1", ties[t].first, 1}, {"127.0.0.1", ties[t].second, 1}};
        struct ketama k = {0};
        char list[64];
        struct mnemo_options o;
        struct mnemo_client *c = NULL;

        assert_int_equal(twemproxy_build(&k, s, 2), 0);
        size_t p = ketama_find(&k, ties[t].value);
        assert_int_equal(k.points[p].value, ties[t].value);
        assert_int_equal(k.points[p + 1].value, ties[t].value);
        assert_int_equal(k.points[p].index, 1);
        assert_int_equal(k.points[p + 1].index, 0);
        ketama_free(&k);

        snprintf(list, sizeof(list), "127.0.0.1:%u,127.0.0.1:%u", ties[t].first, ties[t].second);
        mnemo_options_init(&o);
        o.distribution = MNEMO_DIST_TWEMPROXY;
        o.hash = MNEMO_HASH_MD5;
        assert_int_equal(mnemo_create(&c, list, &o), MNEMO_OK);
        assert_int_equal(mnemo_server_for_key(c, ties[t].key, strlen(ties[t].key)), 1);
        mnemo_destroy(&c);
    }
}

static void test_options(void **state)
{
    struct mnemo_options o;
    struct mnemo_client *c = NULL, *d = NULL;
    const char *list = "a:1,b:2,c:3:4";

    (void)state;
    mnemo_options_init(&o);
    assert_int_equal(o.hash, MNEMO_HASH_DEFAULT);
    assert_int_equal(o.distribution, MNEMO_DIST_KETAMA);

    /* a hash is the twemproxy distribution's alone; unknown ones are refused */
    o.hash = MNEMO_HASH_MD5;
    assert_int_equal(mnemo_create(&c, list, &o), MNEMO_EINVAL);
    o.distribution = MNEMO_DIST_MODULA;
    assert_int_equal(mnemo_create(&c, list, &o), MNEMO_EINVAL);
    o.distribution = MNEMO_DIST_TWEMPROXY;
    o.hash = (enum mnemo_hash)13;
    assert_int_equal(mnemo_create(&c, list, &o), MNEMO_EINVAL);
    o.hash = (enum mnemo_hash)-1;
    assert_int_equal(mnemo_create(&c, list, &o), MNEMO_EINVAL);
    o.distribution = (enum mnemo_distribution)3;
    o.hash = MNEMO_HASH_DEFAULT;
    assert_int_equal(mnemo_create(&c, list, &o), MNEMO_EINVAL);
    assert_null(c);

    /* the default hash is fnv1a_64 */
    o.distribution = MNEMO_DIST_TWEMPROXY;
    assert_int_equal(mnemo_create(&c, list, &o), MNEMO_OK);
    o.hash = MNEMO_HASH_FNV1A_64;
    assert_int_equal(mnemo_create(&d, list, &o), MNEMO_OK);
    for (int i = 0; i < 1000; i++) {
        char key[32];
        int n = snprintf(key, sizeof(key), "key:%d", i);
        assert_int_equal(mnemo_server_for_key(c, key, (size_t)n), mnemo_server_for_key(d, key, (size_t)n));
    }
    mnemo_destroy(&c);
    mnemo_destroy(&d);
}

static void ignore(void *arg, const struct mnemo_result *r)
{
    (void)arg;
    (void)r;
}

/*
 * An ejected server's keys go to the next live server on the twemproxy
 * ring; the others stay.  Port 1 on loopback refuses at once, so the first
 * request to it fails and, with failure_limit 1, ejects it.
 */
static void test_walk_past_ejected(void **state)
{
    struct ketama_server s[3] = {{"127.0.0.1", 1, 1}, {"127.0.0.1", 2, 2}, {"127.0.0.1", 3, 1}};
    struct ketama ring = {0};
    struct mnemo_options o;
    struct mnemo_client *c = NULL;
    size_t moved = 0;

    (void)state;
    mnemo_options_init(&o);
    o.distribution = MNEMO_DIST_TWEMPROXY;
    o.failure_limit = 1;
    o.retry_interval_ms = 600000;
    assert_int_equal(mnemo_create(&c, "127.0.0.1:1,127.0.0.1:2:2,127.0.0.1:3", &o), MNEMO_OK);
    assert_int_equal(mnemo_server_count(c), 3);
    struct mnemo_request req = {.op = MNEMO_OP_NOOP, .server = 0, .cb = ignore};
    assert_int_equal(mnemo_submit(c, &req), MNEMO_OK);
    assert_int_equal(mnemo_wait_all(c), MNEMO_OK);
    assert_true(mnemo_server_ejected(c, 0));

    assert_int_equal(twemproxy_build(&ring, s, 3), 0);
    for (int i = 0; i < 5000; i++) {
        char key[32];
        size_t n = (size_t)snprintf(key, sizeof(key), "key:%d", i);
        size_t p = ketama_find(&ring, twemproxy_hash(MNEMO_HASH_FNV1A_64, key, n));
        size_t owner = ring.points[p].index, want = owner;

        assert_int_equal(mnemo_server_for_key(c, key, n), owner);
        while (want == 0) {
            p = (p + 1) % ring.count;
            want = ring.points[p].index;
        }
        assert_int_equal(mnemo_route_key(c, key, n), want);
        moved += owner == 0;
    }
    assert_true(moved > 500);
    ketama_free(&ring);
    mnemo_destroy(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_hash_values),
        cmocka_unit_test(test_hashes_shared_with_libhashkit),
        cmocka_unit_test(test_nutcracker_placements),
        cmocka_unit_test(test_continuum_is_libmemcacheds),
        cmocka_unit_test(test_equal_points),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_walk_past_ejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
