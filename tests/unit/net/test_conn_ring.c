/* Unit tests for net/conn's completion mode on net/uring, over a socketpair:
 * a receive lands in the buffer, a send releases zero-copy references only
 * on its completion, short sends are resumed, and cancelling a receive
 * still completes it; a multishot receive appends every arrival while it
 * stays armed, ends when stopped, at end of stream and when the provided
 * buffers run out. Skipped where io_uring is unavailable. */
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

static void teardown_fixture(struct fixture *f);

static int setup_ring(void **state, unsigned bufs, unsigned buf_size)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->ring = uring_create(64, bufs, buf_size);
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

static int setup(void **state)
{
    return setup_ring(state, 0, 0);
}

/* Four provided buffers of 64 bytes; NULL state also when the kernel has
 * no provided buffer rings. */
static int setup_bufs(void **state)
{
    setup_ring(state, 4, 64);
    struct fixture *f = *state;
    if (f != NULL && !conn_can_multishot(&f->c)) {
        teardown_fixture(f);
        *state = NULL;
    }
    return 0;
}

static void teardown_fixture(struct fixture *f)
{
    conn_cancel(&f->c);
    while (f->c.busy != 0)
        uring_run_once(f->ring, 1000);
    conn_close(&f->c);
    close(f->peer);
    uring_destroy(&f->ring);
    free(f);
}

static int teardown(void **state)
{
    if (*state != NULL)
        teardown_fixture(*state);
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

/* Run the ring until done has been called n more times (or 100 tries). */
static void wait_calls(struct fixture *f, int n)
{
    int target = f->done_calls + n;
    for (int i = 0; i < 100 && f->done_calls < target; i++)
        assert_int_equal(uring_run_once(f->ring, 100), 0);
    assert_int_equal(f->done_calls, target);
}

static void test_multishot_stays_armed(void **state)
{
    struct fixture *f = *state;
    if (f == NULL)
        skip();
    assert_int_equal(conn_submit_recv_multishot(&f->c), 0);
    assert_true(conn_recv_multishot(&f->c));
    for (int round = 0; round < 8; round++) { /* more rounds than buffers */
        assert_int_equal(write(f->peer, "get a\r\n", 7), 7);
        wait_calls(f, 1);
        assert_int_equal(f->last_op, CONN_OP_RECV);
        assert_int_equal(f->last_res, 7);
        assert_true(f->c.busy & CONN_OP_RECV); /* still armed */
        assert_int_equal(rbuf_len(&f->c.in), 7 * (size_t)(round + 1));
    }
    assert_memory_equal(rbuf_head(&f->c.in) + 7 * 7, "get a\r\n", 7);
    /* The owner may consume the buffer while the receive stays armed. */
    rbuf_consume(&f->c.in, rbuf_len(&f->c.in));
    assert_int_equal(write(f->peer, "get bb\r\n", 8), 8);
    wait_calls(f, 1);
    assert_int_equal(rbuf_len(&f->c.in), 8);
    assert_memory_equal(rbuf_head(&f->c.in), "get bb\r\n", 8);
}

static void test_multishot_stop(void **state)
{
    struct fixture *f = *state;
    if (f == NULL)
        skip();
    assert_int_equal(conn_submit_recv_multishot(&f->c), 0);
    assert_int_equal(uring_run_once(f->ring, 0), 0);
    conn_stop_recv(&f->c);
    conn_stop_recv(&f->c); /* once is enough */
    wait_op(f, CONN_OP_RECV);
    assert_int_equal(f->last_res, -ECANCELED);
    assert_false(conn_recv_multishot(&f->c));
    assert_int_equal(uring_inflight(f->ring), 0);
    /* Bytes sent since wait for the next receive. */
    assert_int_equal(write(f->peer, "x", 1), 1);
    assert_int_equal(conn_submit_recv_multishot(&f->c), 0);
    wait_calls(f, 1);
    assert_int_equal(f->last_res, 1);
}

static void test_multishot_end_of_stream(void **state)
{
    struct fixture *f = *state;
    if (f == NULL)
        skip();
    assert_int_equal(conn_submit_recv_multishot(&f->c), 0);
    assert_int_equal(write(f->peer, "abc", 3), 3);
    shutdown(f->peer, SHUT_WR);
    while (f->c.busy & CONN_OP_RECV)
        assert_int_equal(uring_run_once(f->ring, 100), 0);
    assert_int_equal(f->last_res, 0);
    assert_int_equal(rbuf_len(&f->c.in), 3);
}

/* More bytes at once than the four 64-byte buffers hold: the receive ends
 * with -ENOBUFS once they run out; whatever it took is in the input buffer,
 * in order, and a plain receive gets the rest. */
static void test_multishot_out_of_buffers(void **state)
{
    struct fixture *f = *state;
    if (f == NULL)
        skip();
    char data[1024];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (char)('a' + i % 26);
    assert_int_equal(write(f->peer, data, sizeof(data)), (ssize_t)sizeof(data));
    assert_int_equal(conn_submit_recv_multishot(&f->c), 0);
    while (f->c.busy & CONN_OP_RECV)
        assert_int_equal(uring_run_once(f->ring, 100), 0);
    assert_int_equal(f->last_res, -ENOBUFS);
    assert_true(f->c.cr->recv_filled); /* hint: bytes are waiting */
    size_t have = rbuf_len(&f->c.in);
    assert_true(have >= 64 && have < sizeof(data));
    while (rbuf_len(&f->c.in) < sizeof(data)) {
        assert_int_equal(conn_submit_recv(&f->c, NULL, 0, false), 0);
        wait_op(f, CONN_OP_RECV);
        assert_true(f->last_res > 0);
    }
    assert_memory_equal(rbuf_head(&f->c.in), data, sizeof(data));
}

static void test_multishot_cancel_on_close(void **state)
{
    struct fixture *f = *state;
    if (f == NULL)
        skip();
    assert_int_equal(conn_submit_recv_multishot(&f->c), 0);
    assert_int_equal(write(f->peer, "abc", 3), 3);
    wait_calls(f, 1);
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
        cmocka_unit_test_setup_teardown(test_multishot_stays_armed, setup_bufs, teardown),
        cmocka_unit_test_setup_teardown(test_multishot_stop, setup_bufs, teardown),
        cmocka_unit_test_setup_teardown(test_multishot_end_of_stream, setup_bufs, teardown),
        cmocka_unit_test_setup_teardown(test_multishot_out_of_buffers, setup_bufs, teardown),
        cmocka_unit_test_setup_teardown(test_multishot_cancel_on_close, setup_bufs, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
