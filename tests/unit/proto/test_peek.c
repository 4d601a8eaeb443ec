/*
 * test_peek.c: finding the keys of waiting text commands (src/proto/peek.c):
 * every key command of the classic and meta protocols, data blocks skipped
 * by their length (and their bytes never taken for commands), where the
 * scan stops (incomplete line or block, unknown command, bad length), the
 * cap, and random bytes (keys always inside the buffer). Buffers are exact-
 * size heap copies, so any read past the end is an ASan error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/peek.h"

#define MAXK 16

/* The keys of buf as one space-separated string ("" for none). */
static void keys_of(const char *buf, size_t len, size_t max, char *out, size_t cap)
{
    char *copy = malloc(len > 0 ? len : 1);
    assert_non_null(copy);
    memcpy(copy, buf, len);
    struct peek_key k[MAXK];
    size_t n = peek_keys(copy, len, k, max);
    assert_true(n <= max);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        assert_true(k[i].key >= copy && k[i].key + k[i].nkey <= copy + len);
        assert_true(k[i].nkey > 0);
        size_t used = strlen(out);
        snprintf(out + used, cap - used, "%s%.*s", i ? " " : "", (int)k[i].nkey, k[i].key);
    }
    free(copy);
}

static void expect(const char *buf, const char *want)
{
    char got[1024];
    keys_of(buf, strlen(buf), MAXK, got, sizeof(got));
    if (strcmp(got, want) != 0)
        fail_msg("peek_keys(\"%s\") = \"%s\", want \"%s\"", buf, got, want);
}

static void test_key_commands(void **state)
{
    (void)state;
    expect("get a\r\n", "a");
    expect("get a b c\r\n", "a b c");
    expect("gets  a   b\r\n", "a b");
    expect("gat 100 a b\r\n", "a b");
    expect("gats 0 a\r\n", "a");
    expect("delete k\r\n", "k");
    expect("delete k noreply\r\n", "k");
    expect("incr n 1\r\ndecr m 2\r\ntouch t 10\r\n", "n m t");
    expect("mg k v f t\r\nmd d q\r\nma c N0\r\n", "k d c");
    expect("mn\r\nmg k\r\n", "k");
    expect("get a\nget b\n", "a b"); /* bare \n, as memcached accepts */
}

static void test_data_blocks_skipped(void **state)
{
    (void)state;
    expect("set k 0 0 5\r\nhello\r\nget k\r\n", "k k");
    /* a block that looks like commands is still data */
    expect("set k 0 0 9\r\nget x y\r\n\r\nget z\r\n", "k z");
    expect("add a 1 2 0\r\n\r\nreplace b 0 0 1\r\nx\r\n", "a b");
    expect("append a 0 0 2\r\nxy\r\nprepend b 0 0 2\r\nxy\r\n", "a b");
    expect("cas c 0 0 3 77\r\nabc\r\nget c\r\n", "c c");
    expect("ms m 5 T0\r\nab\ncd\r\nmg m v\r\n", "m m");
    expect("set k 0 0 5 noreply\r\nhello\r\nget j\r\n", "k j");
}

static void test_where_it_stops(void **state)
{
    (void)state;
    expect("", "");
    expect("get a", "");                           /* no end of line yet */
    expect("get a\r\nget b", "a");
    expect("set k 0 0 10\r\nhel", "k");            /* the block is still coming */
    expect("set k 0 0 3\r\nabc\r", "k");           /* ... its \r\n too */
    expect("set k 0 0 x\r\nabc\r\nget b\r\n", ""); /* no length: no key */
    expect("set k 0 0\r\nget b\r\n", "");
    expect("ms k\r\nget b\r\n", "");
    expect("stats\r\nget b\r\n", "");              /* not a key command */
    expect("GET a\r\n", "");                       /* commands are case sensitive */
    expect("version\r\nget b\r\n", "");
    expect("get\r\nget b\r\n", "b");               /* a keyless get ends at once */
}

static void test_long_keys_and_cap(void **state)
{
    (void)state;
    char buf[600];
    char key[260];
    memset(key, 'k', 251);
    key[251] = '\0';
    snprintf(buf, sizeof(buf), "get %s b\r\n", key);
    expect(buf, "b"); /* 251 bytes: no key */
    key[250] = '\0';
    snprintf(buf, sizeof(buf), "get %s\r\n", key);
    char want[260];
    snprintf(want, sizeof(want), "%s", key);
    expect(buf, want);

    const char *many = "get a b c d e\r\nget f\r\n";
    char got[256];
    keys_of(many, strlen(many), 3, got, sizeof(got));
    assert_string_equal(got, "a b c");
    keys_of(many, strlen(many), 0, got, sizeof(got));
    assert_string_equal(got, "");
    /* a multi-get longer than the tokens a line is split into: the first keys */
    const char *wide = "get 1 2 3 4 5 6 7 8 9 10\r\n";
    keys_of(wide, strlen(wide), MAXK, got, sizeof(got));
    assert_string_equal(got, "1 2 3 4 5 6 7");
}

static void test_random_bytes(void **state)
{
    (void)state;
    static const char alphabet[] = "getsamd 0123\r\nxk";
    uint64_t x = 88172645463325252ull;
    char buf[64];
    char got[2048];
    for (int round = 0; round < 20000; round++) {
        size_t len = (size_t)(x % sizeof(buf));
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[i] = (round & 1) ? alphabet[x % (sizeof(alphabet) - 1)] : (char)(x & 0xff);
        }
        keys_of(buf, len, MAXK, got, sizeof(got)); /* asserts the keys are inside */
        x = x * 6364136223846793005ull + 1442695040888963407ull;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_commands),
        cmocka_unit_test(test_data_blocks_skipped),
        cmocka_unit_test(test_where_it_stops),
        cmocka_unit_test(test_long_keys_and_cap),
        cmocka_unit_test(test_random_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
