/*
 * uring.h: a thin io_uring wrapper for one event loop (one thread).
 *
 * Operations are described by a caller-owned struct uring_op (usually
 * embedded in a connection): its address is the request's user_data, and
 * fn(op, res) runs in the loop's thread when the completion is reaped, with
 * res the kernel's result (a byte count, or -errno) and flags the
 * URING_F_* bits. The op and every buffer it names must stay valid until its
 * last completion (the first without URING_F_MORE). Requests are only queued by the
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

/* Completion flags passed to a uring_fn. */
#define URING_F_MORE 0x1u   /* the request stays armed: more completions follow */
#define URING_F_BUFFER 0x2u /* res bytes landed in provided buffer URING_BUF_ID(flags) */
#define URING_BUF_ID(flags) ((unsigned)(flags) >> 16)

typedef void (*uring_fn)(struct uring_op *op, int res, unsigned flags);

/* peek, optional: see uring_set_peek_end. */
struct uring_op {
    uring_fn fn;
    void *arg;
    uring_fn peek;
};

/* A ring of the given depth, or NULL when io_uring is unavailable (old
 * kernel, seccomp, RLIMIT_MEMLOCK) or lacks what this backend needs. With
 * recv_bufs > 0 (a power of two, at most 32768) it also gets a ring of that
 * many provided receive buffers of recv_buf_size bytes each, for multishot
 * receives; when the kernel refuses those (before 5.19) the ring is still
 * returned, without them. Must be used only by the thread that created it. */
struct uring *uring_create(unsigned entries, unsigned recv_bufs, unsigned recv_buf_size);

/* Submit cancellations are the caller's business; this reaps (and
 * dispatches) completions until nothing is in flight, then frees the ring.
 * Sets *u to NULL. */
void uring_destroy(struct uring **u);

/* Register fd with the ring (best effort: it may have no table, or fd may
 * lie beyond it), so that requests naming fd use the registered file.
 * Unregister before closing fd: the table keeps the socket open. */
void uring_fd_register(struct uring *u, int fd);
void uring_fd_unregister(struct uring *u, int fd);

/* Queue a request. 0, or -1 when the submission queue cannot be flushed. */
int uring_prep_recv(struct uring *u, struct uring_op *op, int fd, void *buf, size_t len,
                    bool poll_first);
int uring_prep_sendmsg(struct uring *u, struct uring_op *op, int fd, const struct msghdr *msg);
int uring_prep_send(struct uring *u, struct uring_op *op, int fd, const void *buf, size_t len);
/* A multishot receive into the ring's provided buffers (uring_has_bufs):
 * each arrival completes with URING_F_BUFFER, and URING_F_MORE while the
 * receive stays armed. It ends (no URING_F_MORE) at end of stream, on an
 * error, on cancellation, or with -ENOBUFS when no buffer was free. */
int uring_prep_recv_multishot(struct uring *u, struct uring_op *op, int fd);
/* A multishot receive's completion (flags, *res): true when it ended. A
 * kernel without multishot receives ends it with -EINVAL: the ring's
 * buffers are then dropped (uring_drop_bufs) and *res becomes -EAGAIN, so
 * the caller queues a plain receive. */
bool uring_multishot_ended(struct uring *u, unsigned flags, int *res);
int uring_prep_nop(struct uring *u, struct uring_op *op);
int uring_prep_poll_in(struct uring *u, struct uring_op *op, int fd);

/* Provided buffers: whether the ring has them (and multishot receives
 * have not been refused), the memory of buffer id, its size, and giving it
 * back to the kernel once its bytes are used (promptly: every multishot
 * receive on the ring draws from the same buffers). */
bool uring_has_bufs(const struct uring *u);
char *uring_buf(const struct uring *u, unsigned id);
unsigned uring_buf_size(const struct uring *u);
void uring_buf_recycle(struct uring *u, unsigned id);

/* The kernel refused a multishot receive (-EINVAL: before 6.0): stop
 * offering provided buffers, so callers use one receive per request. */
void uring_drop_bufs(struct uring *u);

/* Ask the kernel to cancel op's request; op->fn still runs (usually with
 * -ECANCELED, or the result if it had already completed). */
int uring_prep_cancel(struct uring *u, struct uring_op *op);

/* When a wait returns two or more completions, first show each to its op's
 * peek (if it has one: same arguments as fn, but it must change nothing),
 * then call end(arg) once, then dispatch them. This lets the owner start the
 * memory loads of the whole batch before it handles any of it. */
typedef void (*uring_peek_end_fn)(void *arg);
void uring_set_peek_end(struct uring *u, uring_peek_end_fn end, void *arg);

/* Submit what is queued, wait up to timeout_ms (-1: no limit) for at least
 * one completion, and dispatch every completion available. 0, or -1 on a
 * ring failure. */
int uring_run_once(struct uring *u, int timeout_ms);

/* Before sleeping, uring_run_once() looks for new completions for up to
 * poll_us microseconds (0: never, the ring's default; mnemod sets 5). Lower
 * latency and more requests per second under load, for CPU spent looking: a
 * look that finds nothing makes the next 16 idle periods sleep at once, and
 * each further miss in a row doubles that, up to 4096. */
void uring_set_poll(struct uring *u, unsigned poll_us);

/* Requests queued or in the kernel whose completion is not yet dispatched. */
unsigned uring_inflight(const struct uring *u);

/* Is anything queued that the next submission would hand to the kernel? */
bool uring_has_queued(struct uring *u);

#endif
