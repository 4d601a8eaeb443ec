/*
 * cli_auth.h: mnemo-cli's --auth-file: the user and password it gives
 * servers with ascii authentication (-Y), read from a file of the same
 * "user:password" format (the first such line), never from the command
 * line, where other users of the machine could read it.
 */
#ifndef MNEMO_TOOLS_CLI_AUTH_H
#define MNEMO_TOOLS_CLI_AUTH_H

#include <stddef.h>

struct cli_auth {
    char user[256];
    char pass[1024];
};

/* The first "user:password" line of path into *a.  0, or -1 with one
 * line in err. */
int cli_auth_read(const char *path, struct cli_auth *a, char *err, size_t errlen);

#endif
