#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

int log_level_current = LOG_WARN;

void log_set_level(int level)
{
    log_level_current = level;
}

void log_write(enum log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    char line[1024];
    int n = snprintf(line, sizeof(line), "mnemod: %s: ", names[level]);
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    /* One write per line: no interleaving between threads, no stdio lock. */
    ssize_t ignored = write(STDERR_FILENO, line, (size_t)n);
    (void)ignored;
}
