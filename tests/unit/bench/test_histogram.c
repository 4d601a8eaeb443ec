/*
 * test_histogram.c: the log-linear histogram against exact answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "histogram.h"
#include "keys.h"

/* The precision bound: a reported value is within 1/128 above the truth. */
static void assert_close(uint64_t got, uint64_t want)
{
    double lo = (double)want, hi = (double)want * (1.0 + 1.0 / HIST_SUB_COUNT) + 1.0;
    if ((double)got < lo || (double)got > hi)
        fail_msg("got %llu, want %llu (within +1/128)", (unsigned long long)got,
                 (unsigned long long)want);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t exact_percentile(const uint64_t *sorted, size_t n, double p)
{
    double r = p / 100.0 * (double)n;
    size_t rank = (size_t)r;
    if ((double)rank < r)
        rank++;
    if (rank == 0)
        rank = 1;
    return sorted[rank - 1];
}

static void test_empty(void **state)
{
    (void)state;
    struct histogram *h = malloc(sizeof(*h));
    hist_init(h);
    assert_int_equal(hist_percentile(h, 50), 0);
    assert_int_equal(hist_percentile(h, 100), 0);
    assert_true(hist_mean(h) == 0.0);
    free(h);
}

static void test_bucket_layout(void **state)
{
    (void)state;
    /* every value maps to a bucket whose high edge is >= it and within 1/128 */
    uint64_t probes[] = {0, 1, 255, 256, 257, 511, 512, 1000, 123456789, UINT64_C(1) << 40,
                         (UINT64_C(1) << 40) - 1, UINT64_MAX};
    for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        unsigned b = hist_bucket_of(probes[i]);
        assert_true(b < HIST_BUCKETS);
        uint64_t high = hist_bucket_high(b);
        assert_true(high >= probes[i]);
        assert_true((double)high - (double)probes[i] <= (double)probes[i] / HIST_SUB_COUNT + 1);
    }
    /* buckets are monotone and contiguous */
    for (unsigned b = 1; b < HIST_BUCKETS; b++) {
        assert_true(hist_bucket_high(b) > hist_bucket_high(b - 1));
        assert_int_equal(hist_bucket_of(hist_bucket_high(b - 1) + 1), b);
    }
    assert_int_equal(hist_bucket_of(UINT64_MAX), HIST_BUCKETS - 1);
}

static void test_uniform_1_to_n(void **state)
{
    (void)state;
    struct histogram *h = malloc(sizeof(*h));
    hist_init(h);
    for (uint64_t v = 1; v <= 100000; v++)
        hist_record(h, v);
    assert_close(hist_percentile(h, 50), 50000);
    assert_close(hist_percentile(h, 90), 90000);
    assert_close(hist_percentile(h, 99), 99000);
    assert_close(hist_percentile(h, 99.9), 99900);
    assert_int_equal(hist_percentile(h, 100), 100000);
    assert_int_equal(h->max, 100000);
    assert_int_equal(h->min, 1);
    assert_true(hist_mean(h) == 50000.5);
    free(h);
}

/* Exponential latencies (a long tail): every percentile within the bound. */
static void test_exponential_against_sort(void **state)
{
    (void)state;
    enum { N = 200000 };
    uint64_t *v = malloc(N * sizeof(*v));
    struct histogram *h = malloc(sizeof(*h));
    hist_init(h);
    struct rng r;
    rng_seed(&r, 42);
    for (size_t i = 0; i < N; i++) {
        double u = rng_double(&r);
        v[i] = (uint64_t)(-50000.0 * __builtin_log(1.0 - u)) + 1000;
        hist_record(h, v[i]);
    }
    qsort(v, N, sizeof(*v), cmp_u64);
    double ps[] = {1, 10, 50, 90, 99, 99.9, 99.99};
    for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++)
        assert_close(hist_percentile(h, ps[i]), exact_percentile(v, N, ps[i]));
    assert_int_equal(hist_percentile(h, 100), v[N - 1]);
    assert_int_equal(h->max, v[N - 1]);
    free(v);
    free(h);
}

static void test_merge(void **state)
{
    (void)state;
    struct histogram *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b)), *all = malloc(sizeof(*all));
    hist_init(a);
    hist_init(b);
    hist_init(all);
    for (uint64_t v = 1; v <= 50000; v++) {
        hist_record(a, v * 3);
        hist_record(all, v * 3);
    }
    for (uint64_t v = 1; v <= 30000; v++) {
        hist_record(b, v * 7 + 1000000);
        hist_record(all, v * 7 + 1000000);
    }
    hist_merge(a, b);
    assert_int_equal(a->count, all->count);
    assert_int_equal(a->sum, all->sum);
    assert_int_equal(a->min, 3);
    assert_int_equal(a->max, 30000 * 7 + 1000000);
    for (double p = 1; p < 100; p += 7.5)
        assert_int_equal(hist_percentile(a, p), hist_percentile(all, p));
    /* merging an empty histogram changes nothing */
    struct histogram *e = malloc(sizeof(*e));
    hist_init(e);
    hist_merge(a, e);
    assert_int_equal(a->min, 3);
    assert_int_equal(a->count, all->count);
    free(a);
    free(b);
    free(all);
    free(e);
}

static void test_max_is_exact(void **state)
{
    (void)state;
    struct histogram *h = malloc(sizeof(*h));
    hist_init(h);
    hist_record(h, 10);
    hist_record(h, 987654321);
    assert_int_equal(h->max, 987654321);
    /* the top percentile never exceeds the true max even though the bucket is wider */
    assert_int_equal(hist_percentile(h, 99.9), 987654321);
    assert_int_equal(hist_percentile(h, 50), 10);
    hist_record(h, UINT64_MAX);
    assert_int_equal(hist_percentile(h, 100), UINT64_MAX);
    free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_bucket_layout),
        cmocka_unit_test(test_uniform_1_to_n),
        cmocka_unit_test(test_exponential_against_sort),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_max_is_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
