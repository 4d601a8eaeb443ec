/*
 * test_expo.c: metrics/expo.c — the Prometheus text format: families,
 * labels and their escapes, values.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "metrics/expo.h"

static void assert_text(const struct expo *e, const char *want)
{
    assert_true(expo_ok(e));
    assert_int_equal(expo_len(e), strlen(want));
    assert_memory_equal(expo_data(e), want, strlen(want));
}

static void test_family_and_samples(void **state)
{
    (void)state;
    struct expo *e = expo_create();
    assert_non_null(e);
    expo_family(e, "x_total", EXPO_COUNTER, "Things.");
    const char *labels[] = {"command", "get", "status", "hit", NULL};
    expo_u64(e, "x_total", labels, 18446744073709551615ull);
    expo_u64(e, "x_total", NULL, 0);
    expo_one_f64(e, "y_seconds", EXPO_GAUGE, "Time.", 0.25);
    assert_text(e, "# HELP x_total Things.\n# TYPE x_total counter\n"
                   "x_total{command=\"get\",status=\"hit\"} 18446744073709551615\n"
                   "x_total 0\n"
                   "# HELP y_seconds Time.\n# TYPE y_seconds gauge\ny_seconds 0.25\n");
    expo_reset(e);
    assert_text(e, "");
    expo_free(&e);
    assert_null(e);
    expo_free(&e); /* NULL is fine */
}

static void test_escapes(void **state)
{
    (void)state;
    struct expo *e = expo_create();
    expo_family(e, "h", EXPO_HISTOGRAM, "a \\ b\nc \"q\"");
    const char *labels[] = {"replica", "a\\b\"c\nd", NULL};
    expo_u64(e, "h_count", labels, 1);
    assert_text(e, "# HELP h a \\\\ b\\nc \"q\"\n# TYPE h histogram\n"
                   "h_count{replica=\"a\\\\b\\\"c\\nd\"} 1\n");
    expo_free(&e);
}

static void test_special_values(void **state)
{
    (void)state;
    struct expo *e = expo_create();
    expo_f64(e, "a", NULL, INFINITY);
    expo_f64(e, "b", NULL, -INFINITY);
    expo_f64(e, "c", NULL, NAN);
    expo_f64(e, "d", NULL, 1e-6);
    assert_text(e, "a +Inf\nb -Inf\nc NaN\nd 1e-06\n");
    expo_free(&e);
}

/* Growth past the first allocation keeps every byte. */
static void test_growth(void **state)
{
    (void)state;
    struct expo *e = expo_create();
    for (int i = 0; i < 10000; i++)
        expo_u64(e, "n", NULL, (uint64_t)i);
    assert_true(expo_ok(e));
    const char *d = expo_data(e);
    assert_memory_equal(d, "n 0\nn 1\n", 8);
    assert_memory_equal(d + expo_len(e) - 7, "n 9999\n", 7);
    expo_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_family_and_samples),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_special_values),
        cmocka_unit_test(test_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
