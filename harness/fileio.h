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

/*
 * Read fd to its end (a pipe has no size) into one buffer: the first of
 * first_cap bytes, doubled while full.  resize(p, old, new) works like
 * realloc (p NULL: a new block; on failure p stays valid); release(p, cap)
 * frees.  Returns 0 with *buf (cap bytes, len used); or ENOMEM (no memory),
 * EFBIG (full at max bytes or more) or read's errno, with nothing allocated.
 * The caller closes fd.
 */
int read_whole_fd(int fd, size_t first_cap, size_t max,
                  void *(*resize)(void *p, size_t old, size_t new_size),
                  void (*release)(void *p, size_t cap),
                  char **buf, size_t *len, size_t *cap);

/* Make path and its missing parents.  Returns 0, or an errno (ENOTDIR when
 * path exists and is not a folder). */
int mkdir_p(const char *path);

#endif
