/*
 * clock.c: see clock.h. The monotonic coarse clock is a vDSO read (no
 * syscall), cheap enough to call per request.
 *
 * The clock ticks when the wall clock's second turns (as seen at start),
 * not a whole second after the process started: every process then agrees
 * on which second it is. That matters once data outlives the process (the
 * append log): an item a client saw expire, or a flush_all it saw take
 * effect, has done so by the wall clock too, so the next process, reading
 * the log, agrees.
 *
 * The wall clock can be stepped while the process runs (NTP's first sync
 * after boot, an operator's date -s; monotonic time is not). Rel times keep
 * following the monotonic clock, but conversions to and from Unix time add
 * the whole seconds the wall clock has been stepped since start: an
 * absolute expiry written to the log is then right by the wall clock the
 * next process starts with, instead of off by the step.
 */
#include "common/clock.h"

#include <stdatomic.h>
#include <time.h>

/* wall time = monotonic time + wall_minus_mono_s seconds + phase_ns, as at
 * start (phase_ns in [0, 1e9)); clock_now() adds base_s = wall_minus_mono_s
 * - unix_base, and needs no division. */
static int64_t base_s;
static long phase_ns;
static int64_t unix_base;
static _Atomic int32_t shift;
static int64_t coarse_wall_minus_mono_ns; /* at start */
static _Atomic int32_t wall_test_step;

static int64_t ns_of(const struct timespec *ts)
{
    return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

/* Runs before main (and before any test), so clock_now() needs no lazy init. */
__attribute__((constructor)) static void clock_start(void)
{
    struct timespec wall, mono;
    clock_gettime(CLOCK_REALTIME, &wall);
    clock_gettime(CLOCK_MONOTONIC_COARSE, &mono);
    int64_t d = ns_of(&wall) - ns_of(&mono);
    struct timespec wall_c;
    clock_gettime(CLOCK_REALTIME_COARSE, &wall_c);
    clock_gettime(CLOCK_MONOTONIC_COARSE, &mono);
    coarse_wall_minus_mono_ns = ns_of(&wall_c) - ns_of(&mono);
    int64_t s = d / 1000000000;
    if (d - s * 1000000000 < 0)
        s--; /* floor */
    phase_ns = (long)(d - s * 1000000000);
    unix_base = (int64_t)wall.tv_sec - CLOCK_EPOCH_OFFSET;
    base_s = s - unix_base;
}

uint32_t clock_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    int64_t t = (int64_t)ts.tv_sec + base_s + (ts.tv_nsec + phase_ns >= 1000000000L);
    return (uint32_t)(t + atomic_load_explicit(&shift, memory_order_relaxed));
}

int64_t clock_unix_base(void)
{
    return unix_base;
}

int64_t clock_wall_step(void)
{
    struct timespec wall, mono;
    /* The coarse clocks are both the last tick's time, so their difference
     * is exact (and reading them costs no TSC read): it changes by steps
     * only, slewing moving both alike. */
    clock_gettime(CLOCK_REALTIME_COARSE, &wall);
    clock_gettime(CLOCK_MONOTONIC_COARSE, &mono);
    int64_t moved = ns_of(&wall) - ns_of(&mono) - coarse_wall_minus_mono_ns;
    int64_t s = (moved + (moved < 0 ? -500000000 : 500000000)) / 1000000000;
    return s + atomic_load_explicit(&wall_test_step, memory_order_relaxed);
}

uint32_t clock_from_unix(int64_t unix_time)
{
    /* Compared before subtracting: a time from a record (a log, a stream)
     * may be any 64-bit value, and INT64_MIN less the base overflowed to a
     * time far ahead, so an item touched to expire long ago never did. */
    int64_t zero = unix_base + clock_wall_step(); /* the Unix time of clock 0 */
    if (unix_time <= zero)
        return 1;
    uint64_t t = (uint64_t)unix_time - (uint64_t)zero;
    return t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

int64_t clock_to_unix(uint32_t t)
{
    return unix_base + clock_wall_step() + (int64_t)t;
}

void clock_shift(int32_t secs)
{
    atomic_fetch_add(&shift, secs);
}

void clock_step_wall_for_test(int32_t secs)
{
    atomic_fetch_add(&wall_test_step, secs);
}

void clock_deadline_ms(struct timespec *out, int id, long ms)
{
    clock_gettime((clockid_t)id, out);
    out->tv_sec += ms / 1000;
    out->tv_nsec += (ms % 1000) * 1000000L;
    if (out->tv_nsec >= 1000000000L) {
        out->tv_sec++;
        out->tv_nsec -= 1000000000L;
    }
}
