/*
 * test_pagewin.c: persist/pagewin.c — a file written front to back through
 * a page-cache window keeps about two steps of its pages cached, however
 * large it grows, and an fsync lets the rest go. Residency is read with
 * mincore(2) over a mapping of the file.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "page_cache.h"
#include "persist/pagewin.h"

#define MB (1u << 20)
#define STEP (4 * MB)
#define FILE_MB 48

static char path[256];

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof(path), "/var/tmp/mnemo-test-pagewin-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return unlink(path);
}

/* A file system where dropping pages means something (not tmpfs). */
static int open_on_disk(void)
{
    if (on_tmpfs("/var/tmp"))
        skip();
    int fd = open(path, O_RDWR | O_TRUNC);
    assert_true(fd >= 0);
    return fd;
}

/* Write FILE_MB in 1 MB writes, with or without the window. */
static void write_file(int fd, struct pagewin *w)
{
    static char block[MB];
    memset(block, 'x', sizeof(block));
    for (uint64_t off = 0; off < (uint64_t)FILE_MB * MB; off += MB) {
        assert_int_equal(pwrite(fd, block, MB, (off_t)off), (ssize_t)MB);
        if (w != NULL)
            pagewin_advance(w, fd, off + MB, STEP);
    }
}

static void test_without_window_all_stays(void **state)
{
    (void)state;
    int fd = open_on_disk();
    write_file(fd, NULL);
    /* The measurement itself: written pages are cached unless dropped. */
    assert_true(resident(fd, (uint64_t)FILE_MB * MB) >= (uint64_t)(FILE_MB - 4) * MB);
    close(fd);
}

static void test_window_holds_two_steps(void **state)
{
    (void)state;
    int fd = open_on_disk();
    struct pagewin w = {0};
    write_file(fd, &w);
    /* Dropped up to the step before the last one started; nothing past
     * the end of what was written. */
    assert_true(w.started <= (uint64_t)FILE_MB * MB);
    assert_true(w.dropped + 2 * STEP >= (uint64_t)FILE_MB * MB);
    assert_true(resident(fd, (uint64_t)FILE_MB * MB) <= 2 * STEP + MB);
    /* Once fsynced, everything may go. */
    assert_int_equal(fdatasync(fd), 0);
    pagewin_drop_synced(&w, fd, (uint64_t)FILE_MB * MB, MB);
    assert_true(w.dropped == (uint64_t)FILE_MB * MB);
    assert_true(resident(fd, (uint64_t)FILE_MB * MB) <= MB);
    close(fd);
}

/* The last, partial page is never dropped or handed to writeback: a log
 * writes it again. */
static void test_partial_page_kept(void **state)
{
    (void)state;
    int fd = open_on_disk();
    struct pagewin w = {0};
    static char block[3 * STEP];
    memset(block, 'y', sizeof(block));
    assert_int_equal(pwrite(fd, block, sizeof(block), 0), (ssize_t)sizeof(block));
    uint64_t end = sizeof(block) - 100; /* inside the last page */
    pagewin_advance(&w, fd, end, STEP);
    assert_int_equal(w.started % 4096, 0);
    assert_true(w.started <= end);
    assert_int_equal(fdatasync(fd), 0);
    pagewin_drop_synced(&w, fd, end, MB);
    assert_int_equal(w.dropped % 4096, 0);
    assert_true(w.dropped <= end);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_without_window_all_stays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_window_holds_two_steps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partial_page_kept, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
