/*
 * testmalloc.c - a small, correct malloc to preload, for the tests of
 * `bench --alloc ./build/tests/libtestmalloc.so` (any library path).
 *
 * Power-of-two size classes from 32 bytes to 64 KiB, each a LIFO free list,
 * carved from 1 MiB chunks taken from mmap; anything larger is its own
 * mapping.  Every block starts with a 16-byte header: the start of the raw
 * block (which differs from the header for aligned blocks) and its class
 * (or, for a mapping, its length).  One spinlock serialises everything.
 * No coalescing, no return of memory to the kernel but for large blocks:
 * simple, and enough to replay any trace correctly.
 *
 * Built twice by the Makefile: libtestmalloc.so exports memalign,
 * posix_memalign and aligned_alloc; with -DTESTMALLOC_NO_ALIGN
 * (libtestmalloc-noalign.so) it exports none of them, to test that bench
 * reports a trace with memalign ops as unsupported for such a library.
 * With -DTESTMALLOC_DYING (libtestmalloc-dying.so) malloc(777777) segfaults
 * and malloc(777778) never returns: a peer that crashes or hangs at a known
 * op of a trace.
 *
 * With TESTMALLOC_PREFAULT=1 in the environment, the first chunk is mapped
 * and written when the library is loaded, before the program runs: memory
 * resident before bench's memory pass reads its baseline, as a production
 * library's pre-faulted pools are (a peer's "peak RSS above the baseline"
 * can then be below the live bytes; tests/cli/newcomer.sh).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HDR        16u
#define MIN_SHIFT  5u                     /* 32-byte smallest class        */
#define MAX_SHIFT  16u                    /* 64 KiB largest class          */
#define NCLASS     (MAX_SHIFT - MIN_SHIFT + 1)
#define CHUNK      ((size_t)1 << 20)
#define LARGE      ((size_t)1 << 62)      /* info bit: a mapping's length  */

struct header {
	char  *raw;    /* the block's first byte (its own header for plain blocks) */
	size_t info;   /* class index, or LARGE | mapping length                   */
};
_Static_assert(sizeof(struct header) == HDR, "header is 16 bytes");

struct free_block { struct free_block *next; };

static struct {
	int                lock;
	struct free_block *free[NCLASS];  /* per class, LIFO           */
	char              *cur, *end;     /* unused part of the chunk  */
} tm;

static void lock(void)
{
	while (__atomic_exchange_n(&tm.lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&tm.lock, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

static void unlock(void) { __atomic_store_n(&tm.lock, 0, __ATOMIC_RELEASE); }

/* A raw block of at least n bytes (n includes the header); *info says which. */
static char *raw_alloc(size_t n, size_t *info)
{
	if (n > ((size_t)1 << MAX_SHIFT)) {
		size_t len = (n + 4095) & ~(size_t)4095;
		if (len < n)
			return NULL;
		void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		               -1, 0);
		*info = LARGE | len;
		return p == MAP_FAILED ? NULL : p;
	}
	unsigned c = 0;
	while (((size_t)1 << (MIN_SHIFT + c)) < n)
		c++;
	size_t size = (size_t)1 << (MIN_SHIFT + c);
	char *p;
	*info = c;
	lock();
	if (tm.free[c]) {
		p = (char *)tm.free[c];
		tm.free[c] = tm.free[c]->next;
	} else {
		if ((size_t)(tm.end - tm.cur) < size) {
			void *q = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE,
			               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (q == MAP_FAILED) {
				unlock();
				return NULL;
			}
			tm.cur = q;
			tm.end = tm.cur + CHUNK;
		}
		p = tm.cur;
		tm.cur += size;
	}
	unlock();
	return p;
}

__attribute__((constructor)) static void prefault(void)
{
	const char *e = getenv("TESTMALLOC_PREFAULT");
	if (!e || strcmp(e, "1") != 0)
		return;
	void *q = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (q == MAP_FAILED)
		return;
	memset(q, 1, CHUNK);
	tm.cur = q;
	tm.end = tm.cur + CHUNK;
}

static void raw_free(char *raw, size_t info)
{
	if (info & LARGE) {
		munmap(raw, info & ~LARGE);
		return;
	}
	lock();
	((struct free_block *)raw)->next = tm.free[info];
	tm.free[info] = (struct free_block *)raw;
	unlock();
}

static size_t raw_size(size_t info)
{
	return info & LARGE ? info & ~LARGE : (size_t)1 << (MIN_SHIFT + info);
}

/* A block of n bytes aligned to align (a power of two, >= 16). */
static void *aligned(size_t align, size_t n)
{
	size_t info, extra = align > HDR ? align : 0;
	if (n > SIZE_MAX - HDR - extra) {
		errno = ENOMEM;
		return NULL;
	}
	char *raw = raw_alloc(n + HDR + extra, &info);
	if (!raw) {
		errno = ENOMEM;
		return NULL;
	}
	uintptr_t p = ((uintptr_t)raw + HDR + align - 1) & ~(uintptr_t)(align - 1);
	struct header *h = (struct header *)p - 1;
	h->raw = raw;
	h->info = info;
	return (void *)p;
}

#ifdef TESTMALLOC_DYING
static char *volatile wild = (char *)16;
#endif

void *malloc(size_t n)
{
#ifdef TESTMALLOC_DYING
	if (n == 777777)
		*wild = 1;
	while (n == 777778)
		pause();
#endif
	return aligned(16, n);
}

void free(void *p)
{
	if (!p)
		return;
	struct header *h = (struct header *)p - 1;
	raw_free(h->raw, h->info);
}

size_t malloc_usable_size(void *p)
{
	if (!p)
		return 0;
	struct header *h = (struct header *)p - 1;
	return raw_size(h->info) - (size_t)((char *)p - h->raw);
}

void *calloc(size_t n, size_t m)
{
	size_t total;
	if (__builtin_mul_overflow(n, m, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	/* Not malloc(): gcc would turn malloc + memset back into a call to calloc. */
	void *p = aligned(16, total);
	if (p)
		memset(p, 0, total);  /* recycled blocks are dirty */
	return p;
}

void *realloc(void *p, size_t n)
{
	if (!p)
		return malloc(n);
	size_t have = malloc_usable_size(p);
	if (n <= have && n >= have / 2)
		return p;
	void *q = malloc(n);
	if (!q)
		return NULL;
	memcpy(q, p, n < have ? n : have);
	free(p);
	return q;
}

#ifndef TESTMALLOC_NO_ALIGN
void *memalign(size_t align, size_t n)
{
	if (!align || (align & (align - 1))) {
		errno = EINVAL;
		return NULL;
	}
	return aligned(align < 16 ? 16 : align, n);
}

void *aligned_alloc(size_t align, size_t n) { return memalign(align, n); }

int posix_memalign(void **out, size_t align, size_t n)
{
	if (align < sizeof(void *) || (align & (align - 1)))
		return EINVAL;
	void *p = memalign(align, n);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}
#endif
