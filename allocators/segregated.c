/*
 * segregated.c - segregated free lists with boundary tags (the dlmalloc idea),
 * tuned for speed with good fits.
 *
 * Algorithm: the segregated-fits engine of segfit.c (boundary tags with the
 * previous-in-use bit, so allocated blocks cost an 8-byte header; one bin
 * per exact size below 512 bytes and four per power of two above, found
 * through a bitmap; immediate coalescing; small blocks carved from the high
 * end of a free block, larger ones from the low end; a cache of freed tiny
 * blocks in front; realloc in place wherever a neighbour or the break
 * allows).  This design's policy: in a range bin only the first 16 nodes
 * are scanned for the best fit (the whole bin only before the heap would
 * grow), and the heap always grows by a chunk of 1/32 of the heap (1 KiB to
 * 256 KiB), so that growth costs few provider calls.
 *
 * Time: malloc O(1) for small sizes and O(1) plus a bounded scan otherwise
 * (O(free blocks in one bin) in the rare fallback before growing; a flush
 * costs O(cached blocks), each block flushed at most once per free); free O(1);
 * realloc O(1) plus the copy when it cannot stay in place; memalign a bounded
 * scan per non-empty bin.
 *
 * Fragmentation: address-ordered best fit over size classes with immediate
 * coalescing is among the lowest-fragmentation policies known (Wilson et
 * al.).  Internal waste is the 8-byte header plus rounding to 16 (so 1 to 24
 * byte requests take 32).  Growing by a chunk leaves up to 1/32 of the heap
 * unused at the peak (compact.c grows mid-size blocks exactly instead).  The
 * state takes the first 680 bytes of the break; the heap may span at most
 * 64 GiB.
 *
 * Origin: Doug Lea, "A Memory Allocator" (the dlmalloc design notes): bins
 * by size, boundary tags, the previous-in-use bit; Knuth TAOCP vol. 1 §2.5
 * (boundary tags); Wilson, Johnstone, Neely and Boles 1995, "Dynamic Storage
 * Allocation: A Survey and Critical Review" (segregated fits, best fit,
 * wilderness preservation); Bryant and O'Hallaron, CS:APP §9.9.
 */
#include "segfit.h"

static const struct segfit_policy policy = {
	.name       = "segregated",
	.scan_limit = 16,           /* range-bin nodes examined for the best fit  */
	.exact_min  = 0,            /* no exact growth: every growth is a chunk   */
	.exact_max  = 0,
};

static void *seg_init(struct heap *heap) { return segfit_init(heap, &policy); }

const struct allocator alloc_segregated = {
	.name        = "segregated",
	.description = "segregated fits: exact and ranged size bins, best fit, boundary tags",
	.init        = seg_init,
	.malloc      = segfit_malloc,
	.free        = segfit_free,
	.realloc     = segfit_realloc,
	.calloc      = segfit_calloc,
	.memalign    = segfit_memalign,
	.usable_size = segfit_usable_size,
	.check       = segfit_check,
	.stats       = segfit_stats,
};
