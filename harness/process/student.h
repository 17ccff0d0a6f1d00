/*
 * student.h - a student's allocator source as an allocator: `--alloc
 * path/mm.c` (the malloc lab's mm_* interface on memlib) or `--alloc
 * path/malloc.c` (malloc/free/realloc on sbrk), see docs/students.md.
 *
 * The source is compiled once (cc, or $CC, with --cflags), the interface it
 * defines is read from the object's symbols (nm), and it is linked with the
 * student kit (student/adapter.c, the heap provider; build/lib/student) into
 * two shared objects: one bench loads with dlopen (RTLD_LOCAL) and runs like
 * a built-in, every byte from the heap provider, and one `bench run`
 * preloads into a program (preload/malloc_api.c: one lock, fork handling).
 * A malloc.c's malloc, free... and its sbrk/brk calls are renamed in its
 * object (objcopy), so it never replaces the process's own malloc.
 *
 * Outputs are cached by a hash of the source (and the headers beside it),
 * the flags, the compiler and the kit: $HEAPLAB_CACHE_DIR, else
 * $XDG_CACHE_HOME/heaplab, else ~/.cache/heaplab.  A second run with the same
 * inputs compiles nothing.
 */
#ifndef HEAPLAB_STUDENT_H
#define HEAPLAB_STUDENT_H

#include <limits.h>
#include <stddef.h>

#include "peer.h"

enum student_iface {
	STUDENT_IFACE_MM     = 1,  /* mm_init, mm_malloc, mm_free, mm_realloc */
	STUDENT_IFACE_MALLOC = 2,  /* malloc, free, realloc on sbrk           */
};

struct student_build {
	enum student_iface iface;
	char source[PATH_MAX];       /* the source, absolute                   */
	char bench_so[PATH_MAX + 128];/* what bench dlopens                     */
	char preload_so[PATH_MAX + 128];/* what `bench run` preloads              */
	char sha256[65];             /* the cache key                          */
	int  cached;                 /* nothing was compiled this time         */
};

/* --cflags: extra compiler flags for every student source of this run. */
extern const char *student_cflags;

/* A name --alloc should treat as a student's source: it ends in ".c". */
int student_is_source(const char *name);

/*
 * Compile and link `path` (or find it in the cache).  The compiler's own
 * messages go to stderr as it prints them.  Returns 0, or EXIT_USAGE
 * (does not compile or link, defines neither interface, not readable) or
 * EXIT_SYSTEM (no kit, no cache folder, cannot run the compiler) with a
 * message in err.
 */
int student_build(const char *path, struct student_build *out, char *err, size_t errlen);

/*
 * Build `path`, load its shared object and fill `s` (kind ALLOC_STUDENT).
 * The cell's name is the source's stem after the name of the folder it is
 * in ("alice/mm.c" -> "alice-mm", and so is "mm.c" run in alice/), so two
 * mm.c stay apart.
 */
int student_resolve(const char *path, struct alloc_spec *s, char *err, size_t errlen);

/* In a child process about to run spec `s`: make it the student whose runs start. */
void student_enter(const struct alloc_spec *s);

/* The shared object a student spec runs (what a child process started by exec loads). */
const char *student_object(const struct alloc_spec *s);

/* The preload library built from a student spec's source (`bench run`). */
const char *student_preload(const struct alloc_spec *s);

/*
 * In a child started by exec (a count under valgrind): load the student's
 * object `so` and return its table named `name`, ready to run; NULL with a
 * message in err.
 */
const struct allocator *student_child_table(const char *so, const char *name,
                                            char *err, size_t errlen);

/* Unload a student's object and free what student_resolve kept (other kinds: nothing). */
void student_release(struct alloc_spec *s);

#endif
