/*
 * event.c: epoll backend of event.h. An eventfd carries wake-ups and stop
 * requests from other threads. With a ring, the epoll descriptor is polled
 * through the ring and epoll_wait runs only (with no wait) when it is ready,
 * unless the ring has nothing else to wait for (uring_iteration).
 */
#include "net/event.h"

#include "net/uring.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 256

struct event_loop {
    int epfd;
    struct event_handler wake;
    atomic_bool stopping;
    event_tick_fn wake_fn;
    void *wake_arg;
    event_tick_fn tick_fn;
    void *tick_arg;
    event_tick_fn batch_end_fn;
    void *batch_end_arg;
    int tick_ms;
    int64_t next_tick_ms;
    struct event_deadline *first, *last; /* by at_ms */
    unsigned uring_entries; /* wanted; 0 = epoll only */
    unsigned recv_bufs, recv_buf_size;
    unsigned poll_us;
    uring_peek_end_fn peek_end;
    void *peek_arg;
    struct uring *ring;
    struct uring_op epoll_op; /* the ring's poll of epfd */
    bool epoll_armed;
    /* The batch epoll_dispatch is working through: event_del clears a
     * removed handler's later entries (see there). */
    struct epoll_event *batch;
    int batch_next, batch_len;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t to_epoll(uint32_t mask)
{
    uint32_t ev = 0;
    if (mask & EVENT_READ)
        ev |= EPOLLIN | EPOLLRDHUP;
    if (mask & EVENT_WRITE)
        ev |= EPOLLOUT;
    return ev;
}

static void on_wake(struct event_handler *h, uint32_t events)
{
    struct event_loop *loop = h->arg;
    uint64_t count;
    ssize_t ignored = read(h->fd, &count, sizeof(count));
    (void)ignored;
    if (loop->wake_fn != NULL)
        loop->wake_fn(loop, loop->wake_arg);
}

struct event_loop *event_loop_create(void)
{
    struct event_loop *loop = calloc(1, sizeof(*loop));
    if (loop == NULL)
        return NULL;
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    int wfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (loop->epfd < 0 || wfd < 0 || event_add(loop, &loop->wake, wfd, EVENT_READ, on_wake, loop) != 0) {
        if (wfd >= 0)
            close(wfd);
        if (loop->epfd >= 0)
            close(loop->epfd);
        free(loop);
        return NULL;
    }
    return loop;
}

void event_loop_destroy(struct event_loop **loopp)
{
    struct event_loop *loop = *loopp;
    if (loop == NULL)
        return;
    event_loop_finish(loop);
    close(loop->wake.fd);
    close(loop->epfd);
    free(loop);
    *loopp = NULL;
}

int event_add(struct event_loop *loop, struct event_handler *h, int fd, uint32_t mask,
              event_fn fn, void *arg)
{
    h->fd = fd;
    h->mask = mask;
    h->fn = fn;
    h->arg = arg;
    struct epoll_event ev = {.events = to_epoll(mask), .data.ptr = h};
    return epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev);
}

int event_modify(struct event_loop *loop, struct event_handler *h, uint32_t mask)
{
    if (h->mask == mask)
        return 0;
    h->mask = mask;
    struct epoll_event ev = {.events = to_epoll(mask), .data.ptr = h};
    return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, h->fd, &ev);
}

/* A handler removed while a batch is dispatched (its connection closed by
 * an earlier handler of the batch: a stream's kick from the wake-up, say)
 * may be freed at once, and may still have an entry further on in the
 * batch: that entry is cleared so it is not dispatched. */
void event_del(struct event_loop *loop, struct event_handler *h)
{
    epoll_ctl(loop->epfd, EPOLL_CTL_DEL, h->fd, NULL);
    h->mask = 0;
    for (int i = loop->batch_next; i < loop->batch_len; i++) {
        if (loop->batch[i].data.ptr == h)
            loop->batch[i].data.ptr = NULL;
    }
}

void event_loop_set_tick(struct event_loop *loop, int interval_ms, event_tick_fn fn, void *arg)
{
    loop->tick_ms = interval_ms;
    loop->tick_fn = fn;
    loop->tick_arg = arg;
    loop->next_tick_ms = now_ms() + interval_ms;
}

void event_loop_set_batch_end(struct event_loop *loop, event_tick_fn fn, void *arg)
{
    loop->batch_end_fn = fn;
    loop->batch_end_arg = arg;
}

void event_loop_set_wake(struct event_loop *loop, event_tick_fn fn, void *arg)
{
    loop->wake_fn = fn;
    loop->wake_arg = arg;
}

void event_loop_want_uring(struct event_loop *loop, unsigned entries, unsigned recv_bufs,
                           unsigned recv_buf_size)
{
    loop->uring_entries = entries;
    loop->recv_bufs = recv_bufs;
    loop->recv_buf_size = recv_buf_size;
}

void event_loop_set_poll(struct event_loop *loop, unsigned poll_us)
{
    loop->poll_us = poll_us;
}

void event_loop_set_peek_end(struct event_loop *loop, void (*end)(void *arg), void *arg)
{
    loop->peek_end = end;
    loop->peek_arg = arg;
}

struct uring *event_loop_uring(const struct event_loop *loop)
{
    return loop->ring;
}

void event_loop_finish(struct event_loop *loop)
{
    if (loop->ring == NULL)
        return;
    if (loop->epoll_armed)
        uring_prep_cancel(loop->ring, &loop->epoll_op);
    uring_destroy(&loop->ring);
}

/* Wait up to timeout ms for epoll events and run their handlers. 0, or -1
 * on an epoll failure. */
static int epoll_dispatch(struct event_loop *loop, int timeout)
{
    struct epoll_event events[MAX_EVENTS];
    int n = epoll_wait(loop->epfd, events, MAX_EVENTS, timeout);
    if (n < 0)
        return errno == EINTR ? 0 : -1;
    loop->batch = events;
    loop->batch_len = n;
    for (int i = 0; i < n; i++) {
        struct event_handler *h = events[i].data.ptr;
        uint32_t e = events[i].events;
        loop->batch_next = i + 1;
        if (h == NULL)
            continue; /* removed by an earlier handler of this batch */
        uint32_t mask = 0;
        if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            mask |= EVENT_READ;
        if (e & EPOLLOUT)
            mask |= EVENT_WRITE;
        if (e & (EPOLLHUP | EPOLLERR))
            mask |= EVENT_ERROR;
        h->fn(h, mask);
    }
    loop->batch_len = loop->batch_next = 0;
    return 0;
}

static void on_epoll_ready(struct uring_op *op, int res, unsigned flags)
{
    (void)flags;
    struct event_loop *loop = op->arg;
    loop->epoll_armed = false;
    if (res >= 0)
        epoll_dispatch(loop, 0);
}

/* One iteration on the ring: re-arm the poll of the epoll set, then
 * submit everything queued and wait, all in one io_uring_enter. But when
 * the ring has nothing in flight beyond that poll and nothing to submit
 * (a worker whose connections are all readiness types: TLS), the epoll set
 * is all there is to wait for: epoll_wait waits for it itself, one system
 * call a wake-up instead of two (measured: 3.6 io_uring_enter calls per
 * new TLS connection beside epoll_wait's 4.6). A poll left armed completes
 * on the ring meanwhile and is dispatched, finding nothing, once the ring
 * runs again. */
static int uring_iteration(struct event_loop *loop, int timeout)
{
    if (uring_inflight(loop->ring) <= (loop->epoll_armed ? 1u : 0u) &&
        !uring_has_queued(loop->ring))
        return epoll_dispatch(loop, timeout);
    if (!loop->epoll_armed) {
        loop->epoll_op = (struct uring_op){.fn = on_epoll_ready, .arg = loop};
        if (uring_prep_poll_in(loop->ring, &loop->epoll_op, loop->epfd) != 0)
            return -1;
        loop->epoll_armed = true;
    }
    return uring_run_once(loop->ring, timeout);
}

void event_deadline_add(struct event_loop *loop, struct event_deadline *d, int ms,
                        void (*fn)(struct event_deadline *d), void *arg)
{
    d->at_ms = now_ms() + ms;
    d->fn = fn;
    d->arg = arg;
    d->armed = true;
    /* From the back: deadlines of one length (all a loop has) come in order. */
    struct event_deadline *after = loop->last;
    while (after != NULL && after->at_ms > d->at_ms)
        after = after->prev;
    d->prev = after;
    d->next = after != NULL ? after->next : loop->first;
    if (d->next != NULL)
        d->next->prev = d;
    else
        loop->last = d;
    if (after != NULL)
        after->next = d;
    else
        loop->first = d;
}

void event_deadline_del(struct event_loop *loop, struct event_deadline *d)
{
    if (!d->armed)
        return;
    if (d->prev != NULL)
        d->prev->next = d->next;
    else
        loop->first = d->next;
    if (d->next != NULL)
        d->next->prev = d->prev;
    else
        loop->last = d->prev;
    d->prev = d->next = NULL;
    d->armed = false;
}

/* The wait's bound: the next tick or the first deadline, -1 for none. */
static int wait_ms(const struct event_loop *loop)
{
    int64_t now = now_ms(), until = -1;
    if (loop->tick_fn != NULL)
        until = loop->next_tick_ms;
    if (loop->first != NULL && (until < 0 || loop->first->at_ms < until))
        until = loop->first->at_ms;
    if (until < 0)
        return -1;
    return until <= now ? 0 : (int)(until - now);
}

static void fire_deadlines(struct event_loop *loop)
{
    int64_t now = now_ms();
    while (loop->first != NULL && loop->first->at_ms <= now) {
        struct event_deadline *d = loop->first;
        event_deadline_del(loop, d);
        d->fn(d); /* may free d */
    }
}

int event_loop_run(struct event_loop *loop)
{
    if (loop->uring_entries > 0 && loop->ring == NULL)
        loop->ring = uring_create(loop->uring_entries, loop->recv_bufs, loop->recv_buf_size);
    if (loop->ring != NULL) {
        uring_set_poll(loop->ring, loop->poll_us);
        uring_set_peek_end(loop->ring, loop->peek_end, loop->peek_arg);
    }
    while (!atomic_load_explicit(&loop->stopping, memory_order_acquire)) {
        int timeout = wait_ms(loop);
        int rc = loop->ring != NULL ? uring_iteration(loop, timeout) : epoll_dispatch(loop, timeout);
        if (rc != 0)
            return -1;
        if (loop->batch_end_fn != NULL)
            loop->batch_end_fn(loop, loop->batch_end_arg);
        if (loop->first != NULL)
            fire_deadlines(loop);
        if (loop->tick_fn != NULL && now_ms() >= loop->next_tick_ms) {
            loop->next_tick_ms = now_ms() + loop->tick_ms;
            loop->tick_fn(loop, loop->tick_arg);
        }
    }
    atomic_store_explicit(&loop->stopping, false, memory_order_relaxed);
    return 0;
}

void event_loop_wake(struct event_loop *loop)
{
    uint64_t one = 1;
    ssize_t ignored = write(loop->wake.fd, &one, sizeof(one));
    (void)ignored;
}

void event_loop_stop(struct event_loop *loop)
{
    atomic_store_explicit(&loop->stopping, true, memory_order_release);
    event_loop_wake(loop);
}
