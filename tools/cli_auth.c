/*
 * cli_auth.c: see cli_auth.h.
 */
#include "cli_auth.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int cli_auth_read(const char *path, struct cli_auth *a, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "cannot read the auth file %s: %s", path, strerror(errno));
        return -1;
    }
    char line[1400];
    int rc = -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        size_t n = strcspn(line, "\r\n");
        line[n] = '\0';
        if (n == 0)
            continue;
        char *colon = strchr(line, ':');
        size_t nuser = colon != NULL ? (size_t)(colon - line) : 0;
        /* a user with a blank could not be told from its password */
        if (nuser == 0 || nuser >= sizeof(a->user) || strlen(colon + 1) >= sizeof(a->pass) ||
            memchr(line, ' ', nuser) != NULL || memchr(line, '\t', nuser) != NULL)
            break;
        snprintf(a->user, sizeof(a->user), "%.*s", (int)nuser, line);
        snprintf(a->pass, sizeof(a->pass), "%s", colon + 1);
        rc = 0;
        break;
    }
    fclose(f);
    if (rc != 0)
        snprintf(err, errlen, "the auth file %s has no \"user:password\" line first", path);
    return rc;
}
