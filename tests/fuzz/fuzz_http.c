/*
 * fuzz_http.c: libFuzzer target for the metrics endpoint's request reader
 * (metrics/http.c), which judges whatever bytes a client sends to
 * -o metrics_port.
 *
 * The input's first byte picks the bound on the head (cap, 16 bytes to
 * 8 KB); the rest is what the client sent (an exact-size copy, so a read
 * past it is caught). Checks:
 *  - the verdict is one of http.h's, with a reason phrase;
 *  - INCOMPLETE only below the bound, 431 only at or past it;
 *  - a verdict on a complete head does not change when more bytes follow
 *    it (a body, a second request): the head ends at its first blank line;
 *  - 200 only for "GET /metrics" followed by a space or a query string,
 *    405 only for /metrics with another method;
 *  - the same bytes, the same verdict.
 *
 * Also compiled into tests/unit/metrics/test_http.c (FUZZ_CHECK mapped to
 * cmocka), so every seed in seeds/http/ is a unit test.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/http.h"

#include "fuzz_check.h"

static const char http_more[] = "GET /other HTTP/1.1\r\n\r\nbody";

static bool valid_verdict(enum http_verdict v)
{
    return v == HTTP_INCOMPLETE || v == HTTP_200 || v == HTTP_400 || v == HTTP_404 ||
           v == HTTP_405 || v == HTTP_431;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    size_t cap = 16 + (size_t)data[0] * 32; /* 16 .. 8176 */
    size_t n = size - 1;
    char *buf = malloc(n > 0 ? n : 1);
    FUZZ_CHECK(buf != NULL);
    memcpy(buf, data + 1, n);

    enum http_verdict v = http_judge(buf, n, cap);
    FUZZ_CHECK(valid_verdict(v));
    FUZZ_CHECK(http_reason(v) != NULL);
    FUZZ_CHECK(v != HTTP_INCOMPLETE || n < cap);
    FUZZ_CHECK(v != HTTP_431 || n >= cap);
    FUZZ_CHECK(http_judge(buf, n, cap) == v);
    if (v == HTTP_200) {
        FUZZ_CHECK(n > 12 && memcmp(buf, "GET /metrics", 12) == 0 &&
                   (buf[12] == ' ' || buf[12] == '?'));
    }
    if (v == HTTP_405) {
        const char *sp = memchr(buf, ' ', n);
        FUZZ_CHECK(sp != NULL && (size_t)(sp - buf) + 9 <= n &&
                   memcmp(sp + 1, "/metrics", 8) == 0 && !(sp - buf == 3 && memcmp(buf, "GET", 3) == 0));
    }
    if (v != HTTP_INCOMPLETE && v != HTTP_431) {
        size_t m = n + sizeof(http_more) - 1;
        char *longer = malloc(m);
        FUZZ_CHECK(longer != NULL);
        memcpy(longer, buf, n);
        memcpy(longer + n, http_more, sizeof(http_more) - 1);
        FUZZ_CHECK(http_judge(longer, m, cap) == v);
        free(longer);
    }
    free(buf);
    return 0;
}
