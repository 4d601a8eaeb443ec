/*
 * log.h: leveled logging to stderr. The level is set once at start (-v, -vv,
 * -vvv); a message below the level costs one comparison. Messages are single
 * lines, never interleaved between threads. Between log_start() and
 * log_stop() they go through a bounded queue written by a thread of its own,
 * so a slow or stalled stderr never stalls the thread that logs: when the
 * queue is full, lines are dropped and counted.
 */
#ifndef MNEMO_COMMON_LOG_H
#define MNEMO_COMMON_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

extern int log_level_current;

#include <stdint.h>

void log_set_level(int level);

/* Queue lines from now on (0), or -1 when the writer thread cannot start
 * (lines are then written at once, as before). */
int log_start(void);
/* Write what is queued (waiting at most a second for stderr) and go back
 * to writing lines at once. */
void log_stop(void);
/* Lines dropped because the queue was full. */
uint64_t log_dropped(void);
void log_write(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_error(...) log_write(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)                                                                   \
    do {                                                                                \
        if (log_level_current >= LOG_WARN)                                              \
            log_write(LOG_WARN, __VA_ARGS__);                                           \
    } while (0)
#define log_info(...)                                                                   \
    do {                                                                                \
        if (log_level_current >= LOG_INFO)                                              \
            log_write(LOG_INFO, __VA_ARGS__);                                           \
    } while (0)
#define log_debug(...)                                                                  \
    do {                                                                                \
        if (log_level_current >= LOG_DEBUG)                                             \
            log_write(LOG_DEBUG, __VA_ARGS__);                                          \
    } while (0)

#endif
