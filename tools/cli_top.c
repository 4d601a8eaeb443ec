/*
 * cli_top.c: `mnemo-cli top`.  Samples every server's `stats` and `stats
 * replication` at once through libmnemo's non-blocking API, turns two
 * samples into a frame (cli_top_frame.c) and draws it:
 *
 *   submit STATS x2 per server ──▶ poll(servers' fds + stdin) ──▶ mnemo_run
 *        ▲                               │ 'q' / SIGINT / SIGTERM: leave
 *        │                               ▼
 *        │       --hot-keys: watch fetchers on every server for the window
 *        │                               │ (cli_top_keys.c), then hang up
 *        └── wait for the next tick ◀── frame: rows from prev and cur
 *
 * The terminal is put in non-canonical mode without echo (ISIG kept, so
 * ^C is a SIGINT we catch) and drawn with ANSI escapes on the alternate
 * screen; whatever way top leaves, the saved termios state comes back.
 */
#include "cli_top.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli_top_frame.h"
#include "cli_top_keys.h"

enum { EXIT_ERR = 2 };

struct top_server {
    struct top_sample prev, cur;
    int in_shard; /* the server list gives its shard replicas */
};

struct top {
    struct mnemo_client *c;
    size_t n;
    struct top_server *srv;
    struct top_row *rows;
    int key_fd; /* stdin while it is a terminal we read keys from, else -1 */
    int quit;
    struct top_keys *keys; /* --hot-keys, else NULL */
    int watching;          /* a hot-key window is open */
    double window_end, window_start, window_s;
};

/* One pending stats request: which server, which group (0 the general
 * one, 1 replication, 2 latency). */
#define TOP_GROUPS 3
struct top_req {
    struct top_server *s;
    int group;
};

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Completion of a stats request (value: "name value\n" lines, valid only
 * here).  The answer's time is the general group's: the counters the
 * rates come from are read then. */
static void stats_done(void *arg, const struct mnemo_result *r)
{
    struct top_req *q = arg;
    struct top_sample *s = &q->s->cur;
    void (*take)(struct top_sample *, const char *, const char *) =
        q->group == 1 ? top_sample_repl : q->group == 2 ? top_sample_latency : top_sample_stat;

    if (r->status != MNEMO_OK) {
        /* A server without `stats replication` or `stats latency`
         * (memcached) only has no role or percentiles. */
        if (q->group == 0)
            s->status = r->status;
        return;
    }
    if (q->group == 0) {
        s->ok = 1;
        s->t = now_s();
    }
    const char *p = r->value, *end = p + r->value_len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *eol = nl ? nl : end;
        const char *sp = memchr(p, ' ', (size_t)(eol - p));
        char name[64], value[64];
        if (sp != NULL && (size_t)(sp - p) < sizeof(name) && (size_t)(eol - sp - 1) < sizeof(value)) {
            memcpy(name, p, (size_t)(sp - p));
            name[sp - p] = '\0';
            memcpy(value, sp + 1, (size_t)(eol - sp - 1));
            value[eol - sp - 1] = '\0';
            take(s, name, value);
        }
        p = eol + 1;
    }
}

/* Read what was typed; 'q' (or ^C in case ISIG is off) asks to quit.  At
 * the end of the input keys are no longer read. */
static void read_keys(struct top *t)
{
    char buf[64];
    ssize_t n = read(t->key_fd, buf, sizeof(buf));

    if (n == 0) {
        t->key_fd = -1;
        return;
    }
    for (ssize_t i = 0; i < n; i++)
        if (buf[i] == 'q' || buf[i] == 'Q' || buf[i] == 3)
            t->quit = 1;
}

/* Wait up to timeout_ms for a key or a signal (fds: the servers', plus
 * the key_fd last).  Returns poll's count, 0 on timeout or a signal. */
static int wait_io(struct top *t, struct pollfd *fds, size_t n, int timeout_ms)
{
    fds[n].fd = t->key_fd;
    fds[n].events = POLLIN;
    fds[n].revents = 0;
    int r = poll(fds, (nfds_t)(n + 1), timeout_ms);
    if (r < 0)
        return 0; /* EINTR: got_signal says why */
    if (t->key_fd >= 0 && (fds[n].revents & (POLLIN | POLLHUP | POLLERR)))
        read_keys(t);
    return r;
}

/* Take a new sample of every server into cur (the old one moves to
 * prev).  Blocks up to the -T timeout; returns early (t->quit or a
 * signal) with the sample incomplete, which is then never shown. */
static void sample_all(struct top *t, struct top_req *reqs, struct pollfd *fds)
{
    for (size_t i = 0; i < t->n; i++) {
        t->srv[i].prev = t->srv[i].cur;
        memset(&t->srv[i].cur, 0, sizeof(t->srv[i].cur));
        for (int g = 0; g < TOP_GROUPS; g++) {
            static const char *const groups[TOP_GROUPS] = {NULL, "replication", "latency"};
            struct top_req *q = &reqs[TOP_GROUPS * i + (size_t)g];
            q->s = &t->srv[i];
            q->group = g;
            struct mnemo_request req = {.op = MNEMO_OP_STATS, .server = i, .cb = stats_done,
                                        .arg = q, .key = groups[g],
                                        .key_len = groups[g] ? strlen(groups[g]) : 0};
            mnemo_status st = mnemo_submit(t->c, &req);
            if (st != MNEMO_OK && !g)
                t->srv[i].cur.status = st;
        }
    }
    while (mnemo_pending(t->c) > 0 && !t->quit && !got_signal) {
        int timeout = -1;
        size_t n = mnemo_pollfds(t->c, fds, t->n, &timeout);
        wait_io(t, fds, n, timeout);
        mnemo_run(t->c, 0);
    }
}

/* Rows (and the total) from the last two samples; the number of servers
 * that answered. */
static size_t make_rows(struct top *t, struct top_row *total)
{
    size_t answering = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct top_server *s = &t->srv[i];
        top_row_server(&t->rows[i], mnemo_server_name(t->c, i), &s->prev, &s->cur, s->in_shard);
        answering += s->cur.ok ? 1 : 0;
    }
    top_row_total(total, t->rows, t->n);
    return answering;
}

static int term_width(void)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 0;
}

static void draw(struct top *t, double interval_s, int live)
{
    struct top_row total;
    struct top_frame_info fi = {.nservers = t->n, .interval_s = interval_s,
                                .hint = live ? "q quits" : NULL};
    fi.answering = make_rows(t, &total);
    if (live)
        fputs("\033[H", stdout); /* home; each line clears its rest, \033[J the rest below */
    const char *eol = live ? "\033[K\n" : "\n";
    int width = live ? term_width() : 0;
    top_frame_write(stdout, &fi, t->rows, t->n, t->n > 1 ? &total : NULL, eol, width);
    if (t->keys != NULL)
        top_keys_write(t->keys, stdout, t->window_s, interval_s, eol, width);
    if (live)
        fputs("\033[J", stdout);
    fflush(stdout);
}

/* Open a hot-key window (with --hot-keys), right after a sample. */
static void window_open(struct top *t)
{
    if (t->keys == NULL)
        return;
    top_keys_start(t->keys);
    t->window_start = now_s();
    t->window_end = t->window_start + t->window_s;
    t->watching = 1;
}

/* Wait until the monotonic time `until`, or a key or signal to leave;
 * meanwhile read the open hot-key window and close it at its end. */
static void sleep_until(struct top *t, struct pollfd *fds, double until)
{
    for (;;) {
        double now = now_s();
        if (t->watching && now >= t->window_end) {
            top_keys_stop(t->keys, now - t->window_start);
            t->watching = 0;
        }
        double left = until - now;
        if (left <= 0 || t->quit || got_signal) {
            /* A window as long as the interval ends with it: the sample
             * before it took some of the interval. */
            if (t->watching)
                top_keys_stop(t->keys, now - t->window_start);
            t->watching = 0;
            return;
        }
        if (t->watching && t->window_end - now < left)
            left = t->window_end - now;
        size_t n = t->watching ? top_keys_pollfds(t->keys, fds, t->n) : 0;
        wait_io(t, fds, n, (int)(left * 1000) + 1);
        if (n > 0)
            top_keys_read(t->keys, fds, n);
    }
}

static void report_down(const char *prog, struct top *t)
{
    for (size_t i = 0; i < t->n; i++)
        if (!t->srv[i].cur.ok || !t->srv[i].prev.ok) {
            const struct top_sample *s = t->srv[i].cur.ok ? &t->srv[i].prev : &t->srv[i].cur;
            fprintf(stderr, "%s: top %s: %s\n", prog, mnemo_server_name(t->c, i),
                    mnemo_strerror((mnemo_status)s->status));
        }
}

static int parse_ms(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 10 || v > 3600000)
        return -1;
    *out = v;
    return 0;
}

/* The live view's terminal: saved state, raw-ish mode, alternate screen. */
struct term {
    int active;
    struct termios saved;
};

static void term_enter(struct term *tm, struct top *t)
{
    if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &tm->saved) == 0) {
        struct termios raw = tm->saved;
        raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
        raw.c_cc[VMIN] = 0;
        raw.c_cc[VTIME] = 0;
        if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0) {
            tm->active = 1;
            t->key_fd = STDIN_FILENO;
        }
    }
    fputs("\033[?1049h\033[?25l\033[H\033[2J", stdout); /* alternate screen, no cursor */
    fflush(stdout);
}

static void term_leave(struct term *tm)
{
    fputs("\033[?25h\033[?1049l", stdout);
    fflush(stdout);
    if (tm->active)
        tcsetattr(STDIN_FILENO, TCSANOW, &tm->saved);
    tm->active = 0;
}

static int usage(const char *prog)
{
    fprintf(stderr, "%s: usage: top [--once] [--interval MS] [--hot-keys [--sample MS]]"
                    "  (MS 10..3600000, the sample at most the interval)\n", prog);
    return EXIT_ERR;
}

int cli_top(const char *prog, struct mnemo_client **cp, int argc, char **argv,
            const struct cli_tls *tls, const struct cli_auth *auth, int timeout_ms)
{
    struct mnemo_client *c = *cp;
    int once = 0, rc = 0, hot = 0;
    long interval_ms = 1000, sample_ms = -1;

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--once") == 0)
            once = 1;
        else if (strcmp(argv[i], "--hot-keys") == 0)
            hot = 1;
        else if (strcmp(argv[i], "--interval") == 0 && i + 1 < argc && parse_ms(argv[i + 1], &interval_ms) == 0)
            i++;
        else if (strcmp(argv[i], "--sample") == 0 && i + 1 < argc && parse_ms(argv[i + 1], &sample_ms) == 0)
            i++;
        else
            return usage(prog);
    }
    if (sample_ms >= 0 && (!hot || sample_ms > interval_ms))
        return usage(prog);
    /* 1/20 of the interval by default: a twentieth of what watching all
     * the time costs the servers (README: mnemo-cli top). */
    if (sample_ms < 0)
        sample_ms = interval_ms / 20 > 10 ? interval_ms / 20 : 10;
    struct top t = {.c = c, .n = mnemo_server_count(c), .key_fd = -1,
                    .window_s = (double)sample_ms / 1000.0};
    t.srv = calloc(t.n, sizeof(*t.srv));
    t.rows = calloc(t.n, sizeof(*t.rows));
    struct top_req *reqs = calloc(TOP_GROUPS * t.n, sizeof(*reqs));
    struct pollfd *fds = calloc(t.n + 1, sizeof(*fds));
    if (hot)
        t.keys = top_keys_create(c, tls, auth, timeout_ms);
    if (!t.srv || !t.rows || !reqs || !fds || (hot && t.keys == NULL)) {
        fprintf(stderr, "%s: top: out of memory\n", prog);
        rc = EXIT_ERR;
        goto out;
    }
    for (size_t i = 0; i < t.n; i++) {
        size_t count = 0;
        mnemo_shard_servers(c, mnemo_shard_of(c, i), &count);
        t.srv[i].in_shard = count > 1;
    }
    double interval_s = (double)interval_ms / 1000.0, tick = now_s();

    if (once) {
        sample_all(&t, reqs, fds);
        window_open(&t);
        sleep_until(&t, fds, tick + interval_s);
        sample_all(&t, reqs, fds);
        draw(&t, interval_s, 0);
        for (size_t i = 0; i < t.n; i++)
            if (!t.srv[i].cur.ok || !t.srv[i].prev.ok)
                rc = EXIT_ERR;
        if (rc != 0)
            report_down(prog, &t);
        goto out;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    struct term tm = {0};
    term_enter(&tm, &t);
    sample_all(&t, reqs, fds);
    window_open(&t);
    while (!t.quit && !got_signal) {
        draw(&t, interval_s, 1);
        /* Ticks on a fixed grid: a slow answer does not shift the next. */
        double now = now_s();
        while (tick <= now)
            tick += interval_s;
        sleep_until(&t, fds, tick);
        if (t.quit || got_signal)
            break;
        sample_all(&t, reqs, fds);
        window_open(&t);
    }
    term_leave(&tm);
    if (got_signal) {
        /* Die of the signal, as a program that did not catch it would,
         * now that the terminal is back as it was. */
        int sig = got_signal;
        top_keys_destroy(&t.keys);
        mnemo_destroy(cp);
        signal(sig, SIG_DFL);
        raise(sig);
    }
out:
    /* Left with requests in flight ('q' mid-sample): their completions
     * (MNEMO_EIO, from the destroy) still write into reqs and t.srv. */
    mnemo_destroy(cp);
    top_keys_destroy(&t.keys);
    free(t.srv);
    free(t.rows);
    free(reqs);
    free(fds);
    return rc;
}
