/*
 * cli_check.c: `mnemo-cli check FILE`.
 *
 * Tells a log segment from a snapshot by its magic, reads it with
 * persist's own readers (logfile_scan_fd, snapfile_read_fd: the checks
 * recovery makes, with memory bounded by the largest record) and says
 * what it found: the kind, its sequence number, what it holds, and where
 * it stops being valid — the first bad record or block with its byte
 * offset, or for a log a torn tail and the offset recovery would cut it at.
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

static int check_log(const char *prog, const char *path, int fd)
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
    switch (sc.end) {
    case LOGFILE_CLEAN:
        printf("clean\n");
        return CHECK_CLEAN;
    case LOGFILE_TORN:
        printf("torn tail: %s; recovery cuts the file at offset %" PRIu64 " (%" PRIu64 " bytes)\n",
               zeroed ? "zeroed blocks after the last record" : "the last record is cut short",
               sc.valid_end, sc.file_size - sc.valid_end);
        return CHECK_TORN;
    default:
        if (sc.valid_end == 0) {
            printf("damaged: the header at offset 0 fails its checks\n");
        } else {
            printf("damaged: the record at offset %" PRIu64 " fails its checks\n", sc.valid_end);
        }
        return CHECK_DAMAGED;
    }
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

    if (argc != 1) {
        fprintf(stderr, "%s: usage: check FILE  (a log segment or a snapshot)\n", prog);
        return CHECK_USAGE;
    }
    fd = open(argv[0], O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return unreadable(prog, argv[0]);
    }
    do {
        got = pread(fd, magic, sizeof(magic), 0);
    } while (got < 0 && errno == EINTR);
    if (got < 0) {
        rc = unreadable(prog, argv[0]);
    } else if (got == sizeof(magic) && memcmp(magic, log_magic, sizeof(magic)) == 0) {
        rc = check_log(prog, argv[0], fd);
    } else if (got == sizeof(magic) && memcmp(magic, snap_magic, sizeof(magic)) == 0) {
        rc = check_snapshot(prog, argv[0], fd);
    } else {
        printf("%s: neither a log segment nor a snapshot (no MNEMOLOG or MNEMOSNP magic in "
               "its first 8 bytes)\n", argv[0]);
        rc = CHECK_DAMAGED;
    }
    close(fd);
    return rc;
}
