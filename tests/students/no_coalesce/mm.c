/*
 * A student's implicit-list mm.c, 8-byte aligned (run with --align 8):
 * boundary tags, first fit.  The bug: free never merges a block with its
 * free neighbours, so the heap fills with small free blocks that no larger
 * request fits.  Every check passes; the utilization is poor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memlib.h"
#include "mm.h"

team_t team = {
	"bovik",
	"Harry Bovik", "bovik",
	"", "",
};

#define WSIZE      4           /* header, footer: one word             */
#define DSIZE      8           /* double word: the alignment            */
#define CHUNKSIZE  (1 << 12)   /* grow the heap by at least this much   */
#define MIN_BLOCK  (2 * DSIZE) /* header + footer + 8 bytes of payload  */

/* A tag packs the block size (a multiple of 8) and the allocated bit. */
static inline unsigned pack(size_t size, unsigned alloc) { return (unsigned)size | alloc; }
static inline unsigned get(const void *p)                { return *(const unsigned *)p; }
static inline void     put(void *p, unsigned v)          { *(unsigned *)p = v; }
static inline size_t   tag_size(const void *p)           { return get(p) & ~0x7u; }
static inline unsigned tag_alloc(const void *p)          { return get(p) & 0x1u; }

/* bp points at the payload; its header is the word before it. */
static inline char  *hdrp(void *bp)       { return (char *)bp - WSIZE; }
static inline size_t block_size(void *bp) { return tag_size(hdrp(bp)); }
static inline char  *ftrp(void *bp)       { return (char *)bp + block_size(bp) - DSIZE; }
static inline char  *next_bp(void *bp)    { return (char *)bp + block_size(bp); }
static inline char  *prev_bp(void *bp)    { return (char *)bp - tag_size((char *)bp - DSIZE); }

static char *heap_listp;   /* the prologue block's payload */

static void *coalesce(void *bp)
{
	return bp;   /* BUG: "I'll add coalescing later" */

	unsigned prev_alloc = tag_alloc(ftrp(prev_bp(bp)));
	unsigned next_alloc = tag_alloc(hdrp(next_bp(bp)));
	size_t size = block_size(bp);

	if (prev_alloc && next_alloc)
		return bp;
	if (prev_alloc) {                       /* merge with the next block */
		size += block_size(next_bp(bp));
	} else if (next_alloc) {                /* merge with the previous one */
		size += block_size(prev_bp(bp));
		bp = prev_bp(bp);
	} else {                                /* with both */
		size += block_size(prev_bp(bp)) + block_size(next_bp(bp));
		bp = prev_bp(bp);
	}
	put(hdrp(bp), pack(size, 0));
	put(ftrp(bp), pack(size, 0));
	return bp;
}

/* Grow the heap by `words` words: one new free block, then a new epilogue. */
static void *extend_heap(size_t words)
{
	size_t size = (words % 2) ? (words + 1) * WSIZE : words * WSIZE;
	char *bp = mem_sbrk((intptr_t)size);
	if (bp == (void *)-1)
		return NULL;
	put(hdrp(bp), pack(size, 0));          /* the old epilogue becomes its header */
	put(ftrp(bp), pack(size, 0));
	put(hdrp(next_bp(bp)), pack(0, 1));    /* new epilogue */
	return coalesce(bp);
}

int mm_init(void)
{
	heap_listp = mem_sbrk(4 * WSIZE);
	if (heap_listp == (void *)-1)
		return -1;
	put(heap_listp, 0);                            /* alignment padding */
	put(heap_listp + 1 * WSIZE, pack(DSIZE, 1));   /* prologue header   */
	put(heap_listp + 2 * WSIZE, pack(DSIZE, 1));   /* prologue footer   */
	put(heap_listp + 3 * WSIZE, pack(0, 1));       /* epilogue header   */
	heap_listp += 2 * WSIZE;
	if (!extend_heap(CHUNKSIZE / WSIZE))
		return -1;
	return 0;
}

static void *find_fit(size_t asize)
{
	for (char *bp = heap_listp; block_size(bp) > 0; bp = next_bp(bp))
		if (!tag_alloc(hdrp(bp)) && block_size(bp) >= asize)
			return bp;
	return NULL;
}

/* Allocate asize bytes at the start of free block bp, splitting off the rest. */
static void place(void *bp, size_t asize)
{
	size_t csize = block_size(bp);
	if (csize - asize >= MIN_BLOCK) {
		put(hdrp(bp), pack(asize, 1));
		put(ftrp(bp), pack(asize, 1));
		bp = next_bp(bp);
		put(hdrp(bp), pack(csize - asize, 0));
		put(ftrp(bp), pack(csize - asize, 0));
	} else {
		put(hdrp(bp), pack(csize, 1));
		put(ftrp(bp), pack(csize, 1));
	}
}

void *mm_malloc(size_t size)
{
	if (size == 0)
		return NULL;
	if (size > (size_t)1 << 30)
		return NULL;   /* the tags hold 32-bit sizes */
	size_t asize = size <= DSIZE ? MIN_BLOCK : DSIZE * ((size + DSIZE + (DSIZE - 1)) / DSIZE);
	char *bp = find_fit(asize);
	if (!bp) {
		size_t extend = asize > CHUNKSIZE ? asize : CHUNKSIZE;
		if (!(bp = extend_heap(extend / WSIZE)))
			return NULL;
	}
	place(bp, asize);
	return bp;
}

void mm_free(void *bp)
{
	if (!bp)
		return;
	size_t size = block_size(bp);
	put(hdrp(bp), pack(size, 0));
	put(ftrp(bp), pack(size, 0));
	coalesce(bp);
}

/* The simplest correct realloc: a new block, a copy, a free. */
void *mm_realloc(void *ptr, size_t size)
{
	if (!ptr)
		return mm_malloc(size);
	if (size == 0) {
		mm_free(ptr);
		return NULL;
	}
	void *newp = mm_malloc(size);
	if (!newp)
		return NULL;
	size_t old = block_size(ptr) - DSIZE;
	memcpy(newp, ptr, old < size ? old : size);
	mm_free(ptr);
	return newp;
}

/* Walk the heap: tags agree, blocks aligned, no two free blocks side by side. */
int mm_checkheap(int verbose)
{
	int bad = 0, prev_free = 0;
	char *bp;
	for (bp = heap_listp; block_size(bp) > 0; bp = next_bp(bp)) {
		if ((size_t)bp % DSIZE) {
			bad++;
			if (verbose)
				fprintf(stderr, "mm_checkheap: block %p is not aligned\n", (void *)bp);
		}
		if (get(hdrp(bp)) != get(ftrp(bp))) {
			bad++;
			if (verbose)
				fprintf(stderr, "mm_checkheap: block %p: header and footer differ\n",
				        (void *)bp);
		}
		int is_free = !tag_alloc(hdrp(bp));
		if (is_free && prev_free) {
			bad++;
			if (verbose)
				fprintf(stderr, "mm_checkheap: block %p: two free blocks in a row\n",
				        (void *)bp);
		}
		prev_free = is_free;
	}
	return bad == 0;
}
