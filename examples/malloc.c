/*
 * malloc.c - malloc, free, calloc and realloc on sbrk: an explicit free list.
 *
 * The shape of the "write your own malloc" assignment: this file defines the
 * C library's functions itself and takes memory with sbrk(2).  heaplab runs
 * it unchanged (docs/students.md):
 *
 *   ./bench --alloc examples/malloc.c --trace workloads/short1.rep
 *   ./bench run --alloc examples/malloc.c -- ls -l /
 *
 * Design: every block has an 8-byte header and an 8-byte footer holding its
 * size and an allocated bit (boundary tags), so a freed block merges at once
 * with free neighbours.  Free blocks are kept on one doubly linked list
 * threaded through their payloads, newest first (LIFO), and malloc takes the
 * first that fits, splitting off the rest when it is big enough to be a
 * block.  Payloads are 16-byte aligned: headers sit 8 bytes before a 16-byte
 * boundary and every block size is a multiple of 16.
 *
 * Cost: malloc is O(free blocks), free O(1).  Single-threaded: heaplab's
 * preload wrapper puts a lock around it.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define ALIGN      16
#define TAG        sizeof(size_t)                 /* header, footer         */
#define MIN_BLOCK  32                             /* tags + two list links   */
#define GROW       (64 * 1024)                    /* sbrk at least this much */

struct free_links {           /* in the payload of a free block */
	struct free_links *next;
	struct free_links *prev;
};

static struct free_links *free_list;   /* newest free block first            */
static char *heap_first;               /* payload of the first block, or NULL */

static size_t *header(void *bp)            { return (size_t *)bp - 1; }
static size_t  size_of(void *bp)           { return *header(bp) & ~(size_t)1; }
static int     is_free(void *bp)           { return !(*header(bp) & 1); }
static size_t *footer(void *bp)            { return (size_t *)((char *)bp + size_of(bp) - 2 * TAG); }
static char   *next_block(void *bp)        { return (char *)bp + size_of(bp); }
static char   *prev_block(void *bp)        { return (char *)bp - (((size_t *)bp)[-2] & ~(size_t)1); }

static void set_tags(void *bp, size_t size, int allocated)
{
	*header(bp) = size | (size_t)(allocated != 0);
	*footer(bp) = size | (size_t)(allocated != 0);
}

static void list_remove(void *bp)
{
	struct free_links *l = bp;
	if (l->prev)
		l->prev->next = l->next;
	else
		free_list = l->next;
	if (l->next)
		l->next->prev = l->prev;
}

static void list_push(void *bp)
{
	struct free_links *l = bp;
	l->prev = NULL;
	l->next = free_list;
	if (free_list)
		free_list->prev = l;
	free_list = l;
}

/* Merge free block bp with free neighbours; it must not be on the list. */
static void *coalesce(void *bp)
{
	size_t size = size_of(bp);
	char *next = next_block(bp);
	if (is_free(next)) {
		list_remove(next);
		size += size_of(next);
	}
	if (!(((size_t *)bp)[-2] & 1)) {
		char *prev = prev_block(bp);
		list_remove(prev);
		size += size_of(prev);
		bp = prev;
	}
	set_tags(bp, size, 0);
	list_push(bp);
	return bp;
}

/* The first call: a prologue footer and an epilogue header, 16-aligned payloads after. */
static int heap_setup(void)
{
	char *p = sbrk(0);
	if (p == (void *)-1)
		return -1;
	size_t pad = (ALIGN - (uintptr_t)p % ALIGN) % ALIGN;
	if (sbrk((intptr_t)(pad + 2 * TAG)) == (void *)-1)
		return -1;
	*(size_t *)(p + pad) = 1;          /* prologue footer: size 0, allocated */
	*(size_t *)(p + pad + TAG) = 1;    /* epilogue header                    */
	heap_first = p + pad + 2 * TAG;
	return 0;
}

/* Grow the heap by a free block of at least `size` bytes; returns it, merged. */
static void *grow(size_t size)
{
	if (size < GROW)
		size = GROW;
	char *bp = sbrk((intptr_t)size);
	if (bp == (void *)-1)
		return NULL;
	/* The old epilogue header becomes this block's header. */
	set_tags(bp, size, 0);
	*header(next_block(bp)) = 1;       /* the new epilogue */
	return coalesce(bp);
}

static size_t block_for(size_t n)
{
	if (n > SIZE_MAX / 2)
		return 0;
	size_t size = (n + 2 * TAG + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	return size < MIN_BLOCK ? MIN_BLOCK : size;
}

/* Take `size` bytes from the start of free block bp (already off the list). */
static void *take(void *bp, size_t size)
{
	size_t have = size_of(bp);
	if (have - size >= MIN_BLOCK) {
		set_tags(bp, size, 1);
		char *rest = next_block(bp);
		set_tags(rest, have - size, 0);
		list_push(rest);
	} else {
		set_tags(bp, have, 1);
	}
	return bp;
}

void *malloc(size_t n)
{
	size_t size = block_for(n);
	if (!size)
		return NULL;
	if (!heap_first && heap_setup() != 0)
		return NULL;
	for (struct free_links *l = free_list; l; l = l->next)
		if (size_of(l) >= size) {
			list_remove(l);
			return take(l, size);
		}
	char *bp = grow(size);
	if (!bp)
		return NULL;
	list_remove(bp);
	return take(bp, size);
}

void free(void *bp)
{
	if (!bp)
		return;
	set_tags(bp, size_of(bp), 0);
	coalesce(bp);
}

void *calloc(size_t nmemb, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(nmemb, size, &total))
		return NULL;
	void *p = malloc(total);
	if (p)
		memset(p, 0, total);
	return p;
}

void *realloc(void *bp, size_t n)
{
	if (!bp)
		return malloc(n);
	size_t size = block_for(n);
	if (!size)
		return NULL;
	if (size <= size_of(bp))
		return bp;                     /* it fits: keep it where it is */
	void *q = malloc(n);
	if (!q)
		return NULL;
	memcpy(q, bp, size_of(bp) - 2 * TAG);
	free(bp);
	return q;
}
