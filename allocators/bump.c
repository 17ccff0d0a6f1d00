/*
 * bump.c - the silliest allocator: every request moves the break.
 *
 * Algorithm: malloc rounds the request up to 16 bytes, puts an 16-byte header
 * holding the size in front of it, and asks the provider for exactly that
 * much.  free does nothing; realloc always allocates anew and copies.
 *
 * Time: O(1) per operation, but one provider call per allocation, which is
 * what the classic textbook warns against (sbrk is a system call).
 * Fragmentation: unbounded - nothing is ever reused, so peak break is the sum
 * of every request ever made.  It is the baseline every design must beat.
 *
 * Origin: the "simple allocator" in CS:APP's malloclab handout (mm-naive.c).
 */
#include "allocator.h"

#include <string.h>

#define HEADER 16  /* keeps the payload 16-byte aligned after an 8-byte size */

const struct allocator alloc_bump;

struct bump {
	struct heap *heap;   /* where every block comes from                   */
	uint64_t     blocks; /* blocks handed out, for the self-check and stats */
	uint64_t     bytes;  /* bytes taken from the provider for blocks        */
};

static void *bump_init(struct heap *heap)
{
	struct bump *b = heap_sbrk(heap, (intptr_t)align_up(sizeof *b, HEAPLAB_ALIGN));
	if (!b)
		return NULL;
	b->heap = heap;
	b->blocks = 0;
	b->bytes = 0;
	return b;
}

static void *bump_malloc(void *self, size_t size)
{
	struct bump *b = self;
	if (size > PTRDIFF_MAX - 2 * HEADER)
		return NULL;
	size_t total = HEADER + align_up(size ? size : 1, HEAPLAB_ALIGN);
	char *p = heap_sbrk(b->heap, (intptr_t)total);
	if (!p)
		return NULL;
	*(size_t *)p = total;
	b->blocks++;
	b->bytes += total;
	return p + HEADER;
}

static void bump_free(void *self, void *ptr)
{
	(void)self;
	(void)ptr;
}

static size_t bump_usable_size(void *self, void *ptr)
{
	(void)self;
	return *(size_t *)((char *)ptr - HEADER) - HEADER;
}

static void *bump_realloc(void *self, void *ptr, size_t size)
{
	return alloc_realloc_by_copy(self, &alloc_bump, ptr, size);
}

static void *bump_calloc(void *self, size_t nmemb, size_t size)
{
	return alloc_calloc_via_malloc(self, bump_malloc, nmemb, size);
}

static void *bump_memalign(void *self, size_t align, size_t size)
{
	struct bump *b = self;
	if (align <= HEAPLAB_ALIGN)
		return bump_malloc(self, size);
	/*
	 * Pad with a dead block (at least 2 * HEADER long) so that the next
	 * payload lands on the boundary.
	 */
	uintptr_t brk = (uintptr_t)heap_break(b->heap);
	if ((brk + HEADER) % align != 0) {
		size_t pad = align_up(brk + 3 * HEADER, align) - HEADER - brk;
		if (!bump_malloc(self, pad - HEADER))
			return NULL;
	}
	return bump_malloc(self, size);
}

/* Blocks are laid end to end from the state to the break: walk them. */
static unsigned long bump_check(void *self, struct check_findings *findings)
{
	struct bump *b = self;
	unsigned long bad = 0;
	char *p = (char *)b + align_up(sizeof *b, HEAPLAB_ALIGN), *end = heap_break(b->heap);
	uint64_t blocks = 0, bytes = 0;
	check_as(findings, "bump");

	while (p < end) {
		size_t total = *(size_t *)p;
		if (total < 2 * HEADER || total % HEAPLAB_ALIGN || total > (size_t)(end - p)) {
			bad += check_violation(findings, "block at offset %zu has bad size %zu",
			                       (size_t)(p - heap_start(b->heap)), total);
			return bad;
		}
		blocks++;
		bytes += total;
		p += total;
	}
	if (blocks != b->blocks || bytes != b->bytes)
		bad += check_violation(findings, "walked %llu blocks of %llu bytes, expected %llu of %llu",
		                       (unsigned long long)blocks, (unsigned long long)bytes,
		                       (unsigned long long)b->blocks, (unsigned long long)b->bytes);
	return bad;
}

static void bump_stats(void *self, stat_sink sink, void *ctx)
{
	struct bump *b = self;
	sink(ctx, "blocks", b->blocks);
}

const struct allocator alloc_bump = {
	.name        = "bump",
	.description = "sbrk on every call, free does nothing (the naive baseline)",
	.init        = bump_init,
	.malloc      = bump_malloc,
	.free        = bump_free,
	.realloc     = bump_realloc,
	.calloc      = bump_calloc,
	.memalign    = bump_memalign,
	.usable_size = bump_usable_size,
	.check       = bump_check,
	.stats       = bump_stats,
};
