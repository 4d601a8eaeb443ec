/*
 * hostport.h: "HOST:PORT" as options and admin commands take an address
 * (HOST may be an IPv6 literal in brackets: "[::1]:11211").
 */
#ifndef MNEMO_COMMON_HOSTPORT_H
#define MNEMO_COMMON_HOSTPORT_H

#include <stddef.h>

/* Parse the n bytes at s: host (without brackets) into host, port 1..65535
 * into *port. 0, or -1 (nothing written) when it is not such an address
 * or the host does not fit in hostcap. */
int hostport_parse(const char *s, size_t n, char *host, size_t hostcap, int *port);

#endif
