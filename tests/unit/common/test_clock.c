/*
 * test_clock.c: common/clock.c — server seconds and their Unix times,
 * also after the wall clock is stepped while the process runs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "common/clock.h"

static void test_unix_round_trip(void **state)
{
    (void)state;
    uint32_t now = clock_now();
    for (uint32_t t = now; t < now + 100000; t += 997)
        assert_int_equal(clock_from_unix(clock_to_unix(t)), t);
    /* the past before start, and the far future, are clamped */
    assert_int_equal(clock_from_unix(clock_unix_base() - 10 + clock_wall_step()), 1);
    assert_int_equal(clock_from_unix(INT64_MAX / 2), UINT32_MAX);
    /* any 64-bit time a record may carry: no overflow on the way (INT64_MIN
     * less the base once wrapped round to a time far ahead) */
    assert_int_equal(clock_from_unix(INT64_MIN), 1);
    assert_int_equal(clock_from_unix(INT64_MIN + 1), 1);
    assert_int_equal(clock_from_unix(-1), 1);
    assert_int_equal(clock_from_unix(INT64_MAX), UINT32_MAX);
}

static void test_now_is_the_wall_clocks_second(void **state)
{
    (void)state;
    /* read between two wall-clock reads: equal to one of them */
    int64_t before = (int64_t)time(NULL);
    int64_t now = clock_to_unix(clock_now());
    int64_t after = (int64_t)time(NULL);
    assert_true(now >= before && now <= after);
}

/* A step of the wall clock (an NTP sync after boot) leaves server seconds
 * alone (items do not expire early), and Unix times written from then on
 * are by the stepped wall clock, which the next process starts with: an
 * expiry logged as 30 s ahead is 30 s ahead for the next process too. */
static void test_wall_step_moves_unix_times_not_server_time(void **state)
{
    (void)state;
    uint32_t t = clock_now() + 30;
    int64_t u = clock_to_unix(t);
    int64_t step = clock_wall_step();
    clock_step_wall_for_test(5);
    assert_int_equal(clock_wall_step(), step + 5);
    assert_int_equal(clock_to_unix(t), u + 5);
    assert_int_equal(clock_from_unix(u + 5), t);
    clock_step_wall_for_test(-7);
    assert_int_equal(clock_to_unix(t), u - 2);
    assert_int_equal(clock_from_unix(u - 2), t);
    clock_step_wall_for_test(2);
    assert_int_equal(clock_to_unix(t), u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unix_round_trip),
        cmocka_unit_test(test_now_is_the_wall_clocks_second),
        cmocka_unit_test(test_wall_step_moves_unix_times_not_server_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
