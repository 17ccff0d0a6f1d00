/*
 * A student's explicit-free-list mm.c: boundary tags (8-byte header and
 * footer), 16-byte alignment, a doubly linked free list in FIFO order (new
 * free blocks go to the tail), first fit, immediate coalescing.
 * The bug: when a freed block merges with the free block after it, that
 * block is not taken off the free list, so the list still holds a block
 * that is now the middle of a bigger one.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "mm.h"
#include "memlib.h"

#define TAG 8
#define MIN_BLOCK 32
#define CHUNK 4096

struct links { struct links *next, *prev; };
static struct links *head, *tail;

static size_t *hdr(void *bp)  { return (size_t *)bp - 1; }
static size_t  bsize(void *bp) { return *hdr(bp) & ~(size_t)15; }
static int     bfree(void *bp) { return !(*hdr(bp) & 1); }
static char   *bnext(void *bp) { return (char *)bp + bsize(bp); }
static size_t  prev_tag(void *bp) { return ((size_t *)bp)[-2]; }
static void tags(void *bp, size_t s, int used)
{
	*hdr(bp) = s | (size_t)used;
	*(size_t *)((char *)bp + s - 2 * TAG) = s | (size_t)used;
}

static void unlink_block(void *bp)
{
	struct links *l = bp;
	if (l->prev) l->prev->next = l->next; else head = l->next;
	if (l->next) l->next->prev = l->prev; else tail = l->prev;
}

static void append(void *bp)
{
	struct links *l = bp;
	l->next = NULL;
	l->prev = tail;
	if (tail) tail->next = l; else head = l;
	tail = l;
}

static void *coalesce(void *bp)
{
	size_t s = bsize(bp);
	char *n = bnext(bp);
	if (bfree(n))
		s += bsize(n);          /* BUG: n stays on the free list */
	if (!(prev_tag(bp) & 1)) {
		char *p = (char *)bp - (prev_tag(bp) & ~(size_t)15);
		unlink_block(p);
		s += bsize(p);
		bp = p;
	}
	tags(bp, s, 0);
	append(bp);
	return bp;
}

int mm_init(void)
{
	char *p = mem_sbrk(16);
	if (p == (void *)-1)
		return -1;
	((size_t *)p)[0] = 1;   /* prologue footer */
	((size_t *)p)[1] = 1;   /* epilogue header */
	head = tail = NULL;
	return 0;
}

static void *grow(size_t s)
{
	char *bp = mem_sbrk((intptr_t)s);
	if (bp == (void *)-1)
		return NULL;
	tags(bp, s, 0);
	*hdr(bnext(bp)) = 1;
	return coalesce(bp);
}

void *mm_malloc(size_t size)
{
	size_t need = (size + 2 * TAG + 15) & ~(size_t)15;
	if (need < MIN_BLOCK)
		need = MIN_BLOCK;
	struct links *l;
	for (l = head; l; l = l->next)
		if (bsize(l) >= need)
			break;
	if (!l && !(l = grow(need > CHUNK ? need : CHUNK)))
		return NULL;
	unlink_block(l);
	size_t have = bsize(l);
	if (have - need >= MIN_BLOCK) {
		tags(l, need, 1);
		tags(bnext(l), have - need, 0);
		append(bnext(l));
	} else {
		tags(l, have, 1);
	}
	return l;
}

void mm_free(void *bp)
{
	if (!bp)
		return;
	tags(bp, bsize(bp), 0);
	coalesce(bp);
}

void *mm_realloc(void *bp, size_t size)
{
	void *q = mm_malloc(size);
	if (bp && q) {
		size_t old = bsize(bp) - 2 * TAG;
		memcpy(q, bp, old < size ? old : size);
		mm_free(bp);
	}
	return q;
}
