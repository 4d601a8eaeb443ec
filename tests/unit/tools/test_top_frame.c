/*
 * test_top_frame.c: `mnemo-cli top`'s arithmetic and frame: rates from two
 * samples, a counter that went down, a server that did not answer, the
 * total, and the frame's text (units, hit%, down rows, the width cut).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli_top_frame.h"
#include "mnemo/mnemo.h"

static void put_stat(struct top_sample *s, const char *name, uint64_t v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
    top_sample_stat(s, name, buf);
}

/* prev at t=10 s, cur at t=12 s: every counter moved by a known amount. */
static void two_samples(struct top_sample *p, struct top_sample *c)
{
    memset(p, 0, sizeof(*p));
    memset(c, 0, sizeof(*c));
    p->ok = c->ok = 1;
    p->t = 10.0;
    c->t = 12.0;
    put_stat(p, "cmd_get", 1000);
    put_stat(c, "cmd_get", 1400);   /* 200/s */
    put_stat(c, "cmd_set", 20);     /* 10/s */
    put_stat(c, "get_hits", 300);
    put_stat(c, "get_misses", 100);
    put_stat(c, "delete_hits", 1);
    put_stat(c, "delete_misses", 3);
    put_stat(c, "incr_hits", 4);
    put_stat(c, "decr_misses", 6);
    put_stat(c, "touch_hits", 8);
    put_stat(c, "cas_hits", 1);
    put_stat(c, "cas_misses", 1);
    put_stat(c, "cas_badval", 2);
    put_stat(c, "evictions", 10);
    put_stat(c, "reclaimed", 12);
    put_stat(c, "expired_unfetched", 2);
    put_stat(c, "bytes", 3 * 1024 * 1024);
    put_stat(c, "limit_maxbytes", 64 * 1024 * 1024);
    put_stat(c, "curr_items", 1000);
    put_stat(c, "curr_connections", 7);
    top_sample_stat(c, "not_a_figure_top_reads", "99");
    /* stats latency: 100 requests in the interval, 40 up to 1024 ns, 58
     * more up to 2048 ns, 2 beyond the last bound (the set lines add 0) */
    top_sample_latency(p, "get:count", "10");
    top_sample_latency(p, "get:le_1024", "10");
    top_sample_latency(p, "get:le_2048", "10");
    top_sample_latency(p, "get:le_inf", "10");
    top_sample_latency(c, "get:count", "110");
    top_sample_latency(c, "get:sum_ns", "123456");
    top_sample_latency(c, "get:le_1024", "50");
    top_sample_latency(c, "get:le_2048", "108");
    top_sample_latency(c, "get:le_inf", "110");
    top_sample_latency(c, "set:le_1024", "0");
    top_sample_latency(c, "set:le_2048", "0");
    top_sample_latency(c, "set:le_inf", "0");
    /* the admin commands (top's own stats) are left out */
    top_sample_latency(c, "other:le_1024", "1000");
    top_sample_latency(c, "other:le_inf", "1000");
}

/* Percentiles from the interval's histogram, interpolated in the bucket
 * as Prometheus does; beyond the last bound, the last bound. */
static void test_latency_percentiles(void **state)
{
    (void)state;
    struct top_sample p, c;
    struct top_row r, t;
    two_samples(&p, &c);
    assert_true(c.has_lat);
    top_row_server(&r, "a", &p, &c, 0);
    assert_true(r.has_lat);
    assert_int_equal(r.lat.n, 3);
    assert_int_equal(r.lat.cum[0], 40);
    assert_int_equal(r.lat.cum[1], 98);
    assert_int_equal(r.lat.cum[2], 100);
    assert_true(r.lat.le[2] == UINT64_MAX);
    /* rank 50: 10 of the 58 in (1024, 2048] */
    double p50 = top_hist_quantile(&r.lat, 0.5);
    assert_true(p50 > 1024 + 1024.0 * 10 / 58 - 0.01 && p50 < 1024 + 1024.0 * 10 / 58 + 0.01);
    /* rank 20 of the first 40 in (0, 1024] */
    double p20 = top_hist_quantile(&r.lat, 0.2);
    assert_true(p20 > 511.9 && p20 < 512.1);
    assert_true(top_hist_quantile(&r.lat, 0.99) == 2048);
    assert_true(top_hist_quantile(&r.lat, 0.999) == 2048);
    struct top_hist empty = {0};
    assert_true(top_hist_quantile(&empty, 0.5) < 0);

    /* the total adds the servers' intervals bound by bound */
    struct top_row rows[2] = {r, r};
    top_row_total(&t, rows, 2);
    assert_true(t.has_lat);
    assert_int_equal(t.lat.cum[0], 80);
    assert_int_equal(t.lat.cum[2], 200);

    /* a count that went down (restart, stats reset): no percentiles */
    top_row_server(&r, "a", &c, &p, 0);
    assert_false(r.has_lat);
    /* a server without the group (memcached): none either */
    c.has_lat = 0;
    top_row_server(&r, "a", &p, &c, 0);
    assert_false(r.has_lat);
}

static void test_rates(void **state)
{
    (void)state;
    struct top_sample p, c;
    struct top_row r;
    two_samples(&p, &c);
    top_row_server(&r, "a:1", &p, &c, 0);
    assert_true(r.up && r.has_rates);
    assert_true(r.rate[RATE_GET] == 200.0);
    assert_true(r.rate[RATE_SET] == 10.0);
    assert_true(r.rate[RATE_HITS] == 150.0 && r.rate[RATE_MISSES] == 50.0);
    assert_true(r.rate[RATE_DELETE] == 2.0);
    assert_true(r.rate[RATE_INCR] == 2.0 && r.rate[RATE_DECR] == 3.0);
    assert_true(r.rate[RATE_TOUCH] == 4.0 && r.rate[RATE_CAS] == 2.0);
    assert_true(r.rate[RATE_EVICTIONS] == 5.0 && r.rate[RATE_RECLAIMED] == 6.0);
    assert_true(r.rate[RATE_UNFETCHED] == 1.0);
    assert_true(r.bytes == 3u * 1024 * 1024 && r.items == 1000 && r.conns == 7);
    assert_string_equal(r.role, "-");
}

static void test_counter_went_down(void **state)
{
    (void)state;
    struct top_sample p, c;
    struct top_row r;
    two_samples(&p, &c);
    put_stat(&p, "cmd_set", 500); /* a restart in between: 20 < 500 */
    top_row_server(&r, "a:1", &p, &c, 0);
    assert_true(r.rate[RATE_SET] == 0.0);
    assert_true(r.rate[RATE_GET] == 200.0);
}

static void test_no_rates_without_two_answers(void **state)
{
    (void)state;
    struct top_sample p, c;
    struct top_row r;
    two_samples(&p, &c);
    p.ok = 0;
    top_row_server(&r, "a:1", &p, &c, 0);
    assert_true(r.up && !r.has_rates && r.items == 1000);
    c.ok = 0;
    c.status = MNEMO_ECONNECT;
    top_row_server(&r, "a:1", &p, &c, 0);
    assert_false(r.up);
    assert_int_equal(r.status, MNEMO_ECONNECT);
}

static void test_roles(void **state)
{
    (void)state;
    struct top_sample p, c;
    struct top_row r;
    two_samples(&p, &c);
    top_sample_repl(&c, "role", "primary");
    top_row_server(&r, "a:1", &p, &c, 0);
    assert_string_equal(r.role, "-"); /* every mnemod says primary */
    top_row_server(&r, "a:1", &p, &c, 1);
    assert_string_equal(r.role, "primary");
    top_sample_repl(&c, "connected_replicas", "2");
    top_row_server(&r, "a:1", &p, &c, 0);
    assert_string_equal(r.role, "primary");
    top_sample_repl(&c, "role", "replica");
    top_row_server(&r, "a:1", &p, &c, 0);
    assert_string_equal(r.role, "replica");
}

static void test_total(void **state)
{
    (void)state;
    struct top_sample p, c;
    struct top_row rows[3], t;
    two_samples(&p, &c);
    top_row_server(&rows[0], "a:1", &p, &c, 0);
    top_row_server(&rows[1], "b:1", &p, &c, 0);
    c.ok = 0;
    top_row_server(&rows[2], "c:1", &p, &c, 0);
    top_row_total(&t, rows, 3);
    assert_true(t.up && t.has_rates);
    assert_true(t.rate[RATE_GET] == 400.0 && t.conns == 14 && t.items == 2000);
    assert_true(t.limit == 128u * 1024 * 1024);
    top_row_total(&t, &rows[2], 1);
    assert_false(t.up);
}

/* The frame as text (open_memstream). */
static char *frame(const struct top_row *rows, size_t n, const struct top_row *total, int width)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct top_frame_info fi = {.nservers = n, .answering = n, .interval_s = 2.0};
    assert_non_null(f);
    top_frame_write(f, &fi, rows, n, total, "\n", width);
    fclose(f);
    return buf;
}

static void test_frame_text(void **state)
{
    (void)state;
    struct top_sample p, c, idle = {.ok = 1, .t = 12.0};
    struct top_row rows[3], t;
    two_samples(&p, &c);
    top_row_server(&rows[0], "127.0.0.1:11211", &p, &c, 0);
    struct top_sample idle_prev = idle;
    idle_prev.t = 10.0;
    top_sample_stat(&idle, "limit_maxbytes", "1536");
    top_row_server(&rows[1], "127.0.0.1:11212", &idle_prev, &idle, 0);
    struct top_sample down = {.status = MNEMO_ECONNECT};
    top_row_server(&rows[2], "127.0.0.1:11213", &p, &down, 0);
    top_row_total(&t, rows, 3);
    char *text = frame(rows, 3, &t, 0);
    assert_non_null(strstr(text, "mnemo-cli top: 3 servers, 3 answering, every 2.0 s, "));
    assert_non_null(strstr(text, "\nserver                role      get/s   set/s"));
    /* hit% 75.0 after miss/s; 3.0M of 64.0M is 4.7%, 3146 B per item */
    assert_non_null(strstr(text, "\n127.0.0.1:11211       -         200.0    10.0"));
    assert_non_null(strstr(text, "  150.0    50.0  75.0     5.0     6.0     1.0     7      1000"
                                 "    3.0M   64.0M   4.7   3146  1.20us  2.05us  2.05us\n"));
    /* no gets, no items, no latency: a dash, not 0; 1536 bytes is 1.5K */
    assert_non_null(strstr(text, "     0.0     0.0     -     0.0     0.0     0.0     0         0"
                                 "      0B    1.5K   0.0      -       -       -       -\n"));
    assert_non_null(strstr(text, " B/item     p50     p99   p99.9\n"));
    assert_non_null(strstr(text, "\n127.0.0.1:11213       down: "));
    assert_non_null(strstr(text, "\ntotal                           200.0"));
    assert_non_null(strstr(text, "\np50 p99 p99.9: time a request took inside the server"));
    free(text);

    text = frame(rows, 1, NULL, 30);
    for (char *line = text; *line; line = strchr(line, '\n') + 1)
        assert_true(strchr(line, '\n') - line <= 30);
    assert_null(strstr(text, "total"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rates),
        cmocka_unit_test(test_counter_went_down),
        cmocka_unit_test(test_no_rates_without_two_answers),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_total),
        cmocka_unit_test(test_frame_text),
        cmocka_unit_test(test_latency_percentiles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
