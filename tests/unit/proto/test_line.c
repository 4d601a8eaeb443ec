/*
 * test_line.c: proto/line.h on its own, what text and meta share. The
 * framing: a line ends at "\n" with an optional "\r" before it, waits for
 * more below TEXT_LINE_MAX, and is too long past it unless it is a get
 * line (TEXT_GET_LINE_MAX); split at every byte, a line is found only once
 * its "\n" has arrived. The shared reply lines: each kind's exact bytes, a
 * buffer one byte short (the size needed, nothing written past cap), and
 * the bound, which must cover what is written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/line.h"

static enum parse_status frame(const char *buf, size_t len, bool long_get_ok, size_t *line_len,
                               size_t *consumed)
{
    struct request req;
    request_reset(&req);
    enum parse_status ps = line_frame(&req, buf, len, long_get_ok, line_len, consumed);
    if (ps == PARSE_ERROR)
        assert_int_equal(req.error, REQ_ELINE_TOO_LONG);
    return ps;
}

static void test_line_ends(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t line_len, consumed;
    } cases[] = {
        {"get k\r\n", 5, 7}, {"get k\n", 5, 6}, {"\n", 0, 1}, {"\r\n", 0, 2},
        {"a\rb\n", 3, 4},    {"set k 0 0 1\r\nx\r\n", 11, 13},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *in = cases[i].in;
        size_t len = strlen(in), n = 99, consumed = 99;
        assert_int_equal(frame(in, len, true, &n, &consumed), PARSE_OK);
        assert_int_equal(n, cases[i].line_len);
        assert_int_equal(consumed, cases[i].consumed);
        /* every prefix without the "\n" waits, consuming nothing */
        for (size_t cut = 0; cut < cases[i].consumed; cut++) {
            assert_int_equal(frame(in, cut, true, &n, &consumed), PARSE_AGAIN);
            assert_int_equal(consumed, 0);
        }
    }
}

static void test_line_limits(void **state)
{
    (void)state;
    size_t n, consumed;
    char *buf = malloc(TEXT_LINE_MAX + 2);
    assert_non_null(buf);
    memset(buf, 'x', TEXT_LINE_MAX + 1);
    assert_int_equal(frame(buf, TEXT_LINE_MAX, true, &n, &consumed), PARSE_AGAIN);
    assert_int_equal(frame(buf, TEXT_LINE_MAX + 1, true, &n, &consumed), PARSE_ERROR);
    assert_int_equal(consumed, TEXT_LINE_MAX + 1);
    /* a get line may grow, when the caller allows it (text, not meta) */
    memcpy(buf, "  gets ", 7);
    assert_int_equal(frame(buf, TEXT_LINE_MAX + 1, true, &n, &consumed), PARSE_AGAIN);
    assert_int_equal(frame(buf, TEXT_LINE_MAX + 1, false, &n, &consumed), PARSE_ERROR);
    memcpy(buf, "getx ", 5);
    assert_int_equal(frame(buf, TEXT_LINE_MAX + 1, true, &n, &consumed), PARSE_ERROR);
    /* a long line whose "\n" is already there is served */
    memset(buf, 'x', TEXT_LINE_MAX + 1);
    buf[TEXT_LINE_MAX + 1] = '\n';
    assert_int_equal(frame(buf, TEXT_LINE_MAX + 2, false, &n, &consumed), PARSE_OK);
    assert_int_equal(n, TEXT_LINE_MAX + 1);
    free(buf);
}

static void check_compose(const struct response *rsp, const char *want)
{
    char buf[128];
    size_t len = strlen(want);
    memset(buf, '#', sizeof(buf));
    assert_int_equal(line_compose(rsp, buf, sizeof(buf)), len);
    assert_memory_equal(buf, want, len);
    assert_true(line_compose_bound(rsp) >= len);
    /* one byte short: the size needed, and nothing written */
    memset(buf, '#', sizeof(buf));
    assert_int_equal(line_compose(rsp, buf, len - 1), len);
    assert_int_equal(buf[0], '#');
}

static void test_compose(void **state)
{
    (void)state;
    struct response r;
    memset(&r, 0, sizeof(r));
    r.kind = RSP_ERROR;
    check_compose(&r, "ERROR\r\n");
    r.msg = ": shutdown not enabled";
    r.nmsg = strlen(r.msg);
    check_compose(&r, "ERROR: shutdown not enabled\r\n");
    r.kind = RSP_CLIENT_ERROR;
    r.msg = "bad command line format";
    r.nmsg = strlen(r.msg);
    check_compose(&r, "CLIENT_ERROR bad command line format\r\n");
    r.kind = RSP_SERVER_ERROR;
    r.msg = "out of memory storing object";
    r.nmsg = strlen(r.msg);
    check_compose(&r, "SERVER_ERROR out of memory storing object\r\n");
    r.nmsg = 0;
    check_compose(&r, "SERVER_ERROR\r\n");
    r.kind = RSP_VERSION;
    r.msg = "1.6.45";
    r.nmsg = strlen(r.msg);
    check_compose(&r, "VERSION 1.6.45\r\n");
    r.kind = RSP_STAT;
    r.msg = "pid";
    r.nmsg = 3;
    r.msg2 = "42";
    r.nmsg2 = 2;
    check_compose(&r, "STAT pid 42\r\n");
    r.kind = RSP_LINE;
    r.msg = "NOSPARE source class has no spare pages";
    r.nmsg = strlen(r.msg);
    check_compose(&r, "NOSPARE source class has no spare pages\r\n");
    memset(&r, 0, sizeof(r));
    r.kind = RSP_RESET;
    check_compose(&r, "RESET\r\n");
    /* kinds a protocol writes its own way are not line replies */
    char buf[16];
    r.kind = RSP_STORED;
    assert_int_equal(line_compose(&r, buf, sizeof(buf)), 0);
    assert_int_equal(line_compose_bound(&r), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_ends),
        cmocka_unit_test(test_line_limits),
        cmocka_unit_test(test_compose),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
