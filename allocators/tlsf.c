/*
 * tlsf.c - Two-Level Segregated Fit.
 *
 * Algorithm: free blocks sit on segregated doubly linked lists indexed by two
 * levels.  The first level (fl) is the power of two of the size; the second
 * (sl) cuts each power of two into TLSF_SL_COUNT equal ranges.  Sizes below
 * TLSF_SMALL_LIMIT form one linear first class of 16-byte steps.  A bitmap
 * says which fl have any non-empty list and one bitmap per fl says which of
 * its lists are non-empty, so finding a list that can satisfy a request is
 * two find-first-set instructions.  malloc rounds the request up to the next
 * list boundary before searching ("good fit"), so the head of whatever list
 * is found always fits and no list is ever walked; the block is split and the
 * tail goes back on its list.  free coalesces at once with both physical
 * neighbours: every block starts with a size word whose two low bits say
 * "this block is free" and "the previous block is free", and a free block's
 * last word points back at its start, so the previous block is found without
 * a search.  Allocated blocks cost 8 bytes of header; the minimum block is 32.
 *
 * The pool is the heap provider's break.  A zero-size "epilogue" header
 * always sits in the last 8 bytes below the break; growing turns it into the
 * start of the new memory (or into part of a free last block, which absorbs
 * the new memory) and writes a new epilogue at the new break.  The break
 * rises by what is missing rounded up to TLSF_CHUNK (64 KiB), or by exactly
 * what is missing when the provider refuses the rounded amount.  A free last
 * block of TLSF_TRIM_THRESHOLD or more is cut back to TLSF_TRIM_KEEP; every
 * time the heap has to grow again after a trim the threshold doubles, so an
 * allocate/free loop of a big block settles instead of calling the provider
 * twice per iteration.
 *
 * Time: malloc, free and memalign O(1) (bit scans plus a bounded number of
 * list operations), except when the provider is called; realloc O(1) plus the
 * copy when it cannot stay in place.  The self-check is O(n).
 *
 * Fragmentation: good fit wastes at most one sl range (1/32 of the size) of
 * search rounding but the block is split to the exact need, so internal waste
 * is the 8-byte header plus 16-byte rounding; immediate coalescing keeps
 * external fragmentation close to best fit (the paper measures it).  When the
 * rounded search finds nothing, the head of the exact list and the last block
 * are tried before the heap grows, which keeps peak break down.
 *
 * Origin: M. Masmano, I. Ripoll, A. Crespo, J. Real, "TLSF: a New Dynamic
 * Memory Allocator for Real-Time Systems", ECRTS 2004; boundary tags from
 * Knuth, TAOCP vol. 1, section 2.5.  Written from the paper's description.
 */
#include "allocator.h"
#include "tlsf.h"

#include <stddef.h>
#include <string.h>

const struct allocator alloc_tlsf;

#define ALIGN      ((size_t)1 << TLSF_ALIGN_LOG2)
#define FREE_BIT   ((size_t)1)   /* this block is free                        */
#define PREV_FREE  ((size_t)2)   /* the physically previous block is free     */
#define FLAG_MASK  (ALIGN - 1)   /* low bits of the size word are never size  */

/* Every block starts with the header word; the links exist only when free. */
struct block {
	size_t        header;     /* size (header included) | FREE_BIT | PREV_FREE  */
	struct block *next_free;  /* free only: next block on the same list          */
	struct block *prev_free;  /* free only: previous block on the same list      */
	/* ... and a free block's last word points back at its header.              */
};

_Static_assert(ALIGN == HEAPLAB_ALIGN, "TLSF_ALIGN_LOG2 must match HEAPLAB_ALIGN");
_Static_assert(TLSF_HEADER == sizeof(size_t) && offsetof(struct block, header) == 0,
               "the header is one size word at the start of the block");
_Static_assert(offsetof(struct block, next_free) == TLSF_HEADER,
               "the links start where the payload does");
_Static_assert(sizeof(struct block) + sizeof(struct block *) <= TLSF_MIN_BLOCK,
               "a minimum block holds header, links and back pointer");
_Static_assert(TLSF_MIN_BLOCK % ALIGN == 0, "block sizes are multiples of the alignment");
_Static_assert((FREE_BIT | PREV_FREE) < ALIGN, "flags fit below the alignment");
_Static_assert(TLSF_SL_LOG2 >= 1 && TLSF_SL_COUNT <= 32, "sl bitmap is one uint32_t");
_Static_assert(TLSF_FL_COUNT >= 2 && TLSF_FL_COUNT < 64,
               "fl bitmap is one uint64_t, and fl + 1 is a valid shift");
_Static_assert(TLSF_POOL_LOG2 < 63, "pool sizes fit in a size_t with room for rounding");
_Static_assert(TLSF_SMALL_LIMIT > TLSF_MIN_BLOCK, "the linear class holds the smallest blocks");
_Static_assert(TLSF_BLOCK_MAX + (TLSF_BLOCK_MAX >> TLSF_SL_LOG2) - 1
               < ((size_t)1 << TLSF_POOL_LOG2), "a rounded search size maps below fl count");
_Static_assert(TLSF_CHUNK % 4096 == 0 && TLSF_TRIM_KEEP % ALIGN == 0 &&
               TLSF_TRIM_KEEP >= TLSF_MIN_BLOCK && TLSF_TRIM_THRESHOLD > TLSF_TRIM_KEEP,
               "growth and trim amounts keep the break aligned and leave a block");

#define POOL_MAX (((size_t)1 << TLSF_POOL_LOG2) - ALIGN)  /* bytes from pool start to break */
#define TRIM_THRESHOLD_MAX ((size_t)1 << 34)

struct tlsf {
	struct heap  *heap;                    /* where the pool comes from                 */
	char         *pool;                    /* header of the first block                 */
	struct block *epilogue;                /* zero-size header in the last 8 bytes      */
	uint64_t      fl_map;                  /* bit fl: some list of that fl is non-empty */
	uint32_t      sl_map[TLSF_FL_COUNT];   /* bit sl: list (fl, sl) is non-empty        */
	uint64_t      free_blocks;             /* blocks on the lists                       */
	size_t        trim_threshold;          /* free last block this large is given back  */
	int           trimmed;                 /* gave memory back since the last growth    */
	uint64_t      grows;                   /* provider calls that raised the break      */
	uint64_t      trims;                   /* provider calls that lowered it            */
	uint64_t      in_place;                /* reallocs that kept their address          */
	struct block *head[TLSF_FL_COUNT][TLSF_SL_COUNT];  /* the free lists            */
};

/* ---- Block layout ---- */

static inline size_t block_size(const struct block *b) { return b->header & ~FLAG_MASK; }
static inline int is_free(const struct block *b) { return (b->header & FREE_BIT) != 0; }

static inline struct block *at(const void *p, size_t offset)
{
	return (struct block *)((char *)p + offset);
}

static inline struct block *block_of(const void *payload)
{
	return (struct block *)((char *)payload - TLSF_HEADER);
}

static inline void *payload_of(struct block *b) { return (char *)b + TLSF_HEADER; }

/* The last word of a free block, read by its successor to find it. */
static inline struct block **back_pointer(struct block *b, size_t size)
{
	return (struct block **)((char *)b + size) - 1;
}

static inline struct block *prev_phys(struct block *b) { return ((struct block **)b)[-1]; }

/* Bytes of block a request of n bytes needs; n is at most TLSF_BLOCK_MAX - header. */
static inline size_t request_block(size_t n)
{
	size_t s = (n + TLSF_HEADER + ALIGN - 1) & ~(ALIGN - 1);
	return s < TLSF_MIN_BLOCK ? TLSF_MIN_BLOCK : s;
}

/* ---- The two-level mapping ---- */

static inline unsigned log2_floor(size_t n) { return 63u - (unsigned)__builtin_clzll(n); }

static inline void mapping(size_t size, unsigned *fl, unsigned *sl)
{
	if (size < TLSF_SMALL_LIMIT) {
		*fl = 0;
		*sl = (unsigned)(size >> TLSF_ALIGN_LOG2);
	} else {
		unsigned t = log2_floor(size);
		*sl = (unsigned)(size >> (t - TLSF_SL_LOG2)) ^ TLSF_SL_COUNT;
		*fl = t - TLSF_FL_SHIFT + 1;
	}
}

/* The list to start from so that anything found is at least `size`. */
static inline void search_mapping(size_t size, unsigned *fl, unsigned *sl)
{
	if (size >= TLSF_SMALL_LIMIT)
		size += ((size_t)1 << (log2_floor(size) - TLSF_SL_LOG2)) - 1;
	mapping(size, fl, sl);
}

/* ---- Free lists ---- */

static inline void list_insert(struct tlsf *t, struct block *b, size_t size)
{
	unsigned fl, sl;
	mapping(size, &fl, &sl);
	struct block *h = t->head[fl][sl];
	b->next_free = h;
	b->prev_free = NULL;
	if (h)
		h->prev_free = b;
	t->head[fl][sl] = b;
	t->fl_map |= (uint64_t)1 << fl;
	t->sl_map[fl] |= 1u << sl;
	t->free_blocks++;
}

static inline void list_remove_at(struct tlsf *t, struct block *b, unsigned fl, unsigned sl)
{
	struct block *next = b->next_free, *prev = b->prev_free;
	if (next)
		next->prev_free = prev;
	if (prev) {
		prev->next_free = next;
	} else {
		t->head[fl][sl] = next;
		if (!next) {
			t->sl_map[fl] &= ~(1u << sl);
			if (!t->sl_map[fl])
				t->fl_map &= ~((uint64_t)1 << fl);
		}
	}
	t->free_blocks--;
}

static inline void list_remove(struct tlsf *t, struct block *b)
{
	unsigned fl, sl;
	mapping(block_size(b), &fl, &sl);
	list_remove_at(t, b, fl, sl);
}

/*
 * Take a free block of at least `size` bytes off its list, or NULL.  The
 * block keeps its free-block invariants (back pointer, successor's PREV_FREE).
 */
static inline __attribute__((always_inline)) struct block *take_free(struct tlsf *t, size_t size)
{
	unsigned fl, sl;
	search_mapping(size, &fl, &sl);
	uint32_t sl_bits = t->sl_map[fl] & (~0u << sl);
	if (!sl_bits) {
		uint64_t fl_bits = t->fl_map & (~(uint64_t)0 << (fl + 1));
		if (!fl_bits) {
			/* Good fit skipped the exact list; its head may still fit. */
			mapping(size, &fl, &sl);
			struct block *b = t->head[fl][sl];
			if (b && block_size(b) >= size) {
				list_remove_at(t, b, fl, sl);
				return b;
			}
			return NULL;
		}
		fl = (unsigned)__builtin_ctzll(fl_bits);
		sl_bits = t->sl_map[fl];
	}
	sl = (unsigned)__builtin_ctz(sl_bits);
	struct block *b = t->head[fl][sl];
	list_remove_at(t, b, fl, sl);
	return b;
}

/*
 * `b` is a free block off the lists (of at least `size` bytes): make it an
 * allocated block of `size` bytes and put any worthwhile tail back as free.
 */
static inline void *use_block(struct tlsf *t, struct block *b, size_t size)
{
	size_t have = block_size(b);
	size_t rest = have - size;
	if (rest >= TLSF_MIN_BLOCK) {
		/* The successor already says "previous free" and stays right. */
		struct block *tail = at(b, size);
		tail->header = rest | FREE_BIT;
		*back_pointer(tail, rest) = tail;
		list_insert(t, tail, rest);
		b->header = size | (b->header & PREV_FREE);
	} else {
		at(b, have)->header &= ~PREV_FREE;
		b->header &= ~FREE_BIT;
	}
	return payload_of(b);
}

/* ---- The pool ---- */

/* Raise the break by at least `need` bytes (chunk-rounded if possible); old break or NULL. */
static char *pool_extend(struct tlsf *t, size_t need, size_t *got)
{
	size_t pool_bytes = (size_t)((char *)t->epilogue + TLSF_HEADER - t->pool);
	if (need > POOL_MAX - pool_bytes)
		return NULL;
	size_t incr = align_up(need, TLSF_CHUNK);
	if (incr > POOL_MAX - pool_bytes)
		incr = need;
	char *old = heap_sbrk(t->heap, (intptr_t)incr);
	if (!old && incr != need) {
		/* Near the provider's limit: the exact amount may still fit. */
		incr = need;
		old = heap_sbrk(t->heap, (intptr_t)incr);
	}
	if (!old)
		return NULL;
	t->grows++;
	if (t->trimmed && t->trim_threshold < TRIM_THRESHOLD_MAX)
		t->trim_threshold *= 2;
	t->trimmed = 0;
	*got = incr;
	return old;
}

/*
 * No list had a block of `size` bytes: return a free block off the lists that
 * ends at the epilogue and is at least that big, growing the heap if needed.
 */
static struct block *grow(struct tlsf *t, size_t size)
{
	struct block *end = t->epilogue, *last = NULL;
	size_t have = 0, got;
	if (end->header & PREV_FREE) {
		last = prev_phys(end);
		have = block_size(last);
		if (have >= size) {
			list_remove(t, last);
			return last;
		}
	}
	if (!pool_extend(t, size - have, &got))
		return NULL;
	struct block *b = last;
	if (b) {
		list_remove(t, b);
		b->header += got;
	} else {
		b = end;  /* the old epilogue becomes the new block's header */
		b->header = got | FREE_BIT;
	}
	size_t total = block_size(b);
	*back_pointer(b, total) = b;
	t->epilogue = at(b, total);
	t->epilogue->header = PREV_FREE;
	return b;
}

/* A free block `b` (on no list) ends at the epilogue: give most of it back if big. */
static void trim(struct tlsf *t, struct block *b, size_t *size)
{
	size_t release = (*size - TLSF_TRIM_KEEP) & ~(size_t)4095;
	if (!release || !heap_sbrk(t->heap, -(intptr_t)release))
		return;
	t->trims++;
	t->trimmed = 1;
	*size -= release;
	b->header = *size | FREE_BIT;
	t->epilogue = at(b, *size);
	t->epilogue->header = PREV_FREE;
}

/*
 * Make `b` a free block of `size` bytes on its list; `next` follows it and
 * is not free, and whatever precedes b is not free either.
 */
static inline void put_free(struct tlsf *t, struct block *b, size_t size, struct block *next)
{
	b->header = size | FREE_BIT;
	next->header |= PREV_FREE;
	if (__builtin_expect(next == t->epilogue && size >= t->trim_threshold, 0))
		trim(t, b, &size);
	*back_pointer(b, size) = b;
	list_insert(t, b, size);
}

/* ---- The table ---- */

static void *tlsf_init(struct heap *heap)
{
	/* The epilogue takes the last word of the state's allocation. */
	size_t bytes = align_up(sizeof(struct tlsf) + TLSF_HEADER, ALIGN);
	uintptr_t brk = (uintptr_t)heap_break(heap);
	size_t pad = align_up(brk, ALIGN) - brk;
	char *p = heap_sbrk(heap, (intptr_t)(pad + bytes));
	if (!p)
		return NULL;
	struct tlsf *t = (struct tlsf *)(p + pad);
	memset(t, 0, sizeof *t);
	t->heap = heap;
	t->pool = (char *)t + bytes - TLSF_HEADER;
	t->epilogue = (struct block *)t->pool;
	t->epilogue->header = 0;
	t->trim_threshold = TLSF_TRIM_THRESHOLD;
	return t;
}

static void *tlsf_malloc(void *self, size_t n)
{
	struct tlsf *t = self;
	if (n > TLSF_BLOCK_MAX - TLSF_HEADER)
		return NULL;
	size_t size = request_block(n);
	struct block *b = take_free(t, size);
	if (__builtin_expect(!b, 0)) {
		b = grow(t, size);
		if (!b)
			return NULL;
	}
	return use_block(t, b, size);
}

static void tlsf_free(void *self, void *ptr)
{
	struct tlsf *t = self;
	if (!ptr)
		return;
	struct block *b = block_of(ptr);
	size_t size = block_size(b);
	struct block *next = at(b, size);
	if (is_free(next)) {
		size_t ns = block_size(next);
		list_remove(t, next);
		size += ns;
		next = at(next, ns);
	}
	if (b->header & PREV_FREE) {
		struct block *prev = prev_phys(b);
		list_remove(t, prev);
		size += block_size(prev);
		b = prev;
	}
	put_free(t, b, size, next);  /* coalesced: what precedes b now is allocated */
}

static size_t tlsf_usable_size(void *self, void *ptr)
{
	(void)self;
	return block_size(block_of(ptr)) - TLSF_HEADER;
}

/*
 * `b` is allocated and spans `have` bytes (its header may still say less);
 * the block after those bytes has a right header except maybe PREV_FREE.
 * Shrink b to `size`, freeing the tail and coalescing it with a free successor.
 */
static void release_tail(struct tlsf *t, struct block *b, size_t have, size_t size)
{
	struct block *next = at(b, have);
	size_t rest = have - size;
	if (rest < TLSF_MIN_BLOCK) {
		b->header = have | (b->header & PREV_FREE);
		next->header &= ~PREV_FREE;
		return;
	}
	b->header = size | (b->header & PREV_FREE);
	if (is_free(next)) {
		size_t ns = block_size(next);
		list_remove(t, next);
		rest += ns;
		next = at(next, ns);
	}
	put_free(t, at(b, size), rest, next);
}

static void *tlsf_realloc(void *self, void *ptr, size_t n)
{
	struct tlsf *t = self;
	if (!ptr)
		return tlsf_malloc(self, n);
	if (n > TLSF_BLOCK_MAX - TLSF_HEADER)
		return NULL;
	size_t size = request_block(n);
	struct block *b = block_of(ptr);
	size_t have = block_size(b);
	if (size <= have) {
		release_tail(t, b, have, size);
		t->in_place++;
		return ptr;
	}
	struct block *next = at(b, have);
	size_t next_free = is_free(next) ? block_size(next) : 0;
	if (next_free && have + next_free >= size) {
		list_remove(t, next);
		release_tail(t, b, have + next_free, size);
		t->in_place++;
		return ptr;
	}
	/* The last block (maybe with a free block after it) can grow with the break. */
	if (at(next, next_free) == t->epilogue) {
		size_t got;
		if (pool_extend(t, size - have - next_free, &got)) {
			if (next_free)
				list_remove(t, next);
			size_t total = have + next_free + got;
			t->epilogue = at(b, total);
			t->epilogue->header = 0;
			release_tail(t, b, total, size);
			t->in_place++;
			return ptr;
		}
	}
	void *q = tlsf_malloc(self, n);
	if (!q)
		return NULL;
	memcpy(q, ptr, have - TLSF_HEADER);
	tlsf_free(self, ptr);
	return q;
}

static void *tlsf_calloc(void *self, size_t nmemb, size_t size)
{
	return alloc_calloc_via_malloc(self, tlsf_malloc, nmemb, size);
}

/*
 * Over-allocate by the alignment plus a minimum block, so that the part in
 * front of the aligned payload is either empty or big enough to be a free
 * block of its own; the tail goes back through use_block.
 */
static void *tlsf_memalign(void *self, size_t align, size_t n)
{
	struct tlsf *t = self;
	if (align <= ALIGN)
		return tlsf_malloc(self, n);
	if (!is_pow2(align) || align > TLSF_BLOCK_MAX / 4 || n > TLSF_BLOCK_MAX / 2)
		return NULL;
	size_t size = request_block(n);
	size_t over = size + align + TLSF_MIN_BLOCK;
	struct block *b = take_free(t, over);
	if (!b) {
		b = grow(t, over);
		if (!b)
			return NULL;
	}
	uintptr_t p = (uintptr_t)payload_of(b);
	size_t gap = align_up(p, align) - p;
	if (gap && gap < TLSF_MIN_BLOCK)
		gap += align;
	if (gap) {
		/* b was free, so what precedes it is allocated: the lead needs no merge. */
		size_t total = block_size(b);
		b->header = gap | FREE_BIT;
		*back_pointer(b, gap) = b;
		list_insert(t, b, gap);
		b = at(b, gap);
		b->header = (total - gap) | FREE_BIT | PREV_FREE;
		*back_pointer(b, total - gap) = b;
	}
	return use_block(t, b, size);
}

/* ---- Self-check ---- */

static size_t offset_of(const struct tlsf *t, const void *p)
{
	return (size_t)((const char *)p - t->pool);
}

/* Is `b` a plausible block header inside the pool (aligned, below the epilogue)? */
static int in_pool(const struct tlsf *t, const struct block *b)
{
	uintptr_t q = (uintptr_t)b;
	return q >= (uintptr_t)t->pool && q < (uintptr_t)t->epilogue &&
	       (q - (uintptr_t)t->pool) % ALIGN == 0;
}

/* Does `b` look like a free block: free bit, sane size, back pointer at its end? */
static int looks_free(const struct tlsf *t, struct block *b)
{
	size_t size = block_size(b);
	return is_free(b) && size >= TLSF_MIN_BLOCK &&
	       size <= (size_t)((char *)t->epilogue - (char *)b) && *back_pointer(b, size) == b;
}

/* One free block met by the physical walk: back pointer, list, links. */
static unsigned long check_free_block(struct tlsf *t, struct block *b, struct check_findings *r)
{
	unsigned long bad = 0;
	size_t size = block_size(b), off = offset_of(t, b);
	unsigned fl, sl;

	if (*back_pointer(b, size) != b)
		bad += check_violation(r, "free block at offset %zu: wrong back pointer",
		                       off);
	mapping(size, &fl, &sl);
	if (!(t->sl_map[fl] & (1u << sl)))
		bad += check_violation(r, "free block at offset %zu: its list (%u,%u) is "
		                       "marked empty", off, fl, sl);
	struct block *pf = b->prev_free, *nf = b->next_free;
	if (pf ? !in_pool(t, pf) || pf->next_free != b : t->head[fl][sl] != b)
		bad += check_violation(r, "free block at offset %zu is not linked from "
		                       "list (%u,%u)", off, fl, sl);
	if (nf && (!in_pool(t, nf) || nf->prev_free != b))
		bad += check_violation(r, "free block at offset %zu: its next link does "
		                       "not point back", off);
	return bad;
}

/*
 * Walk list (fl, sl), adding its nodes to *listed; stop (returning with
 * *listed > limit) if the lists hold more nodes than there are free blocks.
 */
static unsigned long check_list(struct tlsf *t, unsigned fl, unsigned sl, uint64_t limit,
                                uint64_t *listed, struct check_findings *r)
{
	unsigned long bad = 0;
	int bit = (t->sl_map[fl] >> sl) & 1;
	struct block *prev = NULL, *b;

	if (bit != (t->head[fl][sl] != NULL))
		bad += check_violation(r, "sl bitmap bit (%u,%u) is %d but the list is %s",
		                       fl, sl, bit, t->head[fl][sl] ? "non-empty" : "empty");
	for (b = t->head[fl][sl]; b; prev = b, b = b->next_free) {
		unsigned bfl, bsl;
		if (!in_pool(t, b))
			return bad + check_violation(r, "list (%u,%u) points outside the "
			                             "pool", fl, sl);
		if (!looks_free(t, b))
			return bad + check_violation(r, "list (%u,%u) holds offset %zu, "
			                             "not a free block", fl, sl, offset_of(t, b));
		mapping(block_size(b), &bfl, &bsl);
		if (bfl != fl || bsl != sl)
			bad += check_violation(r, "block of %zu bytes on list (%u,%u) "
			                       "belongs on (%u,%u)", block_size(b), fl, sl,
			                       bfl, bsl);
		if (b->prev_free != prev)
			bad += check_violation(r, "list (%u,%u): back link of offset %zu "
			                       "is wrong", fl, sl, offset_of(t, b));
		if (++*listed > limit)
			return bad + check_violation(r, "the lists hold more nodes than the "
			                             "%llu free blocks (a cycle?)",
			                             (unsigned long long)limit);
	}
	return bad;
}

static unsigned long tlsf_check(void *self, struct check_findings *r)
{
	struct tlsf *t = self;
	unsigned long bad = 0;
	char *brk = heap_break(t->heap);
	check_as(r, "tlsf");

	if ((char *)t->epilogue + TLSF_HEADER != brk || (char *)t->epilogue < t->pool ||
	    offset_of(t, t->epilogue) % ALIGN) {
		/* The walk below would not know where to stop. */
		return check_violation(r, "epilogue at offset %zu, but the break is at %zu",
		                        offset_of(t, t->epilogue), (size_t)(brk - t->pool));
	}
	if (block_size(t->epilogue) != 0 || is_free(t->epilogue))
		bad += check_violation(r, "epilogue header %#zx: not a zero-size used block",
		                       t->epilogue->header);

	/* Physical walk: sizes add up to the break, flags agree, free blocks are linked. */
	uint64_t walked_free = 0;
	int prev_was_free = 0;
	struct block *b = (struct block *)t->pool;
	while (b != t->epilogue) {
		size_t size = block_size(b), off = offset_of(t, b);
		if (size < TLSF_MIN_BLOCK || size > (size_t)((char *)t->epilogue - (char *)b))
			return bad + check_violation(r, "block at offset %zu: bad size %zu",
			                             off, size);
		if (b->header & (FLAG_MASK & ~(FREE_BIT | PREV_FREE)))
			bad += check_violation(r, "block at offset %zu: stray bits in %#zx",
			                       off, b->header);
		if (!!(b->header & PREV_FREE) != prev_was_free)
			bad += check_violation(r, "block at offset %zu says its predecessor "
			                       "is %s, it is %s", off,
			                       (b->header & PREV_FREE) ? "free" : "used",
			                       prev_was_free ? "free" : "used");
		if (is_free(b)) {
			walked_free++;
			if (prev_was_free)
				bad += check_violation(r, "free blocks at offset %zu and "
				                       "before it not coalesced", off);
			bad += check_free_block(t, b, r);
		}
		prev_was_free = is_free(b);
		b = at(b, size);
	}
	if (!!(t->epilogue->header & PREV_FREE) != prev_was_free)
		bad += check_violation(r, "the epilogue's previous-free bit is wrong");

	/* Lists and bitmaps: every node a free block of the list's class, each once. */
	uint64_t listed = 0;
	for (unsigned fl = 0; fl < TLSF_FL_COUNT && listed <= walked_free; fl++) {
		int bit = (t->fl_map >> fl) & 1;
		if (bit != (t->sl_map[fl] != 0))
			bad += check_violation(r, "fl bitmap bit %u is %d but its sl bitmap "
			                       "is %#x", fl, bit, t->sl_map[fl]);
		for (unsigned sl = 0; sl < TLSF_SL_COUNT && listed <= walked_free; sl++)
			bad += check_list(t, fl, sl, walked_free, &listed, r);
	}
	if (listed < walked_free)
		bad += check_violation(r, "%llu free blocks in the heap, only %llu on lists",
		                       (unsigned long long)walked_free,
		                       (unsigned long long)listed);
	if (t->fl_map >> (TLSF_FL_COUNT - 1) >> 1)
		bad += check_violation(r, "the fl bitmap has bits above fl count");
	if (t->free_blocks != walked_free)
		bad += check_violation(r, "the counter says %llu free blocks, walked %llu",
		                       (unsigned long long)t->free_blocks,
		                       (unsigned long long)walked_free);
	return bad;
}

static void tlsf_stats(void *self, stat_sink sink, void *ctx)
{
	struct tlsf *t = self;
	sink(ctx, "free_blocks", t->free_blocks);
	sink(ctx, "grows", t->grows);
	sink(ctx, "trims", t->trims);
	sink(ctx, "realloc_in_place", t->in_place);
}

const struct allocator alloc_tlsf = {
	.name        = "tlsf",
	.description = "two-level segregated fit: O(1) good fit, bitmaps, boundary tags",
	.init        = tlsf_init,
	.malloc      = tlsf_malloc,
	.free        = tlsf_free,
	.realloc     = tlsf_realloc,
	.calloc      = tlsf_calloc,
	.memalign    = tlsf_memalign,
	.usable_size = tlsf_usable_size,
	.check       = tlsf_check,
	.stats       = tlsf_stats,
};

/* ---- Test-only entry points (tlsf.h) ---- */

void tlsf_mapping_for_test(size_t block_size_, unsigned *fl, unsigned *sl)
{
	mapping(block_size_, fl, sl);
}

void tlsf_search_mapping_for_test(size_t block_size_, unsigned *fl, unsigned *sl)
{
	search_mapping(block_size_, fl, sl);
}

size_t tlsf_block_size_for_test(size_t request) { return request_block(request); }

uint64_t *tlsf_fl_bitmap_for_test(void *self) { return &((struct tlsf *)self)->fl_map; }

uint32_t *tlsf_sl_bitmap_for_test(void *self, unsigned fl)
{
	return &((struct tlsf *)self)->sl_map[fl];
}

void *tlsf_list_head_for_test(void *self, unsigned fl, unsigned sl)
{
	return ((struct tlsf *)self)->head[fl][sl];
}
