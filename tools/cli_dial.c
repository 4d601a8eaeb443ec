/*
 * cli_dial.c: see cli_dial.h.
 */
#include "cli_dial.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int cli_dial(const char *name, int connect_ms, int reply_ms)
{
    const char *colon = strrchr(name, ':');
    char host[300];
    size_t nhost = (size_t)(colon - name);
    const char *h = name;
    if (h[0] == '[') {
        h++;
        nhost -= 2;
    }
    snprintf(host, sizeof(host), "%.*s", (int)nhost, h);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0) {
        errno = EHOSTUNREACH;
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        struct timeval snd = {connect_ms / 1000, (connect_ms % 1000) * 1000};
        struct timeval rcv = {reply_ms / 1000, (reply_ms % 1000) * 1000};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &snd, sizeof(snd));
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rcv, sizeof(rcv));
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            int e = errno == EINPROGRESS ? ETIMEDOUT : errno;
            close(fd);
            fd = -1;
            errno = e;
        }
    }
    freeaddrinfo(res);
    return fd;
}
