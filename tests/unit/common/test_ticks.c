/*
 * test_ticks.c: common/ticks.c — ticks are nanoseconds until ticks_init(),
 * and after it (the TSC, where it is trusted) a span converts to the
 * nanoseconds CLOCK_MONOTONIC counted over it; the conversion does not
 * overflow on long spans.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "common/ticks.h"

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Before ticks_init (the default of every program but mnemod): ticks are
 * CLOCK_MONOTONIC's nanoseconds, converted as they are. */
static void test_nanoseconds_before_init(void **state)
{
    (void)state;
    assert_int_equal(ticks_ns_mult, 0);
    uint64_t before = mono_ns();
    uint64_t t = ticks_now();
    uint64_t after = mono_ns();
    assert_true(t >= before && t <= after);
    assert_int_equal(ticks_to_ns(123456789), 123456789);
}

/* A ticks reading with the monotonic times just before and after it. */
struct reading {
    uint64_t before, ticks, after;
};

static struct reading read_both(void)
{
    struct reading r;
    r.before = mono_ns();
    r.ticks = ticks_now();
    r.after = mono_ns();
    return r;
}

/* After ticks_init, 20 ms of ticks convert to the nanoseconds the
 * monotonic clock counted between the two readings: within the brackets
 * of the readings (a preemption only widens them), give or take 0.1%. */
static void test_span_agrees_with_monotonic(void **state)
{
    (void)state;
    ticks_init();
    struct reading a = read_both(), b;
    do {
        b = read_both();
    } while (b.before - a.after < 20000000u);
    assert_true(b.ticks >= a.ticks);
    uint64_t ns = ticks_to_ns(b.ticks - a.ticks);
    uint64_t least = b.before - a.after, most = b.after - a.before;
    assert_true(ns >= least - least / 1000);
    assert_true(ns <= most + most / 1000);
    /* and they only go forward */
    uint64_t last = ticks_now();
    for (int i = 0; i < 100000; i++) {
        uint64_t t = ticks_now();
        assert_true(t >= last);
        last = t;
    }
}

/* The conversion in two halves is the product's top bits, also for spans
 * far beyond a request's (a day of ticks at 4 GHz). */
static void test_long_span_does_not_overflow(void **state)
{
    (void)state;
    uint64_t saved = ticks_ns_mult;
    ticks_ns_mult = UINT64_C(1) << 31; /* 0.5 ns a tick: a 2 GHz TSC */
    uint64_t day = UINT64_C(86400) * 2000000000u;
    assert_true(ticks_to_ns(day) == day / 2);
    assert_true(ticks_to_ns(3) == 1);
    ticks_ns_mult = saved;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nanoseconds_before_init),
        cmocka_unit_test(test_span_agrees_with_monotonic),
        cmocka_unit_test(test_long_span_does_not_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
