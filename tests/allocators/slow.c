/*
 * slow.c - a built-in allocator with a known amount of extra work per call,
 * for measuring how small a slowdown `bench compare` catches (make
 * bench-compare, scripts/bench_compare.sh).
 *
 *   test-slow-segregated   segregated, plus HEAPLAB_SLOW_SPINS steps of work
 *   test-slow-tlsf         tlsf, the same
 *
 * Every malloc, calloc, realloc, memalign and free first runs
 * HEAPLAB_SLOW_SPINS (read once per heap, default 0) steps of a 64-bit
 * linear congruential generator, a dependency chain the compiler can neither
 * vectorise nor fold (an empty asm keeps each step) and whose result is kept
 * in the allocator's state, then read back into the call's argument (a real
 * dependency, so the work costs time, not only instructions).  Each step is
 * a fixed handful of instructions, so
 * the script turns "2% more instructions per op" into a spin count from an
 * instruction-count measurement.  With 0 spins the wrapper costs one
 * indirection per call; the script's baseline is the wrapper at 0 spins, so
 * the difference it measures is exactly the added work.
 *
 * With HEAPLAB_SLOW_LOG=FILE each init (each pass's fresh heap) appends the
 * wrapped allocator's name and a newline to FILE, so a test can see the
 * order in which passes ran (bench --interleave).
 *
 * Test-only: reachable from build/bench-test (tests/allocators/registry.h).
 */
#include "registry.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern const struct allocator alloc_segregated, alloc_tlsf;

struct slow {
	const struct allocator *inner;  /* the wrapped allocator's table          */
	void                   *self;   /* and its state                          */
	unsigned long           spins;  /* steps of work per call                 */
	uint64_t                acc;    /* the work's result, kept so it is done  */
};

static inline void burn(struct slow *s)
{
	uint64_t x = s->acc;
	for (unsigned long i = 0; i < s->spins; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		__asm__ volatile("" : "+r"(x));
	}
	s->acc = x;
}

/*
 * 0, read back through memory after the work: the call that follows takes
 * it into its argument, so the processor cannot run the allocator's own
 * work alongside the chain (without it, out-of-order execution hides most
 * of the chain's time and the added instructions cost almost nothing).
 */
static inline size_t after(struct slow *s)
{
	volatile uint64_t *v = &s->acc;
	return (size_t)(*v - *v);
}

/*
 * The wrapper's state lives outside the heap, so the wrapped allocator's own
 * self-check finds its heap exactly as it laid it out.  One heap at a time
 * (each init starts afresh), which is how the serial replay uses it.
 */
static struct slow slow_state;

static void *slow_init(struct heap *heap, const struct allocator *inner)
{
	struct slow *s = &slow_state;
	memset(s, 0, sizeof *s);
	s->inner = inner;
	const char *e = getenv("HEAPLAB_SLOW_SPINS");
	s->spins = e ? strtoul(e, NULL, 10) : 0;
	const char *log = getenv("HEAPLAB_SLOW_LOG");
	if (log) {
		char line[64];
		size_t n = strlen(inner->name);
		n = n < sizeof line - 1 ? n : sizeof line - 1;
		memcpy(line, inner->name, n);
		line[n++] = '\n';
		int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0) {
			if (write(fd, line, n) < 0) { /* the test sees the line missing */ }
			close(fd);
		}
	}
	s->self = inner->init(heap);
	return s->self ? s : NULL;
}

static void *slow_init_segregated(struct heap *heap) { return slow_init(heap, &alloc_segregated); }
static void *slow_init_tlsf(struct heap *heap) { return slow_init(heap, &alloc_tlsf); }

static void *slow_malloc(void *self, size_t n)
{
	struct slow *s = self;
	burn(s);
	return s->inner->malloc(s->self, n + after(s));
}

static void slow_free(void *self, void *p)
{
	struct slow *s = self;
	burn(s);
	s->inner->free(s->self, (char *)p + after(s));
}

static void *slow_realloc(void *self, void *p, size_t n)
{
	struct slow *s = self;
	burn(s);
	return s->inner->realloc(s->self, p, n + after(s));
}

static void *slow_calloc(void *self, size_t n, size_t m)
{
	struct slow *s = self;
	burn(s);
	return s->inner->calloc(s->self, n + after(s), m);
}

static void *slow_memalign(void *self, size_t a, size_t n)
{
	struct slow *s = self;
	burn(s);
	return s->inner->memalign(s->self, a, n + after(s));
}

static size_t slow_usable_size(void *self, void *p)
{
	struct slow *s = self;
	return s->inner->usable_size(s->self, p);
}

static unsigned long slow_check(void *self, struct check_findings *findings)
{
	struct slow *s = self;
	return s->inner->check(s->self, findings);
}

static void slow_stats(void *self, stat_sink sink, void *ctx)
{
	struct slow *s = self;
	if (s->inner->stats)
		s->inner->stats(s->self, sink, ctx);
}

#define SLOW_TABLE(inner_name)                                                     \
	const struct allocator alloc_test_slow_##inner_name = {                    \
		.name = "test-slow-" #inner_name,                                  \
		.description = #inner_name " plus HEAPLAB_SLOW_SPINS steps of work per call", \
		.init = slow_init_##inner_name, .malloc = slow_malloc,             \
		.free = slow_free, .realloc = slow_realloc, .calloc = slow_calloc,  \
		.memalign = slow_memalign, .usable_size = slow_usable_size,        \
		.check = slow_check, .stats = slow_stats,                          \
	};                                                                         \
	TEST_ALLOCATOR(alloc_test_slow_##inner_name)

SLOW_TABLE(segregated);
SLOW_TABLE(tlsf);
