/*
 * ticks.c: see ticks.h. Hand-rolled rather than taken from a library: the
 * point is one instruction on the hot path, and the calibration is a
 * dozen lines.
 */
#include "common/ticks.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

uint64_t ticks_ns_mult;

#define CALIBRATE_NS 2000000u /* 2 ms: the pairs' read error (tens of ns) is 1e-5 of it */

#if defined(__x86_64__)
/* The TSC keeps one rate in every power state (CPUID's invariant TSC bit)
 * and the kernel found it good enough to keep time by: then it is also in
 * step across cores (the kernel checks that before it chooses it). */
static bool tsc_trusted(void)
{
    unsigned a, b, c, d;
    if (__get_cpuid(0x80000000u, &a, &b, &c, &d) == 0 || a < 0x80000007u)
        return false;
    __get_cpuid(0x80000007u, &a, &b, &c, &d);
    if ((d & (1u << 8)) == 0)
        return false;
    char name[32] = "";
    FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
    if (f != NULL) {
        if (fgets(name, sizeof(name), f) == NULL)
            name[0] = '\0';
        fclose(f);
    }
    return strcmp(name, "tsc\n") == 0 || strcmp(name, "tsc") == 0;
}

/* A TSC reading and the monotonic time it was taken at: the reading
 * between two clock reads that were closest together of a few tries. */
static void pair(uint64_t *ns, uint64_t *tsc)
{
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 5; i++) {
        uint64_t before = ticks_mono_ns();
        uint64_t t = __rdtsc();
        uint64_t after = ticks_mono_ns();
        if (after - before < best) {
            best = after - before;
            *ns = before + (after - before) / 2;
            *tsc = t;
        }
    }
}
#endif

void ticks_init(void)
{
#if defined(__x86_64__)
    if (ticks_ns_mult != 0 || !tsc_trusted())
        return;
    uint64_t n0, t0, n1, t1;
    pair(&n0, &t0);
    do {
        pair(&n1, &t1);
    } while (n1 - n0 < CALIBRATE_NS);
    /* (n1 - n0) << 32 fits: the span is a few ms. A TSC slower than 1 GHz
     * (a multiplier of 2^32 or more) stays on CLOCK_MONOTONIC. */
    uint64_t mult = t1 > t0 ? ((n1 - n0) << 32) / (t1 - t0) : 0;
    if (mult < (UINT64_C(1) << 32))
        ticks_ns_mult = mult;
#endif
}
