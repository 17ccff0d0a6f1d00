/*
 * segregated.c - segregated free lists with boundary tags (the dlmalloc idea).
 *
 * Algorithm: every block starts with an 8-byte header holding its size (a
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
 * two.  A bitmap has one bit per non-empty bin, so the next bin that can
 * satisfy a request is found with a count-trailing-zeros.  An exact-size bin
 * is first fit and best fit at once; in a range bin the first few nodes are
 * scanned for the best fit (the scan is bounded; a full scan happens only
 * before the heap would otherwise grow).  The chosen block is split, the
 * remainder goes back to its bin; blocks under 128 bytes are carved from the
 * high end of a free block and larger ones from the low end, so that streams
 * of small and large requests end up in separate runs (freeing the small ones
 * then leaves holes that coalesce into space large blocks can use).  free
 * coalesces immediately with both neighbours.  realloc shrinks in place,
 * grows in place into a free next neighbour, extends the break by exactly the
 * difference when the block is the last one in the heap, slides down into a
 * free previous neighbour, and only then copies.  A free block at the end of
 * the heap larger than 256 KiB is trimmed (the break is lowered).
 *
 * Time: malloc O(1) for small sizes and O(1) plus a bounded scan otherwise
 * (O(free blocks in one bin) in the rare fallback before growing); free O(1);
 * realloc O(1) plus the copy when it cannot stay in place.
 *
 * Fragmentation: best fit over size classes with immediate coalescing is
 * among the lowest-fragmentation policies known in practice (Wilson et al.);
 * internal waste is the 8-byte header plus rounding to 16, and the heap grows
 * by what is missing rounded up to a chunk of 1/64 of the heap (at least
 * 1 KiB, at most 1 MiB), merged with a free block already at the end.
 *
 * Origin: Doug Lea, "A Memory Allocator" (the dlmalloc design notes): bins
 * by size, boundary tags, the previous-in-use bit; Knuth TAOCP vol. 1 §2.5
 * (boundary tags); Wilson, Johnstone, Neely and Boles 1995, "Dynamic Storage
 * Allocation: A Survey and Critical Review" (segregated fits, best fit,
 * wilderness preservation); Bryant and O'Hallaron, CS:APP §9.9.
 */
#include "allocator.h"

#include <string.h>

#define WORD        ((size_t)8)
#define MIN_BLOCK   ((size_t)32)        /* header, next, prev, footer              */
#define F_ALLOC     ((size_t)1)         /* this block is allocated                  */
#define F_PREV      ((size_t)2)         /* the block before this one is allocated  */
#define F_MARK      ((size_t)4)         /* self-check only: "seen on a bin list"    */
#define SIZE_MASK   (~(size_t)15)

#define SMALL_LIMIT ((size_t)512)       /* below: one bin per 16-byte size          */
#define NSMALL      32                  /* SMALL_LIMIT / 16                         */
#define SUB_BITS    2                   /* 4 range bins per power of two            */
#define NBINS       160                 /* up to 2^40, the last bin takes the rest  */
#define NWORDS      ((NBINS + 63) / 64)

#define HIGH_LIMIT  ((size_t)128)       /* blocks below: carved from the high end   */
#define SCAN_LIMIT  16                  /* nodes examined per range bin             */
#define CHUNK_MIN   ((size_t)1 << 10)   /* growth: at least this much...            */
#define CHUNK_MAX   ((size_t)1 << 20)   /* ...and 1/64 of the heap, up to this      */
#define TRIM_AT     ((size_t)256 << 10) /* trim a free end block at least this big  */
#define TRIM_KEEP   ((size_t)64 << 10)  /* ...down to this, to avoid sbrk ping-pong */

/* Largest request: keeps every size computation below far from overflow. */
#define MAX_REQUEST ((size_t)PTRDIFF_MAX / 4)

const struct allocator alloc_segregated;

struct segregated {
	struct heap *heap;          /* where every block comes from                  */
	char        *first;         /* header of the first block                     */
	uint64_t     map[NWORDS];   /* bit i set iff bin[i] is non-empty             */
	uint64_t     nfree;         /* blocks on all bins                            */
	uint64_t     free_bytes;    /* bytes in those blocks                         */
	char        *bin[NBINS];    /* header of each list's first free block        */
};

_Static_assert(NSMALL * 16 == SMALL_LIMIT, "exact bins cover sizes below SMALL_LIMIT");
_Static_assert(NSMALL + (40 - 9) * (1 << SUB_BITS) + (1 << SUB_BITS) == NBINS,
               "range bins run from 2^9 to 2^40");
_Static_assert(MIN_BLOCK >= 4 * WORD, "a free block holds header, two links and a footer");
_Static_assert(HEAPLAB_ALIGN == 16, "headers at 8 mod 16 give 16-byte payloads");

/* ---- block layout -------------------------------------------------------- */

static inline size_t hd(const char *b)               { return *(const size_t *)b; }
static inline void   set_hd(char *b, size_t v)        { *(size_t *)b = v; }
static inline size_t bsize(const char *b)             { return hd(b) & SIZE_MASK; }
static inline char **next_of(char *b)                 { return (char **)(b + WORD); }
static inline char **prev_of(char *b)                 { return (char **)(b + 2 * WORD); }
static inline void   set_ft(char *b, size_t size)     { *(size_t *)(b + size - WORD) = size; }
static inline char  *epilogue(struct segregated *s)   { return heap_break(s->heap) - WORD; }

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

static inline void bin_insert(struct segregated *s, char *b, size_t size)
{
	unsigned i = bin_of(size);
	char *h = s->bin[i];
	*next_of(b) = h;
	*prev_of(b) = NULL;
	if (h)
		*prev_of(h) = b;
	else
		s->map[i >> 6] |= (uint64_t)1 << (i & 63);
	s->bin[i] = b;
	s->nfree++;
	s->free_bytes += size;
}

static inline void bin_remove(struct segregated *s, char *b, size_t size)
{
	char *n = *next_of(b), *p = *prev_of(b);
	if (p) {
		*next_of(p) = n;
	} else {
		unsigned i = bin_of(size);
		s->bin[i] = n;
		if (!n)
			s->map[i >> 6] &= ~((uint64_t)1 << (i & 63));
	}
	if (n)
		*prev_of(n) = p;
	s->nfree--;
	s->free_bytes -= size;
}

/* First non-empty bin at index >= i, or NBINS. */
static inline unsigned next_bin(const struct segregated *s, unsigned i)
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

/* Smallest block >= size among the first `limit` nodes of list `b`, or NULL. */
static inline char *best_in(char *b, size_t size, unsigned long limit)
{
	char *best = NULL;
	size_t best_size = SIZE_MAX;
	for (; b && limit; b = *next_of(b), limit--) {
		size_t bs = bsize(b);
		if (bs >= size && bs < best_size) {
			best = b;
			best_size = bs;
			if (bs == size)
				break;
		}
	}
	return best;
}

/* A free block of at least `size` bytes, taken off its bin, or NULL. */
static char *find_fit(struct segregated *s, size_t size)
{
	unsigned i = bin_of(size);
	char *b;

	if (i < NSMALL) {
		b = s->bin[i];
		if (b)
			goto take;
	} else if (s->bin[i]) {
		b = best_in(s->bin[i], size, SCAN_LIMIT);
		if (b)
			goto take;
	}
	/* Every block in a higher bin is big enough: take the best of a few. */
	unsigned j = next_bin(s, i + 1);
	if (j < NBINS) {
		b = j < NSMALL ? s->bin[j] : best_in(s->bin[j], size, SCAN_LIMIT);
		goto take;
	}
	/* Before growing, make sure the bounded scan did not miss a fit. */
	if (i >= NSMALL && s->bin[i]) {
		b = best_in(s->bin[i], size, ~0UL);
		if (b)
			goto take;
	}
	return NULL;
take:
	bin_remove(s, b, bsize(b));
	return b;
}

/* ---- the heap's end ------------------------------------------------------ */

/* How much to grow by at least: 1/64 of the heap, within [CHUNK_MIN, CHUNK_MAX]. */
static inline size_t grow_chunk(const struct segregated *s)
{
	size_t c = (s->heap->brk >> 6) & SIZE_MASK;
	return c < CHUNK_MIN ? CHUNK_MIN : c > CHUNK_MAX ? CHUNK_MAX : c;
}

/*
 * Make the heap end in a free block of at least `size` bytes and return it,
 * off the bins (merged with a free block already at the end), or NULL when
 * the provider refuses.
 */
static char *grow(struct segregated *s, size_t size)
{
	char *epi = epilogue(s), *last = NULL;
	size_t have = 0;

	if (!(hd(epi) & F_PREV)) {
		last = epi - *(size_t *)(epi - WORD);
		have = bsize(last);
	}
	size_t missing = size > have ? size - have : 0;
	size_t chunk = grow_chunk(s), inc = missing > chunk ? missing : chunk;
	char *old = heap_sbrk(s->heap, (intptr_t)inc);
	if (!old && inc > missing && missing) {
		inc = missing;  /* near a limit: ask for no more than needed */
		old = heap_sbrk(s->heap, (intptr_t)inc);
	}
	if (!old)
		return NULL;
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
static int trim(struct segregated *s, char *b, size_t size)
{
	size_t release = (size - TRIM_KEEP) & SIZE_MASK;
	if (!heap_sbrk(s->heap, -(intptr_t)release))
		return 0;
	size -= release;
	set_hd(b, size | F_PREV);
	set_ft(b, size);
	set_hd(b + size, F_ALLOC);
	bin_insert(s, b, size);
	return 1;
}

/* ---- placing and freeing ------------------------------------------------- */

/*
 * Allocate `size` bytes out of free block `b` (already off the bins), putting
 * back a remainder big enough to be a block.  `high` lets a small block come
 * from the high end.  Returns the payload.
 */
static inline void *place(struct segregated *s, char *b, size_t size, int high)
{
	size_t h = hd(b), bs = h & SIZE_MASK, rem = bs - size;

	if (rem < MIN_BLOCK) {
		set_hd(b, bs | F_ALLOC | (h & F_PREV));
		*(size_t *)(b + bs) |= F_PREV;
		return b + WORD;
	}
	if (high && size < HIGH_LIMIT) {
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
static void shrink_to(struct segregated *s, char *b, size_t bs, size_t size)
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

static void *seg_malloc(void *self, size_t n)
{
	struct segregated *s = self;
	if (n > MAX_REQUEST)
		return NULL;
	size_t size = block_size(n);
	char *b = find_fit(s, size);
	if (!b && !(b = grow(s, size)))
		return NULL;
	return place(s, b, size, 1);
}

static void seg_free(void *self, void *ptr)
{
	struct segregated *s = self;
	if (!ptr)
		return;
	char *b = (char *)ptr - WORD;
	size_t h = hd(b), size = h & SIZE_MASK;
	char *n = b + size;
	size_t nh = hd(n);

	if (!(nh & F_ALLOC)) {
		bin_remove(s, n, nh & SIZE_MASK);
		size += nh & SIZE_MASK;
	}
	if (!(h & F_PREV)) {
		size_t ps = *(size_t *)(b - WORD);
		b -= ps;
		bin_remove(s, b, ps);
		size += ps;
	}
	set_hd(b, size | F_PREV);
	set_ft(b, size);
	n = b + size;
	*(size_t *)n &= ~F_PREV;
	if (size >= TRIM_AT && bsize(n) == 0 && trim(s, b, size))
		return;
	bin_insert(s, b, size);
}

static size_t seg_usable_size(void *self, void *ptr)
{
	(void)self;
	return bsize((char *)ptr - WORD) - WORD;
}

static void *seg_realloc(void *self, void *ptr, size_t n)
{
	struct segregated *s = self;
	if (!ptr)
		return seg_malloc(self, n);
	if (n == 0) {
		seg_free(self, ptr);
		return seg_malloc(self, 0);
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
		if (heap_sbrk(s->heap, (intptr_t)missing)) {
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
	void *q = seg_malloc(self, n);
	if (!q)
		return NULL;
	memcpy(q, ptr, bs - WORD);
	seg_free(self, ptr);
	return q;
}

static void *seg_calloc(void *self, size_t nmemb, size_t size)
{
	return alloc_calloc_via_malloc(self, seg_malloc, nmemb, size);
}

static void *seg_memalign(void *self, size_t align, size_t n)
{
	struct segregated *s = self;
	if (align <= HEAPLAB_ALIGN)
		return seg_malloc(self, n);
	if (!is_pow2(align) || align > MAX_REQUEST || n > MAX_REQUEST)
		return NULL;

	/* Room for the block, the worst leading pad (align + 16) and slack. */
	size_t size = block_size(n), want = size + align + MIN_BLOCK;
	char *b = find_fit(s, want);
	if (!b && !(b = grow(s, want)))
		return NULL;

	char *pay = (char *)align_up((uintptr_t)b + WORD, align);
	size_t lead = (size_t)(pay - WORD - b);
	if (lead && lead < MIN_BLOCK) {
		pay += align;
		lead += align;
	}
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

static void *seg_init(struct heap *heap)
{
	/* The first header lands at 8 mod 16; the epilogue word closes the heap. */
	size_t first = align_up(sizeof(struct segregated) + WORD, 16) - WORD;
	struct segregated *s = heap_sbrk(heap, (intptr_t)(first + WORD));
	if (!s)
		return NULL;
	memset(s, 0, sizeof *s);
	s->heap = heap;
	s->first = (char *)s + first;
	set_hd(s->first, F_ALLOC | F_PREV);
	return s;
}

/* ---- self-check ---------------------------------------------------------- */

static unsigned long check_lists(struct segregated *s, struct check_report *r,
                                 uint64_t listed[NBINS], uint64_t *count, uint64_t *bytes)
{
	unsigned long bad = 0;
	char *lo = s->first, *end = epilogue(s);

	for (unsigned i = 0; i < NBINS; i++) {
		int bit = (s->map[i >> 6] >> (i & 63)) & 1;
		listed[i] = 0;
		if (bit != (s->bin[i] != NULL))
			bad += check_violation(r, "segregated: bin %u bitmap bit is %d but the list is %s",
			                       i, bit, s->bin[i] ? "non-empty" : "empty");
		char *prev = NULL;
		for (char *b = s->bin[i]; b; prev = b, b = *next_of(b)) {
			if (b < lo || b + MIN_BLOCK > end || ((uintptr_t)b & 15) != WORD) {
				bad += check_violation(r, "segregated: bin %u links to %p, not a block "
				                       "in the heap", i, (void *)b);
				break;
			}
			size_t h = hd(b), size = h & SIZE_MASK;
			size_t off = (size_t)(b - heap_start(s->heap));
			if (h & F_ALLOC) {
				bad += check_violation(r, "segregated: bin %u holds allocated block "
				                       "at offset %zu", i, off);
				break;
			}
			if (size < MIN_BLOCK || size > (size_t)(end - b)) {
				bad += check_violation(r, "segregated: bin %u holds block at offset %zu "
				                       "with bad size %zu", i, off, size);
				break;
			}
			if (h & F_MARK) {
				bad += check_violation(r, "segregated: block at offset %zu is on the "
				                       "lists twice (or bin %u loops)", off, i);
				break;
			}
			if (bin_of(size) != i)
				bad += check_violation(r, "segregated: block at offset %zu of size %zu "
				                       "is on wrong bin %u (belongs in %u)",
				                       off, size, i, bin_of(size));
			if (*prev_of(b) != prev)
				bad += check_violation(r, "segregated: block at offset %zu in bin %u has "
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

static unsigned long check_blocks(struct segregated *s, struct check_report *r,
                                  uint64_t *count, uint64_t *bytes)
{
	unsigned long bad = 0;
	char *b = s->first, *end = epilogue(s);
	int prev_free = 0;

	while (b < end) {
		size_t h = hd(b), size = h & SIZE_MASK;
		size_t off = (size_t)(b - heap_start(s->heap));
		if (size < MIN_BLOCK || size > (size_t)(end - b)) {
			bad += check_violation(r, "segregated: block at offset %zu has bad size %zu "
			                       "(%zu bytes left before the break)",
			                       off, size, (size_t)(end - b));
			return bad;  /* cannot find the next block */
		}
		if (!!(h & F_PREV) != !prev_free)
			bad += check_violation(r, "segregated: block at offset %zu says the previous "
			                       "block is %s, but it is %s", off,
			                       (h & F_PREV) ? "allocated" : "free",
			                       prev_free ? "free" : "allocated");
		if (h & 8)
			bad += check_violation(r, "segregated: block at offset %zu has unknown flag bits",
			                       off);
		if (!(h & F_ALLOC)) {
			size_t ft = *(size_t *)(b + size - WORD);
			if (ft != size)
				bad += check_violation(r, "segregated: free block at offset %zu has header "
				                       "size %zu but footer %zu", off, size, ft);
			if (prev_free)
				bad += check_violation(r, "segregated: free block at offset %zu follows "
				                       "another free block (not coalesced)", off);
			if (h & F_MARK)
				set_hd(b, h & ~F_MARK);
			else
				bad += check_violation(r, "segregated: free block at offset %zu (size %zu) "
				                       "is on no bin", off, size);
			(*count)++;
			*bytes += size;
		} else if (h & F_MARK) {
			bad += check_violation(r, "segregated: allocated block at offset %zu carries "
			                       "the check mark", off);
		}
		prev_free = !(h & F_ALLOC);
		b += size;
	}
	size_t eh = hd(end);
	if ((eh & SIZE_MASK) != 0 || !(eh & F_ALLOC))
		bad += check_violation(r, "segregated: epilogue at the break is %#zx, not an "
		                       "allocated zero-size header", eh);
	else if (!!(eh & F_PREV) != !prev_free)
		bad += check_violation(r, "segregated: epilogue's previous-allocated bit is wrong");
	return bad;
}

static unsigned long seg_check(void *self, struct check_report *r)
{
	struct segregated *s = self;
	unsigned long bad = 0;
	uint64_t listed[NBINS], in_lists = 0, list_bytes = 0, walked = 0, walked_bytes = 0;
	size_t first = align_up(sizeof(struct segregated) + WORD, 16) - WORD;

	if (s->first != (char *)s + first || (char *)s != heap_start(s->heap) ||
	    s->heap->brk < first + WORD || s->heap->brk % 16) {
		return check_violation(r, "segregated: state or break (%zu) out of place",
		                       s->heap->brk);
	}
	/* Lists first: they mark each node, so the walk can tell listed blocks apart. */
	bad += check_lists(s, r, listed, &in_lists, &list_bytes);
	bad += check_blocks(s, r, &walked, &walked_bytes);
	/* Clear marks the walk did not reach (it stops early on a corrupt size). */
	for (unsigned i = 0; i < NBINS; i++) {
		char *b = s->bin[i];
		for (uint64_t k = 0; k < listed[i]; k++, b = *next_of(b))
			set_hd(b, hd(b) & ~F_MARK);
	}
	if (in_lists != walked || list_bytes != walked_bytes)
		bad += check_violation(r, "segregated: the bins hold %llu blocks (%llu bytes), the "
		                       "heap has %llu free blocks (%llu bytes)",
		                       (unsigned long long)in_lists, (unsigned long long)list_bytes,
		                       (unsigned long long)walked, (unsigned long long)walked_bytes);
	if (s->nfree != in_lists || s->free_bytes != list_bytes)
		bad += check_violation(r, "segregated: counters say %llu free blocks (%llu bytes), "
		                       "the bins hold %llu (%llu bytes)",
		                       (unsigned long long)s->nfree, (unsigned long long)s->free_bytes,
		                       (unsigned long long)in_lists, (unsigned long long)list_bytes);
	return bad;
}

static void seg_stats(void *self, stat_sink sink, void *ctx)
{
	struct segregated *s = self;
	unsigned nonempty = 0;
	for (unsigned w = 0; w < NWORDS; w++)
		nonempty += (unsigned)__builtin_popcountll(s->map[w]);
	sink(ctx, "free_blocks", s->nfree);
	sink(ctx, "free_bytes", s->free_bytes);
	sink(ctx, "nonempty_bins", nonempty);
}

/*
 * Test hooks (tests/unit/test_segregated.c), so tests can name bins without
 * the layout leaking into the interface.
 */
unsigned segregated_bin_of(size_t block_size);
int      segregated_bin_holding(void *self, const void *ptr);
char   **segregated_bin_head(void *self, unsigned bin);
uint64_t *segregated_bitmap(void *self);

unsigned segregated_bin_of(size_t block_size) { return bin_of(block_size); }

/* The bin whose list holds the free block that payload `ptr` had, or -1. */
int segregated_bin_holding(void *self, const void *ptr)
{
	struct segregated *s = self;
	const char *want = (const char *)ptr - WORD;
	for (unsigned i = 0; i < NBINS; i++)
		for (char *b = s->bin[i]; b; b = *next_of(b))
			if (b == want)
				return (int)i;
	return -1;
}

char **segregated_bin_head(void *self, unsigned bin) { return &((struct segregated *)self)->bin[bin]; }
uint64_t *segregated_bitmap(void *self) { return ((struct segregated *)self)->map; }

const struct allocator alloc_segregated = {
	.name        = "segregated",
	.description = "segregated fits: exact and ranged size bins, best fit, boundary tags",
	.init        = seg_init,
	.malloc      = seg_malloc,
	.free        = seg_free,
	.realloc     = seg_realloc,
	.calloc      = seg_calloc,
	.memalign    = seg_memalign,
	.usable_size = seg_usable_size,
	.check       = seg_check,
	.stats       = seg_stats,
};
