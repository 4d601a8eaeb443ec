/* Unit tests for net/conn.h: a socketpair driven through each connection
 * type (epoll readiness; io_uring completions, also with a few tiny
 * provided buffers) by a small line-echo owner: bytes in and replies out,
 * the budget and yields (and their fairness between two connections), the
 * peer closing, a direct receive, closing with output queued, and the free
 * fn once nothing is in flight. The loop runs until the condition a test
 * waits for holds (checked after each event and on a 5 ms tick), with a
 * 5 s limit that fails the test. io_uring cases are skipped where the
 * kernel refuses a ring. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/conn.h"
#include "net/event.h"

enum backend { EPOLL, URING, URING_TINY_BUFS };

#define MAX_CALLS 256

struct owner {
    struct conn c;
    struct event_loop *loop;
    int id;
    int peer;
    enum conn_event evs[MAX_CALLS];
    int handled_per_call[MAX_CALLS];
    int ncalls;
    int lines;
    bool peer_closed;
    int freed;
    _Atomic uint64_t bytes_read, bytes_written;
    /* a direct receive: direct_need bytes into dbuf */
    char *dbuf;
    size_t direct_need, direct_have, direct_landed;
    bool echo; /* answer each line (else only buffer input) */
    bool closing;
    /* backpressure: each line's reply carries ref_len bytes of ref by
     * reference; past pause_above queued, input waits for the queue to
     * drain to half of that */
    const char *ref;
    size_t ref_len, pause_above;
    bool paused;
};

struct fixture {
    enum backend backend;
    struct event_loop *loop;
    struct owner a, b;
    bool (*until)(struct fixture *f);
    int ticks;
    bool timed_out;
    int order[MAX_CALLS]; /* owner ids of calls that handled lines, in turn */
    int norder;
    int released;
};

static struct fixture *current;

static void check_done(struct fixture *f)
{
    if (f->until != NULL && f->until(f))
        event_loop_stop(f->loop);
}

static void want_next(struct owner *o)
{
    struct conn *c = &o->c;
    if (o->closing || (o->peer_closed && rbuf_len(&c->in) == 0)) {
        if (outq_empty(&c->out))
            conn_close(c);
        else
            conn_want(c, CONN_WANT_CLOSE, NULL, 0);
        return;
    }
    unsigned want = o->paused ? CONN_WANT_OUTPUT : CONN_WANT_INPUT;
    char *direct = NULL;
    size_t len = 0;
    if (c->budget <= 0 && rbuf_len(&c->in) > 0 && !o->paused)
        want |= CONN_WANT_YIELD;
    if (o->direct_have < o->direct_need && rbuf_len(&c->in) == 0) {
        direct = o->dbuf + o->direct_have;
        len = o->direct_need - o->direct_have;
    }
    conn_want(c, want, direct, len);
}

/* Take buffered input: first into a pending direct destination (as a
 * value's head that came with its command), then line by line, one unit
 * of budget each. */
static int take_input(struct owner *o)
{
    struct conn *c = &o->c;
    int handled = 0;
    if (c->in_filling)
        return 0;
    if (o->direct_have < o->direct_need && rbuf_len(&c->in) > 0) {
        size_t n = o->direct_need - o->direct_have;
        if (n > rbuf_len(&c->in))
            n = rbuf_len(&c->in);
        memcpy(o->dbuf + o->direct_have, rbuf_head(&c->in), n);
        rbuf_consume(&c->in, n);
        o->direct_have += n;
    }
    while (o->echo && c->budget > 0 && rbuf_len(&c->in) > 0) {
        if (o->pause_above > 0 && outq_pending(&c->out) > o->pause_above) {
            o->paused = true;
            break;
        }
        const char *nl = memchr(rbuf_head(&c->in), '\n', rbuf_len(&c->in));
        if (nl == NULL)
            break;
        size_t len = (size_t)(nl - rbuf_head(&c->in)) + 1;
        assert_int_equal(outq_append(&c->out, "ok ", 3), 0);
        assert_int_equal(outq_append(&c->out, rbuf_head(&c->in), len), 0);
        rbuf_consume(&c->in, len);
        if (o->ref_len > 0)
            assert_int_equal(outq_append_ref(&c->out, o->ref, o->ref_len, (void *)o->ref), 0);
        c->budget--;
        o->lines++;
        handled++;
    }
    return handled;
}

static void on_event(struct conn *c, enum conn_event ev, size_t n)
{
    struct owner *o = c->owner;
    struct fixture *f = current;
    assert_true(o->ncalls < MAX_CALLS);
    o->evs[o->ncalls] = ev;
    switch (ev) {
    case CONN_EV_ERROR:
        conn_close(c);
        return;
    case CONN_EV_PEER_CLOSED:
        o->peer_closed = true;
        break;
    case CONN_EV_DIRECT:
        o->direct_have += n;
        o->direct_landed += n;
        break;
    case CONN_EV_OUTPUT:
        if (o->paused && outq_pending(&c->out) <= o->pause_above / 2)
            o->paused = false;
        break;
    default:
        break;
    }
    int handled = take_input(o);
    o->handled_per_call[o->ncalls++] = handled;
    if (handled > 0 && f->norder < MAX_CALLS)
        f->order[f->norder++] = o->id;
    want_next(o);
    check_done(f);
}

static void on_free(struct conn *c)
{
    struct owner *o = c->owner;
    o->freed++;
    check_done(current);
}

static void on_tick(struct event_loop *loop, void *arg)
{
    (void)loop;
    struct fixture *f = arg;
    if (++f->ticks >= 1000) { /* 5 s */
        f->timed_out = true;
        event_loop_stop(f->loop);
        return;
    }
    check_done(f);
}

static void run_until(struct fixture *f, bool (*until)(struct fixture *))
{
    f->until = until;
    f->ticks = 0;
    if (!until(f))
        assert_int_equal(event_loop_run(f->loop), 0);
    f->until = NULL;
    assert_false(f->timed_out);
    assert_true(until(f));
}

static void release(void *ctx, void *ref)
{
    (void)ref;
    struct fixture *f = ctx;
    f->released++;
}

static void open_owner(struct fixture *f, struct owner *o, int id, int budget)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    o->id = id;
    o->loop = f->loop;
    o->peer = sv[1];
    o->echo = true;
    struct conn_hooks hooks = {.event = on_event,
                               .free = on_free,
                               .release = release,
                               .release_ctx = f,
                               .budget = budget,
                               .bytes_read = &o->bytes_read,
                               .bytes_written = &o->bytes_written};
    assert_int_equal(conn_open(&o->c, f->loop, sv[0], &hooks, o), 0);
    if (f->backend != EPOLL && strcmp(conn_type_name(&o->c), "epoll") == 0)
        skip(); /* no io_uring here: the loop gave the epoll type */
    assert_string_equal(conn_type_name(&o->c), f->backend == EPOLL ? "epoll" : "io_uring");
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->backend = (enum backend)(uintptr_t)*state;
    f->loop = event_loop_create();
    assert_non_null(f->loop);
    if (f->backend != EPOLL) {
        if (f->backend == URING)
            event_loop_want_uring(f->loop, 64, 16, 4096);
        else
            event_loop_want_uring(f->loop, 64, 4, 64);
        event_loop_stop(f->loop); /* a run that only creates the ring */
        assert_int_equal(event_loop_run(f->loop), 0);
    }
    event_loop_set_tick(f->loop, 5, on_tick, f);
    current = f;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    struct owner *owners[] = {&f->a, &f->b};
    for (int i = 0; i < 2; i++) {
        if (owners[i]->loop != NULL && owners[i]->freed == 0)
            conn_close(&owners[i]->c);
    }
    event_loop_destroy(&f->loop); /* reaps what is in flight: the free fns run */
    for (int i = 0; i < 2; i++) {
        if (owners[i]->loop != NULL) {
            assert_int_equal(owners[i]->freed, 1);
            close(owners[i]->peer);
        }
    }
    free(f->a.dbuf);
    free(f->b.dbuf);
    free(f);
    current = NULL;
    return 0;
}

/* Read exactly len bytes from a nonblocking peer, running the loop while
 * they are on their way. */
static struct owner *reading;
static char *read_dst;
static size_t read_len, read_have;

static bool peer_has_all(struct fixture *f)
{
    (void)f;
    while (read_have < read_len) {
        ssize_t n = recv(reading->peer, read_dst + read_have, read_len - read_have, 0);
        if (n <= 0)
            return false;
        read_have += (size_t)n;
    }
    return true;
}

static void expect_peer(struct fixture *f, struct owner *o, const char *want)
{
    size_t len = strlen(want);
    char *got = calloc(1, len + 1);
    reading = o;
    read_dst = got;
    read_len = len;
    read_have = 0;
    run_until(f, peer_has_all);
    assert_string_equal(got, want);
    free(got);
}

static void test_bytes_in_reply_out(void **state)
{
    struct fixture *f = *state;
    open_owner(f, &f->a, 1, 20);
    assert_int_equal(write(f->a.peer, "get a\nget b\n", 12), 12);
    expect_peer(f, &f->a, "ok get a\nok get b\n");
    assert_int_equal(f->a.lines, 2);
    assert_int_equal(f->a.evs[0], CONN_EV_INPUT);
    assert_int_equal(f->a.bytes_read, 12);
    assert_int_equal(f->a.bytes_written, 18);
    /* And again: the connection keeps wanting input. */
    assert_int_equal(write(f->a.peer, "x\n", 2), 2);
    expect_peer(f, &f->a, "ok x\n");
    assert_int_equal(f->a.bytes_read, 14);
}

static bool both_done(struct fixture *f)
{
    return f->a.lines == 6 && f->b.lines == 6;
}

/* Budget 2, six lines each on two connections at once: no call handles
 * more than 2, each connection yields and resumes, and the two take turns
 * (neither runs twice in a row while the other has lines waiting). */
static void test_budget_yields_and_takes_turns(void **state)
{
    struct fixture *f = *state;
    open_owner(f, &f->a, 1, 2);
    open_owner(f, &f->b, 2, 2);
    assert_int_equal(write(f->a.peer, "1\n2\n3\n4\n5\n6\n", 12), 12);
    assert_int_equal(write(f->b.peer, "1\n2\n3\n4\n5\n6\n", 12), 12);
    run_until(f, both_done);
    struct owner *owners[] = {&f->a, &f->b};
    for (int k = 0; k < 2; k++) {
        struct owner *o = owners[k];
        int resumes = 0;
        for (int i = 0; i < o->ncalls; i++) {
            assert_true(o->handled_per_call[i] <= 2);
            if (o->evs[i] == CONN_EV_RESUME)
                resumes++;
        }
        assert_true(resumes >= 2);
    }
    assert_int_equal(f->norder, 6);
    for (int i = 1; i < f->norder; i++)
        assert_int_not_equal(f->order[i], f->order[i - 1]);
    expect_peer(f, &f->a, "ok 1\nok 2\nok 3\nok 4\nok 5\nok 6\n");
    expect_peer(f, &f->b, "ok 1\nok 2\nok 3\nok 4\nok 5\nok 6\n");
}

static bool a_freed(struct fixture *f)
{
    return f->a.freed == 1;
}

/* The peer sends a last line and closes: it is answered, then the owner
 * closes (CONN_WANT_CLOSE until the reply is out), and the free fn runs
 * once. */
static void test_peer_close(void **state)
{
    struct fixture *f = *state;
    open_owner(f, &f->a, 1, 20);
    assert_int_equal(write(f->a.peer, "bye\n", 4), 4);
    assert_int_equal(shutdown(f->a.peer, SHUT_WR), 0);
    run_until(f, a_freed);
    bool seen = false;
    for (int i = 0; i < f->a.ncalls; i++)
        seen |= f->a.evs[i] == CONN_EV_PEER_CLOSED;
    assert_true(seen);
    char buf[16];
    assert_int_equal(recv(f->a.peer, buf, sizeof(buf), 0), 7);
    assert_memory_equal(buf, "ok bye\n", 7);
    assert_int_equal(recv(f->a.peer, buf, sizeof(buf), 0), 0); /* closed */
}

static bool ticked(struct fixture *f)
{
    return f->ticks >= 2;
}

static bool direct_done(struct fixture *f)
{
    return f->a.direct_have == f->a.direct_need && f->a.lines == 1;
}

/* A direct receive: 32 KiB land in the owner's destination, not in c->in
 * (io_uring takes the direct path from 16 KiB on), then a line follows. */
static void test_direct_receive(void **state)
{
    struct fixture *f = *state;
    open_owner(f, &f->a, 1, 20);
    size_t len = 32768;
    f->a.dbuf = malloc(len);
    f->a.direct_need = len;
    conn_want(&f->a.c, CONN_WANT_INPUT, f->a.dbuf, len); /* outside an event */
    run_until(f, ticked); /* the multishot receive (io_uring) stops meanwhile */
    char *data = malloc(len + 2);
    for (size_t i = 0; i < len; i++)
        data[i] = (char)(i * 13);
    memcpy(data + len, "z\n", 2);
    assert_int_equal(write(f->a.peer, data, len + 2), (ssize_t)(len + 2));
    run_until(f, direct_done);
    assert_memory_equal(f->a.dbuf, data, len);
    assert_true(f->a.direct_landed >= 16384);
    bool seen = false;
    for (int i = 0; i < f->a.ncalls; i++)
        seen |= f->a.evs[i] == CONN_EV_DIRECT;
    assert_true(seen);
    expect_peer(f, &f->a, "ok z\n");
    assert_int_equal(f->a.bytes_read, len + 2);
    free(data);
}

static bool a_has_1024(struct fixture *f)
{
    return rbuf_len(&f->a.c.in) == 1024;
}

/* More bytes at once than the provided buffers hold (io_uring with four
 * 64-byte ones: the multishot receive runs dry and a plain receive takes
 * the rest): all arrive, in order. */
static void test_input_larger_than_buffers(void **state)
{
    struct fixture *f = *state;
    open_owner(f, &f->a, 1, 20);
    f->a.echo = false;
    char data[1024];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (char)('a' + i % 26);
    assert_int_equal(write(f->a.peer, data, sizeof(data)), (ssize_t)sizeof(data));
    run_until(f, a_has_1024);
    assert_memory_equal(rbuf_head(&f->a.c.in), data, sizeof(data));
}

static void *drain_peer(void *arg)
{
    struct owner *o = arg;
    size_t *total = calloc(1, sizeof(*total));
    char buf[65536];
    for (;;) {
        ssize_t n = recv(o->peer, buf, sizeof(buf), 0);
        if (n == 0)
            break;
        if (n > 0) {
            *total += (size_t)n;
        } else {
            struct pollfd p = {.fd = o->peer, .events = POLLIN};
            if (poll(&p, 1, 5000) != 1)
                break;
        }
    }
    return total;
}

/* A reply far larger than the socket buffer, queued by reference, then
 * CONN_WANT_CLOSE: the owner hears of output once it is all out (and
 * closes), every byte reaches the peer before the end of stream, the
 * reference is released once, and the free fn runs once. */
static void test_close_after_flush(void **state)
{
    struct fixture *f = *state;
    open_owner(f, &f->a, 1, 20);
    size_t len = 4u << 20;
    char *big = calloc(1, len);
    f->a.closing = true;
    assert_int_equal(outq_append_ref(&f->a.c.out, big, len, big), 0);
    conn_want(&f->a.c, CONN_WANT_CLOSE, NULL, 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, drain_peer, &f->a), 0);
    run_until(f, a_freed);
    void *ret;
    pthread_join(t, &ret);
    assert_int_equal(*(size_t *)ret, len);
    free(ret);
    assert_int_equal(f->released, 1);
    bool output = false;
    for (int i = 0; i < f->a.ncalls; i++)
        output |= f->a.evs[i] == CONN_EV_OUTPUT;
    assert_true(output);
    assert_int_equal(f->a.bytes_written, len);
    free(big);
}

static bool a_paused(struct fixture *f)
{
    return f->a.paused;
}

static bool a_answered_all(struct fixture *f)
{
    return f->a.lines == 8 && outq_empty(&f->a.c.out);
}

/* Backpressure: replies of 256 KiB each (by reference) to 8 pipelined
 * lines; past 512 KiB queued the owner stops taking input and waits on
 * output (CONN_WANT_OUTPUT), resuming once the queue is down to 256 KiB.
 * Once a reader drains (it starts after the pause), every line gets answered (none is left waiting
 * with no more bytes to come), every byte arrives, every reference is
 * released. */
static void test_backpressure_pauses_and_resumes(void **state)
{
    struct fixture *f = *state;
    open_owner(f, &f->a, 1, 20);
    size_t len = 256u << 10;
    char *big = calloc(1, len);
    f->a.ref = big;
    f->a.ref_len = len;
    f->a.pause_above = 2 * len;
    assert_int_equal(write(f->a.peer, "1\n2\n3\n4\n5\n6\n7\n8\n", 16), 16);
    run_until(f, a_paused); /* nobody reads yet: the queue backs up */
    assert_true(f->a.lines < 8);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, drain_peer, &f->a), 0);
    run_until(f, a_answered_all);
    bool paused_output = false;
    for (int i = 0; i < f->a.ncalls; i++)
        paused_output |= f->a.evs[i] == CONN_EV_OUTPUT;
    assert_true(paused_output); /* it did wait on output */
    conn_close(&f->a.c);
    run_until(f, a_freed);
    void *ret;
    pthread_join(t, &ret);
    assert_int_equal(*(size_t *)ret, 8 * (5 + len));
    free(ret);
    assert_int_equal(f->released, 8);
    free(big);
}

/* Closed with its receive armed: the free fn runs exactly once, after the
 * cancelled operations complete (at once on epoll). */
static void test_close_with_io_in_flight(void **state)
{
    struct fixture *f = *state;
    open_owner(f, &f->a, 1, 20);
    run_until(f, ticked); /* the receive is in the kernel */
    conn_close(&f->a.c);
    conn_close(&f->a.c); /* once is enough */
    run_until(f, a_freed);
    f->ticks = 0;
    run_until(f, ticked);
    assert_int_equal(f->a.freed, 1);
}

#define EACH(test)                                                                          \
    {#test " epoll", test, setup, teardown, (void *)(uintptr_t)EPOLL},                     \
        {#test " io_uring", test, setup, teardown, (void *)(uintptr_t)URING}

int main(void)
{
    const struct CMUnitTest tests[] = {
        EACH(test_bytes_in_reply_out),
        EACH(test_budget_yields_and_takes_turns),
        EACH(test_peer_close),
        EACH(test_direct_receive),
        EACH(test_input_larger_than_buffers),
        {"test_input_larger_than_buffers io_uring tiny buffers", test_input_larger_than_buffers,
         setup, teardown, (void *)(uintptr_t)URING_TINY_BUFS},
        EACH(test_close_after_flush),
        EACH(test_backpressure_pauses_and_resumes),
        EACH(test_close_with_io_in_flight),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
