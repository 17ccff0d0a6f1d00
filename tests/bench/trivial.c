/*
 * trivial.c - a benchmark-only allocator whose every call costs the same
 * few instructions, so that replaying a trace with it measures the replay
 * loop around the calls, not an allocator.
 *
 * Algorithm: init takes its state and a ring of TRIVIAL_RING bytes from the
 * heap; malloc, calloc, realloc and memalign hand out the next SIZE bytes
 * (rounded up to 16) of the ring, starting over at its beginning when they
 * do not fit, and free does nothing.  Each block is as large as asked, so
 * the timed loop's writes (--touch) stay inside it; a block larger than the
 * ring gets NULL.  Time: O(1), a compare, two adds and a store.  It breaks
 * the contract on purpose (blocks are reused while "live", calloc does not
 * zero, memalign ignores ALIGN above 16), so it is not in the registry and
 * only tests/bench uses it: never run the checked pass with it.
 */
#include "trivial.h"

#define TRIVIAL_RING ((size_t)1 << 20)  /* bytes: within L2, over 100 pages */

struct trivial {
	char  *ring;  /* TRIVIAL_RING bytes                     */
	size_t next;  /* offset of the next block in the ring   */
};

static void *trivial_init(struct heap *heap)
{
	struct trivial *s = heap_sbrk(heap, (intptr_t)align_up(sizeof *s, HEAPLAB_ALIGN));
	if (!s)
		return NULL;
	s->ring = heap_sbrk(heap, (intptr_t)TRIVIAL_RING);
	if (!s->ring)
		return NULL;
	s->next = 0;
	return s;
}

static void *trivial_malloc(void *self, size_t size)
{
	struct trivial *s = self;
	size_t need = (size + HEAPLAB_ALIGN) & ~(size_t)(HEAPLAB_ALIGN - 1);  /* >= 16 */
	if (__builtin_expect(need > TRIVIAL_RING - s->next, 0)) {
		if (need > TRIVIAL_RING)
			return NULL;
		s->next = 0;
	}
	char *p = s->ring + s->next;
	s->next += need;
	return p;
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

static unsigned long trivial_check(void *self, struct check_findings *findings)
{
	(void)self;
	(void)findings;
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
