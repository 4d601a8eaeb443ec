/*
 * fileio.c: see fileio.h.
 */
#include "persist/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

int fileio_pwrite_all(int fd, const char *p, size_t n, uint64_t off)
{
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        if (w == 0) {
            errno = ENOSPC;
            return -1;
        }
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

int fileio_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

int fileio_fsync_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return fileio_fsync_dir(".");
    if (slash == path)
        return fileio_fsync_dir("/");
    char *dir = strndup(path, (size_t)(slash - path));
    if (dir == NULL)
        return -1;
    int rc = fileio_fsync_dir(dir);
    int e = errno;
    free(dir);
    errno = e;
    return rc;
}

/* Where statx cannot tell the alignment O_DIRECT needs: a page, which
 * covers every logical block size in use. */
#define DEFAULT_ALIGN 4096u

bool fileio_dio_align(int fd, size_t *align, size_t *mem_align)
{
    struct statfs fs;
    if (fstatfs(fd, &fs) == 0 && fs.f_type == TMPFS_MAGIC)
        return false;
    *align = DEFAULT_ALIGN;
    *mem_align = DEFAULT_ALIGN;
#ifdef STATX_DIOALIGN
    struct statx stx;
    if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
        (stx.stx_mask & STATX_DIOALIGN) != 0) {
        if (stx.stx_dio_offset_align == 0)
            return false;
        *align = stx.stx_dio_offset_align;
        /* The buffer stays page-aligned even where less would do: a
         * page-aligned buffer is never slower to hand to the device. */
        if (stx.stx_dio_mem_align > *mem_align)
            *mem_align = stx.stx_dio_mem_align;
    }
#endif
    return true;
}
