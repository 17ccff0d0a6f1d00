/*
 * A student's mm.c that hands out memory from a static array: a bump
 * pointer, 16-byte aligned, free does nothing.  The bug: it never calls
 * mem_sbrk, so its blocks are not in the heap the lab measures (and the
 * utilization it would get is a lie).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "mm.h"
#include "memlib.h"

#define ARENA (8 << 20)

static char arena[ARENA] __attribute__((aligned(16)));
static size_t used;

int mm_init(void)
{
	used = 0;
	return 0;
}

void *mm_malloc(size_t size)
{
	size_t need = (size + 8 + 15) & ~(size_t)15;
	if (need > ARENA - used)
		return NULL;
	char *p = arena + used + 16 - 8;   /* an 8-byte size word before it */
	*(size_t *)(p - 8) = size;
	used += need + 8;
	used = (used + 15) & ~(size_t)15;
	return (void *)(((uintptr_t)p + 15) & ~(uintptr_t)15);
}

void mm_free(void *p)
{
	(void)p;
}

void *mm_realloc(void *p, size_t size)
{
	void *q = mm_malloc(size);
	if (p && q)
		memcpy(q, p, size);   /* may read past the old block: it is all arena */
	return q;
}
