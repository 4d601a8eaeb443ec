/*
 * types.h: the types replication's files and the server share — no
 * functions (so no file depends on another through it).
 */
#ifndef MNEMO_REPL_TYPES_H
#define MNEMO_REPL_TYPES_H

#include <stdbool.h>
#include <stddef.h>

#define REPL_ID_LEN 40 /* hex digits */

/* The output of one feed: the server's stream to the replica's
 * connection. write may block (the replica is slow) and returns -1 once
 * the connection has gone; flush sends what write staged; gone says
 * whether the connection went; finish ends the stream, closing the
 * connection once sent (called once, last). */
struct repl_feed_io {
    int (*write)(void *arg, const char *data, size_t n); /* n <= 64 KiB */
    void (*flush)(void *arg);
    bool (*gone)(void *arg);
    void (*finish)(void *arg);
    void *arg;
};

/* "stats replication": a field. */
typedef void (*repl_emit_fn)(void *arg, const char *name, const char *value);

#endif
