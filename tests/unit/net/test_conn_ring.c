/* Unit tests for net/conn's completion mode on net/uring, over a socketpair:
 * a receive lands in the buffer, a send releases zero-copy references only
 * on its completion, short sends are resumed, and cancelling a receive
 * still completes it. Skipped where io_uring is unavailable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/conn.h"
#include "net/uring.h"

struct fixture {
    struct uring *ring;
    struct conn c;
    int peer;
    int released;
    int done_calls;
    unsigned last_op;
    int last_res;
};

static void release(void *ctx, void *ref)
{
    struct fixture *f = ctx;
    (void)ref;
    f->released++;
}

static void done(struct conn *c, unsigned op, int res)
{
    struct fixture *f = c->ev.arg;
    f->done_calls++;
    f->last_op = op;
    f->last_res = res;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->ring = uring_create(64);
    if (f->ring == NULL) {
        free(f);
        *state = NULL;
        return 0;
    }
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    conn_init(&f->c, sv[0], release, f);
    assert_int_equal(conn_use_ring(&f->c, f->ring, done, f), 0);
    f->peer = sv[1];
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (f == NULL)
        return 0;
    conn_cancel(&f->c);
    while (f->c.busy != 0)
        uring_run_once(f->ring, 1000);
    conn_close(&f->c);
    close(f->peer);
    uring_destroy(&f->ring);
    free(f);
    return 0;
}

/* Run the ring until op has completed once more. */
static void wait_op(struct fixture *f, unsigned op)
{
    for (int i = 0; i < 100 && (f->c.busy & op); i++)
        assert_int_equal(uring_run_once(f->ring, 100), 0);
    assert_false(f->c.busy & op);
}

static void test_recv_into_buffer(void **state)
{
    struct fixture *f = *state;
    if (f == NULL)
        skip();
    assert_int_equal(conn_submit_recv(&f->c, NULL, 0, true), 0);
    assert_int_equal(write(f->peer, "get a\r\n", 7), 7);
    wait_op(f, CONN_OP_RECV);
    assert_int_equal(f->last_op, CONN_OP_RECV);
    assert_int_equal(f->last_res, 7);
    assert_int_equal(rbuf_len(&f->c.in), 7);
    assert_memory_equal(rbuf_head(&f->c.in), "get a\r\n", 7);

    /* Straight into a caller's buffer: the input buffer is left alone. */
    char dst[4] = {0};
    assert_int_equal(conn_submit_recv(&f->c, dst, sizeof(dst), false), 0);
    assert_int_equal(write(f->peer, "abcd", 4), 4);
    wait_op(f, CONN_OP_RECV);
    assert_int_equal(f->last_res, 4);
    assert_memory_equal(dst, "abcd", 4);
    assert_int_equal(rbuf_len(&f->c.in), 7);
}

static void test_send_releases_on_completion(void **state)
{
    struct fixture *f = *state;
    if (f == NULL)
        skip();
    static const char value[] = "0123456789";
    assert_int_equal(outq_append(&f->c.out, "VALUE k 0 10\r\n", 14), 0);
    assert_int_equal(outq_append_ref(&f->c.out, value, 10, (void *)value), 0);
    assert_int_equal(conn_submit_send(&f->c), 0);
    assert_int_equal(f->released, 0); /* queued, not yet sent */
    /* A second submit while one is in flight is a no-op. */
    assert_int_equal(conn_submit_send(&f->c), 0);
    wait_op(f, CONN_OP_SEND);
    assert_int_equal(f->last_res, 24);
    assert_int_equal(f->released, 1);
    assert_true(outq_empty(&f->c.out));
    char buf[64];
    assert_int_equal(read(f->peer, buf, sizeof(buf)), 24);
    assert_memory_equal(buf, "VALUE k 0 10\r\n0123456789", 24);
}

static void test_short_sends_resume(void **state)
{
    struct fixture *f = *state;
    if (f == NULL)
        skip();
    size_t len = 4u << 20;
    char *big = malloc(len);
    for (size_t i = 0; i < len; i++)
        big[i] = (char)(i * 7);
    assert_int_equal(outq_append_ref(&f->c.out, big, len, big), 0);
    char *got = malloc(len);
    size_t have = 0;
    int sends = 0;
    while (!outq_empty(&f->c.out) || (f->c.busy & CONN_OP_SEND)) {
        assert_int_equal(conn_submit_send(&f->c), 0);
        uring_run_once(f->ring, 10);
        if (!(f->c.busy & CONN_OP_SEND) && f->last_op == CONN_OP_SEND) {
            assert_true(f->last_res > 0);
            sends++;
            if (!outq_empty(&f->c.out))
                assert_int_equal(f->released, 0);
        }
        ssize_t n = recv(f->peer, got + have, len - have, MSG_DONTWAIT);
        if (n > 0)
            have += (size_t)n;
    }
    while (have < len) {
        ssize_t n = recv(f->peer, got + have, len - have, 0);
        assert_true(n > 0);
        have += (size_t)n;
    }
    assert_true(sends > 1); /* the socket buffer is far smaller than 4 MiB */
    assert_int_equal(f->released, 1);
    assert_memory_equal(got, big, len);
    free(got);
    free(big);
}

static void test_cancel_completes(void **state)
{
    struct fixture *f = *state;
    if (f == NULL)
        skip();
    assert_int_equal(conn_submit_recv(&f->c, NULL, 0, true), 0);
    assert_int_equal(uring_run_once(f->ring, 0), 0); /* in the kernel, waiting */
    assert_true(f->c.busy & CONN_OP_RECV);
    conn_cancel(&f->c);
    wait_op(f, CONN_OP_RECV);
    assert_int_equal(f->last_res, -ECANCELED);
    assert_int_equal(uring_inflight(f->ring), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_recv_into_buffer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_send_releases_on_completion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_sends_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_completes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
