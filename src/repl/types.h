/*
 * types.h: the types replication's files and the server share — no
 * functions (so no file depends on another through it).
 */
#ifndef MNEMO_REPL_TYPES_H
#define MNEMO_REPL_TYPES_H

#include <stdbool.h>
#include <stddef.h>

#define REPL_ID_LEN 40 /* hex digits */

/* "stats replication": a field. */
typedef void (*repl_emit_fn)(void *arg, const char *name, const char *value);

#endif
