/*
 * http.c: see http.h. The request line is METHOD SP TARGET SP VERSION,
 * each header "name: value", lines end in CRLF and a blank line ends the
 * head (RFC 9112). A bare LF is taken as a line end too, as RFC 9112 2.2
 * lets a recipient do, so "printf 'GET /metrics HTTP/1.0\n\n' | nc" works.
 */
#include "metrics/http.h"

#include <stdbool.h>
#include <string.h>

/* The head's length including its blank line, or 0 while it is not
 * complete in buf[0..len). */
static size_t head_length(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != '\n')
            continue;
        /* a line end: is the next line empty? */
        if (i + 1 < len && buf[i + 1] == '\n')
            return i + 2;
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

/* RFC 9110's tchar: what a method or a header name is made of. */
static bool is_tchar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A line of the head without its line end: [*line, *line + *n). Advances
 * *pos past the line end. */
static void next_line(const char *buf, size_t *pos, const char **line, size_t *n)
{
    size_t start = *pos, i = start;
    while (buf[i] != '\n')
        i++;
    *pos = i + 1;
    *line = buf + start;
    *n = i - start;
    if (*n > 0 && (*line)[*n - 1] == '\r')
        (*n)--;
}

/* A header line: a token, a colon, then visible characters, spaces and
 * tabs. No obsolete line folding, no space before the colon (RFC 9112 5.1
 * says to reject it). */
static bool header_ok(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && is_tchar(s[i]))
        i++;
    if (i == 0 || i == n || s[i] != ':')
        return false;
    for (i++; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 && c != '\t')
            return false;
        if (c == 0x7f)
            return false;
    }
    return true;
}

enum http_verdict http_judge(const char *buf, size_t len, size_t cap)
{
    size_t head = head_length(buf, len < cap ? len : cap);
    if (head == 0)
        return len >= cap ? HTTP_431 : HTTP_INCOMPLETE;
    size_t pos = 0, n;
    const char *line;
    next_line(buf, &pos, &line, &n);
    /* METHOD SP TARGET SP HTTP/1.x, single spaces */
    size_t m = 0;
    while (m < n && is_tchar(line[m]))
        m++;
    if (m == 0 || m >= n || line[m] != ' ')
        return HTTP_400;
    const char *target = line + m + 1;
    size_t rest = n - m - 1, t = 0;
    while (t < rest && line[m + 1 + t] > ' ' && line[m + 1 + t] != 0x7f)
        t++;
    if (t == 0 || t >= rest || target[t] != ' ' || target[0] != '/')
        return HTTP_400;
    const char *version = target + t + 1;
    size_t nversion = rest - t - 1;
    if (nversion != 8 || (memcmp(version, "HTTP/1.1", 8) != 0 && memcmp(version, "HTTP/1.0", 8) != 0))
        return HTTP_400;
    for (;;) {
        next_line(buf, &pos, &line, &n);
        if (n == 0)
            break;
        if (!header_ok(line, n))
            return HTTP_400;
    }
    /* the path, up to a query string (ignored: Prometheus adds none, but a
     * scraper with params must not get a 404) */
    size_t path = 0;
    while (path < t && target[path] != '?')
        path++;
    if (path != 8 || memcmp(target, "/metrics", 8) != 0)
        return HTTP_404;
    if (m != 3 || memcmp(buf, "GET", 3) != 0)
        return HTTP_405;
    return HTTP_200;
}

const char *http_reason(enum http_verdict v)
{
    switch (v) {
    case HTTP_200:
        return "OK";
    case HTTP_400:
        return "Bad Request";
    case HTTP_404:
        return "Not Found";
    case HTTP_405:
        return "Method Not Allowed";
    case HTTP_431:
        return "Request Header Fields Too Large";
    case HTTP_INCOMPLETE:
        break;
    }
    return "Error";
}
