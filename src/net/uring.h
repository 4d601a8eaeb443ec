/*
 * uring.h: a thin io_uring wrapper for one event loop (one thread).
 *
 * Operations are described by a caller-owned struct uring_op (usually
 * embedded in a connection): its address is the request's user_data, and
 * fn(op, res) runs in the loop's thread when the completion is reaped, with
 * res the kernel's result (a byte count, or -errno). The op and every buffer
 * it names must stay valid until then. Requests are only queued by the
 * uring_prep_* calls; uring_run_once() submits everything queued and reaps
 * completions in one io_uring_enter(2), which is the point of this backend.
 *
 * This module knows nothing of connections or protocols. Not thread-safe.
 */
#ifndef MNEMO_NET_URING_H
#define MNEMO_NET_URING_H

#include <stdbool.h>
#include <stddef.h>

struct uring;
struct uring_op;
struct msghdr;

typedef void (*uring_fn)(struct uring_op *op, int res);

struct uring_op {
    uring_fn fn;
    void *arg;
};

/* A ring of the given depth, or NULL when io_uring is unavailable (old
 * kernel, seccomp, RLIMIT_MEMLOCK) or lacks what this backend needs. Must
 * be used only by the thread that created it. */
struct uring *uring_create(unsigned entries);

/* Submit cancellations are the caller's business; this reaps (and
 * dispatches) completions until nothing is in flight, then frees the ring.
 * Sets *u to NULL. */
void uring_destroy(struct uring **u);

/* Queue a request. 0, or -1 when the submission queue cannot be flushed. */
int uring_prep_recv(struct uring *u, struct uring_op *op, int fd, void *buf, size_t len,
                    bool poll_first);
int uring_prep_sendmsg(struct uring *u, struct uring_op *op, int fd, const struct msghdr *msg);
int uring_prep_nop(struct uring *u, struct uring_op *op);
int uring_prep_poll_in(struct uring *u, struct uring_op *op, int fd);

/* Ask the kernel to cancel op's request; op->fn still runs (usually with
 * -ECANCELED, or the result if it had already completed). */
int uring_prep_cancel(struct uring *u, struct uring_op *op);

/* Submit what is queued, wait up to timeout_ms (-1: no limit) for at least
 * one completion, and dispatch every completion available. 0, or -1 on a
 * ring failure. */
int uring_run_once(struct uring *u, int timeout_ms);

/* Requests queued or in the kernel whose completion is not yet dispatched. */
unsigned uring_inflight(const struct uring *u);

#endif
