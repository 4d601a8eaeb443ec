/*
 * cli_auth.c: see cli_auth.h.
 */
#include "cli_auth.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

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

int cli_auth_send(int fd, const struct cli_auth *a)
{
    char msg[1400], reply[64];
    size_t nu = strlen(a->user), np = strlen(a->pass);
    int n = snprintf(msg, sizeof(msg), "set mnemo_auth 0 -1 %zu\r\n%s %s\r\n", nu + 1 + np, a->user,
                     a->pass);
    if (n < 0 || (size_t)n >= sizeof(msg) || send(fd, msg, (size_t)n, MSG_NOSIGNAL) != n)
        return -1;
    size_t got = 0;
    while (got < sizeof(reply) - 1 && (got == 0 || reply[got - 1] != '\n')) {
        ssize_t r = recv(fd, reply + got, 1, 0); /* a byte at a time: nothing past the line */
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    if (got != 8 || memcmp(reply, "STORED\r\n", 8) != 0) {
        errno = EACCES;
        return -1;
    }
    return 0;
}
