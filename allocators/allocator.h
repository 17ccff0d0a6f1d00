/*
 * allocator.h - the plug-in interface every built-in allocator implements.
 *
 * An allocator is one file (or folder) under allocators/ that exports one
 * `const struct allocator` table; everything else in it is static.  list.h
 * names the tables, one line each; the registry (registry.c) and the
 * Makefile's preload libraries are both built from that list.  Besides the
 * designs, the folder holds what they share: the heap provider (heap.c) all
 * memory comes from, small fallbacks (common.c) and the block layers more
 * than one design is built on (boundary_tags.h, segfit.c).
 *
 * An instance lives entirely inside the heap it is given: init() takes its
 * state struct from the heap provider and returns it, and every other entry
 * point receives that pointer back as `self`.  So one allocator can run many
 * times in one process, each run on a fresh heap, and the state's size is
 * counted in the break like any other metadata.
 *
 * Behaviour every allocator follows (the project's documented choices):
 *
 *   - Every block is aligned to HEAPLAB_ALIGN (16, alignof(max_align_t) on
 *     x86-64); memalign() aligns to max(align, HEAPLAB_ALIGN) and is given a
 *     power of two.
 *   - malloc(0) returns a unique, freeable, minimum-size block, as glibc does.
 *   - realloc(NULL, n) is malloc(n).  realloc(p, 0) frees p and returns a
 *     minimum-size block (so the caller still owns one block); it never
 *     returns NULL for size 0 unless memory is exhausted.
 *   - calloc(n, m) returns NULL when n * m overflows size_t, and zeroed memory
 *     otherwise (memory from the provider is not assumed to be zero).
 *   - free(NULL) does nothing.
 *   - When the provider refuses to grow, the call returns NULL, the heap is
 *     left consistent, and later calls keep working.
 */
#ifndef HEAPLAB_ALLOCATOR_H
#define HEAPLAB_ALLOCATOR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "heap.h"

#define HEAPLAB_ALIGN 16

/*
 * What a self-check found.  Checks count violations instead of stopping at
 * the first, so a test can report all of them; the first few are described.
 * The findings carry the name of the allocator checking (check_as), and each
 * description is kept as "NAME: what is wrong", so a message never has to
 * repeat its allocator's name, and one shared layer's checks name whichever
 * design called them.
 */
#define CHECK_MAX_MESSAGES 4
struct check_findings {
	const char   *name;                         /* who is checking (NULL: no prefix) */
	unsigned long violations;                   /* how many were found             */
	unsigned      nmessages;                    /* descriptions kept (first few)   */
	char          messages[CHECK_MAX_MESSAGES][160];
};

/*
 * Name the allocator whose violations follow; a check starts with it.  A
 * check that runs another allocator's check (a wrapper) names itself again
 * afterwards.
 */
static inline void check_as(struct check_findings *findings, const char *name)
{
	findings->name = name;
}

/* Record one violation, printf-style.  Always returns 1 so `bad += ...` reads well. */
int check_violation(struct check_findings *findings, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One named figure an allocator wants reported (free-list length, splits...). */
typedef void (*stat_sink)(void *ctx, const char *name, uint64_t value);

struct allocator {
	const char *name;         /* as typed after --alloc: lower-case, dashes     */
	const char *description;  /* one line for --list                            */

	/* Take the state from `heap`; NULL if the heap refuses even that. */
	void  *(*init)(struct heap *heap);
	void  *(*malloc)(void *self, size_t size);
	void   (*free)(void *self, void *ptr);
	void  *(*realloc)(void *self, void *ptr, size_t size);
	void  *(*calloc)(void *self, size_t nmemb, size_t size);
	void  *(*memalign)(void *self, size_t align, size_t size);
	size_t (*usable_size)(void *self, void *ptr);

	/*
	 * Walk every block and free structure, add what is wrong to `findings`
	 * and return the number of violations found by this call.
	 */
	unsigned long (*check)(void *self, struct check_findings *findings);

	/* Optional (may be NULL): report the allocator's own counters. */
	void   (*stats)(void *self, stat_sink sink, void *ctx);
};

/* The registry: every built-in allocator, in the order --list shows them. */
extern const struct allocator *const allocator_registry[];
extern const size_t allocator_count;
const struct allocator *allocator_find(const char *name);

/* Fallbacks built from an allocator's own malloc/free/usable_size (common.c). */
void *alloc_calloc_via_malloc(void *self, void *(*malloc_fn)(void *, size_t),
                              size_t nmemb, size_t size);
void *alloc_realloc_by_copy(void *self, const struct allocator *a, void *ptr, size_t size);

/* Helpers shared by the allocators. */
static inline size_t align_up(size_t n, size_t a) { return (n + a - 1) & ~(a - 1); }
static inline int    is_pow2(size_t n)            { return n && !(n & (n - 1)); }

/* n * m, or SIZE_MAX with *overflow set when it does not fit. */
static inline size_t mul_size(size_t n, size_t m, int *overflow)
{
	size_t r;
	*overflow = __builtin_mul_overflow(n, m, &r);
	return *overflow ? SIZE_MAX : r;
}

#endif
