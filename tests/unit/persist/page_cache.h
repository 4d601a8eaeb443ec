/*
 * page_cache.h (tests): how much of a file is in the page cache, read with
 * mincore(2) over a mapping of it; and whether a directory is on tmpfs,
 * where pages cannot be dropped (a test of dropping skips there).
 */
#ifndef MNEMO_TEST_PAGE_CACHE_H
#define MNEMO_TEST_PAGE_CACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>

#define TMPFS_MAGIC_NUMBER 0x01021994 /* linux/magic.h's TMPFS_MAGIC */

/* Bytes of the file's first `len` bytes in the page cache. */
static inline uint64_t resident(int fd, uint64_t len)
{
    long page = sysconf(_SC_PAGESIZE);
    void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    assert_true(m != MAP_FAILED);
    size_t pages = (len + (uint64_t)page - 1) / (uint64_t)page;
    unsigned char *vec = malloc(pages);
    assert_non_null(vec);
    assert_int_equal(mincore(m, len, vec), 0);
    uint64_t n = 0;
    for (size_t i = 0; i < pages; i++)
        n += vec[i] & 1;
    free(vec);
    munmap(m, len);
    return n * (uint64_t)page;
}

static inline bool on_tmpfs(const char *dir)
{
    struct statfs fs;
    assert_int_equal(statfs(dir, &fs), 0);
    return (unsigned long)fs.f_type == TMPFS_MAGIC_NUMBER;
}

#endif
