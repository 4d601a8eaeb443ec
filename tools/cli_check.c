/*
 * cli_check.c: `mnemo-cli check FILE`.
 *
 * Tells a log segment from a snapshot by its magic, reads it with
 * persist's own readers (logfile_scan_fd, snapfile_read_fd: the checks
 * recovery makes, with memory bounded by the largest record) and says
 * what it found: the kind, its sequence number, what it holds, and where
 * it stops being valid — the first bad record or block with its byte
 * offset, or for a log a torn tail and the offset recovery would cut it at.
 *
 * With --repair a log segment is cut back to its valid records, as
 * recovery with -o persist_keep_prefix would, after a copy of the whole
 * file is kept beside it as FILE.damaged. A snapshot is never repaired: a
 * shortened one would pass for a whole one.
 */
#include "cli_check.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "persist/logfile.h"
#include "persist/record.h"
#include "persist/snapfile.h"

static const char log_magic[8] = {'M', 'N', 'E', 'M', 'O', 'L', 'O', 'G'};
static const char snap_magic[8] = {'M', 'N', 'E', 'M', 'O', 'S', 'N', 'P'};

static int unreadable(const char *prog, const char *path)
{
    fprintf(stderr, "%s: check %s: %s\n", prog, path, strerror(errno));
    return CHECK_USAGE;
}

static int count_type(void *arg, const struct rec *r, uint64_t offset)
{
    uint64_t *by_type = arg;
    (void)offset;
    by_type[r->type]++;
    return 0;
}

/* Copy fd's bytes to path (which must not exist) and fsync it. */
static int copy_aside(int fd, const char *path)
{
    int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0)
        return -1;
    char buf[65536];
    off_t off = 0;
    for (;;) {
        ssize_t n = pread(fd, buf, sizeof(buf), off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        if (n == 0) {
            if (fsync(out) != 0)
                break;
            return close(out);
        }
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(out, buf + done, (size_t)(n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                goto fail;
            done += w;
        }
        off += n;
    }
fail:;
    int e = errno;
    close(out);
    unlink(path);
    errno = e;
    return -1;
}

/* Cut a log back to its valid records (the original kept as .damaged). */
static int repair_log(const char *prog, const char *path, int fd, uint64_t valid_end,
                      uint64_t records)
{
    char aside[4200];
    snprintf(aside, sizeof(aside), "%s.damaged", path);
    if (copy_aside(fd, aside) != 0) {
        fprintf(stderr, "%s: check --repair %s: cannot keep the original as %s: %s\n", prog, path,
                aside, strerror(errno));
        return CHECK_USAGE;
    }
    if (ftruncate(fd, (off_t)valid_end) != 0 || fsync(fd) != 0) {
        fprintf(stderr, "%s: check --repair %s: %s\n", prog, path, strerror(errno));
        return CHECK_USAGE;
    }
    printf("repaired: cut at offset %" PRIu64 ", the %" PRIu64 " records before it kept; the "
           "original is in %s\n", valid_end, records, aside);
    return CHECK_CLEAN;
}

static int check_log(const char *prog, const char *path, int fd, bool repair)
{
    uint64_t by_type[REC_FLUSH + 1] = {0};
    struct logfile_scan sc;

    if (logfile_scan_fd(fd, count_type, by_type, &sc) != 0) {
        return unreadable(prog, path);
    }
    bool zeroed = sc.end == LOGFILE_DAMAGED && sc.valid_end >= LOGFILE_HEADER &&
                  logfile_zero_tail(fd, sc.valid_end, sc.file_size);
    if (zeroed)
        sc.end = LOGFILE_TORN; /* as recovery reads it */
    printf("%s: log segment, seq %" PRIu64 " (log.%016" PRIx64 ")\n", path, sc.seq, sc.seq);
    printf("records %" PRIu64 " (set %" PRIu64 ", delete %" PRIu64 ", touch %" PRIu64
           ", flush %" PRIu64 "), valid up to offset %" PRIu64 " of %" PRIu64 " bytes\n",
           sc.records, by_type[REC_SET], by_type[REC_DELETE], by_type[REC_TOUCH],
           by_type[REC_FLUSH], sc.valid_end, sc.file_size);
    if (sc.end == LOGFILE_CLEAN) {
        printf("clean\n");
        return CHECK_CLEAN;
    }
    int rc;
    if (sc.end == LOGFILE_TORN) {
        printf("torn tail: %s; recovery cuts the file at offset %" PRIu64 " (%" PRIu64 " bytes)\n",
               zeroed ? "zeroed blocks after the last record" : "the last record is cut short",
               sc.valid_end, sc.file_size - sc.valid_end);
        rc = CHECK_TORN;
    } else if (sc.valid_end == 0) {
        printf("damaged: the header at offset 0 fails its checks\n");
        rc = CHECK_DAMAGED;
    } else {
        printf("damaged: the record at offset %" PRIu64 " fails its checks\n", sc.valid_end);
        rc = CHECK_DAMAGED;
    }
    if (repair && sc.valid_end >= LOGFILE_HEADER)
        return repair_log(prog, path, fd, sc.valid_end, sc.records);
    return rc;
}

static void print_time(const char *name, int64_t t)
{
    char when[32] = "none";
    time_t tt = (time_t)t;
    struct tm tm;

    if (t != 0 && gmtime_r(&tt, &tm) != NULL) {
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    printf(", %s %" PRId64 " (%s)", name, t, when);
}

static int check_snapshot(const char *prog, const char *path, int fd)
{
    struct snapfile_read rd;

    snapfile_read_fd(fd, NULL, NULL, &rd);
    if (rd.status == SNAPFILE_IO_ERROR) {
        return unreadable(prog, path);
    }
    printf("%s: snapshot", path);
    if (rd.status == SNAPFILE_DAMAGED && rd.bad_offset == 0) {
        printf("\ndamaged: the header at offset 0 fails its checks\n");
        return CHECK_DAMAGED;
    }
    printf(", log_seq %" PRIu64 " (log.%016" PRIx64 ")", rd.meta.log_seq, rd.meta.log_seq);
    print_time("created", rd.meta.created);
    printf(", cas_high %" PRIu64, rd.meta.cas_high);
    print_time("flush_at", rd.meta.flush_at);
    printf("\nitems %" PRIu64 "%s\n", rd.items,
           rd.status == SNAPFILE_OK ? "" : " in the whole blocks before the first bad byte");
    switch (rd.status) {
    case SNAPFILE_OK:
        printf("ok\n");
        return CHECK_CLEAN;
    case SNAPFILE_INCOMPLETE:
        printf("incomplete: the file ends inside the block or trailer at offset %" PRIu64
               " (not loaded)\n", rd.bad_offset);
        return CHECK_DAMAGED;
    default:
        printf("damaged: the first bad byte is at offset %" PRIu64 " (not loaded)\n",
               rd.bad_offset);
        return CHECK_DAMAGED;
    }
}

int cli_check(const char *prog, int argc, char **argv)
{
    char magic[8];
    ssize_t got;
    int fd, rc;

    if ((argc != 1 && !(argc == 2 && strcmp(argv[0], "--repair") == 0)) ||
        (argc == 1 && strcmp(argv[0], "--repair") == 0)) {
        fprintf(stderr, "%s: usage: check [--repair] FILE  (a log segment or a snapshot)\n", prog);
        return CHECK_USAGE;
    }
    bool repair = argc == 2 && strcmp(argv[0], "--repair") == 0;
    if (repair) {
        argc--;
        argv++;
    }
    fd = open(argv[0], (repair ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) {
        return unreadable(prog, argv[0]);
    }
    do {
        got = pread(fd, magic, sizeof(magic), 0);
    } while (got < 0 && errno == EINTR);
    if (got < 0) {
        rc = unreadable(prog, argv[0]);
    } else if (got == sizeof(magic) && memcmp(magic, log_magic, sizeof(magic)) == 0) {
        rc = check_log(prog, argv[0], fd, repair);
    } else if (got == sizeof(magic) && memcmp(magic, snap_magic, sizeof(magic)) == 0) {
        rc = check_snapshot(prog, argv[0], fd);
        if (repair && rc != CHECK_CLEAN)
            printf("not repaired: a shortened snapshot would pass for a whole one; start mnemod "
                   "with -o persist_keep_prefix to load its whole blocks before the damage\n");
    } else {
        printf("%s: neither a log segment nor a snapshot (no MNEMOLOG or MNEMOSNP magic in "
               "its first 8 bytes)\n", argv[0]);
        rc = CHECK_DAMAGED;
    }
    close(fd);
    return rc;
}
