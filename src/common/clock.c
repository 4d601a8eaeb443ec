/*
 * clock.c: see clock.h. The monotonic coarse clock is a vDSO read (no
 * syscall), cheap enough to call per request.
 */
#include "common/clock.h"

#include <stdatomic.h>
#include <time.h>

static int64_t mono_start;
static int64_t unix_base;
static _Atomic int32_t shift;

static int64_t mono_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec;
}

/* Runs before main (and before any test), so clock_now() needs no lazy init. */
__attribute__((constructor)) static void clock_start(void)
{
    mono_start = mono_seconds();
    unix_base = (int64_t)time(NULL) - CLOCK_EPOCH_OFFSET;
}

uint32_t clock_now(void)
{
    return (uint32_t)(mono_seconds() - mono_start + CLOCK_EPOCH_OFFSET +
                      atomic_load_explicit(&shift, memory_order_relaxed));
}

int64_t clock_unix_base(void)
{
    return unix_base;
}

uint32_t clock_from_unix(int64_t unix_time)
{
    int64_t t = unix_time - unix_base;
    if (t < 1)
        return 1;
    if (t > (int64_t)UINT32_MAX)
        return UINT32_MAX;
    return (uint32_t)t;
}

int64_t clock_to_unix(uint32_t t)
{
    return unix_base + (int64_t)t;
}

void clock_shift(int32_t secs)
{
    atomic_fetch_add(&shift, secs);
}
