/*
 * clock_fresh.h: for unit tests that step the server clock by hand
 * (clock_shift) and check exact boundaries: the current second, read just
 * after it turned, so the test has about a second before the real clock
 * moves a boundary under it. Waits for the tick (at most a second), never
 * for a guessed time.
 */
#ifndef MNEMO_TESTS_CLOCK_FRESH_H
#define MNEMO_TESTS_CLOCK_FRESH_H

#include <stdint.h>

#include "common/clock.h"

static inline uint32_t clock_fresh_now(void)
{
    uint32_t t = clock_now();
    while (clock_now() == t)
        ;
    return clock_now();
}

#endif
