/*
 * event.h: a small epoll event loop, one per thread.
 *
 * A file descriptor is watched through a caller-owned struct event_handler
 * (usually embedded in a connection), so the loop allocates nothing per fd.
 * Level-triggered: a handler that leaves data unread is called again. Each
 * loop has a periodic tick for housekeeping (idle timeouts) and can be woken
 * or stopped from another thread. Only event_loop_wake/stop are thread-safe.
 *
 * A loop may also carry an io_uring (net/uring.h) for completion-based I/O:
 * then each iteration is one io_uring_enter(2) that submits what callbacks
 * queued and waits; the epoll set (wake-ups, UDP, TLS connections, anything
 * added with event_add) is itself watched through the ring and serviced
 * when ready, or, while the ring has nothing else in flight, waited for by
 * epoll_wait alone.
 */
#ifndef MNEMO_NET_EVENT_H
#define MNEMO_NET_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#define EVENT_READ 0x1u
#define EVENT_WRITE 0x2u
#define EVENT_ERROR 0x4u /* hang-up or error; reported with READ so reads see it */

struct event_loop;
struct event_handler;
struct uring;

typedef void (*event_fn)(struct event_handler *h, uint32_t events);
typedef void (*event_tick_fn)(struct event_loop *loop, void *arg);

struct event_handler {
    int fd;
    uint32_t mask; /* EVENT_READ | EVENT_WRITE currently watched */
    event_fn fn;
    void *arg;
};

/* NULL when epoll or eventfd cannot be created. */
struct event_loop *event_loop_create(void);
void event_loop_destroy(struct event_loop **loop);

/* Ask for an io_uring of the given depth, created by event_loop_run() in
 * the loop's thread (a ring is used by one thread only), with recv_bufs
 * provided receive buffers of recv_buf_size bytes (0: none; see
 * uring_create). If the kernel refuses, the loop stays on epoll alone.
 * Call before event_loop_run. */
void event_loop_want_uring(struct event_loop *loop, unsigned entries, unsigned recv_bufs,
                           unsigned recv_buf_size);

/* With a ring, look for new completions for up to poll_us microseconds
 * before sleeping (see uring_set_poll); 0, the default, never. */
void event_loop_set_poll(struct event_loop *loop, unsigned poll_us);

/* With a ring, see uring_set_peek_end. Call before event_loop_run. */
void event_loop_set_peek_end(struct event_loop *loop, void (*end)(void *arg), void *arg);

/* The loop's ring, or NULL on an epoll-only loop: what net/conn.c picks a
 * new connection's type by. Loop thread only. */
struct uring *event_loop_uring(const struct event_loop *loop);

/* In the loop's thread, after event_loop_run returned and the owners of
 * ring operations asked to cancel them: wait for their completions (the
 * callbacks run) and free the ring. Nothing to do on an epoll-only loop. */
void event_loop_finish(struct event_loop *loop);

/* Watch h->fd for mask; h must stay valid until event_del. 0 or -1 (errno). */
int event_add(struct event_loop *loop, struct event_handler *h, int fd, uint32_t mask,
              event_fn fn, void *arg);
int event_modify(struct event_loop *loop, struct event_handler *h, uint32_t mask);
void event_del(struct event_loop *loop, struct event_handler *h);

/* A deadline: fn(d) runs in the loop's thread (d->arg is the caller's, as
 * an event_handler's) once ms have passed since
 * event_deadline_add (to the coarse clock's few milliseconds), unless
 * event_deadline_del came first. The loop keeps its deadlines in one list
 * and waits no longer than the first: a TLS handshake's bound costs no
 * timer descriptor of its own (five system calls a connection: create,
 * arm, watch, unwatch, close). Loop thread only; d stays valid while
 * armed. */
struct event_deadline {
    struct event_deadline *prev, *next;
    int64_t at_ms;
    void (*fn)(struct event_deadline *d);
    void *arg;
    bool armed;
};
void event_deadline_add(struct event_loop *loop, struct event_deadline *d, int ms,
                        void (*fn)(struct event_deadline *d), void *arg);
void event_deadline_del(struct event_loop *loop, struct event_deadline *d);

/* Call fn(loop, arg) about every interval_ms while the loop runs. */
void event_loop_set_tick(struct event_loop *loop, int interval_ms, event_tick_fn fn, void *arg);

/* Call fn(loop, arg) after each batch of events has been handled, before
 * the loop hands queued operations to the kernel and sleeps: the place to
 * do once per batch what each handler would otherwise do (a worker writes
 * the append log there for every connection of the batch). */
void event_loop_set_batch_end(struct event_loop *loop, event_tick_fn fn, void *arg);

/* A callback for the wake-up descriptor: runs in the loop's thread after
 * event_loop_wake(). Used to hand over new connections. */
void event_loop_set_wake(struct event_loop *loop, event_tick_fn fn, void *arg);

/* Run until event_loop_stop(), which it consumes: a later call runs again.
 * Returns 0, or -1 on an epoll failure. */
int event_loop_run(struct event_loop *loop);

/* Thread-safe: make the loop call its wake callback / return from its
 * current run (or the next, if none is under way). */
void event_loop_wake(struct event_loop *loop);
void event_loop_stop(struct event_loop *loop);

#endif
