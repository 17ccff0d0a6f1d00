/*
 * implicit.c - implicit free list with boundary tags: first, next and best fit.
 *
 * Algorithm: blocks lie end to end between a prologue and an epilogue, each
 * with a header holding its size and an allocated flag (layout in
 * boundary_tags.h: free blocks also carry a footer; allocated blocks drop it
 * and instead the next header records "block below is allocated").  There
 * is no free list: the "list" is the heap itself, walked block by block
 * using the sizes.  malloc walks it for a fit under one of three policies -
 *   first fit: from the start of the heap, take the first block that fits;
 *   next fit:  from where the last placement happened (the rover), wrapping
 *              round once;
 *   best fit:  the whole heap, the smallest block that fits (an exact fit
 *              ends the scan early);
 * splits the block when the rest is at least a minimum block (32 bytes), and
 * only when nothing fits raises the break, by max(need, 64 KiB), merging the
 * new memory with a free block at the top.  free coalesces at once with both
 * neighbours (constant time thanks to the tags), and lowers the break when
 * the free block at the top exceeds 256 KiB (keeping one chunk).  realloc
 * shrinks in place, grows in place into a free block above or by raising the
 * break when the block is at the top, and only then moves.  memalign
 * over-allocates and frees the leading padding and the tail.
 *
 * Time: malloc O(blocks in the heap) - allocated ones included, which is
 * what makes implicit lists slow on big heaps (see the hint below); free
 * O(1); realloc O(1) in place, else malloc's cost.  Overhead: 8 bytes per allocated block;
 * minimum block 32 bytes.
 *
 * Fragmentation: first fit and best fit do well in practice (Wilson et al.
 * 1995 found both near the best policies on real programs), first fit
 * leaving small splinters near the start of the heap; next fit spreads
 * allocations over the heap, mixing objects of different lifetimes, and
 * fragments noticeably worse (Wilson et al. 1995; Johnstone & Wilson 1998).
 *
 * One shortcut that changes no placement: a hint to the lowest free block
 * (more exactly, a block boundary with nothing free below it), kept by the
 * hooks and raised by every scan, lets first and best fit skip the fully
 * allocated bottom of the heap - a heap that only grows costs O(1) per
 * malloc instead of O(blocks).
 *
 * Origin: Knuth, TAOCP vol 1 §2.5 (boundary tags, next fit as his "rover");
 * Bryant & O'Hallaron, CS:APP 3rd ed. §9.9 (the implicit list, prologue and
 * epilogue, footer elision).  The rover is kept on a block boundary through
 * coalescing: whenever a merge swallows the block it points at, it moves to
 * the start of the merged block.
 */
#include "allocator.h"
#include "boundary_tags.h"

enum fit_policy { FIT_FIRST, FIT_NEXT, FIT_BEST };

struct implicit {
	struct bt_core  core;   /* blocks, counters (first member: the hooks cast)   */
	enum fit_policy policy; /* how malloc chooses among the free blocks          */
	char           *rover;  /* next fit: header where the next search begins     */
	char           *lowest; /* a block header with no free block below it        */
	uint64_t        scanned;/* blocks looked at by malloc, for the stats         */
};

/*
 * No index to keep; the rover and the lowest-free hint have to stay on block
 * boundaries, and no free block may appear below the hint.
 */
static void implicit_link(struct bt_core *c, char *b)
{
	struct implicit *im = (struct implicit *)c;
	if (im->rover > b && im->rover < b + bt_size(b))
		im->rover = b;
	if (b < im->lowest)
		im->lowest = b;
}

/* `into` <= b is a boundary; when b was the lowest free block nothing free lies below it. */
static void implicit_unlink(struct bt_core *c, char *b, char *into)
{
	struct implicit *im = (struct implicit *)c;
	if (im->rover == b)
		im->rover = into;
	if (im->lowest == b)
		im->lowest = into;
}

static void implicit_grew(struct bt_core *c, char *old, char *b)
{
	(void)old;
	implicit_link(c, b);
}

static const struct bt_hooks implicit_hooks = { implicit_link, implicit_unlink, implicit_grew };

static void *implicit_init(struct heap *heap, enum fit_policy policy)
{
	struct implicit *im = (struct implicit *)bt_init(heap, sizeof(struct implicit));
	if (!im)
		return NULL;
	im->policy = policy;
	im->rover = im->core.first;
	im->lowest = im->core.first;
	return im;
}

static void *implicit_init_first(struct heap *heap) { return implicit_init(heap, FIT_FIRST); }
static void *implicit_init_next(struct heap *heap)  { return implicit_init(heap, FIT_NEXT); }
static void *implicit_init_best(struct heap *heap)  { return implicit_init(heap, FIT_BEST); }

/*
 * First free block of at least asize in [from, to) (the epilogue ends any
 * walk).  A scan that starts at the lowest-free hint moves the hint up to
 * the first free block it meets, or to where it stopped: nothing free lies
 * in between, so the next scan can skip that stretch.
 */
static char *scan_first(struct implicit *im, char *from, char *to, size_t asize)
{
	uint64_t n = 0;
	char *b = from, *seen = NULL, *found = NULL;
	while (b != to) {
		size_t hdr = bt_hdr(b), size = hdr & ~BT_FLAGS;
		if (size == 0)
			break;
		n++;
		if (!(hdr & BT_ALLOC)) {
			if (!seen)
				seen = b;
			if (size >= asize) {
				found = b;
				break;
			}
		}
		b += size;
	}
	if (from == im->lowest)
		im->lowest = seen ? seen : b;
	im->scanned += n;
	return found;
}

/* The smallest free block of at least asize; an exact fit ends the scan. */
static char *scan_best(struct implicit *im, size_t asize)
{
	uint64_t n = 0;
	char *b = im->lowest, *seen = NULL, *best = NULL;
	size_t best_size = SIZE_MAX;
	for (; b != im->core.epilogue; b += bt_size(b)) {
		size_t hdr = bt_hdr(b), size = hdr & ~BT_FLAGS;
		n++;
		if (hdr & BT_ALLOC)
			continue;
		if (!seen)
			seen = b;
		if (size >= asize && size < best_size) {
			best = b;
			best_size = size;
			if (size == asize)
				break;
		}
	}
	im->lowest = seen ? seen : b;
	im->scanned += n;
	return best;
}

static char *find_fit(struct implicit *im, size_t asize)
{
	switch (im->policy) {
	case FIT_FIRST:
		return scan_first(im, im->lowest, im->core.epilogue, asize);
	case FIT_NEXT: {
		char *b = scan_first(im, im->rover, im->core.epilogue, asize);
		if (!b && im->lowest < im->rover)  /* wrap round; nothing is free below lowest */
			b = scan_first(im, im->lowest, im->rover, asize);
		return b;
	}
	case FIT_BEST:
		return scan_best(im, asize);
	}
	return NULL;
}

static void *implicit_malloc(void *self, size_t size)
{
	struct implicit *im = self;
	if (size > BT_MAX_REQUEST)
		return NULL;
	size_t asize = bt_asize(size);
	char *b = find_fit(im, asize);
	if (!b && !(b = bt_grow(&im->core, asize, &implicit_hooks)))
		return NULL;
	void *p = bt_place(&im->core, b, asize, &implicit_hooks);
	im->rover = b;
	return p;
}

static void implicit_free(void *self, void *ptr)
{
	bt_free(self, ptr, &implicit_hooks);
}

static void *implicit_realloc(void *self, void *ptr, size_t size)
{
	return bt_realloc(self, ptr, size, implicit_malloc, &implicit_hooks);
}

static void *implicit_calloc(void *self, size_t nmemb, size_t size)
{
	return alloc_calloc_via_malloc(self, implicit_malloc, nmemb, size);
}

static void *implicit_memalign(void *self, size_t align, size_t size)
{
	return bt_memalign(self, align, size, implicit_malloc, &implicit_hooks);
}

static size_t implicit_usable_size(void *self, void *ptr)
{
	(void)self;
	return bt_usable_size(ptr);
}

static const char *policy_name(const struct implicit *im)
{
	return im->policy == FIT_FIRST ? "implicit-first"
	     : im->policy == FIT_NEXT  ? "implicit-next" : "implicit-best";
}

static unsigned long implicit_check(void *self, struct check_findings *findings)
{
	struct implicit *im = self;
	struct bt_walk w = { .probe = { im->rover, im->lowest } };
	check_as(findings, policy_name(im));
	unsigned long bad = bt_check_walk(&im->core, findings, &w);
	if (im->policy > FIT_BEST)
		bad += check_violation(findings, "unknown fit policy %d", (int)im->policy);
	if (w.complete && !w.found[0])
		bad += check_violation(findings, "rover at offset %td is not a block boundary",
		                       im->rover - im->core.heap->base);
	if (w.complete && !w.found[1])
		bad += check_violation(findings, "lowest-free hint at offset %td is not a block "
		                       "boundary", im->lowest - im->core.heap->base);
	if (w.first_free && w.first_free < im->lowest)
		bad += check_violation(findings, "free block at offset %td lies below the "
		                       "lowest-free hint (offset %td)",
		                       w.first_free - im->core.heap->base,
		                       im->lowest - im->core.heap->base);
	return bad;
}

static void implicit_stats(void *self, stat_sink sink, void *ctx)
{
	struct implicit *im = self;
	bt_stats(&im->core, sink, ctx);
	sink(ctx, "blocks_scanned", im->scanned);
}

#define IMPLICIT_TABLE(policy_, name_, desc_)          \
	{                                              \
		.name        = name_,                  \
		.description = desc_,                  \
		.init        = implicit_init_##policy_, \
		.malloc      = implicit_malloc,        \
		.free        = implicit_free,          \
		.realloc     = implicit_realloc,       \
		.calloc      = implicit_calloc,        \
		.memalign    = implicit_memalign,      \
		.usable_size = implicit_usable_size,   \
		.check       = implicit_check,         \
		.stats       = implicit_stats,         \
	}

const struct allocator alloc_implicit_first =
	IMPLICIT_TABLE(first, "implicit-first", "implicit free list, boundary tags, first fit");
const struct allocator alloc_implicit_next =
	IMPLICIT_TABLE(next, "implicit-next", "implicit free list, boundary tags, next fit (rover)");
const struct allocator alloc_implicit_best =
	IMPLICIT_TABLE(best, "implicit-best", "implicit free list, boundary tags, best fit");
