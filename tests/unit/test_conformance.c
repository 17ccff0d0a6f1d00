/*
 * test_conformance.c - what every registered allocator promises
 * (allocators/allocator.h), checked against each one in turn.
 *
 * These tests know nothing about any design; an allocator added to the
 * registry is held to them automatically.  Design-specific edge cases live in
 * each allocator's own test file.
 */
#include "test.h"
#include "allocators/allocator.h"
#include "alloc_fixture.h"

#include <stdio.h>
#include <stdlib.h>

#define EACH_ALLOCATOR(a) \
	for (size_t i_ = 0; i_ < allocator_count && ((a) = allocator_registry[i_]); i_++)

#define EXPECT_ALLOC(a, cond)                                                     \
	do { if (!(cond)) test_fail(__FILE__, __LINE__, "%s: expected %s", (a)->name, #cond); } while (0)

/* `a` on a fresh heap refusing to grow past `limit` (0: none); a failure if init fails. */
static int start(struct fixture *in, const struct allocator *a, size_t limit)
{
	if (fixture_open(in, a, 0, limit))
		return 1;
	if (in->heap.base) {         /* the heap opened: init failed */
		test_fail(__FILE__, __LINE__, "%s: init failed", a->name);
		fixture_close(in);
	}
	return 0;
}

static void expect_clean(const struct allocator *a, struct fixture *in, const char *when)
{
	unsigned long n = fixture_check(in);
	if (n)
		test_fail(__FILE__, __LINE__, "%s: self-check %s: %lu violations, first: %s",
		          a->name, when, n, in->findings.nmessages ? in->findings.messages[0] : "?");
}

static int aligned(const void *p, size_t a) { return ((uintptr_t)p & (a - 1)) == 0; }

static int inside(struct fixture *in, const void *p, size_t size)
{
	return heap_contains(&in->heap, p, size);
}

TEST(conformance_fresh_heap_passes_self_check)
{
	const struct allocator *a;
	EACH_ALLOCATOR(a) {
		struct fixture in;
		if (!start(&in, a, 0))
			continue;
		expect_clean(a, &in, "on a fresh heap");
		fixture_close(&in);
	}
}

TEST(conformance_blocks_are_16_byte_aligned_inside_the_heap_and_usable)
{
	static const size_t sizes[] = { 0, 1, 7, 8, 15, 16, 17, 24, 31, 32, 33, 48, 100, 255,
	                                256, 1000, 4095, 4096, 4097, 65536, 100000, 1 << 20 };
	const struct allocator *a;
	EACH_ALLOCATOR(a) {
		struct fixture in;
		void *p[sizeof sizes / sizeof sizes[0]];
		if (!start(&in, a, 0))
			continue;
		for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
			p[k] = a->malloc(in.self, sizes[k]);
			EXPECT_ALLOC(a, p[k] != NULL);
			if (!p[k])
				continue;
			EXPECT_ALLOC(a, aligned(p[k], HEAPLAB_ALIGN));
			EXPECT_ALLOC(a, inside(&in, p[k], sizes[k]));
			EXPECT_ALLOC(a, a->usable_size(in.self, p[k]) >= sizes[k]);
			memset(p[k], 0x5a, sizes[k]);
		}
		expect_clean(a, &in, "after mallocs");
		for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
			a->free(in.self, p[k]);
		expect_clean(a, &in, "after freeing everything");
		fixture_close(&in);
	}
}

TEST(conformance_malloc_zero_returns_distinct_freeable_blocks)
{
	const struct allocator *a;
	EACH_ALLOCATOR(a) {
		struct fixture in;
		if (!start(&in, a, 0))
			continue;
		void *x = a->malloc(in.self, 0), *y = a->malloc(in.self, 0);
		EXPECT_ALLOC(a, x != NULL && y != NULL && x != y);
		a->free(in.self, x);
		a->free(in.self, y);
		a->free(in.self, NULL);
		expect_clean(a, &in, "after malloc(0) and free");
		fixture_close(&in);
	}
}

TEST(conformance_calloc_overflow_returns_null)
{
	const struct allocator *a;
	EACH_ALLOCATOR(a) {
		struct fixture in;
		if (!start(&in, a, 0))
			continue;
		EXPECT_ALLOC(a, a->calloc(in.self, SIZE_MAX / 2, 3) == NULL);
		EXPECT_ALLOC(a, a->calloc(in.self, (size_t)1 << 33, (size_t)1 << 33) == NULL);
		EXPECT_ALLOC(a, a->calloc(in.self, 3, 5) != NULL);
		expect_clean(a, &in, "after calloc overflow");
		fixture_close(&in);
	}
}

TEST(conformance_calloc_zeroes_reused_memory)
{
	const struct allocator *a;
	EACH_ALLOCATOR(a) {
		struct fixture in;
		if (!start(&in, a, 0))
			continue;
		for (size_t size = 16; size <= 70000; size = size * 3 + 5) {
			void *dirty[8];
			for (int k = 0; k < 8; k++) {
				dirty[k] = a->malloc(in.self, size);
				if (dirty[k])
					memset(dirty[k], 0xff, size);
			}
			for (int k = 0; k < 8; k++)
				a->free(in.self, dirty[k]);
			unsigned char *z = a->calloc(in.self, size / 4, 4);
			EXPECT_ALLOC(a, z != NULL);
			if (!z)
				continue;
			size_t nonzero = 0;
			for (size_t b = 0; b < size / 4 * 4; b++)
				nonzero += z[b] != 0;
			EXPECT_ALLOC(a, nonzero == 0);
			a->free(in.self, z);
		}
		expect_clean(a, &in, "after calloc reuse");
		fixture_close(&in);
	}
}

TEST(conformance_realloc_null_mallocs_and_zero_returns_a_block)
{
	const struct allocator *a;
	EACH_ALLOCATOR(a) {
		struct fixture in;
		if (!start(&in, a, 0))
			continue;
		char *p = a->realloc(in.self, NULL, 40);
		EXPECT_ALLOC(a, p != NULL && aligned(p, HEAPLAB_ALIGN));
		if (p)
			memset(p, 1, 40);
		char *q = a->realloc(in.self, p, 0);
		EXPECT_ALLOC(a, q != NULL && aligned(q, HEAPLAB_ALIGN));
		a->free(in.self, q);
		expect_clean(a, &in, "after realloc edge cases");
		fixture_close(&in);
	}
}

TEST(conformance_realloc_keeps_contents_growing_and_shrinking)
{
	const struct allocator *a;
	EACH_ALLOCATOR(a) {
		struct fixture in;
		if (!start(&in, a, 0))
			continue;
		unsigned char *p = a->malloc(in.self, 10);
		size_t have = 10;
		REQUIRE(p);
		for (size_t b = 0; b < have; b++)
			p[b] = (unsigned char)(b * 7 + 1);
		/* A neighbour makes in-place growth harder half of the time. */
		void *neighbour = NULL;
		for (size_t size = 11; size < 300000; size = size * 2 + 3) {
			if (!neighbour)
				neighbour = a->malloc(in.self, 24);
			else {
				a->free(in.self, neighbour);
				neighbour = NULL;
			}
			unsigned char *q = a->realloc(in.self, p, size);
			EXPECT_ALLOC(a, q != NULL);
			if (!q)
				break;
			size_t bad = 0;
			for (size_t b = 0; b < have; b++)
				bad += q[b] != (unsigned char)(b * 7 + 1);
			EXPECT_ALLOC(a, bad == 0);
			for (size_t b = have; b < size; b++)
				q[b] = (unsigned char)(b * 7 + 1);
			p = q;
			have = size;
		}
		for (size_t size = have / 3; size > 4; size /= 3) {
			unsigned char *q = a->realloc(in.self, p, size);
			EXPECT_ALLOC(a, q != NULL);
			if (!q)
				break;
			size_t bad = 0;
			for (size_t b = 0; b < size; b++)
				bad += q[b] != (unsigned char)(b * 7 + 1);
			EXPECT_ALLOC(a, bad == 0);
			p = q;
		}
		expect_clean(a, &in, "after realloc chain");
		fixture_close(&in);
	}
}

TEST(conformance_memalign_honours_every_power_of_two)
{
	const struct allocator *a;
	EACH_ALLOCATOR(a) {
		struct fixture in;
		if (!start(&in, a, 0))
			continue;
		void *held[32];
		int n = 0;
		for (size_t align = 1; align <= ((size_t)1 << 16); align <<= 1) {
			size_t size = (align * 3) % 1000 + 1;
			void *p = a->memalign(in.self, align, size);
			EXPECT_ALLOC(a, p != NULL);
			if (!p)
				continue;
			EXPECT_ALLOC(a, aligned(p, align > HEAPLAB_ALIGN ? align : HEAPLAB_ALIGN));
			EXPECT_ALLOC(a, inside(&in, p, size));
			memset(p, 0x33, size);
			held[n++] = p;
			void *small = a->malloc(in.self, 40);  /* disturb the heap between calls */
			if (small && align % 4 == 0)
				a->free(in.self, small);
		}
		expect_clean(a, &in, "after memalign");
		for (int k = 0; k < n; k++)
			a->free(in.self, held[k]);
		expect_clean(a, &in, "after freeing aligned blocks");
		fixture_close(&in);
	}
}

TEST(conformance_refused_growth_returns_null_and_heap_recovers)
{
	const struct allocator *a;
	EACH_ALLOCATOR(a) {
		struct fixture in;
		if (!start(&in, a, (size_t)1 << 20))
			continue;
		void *blocks[4096];
		int n = 0;
		while (n < 4096 && (blocks[n] = a->malloc(in.self, 1000)) != NULL)
			n++;
		EXPECT_ALLOC(a, n > 0 && n < 4096);
		EXPECT_ALLOC(a, a->malloc(in.self, 2 << 20) == NULL);
		EXPECT_ALLOC(a, in.heap.brk <= (size_t)1 << 20);
		expect_clean(a, &in, "after running out of memory");
		if (a->free != NULL && strcmp(a->name, "bump") != 0) {
			for (int k = 0; k < n; k += 2)
				a->free(in.self, blocks[k]);
			void *again = a->malloc(in.self, 1000);
			EXPECT_ALLOC(a, again != NULL);
			expect_clean(a, &in, "after freeing and allocating again");
		}
		fixture_close(&in);
	}
}

/* A seeded random mix with payload checks; small live set so a linear overlap scan is fine. */
TEST(conformance_random_mix_keeps_payloads_and_passes_self_check)
{
	enum { LIVE = 300, OPS = 30000 };
	const struct allocator *a;
	EACH_ALLOCATOR(a) {
		struct fixture in;
		if (!start(&in, a, 0))
			continue;
		unsigned char *ptr[LIVE] = { 0 };
		size_t size[LIVE] = { 0 };
		unsigned seed = 12345;
		unsigned long bad_payload = 0, overlaps = 0, misaligned = 0;
		for (int op = 0; op < OPS; op++) {
			seed = seed * 1103515245u + 12345u;
			int k = (int)((seed >> 8) % LIVE);
			seed = seed * 1103515245u + 12345u;
			unsigned r = seed >> 4;
			size_t want = (r % 8 == 0) ? (r >> 3) % 20000 : (r >> 3) % 200;
			if (ptr[k]) {
				for (size_t b = 0; b < size[k]; b++)
					bad_payload += ptr[k][b] != (unsigned char)(k + b);
				if (r % 3 == 0) {
					unsigned char *q = a->realloc(in.self, ptr[k], want);
					if (q) {
						for (size_t b = 0; b < (want < size[k] ? want : size[k]); b++)
							bad_payload += q[b] != (unsigned char)(k + b);
						ptr[k] = q;
						size[k] = want;
					}
				} else {
					a->free(in.self, ptr[k]);
					ptr[k] = NULL;
					continue;
				}
			} else {
				ptr[k] = (r % 5 == 0) ? a->calloc(in.self, 1, want)
				       : (r % 7 == 0) ? a->memalign(in.self, (size_t)64 << (r % 4), want)
				       : a->malloc(in.self, want);
				size[k] = want;
				if (!ptr[k])
					continue;
			}
			misaligned += !aligned(ptr[k], HEAPLAB_ALIGN);
			for (int j = 0; j < LIVE; j++) {
				if (j == k || !ptr[j])
					continue;
				uintptr_t s1 = (uintptr_t)ptr[k], e1 = s1 + size[k];
				uintptr_t s2 = (uintptr_t)ptr[j], e2 = s2 + size[j];
				overlaps += s1 < e2 && s2 < e1;
			}
			for (size_t b = 0; b < size[k]; b++)
				ptr[k][b] = (unsigned char)(k + b);
			if (op % 5000 == 0)
				expect_clean(a, &in, "during the random mix");
		}
		EXPECT_ALLOC(a, bad_payload == 0);
		EXPECT_ALLOC(a, overlaps == 0);
		EXPECT_ALLOC(a, misaligned == 0);
		expect_clean(a, &in, "after the random mix");
		for (int k = 0; k < LIVE; k++)
			a->free(in.self, ptr[k]);
		expect_clean(a, &in, "after freeing the random mix");
		fixture_close(&in);
	}
}

/*
 * Sizes no heap can hold, near the places where size arithmetic wraps: 2^64,
 * 2^63, PTRDIFF_MAX, and an allocator's page/order/top boundaries added to
 * them.  Every call must return NULL or a valid block; a live block must stay
 * live and intact, and the self-check must pass afterwards.
 */
static const size_t huge_sizes[] = {
	SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 15, SIZE_MAX - 16, SIZE_MAX - 4095,
	SIZE_MAX - 4096, SIZE_MAX - 65535, SIZE_MAX - ((size_t)1 << 20) + 1,
	SIZE_MAX - ((size_t)1 << 22) + 1, SIZE_MAX - ((size_t)1 << 30) + 1,
	(size_t)1 << 63, ((size_t)1 << 63) - 1, ((size_t)1 << 63) + 1,
	((size_t)1 << 63) - 4096, ((size_t)1 << 63) + 4096,
	(size_t)PTRDIFF_MAX, (size_t)PTRDIFF_MAX - 15, (size_t)PTRDIFF_MAX - 4095,
	(size_t)PTRDIFF_MAX - ((size_t)1 << 20) + 1, (size_t)1 << 62, (size_t)1 << 48,
	((size_t)1 << 40) + 1, (size_t)1 << 33,
};
#define NHUGE (sizeof huge_sizes / sizeof huge_sizes[0])

static void expect_pattern(const struct allocator *a, const unsigned char *p, size_t n,
                           unsigned char v, const char *what, size_t size)
{
	for (size_t k = 0; k < n; k++)
		if (p[k] != v) {
			test_fail(__FILE__, __LINE__, "%s: %s %zu: live block changed at byte %zu",
			          a->name, what, size, k);
			return;
		}
}

/* A block that is NULL or lies inside the heap, aligned, with `size` usable bytes. */
static void expect_null_or_valid(const struct allocator *a, struct fixture *in, void *p,
                                 size_t size, size_t align, const char *what)
{
	if (!p)
		return;
	if (!inside(in, p, size) || !aligned(p, align))
		test_fail(__FILE__, __LINE__, "%s: %s %zu returned %p, not a valid block",
		          a->name, what, size, p);
	a->free(in->self, p);
}

TEST(conformance_huge_sizes_return_null_and_leave_live_blocks_alone)
{
	static const size_t live_sizes[] = { 24, 4096, 600000 };
	const struct allocator *a;
	EACH_ALLOCATOR(a) {
		struct fixture in;
		if (!start(&in, a, 0))
			continue;
		void *keep[3];
		for (size_t k = 0; k < 3; k++) {
			keep[k] = a->malloc(in.self, live_sizes[k]);
			EXPECT_ALLOC(a, keep[k] != NULL);
			if (keep[k])
				memset(keep[k], 0x5a + (int)k, live_sizes[k]);
		}
		for (size_t h = 0; h < NHUGE; h++) {
			size_t s = huge_sizes[h];
			expect_null_or_valid(a, &in, a->malloc(in.self, s), s, 16, "malloc");
			expect_null_or_valid(a, &in, a->calloc(in.self, 1, s), s, 16, "calloc(1, n)");
			expect_null_or_valid(a, &in, a->calloc(in.self, s, 1), s, 16, "calloc(n, 1)");
			expect_null_or_valid(a, &in, a->calloc(in.self, s, 16), s, 16, "calloc(n, 16)");
			for (size_t al = 16; al <= ((size_t)1 << 22); al <<= 3)
				expect_null_or_valid(a, &in, a->memalign(in.self, al, s), s, al,
				                     "memalign");
			for (size_t k = 0; k < 3; k++) {
				if (!keep[k])
					continue;
				void *q = a->realloc(in.self, keep[k], s);
				if (q) {
					/* A heap this size cannot hold it: a non-NULL is a lie. */
					test_fail(__FILE__, __LINE__, "%s: realloc(%zu-byte block, %zu) "
					          "returned a block", a->name, live_sizes[k], s);
					keep[k] = q;
				}
				expect_pattern(a, keep[k], live_sizes[k], (unsigned char)(0x5a + k),
				               "after realloc to", s);
			}
			expect_clean(a, &in, "after huge requests");
		}
		/* The live blocks are still the allocator's: free them, then check. */
		for (size_t k = 0; k < 3; k++)
			a->free(in.self, keep[k]);
		expect_clean(a, &in, "after freeing the live blocks");
		void *p = a->malloc(in.self, 100);
		EXPECT_ALLOC(a, p != NULL);
		a->free(in.self, p);
		fixture_close(&in);
	}
}
