/*
 * fileio.h: the file operations every persist writer needs whole: a
 * pwrite that finishes (or says why not), the fsync of a directory that
 * makes a created or renamed file's name durable, and what direct I/O on
 * a file takes.
 */
#ifndef MNEMO_PERSIST_FILEIO_H
#define MNEMO_PERSIST_FILEIO_H

#include <stdbool.h>
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

/* The alignment direct I/O on fd needs (offsets and lengths in *align,
 * the buffer's address in *mem_align): true, or false when direct I/O
 * would gain nothing or cannot be had after all. tmpfs takes O_DIRECT
 * since Linux 6.6 but its pages are the file: the bytes are copied into
 * them all the same, so it is written buffered (and the padding of a
 * direct tail would be for nothing). A DIOALIGN of 0: no direct I/O. */
bool fileio_dio_align(int fd, size_t *align, size_t *mem_align);

#endif
