/*
 * http.h: the one request the metrics endpoint understands, read strictly
 * from the bytes a client sent: an HTTP/1.0 or 1.1 request line and its
 * header block. Pure: no I/O, no allocation, so it is unit-tested byte by
 * byte. Anything it is not sure of is a 400, never a guess.
 */
#ifndef MNEMO_METRICS_HTTP_H
#define MNEMO_METRICS_HTTP_H

#include <stddef.h>

/* What a request asks for, as the status to answer it with. */
enum http_verdict {
    HTTP_INCOMPLETE = 0, /* no blank line yet: read more (up to the bound) */
    HTTP_200 = 200,      /* GET /metrics, a query string allowed and ignored */
    HTTP_400 = 400,      /* not a well-formed HTTP/1.x request head */
    HTTP_404 = 404,      /* another path */
    HTTP_405 = 405,      /* /metrics with another method than GET */
    HTTP_431 = 431,      /* the head is larger than the bound */
};

/* Judge the len bytes a client sent so far. cap is the largest head
 * accepted: once len reaches it without the blank line that ends the head,
 * the verdict is HTTP_431. Bytes after the head (a body) are not looked at. */
enum http_verdict http_judge(const char *buf, size_t len, size_t cap);

/* The reason phrase of a verdict ("OK", "Not Found", ...). */
const char *http_reason(enum http_verdict v);

#endif
