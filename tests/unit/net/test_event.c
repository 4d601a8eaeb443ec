/* Unit tests for net/event.c: a handler removed by an earlier handler of
 * the same epoll batch (its connection closed, its memory possibly freed)
 * gets no event from that batch. Regression test: a stream's kick from the
 * wake-up closed a watcher whose socket was in the same batch, and the
 * batch then called into the freed connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <unistd.h>

#include "net/event.h"

struct pair {
    struct event_handler h;
    struct event_loop *loop;
    struct pair *other;
    int fds[2];
    int calls;
};

/* Whichever runs first removes the other, and stops the loop. */
static void on_readable(struct event_handler *h, uint32_t events)
{
    (void)events;
    struct pair *p = h->arg;
    p->calls++;
    event_del(p->loop, &p->other->h);
    event_loop_stop(p->loop);
}

static void test_removed_handler_gets_no_event_of_the_batch(void **state)
{
    (void)state;
    struct event_loop *loop = event_loop_create();
    assert_non_null(loop);
    struct pair a = {.loop = loop}, b = {.loop = loop};
    a.other = &b;
    b.other = &a;
    struct pair *ps[] = {&a, &b};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, ps[i]->fds), 0);
        assert_int_equal(event_add(loop, &ps[i]->h, ps[i]->fds[0], EVENT_READ, on_readable, ps[i]), 0);
        /* Both readable before the loop waits: one batch holds both. */
        assert_int_equal(write(ps[i]->fds[1], "x", 1), 1);
    }
    assert_int_equal(event_loop_run(loop), 0);
    assert_int_equal(a.calls + b.calls, 1);
    event_del(loop, a.calls ? &a.h : &b.h);
    event_loop_destroy(&loop);
    for (int i = 0; i < 2; i++) {
        close(ps[i]->fds[0]);
        close(ps[i]->fds[1]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_removed_handler_gets_no_event_of_the_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
