/*
 * tls.c: see tls.h.
 */
#include "tls.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "options.h"

#ifdef MNEMO_BENCH_LIBMNEMO
#include "client/tls.h"
#include "client/tls_cuts.h"

struct bench_tls_conn {
    struct ssl_st *ssl;
    struct tls_cuts cuts;
};

int bench_tls_context(const struct bench_options *o, struct ssl_ctx_st **ctx, char *err,
                      size_t errlen)
{
    struct tls_config cfg = {o->tls_ca, o->tls_cert, o->tls_key, o->tls_no_verify};

    *ctx = o->tls ? tls_ctx_new(&cfg, err, errlen) : NULL;
    return o->tls && *ctx == NULL ? -1 : 0;
}

void bench_tls_context_free(struct ssl_ctx_st **ctx)
{
    if (*ctx != NULL)
        tls_ctx_free(ctx);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct bench_tls_conn *bench_tls_handshake(struct ssl_ctx_st *ctx, int fd, const char *name,
                                           long long deadline_ms, char *err, size_t errlen)
{
    struct ssl_st *ssl = tls_new(ctx, fd, name, NULL, err, errlen);

    while (ssl != NULL) {
        enum tls_rc rc = tls_handshake(ssl, err, errlen);
        if (rc == TLS_OK)
            break;
        long long left = deadline_ms - now_ms();
        if (rc != TLS_FAIL && left <= 0)
            snprintf(err, errlen, "no TLS handshake within the connect timeout "
                                  "(does the server speak TLS?)");
        if (rc == TLS_FAIL || left <= 0) {
            tls_free(&ssl);
            return NULL;
        }
        struct pollfd p = {.fd = fd, .events = rc == TLS_WANT_READ ? POLLIN : POLLOUT};
        poll(&p, 1, (int)left); /* ready, EINTR or the deadline: the loop tells */
    }
    struct bench_tls_conn *t = ssl ? calloc(1, sizeof(*t)) : NULL;
    if (ssl != NULL && t == NULL) {
        snprintf(err, errlen, "out of memory");
        tls_free(&ssl);
    }
    if (t != NULL)
        t->ssl = ssl;
    return t;
}

void bench_tls_free(struct bench_tls_conn **t)
{
    if (*t == NULL)
        return;
    tls_free(&(*t)->ssl);
    tls_cuts_free(&(*t)->cuts);
    free(*t);
    *t = NULL;
}

int bench_tls_mark(struct bench_tls_conn *t, size_t queued)
{
    return tls_cuts_mark(&t->cuts, queued);
}

/* A tls_read/tls_write result in the terms of tls.h. */
static ssize_t result(ssize_t r, int *want_out, char *err, size_t errlen)
{
    *want_out = r == TLS_WANT_WRITE;
    if (r > 0 || r == TLS_WANT_READ || r == TLS_WANT_WRITE)
        return r > 0 ? r : 0;
    if (r == TLS_EOF)
        snprintf(err, errlen, "the server closed the connection");
    return -1;
}

ssize_t bench_tls_send(struct bench_tls_conn *t, const void *p, size_t n, int *want_out,
                       char *err, size_t errlen)
{
    size_t take = tls_cuts_next(&t->cuts, n, TLS_RECORD_MAX);
    ssize_t r = result(tls_write(t->ssl, p, take, err, errlen), want_out, err, errlen);
    if (r > 0)
        tls_cuts_sent(&t->cuts, (size_t)r);
    return r;
}

ssize_t bench_tls_recv(struct bench_tls_conn *t, void *p, size_t n, int *want_out, char *err,
                       size_t errlen)
{
    return result(tls_read(t->ssl, p, n, err, errlen), want_out, err, errlen);
}

int bench_tls_pending(struct bench_tls_conn *t)
{
    return tls_pending(t->ssl);
}

#else /* a tree without libmnemo: no TLS, said when --tls is given */

int bench_tls_context(const struct bench_options *o, struct ssl_ctx_st **ctx, char *err,
                      size_t errlen)
{
    *ctx = NULL;
    if (o->tls)
        snprintf(err, errlen, "--tls: this mnemo-bench was built without libmnemo (no TLS)");
    return o->tls ? -1 : 0;
}

void bench_tls_context_free(struct ssl_ctx_st **ctx)
{
    *ctx = NULL;
}

/* Never reached: there is no context to start a connection from. */
struct bench_tls_conn *bench_tls_handshake(struct ssl_ctx_st *ctx, int fd, const char *name,
                                           long long deadline_ms, char *err, size_t errlen)
{
    (void)ctx, (void)fd, (void)name, (void)deadline_ms;
    snprintf(err, errlen, "no TLS");
    return NULL;
}

void bench_tls_free(struct bench_tls_conn **t)
{
    *t = NULL;
}

int bench_tls_mark(struct bench_tls_conn *t, size_t queued)
{
    (void)t, (void)queued;
    return -1;
}

ssize_t bench_tls_send(struct bench_tls_conn *t, const void *p, size_t n, int *want_out,
                       char *err, size_t errlen)
{
    (void)t, (void)p, (void)n, (void)want_out, (void)err, (void)errlen;
    return -1;
}

ssize_t bench_tls_recv(struct bench_tls_conn *t, void *p, size_t n, int *want_out, char *err,
                       size_t errlen)
{
    (void)t, (void)p, (void)n, (void)want_out, (void)err, (void)errlen;
    return -1;
}

int bench_tls_pending(struct bench_tls_conn *t)
{
    (void)t;
    return 0;
}
#endif
