/*
 * mm_preload.c - turn a CS:APP malloclab allocator (mm.c: mm_init,
 * mm_malloc, mm_free, mm_realloc over memlib's mem_sbrk) into a malloc
 * library that `bench --alloc ./libmm.so` can run, without touching mm.c:
 *
 *     cc -O2 -fPIC -shared -o libmm.so mm.c docs/ci/mm_preload.c -lpthread
 *
 * It provides memlib (mem_sbrk and friends) over one private mapping of
 * MM_PRELOAD_HEAP bytes (default 1 GiB, reserved, not committed), and the C
 * functions malloc, free, realloc and calloc over mm.c behind one lock.  The
 * aligned functions (memalign, posix_memalign, aligned_alloc) are left out,
 * as in most mm.c: bench then reports a trace that needs them as
 * unsupported rather than mixing two heaps.  Used by the CI template
 * docs/ci/github-allocator.yml (docs/compare.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MM_PRELOAD_HEAP
#define MM_PRELOAD_HEAP ((size_t)1 << 30)
#endif

/* mm.c's interface (CS:APP mm.h) */
int   mm_init(void);
void *mm_malloc(size_t size);
void  mm_free(void *ptr);
void *mm_realloc(void *ptr, size_t size);

/* memlib.h, provided here */
void  *mem_sbrk(intptr_t incr);
void   mem_init(void);
void   mem_deinit(void);
void   mem_reset_brk(void);
void  *mem_heap_lo(void);
void  *mem_heap_hi(void);
size_t mem_heapsize(void);
size_t mem_pagesize(void);

static struct {
	char           *start;   /* the mapping                           */
	char           *brk;     /* the first byte past the heap          */
	int             ready;   /* mm_init has run (1) or failed (-1)    */
	pthread_mutex_t lock;    /* one caller in mm.c at a time          */
} mm = { .lock = PTHREAD_MUTEX_INITIALIZER };

void mem_init(void)
{
	void *p = mmap(NULL, MM_PRELOAD_HEAP, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	mm.start = mm.brk = p == MAP_FAILED ? NULL : p;
}

void mem_deinit(void) {}
void mem_reset_brk(void) { mm.brk = mm.start; }
void *mem_heap_lo(void) { return mm.start; }
void *mem_heap_hi(void) { return mm.brk - 1; }
size_t mem_heapsize(void) { return (size_t)(mm.brk - mm.start); }
size_t mem_pagesize(void) { return (size_t)getpagesize(); }

void *mem_sbrk(intptr_t incr)
{
	if (!mm.start || incr < 0 || (size_t)incr > MM_PRELOAD_HEAP - mem_heapsize()) {
		errno = ENOMEM;
		return (void *)-1;
	}
	char *old = mm.brk;
	mm.brk += incr;
	return old;
}

/* Called with the lock held: 0 when mm.c is ready. */
static int ready(void)
{
	if (!mm.ready) {
		mem_init();
		mm.ready = mm.start && mm_init() == 0 ? 1 : -1;
	}
	return mm.ready == 1 ? 0 : -1;
}

void *malloc(size_t n)
{
	pthread_mutex_lock(&mm.lock);
	void *p = ready() ? NULL : mm_malloc(n);
	pthread_mutex_unlock(&mm.lock);
	if (!p)
		errno = ENOMEM;
	return p;
}

void free(void *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&mm.lock);
	if (!ready())
		mm_free(p);
	pthread_mutex_unlock(&mm.lock);
}

void *realloc(void *p, size_t n)
{
	pthread_mutex_lock(&mm.lock);
	void *q = ready() ? NULL : mm_realloc(p, n);
	pthread_mutex_unlock(&mm.lock);
	if (!q && n)
		errno = ENOMEM;
	return q;
}

void *calloc(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	/* mm_malloc, not malloc: the compiler would turn malloc + memset into a call to calloc */
	pthread_mutex_lock(&mm.lock);
	void *p = ready() ? NULL : mm_malloc(n * size);
	pthread_mutex_unlock(&mm.lock);
	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	return memset(p, 0, n * size);
}
