/*
 * main.c: mnemod's start and stop. Parses the command line, binds the
 * listeners (so a bad address fails before daemonizing), creates the store
 * and the workers, then runs the listener loop in the main thread: accept,
 * enforce -c, hand each socket to a worker round-robin. SIGTERM/SIGINT (via
 * signalfd) or "shutdown" stop everything cleanly.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/ticks.h"
#include "net/event.h"
#include "metrics/metrics.h"
#include "net/listen.h"
#include "net/tls.h"
#include "net/tls_stream.h"
#include "persist/journal.h"
#include "persist/persist.h"
#include "repl/repl.h"
#include "server/auth.h"
#include "server/config.h"
#include "server/sasl.h"
#include "server/metrics_source.h"
#include "server/server.h"
#include "server/session.h"
#include "server/udp.h"
#include "server/worker.h"
#include "store/store.h"

/* Reclaim expired items in slices, off the request path. The pace adapts:
 * while slices find expired items the next one follows quickly (a mass
 * expiry is cleared within seconds); while they find nothing the pause
 * doubles up to a second, so an idle or TTL-less cache costs no CPU. With
 * the LRU crawler off (no_lru_crawler, "lru_crawler disable") expired items
 * wait to be read or evicted, as in memcached; the store's housekeeping of
 * its segments goes on. */
#define RECLAIM_VISITS 20000
#define RECLAIM_FAST_MS 10
#define RECLAIM_IDLE_MAX_MS 1000

struct listener {
    struct event_handler ev;
    struct server *srv;
    bool tls;             /* its connections are TLS (-Z, no notls: prefix) */
    enum tls_listen mode; /* and how their certificates are asked for */
};

struct maintainer {
    struct server *srv;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
};

static void *maintainer_main(void *arg)
{
    struct maintainer *m = arg;
    long pause_ms = RECLAIM_FAST_MS;
    pthread_mutex_lock(&m->lock);
    while (!m->stop) {
        pthread_mutex_unlock(&m->lock);
        size_t visits = admin_crawler_enabled(&m->srv->admin) ? RECLAIM_VISITS : 0;
        size_t reclaimed = store_reclaim_expired(m->srv->store, visits);
        pause_ms = reclaimed > 0 ? RECLAIM_FAST_MS
                                 : (pause_ms * 2 > RECLAIM_IDLE_MAX_MS ? RECLAIM_IDLE_MAX_MS : pause_ms * 2);
        pthread_mutex_lock(&m->lock);
        struct timespec until;
        clock_deadline_ms(&until, CLOCK_REALTIME, pause_ms);
        if (!m->stop)
            pthread_cond_timedwait(&m->cond, &m->lock, &until);
    }
    pthread_mutex_unlock(&m->lock);
    return NULL;
}

static void reject(struct server *srv, int fd)
{
    /* Counted first: a client that has read the error and seen the close
     * must find it in stats (counted after the close, a stats request of
     * its under TSan came first). Then memcached's words for a connection
     * over -c, and the close. */
    atomic_fetch_add(&srv->rejected_conns, 1);
    static const char msg[] = "ERROR Too many open connections\r\n";
    ssize_t ignored = write(fd, msg, sizeof(msg) - 1);
    (void)ignored;
    close(fd);
}

static void on_accept(struct event_handler *h, uint32_t events)
{
    struct listener *l = h->arg;
    struct server *srv = l->srv;
    for (int i = 0; i < 64; i++) {
        int fd = listen_accept(h->fd);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE)
                log_warn("accept: %s", strerror(errno));
            return;
        }
        if (atomic_fetch_add(&srv->curr_conns, 1) >= srv->cfg.maxconns) {
            atomic_fetch_sub(&srv->curr_conns, 1);
            reject(srv, fd);
            continue;
        }
        /* the worker's conn_open finds the TLS session filed under fd */
        if (l->tls && tls_server_adopt(srv->tls, fd, l->mode) != 0) {
            atomic_fetch_sub(&srv->curr_conns, 1);
            close(fd);
            continue;
        }
        unsigned n = atomic_fetch_add(&srv->next_worker, 1) % (unsigned)srv->nworkers;
        if (worker_handoff(srv->workers[n], fd) != 0) {
            atomic_fetch_sub(&srv->curr_conns, 1);
            if (l->tls)
                tls_server_abandon(fd);
            close(fd);
        }
    }
}

static void on_signal(struct event_handler *h, uint32_t events)
{
    struct signalfd_siginfo si;
    struct server *srv = h->arg;
    if (read(h->fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
        return;
    if (si.ssi_signo == SIGHUP) {
        /* as memcached: what can be read again is read again */
        char err[512];
        if (srv->tls != NULL) {
            /* new connections get the new certificate, open ones keep theirs */
            if (tls_server_reload(srv->tls, err, sizeof(err)) != 0)
                log_error("SIGHUP: %s; the old certificate stays", err);
            else
                log_info("SIGHUP: TLS certificate and key read again");
        }
        if (srv->auth == NULL)
            return;
        if (auth_reload(srv->auth, err, sizeof(err)) != 0)
            log_error("SIGHUP: %s; the old entries stay", err);
        else
            log_info("SIGHUP: auth file read again: %zu entries", auth_entries(srv->auth));
        return;
    }
    log_info("signal %u: shutting down", si.ssi_signo);
    event_loop_stop(srv->main_loop);
}

/* As memcached: written under a temporary name and renamed, so a reader
 * never sees it empty; a pid file that cannot be written is a warning on
 * stderr, not a reason to stop serving. True if the file is in place. */
static bool write_pidfile(const char *path)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        fprintf(stderr, "mnemod: warning: pid file path too long: %s\n", path);
        return false;
    }
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        fprintf(stderr, "mnemod: warning: could not open the pid file %s for writing: %s\n", tmp,
                strerror(errno));
        return false;
    }
    fprintf(f, "%ld\n", (long)getpid());
    if (fclose(f) != 0) {
        fprintf(stderr, "mnemod: warning: could not write the pid file %s: %s\n", tmp,
                strerror(errno));
        unlink(tmp);
        return false;
    }
    if (rename(tmp, path) != 0) {
        fprintf(stderr, "mnemod: warning: could not rename the pid file %s to %s: %s\n", tmp, path,
                strerror(errno));
        unlink(tmp);
        return false;
    }
    return true;
}

/* -o sock_cookie_id: memcached marks its listening sockets (SO_MARK) so
 * firewalls can tell them apart; a kernel that refuses is a warning. */
static void mark_listeners(const int *fds, int nfds, uint32_t mark)
{
    for (int i = 0; i < nfds && mark != 0; i++) {
        if (setsockopt(fds[i], SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) != 0)
            log_warn("sock_cookie_id: setsockopt(SO_MARK): %s", strerror(errno));
    }
}

static int drop_privileges(const char *user, char *err, size_t errlen)
{
    if (getuid() != 0 && geteuid() != 0)
        return 0;
    struct passwd *pw = getpwnam(user);
    if (pw == NULL) {
        snprintf(err, errlen, "can't find the user %s to switch to", user);
        return -1;
    }
    if (setgroups(0, NULL) != 0 && errno != EPERM) {
        snprintf(err, errlen, "setgroups: %s", strerror(errno));
        return -1;
    }
    if (setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
        snprintf(err, errlen, "failed to assume the identity of %s", user);
        return -1;
    }
    return 0;
}

/* Fork to the background; the parent exits once the child is set up. */
static int daemonize(bool verbose, char *err, size_t errlen)
{
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid > 0)
        _exit(0);
    if (setsid() < 0) {
        snprintf(err, errlen, "setsid: %s", strerror(errno));
        return -1;
    }
    if (chdir("/") != 0) {
        snprintf(err, errlen, "chdir: %s", strerror(errno));
        return -1;
    }
    /* As memcached: standard streams go to /dev/null, except that -v keeps
     * stderr for the log. (A caller waiting on our pipes must not hang.) */
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        if (!verbose)
            dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO)
            close(fd);
    }
    return 0;
}

/* The append log's fsync moved on (or failed), or a replica acknowledged
 * more (-o min_replica_acks): wake the workers holding replies for it
 * (session_release_held runs on their wake-up). */
static void wake_holders(void *arg)
{
    struct server *srv = arg;
    for (int i = 0; i < srv->nworkers; i++) {
        if (atomic_load(&srv->workers[i]->held_any))
            event_loop_wake(srv->workers[i]->loop);
    }
}

/* -o persist_dir: recover the store and log from here on. After the
 * workers start (the fsync thread wakes them) and before any listener
 * accepts, so nothing is served before recovery is done. */
static int open_persistence(struct server *srv, char *err, size_t errlen)
{
    static const enum plog_fsync policies[] = {[CONFIG_FSYNC_NO] = PLOG_FSYNC_NO,
                                               [CONFIG_FSYNC_EVERYSEC] = PLOG_FSYNC_EVERYSEC,
                                               [CONFIG_FSYNC_ALWAYS] = PLOG_FSYNC_ALWAYS};
    const struct config *cfg = &srv->cfg;
    if (cfg->persist_dir[0] == '\0')
        return 0;
    struct persist_config pc = {.dir = cfg->persist_dir,
                                .journal = srv->journal,
                                .fsync = policies[cfg->appendfsync],
                                .snapshot_every = cfg->snapshot_every,
                                .keep_prefix = cfg->persist_keep_prefix,
                                .max_value = cfg->item_size_max,
                                .cache_bytes = cfg->maxbytes,
                                .on_durable = wake_holders,
                                .arg = srv};
    if (persist_open(&pc, srv->store, &srv->persist, err, errlen) != 0)
        return -1;
    return 0;
}

/* Replication: every server can be followed; with -o replica_of it
 * follows (before serving, so no client write slips in first). */
static int open_replication(struct server *srv, char *err, size_t errlen)
{
    /* -o replica_auth: read once, at start; the token is all it keeps */
    char token[AUTH_TOKEN_MAX + 1];
    bool has_token = false;
    if (srv->cfg.replica_auth[0] != '\0') {
        struct auth *creds = NULL;
        if (auth_open(srv->cfg.replica_auth, &creds, err, errlen) != 0)
            return -1;
        has_token = auth_first_token(creds, token) == 0;
        auth_close(creds);
        if (!has_token) {
            snprintf(err, errlen, "replica_auth: %.400s holds no \"user:password\" line",
                     srv->cfg.replica_auth);
            return -1;
        }
    }
    /* -o replica_tls: the link's TLS context, its files read now (a bad
     * one stops the start, as -Z's do) */
    struct tls_client_ctx *link_tls = NULL;
    if (srv->cfg.replica_tls) {
        struct tls_client_config tc = {
            .ca_file = srv->cfg.replica_tls_ca[0] ? srv->cfg.replica_tls_ca : NULL,
            .cert_file = srv->cfg.replica_tls_cert[0] ? srv->cfg.replica_tls_cert : NULL,
            .key_file = srv->cfg.replica_tls_key[0] ? srv->cfg.replica_tls_key : NULL};
        char why[1400];
        link_tls = tls_client_ctx_new(&tc, why, sizeof(why));
        if (link_tls == NULL) {
            explicit_bzero(token, sizeof(token));
            snprintf(err, errlen, "replica_tls: %.400s", why);
            return -1;
        }
    }
    struct repl_config rc = {.store = srv->store,
                             .journal = srv->journal,
                             .persist = srv->persist,
                             .backlog_bytes = (size_t)srv->cfg.repl_backlog_mb << 20,
                             .buffer_limit = (size_t)srv->cfg.repl_buffer_limit_mb << 20,
                             .min_acks = srv->cfg.min_replica_acks,
                             .on_acked = wake_holders,
                             .arg = srv,
                             .auth_token = has_token ? token : NULL,
                             .link_tls = link_tls,
                             .link_tls_name = srv->cfg.replica_tls_server_name[0]
                                                  ? srv->cfg.replica_tls_server_name
                                                  : NULL};
    srv->repl = repl_create(&rc);
    explicit_bzero(token, sizeof(token));
    if (srv->repl == NULL) {
        snprintf(err, errlen, "cannot allocate the replication backlog (%d MB)",
                 srv->cfg.repl_backlog_mb);
        return -1;
    }
    if (srv->persist != NULL)
        repl_resume(srv->repl, persist_dir(srv->persist), persist_recovered_cleanly(srv->persist),
                    srv->cfg.replica_of[0] != '\0');
    if (srv->cfg.replica_of[0] != '\0')
        return repl_follow(srv->repl, srv->cfg.replica_host, srv->cfg.replica_port, err, errlen);
    return 0;
}

/* With -Z, each -l entry is bound on its own, TLS unless it says notls:
 * (mtls: and btls: set how client certificates are asked for). */
static int open_tls_listeners(struct server *srv, int *fds, struct listener *ls, char *err,
                              size_t errlen)
{
    static const enum tls_listen modes[] = {[CONFIG_TLS_DEFAULT] = TLS_LISTEN_DEFAULT,
                                            [CONFIG_TLS_OFF] = TLS_LISTEN_DEFAULT,
                                            [CONFIG_TLS_BASIC] = TLS_LISTEN_BASIC,
                                            [CONFIG_TLS_PEER] = TLS_LISTEN_PEER};
    const struct config *cfg = &srv->cfg;
    int n = 0;
    for (const char *s = cfg->listen; *s != '\0';) {
        size_t len = strcspn(s, ",");
        char entry[300];
        enum config_tls_listen mode;
        snprintf(entry, sizeof(entry), "%.*s", (int)len, s);
        s += len + (s[len] == ',');
        int added = listen_tcp(config_listen_tls(entry, &mode), cfg->port, cfg->backlog, fds + n,
                               LISTEN_MAX_FDS - n, err, errlen);
        if (added < 0) {
            for (int i = 0; i < n; i++)
                close(fds[i]);
            return -1;
        }
        for (int i = n; i < n + added; i++)
            ls[i] = (struct listener){.tls = mode != CONFIG_TLS_OFF, .mode = modes[mode]};
        n += added;
    }
    return n;
}

static int open_listeners(struct server *srv, int *fds, struct listener *ls, char *err,
                          size_t errlen)
{
    const struct config *cfg = &srv->cfg;
    memset(ls, 0, sizeof(*ls) * LISTEN_MAX_FDS);
    if (cfg->socketpath != NULL) {
        /* As memcached: a unix socket replaces TCP. */
        int fd = listen_unix(cfg->socketpath, cfg->access, cfg->backlog, err, errlen);
        if (fd < 0)
            return -1;
        fds[0] = fd;
        return 1;
    }
    if (cfg->ssl_enabled)
        return open_tls_listeners(srv, fds, ls, err, errlen);
    return listen_tcp(cfg->listen, cfg->port, cfg->backlog, fds, LISTEN_MAX_FDS, err, errlen);
}

/* -Z: the context, before anything listens (a bad certificate or key is
 * one line at start). */
static int open_tls(struct server *srv, char *err, size_t errlen)
{
    const struct config *c = &srv->cfg;
    if (!c->ssl_enabled)
        return 0;
    struct tls_config tc = {.chain_cert = c->ssl_chain_cert,
                            .key = c->ssl_key,
                            .keyformat = (enum tls_keyformat)c->ssl_keyformat,
                            .verify_mode = c->ssl_verify_mode,
                            .ca_cert = c->ssl_ca_cert[0] != '\0' ? c->ssl_ca_cert : NULL,
                            .ciphers = c->ssl_ciphers[0] != '\0' ? c->ssl_ciphers : NULL,
                            .min_version = c->ssl_min_version,
                            .session_cache = c->ssl_session_cache,
                            .wbuf_size = (size_t)c->ssl_wbuf_size,
                            .handshake_timeout_ms = c->ssl_handshake_timeout * 1000};
    return tls_server_create(&tc, &srv->tls, err, errlen);
}

/* -o metrics_port: its HOST, or else every -l address without the port
 * an entry may carry ("127.0.0.1:11211" serves metrics on 127.0.0.1). */
static void metrics_hosts(const struct config *cfg, char *out, size_t cap)
{
    if (cfg->metrics_host[0] != '\0') {
        snprintf(out, cap, "%s", cfg->metrics_host);
        return;
    }
    size_t n = 0;
    out[0] = '\0';
    for (const char *s = cfg->listen; *s != '\0' && n + 1 < cap;) {
        size_t len = strcspn(s, ",");
        char whole[300], spec[300];
        enum config_tls_listen mode;
        snprintf(whole, sizeof(whole), "%.*s", (int)len, s);
        snprintf(spec, sizeof(spec), "%s", config_listen_tls(whole, &mode));
        char *end = spec[0] == '[' ? strchr(spec, ']') : NULL;
        char *colon = end != NULL ? end + 1 : strchr(spec, ':');
        /* a bare IPv6 address has several colons and no port */
        if (colon != NULL && *colon == ':' && (end != NULL || strchr(colon + 1, ':') == NULL))
            *colon = '\0';
        n += (size_t)snprintf(out + n, cap - n, "%s%s", n > 0 ? "," : "", spec);
        s += len;
        if (*s == ',')
            s++;
    }
}

/* Bind the metrics port (before daemonizing: a port in use is one clear
 * line at start). Its thread starts later, in serve order. */
static int open_metrics(struct server *srv, struct metrics **out, char *err, size_t errlen)
{
    char hosts[1100];
    if (srv->cfg.metrics_port == 0)
        return 0;
    metrics_hosts(&srv->cfg, hosts, sizeof(hosts));
    struct metrics_config mc = {.hosts = hosts,
                                .port = srv->cfg.metrics_port,
                                .collect = metrics_source_collect,
                                .arg = srv};
    return metrics_open(&mc, out, err, errlen);
}

static int run(struct server *srv, char *err, size_t errlen)
{
    struct config *cfg = &srv->cfg;
    int fds[LISTEN_MAX_FDS];
    struct listener listeners[LISTEN_MAX_FDS];
    struct event_handler sig_ev;
    struct maintainer m = {.srv = srv};
    struct udp_port *udp = NULL;
    struct metrics *metrics = NULL;
    int nfds = 0, sigfd = -1, started = 0, rc = -1;
    bool maintainer_started = false, pidfile_written = false;

    /* before anything listens: a client never meets a server that has no
     * table yet, and an unreadable file stops mnemod at once */
    if (cfg->auth_file != NULL && auth_open(cfg->auth_file, &srv->auth, err, errlen) != 0)
        return -1;
    if (cfg->sasl && saslsrv_init(err, errlen) != 0) {
        auth_close(srv->auth);
        srv->auth = NULL;
        return -1;
    }
    srv->sasl = cfg->sasl;
    if (open_tls(srv, err, errlen) == 0)
        nfds = open_listeners(srv, fds, listeners, err, errlen);
    if (nfds <= 0) {
        tls_server_destroy(&srv->tls);
        auth_close(srv->auth);
        srv->auth = NULL;
        if (srv->sasl)
            saslsrv_done();
        return -1;
    }
    if (cfg->port == 0 && cfg->socketpath == NULL)
        cfg->port = listen_port(fds[0]);
    mark_listeners(fds, nfds, cfg->sock_cookie_id);
    if (open_metrics(srv, &metrics, err, errlen) != 0)
        goto out;
    if (cfg->username != NULL && drop_privileges(cfg->username, err, errlen) != 0)
        goto out;
    if (cfg->daemonize && daemonize(cfg->verbose > 0, err, errlen) != 0)
        goto out;
    /* From here (the process it will stay), no thread waits for stderr. */
    if (log_start() != 0)
        log_warn("cannot start the log writer thread: logging writes at once");
    if (cfg->pidfile != NULL)
        pidfile_written = write_pidfile(cfg->pidfile);
    if (cfg->lock_memory && mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
        log_warn("-k: mlockall failed (%s); continuing without locked memory", strerror(errno));

    struct store_config scfg = {
        .max_bytes = cfg->maxbytes,
        .item_size_max = cfg->item_size_max,
        .evict = cfg->evict_to_free,
        .use_cas = cfg->use_cas,
        .huge_pages = cfg->huge_pages,
        .prefault = cfg->large_pages,
    };
    if (store_create(&scfg, &srv->store) != STORE_OK) {
        snprintf(err, errlen, "cannot create the store with -m %zu MB -I %zu", cfg->maxbytes >> 20,
                 cfg->item_size_max);
        goto out;
    }
    srv->journal = journal_create(srv->store);
    if (srv->journal == NULL) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }

    /* Workers inherit a mask with SIGTERM/SIGINT/SIGHUP blocked: only the
     * signalfd below sees them. */
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &mask, NULL);
    sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);

    srv->main_loop = event_loop_create();
    srv->workers = calloc((size_t)cfg->num_threads, sizeof(*srv->workers));
    if (srv->main_loop == NULL || srv->workers == NULL || sigfd < 0) {
        snprintf(err, errlen, "cannot set up the event loop: %s", strerror(errno));
        goto out;
    }
    for (; started < cfg->num_threads; started++) {
        if (worker_start(srv, started, &session_worker_ops, &srv->workers[started]) != 0) {
            snprintf(err, errlen, "cannot start worker thread %d", started);
            goto out;
        }
        srv->nworkers = started + 1;
    }
    pthread_mutex_init(&m.lock, NULL);
    pthread_cond_init(&m.cond, NULL);
    if (pthread_create(&m.thread, NULL, maintainer_main, &m) != 0) {
        snprintf(err, errlen, "cannot start the maintenance thread");
        goto out;
    }
    maintainer_started = true;
    if (open_persistence(srv, err, errlen) != 0)
        goto out;
    if (open_replication(srv, err, errlen) != 0)
        goto out;
    /* As memcached: a unix socket replaces the network listeners, UDP too. */
    if (cfg->udpport != 0 && cfg->socketpath == NULL && udp_start(srv, &udp, err, errlen) != 0)
        goto out;
    /* After the workers, persistence and replication it reads exist;
     * with their signal mask (SIGTERM stays the listener's). */
    if (metrics != NULL && metrics_start(metrics, err, errlen) != 0)
        goto out;

    for (int i = 0; i < nfds; i++) {
        listeners[i].srv = srv; /* tls and mode: open_listeners */
        if (event_add(srv->main_loop, &listeners[i].ev, fds[i], EVENT_READ, on_accept, &listeners[i]) != 0) {
            snprintf(err, errlen, "cannot watch a listener: %s", strerror(errno));
            goto out;
        }
    }
    event_add(srv->main_loop, &sig_ev, sigfd, EVENT_READ, on_signal, srv);
    log_info("listening (%d socket%s), %d worker threads, -m %zu MB", nfds, nfds == 1 ? "" : "s",
             srv->nworkers, cfg->maxbytes >> 20);
    if (event_loop_run(srv->main_loop) != 0) {
        snprintf(err, errlen, "listener loop failed: %s", strerror(errno));
        goto out;
    }
    rc = 0;
out:
    for (int i = 0; i < nfds; i++)
        close(fds[i]);
    /* first: its collector reads the workers, the log and replication */
    metrics_close(&metrics);
    if (maintainer_started) {
        pthread_mutex_lock(&m.lock);
        m.stop = true;
        pthread_cond_signal(&m.cond);
        pthread_mutex_unlock(&m.lock);
        pthread_join(m.thread, NULL);
    }
    for (int i = 0; i < srv->nworkers; i++)
        worker_stop(srv->workers[i]);
    udp_stop(&udp);
    /* The feeds' connections are closed; the link stops applying. A clean
     * stop keeps the stream's position with the snapshot it ends with. */
    if (srv->repl != NULL && srv->persist != NULL && rc == 0)
        repl_save_position(srv->repl, persist_dir(srv->persist));
    repl_free(&srv->repl);
    /* Nothing mutates any more: a clean stop ends with a snapshot. */
    persist_close(&srv->persist, rc == 0);
    journal_free(&srv->journal);
    for (int i = 0; i < srv->nworkers; i++)
        worker_destroy(&srv->workers[i]);
    free(srv->workers);
    srv->workers = NULL;
    srv->nworkers = 0;
    if (sigfd >= 0)
        close(sigfd);
    event_loop_destroy(&srv->main_loop);
    admin_stop(&srv->admin); /* the crawler thread uses the store */
    store_destroy(&srv->store);
    auth_close(srv->auth);
    srv->auth = NULL;
    /* after the workers: their connections held references on it */
    tls_server_destroy(&srv->tls);
    if (srv->sasl)
        saslsrv_done();
    if (pidfile_written && rc == 0)
        unlink(cfg->pidfile);
    if (cfg->socketpath != NULL)
        unlink(cfg->socketpath);
    log_stop();
    return rc;
}

int main(int argc, char **argv)
{
    static struct server srv;
    char err[512] = "";
    config_defaults(&srv.cfg);
    if (config_parse(&srv.cfg, argc, argv, err, sizeof(err)) != 0) {
        fprintf(stderr, "mnemod: %s\n", err);
        return 64; /* EX_USAGE */
    }
    if (srv.cfg.show_help) {
        config_usage();
        return 0;
    }
    if (srv.cfg.show_version) {
        printf("mnemod %s (memcached %s compatible)\n", MNEMO_VERSION, SERVER_VERSION);
        return 0;
    }
    log_set_level(LOG_ERROR + srv.cfg.verbose);
    atomic_store(&srv.verbosity, srv.cfg.verbose);
    srv.started_unix = (int64_t)time(NULL);
    ticks_init(); /* before any worker times a request (latency.h) */
    admin_init(&srv.admin, &srv.cfg);
    signal(SIGPIPE, SIG_IGN);
    /* A file-size limit reached while writing the append log is an error
     * to report (EFBIG), not a reason to die. */
    signal(SIGXFSZ, SIG_IGN);
    if (srv.cfg.maxcore) {
        struct rlimit rl;
        if (getrlimit(RLIMIT_CORE, &rl) == 0) {
            rl.rlim_cur = rl.rlim_max;
            setrlimit(RLIMIT_CORE, &rl);
        }
    }
    if (run(&srv, err, sizeof(err)) != 0) {
        fprintf(stderr, "mnemod: %s\n", err);
        return 1;
    }
    return 0;
}
