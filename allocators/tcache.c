/*
 * tcache.c - tlsf-tcache: per-thread caches of small blocks in front of
 * tlsf, which sits behind one lock of its own.
 *
 * Algorithm: every block carries a 16-byte header (its size class, the
 * distance back to tlsf's block, the requested size).  Requests up to 256
 * bytes are rounded to one of 16 classes (16, 32, ... 256 bytes).  A thread
 * frees a small block into its own cache (a LIFO list per class, linked
 * through the payload), and a small malloc pops from the calling thread's
 * list: neither takes a lock.  A miss, a large request, or a list grown past
 * TC_MAX blocks (half of it is then flushed back) takes the lock and calls
 * tlsf.  A block freed by another thread than the one that allocated it
 * goes into the freeing thread's cache, as in tcmalloc.
 *
 * Time per operation: O(1) on a cache hit (a TLS load, a list pop or push);
 * tlsf's O(1) plus the lock on a miss; a flush is TC_MAX / 2 frees under
 * one lock.
 *
 * Fragmentation: the header costs 16 bytes a block; cached blocks stay
 * allocated from tlsf's point of view, up to TC_MAX per class and thread
 * (at most 16 * 64 * 256 B = 256 KiB a thread); memalign(A > 16) costs A
 * extra bytes (the header must sit just below the aligned payload); and a
 * thread that only frees (a consumer) hoards up to its cache's bound of
 * blocks that only the producer could reuse -- the "blowup" Hoard bounds
 * and plain thread caches do not.  The memory figures show all of it.
 *
 * Design after tcmalloc's thread caches (S. Ghemawat, P. Menage, "TCMalloc:
 * Thread-Caching Malloc", 2005) and glibc's tcache (2.26); the bounded-cache
 * and remote-free trade-offs as discussed by Berger et al., "Hoard: A
 * Scalable Memory Allocator for Multithreaded Applications", ASPLOS 2000.
 *
 * It is the one built-in that is thread-safe by itself: `bench --threads`
 * calls it without the harness's global lock (docs/threads.md).  Its state,
 * the lock and every thread's cache are allocated from tlsf, so from the
 * heap.  Caches are found through a thread-local pointer tagged with the
 * instance's generation, so a new instance (a new pass) never sees an old
 * one's caches.  The self-check checks tlsf and the caches' headers; run
 * mid-pass under --threads it walks only the calling thread's cache (the
 * others are private to their threads until the pass ends).
 */
#include "allocator.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

extern const struct allocator alloc_tlsf;
const struct allocator alloc_tlsf_tcache;

#define TC_CLASSES  16           /* small classes: 16, 32, ... 256 bytes        */
#define TC_SMALL    (TC_CLASSES * 16)
#define TC_MAX      64           /* blocks a thread keeps per class             */
#define TC_HDR      16           /* header bytes in front of every payload      */

struct tc_header {
	uint32_t cls;     /* class 1..TC_CLASSES, 0: not cacheable (large or aligned) */
	uint32_t offset;  /* payload - tlsf's block: TC_HDR, or the alignment         */
	uint64_t size;    /* bytes requested (what a moving realloc copies)           */
};
_Static_assert(sizeof(struct tc_header) == TC_HDR, "the header keeps 16-byte alignment");

struct tc_thread {
	void             *head[TC_CLASSES];   /* cached payloads, linked through word 0 */
	uint32_t          count[TC_CLASSES];  /* blocks in each list                    */
	struct tc_thread *next;               /* every cache of this instance           */
	uint64_t          hits, misses;       /* small mallocs served / not from here   */
	uint64_t          flushes;            /* lists halved back into tlsf            */
};

struct tc_state {
	pthread_mutex_t   lock;     /* guards tlsf and the list of caches          */
	void             *tlsf;     /* tlsf's state, in the same heap              */
	uint64_t          gen;      /* this instance's generation                  */
	struct tc_thread *threads;  /* every thread's cache                        */
};

/* Generations tell instances apart: a fresh heap may reuse an old address. */
static _Atomic uint64_t tc_generation;
static __thread uint64_t tc_mine_gen;
static __thread struct tc_thread *tc_mine;

static struct tc_header *header(void *p)
{
	return (struct tc_header *)((char *)p - TC_HDR);
}

static void *tc_init(struct heap *heap)
{
	void *t = alloc_tlsf.init(heap);
	if (!t)
		return NULL;
	struct tc_state *st = alloc_tlsf.malloc(t, sizeof *st);
	if (!st)
		return NULL;
	memset(st, 0, sizeof *st);
	pthread_mutex_init(&st->lock, NULL);
	st->tlsf = t;
	st->gen = atomic_fetch_add(&tc_generation, 1) + 1;
	return st;
}

/* The calling thread's cache, made on first use; NULL when tlsf refuses it. */
static struct tc_thread *my_cache(struct tc_state *st)
{
	if (tc_mine_gen == st->gen)
		return tc_mine;
	pthread_mutex_lock(&st->lock);
	struct tc_thread *tc = alloc_tlsf.malloc(st->tlsf, sizeof *tc);
	if (tc) {
		memset(tc, 0, sizeof *tc);
		tc->next = st->threads;
		st->threads = tc;
	}
	pthread_mutex_unlock(&st->lock);
	if (tc) {
		tc_mine = tc;
		tc_mine_gen = st->gen;
	}
	return tc;
}

/* A block from tlsf with a header: payload of `bytes`, class `cls`. */
static void *from_tlsf(struct tc_state *st, size_t bytes, uint32_t cls, uint64_t size)
{
	if (bytes > SIZE_MAX - TC_HDR)
		return NULL;
	pthread_mutex_lock(&st->lock);
	char *q = alloc_tlsf.malloc(st->tlsf, bytes + TC_HDR);
	pthread_mutex_unlock(&st->lock);
	if (!q)
		return NULL;
	struct tc_header *h = (struct tc_header *)q;
	*h = (struct tc_header){ .cls = cls, .offset = TC_HDR, .size = size };
	return q + TC_HDR;
}

static void *tc_malloc(void *self, size_t size)
{
	struct tc_state *st = self;
	if (size > TC_SMALL)
		return from_tlsf(st, size, 0, size);
	uint32_t cls = size ? (uint32_t)((size + 15) / 16) : 1;
	struct tc_thread *tc = my_cache(st);
	if (tc && tc->head[cls - 1]) {
		void *p = tc->head[cls - 1];
		tc->head[cls - 1] = *(void **)p;
		tc->count[cls - 1]--;
		tc->hits++;
		header(p)->size = size;
		return p;
	}
	if (tc)
		tc->misses++;
	return from_tlsf(st, (size_t)cls * 16, cls, size);
}

static void to_tlsf(struct tc_state *st, void *p)
{
	alloc_tlsf.free(st->tlsf, (char *)p - header(p)->offset);
}

/* Give the older half of a full list back to tlsf, under one lock. */
static void flush(struct tc_state *st, struct tc_thread *tc, uint32_t k)
{
	void *keep = tc->head[k];
	for (uint32_t i = 1; i < TC_MAX / 2; i++)
		keep = *(void **)keep;
	void *give = *(void **)keep;
	*(void **)keep = NULL;
	pthread_mutex_lock(&st->lock);
	while (give) {
		void *next = *(void **)give;
		to_tlsf(st, give);
		give = next;
	}
	pthread_mutex_unlock(&st->lock);
	tc->count[k] = TC_MAX / 2;
	tc->flushes++;
}

static void tc_free(void *self, void *p)
{
	struct tc_state *st = self;
	if (!p)
		return;
	uint32_t cls = header(p)->cls;
	struct tc_thread *tc = cls ? my_cache(st) : NULL;
	if (!tc) {
		pthread_mutex_lock(&st->lock);
		to_tlsf(st, p);
		pthread_mutex_unlock(&st->lock);
		return;
	}
	*(void **)p = tc->head[cls - 1];
	tc->head[cls - 1] = p;
	if (++tc->count[cls - 1] > TC_MAX)
		flush(st, tc, cls - 1);
}

static void *tc_realloc(void *self, void *p, size_t size)
{
	struct tc_state *st = self;
	if (!p)
		return tc_malloc(self, size);
	struct tc_header *h = header(p);
	if (h->cls && size <= (size_t)h->cls * 16) {
		h->size = size;   /* still fits its class: stays */
		return p;
	}
	if (!h->cls && h->offset == TC_HDR && size > TC_SMALL && size <= SIZE_MAX - TC_HDR) {
		pthread_mutex_lock(&st->lock);
		char *q = alloc_tlsf.realloc(st->tlsf, (char *)p - TC_HDR, size + TC_HDR);
		pthread_mutex_unlock(&st->lock);
		if (!q)
			return NULL;
		((struct tc_header *)q)->size = size;
		return q + TC_HDR;
	}
	void *n = tc_malloc(self, size);
	if (!n)
		return NULL;
	memcpy(n, p, h->size < size ? h->size : size);
	tc_free(self, p);
	return n;
}

static void *tc_calloc(void *self, size_t nmemb, size_t size)
{
	int overflow;
	size_t bytes = mul_size(nmemb, size, &overflow);
	if (overflow)
		return NULL;
	void *p = tc_malloc(self, bytes);
	if (p)
		memset(p, 0, bytes);
	return p;
}

static void *tc_memalign(void *self, size_t align, size_t size)
{
	struct tc_state *st = self;
	if (align <= HEAPLAB_ALIGN)
		return tc_malloc(self, size);
	if (size > SIZE_MAX - align || align > UINT32_MAX)
		return NULL;
	/* the header must sit right below the aligned payload: ALIGN bytes more */
	pthread_mutex_lock(&st->lock);
	char *q = alloc_tlsf.memalign(st->tlsf, align, size + align);
	pthread_mutex_unlock(&st->lock);
	if (!q)
		return NULL;
	char *p = q + align;
	*header(p) = (struct tc_header){ .cls = 0, .offset = (uint32_t)align, .size = size };
	return p;
}

static size_t tc_usable_size(void *self, void *p)
{
	(void)self;
	struct tc_header *h = header(p);
	return h->cls ? (size_t)h->cls * 16 : h->size;
}

/* tlsf's own check, then the headers and lengths of this thread's cache (or
 * every cache when the caller says no other thread is running: serial). */
static unsigned long tc_check(void *self, struct check_findings *rep)
{
	struct tc_state *st = self;
	unsigned long bad = 0;
	pthread_mutex_lock(&st->lock);
	bad += alloc_tlsf.check(st->tlsf, rep);
	check_as(rep, "tlsf-tcache");
	for (struct tc_thread *tc = st->threads; tc; tc = tc->next) {
		if (tc != tc_mine && st->threads->next)
			continue;   /* another thread's, maybe in use right now */
		for (uint32_t k = 0; k < TC_CLASSES; k++) {
			uint32_t n = 0;
			for (void *p = tc->head[k]; p && n <= TC_MAX + 1; p = *(void **)p, n++)
				if (header(p)->cls != k + 1 || header(p)->offset != TC_HDR)
					bad += check_violation(rep, "cached block %p in class %u "
					                       "has a header of class %u", p, k + 1,
					                       header(p)->cls);
			if (n != tc->count[k])
				bad += check_violation(rep, "class %u list holds %u blocks, "
				                       "count says %u", k + 1, n, tc->count[k]);
		}
	}
	pthread_mutex_unlock(&st->lock);
	return bad;
}

static void tc_stats(void *self, stat_sink sink, void *ctx)
{
	struct tc_state *st = self;
	uint64_t hits = 0, misses = 0, flushes = 0, cached = 0, threads = 0;
	for (struct tc_thread *tc = st->threads; tc; tc = tc->next) {
		hits += tc->hits;
		misses += tc->misses;
		flushes += tc->flushes;
		for (uint32_t k = 0; k < TC_CLASSES; k++)
			cached += tc->count[k];
		threads++;
	}
	sink(ctx, "cache_hits", hits);
	sink(ctx, "cache_misses", misses);
	sink(ctx, "cache_flushes", flushes);
	sink(ctx, "cached_blocks_at_end", cached);
	sink(ctx, "thread_caches", threads);
}

const struct allocator alloc_tlsf_tcache = {
	.name        = "tlsf-tcache",
	.description = "tlsf behind a lock, per-thread caches of blocks up to 256 B (thread-safe)",
	.init        = tc_init,
	.malloc      = tc_malloc,
	.free        = tc_free,
	.realloc     = tc_realloc,
	.calloc      = tc_calloc,
	.memalign    = tc_memalign,
	.usable_size = tc_usable_size,
	.check       = tc_check,
	.stats       = tc_stats,
};
