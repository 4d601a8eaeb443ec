#include "proto/number.h"

#include <string.h>

struct num {
    uint64_t mag;
    bool neg;
    bool overflow; /* magnitude above UINT64_MAX: strto* report ERANGE */
};

static inline bool is_cspace(unsigned char ch)
{
    return ch == '\t' || ch == '\v' || ch == '\f' || ch == '\r' || ch == '\n' || ch == ' ';
}

static bool scan(const char *str, size_t n, struct num *out)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    uint64_t v = 0;
    bool ovf = false;

    /* Hot path: a token of plain digits, as every client sends. */
    while (i < n && (unsigned)(s[i] - '0') < 10) {
        unsigned d = s[i] - '0';
        ovf |= __builtin_mul_overflow(v, 10, &v);
        ovf |= __builtin_add_overflow(v, d, &v);
        i++;
    }
    out->neg = false;
    if (i == 0) {
        while (i < n && is_cspace(s[i])) {
            i++;
        }
        if (i < n && (s[i] == '+' || s[i] == '-')) {
            out->neg = s[i] == '-';
            i++;
        }
        size_t start = i;
        while (i < n && (unsigned)(s[i] - '0') < 10) {
            unsigned d = s[i] - '0';
            ovf |= __builtin_mul_overflow(v, 10, &v);
            ovf |= __builtin_add_overflow(v, d, &v);
            i++;
        }
        if (i == start) {
            return false;
        }
    }
    if (i < n && !is_cspace(s[i])) {
        return false;
    }
    out->mag = v;
    out->overflow = ovf;
    return true;
}

bool number_u64(const char *s, size_t n, uint64_t *out)
{
    struct num nm;

    if (!scan(s, n, &nm) || nm.overflow) {
        return false;
    }
    uint64_t v = nm.neg ? 0 - nm.mag : nm.mag;
    if ((int64_t)v < 0 && memchr(s, '-', n) != NULL) {
        return false;
    }
    *out = v;
    return true;
}

bool number_u32(const char *s, size_t n, uint32_t *out)
{
    uint64_t v;

    if (!number_u64(s, n, &v) || v > UINT32_MAX) {
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

bool number_i32(const char *s, size_t n, int32_t *out)
{
    struct num nm;

    if (!scan(s, n, &nm) || nm.overflow) {
        return false;
    }
    if (nm.neg ? nm.mag > (uint64_t)INT32_MAX + 1 : nm.mag > (uint64_t)INT32_MAX) {
        return false;
    }
    *out = nm.neg ? (int32_t)(0 - (int64_t)nm.mag) : (int32_t)nm.mag;
    return true;
}

bool number_strict_i32(const char *s, size_t n, int32_t *out)
{
    size_t i = 0;
    bool neg = false;
    uint64_t v = 0;

    if (n > 11) {
        return false;
    }
    if (n > 0 && s[0] == '-') {
        neg = true;
        i = 1;
    }
    for (; i < n; i++) {
        if ((unsigned)(s[i] - '0') >= 10) {
            return false;
        }
        v = v * 10 + (unsigned)(s[i] - '0'); /* at most 11 digits: no overflow */
    }
    if (neg ? v > (uint64_t)INT32_MAX + 1 : v > (uint64_t)INT32_MAX) {
        return false;
    }
    *out = neg ? (int32_t)(0 - (int64_t)v) : (int32_t)v;
    return true;
}

bool number_strict_u64(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    bool ovf = false;

    if (n > 22) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned)(s[i] - '0') >= 10) {
            return false;
        }
        ovf |= __builtin_mul_overflow(v, 10, &v);
        ovf |= __builtin_add_overflow(v, (unsigned)(s[i] - '0'), &v);
    }
    if (ovf) {
        return false;
    }
    *out = v;
    return true;
}
