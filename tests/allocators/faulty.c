/*
 * faulty.c - more allocators that fail in the ways real ones do, for the
 * end-to-end fault tests (tests/cli/faults.sh).  Each is bump until its fault:
 *
 *   test-abort        malloc number 20 calls abort() (an assertion in an allocator)
 *   test-spin         malloc number 20 spins forever on the CPU (no syscall, no pause)
 *   test-crash-free   free number 10 writes through a wild pointer: SIGSEGV
 *   test-check-hang   the self-check never returns
 *   test-null-random  malloc, calloc, memalign and a growing realloc return NULL
 *                     about one time in eight, at pseudo-random points; the
 *                     sequence restarts on every heap, so all passes agree
 *                     (failing is allowed, being non-deterministic is not)
 *
 * Test-only: reachable from build/bench-test (tests/allocators/registry.h).
 */
#include "registry.h"

#include <stdlib.h>
#include <string.h>

#define FAULT_AT_MALLOC 20
#define FAULT_AT_FREE   10

extern const struct allocator alloc_bump;

struct faulty {
	void    *inner;    /* bump's state                              */
	uint64_t mallocs;  /* malloc calls so far                       */
	uint64_t frees;    /* free calls so far                         */
	uint64_t rng;      /* xorshift64 state, reset by every init     */
};

static void *faulty_init(struct heap *heap)
{
	struct faulty *f = heap_sbrk(heap, (intptr_t)align_up(sizeof *f, HEAPLAB_ALIGN));
	if (!f)
		return NULL;
	memset(f, 0, sizeof *f);
	f->rng = 0x9e3779b97f4a7c15ull;
	f->inner = alloc_bump.init(heap);
	return f->inner ? f : NULL;
}

static void *fwd_malloc(void *self, size_t n) { return alloc_bump.malloc(((struct faulty *)self)->inner, n); }
static void fwd_free(void *self, void *p) { alloc_bump.free(((struct faulty *)self)->inner, p); }

static void *fwd_realloc(void *self, void *p, size_t n)
{
	return alloc_bump.realloc(((struct faulty *)self)->inner, p, n);
}

static void *fwd_calloc(void *self, size_t n, size_t m)
{
	return alloc_bump.calloc(((struct faulty *)self)->inner, n, m);
}

static void *fwd_memalign(void *self, size_t a, size_t n)
{
	return alloc_bump.memalign(((struct faulty *)self)->inner, a, n);
}

static size_t fwd_usable_size(void *self, void *p)
{
	return alloc_bump.usable_size(((struct faulty *)self)->inner, p);
}

static unsigned long fwd_check(void *self, struct check_findings *findings)
{
	return alloc_bump.check(((struct faulty *)self)->inner, findings);
}

/* volatile: the compiler must neither see through it nor drop the store */
static char *volatile wild = (char *)24;

static void *abort_malloc(void *self, size_t n)
{
	struct faulty *f = self;
	if (++f->mallocs == FAULT_AT_MALLOC)
		abort();
	return fwd_malloc(self, n);
}

static void *spin_malloc(void *self, size_t n)
{
	struct faulty *f = self;
	if (++f->mallocs == FAULT_AT_MALLOC)
		for (volatile uint64_t i = 0;; i++)
			;
	return fwd_malloc(self, n);
}

static void crash_free(void *self, void *p)
{
	struct faulty *f = self;
	if (++f->frees == FAULT_AT_FREE)
		*wild = 1;
	fwd_free(self, p);
}

static unsigned long hang_check(void *self, struct check_findings *findings)
{
	for (volatile uint64_t i = 0;; i++)
		;
	return fwd_check(self, findings);
}

/* 1 about one time in eight, from the per-heap sequence. */
static int unlucky(struct faulty *f)
{
	f->rng ^= f->rng << 13;
	f->rng ^= f->rng >> 7;
	f->rng ^= f->rng << 17;
	return (f->rng >> 32) % 8 == 0;
}

static void *null_malloc(void *self, size_t n)
{
	return unlucky(self) ? NULL : fwd_malloc(self, n);
}

static void *null_calloc(void *self, size_t n, size_t m)
{
	return unlucky(self) ? NULL : fwd_calloc(self, n, m);
}

static void *null_memalign(void *self, size_t a, size_t n)
{
	return unlucky(self) ? NULL : fwd_memalign(self, a, n);
}

static void *null_realloc(void *self, void *p, size_t n)
{
	/* a NULL for n > 0 keeps the old block: C's contract, which the harness checks */
	if (p && n > 0 && unlucky(self))
		return NULL;
	return fwd_realloc(self, p, n);
}

#define FAULTY(var, nm, desc, mal, fre, real, cal, mem, chk)                  \
	static const struct allocator var = {                                 \
		.name = nm, .description = desc, .init = faulty_init,         \
		.malloc = mal, .free = fre, .realloc = real, .calloc = cal,   \
		.memalign = mem, .usable_size = fwd_usable_size, .check = chk, \
	};                                                                    \
	TEST_ALLOCATOR(var)

FAULTY(alloc_test_abort, "test-abort", "bump, but malloc number 20 calls abort()",
       abort_malloc, fwd_free, fwd_realloc, fwd_calloc, fwd_memalign, fwd_check)
FAULTY(alloc_test_spin, "test-spin", "bump, but malloc number 20 spins forever",
       spin_malloc, fwd_free, fwd_realloc, fwd_calloc, fwd_memalign, fwd_check)
FAULTY(alloc_test_crash_free, "test-crash-free", "bump, but free number 10 segfaults",
       fwd_malloc, crash_free, fwd_realloc, fwd_calloc, fwd_memalign, fwd_check)
FAULTY(alloc_test_check_hang, "test-check-hang", "bump, but its self-check never returns",
       fwd_malloc, fwd_free, fwd_realloc, fwd_calloc, fwd_memalign, hang_check)
FAULTY(alloc_test_null_random, "test-null-random",
       "bump, but about 1 allocation in 8 returns NULL (deterministically per heap)",
       null_malloc, fwd_free, null_realloc, null_calloc, null_memalign, fwd_check)
