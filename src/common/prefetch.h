/*
 * prefetch.h: ask for every cache line of a byte range ahead of its use.
 * A hint only: it never faults, so the range may run past mapped memory.
 */
#ifndef MNEMO_COMMON_PREFETCH_H
#define MNEMO_COMMON_PREFETCH_H

#include <stddef.h>
#include <stdint.h>

#define CACHE_LINE 64u

/* The lines of [p, p + len), for reading. */
static inline void prefetch_range(const void *p, size_t len)
{
    uintptr_t end = (uintptr_t)p + len;
    for (uintptr_t line = (uintptr_t)p & ~(uintptr_t)(CACHE_LINE - 1); line < end; line += CACHE_LINE)
        __builtin_prefetch((const void *)line, 0);
}

/* The lines of [p, p + len), about to be written. */
static inline void prefetch_range_for_write(const void *p, size_t len)
{
    uintptr_t end = (uintptr_t)p + len;
    for (uintptr_t line = (uintptr_t)p & ~(uintptr_t)(CACHE_LINE - 1); line < end; line += CACHE_LINE)
        __builtin_prefetch((const void *)line, 1);
}

#endif
