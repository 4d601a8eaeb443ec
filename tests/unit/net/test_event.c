/* Unit tests for net/event.c: a handler removed by an earlier handler of
 * the same epoll batch (its connection closed, its memory possibly freed)
 * gets no event from that batch (regression test: a stream's kick from the
 * wake-up closed a watcher whose socket was in the same batch, and the
 * batch then called into the freed connection); deadlines fire in their
 * order, wake a loop that has nothing else to wait for, and a deleted one
 * never fires. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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

struct timed {
    struct event_deadline d;
    struct event_loop *loop;
    int id;
    bool last;
};

static int fired[4], nfired;

static void on_deadline(struct event_deadline *d)
{
    struct timed *t = d->arg;
    fired[nfired++] = t->id;
    if (t->last)
        event_loop_stop(t->loop);
}

static void test_deadlines_fire_in_order_and_a_deleted_one_never(void **state)
{
    (void)state;
    struct event_loop *loop = event_loop_create();
    assert_non_null(loop);
    /* No tick and no descriptor: only the deadlines bound the wait. Added
     * out of order; the latest stops the loop. */
    struct timed t[4] = {{.id = 0, .last = true}, {.id = 1}, {.id = 2}, {.id = 3}};
    int ms[4] = {60, 20, 40, 30};
    for (int i = 0; i < 4; i++) {
        t[i].loop = loop;
        event_deadline_add(loop, &t[i].d, ms[i], on_deadline, &t[i]);
    }
    event_deadline_del(loop, &t[3].d);
    event_deadline_del(loop, &t[3].d); /* twice: harmless */
    assert_int_equal(event_loop_run(loop), 0);
    assert_int_equal(nfired, 3);
    assert_int_equal(fired[0], 1);
    assert_int_equal(fired[1], 2);
    assert_int_equal(fired[2], 0);
    for (int i = 0; i < 4; i++)
        assert_false(t[i].d.armed);
    event_loop_destroy(&loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_removed_handler_gets_no_event_of_the_batch),
        cmocka_unit_test(test_deadlines_fire_in_order_and_a_deleted_one_never),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
