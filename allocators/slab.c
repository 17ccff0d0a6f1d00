/*
 * slab.c - size-class slabs for small requests, boundary-tag chunks for the rest.
 *
 * Algorithm.  Small requests (<= 2 KiB) are rounded up to one of 24 size
 * classes and served from slabs: 64 KiB units, 64 KiB-aligned, each holding
 * objects of one class (simple segregated storage, Wilson et al. 1995, 3.6;
 * the slab as the unit of caching and reclaim, Bonwick 1994).  A slab's
 * header sits in its last 64 bytes; objects start at the slab's first byte,
 * so a power-of-two class c is c-aligned.  Freed objects go on the slab's own
 * singly linked free list (links in the free objects); objects never handed
 * out yet are carved lazily from a bump index, so a new slab costs O(1).  Each
 * class keeps a doubly linked list of its slabs that have room; a slab that
 * becomes empty is given back to the unit pool at once, so any class, or the
 * large path, can reuse it - except the last slab of a class, which stays
 * (idle) so that one object allocated and freed in a loop does not take and
 * give a unit every time.  Idle slabs are reaped (given back) before the
 * heap would grow.
 *
 * Classes: 16, 32, .. 128 (16 apart), then four per power of two: 160, 192,
 * 224, 256, 320, .. 512, 640, .. 1024, 1280, .. 2048.  Waste bound: up to 128
 * a request loses at most 15 bytes; above 128, a request s just over a class
 * boundary 2^k is served by 2^k + 2^k/4, so (class - s)/s < 1/4; the exact
 * worst case is s = 1025 -> 1280, 255/1025 = 24.9% of the request (and 19.9%
 * of the block).
 *
 * Large requests (> 2 KiB) are served from chunks: runs of whole units with a
 * 16-byte chunk header and a 16-byte sentinel, tiled by blocks with 16-byte
 * headers (size and in-use bit, and the previous block's size: the boundary
 * tag).  Free blocks are kept in segregated lists, four per power of two
 * (as TLSF's second level, Masmano et al. 2004), with a bitmap: a request is
 * rounded up to the next list boundary so that any block on the first
 * non-empty list at or above it fits ("good fit" in O(1)); only when no such
 * list has a block are the first 32 blocks of the request's own list tried.
 * Freeing coalesces with both
 * neighbours at once; a chunk that is entirely free goes back to the unit pool.
 * A request that fits no free block takes a new chunk sized to it; if the
 * chunk at the end of the heap can grow, the break is raised under it instead
 * and its last free block absorbs the new memory.
 *
 * Units: a map with one byte per 64 KiB unit says what each unit is (the
 * state, a slab, a chunk's head or body, free).  It is how free() tells a
 * slab object (unit is a slab: header found by masking) from a large block,
 * without trusting user memory.  Free units form spans, coalesced, with a
 * header in the first unit and the span's start in its last 8 bytes, on a
 * first-fit list; a free span at the end of the heap of 16 or more units is
 * given back to the provider, keeping 2.  The state and the first map fill
 * unit 0 (enough for 3 GiB of heap); past that the map moves to a run of units
 * at the end of the heap, 1.5 to 2 times bigger each time.
 *
 * Overhead: 64 bytes per 64 KiB slab plus up to one object's worth of slack
 * at its end (2 KiB - 64 for the 2048 class, 3%); 16 bytes per large block
 * and 32 per chunk; unit 0 (64 KiB) for the state and the first map.
 *
 * Time: malloc/free of small objects O(1); large O(1) plus the first-fit scan
 * of free spans when a new chunk or slab needs units.  realloc: same class,
 * or a large block that can shrink or grow into its free successor (or into
 * a raised break): in place; otherwise malloc+copy+free.  memalign: for
 * align <= 16 any class; else, if max(size, align) <= 2048, the first class at
 * least that big whose size is a multiple of align (objects sit at multiples
 * of the class size from a 64 KiB boundary); otherwise a large block
 * over-allocated by the alignment with the leading gap split off and freed.
 */
#include "allocator.h"

#include <string.h>

#define UNIT_SHIFT   16
#define UNIT         ((size_t)1 << UNIT_SHIFT)  /* slab size and unit of the page map */
#define SLAB_HDR     64                         /* slab header, at the unit's end      */
#define SMALL_MAX    2048                       /* largest class                       */
#define NCLASSES     24
#define MAP_OFFSET   16384                      /* the map follows the state in unit 0 */
#define MAP0_CAP     (UNIT - MAP_OFFSET)        /* units the first map can describe    */
#define TRIM_UNITS   16                         /* free tail that is given back ...    */
#define TRIM_KEEP    2                          /* ... keeping this much               */

#define LHDR         16                         /* large block header                  */
#define LMIN         64                         /* smallest large block (links + mark) */
#define CHUNK_OVER   (2 * LHDR)                 /* chunk header + end sentinel         */
#define L_INUSE      ((size_t)1)
#define NBINS        (4 * 48)
#define NBIN_WORDS   (NBINS / 64)

enum { U_FREE = 0, U_META, U_SLAB, U_LHEAD, U_LBODY };

const struct allocator alloc_slab;

static const uint16_t class_size[NCLASSES] = {
	16, 32, 48, 64, 80, 96, 112, 128,
	160, 192, 224, 256, 320, 384, 448, 512,
	640, 768, 896, 1024, 1280, 1536, 1792, 2048,
};

struct obj {                                 /* a free object's first word             */
	struct obj *next;
};

struct slab {                                /* the last SLAB_HDR bytes of a slab unit  */
	struct slab *next, *prev;            /* the class's list of slabs with room     */
	struct obj  *free;                   /* freed objects                           */
	uint32_t     nfree;                  /* length of that list                     */
	uint32_t     carved;                 /* objects ever handed out from the bump   */
	uint32_t     nobjs;                  /* objects that fit                        */
	uint32_t     size;                   /* class size                              */
	uint32_t     cls;                    /* class index                             */
	uint32_t     mark;                   /* self-check epoch: seen on its list      */
};
_Static_assert(sizeof(struct slab) <= SLAB_HDR, "slab header fits");

struct span {                                /* first bytes of a free run of units      */
	struct span *next, *prev;            /* the first-fit list of free spans        */
	size_t       nunits;                 /* length                                  */
	uint64_t     mark;                   /* self-check epoch                        */
};

struct lblock {                              /* a large block's header (and free links) */
	size_t        size;                  /* bytes incl. header, | L_INUSE           */
	size_t        prev_size;             /* the block before (0: first in chunk)    */
	struct lblock *next, *prev;          /* bin links, when free                    */
	uint64_t      mark;                  /* self-check epoch, when free             */
};
_Static_assert(offsetof(struct lblock, next) == LHDR, "payload follows the header");
_Static_assert(sizeof(struct lblock) <= LMIN, "a free block holds its links");

struct chunk {                               /* first 16 bytes of a large chunk         */
	size_t nunits;                       /* units in the chunk                      */
	size_t pad;
};
_Static_assert(sizeof(struct chunk) == LHDR, "first block follows the chunk header");

struct slabs {
	struct heap   *heap;                 /* where every unit comes from             */
	char          *base;                 /* heap start = unit 0                     */
	uint8_t       *map;                  /* one byte per unit, U_*                  */
	size_t         map_cap;              /* units the map can describe              */
	size_t         map_unit, map_units;  /* where a grown map lives (0, 0: unit 0)  */
	size_t         max_units;            /* units the heap's reservation holds      */
	size_t         nunits;               /* units below the break                   */
	struct slab    partial[NCLASSES];    /* sentinels: slabs with room, per class   */
	struct span    spans;                /* sentinel: free spans                    */
	struct lblock  bins[NBINS];          /* sentinels: free large blocks            */
	uint64_t       binmap[NBIN_WORDS];   /* bit i: bins[i] non-empty                */
	char          *top_chunk;            /* chunk ending at the break, or NULL      */
	uint64_t       epoch;                /* self-check generation for marks         */
	uint64_t       slabs;                /* slab units in use                       */
	uint64_t       live_objs;            /* small objects handed out                */
	uint64_t       chunks;               /* large chunks                            */
	uint64_t       live_large;           /* large blocks handed out                 */
	uint64_t       free_large;           /* free large blocks in bins               */
	uint64_t       free_units;           /* units in free spans                     */
	uint64_t       slabs_released;       /* for stats                               */
	uint64_t       idle_slabs;           /* empty slabs kept, one class each at most */
};

_Static_assert(sizeof(struct slabs) <= MAP_OFFSET, "the state leaves the map its room");

static inline struct slabs *state_of(void *self) { return self; }

/* ---- size classes ---------------------------------------------------- */

static inline unsigned class_of(size_t size)
{
	if (size <= 128)
		return size ? (unsigned)((size - 1) >> 4) : 0;
	unsigned k = 63 - (unsigned)__builtin_clzll(size - 1);   /* 2^k < size <= 2^(k+1) */
	return 8 + (k - 7) * 4 + (unsigned)((size - 1) >> (k - 2)) - 4;
}

/* ---- units ----------------------------------------------------------- */

static inline size_t unit_index(const struct slabs *s, const void *p)
{
	return (size_t)((const char *)p - s->base) >> UNIT_SHIFT;
}

static inline char *unit_addr(const struct slabs *s, size_t u) { return s->base + (u << UNIT_SHIFT); }

static inline struct slab *slab_hdr(char *unit) { return (struct slab *)(unit + UNIT - SLAB_HDR); }

static inline struct slab *slab_of(const void *p)
{
	return slab_hdr((char *)((uintptr_t)p & ~(uintptr_t)(UNIT - 1)));
}

static void span_put(struct slabs *s, size_t u, size_t n)
{
	struct span *sp = (struct span *)unit_addr(s, u);
	sp->nunits = n;
	sp->mark = 0;
	sp->next = s->spans.next;
	sp->prev = &s->spans;
	s->spans.next->prev = sp;
	s->spans.next = sp;
	*(struct span **)(unit_addr(s, u + n) - sizeof(void *)) = sp;
	memset(s->map + u, U_FREE, n);
	s->free_units += n;
}

static void span_unlink(struct slabs *s, struct span *sp)
{
	sp->prev->next = sp->next;
	sp->next->prev = sp->prev;
	s->free_units -= sp->nunits;
}

/* Give the free tail back to the provider once it is long enough. */
static void trim_tail(struct slabs *s)
{
	if (s->map[s->nunits - 1] != U_FREE)
		return;
	struct span *sp = *(struct span **)(unit_addr(s, s->nunits) - sizeof(void *));
	if (sp->nunits < TRIM_UNITS)
		return;
	size_t give = sp->nunits - TRIM_KEEP, u = unit_index(s, sp);
	if (!heap_sbrk(s->heap, -(intptr_t)(give << UNIT_SHIFT)))
		return;
	span_unlink(s, sp);
	s->nunits -= give;
	span_put(s, u, TRIM_KEEP);
	s->top_chunk = NULL;
}

static void units_release(struct slabs *s, size_t u, size_t n);

/*
 * Make the map describe at least `want` units.  A bigger map is a run of units
 * at the end of the heap (marked U_META in itself); the old one, unless it is
 * the one in unit 0, becomes free units.  Growing by half again or double
 * keeps this rare: the first map covers 3 GiB.
 */
static int map_reserve(struct slabs *s, size_t want)
{
	if (want <= s->map_cap)
		return 1;
	size_t cap = want + want / 2 > 2 * s->map_cap ? want + want / 2 : 2 * s->map_cap;
	size_t m = (cap + UNIT - 1) >> UNIT_SHIFT;
	cap = m << UNIT_SHIFT;
	size_t u = s->nunits;
	if (want + m > cap || u + m > s->max_units ||
	    !heap_sbrk(s->heap, (intptr_t)(m << UNIT_SHIFT)))
		return 0;
	uint8_t *map = (uint8_t *)unit_addr(s, u);
	memcpy(map, s->map, s->nunits);
	memset(map + u, U_META, m);
	size_t old_unit = s->map_unit, old_units = s->map_units;
	s->map = map;
	s->map_cap = cap;
	s->map_unit = u;
	s->map_units = m;
	s->nunits += m;
	s->top_chunk = NULL;
	if (old_units)
		units_release(s, old_unit, old_units);
	return 1;
}

/* Units [u, u+n) are free again: coalesce with free neighbours. */
static void units_release(struct slabs *s, size_t u, size_t n)
{
	if (u > 0 && s->map[u - 1] == U_FREE) {
		struct span *left = *(struct span **)(unit_addr(s, u) - sizeof(void *));
		span_unlink(s, left);
		n += left->nunits;
		u = unit_index(s, left);
	}
	if (u + n < s->nunits && s->map[u + n] == U_FREE) {
		struct span *right = (struct span *)unit_addr(s, u + n);
		span_unlink(s, right);
		n += right->nunits;
	}
	if (s->top_chunk && unit_index(s, s->top_chunk) >= u && unit_index(s, s->top_chunk) < u + n)
		s->top_chunk = NULL;
	span_put(s, u, n);
	trim_tail(s);
}

/* `n` contiguous units: first fit among free spans, else the free tail plus a raised break. */
static int span_take(struct slabs *s, size_t n, size_t *out)
{
	for (struct span *sp = s->spans.next; sp != &s->spans; sp = sp->next) {
		if (sp->nunits < n)
			continue;
		size_t u = unit_index(s, sp), left = sp->nunits - n;
		span_unlink(s, sp);
		if (left)
			span_put(s, u + n, left);
		*out = u;
		return 1;
	}
	return 0;
}

static void reap_idle_slabs(struct slabs *s);

static int units_take(struct slabs *s, size_t n, size_t *out)
{
	if (span_take(s, n, out))
		return 1;
	/* Before the heap grows, idle slabs give their units back (and may coalesce). */
	if (s->idle_slabs) {
		reap_idle_slabs(s);
		if (span_take(s, n, out))
			return 1;
	}
	if (n > s->max_units || !map_reserve(s, s->nunits + n))
		return 0;
	size_t u = s->nunits, have = 0;
	if (s->map[u - 1] == U_FREE) {
		struct span *tail = *(struct span **)(unit_addr(s, u) - sizeof(void *));
		have = tail->nunits;
		u -= have;
	}
	size_t more = n - have;
	if (!heap_sbrk(s->heap, (intptr_t)(more << UNIT_SHIFT)))
		return 0;
	if (have)
		span_unlink(s, (struct span *)unit_addr(s, u));
	s->nunits += more;
	s->top_chunk = NULL;
	*out = u;
	return 1;
}

/* ---- slabs ----------------------------------------------------------- */

static inline void partial_push(struct slabs *s, struct slab *sl)
{
	struct slab *h = &s->partial[sl->cls];
	sl->next = h->next;
	sl->prev = h;
	h->next->prev = sl;
	h->next = sl;
}

static inline void partial_unlink(struct slab *sl)
{
	sl->prev->next = sl->next;
	sl->next->prev = sl->prev;
}

static struct slab *slab_new(struct slabs *s, unsigned cls)
{
	size_t u;
	if (!units_take(s, 1, &u))
		return NULL;
	s->map[u] = U_SLAB;
	struct slab *sl = slab_hdr(unit_addr(s, u));
	sl->free = NULL;
	sl->nfree = 0;
	sl->carved = 0;
	sl->size = class_size[cls];
	sl->nobjs = (uint32_t)((UNIT - SLAB_HDR) / sl->size);
	sl->cls = cls;
	sl->mark = 0;
	partial_push(s, sl);
	s->slabs++;
	return sl;
}

static void *small_malloc(struct slabs *s, unsigned cls)
{
	struct slab *sl = s->partial[cls].next;
	if (sl == &s->partial[cls] && !(sl = slab_new(s, cls)))
		return NULL;
	void *p;
	if (sl->carved && sl->nfree == sl->carved)
		s->idle_slabs--;
	if (sl->free) {
		p = sl->free;
		sl->free = sl->free->next;
		sl->nfree--;
	} else {
		p = (char *)sl - (UNIT - SLAB_HDR) + (size_t)sl->carved * sl->size;
		sl->carved++;
	}
	if (!sl->nfree && sl->carved == sl->nobjs)
		partial_unlink(sl);   /* full */
	s->live_objs++;
	return p;
}

/* An empty slab leaves its class list and its unit goes back to the pool. */
static void slab_release(struct slabs *s, struct slab *sl)
{
	char *unit = (char *)sl - (UNIT - SLAB_HDR);
	partial_unlink(sl);
	s->slabs--;
	s->slabs_released++;
	units_release(s, unit_index(s, unit), 1);
}

static void reap_idle_slabs(struct slabs *s)
{
	for (unsigned c = 0; c < NCLASSES && s->idle_slabs; c++) {
		struct slab *h = &s->partial[c], *sl = h->next;
		if (sl != h && sl->carved && sl->nfree == sl->carved) {
			s->idle_slabs--;
			slab_release(s, sl);
		}
	}
}

static void small_free(struct slabs *s, void *p)
{
	struct slab *sl = slab_of(p);
	int was_full = !sl->nfree && sl->carved == sl->nobjs;
	struct obj *o = p;
	o->next = sl->free;
	sl->free = o;
	sl->nfree++;
	s->live_objs--;
	if (sl->nfree == sl->carved) {
		/*
		 * Empty: the unit goes back to the pool for any class or chunk, unless
		 * it is its class's only slab with room (then it stays, so that one
		 * object allocated and freed in a loop does not take and give a unit
		 * every time; at most one idle slab per class).
		 */
		struct slab *h = &s->partial[sl->cls];
		if (was_full) {
			partial_push(s, sl);
		} else if (sl->prev == h && sl->next == h) {
			s->idle_slabs++;
			return;
		}
		slab_release(s, sl);
	} else if (was_full) {
		/* An idle slab kept for the class is no longer the only one: let it go. */
		struct slab *h = &s->partial[sl->cls], *idle = h->next;
		if (idle != h && idle->nfree == idle->carved) {
			s->idle_slabs--;
			slab_release(s, idle);
		}
		partial_push(s, sl);
	}
}

/* ---- large blocks ---------------------------------------------------- */

static inline size_t lsize(const struct lblock *b) { return b->size & ~L_INUSE; }
static inline struct lblock *lnext(struct lblock *b) { return (struct lblock *)((char *)b + lsize(b)); }
static inline struct lblock *lprev(struct lblock *b) { return (struct lblock *)((char *)b - b->prev_size); }
static inline struct lblock *lblock_of(void *p) { return (struct lblock *)((char *)p - LHDR); }

/* List holding blocks of `size`: four lists per power of two. */
static inline unsigned bin_of(size_t size)
{
	unsigned k = 63 - (unsigned)__builtin_clzll(size);
	return (k - 6) * 4 + (unsigned)((size >> (k - 2)) & 3);
}

static void bin_insert(struct slabs *s, struct lblock *b)
{
	unsigned i = bin_of(lsize(b));
	struct lblock *h = &s->bins[i];
	b->next = h->next;
	b->prev = h;
	h->next->prev = b;
	h->next = b;
	s->binmap[i >> 6] |= (uint64_t)1 << (i & 63);
	s->free_large++;
}

static void bin_unlink(struct slabs *s, struct lblock *b)
{
	b->prev->next = b->next;
	b->next->prev = b->prev;
	unsigned i = bin_of(lsize(b));
	if (s->bins[i].next == &s->bins[i])
		s->binmap[i >> 6] &= ~((uint64_t)1 << (i & 63));
	s->free_large--;
}

/* A free block that fits `need`: from the first non-empty list whose every block fits. */
static struct lblock *bin_find(struct slabs *s, size_t need)
{
	unsigned k = 63 - (unsigned)__builtin_clzll(need);
	size_t up = need + ((size_t)1 << (k - 2)) - 1;   /* round up to the list's lower bound */
	unsigned i = bin_of(up);
	if (i >= NBINS)
		return NULL;
	for (unsigned w = i >> 6; w < NBIN_WORDS; w++) {
		uint64_t bits = s->binmap[w];
		if (w == i >> 6)
			bits &= ~(uint64_t)0 << (i & 63);
		if (bits)
			return s->bins[w * 64 + (unsigned)__builtin_ctzll(bits)].next;
	}
	/* The request's own list may still hold a block big enough. */
	unsigned own = bin_of(need), tries = 32;
	for (struct lblock *b = s->bins[own].next; b != &s->bins[own] && tries--; b = b->next)
		if (lsize(b) >= need)
			return b;
	return NULL;
}

/* Free block b: mark it free, coalesce, file it; release its chunk if it is whole. */
static void lblock_put_free(struct slabs *s, struct lblock *b, size_t size)
{
	struct lblock *n = (struct lblock *)((char *)b + size);
	if (!(n->size & L_INUSE)) {
		bin_unlink(s, n);
		size += lsize(n);
	}
	if (b->prev_size && !(lprev(b)->size & L_INUSE)) {
		struct lblock *p = lprev(b);
		bin_unlink(s, p);
		size += lsize(p);
		b = p;
	}
	b->size = size;
	n = (struct lblock *)((char *)b + size);
	n->prev_size = size;
	char *chunk = (char *)b - LHDR;
	if (!b->prev_size && n->size == L_INUSE &&
	    ((struct chunk *)chunk)->nunits << UNIT_SHIFT == size + CHUNK_OVER) {
		/* The whole chunk is free: its units go back to the pool. */
		size_t nunits = ((struct chunk *)chunk)->nunits;
		if (s->top_chunk == chunk)
			s->top_chunk = NULL;
		s->chunks--;
		units_release(s, unit_index(s, chunk), nunits);
		return;
	}
	b->mark = 0;
	bin_insert(s, b);
}

/* Cut b (in use, size >= need) down to need if the tail makes a block; free the tail. */
static void lblock_trim(struct slabs *s, struct lblock *b, size_t need)
{
	size_t size = lsize(b);
	if (size - need < LMIN)
		return;
	b->size = need | L_INUSE;
	struct lblock *t = (struct lblock *)((char *)b + need);
	t->prev_size = need;
	t->size = size - need;
	lnext(t)->prev_size = size - need;
	lblock_put_free(s, t, size - need);
}

/* Grow the chunk at the end of the heap by raising the break: its last block absorbs it. */
static int grow_top_chunk(struct slabs *s, size_t need)
{
	if (!s->top_chunk || need > s->max_units << UNIT_SHIFT ||
	    !map_reserve(s, s->nunits + ((need + UNIT - 1) >> UNIT_SHIFT)) || !s->top_chunk)
		return 0;   /* (a grown map now sits at the end of the heap) */
	struct chunk *c = (struct chunk *)s->top_chunk;
	struct lblock *sent = (struct lblock *)(s->top_chunk + (c->nunits << UNIT_SHIFT) - LHDR);
	size_t have = 0;
	if (sent->prev_size && !(lprev(sent)->size & L_INUSE))
		have = sent->prev_size;
	size_t more = need > have ? (need - have + UNIT - 1) >> UNIT_SHIFT : 1;
	if (!heap_sbrk(s->heap, (intptr_t)(more << UNIT_SHIFT)))
		return 0;
	memset(s->map + s->nunits, U_LBODY, more);
	s->nunits += more;
	c->nunits += more;
	/* The old sentinel becomes a free block; the new one closes the chunk. */
	struct lblock *nsent = (struct lblock *)((char *)sent + (more << UNIT_SHIFT));
	nsent->size = L_INUSE;
	nsent->prev_size = more << UNIT_SHIFT;
	sent->size = more << UNIT_SHIFT;
	lblock_put_free(s, sent, more << UNIT_SHIFT);
	return 1;
}

static struct lblock *new_chunk(struct slabs *s, size_t need)
{
	if (need > s->max_units << UNIT_SHIFT)
		return NULL;
	size_t n = (need + CHUNK_OVER + UNIT - 1) >> UNIT_SHIFT, u;
	if (!units_take(s, n, &u))
		return NULL;
	char *chunk = unit_addr(s, u);
	s->map[u] = U_LHEAD;
	memset(s->map + u + 1, U_LBODY, n - 1);
	((struct chunk *)chunk)->nunits = n;
	((struct chunk *)chunk)->pad = 0;
	struct lblock *b = (struct lblock *)(chunk + LHDR);
	size_t size = (n << UNIT_SHIFT) - CHUNK_OVER;
	b->size = size;
	b->prev_size = 0;
	struct lblock *sent = lnext(b);
	sent->size = L_INUSE;
	sent->prev_size = size;
	s->chunks++;
	if (u + n == s->nunits)
		s->top_chunk = chunk;
	b->mark = 0;
	bin_insert(s, b);
	return b;
}

static inline size_t large_need(size_t size)
{
	size_t need = (size + LHDR + 15) & ~(size_t)15;
	return need < LMIN ? LMIN : need;
}

static void *large_malloc(struct slabs *s, size_t size)
{
	if (size > s->max_units << UNIT_SHIFT)
		return NULL;
	size_t need = large_need(size);
	struct lblock *b = bin_find(s, need);
	if (!b) {
		if (grow_top_chunk(s, need))
			b = bin_find(s, need);
		if (!b && !(b = new_chunk(s, need)))
			return NULL;
	}
	bin_unlink(s, b);
	b->size |= L_INUSE;
	lblock_trim(s, b, need);
	s->live_large++;
	return (char *)b + LHDR;
}

static void large_free(struct slabs *s, void *p)
{
	struct lblock *b = lblock_of(p);
	s->live_large--;
	lblock_put_free(s, b, lsize(b));
}

/* Payload aligned to `align` (> 16): over-allocate, split off the leading gap. */
static void *large_memalign(struct slabs *s, size_t align, size_t size)
{
	if (size > s->max_units << UNIT_SHIFT || align > s->max_units << UNIT_SHIFT)
		return NULL;
	size_t need = large_need(size);
	char *p = large_malloc(s, need + align + LMIN);
	if (!p)
		return NULL;
	struct lblock *b = lblock_of(p);
	uintptr_t want = align_up((uintptr_t)p, align);
	if (want != (uintptr_t)p) {
		while (want - (uintptr_t)p < LMIN)
			want += align;
		size_t gap = want - (uintptr_t)p, size_all = lsize(b);
		struct lblock *a = lblock_of((void *)want);
		a->size = (size_all - gap) | L_INUSE;
		a->prev_size = gap;
		lnext(a)->prev_size = size_all - gap;
		b->size = gap;
		s->live_large++;               /* both are "live" until the gap is freed */
		large_free(s, p);
		b = a;
	}
	lblock_trim(s, b, need);
	return (char *)b + LHDR;
}

/* ---- the table ------------------------------------------------------- */

static void *slab_init(struct heap *heap)
{
	if (heap->brk != 0)   /* units must be UNIT-aligned: start on a fresh heap */
		return NULL;
	char *u0 = heap_sbrk(heap, (intptr_t)UNIT);
	if (!u0)
		return NULL;
	struct slabs *s = (struct slabs *)u0;
	memset(s, 0, sizeof *s);
	s->heap = heap;
	s->base = u0;
	s->map = (uint8_t *)u0 + MAP_OFFSET;
	s->map_cap = MAP0_CAP;
	s->max_units = heap->reserved >> UNIT_SHIFT;
	s->nunits = 1;
	s->map[0] = U_META;
	for (unsigned c = 0; c < NCLASSES; c++) {
		s->partial[c].next = s->partial[c].prev = &s->partial[c];
		s->partial[c].cls = c;
	}
	s->spans.next = s->spans.prev = &s->spans;
	for (unsigned i = 0; i < NBINS; i++)
		s->bins[i].next = s->bins[i].prev = &s->bins[i];
	return s;
}

static void *slab_malloc(void *self, size_t size)
{
	struct slabs *s = state_of(self);
	if (size <= SMALL_MAX)
		return small_malloc(s, class_of(size));
	return large_malloc(s, size);
}

static void slab_free(void *self, void *ptr)
{
	struct slabs *s = state_of(self);
	if (!ptr)
		return;
	if (s->map[unit_index(s, ptr)] == U_SLAB)
		small_free(s, ptr);
	else
		large_free(s, ptr);
}

static size_t slab_usable_size(void *self, void *ptr)
{
	struct slabs *s = state_of(self);
	if (s->map[unit_index(s, ptr)] == U_SLAB)
		return slab_of(ptr)->size;
	return lsize(lblock_of(ptr)) - LHDR;
}

static void *slab_realloc(void *self, void *ptr, size_t size)
{
	struct slabs *s = state_of(self);
	if (!ptr)
		return slab_malloc(self, size);
	if (s->map[unit_index(s, ptr)] == U_SLAB) {
		if (size <= SMALL_MAX && slab_of(ptr)->cls == class_of(size))
			return ptr;
	} else if (size > SMALL_MAX && size <= s->max_units << UNIT_SHIFT) {
		struct lblock *b = lblock_of(ptr), *n = lnext(b);
		size_t need = large_need(size), have = lsize(b);
		if (need <= have) {
			lblock_trim(s, b, need);
			return ptr;
		}
		if (!(n->size & L_INUSE) && have + lsize(n) >= need) {
			bin_unlink(s, n);
			b->size = (have + lsize(n)) | L_INUSE;
			lnext(b)->prev_size = lsize(b);
			lblock_trim(s, b, need);
			return ptr;
		}
		/*
		 * Last block (maybe before a free one) of the chunk at the end of the
		 * heap: raise the break under it.
		 */
		char *chunk = s->top_chunk;
		struct lblock *after = (n->size & L_INUSE) ? n : lnext(n);
		if (chunk &&
		    (char *)after == chunk + (((struct chunk *)chunk)->nunits << UNIT_SHIFT) - LHDR &&
		    grow_top_chunk(s, need - have)) {
			n = lnext(b);
			bin_unlink(s, n);
			b->size = (have + lsize(n)) | L_INUSE;
			lnext(b)->prev_size = lsize(b);
			lblock_trim(s, b, need);
			return ptr;
		}
	}
	return alloc_realloc_by_copy(self, &alloc_slab, ptr, size);
}

static void *slab_calloc(void *self, size_t nmemb, size_t size)
{
	return alloc_calloc_via_malloc(self, slab_malloc, nmemb, size);
}

static void *slab_memalign(void *self, size_t align, size_t size)
{
	struct slabs *s = state_of(self);
	if (align <= HEAPLAB_ALIGN)
		return slab_malloc(self, size);
	/* Objects sit at multiples of their class size from a 64K-aligned slab start. */
	size_t want = size > align ? size : align;
	if (want <= SMALL_MAX)
		for (unsigned c = class_of(want); c < NCLASSES; c++)
			if (class_size[c] % align == 0)
				return small_malloc(s, c);
	return large_memalign(s, align, size);
}

/* ---- self-check ------------------------------------------------------ */

static unsigned long check_slab(struct slabs *s, size_t u, struct check_findings *r,
                                const uint64_t listlen[NCLASSES], uint64_t *live,
                                uint64_t *idle)
{
	unsigned long bad = 0;
	char *unit = unit_addr(s, u);
	struct slab *sl = slab_hdr(unit);
	if (sl->cls >= NCLASSES || sl->size != class_size[sl->cls] ||
	    sl->nobjs != (UNIT - SLAB_HDR) / sl->size || sl->carved > sl->nobjs ||
	    sl->nfree > sl->carved)
		return check_violation(r, "unit %zu: bad header (class %u size %u, %u objs, "
		                       "%u carved, %u free)", u, sl->cls, sl->size, sl->nobjs,
		                       sl->carved, sl->nfree);
	uint64_t seen[(UNIT / 16 + 63) / 64] = { 0 };
	uint32_t n = 0;
	for (struct obj *o = sl->free; o; o = o->next) {
		size_t off = (size_t)((char *)o - unit);
		if ((uintptr_t)o < (uintptr_t)unit || off >= (size_t)sl->carved * sl->size ||
		    off % sl->size) {
			bad += check_violation(r, "unit %zu: free object %p outside the carved "
			                       "objects or off a boundary", u, (void *)o);
			break;
		}
		size_t i = off / sl->size;
		if (seen[i >> 6] & ((uint64_t)1 << (i & 63))) {
			bad += check_violation(r, "unit %zu: object %zu on the free list twice",
			                       u, i);
			break;
		}
		seen[i >> 6] |= (uint64_t)1 << (i & 63);
		if (++n > sl->nfree)
			break;
	}
	if (n != sl->nfree)
		bad += check_violation(r, "unit %zu: free list has %s%u objects, count says %u",
		                       u, n > sl->nfree ? "more than " : "", n, sl->nfree);
	int room = sl->nfree || sl->carved < sl->nobjs;
	if (room != (sl->mark == s->epoch))
		bad += check_violation(r, "unit %zu: %s but %son its class list", u,
		                       room ? "has room" : "is full", room ? "not " : "");
	if (sl->nfree == sl->carved) {
		if (listlen[sl->cls] != 1)
			bad += check_violation(r, "unit %zu is empty but was not released", u);
		(*idle)++;
	}
	*live += sl->carved - sl->nfree;
	return bad;
}

static unsigned long check_chunk(struct slabs *s, size_t u, size_t n, struct check_findings *r,
                                 uint64_t *live, uint64_t *nfree)
{
	unsigned long bad = 0;
	char *chunk = unit_addr(s, u), *end = chunk + (n << UNIT_SHIFT) - LHDR;
	struct lblock *b = (struct lblock *)(chunk + LHDR);
	size_t prev = 0;
	int prev_free = 0, nblocks = 0;
	while ((char *)b < end) {
		size_t size = lsize(b);
		int isfree = !(b->size & L_INUSE);
		if (size < LMIN || size % 16 || size > (size_t)(end - (char *)b) ||
		    (b->size & 14)) {
			return bad + check_violation(r, "chunk at unit %zu: block at +%zu has "
			                             "bad size %zu", u, (size_t)((char *)b - chunk),
			                             b->size);
		}
		if (b->prev_size != prev)
			bad += check_violation(r, "chunk at unit %zu: block at +%zu says the one "
			                       "before is %zu bytes, it is %zu", u,
			                       (size_t)((char *)b - chunk), b->prev_size, prev);
		if (isfree) {
			if (prev_free)
				bad += check_violation(r, "chunk at unit %zu: adjacent free blocks "
				                       "at +%zu", u, (size_t)((char *)b - chunk));
			if (b->mark != s->epoch)
				bad += check_violation(r, "chunk at unit %zu: free block at +%zu is "
				                       "on no list", u, (size_t)((char *)b - chunk));
			(*nfree)++;
		} else {
			(*live)++;
		}
		prev = size;
		prev_free = isfree;
		nblocks++;
		b = (struct lblock *)((char *)b + size);
	}
	if ((char *)b != end || b->size != L_INUSE || b->prev_size != prev)
		bad += check_violation(r, "chunk at unit %zu: blocks do not end at its sentinel",
		                       u);
	else if (nblocks == 1 && prev_free)
		bad += check_violation(r, "chunk at unit %zu is all free but was not released",
		                       u);
	return bad;
}

/* The span list: free spans, each once, links agreeing; marks each with `epoch`. */
static unsigned long check_span_list(struct slabs *s, uint64_t epoch, struct check_findings *r,
                                     uint64_t *listed)
{
	unsigned long bad = 0;
	for (struct span *sp = s->spans.next, *pv = &s->spans; sp != &s->spans;
	     pv = sp, sp = sp->next) {
		if (!heap_contains(s->heap, sp, UNIT) || ((uintptr_t)sp & (UNIT - 1)) ||
		    s->map[unit_index(s, sp)] != U_FREE || sp->mark == epoch) {
			bad += check_violation(r, "span list holds %p, not a free span (or twice)",
			                       (void *)sp);
			break;
		}
		if (sp->prev != pv)
			bad += check_violation(r, "span %p: prev link disagrees", (void *)sp);
		sp->mark = epoch;
		(*listed)++;
	}
	return bad;
}

/* Each class's list of slabs with room: slabs of that class, each once. */
static unsigned long check_class_lists(struct slabs *s, uint64_t epoch, struct check_findings *r,
                                       uint64_t listlen[NCLASSES])
{
	unsigned long bad = 0;
	for (unsigned c = 0; c < NCLASSES; c++) {
		struct slab *h = &s->partial[c];
		for (struct slab *sl = h->next, *pv = h; sl != h; pv = sl, sl = sl->next) {
			char *unit = (char *)sl - (UNIT - SLAB_HDR);
			if (!heap_contains(s->heap, unit, UNIT) || ((uintptr_t)unit & (UNIT - 1)) ||
			    s->map[unit_index(s, unit)] != U_SLAB || sl->mark == epoch) {
				bad += check_violation(r, "class %u list holds %p, not a slab (or "
				                       "twice)", c, (void *)sl);
				break;
			}
			if (sl->cls != c)
				bad += check_violation(r, "class %u list holds a slab of class %u",
				                       c, sl->cls);
			if (sl->prev != pv)
				bad += check_violation(r, "class %u list: prev link disagrees", c);
			sl->mark = epoch;
			listlen[c]++;
		}
	}
	return bad;
}

/* The bins of free large blocks: each block free, in its bin, once; bitmap agrees. */
static unsigned long check_bins(struct slabs *s, uint64_t epoch, struct check_findings *r,
                                uint64_t *listed)
{
	unsigned long bad = 0;
	for (unsigned i = 0; i < NBINS; i++) {
		struct lblock *h = &s->bins[i];
		for (struct lblock *b = h->next, *pv = h; b != h; pv = b, b = b->next) {
			if (!heap_contains(s->heap, b, LMIN) || ((uintptr_t)b & 15) ||
			    (s->map[unit_index(s, b)] != U_LHEAD && s->map[unit_index(s, b)] != U_LBODY) ||
			    (b->size & L_INUSE) || b->mark == epoch ||
			    !heap_contains(s->heap, b, lsize(b))) {
				bad += check_violation(r, "bin %u holds %p, not a free large block "
				                       "(or twice)", i, (void *)b);
				break;
			}
			if (bin_of(lsize(b)) != i)
				bad += check_violation(r, "bin %u holds a block of %zu bytes", i,
				                       lsize(b));
			if (b->prev != pv)
				bad += check_violation(r, "bin %u: prev link disagrees", i);
			b->mark = epoch;
			(*listed)++;
		}
		int has = !!(s->binmap[i >> 6] & ((uint64_t)1 << (i & 63)));
		if (has != (h->next != h))
			bad += check_violation(r, "bin %u: bitmap bit disagrees with the list", i);
	}
	return bad;
}

/* What the walk over the units counted, for the comparison with the counters. */
struct unit_walk {
	uint64_t live_objs;   /* objects in use in slabs                 */
	uint64_t slabs;       /* slab units                              */
	uint64_t idle;        /* slabs with no object in use             */
	uint64_t live_large;  /* large blocks in use                     */
	uint64_t free_large;  /* free large blocks                       */
	uint64_t chunks;      /* chunks of large blocks                  */
	uint64_t spans;       /* free spans                              */
	uint64_t free_units;  /* units in those spans                    */
};

/*
 * The free span at unit u: its units marked free, its end tag, listed, not
 * followed by another free span.  Its length, or 0 when that is nonsense.
 */
static size_t check_span(struct slabs *s, size_t u, uint64_t epoch, struct check_findings *r,
                         unsigned long *bad)
{
	struct span *sp = (struct span *)unit_addr(s, u);
	size_t n = sp->nunits;
	if (n == 0 || n > s->nunits - u) {
		*bad += check_violation(r, "free span at unit %zu has length %zu", u, n);
		return 0;
	}
	for (size_t k = 1; k < n; k++)
		if (s->map[u + k] != U_FREE)
			*bad += check_violation(r, "unit %zu inside a free span is marked %u",
			                        u + k, s->map[u + k]);
	if (*(struct span **)(unit_addr(s, u + n) - sizeof(void *)) != sp)
		*bad += check_violation(r, "free span at unit %zu: end tag disagrees", u);
	if (sp->mark != epoch)
		*bad += check_violation(r, "free span at unit %zu is on no list", u);
	if (u + n < s->nunits && s->map[u + n] == U_FREE)
		*bad += check_violation(r, "free spans at units %zu and %zu did not coalesce",
		                        u, u + n);
	return n;
}

/*
 * Every unit, in order: the map and what each unit holds agree.  Returns 0
 * when a length or a mark makes the rest of the walk meaningless (the
 * totals are then not compared).
 */
static int walk_units(struct slabs *s, uint64_t epoch, const uint64_t listlen[NCLASSES],
                      struct check_findings *r, struct unit_walk *w, unsigned long *bad)
{
	if (s->map[0] != U_META)
		*bad += check_violation(r, "unit 0 (the state) is not marked as such");
	if (s->nunits > s->map_cap || s->map_unit + s->map_units > s->nunits ||
	    (s->map_units && s->map != (uint8_t *)unit_addr(s, s->map_unit))) {
		*bad += check_violation(r, "the map (%zu units at %zu, for %zu) does not "
		                        "describe the %zu units", s->map_units, s->map_unit,
		                        s->map_cap, s->nunits);
		return 0;
	}
	for (size_t u = 1; u < s->nunits;) {
		size_t n;
		switch (s->map[u]) {
		case U_META:
			if (u != s->map_unit || !s->map_units) {
				*bad += check_violation(r, "unit %zu is marked as the map, which is "
				                        "not there", u);
				return 0;
			}
			for (size_t k = 1; k < s->map_units; k++)
				if (s->map[u + k] != U_META)
					*bad += check_violation(r, "unit %zu of the map is marked %u",
					                        u + k, s->map[u + k]);
			u += s->map_units;
			break;
		case U_SLAB:
			*bad += check_slab(s, u, r, listlen, &w->live_objs, &w->idle);
			w->slabs++;
			u++;
			break;
		case U_FREE:
			if (!(n = check_span(s, u, epoch, r, bad)))
				return 0;
			w->spans++;
			w->free_units += n;
			u += n;
			break;
		case U_LHEAD:
			n = ((struct chunk *)unit_addr(s, u))->nunits;
			if (n == 0 || n > s->nunits - u) {
				*bad += check_violation(r, "chunk at unit %zu has length %zu", u, n);
				return 0;
			}
			for (size_t k = 1; k < n; k++)
				if (s->map[u + k] != U_LBODY)
					*bad += check_violation(r, "unit %zu inside a chunk is marked %u",
					                        u + k, s->map[u + k]);
			*bad += check_chunk(s, u, n, r, &w->live_large, &w->free_large);
			w->chunks++;
			u += n;
			break;
		default:
			*bad += check_violation(r, "unit %zu is marked %u where a slab, span or "
			                        "chunk should start", u, s->map[u]);
			return 0;
		}
	}
	return 1;
}

/* What the lists held and the walk met, against the running counters. */
static unsigned long check_totals(struct slabs *s, const struct unit_walk *w,
                                  uint64_t listed_spans, uint64_t listed_free,
                                  struct check_findings *r)
{
	unsigned long bad = 0;
	if (w->spans != listed_spans || w->free_units != s->free_units)
		bad += check_violation(r, "%llu free spans of %llu units walked, %llu listed, "
		                       "counter %llu units", (unsigned long long)w->spans,
		                       (unsigned long long)w->free_units,
		                       (unsigned long long)listed_spans,
		                       (unsigned long long)s->free_units);
	if (w->free_large != listed_free || w->free_large != s->free_large)
		bad += check_violation(r, "%llu free large blocks walked, %llu listed, counter "
		                       "%llu", (unsigned long long)w->free_large,
		                       (unsigned long long)listed_free,
		                       (unsigned long long)s->free_large);
	if (w->live_objs != s->live_objs || w->slabs != s->slabs ||
	    w->live_large != s->live_large || w->chunks != s->chunks)
		bad += check_violation(r, "walked %llu objects in %llu slabs, %llu large in "
		                       "%llu chunks; counters say %llu, %llu, %llu, %llu",
		                       (unsigned long long)w->live_objs, (unsigned long long)w->slabs,
		                       (unsigned long long)w->live_large,
		                       (unsigned long long)w->chunks,
		                       (unsigned long long)s->live_objs, (unsigned long long)s->slabs,
		                       (unsigned long long)s->live_large,
		                       (unsigned long long)s->chunks);
	if (w->idle != s->idle_slabs)
		bad += check_violation(r, "%llu idle slabs walked, counter says %llu",
		                       (unsigned long long)w->idle,
		                       (unsigned long long)s->idle_slabs);
	if (s->top_chunk && (s->map[unit_index(s, s->top_chunk)] != U_LHEAD ||
	    unit_index(s, s->top_chunk) + ((struct chunk *)s->top_chunk)->nunits != s->nunits))
		bad += check_violation(r, "the top chunk does not end at the break");
	return bad;
}

/*
 * The lists first (each marks what it holds with a new epoch), then the
 * walk over every unit, which expects each free thing it meets to carry
 * that mark, then the totals.
 */
static unsigned long slab_check(void *self, struct check_findings *r)
{
	struct slabs *s = state_of(self);
	unsigned long bad = 0;
	uint64_t epoch = ++s->epoch;
	uint64_t listed_spans = 0, listed_free = 0, listlen[NCLASSES] = { 0 };
	struct unit_walk w = { 0 };
	check_as(r, "slab");

	if (s->nunits << UNIT_SHIFT != s->heap->brk || s->base != heap_start(s->heap))
		return check_violation(r, "%zu units do not tile the break %zu",
		                       s->nunits, s->heap->brk);
	bad += check_span_list(s, epoch, r, &listed_spans);
	bad += check_class_lists(s, epoch, r, listlen);
	bad += check_bins(s, epoch, r, &listed_free);
	if (walk_units(s, epoch, listlen, r, &w, &bad))
		bad += check_totals(s, &w, listed_spans, listed_free, r);
	return bad;
}

static void slab_stats(void *self, stat_sink sink, void *ctx)
{
	struct slabs *s = state_of(self);
	sink(ctx, "units", s->nunits);
	sink(ctx, "slabs", s->slabs);
	sink(ctx, "slabs_released", s->slabs_released);
	sink(ctx, "idle_slabs", s->idle_slabs);
	sink(ctx, "live_objects", s->live_objs);
	sink(ctx, "chunks", s->chunks);
	sink(ctx, "live_large", s->live_large);
	sink(ctx, "free_large", s->free_large);
	sink(ctx, "free_units", s->free_units);
}

const struct allocator alloc_slab = {
	.name        = "slab",
	.description = "24 size classes in 64 KiB slabs, boundary-tag chunks above 2 KiB",
	.init        = slab_init,
	.malloc      = slab_malloc,
	.free        = slab_free,
	.realloc     = slab_realloc,
	.calloc      = slab_calloc,
	.memalign    = slab_memalign,
	.usable_size = slab_usable_size,
	.check       = slab_check,
	.stats       = slab_stats,
};
