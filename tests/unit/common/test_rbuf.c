/* Unit tests for common/rbuf: compaction keeps unconsumed bytes, growth
 * keeps them too, and an idle oversized buffer shrinks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/rbuf.h"

static void put(struct rbuf *b, const char *s)
{
    size_t n = strlen(s);
    assert_true(rbuf_space(b, n) >= n);
    memcpy(b->data + b->end, s, n);
    b->end += n;
}

static void test_consume_and_compact(void **state)
{
    struct rbuf b;
    rbuf_init(&b);
    put(&b, "get a\r\nget b\r\n");
    rbuf_consume(&b, 7);
    assert_int_equal(rbuf_len(&b), 7);
    assert_memory_equal(rbuf_head(&b), "get b\r\n", 7);
    /* Ask for nearly the whole capacity: forces a compaction. */
    size_t cap = b.cap;
    assert_true(rbuf_space(&b, cap - 7) >= cap - 7);
    assert_int_equal(b.start, 0);
    assert_memory_equal(rbuf_head(&b), "get b\r\n", 7);
    rbuf_consume(&b, 7);
    assert_int_equal(rbuf_len(&b), 0);
    assert_int_equal(b.start, 0);
    rbuf_free(&b);
}

static void test_growth_keeps_data(void **state)
{
    struct rbuf b;
    rbuf_init(&b);
    put(&b, "prefix");
    size_t want = 1u << 20;
    assert_true(rbuf_space(&b, want) >= want);
    assert_memory_equal(rbuf_head(&b), "prefix", 6);
    rbuf_consume(&b, 6);
    rbuf_trim(&b);
    assert_null(b.data);
    rbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_consume_and_compact),
        cmocka_unit_test(test_growth_keeps_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
