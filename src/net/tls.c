/*
 * tls.c: see tls.h. The context is OpenSSL's SSL_CTX, built whole from the
 * settings each time (start, reload), so a reload that fails halfway leaves
 * nothing half-changed: the old context stays in place. Each SSL object
 * holds a reference on its context, so swapping the pointer under the lock
 * is all a reload does to open connections (they keep theirs).
 *
 * Sessions wait for their conn_open in a table indexed by fd: the accepting
 * thread files, the worker claims, each under one mutex taken once per
 * connection (as the worker's hand-off queue is).
 */
#include "net/tls.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "net/tls_session.h"

/* memcached's session id context, so its session cache and ours agree */
#define SESSION_ID_CONTEXT "memcached"

struct tls_server {
    struct tls_config cfg; /* its strings are ours (strdup) */
    pthread_mutex_t lock;  /* ctx */
    SSL_CTX *ctx;
    _Atomic int64_t loaded_at;
    _Atomic uint64_t handshake_errors, proto_errors, new_sessions, handshakes;
};

/* ---- the context ----------------------------------------------------------- */

static const int versions[] = {TLS1_VERSION, TLS1_1_VERSION, TLS1_2_VERSION, TLS1_3_VERSION};

const char *tls_version_name(int v)
{
    static const char *const names[] = {"tlsv1.0", "tlsv1.1", "tlsv1.2", "tlsv1.3"};
    return v >= 0 && v < 4 ? names[v] : "unknown";
}

/* memcached's ssl_verify_mode numbers as OpenSSL's flags. */
static int verify_flags(int mode)
{
    switch (mode) {
    case 1:
        return SSL_VERIFY_PEER;
    case 2:
        return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    case 3: /* "once": a renegotiation would not ask again (we refuse those anyway) */
        return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT | SSL_VERIFY_CLIENT_ONCE;
    default:
        return SSL_VERIFY_NONE;
    }
}

/* "what: path: reason", the reason OpenSSL's first queued error, or errno's
 * when the file cannot even be opened (OpenSSL says "system lib"). */
static void file_error(char *err, size_t errlen, const char *what, const char *path)
{
    char reason[256] = "unknown error";
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(reason, sizeof(reason), "%s", strerror(errno));
    } else {
        fclose(f);
        unsigned long e = ERR_peek_error();
        if (e != 0)
            ERR_error_string_n(e, reason, sizeof(reason));
    }
    snprintf(err, errlen, "%s %s: %s", what, path, reason);
}

static int on_new_session(SSL *ssl, SSL_SESSION *sess)
{
    (void)sess;
    struct tls_server *ts = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    atomic_fetch_add_explicit(&ts->new_sessions, 1, memory_order_relaxed);
    return 0; /* the cache keeps its own reference */
}

static int load_files(struct tls_server *ts, SSL_CTX *ctx, char *err, size_t errlen)
{
    const struct tls_config *c = &ts->cfg;
    const char *key = c->key != NULL && c->key[0] != '\0' ? c->key : c->chain_cert;
    if (SSL_CTX_use_certificate_chain_file(ctx, c->chain_cert) != 1) {
        file_error(err, errlen, "cannot load the certificate chain", c->chain_cert);
        return -1;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, (int)c->keyformat) != 1) {
        if (ERR_GET_REASON(ERR_peek_error()) == X509_R_KEY_VALUES_MISMATCH)
            snprintf(err, errlen, "the private key %s does not match the certificate %s", key,
                     c->chain_cert);
        else
            file_error(err, errlen, "cannot load the private key", key);
        return -1;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        snprintf(err, errlen, "the private key %s does not match the certificate %s", key,
                 c->chain_cert);
        return -1;
    }
    if (c->ca_cert != NULL) {
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(c->ca_cert);
        if (SSL_CTX_load_verify_locations(ctx, c->ca_cert, NULL) != 1 || names == NULL) {
            sk_X509_NAME_pop_free(names, X509_NAME_free);
            file_error(err, errlen, "cannot load the CA certificates", c->ca_cert);
            return -1;
        }
        SSL_CTX_set_client_CA_list(ctx, names); /* takes names */
    }
    return 0;
}

/* A new context from ts->cfg, files read now. */
static SSL_CTX *build_ctx(struct tls_server *ts, char *err, size_t errlen)
{
    const struct tls_config *c = &ts->cfg;
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL) {
        snprintf(err, errlen, "cannot create a TLS context");
        return NULL;
    }
    SSL_CTX_set_app_data(ctx, ts);
    if (SSL_CTX_set_min_proto_version(ctx, versions[c->min_version]) != 1) {
        snprintf(err, errlen, "ssl_min_version: %s is not available",
                 tls_version_name(c->min_version));
        goto fail;
    }
    if (load_files(ts, ctx, err, errlen) != 0)
        goto fail;
    SSL_CTX_set_verify(ctx, verify_flags(c->verify_mode), NULL);
    if (c->ciphers != NULL && SSL_CTX_set_cipher_list(ctx, c->ciphers) != 1) {
        snprintf(err, errlen, "ssl_ciphers: no usable cipher in \"%s\"", c->ciphers);
        goto fail;
    }
    if (c->session_cache) {
        SSL_CTX_sess_set_new_cb(ctx, on_new_session);
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
        SSL_CTX_set_session_id_context(ctx, (const unsigned char *)SESSION_ID_CONTEXT,
                                       sizeof(SESSION_ID_CONTEXT) - 1);
    } else {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        /* without a cache, TLS 1.3 tickets would only resume elsewhere */
        SSL_CTX_set_num_tickets(ctx, 0);
    }
    /* As memcached: no renegotiation. A client that just closes its socket
     * is an end of stream, not an error (most clients send no close_notify). */
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
    /* Idle connections give their record buffers back; a write that would
     * block is retried with the same bytes from the worker's buffer, which
     * is not the same address each time (conn_tls.c). */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* One read(2) per burst of records, not two per record (its 5-byte
     * header, then its body); what it reads beyond a record stays in
     * OpenSSL, which SSL_has_pending reports to conn_tls.c's wake-ups. */
    SSL_CTX_set_read_ahead(ctx, 1);
    ERR_clear_error();
    return ctx;
fail:
    ERR_clear_error();
    SSL_CTX_free(ctx);
    return NULL;
}

static char *dup_or_null(const char *s)
{
    return s != NULL && s[0] != '\0' ? strdup(s) : NULL;
}

static void free_config(struct tls_config *c)
{
    free((char *)c->chain_cert);
    free((char *)c->key);
    free((char *)c->ca_cert);
    free((char *)c->ciphers);
}

int tls_server_create(const struct tls_config *cfg, struct tls_server **out, char *err,
                      size_t errlen)
{
    if (cfg->chain_cert == NULL || cfg->chain_cert[0] == '\0') {
        snprintf(err, errlen, "TLS (-Z) needs a certificate: -o ssl_chain_cert=FILE");
        return -1;
    }
    if (cfg->verify_mode > 0 && (cfg->ca_cert == NULL || cfg->ca_cert[0] == '\0')) {
        snprintf(err, errlen, "ssl_verify_mode=%d needs -o ssl_ca_cert=FILE to check client "
                 "certificates against", cfg->verify_mode);
        return -1;
    }
    if (cfg->min_version < 0 || cfg->min_version > 3 || cfg->verify_mode < 0 ||
        cfg->verify_mode > 3 || (cfg->keyformat != TLS_KEY_PEM && cfg->keyformat != TLS_KEY_DER)) {
        snprintf(err, errlen, "TLS: a setting out of range");
        return -1;
    }
    struct tls_server *ts = calloc(1, sizeof(*ts));
    if (ts == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    ts->cfg = *cfg;
    ts->cfg.chain_cert = dup_or_null(cfg->chain_cert);
    ts->cfg.key = dup_or_null(cfg->key);
    ts->cfg.ca_cert = dup_or_null(cfg->ca_cert);
    ts->cfg.ciphers = dup_or_null(cfg->ciphers);
    pthread_mutex_init(&ts->lock, NULL);
    OPENSSL_init_ssl(0, NULL);
    ts->ctx = build_ctx(ts, err, errlen);
    if (ts->ctx == NULL) {
        tls_server_destroy(&ts);
        return -1;
    }
    atomic_store(&ts->loaded_at, (int64_t)time(NULL));
    *out = ts;
    return 0;
}

void tls_server_destroy(struct tls_server **tsp)
{
    struct tls_server *ts = *tsp;
    if (ts == NULL)
        return;
    SSL_CTX_free(ts->ctx);
    pthread_mutex_destroy(&ts->lock);
    free_config(&ts->cfg);
    free(ts);
    *tsp = NULL;
}

int tls_server_reload(struct tls_server *ts, char *err, size_t errlen)
{
    SSL_CTX *fresh = build_ctx(ts, err, errlen);
    if (fresh == NULL)
        return -1;
    pthread_mutex_lock(&ts->lock);
    SSL_CTX *old = ts->ctx;
    ts->ctx = fresh;
    pthread_mutex_unlock(&ts->lock);
    SSL_CTX_free(old); /* its connections hold references of their own */
    atomic_store(&ts->loaded_at, (int64_t)time(NULL));
    return 0;
}

int64_t tls_server_loaded_at(const struct tls_server *ts)
{
    return atomic_load(&ts->loaded_at);
}

void tls_server_counters(const struct tls_server *ts, struct tls_counters *out)
{
    out->handshake_errors = atomic_load_explicit(&ts->handshake_errors, memory_order_relaxed);
    out->proto_errors = atomic_load_explicit(&ts->proto_errors, memory_order_relaxed);
    out->new_sessions = atomic_load_explicit(&ts->new_sessions, memory_order_relaxed);
    out->handshakes = atomic_load_explicit(&ts->handshakes, memory_order_relaxed);
}

/* ---- what a worker thread keeps for the connection types -----------------------
 * Replies are many small iovecs; one SSL_write each would make one TLS
 * record (and its header and MAC) each. They are gathered into a buffer of
 * ssl_wbuf_size bytes per worker thread (memcached's ssl_wbuf). The thread
 * also keeps conn_tls.c's spare batch. Both are freed when the thread ends. */

struct tls_thread {
    char *wbuf;
    BIO *spare; /* a batch no connection holds */
};

static pthread_key_t thread_key;
static pthread_once_t thread_once = PTHREAD_ONCE_INIT;

static void thread_free(void *arg)
{
    struct tls_thread *th = arg;
    free(th->wbuf);
    BIO_free(th->spare);
    free(th);
}

static void thread_key_create(void)
{
    (void)pthread_key_create(&thread_key, thread_free);
}

/* This thread's, made on first use; NULL when out of memory. */
static struct tls_thread *this_thread(void)
{
    pthread_once(&thread_once, thread_key_create);
    struct tls_thread *th = pthread_getspecific(thread_key);
    if (th == NULL) {
        th = calloc(1, sizeof(*th));
        if (th != NULL && pthread_setspecific(thread_key, th) != 0) {
            free(th);
            th = NULL;
        }
    }
    return th;
}

char *tls_thread_wbuf(size_t size)
{
    struct tls_thread *th = this_thread();
    if (th == NULL)
        return NULL;
    if (th->wbuf == NULL)
        th->wbuf = malloc(size); /* the size is the process's: never changes */
    return th->wbuf;
}

BIO **tls_thread_spare(void)
{
    struct tls_thread *th = this_thread();
    return th != NULL ? &th->spare : NULL;
}

/* ---- sessions waiting for their conn_open ---------------------------------- */

static pthread_mutex_t pending_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tls_session **pending; /* indexed by fd */
static size_t npending;
/* set once anything is filed: a process without TLS never takes the lock */
static atomic_bool any_pending;

int tls_server_adopt(struct tls_server *ts, int fd, enum tls_listen mode)
{
    struct tls_session *s = calloc(1, sizeof(*s));
    if (s == NULL || fd < 0)
        goto fail;
    s->ts = ts;
    pthread_mutex_lock(&ts->lock);
    s->ssl = SSL_new(ts->ctx);
    pthread_mutex_unlock(&ts->lock);
    if (s->ssl == NULL || SSL_set_fd(s->ssl, fd) != 1)
        goto fail;
    if (mode == TLS_LISTEN_BASIC)
        SSL_set_verify(s->ssl, SSL_VERIFY_NONE, NULL);
    else if (mode == TLS_LISTEN_PEER)
        SSL_set_verify(s->ssl, verify_flags(2), NULL);
    SSL_set_accept_state(s->ssl);
    pthread_mutex_lock(&pending_lock);
    if ((size_t)fd >= npending) {
        size_t n = npending ? npending : 256;
        while (n <= (size_t)fd)
            n *= 2;
        struct tls_session **grown = realloc(pending, n * sizeof(*grown));
        if (grown == NULL) {
            pthread_mutex_unlock(&pending_lock);
            goto fail;
        }
        memset(grown + npending, 0, (n - npending) * sizeof(*grown));
        pending = grown;
        npending = n;
    }
    pending[fd] = s;
    atomic_store(&any_pending, true);
    pthread_mutex_unlock(&pending_lock);
    return 0;
fail:
    ERR_clear_error();
    if (s != NULL && s->ssl != NULL)
        SSL_free(s->ssl);
    free(s);
    return -1;
}

struct tls_session *tls_session_claim(int fd)
{
    struct tls_session *s = NULL;
    if (!atomic_load(&any_pending))
        return NULL;
    pthread_mutex_lock(&pending_lock);
    if (fd >= 0 && (size_t)fd < npending) {
        s = pending[fd];
        pending[fd] = NULL;
    }
    pthread_mutex_unlock(&pending_lock);
    return s;
}

void tls_server_abandon(int fd)
{
    struct tls_session *s = tls_session_claim(fd);
    if (s != NULL)
        tls_session_free(s);
}

void tls_session_free(struct tls_session *s)
{
    SSL_free(s->ssl);
    free(s);
}

size_t tls_session_wbuf_size(const struct tls_session *s)
{
    return s->ts->cfg.wbuf_size;
}

int tls_session_handshake_timeout_ms(const struct tls_session *s)
{
    return s->ts->cfg.handshake_timeout_ms;
}

int tls_session_idle_trim_ms(const struct tls_session *s)
{
    return s->ts->cfg.idle_trim_ms;
}

void tls_session_count(const struct tls_session *s, bool handshake_ok)
{
    atomic_fetch_add_explicit(handshake_ok ? &s->ts->handshakes : &s->ts->handshake_errors, 1,
                              memory_order_relaxed);
}

void tls_session_count_proto_error(const struct tls_session *s)
{
    atomic_fetch_add_explicit(&s->ts->proto_errors, 1, memory_order_relaxed);
}

void tls_session_handshake_failed(const struct tls_session *s, int fd, bool timed_out)
{
    /* a plain-text client, an unknown CA, a version below the minimum...:
     * counted; said only at -vvv (a client could fill the log) */
    char reason[160] = "connection closed";
    unsigned long code = ERR_peek_error();
    if (timed_out)
        snprintf(reason, sizeof(reason), "timed out");
    else if (code != 0)
        ERR_error_string_n(code, reason, sizeof(reason));
    log_debug("TLS handshake failed (fd %d): %s", fd, reason);
    ERR_clear_error();
    tls_session_count(s, false);
}

size_t tls_gather(const struct iovec *iov, size_t n, char *buf, size_t limit)
{
    size_t len = 0;
    for (size_t i = 0; i < n && len < limit; i++) {
        size_t take = iov[i].iov_len < limit - len ? iov[i].iov_len : limit - len;
        memcpy(buf + len, iov[i].iov_base, take);
        len += take;
    }
    return len;
}
