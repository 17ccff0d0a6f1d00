/*
 * segfit.h - segregated fits over boundary tags, the engine that segregated.c
 * and compact.c share (segfit.c), tuned by a policy each of them supplies.
 *
 * The engine holds everything the two designs have in common: the block
 * layout (an 8-byte header with the size and "allocated" / "previous
 * allocated" bits, a footer on free blocks only), the size bins and their
 * bitmap, the cache of freed tiny blocks, coalescing, growing and trimming
 * the heap, realloc, memalign and the self-check.  A design is its policy:
 * how many nodes of a range bin malloc examines for the best fit, and which
 * block sizes make the heap grow by exactly what is missing rather than by a
 * chunk.  Both choices change only where blocks go, never the layout, so
 * every check and test hook below works for either design.
 *
 * The policy lives with the instance (init stores it in the state), so the
 * entry points below are the allocator table's own: a design's table points
 * at them and only its init differs.
 */
#ifndef HEAPLAB_SEGFIT_H
#define HEAPLAB_SEGFIT_H

#include "allocator.h"

struct segfit_policy {
	const char   *name;        /* the allocator's name, for its check messages */
	unsigned long scan_limit;  /* range-bin nodes examined for the best fit
	                              (~0UL: the whole list, true best fit)          */
	size_t        exact_min;   /* malloc grows the heap by exactly the block    */
	size_t        exact_max;   /* for block sizes in [exact_min, exact_max);
	                              others grow it by a chunk (1/32 of the heap)   */
};

/* The table entry points: init takes the design's policy, the rest find it in self. */
void  *segfit_init(struct heap *heap, const struct segfit_policy *policy);
void  *segfit_malloc(void *self, size_t size);
void   segfit_free(void *self, void *ptr);
void  *segfit_realloc(void *self, void *ptr, size_t size);
void  *segfit_calloc(void *self, size_t nmemb, size_t size);
void  *segfit_memalign(void *self, size_t align, size_t size);
size_t segfit_usable_size(void *self, void *ptr);
unsigned long segfit_check(void *self, struct check_findings *findings);
void   segfit_stats(void *self, stat_sink sink, void *ctx);

/* ---- Test-only entry points (tests/unit/test_segfit.c and the designs' tests). ---- */

/* The bin a free block of `block_size` bytes (header included) lives on. */
unsigned  segfit_bin_of_for_test(size_t block_size);
/* The bin whose list holds the free block that payload `ptr` had, or -1. */
int       segfit_bin_holding_for_test(void *self, const void *ptr);
/* The first block (its header) of a bin's list, or NULL; and setting it, to corrupt it. */
char     *segfit_bin_first_for_test(void *self, unsigned bin);
void      segfit_set_bin_first_for_test(void *self, unsigned bin, char *block);
/* The bitmap of non-empty bins, one bit per bin. */
uint64_t *segfit_bitmap_for_test(void *self);
/* Free every cached tiny block for real, as malloc does before the heap grows. */
void      segfit_flush_for_test(void *self);
/* The cache (block size / 16) holding the block that payload `ptr` had, or -1. */
int       segfit_cached_for_test(void *self, const void *ptr);

#endif
