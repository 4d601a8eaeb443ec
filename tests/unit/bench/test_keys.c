/*
 * test_keys.c: the PRNG, uniform coverage, zipf head mass, determinism,
 * key formatting.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "keys.h"

static void test_rng_below_bounds(void **state)
{
    (void)state;
    struct rng r;
    rng_seed(&r, 7);
    for (int i = 0; i < 100000; i++) {
        assert_true(rng_below(&r, 3) < 3);
        double d = rng_double(&r);
        assert_true(d >= 0.0 && d < 1.0);
    }
    assert_int_equal(rng_below(&r, 1), 0);
}

static void test_uniform_covers_space(void **state)
{
    (void)state;
    enum { N = 1000, DRAWS = 200000 };
    unsigned *seen = calloc(N, sizeof(*seen));
    struct keygen g;
    keygen_init(&g, KEY_UNIFORM, N, 0, 1);
    for (int i = 0; i < DRAWS; i++) {
        uint64_t k = keygen_next(&g);
        assert_true(k < N);
        seen[k]++;
    }
    /* every key appears, and no key is far from the mean of 200 */
    for (int k = 0; k < N; k++) {
        assert_true(seen[k] > 120);
        assert_true(seen[k] < 290);
    }
    free(seen);
}

/* Exact zipf probability mass of ranks 1..head out of n. */
static double zipf_head_mass(uint64_t n, double s, uint64_t head)
{
    double total = 0, top = 0;
    for (uint64_t k = 1; k <= n; k++) {
        double p = pow((double)k, -s);
        total += p;
        if (k <= head)
            top += p;
    }
    return top / total;
}

static void check_zipf(uint64_t n, double s)
{
    enum { DRAWS = 1000000 };
    uint64_t *count = calloc(n, sizeof(*count));
    struct keygen g;
    keygen_init(&g, KEY_ZIPF, n, s, 99);
    for (int i = 0; i < DRAWS; i++) {
        uint64_t k = keygen_next(&g);
        assert_true(k < n);
        count[k]++;
    }
    uint64_t heads[] = {1, 10, 100};
    for (size_t i = 0; i < 3; i++) {
        uint64_t got = 0;
        for (uint64_t k = 0; k < heads[i] && k < n; k++)
            got += count[k];
        double want = zipf_head_mass(n, s, heads[i]);
        double frac = (double)got / DRAWS;
        if (fabs(frac - want) > 0.01 + 0.02 * want)
            fail_msg("n=%llu s=%g: top %llu mass %.4f, want %.4f", (unsigned long long)n, s,
                     (unsigned long long)heads[i], frac, want);
    }
    /* ranks are ordered: key 0 is the most popular, key 1 beats key 9 */
    assert_true(count[0] > count[1]);
    assert_true(count[1] > count[9]);
    free(count);
}

static void test_zipf_head_mass(void **state)
{
    (void)state;
    check_zipf(10000, 0.99);
    check_zipf(100000, 0.99);
    check_zipf(1000, 1.0); /* s = 1 goes through the series expansions */
    check_zipf(1000, 0.5);
    check_zipf(1000, 1.5);
}

static void test_zipf_covers_range(void **state)
{
    (void)state;
    /* a tiny key space: every key, including the last, is drawn */
    struct keygen g;
    keygen_init(&g, KEY_ZIPF, 5, 0.99, 3);
    unsigned seen[5] = {0};
    for (int i = 0; i < 10000; i++) {
        uint64_t k = keygen_next(&g);
        assert_true(k < 5);
        seen[k]++;
    }
    for (int k = 0; k < 5; k++)
        assert_true(seen[k] > 0);
    keygen_init(&g, KEY_ZIPF, 1, 0.99, 3);
    for (int i = 0; i < 100; i++)
        assert_int_equal(keygen_next(&g), 0);
}

static void test_deterministic_with_seed(void **state)
{
    (void)state;
    struct keygen a, b, c;
    keygen_init(&a, KEY_ZIPF, 100000, 0.99, 1234);
    keygen_init(&b, KEY_ZIPF, 100000, 0.99, 1234);
    keygen_init(&c, KEY_ZIPF, 100000, 0.99, 1235);
    int differ = 0;
    for (int i = 0; i < 10000; i++) {
        uint64_t x = keygen_next(&a);
        assert_int_equal(x, keygen_next(&b));
        differ |= x != keygen_next(&c);
    }
    assert_true(differ);
    keygen_init(&a, KEY_UNIFORM, 100000, 0, 5);
    keygen_init(&b, KEY_UNIFORM, 100000, 0, 5);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(keygen_next(&a), keygen_next(&b));
}

static void test_key_format(void **state)
{
    (void)state;
    char buf[32];
    assert_int_equal(key_format(buf, sizeof(buf), "key:", 4, 0), 5);
    assert_string_equal(buf, "key:0");
    assert_int_equal(key_format(buf, sizeof(buf), "k", 1, 18446744073709551615u), 21);
    assert_string_equal(buf, "k18446744073709551615");
    assert_int_equal(key_format(buf, 5, "key:", 4, 10), 0); /* does not fit */
    assert_int_equal(key_format(buf, 6, "key:", 4, 10), 6);
    assert_memory_equal(buf, "key:10", 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_below_bounds),
        cmocka_unit_test(test_uniform_covers_space),
        cmocka_unit_test(test_zipf_head_mass),
        cmocka_unit_test(test_zipf_covers_range),
        cmocka_unit_test(test_deterministic_with_seed),
        cmocka_unit_test(test_key_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
