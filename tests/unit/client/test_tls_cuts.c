/*
 * test_tls_cuts.c: where libmnemo's TLS records end (src/client/tls_cuts.c):
 * whole requests up to the record size, a long request alone, the auth
 * set put first, positions that survive partial writes and a reset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "client/tls_cuts.h"

/* Queue requests of the given sizes; returns the bytes queued. */
static size_t queue(struct tls_cuts *c, size_t queued, const size_t *sizes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        queued += sizes[i];
        assert_int_equal(tls_cuts_mark(c, queued), 0);
    }
    return queued;
}

static void whole_requests_up_to_the_record_size(void **state)
{
    (void)state;
    struct tls_cuts c = {0};
    static const size_t sizes[] = {1000, 1000, 1000, 2000, 500};
    size_t queued = queue(&c, 0, sizes, 5);
    assert_int_equal(tls_cuts_next(&c, queued, 4096), 3000);
    tls_cuts_sent(&c, 3000);
    queued -= 3000;
    assert_int_equal(tls_cuts_next(&c, queued, 4096), 2500);
    tls_cuts_sent(&c, 2500);
    assert_int_equal(c.len, 0);
    tls_cuts_free(&c);
}

static void a_long_request_goes_alone(void **state)
{
    (void)state;
    struct tls_cuts c = {0};
    static const size_t sizes[] = {10000, 30, 30};
    size_t queued = queue(&c, 0, sizes, 3);
    assert_int_equal(tls_cuts_next(&c, queued, 4096), 10000);
    /* a partial write: the rest of it, still alone */
    tls_cuts_sent(&c, 4096);
    queued -= 4096;
    assert_int_equal(tls_cuts_next(&c, queued, 4096), 5904);
    tls_cuts_sent(&c, 5904);
    queued -= 5904;
    assert_int_equal(tls_cuts_next(&c, queued, 4096), 60);
    tls_cuts_free(&c);
}

static void a_partial_write_keeps_the_end(void **state)
{
    (void)state;
    struct tls_cuts c = {0};
    static const size_t sizes[] = {100, 100, 100};
    size_t queued = queue(&c, 0, sizes, 3);
    tls_cuts_sent(&c, 150); /* the socket took part of it */
    queued -= 150;
    assert_int_equal(tls_cuts_next(&c, queued, 4096), 150);
    /* requests queued meanwhile join the next write */
    static const size_t more[] = {40};
    queued = queue(&c, queued, more, 1);
    assert_int_equal(tls_cuts_next(&c, queued, 4096), 190);
    /* a mark with nothing new is no new end */
    assert_int_equal(tls_cuts_mark(&c, queued), 0);
    assert_int_equal(c.len, 3);
    tls_cuts_free(&c);
}

static void the_auth_set_goes_first(void **state)
{
    (void)state;
    struct tls_cuts c = {0};
    static const size_t sizes[] = {4000, 50};
    size_t queued = queue(&c, 0, sizes, 2);
    assert_int_equal(tls_cuts_prepend(&c, 60), 0);
    queued += 60;
    assert_int_equal(tls_cuts_next(&c, queued, 4096), 4060);
    tls_cuts_sent(&c, 60);
    assert_int_equal(tls_cuts_next(&c, queued - 60, 100), 4000);
    tls_cuts_free(&c);
}

static void many_requests_and_a_reset(void **state)
{
    (void)state;
    struct tls_cuts c = {0};
    size_t queued = 0;
    for (int i = 0; i < 1000; i++) { /* the ring grows */
        static const size_t one[] = {10};
        queued = queue(&c, queued, one, 1);
    }
    assert_int_equal(tls_cuts_next(&c, queued, 4096), 4090);
    tls_cuts_sent(&c, 4090);
    queued -= 4090;
    assert_int_equal(tls_cuts_next(&c, queued, 4096), 4090);
    assert_int_equal(tls_cuts_next(&c, queued, 1 << 20), queued);
    tls_cuts_reset(&c);
    assert_int_equal(c.len, 0);
    /* bytes with no mark go as they are */
    assert_int_equal(tls_cuts_next(&c, 77, 4096), 77);
    tls_cuts_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(whole_requests_up_to_the_record_size),
        cmocka_unit_test(a_long_request_goes_alone),
        cmocka_unit_test(a_partial_write_keeps_the_end),
        cmocka_unit_test(the_auth_set_goes_first),
        cmocka_unit_test(many_requests_and_a_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
