/*
 * uring.c: see uring.h. Completions of cancel requests carry user_data 0
 * and are dropped; every other completion belongs to a struct uring_op.
 *
 * Provided buffers: one buffer ring (group 0) per io_uring. liburing 2.3
 * (Debian 12) has no io_uring_setup_buf_ring(), so the ring's memory is
 * mapped and registered here by hand (what that helper does in 2.4+).
 */
#include "net/uring.h"

#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "common/log.h"

#define BUF_GROUP 0
/* Queued requests (replies, mostly) that are handed to the kernel before
 * the batch of completions ends: see dispatch_ready(). */
#define EARLY_SUBMIT_MIN 4
/* A look for new completions that found nothing (poll_briefly()) makes the
 * next 2^POLL_SKIP_FIRST idle periods sleep at once; each further miss in a
 * row doubles that, up to 2^POLL_SKIP_MAX. */
#define POLL_SKIP_FIRST 4
#define POLL_SKIP_MAX 12
/* Completions shown to peek functions before a batch is dispatched; the
 * rest are dispatched unseen (prefetching further ahead gains nothing). */
#define PEEK_MAX 32

struct uring {
    struct io_uring ring;
    unsigned inflight;
    struct io_uring_buf_ring *br; /* NULL: no provided buffers */
    size_t br_bytes;
    char *bufs;
    unsigned nbufs, buf_size;
    bool bufs_on; /* offered to callers (multishot receives not refused) */
    unsigned char *fixed; /* fixed[fd]: fd is registered at slot fd */
    unsigned nfixed;      /* slots in the registered file table; 0: none */
    int64_t poll_ns;      /* -o poll_us; 0: sleep at once */
    unsigned poll_misses; /* looks in a row that found nothing (capped) */
    unsigned poll_skip;   /* idle periods left to sleep without looking */
    uring_peek_end_fn peek_end; /* NULL: no peeking */
    void *peek_arg;
};

/* Map, register and fill the provided buffer ring. 0, or -1 (the ring is
 * then left without one). */
static int bufs_setup(struct uring *u, unsigned count, unsigned size)
{
    if (count == 0 || count > 32768 || (count & (count - 1)) != 0 || size == 0)
        return -1;
    u->br_bytes = (size_t)count * sizeof(struct io_uring_buf);
    void *mem = mmap(NULL, u->br_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (mem == MAP_FAILED)
        return -1;
    u->br = mem;
    u->bufs = malloc((size_t)count * size);
    struct io_uring_buf_reg reg = {.ring_addr = (uintptr_t)mem, .ring_entries = count, .bgid = BUF_GROUP};
    if (u->bufs == NULL || io_uring_register_buf_ring(&u->ring, &reg, 0) != 0) {
        free(u->bufs);
        u->bufs = NULL;
        munmap(mem, u->br_bytes);
        u->br = NULL;
        return -1;
    }
    io_uring_buf_ring_init(u->br);
    u->nbufs = count;
    u->buf_size = size;
    for (unsigned i = 0; i < count; i++)
        io_uring_buf_ring_add(u->br, u->bufs + (size_t)i * size, size, (unsigned short)i,
                              io_uring_buf_ring_mask(count), (int)i);
    io_uring_buf_ring_advance(u->br, (int)count);
    u->bufs_on = true;
    return 0;
}

static void bufs_teardown(struct uring *u)
{
    if (u->br == NULL)
        return;
    io_uring_unregister_buf_ring(&u->ring, BUF_GROUP);
    munmap(u->br, u->br_bytes);
    free(u->bufs);
    u->br = NULL;
    u->bufs = NULL;
    u->bufs_on = false;
}

/* A sparse table of registered files, one slot per possible descriptor
 * (up to 64k): a request on a registered socket skips looking the
 * descriptor up and taking and dropping a reference to its file, work
 * every receive and send pays otherwise. Optional (5.19 for sparse
 * tables): without it requests name plain descriptors. */
static void files_setup(struct uring *u)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    unsigned n = rl.rlim_cur > 65536 ? 65536u : (unsigned)rl.rlim_cur;
    u->fixed = calloc(n, 1);
    if (u->fixed == NULL || io_uring_register_files_sparse(&u->ring, n) != 0) {
        free(u->fixed);
        u->fixed = NULL;
        return;
    }
    u->nfixed = n;
}

/* Whether fd sits in the table's range (with a table), and whether it is
 * registered there. */
static bool in_table(const struct uring *u, int fd)
{
    return fd >= 0 && (unsigned)fd < u->nfixed;
}

static bool registered(const struct uring *u, int fd)
{
    return in_table(u, fd) && u->fixed[fd];
}

void uring_fd_register(struct uring *u, int fd)
{
    if (!in_table(u, fd) || u->fixed[fd])
        return;
    if (io_uring_register_files_update(&u->ring, (unsigned)fd, &fd, 1) == 1)
        u->fixed[fd] = 1;
}

void uring_fd_unregister(struct uring *u, int fd)
{
    if (!registered(u, fd))
        return;
    /* The table holds a reference to the socket: until the slot is
     * emptied, closing the descriptor would not close the connection.
     * Requests still in flight keep their own references. */
    int none = -1;
    (void)io_uring_register_files_update(&u->ring, (unsigned)fd, &none, 1);
    u->fixed[fd] = 0;
}

/* Point sqe at the registered slot of fd when there is one (the prep
 * helpers have already stored fd itself). */
static void use_fixed(struct uring *u, struct io_uring_sqe *sqe, int fd)
{
    if (registered(u, fd))
        sqe->flags |= IOSQE_FIXED_FILE;
}

struct uring *uring_create(unsigned entries, unsigned recv_bufs, unsigned recv_buf_size)
{
    struct uring *u = calloc(1, sizeof(*u));
    if (u == NULL)
        return NULL;
    /* DEFER_TASKRUN (6.1) runs completion work only when we enter the
     * ring to wait, in our thread: no interrupts of the request path.
     * Older kernels get COOP_TASKRUN (5.19), then plain flags. */
    static const unsigned tries[] = {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
                                     IORING_SETUP_COOP_TASKRUN, 0};
    struct io_uring_params p;
    int rc = -EINVAL;
    /* EINVAL: an unknown flag, try fewer; anything else (ENOSYS, EPERM
     * from a sandbox, ENOMEM) will not change. */
    for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]) && rc == -EINVAL; i++) {
        memset(&p, 0, sizeof(p));
        p.flags = tries[i];
        rc = io_uring_queue_init_params(entries, &u->ring, &p);
    }
    if (rc != 0) {
        log_warn("io_uring unavailable (%s): connections use epoll", strerror(-rc));
        free(u);
        return NULL;
    }
    /* The loop relies on poll-driven sockets and one-syscall timed waits. */
    if (!(p.features & IORING_FEAT_FAST_POLL) || !(p.features & IORING_FEAT_EXT_ARG) ||
        !(p.features & IORING_FEAT_NODROP)) {
        log_warn("io_uring lacks fast poll or timed waits (kernel < 5.11): connections use epoll");
        io_uring_queue_exit(&u->ring);
        free(u);
        return NULL;
    }
    /* Entering a registered ring skips looking its descriptor up (and
     * taking a reference: the process is threaded) on every iteration;
     * optional (5.18). */
    (void)io_uring_register_ring_fd(&u->ring);
    files_setup(u);
    if (recv_bufs > 0 && bufs_setup(u, recv_bufs, recv_buf_size) != 0)
        log_warn("io_uring provided buffers unavailable: one receive per request");
    return u;
}

static unsigned flags_of(unsigned cflags)
{
    unsigned flags = 0;
    if (cflags & IORING_CQE_F_BUFFER)
        flags |= URING_F_BUFFER | (cflags >> IORING_CQE_BUFFER_SHIFT) << 16;
    if (cflags & IORING_CQE_F_MORE)
        flags |= URING_F_MORE;
    return flags;
}

static void dispatch(struct uring *u, struct io_uring_cqe *cqe)
{
    struct uring_op *op = io_uring_cqe_get_data(cqe);
    int res = cqe->res;
    unsigned flags = flags_of(cqe->flags);
    io_uring_cqe_seen(&u->ring, cqe);
    if (op == NULL)
        return;
    if (!(flags & URING_F_MORE))
        u->inflight--;
    op->fn(op, res, flags);
}

void uring_set_peek_end(struct uring *u, uring_peek_end_fn end, void *arg)
{
    u->peek_end = end;
    u->peek_arg = arg;
}

/* A lone completion is not peeked: there is nothing to overlap its loads
 * with, and the peek would be work done twice. */
static void peek_ready(struct uring *u)
{
    if (u->peek_end == NULL || io_uring_cq_ready(&u->ring) < 2)
        return;
    struct io_uring_cqe *cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&u->ring, head, cqe)
    {
        struct uring_op *op = io_uring_cqe_get_data(cqe);
        if (op != NULL && op->peek != NULL)
            op->peek(op, cqe->res, flags_of(cqe->flags));
        if (++seen == PEEK_MAX)
            break;
    }
    u->peek_end(u->peek_arg);
}

static unsigned dispatch_ready(struct uring *u)
{
    struct io_uring_cqe *cqe;
    unsigned n = 0;
    peek_ready(u);
    /* One at a time: a callback may queue new requests or free ops. */
    while (io_uring_peek_cqe(&u->ring, &cqe) == 0) {
        dispatch(u, cqe);
        n++;
        /* While more completions wait, hand the replies queued so far to
         * the kernel once there are a few, instead of at the end of the
         * batch: the clients start on them while we go on with the others.
         * Holding every reply to the end left both sides idle in turn (at
         * pipeline 16, mnemo-bench did 1.3M gets/s instead of 2.1M). A
         * submit per reply, though, is a syscall and often a client wakeup
         * per request: under memcaslap (32 connections, one request each)
         * it cost 4.4 us/op against 4.1 with EARLY_SUBMIT_MIN 4; 4 keeps the
         * pipeline-16 figures, 8 gained nothing more. */
        if (io_uring_sq_ready(&u->ring) >= EARLY_SUBMIT_MIN && io_uring_cq_ready(&u->ring) > 0)
            (void)io_uring_submit(&u->ring); /* on failure, the next wait submits */
    }
    return n;
}

void uring_destroy(struct uring **up)
{
    struct uring *u = *up;
    if (u == NULL)
        return;
    while (u->inflight > 0) {
        struct io_uring_cqe *cqe;
        int rc = io_uring_submit_and_wait(&u->ring, 1);
        if (rc < 0 && rc != -EINTR)
            break;
        if (io_uring_peek_cqe(&u->ring, &cqe) == 0)
            dispatch(u, cqe);
    }
    bufs_teardown(u);
    io_uring_queue_exit(&u->ring);
    free(u->fixed);
    free(u);
    *up = NULL;
}

static struct io_uring_sqe *get_sqe(struct uring *u)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
    if (sqe == NULL) {
        /* The submission queue is full: hand it to the kernel now. */
        if (io_uring_submit(&u->ring) < 0)
            return NULL;
        sqe = io_uring_get_sqe(&u->ring);
    }
    return sqe;
}

static void tag(struct uring *u, struct io_uring_sqe *sqe, struct uring_op *op)
{
    io_uring_sqe_set_data(sqe, op);
    if (op != NULL)
        u->inflight++;
}

int uring_prep_recv(struct uring *u, struct uring_op *op, int fd, void *buf, size_t len,
                    bool poll_first)
{
    struct io_uring_sqe *sqe = get_sqe(u);
    if (sqe == NULL)
        return -1;
    io_uring_prep_recv(sqe, fd, buf, len, 0);
    /* Skip the inline attempt when data is unlikely to be there yet (just
     * after a reply): it would only fail with EAGAIN and then arm the poll. */
    if (poll_first)
        sqe->ioprio |= IORING_RECVSEND_POLL_FIRST;
    use_fixed(u, sqe, fd);
    tag(u, sqe, op);
    return 0;
}

int uring_prep_recv_multishot(struct uring *u, struct uring_op *op, int fd)
{
    struct io_uring_sqe *sqe = get_sqe(u);
    if (sqe == NULL)
        return -1;
    io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = BUF_GROUP;
    use_fixed(u, sqe, fd);
    tag(u, sqe, op);
    return 0;
}

int uring_prep_sendmsg(struct uring *u, struct uring_op *op, int fd, const struct msghdr *msg)
{
    struct io_uring_sqe *sqe = get_sqe(u);
    if (sqe == NULL)
        return -1;
    io_uring_prep_sendmsg(sqe, fd, msg, MSG_NOSIGNAL);
    use_fixed(u, sqe, fd);
    tag(u, sqe, op);
    return 0;
}

int uring_prep_send(struct uring *u, struct uring_op *op, int fd, const void *buf, size_t len)
{
    struct io_uring_sqe *sqe = get_sqe(u);
    if (sqe == NULL)
        return -1;
    io_uring_prep_send(sqe, fd, buf, len, MSG_NOSIGNAL);
    use_fixed(u, sqe, fd);
    tag(u, sqe, op);
    return 0;
}

int uring_prep_nop(struct uring *u, struct uring_op *op)
{
    struct io_uring_sqe *sqe = get_sqe(u);
    if (sqe == NULL)
        return -1;
    io_uring_prep_nop(sqe);
    tag(u, sqe, op);
    return 0;
}

int uring_prep_poll_in(struct uring *u, struct uring_op *op, int fd)
{
    struct io_uring_sqe *sqe = get_sqe(u);
    if (sqe == NULL)
        return -1;
    io_uring_prep_poll_add(sqe, fd, POLLIN);
    use_fixed(u, sqe, fd);
    tag(u, sqe, op);
    return 0;
}

int uring_prep_cancel(struct uring *u, struct uring_op *op)
{
    struct io_uring_sqe *sqe = get_sqe(u);
    if (sqe == NULL)
        return -1;
    io_uring_prep_cancel(sqe, op, 0);
    tag(u, sqe, NULL);
    return 0;
}

void uring_set_poll(struct uring *u, unsigned poll_us)
{
    u->poll_ns = (int64_t)poll_us * 1000;
}

static int64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* A hint to the core that we spin (x86 PAUSE, arm YIELD): cheaper for a
 * sibling hyperthread, and no syscall. */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* With nothing to do, look for new completions for up to poll_ns before
 * sleeping. Under load the next request often comes within microseconds,
 * and sleeping until then delays it: the switch out and back, and a wakeup
 * paid by the client's send. The look is a loop of io_uring_enter() calls
 * without waiting: completion work is deferred to our entering the ring
 * (DEFER_TASKRUN), so nothing appears in the ring while we only read it.
 *
 * Why on by default (5 us): measured at pipeline 1, 32 B, 8 connections,
 * closed loop: 245-251k -> 277-278k requests/s, p99 88 -> 57-61 us. The CPU
 * per request is about the same (first measured 4% less; a later sweep of
 * 0, 1, 2, 3, 5 and 10 us gave 3.44-3.76 us for every setting): the time
 * spent looking is otherwise spent sleeping and waking. Under partial load
 * a look that finds nothing is CPU spent for nothing, so misses back off
 * hard (the first skips 16 idle periods, up to 4096): open loop at 80k and
 * 150k requests/s costs 0.3-2% more CPU per request, at 10k no measurable
 * difference (with a gentler backoff, 2 to 64 periods, 80k cost 8-10%).
 *
 * Between looks a pause, not sched_yield(): a yield is one more syscall per
 * look, and the scheduler preempts a spinning worker for a client it wakes
 * on this core anyway (no stall measured without it). */
static bool poll_briefly(struct uring *u)
{
    if (u->poll_skip > 0) {
        u->poll_skip--;
        return false;
    }
    /* Replies queued so far go to the kernel first. Their completions are
     * not new requests: counted as a find, they kept the backoff from ever
     * growing (at 10k requests/s polling cost 8% more CPU per request). */
    if (io_uring_sq_ready(&u->ring) > 0) {
        if (io_uring_submit_and_get_events(&u->ring) < 0)
            return false;
        if (io_uring_cq_ready(&u->ring) > 0)
            return true; /* no verdict: the look comes after these */
    }
    int64_t start = mono_ns();
    do {
        if (io_uring_submit_and_get_events(&u->ring) < 0)
            return false;
        if (io_uring_cq_ready(&u->ring) > 0) {
            u->poll_misses = 0;
            return true;
        }
        cpu_relax();
    } while (mono_ns() - start < u->poll_ns);
    unsigned shift = POLL_SKIP_FIRST + u->poll_misses;
    if (shift < POLL_SKIP_MAX)
        u->poll_misses++;
    u->poll_skip = 1u << shift;
    return false;
}

int uring_run_once(struct uring *u, int timeout_ms)
{
    struct io_uring_cqe *cqe = NULL;
    int rc;
    if (u->poll_ns > 0 && timeout_ms != 0 && io_uring_cq_ready(&u->ring) == 0 &&
        poll_briefly(u)) {
        dispatch_ready(u);
        return 0;
    }
    if (timeout_ms < 0) {
        rc = io_uring_submit_and_wait(&u->ring, 1);
    } else {
        struct __kernel_timespec ts = {.tv_sec = timeout_ms / 1000,
                                       .tv_nsec = (long long)(timeout_ms % 1000) * 1000000};
        rc = io_uring_submit_and_wait_timeout(&u->ring, &cqe, 1, &ts, NULL);
    }
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY)
        return -1;
    dispatch_ready(u);
    return 0;
}

bool uring_has_bufs(const struct uring *u)
{
    return u->bufs_on;
}

char *uring_buf(const struct uring *u, unsigned id)
{
    return u->bufs + (size_t)id * u->buf_size;
}

unsigned uring_buf_size(const struct uring *u)
{
    return u->buf_size;
}

void uring_buf_recycle(struct uring *u, unsigned id)
{
    io_uring_buf_ring_add(u->br, uring_buf(u, id), u->buf_size, (unsigned short)id,
                          io_uring_buf_ring_mask(u->nbufs), 0);
    io_uring_buf_ring_advance(u->br, 1);
}

void uring_drop_bufs(struct uring *u)
{
    u->bufs_on = false;
}

bool uring_multishot_ended(struct uring *u, unsigned flags, int *res)
{
    if (flags & URING_F_MORE)
        return false;
    if (*res == -EINVAL) {
        uring_drop_bufs(u);
        *res = -EAGAIN;
    }
    return true;
}

unsigned uring_inflight(const struct uring *u)
{
    return u->inflight;
}

bool uring_has_queued(struct uring *u)
{
    return io_uring_sq_ready(&u->ring) > 0;
}
