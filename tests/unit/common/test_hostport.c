/*
 * test_hostport.c: common/hostport.c — "HOST:PORT" as replica_of takes it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/hostport.h"

static int parse(const char *s, char *host, size_t cap, int *port)
{
    return hostport_parse(s, strlen(s), host, cap, port);
}

static void test_good_addresses(void **state)
{
    (void)state;
    char host[64];
    int port = 0;
    assert_int_equal(parse("127.0.0.1:11211", host, sizeof(host), &port), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 11211);
    assert_int_equal(parse("cache-1.example:1", host, sizeof(host), &port), 0);
    assert_string_equal(host, "cache-1.example");
    assert_int_equal(port, 1);
    assert_int_equal(parse("[::1]:65535", host, sizeof(host), &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 65535);
    /* only the first n bytes count */
    assert_int_equal(hostport_parse("h:12 noreply", 4, host, sizeof(host), &port), 0);
    assert_string_equal(host, "h");
    assert_int_equal(port, 12);
}

static void test_bad_addresses(void **state)
{
    (void)state;
    static const char *const bad[] = {"", "host", "host:", ":11211", "host:0", "host:65536",
                                      "host:123456", "host:12x", "host:-1", "a b:1", "::1:11211",
                                      "[::1]x:1", "[]:1", "[::1:1", "host: 1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char host[64] = "untouched";
        int port = 42;
        assert_int_equal(parse(bad[i], host, sizeof(host), &port), -1);
        assert_string_equal(host, "untouched");
        assert_int_equal(port, 42);
    }
    /* a host longer than the room for it */
    char small[4];
    int port;
    assert_int_equal(parse("abcd:1", small, sizeof(small), &port), -1);
    assert_int_equal(parse("abc:1", small, sizeof(small), &port), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_addresses),
        cmocka_unit_test(test_bad_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
