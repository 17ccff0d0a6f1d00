/*
 * segfit_fixture.h - what the tests of the segregated-fits designs
 * (segregated.c and compact.c, both on allocators/segfit.c) share: the layout
 * facts, a block between two allocated neighbours, and a replay that measures
 * utilization on the classic CS:APP patterns.
 *
 * Layout facts the tests rely on (allocators/segfit.c): an 8-byte header
 * sits just before the payload holding size | allocated (1) | previous
 * allocated (2); a free block keeps next/prev list links in its first two
 * payload words and its size in its last word; a block is the request plus 8
 * rounded up to 16, at least 32; blocks under 128 bytes are carved from the
 * high end of a free block, bigger ones from the low end.  Freed blocks under
 * 256 bytes go to a per-size cache first (still marked allocated); tests of
 * the bins flush it (segfit_flush_for_test) to see where such blocks land.
 */
#ifndef HEAPLAB_SEGFIT_FIXTURE_H
#define HEAPLAB_SEGFIT_FIXTURE_H

#include "alloc_fixture.h"
#include "allocators/segfit.h"

extern const struct allocator alloc_segregated, alloc_compact;

static inline size_t *header(void *p)         { return (size_t *)((char *)p - 8); }
static inline size_t block_of(void *p)        { return *header(p) & ~(size_t)15; }
static inline size_t req_for(size_t block)    { return block - 8; }  /* request giving that block */
static inline size_t block_size_for(size_t n)
{
	size_t b = (n + 8 + 15) & ~(size_t)15;
	return b < 32 ? 32 : b;
}

/* Bin `bin`'s bit in the bitmap of non-empty bins. */
static inline int bit(struct fixture *s, unsigned bin)
{
	return (int)((segfit_bitmap_for_test(s->self)[bin / 64] >> (bin % 64)) & 1);
}

/*
 * A block of `block` bytes between two allocated neighbours, so that freeing
 * it coalesces with nothing.  Guards take the same size: they are carved from
 * the same end of the free space, which puts one on each side.
 */
static inline void *isolated(struct fixture *s, size_t block)
{
	void *g1 = s->a->malloc(s->self, req_for(block));
	void *x = s->a->malloc(s->self, req_for(block));
	void *g2 = s->a->malloc(s->self, req_for(block));
	(void)g1;
	(void)g2;
	return x;
}

/* ---- utilization on the classic patterns (deterministic, not timed) ------ */

struct replay {
	struct fixture s;          /* the allocator under test  */
	size_t         live;       /* bytes requested and live  */
	size_t         peak_live;  /* the most live at once     */
};

static inline int replay_open(struct replay *r, const struct allocator *a)
{
	r->live = r->peak_live = 0;
	return fixture_open(&r->s, a, 0, 0);
}

static inline void *r_malloc(struct replay *r, size_t n)
{
	void *p = r->s.a->malloc(r->s.self, n);
	if (p) {
		memset(p, 0xab, n);
		r->live += n;
		if (r->live > r->peak_live)
			r->peak_live = r->live;
	}
	return p;
}

static inline void r_free(struct replay *r, void *p, size_t n)
{
	r->s.a->free(r->s.self, p);
	r->live -= n;
}

static inline void *r_realloc(struct replay *r, void *p, size_t old, size_t n)
{
	void *q = r->s.a->realloc(r->s.self, p, n);
	if (q) {
		r->live += n - old;
		if (r->live > r->peak_live)
			r->peak_live = r->live;
	}
	return q;
}

/* Peak live bytes over peak break, in per mille. */
static inline unsigned long per_mille(struct replay *r)
{
	return (unsigned long)(r->peak_live * 1000 / r->s.heap.peak_brk);
}

/*
 * CS:APP binary-bal and its mirror: 2000 small/large pairs, one kind freed,
 * then 2000 blocks too big for the holes one kind leaves.  Small and large
 * must not interleave, or the holes never merge into room for the new ones.
 * Utilization in per mille, 0 if something failed.
 */
static inline unsigned long binary_pattern(const struct allocator *a, int free_large)
{
	enum { PAIRS = 2000 };
	static void *small[PAIRS], *large[PAIRS], *bigger[PAIRS];
	struct replay r;
	if (!replay_open(&r, a))
		return 0;
	for (int i = 0; i < PAIRS; i++) {
		small[i] = r_malloc(&r, 64);
		large[i] = r_malloc(&r, 448);
	}
	for (int i = 0; i < PAIRS; i++) {
		if (free_large)
			r_free(&r, large[i], 448);
		else
			r_free(&r, small[i], 64);
	}
	for (int i = 0; i < PAIRS; i++)
		bigger[i] = r_malloc(&r, 512);
	unsigned long u = fixture_check(&r.s) == 0 && bigger[PAIRS - 1] ? per_mille(&r) : 0;
	fixture_close(&r.s);
	return u;
}

#endif
