/*
 * fileio.h - small output helpers every command shares.
 *
 * finish_stdout flushes standard output at the end of a command and turns a
 * write error (a full disk, a closed pipe) into EXIT_SYSTEM with a message;
 * write_all writes a whole buffer to a descriptor, retrying on EINTR.
 */
#ifndef HEAPLAB_FILEIO_H
#define HEAPLAB_FILEIO_H

#include <stddef.h>

/* Flush stdout; returns code, or EXIT_SYSTEM after "bench: standard output: ..." */
int finish_stdout(int code);

/* Write len bytes of buf to fd.  Returns 0, or -1 with errno set. */
int write_all(int fd, const void *buf, size_t len);

#endif
