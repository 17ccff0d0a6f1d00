/*
 * boundary_tags.h - the block layout shared by the implicit and explicit
 * free-list allocators (implicit.c, explicit.c), and the operations on it
 * that do not depend on how free blocks are found.
 *
 * Layout (Knuth's boundary tags, TAOCP vol 1 §2.5, as presented in CS:APP
 * 9.9.6-9.9.11):
 *
 *   heap start  [state struct][pad 8][prologue hdr|8 unused] [block]...[block][epilogue hdr] break
 *
 *   block:      [header 8][payload .............................][footer 8, free blocks only]
 *
 * A block is addressed by its header; the payload starts 8 bytes later and
 * is 16-byte aligned, so headers sit at addresses = 8 (mod 16) and every
 * block size is a multiple of 16.  The header word holds the size with two
 * flags in its low bits: BT_ALLOC (this block is allocated) and BT_PREV_ALLOC
 * (the block just below is allocated).  Because of the second flag only free
 * blocks need a footer - coalescing looks at the footer below a block only
 * when that flag says the neighbour is free - so an allocated block costs one
 * word of overhead and its payload runs over the footer slot up to the next
 * header (the dlmalloc trick).  A footer repeats its block's header without
 * BT_PREV_ALLOC.
 *
 * The prologue (a 16-byte allocated block) and the epilogue (an allocated
 * header of size 0 in the last word below the break) mean that no block ever
 * needs an "am I at the edge?" test.  Growing the heap turns the old epilogue
 * into the header of the new free block.
 *
 * Minimum block: 32 bytes - header, two list links (explicit.c keeps its
 * doubly linked free list in the payload of free blocks) and a footer.
 *
 * How free blocks are indexed differs per allocator; these helpers tell the
 * index through hooks: link() when a (fully coalesced) free block appears,
 * unlink() when one disappears - allocated, absorbed by a neighbour or
 * merged - and grew() when a free block swallows its freed neighbour.  The
 * helpers keep the block counters the self-check compares.
 */
#ifndef HEAPLAB_BOUNDARY_TAGS_H
#define HEAPLAB_BOUNDARY_TAGS_H

#include "allocator.h"

#include <string.h>

#define BT_WORD        8                        /* a header or footer            */
#define BT_MIN         32                       /* header + 2 links + footer     */
#define BT_ALLOC       ((size_t)1)              /* header flag: block in use     */
#define BT_PREV_ALLOC  ((size_t)2)              /* header flag: block below in use */
#define BT_FLAGS       ((size_t)15)
#define BT_CHUNK       ((size_t)64 << 10)       /* least the heap grows by       */
#define BT_TRIM_AT     ((size_t)256 << 10)      /* free top this large: lower the break */
#define BT_MAX_REQUEST ((size_t)PTRDIFF_MAX / 4) /* larger requests fail at once */

_Static_assert(sizeof(size_t) == BT_WORD, "a tag is one size_t");
_Static_assert(BT_MIN >= 2 * BT_WORD + 2 * sizeof(char *), "a free block holds its links");
_Static_assert(BT_MIN % HEAPLAB_ALIGN == 0, "block sizes stay multiples of the alignment");
_Static_assert(BT_FLAGS < HEAPLAB_ALIGN, "flags fit below the alignment");

/* What every boundary-tag allocator keeps; the first member of its state. */
struct bt_core {
	struct heap *heap;        /* where the blocks live                         */
	char        *first;       /* header of the first block after the prologue  */
	char        *epilogue;    /* header of the epilogue, the last word below the break */
	uint64_t     free_blocks; /* free blocks in the heap                       */
	uint64_t     alloc_blocks;/* allocated blocks (prologue/epilogue excluded) */
	uint64_t     splits;      /* blocks split in two                           */
	uint64_t     coalesces;   /* neighbouring free blocks merged               */
	uint64_t     grows;       /* times the break was raised                    */
	uint64_t     trims;       /* times the break was lowered                   */
	uint64_t     in_place;    /* reallocs that kept the pointer                */
};

struct bt_hooks {
	/* b is a new free block. */
	void (*link)(struct bt_core *c, char *b);
	/* b is no longer a free block; the block now holding its start begins at `into`. */
	void (*unlink)(struct bt_core *c, char *b, char *into);
	/*
	 * The free block `old` grew into the free block b (b <= old, tags
	 * written): one call instead of unlink + link, so that an index that
	 * keeps blocks in address order can keep the place it already has.
	 */
	void (*grew)(struct bt_core *c, char *old, char *b);
};

/* ---- tags ---------------------------------------------------------------- */

static inline size_t bt_hdr(const char *b)        { return *(const size_t *)b; }
static inline void   bt_set_hdr(char *b, size_t w) { *(size_t *)b = w; }
static inline size_t bt_size(const char *b)       { return bt_hdr(b) & ~BT_FLAGS; }
static inline int    bt_is_alloc(const char *b)   { return (bt_hdr(b) & BT_ALLOC) != 0; }
static inline int    bt_prev_is_alloc(const char *b) { return (bt_hdr(b) & BT_PREV_ALLOC) != 0; }
static inline char  *bt_next(char *b)             { return b + bt_size(b); }
static inline char  *bt_footer(char *b)           { return b + bt_size(b) - BT_WORD; }
/* Only when !bt_prev_is_alloc(b): the footer below b gives the size. */
static inline char  *bt_prev(char *b)
{
	return b - (*(size_t *)(b - BT_WORD) & ~BT_FLAGS);
}
static inline char  *bt_payload(char *b)          { return b + BT_WORD; }
static inline char  *bt_block(void *p)            { return (char *)p - BT_WORD; }

/* Mark b free with `size`, keeping its BT_PREV_ALLOC flag; writes the footer. */
static inline void bt_mark_free(char *b, size_t size)
{
	bt_set_hdr(b, size | (bt_hdr(b) & BT_PREV_ALLOC));
	*(size_t *)(b + size - BT_WORD) = size;
}

/* Mark b allocated with `size`, keeping its BT_PREV_ALLOC flag. */
static inline void bt_mark_alloc(char *b, size_t size)
{
	bt_set_hdr(b, size | BT_ALLOC | (bt_hdr(b) & BT_PREV_ALLOC));
}

static inline void bt_set_prev_alloc(char *b)   { bt_set_hdr(b, bt_hdr(b) | BT_PREV_ALLOC); }
static inline void bt_clear_prev_alloc(char *b) { bt_set_hdr(b, bt_hdr(b) & ~BT_PREV_ALLOC); }

/* Block size for a request of `size` bytes (size <= BT_MAX_REQUEST). */
static inline size_t bt_asize(size_t size)
{
	size_t a = (size + BT_WORD + HEAPLAB_ALIGN - 1) & ~(size_t)(HEAPLAB_ALIGN - 1);
	return a < BT_MIN ? BT_MIN : a;
}

/* ---- set-up -------------------------------------------------------------- */

/*
 * Take `state_size` bytes for the allocator's state (which starts with a
 * struct bt_core) plus the prologue and the epilogue from the heap.
 */
static inline struct bt_core *bt_init(struct heap *heap, size_t state_size)
{
	char *brk = heap_break(heap);
	size_t pad = align_up((uintptr_t)brk, HEAPLAB_ALIGN) - (uintptr_t)brk;
	size_t state = align_up(state_size, HEAPLAB_ALIGN);
	char *base = heap_sbrk(heap, (intptr_t)(pad + state + 4 * BT_WORD));
	if (!base)
		return NULL;
	struct bt_core *c = (struct bt_core *)(base + pad);
	memset(c, 0, state_size);
	char *prologue = (char *)c + state + BT_WORD;
	bt_set_hdr(prologue, 2 * BT_WORD | BT_ALLOC | BT_PREV_ALLOC);
	c->heap = heap;
	c->first = prologue + 2 * BT_WORD;
	c->epilogue = c->first;
	bt_set_hdr(c->epilogue, 0 | BT_ALLOC | BT_PREV_ALLOC);
	return c;
}

/* ---- freeing and coalescing ---------------------------------------------- */

/*
 * The `size` bytes at b become free: merge with free neighbours on both
 * sides, write the tags, tell the index.  b's header must already carry the
 * right BT_PREV_ALLOC flag.  Returns the header of the merged block.
 */
static inline char *bt_release(struct bt_core *c, char *b, size_t size,
                               const struct bt_hooks *h)
{
	char *start = b, *next = b + size, *kept = NULL;
	size_t total = size;
	if (!bt_prev_is_alloc(b)) {
		start = kept = bt_prev(b);
		total += bt_size(start);
		c->coalesces++;
	}
	if (!bt_is_alloc(next)) {
		total += bt_size(next);
		c->coalesces++;
		if (kept) {
			h->unlink(c, next, start);
			c->free_blocks--;
		} else {
			kept = next;
		}
	}
	bt_mark_free(start, total);
	bt_clear_prev_alloc(start + total);
	if (kept) {
		h->grew(c, kept, start);
	} else {
		c->free_blocks++;
		h->link(c, start);
	}
	return start;
}

/*
 * When the free block at the top of the heap is large, give all of it but a
 * chunk back to the provider, so the break follows the live data down after
 * a phase of big allocations.  The hysteresis (trim above 256 KiB, keep
 * 64 KiB) keeps a program hovering near the top from calling sbrk each time.
 */
static inline void bt_trim_top(struct bt_core *c, char *b)
{
	size_t size = bt_size(b);
	if (size < BT_TRIM_AT || b + size != c->epilogue)
		return;
	if (!heap_sbrk(c->heap, -(intptr_t)(size - BT_CHUNK)))
		return;
	bt_mark_free(b, BT_CHUNK);  /* still the same block: no index change */
	c->epilogue = b + BT_CHUNK;
	bt_set_hdr(c->epilogue, 0 | BT_ALLOC);
	c->trims++;
}

static inline void bt_free(struct bt_core *c, void *p, const struct bt_hooks *h)
{
	if (!p)
		return;
	char *b = bt_block(p);
	c->alloc_blocks--;
	bt_trim_top(c, bt_release(c, b, bt_size(b), h));
}

/* ---- allocating ---------------------------------------------------------- */

/* Allocate `asize` bytes of the free block b, splitting off a usable tail. */
static inline void *bt_place(struct bt_core *c, char *b, size_t asize, const struct bt_hooks *h)
{
	size_t size = bt_size(b);
	h->unlink(c, b, b);
	c->free_blocks--;
	c->alloc_blocks++;
	if (size - asize >= BT_MIN) {
		bt_mark_alloc(b, asize);
		char *rest = b + asize;
		bt_set_hdr(rest, BT_PREV_ALLOC);
		bt_mark_free(rest, size - asize);  /* the block after it stays marked "prev free" */
		c->free_blocks++;
		c->splits++;
		h->link(c, rest);
	} else {
		bt_mark_alloc(b, size);
		bt_set_prev_alloc(b + size);
	}
	return bt_payload(b);
}

/* Give back the tail of allocated block b beyond `asize`, if it can stand alone. */
static inline void bt_trim_tail(struct bt_core *c, char *b, size_t asize, const struct bt_hooks *h)
{
	size_t size = bt_size(b);
	if (size - asize < BT_MIN)
		return;
	bt_mark_alloc(b, asize);
	char *rest = b + asize;
	bt_set_hdr(rest, BT_PREV_ALLOC);
	c->splits++;
	bt_trim_top(c, bt_release(c, rest, size - asize, h));
}

/*
 * Raise the break so that a free block of at least `asize` bytes ends at the
 * new epilogue, merging with a free block already at the top.  Grows by at
 * least BT_CHUNK to keep provider calls few, but settles for the exact need
 * when the provider refuses the chunk.  Returns that free block or NULL.
 */
static inline char *bt_grow(struct bt_core *c, size_t asize, const struct bt_hooks *h)
{
	char *ep = c->epilogue;
	size_t tail = bt_prev_is_alloc(ep) ? 0 : bt_size(bt_prev(ep));
	size_t need = asize > tail ? asize - tail : 0;
	if (tail == 0 && need < BT_MIN)
		need = BT_MIN;  /* the new memory has to be a block on its own */
	if (need == 0)
		need = HEAPLAB_ALIGN;
	size_t incr = need < BT_CHUNK ? BT_CHUNK : need;
	if (!heap_sbrk(c->heap, (intptr_t)incr)) {
		if (incr == need)
			return NULL;
		incr = need;
		if (!heap_sbrk(c->heap, (intptr_t)incr))
			return NULL;
	}
	c->grows++;
	/* The old epilogue word becomes the new block's header; its flags stay. */
	bt_set_hdr(ep, incr | (bt_hdr(ep) & BT_PREV_ALLOC));
	c->epilogue = ep + incr;
	bt_set_hdr(c->epilogue, 0 | BT_ALLOC);
	return bt_release(c, ep, incr, h);
}

/* ---- realloc and memalign ------------------------------------------------ */

/*
 * Shrink in place; grow in place into a free block above or, at the top of
 * the heap, by raising the break; otherwise malloc, copy, free.
 */
static inline void *bt_realloc(struct bt_core *c, void *p, size_t size,
                               void *(*malloc_fn)(void *, size_t), const struct bt_hooks *h)
{
	if (!p)
		return malloc_fn(c, size);
	if (size > BT_MAX_REQUEST)
		return NULL;
	size_t asize = bt_asize(size);
	char *b = bt_block(p);
	size_t have = bt_size(b);
	if (asize <= have) {
		bt_trim_tail(c, b, asize, h);
		c->in_place++;
		return p;
	}
	char *next = b + have;
	int top = next == c->epilogue ||
	          (!bt_is_alloc(next) && next + bt_size(next) == c->epilogue);
	/* At the top, raise the break; if refused, moving may still fit below. */
	if (top && (bt_is_alloc(next) || have + bt_size(next) < asize))
		bt_grow(c, asize - have, h);
	if (!bt_is_alloc(next) && have + bt_size(next) >= asize) {
		size_t total = have + bt_size(next);
		h->unlink(c, next, b);
		c->free_blocks--;
		c->coalesces++;
		bt_mark_alloc(b, total);
		bt_set_prev_alloc(b + total);
		bt_trim_tail(c, b, asize, h);
		c->in_place++;
		return p;
	}
	void *q = malloc_fn(c, size);
	if (!q)
		return NULL;
	memcpy(q, p, have - BT_WORD);
	bt_free(c, p, h);
	return q;
}

/*
 * Over-allocate by align + BT_MIN, free the leading padding (at least a
 * minimum block, so it can stand alone; it merges with a free block below)
 * and the excess tail.
 */
static inline void *bt_memalign(struct bt_core *c, size_t align, size_t size,
                                void *(*malloc_fn)(void *, size_t), const struct bt_hooks *h)
{
	if (align <= HEAPLAB_ALIGN)
		return malloc_fn(c, size);
	if (size > BT_MAX_REQUEST || align > BT_MAX_REQUEST)
		return NULL;
	size_t asize = bt_asize(size);
	char *p = malloc_fn(c, asize - BT_WORD + align + BT_MIN);
	if (!p)
		return NULL;
	char *b = bt_block(p);
	if (((uintptr_t)p & (align - 1)) != 0) {
		char *q = (char *)align_up((uintptr_t)p + BT_MIN, align);
		size_t pad = (size_t)(q - p), total = bt_size(b);
		char *nb = b + pad;
		bt_set_hdr(nb, (total - pad) | BT_ALLOC);  /* the padding below will be free */
		bt_set_hdr(b, pad | (bt_hdr(b) & BT_PREV_ALLOC));
		c->splits++;
		bt_release(c, b, pad, h);
		b = nb;
		p = q;
	}
	bt_trim_tail(c, b, asize, h);
	return p;
}

static inline size_t bt_usable_size(void *p) { return bt_size(bt_block(p)) - BT_WORD; }

/* ---- self-check ---------------------------------------------------------- */

/* A free block's contribution to the order-independent fingerprint of a set. */
static inline uint64_t bt_fingerprint(const char *b)
{
	uint64_t x = (uint64_t)(uintptr_t)b;
	x ^= x >> 31;
	x *= 0x9e3779b97f4a7c15ull;
	x ^= x >> 29;
	return x;
}

/* What the block walk saw. */
struct bt_walk {
	uint64_t    free_blocks;  /* free blocks met                               */
	uint64_t    alloc_blocks; /* allocated blocks met                          */
	uint64_t    free_print;   /* sum of bt_fingerprint() over the free blocks  */
	const char *probe[2];     /* pointers the caller wants found at boundaries */
	int         found[2];     /* probe[i] was a block header (or the epilogue)  */
	const char *first_free;   /* the lowest free block, NULL if none            */
	int         complete;     /* the walk reached the epilogue                 */
};

/*
 * Walk every block from the prologue to the epilogue: tags agree, sizes are
 * aligned and at least the minimum, BT_PREV_ALLOC flags tell the truth, no two
 * free blocks touch, the walk ends exactly at the epilogue below the break,
 * and the counts match the counters.  Stops early only on a size that would
 * walk off the heap.
 */
static inline unsigned long bt_check_walk(struct bt_core *c, struct check_findings *findings,
                                          struct bt_walk *w)
{
	unsigned long bad = 0;
	char *brk = heap_break(c->heap);
	char *prologue = c->first - 2 * BT_WORD;
	w->free_blocks = w->alloc_blocks = w->free_print = 0;
	w->found[0] = w->found[1] = w->complete = 0;
	w->first_free = NULL;

	if (bt_hdr(prologue) != (2 * BT_WORD | BT_ALLOC | BT_PREV_ALLOC))
		bad += check_violation(findings, "prologue header damaged (%#zx)",
		                       bt_hdr(prologue));
	if (c->epilogue + BT_WORD != brk || ((uintptr_t)c->epilogue & (HEAPLAB_ALIGN - 1)) != BT_WORD) {
		bad += check_violation(findings, "epilogue at offset %zu, break at %zu",
		                       (size_t)(c->epilogue - c->heap->base), c->heap->brk);
		return bad;
	}
	int prev_free = 0;
	char *b = c->first;
	while (b < c->epilogue) {
		size_t hdr = bt_hdr(b), size = hdr & ~BT_FLAGS;
		size_t off = (size_t)(b - c->heap->base);
		if (size < BT_MIN || size % HEAPLAB_ALIGN || size > (size_t)(c->epilogue - b)) {
			bad += check_violation(findings, "block at offset %zu has bad size %zu "
			                       "(%zu bytes left to the epilogue)", off, size,
			                       (size_t)(c->epilogue - b));
			return bad;
		}
		if (((hdr & BT_PREV_ALLOC) == 0) != prev_free)
			bad += check_violation(findings, "block at offset %zu says the block below is %s",
			                       off, prev_free ? "allocated" : "free");
		w->found[0] |= b == w->probe[0];
		w->found[1] |= b == w->probe[1];
		if (hdr & BT_ALLOC) {
			w->alloc_blocks++;
			prev_free = 0;
		} else {
			size_t foot = *(size_t *)(b + size - BT_WORD);
			if (foot != (hdr & ~BT_PREV_ALLOC))
				bad += check_violation(findings, "free block at offset %zu: header %#zx, "
				                       "footer %#zx", off, hdr, foot);
			if (prev_free)
				bad += check_violation(findings, "free block at offset %zu follows a free "
				                       "block (not coalesced)", off);
			if (!w->first_free)
				w->first_free = b;
			w->free_blocks++;
			w->free_print += bt_fingerprint(b);
			prev_free = 1;
		}
		b += size;
	}
	w->complete = 1;
	w->found[0] |= b == w->probe[0];
	w->found[1] |= b == w->probe[1];
	size_t ep = bt_hdr(c->epilogue);
	if ((ep & ~BT_PREV_ALLOC) != BT_ALLOC)
		bad += check_violation(findings, "epilogue header damaged (%#zx)", ep);
	else if (((ep & BT_PREV_ALLOC) == 0) != prev_free)
		bad += check_violation(findings, "epilogue says the top block is %s",
		                       prev_free ? "allocated" : "free");
	if (w->free_blocks != c->free_blocks || w->alloc_blocks != c->alloc_blocks)
		bad += check_violation(findings, "walked %llu free and %llu allocated blocks, "
		                       "counted %llu and %llu",
		                       (unsigned long long)w->free_blocks,
		                       (unsigned long long)w->alloc_blocks,
		                       (unsigned long long)c->free_blocks,
		                       (unsigned long long)c->alloc_blocks);
	return bad;
}

static inline void bt_stats(struct bt_core *c, stat_sink sink, void *ctx)
{
	sink(ctx, "free_blocks", c->free_blocks);
	sink(ctx, "alloc_blocks", c->alloc_blocks);
	sink(ctx, "splits", c->splits);
	sink(ctx, "coalesces", c->coalesces);
	sink(ctx, "grows", c->grows);
	sink(ctx, "trims", c->trims);
	sink(ctx, "realloc_in_place", c->in_place);
}

#endif
