/*
 * log.h: leveled logging to stderr. The level is set once at start (-v, -vv,
 * -vvv); a message below the level costs one comparison. Messages are single
 * lines written with one write(2), so lines from threads never interleave.
 */
#ifndef MNEMO_COMMON_LOG_H
#define MNEMO_COMMON_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

extern int log_level_current;

void log_set_level(int level);
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
