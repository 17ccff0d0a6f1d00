/*
 * trivial.c - a benchmark-only allocator whose every call costs the same
 * few instructions, so that replaying a trace with it measures the replay
 * loop around the calls, not an allocator.
 *
 * Algorithm: init takes its state and a ring of TRIVIAL_RING 16-byte cells
 * from the heap; malloc, calloc, realloc and memalign hand out the next cell
 * of the ring (round robin), free does nothing.  Time: O(1), a load, an add
 * and a store.  It breaks the contract on purpose (blocks are reused while
 * "live", calloc does not zero, memalign ignores ALIGN above 16), so it is
 * not in the registry and only tests/bench uses it: never run the checked
 * pass with it.
 */
#include "trivial.h"

#define TRIVIAL_RING 4096  /* cells; a power of two */

struct trivial {
	char    *ring;  /* TRIVIAL_RING cells of HEAPLAB_ALIGN bytes */
	uint64_t next;  /* calls so far; picks the cell              */
};

static void *trivial_init(struct heap *heap)
{
	struct trivial *s = heap_sbrk(heap, (intptr_t)align_up(sizeof *s, HEAPLAB_ALIGN));
	if (!s)
		return NULL;
	s->ring = heap_sbrk(heap, TRIVIAL_RING * HEAPLAB_ALIGN);
	if (!s->ring)
		return NULL;
	s->next = 0;
	return s;
}

static void *trivial_malloc(void *self, size_t size)
{
	struct trivial *s = self;
	(void)size;
	return s->ring + (s->next++ & (TRIVIAL_RING - 1)) * HEAPLAB_ALIGN;
}

static void trivial_free(void *self, void *ptr)
{
	(void)self;
	(void)ptr;
}

static void *trivial_realloc(void *self, void *ptr, size_t size)
{
	(void)ptr;
	return trivial_malloc(self, size);
}

static void *trivial_calloc(void *self, size_t nmemb, size_t size)
{
	(void)nmemb;
	return trivial_malloc(self, size);
}

static void *trivial_memalign(void *self, size_t align, size_t size)
{
	(void)align;
	return trivial_malloc(self, size);
}

static size_t trivial_usable_size(void *self, void *ptr)
{
	(void)self;
	(void)ptr;
	return HEAPLAB_ALIGN;
}

static unsigned long trivial_check(void *self, struct check_report *report)
{
	(void)self;
	(void)report;
	return 0;
}

const struct allocator bench_trivial = {
	.name = "trivial",
	.description = "benchmark only: a ring of 16-byte cells, free does nothing",
	.init = trivial_init,
	.malloc = trivial_malloc,
	.free = trivial_free,
	.realloc = trivial_realloc,
	.calloc = trivial_calloc,
	.memalign = trivial_memalign,
	.usable_size = trivial_usable_size,
	.check = trivial_check,
};
