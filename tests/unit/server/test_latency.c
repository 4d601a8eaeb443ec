/* Unit tests for server/latency: buckets at their edges, the bounds as
 * Prometheus' "le", the command classes, sums and reset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "server/latency.h"

static void test_bucket_edges(void **state)
{
    (void)state;
    assert_int_equal(latency_bucket(0), 0);
    assert_int_equal(latency_bucket(128), 0);
    assert_int_equal(latency_bucket(129), 1);
    assert_int_equal(latency_bucket(256), 1);
    assert_int_equal(latency_bucket(257), 2);
    /* every value lands in the first bucket whose bound holds it */
    for (unsigned b = 1; b < LATENCY_BUCKETS - 1; b++) {
        uint64_t bound = latency_bound_ns(b);
        assert_int_equal(latency_bucket(bound), b);
        assert_int_equal(latency_bucket(bound + 1), b + 1);
        assert_int_equal(latency_bucket(latency_bound_ns(b - 1) + 1), b);
    }
    assert_int_equal(latency_bound_ns(LATENCY_BUCKETS - 2), 1ull << 30);
    assert_int_equal(latency_bucket((1ull << 30) + 1), LATENCY_BUCKETS - 1);
    assert_int_equal(latency_bucket(UINT64_MAX), LATENCY_BUCKETS - 1);
    assert_int_equal(latency_bound_ns(LATENCY_BUCKETS - 1), 0);
}

static void test_le_seconds(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(latency_le_seconds(0, buf, sizeof(buf)), "0.000000128");
    assert_string_equal(latency_le_seconds(3, buf, sizeof(buf)), "0.000001024");
    assert_string_equal(latency_le_seconds(13, buf, sizeof(buf)), "0.001048576");
    assert_string_equal(latency_le_seconds(LATENCY_BUCKETS - 2, buf, sizeof(buf)), "1.073741824");
    assert_string_equal(latency_le_seconds(LATENCY_BUCKETS - 1, buf, sizeof(buf)), "+Inf");
}

static void test_classes(void **state)
{
    (void)state;
    assert_int_equal(latency_class_of(REQ_GET), LATENCY_GET);
    assert_string_equal(latency_class_name(LATENCY_GET), "get");
    assert_int_equal(latency_class_of(REQ_MS), LATENCY_MS);
    assert_string_equal(latency_class_name(latency_class_of(REQ_MA)), "ma");
    assert_int_equal(latency_class_of(REQ_STATS), LATENCY_OTHER);
    assert_int_equal(latency_class_of(REQ_FLUSH_ALL), LATENCY_OTHER);
    assert_int_equal(latency_class_of(REQ_QUIT), LATENCY_NONE);
    assert_int_equal(latency_class_of(REQ_SASL_AUTH), LATENCY_NONE);
    /* every class has its own name */
    for (int a = 0; a < LATENCY_NCLASSES; a++)
        for (int b = a + 1; b < LATENCY_NCLASSES; b++)
            assert_string_not_equal(latency_class_name((enum latency_class)a),
                                    latency_class_name((enum latency_class)b));
}

static void test_record_sum_reset(void **state)
{
    (void)state;
    static struct latency_stats a, b, total;
    latency_record(&a, LATENCY_GET, 100);
    latency_record(&a, LATENCY_GET, 300);
    latency_record(&b, LATENCY_GET, 5000);
    latency_record(&b, LATENCY_NONE, 5000); /* not a class: nothing */
    latency_sum_into(&total, &a);
    latency_sum_into(&total, &b);
    assert_int_equal(total.count[LATENCY_GET][0], 1);
    assert_int_equal(total.count[LATENCY_GET][latency_bucket(300)], 1);
    assert_int_equal(total.count[LATENCY_GET][latency_bucket(5000)], 1);
    assert_int_equal(total.sum_ns[LATENCY_GET], 5400);
    latency_reset(&total);
    for (unsigned k = 0; k < LATENCY_BUCKETS; k++)
        assert_int_equal(total.count[LATENCY_GET][k], 0);
    assert_int_equal(total.sum_ns[LATENCY_GET], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_edges),
        cmocka_unit_test(test_le_seconds),
        cmocka_unit_test(test_classes),
        cmocka_unit_test(test_record_sum_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
