/*
 * adapter.c - a student's allocator as a heaplab allocator table.
 *
 * `bench --alloc path/mm.c` (or malloc.c) compiles the student's source,
 * then links it with this file, allocators/heap.c and allocators/common.c into
 * a shared object that bench loads (harness/process/student.c), or with
 * preload/malloc_api.c into a library `bench run` preloads.  This file is
 * compiled twice, once per interface:
 *
 *   STUDENT_MM      the malloc lab's mm_init/mm_malloc/mm_free/mm_realloc
 *                   (mm_calloc when defined), memory from memlib's mem_sbrk,
 *                   which this file defines on the heap provider.
 *   STUDENT_MALLOC  a malloc.c that defines malloc/free/realloc (calloc when
 *                   defined) and calls sbrk/brk.  Its object's symbols are
 *                   renamed heaplab_student_<name> before the link (objcopy),
 *                   so it never replaces the process's own malloc, and its
 *                   sbrk/brk calls land here.
 *
 * Either way every byte the student's code takes comes from the heap
 * provider bench opened for the run: peak break, utilization and provider
 * calls are exact.  There is one heap at a time; bench restores the shared
 * object's data to its pristine state before each init, so static variables
 * start from zero every run (a malloc.c has no init of its own).
 *
 * memalign, which neither interface has, is built on the student's malloc:
 * the block is over-allocated and a small header before the aligned pointer
 * records the real block, so free and realloc can find it.
 */
#define _GNU_SOURCE
#include "allocators/allocator.h"
#include "allocators/heap.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#if !defined(STUDENT_MM) && !defined(STUDENT_MALLOC)
#error "compile with -DSTUDENT_MM or -DSTUDENT_MALLOC"
#endif

static struct heap *cur_heap;   /* the heap of the run under way */

/* ---- the memory the student's code sees ---- */

void *mem_sbrk(intptr_t incr);
void *mem_heap_lo(void);
void *mem_heap_hi(void);
size_t mem_heapsize(void);
size_t mem_pagesize(void);
void mem_init(void);
void mem_deinit(void);
void mem_reset_brk(void);
void *heaplab_student_sbrk(intptr_t incr);
int heaplab_student_brk(void *addr);

void *mem_sbrk(intptr_t incr)
{
	void *p = incr >= 0 && cur_heap ? heap_sbrk(cur_heap, incr) : NULL;
	if (!p) {
		errno = ENOMEM;
		return (void *)-1;
	}
	return p;
}

void *mem_heap_lo(void)    { return cur_heap ? heap_start(cur_heap) : NULL; }
void *mem_heap_hi(void)    { return cur_heap ? heap_break(cur_heap) - 1 : NULL; }
size_t mem_heapsize(void)  { return cur_heap ? cur_heap->brk : 0; }
size_t mem_pagesize(void)  { return (size_t)sysconf(_SC_PAGESIZE); }
void mem_init(void)        { }
void mem_deinit(void)      { }
void mem_reset_brk(void)
{
	if (cur_heap && cur_heap->brk)
		heap_sbrk(cur_heap, -(intptr_t)cur_heap->brk);
}

/* sbrk(2) and brk(2) as a malloc.c calls them, on the heap provider. */
void *heaplab_student_sbrk(intptr_t incr)
{
	void *p = cur_heap ? heap_sbrk(cur_heap, incr) : NULL;
	if (!p) {
		errno = ENOMEM;
		return (void *)-1;
	}
	return p;
}

int heaplab_student_brk(void *addr)
{
	if (!cur_heap || (char *)addr < heap_start(cur_heap)) {
		errno = ENOMEM;
		return -1;
	}
	intptr_t delta = (char *)addr - heap_break(cur_heap);
	if (!heap_sbrk(cur_heap, delta)) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* ---- the student's entry points ---- */

#ifdef STUDENT_MM
int   mm_init(void);
void *mm_malloc(size_t size);
void  mm_free(void *ptr);
void *mm_realloc(void *ptr, size_t size);
void *mm_calloc(size_t nmemb, size_t size) __attribute__((weak));
#define S_MALLOC   mm_malloc
#define S_FREE     mm_free
#define S_REALLOC  mm_realloc
#define S_CALLOC   mm_calloc
#define KIND       "malloc lab mm.c"
#else
void *heaplab_student_malloc(size_t size);
void  heaplab_student_free(void *ptr);
void *heaplab_student_realloc(void *ptr, size_t size);
void *heaplab_student_calloc(size_t nmemb, size_t size) __attribute__((weak));
size_t heaplab_student_malloc_usable_size(void *ptr) __attribute__((weak));
#define S_MALLOC   heaplab_student_malloc
#define S_FREE     heaplab_student_free
#define S_REALLOC  heaplab_student_realloc
#define S_CALLOC   heaplab_student_calloc
#define KIND       "malloc.c on sbrk"
#endif

/* ---- aligned blocks: a header before the aligned pointer ---- */

#define ALIGNED_MAGIC ((uintptr_t)0x686561706c616221ull)

struct aligned_header {
	size_t    size;    /* bytes the caller asked for                     */
	void     *block;   /* what the student's malloc returned              */
	uintptr_t magic;   /* ALIGNED_MAGIC ^ the aligned pointer: "is one"   */
};

static struct aligned_header *aligned_header_of(void *p)
{
	struct aligned_header *h = (struct aligned_header *)p - 1;
	if (!cur_heap || !heap_contains(cur_heap, h, sizeof *h))
		return NULL;
	return h->magic == (ALIGNED_MAGIC ^ (uintptr_t)p) ? h : NULL;
}

static void *adapter_memalign(void *self, size_t align, size_t size)
{
	(void)self;
	if (align < sizeof(void *))
		align = sizeof(void *);
	void *p = S_MALLOC(size ? size : 1);
	if (!p || (uintptr_t)p % align == 0)
		return p;
	S_FREE(p);
	size_t extra = align + sizeof(struct aligned_header);
	if (size > SIZE_MAX - extra)
		return NULL;
	char *block = S_MALLOC(size + extra);
	if (!block)
		return NULL;
	char *q = (char *)align_up((uintptr_t)block + sizeof(struct aligned_header), align);
	struct aligned_header *h = (struct aligned_header *)q - 1;
	h->size = size;
	h->block = block;
	h->magic = ALIGNED_MAGIC ^ (uintptr_t)q;
	return q;
}

/* ---- the table ---- */

static int self_token;   /* self: the student's state is in its own globals */

static void *adapter_init(struct heap *heap)
{
	cur_heap = heap;
#ifdef STUDENT_MM
	if (mm_init() < 0)
		return NULL;
#endif
	return &self_token;
}

static void *adapter_malloc(void *self, size_t size)
{
	(void)self;
	return S_MALLOC(size);
}

static void adapter_free(void *self, void *ptr)
{
	(void)self;
	struct aligned_header *h = ptr ? aligned_header_of(ptr) : NULL;
	if (h) {
		void *block = h->block;
		h->magic = 0;
		S_FREE(block);
		return;
	}
	S_FREE(ptr);
}

static void *adapter_realloc(void *self, void *ptr, size_t size)
{
	struct aligned_header *h = ptr ? aligned_header_of(ptr) : NULL;
	if (!h)
		return S_REALLOC(ptr, size);
	void *q = S_MALLOC(size);
	if (!q)
		return NULL;
	memcpy(q, ptr, h->size < size ? h->size : size);
	adapter_free(self, ptr);
	return q;
}

static void *adapter_calloc(void *self, size_t nmemb, size_t size)
{
	if (S_CALLOC)
		return S_CALLOC(nmemb, size);
	return alloc_calloc_via_malloc(self, adapter_malloc, nmemb, size);
}

static size_t adapter_usable_size(void *self, void *ptr)
{
	(void)self;
	struct aligned_header *h = aligned_header_of(ptr);
	if (h)
		return h->size;
#ifdef STUDENT_MALLOC
	if (heaplab_student_malloc_usable_size)
		return heaplab_student_malloc_usable_size(ptr);
#endif
	return 0;   /* unknown: the student's allocator does not say */
}

/* The student's own checker has no agreed signature: heaplab's checks stand in. */
static unsigned long adapter_check(void *self, struct check_findings *findings)
{
	(void)self;
	(void)findings;
	return 0;
}

/* The source's path as given to bench, from a one-line file each build compiles. */
extern const char heaplab_student_name[];

const struct allocator heaplab_student_table = {
	.name        = heaplab_student_name,
	.description = "a student's " KIND,
	.init        = adapter_init,
	.malloc      = adapter_malloc,
	.free        = adapter_free,
	.realloc     = adapter_realloc,
	.calloc      = adapter_calloc,
	.memalign    = adapter_memalign,
	.usable_size = adapter_usable_size,
	.check       = adapter_check,
	.stats       = NULL,
};
