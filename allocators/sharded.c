/*
 * sharded.c - free-list sharding: size-class pages with a free list each,
 * per-thread heaps (the design mimalloc made known).  The speed-first
 * built-in, and thread-safe by itself.
 *
 * Algorithm: requests up to SMALL_MAX (1 KiB) are rounded to one of 20 size
 * classes (16-byte steps to 128, then four classes per power of two) and
 * served from 16 KiB pages.  A page holds blocks of one class only and
 * starts with its header (struct page) at a 16 KiB-aligned address, so the
 * page of any small block is its address with the low 14 bits cleared:
 * small blocks carry no header at all.  Each page has its own free list
 * ("free-list sharding": the lists are short and local, and a page's blocks
 * stay together) and a bump pointer over the part never handed out, so a
 * fresh page costs nothing up front.  malloc pops from the first page of its
 * class; when that page has nothing left it bumps, collects the page's
 * remote frees, or moves on to the next page of the class (a page with
 * nothing free goes to the heap's "full" list), and only then takes a new
 * page.
 *
 * Threads: every thread has its own heap (its own page queues), found
 * through a thread-local pointer tagged with the instance's generation, so
 * malloc, and free by the page's owner, take no lock and no atomic
 * operation.  A block freed by another thread is pushed with a
 * compare-and-swap on the page's `remote` list; the owner takes the whole
 * list with one exchange when the page runs dry (mimalloc's thread_free).
 * A full page that receives remote frees is found again when its owner
 * would otherwise take a new page.
 *
 * Memory: pages and large blocks (over 1 KiB, or aligned beyond 16) come
 * from `segregated` (allocators/segregated.c) behind one lock: a page is a
 * segregated block aligned by its memalign, and segregated takes everything
 * from the heap provider, so the whole allocator lives in the measured
 * break.  (mimalloc reserves aligned 4 MiB segments; here the break is the
 * measured figure and a segment's unused tail would count in it, so pages
 * are aligned one at a time and packed with the large blocks.)  free() tells
 * a small block from a large one with a bitmap over the heap, one bit per
 * 16 KiB ("this is a small page"), in leaves of 8 KiB per GiB of heap made
 * on first use: one load of the leaf pointer and one of the word.  A page
 * whose last block its owner frees goes back to segregated, unless it is the
 * only page of its class (so a loop allocating and freeing one block does
 * not take and return a page each time).
 *
 * Why 16 KiB pages and 1 KiB classes rather than mimalloc's 64 KiB pages
 * and 8 KiB classes: every partly used page counts in the break, and the
 * issue's yardstick is glibc's peak.  On the recorded and generated real-
 * program traces, 64 KiB pages with classes to 4 KiB cost 22% (web) to 190%
 * (compiler) more peak break than 16 KiB pages with classes to 1 KiB
 * (sqlite 2.19 MB against 1.03 MB, jq 2.45 against 1.13).  8 KiB pages with
 * classes to 512 bytes save another 3-18% on seven of those traces but cost
 * 7% on web and 27% more allocator instructions there; 4 KiB pages cost 20-35%
 * more instructions everywhere (page turnover, more blocks through
 * segregated's lock).  Eight classes per power of two (12.5% steps) measured
 * worse than four: the rounding saved is less than the extra partly used
 * pages cost.  Pages for classes only up to 512 or 256 bytes lower the peak
 * RSS by 1-14% on six of those traces but raise it by 16-18% on web.
 *
 * Time: malloc and free O(1) without locks or atomics on the owner's path
 * (34 and 45 instructions on average on python.trace, callgrind); the slow
 * path of malloc collects a remote list (O(blocks on it), each collected
 * once) and, before taking a new page, scans the full list for pages with
 * remote frees (O(full pages)); large blocks cost segregated's malloc or
 * free plus the lock.  realloc of a small block stays where it is when the
 * new size fits its class.
 *
 * Fragmentation: a block wastes at most one class step (under 16 bytes up
 * to 128, then up to 25%); a page header takes 128 of 16,384 bytes; a partly
 * used page is memory no other class can use, so a program with few blocks
 * of many classes pays up to 16 KiB per class, and every thread pays for its
 * own pages; pages pinned by a few live blocks split the free space that
 * large blocks could use.  A remote free is not reusable until the owner
 * collects it, and the pages of a thread that has exited are not adopted by
 * another (their remote frees are never collected).  docs/benchmark.md
 * compares the peak with glibc's trace by trace.
 *
 * Origin: D. Leijen, B. Zorn, L. de Moura, "Mimalloc: Free List Sharding in
 * Action", APLAS 2019 (pages per class, a free list per page, thread-free
 * lists, the bump pointer); the size-class pages of Bonwick's slab allocator
 * (USENIX 1994) and of Hoard (Berger et al., ASPLOS 2000).  Written from the
 * paper's description; the page bitmap and the large-block path are this
 * project's.
 *
 * The self-check runs segregated's check, then walks every page of every
 * heap (only the calling thread's heap when other threads may be running):
 * free and remote lists stay inside their page on block boundaries without
 * repeats, the counts add up to what the page handed out, each page sits on
 * the right list of its owner with its bit set in the bitmap, and (when
 * every heap was walked) the bitmap marks no other page.
 */
#include "allocator.h"
#include "sharded.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

extern const struct allocator alloc_segregated;
#define BACKEND alloc_segregated   /* pages and large blocks come from here */
const struct allocator alloc_sharded;

#define PAGE_LOG2   14
#define PAGE        ((size_t)1 << PAGE_LOG2)  /* a small page: 16 KiB, aligned     */
#define PAGE_HDR    ((size_t)128)             /* struct page, rounded               */
#define NCLASS      20                        /* 16..128 by 16, then 4 per doubling */
#define SMALL_MAX   ((size_t)class_size[NCLASS - 1]) /* largest size served from pages */
#define GIB_LOG2    30
#define NLEAF       64                        /* bitmap leaves: 64 GiB of heap      */
#define LEAF_WORDS  (((size_t)1 << (GIB_LOG2 - PAGE_LOG2)) / 64)  /* 1024 words, 8 KiB */

struct sheap;

struct page {
	void             *free;       /* blocks free for the owner, linked via word 0 */
	char             *bump;       /* next never-used block                        */
	char             *end;        /* end of the last whole block                  */
	struct page      *next;       /* in the owner's class queue or full list      */
	struct page      *prev;
	struct sheap     *owner;      /* the heap (thread) that allocates from it     */
	_Atomic uintptr_t remote;     /* blocks freed by other threads | REMOTE_FULL  */
	uint32_t          used;       /* blocks handed out (remote ones included)     */
	uint32_t          size;       /* block size                                   */
	uint32_t          capacity;   /* blocks in the page                           */
	uint16_t          cls;        /* size class                                   */
	uint16_t          full;       /* 1: on the full list (the owner's view)       */
};
_Static_assert(sizeof(struct page) <= PAGE_HDR, "the page header fits its slot");
_Static_assert(PAGE_HDR % HEAPLAB_ALIGN == 0, "blocks after the header stay aligned");

struct sheap {
	struct page  *queue[NCLASS];  /* pages that may have free blocks, per class  */
	struct page  *full;           /* pages with nothing free when last looked at */
	_Atomic uint64_t remote_full; /* remote frees into full pages since looked  */
	struct sheap *next;           /* every heap of the instance                  */
	uint64_t      pages_taken;    /* pages taken from segregated                 */
	uint64_t      pages_returned; /* pages given back                            */
	uint64_t      remote_collected; /* remote frees taken back                   */
};

struct sharded {
	pthread_mutex_t          lock;          /* guards the backend, heaps, leaves     */
	void                    *backend;       /* segregated's state, in the same heap   */
	char                    *base;          /* the heap's first byte (1 GiB aligned)  */
	uint64_t                 gen;           /* this instance's generation             */
	struct sheap            *heaps;         /* every thread's heap                    */
	_Atomic(uint64_t *)      leaf[NLEAF];   /* page bitmap, one leaf per GiB          */
	uint64_t                 large_allocs;  /* blocks served by the backend           */
};

/* Block size of every class, and the class of every size (computed). */
static const uint32_t class_size[NCLASS] = {
	16, 32, 48, 64, 80, 96, 112, 128,
	160, 192, 224, 256, 320, 384, 448, 512, 640, 768, 896, 1024,
};

static inline unsigned class_of(size_t n)
{
	if (n <= 128)
		return n ? (unsigned)((n - 1) >> 4) : 0;
	size_t s = n - 1;
	unsigned o = 63u - (unsigned)__builtin_clzll(s);
	return 8 + (o - 7) * 4 + (unsigned)((s >> (o - 2)) & 3);
}

static _Atomic uint64_t sh_generation;
static __thread uint64_t sh_mine_gen;
static __thread struct sheap *sh_mine;

static inline struct page *page_of(const void *p)
{
	return (struct page *)((uintptr_t)p & ~(uintptr_t)(PAGE - 1));
}

/*
 * A page's remote word is the head of its remote list with one flag in the
 * low bit (blocks are 16-byte aligned): set while the page is on its
 * owner's full list, where the owner does not look at it.  A thread that
 * pushes onto a flagged page then bumps the owner's remote_full, so the
 * owner scans its full list only when there is something to find.  Flag and
 * list change together, in one compare-and-swap, so no push is missed.
 */
#define REMOTE_FULL ((uintptr_t)1)

static inline int is_full(const struct page *pg) { return pg->full; }

/* ---- the page bitmap ------------------------------------------------------ */

static inline int is_small(struct sharded *st, const void *p)
{
	size_t off = (size_t)((const char *)p - st->base);
	if (off >> (GIB_LOG2 + 6))
		return 0;
	uint64_t *leaf = atomic_load_explicit(&st->leaf[off >> GIB_LOG2], memory_order_acquire);
	if (!leaf)
		return 0;
	size_t bit = (off >> PAGE_LOG2) & (((size_t)1 << (GIB_LOG2 - PAGE_LOG2)) - 1);
	_Atomic uint64_t *w = (_Atomic uint64_t *)&leaf[bit >> 6];
	return (atomic_load_explicit(w, memory_order_relaxed) >> (bit & 63)) & 1;
}

/* Set or clear page `pg`'s bit; under the lock (makes the leaf when needed). */
static int mark_page(struct sharded *st, struct page *pg, int on)
{
	size_t off = (size_t)((char *)pg - st->base);
	unsigned li = (unsigned)(off >> GIB_LOG2);
	if (li >= NLEAF)
		return 0;
	uint64_t *leaf = atomic_load_explicit(&st->leaf[li], memory_order_relaxed);
	if (!leaf) {
		leaf = BACKEND.malloc(st->backend, LEAF_WORDS * sizeof(uint64_t));
		if (!leaf)
			return 0;
		memset(leaf, 0, LEAF_WORDS * sizeof(uint64_t));
		atomic_store_explicit(&st->leaf[li], leaf, memory_order_release);
	}
	size_t bit = (off >> PAGE_LOG2) & (((size_t)1 << (GIB_LOG2 - PAGE_LOG2)) - 1);
	_Atomic uint64_t *w = (_Atomic uint64_t *)&leaf[bit >> 6];
	if (on)
		atomic_fetch_or_explicit(w, (uint64_t)1 << (bit & 63), memory_order_release);
	else
		atomic_fetch_and_explicit(w, ~((uint64_t)1 << (bit & 63)), memory_order_release);
	return 1;
}

/* ---- heaps and page lists ------------------------------------------------- */

static void *sh_init(struct heap *heap)
{
	void *t = BACKEND.init(heap);
	if (!t)
		return NULL;
	struct sharded *st = BACKEND.malloc(t, sizeof *st);
	if (!st)
		return NULL;
	memset(st, 0, sizeof *st);
	pthread_mutex_init(&st->lock, NULL);
	st->backend = t;
	st->base = heap_start(heap);
	st->gen = atomic_fetch_add(&sh_generation, 1) + 1;
	return st;
}

/* The calling thread's heap, made on first use; NULL when the backend refuses it. */
static __attribute__((noinline)) struct sheap *new_heap(struct sharded *st);

static inline struct sheap *my_heap(struct sharded *st)
{
	if (__builtin_expect(sh_mine_gen == st->gen, 1))
		return sh_mine;
	return new_heap(st);
}

static struct sheap *new_heap(struct sharded *st)
{
	pthread_mutex_lock(&st->lock);
	struct sheap *h = BACKEND.malloc(st->backend, sizeof *h);
	if (h) {
		memset(h, 0, sizeof *h);
		h->next = st->heaps;
		st->heaps = h;
	}
	pthread_mutex_unlock(&st->lock);
	if (h) {
		sh_mine = h;
		sh_mine_gen = st->gen;
	}
	return h;
}

static inline void unlink_page(struct page **list, struct page *pg)
{
	if (pg->prev)
		pg->prev->next = pg->next;
	else
		*list = pg->next;
	if (pg->next)
		pg->next->prev = pg->prev;
	pg->next = pg->prev = NULL;
}

static inline void push_page(struct page **list, struct page *pg)
{
	pg->prev = NULL;
	pg->next = *list;
	if (*list)
		(*list)->prev = pg;
	*list = pg;
}

/* Take the page's remote frees onto its own free list; 1 if there were any. */
static int collect(struct sheap *h, struct page *pg)
{
	if (!(atomic_load_explicit(&pg->remote, memory_order_relaxed) & ~REMOTE_FULL))
		return 0;
	/* Taking the list also clears the flag: the caller puts the page back in its queue. */
	void *list = (void *)(atomic_exchange_explicit(&pg->remote, 0, memory_order_acquire)
	                      & ~REMOTE_FULL);
	if (!list)
		return 0;
	uint32_t n = 0;
	void *last = list;
	for (;;) {
		n++;
		void *nx = *(void **)last;
		if (!nx)
			break;
		last = nx;
	}
	*(void **)last = pg->free;
	pg->free = list;
	pg->used -= n;
	h->remote_collected += n;
	return 1;
}

/* A fresh page of class `c` from the backend, owned by `h`; NULL when refused. */
static struct page *new_page(struct sharded *st, struct sheap *h, unsigned c)
{
	pthread_mutex_lock(&st->lock);
	struct page *pg = BACKEND.memalign(st->backend, PAGE, PAGE - 8);
	if (pg && !mark_page(st, pg, 1)) {
		BACKEND.free(st->backend, pg);
		pg = NULL;
	}
	pthread_mutex_unlock(&st->lock);
	if (!pg)
		return NULL;
	uint32_t size = class_size[c];
	pg->free = NULL;
	pg->bump = (char *)pg + PAGE_HDR;
	pg->capacity = (uint32_t)((PAGE - 8 - PAGE_HDR) / size);
	pg->end = pg->bump + (size_t)pg->capacity * size;
	pg->owner = h;
	atomic_init(&pg->remote, 0);
	pg->used = 0;
	pg->size = size;
	pg->cls = (uint16_t)c;
	pg->full = 0;
	push_page(&h->queue[c], pg);
	h->pages_taken++;
	return pg;
}

/* Give an empty page back to the backend. */
static __attribute__((noinline)) void drop_page(struct sharded *st, struct sheap *h, struct page *pg)
{
	unlink_page(is_full(pg) ? &h->full : &h->queue[pg->cls], pg);
	h->pages_returned++;
	pthread_mutex_lock(&st->lock);
	mark_page(st, pg, 0);
	BACKEND.free(st->backend, pg);
	pthread_mutex_unlock(&st->lock);
}

/* ---- malloc and free ------------------------------------------------------ */

static __attribute__((noinline)) void *large_malloc(struct sharded *st, size_t n)
{
	pthread_mutex_lock(&st->lock);
	void *p = BACKEND.malloc(st->backend, n);
	if (p)
		st->large_allocs++;
	pthread_mutex_unlock(&st->lock);
	return p;
}

static inline void *take(struct page *pg)
{
	void *p = pg->free;
	if (p) {
		pg->free = *(void **)p;
	} else {
		p = pg->bump;
		pg->bump += pg->size;
	}
	pg->used++;
	return p;
}

static inline int has_room(const struct page *pg)
{
	return pg->free || pg->bump < pg->end;
}

static __attribute__((noinline)) void *malloc_slow(struct sharded *st, struct sheap *h, unsigned c)
{
	struct page *pg = h->queue[c];
	while (pg) {
		if (has_room(pg) || collect(h, pg)) {
			if (pg != h->queue[c]) {          /* to the front: next time, first try */
				unlink_page(&h->queue[c], pg);
				push_page(&h->queue[c], pg);
			}
			return take(pg);
		}
		struct page *nx = pg->next;
		/* Flag it full, unless a remote free arrived since collect() looked. */
		uintptr_t empty = 0;
		if (!atomic_compare_exchange_strong(&pg->remote, &empty, REMOTE_FULL)) {
			collect(h, pg);
			if (pg != h->queue[c]) {
				unlink_page(&h->queue[c], pg);
				push_page(&h->queue[c], pg);
			}
			return take(pg);
		}
		pg->full = 1;
		unlink_page(&h->queue[c], pg);
		push_page(&h->full, pg);
		pg = nx;
	}
	/*
	 * Before taking a new page: if other threads freed into full pages,
	 * give every such page back to its class (one pass over the full list,
	 * only when there is something to find).
	 */
	if (atomic_load_explicit(&h->remote_full, memory_order_relaxed) &&
	    atomic_exchange(&h->remote_full, 0)) {
		for (struct page *f = h->full, *nf; f; f = nf) {
			nf = f->next;
			if (collect(h, f)) {
				unlink_page(&h->full, f);
				f->full = 0;
				push_page(&h->queue[f->cls], f);
			}
		}
		pg = h->queue[c];
		if (pg && has_room(pg))
			return take(pg);
	}
	pg = new_page(st, h, c);
	return pg ? take(pg) : NULL;
}

static void *sh_malloc(void *self, size_t n)
{
	struct sharded *st = self;
	if (n > SMALL_MAX)
		return large_malloc(st, n);
	struct sheap *h = my_heap(st);
	if (__builtin_expect(!h, 0))
		return large_malloc(st, n);
	unsigned c = class_of(n);
	struct page *pg = h->queue[c];
	if (__builtin_expect(pg && pg->free != NULL, 1)) {
		void *p = pg->free;
		pg->free = *(void **)p;
		pg->used++;
		return p;
	}
	if (pg && pg->bump < pg->end) {
		void *p = pg->bump;
		pg->bump += pg->size;
		pg->used++;
		return p;
	}
	return malloc_slow(st, h, c);
}

/* The owner frees block `p` of page `pg`. */
static inline void local_free(struct sharded *st, struct sheap *h, struct page *pg, void *p)
{
	*(void **)p = pg->free;
	pg->free = p;
	if (__builtin_expect(--pg->used == 0, 0)) {
		/* Keep a class's only page: a malloc/free loop would churn it. */
		if (is_full(pg) || pg->next || pg->prev || h->queue[pg->cls] != pg)
			drop_page(st, h, pg);
		return;
	}
	if (__builtin_expect(is_full(pg), 0)) {
		/* Back to its queue, where the owner looks at its remote list again. */
		atomic_fetch_and(&pg->remote, ~REMOTE_FULL);
		unlink_page(&h->full, pg);
		pg->full = 0;
		push_page(&h->queue[pg->cls], pg);
	}
}

static void sh_free(void *self, void *p)
{
	struct sharded *st = self;
	if (!p)
		return;
	if (__builtin_expect(!is_small(st, p), 0)) {
		pthread_mutex_lock(&st->lock);
		BACKEND.free(st->backend, p);
		pthread_mutex_unlock(&st->lock);
		return;
	}
	struct page *pg = page_of(p);
	if (__builtin_expect(sh_mine_gen == st->gen && pg->owner == sh_mine, 1)) {
		local_free(st, sh_mine, pg, p);
		return;
	}
	/*
	 * Another thread's page: push on its remote list, keeping the flag.
	 * The owner is read first: once the block is pushed, the owner may
	 * collect it and give the page away.
	 */
	struct sheap *owner = pg->owner;
	uintptr_t head = atomic_load_explicit(&pg->remote, memory_order_relaxed);
	do
		*(void **)p = (void *)(head & ~REMOTE_FULL);
	while (!atomic_compare_exchange_weak_explicit(&pg->remote, &head,
	                                              (uintptr_t)p | (head & REMOTE_FULL),
	                                              memory_order_release,
	                                              memory_order_relaxed));
	if (head & REMOTE_FULL)   /* into a page its owner no longer looks at */
		atomic_fetch_add_explicit(&owner->remote_full, 1, memory_order_relaxed);
}

static size_t sh_usable_size(void *self, void *p)
{
	struct sharded *st = self;
	if (is_small(st, p))
		return page_of(p)->size;
	return BACKEND.usable_size(st->backend, p);
}

static void *sh_realloc(void *self, void *p, size_t n)
{
	struct sharded *st = self;
	if (!p)
		return sh_malloc(self, n);
	if (n == 0) {
		sh_free(self, p);
		return sh_malloc(self, 0);
	}
	size_t have;
	if (is_small(st, p)) {
		have = page_of(p)->size;
		if (n <= have)
			return p;        /* shrinking or within its class: stays */
	} else {
		if (n > SMALL_MAX) {
			pthread_mutex_lock(&st->lock);
			void *q = BACKEND.realloc(st->backend, p, n);
			pthread_mutex_unlock(&st->lock);
			return q;
		}
		have = BACKEND.usable_size(st->backend, p);
	}
	void *q = sh_malloc(self, n);
	if (!q)
		return NULL;
	memcpy(q, p, have < n ? have : n);
	sh_free(self, p);
	return q;
}

static void *sh_calloc(void *self, size_t nmemb, size_t size)
{
	return alloc_calloc_via_malloc(self, sh_malloc, nmemb, size);
}

static void *sh_memalign(void *self, size_t align, size_t n)
{
	struct sharded *st = self;
	if (align <= HEAPLAB_ALIGN)
		return sh_malloc(self, n);
	/* Not from pages: class sizes are not multiples of every alignment. */
	pthread_mutex_lock(&st->lock);
	void *p = BACKEND.memalign(st->backend, align, n);
	if (p)
		st->large_allocs++;
	pthread_mutex_unlock(&st->lock);
	return p;
}

/* ---- self-check ----------------------------------------------------------- */

/*
 * Walk one list of page `pg` (its free or remote list), marking each block's
 * index in `seen`; return how many blocks it holds (stops at a bad link).
 */
static uint32_t walk_list(struct page *pg, void *list, uint8_t *seen, const char *what,
                          unsigned long *bad, struct check_findings *r)
{
	uint32_t n = 0;
	char *first = (char *)pg + PAGE_HDR;
	for (char *b = list; b; b = *(char **)b) {
		size_t off = (size_t)(b - first);
		if (b < first || b >= pg->bump || off % pg->size) {
			*bad += check_violation(r, "%s list of page %p links to %p, not "
			                        "a handed-out block of the page", what,
			                        (void *)pg, (void *)b);
			break;
		}
		size_t i = off / pg->size;
		if (seen[i >> 3] & (1u << (i & 7))) {
			*bad += check_violation(r, "block %p of page %p is free twice "
			                        "(or the %s list loops)", (void *)b, (void *)pg, what);
			break;
		}
		seen[i >> 3] |= (uint8_t)(1u << (i & 7));
		n++;
	}
	return n;
}

static unsigned long check_page(struct sharded *st, struct sheap *h, struct page *pg,
                                unsigned c, int full, struct check_findings *r)
{
	unsigned long bad = 0;
	uint8_t seen[PAGE / 16 / 8];

	if (((uintptr_t)pg & (PAGE - 1)) || !is_small(st, pg))
		return check_violation(r, "page %p is not an aligned page marked in "
		                       "the bitmap", (void *)pg);
	if (pg->owner != h || pg->cls != c || is_full(pg) != full || pg->size != class_size[c])
		return check_violation(r, "page %p (class %u, size %u, full %u) is on "
		                       "the %s list of class %u of another heap or class",
		                       (void *)pg, pg->cls, pg->size, is_full(pg),
		                       full ? "full" : "class", c);
	char *first = (char *)pg + PAGE_HDR;
	if (pg->capacity != (PAGE - 8 - PAGE_HDR) / pg->size ||
	    pg->end != first + (size_t)pg->capacity * pg->size ||
	    pg->bump < first || pg->bump > pg->end || (size_t)(pg->bump - first) % pg->size)
		return check_violation(r, "page %p has a bad capacity, end or bump "
		                       "pointer", (void *)pg);
	memset(seen, 0, sizeof seen);
	uint32_t nfree = walk_list(pg, pg->free, seen, "free", &bad, r);
	uintptr_t rw = atomic_load(&pg->remote);
	uint32_t nremote = walk_list(pg, (void *)(rw & ~REMOTE_FULL), seen, "remote", &bad, r);
	if (!(rw & REMOTE_FULL) != !pg->full)
		bad += check_violation(r, "page %p is %son the full list but its remote "
		                       "word says %sfull", (void *)pg, pg->full ? "" : "not ",
		                       (rw & REMOTE_FULL) ? "" : "not ");
	uint32_t bumped = (uint32_t)((size_t)(pg->bump - first) / pg->size);
	if (nremote > pg->used || pg->used + nfree != bumped)
		bad += check_violation(r, "page %p: %u in use + %u free != %u handed "
		                       "out (%u remote)", (void *)pg, pg->used, nfree, bumped,
		                       nremote);
	return bad;
}

static unsigned long check_heap(struct sharded *st, struct sheap *h, uint64_t *pages,
                                struct check_findings *r)
{
	unsigned long bad = 0;
	for (unsigned c = 0; c < NCLASS; c++) {
		struct page *prev = NULL;
		for (struct page *pg = h->queue[c]; pg; prev = pg, pg = pg->next) {
			if (pg->prev != prev) {
				bad += check_violation(r, "page %p's prev link disagrees "
				                       "with class %u's queue", (void *)pg, c);
				break;
			}
			bad += check_page(st, h, pg, c, 0, r);
			if (++*pages > ((size_t)1 << 22))
				return bad + check_violation(r, "class %u queue loops", c);
		}
	}
	struct page *prev = NULL;
	for (struct page *pg = h->full; pg; prev = pg, pg = pg->next) {
		if (pg->prev != prev) {
			bad += check_violation(r, "page %p's prev link disagrees with the "
			                       "full list", (void *)pg);
			break;
		}
		bad += check_page(st, h, pg, pg->cls < NCLASS ? pg->cls : 0, 1, r);
		if (++*pages > ((size_t)1 << 22))
			return bad + check_violation(r, "the full list loops");
	}
	return bad;
}

static unsigned long sh_check(void *self, struct check_findings *r)
{
	struct sharded *st = self;
	unsigned long bad = 0;
	uint64_t pages = 0, marked = 0;
	pthread_mutex_lock(&st->lock);
	bad += BACKEND.check(st->backend, r);
	int all = !(st->heaps && st->heaps->next);
	check_as(r, "sharded");
	for (struct sheap *h = st->heaps; h; h = h->next) {
		if (!all && !(sh_mine_gen == st->gen && h == sh_mine))
			continue;   /* another thread's, maybe in use right now */
		bad += check_heap(st, h, &pages, r);
	}
	for (unsigned li = 0; li < NLEAF; li++) {
		uint64_t *leaf = atomic_load(&st->leaf[li]);
		for (size_t w = 0; leaf && w < LEAF_WORDS; w++)
			marked += (uint64_t)__builtin_popcountll(leaf[w]);
	}
	if (all && marked != pages)
		bad += check_violation(r, "the bitmap marks %llu pages, the heaps hold "
		                       "%llu", (unsigned long long)marked,
		                       (unsigned long long)pages);
	pthread_mutex_unlock(&st->lock);
	return bad;
}

static void sh_stats(void *self, stat_sink sink, void *ctx)
{
	struct sharded *st = self;
	uint64_t taken = 0, returned = 0, remote = 0, heaps = 0;
	for (struct sheap *h = st->heaps; h; h = h->next) {
		taken += h->pages_taken;
		returned += h->pages_returned;
		remote += h->remote_collected;
		heaps++;
	}
	sink(ctx, "pages_taken", taken);
	sink(ctx, "pages_returned", returned);
	sink(ctx, "remote_frees_collected", remote);
	sink(ctx, "large_allocs", st->large_allocs);
	sink(ctx, "thread_heaps", heaps);
}

/* ---- test hooks (sharded.h) ---------------------------------------------- */

unsigned sharded_class_of_for_test(size_t n) { return class_of(n); }
size_t sharded_class_size_for_test(unsigned c) { return c < NCLASS ? class_size[c] : 0; }
int sharded_is_small_for_test(void *self, const void *p) { return is_small(self, p); }
void *sharded_page_of_for_test(const void *p) { return page_of(p); }

uintptr_t *sharded_remote_word_for_test(void *page)
{
	return (uintptr_t *)&((struct page *)page)->remote;
}

const struct allocator alloc_sharded = {
	.name        = "sharded",
	.description = "speed-first: size-class pages, a free list per page, per-thread heaps (thread-safe)",
	.init        = sh_init,
	.malloc      = sh_malloc,
	.free        = sh_free,
	.realloc     = sh_realloc,
	.calloc      = sh_calloc,
	.memalign    = sh_memalign,
	.usable_size = sh_usable_size,
	.check       = sh_check,
	.stats       = sh_stats,
};
