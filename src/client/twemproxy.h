/*
 * twemproxy.h: nutcracker 0.5's ketama continuum ("distribution: ketama"),
 * built into the same struct ketama as libmemcached's so that lookups and
 * the walk past ejected servers are shared (ketama_find).  The key hash is
 * twemproxy_hash.h's.  Knows server names and weights only, never
 * connections.
 */
#ifndef MNEMO_CLIENT_TWEMPROXY_H
#define MNEMO_CLIENT_TWEMPROXY_H

#include <stddef.h>

#include "client/ketama.h"

/*
 * Build the continuum nutcracker builds for a pool listing these n servers
 * as "host:port:weight" lines without names, every server live.  Previous
 * content of *k is freed.  Returns 0, or -1 on allocation failure (k left
 * empty).
 */
int twemproxy_build(struct ketama *k, const struct ketama_server *servers, size_t n);

#endif
