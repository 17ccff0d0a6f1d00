/*
 * A student's implicit-list mm.c with 8-byte headers and 16-byte alignment.
 * The bug: the payload is taken two words after the header instead of one
 * (header arithmetic off by 8), so every pointer is 8 bytes off alignment
 * and its last 8 bytes spill into the next block.
 */
#include <stddef.h>
#include <string.h>
#include "mm.h"
#include "memlib.h"

#define HDR 8
static char *first;   /* first header */

static size_t hsize(char *h) { return *(size_t *)h & ~(size_t)15; }
static int    hused(char *h) { return *(size_t *)h & 1; }
static void   hset(char *h, size_t s, int used) { *(size_t *)h = s | (size_t)used; }

int mm_init(void)
{
	char *p = mem_sbrk(16);
	if (p == (void *)-1)
		return -1;
	first = p + 8;          /* headers at 8 mod 16, payloads at 0 mod 16 */
	hset(first, 0, 1);      /* epilogue */
	return 0;
}

void *mm_malloc(size_t size)
{
	size_t need = (size + HDR + 15) & ~(size_t)15;
	char *h;
	for (h = first; hsize(h); h += hsize(h))
		if (!hused(h) && hsize(h) >= need)
			break;
	if (!hsize(h)) {
		if (mem_sbrk((intptr_t)need) == (void *)-1)
			return NULL;
		hset(h, need, 0);
		hset(h + need, 0, 1);
	}
	hset(h, hsize(h), 1);
	return h + 2 * HDR;     /* BUG: the payload starts HDR bytes after the header */
}

void mm_free(void *p)
{
	if (p)
		hset((char *)p - 2 * HDR, hsize((char *)p - 2 * HDR), 0);
}

void *mm_realloc(void *p, size_t size)
{
	void *q = mm_malloc(size);
	if (p && q) {
		size_t old = hsize((char *)p - 2 * HDR) - HDR;
		memcpy(q, p, old < size ? old : size);
		mm_free(p);
	}
	return q;
}
