/*
 * dying.c - allocators that take their process down, for the tests of
 * crash and hang isolation (harness/process/isolate.h).  Both are bump until their
 * DYING_AT-th malloc:
 *
 *   test-crash   writes through a wild pointer: SIGSEGV
 *   test-hang    never returns (sleeps until killed)
 *   test-exit    exits the process quietly, status 0, sending nothing
 *   test-silent  closes every descriptor (its result pipe too), then hangs
 *   test-scribble overwrites the published progress with garbage, then
 *                segfaults: the report must not repeat the garbage as fact
 *
 * Test-only: reachable from build/bench-test, not from ./bench.
 */
#include "registry.h"

#include "harness/replay/cell.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#define DYING_AT 20   /* the malloc that dies; web.trace has hundreds */

extern const struct allocator alloc_bump;

struct dying {
	void    *inner;    /* bump's state          */
	uint64_t mallocs;  /* malloc calls so far   */
};

static void *dying_init(struct heap *heap)
{
	struct dying *d = heap_sbrk(heap, (intptr_t)align_up(sizeof *d, HEAPLAB_ALIGN));
	if (!d)
		return NULL;
	memset(d, 0, sizeof *d);
	d->inner = alloc_bump.init(heap);
	return d->inner ? d : NULL;
}

/* volatile: the compiler may not see that it is wild, and must not drop the store */
static char *volatile wild = (char *)16;

static void *crash_malloc(void *self, size_t size)
{
	struct dying *d = self;
	if (++d->mallocs == DYING_AT)
		*wild = 1;
	return alloc_bump.malloc(d->inner, size);
}

static void *hang_malloc(void *self, size_t size)
{
	struct dying *d = self;
	if (++d->mallocs == DYING_AT)
		for (;;)
			pause();
	return alloc_bump.malloc(d->inner, size);
}

static void *exit_malloc(void *self, size_t size)
{
	struct dying *d = self;
	if (++d->mallocs == DYING_AT)
		_exit(0);
	return alloc_bump.malloc(d->inner, size);
}

static void *silent_malloc(void *self, size_t size)
{
	struct dying *d = self;
	if (++d->mallocs == DYING_AT) {
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		for (;;)
			pause();
	}
	return alloc_bump.malloc(d->inner, size);
}

static void *scribble_malloc(void *self, size_t size)
{
	struct dying *d = self;
	if (++d->mallocs == DYING_AT) {
		if (replay_progress) {
			replay_progress->pass = 0xdeadbeefu;
			replay_progress->op = 0xdeadbeefdeadbeefull;
		}
		*wild = 1;
	}
	return alloc_bump.malloc(d->inner, size);
}

static void fwd_free(void *self, void *p) { alloc_bump.free(((struct dying *)self)->inner, p); }

static void *fwd_realloc(void *self, void *p, size_t n)
{
	return alloc_bump.realloc(((struct dying *)self)->inner, p, n);
}

static void *fwd_calloc(void *self, size_t n, size_t m)
{
	return alloc_bump.calloc(((struct dying *)self)->inner, n, m);
}

static void *fwd_memalign(void *self, size_t a, size_t n)
{
	return alloc_bump.memalign(((struct dying *)self)->inner, a, n);
}

static size_t fwd_usable_size(void *self, void *p)
{
	return alloc_bump.usable_size(((struct dying *)self)->inner, p);
}

static unsigned long fwd_check(void *self, struct check_findings *findings)
{
	return alloc_bump.check(((struct dying *)self)->inner, findings);
}

#define DYING(var, nm, desc, mal)                                             \
	const struct allocator var = {                                        \
		.name = nm, .description = desc, .init = dying_init,          \
		.malloc = mal, .free = fwd_free, .realloc = fwd_realloc,      \
		.calloc = fwd_calloc, .memalign = fwd_memalign,               \
		.usable_size = fwd_usable_size, .check = fwd_check,           \
	};

DYING(alloc_test_crash, "test-crash", "bump, but malloc number 20 segfaults", crash_malloc)
DYING(alloc_test_hang, "test-hang", "bump, but malloc number 20 never returns", hang_malloc)

DYING(alloc_test_exit, "test-exit", "bump, but malloc number 20 exits the process", exit_malloc)
DYING(alloc_test_silent, "test-silent", "bump, but malloc number 20 closes its descriptors "
      "and hangs", silent_malloc)
DYING(alloc_test_scribble, "test-scribble", "bump, but malloc number 20 garbles the progress "
      "page and segfaults", scribble_malloc)

TEST_ALLOCATOR(alloc_test_crash)
TEST_ALLOCATOR(alloc_test_hang)
TEST_ALLOCATOR(alloc_test_exit)
TEST_ALLOCATOR(alloc_test_scribble)
TEST_ALLOCATOR(alloc_test_silent)
