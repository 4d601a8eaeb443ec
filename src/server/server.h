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
#include "server/version.h"

struct auth;
struct event_loop;
struct journal;
struct persist;
struct repl;
struct store;
struct tls_server;
struct worker;


struct server {
    struct config cfg;
    struct store *store;
    struct journal *journal;       /* the store's mutations as records (persist, repl) */
    struct persist *persist;       /* NULL without -o persist_dir */
    struct repl *repl;             /* replication: primary, or replica of cfg.replica_of */
    struct auth *auth;             /* -Y: the ascii auth table, else NULL */
    bool sasl;                     /* -S: binary clients authenticate by SASL */
    struct tls_server *tls;        /* -Z: the TLS context, else NULL */
    struct worker **workers;
    int nworkers;
    atomic_uint next_worker;       /* round-robin hand-off of new connections */
    atomic_int curr_conns;         /* open client connections */
    atomic_uint_fast64_t rejected_conns;
    atomic_uint_fast64_t tls_on_plain; /* TLS handshakes where a command was due */
    atomic_bool shutdown_requested;
    atomic_int verbosity;
    atomic_uint oldest_live;       /* "stats settings" oldest: the last flush_all's time */
    int64_t started_unix;          /* wall time at start */
    int nlisteners;
    struct event_loop *main_loop;  /* the listener's loop; stopped to shut down */
    struct admin_state admin;      /* slabs/lru/lru_crawler settings and the crawler */
};

#endif
