/*
 * outpath.h - where a result file goes, checked before anything runs.
 *
 * Results are written atomically: a temporary file `.NAME.PID.XXXXXX` beside
 * the target, then rename.  A symlink named as the output is followed to its
 * target (which need not exist yet), so the rename replaces the target and
 * the link stays.  A bench killed by SIGKILL leaves its temporary file
 * behind; the next run into the same folder removes it (its PID is dead).
 */
#ifndef HEAPLAB_OUTPATH_H
#define HEAPLAB_OUTPATH_H

#include <stddef.h>

/*
 * Follow `path` through symlinks to the file a write would create or
 * replace; a dangling link gives its target.  0, or an errno value (ELOOP,
 * ENAMETOOLONG).
 */
int outpath_resolve(const char *path, char *out, size_t outlen);

/*
 * Before a run: can a result be written to FILE `path`?  Its folder must
 * exist and be writable, it must not be a folder, and it must not be one of
 * `inputs` (the same file by device and inode, through any name).  Returns 0,
 * or an exit code (EXIT_USAGE: it names an input; EXIT_SYSTEM: the folder) with
 * a message "PATH: why" in err.  Nothing is created.  With `make_dir` the
 * folder may be missing (the caller creates it): then what exists of it must
 * allow that, as outpath_check_dir says.
 */
int outpath_check_file(const char *path, const char *const *inputs, size_t ninputs,
                       int make_dir, char *err, size_t errlen);

/*
 * The same for a results FOLDER `dir` (a suite's --out): it may be missing
 * (it is created), but what exists of it must be a folder, and the nearest
 * existing ancestor must be writable when something is still to be created.
 */
int outpath_check_dir(const char *dir, char *err, size_t errlen);

/* The temporary name for `dir`/`base` in `buf` (mkstemp template).  0 or ENAMETOOLONG. */
int outpath_temp_name(const char *dir, const char *base, char *buf, size_t len);

/* Remove, in `dir`, result temporary files left by a bench that was killed. */
void outpath_remove_stale(const char *dir);

#endif
