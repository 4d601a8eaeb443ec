/*
 * test_http.c: metrics/http.c — the one request the endpoint understands:
 * each case whole, then cut at every byte (every prefix is incomplete until
 * the blank line arrives), and the head's bound; and every fuzz seed
 * through fuzz_http.c's checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics/http.h"

#define FUZZ_CHECK(cond) assert_true(cond)
#include "fuzz_http.c"
#include "seed_replay.h"

#define CAP 8192

static const struct {
    const char *req;
    enum http_verdict want;
} cases[] = {
    {"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_200},
    {"GET /metrics HTTP/1.0\r\n\r\n", HTTP_200},
    {"GET /metrics?x=1&y[]=2 HTTP/1.1\r\n\r\n", HTTP_200},
    {"GET /metrics HTTP/1.1\nHost: x\n\n", HTTP_200}, /* bare LF line ends */
    {"GET /metrics HTTP/1.1\r\nA: \t b\r\nAccept-Encoding: gzip\r\n\r\n", HTTP_200},
    {"GET /metrics HTTP/1.1\r\nEmpty:\r\n\r\nbody after the head", HTTP_200},
    {"POST /metrics HTTP/1.1\r\n\r\n", HTTP_405},
    {"HEAD /metrics HTTP/1.1\r\n\r\n", HTTP_405},
    {"GETS /metrics HTTP/1.1\r\n\r\n", HTTP_405},
    {"get /metrics HTTP/1.1\r\n\r\n", HTTP_405}, /* methods are case-sensitive */
    {"GET / HTTP/1.1\r\n\r\n", HTTP_404},
    {"GET /metricsx HTTP/1.1\r\n\r\n", HTTP_404},
    {"GET /metrics/ HTTP/1.1\r\n\r\n", HTTP_404},
    {"GET /other?metrics HTTP/1.1\r\n\r\n", HTTP_404},
    {"POST /x HTTP/1.1\r\n\r\n", HTTP_404},
    {"\r\n\r\n", HTTP_400},
    {"hello\r\n\r\n", HTTP_400},
    {"GET\r\n\r\n", HTTP_400},
    {"GET /metrics\r\n\r\n", HTTP_400},
    {"GET /metrics HTTP/2.0\r\n\r\n", HTTP_400},
    {"GET /metrics HTTP/1.1 \r\n\r\n", HTTP_400},
    {"GET  /metrics HTTP/1.1\r\n\r\n", HTTP_400},
    {"GET metrics HTTP/1.1\r\n\r\n", HTTP_400},
    {"GET /met\x01rics HTTP/1.1\r\n\r\n", HTTP_400},
    {"GET /metrics HTTP/1.1\r\nno colon\r\n\r\n", HTTP_400},
    {"GET /metrics HTTP/1.1\r\nBad Name: x\r\n\r\n", HTTP_400},
    {"GET /metrics HTTP/1.1\r\nName : x\r\n\r\n", HTTP_400},
    {"GET /metrics HTTP/1.1\r\n: x\r\n\r\n", HTTP_400},
    {"GET /metrics HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", HTTP_400},
    {"GET /metrics HTTP/1.1\r\nA: b\x7f\r\n\r\n", HTTP_400},
    {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", HTTP_400},
};

static void test_whole_requests(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum http_verdict got = http_judge(cases[i].req, strlen(cases[i].req), CAP);
        if (got != cases[i].want)
            fail_msg("case %zu \"%s\": %d, want %d", i, cases[i].req, got, cases[i].want);
    }
}

/* Every prefix short of the blank line is incomplete (read more), never a
 * verdict taken from half a line. */
static void test_split_at_every_byte(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *req = cases[i].req;
        size_t len = strlen(req);
        size_t end = 0; /* where the head ends: the first verdict */
        for (size_t n = 0; n <= len; n++) {
            char *copy = malloc(n + 1); /* exactly n bytes: ASan sees any over-read */
            memcpy(copy, req, n);
            enum http_verdict got = http_judge(copy, n, CAP);
            free(copy);
            if (got != HTTP_INCOMPLETE) {
                end = n;
                assert_int_equal(got, cases[i].want);
                break;
            }
        }
        assert_true(end > 0);
    }
}

static void test_the_head_is_bounded(void **state)
{
    (void)state;
    char *buf = malloc(CAP);
    const char *line = "GET /metrics HTTP/1.1\r\nX: ";
    memcpy(buf, line, strlen(line));
    memset(buf + strlen(line), 'a', CAP - strlen(line));
    assert_int_equal(http_judge(buf, CAP - 1, CAP), HTTP_INCOMPLETE);
    assert_int_equal(http_judge(buf, CAP, CAP), HTTP_431);
    /* a head that ends exactly at the bound is whole */
    memcpy(buf + CAP - 4, "\r\n\r\n", 4);
    assert_int_equal(http_judge(buf, CAP, CAP), HTTP_200);
    /* and one byte over it is not */
    memcpy(buf + CAP - 4, "a\r\n\r", 4);
    assert_int_equal(http_judge(buf, CAP, CAP), HTTP_431);
    free(buf);
}

static void test_reasons(void **state)
{
    (void)state;
    assert_string_equal(http_reason(HTTP_200), "OK");
    assert_string_equal(http_reason(HTTP_404), "Not Found");
    assert_string_equal(http_reason(HTTP_405), "Method Not Allowed");
    assert_string_equal(http_reason(HTTP_431), "Request Header Fields Too Large");
}

static void test_fuzz_seeds(void **state)
{
    (void)state;
    seed_replay(MNEMO_HTTP_SEEDS_DIR, LLVMFuzzerTestOneInput, 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_requests),
        cmocka_unit_test(test_split_at_every_byte),
        cmocka_unit_test(test_the_head_is_bounded),
        cmocka_unit_test(test_reasons),
        cmocka_unit_test(test_fuzz_seeds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
