/* Unit tests for net/conn_tls.c and net/tls.c: a socketpair whose one end
 * is adopted as a TLS socket (tls_server_adopt, then conn_open, as the
 * server does) and run by a line-echo owner on an epoll loop and on a loop
 * with an io_uring, while a client thread speaks TLS (or plain text, or
 * nothing) on the other end. The owner's first event comes after the
 * handshake; a failed or stalled handshake is one ERROR and a counter; a
 * reply larger than the socket's buffer arrives whole through writes that
 * would block; a reload changes the certificate new sessions get. The
 * certificate is made here, with OpenSSL, in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/conn.h"
#include "net/event.h"
#include "net/tls.h"

enum backend { EPOLL, URING };

static char dir[] = "/tmp/test_conn_tls.XXXXXX";
static char cert_path[64], key_path[64], cert2_path[64], key2_path[64];

/* A self-signed certificate for CN, its key an EC P-256 one (fast). */
static void make_cert(const char *cn, const char *cert, const char *key)
{
    EVP_PKEY *pkey = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    assert_non_null(pkey);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, pkey);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, name);
    assert_true(X509_sign(x, pkey, EVP_sha256()) > 0);
    FILE *f = fopen(cert, "w");
    assert_non_null(f);
    PEM_write_X509(f, x);
    fclose(f);
    f = fopen(key, "w");
    assert_non_null(f);
    PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    X509_free(x);
    EVP_PKEY_free(pkey);
}

/* ---- the client thread -------------------------------------------------------- */

struct client {
    int fd;           /* blocking */
    bool plain;       /* speak no TLS: send text and read until the end */
    const char *send; /* then read replies until want bytes or the end */
    size_t want;
    const char *send2; /* then, if set, this and want2 bytes more */
    size_t want2;
    char *got;
    size_t ngot;
    char subject[128]; /* the server certificate's subject CN */
    bool handshake_ok;
    pthread_t thread;
};

static void *client_main(void *arg)
{
    struct client *cl = arg;
    size_t cap = cl->want + cl->want2 + 1;
    cl->got = calloc(1, cap);
    if (cl->plain) {
        ssize_t ignored = write(cl->fd, cl->send, strlen(cl->send));
        (void)ignored;
        ssize_t n;
        while (cl->ngot < cl->want && (n = read(cl->fd, cl->got + cl->ngot, cap - 1 - cl->ngot)) > 0)
            cl->ngot += (size_t)n;
        return NULL;
    }
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, cl->fd);
    cl->handshake_ok = SSL_connect(ssl) == 1;
    if (cl->handshake_ok) {
        X509 *peer = SSL_get1_peer_certificate(ssl);
        X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cl->subject,
                                  sizeof(cl->subject));
        X509_free(peer);
        SSL_write(ssl, cl->send, (int)strlen(cl->send));
        int n;
        while (cl->ngot < cl->want &&
               (n = SSL_read(ssl, cl->got + cl->ngot, (int)(cap - 1 - cl->ngot))) > 0)
            cl->ngot += (size_t)n;
        if (cl->send2 != NULL && cl->ngot == cl->want) {
            SSL_write(ssl, cl->send2, (int)strlen(cl->send2));
            while (cl->ngot < cl->want + cl->want2 &&
                   (n = SSL_read(ssl, cl->got + cl->ngot, (int)(cap - 1 - cl->ngot))) > 0)
                cl->ngot += (size_t)n;
        }
        SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    shutdown(cl->fd, SHUT_WR); /* the server sees the end */
    return NULL;
}

/* ---- the owner: echoes each line as "ok <line>", then ref_len bytes ----------- */

#define MAX_CALLS 4096

struct owner {
    struct conn c;
    enum conn_event first;
    int ncalls;
    int lines;
    int freed;
    bool errored;
    const char *ref;
    size_t ref_len;
    bool ref_x_only;     /* ref follows only lines that start with x */
    bool one_per_budget; /* a line costs a unit of budget; yield when it runs out */
    int yields;
    _Atomic uint64_t bytes_read, bytes_written;
};

struct fixture {
    enum backend backend;
    struct event_loop *loop;
    struct tls_server *ts;
    struct owner o;
    struct client cl;
    int ticks;
    bool timed_out;
    bool (*until)(struct fixture *f);
};

static struct fixture *current;

static void on_event(struct conn *c, enum conn_event ev, size_t n)
{
    (void)n;
    struct owner *o = c->owner;
    if (o->ncalls++ == 0)
        o->first = ev;
    if (ev == CONN_EV_ERROR || ev == CONN_EV_PEER_CLOSED) {
        o->errored |= ev == CONN_EV_ERROR;
        conn_close(c);
        return;
    }
    const char *nl;
    while (rbuf_len(&c->in) > 0 && (nl = memchr(rbuf_head(&c->in), '\n', rbuf_len(&c->in)))) {
        if (o->one_per_budget && c->budget-- <= 0) {
            o->yields++;
            conn_want(c, CONN_WANT_INPUT | CONN_WANT_YIELD, NULL, 0);
            return;
        }
        size_t len = (size_t)(nl - rbuf_head(&c->in)) + 1;
        assert_int_equal(outq_append(&c->out, "ok ", 3), 0);
        assert_int_equal(outq_append(&c->out, rbuf_head(&c->in), len), 0);
        if (o->ref_len > 0 && (!o->ref_x_only || rbuf_head(&c->in)[0] == 'x'))
            assert_int_equal(outq_append_ref(&c->out, o->ref, o->ref_len, NULL), 0);
        rbuf_consume(&c->in, len);
        o->lines++;
    }
    conn_want(c, CONN_WANT_INPUT, NULL, 0);
}

static void on_free(struct conn *c)
{
    struct owner *o = c->owner;
    o->freed++;
}

static void release(void *ctx, void *ref)
{
    (void)ctx, (void)ref;
}

static void on_tick(struct event_loop *loop, void *arg)
{
    struct fixture *f = arg;
    if (++f->ticks >= 2000) { /* 10 s */
        f->timed_out = true;
        event_loop_stop(loop);
    } else if (f->until(f)) {
        event_loop_stop(loop);
    }
}

static bool freed(struct fixture *f)
{
    return f->o.freed == 1;
}

static void run_until(struct fixture *f, bool (*until)(struct fixture *))
{
    f->until = until;
    assert_int_equal(event_loop_run(f->loop), 0);
    assert_false(f->timed_out);
}

static void make_server(struct fixture *f, int timeout_ms, size_t wbuf)
{
    struct tls_config cfg = {.chain_cert = cert_path,
                             .key = key_path,
                             .keyformat = TLS_KEY_PEM,
                             .min_version = 2,
                             .wbuf_size = wbuf,
                             .handshake_timeout_ms = timeout_ms,
                             /* grown buffers given back as soon as a
                              * connection is idle (io_uring), so the
                              * tests that grow them go through that */
                             .idle_trim_ms = -1};
    char err[256] = "";
    if (tls_server_create(&cfg, &f->ts, err, sizeof(err)) != 0)
        fail_msg("tls_server_create: %s", err);
}

/* A TLS socketpair end for the owner, the other for a client (not started). */
static void open_tls(struct fixture *f)
{
    int sv[2];
    if (f->backend == URING && event_loop_uring(f->loop) == NULL)
        skip(); /* the kernel refused a ring */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    f->cl.fd = sv[1];
    struct conn_hooks hooks = {.event = on_event,
                               .free = on_free,
                               .release = release,
                               .budget = 20,
                               .bytes_read = &f->o.bytes_read,
                               .bytes_written = &f->o.bytes_written};
    assert_int_equal(tls_server_adopt(f->ts, sv[0], TLS_LISTEN_DEFAULT), 0);
    assert_int_equal(conn_open(&f->o.c, f->loop, sv[0], &hooks, &f->o), 0);
    assert_string_equal(conn_type_name(&f->o.c), "tls"); /* on a ring's loop too */
}

static void start_client(struct fixture *f, bool plain, const char *send, size_t want)
{
    f->cl.plain = plain;
    f->cl.send = send;
    f->cl.want = want;
    assert_int_equal(pthread_create(&f->cl.thread, NULL, client_main, &f->cl), 0);
}

static void join_client(struct fixture *f)
{
    pthread_join(f->cl.thread, NULL);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->backend = (enum backend)(uintptr_t)*state;
    f->loop = event_loop_create();
    assert_non_null(f->loop);
    if (f->backend == URING) {
        event_loop_want_uring(f->loop, 64, 16, 4096);
        event_loop_stop(f->loop); /* a run that only creates the ring */
        assert_int_equal(event_loop_run(f->loop), 0);
    }
    event_loop_set_tick(f->loop, 5, on_tick, f);
    f->cl.fd = -1;
    current = f;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (f->o.c.loop != NULL && f->o.freed == 0)
        conn_close(&f->o.c);
    event_loop_destroy(&f->loop);
    if (f->cl.fd >= 0)
        close(f->cl.fd);
    free(f->cl.got);
    tls_server_destroy(&f->ts);
    free(f);
    return 0;
}

static void test_handshake_before_the_first_event(void **state)
{
    struct fixture *f = *state;
    make_server(f, 0, 16384);
    open_tls(f);
    start_client(f, false, "hello\n", 9);
    run_until(f, freed); /* the client reads its reply, then ends the stream */
    join_client(f);
    assert_true(f->cl.handshake_ok);
    assert_string_equal(f->cl.got, "ok hello\n");
    assert_string_equal(f->cl.subject, "localhost");
    assert_int_equal(f->o.first, CONN_EV_INPUT);
    assert_int_equal(f->o.lines, 1);
    assert_false(f->o.errored);
    assert_int_equal(f->o.bytes_read, 6);      /* plaintext, as a plain connection counts */
    assert_int_equal(f->o.bytes_written, 9);
    struct tls_counters tc;
    tls_server_counters(f->ts, &tc);
    assert_int_equal(tc.handshakes, 1);
    assert_int_equal(tc.handshake_errors, 0);
}

static void test_plain_text_fails_the_handshake(void **state)
{
    struct fixture *f = *state;
    make_server(f, 0, 16384);
    open_tls(f);
    start_client(f, true, "version\r\n", 4096);
    run_until(f, freed);
    join_client(f);
    assert_int_equal(f->o.ncalls, 1); /* one event, the error: the owner saw no byte */
    assert_int_equal(f->o.first, CONN_EV_ERROR);
    assert_null(strstr(f->cl.got, "ok"));
    struct tls_counters tc;
    tls_server_counters(f->ts, &tc);
    assert_int_equal(tc.handshake_errors, 1);
}

static void test_stalled_handshake_times_out(void **state)
{
    struct fixture *f = *state;
    make_server(f, 50, 16384);
    open_tls(f); /* the client never says hello */
    run_until(f, freed);
    assert_int_equal(f->o.first, CONN_EV_ERROR);
    struct tls_counters tc;
    tls_server_counters(f->ts, &tc);
    assert_int_equal(tc.handshake_errors, 1);
}

/* 64 lines, each answered with 16 KB more by reference: megabytes that
 * the socketpair cannot hold, written through gathering (a 1 KB buffer)
 * and straight from the reference, with writes that block retried. */
static void test_large_replies_arrive_whole(void **state)
{
    struct fixture *f = *state;
    static char ref[16384];
    static char lines[64 * 3 + 1];
    for (size_t i = 0; i < sizeof(ref); i++)
        ref[i] = (char)('a' + i % 26);
    for (int i = 0; i < 64; i++)
        memcpy(lines + i * 3, "x\n\n", 3);
    lines[64 * 3 - 1] = '\0'; /* 64 "x\n" lines with blank lines between */
    make_server(f, 0, 1024);
    f->o.ref = ref;
    f->o.ref_len = sizeof(ref);
    open_tls(f);
    size_t per_line = 5 + sizeof(ref), blank = 4 + sizeof(ref);
    size_t want = 64 * per_line + 63 * blank;
    start_client(f, false, lines, want);
    run_until(f, freed);
    join_client(f);
    assert_int_equal(f->cl.ngot, want);
    assert_memory_equal(f->cl.got, "ok x\n", 5);
    assert_memory_equal(f->cl.got + 5, ref, sizeof(ref));
    assert_memory_equal(f->cl.got + per_line, "ok \n", 4);
    assert_int_equal(f->o.bytes_written, want);
}

/* 500 lines in one burst, an owner that takes 20 a wake-up (its budget)
 * and yields with the rest buffered: every line is answered, in order,
 * across the yields. */
static void test_yields_go_through_a_burst(void **state)
{
    struct fixture *f = *state;
    static char lines[500 * 4 + 1];
    for (int i = 0; i < 500; i++)
        snprintf(lines + i * 4, 5, "%03d\n", i);
    make_server(f, 0, 16384);
    f->o.one_per_budget = true;
    open_tls(f);
    start_client(f, false, lines, 500 * 7);
    run_until(f, freed);
    join_client(f);
    assert_int_equal(f->o.lines, 500);
    assert_true(f->o.yields >= 500 / 20 - 1);
    assert_int_equal(f->cl.ngot, 500 * 7);
    for (int i = 0; i < 500; i++) {
        char want[8];
        snprintf(want, sizeof(want), "ok %03d\n", i);
        assert_memory_equal(f->cl.got + i * 7, want, 7);
    }
    assert_false(f->o.errored);
}

/* A burst of 16 KB replies grows the connection's buffers; once it is out
 * and the connection idle they are given back (conn_tls_uring.c, at once
 * here: idle_trim_ms), and the session goes on: a small request after it
 * is answered. */
static void test_small_request_after_a_burst(void **state)
{
    struct fixture *f = *state;
    static char ref[16384];
    for (size_t i = 0; i < sizeof(ref); i++)
        ref[i] = (char)('A' + i % 26);
    make_server(f, 0, 16384);
    f->o.ref = ref;
    f->o.ref_len = sizeof(ref);
    f->o.ref_x_only = true;
    open_tls(f);
    size_t per_line = 5 + sizeof(ref);
    f->cl.send2 = "after\n";
    f->cl.want2 = 9;
    start_client(f, false, "x\nx\nx\nx\nx\nx\nx\nx\n", 8 * per_line);
    run_until(f, freed);
    join_client(f);
    assert_int_equal(f->cl.ngot, 8 * per_line + 9);
    assert_memory_equal(f->cl.got + 7 * per_line + 5, ref, sizeof(ref));
    assert_memory_equal(f->cl.got + 8 * per_line, "ok after\n", 9);
    assert_int_equal(f->o.lines, 9);
    assert_false(f->o.errored);
}

/* A reload gives new sessions the new certificate; a failed one keeps it. */
static void test_reload(void **state)
{
    struct fixture *f = *state;
    char err[256];
    make_server(f, 0, 16384);
    /* the files change under the server: its paths now hold the second one */
    char saved_cert[64], saved_key[64];
    snprintf(saved_cert, sizeof(saved_cert), "%s/saved.crt", dir);
    snprintf(saved_key, sizeof(saved_key), "%s/saved.key", dir);
    assert_int_equal(rename(cert_path, saved_cert), 0);
    assert_int_equal(rename(key_path, saved_key), 0);
    assert_int_not_equal(tls_server_reload(f->ts, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "No such file"));
    assert_int_equal(link(cert2_path, cert_path), 0);
    assert_int_equal(link(key2_path, key_path), 0);
    assert_int_equal(tls_server_reload(f->ts, err, sizeof(err)), 0);
    open_tls(f);
    start_client(f, false, "a\n", 5);
    run_until(f, freed);
    join_client(f);
    assert_string_equal(f->cl.subject, "second");
    unlink(cert_path);
    unlink(key_path);
    assert_int_equal(rename(saved_cert, cert_path), 0);
    assert_int_equal(rename(saved_key, key_path), 0);
}

#define BOTH(fn)                                                                           \
    cmocka_unit_test_prestate_setup_teardown(fn, setup, teardown, (void *)(uintptr_t)EPOLL), \
        cmocka_unit_test_prestate_setup_teardown(fn, setup, teardown, (void *)(uintptr_t)URING)

int main(void)
{
    assert_non_null(mkdtemp(dir));
    snprintf(cert_path, sizeof(cert_path), "%s/server.crt", dir);
    snprintf(key_path, sizeof(key_path), "%s/server.key", dir);
    snprintf(cert2_path, sizeof(cert2_path), "%s/second.crt", dir);
    snprintf(key2_path, sizeof(key2_path), "%s/second.key", dir);
    make_cert("localhost", cert_path, key_path);
    make_cert("second", cert2_path, key2_path);
    const struct CMUnitTest tests[] = {
        BOTH(test_handshake_before_the_first_event),
        BOTH(test_yields_go_through_a_burst),
        BOTH(test_small_request_after_a_burst),
        BOTH(test_plain_text_fails_the_handshake),
        BOTH(test_stalled_handshake_times_out),
        BOTH(test_large_replies_arrive_whole),
        BOTH(test_reload),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(cert_path);
    unlink(key_path);
    unlink(cert2_path);
    unlink(key2_path);
    rmdir(dir);
    return rc;
}
