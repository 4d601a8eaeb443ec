/*
 * base64.c: RFC 4648 alphabet, memcached-compatible decode (see base64.h).
 * Pure: no allocation, no I/O.
 */
#include "proto/base64.h"

#include <stdint.h>

static const char alphabet[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

#define B64_SKIP 0x80

/* Symbol value of one byte, '=' as 0, B64_SKIP outside the alphabet. */
static inline unsigned sym(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return (unsigned)(c - 'A');
    }
    if (c >= 'a' && c <= 'z') {
        return (unsigned)(c - 'a') + 26;
    }
    if (c >= '0' && c <= '9') {
        return (unsigned)(c - '0') + 52;
    }
    switch (c) {
    case '+':
        return 62;
    case '/':
        return 63;
    case '=':
        return 0;
    default:
        return B64_SKIP;
    }
}

size_t base64_encode(const unsigned char *src, size_t n, char *out)
{
    char *o = out;
    size_t i = 0;

    for (; n - i >= 3; i += 3) {
        uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];
        *o++ = alphabet[v >> 18];
        *o++ = alphabet[(v >> 12) & 63];
        *o++ = alphabet[(v >> 6) & 63];
        *o++ = alphabet[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)src[i] << 16 | (n - i == 2 ? (uint32_t)src[i + 1] << 8 : 0);
        *o++ = alphabet[v >> 18];
        *o++ = alphabet[(v >> 12) & 63];
        *o++ = n - i == 2 ? alphabet[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    return (size_t)(o - out);
}

size_t base64_decode(const char *src, size_t n, unsigned char *out)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t count = 0;

    for (size_t i = 0; i < n; i++) {
        count += sym(s[i]) != B64_SKIP;
    }
    if (count == 0 || count % 4 != 0) {
        return 0;
    }

    unsigned char *o = out;
    uint32_t block = 0;
    unsigned have = 0;
    unsigned pad = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned v = sym(s[i]);
        if (v == B64_SKIP) {
            continue;
        }
        pad += s[i] == '=';
        block = block << 6 | v;
        if (++have < 4) {
            continue;
        }
        *o++ = (unsigned char)(block >> 16);
        *o++ = (unsigned char)(block >> 8);
        *o++ = (unsigned char)block;
        have = 0;
        block = 0;
        if (pad > 0) {
            /* memcached stops at the first padded group, whatever follows. */
            if (pad > 2) {
                return 0;
            }
            o -= pad;
            break;
        }
    }
    return (size_t)(o - out);
}
