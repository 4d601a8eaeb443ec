/*
 * connect.c: non-blocking connect + poll, per address.
 */
#include "connect.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "options.h"
#include "tls.h"

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int bench_connect(const struct bench_server *s, unsigned timeout_ms, struct ssl_ctx_st *tls,
                  const char *name, struct bench_tls_conn **tconn, char *err, size_t errlen)
{
    *tconn = NULL;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(s->host, s->port, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve %s: %s", s->host, gai_strerror(rc));
        return -1;
    }
    long long deadline = now_ms() + timeout_ms;
    int fd = -1, last_errno = 0, timed_out = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0) {
            last_errno = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        if (errno == EINPROGRESS) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            int n;
            do {
                long long left = deadline - now_ms();
                n = left > 0 ? poll(&p, 1, (int)left) : 0;
            } while (n < 0 && errno == EINTR);
            if (n == 1) {
                int soerr = 0;
                socklen_t sl = sizeof(soerr);
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
                if (soerr == 0)
                    break;
                last_errno = soerr;
            } else {
                timed_out = 1;
            }
        } else {
            last_errno = errno;
        }
        close(fd);
        fd = -1;
        if (timed_out)
            break;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        if (timed_out)
            snprintf(err, errlen, "cannot connect to %s:%s: timed out after %u ms", s->host,
                     s->port, timeout_ms);
        else
            snprintf(err, errlen, "cannot connect to %s:%s: %s", s->host, s->port,
                     strerror(last_errno ? last_errno : ECONNREFUSED));
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (tls != NULL) {
        char why[256];
        *tconn = bench_tls_handshake(tls, fd, name ? name : s->host, deadline, why, sizeof(why));
        if (*tconn == NULL) {
            snprintf(err, errlen, "%s:%s: %s", s->host, s->port, why);
            close(fd);
            return -1;
        }
    }
    return fd;
}
