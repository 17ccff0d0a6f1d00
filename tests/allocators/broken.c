/*
 * broken.c - allocators with one deliberate bug each, built on bump, so the
 * tests can show that the checked replay catches every kind of lie:
 *
 *   broken-misaligned      malloc returns payloads 8 bytes off alignment
 *   broken-overlap         every second malloc returns the previous block again
 *   broken-corrupt         free scribbles on the most recently allocated other block
 *   broken-outside         the first malloc returns static memory, not heap memory
 *   broken-past-break      malloc returns a block whose end lies past the break
 *   broken-calloc-dirty    calloc does not zero
 *   broken-calloc-overflow calloc ignores NMEMB * SIZE overflowing
 *   broken-realloc-drops   realloc moves the block without copying it
 *   broken-memalign        memalign ignores ALIGN (blocks are only 16-aligned)
 *   broken-selfcheck       the self-check always finds one violation
 *   broken-crash           the second malloc or calloc writes past the mapped heap
 *   broken-nondeterministic every second heap it runs on gets 16 bytes more state
 *   test-realloc0-null     not broken: realloc(p, 0) frees p and returns NULL,
 *                          as glibc does (the harness must accept it)
 *
 * Each keeps a small state struct in the heap in front of bump's.
 */
#include "broken.h"

#include <string.h>

extern const struct allocator alloc_bump;

struct broken {
	struct heap *heap;     /* the heap both states live in               */
	void        *inner;    /* bump's state                                */
	void        *last;     /* the block the last malloc handed out        */
	uint64_t     mallocs;  /* malloc calls so far                         */
};

static void *broken_init(struct heap *heap)
{
	struct broken *b = heap_sbrk(heap, (intptr_t)align_up(sizeof *b, HEAPLAB_ALIGN));
	if (!b)
		return NULL;
	memset(b, 0, sizeof *b);
	b->heap = heap;
	b->inner = alloc_bump.init(heap);
	return b->inner ? b : NULL;
}

static void *inner_malloc(struct broken *b, size_t size)
{
	void *p = alloc_bump.malloc(b->inner, size);
	b->mallocs++;
	if (p)
		b->last = p;
	return p;
}

static void *fwd_malloc(void *self, size_t size) { return inner_malloc(self, size); }

static void fwd_free(void *self, void *ptr)
{
	alloc_bump.free(((struct broken *)self)->inner, ptr);
}

static void *fwd_realloc(void *self, void *ptr, size_t size)
{
	return alloc_bump.realloc(((struct broken *)self)->inner, ptr, size);
}

static void *fwd_calloc(void *self, size_t nmemb, size_t size)
{
	return alloc_bump.calloc(((struct broken *)self)->inner, nmemb, size);
}

static void *fwd_memalign(void *self, size_t align, size_t size)
{
	return alloc_bump.memalign(((struct broken *)self)->inner, align, size);
}

static size_t fwd_usable_size(void *self, void *ptr)
{
	return alloc_bump.usable_size(((struct broken *)self)->inner, ptr);
}

static unsigned long fwd_check(void *self, struct check_findings *findings)
{
	return alloc_bump.check(((struct broken *)self)->inner, findings);
}

/* One table: the entry points that are not broken forward to bump. */
static void *crashing_malloc(void *self, size_t size)
{
	struct broken *b = self;
	if (b->mallocs == 1)
		*(volatile char *)(b->heap->base + b->heap->mapped) = 1;  /* PROT_NONE */
	return inner_malloc(b, size);
}

static void *crashing_calloc(void *self, size_t nmemb, size_t size)
{
	return alloc_calloc_via_malloc(self, crashing_malloc, nmemb, size);
}

static void *malloc_ignoring_align(void *self, size_t align, size_t size)
{
	(void)align;
	return fwd_malloc(self, size);
}

/* A process-wide count: each init differs from the one before. */
static unsigned long inits;

static void *nondeterministic_init(struct heap *heap)
{
	if (inits++ % 2 && !heap_sbrk(heap, HEAPLAB_ALIGN))
		return NULL;
	return broken_init(heap);
}

static void *glibc_realloc(void *self, void *ptr, size_t size)
{
	if (ptr && size == 0) {
		fwd_free(self, ptr);
		return NULL;
	}
	return fwd_realloc(self, ptr, size);
}

#define BROKEN(var, nm, what, malloc_fn, free_fn, realloc_fn, calloc_fn, check_fn) \
	static const struct allocator var = {                                \
		.name = nm, .description = what, .init = broken_init,        \
		.malloc = malloc_fn, .free = free_fn, .realloc = realloc_fn, \
		.calloc = calloc_fn, .memalign = fwd_memalign,               \
		.usable_size = fwd_usable_size, .check = check_fn,           \
	}

static void *misaligned_malloc(void *self, size_t size)
{
	char *p = inner_malloc(self, size + 8);
	return p ? p + 8 : NULL;
}

static void *overlap_malloc(void *self, size_t size)
{
	struct broken *b = self;
	void *prev = b->last;
	if (prev && b->mallocs % 2 == 1) {
		b->mallocs++;
		return prev;
	}
	return inner_malloc(b, size);
}

static void corrupt_free(void *self, void *ptr)
{
	struct broken *b = self;
	if (b->last && b->last != ptr)
		*(unsigned char *)b->last ^= 0xff;
}

static _Alignas(64) char outside_memory[4096];

static void *outside_malloc(void *self, size_t size)
{
	struct broken *b = self;
	if (b->mallocs++ == 0 && size <= sizeof outside_memory)
		return outside_memory;
	return inner_malloc(b, size);
}

static void *past_break_malloc(void *self, size_t size)
{
	struct broken *b = self;
	if (!inner_malloc(b, size))
		return NULL;
	/* Aligned, inside the heap, but the last 16 bytes hang over the break. */
	return heap_break(b->heap) - align_up(size, HEAPLAB_ALIGN) + HEAPLAB_ALIGN;
}

static void *dirty_calloc(void *self, size_t nmemb, size_t size)
{
	int overflow;
	size_t total = mul_size(nmemb, size, &overflow);
	if (overflow)
		return NULL;
	void *p = inner_malloc(self, total);
	if (p)
		memset(p, 0xa5, total);
	return p;
}

static void *overflow_calloc(void *self, size_t nmemb, size_t size)
{
	void *p = inner_malloc(self, nmemb * size);  /* the bug: wraps around */
	if (p)
		memset(p, 0, nmemb * size);
	return p;
}

static void *dropping_realloc(void *self, void *ptr, size_t size)
{
	(void)ptr;
	return inner_malloc(self, size);
}

static unsigned long failing_check(void *self, struct check_findings *findings)
{
	unsigned long bad = fwd_check(self, findings);
	check_as(findings, "broken-selfcheck");
	return bad + (unsigned long)check_violation(findings, "free list length is off by one");
}

BROKEN(broken_misaligned, "broken-misaligned", "payloads 8 bytes off alignment",
       misaligned_malloc, fwd_free, fwd_realloc, fwd_calloc, fwd_check);
BROKEN(broken_overlap, "broken-overlap", "every second malloc repeats the previous block",
       overlap_malloc, fwd_free, fwd_realloc, fwd_calloc, fwd_check);
BROKEN(broken_corrupt, "broken-corrupt", "free scribbles on the last allocated block",
       fwd_malloc, corrupt_free, fwd_realloc, fwd_calloc, fwd_check);
BROKEN(broken_outside, "broken-outside", "first block is static memory",
       outside_malloc, fwd_free, fwd_realloc, fwd_calloc, fwd_check);
BROKEN(broken_past_break, "broken-past-break", "blocks end past the break",
       past_break_malloc, fwd_free, fwd_realloc, fwd_calloc, fwd_check);
BROKEN(broken_calloc_dirty, "broken-calloc-dirty", "calloc does not zero",
       fwd_malloc, fwd_free, fwd_realloc, dirty_calloc, fwd_check);
BROKEN(broken_calloc_overflow, "broken-calloc-overflow", "calloc ignores overflow",
       fwd_malloc, fwd_free, fwd_realloc, overflow_calloc, fwd_check);
BROKEN(broken_realloc_drops, "broken-realloc-drops", "realloc does not copy",
       fwd_malloc, fwd_free, dropping_realloc, fwd_calloc, fwd_check);
BROKEN(broken_selfcheck, "broken-selfcheck", "self-check always fails",
       fwd_malloc, fwd_free, fwd_realloc, fwd_calloc, failing_check);

static const struct allocator broken_memalign = {
	.name = "broken-memalign", .description = "memalign ignores ALIGN",
	.init = broken_init, .malloc = fwd_malloc, .free = fwd_free,
	.realloc = fwd_realloc, .calloc = fwd_calloc, .memalign = malloc_ignoring_align,
	.usable_size = fwd_usable_size, .check = fwd_check,
};
static const struct allocator broken_nondeterministic = {
	.name = "broken-nondeterministic", .description = "state size changes between runs",
	.init = nondeterministic_init, .malloc = fwd_malloc, .free = fwd_free,
	.realloc = fwd_realloc, .calloc = fwd_calloc, .memalign = fwd_memalign,
	.usable_size = fwd_usable_size, .check = fwd_check,
};
BROKEN(broken_crash, "broken-crash", "second malloc faults",
       crashing_malloc, fwd_free, fwd_realloc, crashing_calloc, fwd_check);
BROKEN(test_realloc0_null, "test-realloc0-null", "realloc(p, 0) frees and returns NULL",
       fwd_malloc, fwd_free, glibc_realloc, fwd_calloc, fwd_check);

const struct allocator *const broken_allocators[] = {
	&broken_misaligned, &broken_overlap, &broken_corrupt, &broken_outside,
	&broken_past_break, &broken_calloc_dirty, &broken_calloc_overflow,
	&broken_realloc_drops, &broken_selfcheck, &broken_memalign, &broken_crash, &broken_nondeterministic,
	&test_realloc0_null,
};

const size_t broken_count = sizeof broken_allocators / sizeof broken_allocators[0];

const struct allocator *broken_find(const char *name)
{
	for (size_t i = 0; i < broken_count; i++)
		if (strcmp(broken_allocators[i]->name, name) == 0)
			return broken_allocators[i];
	return NULL;
}
