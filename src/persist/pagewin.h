/*
 * pagewin.h: a file written front to back (a log segment, a snapshot)
 * that keeps only a window of its pages in the page cache.
 *
 * Every `step` bytes or so written (the writer calls when it likes), what
 * was written since the last call is handed to writeback (not waited for),
 * and all but the last step of the file, on disk by then or nearly, is
 * waited for and dropped from the page cache. So the file holds the step
 * kept and what was written since the last call, however large it grows,
 * instead of crowding out what the machine caches, and its next writes
 * land in pages freed a moment ago. That matters more than it seems: a
 * page the kernel has not used for a while can be one the hypervisor took
 * back (free page reporting), and the first write into it costs several
 * times a write into a page in use (measured on this VM: in mnemod's
 * profile, copying a 4 KB record into fresh page-cache pages took about
 * 1.3 µs; a 64 KB write() over cached pages about 0.5 µs per 4 KB, all of
 * it).
 *
 * The hints' failures are harmless and ignored: an fsync reports what
 * matters. Not thread-safe: one writer (or one thread acting for it).
 */
#ifndef MNEMO_PERSIST_PAGEWIN_H
#define MNEMO_PERSIST_PAGEWIN_H

#include <stdint.h>

struct pagewin {
    uint64_t started; /* bytes from 0 handed to writeback */
    uint64_t dropped; /* bytes from 0 on disk whose pages were dropped */
};

/* `written` bytes are in the file (from offset 0): start writeback of what
 * is new and drop all but the last `step` bytes. */
void pagewin_advance(struct pagewin *w, int fd, uint64_t written, uint64_t step);

/* Everything up to `synced` is on disk (an fsync returned): drop its whole
 * pages, when at least `step` bytes of them are still cached. */
void pagewin_drop_synced(struct pagewin *w, int fd, uint64_t synced, uint64_t step);

#endif
