/*
 * clock.h: the server clock, in whole seconds.
 *
 * Expiry times are kept relative to process start in 32 bits, as memcached
 * does: rel times start at CLOCK_EPOCH_OFFSET (so 1 is always in the past)
 * and follow the monotonic clock, so wall-clock jumps do not expire items.
 * Absolute Unix times from clients are converted with the wall time seen at
 * start. Thread-safe; never blocks.
 */
#ifndef MNEMO_COMMON_CLOCK_H
#define MNEMO_COMMON_CLOCK_H

#include <stdint.h>

#define CLOCK_EPOCH_OFFSET 2u

/* Seconds since process start, plus CLOCK_EPOCH_OFFSET. */
uint32_t clock_now(void);

/* Unix time at which clock_now() read 0. */
int64_t clock_unix_base(void);

/* Whole seconds the wall clock has been stepped since start (rounded to
 * the nearest; 0 while it has only been slewed). */
int64_t clock_wall_step(void);

/* Unix time -> server clock (clamped to [1, UINT32_MAX]), by the wall
 * clock as it reads now: a step since start is taken into account. */
uint32_t clock_from_unix(int64_t unix_time);

/* Server clock -> Unix time, by the wall clock as it reads now. */
int64_t clock_to_unix(uint32_t t);

/* The time ms milliseconds from now on clock id (a deadline for
 * pthread_cond_timedwait: CLOCK_REALTIME unless the condition variable
 * was set to another clock). */
struct timespec;
void clock_deadline_ms(struct timespec *out, int id, long ms);

/* For tests only: move the clock forward by secs (cumulative). */
void clock_shift(int32_t secs);

/* For tests only: behave as if the wall clock had been stepped by secs
 * (cumulative), the monotonic clock not. */
void clock_step_wall_for_test(int32_t secs);

#endif
