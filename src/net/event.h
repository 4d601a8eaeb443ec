/*
 * event.h: a small epoll event loop, one per thread.
 *
 * A file descriptor is watched through a caller-owned struct event_handler
 * (usually embedded in a connection), so the loop allocates nothing per fd.
 * Level-triggered: a handler that leaves data unread is called again. Each
 * loop has a periodic tick for housekeeping (idle timeouts) and can be woken
 * or stopped from another thread. Only event_loop_wake/stop are thread-safe.
 */
#ifndef MNEMO_NET_EVENT_H
#define MNEMO_NET_EVENT_H

#include <stdint.h>

#define EVENT_READ 0x1u
#define EVENT_WRITE 0x2u
#define EVENT_ERROR 0x4u /* hang-up or error; reported with READ so reads see it */

struct event_loop;
struct event_handler;

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

/* Watch h->fd for mask; h must stay valid until event_del. 0 or -1 (errno). */
int event_add(struct event_loop *loop, struct event_handler *h, int fd, uint32_t mask,
              event_fn fn, void *arg);
int event_modify(struct event_loop *loop, struct event_handler *h, uint32_t mask);
void event_del(struct event_loop *loop, struct event_handler *h);

/* Call fn(loop, arg) about every interval_ms while the loop runs. */
void event_loop_set_tick(struct event_loop *loop, int interval_ms, event_tick_fn fn, void *arg);

/* A callback for the wake-up descriptor: runs in the loop's thread after
 * event_loop_wake(). Used to hand over new connections. */
void event_loop_set_wake(struct event_loop *loop, event_tick_fn fn, void *arg);

/* Run until event_loop_stop(). Returns 0, or -1 on an epoll failure. */
int event_loop_run(struct event_loop *loop);

/* Thread-safe: make the loop call its wake callback / return from run. */
void event_loop_wake(struct event_loop *loop);
void event_loop_stop(struct event_loop *loop);

#endif
