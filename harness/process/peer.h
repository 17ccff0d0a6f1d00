/*
 * peer.h - what `--alloc` names: a built-in allocator, a production allocator
 * (a "peer": glibc, jemalloc, tcmalloc, mimalloc), a user's shared library
 * (`--alloc ./libmymalloc.so`), or, in build/bench-test only, a test
 * allocator; and the "system" adapter through which a peer is replayed.
 *
 * A peer cannot take its memory from the heap provider, so it runs in a child
 * process that preloads its library (isolate.h): the child's own malloc IS
 * the peer, and the system adapter's table calls malloc/free/calloc/realloc
 * and an aligned allocation function of the process.  The harness itself
 * allocates from mmap (bulk.h) while it measures, so the peer's heap holds
 * only what the trace asks for.
 */
#ifndef HEAPLAB_PEER_H
#define HEAPLAB_PEER_H

#include <limits.h>
#include <stdio.h>

#include "../../allocators/allocator.h"
#include "../replay/cell.h"

enum alloc_kind {
	ALLOC_BUILTIN,   /* allocators/ registry                       */
	ALLOC_PEER,      /* a known production allocator                */
	ALLOC_LIBRARY,   /* a shared library named by its path          */
	ALLOC_TEST,      /* tests/allocators/, only in build/bench-test */
	ALLOC_STUDENT,   /* a student's mm.c or malloc.c (student.h)    */
};

/* One allocator of a run, resolved from the command line. */
struct alloc_spec {
	char             name[64];          /* shown, and the folder of its results */
	enum alloc_kind  kind;
	const struct allocator *table;      /* built-in/test: its table; else the   */
	                                    /* system adapter, renamed (below)      */
	struct allocator renamed;           /* peers: adapter with name/description */
	char             description[160];
	char             library[PATH_MAX]; /* peers: the .so preloaded; glibc: libc */
	int              preload;           /* LD_PRELOAD library (glibc: 0)        */
	int              aligned;           /* the library has aligned allocation   */
	void            *student;           /* students: the loaded object          */
};

/* "builtin", "peer", "test" or "student" for the JSON's allocator.kind. */
const char *peer_kind_name(enum alloc_kind kind);

/*
 * Resolve one name: a built-in, a peer, a path (contains '/' or ends in
 * ".so") or a test allocator.  A library is probed in a child process (so a
 * library whose constructor crashes cannot take bench down): it must load and
 * export malloc, free, calloc and realloc itself.  Returns 0, or EXIT_USAGE
 * with a message like "./x.so: does not export malloc" in err.
 */
int alloc_resolve(const char *name, struct alloc_spec *s, char *err, size_t errlen);

/*
 * Expand a comma-separated --alloc list ("all", "builtin", "peers", names,
 * paths) into specs (malloc'd, *n of them; the parent's, never a child's
 * measurement data).  Peers that are not installed
 * are left out of "all" and "peers"; named explicitly, they are an error.
 * Returns 0 or EXIT_USAGE/EXIT_SYSTEM with a message.
 */
int peer_expand(const char *list, struct alloc_spec **specs, size_t *n,
                char *err, size_t errlen);
void peer_specs_free(struct alloc_spec *specs, size_t n);

/* --list: built-ins, then every peer with "peer" and its library (or "not installed"). */
void peer_list(FILE *f);

/*
 * In the child that runs a peer: bind the system adapter to this process's
 * allocation functions.  `library` is the preloaded path ("" for glibc): the
 * functions must come from it.  Returns the table, or NULL with a message.
 * r_aligned is set when memalign, posix_memalign or aligned_alloc exists.
 */
const struct allocator *peer_system_bind(const char *library, int *has_aligned,
                                         char *err, size_t errlen);

/* In a child about to exec a peer: let a sanitizer build accept the preload. */
void peer_sanitizer_env(void);

/* `bench __probe PATH FD` (hidden): check a preloaded library, see peer.c. */
int peer_probe_main(int argc, char **argv);

/* Library statistics read in the child after the memory pass. */
#define LIB_STATS_MAX 8
struct lib_stats {
	char     method[48];            /* "glibc mallinfo2", ...; "" none found */
	unsigned n;
	struct cell_stat stat[LIB_STATS_MAX];
};

/* Fill `ls` from whichever statistics interface the malloc in use exports. */
void peer_library_stats(struct lib_stats *ls);

/*
 * Test allocators: defined only when tests/allocators/registry.c is linked
 * (build/bench-test and the unit tests); weak, so plain bench has none.
 */
extern const struct allocator *test_allocator_find(const char *name) __attribute__((weak));
extern void test_allocator_list(FILE *f) __attribute__((weak));

#endif
