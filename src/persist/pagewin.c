/*
 * pagewin.c: see pagewin.h.
 */
#include "persist/pagewin.h"

#include <fcntl.h>

#define PAGE_MASK_4K (~(uint64_t)4095)

void pagewin_advance(struct pagewin *w, int fd, uint64_t written, uint64_t step)
{
    /* Whole pages only: a log's last, partial page is written again, and a
     * write into a page under writeback may have to wait for it (stable
     * pages). */
    written &= PAGE_MASK_4K;
    if (written <= w->started)
        return;
    (void)sync_file_range(fd, (off64_t)w->started, (off64_t)(written - w->started),
                          SYNC_FILE_RANGE_WRITE);
    w->started = written;
    if (written < step)
        return;
    /* Keep the last step (its writeback was just started); what comes
     * before it was started a call ago or more and is on disk by now, or
     * nearly (called every step or so): wait for it and drop it. So the
     * window never holds more than the step kept and what was written
     * since, however late a call comes. */
    uint64_t keep_from = written - step;
    if (keep_from > w->dropped) {
        (void)sync_file_range(fd, (off64_t)w->dropped, (off64_t)(keep_from - w->dropped),
                              SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                                  SYNC_FILE_RANGE_WAIT_AFTER);
        (void)posix_fadvise(fd, (off_t)w->dropped, (off_t)(keep_from - w->dropped),
                            POSIX_FADV_DONTNEED);
        w->dropped = keep_from;
    }
}

void pagewin_drop_synced(struct pagewin *w, int fd, uint64_t synced, uint64_t step)
{
    uint64_t to = synced & PAGE_MASK_4K;
    if (to < w->dropped + step)
        return;
    (void)posix_fadvise(fd, (off_t)w->dropped, (off_t)(to - w->dropped), POSIX_FADV_DONTNEED);
    w->dropped = to;
    if (w->started < to)
        w->started = to;
}
