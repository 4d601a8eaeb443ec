/*
 * fileio.h: the two file operations every persist writer needs whole:
 * a pwrite that finishes (or says why not), and the fsync of a directory
 * that makes a created or renamed file's name durable.
 */
#ifndef MNEMO_PERSIST_FILEIO_H
#define MNEMO_PERSIST_FILEIO_H

#include <stddef.h>
#include <stdint.h>

/* pwrite all n bytes at off (retrying short writes and EINTR); 0, or -1
 * with errno (ENOSPC where the kernel wrote nothing without an error: a
 * file-size limit or a full disk). */
int fileio_pwrite_all(int fd, const char *p, size_t n, uint64_t off);

/* fsync the directory dir; 0, or -1 with errno. */
int fileio_fsync_dir(const char *dir);

/* fsync the directory that holds path ("." for a bare name); 0, or -1
 * with errno. */
int fileio_fsync_parent(const char *path);

#endif
