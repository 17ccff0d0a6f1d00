/*
 * segfit.c - segregated fits with boundary tags (the dlmalloc idea): the
 * engine of segregated.c and compact.c (see segfit.h for how a design tunes
 * it).
 *
 * Block layout: every block starts with an 8-byte header holding its size (a
 * multiple of 16) and two bits: "this block is allocated" and "the block
 * before me is allocated".  Because the previous block's state lives in my
 * header, only free blocks need a footer (a copy of their size in their last
 * word), so an allocated block costs 8 bytes of overhead and a free one can
 * still be found from its right-hand neighbour for coalescing.  The smallest
 * block is 32 bytes: header, two list links and the footer.  Payloads are
 * 16-byte aligned because block headers sit at addresses 8 mod 16.
 *
 * Free blocks live on doubly linked lists ("bins") chosen by size: one bin
 * per exact size below 512 bytes (16-byte steps), then four bins per power of
 * two up to 8 GiB (the last bin takes everything bigger).  A bitmap has one
 * bit per non-empty bin, so the next bin that can satisfy a request is found
 * with a count-trailing-zeros.  An exact-size bin is first fit and best fit
 * at once; in a range bin the first `scan_limit` nodes (the policy's) are
 * scanned for the best fit, ties going to the lower address, and a full scan
 * happens before the heap would otherwise grow.  The chosen block is split
 * and the remainder goes back to its bin.  Blocks under 128 bytes are carved
 * from the high end of a free block and larger ones from the low end, so
 * that interleaved streams of small and large requests end up in separate
 * runs and freeing one kind leaves holes that merge into room for bigger
 * blocks (CS:APP's binary traces); the exception is a big free block ending
 * the heap, which a small block at its top would wall off from the next
 * growth.  free coalesces immediately with both neighbours; a merge or split
 * that leaves a free block at its address and in its class does not touch
 * the lists.
 *
 * The heap grows by what is missing rounded up to a chunk of 1/32 of the heap
 * (at least 1 KiB, at most 256 KiB), merged with a free block already at the
 * end - or, for the block sizes the policy names, by exactly what is missing.
 * A free block at the end of the heap of 256 KiB or more is trimmed down to
 * 64 KiB (the break is lowered); each time the heap has to grow again after
 * a trim, that threshold doubles (up to 64 MiB), so a program that keeps
 * freeing and re-allocating a big block settles instead of trimming and
 * re-faulting the same pages.
 *
 * realloc shrinks in place, grows in place into a free next neighbour,
 * extends the break by exactly the difference when the block is the last one
 * in the heap (or is followed only by a free last block), slides down into a
 * free previous neighbour, and only then moves; a block that moves to the
 * end of the heap gets no slack after it, so that its next growth is again
 * an extension of the break.  memalign looks for a free block in which the
 * aligned block plus a leading free pad fits, else grows the heap by that
 * much; pad and tail go back to the bins.
 *
 * In front of all this sits a cache of freed tiny blocks (under 256 bytes),
 * one LIFO list per 16-byte size, up to 1024 blocks each (dlmalloc's
 * "fastbins", glibc's tcache): free of such a block pushes it, still marked
 * allocated, without coalescing; malloc of that size pops it.  Programs free
 * small nodes in bursts and allocate the same sizes again (a compiler's
 * trees, an interpreter's objects), and the cache turns each such pair from
 * coalesce-then-split into two pointer moves.  So that the cache costs no
 * memory, every cached block is freed for real (flush) before the heap would
 * grow and before a request would cut into the free block that ends the
 * heap: cached memory is coalesced and reused before fresh memory is taken.
 * The self-check walks the caches too.
 *
 * The state (bin heads as 32-bit offsets, the bitmap, the cache heads and
 * counts, the policy) takes 680 bytes at the start of the heap, and the first
 * block's header follows it at offset 680.  The heap may span at most
 * 64 GiB, the reach of those offsets.
 */
#include "segfit.h"

#include <string.h>

#define WORD        ((size_t)8)
#define MIN_BLOCK   ((size_t)32)        /* header, next, prev, footer              */
#define F_ALLOC     ((size_t)1)         /* this block is allocated                  */
#define F_PREV      ((size_t)2)         /* the block before this one is allocated  */
#define F_MARK      ((size_t)4)         /* self-check only: "seen on a list"        */
#define SIZE_MASK   (~(size_t)15)

#define SMALL_LIMIT ((size_t)512)       /* below: one bin per 16-byte size          */
#define NSMALL      32                  /* SMALL_LIMIT / 16                         */
#define SUB_BITS    2                   /* 4 range bins per power of two            */
#define NBINS       128                 /* up to 2^33, the last bin takes the rest  */
#define NWORDS      ((NBINS + 63) / 64)

#define HIGH_LIMIT  ((size_t)128)       /* blocks below: carved from the high end   */
#define CHUNK_MIN   ((size_t)1 << 10)   /* growth by a chunk: at least this much... */
#define CHUNK_SHIFT 5                   /* ...1/32 of the heap...                   */
#define CHUNK_MAX   ((size_t)1 << 18)   /* ...at most this                          */
#define TRIM_AT     ((size_t)256 << 10) /* trim a free end block at least this big  */
#define TRIM_AT_MAX ((size_t)64 << 20)  /* ...a threshold that doubles up to this   */
#define TRIM_KEEP   ((size_t)64 << 10)  /* ...down to this, to avoid sbrk ping-pong */
#define CACHE_LIMIT ((size_t)256)       /* blocks below: freed into a per-size cache */
#define NCACHE      16                  /* CACHE_LIMIT / 16 (entries 0, 1 unused)   */
#define CACHE_MAX   1024                /* blocks one cache holds; beyond: real free */

/* Largest request: keeps every size computation below far from overflow. */
#define MAX_REQUEST ((size_t)PTRDIFF_MAX / 4)
/* Bin heads are 32-bit offsets in 16-byte units from the state: 64 GiB of heap. */
#define MAX_SPAN    ((size_t)1 << 36)

/*
 * The state is part of the measured heap, so it is kept small: bin heads are
 * 32-bit offsets (the list links inside free blocks are full pointers).  The
 * policy pointer sits in what would otherwise be padding before the first
 * header, so the designs' breaks are what they were before they shared it.
 */
struct segfit {
	struct heap *heap;          /* where every block comes from                  */
	const struct segfit_policy *policy; /* the design's: scan limit, exact growth */
	uint64_t     map[NWORDS];   /* bit i set iff bin i is non-empty              */
	uint64_t     nfree;         /* blocks on all bins                            */
	uint64_t     free_bytes;    /* bytes in those blocks                         */
	uint32_t     bin[NBINS];    /* first free block of each list: offset/16, 0 none */
	uint32_t     cache[NCACHE]; /* first cached block per size/16: offset/16, 0 none */
	uint16_t     ncache[NCACHE];/* blocks in each cache                          */
	uint64_t     ncached;       /* blocks in all caches                          */
	uint64_t     trim_at;       /* free end block this big is trimmed (TRIM_AT..) */
	uint64_t     trimmed;       /* 1: trimmed since the heap last grew           */
};

/* The first block's header: right after the state, at 8 mod 16. */
#define FIRST_OFFSET (((sizeof(struct segfit) + WORD + 15) & ~(size_t)15) - WORD)

_Static_assert(NSMALL * 16 == SMALL_LIMIT, "exact bins cover sizes below SMALL_LIMIT");
_Static_assert(NSMALL + (33 - 9) * (1 << SUB_BITS) == NBINS,
               "range bins run from 2^9 to 2^33");
_Static_assert(FIRST_OFFSET % 16 == WORD && FIRST_OFFSET >= sizeof(struct segfit),
               "the first header follows the state at 8 mod 16");
_Static_assert(MIN_BLOCK >= 4 * WORD, "a free block holds header, two links and a footer");
_Static_assert(HEAPLAB_ALIGN == 16, "headers at 8 mod 16 give 16-byte payloads");
_Static_assert(sizeof(struct segfit) == 680 && FIRST_OFFSET == 680,
               "the opening comments quote the state's size and the first header's place");
_Static_assert(NCACHE * 16 == CACHE_LIMIT && CACHE_MAX < 65536, "cache classes and counts");

/* ---- block layout -------------------------------------------------------- */

static inline size_t hd(const char *b)               { return *(const size_t *)b; }
static inline void   set_hd(char *b, size_t v)        { *(size_t *)b = v; }
static inline size_t bsize(const char *b)             { return hd(b) & SIZE_MASK; }
static inline char **next_of(char *b)                 { return (char **)(b + WORD); }
static inline char **prev_of(char *b)                 { return (char **)(b + 2 * WORD); }
static inline void   set_ft(char *b, size_t size)     { *(size_t *)(b + size - WORD) = size; }
static inline char  *epilogue(struct segfit *s)   { return heap_break(s->heap) - WORD; }
static inline char  *first_block(struct segfit *s) { return (char *)s + FIRST_OFFSET; }

static inline char *head(const struct segfit *s, unsigned i)
{
	return s->bin[i] ? (char *)s + ((size_t)s->bin[i] << 4) + WORD : NULL;
}

static inline void set_head(struct segfit *s, unsigned i, const char *b)
{
	s->bin[i] = b ? (uint32_t)((size_t)(b - (const char *)s) >> 4) : 0;
}

/* The first block of cache `c`, or NULL; and setting it. */
static inline char *cache_first(const struct segfit *s, unsigned c)
{
	return s->cache[c] ? (char *)s + ((size_t)s->cache[c] << 4) + WORD : NULL;
}

static inline void set_cache_first(struct segfit *s, unsigned c, const char *b)
{
	s->cache[c] = b ? (uint32_t)((size_t)(b - (const char *)s) >> 4) : 0;
}

/* May the break rise by `inc` without leaving the span bin heads can name? */
static inline int span_allows(struct segfit *s, size_t inc)
{
	return inc <= MAX_SPAN && (size_t)(heap_break(s->heap) - (char *)s) <= MAX_SPAN - inc;
}

/* Block size for a request: header plus payload, rounded to 16, at least MIN_BLOCK. */
static inline size_t block_size(size_t n)
{
	size_t a = (n + WORD + 15) & SIZE_MASK;
	return a < MIN_BLOCK ? MIN_BLOCK : a;
}

static inline unsigned bin_of(size_t size)
{
	if (size < SMALL_LIMIT)
		return (unsigned)(size >> 4);
	unsigned o = 63u - (unsigned)__builtin_clzll(size);
	unsigned b = NSMALL + ((o - 9) << SUB_BITS)
	           + (unsigned)((size >> (o - SUB_BITS)) & ((1u << SUB_BITS) - 1));
	return b < NBINS ? b : NBINS - 1;
}

/* ---- bins ---------------------------------------------------------------- */

static inline void bin_insert(struct segfit *s, char *b, size_t size)
{
	unsigned i = bin_of(size);
	char *h = head(s, i);
	*next_of(b) = h;
	*prev_of(b) = NULL;
	if (h)
		*prev_of(h) = b;
	else
		s->map[i >> 6] |= (uint64_t)1 << (i & 63);
	set_head(s, i, b);
	s->nfree++;
	s->free_bytes += size;
}

static inline void bin_remove(struct segfit *s, char *b, size_t size)
{
	char *n = *next_of(b), *p = *prev_of(b);
	if (p) {
		*next_of(p) = n;
	} else {
		unsigned i = bin_of(size);
		set_head(s, i, n);
		if (!n)
			s->map[i >> 6] &= ~((uint64_t)1 << (i & 63));
	}
	if (n)
		*prev_of(n) = p;
	s->nfree--;
	s->free_bytes -= size;
}

/* First non-empty bin at index >= i, or NBINS. */
static inline unsigned next_bin(const struct segfit *s, unsigned i)
{
	if (i >= NBINS)
		return NBINS;
	unsigned w = i >> 6;
	uint64_t m = s->map[w] & (~(uint64_t)0 << (i & 63));
	while (!m) {
		if (++w >= NWORDS)
			return NBINS;
		m = s->map[w];
	}
	return w * 64 + (unsigned)__builtin_ctzll(m);
}

/*
 * Smallest block >= size among the first `limit` nodes of list `b`, the lower
 * address among equals (address-ordered best fit fragments least), or NULL.
 */
static inline char *best_in(char *b, size_t size, unsigned long limit)
{
	char *best = NULL;
	size_t best_size = SIZE_MAX;
	for (; b && limit; b = *next_of(b), limit--) {
		size_t bs = bsize(b);
		if (bs >= size && (bs < best_size || (bs == best_size && b < best))) {
			best = b;
			best_size = bs;
			if (bs == size)
				break;
		}
	}
	return best;
}

/* A free block of at least `size` bytes, still on its bin, or NULL. */
static char *find_fit(struct segfit *s, size_t size)
{
	unsigned i = bin_of(size);
	char *b;

	if (i < NSMALL) {
		b = head(s, i);
		if (b)
			goto take;
	} else if (s->bin[i]) {
		b = best_in(head(s, i), size, s->policy->scan_limit);
		if (b)
			goto take;
	}
	/* Every block in a higher bin is big enough: take the best of a few. */
	unsigned j = next_bin(s, i + 1);
	if (j < NBINS) {
		b = j < NSMALL ? head(s, j) : best_in(head(s, j), size, s->policy->scan_limit);
		goto take;
	}
	/* Before growing, make sure the bounded scan did not miss a fit. */
	if (i >= NSMALL && s->bin[i]) {
		b = best_in(head(s, i), size, ~0UL);
		if (b)
			goto take;
	}
	return NULL;
take:
	return b;
}

/* find_fit, and take the block off its bin. */
static inline char *find_and_unlink(struct segfit *s, size_t size)
{
	char *b = find_fit(s, size);
	if (b)
		bin_remove(s, b, bsize(b));
	return b;
}

/* ---- the heap's end ------------------------------------------------------ */

/*
 * How much to grow by at least: 1/32 of the heap, within [CHUNK_MIN, CHUNK_MAX].
 * Each growth is a provider call (an mprotect): on allocation-heavy traces
 * 1/64 made those calls ~15% of the time (jq: 202 calls, 119 with 1/32),
 * for 0.5 points of utilization on the malloclab-style set.
 */
static inline size_t grow_chunk(const struct segfit *s)
{
	size_t c = (s->heap->brk >> CHUNK_SHIFT) & SIZE_MASK;
	return c < CHUNK_MIN ? CHUNK_MIN : c > CHUNK_MAX ? CHUNK_MAX : c;
}

/*
 * The break rose.  If it had been lowered since it last rose, the program
 * hovers around the trim threshold: double the threshold (up to TRIM_AT_MAX),
 * so that an allocate/free cycle of a big block stops costing two provider
 * calls and a page fault per page each time (glibc's dynamic trim threshold
 * does the same).
 */
static inline void grew(struct segfit *s)
{
	if (s->trimmed && s->trim_at < TRIM_AT_MAX)
		s->trim_at *= 2;
	s->trimmed = 0;
}

/*
 * Make the heap end in a free block of at least `size` bytes and return it,
 * off the bins (merged with a free block already at the end), or NULL when
 * the provider refuses.  `exact` asks for no chunk rounding.
 */
static char *grow(struct segfit *s, size_t size, int exact)
{
	char *epi = epilogue(s), *last = NULL;
	size_t have = 0;

	if (!(hd(epi) & F_PREV)) {
		last = epi - *(size_t *)(epi - WORD);
		have = bsize(last);
	}
	if (last && have >= size) {     /* a bounded search can miss it: no need to grow */
		bin_remove(s, last, have);
		return last;
	}
	size_t missing = size - have;
	size_t chunk = exact ? 0 : grow_chunk(s), inc = missing > chunk ? missing : chunk;
	char *old = span_allows(s, inc) ? heap_sbrk(s->heap, (intptr_t)inc) : NULL;
	if (!old && inc > missing && span_allows(s, missing)) {
		inc = missing;  /* near a limit: ask for no more than needed */
		old = heap_sbrk(s->heap, (intptr_t)inc);
	}
	if (!old)
		return NULL;
	grew(s);
	char *b = old - WORD;   /* the new space starts where the epilogue was */
	size_t total = inc;
	if (last) {
		bin_remove(s, last, have);
		b = last;
		total += have;
	}
	set_hd(b, total | F_PREV);
	set_ft(b, total);
	set_hd(b + total, F_ALLOC);   /* new epilogue; its predecessor is free */
	return b;
}

/* Give the provider back most of a big free block `b` that ends the heap. */
static int trim(struct segfit *s, char *b, size_t size)
{
	size_t release = (size - TRIM_KEEP) & SIZE_MASK;
	if (!heap_sbrk(s->heap, -(intptr_t)release))
		return 0;
	s->trimmed = 1;
	size -= release;
	set_hd(b, size | F_PREV);
	set_ft(b, size);
	set_hd(b + size, F_ALLOC);
	bin_insert(s, b, size);
	return 1;
}

/* ---- placing and freeing ------------------------------------------------- */

/*
 * Should a `size`-byte block come from the high end of free block `b` (`bs`
 * bytes)?  Small blocks do, so that small and large requests served from one
 * free block end up in separate runs.  The exception is a big free block at
 * the end of the heap (a coalesced region, not fresh growth): a small block
 * at its high end would wall it off from the next growth of the heap.
 */
static inline int carve_high(const struct segfit *s, const char *b, size_t bs, size_t size)
{
	if (size >= HIGH_LIMIT)
		return 0;
	return bsize(b + bs) != 0 || bs <= 2 * grow_chunk(s);
}

/*
 * Allocate `size` bytes out of free block `b` (already off the bins), putting
 * back a remainder big enough to be a block.  `high` lets a small block come
 * from the high end.  Returns the payload.
 */
static inline void *place(struct segfit *s, char *b, size_t size, int high)
{
	size_t h = hd(b), bs = h & SIZE_MASK, rem = bs - size;

	if (rem < MIN_BLOCK) {
		set_hd(b, bs | F_ALLOC | (h & F_PREV));
		*(size_t *)(b + bs) |= F_PREV;
		return b + WORD;
	}
	if (high) {
		char *a = b + rem;
		set_hd(b, rem | (h & F_PREV));
		set_ft(b, rem);
		bin_insert(s, b, rem);
		set_hd(a, size | F_ALLOC);
		*(size_t *)(a + size) |= F_PREV;
		return a + WORD;
	}
	set_hd(b, size | F_ALLOC | (h & F_PREV));
	char *r = b + size;
	set_hd(r, rem | F_PREV);
	set_ft(r, rem);
	bin_insert(s, r, rem);
	return b + WORD;
}

/*
 * Allocated block `b` spans `bs` bytes (its header says so); keep `size` of
 * them and return the tail, merged with a free right neighbour, to the bins.
 */
static void shrink_to(struct segfit *s, char *b, size_t bs, size_t size)
{
	size_t rem = bs - size;
	if (rem < MIN_BLOCK)
		return;
	set_hd(b, size | F_ALLOC | (hd(b) & F_PREV));
	char *r = b + size, *n = r + rem;
	size_t nh = hd(n);
	if (!(nh & F_ALLOC)) {
		bin_remove(s, n, nh & SIZE_MASK);
		rem += nh & SIZE_MASK;
	}
	set_hd(r, rem | F_PREV);
	set_ft(r, rem);
	*(size_t *)(r + rem) &= ~F_PREV;
	bin_insert(s, r, rem);
}

static void flush(struct segfit *s);

void *segfit_malloc(void *self, size_t n)
{
	struct segfit *s = self;
	if (n > MAX_REQUEST)
		return NULL;
	size_t size = block_size(n);
	char *b;
	if (size < CACHE_LIMIT && (b = cache_first(s, (unsigned)(size >> 4))) != NULL) {
		/* The most recently freed block of this size: already allocated. */
		unsigned c = (unsigned)(size >> 4);
		set_cache_first(s, c, *next_of(b));
		s->ncache[c]--;
		s->ncached--;
		return b + WORD;
	}
	if (size < SMALL_LIMIT && (b = head(s, (unsigned)(size >> 4))) != NULL) {
		/* The common case: an exact-size block, first on its list. */
		char *nx = *next_of(b);
		set_head(s, (unsigned)(size >> 4), nx);
		if (nx)
			*prev_of(nx) = NULL;
		else
			s->map[size >> 10] &= ~((uint64_t)1 << ((size >> 4) & 63));
		s->nfree--;
		s->free_bytes -= size;
		set_hd(b, hd(b) | F_ALLOC);
		*(size_t *)(b + size) |= F_PREV;
		return b + WORD;
	}
	b = find_fit(s, size);
	if (s->ncached && (!b || bsize(b + bsize(b)) == 0)) {
		/* Before growing or cutting into the block that ends the heap. */
		flush(s);
		b = find_fit(s, size);
	}
	if (b) {
		size_t h = hd(b), bs = h & SIZE_MASK, rem = bs - size;
		int high = carve_high(s, b, bs, size);
		if (high && rem >= MIN_BLOCK && bin_of(rem) == bin_of(bs)) {
			/* Carve off the high end; the rest stays where it is on its list. */
			set_hd(b, rem | (h & F_PREV));
			set_ft(b, rem);
			s->free_bytes -= size;
			char *a = b + rem;
			set_hd(a, size | F_ALLOC);
			*(size_t *)(a + size) |= F_PREV;
			return a + WORD;
		}
		if (!high && rem >= MIN_BLOCK && bin_of(rem) == bin_of(bs)) {
			/*
			 * Carve off the low end (typically from the big block that
			 * ends the heap): the rest takes the block's place on its list.
			 */
			char *r = b + size, *nx = *next_of(b), *pv = *prev_of(b);
			set_hd(r, rem | F_PREV);
			set_ft(r, rem);
			*next_of(r) = nx;
			*prev_of(r) = pv;
			if (pv)
				*next_of(pv) = r;
			else
				set_head(s, bin_of(rem), r);
			if (nx)
				*prev_of(nx) = r;
			s->free_bytes -= size;
			set_hd(b, size | F_ALLOC | (h & F_PREV));
			return b + WORD;
		}
		bin_remove(s, b, bs);
		return place(s, b, size, high);
	}
	const struct segfit_policy *p = s->policy;
	if (!(b = grow(s, size, size >= p->exact_min && size < p->exact_max)))
		return NULL;
	return place(s, b, size, carve_high(s, b, bsize(b), size));
}

/* Allocated block `b` becomes free: coalesce with both neighbours, bin or trim it. */
static void release(struct segfit *s, char *b)
{
	size_t h = hd(b), size = h & SIZE_MASK;
	char *n = b + size;
	size_t nh = hd(n);

	if (!(nh & F_ALLOC)) {
		bin_remove(s, n, nh & SIZE_MASK);
		size += nh & SIZE_MASK;
	}
	if (!(h & F_PREV)) {
		size_t ps = *(size_t *)(b - WORD), total = ps + size;
		b -= ps;
		if (bin_of(total) == bin_of(ps) && total < s->trim_at) {
			/* Still the same class: the block keeps its place on its list. */
			set_hd(b, total | F_PREV);
			set_ft(b, total);
			*(size_t *)(b + total) &= ~F_PREV;
			s->free_bytes += size;
			return;
		}
		bin_remove(s, b, ps);
		size = total;
	}
	set_hd(b, size | F_PREV);
	set_ft(b, size);
	n = b + size;
	*(size_t *)n &= ~F_PREV;
	if (size >= s->trim_at && bsize(n) == 0 && trim(s, b, size))
		return;
	bin_insert(s, b, size);
}

/*
 * Free every cached block for real.  Runs before the heap would grow, so the
 * cache never makes the break rise.
 */
static void flush(struct segfit *s)
{
	for (unsigned c = 0; c < NCACHE; c++) {
		char *b = cache_first(s, c);
		while (b) {
			char *nx = *next_of(b);  /* release() may write over b's payload */
			release(s, b);
			b = nx;
		}
		s->cache[c] = 0;
		s->ncache[c] = 0;
	}
	s->ncached = 0;
}

void segfit_free(void *self, void *ptr)
{
	struct segfit *s = self;
	if (!ptr)
		return;
	char *b = (char *)ptr - WORD;
	size_t size = bsize(b);
	if (size < CACHE_LIMIT) {
		unsigned c = (unsigned)(size >> 4);
		if (s->ncache[c] < CACHE_MAX) {
			/* Stays allocated as far as the heap is concerned; no coalescing. */
			*next_of(b) = cache_first(s, c);
			set_cache_first(s, c, b);
			s->ncache[c]++;
			s->ncached++;
			return;
		}
	}
	release(s, b);
}

size_t segfit_usable_size(void *self, void *ptr)
{
	(void)self;
	return bsize((char *)ptr - WORD) - WORD;
}

void *segfit_realloc(void *self, void *ptr, size_t n)
{
	struct segfit *s = self;
	if (!ptr)
		return segfit_malloc(self, n);
	if (n == 0) {
		segfit_free(self, ptr);
		return segfit_malloc(self, 0);
	}
	if (n > MAX_REQUEST)
		return NULL;

	size_t size = block_size(n);
	char *b = (char *)ptr - WORD;
	size_t h = hd(b), bs = h & SIZE_MASK;
	if (size <= bs) {
		shrink_to(s, b, bs, size);
		return ptr;
	}

	char *nx = b + bs;
	size_t nh = hd(nx), ns = (nh & F_ALLOC) ? 0 : nh & SIZE_MASK;
	if (bs + ns >= size) {          /* the free neighbour is enough */
		if (ns)
			bin_remove(s, nx, ns);
		set_hd(b, (bs + ns) | F_ALLOC | (h & F_PREV));
		*(size_t *)(b + bs + ns) |= F_PREV;
		shrink_to(s, b, bs + ns, size);
		return ptr;
	}
	if (bsize(nx + ns) == 0) {      /* last block (maybe but for a free one): extend */
		size_t missing = size - bs - ns;
		if (span_allows(s, missing) && heap_sbrk(s->heap, (intptr_t)missing)) {
			grew(s);
			if (ns)
				bin_remove(s, nx, ns);
			set_hd(b, size | F_ALLOC | (h & F_PREV));
			set_hd(b + size, F_ALLOC | F_PREV);
			return ptr;
		}
	}
	if (!(h & F_PREV)) {            /* slide down into the free previous block */
		size_t ps = *(size_t *)(b - WORD);
		if (ps + bs + ns >= size) {
			char *pb = b - ps;
			bin_remove(s, pb, ps);
			if (ns)
				bin_remove(s, nx, ns);
			size_t total = ps + bs + ns;
			set_hd(pb, total | F_ALLOC | F_PREV);
			*(size_t *)(pb + total) |= F_PREV;
			memmove(pb + WORD, ptr, bs - WORD);
			shrink_to(s, pb, total, size);
			return pb + WORD;
		}
	}
	/*
	 * Move.  A block that has grown once is likely to grow again: if it
	 * must go to the end of the heap, grow by exactly what it needs, so
	 * nothing lands after it and its next growth just extends the break.
	 */
	char *nb = find_and_unlink(s, size);
	if (!nb && s->ncached) {
		flush(s);
		nb = find_and_unlink(s, size);
	}
	if (!nb && !(nb = grow(s, size, 1)))
		return NULL;
	void *q = place(s, nb, size, 0);
	memcpy(q, ptr, bs - WORD);
	segfit_free(self, ptr);
	return q;
}

void *segfit_calloc(void *self, size_t nmemb, size_t size)
{
	return alloc_calloc_via_malloc(self, segfit_malloc, nmemb, size);
}

/*
 * Bytes between free block `b` and the header of the first `align`-aligned
 * payload in it that leaves room for a free block before it (or none).
 */
static inline size_t aligned_lead(const char *b, size_t align)
{
	size_t lead = (size_t)((char *)align_up((uintptr_t)b + WORD, align) - WORD - b);
	return lead && lead < MIN_BLOCK ? lead + align : lead;
}

/*
 * A free block, still on its bin, that holds an aligned `size`-byte block
 * after its leading pad: the first such block in the lowest bins that have
 * one, each scanned a bounded way.  NULL if none was found.
 */
static char *find_aligned(struct segfit *s, size_t size, size_t align)
{
	for (unsigned i = next_bin(s, bin_of(size)); i < NBINS; i = next_bin(s, i + 1)) {
		unsigned long k = 0;
		for (char *b = head(s, i); b && k < s->policy->scan_limit; b = *next_of(b), k++) {
			size_t bs = bsize(b);
			if (bs >= size && aligned_lead(b, align) <= bs - size)
				return b;
		}
	}
	return NULL;
}

void *segfit_memalign(void *self, size_t align, size_t n)
{
	struct segfit *s = self;
	if (align <= HEAPLAB_ALIGN)
		return segfit_malloc(self, n);
	if (!is_pow2(align) || align > MAX_REQUEST || n > MAX_REQUEST)
		return NULL;

	size_t size = block_size(n);
	char *b = find_aligned(s, size, align);
	if (!b && s->ncached) {
		flush(s);
		b = find_aligned(s, size, align);
	}
	if (b) {
		bin_remove(s, b, bsize(b));
	} else {
		/*
		 * Grow: the free block at the end will start where the free last
		 * block starts, or where the epilogue is now; that fixes the pad.
		 */
		char *epi = epilogue(s);
		char *start = (hd(epi) & F_PREV) ? epi : epi - *(size_t *)(epi - WORD);
		if (!(b = grow(s, aligned_lead(start, align) + size, 0)))
			return NULL;
	}

	size_t lead = aligned_lead(b, align);
	if (lead) {
		/* b was free, so its left neighbour is allocated: no merge needed. */
		size_t bs = bsize(b);
		set_hd(b, lead | F_PREV);
		set_ft(b, lead);
		bin_insert(s, b, lead);
		b += lead;
		set_hd(b, bs - lead);
	}
	return place(s, b, size, 0);
}

void *segfit_init(struct heap *heap, const struct segfit_policy *policy)
{
	/* The heap starts with the state, then the epilogue word closes it. */
	struct segfit *s = heap_sbrk(heap, (intptr_t)(FIRST_OFFSET + WORD));
	if (!s)
		return NULL;
	memset(s, 0, sizeof *s);
	s->heap = heap;
	s->policy = policy;
	s->trim_at = TRIM_AT;
	set_hd(first_block(s), F_ALLOC | F_PREV);
	return s;
}

/* ---- self-check ---------------------------------------------------------- */

static unsigned long check_lists(struct segfit *s, struct check_findings *r,
                                 uint64_t listed[NBINS], uint64_t *count, uint64_t *bytes)
{
	unsigned long bad = 0;
	char *lo = first_block(s), *end = epilogue(s);

	for (unsigned i = 0; i < NBINS; i++) {
		int bit = (s->map[i >> 6] >> (i & 63)) & 1;
		listed[i] = 0;
		if (bit != (s->bin[i] != 0))
			bad += check_violation(r, "bin %u bitmap bit is %d but the list is %s",
			                       i, bit, s->bin[i] ? "non-empty" : "empty");
		char *prev = NULL;
		for (char *b = head(s, i); b; prev = b, b = *next_of(b)) {
			if (b < lo || b + MIN_BLOCK > end || ((uintptr_t)b & 15) != WORD) {
				bad += check_violation(r, "bin %u links to %p, not a block "
				                       "in the heap", i, (void *)b);
				break;
			}
			size_t h = hd(b), size = h & SIZE_MASK;
			size_t off = (size_t)(b - heap_start(s->heap));
			if (h & F_ALLOC) {
				bad += check_violation(r, "bin %u holds allocated block "
				                       "at offset %zu", i, off);
				break;
			}
			if (size < MIN_BLOCK || size > (size_t)(end - b)) {
				bad += check_violation(r, "bin %u holds block at offset %zu "
				                       "with bad size %zu", i, off, size);
				break;
			}
			if (h & F_MARK) {
				bad += check_violation(r, "block at offset %zu is on the "
				                       "lists twice (or bin %u loops)", off, i);
				break;
			}
			if (bin_of(size) != i)
				bad += check_violation(r, "block at offset %zu of size %zu "
				                       "is on wrong bin %u (belongs in %u)",
				                       off, size, i, bin_of(size));
			if (*prev_of(b) != prev)
				bad += check_violation(r, "block at offset %zu in bin %u has "
				                       "a prev link that disagrees with its list",
				                       off, i);
			set_hd(b, h | F_MARK);
			listed[i]++;
			(*count)++;
			*bytes += size;
		}
	}
	return bad;
}

/*
 * Every cached block is an allocated block of its cache's size, inside the
 * heap, on one cache once; the counts agree.  Marks each one (the walk below
 * then finds it at a block boundary).
 */
static unsigned long check_cache(struct segfit *s, struct check_findings *r,
                                 uint64_t listed[NCACHE])
{
	unsigned long bad = 0;
	uint64_t total = 0;
	char *lo = first_block(s), *end = epilogue(s);

	for (unsigned c = 0; c < NCACHE; c++) {
		listed[c] = 0;
		for (char *b = cache_first(s, c); b; b = *next_of(b)) {
			if (b < lo || b + MIN_BLOCK > end || ((uintptr_t)b & 15) != WORD) {
				bad += check_violation(r, "cache %u links to %p, not a "
				                       "block in the heap", c, (void *)b);
				break;
			}
			size_t h = hd(b), off = (size_t)(b - heap_start(s->heap));
			if (!(h & F_ALLOC) || (h & SIZE_MASK) != (size_t)c << 4) {
				bad += check_violation(r, "cache %u holds block at offset "
				                       "%zu with header %#zx (not allocated, size %u)",
				                       c, off, h, c << 4);
				break;
			}
			if (h & F_MARK) {
				bad += check_violation(r, "block at offset %zu is cached "
				                       "twice (or cache %u loops)", off, c);
				break;
			}
			set_hd(b, h | F_MARK);
			listed[c]++;
		}
		if (listed[c] != s->ncache[c])
			bad += check_violation(r, "cache %u holds %llu blocks, its count "
			                       "says %u", c, (unsigned long long)listed[c],
			                       (unsigned)s->ncache[c]);
		total += listed[c];
	}
	if (total != s->ncached)
		bad += check_violation(r, "the caches hold %llu blocks, the counter "
		                       "says %llu", (unsigned long long)total,
		                       (unsigned long long)s->ncached);
	return bad;
}

static unsigned long check_blocks(struct segfit *s, struct check_findings *r,
                                  uint64_t *count, uint64_t *bytes, uint64_t *cached)
{
	unsigned long bad = 0;
	char *b = first_block(s), *end = epilogue(s);
	int prev_free = 0;

	while (b < end) {
		size_t h = hd(b), size = h & SIZE_MASK;
		size_t off = (size_t)(b - heap_start(s->heap));
		if (size < MIN_BLOCK || size > (size_t)(end - b)) {
			bad += check_violation(r, "block at offset %zu has bad size %zu "
			                       "(%zu bytes left before the break)",
			                       off, size, (size_t)(end - b));
			return bad;  /* cannot find the next block */
		}
		if (!!(h & F_PREV) != !prev_free)
			bad += check_violation(r, "block at offset %zu says the previous "
			                       "block is %s, but it is %s", off,
			                       (h & F_PREV) ? "allocated" : "free",
			                       prev_free ? "free" : "allocated");
		if (h & 8)
			bad += check_violation(r, "block at offset %zu has unknown flag bits",
			                       off);
		if (!(h & F_ALLOC)) {
			size_t ft = *(size_t *)(b + size - WORD);
			if (ft != size)
				bad += check_violation(r, "free block at offset %zu has header "
				                       "size %zu but footer %zu", off, size, ft);
			if (prev_free)
				bad += check_violation(r, "free block at offset %zu follows "
				                       "another free block (not coalesced)", off);
			if (h & F_MARK)
				set_hd(b, h & ~F_MARK);
			else
				bad += check_violation(r, "free block at offset %zu (size %zu) "
				                       "is on no bin", off, size);
			(*count)++;
			*bytes += size;
		} else if (h & F_MARK) {
			set_hd(b, h & ~F_MARK);     /* a cached block, seen on its cache */
			(*cached)++;
		}
		prev_free = !(h & F_ALLOC);
		b += size;
	}
	size_t eh = hd(end);
	if ((eh & SIZE_MASK) != 0 || !(eh & F_ALLOC))
		bad += check_violation(r, "epilogue at the break is %#zx, not an "
		                       "allocated zero-size header", eh);
	else if (!!(eh & F_PREV) != !prev_free)
		bad += check_violation(r, "epilogue's previous-allocated bit is wrong");
	return bad;
}

unsigned long segfit_check(void *self, struct check_findings *r)
{
	struct segfit *s = self;
	unsigned long bad = 0;
	uint64_t listed[NBINS], in_lists = 0, list_bytes = 0, walked = 0, walked_bytes = 0;
	uint64_t cached[NCACHE], walked_cached = 0;
	check_as(r, s->policy->name);

	if ((char *)s != heap_start(s->heap) || s->heap->brk < FIRST_OFFSET + WORD ||
	    s->heap->brk % 16 || s->heap->brk > MAX_SPAN) {
		return check_violation(r, "state or break (%zu) out of place",
		                       s->heap->brk);
	}
	/* Lists first: they mark each node, so the walk can tell listed blocks apart. */
	bad += check_cache(s, r, cached);
	bad += check_lists(s, r, listed, &in_lists, &list_bytes);
	bad += check_blocks(s, r, &walked, &walked_bytes, &walked_cached);
	/* Clear marks the walk did not reach (it stops early on a corrupt size). */
	for (unsigned i = 0; i < NBINS; i++) {
		char *b = head(s, i);
		for (uint64_t k = 0; k < listed[i]; k++, b = *next_of(b))
			set_hd(b, hd(b) & ~F_MARK);
	}
	for (unsigned c = 0; c < NCACHE; c++) {
		char *b = cache_first(s, c);
		for (uint64_t k = 0; k < cached[c]; k++, b = *next_of(b))
			set_hd(b, hd(b) & ~F_MARK);
	}
	uint64_t all_cached = 0;
	for (unsigned c = 0; c < NCACHE; c++)
		all_cached += cached[c];
	if (walked_cached != all_cached)
		bad += check_violation(r, "%llu cached blocks, but the heap walk met "
		                       "%llu of them at block boundaries",
		                       (unsigned long long)all_cached,
		                       (unsigned long long)walked_cached);
	if (in_lists != walked || list_bytes != walked_bytes)
		bad += check_violation(r, "the bins hold %llu blocks (%llu bytes), the "
		                       "heap has %llu free blocks (%llu bytes)",
		                       (unsigned long long)in_lists, (unsigned long long)list_bytes,
		                       (unsigned long long)walked, (unsigned long long)walked_bytes);
	if (s->nfree != in_lists || s->free_bytes != list_bytes)
		bad += check_violation(r, "counters say %llu free blocks (%llu bytes), "
		                       "the bins hold %llu (%llu bytes)",
		                       (unsigned long long)s->nfree, (unsigned long long)s->free_bytes,
		                       (unsigned long long)in_lists, (unsigned long long)list_bytes);
	return bad;
}

void segfit_stats(void *self, stat_sink sink, void *ctx)
{
	struct segfit *s = self;
	unsigned nonempty = 0;
	for (unsigned w = 0; w < NWORDS; w++)
		nonempty += (unsigned)__builtin_popcountll(s->map[w]);
	sink(ctx, "free_blocks", s->nfree);
	sink(ctx, "free_bytes", s->free_bytes);
	sink(ctx, "nonempty_bins", nonempty);
	sink(ctx, "cached_blocks", s->ncached);
}

/* ---- test hooks (segfit.h) ---------------------------------------------- */

unsigned segfit_bin_of_for_test(size_t block_size) { return bin_of(block_size); }

int segfit_bin_holding_for_test(void *self, const void *ptr)
{
	struct segfit *s = self;
	const char *want = (const char *)ptr - WORD;
	for (unsigned i = 0; i < NBINS; i++)
		for (char *b = head(s, i); b; b = *next_of(b))
			if (b == want)
				return (int)i;
	return -1;
}

char *segfit_bin_first_for_test(void *self, unsigned bin) { return head(self, bin); }
void segfit_set_bin_first_for_test(void *self, unsigned bin, char *b) { set_head(self, bin, b); }
uint64_t *segfit_bitmap_for_test(void *self) { return ((struct segfit *)self)->map; }
void segfit_flush_for_test(void *self) { flush(self); }

int segfit_cached_for_test(void *self, const void *ptr)
{
	struct segfit *s = self;
	const char *want = (const char *)ptr - WORD;
	for (unsigned c = 0; c < NCACHE; c++)
		for (char *b = cache_first(s, c); b; b = *next_of(b))
			if (b == want)
				return (int)c;
	return -1;
}
