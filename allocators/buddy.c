/*
 * buddy.c - binary buddy system with out-of-block state bytes.
 *
 * Algorithm (Knowlton 1965; Knuth, TAOCP vol. 1, 2.5, "the buddy system"):
 * every block is 2^k bytes, 32 <= 2^k <= 512 KiB, and starts at an offset that
 * is a multiple of 2^k.  malloc rounds the request up to a power of two, takes
 * the smallest free block of at least that order (a bitmap of non-empty lists
 * and one ctz find it) and splits it in halves, freeing the upper half each
 * time, until it has the right order.  free looks at the buddy (offset XOR
 * 2^k): while the buddy is a whole free block of the same order it is
 * unlinked and the two merge.  Free lists are per order (and per kind of top,
 * see Placement), doubly linked and circular, so a buddy leaves its list in
 * O(1).
 *
 * Layout.  The heap is cut into "tops": 1 MiB, 1 MiB-aligned regions (the
 * provider's base is 1 GiB-aligned, so offsets from the heap start and
 * addresses agree on every alignment up to 1 GiB).  A directory with one byte
 * per top says what each top is:
 *   - SMALL or BIG: a buddy arena.  Its first 32 KiB is its state table: one
 *     byte per 32-byte unit, holding, at the unit where a block starts, the
 *     block's order and a free bit.  The table is itself the top's first
 *     order-15 block, permanently allocated, so the rest of the top is ordinary
 *     blocks (when all free: orders 15..19 at 32K, 64K, 128K, 256K, 512K).
 *     Bytes 1..1023 of the table describe units inside the table itself and
 *     are never read as block states; the top's live-block count lives there.
 *   - FREE: unused, available to seed a buddy arena or to a large block.
 *   - LARGE_HEAD followed by LARGE_BODY tops: one large block (a request over
 *     512 KiB, or an alignment over 512 KiB), a run of whole tops, payload at
 *     the run's first byte, length = the run of BODY bytes after the HEAD.
 * Top 0 (a SMALL top) also holds this module's state struct and the
 * directory, in a second permanently allocated order-15 block at 32 KiB; top 0
 * is never released.
 *
 * Placement: orders up to 11 (2 KiB) are served only from SMALL tops, larger
 * ones only from BIG tops, each kind with its own set of per-order lists.
 * This is a policy over which free block to take, not a change to the buddy
 * rules: blocks still split and merge only with their buddies.  It matters:
 * on a random mix of mostly small and some 2..70 KB requests, with one set
 * of lists long-lived small blocks ended up in nearly every 64..128 KiB
 * region and the peak break grew to 4.9x the peak live bytes; with the two
 * kinds, 2.0x (power-of-two rounding alone accounts for ~1.33x).
 *
 * Metadata cost: 1/32 of every buddy top (3.1%) for the state table, plus
 * 32 KiB once.  In exchange no block carries a header: malloc(64) takes exactly
 * a 64-byte block, internal fragmentation is only the power-of-two rounding
 * (about 25% of the block on uniformly spread sizes), and the buddy's state is
 * read from the table, never from user memory.  Free blocks hold their list
 * links in themselves (they are ours).  The minimum block is 32 bytes (a
 * byte per 16 bytes would double the table for little gain).  Large blocks
 * round up to whole MiB (less than 1 MiB, and less than half the request,
 * lost).  The first top is taken at init, so the break starts at 1 MiB.  The
 * directory caps the heap at BUDDY_MAX_TOPS tops (31 GiB); beyond that malloc
 * returns NULL.
 *
 * Growth: a buddy top is seeded when no list of a sufficient order has a
 * block, from a FREE top if there is one, else by raising the break by one top
 * (1 MiB).  A top whose last block is freed (everything merged back) is
 * retired to FREE; free tops at the end of the heap are given back to the
 * provider once there are BUDDY_TRIM_TOPS of them.  Large blocks take the
 * first run of free tops that fits (a byte scan of the directory), or the free
 * tops at the end of the heap plus a raise of the break.
 *
 * Time: malloc and free O(log n) in the number of orders (at most 14 splits or
 * merges); seeding a top and large blocks scan the directory, O(tops).
 * realloc: O(log n) in place when the new order fits (shrinking splits off the
 * upper halves; growing absorbs free upper buddies), else malloc+copy+free.
 * memalign: an order-k block is 2^k-aligned, so the order is
 * max(order(size), log2(align)); alignments over 512 KiB use a large run.
 */
#include "allocator.h"

#include <string.h>

#define MIN_ORDER    5                      /* 32-byte blocks: table is 1/32 of a top  */
#define TOP_ORDER    20                     /* tops are 1 MiB                          */
#define MAX_ORDER    (TOP_ORDER - 1)        /* largest buddy block: half a top         */
#define META_ORDER   (TOP_ORDER - MIN_ORDER) /* the state table is an order-15 block   */
#define TOP_SIZE     ((size_t)1 << TOP_ORDER)
#define META_SIZE    ((size_t)1 << META_ORDER)
#define MAX_BLOCK    ((size_t)1 << MAX_ORDER)
#define NORDERS      (MAX_ORDER + 1)

#define ST_ORDER     0x3f                   /* state byte: order of the block here     */
#define ST_FREE      0x40                   /* ... it is free (on its order's list)    */
#define ST_MARK      0x80                   /* ... seen on a list by the self-check    */

enum { TOP_FREE = 0, TOP_LARGE_HEAD = 1, TOP_LARGE_BODY = 2, TOP_SMALL = 3, TOP_BIG = 4 };

/*
 * Placement: requests of order <= SMALL_POOL_MAX take blocks only from "small"
 * buddy tops, bigger ones only from "big" tops; each kind has its own lists.
 * Without this, a few long-lived small blocks scattered over every top pin
 * the 64K..512K regions that big requests need, and the heap keeps growing.
 */
#ifndef SMALL_POOL_MAX
#define SMALL_POOL_MAX 11
#endif
#define NPOOLS 2

#define BUDDY_MAX_TOPS  (META_SIZE - 1024)  /* directory bytes after the state struct  */
#define BUDDY_TRIM_TOPS 4                   /* trailing free tops before giving back   */
#define HDR_OFFSET   64                     /* per-top header inside the table's spare */

_Static_assert((META_SIZE >> MIN_ORDER) == 1024, "bytes 0..1023 of a table are spare");
_Static_assert(HDR_OFFSET + 8 <= 1024, "the top header sits in the spare bytes");

const struct allocator alloc_buddy;

struct fnode {                              /* a free block's first 16 bytes           */
	struct fnode *next, *prev;
};
_Static_assert(sizeof(struct fnode) <= ((size_t)1 << MIN_ORDER), "links fit a min block");

struct top_hdr {                            /* in the spare bytes of a buddy top's table */
	uint32_t live;                      /* allocated blocks in this top             */
};

struct buddy {
	struct heap  *heap;                 /* where every top comes from               */
	char         *base;                 /* heap start = top 0                        */
	struct fnode  lists[NPOOLS][NORDERS]; /* circular free lists per pool and order  */
	uint32_t      nonempty[NPOOLS];     /* bit k: lists[pool][k] has a block         */
	uint64_t      nfree[NORDERS];       /* blocks on each list                       */
	size_t        ntops;                /* tops below the break                      */
	size_t        free_tops;            /* of which FREE                             */
	uint64_t      live_blocks;          /* buddy blocks handed out                   */
	uint64_t      live_bytes;           /* their total size (2^order each)           */
	uint64_t      large_blocks;         /* large runs handed out                     */
	uint64_t      large_tops;           /* tops in those runs                        */
	uint64_t      splits, merges;       /* for stats                                 */
	uint64_t      seeds, retires;       /* tops turned into / out of buddy arenas    */
	uint8_t      *dir;                  /* one byte per top (follows this struct)    */
};
_Static_assert(sizeof(struct buddy) <= 1024, "state leaves the directory its room");

/* ---- small helpers ---------------------------------------------------- */

static inline char *top_of(const void *p)
{
	return (char *)((uintptr_t)p & ~(uintptr_t)(TOP_SIZE - 1));
}

static inline size_t top_index(const struct buddy *b, const void *p)
{
	return (size_t)((const char *)p - b->base) >> TOP_ORDER;
}

static inline uint8_t *state_at(const void *p)
{
	char *top = top_of(p);
	return (uint8_t *)top + (((const char *)p - top) >> MIN_ORDER);
}

static inline struct top_hdr *hdr_of(char *top) { return (struct top_hdr *)(top + HDR_OFFSET); }

static inline unsigned order_for(size_t size)
{
	if (size <= ((size_t)1 << MIN_ORDER))
		return MIN_ORDER;
	return 64 - (unsigned)__builtin_clzll(size - 1);
}

static inline int is_buddy_top(uint8_t d) { return d >= TOP_SMALL; }
static inline unsigned pool_of(uint8_t d)   { return d == TOP_BIG; }
static inline unsigned pool_for(unsigned k) { return k > SMALL_POOL_MAX; }

static inline void list_push(struct buddy *b, unsigned pool, unsigned k, void *p)
{
	struct fnode *n = p, *h = &b->lists[pool][k];
	n->next = h->next;
	n->prev = h;
	h->next->prev = n;
	h->next = n;
	b->nonempty[pool] |= 1u << k;
	b->nfree[k]++;
	*state_at(p) = (uint8_t)(ST_FREE | k);
}

static inline void list_unlink(struct buddy *b, unsigned pool, unsigned k, void *p)
{
	struct fnode *n = p;
	n->prev->next = n->next;
	n->next->prev = n->prev;
	b->nfree[k]--;
	if (b->lists[pool][k].next == &b->lists[pool][k])
		b->nonempty[pool] &= ~(1u << k);
}

/* ---- tops ---------------------------------------------------------- */

/* Raise the break by `n` tops; they become FREE.  0 when refused. */
static int grow_tops(struct buddy *b, size_t n)
{
	if (b->ntops + n > BUDDY_MAX_TOPS || n > (size_t)PTRDIFF_MAX >> TOP_ORDER)
		return 0;
	if (!heap_sbrk(b->heap, (intptr_t)(n << TOP_ORDER)))
		return 0;
	memset(b->dir + b->ntops, TOP_FREE, n);
	b->ntops += n;
	b->free_tops += n;
	return 1;
}

/* Give trailing free tops back once there are enough of them, keeping one. */
static void trim_tops(struct buddy *b)
{
	size_t n = 0;
	while (n < b->ntops - 1 && b->dir[b->ntops - 1 - n] == TOP_FREE)
		n++;
	if (n < BUDDY_TRIM_TOPS)
		return;
	n--;
	if (heap_sbrk(b->heap, -(intptr_t)(n << TOP_ORDER))) {
		b->ntops -= n;
		b->free_tops -= n;
	}
}

/* Turn FREE top `i` into a buddy arena: table + one free block per order 15..19. */
static void seed_top(struct buddy *b, size_t i, unsigned pool)
{
	char *top = b->base + (i << TOP_ORDER);
	b->dir[i] = pool ? TOP_BIG : TOP_SMALL;
	b->free_tops--;
	b->seeds++;
	top[0] = META_ORDER;
	hdr_of(top)->live = 0;
	for (unsigned k = META_ORDER; k <= MAX_ORDER; k++)
		list_push(b, pool, k, top + ((size_t)1 << k));
}

/* A buddy top that is all free again (table + free 15..19) goes back to FREE. */
static void retire_top(struct buddy *b, char *top)
{
	size_t i = top_index(b, top);
	for (unsigned k = META_ORDER; k <= MAX_ORDER; k++)
		list_unlink(b, pool_of(b->dir[i]), k, top + ((size_t)1 << k));
	b->dir[i] = TOP_FREE;
	b->free_tops++;
	b->retires++;
	trim_tops(b);
}

static int find_free_top(struct buddy *b, size_t *out)
{
	if (b->free_tops) {
		const uint8_t *hit = memchr(b->dir, TOP_FREE, b->ntops);
		if (hit) {
			*out = (size_t)(hit - b->dir);
			return 1;
		}
	}
	if (!grow_tops(b, 1))
		return 0;
	*out = b->ntops - 1;
	return 1;
}

/*
 * First run of `n` free tops whose first top is aligned to `atops` tops
 * (a power of two), raising the break when only the end of the heap will do.
 */
static int find_run(struct buddy *b, size_t n, size_t atops, size_t *out)
{
	size_t run = 0;   /* start of the current run of free tops */
	if (b->free_tops >= n) {
		for (size_t i = 0; i < b->ntops; i++) {
			if (b->dir[i] != TOP_FREE) {
				run = i + 1;
				continue;
			}
			size_t s = align_up(run, atops);
			if (s + n == i + 1) {
				*out = s;
				return 1;
			}
		}
	} else {
		run = b->ntops;
		while (run > 0 && b->dir[run - 1] == TOP_FREE)
			run--;
	}
	size_t s = align_up(run, atops);
	if (s + n > BUDDY_MAX_TOPS || !grow_tops(b, s + n - b->ntops))
		return 0;
	*out = s;
	return 1;
}

/* ---- buddy blocks ---------------------------------------------------- */

static void *buddy_take(struct buddy *b, unsigned k)
{
	unsigned pool = pool_for(k);
	uint32_t avail = b->nonempty[pool] >> k;
	if (!avail) {
		size_t i;
		if (!find_free_top(b, &i))
			return NULL;
		seed_top(b, i, pool);
		avail = b->nonempty[pool] >> k;
	}
	unsigned j = k + (unsigned)__builtin_ctz(avail);
	char *p = (char *)b->lists[pool][j].next;
	list_unlink(b, pool, j, p);
	while (j > k) {
		j--;
		list_push(b, pool, j, p + ((size_t)1 << j));
		b->splits++;
	}
	*state_at(p) = (uint8_t)k;
	hdr_of(top_of(p))->live++;
	b->live_blocks++;
	b->live_bytes += (size_t)1 << k;
	return p;
}

static void buddy_release(struct buddy *b, char *p)
{
	char *top = top_of(p);
	uint8_t *table = (uint8_t *)top;
	size_t off = (size_t)(p - top);
	unsigned k = *state_at(p) & ST_ORDER, pool = pool_of(b->dir[top_index(b, top)]);

	b->live_blocks--;
	b->live_bytes -= (size_t)1 << k;
	while (k < MAX_ORDER) {
		size_t boff = off ^ ((size_t)1 << k);
		if (table[boff >> MIN_ORDER] != (ST_FREE | k))
			break;
		list_unlink(b, pool, k, top + boff);
		off &= ~((size_t)1 << k);
		k++;
		b->merges++;
	}
	list_push(b, pool, k, top + off);
	if (--hdr_of(top)->live == 0 && top != b->base)
		retire_top(b, top);
}

/* ---- large runs ------------------------------------------------------ */

static size_t large_tops_of(const struct buddy *b, size_t i)
{
	size_t n = 1;
	while (i + n < b->ntops && b->dir[i + n] == TOP_LARGE_BODY)
		n++;
	return n;
}

static void *large_take(struct buddy *b, size_t size, size_t align)
{
	if (size > (size_t)BUDDY_MAX_TOPS << TOP_ORDER)
		return NULL;
	size_t n = (size + TOP_SIZE - 1) >> TOP_ORDER;
	size_t atops = align > TOP_SIZE ? align >> TOP_ORDER : 1;
	size_t s;
	if (!find_run(b, n, atops, &s))
		return NULL;
	b->dir[s] = TOP_LARGE_HEAD;
	memset(b->dir + s + 1, TOP_LARGE_BODY, n - 1);
	b->free_tops -= n;
	b->large_blocks++;
	b->large_tops += n;
	return b->base + (s << TOP_ORDER);
}

static void large_release(struct buddy *b, size_t i)
{
	size_t n = large_tops_of(b, i);
	memset(b->dir + i, TOP_FREE, n);
	b->free_tops += n;
	b->large_blocks--;
	b->large_tops -= n;
	trim_tops(b);
}

/* ---- the table ------------------------------------------------------- */

static void *buddy_init(struct heap *heap)
{
	if (heap->brk != 0)   /* tops must be TOP_SIZE-aligned: start on a fresh heap */
		return NULL;
	char *top = heap_sbrk(heap, (intptr_t)TOP_SIZE);
	if (!top)
		return NULL;
	struct buddy *b = (struct buddy *)(top + META_SIZE);
	memset(b, 0, sizeof *b);
	b->heap = heap;
	b->base = top;
	b->dir = (uint8_t *)b + 1024;
	for (unsigned pool = 0; pool < NPOOLS; pool++)
		for (unsigned k = 0; k < NORDERS; k++)
			b->lists[pool][k].next = b->lists[pool][k].prev = &b->lists[pool][k];
	b->ntops = 1;
	b->dir[0] = TOP_SMALL;
	/* Top 0: the table at 0 and this state at 32K are allocated order-15 blocks. */
	top[0] = META_ORDER;
	top[META_SIZE >> MIN_ORDER] = META_ORDER;
	hdr_of(top)->live = 0;
	for (unsigned k = META_ORDER + 1; k <= MAX_ORDER; k++)
		list_push(b, 0, k, top + ((size_t)1 << k));
	return b;
}

static void *buddy_malloc(void *self, size_t size)
{
	struct buddy *b = self;
	if (size <= MAX_BLOCK)
		return buddy_take(b, order_for(size));
	return large_take(b, size, TOP_SIZE);
}

static void buddy_free(void *self, void *ptr)
{
	struct buddy *b = self;
	if (!ptr)
		return;
	size_t i = top_index(b, ptr);
	if (is_buddy_top(b->dir[i]))
		buddy_release(b, ptr);
	else
		large_release(b, i);
}

static size_t buddy_usable_size(void *self, void *ptr)
{
	struct buddy *b = self;
	size_t i = top_index(b, ptr);
	if (is_buddy_top(b->dir[i]))
		return (size_t)1 << (*state_at(ptr) & ST_ORDER);
	return large_tops_of(b, i) << TOP_ORDER;
}

/* Grow block p of order k to order nk in place if its upper buddies are free. */
static int buddy_grow_in_place(struct buddy *b, char *p, unsigned k, unsigned nk)
{
	char *top = top_of(p);
	size_t off = (size_t)(p - top);
	unsigned pool = pool_of(b->dir[top_index(b, top)]);
	if (off & (((size_t)1 << nk) - 1))
		return 0;   /* p is an upper buddy at some level: nothing above to absorb */
	for (unsigned j = k; j < nk; j++)
		if (*state_at(p + ((size_t)1 << j)) != (ST_FREE | j))
			return 0;
	for (unsigned j = k; j < nk; j++)
		list_unlink(b, pool, j, p + ((size_t)1 << j));
	*state_at(p) = (uint8_t)nk;
	b->live_bytes += ((size_t)1 << nk) - ((size_t)1 << k);
	b->merges += nk - k;
	return 1;
}

/* Shrink block p from order k to nk: the upper halves are freed (their buddy is p). */
static void buddy_shrink(struct buddy *b, char *p, unsigned k, unsigned nk)
{
	unsigned pool = pool_of(b->dir[top_index(b, p)]);
	for (unsigned j = nk; j < k; j++)
		list_push(b, pool, j, p + ((size_t)1 << j));
	*state_at(p) = (uint8_t)nk;
	b->live_bytes -= ((size_t)1 << k) - ((size_t)1 << nk);
	b->splits += k - nk;
}

static void *buddy_realloc(void *self, void *ptr, size_t size)
{
	struct buddy *b = self;
	if (!ptr)
		return buddy_malloc(self, size);
	size_t i = top_index(b, ptr);
	if (is_buddy_top(b->dir[i])) {
		if (size <= MAX_BLOCK) {
			unsigned k = *state_at(ptr) & ST_ORDER, nk = order_for(size);
			if (nk == k)
				return ptr;
			if (nk < k) {
				buddy_shrink(b, ptr, k, nk);
				return ptr;
			}
			if (buddy_grow_in_place(b, ptr, k, nk))
				return ptr;
		}
	} else {
		size_t n = large_tops_of(b, i);
		if (size > (size_t)BUDDY_MAX_TOPS << TOP_ORDER)
			return NULL;   /* more tops than the directory holds: never fits */
		size_t nn = (size + TOP_SIZE - 1) >> TOP_ORDER;   /* cannot wrap now */
		if (size > MAX_BLOCK && nn <= n) {
			/* Keep the pointer; give the tail tops back. */
			memset(b->dir + i + nn, TOP_FREE, n - nn);
			b->free_tops += n - nn;
			b->large_tops -= n - nn;
			trim_tops(b);
			return ptr;
		}
		if (size > MAX_BLOCK) {
			/* Absorb free tops after the run, raising the break if it ends there. */
			size_t end = i + n, have = 0;
			while (end + have < b->ntops && have < nn - n &&
			       b->dir[end + have] == TOP_FREE)
				have++;
			if (have == nn - n ||
			    (end + have == b->ntops && grow_tops(b, nn - n - have))) {
				memset(b->dir + end, TOP_LARGE_BODY, nn - n);
				b->free_tops -= nn - n;
				b->large_tops += nn - n;
				return ptr;
			}
		}
	}
	return alloc_realloc_by_copy(self, &alloc_buddy, ptr, size);
}

static void *buddy_calloc(void *self, size_t nmemb, size_t size)
{
	return alloc_calloc_via_malloc(self, buddy_malloc, nmemb, size);
}

static void *buddy_memalign(void *self, size_t align, size_t size)
{
	struct buddy *b = self;
	if (align > HEAP_BASE_ALIGN)
		return NULL;   /* only the base's own alignment is guaranteed */
	if (size <= MAX_BLOCK && align <= MAX_BLOCK) {
		unsigned k = order_for(size);
		unsigned ak = align > 1 ? 64 - (unsigned)__builtin_clzll(align - 1) : 0;
		return buddy_take(b, k > ak ? k : ak);
	}
	return large_take(b, size, align > TOP_SIZE ? align : TOP_SIZE);
}

/* ---- self-check ------------------------------------------------------ */

/* Could p start a block of order k in a top of `pool`: aligned, not a table? */
static int plausible_block(const struct buddy *b, const void *p, unsigned pool, unsigned k)
{
	if (!heap_contains(b->heap, p, (size_t)1 << k))
		return 0;
	uint8_t d = b->dir[top_index(b, p)];
	if (!is_buddy_top(d) || pool_of(d) != pool)
		return 0;
	size_t off = (size_t)((const char *)p - top_of(p));
	return off >= META_SIZE && (off & (((size_t)1 << k) - 1)) == 0;
}

/* Walk one buddy top block by block; free blocks must carry a list mark. */
static unsigned long check_top(struct buddy *b, size_t i, struct check_findings *r,
                               uint64_t nfree[NORDERS], uint64_t *live, uint64_t *bytes)
{
	unsigned long bad = 0;
	char *top = b->base + (i << TOP_ORDER);
	uint8_t *table = (uint8_t *)top;
	size_t off = 0, poff = 0;
	unsigned pk = 0, pfree = 0;
	uint64_t top_live = 0;

	while (off < TOP_SIZE) {
		uint8_t *st = &table[off >> MIN_ORDER];
		unsigned k = *st & ST_ORDER, isfree = !!(*st & ST_FREE);
		int meta = off == 0 || (i == 0 && off == META_SIZE);
		if (k < MIN_ORDER || k > MAX_ORDER || (off & (((size_t)1 << k) - 1)) ||
		    (meta && (k != META_ORDER || isfree))) {
			bad += check_violation(r, "top %zu offset %zu: bad state byte 0x%02x",
			                       i, off, *st);
			return bad;   /* cannot know where the next block starts */
		}
		if (isfree) {
			if (!(*st & ST_MARK))
				bad += check_violation(r, "free block at top %zu offset %zu "
				                       "(order %u) is on no list", i, off, k);
			*st &= (uint8_t)~ST_MARK;
			nfree[k]++;
			if (pfree && pk == k && !(poff & ((size_t)1 << k)))
				bad += check_violation(r, "free buddies of order %u at top %zu "
				                       "offsets %zu and %zu did not merge", k, i, poff, off);
		} else {
			if (*st & ST_MARK) {
				bad += check_violation(r, "allocated block at top %zu offset %zu "
				                       "is marked", i, off);
				*st &= (uint8_t)~ST_MARK;
			}
			if (!meta) {
				top_live++;
				*bytes += (size_t)1 << k;
			}
		}
		poff = off;
		pk = k;
		pfree = isfree;
		off += (size_t)1 << k;
	}
	if (top_live != hdr_of(top)->live)
		bad += check_violation(r, "top %zu has %llu allocated blocks, header says %u",
		                       i, (unsigned long long)top_live, hdr_of(top)->live);
	if (top_live == 0 && i != 0)
		bad += check_violation(r, "top %zu is all free but was not retired", i);
	*live += top_live;
	return bad;
}

/* What the lists and the walk over the tops counted. */
struct buddy_tally {
	uint64_t listed[NORDERS];             /* list nodes per order                 */
	uint64_t listed_in[NPOOLS][NORDERS];  /* ... per pool                         */
	uint64_t nfree[NORDERS];              /* free blocks the walk met, per order  */
	uint64_t live, bytes;                 /* allocated blocks met, their bytes    */
	uint64_t free_tops;                   /* tops wholly free                     */
	uint64_t large, large_tops;           /* large blocks, the tops they span     */
};

/* Every list node a plausible free block of its order, links agree; mark it. */
static unsigned long check_lists(struct buddy *b, struct check_findings *r, struct buddy_tally *t)
{
	unsigned long bad = 0;
	for (unsigned pool = 0; pool < NPOOLS; pool++)
	for (unsigned k = 0; k < NORDERS; k++) {
		struct fnode *h = &b->lists[pool][k], *prev = h;
		for (struct fnode *n = h->next; n != h; prev = n, n = n->next) {
			if (k < MIN_ORDER || !plausible_block(b, n, pool, k)) {
				bad += check_violation(r, "list %u/%u holds %p, not a block of "
				                       "that order in a top of that kind", pool, k,
				                       (void *)n);
				break;
			}
			uint8_t *st = state_at(n);
			if (*st & ST_MARK) {
				bad += check_violation(r, "block %p is on a list twice", (void *)n);
				break;
			}
			if ((*st & ~ST_MARK) != (ST_FREE | k)) {
				bad += check_violation(r, "list %u holds %p whose state is 0x%02x",
				                       k, (void *)n, *st);
				break;   /* not a free block: its links are not ours to follow */
			}
			if (n->prev != prev)
				bad += check_violation(r, "list %u: %p->prev disagrees", k, (void *)n);
			*st |= ST_MARK;
			t->listed[k]++;
			t->listed_in[pool][k]++;
		}
		if (!!(b->nonempty[pool] & (1u << k)) != (h->next != h))
			bad += check_violation(r, "non-empty bit %u/%u disagrees with its list",
			                       pool, k);
	}
	return bad;
}

/* Walk every top by its directory byte; the block walk clears the marks it meets. */
static unsigned long check_tops(struct buddy *b, struct check_findings *r, struct buddy_tally *t)
{
	unsigned long bad = 0;
	for (size_t i = 0; i < b->ntops; i++) {
		switch (b->dir[i]) {
		case TOP_FREE:
			t->free_tops++;
			break;
		case TOP_SMALL:
		case TOP_BIG:
			bad += check_top(b, i, r, t->nfree, &t->live, &t->bytes);
			break;
		case TOP_LARGE_HEAD: {
			size_t n = large_tops_of(b, i);
			t->large++;
			t->large_tops += n;
			i += n - 1;
			break;
		}
		default:
			bad += check_violation(r, "top %zu has directory byte %u", i, b->dir[i]);
		}
	}
	return bad;
}

/*
 * Marks the walk did not clear belong to list nodes that are not block
 * starts (cleared here); then lists, walk and counters must agree per order.
 */
static unsigned long check_orders(struct buddy *b, struct check_findings *r,
                                  const struct buddy_tally *t)
{
	unsigned long bad = 0;
	for (unsigned k = MIN_ORDER; k < NORDERS; k++) {
		for (unsigned pool = 0; pool < NPOOLS; pool++) {
			struct fnode *h = &b->lists[pool][k];
			uint64_t seen = 0;
			for (struct fnode *n = h->next; n != h && seen < t->listed_in[pool][k];
			     n = n->next, seen++) {
				uint8_t *st = state_at(n);
				if (*st & ST_MARK) {
					bad += check_violation(r, "list %u/%u node %p is not a "
					                       "block start", pool, k, (void *)n);
					*st &= (uint8_t)~ST_MARK;
				}
			}
		}
		if (t->listed[k] != t->nfree[k] || t->listed[k] != b->nfree[k])
			bad += check_violation(r, "order %u: %llu blocks listed, %llu free, "
			                       "counter %llu", k, (unsigned long long)t->listed[k],
			                       (unsigned long long)t->nfree[k],
			                       (unsigned long long)b->nfree[k]);
	}
	return bad;
}

static unsigned long buddy_check(void *self, struct check_findings *r)
{
	struct buddy *b = self;
	unsigned long bad = 0;
	struct buddy_tally t = { 0 };
	check_as(r, "buddy");

	if (b->ntops << TOP_ORDER != b->heap->brk || b->base != heap_start(b->heap))
		return check_violation(r, "%zu tops do not tile the break %zu",
		                       b->ntops, b->heap->brk);
	if (!is_buddy_top(b->dir[0]))
		bad += check_violation(r, "top 0 (holding the state) is not a buddy top");
	bad += check_lists(b, r, &t);
	bad += check_tops(b, r, &t);
	bad += check_orders(b, r, &t);
	if (t.live != b->live_blocks || t.bytes != b->live_bytes)
		bad += check_violation(r, "walked %llu blocks of %llu bytes, counters say "
		                       "%llu of %llu", (unsigned long long)t.live,
		                       (unsigned long long)t.bytes,
		                       (unsigned long long)b->live_blocks,
		                       (unsigned long long)b->live_bytes);
	if (t.free_tops != b->free_tops || t.large != b->large_blocks ||
	    t.large_tops != b->large_tops)
		bad += check_violation(r, "tops: %llu free, %llu large in %llu; counters "
		                       "say %zu, %llu, %llu", (unsigned long long)t.free_tops,
		                       (unsigned long long)t.large, (unsigned long long)t.large_tops,
		                       b->free_tops, (unsigned long long)b->large_blocks,
		                       (unsigned long long)b->large_tops);
	return bad;
}

static void buddy_stats(void *self, stat_sink sink, void *ctx)
{
	struct buddy *b = self;
	sink(ctx, "tops", b->ntops);
	sink(ctx, "free_tops", b->free_tops);
	sink(ctx, "live_blocks", b->live_blocks);
	sink(ctx, "live_block_bytes", b->live_bytes);
	sink(ctx, "large_blocks", b->large_blocks);
	sink(ctx, "splits", b->splits);
	sink(ctx, "merges", b->merges);
	sink(ctx, "tops_seeded", b->seeds);
	sink(ctx, "tops_retired", b->retires);
	_Static_assert(MIN_ORDER == 5 && NORDERS == 20, "one stat name per order");
	static const char *const names[NORDERS] = {
		[5] = "free_order_5", [6] = "free_order_6", [7] = "free_order_7",
		[8] = "free_order_8", [9] = "free_order_9", [10] = "free_order_10",
		[11] = "free_order_11", [12] = "free_order_12", [13] = "free_order_13",
		[14] = "free_order_14", [15] = "free_order_15", [16] = "free_order_16",
		[17] = "free_order_17", [18] = "free_order_18", [19] = "free_order_19",
	};
	for (unsigned k = MIN_ORDER; k < NORDERS; k++)
		sink(ctx, names[k], b->nfree[k]);
}

const struct allocator alloc_buddy = {
	.name        = "buddy",
	.description = "binary buddy system, 32 B..512 KiB blocks, state bytes outside blocks",
	.init        = buddy_init,
	.malloc      = buddy_malloc,
	.free        = buddy_free,
	.realloc     = buddy_realloc,
	.calloc      = buddy_calloc,
	.memalign    = buddy_memalign,
	.usable_size = buddy_usable_size,
	.check       = buddy_check,
	.stats       = buddy_stats,
};
