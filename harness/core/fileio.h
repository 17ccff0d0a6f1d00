/*
 * fileio.h - small output helpers every command shares.
 *
 * finish_stdout flushes standard output at the end of a command and turns a
 * write error (a full disk, a closed pipe) into EXIT_SYSTEM with a message;
 * write_all writes a whole buffer to a descriptor, retrying on EINTR;
 * struct atomic_file writes a result or a trace so that readers never see
 * half of it.
 */
#ifndef HEAPLAB_FILEIO_H
#define HEAPLAB_FILEIO_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

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

/* The folder of the running binary (/proc/self/exe without its last part:
 * "" when it is in /), into out.  Returns 0, or -1 with errno set. */
int exe_dir(char *out, size_t len);

/* s as one CSV field (RFC 4180): quoted, with its quotes doubled, when it
 * holds a comma, a quote or a line break; as it is otherwise. */
void csv_field(FILE *out, const char *s);

/* Make path and its missing parents, new folders with `mode` (less the
 * umask).  Returns 0, or an errno (ENOTDIR when path exists and is not a
 * folder). */
int mkdir_p(const char *path, mode_t mode);

/*
 * An output file written atomically: atomic_open creates a temporary file
 * `.NAME.PID.XXXXXX` beside the target (outpath.h: a symlink, even a
 * dangling one, is followed, so its target is replaced and the link stays),
 * the caller writes to `fd` (or to atomic_stream's FILE), atomic_commit
 * syncs it and renames it over the target, and atomic_abort removes it.  A
 * failure at any step leaves any old file in place and no temporary file.
 * A target that exists and is not a regular file (a device, a fifo) is
 * written through instead, never replaced.  Failing calls return -1 with
 * "NAME: what failed: why" in err; after one, the file is closed already.
 */
struct atomic_file {
	int         fd;              /* where the bytes go (-1 once closed)          */
	FILE       *stream;          /* atomic_stream's buffered view of fd, or NULL */
	int         in_place;        /* not a regular file: written through          */
	const char *name;            /* as the caller gave it, for messages          */
	char        path[PATH_MAX];  /* the target, symlinks followed                */
	char        tmp[PATH_MAX];   /* the temporary file ("" when in place)        */
	char        dir[PATH_MAX];   /* the target's folder, synced after the rename */
};

int atomic_open(struct atomic_file *f, const char *name, char *err, size_t errlen);

/* A FILE writing to f->fd (fully buffered, 1 MiB), owned by f; NULL with errno. */
FILE *atomic_stream(struct atomic_file *f);

/* Flush, fsync, close, rename onto the target, fsync its folder. */
int atomic_commit(struct atomic_file *f, char *err, size_t errlen);

/* Close and remove the temporary file (a target written in place stays). */
void atomic_abort(struct atomic_file *f);

/* The whole of `text` (len bytes) to `name` through an atomic_file: 0 or -1. */
int write_file_atomic(const char *name, const char *text, size_t len,
                      char *err, size_t errlen);

#endif
