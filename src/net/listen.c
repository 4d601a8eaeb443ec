#include "net/listen.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int bind_one(const struct addrinfo *ai, int backlog)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ai->ai_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    /* Set once here: Linux gives an accepted socket the listener's
     * TCP_NODELAY, which spares a system call per connection. */
    if (ai->ai_socktype == SOCK_STREAM)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
        (ai->ai_socktype == SOCK_STREAM && listen(fd, backlog) != 0)) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/* Split "host", "host:port", "[v6]:port" or a bare IPv6 address. */
static void split_host(char *spec, char **host, char **port)
{
    *port = NULL;
    if (spec[0] == '[') {
        char *end = strchr(spec, ']');
        if (end != NULL) {
            *end = '\0';
            *host = spec + 1;
            if (end[1] == ':')
                *port = end + 2;
            return;
        }
    }
    char *colon = strchr(spec, ':');
    if (colon != NULL && strchr(colon + 1, ':') == NULL) {
        *colon = '\0';
        *port = colon + 1;
    }
    *host = spec;
}

static int listen_host(char *spec, int port, int socktype, int backlog, int *fds, int max,
                       int count, char *err, size_t errlen)
{
    char *host, *port_str;
    split_host(spec, &host, &port_str);
    char portbuf[16];
    snprintf(portbuf, sizeof(portbuf), "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = socktype,
                             .ai_flags = AI_PASSIVE};
    struct addrinfo *res = NULL;
    const char *node = (host[0] == '\0' || strcmp(host, "*") == 0) ? NULL : host;
    int rc = getaddrinfo(node, port_str != NULL ? port_str : portbuf, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve listen address '%s': %s", host, gai_strerror(rc));
        return -1;
    }
    int added = 0;
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        if (count + added >= max)
            break;
        int fd = bind_one(ai, backlog);
        if (fd < 0) {
            /* An address family the machine lacks is not fatal if another binds. */
            if (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL)
                continue;
            snprintf(err, errlen, "cannot listen on %s port %s: %s", host,
                     port_str != NULL ? port_str : portbuf, strerror(errno));
            for (int i = 0; i < added; i++)
                close(fds[count + i]);
            freeaddrinfo(res);
            return -1;
        }
        fds[count + added++] = fd;
    }
    freeaddrinfo(res);
    if (added == 0) {
        snprintf(err, errlen, "cannot listen on '%s': no usable address", host);
        return -1;
    }
    return added;
}

static int listen_inet(const char *hosts, int port, int socktype, int backlog, int *fds, int max,
                       char *err, size_t errlen)
{
    char *copy = strdup(hosts);
    if (copy == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int count = 0;
    char *save = NULL;
    for (char *spec = strtok_r(copy, ",", &save); spec != NULL; spec = strtok_r(NULL, ",", &save)) {
        int n = listen_host(spec, port, socktype, backlog, fds, max, count, err, errlen);
        if (n < 0) {
            for (int i = 0; i < count; i++)
                close(fds[i]);
            free(copy);
            return -1;
        }
        count += n;
    }
    free(copy);
    if (count == 0) {
        snprintf(err, errlen, "no listen address given");
        return -1;
    }
    return count;
}

int listen_tcp(const char *hosts, int port, int backlog, int *fds, int max, char *err,
               size_t errlen)
{
    return listen_inet(hosts, port, SOCK_STREAM, backlog, fds, max, err, errlen);
}

int listen_udp(const char *hosts, int port, int *fds, int max, char *err, size_t errlen)
{
    return listen_inet(hosts, port, SOCK_DGRAM, 0, fds, max, err, errlen);
}

int listen_unix(const char *path, int mask, int backlog, char *err, size_t errlen)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(addr.sun_path)) {
        snprintf(err, errlen, "unix socket path too long: %s", path);
        return -1;
    }
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path);
    mode_t old = umask((mode_t)(~mask & 0777));
    int rc = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
    umask(old);
    if (rc != 0 || listen(fd, backlog) != 0) {
        snprintf(err, errlen, "cannot listen on unix socket %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int listen_accept(int lfd)
{
    /* TCP_NODELAY comes from the listener (bind_one) */
    return accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int listen_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -1;
}
