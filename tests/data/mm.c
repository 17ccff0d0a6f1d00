/*
 * mm.c - the smallest CS:APP malloclab allocator there is (a bump pointer
 * with a size header, free does nothing, realloc copies), as a fixture for
 * docs/ci/mm_preload.c (tests/cli/compare.sh builds the two into a library
 * and runs bench on it).  Uses memlib's mem_sbrk, as a student's mm.c does.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

void *mem_sbrk(intptr_t incr);

#define ALIGNMENT 16
#define ALIGN(n)  (((n) + (ALIGNMENT - 1)) & ~(size_t)(ALIGNMENT - 1))
#define HEADER    ALIGNMENT   /* the block's size, padded to keep payloads aligned */

int mm_init(void) { return 0; }

void *mm_malloc(size_t size)
{
	if (size > ((size_t)1 << 40))
		return NULL;
	char *p = mem_sbrk((intptr_t)(HEADER + ALIGN(size ? size : 1)));
	if (p == (void *)-1)
		return NULL;
	*(size_t *)p = size;
	return p + HEADER;
}

void mm_free(void *ptr) { (void)ptr; }

void *mm_realloc(void *ptr, size_t size)
{
	if (!ptr)
		return mm_malloc(size);
	if (!size) {
		mm_free(ptr);
		return NULL;
	}
	void *q = mm_malloc(size);
	if (q) {
		size_t old = *(size_t *)((char *)ptr - HEADER);
		memcpy(q, ptr, old < size ? old : size);
		mm_free(ptr);
	}
	return q;
}
