/*
 * hostport.c: see hostport.h.
 */
#include "common/hostport.h"

#include <string.h>

int hostport_parse(const char *s, size_t n, char *host, size_t hostcap, int *port)
{
    const char *colon = NULL;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ':')
            colon = s + i;
    size_t digits = colon != NULL ? (size_t)(s + n - colon - 1) : 0;
    if (colon == NULL || colon == s || digits == 0 || digits > 5)
        return -1;
    const char *h = s;
    size_t hn = (size_t)(colon - s);
    if (h[0] == '[') { /* [v6]:port */
        if (hn < 3 || h[hn - 1] != ']')
            return -1;
        h++;
        hn -= 2;
    } else if (memchr(h, ':', hn) != NULL) {
        return -1; /* a bare v6 literal is ambiguous: brackets, please */
    }
    if (hn >= hostcap || memchr(h, ' ', hn) != NULL)
        return -1;
    long p = 0;
    for (const char *c = colon + 1; c < s + n; c++) {
        if (*c < '0' || *c > '9')
            return -1;
        p = p * 10 + (*c - '0');
    }
    if (p < 1 || p > 65535)
        return -1;
    memcpy(host, h, hn);
    host[hn] = '\0';
    *port = (int)p;
    return 0;
}
