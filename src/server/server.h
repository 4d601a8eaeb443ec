/*
 * server.h: the state of one mnemod process, passed explicitly (no global
 * server struct) to the modules that need it: workers, exec, stats.
 */
#ifndef MNEMO_SERVER_SERVER_H
#define MNEMO_SERVER_SERVER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "server/admin.h"
#include "server/config.h"

struct event_loop;
struct store;
struct worker;

/* What "version" (text, meta and binary) and "stats" report: the memcached
 * release whose protocol, flags and stats mnemod follows, as a plain x.y.z
 * that version parsers accept (Perl's version->parse, Python's packaging,
 * node's semver all refused "1.6.18-mnemo-0.1.0"). mnemo's own version is
 * in "stats" (mnemo_version) and -V. */
#define SERVER_VERSION "1.6.45"

struct server {
    struct config cfg;
    struct store *store;
    struct worker **workers;
    int nworkers;
    atomic_uint next_worker;       /* round-robin hand-off of new connections */
    atomic_int curr_conns;         /* open client connections */
    atomic_uint_fast64_t rejected_conns;
    atomic_bool shutdown_requested;
    atomic_int verbosity;
    atomic_uint oldest_live;       /* "stats settings" oldest: the last flush_all's time */
    int64_t started_unix;          /* wall time at start */
    int nlisteners;
    struct event_loop *main_loop;  /* the listener's loop; stopped to shut down */
    struct admin_state admin;      /* slabs/lru/lru_crawler settings and the crawler */
};

#endif
