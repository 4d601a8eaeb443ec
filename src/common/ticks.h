/*
 * ticks.h: a counter for timing short spans on a hot path (the latency
 * histograms time every request), and its conversion to nanoseconds.
 *
 * Where the CPU's time-stamp counter runs at a constant rate through
 * every power state and the kernel keeps its own time by it (clocksource
 * "tsc"), a tick is a TSC count: reading it costs a third of a vDSO
 * clock_gettime (measured on this project's machine: 9 against 20 ns, 2%
 * of a pipeline-16 get). Elsewhere, or until ticks_init() has run, a tick
 * is a nanosecond of CLOCK_MONOTONIC. Either way ticks only go forward,
 * on every core alike.
 */
#ifndef MNEMO_COMMON_TICKS_H
#define MNEMO_COMMON_TICKS_H

#include <stdint.h>
#include <time.h>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

/* Nanoseconds per tick in 32.32 fixed point; 0 while ticks are nanoseconds.
 * Set once, by ticks_init(), before the threads that read it start. */
extern uint64_t ticks_ns_mult;

/* Measure the TSC against CLOCK_MONOTONIC (about 2 ms, busy) and use it
 * from now on, if it can be trusted; else keep CLOCK_MONOTONIC. Call once,
 * before any thread that times with ticks starts. */
void ticks_init(void);

/* CLOCK_MONOTONIC in nanoseconds: the ticks before ticks_init, and what
 * ticks_init measures the TSC against. */
static inline uint64_t ticks_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t ticks_now(void)
{
#if defined(__x86_64__)
    if (ticks_ns_mult != 0)
        return __rdtsc();
#endif
    return ticks_mono_ns();
}

/* A span of ticks in nanoseconds. */
static inline uint64_t ticks_to_ns(uint64_t ticks)
{
    if (ticks_ns_mult == 0)
        return ticks;
    /* in two halves: no product overflows while the multiplier is below
     * 2^32 (a TSC of at least 1 GHz; ticks_init keeps to that) */
    return (ticks >> 32) * ticks_ns_mult + (((ticks & 0xffffffffu) * ticks_ns_mult) >> 32);
}

#endif
