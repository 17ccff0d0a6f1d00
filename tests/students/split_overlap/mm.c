/*
 * A student's explicit-free-list mm.c: boundary tags (8-byte header and
 * footer), 16-byte alignment, a doubly linked free list, first fit,
 * immediate coalescing.
 * The bug: when a free block is split, the part handed out keeps the size
 * of the whole free block in its tags, so it still spans the remainder that
 * went back on the free list; once it is freed, the next malloc can get a
 * block that runs over a live one.
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
	if (bfree(n)) {
		unlink_block(n);
		s += bsize(n);
	}
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
		char *rest = (char *)l + need;
		tags(rest, have - need, 0);
		append(rest);
		tags(l, have, 1);       /* BUG: should be need; the block still spans rest */
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
